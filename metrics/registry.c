/*
 * The metric registry (libvmaf feature-extractor style): one vtable per
 * metric and a static NULL-terminated list. Adding a metric (MS-SSIM, a
 * temporal metric) means one vtable and one line in metric_list below:
 * `vsrbench run` (configs' metrics:), `vsrbench eval --metrics`, the run log
 * and the reports find it by name from here.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics_internal.h"

/* ---- psnr / ssim: the config is all the state ----------------------------- */

typedef struct fr_priv {
    int crop_border;
    int y_channel;
    vsr_metrics_scratch scratch; /* owned: reused across frames, freed in fr_close */
} fr_priv;

static int fr_init(void *priv, const vsr_metric_config *cfg, vsr_error *err)
{
    fr_priv *p = priv;
    if (cfg->crop_border < 0)
        return vsr_error_set(err, -EINVAL, "crop border %d is negative", cfg->crop_border);
    p->crop_border = cfg->crop_border;
    p->y_channel = cfg->y_channel;
    return 0;
}

static int psnr_run(void *priv, const vsr_frame *gt, const vsr_frame *sr, pthreadpool_t pool,
                    double *score, vsr_error *err)
{
    fr_priv *p = priv;
    return vsr_metrics_psnr_s(gt, sr, p->crop_border, p->y_channel, pool, &p->scratch, score,
                              err);
}

static int ssim_run(void *priv, const vsr_frame *gt, const vsr_frame *sr, pthreadpool_t pool,
                    double *score, vsr_error *err)
{
    fr_priv *p = priv;
    return vsr_metrics_ssim_s(gt, sr, p->crop_border, p->y_channel, pool, &p->scratch, score,
                              err);
}

static void fr_close(void *priv)
{
    fr_priv *p = priv;
    vsr_metrics_scratch_free(&p->scratch);
}

/* report order: rgb before y (the run log's and JSON's psnr_rgb, psnr_y) */
static const char *const rgb_y[] = {"rgb", "y", NULL};

static const vsr_metric metric_psnr = {
    .name = "psnr",
    .unit = "dB",
    .needs_ref = 1,
    .higher_better = 1,
    .priv_size = sizeof(fr_priv),
    .init = fr_init,
    .run = psnr_run,
    .close = fr_close,
    .channels = rgb_y,
    .default_channel = "y",
    .decimals = 4,
};

static const vsr_metric metric_ssim = {
    .name = "ssim",
    .unit = "",
    .needs_ref = 1,
    .higher_better = 1,
    .priv_size = sizeof(fr_priv),
    .init = fr_init,
    .run = ssim_run,
    .close = fr_close,
    .channels = rgb_y,
    .default_channel = "y",
    .decimals = 6,
};

/* ---- niqe: holds the pristine model --------------------------------------- */

typedef struct niqe_priv {
    int crop_border;
    vsr_metrics_niqe_model *model;
    vsr_metrics_scratch scratch; /* owned: reused across frames, freed in niqe_close */
} niqe_priv;

static int niqe_init(void *priv, const vsr_metric_config *cfg, vsr_error *err)
{
    niqe_priv *p = priv;
    if (cfg->crop_border < 0)
        return vsr_error_set(err, -EINVAL, "crop border %d is negative", cfg->crop_border);
    p->crop_border = cfg->crop_border;
    return vsr_metrics_niqe_model_load(cfg->niqe_model_path, &p->model, err);
}

static int niqe_run(void *priv, const vsr_frame *gt, const vsr_frame *sr, pthreadpool_t pool,
                    double *score, vsr_error *err)
{
    (void)gt;
    niqe_priv *p = priv;
    return vsr_metrics_niqe_s(sr, p->model, p->crop_border, VSR_NIQE_Y, pool, &p->scratch,
                              score, err);
}

static void niqe_close(void *priv)
{
    niqe_priv *p = priv;
    vsr_metrics_niqe_model_free(&p->model);
    vsr_metrics_scratch_free(&p->scratch);
}

static const vsr_metric metric_niqe = {
    .name = "niqe",
    .unit = "",
    .needs_ref = 0,
    .higher_better = 0,
    .priv_size = sizeof(niqe_priv),
    .init = niqe_init,
    .run = niqe_run,
    .close = niqe_close,
    .decimals = 4,
};

/* ---- the list ------------------------------------------------------------- */

/* one metric a line: adding one is one line here (clang-format would pack them) */
/* clang-format off */
static const vsr_metric *const metric_list[] = {
    &metric_psnr,
    &metric_ssim,
    &metric_niqe,
    &vsr_metric_gmsd,
    NULL,
};
/* clang-format on */

const vsr_metric *const *vsr_metrics_list(void)
{
    return metric_list;
}

const vsr_metric *vsr_metrics_find(const char *name)
{
    for (size_t i = 0; name && metric_list[i]; i++)
        if (!strcmp(metric_list[i]->name, name))
            return metric_list[i];
    return NULL;
}

int vsr_metrics_lookup(const char *name, const vsr_metric **out, vsr_error *err)
{
    *out = vsr_metrics_find(name);
    if (*out)
        return 0;
    const char *best = NULL;
    int best_d = 3; /* a hint only for a near miss */
    char known[256] = "";
    size_t len = 0;
    for (size_t i = 0; metric_list[i]; i++) {
        int d = name ? vsr_edit_distance(name, metric_list[i]->name) : 99;
        if (d < best_d)
            best_d = d, best = metric_list[i]->name;
        int w = snprintf(known + len, sizeof(known) - len, "%s%s", i ? ", " : "",
                         metric_list[i]->name);
        if (w > 0 && (size_t)w < sizeof(known) - len)
            len += (size_t)w;
    }
    char hint[96] = "";
    if (best)
        snprintf(hint, sizeof(hint), " (did you mean '%s'?)", best);
    return vsr_error_set(err, -EINVAL, "unknown metric '%.64s'%s; known metrics: %s",
                         name ? name : "", hint, known);
}

int vsr_metrics_channel_count(const vsr_metric *m)
{
    int n = 0;
    while (m->channels && m->channels[n])
        n++;
    return n ? n : 1;
}

const char *vsr_metrics_channel_name(const vsr_metric *m, int i)
{
    return m->channels && i >= 0 && i < vsr_metrics_channel_count(m) ? m->channels[i] : "";
}

int vsr_metrics_channel_index(const vsr_metric *m, const char *name)
{
    if (!m->channels)
        return !name || !*name ? 0 : -1;
    for (int i = 0; m->channels[i]; i++)
        if (name && !strcmp(m->channels[i], name))
            return i;
    return -1;
}

int vsr_metrics_default_channel(const vsr_metric *m)
{
    int i = m->default_channel ? vsr_metrics_channel_index(m, m->default_channel) : 0;
    return i < 0 ? 0 : i;
}

const char *vsr_metrics_score_name(const char *metric, const char *channel, char *buf,
                                   size_t cap)
{
    if (channel && *channel)
        snprintf(buf, cap, "%s_%s", metric, channel);
    else
        snprintf(buf, cap, "%s", metric);
    return buf;
}

/* Options every metric takes, and those of a metric with channels. */
static const vsr_metric_option common_options[] = {
    {"crop_border", VSR_METRIC_OPT_INT, 0, 1024, "pixels removed from every side"},
    {"type", VSR_METRIC_OPT_STRING, 0, 0, "informative (BasicSR's metric type)"},
    {"better", VSR_METRIC_OPT_STRING, 0, 0, "informative (higher or lower)"},
    {NULL, 0, 0, 0, NULL},
};
static const vsr_metric_option channel_options[] = {
    {"test_y_channel", VSR_METRIC_OPT_BOOL, 0, 0, "score the Y channel (else the first)"},
    {"channels", VSR_METRIC_OPT_CHANNELS, 0, 0, "the channels to score"},
    {NULL, 0, 0, 0, NULL},
};

const vsr_metric_option *vsr_metrics_option(const vsr_metric *m, const char *key, char *names,
                                            size_t cap)
{
    const vsr_metric_option *lists[3] = {m->options, common_options,
                                         m->channels ? channel_options : NULL};
    const vsr_metric_option *found = NULL;
    size_t len = 0;
    if (names && cap)
        names[0] = 0;
    for (int l = 0; l < 3; l++)
        for (const vsr_metric_option *o = lists[l]; o && o->name; o++) {
            if (!found && key && !strcmp(o->name, key))
                found = o;
            if (names && len < cap) {
                int w = snprintf(names + len, cap - len, "%s%s", len ? ", " : "", o->name);
                if (w > 0)
                    len += (size_t)w;
            }
        }
    return found;
}

struct vsr_metric_ctx {
    const vsr_metric *m;
    void *priv; /* m->priv_size bytes, owned */
};

int vsr_metrics_ctx_open(const vsr_metric *m, const vsr_metric_config *cfg,
                         vsr_metric_ctx **out, vsr_error *err)
{
    *out = NULL;
    if (!m || !cfg)
        return vsr_error_set(err, -EINVAL, "metric: missing metric or config");
    vsr_metric_ctx *c = calloc(1, sizeof(*c));
    if (!c)
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", m->name);
    if (cfg->channel && vsr_metrics_channel_index(m, cfg->channel) < 0) {
        free(c);
        return vsr_error_set(err, -EINVAL, "%s has no channel '%s'", m->name, cfg->channel);
    }
    vsr_metric_config mc = *cfg;
    if (cfg->channel && m->channels)
        mc.y_channel = !strcmp(cfg->channel, "y");
    cfg = &mc;
    c->m = m;
    c->priv = calloc(1, m->priv_size ? m->priv_size : 1);
    if (!c->priv) {
        free(c);
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", m->name);
    }
    int rc = m->init(c->priv, cfg, err);
    if (rc < 0) {
        m->close(c->priv);
        free(c->priv);
        free(c);
        return rc;
    }
    *out = c;
    return 0;
}

int vsr_metrics_ctx_run(vsr_metric_ctx *ctx, const vsr_frame *gt, const vsr_frame *sr,
                        pthreadpool_t pool, double *score, vsr_error *err)
{
    if (!ctx || !sr || (ctx->m->needs_ref && !gt))
        return vsr_error_set(err, -EINVAL, "%s: missing %s frame",
                             ctx ? ctx->m->name : "metric", sr ? "reference (gt)" : "sr");
    return ctx->m->run(ctx->priv, gt, sr, pool, score, err);
}

const vsr_metric *vsr_metrics_ctx_metric(const vsr_metric_ctx *ctx)
{
    return ctx->m;
}

void vsr_metrics_ctx_close(vsr_metric_ctx **ctx)
{
    if (!ctx || !*ctx)
        return;
    (*ctx)->m->close((*ctx)->priv);
    free((*ctx)->priv);
    free(*ctx);
    *ctx = NULL;
}

/* ---- sets ----------------------------------------------------------------- */

struct vsr_metric_set {
    int n, cap;
    vsr_metric_ctx **ctx;
    const char **channel;
    char (*name)[48];
};

static int set_grow(vsr_metric_set *s, int need)
{
    if (need <= s->cap)
        return 0;
    int cap = s->cap ? 2 * s->cap : 8;
    while (cap < need)
        cap *= 2;
    vsr_metric_ctx **c = realloc(s->ctx, (size_t)cap * sizeof(*c));
    if (c)
        s->ctx = c;
    const char **ch = c ? realloc(s->channel, (size_t)cap * sizeof(*ch)) : NULL;
    if (ch)
        s->channel = ch;
    char(*nm)[48] = ch ? realloc(s->name, (size_t)cap * sizeof(*nm)) : NULL;
    if (!nm)
        return -ENOMEM;
    s->name = nm;
    s->cap = cap;
    return 0;
}

int vsr_metrics_set_add(vsr_metric_set **set, const vsr_metric *m, unsigned channels,
                        const vsr_metric_config *cfg, vsr_error *err)
{
    if (!m || !cfg)
        return vsr_error_set(err, -EINVAL, "metric: missing metric or config");
    int nch = vsr_metrics_channel_count(m);
    if (!channels)
        channels = 1u << vsr_metrics_default_channel(m);
    if (channels >> nch)
        return vsr_error_set(err, -EINVAL, "%s: has %d channel%s, asked for channel mask 0x%x",
                             m->name, nch, nch == 1 ? "" : "s", channels);
    int fresh = !*set;
    if (fresh && !(*set = calloc(1, sizeof(**set))))
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", m->name);
    vsr_metric_set *s = *set;
    int n0 = s->n, rc = 0;
    if (set_grow(s, s->n + nch) < 0) {
        rc = vsr_error_set(err, -ENOMEM, "%s: out of memory", m->name);
        goto fail;
    }
    for (int i = 0; i < nch; i++) {
        if (!(channels >> i & 1))
            continue;
        vsr_metric_config c = *cfg;
        c.channel = m->channels ? m->channels[i] : NULL;
        if ((rc = vsr_metrics_ctx_open(m, &c, &s->ctx[s->n], err)) < 0)
            goto fail;
        s->channel[s->n] = vsr_metrics_channel_name(m, i);
        vsr_metrics_score_name(m->name, s->channel[s->n], s->name[s->n], sizeof(s->name[0]));
        s->n++;
    }
    return 0;
fail:
    while (s->n > n0)
        vsr_metrics_ctx_close(&s->ctx[--s->n]);
    if (fresh)
        vsr_metrics_set_free(set);
    return rc;
}

int vsr_metrics_set_count(const vsr_metric_set *set)
{
    return set ? set->n : 0;
}

const vsr_metric *vsr_metrics_set_metric(const vsr_metric_set *set, int i)
{
    return vsr_metrics_ctx_metric(set->ctx[i]);
}

const char *vsr_metrics_set_channel(const vsr_metric_set *set, int i)
{
    return set->channel[i];
}

const char *vsr_metrics_set_name(const vsr_metric_set *set, int i)
{
    return set->name[i];
}

int vsr_metrics_set_run(vsr_metric_set *set, const vsr_frame *gt, const vsr_frame *fr,
                        const vsr_frame *sr, pthreadpool_t pool, double *scores, vsr_error *err)
{
    for (int i = 0; set && i < set->n; i++) {
        int ref = vsr_metrics_ctx_metric(set->ctx[i])->needs_ref;
        scores[i] = NAN;
        if (ref && !gt)
            continue;
        int rc = vsr_metrics_ctx_run(set->ctx[i], ref ? gt : NULL, ref ? fr : sr, pool,
                                     &scores[i], err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

void vsr_metrics_set_free(vsr_metric_set **set)
{
    if (!set || !*set)
        return;
    for (int i = 0; i < (*set)->n; i++)
        vsr_metrics_ctx_close(&(*set)->ctx[i]);
    free((*set)->ctx);
    free((*set)->channel);
    free((*set)->name);
    free(*set);
    *set = NULL;
}
