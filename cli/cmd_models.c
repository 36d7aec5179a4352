/*
 * cmd_models.c: `vsrbench models` - list the zoo, print a model's per-layer
 * table, import trained weights (.npy folder + name map, or TFLite) into the
 * project's .vsrw format, dump a TFLite file, and translate an ONNX graph.
 */
#include <getopt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "vsr/engine.h"
#include "vsr/models.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: vsrbench models [--size HxW]            list the zoo\n"
            "       vsrbench models -v NAME [--size HxW]    per-layer table of NAME\n"
            "       vsrbench models --import NAME (--npy DIR --map MAP.yaml | --tflite FILE |\n"
            "                       --onnx FILE) -o OUT.vsrw  import trained weights\n"
            "       vsrbench models --dump-tflite FILE      list a TFLite file's tensors/ops\n"
            "       vsrbench models --onnx FILE [--size HxW]  translate an ONNX graph (e.g.\n"
            "                       from torch.onnx.export) and print its per-layer table\n"
            "\n"
            "MACs are multiply-accumulates of convolutions and matmuls (docs/MODEL_SPECS.md\n"
            "0.2) at the LR input size (default 180x320). params = deployed (BatchNorm\n"
            "folded); params (Keras) is the research log's count (docs/MODEL_SPECS.md 0.2):\n"
            "BatchNorm as 4*C, ELSR's shared PReLU slope not counted.\n");
}

static int list_zoo(int h, int w)
{
    printf(
        "| model | family | params | params (Keras) | MACs [G] @ %dx%d | temporal | note |\n",
        h, w);
    printf("|---|---|---:|---:|---:|---|---|\n");
    for (int i = 0; i < vsr_models_zoo_count(); i++) {
        const vsr_models_entry *e = vsr_models_zoo_get(i);
        if (e->hp.family == VSR_MODELS_BICUBIC) {
            printf("| %s | %s | 0 | 0 | - | %s | MATLAB bicubic baseline |\n", e->name,
                   vsr_models_family_name(e->hp.family), vsr_models_temporal_name(e->temporal));
            continue;
        }
        vsr_graph *g = NULL;
        vsr_error err = {0};
        vsr_graph_stats s;
        vsr_models_counts lc;
        if (vsr_models_build(&e->hp, e->name, h, w, &g, &err) ||
            vsr_graph_count(g, h, w, VSR_PREC_FP32, &s, &err) ||
            vsr_models_count(&e->hp, h, w, VSR_PREC_FP32, &lc, &err)) {
            fprintf(stderr, "vsrbench: models: %s\n", err.msg);
            vsr_graph_free(&g);
            return VSR_EXIT_FAILURE;
        }
        printf("| %s | %s | %lld | %lld | %.3f | %s | %s |\n", e->name,
               vsr_models_family_name(e->hp.family), (long long)s.params,
               (long long)lc.params_log, (double)s.macs / 1e9,
               vsr_models_temporal_name(e->temporal), e->standin ? "stand-in" : "");
        vsr_graph_free(&g);
    }
    return VSR_EXIT_OK;
}

/* Print *g's per-layer table unless @p rc (an error in @p err) and free *g:
 * the exit code. */
static int print_layers(vsr_graph **g, int h, int w, int rc, vsr_error *err)
{
    if (!rc)
        rc = vsr_graph_print_table(*g, h, w, stdout, err);
    if (!rc) {
        /* the least tile overlap that makes tiles exact (pad: auto) */
        int r = 0;
        vsr_error rf_err = {0};
        if (vsr_graph_receptive_field(*g, &r, &rf_err))
            printf("receptive field: unbounded (%s); no pad makes tiles exact\n", rf_err.msg);
        else
            printf("receptive field: radius %d LR pixels (%dx%d); minimal exact pad: %d "
                   "(pad: auto)\n",
                   r, 2 * r + 1, 2 * r + 1, r);
    }
    vsr_graph_free(g);
    if (rc) {
        fprintf(stderr, "vsrbench: models: %s\n", err->msg);
        return VSR_EXIT_FAILURE;
    }
    return VSR_EXIT_OK;
}

static int show_layers(const char *name, int h, int w)
{
    const vsr_models_entry *e = vsr_models_zoo_find(name);
    if (!e) {
        fprintf(stderr, "vsrbench: models: no model '%s'; 'vsrbench models' lists them\n",
                name);
        return VSR_EXIT_USAGE;
    }
    if (e->hp.family == VSR_MODELS_BICUBIC) {
        printf("%s: %s (no layers)\n", e->name, e->desc);
        return VSR_EXIT_OK;
    }
    vsr_graph *g = NULL;
    vsr_error err = {0};
    char fold[512];
    int rc = vsr_models_build(&e->hp, e->name, h, w, &g, &err);
    if (!rc)
        rc = vsr_models_fold_note(&e->hp, fold, sizeof(fold), &err);
    if (!rc) {
        printf("%s (%s, %s): %s\n", e->name, vsr_models_family_name(e->hp.family),
               vsr_models_temporal_name(e->temporal), e->desc);
        if (fold[0])
            printf("folded from its [0, 1] original (range01=1): %s\n", fold);
        printf("\n");
    }
    return print_layers(&g, h, w, rc, &err);
}

/* Read and translate an ONNX file at h x w; errors name the file. */
static int onnx_graph(const char *path, int h, int w, vsr_graph **g, vsr_error *err)
{
    vsr_models_onnx *m = NULL;
    vsr_models_onnx_import opt = {h, w};
    int rc = vsr_models_onnx_read(path, &m, err);
    if (!rc)
        rc = vsr_models_import_onnx(m, "onnx", &opt, g, err);
    vsr_models_onnx_free(&m);
    if (rc && strncmp(err->msg, path, strlen(path)) != 0)
        vsr_error_wrap(err, rc, "%s", path); /* name the file */
    return rc;
}

/* --onnx FILE alone: the translated graph's per-layer table. */
static int show_onnx(const char *path, int h, int w)
{
    vsr_graph *g = NULL;
    vsr_error err = {0};
    int rc = onnx_graph(path, h, w, &g, &err);
    if (rc) {
        fprintf(stderr, "vsrbench: models: %s\n", err.msg);
        return vsr_cli_input_exit(rc);
    }
    printf("%s: ONNX graph, %d input(s), %d output(s)\n\n", path, vsr_graph_input_count(g),
           vsr_graph_output_count(g));
    return print_layers(&g, h, w, 0, &err);
}

static int do_import(const char *name, const char *npy, const char *map, const char *tfl,
                     const char *onnx, const char *outp)
{
    const vsr_models_entry *e = vsr_models_zoo_find(name);
    if (!e || e->hp.family == VSR_MODELS_BICUBIC) {
        fprintf(stderr, "vsrbench: models: --import needs a zoo model with weights, not '%s'\n",
                name);
        return VSR_EXIT_USAGE;
    }
    if (!outp || (!!npy + !!tfl + !!onnx) != 1 || (npy && !map)) {
        fprintf(stderr, "vsrbench: models: --import needs -o and one of --npy with --map, "
                        "--tflite or --onnx\n");
        return VSR_EXIT_USAGE;
    }
    vsr_graph *g = NULL, *src = NULL;
    vsr_models_tflite m = {0};
    vsr_error err = {0};
    int rc = vsr_models_build(&e->hp, e->name, 180, 320, &g, &err);
    int input = 0; /* rc comes from reading the user's input file */
    if (!rc && npy)
        input = rc = vsr_models_import_npy(g, npy, map, &err);
    if (!rc && tfl) {
        vsr_models_tflite_import opt = {180, 320, 1};
        rc = vsr_models_tflite_read(tfl, &m, &err);
        if (!rc && (rc = vsr_models_import_tflite(&m, "tflite", &opt, &src, &err)) == 0)
            rc = vsr_models_copy_weights_by_order(src, g, &err);
        if (rc && strncmp(err.msg, tfl, strlen(tfl)) != 0)
            vsr_error_wrap(&err, rc, "%s", tfl); /* name the file */
        input = rc;
    }
    if (!rc && onnx) {
        rc = onnx_graph(onnx, 180, 320, &src, &err);
        if (!rc && (rc = vsr_models_copy_weights_by_order(src, g, &err)))
            vsr_error_wrap(&err, rc, "%s", onnx);
        input = rc;
    }
    if (!rc)
        rc = vsr_weights_save(g, outp, &err);
    /* .vsrw stores float weights only: say where the file's INT8 parameters went */
    if (!rc && tfl && src && vsr_graph_quant_missing(src) < 0)
        fprintf(stderr,
                "vsrbench: models: %s: an INT8 file; %s keeps its weights but not its "
                "quantization (INT8 of it calibrates): to use the file's own, pass %s itself "
                "(upscale --weights, or weights: {tflite: ...} in a config)\n",
                tfl, outp, tfl);
    vsr_graph_free(&g);
    vsr_graph_free(&src);
    vsr_models_tflite_free(&m);
    if (rc) {
        fprintf(stderr, "vsrbench: models: %s\n", err.msg);
        /* a corrupt, crafted or unsupported input file is exit 2 */
        return input ? vsr_cli_input_exit(rc) : VSR_EXIT_FAILURE;
    }
    printf("%s: weights written to %s\n", e->name, outp);
    return VSR_EXIT_OK;
}

int vsr_cmd_models(int argc, char **argv)
{
    enum { ARG_IMPORT = 256, ARG_NPY, ARG_MAP, ARG_TFLITE, ARG_DUMP, ARG_SIZE, ARG_ONNX };
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {"verbose", required_argument, NULL, 'v'},
        {"import", required_argument, NULL, ARG_IMPORT},
        {"npy", required_argument, NULL, ARG_NPY},
        {"map", required_argument, NULL, ARG_MAP},
        {"tflite", required_argument, NULL, ARG_TFLITE},
        {"dump-tflite", required_argument, NULL, ARG_DUMP},
        {"onnx", required_argument, NULL, ARG_ONNX},
        {"size", required_argument, NULL, ARG_SIZE},
        {"output", required_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    const char *verbose = NULL, *imp = NULL, *npy = NULL, *map = NULL, *tfl = NULL,
               *dump = NULL, *outp = NULL, *onnx = NULL;
    int h = 180, w = 320, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "hv:o:", opts, NULL)) != -1) {
        switch (c) {
        case 'v':
            verbose = optarg;
            break;
        case 'o':
            outp = optarg;
            break;
        case ARG_IMPORT:
            imp = optarg;
            break;
        case ARG_NPY:
            npy = optarg;
            break;
        case ARG_MAP:
            map = optarg;
            break;
        case ARG_TFLITE:
            tfl = optarg;
            break;
        case ARG_DUMP:
            dump = optarg;
            break;
        case ARG_ONNX:
            onnx = optarg;
            break;
        case ARG_SIZE:
            if (vsr_cli_parse_size(optarg, "--size", &h, &w, NULL)) {
                fprintf(stderr, "vsrbench: models: --size wants HxW, e.g. 180x320\n");
                return VSR_EXIT_USAGE;
            }
            break;
        default: /* -h, --help or a bad option */
            return vsr_cli_help_exit(c, usage);
        }
    }
    if (optind < argc) {
        usage(stderr);
        return VSR_EXIT_USAGE;
    }
    if (dump) {
        vsr_models_tflite m;
        vsr_error err = {0};
        int rc = vsr_models_tflite_read(dump, &m, &err);
        if (rc) {
            fprintf(stderr, "vsrbench: models: %s\n", err.msg);
            return vsr_cli_input_exit(rc);
        }
        vsr_models_tflite_dump(&m, stdout);
        vsr_models_tflite_free(&m);
        return VSR_EXIT_OK;
    }
    if (imp)
        return do_import(imp, npy, map, tfl, onnx, outp);
    if (onnx)
        return show_onnx(onnx, h, w);
    if (verbose)
        return show_layers(verbose, h, w);
    return list_zoo(h, w);
}
