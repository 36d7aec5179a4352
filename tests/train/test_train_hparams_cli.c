/*
 * `vsrbench train` with hyperparameter overrides: the trainer assembles its
 * net through the same models/ spec as run / tune / upscale, so
 * `--set hyperparameters.F=24` (the key a run config's model entry spells,
 * `hyperparameters: {F: 24}`) trains that MVSR variant. The weights it
 * writes must have exactly the parameters of the variant, counted
 * independently by the reference count.py; an unknown key is a usage error
 * naming the closest option.
 */
#include <stdlib.h>
#include <string.h>

#include "cli_harness.h"
#include "demo_harness.h"
#include "testutil.h"
#include "vsr/engine.h"

typedef struct env {
    char tmp[256];
    char data[300];
    char out[320], err[320];
    int have_data;
} env;

static int setup(void **st)
{
    env *e = calloc(1, sizeof(*e));
    if (!e || !vsr_test_tmpdir(e->tmp, sizeof(e->tmp)))
        return -1;
    snprintf(e->out, sizeof(e->out), "%s/stdout", e->tmp);
    snprintf(e->err, sizeof(e->err), "%s/stderr", e->tmp);
    e->have_data = vsr_test_train_data(e->tmp, e->data, sizeof(e->data));
    *st = e;
    return 0;
}

static int teardown(void **st)
{
    env *e = *st;
    vsr_test_rmtree(e->tmp);
    free(e);
    return 0;
}

/* MVSR_13, patch 8, batch 1, 2 steps, no validation before the end. */
static void write_cfg(const env *e, char *path, size_t cap)
{
    snprintf(path, cap, "%s/mvsr.yaml", e->tmp);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "name: mvsr_f24\nmodel: MVSR_13\npatch: 8\nbatch: 1\nsteps: 2\nthreads: 1\n"
            "data_dir: %s\nout_dir: %s/mvsr_f24\ncheckpoint_every: 100\n"
            "val: {every: 100, frames: 1}\nlog_every: 1\n",
            e->data, e->tmp);
    fclose(f);
}

static void test_train_overridden_mvsr(void **st)
{
    env *e = *st;
    VSR_TEST_NEED_TRAIN_DATA(e->have_data);
    char cfg[512], path[600];
    write_cfg(e, cfg, sizeof(cfg));
    const char *args[] = {"train",
                          cfg,
                          "--no-db",
                          "--set",
                          "hyperparameters.F=24",
                          "--set",
                          "hyperparameters.B=1",
                          NULL};
    int rc = vsr_test_vsrbench(args, e->out, e->err, NULL);
    if (rc) {
        char *msg = vsr_test_slurp(e->err);
        print_message("vsrbench train: %s\n", msg ? msg : "?");
        free(msg);
    }
    assert_int_equal(rc, 0);
    snprintf(path, sizeof(path), "%s/mvsr_f24/mvsr_f24.vsrw", e->tmp);
    vsr_weights *w = NULL;
    vsr_error err = {0};
    assert_int_equal(vsr_weights_open(path, &w, &err), 0);
    int64_t params = 0;
    for (int i = 0; i < vsr_weights_tensor_count(w); i++) {
        const char *name;
        int nd, dims[4];
        const float *d;
        assert_int_equal(vsr_weights_tensor_at(w, i, &name, &nd, dims, &d), 0);
        int64_t n = 1;
        for (int k = 0; k < nd; k++)
            n *= dims[k];
        params += n;
    }
    /* /work/shared/reference/count.py: mvsr(F=24, B=1).totals()[0] = 44641 (Keras count,
     * BatchNorm as 4C, which the .vsrw stores unfolded: gamma, beta, mean, var);
     * MVSR_13 itself (F=16, B=4) has 68,157 (docs/MODEL_SPECS.md). */
    assert_int_equal(params, 44641);
    vsr_weights_free(&w);
}

static void test_unknown_hparam_is_usage_error(void **st)
{
    env *e = *st;
    char cfg[512];
    write_cfg(e, cfg, sizeof(cfg));
    const char *args[] = {"train", cfg, "--no-db", "--set", "hyperparameters.mixx=3", NULL};
    assert_int_equal(vsr_test_vsrbench(args, e->out, e->err, NULL), 2);
    char *msg = vsr_test_slurp(e->err);
    assert_non_null(msg);
    assert_non_null(strstr(msg, "unknown hyperparameter 'mixx'"));
    assert_non_null(strstr(msg, "did you mean 'mix'?"));
    assert_ptr_equal(strchr(msg, '\n'), msg + strlen(msg) - 1); /* one line */
    free(msg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_train_overridden_mvsr),
        cmocka_unit_test(test_unknown_hparam_is_usage_error),
    };
    return VSR_RUN_TESTS(tests, setup, teardown);
}
