/*
 * Fuzz target: the .npy name map reader (vsr_models_import_npy) on the ELSR
 * graph (the zoo's smallest), with the scratch folder as the .npy folder.
 */
#define VSR_FUZZ_WITH_GRAPH
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vsr_graph *g = fuzz_elsr_graph();
    vsr_error err = {0};
    const char *path = fuzz_write(data, size, ".yaml");
    if (path)
        vsr_models_import_npy(g, fuzz_scratch_dir(), path, &err);
    return 0;
}
