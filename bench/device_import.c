/*
 * Phone timings into the run log: a benchmark_model log or a hand-typed CSV
 * (parsed by bench/device.c) becomes rows of device_timings (schema v11),
 * one transaction per file, keyed by the file's sha256 so that importing it
 * again adds nothing.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sqlite3.h>

#include "runlog_internal.h"
#include "vsr/bench.h"
#include "vsr/datasets.h"

/* benchmark_model logs and CSV files bigger than this are not timings */
enum { DEVICE_FILE_MAX = 64 << 20 };

static const char *const precisions[] = {"fp32", "fp16", "int8"};

/* @p s as one of precisions[] (case-insensitive), or NULL. */
static const char *known_precision(const char *s)
{
    for (size_t i = 0; i < sizeof(precisions) / sizeof(precisions[0]); i++)
        if (!strcasecmp(s, precisions[i]))
            return precisions[i];
    return NULL;
}

/* Model and precision from a graph path "dir/ABPN_int8.tflite" (or
 * "ABPN-int8.tflite"): 1 when the name has that form. */
static int names_from_graph(const char *graph, char *model, size_t mcap, char *prec,
                            size_t pcap)
{
    const char *base = strrchr(graph, '/');
    base = base ? base + 1 : graph;
    char name[256];
    snprintf(name, sizeof(name), "%s", base);
    char *dot = strrchr(name, '.');
    if (dot && !strcasecmp(dot, ".tflite"))
        *dot = 0;
    char *sep = strrchr(name, '_');
    char *dash = strrchr(name, '-');
    if (!sep || (dash && dash > sep))
        sep = dash;
    if (!sep || sep == name || !known_precision(sep + 1))
        return 0;
    snprintf(prec, pcap, "%s", known_precision(sep + 1));
    *sep = 0;
    size_t n = strlen(name);
    if (n >= mcap)
        return 0;
    memcpy(model, name, n + 1);
    return 1;
}

static int is_csv(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot && !strcasecmp(dot, ".csv");
}

static const char *opt(const char *s)
{
    return s && s[0] ? s : NULL;
}

/* The names of record @p t after @p o; -EINVAL naming what is missing. */
static int resolve(const vsr_device_timing *t, const vsr_device_import_opts *o, char *device,
                   char *backend, char *model, char *variant, char *prec, vsr_error *err)
{
    const size_t cap = VSR_DEVICE_NAME_MAX;
    snprintf(device, cap, "%s", opt(o->device) ? o->device : t->device);
    snprintf(backend, cap, "%s", opt(o->backend) ? o->backend : t->backend);
    snprintf(variant, cap, "%s", opt(o->variant) ? o->variant : t->variant);
    char gm[VSR_DEVICE_NAME_MAX] = "", gp[16] = "";
    if (t->graph[0])
        names_from_graph(t->graph, gm, sizeof(gm), gp, sizeof(gp));
    snprintf(model, cap, "%s", opt(o->model) ? o->model : t->model[0] ? t->model : gm);
    const char *p = opt(o->precision) ? o->precision : t->precision[0] ? t->precision : gp;
    if (!device[0])
        return vsr_error_set(err, -EINVAL,
                             "line %d: no device name: pass --device NAME (or a 'device' "
                             "column)",
                             t->source_line);
    if (!model[0])
        return vsr_error_set(
            err, -EINVAL,
            "line %d: no model name (graph '%s' is not MODEL_PRECISION.tflite): "
            "pass --model NAME --precision P",
            t->source_line, t->graph);
    if (!p[0])
        return vsr_error_set(err, -EINVAL,
                             "line %d: no precision for model '%s': pass --precision "
                             "fp32|fp16|int8 (or a 'precision' column)",
                             t->source_line, model);
    const char *k = known_precision(p);
    if (!k)
        return vsr_error_set(err, -EINVAL,
                             "line %d: precision '%s' is not one of fp32, fp16, int8",
                             t->source_line, p);
    snprintf(prec, 16, "%s", k);
    return 0;
}

static void bind_ms(sqlite3_stmt *st, int i, double us)
{
    if (isnan(us))
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_double(st, i, us / 1000.0);
}

static int sql_fail(sqlite3 *db, const char *path, const char *what, vsr_error *err)
{
    return vsr_error_set(err, -EIO, "%s: %s: %s", path, what, sqlite3_errmsg(db));
}

int vsr_device_import(vsr_runlog *log, const char *path, const vsr_device_import_opts *o,
                      vsr_device_import_stats *stats, vsr_error *err)
{
    static const vsr_device_import_opts none = {0};
    vsr_device_import_stats local = {0};
    vsr_device_import_stats *s = stats ? stats : &local;
    memset(s, 0, sizeof(*s));
    if (!o)
        o = &none;
    uint8_t *text = NULL;
    size_t len = 0;
    vsr_device_timing *t = NULL;
    int n = 0, rc;
    if ((rc = vsr_read_file(path, DEVICE_FILE_MAX, 0, &text, &len, err)) < 0)
        return rc;
    if ((rc = vsr_sha256_file(path, s->sha256, err)) < 0)
        goto done;
    rc = is_csv(path) ? vsr_device_parse_csv((const char *)text, len, &t, &n, err)
                      : vsr_device_parse_benchmark_model((const char *)text, len, &t, &n, err);
    if (rc < 0) {
        char msg[sizeof(err->msg)];
        snprintf(msg, sizeof(msg), "%s", err->msg);
        rc = vsr_error_set(err, rc, "%s: %s", path, msg);
        goto done;
    }
    s->records = n;
    /* every record's names first: a bad one adds nothing */
    char(*names)[5][VSR_DEVICE_NAME_MAX] = calloc((size_t)n, sizeof(*names));
    if (!names) {
        rc = vsr_error_set(err, -ENOMEM, "%s: out of memory", path);
        goto done;
    }
    for (int i = 0; i < n && !rc; i++)
        if ((rc = resolve(&t[i], o, names[i][0], names[i][1], names[i][2], names[i][3],
                          names[i][4], err)) < 0) {
            char msg[sizeof(err->msg)];
            snprintf(msg, sizeof(msg), "%s", err->msg);
            rc = vsr_error_set(err, rc, "%s: %s", path, msg);
        }
    if (rc < 0) {
        free(names);
        goto done;
    }
    sqlite3 *db = vsr_runlog_sqlite(log);
    sqlite3_stmt *ins = NULL, *runs = NULL;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        rc = sql_fail(db, path, "starting the import", err);
        free(names);
        goto done;
    }
    if (sqlite3_prepare_v2(
            db,
            "INSERT INTO device_timings (device, backend, model, variant, precision, graph,"
            " threads, count, init_ms, first_ms, warmup_ms, mean_ms, std_ms, min_ms, max_ms,"
            " median_ms, p5_ms, p95_ms, source_file, source_sha256, source_line) VALUES"
            " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
            " ?18, ?19, ?20, ?21) ON CONFLICT (source_sha256, source_line) DO NOTHING",
            -1, &ins, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT count(DISTINCT v.run_id) FROM run_device_timings v"
                           " JOIN runs r ON r.id = v.run_id"
                           " WHERE v.source_sha256 = ?1 AND r.status = 'ok'",
                           -1, &runs, NULL) != SQLITE_OK) {
        rc = sql_fail(db, path, "preparing the import (a run log older than v11?)", err);
        goto rollback;
    }
    for (int i = 0; i < n; i++) {
        const vsr_device_timing *r = &t[i];
        sqlite3_reset(ins);
        for (int k = 0; k < 5; k++)
            sqlite3_bind_text(ins, 1 + k, names[i][k], -1, SQLITE_STATIC);
        if (r->graph[0])
            sqlite3_bind_text(ins, 6, r->graph, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(ins, 6);
        if (r->threads >= 0)
            sqlite3_bind_int(ins, 7, r->threads);
        else
            sqlite3_bind_null(ins, 7);
        if (r->count >= 0)
            sqlite3_bind_int64(ins, 8, r->count);
        else
            sqlite3_bind_null(ins, 8);
        const double us[] = {r->init_us, r->first_us, r->warmup_avg_us, r->avg_us, r->std_us,
                             r->min_us,  r->max_us,   r->median_us,     r->p5_us,  r->p95_us};
        for (int k = 0; k < 10; k++)
            bind_ms(ins, 9 + k, us[k]);
        sqlite3_bind_text(ins, 19, path, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 20, s->sha256, -1, SQLITE_STATIC);
        sqlite3_bind_int(ins, 21, r->source_line);
        if (sqlite3_step(ins) != SQLITE_DONE) {
            rc = sql_fail(db, path, "storing a device timing", err);
            goto rollback;
        }
        if (sqlite3_changes(db) > 0)
            s->added++;
        else
            s->duplicate++;
    }
    sqlite3_bind_text(runs, 1, s->sha256, -1, SQLITE_STATIC);
    if (sqlite3_step(runs) != SQLITE_ROW) {
        rc = sql_fail(db, path, "linking the timings to runs", err);
        goto rollback;
    }
    s->runs = sqlite3_column_int(runs, 0);
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        rc = sql_fail(db, path, "committing the import", err);
        goto rollback;
    }
    goto stmts;
rollback:
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    s->added = s->duplicate = s->runs = 0;
stmts:
    sqlite3_finalize(ins);
    sqlite3_finalize(runs);
    free(names);
done:
    free(t);
    free(text);
    return rc;
}
