/*
 * export_quant.c: what the TFLite and ONNX exporters share: the precision
 * names (vsr_models_export_options.precision), the INT8 engine whose
 * integers they write, the weight layouts, and the list of the blocks an
 * export owns.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "models_internal.h"

int vsr_models_export_precision_parse(const char *s, vsr_models_export_precision *out,
                                      vsr_error *err)
{
    if (s && !strcmp(s, "fp32")) {
        *out = VSR_MODELS_EXPORT_FP32;
        return 0;
    }
    if (s && !strcmp(s, "int8")) {
        *out = VSR_MODELS_EXPORT_INT8;
        return 0;
    }
    return vsr_error_set(err, -EINVAL, "export precision '%s': expected fp32 or int8",
                         s ? s : "");
}

const char *vsr_models_export_precision_name(vsr_models_export_precision p)
{
    return p == VSR_MODELS_EXPORT_INT8 ? "int8" : "fp32";
}

int mdl_export_int8_engine(const vsr_graph *g, const char *fmt, vsr_engine **out,
                           vsr_error *err)
{
    vsr_engine_options o;
    vsr_engine_options_default(&o);
    o.requant = VSR_REQUANT_TFLITE;
    vsr_error e = {0};
    int rc = vsr_engine_create(g, VSR_PREC_INT8, NULL, &o, out, &e);
    if (rc)
        return vsr_error_set(err, rc, "%s INT8 export of '%s': %s", fmt, vsr_graph_name(g),
                             e.msg);
    return 0;
}

int mdl_export_conv_int8(const vsr_engine *qe, const vsr_graph *g, int node, const char *fmt,
                         const int8_t **wq, const int32_t **bq, const float **ws,
                         vsr_error *err)
{
    vsr_node_view v;
    if (vsr_graph_node_view(g, node, &v) || vsr_engine_conv_quant(qe, node, wq, bq, ws))
        return vsr_error_set(err, -EINVAL,
                             "%s INT8 export of '%s': node %d has no int8 conv "
                             "weights in the engine",
                             fmt, vsr_graph_name(g), node);
    return 0;
}

void mdl_weights_from_hwio(void *dst, const void *src, size_t esize, int kh, int kw, int cing,
                           int cout, enum mdl_wlayout layout)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    for (int o = 0; o < cout; o++)
        for (int yy = 0; yy < kh; yy++)
            for (int xx = 0; xx < kw; xx++)
                for (int i = 0; i < cing; i++) {
                    size_t from = (((size_t)yy * kw + xx) * cing + i) * cout + o;
                    size_t to = layout == MDL_W_OHWI
                                    ? (((size_t)o * kh + yy) * kw + xx) * cing + i
                                    : (((size_t)o * cing + i) * kh + yy) * kw + xx;
                    memcpy(d + to * esize, s + from * esize, esize);
                }
}

void *mdl_owned_alloc(mdl_owned *o, size_t n)
{
    if (o->n == o->cap) {
        size_t nc = o->cap ? 2 * o->cap : 64;
        void **a = realloc(o->blocks, nc * sizeof(*a));
        if (!a)
            return NULL;
        o->blocks = a, o->cap = nc;
    }
    void *p = calloc(1, n ? n : 1);
    if (p)
        o->blocks[o->n++] = p;
    return p;
}

void mdl_owned_free(mdl_owned *o)
{
    for (size_t i = 0; i < o->n; i++)
        free(o->blocks[i]);
    free(o->blocks);
    *o = (mdl_owned){0};
}
