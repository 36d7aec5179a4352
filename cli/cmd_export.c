/*
 * vsrbench export: a zoo model with its weights as an ONNX or TFLite file
 * (issue 18), for ONNX Runtime, a phone's TFLite, or any other runtime.
 * The graph is assembled by vsr_models_open() (zoo entry, --set overrides,
 * weights from .vsrw / .tflite / .onnx) at the export input size and
 * written by vsr_models_export_onnx() / vsr_models_export_tflite(). With
 * --bundle DIR a copy of the file goes to DIR beside manifest.json (what was
 * exported, from what, by which command) and benchmark.sh, the command line
 * that times it on a device (TFLite's benchmark_model over adb, or ONNX
 * Runtime's onnxruntime_perf_test).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cli.h"
#include "commands.h"
#include "vsr/core.h"
#include "vsr/datasets.h"
#include "vsr/engine.h"
#include "vsr/models.h"
#include "vsr/reports.h"

#ifndef VSR_VERSION
#define VSR_VERSION "unknown"
#endif

enum {
    ARG_FORMAT = 256,
    ARG_PRECISION,
    ARG_SIZE,
    ARG_BUNDLE,
    ARG_SET,
    ARG_CALIB,
};
enum fmt { FMT_ONNX, FMT_TFLITE };

/* Most --set overrides. */
#define MAX_SET 32

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: vsrbench export MODEL --weights W --format onnx|tflite -o OUT\n"
        "                       [--precision fp32|int8] [--input-size HxW]\n"
        "                       [--set KEY=VALUE ...] [--bundle DIR]\n"
        "                       [--calib SRC [--calib-frames N] [--calibration M]]\n"
        "\n"
        "Write zoo model MODEL with the weights W as an ONNX (opset 13, NCHW) or TFLite\n"
        "(builtin ops, NHWC) file OUT with a fixed input size, for ONNX Runtime or a\n"
        "phone. Pixels stay in vsrbench's scale (0..255); a frame-window model takes\n"
        "its frames as one input, a recurrent one its hidden state as a second.\n"
        "\n"
        "options:\n"
        "      --weights W       trained weights: .vsrw, or a .tflite / .onnx to import\n"
        "      --format F        onnx or tflite\n"
        "      --precision P     fp32 (default) or int8: TFLite full-integer (float I/O\n"
        "                        through QUANTIZE / DEQUANTIZE) or ONNX QDQ, holding the\n"
        "                        integers vsrbench's INT8 (requant tflite) runs\n"
        "      --calib SRC       int8: calibrate on the first frames of SRC (a video or a\n"
        "                        folder of images); not needed for an INT8 .tflite W,\n"
        "                        whose own parameters are kept\n"
        "      --calib-frames N  int8: frames to calibrate on (default 8)\n"
        "      --calibration M   int8: minmax (default), percentile, mse, ema or kl\n"
        "      --input-size HxW  LR input size of the exported graph (default 180x320)\n"
        "      --set KEY=VALUE   a hyperparameter override (as in a run config), repeatable\n"
        "  -o, --output OUT      the model file to write (complete or not at all)\n"
        "      --bundle DIR      also write DIR/<OUT's name>, DIR/manifest.json (model,\n"
        "                        hyperparameters, sha256 of the weights and of the file,\n"
        "                        format, precision, input shapes, vsrbench version and this\n"
        "                        command) and DIR/benchmark.sh (TFLite: benchmark_model on\n"
        "                        a phone over adb; ONNX: onnxruntime_perf_test)\n"
        "  -h, --help            this help\n"
        "exit codes: 0 ok, 1 runtime failure (writing OUT or DIR), 2 usage error (bad\n"
        "            option, unknown model, unreadable weights, an op the format lacks)\n");
}

/* @p s quoted for a POSIX shell when it holds anything but safe characters. */
static void shell_quote(char *buf, size_t cap, const char *s)
{
    int plain = *s != '\0';
    for (const char *p = s; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./=:,+-@%",
                    *p))
            plain = 0;
    size_t n = 0;
    if (plain) {
        snprintf(buf, cap, "%s", s);
        return;
    }
    if (n + 1 < cap)
        buf[n++] = '\'';
    for (const char *p = s; *p && n + 5 < cap; p++) {
        if (*p == '\'') {
            memcpy(buf + n, "'\\''", 4);
            n += 4;
        } else {
            buf[n++] = *p;
        }
    }
    if (n + 1 < cap)
        buf[n++] = '\'';
    buf[n < cap ? n : cap - 1] = '\0';
}

/* "vsrbench export ..." as typed (argv[0] is "export"), malloc'ed. */
static char *command_line(int argc, char **argv)
{
    size_t cap = 16;
    for (int i = 0; i < argc; i++)
        cap += 4 * strlen(argv[i]) + 3;
    char *s = malloc(cap), *q = malloc(cap);
    if (!s || !q) {
        free(s);
        free(q);
        return NULL;
    }
    size_t n = (size_t)snprintf(s, cap, "vsrbench");
    for (int i = 0; i < argc; i++) {
        shell_quote(q, cap, argv[i]);
        n += (size_t)snprintf(s + n, cap - n, " %s", q);
    }
    free(q);
    return s;
}

/* The last component of @p path. */
static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/*
 * The one place that writes the file: FP32, or INT8 from the graph's
 * calibrated (or the imported file's) parameters. An INT8 TFLite whose
 * concat / resize parameters are not tied is written but named on stderr:
 * TFLite's int8 kernels require them tied (vsr_models_export_report).
 */
static int write_model(const vsr_graph *g, enum fmt f, vsr_precision prec, int h, int w,
                       const char *path, vsr_error *err)
{
    vsr_models_export_options o = {.precision = prec == VSR_PREC_INT8 ? VSR_MODELS_EXPORT_INT8
                                                                      : VSR_MODELS_EXPORT_FP32};
    vsr_models_export_report rep = {0};
    int rc = f == FMT_ONNX ? vsr_models_export_onnx_ex(g, h, w, path, &o, err)
                           : vsr_models_export_tflite_ex(g, h, w, path, &o, &rep, err);
    if (!rc && rep.int8_untied)
        fprintf(stderr,
                "vsrbench export: warning: %d op(s) (first '%s') have inputs quantized "
                "unlike their output; TFLite's int8 concat / resize kernels need them tied, "
                "so a device may refuse or round them differently\n",
                rep.int8_untied, rep.first_untied);
    return rc;
}

/*
 * INT8: the parameters of @p inst's graph, from its INT8 .tflite (method
 * "file") or calibrated by @p method on the first @p n frames of @p src.
 */
static int calibrate(vsr_models_instance *inst, const char *src, long n, const char *method,
                     vsr_error *err)
{
    vsr_graph *g = inst->graph;
    const vsr_models_arch *a = &inst->arch;
    if (!src) {
        if (vsr_graph_quant_missing(g) < 0)
            return vsr_models_calibrate(g, NULL, a->temporal, a->in_channels, a->state_channels,
                                        a->entry->name, "file", 0, NULL, 0, err);
        return vsr_error_set(err, -EINVAL,
                             "--precision int8 needs frames to calibrate on: --calib SRC (a "
                             "video or a folder of images)");
    }
    vsr_source *s = NULL;
    vsr_frame *fr = calloc((size_t)n, sizeof(*fr));
    int rc =
        fr ? vsr_source_open(src, 3, &s, err) : vsr_error_set(err, -ENOMEM, "out of memory");
    int got = 0;
    while (!rc && got < n && (rc = vsr_source_read(s, &fr[got], err)) > 0)
        got++, rc = 0;
    if (!rc && got == 0)
        rc = vsr_error_set(err, -ENODATA, "--calib %s: no frame to calibrate on", src);
    if (!rc)
        rc = vsr_models_calibrate(g, NULL, a->temporal, a->in_channels, a->state_channels,
                                  a->entry->name, method, got, fr, got, err);
    for (int i = 0; fr && i < got; i++)
        vsr_frame_free(&fr[i]);
    free(fr);
    vsr_source_close(&s);
    return rc;
}

static json_t *hparams_json(const vsr_models_arch *a)
{
    json_t *o = json_object();
    int n = 0;
    const vsr_models_option *opt = vsr_models_family_options(a->hp.family, &n);
    for (int i = 0; o && i < n; i++) {
        char v[128];
        if (!vsr_models_hparams_value(&a->hp, &opt[i], v, sizeof(v)))
            json_object_set_new(o, opt[i].name, json_string(v));
    }
    return o;
}

/* The graph's inputs with their shapes in the file's layout. */
static json_t *inputs_json(const vsr_graph *g, enum fmt f)
{
    json_t *a = json_array();
    for (int i = 0; a && i < vsr_graph_input_count(g); i++) {
        const char *nm;
        int h, w, c, t;
        vsr_graph_input_info(g, i, &nm, &h, &w, &c, &t);
        json_t *shape =
            f == FMT_ONNX ? json_pack("[iiii]", 1, c, h, w) : json_pack("[iiii]", 1, h, w, c);
        json_array_append_new(a, json_pack("{s:s, s:o, s:s}", "name", nm, "shape", shape,
                                           "layout", f == FMT_ONNX ? "NCHW" : "NHWC"));
    }
    return a;
}

/* DIR/benchmark.sh: the device timing command for the bundled file. */
static int write_benchmark_script(const char *dir, const char *file, enum fmt f, vsr_error *err)
{
    char path[4096], q[1024];
    if ((size_t)snprintf(path, sizeof(path), "%s/benchmark.sh", dir) >= sizeof(path))
        return vsr_error_set(err, -ENAMETOOLONG, "--bundle %s: path too long", dir);
    shell_quote(q, sizeof(q), file);
    char body[8192];
    int len;
    if (f == FMT_TFLITE)
        len = snprintf(
            body, sizeof(body),
            "#!/bin/sh\n"
            "# Written by vsrbench export: time %s on an Android device with TFLite's\n"
            "# benchmark_model (its prebuilt binary pushed to /data/local/tmp), over "
            "adb.\n"
            "# THREADS (default 4) and DELEGATE (e.g. --use_gpu=true, "
            "--use_nnapi=true)\n"
            "# choose the backend; the log is written beside this script.\n"
            "set -e\n"
            "cd \"$(dirname \"$0\")\"\n"
            "BM=${BENCHMARK_MODEL:-/data/local/tmp/benchmark_model}\n"
            "adb push %s /data/local/tmp/%s\n"
            "adb shell \"$BM\" --graph=/data/local/tmp/%s --num_threads=${THREADS:-4} "
            "--warmup_runs=5 --num_runs=50 ${DELEGATE:-} | tee %s.benchmark_model.log\n",
            file, q, q, q, q);
    else
        len =
            snprintf(body, sizeof(body),
                     "#!/bin/sh\n"
                     "# Written by vsrbench export: time %s with ONNX Runtime's "
                     "onnxruntime_perf_test\n"
                     "# (THREADS intra-op threads, default 1); the log is written beside this "
                     "script.\n"
                     "set -e\n"
                     "cd \"$(dirname \"$0\")\"\n"
                     "onnxruntime_perf_test -m times -r 50 -x ${THREADS:-1} %s | tee "
                     "%s.perf_test.log\n",
                     file, q, q);
    if (len < 0 || (size_t)len >= sizeof(body))
        return vsr_error_set(err, -ENAMETOOLONG, "%s: model name too long", file);
    int rc = vsr_atomic_write(path, body, (size_t)len, err);
    if (!rc && chmod(path, 0755) != 0)
        rc = vsr_error_set(err, -errno, "%s: cannot make it executable", path);
    return rc;
}

/* --bundle DIR: the file, manifest.json, benchmark.sh. */
static int write_bundle(const char *dir, const char *out, const vsr_models_instance *inst,
                        const char *weights, enum fmt f, vsr_precision prec, const char *cmd,
                        vsr_error *err)
{
    int rc = vsr_mkdir_p(dir, err);
    if (rc)
        return rc;
    char copy[4096], wsha[65], msha[65], mpath[4096];
    const char *name = base_name(out);
    if ((size_t)snprintf(copy, sizeof(copy), "%s/%s", dir, name) >= sizeof(copy) ||
        (size_t)snprintf(mpath, sizeof(mpath), "%s/manifest.json", dir) >= sizeof(mpath))
        return vsr_error_set(err, -ENAMETOOLONG, "--bundle %s: path too long", dir);
    if (vsr_path_aliases(copy, out, NULL) != 1) {
        uint8_t *buf = NULL;
        size_t len = 0;
        rc = vsr_read_file(out, SIZE_MAX / 2, 0, &buf, &len, err);
        if (!rc)
            rc = vsr_atomic_write(copy, buf, len, err);
        free(buf);
        if (rc)
            return rc;
    }
    struct stat st;
    if ((rc = vsr_sha256_file(weights, wsha, err)) || (rc = vsr_sha256_file(copy, msha, err)))
        return rc;
    if (stat(copy, &st) != 0)
        return vsr_error_set(err, -errno, "%s: cannot stat", copy);
    json_t *doc = json_pack(
        "{s:s, s:s, s:s, s:o, s:{s:s, s:s}, s:{s:s, s:s, s:I}, s:s, s:s, s:o, s:s, s:s}",
        "vsrbench_export", "1", "model", inst->arch.entry->name, "family",
        vsr_graph_get_meta(inst->graph, "family") ? vsr_graph_get_meta(inst->graph, "family")
                                                  : "",
        "hyperparameters", hparams_json(&inst->arch), "weights", "path", weights, "sha256",
        wsha, "file", "name", name, "sha256", msha, "bytes", (json_int_t)st.st_size, "format",
        f == FMT_ONNX ? "onnx" : "tflite", "precision", vsr_precision_name(prec), "inputs",
        inputs_json(inst->graph, f), "vsrbench_version", VSR_VERSION, "command", cmd);
    if (!doc)
        return vsr_error_set(err, -ENOMEM, "manifest: out of memory");
    rc = vsr_report_json_write(doc, mpath, err);
    json_decref(doc);
    return rc ? rc : write_benchmark_script(dir, name, f, err);
}

int vsr_cmd_export(int argc, char **argv)
{
    static const struct option opts[] = {
        VSR_CLI_SHARED(VSR_CLI_OPT_WEIGHTS),
        {"format", required_argument, NULL, ARG_FORMAT},
        {"precision", required_argument, NULL, ARG_PRECISION},
        {"input-size", required_argument, NULL, ARG_SIZE},
        {"bundle", required_argument, NULL, ARG_BUNDLE},
        {"set", required_argument, NULL, ARG_SET},
        {"calib", required_argument, NULL, ARG_CALIB},
        VSR_CLI_SHARED(VSR_CLI_OPT_CALIB_FRAMES),
        VSR_CLI_SHARED(VSR_CLI_OPT_CALIBRATION),
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct option long_opts[sizeof(opts) / sizeof(opts[0])];
    vsr_cli_common co; /* --calib-frames default 8 */
    const char *format = NULL, *out = NULL, *bundle = NULL, *calib = NULL;
    vsr_precision prec = VSR_PREC_FP32;
    int h = 180, w = 320, opt, n_set = 0;
    vsr_models_kv kv[MAX_SET];
    vsr_error err = {0};
    enum fmt f = FMT_ONNX;
    int ret = VSR_EXIT_USAGE;
    /* the command as typed, before getopt permutes argv and --set edits it */
    char *cmd = command_line(argc, argv);
    if (!cmd) {
        fprintf(stderr, "vsrbench export: out of memory\n");
        return VSR_EXIT_FAILURE;
    }
    vsr_cli_begin(opts, long_opts, &co);
    co.calibration = "minmax";
    while ((opt = getopt_long(argc, argv, "ho:", long_opts, NULL)) != -1) {
        int rc = 0;
        switch (opt) {
        case ARG_FORMAT:
            format = optarg;
            if (!strcasecmp(format, "onnx"))
                f = FMT_ONNX;
            else if (!strcasecmp(format, "tflite"))
                f = FMT_TFLITE;
            else
                rc = vsr_error_set(&err, -EINVAL, "--format %s: expected onnx or tflite",
                                   format);
            break;
        case ARG_PRECISION:
            rc = vsr_precision_parse(optarg, &prec, &err);
            if (!rc && prec != VSR_PREC_FP32 && prec != VSR_PREC_INT8)
                rc = vsr_error_set(&err, -EINVAL, "--precision %s: expected fp32 or int8",
                                   optarg);
            break;
        case ARG_SIZE:
            rc = vsr_cli_parse_size(optarg, "--input-size", &h, &w, &err);
            break;
        case ARG_BUNDLE:
            bundle = optarg;
            break;
        case ARG_CALIB:
            calib = optarg;
            break;
        case ARG_SET: {
            char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg || n_set == MAX_SET) {
                rc = vsr_error_set(&err, -EINVAL, "--set %s: expected KEY=VALUE (at most %d)",
                                   optarg, MAX_SET);
                break;
            }
            kv[n_set].key = optarg;
            kv[n_set].value = eq + 1;
            *eq = '\0'; /* argv is ours to edit (cmd was taken before) */
            n_set++;
            break;
        }
        case 'o':
            out = optarg;
            break;
        default: /* a shared option (rc 1), -h, --help or a bad option */
            if (!(rc = vsr_cli_common_opt(opt, optarg, &co, &err))) {
                free(cmd);
                return vsr_cli_help_exit(opt, usage);
            }
        }
        if (rc < 0) {
            fprintf(stderr, "vsrbench export: %s\n", err.msg);
            free(cmd);
            return VSR_EXIT_USAGE;
        }
    }
    vsr_models_instance *inst = NULL;
    const char *weights = co.weights;
    if (argc - optind != 1 || !weights || !format || !out) {
        vsr_error_set(&err, -EINVAL,
                      "expected MODEL, --weights W, --format onnx|tflite and -o OUT; see "
                      "'vsrbench export --help'");
        goto done;
    }
    const char *model = argv[optind];
    if (vsr_path_check_output(out, weights, "--weights", &err) ||
        (bundle && vsr_path_check_output(bundle, weights, "--weights", &err)))
        goto done;
    vsr_models_spec spec = {.model = model,
                            .hparams = kv,
                            .n_hparams = n_set,
                            .h = h,
                            .w = w,
                            .precision = VSR_PREC_FP32,
                            .flags = VSR_MODELS_OPEN_NO_ENGINE};
    vsr_models_spec_weights_from_path(&spec, weights);
    int rc = vsr_models_open(&spec, &inst, &err);
    if (rc) {
        ret = vsr_cli_input_exit(rc);
        goto done;
    }
    if (!inst->graph) {
        vsr_error_set(&err, -EINVAL, "%s has no graph to export", model);
        goto done;
    }
    if (prec == VSR_PREC_INT8 &&
        (rc = calibrate(inst, calib, co.calib_frames, co.calibration, &err))) {
        ret = rc == -EINVAL ? VSR_EXIT_USAGE : vsr_cli_input_exit(rc);
        goto done;
    }
    if ((rc = write_model(inst->graph, f, prec, h, w, out, &err))) {
        ret = rc == -ENOTSUP || rc == -EINVAL ? VSR_EXIT_USAGE : VSR_EXIT_FAILURE;
        goto done;
    }
    ret = VSR_EXIT_FAILURE;
    if (bundle && write_bundle(bundle, out, inst, weights, f, prec, cmd, &err))
        goto done;
    printf("vsrbench export: %s -> %s (%s, %s, %dx%d)%s%s\n", model, out,
           f == FMT_ONNX ? "ONNX" : "TFLite", vsr_precision_name(prec), h, w,
           bundle ? ", bundle " : "", bundle ? bundle : "");
    ret = VSR_EXIT_OK;
done:
    if (ret != VSR_EXIT_OK && err.msg[0])
        fprintf(stderr, "vsrbench export: %s\n", err.msg);
    free(cmd);
    vsr_models_close(&inst);
    return ret;
}
