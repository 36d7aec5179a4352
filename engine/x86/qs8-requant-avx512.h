/*
 * qs8-requant-avx512.h: the AVX-512 requantization of 16 int32 accumulators for the
 * convs the engine marks vsr_conv_uk.rq_fast (ops/conv.c: rq_fast), shared by the
 * VNNI kernels (qs8-conv-nx48, qs8-conv-pl). Lane i becomes round(acc * m / 2^s) +
 * zp as an int32, the integer vsr__requant() + zp gives, in 8 operations:
 *
 *   (acc * m + 2^(s-1) + zp * 2^s) >> s    (signed 64-bit product, arithmetic shift)
 *
 * That rounds a tie up where vsr__requant() rounds it away from zero; rq_fast means
 * no accumulator of the conv is a tie, and every shift is in [32, 52], so the result
 * lies in one dword of the 64-bit lane and the zero point's term cannot overflow it.
 * The odd lanes are shifted by s - 32 so that their result lands in the high dword,
 * where one blend takes it. Include only from files compiled with AVX-512F.
 */
#ifndef VSR_QS8_REQUANT_AVX512_H
#define VSR_QS8_REQUANT_AVX512_H

#include <immintrin.h>
#include <stdint.h>

#include "../engine_kernels.h" /* vsr__rq_bias */

typedef struct vsr_rq512 {
    __m512i me, mo; /* multipliers of the even / odd lanes, in each qword's low dword */
    __m512i ke, ko; /* 2^(s-1) + zp * 2^s of the even / odd lanes, 64-bit */
    __m512i se, so; /* s of the even lanes, s - 32 of the odd ones, 64-bit */
} vsr_rq512;

/* Lanes with their own multipliers @p m and shifts @p s (16 int32 each) */
static inline vsr_rq512 vsr_rq512_make(__m512i m, __m512i s, int zp)
{
    const __m512i lo32 = _mm512_set1_epi64(0xffffffff), one = _mm512_set1_epi64(1),
                  z = _mm512_set1_epi64(zp);
    vsr_rq512 q;
    q.me = m;
    q.mo = _mm512_srli_epi64(m, 32);
    q.se = _mm512_and_si512(s, lo32);
    q.so = _mm512_srli_epi64(s, 32);
    q.ke = _mm512_add_epi64(_mm512_sllv_epi64(one, _mm512_sub_epi64(q.se, one)),
                            _mm512_sllv_epi64(z, q.se));
    q.ko = _mm512_add_epi64(_mm512_sllv_epi64(one, _mm512_sub_epi64(q.so, one)),
                            _mm512_sllv_epi64(z, q.so));
    q.so = _mm512_sub_epi64(q.so, _mm512_set1_epi64(32));
    return q;
}

/* 16 channels' constants as the engine packs them (vsr_conv_uk.rq64: 6 x 8 int64) */
static inline vsr_rq512 vsr_rq512_load(const int64_t *k)
{
    vsr_rq512 q;
    q.me = _mm512_load_si512(k);
    q.mo = _mm512_load_si512(k + 8);
    q.ke = _mm512_load_si512(k + 16);
    q.ko = _mm512_load_si512(k + 24);
    q.se = _mm512_load_si512(k + 32);
    q.so = _mm512_load_si512(k + 40);
    return q;
}

/* Every lane one channel's multiplier @p m and shift @p s */
static inline vsr_rq512 vsr_rq512_uniform(int32_t m, int s, int zp)
{
    vsr_rq512 q;
    q.me = q.mo = _mm512_set1_epi32(m);
    q.ke = q.ko = _mm512_set1_epi64(vsr__rq_bias(s, zp));
    q.se = _mm512_set1_epi64(s);
    q.so = _mm512_set1_epi64(s - 32);
    return q;
}

/* round(acc * m / 2^s) + zp per lane (rq_fast convs only) */
static inline __m512i vsr_rq512_apply(__m512i acc, const vsr_rq512 *q)
{
    __m512i pe = _mm512_mul_epi32(acc, q->me);
    __m512i po = _mm512_mul_epi32(_mm512_srli_epi64(acc, 32), q->mo);
    __m512i re = _mm512_srav_epi64(_mm512_add_epi64(pe, q->ke), q->se);
    __m512i ro = _mm512_srav_epi64(_mm512_add_epi64(po, q->ko), q->so);
    return _mm512_mask_blend_epi32(0xAAAA, re, ro);
}

#endif
