/*
 * Internals of the engine shared by graph.c, exec.c, tile.c, quant.c,
 * calib.c, weights.c, ops/ and x86/. Nothing here is public API.
 */
#ifndef VSR_ENGINE_INTERNAL_H
#define VSR_ENGINE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "vsr/engine.h"

/* ---- graph IR -------------------------------------------------------- */

enum { VSR_MAX_WEIGHTS_PER_NODE = 4 };

typedef struct vsr_node {
    vsr_op_type op;
    char name[VSR_NAME_MAX];
    int *in; /* input tensor ids (owned) */
    int n_in;
    vsr_conv_params conv; /* conv2d */
    vsr_act act;          /* activation ops (relu/leaky/prelu/clip/sigmoid) */
    float f0, f1;         /* scale a,b / eps / matmul alpha */
    int i0, i1;           /* slice c0,c1; shuffle groups; d2s r; resize f; prelu shared */
    int h, w, c;          /* nominal output shape */
    int w_first, w_n;     /* weights [w_first, w_first + w_n) of graph->wts */
    /* INT8 */
    int q_fixed; /* parameters given by vsr_graph_set_quant() */
    int q_set;   /* parameters known (fixed or calibrated) */
    float q_scale;
    int q_zp;
    int has_range;
    float r_lo, r_hi;
    float *w_scales; /* per-output-channel weight scales (owned), or NULL */
    int n_w_scales;
} vsr_node;

typedef struct vsr_wt {
    char name[VSR_NAME_MAX];
    int node;
    int ndim;
    int dims[4];
    size_t count;
    float *data; /* owned; NULL until set */
} vsr_wt;

typedef struct vsr_meta {
    char *key, *value;
} vsr_meta;

typedef struct vsr_gout {
    char name[VSR_NAME_MAX];
    int t;
} vsr_gout;

struct vsr_graph {
    char name[VSR_NAME_MAX];
    vsr_node *nodes;
    int n_nodes, cap_nodes;
    vsr_wt *wts;
    int n_wts, cap_wts;
    int *inputs;
    int n_inputs;
    vsr_gout *outputs;
    int n_outputs;
    vsr_meta *meta;
    int n_meta;
    int status;
    char status_msg[512];
};

/* Shapes of every node for input size h x w (0,0 = nominal): shp[3*i+{0,1,2}]. */
int vsr__graph_infer(const vsr_graph *g, int h, int w, int *shp, vsr_error *err);
/* Index of weight @p name, or -1. */
int vsr__graph_find_weight(const vsr_graph *g, const char *name);
/* 1 if op reduces over the whole image. */
int vsr__op_is_global(vsr_op_type op);

/*
 * Fusion plan, shared by the engine and the counters. For every node:
 * exec[i] = 1 if the node runs; dst[i] = the tensor its result is written to
 * (itself, or the last node of a conv->[bn]->[act] chain); fold_bn[i] = the
 * BN node folded into conv i or -1; fuse_act[i] = the act node fused or -1.
 */
typedef struct vsr_plan {
    int n;
    int *exec, *dst, *fold_bn, *fuse_act;
    int *n_consumers;
    int *is_output;
    int *xin; /* NULL, or [2n]: extra inputs node i reads (engine-fused tail), -1 = none */
} vsr_plan;
int vsr__plan_build(const vsr_graph *g, vsr_plan *p, vsr_error *err);
void vsr__plan_free(vsr_plan *p);

/* Arena layout for the materialized tensors: offsets[i] (bytes) or -1. */
int vsr__arena_plan(const vsr_graph *g, const vsr_plan *p, const int *shp,
                    const size_t *elem_size, size_t *offsets, size_t *total, vsr_error *err);

/* ---- tensors, dtypes --------------------------------------------------- */

typedef enum vsr_dtype { VSR_DT_F32 = 0, VSR_DT_F16 = 1, VSR_DT_I8 = 2 } vsr_dtype;

/* A materialized tensor during a run. */
typedef struct vsr_tview {
    void *data;
    vsr_dtype dt;
    int h, w, c;
    float scale; /* INT8 */
    int zp;
    const struct vsr_kernels *k; /* conversions to use, or NULL for the scalar ones */
} vsr_tview;

static inline size_t vsr__dt_size(vsr_dtype dt)
{
    return dt == VSR_DT_F32 ? 4 : dt == VSR_DT_F16 ? 2 : 1;
}

/* Convert n elements at element offset off to / from float. */
void vsr__load_f32(const vsr_tview *t, size_t off, size_t n, float *dst);
void vsr__store_f32(const vsr_tview *t, size_t off, size_t n, const float *src);
/* Round-to-nearest-even float -> int8 with (scale, zp), saturating. */
int8_t vsr__quantize1(float v, float inv_scale, int zp);
/* The same result without the libm call (nearbyintf is not inlined at the baseline
 * ISA): |x| < 2^22 rounds to nearest even through the 1.5 * 2^23 magic number in
 * the default rounding mode; larger values are integers already; NaN stays NaN. */
static inline int8_t vsr__quantize1_fast(float v, float inv_scale, int zp)
{
    float x = v * inv_scale;
    if (x < 4194304.f && x > -4194304.f) /* (IEEE: not folded without -ffast-math) */
        x = (x + 12582912.f) - 12582912.f;
    float q = x + (float)zp;
    if (!(q >= -128.f))
        return -128;
    if (q > 127.f)
        return 127;
    return (int8_t)q;
}

/* ---- INT8 fixed point -------------------------------------------------- */

/*
 * Requantization: r = round(acc * M / 2^S), one rounding of the exact 64-bit
 * product, ties away from zero; M in [2^30, 2^31), 1 <= S <= 62.
 */
static inline int64_t vsr__requant(int32_t acc, int32_t m, int s)
{
    int64_t p = (int64_t)acc * (int64_t)m;
    int64_t half = (int64_t)1 << (s - 1);
    return p >= 0 ? (p + half) >> s : -((-p + half) >> s);
}
static inline int8_t vsr__requant_clamp(int32_t acc, int32_t m, int s, int zp, int lo, int hi)
{
    int64_t r = vsr__requant(acc, m, s) + zp;
    if (r < lo)
        r = lo;
    if (r > hi)
        r = hi;
    return (int8_t)r;
}
/* Real multiplier -> (M, S). -ERANGE when real >= 2^31 or not finite/positive. */
int vsr__quant_multiplier(double real, int32_t *m, int *s);
/* Activation qparams from a float range [lo, hi] (widened to contain 0). */
void vsr__quant_from_range(float lo, float hi, float *scale, int *zp);

/* ---- kernels ------------------------------------------------------------ */

/* Parameters of a dense stride-1 conv microkernel over interior pixels. */
typedef struct vsr_conv_uk {
    int kh, kw, dil;
    int cin, cout;
    ptrdiff_t in_row; /* elements between input rows */
    int ncob;         /* cout blocks of 16 */
    /* FP32: weights [cob][ky][kx][ci][16], bias [ncob*16] */
    const float *wf;
    const float *bf;
    float minv, maxv; /* fused relu/clip clamp */
    /* INT8 (VNNI layout): weights [cob][ky][kx][ci4][16][4] int8, cin4 = ceil(cin/4) */
    int cin4;
    const int8_t *wq;
    const int32_t *bq; /* bias - (128 + zp_x) * sum(w), per channel [ncob*16] */
    const int32_t *qm; /* multipliers [ncob*16] */
    const int32_t *qs; /* shifts [ncob*16] (as int32) */
    int zp_out, qmin, qmax;
    /* INT8 (AVX2 int16 layout): weights [cob][ky][kx][ci2][16][2] int16, bias [ncob*16];
     * the input is pre-widened to int16 as x - zp_in (padding 0) */
    const int16_t *w16;
    const int32_t *b16;
    /* int16 kernels: 1 = store the raw int32 accumulators (bias + sum (x - zp_in) * w,
     * pixel stride cout) to out, which then points to int32_t, instead of requantizing
     * (convs with a float epilogue: sigmoid / leaky / PReLU) */
    int acc32;
    /* FP16 native (binary16 FMAs): weights [cob32][ky][kx][ci][32] binary16, bias
     * [ncob32*32], clamp bounds as binary16 bits; input and output rows binary16 */
    int ncob32;
    const uint16_t *wh;
    const uint16_t *bh;
    uint16_t minh, maxh;
} vsr_conv_uk;

/*
 * out: n output pixels of one row, each cout values, pixel stride cout.
 * in: the input pixel under the top-left tap of the first output pixel.
 */
typedef void (*vsr_f32_conv_ukernel)(const vsr_conv_uk *p, const float *in, float *out, int n);
typedef void (*vsr_qs8_conv_ukernel)(const vsr_conv_uk *p, const int8_t *in, int8_t *out,
                                     int n);

void vsr_f32_conv_ukernel_1x16__scalar(const vsr_conv_uk *p, const float *in, float *out,
                                       int n);
void vsr_f32_conv_ukernel_4x32__avx512f(const vsr_conv_uk *p, const float *in, float *out,
                                        int n);
void vsr_f32_conv_ukernel_nx48__avx512f(const vsr_conv_uk *p, const float *in, float *out,
                                        int n);
void vsr_f32_conv_ukernel_4x16__avx2(const vsr_conv_uk *p, const float *in, float *out, int n);
void vsr_qs8_conv_ukernel_1x16__scalar(const vsr_conv_uk *p, const int8_t *in, int8_t *out,
                                       int n);
void vsr_qs8_conv_ukernel_4x16__avx512vnni(const vsr_conv_uk *p, const int8_t *in, int8_t *out,
                                           int n);
/* The same with input bytes already biased to unsigned (x ^ 0x80), as the driver
 * copies them when the table has qs8_conv_u8. */
void vsr_qs8_conv_ukernel_u8_1x16__scalar(const vsr_conv_uk *p, const int8_t *in, int8_t *out,
                                          int n);
void vsr_qs8_conv_ukernel_u8_nx48__avx512vnni(const vsr_conv_uk *p, const int8_t *in,
                                              int8_t *out, int n);
typedef void (*vsr_qs8_conv_i16_ukernel)(const vsr_conv_uk *p, const int16_t *in, int8_t *out,
                                         int n);
void vsr_qs8_conv_i16_ukernel_1x16__scalar(const vsr_conv_uk *p, const int16_t *in, int8_t *out,
                                           int n);
void vsr_qs8_conv_i16_ukernel_4x16__avx2(const vsr_conv_uk *p, const int16_t *in, int8_t *out,
                                         int n);

/* FP16 native conv: every multiply-add rounded to binary16 (the scalar twin rounds
 * the FP32 product-sum, exact product, to binary16 at each step). */
typedef void (*vsr_f16_conv_ukernel)(const vsr_conv_uk *p, const uint16_t *in, uint16_t *out,
                                     int n);
void vsr_f16_conv_ukernel_1x32__scalar(const vsr_conv_uk *p, const uint16_t *in, uint16_t *out,
                                       int n);
void vsr_f16_conv_ukernel_nx64__avx512fp16(const vsr_conv_uk *p, const uint16_t *in,
                                           uint16_t *out, int n);

/* Row conversions with F16C (x86/f16-cvt-avx2.c) and their scalar twins. */
typedef void (*vsr_f16_to_f32_fn)(const uint16_t *src, float *dst, size_t n);
typedef void (*vsr_f32_to_f16_fn)(const float *src, uint16_t *dst, size_t n);
void vsr_f16_f32_cvt__scalar(const uint16_t *src, float *dst, size_t n);
void vsr_f32_f16_cvt__scalar(const float *src, uint16_t *dst, size_t n);
void vsr_f16_f32_cvt__f16c(const uint16_t *src, float *dst, size_t n);
void vsr_f32_f16_cvt__f16c(const float *src, uint16_t *dst, size_t n);

/* INT8 rows: dequantize scale * (q - zp), quantize as vsr__quantize1_fast (x86/qs8-cvt-avx2.c
 * and the scalar twins in tensor.c, bit-identical). */
typedef void (*vsr_qs8_f32_cvt_fn)(const int8_t *src, float *dst, size_t n, float scale,
                                   int zp);
typedef void (*vsr_f32_qs8_cvt_fn)(const float *src, int8_t *dst, size_t n, float inv_scale,
                                   int zp);
void vsr_qs8_f32_cvt__scalar(const int8_t *src, float *dst, size_t n, float scale, int zp);
void vsr_f32_qs8_cvt__scalar(const float *src, int8_t *dst, size_t n, float inv_scale, int zp);
void vsr_qs8_f32_cvt__avx2(const int8_t *src, float *dst, size_t n, float scale, int zp);
void vsr_f32_qs8_cvt__avx2(const float *src, int8_t *dst, size_t n, float inv_scale, int zp);
/* dst[i] = lut[src[i] + 128]: an int8 -> int8 table of 256 entries (x86/u8-lut-avx2.c) */
typedef void (*vsr_u8_lut_fn)(const int8_t *src, int8_t *dst, size_t n, const int8_t *lut);
void vsr_u8_lut_ukernel__scalar(const int8_t *src, int8_t *dst, size_t n, const int8_t *lut);
void vsr_u8_lut_ukernel__avx2(const int8_t *src, int8_t *dst, size_t n, const int8_t *lut);

/* Kernel table chosen once per engine. */
typedef struct vsr_kernels {
    unsigned isa;
    vsr_f32_conv_ukernel f32_conv;
    vsr_qs8_conv_ukernel qs8_conv;
    vsr_qs8_conv_i16_ukernel qs8_conv_i16; /* when set, INT8 convs use the int16 layout */
    vsr_f16_to_f32_fn f16_to_f32;
    vsr_f32_to_f16_fn f32_to_f16;
    vsr_qs8_conv_ukernel qs8_conv_u8;      /* when set, INT8 dense convs use it on x ^ 0x80 */
    vsr_f16_conv_ukernel f16_conv;         /* FP16 native convs (opt.fp16_native), else NULL */
    vsr_qs8_conv_i16_ukernel qs8_conv_acc; /* int16 layout, acc32 mode: float-epilogue convs */
    vsr_qs8_f32_cvt_fn qs8_to_f32;
    vsr_f32_qs8_cvt_fn f32_to_qs8;
    vsr_u8_lut_fn lut8; /* 256-entry int8 tables (element-wise INT8 ops) */
} vsr_kernels;
void vsr__kernels_select(unsigned isa, vsr_kernels *k);

/* ---- engine -------------------------------------------------------------- */

/* Per-conv data prepared at engine creation. */
typedef struct vsr_conv_prep {
    int cin, cig, cog; /* input channels, per group in/out */
    float *w;          /* HWIO float (binary16-rounded in FP16), BN folded */
    float *b;          /* [cout] (0 when no bias) */
    float *alpha;      /* PReLU slopes expanded to [cout], or NULL */
    int simd;          /* 1 = dense stride-1: interior rows use the microkernel */
    vsr_conv_uk uk;    /* microkernel parameters (wf/bf or wq/bq/qm/qs) */
    float *wpack, *bpack;
    /* INT8 */
    int8_t *wq;       /* HWIO int8 */
    int32_t *bq;      /* [cout] bias in s_x*s_w units */
    int32_t *qm, *qs; /* [cout] requantization */
    float *wscale;    /* [cout] */
    int8_t *wqpack;
    int32_t *bqpack, *qmpack, *qspack;
    int16_t *w16pack;
    int32_t *b16pack;
    uint16_t *whpack, *bhpack; /* FP16 native packs, or NULL */
    int float_epilogue;        /* INT8 with sigmoid/leaky/prelu: requantize in float */
    int dw;      /* depthwise stride 1 (groups = Cin = Cout): padded per-channel path */
    vsr_act act; /* effective fused activation (conv's own or a fused act node) */
} vsr_conv_prep;

struct vsr_engine {
    const vsr_graph *g;
    vsr_precision prec;
    pthreadpool_t pool;
    int nthreads;
    vsr_engine_options opt;
    vsr_kernels k;
    vsr_plan plan;
    vsr_dtype *dt; /* per tensor */
    float *qscale; /* per tensor (INT8) */
    int *qzp;
    vsr_conv_prep *conv; /* per node */
    float **pw; /* per node: prepared float params (BN scale/shift, LN gamma/beta, PReLU) */
    /* plan for one run size (a tile or the whole frame) */
    int plan_h, plan_w;
    int *shp;
    size_t *off;
    size_t arena_bytes;
    uint8_t *arena;
    /* whole-frame I/O, float HWC */
    int in_h, in_w;
    int *in_hw; /* per input: h, w that was set (pairs) */
    float **in_buf;
    size_t *in_cap;
    float **out_buf;
    size_t *out_cap;
    int *out_shape; /* 3 per output, whole frame */
    int have_output;
    /* profile, per node */
    uint64_t *prof_ns, *prof_calls;
    /* calibration hook: called with every materialized tensor after it is written (FP32) */
    void (*hook)(void *ctx, int t, const float *data, int h, int w, int c);
    void *hook_ctx;
    /* SR tail fused at creation (ops/fused.c): clip(depth_to_space(t + concat(x,..,x)))
     * computed by node tail.node from t and x; the concat, add (and depth_to_space
     * when a clip follows) do not run. node = -1: no fusion. */
    struct {
        int node, t, x, r, clip;
        int exact16; /* lo and hi are binary16 values */
        float lo, hi;
        int8_t *lut;    /* INT8: [256 * 256] output for (q_t, q_x), exact composition */
        float deq[256]; /* INT8: the output's dequantization, as vsr__load_f32 */
        float *flut;    /* INT8: [256 * 256] deq[lut[i] + 128], the float output in one
                           lookup (whole-frame runs write float) */
        float *out;     /* during a whole-frame run: write the result as float here (the
                           graph output's buffer) instead of the arena, or NULL */
    } tail;
    /* per-chunk scratch of the conv row driver, grown on the calling thread */
    void **scratch;
    size_t *scratch_cap;
    int n_scratch;
    /* per node, or NULL: INT8 add / mul of two same-shape int8 tensors as a table of
     * the float path, [256 * 256] indexed by (uint8_t)a << 8 | (uint8_t)b (owned);
     * with plan.fuse_act[i] >= 0 the table includes that element-wise op */
    int8_t **lut2;
};

/* A view of materialized tensor t in the current arena. */
vsr_tview vsr__tensor(const vsr_engine *e, int t);
/* Plan arena for a run at input h x w (no-op when it fits the current plan). */
int vsr__engine_plan(vsr_engine *e, int h, int w, vsr_error *err);
/* Run all ops on the arena's input tensors (already filled) at input size h x w. */
int vsr__engine_run_once(vsr_engine *e, int h, int w, vsr_error *err);
/* Whole-frame or tiled run over e->in_buf into e->out_buf (tile.c). */
int vsr__engine_run_tiled(vsr_engine *e, vsr_error *err);

/* Ops (files in ops/). Each executes node i writing tensor e->plan.dst[i]. */
int vsr__conv_prepare(vsr_engine *e, int i, vsr_error *err);
void vsr__conv_free(vsr_conv_prep *c);
int vsr__conv_run(vsr_engine *e, int i, vsr_error *err);
int vsr__eltwise_run(vsr_engine *e, int i, vsr_error *err);
/* At engine creation, after the types: tabulate INT8 binary element-wise ops
 * (e->lut2) and, unless no_fuse, fold a following element-wise op into them. */
int vsr__eltwise_prepare(vsr_engine *e, int no_fuse, vsr_error *err);
int vsr__movement_run(vsr_engine *e, int i, vsr_error *err);
int vsr__misc_run(vsr_engine *e, int i, vsr_error *err);
/* vsr_engine_create with fusion of the SR tail disabled when no_fuse = 1 (calibration
 * needs every tensor of the graph). */
int vsr__engine_create_ex(const vsr_graph *g, vsr_precision prec, pthreadpool_t pool,
                          const vsr_engine_options *opt, int no_fuse, vsr_engine **out,
                          vsr_error *err);
/* Tail fusion (ops/fused.c): detect after types are assigned; run node tail.node. */
int vsr__tail_detect(vsr_engine *e, vsr_error *err);
int vsr__tail_run(vsr_engine *e, vsr_error *err);
/* Run fn(ctx, i) for i in [0, n) on the engine's pool. */
void vsr__parallel(vsr_engine *e, void (*fn)(void *, size_t), void *ctx, size_t n);

#endif
