/*
 * vsrbench tune: grid search over tile x pad x threads for one model,
 * precision and dataset.
 *
 * Every setting builds its own engine on the same graph (weights loaded and,
 * for INT8, calibrated once), warms up, then times every LR frame of the
 * dataset (first --frames frames of each clip) exactly as `vsrbench run`
 * does: the clock brackets the runner call that produces the frame, nothing
 * else runs meanwhile. The settings take turns (A B A B ...), one engine,
 * warm-up and timed pass per turn, until each has timing.runs passes,
 * timing.min_runs frames and timing.min_secs seconds (config; else 1, 20,
 * 1.0), so a change of load hits all of them. Each row gets its median's
 * 95% interval and the noisy mark; noisy rows stay off the front and the
 * recommendation (vsr_tune_mark()). The whole-frame output at the first thread count is
 * the reference: each setting's SR frames are compared with it bit for bit
 * (identical), by PSNR over all pixels (psnr_vs_untiled, +inf when
 * identical) and by the change of the mean PSNR-Y against GT (psnr_delta,
 * crop = scale), all after the timed calls. Rows go to tune_results.
 *
 * Issue 16 adds, in functions of their own below: a precision axis
 * (--precisions fp32,fp16,int8-sym,int8-asym: one graph per precision, each
 * with its own untiled reference, so `identical` and psnr_delta measure the
 * tiling; int8-sym and the other int8 schemes of vsr_precision_parse_scheme()
 * are set on the graph before calibration), the
 * warm-up count (--warmup), a score ranking the rows (--score, bench/score.c;
 * pareto keeps the front and tolerance per precision, any other score
 * recommends its best clean row over all precisions) and datasets of LR
 * frames only (no_gt: NIQE and timing; a score using psnr, ssim or gmsd is
 * refused, and psnr_delta is unknown so only identical rows can be within
 * the tolerance).
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <pthreadpool.h>

#include "cli.h"
#include "commands.h"
#include "pipeline.h"
#include "vsr/bench.h"
#include "vsr/core.h"
#include "vsr/datasets.h"
#include "vsr/engine.h"
#include "vsr/metrics.h"
#include "vsr/models.h"

#define MAX_AXIS 32

enum {
    ARG_CONFIG = 256,
    ARG_TILES,
    ARG_PADS,
    ARG_THREADS,
    ARG_FRAMES,
    ARG_TOL,
    ARG_DB,
    ARG_REQUANT,
    ARG_TILE_MODE,
    ARG_PADDING,
    ARG_TILE_WORKERS,
    ARG_PRECISIONS,
    ARG_WARMUP,
    ARG_SCORE,
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: vsrbench tune --model M (--precision P | --precisions LIST) --dataset D\n"
            "                     [--config FILE] [--tiles 0,64,96,128,192] [--pads 0,4,8,16]\n"
            "                     [--threads 1,2] [--tile-mode clip,fixed,padded,feather]\n"
            "                     [--padding MODES] [--tile-workers 1,2]\n"
            "                     [--weights W] [--frames N] [--warmup N]\n"
            "                     [--score S] [--tolerance-db 0.01] [--db FILE]\n"
            "\n"
            "Time every precision x tile x pad x threads x tiling setting of model M on\n"
            "dataset D, compare each output with the untiled one of its precision (seams),\n"
            "mark the Pareto-optimal settings of each precision (min ms/frame, min |dPSNR|)\n"
            "and recommend the fastest one whose PSNR change stays within the tolerance,\n"
            "or, with --score, rank every setting by the score and recommend the best.\n"
            "Results go to the run log (tune_results, with the score and its formula).\n"
            "\n"
            "options:\n"
            "      --model M          zoo name, or a model label of --config\n"
            "      --precision P      fp32, fp16, fp16n or int8 (calibration from --config,\n"
            "                         else minmax on 8 frames); int8 may carry a scheme:\n"
            "                         int8-sym (symmetric activations), int8-pt (per-tensor\n"
            "                         weights), int8-asym; suffixes combine: int8-pt-sym-u8\n"
            "      --precisions LIST  a precision axis: fp32, fp16, fp16n, int8-asym (= int8:\n"
            "                         asymmetric activation ranges), int8-sym (symmetric,\n"
            "                         zero point 0) and the other int8 schemes\n"
            "      --warmup N         warm-up frames before each timed pass (default: config\n"
            "                         or 1; the deployment study used 30)\n"
            "      --score S          rank by S: pareto (default: the front and the\n"
            "                         tolerance), psnr-per-ms, mai[:C=c] (2^(2*psnr)/(c*ms)),\n"
            "                         niqe-time[:W=w] (1/(niqe^w*ms), for data without GT) or\n"
            "                         an expression over psnr ssim niqe gmsd ms params macs\n"
            "                         size_kb with + - * / ^ ( ) log10 sqrt min max;\n"
            "                         higher is better\n"
            "      --requant R        int8 arithmetic: float (default, or the config's\n"
            "                         requant:) or tflite (TFLite's integer kernels)\n"
            "      --dataset D        a dataset name of --config; without --config demo, or\n"
            "                         demo-nogt (its LR frames only: NIQE and timing)\n"
            "      --config FILE      take the dataset, model weights, calibration, tile /\n"
            "                         pad / threads lists, timing and db from this sweep\n"
            "      --tiles LIST       tile edges in LR pixels, 0 = whole frame\n"
            "      --pads LIST        overlaps (ignored for tile 0)\n"
            "      --threads LIST     thread counts (intra-op)\n"
            "      --tile-mode LIST   how tiles are cut (default clip; see vsrbench upscale\n"
            "                         --help); fixed / padded / feather tiles include the\n"
            "                         pad, so need tile > 2 pad (others are skipped)\n"
            "      --padding LIST     zero (default), mean (per-channel mean of the LR\n"
            "                         frames, computed once and recorded), reflect,\n"
            "                         replicate: what fixed / padded / feather windows read\n"
            "                         outside the frame\n"
            "      --tile-workers LIST  tiles on N engines at once (default 1), each with\n"
            "                         its own pool of the row's threads\n"
            "      --weights W        weights file (.vsrw, or .tflite to import)\n"
            "      --frames N         first N frames of each clip (default: config or 4)\n"
            "      --tolerance-db X   largest |dPSNR| the recommendation may have (0.01)\n"
            "      --db FILE          run log (default: config output.db, runs.db)\n"
            "      --progress WHEN    auto (stderr is a terminal), always, never\n"
            "  -h, --help             this help\n"
            "exit codes: 0 ok, 1 runtime failure, 2 usage or config error\n");
}

/* One precision of the axis: its graph and its untiled reference output. */
struct tune_prec {
    char label[48];   /* as given: fp32, fp16, fp16n, int8-sym, int8-asym, int8-pt-sym */
    char db_name[48]; /* tune_results.precision: the precision's name, for INT8 its scheme's
                       * label (vsr_quant_scheme_label(): int8-asym is 'int8', as before) */
    vsr_precision prec;
    vsr_quant_scheme scheme;       /* INT8: set on the graph before calibration */
    int cli_scheme;                /* the scheme was spelled out (int8-...), not the config's */
    vsr_models_instance *inst;     /* owned */
    vsr_graph *graph;              /* inst's (borrowed) */
    vsr_frame *ref;                /* untiled SR frames at the first thread count, n_total */
    double ref_q[VSR_SCORE_NCOLS]; /* the reference's quality columns (NaN: not measured) */
    int64_t params, macs;          /* deployed parameters, MACs per LR frame */
    int first_row, n_rows;         /* its rows in the grid */
};
_Static_assert(sizeof(((struct tune_prec *)0)->label) ==
                   sizeof(((struct tune_prec *)0)->db_name),
               "label is copied from db_name whole");

/* What a row of the table has beyond vsr_runlog_tune_row. The tiling axes
 * (--tile-mode, --padding, --tile-workers) fill mode, padding and
 * tile_workers; absent (NULL, 0), the table leaves their columns out. */
struct tune_meta {
    int prec;            /* index of its precision */
    const char *mode;    /* tile mode, NULL: not an axis */
    const char *padding; /* padding mode ("-": none, clip or untiled), NULL: not an axis */
    int tile_workers;    /* 0: not an axis */
    int max_diff;        /* seams: largest |SR - untiled SR| of its precision, 8-bit */
    double cols[VSR_SCORE_NCOLS]; /* the measured columns (NaN: not measured) */
    double score;                 /* NaN: pareto, or a column the score needs is NaN */
};

#define MAX_PREC 8

/* One clip's frames plus where its SR frames start in the flat arrays. */
struct tune_ctx {
    const vsr_models_entry *entry;
    vsr_models_hparams hp;
    enum vsr_models_temporal tp;
    int in_ch, state_ch;
    vsr_config_model model;
    vsr_models_spec spec; /* model as a models/ spec */
    vsr_models_kv *kv;    /* spec.hparams (owned) */
    vsr_requant requant;  /* INT8 arithmetic */
    vsr_clip *clips;
    int n_clips;
    int n_total; /* SR frames over all clips */
    int scale, warmup, runs, min_runs;
    double min_secs;
    int progress;
    float pad_mean[VSR_PAD_MEAN_MAX]; /* padding mean: of every LR frame loaded */
    int no_gt;                        /* the clips have LR frames only */
    unsigned need;                    /* quality columns to measure (bit VSR_SCORE_*) */
};

static int parse_axis(const char *s, long min, int *out, int *n, const char *what,
                      vsr_error *err)
{
    long tmp[MAX_AXIS];
    int rc = vsr_parse_long_list(s, min, 4096, tmp, MAX_AXIS, n, what, err);
    for (int i = 0; !rc && i < *n; i++)
        out[i] = (int)tmp[i];
    return rc;
}

/* A comma list of tile modes (@p paddings 0) or paddings (1) into out[]. */
static int parse_tiling(const char *s, int paddings, int *out, int *n, const char *what,
                        vsr_error *err)
{
    char buf[256];
    if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf))
        return vsr_error_set(err, -EINVAL, "%s: list too long", what);
    *n = 0;
    for (char *sv = NULL, *tok = strtok_r(buf, ",", &sv); tok; tok = strtok_r(NULL, ",", &sv)) {
        vsr_tile_mode m;
        vsr_tile_padding p;
        int rc =
            paddings ? vsr_tile_padding_parse(tok, &p, err) : vsr_tile_mode_parse(tok, &m, err);
        if (rc)
            return vsr_error_wrap(err, rc, "%s", what);
        if (*n == MAX_AXIS)
            return vsr_error_set(err, -EINVAL, "%s: at most %d values", what, MAX_AXIS);
        out[(*n)++] = paddings ? (int)p : (int)m;
    }
    if (!*n)
        return vsr_error_set(err, -EINVAL, "%s: empty list", what);
    return 0;
}

static void frames_free(vsr_frame *f, int n)
{
    for (int i = 0; f && i < n; i++)
        vsr_frame_free(&f[i]);
    free(f);
}

/* The timed frames of one setting over its turns. */
struct tune_acc {
    double *smp;
    int n, cap, passes;
    double total_ms;
    vsr_timing_env_acc env;
};

struct tune_frame_ctx {
    struct tune_acc *acc;
    vsr_frame *out; /* this clip's SR frames, or NULL */
};

/* vsr_pipe_timed_clip() callback: keep the ms (and the frame on a first turn). */
static int tune_frame(void *ctx, int t, double ms, const vsr_frame *sr, vsr_error *err)
{
    struct tune_frame_ctx *fc = ctx;
    if (fc->acc->n < fc->acc->cap)
        fc->acc->smp[fc->acc->n++] = ms;
    fc->acc->total_ms += ms;
    return fc->out ? vsr_frame_copy(&fc->out[t], sr, err) : 0;
}

/*
 * One turn of the setting (tile, pad) on @p pool: a fresh engine, warm-up,
 * one timed pass over every clip. With @p out, the SR frames go to out[]
 * (n_total frames, allocated here). The ms of every produced frame and the
 * machine state of the pass are added to @p acc.
 */
static int measure(struct tune_ctx *c, const struct tune_prec *tp, pthreadpool_t pool, int tile,
                   int pad, const vsr_runlog_tune_row *tiling, vsr_frame *out,
                   struct tune_acc *acc, vsr_error *err)
{
    vsr_engine *eng = NULL;
    vsr_models_step step = {0};
    vsr_models_runner *runner = NULL;
    vsr_frame sr = {0};
    int rc, have_step = 0;
    vsr_timing_probe p0, p1;
    vsr_engine_options opt;
    vsr_engine_options_default(&opt);
    opt.tile = tile;
    opt.pad = pad;
    opt.requant = c->requant;
    opt.always_pool = 1; /* tune measures each thread count as such: no helper gate */
    if (tiling) {        /* the row's tiling axes (NULL: clip, one worker) */
        opt.tile_mode = (vsr_tile_mode)tiling->tile_mode;
        opt.padding = (vsr_tile_padding)tiling->padding;
        opt.tile_workers = tiling->tile_workers;
        memcpy(opt.pad_mean, c->pad_mean, sizeof(opt.pad_mean));
    }
    if ((rc = vsr_engine_create(tp->graph, tp->prec, pool, &opt, &eng, err)) ||
        (rc = vsr_models_engine_step(eng, c->in_ch, c->state_ch, &step, err)))
        goto end;
    have_step = 1;
    if ((rc = vsr_models_runner_create(c->tp, c->scale, &step, &runner, err)))
        goto end;
    const vsr_clip *c0 = &c->clips[0];
    if ((rc = vsr_frame_alloc(&sr, c0->lr[0].width * c->scale, c0->lr[0].height * c->scale, 3,
                              err)))
        goto end;
    int ready = 0;
    for (int i = 0; i < c->warmup; i++)
        if ((rc = vsr_models_runner_push(runner, &c0->lr[i % c0->n_frames], &sr, &ready, NULL,
                                         err)))
            goto end;
    for (ready = 1; ready;)
        if ((rc = vsr_models_runner_push(runner, NULL, &sr, &ready, NULL, err)))
            goto end;
    if (acc->cap - acc->n < c->n_total) {
        int cap = acc->n + c->n_total + acc->cap;
        double *p = realloc(acc->smp, (size_t)cap * sizeof(*p));
        if (!p) {
            rc = vsr_error_set(err, -ENOMEM, "out of memory");
            goto end;
        }
        acc->smp = p;
        acc->cap = cap;
    }
    vsr_timing_probe_read(&p0);
    {
        int base = 0;
        for (int k = 0; k < c->n_clips; k++) {
            const vsr_clip *cl = &c->clips[k];
            int W = cl->lr[0].width * c->scale, H = cl->lr[0].height * c->scale;
            if (sr.width != W || sr.height != H) {
                vsr_frame_free(&sr);
                if ((rc = vsr_frame_alloc(&sr, W, H, 3, err)))
                    goto end;
            }
            struct tune_frame_ctx fc = {acc, out ? out + base : NULL};
            if ((rc = vsr_pipe_timed_clip(runner, cl, &sr, tune_frame, &fc, err)))
                goto end;
            base += cl->n_frames;
        }
    }
    vsr_timing_probe_read(&p1);
    vsr_timing_env_add(&acc->env, &p0, &p1, (double)sysconf(_SC_CLK_TCK));
    acc->passes++;
end:
    vsr_frame_free(&sr);
    vsr_models_runner_free(&runner);
    if (have_step)
        vsr_models_engine_step_free(&step);
    vsr_engine_free(&eng);
    return rc;
}

/* Mean of metric @p name (channel y when it has one; crop = scale) of @p sr
 * over all frames, through the metric registry: against the clips' GT for a
 * full-reference metric (NaN without GT), of @p sr alone otherwise. */
static int mean_metric(const struct tune_ctx *c, const vsr_frame *sr, pthreadpool_t pool,
                       const char *name, double *out, vsr_error *err)
{
    const vsr_metric *m;
    vsr_metric_set *set = NULL;
    const vsr_metric_config mc = {.crop_border = c->scale};
    *out = NAN;
    int rc = vsr_metrics_lookup(name, &m, err);
    if (rc)
        return rc;
    if (m->needs_ref && c->no_gt)
        return 0;
    int y = vsr_metrics_channel_count(m) > 1 ? vsr_metrics_channel_index(m, "y") : -1;
    rc = vsr_metrics_set_add(&set, m, y >= 0 ? 1u << y : 0, &mc, err);
    double sum = 0;
    int k = 0;
    *out = NAN;
    for (int i = 0; !rc && i < c->n_clips; i++)
        for (int t = 0; !rc && t < c->clips[i].n_frames; t++, k++) {
            double p;
            vsr_frame gray = {0};
            const vsr_frame *use, *gt = c->clips[i].gt ? &c->clips[i].gt[t] : NULL;
            rc = vsr_pipe_sr_for_gt(gt, &sr[k], &gray, &use, err);
            if (!rc)
                rc = vsr_metrics_set_run(set, gt, use, &sr[k], pool, &p, err);
            vsr_frame_free(&gray);
            if (!rc && isinf(p)) {
                vsr_metrics_set_free(&set);
                *out = INFINITY;
                return 0;
            }
            sum += rc ? 0 : p;
        }
    vsr_metrics_set_free(&set);
    if (!rc)
        *out = sum / k;
    return rc;
}

/* Compare @p sr with the reference: identical, PSNR over all pixels (the squared
 * errors of every frame pooled, not a per-frame metric: an identity check). */
static void compare_ref(const struct tune_ctx *c, const vsr_frame *ref, const vsr_frame *sr,
                        int *identical, double *psnr, int *max_diff)
{
    double se = 0;
    *max_diff = 0;
    size_t count = 0;
    for (int k = 0; k < c->n_total; k++) {
        const vsr_frame *a = &ref[k], *b = &sr[k];
        for (int y = 0; y < a->height; y++) {
            const uint8_t *pa = vsr_frame_row(a, y), *pb = vsr_frame_row(b, y);
            for (int x = 0; x < a->width * a->channels; x++) {
                double d = (double)pa[x] - pb[x];
                se += d * d;
                if (fabs(d) > *max_diff)
                    *max_diff = (int)fabs(d);
            }
        }
        count += (size_t)a->width * a->height * a->channels;
    }
    *identical = se == 0;
    *psnr = se == 0 ? INFINITY : 10.0 * log10(255.0 * 255.0 / (se / (double)count));
}

/* ---- issue 16: the precision axis ------------------------------------------ */

/* Parse --precisions (or the one --precision) into @p out. */
static int parse_precisions(const char *s, struct tune_prec *out, int *n, vsr_error *err)
{
    *n = 0;
    const char *p = s;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char item[48];
        if (len == 0 || len >= sizeof(item))
            return vsr_error_set(err, -EINVAL,
                                 "--precisions %s: '%.*s' is not a precision; use fp32, fp16, "
                                 "fp16n, int8-sym or int8-asym",
                                 s, (int)len, p);
        memcpy(item, p, len);
        item[len] = '\0';
        if (*n == MAX_PREC)
            return vsr_error_set(err, -EINVAL, "--precisions %s: more than %d", s, MAX_PREC);
        struct tune_prec *t = &out[*n];
        memset(t, 0, sizeof(*t));
        snprintf(t->label, sizeof(t->label), "%s", item);
        /* int8 may carry a scheme (int8-sym: symmetric activation ranges) */
        if (vsr_precision_parse_scheme(item, &t->prec, &t->scheme, NULL))
            return vsr_error_set(
                err, -EINVAL,
                "--precisions: '%s' is not a precision; use fp32, fp16, fp16n, "
                "int8-sym or int8-asym (int8 = int8-asym; other int8 schemes: int8-pt-sym, "
                "...)",
                item);
        t->cli_scheme = strchr(item, '-') != NULL;
        if (t->prec == VSR_PREC_INT8) {
            vsr_quant_scheme_label(&t->scheme, t->db_name, sizeof(t->db_name));
            if (!strcasecmp(item, "int8"))
                snprintf(t->label, sizeof(t->label), "int8-asym");
        } else {
            snprintf(t->db_name, sizeof(t->db_name), "%s", vsr_precision_name(t->prec));
        }
        for (int j = 0; j < *n; j++)
            if (!strcmp(out[j].label, t->label))
                return vsr_error_set(err, -EINVAL, "--precisions %s: %s is listed twice", s,
                                     t->label);
        (*n)++;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

/* Build, load and (INT8) calibrate the graph of @p tp from c->spec, INT8 with
 * the scheme of @p tp (set before calibration). Counts params and MACs. */
static int open_precision(struct tune_ctx *c, struct tune_prec *tp, int h, int w,
                          vsr_error *err)
{
    c->spec.precision = tp->prec;
    c->spec.scheme = tp->scheme;
    int rc = vsr_models_open(&c->spec, &tp->inst, err);
    if (rc)
        return rc;
    tp->graph = tp->inst->graph;
    vsr_graph_stats st;
    tp->params = tp->macs = -1;
    if (vsr_graph_count(tp->graph, h, w, tp->prec, &st, NULL) == 0) {
        tp->params = st.params;
        tp->macs = st.macs;
    }
    return 0;
}

/* ---- issue 16: quality columns and the score --------------------------------- */

/* Full-reference columns: a score using one needs GT. */
#define FR_COLS ((1u << VSR_SCORE_PSNR) | (1u << VSR_SCORE_SSIM) | (1u << VSR_SCORE_GMSD))

/* The quality columns to measure: PSNR with GT (for psnr_delta), NIQE without
 * (the no-GT quality), and whatever the score uses. */
static unsigned quality_needed(int no_gt, const vsr_score *sc)
{
    unsigned need = no_gt ? 1u << VSR_SCORE_NIQE : 1u << VSR_SCORE_PSNR;
    return need | (sc->uses & (FR_COLS | (1u << VSR_SCORE_NIQE)));
}

/* A score that needs GT on a dataset without: one line naming the column. */
static int score_check_no_gt(const vsr_score *sc, const char *dataset, vsr_error *err)
{
    for (int k = 0; k < VSR_SCORE_NCOLS; k++)
        if ((sc->uses & FR_COLS & (1u << k)))
            return vsr_error_set(err, -EINVAL,
                                 "--score %s uses %s, a full-reference metric, but dataset %s "
                                 "has no GT (LR frames only); use niqe-time or a score over "
                                 "niqe, ms, params, macs and size_kb",
                                 sc->name, vsr_score_col_name(k), dataset);
    return 0;
}

/* The measured quality columns of @p sr (c->need; the others NaN). */
static int quality(const struct tune_ctx *c, const vsr_frame *sr, pthreadpool_t pool,
                   double *cols, vsr_error *err)
{
    for (int k = 0; k < VSR_SCORE_NCOLS; k++)
        cols[k] = NAN;
    for (int k = VSR_SCORE_PSNR; k <= VSR_SCORE_GMSD; k++)
        if (c->need & (1u << k)) {
            int rc = mean_metric(c, sr, pool, vsr_score_col_name(k), &cols[k], err);
            if (rc)
                return rc;
        }
    return 0;
}

/* Bytes per weight at precision @p p (for size_kb). */
static int weight_bytes(vsr_precision p)
{
    return p == VSR_PREC_INT8 ? 1 : p == VSR_PREC_FP32 ? 4 : 2;
}

/*
 * Fill the cost columns of every row, evaluate the score and, for a score
 * other than pareto, make the best row whose output stays within @p tol dB of
 * its precision's untiled output (vsr_tune_loss(): without GT only identical
 * outputs are known to) the recommendation, noisy rows only when every row is
 * noisy. The tolerance guards against seams that a score cannot see: NIQE,
 * for one, is often lower (better) on a seamy output. Returns the
 * recommended row (-1 none); with pareto, @p rec_pareto as it is.
 */
static int score_rows(const vsr_score *sc, const struct tune_prec *precs,
                      vsr_runlog_tune_row *rows, struct tune_meta *meta, int n, int rec_pareto,
                      double tol, vsr_error *err)
{
    for (int i = 0; i < n; i++) {
        const struct tune_prec *tp = &precs[meta[i].prec];
        double *col = meta[i].cols;
        col[VSR_SCORE_MS] = rows[i].ms;
        col[VSR_SCORE_PARAMS] = tp->params >= 0 ? (double)tp->params : NAN;
        col[VSR_SCORE_MACS] = tp->macs >= 0 ? (double)tp->macs : NAN;
        col[VSR_SCORE_SIZE_KB] =
            tp->params >= 0 ? (double)tp->params * weight_bytes(tp->prec) / 1000.0 : NAN;
        int rc = vsr_score_eval(sc, col, &meta[i].score, err);
        if (rc)
            return rc;
    }
    if (!sc->formula[0])
        return rec_pareto;
    int clean = 0, best = -1;
    for (int i = 0; i < n; i++)
        clean += !rows[i].noisy;
    for (int i = 0; i < n; i++) {
        rows[i].recommended = 0;
        if ((clean && rows[i].noisy) || isnan(meta[i].score) ||
            !(vsr_tune_loss(&rows[i]) <= tol))
            continue;
        if (best < 0 || meta[i].score > meta[best].score)
            best = i;
    }
    if (best >= 0)
        rows[best].recommended = 1;
    return best;
}

/* "<precision> tile T pad P <mode>[/<padding>] threads N workers W" of a row,
 * for the noisy and recommended lines; @p buf. */
static const char *setting_name(const struct tune_prec *precs, const struct tune_meta *m,
                                const vsr_runlog_tune_row *r, char *buf, size_t cap)
{
    int padded = r->tile && r->tile_mode != VSR_TILE_CLIP;
    snprintf(buf, cap, "%s tile %d pad %d %s%s%s threads %d workers %d", precs[m->prec].label,
             r->tile, r->pad, vsr_tile_mode_name((vsr_tile_mode)r->tile_mode),
             padded ? "/" : "",
             padded ? vsr_tile_padding_name((vsr_tile_padding)r->padding) : "", r->threads,
             r->tile_workers);
    return buf;
}

/* The study's table: tile, pad, padding mode, precision, threads / workers,
 * PSNR or NIQE, ms, score; rows best score first (grid order for pareto). */
static int print_table(const struct tune_ctx *c, const struct tune_prec *precs,
                       const vsr_score *sc, const vsr_runlog_tune_row *rows,
                       const vsr_runlog_tune_extra *extra, const struct tune_meta *meta, int n)
{
    int *order = malloc((size_t)n * sizeof(*order));
    double *score = malloc((size_t)n * sizeof(*score));
    if (!order || !score) {
        free(order);
        free(score);
        return -ENOMEM;
    }
    int k = 0;
    if (sc->formula[0]) {
        for (int i = 0; i < n; i++)
            score[i] = meta[i].score;
        k = vsr_score_rank(score, n, order);
    }
    for (int i = 0; i < n; i++) { /* then the unscored rows in grid order */
        int seen = 0;
        for (int j = 0; j < k && !seen; j++)
            seen = order[j] == i;
        if (!seen)
            order[k++] = i;
    }
    int has_mode = 0, has_padding = 0, has_workers = 0;
    for (int i = 0; i < n; i++) {
        has_mode |= meta[i].mode != NULL;
        has_padding |= meta[i].padding != NULL;
        has_workers |= meta[i].tile_workers > 0;
    }
    int psnr = !(c->no_gt), niqe = (c->need >> VSR_SCORE_NIQE) & 1;
    printf("%6s %5s", "tile", "pad");
    if (has_mode)
        printf(" %-7s", "mode");
    if (has_padding)
        printf(" %-9s", "padding");
    printf(" %-11s %7s", "precision", "threads");
    if (has_workers)
        printf(" %7s", "workers");
    if (psnr)
        printf(" %8s %10s", "PSNR-Y", "dPSNR-Y");
    if (niqe)
        printf(" %7s", "NIQE");
    printf(" %10s %-19s %10s %12s %6s %6s %6s", "ms/frame", "95% interval", "p95 ms",
           "vs untiled", "max|d|", "exact", "pareto");
    if (sc->formula[0])
        printf(" %12s", "score");
    printf(" %4s %5s\n", "rec", "noisy");
    for (int q = 0; q < n; q++) {
        int i = order[q];
        const vsr_runlog_tune_row *r = &rows[i];
        const struct tune_meta *m = &meta[i];
        char vs[32], ci[48];
        if (isinf(extra[i].psnr_vs_untiled))
            snprintf(vs, sizeof(vs), "inf");
        else
            snprintf(vs, sizeof(vs), "%.2f", extra[i].psnr_vs_untiled);
        snprintf(ci, sizeof(ci), "[%.3f, %.3f]", r->ms_lo, r->ms_hi);
        printf("%6d %5d", r->tile, r->pad);
        if (has_mode)
            printf(" %-7s", m->mode);
        if (has_padding)
            printf(" %-9s", m->padding ? m->padding : "-");
        printf(" %-11s %7d", precs[m->prec].label, r->threads);
        if (has_workers)
            printf(" %7d", m->tile_workers);
        if (psnr)
            printf(" %8.3f %+10.4f", m->cols[VSR_SCORE_PSNR], r->psnr_delta);
        if (niqe)
            printf(" %7.3f", m->cols[VSR_SCORE_NIQE]);
        printf(" %10.3f %-19s %10.3f %12s %6d %6s %6s", r->ms, ci, extra[i].ms_p95, vs,
               m->max_diff, r->identical ? "yes" : "no", r->pareto ? "*" : "");
        if (sc->formula[0])
            printf(" %12.5g", m->score);
        printf(" %4s %5s\n", r->recommended ? "<-" : "", r->noisy ? "noisy" : "");
    }
    free(order);
    free(score);
    return 0;
}

static const vsr_config_dataset demo_datasets[] = {
    {
        .name = "demo",
        .type = VSR_CONFIG_DATASET_DEMO,
        .degradations = (const char *[]){"bi"},
        .n_degradations = 1,
    },
    {
        .name = "demo-nogt",
        .type = VSR_CONFIG_DATASET_DEMO,
        .degradations = (const char *[]){"bi"},
        .n_degradations = 1,
        .no_gt = 1,
    },
};

int vsr_cmd_tune(int argc, char **argv)
{
    static const struct option opts[] = {
        VSR_CLI_SHARED(VSR_CLI_OPT_MODEL),
        VSR_CLI_SHARED(VSR_CLI_OPT_PRECISION),
        {"precisions", required_argument, NULL, ARG_PRECISIONS},
        VSR_CLI_SHARED(VSR_CLI_OPT_DATASET),
        {"config", required_argument, NULL, ARG_CONFIG},
        {"tiles", required_argument, NULL, ARG_TILES},
        {"pads", required_argument, NULL, ARG_PADS},
        {"threads", required_argument, NULL, ARG_THREADS},
        VSR_CLI_SHARED(VSR_CLI_OPT_WEIGHTS),
        {"frames", required_argument, NULL, ARG_FRAMES},
        {"warmup", required_argument, NULL, ARG_WARMUP},
        {"score", required_argument, NULL, ARG_SCORE},
        {"tolerance-db", required_argument, NULL, ARG_TOL},
        {"db", required_argument, NULL, ARG_DB},
        VSR_CLI_SHARED(VSR_CLI_OPT_PROGRESS),
        {"requant", required_argument, NULL, ARG_REQUANT},
        {"tile-mode", required_argument, NULL, ARG_TILE_MODE},
        {"padding", required_argument, NULL, ARG_PADDING},
        {"tile-workers", required_argument, NULL, ARG_TILE_WORKERS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct option long_opts[sizeof(opts) / sizeof(opts[0])];
    vsr_cli_common co; /* --threads and --frames are lists here: this command's own */
    const char *config = NULL;
    const char *tiles_s = NULL, *pads_s = NULL, *threads_s = NULL;
    const char *frames_s = NULL, *tol_s = NULL, *db_path = NULL, *requant_s = NULL;
    const char *modes_s = NULL, *paddings_s = NULL, *workers_s = NULL;
    const char *precisions_s = NULL, *warmup_s = NULL, *score_s = NULL;
    int opt, rc;
    vsr_error err = {0};
    vsr_cli_begin(opts, long_opts, &co);
    while ((opt = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
        switch (opt) {
        case ARG_PRECISIONS:
            precisions_s = optarg;
            break;
        case ARG_CONFIG:
            config = optarg;
            break;
        case ARG_TILES:
            tiles_s = optarg;
            break;
        case ARG_PADS:
            pads_s = optarg;
            break;
        case ARG_THREADS:
            threads_s = optarg;
            break;
        case ARG_FRAMES:
            frames_s = optarg;
            break;
        case ARG_WARMUP:
            warmup_s = optarg;
            break;
        case ARG_SCORE:
            score_s = optarg;
            break;
        case ARG_TOL:
            tol_s = optarg;
            break;
        case ARG_DB:
            db_path = optarg;
            break;
        case ARG_REQUANT:
            requant_s = optarg;
            break;
        case ARG_TILE_MODE:
            modes_s = optarg;
            break;
        case ARG_PADDING:
            paddings_s = optarg;
            break;
        case ARG_TILE_WORKERS:
            workers_s = optarg;
            break;
        default: /* a shared option, -h, --help or a bad option */
            if ((rc = vsr_cli_common_opt(opt, optarg, &co, &err)) < 0) {
                fprintf(stderr, "vsrbench tune: %s\n", err.msg);
                return VSR_EXIT_USAGE;
            }
            if (!rc)
                return vsr_cli_help_exit(opt, usage);
            break;
        }
    }
    const char *model = co.model, *precision = co.precision, *dataset = co.dataset,
               *weights = co.weights;
    if (optind != argc || !model || !(precision || precisions_s) || !dataset) {
        fprintf(stderr, "vsrbench tune: --model, --precision (or --precisions) and --dataset "
                        "are required (and no other arguments)\n");
        usage(stderr);
        return VSR_EXIT_USAGE;
    }
    if (precision && precisions_s) {
        fprintf(stderr, "vsrbench tune: give --precision P or --precisions LIST, not both\n");
        return VSR_EXIT_USAGE;
    }
    int progress = vsr_cli_progress_resolve(co.progress);

    int ret = VSR_EXIT_USAGE;
    vsr_config *cfg = NULL;
    vsr_dataset *ds = NULL;
    vsr_runlog *log = NULL;
    vsr_runlog_tune_row *rows = NULL;
    vsr_runlog_tune_extra *extra = NULL;
    struct tune_meta *meta = NULL;
    vsr_frame *out = NULL;
    struct tune_acc *acc = NULL, ref_acc = {0};
    int *want = NULL, *max_diff = NULL; /* seams: largest |SR - untiled SR|, 8-bit */
    char *cmdline = NULL;
    pthreadpool_t pools[MAX_AXIS] = {0};
    struct tune_ctx c = {0};
    struct tune_prec precs[MAX_PREC];
    vsr_score sc;
    char formula[sizeof(sc.name) + sizeof(sc.formula) + 2] = "";
    int tiles[MAX_AXIS], pads[MAX_AXIS], threads[MAX_AXIS], nt = 0, np = 0, nth = 0, n = 0;
    int modes[MAX_AXIS] = {VSR_TILE_CLIP}, paddings[MAX_AXIS] = {VSR_TPAD_ZERO},
        workers[MAX_AXIS] = {1}, nmo = 1, npd = 1, nw = 1, use_mean = 0;
    int n_prec = 0;
    double tol = 0.01;
    long frames = 0, warmup = -1;

    memset(precs, 0, sizeof(precs));
    if (parse_precisions(precision ? precision : precisions_s, precs, &n_prec, &err) ||
        vsr_score_parse(score_s ? score_s : "pareto", &sc, &err))
        goto usage_fail;
    if (sc.formula[0])
        snprintf(formula, sizeof(formula), "%s: %s", sc.name, sc.formula);
    if (config && vsr_config_load(config, NULL, 0, &cfg, &err))
        goto usage_fail;
    /* dataset */
    const vsr_config_dataset *d = NULL;
    for (int i = 0; cfg && i < cfg->n_datasets; i++)
        if (!strcmp(cfg->datasets[i].name, dataset))
            d = &cfg->datasets[i];
    for (size_t i = 0; !d && i < sizeof(demo_datasets) / sizeof(demo_datasets[0]); i++)
        if (!strcmp(dataset, demo_datasets[i].name))
            d = &demo_datasets[i];
    if (!d) {
        vsr_error_set(&err, -EINVAL,
                      "--dataset %s: not a dataset of %s; name one of its datasets or use demo "
                      "or demo-nogt",
                      dataset, cfg ? cfg->path : "(no --config)");
        goto usage_fail;
    }
    vsr_config_dataset dd = *d;
    if (dd.no_gt && score_check_no_gt(&sc, dd.name, &err))
        goto usage_fail;
    /* model: a label of the config, else a zoo name */
    const vsr_config_model *cm = NULL;
    for (int i = 0; cfg && i < cfg->n_models; i++)
        if (!strcasecmp(cfg->models[i].name, model))
            cm = &cfg->models[i];
    if (cm)
        c.model = *cm;
    else
        c.model = (vsr_config_model){.name = model, .type = model, .variant = "base"};
    if (weights)
        c.model.optional = 0; /* named on the command line: must exist */
    if (vsr_pipe_spec(&c.model, &c.spec, &c.kv, &err))
        goto usage_fail;
    if (weights)
        vsr_models_spec_weights_from_path(&c.spec, weights);
    c.entry = vsr_models_zoo_find(c.model.type);
    if (!c.entry) {
        vsr_error_set(&err, -EINVAL, "--model %s: not in the zoo (see 'vsrbench models')%s",
                      c.model.type, cfg ? " nor a model of the config" : "");
        goto usage_fail;
    }
    if (c.entry->hp.family == VSR_MODELS_BICUBIC) {
        vsr_error_set(&err, -EINVAL,
                      "--model %s: bicubic has no network to tile; tune an engine model",
                      c.model.name);
        goto usage_fail;
    }
    vsr_models_arch arch;
    if ((rc = vsr_models_resolve(&c.spec, &arch, &err)))
        goto usage_fail;
    c.hp = arch.hp;
    c.tp = arch.temporal;
    c.in_ch = arch.in_channels;
    c.state_ch = arch.state_channels;
    c.scale = c.hp.scale;
    if (cfg && cfg->scale != c.scale) {
        vsr_error_set(&err, -EINVAL, "--model %s is x%d, %s has scale %d", c.model.name,
                      c.scale, cfg->path, cfg->scale);
        goto usage_fail;
    }
    /* calibration (the config's int8 entries serve the int8 precisions: a plain
     * int8 / int8-asym takes the first one and its scheme, an int8 with another
     * scheme suffix the entry of that scheme) */
    int any_int8 = 0;
    const char *calib_method = "minmax";
    int calib_frames = 8;
    for (int p = 0; p < n_prec; p++) {
        struct tune_prec *tp = &precs[p];
        if (tp->prec != VSR_PREC_INT8)
            continue;
        any_int8 = 1;
        for (int i = 0; cfg && i < cfg->n_precisions; i++)
            if (cfg->precisions[i].prec == VSR_PREC_INT8 &&
                vsr_config_calib_name(&cfg->precisions[i]) &&
                (!tp->cli_scheme ||
                 !memcmp(&cfg->precisions[i].scheme, &tp->scheme, sizeof(tp->scheme)))) {
                if (!tp->cli_scheme) { /* plain int8: the config's first int8 entry, scheme too
                                        */
                    tp->scheme = cfg->precisions[i].scheme;
                    vsr_quant_scheme_label(&tp->scheme, tp->db_name, sizeof(tp->db_name));
                    if (strcmp(tp->db_name, "int8"))
                        /* (same size, NUL-terminated: a copy; snprintf from one field
                         * of the array into another trips gcc -O0's -Wrestrict) */
                        memcpy(tp->label, tp->db_name, sizeof(tp->label));
                }
                calib_method = vsr_config_calib_name(&cfg->precisions[i]);
                calib_frames = cfg->precisions[i].calib_frames;
                if (cfg->precisions[i].requant == VSR_REQUANT_TFLITE)
                    c.requant = VSR_REQUANT_TFLITE;
                break;
            }
    }
    if (requant_s && !any_int8) {
        vsr_error_set(&err, -EINVAL, "--requant is for --precision int8 only");
        goto usage_fail;
    }
    if (requant_s && vsr_requant_parse(requant_s, &c.requant, &err))
        goto usage_fail;
    /* axes: options, else the config's, else the defaults */
    static const int def_tiles[] = {0, 64, 96, 128, 192}, def_pads[] = {0, 4, 8, 16},
                     def_threads[] = {1, 2};
    if (tiles_s) {
        if (parse_axis(tiles_s, 0, tiles, &nt, "--tiles", &err))
            goto usage_fail;
    } else if (cfg) {
        nt = cfg->n_tiles < MAX_AXIS ? cfg->n_tiles : MAX_AXIS;
        memcpy(tiles, cfg->tiles, (size_t)nt * sizeof(int));
    } else {
        nt = 5;
        memcpy(tiles, def_tiles, sizeof(def_tiles));
    }
    if (pads_s) {
        if (parse_axis(pads_s, 0, pads, &np, "--pads", &err))
            goto usage_fail;
    } else if (cfg) {
        np = cfg->n_pads < MAX_AXIS ? cfg->n_pads : MAX_AXIS;
        memcpy(pads, cfg->pads, (size_t)np * sizeof(int));
    } else {
        np = 4;
        memcpy(pads, def_pads, sizeof(def_pads));
    }
    if (threads_s) {
        if (parse_axis(threads_s, 1, threads, &nth, "--threads", &err))
            goto usage_fail;
    } else if (cfg) {
        nth = cfg->n_threads < MAX_AXIS ? cfg->n_threads : MAX_AXIS;
        memcpy(threads, cfg->threads, (size_t)nth * sizeof(int));
    } else {
        nth = 2;
        memcpy(threads, def_threads, sizeof(def_threads));
    }
    if (frames_s && vsr_parse_long(frames_s, 1, 100000, &frames, "--frames", &err))
        goto usage_fail;
    if (warmup_s && vsr_parse_long(warmup_s, 0, 100000, &warmup, "--warmup", &err))
        goto usage_fail;
    if (tol_s && vsr_parse_double(tol_s, 0, 100, &tol, "--tolerance-db", &err))
        goto usage_fail;
    dd.frames = frames ? (int)frames : dd.frames ? dd.frames : 4;
    c.warmup = warmup >= 0 ? (int)warmup : cfg ? cfg->warmup : 1;
    c.runs = cfg ? cfg->runs : 1;
    c.min_runs = cfg ? cfg->min_runs : 20;
    c.min_secs = cfg ? cfg->min_secs : 1.0;
    for (int i = 0; i < nth; i++)
        if (threads[i] == 0) { /* threads: auto in the config */
            int usable;
            double idle;
            threads[i] = vsr_cli_idle_cores(&usable, &idle);
            for (int j = 0; j < nth; j++)
                if (j != i && threads[j] == threads[i])
                    threads[i] = -1; /* already listed: dropped below */
        }
    for (int i = 0, k = 0; i <= nth; i++) {
        if (i == nth) {
            nth = k;
            break;
        }
        if (threads[i] > 0)
            threads[k++] = threads[i];
    }
    if ((modes_s && parse_tiling(modes_s, 0, modes, &nmo, "--tile-mode", &err)) ||
        (paddings_s && parse_tiling(paddings_s, 1, paddings, &npd, "--padding", &err)) ||
        (workers_s && parse_axis(workers_s, 1, workers, &nw, "--tile-workers", &err)))
        goto usage_fail;
    /* the grid: precision x (threads x tile x pad x tiling) */
    int n_dropped = 0;
    for (int p = 0; p < n_prec; p++) {
        vsr_runlog_tune_row *g = NULL;
        int ng = 0, nd = 0;
        if (vsr_tune_grid(tiles, nt, pads, np, threads, nth, &g, &ng, &err) ||
            vsr_tune_grid_tiling(&g, &ng, modes, nmo, paddings, npd, workers, nw, &nd, &err)) {
            free(g);
            goto usage_fail;
        }
        if (p == 0)
            n_dropped = nd;
        vsr_runlog_tune_row *all = realloc(rows, (size_t)(n + ng) * sizeof(*rows));
        struct tune_meta *mm = realloc(meta, (size_t)(n + ng) * sizeof(*meta));
        if (mm)
            meta = mm;
        if (all)
            rows = all;
        if (!all || !mm) {
            free(g);
            vsr_error_set(&err, -ENOMEM, "out of memory");
            goto usage_fail;
        }
        memcpy(rows + n, g, (size_t)ng * sizeof(*rows));
        free(g);
        precs[p].first_row = n;
        precs[p].n_rows = ng;
        for (int i = n; i < n + ng; i++) {
            const vsr_runlog_tune_row *r = &rows[i];
            int padded = r->tile > 0 && r->tile_mode != VSR_TILE_CLIP;
            meta[i] = (struct tune_meta){
                .prec = p,
                .mode = modes_s ? vsr_tile_mode_name((vsr_tile_mode)r->tile_mode) : NULL,
                .padding =
                    modes_s || paddings_s
                        ? padded ? vsr_tile_padding_name((vsr_tile_padding)r->padding) : "-"
                        : NULL,
                .tile_workers = workers_s ? r->tile_workers : 0,
                .score = NAN};
        }
        n += ng;
    }
    if (n_dropped)
        fprintf(stderr,
                "vsrbench tune: %d tile / pad pair%s skipped for fixed / padded / feather: "
                "the tile includes the pad, so it needs tile > 2 pad\n",
                n_dropped, n_dropped > 1 ? "s" : "");
    for (int i = 0; i < n; i++)
        use_mean |= rows[i].tile > 0 && rows[i].tile_mode != VSR_TILE_CLIP &&
                    rows[i].padding == VSR_TPAD_MEAN;
    if (!db_path)
        db_path = cfg ? cfg->db : "runs.db";
    char why[sizeof(err.msg)];
    if (c.model.optional && vsr_models_weights_absent(c.entry, &c.spec, why, sizeof(why))) {
        fprintf(stderr, "vsrbench tune: %s\n", why);
        ret = VSR_EXIT_FAILURE;
        goto end;
    }

    /* ---- load the frames, build and load the model once per precision ---- */
    ret = VSR_EXIT_FAILURE;
    for (int i = 0; i < nth; i++)
        if (vsr_cli_pool_create(threads[i], &pools[i], &err))
            goto fail;
    if (vsr_pipe_open_dataset(c.scale, &dd, dd.degradations[0], &ds, &err))
        goto fail;
    c.n_clips = vsr_dataset_clip_count(ds);
    c.clips = calloc((size_t)c.n_clips, sizeof(*c.clips));
    if (!c.clips) {
        vsr_error_set(&err, -ENOMEM, "out of memory");
        goto fail;
    }
    for (int i = 0; i < c.n_clips; i++) {
        if (vsr_dataset_load_clip(ds, i, &c.clips[i], &err))
            goto fail;
        c.n_total += c.clips[i].n_frames;
    }
    c.no_gt = c.clips[0].gt == NULL;
    c.need = quality_needed(c.no_gt, &sc);
    int H = c.clips[0].lr[0].height, W = c.clips[0].lr[0].width;
    for (int i = 0; use_mean && i < c.n_clips; i++) { /* the LR frames' mean, once */
        float m[VSR_PAD_MEAN_MAX];
        vsr_cli_frames_mean(c.clips[i].lr, c.clips[i].n_frames, m);
        for (int ch = 0; ch < VSR_PAD_MEAN_MAX; ch++)
            c.pad_mean[ch] += m[ch] * (float)c.clips[i].n_frames / (float)c.n_total;
    }
    /* graph, weights and calibration once per precision; measure() makes the engines */
    c.spec.graph_name = c.model.name;
    c.spec.h = H;
    c.spec.w = W;
    c.spec.calib_method = calib_method;
    c.spec.calib_frames = calib_frames;
    c.spec.calib_lr = c.clips[0].lr;
    c.spec.n_calib_lr = c.clips[0].n_frames;
    c.spec.pool = pools[0];
    c.spec.flags = VSR_MODELS_OPEN_NO_ENGINE;
    out = calloc((size_t)c.n_total, sizeof(*out));
    extra = calloc((size_t)n, sizeof(*extra));
    acc = calloc((size_t)n, sizeof(*acc));
    want = calloc((size_t)n, sizeof(*want));
    max_diff = calloc((size_t)n, sizeof(*max_diff));
    if (!out || !extra || !acc || !want || !max_diff) {
        vsr_error_set(&err, -ENOMEM, "out of memory");
        goto fail;
    }
    for (int p = 0; p < n_prec; p++) {
        struct tune_prec *tp = &precs[p];
        if (!(tp->ref = calloc((size_t)c.n_total, sizeof(*tp->ref)))) {
            vsr_error_set(&err, -ENOMEM, "out of memory");
            goto fail;
        }
        if (open_precision(&c, tp, H, W, &err) ||
            measure(&c, tp, pools[0], 0, 0, NULL, tp->ref, &ref_acc, &err) ||
            quality(&c, tp->ref, pools[0], tp->ref_q, &err)) {
            vsr_error_wrap(&err, -EINVAL, "%s", tp->label);
            goto fail;
        }
    }

    /* ---- every setting, in turns (A B A B ...) until each has its timing ---- */
    vsr_timing_rule rule = {.min_runs = c.min_runs, .min_secs = c.min_secs};
    for (int i = 0; i < n; i++)
        want[i] = 1;
    for (int i = vsr_sweep_next_turn(want, n, -1); i >= 0;
         i = vsr_sweep_next_turn(want, n, i)) {
        vsr_runlog_tune_row *r = &rows[i];
        const struct tune_prec *tp = &precs[meta[i].prec];
        pthreadpool_t pool = NULL;
        for (int k = 0; k < nth; k++)
            if (threads[k] == r->threads)
                pool = pools[k];
        if (progress) {
            fprintf(stderr, "\r[%d/%d] %s tile %d pad %d threads %d %s/%s x%d, pass %d\033[K",
                    i + 1, n, tp->label, r->tile, r->pad, r->threads,
                    vsr_tile_mode_name((vsr_tile_mode)r->tile_mode),
                    vsr_tile_padding_name((vsr_tile_padding)r->padding), r->tile_workers,
                    acc[i].passes + 1);
            fflush(stderr);
        }
        int first = acc[i].passes == 0;
        if (first) {
            frames_free(out, c.n_total);
            if (!(out = calloc((size_t)c.n_total, sizeof(*out)))) {
                vsr_error_set(&err, -ENOMEM, "out of memory");
                goto fail;
            }
        }
        if ((rc = measure(&c, tp, pool, r->tile, r->pad, r, first ? out : NULL, &acc[i],
                          &err))) {
            vsr_error_wrap(
                &err, rc, "%s tile %d pad %d threads %d %s/%s x%d", tp->label, r->tile, r->pad,
                r->threads, vsr_tile_mode_name((vsr_tile_mode)r->tile_mode),
                vsr_tile_padding_name((vsr_tile_padding)r->padding), r->tile_workers);
            goto fail;
        }
        want[i] = acc[i].n > 0 && (acc[i].passes < c.runs ||
                                   !vsr_timing_enough(&rule, acc[i].n, acc[i].total_ms));
        if (!first)
            continue;
        compare_ref(&c, tp->ref, out, &r->identical, &extra[i].psnr_vs_untiled, &max_diff[i]);
        meta[i].max_diff = max_diff[i];
        if (r->identical)
            memcpy(meta[i].cols, tp->ref_q, sizeof(tp->ref_q));
        else if (quality(&c, out, pool, meta[i].cols, &err))
            goto fail;
        /* NaN without GT: only identical rows are known to be within the tolerance */
        r->psnr_delta =
            r->identical ? 0.0 : meta[i].cols[VSR_SCORE_PSNR] - tp->ref_q[VSR_SCORE_PSNR];
    }
    for (int i = 0; i < n; i++) {
        vsr_runlog_tune_row *r = &rows[i];
        vsr_timing_stats st;
        vsr_timing_env env;
        if (vsr_timing_stats_compute(acc[i].smp, acc[i].n, c.warmup, NAN, &st, &err))
            goto fail;
        vsr_timing_env_finish(&acc[i].env, r->threads, &env);
        r->ms = st.median_ms;
        r->ms_lo = st.median_lo_ms;
        r->ms_hi = st.median_hi_ms;
        r->noisy = vsr_timing_noisy(&st, &env, r->noisy_why, sizeof(r->noisy_why));
        extra[i].ms_p95 = st.p95_ms;
    }
    vsr_cli_progress_clear(progress);
    /* the front and the tolerance per precision (each against its own untiled output) */
    int rec = -1;
    for (int p = 0; p < n_prec; p++) {
        int k = vsr_tune_mark(rows + precs[p].first_row, precs[p].n_rows, tol);
        if (k >= 0 && (rec < 0 || rows[precs[p].first_row + k].ms < rows[rec].ms))
            rec = precs[p].first_row + k;
    }
    if ((rec = score_rows(&sc, precs, rows, meta, n, rec, tol, &err)) < -1)
        goto fail;
    for (int i = 0; i < n; i++) {
        extra[i].scored = 1;
        extra[i].psnr = meta[i].cols[VSR_SCORE_PSNR];
        extra[i].niqe = meta[i].cols[VSR_SCORE_NIQE];
        extra[i].score = meta[i].score;
        extra[i].score_formula = formula[0] ? formula : NULL;
    }

    /* ---- record ---- */
    size_t cl_len = 0;
    char prec_list[MAX_PREC * 48] = "";
    for (int p = 0, len = 0; p < n_prec; p++) { /* fits: MAX_PREC labels < 48 chars */
        const char *name = n_prec == 1 ? precs[p].db_name : precs[p].label;
        size_t l = strlen(name);
        if (p)
            prec_list[len++] = '+';
        memcpy(prec_list + len, name, l + 1);
        len += (int)l;
    }
    FILE *mf = open_memstream(&cmdline, &cl_len);
    if (!mf) {
        vsr_error_set(&err, -ENOMEM, "out of memory");
        goto fail;
    }
    /* (keys added by issue 16 only when used, so older sessions keep their hashes) */
    fprintf(mf, "# vsrbench tune\nmodel: %s\n%s: %s\ndataset: %s\nframes: %d\n", c.model.name,
            n_prec == 1 ? "precision" : "precisions", prec_list, dd.name, dd.frames);
    fprintf(mf, "config: %s\nweights: %s\ntolerance_db: %g\nrows: %d\n", config ? config : "~",
            weights ? weights : "~", tol, n);
    if (any_int8)
        fprintf(mf, "calibration: {method: %s, frames: %d}\n", calib_method, calib_frames);
    if (c.requant == VSR_REQUANT_TFLITE) /* (float, the default, leaves old hashes alone) */
        fprintf(mf, "requant: tflite\n");
    /* the tiling axes, only when given (old hashes stay) */
    if (modes_s || paddings_s || workers_s) {
        fprintf(mf, "tile_mode: [");
        for (int i = 0; i < nmo; i++)
            fprintf(mf, "%s%s", i ? ", " : "", vsr_tile_mode_name((vsr_tile_mode)modes[i]));
        fprintf(mf, "]\npadding: [");
        for (int i = 0; i < npd; i++)
            fprintf(mf, "%s%s", i ? ", " : "",
                    vsr_tile_padding_name((vsr_tile_padding)paddings[i]));
        fprintf(mf, "]\ntile_workers: [");
        for (int i = 0; i < nw; i++)
            fprintf(mf, "%s%d", i ? ", " : "", workers[i]);
        fprintf(mf, "]\n");
    }
    if (use_mean) /* recorded with the sweep (its cmdline) */
        fprintf(mf, "padding_mean: [%.4f, %.4f, %.4f]\n", c.pad_mean[0], c.pad_mean[1],
                c.pad_mean[2]);
    if (warmup_s)
        fprintf(mf, "warmup: %d\n", c.warmup);
    if (formula[0])
        fprintf(mf, "score: {name: %s, formula: '%s'}\n", sc.name, sc.formula);
    if (c.no_gt)
        fprintf(mf, "no_gt: true\n");
    fclose(mf);
    char hash[17];
    snprintf(hash, sizeof(hash), "%016llx",
             (unsigned long long)vsr_fnv1a64(cmdline, strlen(cmdline), VSR_FNV1A64_INIT));
    char sweep_name[512]; /* model, precision list and dataset names, each bounded */
    snprintf(sweep_name, sizeof(sweep_name), "tune/%s/%s/%s", c.model.name, prec_list, dd.name);
    vsr_runlog_sweep sw = {sweep_name, config, cmdline, NULL, hash};
    vsr_runlog_host host;
    int64_t host_id = 0, sweep_id = 0;
    int orc = vsr_runlog_open(&log, db_path, &err);
    if (orc == -EINVAL) { /* not a run log, or a newer one: as `run` and `report` */
        vsr_cli_progress_clear(progress);
        fprintf(stderr, "vsrbench tune: %s\n", err.msg);
        ret = VSR_EXIT_USAGE;
        goto end;
    }
    if (orc || vsr_runlog_host_detect(&host, &err) ||
        vsr_runlog_host_id(log, &host, &host_id, &err) ||
        vsr_runlog_sweep_begin(log, &sw, 0, &sweep_id, &err))
        goto fail;
    for (int p = 0; p < n_prec; p++) {
        vsr_runlog_tune tn = {c.model.type, c.model.variant, precs[p].db_name, dd.name,
                              host_id};
        int f = precs[p].first_row;
        if (vsr_runlog_tune_record_ext(log, sweep_id, &tn, rows + f, extra + f, precs[p].n_rows,
                                       &err))
            goto fail;
    }

    /* ---- table ---- */
    printf("tune %s %s on %s%s: %d settings, %d frames, warm-up %d\n", c.model.name, prec_list,
           dd.name, c.no_gt ? " (LR frames only: no GT)" : "", n, c.n_total, c.warmup);
    if (use_mean)
        printf("padding mean (LR frames): %.3f %.3f %.3f\n", c.pad_mean[0], c.pad_mean[1],
               c.pad_mean[2]);
    for (int p = 0; p < n_prec; p++) {
        printf("untiled %s:", precs[p].label);
        if (!c.no_gt)
            printf(" PSNR-Y %.3f dB", precs[p].ref_q[VSR_SCORE_PSNR]);
        if (c.need & (1u << VSR_SCORE_NIQE))
            printf(" NIQE %.3f", precs[p].ref_q[VSR_SCORE_NIQE]);
        printf(", %lld params\n", (long long)precs[p].params);
    }
    if (formula[0])
        printf("score %s = %s (higher is better; rows best first; the recommendation is the "
               "best within %g dB of its untiled output%s)\n",
               sc.name, sc.formula, tol, c.no_gt ? ", without GT: identical to it" : "");
    if (print_table(&c, precs, &sc, rows, extra, meta, n)) {
        vsr_error_set(&err, -ENOMEM, "out of memory");
        goto fail;
    }
    int any_noisy = 0;
    char set[160];
    for (int i = 0; i < n; i++)
        if (rows[i].noisy) {
            any_noisy = 1;
            printf("noisy: %s: %s\n", setting_name(precs, &meta[i], &rows[i], set, sizeof(set)),
                   rows[i].noisy_why);
        }
    if (any_noisy)
        printf("noisy rows are kept off the Pareto front and the recommendation%s\n",
               rec >= 0 && rows[rec].noisy ? " unless all are: THE RECOMMENDATION BELOW "
                                             "RESTS ON NOISY ROWS (re-run on an idle machine)"
                                           : "");
    if (rec >= 0 && formula[0])
        printf("recommended: %s: %.3f ms/frame, score %s %.5g%s; recorded in %s\n",
               setting_name(precs, &meta[rec], &rows[rec], set, sizeof(set)), rows[rec].ms,
               sc.name, meta[rec].score,
               rows[rec].identical ? ", output identical to untiled" : "", db_path);
    else if (rec >= 0)
        printf("recommended: %s: %.3f ms/frame, dPSNR-Y %+.4f dB%s (tolerance %g dB); "
               "recorded in %s\n",
               setting_name(precs, &meta[rec], &rows[rec], set, sizeof(set)), rows[rec].ms,
               rows[rec].psnr_delta, rows[rec].identical ? ", output identical to untiled" : "",
               tol, db_path);
    else if (formula[0])
        printf("no setting within %g dB of its untiled output has a score%s; recorded in %s\n",
               tol,
               c.no_gt ? " (without GT only identical outputs are known to be within)" : "",
               db_path);
    else
        printf("no setting within %g dB of the untiled output%s; recorded in %s\n", tol,
               c.no_gt ? " (without GT only identical outputs are known to be)" : "", db_path);
    ret = VSR_EXIT_OK;
    goto end;
usage_fail:
    fprintf(stderr, "vsrbench tune: %s\n", err.msg);
    ret = VSR_EXIT_USAGE;
    goto end;
fail:
    vsr_cli_progress_clear(progress);
    fprintf(stderr, "vsrbench tune: %s\n", err.msg);
    ret = VSR_EXIT_FAILURE;
end:
    free(cmdline);
    vsr_runlog_close(&log);
    frames_free(out, c.n_total);
    for (int p = 0; p < n_prec; p++) {
        frames_free(precs[p].ref, c.n_total);
        vsr_models_close(&precs[p].inst);
    }
    for (int i = 0; acc && i < n; i++)
        free(acc[i].smp);
    free(acc);
    free(ref_acc.smp);
    free(want);
    free(max_diff);
    for (int i = 0; c.clips && i < c.n_clips; i++)
        vsr_clip_free(&c.clips[i]);
    free(c.clips);
    free(c.kv);
    vsr_dataset_close(&ds);
    for (int i = 0; i < nth; i++)
        if (pools[i])
            pthreadpool_destroy(pools[i]);
    free(rows);
    free(meta);
    free(extra);
    vsr_config_free(&cfg);
    return ret;
}
