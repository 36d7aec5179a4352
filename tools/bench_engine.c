/*
 * bench_engine: ABPN-x4 (62,048 params, 3.56 GMAC per 180x320 LR frame) in
 * vsrbench's engine and, when built with libxnnpack-dev, the same network
 * (same random weights, same INT8 parameters) in XNNPACK's subgraph API.
 * Both run in one process, alternately (A B A B ...), on the same
 * pthreadpool, at 1 and 2 threads, FP32 / FP16 / INT8 (XNNPACK: FP32 and
 * QS8; it has no FP16 path on x86). Prints ms/frame (median, p95), GOP/s
 * (2 * MAC / s), % of the peak measured in this process by tight register
 * loops (FP32 FMA, FP16 FMA, VNNI), and the ratio XNNPACK ms / vsrbench ms
 * (> 1: vsrbench faster). ONNX Runtime (npm onnxruntime-node, scripts/deps.sh)
 * runs the same network exported to ONNX (vsr_models_export_onnx) in a node
 * process fed one "run" per round, alternating with the others (FP32; its
 * time is node's wall time around session.run, so the pipe round trip is
 * not counted). Then an end-to-end Vid4 line (decode + BI degrade
 * + infer + PSNR/SSIM) in frames/s when the data set is present.
 *
 * usage: bench_engine [-n RUNS] [-t MAXTHREADS] [-p fp32,fp16,int8,fp16n] [-f E2E_FRAMES]
 *                     [--vid4 DIR] [--no-peak]
 *        bench_engine --wait-ratios[=spin,yield,frame] [-n RUNS] [-t THREADS] [-p ...]
 *                     (1 vs THREADS threads per thread-pool wait policy, see bench_wait())
 *        bench_engine --model NAME [--size WxH] [--weights FILE] [-n RUNS] [-t THREADS]
 *                     [-p ...] [--layers]   (one zoo model, see bench_model())
 *        bench_engine --winograd [--peak GFLOPS] [-n RUNS] [-t MAXTHREADS] [-p fp32,fp16]
 *                     (direct vs Winograd per 3x3 conv, see bench_winograd())
 *        --conv-algo direct|winograd|winograd4|auto: the 3x3 convs' algorithm (ABPN rows,
 *                     --model)
 *        --requant float|tflite: how INT8 results are requantized (ABPN rows, --model)
 *        --always-pool: every frame on the whole pool, no helper gate (ABPN rows, --model;
 *                     vsr_engine_options.always_pool)
 */
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <pthreadpool.h>

#include "vsr/datasets.h"
#include "vsr/engine.h"
#include "vsr/metrics.h"
#include "vsr/models.h"

#ifdef VSR_HAVE_XNNPACK
#include <xnnpack.h>
#endif

#if defined(__x86_64__)
#include <immintrin.h>
#endif

enum { H = 180, W = 320, S = 4, NPREC = 4 }; /* fp32, fp16, int8, fp16 native */

#define CHECK(x)                                                                               \
    do {                                                                                       \
        int rc_ = (x);                                                                         \
        if (rc_ < 0) {                                                                         \
            fprintf(stderr, "bench_engine: %s\n", err.msg[0] ? err.msg : #x);                  \
            return 1;                                                                          \
        }                                                                                      \
    } while (0)

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* median and p95 (nearest rank) of n values; sorts v */
static void stats(double *v, int n, double *med, double *p95)
{
    qsort(v, (size_t)n, sizeof(double), cmp_d);
    *med = n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    int k = (int)ceil(0.95 * n) - 1;
    *p95 = v[k < 0 ? 0 : k];
}

/* A smooth synthetic RGB image in [0, 255] (gradients + texture), HWC float. */
static void synth(float *x, int h, int w, int seed)
{
    for (int y = 0; y < h; y++)
        for (int i = 0; i < w; i++)
            for (int c = 0; c < 3; c++) {
                double v = 128 + 80 * sin(0.05 * i + 0.9 * c + seed) * cos(0.07 * y) +
                           30 * sin(0.6 * (i + 2 * y) + c);
                x[((size_t)y * w + i) * 3 + c] = (float)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
}

/* ---- measured peaks ---------------------------------------------------------- */

typedef struct peak_ctx {
    long iters;
    int kind; /* 0 fp32 fma, 1 fp16 fma, 2 vnni (AVX-512); 3 fp32 fma, 4 vpmaddwd (AVX2) */
    volatile float sink;
} peak_ctx;

#if defined(__x86_64__)
/*
 * One peak loop: 12 independent accumulator chains of STEP(a) (one FMA /
 * vpdpbusd / vpmaddwd+vpaddd each), every accumulator made opaque to the
 * compiler each iteration (chains that start equal would otherwise be computed
 * once as common subexpressions, overstating the peak), folded into a value
 * the caller keeps so that nothing is dead. RC is the register constraint ("v"
 * for AVX-512, "x" for AVX2).
 */
#define PEAK_LOOP(NAME, TARGET, VT, RC, INIT, STEP)                                            \
    __attribute__((target(TARGET))) static float NAME(long iters)                              \
    {                                                                                          \
        VT a[12];                                                                              \
        for (int k = 0; k < 12; k++)                                                           \
            a[k] = INIT;                                                                       \
        VT a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3], a4 = a[4], a5 = a[5], a6 = a[6],        \
           a7 = a[7], a8 = a[8], a9 = a[9], a10 = a[10], a11 = a[11];                          \
        for (long i = 0; i < iters; i++) {                                                     \
            a0 = STEP(a0), a1 = STEP(a1), a2 = STEP(a2), a3 = STEP(a3), a4 = STEP(a4);         \
            a5 = STEP(a5), a6 = STEP(a6), a7 = STEP(a7), a8 = STEP(a8), a9 = STEP(a9);         \
            a10 = STEP(a10), a11 = STEP(a11);                                                  \
            __asm__ volatile(""                                                                \
                             : "+" RC(a0), "+" RC(a1), "+" RC(a2), "+" RC(a3), "+" RC(a4),     \
                               "+" RC(a5));                                                    \
            __asm__ volatile(""                                                                \
                             : "+" RC(a6), "+" RC(a7), "+" RC(a8), "+" RC(a9), "+" RC(a10),    \
                               "+" RC(a11));                                                   \
        }                                                                                      \
        VT fin[12] = {a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11};                       \
        uint32_t u[sizeof(fin) / 4], h = 0;                                                    \
        memcpy(u, fin, sizeof(fin));                                                           \
        for (size_t k = 0; k < sizeof(fin) / 4; k++)                                           \
            h ^= u[k];                                                                         \
        return (float)h;                                                                       \
    }

#define F32_FMA512(v) _mm512_fmadd_ps(v, _mm512_set1_ps(0.999f), _mm512_set1_ps(1e-7f))
#define F16_FMA512(v)                                                                          \
    _mm512_fmadd_ph(v, _mm512_set1_ph((_Float16)0.999f), _mm512_set1_ph((_Float16)1e-3f))
#define VNNI512(v) _mm512_dpbusd_epi32(v, _mm512_set1_epi8(3), _mm512_set1_epi8(-2))
#define F32_FMA256(v) _mm256_fmadd_ps(v, _mm256_set1_ps(0.999f), _mm256_set1_ps(1e-7f))
/* the INT8 kernels' arithmetic on AVX2 (x86/qs8-conv-i16-*-avx2.c): int16 pairs
 * through vpmaddwd (16 MACs), then vpaddd into the int32 accumulator */
#define I16_MADD256(v) _mm256_add_epi32(v, _mm256_madd_epi16(v, _mm256_set1_epi16(-2)))

PEAK_LOOP(loop_f32, "avx512f", __m512, "v", _mm512_set1_ps(1.f), F32_FMA512)
PEAK_LOOP(loop_f16, "avx512f,avx512bw,avx512fp16", __m512h, "v", _mm512_set1_ph((_Float16)1.f),
          F16_FMA512)
PEAK_LOOP(loop_vnni, "avx512f,avx512vnni", __m512i, "v", _mm512_set1_epi32(1), VNNI512)
PEAK_LOOP(loop_f32_avx2, "avx2,fma", __m256, "x", _mm256_set1_ps(1.f), F32_FMA256)
PEAK_LOOP(loop_i16_avx2, "avx2", __m256i, "x", _mm256_set1_epi32(1), I16_MADD256)
#endif

static void peak_task(void *c, size_t i)
{
    (void)i;
    peak_ctx *p = c;
#if defined(__x86_64__)
    static float (*const loops[5])(long) = {loop_f32, loop_f16, loop_vnni, loop_f32_avx2,
                                            loop_i16_avx2};
    p->sink = loops[p->kind](p->iters);
#else
    (void)p;
#endif
}

/* Ops per inner iteration: 12 instructions x multiply-adds per instruction x 2. */
static double peak_gops(pthreadpool_t pool, int nthreads, int kind)
{
    static const double ops_per_iter[5] = {12.0 * 16 * 2, 12.0 * 32 * 2, 12.0 * 64 * 2,
                                           12.0 * 8 * 2, 12.0 * 16 * 2};
    peak_ctx c = {.iters = 2000000, .kind = kind};
    double best = 0;
    for (int rep = 0; rep < 5; rep++) {
        double t0 = vsr_clock_s();
        if (pool && nthreads > 1)
            pthreadpool_parallelize_1d(pool, peak_task, &c, (size_t)nthreads, 0);
        else
            peak_task(&c, 0);
        double dt = vsr_clock_s() - t0;
        double g = ops_per_iter[kind] * (double)c.iters * nthreads / dt * 1e-9;
        if (g > best)
            best = g;
    }
    return best;
}

/* ---- XNNPACK side ------------------------------------------------------------- */

#ifdef VSR_HAVE_XNNPACK
typedef struct xnn_net {
    xnn_subgraph_t sg;
    xnn_runtime_t rt;
    void *bufs[64]; /* static data kept alive for the runtime */
    int nbufs;
} xnn_net;

static void *keep(xnn_net *n, size_t bytes)
{
    void *p = calloc(1, bytes);
    if (p && n->nbufs < 64)
        n->bufs[n->nbufs++] = p;
    else {
        free(p);
        p = NULL;
    }
    return p;
}

static void xnn_net_free(xnn_net *n)
{
    if (n->rt)
        xnn_delete_runtime(n->rt);
    if (n->sg)
        xnn_delete_subgraph(n->sg);
    for (int i = 0; i < n->nbufs; i++)
        free(n->bufs[i]);
    memset(n, 0, sizeof(*n));
}

/* Quantization parameters the engine uses for the graph tensor named @p name. */
static int tensor_by_name(const vsr_graph *g, const char *name)
{
    for (int i = 0; i < vsr_graph_layer_count(g); i++) {
        vsr_layer_info li;
        if (vsr_graph_layer_info(g, i, 0, 0, &li, NULL) == 0 && strcmp(li.name, name) == 0)
            return i;
    }
    return -1;
}

#define XC(call)                                                                               \
    do {                                                                                       \
        enum xnn_status st_ = (call);                                                          \
        if (st_ != xnn_status_success) {                                                       \
            fprintf(stderr, "bench_engine: XNNPACK: %s failed (status %d)\n", #call,           \
                    (int)st_);                                                                 \
            return -1;                                                                         \
        }                                                                                      \
    } while (0)

/*
 * ABPN in XNNPACK: 7 convs (NHWC, OHWI weights), the anchor as a broadcast
 * add of x over the 16 sub-pixel groups ([H,W,16,3] + [H,W,1,3], which is
 * what the DCR concat of 16 copies of x means), depth_to_space, clamp to
 * [0, 255] (fused into the add). QS8: convert in / out (float I/O like the
 * engine), per-channel int8 weights and int32 biases, the engine's
 * activation parameters for every tensor.
 */
static int xnn_build(xnn_net *n, const vsr_graph *g, int q8, pthreadpool_t pool)
{
    static const char *convs[7] = {"conv_in",     "conv_body_0", "conv_body_1", "conv_body_2",
                                   "conv_body_3", "conv_up1",    "conv_up2"};
    XC(xnn_create_subgraph(2, 0, &n->sg));
    size_t din[4] = {1, H, W, 3}, dout[4] = {1, H * S, W * S, 3};
    uint32_t xin, xout, cur, xq = 0;
    XC(xnn_define_tensor_value(n->sg, xnn_datatype_fp32, 4, din, NULL, 0,
                               XNN_VALUE_FLAG_EXTERNAL_INPUT, &xin));
    XC(xnn_define_tensor_value(n->sg, xnn_datatype_fp32, 4, dout, NULL, 1,
                               XNN_VALUE_FLAG_EXTERNAL_OUTPUT, &xout));
    float sx = 1.f;
    int zx = 0;
    if (q8) {
        int tx = tensor_by_name(g, "x");
        if (tx < 0 || vsr_graph_get_quant(g, tx, &sx, &zx, NULL))
            return -1;
        XC(xnn_define_quantized_tensor_value(n->sg, xnn_datatype_qint8, zx, sx, 4, din, NULL,
                                             XNN_INVALID_VALUE_ID, 0, &xq));
        XC(xnn_define_convert(n->sg, xin, xq, 0));
        cur = xq;
    } else {
        cur = xin;
    }
    int cin = 3;
    float s_cur = sx;
    for (int l = 0; l < 7; l++) {
        char nm[80];
        const float *w, *b;
        size_t nw, nb;
        snprintf(nm, sizeof(nm), "%s.weight", convs[l]);
        if (vsr_graph_get_weight(g, nm, &w, &nw, NULL) || !w)
            return -1;
        snprintf(nm, sizeof(nm), "%s.bias", convs[l]);
        if (vsr_graph_get_weight(g, nm, &b, &nb, NULL) || !b)
            return -1;
        int cout = (int)nb;
        size_t dw[4] = {(size_t)cout, 3, 3, (size_t)cin}, db[1] = {(size_t)cout};
        size_t dy[4] = {1, H, W, (size_t)cout};
        int relu = l < 6;
        uint32_t wid, bid, yid;
        if (!q8) {
            float *wo = keep(n, nw * sizeof(float)), *bo = keep(n, nb * sizeof(float));
            if (!wo || !bo)
                return -1;
            for (int o = 0; o < cout; o++)
                for (int t = 0; t < 9; t++)
                    for (int c = 0; c < cin; c++)
                        wo[((size_t)o * 9 + t) * cin + c] = w[((size_t)t * cin + c) * cout + o];
            memcpy(bo, b, nb * sizeof(float));
            XC(xnn_define_tensor_value(n->sg, xnn_datatype_fp32, 4, dw, wo,
                                       XNN_INVALID_VALUE_ID, 0, &wid));
            XC(xnn_define_tensor_value(n->sg, xnn_datatype_fp32, 1, db, bo,
                                       XNN_INVALID_VALUE_ID, 0, &bid));
            XC(xnn_define_tensor_value(n->sg, xnn_datatype_fp32, 4, dy, NULL,
                                       XNN_INVALID_VALUE_ID, 0, &yid));
        } else {
            int8_t *wo = keep(n, nw);
            int32_t *bo = keep(n, nb * sizeof(int32_t));
            float *ws = keep(n, nb * sizeof(float)), *bs = keep(n, nb * sizeof(float));
            if (!wo || !bo || !ws || !bs)
                return -1;
            int ty = tensor_by_name(g, convs[l]);
            float sy;
            int zy;
            if (ty < 0 || vsr_graph_get_quant(g, ty, &sy, &zy, NULL))
                return -1;
            for (int o = 0; o < cout; o++) {
                float mx = 0.f;
                for (int k = 0; k < 9 * cin; k++)
                    mx = fmaxf(mx, fabsf(w[(size_t)k * cout + o]));
                ws[o] = mx > 0.f ? mx / 127.f : 1.f;
                bs[o] = s_cur * ws[o];
                for (int t = 0; t < 9; t++)
                    for (int c = 0; c < cin; c++) {
                        float q = nearbyintf(w[((size_t)t * cin + c) * cout + o] / ws[o]);
                        wo[((size_t)o * 9 + t) * cin + c] =
                            (int8_t)fminf(fmaxf(q, -127.f), 127.f);
                    }
                bo[o] = (int32_t)nearbyint((double)b[o] / ((double)s_cur * ws[o]));
            }
            XC(xnn_define_channelwise_quantized_tensor_value(
                n->sg, xnn_datatype_qcint8, ws, 4, 0, dw, wo, XNN_INVALID_VALUE_ID, 0, &wid));
            XC(xnn_define_channelwise_quantized_tensor_value(
                n->sg, xnn_datatype_qcint32, bs, 1, 0, db, bo, XNN_INVALID_VALUE_ID, 0, &bid));
            XC(xnn_define_quantized_tensor_value(n->sg, xnn_datatype_qint8, zy, sy, 4, dy, NULL,
                                                 XNN_INVALID_VALUE_ID, 0, &yid));
            s_cur = sy;
        }
        XC(xnn_define_convolution_2d(n->sg, 1, 1, 1, 1, 3, 3, 1, 1, 1, 1, 1, (size_t)cin,
                                     (size_t)cout, relu ? 0.f : -INFINITY, INFINITY, cur, wid,
                                     bid, yid, 0));
        cur = yid;
        cin = cout;
    }
    /* anchor add + clamp on [H, W, 16, 3] + [H, W, 1, 3] */
    size_t d5[5] = {1, H, W, S * S, 3}, dx5[5] = {1, H, W, 1, 3};
    size_t d4[4] = {1, H, W, S * S * 3};
    uint32_t r5, x5, a5, a4, ds;
    float sa = 1.f;
    int za = 0;
    enum xnn_datatype dt = q8 ? xnn_datatype_qint8 : xnn_datatype_fp32;
    if (q8) {
        int tc = tensor_by_name(g, "clip");
        float sy;
        int zy;
        int tu = tensor_by_name(g, "conv_up2");
        if (tc < 0 || vsr_graph_get_quant(g, tc, &sa, &za, NULL) || tu < 0 ||
            vsr_graph_get_quant(g, tu, &sy, &zy, NULL))
            return -1;
        XC(xnn_define_quantized_tensor_value(n->sg, dt, zy, sy, 5, d5, NULL,
                                             XNN_INVALID_VALUE_ID, 0, &r5));
        XC(xnn_define_quantized_tensor_value(n->sg, dt, zx, sx, 5, dx5, NULL,
                                             XNN_INVALID_VALUE_ID, 0, &x5));
        XC(xnn_define_quantized_tensor_value(n->sg, dt, za, sa, 5, d5, NULL,
                                             XNN_INVALID_VALUE_ID, 0, &a5));
        XC(xnn_define_quantized_tensor_value(n->sg, dt, za, sa, 4, d4, NULL,
                                             XNN_INVALID_VALUE_ID, 0, &a4));
        /* this snapshot's depth_to_space is FP32 only: convert first */
        XC(xnn_define_tensor_value(n->sg, xnn_datatype_fp32, 4, d4, NULL, XNN_INVALID_VALUE_ID,
                                   0, &ds));
    } else {
        XC(xnn_define_tensor_value(n->sg, dt, 5, d5, NULL, XNN_INVALID_VALUE_ID, 0, &r5));
        XC(xnn_define_tensor_value(n->sg, dt, 5, dx5, NULL, XNN_INVALID_VALUE_ID, 0, &x5));
        XC(xnn_define_tensor_value(n->sg, dt, 5, d5, NULL, XNN_INVALID_VALUE_ID, 0, &a5));
        XC(xnn_define_tensor_value(n->sg, dt, 4, d4, NULL, XNN_INVALID_VALUE_ID, 0, &a4));
        ds = xout;
    }
    XC(xnn_define_static_reshape(n->sg, 5, d5, cur, r5, 0));
    XC(xnn_define_static_reshape(n->sg, 5, dx5, q8 ? xq : xin, x5, 0));
    XC(xnn_define_add2(n->sg, 0.f, 255.f, r5, x5, a5, 0));
    XC(xnn_define_static_reshape(n->sg, 4, d4, a5, a4, 0));
    if (q8) {
        XC(xnn_define_convert(n->sg, a4, ds, 0));
        XC(xnn_define_depth_to_space(n->sg, ds, xout, S, 0));
    } else {
        XC(xnn_define_depth_to_space(n->sg, a4, ds, S, 0));
    }
    XC(xnn_create_runtime_v2(n->sg, pool, 0, &n->rt));
    return 0;
}
#endif

/* ---- main ---------------------------------------------------------------------- */

/* ---- ONNX Runtime through scripts/ort_run.cjs in "serve" mode ------------- */

typedef struct ort_proc {
    pid_t pid;
    FILE *to, *from;
} ort_proc;

static void ort_stop(ort_proc *o)
{
    if (o->to)
        fclose(o->to);
    if (o->from)
        fclose(o->from);
    if (o->pid > 0) {
        int st;
        waitpid(o->pid, &st, 0);
    }
    memset(o, 0, sizeof(*o));
}

/* Start node on @p model (input spec "FILE:1xCxHxW"), output to @p out. 0 once
 * it has loaded the model and run it once ("ready"), -1 otherwise. */
static int ort_start(ort_proc *o, const char *model, const char *out, const char *in_spec,
                     long threads)
{
    int a[2], b[2];
    memset(o, 0, sizeof(*o));
    if (pipe(a))
        return -1;
    if (pipe(b)) {
        close(a[0]), close(a[1]);
        return -1;
    }
    o->pid = fork();
    if (o->pid == 0) {
        dup2(a[0], 0);
        dup2(b[1], 1);
        close(a[0]), close(a[1]), close(b[0]), close(b[1]);
        char th[24], script[4096];
        snprintf(th, sizeof(th), "%ld", threads);
        snprintf(script, sizeof(script), "%s/scripts/ort_run.cjs", VSR_SOURCE_DIR);
        execlp("node", "node", script, model, out, th, "serve", in_spec, (char *)NULL);
        _exit(127);
    }
    close(a[0]), close(b[1]);
    o->to = fdopen(a[1], "w");
    o->from = fdopen(b[0], "r");
    char line[256];
    if (o->pid < 0 || !o->to || !o->from || !fgets(line, sizeof(line), o->from) ||
        strncmp(line, "ready", 5)) {
        ort_stop(o);
        return -1;
    }
    return 0;
}

/* One run in ONNX Runtime: its ms, or -1. */
static double ort_once(ort_proc *o)
{
    char line[128];
    double ms;
    if (fputs("run\n", o->to) < 0 || fflush(o->to) || !fgets(line, sizeof(line), o->from) ||
        sscanf(line, "ms %lf", &ms) != 1)
        return -1;
    return ms;
}

/* ORT's NCHW output file against vsrbench's HWC frame @p y: max |difference|,
 * or -1 when the file is not the frame's size. */
static double ort_diff(const char *path, const float *y, int h, int w, int c)
{
    size_t n = (size_t)h * w * c;
    float *o = malloc(n * sizeof(float));
    FILE *f = fopen(path, "rb");
    double md = -1;
    if (o && f && fread(o, sizeof(float), n, f) == n) {
        md = 0;
        for (int ch = 0; ch < c; ch++)
            for (size_t p = 0; p < (size_t)h * w; p++)
                md = fmax(md, fabs((double)o[(size_t)ch * h * w + p] - (double)y[p * c + ch]));
    }
    if (f)
        fclose(f);
    free(o);
    return md;
}

static const char *const prec_names[NPREC] = {"fp32", "fp16", "int8", "fp16n"};

/* Engine for row @p p: 0..2 = the precisions, 3 = FP16 with binary16 FMAs. */
static int make_engine(const vsr_graph *g, int p, pthreadpool_t pool, int profile,
                       const vsr_engine_options *base, vsr_engine **e, vsr_error *err)
{
    vsr_engine_options o;
    vsr_engine_options_default(&o);
    if (base)
        o = *base;
    o.profile = profile;
    return vsr_engine_create(g, p == 3 ? VSR_PREC_FP16N : (vsr_precision)p, pool, &o, e, err);
}

/* "load 1/5/15 min: a b c" from /proc/loadavg, or "load ?" */
static void load_line(char *buf, size_t cap)
{
    double a = 0, b = 0, c = 0;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f && fscanf(f, "%lf %lf %lf", &a, &b, &c) == 3)
        snprintf(buf, cap, "load average %.2f %.2f %.2f", a, b, c);
    else
        snprintf(buf, cap, "load average unknown");
    if (f)
        fclose(f);
}

/*
 * --wait-ratios: for every wait policy and precision, an engine on the
 * calling thread (1 thread) and one on a pool of @p threads, run alternately
 * (1 N 1 N ... after 3 warm-up runs each, so a change of load hits both), and
 * the median / p95 ms of each with the speed-up median(1) / median(N): > 1
 * means the threads pay, and how many of the N-thread engine's frames its
 * helper gate ran alone (none with --always-pool). The policies run one after
 * the other; the load average before and after is printed, since the figures
 * mean nothing without it.
 */
static int bench_wait(const vsr_graph *g, const float *x, long runs, long threads,
                      const int *want, const char *list, int always_pool)
{
    vsr_error err = {0};
    vsr_wait_policy pol[8];
    int npol = 0;
    char buf[128], ld[96];
    snprintf(buf, sizeof(buf), "%s", list ? list : "spin,yield,frame");
    for (char *sv = NULL, *tok = strtok_r(buf, ",", &sv); tok && npol < 8;
         tok = strtok_r(NULL, ",", &sv))
        if (vsr_wait_policy_parse(tok, &pol[npol++], &err))
            return fprintf(stderr, "bench_engine: --wait-ratios: %s\n", err.msg), 2;
    if (threads < 2)
        return fprintf(stderr, "bench_engine: --wait-ratios needs -t 2 or more\n"), 2;
    pthreadpool_t pool = pthreadpool_create((size_t)threads);
    double *t1 = malloc((size_t)runs * sizeof(double)),
           *tn = malloc((size_t)runs * sizeof(double));
    if (!pool || !t1 || !tn)
        return fprintf(stderr, "bench_engine: out of memory\n"), 1;
    load_line(ld, sizeof(ld));
    printf("# bench_engine --wait-ratios: ABPN-x4 %dx%d, 1 vs %ld threads, %ld runs each, "
           "alternating; %s at the start\n",
           H, W, threads, runs, ld);
    printf("| prec | wait | 1 thread median / p95 ms | %ld threads median / p95 ms | "
           "speed-up 1t/%ldt | %ld-thread frames run alone (helper gate%s) |\n"
           "|---|---|---|---|---|---|\n",
           threads, threads, threads, always_pool ? " off: --always-pool" : "");
    for (int k = 0; k < npol; k++)
        for (int p = 0; p < NPREC; p++) {
            if (!want[p])
                continue;
            vsr_engine *e1 = NULL, *en = NULL;
            vsr_engine_options o;
            vsr_engine_options_default(&o);
            o.wait = pol[k];
            o.always_pool = always_pool;
            vsr_precision prec = p == 3 ? VSR_PREC_FP16N : (vsr_precision)p;
            CHECK(vsr_engine_create(g, prec, NULL, &o, &e1, &err));
            CHECK(vsr_engine_create(g, prec, pool, &o, &en, &err));
            CHECK(vsr_engine_set_input(e1, 0, x, H, W, 3, &err));
            CHECK(vsr_engine_set_input(en, 0, x, H, W, 3, &err));
            for (long r = -3; r < runs; r++) {
                double t0 = vsr_clock_s();
                CHECK(vsr_engine_run(e1, &err));
                double t1s = vsr_clock_s();
                CHECK(vsr_engine_run(en, &err));
                double t2s = vsr_clock_s();
                if (r >= 0)
                    t1[r] = (t1s - t0) * 1e3, tn[r] = (t2s - t1s) * 1e3;
            }
            double m1, p1, mn, pn;
            stats(t1, (int)runs, &m1, &p1);
            stats(tn, (int)runs, &mn, &pn);
            uint64_t fp, fa;
            vsr_engine_pool_frames(en, &fp, &fa);
            printf("| %s | %s | %.2f / %.2f | %.2f / %.2f | %.2fx | %llu of %llu |\n",
                   prec_names[p], vsr_wait_policy_name(pol[k]), m1, p1, mn, pn, m1 / mn,
                   (unsigned long long)fa, (unsigned long long)(fp + fa));
            fflush(stdout);
            vsr_engine_free(&e1);
            vsr_engine_free(&en);
        }
    load_line(ld, sizeof(ld));
    printf("# %s at the end\n", ld);
    pthreadpool_destroy(pool);
    free(t1), free(tn);
    return 0;
}

/*
 * --winograd: ABPN-x4's 3x3 convs computed direct, by Winograd F(2,3) and by
 * F(4,3) (vsr_engine_options.conv_algo): three engines per precision (FP32,
 * FP16 storage) and thread count (1 .. -t), run alternately (D W2 W4 D ...;
 * a fourth engine with conv_algo auto, whose choices and frame time are printed)
 * after 3 warm-up runs each. Per conv layer: min and median ms per run (the
 * layer profile), GFLOP/s counted as the direct convolution's 2 * MAC for all
 * three (Winograd does fewer multiplies for the same result), and the compute
 * floor 2 * MAC / FP32 FMA peak (measured here, or --peak GFLOP/s per thread
 * times the threads: on a loaded machine the measurement is low): the time
 * the direct kernel could at best reach, which only Winograd can beat. Then the whole frame
 * (median ms) and the SR output's max |difference| from the direct engine's (0..255 units). The
 * load average is printed before and after.
 */
static int bench_winograd(const vsr_graph *g, const float *x, long runs, long maxthreads,
                          const int *want, double peak_given)
{
    enum { NA = 4, MAXL = 64 }; /* the table shows the first three */
    static const vsr_conv_algo algos[NA] = {VSR_CONV_DIRECT, VSR_CONV_WINOGRAD,
                                            VSR_CONV_WINOGRAD4, VSR_CONV_AUTO};
    static const char *const an[NA] = {"direct", "F(2,3)", "F(4,3)", "auto"};
    vsr_error err = {0};
    char ld[64];
    load_line(ld, sizeof(ld));
    printf("# bench_engine --winograd: ABPN-x4 %dx%d, direct / F(2,3) / F(4,3) alternating, "
           "%ld runs each; %s at the start\n",
           H, W, runs, ld);
    size_t nout = (size_t)H * S * W * S * 3;
    float *y[NA];
    double *tl = malloc((size_t)NA * MAXL * (size_t)runs * sizeof(double));
    double *tf = malloc((size_t)NA * (size_t)runs * sizeof(double));
    for (int a = 0; a < NA; a++)
        y[a] = malloc(nout * sizeof(float));
    if (!tl || !tf || !y[0] || !y[1] || !y[2] || !y[3])
        return fprintf(stderr, "bench_engine: out of memory\n"), 1;
    int nl = vsr_graph_layer_count(g);
    for (long th = 1; th <= maxthreads; th++) {
        pthreadpool_t pool = th > 1 ? pthreadpool_create((size_t)th) : NULL;
        if (th > 1 && !pool)
            return fprintf(stderr, "bench_engine: pthreadpool_create failed\n"), 1;
        double measured = peak_gops(pool, (int)th, 0);
        double peak = peak_given > 0 ? peak_given * (double)th : measured;
        for (int p = 0; p < 2; p++) {
            if (!want[p])
                continue;
            vsr_engine *e[NA] = {NULL};
            for (int a = 0; a < NA; a++) {
                vsr_engine_options o;
                vsr_engine_options_default(&o);
                o.conv_algo = algos[a];
                CHECK(make_engine(g, p, pool, 1, &o, &e[a], &err));
                CHECK(vsr_engine_set_input(e[a], 0, x, H, W, 3, &err));
                for (int k = 0; k < 3; k++)
                    CHECK(vsr_engine_run(e[a], &err));
                CHECK(vsr_engine_get_output(e[a], 0, y[a], nout, &err));
            }
            for (long r = 0; r < runs; r++)
                for (int a = 0; a < NA; a++) {
                    vsr_engine_profile_reset(e[a]);
                    double t0 = vsr_clock_s();
                    CHECK(vsr_engine_run(e[a], &err));
                    tf[a * runs + r] = (vsr_clock_s() - t0) * 1e3;
                    for (int i = 0; i < nl && i < MAXL; i++) {
                        vsr_layer_profile lp;
                        vsr_engine_layer_profile(e[a], i, &lp);
                        tl[((size_t)a * MAXL + (size_t)i) * (size_t)runs + (size_t)r] =
                            (double)lp.ns * 1e-6;
                    }
                }
            printf("\n## %s, %ld thread%s: FP32 FMA peak measured %.0f GFLOP/s, the floor "
                   "at %.0f\n\n",
                   prec_names[p], th, th > 1 ? "s" : "", measured, peak);
            printf("| layer | MMAC | floor ms | direct min / med ms | F(2,3) min / med ms | "
                   "F(4,3) min / med ms | GFLOP/s (2*MAC / min) direct, F(2,3), F(4,3) |\n"
                   "|---|---|---|---|---|---|---|\n");
            double sum_min[NA] = {0}, sum_floor = 0;
            for (int i = 0; i < nl && i < MAXL; i++) {
                vsr_layer_profile lp;
                vsr_layer_info li;
                vsr_engine_layer_profile(e[0], i, &lp);
                if (lp.op != VSR_OP_CONV2D || !lp.calls ||
                    vsr_graph_layer_info(g, i, H, W, &li, &err))
                    continue;
                double gf = 2.0 * (double)li.macs * 1e-9, floor_ms = gf / peak * 1e3;
                double mn[NA], md[NA], p95;
                for (int a = 0; a < 3; a++) {
                    double *v = tl + ((size_t)a * MAXL + (size_t)i) * (size_t)runs;
                    stats(v, (int)runs, &md[a], &p95);
                    mn[a] = v[0];
                    sum_min[a] += mn[a];
                }
                sum_floor += floor_ms;
                printf("| %s | %.1f | %.3f |", lp.name, (double)li.macs * 1e-6, floor_ms);
                for (int a = 0; a < 3; a++)
                    printf(" %.3f / %.3f%s |", mn[a], md[a],
                           a && mn[a] < floor_ms ? " (< floor)" : "");
                printf(" %.0f, %.0f, %.0f |\n", gf / mn[0] * 1e3, gf / mn[1] * 1e3,
                       gf / mn[2] * 1e3);
            }
            printf("| all convs | | %.3f | %.3f | %.3f | %.3f | |\n", sum_floor, sum_min[0],
                   sum_min[1], sum_min[2]);
            for (int a = 0; a < NA; a++) {
                double med, p95, mx = 0;
                stats(tf + a * runs, (int)runs, &med, &p95);
                for (size_t k = 0; k < nout; k++) {
                    double d = fabs((double)y[a][k] - (double)y[0][k]);
                    mx = d > mx ? d : mx;
                }
                printf("# %s %s: frame median %.3f ms, p95 %.3f; max |SR - direct SR| %.3g\n",
                       prec_names[p], an[a], med, p95, mx);
            }
            printf("# auto chose:");
            for (int i = 0; i < nl; i++) {
                vsr_layer_profile lp;
                if (!vsr_engine_layer_profile(e[3], i, &lp) && lp.algo && lp.calls)
                    printf(" %s %s;", lp.name, lp.algo);
            }
            printf("\n");
            for (int a = 0; a < NA; a++)
                vsr_engine_free(&e[a]);
        }
        if (pool)
            pthreadpool_destroy(pool);
    }
    load_line(ld, sizeof(ld));
    printf("\n# %s at the end\n", ld);
    for (int a = 0; a < NA; a++)
        free(y[a]);
    free(tl), free(tf);
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: bench_engine [-n RUNS] [-t MAXTHREADS] [-p fp32,fp16,int8,fp16n] "
            "[-f E2E_FRAMES] [--vid4 DIR] [--no-peak]\n"
            "       bench_engine --model NAME [--size WxH] [--weights FILE] [-n RUNS] "
            "[-t THREADS] [-p ...] [--layers]\n"
            "       bench_engine --wait-ratios[=spin,yield,frame] [-n RUNS] [-t THREADS] "
            "[-p ...]\n"
            "       bench_engine --winograd [--peak GFLOPS] [-n RUNS] [-t MAXTHREADS] "
            "[-p fp32,fp16]\n"
            "  -n RUNS (>= 3), -t threads, -p precisions (alternating run by run);\n"
            "  --conv-algo direct|winograd|winograd4|auto: the 3x3 convs' algorithm;\n"
            "  --requant float|tflite: the INT8 requantization (vsr_engine_options);\n"
            "  --always-pool: every frame on all -t threads (no helper gate);\n"
            "  --winograd: per conv layer direct vs F(2,3) vs F(4,3) and the compute floor;\n"
            "  --model: one zoo model, --size LR size (default 120x68), --weights .vsrw\n"
            "  --tile T --pad P --tile-mode M --tile-workers N: run the model tiled\n"
            "  (default random), --layers per-layer mean us per run;\n"
            "  --wait-ratios: 1 vs -t threads (default 2) per thread-pool wait policy,\n"
            "  FP32 and INT8 unless -p, side by side with the load average\n");
}

/*
 * --model: one zoo model at one LR size (default 120x68, the quickstart's demo
 * frames) on exactly -t threads: the precisions alternate run by run (A B C A B C
 * ...), median and p95 ms per frame, and with --layers the per-layer profile
 * (mean us per run) side by side, to see where one precision loses to another.
 * Weights: --weights FILE (.vsrw) or random; INT8 is calibrated (minmax) on two
 * synthetic frames; a hidden-state input is fed zeros.
 */
/* User + system CPU seconds of this process (all its threads). */
/* CPU seconds (user + system) of process @p pid from /proc (clock ticks), or 0. */
static double proc_cpu_s(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *q = strrchr(buf, ')'); /* fields after the command name */
    unsigned long ut = 0, st = 0;
    if (!q ||
        sscanf(q + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return 0;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double cpu_s(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru))
        return 0;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

static int bench_model(const char *name, int h, int w, const char *weights, long runs,
                       long threads, const int *want, int layers,
                       const vsr_engine_options *tiling)
{
    vsr_error err = {0};
    const vsr_models_entry *ent = vsr_models_zoo_find(name);
    if (!ent)
        return fprintf(stderr, "bench_engine: --model %s: not in the zoo\n", name), 2;
    vsr_graph *g = NULL;
    CHECK(vsr_models_build(&ent->hp, ent->name, h, w, &g, &err));
    if (weights)
        CHECK(vsr_models_load_weights(ent, g, weights, &err));
    else
        CHECK(vsr_models_random_weights(g, 20240901, &err));
    int nin = vsr_graph_input_count(g);
    float *in[2] = {NULL, NULL};
    for (int i = 0; i < nin && i < 2; i++) {
        int c;
        CHECK(vsr_graph_input_info(g, i, NULL, NULL, NULL, &c, NULL));
        in[i] = calloc((size_t)h * w * (size_t)c, sizeof(float));
        if (!in[i])
            return fprintf(stderr, "bench_engine: out of memory\n"), 1;
        if (i == 0)
            for (int k = 0; k < c; k += 3) { /* 3, 6 or 9 channels: frames side by side */
                float *tmp = malloc((size_t)h * w * 3 * sizeof(float));
                if (!tmp)
                    return fprintf(stderr, "bench_engine: out of memory\n"), 1;
                synth(tmp, h, w, k);
                for (size_t px = 0; px < (size_t)h * w; px++)
                    for (int j = 0; j < 3 && k + j < c; j++)
                        in[0][px * (size_t)c + (size_t)(k + j)] = tmp[px * 3 + (size_t)j];
                free(tmp);
            }
    }
    if (nin > 2)
        return fprintf(stderr, "bench_engine: %s has %d inputs\n", name, nin), 1;
    if (want[VSR_PREC_INT8]) {
        vsr_calib *cal = NULL;
        CHECK(vsr_calib_create(g, NULL, &cal, &err));
        const float *ci[2] = {in[0], in[1]};
        CHECK(vsr_calib_feed(cal, ci, h, w, &err));
        CHECK(vsr_calib_finish(cal, NULL, g, &err));
        vsr_calib_free(&cal);
    }
    pthreadpool_t pool = threads > 1 ? pthreadpool_create((size_t)threads) : NULL;
    if (threads > 1 && !pool)
        return fprintf(stderr, "bench_engine: pthreadpool_create failed\n"), 1;
    vsr_engine *e[NPREC] = {NULL};
    double *t[NPREC] = {NULL};
    for (int p = 0; p < NPREC; p++) {
        if (!want[p])
            continue;
        CHECK(make_engine(g, p, pool, layers, tiling, &e[p], &err));
        for (int i = 0; i < nin; i++) {
            int c;
            CHECK(vsr_graph_input_info(g, i, NULL, NULL, NULL, &c, NULL));
            CHECK(vsr_engine_set_input(e[p], i, in[i], h, w, c, &err));
        }
        for (int k = 0; k < 3; k++) /* warm-up */
            CHECK(vsr_engine_run(e[p], &err));
        vsr_engine_profile_reset(e[p]);
        t[p] = malloc((size_t)runs * sizeof(double));
        if (!t[p])
            return fprintf(stderr, "bench_engine: out of memory\n"), 1;
    }
    double cpu_ms[NPREC] = {0};     /* CPU time of all threads: what a loaded machine hides */
    uint64_t fr0[NPREC][2] = {{0}}; /* frames on the pool / alone before the timed runs */
    for (int p = 0; p < NPREC; p++)
        if (e[p])
            vsr_engine_pool_frames(e[p], &fr0[p][0], &fr0[p][1]);
    for (long r = 0; r < runs; r++)
        for (int p = 0; p < NPREC; p++) {
            if (!e[p])
                continue;
            double c0 = cpu_s();
            double t0 = vsr_clock_s();
            CHECK(vsr_engine_run(e[p], &err));
            t[p][r] = (vsr_clock_s() - t0) * 1e3;
            cpu_ms[p] += (cpu_s() - c0) * 1e3;
        }
    printf("# bench_engine --model %s: %dx%d LR, %ld thread%s, %ld runs, ISA %s, %s weights\n",
           name, w, h, threads, threads > 1 ? "s" : "", runs, vsr_isa_name(vsr_cpu_features()),
           weights ? "trained" : "random");
    int n_tiles = 1;
    if (tiling->tile > 0) {
        int step =
            tiling->tile_mode == VSR_TILE_CLIP ? tiling->tile : tiling->tile - 2 * tiling->pad;
        n_tiles = ((h + step - 1) / step) * ((w + step - 1) / step);
        printf("# tiles: %s %d pad %d, %d per frame, %d tile worker%s\n",
               vsr_tile_mode_name(tiling->tile_mode), tiling->tile, tiling->pad, n_tiles,
               tiling->tile_workers > 1 ? tiling->tile_workers : 1,
               tiling->tile_workers > 1 ? "s" : "");
    }
    printf("| prec | median ms | p95 ms |\n|---|---|---|\n");
    for (int p = 0; p < NPREC; p++) {
        if (!e[p])
            continue;
        double med, p95;
        stats(t[p], (int)runs, &med, &p95);
        printf("| %s | %.3f | %.3f |\n", prec_names[p], med, p95);
        printf("|   CPU ms per frame, all threads (mean) | %.3f | |\n", cpu_ms[p] / runs);
        uint64_t fp, fa;
        vsr_engine_pool_frames(e[p], &fp, &fa);
        if (threads > 1)
            printf("|   frames on the pool, alone (helper gate) | %llu | %llu |\n",
                   (unsigned long long)(fp - fr0[p][0]), (unsigned long long)(fa - fr0[p][1]));
        if (n_tiles > 1)
            printf("|   per tile: wall, CPU | %.3f | %.3f |\n", med / n_tiles,
                   cpu_ms[p] / runs / n_tiles);
    }
    if (layers) {
        printf("\n| layer | op |");
        for (int p = 0; p < NPREC; p++)
            if (e[p])
                printf(" %s us |", prec_names[p]);
        printf("\n|---|---|");
        for (int p = 0; p < NPREC; p++)
            if (e[p])
                printf("---|");
        printf("\n");
        int first = -1;
        for (int p = 0; p < NPREC && first < 0; p++)
            if (e[p])
                first = p;
        for (int i = 0; first >= 0 && i < vsr_engine_layer_count(e[first]); i++) {
            int any = 0;
            for (int p = 0; p < NPREC; p++) {
                vsr_layer_profile lp;
                if (e[p] && vsr_engine_layer_profile(e[p], i, &lp) == 0 && lp.calls)
                    any = 1;
            }
            if (!any)
                continue;
            vsr_layer_profile l0;
            vsr_engine_layer_profile(e[first], i, &l0);
            printf("| %s | %s |", l0.name, vsr_op_name(l0.op));
            for (int p = 0; p < NPREC; p++) {
                vsr_layer_profile lp;
                if (!e[p])
                    continue;
                vsr_engine_layer_profile(e[p], i, &lp);
                if (lp.calls) /* a conv that ran the fused tail in its bands says so */
                    printf(" %.1f%s |", (double)lp.ns * 1e-3 / (double)runs,
                           lp.with_tail ? " (+ tail)" : "");
                else
                    printf(" - |");
            }
            printf("\n");
        }
    }
    for (int p = 0; p < NPREC; p++) {
        vsr_engine_free(&e[p]);
        free(t[p]);
    }
    if (pool)
        pthreadpool_destroy(pool);
    free(in[0]), free(in[1]);
    vsr_graph_free(&g);
    return 0;
}

int main(int argc, char **argv)
{
    long runs = 20, maxthreads = 2, e2e_frames = 4;
    int want[NPREC] = {1, 1, 1, 1}, do_peak = 1, want_given = 0;
    const char *vid4 = "../shared/data/vid4"; /* as the configs: relative to the cwd */
    vsr_error err = {0};
    const char *model = NULL, *weights = NULL;
    int mh = 68, mw = 120, layers = 0, wait_ratios = 0, winograd = 0;
    double wino_peak = 0; /* --peak: the floor's FP32 GFLOP/s per thread (0: measured) */
    const char *wait_list = NULL;
    static const struct option lo[] = {{"vid4", required_argument, 0, 'V'},
                                       {"no-peak", no_argument, 0, 'P'},
                                       {"model", required_argument, 0, 'M'},
                                       {"size", required_argument, 0, 'S'},
                                       {"weights", required_argument, 0, 'W'},
                                       {"layers", no_argument, 0, 'L'},
                                       {"tile", required_argument, 0, 'T'},
                                       {"pad", required_argument, 0, 'D'},
                                       {"tile-mode", required_argument, 0, 'O'},
                                       {"tile-workers", required_argument, 0, 'K'},
                                       {"wait-ratios", optional_argument, 0, 'R'},
                                       {"conv-algo", required_argument, 0, 'A'},
                                       {"requant", required_argument, 0, 'U'},
                                       {"always-pool", no_argument, 0, 'Y'},
                                       {"winograd", no_argument, 0, 'G'},
                                       {"peak", required_argument, 0, 'Q'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    int opt;
    vsr_engine_options tiling;
    vsr_engine_options_default(&tiling);
    while ((opt = getopt_long(argc, argv, "n:t:p:f:h", lo, NULL)) != -1) {
        switch (opt) {
        case 'n':
            if (vsr_parse_long(optarg, 3, 100000, &runs, "-n", &err))
                return fprintf(stderr, "bench_engine: %s\n", err.msg), 2;
            break;
        case 't':
            if (vsr_parse_long(optarg, 1, 64, &maxthreads, "-t", &err))
                return fprintf(stderr, "bench_engine: %s\n", err.msg), 2;
            break;
        case 'f':
            if (vsr_parse_long(optarg, 0, 1000, &e2e_frames, "-f", &err))
                return fprintf(stderr, "bench_engine: %s\n", err.msg), 2;
            break;
        case 'p': {
            want_given = 1;
            memset(want, 0, sizeof(want));
            char buf[64];
            snprintf(buf, sizeof(buf), "%s", optarg);
            for (char *sv = NULL, *tok = strtok_r(buf, ",", &sv); tok;
                 tok = strtok_r(NULL, ",", &sv)) {
                vsr_precision p;
                if (vsr_precision_parse(tok, &p, &err))
                    return fprintf(stderr, "bench_engine: -p: %s\n", err.msg), 2;
                want[p] = 1; /* enum values = row indices (fp16n = 3) */
            }
            break;
        }
        case 'V':
            vid4 = optarg;
            break;
        case 'P':
            do_peak = 0;
            break;
        case 'M':
            model = optarg;
            break;
        case 'W':
            weights = optarg;
            break;
        case 'L':
            layers = 1;
            break;
        case 'T':
        case 'D':
        case 'K': {
            long v = 0;
            if (vsr_parse_long(optarg, 0, 1 << 16, &v, "--tile/--pad/--tile-workers", &err))
                return fprintf(stderr, "bench_engine: %s\n", err.msg), 2;
            *(opt == 'T'   ? &tiling.tile
              : opt == 'D' ? &tiling.pad
                           : &tiling.tile_workers) = (int)v;
            break;
        }
        case 'O':
            if (vsr_tile_mode_parse(optarg, &tiling.tile_mode, &err))
                return fprintf(stderr, "bench_engine: --tile-mode: %s\n", err.msg), 2;
            break;
        case 'A':
            if (vsr_conv_algo_parse(optarg, &tiling.conv_algo, &err))
                return fprintf(stderr, "bench_engine: --conv-algo: %s\n", err.msg), 2;
            break;
        case 'U':
            if (vsr_requant_parse(optarg, &tiling.requant, &err))
                return fprintf(stderr, "bench_engine: --requant: %s\n", err.msg), 2;
            break;
        case 'Y':
            tiling.always_pool = 1;
            break;
        case 'G':
            winograd = 1;
            break;
        case 'Q': {
            char *end = NULL;
            wino_peak = strtod(optarg, &end);
            if (!end || *end || !(wino_peak > 0 && wino_peak < 1e6))
                return fprintf(stderr, "bench_engine: --peak %s: expected GFLOP/s per thread\n",
                               optarg),
                       2;
            break;
        }
        case 'R':
            wait_ratios = 1;
            wait_list = optarg;
            break;
        case 'S': {
            char *end = NULL;
            long a = strtol(optarg, &end, 10), b = 0;
            if (end && *end == 'x')
                b = strtol(end + 1, &end, 10);
            if (!end || *end || a < 1 || b < 1 || a > 8192 || b > 8192)
                return fprintf(stderr, "bench_engine: --size %s: expected WxH, e.g. 120x68\n",
                               optarg),
                       2;
            mw = (int)a, mh = (int)b;
            break;
        }
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    if (model)
        return bench_model(model, mh, mw, weights, runs, maxthreads, want, layers, &tiling);
    vsr_engine_options algo_opt; /* the ABPN rows: defaults but --conv-algo */
    vsr_engine_options_default(&algo_opt);
    algo_opt.conv_algo = tiling.conv_algo;
    algo_opt.requant = tiling.requant;

    /* network + weights + INT8 parameters */
    const vsr_models_entry *ent = vsr_models_zoo_find("ABPN");
    if (!ent)
        return fprintf(stderr, "bench_engine: zoo has no ABPN\n"), 1;
    vsr_graph *g = NULL;
    CHECK(vsr_models_build(&ent->hp, ent->name, H, W, &g, &err));
    CHECK(vsr_models_random_weights(g, 20240901, &err));
    {
        /* a small residual (like a trained ABPN) so that the SR frame is not all clipped
         * to 0 / 255 and the vsrbench-vs-XNNPACK difference means something */
        const float *w0;
        size_t nw0;
        CHECK(vsr_graph_get_weight(g, "conv_up2.weight", &w0, &nw0, &err));
        float *w1 = malloc(nw0 * sizeof(float));
        if (!w1)
            return fprintf(stderr, "bench_engine: out of memory\n"), 1;
        for (size_t k = 0; k < nw0; k++)
            w1[k] = 0.02f * w0[k];
        CHECK(vsr_graph_set_weight(g, "conv_up2.weight", w1, nw0, &err));
        free(w1);
    }
    vsr_graph_stats gs;
    CHECK(vsr_graph_count(g, H, W, VSR_PREC_FP32, &gs, &err));
    double gop = 2.0 * (double)gs.macs * 1e-9;
    float *x = malloc((size_t)H * W * 3 * sizeof(float));
    size_t nout = (size_t)H * S * W * S * 3;
    float *ya = malloc(nout * sizeof(float)), *yb = malloc(nout * sizeof(float));
    if (!x || !ya || !yb)
        return fprintf(stderr, "bench_engine: out of memory\n"), 1;
    {
        vsr_calib *cal = NULL;
        CHECK(vsr_calib_create(g, NULL, &cal, &err));
        for (int k = 0; k < 2; k++) {
            synth(x, H, W, k + 1);
            const float *in[1] = {x};
            CHECK(vsr_calib_feed(cal, in, H, W, &err));
        }
        vsr_calib_options co;
        vsr_calib_options_default(&co);
        CHECK(vsr_calib_finish(cal, &co, g, &err));
        vsr_calib_free(&cal);
    }
    synth(x, H, W, 0);
    /* ONNX Runtime's copy of the network: the FP32 graph exported to ONNX and
     * the input frame as raw NCHW floats, in a scratch folder */
    char ort_dir[256], ort_model[512], ort_model_q[512], ort_in_path[512], ort_in[600],
        ort_out[512];
    snprintf(ort_dir, sizeof(ort_dir), "%s/bench_engine_ort_XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    int have_ort = 0, have_ort_q = 0;
    if (!wait_ratios && (want[VSR_PREC_FP32] || want[VSR_PREC_INT8]) && mkdtemp(ort_dir)) {
        snprintf(ort_model, sizeof(ort_model), "%s/abpn.onnx", ort_dir);
        snprintf(ort_model_q, sizeof(ort_model_q), "%s/abpn_qdq.onnx", ort_dir);
        snprintf(ort_out, sizeof(ort_out), "%s/out.f32", ort_dir);
        snprintf(ort_in_path, sizeof(ort_in_path), "%s/in.f32", ort_dir);
        snprintf(ort_in, sizeof(ort_in), "%s:1x3x%dx%d", ort_in_path, H, W);
        float *chw = malloc((size_t)H * W * 3 * sizeof(float));
        FILE *f = fopen(ort_in_path, "wb");
        if (chw && f && vsr_models_export_onnx(g, H, W, ort_model, &err) == 0) {
            for (int ch = 0; ch < 3; ch++)
                for (int k = 0; k < H * W; k++)
                    chw[(size_t)ch * H * W + k] = x[(size_t)k * 3 + ch];
            have_ort = fwrite(chw, sizeof(float), (size_t)H * W * 3, f) == (size_t)H * W * 3;
        } else if (err.msg[0]) {
            printf("# ONNX Runtime: export failed: %s\n", err.msg);
        }
        if (f && fclose(f))
            have_ort = 0;
        free(chw);
        /* the INT8 graph in QDQ form with the engine's own scales and zero points
         * (the calibration above), which ORT runs with its int8 kernels */
        vsr_models_export_options xo = {.precision = VSR_MODELS_EXPORT_INT8};
        have_ort_q =
            have_ort && vsr_models_export_onnx_ex(g, H, W, ort_model_q, &xo, &err) == 0;
        if (have_ort && !have_ort_q)
            printf("# ONNX Runtime: QDQ export failed: %s\n", err.msg);
        signal(SIGPIPE, SIG_IGN); /* a node that died is a failed read, not a signal */
    }
    if (winograd) {
        int rc = bench_winograd(g, x, runs, maxthreads, want, wino_peak);
        free(x), free(ya), free(yb);
        vsr_graph_free(&g);
        return rc;
    }
    if (wait_ratios) {
        if (!want_given)
            want[VSR_PREC_FP16] = want[VSR_PREC_FP16N] = 0;
        int rc = bench_wait(g, x, runs, maxthreads, want, wait_list, tiling.always_pool);
        free(x), free(ya), free(yb);
        vsr_graph_free(&g);
        return rc;
    }
    /* FP32 reference output, to report each precision's deviation from it */
    float *yref = malloc(nout * sizeof(float));
    if (!yref)
        return fprintf(stderr, "bench_engine: out of memory\n"), 1;
    {
        vsr_engine *e = NULL;
        CHECK(vsr_engine_create(g, VSR_PREC_FP32, NULL, NULL, &e, &err));
        CHECK(vsr_engine_set_input(e, 0, x, H, W, 3, &err));
        CHECK(vsr_engine_run(e, &err));
        CHECK(vsr_engine_get_output(e, 0, yref, nout, &err));
        vsr_engine_free(&e);
    }

    unsigned isa = vsr_cpu_features();
    if (!want_given && !(isa & VSR_ISA_AVX512FP16)) {
        /* fp16n would run its exact scalar emulation: seconds per frame */
        want[VSR_PREC_FP16N] = 0;
        printf("# fp16n left out: no AVX512-FP16 here, its scalar twin is only an oracle "
               "(-p fp16n runs it anyway)\n");
    }
    printf("# bench_engine: ABPN-x4 %dx%d -> %dx%d, %lld params, %.3f GMAC (%.2f GOP) per "
           "frame; CPU ISA %s\n",
           H, W, H * S, W * S, (long long)gs.params, (double)gs.macs * 1e-9, gop,
           vsr_isa_name(isa));
    if (algo_opt.conv_algo != VSR_CONV_DIRECT)
        printf("# conv_algo %s: the FP32 / FP16 3x3 convs (docs/PERFORMANCE.md, Winograd)\n",
               vsr_conv_algo_name(algo_opt.conv_algo));
#ifdef VSR_HAVE_XNNPACK
    int have_xnn = xnn_initialize(NULL) == xnn_status_success;
    if (!have_xnn)
        printf("# XNNPACK: xnn_initialize failed; vsrbench only\n");
#else
    int have_xnn = 0;
    (void)have_xnn;
    printf("# XNNPACK: not built (libxnnpack-dev was not found at configure time); "
           "vsrbench only\n");
#endif

    double peak[2][3] = {{0}}; /* [threads-1][fp32, fp16, int8] */
    for (long th = 1; th <= maxthreads; th++) {
        pthreadpool_t pool = pthreadpool_create((size_t)th);
        if (!pool)
            return fprintf(stderr, "bench_engine: pthreadpool_create(%ld) failed\n", th), 1;
        if (do_peak && th <= 2) {
            /* the peak of the instructions the engine's kernels use on this CPU:
             * FP16 (FP32 accumulation) computes with FP32 FMAs unless fp16n has
             * AVX512-FP16; INT8 uses VNNI, else int16 vpmaddwd pairs */
            int ok16 = (isa & VSR_ISA_AVX512FP16) != 0, ok512 = (isa & VSR_ISA_AVX512) != 0,
                okv = (isa & VSR_ISA_AVX512VNNI) != 0, ok2 = (isa & VSR_ISA_AVX2) != 0;
            peak[th - 1][0] = ok512 ? peak_gops(pool, (int)th, 0)
                              : ok2 ? peak_gops(pool, (int)th, 3)
                                    : 0;
            peak[th - 1][1] = ok16 ? peak_gops(pool, (int)th, 1) : peak[th - 1][0];
            peak[th - 1][2] = okv   ? peak_gops(pool, (int)th, 2)
                              : ok2 ? peak_gops(pool, (int)th, 4)
                                    : 0;
            printf("# measured peak, %ld thread%s: FP32 FMA (%s) %.0f GFLOP/s, FP16 FMA (%s) "
                   "%.0f GFLOP/s, INT8 (%s) %.0f GOP/s\n",
                   th, th > 1 ? "s" : "", ok512 ? "zmm" : "ymm", peak[th - 1][0],
                   ok16 ? "AVX512-FP16" : "FP32 FMA", peak[th - 1][1],
                   okv ? "VNNI" : "vpmaddwd", peak[th - 1][2]);
            if (th == 2 && peak[1][0] < 1.8 * peak[0][0])
                printf(
                    "# WARNING: the 2-thread peak is %.2fx the 1-thread one: another process "
                    "holds a core, 2-thread figures below are not representative\n",
                    peak[1][0] / peak[0][0]);
        }
        printf("\n| prec | threads | impl | median ms | p95 ms | CPU ms | GOP/s | %% peak | "
               "XNNPACK/vsrbench |\n|---|---|---|---|---|---|---|---|---|\n");
        for (int p = 0; p < NPREC; p++) {
            if (!want[p])
                continue;
            vsr_engine *e = NULL;
            CHECK(make_engine(g, p, pool, 0, &algo_opt, &e, &err));
            CHECK(vsr_engine_set_input(e, 0, x, H, W, 3, &err));
            int xnn_ok = 0;
#ifdef VSR_HAVE_XNNPACK
            xnn_net xn = {0};
            if (have_xnn && (p == VSR_PREC_FP32 || p == VSR_PREC_INT8)) {
                if (xnn_build(&xn, g, p == VSR_PREC_INT8, pool) == 0) {
                    struct xnn_external_value ev[2] = {{0, x}, {1, yb}};
                    xnn_ok = xnn_setup_runtime(xn.rt, 2, ev) == xnn_status_success;
                }
                if (!xnn_ok)
                    printf("# XNNPACK %s: could not build the network (see above)\n",
                           prec_names[p]);
            }
#endif
            ort_proc orp;
            const char *ort_m = p == VSR_PREC_FP32                 ? ort_model
                                : p == VSR_PREC_INT8 && have_ort_q ? ort_model_q
                                                                   : NULL;
            int ort_ok = have_ort && ort_m && ort_start(&orp, ort_m, ort_out, ort_in, th) == 0;
            double ort_cpu0 = ort_ok ? proc_cpu_s(orp.pid) : 0, ort_cpu = 0;
            if (have_ort && ort_m && !ort_ok)
                printf("# ONNX Runtime: node %s/scripts/ort_run.cjs did not start "
                       "(scripts/deps.sh "
                       "installs node and onnxruntime-node)\n",
                       VSR_SOURCE_DIR);
            double *ta = malloc((size_t)runs * sizeof(double));
            double *tb = malloc((size_t)runs * sizeof(double));
            double *tc = malloc((size_t)runs * sizeof(double));
            if (!ta || !tb || !tc)
                return fprintf(stderr, "bench_engine: out of memory\n"), 1;
            double cpu_a = 0; /* vsrbench's CPU seconds over the timed runs, all threads */
            for (long r = -3; r < runs; r++) { /* 3 warm-up rounds */
                if (r == 0 && ort_ok)
                    ort_cpu0 = proc_cpu_s(orp.pid);
                double c0 = cpu_s();
                double t0 = vsr_clock_s();
                CHECK(vsr_engine_run(e, &err));
                double t1 = vsr_clock_s();
                if (r >= 0)
                    ta[r] = (t1 - t0) * 1e3, cpu_a += cpu_s() - c0;
#ifdef VSR_HAVE_XNNPACK
                if (xnn_ok) {
                    t0 = vsr_clock_s();
                    if (xnn_invoke_runtime(xn.rt) != xnn_status_success)
                        return fprintf(stderr, "bench_engine: xnn_invoke_runtime failed\n"), 1;
                    t1 = vsr_clock_s();
                    if (r >= 0)
                        tb[r] = (t1 - t0) * 1e3;
                }
#endif
                if (ort_ok) {
                    double ms = ort_once(&orp);
                    if (ms < 0) {
                        printf("# ONNX Runtime: the node process stopped answering\n");
                        ort_stop(&orp);
                        ort_ok = 0;
                    } else if (r >= 0) {
                        tc[r] = ms;
                    }
                }
            }
            double ort_md = -1;
            if (ort_ok) {
                ort_cpu = proc_cpu_s(orp.pid) - ort_cpu0; /* node + ORT, the timed runs */
                ort_stop(&orp);                           /* writes its last output */
                /* FP32: against the FP32 engine; QDQ: against vsrbench's INT8 frame */
                if (p == VSR_PREC_INT8)
                    CHECK(vsr_engine_get_output(e, 0, ya, nout, &err));
                ort_md = ort_diff(ort_out, p == VSR_PREC_INT8 ? ya : yref, H * S, W * S, 3);
            }
            /* accuracy against the FP32 engine: max |d| and PSNR over the SR frame */
            CHECK(vsr_engine_get_output(e, 0, ya, nout, &err));
            double se = 0, md = 0;
            for (size_t k = 0; k < nout; k++) {
                double d = (double)ya[k] - (double)yref[k];
                se += d * d;
                md = fmax(md, fabs(d));
            }
            if (th == 1)
                printf("# %s vs the FP32 engine: max |d| %.3g, PSNR %.1f dB\n", prec_names[p],
                       md, se > 0 ? 10 * log10(255.0 * 255.0 * (double)nout / se) : INFINITY);
            /* agreement check: max |vsrbench - XNNPACK| over the SR frame */
            double maxdiff = 0;
            if (xnn_ok) {
                CHECK(vsr_engine_get_output(e, 0, ya, nout, &err));
                size_t inside = 0;
                for (size_t k = 0; k < nout; k++) {
                    maxdiff = fmax(maxdiff, fabs((double)ya[k] - (double)yb[k]));
                    inside += ya[k] > 0.f && ya[k] < 255.f;
                }
                if (getenv("BENCH_ENGINE_DEBUG"))
                    fprintf(stderr, "unclipped %zu of %zu, y[100]=%g/%g\n", inside, nout,
                            ya[100], yb[100]);
            }
            double ma, pa, mb = 0, pb = 0;
            stats(ta, (int)runs, &ma, &pa);
            if (xnn_ok)
                stats(tb, (int)runs, &mb, &pb);
            int pk = p == VSR_PREC_FP32 ? 0 : p == VSR_PREC_INT8 ? 2 : 1;
            double pkv = th <= 2 ? peak[th - 1][pk] : 0;
            char pct[32] = "-";
            if (pkv > 0)
                snprintf(pct, sizeof(pct), "%.0f%%", 100.0 * gop / (ma * 1e-3) / pkv);
            char ratio[48] = "-";
            if (xnn_ok)
                snprintf(ratio, sizeof(ratio), "%.2fx", mb / ma);
            else if (p == VSR_PREC_FP16 || p == 3)
                snprintf(ratio, sizeof(ratio), "(vs XNNPACK fp32 below)");
            printf("| %s | %ld | vsrbench (%s) | %.2f | %.2f | %.2f | %.0f | %s | %s |\n",
                   prec_names[p], th, vsr_isa_name(vsr_engine_isa(e)), ma, pa,
                   cpu_a * 1e3 / (double)runs, gop / (ma * 1e-3), pct, ratio);
            if (xnn_ok) {
                double pkx = th <= 2 ? peak[th - 1][p == VSR_PREC_FP32 ? 0 : 2] : 0;
                snprintf(pct, sizeof(pct), "-");
                if (pkx > 0)
                    snprintf(pct, sizeof(pct), "%.0f%%", 100.0 * gop / (mb * 1e-3) / pkx);
                printf("| %s | %ld | XNNPACK %s | %.2f | %.2f | - | %.0f | %s | max|diff| %.3g "
                       "|\n",
                       prec_names[p], th, p == VSR_PREC_INT8 ? "qs8" : "f32", mb, pb,
                       gop / (mb * 1e-3), pct, maxdiff);
            }
            if (ort_ok) {
                double mc, pc;
                stats(tc, (int)runs, &mc, &pc);
                double pkx = th <= 2 ? peak[th - 1][p == VSR_PREC_INT8 ? 2 : 0] : 0;
                snprintf(pct, sizeof(pct), "-");
                if (pkx > 0)
                    snprintf(pct, sizeof(pct), "%.0f%%", 100.0 * gop / (mc * 1e-3) / pkx);
                printf("| %s | %ld | ONNX Runtime 1.30 (npm, CPU EP%s) | %.2f | %.2f | %.2f | "
                       "%.0f | %s | ORT/vsrbench %.2fx, max|diff| %.3g |\n",
                       prec_names[p], th, p == VSR_PREC_INT8 ? ", QDQ" : "", mc, pc,
                       ort_cpu * 1e3 / (double)runs, gop / (mc * 1e-3), pct, mc / ma, ort_md);
            }
            /* remember XNNPACK fp32 to give the fp16 ratio */
            static double xnn_f32_ms[65];
            if (xnn_ok && p == VSR_PREC_FP32)
                xnn_f32_ms[th] = mb;
            if ((p == VSR_PREC_FP16 || p == 3) && xnn_f32_ms[th] > 0)
                printf("| %s | %ld | ratio XNNPACK fp32 / vsrbench %s | | | | | %.2fx |\n",
                       prec_names[p], th, prec_names[p], xnn_f32_ms[th] / ma);
            if (getenv("BENCH_ENGINE_PROFILE")) { /* per-layer split of one extra run */
                vsr_engine *ep = NULL;
                CHECK(make_engine(g, p, pool, 1, &algo_opt, &ep, &err));
                CHECK(vsr_engine_set_input(ep, 0, x, H, W, 3, &err));
                for (int r = 0; r < 4; r++) {
                    if (r == 1)
                        vsr_engine_profile_reset(ep);
                    CHECK(vsr_engine_run(ep, &err));
                }
                for (int l = 0; l < vsr_engine_layer_count(ep); l++) {
                    vsr_layer_profile lp;
                    vsr_engine_layer_profile(ep, l, &lp);
                    if (lp.calls)
                        printf("#   %-16s %-15s %7.2f ms%s%s\n", lp.name, vsr_op_name(lp.op),
                               (double)lp.ns * 1e-6 / (double)lp.calls, lp.algo ? "  " : "",
                               lp.algo ? lp.algo : "");
                }
                vsr_engine_free(&ep);
            }
            free(ta), free(tb), free(tc);
#ifdef VSR_HAVE_XNNPACK
            xnn_net_free(&xn);
#endif
            vsr_engine_free(&e);
        }
        printf("\n");
        pthreadpool_destroy(pool);
    }

    /* end-to-end Vid4: decode + BI degrade + infer + PSNR/SSIM (Y), 2 threads */
    vsr_dataset_spec spec = {.type = VSR_DATASET_VID4,
                             .root = vid4,
                             .degradation = VSR_DEGRADE_BI,
                             .scale = S,
                             .max_frames = (int)e2e_frames};
    vsr_dataset *ds = NULL;
    if (e2e_frames <= 0) {
        printf("# Vid4 end-to-end: skipped (-f 0)\n");
    } else if (vsr_dataset_open(&spec, &ds, &err)) {
        printf("# Vid4 end-to-end: skipped (%s)\n", err.msg);
    } else {
        long th = maxthreads;
        if (getenv("BENCH_ENGINE_DEBUG")) {
            FILE *st = fopen("/proc/self/status", "r");
            char line[256];
            while (st && fgets(line, sizeof(line), st))
                if (strncmp(line, "Cpus_allowed_list", 17) == 0 ||
                    strncmp(line, "Threads", 7) == 0)
                    fputs(line, stderr);
            if (st)
                fclose(st);
        }
        pthreadpool_t pool = pthreadpool_create((size_t)th);
        for (int p = 0; p < NPREC && pool; p++) {
            if (!want[p])
                continue;
            vsr_engine *e = NULL;
            CHECK(make_engine(g, p, pool, 0, &algo_opt, &e, &err));
            double t_load = 0, t_inf = 0, t_met = 0, psum = 0;
            int nf = 0;
            for (int c = 0; c < vsr_dataset_clip_count(ds); c++) {
                vsr_clip clip = {0};
                double t0 = vsr_clock_s();
                CHECK(vsr_dataset_load_frames(ds, c, 0, (int)e2e_frames, &clip, &err));
                double t1 = vsr_clock_s();
                t_load += t1 - t0;
                for (int f = 0; f < clip.n_frames; f++) {
                    vsr_frame sr = {0};
                    CHECK(vsr_frame_alloc(&sr, clip.gt[f].width, clip.gt[f].height, 3, &err));
                    t0 = vsr_clock_s();
                    CHECK(vsr_engine_set_input_frame(e, 0, &clip.lr[f], &err));
                    double ta0 = vsr_clock_s();
                    CHECK(vsr_engine_run(e, &err));
                    double ta1 = vsr_clock_s();
                    CHECK(vsr_engine_get_output_frame(e, 0, &sr, &err));
                    t1 = vsr_clock_s();
                    if (getenv("BENCH_ENGINE_DEBUG"))
                        fprintf(stderr, "%dx%d: set %.2f run %.2f get %.2f ms\n",
                                clip.lr[f].width, clip.lr[f].height, (ta0 - t0) * 1e3,
                                (ta1 - ta0) * 1e3, (t1 - ta1) * 1e3);
                    double ps, ss;
                    CHECK(vsr_metrics_psnr(&clip.gt[f], &sr, S, 1, pool, &ps, &err));
                    CHECK(vsr_metrics_ssim(&clip.gt[f], &sr, S, 1, pool, &ss, &err));
                    double t2 = vsr_clock_s();
                    t_inf += t1 - t0;
                    t_met += t2 - t1;
                    psum += ps;
                    nf++;
                    vsr_frame_free(&sr);
                }
                vsr_clip_free(&clip);
            }
            double tot = t_load + t_inf + t_met;
            printf("# Vid4 end-to-end %s, %ld threads: %d frames (%ld per clip) in %.2f s = "
                   "%.1f frames/s (decode+degrade %.1f ms, infer %.1f ms, PSNR+SSIM %.1f ms "
                   "per frame; PSNR-Y %.2f dB, random weights)\n",
                   prec_names[p], th, nf, e2e_frames, tot, nf / tot, 1e3 * t_load / nf,
                   1e3 * t_inf / nf, 1e3 * t_met / nf, psum / nf);
            vsr_engine_free(&e);
        }
        if (pool)
            pthreadpool_destroy(pool);
        vsr_dataset_close(&ds);
    }
#ifdef VSR_HAVE_XNNPACK
    if (have_xnn)
        xnn_deinitialize();
#endif
    free(x), free(ya), free(yb), free(yref);
    if (have_ort) {
        remove(ort_model), remove(ort_out);
        remove(ort_in_path);
        rmdir(ort_dir);
    }
    vsr_graph_free(&g);
    return 0;
}
