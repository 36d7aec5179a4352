/*
 * INT8: requantization edge cases, multipliers, INT8 conv vs float, SIMD
 * microkernels vs their scalar twins (INT8 bit-exact, FP32 within 1e-5
 * relative) at odd sizes and unaligned pointers, engine-level SIMD vs
 * forced scalar, INT8 row kernels (conversions, 256-entry tables), INT8
 * add / mul tables and the fused add + element-wise op against the
 * per-element path, and calibration on a known distribution.
 */
#include <float.h>
#include <pthreadpool.h>

#include "engine_internal.h"
#include "engine_testutil.h"

static void test_requant_rounding_saturation(void **state)
{
    (void)state;
    const int32_t half = 1 << 30;                     /* M = 2^30, S = 31 -> x 0.5 */
    assert_int_equal(vsr__requant(3, half, 31), 2);   /* 1.5 -> 2 (away from zero) */
    assert_int_equal(vsr__requant(-3, half, 31), -2); /* -1.5 -> -2 */
    assert_int_equal(vsr__requant(5, half, 31), 3);
    assert_int_equal(vsr__requant(-5, half, 31), -3);
    assert_int_equal(vsr__requant(4, half, 31), 2);
    assert_int_equal(vsr__requant(-1, half, 31), -1);                      /* -0.5 -> -1 */
    assert_int_equal(vsr__requant(1, half, 32), 0);                        /* 0.25 -> 0 */
    assert_int_equal(vsr__requant(-1, half, 32), 0);                       /* -0.25 -> 0 */
    assert_int_equal(vsr__requant(-7, half, 32), -2);                      /* -1.75 -> -2 */
    assert_int_equal(vsr__requant(INT32_MIN, INT32_MAX, 31), -2147483647); /* no overflow */
    /* saturation and zero point, x 1.0 */
    assert_int_equal(vsr__requant_clamp(1000, half, 30, 0, -128, 127), 127);
    assert_int_equal(vsr__requant_clamp(-1000, half, 30, 0, -128, 127), -128);
    assert_int_equal(vsr__requant_clamp(100, half, 30, 10, -128, 127), 110);
    assert_int_equal(vsr__requant_clamp(120, half, 30, 10, -128, 127), 127);
    /* fused ReLU: clamp at the zero point */
    assert_int_equal(vsr__requant_clamp(-50, half, 30, -20, -20, 127), -20);
}

/* The libm-free rounding equals vsr__quantize1 (nearbyintf) everywhere: ties at
 * every half step, both signs, both sides of 2^22, saturation, inf and NaN. */
static void test_quantize_fast_equals_reference(void **state)
{
    (void)state;
    static const float inv[] = {1.f, 0.5f, 2.f, 1.f / 0.37f, 1e-3f, 3e4f};
    static const int zps[] = {0, -128, 127, -7, 33};
    float special[] = {0.f,       -0.f,      0.5f,       -0.5f,      1.5f,
                       -1.5f,     2.5f,      -2.5f,      4194303.5f, -4194303.5f,
                       4194304.f, 4194305.f, -4194305.f, 8388609.f,  1e10f,
                       -1e10f,    INFINITY,  -INFINITY,  NAN,        127.5f,
                       -128.5f,   126.5f,    -127.5f,    1e-30f,     -1e-30f};
    int checked = 0;
    for (size_t a = 0; a < sizeof(inv) / sizeof(inv[0]); a++)
        for (size_t z = 0; z < sizeof(zps) / sizeof(zps[0]); z++) {
            for (int k = -2400; k <= 2400; k++) { /* -300 .. 300 in steps of 1/8 */
                float v = (float)k / 8.f;
                assert_int_equal(vsr__quantize1_fast(v, inv[a], zps[z]),
                                 vsr__quantize1(v, inv[a], zps[z]));
                checked++;
            }
            for (size_t k = 0; k < sizeof(special) / sizeof(special[0]); k++) {
                assert_int_equal(vsr__quantize1_fast(special[k], 1.f, zps[z]),
                                 vsr__quantize1(special[k], 1.f, zps[z]));
                assert_int_equal(vsr__quantize1_fast(special[k], inv[a], zps[z]),
                                 vsr__quantize1(special[k], inv[a], zps[z]));
            }
        }
    assert_true(checked > 100000);
    /* hand values: ties to even, saturation */
    assert_int_equal(vsr__quantize1_fast(2.5f, 1.f, 0), 2);
    assert_int_equal(vsr__quantize1_fast(-2.5f, 1.f, 0), -2);
    assert_int_equal(vsr__quantize1_fast(3.5f, 1.f, 0), 4);
    assert_int_equal(vsr__quantize1_fast(1000.f, 1.f, 0), 127);
    assert_int_equal(vsr__quantize1_fast(NAN, 1.f, 0), -128);
}

static void test_quant_multiplier(void **state)
{
    (void)state;
    int32_t m;
    int s;
    assert_int_equal(vsr__quant_multiplier(0.5, &m, &s), 0);
    assert_int_equal(m, 1 << 30);
    assert_int_equal(s, 31);
    assert_int_equal(vsr__quant_multiplier(1.0, &m, &s), 0);
    assert_int_equal(m, 1 << 30);
    assert_int_equal(s, 30);
    assert_int_equal(vsr__quant_multiplier(0.75, &m, &s), 0);
    assert_int_equal(m, 1610612736);
    assert_int_equal(s, 31);
    assert_int_equal(vsr__quant_multiplier(0.0, &m, &s), -ERANGE);
    assert_int_equal(vsr__quant_multiplier(3e9, &m, &s), -ERANGE);
    /* a multiplier applied to 1000 gives round(1000 * real) */
    assert_int_equal(vsr__quant_multiplier(0.0123, &m, &s), 0);
    assert_int_equal(vsr__requant(1000, m, s), 12);
    float scale;
    int zp;
    vsr__quant_from_range(0.f, 255.f, &scale, &zp);
    assert_float_equal(scale, 1.f, 0);
    assert_int_equal(zp, -128);
    vsr__quant_from_range(-1.f, 1.f, &scale, &zp);
    assert_float_equal(scale, 2.f / 255.f, 1e-9);
    assert_int_equal(zp, -1); /* -128 + 127.5 = -0.5, rounded half away from zero */
}

/* ---- microkernels ------------------------------------------------------------ */

static void f32_case(vsr_f32_conv_ukernel k, int cin, int cout, int ksz, int dil, int n,
                     int off)
{
    vsr_conv_uk p;
    memset(&p, 0, sizeof(p));
    p.kh = p.kw = ksz, p.dil = dil, p.cin = cin, p.cout = cout;
    p.ncob = (cout + 15) / 16;
    int keff = (ksz - 1) * dil + 1, W = n + keff - 1 + 3;
    p.in_row = (ptrdiff_t)W * cin;
    size_t nw = (size_t)p.ncob * ksz * ksz * cin * 16, nin = (size_t)keff * W * cin + 64;
    float *w = malloc(nw * 4), *b = malloc((size_t)p.ncob * 64), *in = malloc(nin * 4 + 64);
    float *o1 = calloc((size_t)n * cout + 8, 4), *o2 = calloc((size_t)n * cout + 8, 4);
    fill_rand(w, nw, 11, -1, 1);
    fill_rand(b, (size_t)p.ncob * 16, 12, -1, 1);
    fill_rand(in, nin, 13, -2, 2);
    p.wf = w, p.bf = b, p.minv = -INFINITY, p.maxv = INFINITY;
    if (cout % 2)
        p.minv = 0.f; /* exercise the fused ReLU clamp too */
    vsr_f32_conv_ukernel_1x16__scalar(&p, in + off, o1 + off, n);
    k(&p, in + off, o2 + off, n);
    for (int i = 0; i < n * cout; i++) {
        float a = o1[off + i], c = o2[off + i];
        if (fabsf(a - c) > 1e-5f * (1.f + fabsf(a)))
            print_message("f32 cin %d cout %d k %d n %d: %d: %g vs %g\n", cin, cout, ksz, n, i,
                          a, c);
        assert_true(fabsf(a - c) <= 1e-5f * (1.f + fabsf(a)));
    }
    free(w), free(b), free(in), free(o1), free(o2);
}

/* The requantization modes of qs8_case: */
enum {
    RQ_TIES31, /* every 7th channel M / 2^S = 1/2 or 1/4 (shifts 31 / 32): every odd
                  accumulator a tie, and a shift < 32: the 64-bit path */
    RQ_TIES32, /* the same ties with shifts 32 / 33: every shift >= 32, but ties, which
                  vsr__rq_fast_ok() must refuse: still the 64-bit path */
    RQ_FAST,   /* no such channels: vsr__rq_fast_ok() holds for every channel, and the
                  VNNI kernel takes the signed product (qs8-requant-avx512.h) */
};

static void qs8_case(vsr_qs8_conv_ukernel k, int cin, int cout, int ksz, int dil, int n,
                     int off, int mode)
{
    vsr_conv_uk p;
    memset(&p, 0, sizeof(p));
    p.kh = p.kw = ksz, p.dil = dil, p.cin = cin, p.cout = cout;
    p.ncob = (cout + 15) / 16;
    p.cin4 = (cin + 3) / 4;
    int keff = (ksz - 1) * dil + 1, W = n + keff - 1 + 3;
    p.in_row = (ptrdiff_t)W * cin;
    size_t nw = (size_t)p.ncob * ksz * ksz * p.cin4 * 64, nin = (size_t)keff * W * cin + 64;
    int8_t *w = calloc(nw, 1), *in = malloc(nin + 64);
    memset(in, 0, nin + 64);
    int8_t *o1 = calloc((size_t)n * cout + 8, 1), *o2 = calloc((size_t)n * cout + 8, 1);
    int32_t bq[64], qm[64], qs[64];
    float *r = malloc((nw + nin + 64 * 3) * 4);
    fill_rand(r, nw + nin + 192, 21, 0, 1);
    /* weights: zero in the padding lanes of the last channel group (as packed by the engine) */
    for (int cob = 0; cob < p.ncob; cob++)
        for (int t = 0; t < ksz * ksz; t++)
            for (int c4 = 0; c4 < p.cin4; c4++)
                for (int j = 0; j < 16; j++)
                    for (int bb = 0; bb < 4; bb++) {
                        size_t idx =
                            ((((size_t)cob * ksz * ksz + t) * p.cin4 + c4) * 16 + j) * 4 + bb;
                        if (c4 * 4 + bb < cin)
                            w[idx] = (int8_t)(r[idx] * 255.f - 127.f);
                    }
    for (size_t i = 0; i < nin; i++)
        in[i] = (int8_t)(r[nw + i] * 256.f - 128.f);
    for (int o = 0; o < p.ncob * 16; o++) {
        bq[o] = (int32_t)(r[nw + nin + o] * 4000.f) - 2000;
        /* multipliers from tiny to > 1 so that saturation and rounding both happen */
        vsr__quant_multiplier(0.00005 + 0.0005 * r[nw + nin + 64 + o] * (o % 5 ? 1 : 60),
                              &qm[o], &qs[o]);
        if (o % 7 == 3 && mode != RQ_FAST) /* M / 2^S = 1/2 or 1/4: every odd acc a tie */
            qm[o] = 1 << 30, qs[o] = (o % 2 ? 31 : 32) + (mode == RQ_TIES32);
    }
    p.wq = w, p.bq = bq, p.qm = qm, p.qs = qs;
    p.zp_out = -7, p.qmin = (cout % 2) ? -7 : -128, p.qmax = 127;
    /* as the engine decides (ops/conv.c: rq_fast): the bound on |acc| per channel is
     * |bias| + 255 * sum |w| (here bias + sum u8(x) * w, u8(x) in [0, 255]) */
    _Alignas(64) int64_t rq64[4 * 48]; /* vsr_rq512_load: aligned */
    p.rq_fast = 1;
    for (int o = 0; o < cout; o++) {
        int64_t amax = bq[o] < 0 ? -(int64_t)bq[o] : bq[o];
        for (int t = 0; t < ksz * ksz; t++)
            for (int ci = 0; ci < cin; ci++)
                amax +=
                    255 * abs(w[((((size_t)(o / 16) * ksz * ksz + t) * p.cin4 + ci / 4) * 16 +
                                 (size_t)(o % 16)) *
                                    4 +
                                (size_t)(ci % 4)]);
        p.rq_fast &= vsr__rq_fast_ok(qm[o], qs[o], amax);
    }
    assert_int_equal(p.rq_fast, mode == RQ_FAST || cout <= 3); /* a tie channel: o = 3 */
    if (p.rq_fast) {
        vsr__rq64_pack(rq64, qm, qs, p.ncob, p.zp_out);
        p.rq64 = rq64;
    }
    vsr_qs8_conv_ukernel_1x16__scalar(&p, in + off, o1 + off, n);
    k(&p, in + off, o2 + off, n);
    /* acc32: the raw accumulators bq + sum u8(x) * w (u8(x) = x ^ 0x80, the bias
     * vpdpbusd needs, folded into bq), computed here from the packed layout, from
     * the scalar twin and the SIMD kernel */
    int8_t *inu = malloc(nin + 64);
    for (size_t i = 0; i < nin + 64; i++)
        inu[i] = (int8_t)((uint8_t)in[i] ^ 0x80);
    int32_t *a1 = calloc((size_t)n * cout, 4), *a2 = calloc((size_t)n * cout, 4);
    p.acc32 = 1;
    vsr_qs8_conv_ukernel_1x16__scalar(&p, in + off, (int8_t *)(void *)a1, n);
    k(&p, in + off, (int8_t *)(void *)a2, n);
    p.acc32 = 0;
    for (int px = 0; px < n; px++)
        for (int o = 0; o < cout; o++) {
            int64_t want = bq[o];
            for (int t = 0; t < ksz * ksz; t++)
                for (int ci = 0; ci < cin; ci++) {
                    size_t xi = (size_t)off + (size_t)px * cin +
                                (size_t)(t / ksz) * dil * (size_t)p.in_row +
                                (size_t)(t % ksz) * dil * cin + (size_t)ci;
                    size_t wi = ((((size_t)(o / 16) * ksz * ksz + t) * p.cin4 + ci / 4) * 16 +
                                 (size_t)(o % 16)) *
                                    4 +
                                (size_t)(ci % 4);
                    want += (int64_t)(uint8_t)inu[xi] * w[wi];
                }
            assert_int_equal(a1[(size_t)px * cout + o], want);
            assert_int_equal(a2[(size_t)px * cout + o], want);
        }
    free(a1), free(a2);
    free(inu);
    assert_memory_equal(o1, o2, (size_t)n * cout + 8);
    int distinct = 0;
    for (int i = 1; i < n * cout; i++)
        distinct += o1[off + i] != o1[off];
    assert_true(n * cout < 32 || distinct > 0); /* not everything saturated */
    free(w), free(in), free(o1), free(o2), free(r);
}

static void i16_case(int cin, int cout, int ksz, int dil, int n, int off)
{
    vsr_conv_uk p;
    memset(&p, 0, sizeof(p));
    p.kh = p.kw = ksz, p.dil = dil, p.cin = cin, p.cout = cout;
    p.ncob = (cout + 15) / 16;
    int cin2 = (cin + 1) / 2, keff = (ksz - 1) * dil + 1, W = n + keff - 1 + 3;
    p.in_row = (ptrdiff_t)W * cin;
    size_t nw = (size_t)p.ncob * ksz * ksz * cin2 * 32, nin = (size_t)keff * W * cin + 64;
    int16_t *w = calloc(nw, 2), *in = malloc((nin + 64) * 2);
    int8_t *o1 = calloc((size_t)n * cout + 8, 1), *o2 = calloc((size_t)n * cout + 8, 1);
    int32_t b[64], qm[64], qs[64];
    float *r = malloc((nw + nin + 192) * 4);
    fill_rand(r, nw + nin + 192, 23, 0, 1);
    for (size_t i = 0; i < nw; i++)
        if ((int)((i / 32) % (size_t)cin2) * 2 + (int)(i % 2) < cin)
            w[i] = (int16_t)(r[i] * 255.f - 127.f);
    for (size_t i = 0; i < nin; i++)
        in[i] = (int16_t)(r[nw + i] * 510.f - 255.f); /* x - zp spans [-255, 255] */
    for (int o = 0; o < p.ncob * 16; o++) {
        b[o] = (int32_t)(r[nw + nin + o] * 4000.f) - 2000;
        vsr__quant_multiplier(0.00005 + 0.0005 * r[nw + nin + 64 + o] * (o % 5 ? 1 : 60),
                              &qm[o], &qs[o]);
    }
    p.w16 = w, p.b16 = b, p.qm = qm, p.qs = qs;
    p.zp_out = 3, p.qmin = (cout % 2) ? 3 : -128, p.qmax = 100;
    vsr_qs8_conv_i16_ukernel_1x16__scalar(&p, in + off, o1 + off, n);
    vsr_qs8_conv_i16_ukernel_4x16__avx2(&p, in + off, o2 + off, n);
    assert_memory_equal(o1, o2, (size_t)n * cout + 8);
    /* acc32 mode (float-epilogue convs): the same raw accumulators, nothing else written;
     * pixel 0 channel 0 by hand: bias + sum over taps and channels of x * w */
    p.acc32 = 1;
    int32_t *a1 = calloc((size_t)(n + 1) * cout, 4), *a2 = calloc((size_t)(n + 1) * cout, 4);
    vsr_qs8_conv_i16_ukernel_1x16__scalar(&p, in + off, (int8_t *)(void *)a1, n);
    vsr_qs8_conv_i16_ukernel_4x16__avx2(&p, in + off, (int8_t *)(void *)a2, n);
    assert_memory_equal(a1, a2, (size_t)(n + 1) * cout * 4);
    int64_t want = b[0];
    for (int ky = 0; ky < ksz; ky++)
        for (int kx = 0; kx < ksz; kx++)
            for (int ci = 0; ci < cin; ci++)
                want += (int64_t)in[off + ky * dil * p.in_row + kx * dil * cin + ci] *
                        w[(((size_t)(ky * ksz + kx) * cin2 + (size_t)(ci / 2)) * 16) * 2 +
                          (size_t)(ci % 2)];
    assert_int_equal(a1[0], want);
    assert_int_equal(a1[(size_t)n * cout], 0);
    free(a1), free(a2);
    free(w), free(in), free(o1), free(o2), free(r);
}

/* FP16 native (binary16 FMAs): SIMD vs the scalar twin. Same operations in the same
 * order, each one fused multiply-add rounded once to binary16: bit-equal outputs. */
static void f16_case(int cin, int cout, int ksz, int dil, int n, int off)
{
    vsr_conv_uk p;
    memset(&p, 0, sizeof(p));
    p.kh = p.kw = ksz, p.dil = dil, p.cin = cin, p.cout = cout;
    p.ncob32 = (cout + 31) / 32;
    int keff = (ksz - 1) * dil + 1, W = n + keff - 1 + 3;
    p.in_row = (ptrdiff_t)W * cin;
    size_t nw = (size_t)p.ncob32 * ksz * ksz * cin * 32, nin = (size_t)keff * W * cin + 64;
    uint16_t *w = malloc(nw * 2), *b = malloc((size_t)p.ncob32 * 64), *in = malloc(nin * 2);
    uint16_t *o1 = calloc((size_t)n * cout + 8, 2), *o2 = calloc((size_t)n * cout + 8, 2);
    float *r = malloc((nw + nin + 64) * 4);
    fill_rand(r, nw, 51, -0.5f, 0.5f);
    for (size_t i = 0; i < nw; i++)
        w[i] = vsr_f32_to_f16(r[i]);
    fill_rand(r, nin, 52, -2.f, 2.f);
    for (size_t i = 0; i < nin; i++)
        in[i] = vsr_f32_to_f16(r[i]);
    fill_rand(r, (size_t)p.ncob32 * 32, 53, -1.f, 1.f);
    for (int i = 0; i < p.ncob32 * 32; i++)
        b[i] = vsr_f32_to_f16(r[i]);
    p.wh = w, p.bh = b;
    p.minh = vsr_f32_to_f16(cout % 2 ? 0.f : -INFINITY), p.maxh = vsr_f32_to_f16(INFINITY);
    vsr_f16_conv_ukernel_1x32__scalar(&p, in + off, o1 + off, n);
    vsr_f16_conv_ukernel_nx64__avx512fp16(&p, in + off, o2 + off, n);
    float mx = 0.f;
    for (int i = 0; i < n * cout; i++)
        mx = fmaxf(mx, fabsf(vsr_f16_to_f32(o1[off + i])));
    for (int i = 0; i < n * cout; i++)
        if (o1[off + i] != o2[off + i])
            print_message("f16 cin %d cout %d n %d: %d: %04x vs %04x\n", cin, cout, n, i,
                          o1[off + i], o2[off + i]);
    assert_memory_equal(o1 + off, o2 + off, (size_t)n * cout * 2);
    assert_true(n * cout < 32 || mx > 0.f); /* not everything clamped */
    /* nothing written outside the outputs */
    for (int i = 0; i < off; i++)
        assert_int_equal(o2[i], 0);
    for (int i = off + n * cout; i < n * cout + 8; i++)
        assert_int_equal(o2[i], 0);
    free(w), free(b), free(in), free(o1), free(o2), free(r);
}

/*
 * One 1x1 conv with one input channel is out = fma(x, w, b) rounded once to
 * binary16. Hand-derived cases where rounding the exact product-sum first to
 * binary32 and then to binary16 (double rounding) would give another result:
 *  - 1.5 * (1 + 2^-10) - 2^-24 = 1 + 2^-1 + 2^-10 + 2^-11 - 2^-24: just below
 *    the midpoint between 0x3e01 and 0x3e02 -> 0x3e01 (binary32 first would
 *    land on the midpoint, ties to even -> 0x3e02);
 *  - the same + 2^-24: just above -> 0x3e02;
 *  - the midpoint itself (b = 0): ties to even -> 0x3e02;
 *  - 1.5 * (1 + 2^-10) - 1.5 = 1.5 * 2^-10 exactly (0x1600), and overflow: 256 * 256
 *    + 0 = 65536 -> inf (0x7c00); subnormal result 2^-14 * 2^-10 + 0 = 2^-24 (0x0001).
 * The scalar twin must give these on any CPU; AVX512-FP16, when present, too.
 */
static void test_f16_native_fma_rounding(void **state)
{
    (void)state;
    static const struct {
        uint16_t x, w, b, want;
    } cases[] = {
        {0x3e00, 0x3c01, 0x8001, 0x3e01}, {0x3e00, 0x3c01, 0x0001, 0x3e02},
        {0x3e00, 0x3c01, 0x0000, 0x3e02}, {0x3e00, 0x3c01, 0xbe00, 0x1600},
        {0x5c00, 0x5c00, 0x0000, 0x7c00}, {0x0400, 0x1400, 0x0000, 0x0001},
    };
    unsigned isa = vsr_cpu_features();
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        vsr_conv_uk p;
        memset(&p, 0, sizeof(p));
        p.kh = p.kw = 1, p.dil = 1, p.cin = 1, p.cout = 1, p.ncob32 = 1;
        p.in_row = 1;
        uint16_t w[32] = {cases[k].w}, b[32] = {cases[k].b}, in[32] = {cases[k].x};
        uint16_t o[2] = {0, 0};
        p.wh = w, p.bh = b;
        p.minh = vsr_f32_to_f16(-INFINITY), p.maxh = vsr_f32_to_f16(INFINITY);
        vsr_f16_conv_ukernel_1x32__scalar(&p, in, o, 1);
        if (o[0] != cases[k].want)
            print_message("case %zu: scalar %04x, want %04x\n", k, o[0], cases[k].want);
        assert_int_equal(o[0], cases[k].want);
        if (isa & VSR_ISA_AVX512FP16) {
            o[0] = 0;
            vsr_f16_conv_ukernel_nx64__avx512fp16(&p, in, o, 1);
            assert_int_equal(o[0], cases[k].want);
            assert_int_equal(o[1], 0);
        }
    }
}

/* Exact fma(x, w, c) of finite binary16 values rounded once to binary16 (ties to even),
 * in integers: every such value is m * 2^e with e >= -24, so x*w + c is an integer
 * multiple of 2^-48 below 2^81 (an __int128). An oracle independent of the twin. */
static uint16_t f16_fma_exact(uint16_t x, uint16_t w, uint16_t c)
{
    int sx = x >> 15, sw = w >> 15, sc = c >> 15;
    int ex = (x >> 10) & 31, ew = (w >> 10) & 31, ec = (c >> 10) & 31;
    __int128 mx = (x & 0x3ff) | (ex ? 0x400 : 0), mw = (w & 0x3ff) | (ew ? 0x400 : 0);
    __int128 mc = (c & 0x3ff) | (ec ? 0x400 : 0);
    int px = (ex ? ex : 1) - 25, pw = (ew ? ew : 1) - 25, pc = (ec ? ec : 1) - 25;
    __int128 P = (mx * mw) << (px + pw + 48), C = mc << (pc + 48);
    if (sx ^ sw)
        P = -P;
    if (sc)
        C = -C;
    __int128 S = P + C;
    if (S == 0) /* exact zero: -0 only for (-0) + (-0) */
        return (uint16_t)(((sx ^ sw) && sc && !mc) ? 0x8000 : 0);
    int neg = S < 0;
    unsigned __int128 a = (unsigned __int128)(neg ? -S : S);
    int top = 127;
    while (!((a >> top) & 1))
        top--;
    int qb = top - 10 > 24 ? top - 10 : 24; /* quantum: 11 bits, or the 2^-24 subnormal step */
    unsigned __int128 q = a >> qb, rem = a - (q << qb), half = (unsigned __int128)1 << (qb - 1);
    if (rem > half || (rem == half && (q & 1)))
        q++;
    double v = ldexp((double)q, qb - 48); /* <= 12 significant bits: exact */
    uint16_t h = vsr_f32_to_f16((float)v);
    return (uint16_t)(h | (neg ? 0x8000 : 0));
}

/* The scalar twin (and AVX512-FP16 when present) against the exact oracle on random
 * finite operands, half of them with c close to -x*w (cancellation, ties). */
static void test_f16_native_fma_exact(void **state)
{
    (void)state;
    vsr_conv_uk p;
    memset(&p, 0, sizeof(p));
    p.kh = p.kw = 1, p.dil = 1, p.cin = 1, p.cout = 32, p.ncob32 = 1, p.in_row = 1;
    uint16_t w[32], b[32], in[32] = {0}, o[32], want[32];
    p.wh = w, p.bh = b;
    p.minh = vsr_f32_to_f16(-INFINITY), p.maxh = vsr_f32_to_f16(INFINITY);
    unsigned isa = vsr_cpu_features();
    uint32_t r = 12345;
    int bad = 0;
    for (int it = 0; it < 20000; it++) {
        uint16_t v[65];
        for (int k = 0; k < 65; k++) {
            r = r * 1103515245u + 12345u;
            v[k] = (uint16_t)(r >> 9);
            if ((v[k] & 0x7c00) == 0x7c00) /* finite only */
                v[k] &= 0xbfff;
        }
        in[0] = v[64];
        for (int j = 0; j < 32; j++) {
            w[j] = v[j];
            b[j] = v[32 + j];
            if (j < 16) { /* c = -(x*w) rounded, nudged by a unit or two */
                float pr = vsr_f16_to_f32(in[0]) * vsr_f16_to_f32(w[j]);
                uint16_t h = vsr_f32_to_f16(-pr);
                if ((h & 0x7c00) != 0x7c00)
                    b[j] = (uint16_t)(h + (j % 3) - 1 * (h & 0x7fff ? 1 : 0));
            }
            want[j] = f16_fma_exact(in[0], w[j], b[j]);
        }
        vsr_f16_conv_ukernel_1x32__scalar(&p, in, o, 1);
        for (int j = 0; j < 32; j++)
            if (o[j] != want[j] && bad++ < 5)
                print_message("fma(%04x, %04x, %04x): scalar %04x, exact %04x\n", in[0], w[j],
                              b[j], o[j], want[j]);
        if (isa & VSR_ISA_AVX512FP16) {
            vsr_f16_conv_ukernel_nx64__avx512fp16(&p, in, o, 1);
            for (int j = 0; j < 32; j++)
                if (o[j] != want[j] && bad++ < 5)
                    print_message("fma(%04x, %04x, %04x): avx512fp16 %04x, exact %04x\n", in[0],
                                  w[j], b[j], o[j], want[j]);
        }
    }
    assert_int_equal(bad, 0);
}

/* floor(v / 2^s), written without a shift of a negative value: the arithmetic shift
 * (vpsravq) of the signed product in qs8-requant-avx512.h */
static int64_t floor_shift(int64_t v, int s)
{
    return v >= 0 ? v >> s : -((-v + ((int64_t)1 << s) - 1) >> s);
}

/* The VNNI kernels' signed requantization, in scalar int64: r + zp */
static int64_t rq_signed(int32_t acc, int32_t m, int s, int zp)
{
    return floor_shift(
        (int64_t)acc * m + ((int64_t)1 << (s - 1)) + (int64_t)zp * ((int64_t)1 << s), s);
}

/*
 * vsr__rq_fast_ok() (engine_kernels.h): where it holds, the signed product's rounding
 * equals vsr__requant() for every accumulator up to the bound, with any zero point;
 * at the first bound it refuses, 2^(s - 1 - v2(m)), the negative accumulator is a tie
 * on which the two differ, so the bound is tight. Every accumulator in [-2^16, 2^16]
 * and the bound's neighbours, for multipliers with 0..30 trailing zeros.
 */
static void test_rq_fast_bound(void **state)
{
    (void)state;
    static const int shifts[] = {32, 33, 38, 47, 52};
    static const int zps[] = {-128, -7, 0, 127, 255};
    for (int si = 0; si < 5; si++)
        for (int k = 0; k <= 30; k++) {
            int s = shifts[si], e = s - 1 - k;
            int32_t m = k == 30 ? 1 << 30 : (1 << 30) | (1 << k) | (k < 29 ? 1 << 29 : 0);
            int64_t lim = e < 31 ? ((int64_t)1 << e) - 1 : ((int64_t)1 << 31) - 1;
            assert_true(vsr__rq_fast_ok(m, s, lim));
            assert_false(vsr__rq_fast_ok(m, s, lim + 1));
            int64_t span = lim < 65536 ? lim : 65536;
            for (int64_t a = -span; a <= span + 4; a++) {
                int32_t acc = (int32_t)(a <= span       ? a
                                        : a == span + 1 ? lim
                                        : a == span + 2 ? -lim
                                        : a == span + 3 ? lim - 1
                                                        : 1 - lim);
                for (int z = 0; z < 5; z++)
                    if (rq_signed(acc, m, s, zps[z]) - zps[z] != vsr__requant(acc, m, s))
                        fail_msg("m %d s %d acc %d zp %d: %lld vs %lld", m, s, acc, zps[z],
                                 (long long)(rq_signed(acc, m, s, zps[z]) - zps[z]),
                                 (long long)vsr__requant(acc, m, s));
            }
            if (e < 31) { /* -2^e: acc * m = -(m / 2^k) 2^(s-1), an odd multiple of the half */
                int32_t tie = (int32_t) - ((int64_t)1 << e);
                assert_int_not_equal(rq_signed(tie, m, s, 0), vsr__requant(tie, m, s));
            }
        }
    /* the shifts outside [32, 52], a negative multiplier */
    assert_false(vsr__rq_fast_ok(1 << 30 | 1, 31, 1));
    assert_false(vsr__rq_fast_ok(1 << 30 | 1, 53, 1));
    assert_false(vsr__rq_fast_ok(-(1 << 30), 40, 1));
}

static void test_simd_vs_scalar_kernels(void **state)
{
    (void)state;
    unsigned isa = vsr_cpu_features();
    static const int shapes[][5] = {
        /* cin, cout, k, dil, n */
        {28, 28, 3, 1, 11},
        {3, 28, 3, 1, 7},
        {5, 7, 3, 2, 13},
        {16, 48, 3, 1, 9},
        {13, 33, 5, 1, 6},
        {1, 1, 1, 1, 5},
        {9, 16, 3, 3, 4},
        {6, 17, 1, 1, 3},
        /* the register-tiled nx48 kernels: 3x8 / 2x12 / 1x16 main steps, then 4-pixel and
         * 1-pixel remainders, compile-time widths 16/28/32/48 and runtime ones */
        {28, 28, 3, 1, 37},
        {48, 48, 3, 1, 29},
        {16, 16, 3, 1, 23},
        {32, 40, 3, 2, 21},
        {20, 64, 3, 1, 14},
        {48, 28, 1, 1, 30},
        {28, 48, 3, 1, 13},
        {7, 3, 3, 1, 19},
        /* the lane-tiled 28 -> 28 VNNI path (4 pixels x 4 channels per register): a
         * 12-pixel block, two 4-pixel blocks and 3 pixels of 16-channel tiles, dilated */
        {28, 28, 3, 2, 23},
    };
    int tested = 0;
    for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++)
        for (int off = 0; off < 3; off++) {
            const int *c = shapes[s];
            if (isa & VSR_ISA_AVX2) {
                f32_case(vsr_f32_conv_ukernel_4x16__avx2, c[0], c[1], c[2], c[3], c[4], off);
                i16_case(c[0], c[1], c[2], c[3], c[4], off);
                tested++;
            }
            if (isa & VSR_ISA_AVX512) {
                f32_case(vsr_f32_conv_ukernel_nx48__avx512f, c[0], c[1], c[2], c[3], c[4], off);
                tested++;
            }
            if (isa & VSR_ISA_AVX512FP16) {
                f16_case(c[0], c[1], c[2], c[3], c[4], off);
                tested++;
            }
            if (isa & VSR_ISA_AVX512VNNI) {
                for (int mode = RQ_TIES31; mode <= RQ_FAST; mode++)
                    qs8_case(vsr_qs8_conv_ukernel_nx48__avx512vnni, c[0], c[1], c[2], c[3],
                             c[4], off, mode);
                tested++;
            }
        }
    if (!tested) {
        VSR_SKIP("this CPU has no AVX2/AVX-512");
    }
}

/* ---- engine-level ------------------------------------------------------------ */

static vsr_graph *conv_net(int h, int w)
{
    vsr_graph *g = NULL;
    vsr_error err = {0};
    OK(vsr_graph_create("net", &g, &err));
    int x = vsr_graph_input(g, "x", h, w, 3, &err);
    vsr_conv_params p = vsr_conv_default(28, 3);
    p.act.type = VSR_ACT_RELU;
    int t = vsr_graph_conv2d(g, "c1", x, &p, &err);
    p.dilation = 2;
    t = vsr_graph_conv2d(g, "c2", t, &p, &err);
    p.dilation = 1;
    p.cout = 12;
    p.act.type = VSR_ACT_NONE;
    t = vsr_graph_conv2d(g, "c3", t, &p, &err);
    OK(vsr_graph_output(g, "y", t, &err));
    rand_weights(g, 5, -0.3f, 0.3f);
    return g;
}

static void calibrate(vsr_graph *g, const float *in0, int h, int w, vsr_calib_method m)
{
    vsr_error err = {0};
    vsr_calib *c = NULL;
    OK(vsr_calib_create(g, NULL, &c, &err));
    const float *in[1] = {in0};
    OK(vsr_calib_feed(c, in, h, w, &err));
    vsr_calib_options o;
    vsr_calib_options_default(&o);
    o.method = m;
    OK(vsr_calib_finish(c, &o, g, &err));
    vsr_calib_free(&c);
}

static void test_int8_conv_within_one_step(void **state)
{
    (void)state;
    /* a single conv so that the error is one layer's: input exactly representable */
    vsr_graph *g = NULL;
    vsr_error err = {0};
    OK(vsr_graph_create("one", &g, &err));
    int x = vsr_graph_input(g, "x", 7, 9, 8, &err);
    vsr_conv_params p = vsr_conv_default(5, 3);
    int y = vsr_graph_conv2d(g, "c", x, &p, &err);
    OK(vsr_graph_output(g, "y", y, &err));
    rand_weights(g, 9, -0.1f, 0.1f);
    float in0[7 * 9 * 8];
    fill_rand(in0, sizeof(in0) / 4, 4, 0, 255);
    for (size_t i = 0; i < sizeof(in0) / 4; i++)
        in0[i] = nearbyintf(in0[i]); /* integer pixels: exact with scale 1 */
    calibrate(g, in0, 7, 9, VSR_CALIB_MINMAX);
    float s;
    int zp;
    OK(vsr_graph_get_quant(g, y, &s, &zp, &err));
    const float *in[1] = {in0};
    int oh, ow, oc;
    float *a = run_graph(g, VSR_PREC_FP32, NULL, in, 7, 9, 0, &oh, &ow, &oc);
    float *b = run_graph(g, VSR_PREC_INT8, NULL, in, 7, 9, 0, &oh, &ow, &oc);
    float worst = 0;
    for (int i = 0; i < oh * ow * oc; i++)
        worst = fmaxf(worst, fabsf(a[i] - b[i]));
    print_message("int8 conv: worst |int8 - fp32| = %g, output step %g\n", worst, s);
    assert_true(worst <= s);
    free(a), free(b);
    vsr_graph_free(&g);
}

static void test_engine_simd_vs_scalar(void **state)
{
    (void)state;
    int h = 13, w = 17;
    vsr_graph *g = conv_net(h, w);
    float *in0 = malloc((size_t)h * w * 3 * 4);
    fill_rand(in0, (size_t)h * w * 3, 8, 0, 255);
    calibrate(g, in0, h, w, VSR_CALIB_MINMAX);
    const float *in[1] = {in0};
    vsr_engine_options so;
    vsr_engine_options_default(&so);
    so.force_scalar = 1;
    int oh, ow, oc;
    vsr_engine_options avx2;
    vsr_engine_options_default(&avx2);
    avx2.isa_mask = VSR_ISA_AVX2; /* the non-VNNI INT8 path (int16 pairs) */
    for (int run = 0; run < 4; run++) {
        int prec = run < 3 ? run : VSR_PREC_INT8;
        float *a = run_graph(g, (vsr_precision)prec, &so, in, h, w, 0, &oh, &ow, &oc);
        float *b = run_graph(g, (vsr_precision)prec, run < 3 ? NULL : &avx2, in, h, w, 0, &oh,
                             &ow, &oc);
        size_t n = (size_t)oh * ow * oc;
        if (prec == VSR_PREC_INT8) {
            assert_memory_equal(a, b, n * sizeof(float));
        } else {
            /* FP32: FMA contraction and ordering, relative to the output's magnitude
             * (the last layer cancels large partial sums); FP16: that, plus a binary16
             * rounding that can flip by one unit per layer */
            float mx = 0;
            for (size_t i = 0; i < n; i++)
                mx = fmaxf(mx, fabsf(a[i]));
            float tol = (prec == VSR_PREC_FP32 ? 1e-5f : 5e-3f) * mx;
            for (size_t i = 0; i < n; i++) {
                if (fabsf(a[i] - b[i]) > tol)
                    print_message("%s: %zu: scalar %g simd %g (max %g)\n",
                                  vsr_precision_name((vsr_precision)prec), i, a[i], b[i], mx);
                assert_true(fabsf(a[i] - b[i]) <= tol);
            }
        }
        free(a), free(b);
    }
    free(in0);
    vsr_graph_free(&g);
}

/*
 * Row-blocked INT8 activations (ops/conv.c, vsr__conv_layouts): a chain 3 -> 28 -> 28
 * -> 28 -> co (the first two k x k with dilation d, the others 3 x 3), where co = 12
 * runs with pixels in lanes and co = 48 reads its blocked input on the VNNI tiles.
 * The first conv packs the 3-channel image (which stays NHWC: it is the graph's
 * input) into one 4-byte group per pixel. With both_out the second conv's output is
 * also a graph output, so it stays NHWC: the second conv then writes NHWC rows and
 * the third packs its 28-channel input. Every output byte must be the forced-scalar
 * engine's (the NHWC 1x16 kernel), at widths below, at and across 16-pixel vectors,
 * heights from 1 (every row's taps reach the padding), and with the chunks of 2
 * threads. On a VNNI machine the layouts are checked too, so that the comparison is
 * of the blocked paths.
 */
static const vsr_conv_prep *conv_of(const vsr_engine *e, int t)
{
    for (int k = 0; k < e->g->n_nodes; k++)
        if (e->plan.exec[k] && e->g->nodes[k].op == VSR_OP_CONV2D && e->plan.dst[k] == t)
            return &e->conv[k];
    fail_msg("no conv writes tensor %d", t);
    return NULL;
}

static float *blk_run(const vsr_graph *g, int scalar, pthreadpool_t pool, const float *in0,
                      int h, int w, const int *node, int both_out, int co)
{
    vsr_engine *e = NULL;
    vsr_error err = {0};
    vsr_engine_options o;
    vsr_engine_options_default(&o);
    o.force_scalar = scalar;
    o.always_pool = 1;
    OK(vsr_engine_create(g, VSR_PREC_INT8, pool, &o, &e, &err));
    if (!scalar && (vsr_engine_isa(e) & VSR_ISA_AVX512VNNI)) {
        /* c1 blocked; c2 blocked unless a graph output; c3 blocked (read by c4 either
         * way); c4 a graph output */
        assert_int_equal(e->blk[node[0]], 1);
        assert_int_equal(e->blk[node[1]], !both_out);
        assert_int_equal(e->blk[node[2]], 1);
        assert_int_equal(e->blk[node[3]], 0);
        assert_int_equal(conv_of(e, node[0])->pl, 1);
        assert_int_equal(conv_of(e, node[1])->pl, 1);
        assert_int_equal(conv_of(e, node[2])->pl, 1);
        assert_int_equal(conv_of(e, node[3])->pl, co % 16 != 0);
    } else if (!scalar) {
        print_message("no AVX-512 VNNI: the blocked layouts are not used on this CPU\n");
    }
    /* the count's INT8 peak (what tiling plans from) covers the padded rows */
    vsr_graph_stats st;
    OK(vsr_graph_count(g, h, w, VSR_PREC_INT8, &st, &err));
    if (st.peak_scratch_bytes < vsr_engine_scratch_bytes(e))
        print_message("count %zu < engine %zu bytes\n", st.peak_scratch_bytes,
                      vsr_engine_scratch_bytes(e));
    assert_true(st.peak_scratch_bytes >= vsr_engine_scratch_bytes(e));
    OK(vsr_engine_set_input(e, 0, in0, h, w, 3, &err));
    OK(vsr_engine_run(e, &err));
    int oh, ow, oc;
    OK(vsr_engine_output_shape(e, 0, &oh, &ow, &oc));
    size_t n = (size_t)oh * ow * oc;
    float *out = malloc(n * sizeof(float));
    OK(vsr_engine_get_output(e, 0, out, n, &err));
    vsr_engine_free(&e);
    return out;
}

static void test_blocked_layouts_exact(void **state)
{
    (void)state;
    static const int hw[][2] = {{1, 1}, {2, 5}, {5, 16}, {4, 17}, {3, 40}, {9, 33}};
    static const int kd[][2] = {{3, 1}, {1, 1}, {5, 1}, {3, 2}, {5, 3}};
    pthreadpool_t pool = pthreadpool_create(2);
    assert_non_null(pool);
    int cases = 0;
    for (int co = 12; co <= 48; co += 36)
        for (int both_out = 0; both_out < 2; both_out++)
            for (size_t q = 0; q < sizeof kd / sizeof kd[0]; q++)
                for (size_t s = 0; s < sizeof hw / sizeof hw[0]; s++) {
                    int h = hw[s][0], w = hw[s][1], node[4];
                    vsr_graph *g = NULL;
                    vsr_error err = {0};
                    OK(vsr_graph_create("blk", &g, &err));
                    int x = vsr_graph_input(g, "x", h, w, 3, &err);
                    vsr_conv_params p = vsr_conv_default(28, 3);
                    vsr_conv_params p2 = vsr_conv_default(28, kd[q][0]);
                    p2.dilation = kd[q][1];
                    p2.act.type = VSR_ACT_RELU;
                    node[0] = vsr_graph_conv2d(g, "c1", x, &p2, &err);
                    node[1] = vsr_graph_conv2d(g, "c2", node[0], &p2, &err);
                    p.act.type = VSR_ACT_NONE;
                    node[2] = vsr_graph_conv2d(g, "c3", node[1], &p, &err);
                    p.cout = co;
                    node[3] = vsr_graph_conv2d(g, "c4", node[2], &p, &err);
                    OK(node[3]);
                    OK(vsr_graph_output(g, "y", node[3], &err));
                    if (both_out)
                        OK(vsr_graph_output(g, "y2", node[1], &err));
                    rand_weights(g, 11u + (uint32_t)q, -0.3f, 0.3f);
                    float *in0 = malloc((size_t)h * w * 3 * sizeof(float));
                    fill_rand(in0, (size_t)h * w * 3, 40u + (uint32_t)s, -40, 215);
                    calibrate(g, in0, h, w, VSR_CALIB_MINMAX);
                    OK(vsr_graph_set_quant(g, x, 1.f, -88, &err)); /* the padding != byte 0 */
                    size_t n = (size_t)h * w * co;
                    float *ref = blk_run(g, 1, NULL, in0, h, w, node, both_out, co);
                    for (int t = 0; t < 2; t++) {
                        float *got =
                            blk_run(g, 0, t ? pool : NULL, in0, h, w, node, both_out, co);
                        if (memcmp(ref, got, n * sizeof(float)))
                            print_message("co %d both_out %d k %d d %d %dx%d threads %d: "
                                          "SIMD != scalar\n",
                                          co, both_out, kd[q][0], kd[q][1], h, w, t + 1);
                        assert_memory_equal(ref, got, n * sizeof(float));
                        free(got);
                    }
                    /* not all one value: the comparison is of real outputs */
                    int varied = 0;
                    for (size_t i = 1; i < n && !varied; i++)
                        varied = ref[i] != ref[0];
                    assert_true(varied || n < 32);
                    cases++;
                    free(ref), free(in0);
                    vsr_graph_free(&g);
                }
    assert_int_equal(cases, 2 * 2 * 5 * 6);
    pthreadpool_destroy(pool);
}

/*
 * INT8 convs with a float epilogue (PReLU, leaky, sigmoid) take the int16
 * kernels' raw int32 accumulators (acc32 mode, since 9020cf2) and apply the
 * activation in FP32 per value, exactly as the per-pixel reference row_qs8
 * (the path these convs took before 9020cf2) does. Checked, per activation:
 *
 *  1. SIMD and forced scalar (the scalar acc32 kernel) agree bit for bit.
 *  2. acc32 equals the per-pixel reference bit for bit: a stride-2 twin with
 *     the same weights and output quantization runs row_qs8, and its output
 *     (y, x) is the stride-1 output (2y, 2x) (SAME padding is 1 on each side
 *     for both at these odd sizes).
 *  3. Every INT8 output is the quantized arithmetic, modelled here in double
 *     independently of the engine: input x - 128 (calibrated [0, 255]: scale
 *     1, exact), weights round(w / ws[o]) with ws[o] = max|w[o]| / 127, bias
 *     round(b / ws[o]), the activation, rounded to the output grid. One
 *     output step of slack: the engine runs the epilogue in float, so a value
 *     within float rounding of a half step may round the other way.
 *  4. Against FP32, per output: the input and the int32 sum are exact, so
 *     the only error before the epilogue is the weights' and bias' rounding,
 *     |pre_int8 - pre_fp32| <= E = (sum over the taps of |x|) * ws/2 + ws/2
 *     (sx = 1). Hence |int8 - fp32| <= D + s/2 + FP32 slack, where D = the
 *     largest |act(t) - act(pre_fp32)| for t in [pre - E, pre + E] (at an
 *     end, or at 0 for PReLU's kink) and s/2 the output rounding.
 *
 * The old per-step bound (2.5 output steps) holds for PReLU and leaky, whose
 * output step (about 0.9) is as coarse as the pre-activation error (E up to
 * 4.2, about 1 in practice), but not for sigmoid: its output step is 1/255
 * while the same pre-activation error of about 1 moves sigmoid by up to
 * 1/4 per unit near 0 (0.18 here). That is the weights' int8 rounding, the
 * same before and after 9020cf2 (2: identical outputs; also compared
 * against a build of 9020cf2^), not an output scale or accumulator bug
 * (the sigmoid output is calibrated to [0, 1]: scale 1/255, zero point -128,
 * the step of TFLite's fixed 1/256 to within 0.4 %), so sigmoid is bounded
 * by 2-4 instead.
 */
static double epi_act(vsr_act_type a, double alpha, double v)
{
    if (a == VSR_ACT_SIGMOID)
        return 1.0 / (1.0 + exp(-v));
    return v >= 0 ? v : alpha * v;
}

static void test_int8_float_epilogue_conv(void **state)
{
    (void)state;
    static const vsr_act_type acts[] = {VSR_ACT_PRELU, VSR_ACT_LEAKY_RELU, VSR_ACT_SIGMOID};
    enum { H = 7, W = 19, CI = 8, CO = 21 };
    for (int a = 0; a < 3; a++) {
        vsr_graph *g = NULL;
        vsr_error err = {0};
        OK(vsr_graph_create("epi", &g, &err));
        int x = vsr_graph_input(g, "x", H, W, CI, &err);
        vsr_conv_params p = vsr_conv_default(CO, 3);
        p.act.type = acts[a];
        p.act.alpha = 0.25f;
        int y = vsr_graph_conv2d(g, "c", x, &p, &err);
        p.stride = 2;
        int y2 = vsr_graph_conv2d(g, "c2", x, &p, &err);
        OK(vsr_graph_output(g, "y", y, &err));
        OK(vsr_graph_output(g, "y2", y2, &err));
        rand_weights(g, 19 + a, -0.1f, 0.1f);
        static const char *const roles[] = {"weight", "bias", "alpha"};
        const float *wt = NULL, *bs = NULL, *al = NULL;
        for (int r = 0; r < (acts[a] == VSR_ACT_PRELU ? 3 : 2); r++) {
            char n1[32], n2[32];
            const float *d = NULL;
            size_t n = 0;
            snprintf(n1, sizeof(n1), "c.%s", roles[r]);
            snprintf(n2, sizeof(n2), "c2.%s", roles[r]);
            OK(vsr_graph_get_weight(g, n1, &d, &n, &err));
            OK(vsr_graph_set_weight(g, n2, d, n, &err));
            *(r == 0 ? &wt : r == 1 ? &bs : &al) = d;
        }
        float in0[H * W * CI];
        fill_rand(in0, sizeof(in0) / 4, 6, 0, 255);
        for (size_t i = 0; i < sizeof(in0) / 4; i++)
            in0[i] = nearbyintf(in0[i]);
        in0[0] = 0.f, in0[1] = 255.f; /* calibrated range [0, 255]: scale 1 */
        calibrate(g, in0, H, W, VSR_CALIB_MINMAX);
        float s, sx;
        int zp, zx;
        OK(vsr_graph_get_quant(g, x, &sx, &zx, &err));
        assert_true(sx == 1.f && zx == -128);
        OK(vsr_graph_get_quant(g, y, &s, &zp, &err));
        OK(vsr_graph_set_quant(g, y2, s, zp, &err));
        if (acts[a] == VSR_ACT_SIGMOID) /* observed [0, 1] */
            assert_true(fabsf(s - 1.f / 255.f) < 1e-7f && zp == -128);
        const float *in[1] = {in0};
        vsr_engine_options sc;
        vsr_engine_options_default(&sc);
        sc.force_scalar = 1;
        int oh, ow, oc, h2, w2, c2;
        float *f = run_graph(g, VSR_PREC_FP32, NULL, in, H, W, 0, &oh, &ow, &oc);
        float *q = run_graph(g, VSR_PREC_INT8, NULL, in, H, W, 0, &oh, &ow, &oc);
        float *qs = run_graph(g, VSR_PREC_INT8, &sc, in, H, W, 0, &oh, &ow, &oc);
        float *qr = run_graph(g, VSR_PREC_INT8, NULL, in, H, W, 1, &h2, &w2, &c2);
        assert_true(oh == H && ow == W && oc == CO && h2 == (H + 1) / 2 && w2 == (W + 1) / 2);
        /* 1 */
        assert_memory_equal(q, qs, (size_t)oh * ow * oc * sizeof(float));
        /* 2 */
        for (int yy = 0; yy < h2; yy++)
            for (int xx = 0; xx < w2; xx++)
                assert_memory_equal(q + ((size_t)(2 * yy) * W + 2 * xx) * CO,
                                    qr + ((size_t)yy * w2 + xx) * CO, CO * sizeof(float));
        float ws[CO];
        for (int o = 0; o < CO; o++) {
            float mx = 0;
            for (int k = 0; k < 9 * CI; k++)
                mx = fmaxf(mx, fabsf(wt[k * CO + o]));
            ws[o] = mx / 127.f; /* as the engine computes it */
        }
        double worst = 0, worst_model = 0, worst_over = -1;
        int off_model = 0;
        for (int yy = 0; yy < H; yy++)
            for (int xx = 0; xx < W; xx++)
                for (int o = 0; o < CO; o++) {
                    double pf = bs[o], sabs = 0, sxw = fabs(bs[o]);
                    double pq = nearbyint(bs[o] / ws[o]) * ws[o];
                    for (int ky = 0; ky < 3; ky++)
                        for (int kx = 0; kx < 3; kx++) {
                            int iy = yy + ky - 1, ix = xx + kx - 1;
                            if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                                continue;
                            for (int ci = 0; ci < CI; ci++) {
                                double xv = in0[(iy * W + ix) * CI + ci];
                                double wv = wt[((ky * 3 + kx) * CI + ci) * CO + o];
                                pf += xv * wv;
                                pq += xv * nearbyint(wv / ws[o]) * ws[o];
                                sabs += xv;
                                sxw += fabs(xv * wv);
                            }
                        }
                    double al_o = acts[a] == VSR_ACT_PRELU ? al[o] : 0.25;
                    size_t i = ((size_t)yy * W + xx) * CO + o;
                    /* 3: compare on the integer grid */
                    double mq = nearbyint(epi_act(acts[a], al_o, pq) / s) + zp;
                    mq = fmin(fmax(mq, -128), 127);
                    double eq = nearbyint(q[i] / s) + zp;
                    worst_model = fmax(worst_model, fabs(eq - mq));
                    off_model += eq != mq;
                    /* 4 */
                    double E = (sabs + 1) * ws[o] / 2 * (1 + 1e-6);
                    double af = epi_act(acts[a], al_o, pf);
                    double D = fmax(fabs(epi_act(acts[a], al_o, pf - E) - af),
                                    fabs(epi_act(acts[a], al_o, pf + E) - af));
                    if (fabs(pf) <= E)
                        D = fmax(D, fabs(af)); /* act(0) = 0 for PReLU/leaky */
                    /* FP32 slack: the engine's sum of 73 terms rounds by at most
                     * 73 * 2^-24 of sum |x w| (< 1e-5), through a slope <= 1 */
                    double tol = D + s / 2 + 1e-5 * sxw + 1e-6;
                    double e = fabs((double)f[i] - (double)q[i]);
                    worst = fmax(worst, e);
                    worst_over = fmax(worst_over, e - tol);
                    if (e > tol)
                        print_message("o%d (%d,%d): pre %g +- %g: fp32 %g int8 %g > %g\n", o,
                                      yy, xx, pf, E, f[i], q[i], tol);
                    assert_true(e <= tol);
                }
        print_message("int8 conv + %d: worst |int8 - fp32| = %g (step %g); int8 vs the "
                      "quantized model: %d of %d off, by at most %g step\n",
                      (int)acts[a], worst, s, off_model, H * W * CO, worst_model);
        assert_true(worst_model <= 1);
        assert_true(worst_over <= 0);
        if (acts[a] != VSR_ACT_SIGMOID) /* coarse output step: see above */
            assert_true(worst <= 2.5f * s);
        free(f), free(q), free(qs), free(qr);
        vsr_graph_free(&g);
    }
}

/*
 * FP16 native at engine level (precision "fp16n"): forced scalar (the scalar
 * twin, what a CPU without AVX512-FP16 runs, also through VSR_FORCE_SCALAR=1)
 * and SIMD give the same bits; the old spelling (FP16 + fp16_native) is the
 * same engine; both are close to the FP32-accumulate FP16 run (binary16
 * accumulation over Cin*9 = 252 terms: within 2 % of the output's magnitude).
 */
static void test_engine_fp16_native(void **state)
{
    (void)state;
    int h = 11, w = 19;
    vsr_graph *g = conv_net(h, w);
    float *in0 = malloc((size_t)h * w * 3 * 4);
    fill_rand(in0, (size_t)h * w * 3, 8, 0, 1);
    const float *in[1] = {in0};
    vsr_engine_options nat, sc;
    vsr_engine_options_default(&nat);
    nat.fp16_native = 1;
    vsr_engine_options_default(&sc);
    sc.force_scalar = 1;
    int oh, ow, oc;
    float *ref = run_graph(g, VSR_PREC_FP16, NULL, in, h, w, 0, &oh, &ow, &oc);
    float *a = run_graph(g, VSR_PREC_FP16N, &sc, in, h, w, 0, &oh, &ow, &oc);
    float *b = run_graph(g, VSR_PREC_FP16N, NULL, in, h, w, 0, &oh, &ow, &oc);
    float *c = run_graph(g, VSR_PREC_FP16, &nat, in, h, w, 0, &oh, &ow, &oc);
    setenv("VSR_FORCE_SCALAR", "1", 1);
    float *d = run_graph(g, VSR_PREC_FP16N, NULL, in, h, w, 0, &oh, &ow, &oc);
    unsetenv("VSR_FORCE_SCALAR");
    size_t n = (size_t)oh * ow * oc;
    assert_memory_equal(a, b, n * sizeof(float));
    assert_memory_equal(b, c, n * sizeof(float));
    assert_memory_equal(a, d, n * sizeof(float));
    float mx = 0;
    for (size_t i = 0; i < n; i++)
        mx = fmaxf(mx, fabsf(ref[i]));
    assert_true(mx > 0.f);
    double worst_ref = 0;
    int differ = 0;
    for (size_t i = 0; i < n; i++) {
        worst_ref = fmax(worst_ref, fabsf(a[i] - ref[i]));
        differ += a[i] != ref[i];
    }
    print_message("fp16n vs fp16 (fp32-accumulate): worst %g (max %g), %d of %zu differ\n",
                  worst_ref, mx, differ, n);
    assert_true(worst_ref <= 2e-2 * mx);
    assert_true(differ > 0); /* the native path really ran */
    /* the engine reports the precision it runs */
    vsr_error err = {0};
    vsr_engine *e = NULL;
    OK(vsr_engine_create(g, VSR_PREC_FP16, NULL, &nat, &e, &err));
    assert_int_equal(vsr_engine_precision(e), VSR_PREC_FP16N);
    vsr_engine_free(&e);
    OK(vsr_engine_create(g, VSR_PREC_FP32, NULL, &nat, &e, &err));
    assert_int_equal(vsr_engine_precision(e), VSR_PREC_FP32); /* the option is FP16 only */
    vsr_engine_free(&e);
    vsr_precision pr;
    OK(vsr_precision_parse("FP16N", &pr, &err));
    assert_int_equal(pr, VSR_PREC_FP16N);
    assert_string_equal(vsr_precision_name(VSR_PREC_FP16N), "fp16n");
    assert_int_equal(vsr_precision_parse("fp8", &pr, &err), -EINVAL);
    assert_string_equal(err.msg, "precision 'fp8' is not one of fp32, fp16, fp16n, int8");
    free(ref), free(a), free(b), free(c), free(d), free(in0);
    vsr_graph_free(&g);
}

/*
 * The SR tail y = clip(depth_to_space(t + concat(x, .., x))) is fused at engine
 * creation into one pass (ops/fused.c). It must give exactly what the
 * unfused ops give (vsr__engine_create_ex(no_fuse = 1)), in every precision,
 * with SIMD kernels and forced scalar, with the add's operands either way
 * round, without the clip, and when the anchor concat has its own INT8
 * parameters (rescaled through the concat table).
 */
/* The INT8 tail's computed form (vsr_tail_q, default requantization) against the
 * tail's 256 x 256 output table dequantized (deq[lut]): all 65536 (q_t, q_x) pairs
 * through the scalar kernel and, where the CPU has it, the AVX-512 one (one x value
 * per call, the 256 t values as 256 one-channel pixels; as 3-channel pixels with r =
 * 2, the vector path's lane permutation; and x4 RGB, r = 4, the four-pixel path,
 * over 131 pixels: two chunks of anchor lookups and 3 pixels left over). The table
 * and the scalar kernel share one composition (ops/fused.c); the unfused ops are
 * the independent oracle of both (tail_case below); this checks the vector twin
 * and the row layout. */
/* The vector kernel's forms check_tail_q has met: [0] the twin's operations, [1] the
 * short form with a clip whose requantization may saturate, [2] with one that cannot,
 * [3] without a clip, [4] form 2 without the sum's clamp and + dz (vsr_tail_q: small,
 * inside, lean) */
static int tail_forms[5];

static void check_tail_q(const vsr_engine *e)
{
    const vsr_tail_q *q = e->tail.q;
    assert_non_null(q);
    tail_forms[!q->small ? 0 : !q->clip ? 3 : !q->inside ? 1 : q->lean ? 4 : 2]++;
    assert_null(e->tail.flut); /* the float rows compute; no table of them */
    const float *deq = e->tail.deq;
    const int8_t *lut = e->tail.lut;
    enum { NW = 131 };
    static int8_t t[NW * 48], x[256 * 3];
    static float o[NW * 48];
    unsigned isa = vsr_cpu_isa();
    for (int simd = 0; simd < 2; simd++) {
        if (simd && !((isa & VSR_ISA_AVX512) && (isa & VSR_ISA_AVX2)))
            continue;
        vsr_qs8_tail_q_fn fn = simd ? vsr_qs8_tail_q__avx512f : vsr_qs8_tail_q__scalar;
        for (int qx = -128; qx < 128; qx++) {
            for (int k = 0; k < 256; k++)
                t[k] = (int8_t)(k - 128), x[k] = (int8_t)qx;
            fn(t, x, o, 256, 1, 1, 1, 256, q);
            for (int k = 0; k < 256; k++)
                assert_memory_equal(&o[k], &deq[lut[k * 256 + qx + 128] + 128], sizeof(float));
        }
        for (int r = 2; r <= 4; r += 2) {
            /* 3 channels: output row i, pixel w reads t[w*ct + (i*r + j)*3 + c] */
            int ct = r * r * 3, nw = r == 2 ? 256 : NW;
            size_t os = (size_t)nw * r * 3;
            for (int k = 0; k < nw * ct; k++)
                t[k] = (int8_t)((k * 37 + 11) & 255);
            for (int k = 0; k < nw * 3; k++)
                x[k] = (int8_t)((k * 101 + 7) & 255);
            fn(t, x, o, nw, r, 3, ct, os, q);
            for (int i = 0; i < r; i++)
                for (int w = 0; w < nw; w++)
                    for (int j = 0; j < r; j++)
                        for (int c = 0; c < 3; c++) {
                            int qt = t[w * ct + (i * r + j) * 3 + c], qv = x[w * 3 + c];
                            assert_memory_equal(&o[i * os + (size_t)(w * r + j) * 3 + c],
                                                &deq[lut[(qt + 128) * 256 + qv + 128] + 128],
                                                sizeof(float));
                        }
        }
    }
}

static float *run_algo(const vsr_graph *g, vsr_precision prec, int scalar, int no_fuse,
                       vsr_conv_algo algo, const float *in0, int h, int w, size_t *n,
                       int *fused)
{
    vsr_error err = {0};
    vsr_engine_options o;
    vsr_engine_options_default(&o);
    o.force_scalar = scalar;
    o.conv_algo = algo;
    vsr_engine *e = NULL;
    OK(vsr__engine_create_ex(g, prec, NULL, &o, no_fuse, &e, &err));
    *fused = e->tail.node >= 0;
    if (*fused && prec == VSR_PREC_INT8)
        check_tail_q(e);
    OK(vsr_engine_set_input(e, 0, in0, h, w, 3, &err));
    OK(vsr_engine_run(e, &err));
    /* a whole-frame run of these small frames computes the tail in the bands of the
     * conv that makes t (c2), and the layer profile says so */
    for (int i = 0; i < vsr_engine_layer_count(e); i++) {
        vsr_layer_profile lp;
        OK(vsr_engine_layer_profile(e, i, &lp));
        assert_int_equal(lp.with_tail, *fused && strcmp(lp.name, "c2") == 0);
    }
    int oh, ow, oc;
    OK(vsr_engine_output_shape(e, 0, &oh, &ow, &oc));
    *n = (size_t)oh * ow * oc;
    float *y = malloc(*n * sizeof(float));
    OK(vsr_engine_get_output(e, 0, y, *n, &err));
    vsr_engine_free(&e);
    return y;
}

static float *run_ex(const vsr_graph *g, vsr_precision prec, int scalar, int no_fuse,
                     const float *in0, int h, int w, size_t *n, int *fused)
{
    return run_algo(g, prec, scalar, no_fuse, VSR_CONV_DIRECT, in0, h, w, n, fused);
}

static void tail_case(int r, int swap, int clip, int anchor_q)
{
    int h = 7, w = 9;
    vsr_error err = {0};
    vsr_graph *g = NULL;
    OK(vsr_graph_create("tail", &g, &err));
    int x = vsr_graph_input(g, "x", h, w, 3, &err);
    int reps[16];
    for (int i = 0; i < r * r; i++)
        reps[i] = x;
    int anc = vsr_graph_concat(g, "anchor", r * r, reps, &err);
    vsr_conv_params p = vsr_conv_default(12, 3);
    p.act.type = VSR_ACT_RELU;
    int t = vsr_graph_conv2d(g, "c1", x, &p, &err);
    p.cout = 3 * r * r;
    p.act.type = VSR_ACT_NONE;
    t = vsr_graph_conv2d(g, "c2", t, &p, &err);
    int a =
        swap ? vsr_graph_add(g, "add", anc, t, &err) : vsr_graph_add(g, "add", t, anc, &err);
    int d = vsr_graph_depth_to_space(g, "d2s", a, r, &err);
    int y = clip ? vsr_graph_clip(g, "clip", d, 0.f, 255.f, &err) : d;
    OK(vsr_graph_output(g, "sr", y, &err));
    rand_weights(g, 41u + (uint32_t)r, -0.4f, 0.4f);
    float *in0 = malloc((size_t)h * w * 3 * 4);
    fill_rand(in0, (size_t)h * w * 3, 19, 0, 255);
    calibrate(g, in0, h, w, VSR_CALIB_MINMAX);
    if (anchor_q) /* different parameters for the concat: its rescale table is used */
        OK(vsr_graph_set_quant(g, anc, 1.3f, -20, &err));
    if (clip == 2) /* an output grid narrower than the clip: its requantization saturates */
        OK(vsr_graph_set_quant(g, y, 0.5f, -100, &err));
    if (clip == 3) { /* the sum's grid [-64, 63.5] inside the clip's [0, 255], which the
                        output grid holds: not lean (the sum's clamp matters) */
        OK(vsr_graph_set_quant(g, a, 0.5f, 0, &err));
        OK(vsr_graph_set_quant(g, y, 1.f, -128, &err));
    }
    for (int prec = 0; prec < 3; prec++)
        for (int scalar = 0; scalar < 2; scalar++) {
            size_t n1, n2;
            int f1, f2;
            float *y1 = run_ex(g, (vsr_precision)prec, scalar, 0, in0, h, w, &n1, &f1);
            float *y2 = run_ex(g, (vsr_precision)prec, scalar, 1, in0, h, w, &n2, &f2);
            assert_true(f1 && !f2); /* the pattern was fused, and only when allowed */
            assert_int_equal(n1, (size_t)h * r * w * r * 3);
            assert_int_equal(n1, n2);
            assert_memory_equal(y1, y2, n1 * sizeof(float));
            if (!scalar) { /* tiled (arena + copy-out) == whole frame (direct to output) */
                vsr_engine_options to;
                vsr_engine_options_default(&to);
                to.tile = 4, to.pad = 3;
                const float *ins[1] = {in0};
                int th, tw, tc;
                float *y3 = run_graph(g, (vsr_precision)prec, &to, ins, h, w, 0, &th, &tw, &tc);
                assert_int_equal((size_t)th * tw * tc, n1);
                assert_memory_equal(y1, y3, n1 * sizeof(float));
                free(y3);
            }
            if (clip && prec == VSR_PREC_FP32) { /* the clip is really applied */
                int lo = 0, hi = 0;
                for (size_t i = 0; i < n1; i++)
                    lo += y1[i] == 0.f, hi += y1[i] == 255.f;
                assert_true(lo > 0 && hi > 0);
            }
            free(y1), free(y2);
        }
    /* FP32 / FP16 with Winograd convs: the whole-frame run computes the tail inside the
     * last conv's tile rows (vsr__tail_rows), the unfused ops after it */
    for (int prec = 0; prec < 2; prec++)
        for (int m = 0; m < 2; m++) {
            vsr_conv_algo algo = m ? VSR_CONV_WINOGRAD4 : VSR_CONV_WINOGRAD;
            size_t n1, n2;
            int f1, f2;
            float *y1 = run_algo(g, (vsr_precision)prec, 0, 0, algo, in0, h, w, &n1, &f1);
            float *y2 = run_algo(g, (vsr_precision)prec, 0, 1, algo, in0, h, w, &n2, &f2);
            assert_true(f1 && !f2);
            assert_int_equal(n1, n2);
            assert_memory_equal(y1, y2, n1 * sizeof(float));
            free(y1), free(y2);
        }
    free(in0);
    vsr_graph_free(&g);
}

static void test_tail_fusion_exact(void **state)
{
    (void)state;
    tail_case(2, 0, 1, 0);
    tail_case(3, 1, 1, 0);
    tail_case(2, 0, 0, 0);
    tail_case(4, 1, 1, 1);
    tail_case(4, 0, 0, 0);
    tail_case(4, 0, 2, 0);
    tail_case(4, 1, 3, 0);
    /* every form of the vector kernel's composition was compared with the table */
    assert_true(tail_forms[1] > 0 && tail_forms[2] > 0 && tail_forms[3] > 0 &&
                tail_forms[4] > 0);
}

/* ---- calibration min/max scan ------------------------------------------------- */

/* The reference: plain comparisons, with -0.0 below +0.0 and NaN poisoning both. */
static void minmax_reference(const float *x, size_t n, float out[2])
{
    float mn = INFINITY, mx = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i])) {
            out[0] = out[1] = NAN;
            return;
        }
        if (x[i] < mn || (x[i] == 0 && mn == 0 && signbit(x[i])))
            mn = x[i];
        if (x[i] > mx || (x[i] == 0 && mx == 0 && !signbit(x[i])))
            mx = x[i];
    }
    out[0] = mn, out[1] = mx;
}

static void check_minmax(const float *x, size_t n, unsigned isa)
{
    float ref[2], r[3][2];
    minmax_reference(x, n, ref);
    vsr_f32_minmax_ukernel__scalar(x, n, r[0]);
    memcpy(r[1], r[0], sizeof(r[0])), memcpy(r[2], r[0], sizeof(r[0]));
#if defined(__x86_64__)
    if (isa & VSR_ISA_AVX2)
        vsr_f32_minmax_ukernel__avx2(x, n, r[1]);
    if (isa & VSR_ISA_AVX512)
        vsr_f32_minmax_ukernel__avx512f(x, n, r[2]);
#else
    (void)isa;
#endif
    for (int k = 0; k < 3; k++) {
        if (isnan(ref[0])) { /* any NaN payload will do */
            assert_true(isnan(r[k][0]) && isnan(r[k][1]));
            continue;
        }
        assert_memory_equal(r[k], ref, sizeof(ref)); /* bits: the sign of zero too */
    }
}

static void test_calib_minmax_twins(void **state)
{
    (void)state;
    unsigned isa = vsr_cpu_features();
    if (!(isa & VSR_ISA_AVX2))
        print_message("no AVX2: only the scalar twin against the reference\n");
    enum { N = 1000 };
    static const size_t ns[] = {0, 1, 7, 8, 15, 16, 17, 31, 32, 33, 47, 63, 64, 65, 100, 517};
    float *x = malloc((N + 8) * sizeof(float));
    assert_non_null(x);
    for (int trial = 0; trial < 40; trial++) {
        fill_rand(x, N + 8, 100u + (uint32_t)trial, -5.f, 5.f);
        /* plant the special values at trial-dependent places (or none) */
        static const float sp[] = {-0.f, 0.f, INFINITY, -INFINITY, 1e-45f, -1e-45f, FLT_MAX};
        for (int k = 0; k < 7 && trial % 4; k++)
            x[(size_t)(trial * 37 + k * 101) % (N + 8)] = sp[(k + trial) % 7];
        if (trial % 5 == 1) /* only zeros of both signs: which one is min / max */
            for (int k = 0; k < N + 8; k++)
                x[k] = (k * 7 + trial) % 3 ? 0.f : -0.f;
        if (trial % 7 == 3) /* all negative: the max is found among negatives */
            for (int k = 0; k < N + 8; k++)
                x[k] = -fabsf(x[k]) - 1.f;
        for (size_t a = 0; a < sizeof(ns) / sizeof(ns[0]); a++)
            for (int off = 0; off < 3; off++)
                check_minmax(x + off, ns[a], isa);
        check_minmax(x, N, isa);
    }
    /* a NaN (either sign) anywhere, also in the vector body, poisons both results */
    fill_rand(x, N + 8, 7, -1.f, 1.f);
    for (int at = 0; at < N; at += 97) {
        float keep = x[at];
        x[at] = at % 2 ? NAN : -NAN;
        check_minmax(x, N, isa);
        x[at] = keep;
    }
    /* what calibration sees: a NaN in a tensor is refused, not skipped */
    vsr_graph *g = NULL;
    vsr_error err = {0};
    OK(vsr_graph_create("nan", &g, &err));
    int in = vsr_graph_input(g, "x", 4, 5, 3, &err);
    vsr_conv_params p = vsr_conv_default(4, 3);
    OK(vsr_graph_output(g, "y", vsr_graph_conv2d(g, "c", in, &p, &err), &err));
    rand_weights(g, 3, -0.1f, 0.1f);
    vsr_calib *c = NULL;
    OK(vsr_calib_create(g, NULL, &c, &err));
    x[17] = NAN;
    const float *ins[1] = {x};
    assert_int_equal(vsr_calib_feed(c, ins, 4, 5, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "tensor x holds NaN or inf")); /* the input itself */
    vsr_calib_free(&c);
    vsr_graph_free(&g);
    free(x);
}

/* ---- INT8 row kernels: conversions and 256-entry tables ------------------------ */

static void test_int8_row_kernels_simd_vs_scalar(void **state)
{
    (void)state;
    if (!(vsr_cpu_features() & VSR_ISA_AVX2)) {
        VSR_SKIP("this CPU has no AVX2");
    }
    enum { N = 300 };
    static const size_t ns[] = {0, 1, 7, 15, 16, 17, 31, 32, 33, 63, 65, 100, 257};
    static const float scales[] = {1.f, 0.37f, 1.f / 255.f, 3.1f};
    static const int zps[] = {0, -128, 127, -7};
    int8_t q[N + 8], q1[N + 8], q2[N + 8], lut[256];
    float f[N + 8], f1[N + 8], f2[N + 8];
    float special[] = {0.5f,     -0.5f,     1.5f,       -2.5f,      126.5f,    -127.5f,
                       127.5f,   -128.5f,   4194303.5f, -4194305.f, 8388609.f, 1e10f,
                       INFINITY, -INFINITY, NAN,        -0.f,       1e-30f};
    fill_rand(f, N + 8, 3, -400.f, 400.f);
    for (size_t k = 0; k < sizeof(special) / sizeof(special[0]); k++)
        f[5 + 7 * k] = special[k];
    for (int k = 0; k < N + 8; k++)
        q[k] = (int8_t)(k * 37 + 11);
    for (int k = 0; k < 256; k++) /* a permutation-like table with every bit pattern */
        lut[k] = (int8_t)(k * 73 + 5);
    for (size_t a = 0; a < sizeof(ns) / sizeof(ns[0]); a++)
        for (int off = 0; off < 4; off++)
            for (size_t z = 0; z < 4; z++) {
                size_t n = ns[a];
                float sc = scales[z], inv = 1.f / sc;
                memset(f1, 0x55, sizeof(f1)), memset(f2, 0x55, sizeof(f2));
                vsr_qs8_f32_cvt__scalar(q + off, f1 + off, n, sc, zps[z]);
                vsr_qs8_f32_cvt__avx2(q + off, f2 + off, n, sc, zps[z]);
                assert_memory_equal(f1, f2, sizeof(f1)); /* also: nothing written past n */
                for (size_t k = 0; k < n; k++)           /* hand definition */
                    assert_true(f1[off + k] == sc * (float)(q[off + k] - zps[z]));
                memset(q1, 0x55, sizeof(q1)), memset(q2, 0x55, sizeof(q2));
                vsr_f32_qs8_cvt__scalar(f + off, q1 + off, n, inv, zps[z]);
                vsr_f32_qs8_cvt__avx2(f + off, q2 + off, n, inv, zps[z]);
                assert_memory_equal(q1, q2, sizeof(q1));
                for (size_t k = 0; k < n; k++) /* the nearbyintf reference */
                    assert_int_equal(q1[off + k], vsr__quantize1(f[off + k], inv, zps[z]));
                memset(q1, 0x55, sizeof(q1)), memset(q2, 0x55, sizeof(q2));
                vsr_u8_lut_ukernel__scalar(q + off, q1 + off, n, lut);
                vsr_u8_lut_ukernel__avx2(q + off, q2 + off, n, lut);
                assert_memory_equal(q1, q2, sizeof(q1));
                for (size_t k = 0; k < n; k++)
                    assert_int_equal(q1[off + k], lut[(q[off + k] + 128) & 255]);
            }
    /* every one of the 256 inputs through the table kernel, in place */
    for (int k = 0; k < 256; k++)
        q[k] = (int8_t)(k - 128);
    vsr_u8_lut_ukernel__avx2(q, q, 256, lut);
    for (int k = 0; k < 256; k++)
        assert_int_equal(q[k], lut[k]);
    /* hand values: ties to even, saturation, NaN */
    float hv[32] = {2.5f, -2.5f, 3.5f, 1000.f, -1000.f, NAN, 0.49f, -0.51f};
    vsr_f32_qs8_cvt__avx2(hv, q2, 32, 1.f, 0);
    static const int8_t want[8] = {2, -2, 4, 127, -128, -128, 0, -1};
    assert_memory_equal(q2, want, 8);
}

/*
 * INT8 add / mul of two int8 tensors run through a 64 K-entry table built at
 * engine creation from the per-element path, and an element-wise op that
 * follows an add (the SR tail's clip) is folded into that table (ops/eltwise.c);
 * the INT8 bilinear resize interpolates each input row along x once (ops/misc.c).
 * Checked on the SWRN / MVSR tail, y = clip(depth_to_space(conv) + bilinear(x)),
 * plus mul(relu(conv), conv), add -> relu and an INT8 concat that rescales:
 *  - the tabulated and fused engine equals the per-element unfused one
 *    (vsr__engine_create_ex(no_fuse = 1)) bit for bit, SIMD and forced scalar,
 *    whole frame and tiled;
 *  - SIMD equals forced scalar bit for bit;
 *  - the INT8 bilinear output equals the four-tap formula computed here per
 *    output pixel from the quantized input.
 */
static float *run_outs(const vsr_graph *g, int scalar, int no_fuse, int tile, const float *in0,
                       int h, int w, int oi, size_t *n, vsr_engine **keep)
{
    vsr_error err = {0};
    vsr_engine_options o;
    vsr_engine_options_default(&o);
    o.force_scalar = scalar;
    if (tile)
        o.tile = 4, o.pad = 3;
    vsr_engine *e = NULL;
    OK(vsr__engine_create_ex(g, VSR_PREC_INT8, NULL, &o, no_fuse, &e, &err));
    OK(vsr_engine_set_input(e, 0, in0, h, w, 3, &err));
    OK(vsr_engine_run(e, &err));
    int oh, ow, oc;
    OK(vsr_engine_output_shape(e, oi, &oh, &ow, &oc));
    *n = (size_t)oh * ow * oc;
    float *y = malloc(*n * sizeof(float));
    OK(vsr_engine_get_output(e, oi, y, *n, &err));
    if (keep)
        *keep = e;
    else
        vsr_engine_free(&e);
    return y;
}

static void test_int8_add_table_bilinear_exact(void **state)
{
    (void)state;
    int h = 7, w = 9, r = 4;
    vsr_error err = {0};
    vsr_graph *g = NULL;
    OK(vsr_graph_create("sr_tail", &g, &err));
    int x = vsr_graph_input(g, "x", h, w, 3, &err);
    vsr_conv_params p = vsr_conv_default(3 * r * r, 3);
    int t = vsr_graph_conv2d(g, "c1", x, &p, &err);
    int d = vsr_graph_depth_to_space(g, "d2s", t, r, &err);
    int bil = vsr_graph_resize_bilinear(g, "bil", x, r, &err);
    int a = vsr_graph_add(g, "add", d, bil, &err);
    int y = vsr_graph_clip(g, "clip", a, 0.f, 255.f, &err);
    p.cout = 5;
    int u = vsr_graph_conv2d(g, "c2", x, &p, &err);
    int v = vsr_graph_conv2d(g, "c3", x, &p, &err);
    int ur = vsr_graph_relu(g, "relu", u, &err);
    int m = vsr_graph_mul(g, "mul", ur, v, &err);
    int s = vsr_graph_add(g, "add2", m, v, &err);
    int sr = vsr_graph_relu(g, "relu2", s, &err);
    OK(vsr_graph_output(g, "sr", y, &err));
    OK(vsr_graph_output(g, "bil", bil, &err));
    int cin[2] = {ur, v};
    int cat = vsr_graph_concat(g, "cat", 2, cin, &err); /* rescaled through the table kernel */
    OK(vsr_graph_output(g, "m", sr, &err));
    OK(vsr_graph_output(g, "cat", cat, &err));
    rand_weights(g, 23, -0.3f, 0.3f);
    float *in0 = malloc((size_t)h * w * 3 * 4);
    fill_rand(in0, (size_t)h * w * 3, 29, 0, 255);
    calibrate(g, in0, h, w, VSR_CALIB_MINMAX);
    OK(vsr_graph_set_quant(g, a, 2.2f, -3, &err)); /* the add reaches below 0 and above 255 */
    vsr_engine *ef = NULL;
    for (int oi = 0; oi < 4; oi++) {
        size_t n0, n1, n2, n3, n4;
        float *ref = run_outs(g, 1, 1, 0, in0, h, w, oi, &n0, NULL); /* scalar, per element */
        float *y1 = run_outs(g, 0, 0, 0, in0, h, w, oi, &n1, oi == 0 ? &ef : NULL);
        float *y2 = run_outs(g, 1, 0, 0, in0, h, w, oi, &n2, NULL);
        float *y3 = run_outs(g, 0, 1, 0, in0, h, w, oi, &n3, NULL);
        float *y4 = run_outs(g, 0, 0, 1, in0, h, w, oi, &n4, NULL);
        assert_int_equal(n0, oi == 3   ? (size_t)h * w * 10
                             : oi == 2 ? (size_t)h * w * 5
                                       : (size_t)h * r * w * r * 3);
        assert_true(n1 == n0 && n2 == n0 && n3 == n0 && n4 == n0);
        assert_memory_equal(ref, y1, n0 * sizeof(float));
        assert_memory_equal(ref, y2, n0 * sizeof(float));
        assert_memory_equal(ref, y3, n0 * sizeof(float));
        assert_memory_equal(ref, y4, n0 * sizeof(float));
        if (oi == 0) { /* both bounds of the clip are reached */
            int lo = 0, hi = 0;
            for (size_t i = 0; i < n0; i++)
                lo += ref[i] == 0.f, hi += ref[i] >= 254.f;
            print_message("clip: %d at 0, %d at 255\n", lo, hi);
            assert_true(lo > 0 && hi > 0);
        }
        if (oi == 1) { /* bilinear: the four-tap formula per output pixel */
            float sx, sb;
            int zx, zb;
            OK(vsr_graph_get_quant(g, x, &sx, &zx, &err));
            OK(vsr_graph_get_quant(g, bil, &sb, &zb, &err));
            for (int Y = 0; Y < h * r; Y++)
                for (int X = 0; X < w * r; X++)
                    for (int c = 0; c < 3; c++) {
                        float fy = ((float)Y + 0.5f) / (float)r - 0.5f;
                        float fx = ((float)X + 0.5f) / (float)r - 0.5f;
                        fy = fy < 0.f ? 0.f : fy > (float)(h - 1) ? (float)(h - 1) : fy;
                        fx = fx < 0.f ? 0.f : fx > (float)(w - 1) ? (float)(w - 1) : fx;
                        int y0 = (int)fy, x0 = (int)fx;
                        int y1i = y0 + 1 < h ? y0 + 1 : h - 1, x1 = x0 + 1 < w ? x0 + 1 : w - 1;
                        float wy = fy - (float)y0, wx = fx - (float)x0, tap[4];
                        int ys[4] = {y0, y0, y1i, y1i}, xs[4] = {x0, x1, x0, x1};
                        for (int k = 0; k < 4; k++) {
                            int8_t q = vsr__quantize1(in0[((size_t)ys[k] * w + xs[k]) * 3 + c],
                                                      1.f / sx, zx);
                            tap[k] = sx * (float)(q - zx);
                        }
                        float top = tap[0] + (tap[1] - tap[0]) * wx;
                        float bot = tap[2] + (tap[3] - tap[2]) * wx;
                        int8_t qo = vsr__quantize1(top + (bot - top) * wy, 1.f / sb, zb);
                        float want = sb * (float)(qo - zb);
                        assert_true(ref[((size_t)Y * w * r + X) * 3 + c] == want);
                    }
        }
        free(ref), free(y1), free(y2), free(y3), free(y4);
    }
    /* the tables and the folding really happened */
    assert_non_null(ef->lut2);
    assert_non_null(ef->lut2[a]);
    assert_non_null(ef->lut2[m]);
    assert_non_null(ef->lut2[s]);
    assert_int_equal(ef->plan.exec[y], 0);
    assert_int_equal(ef->plan.dst[a], y);
    assert_int_equal(ef->plan.exec[sr], 0);
    assert_int_equal(ef->plan.dst[m], m); /* mul -> add: an add is not folded */
    assert_true(ef->qscale[cat] != ef->qscale[v] || ef->qzp[cat] != ef->qzp[v]);
    vsr_engine_free(&ef);
    free(in0);
    vsr_graph_free(&g);
}

/*
 * The per-pixel reference (used for strided / grouped convs) against the
 * padded microkernel path (dense stride 1): for an odd size, a stride-2 SAME
 * conv is the stride-1 conv sampled at even positions. INT8 bit-exact.
 */
static void ref_vs_kernel(int groups, int cout, vsr_act_type act)
{
    int H = 11, W = 13;
    vsr_graph *g = NULL;
    vsr_error err = {0};
    OK(vsr_graph_create("ref", &g, &err));
    int x = vsr_graph_input(g, "x", H, W, 5, &err);
    vsr_conv_params p = vsr_conv_default(cout, 3);
    p.groups = groups;
    p.act.type = act;
    p.act.lo = 10.f, p.act.hi = 20.f;
    int a = vsr_graph_conv2d(g, "s1", x, &p, &err);
    p.stride = 2;
    int b = vsr_graph_conv2d(g, "s2", x, &p, &err);
    OK(vsr_graph_output(g, "a", a, &err));
    OK(vsr_graph_output(g, "b", b, &err));
    rand_weights(g, 77, -0.2f, 0.2f);
    const float *w1, *b1;
    size_t n1, nb;
    OK(vsr_graph_get_weight(g, "s1.weight", &w1, &n1, &err));
    OK(vsr_graph_get_weight(g, "s1.bias", &b1, &nb, &err));
    OK(vsr_graph_set_weight(g, "s2.weight", w1, n1, &err));
    OK(vsr_graph_set_weight(g, "s2.bias", b1, nb, &err));
    OK(vsr_graph_set_quant(g, x, 1.f, -128, &err));
    OK(vsr_graph_set_quant(g, a, 0.37f, -100, &err));
    OK(vsr_graph_set_quant(g, b, 0.37f, -100, &err));
    float *in0 = malloc((size_t)H * W * 5 * 4);
    fill_rand(in0, (size_t)H * W * 5, 31, 0, 255);
    for (int i = 0; i < H * W * 5; i++)
        in0[i] = nearbyintf(in0[i]);
    const float *in[1] = {in0};
    for (int prec = 0; prec < 3; prec += 2) {
        int ah, aw, ac, bh, bw, bc;
        float *ya = run_graph(g, (vsr_precision)prec, NULL, in, H, W, 0, &ah, &aw, &ac);
        float *yb = run_graph(g, (vsr_precision)prec, NULL, in, H, W, 1, &bh, &bw, &bc);
        assert_int_equal(bh, (H + 1) / 2);
        assert_int_equal(bw, (W + 1) / 2);
        for (int y = 0; y < bh; y++)
            for (int xx = 0; xx < bw; xx++)
                for (int c = 0; c < bc; c++) {
                    float va = ya[((size_t)(2 * y) * aw + 2 * xx) * ac + c];
                    float vb = yb[((size_t)y * bw + xx) * bc + c];
                    if (prec == VSR_PREC_INT8)
                        assert_true(va == vb);
                    else
                        assert_true(fabsf(va - vb) <= 1e-4f * (1.f + fabsf(va)));
                }
        free(ya), free(yb);
    }
    free(in0);
    vsr_graph_free(&g);
}

static void test_reference_vs_microkernel_path(void **state)
{
    (void)state;
    ref_vs_kernel(1, 19, VSR_ACT_RELU); /* dense: microkernel */
    ref_vs_kernel(5, 5, VSR_ACT_CLIP);  /* depthwise: padded per-channel rows */
    ref_vs_kernel(5, 5, VSR_ACT_NONE);
}

/* A one-sided Laplace sample (b = 1) through an identity op. */
/* A 1 x n x 1 input through a scale-1 node (its output tensor): the values as they are. */
static int id_graph(int n, vsr_graph **g)
{
    vsr_error err = {0};
    OK(vsr_graph_create("id", g, &err));
    int x = vsr_graph_input(*g, "x", 1, n, 1, &err);
    int y = vsr_graph_scale(*g, "id", x, 1.f, 0.f, &err);
    OK(vsr_graph_output(*g, "y", y, &err));
    return y;
}

static void test_calibration_methods(void **state)
{
    (void)state;
    enum { N = 100000 };
    vsr_graph *g = NULL;
    vsr_error err = {0};
    int y = id_graph(N, &g);
    float *v = malloc(N * sizeof(float));
    for (int i = 0; i < N; i++)
        v[i] = -logf(1.f - ((float)i + 0.5f) / N);
    vsr_calib *c = NULL;
    OK(vsr_calib_create(g, NULL, &c, &err));
    const float *in[1] = {v};
    OK(vsr_calib_feed(c, in, 1, N, &err));
    vsr_calib_options o;
    vsr_calib_options_default(&o);
    float lo, hi;
    o.method = VSR_CALIB_MINMAX;
    OK(vsr_calib_range(c, y, &o, &lo, &hi, &err));
    float vmax = 0;
    for (int i = 0; i < N; i++)
        vmax = fmaxf(vmax, v[i]);
    assert_float_equal(hi, vmax, 0); /* about ln(2N) = 12.2 */
    assert_float_equal(lo, -logf(1.f - 0.5f / N), 1e-6);
    o.method = VSR_CALIB_PERCENTILE;
    o.percentile = 99.9;
    OK(vsr_calib_range(c, y, &o, &lo, &hi, &err));
    assert_float_equal(hi, logf(1000.f), 0.02); /* quantile 0.999 of Exp(1) */
    o.method = VSR_CALIB_MSE;
    OK(vsr_calib_range(c, y, &o, &lo, &hi, &err));
    print_message("mse range [%g, %g] (max %g)\n", lo, hi, logf(2.f * N));
    /* the MSE optimum clips the sparse tail (about 9.9 b for 8 bits) but keeps the bulk */
    assert_true(hi < 0.95f * logf(2.f * N));
    assert_true(hi > 7.f);
    /* a second frame with a larger value grows the histogram and the max */
    v[0] = 40.f;
    OK(vsr_calib_feed(c, in, 1, N, &err));
    o.method = VSR_CALIB_MINMAX;
    OK(vsr_calib_range(c, y, &o, &lo, &hi, &err));
    assert_float_equal(hi, 40.f, 0);
    o.method = VSR_CALIB_PERCENTILE;
    OK(vsr_calib_range(c, y, &o, &lo, &hi, &err));
    assert_float_equal(hi, logf(1000.f), 0.05);
    vsr_calib_free(&c);
    /* created for minmax / ema: the same ranges from min / max alone (the hand values
     * above: the exact max 40 and min of the two frames); the histogram methods are
     * refused instead of answering from nothing */
    o.method = VSR_CALIB_MINMAX;
    OK(vsr_calib_create_ex(g, NULL, &o, &c, &err));
    v[0] = -logf(1.f - 0.5f / N);
    OK(vsr_calib_feed(c, in, 1, N, &err));
    v[0] = 40.f;
    OK(vsr_calib_feed(c, in, 1, N, &err));
    OK(vsr_calib_range(c, y, &o, &lo, &hi, &err));
    assert_float_equal(hi, 40.f, 0);
    assert_float_equal(lo, -logf(1.f - 0.5f / N), 0); /* the first frame's min */
    o.method = VSR_CALIB_EMA; /* first frame's max, then 1% of the way to 40 */
    OK(vsr_calib_range(c, y, &o, &lo, &hi, &err));
    assert_float_equal(hi, (float)(vmax + 0.01 * (40.0 - vmax)), 1e-5);
    o.method = VSR_CALIB_PERCENTILE;
    assert_int_equal(vsr_calib_range(c, y, &o, &lo, &hi, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "needs histograms"));
    vsr_calib_free(&c);
    free(v);
    vsr_graph_free(&g);
}

/* vsr_engine_get_output_frame rounds half to even and clamps to [0, 255], NaN to 0
 * (what lrintf gave before it was inlined): hand-chosen values through a scale-1 node,
 * repeated 5 times (70 values: the vector kernel's blocks of 32 and the remainder), with
 * the SIMD and the scalar kernel table. */
static void test_output_frame_rounding(void **state)
{
    (void)state;
    const float v[] = {0.5f, 1.5f,    2.5f,  3.49999f, 254.5f, 253.5f,   -0.4f,
                       -3.f, 255.49f, 300.f, NAN,      7.f,    0.50001f, 127.5f};
    const uint8_t w[] = {0, 2, 2, 3, 254, 254, 0, 0, 255, 255, 0, 7, 1, 128};
    enum { K = sizeof(v) / sizeof(v[0]), N = 5 * K };
    float in[N];
    uint8_t want[N];
    for (int i = 0; i < N; i++)
        in[i] = v[i % K], want[i] = w[i % K];
    vsr_graph *g = NULL;
    vsr_error err = {0};
    id_graph(N, &g);
    for (int scalar = 0; scalar < 2; scalar++) {
        vsr_engine_options o;
        vsr_engine_options_default(&o);
        o.force_scalar = scalar;
        vsr_engine *e = NULL;
        OK(vsr_engine_create(g, VSR_PREC_FP32, NULL, &o, &e, &err));
        OK(vsr_engine_set_input(e, 0, in, 1, N, 1, &err));
        OK(vsr_engine_run(e, &err));
        vsr_frame f = {0};
        OK(vsr_frame_alloc(&f, N, 1, 1, &err));
        OK(vsr_engine_get_output_frame(e, 0, &f, &err));
        assert_memory_equal(vsr_frame_row(&f, 0), want, N);
        vsr_frame_free(&f);
        vsr_engine_free(&e);
    }
    vsr_graph_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_requant_rounding_saturation),
        cmocka_unit_test(test_quant_multiplier),
        cmocka_unit_test(test_quantize_fast_equals_reference),
        cmocka_unit_test(test_rq_fast_bound),
        cmocka_unit_test(test_simd_vs_scalar_kernels),
        cmocka_unit_test(test_int8_conv_within_one_step),
        cmocka_unit_test(test_engine_simd_vs_scalar),
        cmocka_unit_test(test_blocked_layouts_exact),
        cmocka_unit_test(test_reference_vs_microkernel_path),
        cmocka_unit_test(test_calibration_methods),
        cmocka_unit_test(test_output_frame_rounding),
        cmocka_unit_test(test_tail_fusion_exact),
        cmocka_unit_test(test_int8_row_kernels_simd_vs_scalar),
        cmocka_unit_test(test_calib_minmax_twins),
        cmocka_unit_test(test_int8_add_table_bilinear_exact),
        cmocka_unit_test(test_engine_fp16_native),
        cmocka_unit_test(test_int8_float_epilogue_conv),
        cmocka_unit_test(test_f16_native_fma_rounding),
        cmocka_unit_test(test_f16_native_fma_exact),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
