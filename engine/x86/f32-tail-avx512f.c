/*
 * The fused SR tail's rows (ops/fused.c) with AVX-512, the r output rows of an LR
 * row in one call. x4 RGB (r*C = 12): four LR pixels' 48 outputs of a row are three
 * full vectors, assembled by two-source lane permutations from the pixels' 12-value
 * loads, and stored whole (the earlier one masked 12-lane store per pixel ran at
 * about half the speed: 2.1 vs 1.0 ms for a 720p frame's rows, Zen 5). Other r*C
 * <= 16, and the last wi % 4 pixels: one pixel a masked vector. The C anchor values
 * are repeated r times by a lane permutation. FP32 adds and clamps with the scalar
 * twin's operations in its order (vmaxps / vminps return the second operand on
 * NaN, as the twin's comparisons do); INT8 (default requantization) computes the
 * composition with the twin's single-precision operations in its order, on six
 * vectors at a time op by op (one vector's ~15 dependent operations left the
 * scheduler idle: 0.48 -> 0.45 ms for a 720p frame's rows alone, Zen 5), and
 * without the two operations that cannot change a lean tail's result (vsr_tail_q:
 * 0.45 -> 0.40 ms). Wider pixels (r*C > 16, or C > 4 in INT8) take the scalar
 * twins. Same bits as vsr_*_tail*__scalar (tests/engine). The INT8 table lookup
 * (requant tflite) stays scalar: a 16-lane gather from the 256 KB table was slower
 * than it on Zen 5 (2.2 vs 2.0 ms per 720p frame).
 */
#include <immintrin.h>
#include <stdint.h>

#include "../engine_kernels.h"

static __m512i repeat_index(int c)
{
    int idx[16];
    for (int l = 0; l < 16; l++)
        idx[l] = l % c;
    return _mm512_loadu_si512(idx);
}

/* x4 RGB (r*C = 12): four LR pixels' 48 outputs of a row are three full vectors.
 * Rows 0-2 pick them from the pixels' 12-lane loads (lanes 16+ are the second
 * operand: pixels 0|1, 1|2, 2|3); rows 3-5 repeat the four pixels' 12 anchor
 * values r times. */
static const int32_t rgb4_idx[6][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 18, 19},
    {4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23},
    {8, 9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27},
    {0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 3, 4, 5, 3},
    {4, 5, 3, 4, 5, 3, 4, 5, 6, 7, 8, 6, 7, 8, 6, 7},
    {8, 6, 7, 8, 9, 10, 11, 9, 10, 11, 9, 10, 11, 9, 10, 11},
};
#define RGB4_IDX(k) _mm512_loadu_si512(rgb4_idx[k])

static inline __m512 clamp(__m512 v, __m512 lo, __m512 hi)
{
    return _mm512_min_ps(_mm512_max_ps(v, lo), hi);
}

void vsr_f32_tail__avx512f(const float *t, const float *x, float *o, int wi, int r, int c,
                           int ct, size_t os, float lo, float hi, int clip)
{
    int rc = r * c;
    if (rc > 16 || c < 1) {
        vsr_f32_tail__scalar(t, x, o, wi, r, c, ct, os, lo, hi, clip);
        return;
    }
    __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
    int w4 = 0;
    if (rc == 12 && c == 3) {
        const __m512i i01 = RGB4_IDX(0), i12 = RGB4_IDX(1), i23 = RGB4_IDX(2);
        const __m512i x0 = RGB4_IDX(3), x1 = RGB4_IDX(4), x2 = RGB4_IDX(5);
        for (; w4 + 4 <= wi; w4 += 4) {
            __m512 xv = _mm512_maskz_loadu_ps(0xfff, x + (size_t)w4 * 3);
            __m512 b0 = _mm512_permutexvar_ps(x0, xv), b1 = _mm512_permutexvar_ps(x1, xv);
            __m512 b2 = _mm512_permutexvar_ps(x2, xv);
            for (int i = 0; i < r; i++) {
                const float *p = t + (size_t)w4 * ct + i * 12;
                __m512 a0 = _mm512_maskz_loadu_ps(0xfff, p);
                __m512 a1 = _mm512_maskz_loadu_ps(0xfff, p + ct);
                __m512 a2 = _mm512_maskz_loadu_ps(0xfff, p + 2 * ct);
                __m512 a3 = _mm512_maskz_loadu_ps(0xfff, p + 3 * ct);
                __m512 v0 = _mm512_add_ps(_mm512_permutex2var_ps(a0, i01, a1), b0);
                __m512 v1 = _mm512_add_ps(_mm512_permutex2var_ps(a1, i12, a2), b1);
                __m512 v2 = _mm512_add_ps(_mm512_permutex2var_ps(a2, i23, a3), b2);
                if (clip)
                    v0 = clamp(v0, vlo, vhi), v1 = clamp(v1, vlo, vhi),
                    v2 = clamp(v2, vlo, vhi);
                float *q = o + (size_t)i * os + (size_t)w4 * 12;
                _mm512_storeu_ps(q, v0);
                _mm512_storeu_ps(q + 16, v1);
                _mm512_storeu_ps(q + 32, v2);
            }
        }
    }
    /* one pixel a vector: other r*C <= 16, and the last wi % 4 pixels of x4 RGB */
    __mmask16 m = (__mmask16)((1u << rc) - 1), mc = (__mmask16)((1u << c) - 1);
    __m512i rep = repeat_index(c);
    for (int i = 0; i < r; i++) {
        const float *tp = t + (size_t)i * rc;
        float *op = o + (size_t)i * os;
        for (int w = w4; w < wi; w++) {
            __m512 tv = _mm512_maskz_loadu_ps(m, tp + (size_t)w * ct);
            __m512 xv =
                _mm512_permutexvar_ps(rep, _mm512_maskz_loadu_ps(mc, x + (size_t)w * c));
            __m512 v = _mm512_add_ps(tv, xv);
            if (clip)
                v = clamp(v, vlo, vhi);
            _mm512_mask_storeu_ps(op + (size_t)w * rc, m, v);
        }
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

typedef struct tail_qv {
    __m512i zt;
    __m512 st, inv_a, za, sa, lo, hi, inv_c, zc, so, zo, rlo, rhi, dz;
    int clip, form; /* form: 0 the twin's operations; 1 the short form (small); 2 the
                       short form without the clip's final clamp (small, inside); 3
                       form 2 without the sum's clamp and the + dz (lean) */
} tail_qv;

enum { QCHUNK = 64 }; /* LR pixels whose anchor terms are looked up at once */

/*
 * tail_q16 on N vectors at once, each operation applied to all N before the next
 * (the same operations per lane, in the same order): one vector's ~15 dependent
 * operations (about 50 cycles of latency) leave the scheduler idle between
 * them; N chains side by side keep it fed. FORM and CLIP are constants here.
 */
static inline __attribute__((always_inline)) void tail_qn(const tail_qv *k, const __m512i *tv,
                                                          const __m512 *vb, __m512 *out,
                                                          const int N, const int FORM,
                                                          const int CLIP)
{
    __m512 v[8];
#pragma GCC unroll 8
    for (int n = 0; n < N; n++)
        v[n] = _mm512_mul_ps(k->st, _mm512_cvtepi32_ps(_mm512_sub_epi32(tv[n], k->zt)));
#pragma GCC unroll 8
    for (int n = 0; n < N; n++)
        v[n] = _mm512_add_ps(v[n], vb[n]);
    if (FORM) {
#pragma GCC unroll 8
        for (int n = 0; n < N; n++)
            v[n] = _mm512_roundscale_ps(_mm512_mul_ps(v[n], k->inv_a),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        if (FORM != 3) /* lean: sa * rlo <= lo and sa * rhi >= hi, so the clip's clamp
                          gives what it would give after this one */
#pragma GCC unroll 8
            for (int n = 0; n < N; n++)
                v[n] = clamp(v[n], k->rlo, k->rhi);
        if (CLIP) {
#pragma GCC unroll 8
            for (int n = 0; n < N; n++)
                v[n] = clamp(_mm512_mul_ps(k->sa, v[n]), k->lo, k->hi);
#pragma GCC unroll 8
            for (int n = 0; n < N; n++)
                v[n] = _mm512_roundscale_ps(_mm512_mul_ps(v[n], k->inv_c),
                                            _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
            if (FORM == 1)
#pragma GCC unroll 8
                for (int n = 0; n < N; n++)
                    v[n] = _mm512_sub_ps(clamp(_mm512_add_ps(v[n], k->zc),
                                               _mm512_set1_ps(-128.f), _mm512_set1_ps(127.f)),
                                         k->zc);
        }
        if (FORM == 3) /* lean: dz = 0 and the result is +0 or positive (lo >= +0) */
#pragma GCC unroll 8
            for (int n = 0; n < N; n++)
                out[n] = _mm512_mul_ps(k->so, v[n]);
        else
#pragma GCC unroll 8
            for (int n = 0; n < N; n++)
                out[n] = _mm512_mul_ps(k->so, _mm512_add_ps(v[n], k->dz));
        return;
    }
#pragma GCC unroll 8
    for (int n = 0; n < N; n++)
        v[n] = quantize(v[n], k->inv_a, k->za);
    if (CLIP)
#pragma GCC unroll 8
        for (int n = 0; n < N; n++)
            v[n] =
                quantize(clamp(_mm512_mul_ps(k->sa, _mm512_sub_ps(v[n], k->za)), k->lo, k->hi),
                         k->inv_c, k->zc);
#pragma GCC unroll 8
    for (int n = 0; n < N; n++)
        out[n] = _mm512_mul_ps(k->so, _mm512_sub_ps(v[n], k->zo));
}

/* stmt with FORM and CLIP enum constants equal to k->form and k->clip (forms 2 and 3
 * have a clip): one instance per combination, for the loops over tail_qn */
#define TAIL_CONST(k, stmt)                                                                    \
    do {                                                                                       \
        if ((k)->form == 3) {                                                                  \
            enum { FORM = 3, CLIP = 1 };                                                       \
            stmt;                                                                              \
        } else if ((k)->form == 2) {                                                           \
            enum { FORM = 2, CLIP = 1 };                                                       \
            stmt;                                                                              \
        } else if ((k)->form == 1 && (k)->clip) {                                              \
            enum { FORM = 1, CLIP = 1 };                                                       \
            stmt;                                                                              \
        } else if ((k)->form == 1) {                                                           \
            enum { FORM = 1, CLIP = 0 };                                                       \
            stmt;                                                                              \
        } else if ((k)->clip) {                                                                \
            enum { FORM = 0, CLIP = 1 };                                                       \
            stmt;                                                                              \
        } else {                                                                               \
            enum { FORM = 0, CLIP = 0 };                                                       \
            stmt;                                                                              \
        }                                                                                      \
    } while (0)

/* The composition on 16 lanes of q_t (int32) with their anchor terms vb. */
static inline __m512 tail_q16(const tail_qv *k, __m512i tv, __m512 vb)
{
    __m512 out;
    TAIL_CONST(k, tail_qn(k, &tv, &vb, &out, 1, FORM, CLIP));
    return out;
}

/* G groups of 4 LR pixels of one output row (x4 RGB): their 48 G outputs from the
 * conv's rows at p (pixel stride ct) and the anchor terms at vbp, stored at d */
static inline __attribute__((always_inline)) void
rgb4_step(const tail_qv *k, const __m512i *ix, const int8_t *p, int ct, const float *vbp,
          float *d, const int G, const int FORM, const int CLIP)
{
    __m512i tv[6];
    __m512 vv[6], out[6];
#pragma GCC unroll 2
    for (int g = 0; g < G; g++) {
        __m512i a[4];
#pragma GCC unroll 4
        for (int j = 0; j < 4; j++)
            a[j] = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(0xfff, p + (4 * g + j) * ct));
        __m512 xv = _mm512_maskz_loadu_ps(0xfff, vbp + 12 * g);
#pragma GCC unroll 3
        for (int j = 0; j < 3; j++) {
            tv[3 * g + j] = _mm512_permutex2var_epi32(a[j], ix[j], a[j + 1]);
            vv[3 * g + j] = _mm512_permutexvar_ps(ix[3 + j], xv);
        }
    }
    tail_qn(k, tv, vv, out, 3 * G, FORM, CLIP);
#pragma GCC unroll 6
    for (int j = 0; j < 3 * G; j++)
        _mm512_storeu_ps(d + 16 * j, out[j]);
}

/* x4 RGB (r*C = 12): the whole groups of 4 pixels of the r rows, 8 pixels (six
 * vectors) at a time; returns the first pixel left. */
static inline __attribute__((always_inline)) int
rgb4_rows(const tail_qv *kp, const vsr_tail_q *q, const int8_t *t, const int8_t *x, float *o,
          int wi, int r, int ct, size_t os, const int FORM, const int CLIP)
{
    const tail_qv k = *kp;
    const __m512i ix[6] = {RGB4_IDX(0), RGB4_IDX(1), RGB4_IDX(2),
                           RGB4_IDX(3), RGB4_IDX(4), RGB4_IDX(5)};
    /* the anchor terms of a chunk of pixels, looked up once for the r rows (scalar
     * loads: Zen 5's gathers are slower; read back after the chunk's stores retire) */
    float vb[QCHUNK * 3];
    int w4 = 0;
    for (int w0 = 0; w0 + 4 <= wi; w0 += QCHUNK) {
        int n = (wi - w0 < QCHUNK ? wi - w0 : QCHUNK) & ~3;
        for (int l = 0; l < n * 3; l++)
            vb[l] = q->vb[x[(size_t)w0 * 3 + l] + 128];
        for (int i = 0; i < r; i++) {
            int w = 0;
            for (; w + 8 <= n; w += 8)
                rgb4_step(&k, ix, t + (size_t)(w0 + w) * ct + i * 12, ct, vb + w * 3,
                          o + (size_t)i * os + (size_t)(w0 + w) * 12, 2, FORM, CLIP);
            for (; w < n; w += 4)
                rgb4_step(&k, ix, t + (size_t)(w0 + w) * ct + i * 12, ct, vb + w * 3,
                          o + (size_t)i * os + (size_t)(w0 + w) * 12, 1, FORM, CLIP);
        }
        w4 = w0 + n;
    }
    return w4;
}

void vsr_qs8_tail_q__avx512f(const int8_t *t, const int8_t *x, float *o, int wi, int r, int c,
                             int ct, size_t os, const vsr_tail_q *q)
{
    int rc = r * c;
    if (rc > 16 || c < 1 || c > 4) {
        vsr_qs8_tail_q__scalar(t, x, o, wi, r, c, ct, os, q);
        return;
    }
    tail_qv k = {_mm512_set1_epi32(q->zt),
                 _mm512_set1_ps(q->st),
                 _mm512_set1_ps(q->inv_a),
                 _mm512_set1_ps((float)q->za),
                 _mm512_set1_ps(q->sa),
                 _mm512_set1_ps(q->lo),
                 _mm512_set1_ps(q->hi),
                 _mm512_set1_ps(q->inv_c),
                 _mm512_set1_ps((float)q->zc),
                 _mm512_set1_ps(q->so),
                 _mm512_set1_ps((float)q->zo),
                 _mm512_set1_ps(q->rlo),
                 _mm512_set1_ps(q->rhi),
                 _mm512_set1_ps(q->dz),
                 q->clip,
                 q->small ? (q->clip && q->inside ? (q->lean ? 3 : 2) : 1) : 0};
    int w4 = 0;
    if (rc == 12 && c == 3)
        TAIL_CONST(&k, w4 = rgb4_rows(&k, q, t, x, o, wi, r, ct, os, FORM, CLIP));
    /* one pixel a vector: other r*C <= 16, and the last wi % 4 pixels of x4 RGB */
    __mmask16 m = (__mmask16)((1u << rc) - 1);
    __m512i rep = repeat_index(c);
    for (int i = 0; i < r; i++) {
        const int8_t *tp = t + (size_t)i * rc;
        float *op = o + (size_t)i * os;
        for (int w = w4; w < wi; w++) {
            __m512i tv = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, tp + (size_t)w * ct));
            /* the pixel's c anchor terms, repeated r times: scalar loads into a register
             * (a vector load of scalar stores stalls on store forwarding) */
            const int8_t *xs = x + (size_t)w * c;
            __m128 v4 =
                _mm_setr_ps(q->vb[xs[0] + 128], c > 1 ? q->vb[xs[1] + 128] : 0.f,
                            c > 2 ? q->vb[xs[2] + 128] : 0.f, c > 3 ? q->vb[xs[3] + 128] : 0.f);
            __m512 vb = _mm512_permutexvar_ps(rep, _mm512_castps128_ps512(v4));
            _mm512_mask_storeu_ps(op + (size_t)w * rc, m, tail_q16(&k, tv, vb));
        }
    }
}
