/*
 * trainer.c: the training loop behind `vsrbench train`: build, init or
 * resume, sample, forward / loss / backward in parallel over the batch
 * (one element per task, gradients reduced in batch order), Adam,
 * validation with the inference engine on the held-out demo clips,
 * checkpoints and the loss curve.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "train_internal.h"
#include "vsr/datasets.h"
#include "vsr/metrics.h"
#include "vsr/models.h"

enum { STREAM_INIT = 1, STREAM_DATA = 2 };

typedef struct tr_run {
    const vsr_train_config *cfg;
    vsr_train_net *net;
    const vsr_train_sampler *smp;
    int B, S, p, st_ch;
    long step;
    uint64_t data_key;
    size_t lr_n, hr_n, h_n;
    float **lr, **hr, **hst, *zeros;
    double **y, **g;
    double *bloss;
    int *brc;
    vsr_error *berr;
    double gscale;
} tr_run;

static void element(void *ctx, size_t bi)
{
    tr_run *r = ctx;
    int b = (int)bi, S = r->S;
    vsr_error *err = &r->berr[b];
    vsr_train_rng rng = {r->data_key, ((uint64_t)r->step * (uint64_t)r->B + bi) << 20};
    int rc = vsr_train_sampler_draw(r->smp, &rng, r->p, S, &r->lr[b * S], &r->hr[b * S], err);
    for (int t = 0; !rc && t < S; t++) {
        const float *in[2] = {r->lr[b * S + t], t == 0 ? r->zeros : r->hst[b]};
        rc = vsr_train_net_forward(r->net, b, t, in, err);
        if (!rc && r->st_ch)
            vsr_train_net_output_f(r->net, b, t, 1, r->hst[b]);
    }
    double loss = 0;
    for (int t = S - 1; !rc && t >= 0; t--) {
        vsr_train_net_output(r->net, b, t, 0, r->y[b], NULL);
        memset(r->g[b], 0, r->hr_n * sizeof(double));
        loss += vsr_train_loss_eval(r->cfg->loss, r->y[b], r->hr[b * S + t], r->hr_n, r->g[b],
                                    r->gscale);
        vsr_train_net_add_output_grad(r->net, b, t, 0, r->g[b]);
        if (r->st_ch && t < S - 1)
            vsr_train_net_link_state(r->net, b, t + 1, 1, 1);
        rc = vsr_train_net_backward(r->net, b, t, err);
    }
    r->bloss[b] = loss;
    r->brc[b] = rc;
}

static void run_free(tr_run *r)
{
    int n = r->B * r->S;
    for (int i = 0; r->lr && i < n; i++)
        free(r->lr[i]), free(r->hr[i]);
    for (int b = 0; r->y && b < r->B; b++)
        free(r->y[b]), free(r->g[b]), free(r->hst[b]);
    free(r->lr), free(r->hr), free(r->y), free(r->g), free(r->hst), free(r->zeros);
    free(r->bloss), free(r->brc), free(r->berr);
}

static int run_alloc(tr_run *r, int in_ch, int scale)
{
    int n = r->B * r->S;
    r->lr_n = (size_t)r->p * r->p * in_ch;
    r->hr_n = (size_t)r->p * scale * r->p * scale * 3;
    r->h_n = (size_t)r->p * r->p * (r->st_ch ? r->st_ch : 1);
    r->lr = calloc((size_t)n, sizeof(float *));
    r->hr = calloc((size_t)n, sizeof(float *));
    r->y = calloc((size_t)r->B, sizeof(double *));
    r->g = calloc((size_t)r->B, sizeof(double *));
    r->hst = calloc((size_t)r->B, sizeof(float *));
    r->zeros = calloc(r->h_n, sizeof(float));
    r->bloss = calloc((size_t)r->B, sizeof(double));
    r->brc = calloc((size_t)r->B, sizeof(int));
    r->berr = calloc((size_t)r->B, sizeof(vsr_error));
    if (!r->lr || !r->hr || !r->y || !r->g || !r->hst || !r->zeros || !r->bloss || !r->brc ||
        !r->berr)
        return -ENOMEM;
    for (int i = 0; i < n; i++)
        if (!(r->lr[i] = malloc(r->lr_n * sizeof(float))) ||
            !(r->hr[i] = malloc(r->hr_n * sizeof(float))))
            return -ENOMEM;
    for (int b = 0; b < r->B; b++)
        if (!(r->y[b] = malloc(r->hr_n * sizeof(double))) ||
            !(r->g[b] = malloc(r->hr_n * sizeof(double))) ||
            !(r->hst[b] = calloc(r->h_n, sizeof(float))))
            return -ENOMEM;
    return 0;
}

/* Mean over the demo clips of the mean per-frame Y-PSNR (crop 4), with the engine (FP32; a
 * QAT run: INT8 with the tracked ranges). */
static int validate(const vsr_models_arch *e, vsr_graph *g, int bicubic, vsr_precision prec,
                    const char *root, int max_frames, pthreadpool_t pool, double *psnr,
                    vsr_error *err)
{
    vsr_engine *eng = NULL;
    vsr_models_step st = {0};
    vsr_models_runner *run = NULL;
    vsr_dataset *ds = NULL;
    int scale = e->hp.scale, rc;
    if (bicubic)
        rc = vsr_models_bicubic_step(scale, &st, err);
    else if (!(rc = vsr_engine_create(g, prec, pool, NULL, &eng, err)))
        rc = vsr_models_engine_step(eng, e->in_channels, e->state_channels, &st, err);
    if (rc)
        goto done;
    if ((rc = vsr_models_runner_create(e->temporal, scale, &st, &run, err)))
        goto done;
    vsr_dataset_spec sp = {.type = VSR_DATASET_VID4,
                           .root = root,
                           .degradation = VSR_DEGRADE_BI,
                           .scale = scale,
                           .max_frames = max_frames};
    if ((rc = vsr_dataset_open(&sp, &ds, err)))
        goto done;
    double sum = 0;
    int nc = vsr_dataset_clip_count(ds);
    for (int c = 0; c < nc && !rc; c++) {
        vsr_clip clip = {0};
        if ((rc = vsr_dataset_load_clip(ds, c, &clip, err)))
            break;
        vsr_frame *sr = calloc((size_t)clip.n_frames, sizeof(vsr_frame));
        if (!sr)
            rc = vsr_error_set(err, -ENOMEM, "validation: out of memory");
        for (int i = 0; !rc && i < clip.n_frames; i++)
            rc = vsr_frame_alloc(&sr[i], clip.gt[i].width, clip.gt[i].height, 3, err);
        if (!rc)
            rc = vsr_models_run_clip(run, clip.lr, clip.n_frames, sr, err);
        double cs = 0;
        for (int i = 0; !rc && i < clip.n_frames; i++) {
            double v;
            rc = vsr_metrics_psnr(&clip.gt[i], &sr[i], 4, 1, pool, &v, err);
            cs += v;
        }
        if (!rc)
            sum += cs / clip.n_frames;
        for (int i = 0; sr && i < clip.n_frames; i++)
            vsr_frame_free(&sr[i]);
        free(sr);
        vsr_clip_free(&clip);
    }
    if (!rc)
        *psnr = sum / (nc > 0 ? nc : 1);
done:
    vsr_dataset_close(&ds);
    vsr_models_runner_free(&run);
    if (bicubic)
        vsr_models_bicubic_step_free(&st);
    else if (st.ctx)
        vsr_models_engine_step_free(&st);
    vsr_engine_free(&eng);
    return rc;
}

/* Offset of weight @p k in the flat parameter vector (weights in graph order). */
static size_t weight_offset(const vsr_graph *g, int k)
{
    size_t off = 0;
    vsr_weight_info w;
    for (int i = 0; i < k; i++) {
        vsr_graph_weight_info(g, i, &w);
        off += w.count;
    }
    return off;
}

/*
 * Per-parameter learning-rate factors: @p in_s on the kernels of convs that
 * read raw pixels (graph inputs, their slices and concats, and adds with
 * them), @p out_s on the kernels and biases of convs that write the output
 * in 0..255 units (the convs an output reaches back through clip,
 * depth-to-space and add only). A conv doing both gets both. Pixel-reading
 * convs see inputs of magnitude ~100, so an Adam step of lr moves their
 * outputs ~255x more than a layer fed with unit-scale features, which kills
 * the ReLUs behind them within a few steps; a conv folded x255 into 0..255
 * output units moves its output 255x less than its [0, 1] original. NULL
 * when out of memory; the caller frees.
 */
float *vsr_train_lr_factors(const vsr_graph *g, size_t np, float in_s, float out_s)
{
    float *f = malloc((np ? np : 1) * sizeof(float));
    unsigned char *pix = calloc((size_t)g->n_nodes + 1, 1);
    unsigned char *out = calloc((size_t)g->n_nodes + 1, 1);
    if (!f || !pix || !out) {
        free(f), free(pix), free(out);
        return NULL;
    }
    for (size_t i = 0; i < np; i++)
        f[i] = 1.f;
    for (int k = 0; k < g->n_outputs; k++)
        if (g->outputs[k].t >= 0 && g->outputs[k].t < g->n_nodes)
            out[g->outputs[k].t] = 1;
    for (int i = g->n_nodes - 1; i >= 0; i--) {
        const vsr_node *nd = &g->nodes[i];
        if (out[i] &&
            (nd->op == VSR_OP_CLIP || nd->op == VSR_OP_DEPTH_TO_SPACE || nd->op == VSR_OP_ADD))
            for (int k = 0; k < nd->n_in; k++)
                out[nd->in[k]] = 1;
    }
    for (int i = 0; i < g->n_nodes; i++) {
        const vsr_node *nd = &g->nodes[i];
        int all = nd->n_in > 0, any = 0;
        for (int k = 0; k < nd->n_in; k++)
            all &= pix[nd->in[k]], any |= pix[nd->in[k]];
        pix[i] = nd->op == VSR_OP_INPUT ||
                 ((nd->op == VSR_OP_SLICE || nd->op == VSR_OP_CONCAT) && all) ||
                 (nd->op == VSR_OP_ADD && any);
        if (nd->op != VSR_OP_CONV2D)
            continue;
        for (int k = 0; k < nd->w_n; k++) {
            float m = (out[i] ? out_s : 1.f) * (k == 0 && pix[nd->in[0]] ? in_s : 1.f);
            vsr_weight_info w;
            vsr_graph_weight_info(g, nd->w_first + k, &w);
            size_t off = weight_offset(g, nd->w_first + k);
            for (size_t e = 0; e < w.count && off + e < np; e++)
                f[off + e] = m;
        }
    }
    free(pix), free(out);
    return f;
}

static int set_meta_fmt(vsr_graph *g, const char *k, vsr_error *err, const char *fmt, ...)
    VSR_PRINTF(4, 5);
static int set_meta_fmt(vsr_graph *g, const char *k, vsr_error *err, const char *fmt, ...)
{
    char v[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v, sizeof(v), fmt, ap);
    va_end(ap);
    return vsr_graph_set_meta(g, k, v, err);
}

/* QAT: the net's ranges onto @p g (fixed INT8 parameters) once every quantised output has
 * one; 1 when they were stored, 0 when not yet (or no QAT), < 0 on error. */
static int qat_store(const vsr_train_config *cfg, vsr_train_net *net, vsr_graph *g,
                     vsr_error *err)
{
    if (!cfg->qat || !vsr_train_net_qat_ready(net))
        return 0;
    int rc = vsr_train_net_qat_store(net, g, err);
    return rc ? rc : 1;
}

static int save_ckpt(const vsr_train_config *cfg, vsr_graph *g, vsr_train_net *net,
                     const vsr_train_adam *adam, long step, double wall, double val,
                     double loss, vsr_error *err)
{
    char wpath[4096], opath[4096];
    snprintf(wpath, sizeof(wpath), "%s/%s.vsrw", cfg->out_dir, cfg->name);
    snprintf(opath, sizeof(opath), "%s/%s.opt.vsrw", cfg->out_dir, cfg->name);
    int rc = vsr_train_net_store(net, g, err);
    rc = rc ? rc : vsr_graph_set_meta(g, "train.config", cfg->name, err);
    rc = rc ? rc : set_meta_fmt(g, "train.step", err, "%ld", step);
    rc = rc ? rc : set_meta_fmt(g, "train.seed", err, "%ld", cfg->seed);
    rc = rc ? rc : set_meta_fmt(g, "train.wall_s", err, "%.1f", wall);
    rc = rc ? rc : set_meta_fmt(g, "train.loss", err, "%.6g", loss);
    rc = rc ? rc
            : set_meta_fmt(g, "train.recipe", err,
                           "%s patch %d batch %d seq %d steps %ld lr %g %s init %s "
                           "input_lr_scale %g output_clip_ste %d",
                           vsr_train_loss_name(cfg->loss), cfg->patch, cfg->batch, cfg->seq,
                           cfg->steps, cfg->sched.lr,
                           cfg->sched.kind == VSR_TRAIN_SCHED_COSINE ? "cosine"
                           : cfg->sched.kind == VSR_TRAIN_SCHED_STEP ? "step"
                                                                     : "constant",
                           cfg->init == VSR_TRAIN_INIT_GLOROT_UNIFORM ? "glorot_uniform"
                           : cfg->init == VSR_TRAIN_INIT_HE_UNIFORM   ? "he_uniform"
                                                                      : "he_normal",
                           cfg->input_lr_scale, cfg->output_clip_ste);
    if (!rc && !isnan(val))
        rc = set_meta_fmt(g, cfg->qat ? "train.val_psnr_y_demo_int8" : "train.val_psnr_y_demo",
                          err, "%.4f", val);
    if (!rc && cfg->init_weights)
        rc = vsr_graph_set_meta(g, "train.init_weights", cfg->init_weights, err);
    if (!rc && cfg->qat)
        rc = set_meta_fmt(g, "train.qat", err,
                          "scheme %s start_step %ld freeze_ranges_after %ld ema %g ranges %s%s",
                          cfg->qat_scheme ? cfg->qat_scheme : "int8", cfg->qat_start,
                          cfg->qat_freeze, cfg->qat_ema, cfg->qat_ranges ? "minmax" : "ema",
                          cfg->qat_lsq ? " lsq" : "");
    int with_q = rc ? rc : qat_store(cfg, net, g, err);
    if (with_q < 0)
        return with_q;
    if (rc)
        return rc;
    /* optimizer half first: the weights file is the commit point */
    char st[32], at[32], sd[32];
    snprintf(st, sizeof(st), "%ld", step);
    snprintf(at, sizeof(at), "%ld", adam->t);
    snprintf(sd, sizeof(sd), "%ld", cfg->seed);
    const char *kv[] = {"train.step", st, "adam.t", at, "train.seed", sd};
    vsr_train_blob bl[2] = {{"adam.m", adam->m, adam->n}, {"adam.v", adam->v, adam->n}};
    if ((rc = vsr_train_write_vsrw(opath, vsr_graph_name(g), kv, 3, bl, 2, err)))
        return rc;
    /* complete or not at all; a QAT run's ranges go in the file's quant section */
    return with_q ? vsr_weights_save_quant(g, wpath, err) : vsr_weights_save(g, wpath, err);
}

/* Load both halves; *step receives the checkpoint's step. */
static int load_ckpt(const vsr_train_config *cfg, vsr_graph *g, vsr_train_adam *adam,
                     long *step, int *found, vsr_error *err)
{
    char wpath[4096], opath[4096];
    snprintf(wpath, sizeof(wpath), "%s/%s.vsrw", cfg->out_dir, cfg->name);
    snprintf(opath, sizeof(opath), "%s/%s.opt.vsrw", cfg->out_dir, cfg->name);
    struct stat sb;
    *found = 0;
    if (stat(opath, &sb) != 0 || stat(wpath, &sb) != 0)
        return 0;
    vsr_weights *o = NULL;
    int rc = vsr_weights_open(opath, &o, err);
    if (rc)
        return rc;
    const char *s1 = vsr_weights_meta(o, "train.step"), *s2 = vsr_weights_meta(o, "adam.t");
    long st = -1, at = -1;
    rc = !s1 || !s2 || vsr_parse_long(s1, 0, 1L << 40, &st, "train.step", NULL) ||
         vsr_parse_long(s2, 0, 1L << 40, &at, "adam.t", NULL);
    if (rc) {
        vsr_weights_free(&o);
        return vsr_error_set(err, -EINVAL, "%s: no train.step / adam.t metadata", opath);
    }
    for (int i = 0; i < vsr_weights_tensor_count(o) && !rc; i++) {
        const char *nm;
        int nd, dims[4];
        const float *d;
        vsr_weights_tensor_at(o, i, &nm, &nd, dims, &d);
        float *dst = !strcmp(nm, "adam.m") ? adam->m : !strcmp(nm, "adam.v") ? adam->v : NULL;
        if (!dst || nd != 1 || (size_t)dims[0] != adam->n)
            rc = vsr_error_set(err, -EINVAL,
                               "%s: tensor %s does not fit this model (%zu parameters)", opath,
                               nm, adam->n);
        else
            memcpy(dst, d, adam->n * sizeof(float));
    }
    vsr_weights_free(&o);
    if (rc)
        return rc;
    vsr_weights *wf = NULL;
    if ((rc = vsr_weights_open(wpath, &wf, err)))
        return rc;
    const char *ws = vsr_weights_meta(wf, "train.step");
    long wst = -1;
    if (!ws || vsr_parse_long(ws, 0, 1L << 40, &wst, "train.step", NULL) || wst != st) {
        vsr_weights_free(&wf);
        return vsr_error_set(err, -EINVAL,
                             "%s and %s are from different steps; delete both to restart",
                             wpath, opath);
    }
    rc = vsr_weights_apply(wf, g, err);
    vsr_weights_free(&wf);
    if (rc)
        return rc;
    adam->t = at;
    *step = st;
    *found = 1;
    return 0;
}

/* Keep the rows of loss.tsv up to @p step (a resumed run rewrites the rest). */
static FILE *open_curve(const char *path, long step, int resume, vsr_error *err)
{
    char *keep = NULL;
    size_t kn = 0;
    if (resume) {
        FILE *f = fopen(path, "r");
        if (f) {
            FILE *m = open_memstream(&keep, &kn);
            char line[512];
            while (m && fgets(line, sizeof(line), f)) {
                long s;
                if (line[0] == 's' || (sscanf(line, "%ld", &s) == 1 && s <= step))
                    fputs(line, m);
            }
            if (m)
                fclose(m);
            fclose(f);
        }
    }
    FILE *f = fopen(path, "w");
    if (!f) {
        free(keep);
        vsr_error_set(err, -errno, "%s: cannot write the loss curve", path);
        return NULL;
    }
    if (keep && kn)
        fwrite(keep, 1, kn, f);
    else
        fprintf(f, "step\tloss\tlr\tval_psnr_y\n");
    free(keep);
    return f;
}

int vsr_train_run(const vsr_train_config *cfg, int resume, pthreadpool_t pool,
                  const vsr_train_hooks *hooks, vsr_error *err)
{
    /* the model as run / tune / upscale assemble it: zoo entry + hyperparameters */
    const vsr_models_spec spec = {.model = cfg->model,
                                  .hparams = cfg->hparams,
                                  .n_hparams = cfg->n_hparams,
                                  .h = cfg->patch,
                                  .w = cfg->patch,
                                  .flags =
                                      VSR_MODELS_OPEN_NO_WEIGHTS | VSR_MODELS_OPEN_NO_ENGINE};
    vsr_models_arch arch;
    const vsr_models_arch *e = &arch;
    const vsr_models_entry *ze = vsr_models_zoo_find(cfg->model);
    if (!ze || ze->hp.family == VSR_MODELS_BICUBIC)
        return vsr_error_set(err, -EINVAL, "model '%s': not a trainable zoo entry", cfg->model);
    int rc = vsr_models_resolve(&spec, &arch, err);
    if (rc)
        return rc;
    char dir[4096], troot[4200], vroot[4200], curve[4200];
    if (cfg->data_dir)
        snprintf(dir, sizeof(dir), "%s", cfg->data_dir);
    else if ((rc = vsr_demo_default_dir(dir, sizeof(dir), err)))
        return rc;
    if ((rc = vsr_demo_build_train(dir, err)) || (rc = vsr_demo_build(dir, err)))
        return rc;
    snprintf(troot, sizeof(troot), "%s/%s", dir, VSR_DEMO_TRAIN_SUBDIR);
    snprintf(vroot, sizeof(vroot), "%s/%s", dir, VSR_DEMO_SUBDIR);
    if ((rc = vsr_mkdir_p(cfg->out_dir, err)))
        return rc;
    snprintf(curve, sizeof(curve), "%s/loss.tsv", cfg->out_dir);

    vsr_models_instance *inst = NULL;
    vsr_graph *g = NULL; /* inst's */
    vsr_train_net *net = NULL;
    vsr_train_sampler *smp = NULL;
    vsr_train_adam adam = {0};
    vsr_train_adam sadam = {0}; /* LSQ: the activation scales */
    double *sg = NULL;
    tr_run r = {0};
    FILE *cf = NULL;
    char **frozen = NULL;
    float *lrs = NULL;
    const int S = e->state_channels ? cfg->seq : 1;
    if ((rc = vsr_models_open(&spec, &inst, err)))
        goto done;
    g = inst->graph;
    int nw = vsr_graph_weight_count(g), nf = 0;
    frozen = calloc((size_t)nw + 1, sizeof(char *));
    if (!frozen) {
        rc = vsr_error_set(err, -ENOMEM, "out of memory");
        goto done;
    }
    for (int i = 0; i < nw; i++) {
        vsr_weight_info wi;
        vsr_graph_weight_info(g, i, &wi);
        if (wi.is_set) /* fixed by the builder (e.g. MVSR's nearest conv) */
            frozen[nf++] = (char *)wi.name;
    }
    if (cfg->init_weights && (rc = vsr_weights_load(g, cfg->init_weights, err))) {
        vsr_error_wrap(err, rc, "%s: init_weights", cfg->name);
        goto done;
    }
    vsr_train_rng irng = vsr_train_rng_make((uint64_t)cfg->seed, STREAM_INIT);
    if ((rc = vsr_train_init_weights(g, cfg->init, (float)cfg->prelu_alpha, &irng, err)))
        goto done;
    if (cfg->identity_init && (rc = vsr_models_identity_init(g, &inst->arch.hp, err)))
        goto done;
    if (hooks && hooks->start_weights && (rc = hooks->start_weights(hooks->ctx, g, err)))
        goto done;
    size_t np = 0;
    for (int i = 0; i < nw; i++) {
        vsr_weight_info wi;
        vsr_graph_weight_info(g, i, &wi);
        np += wi.count;
    }
    if ((rc = vsr_train_adam_init(&adam, np, cfg->beta1, cfg->beta2, cfg->eps, err)))
        goto done;
    if (cfg->input_lr_scale != 1.0 || cfg->output_lr_scale != 1.0) {
        if (!(lrs = vsr_train_lr_factors(g, np, (float)cfg->input_lr_scale,
                                         (float)cfg->output_lr_scale))) {
            rc = vsr_error_set(err, -ENOMEM, "out of memory");
            goto done;
        }
        adam.lr_scale = lrs;
    }
    long start = 0;
    int found = 0;
    if (resume && (rc = load_ckpt(cfg, g, &adam, &start, &found, err)))
        goto done;
    if (resume && !found)
        vsr_log(VSR_LOG_INFO, "%s: no checkpoint in %s, starting at step 0", cfg->name,
                cfg->out_dir);
    vsr_train_net_options no = {.batch = cfg->batch,
                                .steps = S,
                                .input_grads = e->state_channels > 0,
                                .frozen = (const char *const *)frozen};
    if ((rc = vsr_train_net_create(g, cfg->patch, cfg->patch, &no, &net, err)))
        goto done;
    vsr__train_net_set_ste(net, cfg->output_clip_ste);
    if (cfg->init_weights && cfg->init_keep_zeros)
        for (size_t i = 0; i < net->n_params; i++)
            if (net->params[i] == 0.f)
                net->mask[i] = 0; /* pruned: Adam never moves it */
    vsr_precision vprec = VSR_PREC_FP32;
    if (cfg->qat) {
        vsr_quant_scheme qs;
        if ((rc = vsr_precision_parse_scheme(cfg->qat_scheme ? cfg->qat_scheme : "int8", &vprec,
                                             &qs, err)) ||
            (rc = vsr_train_net_qat_enable(net, &qs, err)))
            goto done;
    }
    if ((rc = vsr_train_sampler_create(troot, e->hp.scale, e->temporal, &smp, err)))
        goto done;
    r.cfg = cfg, r.net = net, r.smp = smp, r.B = cfg->batch, r.S = S, r.p = cfg->patch;
    r.st_ch = e->state_channels;
    r.data_key = vsr_train_rng_make((uint64_t)cfg->seed, STREAM_DATA).key;
    if (run_alloc(&r, e->in_channels, e->hp.scale)) {
        rc = vsr_error_set(err, -ENOMEM, "%s: out of memory for the batch", cfg->name);
        goto done;
    }
    r.gscale = 1.0 / ((double)r.B * S * (double)r.hr_n);
    if (!(cf = open_curve(curve, start, found, err))) {
        rc = err ? err->code : -EIO;
        goto done;
    }
    double bic = NAN;
    if (start == 0 &&
        (rc = validate(e, g, 1, VSR_PREC_FP32, vroot, cfg->val_frames, pool, &bic, err)) == 0)
        vsr_log(VSR_LOG_INFO, "%s: bicubic Y-PSNR on the demo clips: %.3f dB", cfg->name, bic);
    if (rc)
        goto done;
    fflush(cf); /* the kept rows are on disk for the start hook */
    if (hooks && hooks->start && (rc = hooks->start(hooks->ctx, start, bic, err)) < 0)
        goto done;
    rc = 0;
    const unsigned char *mask = net->mask;
    double t0 = vsr_clock_s(), loss = NAN, val = NAN;
    long step = start, limit = cfg->steps;
    int hook_rc = 0; /* a record hook's failure, returned after the checkpoint */
    if (hooks && hooks->stop_after > 0 && start + hooks->stop_after < limit)
        limit = start + hooks->stop_after;
    while (step < limit) {
        double lr = vsr_train_sched_lr(&cfg->sched, step);
        r.step = step;
        vsr_train_net_zero_grad(net);
        /* QAT: observe only before start_step (and until every range is known), then fake
         * quantise; ranges move until freeze_ranges_after */
        int qq = cfg->qat && step >= cfg->qat_start && vsr_train_net_qat_ready(net);
        int qo = cfg->qat && (!qq || !cfg->qat_freeze || step < cfg->qat_freeze);
        vsr_train_net_qat_mode(net, qo, qq);
        if (cfg->qat_lsq && !sg && qq && !qo) { /* ranges frozen: LSQ takes over */
            int nn = g->n_nodes;
            if ((rc = vsr_train_net_qat_lsq_start(net, err)) ||
                (rc = vsr_train_adam_init(&sadam, (size_t)nn, cfg->beta1, cfg->beta2, cfg->eps,
                                          err)))
                goto done;
            if (!(sg = calloc((size_t)nn, sizeof(double)))) {
                rc = vsr_error_set(err, -ENOMEM, "out of memory");
                goto done;
            }
        }
        pthreadpool_parallelize_1d(pool, element, &r, (size_t)r.B, 0);
        double ls = 0;
        for (int b = 0; b < r.B; b++) {
            if (r.brc[b]) {
                rc = r.brc[b];
                if (err)
                    *err = r.berr[b];
                goto done;
            }
            ls += r.bloss[b];
        }
        loss = ls * r.gscale;
        if (!isfinite(loss)) {
            rc = vsr_error_set(err, -ERANGE,
                               "%s: loss is not finite at step %ld; lower "
                               "optimizer.lr",
                               cfg->name, step);
            goto done;
        }
        if (qo)
            vsr_train_net_qat_update(net, cfg->qat_ema, cfg->qat_ranges);
        const double *grad = vsr_train_net_reduce(net);
        if (hooks && hooks->constrain_grad) /* the reduced gradient is the net's own buffer */
            hooks->constrain_grad(hooks->ctx, net->grad, net->n_params);
        vsr_train_adam_step(&adam, net->params, grad, mask, lr);
        vsr_train_net_params_changed(net);
        if (sg) { /* LSQ: one Adam step on the scales (those without a gradient stay) */
            float *sc = vsr_train_net_qat_scales(net);
            vsr_train_net_qat_lsq_grads(net, sg);
            vsr_train_adam_step(&sadam, sc, sg, NULL, lr);
            for (size_t i = 0; i < sadam.n; i++)
                sc[i] = sc[i] > 1e-8f ? sc[i] : 1e-8f;
        }
        vsr_train_net_qat_refresh(net);
        step++;
        val = NAN;
        if (step % cfg->val_every == 0 || step == cfg->steps) {
            int vq = 0;
            if ((rc = vsr_train_net_store(net, g, err)) ||
                (rc = (vq = qat_store(cfg, net, g, err)) < 0 ? vq : 0) ||
                (rc = validate(e, g, 0, vq ? vprec : VSR_PREC_FP32, vroot, cfg->val_frames,
                               pool, &val, err)))
                goto done;
            if (vq)
                vsr_graph_clear_quant(g);
        }
        fprintf(cf, "%ld\t%.9g\t%.6g\t", step, loss, lr);
        if (isnan(val))
            fprintf(cf, "\n");
        else
            fprintf(cf, "%.4f\n", val);
        if (hooks && hooks->record) {
            double el = vsr_clock_s() - t0;
            int ck = step % cfg->ckpt_every == 0 || step == limit;
            int fl = ck || step % cfg->log_every == 0 || !isnan(val);
            vsr_train_progress pr = {
                step, cfg->steps, loss, lr, el > 0 ? (double)(step - start) / el : 0, val};
            int h = hooks->record(hooks->ctx, &pr, fl, err);
            if (h != 0)
                limit = step; /* checkpoint this step, then stop */
            if (h < 0)
                hook_rc = h;
        }
        if (step % cfg->ckpt_every == 0 || step == limit) {
            fflush(cf);
            /* after a hook failure, err already holds its message */
            vsr_error ck_err = {0};
            if ((rc = save_ckpt(cfg, g, net, &adam, step, vsr_clock_s() - t0, val, loss,
                                hook_rc ? &ck_err : err))) {
                if (hook_rc && err)
                    *err = ck_err;
                goto done;
            }
        }
        if (hook_rc) {
            rc = hook_rc;
            goto done;
        }
        if (hooks && hooks->progress &&
            (step % cfg->log_every == 0 || !isnan(val) || step == limit)) {
            double el = vsr_clock_s() - t0;
            vsr_train_progress pr = {
                step, cfg->steps, loss, lr, el > 0 ? (double)(step - start) / el : 0, val};
            hooks->progress(hooks->ctx, &pr);
        }
    }
done:
    if (cf)
        fclose(cf);
    run_free(&r);
    vsr_train_sampler_free(&smp);
    vsr_train_net_free(&net);
    vsr_train_adam_free(&adam);
    vsr_train_adam_free(&sadam);
    free(sg);
    free(lrs);
    free(frozen);
    vsr_models_close(&inst);
    return rc;
}
