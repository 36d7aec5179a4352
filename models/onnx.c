/*
 * onnx.c: read an ONNX model with protobuf-c (the schema subset in
 * models/onnx.proto) and check every tensor it carries against the file
 * (see vsr_models_onnx_parse() in models.h). The translation into an engine
 * graph is onnx_import.c.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "models_internal.h"
#include "onnx_internal.h"
#include "vsr/engine.h"

/* Bytes per element of the data types the importer reads; 0 = refused. */
static size_t elem_size(int32_t dt)
{
    switch (dt) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
        return 4;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
        return 1;
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16:
        return 2;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
        return 8;
    }
    return 0;
}

static const char *type_name(int32_t dt)
{
    static const char *const names[] = {
        "UNDEFINED", "FLOAT",  "UINT8",     "INT8",       "UINT16",  "INT16",
        "INT32",     "INT64",  "STRING",    "BOOL",       "FLOAT16", "DOUBLE",
        "UINT32",    "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16"};
    return dt >= 0 && dt < (int32_t)(sizeof(names) / sizeof(names[0])) ? names[dt] : "unknown";
}

size_t mdl_onnx_count(const Onnx__TensorProto *t)
{
    size_t n = 0;
    if (vsr_size_mul_n(t->dims, (int)t->n_dims, &n))
        return 0; /* cannot happen for a checked tensor */
    return n;
}

/* the typed array a tensor without raw_data keeps its elements in */
static size_t typed_count(const Onnx__TensorProto *t)
{
    switch (t->data_type) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
        return t->n_float_data;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
        return t->n_int64_data;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
        return t->n_double_data;
    default: /* INT32, INT8, UINT8, FLOAT16 (bits) live in int32_data */
        return t->n_int32_data;
    }
}

int mdl_onnx_check_tensor(const Onnx__TensorProto *t, const char *what, const char *owner,
                          vsr_error *err)
{
    const char *nm = mdl_onnx_str(t->name);
    if ((t->has_data_location &&
         t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) ||
        t->n_external_data)
        return vsr_error_set(err, -ENOTSUP,
                             "%s: %s tensor '%s' keeps its data in an external file, which "
                             "vsrbench does not read; save the model with the weights inside "
                             "(onnx.save(m, path, save_as_external_data=False))",
                             what, owner, nm);
    if (t->segment)
        return vsr_error_set(err, -ENOTSUP, "%s: %s tensor '%s' is segmented; not supported",
                             what, owner, nm);
    size_t es = elem_size(t->data_type);
    if (!es)
        return vsr_error_set(err, -ENOTSUP,
                             "%s: %s tensor '%s' has data type %s (%d); vsrbench reads FLOAT, "
                             "FLOAT16, DOUBLE, INT8, UINT8, INT32 and INT64",
                             what, owner, nm, type_name(t->data_type), (int)t->data_type);
    if (t->n_dims > MDL_ONNX_MAX_DIMS)
        return vsr_error_set(err, -EINVAL, "%s: %s tensor '%s' has %zu dims (at most %d)", what,
                             owner, nm, t->n_dims, MDL_ONNX_MAX_DIMS);
    size_t n = 0, bytes = 0;
    int rc = vsr_size_mul_n(t->dims, (int)t->n_dims, &n);
    if (rc == -EINVAL)
        return vsr_error_set(err, -EINVAL, "%s: %s tensor '%s' has a negative dim", what, owner,
                             nm);
    if (rc || vsr_size_mul(n, es, &bytes))
        return vsr_error_set(err, -EINVAL,
                             "%s: %s tensor '%s': its dims multiply past the addressable size "
                             "(corrupt or crafted file)",
                             what, owner, nm);
    if (t->has_raw_data && t->raw_data.len) {
        if (t->raw_data.len != bytes)
            return vsr_error_set(err, -EINVAL,
                                 "%s: %s tensor '%s' has %zu bytes of raw_data, its dims and "
                                 "type need %zu",
                                 what, owner, nm, t->raw_data.len, bytes);
        return 0;
    }
    if (typed_count(t) != n)
        return vsr_error_set(err, -EINVAL,
                             "%s: %s tensor '%s' holds %zu values, its dims need %zu", what,
                             owner, nm, typed_count(t), n);
    return 0;
}

double mdl_onnx_elem(const Onnx__TensorProto *t, size_t i)
{
    if (t->has_raw_data && t->raw_data.len) {
        const uint8_t *p = t->raw_data.data; /* little-endian, as ONNX stores it */
        switch (t->data_type) {
        case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
            return mdl_le_f32(p, i);
        case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
            return mdl_le_i32(p, i);
        case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
            return (int8_t)p[i];
        case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
            return p[i];
        case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16:
            return mdl_le_f16(p, i);
        case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: {
            int64_t v;
            memcpy(&v, p + 8 * i, 8);
            return (double)v;
        }
        case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: {
            double d;
            memcpy(&d, p + 8 * i, 8);
            return d;
        }
        }
        return 0.0;
    }
    switch (t->data_type) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
        return t->float_data[i];
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
        return (double)t->int64_data[i];
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
        return t->double_data[i];
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16:
        return vsr_f16_to_f32((uint16_t)t->int32_data[i]);
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
        return (int8_t)t->int32_data[i];
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
        return (uint8_t)t->int32_data[i];
    default:
        return t->int32_data[i];
    }
}

/* Check every tensor of the graph: initializers and Constant values. */
static int check_graph(const vsr_models_onnx *m, vsr_error *err)
{
    const Onnx__GraphProto *g = m->pb->graph;
    int rc;
    for (size_t i = 0; i < g->n_initializer; i++)
        if ((rc = mdl_onnx_check_tensor(g->initializer[i], m->what, "initializer", err)))
            return rc;
    for (size_t i = 0; i < g->n_node; i++) {
        const Onnx__NodeProto *nd = g->node[i];
        for (size_t a = 0; a < nd->n_attribute; a++) {
            const Onnx__AttributeProto *at = nd->attribute[a];
            if (!at->t)
                continue;
            char owner[160];
            snprintf(owner, sizeof(owner), "node '%s' (%s) attribute '%s'",
                     mdl_onnx_str(nd->name), mdl_onnx_str(nd->op_type), mdl_onnx_str(at->name));
            if ((rc = mdl_onnx_check_tensor(at->t, m->what, owner, err)))
                return rc;
        }
    }
    return 0;
}

int vsr_models_onnx_parse(const void *buf, size_t len, const char *what, vsr_models_onnx **out,
                          vsr_error *err)
{
    *out = NULL;
    vsr_models_onnx *m = calloc(1, sizeof(*m));
    if (!m)
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", what);
    snprintf(m->what, sizeof(m->what), "%s", what);
    m->file_len = len;
    m->pb = onnx__model_proto__unpack(NULL, len, buf);
    int rc = 0;
    if (!m->pb)
        rc = vsr_error_set(err, -EINVAL,
                           "%s: not an ONNX model (protobuf decoding failed: truncated, "
                           "corrupt or another format)",
                           what);
    else if (!m->pb->graph)
        rc = vsr_error_set(err, -EINVAL, "%s: the ONNX model has no graph", what);
    else
        rc = check_graph(m, err);
    if (rc) {
        vsr_models_onnx_free(&m);
        return rc;
    }
    for (size_t i = 0; i < m->pb->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *o = m->pb->opset_import[i];
        const char *d = mdl_onnx_str(o->domain);
        if ((!*d || !strcmp(d, "ai.onnx")) && o->has_version && o->version > 0 &&
            o->version < 1000)
            m->opset = (long)o->version;
    }
    *out = m;
    return 0;
}

int vsr_models_onnx_read(const char *path, vsr_models_onnx **out, vsr_error *err)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    *out = NULL;
    int rc = vsr_read_file(path, SIZE_MAX, 0, &buf, &len, err);
    if (rc)
        return rc;
    rc = vsr_models_onnx_parse(buf, len, path, out, err);
    free(buf);
    return rc;
}

void vsr_models_onnx_free(vsr_models_onnx **m)
{
    if (!m || !*m)
        return;
    if ((*m)->pb)
        onnx__model_proto__free_unpacked((*m)->pb, NULL);
    free(*m);
    *m = NULL;
}
