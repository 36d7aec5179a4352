/*
 * conv.c: run-time choice of the trainer's convolution kernels
 * (conv_internal.h), the weight transpose the input-gradient kernel reads,
 * and grouped convs run through the dense kernels one group at a time.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "train_internal.h"

void tr_conv_transpose(const tr_convg *g, const float *w, float *wt)
{
    const int C = g->C, CO = g->CO;
    for (int t = 0; t < g->kh * g->kw; t++) {
        const float *src = w + (size_t)t * C * CO;
        float *dst = wt + (size_t)t * C * CO;
        for (int ci = 0; ci < C; ci++)
            for (int k = 0; k < CO; k++)
                dst[(size_t)k * C + ci] = src[(size_t)ci * CO + k];
    }
}

void vsr__train_conv_select(unsigned isa, tr_conv_kernels *k)
{
    memset(k, 0, sizeof(*k));
#if defined(__x86_64__)
    if (isa & VSR_ISA_AVX2) {
        k->fwd = vsr_train_f32_conv_fwd_nx32__avx2;
        k->bwd_w = vsr_train_f32_conv_bwdw_nx32__avx2;
        k->bwd_x = vsr_train_f32_conv_bwdx_nx32__avx2;
    }
#else
    (void)isa;
#endif
}

/* ---- grouped convs through the dense kernels ------------------------------ */

/* Group gi's geometry as a dense conv: cig inputs, cog outputs. */
static tr_convg group_geom(const tr_convg *g)
{
    tr_convg d = *g;
    d.C = g->cig, d.CO = g->cog, d.groups = 1, d.cig = g->cig, d.cog = g->cog;
    return d;
}

/* dst[p][0..n) = src[p][off..off+n) (pixel strides n and stride) for np pixels. */
static void gather(float *dst, const float *src, size_t np, int n, int stride, int off)
{
    for (size_t p = 0; p < np; p++)
        memcpy(dst + p * (size_t)n, src + p * (size_t)stride + off, (size_t)n * sizeof(float));
}
static void scatter(float *dst, const float *src, size_t np, int n, int stride, int off)
{
    for (size_t p = 0; p < np; p++)
        memcpy(dst + p * (size_t)stride + off, src + p * (size_t)n, (size_t)n * sizeof(float));
}

/* The [taps][cig][cog] block of group gi of HWIO w [taps][cig][CO], and back. */
static void wblock_get(float *blk, const float *w, const tr_convg *g, int gi)
{
    size_t rows = (size_t)g->kh * g->kw * g->cig;
    for (size_t r = 0; r < rows; r++)
        memcpy(blk + r * (size_t)g->cog, w + r * (size_t)g->CO + (size_t)gi * g->cog,
               (size_t)g->cog * sizeof(float));
}
static void wblock_put(float *w, const float *blk, const tr_convg *g, int gi)
{
    size_t rows = (size_t)g->kh * g->kw * g->cig;
    for (size_t r = 0; r < rows; r++)
        memcpy(w + r * (size_t)g->CO + (size_t)gi * g->cog, blk + r * (size_t)g->cog,
               (size_t)g->cog * sizeof(float));
}

int tr_gconv_forward(const tr_conv_kernels *k, const tr_convg *g, const float *in,
                     const float *w, const float *b, float *out)
{
    const tr_convg d = group_geom(g);
    size_t ni = (size_t)g->H * g->W, no = (size_t)g->OH * g->OW;
    size_t nw = (size_t)g->kh * g->kw * g->cig * g->cog;
    float *xi = malloc(ni * (size_t)g->cig * sizeof(float));
    float *yo = malloc(no * (size_t)g->cog * sizeof(float));
    float *wb = malloc(nw * sizeof(float));
    int rc = xi && yo && wb ? 0 : -ENOMEM;
    for (int gi = 0; !rc && gi < g->groups; gi++) {
        gather(xi, in, ni, g->cig, g->C, gi * g->cig);
        wblock_get(wb, w, g, gi);
        k->fwd(&d, xi, wb, b ? b + (size_t)gi * g->cog : NULL, yo);
        scatter(out, yo, no, g->cog, g->CO, gi * g->cog);
    }
    free(xi), free(yo), free(wb);
    return rc;
}

int tr_gconv_backward(const tr_conv_kernels *k, const tr_convg *g, const float *in,
                      const float *w, const float *dy, float *dw, float *db, float *din)
{
    const tr_convg d = group_geom(g);
    size_t ni = (size_t)g->H * g->W, no = (size_t)g->OH * g->OW;
    size_t nw = (size_t)g->kh * g->kw * g->cig * g->cog;
    float *xi = malloc(ni * (size_t)g->cig * sizeof(float));
    float *dyo = malloc(no * (size_t)g->cog * sizeof(float));
    float *wb = malloc(nw * sizeof(float)), *wt = malloc(nw * sizeof(float));
    int rc = xi && dyo && wb && wt ? 0 : -ENOMEM;
    for (int gi = 0; !rc && gi < g->groups; gi++) {
        gather(dyo, dy, no, g->cog, g->CO, gi * g->cog);
        gather(xi, in, ni, g->cig, g->C, gi * g->cig);
        if (dw)
            wblock_get(wb, dw, g, gi);
        k->bwd_w(&d, xi, dyo, dw ? wb : NULL, db ? db + (size_t)gi * g->cog : NULL);
        if (dw)
            wblock_put(dw, wb, g, gi);
        if (din) {
            wblock_get(wb, w, g, gi);
            tr_conv_transpose(&d, wb, wt);
            gather(xi, din, ni, g->cig, g->C, gi * g->cig);
            k->bwd_x(&d, wt, dyo, xi);
            scatter(din, xi, ni, g->cig, g->C, gi * g->cig);
        }
    }
    free(xi), free(dyo), free(wb), free(wt);
    return rc;
}
