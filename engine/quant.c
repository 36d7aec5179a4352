/*
 * INT8 post-training quantization helpers: fixed-point multipliers and
 * activation parameters from ranges under the schemes (vsr_quant_scheme:
 * TFLite conventions by default), precision labels with a scheme.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

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

/* 2^ceil(log2 s): s itself when it is a power of two already. */
static float pow2_up(float s)
{
    int e;
    double f = frexp(s, &e); /* s = f * 2^e, f in [0.5, 1) */
    return f == 0.5 ? s : ldexpf(1.f, e);
}

void vsr_quant_from_range(const vsr_quant_scheme *qs, float lo, float hi, float *scale, int *zp)
{
    static const vsr_quant_scheme def = {0};
    if (!qs)
        qs = &def;
    if (lo > 0.f)
        lo = 0.f;
    if (hi < 0.f)
        hi = 0.f;
    if (qs->activations == VSR_QUANT_SYMMETRIC) {
        float a = fmaxf(-lo, hi);
        if (!(a > 1e-8f))
            a = 1e-8f;
        float s = a / 127.f;
        *scale = qs->pow2 ? pow2_up(s) : s;
        *zp = 0; /* uint8: 128 */
        return;
    }
    if (!(hi - lo > 1e-8f))
        hi = lo + 1e-8f;
    float s = (hi - lo) / 255.f;
    if (qs->pow2)
        s = pow2_up(s);
    long zi;
    if (qs->storage == VSR_QUANT_UINT8) {
        /* a uint8 engine's nudging: round(0 - lo / s) in [0, 255], then shifted */
        zi = lroundf(-lo / s);
        zi = (zi < 0 ? 0 : zi > 255 ? 255 : zi) - 128;
    } else {
        /* TFLite nudging: the zero point is an integer, so real 0 is exact */
        float z = -128.f - lo / s;
        zi = lroundf(z);
        if (zi < -128)
            zi = -128;
        if (zi > 127)
            zi = 127;
    }
    *scale = s;
    *zp = (int)zi;
}

void vsr__quant_from_range(float lo, float hi, float *scale, int *zp)
{
    vsr_quant_from_range(NULL, lo, hi, scale, zp);
}

float vsr__quant_weight_scale(const vsr_quant_scheme *qs, float amax)
{
    float s = amax > 0.f ? amax / 127.f : 1.f;
    return qs && qs->pow2 ? pow2_up(s) : s;
}

void vsr_quant_scheme_default(vsr_quant_scheme *s)
{
    memset(s, 0, sizeof(*s));
}

int vsr_quant_scheme_is_default(const vsr_quant_scheme *s)
{
    return s->weights == VSR_QUANT_PER_CHANNEL && s->activations == VSR_QUANT_ASYMMETRIC &&
           s->storage == VSR_QUANT_INT8 && !s->pow2;
}

int vsr_quant_scheme_label(const vsr_quant_scheme *s, char *buf, size_t cap)
{
    return snprintf(buf, cap, "int8%s%s%s%s", s->weights == VSR_QUANT_PER_TENSOR ? "-pt" : "",
                    s->activations == VSR_QUANT_SYMMETRIC ? "-sym" : "",
                    s->storage == VSR_QUANT_UINT8 ? "-u8" : "", s->pow2 ? "-pow2" : "");
}

int vsr_precision_parse_scheme(const char *str, vsr_precision *p, vsr_quant_scheme *s,
                               vsr_error *err)
{
    vsr_quant_scheme_default(s);
    if (!str)
        return vsr_precision_parse(str, p, err);
    char head[16];
    size_t n = strcspn(str, "-");
    if (n >= sizeof(head))
        n = sizeof(head) - 1;
    memcpy(head, str, n);
    head[n] = 0;
    int rc = vsr_precision_parse(str[n] ? head : str, p, err);
    if (rc || !str[n])
        return rc;
    if (*p != VSR_PREC_INT8)
        return vsr_error_set(
            err, -EINVAL, "precision '%s': scheme suffixes (-pt, -sym, ...) are for int8 only",
            str);
    for (const char *t = str + n; *t == '-';) {
        t++;
        size_t k = strcspn(t, "-");
        if (k == 2 && !strncasecmp(t, "pt", 2))
            s->weights = VSR_QUANT_PER_TENSOR;
        else if (k == 2 && !strncasecmp(t, "pc", 2))
            s->weights = VSR_QUANT_PER_CHANNEL;
        else if (k == 3 && !strncasecmp(t, "sym", 3))
            s->activations = VSR_QUANT_SYMMETRIC;
        else if (k == 4 && !strncasecmp(t, "asym", 4))
            s->activations = VSR_QUANT_ASYMMETRIC;
        else if (k == 2 && !strncasecmp(t, "u8", 2))
            s->storage = VSR_QUANT_UINT8;
        else if (k == 2 && !strncasecmp(t, "i8", 2))
            s->storage = VSR_QUANT_INT8;
        else if (k == 4 && !strncasecmp(t, "pow2", 4))
            s->pow2 = 1;
        else
            return vsr_error_set(err, -EINVAL,
                                 "precision '%s': unknown int8 scheme suffix '%.*s' (known: pt "
                                 "pc sym asym u8 i8 pow2, e.g. int8-pt-sym)",
                                 str, (int)k, t);
        t += k;
    }
    return 0;
}

int vsr_graph_set_quant_scheme(vsr_graph *g, const vsr_quant_scheme *s, vsr_error *err)
{
    if ((unsigned)s->weights > VSR_QUANT_PER_TENSOR ||
        (unsigned)s->activations > VSR_QUANT_SYMMETRIC ||
        (unsigned)s->storage > VSR_QUANT_UINT8 || (s->pow2 != 0 && s->pow2 != 1))
        return vsr_error_set(err, -EINVAL, "%s: INT8 scheme with a value outside its enum",
                             g->name);
    g->qscheme = *s;
    return 0;
}

void vsr_graph_get_quant_scheme(const vsr_graph *g, vsr_quant_scheme *s)
{
    *s = g->qscheme;
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
