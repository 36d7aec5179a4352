/*
 * BasicSR's Y of one row of RGB24 (to_y_channel + bgr2ycbcr(y_only=True) on
 * a float32 image), included once per ISA by u8-rgb2y-scalar.c and
 * x86/u8-rgb2y-*.c with VSR_RGB2Y_ROW naming the function. Same bits in
 * every copy (explicit fmaf, built with -ffp-contract=off).
 *
 * Precision, step by step, as numpy does it:
 *   x32 = float32(x) / 255            float32 (correctly rounded)
 *   d = x32_B*24.966 + x32_G*128.553 + x32_R*65.481 + 16   float64 (np.dot
 *       promotes to float64; summed in B, G, R order)
 *   y32 = float32(d / 255)            float64 division, rounded to float32
 *   Y = y32 * 255                     float32 multiply (not rounded to int)
 * Two substitutions, both exact on the whole input domain:
 * - the float64 division is d * (1/255): the two differ by at most one
 *   float64 ulp before the rounding to float32 and give the same float32
 *   for every one of the 2^24 RGB triples;
 * - the float32 x / 255 is q + (x - 255 q) / 255 with q = x * (1/255), one
 *   multiply and two FMAs (x * (1/255.f) alone differs for 126 of the 256
 *   values; this correction step equals the division for all 256).
 * tests/metrics/test_ssim_fast.c (test_y_conversion_exhaustive) checks the
 * result against the literal divisions for all 2^24 triples. The divisions
 * were the bottleneck of the row (vdivps, vdivpd).
 */
#include <assert.h>
#include <math.h>
#include <stdint.h>

#include "ssim_internal.h"

#ifndef VSR_RGB2Y_ROW
#error "define VSR_RGB2Y_ROW before including this file"
#endif

#define VSR_DIV255(x, q) fmaf(fmaf(-(q), 255.0f, (x)), 1.0f / 255.0f, (q))

void VSR_RGB2Y_ROW(const uint8_t *rgb, int n, float *y)
{
    assert(n >= 0);
    const uint8_t *restrict s = rgb;
    float *restrict d = y;
    for (int x = 0; x < n; x++) {
        const float xr = (float)s[3 * x], xg = (float)s[3 * x + 1], xb = (float)s[3 * x + 2];
        const float qr = xr * (1.0f / 255.0f), qg = xg * (1.0f / 255.0f);
        const float qb = xb * (1.0f / 255.0f);
        const float r = VSR_DIV255(xr, qr), g = VSR_DIV255(xg, qg), b = VSR_DIV255(xb, qb);
        const double v =
            (((double)b * 24.966 + (double)g * 128.553) + (double)r * 65.481) + 16.0;
        const float y32 = (float)(v * (1.0 / 255.0)); /* == v / 255.0 after rounding */
        d[x] = y32 * 255.0f;
    }
}
#undef VSR_DIV255
