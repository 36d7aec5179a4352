/*
 * FP32 grouped stride-1 KxK conv (vsr_conv_uk group fields), 4 pixels x 8
 * output channels of one group (one ymm each) per step, AVX2 + FMA. Scalar
 * twin: vsr_f32_gconv_ukernel_1x8__scalar (ops/gconv.c).
 */
#include <assert.h>
#include <immintrin.h>

#include "../engine_kernels.h"

void vsr_f32_gconv_ukernel_4x8__avx2(const vsr_conv_uk *p, const float *in, float *out, int n)
{
    assert(p->groups >= 1 && p->ncob8 >= 1 && n >= 0);
    const size_t taps = (size_t)p->kh * p->kw;
    const int cin = p->cin, cig = p->cig, cout = p->cout;
    const __m256 vmin = _mm256_set1_ps(p->minv), vmax = _mm256_set1_ps(p->maxv);
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (int gi = 0; gi < p->groups; gi++)
        for (int cb = 0; cb < p->ncob8; cb++) {
            const int blk = gi * p->ncob8 + cb;
            const int nv = p->cog - cb * 8 < 8 ? p->cog - cb * 8 : 8;
            const __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32(nv), idx);
            const float *w = p->gwf + (size_t)blk * taps * (size_t)cig * 8;
            const __m256 bias = _mm256_loadu_ps(p->gbf + blk * 8);
            const float *ib = in + gi * cig;
            float *ob = out + gi * p->cog + cb * 8;
#define ST(acc, ptr) _mm256_maskstore_ps(ptr, m, _mm256_min_ps(_mm256_max_ps(acc, vmin), vmax))
            int px = 0;
            for (; px + 4 <= n; px += 4) {
                __m256 a0 = bias, a1 = bias, a2 = bias, a3 = bias;
                const float *wt = w;
                for (int ky = 0; ky < p->kh; ky++)
                    for (int kx = 0; kx < p->kw; kx++) {
                        const float *xp = ib + (size_t)px * cin + ky * p->dil * p->in_row +
                                          (ptrdiff_t)kx * p->dil * cin;
                        for (int ci = 0; ci < cig; ci++, wt += 8) {
                            __m256 wv = _mm256_loadu_ps(wt);
                            a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(xp + ci), wv, a0);
                            a1 = _mm256_fmadd_ps(_mm256_broadcast_ss(xp + cin + ci), wv, a1);
                            a2 =
                                _mm256_fmadd_ps(_mm256_broadcast_ss(xp + 2 * cin + ci), wv, a2);
                            a3 =
                                _mm256_fmadd_ps(_mm256_broadcast_ss(xp + 3 * cin + ci), wv, a3);
                        }
                    }
                float *o = ob + (size_t)px * cout;
                ST(a0, o), ST(a1, o + cout), ST(a2, o + 2 * cout), ST(a3, o + 3 * cout);
            }
            for (; px < n; px++) {
                __m256 a0 = bias;
                const float *wt = w;
                for (int ky = 0; ky < p->kh; ky++)
                    for (int kx = 0; kx < p->kw; kx++) {
                        const float *xp = ib + (size_t)px * cin + ky * p->dil * p->in_row +
                                          (ptrdiff_t)kx * p->dil * cin;
                        for (int ci = 0; ci < cig; ci++, wt += 8)
                            a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(xp + ci),
                                                 _mm256_loadu_ps(wt), a0);
                    }
                ST(a0, ob + (size_t)px * cout);
            }
#undef ST
        }
}
