/*
 * bench_conv: time one conv3x3 28->28 (+bias, ReLU) on a 180x320 frame in
 * FP32 / FP16 / INT8 with the scalar kernels, AVX2 only, and all the CPU has, at 1 and
 * 2 threads. Prints
 * the conv layer's time (per-layer profile, min and median over the runs),
 * the whole engine run (which adds input/output conversion), and GFLOP/s =
 * 2 * MACs / conv time.
 *
 * usage: bench_conv [-n RUNS] [-t MAXTHREADS]
 *        bench_conv -w [-n RUNS] [-t MAXTHREADS]
 *
 * -w: ABPN-x4's conv shapes (3x3 3->28, 28->28, 28->48, 48->48, + bias, ReLU)
 * at 180x320, FP32 and FP16, direct vs Winograd F(2,3) vs F(4,3)
 * (vsr_engine_options.conv_algo), the three engines run alternately. At 1
 * thread the figure is the process CPU time of a whole run (min over the
 * runs: preemption by other jobs does not inflate it; it includes the
 * input and output copies, the same for all three), with more threads the
 * conv layer's wall time (min). GFLOP/s counts the direct convolution's
 * 2 * MAC for all three; "floor" is 2 * MAC / the FP32 FMA peak given by -P
 * (GFLOP/s per thread; default 222, the Zen 5 measurement in
 * docs/PERFORMANCE.md), the least time the direct kernel can take.
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

static int build_shape(vsr_graph **out, int cin, int cout, vsr_error *err);

static int build(vsr_graph **out, vsr_error *err)
{
    return build_shape(out, C, C, err);
}

static int build_shape(vsr_graph **out, int cin, int cout, vsr_error *err)
{
    vsr_graph *g = NULL;
    int rc = vsr_graph_create("bench_conv", &g, err);
    if (rc)
        return rc;
    int x = vsr_graph_input(g, "x", H, W, cin, err);
    vsr_conv_params p = vsr_conv_default(cout, 3);
    p.act.type = VSR_ACT_RELU;
    int y = vsr_graph_conv2d(g, "conv3x3", x, &p, err);
    if ((rc = vsr_graph_output(g, "y", y, err)) < 0)
        goto fail;
    size_t nw = (size_t)9 * cin * cout;
    float *w = malloc(nw * sizeof(float)), b[64];
    if (!w) {
        rc = -ENOMEM;
        goto fail;
    }
    fill(w, nw, 7, -0.1f, 0.1f);
    fill(b, (size_t)cout, 9, -1.f, 1.f);
    rc = vsr_graph_set_weight(g, "conv3x3.weight", w, nw, err);
    if (!rc)
        rc = vsr_graph_set_weight(g, "conv3x3.bias", b, (size_t)cout, err);
    free(w);
    if (rc)
        goto fail;
    *out = g;
    return 0;
fail:
    vsr_graph_free(&g);
    return rc;
}

static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

/* -w: direct vs F(2,3) vs F(4,3) per ABPN conv shape (see the top comment) */
static int bench_wino(long runs, long maxthreads, double peak1)
{
    static const int shapes[4][2] = {{3, 28}, {28, 28}, {28, 48}, {48, 48}};
    static const vsr_conv_algo algos[3] = {VSR_CONV_DIRECT, VSR_CONV_WINOGRAD,
                                           VSR_CONV_WINOGRAD4};
    vsr_error err = {0};
    double la[3] = {0};
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf %lf %lf", &la[0], &la[1], &la[2]) != 3)
            la[0] = la[1] = la[2] = -1;
        fclose(f);
    }
    printf("# bench_conv -w: 3x3 convs (+bias, ReLU) on %dx%d, %ld runs each, alternating; "
           "cpu isa %s; load average %.2f %.2f %.2f; floor at %.0f GFLOP/s per thread\n",
           H, W, runs, vsr_isa_name(vsr_cpu_features()), la[0], la[1], la[2], peak1);
    printf("| prec | threads | conv | MMAC | floor ms | direct ms | F(2,3) ms | F(4,3) ms | "
           "GFLOP/s direct, F(2,3), F(4,3) | F(4,3) / direct |\n"
           "|---|---|---|---|---|---|---|---|---|---|\n");
    float *in = malloc((size_t)H * W * 48 * sizeof(float));
    if (!in)
        return 1;
    fill(in, (size_t)H * W * 48, 3, 0.f, 4.f);
    for (int prec = 0; prec < 2; prec++)
        for (long th = 1; th <= maxthreads; th++)
            for (int s = 0; s < 4; s++) {
                int cin = shapes[s][0], cout = shapes[s][1];
                vsr_graph *g = NULL;
                if (build_shape(&g, cin, cout, &err))
                    return fprintf(stderr, "bench_conv: %s\n", err.msg), 1;
                pthreadpool_t pool = th > 1 ? pthreadpool_create((size_t)th) : NULL;
                vsr_engine *e[3] = {NULL};
                double best[3] = {1e30, 1e30, 1e30};
                int rc = 0;
                for (int a = 0; a < 3 && !rc; a++) {
                    vsr_engine_options o;
                    vsr_engine_options_default(&o);
                    o.conv_algo = algos[a];
                    o.profile = 1;
                    rc = vsr_engine_create(g, (vsr_precision)prec, pool, &o, &e[a], &err);
                    if (!rc)
                        rc = vsr_engine_set_input(e[a], 0, in, H, W, cin, &err);
                    if (!rc)
                        rc = vsr_engine_run(e[a], &err);
                }
                for (long r = 0; !rc && r < runs; r++)
                    for (int a = 0; a < 3 && !rc; a++) {
                        vsr_engine_profile_reset(e[a]);
                        double c0 = cpu_ms();
                        rc = vsr_engine_run(e[a], &err);
                        double ms = cpu_ms() - c0;
                        if (th > 1)
                            for (int i = 0; i < vsr_engine_layer_count(e[a]); i++) {
                                vsr_layer_profile lp;
                                vsr_engine_layer_profile(e[a], i, &lp);
                                if (lp.op == VSR_OP_CONV2D)
                                    ms = (double)lp.ns / 1e6;
                            }
                        best[a] = ms < best[a] ? ms : best[a];
                    }
                if (rc)
                    return fprintf(stderr, "bench_conv: %s\n", err.msg), 1;
                double macs = (double)H * W * cin * cout * 9, gf = 2 * macs * 1e-9;
                double floor_ms = gf / (peak1 * (double)th) * 1e3;
                printf("| %s | %ld | %d->%d | %.1f | %.2f | %.2f | %.2f | %.2f | %.0f, %.0f, "
                       "%.0f | %.2f |\n",
                       vsr_precision_name((vsr_precision)prec), th, cin, cout, macs * 1e-6,
                       floor_ms, best[0], best[1], best[2], gf / best[0] * 1e3,
                       gf / best[1] * 1e3, gf / best[2] * 1e3, best[2] / best[0]);
                for (int a = 0; a < 3; a++)
                    vsr_engine_free(&e[a]);
                if (pool)
                    pthreadpool_destroy(pool);
                vsr_graph_free(&g);
            }
    free(in);
    return 0;
}

int main(int argc, char **argv)
{
    long runs = 5, maxthreads = 2;
    vsr_error err = {0};
    int opt, wino = 0;
    double peak1 = 222;
    while ((opt = getopt(argc, argv, "n:t:wP:h")) != -1) {
        if (opt == 'w') {
            wino = 1;
            continue;
        }
        if (opt == 'P') {
            char *end = NULL;
            peak1 = strtod(optarg, &end);
            if (end && !*end && peak1 > 0 && peak1 < 1e6)
                continue;
            snprintf(err.msg, sizeof(err.msg), "-P %s: expected GFLOP/s per thread", optarg);
        }
        if (opt == 'n' && !vsr_parse_long(optarg, 1, 1000, &runs, "-n", &err))
            continue;
        if (opt == 't' && !vsr_parse_long(optarg, 1, 64, &maxthreads, "-t", &err))
            continue;
        fprintf(stderr, "%s%susage: bench_conv [-w [-P PEAK]] [-n RUNS] [-t MAXTHREADS]\n",
                err.msg, err.msg[0] ? "\n" : "");
        return opt == 'h' ? 0 : 2;
    }
    if (wino)
        return bench_wino(runs, maxthreads, peak1);
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
