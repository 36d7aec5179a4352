/*
 * The trainer's FP32 convolution kernels with AVX2 (8 lanes), for dense
 * convs of up to 64 channels:
 *   forward   NP output pixels x up to 32 output channels per register
 *             block (NP = 6, 4, 3, 2 for 8, 16, 24, 32 channels);
 *   dW        CB input channels x up to 32 output channels per block,
 *             accumulated over every output pixel of one tap;
 *   dX        NP input pixels x up to 32 input channels (stride 1), from
 *             the weights transposed to [ky][kx][k][ci].
 * Wider layers run in chunks of 32 channels.
 *
 * Bit-identical to the scalar twins in exec_impl.h: each output element is
 * accumulated in the contract's order (conv_internal.h) with a separate
 * multiply and add; vectors run across channels, whose sums are
 * independent, and the blocks only reorder loops around the element. The
 * file is compiled with -ffp-contract=off and without -mfma.
 */
#include <immintrin.h>
#include <stddef.h>

#include "../conv_internal.h"

#define AI static inline __attribute__((always_inline))
#define CHUNK 4 /* vectors (32 channels) per register block */

/* Lanes [0, n) of a vector (n in 1..8). */
static __m256i lane_mask(int n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* Vector v of a block of nv: the last one may be partial (mask tm). */
AI __m256 ld(const float *p, int v, int nv, __m256i tm)
{
    return v == nv - 1 ? _mm256_maskload_ps(p, tm) : _mm256_loadu_ps(p);
}
AI void st(float *p, int v, int nv, __m256i tm, __m256 x)
{
    if (v == nv - 1)
        _mm256_maskstore_ps(p, tm, x);
    else
        _mm256_storeu_ps(p, x);
}

/* [lo, hi): the o in [0, n) with 0 <= o * s + off < lim. */
static void valid_range(int n, int s, int off, int lim, int *lo, int *hi)
{
    int a = 0, b = n;
    while (a < b && a * s + off < 0)
        a++;
    while (b > a && (b - 1) * s + off >= lim)
        b--;
    *lo = a, *hi = b;
}

/* Channels [c0, c0 + 32 * CHUNK) of n: vectors in the block and the last one's mask. */
static int chunk(int n, int c0, __m256i *tm)
{
    int left = n - c0 > 8 * CHUNK ? 8 * CHUNK : n - c0;
    *tm = lane_mask(left % 8 ? left % 8 : 8);
    return (left + 7) / 8;
}

#define NPMAX 6

/* ---- forward ---------------------------------------------------------- */

AI void fwd_pixels(const tr_convg *g, const float *in, const float *w, const float *b,
                   float *out, int oy, int ox, int c0, const int NP, const int NV, __m256i tm,
                   int edge)
{
    const int C = g->C, CO = g->CO;
    __m256 acc[NPMAX][CHUNK];
    for (int v = 0; v < NV; v++) {
        __m256 bv = b ? ld(b + c0 + 8 * v, v, NV, tm) : _mm256_setzero_ps();
        for (int p = 0; p < NP; p++)
            acc[p][v] = bv;
    }
    const size_t xs = (size_t)g->s * C;
    for (int ky = 0; ky < g->kh; ky++) {
        int iy = oy * g->s - g->pt + ky * g->d;
        if (iy < 0 || iy >= g->H)
            continue;
        const float *row = in + (size_t)iy * g->W * C;
        for (int kx = 0; kx < g->kw; kx++) {
            int ix = ox * g->s - g->pl + kx * g->d;
            if (edge && (ix < 0 || ix >= g->W))
                continue;
            const float *x0 = row + (ptrdiff_t)ix * C;
            const float *wk = w + (size_t)(ky * g->kw + kx) * C * CO + c0;
            for (int ci = 0; ci < C; ci++) {
                __m256 wv[CHUNK];
                for (int v = 0; v < NV; v++)
                    wv[v] = ld(wk + (size_t)ci * CO + 8 * v, v, NV, tm);
                for (int p = 0; p < NP; p++) {
                    __m256 xb = _mm256_broadcast_ss(x0 + p * xs + ci);
                    for (int v = 0; v < NV; v++)
                        acc[p][v] = _mm256_add_ps(acc[p][v], _mm256_mul_ps(xb, wv[v]));
                }
            }
        }
    }
    for (int p = 0; p < NP; p++)
        for (int v = 0; v < NV; v++)
            st(out + ((size_t)oy * g->OW + ox + p) * CO + c0 + 8 * v, v, NV, tm, acc[p][v]);
}

AI void fwd_chunk(const tr_convg *g, const float *in, const float *w, const float *b,
                  float *out, int oy, int lo, int hi, int c0, const int NP, const int NV,
                  __m256i tm)
{
    int ox = 0;
    for (; ox < lo; ox++)
        fwd_pixels(g, in, w, b, out, oy, ox, c0, 1, NV, tm, 1);
    for (; ox + NP <= hi; ox += NP)
        fwd_pixels(g, in, w, b, out, oy, ox, c0, NP, NV, tm, 0);
    for (; ox < g->OW; ox++)
        fwd_pixels(g, in, w, b, out, oy, ox, c0, 1, NV, tm, 1);
}

void vsr_train_f32_conv_fwd_nx32__avx2(const tr_convg *g, const float *in, const float *w,
                                       const float *b, float *out)
{
    /* ox whose taps all fall inside the input */
    int lo, hi;
    valid_range(g->OW, g->s, -g->pl, g->W - (g->kw - 1) * g->d, &lo, &hi);
    for (int oy = 0; oy < g->OH; oy++)
        for (int c0 = 0; c0 < g->CO; c0 += 8 * CHUNK) {
            __m256i tm;
            switch (chunk(g->CO, c0, &tm)) {
            case 1:
                fwd_chunk(g, in, w, b, out, oy, lo, hi, c0, 6, 1, tm);
                break;
            case 2:
                fwd_chunk(g, in, w, b, out, oy, lo, hi, c0, 4, 2, tm);
                break;
            case 3:
                fwd_chunk(g, in, w, b, out, oy, lo, hi, c0, 3, 3, tm);
                break;
            default:
                fwd_chunk(g, in, w, b, out, oy, lo, hi, c0, 2, 4, tm);
                break;
            }
        }
}

/* ---- weight gradient -------------------------------------------------- */

#define CBMAX 4

/* dw[tap][ci0 .. ci0 + CB)[c0 ..] over the valid output pixels of the tap. */
AI void bwdw_block(const tr_convg *g, const float *in, const float *dy, float *dwr, int ci0,
                   int c0, int ky, int kx, int oy0, int oy1, int ox0, int ox1, const int CB,
                   const int NV, __m256i tm)
{
    const int C = g->C, CO = g->CO;
    __m256 acc[CBMAX][CHUNK];
    for (int c = 0; c < CB; c++)
        for (int v = 0; v < NV; v++)
            acc[c][v] = ld(dwr + (size_t)c * CO + c0 + 8 * v, v, NV, tm);
    for (int oy = oy0; oy < oy1; oy++) {
        int iy = oy * g->s - g->pt + ky * g->d;
        const float *xrow = in + (size_t)iy * g->W * C + ci0;
        const float *drow = dy + (size_t)oy * g->OW * CO + c0;
        for (int ox = ox0; ox < ox1; ox++) {
            const float *xp = xrow + (size_t)(ox * g->s - g->pl + kx * g->d) * C;
            const float *dp = drow + (size_t)ox * CO;
            __m256 dv[CHUNK];
            for (int v = 0; v < NV; v++)
                dv[v] = ld(dp + 8 * v, v, NV, tm);
            for (int c = 0; c < CB; c++) {
                __m256 xb = _mm256_broadcast_ss(xp + c);
                for (int v = 0; v < NV; v++)
                    acc[c][v] = _mm256_add_ps(acc[c][v], _mm256_mul_ps(xb, dv[v]));
            }
        }
    }
    for (int c = 0; c < CB; c++)
        for (int v = 0; v < NV; v++)
            st(dwr + (size_t)c * CO + c0 + 8 * v, v, NV, tm, acc[c][v]);
}

AI void bwdw_tap(const tr_convg *g, const float *in, const float *dy, float *dwt, int c0,
                 int ky, int kx, int oy0, int oy1, int ox0, int ox1, const int CB, const int NV,
                 __m256i tm)
{
    int ci = 0;
    for (; ci + CB <= g->C; ci += CB)
        bwdw_block(g, in, dy, dwt + (size_t)ci * g->CO, ci, c0, ky, kx, oy0, oy1, ox0, ox1, CB,
                   NV, tm);
    for (; ci < g->C; ci++)
        bwdw_block(g, in, dy, dwt + (size_t)ci * g->CO, ci, c0, ky, kx, oy0, oy1, ox0, ox1, 1,
                   NV, tm);
}

AI void bias_chunk(const tr_convg *g, const float *dy, float *db, int c0, const int NV,
                   __m256i tm)
{
    __m256 acc[CHUNK];
    for (int v = 0; v < NV; v++)
        acc[v] = ld(db + c0 + 8 * v, v, NV, tm);
    for (size_t px = 0; px < (size_t)g->OH * g->OW; px++)
        for (int v = 0; v < NV; v++)
            acc[v] = _mm256_add_ps(acc[v], ld(dy + px * g->CO + c0 + 8 * v, v, NV, tm));
    for (int v = 0; v < NV; v++)
        st(db + c0 + 8 * v, v, NV, tm, acc[v]);
}

void vsr_train_f32_conv_bwdw_nx32__avx2(const tr_convg *g, const float *in, const float *dy,
                                        float *dw, float *db)
{
    for (int c0 = 0; c0 < g->CO; c0 += 8 * CHUNK) {
        __m256i tm;
        int nv = chunk(g->CO, c0, &tm);
        if (db) {
            switch (nv) {
            case 1:
                bias_chunk(g, dy, db, c0, 1, tm);
                break;
            case 2:
                bias_chunk(g, dy, db, c0, 2, tm);
                break;
            case 3:
                bias_chunk(g, dy, db, c0, 3, tm);
                break;
            default:
                bias_chunk(g, dy, db, c0, 4, tm);
                break;
            }
        }
        if (!dw)
            continue;
        for (int ky = 0; ky < g->kh; ky++) {
            int oy0, oy1;
            valid_range(g->OH, g->s, ky * g->d - g->pt, g->H, &oy0, &oy1);
            for (int kx = 0; kx < g->kw; kx++) {
                int ox0, ox1;
                valid_range(g->OW, g->s, kx * g->d - g->pl, g->W, &ox0, &ox1);
                if (oy0 >= oy1 || ox0 >= ox1)
                    continue;
                float *dwt = dw + (size_t)(ky * g->kw + kx) * g->C * g->CO;
                switch (nv) {
                case 1:
                    bwdw_tap(g, in, dy, dwt, c0, ky, kx, oy0, oy1, ox0, ox1, 4, 1, tm);
                    break;
                case 2:
                    bwdw_tap(g, in, dy, dwt, c0, ky, kx, oy0, oy1, ox0, ox1, 4, 2, tm);
                    break;
                case 3:
                    bwdw_tap(g, in, dy, dwt, c0, ky, kx, oy0, oy1, ox0, ox1, 3, 3, tm);
                    break;
                default:
                    bwdw_tap(g, in, dy, dwt, c0, ky, kx, oy0, oy1, ox0, ox1, 2, 4, tm);
                    break;
                }
            }
        }
    }
}

/* ---- input gradient (stride 1) ---------------------------------------- */

AI void bwdx_pixels(const tr_convg *g, const float *wt, const float *dy, float *din, int iy,
                    int ix, int c0, const int NP, const int NV, __m256i tm, int edge)
{
    const int C = g->C, CO = g->CO;
    __m256 acc[NPMAX][CHUNK];
    float *q = din + ((size_t)iy * g->W + ix) * C + c0;
    for (int p = 0; p < NP; p++)
        for (int v = 0; v < NV; v++)
            acc[p][v] = ld(q + (size_t)p * C + 8 * v, v, NV, tm);
    for (int ky = 0; ky < g->kh; ky++) {
        int oy = iy + g->pt - ky * g->d;
        if (oy < 0 || oy >= g->OH)
            continue;
        const float *drow = dy + (size_t)oy * g->OW * CO;
        for (int kx = 0; kx < g->kw; kx++) {
            int ox = ix + g->pl - kx * g->d;
            if (edge && (ox < 0 || ox >= g->OW))
                continue;
            const float *d0 = drow + (ptrdiff_t)ox * CO;
            const float *wk = wt + (size_t)(ky * g->kw + kx) * CO * C + c0;
            for (int k = 0; k < CO; k++) {
                __m256 wv[CHUNK];
                for (int v = 0; v < NV; v++)
                    wv[v] = ld(wk + (size_t)k * C + 8 * v, v, NV, tm);
                for (int p = 0; p < NP; p++) {
                    __m256 db = _mm256_broadcast_ss(d0 + (size_t)p * CO + k);
                    for (int v = 0; v < NV; v++)
                        acc[p][v] = _mm256_add_ps(acc[p][v], _mm256_mul_ps(db, wv[v]));
                }
            }
        }
    }
    for (int p = 0; p < NP; p++)
        for (int v = 0; v < NV; v++)
            st(q + (size_t)p * C + 8 * v, v, NV, tm, acc[p][v]);
}

AI void bwdx_chunk(const tr_convg *g, const float *wt, const float *dy, float *din, int iy,
                   int lo, int hi, int c0, const int NP, const int NV, __m256i tm)
{
    int ix = 0;
    for (; ix < lo; ix++)
        bwdx_pixels(g, wt, dy, din, iy, ix, c0, 1, NV, tm, 1);
    for (; ix + NP <= hi; ix += NP)
        bwdx_pixels(g, wt, dy, din, iy, ix, c0, NP, NV, tm, 0);
    for (; ix < g->W; ix++)
        bwdx_pixels(g, wt, dy, din, iy, ix, c0, 1, NV, tm, 1);
}

void vsr_train_f32_conv_bwdx_nx32__avx2(const tr_convg *g, const float *wt, const float *dy,
                                        float *din)
{
    /* ix whose taps all land on an output pixel: 0 <= ix + pl - kx * d < OW */
    int lo, hi;
    valid_range(g->W, 1, g->pl - (g->kw - 1) * g->d, g->OW - (g->kw - 1) * g->d, &lo, &hi);
    for (int iy = 0; iy < g->H; iy++)
        for (int c0 = 0; c0 < g->C; c0 += 8 * CHUNK) {
            __m256i tm;
            switch (chunk(g->C, c0, &tm)) {
            case 1:
                bwdx_chunk(g, wt, dy, din, iy, lo, hi, c0, 6, 1, tm);
                break;
            case 2:
                bwdx_chunk(g, wt, dy, din, iy, lo, hi, c0, 4, 2, tm);
                break;
            case 3:
                bwdx_chunk(g, wt, dy, din, iy, lo, hi, c0, 3, 3, tm);
                break;
            default:
                bwdx_chunk(g, wt, dy, din, iy, lo, hi, c0, 2, 4, tm);
                break;
            }
        }
}
