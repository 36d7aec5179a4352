/*
 * requant tflite conv epilogue with AVX2, identical to the scalar twin
 * (quant_tflite.c, vsr__tfl_requant_clamp per value): out[i] = clamp(zp +
 * RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(acc[i] << max(s, 0),
 * m[i]), max(-s, 0))), s = qs[i] in [-31, 31].
 *
 * The doubling high multiply needs the 64-bit products: vpmuldq gives them
 * for the even lanes and, after a 32-bit shift, the odd ones. The nudged
 * product is floored by 2^31 with a logical 64-bit shift (the low 32 bits
 * are those of the arithmetic shift) and moved toward zero by one when it
 * is negative with a non-zero remainder, which is C's truncating division.
 */
#include <immintrin.h>

#include "../engine_kernels.h"

/* SaturatingRoundingDoublingHighMul of the 64-bit even lanes a * b (as vpmuldq). */
static inline __m256i srdhm64(__m256i a, __m256i b)
{
    const __m256i zero = _mm256_setzero_si256();
    const __m256i pos = _mm256_set1_epi64x((int64_t)1 << 30);
    const __m256i neg = _mm256_set1_epi64x(1 - ((int64_t)1 << 30));
    const __m256i low31 = _mm256_set1_epi64x(0x7fffffff);
    __m256i p = _mm256_mul_epi32(a, b);
    __m256i s = _mm256_add_epi64(p, _mm256_blendv_epi8(pos, neg, _mm256_cmpgt_epi64(zero, p)));
    __m256i fl = _mm256_srli_epi64(s, 31);
    __m256i inexact = _mm256_andnot_si256(_mm256_cmpeq_epi64(_mm256_and_si256(s, low31), zero),
                                          _mm256_set1_epi64x(-1));
    __m256i up = _mm256_and_si256(_mm256_cmpgt_epi64(zero, s), inexact); /* -1: add one */
    return _mm256_sub_epi64(fl, up);
}

void vsr_qs8_requant_tfl__avx2(const int32_t *acc, int8_t *out, int n, const int32_t *qm,
                               const int32_t *qs, int zp, int qmin, int qmax)
{
    const __m256i zero = _mm256_setzero_si256(), one = _mm256_set1_epi32(1);
    const __m256i imin = _mm256_set1_epi32(INT32_MIN), imax = _mm256_set1_epi32(INT32_MAX);
    /* clamp to [qmin - zp, qmax - zp], then add zp: no int32 overflow (the scalar's order) */
    const __m256i vzp = _mm256_set1_epi32(zp), lo = _mm256_set1_epi32(qmin - zp),
                  hi = _mm256_set1_epi32(qmax - zp);
    /* the low byte of each dword to the first 4 bytes of each 128-bit lane */
    const __m256i gather =
        _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 4, 8,
                         12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m256i perm = _mm256_setr_epi32(0, 4, 1, 1, 1, 1, 1, 1);
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(acc + i));
        __m256i m = _mm256_loadu_si256((const __m256i *)(qm + i));
        __m256i s = _mm256_loadu_si256((const __m256i *)(qs + i));
        __m256i left = _mm256_max_epi32(s, zero);
        __m256i right = _mm256_max_epi32(_mm256_sub_epi32(zero, s), zero);
        x = _mm256_sllv_epi32(x, left); /* wraps as the scalar's uint32 shift */
        __m256i ev = srdhm64(x, m);
        __m256i od = srdhm64(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(m, 32));
        __m256i r = _mm256_blend_epi32(ev, _mm256_slli_epi64(od, 32), 0xaa);
        __m256i sat =
            _mm256_and_si256(_mm256_cmpeq_epi32(x, imin), _mm256_cmpeq_epi32(m, imin));
        r = _mm256_blendv_epi8(r, imax, sat);
        /* RoundingDivideByPOT(r, right): ties away from zero */
        __m256i mask = _mm256_sub_epi32(_mm256_sllv_epi32(one, right), one);
        __m256i rem = _mm256_and_si256(r, mask);
        __m256i thr = _mm256_add_epi32(_mm256_srli_epi32(mask, 1),
                                       _mm256_and_si256(_mm256_cmpgt_epi32(zero, r), one));
        r = _mm256_add_epi32(_mm256_srav_epi32(r, right),
                             _mm256_and_si256(_mm256_cmpgt_epi32(rem, thr), one));
        r = _mm256_add_epi32(_mm256_min_epi32(_mm256_max_epi32(r, lo), hi), vzp);
        r = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(r, gather), perm);
        _mm_storel_epi64((__m128i *)(out + i), _mm256_castsi256_si128(r));
    }
    if (i < n)
        vsr_qs8_requant_tfl__scalar(acc + i, out + i, n - i, qm + i, qs + i, zp, qmin, qmax);
}
