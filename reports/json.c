/*
 * JSON output through Jansson: numbers with the project's conventions, the
 * VMAF-style per-frame block, report tables, and atomic file writes
 * (report.json, `vsrbench run --json`, `vsrbench eval --format json`).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "reports_internal.h"
#include "vsr/metrics.h"

/* Reals: 15 significant digits print a value rounded to <= 6 decimals
 * exactly as "%.6f" would, without the noise digits of %.17g. */
#define JSON_FLAGS (JSON_INDENT(2) | JSON_REAL_PRECISION(15))

json_t *vsr_report_json_num(double v, int decimals)
{
    if (isnan(v))
        return json_null();
    if (isinf(v))
        return json_string(v > 0 ? "inf" : "-inf");
    double s = pow(10.0, decimals);
    double r = round(v * s) / s;
    return json_real(isfinite(r) ? r : v); /* huge values: as they are */
}

json_t *vsr_report_json_str(const char *s)
{
    json_t *j = json_string(s);
    if (j || !s)
        return j;
    /* not UTF-8 (a file name in another encoding): each byte >= 0x80 -> '?' */
    char *c = strdup(s);
    if (!c)
        return NULL;
    for (char *p = c; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    j = json_string(c);
    free(c);
    return j;
}

/* obj[key] = @p v (stolen); 0 or -ENOMEM (v is released either way). */
static int put(json_t *obj, const char *key, json_t *v)
{
    return v && json_object_set_new(obj, key, v) == 0 ? 0 : -ENOMEM;
}

int vsr_report_json_frames(json_t *obj, const double *v, int n, int nm,
                           const char *const *names, int decimals, vsr_error *err)
{
    json_t *frames = json_array(), *pooled = json_object();
    int rc = frames && pooled ? 0 : -ENOMEM;
    for (int i = 0; i < n && !rc; i++) {
        json_t *f = json_object(), *m = json_object();
        rc = f && m ? 0 : -ENOMEM;
        for (int k = 0; k < nm && !rc; k++)
            if (!isnan(v[(size_t)i * nm + k]))
                rc = put(m, names[k], vsr_report_json_num(v[(size_t)i * nm + k], decimals));
        if (!rc)
            rc = put(f, "frameNum", json_integer(i));
        if (!rc) {
            rc = put(f, "metrics", m);
            m = NULL;
        }
        if (!rc) {
            rc = json_array_append_new(frames, f) ? -ENOMEM : 0;
            f = NULL;
        }
        json_decref(f);
        json_decref(m);
    }
    for (int k = 0; k < nm && !rc; k++) {
        vsr_metric_stats st;
        vsr_metrics_stats_init(&st);
        for (int i = 0; i < n; i++)
            vsr_metrics_stats_add(&st, v[(size_t)i * nm + k]);
        if (st.n + st.n_inf == 0)
            continue; /* not computed for any frame */
        json_t *p = json_object();
        rc = p ? 0 : -ENOMEM;
        if (!rc)
            rc = put(p, "min", vsr_report_json_num(st.min, decimals));
        if (!rc)
            rc = put(p, "max", vsr_report_json_num(st.max, decimals));
        if (!rc)
            rc = put(p, "mean", vsr_report_json_num(vsr_metrics_stats_mean(&st), decimals));
        if (!rc)
            rc = put(p, "n", json_integer(st.n));
        if (!rc)
            rc = put(p, "n_inf", json_integer(st.n_inf));
        if (!rc) {
            rc = put(pooled, names[k], p);
            p = NULL;
        }
        json_decref(p);
    }
    if (!rc) {
        rc = put(obj, "frames", frames);
        frames = NULL;
    }
    if (!rc) {
        rc = put(obj, "pooled_metrics", pooled);
        pooled = NULL;
    }
    json_decref(frames);
    json_decref(pooled);
    return rc ? vsr_error_set(err, rc, "JSON: out of memory") : 0;
}

json_t *vsr_report_json_table(const vsr_report_table *t)
{
    json_t *o = json_object(), *cols = json_array(), *rows = json_array();
    /* the headers as JSON strings: keys of the row objects, valid UTF-8 */
    json_t **hdr = calloc((size_t)(t->ncols > 0 ? t->ncols : 1), sizeof(*hdr));
    int rc = o && cols && rows && hdr ? 0 : -ENOMEM;
    for (int c = 0; c < t->ncols && !rc; c++)
        rc = (hdr[c] = vsr_report_json_str(t->headers[c])) ? 0 : -ENOMEM;
    if (!rc)
        rc = put(o, "id", vsr_report_json_str(t->id));
    if (!rc)
        rc = put(o, "title", vsr_report_json_str(t->title));
    if (!rc)
        rc = put(o, "note", t->note ? vsr_report_json_str(t->note) : json_null());
    for (int c = 0; c < t->ncols && !rc; c++) {
        json_t *col = json_pack("{s:O, s:b}", "name", hdr[c], "numeric", t->numeric[c]);
        rc = col && json_array_append_new(cols, col) == 0 ? 0 : -ENOMEM;
    }
    for (size_t r = 0; r < t->nrows && !rc; r++) {
        json_t *row = json_object(), *cells = json_object(), *vals = json_object(),
               *best = json_array();
        rc = row && cells && vals && best ? 0 : -ENOMEM;
        for (int c = 0; c < t->ncols && !rc; c++) {
            size_t i = r * (size_t)t->ncols + (size_t)c;
            const char *key = json_string_value(hdr[c]);
            rc = put(cells, key, vsr_report_json_str(t->cells[i] ? t->cells[i] : ""));
            if (!rc && t->numeric[c]) /* the raw sort key: no display rounding */
                rc = put(vals, key,
                         isnan(t->keys[i])   ? json_null()
                         : isinf(t->keys[i]) ? json_string(t->keys[i] > 0 ? "inf" : "-inf")
                                             : json_real(t->keys[i]));
            if (!rc && t->best[i])
                rc = json_array_append(best, hdr[c]) ? -ENOMEM : 0;
        }
        if (!rc)
            rc = json_object_set(row, "cells", cells) || json_object_set(row, "values", vals) ||
                         json_object_set(row, "best", best) || json_array_append(rows, row)
                     ? -ENOMEM
                     : 0;
        json_decref(row);
        json_decref(cells);
        json_decref(vals);
        json_decref(best);
    }
    if (!rc)
        rc = json_object_set(o, "columns", cols) || json_object_set(o, "rows", rows) ? -ENOMEM
                                                                                     : 0;
    json_decref(cols);
    json_decref(rows);
    for (int c = 0; hdr && c < t->ncols; c++)
        json_decref(hdr[c]);
    free(hdr);
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* json_dump_callback() sink: append to a FILE. */
static int to_file(const char *buf, size_t size, void *data)
{
    return fwrite(buf, 1, size, data) == size ? 0 : -1;
}

int vsr_report_json_write(const json_t *doc, const char *path, vsr_error *err)
{
    if (!strcmp(path, "-")) {
        if (json_dump_callback(doc, to_file, stdout, JSON_FLAGS) || fputc('\n', stdout) == EOF)
            return vsr_error_set(err, -EIO, "JSON: cannot write to stdout");
        return fflush(stdout) == 0 ? 0
                                   : vsr_error_set(err, -EIO, "JSON: cannot write to stdout");
    }
    vsr_atomic_file af;
    int rc = vsr_atomic_open(&af, path, err);
    if (rc)
        return rc;
    if (json_dump_callback(doc, to_file, af.f, JSON_FLAGS) || fputc('\n', af.f) == EOF) {
        /* the write error itself (ENOSPC...) is named by the commit below
         * when it is sticky on the stream; else a generic one */
        int e = ferror(af.f) && errno ? errno : EIO;
        vsr_atomic_abort(&af);
        return vsr_error_set(err, -e, "%s: write failed: %s", path, strerror(e));
    }
    return vsr_atomic_commit(&af, err);
}

int vsr_report_json_tables(const char *path, const char *db, const vsr_report_table *const *t,
                           size_t n, vsr_error *err)
{
    json_t *doc = json_object(), *arr = json_array();
    int rc = doc && arr ? 0 : -ENOMEM;
    if (!rc)
        rc = put(doc, "version", json_string("vsrbench report"));
    if (!rc)
        rc = put(doc, "db", vsr_report_json_str(db));
    for (size_t i = 0; i < n && !rc; i++) {
        json_t *one = vsr_report_json_table(t[i]);
        rc = one && json_array_append_new(arr, one) == 0 ? 0 : -ENOMEM;
    }
    if (!rc) {
        rc = put(doc, "tables", arr);
        arr = NULL;
    }
    json_decref(arr);
    if (rc)
        vsr_error_set(err, rc, "%s: out of memory", path);
    else
        rc = vsr_report_json_write(doc, path, err);
    json_decref(doc);
    return rc;
}
