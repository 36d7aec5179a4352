/*
 * FP32 dense stride-1 KxK conv over interior pixels, 4 pixels x 16 output
 * channels (two ymm) per step, AVX2 + FMA. Scalar twin:
 * vsr_f32_conv_ukernel_1x16__scalar.
 */
#include <assert.h>
#include <immintrin.h>

#include "../engine_kernels.h"

static __m256i lane_mask(int nv)
{
    __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(nv), idx);
}

void vsr_f32_conv_ukernel_4x16__avx2(const vsr_conv_uk *p, const float *in, float *out, int n)
{
    assert(p->ncob >= 1 && n >= 0);
    size_t taps = (size_t)p->kh * p->kw, wstride = taps * (size_t)p->cin * 16;
    const int cin = p->cin;
    __m256 vmin = _mm256_set1_ps(p->minv), vmax = _mm256_set1_ps(p->maxv);
    for (int cob = 0; cob < p->ncob; cob++) {
        int nv = p->cout - cob * 16 < 16 ? p->cout - cob * 16 : 16;
        __m256i mlo = lane_mask(nv), mhi = lane_mask(nv - 8);
        const float *w = p->wf + (size_t)cob * wstride;
        __m256 blo = _mm256_loadu_ps(p->bf + cob * 16),
               bhi = _mm256_loadu_ps(p->bf + cob * 16 + 8);
        int px = 0;
#define ST(acc, ptr, m)                                                                        \
    _mm256_maskstore_ps(ptr, m, _mm256_min_ps(_mm256_max_ps(acc, vmin), vmax))
        for (; px + 4 <= n; px += 4) {
            __m256 l0 = blo, l1 = blo, l2 = blo, l3 = blo, h0 = bhi, h1 = bhi, h2 = bhi,
                   h3 = bhi;
            for (int ky = 0; ky < p->kh; ky++)
                for (int kx = 0; kx < p->kw; kx++) {
                    const float *xp = in + (size_t)px * cin + ky * p->dil * p->in_row +
                                      (ptrdiff_t)kx * p->dil * cin;
                    const float *wt = w + ((size_t)ky * p->kw + (size_t)kx) * (size_t)cin * 16;
                    for (int ci = 0; ci < cin; ci++, wt += 16) {
                        __m256 wl = _mm256_loadu_ps(wt), wh = _mm256_loadu_ps(wt + 8);
                        __m256 x0 = _mm256_broadcast_ss(xp + ci);
                        __m256 x1 = _mm256_broadcast_ss(xp + cin + ci);
                        __m256 x2 = _mm256_broadcast_ss(xp + 2 * cin + ci);
                        __m256 x3 = _mm256_broadcast_ss(xp + 3 * cin + ci);
                        l0 = _mm256_fmadd_ps(x0, wl, l0), h0 = _mm256_fmadd_ps(x0, wh, h0);
                        l1 = _mm256_fmadd_ps(x1, wl, l1), h1 = _mm256_fmadd_ps(x1, wh, h1);
                        l2 = _mm256_fmadd_ps(x2, wl, l2), h2 = _mm256_fmadd_ps(x2, wh, h2);
                        l3 = _mm256_fmadd_ps(x3, wl, l3), h3 = _mm256_fmadd_ps(x3, wh, h3);
                    }
                }
            float *o = out + (size_t)px * p->cout + cob * 16;
            ST(l0, o, mlo), ST(h0, o + 8, mhi);
            ST(l1, o + p->cout, mlo), ST(h1, o + p->cout + 8, mhi);
            ST(l2, o + 2 * p->cout, mlo), ST(h2, o + 2 * p->cout + 8, mhi);
            ST(l3, o + 3 * p->cout, mlo), ST(h3, o + 3 * p->cout + 8, mhi);
        }
        for (; px < n; px++) {
            __m256 l0 = blo, h0 = bhi;
            for (int ky = 0; ky < p->kh; ky++)
                for (int kx = 0; kx < p->kw; kx++) {
                    const float *xp = in + (size_t)px * cin + ky * p->dil * p->in_row +
                                      (ptrdiff_t)kx * p->dil * cin;
                    const float *wt = w + ((size_t)ky * p->kw + (size_t)kx) * (size_t)cin * 16;
                    for (int ci = 0; ci < cin; ci++, wt += 16) {
                        __m256 x0 = _mm256_broadcast_ss(xp + ci);
                        l0 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(wt), l0);
                        h0 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(wt + 8), h0);
                    }
                }
            float *o = out + (size_t)px * p->cout + cob * 16;
            ST(l0, o, mlo), ST(h0, o + 8, mhi);
        }
#undef ST
    }
}
