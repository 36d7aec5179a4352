/*
 * Hostile YAML through the CLI: the 3-byte file "%\xA1\n" once hung
 * libfyaml 0.7.12 (fy_scan_directive) at 100% CPU in every YAML reader.
 * Each of the four commands that read YAML (run, tune --config, train,
 * models --import --map) must now refuse it with one line naming
 * file:1:1 and exit 2 (README: usage or config error). ctest's TIMEOUT on
 * this test turns a regression (a hang) into a failure.
 */
#include <stdlib.h>
#include <string.h>

#include "cli_harness.h"

static void write_file(const char *path, const char *bytes, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* Run vsrbench @p args; expect exit 2 and exactly one stderr line holding @p want. */
static void expect_one_line(struct vsr_cli_tmp *t, const char *const *args, const char *want)
{
    assert_int_equal(vsr_test_vsrbench(args, t->out, t->err, NULL), 2);
    char *e = vsr_test_slurp(t->err);
    assert_non_null(e);
    size_t n = strlen(e);
    char *nl = strchr(e, '\n');
    if (!nl || nl != e + n - 1 || !strstr(e, want))
        fail_msg("want one line with '%s', got '%s'", want, e);
    free(e);
}

static void test_three_bytes(void **state)
{
    struct vsr_cli_tmp *t = *state;
    write_file(t->yaml, "%\xA1\n", 3);
    char want[400];
    snprintf(want, sizeof(want), "%s:1:1: a YAML directive line", t->yaml);
    const char *run[] = {"run", t->yaml, "--dry-run", NULL};
    expect_one_line(t, run, want);
    const char *tune[] = {"tune",      "--model", "swrn",     "--precision", "fp32",
                          "--dataset", "demo",    "--config", t->yaml,       NULL};
    expect_one_line(t, tune, want);
    const char *train[] = {"train", t->yaml, NULL};
    expect_one_line(t, train, want);
    const char *models[] = {"models", "--import", "swrn", "--npy", t->npy,
                            "--map",  t->yaml,    "-o",   t->vsrw, NULL};
    expect_one_line(t, models, want);
}

/* Invalid UTF-8 in a value, and a libfyaml syntax error, in the training config */
static void test_train_errors(void **state)
{
    struct vsr_cli_tmp *t = *state;
    char want[400];
    const char *train[] = {"train", t->yaml, NULL};
    static const char utf[] = "name: x\nmodel: caf\xC3\n";
    write_file(t->yaml, utf, sizeof(utf) - 1);
    snprintf(want, sizeof(want), "%s:2:11: not UTF-8", t->yaml);
    expect_one_line(t, train, want);
    /* an unterminated quote: libfyaml's error, one line, not its 4-line report */
    static const char syn[] = "name: x\nmodel: \"swrn\n";
    write_file(t->yaml, syn, sizeof(syn) - 1);
    /* libfyaml's column is its own (it points past the quote); the line is 2 */
    snprintf(want, sizeof(want), "%s:2:", t->yaml);
    expect_one_line(t, train, want);
    expect_one_line(t, train, "YAML syntax error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_three_bytes, vsr_cli_tmp_setup,
                                        vsr_cli_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_train_errors, vsr_cli_tmp_setup,
                                        vsr_cli_tmp_teardown),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
