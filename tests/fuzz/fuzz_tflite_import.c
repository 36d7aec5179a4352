/* Fuzz target: TFLite parse, then translation into an engine graph (16x16 LR input). */
#include "fuzz_common.h"
#include "vsr/engine.h"
#include "vsr/models.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vsr_models_tflite m = {0};
    vsr_error err = {0};
    if (vsr_models_tflite_parse(data, size, "fuzz.tflite", &m, &err) == 0) {
        for (int q = 0; q < 2; q++) {
            vsr_models_tflite_import opt = {16, 16, q};
            vsr_graph *g = NULL;
            if (vsr_models_import_tflite(&m, "fuzz", &opt, &g, &err) == 0)
                vsr_graph_free(&g);
        }
    }
    vsr_models_tflite_free(&m);
    return 0;
}
