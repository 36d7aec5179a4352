/*
 * The training config through its option table (train/config.c): --set
 * values are YAML as in `vsrbench run`, key=~ restores the default, enum
 * names and aliases, unknown keys in the file name the line and the
 * nearest key, --help lists every key, and the resolved values are written
 * back. Expected texts are spelled out from the formats in option.h.
 */
#include "testutil.h"

#include <errno.h>

#include "vsr/train.h"

static char dir[256];

static int setup(void **st)
{
    (void)st;
    return vsr_test_tmpdir(dir, sizeof(dir)) ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    vsr_test_rmtree(dir);
    return 0;
}

static const char *write_cfg(const char *text)
{
    static char path[320];
    snprintf(path, sizeof(path), "%s/cfg.yaml", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void test_set_values_are_yaml(void **st)
{
    (void)st;
    const char *path = write_cfg("name: c\nmodel: ELSR\nout_dir: o\nloss: charbonnier\n");
    const char *sets[] = {"name='a b'", "out_dir=~", "loss=MSE", "schedule.type=step",
                          "output_clip_ste=false"};
    vsr_train_config c;
    vsr_error err = {0};
    assert_int_equal(vsr_train_config_load(path, sets, 5, &c, &err), 0);
    assert_string_equal(c.name, "a b");          /* quotes are YAML's */
    assert_string_equal(c.out_dir, "runs/a b");  /* ~: the default, runs/NAME */
    assert_int_equal(c.loss, VSR_TRAIN_LOSS_L2); /* mse is an alias, any case */
    assert_int_equal(c.sched.kind, VSR_TRAIN_SCHED_STEP);
    assert_int_equal(c.output_clip_ste, 0);
    vsr_train_config_free(&c);
}

static void test_errors(void **st)
{
    (void)st;
    vsr_train_config c;
    vsr_error err = {0};
    char want[512];
    const char *path =
        write_cfg("name: c\nmodel: ELSR\noptimizer:\n  lr: 1e-3\n  btea1: 0.8\n");
    assert_int_equal(vsr_train_config_load(path, NULL, 0, &c, &err), -EINVAL);
    snprintf(want, sizeof(want), "%s:5: optimizer.btea1: unknown key (did you mean 'beta1'?)",
             path);
    assert_string_equal(err.msg, want);
    path = write_cfg("name: c\nmodel: ELSR\n");
    const char *range[] = {"patch=2"};
    assert_int_equal(vsr_train_config_load(path, range, 1, &c, &err), -EINVAL);
    assert_string_equal(err.msg,
                        "--set patch=2: patch: expected an integer in [4, 1024], got '2'");
    const char *en[] = {"init=xavier"};
    assert_int_equal(vsr_train_config_load(path, en, 1, &c, &err), -EINVAL);
    assert_string_equal(err.msg,
                        "--set init=xavier: init: 'xavier' is not one of glorot_uniform, "
                        "he_uniform, he_normal, torch");
    const char *typo[] = {"optimizer.lr_=1"};
    assert_int_equal(vsr_train_config_load(path, typo, 1, &c, &err), -EINVAL);
    assert_string_equal(err.msg,
                        "--set optimizer.lr_: unknown key (did you mean 'optimizer.lr'?)");
}

static void test_help_and_write(void **st)
{
    (void)st;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    vsr_train_config_help(f);
    fclose(f);
    /* one line per key, then its help: the defaults of the old loader */
    assert_non_null(
        strstr(buf, "\n  batch                      an integer in [1, 4096] (default 16)\n"));
    assert_non_null(strstr(buf, "\n  schedule.type              one of constant|cosine|step "
                                "(default cosine)\n"));
    free(buf);
    const char *path = write_cfg("name: c\nmodel: ELSR\nbatch: 4\n");
    vsr_train_config c;
    vsr_error err = {0};
    assert_int_equal(vsr_train_config_load(path, NULL, 0, &c, &err), 0);
    f = open_memstream(&buf, &len);
    vsr_train_config_write(f, &c);
    fclose(f);
    assert_non_null(strstr(buf, "name=c\nmodel=ELSR\ndata_dir=~\nout_dir=runs/c\n"));
    assert_non_null(strstr(buf, "\nbatch=4\n"));
    assert_non_null(strstr(buf, "\nloss=l1\noptimizer.lr=0.00050000000000000001\n"));
    free(buf);
    vsr_train_config_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_values_are_yaml),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_help_and_write),
    };
    return VSR_RUN_TESTS(tests, setup, teardown);
}
