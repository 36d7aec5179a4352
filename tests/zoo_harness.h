/* For the tests that run zoo models: one built with random weights. */
#ifndef VSR_ZOO_HARNESS_H
#define VSR_ZOO_HARNESS_H

#include <stdint.h>

#include "testutil.h"
#include "vsr/engine.h"
#include "vsr/models.h"

/*
 * Zoo model @p name (its default hyperparameters) built for h x w LR input, with the
 * random weights of vsr_models_random_weights(@p seed); the caller frees it. An unknown
 * name or a failed build fails the test with the library's message.
 */
static inline vsr_graph *vsr_test_zoo_random(const char *name, int h, int w, uint64_t seed)
{
    const vsr_models_entry *e = vsr_models_zoo_find(name);
    assert_non_null(e);
    vsr_graph *g = NULL;
    vsr_error err = {0};
    if (vsr_models_build(&e->hp, e->name, h, w, &g, &err) ||
        vsr_models_random_weights(g, seed, &err))
        fail_msg("%s: %s", name, err.msg);
    return g;
}

#endif
