/*
 * research_log.c: the research log's own table, in the log's conventions
 * (docs/MODEL_SPECS.md 0.2: Keras params, the log's FLOPs at
 * 180x320), and the NTIRE ESR context table of a leaderboard group
 * (MACs at the reference sizes, conv activations, convs, peak memory).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports_internal.h"

/* dataset, channel, then PSNR descending (NAN last), then label and run. */
static int cmp_log(const void *pa, const void *pb)
{
    const vsr_report_row *a = *(const vsr_report_row *const *)pa;
    const vsr_report_row *b = *(const vsr_report_row *const *)pb;
    int c;
    if ((c = strcmp(a->dataset, b->dataset)) || (c = strcmp(a->channel, b->channel)))
        return c;
    if (isnan(a->psnr) != isnan(b->psnr))
        return isnan(a->psnr) ? 1 : -1;
    if (a->psnr != b->psnr && !isnan(a->psnr))
        return a->psnr > b->psnr ? -1 : 1;
    if ((c = strcmp(a->model, b->model)) || (c = strcmp(a->variant, b->variant)) ||
        (c = strcmp(a->precision, b->precision)))
        return c;
    return (a->run_id > b->run_id) - (a->run_id < b->run_id);
}

static const vsr_report_row **by_log_order(const vsr_report_row *rows, size_t n)
{
    const vsr_report_row **p = malloc((n ? n : 1) * sizeof(*p));
    if (!p)
        return NULL;
    for (size_t i = 0; i < n; i++)
        p[i] = &rows[i];
    qsort(p, n, sizeof(*p), cmp_log);
    return p;
}

/* An integer count with thousands separators, as the log writes params
 * ("68,157"); "-" when NAN. */
void vsr_report_fmt_thousands(char *buf, size_t cap, double v)
{
    if (isnan(v) || v < 0 || v >= 1e18) {
        snprintf(buf, cap, "-");
        return;
    }
    char digits[32];
    snprintf(digits, sizeof(digits), "%.0f", v);
    size_t nd = strlen(digits), o = 0;
    for (size_t i = 0; i < nd && o + 2 < cap; i++) {
        if (i && (nd - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
}

/* "12.34 (fp16, 4 threads, tile 64, avx2)": median ms per LR frame, then
 * what it ran on; "noisy" when the timing was marked so. */
static void fmt_runtime(char *buf, size_t cap, const vsr_report_row *r)
{
    char ms[32], thr[32] = "", tile[32] = "", isa[64] = "";
    vsr_report_fmt(ms, sizeof(ms), r->ms_median, 2);
    if (r->threads >= 0)
        snprintf(thr, sizeof(thr), ", %d thread%s", r->threads, r->threads == 1 ? "" : "s");
    if (r->tile > 0)
        snprintf(tile, sizeof(tile), ", tile %d", r->tile);
    if (r->isa[0])
        snprintf(isa, sizeof(isa), ", %s", r->isa);
    snprintf(buf, cap, "%s (%s%s%s%s)%s", ms, r->precision[0] ? r->precision : "-", thr, tile,
             isa, r->noisy ? " noisy" : "");
}

static void dataset_label(char *buf, size_t cap, const vsr_report_row *r)
{
    if (r->degradation[0])
        snprintf(buf, cap, "%s (%sx4) %s", r->dataset, r->degradation, r->channel);
    else
        snprintf(buf, cap, "%s %s", r->dataset, r->channel);
}

/* Attach @p note, or on any failure free the table: one line naming it. */
static int finish_table(vsr_report_table *out, int rc, const char *note, const char *what,
                        vsr_error *err)
{
    if (!rc && !(out->note = strdup(note)))
        rc = -ENOMEM;
    if (rc) {
        vsr_report_table_free(out);
        rc = vsr_error_set(err, -ENOMEM, "%s: out of memory", what);
    }
    return rc;
}

int vsr_report_table_research(const vsr_report_row *rows, size_t n, vsr_report_table *out,
                              vsr_error *err)
{
    static const char *const h[] = {"Model",    "Description", "Dataset",      "Val PSNR",
                                    "Val SSIM", "Params",      "Runtime [ms]", "FLOPs [G]"};
    static const unsigned char num[] = {0, 0, 0, 1, 1, 1, 1, 1};
    memset(out, 0, sizeof(*out));
    const vsr_report_row **p = by_log_order(rows, n);
    if (!p)
        return vsr_error_set(err, -ENOMEM, "research table: out of memory");
    int rc = vsr_report_table_make(out, "research_log", "Research log (paste-ready)", 8, h, num,
                                   n, err);
    if (rc)
        goto done;
    for (size_t i = 0; i < n && !rc; i++) {
        const vsr_report_row *r = p[i];
        char label[160], ds[160], a[128];
        vsr_report_row_label(r, label, sizeof(label));
        dataset_label(ds, sizeof(ds), r);
        rc |= vsr_report_cell(out, i, 0, NAN, "%s", label);
        rc |= vsr_report_cell(out, i, 1, NAN, "%s", r->description[0] ? r->description : "-");
        rc |= vsr_report_cell(out, i, 2, NAN, "%s", ds);
        vsr_report_fmt(a, sizeof(a), r->psnr, 2);
        rc |= vsr_report_cell(out, i, 3, r->psnr, "%s", a);
        vsr_report_fmt(a, sizeof(a), r->ssim, 4);
        rc |= vsr_report_cell(out, i, 4, r->ssim, "%s", a);
        vsr_report_fmt_thousands(a, sizeof(a), r->params_log);
        rc |= vsr_report_cell(out, i, 5, r->params_log, "%s", a);
        fmt_runtime(a, sizeof(a), r);
        rc |= vsr_report_cell(out, i, 6, r->ms_median, "%s", a);
        vsr_report_fmt(a, sizeof(a), r->flops_log / 1e9, 3);
        rc |= vsr_report_cell(out, i, 7, r->flops_log, "%s", a);
    }
    rc = finish_table(
        out, rc,
        "The research log's conventions (docs/MODEL_SPECS.md 0.2): Params = Keras "
        "count_params() "
        "(BatchNorm counted as 4C, not folded; ELSR's shared PReLU slope not counted). "
        "FLOPs = 2 x MACs + 1 per bias-add and per Add/Mul output element + 5 per softmax "
        "element, per LR frame at 180x320 whatever the dataset's size (count.py's "
        "'GFLOPs (ours)'; the log's MVSR rows are about 1.5% higher, see docs/MODEL_SPECS.md). "
        "Runtime: median ms per LR frame of the dataset, with precision, threads, tile "
        "and kernels (ISA). '-': not recorded (runs logged before run log v9).",
        "research table", err);
done:
    free(p);
    return rc;
}

int vsr_report_table_context(const vsr_report_row *rows, size_t n, vsr_report_table *out,
                             vsr_error *err)
{
    static const char *const h[] = {"Model",
                                    "Variant",
                                    "Precision",
                                    "Params",
                                    "MACs [G] @ dataset",
                                    "MACs [G] @ 180x320",
                                    "MACs [G] @ 256x256",
                                    "Conv activations [M] @ 256x256",
                                    "Convs",
                                    "Peak act. memory [MB] @ 256x256"};
    static const unsigned char num[] = {0, 0, 0, 1, 1, 1, 1, 1, 1, 1};
    memset(out, 0, sizeof(*out));
    const vsr_report_row **p = by_log_order(rows, n);
    if (!p)
        return vsr_error_set(err, -ENOMEM, "context table: out of memory");
    char id[256], tag[200] = "", title[256];
    if (n)
        vsr_report_group_tag(&rows[0], tag, sizeof(tag));
    snprintf(id, sizeof(id), "context_%s", tag);
    snprintf(title, sizeof(title), "NTIRE ESR context: %s", tag);
    int rc = vsr_report_table_make(out, id, title, 10, h, num, n, err);
    if (rc)
        goto done;
    for (size_t i = 0; i < n && !rc; i++) {
        const vsr_report_row *r = p[i];
        char a[64], b[64];
        rc |= vsr_report_cell(out, i, 0, NAN, "%s", r->model);
        rc |= vsr_report_cell(out, i, 1, NAN, "%s", r->variant[0] ? r->variant : "-");
        rc |= vsr_report_cell(out, i, 2, NAN, "%s", r->precision[0] ? r->precision : "-");
        vsr_report_fmt_thousands(a, sizeof(a), r->params_log);
        rc |= vsr_report_cell(out, i, 3, r->params_log, "%s", a);
        vsr_report_fmt(a, sizeof(a), r->macs / 1e9, 3);
        if (isnan(r->macs) || r->in_w <= 0)
            rc |= vsr_report_cell(out, i, 4, r->macs, "%s", a);
        else
            rc |= vsr_report_cell(out, i, 4, r->macs, "%s @ %dx%d", a, r->in_h, r->in_w);
        vsr_report_fmt(a, sizeof(a), r->macs_180x320 / 1e9, 3);
        rc |= vsr_report_cell(out, i, 5, r->macs_180x320, "%s", a);
        vsr_report_fmt(a, sizeof(a), r->macs_256x256 / 1e9, 3);
        rc |= vsr_report_cell(out, i, 6, r->macs_256x256, "%s", a);
        vsr_report_fmt(a, sizeof(a), r->conv_activations / 1e6, 2);
        rc |= vsr_report_cell(out, i, 7, r->conv_activations, "%s", a);
        vsr_report_fmt(a, sizeof(a), r->n_conv, 0);
        rc |= vsr_report_cell(out, i, 8, r->n_conv, "%s", a);
        vsr_report_fmt(b, sizeof(b), r->peak_bytes / (1024.0 * 1024.0), 1);
        rc |= vsr_report_cell(out, i, 9, r->peak_bytes, "%s", b);
    }
    rc = finish_table(
        out, rc,
        "NTIRE ESR's efficiency columns at fixed sizes, next to the dataset's own: MACs "
        "(one multiply-add = 1) per LR frame; conv activations = elements written by "
        "convolutions; peak activation memory = the engine's arena peak for a whole "
        "256x256 frame in the run's precision (weights not included). Params as in the "
        "research log (Keras count). '-': not recorded (run log before v9, or bicubic).",
        "context table", err);
done:
    free(p);
    return rc;
}
