/*
 * INT8 dense stride-1 KxK conv over interior pixels for AVX2 machines
 * without VNNI: 4 pixels x 16 output channels per step with vpmaddwd on
 * int16 pairs. The input is the padded row buffer pre-widened to int16 as
 * (x - zp_in), so products are exact and no saturation can occur; weights
 * are packed [cob][ky][kx][ci/2][16][2] int16 (zero past Cin). Requantization
 * is the exact 64-bit rounding of vsr__requant(), so the result is
 * bit-identical to the scalar reference and to the VNNI kernel. With
 * p->acc32 it stores the int32 accumulators instead (float epilogues).
 */
#include <assert.h>
#include <immintrin.h>
#include <string.h>

#include "../engine_kernels.h"
#include "qs8-requant-avx2.h"

static inline void store16(int8_t *o, __m256i a, __m256i b, int nv)
{
    int32_t t[16];
    _mm256_storeu_si256((__m256i *)t, a);
    _mm256_storeu_si256((__m256i *)(t + 8), b);
    for (int j = 0; j < nv; j++)
        o[j] = (int8_t)t[j];
}

/* acc32 mode: the 16 raw accumulators of one pixel (nv of them). */
static inline void store_acc(int32_t *o, __m256i a, __m256i b, int nv)
{
    if (nv == 16) {
        _mm256_storeu_si256((__m256i *)o, a);
        _mm256_storeu_si256((__m256i *)(o + 8), b);
        return;
    }
    int32_t t[16];
    _mm256_storeu_si256((__m256i *)t, a);
    _mm256_storeu_si256((__m256i *)(t + 8), b);
    memcpy(o, t, (size_t)nv * sizeof(int32_t));
}

void vsr_qs8_conv_i16_ukernel_4x16__avx2(const vsr_conv_uk *p, const int16_t *in, int8_t *out,
                                         int n)
{
    assert(p->ncob >= 1 && n >= 0);
    size_t taps = (size_t)p->kh * p->kw;
    const int cin = p->cin, cin2 = (cin + 1) / 2;
    __m256i zp = _mm256_set1_epi32(p->zp_out);
    __m256i lo = _mm256_set1_epi64x(p->qmin - p->zp_out);
    __m256i hi = _mm256_set1_epi64x(p->qmax - p->zp_out);
    for (int cob = 0; cob < p->ncob; cob++) {
        int nv = p->cout - cob * 16 < 16 ? p->cout - cob * 16 : 16;
        const int16_t *w = p->w16 + (size_t)cob * taps * (size_t)cin2 * 32;
        __m256i bl = _mm256_loadu_si256((const __m256i *)(p->b16 + cob * 16));
        __m256i bh = _mm256_loadu_si256((const __m256i *)(p->b16 + cob * 16 + 8));
        __m256i ml = _mm256_loadu_si256((const __m256i *)(p->qm + cob * 16));
        __m256i mh = _mm256_loadu_si256((const __m256i *)(p->qm + cob * 16 + 8));
        __m256i sl = _mm256_loadu_si256((const __m256i *)(p->qs + cob * 16));
        __m256i sh = _mm256_loadu_si256((const __m256i *)(p->qs + cob * 16 + 8));
        int px = 0;
        for (; px + 4 <= n; px += 4) {
            __m256i l0 = bl, l1 = bl, l2 = bl, l3 = bl, h0 = bh, h1 = bh, h2 = bh, h3 = bh;
            for (int ky = 0; ky < p->kh; ky++)
                for (int kx = 0; kx < p->kw; kx++) {
                    const int16_t *xp = in + (size_t)px * cin + ky * p->dil * p->in_row +
                                        (ptrdiff_t)kx * p->dil * cin;
                    const int16_t *wt =
                        w + ((size_t)ky * p->kw + (size_t)kx) * (size_t)cin2 * 32;
                    for (int c2 = 0; c2 < cin2; c2++, wt += 32) {
                        __m256i wl = _mm256_loadu_si256((const __m256i *)wt);
                        __m256i wh = _mm256_loadu_si256((const __m256i *)(wt + 16));
                        int32_t v0, v1, v2, v3;
                        memcpy(&v0, xp + 2 * c2, 4);
                        memcpy(&v1, xp + cin + 2 * c2, 4);
                        memcpy(&v2, xp + 2 * cin + 2 * c2, 4);
                        memcpy(&v3, xp + 3 * cin + 2 * c2, 4);
                        __m256i x0 = _mm256_set1_epi32(v0), x1 = _mm256_set1_epi32(v1);
                        __m256i x2 = _mm256_set1_epi32(v2), x3 = _mm256_set1_epi32(v3);
                        l0 = _mm256_add_epi32(l0, _mm256_madd_epi16(x0, wl));
                        h0 = _mm256_add_epi32(h0, _mm256_madd_epi16(x0, wh));
                        l1 = _mm256_add_epi32(l1, _mm256_madd_epi16(x1, wl));
                        h1 = _mm256_add_epi32(h1, _mm256_madd_epi16(x1, wh));
                        l2 = _mm256_add_epi32(l2, _mm256_madd_epi16(x2, wl));
                        h2 = _mm256_add_epi32(h2, _mm256_madd_epi16(x2, wh));
                        l3 = _mm256_add_epi32(l3, _mm256_madd_epi16(x3, wl));
                        h3 = _mm256_add_epi32(h3, _mm256_madd_epi16(x3, wh));
                    }
                }
            if (p->acc32) {
                int32_t *o = (int32_t *)(void *)out + (size_t)px * p->cout + cob * 16;
                store_acc(o, l0, h0, nv);
                store_acc(o + p->cout, l1, h1, nv);
                store_acc(o + 2 * p->cout, l2, h2, nv);
                store_acc(o + 3 * p->cout, l3, h3, nv);
                continue;
            }
            int8_t *o = out + (size_t)px * p->cout + cob * 16;
            store16(o, requant(l0, ml, sl, zp, lo, hi), requant(h0, mh, sh, zp, lo, hi), nv);
            store16(o + p->cout, requant(l1, ml, sl, zp, lo, hi),
                    requant(h1, mh, sh, zp, lo, hi), nv);
            store16(o + 2 * p->cout, requant(l2, ml, sl, zp, lo, hi),
                    requant(h2, mh, sh, zp, lo, hi), nv);
            store16(o + 3 * p->cout, requant(l3, ml, sl, zp, lo, hi),
                    requant(h3, mh, sh, zp, lo, hi), nv);
        }
        for (; px < n; px++) {
            __m256i l0 = bl, h0 = bh;
            for (int ky = 0; ky < p->kh; ky++)
                for (int kx = 0; kx < p->kw; kx++) {
                    const int16_t *xp = in + (size_t)px * cin + ky * p->dil * p->in_row +
                                        (ptrdiff_t)kx * p->dil * cin;
                    const int16_t *wt =
                        w + ((size_t)ky * p->kw + (size_t)kx) * (size_t)cin2 * 32;
                    for (int c2 = 0; c2 < cin2; c2++, wt += 32) {
                        int32_t v0;
                        memcpy(&v0, xp + 2 * c2, 4);
                        __m256i x0 = _mm256_set1_epi32(v0);
                        l0 = _mm256_add_epi32(
                            l0, _mm256_madd_epi16(x0, _mm256_loadu_si256((const __m256i *)wt)));
                        h0 = _mm256_add_epi32(
                            h0, _mm256_madd_epi16(
                                    x0, _mm256_loadu_si256((const __m256i *)(wt + 16))));
                    }
                }
            if (p->acc32) {
                store_acc((int32_t *)(void *)out + (size_t)px * p->cout + cob * 16, l0, h0, nv);
                continue;
            }
            store16(out + (size_t)px * p->cout + cob * 16, requant(l0, ml, sl, zp, lo, hi),
                    requant(h0, mh, sh, zp, lo, hi), nv);
        }
    }
}
