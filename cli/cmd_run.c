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
#define _GNU_SOURCE /* sched_setaffinity, CPU_SET */
#include <getopt.h>
#include <sched.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <pthreadpool.h>

#include "cli.h"
#include "commands.h"
#include "pipeline.h"
#include "shard_select.h"
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

enum {
    ARG_DB = 256,
    ARG_RESUME,
    ARG_DRY_RUN,
    ARG_SET,
    ARG_PROGRESS,
    ARG_NO_REPORT,
    ARG_PIN,
    ARG_DETAIL,
    ARG_JSON,
    ARG_SHARD
};

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: vsrbench run CONFIG [--db FILE] [--resume] [--dry-run] [--set KEY=VALUE]...\n"
        "                           [--shard K/N]\n"
        "\n"
        "Expand the sweep in CONFIG (YAML: datasets x models x precisions x tile x pad x\n"
        "threads, minus the exclude: rules), run every run: build the model, load its\n"
        "weights, calibrate INT8, warm up, time every LR frame, score every SR frame,\n"
        "and record each run in one transaction in the SQLite run log. Runs on one\n"
        "dataset take turns (A B A B), one timed pass each, until each has timing.runs\n"
        "passes, timing.min_runs frames and timing.min_secs seconds. A run whose median\n"
        "interval is wide or that shared the CPUs with other processes is marked noisy\n"
        "(docs/PERFORMANCE.md, \"Noisy runs\").\n"
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
        "      --pin CPUS        run on these CPUs only (sched_setaffinity; e.g. 0 or 0-1,3);\n"
        "                        threads: auto then counts only their idle ones\n"
        "      --shard K/N       run only shard K of N of the sweep: a fixed split, balanced "
        "by\n"
        "                        expected cost (MACs x frames), one --db per shard; then\n"
        "                        'vsrbench merge' (docs/CLUSTER.md)\n"
        "      --timing-detail   per run, benchmark_model's line: count= first= min= max=\n"
        "                        avg= std= median= p95= (ms), the median's 95%% interval,\n"
        "                        the init (build + calibration) ms and the machine state;\n"
        "                        at the end the clip cache's counts and the sweep's wall/CPU\n"
        "                        seconds by stage (docs/PERFORMANCE.md, \"Where a sweep's\n"
        "                        time goes\")\n"
        "      --json FILE       also write the summary as JSON to FILE (\"-\": stdout, with "
        "-q):\n"
        "                        per run its axes, status, timing, clip means and every\n"
        "                        frame's metrics in VMAF's layout (frames[], pooled_metrics)\n"
        "  -q, --quiet           no summary table\n"
        "  -h, --help            this help\n"
        "exit codes: 0 all runs ok (or skipped: an optional model's weights are absent),\n"
        "1 a run failed (the others are recorded) or the run log failed, 2 usage or\n"
        "config error (a --db that is not a run log, or is of a newer vsrbench, included),\n"
        "130 interrupted: Ctrl-C stops at the next frame, keeps the finished runs, marks\n"
        "the unfinished ones failed (\"interrupted: ...\"; --resume runs them) and writes\n"
        "no report\n"
        "\n"
        "Several processes (on this host or on hosts sharing the --db file) may run the\n"
        "same CONFIG at once: each claims the runs nobody holds, so every run is run\n"
        "once, and a run whose process died is taken over (at once on this host, after\n"
        "%d s without a heartbeat from another host).\n",
        VSR_RUNLOG_LEASE_TIMEOUT_S);
    fprintf(out, "\ntop-level config keys (--set KEY=VALUE takes a YAML value; KEY=~ "
                 "restores the default):\n");
    vsr_config_help(out);
}

/* ---- helpers ----------------------------------------------------------------- */

/*
 * Where a sweep's time goes (--timing-detail's "stages" lines): wall and
 * this process's CPU ms per stage, summed over the runs. inference: inside
 * the timed passes' runner calls (vsr_pipe_timed_clip minus on_frame);
 * scoring: on_frame (metrics, the frame's bookkeeping); passes: the rest of
 * a timed pass (clip cache loads, frame buffers); setup: dataset open,
 * warm-up, everything of setup() but build; build: model build, weights
 * and INT8 calibration (the run log's init_ms); runlog: finish() and
 * record(); report: the report, with its gnuplot's CPU (children).
 */
enum { ST_SETUP, ST_BUILD, ST_INFER, ST_SCORE, ST_PASS, ST_LOG, ST_REPORT, ST_N };
static const char *const stage_names[ST_N] = {"setup",  "build",  "inference", "scoring",
                                              "passes", "runlog", "report"};
struct stage_clock {
    double wall[ST_N], cpu[ST_N];
};
typedef struct stage_mark {
    double wall, cpu;
} stage_mark;

static double cpu_ms(int who)
{
    struct rusage ru;
    getrusage(who, &ru);
    return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static stage_mark stage_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (stage_mark){vsr_timing_now_ms(), t.tv_sec * 1e3 + t.tv_nsec / 1e6};
}

/* Add the time since @p m0 to stage @p st (NULL @p sc: nothing). */
static void stage_add(struct stage_clock *sc, int st, stage_mark m0)
{
    if (!sc)
        return;
    stage_mark m1 = stage_now();
    sc->wall[st] += m1.wall - m0.wall;
    sc->cpu[st] += m1.cpu - m0.cpu;
}

/* The "stages" lines: each stage's wall and CPU seconds and its share of the
 * command's wall time (@p t0: the command's start). */
static void stage_print(const struct stage_clock *sc, stage_mark t0, double child_cpu_ms)
{
    stage_mark t1 = stage_now();
    const double wall = t1.wall - t0.wall, cpu = t1.cpu - t0.cpu;
    double sw = 0, sp = 0;
    printf("stages (wall s / CPU s, share of wall):");
    for (int i = 0; i < ST_N; i++) {
        sw += sc->wall[i], sp += sc->cpu[i];
        printf(" %s %.2f/%.2f %.0f%%%s", stage_names[i], sc->wall[i] / 1e3, sc->cpu[i] / 1e3,
               100.0 * sc->wall[i] / wall, i == ST_REPORT ? "" : ",");
    }
    printf("; other %.2f/%.2f; total %.2f/%.2f (+ %.2f CPU s in child processes: gnuplot)\n",
           (wall - sw) / 1e3, (cpu - sp) / 1e3, wall / 1e3, cpu / 1e3, child_cpu_ms / 1e3);
}

/* The dataset of a group of runs (same dataset and degradation), opened by
 * the group's first setup() and borrowed by every run of the group: the
 * demo's checksums and the folders' first frames are read once per group. */
struct group_ds {
    vsr_dataset *ds; /* owned; closed when the group's runs are all recorded */
    int tried, rc;
    vsr_error err;
};

/* Everything one run allocates; freed by run_state_free(). */
struct run_state {
    const vsr_models_entry *entry;
    vsr_models_hparams hp;
    /* the model at the reference sizes (run log v9) */
    vsr_runlog_counts counts;
    enum vsr_models_temporal temporal;
    int in_ch, state_ch;
    pthreadpool_t pool;
    vsr_dataset *ds;      /* borrowed from the group (struct group_ds) */
    vsr_models_spec spec; /* the config model as a models/ spec */
    vsr_models_kv *kv;    /* spec.hparams (owned) */
    vsr_models_instance *inst;
    vsr_engine *engine; /* inst's (borrowed), NULL for bicubic */
    uint64_t alone0;    /* the engine's frames run alone (helper gate) before the timed ones */
    vsr_models_runner *runner;
    double *samples;
    int n_samples, cap_samples;
    vsr_runlog_frame *frames;
    int n_frames, cap_frames;
    vsr_runlog_clip *clips;
    int n_clips;
    /* scores: n_sc per frame and per clip, in the metric set's order */
    const vsr_metric_set *mset; /* borrowed from the sweep */
    int n_sc;
    double *fvals;            /* [cap_frames * n_sc] */
    double *cvals;            /* [n_clips * n_sc] */
    vsr_runlog_score *scores; /* finish(): frames' then clips' score lists */
    vsr_runlog_layer *layers;
    int n_layers;
    char **names; /* clip names (owned) */
    char isa[64];
    /* timing across the interleaved passes */
    int threads; /* the pool size actually used */
    int passes;  /* timed passes done */
    double first_ms, total_ms;
    vsr_timing_env_acc env_acc;
    vsr_timing_env env;
    vsr_timing_stats timing;
    char noisy_why[160];
    const char *pinned;         /* --pin list (borrowed) or NULL */
    vsr_clip_cache *cache;      /* the sweep's decoded clips (borrowed; NULL: none) */
    struct stage_clock *stages; /* the sweep's (borrowed) */
    struct group_ds *gds;       /* the run's group's dataset (borrowed) */
};

static void run_state_free(struct run_state *s)
{
    vsr_models_runner_free(&s->runner);
    vsr_models_close(&s->inst);
    free(s->kv);
    if (s->pool)
        pthreadpool_destroy(s->pool);
    for (int i = 0; s->names && i < s->n_clips; i++)
        free(s->names[i]);
    free(s->names);
    free(s->samples);
    free(s->frames);
    free(s->fvals);
    free(s->cvals);
    free(s->scores);
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
        double *v =
            realloc(s->fvals, (size_t)cap * (size_t)(s->n_sc ? s->n_sc : 1) * sizeof(*v));
        if (!v)
            return NULL;
        s->fvals = v;
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
        if (r->precision->prec != VSR_PREC_FP32)
            return vsr_error_set(
                err, -EINVAL,
                "bicubic runs in fp32 only; exclude it from %s "
                "(exclude: [{model: bicubic, precision: [fp16, fp16n, int8]}])",
                vsr_precision_name(r->precision->prec));
    }
    vsr_precision prec = r->precision->prec;
    /* the graph is named after the zoo type, not the label: an npy map names
     * the zoo model (SWRN_published is an SWRN) */
    s->spec.graph_name = r->model->type;
    s->spec.h = H;
    s->spec.w = W;
    s->spec.precision = prec;
    s->spec.scheme = r->precision->scheme; /* set on the graph before calibration */
    s->spec.pool = s->pool;
    s->spec.flags = VSR_MODELS_OPEN_NO_ENGINE; /* counted before calibration */
    if ((rc = vsr_models_open(&s->spec, &s->inst, err)))
        return rc;
    vsr_graph *g = s->inst->graph;
    if (!g) {
        snprintf(s->isa, sizeof(s->isa), "scalar");
        res->params = 0;
    } else {
        vsr_graph_stats st;
        if (vsr_graph_count(g, H, W, prec, &st, NULL) == 0) {
            res->params = st.params;
            res->macs = st.macs;
        }
        vsr_pipe_counts(&s->hp, prec, &s->counts);
        res->counts = &s->counts;
        if (prec == VSR_PREC_INT8 &&
            (rc = vsr_models_calibrate(g, s->pool, s->temporal, s->in_ch, s->state_ch,
                                       s->entry->name, vsr_config_calib_name(r->precision),
                                       r->precision->calib_frames, clip->lr, clip->n_frames,
                                       err)))
            return rc;
    }
    vsr_engine_options opt;
    vsr_engine_options_default(&opt);
    opt.tile = r->tile;
    opt.pad = r->pad; /* VSR_PAD_AUTO: the engine takes the receptive field */
    opt.tile_mode = (vsr_tile_mode)cfg->tile_mode;
    opt.padding = (vsr_tile_padding)cfg->padding;
    opt.tile_workers = cfg->tile_workers;
    opt.conv_algo = (vsr_conv_algo)cfg->conv_algo;
    if (r->tile > 0 && opt.tile_mode != VSR_TILE_CLIP && opt.padding == VSR_TPAD_MEAN)
        vsr_cli_frames_mean(clip->lr, clip->n_frames, opt.pad_mean); /* the clip's LR mean */
    opt.profile = 1;                    /* two clock reads per layer: far below a frame's ms */
    opt.threads_auto = r->threads == 0; /* measure the pool against 1 thread */
    if (r->precision->requant == VSR_REQUANT_TFLITE)
        opt.requant = VSR_REQUANT_TFLITE;
    vsr_layer_precision *keep = NULL;
    if (r->precision->n_keep_float > 0) { /* mixed precision: these layers in float */
        keep = vsr_cli_layer_prec(
            (const char *const *)r->precision->keep_float, r->precision->n_keep_float,
            !strcmp(r->precision->keep_float_precision, "fp16") ? VSR_PREC_FP16
                                                                : VSR_PREC_FP32);
        if (!keep)
            return vsr_error_set(err, -ENOMEM, "out of memory");
        opt.layer_prec = keep;
        opt.n_layer_prec = r->precision->n_keep_float;
    }
    rc = vsr_models_start(s->inst, prec, s->pool, &opt, err);
    free(keep); /* the engine keeps no pointer to it */
    if (rc)
        return rc;
    if ((s->engine = s->inst->engine)) {
        unsigned isa = vsr_engine_isa(s->engine);
        snprintf(s->isa, sizeof(s->isa), "%s", isa ? vsr_isa_name(isa) : "scalar");
    }
    res->input_w = W;
    res->input_h = H;
    return vsr_models_runner_create(s->temporal, cfg->scale, &s->inst->step, &s->runner, err);
}

/*
 * A dataset of LR frames only (no_gt: true, issue 16): its runs record the
 * no-reference metrics (NIQE) and timing; the full-reference ones are
 * skipped there, and this says so once per sweep on stderr (a mixed config
 * keeps scoring its other datasets fully).
 */
static void note_no_gt(const vsr_config *cfg, const vsr_metric_set *mset)
{
    char fr[256] = "";
    int n_nr = 0;
    for (int k = 0; k < vsr_metrics_set_count(mset); k++) {
        const vsr_metric *m = vsr_metrics_set_metric(mset, k);
        if (!m->needs_ref) {
            n_nr++;
            continue;
        }
        size_t len = strlen(fr);
        if (!strstr(fr, m->name) && len + strlen(m->name) + 3 < sizeof(fr))
            snprintf(fr + len, sizeof(fr) - len, "%s%s", len ? ", " : "", m->name);
    }
    for (int i = 0; i < cfg->n_datasets; i++)
        if (cfg->datasets[i].no_gt)
            fprintf(stderr,
                    "vsrbench run: note: dataset %s has LR frames only (no_gt): %s%s%s "
                    "recorded there\n",
                    cfg->datasets[i].name, fr[0] ? fr : "",
                    fr[0] ? " skipped (full-reference), " : "",
                    n_nr ? "no-reference metrics and timing"
                         : "only timing (add niqe to metrics:)");
}

/* Score one SR frame against its GT with the sweep's metrics, into @p v. */
static int score(const vsr_metric_set *mset, pthreadpool_t pool, const vsr_frame *gt,
                 const vsr_frame *sr, double *v, vsr_error *err)
{
    vsr_frame gray = {0};
    const vsr_frame *fr = sr; /* full-reference side: gray SR for a gray GT image */
    int rc = vsr_pipe_sr_for_gt(gt, sr, &gray, &fr, err);
    if (!rc)
        rc = vsr_metrics_set_run((vsr_metric_set *)mset, gt, fr, sr, pool, v, err);
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
    int rc = vsr_mkdir_p(dir, err);
    if (rc)
        return rc;
    snprintf(path, sizeof(path), "%s/%08d.png", dir, t);
    return vsr_image_write_png(path, sr, err);
}

/* setup(): the run did not start because an optional input is absent */
#define RUN_SKIPPED 1

/*
 * Prepare one run: model, weights, calibration, engine, then the warm-up
 * on the first frames of the first clip (discarded; the first one is the
 * cold "first" time). The build time goes to res->init_ms. Returns 0,
 * RUN_SKIPPED (err says why) when an optional model's weights are absent,
 * else a negative errno with err set (the run then counts as failed).
 */
static int setup(const vsr_config *cfg, const vsr_sweep_run *r, int threads,
                 struct run_state *s, vsr_runlog_result *res, vsr_error *err)
{
    int rc;
    const vsr_clip *clip = NULL;
    vsr_frame sr = {0};
    s->first_ms = NAN;
    s->threads = threads;
    s->entry = vsr_models_zoo_find(r->model->type);
    if (!s->entry)
        return vsr_error_set(err, -EINVAL,
                             "model '%s' is not in the zoo (see 'vsrbench models')",
                             r->model->type);
    /* an optional model whose weights are absent: skipped, not failed */
    if ((rc = vsr_pipe_spec(r->model, &s->spec, &s->kv, err)))
        return rc;
    char why[sizeof(err->msg)];
    if (r->model->optional && vsr_models_weights_absent(s->entry, &s->spec, why, sizeof(why))) {
        vsr_error_set(err, -ENOENT, "%s", why);
        return RUN_SKIPPED;
    }
    vsr_models_arch arch;
    if ((rc = vsr_models_resolve(&s->spec, &arch, err)))
        return rc;
    s->hp = arch.hp;
    s->temporal = arch.temporal;
    s->in_ch = arch.in_channels;
    s->state_ch = arch.state_channels;
    if (s->hp.scale != cfg->scale)
        return vsr_error_set(err, -EINVAL, "model %s is x%d, the config's scale is %d",
                             r->model->name, s->hp.scale, cfg->scale);
    if ((rc = vsr_cli_pool_create(threads, &s->pool, err)))
        return rc;
    struct group_ds *g = s->gds;
    if (!g->tried) {
        g->tried = 1;
        g->rc = vsr_pipe_open_dataset(cfg->scale, r->dataset, r->degradation, &g->ds, &g->err);
    }
    if (g->rc) {
        *err = g->err;
        return g->rc;
    }
    s->ds = g->ds;
    int n_clips = vsr_dataset_clip_count(s->ds);
    s->clips = calloc((size_t)n_clips, sizeof(*s->clips));
    s->names = calloc((size_t)n_clips, sizeof(*s->names));
    if (!s->clips || !s->names)
        return vsr_error_set(err, -ENOMEM, "out of memory");
    s->n_clips = n_clips;
    if (n_clips < 1)
        return vsr_error_set(err, -ENODATA, "dataset %s has no clips", r->dataset->name);
    if ((rc = vsr_clip_cache_load(s->cache, s->ds, 0, &clip, err)))
        goto end;
    stage_mark b0 = stage_now();
    double t0 = b0.wall;
    rc = build_model(s, cfg, r, clip, res, err);
    stage_add(s->stages, ST_BUILD, b0);
    if (rc)
        goto end;
    res->init_ms = vsr_timing_now_ms() - t0;
    if ((rc = vsr_frame_alloc(&sr, clip->lr[0].width * cfg->scale,
                              clip->lr[0].height * cfg->scale, 3, err)))
        goto end;
    /* threads: auto: the warm-up lasts until the engine has measured its pool
     * against 1 thread (vsr_engine_options.threads_auto), so no timed frame mixes
     * thread counts */
    int warmup = cfg->warmup;
    if (s->engine && vsr_engine_threads(s->engine) == 0 &&
        warmup < 2 * VSR_ENGINE_AUTO_PAIRS + 1)
        warmup = 2 * VSR_ENGINE_AUTO_PAIRS + 1;
    for (int i = 0; i < warmup && !vsr_cli_interrupted(); i++) {
        int ready;
        t0 = vsr_timing_now_ms();
        rc = vsr_models_runner_push(s->runner, &clip->lr[i % clip->n_frames], &sr, &ready, NULL,
                                    err);
        if (i == 0)
            s->first_ms = vsr_timing_now_ms() - t0;
        if (rc)
            goto end;
    }
    for (int ready = 1; ready;) /* drain: the next push starts a clip */
        if ((rc = vsr_models_runner_push(s->runner, NULL, &sr, &ready, NULL, err)))
            goto end;
    if (s->engine) { /* profile the timed frames only; count their frames run alone */
        uint64_t pool;
        vsr_engine_profile_reset(s->engine);
        vsr_engine_pool_frames(s->engine, &pool, &s->alone0);
    }
    if (s->engine && vsr_engine_threads(s->engine) > 0) /* auto: what it chose */
        s->threads = vsr_engine_threads(s->engine);
end:
    vsr_clip_cache_release(s->cache, &clip);
    vsr_frame_free(&sr);
    return rc;
}

/* What on_frame() needs of a timed pass over one clip. */
struct frame_ctx {
    const vsr_config *cfg;
    const vsr_sweep_run *r;
    const vsr_metric_set *mset;
    struct progress *pg;
    struct run_state *s;
    const vsr_clip *clip;
    int c, pass;
    vsr_metric_stats *st; /* [n_sc]: the clip's score means */
};

/* vsr_pipe_timed_clip() callback: keep the ms; on pass 0 score the frame
 * (after its timed call, never during it) and save it when asked. */
static int on_frame_body(struct frame_ctx *fc, int t_out, double ms, const vsr_frame *sr,
                         vsr_error *err);

static int on_frame(void *ctx, int t_out, double ms, const vsr_frame *sr, vsr_error *err)
{
    struct frame_ctx *fc = ctx;
    stage_mark m0 = stage_now();
    const int rc = on_frame_body(fc, t_out, ms, sr, err);
    stage_add(fc->s->stages, ST_SCORE, m0);
    return rc;
}

static int on_frame_body(struct frame_ctx *fc, int t_out, double ms, const vsr_frame *sr,
                         vsr_error *err)
{
    struct run_state *s = fc->s;
    const vsr_clip *clip = fc->clip;
    int rc;
    if (vsr_cli_interrupted()) /* Ctrl-C: stop here, the caller marks the run */
        return vsr_error_set(err, -EINTR, "interrupted (Ctrl-C)");
    if ((rc = push_sample(s, ms)) < 0)
        return vsr_error_set(err, rc, "out of memory");
    s->total_ms += ms;
    fc->pg->frames_done++;
    show_progress(fc->pg, fc->r->key, clip->name, t_out + 1, clip->n_frames);
    if (fc->pass > 0)
        return 0;
    vsr_runlog_frame *f = new_frame(s);
    if (!f)
        return vsr_error_set(err, -ENOMEM, "out of memory");
    f->clip = s->names[fc->c];
    f->index = clip->first + t_out;
    f->ms = ms;
    double *v = s->fvals + (size_t)(s->n_frames - 1) * (size_t)s->n_sc;
    /* no GT (a dataset of LR frames only): full-reference scores are NaN, not recorded */
    if ((rc = score(fc->mset, s->pool, clip->gt ? &clip->gt[t_out] : NULL, sr, v, err)))
        return vsr_error_wrap(err, rc, "clip %s frame %d", clip->name, t_out);
    for (int k = 0; k < s->n_sc; k++)
        if (!isnan(v[k]))
            vsr_metrics_stats_add(&fc->st[k], v[k]);
    if (fc->cfg->save_images &&
        (rc = save_sr(fc->cfg, fc->r, clip->name, clip->first + t_out, sr, err)))
        return rc;
    return 0;
}

/*
 * One timed pass of a prepared run over every LR frame of every clip.
 * Pass 0 also scores every SR frame (after its timed call, never during
 * it) and fills the clip means. The machine state of each clip's timed
 * stretch is added to s->env.
 */
static int timed_pass(const vsr_config *cfg, const vsr_sweep_run *r, const vsr_metric_set *mset,
                      struct progress *pg, struct run_state *s, vsr_error *err)
{
    int rc = 0, pass = s->passes;
    const vsr_clip *clip = NULL;
    vsr_frame sr = {0};
    vsr_metric_stats *st = NULL;
    /* the pass's own time: all of it but its clips' inference and scoring */
    struct stage_clock *sc = s->stages;
    const stage_mark m0 = stage_now();
    const double iw = sc ? sc->wall[ST_INFER] + sc->wall[ST_SCORE] : 0;
    const double ip = sc ? sc->cpu[ST_INFER] + sc->cpu[ST_SCORE] : 0;
    if (pass == 0) {
        s->mset = mset;
        s->n_sc = vsr_metrics_set_count(mset);
        st = calloc((size_t)(s->n_sc ? s->n_sc : 1), sizeof(*st));
        s->cvals = calloc((size_t)s->n_clips * (size_t)(s->n_sc ? s->n_sc : 1), sizeof(double));
        if (!st || !s->cvals) {
            rc = vsr_error_set(err, -ENOMEM, "out of memory");
            goto end;
        }
    }
    double tps = (double)sysconf(_SC_CLK_TCK);
    for (int c = 0; c < s->n_clips; c++) {
        if ((rc = vsr_clip_cache_load(s->cache, s->ds, c, &clip, err)))
            goto end;
        if (!s->names[c] && !(s->names[c] = strdup(clip->name))) {
            rc = vsr_error_set(err, -ENOMEM, "out of memory");
            goto end;
        }
        int W = clip->lr[0].width * cfg->scale, H = clip->lr[0].height * cfg->scale;
        if (sr.width != W || sr.height != H) {
            vsr_frame_free(&sr);
            if ((rc = vsr_frame_alloc(&sr, W, H, 3, err)))
                goto end;
        }
        for (int k = 0; st && k < s->n_sc; k++)
            vsr_metrics_stats_init(&st[k]);
        vsr_timing_probe p0, p1;
        struct frame_ctx fc = {cfg, r, mset, pg, s, clip, c, pass, st};
        vsr_timing_probe_read(&p0);
        stage_mark c0 = stage_now();
        const double sw = sc ? sc->wall[ST_SCORE] : 0, sp = sc ? sc->cpu[ST_SCORE] : 0;
        rc = vsr_pipe_timed_clip(s->runner, clip, &sr, on_frame, &fc, err);
        if (sc) { /* the clip's runner calls: the clip minus its on_frame calls */
            stage_add(sc, ST_INFER, c0);
            sc->wall[ST_INFER] -= sc->wall[ST_SCORE] - sw;
            sc->cpu[ST_INFER] -= sc->cpu[ST_SCORE] - sp;
        }
        if (rc)
            goto end;
        vsr_timing_probe_read(&p1);
        vsr_timing_env_add(&s->env_acc, &p0, &p1, tps);
        if (pass == 0) {
            vsr_runlog_clip *cm = &s->clips[c];
            cm->clip = s->names[c];
            cm->frames = clip->n_frames;
            double *dst = s->cvals + (size_t)c * (size_t)s->n_sc;
            for (int k = 0; k < s->n_sc; k++)
                dst[k] = vsr_metrics_stats_count(&st[k]) ? vsr_metrics_stats_mean(&st[k]) : NAN;
        }
        vsr_clip_cache_release(s->cache, &clip);
    }
    s->passes++;
end:
    free(st);
    vsr_clip_cache_release(s->cache, &clip);
    vsr_frame_free(&sr);
    if (sc) {
        stage_add(sc, ST_PASS, m0);
        sc->wall[ST_PASS] -= sc->wall[ST_INFER] + sc->wall[ST_SCORE] - iw;
        sc->cpu[ST_PASS] -= sc->cpu[ST_INFER] + sc->cpu[ST_SCORE] - ip;
    }
    return rc;
}

/* 1 while run @p s still needs timed passes (timing: runs, min_runs, min_secs). */
static int wants_more(const vsr_config *cfg, const struct run_state *s)
{
    vsr_timing_rule rule = {.min_runs = cfg->min_runs, .min_secs = cfg->min_secs};
    if (s->passes == 0)
        return 1;
    if (s->n_samples == 0) /* a dataset without frames: more passes cannot help */
        return 0;
    return s->passes < cfg->runs || !vsr_timing_enough(&rule, s->n_samples, s->total_ms);
}

/*
 * Summarize a run whose passes are done: timing, its interval, the machine
 * state, the noisy mark and the per-layer profile into @p res (arrays owned
 * by @p s).
 */
static int finish(const vsr_config *cfg, struct run_state *s, vsr_runlog_result *res,
                  vsr_error *err)
{
    int rc;
    if ((rc = vsr_timing_stats_compute(s->samples, s->n_samples, cfg->warmup, s->first_ms,
                                       &s->timing, err)))
        return rc;
    res->timing = &s->timing;
    vsr_timing_env_finish(&s->env_acc, s->threads, &s->env);
    snprintf(s->env.pinned, sizeof(s->env.pinned), "%s", s->pinned ? s->pinned : "");
    if (s->engine) {
        uint64_t pool, alone;
        vsr_engine_pool_frames(s->engine, &pool, &alone);
        s->env.frames_alone = (long)(alone - s->alone0);
    }
    res->env = &s->env;
    res->noisy = vsr_timing_noisy(&s->timing, &s->env, s->noisy_why, sizeof(s->noisy_why));
    res->noisy_why = s->noisy_why;
    /* per-layer profile: mean ms per timed LR frame */
    if (s->engine && s->n_samples > 0) {
        int nl = vsr_engine_layer_count(s->engine);
        s->layers = calloc((size_t)(nl > 0 ? nl : 1), sizeof(*s->layers));
        if (!s->layers)
            return vsr_error_set(err, -ENOMEM, "out of memory");
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
            l->algo = lp.algo;
        }
        res->layers = s->layers;
        res->n_layers = s->n_layers;
    }
    /* the score lists: (metric, channel, value) of every frame and clip */
    size_t nsc = (size_t)s->n_sc, nf = (size_t)s->n_frames;
    s->scores = calloc((nf + (size_t)s->n_clips) * nsc + 1, sizeof(*s->scores));
    if (!s->scores)
        return vsr_error_set(err, -ENOMEM, "out of memory");
    for (size_t i = 0; i < nf + (size_t)s->n_clips; i++) {
        const double *v = i < nf ? s->fvals + i * nsc : s->cvals + (i - nf) * nsc;
        vsr_runlog_score *sc = s->scores + i * nsc;
        for (size_t k = 0; k < nsc; k++) {
            sc[k].metric = vsr_metrics_set_metric(s->mset, (int)k)->name;
            sc[k].channel = vsr_metrics_set_channel(s->mset, (int)k);
            sc[k].value = v[k];
        }
        if (i < nf)
            s->frames[i].scores = sc, s->frames[i].n_scores = s->n_sc;
        else
            s->clips[i - nf].scores = sc, s->clips[i - nf].n_scores = s->n_sc;
    }
    res->clips = s->clips;
    res->n_clips = s->n_clips;
    res->frames = s->frames;
    res->n_frames = s->n_frames;
    return 0;
}

/* ---- summary ------------------------------------------------------------------ */

struct summary {
    char status[12];
    double median_ms, lo_ms, hi_ms, psnr_y, ssim_y;
    int noisy, have_timing;
    char error[sizeof(((vsr_error *)0)->msg)];
    char detail[512]; /* --timing-detail line */
    json_t *json;     /* --json: what record() knew of the run (owned), or NULL */
};

/* The mean over clips of score (@p metric, @p channel) of the summary table; NaN when
 * not scored. */
static double mean_over_clips(const vsr_runlog_result *res, const char *metric,
                              const char *channel)
{
    double sum = 0;
    int n = 0;
    for (int i = 0; i < res->n_clips; i++) {
        double v = NAN;
        for (int k = 0; k < res->clips[i].n_scores; k++)
            if (!strcmp(res->clips[i].scores[k].metric, metric) &&
                !strcmp(res->clips[i].scores[k].channel, channel))
                v = res->clips[i].scores[k].value;
        if (isfinite(v)) {
            sum += v;
            n++;
        }
    }
    return n ? sum / n : NAN;
}

static void print_summary(const vsr_sweep_run *runs, const struct summary *sum, int n)
{
    printf("\n%-4s %-52s %-8s %10s %-17s %-5s %8s %7s\n", "#", "run", "status", "ms/frame",
           "95% interval", "noisy", "PSNR-Y", "SSIM-Y");
    int any_noisy = 0;
    for (int i = 0; i < n; i++) {
        char ms[32] = "-", ci[48] = "-", p[32] = "-", s[32] = "-";
        if (isfinite(sum[i].median_ms))
            snprintf(ms, sizeof(ms), "%.3f", sum[i].median_ms);
        if (isfinite(sum[i].lo_ms) && isfinite(sum[i].hi_ms))
            snprintf(ci, sizeof(ci), "[%.3f, %.3f]", sum[i].lo_ms, sum[i].hi_ms);
        if (!isnan(sum[i].psnr_y))
            vsr_metrics_format(sum[i].psnr_y, 2, p, sizeof(p));
        if (!isnan(sum[i].ssim_y))
            vsr_metrics_format(sum[i].ssim_y, 4, s, sizeof(s));
        any_noisy |= sum[i].noisy;
        printf("%-4d %-52s %-8s %10s %-17s %-5s %8s %7s\n", i + 1, runs[i].key, sum[i].status,
               ms, ci, sum[i].noisy ? "noisy" : "", p, s);
    }
    if (any_noisy)
        printf("noisy: the median's interval or other processes' CPU use passed a threshold "
               "(--timing-detail says which); do not compare these times\n");
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

/* ---- --json ------------------------------------------------------------------- */

/* {score name: value} of the scores that were computed (NaN left out). */
static json_t *metrics_json(const struct run_state *s, const double *v)
{
    json_t *o = json_object();
    for (int k = 0; o && k < s->n_sc; k++)
        if (!isnan(v[k]) && json_object_set_new(o, vsr_metrics_set_name(s->mset, k),
                                                vsr_report_json_num(v[k], 6)))
            return json_decref(o), NULL;
    return o;
}

/*
 * What run @p res recorded, for --json: "isa", "params", "macs",
 * "input_size", "timing", "clips" (clip means), "dataset_metrics" (the
 * mean of the clip means: the number the report shows, BasicSR), then
 * "frames" and "pooled_metrics" (vsr_report_json_frames; each frame also
 * carries "clip", "index" in its clip and "ms"). NULL when out of memory.
 */
static json_t *run_json(const struct run_state *s, const vsr_runlog_result *res, int ok)
{
    json_t *o = json_pack("{s:o, s:o, s:o, s:[ii]}", "isa",
                          res->isa ? json_string(res->isa) : json_null(), "params",
                          res->params < 0 ? json_null() : json_integer(res->params), "macs",
                          res->macs < 0 ? json_null() : json_integer(res->macs), "input_size",
                          res->input_w, res->input_h);
    if (!o || !ok)
        return o;
    const vsr_timing_stats *t = res->timing;
    json_t *timing = json_pack(
        "{s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:o, s:i, s:i}", "frames",
        t->count, "median_ms", vsr_report_json_num(t->median_ms, 4), "median_lo_ms",
        vsr_report_json_num(t->median_lo_ms, 4), "median_hi_ms",
        vsr_report_json_num(t->median_hi_ms, 4), "mean_ms", vsr_report_json_num(t->mean_ms, 4),
        "std_ms", vsr_report_json_num(t->std_ms, 4), "min_ms",
        vsr_report_json_num(t->min_ms, 4), "p95_ms", vsr_report_json_num(t->p95_ms, 4),
        "max_ms", vsr_report_json_num(t->max_ms, 4), "init_ms",
        vsr_report_json_num(res->init_ms, 1), "noisy", res->noisy, "noisy_why",
        res->noisy ? json_string(res->noisy_why) : json_null(), "passes", s->passes, "threads",
        s->threads);
    json_t *clips = json_array();
    const int nsc = s->n_sc;
    vsr_metric_stats *st = calloc((size_t)(nsc ? nsc : 1), sizeof(*st));
    double *mean = calloc((size_t)(nsc ? nsc : 1), sizeof(*mean));
    const char **names = calloc((size_t)(nsc ? nsc : 1), sizeof(*names));
    for (int k = 0; st && k < nsc; k++)
        vsr_metrics_stats_init(&st[k]);
    for (int k = 0; names && k < nsc; k++)
        names[k] = vsr_metrics_set_name(s->mset, k);
    int rc = st && mean && names && timing && clips && !json_object_set_new(o, "timing", timing)
                 ? 0
                 : -ENOMEM;
    for (int c = 0; c < res->n_clips && !rc; c++) {
        const double *v = s->cvals + (size_t)c * (size_t)nsc;
        for (int k = 0; k < nsc; k++)
            if (!isnan(v[k]))
                vsr_metrics_stats_add(&st[k], v[k]);
        json_t *one =
            json_pack("{s:o, s:i, s:o}", "clip", vsr_report_json_str(res->clips[c].clip),
                      "frames", res->clips[c].frames, "metrics", metrics_json(s, v));
        rc = one && !json_array_append_new(clips, one) ? 0 : -ENOMEM;
    }
    for (int k = 0; !rc && k < nsc; k++)
        mean[k] = vsr_metrics_stats_count(&st[k]) ? vsr_metrics_stats_mean(&st[k]) : NAN;
    if (!rc && (json_object_set(o, "clips", clips) ||
                json_object_set_new(o, "dataset_metrics", metrics_json(s, mean))))
        rc = -ENOMEM;
    json_decref(clips);
    vsr_error err = {0};
    if (!rc)
        rc = vsr_report_json_frames(o, s->fvals, res->n_frames, nsc, names, 6, &err);
    free(st);
    free(mean);
    free(names);
    json_t *frames = json_object_get(o, "frames");
    for (int i = 0; i < res->n_frames && !rc; i++) {
        const vsr_runlog_frame *f = &res->frames[i];
        json_t *fo = json_array_get(frames, (size_t)i);
        if (json_object_set_new(fo, "clip", vsr_report_json_str(f->clip)) ||
            json_object_set_new(fo, "index", json_integer(f->index)) ||
            json_object_set_new(fo, "ms", vsr_report_json_num(f->ms, 4)))
            rc = -ENOMEM;
    }
    if (rc)
        return json_decref(o), NULL;
    return o;
}

/*
 * The --json document: {"version", "sweep", "config", "config_hash", "db",
 * "git_rev", "interrupted", "counts", "runs": [{"n", "key", "hash", "model",
 * "variant", "precision", "dataset", "degradation", "tile", "pad",
 * "threads", "status", "error", + run_json()}]}; written atomically.
 */
static int write_json(const char *path, const vsr_config *cfg, const char *db_path,
                      const vsr_sweep_run *runs, struct summary *sum, int n, int interrupted,
                      const int counts[5], vsr_error *err)
{
    json_t *arr = json_array();
    json_t *doc = json_pack("{s:s, s:o, s:o, s:s, s:o, s:s, s:b, s:{s:i, s:i, s:i, s:i, s:i}}",
                            "version", "vsrbench run", "sweep", vsr_report_json_str(cfg->name),
                            "config", vsr_report_json_str(cfg->path), "config_hash", cfg->hash,
                            "db", vsr_report_json_str(db_path), "git_rev", VSR_GIT_REV,
                            "interrupted", interrupted, "counts", "ok", counts[0], "failed",
                            counts[1], "skipped_finished", counts[2], "skipped_absent",
                            counts[3], "other_processes", counts[4]);
    int rc = arr && doc ? 0 : -ENOMEM;
    for (int i = 0; i < n && !rc; i++) {
        const vsr_sweep_run *r = &runs[i];
        json_t *one = json_pack(
            "{s:i, s:o, s:s, s:o, s:o, s:s, s:o, s:s, s:i, s:i, s:i, s:s, s:o}", "n", i + 1,
            "key", vsr_report_json_str(r->key), "hash", r->hash, "model",
            vsr_report_json_str(r->model->name), "variant",
            vsr_report_json_str(r->model->variant ? r->model->variant : ""), "precision",
            r->precision->label ? r->precision->label : vsr_precision_name(r->precision->prec),
            "dataset", vsr_report_json_str(r->dataset->name), "degradation", r->degradation,
            "tile", r->tile, "pad", r->pad, "threads", r->threads, "status",
            sum[i].status[0] ? sum[i].status : "not run", "error",
            sum[i].error[0] ? vsr_report_json_str(sum[i].error) : json_null());
        if (one && sum[i].json && json_object_update(one, sum[i].json))
            rc = -ENOMEM;
        if (!one || json_array_append_new(arr, one))
            rc = -ENOMEM;
    }
    if (!rc && json_object_set(doc, "runs", arr))
        rc = -ENOMEM;
    json_decref(arr);
    if (rc)
        vsr_error_set(err, rc, "--json %s: out of memory", path);
    else
        rc = vsr_report_json_write(doc, path, err);
    json_decref(doc);
    return rc;
}

/*
 * Record the outcome @p rc of run @p r (0 ok: finish() filled @p res;
 * RUN_SKIPPED; < 0 failed with @p rerr) in one transaction, fill its
 * summary row and free its state. Returns the run log's error.
 */
static int record(vsr_runlog *log, const vsr_sweep_run *r, int64_t id, int rc,
                  struct run_state *s, vsr_runlog_result *res, const vsr_error *rerr,
                  struct summary *su, int want_json, vsr_error *err)
{
    res->ok = rc == 0;
    res->error = rc ? rerr->msg : NULL;
    res->isa = s->isa[0] ? s->isa : NULL;
    if (rc) {
        res->timing = NULL;
        res->env = NULL;
        res->noisy = 0;
        res->n_clips = res->n_frames = res->n_layers = 0;
        snprintf(su->error, sizeof(su->error), "%s", rerr->msg);
    } else {
        const vsr_timing_stats *t = &s->timing;
        su->median_ms = t->median_ms;
        su->lo_ms = t->median_lo_ms;
        su->hi_ms = t->median_hi_ms;
        su->noisy = res->noisy;
        su->psnr_y = mean_over_clips(res, "psnr", "y");
        su->ssim_y = mean_over_clips(res, "ssim", "y");
        su->have_timing = 1;
        char line[256], pct[16] = "?", alone[48] = "";
        vsr_timing_format(t, line, sizeof(line));
        if (isfinite(s->env.other_cpu))
            snprintf(pct, sizeof(pct), "%.0f%%", 100 * s->env.other_cpu);
        if (s->env.frames_alone > 0) /* the helper gate ran these on 1 thread */
            snprintf(alone, sizeof(alone), " (%ld frames alone)", s->env.frames_alone);
        snprintf(su->detail, sizeof(su->detail),
                 "%s init=%.1f median 95%%=[%.3f, %.3f] passes=%d threads=%d%s load=%.2f "
                 "others=%s invcsw=%ld%s%s",
                 line, res->init_ms, t->median_lo_ms, t->median_hi_ms, s->passes, s->threads,
                 alone, s->env.load1, pct, s->env.invol_csw, res->noisy ? " NOISY: " : "",
                 res->noisy ? s->noisy_why : "");
    }
    snprintf(su->status, sizeof(su->status), "%s",
             !rc                 ? "ok"
             : rc == RUN_SKIPPED ? "skipped"
                                 : "failed");
    int wrc = rc == RUN_SKIPPED ? vsr_runlog_run_skip(log, id, rerr->msg, err)
                                : vsr_runlog_run_finish(log, id, res, err);
    if (wrc < 0) {
        /* the results are lost (a full disk...): the row still says why, so
         * it is not taken later for a run whose process died */
        vsr_error ferr = {0};
        if (vsr_runlog_run_fail(log, id, err->msg, &ferr) < 0)
            vsr_log(VSR_LOG_WARNING, "%s", ferr.msg);
    }
    (void)r;
    if (want_json && rc != RUN_SKIPPED && wrc == 0 && !(su->json = run_json(s, res, rc == 0)))
        vsr_log(VSR_LOG_WARNING, "--json: out of memory; %s has no details there", r->key);
    run_state_free(s);
    return wrc;
}

static void count_outcome(int rc, const vsr_sweep_run *r, const vsr_error *rerr, int progress,
                          int *failed, int *absent)
{
    if (rc == RUN_SKIPPED) {
        (*absent)++;
    } else if (rc) {
        (*failed)++;
        vsr_cli_progress_clear(progress);
        fprintf(stderr, "vsrbench run: %s failed: %s\n", r->key, rerr->msg);
    }
}

/* --pin: restrict this process (and the pools it creates later) to @p list. */
static int pin_cpus(const char *list, vsr_error *err)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", list);
    for (char *sv = NULL, *tok = strtok_r(buf, ",", &sv); tok; tok = strtok_r(NULL, ",", &sv)) {
        char *end;
        long lo = strtol(tok, &end, 10), hi = lo;
        if (end != tok && *end == '-')
            hi = strtol(end + 1, &end, 10);
        if (end == tok || *end || lo < 0 || hi < lo || hi >= CPU_SETSIZE)
            return vsr_error_set(err, -EINVAL, "expected CPU numbers like 0 or 0-1,3");
        for (long c = lo; c <= hi; c++)
            CPU_SET((int)c, &set);
    }
    if (CPU_COUNT(&set) == 0)
        return vsr_error_set(err, -EINVAL, "expected CPU numbers like 0 or 0-1,3");
    if (sched_setaffinity(0, sizeof(set), &set) != 0)
        return vsr_error_set(err, -errno, "sched_setaffinity: %s (CPUs that exist here: 0-%ld)",
                             strerror(errno), sysconf(_SC_NPROCESSORS_ONLN) - 1);
    return 0;
}

/*
 * The sweep's clip cache (decoded GT, LR read or degraded, shared by the
 * runs of a dataset group and their passes), capped at VSR_CLIP_CACHE_MB
 * MiB (default VSR_CLIP_CACHE_DEFAULT_MB; 0: no cache, every pass decodes).
 */
static int clip_cache_open(vsr_clip_cache **out, vsr_error *err)
{
    *out = NULL;
    long mb = VSR_CLIP_CACHE_DEFAULT_MB;
    const char *env = getenv("VSR_CLIP_CACHE_MB");
    if (env && vsr_parse_long(env, 0, 1L << 20, &mb, "VSR_CLIP_CACHE_MB (MiB of decoded clips)",
                              err) < 0)
        return -EINVAL;
    if (mb == 0)
        return 0;
    return vsr_clip_cache_create((size_t)mb << 20, out, err);
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
        {"pin", required_argument, NULL, ARG_PIN},
        {"timing-detail", no_argument, NULL, ARG_DETAIL},
        {"json", required_argument, NULL, ARG_JSON},
        {"shard", required_argument, NULL, ARG_SHARD},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *db_path = NULL, *sets[64];
    int n_sets = 0, resume = 0, dry = 0, quiet = 0, progress = -1, report = 1, opt, detail = 0;
    const char *pin = NULL, *json_path = NULL, *shard = NULL;
    int shard_k = 0, shard_n = 0, shard_total = 0, shard_cost = 0;
    vsr_error err = {0};
    struct stage_clock stages = {0};
    struct group_ds gds = {0};
    const stage_mark t_start = stage_now();
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
        case ARG_PIN:
            if (pin_cpus(optarg, &err) < 0) {
                fprintf(stderr, "vsrbench run: --pin %s: %s\n", optarg, err.msg);
                return VSR_EXIT_USAGE;
            }
            pin = optarg;
            break;
        case ARG_DETAIL:
            detail = 1;
            break;
        case ARG_JSON:
            json_path = optarg;
            break;
        case ARG_SHARD:
            if (vsr_shard_parse(optarg, &shard_k, &shard_n, &err) < 0) {
                fprintf(stderr, "vsrbench run: --shard %s: %s\n", optarg, err.msg);
                return VSR_EXIT_USAGE;
            }
            shard = optarg;
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
    vsr_runlog_heart *heart = NULL;
    int64_t sweep_id = 0;
    vsr_metric_set *mset = NULL;
    struct summary *sum = NULL;
    struct run_state *st = NULL;
    vsr_runlog_result *res = NULL;
    vsr_error *rerr = NULL;
    int64_t *ids = NULL;
    int *want = NULL;
    vsr_clip_cache *cache = NULL;
    int n = 0, excluded = 0, ret = VSR_EXIT_OK, interrupted = 0;
    struct sigaction old_int;
    int sigint_on = 0;
    if (vsr_config_load(argv[optind], sets, n_sets, &cfg, &err) < 0 ||
        vsr_sweep_expand(cfg, &runs, &n, &excluded, &err) < 0) {
        fprintf(stderr, "vsrbench run: %s\n", err.msg);
        ret = VSR_EXIT_USAGE;
        goto end;
    }
    if (shard && vsr_shard_select(cfg, runs, &n, shard_k, shard_n, &shard_total, &shard_cost,
                                  &err) < 0) {
        fprintf(stderr, "vsrbench run: --shard %s: %s\n", shard, err.msg);
        ret = VSR_EXIT_FAILURE;
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
    if (json_path && strcmp(json_path, "-")) {
        /* a --json that cannot be written is a usage error before any run */
        vsr_atomic_file probe;
        if (vsr_path_check_output(json_path, db_path, "the run log", &err) < 0 ||
            vsr_atomic_open(&probe, json_path, &err) < 0) {
            fprintf(stderr, "vsrbench run: --json: %s\n", err.msg);
            ret = VSR_EXIT_USAGE;
            goto end;
        }
        vsr_atomic_abort(&probe);
    }

    if (dry) {
        /* with --resume and an existing db, say which runs would be skipped */
        struct stat stt;
        int orc;
        if (resume && stat(db_path, &stt) == 0 &&
            (orc = vsr_runlog_open(&log, db_path, &err)) < 0) {
            fprintf(stderr, "vsrbench run: %s\n", err.msg);
            ret = orc == -EINVAL ? VSR_EXIT_USAGE : VSR_EXIT_FAILURE;
            goto end;
        }
        printf("sweep %s: %d run%s (%d excluded), config hash %s\n", cfg->name, n,
               n == 1 ? "" : "s", excluded, cfg->hash);
        if (shard)
            printf("shard %d/%d: %d of the sweep's %d runs (split %s); # is the place in the "
                   "sweep\n",
                   shard_k, shard_n, n, shard_total,
                   shard_cost ? "by expected cost, MACs x frames" : "round-robin");
        printf("%-4s %-16s %-6s %s\n", "#", "run hash", "resume", "run");
        for (int i = 0; i < n; i++) {
            int64_t found = 0;
            if (log && vsr_runlog_find_finished(log, runs[i].hash, &found, &err) < 0) {
                fprintf(stderr, "vsrbench run: %s\n", err.msg);
                ret = VSR_EXIT_FAILURE;
                goto end;
            }
            printf("%-4d %-16s %-6s %s\n", runs[i].index + 1, runs[i].hash,
                   found ? "skip" : "run", runs[i].key);
        }
        goto end;
    }

    if (clip_cache_open(&cache, &err) < 0) {
        fprintf(stderr, "vsrbench run: %s\n", err.msg);
        ret = VSR_EXIT_USAGE;
        goto end;
    }
    int orc = vsr_runlog_open(&log, db_path, &err);
    if (orc < 0) {
        fprintf(stderr, "vsrbench run: %s\n", err.msg);
        /* not a run log, or a newer one: the --db the user named is bad input */
        ret = orc == -EINVAL ? VSR_EXIT_USAGE : VSR_EXIT_FAILURE;
        goto end;
    }
    vsr_runlog_host host;
    int64_t host_id = 0;
    int stale = 0, joined = 0;
    vsr_runlog_sweep sw = {cfg->name, cfg->path, cfg->text, cfg->overrides, cfg->hash};
    if (vsr_runlog_host_detect(&host, &err) < 0 ||
        vsr_runlog_host_id(log, &host, &host_id, &err) < 0 ||
        vsr_runlog_mark_interrupted(log, host_id, &stale, &err) < 0 ||
        vsr_runlog_sweep_join(log, &sw, resume, &sweep_id, &joined, &err) < 0 ||
        vsr_runlog_heart_start(db_path, &heart, &err) < 0 ||
        ((shard || getenv("SLURMD_NODENAME")) &&
         vsr_runlog_shard_note(log, sweep_id, shard, getenv("SLURMD_NODENAME"), &err) < 0)) {
        fprintf(stderr, "vsrbench run: %s\n", err.msg);
        ret = VSR_EXIT_FAILURE;
        goto end;
    }
    if (stale)
        vsr_log(VSR_LOG_WARNING, "%d run%s of an earlier sweep died in flight; marked failed",
                stale, stale == 1 ? "" : "s");
    if (joined)
        vsr_log(VSR_LOG_INFO, "joined sweep %lld, which another process is running",
                (long long)sweep_id);
    if (vsr_config_open_metrics(cfg, &mset, &err) < 0) { /* the registry, by name */
        fprintf(stderr, "vsrbench run: %s\n", err.msg);
        ret = VSR_EXIT_USAGE;
        goto end;
    }
    note_no_gt(cfg, mset);
    sum = calloc((size_t)(n ? n : 1), sizeof(*sum));
    if (!sum) {
        fprintf(stderr, "vsrbench run: out of memory\n");
        ret = VSR_EXIT_FAILURE;
        goto end;
    }
    struct progress pg = {.on = progress, .n_runs = n, .t0 = vsr_timing_now_ms()};
    /* Ctrl-C from here on: finish the frame, mark the unfinished runs, exit 130 */
    vsr_cli_sigint_begin(&old_int);
    sigint_on = 1;
    int failed = 0, skipped = 0, absent = 0, others = 0, auto_threads = 0;
    for (int i = 0; i < n && !auto_threads; i++)
        if (runs[i].threads == 0) {
            int ncpu = 0;
            double idle = 0;
            auto_threads = vsr_cli_idle_cores(&ncpu, &idle);
            printf("threads: auto -> %d (%.1f of %d usable CPUs idle at the start)\n",
                   auto_threads, idle, ncpu);
        }
    st = calloc((size_t)(n ? n : 1), sizeof(*st));
    res = calloc((size_t)(n ? n : 1), sizeof(*res));
    rerr = calloc((size_t)(n ? n : 1), sizeof(*rerr));
    ids = calloc((size_t)(n ? n : 1), sizeof(*ids));
    want = calloc((size_t)(n ? n : 1), sizeof(*want));
    if (!st || !res || !rerr || !ids || !want) {
        fprintf(stderr, "vsrbench run: out of memory\n");
        ret = VSR_EXIT_FAILURE;
        goto end;
    }
    for (int i = 0; i < n; i++) {
        sum[i].median_ms = sum[i].lo_ms = sum[i].hi_ms = sum[i].psnr_y = sum[i].ssim_y = NAN;
        res[i] = (vsr_runlog_result){.params = -1, .macs = -1, .init_ms = NAN};
    }
    /* Runs sharing a dataset and degradation form a group: every run of it
     * this process claims is prepared, then they take turns, one timed pass
     * each (A B A B ...), until each has its timing: runs / min_runs /
     * min_secs; a load change then hits all of them rather than whichever ran
     * at the time. Pass 0 claims every run it can; pass 1 retries the runs
     * another process held then, in case it died meanwhile. */
    for (int pass = 0; pass < 2; pass++) {
        for (int g0 = 0; g0 < n;) {
            int g1 = vsr_sweep_group_end(runs, n, g0);
            vsr_dataset_close(&gds.ds); /* the previous group's */
            gds = (struct group_ds){0};
            for (int i = g0; i < g1; i++) {
                const vsr_sweep_run *r = &runs[i];
                struct summary *su = &sum[i];
                if (pass == 1 && strcmp(su->status, "busy"))
                    continue;
                pg.run = i;
                vsr_runlog_run rr = {
                    .run_key = r->key,
                    .config_hash = r->hash,
                    .model = r->model->type,
                    .variant = r->model->variant,
                    /* int8 with a scheme: its label ("int8-pt-sym"), no new column */
                    .precision = r->precision->label ? r->precision->label
                                                     : vsr_precision_name(r->precision->prec),
                    .calib_method = vsr_config_calib_name(r->precision),
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
                    .description = r->model->description,
                };
                enum vsr_runlog_claim claim;
                if (vsr_runlog_run_claim(log, sweep_id, &rr, resume, &ids[i], &claim, &err) <
                    0) {
                    fprintf(stderr, "\nvsrbench run: %s\n", err.msg);
                    ret = VSR_EXIT_FAILURE;
                    goto end;
                }
                if (claim != VSR_RUNLOG_CLAIMED && pass == 1) { /* counted already */
                    snprintf(su->status, sizeof(su->status), "other");
                    continue;
                }
                if (claim == VSR_RUNLOG_FINISHED) {
                    snprintf(su->status, sizeof(su->status), "skipped");
                    skipped++;
                    continue;
                }
                if (claim != VSR_RUNLOG_CLAIMED) { /* another process runs it or ran it */
                    snprintf(su->status, sizeof(su->status), "%s",
                             claim == VSR_RUNLOG_BUSY ? "busy" : "other");
                    others++;
                    continue;
                }
                if (pass == 1)
                    others--; /* its owner died: it is ours now */
                int threads = r->threads > 0 ? r->threads : auto_threads;
                st[i].pinned = pin;
                st[i].cache = cache;
                st[i].stages = &stages;
                st[i].gds = &gds;
                const stage_mark s0 = stage_now();
                const double bw = stages.wall[ST_BUILD], bp = stages.cpu[ST_BUILD];
                int rc = setup(cfg, r, threads, &st[i], &res[i], &rerr[i]);
                stage_add(&stages, ST_SETUP, s0);
                stages.wall[ST_SETUP] -= stages.wall[ST_BUILD] - bw;
                stages.cpu[ST_SETUP] -= stages.cpu[ST_BUILD] - bp;
                if (vsr_cli_interrupted())
                    goto interrupt;
                if (rc == 0) {
                    want[i] = 1;
                    continue;
                }
                const stage_mark l0 = stage_now();
                const int lrc = record(log, r, ids[i], rc, &st[i], &res[i], &rerr[i], su,
                                       json_path != NULL, &err);
                stage_add(&stages, ST_LOG, l0);
                if (lrc < 0) {
                    fprintf(stderr, "\nvsrbench run: %s\n", err.msg);
                    ret = VSR_EXIT_FAILURE;
                    goto end;
                }
                count_outcome(rc, r, &rerr[i], progress, &failed, &absent);
            }
            for (int t = vsr_sweep_next_turn(want + g0, g1 - g0, -1); t >= 0;
                 t = vsr_sweep_next_turn(want + g0, g1 - g0, t)) {
                int i = g0 + t;
                pg.run = i;
                int rc = timed_pass(cfg, &runs[i], mset, &pg, &st[i], &rerr[i]);
                if (vsr_cli_interrupted())
                    goto interrupt;
                want[i] = rc == 0 && wants_more(cfg, &st[i]);
                if (rc == 0 && want[i])
                    continue;
                const stage_mark l0 = stage_now();
                if (rc == 0)
                    rc = finish(cfg, &st[i], &res[i], &rerr[i]);
                want[i] = 0;
                const int lrc = record(log, &runs[i], ids[i], rc, &st[i], &res[i], &rerr[i],
                                       &sum[i], json_path != NULL, &err);
                stage_add(&stages, ST_LOG, l0);
                if (lrc < 0) {
                    fprintf(stderr, "\nvsrbench run: %s\n", err.msg);
                    ret = VSR_EXIT_FAILURE;
                    goto end;
                }
                count_outcome(rc, &runs[i], &rerr[i], progress, &failed, &absent);
            }
            g0 = g1;
        }
    }
    if (vsr_cli_interrupted()) /* after the last frame: still no report */
        goto interrupt;
    vsr_cli_progress_clear(progress);
    if (!quiet)
        print_summary(runs, sum, n);
    if (detail)
        for (int i = 0; i < n; i++)
            if (sum[i].have_timing)
                printf("run %d %s: %s\n", i + 1, runs[i].key, sum[i].detail);
    if (detail && cache) {
        vsr_clip_cache_stats cs;
        vsr_clip_cache_stats_get(cache, &cs);
        printf("clip cache: %ld loads from memory, %ld decoded, %ld dropped, peak %.1f MiB "
               "(VSR_CLIP_CACHE_MB)\n",
               cs.hits, cs.misses, cs.evictions, (double)cs.peak_bytes / 1048576.0);
    }
    printf("%d run%s: %d ok, %d failed, %d skipped (already finished), %d skipped (optional "
           "weights absent), %d by other processes; recorded in %s\n",
           n, n == 1 ? "" : "s", n - failed - skipped - absent - others, failed, skipped,
           absent, others, db_path);
    if (failed)
        ret = VSR_EXIT_FAILURE;
    int counts[5] = {n - failed - skipped - absent - others, failed, skipped, absent, others};
    if (json_path && write_json(json_path, cfg, db_path, runs, sum, n, 0, counts, &err) < 0) {
        fprintf(stderr, "vsrbench run: --json: %s (the runs are recorded in %s)\n", err.msg,
                db_path);
        ret = VSR_EXIT_FAILURE;
    }
    vsr_runlog_heart_stop(&heart);
    int remaining = 0;
    if (vsr_runlog_sweep_leave(log, sweep_id, &remaining, &err) < 0)
        vsr_log(VSR_LOG_WARNING, "%s", err.msg);
    if (report && remaining > 0) {
        printf("report: left to the last of the processes still running this sweep\n");
    } else if (report) {
        /* the runs are committed already: a report problem only warns */
        vsr_runlog_close(&log);
        const stage_mark r0 = stage_now();
        write_report(cfg, db_path);
        stage_add(&stages, ST_REPORT, r0);
    }
    if (detail)
        stage_print(&stages, t_start, cpu_ms(RUSAGE_CHILDREN));
    goto end;
interrupt:
    /* Ctrl-C: a second one ends the process at once; the claimed runs that
     * have no final status are marked failed ("interrupted: ..."), so the
     * log holds no 'running' row and --resume runs them again */
    vsr_cli_sigint_end(&old_int);
    sigint_on = 0;
    interrupted = 0;
    for (int i = 0; i < n; i++) {
        if (!ids[i] || sum[i].status[0])
            continue;
        snprintf(sum[i].status, sizeof(sum[i].status), "failed");
        snprintf(sum[i].error, sizeof(sum[i].error),
                 "interrupted: Ctrl-C (SIGINT) before the run finished");
        if (vsr_runlog_run_fail(log, ids[i], sum[i].error, &err) < 0)
            vsr_log(VSR_LOG_WARNING, "%s", err.msg);
        interrupted++;
    }
    vsr_cli_progress_clear(progress);
    fprintf(stderr,
            "vsrbench run: interrupted (Ctrl-C); %d unfinished run%s marked failed in %s, the "
            "finished ones kept; --resume runs the rest\n",
            interrupted, interrupted == 1 ? "" : "s", db_path);
    if (json_path) {
        int counts[5] = {0};
        for (int i = 0; i < n; i++)
            counts[0] += !strcmp(sum[i].status, "ok"),
                counts[1] += !strcmp(sum[i].status, "failed");
        if (write_json(json_path, cfg, db_path, runs, sum, n, 1, counts, &err) < 0)
            vsr_log(VSR_LOG_WARNING, "--json: %s", err.msg);
    }
    ret = VSR_EXIT_INTERRUPTED;
end:
    if (sigint_on)
        vsr_cli_sigint_end(&old_int);
    vsr_runlog_heart_stop(&heart);
    if (log && sweep_id > 0) /* a failure above: our claims are all finished or failed */
        vsr_runlog_sweep_leave(log, sweep_id, NULL, &err);
    for (int i = 0; st && i < n; i++)
        run_state_free(&st[i]);
    vsr_dataset_close(&gds.ds);
    vsr_clip_cache_free(&cache);
    free(st), free(res), free(rerr), free(ids), free(want);
    for (int i = 0; sum && i < n; i++)
        json_decref(sum[i].json);
    free(sum);
    vsr_metrics_set_free(&mset);
    vsr_runlog_close(&log);
    free(runs);
    vsr_config_free(&cfg);
    return ret;
}
