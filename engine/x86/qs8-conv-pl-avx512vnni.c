/*
 * INT8 dense stride-1 KxK conv with AVX-512 VNNI, pixels in lanes, on row-blocked
 * activations (engine_kernels.h, VSR_PL_PAD): for convs whose output channels
 * leave lanes of the 16-channel tiles idle (28 = 16 + 12). An accumulator holds
 * 16 consecutive pixels of one output channel, so no lane idles whatever the
 * channel count (a multiple of 4). Its input vector is the 16 pixels' 4-byte
 * group of 4 input channels: one 64-byte load from a blocked row; its weights
 * are one dword (4 inputs of one channel) broadcast. No permutation in the inner
 * loop (the lane-tiled path of the 16-channel kernel needs three per 21
 * vpdpbusd), and the rows' interiors start on a 64-byte boundary, so the output
 * stores are whole cache lines. A block is 5 x 16 pixels of 4 channels (20
 * accumulators), stored when its products are done and requantized after the next
 * block's products are issued (requant_block).
 *
 * The requantization has one multiplier and shift per accumulator (p->rq_fast: the
 * engine checks that the signed product of qs8-requant-avx512.h is exact), packs 4
 * channels x 16 pixels to bytes with saturation and clamps to [qmin, qmax] on bytes.
 * Same accumulators, same integers as vsr__requant(): the bytes of
 * vsr_qs8_conv_ukernel_1x16__scalar.
 *
 * vsr_qs8_pl_pack__avx512vnni makes a blocked row from an NHWC row (the first
 * blocked conv after an NHWC tensor); with out_blocked == 0 the kernel writes
 * NHWC rows (the last one before an op that reads NHWC). Both go through dword
 * permutations.
 */
#include <assert.h>
#include <immintrin.h>
#include <string.h>

#include "../engine_kernels.h"
#include "qs8-requant-avx512.h"

/* acc += u8(x) . s8(w) per 4-byte group (inline asm: see qs8-conv-nx48-avx512vnni.c) */
static inline __attribute__((always_inline)) __m512i dp(__m512i acc, __m512i x, __m512i w)
{
    __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(x), "v"(w));
    return acc;
}

/*
 * Lane l of the result is dword d(l) of the 16 * n dwords of v[0..n): a pair
 * (2q, 2q + 1) holds dwords [32q, 32q + 32), which its permutation by idx = d & 31
 * reaches; m[q] marks the lanes whose d falls in pair q.
 */
static inline __m512i gather_pairs(const __m512i *v, int n, __m512i idx, const __mmask16 *m)
{
    __m512i r = _mm512_setzero_si512();
    for (int q = 0; q < (n + 1) / 2; q++)
        if (m[q])
            r = _mm512_mask_mov_epi32(
                r, m[q],
                _mm512_permutex2var_epi32(v[2 * q], idx, v[2 * q + 1 < n ? 2 * q + 1 : 2 * q]));
    return r;
}

/* Every group's padding: pixels [0, VSR_PL_PAD) and [VSR_PL_PAD + w, wpb) */
static void fill_pads(uint8_t *dst, int w, int groups, uint32_t fill)
{
    int wpb = vsr_pl_wpb(w);
    for (int g = 0; g < groups; g++) {
        uint32_t *d = (uint32_t *)(void *)(dst + (size_t)g * (size_t)wpb * 4);
        for (int j = 0; j < VSR_PL_PAD; j++)
            d[j] = fill;
        for (int j = VSR_PL_PAD + w; j < wpb; j++)
            d[j] = fill;
    }
}

/* 3-channel pixels (an input image) to one group: 16 pixels' 48 bytes, each pixel's
 * 3 bytes and the zero point, biased */
static void pack3(const int8_t *src, int w, uint32_t fill, uint8_t *d0)
{
    /* 128-bit lane q takes source dwords 3q .. 3q + 2 (pixels 4q .. 4q + 3), then
     * each pixel's bytes 3p .. 3p + 2 of the lane go to dword p, byte 3 zeroed */
    const __m512i didx = _mm512_setr_epi32(0, 1, 2, 0, 3, 4, 5, 0, 6, 7, 8, 0, 9, 10, 11, 0);
    const __m512i bidx = _mm512_broadcast_i32x4(
        _mm_setr_epi8(0, 1, 2, -1, 3, 4, 5, -1, 6, 7, 8, -1, 9, 10, 11, -1));
    const __m512i hi = _mm512_set1_epi32((int)(fill & 0xff000000u));
    const __m512i x80 = _mm512_set1_epi32(0x00808080);
    int x = 0;
    for (; x + 16 <= w; x += 16) {
        __m512i v = _mm512_maskz_loadu_epi8(0xffffffffffffull, src + (size_t)x * 3);
        v = _mm512_shuffle_epi8(_mm512_permutexvar_epi32(didx, v), bidx);
        _mm512_store_si512(d0 + (size_t)x * 4, _mm512_or_si512(_mm512_xor_si512(v, x80), hi));
    }
    for (; x < w; x++) {
        uint32_t d = fill;
        for (int c = 0; c < 3; c++)
            d = (d & ~(0xffu << 8 * c)) | (uint32_t)(uint8_t)(src[(size_t)x * 3 + c] ^ 0x80)
                                              << 8 * c;
        memcpy(d0 + (size_t)x * 4, &d, 4);
    }
}

void vsr_qs8_pl_pack__avx512vnni(const int8_t *src, int w, int cin, int zp, uint8_t *dst)
{
    const int G = (cin + 3) / 4;
    assert(G <= 16);
    uint32_t fill = (uint32_t)(uint8_t)(zp ^ 0x80) * 0x01010101u;
    size_t gs = (size_t)vsr_pl_wpb(w) * 4; /* bytes between groups */
    if (!src) {                            /* a row of padding */
        for (int g = 0; g < G; g++) {
            uint32_t *d = (uint32_t *)(void *)(dst + (size_t)g * gs);
            for (size_t j = 0; j < gs / 4; j++)
                d[j] = fill;
        }
        return;
    }
    fill_pads(dst, w, G, fill);
    uint8_t *d0 = dst + (size_t)VSR_PL_PAD * 4;
    if (cin == 3) {
        pack3(src, w, fill, d0);
        return;
    }
    if (cin % 4) { /* 1, 2, 5, ... channels: the last group's bytes past cin are fill */
        for (int x = 0; x < w; x++)
            for (int g = 0; g < G; g++) {
                uint8_t b[4];
                memcpy(b, &fill, 4);
                for (int c = 4 * g; c < cin && c < 4 * g + 4; c++)
                    b[c - 4 * g] = (uint8_t)(src[(size_t)x * cin + c] ^ 0x80);
                memcpy(d0 + (size_t)g * gs + (size_t)x * 4, b, 4);
            }
        return;
    }
    /* output group g, lane l: source dword G * l + g of 16 pixels (16 * G dwords) */
    __m512i idx[16];
    __mmask16 m[16][8];
    for (int g = 0; g < G; g++) {
        int32_t t[16];
        memset(m[g], 0, sizeof(m[g]));
        for (int l = 0; l < 16; l++) {
            int s = G * l + g;
            t[l] = s & 31;
            m[g][s / 32] |= (__mmask16)(1u << l);
        }
        idx[g] = _mm512_loadu_si512(t);
    }
    const __m512i x80 = _mm512_set1_epi32((int)0x80808080);
    int x = 0;
    for (; x + 16 <= w; x += 16) {
        __m512i v[16];
        for (int k = 0; k < G; k++)
            v[k] = _mm512_loadu_si512(src + (size_t)x * cin + (size_t)k * 64);
        for (int g = 0; g < G; g++)
            _mm512_store_si512(d0 + (size_t)g * gs + (size_t)x * 4,
                               _mm512_xor_si512(gather_pairs(v, G, idx[g], m[g]), x80));
    }
    for (; x < w; x++)
        for (int g = 0; g < G; g++) {
            uint32_t d;
            memcpy(&d, src + (size_t)x * cin + (size_t)g * 4, 4);
            d ^= 0x80808080u;
            memcpy(d0 + (size_t)g * gs + (size_t)x * 4, &d, 4);
        }
}

/* A block's accumulators, kept until the next block's products are issued */
typedef struct pl_acc {
    _Alignas(64) int32_t a[5][4][16];
    int x0, cg, P; /* P = 0: none */
} pl_acc;

/*
 * The products of P vectors of 16 output pixels from x0, output channels 4 cg .. 4 cg
 * + 3, into d. The taps of pixel x read blocked input pixel xin + x + kx * dil of
 * rows[ky].
 */
static inline __attribute__((always_inline)) void products(const vsr_conv_uk *p,
                                                           const uint8_t *const *rows,
                                                           size_t gsi, int xin, int x0, int cg,
                                                           pl_acc *d, const int P)
{
    const int G = (p->cin + 3) / 4;
    size_t taps = (size_t)p->kh * p->kw;
    const int8_t *w = p->wpl + (size_t)cg * taps * G * 16;
    const int32_t *b = p->bq + 4 * cg;
    __m512i a[5][4];
#pragma GCC unroll 4
    for (int c = 0; c < 4; c++)
#pragma GCC unroll 5
        for (int q = 0; q < P; q++)
            a[q][c] = _mm512_set1_epi32(b[c]);
    for (int ky = 0; ky < p->kh; ky++)
        for (int kx = 0; kx < p->kw; kx++) {
            const uint8_t *xp = rows[ky] + (size_t)(xin + x0 + kx * p->dil) * 4;
            const int8_t *wt = w + ((size_t)ky * p->kw + (size_t)kx) * G * 16;
#pragma GCC unroll 1
            for (int g = 0; g < G; g++, wt += 16, xp += gsi) {
                __m512i xv[5];
#pragma GCC unroll 5
                for (int q = 0; q < P; q++)
                    xv[q] = _mm512_loadu_si512(xp + q * 64);
#pragma GCC unroll 4
                for (int c = 0; c < 4; c++) {
                    int32_t wd;
                    memcpy(&wd, wt + c * 4, 4);
                    __m512i wv = _mm512_set1_epi32(wd);
#pragma GCC unroll 5
                    for (int q = 0; q < P; q++)
                        a[q][c] = dp(a[q][c], xv[q], wv);
                }
            }
        }
#pragma GCC unroll 5
    for (int q = 0; q < P; q++)
#pragma GCC unroll 4
        for (int c = 0; c < 4; c++)
            _mm512_store_si512(d->a[q][c], a[q][c]);
    d->x0 = x0, d->cg = cg, d->P = P;
}

/*
 * The stored block s requantized: round(acc * m / 2^s) + zp (p->rq_fast:
 * qs8-requant-avx512.h), biased by 128 when BIAS; 4 channels x 16 pixels to bytes
 * [pixel][channel], saturated by the packs (to u8 when BIAS: the biased value clamped
 * to [-128, 127] + 128), clamped on bytes, stored at ob + cg * gso + 4 * x0 (+ 64 per
 * vector). It runs after the next block's products are issued: its operations then
 * find their inputs ready instead of filling the scheduler while they wait for the
 * block's last products, which kept the next block's products out (12% of a body
 * conv before; docs/PERFORMANCE.md, seventh pass).
 */
static inline __attribute__((always_inline)) void
requant_block(const vsr_conv_uk *p, const pl_acc *s, uint8_t *ob, size_t gso, const int BIAS)
{
    const __m512i bytes = _mm512_broadcast_i32x4(
        _mm_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15));
    const int zb = BIAS ? 128 : 0, cg = s->cg;
    const __m512i lo = _mm512_set1_epi8((char)(p->qmin + zb)),
                  hi = _mm512_set1_epi8((char)(p->qmax + zb));
    vsr_rq512 rq[4];
#pragma GCC unroll 4
    for (int c = 0; c < 4; c++)
        rq[c] = vsr_rq512_uniform(p->qm[4 * cg + c], p->qs[4 * cg + c], p->zp_out + zb);
    for (int q = 0; q < s->P; q++) {
        __m512i r[4];
#pragma GCC unroll 4
        for (int c = 0; c < 4; c++)
            r[c] = vsr_rq512_apply(_mm512_load_si512(s->a[q][c]), &rq[c]);
        /* per 128-bit lane: packs give c0[4] c1[4] c2[4] c3[4] (bytes), the shuffle
         * makes pixel-major [4 pixels][4 channels] */
        __m512i r01 = _mm512_packs_epi32(r[0], r[1]), r23 = _mm512_packs_epi32(r[2], r[3]);
        __m512i t = BIAS ? _mm512_packus_epi16(r01, r23) : _mm512_packs_epi16(r01, r23);
        t = _mm512_shuffle_epi8(t, bytes);
        t = BIAS ? _mm512_min_epu8(_mm512_max_epu8(t, lo), hi)
                 : _mm512_min_epi8(_mm512_max_epi8(t, lo), hi);
        _mm512_storeu_si512(ob + (size_t)cg * gso + (size_t)(s->x0 + 16 * q) * 4, t);
    }
}

/* The row's blocked output [CG][wr][4] (unbiased) to NHWC pixels [0, ow) */
static void unpack(const uint8_t *ob, int cout, int wr, int ow, int8_t *out)
{
    const int CG = cout / 4;
    __m512i idx[16];
    __mmask16 m[16][8];
    /* output vector o, lane l: flat dword f = 16 o + l of [pixel][CG] = pixel f / CG,
     * group f % CG: lane f / CG of source group f % CG */
    for (int o = 0; o < CG; o++) {
        int32_t t[16];
        memset(m[o], 0, sizeof(m[o]));
        for (int l = 0; l < 16; l++) {
            int f = 16 * o + l, px = f / CG, g = f % CG;
            t[l] = px + 16 * (g & 1);
            m[o][g / 2] |= (__mmask16)(1u << l);
        }
        idx[o] = _mm512_loadu_si512(t);
    }
    int8_t tmp[16 * 64];
    for (int x = 0; x < ow; x += 16) {
        __m512i v[16];
        for (int g = 0; g < CG; g++)
            v[g] = _mm512_loadu_si512(ob + ((size_t)g * wr + (size_t)x) * 4);
        int8_t *d = ow - x >= 16 ? out + (size_t)x * cout : tmp;
        for (int o = 0; o < CG; o++)
            _mm512_storeu_si512(d + (size_t)o * 64, gather_pairs(v, CG, idx[o], m[o]));
        if (d == tmp)
            memcpy(out + (size_t)x * cout, tmp, (size_t)(ow - x) * cout);
    }
}

/* The products of block (x0, cg, P) into buf[*cur], then the block before it
 * requantized; *cur switches to the other buffer */
static inline __attribute__((always_inline)) void
step(const vsr_conv_uk *p, const uint8_t *const *rows, size_t gsi, int xin, int x0, int cg,
     pl_acc *buf, int *cur, uint8_t *ob, size_t gso, const int P, const int BIAS)
{
    products(p, rows, gsi, xin, x0, cg, &buf[*cur], P);
    *cur ^= 1;
    if (buf[*cur].P)
        requant_block(p, &buf[*cur], ob, gso, BIAS);
}

static inline __attribute__((always_inline)) void
row_blocks(const vsr_conv_uk *p, const uint8_t *const *rows, size_t gsi, int xin,
           const uint8_t *pf, int ow, uint8_t *ob, size_t gso, const int BIAS)
{
    int nv = (ow + 15) / 16, CG = p->cout / 4, G = (p->cin + 3) / 4;
    pl_acc buf[2];
    int cur = 0;
    buf[1].P = 0;
    int v = 0;
    for (; v + 5 <= nv; v += 5) {
        if (pf) /* the row the next output row adds, while this one computes */
            for (int g = 0; g < G; g++)
                for (int l = 0; l < 5; l++)
                    _mm_prefetch(
                        (const char *)(pf + g * gsi + (size_t)(xin + 16 * (v + l)) * 4),
                        _MM_HINT_T0);
        for (int cg = 0; cg < CG; cg++)
            step(p, rows, gsi, xin, 16 * v, cg, buf, &cur, ob, gso, 5, BIAS);
    }
    for (; v < nv; v++)
        for (int cg = 0; cg < CG; cg++)
            step(p, rows, gsi, xin, 16 * v, cg, buf, &cur, ob, gso, 1, BIAS);
    if (buf[cur ^ 1].P) /* the last block */
        requant_block(p, &buf[cur ^ 1], ob, gso, BIAS);
}

void vsr_qs8_conv_pl__avx512vnni(const vsr_conv_uk *p, const uint8_t *const *rows, int w_in,
                                 int pl, const uint8_t *pf, int ow, void *out, int out_blocked,
                                 uint8_t *ob)
{
    assert(p->wpl && p->rq_fast && p->cout % 4 == 0 && p->cout <= 64 && p->cin <= 64);
    assert(pl <= VSR_PL_PAD && (p->kw - 1) * p->dil - pl <= VSR_PL_PAD);
    size_t gsi = (size_t)vsr_pl_wpb(w_in) * 4;
    int xin = VSR_PL_PAD - pl;
    if (out_blocked) {
        uint8_t *o = out;
        size_t gso = (size_t)vsr_pl_wpb(ow) * 4;
        row_blocks(p, rows, gsi, xin, pf, ow, o + (size_t)VSR_PL_PAD * 4, gso, 1);
        /* the padding, and the pixels the last vector wrote past ow */
        fill_pads(o, ow, p->cout / 4, (uint32_t)(uint8_t)(p->zp_out ^ 0x80) * 0x01010101u);
        return;
    }
    int wr = (ow + 15) & ~15;
    row_blocks(p, rows, gsi, xin, pf, ow, ob, (size_t)wr * 4, 0);
    unpack(ob, p->cout, wr, ow, out);
}
