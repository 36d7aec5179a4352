/*
 * Model loading shared by vsrbench run, tune and upscale (see pipeline.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"

/* ---- the config model as a models/ spec --------------------------------------- */

int vsr_pipe_spec(const vsr_config_model *m, vsr_models_spec *spec, vsr_models_kv **kv,
                  vsr_error *err)
{
    *kv = NULL;
    memset(spec, 0, sizeof(*spec));
    if (m->n_hparams > 0) {
        if (!(*kv = calloc((size_t)m->n_hparams, sizeof(**kv))))
            return vsr_error_set(err, -ENOMEM, "out of memory");
        for (int i = 0; i < m->n_hparams; i++)
            (*kv)[i] = (vsr_models_kv){m->hparams[i].key, m->hparams[i].value};
    }
    spec->model = m->type;
    spec->label = m->name;
    spec->hparams = *kv;
    spec->n_hparams = m->n_hparams;
    spec->weights = m->weights;
    spec->weights_npy = m->weights_npy;
    spec->weights_map = m->weights_map;
    spec->weights_tflite = m->weights_tflite;
    spec->weights_onnx = m->weights_onnx;
    return 0;
}

int vsr_pipe_check_weight_files(const vsr_config *cfg, vsr_error *err)
{
    for (int i = 0; i < cfg->n_models; i++) {
        const vsr_config_model *m = &cfg->models[i];
        vsr_models_spec spec = {.label = m->name,
                                .weights_tflite = m->weights_tflite,
                                .weights_onnx = m->weights_onnx};
        char why[8];
        /* only the files that exist: a missing one is left to the run */
        if ((!spec.weights_tflite && !spec.weights_onnx) ||
            vsr_models_weights_absent(NULL, &spec, why, sizeof(why)))
            continue;
        int rc = vsr_models_load_source(NULL, &spec, NULL, 64, 64, err);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- datasets ------------------------------------------------------------- */

int vsr_pipe_open_dataset(int scale, const vsr_config_dataset *d, const char *degradation,
                          vsr_dataset **ds, vsr_error *err)
{
    vsr_dataset_spec spec = {0};
    char dir[4096], root[4200];
    int rc;
    if ((rc = vsr_degradation_parse(degradation, &spec.degradation, err)))
        return rc;
    spec.scale = scale;
    spec.max_frames = d->frames;
    spec.clips = d->clips;
    spec.n_clips = d->clips ? d->n_clips : 0;
    spec.gt = d->dataroot_gt;
    spec.lq = d->dataroot_lq;
    spec.gt_suffix = d->gt_suffix;
    spec.lq_suffix = d->lq_suffix;
    spec.lr_only = d->no_gt;
    if (d->type == VSR_CONFIG_DATASET_DEMO) {
        if (d->dataroot)
            snprintf(dir, sizeof(dir), "%s", d->dataroot);
        else if ((rc = vsr_demo_default_dir(dir, sizeof(dir), err)))
            return rc;
        if ((rc = d->no_gt ? vsr_demo_build_no_gt(dir, err) : vsr_demo_build(dir, err)))
            return rc;
        snprintf(root, sizeof(root), "%s/%s", dir,
                 d->no_gt ? VSR_DEMO_NOGT_SUBDIR : VSR_DEMO_SUBDIR);
        spec.type = VSR_DATASET_VID4;
        spec.root = root;
    } else {
        spec.type = (enum vsr_dataset_type)d->type; /* the same values (bench.h) */
        spec.root = d->dataroot;
    }
    return vsr_dataset_open(&spec, ds, err);
}

int vsr_pipe_sr_for_gt(const vsr_frame *gt, const vsr_frame *sr, vsr_frame *tmp,
                       const vsr_frame **use, vsr_error *err)
{
    *use = sr;
    if (!gt || gt->channels != 1 || sr->channels != 3)
        return 0;
    int rc = vsr_frame_to_gray(sr, tmp, err);
    if (rc == 0)
        *use = tmp;
    return rc;
}

int vsr_pipe_timed_clip(vsr_models_runner *runner, const vsr_clip *clip, vsr_frame *sr,
                        int (*on_frame)(void *ctx, int t, double ms, const vsr_frame *sr,
                                        vsr_error *err),
                        void *ctx, vsr_error *err)
{
    for (int next = 0;;) {
        const vsr_frame *in = next < clip->n_frames ? &clip->lr[next] : NULL;
        int ready = 0, t_out = -1;
        double t0 = vsr_timing_now_ms();
        int rc = vsr_models_runner_push(runner, in, sr, &ready, &t_out, err);
        double ms = vsr_timing_now_ms() - t0;
        if (rc)
            return rc;
        if (in)
            next++;
        else if (!ready)
            return 0; /* drained */
        if (ready && (rc = on_frame(ctx, t_out, ms, sr, err)) < 0)
            return rc;
    }
}

void vsr_pipe_counts(const vsr_models_hparams *hp, vsr_precision prec, vsr_runlog_counts *out)
{
    *out = (vsr_runlog_counts){-1, -1, -1, -1, -1, -1, -1};
    vsr_models_counts log, ntire;
    if (hp->family == VSR_MODELS_BICUBIC ||
        vsr_models_count(hp, 180, 320, (int)prec, &log, NULL) ||
        vsr_models_count(hp, 256, 256, (int)prec, &ntire, NULL))
        return;
    out->params_log = log.params_log;
    out->flops_log = log.flops_log;
    out->macs_180x320 = log.macs;
    out->macs_256x256 = ntire.macs;
    out->conv_activations = ntire.conv_activations;
    out->n_conv = ntire.n_conv;
    out->peak_bytes = (int64_t)ntire.peak_bytes;
}
