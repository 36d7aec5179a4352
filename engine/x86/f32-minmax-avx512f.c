/*
 * Min and max of a float row with AVX-512F, bit-identical to the scalar
 * twin (tensor.c): the same order keys (engine_kernels.h), 32 values per
 * step in two pairs of int32 min/max accumulators, the tail through the
 * scalar keys.
 */
#include <immintrin.h>

#include "../engine_kernels.h"

static inline __m512i key16(__m512i b, __m512i m)
{
    return _mm512_xor_si512(b, _mm512_and_si512(_mm512_srai_epi32(b, 31), m));
}

void vsr_f32_minmax_ukernel__avx512f(const float *x, size_t n, float out[2])
{
    const __m512i m = _mm512_set1_epi32(0x7fffffff);
    __m512i lo0 = _mm512_set1_epi32(INT32_MAX), hi0 = _mm512_set1_epi32(INT32_MIN);
    __m512i lo1 = lo0, hi1 = hi0;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512i a = key16(_mm512_loadu_si512(x + i), m);
        __m512i b = key16(_mm512_loadu_si512(x + i + 16), m);
        lo0 = _mm512_min_epi32(lo0, a), hi0 = _mm512_max_epi32(hi0, a);
        lo1 = _mm512_min_epi32(lo1, b), hi1 = _mm512_max_epi32(hi1, b);
    }
    int32_t lo = _mm512_reduce_min_epi32(_mm512_min_epi32(lo0, lo1));
    int32_t hi = _mm512_reduce_max_epi32(_mm512_max_epi32(hi0, hi1));
    vsr__f32_minmax_keys(x + i, n - i, &lo, &hi);
    vsr__f32_minmax_finish(lo, hi, out);
}
