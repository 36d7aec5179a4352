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

void VSR_SSIM_VPASS(const float *const slot[VSR_SSIM_VROWS], int n, const vsr_ssim_weights *w,
                    float *map)
{
    assert(n >= 0 && n <= VSR_SSIM_TW);
    const float g0 = w->g[0], g1 = w->g[1], g2 = w->g[2], g3 = w->g[3], g4 = w->g[4],
                g5 = w->g[5];
    const float c1 = 6.5025f;  /* (0.01 * 255)^2 */
    const float c2 = 58.5225f; /* (0.03 * 255)^2 */
    const float *restrict s[VSR_SSIM_VROWS];
    for (int t = 0; t < VSR_SSIM_VROWS; t++)
        s[t] = slot[t];
    float *restrict out0 = map, *restrict out1 = map + VSR_SSIM_TW;
    float *restrict out2 = map + 2 * VSR_SSIM_TW, *restrict out3 = map + 3 * VSR_SSIM_TW;
    /* row t of each map at a fixed offset from the row's slot */
#define x(t) (s[t] + 5)
#define y(t) (s[t] + VSR_SSIM_OFF_Y + 5)
#define ax(t) (s[t] + VSR_SSIM_OFF_AX)
#define ay(t) (s[t] + VSR_SSIM_OFF_AY)
#define v(t) (s[t] + VSR_SSIM_OFF_V)
#define cv(t) (s[t] + VSR_SSIM_OFF_CV)
#pragma GCC ivdep
    for (int k = 0; k < n; k++) {
        /* the group's centre row 6 (output i's own centre is row 5 + i) */
        const float c = x(6)[k], cy = y(6)[k], a = ax(6)[k], ay6 = ay(6)[k];
        float sa0 = 0.0f, sa1 = 0.0f, sa2 = 0.0f, sa3 = 0.0f;
        float sb0 = 0.0f, sb1 = 0.0f, sb2 = 0.0f, sb3 = 0.0f;
        float sw0 = 0.0f, sw1 = 0.0f, sw2 = 0.0f, sw3 = 0.0f;
        float sc0 = 0.0f, sc1 = 0.0f, sc2 = 0.0f, sc3 = 0.0f;
        /* Row t: its 1-D mean minus the centre row's, D = (x_t - c) + (ax_t - a)
         * (both differences small where the window is smooth), then
         * wv = var_t + Dx^2 + Dy^2 and wc = cov_t + Dx Dy, the row's
         * contribution to E[(x - m)^2] + E[(y - m)^2] and E[(x - m)(y - m)]
         * about the centre row's mean m. */
#define VSR_SSIM_VROW(t)                                                                       \
    const float dx##t = (x(t)[k] - c) + (ax(t)[k] - a);                                        \
    const float dy##t = (y(t)[k] - cy) + (ay(t)[k] - ay6);                                     \
    const float wv##t = v(t)[k] + (dx##t * dx##t + dy##t * dy##t);                             \
    const float wc##t = cv(t)[k] + dx##t * dy##t
#define VSR_SSIM_ACC(i, t, gw)                                                                 \
    do {                                                                                       \
        sa##i = fmaf(gw, dx##t, sa##i);                                                        \
        sb##i = fmaf(gw, dy##t, sb##i);                                                        \
        sw##i = fmaf(gw, wv##t, sw##i);                                                        \
        sc##i = fmaf(gw, wc##t, sc##i);                                                        \
    } while (0)
        VSR_SSIM_VROW(0);
        VSR_SSIM_ACC(0, 0, g5);
        VSR_SSIM_VROW(1);
        VSR_SSIM_ACC(0, 1, g4);
        VSR_SSIM_ACC(1, 1, g5);
        VSR_SSIM_VROW(2);
        VSR_SSIM_ACC(0, 2, g3);
        VSR_SSIM_ACC(1, 2, g4);
        VSR_SSIM_ACC(2, 2, g5);
        VSR_SSIM_VROW(3);
        VSR_SSIM_ACC(0, 3, g2);
        VSR_SSIM_ACC(1, 3, g3);
        VSR_SSIM_ACC(2, 3, g4);
        VSR_SSIM_ACC(3, 3, g5);
        VSR_SSIM_VROW(4);
        VSR_SSIM_ACC(0, 4, g1);
        VSR_SSIM_ACC(1, 4, g2);
        VSR_SSIM_ACC(2, 4, g3);
        VSR_SSIM_ACC(3, 4, g4);
        VSR_SSIM_VROW(5);
        VSR_SSIM_ACC(0, 5, g0);
        VSR_SSIM_ACC(1, 5, g1);
        VSR_SSIM_ACC(2, 5, g2);
        VSR_SSIM_ACC(3, 5, g3);
        VSR_SSIM_VROW(6);
        VSR_SSIM_ACC(0, 6, g1);
        VSR_SSIM_ACC(1, 6, g0);
        VSR_SSIM_ACC(2, 6, g1);
        VSR_SSIM_ACC(3, 6, g2);
        VSR_SSIM_VROW(7);
        VSR_SSIM_ACC(0, 7, g2);
        VSR_SSIM_ACC(1, 7, g1);
        VSR_SSIM_ACC(2, 7, g0);
        VSR_SSIM_ACC(3, 7, g1);
        VSR_SSIM_VROW(8);
        VSR_SSIM_ACC(0, 8, g3);
        VSR_SSIM_ACC(1, 8, g2);
        VSR_SSIM_ACC(2, 8, g1);
        VSR_SSIM_ACC(3, 8, g0);
        VSR_SSIM_VROW(9);
        VSR_SSIM_ACC(0, 9, g4);
        VSR_SSIM_ACC(1, 9, g3);
        VSR_SSIM_ACC(2, 9, g2);
        VSR_SSIM_ACC(3, 9, g1);
        VSR_SSIM_VROW(10);
        VSR_SSIM_ACC(0, 10, g5);
        VSR_SSIM_ACC(1, 10, g4);
        VSR_SSIM_ACC(2, 10, g3);
        VSR_SSIM_ACC(3, 10, g2);
        VSR_SSIM_VROW(11);
        VSR_SSIM_ACC(1, 11, g5);
        VSR_SSIM_ACC(2, 11, g4);
        VSR_SSIM_ACC(3, 11, g3);
        VSR_SSIM_VROW(12);
        VSR_SSIM_ACC(2, 12, g5);
        VSR_SSIM_ACC(3, 12, g4);
        VSR_SSIM_VROW(13);
        VSR_SSIM_ACC(3, 13, g5);
#undef VSR_SSIM_VROW
#undef VSR_SSIM_ACC
        const float mx0 = c + a, my0 = cy + ay6;
        /* law of total variance about the centre row's mean, then the map */
#define VSR_SSIM_MAP(i)                                                                        \
    do {                                                                                       \
        const float ss = sw##i - (sa##i * sa##i + sb##i * sb##i);                              \
        const float sxy = sc##i - sa##i * sb##i;                                               \
        const float mx = mx0 + sa##i, my = my0 + sb##i;                                        \
        const float mxy = mx * my, mm = mx * mx + my * my;                                     \
        const float num = (2.0f * mxy + c1) * (2.0f * sxy + c2);                               \
        const float den = (mm + c1) * (ss + c2);                                               \
        out##i[k] = num / den;                                                                 \
    } while (0)
        VSR_SSIM_MAP(0);
        VSR_SSIM_MAP(1);
        VSR_SSIM_MAP(2);
        VSR_SSIM_MAP(3);
#undef VSR_SSIM_MAP
    }
}
#undef x
#undef y
#undef ax
#undef ay
#undef v
#undef cv
