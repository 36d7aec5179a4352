/*
 * The options several subcommands share (cli/cli.c's table): for each
 * command that takes them, a bad value is one line "vsrbench CMD: ..." and
 * exit 2, and good values are taken (the run goes on to the next check,
 * whose message the test expects). The expected lines are the ones vsrbench
 * printed before the table (add9c68, where each command parsed its own
 * options): the table must not change a message, a range or which command
 * takes "auto" or "file".
 */
#include <stdlib.h>
#include <string.h>

#include "cli_harness.h"

/* Run vsrbench @p args; expect exit 2 and stderr exactly the line @p want. */
static void expect_line(struct vsr_cli_tmp *t, const char *const *args, const char *want)
{
    assert_int_equal(vsr_test_vsrbench(args, t->out, t->err, NULL), 2);
    char *e = vsr_test_slurp(t->err);
    assert_non_null(e);
    size_t n = strlen(want);
    if (strncmp(e, want, n) || e[n] != '\n' || e[n + 1])
        fail_msg("%s: want '%s', got '%s'", args[0], want, e);
    free(e);
}

struct case_ {
    const char *want;
    const char *args[24]; /* ended by NULL (the zeroed rest) */
};

/* Bad values (one line, exit 2): ranges (--frames and --calib-frames 1..100000,
 * --threads 1..1024 and "auto" for upscale only) and names (the datasets and engine parts'
 * parsers; "file" for upscale's --calibration only). */
static const struct case_ cases[] = {
    {"vsrbench compress: --frames: 0 is out of range [1, 100000]",
     {"compress", "--frames", "0"}},
    {"vsrbench compress: --threads: 1025 is out of range [1, 1024]",
     {"compress", "--threads", "1025"}},
    {"vsrbench compress: --threads: 'auto' is not an integer",
     {"compress", "--threads", "auto"}},
    {"vsrbench quant-report: --frames: 'abc' is not an integer",
     {"quant-report", "--frames", "abc"}},
    {"vsrbench quant-report: --threads: 0 is out of range [1, 1024]",
     {"quant-report", "--threads", "0"}},
    {"vsrbench upscale: --threads: 'x' is not an integer", {"upscale", "--threads", "x"}},
    {"vsrbench upscale: --threads: 0 is out of range [1, 1024]", {"upscale", "--threads", "0"}},
    {"vsrbench upscale: --calib-frames: 0 is out of range [1, 100000]",
     {"upscale", "--calib-frames", "0"}},
    {"vsrbench export: --calib-frames: 'x' is not an integer",
     {"export", "--calib-frames", "x"}},
    {"vsrbench compress: degradation 'xx' is unknown; use bi or bd",
     {"compress", "--degradation", "xx"}},
    {"vsrbench quant-report: degradation 'q' is unknown; use bi or bd",
     {"quant-report", "--degradation", "q"}},
    {"vsrbench quant-report: --calibration: calibration method 'file': expected minmax, "
     "percentile, mse, ema or kl",
     {"quant-report", "--calibration", "file"}},
    {"vsrbench export: --calibration: calibration method 'file': expected minmax, "
     "percentile, mse, ema or kl",
     {"export", "--calibration", "file"}},
    {"vsrbench upscale: --calibration (or file): calibration method 'nope': expected "
     "minmax, percentile, mse, ema or kl",
     {"upscale", "--calibration", "nope"}},
    {"vsrbench upscale: requant 'x': expected float or tflite", {"upscale", "--requant", "x"}},
    {"vsrbench upscale: conv_algo 'x': expected direct, winograd, winograd4 or auto",
     {"upscale", "--conv-algo", "x"}},
    {"vsrbench upscale: --keep-float-precision fp8: expected fp32 or fp16",
     {"upscale", "--keep-float-precision", "fp8"}},
    {"vsrbench upscale: --progress takes auto, always or never",
     {"upscale", "--progress", "x"}},
    {"vsrbench tune: --progress takes auto, always or never", {"tune", "--progress", "x"}},
    /* good values are taken: the command stops at its next check instead (upscale
     * takes --calibration file and --keep-float-precision fp16, then finds them
     * not for fp32) */
    {"vsrbench compress: nope: not a zoo model with weights (see 'vsrbench models')",
     {"compress", "--frames", "2", "--threads", "2", "--degradation", "bd", "--clip", "c",
      "--model", "nope", "--weights", "w", "--dataset", "d", "-o", "o"}},
    {"vsrbench quant-report: nope: not a zoo model with layers (see 'vsrbench models')",
     {"quant-report", "--calibration", "KL", "--weights", "w", "--dataset", "d", "--frames",
      "100000", "--threads", "1024", "nope"}},
    {"vsrbench upscale: --model nope: not in the zoo (see 'vsrbench models')",
     {"upscale", "--threads", "auto", "--calib-frames", "9", "--requant", "tflite",
      "--conv-algo", "winograd", "--progress", "never", "--model", "nope", "in", "out"}},
    {"vsrbench upscale: --calibration is for --precision int8 only",
     {"upscale", "--calibration", "file", "--model", "bicubic", "in", "out"}},
    {"vsrbench upscale: --keep-float is for --precision int8 only",
     {"upscale", "--keep-float-precision", "fp16", "--model", "bicubic", "in", "out"}},
    {"vsrbench export: model 'nope' is not in the zoo (see 'vsrbench models')",
     {"export", "--calibration", "KL", "--calib-frames", "3", "--weights", "/nonexistent",
      "--format", "onnx", "-o", "x.onnx", "nope"}},
    {"vsrbench tune: --dataset nope: not a dataset of (no --config); name one of its datasets "
     "or use demo or demo-nogt",
     {"tune", "--progress", "never", "--model", "m", "--precision", "fp32", "--dataset", "nope",
      "--weights", "w"}},
};

static void test_shared_options(void **state)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_line(*state, cases[i].args, cases[i].want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_shared_options, vsr_cli_tmp_setup,
                                        vsr_cli_tmp_teardown),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
