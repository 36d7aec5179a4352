/*
 * Min and max of a float row with AVX2, bit-identical to the scalar twin
 * (tensor.c): the same order keys (engine_kernels.h), 16 values per step in
 * two pairs of int32 min/max accumulators, the tail through the scalar keys.
 */
#include <immintrin.h>

#include "../engine_kernels.h"

static inline __m256i key8(__m256i b, __m256i m)
{
    return _mm256_xor_si256(b, _mm256_and_si256(_mm256_srai_epi32(b, 31), m));
}

void vsr_f32_minmax_ukernel__avx2(const float *x, size_t n, float out[2])
{
    const __m256i m = _mm256_set1_epi32(0x7fffffff);
    __m256i lo0 = _mm256_set1_epi32(INT32_MAX), hi0 = _mm256_set1_epi32(INT32_MIN);
    __m256i lo1 = lo0, hi1 = hi0;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256i a = key8(_mm256_loadu_si256((const __m256i *)(x + i)), m);
        __m256i b = key8(_mm256_loadu_si256((const __m256i *)(x + i + 8)), m);
        lo0 = _mm256_min_epi32(lo0, a), hi0 = _mm256_max_epi32(hi0, a);
        lo1 = _mm256_min_epi32(lo1, b), hi1 = _mm256_max_epi32(hi1, b);
    }
    lo0 = _mm256_min_epi32(lo0, lo1), hi0 = _mm256_max_epi32(hi0, hi1);
    int32_t l[8], h[8];
    _mm256_storeu_si256((__m256i *)l, lo0);
    _mm256_storeu_si256((__m256i *)h, hi0);
    int32_t lo = INT32_MAX, hi = INT32_MIN;
    for (int k = 0; k < 8; k++) {
        lo = l[k] < lo ? l[k] : lo;
        hi = h[k] > hi ? h[k] : hi;
    }
    vsr__f32_minmax_keys(x + i, n - i, &lo, &hi);
    vsr__f32_minmax_finish(lo, hi, out);
}
