/* Fuzz target: the TFLite flatbuffer parser (models/), then its listing. */
#include "fuzz_common.h"
#include "vsr/models.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *devnull;
    if (!devnull && !(devnull = fopen("/dev/null", "w")))
        abort();
    vsr_models_tflite m = {0};
    vsr_error err = {0};
    if (vsr_models_tflite_parse(data, size, "fuzz.tflite", &m, &err) == 0) {
        vsr_models_tflite_dump(&m, devnull);
        vsr_models_tflite_const_elements(&m);
    }
    vsr_models_tflite_free(&m);
    return 0;
}
