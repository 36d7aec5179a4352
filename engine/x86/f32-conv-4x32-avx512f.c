/*
 * FP32 dense stride-1 KxK conv over interior pixels, 4 pixels x 32 output
 * channels per step (two zmm of 16, masked for the tail), AVX-512F FMA.
 * Scalar twin: vsr_f32_conv_ukernel_1x16__scalar (same packing; results
 * differ only by FMA contraction / ordering: tested within 1e-5 relative).
 */
#include <assert.h>
#include <immintrin.h>

#include "../engine_kernels.h"

static inline __attribute__((always_inline)) void block(const vsr_conv_uk *p, const float *in,
                                                        float *out, int n, int cob, int two)
{
    size_t taps = (size_t)p->kh * p->kw, wstride = taps * (size_t)p->cin * 16;
    int nv0 = p->cout - cob * 16 < 16 ? p->cout - cob * 16 : 16;
    int nv1 = two ? (p->cout - cob * 16 - 16 < 16 ? p->cout - cob * 16 - 16 : 16) : 0;
    __mmask16 m0 = (__mmask16)((1u << nv0) - 1), m1 = (__mmask16)((1u << nv1) - 1);
    const float *w0 = p->wf + (size_t)cob * wstride, *w1 = w0 + wstride;
    __m512 b0 = _mm512_loadu_ps(p->bf + cob * 16);
    __m512 b1 = two ? _mm512_loadu_ps(p->bf + cob * 16 + 16) : _mm512_setzero_ps();
    __m512 vmin = _mm512_set1_ps(p->minv), vmax = _mm512_set1_ps(p->maxv);
    const int cin = p->cin;
    int px = 0;
    for (; px + 4 <= n; px += 4) {
        __m512 a00 = b0, a01 = b0, a02 = b0, a03 = b0;
        __m512 a10 = b1, a11 = b1, a12 = b1, a13 = b1;
        for (int ky = 0; ky < p->kh; ky++)
            for (int kx = 0; kx < p->kw; kx++) {
                const float *xp = in + (size_t)px * cin + ky * p->dil * p->in_row +
                                  (ptrdiff_t)kx * p->dil * cin;
                size_t t = ((size_t)ky * p->kw + (size_t)kx) * (size_t)cin * 16;
                for (int ci = 0; ci < cin; ci++) {
                    __m512 wv0 = _mm512_loadu_ps(w0 + t + (size_t)ci * 16);
                    __m512 x0 = _mm512_set1_ps(xp[ci]);
                    __m512 x1 = _mm512_set1_ps(xp[cin + ci]);
                    __m512 x2 = _mm512_set1_ps(xp[2 * cin + ci]);
                    __m512 x3 = _mm512_set1_ps(xp[3 * cin + ci]);
                    a00 = _mm512_fmadd_ps(x0, wv0, a00);
                    a01 = _mm512_fmadd_ps(x1, wv0, a01);
                    a02 = _mm512_fmadd_ps(x2, wv0, a02);
                    a03 = _mm512_fmadd_ps(x3, wv0, a03);
                    if (two) {
                        __m512 wv1 = _mm512_loadu_ps(w1 + t + (size_t)ci * 16);
                        a10 = _mm512_fmadd_ps(x0, wv1, a10);
                        a11 = _mm512_fmadd_ps(x1, wv1, a11);
                        a12 = _mm512_fmadd_ps(x2, wv1, a12);
                        a13 = _mm512_fmadd_ps(x3, wv1, a13);
                    }
                }
            }
        float *o = out + (size_t)px * p->cout + cob * 16;
#define ST(acc, ptr, m)                                                                        \
    _mm512_mask_storeu_ps(ptr, m, _mm512_min_ps(_mm512_max_ps(acc, vmin), vmax))
        ST(a00, o, m0);
        ST(a01, o + p->cout, m0);
        ST(a02, o + 2 * p->cout, m0);
        ST(a03, o + 3 * p->cout, m0);
        if (two) {
            ST(a10, o + 16, m1);
            ST(a11, o + p->cout + 16, m1);
            ST(a12, o + 2 * p->cout + 16, m1);
            ST(a13, o + 3 * p->cout + 16, m1);
        }
    }
    for (; px < n; px++) {
        __m512 a0 = b0, a1 = b1;
        for (int ky = 0; ky < p->kh; ky++)
            for (int kx = 0; kx < p->kw; kx++) {
                const float *xp = in + (size_t)px * cin + ky * p->dil * p->in_row +
                                  (ptrdiff_t)kx * p->dil * cin;
                size_t t = ((size_t)ky * p->kw + (size_t)kx) * (size_t)cin * 16;
                for (int ci = 0; ci < cin; ci++) {
                    __m512 x0 = _mm512_set1_ps(xp[ci]);
                    a0 = _mm512_fmadd_ps(x0, _mm512_loadu_ps(w0 + t + (size_t)ci * 16), a0);
                    if (two)
                        a1 = _mm512_fmadd_ps(x0, _mm512_loadu_ps(w1 + t + (size_t)ci * 16), a1);
                }
            }
        float *o = out + (size_t)px * p->cout + cob * 16;
        ST(a0, o, m0);
        if (two)
            ST(a1, o + 16, m1);
#undef ST
    }
}

void vsr_f32_conv_ukernel_4x32__avx512f(const vsr_conv_uk *p, const float *in, float *out,
                                        int n)
{
    assert(p->ncob >= 1 && n >= 0);
    for (int cob = 0; cob < p->ncob; cob += 2) {
        if (cob + 1 < p->ncob)
            block(p, in, out, n, cob, 1);
        else
            block(p, in, out, n, cob, 0);
    }
}
