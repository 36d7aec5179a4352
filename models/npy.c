/*
 * npy.c: reader for NumPy .npy files (format versions 1.0, 2.0 and 3.0).
 *
 * Layout: magic "\x93NUMPY", major, minor, header length (uint16 LE for
 * v1, uint32 LE for v2/v3), then an ASCII (v3: UTF-8) Python dict literal
 * {'descr': '<f4', 'fortran_order': False, 'shape': (3, 3, 16, 48), }
 * padded with spaces and a newline, then the raw C-order data.
 * Every length is checked against the file size before it is used.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsr/models.h"

static const struct {
    char kind;
    int size;
    enum vsr_models_dtype dtype;
} npy_types[] = {
    {'f', 4, VSR_MODELS_DT_F32}, {'f', 8, VSR_MODELS_DT_F64}, {'f', 2, VSR_MODELS_DT_F16},
    {'i', 1, VSR_MODELS_DT_I8},  {'i', 2, VSR_MODELS_DT_I16}, {'i', 4, VSR_MODELS_DT_I32},
    {'i', 8, VSR_MODELS_DT_I64}, {'u', 1, VSR_MODELS_DT_U8},  {'b', 1, VSR_MODELS_DT_BOOL},
};

const char *vsr_models_dtype_name(enum vsr_models_dtype dt)
{
    switch (dt) {
    case VSR_MODELS_DT_F32:
        return "float32";
    case VSR_MODELS_DT_F64:
        return "float64";
    case VSR_MODELS_DT_F16:
        return "float16";
    case VSR_MODELS_DT_I8:
        return "int8";
    case VSR_MODELS_DT_I16:
        return "int16";
    case VSR_MODELS_DT_I32:
        return "int32";
    case VSR_MODELS_DT_I64:
        return "int64";
    case VSR_MODELS_DT_U8:
        return "uint8";
    case VSR_MODELS_DT_BOOL:
        return "bool";
    }
    return "unknown";
}

/* Find the value text after 'key': in the header dict; NULL if absent. */
static const char *dict_value(const char *hdr, const char *key)
{
    char pat[32];
    snprintf(pat, sizeof(pat), "'%s'", key);
    const char *p = strstr(hdr, pat);
    if (!p) {
        snprintf(pat, sizeof(pat), "\"%s\"", key);
        p = strstr(hdr, pat);
    }
    if (!p)
        return NULL;
    p += strlen(pat);
    while (*p == ' ')
        p++;
    if (*p != ':')
        return NULL;
    p++;
    while (*p == ' ')
        p++;
    return p;
}

static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t man = h & 0x3ff;
    uint32_t bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else { /* subnormal: normalise */
            exp = 127 - 15 + 1;
            while (!(man & 0x400)) {
                man <<= 1;
                exp--;
            }
            man &= 0x3ff;
            bits = sign | (exp << 23) | (man << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (man << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

int vsr_models_npy_parse(const void *buf, size_t len, const char *what, vsr_models_npy *out,
                         vsr_error *err)
{
    const unsigned char *b = buf;
    memset(out, 0, sizeof(*out));
    if (!what)
        what = "npy";
    if (len < 10 || memcmp(b, "\x93NUMPY", 6) != 0)
        return vsr_error_set(err, -EINVAL, "%s: not a .npy file (bad magic)", what);
    int major = b[6];
    size_t hlen, hoff;
    if (major == 1) {
        hlen = (size_t)b[8] | ((size_t)b[9] << 8);
        hoff = 10;
    } else if (major == 2 || major == 3) {
        if (len < 12)
            return vsr_error_set(err, -EINVAL, "%s: truncated .npy header", what);
        hlen =
            (size_t)b[8] | ((size_t)b[9] << 8) | ((size_t)b[10] << 16) | ((size_t)b[11] << 24);
        hoff = 12;
    } else {
        return vsr_error_set(err, -ENOTSUP, "%s: .npy format version %d.%d is not supported",
                             what, major, b[7]);
    }
    if (hlen > len - hoff || hlen > 65536)
        return vsr_error_set(err, -EINVAL, "%s: .npy header length %zu exceeds the file", what,
                             hlen);
    char *hdr = malloc(hlen + 1);
    if (!hdr)
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", what);
    memcpy(hdr, b + hoff, hlen);
    hdr[hlen] = '\0';
    int rc = 0;

    /* descr */
    const char *v = dict_value(hdr, "descr");
    if (!v || (*v != '\'' && *v != '"')) {
        rc = vsr_error_set(err, -EINVAL, "%s: .npy header has no 'descr'", what);
        goto done;
    }
    char q = *v++;
    char descr[16];
    size_t dn = 0;
    while (v[dn] && v[dn] != q && dn < sizeof(descr) - 1) {
        descr[dn] = v[dn];
        dn++;
    }
    descr[dn] = '\0';
    if (v[dn] != q || dn < 2) {
        rc = vsr_error_set(err, -EINVAL, "%s: bad 'descr' in .npy header", what);
        goto done;
    }
    char order = descr[0];
    const char *ts = descr;
    if (order == '<' || order == '>' || order == '|' || order == '=')
        ts++;
    else
        order = '|';
    char kind = ts[0];
    char *end = NULL;
    long size = strtol(ts + 1, &end, 10);
    if (!end || *end != '\0' || size <= 0) {
        rc = vsr_error_set(err, -ENOTSUP, "%s: dtype '%s' is not supported", what, descr);
        goto done;
    }
    int found = -1;
    for (size_t i = 0; i < sizeof(npy_types) / sizeof(npy_types[0]); i++)
        if (npy_types[i].kind == kind && npy_types[i].size == size)
            found = (int)i;
    if (found < 0 || (order == '>' && size > 1)) {
        rc = vsr_error_set(
            err, -ENOTSUP,
            "%s: dtype '%s' is not supported (little-endian f2/f4/f8, i1..i8, u1, "
            "b1 are)",
            what, descr);
        goto done;
    }
    out->dtype = npy_types[found].dtype;
    out->elem_size = (size_t)size;

    /* fortran_order */
    v = dict_value(hdr, "fortran_order");
    if (!v) {
        rc = vsr_error_set(err, -EINVAL, "%s: .npy header has no 'fortran_order'", what);
        goto done;
    }
    if (strncmp(v, "False", 5) != 0) {
        rc = vsr_error_set(err, -ENOTSUP,
                           "%s: fortran_order arrays are not supported; save with "
                           "np.ascontiguousarray",
                           what);
        goto done;
    }

    /* shape */
    v = dict_value(hdr, "shape");
    if (!v || *v != '(') {
        rc = vsr_error_set(err, -EINVAL, "%s: .npy header has no 'shape' tuple", what);
        goto done;
    }
    v++;
    for (;;) {
        while (*v == ' ' || *v == ',')
            v++;
        if (*v == ')')
            break;
        if (*v < '0' || *v > '9') {
            rc = vsr_error_set(err, -EINVAL, "%s: bad 'shape' in .npy header", what);
            goto done;
        }
        if (out->ndim >= VSR_MODELS_MAX_DIMS) {
            rc = vsr_error_set(err, -ENOTSUP, "%s: more than %d dimensions", what,
                               VSR_MODELS_MAX_DIMS);
            goto done;
        }
        long long d = strtoll(v, &end, 10);
        if (end == v || d < 0 || d > (1LL << 31)) {
            rc = vsr_error_set(err, -EINVAL, "%s: bad dimension in 'shape'", what);
            goto done;
        }
        if (*end == 'L')
            end++;
        v = end;
        out->shape[out->ndim++] = (int64_t)d;
    }
    /* checked: a shape whose byte count wraps size_t is an error, not a
     * small number that passes the length check below */
    size_t count = 0, nbytes = 0;
    if (vsr_size_mul_n(out->shape, out->ndim, &count) ||
        vsr_size_mul(count, out->elem_size, &nbytes)) {
        rc = vsr_error_set(err, -EINVAL,
                           "%s: 'shape' in the .npy header overflows a size (corrupt or "
                           "crafted file)",
                           what);
        goto done;
    }
    out->count = count;
    size_t doff = hoff + hlen;
    if (nbytes > len - doff) {
        rc = vsr_error_set(err, -EINVAL,
                           "%s: data truncated: the header's shape needs %zu bytes, the file "
                           "holds %zu",
                           what, nbytes, len - doff);
        goto done;
    }
    out->data = malloc(nbytes ? nbytes : 1);
    if (!out->data) {
        rc = vsr_error_set(err, -ENOMEM, "%s: out of memory", what);
        goto done;
    }
    memcpy(out->data, b + doff, nbytes);
done:
    free(hdr);
    if (rc)
        vsr_models_npy_free(out);
    return rc;
}

int vsr_models_npy_read(const char *path, vsr_models_npy *out, vsr_error *err)
{
    unsigned char *buf;
    size_t len;
    memset(out, 0, sizeof(*out));
    int rc = vsr_read_file(path, SIZE_MAX, 0, &buf, &len, err);
    if (rc)
        return rc;
    rc = vsr_models_npy_parse(buf, len, path, out, err);
    free(buf);
    return rc;
}

int vsr_models_npy_to_f32(const vsr_models_npy *a, float **out, vsr_error *err)
{
    size_t bytes = 0;
    if (vsr_size_mul(a->count ? a->count : 1, sizeof(float), &bytes))
        return vsr_error_set(err, -EINVAL, "npy: array too large");
    *out = malloc(bytes);
    if (!*out)
        return vsr_error_set(err, -ENOMEM, "npy: out of memory");
    const unsigned char *p = a->data;
    for (size_t i = 0; i < a->count; i++, p += a->elem_size) {
        float v = 0;
        switch (a->dtype) {
        case VSR_MODELS_DT_F32:
            memcpy(&v, p, 4);
            break;
        case VSR_MODELS_DT_F64: {
            double d;
            memcpy(&d, p, 8);
            v = (float)d;
            break;
        }
        case VSR_MODELS_DT_F16: {
            uint16_t h = (uint16_t)(p[0] | (p[1] << 8));
            v = half_to_float(h);
            break;
        }
        case VSR_MODELS_DT_I8:
            v = (float)(int8_t)p[0];
            break;
        case VSR_MODELS_DT_U8:
        case VSR_MODELS_DT_BOOL:
            v = (float)p[0];
            break;
        case VSR_MODELS_DT_I16: {
            int16_t x;
            memcpy(&x, p, 2);
            v = (float)x;
            break;
        }
        case VSR_MODELS_DT_I32: {
            int32_t x;
            memcpy(&x, p, 4);
            v = (float)x;
            break;
        }
        case VSR_MODELS_DT_I64: {
            int64_t x;
            memcpy(&x, p, 8);
            v = (float)x;
            break;
        }
        }
        (*out)[i] = v;
    }
    return 0;
}

void vsr_models_npy_free(vsr_models_npy *a)
{
    if (!a)
        return;
    free(a->data);
    memset(a, 0, sizeof(*a));
}
