/*
 * Phone timings brought back: TFLite benchmark_model logs and hand-typed CSV
 * (AI Benchmark figures) parsed into vsr_device_timing records (see
 * include/vsr/bench.h for the formats accepted).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsr/bench.h"

static void timing_clear(vsr_device_timing *t)
{
    memset(t, 0, sizeof(*t));
    t->init_us = t->first_us = t->warmup_avg_us = t->avg_us = NAN;
    t->min_us = t->max_us = t->std_us = t->median_us = t->p5_us = t->p95_us = NAN;
    t->count = -1;
    t->threads = -1;
}

/* One line of @p text from *pos (no terminator), copied NUL-terminated into
 * @p line (cut at cap - 1); returns 0 at the end of the text. */
static int next_line(const char *text, size_t len, size_t *pos, char *line, size_t cap,
                     int *truncated)
{
    if (*pos >= len)
        return 0;
    size_t start = *pos, end = start;
    while (end < len && text[end] != '\n')
        end++;
    *pos = end < len ? end + 1 : end;
    size_t n = end - start;
    if (n && text[start + n - 1] == '\r')
        n--;
    *truncated = n >= cap;
    if (n >= cap)
        n = cap - 1;
    memcpy(line, text + start, n);
    line[n] = 0;
    return 1;
}

/* The number right after @p key in @p line ("min=" -> 123.4); 1 when found,
 * 0 when the key is absent, -1 when it is there without a valid number. */
static int number_after(const char *line, const char *key, double *out)
{
    const char *p = line;
    size_t kl = strlen(key);
    for (;;) {
        p = strstr(p, key);
        if (!p)
            return 0;
        /* "count=" must not match "account="; keys that start with a letter
         * need a word boundary before them */
        if (p == line || !isalnum((unsigned char)key[0]) || !isalnum((unsigned char)p[-1]))
            break;
        p += kl;
    }
    p += kl;
    while (*p == ' ')
        p++;
    char *end;
    errno = 0;
    double v = strtod(p, &end);
    if (end == p || errno || !isfinite(v) || v < 0)
        return -1;
    *out = v;
    return 1;
}

static int bad_number(int line_no, const char *key, vsr_error *err)
{
    return vsr_error_set(err, -EINVAL,
                         "line %d: '%s' is not followed by a non-negative number: is this "
                         "unedited benchmark_model output?",
                         line_no, key);
}

/* The text between "[" and "]" after @p key ("Graph: [m.tflite]"), or NULL. */
static const char *bracketed(const char *line, const char *key, char *out, size_t cap)
{
    const char *p = strstr(line, key);
    if (!p)
        return NULL;
    p += strlen(key);
    while (*p == ' ')
        p++;
    if (*p != '[')
        return NULL;
    const char *q = strchr(++p, ']');
    if (!q)
        return NULL;
    size_t n = (size_t)(q - p);
    if (n >= cap)
        n = cap - 1;
    memcpy(out, p, n);
    out[n] = 0;
    return out;
}

static int grow(vsr_device_timing **rows, int *cap, int n, vsr_error *err)
{
    if (n < *cap)
        return 0;
    int nc = *cap ? *cap * 2 : 4;
    if (nc > VSR_DEVICE_MAX_RECORDS)
        nc = VSR_DEVICE_MAX_RECORDS;
    if (n >= nc)
        return vsr_error_set(err, -E2BIG, "more than %d timing records in one file",
                             VSR_DEVICE_MAX_RECORDS);
    vsr_device_timing *r = realloc(*rows, (size_t)nc * sizeof(**rows));
    if (!r)
        return vsr_error_set(err, -ENOMEM, "out of memory for %d timing records", nc);
    *rows = r;
    *cap = nc;
    return 0;
}

int vsr_device_parse_benchmark_model(const char *text, size_t len, vsr_device_timing **out,
                                     int *n_out, vsr_error *err)
{
    *out = NULL;
    *n_out = 0;
    vsr_device_timing cur, *rows = NULL;
    timing_clear(&cur);
    int n = 0, cap = 0, line_no = 0, truncated;
    size_t pos = 0;
    char line[1024], tmp[sizeof(cur.graph)];
    while (next_line(text, len, &pos, line, sizeof(line), &truncated)) {
        line_no++;
        if (bracketed(line, "Graph:", tmp, sizeof(tmp))) {
            const char *base = strrchr(tmp, '/');
            snprintf(cur.graph, sizeof(cur.graph), "%s", base ? base + 1 : tmp);
            continue;
        }
        if (bracketed(line, "Num threads:", tmp, sizeof(tmp)) ||
            bracketed(line, "#threads used for CPU inference:", tmp, sizeof(tmp))) {
            long t;
            if (vsr_parse_long(tmp, 0, 4096, &t, "threads", err) < 0) {
                free(rows);
                return vsr_error_set(err, -EINVAL, "line %d: thread count '%s' is not 0..4096",
                                     line_no, tmp);
            }
            cur.threads = (int)t;
            continue;
        }
        if (strstr(line, "count=") && strstr(line, "avg=")) {
            /* the statistics of one benchmark phase; the last such line
             * before the summary is the measured (non-warm-up) phase */
            static const char *const keys[] = {
                "count=", "min=", "max=", "avg=", "std=", "median=", "p5=", "p95="};
            double v[8];
            for (int k = 0; k < 8; k++) {
                v[k] = NAN;
                int r = number_after(line, keys[k], &v[k]);
                if (r < 0) {
                    free(rows);
                    return bad_number(line_no, keys[k], err);
                }
            }
            if (!isnan(v[0]) && (v[0] > 1e15 || v[0] != floor(v[0]))) {
                free(rows);
                return vsr_error_set(err, -EINVAL, "line %d: count=%g is not a whole number",
                                     line_no, v[0]);
            }
            cur.count = isnan(v[0]) ? -1 : (long)v[0];
            cur.min_us = v[1];
            cur.max_us = v[2];
            cur.std_us = v[4];
            cur.median_us = v[5];
            cur.p5_us = v[6];
            cur.p95_us = v[7];
            continue;
        }
        if (!strstr(line, "Inference timings in us:"))
            continue;
        if (truncated) {
            free(rows);
            return vsr_error_set(err, -EINVAL, "line %d: longer than %zu bytes", line_no,
                                 sizeof(line) - 1);
        }
        static const char *const keys[] = {
            "Init:", "First inference:", "Warmup (avg):", "Inference (avg):"};
        double *dst[] = {&cur.init_us, &cur.first_us, &cur.warmup_avg_us, &cur.avg_us};
        for (int k = 0; k < 4; k++) {
            int r = number_after(line, keys[k], dst[k]);
            if (r <= 0) {
                free(rows);
                return r < 0 ? bad_number(line_no, keys[k], err)
                             : vsr_error_set(err, -EINVAL,
                                             "line %d: the 'Inference timings in us:' line "
                                             "has no '%s': is this unedited benchmark_model "
                                             "output?",
                                             line_no, keys[k]);
            }
        }
        cur.source_line = line_no;
        int rc = grow(&rows, &cap, n, err);
        if (rc < 0) {
            free(rows);
            return rc;
        }
        rows[n++] = cur;
        /* the next benchmark in the same file starts afresh: nothing of
         * this one (graph, threads, statistics) carries over */
        timing_clear(&cur);
    }
    if (!n)
        return vsr_error_set(err, -EINVAL,
                             "no 'Inference timings in us:' line: not TFLite benchmark_model "
                             "output (for figures typed by hand use a .csv: model,ms,...)");
    *out = rows;
    *n_out = n;
    return 0;
}

/* ---- CSV ------------------------------------------------------------------ */

enum { CSV_MAX_FIELDS = 16 };

/* Split @p line in place at commas; fields may be "double-quoted" (with ""
 * for a quote). Returns the field count or -1 on an unterminated quote. */
static int csv_split(char *line, char **field, int cap)
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == cap)
            return cap + 1;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '"') {
            char *w = ++p, *s = p;
            for (;;) {
                if (!*p)
                    return -1;
                if (*p == '"' && p[1] == '"') {
                    *w++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *w++ = *p++;
                }
            }
            *w = 0;
            field[n++] = s;
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p && *p != ',')
                return -1;
        } else {
            field[n++] = p;
            while (*p && *p != ',')
                p++;
            char *e = p;
            while (e > field[n - 1] && (e[-1] == ' ' || e[-1] == '\t'))
                e--;
            if (*p == ',') {
                *e = 0;
                p++;
                continue;
            }
            *e = 0;
        }
        if (!*p)
            return n;
        p++; /* the comma after a quoted field */
    }
}

/* The CSV columns: name, where the value goes, and its unit factor to us. */
enum col {
    C_MODEL,
    C_MS,
    C_DEVICE,
    C_BACKEND,
    C_PRECISION,
    C_VARIANT,
    C_INIT_MS,
    C_STD_MS,
    C_COUNT,
    C_THREADS,
    C_N
};
static const char *const col_name[C_N] = {"model",     "ms",      "device",  "backend",
                                          "precision", "variant", "init_ms", "std_ms",
                                          "count",     "threads"};

int vsr_device_parse_csv(const char *text, size_t len, vsr_device_timing **out, int *n_out,
                         vsr_error *err)
{
    *out = NULL;
    *n_out = 0;
    vsr_device_timing *rows = NULL;
    int n = 0, cap = 0, line_no = 0, truncated, col_of[CSV_MAX_FIELDS], n_cols = -1;
    size_t pos = 0;
    char line[1024];
    char *f[CSV_MAX_FIELDS];
    int rc = 0;
    while (next_line(text, len, &pos, line, sizeof(line), &truncated)) {
        line_no++;
        const char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s || *s == '#')
            continue;
        if (truncated) {
            rc = vsr_error_set(err, -EINVAL, "line %d: longer than %zu bytes", line_no,
                               sizeof(line) - 1);
            goto fail;
        }
        int nf = csv_split(line, f, CSV_MAX_FIELDS);
        if (nf < 0 || nf > CSV_MAX_FIELDS) {
            rc = vsr_error_set(err, -EINVAL,
                               nf < 0 ? "line %d: a quoted field is not closed"
                                      : "line %d: more than %d columns",
                               line_no, CSV_MAX_FIELDS);
            goto fail;
        }
        if (n_cols < 0) { /* the header */
            int seen[C_N] = {0};
            for (int i = 0; i < nf; i++) {
                col_of[i] = -1;
                for (int c = 0; c < C_N; c++)
                    if (!strcmp(f[i], col_name[c]))
                        col_of[i] = c;
                if (col_of[i] < 0) {
                    rc = vsr_error_set(err, -EINVAL,
                                       "line %d: unknown column '%s' (columns: model, ms, and "
                                       "optionally device, backend, precision, variant, "
                                       "init_ms, std_ms, count, threads)",
                                       line_no, f[i]);
                    goto fail;
                }
                if (seen[col_of[i]]++) {
                    rc = vsr_error_set(err, -EINVAL, "line %d: column '%s' twice", line_no,
                                       f[i]);
                    goto fail;
                }
            }
            if (!seen[C_MODEL] || !seen[C_MS]) {
                rc = vsr_error_set(err, -EINVAL,
                                   "line %d: the header needs the columns 'model' and 'ms' "
                                   "(milliseconds per inference)",
                                   line_no);
                goto fail;
            }
            n_cols = nf;
            continue;
        }
        if (nf != n_cols) {
            rc = vsr_error_set(err, -EINVAL, "line %d: %d fields, the header has %d", line_no,
                               nf, n_cols);
            goto fail;
        }
        if ((rc = grow(&rows, &cap, n, err)) < 0)
            goto fail;
        vsr_device_timing *t = &rows[n];
        timing_clear(t);
        t->source_line = line_no;
        for (int i = 0; i < nf; i++) {
            double v;
            long l;
            switch (col_of[i]) {
            case C_MODEL:
            case C_DEVICE:
            case C_BACKEND:
            case C_PRECISION:
            case C_VARIANT: {
                char *dst = col_of[i] == C_MODEL       ? t->model
                            : col_of[i] == C_DEVICE    ? t->device
                            : col_of[i] == C_BACKEND   ? t->backend
                            : col_of[i] == C_PRECISION ? t->precision
                                                       : t->variant;
                size_t cap = col_of[i] == C_PRECISION ? sizeof(t->precision)
                             : col_of[i] == C_VARIANT ? sizeof(t->variant)
                                                      : VSR_DEVICE_NAME_MAX;
                if (strlen(f[i]) >= cap) {
                    rc = vsr_error_set(err, -EINVAL, "line %d: %s longer than %zu characters",
                                       line_no, col_name[col_of[i]], cap - 1);
                    goto fail;
                }
                strcpy(dst, f[i]);
                break;
            }
            case C_MS:
            case C_INIT_MS:
            case C_STD_MS:
                if (!*f[i] && col_of[i] != C_MS)
                    break; /* optional figure left empty */
                if (vsr_parse_double(f[i], 0, 1e9, &v, col_name[col_of[i]], err) < 0) {
                    rc = vsr_error_set(err, -EINVAL,
                                       "line %d: %s '%s' is not a number of milliseconds",
                                       line_no, col_name[col_of[i]], f[i]);
                    goto fail;
                }
                *(col_of[i] == C_MS        ? &t->avg_us
                  : col_of[i] == C_INIT_MS ? &t->init_us
                                           : &t->std_us) = v * 1000;
                break;
            case C_COUNT:
            case C_THREADS:
                if (!*f[i])
                    break;
                if (vsr_parse_long(f[i], 0, col_of[i] == C_COUNT ? 1000000000L : 4096, &l,
                                   col_name[col_of[i]], err) < 0) {
                    rc = vsr_error_set(err, -EINVAL, "line %d: %s '%s' is not a count", line_no,
                                       col_name[col_of[i]], f[i]);
                    goto fail;
                }
                if (col_of[i] == C_COUNT)
                    t->count = l;
                else
                    t->threads = (int)l;
                break;
            }
        }
        if (!t->model[0]) {
            rc = vsr_error_set(err, -EINVAL, "line %d: the model is empty", line_no);
            goto fail;
        }
        n++;
    }
    if (n_cols < 0 || !n) {
        rc = vsr_error_set(err, -EINVAL,
                           n_cols < 0 ? "no header line (model,ms,...)"
                                      : "a header but no timing rows");
        goto fail;
    }
    *out = rows;
    *n_out = n;
    return 0;
fail:
    free(rows);
    return rc;
}
