/*
 * vsrbench device import: phone timings (TFLite benchmark_model logs, or a
 * CSV of figures typed in by hand, e.g. from AI Benchmark) into the run log's
 * device_timings (bench.h, vsr_device_import()), where reports show them
 * beside the x86 ms of the runs of the same model and precision.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "commands.h"
#include "vsr/bench.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: vsrbench device import LOG_OR_CSV [--db runs.db] [--device NAME]\n"
            "                              [--backend NAME] [--model NAME [--variant V]\n"
            "                              --precision P] [-q]\n"
            "\n"
            "Store a phone's timings in the run log, beside the runs of the same model\n"
            "and precision: reports then show one 'ms on <device>' column per device.\n"
            "LOG_OR_CSV is TFLite benchmark_model output as printed (several models may be\n"
            "concatenated) or, when it ends in .csv, figures typed in by hand with a\n"
            "header: model,ms and optionally device,backend,precision,variant,init_ms,\n"
            "std_ms,count,threads. Importing the same file again (same sha256) adds\n"
            "nothing.\n"
            "\n"
            "options:\n"
            "      --db PATH        run log to add to (must exist; default runs.db)\n"
            "      --device NAME    the phone, e.g. \"OnePlus 7T\" (needed unless the CSV\n"
            "                       has a device column)\n"
            "      --backend NAME   delegate / backend, e.g. \"TFLite GPU FP16\"\n"
            "      --model NAME     zoo model the timings are of (default: the CSV's model\n"
            "                       column, or the log's graph file MODEL_PRECISION.tflite)\n"
            "      --variant V      its ablation variant (default: every variant)\n"
            "      --precision P    fp32, fp16 or int8 (as --model)\n"
            "  -q, --quiet          print nothing on success\n"
            "  -h, --help           this help\n"
            "exit codes: 0 imported (or already there), 1 the run log could not be\n"
            "written (nothing added), 2 usage error or a file that is not timings\n");
}

static int cmd_import(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"device", required_argument, NULL, 'D'},
                                         {"backend", required_argument, NULL, 'b'},
                                         {"model", required_argument, NULL, 'm'},
                                         {"variant", required_argument, NULL, 'v'},
                                         {"precision", required_argument, NULL, 'p'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    vsr_device_import_opts o = {0};
    const char *db = "runs.db";
    int quiet = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 'D':
            o.device = optarg;
            break;
        case 'b':
            o.backend = optarg;
            break;
        case 'm':
            o.model = optarg;
            break;
        case 'v':
            o.variant = optarg;
            break;
        case 'p':
            o.precision = optarg;
            break;
        case 'q':
            quiet = 1;
            break;
        default:
            return vsr_cli_help_exit(c, usage);
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "vsrbench device import: %s; see 'vsrbench device --help'\n",
                optind >= argc ? "name one benchmark_model log or CSV file"
                               : "one file at a time");
        return VSR_EXIT_USAGE;
    }
    const char *path = argv[optind];
    struct stat st;
    if (stat(db, &st) != 0) {
        fprintf(stderr,
                "vsrbench device import: %s: no such run log (make one with 'vsrbench run "
                "CONFIG --db %s', or pass --db)\n",
                db, db);
        return VSR_EXIT_USAGE;
    }
    vsr_error err = {0};
    vsr_runlog *log = NULL;
    int rc = vsr_runlog_open(&log, db, &err);
    if (rc < 0) {
        fprintf(stderr, "vsrbench device import: %s\n", err.msg);
        return rc == -EINVAL ? VSR_EXIT_USAGE : VSR_EXIT_FAILURE;
    }
    vsr_device_import_stats s;
    rc = vsr_device_import(log, path, &o, &s, &err);
    vsr_runlog_close(&log);
    if (rc < 0) {
        fprintf(stderr, "vsrbench device import: %s\n", err.msg);
        return rc == -EIO ? VSR_EXIT_FAILURE : vsr_cli_input_exit(rc);
    }
    if (quiet)
        return VSR_EXIT_OK;
    if (s.added == 0)
        printf("%s: already imported (sha256 %.12s...): %d timing%s, nothing added\n", path,
               s.sha256, s.records, s.records == 1 ? "" : "s");
    else
        printf("%s: %d timing%s imported into %s (%d already there); %d finished run%s of "
               "the same model and precision\n",
               path, s.added, s.added == 1 ? "" : "s", db, s.duplicate, s.runs,
               s.runs == 1 ? "" : "s");
    return VSR_EXIT_OK;
}

int vsr_cmd_device(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "import"))
        return cmd_import(argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return VSR_EXIT_OK;
    }
    fprintf(stderr,
            "vsrbench device: %s; usage: vsrbench device import LOG_OR_CSV --db "
            "runs.db [--device NAME]\n",
            argc < 2 ? "name a subcommand (import)" : "unknown subcommand (import is the one)");
    return VSR_EXIT_USAGE;
}
