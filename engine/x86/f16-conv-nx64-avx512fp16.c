/*
 * FP16 native dense stride-1 KxK conv with AVX512-FP16 (vfmadd231ph, 32
 * binary16 lanes): NC = one or two zmm of 32 output channels x MR pixels
 * (2 x 12, 1 x 16), the input values as embedded {1to32} broadcasts. Every
 * multiply-add rounds to binary16 (round to nearest even), in the order
 * bias, ky, kx, ci: the scalar twin vsr_f16_conv_ukernel_1x32__scalar does
 * the same operations (exact product, FP32 sum, one binary16 rounding).
 * Used only with vsr_engine_options.fp16_native = 1.
 */
#include <assert.h>
#include <immintrin.h>

#include "../engine_kernels.h"

/* acc += broadcast(*x) * w with the {1to32} memory broadcast folded into the FMA (GCC
 * would emit vpbroadcastw, a shuffle-port uop per pixel competing with the FMAs). */
static inline __attribute__((always_inline)) __m512h fma_bc(__m512h acc, __m512h w,
                                                            const uint16_t *x)
{
    __asm__("vfmadd231ph %2%{1to32%}, %1, %0" : "+v"(acc) : "v"(w), "m"(*x));
    return acc;
}

static inline __attribute__((always_inline)) void block(const vsr_conv_uk *p,
                                                        const uint16_t *in, uint16_t *out,
                                                        int cob, const int NC, const int MR,
                                                        const int CIN)
{
    const int cin = CIN ? CIN : p->cin, cout = p->cout;
    size_t taps = (size_t)p->kh * p->kw, wstride = taps * (size_t)cin * 32;
    const uint16_t *w0 = p->wh + (size_t)cob * wstride;
    __m512h a[16][2];
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 2
        for (int b = 0; b < NC; b++)
            a[r][b] = _mm512_castsi512_ph(_mm512_loadu_si512(p->bh + (cob + b) * 32));
    for (int ky = 0; ky < p->kh; ky++)
        for (int kx = 0; kx < p->kw; kx++) {
            const uint16_t *xp = in + ky * p->dil * p->in_row + (ptrdiff_t)kx * p->dil * cin;
            const uint16_t *wt = w0 + ((size_t)ky * p->kw + (size_t)kx) * cin * 32;
            for (int ci = 0; ci < cin; ci++, wt += 32) {
                __m512h wv[2];
#pragma GCC unroll 2
                for (int b = 0; b < NC; b++)
                    wv[b] = _mm512_castsi512_ph(_mm512_loadu_si512(wt + (size_t)b * wstride));
#pragma GCC unroll 16
                for (int r = 0; r < MR; r++)
#pragma GCC unroll 2
                    for (int b = 0; b < NC; b++)
                        a[r][b] = fma_bc(a[r][b], wv[b], xp + (size_t)r * cin + ci);
            }
        }
    __m512h vmin = _mm512_castsi512_ph(_mm512_set1_epi16((short)p->minh));
    __m512h vmax = _mm512_castsi512_ph(_mm512_set1_epi16((short)p->maxh));
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++) {
        uint16_t *o = out + (size_t)r * cout + cob * 32;
#pragma GCC unroll 2
        for (int b = 0; b < NC; b++) {
            int nv = cout - (cob + b) * 32 < 32 ? cout - (cob + b) * 32 : 32;
            __mmask32 mk = (__mmask32)(nv == 32 ? 0xffffffffu : (1u << nv) - 1);
            /* max(x, lo) then min(., hi), NaN -> lo as in the scalar twin */
            __m512h v = _mm512_max_ph(a[r][b], vmin);
            v = _mm512_min_ph(v, vmax);
            _mm512_mask_storeu_epi16(o + b * 32, mk, _mm512_castph_si512(v));
        }
    }
}

static inline __attribute__((always_inline)) void row(const vsr_conv_uk *p, const uint16_t *in,
                                                      uint16_t *out, int n, int cob,
                                                      const int NC, const int MR, const int CIN)
{
    int px = 0;
    for (; px + MR <= n; px += MR)
        block(p, in + (size_t)px * p->cin, out + (size_t)px * p->cout, cob, NC, MR, CIN);
    for (; px + 4 <= n; px += 4)
        block(p, in + (size_t)px * p->cin, out + (size_t)px * p->cout, cob, NC, 4, CIN);
    for (; px < n; px++)
        block(p, in + (size_t)px * p->cin, out + (size_t)px * p->cout, cob, NC, 1, CIN);
}

static inline __attribute__((always_inline)) void all(const vsr_conv_uk *p, const uint16_t *in,
                                                      uint16_t *out, int n, const int CIN)
{
    for (int cob = 0; cob < p->ncob32; cob += 2) {
        if (p->ncob32 - cob >= 2)
            row(p, in, out, n, cob, 2, 12, CIN);
        else
            row(p, in, out, n, cob, 1, 16, CIN);
    }
}

void vsr_f16_conv_ukernel_nx64__avx512fp16(const vsr_conv_uk *p, const uint16_t *in,
                                           uint16_t *out, int n)
{
    assert(p->ncob32 >= 1 && n >= 0);
    if (p->cin == 28)
        all(p, in, out, n, 28);
    else if (p->cin == 48)
        all(p, in, out, n, 48);
    else
        all(p, in, out, n, 0);
}
