/*
 * Grouped convolution (1 < groups < C, e.g. XLSR's 3x3 32->32 in 4 groups):
 * the group-blocked weight packs and the scalar twins of the grouped
 * microkernels (x86/f32-gconv-4x8-avx2.c, x86/qs8-gconv-i16-4x8-avx2.c).
 *
 * Grouped convs are conv2d nodes with a groups attribute (ops/conv.c owns
 * the op: shape inference, MACs, weight preparation, INT8 per-channel
 * weights, the padded-row driver); only the inner loop differs from a dense
 * conv: each output channel block of 8 reads the cig input channels of its
 * own group, so no MAC is spent on the zero blocks a dense packing of the
 * block-diagonal weight would carry. Blocks of 8 (one ymm of FP32, half of
 * the int32 accumulators of a pixel) fit the small groups these models use
 * (cog = 8 in XLSR) without padding lanes.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../engine_internal.h"

int vsr__gconv_pack(const vsr_graph *g, const vsr_node *nd, vsr_conv_prep *c, int int8,
                    vsr_error *err)
{
    const vsr_conv_params *p = &nd->conv;
    vsr_conv_uk *uk = &c->uk;
    const int G = p->groups, cig = c->cig, cog = c->cog, cout = p->cout;
    const int nb = (cog + 7) / 8, cig2 = (cig + 1) / 2;
    const size_t taps = (size_t)p->kh * p->kw, nch = (size_t)G * nb * 8;
    uk->groups = G, uk->cig = cig, uk->cog = cog, uk->ncob8 = nb;
    /* packed output channel (gi, cb, j) <- conv output gi * cog + cb * 8 + j */
    if (!int8) {
        c->gwpack = vsr__zalloc64(nch * taps * (size_t)cig, sizeof(float));
        c->gbpack = vsr__zalloc64(nch, sizeof(float));
        if (!c->gwpack || !c->gbpack)
            return vsr_error_set(err, -ENOMEM, "%s: %s: out of memory", g->name, nd->name);
        for (int gi = 0; gi < G; gi++)
            for (int k = 0; k < cog; k++) {
                int o = gi * cog + k, blk = gi * nb + k / 8, j = k % 8;
                c->gbpack[blk * 8 + j] = c->b[o];
                for (size_t t = 0; t < taps; t++)
                    for (int ci = 0; ci < cig; ci++)
                        c->gwpack[(((size_t)blk * taps + t) * (size_t)cig + (size_t)ci) * 8 +
                                  (size_t)j] = c->w[(t * (size_t)cig + (size_t)ci) * cout + o];
            }
        uk->gwf = c->gwpack, uk->gbf = c->gbpack;
    } else {
        c->gw16pack = vsr__zalloc64(nch * taps * (size_t)cig2 * 2, sizeof(int16_t));
        c->gb16pack = vsr__zalloc64(nch, sizeof(int32_t));
        c->gqmpack = vsr__zalloc64(nch, sizeof(int32_t));
        c->gqspack = vsr__zalloc64(nch, sizeof(int32_t));
        if (!c->gw16pack || !c->gb16pack || !c->gqmpack || !c->gqspack)
            return vsr_error_set(err, -ENOMEM, "%s: %s: out of memory", g->name, nd->name);
        for (size_t k = 0; k < nch; k++)
            c->gqmpack[k] = 1 << 30, c->gqspack[k] = 31;
        for (int gi = 0; gi < G; gi++)
            for (int k = 0; k < cog; k++) {
                int o = gi * cog + k, blk = gi * nb + k / 8, j = k % 8;
                c->gb16pack[blk * 8 + j] = c->bq[o];
                c->gqmpack[blk * 8 + j] = c->qm[o];
                c->gqspack[blk * 8 + j] = c->qs[o];
                for (size_t t = 0; t < taps; t++)
                    for (int ci = 0; ci < cig; ci++)
                        c->gw16pack
                            [((((size_t)blk * taps + t) * (size_t)cig2 + (size_t)(ci / 2)) * 8 +
                              (size_t)j) *
                                 2 +
                             (size_t)(ci % 2)] =
                            c->wq[(t * (size_t)cig + (size_t)ci) * cout + o];
            }
        uk->gw16 = c->gw16pack, uk->gb16 = c->gb16pack;
        uk->gqm = c->gqmpack, uk->gqs = c->gqspack;
    }
    c->grouped = 1;
    return 0;
}

/* ---- scalar twins ------------------------------------------------------- */

/* Per output channel: bias, then + x * w over (ky, kx, ci) ascending, then the clamp;
 * the AVX2 kernel fuses each multiply-add (FMA), so FP32 agrees within rounding. */
void vsr_f32_gconv_ukernel_1x8__scalar(const vsr_conv_uk *p, const float *in, float *out, int n)
{
    const size_t taps = (size_t)p->kh * p->kw;
    for (int px = 0; px < n; px++) {
        const float *ip = in + (size_t)px * p->cin;
        for (int gi = 0; gi < p->groups; gi++)
            for (int cb = 0; cb < p->ncob8; cb++) {
                int blk = gi * p->ncob8 + cb;
                float acc[8];
                memcpy(acc, p->gbf + blk * 8, sizeof(acc));
                const float *w = p->gwf + (size_t)blk * taps * p->cig * 8;
                for (int ky = 0; ky < p->kh; ky++)
                    for (int kx = 0; kx < p->kw; kx++) {
                        const float *xp = ip + ky * p->dil * p->in_row +
                                          (ptrdiff_t)kx * p->dil * p->cin + gi * p->cig;
                        for (int ci = 0; ci < p->cig; ci++, w += 8)
                            for (int j = 0; j < 8; j++)
                                acc[j] += xp[ci] * w[j];
                    }
                int nv = p->cog - cb * 8 < 8 ? p->cog - cb * 8 : 8;
                float *o = out + (size_t)px * p->cout + gi * p->cog + cb * 8;
                for (int j = 0; j < nv; j++)
                    o[j] = fminf(fmaxf(acc[j], p->minv), p->maxv);
            }
    }
}

/* Exact int32 sums of (x - zp_in) * w, then vsr__requant_clamp: bit-identical to the
 * AVX2 kernel and to the per-pixel reference (ops/conv.c px_qs8 / row_qs8). */
void vsr_qs8_gconv_i16_ukernel_1x8__scalar(const vsr_conv_uk *p, const int16_t *in, int8_t *out,
                                           int n)
{
    const size_t taps = (size_t)p->kh * p->kw;
    const int cig2 = (p->cig + 1) / 2;
    for (int px = 0; px < n; px++) {
        const int16_t *ip = in + (size_t)px * p->cin;
        for (int gi = 0; gi < p->groups; gi++)
            for (int cb = 0; cb < p->ncob8; cb++) {
                int blk = gi * p->ncob8 + cb;
                int32_t acc[8];
                memcpy(acc, p->gb16 + blk * 8, sizeof(acc));
                const int16_t *w = p->gw16 + (size_t)blk * taps * cig2 * 16;
                for (int ky = 0; ky < p->kh; ky++)
                    for (int kx = 0; kx < p->kw; kx++) {
                        const int16_t *xp = ip + ky * p->dil * p->in_row +
                                            (ptrdiff_t)kx * p->dil * p->cin + gi * p->cig;
                        for (int c2 = 0; c2 < cig2; c2++, w += 16)
                            for (int b = 0; b < 2 && c2 * 2 + b < p->cig; b++)
                                for (int j = 0; j < 8; j++)
                                    acc[j] += (int32_t)xp[c2 * 2 + b] * (int32_t)w[j * 2 + b];
                    }
                int nv = p->cog - cb * 8 < 8 ? p->cog - cb * 8 : 8;
                int8_t *o = out + (size_t)px * p->cout + gi * p->cog + cb * 8;
                for (int j = 0; j < nv; j++)
                    o[j] = vsr__requant_clamp(acc[j], p->gqm[blk * 8 + j], p->gqs[blk * 8 + j],
                                              p->zp_out, p->qmin, p->qmax);
            }
    }
}
