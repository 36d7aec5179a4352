/*
 * INT8 dense stride-1 KxK conv over interior pixels, 4 pixels x 16 output
 * channels per step with AVX-512 VNNI (vpdpbusd). Activations are made
 * unsigned by flipping the sign bit (x + 128); the packed bias already holds
 * -(128 + zp_in) * sum(w). Requantization is the same exact 64-bit
 * rounding as vsr__requant(), so the result is bit-identical to the scalar
 * twin vsr_qs8_conv_ukernel_1x16__scalar.
 */
#include <assert.h>
#include <immintrin.h>
#include <string.h>

#include "../engine_kernels.h"

static inline __m512i round_shift(__m512i prod, __m512i sh)
{
    __m512i zero = _mm512_setzero_si512();
    __m512i half =
        _mm512_sllv_epi64(_mm512_set1_epi64(1), _mm512_sub_epi64(sh, _mm512_set1_epi64(1)));
    __m512i r = _mm512_srlv_epi64(_mm512_add_epi64(_mm512_abs_epi64(prod), half), sh);
    return _mm512_mask_sub_epi64(r, _mm512_cmplt_epi64_mask(prod, zero), zero, r);
}

static inline __m128i requant(__m512i acc, __m512i m, __m512i s, __m512i zp, __m512i lo,
                              __m512i hi)
{
    __m512i lo32 = _mm512_set1_epi64(0xffffffff);
    __m512i pe = _mm512_mul_epi32(acc, m);
    __m512i po = _mm512_mul_epi32(_mm512_srli_epi64(acc, 32), _mm512_srli_epi64(m, 32));
    __m512i re = round_shift(pe, _mm512_and_si512(s, lo32));
    __m512i ro = round_shift(po, _mm512_srli_epi64(s, 32));
    re = _mm512_min_epi64(_mm512_max_epi64(re, lo), hi);
    ro = _mm512_min_epi64(_mm512_max_epi64(ro, lo), hi);
    __m512i r = _mm512_mask_blend_epi32(0xAAAA, re, _mm512_slli_epi64(ro, 32));
    return _mm512_cvtsepi32_epi8(_mm512_add_epi32(r, zp));
}

static inline __m512i bcast4(const int8_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return _mm512_xor_si512(_mm512_set1_epi32(v), _mm512_set1_epi32((int32_t)0x80808080u));
}

void vsr_qs8_conv_ukernel_4x16__avx512vnni(const vsr_conv_uk *p, const int8_t *in, int8_t *out,
                                           int n)
{
    assert(p->ncob >= 1 && n >= 0);
    size_t taps = (size_t)p->kh * p->kw;
    const int cin = p->cin, cin4 = p->cin4;
    __m512i zp = _mm512_set1_epi32(p->zp_out);
    __m512i lo = _mm512_set1_epi64(p->qmin - p->zp_out),
            hi = _mm512_set1_epi64(p->qmax - p->zp_out);
    for (int cob = 0; cob < p->ncob; cob++) {
        int nv = p->cout - cob * 16 < 16 ? p->cout - cob * 16 : 16;
        __mmask16 mk = (__mmask16)((1u << nv) - 1);
        const int8_t *w = p->wq + (size_t)cob * taps * (size_t)cin4 * 64;
        __m512i bias = _mm512_loadu_si512(p->bq + cob * 16);
        __m512i qm = _mm512_loadu_si512(p->qm + cob * 16);
        __m512i qs = _mm512_loadu_si512(p->qs + cob * 16);
        int px = 0;
        for (; px + 4 <= n; px += 4) {
            __m512i a0 = bias, a1 = bias, a2 = bias, a3 = bias;
            for (int ky = 0; ky < p->kh; ky++)
                for (int kx = 0; kx < p->kw; kx++) {
                    const int8_t *xp = in + (size_t)px * cin + ky * p->dil * p->in_row +
                                       (ptrdiff_t)kx * p->dil * cin;
                    const int8_t *wt =
                        w + ((size_t)ky * p->kw + (size_t)kx) * (size_t)cin4 * 64;
                    for (int c4 = 0; c4 < cin4; c4++, wt += 64) {
                        __m512i wv = _mm512_loadu_si512(wt);
                        a0 = _mm512_dpbusd_epi32(a0, bcast4(xp + c4 * 4), wv);
                        a1 = _mm512_dpbusd_epi32(a1, bcast4(xp + cin + c4 * 4), wv);
                        a2 = _mm512_dpbusd_epi32(a2, bcast4(xp + 2 * cin + c4 * 4), wv);
                        a3 = _mm512_dpbusd_epi32(a3, bcast4(xp + 3 * cin + c4 * 4), wv);
                    }
                }
            int8_t *o = out + (size_t)px * p->cout + cob * 16;
            _mm_mask_storeu_epi8(o, mk, requant(a0, qm, qs, zp, lo, hi));
            _mm_mask_storeu_epi8(o + p->cout, mk, requant(a1, qm, qs, zp, lo, hi));
            _mm_mask_storeu_epi8(o + 2 * p->cout, mk, requant(a2, qm, qs, zp, lo, hi));
            _mm_mask_storeu_epi8(o + 3 * p->cout, mk, requant(a3, qm, qs, zp, lo, hi));
        }
        for (; px < n; px++) {
            __m512i a0 = bias;
            for (int ky = 0; ky < p->kh; ky++)
                for (int kx = 0; kx < p->kw; kx++) {
                    const int8_t *xp = in + (size_t)px * cin + ky * p->dil * p->in_row +
                                       (ptrdiff_t)kx * p->dil * cin;
                    const int8_t *wt =
                        w + ((size_t)ky * p->kw + (size_t)kx) * (size_t)cin4 * 64;
                    for (int c4 = 0; c4 < cin4; c4++, wt += 64)
                        a0 = _mm512_dpbusd_epi32(a0, bcast4(xp + c4 * 4),
                                                 _mm512_loadu_si512(wt));
                }
            _mm_mask_storeu_epi8(out + (size_t)px * p->cout + cob * 16, mk,
                                 requant(a0, qm, qs, zp, lo, hi));
        }
    }
}
