/*
 * Tensor element types: binary16 conversion, dtype-generic row load/store,
 * precision names; the two helpers every op calls (vsr__tensor: a view of a
 * materialized tensor, vsr__parallel: rows on the engine's pool), kept here
 * rather than in exec.c so the ops do not depend on the executor.
 */
#include <math.h>
#include <string.h>
#include <strings.h>

#include "engine_internal.h"

const char *vsr_precision_name(vsr_precision p)
{
    switch (p) {
    case VSR_PREC_FP32:
        return "fp32";
    case VSR_PREC_FP16:
        return "fp16";
    case VSR_PREC_INT8:
        return "int8";
    case VSR_PREC_FP16N:
        return "fp16n";
    }
    return "?";
}

int vsr_precision_parse(const char *s, vsr_precision *out, vsr_error *err)
{
    static const vsr_precision all[] = {VSR_PREC_FP32, VSR_PREC_FP16, VSR_PREC_FP16N,
                                        VSR_PREC_INT8};
    for (int i = 0; i < 4; i++)
        if (s && !strcasecmp(s, vsr_precision_name(all[i]))) {
            *out = all[i];
            return 0;
        }
    return vsr_error_set(err, -EINVAL, "precision '%s' is not one of fp32, fp16, fp16n, int8",
                         s ? s : "(null)");
}

uint16_t vsr_f32_to_f16(float x)
{
    uint32_t u;
    memcpy(&u, &x, 4);
    uint32_t sign = (u >> 16) & 0x8000u;
    uint32_t abs = u & 0x7fffffffu;
    if (abs >= 0x7f800000u) /* inf or NaN (keep a quiet NaN payload bit) */
        return (uint16_t)(sign | 0x7c00u |
                          (abs > 0x7f800000u ? 0x200u | ((abs >> 13) & 0x3ffu) : 0));
    if (abs >= 0x477ff000u) /* >= 65520: rounds to inf */
        return (uint16_t)(sign | 0x7c00u);
    if (abs < 0x38800000u) {   /* below 2^-14: subnormal half (or zero) */
        if (abs < 0x33000000u) /* < 2^-25: rounds to zero (2^-25 exactly is a tie -> 0) */
            return (uint16_t)sign;
        uint32_t e = abs >> 23; /* 102..112 */
        uint32_t m = (abs & 0x7fffffu) | 0x800000u;
        uint32_t shift = 126 - e; /* value = m * 2^(e-150); half unit 2^-24 */
        uint32_t q = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (q & 1)))
            q++;
        return (uint16_t)(sign | q);
    }
    /* normal: rebias exponent, round mantissa 23 -> 10 bits to nearest even */
    uint32_t r = abs - 0x38000000u; /* exponent bias 127 -> 15 */
    uint32_t q = r >> 13, rem = r & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (q & 1)))
        q++;
    return (uint16_t)(sign | q);
}

float vsr_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t e = (h >> 10) & 0x1fu, m = h & 0x3ffu, u;
    if (e == 0) {
        float f = ldexpf((float)m, -24);
        memcpy(&u, &f, 4);
        u |= sign;
    } else if (e == 31) {
        u = sign | 0x7f800000u | (m << 13);
    } else {
        u = sign | ((e + 112) << 23) | (m << 13);
    }
    float f;
    memcpy(&f, &u, 4);
    return f;
}

void vsr_f16_f32_cvt__scalar(const uint16_t *src, float *dst, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = vsr_f16_to_f32(src[i]);
}

void vsr_f32_f16_cvt__scalar(const float *src, uint16_t *dst, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = vsr_f32_to_f16(src[i]);
}

void vsr_qs8_f32_cvt__scalar(const int8_t *src, float *dst, size_t n, float scale, int zp)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = scale * (float)((int)src[i] - zp);
}

void vsr_f32_qs8_cvt__scalar(const float *src, int8_t *dst, size_t n, float inv_scale, int zp)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = vsr__quantize1_fast(src[i], inv_scale, zp);
}

void vsr_f32_minmax_ukernel__scalar(const float *x, size_t n, float out[2])
{
    int32_t lo = INT32_MAX, hi = INT32_MIN;
    vsr__f32_minmax_keys(x, n, &lo, &hi);
    vsr__f32_minmax_finish(lo, hi, out);
}

void vsr_u8_lut_ukernel__scalar(const int8_t *src, int8_t *dst, size_t n, const int8_t *lut)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = lut[(uint8_t)(src[i] ^ 0x80)];
}

int8_t vsr__quantize1(float v, float inv_scale, int zp)
{
    float q = nearbyintf(v * inv_scale) + (float)zp;
    if (!(q >= -128.f)) /* also catches NaN */
        return -128;
    if (q > 127.f)
        return 127;
    return (int8_t)q;
}

void vsr__load_f32(const vsr_tview *t, size_t off, size_t n, float *dst)
{
    switch (t->dt) {
    case VSR_DT_F32:
        memcpy(dst, (const float *)t->data + off, n * sizeof(float));
        return;
    case VSR_DT_F16: {
        const uint16_t *s = (const uint16_t *)t->data + off;
        if (t->k) {
            t->k->f16_to_f32(s, dst, n);
            return;
        }
        for (size_t i = 0; i < n; i++)
            dst[i] = vsr_f16_to_f32(s[i]);
        return;
    }
    case VSR_DT_I8: {
        const int8_t *s = (const int8_t *)t->data + off;
        if (t->k && t->k->qs8_to_f32) {
            t->k->qs8_to_f32(s, dst, n, t->scale, t->zp);
            return;
        }
        vsr_qs8_f32_cvt__scalar(s, dst, n, t->scale, t->zp);
        return;
    }
    }
}

void vsr__store_f32(const vsr_tview *t, size_t off, size_t n, const float *src)
{
    switch (t->dt) {
    case VSR_DT_F32:
        memcpy((float *)t->data + off, src, n * sizeof(float));
        return;
    case VSR_DT_F16: {
        uint16_t *d = (uint16_t *)t->data + off;
        if (t->k) {
            t->k->f32_to_f16(src, d, n);
            return;
        }
        for (size_t i = 0; i < n; i++)
            d[i] = vsr_f32_to_f16(src[i]);
        return;
    }
    case VSR_DT_I8: {
        int8_t *d = (int8_t *)t->data + off;
        float inv = 1.f / t->scale;
        if (t->k && t->k->f32_to_qs8) {
            t->k->f32_to_qs8(src, d, n, inv, t->zp);
            return;
        }
        vsr_f32_qs8_cvt__scalar(src, d, n, inv, t->zp);
        return;
    }
    }
}

/* ---- what every op calls: its tensors, its rows in parallel ------------------ */

vsr_tview vsr__tensor(const vsr_engine *e, int t)
{
    vsr_tview v;
    v.data = e->arena + e->off[t];
    v.dt = e->dt[t];
    v.h = e->shp[3 * t], v.w = e->shp[3 * t + 1], v.c = e->shp[3 * t + 2];
    v.scale = e->qscale[t];
    v.zp = e->qzp[t];
    v.k = &e->k;
    v.blk = e->blk ? e->blk[t] : 0;
    return v;
}

void vsr__window(const vsr_tview *t, int iy0, int nr, int cx0, int wp, int fill, void *dst)
{
    size_t es = vsr__dt_size(t->dt), px = (size_t)t->c * es, rowp = (size_t)wp * px;
    int a = cx0 < 0 ? -cx0 : 0, b = cx0 + wp > t->w ? t->w - cx0 : wp;
    a = a < wp ? a : wp;
    b = b > a ? b : a;
    for (int r = 0; r < nr; r++) {
        int iy = iy0 + r;
        uint8_t *row = (uint8_t *)dst + (size_t)r * rowp;
        if (iy < 0 || iy >= t->h) {
            memset(row, fill, rowp);
            continue;
        }
        memset(row, fill, (size_t)a * px);
        memcpy(row + (size_t)a * px,
               (const uint8_t *)t->data + ((size_t)iy * t->w + (size_t)(cx0 + a)) * px,
               (size_t)(b - a) * px);
        memset(row + (size_t)b * px, fill, (size_t)(wp - b) * px);
    }
}
