/*
 * vsrbench run: expand a YAML sweep and run it: datasets -> models/engine
 * -> metrics -> run log.
 *
 * Timing. Each LR frame's inference is timed on CLOCK_MONOTONIC around the
 * runner call that computes it (frame copy into the window, the model step,
 * output conversion). Metrics are computed after that call returns, on the
 * same thread, so scoring never overlaps (and never slows) a timed region;
 * the price is a longer wall time, not distorted figures. Warm-up: before
 * the first clip, `timing.warmup` frames of it are pushed and discarded
 * (the first of them is the cold "first" time). `timing.runs` > 1 repeats
 * the timed pass over every clip; metrics come from the first pass.
 * Engine models run with the per-layer profiler on (two clock reads per
 * layer), reset after the warm-up, so layer_profile holds the mean ms per
 * timed LR frame of every layer; that overhead is inside the frame times.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
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
#include "vsr/reports.h"

#ifndef VSR_GIT_REV
#define VSR_GIT_REV "unknown"
#endif
#ifndef VSR_BUILD_FLAGS
#define VSR_BUILD_FLAGS "unknown"
#endif

enum { ARG_DB = 256, ARG_RESUME, ARG_DRY_RUN, ARG_SET, ARG_PROGRESS, ARG_NO_REPORT };

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: vsrbench run CONFIG [--db FILE] [--resume] [--dry-run] [--set KEY=VALUE]...\n"
        "\n"
        "Expand the sweep in CONFIG (YAML: datasets x models x precisions x tile x pad x\n"
        "threads, minus the exclude: rules), run every run: build the model, load its\n"
        "weights, calibrate INT8, warm up, time every LR frame, score every SR frame,\n"
        "and record each run in one transaction in the SQLite run log.\n"
        "\n"
        "options:\n"
        "      --db FILE         run log (default: output.db of the config, runs.db)\n"
        "      --resume          skip runs already finished with the same config hash\n"
        "      --dry-run         print the expanded runs and exit\n"
        "      --set KEY=VALUE   override a config key before validation, e.g.\n"
        "                        --set timing.warmup=2 --set precisions=[fp32]\n"
        "                        --set datasets.0.dataroot=/data/vid4 (repeatable)\n"
        "      --progress WHEN   auto (stderr is a terminal), always, never\n"
        "      --no-report       do not write the report (output.report_dir of the config)\n"
        "                        at the end; a report failure is only a warning\n"
        "  -q, --quiet           no summary table\n"
        "  -h, --help            this help\n"
        "exit codes: 0 all runs ok (or skipped: an optional model's weights are absent),\n"
        "1 a run failed (the others are recorded) or the run log failed, 2 usage or\n"
        "config error\n");
}

/* ---- helpers ----------------------------------------------------------------- */

static int mkdir_p(const char *path, vsr_error *err)
{
    char buf[4096];
    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
        return vsr_error_set(err, -ENAMETOOLONG, "%s: path too long", path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return vsr_error_set(err, -errno, "%s: cannot create folder: %s", buf,
                                     strerror(errno));
            *p = c;
            if (!c)
                break;
        }
    }
    return 0;
}

/* Everything one run allocates; freed by run_state_free(). */
struct run_state {
    const vsr_models_entry *entry;
    vsr_models_hparams hp;
    enum vsr_models_temporal temporal;
    int in_ch, state_ch;
    pthreadpool_t pool;
    vsr_dataset *ds;
    vsr_graph *graph;
    vsr_engine *engine;
    vsr_models_step step;
    int step_is_bicubic, have_step;
    vsr_models_runner *runner;
    double *samples;
    int n_samples, cap_samples;
    vsr_runlog_frame *frames;
    int n_frames, cap_frames;
    vsr_runlog_clip *clips;
    int n_clips;
    vsr_runlog_layer *layers;
    int n_layers;
    char **names; /* clip names (owned) */
    char isa[64];
};

static void run_state_free(struct run_state *s)
{
    vsr_models_runner_free(&s->runner);
    if (s->have_step) {
        if (s->step_is_bicubic)
            vsr_models_bicubic_step_free(&s->step);
        else
            vsr_models_engine_step_free(&s->step);
    }
    vsr_engine_free(&s->engine);
    vsr_graph_free(&s->graph);
    vsr_dataset_close(&s->ds);
    if (s->pool)
        pthreadpool_destroy(s->pool);
    for (int i = 0; s->names && i < s->n_clips; i++)
        free(s->names[i]);
    free(s->names);
    free(s->samples);
    free(s->frames);
    free(s->clips);
    free(s->layers);
    memset(s, 0, sizeof(*s));
}

static int push_sample(struct run_state *s, double ms)
{
    if (s->n_samples == s->cap_samples) {
        int cap = s->cap_samples ? 2 * s->cap_samples : 256;
        double *p = realloc(s->samples, (size_t)cap * sizeof(*p));
        if (!p)
            return -ENOMEM;
        s->samples = p;
        s->cap_samples = cap;
    }
    s->samples[s->n_samples++] = ms;
    return 0;
}

static vsr_runlog_frame *new_frame(struct run_state *s)
{
    if (s->n_frames == s->cap_frames) {
        int cap = s->cap_frames ? 2 * s->cap_frames : 256;
        vsr_runlog_frame *p = realloc(s->frames, (size_t)cap * sizeof(*p));
        if (!p)
            return NULL;
        s->frames = p;
        s->cap_frames = cap;
    }
    return &s->frames[s->n_frames++];
}

/* Build the model for LR frames of @p clip (first clip of the run). */
static int build_model(struct run_state *s, const vsr_config *cfg, const vsr_sweep_run *r,
                       const vsr_clip *clip, vsr_runlog_result *res, vsr_error *err)
{
    int rc;
    int W = clip->lr[0].width, H = clip->lr[0].height;
    if (s->hp.family == VSR_MODELS_BICUBIC) {
        if (strcmp(r->precision->name, "fp32"))
            return vsr_error_set(
                err, -EINVAL,
                "bicubic runs in fp32 only; exclude it from %s "
                "(exclude: [{model: bicubic, precision: [fp16, fp16n, int8]}])",
                r->precision->name);
        if ((rc = vsr_models_bicubic_step(cfg->scale, &s->step, err)))
            return rc;
        s->step_is_bicubic = 1;
        s->have_step = 1;
        snprintf(s->isa, sizeof(s->isa), "scalar");
        res->params = 0;
    } else {
        vsr_precision prec;
        if ((rc = vsr_precision_parse(r->precision->name, &prec, err)) ||
            /* the graph is named after the zoo type, not the label: an npy map names
             * the zoo model (SWRN_published is an SWRN) */
            (rc = vsr_models_build(&s->hp, r->model->type, H, W, &s->graph, err)) ||
            (rc = vsr_pipe_load_weights(s->entry, r->model, NULL, s->graph, H, W, err)))
            return rc;
        vsr_graph_stats st;
        if (vsr_graph_count(s->graph, H, W, prec, &st, NULL) == 0) {
            res->params = st.params;
            res->macs = st.macs;
        }
        if (prec == VSR_PREC_INT8 &&
            (rc =
                 vsr_pipe_calibrate(s->graph, s->pool, s->temporal, s->in_ch, s->state_ch,
                                    s->entry->name, r->precision->calib_method,
                                    r->precision->calib_frames, clip->lr, clip->n_frames, err)))
            return rc;
        vsr_engine_options opt;
        vsr_engine_options_default(&opt);
        opt.tile = r->tile;
        opt.pad = r->pad;
        opt.profile = 1; /* two clock reads per layer: far below a frame's ms */
        if ((rc = vsr_engine_create(s->graph, prec, s->pool, &opt, &s->engine, err)) ||
            (rc = vsr_models_engine_step(s->engine, s->in_ch, s->state_ch, &s->step, err)))
            return rc;
        s->have_step = 1;
        unsigned isa = vsr_engine_isa(s->engine);
        snprintf(s->isa, sizeof(s->isa), "%s", isa ? vsr_isa_name(isa) : "scalar");
    }
    res->input_w = W;
    res->input_h = H;
    return vsr_models_runner_create(s->temporal, cfg->scale, &s->step, &s->runner, err);
}

static void metrics_nan(vsr_runlog_metrics *m)
{
    m->psnr_rgb = m->psnr_y = m->ssim_rgb = m->ssim_y = m->niqe = NAN;
}

/* Score one SR frame against its GT. */
static int score(const vsr_config *cfg, const vsr_metrics_niqe_model *niqe, pthreadpool_t pool,
                 const vsr_frame *gt, const vsr_frame *sr, vsr_runlog_metrics *m,
                 vsr_error *err)
{
    int rc = 0;
    vsr_frame gray = {0};
    const vsr_frame *fr = sr; /* full-reference side: gray SR for a gray GT image */
    metrics_nan(m);
    if ((rc = vsr_pipe_sr_for_gt(gt, sr, &gray, &fr, err)))
        return rc;
    if (cfg->psnr.enabled && cfg->psnr.y)
        rc = vsr_metrics_psnr(gt, fr, cfg->psnr.crop_border, 1, pool, &m->psnr_y, err);
    if (!rc && cfg->psnr.enabled && cfg->psnr.rgb)
        rc = vsr_metrics_psnr(gt, fr, cfg->psnr.crop_border, 0, pool, &m->psnr_rgb, err);
    if (!rc && cfg->ssim.enabled && cfg->ssim.y)
        rc = vsr_metrics_ssim(gt, fr, cfg->ssim.crop_border, 1, pool, &m->ssim_y, err);
    if (!rc && cfg->ssim.enabled && cfg->ssim.rgb)
        rc = vsr_metrics_ssim(gt, fr, cfg->ssim.crop_border, 0, pool, &m->ssim_rgb, err);
    if (!rc && niqe)
        rc = vsr_metrics_niqe(sr, niqe, cfg->niqe.crop_border, VSR_NIQE_Y, pool, &m->niqe, err);
    vsr_frame_free(&gray);
    return rc;
}

struct progress {
    int on;
    int run, n_runs;
    double t0;
    int frames_done;
};

static void show_progress(struct progress *pg, const char *key, const char *clip, int f, int n)
{
    if (!pg->on)
        return;
    double el = (vsr_timing_now_ms() - pg->t0) / 1e3;
    double fps = el > 0 ? pg->frames_done / el : 0;
    fprintf(stderr, "\r[%d/%d] %s %s %d/%d %.1f FPS\033[K", pg->run + 1, pg->n_runs, key, clip,
            f, n, fps);
    fflush(stderr);
}

static int save_sr(const vsr_config *cfg, const vsr_sweep_run *r, const char *clip, int t,
                   const vsr_frame *sr, vsr_error *err)
{
    char dir[4096], path[4200];
    char key[sizeof(r->key)];
    snprintf(key, sizeof(key), "%s", r->key);
    for (char *p = key; *p; p++)
        if (*p == '/')
            *p = '_';
    snprintf(dir, sizeof(dir), "%s/images/%s/%s", cfg->report_dir, key, clip);
    int rc = mkdir_p(dir, err);
    if (rc)
        return rc;
    snprintf(path, sizeof(path), "%s/%08d.png", dir, t);
    return vsr_image_write_png(path, sr, err);
}

/* execute(): the run did not start because an optional input is absent */
#define RUN_SKIPPED 1

/*
 * Execute one run; fill @p res (arrays owned by @p s). Returns 0 when the
 * run succeeded, RUN_SKIPPED (err says why) when an optional model's
 * weights are absent, else a negative errno with err set (the run then
 * counts as failed; res keeps what is known).
 */
static int execute(const vsr_config *cfg, const vsr_sweep_run *r,
                   const vsr_metrics_niqe_model *niqe, struct progress *pg, struct run_state *s,
                   vsr_runlog_result *res, vsr_timing_stats *timing, vsr_error *err)
{
    int rc;
    vsr_clip clip = {0};
    vsr_frame sr = {0};
    s->entry = vsr_models_zoo_find(r->model->type);
    if (!s->entry)
        return vsr_error_set(err, -EINVAL,
                             "model '%s' is not in the zoo (see 'vsrbench models')",
                             r->model->type);
    /* an optional model whose weights are absent: skipped, not failed */
    char why[sizeof(err->msg)];
    if (vsr_pipe_weights_absent(s->entry, r->model, why, sizeof(why))) {
        vsr_error_set(err, -ENOENT, "%s", why);
        return RUN_SKIPPED;
    }
    s->hp = s->entry->hp;
    if ((rc = vsr_pipe_apply_hparams(&s->hp, r->model, err)))
        return rc;
    if (s->hp.scale != cfg->scale)
        return vsr_error_set(err, -EINVAL, "model %s is x%d, the config's scale is %d",
                             r->model->name, s->hp.scale, cfg->scale);
    vsr_pipe_interface(s->entry, r->model, &s->hp, &s->temporal, &s->in_ch, &s->state_ch);
    if ((rc = vsr_cli_pool_create(r->threads, &s->pool, err)))
        return rc;
    if ((rc = vsr_pipe_open_dataset(cfg->scale, r->dataset, r->degradation, &s->ds, err)))
        return rc;
    int n_clips = vsr_dataset_clip_count(s->ds);
    s->clips = calloc((size_t)n_clips, sizeof(*s->clips));
    s->names = calloc((size_t)n_clips, sizeof(*s->names));
    if (!s->clips || !s->names)
        return vsr_error_set(err, -ENOMEM, "out of memory");
    s->n_clips = n_clips;
    double first_ms = NAN;
    for (int c = 0; c < n_clips; c++) {
        if ((rc = vsr_dataset_load_clip(s->ds, c, &clip, err)))
            goto end;
        if (!(s->names[c] = strdup(clip.name))) {
            rc = vsr_error_set(err, -ENOMEM, "out of memory");
            goto end;
        }
        if (c == 0) {
            if ((rc = build_model(s, cfg, r, &clip, res, err)))
                goto end;
            /* warm-up on the first frames of the first clip, discarded */
            for (int i = 0; i < cfg->warmup; i++) {
                int ready;
                if (!sr.data && (rc = vsr_frame_alloc(&sr, clip.lr[0].width * cfg->scale,
                                                      clip.lr[0].height * cfg->scale, 3, err)))
                    goto end;
                double t0 = vsr_timing_now_ms();
                rc = vsr_models_runner_push(s->runner, &clip.lr[i % clip.n_frames], &sr, &ready,
                                            NULL, err);
                if (i == 0)
                    first_ms = vsr_timing_now_ms() - t0;
                if (rc)
                    goto end;
            }
            for (int ready = 1; ready;) /* drain: the next push starts a clip */
                if ((rc = vsr_models_runner_push(s->runner, NULL, &sr, &ready, NULL, err)))
                    goto end;
            if (s->engine) /* profile the timed frames only */
                vsr_engine_profile_reset(s->engine);
        }
        int W = clip.lr[0].width * cfg->scale, H = clip.lr[0].height * cfg->scale;
        if (sr.width != W || sr.height != H) {
            vsr_frame_free(&sr);
            if ((rc = vsr_frame_alloc(&sr, W, H, 3, err)))
                goto end;
        }
        vsr_metric_stats st[5];
        for (int k = 0; k < 5; k++)
            vsr_metrics_stats_init(&st[k]);
        for (int pass = 0; pass < cfg->runs; pass++) {
            int next = 0, ready = 0, t_out = -1;
            while (next <= clip.n_frames) {
                const vsr_frame *in = next < clip.n_frames ? &clip.lr[next] : NULL;
                double t0 = vsr_timing_now_ms();
                rc = vsr_models_runner_push(s->runner, in, &sr, &ready, &t_out, err);
                double ms = vsr_timing_now_ms() - t0;
                if (rc)
                    goto end;
                if (in)
                    next++;
                else if (!ready)
                    break; /* drained */
                if (!ready)
                    continue;
                if ((rc = push_sample(s, ms)) < 0) {
                    vsr_error_set(err, rc, "out of memory");
                    goto end;
                }
                pg->frames_done++;
                show_progress(pg, r->key, clip.name, t_out + 1, clip.n_frames);
                if (pass > 0)
                    continue;
                /* scoring: after the timed call, never during it */
                vsr_runlog_frame *f = new_frame(s);
                if (!f) {
                    rc = vsr_error_set(err, -ENOMEM, "out of memory");
                    goto end;
                }
                f->clip = s->names[c];
                f->index = clip.first + t_out;
                f->ms = ms;
                if ((rc = score(cfg, niqe, s->pool, &clip.gt[t_out], &sr, &f->m, err))) {
                    vsr_error_wrap(err, rc, "clip %s frame %d", clip.name, t_out);
                    goto end;
                }
                double v[5] = {f->m.psnr_rgb, f->m.psnr_y, f->m.ssim_rgb, f->m.ssim_y,
                               f->m.niqe};
                for (int k = 0; k < 5; k++)
                    if (!isnan(v[k]))
                        vsr_metrics_stats_add(&st[k], v[k]);
                if (cfg->save_images &&
                    (rc = save_sr(cfg, r, clip.name, clip.first + t_out, &sr, err)))
                    goto end;
            }
        }
        vsr_runlog_clip *cm = &s->clips[c];
        cm->clip = s->names[c];
        cm->frames = clip.n_frames;
        double *dst[5] = {&cm->m.psnr_rgb, &cm->m.psnr_y, &cm->m.ssim_rgb, &cm->m.ssim_y,
                          &cm->m.niqe};
        for (int k = 0; k < 5; k++)
            *dst[k] = vsr_metrics_stats_count(&st[k]) ? vsr_metrics_stats_mean(&st[k]) : NAN;
        vsr_clip_free(&clip);
    }
    if ((rc = vsr_timing_stats_compute(s->samples, s->n_samples, cfg->warmup, first_ms, timing,
                                       err)))
        goto end;
    res->timing = timing;
    /* per-layer profile: mean ms per timed LR frame */
    if (s->engine && s->n_samples > 0) {
        int nl = vsr_engine_layer_count(s->engine);
        s->layers = calloc((size_t)(nl > 0 ? nl : 1), sizeof(*s->layers));
        if (!s->layers) {
            rc = vsr_error_set(err, -ENOMEM, "out of memory");
            goto end;
        }
        for (int i = 0; i < nl; i++) {
            vsr_layer_profile lp;
            if (vsr_engine_layer_profile(s->engine, i, &lp) != 0)
                continue;
            vsr_runlog_layer *l = &s->layers[s->n_layers++];
            l->index = i;
            l->name = lp.name;
            l->op = vsr_op_name(lp.op);
            l->ms = (double)lp.ns / 1e6 / s->n_samples;
            l->macs = -1;
        }
        res->layers = s->layers;
        res->n_layers = s->n_layers;
    }
end:
    vsr_clip_free(&clip);
    vsr_frame_free(&sr);
    res->isa = s->isa[0] ? s->isa : NULL;
    res->clips = s->clips;
    res->n_clips = rc ? 0 : s->n_clips;
    res->frames = s->frames;
    res->n_frames = rc ? 0 : s->n_frames;
    return rc;
}

/* ---- summary ------------------------------------------------------------------ */

struct summary {
    char status[12];
    double median_ms, psnr_y, ssim_y;
    char error[sizeof(((vsr_error *)0)->msg)];
};

static double mean_over_clips(const vsr_runlog_result *res, int which)
{
    double sum = 0;
    int n = 0;
    for (int i = 0; i < res->n_clips; i++) {
        double v = which ? res->clips[i].m.ssim_y : res->clips[i].m.psnr_y;
        if (isfinite(v)) {
            sum += v;
            n++;
        }
    }
    return n ? sum / n : NAN;
}

static void print_summary(const vsr_sweep_run *runs, const struct summary *sum, int n)
{
    printf("\n%-4s %-52s %-8s %10s %8s %7s\n", "#", "run", "status", "ms/frame", "PSNR-Y",
           "SSIM-Y");
    for (int i = 0; i < n; i++) {
        char ms[32] = "-", p[32] = "-", s[32] = "-";
        if (isfinite(sum[i].median_ms))
            snprintf(ms, sizeof(ms), "%.3f", sum[i].median_ms);
        if (!isnan(sum[i].psnr_y))
            vsr_metrics_format(sum[i].psnr_y, 2, p, sizeof(p));
        if (!isnan(sum[i].ssim_y))
            vsr_metrics_format(sum[i].ssim_y, 4, s, sizeof(s));
        printf("%-4d %-52s %-8s %10s %8s %7s\n", i + 1, runs[i].key, sum[i].status, ms, p, s);
    }
    for (int i = 0; i < n; i++)
        if (!strcmp(sum[i].status, "failed"))
            printf("run %d %s failed: %s\n", i + 1, runs[i].key, sum[i].error);
    /* one line per model whose optional weights are absent */
    for (int i = 0; i < n; i++) {
        if (strcmp(sum[i].status, "skipped") || !sum[i].error[0])
            continue;
        int seen = 0;
        for (int j = 0; j < i && !seen; j++)
            seen = runs[j].model == runs[i].model && !strcmp(sum[j].status, "skipped") &&
                   sum[j].error[0];
        if (!seen)
            printf("skipped: %s\n", sum[i].error);
    }
}

/* The report of this sweep's runs (newest per run key) into
 * output.report_dir; failures are one warning line. */
static void write_report(const vsr_config *cfg, const char *db_path)
{
    char filter[256];
    vsr_error err = {0};
    vsr_report_opts o;
    vsr_report_opts_init(&o);
    snprintf(filter, sizeof(filter), "sweep=%s", cfg->name);
    o.db = db_path;
    o.out = cfg->report_dir;
    o.filter = filter;
    int rc = vsr_report_generate(&o, &err);
    if (rc == -ENODATA)
        fprintf(stderr, "vsrbench run: warning: no finished run to report on (%s)\n", err.msg);
    else if (rc)
        fprintf(stderr, "vsrbench run: warning: report not written: %s\n", err.msg);
    else
        printf("report: %s/index.html\n", cfg->report_dir);
}

/* ---- the command ----------------------------------------------------------------- */

int vsr_cmd_run(int argc, char **argv)
{
    static const struct option long_opts[] = {
        {"db", required_argument, NULL, ARG_DB},
        {"resume", no_argument, NULL, ARG_RESUME},
        {"dry-run", no_argument, NULL, ARG_DRY_RUN},
        {"set", required_argument, NULL, ARG_SET},
        {"progress", required_argument, NULL, ARG_PROGRESS},
        {"no-report", no_argument, NULL, ARG_NO_REPORT},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db_path = NULL, *sets[64];
    int n_sets = 0, resume = 0, dry = 0, quiet = 0, progress = -1, report = 1, opt;
    vsr_error err = {0};
    optind = 1;
    while ((opt = getopt_long(argc, argv, "qh", long_opts, NULL)) != -1) {
        switch (opt) {
        case ARG_DB:
            db_path = optarg;
            break;
        case ARG_RESUME:
            resume = 1;
            break;
        case ARG_DRY_RUN:
            dry = 1;
            break;
        case ARG_SET:
            if (n_sets == 64) {
                fprintf(stderr, "vsrbench run: at most 64 --set options\n");
                return VSR_EXIT_USAGE;
            }
            sets[n_sets++] = optarg;
            break;
        case ARG_PROGRESS:
            if (vsr_cli_progress_parse(optarg, &progress, &err)) {
                fprintf(stderr, "vsrbench run: %s\n", err.msg);
                return VSR_EXIT_USAGE;
            }
            break;
        case ARG_NO_REPORT:
            report = 0;
            break;
        case 'q':
            quiet = 1;
            break;
        default: /* -h, --help or a bad option */
            return vsr_cli_help_exit(opt, usage);
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "vsrbench run: expected one CONFIG file\n");
        usage(stderr);
        return VSR_EXIT_USAGE;
    }
    progress = vsr_cli_progress_resolve(progress);

    vsr_config *cfg = NULL;
    vsr_sweep_run *runs = NULL;
    vsr_runlog *log = NULL;
    vsr_metrics_niqe_model *niqe = NULL;
    struct summary *sum = NULL;
    int n = 0, excluded = 0, ret = VSR_EXIT_OK;
    if (vsr_config_load(argv[optind], sets, n_sets, &cfg, &err) < 0 ||
        vsr_sweep_expand(cfg, &runs, &n, &excluded, &err) < 0) {
        fprintf(stderr, "vsrbench run: %s\n", err.msg);
        ret = VSR_EXIT_USAGE;
        goto end;
    }
    /* a corrupt or crafted weights file is an input error (2) before any run */
    int wrc = vsr_pipe_check_weight_files(cfg, &err);
    if (wrc < 0) {
        fprintf(stderr, "vsrbench run: %s\n", err.msg);
        ret = vsr_cli_input_exit(wrc);
        goto end;
    }
    if (!db_path)
        db_path = cfg->db;

    if (dry) {
        /* with --resume and an existing db, say which runs would be skipped */
        struct stat stt;
        if (resume && stat(db_path, &stt) == 0 && vsr_runlog_open(&log, db_path, &err) < 0) {
            fprintf(stderr, "vsrbench run: %s\n", err.msg);
            ret = VSR_EXIT_FAILURE;
            goto end;
        }
        printf("sweep %s: %d run%s (%d excluded), config hash %s\n", cfg->name, n,
               n == 1 ? "" : "s", excluded, cfg->hash);
        printf("%-4s %-16s %-6s %s\n", "#", "run hash", "resume", "run");
        for (int i = 0; i < n; i++) {
            int64_t found = 0;
            if (log && vsr_runlog_find_finished(log, runs[i].hash, &found, &err) < 0) {
                fprintf(stderr, "vsrbench run: %s\n", err.msg);
                ret = VSR_EXIT_FAILURE;
                goto end;
            }
            printf("%-4d %-16s %-6s %s\n", i + 1, runs[i].hash, found ? "skip" : "run",
                   runs[i].key);
        }
        goto end;
    }

    if (vsr_runlog_open(&log, db_path, &err) < 0) {
        fprintf(stderr, "vsrbench run: %s\n", err.msg);
        ret = VSR_EXIT_FAILURE;
        goto end;
    }
    vsr_runlog_host host;
    int64_t host_id = 0, sweep_id = 0;
    int stale = 0;
    vsr_runlog_sweep sw = {cfg->name, cfg->path, cfg->text, cfg->overrides, cfg->hash};
    if (vsr_runlog_host_detect(&host, &err) < 0 ||
        vsr_runlog_host_id(log, &host, &host_id, &err) < 0 ||
        vsr_runlog_mark_interrupted(log, host_id, &stale, &err) < 0 ||
        vsr_runlog_sweep_begin(log, &sw, resume, &sweep_id, &err) < 0) {
        fprintf(stderr, "vsrbench run: %s\n", err.msg);
        ret = VSR_EXIT_FAILURE;
        goto end;
    }
    if (stale)
        vsr_log(VSR_LOG_WARNING, "%d run%s of an earlier sweep died in flight; marked failed",
                stale, stale == 1 ? "" : "s");
    if (cfg->niqe.enabled && vsr_metrics_niqe_model_load(NULL, &niqe, &err) < 0) {
        fprintf(stderr, "vsrbench run: metrics.niqe: %s\n", err.msg);
        ret = VSR_EXIT_USAGE;
        goto end;
    }
    sum = calloc((size_t)(n ? n : 1), sizeof(*sum));
    if (!sum) {
        fprintf(stderr, "vsrbench run: out of memory\n");
        ret = VSR_EXIT_FAILURE;
        goto end;
    }
    struct progress pg = {.on = progress, .n_runs = n, .t0 = vsr_timing_now_ms()};
    int failed = 0, skipped = 0, absent = 0;
    for (int i = 0; i < n; i++) {
        const vsr_sweep_run *r = &runs[i];
        struct summary *su = &sum[i];
        su->median_ms = su->psnr_y = su->ssim_y = NAN;
        pg.run = i;
        if (resume) {
            int64_t found = 0;
            if (vsr_runlog_find_finished(log, r->hash, &found, &err) < 0) {
                fprintf(stderr, "\nvsrbench run: %s\n", err.msg);
                ret = VSR_EXIT_FAILURE;
                goto end;
            }
            if (found) {
                snprintf(su->status, sizeof(su->status), "skipped");
                skipped++;
                continue;
            }
        }
        vsr_runlog_run rr = {
            .run_key = r->key,
            .config_hash = r->hash,
            .model = r->model->type,
            .variant = r->model->variant,
            .precision = r->precision->name,
            .calib_method = r->precision->calib_method,
            .calib_frames = r->precision->calib_frames,
            .dataset = r->dataset->name,
            .degradation = r->degradation,
            .scale = cfg->scale,
            .tile = r->tile,
            .pad = r->pad,
            .threads = r->threads,
            .git_rev = VSR_GIT_REV,
            .build_flags = VSR_BUILD_FLAGS,
            .host_id = host_id,
        };
        int64_t run_id = 0;
        if (vsr_runlog_run_begin(log, sweep_id, &rr, &run_id, &err) < 0) {
            fprintf(stderr, "\nvsrbench run: %s\n", err.msg);
            ret = VSR_EXIT_FAILURE;
            goto end;
        }
        struct run_state st = {0};
        vsr_timing_stats timing;
        vsr_runlog_result res = {.params = -1, .macs = -1};
        vsr_error rerr = {0};
        int rc = execute(cfg, r, niqe, &pg, &st, &res, &timing, &rerr);
        res.ok = rc == 0;
        res.error = rc ? rerr.msg : NULL;
        if (!rc) {
            su->median_ms = timing.median_ms;
            su->psnr_y = mean_over_clips(&res, 0);
            su->ssim_y = mean_over_clips(&res, 1);
        } else {
            snprintf(su->error, sizeof(su->error), "%s", rerr.msg);
            res.timing = NULL;
        }
        snprintf(su->status, sizeof(su->status), "%s",
                 !rc                 ? "ok"
                 : rc == RUN_SKIPPED ? "skipped"
                                     : "failed");
        int wrc = rc == RUN_SKIPPED ? vsr_runlog_run_skip(log, run_id, rerr.msg, &err)
                                    : vsr_runlog_run_finish(log, run_id, &res, &err);
        run_state_free(&st);
        if (wrc < 0) {
            fprintf(stderr, "\nvsrbench run: %s\n", err.msg);
            ret = VSR_EXIT_FAILURE;
            goto end;
        }
        if (rc == RUN_SKIPPED) {
            absent++;
        } else if (rc) {
            failed++;
            vsr_cli_progress_clear(progress);
            fprintf(stderr, "vsrbench run: %s failed: %s\n", r->key, rerr.msg);
        }
    }
    vsr_cli_progress_clear(progress);
    if (!quiet)
        print_summary(runs, sum, n);
    printf("%d run%s: %d ok, %d failed, %d skipped (already finished), %d skipped (optional "
           "weights absent); recorded in %s\n",
           n, n == 1 ? "" : "s", n - failed - skipped - absent, failed, skipped, absent,
           db_path);
    if (failed)
        ret = VSR_EXIT_FAILURE;
    if (report) {
        /* the runs are committed already: a report problem only warns */
        vsr_runlog_close(&log);
        write_report(cfg, db_path);
    }
end:
    free(sum);
    vsr_metrics_niqe_model_free(&niqe);
    vsr_runlog_close(&log);
    free(runs);
    vsr_config_free(&cfg);
    return ret;
}
