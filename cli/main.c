/*
 * vsrbench: one binary, git-style subcommands dispatched from a table.
 * A subcommand is listed here only once it works.
 */
#include <stdio.h>
#include <string.h>

#include <libavutil/log.h>

#include "commands.h"
#include "vsr/core.h"

#ifndef VSR_VERSION
#define VSR_VERSION "unknown"
#endif

static const struct vsr_command commands[] = {
    /* {"name", vsr_cmd_name, "one-line summary"}, in the order of --help */
    {"run", vsr_cmd_run, "run a YAML sweep: time, score and record every run"},
    {"data", vsr_cmd_data, "build the demo dataset; degrade frames (BI/BD)"},
    {"report", vsr_cmd_report, "tables, plots, crops and index.html from runs.db"},
    {"eval", vsr_cmd_eval, "PSNR / SSIM (RGB or Y) and NIQE of images, folders, videos"},
    {"models", vsr_cmd_models,
     "list the model zoo (params, MACs); per-layer tables; import weights"},
    {"train", vsr_cmd_train, "train a zoo model (Adam, patches of the demo training set)"},
    {"tune", vsr_cmd_tune, "grid-search tile x pad x threads: ms/frame, seams, Pareto, pick"},
    {"upscale", vsr_cmd_upscale, "upscale a video or frame folder with a zoo model"},
    {"export", vsr_cmd_export, "write a zoo model with its weights as ONNX or TFLite"},
    {"merge", vsr_cmd_merge, "merge run logs (a sweep's shards) into one, in one transaction"},
    {"slurm", vsr_cmd_slurm, "a sweep as a Slurm job array of shards plus a merge job"},
    {"quant-report", vsr_cmd_quant_report, "per-layer INT8 sensitivity: SQNR, PSNR drop, plot"},
    {"compress", vsr_cmd_compress,
     "prune / cluster / fine-tune weights: size, params, PSNR, ms per step"},
    {"device", vsr_cmd_device, "import phone timings (benchmark_model logs, CSV) into runs.db"},
    {NULL, NULL, NULL},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: vsrbench [--version] [--help] <command> [<args>]\n\ncommands:\n");
    for (size_t i = 0; commands[i].name; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'vsrbench <command> --help' describes one command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return VSR_EXIT_USAGE;
    }
    /* FFmpeg's own chatter (e.g. mpeg4 "packed B-frames" notes while the demo
     * set is made) would drown the results; failures reach the user as our
     * one-line errors. A subcommand's -v may raise it again. */
    av_log_set_level(AV_LOG_FATAL);
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
        usage(stdout);
        return VSR_EXIT_OK;
    }
    if (!strcmp(name, "--version")) {
        printf("vsrbench %s\n", VSR_VERSION);
        return VSR_EXIT_OK;
    }
    for (size_t i = 0; commands[i].name; i++)
        if (!strcmp(name, commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "vsrbench: '%s' is not a command; see 'vsrbench --help'\n", name);
    return VSR_EXIT_USAGE;
}
