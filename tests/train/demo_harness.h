/*
 * The demo clips the train tests run on: the training set and the
 * evaluation (validation) clips, built from opencv-doc into one folder.
 */
#ifndef VSR_TESTS_TRAIN_DEMO_HARNESS_H
#define VSR_TESTS_TRAIN_DEMO_HARNESS_H

#include <stdio.h>
#include <unistd.h>

#include "testutil.h"
#include "vsr/datasets.h"

/* Builds both into "<tmp>/data" and writes that path to @p data. Returns 1 when
 * built, 0 when opencv-doc (VSR_DEMO_SOURCE_DIR) is absent or a build fails (the
 * tests that need the data then skip, saying why). */
static inline int vsr_test_train_data(const char *tmp, char *data, size_t cap)
{
    vsr_error err;
    snprintf(data, cap, "%s/data", tmp);
    return access(VSR_DEMO_SOURCE_DIR, R_OK) == 0 && vsr_demo_build_train(data, &err) == 0 &&
           vsr_demo_build(data, &err) == 0;
}

/* The state of the tests that train on the demo set: a temporary folder (first,
 * for vsr_test_tmp_free(), the teardown), the data built in it, and the files a
 * CLI run's stdout and stderr go to. */
typedef struct vsr_test_train_env {
    char tmp[256];
    char data[300];
    char out[320], err[320];
    int have_data;
} vsr_test_train_env;

/* cmocka setup of a vsr_test_train_env (have_data 0 when the data cannot be built). */
static inline int vsr_test_train_setup(void **st)
{
    vsr_test_train_env *e = vsr_test_tmp_new(sizeof(*e));
    if (!e)
        return -1;
    snprintf(e->out, sizeof(e->out), "%s/stdout", e->tmp);
    snprintf(e->err, sizeof(e->err), "%s/stderr", e->tmp);
    e->have_data = vsr_test_train_data(e->tmp, e->data, sizeof(e->data));
    *st = e;
    return 0;
}

/* Writes "<tmp>/<name>.yaml" (its path to @p path): ELSR, patch 12, batch 3, 8 steps on
 * the demo data, out_dir "<tmp>/<name>", lr 2e-3, no checkpoint before step 100, then
 * the lines @p tail (the test's own keys). */
static inline void vsr_test_train_write_cfg(const vsr_test_train_env *e, const char *name,
                                            const char *tail, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s.yaml", e->tmp, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "name: %s\nmodel: ELSR\npatch: 12\nbatch: 3\nsteps: 8\n"
            "data_dir: %s\nout_dir: %s/%s\noptimizer: {lr: 2.0e-3}\n"
            "checkpoint_every: 100\n%s",
            name, e->data, e->tmp, name, tail);
    fclose(f);
}

/* Skips the calling test, saying why, when the demo data could not be built. */
#define VSR_TEST_NEED_TRAIN_DATA(have_data)                                                    \
    do {                                                                                       \
        if (!(have_data)) {                                                                    \
            VSR_SKIP("opencv-doc (%s) is absent", VSR_DEMO_SOURCE_DIR);                        \
            return; /* skip() is not declared noreturn */                                      \
        }                                                                                      \
    } while (0)

#endif
