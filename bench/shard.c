/*
 * Shards of a sweep (vsrbench run --shard K/N): which runs shard K of N
 * takes, and the note a shard process leaves in its run log so that a merge
 * can say which shard and which cluster node ran each run.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "runlog_internal.h"
#include "vsr/bench.h"

int vsr_shard_parse(const char *text, int *k, int *n, vsr_error *err)
{
    const char *why = "expected K/N with 1 <= K <= N, e.g. 2/4";
    if (!text || !*text)
        return vsr_error_set(err, -EINVAL, "%s", why);
    char *end;
    errno = 0;
    long kk = strtol(text, &end, 10);
    if (end == text || *end != '/' || errno)
        return vsr_error_set(err, -EINVAL, "%s", why);
    const char *p = end + 1;
    long nn = strtol(p, &end, 10);
    if (end == p || *end || errno)
        return vsr_error_set(err, -EINVAL, "%s", why);
    if (nn < 1 || nn > VSR_SHARD_MAX)
        return vsr_error_set(err, -EINVAL, "N must be 1..%d, not %ld", VSR_SHARD_MAX, nn);
    if (kk < 1 || kk > nn)
        return vsr_error_set(err, -EINVAL, "K must be 1..%ld (K/N), not %ld", nn, kk);
    *k = (int)kk;
    *n = (int)nn;
    return 0;
}

/* Order of the greedy: larger cost first, then canonical order. */
struct item {
    double cost;
    int index;
};

static int cmp_item(const void *pa, const void *pb)
{
    const struct item *a = pa, *b = pb;
    if (a->cost != b->cost)
        return a->cost > b->cost ? -1 : 1;
    return (a->index > b->index) - (a->index < b->index);
}

int vsr_shard_assign(const double *cost, int n_runs, int n_shards, int *shard_of, double *load,
                     vsr_error *err)
{
    if (n_runs < 0 || n_shards < 1 || n_shards > VSR_SHARD_MAX)
        return vsr_error_set(err, -EINVAL, "%d runs into %d shards: N must be 1..%d", n_runs,
                             n_shards, VSR_SHARD_MAX);
    int known = cost != NULL;
    for (int i = 0; known && i < n_runs; i++)
        if (!isfinite(cost[i]) || cost[i] < 0)
            known = 0;
    if (load)
        for (int s = 0; s < n_shards; s++)
            load[s] = 0;
    if (!known) { /* round-robin over the canonical order */
        for (int i = 0; i < n_runs; i++) {
            shard_of[i] = i % n_shards;
            if (load)
                load[i % n_shards] += 1;
        }
        return 0;
    }
    /* Longest processing time first: each run, costliest first, goes to the
     * shard with the least cost so far (the lowest-numbered on a tie). */
    struct item *it = malloc((size_t)(n_runs ? n_runs : 1) * sizeof(*it));
    double *sum = calloc((size_t)n_shards, sizeof(*sum));
    if (!it || !sum) {
        free(it);
        free(sum);
        return vsr_error_set(err, -ENOMEM, "out of memory");
    }
    for (int i = 0; i < n_runs; i++)
        it[i] = (struct item){cost[i], i};
    qsort(it, (size_t)n_runs, sizeof(*it), cmp_item);
    for (int j = 0; j < n_runs; j++) {
        int best = 0;
        for (int s = 1; s < n_shards; s++)
            if (sum[s] < sum[best])
                best = s;
        sum[best] += it[j].cost;
        shard_of[it[j].index] = best;
    }
    if (load)
        memcpy(load, sum, (size_t)n_shards * sizeof(*sum));
    free(it);
    free(sum);
    return 1;
}

int vsr_runlog_shard_note(vsr_runlog *log, int64_t sweep_id, const char *shard,
                          const char *node, vsr_error *err)
{
    sqlite3 *db = vsr_runlog_sqlite(log);
    char host[256] = "";
    if (gethostname(host, sizeof(host) - 1) != 0)
        snprintf(host, sizeof(host), "unknown");
    sqlite3_stmt *st = NULL;
    /* shard_sessions is part of the schema since v10 (bench.h) */
    int rc =
        sqlite3_prepare_v2(db,
                           "INSERT INTO shard_sessions (sweep_id, hostname, pid, shard, node)"
                           " VALUES (?1, ?2, ?3, ?4, ?5)",
                           -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, sweep_id);
        sqlite3_bind_text(st, 2, host, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)getpid());
        sqlite3_bind_text(st, 4, shard, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 5, node, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(st);
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    int ret = 0;
    if (rc != SQLITE_OK)
        ret = vsr_error_set(err, -EIO, "%s: recording the shard of this process: %s",
                            vsr_runlog_path(log), sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return ret;
}
