/*
 * TFLite's integer arithmetic for `requant: tflite` (see quant_tflite.h):
 * the gemmlowp fixed-point primitives and the per-op tables built from them.
 */
#include <errno.h>
#include <float.h>
#include <math.h>

#include "engine_kernels.h"
#include "quant_tflite.h"

int vsr__tfl_quantize_multiplier(double real, int32_t *m, int *shift)
{
    if (!(real >= 0) || !isfinite(real))
        return -ERANGE;
    if (real == 0) {
        *m = 0, *shift = 0;
        return 0;
    }
    int e;
    double f = frexp(real, &e); /* real = f * 2^e, f in [0.5, 1) */
    int64_t q = (int64_t)llround(f * 2147483648.0);
    if (q == ((int64_t)1 << 31)) { /* f rounded up to 1.0 */
        q /= 2;
        e++;
    }
    if (e < -31) { /* every bit would be shifted out: TFLite flushes to zero */
        q = 0;
        e = 0;
    }
    if (e > 31)
        return -ERANGE;
    *m = (int32_t)q;
    *shift = e;
    return 0;
}

void vsr_qs8_requant_tfl__scalar(const int32_t *acc, int8_t *out, int n, const int32_t *qm,
                                 const int32_t *qs, int zp, int qmin, int qmax)
{
    for (int i = 0; i < n; i++)
        out[i] = vsr__tfl_requant_clamp(acc[i], qm[i], qs[i], zp, qmin, qmax);
}

static int clamp8(int32_t v)
{
    return v < -128 ? -128 : v > 127 ? 127 : (int)v;
}

int vsr__tfl_add_lut(vsr_tfl_q a, vsr_tfl_q b, vsr_tfl_q o, int8_t *lut)
{
    const int left_shift = 20; /* int8 / uint8 */
    /* the scales as TFLite's Prepare computes them: 2 * max(float) in float (exact),
     * then double divisions */
    double twice_max = (double)(2.f * fmaxf(a.scale, b.scale));
    double ra = (double)a.scale / twice_max, rb = (double)b.scale / twice_max;
    double ro = twice_max / (double)((float)(1 << left_shift) * o.scale);
    int32_t ma, mb, mo;
    int sa, sb, so;
    if (vsr__tfl_quantize_multiplier(ra, &ma, &sa) ||
        vsr__tfl_quantize_multiplier(rb, &mb, &sb) ||
        vsr__tfl_quantize_multiplier(ro, &mo, &so) || sa > 0 || sb > 0 || so > 0)
        return -ERANGE;
    int32_t sbv[256];
    for (int q = -128; q < 128; q++)
        sbv[q + 128] = vsr__tfl_mbqm((q - b.zp) * (1 << left_shift), mb, sb);
    for (int qa = -128; qa < 128; qa++) {
        int32_t va = vsr__tfl_mbqm((qa - a.zp) * (1 << left_shift), ma, sa);
        int8_t *row = lut + ((unsigned)(uint8_t)qa << 8);
        for (int qb = -128; qb < 128; qb++)
            row[(uint8_t)qb] = (int8_t)clamp8(vsr__tfl_mbqm(va + sbv[qb + 128], mo, so) + o.zp);
    }
    return 0;
}

int vsr__tfl_mul_lut(vsr_tfl_q a, vsr_tfl_q b, vsr_tfl_q o, int8_t *lut)
{
    int32_t m;
    int s;
    if (vsr__tfl_quantize_multiplier((double)a.scale * (double)b.scale / (double)o.scale, &m,
                                     &s))
        return -ERANGE;
    for (int qa = -128; qa < 128; qa++) {
        int8_t *row = lut + ((unsigned)(uint8_t)qa << 8);
        for (int qb = -128; qb < 128; qb++)
            row[(uint8_t)qb] =
                (int8_t)clamp8(vsr__tfl_mbqm((qa - a.zp) * (qb - b.zp), m, s) + o.zp);
    }
    return 0;
}

/* TfLiteRound of a float: half away from zero; the result in [-2^31, 2^31). */
static int32_t round_f(float v)
{
    float r = roundf(v);
    if (!(r > -2147483648.f))
        return INT32_MIN;
    return r >= 2147483648.f ? INT32_MAX : (int32_t)r;
}

int vsr__tfl_clip_lut(vsr_tfl_q x, vsr_tfl_q o, float lo, float hi, int8_t *lut)
{
    int32_t m;
    int s;
    /* RELU's Prepare divides the float scales in float */
    if (vsr__tfl_quantize_multiplier((double)(x.scale / o.scale), &m, &s))
        return -ERANGE;
    int same = x.scale == o.scale && x.zp == o.zp;
    int64_t qhi_x = hi < FLT_MAX ? (int64_t)round_f(hi / x.scale) + x.zp : 127;
    int64_t qlo = lo > -FLT_MAX ? (int64_t)round_f(lo / o.scale) + o.zp : -128;
    int64_t qhi = hi < FLT_MAX ? (int64_t)round_f(hi / o.scale) + o.zp : 127;
    for (int q = -128; q < 128; q++) {
        int64_t v = q < qhi_x ? q : qhi_x; /* MINIMUM in x's domain */
        if (!same)
            v = (int64_t)vsr__tfl_mbqm((int32_t)(v - x.zp), m, s) + o.zp;
        if (v < qlo)
            v = qlo;
        if (v > qhi)
            v = qhi;
        lut[q + 128] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
    }
    return 0;
}

void vsr__tfl_concat_lut(vsr_tfl_q x, vsr_tfl_q o, int8_t *lut)
{
    float inv = 1.f / o.scale;
    float s = x.scale * inv, b = -(float)x.zp * s;
    for (int q = -128; q < 128; q++) {
        int64_t v = (int64_t)round_f((float)q * s + b) + o.zp;
        lut[q + 128] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
    }
}

void vsr__tfl_logistic_lut(vsr_tfl_q x, vsr_tfl_q o, int8_t *lut)
{
    float inv = 1.f / o.scale;
    for (int q = -128; q < 128; q++) {
        float v = x.scale * (float)(q - x.zp);
        float y = 1.f / (1.f + expf(-v));
        float r = roundf(y * inv) + (float)o.zp;
        int64_t k = r < -128.f ? -128 : r > 127.f ? 127 : (int64_t)r;
        lut[q + 128] = (int8_t)k;
    }
}
