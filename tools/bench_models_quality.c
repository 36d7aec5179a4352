/*
 * bench_models_quality: the real-model quality figures of docs/MODELS.md.
 *   - SWRN (imported .npy checkpoint) vs bicubic on full Vid4 clips, BI x4,
 *     Y-PSNR with crop border 0 (BasicVSR convention) and 8 (DUF);
 *   - ABPN x3 on full Set5 images (x3 BI LR made from HR): imported INT8
 *     TFLite files (PTQ and QAT, file quantization), FP32 npy weights in
 *     FP32 / FP16 / INT8 (own min/max calibration on the Set5 LR inputs).
 * usage: bench_models_quality SHARED_DIR SOURCE_DIR [threads]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthreadpool.h>

#include "vsr/datasets.h"
#include "vsr/engine.h"
#include "vsr/metrics.h"
#include "vsr/models.h"

#define CHECK(x)                                                                               \
    do {                                                                                       \
        if ((x) != 0) {                                                                        \
            fprintf(stderr, "bench_models_quality: %s\n", err.msg);                            \
            return 1;                                                                          \
        }                                                                                      \
    } while (0)

static int run_clip(vsr_engine *e, const vsr_models_entry *ent, int scale, const vsr_frame *lr,
                    int n, vsr_frame *sr, vsr_error *err)
{
    vsr_models_step st;
    vsr_models_runner *r = NULL;
    int rc = vsr_models_engine_step(e, ent->in_channels, ent->state_channels, &st, err);
    if (!rc)
        rc = vsr_models_runner_create(ent->temporal, scale, &st, &r, err);
    for (int i = 0; !rc && i < n; i++)
        rc = vsr_frame_alloc(&sr[i], lr[i].width * scale, lr[i].height * scale, 3, err);
    if (!rc)
        rc = vsr_models_run_clip(r, lr, n, sr, err);
    vsr_models_runner_free(&r);
    vsr_models_engine_step_free(&st);
    return rc;
}

/* RGB PSNR (crop 3) of graph *g run at @p pr on the x3 frame @p lr against @p gt,
 * into *psnr; the graph is freed. */
static int abpn_psnr(vsr_graph **g, vsr_precision pr, pthreadpool_t pool,
                     const vsr_models_entry *ent, const vsr_frame *lr, const vsr_frame *gt,
                     double *psnr, vsr_error *err)
{
    vsr_engine *e = NULL;
    vsr_frame sr = {0};
    int rc = vsr_engine_create(*g, pr, pool, NULL, &e, err);
    if (!rc)
        rc = run_clip(e, ent, 3, lr, 1, &sr, err);
    if (!rc)
        rc = vsr_metrics_psnr(gt, &sr, 3, 1, pool, psnr, err);
    vsr_frame_free(&sr);
    vsr_engine_free(&e);
    vsr_graph_free(g);
    return rc;
}

static int vid4(const char *shared, const char *src, pthreadpool_t pool)
{
    static const char *const clips[] = {"calendar", "city", "foliage", "walk"};
    static const int nfr[] = {41, 34, 49, 47};
    vsr_error err = {0};
    const vsr_models_entry *ent = vsr_models_zoo_find("SWRN");
    char npy[1024], map[1024];
    snprintf(npy, sizeof(npy), "%s/data/weights/swrn/npy", shared);
    snprintf(map, sizeof(map), "%s/models/maps/swrn.yaml", src);
    printf("## SWRN vs bicubic, Vid4 BI x4, Y-PSNR [dB] (mean over frames)\n\n");
    printf("| clip | frames | SWRN crop 0 | bicubic crop 0 | SWRN crop 8 | bicubic crop 8 |\n");
    printf("|---|---:|---:|---:|---:|---:|\n");
    double avg[4] = {0};
    for (int c = 0; c < 4; c++) {
        int n = nfr[c];
        vsr_frame *gt = calloc((size_t)n, sizeof(vsr_frame));
        vsr_frame *lr = calloc((size_t)n, sizeof(vsr_frame));
        vsr_frame *sr = calloc((size_t)n, sizeof(vsr_frame));
        for (int t = 0; t < n; t++) {
            char p[1200];
            snprintf(p, sizeof(p), "%s/data/vid4/GT/%s/%08d.png", shared, clips[c], t);
            CHECK(vsr_image_read(p, 3, &gt[t], &err));
            CHECK(vsr_degrade_bi(&gt[t], 4, &lr[t], &err));
        }
        vsr_graph *g = NULL;
        vsr_engine *e = NULL;
        CHECK(vsr_models_build(&ent->hp, ent->name, lr[0].height, lr[0].width, &g, &err));
        CHECK(vsr_models_import_npy(g, npy, map, &err));
        CHECK(vsr_engine_create(g, VSR_PREC_FP32, pool, NULL, &e, &err));
        CHECK(run_clip(e, ent, 4, lr, n, sr, &err));
        double s[4] = {0};
        for (int t = 0; t < n; t++) {
            vsr_frame b = {0}, v;
            CHECK(vsr_imresize_u8(&lr[t], 4.0, &b, &err));
            /* GT is modcropped by the BI degradation: compare the same area */
            CHECK(vsr_frame_view(&v, &gt[t], 0, 0, sr[t].width, sr[t].height, &err));
            double x;
            CHECK(vsr_metrics_psnr(&v, &sr[t], 0, 1, pool, &x, &err));
            s[0] += x / n;
            CHECK(vsr_metrics_psnr(&v, &b, 0, 1, pool, &x, &err));
            s[1] += x / n;
            CHECK(vsr_metrics_psnr(&v, &sr[t], 8, 1, pool, &x, &err));
            s[2] += x / n;
            CHECK(vsr_metrics_psnr(&v, &b, 8, 1, pool, &x, &err));
            s[3] += x / n;
            vsr_frame_free(&b);
            vsr_frame_free(&gt[t]);
            vsr_frame_free(&lr[t]);
            vsr_frame_free(&sr[t]);
        }
        printf("| %s | %d | %.2f | %.2f | %.2f | %.2f |\n", clips[c], n, s[0], s[1], s[2],
               s[3]);
        for (int k = 0; k < 4; k++)
            avg[k] += s[k] / 4;
        fflush(stdout);
        vsr_engine_free(&e);
        vsr_graph_free(&g);
        free(gt);
        free(lr);
        free(sr);
    }
    printf("| mean of clips | | %.2f | %.2f | %.2f | %.2f |\n\n", avg[0], avg[1], avg[2],
           avg[3]);
    return 0;
}

static int set5(const char *shared, const char *src, pthreadpool_t pool)
{
    enum { N = 5 };
    vsr_error err = {0};
    vsr_frame gt[N] = {{0}}, lr[N] = {{0}};
    for (int i = 0; i < N; i++) {
        char p[1200];
        vsr_frame full = {0}, v;
        snprintf(p, sizeof(p), "%s/data/sisr/Set5/x4/img_%03d_SRF_4_HR.png", shared, i + 1);
        CHECK(vsr_image_read(p, 3, &full, &err));
        CHECK(vsr_frame_view(&v, &full, 0, 0, full.width - full.width % 3,
                             full.height - full.height % 3, &err));
        CHECK(vsr_frame_copy(&gt[i], &v, &err));
        vsr_frame_free(&full);
        CHECK(vsr_degrade_bi(&gt[i], 3, &lr[i], &err));
    }
    const vsr_models_entry *ent = vsr_models_zoo_find("ABPN_x3");
    printf("## ABPN x3, Set5 (full images, x3 BI LR from HR), Y-PSNR [dB], crop border 3\n\n");
    printf("| weights | precision | Set5 mean |\n|---|---|---:|\n");
    double pb = 0;
    for (int i = 0; i < N; i++) {
        vsr_frame b = {0};
        double x;
        CHECK(vsr_imresize_u8(&lr[i], 3.0, &b, &err));
        CHECK(vsr_metrics_psnr(&gt[i], &b, 3, 1, pool, &x, &err));
        pb += x / N;
        vsr_frame_free(&b);
    }
    printf("| bicubic | - | %.2f |\n", pb);
    /* one graph per image size: sizes differ across Set5 */
    static const char *const tfl[] = {"base7_D4C28_bs16ps64_lr1e-3.tflite",
                                      "base7_D4C28_bs16ps64_lr1e-3_qat.tflite"};
    for (int f = 0; f < 2; f++) {
        char p[1200];
        snprintf(p, sizeof(p), "%s/data/weights/abpn_x3/%s", shared, tfl[f]);
        vsr_models_tflite m;
        CHECK(vsr_models_tflite_read(p, &m, &err));
        for (int pr = 0; pr < 3; pr += 2) {
            double s = 0;
            for (int i = 0; i < N; i++) {
                vsr_models_tflite_import opt = {lr[i].height, lr[i].width, 1};
                vsr_graph *g = NULL;
                double x;
                CHECK(vsr_models_import_tflite(&m, "abpn", &opt, &g, &err));
                CHECK(abpn_psnr(&g, (vsr_precision)pr, pool, ent, &lr[i], &gt[i], &x, &err));
                s += x / N;
            }
            printf("| %s | %s | %.2f |\n", tfl[f],
                   pr == 2 ? "INT8 (file quantization)" : "FP32 (dequantized weights)", s);
        }
        vsr_models_tflite_free(&m);
    }
    char npy[1024], map[1024];
    snprintf(npy, sizeof(npy), "%s/data/weights/abpn_x3/fp32_npy", shared);
    snprintf(map, sizeof(map), "%s/models/maps/abpn_x3.yaml", src);
    for (int pr = 0; pr < 3; pr++) {
        double s = 0;
        for (int i = 0; i < N; i++) {
            vsr_graph *g = NULL;
            double x;
            CHECK(vsr_models_build(&ent->hp, ent->name, lr[i].height, lr[i].width, &g, &err));
            CHECK(vsr_models_import_npy(g, npy, map, &err));
            if (pr == VSR_PREC_INT8) {
                vsr_calib *cal = NULL;
                CHECK(vsr_calib_create(g, pool, &cal, &err));
                for (int k = 0; k < N; k++) {
                    size_t n = (size_t)lr[k].width * lr[k].height * 3;
                    float *xx = malloc(n * sizeof(float));
                    for (int y = 0; y < lr[k].height; y++)
                        for (int q = 0; q < lr[k].width * 3; q++)
                            xx[(size_t)y * lr[k].width * 3 + q] = vsr_frame_row(&lr[k], y)[q];
                    const float *in[1] = {xx};
                    CHECK(vsr_calib_feed(cal, in, lr[k].height, lr[k].width, &err));
                    free(xx);
                }
                vsr_calib_options co;
                vsr_calib_options_default(&co);
                CHECK(vsr_calib_finish(cal, &co, g, &err));
                vsr_calib_free(&cal);
            }
            CHECK(abpn_psnr(&g, (vsr_precision)pr, pool, ent, &lr[i], &gt[i], &x, &err));
            s += x / N;
        }
        printf("| fp32_npy | %s%s | %.2f |\n", vsr_precision_name((vsr_precision)pr),
               pr == 2 ? " (own min/max calibration, Set5 LR)" : "", s);
    }
    printf("\n");
    for (int i = 0; i < N; i++) {
        vsr_frame_free(&gt[i]);
        vsr_frame_free(&lr[i]);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_models_quality SHARED_DIR SOURCE_DIR [threads]\n");
        return 2;
    }
    long th = 1;
    vsr_error err = {0};
    if (argc > 3 && vsr_parse_long(argv[3], 1, 256, &th, "threads", &err)) {
        fprintf(stderr, "bench_models_quality: %s\n", err.msg);
        return 2;
    }
    pthreadpool_t pool = th > 1 ? pthreadpool_create((size_t)th) : NULL;
    int rc = vid4(argv[1], argv[2], pool);
    if (!rc)
        rc = set5(argv[1], argv[2], pool);
    if (pool)
        pthreadpool_destroy(pool);
    return rc;
}
