/* binary16 <-> binary32 rows with F16C (round to nearest even, like the scalar twins). */
#include <immintrin.h>

#include "../engine_kernels.h"
#include "vsr/engine.h" /* the scalar binary16 conversions */

void vsr_f16_f32_cvt__f16c(const uint16_t *src, float *dst, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(src + i))));
    for (; i < n; i++)
        dst[i] = vsr_f16_to_f32(src[i]);
}

void vsr_f32_f16_cvt__f16c(const float *src, uint16_t *dst, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(dst + i),
                         _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++)
        dst[i] = vsr_f32_to_f16(src[i]);
}
