/*
 * Tables: builders (leaderboard, ablation) that turn rows into
 * display cells, and the md / csv / html / tex writers with their escaping.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "reports_internal.h"

/* ---- the generic table ------------------------------------------------- */

void vsr_report_table_free(vsr_report_table *t)
{
    if (!t)
        return;
    if (t->headers)
        for (int c = 0; c < t->ncols; c++)
            free(t->headers[c]);
    if (t->cells)
        for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
            free(t->cells[i]);
    free(t->headers);
    free(t->cells);
    free(t->keys);
    free(t->best);
    free(t->numeric);
    free(t->id);
    free(t->title);
    free(t->note);
    memset(t, 0, sizeof(*t));
}

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static int table_init(vsr_report_table *t, const char *id, const char *title, int ncols,
                      const char *const *headers, const unsigned char *numeric, size_t nrows,
                      vsr_error *err)
{
    memset(t, 0, sizeof(*t));
    size_t ncell = nrows * (size_t)ncols;
    t->ncols = ncols;
    t->nrows = nrows;
    t->id = dupstr(id);
    t->title = dupstr(title);
    t->headers = calloc((size_t)ncols, sizeof(*t->headers));
    t->numeric = malloc((size_t)ncols);
    t->cells = calloc(ncell ? ncell : 1, sizeof(*t->cells));
    t->keys = malloc((ncell ? ncell : 1) * sizeof(*t->keys));
    t->best = calloc(ncell ? ncell : 1, 1);
    if (!t->id || !t->title || !t->headers || !t->numeric || !t->cells || !t->keys || !t->best)
        goto oom;
    for (int c = 0; c < ncols; c++) {
        t->headers[c] = dupstr(headers[c]);
        if (!t->headers[c])
            goto oom;
        t->numeric[c] = numeric[c];
    }
    for (size_t i = 0; i < ncell; i++)
        t->keys[i] = NAN;
    return 0;
oom:
    vsr_report_table_free(t);
    return vsr_error_set(err, -ENOMEM, "report table %s: out of memory", id);
}

static int set_header(vsr_report_table *t, int c, const char *h)
{
    char *d = dupstr(h);
    if (!d)
        return -ENOMEM;
    free(t->headers[c]);
    t->headers[c] = d;
    return 0;
}

/* Set cell (r, c) to printf text with sort key @p key. */
static int vcell(vsr_report_table *t, size_t r, int c, double key, const char *fmt, va_list ap0)
{
    va_list ap;
    va_copy(ap, ap0);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0)
        return -EINVAL;
    char *s = malloc((size_t)len + 1);
    if (!s)
        return -ENOMEM;
    va_copy(ap, ap0);
    vsnprintf(s, (size_t)len + 1, fmt, ap);
    va_end(ap);
    size_t i = r * (size_t)t->ncols + (size_t)c;
    free(t->cells[i]);
    t->cells[i] = s;
    t->keys[i] = key;
    return 0;
}

static int cell(vsr_report_table *t, size_t r, int c, double key, const char *fmt, ...)
    VSR_PRINTF(5, 6);
static int cell(vsr_report_table *t, size_t r, int c, double key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vcell(t, r, c, key, fmt, ap);
    va_end(ap);
    return rc;
}

/* The generic table for builders in the other files of reports/. */
int vsr_report_table_make(vsr_report_table *t, const char *id, const char *title, int ncols,
                          const char *const *headers, const unsigned char *numeric,
                          size_t nrows, vsr_error *err)
{
    return table_init(t, id, title, ncols, headers, numeric, nrows, err);
}

int vsr_report_cell(vsr_report_table *t, size_t r, int c, double key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vcell(t, r, c, key, fmt, ap);
    va_end(ap);
    return rc;
}

void vsr_report_fmt(char *buf, size_t cap, double v, int dec)
{
    if (isnan(v))
        snprintf(buf, cap, "-");
    else
        snprintf(buf, cap, "%.*f", dec, v);
}

/* Same, but empty for NAN (CSV). */
static void fmt_data(char *buf, size_t cap, double v, int dec)
{
    if (isnan(v))
        buf[0] = '\0';
    else
        snprintf(buf, cap, "%.*f", dec, v);
}

void vsr_report_row_label(const vsr_report_row *r, char *buf, size_t cap)
{
    if (r->variant[0] && strcmp(r->variant, "base") != 0)
        snprintf(buf, cap, "%s/%s", r->model, r->variant);
    else
        snprintf(buf, cap, "%s", r->model);
}

/* The value as a reader sees it: rounded to @p dec decimals. */
static double shown(double v, int dec)
{
    double s = pow(10.0, dec);
    return round(v * s) / s;
}

/* Mark the best cells of column @p c: every cell whose shown key equals the best. */
static void mark_best(vsr_report_table *t, int c, int maximize, int dec)
{
    int have = 0;
    double best = 0;
    for (size_t r = 0; r < t->nrows; r++) {
        double k = t->keys[r * (size_t)t->ncols + (size_t)c];
        if (isnan(k))
            continue;
        k = shown(k, dec);
        if (!have || (maximize ? k > best : k < best))
            best = k;
        have = 1;
    }
    if (!have)
        return;
    for (size_t r = 0; r < t->nrows; r++) {
        size_t i = r * (size_t)t->ncols + (size_t)c;
        if (!isnan(t->keys[i]) && shown(t->keys[i], dec) == best)
            t->best[i] = 1;
    }
}

/* ---- ordering ---------------------------------------------------------- */

/* NAN sorts last in either direction. */
static int cmp_nan_last(double a, double b, int descending)
{
    if (isnan(a) || isnan(b))
        return isnan(a) - isnan(b);
    if (a == b)
        return 0;
    return ((a < b) ^ descending) ? -1 : 1;
}

/* Precisions in their natural order: fp32, fp16, fp16n, int8, then any other name. */
static int prec_rank(const char *p)
{
    static const char *const order[] = {"fp32", "fp16", "fp16n", "int8"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(p, order[i]))
            return i;
    return 4;
}

static int cmp_precision(const char *a, const char *b)
{
    int c = prec_rank(a) - prec_rank(b);
    return c ? c : strcmp(a, b);
}

static int cmp_rank(const void *pa, const void *pb)
{
    const vsr_report_row *a = *(const vsr_report_row *const *)pa;
    const vsr_report_row *b = *(const vsr_report_row *const *)pb;
    int c;
    if ((c = cmp_nan_last(a->psnr, b->psnr, 1)))
        return c;
    if ((c = cmp_nan_last(a->ms_median, b->ms_median, 0)))
        return c;
    if ((c = strcmp(a->model, b->model)))
        return c;
    if ((c = strcmp(a->variant, b->variant)))
        return c;
    if ((c = cmp_precision(a->precision, b->precision)))
        return c;
    if ((c = a->threads - b->threads))
        return c;
    if ((c = a->tile - b->tile))
        return c;
    return (a->run_id > b->run_id) - (a->run_id < b->run_id);
}

static const vsr_report_row **sorted(const vsr_report_row *rows, size_t n,
                                     int (*cmp)(const void *, const void *))
{
    const vsr_report_row **p = malloc((n ? n : 1) * sizeof(*p));
    if (!p)
        return NULL;
    for (size_t i = 0; i < n; i++)
        p[i] = &rows[i];
    qsort(p, n, sizeof(*p), cmp);
    return p;
}

static const char *or_dash(const char *s)
{
    return s[0] ? s : "-";
}

/* "12.34", "12.34 [12.10, 12.60]" with the median's 95% interval when known,
 * and " noisy" when the run was marked noisy (run log v6). */
static void fmt_ms(char *buf, size_t cap, const vsr_report_row *r, int dec)
{
    char m[24], lo[24], hi[24];
    vsr_report_fmt(m, sizeof(m), r->ms_median, dec);
    vsr_report_fmt(lo, sizeof(lo), r->ms_lo, dec);
    vsr_report_fmt(hi, sizeof(hi), r->ms_hi, dec);
    if (isnan(r->ms_median) || isnan(r->ms_lo) || isnan(r->ms_hi))
        snprintf(buf, cap, "%s%s", m, r->noisy ? " noisy" : "");
    else
        snprintf(buf, cap, "%s [%s, %s]%s", m, lo, hi, r->noisy ? " noisy" : "");
}

static void fmt_tile(char *buf, size_t cap, const vsr_report_row *r)
{
    if (r->tile < 0)
        snprintf(buf, cap, "-");
    else if (r->tile == 0)
        snprintf(buf, cap, "none");
    else if (r->pad >= 0)
        snprintf(buf, cap, "%d (pad %d)", r->tile, r->pad);
    else
        snprintf(buf, cap, "%d", r->tile);
}

/* ---- leaderboard ------------------------------------------------------- */

int vsr_report_table_leaderboard(const vsr_report_row *rows, size_t n,
                                 enum vsr_report_style style, vsr_report_table *out,
                                 vsr_error *err)
{
    memset(out, 0, sizeof(*out));
    const vsr_report_row **p = sorted(rows, n, cmp_rank);
    if (!p)
        return vsr_error_set(err, -ENOMEM, "leaderboard: out of memory");
    const char *ds = n ? rows[0].dataset : "";
    const char *ch = n ? rows[0].channel : "";
    char id[256], title[256];
    char tag[200] = "";
    if (n)
        vsr_report_group_tag(&rows[0], tag, sizeof(tag));
    snprintf(id, sizeof(id), "leaderboard_%s", tag);
    snprintf(title, sizeof(title), "Leaderboard: %s%s%s%s, channel %s", ds,
             n && rows[0].degradation[0] ? " (" : "", n ? rows[0].degradation : "",
             n && rows[0].degradation[0] ? "x4)" : "", ch);
    int rc, multi_host = 0;
    if (style == VSR_REPORT_DATA) {
        static const char *const h[] = {
            "rank",         "model",        "variant",   "precision", "dataset", "degradation",
            "channel",      "psnr_db",      "ssim",      "niqe",      "params",  "macs_g",
            "input_h",      "input_w",      "ms_median", "ms_p95",    "threads", "tile",
            "pad",          "run_id",       "isa",       "host",      "git_rev", "sweep",
            "ms_median_lo", "ms_median_hi", "noisy"};
        static const unsigned char num[] = {1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1,
                                            1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1};
        if ((rc = table_init(out, id, title, 27, h, num, n, err)))
            goto done;
    } else {
        static const char *const h[] = {
            "Rank",    "Model", "Variant",    "Precision",      "PSNR [dB]",
            "SSIM",    "NIQE",  "Params [K]", "MACs [G] @ HxW", "ms/frame [95% CI] (p95)",
            "Threads", "Tile",  "Device"};
        static const unsigned char num[] = {1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0};
        /* Runs from more than one machine: say which (the CSV always does). */
        for (size_t i = 1; i < n; i++)
            if (strcmp(rows[i].host, rows[0].host) != 0)
                multi_host = 1;
        if ((rc = table_init(out, id, title, 12 + multi_host, h, num, n, err)))
            goto done;
    }
    /* One input size for the whole group goes into the header. */
    int same_size = n > 0;
    for (size_t i = 1; i < n; i++)
        if (rows[i].in_w != rows[0].in_w || rows[i].in_h != rows[0].in_h)
            same_size = 0;
    if (same_size && style == VSR_REPORT_DISPLAY && rows[0].in_w > 0) {
        char hdr[64];
        snprintf(hdr, sizeof(hdr), "MACs [G] @ %dx%d", rows[0].in_h, rows[0].in_w);
        if ((rc = set_header(out, 8, hdr)))
            goto oom;
    }
    for (size_t i = 0; i < n; i++) {
        const vsr_report_row *r = p[i];
        /* Competition ranking: equal PSNR shares a rank. */
        long rank = 1;
        for (size_t j = 0; j < n; j++)
            if (!isnan(r->psnr) && !isnan(rows[j].psnr) && rows[j].psnr > r->psnr)
                rank++;
        char a[128], b[64], c[64];
        double macs_g = r->macs / 1e9;
        if (style == VSR_REPORT_DATA) {
            rc = 0;
            if (isnan(r->psnr))
                rc |= cell(out, i, 0, NAN, "%s", "");
            else
                rc |= cell(out, i, 0, (double)rank, "%ld", rank);
            rc |= cell(out, i, 1, NAN, "%s", r->model);
            rc |= cell(out, i, 2, NAN, "%s", r->variant);
            rc |= cell(out, i, 3, NAN, "%s", r->precision);
            rc |= cell(out, i, 4, NAN, "%s", r->dataset);
            rc |= cell(out, i, 5, NAN, "%s", r->degradation);
            rc |= cell(out, i, 6, NAN, "%s", r->channel);
            fmt_data(a, sizeof(a), r->psnr, 4);
            rc |= cell(out, i, 7, r->psnr, "%s", a);
            fmt_data(a, sizeof(a), r->ssim, 4);
            rc |= cell(out, i, 8, r->ssim, "%s", a);
            fmt_data(a, sizeof(a), r->niqe, 4);
            rc |= cell(out, i, 9, r->niqe, "%s", a);
            fmt_data(a, sizeof(a), r->params, 0);
            rc |= cell(out, i, 10, r->params, "%s", a);
            fmt_data(a, sizeof(a), macs_g, 6);
            rc |= cell(out, i, 11, macs_g, "%s", a);
            fmt_data(a, sizeof(a), r->in_h > 0 ? r->in_h : NAN, 0);
            rc |= cell(out, i, 12, r->in_h, "%s", a);
            fmt_data(a, sizeof(a), r->in_w > 0 ? r->in_w : NAN, 0);
            rc |= cell(out, i, 13, r->in_w, "%s", a);
            fmt_data(a, sizeof(a), r->ms_median, 3);
            rc |= cell(out, i, 14, r->ms_median, "%s", a);
            fmt_data(a, sizeof(a), r->ms_p95, 3);
            rc |= cell(out, i, 15, r->ms_p95, "%s", a);
            fmt_data(a, sizeof(a), r->threads >= 0 ? r->threads : NAN, 0);
            rc |= cell(out, i, 16, r->threads, "%s", a);
            fmt_data(a, sizeof(a), r->tile >= 0 ? r->tile : NAN, 0);
            rc |= cell(out, i, 17, r->tile, "%s", a);
            fmt_data(a, sizeof(a), r->pad >= 0 ? r->pad : NAN, 0);
            rc |= cell(out, i, 18, r->pad, "%s", a);
            rc |= cell(out, i, 19, (double)r->run_id, "%lld", (long long)r->run_id);
            rc |= cell(out, i, 20, NAN, "%s", r->isa);
            rc |= cell(out, i, 21, NAN, "%s", r->host);
            rc |= cell(out, i, 22, NAN, "%s", r->git_rev);
            rc |= cell(out, i, 23, NAN, "%s", r->sweep);
            fmt_data(a, sizeof(a), r->ms_lo, 3);
            rc |= cell(out, i, 24, r->ms_lo, "%s", a);
            fmt_data(a, sizeof(a), r->ms_hi, 3);
            rc |= cell(out, i, 25, r->ms_hi, "%s", a);
            rc |= cell(out, i, 26, r->noisy, "%d", r->noisy);
            if (rc)
                goto oom;
            continue;
        }
        rc = 0;
        if (isnan(r->psnr))
            rc |= cell(out, i, 0, NAN, "-");
        else
            rc |= cell(out, i, 0, (double)rank, "%ld", rank);
        if (r->frames > 0) /* a frame subset says so */
            rc |= cell(out, i, 1, NAN, "%s (frames: %d)", r->model, r->frames);
        else
            rc |= cell(out, i, 1, NAN, "%s", r->model);
        rc |= cell(out, i, 2, NAN, "%s", or_dash(r->variant));
        rc |= cell(out, i, 3, NAN, "%s", or_dash(r->precision));
        vsr_report_fmt(a, sizeof(a), r->psnr, 2);
        rc |= cell(out, i, 4, r->psnr, "%s", a);
        vsr_report_fmt(a, sizeof(a), r->ssim, 4);
        rc |= cell(out, i, 5, r->ssim, "%s", a);
        vsr_report_fmt(a, sizeof(a), r->niqe, 2);
        rc |= cell(out, i, 6, r->niqe, "%s", a);
        vsr_report_fmt(a, sizeof(a), r->params / 1e3, 1);
        rc |= cell(out, i, 7, r->params / 1e3, "%s", a);
        vsr_report_fmt(a, sizeof(a), macs_g, 3);
        if (same_size || isnan(macs_g) || r->in_w <= 0)
            rc |= cell(out, i, 8, macs_g, "%s", a);
        else
            rc |= cell(out, i, 8, macs_g, "%s @ %dx%d", a, r->in_h, r->in_w);
        fmt_ms(a, sizeof(a), r, 2);
        vsr_report_fmt(b, sizeof(b), r->ms_p95, 2);
        if (isnan(r->ms_p95))
            rc |= cell(out, i, 9, r->ms_median, "%s", a);
        else
            rc |= cell(out, i, 9, r->ms_median, "%s (%s)", a, b);
        if (r->threads >= 0)
            rc |= cell(out, i, 10, r->threads, "%d", r->threads);
        else
            rc |= cell(out, i, 10, NAN, "-");
        fmt_tile(c, sizeof(c), r);
        rc |= cell(out, i, 11, r->tile >= 0 ? r->tile : NAN, "%s", c);
        if (multi_host)
            rc |= cell(out, i, 12, NAN, "%s", or_dash(r->host));
        if (rc)
            goto oom;
    }
    if (style == VSR_REPORT_DISPLAY) {
        mark_best(out, 4, 1, 2);
        mark_best(out, 5, 1, 4);
        mark_best(out, 6, 0, 2);
        mark_best(out, 7, 0, 1);
        mark_best(out, 8, 0, 3);
        mark_best(out, 9, 0, 2);
        out->note = dupstr("Best value of each column in bold. MACs: one multiply-add = 1 "
                           "MAC, per LR frame at the input size shown (HxW). ms/frame: "
                           "median over timed frames, its 95% interval in brackets, p95 in "
                           "parentheses; noisy: too spread or timed while other processes "
                           "ran, do not compare (docs/PERFORMANCE.md).");
        if (!out->note)
            goto oom;
    }
    rc = 0;
    goto done;
oom:
    vsr_report_table_free(out);
    rc = vsr_error_set(err, -ENOMEM, "leaderboard %s: out of memory", id);
done:
    free(p);
    return rc;
}

/* ---- training runs ------------------------------------------------------ */

int vsr_report_table_train(const vsr_report_train_run *runs, size_t n, vsr_report_table *out,
                           vsr_error *err)
{
    static const char *const h[] = {"Run",     "Model",    "Status",          "Steps",
                                    "Planned", "Wall [s]", "Val PSNR-Y [dB]", "Bicubic [dB]"};
    static const unsigned char num[] = {0, 0, 0, 1, 1, 1, 1, 1};
    int rc =
        table_init(out, "training_runs", "Training runs (vsrbench train)", 8, h, num, n, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < n && !rc; i++) {
        const vsr_report_train_run *r = &runs[i];
        char a[128];
        rc |= cell(out, i, 0, NAN, "%s", r->name);
        rc |= cell(out, i, 1, NAN, "%s", r->model);
        rc |= cell(out, i, 2, NAN, "%s", r->status);
        rc |= cell(out, i, 3, (double)r->final_step, "%ld", r->final_step);
        rc |= cell(out, i, 4, (double)r->steps, "%ld", r->steps);
        vsr_report_fmt(a, sizeof(a), r->wall_s, 1);
        rc |= cell(out, i, 5, r->wall_s, "%s", a);
        vsr_report_fmt(a, sizeof(a), r->val_psnr, 2);
        rc |= cell(out, i, 6, r->val_psnr, "%s", a);
        vsr_report_fmt(a, sizeof(a), r->bicubic_psnr, 2);
        rc |= cell(out, i, 7, r->bicubic_psnr, "%s", a);
    }
    if (!rc) {
        mark_best(out, 6, 1, 2);
        out->note = dupstr("Val PSNR-Y: the last validation, mean over the demo clips of the "
                           "per-frame Y-PSNR (crop 4); Bicubic: the same clips upscaled "
                           "bicubically; Wall: training seconds summed over resumed attempts.");
        if (!out->note)
            rc = -ENOMEM;
    }
    if (rc) {
        vsr_report_table_free(out);
        rc = vsr_error_set(err, -ENOMEM, "training table: out of memory");
    }
    return rc;
}

/* ---- cross-benchmark summary ------------------------------------------- */

static int same_config(const vsr_report_row *a, const vsr_report_row *b)
{
    return !strcmp(a->model, b->model) && !strcmp(a->variant, b->variant) &&
           !strcmp(a->precision, b->precision) && a->threads == b->threads &&
           a->tile == b->tile && a->pad == b->pad && !strcmp(a->host, b->host);
}

static int cmp_config(const void *pa, const void *pb)
{
    const vsr_report_row *a = *(const vsr_report_row *const *)pa;
    const vsr_report_row *b = *(const vsr_report_row *const *)pb;
    int c;
    if ((c = strcasecmp(a->model, b->model)) || (c = strcmp(a->model, b->model)) ||
        (c = strcmp(a->variant, b->variant)) || (c = cmp_precision(a->precision, b->precision)))
        return c;
    if ((c = a->threads - b->threads) || (c = a->tile - b->tile) || (c = a->pad - b->pad))
        return c;
    if ((c = strcmp(a->host, b->host)))
        return c;
    return (a->run_id > b->run_id) - (a->run_id < b->run_id);
}

int vsr_report_table_summary(const vsr_report_row *rows, size_t n, vsr_report_table *out,
                             vsr_error *err)
{
    memset(out, 0, sizeof(*out));
    const vsr_report_row **p = sorted(rows, n, cmp_config);
    size_t *groups = NULL, ngroups = 0, *cfg = malloc((n ? n : 1) * sizeof(size_t));
    const char **h = NULL;
    unsigned char *num = NULL;
    char **names = NULL;
    int rc = 0;
    if (!p || !cfg) {
        rc = vsr_error_set(err, -ENOMEM, "summary table: out of memory");
        goto done;
    }
    if ((rc = vsr_report_group_keys(rows, n, &groups, &ngroups, err)))
        goto done;
    /* Distinct configurations, as the index of their first row in p. */
    size_t ncfg = 0;
    for (size_t i = 0; i < n; i++)
        if (!ncfg || !same_config(p[cfg[ncfg - 1]], p[i]))
            cfg[ncfg++] = i;
    int ncols = 5 + (int)ngroups + 2;
    h = calloc((size_t)ncols, sizeof(*h));
    num = calloc((size_t)ncols, 1);
    names = calloc(ngroups ? ngroups : 1, sizeof(*names));
    if (!h || !num || !names) {
        rc = vsr_error_set(err, -ENOMEM, "summary table: out of memory");
        goto done;
    }
    static const char *const fixed[] = {"Model", "Variant", "Precision", "Threads", "Tile"};
    for (int c = 0; c < 5; c++)
        h[c] = fixed[c];
    num[3] = 1;
    for (size_t g = 0; g < ngroups; g++) {
        const vsr_report_row *k = &rows[groups[g]];
        char buf[200];
        if (k->degradation[0])
            snprintf(buf, sizeof(buf), "%s (%sx4) %s PSNR / SSIM", k->dataset, k->degradation,
                     k->channel);
        else
            snprintf(buf, sizeof(buf), "%s %s PSNR / SSIM", k->dataset, k->channel);
        if (!(names[g] = dupstr(buf))) {
            rc = vsr_error_set(err, -ENOMEM, "summary table: out of memory");
            goto done;
        }
        h[5 + g] = names[g];
        num[5 + g] = 1;
    }
    h[5 + ngroups] = "Params [K]";
    num[5 + ngroups] = 1;
    h[6 + ngroups] = "Git";
    if ((rc =
             table_init(out, "summary", "Summary across benchmarks", ncols, h, num, ncfg, err)))
        goto done;
    for (size_t r = 0; r < ncfg && !rc; r++) {
        const vsr_report_row *c0 = p[cfg[r]];
        size_t end = r + 1 < ncfg ? cfg[r + 1] : n;
        char tile[48], a[64], b[64], git[160] = "";
        fmt_tile(tile, sizeof(tile), c0);
        rc |= cell(out, r, 0, NAN, "%s", c0->model);
        rc |= cell(out, r, 1, NAN, "%s", or_dash(c0->variant));
        rc |= cell(out, r, 2, NAN, "%s", or_dash(c0->precision));
        if (c0->threads >= 0)
            rc |= cell(out, r, 3, c0->threads, "%d", c0->threads);
        else
            rc |= cell(out, r, 3, NAN, "-");
        rc |= cell(out, r, 4, NAN, "%s", tile);
        double params = NAN;
        for (size_t g = 0; g < ngroups; g++) {
            const vsr_report_row *hit = NULL;
            for (size_t i = cfg[r]; i < end; i++)
                if (vsr_report_same_group(p[i], &rows[groups[g]]))
                    hit = p[i]; /* the newest (largest run id) wins */
            if (!hit) {
                rc |= cell(out, r, 5 + (int)g, NAN, "-");
                continue;
            }
            vsr_report_fmt(a, sizeof(a), hit->psnr, 2);
            vsr_report_fmt(b, sizeof(b), hit->ssim, 4);
            rc |= cell(out, r, 5 + (int)g, hit->psnr, "%s / %s", a, b);
        }
        for (size_t i = cfg[r]; i < end; i++) {
            if (isnan(params))
                params = p[i]->params;
            if (p[i]->git_rev[0] && !strstr(git, p[i]->git_rev)) {
                size_t l = strlen(git);
                snprintf(git + l, sizeof(git) - l, "%s%s", l ? " " : "", p[i]->git_rev);
            }
        }
        vsr_report_fmt(a, sizeof(a), params / 1e3, 1);
        rc |= cell(out, r, 5 + (int)ngroups, params / 1e3, "%s", a);
        rc |= cell(out, r, 6 + (int)ngroups, NAN, "%s", or_dash(git));
    }
    if (rc) {
        vsr_report_table_free(out);
        rc = vsr_error_set(err, -ENOMEM, "summary table: out of memory");
        goto done;
    }
    for (size_t g = 0; g < ngroups; g++)
        mark_best(out, 5 + (int)g, 1, 2);
    out->note = dupstr("Cells: PSNR [dB] / SSIM, BasicSR convention (mean of clip means). "
                       "Best PSNR of each column in bold.");
    if (!out->note) {
        vsr_report_table_free(out);
        rc = vsr_error_set(err, -ENOMEM, "summary table: out of memory");
    }
done:
    if (names)
        for (size_t g = 0; g < ngroups; g++)
            free(names[g]);
    free(names);
    free(h);
    free(num);
    free(groups);
    free(cfg);
    free(p);
    return rc;
}

/* ---- ablation ---------------------------------------------------------- */

int vsr_report_is_base(const vsr_report_row *r, const char *base)
{
    char label[160];
    if (!strcmp(r->variant, base))
        return 1;
    if ((!r->variant[0] || !strcmp(r->variant, "base")) && !strcmp(r->model, base))
        return 1;
    snprintf(label, sizeof(label), "%s/%s", r->model, r->variant);
    return !strcmp(label, base);
}

int vsr_report_check_base(const vsr_report_row *rows, size_t n, const char *base,
                          vsr_error *err)
{
    char hint[160] = "", label[160];
    int best = 99;
    for (size_t i = 0; i < n; i++) {
        if (vsr_report_is_base(&rows[i], base))
            return 0;
        snprintf(label, sizeof(label), "%s/%s", rows[i].model, rows[i].variant);
        const char *cand[3] = {rows[i].model, rows[i].variant, label};
        for (int k = 0; k < 3; k++) {
            int d = vsr_edit_distance(base, cand[k]);
            if (cand[k][0] && d < best) {
                best = d;
                snprintf(hint, sizeof(hint), "%s", cand[k]);
            }
        }
    }
    /* close enough to be a typo: 2 edits, or a third of a long name */
    int len = (int)strlen(base);
    char mean[200] = "";
    if (hint[0] && best <= (len / 3 > 2 ? len / 3 : 2))
        snprintf(mean, sizeof(mean), " (did you mean '%s'?)", hint);
    return vsr_error_set(err, -EINVAL,
                         "--base %s: no run has that model or variant%s; the Model and "
                         "Variant columns of the leaderboards name them (mind --filter)",
                         base, mean);
}

/* Same group of an ablation: sweep, dataset, degradation, precision, channel. */
static int same_group(const vsr_report_row *a, const vsr_report_row *b)
{
    return !strcmp(a->sweep, b->sweep) && !strcmp(a->dataset, b->dataset) &&
           !strcmp(a->degradation, b->degradation) && !strcmp(a->precision, b->precision) &&
           !strcmp(a->channel, b->channel);
}

static int same_timing_setting(const vsr_report_row *a, const vsr_report_row *b)
{
    return a->threads == b->threads && a->tile == b->tile && a->pad == b->pad;
}

static void fmt_delta(char *buf, size_t cap, double v, int dec)
{
    if (isnan(v))
        snprintf(buf, cap, "-");
    else if (shown(v, dec) == 0.0)
        snprintf(buf, cap, "%.*f", dec, 0.0);
    else
        snprintf(buf, cap, "%+.*f", dec, v);
}

/* "vid4 Y" (+ ", frames: 10" for a frame subset). */
static void fmt_data_cell(char *buf, size_t cap, const vsr_report_row *r)
{
    int len = snprintf(buf, cap, "%s %s", r->dataset, r->channel);
    if (r->frames > 0 && len > 0 && (size_t)len < cap)
        snprintf(buf + len, cap - (size_t)len, ", frames: %d", r->frames);
}

/* The points of row @p row in @p pts (sorted by row, clip, frame): [*b, *e). */
static void row_points(const vsr_report_frame_point *pts, size_t npts, size_t row, size_t *b,
                       size_t *e)
{
    size_t i = 0;
    while (i < npts && pts[i].row != row)
        i++;
    *b = i;
    while (i < npts && pts[i].row == row)
        i++;
    *e = i;
}

static double point_value(const vsr_report_frame_point *p, int which)
{
    return which == 0 ? p->psnr : which == 1 ? p->ssim : p->niqe;
}

/*
 * Paired bootstrap interval of metric @p which (0 PSNR, 1 SSIM, 2 NIQE) of
 * row @p r minus row @p b over the frames both have (same clip and frame).
 * 0 and [*lo, *hi]; 1 when there is no interval (no common frame, a
 * missing or lossless value); negative errno.
 */
static int paired_ci(const vsr_report_frame_point *pts, size_t npts, size_t r, size_t b,
                     int which, double *lo, double *hi, vsr_error *err)
{
    *lo = *hi = NAN;
    size_t rb, re, bb, be;
    row_points(pts, npts, r, &rb, &re);
    row_points(pts, npts, b, &bb, &be);
    size_t cap = re - rb < be - bb ? re - rb : be - bb;
    if (!cap)
        return 1;
    double *d = malloc(cap * sizeof(*d));
    size_t *clip_len = malloc(cap * sizeof(*clip_len));
    if (!d || !clip_len) {
        free(d);
        free(clip_len);
        return vsr_error_set(err, -ENOMEM, "ablation: out of memory");
    }
    size_t n = 0, nclips = 0, i = rb, j = bb;
    const char *clip = NULL;
    int missing = 0;
    while (i < re && j < be) {
        int c = strcmp(pts[i].clip, pts[j].clip);
        if (!c)
            c = (pts[i].frame > pts[j].frame) - (pts[i].frame < pts[j].frame);
        if (c < 0) {
            i++;
            continue;
        }
        if (c > 0) {
            j++;
            continue;
        }
        double v = point_value(&pts[i], which) - point_value(&pts[j], which);
        if (!isfinite(v))
            missing = 1;
        if (!clip || strcmp(clip, pts[i].clip)) {
            clip = pts[i].clip;
            clip_len[nclips++] = 0;
        }
        clip_len[nclips - 1]++;
        d[n++] = v;
        i++;
        j++;
    }
    int rc = 1;
    if (n && !missing)
        rc = vsr_report_bootstrap_ci(d, clip_len, nclips, VSR_REPORT_BOOT_RESAMPLES,
                                     VSR_REPORT_BOOT_SEED, VSR_REPORT_BOOT_LEVEL, lo, hi, err);
    free(d);
    free(clip_len);
    return rc;
}

/* Cell "delta [lo, hi]" (or just the delta without an interval); *sig = 1
 * when the interval excludes 0. */
static int delta_ci_cell(vsr_report_table *t, size_t k, int col, double delta, double lo,
                         double hi, int dec, int *sig)
{
    char a[48], l[48], h[48];
    fmt_delta(a, sizeof(a), delta, dec);
    *sig = 0;
    if (isnan(delta) || isnan(lo) || isnan(hi))
        return cell(t, k, col, delta, "%s", a);
    *sig = lo > 0 || hi < 0;
    fmt_delta(l, sizeof(l), lo, dec);
    fmt_delta(h, sizeof(h), hi, dec);
    return cell(t, k, col, delta, "%s [%s, %s]", a, l, h);
}

/* Which base row @p i pairs with, or (size_t)-1. */
static size_t find_base(const vsr_report_row *rows, size_t n, const char *base, size_t i)
{
    size_t pick = (size_t)-1;
    int score = -1;
    for (size_t j = 0; j < n; j++) {
        if (!vsr_report_is_base(&rows[j], base) || !same_group(&rows[i], &rows[j]))
            continue;
        int s =
            2 * !strcmp(rows[i].model, rows[j].model) + same_timing_setting(&rows[i], &rows[j]);
        if (s > score) {
            score = s;
            pick = j;
        }
    }
    return pick;
}

int vsr_report_table_ablation(const vsr_report_row *rows, size_t n, const char *base,
                              const vsr_report_frame_point *pts, size_t npts,
                              vsr_report_table *out, vsr_error *err)
{
    static const char *const h[VSR_ABL_NCOLS] = {"Model",
                                                 "Variant",
                                                 "Precision",
                                                 "Data",
                                                 "PSNR [dB]",
                                                 "\xce\x94PSNR [dB] [95% CI]",
                                                 "SSIM",
                                                 "\xce\x94SSIM [95% CI]",
                                                 "\xce\x94NIQE [95% CI]",
                                                 "Params [K]",
                                                 "\xce\x94Params [K]",
                                                 "MACs [G]",
                                                 "\xce\x94MACs [G]",
                                                 "ms/frame [95% CI]",
                                                 "\xce\x94ms [ms]",
                                                 "Significant (95%)"};
    static const unsigned char num[VSR_ABL_NCOLS] = {0, 0, 0, 0, 1, 1, 1, 1,
                                                     1, 1, 1, 1, 1, 1, 1, 0};
    memset(out, 0, sizeof(*out));
    size_t *base_of = malloc((n ? n : 1) * sizeof(*base_of));
    size_t *order = malloc((n ? n : 1) * sizeof(*order));
    char *note = NULL;
    size_t note_len = 0;
    FILE *nf = NULL;
    int rc = 0;
    if (!base_of || !order || !(nf = open_memstream(&note, &note_len))) {
        rc = vsr_error_set(err, -ENOMEM, "ablation: out of memory");
        goto done;
    }
    if ((rc = vsr_report_check_base(rows, n, base, err)))
        goto done;
    /* Pairing: see the header. A row of a sweep without any base row is
     * not part of this ablation; one of a sweep with base rows but none in
     * its group is listed with the reason. */
    size_t kept = 0, other = 0, unpaired = 0;
    for (size_t i = 0; i < n; i++) {
        base_of[i] = (size_t)-1;
        if (vsr_report_is_base(&rows[i], base)) {
            base_of[i] = i;
            continue;
        }
        int sweep_has_base = 0;
        for (size_t j = 0; j < n && !sweep_has_base; j++)
            sweep_has_base =
                vsr_report_is_base(&rows[j], base) && !strcmp(rows[i].sweep, rows[j].sweep);
        if (!sweep_has_base) {
            other++;
            continue;
        }
        base_of[i] = find_base(rows, n, base, i);
        if (base_of[i] == (size_t)-1) {
            char data[160], label[160];
            fmt_data_cell(data, sizeof(data), &rows[i]);
            vsr_report_row_label(&rows[i], label, sizeof(label));
            fprintf(nf, "%s%s %s on %s: no %s %s run on %s",
                    unpaired ? "; " : " Not paired: ", label, rows[i].precision, data, base,
                    rows[i].precision, data);
            unpaired++;
        }
    }
    /* Order: each base row, then the rows measured against it, input order. */
    for (size_t b = 0; b < n; b++) {
        if (base_of[b] != b)
            continue;
        order[kept++] = b;
        for (size_t i = 0; i < n; i++)
            if (i != b && base_of[i] == b)
                order[kept++] = i;
    }
    char title[256];
    snprintf(title, sizeof(title), "Ablation against %s", base);
    if ((rc = table_init(out, "ablation", title, VSR_ABL_NCOLS, h, num, kept, err)))
        goto done;
    /* rc: a failure with its message (err); cells: the cells' -ENOMEM bits */
    int cells = 0;
    for (size_t k = 0; k < kept && !rc && !cells; k++) {
        size_t ri = order[k], bi = base_of[ri];
        const vsr_report_row *r = &rows[ri], *b = &rows[bi];
        char a[160], sig_list[64] = "";
        double d, lo, hi;
        int sig, c;
        cells |= cell(out, k, VSR_ABL_MODEL, NAN, "%s", r->model);
        cells |= cell(out, k, VSR_ABL_VARIANT, NAN, "%s%s", or_dash(r->variant),
                      r == b ? " (base)" : "");
        cells |= cell(out, k, VSR_ABL_PRECISION, NAN, "%s", or_dash(r->precision));
        fmt_data_cell(a, sizeof(a), r);
        cells |= cell(out, k, VSR_ABL_DATA, NAN, "%s", a);
        vsr_report_fmt(a, sizeof(a), r->psnr, 2);
        cells |= cell(out, k, VSR_ABL_PSNR, r->psnr, "%s", a);
        vsr_report_fmt(a, sizeof(a), r->ssim, 4);
        cells |= cell(out, k, VSR_ABL_SSIM, r->ssim, "%s", a);
        static const struct {
            int col, which, dec;
            const char *name;
        } q[3] = {{VSR_ABL_DPSNR, 0, 2, "PSNR"},
                  {VSR_ABL_DSSIM, 1, 4, "SSIM"},
                  {VSR_ABL_DNIQE, 2, 2, "NIQE"}};
        for (int m = 0; m < 3; m++) {
            double rv = m == 0 ? r->psnr : m == 1 ? r->ssim : r->niqe;
            double bv = m == 0 ? b->psnr : m == 1 ? b->ssim : b->niqe;
            d = rv - bv;
            lo = hi = NAN;
            if (r != b && pts && !isnan(d) &&
                (c = paired_ci(pts, npts, ri, bi, q[m].which, &lo, &hi, err)) < 0) {
                rc = c;
                break;
            }
            cells |= delta_ci_cell(out, k, q[m].col, r == b ? NAN : d, lo, hi, q[m].dec, &sig);
            if (sig)
                snprintf(sig_list + strlen(sig_list), sizeof(sig_list) - strlen(sig_list),
                         "%s%s", sig_list[0] ? ", " : "", q[m].name);
        }
        if (rc)
            break;
        vsr_report_fmt(a, sizeof(a), r->params / 1e3, 1);
        cells |= cell(out, k, VSR_ABL_PARAMS, r->params / 1e3, "%s", a);
        d = (r->params - b->params) / 1e3;
        fmt_delta(a, sizeof(a), d, 1);
        cells |= cell(out, k, VSR_ABL_DPARAMS, d, "%s", a);
        vsr_report_fmt(a, sizeof(a), r->macs / 1e9, 3);
        cells |= cell(out, k, VSR_ABL_MACS, r->macs / 1e9, "%s", a);
        d = (r->macs - b->macs) / 1e9;
        fmt_delta(a, sizeof(a), d, 3);
        cells |= cell(out, k, VSR_ABL_DMACS, d, "%s", a);
        fmt_ms(a, sizeof(a), r, 2);
        cells |= cell(out, k, VSR_ABL_MS, r->ms_median, "%s", a);
        d = r->ms_median - b->ms_median;
        fmt_delta(a, sizeof(a), d, 2);
        if (r == b || isnan(d))
            cells |= cell(out, k, VSR_ABL_DMS, d, "%s", a);
        else {
            /* the medians' 95% intervals: apart = a real difference */
            int known =
                !isnan(r->ms_lo) && !isnan(r->ms_hi) && !isnan(b->ms_lo) && !isnan(b->ms_hi);
            int apart = known && (r->ms_lo > b->ms_hi || r->ms_hi < b->ms_lo);
            const char *setting = same_timing_setting(r, b) ? "" : ", other threads/tile";
            if (known)
                cells |= cell(out, k, VSR_ABL_DMS, d, "%s (CIs %s%s)", a,
                              apart ? "apart" : "overlap", setting);
            else
                cells |= cell(out, k, VSR_ABL_DMS, d, "%s%s%s%s", a, setting[0] ? " (" : "",
                              setting[0] ? setting + 2 : "", setting[0] ? ")" : "");
            if (apart && !r->noisy && !b->noisy)
                snprintf(sig_list + strlen(sig_list), sizeof(sig_list) - strlen(sig_list),
                         "%sms", sig_list[0] ? ", " : "");
        }
        cells |= cell(out, k, VSR_ABL_SIG, NAN, "%s",
                      r == b        ? "-"
                      : sig_list[0] ? sig_list
                                    : "none");
    }
    if (cells && !rc)
        rc = -ENOMEM;
    if (!rc) {
        fflush(nf);
        char head[1024];
        int len = snprintf(
            head, sizeof(head),
            "Deltas against %s of the same sweep, dataset, degradation, precision and channel "
            "(row minus base). Quality intervals: paired bootstrap over the frames both runs "
            "scored, resampled within each clip, %d resamples, seed %u, %.0f%% percentile "
            "interval; Significant lists the deltas whose interval excludes 0, and ms when the "
            "two medians' 95%% intervals are apart (docs/REPORTS.md).",
            base, VSR_REPORT_BOOT_RESAMPLES, VSR_REPORT_BOOT_SEED, VSR_REPORT_BOOT_LEVEL * 100);
        if (other && len > 0 && (size_t)len < sizeof(head))
            snprintf(head + len, sizeof(head) - (size_t)len,
                     " %zu row(s) of sweeps without %s left out.", other, base);
        size_t hl = strlen(head);
        out->note = malloc(hl + note_len + 1);
        if (out->note) {
            memcpy(out->note, head, hl);
            memcpy(out->note + hl, note ? note : "", note_len);
            out->note[hl + note_len] = '\0';
        } else
            rc = -ENOMEM;
    }
    if (rc) {
        vsr_report_table_free(out);
        if (rc == -ENOMEM)
            rc = vsr_error_set(err, -ENOMEM, "ablation: out of memory");
    }
done:
    if (nf)
        fclose(nf);
    free(note);
    free(base_of);
    free(order);
    return rc;
}

/* ---- leaderboard against the base ------------------------------------- */

/* Append @p add to the note of @p t. 0 or -ENOMEM. */
static int note_append(vsr_report_table *t, const char *add)
{
    const char *old = t->note ? t->note : "";
    char *note = malloc(strlen(old) + strlen(add) + 1);
    if (!note)
        return -ENOMEM;
    strcpy(note, old);
    strcat(note, add);
    free(t->note);
    t->note = note;
    return 0;
}

/* Append an empty column @p header (numeric) to @p t. */
static int table_add_column(vsr_report_table *t, const char *header)
{
    int nc = t->ncols + 1;
    size_t ncell = t->nrows * (size_t)nc;
    char **headers = realloc(t->headers, (size_t)nc * sizeof(*headers));
    if (!headers)
        return -ENOMEM;
    t->headers = headers;
    unsigned char *numeric = realloc(t->numeric, (size_t)nc);
    if (!numeric)
        return -ENOMEM;
    t->numeric = numeric;
    char **cells = calloc(ncell ? ncell : 1, sizeof(*cells));
    double *keys = malloc((ncell ? ncell : 1) * sizeof(*keys));
    unsigned char *best = calloc(ncell ? ncell : 1, 1);
    char *h = dupstr(header);
    if (!cells || !keys || !best || !h) {
        free(cells);
        free(keys);
        free(best);
        free(h);
        return -ENOMEM;
    }
    for (size_t r = 0; r < t->nrows; r++) {
        for (int c = 0; c < t->ncols; c++) {
            cells[r * (size_t)nc + (size_t)c] = t->cells[r * (size_t)t->ncols + (size_t)c];
            keys[r * (size_t)nc + (size_t)c] = t->keys[r * (size_t)t->ncols + (size_t)c];
            best[r * (size_t)nc + (size_t)c] = t->best[r * (size_t)t->ncols + (size_t)c];
        }
        keys[r * (size_t)nc + (size_t)t->ncols] = NAN;
    }
    free(t->cells);
    free(t->keys);
    free(t->best);
    t->cells = cells;
    t->keys = keys;
    t->best = best;
    t->headers[t->ncols] = h;
    t->numeric[t->ncols] = 1;
    t->ncols = nc;
    return 0;
}

int vsr_report_leaderboard_add_base(vsr_report_table *t, const vsr_report_row *rows, size_t n,
                                    const char *base, const vsr_report_frame_point *pts,
                                    size_t npts, vsr_error *err)
{
    /* the leaderboard's own row order */
    const vsr_report_row **p = sorted(rows, n, cmp_rank);
    char header[128];
    snprintf(header, sizeof(header), "\xce\x94PSNR vs %s [95%% CI]", base);
    if (!p || t->nrows != n || table_add_column(t, header)) {
        free(p);
        return vsr_error_set(err, -ENOMEM, "leaderboard against %s: out of memory", base);
    }
    int col = t->ncols - 1, rc = 0, cells = 0, any = 0;
    for (size_t k = 0; k < n && !rc; k++) {
        size_t ri = (size_t)(p[k] - rows), bi = (size_t)-1;
        int score = -1;
        /* the base of the same precision: same sweep, then model, then setting */
        for (size_t j = 0; j < n; j++) {
            if (!vsr_report_is_base(&rows[j], base) ||
                strcmp(rows[j].precision, rows[ri].precision))
                continue;
            int sc = 4 * !strcmp(rows[j].sweep, rows[ri].sweep) +
                     2 * !strcmp(rows[j].model, rows[ri].model) +
                     same_timing_setting(&rows[j], &rows[ri]);
            if (sc > score) {
                score = sc;
                bi = j;
            }
        }
        if (bi == (size_t)-1 || bi == ri) {
            cells |= cell(t, k, col, NAN, "%s", bi == ri ? "(base)" : "-");
            continue;
        }
        any = 1;
        double d = rows[ri].psnr - rows[bi].psnr, lo = NAN, hi = NAN;
        int sig = 0, c;
        if (pts && !isnan(d) && (c = paired_ci(pts, npts, ri, bi, 0, &lo, &hi, err)) < 0) {
            rc = c;
            break;
        }
        cells |= delta_ci_cell(t, k, col, d, lo, hi, 2, &sig);
        if (sig) {
            size_t i = k * (size_t)t->ncols + (size_t)col;
            size_t len = strlen(t->cells[i]);
            char *s = realloc(t->cells[i], len + 3);
            if (s) {
                memcpy(s + len, " *", 3);
                t->cells[i] = s;
            } else
                cells = -ENOMEM;
        }
    }
    free(p);
    if (!rc && cells)
        rc = vsr_error_set(err, -ENOMEM, "leaderboard against %s: out of memory", base);
    if (!rc && any) {
        char add[512];
        snprintf(add, sizeof(add),
                 " \xce\x94PSNR vs %s: against %s of the same precision (same sweep first), "
                 "paired bootstrap 95%% interval over frames as in the ablation table; * = the "
                 "interval excludes 0.",
                 base, base);
        if (note_append(t, add))
            return vsr_error_set(err, -ENOMEM, "leaderboard against %s: out of memory", base);
    }
    return rc;
}

/* ---- leaderboard: the phones' figures beside the x86 ms ------------------ */

int vsr_report_leaderboard_add_devices(vsr_report_table *t, const vsr_report_row *rows,
                                       size_t n, enum vsr_report_style style,
                                       const vsr_report_devices *d, vsr_error *err)
{
    if (!d || d->ncols == 0)
        return 0;
    /* the leaderboard's own row order */
    const vsr_report_row **p = sorted(rows, n, cmp_rank);
    int rc = !p || t->nrows != n ? -ENOMEM : 0;
    const int dec = style == VSR_REPORT_DATA ? 3 : 1;
    for (int k = 0; k < d->ncols && !rc; k++) {
        char header[300];
        snprintf(header, sizeof(header), "ms on %s", d->names[k]);
        if (table_add_column(t, header)) {
            rc = -ENOMEM;
            break;
        }
        int col = t->ncols - 1;
        for (size_t i = 0; i < n && !rc; i++) {
            size_t ri = (size_t)(p[i] - rows);
            char buf[64];
            double ms = d->ms[ri * (size_t)d->ncols + (size_t)k];
            if (style == VSR_REPORT_DATA)
                fmt_data(buf, sizeof(buf), ms, dec);
            else
                vsr_report_fmt(buf, sizeof(buf), ms, dec);
            rc = cell(t, i, col, ms, "%s", buf);
        }
        if (!rc && style == VSR_REPORT_DISPLAY)
            mark_best(t, col, 0, dec);
    }
    free(p);
    if (!rc && style == VSR_REPORT_DISPLAY)
        rc = note_append(t, " ms on <device>: the phone's mean time per inference of the same "
                            "model and precision (TFLite benchmark_model or typed in; "
                            "vsrbench device import), newest import.");
    return rc ? vsr_error_set(err, -ENOMEM, "leaderboard device columns: out of memory") : 0;
}

/* ---- failed and skipped runs ------------------------------------------ */

int vsr_report_table_problems(const vsr_report_row *rows, size_t n, vsr_report_table *out,
                              vsr_error *err)
{
    static const char *const h[] = {"Model", "Variant", "Precision",
                                    "Data",  "Status",  "Reason"};
    static const unsigned char num[] = {0, 0, 0, 0, 0, 0};
    int rc =
        table_init(out, "runs_not_ok", "Runs that failed or were skipped", 6, h, num, n, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < n && !rc; i++) {
        const vsr_report_row *r = &rows[i];
        char data[160];
        int len = snprintf(data, sizeof(data), "%s%s%s", r->dataset,
                           r->degradation[0] ? " " : "", r->degradation);
        if (r->frames > 0 && len > 0 && (size_t)len < sizeof(data))
            snprintf(data + len, sizeof(data) - (size_t)len, ", frames: %d", r->frames);
        rc |= cell(out, i, 0, NAN, "%s", r->model);
        rc |= cell(out, i, 1, NAN, "%s", or_dash(r->variant));
        rc |= cell(out, i, 2, NAN, "%s", or_dash(r->precision));
        rc |= cell(out, i, 3, NAN, "%s", data);
        rc |= cell(out, i, 4, NAN, "%s", r->status);
        rc |= cell(out, i, 5, NAN, "%s", r->error[0] ? r->error : "(no reason recorded)");
    }
    if (!rc && !(out->note = dupstr("Each run's reason as the run log recorded it; a skipped "
                                    "run's reason says how to get what it missed.")))
        rc = -ENOMEM;
    if (rc) {
        vsr_report_table_free(out);
        return vsr_error_set(err, -ENOMEM, "runs_not_ok table: out of memory");
    }
    return 0;
}

/* ---- tune sessions ------------------------------------------------------ */

int vsr_report_table_tune(const vsr_report_tune_set *set, vsr_report_table *out, vsr_error *err)
{
    static const char *const h[] = {
        "Threads", "Tile", "Pad", "ms/frame [95% CI]", "\xce\x94PSNR vs untiled [dB]",
        "NIQE",    "Score"};
    static const unsigned char num[] = {1, 1, 1, 1, 1, 1, 1};
    /* NIQE and the score (tune --score) only when the session has them */
    int has_niqe = 0, has_score = set->score[0] != '\0';
    for (size_t i = 0; i < set->n; i++)
        has_niqe |= !isnan(set->pts[i].niqe);
    const char *hh[7] = {h[0], h[1], h[2], h[3], h[4]};
    int ncols = 5;
    if (has_niqe)
        hh[ncols++] = h[5];
    if (has_score)
        hh[ncols++] = h[6];
    char id[300], title[800];
    snprintf(id, sizeof(id), "tune_%s_%s_%s_%s", set->model, set->variant, set->precision,
             set->dataset);
    for (char *p = id; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
              (*p >= 'A' && *p <= 'Z') || *p == '-' || *p == '_' || *p == '.'))
            *p = '_';
    snprintf(title, sizeof(title), "Tune %s%s%s %s on %s%s%.200s%s", set->model,
             set->variant[0] ? "/" : "", set->variant, set->precision, set->dataset,
             has_score ? " (score " : "", set->score, has_score ? ", higher is better)" : "");
    int rc = table_init(out, id, title, ncols, hh, num, set->n, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < set->n && !rc; i++) {
        const vsr_report_tune_point *p = &set->pts[i];
        vsr_report_row r;
        vsr_report_row_init(&r);
        r.ms_median = p->ms_median;
        r.ms_lo = p->ms_lo;
        r.ms_hi = p->ms_hi;
        r.noisy = p->noisy;
        char ms[96], dp[48];
        fmt_ms(ms, sizeof(ms), &r, 2);
        fmt_delta(dp, sizeof(dp), p->dpsnr, 3);
        rc |= cell(out, i, 0, p->threads, "%d", p->threads);
        if (p->tile)
            rc |= cell(out, i, 1, p->tile, "%d", p->tile);
        else
            rc |= cell(out, i, 1, 0, "none");
        rc |= cell(out, i, 2, p->pad, "%d", p->pad);
        rc |= cell(out, i, 3, p->ms_median, "%s", ms);
        rc |= cell(out, i, 4, p->dpsnr, "%s", dp);
        int c = 5;
        if (has_niqe)
            rc |= isnan(p->niqe) ? cell(out, i, c, NAN, "-")
                                 : cell(out, i, c, p->niqe, "%.3f", p->niqe);
        c += has_niqe;
        if (has_score)
            rc |= isnan(p->score) ? cell(out, i, c, NAN, "-")
                                  : cell(out, i, c, p->score, "%.5g", p->score);
    }
    if (rc) {
        vsr_report_table_free(out);
        return vsr_error_set(err, -ENOMEM, "tune table: out of memory");
    }
    mark_best(out, 3, 0, 2);
    return 0;
}

/* ---- escaping ---------------------------------------------------------- */

static int is_word(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           c >= 0x80;
}

/*
 * Markdown (GFM) cell text: backslash, pipe, '*', '`', '[', ']', '<', '>' and '&' are
 * escaped, so text from the run log (model names, errors, paths) can form no link, image,
 * autolink, HTML tag or entity; '_' only where it could open or close emphasis (next to a
 * non-word character), so names like MVSR_13 stay readable. Parentheses stay as they are:
 * without an unescaped ']' before them they cannot make a link, and "10.5 (p95 11.2)"
 * stays readable as plain text.
 */
void vsr_report_put_md(FILE *out, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if (c == '\n' || c == '\r') {
            fputc(' ', out);
            continue;
        }
        if (c == '_') {
            int left = p > (const unsigned char *)s && is_word(p[-1]);
            int right = is_word(p[1]);
            if (!(left && right))
                fputc('\\', out);
        } else if (strchr("\\|*`<>[]&", c)) {
            fputc('\\', out);
        }
        fputc(c, out);
    }
}

/* 1 when @p s reads as a number a report prints: [-+]digits or .digits..., inf, nan, "-". */
static int csv_numeric(const char *s)
{
    const char *p = s + (*s == '-' || *s == '+');
    if (!strcmp(s, "-") || !strcmp(p, "inf") || !strcmp(p, "nan"))
        return 1;
    return (p[0] >= '0' && p[0] <= '9') || (p[0] == '.' && p[1] >= '0' && p[1] <= '9');
}

/*
 * RFC 4180: quote fields with a comma, quote, CR, LF or edge space; double quotes. Against
 * spreadsheet formula injection (OWASP "CSV Injection"), a cell starting with '=', '+',
 * '-', '@', tab or CR gets a leading single quote (and is quoted), unless @p number says it
 * is a numeric column's cell that reads as a number (-0.12 stays a number).
 */
static void put_csv(FILE *out, const char *s, int number)
{
    size_t len = strlen(s);
    int neutralise = len && strchr("=+-@\t\r", s[0]) && !(number && csv_numeric(s));
    int quote = neutralise || strpbrk(s, ",\"\r\n") != NULL ||
                (len && (s[0] == ' ' || s[len - 1] == ' ' || s[0] == '\t'));
    if (!quote) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    if (neutralise)
        fputc('\'', out);
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            fputc('"', out);
        fputc(*p, out);
    }
    fputc('"', out);
}

void vsr_report_put_csv(FILE *out, const char *s)
{
    put_csv(out, s, 0);
}

void vsr_report_put_csv_number(FILE *out, const char *s)
{
    put_csv(out, s, 1);
}

void vsr_report_put_html(FILE *out, const char *s)
{
    for (const char *p = s; *p; p++) {
        switch (*p) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&#39;", out);
            break;
        default:
            fputc(*p, out);
        }
    }
}

/* LaTeX text mode: the ten specials; U+0394 (Delta) as math. */
void vsr_report_put_tex(FILE *out, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '&':
        case '%':
        case '$':
        case '#':
        case '_':
        case '{':
        case '}':
            fputc('\\', out);
            fputc(*p, out);
            break;
        case '~':
            fputs("\\textasciitilde{}", out);
            break;
        case '^':
            fputs("\\textasciicircum{}", out);
            break;
        case '\\':
            fputs("\\textbackslash{}", out);
            break;
        case '\n':
            fputc(' ', out);
            break;
        default:
            if (p[0] == 0xce && p[1] == 0x94) {
                fputs("$\\Delta$", out);
                p++;
            } else {
                fputc(*p, out);
            }
        }
    }
}

/* ---- writers ----------------------------------------------------------- */

static const char *cell_at(const vsr_report_table *t, size_t r, int c)
{
    return t->cells[r * (size_t)t->ncols + (size_t)c];
}

static int best_at(const vsr_report_table *t, size_t r, int c)
{
    return t->best[r * (size_t)t->ncols + (size_t)c];
}

static void write_md(FILE *out, const vsr_report_table *t)
{
    fputs("### ", out);
    vsr_report_put_md(out, t->title);
    fputs("\n\n|", out);
    for (int c = 0; c < t->ncols; c++) {
        fputc(' ', out);
        vsr_report_put_md(out, t->headers[c]);
        fputs(" |", out);
    }
    fputs("\n|", out);
    for (int c = 0; c < t->ncols; c++)
        fputs(t->numeric[c] ? "---:|" : "---|", out);
    fputc('\n', out);
    for (size_t r = 0; r < t->nrows; r++) {
        fputc('|', out);
        for (int c = 0; c < t->ncols; c++) {
            fputc(' ', out);
            int b = best_at(t, r, c);
            if (b)
                fputs("**", out);
            vsr_report_put_md(out, cell_at(t, r, c));
            if (b)
                fputs("**", out);
            fputs(" |", out);
        }
        fputc('\n', out);
    }
    if (t->note) {
        fputs("\n", out);
        vsr_report_put_md(out, t->note);
        fputc('\n', out);
    }
    fputc('\n', out);
}

static void write_csv(FILE *out, const vsr_report_table *t)
{
    for (int c = 0; c < t->ncols; c++) {
        if (c)
            fputc(',', out);
        vsr_report_put_csv(out, t->headers[c]);
    }
    fputs("\r\n", out);
    for (size_t r = 0; r < t->nrows; r++) {
        for (int c = 0; c < t->ncols; c++) {
            if (c)
                fputc(',', out);
            put_csv(out, cell_at(t, r, c), t->numeric[c]);
        }
        fputs("\r\n", out);
    }
}

static void write_html(FILE *out, const vsr_report_table *t)
{
    fputs("<table class=\"sortable\" id=\"", out);
    vsr_report_put_html(out, t->id);
    fputs("\">\n<caption>", out);
    vsr_report_put_html(out, t->title);
    fputs("</caption>\n<thead><tr>", out);
    for (int c = 0; c < t->ncols; c++) {
        fprintf(out, "<th data-type=\"%s\" title=\"click to sort\">",
                t->numeric[c] ? "num" : "text");
        vsr_report_put_html(out, t->headers[c]);
        fputs("</th>", out);
    }
    fputs("</tr></thead>\n<tbody>\n", out);
    for (size_t r = 0; r < t->nrows; r++) {
        fputs("<tr>", out);
        for (int c = 0; c < t->ncols; c++) {
            double k = t->keys[r * (size_t)t->ncols + (size_t)c];
            int b = best_at(t, r, c);
            fputs(t->numeric[c] ? "<td class=\"num" : "<td class=\"", out);
            if (b)
                fputs(t->numeric[c] ? " best" : "best", out);
            fputc('"', out);
            if (t->numeric[c] && isinf(k)) /* what parseFloat() reads back */
                fprintf(out, " data-v=\"%sInfinity\"", k < 0 ? "-" : "");
            else if (t->numeric[c] && !isnan(k))
                fprintf(out, " data-v=\"%.17g\"", k);
            fputc('>', out);
            if (b)
                fputs("<b>", out);
            vsr_report_put_html(out, cell_at(t, r, c));
            if (b)
                fputs("</b>", out);
            fputs("</td>", out);
        }
        fputs("</tr>\n", out);
    }
    fputs("</tbody>\n</table>\n", out);
    if (t->note) {
        fputs("<p class=\"note\">", out);
        vsr_report_put_html(out, t->note);
        fputs("</p>\n", out);
    }
}

static void write_tex(FILE *out, const vsr_report_table *t)
{
    fputs("\\begin{table}[t]\n\\centering\n\\caption{", out);
    vsr_report_put_tex(out, t->title);
    fputs("}\n\\label{tab:", out);
    /* Labels take letters, digits and a few marks; map the rest to '-'. */
    for (const char *p = t->id; *p; p++)
        fputc(is_word((unsigned char)*p) || *p == '_' ? *p : '-', out);
    fputs("}\n\\small\n\\begin{tabular}{", out);
    for (int c = 0; c < t->ncols; c++)
        fputc(t->numeric[c] ? 'r' : 'l', out);
    fputs("}\n\\toprule\n", out);
    for (int c = 0; c < t->ncols; c++) {
        if (c)
            fputs(" & ", out);
        vsr_report_put_tex(out, t->headers[c]);
    }
    fputs(" \\\\\n\\midrule\n", out);
    for (size_t r = 0; r < t->nrows; r++) {
        for (int c = 0; c < t->ncols; c++) {
            if (c)
                fputs(" & ", out);
            int b = best_at(t, r, c);
            if (b)
                fputs("\\textbf{", out);
            vsr_report_put_tex(out, cell_at(t, r, c));
            if (b)
                fputc('}', out);
        }
        fputs(" \\\\\n", out);
    }
    fputs("\\bottomrule\n\\end{tabular}\n", out);
    if (t->note) {
        fputs("\\par\\smallskip{\\footnotesize ", out);
        vsr_report_put_tex(out, t->note);
        fputs("}\n", out);
    }
    fputs("\\end{table}\n\n", out);
}

int vsr_report_table_write(FILE *out, const vsr_report_table *t, enum vsr_report_format fmt,
                           vsr_error *err)
{
    errno = 0;
    switch (fmt) {
    case VSR_REPORT_MD:
        write_md(out, t);
        break;
    case VSR_REPORT_CSV:
        write_csv(out, t);
        break;
    case VSR_REPORT_HTML:
        write_html(out, t);
        break;
    case VSR_REPORT_TEX:
        write_tex(out, t);
        break;
    default:
        return vsr_error_set(err, -EINVAL, "table %s: unknown format %d", t->id, (int)fmt);
    }
    if (ferror(out)) { /* a full buffer went out mid-table: name the cause (EFBIG...) */
        int e = errno ? errno : EIO;
        return vsr_error_set(err, -e, "table %s: write failed: %s", t->id, strerror(e));
    }
    return 0;
}

int vsr_report_parse_formats(const char *s, unsigned *formats, vsr_error *err)
{
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {{"md", VSR_REPORT_MD},
                 {"csv", VSR_REPORT_CSV},
                 {"html", VSR_REPORT_HTML},
                 {"tex", VSR_REPORT_TEX},
                 {"json", VSR_REPORT_JSON}};
    *formats = 0;
    for (const char *p = s; *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        size_t i = 0;
        for (; i < sizeof(names) / sizeof(names[0]); i++)
            if (strlen(names[i].name) == len && !strncmp(p, names[i].name, len))
                break;
        if (i == sizeof(names) / sizeof(names[0]))
            return vsr_error_set(err, -EINVAL,
                                 "--format: unknown format '%.*s' (use md, csv, "
                                 "html, tex, json)",
                                 (int)len, p);
        *formats |= names[i].bit;
        p = comma ? comma + 1 : p + len;
    }
    if (!*formats)
        return vsr_error_set(err, -EINVAL, "--format: empty (use md, csv, html, tex)");
    return 0;
}

/* ---- for the builders in other files (reports_internal.h) ---------------- */

int vsr_report_table_init(vsr_report_table *t, const char *id, const char *title, int ncols,
                          const char *const *headers, const unsigned char *numeric,
                          size_t nrows, vsr_error *err)
{
    return table_init(t, id, title, ncols, headers, numeric, nrows, err);
}

int vsr_report_table_set(vsr_report_table *t, size_t r, int c, double key, const char *text)
{
    return cell(t, r, c, key, "%s", text);
}

void vsr_report_table_mark_best(vsr_report_table *t, int c, int maximize, int dec)
{
    mark_best(t, c, maximize, dec);
}
