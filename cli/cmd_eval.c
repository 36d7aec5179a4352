/*
 * vsrbench eval: score SR output against ground truth (PSNR, SSIM) and/or
 * without reference (NIQE). Inputs: two images, two folders (paired by
 * name) or two videos; NIQE alone with --sr B --niqe.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "commands.h"
#include "pipeline.h"
#include "vsr/core.h"
#include "vsr/datasets.h"
#include "vsr/metrics.h"
#include "vsr/reports.h"

enum { FMT_TABLE, FMT_JSON, FMT_CSV };
enum { MAXM = 16 }; /* scores per frame */

static void usage(FILE *out)
{
    fprintf(out,
            "usage: vsrbench eval --gt A --sr B [options]\n"
            "       vsrbench eval --sr B --niqe [options]\n"
            "       vsrbench eval [--gt A] --sr B --metrics LIST [options]\n"
            "\n"
            "Score SR frames against ground truth with the BasicSR v1.4.2 / MATLAB\n"
            "conventions. A and B are two image files, two folders of images (paired\n"
            "by file name without extension, sorted; a frame without a partner is an\n"
            "error) or two video files. A folder is an image set: its images may differ\n"
            "in size and each pair is scored at its own size; the mean is the mean over\n"
            "images (BasicSR's calculate_psnr_ssim.py). A gray GT image scores against\n"
            "the gray of the SR image (0.299 R + 0.587 G + 0.114 B, rounded), and its\n"
            "--y value is that of the gray plane itself.\n"
            "\n"
            "  --gt PATH            ground truth (image, folder or video)\n"
            "  --sr PATH            output to score (same kind as --gt)\n"
            "  --crop-border N      remove N pixels from every side first (default 0)\n"
            "  --y                  PSNR/SSIM on the BT.601 Y channel (unrounded,\n"
            "                       16..235) instead of RGB\n"
            "  --metrics LIST       the metrics to compute, by name (comma separated; any\n"
            "                       metric of the registry: psnr,ssim,niqe...; default\n"
            "                       psnr,ssim); no-reference ones need no --gt\n"
            "  --niqe               also compute NIQE of --sr (Y channel); alone with --sr\n"
            "  --niqe-model PATH    pristine model file (default $VSR_NIQE_MODEL, else\n"
            "                       the built-in LIVE/BasicSR pristine parameters)\n"
            "  --threads N          worker threads (default: all cores; 1 = no pool)\n"
            "  --format F           table (default), json or csv\n"
            "  -h, --help           this text\n"
            "\n"
            "PSNR of identical frames is +inf: printed \"inf\" (a JSON string in json),\n"
            "excluded from the mean with a warning. Exit status: 0 ok, 1 failure\n"
            "(unreadable or mismatched inputs), 2 usage error.\n");
    fprintf(out, "\nMetrics (--metrics; name, direction, reference):");
    for (const vsr_metric *const *m = vsr_metrics_list(); *m; m++)
        fprintf(out, "%s %s (%s, %s)", m == vsr_metrics_list() ? "" : ",", (*m)->name,
                (*m)->higher_better ? "higher" : "lower", (*m)->needs_ref ? "GT" : "no GT");
    fprintf(out, "\n");
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_image_name(const char *p)
{
    static const char *ext[] = {".png",  ".jpg",  ".jpeg", ".bmp", ".tif",
                                ".tiff", ".webp", ".ppm",  ".pgm", NULL};
    const char *dot = strrchr(p, '.');
    for (int i = 0; dot && ext[i]; i++)
        if (!strcasecmp(dot, ext[i]))
            return 1;
    return 0;
}

/* Length of @p name without its extension. */
static size_t stem_len(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && dot != name ? (size_t)(dot - name) : strlen(name);
}

/* One input: a single image or a frame source. */
typedef struct input {
    const char *path;
    vsr_source *src;
    vsr_frame single;
    int is_single;
    int done_single;
} input;

static int input_open(input *in, const char *path, vsr_error *err)
{
    in->path = path;
    if (!is_dir(path) && is_image_name(path)) {
        in->is_single = 1;
        return vsr_image_read(path, 0, &in->single, err);
    }
    int rc = vsr_source_open(path, 0, &in->src, err);
    /* a folder is an image set: each file scores at its own size and
     * channel count (BasicSR's calculate_psnr_ssim.py reads them one by one) */
    if (rc == 0 && is_dir(path))
        rc = vsr_source_set_per_image(in->src, 1, err);
    return rc;
}

static int input_count(const input *in)
{
    return in->is_single ? 1 : vsr_source_frame_count(in->src);
}

/* Name of frame i for messages and output: the file name, or "frame N". */
static const char *input_name(const input *in, int i, char *buf, size_t cap)
{
    if (in->is_single)
        return in->path;
    const char *n = vsr_source_frame_name(in->src, i);
    if (n)
        return n;
    snprintf(buf, cap, "frame %d", i);
    return buf;
}

/* 1 frame read, 0 end, < 0 error. For a single image @p f becomes a view. */
static int input_read(input *in, vsr_frame *f, vsr_error *err)
{
    if (in->is_single) {
        if (in->done_single)
            return 0;
        in->done_single = 1;
        *f = in->single;
        f->owned = 0;
        return 1;
    }
    return vsr_source_read(in->src, f, err);
}

static void input_close(input *in)
{
    vsr_frame_free(&in->single);
    vsr_source_close(&in->src);
}

/* Folders: every frame must have a partner with the same name (stem). */
static int check_pairing(const input *gt, const input *sr, vsr_error *err)
{
    const int ng = vsr_source_frame_count(gt->src), ns = vsr_source_frame_count(sr->src);
    int i = 0, j = 0;
    while (i < ng || j < ns) {
        const char *a = i < ng ? vsr_source_frame_name(gt->src, i) : NULL;
        const char *b = j < ns ? vsr_source_frame_name(sr->src, j) : NULL;
        int c;
        if (!a)
            c = 1;
        else if (!b)
            c = -1;
        else {
            const size_t la = stem_len(a), lb = stem_len(b);
            c = strncmp(a, b, la < lb ? la : lb);
            if (c == 0)
                c = la < lb ? -1 : la > lb ? 1 : 0;
        }
        if (c < 0)
            return vsr_error_set(err, -ENOENT, "%s/%s has no partner in %s", gt->path, a,
                                 sr->path);
        if (c > 0)
            return vsr_error_set(err, -ENOENT, "%s/%s has no partner in %s", sr->path, b,
                                 gt->path);
        i++;
        j++;
    }
    return 0;
}

typedef struct result {
    double v[MAXM];
    char name[256];
} result;

/*
 * --format json (Jansson): {"version", "gt", "sr", "settings", "frames":
 * [{"frameNum", "metrics", "name"}], "pooled_metrics"} -- VMAF's layout,
 * vsr_report_json_frames(); values with 6 decimals.
 */
static int print_json(const char *gt_path, const char *sr_path, long crop, int y,
                      const result *res, int n, const char *const *col, int nm, vsr_error *err)
{
    double *v = malloc(sizeof(*v) * (size_t)n * (size_t)(nm ? nm : 1));
    json_t *doc = json_pack("{s:s, s:o, s:o, s:{s:I, s:b}}", "version", "vsrbench eval", "gt",
                            gt_path ? vsr_report_json_str(gt_path) : json_null(), "sr",
                            vsr_report_json_str(sr_path), "settings", "crop_border",
                            (json_int_t)crop, "y_channel", y);
    int rc = v && doc ? 0 : vsr_error_set(err, -ENOMEM, "JSON: out of memory");
    for (int i = 0; i < n && !rc; i++)
        for (int m = 0; m < nm; m++)
            v[(size_t)i * nm + m] = res[i].v[m];
    if (!rc)
        rc = vsr_report_json_frames(doc, v, n, nm, col, 6, err);
    json_t *frames = rc ? NULL : json_object_get(doc, "frames");
    for (int i = 0; i < n && !rc; i++)
        if (json_object_set_new(json_array_get(frames, (size_t)i), "name",
                                vsr_report_json_str(res[i].name)))
            rc = vsr_error_set(err, -ENOMEM, "JSON: out of memory");
    if (!rc)
        rc = vsr_report_json_write(doc, "-", err);
    json_decref(doc);
    free(v);
    return rc;
}

int vsr_cmd_eval(int argc, char **argv)
{
    enum {
        ARG_GT = 256,
        ARG_SR,
        ARG_CROP,
        ARG_Y,
        ARG_NIQE,
        ARG_MODEL,
        ARG_THREADS,
        ARG_FMT,
        ARG_METRICS
    };
    static const struct option opts[] = {
        {"gt", required_argument, NULL, ARG_GT},
        {"sr", required_argument, NULL, ARG_SR},
        {"crop-border", required_argument, NULL, ARG_CROP},
        {"y", no_argument, NULL, ARG_Y},
        {"niqe", no_argument, NULL, ARG_NIQE},
        {"niqe-model", required_argument, NULL, ARG_MODEL},
        {"metrics", required_argument, NULL, ARG_METRICS},
        {"threads", required_argument, NULL, ARG_THREADS},
        {"format", required_argument, NULL, ARG_FMT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *gt_path = NULL, *sr_path = NULL, *model = NULL, *metrics = NULL;
    long crop = 0, threads = 0;
    int y = 0, niqe = 0, fmt = FMT_TABLE;
    vsr_error err = {0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case ARG_GT:
            gt_path = optarg;
            break;
        case ARG_SR:
            sr_path = optarg;
            break;
        case ARG_CROP:
            if (vsr_parse_long(optarg, 0, 100000, &crop, "--crop-border", &err) < 0)
                goto usage_err;
            break;
        case ARG_Y:
            y = 1;
            break;
        case ARG_NIQE:
            niqe = 1;
            break;
        case ARG_MODEL:
            model = optarg;
            niqe = 1;
            break;
        case ARG_METRICS:
            metrics = optarg;
            break;
        case ARG_THREADS:
            if (vsr_parse_long(optarg, 0, 1024, &threads, "--threads", &err) < 0)
                goto usage_err;
            break;
        case ARG_FMT:
            if (!strcmp(optarg, "table"))
                fmt = FMT_TABLE;
            else if (!strcmp(optarg, "json"))
                fmt = FMT_JSON;
            else if (!strcmp(optarg, "csv"))
                fmt = FMT_CSV;
            else {
                vsr_error_set(&err, -EINVAL, "--format %s: expected table, json or csv",
                              optarg);
                goto usage_err;
            }
            break;
        default: /* -h, --help or a bad option */
            return vsr_cli_help_exit(c, usage);
        }
    }
    if (optind < argc) {
        vsr_error_set(&err, -EINVAL, "unexpected argument '%s'", argv[optind]);
        goto usage_err;
    }
    if (!sr_path) {
        vsr_error_set(&err, -EINVAL, "--sr is required");
        goto usage_err;
    }
    /* the metrics by name: --metrics, else psnr,ssim with --gt; --niqe adds niqe */
    const vsr_metric *mlist[MAXM];
    int nml = 0;
    {
        char list[512];
        snprintf(list, sizeof(list), "%s", metrics ? metrics : gt_path ? "psnr,ssim" : "");
        for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save)) {
            const vsr_metric *m;
            if (nml == MAXM) {
                vsr_error_set(&err, -EINVAL, "--metrics: at most %d metrics", MAXM);
                goto usage_err;
            }
            if (vsr_metrics_lookup(tok, &m, &err) < 0) {
                vsr_error_wrap(&err, -EINVAL, "--metrics");
                goto usage_err;
            }
            if (m->needs_ref && !gt_path) {
                vsr_error_set(&err, -EINVAL,
                              "--metrics %s compares with a reference: add --gt A", m->name);
                goto usage_err;
            }
            mlist[nml++] = m;
        }
        const vsr_metric *nq = niqe ? vsr_metrics_find("niqe") : NULL;
        for (int i = 0; nq && i < nml; i++)
            if (mlist[i] == nq)
                nq = NULL;
        if (nq && nml < MAXM)
            mlist[nml++] = nq;
    }
    if (!gt_path && !nml) {
        vsr_error_set(&err, -EINVAL, "--gt is required (or --niqe to score --sr alone)");
        goto usage_err;
    }

    /* the metrics, through the registry */
    vsr_metric_set *set = NULL;
    const char *col[MAXM];
    char colbuf[MAXM][48];
    int dec[MAXM];
    int nm = 0, rc = 0, status = VSR_EXIT_FAILURE;
    input gt = {0}, sr = {0};
    result *res = NULL;
    pthreadpool_t pool = NULL;
    vsr_metric_stats st[MAXM];
    vsr_frame fg = {0}, fs = {0}, fs_gray = {0};
    const vsr_metric_config cfg = {
        .crop_border = (int)crop, .y_channel = y, .niqe_model_path = model};
    for (int i = 0; i < nml; i++) {
        /* one channel each: y with --y when it has one, else its first; the column is
         * named after the metric, "_<channel>" added for a channel other than the first */
        const vsr_metric *m = mlist[i];
        int ch =
            y && vsr_metrics_channel_index(m, "y") >= 0 ? vsr_metrics_channel_index(m, "y") : 0;
        if ((rc = vsr_metrics_set_add(&set, m, 1u << ch, &cfg, &err)) < 0)
            goto fail;
        vsr_metrics_score_name(m->name, ch ? vsr_metrics_channel_name(m, ch) : "", colbuf[nm],
                               sizeof(colbuf[nm]));
        col[nm] = colbuf[nm];
        dec[nm++] = m->decimals ? m->decimals : 6;
    }
    if (threads != 1 && (rc = vsr_cli_pool_create(threads, &pool, &err)) < 0)
        goto fail;

    /* open and pair the inputs */
    if (gt_path && (rc = input_open(&gt, gt_path, &err)) < 0)
        goto fail;
    if ((rc = input_open(&sr, sr_path, &err)) < 0)
        goto fail;
    if (gt_path) {
        if (gt.is_single != sr.is_single || is_dir(gt_path) != is_dir(sr_path)) {
            rc = vsr_error_set(&err, -EINVAL,
                               "--gt %s and --sr %s are not the same kind (two images, two "
                               "folders or two videos)",
                               gt_path, sr_path);
            goto fail;
        }
        if (is_dir(gt_path) && (rc = check_pairing(&gt, &sr, &err)) < 0)
            goto fail;
        const int ng = input_count(&gt), ns = input_count(&sr);
        if (ng >= 0 && ns >= 0 && ng != ns) {
            rc = vsr_error_set(&err, -EINVAL, "%s has %d frames but %s has %d", gt_path, ng,
                               sr_path, ns);
            goto fail;
        }
    }
    for (int m = 0; m < nm; m++)
        vsr_metrics_stats_init(&st[m]);

    int n = 0, cap = 0;
    for (;;) {
        int a = 1;
        if (gt_path && (a = input_read(&gt, &fg, &err)) < 0) {
            rc = a;
            goto fail;
        }
        int b = input_read(&sr, &fs, &err);
        if (b < 0) {
            rc = b;
            goto fail;
        }
        if (!gt_path)
            a = b; /* NIQE alone: --sr decides the length */
        if (!a || !b) {
            if (a != b) {
                rc = vsr_error_set(&err, -EINVAL, "%s ends after %d frames but %s goes on",
                                   a ? sr_path : gt_path, n, a ? gt_path : sr_path);
                goto fail;
            }
            break;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            result *r = realloc(res, sizeof(*res) * (size_t)cap);
            if (!r) {
                rc = vsr_error_set(&err, -ENOMEM, "out of memory after %d frames", n);
                goto fail;
            }
            res = r;
        }
        /* a gray GT image scores against the gray of the SR image */
        const vsr_frame *fsr = &fs;
        vsr_frame_free(&fs_gray);
        if (gt_path && (rc = vsr_pipe_sr_for_gt(&fg, &fs, &fs_gray, &fsr, &err)) < 0)
            goto fail;
        char nb[64], nb2[64];
        snprintf(res[n].name, sizeof(res[n].name), "%s", input_name(&sr, n, nb, sizeof(nb)));
        {
            /* a no-reference metric (NIQE) scores the SR image as it is */
            rc = vsr_metrics_set_run(set, gt_path ? &fg : NULL, fsr, &fs, pool, res[n].v, &err);
            if (rc < 0) {
                /* name the files: "<folder or video>: <frame>" unless a single image */
                const char *gn = gt_path ? input_name(&gt, n, nb2, sizeof(nb2)) : NULL;
                if (gt_path && !gt.is_single)
                    vsr_error_wrap(&err, rc, "%s: %s vs %s: %s", gt_path, gn, sr_path,
                                   res[n].name);
                else if (gt_path)
                    vsr_error_wrap(&err, rc, "%s vs %s", gn, res[n].name);
                else if (!sr.is_single)
                    vsr_error_wrap(&err, rc, "%s: %s", sr_path, res[n].name);
                else
                    vsr_error_wrap(&err, rc, "%s", res[n].name);
                goto fail;
            }
            for (int m = 0; m < nm; m++)
                vsr_metrics_stats_add(&st[m], res[n].v[m]);
        }
        n++;
    }
    if (n == 0) {
        rc = vsr_error_set(&err, -ENODATA, "%s holds no frames", sr_path);
        goto fail;
    }
    for (int m = 0; m < nm; m++)
        if (st[m].n_inf || st[m].n_nan)
            vsr_log(VSR_LOG_WARNING,
                    "%s: %ld of %d frame%s %s (identical frames), excluded from the mean%s",
                    col[m], st[m].n_inf + st[m].n_nan, n, n == 1 ? "" : "s",
                    st[m].n_inf ? "inf" : "nan",
                    st[m].n == 0 ? "; the mean is reported as inf" : "");

    /* output */
    char buf[64];
    if (fmt == FMT_JSON) {
        if ((rc = print_json(gt_path, sr_path, crop, y, res, n, col, nm, &err)) < 0)
            goto fail;
    } else if (fmt == FMT_CSV) {
        printf("frame,name");
        for (int m = 0; m < nm; m++)
            printf(",%s", col[m]);
        printf("\n");
        for (int i = 0; i < n; i++) {
            printf("%d,", i);
            /* names with commas or quotes are quoted */
            if (strpbrk(res[i].name, ",\"\n")) {
                putchar('"');
                for (const char *s = res[i].name; *s; s++) {
                    if (*s == '"')
                        putchar('"');
                    putchar(*s);
                }
                putchar('"');
            } else
                fputs(res[i].name, stdout);
            for (int m = 0; m < nm; m++)
                printf(",%s", vsr_metrics_format(res[i].v[m], 6, buf, sizeof(buf)));
            printf("\n");
        }
        printf("mean,");
        for (int m = 0; m < nm; m++)
            printf(",%s",
                   vsr_metrics_format(vsr_metrics_stats_mean(&st[m]), 6, buf, sizeof(buf)));
        printf("\n");
    } else {
        printf("%-6s %-28s", "frame", "name");
        for (int m = 0; m < nm; m++)
            printf(" %10s", col[m]);
        printf("\n");
        for (int i = 0; i < n; i++) {
            printf("%-6d %-28s", i, res[i].name);
            for (int m = 0; m < nm; m++)
                printf(" %10s", vsr_metrics_format(res[i].v[m], dec[m], buf, sizeof(buf)));
            printf("\n");
        }
        printf("%-6s %-28s", "mean", "");
        for (int m = 0; m < nm; m++)
            printf(" %10s", vsr_metrics_format(vsr_metrics_stats_mean(&st[m]), dec[m], buf,
                                               sizeof(buf)));
        printf("\n");
    }
    status = VSR_EXIT_OK;
fail:
    if (status != VSR_EXIT_OK)
        fprintf(stderr, "vsrbench eval: %s\n", err.msg);
    if (fs.owned)
        vsr_frame_free(&fs);
    if (fg.owned)
        vsr_frame_free(&fg);
    vsr_frame_free(&fs_gray);
    input_close(&gt);
    input_close(&sr);
    free(res);
    vsr_metrics_set_free(&set);
    if (pool)
        pthreadpool_destroy(pool);
    (void)rc;
    return status;
usage_err:
    fprintf(stderr, "vsrbench eval: %s\n", err.msg);
    usage(stderr);
    return VSR_EXIT_USAGE;
}
