/*
 * vsr_runlog_merge(): run logs of several processes (the shards of a sweep on
 * a cluster, one database per task) into one.
 *
 * Each input is opened read-only, copied into a private temporary database
 * (sqlite3_backup) and migrated there to this build's schema
 * (vsr_runlog_migrate), so inputs of older versions merge and no input is
 * ever written. Rows are copied generically: for every table the columns
 * both sides have (pragma_table_info), with the ids that other tables point
 * at (hosts, sweeps, runs, train_runs) renumbered, so a column added by a
 * later migration travels without a change here. Not copied: sweep_workers
 * and run_leases (the live coordination of a running sweep) and runs still
 * 'running' or 'pending' (their process died or runs on: reported, not
 * merged; `run --resume` finishes them).
 *
 * Everything happens in one BEGIN IMMEDIATE transaction on OUT; a new OUT is
 * built under a temporary name and renamed into place after the commit. A
 * failure or a crash thus leaves OUT as it was (or absent).
 */
#define _DEFAULT_SOURCE /* realpath */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "runlog_internal.h"
#include "vsr/bench.h"

#define MAX_COLS 128

/* ids of one input's table -> ids in OUT, appended in increasing source order */
struct idmap {
    int64_t *src, *dst;
    int n, cap;
};

static int idmap_put(struct idmap *m, int64_t src, int64_t dst)
{
    if (m->n == m->cap) {
        int cap = m->cap ? 2 * m->cap : 64;
        int64_t *s = realloc(m->src, (size_t)cap * sizeof(*s));
        if (!s)
            return -ENOMEM;
        m->src = s;
        int64_t *d = realloc(m->dst, (size_t)cap * sizeof(*d));
        if (!d)
            return -ENOMEM;
        m->dst = d;
        m->cap = cap;
    }
    m->src[m->n] = src;
    m->dst[m->n++] = dst;
    return 0;
}

/* 1 and *dst when @p src is mapped, else 0 (binary search: src ascending) */
static int idmap_get(const struct idmap *m, int64_t src, int64_t *dst)
{
    int lo = 0, hi = m->n - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (m->src[mid] == src) {
            *dst = m->dst[mid];
            return 1;
        }
        if (m->src[mid] < src)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return 0;
}

static void idmap_free(struct idmap *m)
{
    free(m->src);
    free(m->dst);
    memset(m, 0, sizeof(*m));
}

enum { MAP_HOST, MAP_SWEEP, MAP_RUN, MAP_TRAIN, MAP_COUNT };

/* One merge in progress. */
struct merge {
    sqlite3 *out, *src;
    const char *in_path, *out_path;
    struct idmap map[MAP_COUNT];
    int src_has_sessions, src_has_provenance;
    vsr_runlog_merge_stats *stats;
    vsr_runlog_merge_note_fn note;
    void *ctx;
    vsr_error *err;
};

static void say(struct merge *m, const char *fmt, ...) VSR_PRINTF(2, 3);
static void say(struct merge *m, const char *fmt, ...)
{
    if (!m->note)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    m->note(m->ctx, line);
}

static int sql_fail(struct merge *m, sqlite3 *db, const char *what)
{
    int rc = sqlite3_errcode(db) & 0xff;
    int code = rc == SQLITE_NOMEM ? -ENOMEM : rc == SQLITE_FULL ? -ENOSPC : -EIO;
    return vsr_error_set(m->err, code, "merging %s into %s: %s: %s", m->in_path, m->out_path,
                         what, sqlite3_errmsg(db));
}

/* 1 when table @p t of @p db has a row (every input is migrated to this build's
 * schema, where run_provenance and shard_sessions exist, maybe empty) */
static int has_rows(sqlite3 *db, const char *t)
{
    char sql[128];
    sqlite3_stmt *st = NULL;
    int yes = 0;
    snprintf(sql, sizeof(sql), "SELECT 1 FROM \"%s\" LIMIT 1", t);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK)
        yes = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return yes;
}

/* The columns of table @p t that both databases have, in OUT's order. */
struct cols {
    int n;
    char name[MAX_COLS][64];
    int map[MAX_COLS]; /* MAP_* of an id column pointing elsewhere, else -1 */
};

static int column_map(const char *table, const char *col)
{
    if (!strcmp(col, "host_id"))
        return MAP_HOST;
    if (!strcmp(col, "sweep_id"))
        return MAP_SWEEP;
    if (!strcmp(col, "run_id"))
        return MAP_RUN;
    if (!strcmp(col, "train_run_id"))
        return MAP_TRAIN;
    (void)table;
    return -1;
}

static int common_cols(struct merge *m, const char *table, struct cols *c)
{
    sqlite3_stmt *a = NULL, *b = NULL;
    c->n = 0;
    int rc = sqlite3_prepare_v2(m->out, "SELECT name FROM pragma_table_info(?1) ORDER BY cid",
                                -1, &a, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(m->src, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2",
                                -1, &b, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(a);
        sqlite3_finalize(b);
        return sql_fail(m, rc == SQLITE_OK ? m->src : m->out, "reading the columns");
    }
    sqlite3_bind_text(a, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_text(b, 1, table, -1, SQLITE_STATIC);
    while (sqlite3_step(a) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(a, 0);
        if (!name || strlen(name) >= sizeof(c->name[0]) || c->n == MAX_COLS)
            continue;
        sqlite3_bind_text(b, 2, name, -1, SQLITE_TRANSIENT);
        int both = sqlite3_step(b) == SQLITE_ROW;
        sqlite3_reset(b);
        if (!both)
            continue;
        snprintf(c->name[c->n], sizeof(c->name[0]), "%s", name);
        c->map[c->n] = column_map(table, name);
        c->n++;
    }
    sqlite3_finalize(a);
    sqlite3_finalize(b);
    return 0;
}

static int in_list(const char *name, const char *const *list)
{
    for (; list && *list; list++)
        if (!strcmp(name, *list))
            return 1;
    return 0;
}

/* Append to @p buf (cap bytes) */
static void cat(char *buf, size_t cap, const char *fmt, ...) VSR_PRINTF(3, 4);
static void cat(char *buf, size_t cap, const char *fmt, ...)
{
    size_t len = strlen(buf);
    if (len >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, cap - len, fmt, ap);
    va_end(ap);
}

/*
 * Copying the rows of one table. sel reads the source rows (all common
 * columns, "WHERE <parent> = ?1" when @p parent is set); ins writes one row
 * into OUT (every common column but "id"); same finds an OUT row equal on
 * the @p key columns (NULL: every column but id and @p skip) after
 * renumbering.
 */
struct copier {
    struct cols c;
    int id_col; /* index of "id" in c, or -1 */
    sqlite3_stmt *sel, *ins, *same;
    int same_col[MAX_COLS]; /* column index of each ?N of same */
    int n_same;
};

static void copier_free(struct copier *k)
{
    sqlite3_finalize(k->sel);
    sqlite3_finalize(k->ins);
    sqlite3_finalize(k->same);
    memset(k, 0, sizeof(*k));
}

static int copier_init(struct merge *m, struct copier *k, const char *table, const char *parent,
                       const char *const *key, const char *const *skip)
{
    char sql[16384];
    memset(k, 0, sizeof(*k));
    k->id_col = -1;
    int rc = common_cols(m, table, &k->c);
    if (rc)
        return rc;
    sql[0] = '\0';
    cat(sql, sizeof(sql), "SELECT ");
    for (int i = 0; i < k->c.n; i++) {
        cat(sql, sizeof(sql), "%s\"%s\"", i ? ", " : "", k->c.name[i]);
        if (!strcmp(k->c.name[i], "id"))
            k->id_col = i;
    }
    cat(sql, sizeof(sql), " FROM \"%s\"", table);
    if (parent)
        cat(sql, sizeof(sql), " WHERE \"%s\" = ?1", parent);
    cat(sql, sizeof(sql), " ORDER BY rowid");
    if (sqlite3_prepare_v2(m->src, sql, -1, &k->sel, NULL) != SQLITE_OK)
        return sql_fail(m, m->src, table);

    sql[0] = '\0';
    cat(sql, sizeof(sql), "INSERT INTO \"%s\" (", table);
    int first = 1;
    for (int i = 0; i < k->c.n; i++)
        if (i != k->id_col) {
            cat(sql, sizeof(sql), "%s\"%s\"", first ? "" : ", ", k->c.name[i]);
            first = 0;
        }
    cat(sql, sizeof(sql), ") VALUES (");
    first = 1;
    for (int i = 0, p = 1; i < k->c.n; i++)
        if (i != k->id_col) {
            cat(sql, sizeof(sql), "%s?%d", first ? "" : ", ", p++);
            first = 0;
        }
    cat(sql, sizeof(sql), ")%s", k->id_col >= 0 ? " RETURNING id" : "");
    if (sqlite3_prepare_v2(m->out, sql, -1, &k->ins, NULL) != SQLITE_OK)
        return sql_fail(m, m->out, table);

    sql[0] = '\0';
    cat(sql, sizeof(sql), "SELECT %s FROM \"%s\" WHERE 1", k->id_col >= 0 ? "id" : "rowid",
        table);
    for (int i = 0; i < k->c.n; i++) {
        if (i == k->id_col || (key ? !in_list(k->c.name[i], key) : in_list(k->c.name[i], skip)))
            continue;
        k->same_col[k->n_same++] = i;
        cat(sql, sizeof(sql), " AND \"%s\" IS ?%d", k->c.name[i], k->n_same);
    }
    cat(sql, sizeof(sql), " ORDER BY 1 LIMIT 1");
    if (strlen(sql) + 1 >= sizeof(sql))
        return vsr_error_set(m->err, -E2BIG, "%s: too many columns in %s", m->out_path, table);
    if (sqlite3_prepare_v2(m->out, sql, -1, &k->same, NULL) != SQLITE_OK)
        return sql_fail(m, m->out, table);
    return 0;
}

/* Bind column @p i of the current sel row, renumbered, to ?@p p of @p st. */
static int bind_col(struct merge *m, struct copier *k, sqlite3_stmt *st, int p, int i)
{
    sqlite3_value *v = sqlite3_column_value(k->sel, i);
    int map = k->c.map[i];
    if (map < 0 || sqlite3_value_type(v) == SQLITE_NULL) {
        sqlite3_bind_value(st, p, v);
        return 0;
    }
    int64_t dst;
    if (!idmap_get(&m->map[map], sqlite3_value_int64(v), &dst))
        return vsr_error_set(m->err, -EINVAL,
                             "%s: %s %lld points at no row; the file is damaged (run "
                             "'sqlite3 %s \"PRAGMA foreign_key_check\"')",
                             m->in_path, k->c.name[i], (long long)sqlite3_value_int64(v),
                             m->in_path);
    sqlite3_bind_int64(st, p, dst);
    return 0;
}

/* OUT's row equal to the current sel row on the key columns: *id (0 none). */
static int find_same(struct merge *m, struct copier *k, int64_t *id)
{
    sqlite3_reset(k->same);
    for (int j = 0; j < k->n_same; j++) {
        int rc = bind_col(m, k, k->same, j + 1, k->same_col[j]);
        if (rc)
            return rc;
    }
    int rc = sqlite3_step(k->same);
    *id = rc == SQLITE_ROW ? sqlite3_column_int64(k->same, 0) : 0;
    sqlite3_reset(k->same);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return sql_fail(m, m->out, "looking for an equal row");
    return 0;
}

/* Insert the current sel row into OUT; *id = its new id (tables with one). */
static int insert_row(struct merge *m, struct copier *k, int64_t *id)
{
    sqlite3_reset(k->ins);
    for (int i = 0, p = 1; i < k->c.n; i++)
        if (i != k->id_col) {
            int rc = bind_col(m, k, k->ins, p++, i);
            if (rc)
                return rc;
        }
    int rc = sqlite3_step(k->ins);
    if (id)
        *id = rc == SQLITE_ROW ? sqlite3_column_int64(k->ins, 0) : 0;
    if (rc == SQLITE_ROW)
        rc = sqlite3_step(k->ins);
    sqlite3_reset(k->ins);
    if (rc != SQLITE_DONE)
        return sql_fail(m, m->out, "inserting a row");
    return 0;
}

/*
 * Copy every row of @p table (children of the source row @p parent_id when
 * @p parent is set): a row equal to one in OUT (on @p key, or on all columns
 * but id and @p skip) is not copied and maps to that one; with @p map >= 0
 * the ids are recorded in m->map[map]. *copied counts the new rows.
 */
static int copy_table(struct merge *m, const char *table, const char *parent, int64_t parent_id,
                      const char *const *key, const char *const *skip, int dedupe, int map,
                      int *copied)
{
    struct copier k;
    int rc = copier_init(m, &k, table, parent, key, skip);
    if (rc)
        goto end;
    if (parent)
        sqlite3_bind_int64(k.sel, 1, parent_id);
    int step;
    while ((step = sqlite3_step(k.sel)) == SQLITE_ROW) {
        int64_t id = 0;
        if (dedupe && (rc = find_same(m, &k, &id)))
            goto end;
        if (!id) {
            if ((rc = insert_row(m, &k, &id)))
                goto end;
            if (copied)
                (*copied)++;
        }
        if (map >= 0 && k.id_col >= 0 &&
            idmap_put(&m->map[map], sqlite3_column_int64(k.sel, k.id_col), id)) {
            rc = vsr_error_set(m->err, -ENOMEM, "out of memory");
            goto end;
        }
    }
    if (step != SQLITE_DONE)
        rc = sql_fail(m, m->src, table);
end:
    copier_free(&k);
    return rc;
}

/* The quality rows of a run in a canonical order, for comparing two runs. */
static int quality_digest(struct merge *m, sqlite3 *db, const char *table, const char *order,
                          int64_t run_id, uint64_t *h)
{
    char sql[512];
    snprintf(sql, sizeof(sql), "SELECT * FROM \"%s\" WHERE run_id = ?1 ORDER BY %s", table,
             order);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return sql_fail(m, db, table);
    sqlite3_bind_int64(st, 1, run_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < sqlite3_column_count(st); i++) {
            const char *name = sqlite3_column_name(st, i);
            /* the metrics, not the run's id nor the frame times */
            if (!strcmp(name, "run_id") || !strcmp(name, "ms"))
                continue;
            int type = sqlite3_column_type(st, i);
            *h = vsr_fnv1a64(name, strlen(name) + 1, *h);
            *h = vsr_fnv1a64(&type, sizeof(type), *h);
            if (type == SQLITE_INTEGER) {
                int64_t v = sqlite3_column_int64(st, i);
                *h = vsr_fnv1a64(&v, sizeof(v), *h);
            } else if (type == SQLITE_FLOAT) {
                double v = sqlite3_column_double(st, i);
                *h = vsr_fnv1a64(&v, sizeof(v), *h);
            } else if (type != SQLITE_NULL) {
                *h = vsr_fnv1a64(sqlite3_column_blob(st, i),
                                 (size_t)sqlite3_column_bytes(st, i), *h);
            }
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return sql_fail(m, db, table);
    return 0;
}

static int run_digest(struct merge *m, sqlite3 *db, int64_t run_id, uint64_t *h)
{
    *h = VSR_FNV1A64_INIT;
    int rc = quality_digest(m, db, "run_clips", "clip", run_id, h);
    if (!rc)
        rc = quality_digest(m, db, "clip_scores", "clip, metric, channel", run_id, h);
    if (!rc)
        rc = quality_digest(m, db, "run_frames", "clip, frame", run_id, h);
    return rc ? rc
              : quality_digest(m, db, "frame_scores", "clip, frame, metric, channel", run_id,
                               h);
}

static const char *const RUN_CHILDREN[] = {
    "run_clips", "run_frames", "clip_scores", "frame_scores", "timings", "layer_profile", NULL};

/* Provenance of source run @p src_id, now OUT's @p out_id. */
static int provenance(struct merge *m, int64_t src_id, int64_t out_id)
{
    sqlite3_stmt *q = NULL, *ins = NULL;
    const char *sql =
        m->src_has_provenance
            ? "SELECT p.source_file, p.source_run_id, p.shard, p.node, p.hostname"
              " FROM run_provenance p WHERE p.run_id = ?1"
        : m->src_has_sessions
            ? "SELECT NULL, r.id, s.shard, coalesce(s.node, h.hostname), h.hostname"
              " FROM runs r LEFT JOIN hosts h ON h.id = r.host_id"
              /* the session of the run's process: same sweep and pid, on the
               * run's host when one is (a host record may name it otherwise) */
              " LEFT JOIN shard_sessions s ON s.sweep_id = r.sweep_id AND s.pid = r.pid"
              " WHERE r.id = ?1 ORDER BY s.hostname IS h.hostname DESC, s.id DESC LIMIT 1"
            : "SELECT NULL, r.id, NULL, h.hostname, h.hostname"
              " FROM runs r LEFT JOIN hosts h ON h.id = r.host_id WHERE r.id = ?1";
    int rc = sqlite3_prepare_v2(m->src, sql, -1, &q, NULL);
    if (rc != SQLITE_OK)
        return sql_fail(m, m->src, "reading provenance");
    sqlite3_bind_int64(q, 1, src_id);
    rc = sqlite3_prepare_v2(m->out,
                            "INSERT INTO run_provenance (run_id, source_file, source_run_id,"
                            " shard, node, hostname) VALUES (?1, coalesce(?2, ?7), ?3, ?4, ?5,"
                            " ?6)",
                            -1, &ins, NULL);
    int ret = 0;
    if (rc != SQLITE_OK) {
        ret = sql_fail(m, m->out, "recording provenance");
        goto end;
    }
    sqlite3_bind_int64(ins, 1, out_id);
    sqlite3_bind_text(ins, 7, m->in_path, -1, SQLITE_STATIC);
    sqlite3_bind_int64(ins, 3, src_id);
    if (sqlite3_step(q) == SQLITE_ROW) {
        sqlite3_bind_value(ins, 2, sqlite3_column_value(q, 0));
        sqlite3_bind_value(ins, 3, sqlite3_column_value(q, 1));
        sqlite3_bind_value(ins, 4, sqlite3_column_value(q, 2));
        sqlite3_bind_value(ins, 5, sqlite3_column_value(q, 3));
        sqlite3_bind_value(ins, 6, sqlite3_column_value(q, 4));
    }
    if (sqlite3_step(ins) != SQLITE_DONE)
        ret = sql_fail(m, m->out, "recording provenance");
end:
    sqlite3_finalize(q);
    sqlite3_finalize(ins);
    return ret;
}

/* The runs of the source with their children and provenance. */
static int copy_runs(struct merge *m, int *copied, int *dup, int *conflict, int *unfinished)
{
    static const char *const skip_none[] = {NULL};
    struct copier k;
    sqlite3_stmt *ok = NULL;
    int rc = copier_init(m, &k, "runs", NULL, NULL, skip_none);
    if (rc)
        goto end;
    int c_key = -1, c_hash = -1, c_status = -1;
    for (int i = 0; i < k.c.n; i++) {
        if (!strcmp(k.c.name[i], "run_key"))
            c_key = i;
        else if (!strcmp(k.c.name[i], "config_hash"))
            c_hash = i;
        else if (!strcmp(k.c.name[i], "status"))
            c_status = i;
    }
    if (k.id_col < 0 || c_key < 0 || c_hash < 0 || c_status < 0) {
        rc = vsr_error_set(m->err, -EINVAL, "%s: runs lacks id, run_key, config_hash or status",
                           m->in_path);
        goto end;
    }
    if (sqlite3_prepare_v2(m->out,
                           "SELECT id FROM runs WHERE run_key = ?1 AND config_hash = ?2"
                           " AND status = 'ok' ORDER BY id LIMIT 1",
                           -1, &ok, NULL) != SQLITE_OK) {
        rc = sql_fail(m, m->out, "runs");
        goto end;
    }
    int step;
    while ((step = sqlite3_step(k.sel)) == SQLITE_ROW) {
        int64_t src_id = sqlite3_column_int64(k.sel, k.id_col), id = 0;
        const char *key = (const char *)sqlite3_column_text(k.sel, c_key);
        const char *status = (const char *)sqlite3_column_text(k.sel, c_status);
        if (!status || !strcmp(status, "running") || !strcmp(status, "pending")) {
            (*unfinished)++;
            say(m,
                "%s: run %s (id %lld) is still '%s' (its process died or runs on): not "
                "merged; finish it with `vsrbench run --resume` on that file",
                m->in_path, key ? key : "?", (long long)src_id, status ? status : "?");
            continue;
        }
        if (!strcmp(status, "ok")) {
            sqlite3_reset(ok);
            sqlite3_bind_value(ok, 1, sqlite3_column_value(k.sel, c_key));
            sqlite3_bind_value(ok, 2, sqlite3_column_value(k.sel, c_hash));
            int s = sqlite3_step(ok);
            id = s == SQLITE_ROW ? sqlite3_column_int64(ok, 0) : 0;
            sqlite3_reset(ok);
            if (s != SQLITE_ROW && s != SQLITE_DONE) {
                rc = sql_fail(m, m->out, "runs");
                goto end;
            }
            if (id) {
                uint64_t a, b;
                if ((rc = run_digest(m, m->out, id, &a)) ||
                    (rc = run_digest(m, m->src, src_id, &b)))
                    goto end;
                if (a == b) {
                    (*dup)++;
                } else {
                    (*conflict)++;
                    say(m,
                        "conflict: run %s (config hash %s) of %s (id %lld) has other "
                        "metrics than the one already merged (id %lld); kept that one",
                        key, (const char *)sqlite3_column_text(k.sel, c_hash), m->in_path,
                        (long long)src_id, (long long)id);
                }
                continue;
            }
        } else { /* failed / skipped: only an identical row is a duplicate */
            if ((rc = find_same(m, &k, &id)))
                goto end;
            if (id) {
                (*dup)++;
                continue;
            }
        }
        if ((rc = insert_row(m, &k, &id)))
            goto end;
        (*copied)++;
        if (idmap_put(&m->map[MAP_RUN], src_id, id)) {
            rc = vsr_error_set(m->err, -ENOMEM, "out of memory");
            goto end;
        }
        for (int c = 0; RUN_CHILDREN[c]; c++)
            if ((rc =
                     copy_table(m, RUN_CHILDREN[c], "run_id", src_id, NULL, NULL, 0, -1, NULL)))
                goto end;
        if ((rc = provenance(m, src_id, id)))
            goto end;
    }
    if (step != SQLITE_DONE)
        rc = sql_fail(m, m->src, "runs");
end:
    sqlite3_finalize(ok);
    copier_free(&k);
    return rc;
}

/* Training runs (and their curves) not in OUT yet. */
static int copy_training(struct merge *m, int *copied)
{
    static const char *const skip_none[] = {NULL};
    struct copier k;
    int rc = copier_init(m, &k, "train_runs", NULL, NULL, skip_none);
    if (rc)
        goto end;
    int step;
    while ((step = sqlite3_step(k.sel)) == SQLITE_ROW) {
        int64_t src_id = sqlite3_column_int64(k.sel, k.id_col), id = 0;
        if ((rc = find_same(m, &k, &id)))
            goto end;
        if (id)
            continue;
        if ((rc = insert_row(m, &k, &id)))
            goto end;
        (*copied)++;
        if (idmap_put(&m->map[MAP_TRAIN], src_id, id)) {
            rc = vsr_error_set(m->err, -ENOMEM, "out of memory");
            goto end;
        }
        if ((rc = copy_table(m, "train_points", "train_run_id", src_id, NULL, NULL, 0, -1,
                             NULL)))
            goto end;
    }
    if (step != SQLITE_DONE)
        rc = sql_fail(m, m->src, "train_runs");
end:
    copier_free(&k);
    return rc;
}

/*
 * *@p db = a private temporary copy of the run log at @p path, migrated to
 * this build's schema. The file itself is only read.
 */
static int open_input(const char *path, sqlite3 **db, vsr_error *err)
{
    sqlite3 *src = NULL, *tmp = NULL;
    *db = NULL;
    struct stat stt;
    if (stat(path, &stt) != 0)
        return vsr_error_set(err, -ENOENT, "%s: no such run log (check the path)", path);
    int rc = sqlite3_open_v2(path, &src, SQLITE_OPEN_READONLY, NULL);
    int version = 0, ret = 0;
    if (rc != SQLITE_OK) {
        ret = vsr_error_set(err, -EIO, "%s: cannot open: %s", path,
                            src ? sqlite3_errmsg(src) : "out of memory");
        goto end;
    }
    sqlite3_busy_timeout(src, 10000);
    if ((ret = vsr_runlog_read_version(src, path, &version, err)))
        goto end;
    if (version == 0) {
        ret =
            vsr_error_set(err, -EINVAL, "%s: not a vsrbench run log (no schema version)", path);
        goto end;
    }
    if (sqlite3_open_v2("", &tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        ret = vsr_error_set(err, -ENOMEM, "cannot open a temporary database");
        goto end;
    }
    sqlite3_backup *b = sqlite3_backup_init(tmp, "main", src, "main");
    if (!b) {
        ret = vsr_error_set(err, -EIO, "%s: cannot copy: %s", path, sqlite3_errmsg(tmp));
        goto end;
    }
    rc = sqlite3_backup_step(b, -1);
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) {
        ret = vsr_error_set(err, -EIO, "%s: cannot copy: %s", path, sqlite3_errstr(rc));
        goto end;
    }
    if ((ret = vsr_runlog_migrate(tmp, path, vsr_runlog_schema_version(), err)))
        goto end;
    *db = tmp;
    tmp = NULL;
end:
    sqlite3_close(src);
    sqlite3_close(tmp);
    return ret;
}

static int merge_one(struct merge *m)
{
    static const char *const host_key[] = {"hostname", "cpu_model", "cpu_flags", "cores", NULL};
    static const char *const sweep_key[] = {"name", "config_hash", "config_text", "overrides",
                                            NULL};
    static const char *const skip_none[] = {NULL};
    /* a phone timing is one record of one imported file (schema v11) */
    static const char *const device_key[] = {"source_sha256", "source_line", NULL};
    int rc, runs = 0, dup = 0, conflict = 0, unfinished = 0, tune = 0, train = 0;
    m->src_has_sessions = has_rows(m->src, "shard_sessions");
    m->src_has_provenance = has_rows(m->src, "run_provenance");
    if ((rc = copy_table(m, "hosts", NULL, 0, host_key, NULL, 1, MAP_HOST, NULL)) ||
        (rc = copy_table(m, "sweeps", NULL, 0, sweep_key, NULL, 1, MAP_SWEEP, NULL)) ||
        (rc = copy_runs(m, &runs, &dup, &conflict, &unfinished)) ||
        (rc = copy_table(m, "tune_results", NULL, 0, NULL, skip_none, 1, -1, &tune)) ||
        (rc = copy_training(m, &train)) ||
        (rc = copy_table(m, "device_timings", NULL, 0, device_key, NULL, 1, -1, NULL)))
        return rc;
    vsr_runlog_merge_stats *s = m->stats;
    s->inputs++;
    s->runs_copied += runs;
    s->runs_duplicate += dup;
    s->runs_conflict += conflict;
    s->runs_unfinished += unfinished;
    s->tune_rows += tune;
    s->train_runs += train;
    say(m,
        "%s: %d run%s merged, %d duplicate, %d conflicting, %d unfinished; %d tune row%s, "
        "%d training run%s",
        m->in_path, runs, runs == 1 ? "" : "s", dup, conflict, unfinished, tune,
        tune == 1 ? "" : "s", train, train == 1 ? "" : "s");
    return 0;
}

int vsr_runlog_merge(const char *out_path, const char *const *inputs, int n_inputs,
                     vsr_runlog_merge_note_fn note, void *ctx, vsr_runlog_merge_stats *stats,
                     vsr_error *err)
{
    vsr_runlog_merge_stats dummy;
    if (!stats)
        stats = &dummy;
    memset(stats, 0, sizeof(*stats));
    if (n_inputs < 1)
        return vsr_error_set(err, -EINVAL, "nothing to merge: name at least one input run log");
    /* OUT must not be an input: it would read its own half-written rows */
    char out_real[PATH_MAX], in_real[PATH_MAX];
    int out_exists = realpath(out_path, out_real) != NULL;
    for (int i = 0; i < n_inputs; i++) {
        if (out_exists && realpath(inputs[i], in_real) && !strcmp(in_real, out_real))
            return vsr_error_set(err, -EINVAL,
                                 "%s is both the output and an input; merge into "
                                 "a new file",
                                 inputs[i]);
    }
    /* a new OUT is built under another name and renamed into place at the end */
    char build[PATH_MAX + 32];
    if (out_exists)
        snprintf(build, sizeof(build), "%s", out_path);
    else if (snprintf(build, sizeof(build), "%s.merging-%ld", out_path, (long)getpid()) >=
             (int)sizeof(build))
        return vsr_error_set(err, -ENAMETOOLONG, "%s: path too long", out_path);

    vsr_runlog *log = NULL;
    struct merge m = {
        .out_path = out_path, .stats = stats, .note = note, .ctx = ctx, .err = err};
    int rc = vsr_runlog_open(&log, build, err), in_txn = 0;
    if (rc)
        goto fail;
    m.out = vsr_runlog_sqlite(log);
    /* run_provenance is part of the schema since v10 */
    if (sqlite3_exec(m.out, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        m.in_path = "(none)";
        rc = sql_fail(&m, m.out, "starting the merge");
        goto fail;
    }
    in_txn = 1;
    for (int i = 0; i < n_inputs; i++) {
        m.in_path = inputs[i];
        if ((rc = open_input(inputs[i], &m.src, err)))
            goto fail;
        rc = merge_one(&m);
        sqlite3_close(m.src);
        m.src = NULL;
        for (int j = 0; j < MAP_COUNT; j++)
            idmap_free(&m.map[j]);
        if (rc)
            goto fail;
    }
    if (sqlite3_exec(m.out, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        m.in_path = "(all)";
        rc = sql_fail(&m, m.out, "committing");
        goto fail;
    }
    in_txn = 0;
    vsr_runlog_close(&log); /* checkpoints the WAL into the file */
    if (!out_exists && rename(build, out_path) != 0) {
        rc = vsr_error_set(err, -errno, "%s: cannot rename %s into place: %s", out_path, build,
                           strerror(errno));
        unlink(build);
        return rc;
    }
    return 0;
fail:
    if (in_txn)
        sqlite3_exec(m.out, "ROLLBACK", NULL, NULL, NULL);
    vsr_runlog_close(&log);
    for (int j = 0; j < MAP_COUNT; j++)
        idmap_free(&m.map[j]);
    if (!out_exists) {
        char side[PATH_MAX + 48];
        unlink(build);
        snprintf(side, sizeof(side), "%s-wal", build);
        unlink(side);
        snprintf(side, sizeof(side), "%s-shm", build);
        unlink(side);
    }
    return rc;
}
