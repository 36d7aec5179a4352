/*
 * quant_tflite.h: TFLite's integer arithmetic (gemmlowp fixed point) for the
 * engine's `requant: tflite` mode. Engine-internal (ops/ and quant_tflite.c).
 *
 * Written from TFLite's documented semantics: a real multiplier r > 0 is
 * M * 2^(shift - 31) with M in [2^30, 2^31) (QuantizeMultiplier), and
 * x * r is computed as RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(
 * x << max(shift, 0), M), max(-shift, 0)): two roundings, each half away from
 * zero. The float mode (engine_kernels.h: vsr__requant) rounds the exact
 * product once; the two differ by one LSB on some inputs.
 */
#ifndef VSR_ENGINE_QUANT_TFLITE_H
#define VSR_ENGINE_QUANT_TFLITE_H

#include <stdint.h>

/* QuantizeMultiplier: real -> (M, shift), real = M * 2^(shift - 31). M in
 * [2^30, 2^31) (2^30 with shift 1 for 1.0); real < 2^-31 flushes to (0, 0)
 * as TFLite does. -ERANGE when real is negative, not finite or >= 2^31. */
int vsr__tfl_quantize_multiplier(double real, int32_t *m, int *shift);
/* gemmlowp SaturatingRoundingDoublingHighMul: round(a * b / 2^31), the
 * product nudged by 2^30 (1 - 2^30 when negative) and truncated toward zero,
 * so ties go toward +infinity; INT32_MIN * INT32_MIN saturates to INT32_MAX.
 * (Inline: the conv epilogue runs it once per output value.) */
static inline int32_t vsr__tfl_srdhm(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN)
        return INT32_MAX;
    int64_t ab = (int64_t)a * (int64_t)b;
    int64_t nudge = ab >= 0 ? ((int64_t)1 << 30) : 1 - ((int64_t)1 << 30);
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31)); /* C: toward zero */
}
/* gemmlowp RoundingDivideByPOT: round(x / 2^exponent), ties away from zero;
 * exponent in [0, 62]. */
static inline int32_t vsr__tfl_rdbpot(int32_t x, int exponent)
{
    int64_t mask = ((int64_t)1 << exponent) - 1;
    int64_t rem = (int64_t)x & mask;
    int64_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    /* floor(x / 2^e) by a logical shift of x + 2^62 (no signed shift, no division) */
    int64_t fl = (int64_t)((uint64_t)((int64_t)x + ((int64_t)1 << 62)) >> exponent) -
                 ((int64_t)1 << (62 - exponent));
    return (int32_t)(fl + (rem > threshold ? 1 : 0));
}
/* MultiplyByQuantizedMultiplier (double rounding). A positive shift shifts x
 * left first, wrapping in 32 bits as TFLite's int32 arithmetic would. */
static inline int32_t vsr__tfl_mbqm(int32_t x, int32_t m, int shift)
{
    int left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
    int32_t xs = (int32_t)((uint32_t)x << left);
    return vsr__tfl_rdbpot(vsr__tfl_srdhm(xs, m), right);
}
/* The conv epilogue: zp + mbqm(acc), clamped to [qmin, qmax] (int8 bounds). The
 * clamp comes first, to [qmin - zp, qmax - zp], so the zero point cannot overflow
 * int32 (the same result wherever TFLite's zp + value does not overflow). */
static inline int8_t vsr__tfl_requant_clamp(int32_t acc, int32_t m, int shift, int zp, int qmin,
                                            int qmax)
{
    int32_t r = vsr__tfl_mbqm(acc, m, shift);
    r = r < qmin - zp ? qmin - zp : r > qmax - zp ? qmax - zp : r;
    return (int8_t)(r + zp);
}

/* Quantization parameters of one int8 tensor. */
typedef struct vsr_tfl_q {
    float scale;
    int zp;
} vsr_tfl_q;

/*
 * 256 x 256 tables of TFLite's int8 ADD / MUL kernels: lut[(uint8_t)qa << 8 |
 * (uint8_t)qb] for operands qa (a's parameters), qb (b's), output in o's, no
 * fused activation (range [-128, 127]). ADD: left shift 20, each input
 * rescaled by scale / (2 max(scale_a, scale_b)), the sum by that / (2^20
 * scale_o). MUL: (qa - zp_a)(qb - zp_b) by scale_a scale_b / scale_o.
 * -ERANGE when a multiplier is out of range.
 */
int vsr__tfl_add_lut(vsr_tfl_q a, vsr_tfl_q b, vsr_tfl_q o, int8_t *lut);
int vsr__tfl_mul_lut(vsr_tfl_q a, vsr_tfl_q b, vsr_tfl_q o, int8_t *lut);

/*
 * 256-entry table (lut[q + 128]) of a clip [lo, hi] from x's parameters to
 * o's, as TFLite runs the ops the importer turns into clips: MINIMUM /
 * MAXIMUM with a constant compare raw int8 values in x's domain (the
 * constant round(hi / scale_x) + zp_x); then, when the parameters differ,
 * RELU's requantization zp_o + mbqm(q - zp_x, scale_x / scale_o) (the
 * identity when they are equal), clamped to [zp_o + round(lo / scale_o),
 * zp_o + round(hi / scale_o)] as RELU / RELU6 do (TfLiteRound: half away
 * from zero).
 * lo = -FLT_MAX / hi = FLT_MAX mean no bound. -ERANGE for a bad multiplier.
 */
int vsr__tfl_clip_lut(vsr_tfl_q x, vsr_tfl_q o, float lo, float hi, int8_t *lut);

/* TFLite's int8 LOGISTIC (its builtin kernel's table, LUTPopulate): entry
 * q + 128 is TfLiteRound(sigmoid(scale_x * (q - zp_x)) * (1 / scale_o)) + zp_o
 * in float, sigmoid(v) = 1 / (1 + expf(-v)), saturated. TFLite requires
 * scale_o = 1/256 and zp_o = -128 (the caller checks; any values tabulate). */
void vsr__tfl_logistic_lut(vsr_tfl_q x, vsr_tfl_q o, int8_t *lut);

/* CONCATENATION of an input whose parameters differ from the output's:
 * TFLite's rescale (ConcatenationWithScaling, its only rescaling concat):
 * round(q * s + b) + zp_o in float with s = scale_x * (1 / scale_o), b =
 * -zp_x * s, half away from zero, saturated. (TFLite's int8 kernel itself
 * refuses differing parameters.) lut[q + 128]. */
void vsr__tfl_concat_lut(vsr_tfl_q x, vsr_tfl_q o, int8_t *lut);

#endif
