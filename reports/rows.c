/* The in-memory row model: init, growable array, --filter. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsr/reports.h"

void vsr_report_row_init(vsr_report_row *row)
{
    memset(row, 0, sizeof(*row));
    row->psnr = row->ssim = row->niqe = NAN;
    row->params = row->macs = NAN;
    row->ms_median = row->ms_p95 = row->ms_lo = row->ms_hi = NAN;
    row->noisy = 0;
    row->threads = row->tile = row->pad = -1;
    row->params_log = row->flops_log = row->macs_180x320 = row->macs_256x256 = NAN;
    row->conv_activations = row->n_conv = row->peak_bytes = NAN;
}

int vsr_report_rows_push(vsr_report_rows *rows, const vsr_report_row *row, vsr_error *err)
{
    if (rows->n == rows->cap) {
        size_t cap = rows->cap ? rows->cap * 2 : 16;
        vsr_report_row *v = realloc(rows->v, cap * sizeof(*v));
        if (!v)
            return vsr_error_set(err, -ENOMEM, "report rows: out of memory at %zu rows",
                                 rows->n);
        rows->v = v;
        rows->cap = cap;
    }
    rows->v[rows->n++] = *row;
    return 0;
}

void vsr_report_rows_free(vsr_report_rows *rows)
{
    free(rows->v);
    rows->v = NULL;
    rows->n = rows->cap = 0;
}

/* The value of filter key @p key for @p r, printed into @p buf. NULL: unknown key. */
static const char *row_field(const vsr_report_row *r, const char *key, char *buf, size_t cap)
{
    if (!strcmp(key, "model"))
        return r->model;
    if (!strcmp(key, "variant"))
        return r->variant;
    if (!strcmp(key, "precision"))
        return r->precision;
    if (!strcmp(key, "dataset"))
        return r->dataset;
    if (!strcmp(key, "channel"))
        return r->channel;
    if (!strcmp(key, "degradation"))
        return r->degradation;
    if (!strcmp(key, "sweep"))
        return r->sweep;
    if (!strcmp(key, "host"))
        return r->host;
    int v;
    if (!strcmp(key, "threads"))
        v = r->threads;
    else if (!strcmp(key, "tile"))
        v = r->tile;
    else if (!strcmp(key, "pad"))
        v = r->pad;
    else
        return NULL;
    snprintf(buf, cap, "%d", v);
    return buf;
}

/* 1 when @p value equals one of the '|'-separated alternatives (case-insensitive). */
static int value_matches(const char *value, const char *alts, size_t altlen)
{
    const char *p = alts, *end = alts + altlen;
    while (p <= end) {
        const char *bar = memchr(p, '|', (size_t)(end - p));
        size_t len = bar ? (size_t)(bar - p) : (size_t)(end - p);
        if (strlen(value) == len) {
            size_t i = 0;
            for (; i < len; i++) {
                char a = value[i], b = p[i];
                if (a >= 'A' && a <= 'Z')
                    a = (char)(a - 'A' + 'a');
                if (b >= 'A' && b <= 'Z')
                    b = (char)(b - 'A' + 'a');
                if (a != b)
                    break;
            }
            if (i == len)
                return 1;
        }
        if (!bar)
            break;
        p = bar + 1;
    }
    return 0;
}

int vsr_report_rows_filter(vsr_report_rows *rows, const char *filter, vsr_error *err)
{
    if (!filter || !*filter)
        return 0;
    /* Validate every pair first so a bad filter leaves the rows untouched. */
    vsr_report_row probe;
    vsr_report_row_init(&probe);
    char buf[32];
    for (const char *p = filter; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        char key[32];
        if (!eq || eq == p || (size_t)(eq - p) >= sizeof(key))
            return vsr_error_set(err, -EINVAL,
                                 "--filter '%.*s': expected key=value (e.g. dataset=vid4)",
                                 (int)len, p);
        memcpy(key, p, (size_t)(eq - p));
        key[eq - p] = '\0';
        if (!row_field(&probe, key, buf, sizeof(buf)))
            return vsr_error_set(
                err, -EINVAL,
                "--filter: unknown key '%s' (use model, variant, precision, "
                "dataset, channel, degradation, sweep, host, threads, tile, pad)",
                key);
        p = comma ? comma + 1 : p + len;
    }
    size_t kept = 0;
    for (size_t i = 0; i < rows->n; i++) {
        const vsr_report_row *r = &rows->v[i];
        int keep = 1;
        for (const char *p = filter; *p && keep;) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            const char *eq = memchr(p, '=', len);
            char key[32];
            memcpy(key, p, (size_t)(eq - p));
            key[eq - p] = '\0';
            const char *v = row_field(r, key, buf, sizeof(buf));
            keep = value_matches(v, eq + 1, len - (size_t)(eq - p) - 1);
            p = comma ? comma + 1 : p + len;
        }
        if (keep)
            rows->v[kept++] = *r;
    }
    rows->n = kept;
    return 0;
}

int vsr_report_same_group(const vsr_report_row *a, const vsr_report_row *b)
{
    return !strcmp(a->dataset, b->dataset) && !strcmp(a->degradation, b->degradation) &&
           !strcmp(a->channel, b->channel);
}

void vsr_report_group_tag(const vsr_report_row *r, char *buf, size_t cap)
{
    if (r->degradation[0])
        snprintf(buf, cap, "%s_%s_%s", r->dataset, r->degradation, r->channel);
    else
        snprintf(buf, cap, "%s_%s", r->dataset, r->channel);
    /* File-name safe. */
    for (char *p = buf; *p; p++) {
        char c = *p;
        int ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 c == '-' || c == '_' || c == '.';
        if (!ok)
            *p = '_';
    }
}

int vsr_report_group_keys(const vsr_report_row *rows, size_t n, size_t **keys, size_t *ngroups,
                          vsr_error *err)
{
    *keys = NULL;
    *ngroups = 0;
    if (!n)
        return 0;
    size_t *k = malloc(n * sizeof(*k));
    if (!k)
        return vsr_error_set(err, -ENOMEM, "report groups: out of memory");
    size_t g = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        for (; j < g; j++)
            if (vsr_report_same_group(&rows[k[j]], &rows[i]))
                break;
        if (j == g)
            k[g++] = i;
    }
    *keys = k;
    *ngroups = g;
    return 0;
}
