/*
 * Bilinear resize (TF2 half-pixel), whole-image reductions (global pools,
 * the AFA K^T Q matmul) and the per-pixel matmul. Computed in FP32 on
 * widened / dequantized values; whole-image sums accumulate in FP64. INT8
 * with `requant: tflite`: the bilinear resize is TFLite's integer kernel.
 */
#include <math.h>
#include <stdlib.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../engine_internal.h"

typedef struct misc_task {
    vsr_engine *e;
    int i;
    vsr_tview a, b, o;
    size_t hw; /* input pixels */
    int nchunks;
    int err;
    float amat[1024]; /* matmul_pixels: A */
} misc_task;

/* Row y of the input interpolated along x: h[X * C + c] = a0 + (a1 - a0) * wx. */
static void bilinear_hrow(const misc_task *t, int y, const int *xl, const int *xh,
                          const float *xw, float *r, float *h)
{
    int C = t->a.c, OW = t->o.w;
    size_t rn = (size_t)t->a.w * C;
    vsr__load_f32(&t->a, (size_t)y * rn, rn, r);
    for (int X = 0; X < OW; X++) {
        const float *a0 = r + (size_t)xl[X] * C, *a1 = r + (size_t)xh[X] * C;
        float wx = xw[X], *o = h + (size_t)X * C;
        for (int c = 0; c < C; c++)
            o[c] = a0[c] + (a1[c] - a0[c]) * wx;
    }
}

/*
 * out = top + (bot - top) * wy with top and bot the input rows yl and yh
 * interpolated along x (a0 + (a1 - a0) * wx): the same operations in the same
 * order per value as interpolating each output pixel from its four taps, so
 * the results do not depend on the order. Each input row is interpolated
 * along x once and kept while output rows use it (f output rows per input
 * row); the vertical pass is one vectorizable loop per output row, and INT8
 * rows are (de)quantized by the kernel table's row conversions.
 */
static void bilinear_chunk(void *ctx, size_t chunk)
{
    misc_task *t = ctx;
    const vsr_node *nd = &t->e->g->nodes[t->i];
    int f = nd->i0, H = t->a.h, W = t->a.w, C = t->a.c, OH = t->o.h, OW = t->o.w;
    int y0 = (int)((size_t)OH * chunk / (size_t)t->nchunks);
    int y1 = (int)((size_t)OH * (chunk + 1) / (size_t)t->nchunks);
    size_t rn = (size_t)W * C, on = (size_t)OW * C;
    float *r = malloc(rn * sizeof(float)), *out = malloc(on * sizeof(float));
    float *hb[2] = {malloc(on * sizeof(float)), malloc(on * sizeof(float))};
    int *xl = malloc((size_t)OW * sizeof(int)), *xh = malloc((size_t)OW * sizeof(int));
    float *xw = malloc((size_t)OW * sizeof(float));
    if (!r || !out || !hb[0] || !hb[1] || !xl || !xh || !xw) {
        __atomic_store_n(&t->err, -ENOMEM, __ATOMIC_RELAXED); /* workers may race */
        goto done;
    }
    for (int X = 0; X < OW; X++) {
        float sx = ((float)X + 0.5f) / (float)f - 0.5f;
        if (sx < 0.f)
            sx = 0.f;
        if (sx > (float)(W - 1))
            sx = (float)(W - 1);
        xl[X] = (int)sx;
        xh[X] = xl[X] + 1 < W ? xl[X] + 1 : W - 1;
        xw[X] = sx - (float)xl[X];
    }
    int tag[2] = {-1, -1}; /* input row held by hb[k] */
    for (int Y = y0; Y < y1; Y++) {
        float sy = ((float)Y + 0.5f) / (float)f - 0.5f;
        if (sy < 0.f)
            sy = 0.f;
        if (sy > (float)(H - 1))
            sy = (float)(H - 1);
        int yl = (int)sy, yh = yl + 1 < H ? yl + 1 : H - 1;
        float wy = sy - (float)yl;
        int kl = tag[0] == yl ? 0 : tag[1] == yl ? 1 : -1;
        if (kl < 0) {
            kl = tag[0] == yh && yh != yl ? 1 : 0; /* keep the buffer holding yh */
            bilinear_hrow(t, yl, xl, xh, xw, r, hb[kl]);
            tag[kl] = yl;
        }
        int kh = tag[kl] == yh ? kl : tag[1 - kl] == yh ? 1 - kl : -1;
        if (kh < 0) {
            kh = 1 - kl;
            bilinear_hrow(t, yh, xl, xh, xw, r, hb[kh]);
            tag[kh] = yh;
        }
        const float *top = hb[kl], *bot = hb[kh];
        for (size_t k = 0; k < on; k++)
            out[k] = top[k] + (bot[k] - top[k]) * wy;
        vsr__store_f32(&t->o, (size_t)Y * on, on, out);
    }
done:
    free(r), free(out), free(hb[0]), free(hb[1]), free(xl), free(xh), free(xw);
}

static void matpix_row(void *ctx, size_t y)
{
    misc_task *t = ctx;
    int W = t->a.w, CV = t->a.c, CQ = t->o.c;
    float v[64], o[64];
    for (int x = 0; x < W; x++) {
        size_t p = (size_t)y * W + x;
        vsr__load_f32(&t->a, p * CV, (size_t)CV, v);
        for (int j = 0; j < CQ; j++) {
            float s = 0.f;
            for (int i = 0; i < CV; i++)
                s += v[i] * t->amat[i * CQ + j];
            o[j] = s;
        }
        vsr__store_f32(&t->o, p * CQ, (size_t)CQ, o);
    }
}

/* TFLite's int8 RESIZE_BILINEAR (half_pixel_centers; ResizeBilinearInteger,
 * input and output parameters equal): one coordinate in 1/1024 steps, its
 * lower and upper taps. */
static void tfl_coord(int v, int32_t scale_10, int in_size, int32_t *s, int *lo, int *hi)
{
    *s = v * scale_10 + scale_10 / 2 - (1 << 9);
    int l = *s / (1 << 10); /* C and TFLite: toward zero */
    int h = (*s + (1 << 10) - 1) / (1 << 10);
    *lo = l > 0 ? l : 0;
    *hi = h < in_size - 1 ? h : in_size - 1;
}

/* Output row @p Y of the integer resize: the four taps weighted in 1/2^20
 * (int64), rounded half away from zero, on the raw int8 values. */
static void bilinear_tfl_row(void *ctx, size_t Y)
{
    misc_task *t = ctx;
    int H = t->a.h, W = t->a.w, C = t->a.c, OH = t->o.h, OW = t->o.w;
    int32_t hs = ((1 << 10) * H + OH / 2) / OH, ws = ((1 << 10) * W + OW / 2) / OW;
    const int8_t *in = t->a.data;
    int8_t *out = (int8_t *)t->o.data + (size_t)Y * OW * C;
    int32_t iy;
    int y0, y1;
    tfl_coord((int)Y, hs, H, &iy, &y0, &y1);
    int64_t dy = iy - (1 << 10) * y0;
    for (int X = 0; X < OW; X++) {
        int32_t ix;
        int x0, x1;
        tfl_coord(X, ws, W, &ix, &x0, &x1);
        int64_t dx = ix - (1 << 10) * x0;
        const int8_t *p00 = in + ((size_t)y0 * W + x0) * C,
                     *p10 = in + ((size_t)y1 * W + x0) * C;
        const int8_t *p01 = in + ((size_t)y0 * W + x1) * C,
                     *p11 = in + ((size_t)y1 * W + x1) * C;
        for (int c = 0; c < C; c++) {
            int64_t o = (int64_t)p00[c] * ((1 << 10) - dy) * ((1 << 10) - dx) +
                        (int64_t)p10[c] * dy * ((1 << 10) - dx) +
                        (int64_t)p01[c] * ((1 << 10) - dy) * dx + (int64_t)p11[c] * dy * dx;
            int64_t r = o > 0 ? (1 << 19) : -(1 << 19);
            out[(size_t)X * C + c] = (int8_t)((o + r) / (1 << 20));
        }
    }
}

static int bilinear_exec(vsr_engine *e, misc_task *t, const vsr_node *nd, vsr_error *err)
{
    if (e->opt.requant == VSR_REQUANT_TFLITE && t->a.dt == VSR_DT_I8 && t->o.dt == VSR_DT_I8 &&
        t->a.scale == t->o.scale && t->a.zp == t->o.zp) {
        /* TFLite's int8 kernel (it requires equal parameters: calibration ties them) */
        vsr__parallel(e, bilinear_tfl_row, t, (size_t)t->o.h);
        return 0;
    }
    int nc = e->nthreads * VSR_ITEMS_PER_THREAD;
    t->nchunks = nc < t->o.h ? nc : t->o.h;
    vsr__parallel(e, bilinear_chunk, t, (size_t)t->nchunks);
    if (t->err)
        return vsr_error_set(err, t->err, "%s: %s: out of memory", e->g->name, nd->name);
    return 0;
}

static int pool_exec(vsr_engine *e, misc_task *t, const vsr_node *nd, vsr_error *err)
{
    size_t hw = t->hw;
    int C = t->a.c;
    double s[1024] = {0}, s2[1024] = {0};
    float px[1024], out[1024];
    if (C > 1024)
        return vsr_error_set(err, -ENOTSUP, "%s: %s: more than 1024 channels", e->g->name,
                             nd->name);
    for (size_t p = 0; p < hw; p++) {
        vsr__load_f32(&t->a, p * C, (size_t)C, px);
        for (int c = 0; c < C; c++) {
            s[c] += px[c];
            s2[c] += (double)px[c] * px[c];
        }
    }
    for (int c = 0; c < C; c++) {
        double mu = s[c] / (double)hw, var = s2[c] / (double)hw - mu * mu;
        out[c] = nd->op == VSR_OP_GLOBAL_AVG_POOL ? (float)mu : (float)sqrt(var > 0 ? var : 0);
    }
    vsr__store_f32(&t->o, 0, (size_t)C, out);
    return 0;
}

static int matmul_tn_exec(vsr_engine *e, misc_task *t, const vsr_node *nd, vsr_error *err)
{
    size_t hw = t->hw;
    int CK = t->a.c, CQ = t->b.c;
    if (CK > 64 || CQ > 64)
        return vsr_error_set(err, -ENOTSUP, "%s: %s: matmul_tn supports up to 64 channels",
                             e->g->name, nd->name);
    double acc[64 * 64] = {0};
    float k[64], q[64], out[64 * 64];
    for (size_t p = 0; p < hw; p++) {
        vsr__load_f32(&t->a, p * CK, (size_t)CK, k);
        vsr__load_f32(&t->b, p * CQ, (size_t)CQ, q);
        for (int a = 0; a < CK; a++)
            for (int b = 0; b < CQ; b++)
                acc[a * CQ + b] += (double)k[a] * q[b];
    }
    for (int a = 0; a < CK * CQ; a++)
        out[a] = (float)(acc[a] * nd->f0);
    vsr__store_f32(&t->o, 0, (size_t)(CK * CQ), out);
    return 0;
}

static int matmul_pixels_exec(vsr_engine *e, misc_task *t, const vsr_node *nd, vsr_error *err)
{
    if (t->a.c > 64 || t->o.c > 64)
        return vsr_error_set(err, -ENOTSUP, "%s: %s: matmul_pixels supports up to 64 channels",
                             e->g->name, nd->name);
    vsr__load_f32(&t->b, 0, (size_t)(t->a.c * t->o.c), t->amat);
    vsr__parallel(e, matpix_row, t, (size_t)t->o.h);
    return 0;
}

static int misc_run(vsr_engine *e, int i, vsr_error *err,
                    int (*exec)(vsr_engine *, misc_task *, const vsr_node *, vsr_error *))
{
    const vsr_node *nd = &e->g->nodes[i];
    misc_task *t = calloc(1, sizeof(*t));
    if (!t)
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", e->g->name);
    t->e = e;
    t->i = i;
    t->a = vsr__tensor(e, nd->in[0]);
    if (nd->n_in > 1)
        t->b = vsr__tensor(e, nd->in[1]);
    t->o = vsr__tensor(e, e->plan.dst[i]);
    t->hw = (size_t)t->a.h * t->a.w;
    int rc = exec(e, t, nd, err);
    free(t);
    return rc;
}

static int bilinear_run(vsr_engine *e, int i, vsr_error *err)
{
    return misc_run(e, i, err, bilinear_exec);
}
static int pool_run(vsr_engine *e, int i, vsr_error *err)
{
    return misc_run(e, i, err, pool_exec);
}
static int matmul_tn_run(vsr_engine *e, int i, vsr_error *err)
{
    return misc_run(e, i, err, matmul_tn_exec);
}
static int matmul_pixels_run(vsr_engine *e, int i, vsr_error *err)
{
    return misc_run(e, i, err, matmul_pixels_exec);
}

/* ---- the ops ------------------------------------------------------------ */

const vsr_op_def vsr__op_resize_bilinear = {
    .name = "resize_bilinear",
    .act = VSR_OP_ACT_NOT,
    .infer = vsr__resize_infer,
    .desc = vsr__resize_desc,
    .run = bilinear_run,
};

static int pool_infer(const vsr_graph *g, const vsr_node *nd, const int *shp, int *o,
                      vsr_error *err)
{
    (void)g, (void)err;
    o[0] = 1, o[1] = 1, o[2] = shp[3 * nd->in[0] + 2];
    return 0;
}

const vsr_op_def vsr__op_global_avg_pool = {
    .name = "global_avg_pool",
    .flags = VSR_OPF_GLOBAL,
    .act = VSR_OP_ACT_NOT,
    .infer = pool_infer,
    .run = pool_run,
};

const vsr_op_def vsr__op_global_std_pool = {
    .name = "global_std_pool",
    .flags = VSR_OPF_GLOBAL,
    .act = VSR_OP_ACT_NOT,
    .infer = pool_infer,
    .run = pool_run,
};

static int matmul_tn_infer(const vsr_graph *g, const vsr_node *nd, const int *shp, int *o,
                           vsr_error *err)
{
    const int *a = &shp[3 * nd->in[0]], *b = &shp[3 * nd->in[1]];
    if (a[0] != b[0] || a[1] != b[1])
        return vsr_error_set(err, -EINVAL, "%s: %s: K is %dx%d but Q is %dx%d", g->name,
                             nd->name, a[0], a[1], b[0], b[1]);
    o[0] = 1, o[1] = a[2], o[2] = b[2];
    return 0;
}

static int64_t matmul_tn_macs(const vsr_node *nd, const int *shp, const int *o)
{
    const int *k = &shp[3 * nd->in[0]];
    return (int64_t)k[0] * k[1] * o[1] * o[2];
}

const vsr_op_def vsr__op_matmul_tn = {
    .name = "matmul_tn",
    .flags = VSR_OPF_GLOBAL | VSR_OPF_F32_OUT,
    .act = VSR_OP_ACT_NOT,
    .infer = matmul_tn_infer,
    .macs = matmul_tn_macs,
    .run = matmul_tn_run,
};

static int matmul_pixels_infer(const vsr_graph *g, const vsr_node *nd, const int *shp, int *o,
                               vsr_error *err)
{
    const int *a = &shp[3 * nd->in[0]], *b = &shp[3 * nd->in[1]];
    if (b[0] != 1 || b[1] != a[2])
        return vsr_error_set(err, -EINVAL,
                             "%s: %s: A must be 1 x %d x Cq (V has %d channels), is "
                             "%dx%dx%d",
                             g->name, nd->name, a[2], a[2], b[0], b[1], b[2]);
    o[0] = a[0], o[1] = a[1], o[2] = b[2];
    return 0;
}

static int64_t matmul_pixels_macs(const vsr_node *nd, const int *shp, const int *o)
{
    const int *v = &shp[3 * nd->in[0]];
    return (int64_t)o[0] * o[1] * v[2] * o[2];
}

const vsr_op_def vsr__op_matmul_pixels = {
    .name = "matmul_pixels",
    .act = VSR_OP_ACT_NOT,
    .infer = matmul_pixels_infer,
    .macs = matmul_pixels_macs,
    .run = matmul_pixels_run,
};
