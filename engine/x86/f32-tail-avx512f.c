/*
 * The fused SR tail's output rows (ops/fused.c) with AVX-512: one LR pixel's
 * r*C outputs of an output row (12 for x4 RGB) are one masked vector: the
 * r*C t values are contiguous, the C anchor values are repeated r times by a
 * lane permutation. FP32 adds and clamps with the scalar twin's operations in
 * its order (vmaxps / vminps return the second operand on NaN, as the
 * twin's comparisons do); INT8 (default requantization) computes the
 * composition with the twin's single-precision operations in its order.
 * Wider pixels (r*C > 16, or C > 4 in INT8) take the scalar twins. Same bits as
 * vsr_*_tail*__scalar (tests/engine). The INT8 table lookup (requant tflite)
 * stays scalar: a 16-lane gather from the 256 KB table was slower than it on
 * Zen 5 (2.2 vs 2.0 ms per 720p frame).
 */
#include <immintrin.h>

#include "../engine_kernels.h"

static __m512i repeat_index(int c)
{
    int idx[16];
    for (int l = 0; l < 16; l++)
        idx[l] = l % c;
    return _mm512_loadu_si512(idx);
}

void vsr_f32_tail__avx512f(const float *t, const float *x, float *o, int wi, int r, int c,
                           int ct, int i, float lo, float hi, int clip)
{
    int rc = r * c;
    if (rc > 16 || c < 1) {
        vsr_f32_tail__scalar(t, x, o, wi, r, c, ct, i, lo, hi, clip);
        return;
    }
    __mmask16 m = (__mmask16)((1u << rc) - 1), mc = (__mmask16)((1u << c) - 1);
    __m512i rep = repeat_index(c);
    __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
    const float *tp = t + (size_t)i * rc;
    for (int w = 0; w < wi; w++) {
        __m512 tv = _mm512_maskz_loadu_ps(m, tp + (size_t)w * ct);
        __m512 xv = _mm512_permutexvar_ps(rep, _mm512_maskz_loadu_ps(mc, x + (size_t)w * c));
        __m512 v = _mm512_add_ps(tv, xv);
        if (clip)
            v = _mm512_min_ps(_mm512_max_ps(v, vlo), vhi);
        _mm512_mask_storeu_ps(o + (size_t)w * rc, m, v);
    }
}

/* vsr__quantize1 on a vector, kept as float: round to nearest even, + zp, clamp
 * to [-128, 127] with NaN -> -128 (vmaxps returns its second operand on NaN). */
static inline __m512 quantize(__m512 v, __m512 inv, __m512 zp)
{
    __m512 q =
        _mm512_add_ps(_mm512_roundscale_ps(_mm512_mul_ps(v, inv),
                                           _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC),
                      zp);
    return _mm512_min_ps(_mm512_max_ps(q, _mm512_set1_ps(-128.f)), _mm512_set1_ps(127.f));
}

void vsr_qs8_tail_q__avx512f(const int8_t *t, const int8_t *x, float *o, int wi, int r, int c,
                             int ct, int i, const vsr_tail_q *q)
{
    int rc = r * c;
    if (rc > 16 || c < 1 || c > 4) {
        vsr_qs8_tail_q__scalar(t, x, o, wi, r, c, ct, i, q);
        return;
    }
    __mmask16 m = (__mmask16)((1u << rc) - 1);
    __m512i rep = repeat_index(c);
    __m512i zt = _mm512_set1_epi32(q->zt);
    __m512 st = _mm512_set1_ps(q->st), inv_a = _mm512_set1_ps(q->inv_a);
    __m512 za = _mm512_set1_ps((float)q->za), sa = _mm512_set1_ps(q->sa);
    __m512 lo = _mm512_set1_ps(q->lo), hi = _mm512_set1_ps(q->hi);
    __m512 inv_c = _mm512_set1_ps(q->inv_c), zc = _mm512_set1_ps((float)q->zc);
    __m512 so = _mm512_set1_ps(q->so), zo = _mm512_set1_ps((float)q->zo);
    const int8_t *tp = t + (size_t)i * rc;
    for (int w = 0; w < wi; w++) {
        __m512i tv = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, tp + (size_t)w * ct));
        /* the anchor term of the pixel's c channels, repeated r times: scalar loads
         * into a register (Zen 5's gathers are slower than the whole scalar tail, and
         * a vector load of scalar stores stalls on store forwarding) */
        const int8_t *xs = x + (size_t)w * c;
        __m128 v4 =
            _mm_setr_ps(q->vb[xs[0] + 128], c > 1 ? q->vb[xs[1] + 128] : 0.f,
                        c > 2 ? q->vb[xs[2] + 128] : 0.f, c > 3 ? q->vb[xs[3] + 128] : 0.f);
        __m512 vb = _mm512_permutexvar_ps(rep, _mm512_castps128_ps512(v4));
        /* (float)(q_t - zt) and (float)(q - zp): exact small integers either way */
        __m512 va = _mm512_mul_ps(st, _mm512_cvtepi32_ps(_mm512_sub_epi32(tv, zt)));
        __m512 v = quantize(_mm512_add_ps(va, vb), inv_a, za);
        if (q->clip) {
            __m512 d = _mm512_mul_ps(sa, _mm512_sub_ps(v, za));
            d = _mm512_min_ps(_mm512_max_ps(d, lo), hi);
            v = quantize(d, inv_c, zc);
        }
        _mm512_mask_storeu_ps(o + (size_t)w * rc, m, _mm512_mul_ps(so, _mm512_sub_ps(v, zo)));
    }
}
