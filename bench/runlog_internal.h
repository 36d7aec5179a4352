/* Internals of bench/runlog.c shared with its tests only. */
#ifndef VSR_BENCH_RUNLOG_INTERNAL_H
#define VSR_BENCH_RUNLOG_INTERNAL_H

#include <sqlite3.h>

#include "vsr/bench.h"

/**
 * Apply the migrations after the db's user_version up to @p target (1-based
 * count, <= vsr_runlog_schema_version()), each in its own BEGIN IMMEDIATE
 * transaction that re-reads user_version, so two processes opening one new
 * file migrate it once. @p path only names the file in messages.
 */
int vsr_runlog_migrate(sqlite3 *db, const char *path, int target, vsr_error *err);

/**
 * Take leases as process @p pid of host @p host instead of getpid() and
 * gethostname() (for tests that play several processes).
 */
void vsr_runlog_set_owner(vsr_runlog *log, const char *host, int64_t pid);

/** The connection of an open run log (borrowed; for tests and queries). */
sqlite3 *vsr_runlog_sqlite(vsr_runlog *log);

#endif
