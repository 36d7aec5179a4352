/*
 * bench_conv: time one conv3x3 28->28 (+bias, ReLU) on a 180x320 frame in
 * FP32 / FP16 / INT8 with the scalar kernels, AVX2 only, and all the CPU has, at 1 and
 * 2 threads. Prints
 * the conv layer's time (per-layer profile, min and median over the runs),
 * the whole engine run (which adds input/output conversion), and GFLOP/s =
 * 2 * MACs / conv time.
 *
 * usage: bench_conv [-n RUNS] [-t MAXTHREADS]
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vsr/engine.h"

enum { H = 180, W = 320, C = 28 };

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void fill(float *x, size_t n, uint32_t s, float lo, float hi)
{
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13, s ^= s >> 17, s ^= s << 5;
        x[i] = lo + (hi - lo) * (float)(s >> 8) / 16777216.f;
    }
}

static int build(vsr_graph **out, vsr_error *err)
{
    vsr_graph *g = NULL;
    int rc = vsr_graph_create("bench_conv", &g, err);
    if (rc)
        return rc;
    int x = vsr_graph_input(g, "x", H, W, C, err);
    vsr_conv_params p = vsr_conv_default(C, 3);
    p.act.type = VSR_ACT_RELU;
    int y = vsr_graph_conv2d(g, "conv3x3", x, &p, err);
    if ((rc = vsr_graph_output(g, "y", y, err)) < 0)
        goto fail;
    size_t nw = 9 * C * C;
    float *w = malloc(nw * sizeof(float)), b[C];
    if (!w) {
        rc = -ENOMEM;
        goto fail;
    }
    fill(w, nw, 7, -0.1f, 0.1f);
    fill(b, C, 9, -1.f, 1.f);
    rc = vsr_graph_set_weight(g, "conv3x3.weight", w, nw, err);
    if (!rc)
        rc = vsr_graph_set_weight(g, "conv3x3.bias", b, C, err);
    free(w);
    if (rc)
        goto fail;
    *out = g;
    return 0;
fail:
    vsr_graph_free(&g);
    return rc;
}

int main(int argc, char **argv)
{
    long runs = 5, maxthreads = 2;
    vsr_error err = {0};
    int opt;
    while ((opt = getopt(argc, argv, "n:t:h")) != -1) {
        if (opt == 'n' && !vsr_parse_long(optarg, 1, 1000, &runs, "-n", &err))
            continue;
        if (opt == 't' && !vsr_parse_long(optarg, 1, 64, &maxthreads, "-t", &err))
            continue;
        fprintf(stderr, "%s%susage: bench_conv [-n RUNS] [-t MAXTHREADS]\n", err.msg,
                err.msg[0] ? "\n" : "");
        return opt == 'h' ? 0 : 2;
    }
    vsr_graph *g = NULL;
    float *in = malloc((size_t)H * W * C * sizeof(float));
    if (!in || build(&g, &err)) {
        fprintf(stderr, "bench_conv: %s\n", err.msg);
        return 1;
    }
    fill(in, (size_t)H * W * C, 3, 0.f, 64.f);
    const float *ins[1] = {in};
    /* INT8 needs ranges: calibrate on the benchmark frame itself */
    vsr_calib *cal = NULL;
    if (vsr_calib_create(g, NULL, &cal, &err) || vsr_calib_feed(cal, ins, H, W, &err) ||
        vsr_calib_finish(cal, NULL, g, &err)) {
        fprintf(stderr, "bench_conv: calibration: %s\n", err.msg);
        return 1;
    }
    vsr_calib_free(&cal);
    double macs = (double)H * W * C * C * 9;
    printf("conv3x3 %d->%d on %dx%d (+bias, ReLU): %.1f MMAC; cpu isa: %s; %ld runs "
           "after 1 warm-up\n",
           C, C, H, W, macs / 1e6, vsr_isa_name(vsr_cpu_features()), runs);
    printf("%-5s %-7s %-24s %7s %9s %9s %9s %8s\n", "prec", "threads", "kernels", "",
           "conv min", "conv med", "run med", "GFLOP/s");
    int status = 0;
    for (int prec = 0; prec < 3; prec++)
        for (int v = 0; v < 3; v++) /* scalar, AVX2 only, everything the CPU has */
            for (long th = 1; th <= maxthreads; th++) {
                unsigned cpu = vsr_cpu_features();
                if (v == 1 && (!(cpu & VSR_ISA_AVX2) || cpu == VSR_ISA_AVX2))
                    continue;
                if (v == 2 && !cpu)
                    continue;
                pthreadpool_t pool = th > 1 ? pthreadpool_create((size_t)th) : NULL;
                vsr_engine_options o;
                vsr_engine_options_default(&o);
                o.force_scalar = v == 0;
                o.isa_mask = v == 1 ? VSR_ISA_AVX2 : ~0u;
                o.profile = 1;
                vsr_engine *e = NULL;
                double *conv = calloc((size_t)runs, sizeof(double));
                double *total = calloc((size_t)runs, sizeof(double));
                int rc = vsr_engine_create(g, (vsr_precision)prec, pool, &o, &e, &err);
                if (!rc)
                    rc = vsr_engine_set_input(e, 0, in, H, W, C, &err);
                if (!rc)
                    rc = vsr_engine_run(e, &err);
                for (long r = 0; !rc && r < runs; r++) {
                    vsr_engine_profile_reset(e);
                    double t0 = vsr_clock_ms();
                    rc = vsr_engine_run(e, &err);
                    total[r] = vsr_clock_ms() - t0;
                    for (int i = 0; i < vsr_engine_layer_count(e); i++) {
                        vsr_layer_profile lp;
                        vsr_engine_layer_profile(e, i, &lp);
                        if (lp.op == VSR_OP_CONV2D)
                            conv[r] = (double)lp.ns / 1e6;
                    }
                }
                if (rc) {
                    fprintf(stderr, "bench_conv: %s\n", err.msg);
                    status = 1;
                } else {
                    qsort(conv, (size_t)runs, sizeof(double), cmp_d);
                    qsort(total, (size_t)runs, sizeof(double), cmp_d);
                    printf("%-5s %-7ld %-24s %7s %9.2f %9.2f %9.2f %8.2f\n",
                           vsr_precision_name((vsr_precision)prec), th,
                           vsr_isa_name(vsr_engine_isa(e)), "ms", conv[0], conv[runs / 2],
                           total[runs / 2], 2 * macs / (conv[0] * 1e6));
                }
                free(conv);
                free(total);
                vsr_engine_free(&e);
                if (pool)
                    pthreadpool_destroy(pool);
            }
    vsr_graph_free(&g);
    free(in);
    return status;
}
