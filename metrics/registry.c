/*
 * The metric registry (libvmaf feature-extractor style): one vtable per
 * metric and a static NULL-terminated list. Adding a metric (MS-SSIM, a
 * temporal metric) means one vtable and one line in metric_list below.
 */
#include <errno.h>
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

static const vsr_metric metric_psnr = {
    .name = "psnr",
    .unit = "dB",
    .needs_ref = 1,
    .higher_better = 1,
    .priv_size = sizeof(fr_priv),
    .init = fr_init,
    .run = psnr_run,
    .close = fr_close,
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
};

/* ---- the list ------------------------------------------------------------- */

static const vsr_metric *const metric_list[] = {
    &metric_psnr,
    &metric_ssim,
    &metric_niqe,
    &vsr_metric_gmsd,
    NULL,
};

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
