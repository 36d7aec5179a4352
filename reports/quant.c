/*
 * The PSNR drop of reduced precisions against FP32, per leaderboard group:
 * one row per INT8 / FP16 run that has an FP32 run of the same model to
 * compare with (docs/QUANTIZATION.md). The precision column is the run
 * log's label, so INT8 schemes ("int8-pt-sym") and calibration methods
 * are told apart without a column of their own in the runs table.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports_internal.h"

/* The FP32 row to compare @p r with: same model and variant; of several,
 * the same sweep first, then the same tile, pad and threads; -1 when none. */
static long fp32_partner(const vsr_report_row *rows, size_t n, const vsr_report_row *r)
{
    long best = -1;
    int score = -1;
    for (size_t j = 0; j < n; j++) {
        const vsr_report_row *b = &rows[j];
        if (strcmp(b->precision, "fp32") || strcmp(b->model, r->model) ||
            strcmp(b->variant, r->variant) || isnan(b->psnr))
            continue;
        int sc = 2 * !strcmp(b->sweep, r->sweep) +
                 (b->tile == r->tile && b->pad == r->pad && b->threads == r->threads);
        if (sc > score) {
            score = sc;
            best = (long)j;
        }
    }
    return best;
}

/* Model, variant, then the run log's order (the config's order of a sweep). */
static int cmp_model_run(const void *pa, const void *pb)
{
    const vsr_report_row *a = *(const vsr_report_row *const *)pa;
    const vsr_report_row *b = *(const vsr_report_row *const *)pb;
    int c = strcmp(a->model, b->model);
    if (!c)
        c = strcmp(a->variant, b->variant);
    return c ? c : (a->run_id > b->run_id) - (a->run_id < b->run_id);
}

int vsr_report_table_precision_drop(const char *db, const vsr_report_row *rows, size_t n,
                                    vsr_report_table *out, vsr_error *err)
{
    (void)db;
    static const char *const h[] = {"Model", "Variant",   "Precision",           "Calibration",
                                    "PSNR",  "FP32 PSNR", "\xce\x94PSNR vs FP32"};
    static const unsigned char num[] = {0, 0, 0, 0, 1, 1, 1};
    memset(out, 0, sizeof(*out));
    long *partner = malloc((n ? n : 1) * sizeof(long));
    const vsr_report_row **p = malloc((n ? n : 1) * sizeof(*p));
    if (!partner || !p) {
        free(partner);
        free(p);
        return vsr_error_set(err, -ENOMEM, "precision drop table: out of memory");
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        partner[i] = strcmp(rows[i].precision, "fp32") ? fp32_partner(rows, n, &rows[i]) : -1;
        if (partner[i] >= 0)
            p[m++] = &rows[i];
    }
    if (!m) {
        free(partner);
        free(p);
        return -ENODATA;
    }
    qsort(p, m, sizeof(*p), cmp_model_run);
    char id[256], tag[200] = "", title[256];
    vsr_report_group_tag(&rows[0], tag, sizeof(tag));
    snprintf(id, sizeof(id), "precision_drop_%s", tag);
    snprintf(title, sizeof(title), "PSNR drop against FP32: %s", tag);
    int rc = vsr_report_table_make(out, id, title, 7, h, num, m, err);
    for (size_t k = 0; k < m && !rc; k++) {
        const vsr_report_row *r = p[k], *b = &rows[partner[p[k] - rows]];
        char a[64];
        rc |= vsr_report_cell(out, k, 0, NAN, "%s", r->model);
        rc |= vsr_report_cell(out, k, 1, NAN, "%s", r->variant[0] ? r->variant : "-");
        rc |= vsr_report_cell(out, k, 2, NAN, "%s", r->precision);
        rc |= vsr_report_cell(out, k, 3, NAN, "%s", r->calib[0] ? r->calib : "-");
        vsr_report_fmt(a, sizeof(a), r->psnr, 2);
        rc |= vsr_report_cell(out, k, 4, r->psnr, "%s", a);
        vsr_report_fmt(a, sizeof(a), b->psnr, 2);
        rc |= vsr_report_cell(out, k, 5, b->psnr, "%s", a);
        double d = r->psnr - b->psnr;
        if (isnan(d))
            rc |= vsr_report_cell(out, k, 6, d, "-");
        else
            rc |= vsr_report_cell(out, k, 6, d, "%+.3f", d);
    }
    free(partner);
    free(p);
    if (!rc && !(out->note = strdup(
                     "Each reduced-precision run against the FP32 run of the same model and "
                     "variant (same sweep first). Precision is the run log's label: int8 = "
                     "per-channel weights and asymmetric activations (TFLite); -pt per-tensor "
                     "weights, -sym symmetric activations, -u8 uint8, -pow2 power-of-two "
                     "scales (docs/QUANTIZATION.md). Calibration: method/frames.")))
        rc = -ENOMEM;
    if (rc) {
        vsr_report_table_free(out);
        return vsr_error_set(err, -ENOMEM, "precision drop table: out of memory");
    }
    return 0;
}
