/*
 * FP32 dense stride-1 KxK conv, register-tiled for 16..48 output channels:
 * NC = up to three zmm of 16 channels (masked tail) x MR pixels per step:
 * 3 x 8, 2 x 12 or 1 x 16 (24 accumulators + NC weight registers, the
 * pixel values as embedded broadcasts). MR is that large so that each
 * weight vector loaded (48->48 3x3: 83 KB of weights, more than L1) feeds
 * many FMAs; remainders use 4-pixel then 1-pixel steps. Wider layers loop
 * over groups of three blocks. Same packing and scalar twin as the 4x32
 * kernel: vsr_f32_conv_ukernel_1x16__scalar (tested within 1e-5).
 */
#include <assert.h>
#include <immintrin.h>

#include "../engine_kernels.h"

static inline __attribute__((always_inline)) void block(const vsr_conv_uk *p, const float *in,
                                                        float *out, int cob, const int NC,
                                                        const int MR, const int CIN)
{
    const int cin = CIN ? CIN : p->cin, cout = p->cout;
    size_t taps = (size_t)p->kh * p->kw, wstride = taps * (size_t)cin * 16;
    const float *w0 = p->wf + (size_t)cob * wstride;
    __m512 a[16][3];
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 3
        for (int b = 0; b < NC; b++)
            a[r][b] = _mm512_loadu_ps(p->bf + (cob + b) * 16);
    for (int ky = 0; ky < p->kh; ky++)
        for (int kx = 0; kx < p->kw; kx++) {
            const float *xp = in + ky * p->dil * p->in_row + (ptrdiff_t)kx * p->dil * cin;
            const float *wt = w0 + ((size_t)ky * p->kw + (size_t)kx) * cin * 16;
            for (int ci = 0; ci < cin; ci++, wt += 16) {
                __m512 wv[3];
#pragma GCC unroll 3
                for (int b = 0; b < NC; b++)
                    wv[b] = _mm512_loadu_ps(wt + (size_t)b * wstride);
#pragma GCC unroll 16
                for (int r = 0; r < MR; r++) {
                    __m512 xv = _mm512_set1_ps(xp[(size_t)r * cin + ci]);
                    if (NC > 1) /* one broadcast per pixel, not one per FMA */
                        __asm__("" : "+v"(xv));
#pragma GCC unroll 3
                    for (int b = 0; b < NC; b++)
                        a[r][b] = _mm512_fmadd_ps(xv, wv[b], a[r][b]);
                }
            }
        }
    __m512 vmin = _mm512_set1_ps(p->minv), vmax = _mm512_set1_ps(p->maxv);
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++) {
        float *o = out + (size_t)r * cout + cob * 16;
#pragma GCC unroll 3
        for (int b = 0; b < NC; b++) {
            int nv = cout - (cob + b) * 16 < 16 ? cout - (cob + b) * 16 : 16;
            _mm512_mask_storeu_ps(o + b * 16, (__mmask16)((1u << nv) - 1),
                                  _mm512_min_ps(_mm512_max_ps(a[r][b], vmin), vmax));
        }
    }
}

static inline __attribute__((always_inline)) void row(const vsr_conv_uk *p, const float *in,
                                                      float *out, int n, int cob, const int NC,
                                                      const int MR, const int CIN)
{
    int px = 0;
    for (; px + MR <= n; px += MR)
        block(p, in + (size_t)px * p->cin, out + (size_t)px * p->cout, cob, NC, MR, CIN);
    for (; px + 4 <= n; px += 4)
        block(p, in + (size_t)px * p->cin, out + (size_t)px * p->cout, cob, NC, 4, CIN);
    for (; px < n; px++)
        block(p, in + (size_t)px * p->cin, out + (size_t)px * p->cout, cob, NC, 1, CIN);
}

static inline __attribute__((always_inline)) void all(const vsr_conv_uk *p, const float *in,
                                                      float *out, int n, const int CIN)
{
    for (int cob = 0; cob < p->ncob; cob += 3) {
        int left = p->ncob - cob;
        if (left >= 3)
            row(p, in, out, n, cob, 3, 8, CIN);
        else if (left == 2)
            row(p, in, out, n, cob, 2, 12, CIN);
        else
            row(p, in, out, n, cob, 1, 16, CIN);
    }
}

void vsr_f32_conv_ukernel_nx48__avx512f(const vsr_conv_uk *p, const float *in, float *out,
                                        int n)
{
    assert(p->ncob >= 1 && n >= 0);
    /* the common widths with compile-time pixel offsets (no index registers) */
    if (p->cin == 28)
        all(p, in, out, n, 28);
    else if (p->cin == 48)
        all(p, in, out, n, 48);
    else if (p->cin == 16)
        all(p, in, out, n, 16);
    else if (p->cin == 32)
        all(p, in, out, n, 32);
    else
        all(p, in, out, n, 0);
}
