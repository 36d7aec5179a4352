/*
 * qs8-requant-avx2.h: the AVX2 requantization of eight int32 accumulators,
 * exactly vsr__requant_clamp() (one rounding of the 64-bit product, ties away
 * from zero), shared by the int16-pair INT8 kernels (dense and grouped).
 * Include only from files compiled with -mavx2.
 */
#ifndef VSR_QS8_REQUANT_AVX2_H
#define VSR_QS8_REQUANT_AVX2_H

#include <immintrin.h>

static inline __m256i round_shift(__m256i prod, __m256i sh)
{
    __m256i neg = _mm256_cmpgt_epi64(_mm256_setzero_si256(), prod);
    __m256i ab = _mm256_sub_epi64(_mm256_xor_si256(prod, neg), neg);
    __m256i half =
        _mm256_sllv_epi64(_mm256_set1_epi64x(1), _mm256_sub_epi64(sh, _mm256_set1_epi64x(1)));
    __m256i r = _mm256_srlv_epi64(_mm256_add_epi64(ab, half), sh);
    return _mm256_sub_epi64(_mm256_xor_si256(r, neg), neg);
}

static inline __m256i clamp64(__m256i r, __m256i lo, __m256i hi)
{
    r = _mm256_blendv_epi8(r, lo, _mm256_cmpgt_epi64(lo, r));
    return _mm256_blendv_epi8(r, hi, _mm256_cmpgt_epi64(r, hi));
}

/* 8 accumulators -> 8 int8 (as the low bytes of an int32 vector, clamped). */
static inline __m256i requant(__m256i acc, __m256i m, __m256i s, __m256i zp, __m256i lo,
                              __m256i hi)
{
    __m256i lo32 = _mm256_set1_epi64x(0xffffffff);
    __m256i pe = _mm256_mul_epi32(acc, m);
    __m256i po = _mm256_mul_epi32(_mm256_srli_epi64(acc, 32), _mm256_srli_epi64(m, 32));
    __m256i re = clamp64(round_shift(pe, _mm256_and_si256(s, lo32)), lo, hi);
    __m256i ro = clamp64(round_shift(po, _mm256_srli_epi64(s, 32)), lo, hi);
    __m256i r = _mm256_blend_epi32(re, _mm256_slli_epi64(ro, 32), 0xAA);
    return _mm256_add_epi32(r, zp);
}

#endif
