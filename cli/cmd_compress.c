/*
 * cmd_compress.c: `vsrbench compress` - a pipeline of weight transforms on a
 * zoo model (issue 17): magnitude pruning (unstructured, or structured by
 * output channel with the graph shrunk), k-means clustering and fine-tunes
 * that keep them (the pure-C trainer with a gradient constraint), in the
 * order given. Before the first step and after each one it measures the
 * compressed size, the parameter and MAC counts, the Y-PSNR on a Vid4-style
 * dataset and the FP32 engine's ms per frame, and prints the table
 * (docs/COMPRESSION.md). The steps are a table: a new one is one entry.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "commands.h"
#include "vsr/bench.h"
#include "vsr/compress.h"
#include "vsr/datasets.h"
#include "vsr/engine.h"
#include "vsr/metrics.h"
#include "vsr/models.h"
#include "vsr/train.h"

enum {
    ARG_PRUNE = 256,
    ARG_STRUCTURED,
    ARG_SCOPE,
    ARG_NORM,
    ARG_CLUSTER,
    ARG_FINETUNE,
    ARG_FT_SET,
    ARG_RUNS,
    ARG_OUT,
};

#define MAX_STEPS 16
#define MAX_SETS 32
#define KMEANS_MAX_ITER 300

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: vsrbench compress --model M --weights W --dataset D --out OUT.vsrw\n"
        "                         [--prune S [--structured] [--scope layer|global]\n"
        "                          [--norm l1|l2]] [--cluster K]\n"
        "                         [--finetune CONFIG [--finetune-set KEY=VALUE]...]\n"
        "                         [--clip NAME] [--degradation bi|bd] [--frames N]\n"
        "                         [--threads N] [--timing-runs N]\n"
        "\n"
        "Compress zoo model M's weights W by the steps --prune, --cluster and --finetune,\n"
        "run in the order given (each may repeat), and print before the first step and\n"
        "after each one: the weights' size in bytes (conv kernels sparse as a bitmask +\n"
        "FP32 non-zeros after unstructured pruning; clustered as K FP32 centroids +\n"
        "ceil(log2 K)-bit indices (+ the bitmask when pruned); everything else FP32),\n"
        "parameters, non-zero parameters, MACs per frame, PSNR (Y, crop = scale, mean over\n"
        "clips of the per-clip mean) on D and the FP32 engine's ms per frame (median).\n"
        "Writes the final weights to OUT (the zoo's shapes: it loads wherever W does).\n"
        "See docs/COMPRESSION.md.\n"
        "\n"
        "steps:\n"
        "      --prune S        magnitude pruning of the conv kernels to sparsity S in\n"
        "                       [0, 1): the smallest |w| become 0 (ties: lower index)\n"
        "      --structured     ... by output channel instead: the channels of smallest\n"
        "                       filter norm go, and the graph measured is shrunk (convs\n"
        "                       whose channel count is tied by an add / concat are kept)\n"
        "      --scope SCOPE    unstructured: layer (default, each kernel to S) or global\n"
        "      --norm N         structured: l1 (default) or l2 filter norm\n"
        "      --cluster K      k-means of each conv kernel's non-zero weights to K >= 2\n"
        "                       centroids (linear init, Lloyd until stable); zeros stay\n"
        "      --finetune C     fine-tune with the trainer config C (vsrbench train) from\n"
        "                       the current weights, pruned weights kept 0 (masked\n"
        "                       gradient) and clusters tied (gradient averaged per\n"
        "                       centroid); checkpoints go to OUT's name + .finetune/\n"
        "                       (.finetune2/ for a second one, ...)\n"
        "      --finetune-set K=V  override a key of C (as 'vsrbench train --set')\n"
        "options:\n"
        "      --model M        a zoo model (see 'vsrbench models')\n"
        "      --weights W      its weights (.vsrw, or .tflite / .onnx to import)\n"
        "      --dataset D      a Vid4 style root: D/GT/<clip>/ (a missing LR side is\n"
        "                       made from GT with the degradation)\n"
        "      --clip NAME      one clip (default: every clip)\n"
        "      --degradation G  bi (default) or bd\n"
        "      --frames N       the first N frames of each clip (default: all)\n"
        "      --threads N      worker threads (default 1)\n"
        "      --timing-runs N  timed frames per measurement (default 10, after 2 warm-up)\n"
        "  -o, --out OUT        the compressed weights (.vsrw)\n"
        "  -h, --help           this help\n"
        "exit codes: 0 ok, 1 runtime failure, 2 usage error\n");
}

/* ---- the pipeline state and its steps ------------------------------------------ */

typedef struct step step;

typedef struct cx {
    const vsr_models_entry *entry;
    vsr_models_instance *inst; /* its graph is the zoo-shaped working copy */
    pthreadpool_t pool;
    vsr_clip *clips;
    int n_clips;
    int sparse;     /* unstructured pruning ran: kernels are stored sparse */
    int structured; /* structured pruning ran: the graph measured is shrunk */
    int k;          /* clustering ran with k centroids (0: none) */
    int structured_opt, scope, norm, runs;
    int n_ft; /* fine-tunes run so far */
    const char *out;
    const char *sets[MAX_SETS];
    int n_sets;
    const vsr_compress_constraint *cons; /* during a fine-tune */
} cx;

struct step {
    const struct step_def *def;
    double num;      /* prune: sparsity; cluster: K */
    const char *str; /* finetune: config */
    char label[64];
};

typedef struct step_def {
    const char *name;
    int (*run)(cx *c, step *s, vsr_error *err);
} step_def;

static int step_prune(cx *c, step *s, vsr_error *err)
{
    vsr_graph *g = c->inst->graph;
    if (c->structured_opt) {
        char log[4096];
        int rc = vsr_compress_prune_channels(
            g, s->num, c->norm ? VSR_COMPRESS_L2 : VSR_COMPRESS_L1, log, sizeof(log), err);
        if (rc)
            return rc;
        fprintf(stderr, "%s", log);
        c->structured = 1;
        snprintf(s->label, sizeof(s->label), "prune %g structured %s", s->num,
                 c->norm ? "L2" : "L1");
        return 0;
    }
    c->sparse = 1;
    snprintf(s->label, sizeof(s->label), "prune %g %s", s->num,
             c->scope ? "global" : "per layer");
    return vsr_compress_prune(g, s->num,
                              c->scope ? VSR_COMPRESS_GLOBAL : VSR_COMPRESS_PER_LAYER, err);
}

static int step_cluster(cx *c, step *s, vsr_error *err)
{
    c->k = (int)s->num;
    snprintf(s->label, sizeof(s->label), "cluster %d", c->k);
    return vsr_compress_cluster(c->inst->graph, c->k, KMEANS_MAX_ITER, err);
}

/* Fine-tune hooks: start from the working graph's weights, constrain the gradient. */
static int ft_start(void *ctx, vsr_graph *g, vsr_error *err)
{
    return vsr_models_copy_weights_by_order(((cx *)ctx)->inst->graph, g, err);
}

static void ft_grad(void *ctx, double *grad, size_t n)
{
    vsr_compress_constraint_grad(((cx *)ctx)->cons, grad, n);
}

static void ft_progress(void *ctx, const vsr_train_progress *p)
{
    (void)ctx;
    if (!isnan(p->val_psnr) || p->step == p->steps)
        fprintf(stderr, "  finetune step %ld/%ld loss %.5f val %.3f dB\n", p->step, p->steps,
                p->loss, p->val_psnr);
}

/* The graph's weights as one flat vector (graph order) and back. */
static int flat_io(vsr_graph *g, float *flat, int store, vsr_error *err)
{
    size_t off = 0;
    for (int i = 0; i < vsr_graph_weight_count(g); i++) {
        vsr_weight_info wi;
        const float *d;
        size_t n;
        vsr_graph_weight_info(g, i, &wi);
        int rc = store ? vsr_graph_set_weight(g, wi.name, flat + off, wi.count, err)
                       : vsr_graph_get_weight(g, wi.name, &d, &n, err);
        if (rc)
            return rc;
        if (!store)
            memcpy(flat + off, d, n * sizeof(float));
        off += wi.count;
    }
    return 0;
}

static int step_finetune(cx *c, step *s, vsr_error *err)
{
    vsr_train_config cfg = {0};
    vsr_compress_constraint *cons = NULL;
    float *flat = NULL;
    vsr_graph *g = c->inst->graph;
    int rc = vsr_train_config_load(s->str, c->sets, c->n_sets, &cfg, err);
    if (rc)
        return rc;
    if (strcasecmp(cfg.model, c->entry->name)) {
        rc = vsr_error_set(err, -EINVAL, "%s: trains %s, not %s; use a config of %s", s->str,
                           cfg.model, c->entry->name, c->entry->name);
        goto done;
    }
    char dir[4200], path[8500];
    size_t ol = strlen(c->out);
    if (ol > 5 && !strcmp(c->out + ol - 5, ".vsrw"))
        ol -= 5;
    /* one folder per fine-tune of the pipeline: OUT.finetune, OUT.finetune2, ... */
    if (++c->n_ft > 1)
        snprintf(dir, sizeof(dir), "%.*s.finetune%d", (int)ol, c->out, c->n_ft);
    else
        snprintf(dir, sizeof(dir), "%.*s.finetune", (int)ol, c->out);
    free(cfg.out_dir);
    if (!(cfg.out_dir = strdup(dir))) {
        rc = vsr_error_set(err, -ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = vsr_compress_constraint_create(g, c->sparse || c->structured, c->k > 0, &cons,
                                             err)))
        goto done;
    c->cons = cons;
    vsr_train_hooks hooks = {.ctx = c,
                             .progress = ft_progress,
                             .start_weights = ft_start,
                             .constrain_grad = ft_grad};
    fprintf(stderr, "finetune: %s, %ld steps, checkpoints in %s\n", s->str, cfg.steps, dir);
    if ((rc = vsr_train_run(&cfg, 0, c->pool, &hooks, err)))
        goto done;
    snprintf(path, sizeof(path), "%s/%s.vsrw", dir, cfg.name);
    if ((rc = vsr_weights_load(g, path, err)))
        goto done;
    /* exact: pruned weights 0, clusters one value (the gradient kept them so) */
    size_t n = vsr_compress_constraint_size(cons);
    if (!(flat = malloc(n * sizeof(float) + 1))) {
        rc = vsr_error_set(err, -ENOMEM, "out of memory");
        goto done;
    }
    if (!(rc = flat_io(g, flat, 0, err))) {
        vsr_compress_constraint_project(cons, flat, n);
        rc = flat_io(g, flat, 1, err);
    }
    snprintf(s->label, sizeof(s->label), "finetune %ld steps%s", cfg.steps,
             vsr_graph_quant_missing(g) < 0 ? " (QAT)" : "");
done:
    c->cons = NULL;
    free(flat);
    vsr_compress_constraint_free(&cons);
    vsr_train_config_free(&cfg);
    return rc;
}

static const step_def steps_table[] = {
    {"prune", step_prune},
    {"cluster", step_cluster},
    {"finetune", step_finetune},
    {NULL, NULL},
};

static const step_def *step_find(const char *name)
{
    for (const step_def *d = steps_table; d->name; d++)
        if (!strcmp(d->name, name))
            return d;
    return NULL;
}

/* ---- measuring ------------------------------------------------------------------ */

typedef struct row {
    char label[64];
    vsr_compress_size size;
    int64_t params, macs;
    double psnr, ms, ms_min;
} row;

typedef struct timing_ctx {
    vsr_models_step *step;
    const vsr_frame *frames[3];
    int n;
    vsr_frame *prev, *sr;
} timing_ctx;

static int time_one(void *ctx, int i, vsr_error *err)
{
    (void)i;
    timing_ctx *t = ctx;
    return t->step->run(t->step->ctx, t->frames, t->n, t->prev, t->sr, err);
}

/* PSNR and ms of graph @p g (FP32) on the clips. */
static int score(cx *c, const vsr_graph *g, row *r, vsr_error *err)
{
    const vsr_models_arch *a = &c->inst->arch;
    const int s = a->hp.scale;
    vsr_engine *e = NULL;
    vsr_models_step st = {0};
    vsr_models_runner *runner = NULL;
    vsr_frame sr = {0}, prev = {0};
    int rc = vsr_engine_create(g, VSR_PREC_FP32, c->pool, NULL, &e, err);
    if (rc || (rc = vsr_models_engine_step(e, a->in_channels, a->state_channels, &st, err)))
        goto done;
    double sum_clips = 0;
    for (int k = 0; k < c->n_clips && !rc; k++) {
        vsr_clip *cl = &c->clips[k];
        vsr_frame_free(&sr);
        if ((rc = vsr_frame_alloc(&sr, cl->lr[0].width * s, cl->lr[0].height * s, 3, err)) ||
            (rc = vsr_models_runner_create(a->temporal, s, &st, &runner, err)))
            break;
        double psum = 0;
        int done = 0;
        for (int t = 0; t <= cl->n_frames && !rc; t++) {
            const vsr_frame *in = t < cl->n_frames ? &cl->lr[t] : NULL;
            int ready = 0, t_out = -1;
            do {
                if ((rc = vsr_models_runner_push(runner, in, &sr, &ready, &t_out, err)) ||
                    !ready)
                    break;
                double p;
                if ((rc = vsr_metrics_psnr(&cl->gt[t_out], &sr, s, 1, c->pool, &p, err)))
                    break;
                psum += p;
                done++;
            } while (!in && ready);
        }
        vsr_models_runner_free(&runner);
        if (!rc && done != cl->n_frames)
            rc = vsr_error_set(err, -EIO, "%s: %d SR frames for %d LR frames", cl->name, done,
                               cl->n_frames);
        sum_clips += psum / (done ? done : 1);
    }
    if (rc)
        goto done;
    r->psnr = sum_clips / c->n_clips;
    /* ms per frame: the engine step on the first clip's first frame (run / tune's timing) */
    const vsr_clip *c0 = &c->clips[0];
    timing_ctx tc = {.step = &st, .n = a->in_channels / 3 > 0 ? a->in_channels / 3 : 1};
    for (int i = 0; i < 3; i++)
        tc.frames[i] = &c0->lr[0];
    vsr_frame_free(&sr); /* the last clip's size */
    if ((rc = vsr_frame_alloc(&sr, c0->lr[0].width * s, c0->lr[0].height * s, 3, err)) ||
        (rc = vsr_frame_alloc(&prev, c0->lr[0].width * s, c0->lr[0].height * s, 3, err)))
        goto done;
    tc.sr = &sr;
    tc.prev = a->temporal == VSR_MODELS_T_PREV_HR ? &prev : NULL;
    if (st.reset)
        st.reset(st.ctx);
    vsr_timing_stats ts;
    if ((rc = vsr_timing_measure(time_one, &tc, 2, c->runs, NULL, &ts, err)))
        goto done;
    r->ms = ts.median_ms;
    r->ms_min = ts.min_ms;
done:
    vsr_frame_free(&sr);
    vsr_frame_free(&prev);
    vsr_models_runner_free(&runner);
    if (st.ctx)
        vsr_models_engine_step_free(&st);
    vsr_engine_free(&e);
    return rc;
}

static int measure(cx *c, const char *label, row *r, vsr_error *err)
{
    vsr_graph *shrunk = NULL;
    const vsr_graph *g = c->inst->graph;
    memset(r, 0, sizeof(*r));
    snprintf(r->label, sizeof(r->label), "%s", label);
    int rc = 0;
    if (c->structured && (rc = vsr_compress_shrink(g, &shrunk, err)))
        return rc;
    if (shrunk)
        g = shrunk;
    vsr_graph_stats gs;
    const vsr_frame *f = &c->clips[0].lr[0];
    if (!(rc = vsr_compress_measure(g, c->sparse, c->k, &r->size, err)) &&
        !(rc = vsr_graph_count(g, f->height, f->width, VSR_PREC_FP32, &gs, err))) {
        r->params = gs.params;
        r->macs = gs.macs;
        rc = score(c, g, r, err);
    }
    vsr_graph_free(&shrunk);
    if (!rc)
        fprintf(stderr, "%-28s %9zu B  %7lld params  %8.4f dB  %8.2f ms\n", r->label,
                r->size.bytes, (long long)r->params, r->psnr, r->ms);
    return rc;
}

static void print_table(const cx *c, const row *rows, int n, const char *dataset)
{
    const vsr_frame *f = &c->clips[0].lr[0];
    int frames = 0;
    for (int k = 0; k < c->n_clips; k++)
        frames += c->clips[k].n_frames;
    printf("\n%s compression on %s (%d clips, %d frames; PSNR Y crop %d; ms: FP32 engine, "
           "%d x %d LR, median and min of %d)\n\n",
           c->entry->name, dataset, c->n_clips, frames, c->inst->arch.hp.scale, f->width,
           f->height, c->runs);
    printf("| step | size [B] | x smaller | params | non-zero | MACs/frame | PSNR-Y [dB] | "
           "dPSNR [dB] | ms/frame | min ms "
           "|\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int i = 0; i < n; i++)
        printf("| %s | %zu | %.2f | %lld | %lld | %lld | %.4f | %+.4f | %.2f | %.2f |\n",
               rows[i].label, rows[i].size.bytes,
               (double)rows[0].size.bytes / (double)rows[i].size.bytes,
               (long long)rows[i].params, (long long)rows[i].size.nonzero,
               (long long)rows[i].macs, rows[i].psnr, rows[i].psnr - rows[0].psnr, rows[i].ms,
               rows[i].ms_min);
}

int vsr_cmd_compress(int argc, char **argv)
{
    static const struct option opts[] = {
        VSR_CLI_SHARED(VSR_CLI_OPT_MODEL),
        VSR_CLI_SHARED(VSR_CLI_OPT_WEIGHTS),
        VSR_CLI_SHARED(VSR_CLI_OPT_DATASET),
        VSR_CLI_SHARED(VSR_CLI_OPT_CLIP),
        VSR_CLI_SHARED(VSR_CLI_OPT_DEGRADATION),
        VSR_CLI_SHARED(VSR_CLI_OPT_FRAMES),
        VSR_CLI_SHARED(VSR_CLI_OPT_THREADS),
        {"prune", required_argument, NULL, ARG_PRUNE},
        {"structured", no_argument, NULL, ARG_STRUCTURED},
        {"scope", required_argument, NULL, ARG_SCOPE},
        {"norm", required_argument, NULL, ARG_NORM},
        {"cluster", required_argument, NULL, ARG_CLUSTER},
        {"finetune", required_argument, NULL, ARG_FINETUNE},
        {"finetune-set", required_argument, NULL, ARG_FT_SET},
        {"timing-runs", required_argument, NULL, ARG_RUNS},
        {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct option long_opts[sizeof(opts) / sizeof(opts[0])];
    vsr_cli_common co; /* --frames default 0: every frame */
    long runs = 10;
    step steps[MAX_STEPS];
    int n_steps = 0, opt;
    cx c = {.runs = 10};
    vsr_error err = {0};
    vsr_cli_begin(opts, long_opts, &co);
    while ((opt = getopt_long(argc, argv, "ho:", long_opts, NULL)) != -1) {
        int rc = 0;
        double v;
        long k;
        const char *sname = NULL;
        switch (opt) {
        case ARG_RUNS:
            rc = vsr_parse_long(optarg, 1, 100000, &runs, "--timing-runs", &err);
            break;
        case ARG_STRUCTURED:
            c.structured_opt = 1;
            break;
        case ARG_SCOPE:
            c.scope = !strcmp(optarg, "global") ? 1 : !strcmp(optarg, "layer") ? 0 : -1;
            if (c.scope < 0)
                rc = vsr_error_set(&err, -EINVAL, "--scope %s: expected layer or global",
                                   optarg);
            break;
        case ARG_NORM:
            c.norm = !strcmp(optarg, "l2") ? 1 : !strcmp(optarg, "l1") ? 0 : -1;
            if (c.norm < 0)
                rc = vsr_error_set(&err, -EINVAL, "--norm %s: expected l1 or l2", optarg);
            break;
        case ARG_PRUNE:
            sname = "prune";
            rc = vsr_parse_double(optarg, 0, 1, &v, "--prune", &err);
            if (!rc && v >= 1)
                rc = vsr_error_set(&err, -EINVAL,
                                   "--prune %s: the sparsity must be in [0, 1) (0.5 = half "
                                   "the weights)",
                                   optarg);
            break;
        case ARG_CLUSTER:
            sname = "cluster";
            rc = vsr_parse_long(optarg, 2, 65536, &k, "--cluster", &err);
            v = (double)k;
            break;
        case ARG_FINETUNE:
            sname = "finetune";
            v = 0;
            break;
        case ARG_FT_SET:
            if (c.n_sets >= MAX_SETS)
                rc = vsr_error_set(&err, -EINVAL, "--finetune-set: at most %d", MAX_SETS);
            else
                c.sets[c.n_sets++] = optarg;
            break;
        case 'o':
            c.out = optarg;
            break;
        default: /* a shared option (rc 1), -h, --help or a bad option */
            if (!(rc = vsr_cli_common_opt(opt, optarg, &co, &err)))
                return vsr_cli_help_exit(opt, usage);
        }
        if (!rc && sname) {
            if (n_steps >= MAX_STEPS)
                rc = vsr_error_set(&err, -EINVAL, "at most %d steps", MAX_STEPS);
            else
                steps[n_steps++] = (step){.def = step_find(sname), .num = v, .str = optarg};
        }
        if (rc < 0) {
            fprintf(stderr, "vsrbench compress: %s\n", err.msg);
            return VSR_EXIT_USAGE;
        }
    }
    c.runs = (int)runs;
    const char *model = co.model, *weights = co.weights, *dataset = co.dataset;
    if (optind != argc || !model || !weights || !dataset || !c.out) {
        fprintf(stderr, "vsrbench compress: expected --model M, --weights W, --dataset D and "
                        "--out OUT.vsrw; see 'vsrbench compress --help'\n");
        return VSR_EXIT_USAGE;
    }
    c.entry = vsr_models_zoo_find(model);
    if (!c.entry || c.entry->hp.family == VSR_MODELS_BICUBIC) {
        fprintf(stderr,
                "vsrbench compress: %s: not a zoo model with weights (see 'vsrbench models')\n",
                model);
        return VSR_EXIT_USAGE;
    }
    vsr_models_spec spec = {
        .model = c.entry->name, .precision = VSR_PREC_FP32, .flags = VSR_MODELS_OPEN_NO_ENGINE};
    vsr_models_spec_weights_from_path(&spec, weights);
    char why[512];
    if (vsr_models_weights_absent(c.entry, &spec, why, sizeof(why))) {
        fprintf(stderr, "vsrbench compress: %s: --weights %s does not exist%s%s\n",
                c.entry->name, weights, c.entry->weights_hint ? "; " : "",
                c.entry->weights_hint ? c.entry->weights_hint : "");
        return VSR_EXIT_USAGE;
    }

    int ret = VSR_EXIT_FAILURE, rc = 0, n_rows = 0;
    vsr_dataset *ds = NULL;
    row rows[MAX_STEPS + 1];
    vsr_dataset_spec dspec = vsr_cli_dataset_spec(&co, c.entry->hp.scale);
    if ((rc = vsr_dataset_open(&dspec, &ds, &err)))
        goto fail;
    c.n_clips = vsr_dataset_clip_count(ds);
    if (!(c.clips = calloc((size_t)c.n_clips + 1, sizeof(vsr_clip)))) {
        rc = vsr_error_set(&err, -ENOMEM, "out of memory");
        goto fail;
    }
    for (int k = 0; k < c.n_clips; k++)
        if ((rc = vsr_dataset_load_clip(ds, k, &c.clips[k], &err)))
            goto fail;
    if (c.n_clips < 1 || !c.clips[0].gt) {
        rc = vsr_error_set(&err, -EINVAL, "%s: no clip with GT frames", dataset);
        goto fail;
    }
    if ((rc = vsr_cli_pool_create(co.threads, &c.pool, &err)))
        goto fail;
    spec.h = c.clips[0].lr[0].height;
    spec.w = c.clips[0].lr[0].width;
    spec.pool = c.pool;
    if ((rc = vsr_models_open(&spec, &c.inst, &err)))
        goto fail;
    if ((rc = measure(&c, "original", &rows[n_rows++], &err)))
        goto fail;
    char pipeline[512] = "";
    size_t pl = 0;
    for (int i = 0; i < n_steps; i++) {
        if ((rc = steps[i].def->run(&c, &steps[i], &err)))
            goto fail;
        /* INT8 ranges learned by a QAT fine-tune (its .vsrw's quant section, set
         * as fixed parameters when loaded) hold for those weights only: a later
         * prune or cluster step drops them */
        if (steps[i].def->run != step_finetune)
            vsr_graph_clear_quant(c.inst->graph);
        if ((rc = measure(&c, steps[i].label, &rows[n_rows++], &err)))
            goto fail;
        if (pl < sizeof(pipeline))
            pl += (size_t)snprintf(pipeline + pl, sizeof(pipeline) - pl, "%s%s", i ? " > " : "",
                                   steps[i].label);
    }
    if ((rc = vsr_graph_set_meta(c.inst->graph, "compress", n_steps ? pipeline : "none",
                                 &err)) ||
        (rc = vsr_graph_quant_missing(c.inst->graph) < 0 /* every tensor: QAT's ranges */
                  ? vsr_weights_save_quant(c.inst->graph, c.out, &err)
                  : vsr_weights_save(c.inst->graph, c.out, &err)))
        goto fail;
    print_table(&c, rows, n_rows, dataset);
    printf("\nwrote %s (%s)\n", c.out, n_steps ? pipeline : "no step");
    ret = VSR_EXIT_OK;
    goto end;
fail:
    fprintf(stderr, "vsrbench compress: %s\n", err.msg);
    ret = vsr_cli_input_exit(rc) == VSR_EXIT_USAGE && n_rows == 0 ? VSR_EXIT_USAGE
                                                                  : VSR_EXIT_FAILURE;
end:
    for (int k = 0; c.clips && k < c.n_clips; k++)
        vsr_clip_free(&c.clips[k]);
    free(c.clips);
    vsr_models_close(&c.inst);
    vsr_dataset_close(&ds);
    if (c.pool)
        pthreadpool_destroy(c.pool);
    return ret;
}
