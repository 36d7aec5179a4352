/*
 * tflite.c: a small, bounds-checked reader for TFLite flatbuffers.
 *
 * Flatbuffer layout (public flatbuffers spec): the file starts with a
 * uint32 offset to the root table; a table starts with an int32 soffset
 * back to its vtable (vtable = table - soffset); a vtable is uint16 vtable
 * size, uint16 table size, then one uint16 offset per field (0 = absent,
 * default value). References to tables, vectors and strings are uint32
 * offsets relative to the referring field; vectors are a uint32 count then
 * the elements. Every read below goes through fb_* helpers that check the
 * position against the buffer length, so a corrupt file is an error.
 *
 * Fields used (TFLite schema.fbs):
 *   Model: 0 version, 1 operator_codes, 2 subgraphs, 3 description, 4 buffers
 *   OperatorCode: 0 deprecated_builtin_code (int8), 1 custom_code, 2 version,
 *                 3 builtin_code (int32)
 *   SubGraph: 0 tensors, 1 inputs, 2 outputs, 3 operators, 4 name
 *   Tensor: 0 shape, 1 type, 2 buffer, 3 name, 4 quantization, 7 shape_signature
 *   QuantizationParameters: 0 min, 1 max, 2 scale, 3 zero_point, 6 quantized_dimension
 *   Operator: 0 opcode_index, 1 inputs, 2 outputs, 3 builtin_options_type,
 *             4 builtin_options
 *   Buffer: 0 data, 1 offset (uint64), 2 size (uint64)
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vsr/models.h"

typedef struct fb {
    const uint8_t *b;
    size_t n;
    const char *what;
    vsr_error *err;
} fb;

#define FB_BAD(f, ...) vsr_error_set((f)->err, -EINVAL, __VA_ARGS__)

static int fb_u32(const fb *f, size_t pos, uint32_t *v)
{
    if (pos > f->n || f->n - pos < 4)
        return FB_BAD(f, "%s: corrupt flatbuffer (read of 4 bytes at %zu past end %zu)",
                      f->what, pos, f->n);
    *v = (uint32_t)f->b[pos] | ((uint32_t)f->b[pos + 1] << 8) |
         ((uint32_t)f->b[pos + 2] << 16) | ((uint32_t)f->b[pos + 3] << 24);
    return 0;
}

static int fb_u16(const fb *f, size_t pos, uint16_t *v)
{
    if (pos > f->n || f->n - pos < 2)
        return FB_BAD(f, "%s: corrupt flatbuffer (read of 2 bytes at %zu past end)", f->what,
                      pos);
    *v = (uint16_t)(f->b[pos] | (f->b[pos + 1] << 8));
    return 0;
}

/* A table: position and its vtable. */
typedef struct fbt {
    size_t pos;
    size_t vt;
    uint16_t vtsize;
} fbt;

static int fb_table(const fb *f, size_t pos, fbt *t)
{
    uint32_t so = 0;
    int rc = fb_u32(f, pos, &so);
    if (rc)
        return rc;
    int64_t vt = (int64_t)pos - (int64_t)(int32_t)so;
    if (vt < 0 || (uint64_t)vt >= f->n)
        return FB_BAD(f, "%s: corrupt flatbuffer (vtable offset out of range at %zu)", f->what,
                      pos);
    t->pos = pos;
    t->vt = (size_t)vt;
    if ((rc = fb_u16(f, t->vt, &t->vtsize)))
        return rc;
    if (t->vtsize < 4 || (t->vtsize & 1) || t->vt + t->vtsize > f->n)
        return FB_BAD(f, "%s: corrupt flatbuffer (bad vtable size %u at %zu)", f->what,
                      t->vtsize, t->vt);
    return 0;
}

/* Position of field @p idx of table @p t, or 0 when absent. */
static int fb_field(const fb *f, const fbt *t, int idx, size_t *pos)
{
    *pos = 0;
    size_t slot = 4 + 2 * (size_t)idx;
    if (slot + 2 > t->vtsize)
        return 0;
    uint16_t fo = 0;
    int rc = fb_u16(f, t->vt + slot, &fo);
    if (rc)
        return rc;
    if (!fo)
        return 0;
    if (t->pos + fo >= f->n)
        return FB_BAD(f, "%s: corrupt flatbuffer (field %d of table at %zu out of range)",
                      f->what, idx, t->pos);
    *pos = t->pos + fo;
    return 0;
}

static int fb_scalar(const fb *f, const fbt *t, int idx, int size, int64_t def, int is_signed,
                     int64_t *v)
{
    size_t p = 0;
    *v = def;
    int rc = fb_field(f, t, idx, &p);
    if (rc || !p)
        return rc;
    if (f->n - p < (size_t)size)
        return FB_BAD(f, "%s: corrupt flatbuffer (scalar field %d truncated)", f->what, idx);
    uint64_t u = 0;
    for (int i = 0; i < size; i++)
        u |= (uint64_t)f->b[p + i] << (8 * i);
    if (is_signed && size < 8 && (u >> (8 * size - 1)) & 1)
        u |= ~(uint64_t)0 << (8 * size);
    *v = (int64_t)u;
    return 0;
}

static int fb_int(const fb *f, const fbt *t, int idx, int size, int64_t def, int64_t *v)
{
    return fb_scalar(f, t, idx, size, def, 1, v);
}

/* Follow the uoffset in field idx; *pos = 0 when absent. */
static int fb_ref(const fb *f, const fbt *t, int idx, size_t *pos)
{
    size_t p = 0;
    int rc = fb_field(f, t, idx, &p);
    if (rc || !p) {
        *pos = 0;
        return rc;
    }
    uint32_t rel = 0;
    if ((rc = fb_u32(f, p, &rel)))
        return rc;
    if (rel == 0 || (uint64_t)p + rel >= f->n)
        return FB_BAD(f, "%s: corrupt flatbuffer (offset in field %d points outside the file)",
                      f->what, idx);
    *pos = p + rel;
    return 0;
}

/* A vector in field idx: *start = first element, *count = element count. */
static int fb_vector(const fb *f, const fbt *t, int idx, size_t esize, size_t *start,
                     uint32_t *count)
{
    size_t p = 0;
    *start = 0;
    *count = 0;
    int rc = fb_ref(f, t, idx, &p);
    if (rc || !p)
        return rc;
    uint32_t c = 0;
    if ((rc = fb_u32(f, p, &c)))
        return rc;
    if ((uint64_t)c * esize > f->n - p - 4)
        return FB_BAD(f,
                      "%s: corrupt flatbuffer (vector of %u elements at %zu exceeds the file)",
                      f->what, c, p);
    *start = p + 4;
    *count = c;
    return 0;
}

/* Table element i of a vector of tables. */
static int fb_vec_table(const fb *f, size_t start, uint32_t i, fbt *t)
{
    size_t p = start + 4 * (size_t)i;
    uint32_t rel = 0;
    int rc = fb_u32(f, p, &rel);
    if (rc)
        return rc;
    if ((uint64_t)p + rel >= f->n)
        return FB_BAD(f, "%s: corrupt flatbuffer (table offset out of range)", f->what);
    return fb_table(f, p + rel, t);
}

static int fb_string(const fb *f, const fbt *t, int idx, char **out)
{
    size_t s = 0;
    uint32_t c = 0;
    int rc = fb_vector(f, t, idx, 1, &s, &c);
    if (rc)
        return rc;
    *out = malloc((size_t)c + 1);
    if (!*out)
        return vsr_error_set(f->err, -ENOMEM, "%s: out of memory", f->what);
    if (c)
        memcpy(*out, f->b + s, c);
    (*out)[c] = '\0';
    return 0;
}

/* Read a vector of int32 into an owned array. */
static int fb_i32_vec(const fb *f, const fbt *t, int idx, int32_t **out, int *n)
{
    size_t s = 0;
    uint32_t c = 0;
    *out = NULL;
    *n = 0;
    int rc = fb_vector(f, t, idx, 4, &s, &c);
    if (rc)
        return rc;
    if (c > (1u << 24))
        return FB_BAD(f, "%s: implausible vector length %u", f->what, c);
    *out = calloc(c ? c : 1, sizeof(int32_t));
    if (!*out)
        return vsr_error_set(f->err, -ENOMEM, "%s: out of memory", f->what);
    for (uint32_t i = 0; i < c; i++) {
        uint32_t v = 0;
        fb_u32(f, s + 4 * (size_t)i, &v);
        (*out)[i] = (int32_t)v;
    }
    *n = (int)c;
    return 0;
}

static const char *const op_names[] = {
    "ADD",
    "AVERAGE_POOL_2D",
    "CONCATENATION",
    "CONV_2D",
    "DEPTHWISE_CONV_2D",
    "DEPTH_TO_SPACE",
    "DEQUANTIZE",
    "EMBEDDING_LOOKUP",
    "FLOOR",
    "FULLY_CONNECTED",
    "HASHTABLE_LOOKUP",
    "L2_NORMALIZATION",
    "L2_POOL_2D",
    "LOCAL_RESPONSE_NORMALIZATION",
    "LOGISTIC",
    "LSH_PROJECTION",
    "LSTM",
    "MAX_POOL_2D",
    "MUL",
    "RELU",
    "RELU_N1_TO_1",
    "RELU6",
    "RESHAPE",
    "RESIZE_BILINEAR",
    "RNN",
    "SOFTMAX",
    "SPACE_TO_DEPTH",
    "SVDF",
    "TANH",
    "CONCAT_EMBEDDINGS",
    "SKIP_GRAM",
    "CALL",
    "CUSTOM",
    "EMBEDDING_LOOKUP_SPARSE",
    "PAD",
    "UNIDIRECTIONAL_SEQUENCE_RNN",
    "GATHER",
    "BATCH_TO_SPACE_ND",
    "SPACE_TO_BATCH_ND",
    "TRANSPOSE",
    "MEAN",
    "SUB",
    "DIV",
    "SQUEEZE",
    "UNIDIRECTIONAL_SEQUENCE_LSTM",
    "STRIDED_SLICE",
    "BIDIRECTIONAL_SEQUENCE_RNN",
    "EXP",
    "TOPK_V2",
    "SPLIT",
    "LOG_SOFTMAX",
    "DELEGATE",
    "BIDIRECTIONAL_SEQUENCE_LSTM",
    "CAST",
    "PRELU",
    "MAXIMUM",
    "ARG_MAX",
    "MINIMUM",
    "LESS",
    "NEG",
    "PADV2",
    "GREATER",
    "GREATER_EQUAL",
    "LESS_EQUAL",
    "SELECT",
    "SLICE",
    "SIN",
    "TRANSPOSE_CONV",
    "SPARSE_TO_DENSE",
    "TILE",
    "EXPAND_DIMS",
    "EQUAL",
    "NOT_EQUAL",
    "LOG",
    "SUM",
    "SQRT",
    "RSQRT",
    "SHAPE",
    "POW",
    "ARG_MIN",
    "FAKE_QUANT",
    "REDUCE_PROD",
    "REDUCE_MAX",
    "PACK",
    "LOGICAL_OR",
    "ONE_HOT",
    "LOGICAL_AND",
    "LOGICAL_NOT",
    "UNPACK",
    "REDUCE_MIN",
    "FLOOR_DIV",
    "REDUCE_ANY",
    "SQUARE",
    "ZEROS_LIKE",
    "FILL",
    "FLOOR_MOD",
    "RANGE",
    "RESIZE_NEAREST_NEIGHBOR",
    "LEAKY_RELU",
    "SQUARED_DIFFERENCE",
    "MIRROR_PAD",
    "ABS",
    "SPLIT_V",
    "UNIQUE",
    "CEIL",
    "REVERSE_V2",
    "ADD_N",
    "GATHER_ND",
    "COS",
    "WHERE",
    "RANK",
    "ELU",
    "REVERSE_SEQUENCE",
    "MATRIX_DIAG",
    "QUANTIZE",
    "MATRIX_SET_DIAG",
    "ROUND",
    "HARD_SWISH",
    "IF",
    "WHILE",
    "NON_MAX_SUPPRESSION_V4",
    "NON_MAX_SUPPRESSION_V5",
    "SCATTER_ND",
    "SELECT_V2",
    "DENSIFY",
    "SEGMENT_SUM",
    "BATCH_MATMUL",
};

const char *vsr_models_tfl_opname(int code)
{
    if (code >= 0 && code < (int)(sizeof(op_names) / sizeof(op_names[0])))
        return op_names[code];
    if (code == VSR_TFL_GELU)
        return "GELU";
    return "UNKNOWN";
}

const char *vsr_models_tfl_typename(int type)
{
    static const char *const names[] = {"FLOAT32",   "FLOAT16", "INT32",  "UINT8",
                                        "INT64",     "STRING",  "BOOL",   "INT16",
                                        "COMPLEX64", "INT8",    "FLOAT64"};
    if (type >= 0 && type < (int)(sizeof(names) / sizeof(names[0])))
        return names[type];
    return "UNKNOWN";
}

static size_t type_size(int type)
{
    switch (type) {
    case VSR_TFL_FLOAT32:
    case VSR_TFL_INT32:
        return 4;
    case VSR_TFL_FLOAT16:
    case VSR_TFL_INT16:
        return 2;
    case VSR_TFL_UINT8:
    case VSR_TFL_INT8:
    case 6:
        return 1;
    case VSR_TFL_INT64:
    case 10:
        return 8;
    }
    return 0;
}

static int parse_quant(const fb *f, const fbt *tt, vsr_models_tfl_quant *q)
{
    size_t p = 0;
    int rc = fb_ref(f, tt, 4, &p);
    if (rc || !p)
        return rc;
    fbt qt;
    if ((rc = fb_table(f, p, &qt)))
        return rc;
    size_t s = 0;
    uint32_t c = 0;
    if ((rc = fb_vector(f, &qt, 2, 4, &s, &c)))
        return rc;
    if (c) {
        q->scale = malloc(c * sizeof(float));
        if (!q->scale)
            return vsr_error_set(f->err, -ENOMEM, "%s: out of memory", f->what);
        for (uint32_t i = 0; i < c; i++) {
            uint32_t u = 0;
            fb_u32(f, s + 4 * (size_t)i, &u);
            memcpy(&q->scale[i], &u, 4);
        }
        q->n = (int)c;
    }
    if ((rc = fb_vector(f, &qt, 3, 8, &s, &c)))
        return rc;
    if (c) {
        q->zero_point = malloc(c * sizeof(int64_t));
        if (!q->zero_point)
            return vsr_error_set(f->err, -ENOMEM, "%s: out of memory", f->what);
        for (uint32_t i = 0; i < c; i++) {
            uint32_t lo = 0, hi = 0;
            fb_u32(f, s + 8 * (size_t)i, &lo);
            fb_u32(f, s + 8 * (size_t)i + 4, &hi);
            q->zero_point[i] = (int64_t)(((uint64_t)hi << 32) | lo);
        }
        q->nzp = (int)c;
    }
    int64_t v = 0;
    if ((rc = fb_int(f, &qt, 6, 4, 0, &v)))
        return rc;
    q->quantized_dimension = (int)v;
    return 0;
}

static int parse_options(const fb *f, const fbt *ot, vsr_models_tfl_operator *op)
{
    vsr_models_tfl_options *o = &op->opt;
    o->stride_w = o->stride_h = o->dilation_w = o->dilation_h = o->depth_multiplier = 1;
    size_t p = 0;
    int rc = fb_ref(f, ot, 4, &p);
    if (rc || !p)
        return rc;
    fbt t;
    if ((rc = fb_table(f, p, &t)))
        return rc;
    int64_t v[8] = {0};
#define GET(i, sz, def)                                                                        \
    do {                                                                                       \
        if ((rc = fb_int(f, &t, i, sz, def, &v[i])))                                           \
            return rc;                                                                         \
    } while (0)
    switch (op->code) {
    case VSR_TFL_CONV_2D:
        GET(0, 1, 0);
        GET(1, 4, 0);
        GET(2, 4, 0);
        GET(3, 1, 0);
        GET(4, 4, 1);
        GET(5, 4, 1);
        o->padding = (int)v[0];
        o->stride_w = (int)v[1];
        o->stride_h = (int)v[2];
        o->act = (int)v[3];
        o->dilation_w = (int)v[4];
        o->dilation_h = (int)v[5];
        break;
    case VSR_TFL_DEPTHWISE_CONV_2D:
        GET(0, 1, 0);
        GET(1, 4, 0);
        GET(2, 4, 0);
        GET(3, 4, 0);
        GET(4, 1, 0);
        GET(5, 4, 1);
        GET(6, 4, 1);
        o->padding = (int)v[0];
        o->stride_w = (int)v[1];
        o->stride_h = (int)v[2];
        o->depth_multiplier = (int)v[3];
        o->act = (int)v[4];
        o->dilation_w = (int)v[5];
        o->dilation_h = (int)v[6];
        break;
    case VSR_TFL_CONCATENATION:
        GET(0, 4, 0);
        GET(1, 1, 0);
        o->axis = (int)v[0];
        o->act = (int)v[1];
        break;
    case VSR_TFL_ADD:
    case VSR_TFL_MUL:
        GET(0, 1, 0);
        o->act = (int)v[0];
        break;
    case VSR_TFL_DEPTH_TO_SPACE:
        GET(0, 4, 0);
        o->block_size = (int)v[0];
        break;
    case VSR_TFL_RESIZE_BILINEAR:
        GET(2, 1, 0);
        GET(3, 1, 0);
        o->align_corners = (int)v[2];
        o->half_pixel_centers = (int)v[3];
        break;
    case VSR_TFL_RESIZE_NEAREST_NEIGHBOR:
        GET(0, 1, 0);
        GET(1, 1, 0);
        o->align_corners = (int)v[0];
        o->half_pixel_centers = (int)v[1];
        break;
    case VSR_TFL_STRIDED_SLICE:
        GET(0, 4, 0);
        GET(1, 4, 0);
        GET(2, 4, 0);
        GET(3, 4, 0);
        GET(4, 4, 0);
        o->begin_mask = (int)v[0];
        o->end_mask = (int)v[1];
        o->ellipsis_mask = (int)v[2];
        o->new_axis_mask = (int)v[3];
        o->shrink_axis_mask = (int)v[4];
        break;
    case VSR_TFL_BATCH_MATMUL:
        GET(0, 1, 0);
        GET(1, 1, 0);
        o->adj_x = (int)v[0];
        o->adj_y = (int)v[1];
        break;
    case VSR_TFL_SOFTMAX:
    case VSR_TFL_LEAKY_RELU: {
        size_t fp = 0;
        if ((rc = fb_field(f, &t, 0, &fp)))
            return rc;
        float *dst = op->code == VSR_TFL_SOFTMAX ? &o->beta : &o->alpha;
        *dst = op->code == VSR_TFL_SOFTMAX ? 0.f : 0.2f; /* the schema's defaults */
        if (fp) {
            uint32_t u = 0;
            if ((rc = fb_u32(f, fp, &u)))
                return rc;
            memcpy(dst, &u, 4);
        }
        break;
    }
    default:
        break;
    }
#undef GET
    return 0;
}

static int check_index_list(const fb *f, const int32_t *idx, int n, int n_tensors,
                            const char *ctx)
{
    for (int i = 0; i < n; i++)
        if (idx[i] < -1 || idx[i] >= n_tensors)
            return FB_BAD(f, "%s: corrupt model (%s refers to tensor %d of %d)", f->what, ctx,
                          idx[i], n_tensors);
    return 0;
}

/* "[1, 3, 3, 28]" into buf (truncated to cap). */
static const char *fmt_shape(char *buf, size_t cap, const int32_t *s, int n)
{
    size_t k = (size_t)snprintf(buf, cap, "[");
    for (int i = 0; i < n && k < cap; i++)
        k += (size_t)snprintf(buf + k, cap - k, "%s%d", i ? ", " : "", s[i]);
    if (k < cap)
        snprintf(buf + k, cap - k, "]");
    return buf;
}

/*
 * A constant tensor's element count must agree with the bytes the file
 * holds for it (computed with checked arithmetic: a shape whose product
 * wraps size_t is an error, never a small number). For a type without a
 * fixed element size the count must not exceed the bytes. So every
 * constant's element count is at most the file size.
 */
static int check_const_size(const char *what, uint32_t i, const vsr_models_tfl_tensor *t,
                            size_t file_len, vsr_error *err)
{
    if (!t->data)
        return 0;
    int64_t dims[VSR_MODELS_MAX_DIMS];
    char sh[128];
    for (int d = 0; d < t->ndim; d++)
        dims[d] = t->shape[d];
    size_t count = 0, need = 0, es = type_size(t->type);
    int rc = vsr_size_mul_n(dims, t->ndim, &count);
    if (rc == -EINVAL)
        return vsr_error_set(err, -EINVAL, "%s: constant tensor %u '%s' has a negative dim %s",
                             what, i, t->name, fmt_shape(sh, sizeof(sh), t->shape, t->ndim));
    if (rc || (es && vsr_size_mul(count, es, &need)))
        return vsr_error_set(
            err, -EINVAL,
            "%s: tensor %u '%s': shape %s overflows a size (corrupt or crafted "
            "file)",
            what, i, t->name, fmt_shape(sh, sizeof(sh), t->shape, t->ndim));
    if (es && need != t->data_len)
        return vsr_error_set(
            err, -EINVAL, "%s: tensor %u '%s' holds %zu bytes but its shape %s needs %zu", what,
            i, t->name, t->data_len, fmt_shape(sh, sizeof(sh), t->shape, t->ndim), need);
    if (!es && count > t->data_len && count > file_len)
        return vsr_error_set(err, -EINVAL,
                             "%s: tensor %u '%s': shape %s has more elements than the file "
                             "has bytes",
                             what, i, t->name, fmt_shape(sh, sizeof(sh), t->shape, t->ndim));
    return 0;
}

/*
 * Quantisation arrays: scale count 1 or the channel count of
 * quantized_dimension, zero-point count 0, 1 or the scale count; scales
 * finite and > 0; zero points within the range of the tensor's type.
 */
static int check_quant(const char *what, uint32_t i, const vsr_models_tfl_tensor *t,
                       vsr_error *err)
{
    const vsr_models_tfl_quant *q = &t->q;
    if (!q->n && !q->nzp)
        return 0;
    int qd = q->quantized_dimension;
    if (!q->n)
        return vsr_error_set(err, -EINVAL, "%s: tensor %u '%s': %d zero points but no scale",
                             what, i, t->name, q->nzp);
    if (q->n > 1 || q->nzp > 1) {
        if (qd < 0 || qd >= t->ndim)
            return vsr_error_set(err, -EINVAL,
                                 "%s: tensor %u '%s': quantized_dimension %d is outside its %d "
                                 "dims",
                                 what, i, t->name, qd, t->ndim);
        if (q->n != 1 && q->n != t->shape[qd])
            return vsr_error_set(
                err, -EINVAL,
                "%s: tensor %u '%s': %d scales for %d channels of dimension %d "
                "(must be 1 or %d)",
                what, i, t->name, q->n, t->shape[qd], qd, t->shape[qd]);
    }
    if (q->nzp > 1 && q->nzp != q->n)
        return vsr_error_set(err, -EINVAL,
                             "%s: tensor %u '%s': %d zero points for %d scales (must be 0, 1 "
                             "or %d)",
                             what, i, t->name, q->nzp, q->n, q->n);
    for (int k = 0; k < q->n; k++)
        if (!isfinite(q->scale[k]) || !(q->scale[k] > 0))
            return vsr_error_set(err, -EINVAL,
                                 "%s: tensor %u '%s': scale %d is %g (must be finite and > 0)",
                                 what, i, t->name, k, (double)q->scale[k]);
    int64_t lo = INT32_MIN, hi = INT32_MAX;
    switch (t->type) {
    case VSR_TFL_INT8:
        lo = INT8_MIN, hi = INT8_MAX;
        break;
    case VSR_TFL_UINT8:
        lo = 0, hi = UINT8_MAX;
        break;
    case VSR_TFL_INT16:
        lo = INT16_MIN, hi = INT16_MAX;
        break;
    }
    for (int k = 0; k < q->nzp; k++)
        if (q->zero_point[k] < lo || q->zero_point[k] > hi)
            return vsr_error_set(err, -EINVAL,
                                 "%s: tensor %u '%s': zero point %" PRId64
                                 " is outside the %s range [%" PRId64 ", %" PRId64 "]",
                                 what, i, t->name, q->zero_point[k],
                                 vsr_models_tfl_typename(t->type), lo, hi);
    return 0;
}

int vsr_models_tflite_parse(const void *buf, size_t len, const char *what,
                            vsr_models_tflite *out, vsr_error *err)
{
    memset(out, 0, sizeof(*out));
    if (!what)
        what = "tflite";
    int rc = 0;
    int *opcodes = NULL;
    int *opversions = NULL;
    if (len < 8)
        return vsr_error_set(err, -EINVAL, "%s: not a TFLite file (too short)", what);
    out->file = malloc(len);
    if (!out->file)
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", what);
    memcpy(out->file, buf, len);
    out->file_len = len;
    fb F = {out->file, len, what, err};
    const fb *f = &F;
    if (memcmp(out->file + 4, "TFL3", 4) != 0) {
        rc =
            vsr_error_set(err, -EINVAL, "%s: not a TFLite file (identifier is not TFL3)", what);
        goto fail;
    }
    uint32_t root = 0;
    fbt model;
    if ((rc = fb_u32(f, 0, &root)) || (rc = fb_table(f, root, &model)))
        goto fail;
    int64_t v = 0;
    if ((rc = fb_int(f, &model, 0, 4, 0, &v)))
        goto fail;
    out->version = (uint32_t)v;
    if ((rc = fb_string(f, &model, 3, &out->description)))
        goto fail;
    if (!out->description && !(out->description = calloc(1, 1))) {
        rc = vsr_error_set(err, -ENOMEM, "%s: out of memory", what);
        goto fail;
    }

    /* operator codes */
    size_t s = 0;
    uint32_t c = 0;
    if ((rc = fb_vector(f, &model, 1, 4, &s, &c)))
        goto fail;
    out->n_opcodes = (int)c;
    opcodes = calloc(c ? c : 1, sizeof(int));
    opversions = calloc(c ? c : 1, sizeof(int));
    if (!opcodes || !opversions) {
        rc = vsr_error_set(err, -ENOMEM, "%s: out of memory", what);
        goto fail;
    }
    for (uint32_t i = 0; i < c; i++) {
        fbt oc;
        int64_t dep = 0, code = 0, ver = 1;
        if ((rc = fb_vec_table(f, s, i, &oc)) || (rc = fb_int(f, &oc, 0, 1, 0, &dep)) ||
            (rc = fb_int(f, &oc, 2, 4, 1, &ver)) || (rc = fb_int(f, &oc, 3, 4, 0, &code)))
            goto fail;
        /* Schema >= 2.4 writes builtin_code; older files only the deprecated
         * int8 field (127 = placeholder meaning "look at builtin_code"). */
        opcodes[i] = (int)(code > dep ? code : dep);
        opversions[i] = (int)ver;
    }

    /* buffers */
    size_t bufs = 0;
    uint32_t nbuf = 0;
    if ((rc = fb_vector(f, &model, 4, 4, &bufs, &nbuf)))
        goto fail;
    out->n_buffers = (int)nbuf;

    /* subgraph 0 */
    size_t sgs = 0;
    uint32_t nsg = 0;
    if ((rc = fb_vector(f, &model, 2, 4, &sgs, &nsg)))
        goto fail;
    out->n_subgraphs = (int)nsg;
    if (nsg < 1) {
        rc = vsr_error_set(err, -EINVAL, "%s: model has no subgraph", what);
        goto fail;
    }
    fbt sg;
    if ((rc = fb_vec_table(f, sgs, 0, &sg)) || (rc = fb_string(f, &sg, 4, &out->subgraph_name)))
        goto fail;

    size_t ts = 0;
    uint32_t nt = 0;
    if ((rc = fb_vector(f, &sg, 0, 4, &ts, &nt)))
        goto fail;
    if (nt > (1u << 20)) {
        rc = vsr_error_set(err, -EINVAL, "%s: implausible tensor count %u", what, nt);
        goto fail;
    }
    out->tensors = calloc(nt ? nt : 1, sizeof(*out->tensors));
    if (!out->tensors) {
        rc = vsr_error_set(err, -ENOMEM, "%s: out of memory", what);
        goto fail;
    }
    out->n_tensors = (int)nt;
    for (uint32_t i = 0; i < nt; i++) {
        vsr_models_tfl_tensor *t = &out->tensors[i];
        fbt tt;
        if ((rc = fb_vec_table(f, ts, i, &tt)))
            goto fail;
        int32_t *shape = NULL;
        int n;
        if ((rc = fb_i32_vec(f, &tt, 0, &shape, &n)))
            goto fail;
        if (n > VSR_MODELS_MAX_DIMS) {
            free(shape);
            rc = vsr_error_set(err, -ENOTSUP, "%s: tensor %u has %d dimensions (max %d)", what,
                               i, n, VSR_MODELS_MAX_DIMS);
            goto fail;
        }
        t->ndim = n;
        if (n)
            memcpy(t->shape, shape, (size_t)n * 4);
        free(shape);
        if ((rc = fb_i32_vec(f, &tt, 7, &shape, &n)))
            goto fail;
        if (n <= VSR_MODELS_MAX_DIMS) {
            t->sig_ndim = n;
            if (n)
                memcpy(t->shape_signature, shape, (size_t)n * 4);
        }
        free(shape);
        if ((rc = fb_int(f, &tt, 1, 1, 0, &v)))
            goto fail;
        t->type = (int)v;
        if ((rc = fb_scalar(f, &tt, 2, 4, 0, 0, &v)))
            goto fail;
        t->buffer = (uint32_t)v;
        if ((rc = fb_string(f, &tt, 3, &t->name)))
            goto fail;
        if (!t->name && !(t->name = calloc(1, 1))) {
            rc = vsr_error_set(err, -ENOMEM, "%s: out of memory", what);
            goto fail;
        }
        if ((rc = parse_quant(f, &tt, &t->q)))
            goto fail;
        if (t->buffer >= nbuf && nbuf) {
            rc = vsr_error_set(err, -EINVAL, "%s: tensor %u refers to buffer %u of %u", what, i,
                               t->buffer, nbuf);
            goto fail;
        }
        if (nbuf && t->buffer) {
            fbt bt;
            size_t ds = 0;
            uint32_t dc = 0;
            if ((rc = fb_vec_table(f, bufs, t->buffer, &bt)) ||
                (rc = fb_vector(f, &bt, 0, 1, &ds, &dc)))
                goto fail;
            int64_t boff = 0, bsize = 0;
            if ((rc = fb_scalar(f, &bt, 1, 8, 0, 0, &boff)) ||
                (rc = fb_scalar(f, &bt, 2, 8, 0, 0, &bsize)))
                goto fail;
            if (dc) {
                t->data = f->b + ds;
                t->data_len = dc;
            } else if (boff > 1 && bsize > 0) {
                if ((uint64_t)boff > len || (uint64_t)bsize > len - (uint64_t)boff) {
                    rc = vsr_error_set(err, -EINVAL,
                                       "%s: buffer %u (offset %" PRId64 ", size %" PRId64
                                       ") lies outside the file",
                                       what, t->buffer, boff, bsize);
                    goto fail;
                }
                t->data = f->b + boff;
                t->data_len = (size_t)bsize;
            }
        }
        if ((rc = check_const_size(what, i, t, len, err)) ||
            (rc = check_quant(what, i, t, err)))
            goto fail;
    }

    if ((rc = fb_i32_vec(f, &sg, 1, &out->inputs, &out->n_inputs)) ||
        (rc = fb_i32_vec(f, &sg, 2, &out->outputs, &out->n_outputs)))
        goto fail;
    if ((rc = check_index_list(f, out->inputs, out->n_inputs, (int)nt, "subgraph inputs")) ||
        (rc = check_index_list(f, out->outputs, out->n_outputs, (int)nt, "subgraph outputs")))
        goto fail;

    size_t os = 0;
    uint32_t no = 0;
    if ((rc = fb_vector(f, &sg, 3, 4, &os, &no)))
        goto fail;
    out->ops = calloc(no ? no : 1, sizeof(*out->ops));
    if (!out->ops) {
        rc = vsr_error_set(err, -ENOMEM, "%s: out of memory", what);
        goto fail;
    }
    out->n_ops = (int)no;
    for (uint32_t i = 0; i < no; i++) {
        vsr_models_tfl_operator *op = &out->ops[i];
        fbt ot;
        if ((rc = fb_vec_table(f, os, i, &ot)))
            goto fail;
        if ((rc = fb_scalar(f, &ot, 0, 4, 0, 0, &v)))
            goto fail;
        if (v < 0 || v >= (int64_t)c) {
            rc = vsr_error_set(err, -EINVAL, "%s: op %u has opcode index %" PRId64 " of %u",
                               what, i, v, c);
            goto fail;
        }
        op->code = opcodes[v];
        op->version = opversions[v];
        op->opname = vsr_models_tfl_opname(op->code);
        if ((rc = fb_i32_vec(f, &ot, 1, &op->inputs, &op->n_inputs)) ||
            (rc = fb_i32_vec(f, &ot, 2, &op->outputs, &op->n_outputs)))
            goto fail;
        char ctx[48];
        snprintf(ctx, sizeof(ctx), "op #%u %s", i, op->opname);
        if ((rc = check_index_list(f, op->inputs, op->n_inputs, (int)nt, ctx)) ||
            (rc = check_index_list(f, op->outputs, op->n_outputs, (int)nt, ctx)))
            goto fail;
        if ((rc = parse_options(f, &ot, op)))
            goto fail;
    }
    free(opcodes);
    free(opversions);
    return 0;
fail:
    free(opcodes);
    free(opversions);
    vsr_models_tflite_free(out);
    return rc;
}

int vsr_models_tflite_read(const char *path, vsr_models_tflite *out, vsr_error *err)
{
    unsigned char *buf;
    size_t len = 0;
    memset(out, 0, sizeof(*out));
    int rc = vsr_read_file(path, SIZE_MAX, 0, &buf, &len, err);
    if (rc)
        return rc;
    rc = vsr_models_tflite_parse(buf, len, path, out, err);
    free(buf);
    return rc;
}

void vsr_models_tflite_free(vsr_models_tflite *m)
{
    if (!m)
        return;
    if (m->tensors)
        for (int i = 0; i < m->n_tensors; i++) {
            free(m->tensors[i].name);
            free(m->tensors[i].q.scale);
            free(m->tensors[i].q.zero_point);
        }
    if (m->ops)
        for (int i = 0; i < m->n_ops; i++) {
            free(m->ops[i].inputs);
            free(m->ops[i].outputs);
        }
    free(m->tensors);
    free(m->ops);
    free(m->inputs);
    free(m->outputs);
    free(m->description);
    free(m->subgraph_name);
    free(m->file);
    memset(m, 0, sizeof(*m));
}

size_t vsr_models_tflite_const_elements(const vsr_models_tflite *m)
{
    size_t total = 0;
    for (int i = 0; i < m->n_tensors; i++) {
        const vsr_models_tfl_tensor *t = &m->tensors[i];
        if (!t->data)
            continue;
        /* the parser checked every constant's shape against its bytes */
        int64_t dims[VSR_MODELS_MAX_DIMS];
        size_t n = 0;
        for (int d = 0; d < t->ndim; d++)
            dims[d] = t->shape[d];
        if (!vsr_size_mul_n(dims, t->ndim, &n))
            total += n;
    }
    return total;
}

void vsr_models_tflite_dump(const vsr_models_tflite *m, FILE *out)
{
    fprintf(out, "schema version: %u\ndescription: %s\n", m->version, m->description);
    char io[256];
    fprintf(out, "subgraph 0 name=%s inputs=%s", m->subgraph_name ? m->subgraph_name : "",
            fmt_shape(io, sizeof(io), m->inputs, m->n_inputs));
    fprintf(out, " outputs=%s", fmt_shape(io, sizeof(io), m->outputs, m->n_outputs));
    fprintf(out, "  #tensors=%d\n", m->n_tensors);
    for (int i = 0; i < m->n_tensors; i++) {
        const vsr_models_tfl_tensor *t = &m->tensors[i];
        char sh[96];
        fmt_shape(sh, sizeof(sh), t->shape, t->ndim);
        fprintf(out, "  T%-3d %-10s %-20s %-7s buf=%-3u %.60s", i,
                vsr_models_tfl_typename(t->type), sh, t->data ? "CONST" : "", t->buffer,
                t->name);
        if (t->q.n == 1) {
            fprintf(out, " per-tensor scale=%.8g zp=%" PRId64, t->q.scale[0],
                    t->q.nzp ? t->q.zero_point[0] : 0);
        } else if (t->q.n > 1) {
            float lo = t->q.scale[0], hi = t->q.scale[0];
            for (int k = 1; k < t->q.n; k++) {
                lo = t->q.scale[k] < lo ? t->q.scale[k] : lo;
                hi = t->q.scale[k] > hi ? t->q.scale[k] : hi;
            }
            fprintf(out, " per-channel(dim %d) n=%d scale[min,max]=[%.4g,%.4g]",
                    t->q.quantized_dimension, t->q.n, lo, hi);
        }
        fputc('\n', out);
    }
    fprintf(out, "  ops:\n");
    for (int i = 0; i < m->n_ops; i++) {
        const vsr_models_tfl_operator *op = &m->ops[i];
        fprintf(out, "  #%-3d %-24s v%d in=[", i, op->opname, op->version);
        for (int k = 0; k < op->n_inputs; k++)
            fprintf(out, "%sT%d", k ? ", " : "", op->inputs[k]);
        fprintf(out, "] out=[");
        for (int k = 0; k < op->n_outputs; k++)
            fprintf(out, "%sT%d", k ? ", " : "", op->outputs[k]);
        fprintf(out, "]");
        const vsr_models_tfl_options *o = &op->opt;
        switch (op->code) {
        case VSR_TFL_CONV_2D:
        case VSR_TFL_DEPTHWISE_CONV_2D:
            fprintf(out, " padding=%s stride=%dx%d dilation=%dx%d act=%d",
                    o->padding ? "VALID" : "SAME", o->stride_h, o->stride_w, o->dilation_h,
                    o->dilation_w, o->act);
            break;
        case VSR_TFL_CONCATENATION:
            fprintf(out, " axis=%d act=%d", o->axis, o->act);
            break;
        case VSR_TFL_DEPTH_TO_SPACE:
            fprintf(out, " block_size=%d", o->block_size);
            break;
        case VSR_TFL_RESIZE_BILINEAR:
        case VSR_TFL_RESIZE_NEAREST_NEIGHBOR:
            fprintf(out, " align_corners=%d half_pixel_centers=%d", o->align_corners,
                    o->half_pixel_centers);
            break;
        default:
            break;
        }
        fputc('\n', out);
    }
    fprintf(out, "  constant elements (all const tensors): %zu\n",
            vsr_models_tflite_const_elements(m));
}
