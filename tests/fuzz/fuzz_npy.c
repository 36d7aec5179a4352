/* Fuzz target: the .npy reader (models/) from memory, then to float. */
#include "fuzz_common.h"
#include "vsr/models.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vsr_models_npy a;
    vsr_error err = {0};
    if (vsr_models_npy_parse(data, size, "fuzz.npy", &a, &err) == 0) {
        float *f = NULL;
        if (vsr_models_npy_to_f32(&a, &f, &err) == 0)
            free(f);
        vsr_models_npy_free(&a);
    }
    return 0;
}
