/*
 * INT8 post-training quantization helpers: fixed-point multipliers and
 * activation parameters from ranges (TFLite conventions).
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "engine_internal.h"

int vsr__quant_multiplier(double real, int32_t *m, int *s)
{
    if (!(real > 0) || !isfinite(real))
        return -ERANGE;
    int e;
    double f = frexp(real, &e); /* real = f * 2^e, f in [0.5, 1) */
    int64_t q = (int64_t)llround(f * 2147483648.0);
    if (q == ((int64_t)1 << 31)) {
        q >>= 1;
        e++;
    }
    int shift = 31 - e;
    if (shift < 1)
        return -ERANGE;
    while (shift > 62) { /* tiny multiplier: drop precision instead of overflowing */
        q >>= 1;
        shift--;
    }
    *m = (int32_t)q;
    *s = shift;
    return 0;
}

void vsr__quant_from_range(float lo, float hi, float *scale, int *zp)
{
    if (lo > 0.f)
        lo = 0.f;
    if (hi < 0.f)
        hi = 0.f;
    if (!(hi - lo > 1e-8f))
        hi = lo + 1e-8f;
    float s = (hi - lo) / 255.f;
    /* TFLite nudging: the zero point is an integer, so real 0 is exact */
    float z = -128.f - lo / s;
    long zi = lroundf(z);
    if (zi < -128)
        zi = -128;
    if (zi > 127)
        zi = 127;
    *scale = s;
    *zp = (int)zi;
}

const char *vsr_requant_name(vsr_requant r)
{
    return r == VSR_REQUANT_TFLITE ? "tflite" : "float";
}

int vsr_requant_parse(const char *s, vsr_requant *out, vsr_error *err)
{
    if (s && !strcmp(s, "float")) {
        *out = VSR_REQUANT_FLOAT;
        return 0;
    }
    if (s && !strcmp(s, "tflite")) {
        *out = VSR_REQUANT_TFLITE;
        return 0;
    }
    return vsr_error_set(err, -EINVAL, "requant '%s': expected float or tflite", s ? s : "");
}
