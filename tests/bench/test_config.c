/*
 * YAML config parsing: a good file read back field by field, each kind of
 * bad file (the message must name the key path and the file line), --set
 * overrides and the stability of the config hash.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "vsr/bench.h"
#include "vsr/engine.h"
#include "vsr/metrics.h"

/* 1 when @p cfg scores channel @p ch of @p metric. */
static int ch_on(const vsr_config *cfg, const char *metric, const char *ch)
{
    vsr_config_metric m = vsr_config_metric_get(cfg, metric);
    int i = vsr_metrics_channel_index(vsr_metrics_find(metric), ch);
    return m.enabled && i >= 0 && (m.channels >> i & 1);
}

struct tmp {
    char dir[256];
    char file[300];
};

static int setup(void **state)
{
    struct tmp *t = calloc(1, sizeof(*t));
    if (!t || !vsr_test_tmpdir(t->dir, sizeof(t->dir)))
        return -1;
    snprintf(t->file, sizeof(t->file), "%s/cfg.yaml", t->dir);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct tmp *t = *state;
    unlink(t->file);
    rmdir(t->dir);
    free(t);
    return 0;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* Load @p text from a real file, expecting failure; return the message. */
static const char *load_bad(struct tmp *t, const char *text, vsr_error *err)
{
    vsr_config *cfg = NULL;
    write_file(t->file, text);
    int ret = vsr_config_load(t->file, NULL, 0, &cfg, err);
    assert_int_equal(ret, -EINVAL);
    assert_null(cfg);
    return err->msg;
}

/* The message must start with "<file>:<line>: <path>: " and contain @p what. */
static void assert_where(struct tmp *t, const char *msg, int line, const char *path,
                         const char *what)
{
    char prefix[512];
    snprintf(prefix, sizeof(prefix), "%s:%d: %s: ", t->file, line, path);
    if (strncmp(msg, prefix, strlen(prefix)) != 0)
        fail_msg("message '%s' does not start with '%s'", msg, prefix);
    if (!strstr(msg, what))
        fail_msg("message '%s' does not contain '%s'", msg, what);
}

/* load_bad() of @p text, its message checked by assert_where(). */
static void expect_where(struct tmp *t, const char *text, int line, const char *path,
                         const char *what)
{
    vsr_error err = {0};
    assert_where(t, load_bad(t, text, &err), line, path, what);
}

/* The three lines most bad configs start with (a name, one demo dataset, one model), so
 * the key a case gets wrong is on line 4 or below. */
#define HEAD3 "name: x\ndatasets: [{name: d, type: demo}]\nmodels: [swrn]\n"

static const char good[] =
    "# a sweep\n"
    "name: unit\n"
    "scale: 4\n"
    "manual_seed: 10\n"
    "datasets:\n"
    "  - name: demo\n"
    "    type: demo\n"
    "    degradation: [bi, bd]\n"
    "    clips: [a, b]\n"
    "    frames: 3\n"
    "metrics:\n"
    "  psnr: {type: calculate_psnr, crop_border: 2, test_y_channel: false}\n"
    "  ssim: {crop_border: 4, channels: [y, rgb]}\n"
    "  niqe:\n"
    "models:\n"
    "  - bicubic\n"
    "  - name: MVSR_13_noafa\n"
    "    type: MVSR_13\n"
    "    hyperparameters: {pfe_k: [3, 5], align: none}\n"
    "precisions:\n"
    "  - fp32\n"
    "  - int8\n"
    "  - {name: int8, calibration: {method: mse, frames: 4}}\n"
    "tile: [0, 64]\n"
    "pad: 8\n"
    "threads: [1, 2]\n"
    "timing: {warmup: 3, runs: 2}\n"
    "exclude:\n"
    "  - {model: bicubic, precision: [int8]}\n"
    "output: {db: x.db, save_images: true}\n";

static void test_good(void **state)
{
    struct tmp *t = *state;
    vsr_config *cfg = NULL;
    vsr_error err = {0};
    write_file(t->file, good);
    if (vsr_config_load(t->file, NULL, 0, &cfg, &err) != 0)
        fail_msg("%s", err.msg);
    assert_string_equal(cfg->name, "unit");
    assert_string_equal(cfg->text, good);
    assert_null(cfg->overrides);
    assert_int_equal(cfg->scale, 4);
    assert_int_equal(cfg->manual_seed, 10);
    assert_int_equal(cfg->n_datasets, 1);
    const vsr_config_dataset *d = &cfg->datasets[0];
    assert_string_equal(d->name, "demo");
    assert_string_equal(vsr_config_dataset_type_name(d->type), "demo");
    assert_null(d->dataroot);
    assert_int_equal(d->n_degradations, 2);
    assert_string_equal(d->degradations[1], "bd");
    assert_int_equal(d->n_clips, 2);
    assert_string_equal(d->clips[1], "b");
    assert_int_equal(d->frames, 3);
    assert_int_equal(d->line, 6);
    /* psnr on RGB only (test_y_channel false), ssim on both, niqe on */
    assert_int_equal(vsr_config_metric_get(cfg, "psnr").enabled, 1);
    assert_int_equal(vsr_config_metric_get(cfg, "psnr").crop_border, 2);
    assert_int_equal(ch_on(cfg, "psnr", "y"), 0);
    assert_int_equal(ch_on(cfg, "psnr", "rgb"), 1);
    assert_int_equal(ch_on(cfg, "ssim", "y"), 1);
    assert_int_equal(ch_on(cfg, "ssim", "rgb"), 1);
    assert_int_equal(vsr_config_metric_get(cfg, "niqe").enabled, 1);
    assert_int_equal(vsr_config_metric_get(cfg, "niqe").crop_border, 4); /* default = scale */
    assert_int_equal(cfg->n_models, 2);
    assert_string_equal(cfg->models[0].type, "bicubic");
    assert_string_equal(cfg->models[0].variant, "base");
    assert_string_equal(cfg->models[1].type, "MVSR_13");
    assert_string_equal(cfg->models[1].variant, "MVSR_13_noafa");
    assert_int_equal(cfg->models[1].n_hparams, 2);
    assert_string_equal(cfg->models[1].hparams[0].key, "align"); /* sorted */
    assert_string_equal(cfg->models[1].hparams[1].key, "pfe_k");
    assert_string_equal(cfg->models[1].hparams[1].value, "[3, 5]");
    assert_int_equal(cfg->n_precisions, 3);
    assert_null(vsr_config_calib_name(&cfg->precisions[0]));
    assert_string_equal(vsr_config_calib_name(&cfg->precisions[1]), "minmax");
    assert_int_equal(cfg->precisions[1].calib_frames, 8);
    assert_string_equal(vsr_config_calib_name(&cfg->precisions[2]), "mse");
    assert_int_equal(cfg->precisions[2].calib_frames, 4);
    assert_int_equal(cfg->n_tiles, 2);
    assert_int_equal(cfg->tiles[1], 64);
    assert_int_equal(cfg->n_pads, 1);
    assert_int_equal(cfg->pads[0], 8);
    assert_int_equal(cfg->n_threads, 2);
    assert_int_equal(cfg->warmup, 3);
    assert_int_equal(cfg->runs, 2);
    assert_int_equal(cfg->n_exclude, 1);
    assert_int_equal(cfg->exclude[0].n_conds, 2);
    assert_string_equal(cfg->exclude[0].conds[1].axis, "precision");
    assert_string_equal(cfg->exclude[0].conds[1].values[0], "int8");
    assert_string_equal(cfg->db, "x.db");
    assert_string_equal(cfg->report_dir, "reports/unit");
    assert_int_equal(cfg->save_images, 1);
    assert_int_equal(strlen(cfg->hash), 16);
    vsr_config_free(&cfg);
    assert_null(cfg);
}

static void test_defaults_and_basicsr_datasets(void **state)
{
    (void)state;
    vsr_config *cfg = NULL;
    vsr_error err = {0};
    /* BasicSR's "datasets: {test_1: {...}}" mapping form */
    const char *text = "name: d\n"
                       "datasets:\n"
                       "  test_1: {name: demo, type: demo}\n"
                       "models: [swrn]\n";
    if (vsr_config_load_string("d.yaml", text, NULL, 0, &cfg, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(cfg->n_datasets, 1);
    assert_string_equal(cfg->datasets[0].degradations[0], "bi");
    assert_int_equal(cfg->n_precisions, 1);
    assert_string_equal(vsr_precision_name(cfg->precisions[0].prec), "fp32");
    assert_int_equal(cfg->tiles[0], 0);
    assert_int_equal(cfg->threads[0], 1);
    assert_int_equal(cfg->warmup, 2);
    assert_int_equal(cfg->runs, 1);
    assert_int_equal(cfg->min_runs, 20);
    assert_float_equal(cfg->min_secs, 1.0, 0);
    assert_int_equal(vsr_config_metric_get(cfg, "psnr").enabled && ch_on(cfg, "psnr", "y") &&
                         !ch_on(cfg, "psnr", "rgb"),
                     1);
    assert_int_equal(vsr_config_metric_get(cfg, "psnr").crop_border, 4);
    assert_int_equal(vsr_config_metric_get(cfg, "niqe").enabled, 0);
    assert_string_equal(cfg->db, "runs.db");
    vsr_config_free(&cfg);
}

/* threads: auto is stored as 0 and named "thauto" in run keys; timing's
 * min_runs / min_secs are read and enter the hash. */
static void test_threads_auto_and_timing_rule(void **state)
{
    struct tmp *t = *state;
    vsr_config *cfg = NULL, *cfg2 = NULL;
    vsr_error err = {0};
    const char *text = "name: a\n"
                       "datasets: [{name: demo, type: demo}]\n"
                       "models: [swrn]\n"
                       "threads: [auto, 1]\n"
                       "timing: {min_runs: 7, min_secs: 0.25}\n";
    if (vsr_config_load_string("a.yaml", text, NULL, 0, &cfg, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(cfg->n_threads, 2);
    assert_int_equal(cfg->threads[0], 0);
    assert_int_equal(cfg->threads[1], 1);
    assert_int_equal(cfg->min_runs, 7);
    assert_float_equal(cfg->min_secs, 0.25, 0);
    vsr_sweep_run *runs = NULL;
    int n = 0;
    assert_int_equal(vsr_sweep_expand(cfg, &runs, &n, NULL, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(runs[0].key, "swrn/base/fp32/demo/bi/t0/p0/thauto");
    free(runs);
    const char *sets[] = {"timing.min_secs=0.5"};
    assert_int_equal(vsr_config_load_string("a.yaml", text, sets, 1, &cfg2, &err), 0);
    assert_string_not_equal(cfg->hash, cfg2->hash);
    vsr_config_free(&cfg);
    vsr_config_free(&cfg2);
    expect_where(t,
                 "name: a\ndatasets: [{name: demo, type: demo}]\nmodels: [swrn]\n"
                 "timing: {min_secs: -1}\n",
                 4, "timing.min_secs", "expected seconds in [0, 3600]");
}

/* The tiling section and pad: auto (stored as VSR_PAD_AUTO, "pauto" in run keys);
 * the defaults leave the hash of a config without the section alone. */
static void test_tiling(void **state)
{
    struct tmp *t = *state;
    vsr_config *cfg = NULL, *cfg2 = NULL;
    vsr_error err = {0};
    const char *base = "name: a\n"
                       "datasets: [{name: demo, type: demo}]\n"
                       "models: [ABPN]\n"
                       "tile: 64\n"
                       "pad: [auto, 4]\n";
    char text[512];
    snprintf(text, sizeof(text), "%s%s", base,
             "tiling: {mode: padded, padding: reflect, tile_workers: 2}\n");
    if (vsr_config_load_string("a.yaml", text, NULL, 0, &cfg, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(cfg->tile_mode, VSR_TILE_PADDED);
    assert_int_equal(cfg->padding, VSR_TPAD_REFLECT);
    assert_int_equal(cfg->tile_workers, 2);
    assert_int_equal(cfg->pads[0], VSR_PAD_AUTO);
    assert_int_equal(cfg->pads[1], 4);
    vsr_sweep_run *runs = NULL;
    int n = 0;
    assert_int_equal(vsr_sweep_expand(cfg, &runs, &n, NULL, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(runs[0].key, "ABPN/base/fp32/demo/bi/t64/pauto/th1");
    free(runs);
    /* the section's defaults written out hash as its absence */
    assert_int_equal(vsr_config_load_string("a.yaml", base, NULL, 0, &cfg2, &err), 0);
    assert_string_not_equal(cfg->hash, cfg2->hash);
    vsr_config_free(&cfg);
    snprintf(text, sizeof(text), "%s%s", base,
             "tiling: {mode: clip, padding: zero, tile_workers: 1}\n");
    assert_int_equal(vsr_config_load_string("a.yaml", text, NULL, 0, &cfg, &err), 0);
    assert_string_equal(cfg->hash, cfg2->hash);
    vsr_config_free(&cfg);
    vsr_config_free(&cfg2);
    snprintf(text, sizeof(text), "%s%s", base, "tiling: {mode: static}\n");
    const char *msg = load_bad(t, text, &err);
    assert_non_null(strstr(msg, "tiling.mode"));
    assert_non_null(strstr(msg, "fixed"));
}

/* engine.conv_algo: the four names (vsr_conv_algo order); direct written out hashes as
 * its absence, another choice changes the hash; a wrong name lists the choices */
static void test_conv_algo(void **state)
{
    struct tmp *t = *state;
    vsr_config *cfg = NULL, *cfg2 = NULL;
    vsr_error err = {0};
    const char *base = "name: a\ndatasets: [{name: demo, type: demo}]\nmodels: [ABPN]\n";
    char text[512];
    assert_int_equal(vsr_config_load_string("a.yaml", base, NULL, 0, &cfg2, &err), 0);
    assert_int_equal(cfg2->conv_algo, VSR_CONV_DIRECT);
    static const char *const names[] = {"direct", "winograd", "winograd4", "auto"};
    for (int k = 0; k < 4; k++) {
        snprintf(text, sizeof(text), "%sengine: {conv_algo: %s}\n", base, names[k]);
        if (vsr_config_load_string("a.yaml", text, NULL, 0, &cfg, &err))
            fail_msg("%s", err.msg);
        assert_int_equal(cfg->conv_algo, k);
        if (k == 0)
            assert_string_equal(cfg->hash, cfg2->hash);
        else
            assert_string_not_equal(cfg->hash, cfg2->hash);
        vsr_config_free(&cfg);
    }
    vsr_config_free(&cfg2);
    snprintf(text, sizeof(text), "%sengine: {conv_algo: fft}\n", base);
    const char *msg = load_bad(t, text, &err);
    assert_non_null(strstr(msg, "engine.conv_algo"));
    assert_non_null(strstr(msg, "winograd4"));
}

/* metrics: any registered name, its options by the registry; a near miss gets a hint */
static void test_metric_names(void **state)
{
    struct tmp *t = *state;
    vsr_error err = {0};
#define MHEAD HEAD3 "metrics:\n"
    const char *msg = load_bad(t, MHEAD "  psrn: {crop_border: 4}\n", &err);
    assert_where(t, msg, 5, "metrics.psrn", "unknown metric 'psrn' (did you mean 'psnr'?)");
    assert_non_null(strstr(msg, "known metrics: psnr, ssim, niqe"));
    expect_where(t, MHEAD "  niqe: {crop_bordr: 4}\n", 5, "metrics.niqe.crop_bordr",
                 "did you mean 'crop_border'?");
    /* niqe has one channel: no test_y_channel */
    expect_where(t, MHEAD "  niqe: {test_y_channel: true}\n", 5, "metrics.niqe.test_y_channel",
                 "unknown key (known here: crop_border, type, better)");
    expect_where(t, MHEAD "  ssim: {channels: [y, cb]}\n", 5, "metrics.ssim.channels[1]",
                 "expected one of rgb, y, got 'cb'");
    expect_where(t, MHEAD "  psnr: {crop_border: -1}\n", 5, "metrics.psnr.crop_border",
                 "expected an integer in [0, 1024]");
#undef MHEAD
}

static void test_unknown_key(void **state)
{
    struct tmp *t = *state;
    expect_where(t, HEAD3 "timing:\n  warmup: 1\n  rnus: 2\n", 6, "timing.rnus",
                 "unknown key (did you mean 'runs'?)");
    expect_where(t,
                 "name: x\n"
                 "datasets:\n"
                 "  - name: d\n"
                 "    type: demo\n"
                 "    dataroot_hq: /tmp\n"
                 "models: [swrn]\n",
                 5, "datasets[0].dataroot_hq", "unknown key");
    expect_where(t, "name: x\nmodel_type: VideoBaseModel\n", 2, "model_type", "unknown key");
}

static void test_wrong_type(void **state)
{
    struct tmp *t = *state;
    expect_where(t, HEAD3 "threads: [1, two]\n", 4, "threads[1]", "expected an integer");
    expect_where(t, "name: x\ndatasets: demo\nmodels: [swrn]\n", 2, "datasets",
                 "expected a list");
    expect_where(t, HEAD3 "precisions: [fp32, fp8]\n", 4, "precisions[1]",
                 "'fp8' is not one of fp32, fp16, fp16n, int8");
    expect_where(t, HEAD3 "metrics:\n  psnr: {test_y_channel: maybe}\n", 5,
                 "metrics.psnr.test_y_channel", "expected true or false");
    expect_where(t, HEAD3 "precisions:\n  - name: fp16\n    calibration: {method: mse}\n", 6,
                 "precisions[0].calibration", "only int8");
    /* issue 17: requant belongs to int8 and is float or tflite; int8 twice with the
     * same settings (requant float is the default) is refused */
    static const struct {
        const char *precisions;
        int line;
        const char *path, *what;
    } rq[] = {
        {"precisions:\n  - name: fp16\n    requant: tflite\n", 6, "precisions[0].requant",
         "only int8"},
        {"precisions: [{name: int8, requant: gemmlowp}]\n", 4, "precisions[0].requant",
         "'gemmlowp' is not one of float, tflite"},
        {"precisions: [int8, {name: int8, requant: float}]\n", 4, "precisions[1]",
         "listed twice"},
        /* keep_float (mixed precision) is int8's too, its precision fp32 or fp16 and
         * only with layers; the same list twice is the same run */
        {"precisions:\n  - name: fp16\n    keep_float: [a]\n", 5, "precisions[0].keep_float",
         "only int8"},
        {"precisions: [{name: int8, keep_float_precision: fp16}]\n", 4,
         "precisions[0].keep_float_precision", "give the layers too"},
        {"precisions: [{name: int8, keep_float: [a], keep_float_precision: int4}]\n", 4,
         "precisions[0].keep_float_precision", "'int4' is not one of fp32, fp16"},
        {"precisions: [{name: int8, keep_float: [a]}, {name: int8, keep_float: [a]}]\n", 4,
         "precisions[1]", "listed twice"},
    };
    for (size_t i = 0; i < sizeof(rq) / sizeof(rq[0]); i++) {
        char text[256];
        snprintf(text, sizeof(text), HEAD3 "%s", rq[i].precisions);
        expect_where(t, text, rq[i].line, rq[i].path, rq[i].what);
    }
}

static void test_missing_dataset(void **state)
{
    struct tmp *t = *state;
    expect_where(t, "name: x\nmodels: [swrn]\n", 1, "datasets", "missing required key");
    expect_where(t, "name: x\ndatasets: []\nmodels: [swrn]\n", 2, "datasets", "no dataset");
    /* a dataset whose root is not there (line 6), and one without a root (its entry, line
     * 4) */
#define VID4 "name: x\nmodels: [swrn]\ndatasets:\n  - name: vid4\n    type: vid4\n"
    expect_where(t, VID4 "    dataroot: /nonexistent/vsrbench/vid4\n", 6,
                 "datasets[0].dataroot", "does not exist");
    expect_where(t, VID4, 4, "datasets[0].dataroot", "missing required key for type vid4");
#undef VID4
    expect_where(t, "name: x\ndatasets: [{type: demo}]\nmodels: [swrn]\n", 2,
                 "datasets[0].name", "missing required key");
}

static void test_yaml_syntax(void **state)
{
    struct tmp *t = *state;
    vsr_error err = {0};
    const char *msg =
        load_bad(t, "name: x\ndatasets: [{name: d, type: demo}]\na: 1\na: 2\n", &err);
    char prefix[400];
    snprintf(prefix, sizeof(prefix), "%s:4:", t->file);
    assert_int_equal(strncmp(msg, prefix, strlen(prefix)), 0);
    assert_non_null(strstr(msg, "duplicate key"));
}

static void test_exclude_typo(void **state)
{
    struct tmp *t = *state;
    expect_where(t,
                 "name: x\n"
                 "datasets: [{name: d, type: demo}]\n"
                 "models: [swrn, elsr]\n"
                 "exclude:\n"
                 "  - {model: elrs}\n",
                 5, "exclude[0].model", "'elrs' matches no model");
    expect_where(t, HEAD3 "exclude:\n  - {modle: swrn}\n", 5, "exclude[0].modle",
                 "did you mean 'model'?");
}

static const char base[] = "name: o\n"
                           "datasets:\n"
                           "  - {name: d, type: demo, frames: 8}\n"
                           "models: [swrn, elsr]\n"
                           "precisions: [fp32, fp16, int8]\n"
                           "timing: {warmup: 1}\n"
                           "exclude:\n"
                           "  - {model: elsr, precision: int8}\n";

static void test_overrides(void **state)
{
    (void)state;
    vsr_config *cfg = NULL;
    vsr_error err = {0};
    const char *sets[] = {"timing.warmup=5", "precisions=[fp32, int8]", "datasets.0.frames=2",
                          "output.db=other.db", "metrics.niqe={crop_border: 0}"};
    if (vsr_config_load_string("o.yaml", base, sets, 5, &cfg, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(cfg->warmup, 5);
    assert_int_equal(cfg->runs, 1); /* untouched sibling kept */
    assert_int_equal(cfg->n_precisions, 2);
    assert_string_equal(vsr_precision_name(cfg->precisions[1].prec), "int8");
    assert_int_equal(cfg->datasets[0].frames, 2);
    assert_string_equal(cfg->db, "other.db");
    assert_int_equal(vsr_config_metric_get(cfg, "niqe").enabled, 1);
    assert_int_equal(vsr_config_metric_get(cfg, "niqe").crop_border, 0);
    assert_string_equal(cfg->overrides, "timing.warmup=5\nprecisions=[fp32, int8]\n"
                                        "datasets.0.frames=2\noutput.db=other.db\n"
                                        "metrics.niqe={crop_border: 0}");
    vsr_config_free(&cfg);
}

static void expect_set_error(const char *set, const char *start, const char *what)
{
    vsr_config *cfg = NULL;
    vsr_error err = {0};
    const char *sets[] = {set};
    assert_int_equal(vsr_config_load_string("o.yaml", base, sets, 1, &cfg, &err), -EINVAL);
    assert_null(cfg);
    if (strncmp(err.msg, start, strlen(start)) || !strstr(err.msg, what))
        fail_msg("for --set %s: got '%s', want '%s...%s'", set, err.msg, start, what);
}

/* fp16n (native FP16) is a precision like the others, in the order given; it takes no
 * calibration; and --set can select it. */
static void test_fp16n(void **state)
{
    (void)state;
    vsr_config *cfg = NULL;
    vsr_error err = {0};
    static const char y[] = "name: n\n"
                            "datasets: [{name: d, type: demo}]\n"
                            "models: [swrn]\n"
                            "precisions: [fp32, fp16, fp16n, int8]\n";
    if (vsr_config_load_string("n.yaml", y, NULL, 0, &cfg, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(cfg->n_precisions, 4);
    assert_string_equal(vsr_precision_name(cfg->precisions[2].prec), "fp16n");
    assert_null(vsr_config_calib_name(&cfg->precisions[2]));
    assert_string_equal(vsr_config_calib_name(&cfg->precisions[3]), "minmax");
    vsr_config_free(&cfg);
    const char *sets[] = {"precisions=[fp16n]"};
    if (vsr_config_load_string("n.yaml", y, sets, 1, &cfg, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(cfg->n_precisions, 1);
    assert_string_equal(vsr_precision_name(cfg->precisions[0].prec), "fp16n");
    vsr_config_free(&cfg);
    static const char bad[] = "name: n\n"
                              "datasets: [{name: d, type: demo}]\n"
                              "models: [swrn]\n"
                              "precisions: [{name: fp16n, calibration: {method: mse}}]\n";
    assert_int_equal(vsr_config_load_string("n.yaml", bad, NULL, 0, &cfg, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "only int8 is calibrated"));
    assert_null(cfg);
}

/* INT8 schemes: `scheme:` keys and the shorthand names, the label the run log
 * records, the run key, the hash (unchanged for the default scheme), errors. */
static void test_int8_schemes(void **state)
{
    (void)state;
    vsr_config *cfg = NULL;
    vsr_error err = {0};
    static const char y[] =
        "name: q\n"
        "datasets: [{name: d, type: demo}]\n"
        "models: [swrn]\n"
        "precisions: [int8, int8-sym, int8-pt,\n"
        "  {name: int8, scheme: {weights: per-tensor, activations: symmetric,\n"
        "   storage: uint8, pow2: true}, calibration: {method: kl, frames: 2}},\n"
        "  {name: int8-pt, scheme: {activations: symmetric}, calibration: {method: ema}}]\n"
        "exclude: [{precision: int8-pt-sym, calibration: kl}]\n";
    if (vsr_config_load_string("q.yaml", y, NULL, 0, &cfg, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(cfg->n_precisions, 5);
    const char *labels[] = {"int8", "int8-sym", "int8-pt", "int8-pt-sym-u8-pow2",
                            "int8-pt-sym"};
    for (int i = 0; i < 5; i++) {
        assert_string_equal(vsr_precision_name(cfg->precisions[i].prec), "int8");
        assert_string_equal(cfg->precisions[i].label, labels[i]);
    }
    assert_int_equal(cfg->precisions[1].scheme.activations, VSR_QUANT_SYMMETRIC);
    assert_int_equal(cfg->precisions[2].scheme.weights, VSR_QUANT_PER_TENSOR);
    assert_int_equal(cfg->precisions[3].scheme.storage, VSR_QUANT_UINT8);
    assert_int_equal(cfg->precisions[3].scheme.pow2, 1);
    assert_string_equal(vsr_config_calib_name(&cfg->precisions[3]), "kl");
    /* the shorthand's per-tensor stays, scheme: adds symmetric */
    assert_int_equal(cfg->precisions[4].scheme.weights, VSR_QUANT_PER_TENSOR);
    assert_int_equal(cfg->precisions[4].scheme.activations, VSR_QUANT_SYMMETRIC);
    assert_string_equal(vsr_config_calib_name(&cfg->precisions[4]), "ema");
    vsr_sweep_run *runs = NULL;
    int n = 0, excl = 0;
    if (vsr_sweep_expand(cfg, &runs, &n, &excl, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(n, 5); /* the rule names int8-pt-sym and kl: nothing matches both */
    assert_string_equal(runs[0].key, "swrn/base/int8-minmax-8/d/bi/t0/p0/th1");
    assert_string_equal(runs[1].key, "swrn/base/int8-sym-minmax-8/d/bi/t0/p0/th1");
    assert_string_equal(runs[3].key, "swrn/base/int8-pt-sym-u8-pow2-kl-2/d/bi/t0/p0/th1");
    assert_string_equal(runs[4].key, "swrn/base/int8-pt-sym-ema-8/d/bi/t0/p0/th1");
    char h0[17];
    memcpy(h0, runs[0].hash, sizeof(h0));
    free(runs);
    vsr_config_free(&cfg);
    /* the default scheme written out, or int8-asym, hashes as plain int8 did */
    static const char y2[] = "name: q\n"
                             "datasets: [{name: d, type: demo}]\n"
                             "models: [swrn]\n"
                             "precisions: [{name: int8-asym, scheme: {weights: per-channel,\n"
                             "  storage: int8, pow2: false}}]\n";
    if (vsr_config_load_string("q.yaml", y2, NULL, 0, &cfg, &err))
        fail_msg("%s", err.msg);
    if (vsr_sweep_expand(cfg, &runs, &n, &excl, &err))
        fail_msg("%s", err.msg);
    assert_string_equal(runs[0].hash, h0);
    assert_string_equal(cfg->precisions[0].label, "int8");
    free(runs);
    vsr_config_free(&cfg);
    struct {
        const char *prec, *msg;
    } bad[] = {
        {"[int8, int8-asym]", "listed twice"},
        {"[{name: fp16, scheme: {weights: per-tensor}}]",
         "only int8 has a quantization scheme"},
        {"[{name: int8, scheme: {weights: per-layer}}]", "scheme.weights"},
        {"[{name: int8, scheme: {pow: true}}]", "unknown key"},
        {"[{name: int8, calibration: {method: entropy}}]", "calibration.method"},
        {"[int8-foo]", "precisions[0]"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[512];
        snprintf(text, sizeof(text),
                 "name: q\ndatasets: [{name: d, type: demo}]\nmodels: [swrn]\nprecisions: %s\n",
                 bad[i].prec);
        assert_int_equal(vsr_config_load_string("q.yaml", text, NULL, 0, &cfg, &err), -EINVAL);
        if (!strstr(err.msg, bad[i].msg))
            fail_msg("%s: %s", bad[i].prec, err.msg);
        assert_null(cfg);
    }
}

/* `description:` of a model entry: kept for the research-log table, one
 * line only, and not part of the hash (prose does not change a result). */
static void test_description(void **state)
{
    (void)state;
    vsr_config *a = NULL, *b = NULL;
    vsr_error err = {0};
    static const char with[] = "name: d\n"
                               "datasets: [{name: d, type: demo}]\n"
                               "models:\n"
                               "  - {name: MVSR_13_2, description: \"r=1/4 (d=4): half the "
                               "partial channels\"}\n"
                               "  - elsr\n";
    static const char without[] = "name: d\n"
                                  "datasets: [{name: d, type: demo}]\n"
                                  "models: [{name: MVSR_13_2}, elsr]\n";
    if (vsr_config_load_string("w.yaml", with, NULL, 0, &a, &err))
        fail_msg("%s", err.msg);
    assert_string_equal(a->models[0].description, "r=1/4 (d=4): half the partial channels");
    assert_null(a->models[1].description);
    if (vsr_config_load_string("wo.yaml", without, NULL, 0, &b, &err))
        fail_msg("%s", err.msg);
    assert_null(b->models[0].description);
    assert_string_equal(a->hash, b->hash);
    vsr_config_free(&a);
    vsr_config_free(&b);
    /* a second line would break the table row: refused, naming the key */
    static const char two_lines[] = "name: d\n"
                                    "datasets: [{name: d, type: demo}]\n"
                                    "models:\n"
                                    "  - name: elsr\n"
                                    "    description: |\n"
                                    "      first line\n"
                                    "      second line\n";
    assert_int_equal(vsr_config_load_string("t.yaml", two_lines, NULL, 0, &a, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "models[0].description"));
    assert_non_null(strstr(err.msg, "one line"));
    assert_null(a);
    char longer[512];
    snprintf(longer, sizeof(longer),
             "name: d\ndatasets: [{name: d, type: demo}]\n"
             "models: [{name: elsr, description: %0*d}]\n",
             VSR_CONFIG_DESCRIPTION_MAX + 1, 7);
    assert_int_equal(vsr_config_load_string("l.yaml", longer, NULL, 0, &a, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "too long"));
    /* a mapping is not a description */
    static const char map[] = "name: d\n"
                              "datasets: [{name: d, type: demo}]\n"
                              "models: [{name: elsr, description: {a: 1}}]\n";
    assert_int_equal(vsr_config_load_string("m.yaml", map, NULL, 0, &a, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "description"));
}

static void test_bad_overrides(void **state)
{
    (void)state;
    expect_set_error("timing.warmup=abc",
                     "--set timing.warmup=abc: timing.warmup: ", "expected an integer");
    expect_set_error("timing.warmup", "--set timing.warmup: ", "expected key.path=value");
    expect_set_error("=3", "--set =3: ", "expected key.path=value");
    expect_set_error("timing.warmup=", "--set timing.warmup=: ", "empty value");
    expect_set_error("tile=[0, 64", "--set tile=[0, 64: ", "not valid YAML");
    /* the values go to libfyaml too, so they pass the same guard as the file */
    expect_set_error("tile=%\xA1", "--set tile value:1:1: ", "directive");
    expect_set_error("name=caf\xC3", "--set name value:1:4: ", "truncated");
    /* and the same check after parsing: libfyaml 0.7.12 misreads 'a''''b' */
    expect_set_error("name='a''''b'", "--set name value:1:1: ", "adjacent escaped quotes");
    expect_set_error("datasets.0.name='x''''''''''y'",
                     "--set datasets.0.name value:1:1: ", "write it in double quotes");
    expect_set_error("datasets.4.frames=1", "--set datasets.4.frames=1: ",
                     "'4' is not an index of the list datasets (0..0)");
    expect_set_error("name.sub=1", "--set name.sub=1: ", "name is a single value");
    expect_set_error("timing.wramup=1",
                     "--set timing.wramup=1: timing.wramup: ", "did you mean 'warmup'?");
    expect_set_error("datasets.0.type=foo", "--set datasets.0.type=foo: datasets[0].type: ",
                     "'foo' is not one of demo, vid4, reds, pair, video");
    expect_set_error("a..b=1", "--set a..b=1: ", "empty or too long key");
}

static void test_hash(void **state)
{
    (void)state;
    vsr_config *a = NULL, *b = NULL, *c = NULL, *d = NULL;
    vsr_error err = {0};
    /* same meaning: other key order, comments, flow vs block style */
    const char *reordered = "# comment\n"
                            "exclude:\n"
                            "  - precision: int8\n"
                            "    model: elsr\n"
                            "timing:\n"
                            "  warmup: 1\n"
                            "precisions: [fp32, fp16, int8]\n"
                            "models:\n"
                            "  - swrn\n"
                            "  - elsr\n"
                            "datasets: [{type: demo, frames: 8, name: d}]\n"
                            "name: o\n";
    const char *db_only[] = {"output.db=elsewhere.db"};
    const char *warm[] = {"timing.warmup=2"};
    assert_int_equal(vsr_config_load_string("a", base, NULL, 0, &a, &err), 0);
    assert_int_equal(vsr_config_load_string("b", reordered, NULL, 0, &b, &err), 0);
    assert_int_equal(vsr_config_load_string("c", base, db_only, 1, &c, &err), 0);
    assert_int_equal(vsr_config_load_string("d", base, warm, 1, &d, &err), 0);
    /* exclude conditions are kept in file order, so reorder them back */
    assert_string_equal(b->exclude[0].conds[0].axis, "precision");
    vsr_config_free(&b);
    const char *reordered2 = "timing: {warmup: 1}\n"
                             "exclude: [{model: elsr, precision: int8}]\n"
                             "precisions: [fp32, fp16, int8]\n"
                             "models: [swrn, elsr]\n"
                             "datasets: [{type: demo, frames: 8, name: d}]\n"
                             "name: o  # same sweep\n";
    assert_int_equal(vsr_config_load_string("b", reordered2, NULL, 0, &b, &err), 0);
    assert_string_equal(a->hash, b->hash);
    assert_string_equal(a->hash, c->hash); /* where results go does not matter */
    assert_string_not_equal(a->hash, d->hash);
    /* the hash is FNV-1a 64 of the canonical text */
    char *canon = vsr_config_canonical(a);
    char hex[17];
    snprintf(hex, sizeof(hex), "%016llx",
             (unsigned long long)vsr_fnv1a64(canon, strlen(canon), VSR_FNV1A64_INIT));
    assert_string_equal(hex, a->hash);
    free(canon);
    /* FNV-1a 64 reference values (from the published test vectors) */
    assert_true(vsr_fnv1a64("", 0, VSR_FNV1A64_INIT) == 0xcbf29ce484222325ULL);
    assert_true(vsr_fnv1a64("a", 1, VSR_FNV1A64_INIT) == 0xaf63dc4c8601ec8cULL);
    assert_true(vsr_fnv1a64("foobar", 6, VSR_FNV1A64_INIT) == 0x85944171f73967e8ULL);
    vsr_config_free(&a);
    vsr_config_free(&b);
    vsr_config_free(&c);
    vsr_config_free(&d);
}

/* weights: FILE | {npy: DIR, map: MAP} | {tflite: FILE}, relative to the
 * config's folder; optional: true lets them be absent. */
static void test_weights(void **state)
{
    struct tmp *t = *state;
    char w[400], npy[400], map[400], text[2048];
    snprintf(w, sizeof(w), "%s/m.vsrw", t->dir);
    snprintf(npy, sizeof(npy), "%s/npy", t->dir);
    snprintf(map, sizeof(map), "%s/map.yaml", t->dir);
    write_file(w, "x");
    write_file(map, "weights: {}\n");
    assert_int_equal(mkdir(npy, 0755), 0);
    static const char head[] = "name: w\n"
                               "datasets: [{name: demo, type: demo}]\n"
                               "models:\n";
    snprintf(text, sizeof(text),
             "%s"
             "  - {name: ABPN, weights: m.vsrw}\n"                          /* line 4 */
             "  - {name: SWRN, weights: {npy: npy, map: map.yaml}}\n"       /* 5 */
             "  - {name: ELSR, weights: {tflite: %s}}\n"                    /* 6 */
             "  - {name: MVSR_13, weights: absent.vsrw, optional: true}\n", /* 7 */
             head, w);
    write_file(t->file, text);
    vsr_config *cfg = NULL;
    vsr_error err = {0};
    if (vsr_config_load(t->file, NULL, 0, &cfg, &err))
        fail_msg("%s", err.msg);
    char want[512];
    assert_string_equal(cfg->models[0].weights, w); /* <dir>/m.vsrw */
    assert_false(cfg->models[0].optional);
    assert_string_equal(cfg->models[1].weights_npy, npy);
    assert_string_equal(cfg->models[1].weights_map, map);
    assert_null(cfg->models[1].weights);
    assert_string_equal(cfg->models[2].weights_tflite, w); /* absolute: kept */
    snprintf(want, sizeof(want), "%s/absent.vsrw", t->dir);
    assert_string_equal(cfg->models[3].weights, want);
    assert_true(cfg->models[3].optional);
    char hash[17];
    memcpy(hash, cfg->hash, sizeof(hash));
    vsr_config_free(&cfg);

    /* the source is part of the hash */
    snprintf(text, sizeof(text), "%s  - {name: SWRN, weights: {tflite: m.vsrw}}\n", head);
    write_file(t->file, text);
    if (vsr_config_load(t->file, NULL, 0, &cfg, &err))
        fail_msg("%s", err.msg);
    assert_string_not_equal(cfg->hash, hash);
    vsr_config_free(&cfg);

    /* not optional: an absent file is an error naming the key and line */
    snprintf(text, sizeof(text), "%s  - bicubic\n  - {name: ABPN, weights: nope.vsrw}\n", head);
    expect_where(t, text, 5, "models[1].weights", "optional: true");
    snprintf(text, sizeof(text), "%s  - {name: SWRN, weights: {npy: npy}}\n", head);
    expect_where(t, text, 4, "models[0].weights.map", "missing required key");
    snprintf(text, sizeof(text), "%s  - {name: SWRN, weights: {npy: m.vsrw, map: map.yaml}}\n",
             head);
    expect_where(t, text, 4, "models[0].weights.npy", "not a folder");
    snprintf(text, sizeof(text), "%s  - {name: SWRN, weights: {pth: m.vsrw}}\n", head);
    load_bad(t, text, &err);
    assert_non_null(strstr(err.msg, "models[0].weights.pth"));
    /* {onnx: FILE} is a source of its own, exclusive with the others */
    snprintf(text, sizeof(text), "%s  - {name: SWRN, weights: {onnx: m.vsrw}}\n", head);
    write_file(t->file, text);
    if (vsr_config_load(t->file, NULL, 0, &cfg, &err))
        fail_msg("%s", err.msg);
    assert_non_null(strstr(cfg->models[0].weights_onnx, "m.vsrw"));
    assert_null(cfg->models[0].weights_tflite);
    vsr_config_free(&cfg);
    snprintf(text, sizeof(text),
             "%s  - {name: SWRN, weights: {onnx: m.vsrw, tflite: m.vsrw}}\n", head);
    load_bad(t, text, &err);
    assert_non_null(strstr(err.msg, "give one of"));
    /* optional npy folder absent: fine; its map must still exist */
    snprintf(text, sizeof(text),
             "%s  - {name: SWRN, weights: {npy: gone, map: nomap.yaml}, optional: true}\n",
             head);
    expect_where(t, text, 4, "models[0].weights.map", "nomap.yaml");
    snprintf(text, sizeof(text), "%s  - {name: SWRN, optional: true}\n", head);
    expect_where(t, text, 4, "models[0].optional", "weights");
    snprintf(text, sizeof(text), "%s  - {name: SWRN, weights: m.vsrw, optional: maybe}\n",
             head);
    expect_where(t, text, 4, "models[0].optional", "true or false");
    unlink(w);
    unlink(map);
    rmdir(npy);
}

static void test_missing_file(void **state)
{
    (void)state;
    vsr_config *cfg = NULL;
    vsr_error err = {0};
    assert_int_equal(vsr_config_load("/nonexistent/x.yaml", NULL, 0, &cfg, &err), -ENOENT);
    assert_non_null(strstr(err.msg, "/nonexistent/x.yaml"));
}

static void test_shipped_configs(void **state)
{
    (void)state;
    const char *src = getenv("VSR_SOURCE_DIR");
    if (!src) {
        VSR_SKIP("VSR_SOURCE_DIR is not set (ctest sets it)");
        return; /* skip() is not declared noreturn */
    }
    /* the vid4 configs point at ../shared/data/vid4 (relative to the
     * working directory, the source tree here): checked where it exists */
    static const char *const names[] = {"quickstart", "ablation_mvsr13", "tune_abpn",
                                        "vid4",       "vid4_zoo",        "quant_schemes"};
    char vid4[512];
    snprintf(vid4, sizeof(vid4), "%s/../shared/data/vid4", src);
    const int have_vid4 = access(vid4, R_OK) == 0 && chdir(src) == 0;
    for (int i = 0; i < 6; i++) {
        char path[512];
        snprintf(path, sizeof(path), "%s/configs/%s.yaml", src, names[i]);
        if ((!strncmp(names[i], "vid4", 4) || !strcmp(names[i], "quant_schemes")) && !have_vid4)
            continue;
        assert_int_equal(access(path, R_OK), 0);
        vsr_config *cfg = NULL;
        vsr_error err = {0};
        if (vsr_config_load(path, NULL, 0, &cfg, &err))
            fail_msg("%s", err.msg);
        vsr_config_free(&cfg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_good, setup, teardown),
        cmocka_unit_test(test_defaults_and_basicsr_datasets),
        cmocka_unit_test_setup_teardown(test_tiling, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads_auto_and_timing_rule, setup, teardown),
        cmocka_unit_test_setup_teardown(test_conv_algo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metric_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_dataset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_yaml_syntax, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exclude_typo, setup, teardown),
        cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_fp16n),
        cmocka_unit_test(test_int8_schemes),
        cmocka_unit_test(test_description),
        cmocka_unit_test(test_bad_overrides),
        cmocka_unit_test(test_hash),
        cmocka_unit_test_setup_teardown(test_weights, setup, teardown),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_shipped_configs),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
