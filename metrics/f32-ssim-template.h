/*
 * The float32 SSIM row passes, included once per ISA by f32-ssim-scalar.c
 * and x86/f32-ssim-*.c with VSR_SSIM_HPASS / VSR_SSIM_VPASS naming the
 * functions. The loops are plain C written so that the compiler vectorizes
 * them over columns for the ISA of the including file. Each output value
 * is a fixed sequence of IEEE float32 operations: explicit fmaf() where a
 * fused multiply-add is meant, and no FP contraction (the files build with
 * -ffp-contract=off), so every copy returns the same bits as the scalar
 * one, whatever the vector width.
 *
 * Identical inputs must give a map of exactly 1. The x and y terms are
 * therefore computed by the same expressions as the cross term (qx, qy
 * and p below, vx, vy and cv), so that for x == y the sums are exactly
 * v = 2 cv and Q = 2 C, and numerator and denominator get the same bits.
 */
#include <assert.h>
#include <math.h>

#include "ssim_internal.h"

#ifndef VSR_SSIM_HPASS
#error "define VSR_SSIM_HPASS and VSR_SSIM_VPASS before including this file"
#endif

void VSR_SSIM_HPASS(float *slot, int n, const vsr_ssim_weights *w)
{
    assert(n >= 0 && n <= VSR_SSIM_TW);
    const float *restrict xs = slot, *restrict ys = slot + VSR_SSIM_OFF_Y;
    float *restrict oax = slot + VSR_SSIM_OFF_AX, *restrict oay = slot + VSR_SSIM_OFF_AY;
    float *restrict ov = slot + VSR_SSIM_OFF_V, *restrict ocv = slot + VSR_SSIM_OFF_CV;
    const float g1 = w->g[1], g2 = w->g[2], g3 = w->g[3], g4 = w->g[4], g5 = w->g[5];
#pragma GCC ivdep
    for (int k = 0; k < n; k++) {
        const float *px = xs + k + 5, *py = ys + k + 5;
        const float c = px[0], cy = py[0];
        float sax = 0.0f, say = 0.0f, sx = 0.0f, sy = 0.0f, sp = 0.0f;
        /* distance j = 5 .. 1 (small weights first) */
#define VSR_SSIM_HTAP(j, gj)                                                                   \
    do {                                                                                       \
        const float dl = px[-(j)] - c, dr = px[j] - c;                                         \
        const float el = py[-(j)] - cy, er = py[j] - cy;                                       \
        sax = fmaf(gj, dl + dr, sax);                                                          \
        say = fmaf(gj, el + er, say);                                                          \
        sx = fmaf(gj, fmaf(dl, dl, dr * dr), sx);                                              \
        sy = fmaf(gj, fmaf(el, el, er * er), sy);                                              \
        sp = fmaf(gj, fmaf(dl, el, dr * er), sp);                                              \
    } while (0)
        VSR_SSIM_HTAP(5, g5);
        VSR_SSIM_HTAP(4, g4);
        VSR_SSIM_HTAP(3, g3);
        VSR_SSIM_HTAP(2, g2);
        VSR_SSIM_HTAP(1, g1);
#undef VSR_SSIM_HTAP
        oax[k] = sax;
        oay[k] = say;
        ov[k] = fmaf(-sax, sax, sx) + fmaf(-say, say, sy);
        ocv[k] = fmaf(-sax, say, sp);
    }
}

void VSR_SSIM_VPASS(const float *const slot[11], int n, const vsr_ssim_weights *w, float *map)
{
    assert(n >= 0 && n <= VSR_SSIM_TW);
    const float g0 = w->g[0], g1 = w->g[1], g2 = w->g[2], g3 = w->g[3], g4 = w->g[4],
                g5 = w->g[5];
    const float c1 = 6.5025f;  /* (0.01 * 255)^2 */
    const float c2 = 58.5225f; /* (0.03 * 255)^2 */
    const float *restrict s[11];
    for (int t = 0; t < 11; t++)
        s[t] = slot[t];
        /* row t of each map at a fixed offset from the row's slot */
#define x(t) (s[t] + 5)
#define y(t) (s[t] + VSR_SSIM_OFF_Y + 5)
#define ax(t) (s[t] + VSR_SSIM_OFF_AX)
#define ay(t) (s[t] + VSR_SSIM_OFF_AY)
#define v(t) (s[t] + VSR_SSIM_OFF_V)
#define cv(t) (s[t] + VSR_SSIM_OFF_CV)
    float *restrict out = map;
#pragma GCC ivdep
    for (int k = 0; k < n; k++) {
        const float c = x(5)[k], cy = y(5)[k], a = ax(5)[k], ay5 = ay(5)[k];
        float sa = 0.0f, say = 0.0f, qx = 0.0f, qy = 0.0f, qp = 0.0f;
        float sv = g0 * v(5)[k], scv = g0 * cv(5)[k];
        /* Row t's 1-D mean minus the centre row's: (x_t - c) + (ax_t - a),
         * both differences small where the window is smooth. */
#define VSR_SSIM_VTAP(j, gj)                                                                   \
    do {                                                                                       \
        const float dl = (x(5 - (j))[k] - c) + (ax(5 - (j))[k] - a);                           \
        const float dr = (x(5 + (j))[k] - c) + (ax(5 + (j))[k] - a);                           \
        const float el = (y(5 - (j))[k] - cy) + (ay(5 - (j))[k] - ay5);                        \
        const float er = (y(5 + (j))[k] - cy) + (ay(5 + (j))[k] - ay5);                        \
        sa = fmaf(gj, dl + dr, sa);                                                            \
        say = fmaf(gj, el + er, say);                                                          \
        qx = fmaf(gj, fmaf(dl, dl, dr * dr), qx);                                              \
        qy = fmaf(gj, fmaf(el, el, er * er), qy);                                              \
        qp = fmaf(gj, fmaf(dl, el, dr * er), qp);                                              \
        sv = fmaf(gj, v(5 - (j))[k] + v(5 + (j))[k], sv);                                      \
        scv = fmaf(gj, cv(5 - (j))[k] + cv(5 + (j))[k], scv);                                  \
    } while (0)
        VSR_SSIM_VTAP(5, g5);
        VSR_SSIM_VTAP(4, g4);
        VSR_SSIM_VTAP(3, g3);
        VSR_SSIM_VTAP(2, g2);
        VSR_SSIM_VTAP(1, g1);
#undef VSR_SSIM_VTAP
        /* law of total variance: within-row part + between-row part */
        const float ss = sv + (fmaf(-sa, sa, qx) + fmaf(-say, say, qy));
        const float sxy = scv + fmaf(-sa, say, qp);
        const float mx = (c + a) + sa, my = (cy + ay5) + say;
        const float mxy = mx * my, mm = mx * mx + my * my;
        const float num = (2.0f * mxy + c1) * (2.0f * sxy + c2);
        const float den = (mm + c1) * (ss + c2);
        out[k] = num / den;
    }
}
#undef x
#undef y
#undef ax
#undef ay
#undef v
#undef cv
