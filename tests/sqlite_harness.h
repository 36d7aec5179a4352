/* For the tests that read a run log (SQLite) directly. */
#ifndef VSR_SQLITE_HARNESS_H
#define VSR_SQLITE_HARNESS_H

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>

#include "testutil.h"

/* The SQLite database @p path, opened (the caller closes it); fails the test when it
 * cannot be opened. */
static inline sqlite3 *vsr_test_open_db(const char *path)
{
    sqlite3 *db = NULL;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        fail_msg("%s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
    return db;
}

/* sqlite3_exec() of @p sql (one statement or several), asserted to succeed; SQLite's message
 * is printed when it does not. */
static inline void vsr_test_exec(sqlite3 *db, const char *sql)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        print_message("%s: %s\n", sql, sqlite3_errmsg(db));
    assert_int_equal(rc, SQLITE_OK);
}

/* sqlite3_exec() of @p sql, asserted to be refused (a constraint, a STRICT type, a key). */
static inline void vsr_test_exec_refused(sqlite3 *db, const char *sql)
{
    assert_int_not_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
}

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

/* vsr_test_q_int() of the SQL printf() makes of @p fmt and the rest. */
static inline long long vsr_test_q_intf(sqlite3 *db, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline long long vsr_test_q_intf(sqlite3 *db, const char *fmt, ...)
{
    char sql[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(sql, sizeof(sql), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(sql))
        fail_msg("SQL too long: %.60s...", fmt);
    return vsr_test_q_int(db, sql);
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
