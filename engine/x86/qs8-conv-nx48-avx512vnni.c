/*
 * INT8 dense stride-1 KxK conv with AVX-512 VNNI, register-tiled for 16..48
 * output channels: NC = up to three zmm of 16 channels x MR pixels (3 x 8,
 * 2 x 12, 1 x 16: 24 int32 accumulators), so each packed weight vector feeds
 * MR vpdpbusd. The input rows are int8 like every INT8 kernel's (the engine
 * passes the tensor's own rows where the taps stay inside the frame, so the
 * kernel may read up to 64 bytes past a row's last pixel); a 4-byte group is
 * biased to unsigned as it is loaded (x ^ 0x80: one vpxord beside the
 * vpbroadcastd, free in the measurements), and the packed bias holds -(128 +
 * zp_in) * sum(w). Requantization is the exact 64-bit rounding of
 * vsr__requant(): bit-identical to the scalar twin
 * vsr_qs8_conv_ukernel_1x16__scalar.
 * With p->acc32 it stores the int32 accumulators instead (bias + sum (x -
 * zp_in) * w, the same integers as the int16 kernels' acc32 mode), for the
 * convs whose epilogue is float or TFLite's requantization.
 */
#include <assert.h>
#include <immintrin.h>
#include <string.h>

#include "../engine_kernels.h"
#include "qs8-requant-avx512.h"

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
    vsr_rq512 f;                   /* FAST (p->rq_fast): the requantization with zp_out */
    __m512i m, mo, se, so, he, ho; /* else: multipliers, shifts, halves; even / odd lanes */
    __m512i lo, hi; /* the output bounds: 32-bit lanes with FAST, else minus zp_out, 64-bit */
} rq;

/*
 * The requantization of 16 lanes whose multipliers and shifts are @p m and @p s,
 * to [qmin, qmax]; FAST: vsr_rq512 (p->rq_fast), else the exact 64-bit rounding.
 */
static inline rq rq_make(__m512i m, __m512i s, const vsr_conv_uk *p, const int FAST)
{
    rq r;
    if (FAST) {
        r.f = vsr_rq512_make(m, s, p->zp_out);
        r.lo = _mm512_set1_epi32(p->qmin);
        r.hi = _mm512_set1_epi32(p->qmax);
        return r;
    }
    __m512i lo32 = _mm512_set1_epi64(0xffffffff), one = _mm512_set1_epi64(1);
    r.m = m;
    r.mo = _mm512_srli_epi64(r.m, 32);
    r.se = _mm512_and_si512(s, lo32);
    r.so = _mm512_srli_epi64(s, 32);
    r.he = _mm512_sllv_epi64(one, _mm512_sub_epi64(r.se, one));
    r.ho = _mm512_sllv_epi64(one, _mm512_sub_epi64(r.so, one));
    r.lo = _mm512_set1_epi64(p->qmin - p->zp_out);
    r.hi = _mm512_set1_epi64(p->qmax - p->zp_out);
    return r;
}

static inline rq rq_load(const vsr_conv_uk *p, int c0, const int FAST)
{
    if (FAST) { /* the engine's packed constants: loads GCC may fold into the operations */
        rq r;
        r.f = vsr_rq512_load(p->rq64 + (size_t)c0 * 3);
        r.lo = _mm512_set1_epi32(p->qmin);
        r.hi = _mm512_set1_epi32(p->qmax);
        return r;
    }
    return rq_make(_mm512_loadu_si512(p->qm + c0), _mm512_loadu_si512(p->qs + c0), p, FAST);
}

/* FAST: the requantized values clamped to [qmin, qmax], still int32 */
static inline __m512i requant_fast32(__m512i acc, const rq *q)
{
    return _mm512_min_epi32(_mm512_max_epi32(vsr_rq512_apply(acc, &q->f), q->lo), q->hi);
}

/* FAST: 11 operations for 16 outputs (the 64-bit path: 19) */
static inline __m128i requant_fast(__m512i acc, const rq *q)
{
    return _mm512_cvtepi32_epi8(requant_fast32(acc, q));
}

static inline __m128i requant(__m512i acc, const rq *q, __m512i zp, const int FAST)
{
    if (FAST)
        return requant_fast(acc, q);
    __m512i pe = _mm512_mul_epi32(acc, q->m);
    __m512i po = _mm512_mul_epi32(_mm512_srli_epi64(acc, 32), q->mo);
    __m512i re = round_shift(pe, q->se, q->he);
    __m512i ro = round_shift(po, q->so, q->ho);
    re = _mm512_min_epi64(_mm512_max_epi64(re, q->lo), q->hi);
    ro = _mm512_min_epi64(_mm512_max_epi64(ro, q->lo), q->hi);
    __m512i r = _mm512_mask_blend_epi32(0xAAAA, re, _mm512_slli_epi64(ro, 32));
    return _mm512_cvtsepi32_epi8(_mm512_add_epi32(r, zp));
}

static inline __m512i bcast4(const uint8_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return _mm512_xor_si512(_mm512_set1_epi32(v), _mm512_set1_epi32((int)0x80808080));
}

/* 64 input bytes biased to unsigned */
static inline __m512i load_u8(const uint8_t *p)
{
    return _mm512_xor_si512(_mm512_loadu_si512(p), _mm512_set1_epi32((int)0x80808080));
}

/* acc += u8(x) . s8(w) per 4-byte group. Inline asm: GCC 12 surrounds the
 * intrinsic with register copies when the accumulators live in an array. */
static inline __attribute__((always_inline)) __m512i dp(__m512i acc, __m512i x, __m512i w)
{
    __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(x), "v"(w));
    return acc;
}

/* 4 bytes already biased (a row-blocked input) */
static inline __m512i bcast4_u8(const uint8_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return _mm512_set1_epi32(v);
}

/* BLK: the input is row-blocked (p->blk_gs bytes between its groups, 4 between pixels,
 * biased); else NHWC int8 */
static inline __attribute__((always_inline)) void block(const vsr_conv_uk *p, const uint8_t *in,
                                                        int8_t *out, int cob, const int NC,
                                                        const int MR, const int CIN,
                                                        const int FAST, const int BLK)
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
            const uint8_t *xp =
                in + ky * p->dil * p->in_row + (ptrdiff_t)kx * p->dil * (BLK ? 4 : cin);
            const int8_t *wt = w0 + ((size_t)ky * p->kw + (size_t)kx) * (size_t)cin4 * 64;
            for (int c4 = 0; c4 < cin4; c4++, wt += 64) {
                __m512i wv[3];
#pragma GCC unroll 3
                for (int b = 0; b < NC; b++)
                    wv[b] = _mm512_loadu_si512(wt + (size_t)b * wstride);
#pragma GCC unroll 16
                for (int r = 0; r < MR; r++) {
                    __m512i xv = BLK ? bcast4_u8(xp + (size_t)r * 4 + (size_t)c4 * p->blk_gs)
                                     : bcast4(xp + (size_t)r * cin + (size_t)c4 * 4);
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
#pragma GCC unroll 3
    for (int b = 0; b < NC; b++) {
        rq q = rq_load(p, (cob + b) * 16, FAST);
        int nv = cout - (cob + b) * 16 < 16 ? cout - (cob + b) * 16 : 16;
        __mmask16 mk = (__mmask16)((1u << nv) - 1);
#pragma GCC unroll 16
        for (int r = 0; r < MR; r++) {
            int8_t *o = out + (size_t)r * cout + (cob + b) * 16;
            if (FAST) /* vpmovdb straight to memory: no shuffle-port narrowing and store */
                _mm512_mask_cvtepi32_storeu_epi8(o, mk, requant_fast32(a[r][b], &q));
            else
                _mm_mask_storeu_epi8(o, mk, requant(a[r][b], &q, zp, FAST));
        }
    }
}

static inline __attribute__((always_inline)) void row(const vsr_conv_uk *p, const uint8_t *in,
                                                      int8_t *out, int n, int cob, const int NC,
                                                      const int MR, const int CIN,
                                                      const int FAST, const int BLK)
{
    int px = 0;
    size_t os = (size_t)p->cout * (p->acc32 ? sizeof(int32_t) : 1); /* output pixel, bytes */
    size_t is = BLK ? 4 : (size_t)p->cin;                           /* input pixel, bytes */
    for (; px + MR <= n; px += MR)
        block(p, in + (size_t)px * is, out + (size_t)px * os, cob, NC, MR, CIN, FAST, BLK);
    for (; px + 4 <= n; px += 4)
        block(p, in + (size_t)px * is, out + (size_t)px * os, cob, NC, 4, CIN, FAST, BLK);
    for (; px < n; px++)
        block(p, in + (size_t)px * is, out + (size_t)px * os, cob, NC, 1, CIN, FAST, BLK);
}

static inline __attribute__((always_inline)) void all(const vsr_conv_uk *p, const uint8_t *in,
                                                      int8_t *out, int n, const int CIN,
                                                      const int FAST, const int BLK)
{
    for (int cob = 0; cob < p->ncob; cob += 3) {
        int left = p->ncob - cob;
        if (left >= 3)
            row(p, in, out, n, cob, 3, 8, CIN, FAST, BLK);
        else if (left == 2)
            row(p, in, out, n, cob, 2, 12, CIN, FAST, BLK);
        else
            row(p, in, out, n, cob, 1, 16, CIN, FAST, BLK);
    }
}

/*
 * Lane-tiled path for 4*J output channels (J = 2, 3, 5, 6, 7: counts that leave
 * lanes of a 16-channel block idle, 28 channels use 28 of 32) from CIN = 20..32
 * input channels (a multiple of 4). An accumulator holds 4 pixels x 4 channels:
 * 128-bit lane q is pixel q, dword l in it channel 4j + l. Its input vector is
 * each pixel's 4-byte group broadcast over its own 128-bit lane, gathered from
 * the 4 * CIN bytes of the 4 pixels by one two-source dword permutation; its
 * weights are the 16 bytes [4 channels][4 inputs] of the packed layout,
 * repeated in the four lanes. No lane is idle, so a 28 -> 28 conv issues 7/8
 * of the vpdpbusd of the 16-channel tiles. Same accumulators, same
 * requantization, same bytes.
 */
static inline __m512i lt_bias(const int32_t *b)
{
    return _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(const void *)b));
}

/* B blocks of 4 pixels; q[j] requantizes channels 4j..4j+3 in every lane */
static inline __attribute__((always_inline)) void
lt_block(const vsr_conv_uk *p, const uint8_t *in, int8_t *out, const int B, const int J,
         const int CIN, const rq *q, __m512i tlo, __m512i thi, const int FAST)
{
    const int cin4 = CIN / 4;
    size_t wstride = (size_t)p->kh * p->kw * (size_t)cin4 * 64;
    __m512i a[3][8];
#pragma GCC unroll 3
    for (int b = 0; b < B; b++)
#pragma GCC unroll 8
        for (int j = 0; j < J; j++)
            a[b][j] = lt_bias(p->bq + 4 * j);
    /* dword (q, l) of the input vector of group g: dword q * cin4 + g of the 4 pixels */
    const __m512i base = _mm512_set_epi32(3 * cin4, 3 * cin4, 3 * cin4, 3 * cin4, 2 * cin4,
                                          2 * cin4, 2 * cin4, 2 * cin4, cin4, cin4, cin4, cin4,
                                          0, 0, 0, 0),
                  one = _mm512_set1_epi32(1);
    for (int ky = 0; ky < p->kh; ky++)
        for (int kx = 0; kx < p->kw; kx++) {
            const uint8_t *xp = in + ky * p->dil * p->in_row + (ptrdiff_t)kx * p->dil * CIN;
            const int8_t *wt = p->wq + ((size_t)ky * p->kw + (size_t)kx) * (size_t)cin4 * 64;
            __m512i x0[3], x1[3];
#pragma GCC unroll 3
            for (int b = 0; b < B; b++) {
                x0[b] = load_u8(xp + (size_t)b * 4 * CIN);
                x1[b] = load_u8(xp + (size_t)b * 4 * CIN + 64);
            }
            __m512i idx = base;
            /* not unrolled: 21 accumulators, 3 x 2 input vectors, 3 gathered ones and
             * the weights fill the 32 registers (unrolled, GCC spills accumulators) */
#pragma GCC unroll 1
            for (int g = 0; g < cin4; g++, wt += 64) {
                __m512i xv[3];
#pragma GCC unroll 3
                for (int b = 0; b < B; b++)
                    xv[b] = _mm512_permutex2var_epi32(x0[b], idx, x1[b]);
                idx = _mm512_add_epi32(idx, one);
#pragma GCC unroll 8
                for (int j = 0; j < J; j++) {
                    __m512i w = _mm512_broadcast_i32x4(_mm_loadu_si128(
                        (const __m128i *)(const void *)(wt + (size_t)(j / 4) * wstride +
                                                        (size_t)(j % 4) * 16)));
#pragma GCC unroll 3
                    for (int b = 0; b < B; b++)
                        a[b][j] = dp(a[b][j], xv[b], w);
                }
            }
        }
    const int cout = 4 * J;
    if (p->acc32) { /* pixel q's 4 channels 4j.. are lane q */
        int32_t *o32 = (int32_t *)(void *)out;
#pragma GCC unroll 3
        for (int b = 0; b < B; b++)
#pragma GCC unroll 8
            for (int j = 0; j < J; j++) {
                int32_t *o = o32 + (size_t)4 * b * cout + 4 * j;
                _mm_storeu_si128((__m128i *)(void *)o, _mm512_castsi512_si128(a[b][j]));
                _mm_storeu_si128((__m128i *)(void *)(o + cout),
                                 _mm512_extracti32x4_epi32(a[b][j], 1));
                _mm_storeu_si128((__m128i *)(void *)(o + 2 * cout),
                                 _mm512_extracti32x4_epi32(a[b][j], 2));
                _mm_storeu_si128((__m128i *)(void *)(o + 3 * cout),
                                 _mm512_extracti32x4_epi32(a[b][j], 3));
            }
        return;
    }
    __m512i zp = _mm512_set1_epi32(p->zp_out);
#pragma GCC unroll 3
    for (int b = 0; b < B; b++) {
        /* r_j: dword q = pixel q's channels 4j..4j+3; the 4 pixels' cout bytes are
         * dwords q * J + j: z0 holds r_0..r_3, z1 r_4..r_7, tlo / thi pick them */
        __m512i z0 = _mm512_setzero_si512(), z1 = _mm512_setzero_si512();
#pragma GCC unroll 8
        for (int j = 0; j < J; j++) {
            __m128i r = requant(a[b][j], &q[j], zp, FAST);
            if (j < 4)
                z0 = _mm512_mask_broadcast_i32x4(z0, (__mmask16)(0xFu << (4 * j)), r);
            else
                z1 = _mm512_mask_broadcast_i32x4(z1, (__mmask16)(0xFu << (4 * (j - 4))), r);
        }
        int8_t *o = out + (size_t)4 * b * cout;
        if (J >= 4) {
            _mm512_storeu_si512(o, _mm512_permutex2var_epi32(z0, tlo, z1));
            _mm512_mask_storeu_epi32(o + 64, (__mmask16)((1u << (J - 4) * 4) - 1),
                                     _mm512_permutex2var_epi32(z0, thi, z1));
        } else {
            _mm512_mask_storeu_epi32(o, (__mmask16)((1u << J * 4) - 1),
                                     _mm512_permutex2var_epi32(z0, tlo, z1));
        }
    }
}

static inline __attribute__((always_inline)) void lt_row(const vsr_conv_uk *p,
                                                         const uint8_t *in, int8_t *out, int n,
                                                         const int J, const int CIN,
                                                         const int FAST)
{
    rq q[8];
    for (int j = 0; j < J; j++)
        q[j] = rq_make(lt_bias(p->qm + 4 * j), lt_bias(p->qs + 4 * j), p, FAST);
    int32_t t[32]; /* output dword d = q * J + j of 4 pixels is r_j's dword q */
    for (int d = 0; d < 32; d++) {
        int qq = d / J, j = d % J;
        t[d] = d < 4 * J ? (j < 4 ? 4 * j + qq : 16 + 4 * (j - 4) + qq) : 0;
    }
    __m512i tlo = _mm512_loadu_si512(t), thi = _mm512_loadu_si512(t + 16);
    size_t os = (size_t)4 * J * (p->acc32 ? sizeof(int32_t) : 1); /* output pixel, bytes */
    int px = 0;
    for (; px + 12 <= n; px += 12)
        lt_block(p, in + (size_t)px * CIN, out + (size_t)px * os, 3, J, CIN, q, tlo, thi, FAST);
    for (; px + 4 <= n; px += 4)
        lt_block(p, in + (size_t)px * CIN, out + (size_t)px * os, 1, J, CIN, q, tlo, thi, FAST);
    for (; px < n; px++) /* the last 1-3 pixels: 16-channel tiles */
        if (J > 4)
            block(p, in + (size_t)px * CIN, out + (size_t)px * os, 0, 2, 1, CIN, FAST, 0);
        else
            block(p, in + (size_t)px * CIN, out + (size_t)px * os, 0, 1, 1, CIN, FAST, 0);
}

void vsr_qs8_conv_ukernel_nx48__avx512vnni(const vsr_conv_uk *p, const int8_t *in, int8_t *out,
                                           int n)
{
    assert(p->ncob >= 1 && n >= 0);
    const uint8_t *u = (const uint8_t *)in;
    if (p->blk_gs) { /* a row-blocked input (cin % 4 == 0, the integer epilogue) */
        assert(p->cin % 4 == 0 && !p->acc32);
        if (!p->rq_fast)
            all(p, u, out, n, 0, 0, 1);
        else if (p->cin == 28)
            all(p, u, out, n, 28, 1, 1);
        else if (p->cin == 48)
            all(p, u, out, n, 48, 1, 1);
        else
            all(p, u, out, n, 0, 1, 1);
        return;
    }
    if (!p->acc32 && !p->rq_fast) { /* a shift < 32 (scale >= 0.5): rare, 64-bit */
        all(p, u, out, n, 0, 0, 0);
        return;
    }
    if (p->cin == 28 && p->cout == 28)
        lt_row(p, u, out, n, 7, 28, 1);
    else if (p->cin == 28)
        all(p, u, out, n, 28, 1, 0);
    else if (p->cin == 48)
        all(p, u, out, n, 48, 1, 0);
    else if (p->cin == 16)
        all(p, u, out, n, 16, 1, 0);
    else if (p->cin == 32)
        all(p, u, out, n, 32, 1, 0);
    else
        all(p, u, out, n, 0, 1, 0);
}
