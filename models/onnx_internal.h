/* Internal to models/: the parsed ONNX model (onnx.c) as the importer
 * (onnx_import.c) reads it. protobuf-c's generated types come from
 * models/onnx.proto, compiled at build time. */
#ifndef VSR_MODELS_ONNX_INTERNAL_H
#define VSR_MODELS_ONNX_INTERNAL_H

#include <stddef.h>

#include "onnx.pb-c.h"
#include "vsr/models.h"

/** Most dims a tensor may have (onnx.c refuses more). */
#define MDL_ONNX_MAX_DIMS 8

struct vsr_models_onnx {
    Onnx__ModelProto *pb; /* owned; pb->graph is non-NULL after a parse */
    size_t file_len;
    long opset; /* the default domain's opset version (0 if not given) */
    char what[256];
};

/* A string field that may be NULL (absent) as a C string. */
static inline const char *mdl_onnx_str(const char *s)
{
    return s ? s : "";
}

/* SAME padding as the engine computes it: *top and *bottom for input side
 * @p in, effective kernel @p k_eff, stride @p s (the importer checks a file's
 * pads against it, the exporter writes it). */
static inline void mdl_onnx_same_pads(int in, int k_eff, int s, int *top, int *bottom)
{
    int out = (in + s - 1) / s;
    long total = (long)(out - 1) * s + k_eff - in;
    if (total < 0)
        total = 0;
    *top = (int)(total / 2);
    *bottom = (int)(total - total / 2);
}

/* Element count of a tensor that vsr_models_onnx_parse() checked. */
size_t mdl_onnx_count(const Onnx__TensorProto *t);
/* Element @p i (< mdl_onnx_count()) of a checked tensor, as a double. */
double mdl_onnx_elem(const Onnx__TensorProto *t, size_t i);
/* Check one tensor (type, no external data, dims, data size against dims);
 * @p owner names it in the one-line error. */
int mdl_onnx_check_tensor(const Onnx__TensorProto *t, const char *what, const char *owner,
                          vsr_error *err);

#endif
