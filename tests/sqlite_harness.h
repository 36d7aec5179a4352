/* For the tests that read a run log (SQLite) directly. */
#ifndef VSR_SQLITE_HARNESS_H
#define VSR_SQLITE_HARNESS_H

#include <sqlite3.h>

#include "testutil.h"

/* The integer in the first column of the first row of @p sql; -1 without a row. */
static inline long long vsr_test_q_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    long long v = -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* The number in the first column of the first row of @p sql (a row is required). */
static inline double vsr_test_q_real(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    double v = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    return v;
}

#endif
