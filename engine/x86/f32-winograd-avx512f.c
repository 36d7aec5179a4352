/*
 * Winograd F(2,3) / F(4,3) input and output transforms, 16 channels per zmm
 * (masked tail). Scalar twins: vsr_f32_wino_in__scalar / _out__scalar in
 * ops/winograd.c, the same products and sums in the same order (row
 * combinations c_k * x_k summed left to right over the nonzero c_k; the
 * matrices are compile-time constants here, so the zero terms vanish and
 * +-1 products become copies / negations, exact either way).
 */
#include <immintrin.h>

#include "../engine_kernels.h"

static const float bt2[16] = VSR_WINO_BT2, bt4[36] = VSR_WINO_BT4;
static const float at2[8] = VSR_WINO_AT2, at4[24] = VSR_WINO_AT4;

/* sum over k of row[k] * x[k], nonzero row[k] only, left to right */
static inline __attribute__((always_inline)) __m512 comb(const float *row, const int n,
                                                         const __m512 *x)
{
    __m512 acc = _mm512_setzero_ps();
    int first = 1;
#pragma GCC unroll 6
    for (int k = 0; k < n; k++) {
        if (row[k] == 0.f)
            continue;
        __m512 term = _mm512_mul_ps(_mm512_set1_ps(row[k]), x[k]);
        acc = first ? term : _mm512_add_ps(acc, term);
        first = 0;
    }
    return acc;
}

/* F(4,3) in factored form, as in4_1d / out4_1d of ops/winograd.c */
static inline __attribute__((always_inline)) void in4(const __m512 *d, __m512 *t)
{
    const __m512 k2 = _mm512_set1_ps(2.f), k4 = _mm512_set1_ps(4.f), k5 = _mm512_set1_ps(5.f);
    __m512 d42 = _mm512_sub_ps(d[4], d[2]), d31 = _mm512_mul_ps(k2, _mm512_sub_ps(d[3], d[1]));
    t[0] = _mm512_sub_ps(_mm512_add_ps(d[4], _mm512_mul_ps(k4, d[0])), _mm512_mul_ps(k5, d[2]));
    t[1] =
        _mm512_sub_ps(_mm512_add_ps(d[4], d[3]), _mm512_mul_ps(k4, _mm512_add_ps(d[1], d[2])));
    t[2] =
        _mm512_add_ps(_mm512_sub_ps(d[4], d[3]), _mm512_mul_ps(k4, _mm512_sub_ps(d[1], d[2])));
    t[3] = _mm512_add_ps(d42, d31);
    t[4] = _mm512_sub_ps(d42, d31);
    t[5] = _mm512_sub_ps(_mm512_add_ps(d[5], _mm512_mul_ps(k4, d[1])), _mm512_mul_ps(k5, d[3]));
}

static inline __attribute__((always_inline)) void out4(const __m512 *m, __m512 *y)
{
    __m512 s12 = _mm512_add_ps(m[1], m[2]), d12 = _mm512_sub_ps(m[1], m[2]);
    __m512 s34 = _mm512_add_ps(m[3], m[4]), d34 = _mm512_sub_ps(m[3], m[4]);
    y[0] = _mm512_add_ps(_mm512_add_ps(m[0], s12), s34);
    y[1] = _mm512_add_ps(d12, _mm512_mul_ps(_mm512_set1_ps(2.f), d34));
    y[2] = _mm512_add_ps(s12, _mm512_mul_ps(_mm512_set1_ps(4.f), s34));
    y[3] = _mm512_add_ps(_mm512_add_ps(d12, _mm512_mul_ps(_mm512_set1_ps(8.f), d34)), m[5]);
}

static inline __attribute__((always_inline)) void in_t(const int M, const float *bt,
                                                       const float *in, ptrdiff_t in_row,
                                                       int cin, int nt, float *v, size_t v_xi)
{
    const int A = M + 2;
    for (int t = 0; t < nt; t++)
        for (int c0 = 0; c0 < cin; c0 += 16) {
            __mmask16 k =
                cin - c0 >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (cin - c0)) - 1);
            const float *ip = in + ((ptrdiff_t)t * M) * cin + c0;
            __m512 tmp[6][6];
#pragma GCC unroll 6
            for (int c = 0; c < A; c++) { /* tmp = B^T d, column by column */
                __m512 d[6];
#pragma GCC unroll 6
                for (int r = 0; r < A; r++)
                    d[r] = _mm512_maskz_loadu_ps(k, ip + r * in_row + (ptrdiff_t)c * cin);
                __m512 col[6];
                if (M == 4)
                    in4(d, col);
#pragma GCC unroll 6
                for (int i = 0; i < A; i++)
                    tmp[i][c] = M == 4 ? col[i] : comb(bt + i * A, A, d);
            }
            float *vp = v + (size_t)t * cin + (size_t)c0;
#pragma GCC unroll 6
            for (int i = 0; i < A; i++) { /* v = tmp B */
                __m512 row[6];
                if (M == 4)
                    in4(tmp[i], row);
#pragma GCC unroll 6
                for (int j = 0; j < A; j++)
                    _mm512_mask_storeu_ps(vp + (size_t)(i * A + j) * v_xi, k,
                                          M == 4 ? row[j] : comb(bt + j * A, A, tmp[i]));
            }
        }
}

void vsr_f32_wino_in__avx512f(int m, const float *in, ptrdiff_t in_row, int cin, int nt,
                              float *v, size_t v_xi)
{
    if (m == 2)
        in_t(2, bt2, in, in_row, cin, nt, v, v_xi);
    else
        in_t(4, bt4, in, in_row, cin, nt, v, v_xi);
}

static inline __attribute__((always_inline)) void
out_t(const int M, const float *at, const float *mm, size_t m_xi, int cout, int nt,
      const float *bias, float minv, float maxv, float *out, ptrdiff_t out_row)
{
    const int A = M + 2;
    __m512 vmin = _mm512_set1_ps(minv), vmax = _mm512_set1_ps(maxv);
    for (int t = 0; t < nt; t++)
        for (int c0 = 0; c0 < cout; c0 += 16) {
            __mmask16 k =
                cout - c0 >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (cout - c0)) - 1);
            const float *mp = mm + (size_t)t * cout + (size_t)c0;
            __m512 b = _mm512_maskz_loadu_ps(k, bias + c0);
            __m512 tmp[4][6];
#pragma GCC unroll 6
            for (int c = 0; c < A; c++) { /* tmp = A^T M */
                __m512 x[6];
#pragma GCC unroll 6
                for (int r = 0; r < A; r++)
                    x[r] = _mm512_maskz_loadu_ps(k, mp + (size_t)(r * A + c) * m_xi);
                __m512 col[4];
                if (M == 4)
                    out4(x, col);
#pragma GCC unroll 4
                for (int i = 0; i < M; i++)
                    tmp[i][c] = M == 4 ? col[i] : comb(at + i * A, A, x);
            }
            float *op = out + ((ptrdiff_t)t * M) * cout + c0;
#pragma GCC unroll 4
            for (int i = 0; i < M; i++) { /* y = tmp A + b */
                __m512 row[4];
                if (M == 4)
                    out4(tmp[i], row);
#pragma GCC unroll 4
                for (int j = 0; j < M; j++) {
                    __m512 y = _mm512_add_ps(M == 4 ? row[j] : comb(at + j * A, A, tmp[i]), b);
                    y = _mm512_min_ps(_mm512_max_ps(y, vmin), vmax);
                    _mm512_mask_storeu_ps(op + i * out_row + (ptrdiff_t)j * cout, k, y);
                }
            }
        }
}

void vsr_f32_wino_out__avx512f(int m, const float *mm, size_t m_xi, int cout, int nt,
                               const float *bias, float minv, float maxv, float *out,
                               ptrdiff_t out_row)
{
    if (m == 2)
        out_t(2, at2, mm, m_xi, cout, nt, bias, minv, maxv, out, out_row);
    else
        out_t(4, at4, mm, m_xi, cout, nt, bias, minv, maxv, out, out_row);
}
