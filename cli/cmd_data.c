/*
 * vsrbench data: build the embedded demo dataset, apply a degradation.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <libavutil/log.h>

#include "commands.h"
#include "vsr/core.h"
#include "vsr/datasets.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: vsrbench data demo [--dir DIR] [--train] [--no-gt]\n"
            "       vsrbench data degrade --in DIR|VIDEO --out DIR [--mode bi|bd] [--scale N]\n"
            "\n"
            "demo     build the embedded demo dataset (deterministic, from the Debian package\n"
            "         opencv-doc) in DIR/demo: GT/<clip>/%%08d.png and BIx4/<clip>/%%08d.png,\n"
            "         3 clips x 8 frames, GT 480x272, LR 120x68, with MANIFEST.tsv. Skipped\n"
            "         when the manifest already matches. DIR defaults to $VSR_DATA_DIR, else\n"
            "         ./.cache/vsrbench. --train also builds the disjoint training set in\n"
            "         DIR/demo_train. --no-gt also builds DIR/demo_nogt, the same LR frames\n"
            "         without GT (BIx4/<clip>/ only: the contest case; a config dataset\n"
            "         {type: demo, no_gt: true} or tune --dataset demo-nogt uses it).\n"
            "degrade  read frames from a video and write the degraded frames as\n"
            "         DIR/%%08d.png, or degrade every image of a folder (an image set: sizes\n"
            "         may differ, each image is modcropped on its own, a gray image stays\n"
            "         gray) into DIR/<name>.png. bi: modcrop + MATLAB bicubic 1/scale\n"
            "         (default); bd: modcrop + 13x13 Gaussian (sigma 1.6) + decimation.\n"
            "         Scale default 4.\n"
            "\n"
            "options:\n"
            "  -d, --dir DIR     data dir for 'demo'\n"
            "      --train       also build DIR/demo_train\n"
            "      --no-gt       also build DIR/demo_nogt (LR frames only)\n"
            "  -i, --in PATH     input frame folder or video file\n"
            "  -o, --out DIR     output folder (created; frames written atomically); must\n"
            "                    not be, contain or lie inside --in\n"
            "  -m, --mode MODE   bi or bd\n"
            "  -s, --scale N     integer scale 2..8 (default 4)\n"
            "  -v, --verbose     progress messages\n"
            "  -h, --help        this help\n"
            "exit codes: 0 ok, 1 runtime failure, 2 usage error\n");
}

static int cmd_demo(const char *dir, int train, int no_gt)
{
    vsr_error err = {0};
    char buf[4096];
    if (!dir) {
        if (vsr_demo_default_dir(buf, sizeof(buf), &err) < 0) {
            fprintf(stderr, "vsrbench: data demo: %s\n", err.msg);
            return VSR_EXIT_FAILURE;
        }
        dir = buf;
    }
    if (vsr_demo_build(dir, &err) < 0 || (train && vsr_demo_build_train(dir, &err) < 0) ||
        (no_gt && vsr_demo_build_no_gt(dir, &err) < 0)) {
        fprintf(stderr, "vsrbench: data demo: %s\n", err.msg);
        return VSR_EXIT_FAILURE;
    }
    printf("demo dataset ready: %s/%s (vid4 layout, %d clips)\n", dir, VSR_DEMO_SUBDIR,
           vsr_demo_clip_count());
    if (train)
        printf("training set ready: %s/%s\n", dir, VSR_DEMO_TRAIN_SUBDIR);
    if (no_gt)
        printf("LR-only demo ready: %s/%s (vid4 layout without GT)\n", dir,
               VSR_DEMO_NOGT_SUBDIR);
    return VSR_EXIT_OK;
}

static int cmd_degrade(const char *in, const char *out, enum vsr_degradation mode, int scale)
{
    vsr_error err = {0};
    vsr_source *src = NULL;
    vsr_sink *sink = NULL;
    vsr_frame f = {0}, lr = {0};
    int rc, n = 0;
    vsr_sink_options opt = {.kind = VSR_SINK_PNG_DIR};
    /* a folder is an image set: every image at its own size and channel
     * count (gray stays gray), written under its own name */
    struct stat st;
    const int folder = stat(in, &st) == 0 && S_ISDIR(st.st_mode);
    if ((rc = vsr_source_open(in, folder ? 0 : 3, &src, &err)) < 0 ||
        (folder && (rc = vsr_source_set_per_image(src, 1, &err)) < 0) ||
        (rc = vsr_sink_open(out, &opt, &sink, &err)) < 0)
        goto done;
    while ((rc = vsr_source_read(src, &f, &err)) > 0) {
        if ((rc = vsr_degrade(&f, mode, scale, &lr, &err)) < 0)
            goto done;
        if (folder) {
            const char *name = vsr_source_frame_name(src, n);
            const char *dot = strrchr(name, '.');
            const int len = (int)(dot && dot != name ? (size_t)(dot - name) : strlen(name));
            char stem[1024];
            snprintf(stem, sizeof(stem), "%.*s", len, name);
            for (int k = 0; k < n; k++) { /* a.jpg and a.png: one would overwrite the other */
                const char *o = vsr_source_frame_name(src, k);
                if (!strncmp(o, name, (size_t)len + 1) && strchr(o + len + 1, '.') == NULL &&
                    o[len] == '.') {
                    rc = vsr_error_set(&err, -EEXIST, "%s: %s and %s would both be %s.png", in,
                                       o, name, stem);
                    goto done;
                }
            }
            rc = vsr_sink_write_named(sink, &lr, stem, &err);
        } else {
            rc = vsr_sink_write(sink, &lr, &err);
        }
        if (rc < 0)
            goto done;
        vsr_frame_free(&lr);
        n++;
    }
    if (rc == 0)
        rc = vsr_sink_close(&sink, &err);
done:
    vsr_frame_free(&f);
    vsr_frame_free(&lr);
    vsr_sink_abort(&sink);
    vsr_source_close(&src);
    if (rc < 0) {
        fprintf(stderr, "vsrbench: data degrade: %s\n", err.msg);
        return VSR_EXIT_FAILURE;
    }
    printf("%d frames degraded (%s x%d) into %s\n", n, vsr_degradation_name(mode), scale, out);
    return VSR_EXIT_OK;
}

int vsr_cmd_data(int argc, char **argv)
{
    enum { ARG_TRAIN = 256, ARG_NO_GT };
    static const struct option opts[] = {
        {"dir", required_argument, NULL, 'd'},   {"train", no_argument, NULL, ARG_TRAIN},
        {"no-gt", no_argument, NULL, ARG_NO_GT}, {"in", required_argument, NULL, 'i'},
        {"out", required_argument, NULL, 'o'},   {"mode", required_argument, NULL, 'm'},
        {"scale", required_argument, NULL, 's'}, {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    const char *dir = NULL, *in = NULL, *out = NULL;
    int train = 0, no_gt = 0;
    long scale = 4;
    enum vsr_degradation mode = VSR_DEGRADE_BI;
    vsr_error err = {0};
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":d:i:o:m:s:vh", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            dir = optarg;
            break;
        case ARG_TRAIN:
            train = 1;
            break;
        case ARG_NO_GT:
            no_gt = 1;
            break;
        case 'i':
            in = optarg;
            break;
        case 'o':
            out = optarg;
            break;
        case 'm':
            if (vsr_degradation_parse(optarg, &mode, &err) < 0) {
                fprintf(stderr, "vsrbench: data: --mode: %s\n", err.msg);
                return VSR_EXIT_USAGE;
            }
            break;
        case 's':
            if (vsr_parse_long(optarg, 2, 8, &scale, "--scale", &err) < 0) {
                fprintf(stderr, "vsrbench: data: %s\n", err.msg);
                return VSR_EXIT_USAGE;
            }
            break;
        case 'v':
            vsr_log_set_level(VSR_LOG_INFO);
            break;
        case 'h':
            usage(stdout);
            return VSR_EXIT_OK;
        case ':':
            fprintf(stderr,
                    "vsrbench: data: option '%s' needs a value; see 'vsrbench data --help'\n",
                    argv[optind - 1]);
            return VSR_EXIT_USAGE;
        default:
            fprintf(stderr, "vsrbench: data: unknown option '%s'; see 'vsrbench data --help'\n",
                    argv[optind - 1]);
            return VSR_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "vsrbench: data: missing action (demo or degrade); see 'vsrbench data "
                        "--help'\n");
        return VSR_EXIT_USAGE;
    }
    const char *action = argv[optind];
    if (optind + 1 < argc) {
        fprintf(stderr, "vsrbench: data: unexpected argument '%s'\n", argv[optind + 1]);
        return VSR_EXIT_USAGE;
    }
    av_log_set_level(vsr_log_get_level() >= VSR_LOG_DEBUG ? AV_LOG_INFO : AV_LOG_FATAL);
    if (!strcmp(action, "demo")) {
        if (in || out) {
            fprintf(stderr, "vsrbench: data demo: --in/--out belong to 'data degrade'\n");
            return VSR_EXIT_USAGE;
        }
        return cmd_demo(dir, train, no_gt);
    }
    if (!strcmp(action, "degrade")) {
        if (!in || !out) {
            fprintf(stderr, "vsrbench: data degrade: needs --in DIR|VIDEO and --out DIR\n");
            return VSR_EXIT_USAGE;
        }
        if (vsr_path_check_output(out, in, "--in", &err)) {
            fprintf(stderr, "vsrbench: data degrade: --out %s\n", err.msg);
            return VSR_EXIT_USAGE;
        }
        return cmd_degrade(in, out, mode, (int)scale);
    }
    fprintf(stderr, "vsrbench: data: '%s' is not an action (demo, degrade)\n", action);
    return VSR_EXIT_USAGE;
}
