/*
 * engine_kernels.h: what a microkernel needs and nothing more: the INT8
 * fixed-point helpers, the microkernel parameter block and signatures, the
 * kernel table. Included by the engine/x86/ files and by engine_internal.h.
 */
#ifndef VSR_ENGINE_KERNELS_H
#define VSR_ENGINE_KERNELS_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

/* Round-to-nearest-even float -> int8 with (scale, zp), saturating. */
/* The same result without the libm call (nearbyintf is not inlined at the baseline
 * ISA): |x| < 2^22 rounds to nearest even through the 1.5 * 2^23 magic number in
 * the default rounding mode; larger values are integers already; NaN stays NaN. */
static inline int8_t vsr__quantize1_fast(float v, float inv_scale, int zp)
{
    float x = v * inv_scale;
    if (x < 4194304.f && x > -4194304.f) /* (IEEE: not folded without -ffast-math) */
        x = (x + 12582912.f) - 12582912.f;
    float q = x + (float)zp;
    if (!(q >= -128.f))
        return -128;
    if (q > 127.f)
        return 127;
    return (int8_t)q;
}

/* ---- INT8 fixed point -------------------------------------------------- */

/*
 * Requantization: r = round(acc * M / 2^S), one rounding of the exact 64-bit
 * product, ties away from zero; M in [2^30, 2^31), 1 <= S <= 62.
 */
static inline int64_t vsr__requant(int32_t acc, int32_t m, int s)
{
    int64_t p = (int64_t)acc * (int64_t)m;
    int64_t half = (int64_t)1 << (s - 1);
    return p >= 0 ? (p + half) >> s : -((-p + half) >> s);
}
static inline int8_t vsr__requant_clamp(int32_t acc, int32_t m, int s, int zp, int lo, int hi)
{
    int64_t r = vsr__requant(acc, m, s) + zp;
    if (r < lo)
        r = lo;
    if (r > hi)
        r = hi;
    return (int8_t)r;
}
/*
 * Whether r = (acc * m + 2^(s-1)) >> s (the signed 64-bit product, an arithmetic shift:
 * ties rounded up) equals vsr__requant(acc, m, s) for every |acc| <= amax, with room
 * for + zp * 2^s (|zp| <= 255) in the sum, and r in one dword of the 64-bit lane. The
 * two roundings differ only on a tie, acc * m = (2k + 1) 2^(s-1), which needs v2(acc) =
 * s - 1 - v2(m) (v2: the power of 2 that divides it), so |acc| >= 2^(s - 1 - v2(m)):
 * amax below that excludes ties. 32 <= s <= 52 and amax < 2^31 keep |acc * m| +
 * 2^(s-1) + 255 * 2^s < 2^63 and |r| < 2^31. The VNNI kernels' vsr_rq512.
 */
static inline int vsr__rq_fast_ok(int32_t m, int s, int64_t amax)
{
    if (s < 32 || s > 52 || m <= 0 || amax < 0 || amax >= ((int64_t)1 << 31))
        return 0;
    return amax < ((int64_t)1 << (s - 1 - __builtin_ctz((unsigned)m))); /* exponent >= 1 */
}
/* 2^(s-1) + zp * 2^s: the rounding half and the zero point that the signed
 * requantization adds to acc * m before its shift by s (32 <= s <= 52) */
static inline int64_t vsr__rq_bias(int s, int zp)
{
    return (int64_t)((uint64_t)1 << (s - 1)) + (int64_t)((uint64_t)(int64_t)zp << s);
}
/* vsr_conv_uk.rq64 (d: ncob * 48 int64) from ncob * 16 multipliers and shifts */
void vsr__rq64_pack(int64_t *d, const int32_t *qm, const int32_t *qs, int ncob, int zp);
/* Real multiplier -> (M, S). -ERANGE when real >= 2^31 or not finite/positive. */
int vsr__quant_multiplier(double real, int32_t *m, int *s);
/* Activation qparams from a float range [lo, hi] (widened to contain 0), default scheme. */
void vsr__quant_from_range(float lo, float hi, float *scale, int *zp);
/* The weight scale of max|w| = @p amax under scheme @p s (NULL = default): amax / 127,
 * 1 for an all-zero channel, rounded up to a power of two with s->pow2. */
struct vsr_quant_scheme;
float vsr__quant_weight_scale(const struct vsr_quant_scheme *s, float amax);

/* ---- kernels ------------------------------------------------------------ */

/* Parameters of a dense stride-1 conv microkernel over interior pixels. */
typedef struct vsr_conv_uk {
    int kh, kw, dil;
    int cin, cout;
    ptrdiff_t in_row; /* elements between input rows */
    int ncob;         /* cout blocks of 16 */
    /* FP32: weights [cob][ky][kx][ci][16], bias [ncob*16] */
    const float *wf;
    const float *bf;
    float minv, maxv; /* fused relu/clip clamp */
    /* INT8 (VNNI layout): weights [cob][ky][kx][ci4][16][4] int8, cin4 = ceil(cin/4) */
    int cin4;
    const int8_t *wq;
    const int32_t *bq; /* bias - (128 + zp_x) * sum(w), per channel [ncob*16] */
    const int32_t *qm; /* multipliers [ncob*16] */
    const int32_t *qs; /* shifts [ncob*16] (as int32) */
    int zp_out, qmin, qmax;
    /* 1: every shift is in [32, 52] and no accumulator this conv can produce makes
     * acc * qm a tie (ops/conv.c: rq_fast), so the VNNI kernels round the signed
     * product (x86/qs8-requant-avx512.h); 0: they take the exact 64-bit path */
    int rq_fast;
    /* rq_fast: the requantization constants of each 16 output channels, [ncob][6][8]
     * int64: the multipliers of the even and of the odd channels, 2^(s-1) + zp_out * 2^s
     * of the even and of the odd, s of the even, s - 32 of the odd (vsr_rq512) */
    const int64_t *rq64;
    /* INT8 (AVX2 int16 layout): weights [cob][ky][kx][ci2][16][2] int16, bias [ncob*16];
     * the input is pre-widened to int16 as x - zp_in (padding 0) */
    const int16_t *w16;
    const int32_t *b16;
    /* int16 and u8 (VNNI) kernels: 1 = store the raw int32 accumulators (bias + sum
     * (x - zp_in) * w, pixel stride cout) to out, which then points to int32_t, instead
     * of requantizing (convs with a float epilogue: sigmoid / leaky / PReLU; TFLite's
     * requantization) */
    int acc32;
    /* FP16 native (binary16 FMAs): weights [cob32][ky][kx][ci][32] binary16, bias
     * [ncob32*32], clamp bounds as binary16 bits; input and output rows binary16 */
    int ncob32;
    const uint16_t *wh;
    const uint16_t *bh;
    uint16_t minh, maxh;
    /* Grouped convs (1 < groups, not depthwise; ops/gconv.c): group gi reads input
     * channels [gi*cig, (gi+1)*cig) of the cin-channel pixel and writes outputs
     * [gi*cog, (gi+1)*cog) of the cout-channel pixel, in ncob8 blocks of 8 per group.
     * FP32: weights gwf [gi][cob8][ky][kx][cig][8], bias gbf [gi][cob8][8];
     * INT8 (int16 input x - zp_in): weights gw16 [gi][cob8][ky][kx][cig2][8][2],
     * bias gb16 and requantization gqm / gqs [gi][cob8][8] (zero past cog). */
    int groups, cig, cog, ncob8;
    const float *gwf, *gbf;
    const int16_t *gw16;
    const int32_t *gb16, *gqm, *gqs;
    /* INT8, pixels in lanes (VNNI, row-blocked activations: vsr_qs8_conv_pl_fn):
     * weights wpl [cout/4][ky][kx][ceil(cin/4)][4 outputs][4 inputs] int8 (0 past
     * cin), or NULL: not that
     * path; bias and requantization bq / qm / qs as above, rq_fast set */
    const int8_t *wpl;
    /* INT8 VNNI tiles (vsr_qs8_conv_ukernel_nx48__avx512vnni) on a row-blocked input:
     * the bytes between its channel groups (4 between pixels, in_row between rows), or
     * 0: NHWC int8 */
    size_t blk_gs;
} vsr_conv_uk;

/*
 * out: n output pixels of one row, each cout values, pixel stride cout.
 * in: the input pixel under the top-left tap of the first output pixel.
 */
typedef void (*vsr_f32_conv_ukernel)(const vsr_conv_uk *p, const float *in, float *out, int n);
typedef void (*vsr_qs8_conv_ukernel)(const vsr_conv_uk *p, const int8_t *in, int8_t *out,
                                     int n);

void vsr_f32_conv_ukernel_1x16__scalar(const vsr_conv_uk *p, const float *in, float *out,
                                       int n);
void vsr_f32_conv_ukernel_nx48__avx512f(const vsr_conv_uk *p, const float *in, float *out,
                                        int n);
void vsr_f32_conv_ukernel_4x16__avx2(const vsr_conv_uk *p, const float *in, float *out, int n);
void vsr_qs8_conv_ukernel_1x16__scalar(const vsr_conv_uk *p, const int8_t *in, int8_t *out,
                                       int n);
/* Register-tiled VNNI (x86/qs8-conv-nx48-avx512vnni.c): the same int8 rows and
 * results as vsr_qs8_conv_ukernel_1x16__scalar, acc32 mode included; it may read up
 * to 64 bytes past the last pixel of a row. */
void vsr_qs8_conv_ukernel_nx48__avx512vnni(const vsr_conv_uk *p, const int8_t *in, int8_t *out,
                                           int n);
typedef void (*vsr_qs8_conv_i16_ukernel)(const vsr_conv_uk *p, const int16_t *in, int8_t *out,
                                         int n);
void vsr_qs8_conv_i16_ukernel_1x16__scalar(const vsr_conv_uk *p, const int16_t *in, int8_t *out,
                                           int n);
void vsr_qs8_conv_i16_ukernel_4x16__avx2(const vsr_conv_uk *p, const int16_t *in, int8_t *out,
                                         int n);

/*
 * Row-blocked INT8 activations (pixels in lanes): a row of w pixels of c channels
 * is ceil(c / 4) groups of vsr_pl_wpb(w) 4-byte pixels each, group g at byte
 * g * 4 * vsr_pl_wpb(w): VSR_PL_PAD pixels of padding, the row's w pixels (4 channels
 * each), padding up to VSR_PL_PAD past round_up(w, 16). Every byte is biased to
 * unsigned (x ^ 0x80) and the padding holds the tensor's zero point (biased), so a
 * conv's horizontal taps read it as the frame's zero padding; so do the bytes past c
 * in the last group when c % 4 != 0 (an input image's 3 channels: the weights there
 * are 0). A row is a multiple of 64 bytes; rows are contiguous.
 */
enum { VSR_PL_PAD = 16, VSR_PL_MAX_KH = 16 };
static inline int vsr_pl_wpb(int w)
{
    return VSR_PL_PAD + ((w + 15) & ~15) + VSR_PL_PAD;
}
static inline size_t vsr_pl_row_bytes(int w, int c)
{
    return (size_t)((c + 3) & ~3) * (size_t)vsr_pl_wpb(w);
}
/* Output channel counts the pixels-in-lanes kernel takes, and that the engine runs
 * that way (ops/conv.c): multiples of 4 up to 64 that leave lanes of 16-channel
 * tiles idle (the others run as fast on the tiles) */
static inline int vsr_pl_cout(int cout)
{
    return cout > 0 && cout % 4 == 0 && cout % 16 != 0 && cout <= 64;
}
/*
 * One output row (ow pixels) of a dense stride-1 conv with pixels in lanes
 * (p->wpl; cin up to 64, cout a multiple of 4 up to 64, p->rq_fast), from rows[ky]: the
 * blocked input rows (w_in pixels) under kernel row ky; output pixel x's tap kx reads
 * input pixel x - pl + kx * dil (pl <= VSR_PL_PAD, and so must be the reach to the
 * right). out_blocked: out is a blocked row (its padding written too, with p->zp_out);
 * else NHWC int8 pixels, through ob: (cout / 4) * round_up(ow, 16) * 4 bytes of
 * scratch. pf: a blocked row to prefetch while computing (the next row's new input
 * row), or NULL.
 */
typedef void (*vsr_qs8_conv_pl_fn)(const vsr_conv_uk *p, const uint8_t *const *rows, int w_in,
                                   int pl, const uint8_t *pf, int ow, void *out,
                                   int out_blocked, uint8_t *ob);
/* One NHWC int8 row (w pixels of cin channels; NULL: a row of padding) to a blocked row,
 * zero point zp */
typedef void (*vsr_qs8_pl_pack_fn)(const int8_t *src, int w, int cin, int zp, uint8_t *dst);
void vsr_qs8_conv_pl__avx512vnni(const vsr_conv_uk *p, const uint8_t *const *rows, int w_in,
                                 int pl, const uint8_t *pf, int ow, void *out, int out_blocked,
                                 uint8_t *ob);
void vsr_qs8_pl_pack__avx512vnni(const int8_t *src, int w, int cin, int zp, uint8_t *dst);

/* Grouped stride-1 convs (the vsr_conv_uk group fields), same in / out conventions
 * as the dense kernels; the INT8 one takes the int16 (x - zp_in) rows. */
typedef void (*vsr_f32_gconv_ukernel)(const vsr_conv_uk *p, const float *in, float *out, int n);
typedef void (*vsr_qs8_gconv_ukernel)(const vsr_conv_uk *p, const int16_t *in, int8_t *out,
                                      int n);
void vsr_f32_gconv_ukernel_1x8__scalar(const vsr_conv_uk *p, const float *in, float *out,
                                       int n);
void vsr_f32_gconv_ukernel_4x8__avx2(const vsr_conv_uk *p, const float *in, float *out, int n);
void vsr_qs8_gconv_i16_ukernel_1x8__scalar(const vsr_conv_uk *p, const int16_t *in, int8_t *out,
                                           int n);
void vsr_qs8_gconv_i16_ukernel_4x8__avx2(const vsr_conv_uk *p, const int16_t *in, int8_t *out,
                                         int n);

/* FP16 native conv: every multiply-add rounded to binary16 (the scalar twin rounds
 * the FP32 product-sum, exact product, to binary16 at each step). */
typedef void (*vsr_f16_conv_ukernel)(const vsr_conv_uk *p, const uint16_t *in, uint16_t *out,
                                     int n);
void vsr_f16_conv_ukernel_1x32__scalar(const vsr_conv_uk *p, const uint16_t *in, uint16_t *out,
                                       int n);
void vsr_f16_conv_ukernel_nx64__avx512fp16(const vsr_conv_uk *p, const uint16_t *in,
                                           uint16_t *out, int n);

/* Row conversions with F16C (x86/f16-cvt-avx2.c) and their scalar twins. */
typedef void (*vsr_f16_to_f32_fn)(const uint16_t *src, float *dst, size_t n);
typedef void (*vsr_f32_to_f16_fn)(const float *src, uint16_t *dst, size_t n);
void vsr_f16_f32_cvt__scalar(const uint16_t *src, float *dst, size_t n);
void vsr_f32_f16_cvt__scalar(const float *src, uint16_t *dst, size_t n);
void vsr_f16_f32_cvt__f16c(const uint16_t *src, float *dst, size_t n);
void vsr_f32_f16_cvt__f16c(const float *src, uint16_t *dst, size_t n);

/* INT8 rows: dequantize scale * (q - zp), quantize as vsr__quantize1_fast (x86/qs8-cvt-avx2.c
 * and the scalar twins in tensor.c, bit-identical). */
typedef void (*vsr_qs8_f32_cvt_fn)(const int8_t *src, float *dst, size_t n, float scale,
                                   int zp);
typedef void (*vsr_f32_qs8_cvt_fn)(const float *src, int8_t *dst, size_t n, float inv_scale,
                                   int zp);
void vsr_qs8_f32_cvt__scalar(const int8_t *src, float *dst, size_t n, float scale, int zp);
void vsr_f32_qs8_cvt__scalar(const float *src, int8_t *dst, size_t n, float inv_scale, int zp);
void vsr_qs8_f32_cvt__avx2(const int8_t *src, float *dst, size_t n, float scale, int zp);
void vsr_f32_qs8_cvt__avx2(const float *src, int8_t *dst, size_t n, float inv_scale, int zp);
/* dst[i] = lut[src[i] + 128]: an int8 -> int8 table of 256 entries (x86/u8-lut-avx2.c) */
typedef void (*vsr_u8_lut_fn)(const int8_t *src, int8_t *dst, size_t n, const int8_t *lut);
void vsr_u8_lut_ukernel__scalar(const int8_t *src, int8_t *dst, size_t n, const int8_t *lut);
void vsr_u8_lut_ukernel__avx2(const int8_t *src, int8_t *dst, size_t n, const int8_t *lut);

/*
 * Min and max of a float row (INT8 calibration). The order is the IEEE
 * total order on the non-NaN values, so -0.0 < +0.0 and the result does not
 * depend on the scan order or vector width; a NaN anywhere makes both
 * results NaN (calibration then refuses the tensor; fminf/fmaxf would skip
 * it). n == 0 gives +inf, -inf. The twins agree bit for bit: each maps a
 * value's bits to an int32 key that sorts like the value (sign-magnitude to
 * two's complement: k = b ^ ((b >> 31) & 0x7fffffff); positive NaNs sort
 * above +inf, negative ones below -inf) and keeps the smallest and largest key.
 */
static inline int32_t vsr__f32_order_key(float v)
{
    union {
        float f;
        int32_t i;
    } u = {v};
    return u.i ^ (int32_t)((uint32_t)(u.i >> 31) >> 1);
}
/* Keys of x[0..n) merged into *lo and *hi. */
static inline void vsr__f32_minmax_keys(const float *x, size_t n, int32_t *lo, int32_t *hi)
{
    int32_t l = *lo, h = *hi;
    for (size_t i = 0; i < n; i++) {
        int32_t k = vsr__f32_order_key(x[i]);
        l = k < l ? k : l;
        h = k > h ? k : h;
    }
    *lo = l, *hi = h;
}
/* out[0] = min, out[1] = max from the key range (lo > hi: nothing seen). */
static inline void vsr__f32_minmax_finish(int32_t lo, int32_t hi, float out[2])
{
    union {
        float f;
        int32_t i;
    } a, b;
    if (lo > hi) {
        out[0] = INFINITY, out[1] = -INFINITY;
        return;
    }
    if (lo < vsr__f32_order_key(-INFINITY) || hi > vsr__f32_order_key(INFINITY)) {
        out[0] = out[1] = NAN;
        return;
    }
    a.i = lo ^ (int32_t)((uint32_t)(lo >> 31) >> 1); /* the key map is its own inverse */
    b.i = hi ^ (int32_t)((uint32_t)(hi >> 31) >> 1);
    out[0] = a.f, out[1] = b.f;
}
typedef void (*vsr_f32_minmax_fn)(const float *x, size_t n, float out[2]);
void vsr_f32_minmax_ukernel__scalar(const float *x, size_t n, float out[2]);
void vsr_f32_minmax_ukernel__avx2(const float *x, size_t n, float out[2]);
void vsr_f32_minmax_ukernel__avx512f(const float *x, size_t n, float out[2]);
/* requant tflite conv epilogue (quant_tflite.h): out[i] = clamp(zp + TFLite's
 * MultiplyByQuantizedMultiplier(acc[i], qm[i], qs[i]), qmin, qmax), qs[i] in [-31, 31]
 * (x86/qs8-requant-tflite-avx2.c and the scalar twin in quant_tflite.c, bit-identical). */
typedef void (*vsr_qs8_requant_tfl_fn)(const int32_t *acc, int8_t *out, int n,
                                       const int32_t *qm, const int32_t *qs, int zp, int qmin,
                                       int qmax);
void vsr_qs8_requant_tfl__scalar(const int32_t *acc, int8_t *out, int n, const int32_t *qm,
                                 const int32_t *qs, int zp, int qmin, int qmax);
void vsr_qs8_requant_tfl__avx2(const int32_t *acc, int8_t *out, int n, const int32_t *qm,
                               const int32_t *qs, int zp, int qmin, int qmax);

/* The r output rows of the fused SR tail (ops/fused.c) that an LR row of wi pixels
 * makes (depth_to_space factor r, C output channels, t with ct = r*r*C channels),
 * output row i at o + i*os: o[i*os + (w*r + j)*C + c] = f(t[w*ct + (i*r + j)*C + c],
 * x[w*C + c]). FP32: f = t + x, then clamped to [lo, hi] when clip (max first, min
 * second, as fminf(fmaxf()) orders them, NaN -> lo). INT8 to float output: f =
 * flut[(t + 128) * 256 + x + 128], the tail's composed table. One call per LR row,
 * so the t and x values its r output rows share are read while in L1. The AVX-512
 * twins (x86/f32-tail-avx512f.c) give the same bits as the scalar ones
 * (ops/fused.c); the table lookup has no vector twin (gathers lose to it). */
typedef void (*vsr_f32_tail_fn)(const float *t, const float *x, float *o, int wi, int r, int c,
                                int ct, size_t os, float lo, float hi, int clip);
typedef void (*vsr_qs8_tail_fn)(const int8_t *t, const int8_t *x, float *o, int wi, int r,
                                int c, int ct, size_t os, const float *flut);
/* The INT8 tail's composition in the default requantization (float arithmetic, as
 * the unfused ops compute it): va = st * (q_t - zt); q = quantize1(va + vb[q_x + 128],
 * inv_a, za) (vb: the anchor's dequantized concat value); with clip, v = clamp(sa * (q
 * - za), lo, hi) and q = quantize1(v, inv_c, zc); the output is so * (q - zo). Each
 * operation is one IEEE single operation in this order, so the vector twin gives the
 * bits of the scalar one, and both those of the tail's 256 x 256 table (tests/engine
 * compares all 65536 pairs). */
typedef struct vsr_tail_q {
    float st, inv_a, sa, lo, hi, inv_c, so;
    int zt, za, zc, zo, clip;
    float vb[256];
    /* derived (vsr__tail_q_derive) for the vector kernels' shorter form: small = 1
     * when every rounded sum round((va + vb) * inv_a) plus a zero point is exact in
     * float (|sum| < 2^22), so that clamp(r + za, -128, 127) - za = clamp(r, rlo, rhi);
     * inside = 1 when the clip's requantization of [lo, hi] stays in [-128, 127] (its
     * clamp does nothing); dz: zc - zo (clip) or za - zo; lean = 1 when besides
     * (small, clip, inside) the clip's bounds lie within the sum's grid (sa * rlo <= lo,
     * sa * rhi >= hi in float, sa and inv_c > 0), so that clamping the sum first
     * changes nothing, and dz = 0 with lo >= +0, so that the result needs no -0 -> +0 */
    int small, inside, lean;
    float rlo, rhi, dz;
} vsr_tail_q;
typedef void (*vsr_qs8_tail_q_fn)(const int8_t *t, const int8_t *x, float *o, int wi, int r,
                                  int c, int ct, size_t os, const vsr_tail_q *q);
void vsr_qs8_tail_q__scalar(const int8_t *t, const int8_t *x, float *o, int wi, int r, int c,
                            int ct, size_t os, const vsr_tail_q *q);
void vsr_qs8_tail_q__avx512f(const int8_t *t, const int8_t *x, float *o, int wi, int r, int c,
                             int ct, size_t os, const vsr_tail_q *q);
void vsr_f32_tail__scalar(const float *t, const float *x, float *o, int wi, int r, int c,
                          int ct, size_t os, float lo, float hi, int clip);
void vsr_qs8_tail__scalar(const int8_t *t, const int8_t *x, float *o, int wi, int r, int c,
                          int ct, size_t os, const float *flut);
void vsr_f32_tail__avx512f(const float *t, const float *x, float *o, int wi, int r, int c,
                           int ct, size_t os, float lo, float hi, int clip);
/*
 * Winograd F(m,3) transforms (m = 2 or 4, a = m + 2; ops/winograd.c has the
 * matrices and the scalar twins, x86/f32-winograd-avx512f.c the AVX-512 ones,
 * same operations in the same order). Input: nt tiles side by side, tile t's
 * a x a patch at in + r*in_row + (t*m + c)*cin; writes B^T d B to
 * v[xi*v_xi + t*cin + ci], xi = row*a + col. Output: tile t's transformed
 * products at mm[xi*m_xi + t*cout + co]; writes clamp(A^T M A + bias, minv,
 * maxv) to out + r*out_row + (t*m + c)*cout + co, r, c < m.
 */
typedef void (*vsr_f32_wino_in_fn)(int m, const float *in, ptrdiff_t in_row, int cin, int nt,
                                   float *v, size_t v_xi);
typedef void (*vsr_f32_wino_out_fn)(int m, const float *mm, size_t m_xi, int cout, int nt,
                                    const float *bias, float minv, float maxv, float *out,
                                    ptrdiff_t out_row);
void vsr_f32_wino_in__scalar(int m, const float *in, ptrdiff_t in_row, int cin, int nt,
                             float *v, size_t v_xi);
void vsr_f32_wino_out__scalar(int m, const float *mm, size_t m_xi, int cout, int nt,
                              const float *bias, float minv, float maxv, float *out,
                              ptrdiff_t out_row);
void vsr_f32_wino_in__avx512f(int m, const float *in, ptrdiff_t in_row, int cin, int nt,
                              float *v, size_t v_xi);
void vsr_f32_wino_out__avx512f(int m, const float *mm, size_t m_xi, int cout, int nt,
                               const float *bias, float minv, float maxv, float *out,
                               ptrdiff_t out_row);
/* Lavin and Gray's matrices (arXiv:1509.09308), row-major, as initializers so that
 * each transform file folds them into its unrolled code: B^T [a][a], A^T [m][a]
 * (G, applied once to the weights, is in winograd.c). */
#define VSR_WINO_BT2                                                                           \
    {                                                                                          \
        1, 0, -1, 0, 0, 1, 1, 0, 0, -1, 1, 0, 0, 1, 0, -1                                      \
    }
#define VSR_WINO_AT2                                                                           \
    {                                                                                          \
        1, 1, 1, 0, 0, 1, -1, -1                                                               \
    }
#define VSR_WINO_BT4                                                                           \
    {                                                                                          \
        4, 0, -5, 0, 1, 0, 0, -4, -4, 1, 1, 0, 0, 4, -4, -1, 1, 0, 0, -2, -1, 2, 1, 0, 0, 2,   \
            -1, -2, 1, 0, 0, 4, 0, -5, 0, 1                                                    \
    }
#define VSR_WINO_AT4                                                                           \
    {                                                                                          \
        1, 1, 1, 1, 1, 0, 0, 1, -1, 2, -2, 0, 0, 1, 1, 4, 4, 0, 0, 1, -1, 8, -8, 1             \
    }

/* Kernel table chosen once per engine. */
typedef struct vsr_kernels {
    unsigned isa;
    vsr_f32_conv_ukernel f32_conv;
    vsr_qs8_conv_ukernel qs8_conv;
    vsr_qs8_conv_i16_ukernel qs8_conv_i16; /* when set, INT8 convs use the int16 layout */
    vsr_f16_to_f32_fn f16_to_f32;
    vsr_f32_to_f16_fn f32_to_f16;
    vsr_qs8_conv_ukernel qs8_conv_nx; /* when set, dense INT8 convs read their interior rows
                                       * in place through it, acc32 convs too */
    vsr_f16_conv_ukernel f16_conv;    /* FP16 native convs (opt.fp16_native), else NULL */
    vsr_qs8_conv_i16_ukernel qs8_conv_acc; /* int16 layout, acc32 mode: float-epilogue convs */
    vsr_qs8_f32_cvt_fn qs8_to_f32;
    vsr_f32_qs8_cvt_fn f32_to_qs8;
    vsr_u8_lut_fn lut8;                 /* 256-entry int8 tables (element-wise INT8 ops) */
    vsr_f32_minmax_fn f32_minmax;       /* calibration statistics */
    vsr_qs8_requant_tfl_fn requant_tfl; /* requant tflite conv epilogue */
    vsr_f32_gconv_ukernel f32_gconv;    /* grouped convs, FP32 (and FP16 widened) */
    vsr_qs8_gconv_ukernel qs8_gconv;    /* grouped convs, INT8 (int16 rows) */
    vsr_f32_tail_fn f32_tail;           /* fused SR tail rows, FP32 */
    vsr_qs8_tail_fn qs8_tail;           /* fused SR tail rows, INT8 to float output */
    vsr_qs8_tail_q_fn qs8_tail_q;       /* the same computed (default requantization) */
    vsr_f32_wino_in_fn f32_wino_in;     /* Winograd input transform */
    vsr_f32_wino_out_fn f32_wino_out;   /* Winograd output transform + epilogue */
    vsr_qs8_conv_pl_fn qs8_conv_pl;     /* pixels in lanes, row-blocked (VNNI), else NULL */
    vsr_qs8_pl_pack_fn qs8_pl_pack;     /* NHWC row -> blocked row, with qs8_conv_pl */
} vsr_kernels;
void vsr__kernels_select(unsigned isa, vsr_kernels *k);

#endif
