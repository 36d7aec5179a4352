/* Tests of reports/: a table rendered in one format into a malloc'ed string. */
#ifndef VSR_TEST_RENDER_TABLE_H
#define VSR_TEST_RENDER_TABLE_H

#include <stdio.h>

#include "testutil.h"
#include "vsr/reports.h"

/* The note under every Markdown leaderboard, word for word as the tests expect it after the
 * table's last row (typed here once, not taken from reports/). */
#define VSR_TEST_LEADERBOARD_NOTE                                                              \
    "Best value of each column in bold. MACs: one multiply-add = 1 MAC, per LR frame at the "  \
    "input size shown (HxW). ms/frame: median over timed frames, its 95% interval in "         \
    "brackets, "                                                                               \
    "p95 in parentheses; noisy: too spread or timed while other processes ran, do not "        \
    "compare "                                                                                 \
    "(docs/PERFORMANCE.md).\n"

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
