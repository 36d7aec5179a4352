/*
 * Fuzz target: the .vsrw weights reader (engine/weights.c): open and walk
 * every field, then load onto the ELSR graph (the shape checks).
 */
#define VSR_FUZZ_WITH_GRAPH
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vsr_graph *g = fuzz_elsr_graph();
    vsr_error err = {0};
    const char *path = fuzz_write(data, size, ".vsrw");
    if (!path)
        return 0;
    vsr_weights *w = NULL;
    if (vsr_weights_open(path, &w, &err) == 0) {
        volatile size_t sink = strlen(vsr_weights_model(w));
        for (int i = 0; i < vsr_weights_meta_count(w); i++) {
            const char *k, *v;
            if (vsr_weights_meta_at(w, i, &k, &v) == 0)
                sink += strlen(k) + strlen(v);
        }
        for (int i = 0; i < vsr_weights_tensor_count(w); i++) {
            const char *name;
            int ndim, dims[4];
            const float *d;
            if (vsr_weights_tensor_at(w, i, &name, &ndim, dims, &d) == 0) {
                size_t n = 1;
                for (int k = 0; k < ndim && k < 4; k++)
                    n *= (size_t)dims[k];
                sink += strlen(name) + (n ? (size_t)(d[n - 1] != 0.0f) : 0);
            }
        }
        (void)sink;
        vsr_weights_free(&w);
    }
    vsr_weights_load(g, path, &err);
    return 0;
}
