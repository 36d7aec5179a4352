/* Fuzz target: ONNX parse (protobuf-c), then translation into an engine graph
 * (16x16 nominal input where the file's H, W are symbolic). */
#include "fuzz_common.h"
#include "vsr/engine.h"
#include "vsr/models.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vsr_models_onnx *m = NULL;
    vsr_error err = {0};
    if (vsr_models_onnx_parse(data, size, "fuzz.onnx", &m, &err) == 0) {
        vsr_models_onnx_import opt = {16, 16};
        vsr_graph *g = NULL;
        if (vsr_models_import_onnx(m, "fuzz", &opt, &g, &err) == 0)
            vsr_graph_free(&g);
    }
    vsr_models_onnx_free(&m);
    return 0;
}
