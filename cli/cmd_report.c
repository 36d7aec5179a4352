/*
 * vsrbench report: tables (md, csv, html, tex), plots, crops and one
 * index.html, all from runs.db, for any subset of runs (--filter).
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "commands.h"
#include "vsr/reports.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: vsrbench report [--db runs.db] [--out DIR] [--format LIST]\n"
            "                       [--filter 'dataset=vid4,precision=int8'] [--base NAME]\n"
            "                       [--all-runs] [--no-plots] [--plot-size WxH]\n"
            "                       [--crop-gt DIR --crop-lr DIR --crop-sr LABEL=DIR ...\n"
            "                        --crop-frame N --crop-rect X,Y,WxH [--crop-zoom Z]]\n"
            "\n"
            "Leaderboards per dataset and channel, a per-clip table of each video set\n"
            "(PSNR / SSIM per clip and their mean), the research-log table, an ablation\n"
            "table against --base, plots (gnuplot: PSNR vs ms with the Pareto front, PSNR\n"
            "vs params, per-frame PSNR per clip, ablation bars, tune heat maps) and\n"
            "index.html, written to --out (default reports/latest).\n"
            "\n"
            "  --db PATH        run log to read (read-only; default runs.db)\n"
            "  --out DIR        output folder (created; default reports/latest)\n"
            "  --format LIST    any of md,csv,html,tex,json (default all five); json is\n"
            "                   report.json: every table, its text and its raw numbers\n"
            "  --filter PAIRS   key=value[,key=value]: model variant precision dataset\n"
            "                   channel degradation sweep host threads tile pad; a|b = either\n"
            "  --base NAME      ablation base: a model, a variant, or model/variant; every\n"
            "                   other model of the same sweep, dataset, degradation,\n"
            "                   precision and channel becomes a delta row with paired 95%%\n"
            "                   bootstrap intervals (docs/REPORTS.md)\n"
            "  --all-runs       keep every finished run (default: newest per run key)\n"
            "  --no-plots       tables only\n"
            "  --plot-size WxH  PNG/SVG size in pixels (default 960x640)\n"
            "  --crop-gt DIR    GT frames of one clip, --crop-lr DIR its LR frames (bicubic\n"
            "                   panel), --crop-sr LABEL=DIR one model's SR frames (repeat);\n"
            "                   --crop-frame N (0-based), --crop-rect X,Y,WxH in GT pixels,\n"
            "                   --crop-zoom Z (default 2): writes crops.png\n");
}

int vsr_cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"format", required_argument, NULL, 'f'},
                                         {"filter", required_argument, NULL, 'F'},
                                         {"base", required_argument, NULL, 'b'},
                                         {"all-runs", no_argument, NULL, 'A'},
                                         {"no-plots", no_argument, NULL, 'N'},
                                         {"plot-size", required_argument, NULL, 'S'},
                                         {"crop-gt", required_argument, NULL, 'g'},
                                         {"crop-lr", required_argument, NULL, 'l'},
                                         {"crop-sr", required_argument, NULL, 's'},
                                         {"crop-frame", required_argument, NULL, 'n'},
                                         {"crop-rect", required_argument, NULL, 'r'},
                                         {"crop-zoom", required_argument, NULL, 'z'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *db = "runs.db", *outdir = "reports/latest", *filter = NULL, *base = NULL;
    const char *crop_gt = NULL, *crop_lr = NULL, *crop_rect = NULL;
    enum { MAX_SR = 32 };
    char *sr_labels[MAX_SR], *sr_dirs[MAX_SR];
    int nsr = 0;
    long crop_frame = 0, crop_zoom = 2;
    unsigned formats =
        VSR_REPORT_MD | VSR_REPORT_CSV | VSR_REPORT_HTML | VSR_REPORT_TEX | VSR_REPORT_JSON;
    int all_runs = 0, plots = 1;
    vsr_report_plot_opts popts = {.width = 960, .height = 640};
    vsr_error err = {0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 'o':
            outdir = optarg;
            break;
        case 'F':
            filter = optarg;
            break;
        case 'b':
            base = optarg;
            break;
        case 'A':
            all_runs = 1;
            break;
        case 'N':
            plots = 0;
            break;
        case 'g':
            crop_gt = optarg;
            break;
        case 'l':
            crop_lr = optarg;
            break;
        case 'r':
            crop_rect = optarg;
            break;
        case 'f':
            if (vsr_report_parse_formats(optarg, &formats, &err))
                goto usage_error;
            break;
        case 'S': {
            long w, h;
            char *x = strchr(optarg, 'x');
            if (!x) {
                vsr_error_set(&err, -EINVAL, "--plot-size %s: expected WxH", optarg);
                goto usage_error;
            }
            *x = '\0';
            int bad = vsr_parse_long(optarg, 64, 8192, &w, "--plot-size width", &err) ||
                      vsr_parse_long(x + 1, 64, 8192, &h, "--plot-size height", &err);
            *x = 'x';
            if (bad)
                goto usage_error;
            popts.width = (int)w;
            popts.height = (int)h;
            break;
        }
        case 's': {
            char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg || !eq[1]) {
                vsr_error_set(&err, -EINVAL, "--crop-sr %s: expected LABEL=DIR", optarg);
                goto usage_error;
            }
            if (nsr == MAX_SR) {
                vsr_error_set(&err, -EINVAL, "--crop-sr: at most %d", MAX_SR);
                goto usage_error;
            }
            *eq = '\0';
            sr_labels[nsr] = optarg;
            sr_dirs[nsr++] = eq + 1;
            break;
        }
        case 'n':
            if (vsr_parse_long(optarg, 0, 1000000, &crop_frame, "--crop-frame", &err))
                goto usage_error;
            break;
        case 'z':
            if (vsr_parse_long(optarg, 1, 16, &crop_zoom, "--crop-zoom", &err))
                goto usage_error;
            break;
        default: /* -h, --help or a bad option */
            return vsr_cli_help_exit(c, usage);
        }
    }
    if (optind != argc) {
        fprintf(stderr, "vsrbench report: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return VSR_EXIT_USAGE;
    }
    long cx = 0, cy = 0, cw = 0, ch = 0;
    if (crop_gt) {
        if (!crop_rect) {
            vsr_error_set(&err, -EINVAL, "--crop-gt needs --crop-rect X,Y,WxH");
            goto usage_error;
        }
        char rect[128];
        snprintf(rect, sizeof(rect), "%s", crop_rect);
        char *c1 = strchr(rect, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
        char *xx = c2 ? strchr(c2 + 1, 'x') : NULL;
        if (!xx) {
            vsr_error_set(&err, -EINVAL, "--crop-rect %s: expected X,Y,WxH", crop_rect);
            goto usage_error;
        }
        *c1 = *c2 = *xx = '\0';
        if (vsr_parse_long(rect, 0, 100000, &cx, "--crop-rect X", &err) ||
            vsr_parse_long(c1 + 1, 0, 100000, &cy, "--crop-rect Y", &err) ||
            vsr_parse_long(c2 + 1, 1, 100000, &cw, "--crop-rect W", &err) ||
            vsr_parse_long(xx + 1, 1, 100000, &ch, "--crop-rect H", &err))
            goto usage_error;
    }

    vsr_report_opts o;
    vsr_report_opts_init(&o);
    o.db = db;
    o.out = outdir;
    o.filter = filter;
    o.base = base;
    o.formats = formats;
    o.all_runs = all_runs;
    o.plots = plots;
    o.plot = popts;
    o.crop_gt = crop_gt;
    o.crop_lr = crop_lr;
    o.sr_dirs = (const char *const *)sr_dirs;
    o.sr_labels = (const char *const *)sr_labels;
    o.nsr = nsr;
    o.crop_frame = (int)crop_frame;
    o.crop_x = (int)cx;
    o.crop_y = (int)cy;
    o.crop_w = (int)cw;
    o.crop_h = (int)ch;
    o.crop_zoom = (int)crop_zoom;
    o.list = stdout;
    int rc = vsr_report_generate(&o, &err);
    if (rc == 0)
        return VSR_EXIT_OK;
    fprintf(stderr, "vsrbench report: %s\n", err.msg);
    /* A bad --filter or --base is a usage error; the rest are runtime failures. */
    return rc == -EINVAL ? VSR_EXIT_USAGE : VSR_EXIT_FAILURE;
usage_error:
    fprintf(stderr, "vsrbench report: %s\n", err.msg);
    return VSR_EXIT_USAGE;
}
