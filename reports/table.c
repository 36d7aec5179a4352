/*
 * Tables: builders (leaderboard, research log, ablation) that turn rows into
 * display cells, and the md / csv / html / tex writers with their escaping.
 */
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
static int cell(vsr_report_table *t, size_t r, int c, double key, const char *fmt, ...)
    VSR_PRINTF(5, 6);
static int cell(vsr_report_table *t, size_t r, int c, double key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0)
        return -EINVAL;
    char *s = malloc((size_t)len + 1);
    if (!s)
        return -ENOMEM;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)len + 1, fmt, ap);
    va_end(ap);
    size_t i = r * (size_t)t->ncols + (size_t)c;
    free(t->cells[i]);
    t->cells[i] = s;
    t->keys[i] = key;
    return 0;
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

static int cmp_research(const void *pa, const void *pb)
{
    const vsr_report_row *a = *(const vsr_report_row *const *)pa;
    const vsr_report_row *b = *(const vsr_report_row *const *)pb;
    int c;
    if ((c = strcmp(a->dataset, b->dataset)))
        return c;
    if ((c = strcmp(a->channel, b->channel)))
        return c;
    return cmp_rank(pa, pb);
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

/* ---- research-log table ------------------------------------------------ */

static void fmt_count(char *buf, size_t cap, double v)
{
    if (isnan(v))
        snprintf(buf, cap, "-");
    else if (v >= 1e6)
        snprintf(buf, cap, "%.2fM", v / 1e6);
    else if (v >= 1e3)
        snprintf(buf, cap, "%.1fK", v / 1e3);
    else
        snprintf(buf, cap, "%.0f", v);
}

int vsr_report_table_research(const vsr_report_row *rows, size_t n, vsr_report_table *out,
                              vsr_error *err)
{
    static const char *const h[] = {"Model",    "Description", "Dataset", "Val PSNR",
                                    "Val SSIM", "Params",      "Runtime", "FLOPs"};
    static const unsigned char num[] = {0, 0, 0, 1, 1, 1, 1, 1};
    const vsr_report_row **p = sorted(rows, n, cmp_research);
    if (!p)
        return vsr_error_set(err, -ENOMEM, "research table: out of memory");
    int rc = table_init(out, "research_log", "Research log (paste-ready)", 8, h, num, n, err);
    if (rc)
        goto done;
    for (size_t i = 0; i < n && !rc; i++) {
        const vsr_report_row *r = p[i];
        char label[160], desc[200], ds[128], a[64], b[64];
        vsr_report_row_label(r, label, sizeof(label));
        if (r->description[0]) {
            snprintf(desc, sizeof(desc), "%s, %s", r->description, or_dash(r->precision));
        } else {
            char tile[48];
            fmt_tile(tile, sizeof(tile), r);
            if (r->threads >= 0)
                snprintf(desc, sizeof(desc), "%s, %d thread%s, tile %s", or_dash(r->precision),
                         r->threads, r->threads == 1 ? "" : "s", tile);
            else
                snprintf(desc, sizeof(desc), "%s, tile %s", or_dash(r->precision), tile);
        }
        if (r->degradation[0])
            snprintf(ds, sizeof(ds), "%s (%sx4) %s", r->dataset, r->degradation, r->channel);
        else
            snprintf(ds, sizeof(ds), "%s %s", r->dataset, r->channel);
        rc |= cell(out, i, 0, NAN, "%s", label);
        rc |= cell(out, i, 1, NAN, "%s", desc);
        rc |= cell(out, i, 2, NAN, "%s", ds);
        vsr_report_fmt(a, sizeof(a), r->psnr, 2);
        rc |= cell(out, i, 3, r->psnr, "%s", a);
        vsr_report_fmt(a, sizeof(a), r->ssim, 4);
        rc |= cell(out, i, 4, r->ssim, "%s", a);
        fmt_count(a, sizeof(a), r->params);
        rc |= cell(out, i, 5, r->params, "%s", a);
        fmt_ms(a, sizeof(a), r, 2);
        rc |= cell(out, i, 6, r->ms_median, isnan(r->ms_median) ? "%s" : "%s ms", a);
        vsr_report_fmt(b, sizeof(b), r->macs / 1e9, 3);
        if (isnan(r->macs) || r->in_w <= 0)
            rc |= cell(out, i, 7, r->macs, "%s", b);
        else
            rc |= cell(out, i, 7, r->macs, "%sG @ %dx%d", b, r->in_h, r->in_w);
    }
    if (!rc) {
        out->note = dupstr("FLOPs as in fvcore and NTIRE ESR: one fused multiply-add counts "
                           "as one (i.e. MACs), per LR frame at HxW. Runtime: median ms per "
                           "LR frame.");
        if (!out->note)
            rc = -ENOMEM;
    }
    if (rc) {
        vsr_report_table_free(out);
        rc = vsr_error_set(err, -ENOMEM, "research table: out of memory");
    }
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

static int is_base(const vsr_report_row *r, const char *base)
{
    char label[160];
    if (!strcmp(r->variant, base))
        return 1;
    if ((!r->variant[0] || !strcmp(r->variant, "base")) && !strcmp(r->model, base))
        return 1;
    snprintf(label, sizeof(label), "%s/%s", r->model, r->variant);
    return !strcmp(label, base);
}

static int same_setting(const vsr_report_row *a, const vsr_report_row *b)
{
    return !strcmp(a->dataset, b->dataset) && !strcmp(a->channel, b->channel) &&
           !strcmp(a->precision, b->precision) && a->threads == b->threads &&
           a->tile == b->tile;
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

int vsr_report_table_ablation(const vsr_report_row *rows, size_t n, const char *base,
                              vsr_report_table *out, vsr_error *err)
{
    static const char *const h[VSR_ABL_NCOLS] = {
        "Model",     "Variant",           "Precision",  "Data",
        "PSNR [dB]", "\xce\x94PSNR [dB]", "Params [K]", "\xce\x94Params [K]",
        "MACs [G]",  "\xce\x94MACs [G]",  "ms/frame",   "\xce\x94ms [ms]"};
    static const unsigned char num[VSR_ABL_NCOLS] = {0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1};
    memset(out, 0, sizeof(*out));
    size_t *base_of = malloc((n ? n : 1) * sizeof(*base_of));
    size_t *order = malloc((n ? n : 1) * sizeof(*order));
    int rc = 0;
    if (!base_of || !order) {
        rc = vsr_error_set(err, -ENOMEM, "ablation: out of memory");
        goto done;
    }
    int any_base = 0;
    for (size_t i = 0; i < n; i++)
        any_base |= is_base(&rows[i], base);
    if (!any_base) {
        rc = vsr_error_set(err, -EINVAL,
                           "--base %s: no run has that model or variant (check --filter and "
                           "the names in 'vsrbench report' tables)",
                           base);
        goto done;
    }
    /* Base of each row: the first base row of the same model (an ablation
     * stays within its model family) with the same setting. Rows of models
     * that have no base row at all are not part of this ablation. */
    size_t kept = 0, orphans = 0;
    for (size_t i = 0; i < n; i++) {
        int family = 0;
        base_of[i] = (size_t)-1;
        for (size_t j = 0; j < n; j++) {
            if (!is_base(&rows[j], base) || strcmp(rows[i].model, rows[j].model) != 0)
                continue;
            family = 1;
            if (same_setting(&rows[i], &rows[j])) {
                base_of[i] = j;
                break;
            }
        }
        if (family && base_of[i] == (size_t)-1)
            orphans++;
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
    for (size_t k = 0; k < kept && !rc; k++) {
        const vsr_report_row *r = &rows[order[k]], *b = &rows[base_of[order[k]]];
        char a[128];
        double d;
        rc |= cell(out, k, VSR_ABL_MODEL, NAN, "%s", r->model);
        rc |= cell(out, k, VSR_ABL_VARIANT, NAN, "%s%s", or_dash(r->variant),
                   r == b ? " (base)" : "");
        rc |= cell(out, k, VSR_ABL_PRECISION, NAN, "%s", or_dash(r->precision));
        rc |= cell(out, k, VSR_ABL_DATA, NAN, "%s %s", r->dataset, r->channel);
        vsr_report_fmt(a, sizeof(a), r->psnr, 2);
        rc |= cell(out, k, VSR_ABL_PSNR, r->psnr, "%s", a);
        d = r->psnr - b->psnr;
        fmt_delta(a, sizeof(a), d, 2);
        rc |= cell(out, k, VSR_ABL_DPSNR, d, "%s", a);
        vsr_report_fmt(a, sizeof(a), r->params / 1e3, 1);
        rc |= cell(out, k, VSR_ABL_PARAMS, r->params / 1e3, "%s", a);
        d = (r->params - b->params) / 1e3;
        fmt_delta(a, sizeof(a), d, 1);
        rc |= cell(out, k, VSR_ABL_DPARAMS, d, "%s", a);
        vsr_report_fmt(a, sizeof(a), r->macs / 1e9, 3);
        rc |= cell(out, k, VSR_ABL_MACS, r->macs / 1e9, "%s", a);
        d = (r->macs - b->macs) / 1e9;
        fmt_delta(a, sizeof(a), d, 3);
        rc |= cell(out, k, VSR_ABL_DMACS, d, "%s", a);
        fmt_ms(a, sizeof(a), r, 2);
        rc |= cell(out, k, VSR_ABL_MS, r->ms_median, "%s", a);
        d = r->ms_median - b->ms_median;
        fmt_delta(a, sizeof(a), d, 2);
        rc |= cell(out, k, VSR_ABL_DMS, d, "%s", a);
    }
    if (!rc) {
        char note[256];
        int len = snprintf(note, sizeof(note),
                           "Deltas against %s with the same dataset, channel, precision, "
                           "threads and tile.",
                           base);
        if (orphans)
            snprintf(note + len, sizeof(note) - (size_t)len,
                     " %zu run(s) with no such base left out.", orphans);
        out->note = dupstr(note);
        if (!out->note)
            rc = -ENOMEM;
    }
    if (rc) {
        vsr_report_table_free(out);
        rc = vsr_error_set(err, -ENOMEM, "ablation: out of memory");
    }
done:
    free(base_of);
    free(order);
    return rc;
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
