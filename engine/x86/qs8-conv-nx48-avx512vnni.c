/*
 * INT8 dense stride-1 KxK conv with AVX-512 VNNI, register-tiled for 16..48
 * output channels: NC = up to three zmm of 16 channels x MR pixels (3 x 8,
 * 2 x 12, 1 x 16: 24 int32 accumulators), so each packed weight vector feeds
 * MR vpdpbusd. The input rows are already biased to unsigned (byte ^ 0x80,
 * done once when the driver copies them into the padded buffer), so a
 * 4-byte group is one vpbroadcastd; the packed bias holds -(128 + zp_in) *
 * sum(w). Requantization is the exact 64-bit rounding of vsr__requant():
 * bit-identical to the scalar twin vsr_qs8_conv_ukernel_u8_1x16__scalar.
 * With p->acc32 it stores the int32 accumulators instead (bias + sum (x -
 * zp_in) * w, the same integers as the int16 kernels' acc32 mode), for the
 * convs whose epilogue is float or TFLite's requantization.
 */
#include <assert.h>
#include <immintrin.h>
#include <string.h>

#include "../engine_kernels.h"

/*
 * round(p / 2^s), ties away from zero, as an arithmetic shift: for p >= 0 it is
 * (p + half) >> s; for p < 0, -((-p + half) >> s) = (p + half - 1) >> s (floor
 * division), so r = (p + half + (p >> 63)) >> s with half = 2^(s-1) precomputed.
 */
static inline __m512i round_shift(__m512i prod, __m512i sh, __m512i half)
{
    __m512i t = _mm512_add_epi64(_mm512_add_epi64(prod, half), _mm512_srai_epi64(prod, 63));
    return _mm512_srav_epi64(t, sh);
}

typedef struct rq {
    __m512i m, mo, se, so, he, ho; /* multipliers, shifts, halves; even / odd lanes */
} rq;

static inline rq rq_load(const int32_t *qm, const int32_t *qs)
{
    rq r;
    __m512i lo32 = _mm512_set1_epi64(0xffffffff), one = _mm512_set1_epi64(1);
    __m512i s = _mm512_loadu_si512(qs);
    r.m = _mm512_loadu_si512(qm);
    r.mo = _mm512_srli_epi64(r.m, 32);
    r.se = _mm512_and_si512(s, lo32);
    r.so = _mm512_srli_epi64(s, 32);
    r.he = _mm512_sllv_epi64(one, _mm512_sub_epi64(r.se, one));
    r.ho = _mm512_sllv_epi64(one, _mm512_sub_epi64(r.so, one));
    return r;
}

static inline __m128i requant(__m512i acc, const rq *q, __m512i zp, __m512i lo, __m512i hi)
{
    __m512i pe = _mm512_mul_epi32(acc, q->m);
    __m512i po = _mm512_mul_epi32(_mm512_srli_epi64(acc, 32), q->mo);
    __m512i re = round_shift(pe, q->se, q->he);
    __m512i ro = round_shift(po, q->so, q->ho);
    re = _mm512_min_epi64(_mm512_max_epi64(re, lo), hi);
    ro = _mm512_min_epi64(_mm512_max_epi64(ro, lo), hi);
    __m512i r = _mm512_mask_blend_epi32(0xAAAA, re, _mm512_slli_epi64(ro, 32));
    return _mm512_cvtsepi32_epi8(_mm512_add_epi32(r, zp));
}

static inline __m512i bcast4(const uint8_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return _mm512_set1_epi32(v);
}

/* acc += u8(x) . s8(w) per 4-byte group. Inline asm: GCC 12 surrounds the
 * intrinsic with register copies when the accumulators live in an array. */
static inline __attribute__((always_inline)) __m512i dp(__m512i acc, __m512i x, __m512i w)
{
    __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(x), "v"(w));
    return acc;
}

static inline __attribute__((always_inline)) void block(const vsr_conv_uk *p, const uint8_t *in,
                                                        int8_t *out, int cob, const int NC,
                                                        const int MR, const int CIN)
{
    const int cin = CIN ? CIN : p->cin, cin4 = (cin + 3) / 4, cout = p->cout;
    size_t taps = (size_t)p->kh * p->kw, wstride = taps * (size_t)cin4 * 64;
    const int8_t *w0 = p->wq + (size_t)cob * wstride;
    __m512i a[16][3];
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 3
        for (int b = 0; b < NC; b++)
            a[r][b] = _mm512_loadu_si512(p->bq + (cob + b) * 16);
    for (int ky = 0; ky < p->kh; ky++)
        for (int kx = 0; kx < p->kw; kx++) {
            const uint8_t *xp = in + ky * p->dil * p->in_row + (ptrdiff_t)kx * p->dil * cin;
            const int8_t *wt = w0 + ((size_t)ky * p->kw + (size_t)kx) * (size_t)cin4 * 64;
            for (int c4 = 0; c4 < cin4; c4++, wt += 64) {
                __m512i wv[3];
#pragma GCC unroll 3
                for (int b = 0; b < NC; b++)
                    wv[b] = _mm512_loadu_si512(wt + (size_t)b * wstride);
#pragma GCC unroll 16
                for (int r = 0; r < MR; r++) {
                    __m512i xv = bcast4(xp + (size_t)r * cin + (size_t)c4 * 4);
#pragma GCC unroll 3
                    for (int b = 0; b < NC; b++)
                        a[r][b] = dp(a[r][b], xv, wv[b]);
                }
            }
        }
    __m512i zp = _mm512_set1_epi32(p->zp_out);
    if (p->acc32) { /* the raw accumulators (float epilogues, TFLite requantization) */
        int32_t *o32 = (int32_t *)(void *)out;
#pragma GCC unroll 3
        for (int b = 0; b < NC; b++) {
            int nv = cout - (cob + b) * 16 < 16 ? cout - (cob + b) * 16 : 16;
            __mmask16 mk = (__mmask16)((1u << nv) - 1);
#pragma GCC unroll 16
            for (int r = 0; r < MR; r++)
                _mm512_mask_storeu_epi32(o32 + (size_t)r * cout + (cob + b) * 16, mk, a[r][b]);
        }
        return;
    }
    __m512i lo = _mm512_set1_epi64(p->qmin - p->zp_out),
            hi = _mm512_set1_epi64(p->qmax - p->zp_out);
#pragma GCC unroll 3
    for (int b = 0; b < NC; b++) {
        rq q = rq_load(p->qm + (cob + b) * 16, p->qs + (cob + b) * 16);
        int nv = cout - (cob + b) * 16 < 16 ? cout - (cob + b) * 16 : 16;
        __mmask16 mk = (__mmask16)((1u << nv) - 1);
#pragma GCC unroll 16
        for (int r = 0; r < MR; r++)
            _mm_mask_storeu_epi8(out + (size_t)r * cout + (cob + b) * 16, mk,
                                 requant(a[r][b], &q, zp, lo, hi));
    }
}

static inline __attribute__((always_inline)) void row(const vsr_conv_uk *p, const uint8_t *in,
                                                      int8_t *out, int n, int cob, const int NC,
                                                      const int MR, const int CIN)
{
    int px = 0;
    size_t os = (size_t)p->cout * (p->acc32 ? sizeof(int32_t) : 1); /* output pixel, bytes */
    for (; px + MR <= n; px += MR)
        block(p, in + (size_t)px * p->cin, out + (size_t)px * os, cob, NC, MR, CIN);
    for (; px + 4 <= n; px += 4)
        block(p, in + (size_t)px * p->cin, out + (size_t)px * os, cob, NC, 4, CIN);
    for (; px < n; px++)
        block(p, in + (size_t)px * p->cin, out + (size_t)px * os, cob, NC, 1, CIN);
}

static inline __attribute__((always_inline)) void all(const vsr_conv_uk *p, const uint8_t *in,
                                                      int8_t *out, int n, const int CIN)
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

void vsr_qs8_conv_ukernel_u8_nx48__avx512vnni(const vsr_conv_uk *p, const int8_t *in,
                                              int8_t *out, int n)
{
    assert(p->ncob >= 1 && n >= 0);
    const uint8_t *u = (const uint8_t *)in;
    if (p->cin == 28)
        all(p, u, out, n, 28);
    else if (p->cin == 48)
        all(p, u, out, n, 48);
    else if (p->cin == 16)
        all(p, u, out, n, 16);
    else if (p->cin == 32)
        all(p, u, out, n, 32);
    else
        all(p, u, out, n, 0);
}
