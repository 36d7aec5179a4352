/*
 * 256-entry int8 table lookup with AVX2, identical to the scalar twin
 * (tensor.c): dst[i] = lut[(uint8_t)(src[i] ^ 0x80)].
 *
 * vpshufb looks up 16 entries per lane and gives 0 when the index has bit 7
 * set. The table is cut into 16 rows T_k = lut[16k .. 16k + 15]; the rows
 * are XOR-chained, D_k = T_k ^ T_(k-1) within each half, so that XOR-ing the
 * lookups of D_0 .. D_h gives T_h. For the low half (u = index < 128) the
 * index u - 16k (signed saturating) stays non-negative exactly for k <= h;
 * for u >= 128 it is negative from the start and every lookup gives 0. The
 * high half does the same on u ^ 0x80 (the int8 value itself).
 */
#include <immintrin.h>

#include "../engine_kernels.h"

void vsr_u8_lut_ukernel__avx2(const int8_t *src, int8_t *dst, size_t n, const int8_t *lut)
{
    __m256i d[16];
    for (int k = 0; k < 16; k++) {
        __m128i t = _mm_loadu_si128((const __m128i *)(lut + 16 * k));
        if (k % 8)
            t = _mm_xor_si128(t, _mm_loadu_si128((const __m128i *)(lut + 16 * (k - 1))));
        d[k] = _mm256_broadcastsi128_si256(t);
    }
    const __m256i v16 = _mm256_set1_epi8(16), v80 = _mm256_set1_epi8((char)0x80);
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i x = _mm256_loadu_si256((const __m256i *)(src + i));
        __m256i lo = _mm256_xor_si256(x, v80); /* u: >= 0 as int8 when u < 128 */
        __m256i hi = x;                        /* u - 128: >= 0 when u >= 128 */
        __m256i r = _mm256_shuffle_epi8(d[0], lo);
        r = _mm256_xor_si256(r, _mm256_shuffle_epi8(d[8], hi));
        for (int k = 1; k < 8; k++) {
            lo = _mm256_subs_epi8(lo, v16);
            hi = _mm256_subs_epi8(hi, v16);
            r = _mm256_xor_si256(r, _mm256_shuffle_epi8(d[k], lo));
            r = _mm256_xor_si256(r, _mm256_shuffle_epi8(d[8 + k], hi));
        }
        _mm256_storeu_si256((__m256i *)(dst + i), r);
    }
    vsr_u8_lut_ukernel__scalar(src + i, dst + i, n - i, lut);
}
