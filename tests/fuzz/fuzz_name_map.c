/*
 * Fuzz target: the .npy name map reader (vsr_models_import_npy) on the ELSR
 * graph (the zoo's smallest), with the scratch folder as the .npy folder.
 */
#include "fuzz_common.h"
#include "vsr/engine.h"
#include "vsr/models.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static vsr_graph *g; /* built once per process, never freed */
    vsr_error err = {0};
    if (!g) {
        const vsr_models_entry *e = vsr_models_zoo_find("ELSR");
        if (!e || vsr_models_build(&e->hp, e->name, 8, 8, &g, &err))
            abort();
    }
    const char *path = fuzz_write(data, size, ".yaml");
    if (path)
        vsr_models_import_npy(g, fuzz_scratch_dir(), path, &err);
    return 0;
}
