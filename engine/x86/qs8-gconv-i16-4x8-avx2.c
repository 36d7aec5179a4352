/*
 * INT8 grouped stride-1 KxK conv (vsr_conv_uk group fields) for AVX2: 4
 * pixels x 8 output channels of one group per step with vpmaddwd on int16
 * pairs of the padded (x - zp_in) rows; weights [gi][cob8][ky][kx][cig/2][8][2]
 * (zero past cig, so the pair that straddles into the next group adds 0).
 * Exact int32 sums and the exact requantization of vsr__requant_clamp():
 * bit-identical to vsr_qs8_gconv_i16_ukernel_1x8__scalar (ops/gconv.c).
 */
#include <assert.h>
#include <immintrin.h>
#include <string.h>

#include "../engine_kernels.h"
#include "qs8-requant-avx2.h"

static inline void store8(int8_t *o, __m256i a, int nv)
{
    int32_t t[8];
    _mm256_storeu_si256((__m256i *)t, a);
    for (int j = 0; j < nv; j++)
        o[j] = (int8_t)t[j];
}

static inline __m256i pair(const int16_t *x)
{
    int32_t v;
    memcpy(&v, x, 4);
    return _mm256_set1_epi32(v);
}

void vsr_qs8_gconv_i16_ukernel_4x8__avx2(const vsr_conv_uk *p, const int16_t *in, int8_t *out,
                                         int n)
{
    assert(p->groups >= 1 && p->ncob8 >= 1 && n >= 0);
    const size_t taps = (size_t)p->kh * p->kw;
    const int cin = p->cin, cig = p->cig, cig2 = (cig + 1) / 2, cout = p->cout;
    const __m256i zp = _mm256_set1_epi32(p->zp_out);
    const __m256i lo = _mm256_set1_epi64x(p->qmin - p->zp_out);
    const __m256i hi = _mm256_set1_epi64x(p->qmax - p->zp_out);
    for (int gi = 0; gi < p->groups; gi++)
        for (int cb = 0; cb < p->ncob8; cb++) {
            const int blk = gi * p->ncob8 + cb;
            const int nv = p->cog - cb * 8 < 8 ? p->cog - cb * 8 : 8;
            const int16_t *w = p->gw16 + (size_t)blk * taps * (size_t)cig2 * 16;
            const __m256i bias = _mm256_loadu_si256((const __m256i *)(p->gb16 + blk * 8));
            const __m256i qm = _mm256_loadu_si256((const __m256i *)(p->gqm + blk * 8));
            const __m256i qs = _mm256_loadu_si256((const __m256i *)(p->gqs + blk * 8));
            const int16_t *ib = in + gi * cig;
            int8_t *ob = out + gi * p->cog + cb * 8;
            int px = 0;
            for (; px + 4 <= n; px += 4) {
                __m256i a0 = bias, a1 = bias, a2 = bias, a3 = bias;
                const int16_t *wt = w;
                for (int ky = 0; ky < p->kh; ky++)
                    for (int kx = 0; kx < p->kw; kx++) {
                        const int16_t *xp = ib + (size_t)px * cin + ky * p->dil * p->in_row +
                                            (ptrdiff_t)kx * p->dil * cin;
                        for (int c2 = 0; c2 < cig2; c2++, wt += 16) {
                            __m256i wv = _mm256_loadu_si256((const __m256i *)wt);
                            const int16_t *x = xp + 2 * c2;
                            a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(pair(x), wv));
                            a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(pair(x + cin), wv));
                            a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(pair(x + 2 * cin), wv));
                            a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(pair(x + 3 * cin), wv));
                        }
                    }
                int8_t *o = ob + (size_t)px * cout;
                store8(o, requant(a0, qm, qs, zp, lo, hi), nv);
                store8(o + cout, requant(a1, qm, qs, zp, lo, hi), nv);
                store8(o + 2 * cout, requant(a2, qm, qs, zp, lo, hi), nv);
                store8(o + 3 * cout, requant(a3, qm, qs, zp, lo, hi), nv);
            }
            for (; px < n; px++) {
                __m256i a0 = bias;
                const int16_t *wt = w;
                for (int ky = 0; ky < p->kh; ky++)
                    for (int kx = 0; kx < p->kw; kx++) {
                        const int16_t *xp = ib + (size_t)px * cin + ky * p->dil * p->in_row +
                                            (ptrdiff_t)kx * p->dil * cin;
                        for (int c2 = 0; c2 < cig2; c2++, wt += 16)
                            a0 = _mm256_add_epi32(
                                a0, _mm256_madd_epi16(pair(xp + 2 * c2),
                                                      _mm256_loadu_si256((const __m256i *)wt)));
                    }
                store8(ob + (size_t)px * cout, requant(a0, qm, qs, zp, lo, hi), nv);
            }
        }
}
