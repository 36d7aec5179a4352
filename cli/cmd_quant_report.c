/*
 * cmd_quant_report.c: `vsrbench quant-report` - per-layer INT8 sensitivity
 * of a zoo model (issue 17). For every conv layer: quantise that layer
 * alone (every other layer FP32) and measure the output's SQNR and PSNR
 * drop against FP32; and quantise every layer but that one (the layer kept
 * FP32 in the INT8 graph) and measure the PSNR drop. Both go through the
 * engine's per-layer precision overrides (vsr_engine_options.layer_prec).
 * Prints the most sensitive layers, writes every layer to a CSV and the
 * top ones to a gnuplot bar plot.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "vsr/datasets.h"
#include "vsr/engine.h"
#include "vsr/metrics.h"
#include "vsr/models.h"
#include "vsr/reports.h"

enum {
    ARG_TOP = 256,
    ARG_SORT,
};

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: vsrbench quant-report MODEL --weights W --dataset D [--clip NAME]\n"
        "                             [--degradation bi|bd] [--frames N] [--top K]\n"
        "                             [--calibration minmax|percentile|mse|ema|kl]\n"
        "                             [--sort sqnr|alone|allbut] [--threads N] [-o DIR]\n"
        "\n"
        "INT8 sensitivity of every conv layer of zoo model MODEL on the first N frames\n"
        "of one clip: (a) that layer alone in INT8, every other layer FP32: output SQNR\n"
        "[dB] against the FP32 output and PSNR drop [dB] against FP32's PSNR; (b) every\n"
        "layer INT8 but that one (kept FP32): PSNR drop. PSNR on Y (BT.601, BasicSR),\n"
        "crop border = scale, the mean over the frames; SQNR = 10 log10(sum ref^2 /\n"
        "sum (ref - out)^2) over every float output value of every frame. INT8 ranges\n"
        "are calibrated on the same frames. Prints the K most sensitive layers, writes\n"
        "every layer to DIR/quant_report.csv and the K most sensitive to the plot\n"
        "DIR/quant_sensitivity.{png,svg,gp}.\n"
        "\n"
        "options:\n"
        "      --weights W      trained weights (.vsrw, or .tflite to import)\n"
        "      --dataset D      a Vid4 / REDS style root: D/GT/<clip>/ (and D/BIx4/<clip>/\n"
        "                       or D/BDx4/<clip>/; a missing LR side is made from GT)\n"
        "      --clip NAME      the clip (default: the first in name order)\n"
        "      --degradation G  bi (default) or bd\n"
        "      --frames N       frames of the clip (default 3)\n"
        "      --top K          rows printed and plotted (default 10)\n"
        "      --calibration C  minmax (default), percentile or mse\n"
        "      --sort S         sqnr (SQNR alone, lowest first; default), alone (PSNR\n"
        "                       drop alone) or allbut (PSNR drop with all but it\n"
        "                       quantised, lowest first: keeping it float helps most)\n"
        "      --threads N      worker threads (default 1)\n"
        "  -o, --output DIR     where the CSV and plot go (default reports/quant_MODEL)\n"
        "  -h, --help           this help\n"
        "exit codes: 0 ok, 1 runtime failure, 2 usage error\n");
}

/* One configuration's scores over the clip. */
typedef struct score {
    double psnr; /* mean over frames */
    double sqnr; /* over all frames; INFINITY when equal to the reference */
} score;

typedef struct layer_row {
    int node;
    char name[VSR_NAME_MAX];
    char desc[64];
    long long params;
    score alone, allbut;
} layer_row;

typedef struct qr {
    vsr_models_instance *inst;
    const vsr_models_entry *entry;
    pthreadpool_t pool;
    vsr_clip clip;
    int scale;
    float **ref; /* FP32 float outputs per frame, or NULL while they are being made */
    size_t out_n;
    float *buf;
    vsr_frame sr;
} qr;

/* Run the clip at @p prec with overrides @p lp (n), score against GT and the FP32
 * outputs (q->ref; stored there when NULL). */
static int evaluate(qr *q, vsr_precision prec, const vsr_layer_precision *lp, int n, score *out,
                    vsr_error *err)
{
    vsr_engine_options o;
    vsr_engine_options_default(&o);
    o.layer_prec = lp;
    o.n_layer_prec = n;
    int rc = vsr_models_start(q->inst, prec, q->pool, &o, err);
    if (rc)
        return rc;
    vsr_models_runner *runner = NULL;
    if ((rc = vsr_models_runner_create(q->entry->temporal, q->scale, &q->inst->step, &runner,
                                       err)))
        return rc;
    double psum = 0, sig = 0, noise = 0;
    int done = 0;
    for (int t = 0; t <= q->clip.n_frames && !rc; t++) {
        /* frame t in (then NULL until the runner is drained); score each SR frame out */
        const vsr_frame *in = t < q->clip.n_frames ? &q->clip.lr[t] : NULL;
        int ready = 0, t_out = -1;
        do {
            if ((rc = vsr_models_runner_push(runner, in, &q->sr, &ready, &t_out, err)) ||
                !ready)
                break;
            int h, w, c;
            if ((rc = vsr_engine_output_shape(q->inst->engine, 0, &h, &w, &c)))
                break;
            if ((size_t)h * w * c != q->out_n || w != q->sr.width || h != q->sr.height ||
                t_out < 0 || t_out >= q->clip.n_frames) {
                rc = vsr_error_set(err, -EINVAL, "%s: output 0 is %dx%dx%d, not the SR frame",
                                   q->entry->name, w, h, c);
                break;
            }
            float *dst = q->ref[t_out] ? q->buf : NULL;
            if (!dst && !(dst = q->ref[t_out] = malloc(q->out_n * sizeof(float)))) {
                rc = vsr_error_set(err, -ENOMEM, "out of memory");
                break;
            }
            if ((rc = vsr_engine_get_output(q->inst->engine, 0, dst, q->out_n, err)))
                break;
            for (size_t k = 0; k < q->out_n; k++) {
                double r = q->ref[t_out][k], d = r - dst[k];
                sig += r * r;
                noise += d * d;
            }
            double p;
            if ((rc = vsr_metrics_psnr(&q->clip.gt[t_out], &q->sr, q->scale, 1, q->pool, &p,
                                       err)))
                break;
            psum += p;
            done++;
        } while (!in && ready);
    }
    vsr_models_runner_free(&runner);
    if (rc)
        return rc;
    if (done != q->clip.n_frames)
        return vsr_error_set(err, -EIO, "%s: %d SR frames for %d LR frames", q->entry->name,
                             done, q->clip.n_frames);
    out->psnr = psum / done;
    out->sqnr = noise > 0 ? 10.0 * log10(sig / noise) : INFINITY;
    return 0;
}

/* The sort value of row @p r by key @p key (lower sorts first): 0 SQNR alone, 1 the
 * PSNR drop alone (largest first), 2 PSNR with all but it quantised (highest first:
 * keeping that layer float helps most). */
static double sort_value(const layer_row *r, int key)
{
    return key == 0 ? r->alone.sqnr : key == 1 ? -r->alone.psnr : -r->allbut.psnr;
}

/* Stable insertion sort by sort_value (a few dozen rows). */
static void sort_rows(layer_row *rows, int n, int key)
{
    for (int i = 1; i < n; i++) {
        layer_row r = rows[i];
        int j = i;
        for (; j > 0 && sort_value(&rows[j - 1], key) > sort_value(&r, key); j--)
            rows[j] = rows[j - 1];
        rows[j] = r;
    }
}

static int write_csv(const char *path, const layer_row *rows, int n, const score *fp32,
                     const score *int8, vsr_error *err)
{
    char tmp[4200];
    int fd = vsr_atomic_temp(path, tmp, sizeof(tmp), err);
    if (fd < 0)
        return fd;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        unlink(tmp);
        return vsr_error_set(err, -errno, "%s: %s", path, strerror(errno));
    }
    fprintf(f, "rank,layer,row,op,params,sqnr_alone_db,psnr_alone_db,psnr_drop_alone_db,"
               "psnr_allbut_db,psnr_drop_allbut_db,int8_psnr_drop_db\n");
    for (int i = 0; i < n; i++)
        fprintf(f, "%d,%s,%d,conv2d %s,%lld,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f\n", i + 1,
                rows[i].name, rows[i].node + 1, rows[i].desc, rows[i].params,
                rows[i].alone.sqnr, rows[i].alone.psnr, fp32->psnr - rows[i].alone.psnr,
                rows[i].allbut.psnr, fp32->psnr - rows[i].allbut.psnr, fp32->psnr - int8->psnr);
    if (fclose(f) != 0) {
        unlink(tmp);
        return vsr_error_set(err, -EIO, "%s: write failed", path);
    }
    return vsr_atomic_rename(tmp, path, err);
}

int vsr_cmd_quant_report(int argc, char **argv)
{
    static const struct option opts[] = {
        VSR_CLI_SHARED(VSR_CLI_OPT_WEIGHTS),
        VSR_CLI_SHARED(VSR_CLI_OPT_DATASET),
        VSR_CLI_SHARED(VSR_CLI_OPT_CLIP),
        VSR_CLI_SHARED(VSR_CLI_OPT_DEGRADATION),
        VSR_CLI_SHARED(VSR_CLI_OPT_FRAMES),
        {"top", required_argument, NULL, ARG_TOP},
        VSR_CLI_SHARED(VSR_CLI_OPT_CALIBRATION),
        VSR_CLI_SHARED(VSR_CLI_OPT_THREADS),
        {"sort", required_argument, NULL, ARG_SORT},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct option long_opts[sizeof(opts) / sizeof(opts[0])];
    vsr_cli_common co;
    const char *outdir = NULL;
    long top = 10;
    int opt, skey = 0;
    vsr_error err = {0};
    vsr_cli_begin(opts, long_opts, &co);
    co.frames = 3;
    co.calibration = "minmax";
    while ((opt = getopt_long(argc, argv, "ho:", long_opts, NULL)) != -1) {
        int rc = 0;
        switch (opt) {
        case ARG_TOP:
            rc = vsr_parse_long(optarg, 1, 100000, &top, "--top", &err);
            break;
        case ARG_SORT:
            skey = !strcmp(optarg, "sqnr")     ? 0
                   : !strcmp(optarg, "alone")  ? 1
                   : !strcmp(optarg, "allbut") ? 2
                                               : -1;
            if (skey < 0)
                rc = vsr_error_set(&err, -EINVAL, "--sort %s: expected sqnr, alone or allbut",
                                   optarg);
            break;
        case 'o':
            outdir = optarg;
            break;
        default: /* a shared option (rc 1), -h, --help or a bad option */
            if (!(rc = vsr_cli_common_opt(opt, optarg, &co, &err)))
                return vsr_cli_help_exit(opt, usage);
        }
        if (rc < 0) {
            fprintf(stderr, "vsrbench quant-report: %s\n", err.msg);
            return VSR_EXIT_USAGE;
        }
    }
    const char *weights = co.weights, *dataset = co.dataset, *calib = co.calibration;
    if (argc - optind != 1 || !weights || !dataset) {
        fprintf(stderr, "vsrbench quant-report: expected MODEL, --weights W and --dataset D; "
                        "see 'vsrbench quant-report --help'\n");
        return VSR_EXIT_USAGE;
    }
    const char *model = argv[optind];
    qr q = {0};
    q.entry = vsr_models_zoo_find(model);
    if (!q.entry || q.entry->hp.family == VSR_MODELS_BICUBIC) {
        fprintf(stderr,
                "vsrbench quant-report: %s: not a zoo model with layers (see 'vsrbench "
                "models')\n",
                model);
        return VSR_EXIT_USAGE;
    }
    char defdir[VSR_NAME_MAX + 32];
    if (!outdir) {
        snprintf(defdir, sizeof(defdir), "reports/quant_%s", q.entry->name);
        outdir = defdir;
    }
    q.scale = q.entry->hp.scale;

    int ret = VSR_EXIT_FAILURE, n_rows = 0;
    vsr_dataset *ds = NULL;
    layer_row *rows = NULL;
    vsr_layer_precision *lp1 = NULL;
    vsr_dataset_spec dspec = vsr_cli_dataset_spec(&co, q.scale);
    if (vsr_dataset_open(&dspec, &ds, &err) || vsr_dataset_load_clip(ds, 0, &q.clip, &err))
        goto fail;
    if (vsr_cli_pool_create(co.threads, &q.pool, &err))
        goto fail;
    int W = q.clip.lr[0].width, H = q.clip.lr[0].height;
    vsr_models_spec spec = {.model = q.entry->name,
                            .h = H,
                            .w = W,
                            .precision = VSR_PREC_INT8,
                            .pool = q.pool,
                            .flags = VSR_MODELS_OPEN_NO_ENGINE};
    vsr_models_spec_weights_from_path(&spec, weights);
    if (vsr_models_open(&spec, &q.inst, &err))
        goto fail;
    vsr_graph *g = q.inst->graph;
    if (vsr_models_calibrate(g, q.pool, q.entry->temporal, q.entry->in_channels,
                             q.entry->state_channels, q.entry->name, calib, q.clip.n_frames,
                             q.clip.lr, q.clip.n_frames, &err))
        goto fail;
    q.out_n = (size_t)W * q.scale * H * q.scale * 3;
    q.ref = calloc((size_t)q.clip.n_frames, sizeof(float *));
    q.buf = malloc(q.out_n * sizeof(float));
    int nl = vsr_graph_layer_count(g);
    rows = calloc((size_t)nl, sizeof(*rows));
    lp1 = calloc(1, sizeof(*lp1));
    if (!q.ref || !q.buf || !rows || !lp1) {
        vsr_error_set(&err, -ENOMEM, "out of memory");
        goto fail;
    }
    if (vsr_frame_alloc(&q.sr, W * q.scale, H * q.scale, 3, &err))
        goto fail;
    for (int i = 0; i < nl; i++) {
        vsr_layer_info li;
        if (vsr_graph_layer_info(g, i, 0, 0, &li, &err))
            goto fail;
        if (li.op != VSR_OP_CONV2D)
            continue;
        layer_row *r = &rows[n_rows++];
        r->node = i;
        snprintf(r->name, sizeof(r->name), "%s", li.name);
        snprintf(r->desc, sizeof(r->desc), "%s", li.desc);
        r->params = (long long)li.params;
    }
    score fp32, int8;
    if (evaluate(&q, VSR_PREC_FP32, NULL, 0, &fp32, &err) ||
        evaluate(&q, VSR_PREC_INT8, NULL, 0, &int8, &err))
        goto fail;
    fprintf(stderr,
            "%s: FP32 %.4f dB, INT8 %.4f dB (drop %.4f dB, SQNR %.2f dB) on %d frames "
            "of %s; %d conv layers, 2 runs each\n",
            q.entry->name, fp32.psnr, int8.psnr, fp32.psnr - int8.psnr, int8.sqnr,
            q.clip.n_frames, q.clip.name, n_rows);
    int tty = isatty(2);
    for (int i = 0; i < n_rows; i++) {
        lp1->layer = rows[i].name;
        lp1->prec = VSR_PREC_INT8;
        if (evaluate(&q, VSR_PREC_FP32, lp1, 1, &rows[i].alone, &err))
            goto fail;
        lp1->prec = VSR_PREC_FP32;
        if (evaluate(&q, VSR_PREC_INT8, lp1, 1, &rows[i].allbut, &err))
            goto fail;
        if (tty)
            fprintf(stderr, "\r%d/%d %-40s", i + 1, n_rows, rows[i].name);
    }
    if (tty)
        fprintf(stderr, "\n");
    sort_rows(rows, n_rows, skey);

    int k = top < n_rows ? (int)top : n_rows;
    printf("%s INT8 sensitivity (%s calibration, %d frames of %s, PSNR on Y, crop %d): "
           "FP32 %.4f dB, INT8 %.4f dB, drop %.4f dB, INT8 output SQNR %.2f dB\n\n",
           q.entry->name, calib, q.clip.n_frames, q.clip.name, q.scale, fp32.psnr, int8.psnr,
           fp32.psnr - int8.psnr, int8.sqnr);
    printf("| # | layer | op | params | SQNR alone [dB] | PSNR drop alone [dB] | PSNR drop "
           "all-but [dB] |\n|---:|---|---|---:|---:|---:|---:|\n");
    for (int i = 0; i < k; i++)
        printf("| %d | %s | conv2d %s | %lld | %.2f | %.4f | %.4f |\n", i + 1, rows[i].name,
               rows[i].desc, rows[i].params, rows[i].alone.sqnr, fp32.psnr - rows[i].alone.psnr,
               fp32.psnr - rows[i].allbut.psnr);

    char path[4200];
    if (mkdir(outdir, 0777) && errno != EEXIST) {
        vsr_error_set(&err, -errno, "%s: cannot create the folder: %s", outdir,
                      strerror(errno));
        goto fail;
    }
    snprintf(path, sizeof(path), "%s/quant_report.csv", outdir);
    if (write_csv(path, rows, n_rows, &fp32, &int8, &err))
        goto fail;
    printf("\nwrote %s\n", path);
    {
        const char **labels = malloc((size_t)k * sizeof(char *));
        double *v = malloc((size_t)k * 2 * sizeof(double));
        if (!labels || !v) {
            free(labels), free(v);
            vsr_error_set(&err, -ENOMEM, "out of memory");
            goto fail;
        }
        for (int i = 0; i < k; i++) {
            labels[i] = rows[i].name;
            v[2 * i] = fp32.psnr - rows[i].alone.psnr;
            v[2 * i + 1] = fp32.psnr - rows[i].allbut.psnr;
        }
        const char *series[2] = {"this layer alone INT8", "all INT8 but this layer"};
        char title[256];
        snprintf(title, sizeof(title), "%s: INT8 sensitivity (INT8 drop %.3f dB)",
                 q.entry->name, fp32.psnr - int8.psnr);
        int prc = vsr_report_plot_bars(outdir, "quant_sensitivity", title, labels, (size_t)k,
                                       series, 2, v, "PSNR drop vs FP32 [dB]", NULL, &err);
        free(labels), free(v);
        if (prc == -ENOENT)
            fprintf(stderr, "vsrbench quant-report: no plot: %s\n", err.msg);
        else if (prc)
            goto fail;
        else
            printf("wrote %s/quant_sensitivity.png (.svg, .gp)\n", outdir);
    }
    ret = VSR_EXIT_OK;
    goto end;
fail:
    fprintf(stderr, "\nvsrbench quant-report: %s\n", err.msg);
end:
    for (int t = 0; q.ref && t < q.clip.n_frames; t++)
        free(q.ref[t]);
    free(q.ref), free(q.buf), free(rows), free(lp1);
    vsr_frame_free(&q.sr);
    vsr_models_close(&q.inst);
    vsr_clip_free(&q.clip);
    vsr_dataset_close(&ds);
    if (q.pool)
        pthreadpool_destroy(q.pool);
    return ret;
}
