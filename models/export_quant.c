/*
 * export_quant.c: what the TFLite and ONNX exporters share for INT8
 * (vsr_models_export_options.precision): the precision names and the INT8
 * engine whose integers they write.
 */
#include <errno.h>
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
