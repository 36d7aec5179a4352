/*
 * Bilinear resize (TF2 half-pixel), whole-image reductions (global pools,
 * the AFA K^T Q matmul) and the per-pixel matmul. Computed in FP32 on
 * widened / dequantized values; whole-image sums accumulate in FP64.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../engine_internal.h"

typedef struct misc_task {
    vsr_engine *e;
    int i;
    vsr_tview a, b, o;
    int nchunks;
    int err;
    float amat[1024]; /* matmul_pixels: A */
} misc_task;

static void bilinear_chunk(void *ctx, size_t chunk)
{
    misc_task *t = ctx;
    const vsr_node *nd = &t->e->g->nodes[t->i];
    int f = nd->i0, H = t->a.h, W = t->a.w, C = t->a.c, OH = t->o.h, OW = t->o.w;
    int y0 = (int)((size_t)OH * chunk / (size_t)t->nchunks);
    int y1 = (int)((size_t)OH * (chunk + 1) / (size_t)t->nchunks);
    size_t rn = (size_t)W * C;
    float *r0 = malloc(rn * sizeof(float)), *r1 = malloc(rn * sizeof(float));
    float *out = malloc((size_t)OW * C * sizeof(float));
    int *xl = malloc((size_t)OW * sizeof(int)), *xh = malloc((size_t)OW * sizeof(int));
    float *xw = malloc((size_t)OW * sizeof(float));
    if (!r0 || !r1 || !out || !xl || !xh || !xw) {
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
    int cur0 = -1, cur1 = -1;
    for (int Y = y0; Y < y1; Y++) {
        float sy = ((float)Y + 0.5f) / (float)f - 0.5f;
        if (sy < 0.f)
            sy = 0.f;
        if (sy > (float)(H - 1))
            sy = (float)(H - 1);
        int yl = (int)sy, yh = yl + 1 < H ? yl + 1 : H - 1;
        float wy = sy - (float)yl;
        if (cur0 != yl) {
            vsr__load_f32(&t->a, (size_t)yl * rn, rn, r0);
            cur0 = yl;
        }
        if (cur1 != yh) {
            vsr__load_f32(&t->a, (size_t)yh * rn, rn, r1);
            cur1 = yh;
        }
        for (int X = 0; X < OW; X++) {
            const float *a0 = r0 + (size_t)xl[X] * C, *a1 = r0 + (size_t)xh[X] * C;
            const float *b0 = r1 + (size_t)xl[X] * C, *b1 = r1 + (size_t)xh[X] * C;
            float wx = xw[X];
            for (int c = 0; c < C; c++) {
                float top = a0[c] + (a1[c] - a0[c]) * wx;
                float bot = b0[c] + (b1[c] - b0[c]) * wx;
                out[(size_t)X * C + c] = top + (bot - top) * wy;
            }
        }
        vsr__store_f32(&t->o, (size_t)Y * OW * C, (size_t)OW * C, out);
    }
done:
    free(r0), free(r1), free(out), free(xl), free(xh), free(xw);
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

int vsr__misc_run(vsr_engine *e, int i, vsr_error *err)
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
    int rc = 0;
    size_t hw = (size_t)t->a.h * t->a.w;
    switch (nd->op) {
    case VSR_OP_RESIZE_BILINEAR: {
        int nc = e->nthreads * 4;
        t->nchunks = nc < t->o.h ? nc : t->o.h;
        vsr__parallel(e, bilinear_chunk, t, (size_t)t->nchunks);
        if (t->err)
            rc = vsr_error_set(err, t->err, "%s: %s: out of memory", e->g->name, nd->name);
        break;
    }
    case VSR_OP_GLOBAL_AVG_POOL:
    case VSR_OP_GLOBAL_STD_POOL: {
        int C = t->a.c;
        double s[1024] = {0}, s2[1024] = {0};
        float px[1024], out[1024];
        if (C > 1024) {
            rc = vsr_error_set(err, -ENOTSUP, "%s: %s: more than 1024 channels", e->g->name,
                               nd->name);
            break;
        }
        for (size_t p = 0; p < hw; p++) {
            vsr__load_f32(&t->a, p * C, (size_t)C, px);
            for (int c = 0; c < C; c++) {
                s[c] += px[c];
                s2[c] += (double)px[c] * px[c];
            }
        }
        for (int c = 0; c < C; c++) {
            double mu = s[c] / (double)hw, var = s2[c] / (double)hw - mu * mu;
            out[c] =
                nd->op == VSR_OP_GLOBAL_AVG_POOL ? (float)mu : (float)sqrt(var > 0 ? var : 0);
        }
        vsr__store_f32(&t->o, 0, (size_t)C, out);
        break;
    }
    case VSR_OP_MATMUL_TN: {
        int CK = t->a.c, CQ = t->b.c;
        if (CK > 64 || CQ > 64) {
            rc = vsr_error_set(err, -ENOTSUP, "%s: %s: matmul_tn supports up to 64 channels",
                               e->g->name, nd->name);
            break;
        }
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
        break;
    }
    case VSR_OP_MATMUL_PIXELS:
        if (t->a.c > 64 || t->o.c > 64) {
            rc =
                vsr_error_set(err, -ENOTSUP, "%s: %s: matmul_pixels supports up to 64 channels",
                              e->g->name, nd->name);
            break;
        }
        vsr__load_f32(&t->b, 0, (size_t)(t->a.c * t->o.c), t->amat);
        vsr__parallel(e, matpix_row, t, (size_t)t->o.h);
        break;
    default:
        rc = vsr_error_set(err, -ENOTSUP, "%s: %s: op %s not handled", e->g->name, nd->name,
                           vsr_op_name(nd->op));
    }
    free(t);
    return rc;
}
