/* Tests of reports/: a table rendered in one format into a malloc'ed string. */
#ifndef VSR_TEST_RENDER_TABLE_H
#define VSR_TEST_RENDER_TABLE_H

#include <stdio.h>

#include "testutil.h"
#include "vsr/reports.h"

/* vsr_report_table_write() of @p t in @p fmt; the caller frees the result. */
static inline char *render_table(const vsr_report_table *t, enum vsr_report_format fmt)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    vsr_error err = {0};
    assert_int_equal(vsr_report_table_write(f, t, fmt, &err), 0);
    fclose(f);
    return buf;
}

#endif
