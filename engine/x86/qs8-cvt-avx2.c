/*
 * int8 <-> binary32 rows with AVX2, bit-identical to the scalar twins in
 * tensor.c: dequantize scale * (float)(q - zp) (one rounding, the same
 * product); quantize v * inv, round to nearest even, + zp, saturate to
 * [-128, 127] with NaN -> -128 (vsr__quantize1_fast). The vector rounding
 * (vroundps) equals the scalar 1.5 * 2^23 trick for |x| < 2^22, and both
 * saturate every larger |x|; vmaxps returns its second operand (-128) for NaN.
 */
#include <immintrin.h>

#include "../engine_kernels.h"

void vsr_qs8_f32_cvt__avx2(const int8_t *src, float *dst, size_t n, float scale, int zp)
{
    const __m256 vs = _mm256_set1_ps(scale);
    const __m256i vz = _mm256_set1_epi32(zp);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m128i q = _mm_loadu_si128((const __m128i *)(src + i));
        __m256i a = _mm256_sub_epi32(_mm256_cvtepi8_epi32(q), vz);
        __m256i b = _mm256_sub_epi32(_mm256_cvtepi8_epi32(_mm_srli_si128(q, 8)), vz);
        _mm256_storeu_ps(dst + i, _mm256_mul_ps(vs, _mm256_cvtepi32_ps(a)));
        _mm256_storeu_ps(dst + i + 8, _mm256_mul_ps(vs, _mm256_cvtepi32_ps(b)));
    }
    vsr_qs8_f32_cvt__scalar(src + i, dst + i, n - i, scale, zp);
}

static inline __m256i quant8(__m256 v, __m256 vinv, __m256 vz)
{
    __m256 x =
        _mm256_round_ps(_mm256_mul_ps(v, vinv), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 q = _mm256_add_ps(x, vz);
    q = _mm256_max_ps(q, _mm256_set1_ps(-128.f)); /* NaN -> -128 */
    q = _mm256_min_ps(q, _mm256_set1_ps(127.f));
    return _mm256_cvtps_epi32(q); /* integral already: exact */
}

void vsr_f32_qs8_cvt__avx2(const float *src, int8_t *dst, size_t n, float inv_scale, int zp)
{
    const __m256 vinv = _mm256_set1_ps(inv_scale), vz = _mm256_set1_ps((float)zp);
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i a = quant8(_mm256_loadu_ps(src + i), vinv, vz);
        __m256i b = quant8(_mm256_loadu_ps(src + i + 8), vinv, vz);
        __m256i c = quant8(_mm256_loadu_ps(src + i + 16), vinv, vz);
        __m256i d = quant8(_mm256_loadu_ps(src + i + 24), vinv, vz);
        /* packs work per 128-bit lane: ab = a0 b0 a1 b1, cd = c0 d0 c1 d1 (int16) */
        __m256i ab = _mm256_packs_epi32(a, b), cd = _mm256_packs_epi32(c, d);
        __m256i r = _mm256_packs_epi16(ab, cd); /* a0 b0 c0 d0 a1 b1 c1 d1 */
        r = _mm256_permutevar8x32_epi32(r, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
        _mm256_storeu_si256((__m256i *)(dst + i), r);
    }
    vsr_f32_qs8_cvt__scalar(src + i, dst + i, n - i, inv_scale, zp);
}
