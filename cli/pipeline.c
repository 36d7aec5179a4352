/*
 * Model loading shared by vsrbench run, tune and upscale (see pipeline.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "pipeline.h"

/* ---- hyperparameter overrides ---------------------------------------------- */

static int parse_int_list(const char *v, int *out, int cap, int *n, const char *key,
                          vsr_error *err)
{
    char buf[128];
    size_t len = strlen(v);
    if (len >= sizeof(buf))
        return vsr_error_set(err, -EINVAL, "hyperparameter %s: value too long", key);
    if (v[0] == '[') {
        if (v[len - 1] != ']')
            return vsr_error_set(err, -EINVAL, "hyperparameter %s: '%s' is not a list", key, v);
        memcpy(buf, v + 1, len - 2);
        buf[len - 2] = '\0';
    } else {
        memcpy(buf, v, len + 1);
    }
    long tmp[VSR_MVSR_MAX_K];
    /* strip spaces for vsr_parse_long_list */
    char *w = buf;
    for (char *r = buf; *r; r++)
        if (*r != ' ')
            *w++ = *r;
    *w = '\0';
    int rc = vsr_parse_long_list(buf, 1, 64, tmp, cap, n, key, err);
    for (int i = 0; !rc && i < *n; i++)
        out[i] = (int)tmp[i];
    return rc;
}

/* Apply "key: value" overrides of a config model to zoo hyperparameters. */
int vsr_pipe_apply_hparams(vsr_models_hparams *hp, const vsr_config_model *m, vsr_error *err)
{
    vsr_models_mvsr_hp *mv = &hp->mvsr;
    for (int i = 0; i < m->n_hparams; i++) {
        const char *k = m->hparams[i].key, *v = m->hparams[i].value;
        long x = 0;
        struct {
            const char *key;
            int *field;
            long min, max;
        } ints[] = {
            {"scale", &hp->scale, 2, 8},
            {"channels", &hp->channels, 1, 1024},
            {"blocks", &hp->blocks, 0, 256},
            {"F", &mv->F, 4, 1024},
            {"B", &mv->B, 1, 64},
            {"dw", &mv->dw, 0, 1},
            {"fc", &mv->fc, 0, 1},
            {"mix", &mv->mix, 0, 8},
            {"bn", &mv->bn, 0, 1},
            {"shallow_bsconv", &mv->shallow_bsconv, 0, 1},
            {"tail_bsconv", &mv->tail_bsconv, 0, 1},
            {"rgb_share", &mv->rgb_share, 0, 1},
            {"skip_nearest", &mv->skip_nearest, 0, 1},
            {"fuse", &mv->fuse, 0, 1},
        };
        int done = 0;
        for (size_t j = 0; j < sizeof(ints) / sizeof(ints[0]) && !done; j++) {
            if (strcmp(k, ints[j].key))
                continue;
            const char *val = !strcasecmp(v, "true") ? "1" : !strcasecmp(v, "false") ? "0" : v;
            int rc = vsr_parse_long(val, ints[j].min, ints[j].max, &x, k, err);
            if (rc)
                return vsr_error_wrap(err, rc, "models: %s: hyperparameters", m->name);
            *ints[j].field = (int)x;
            done = 1;
        }
        if (done)
            continue;
        int rc = 0;
        if (!strcmp(k, "ratio")) {
            long a, b;
            const char *slash = strchr(v, '/');
            char num[32];
            if (!slash || (size_t)(slash - v) >= sizeof(num))
                return vsr_error_set(err, -EINVAL, "models: %s: ratio '%s' is not a/b", m->name,
                                     v);
            memcpy(num, v, (size_t)(slash - v));
            num[slash - v] = '\0';
            if ((rc = vsr_parse_long(num, 1, 64, &a, "ratio", err)) ||
                (rc = vsr_parse_long(slash + 1, 1, 64, &b, "ratio", err)))
                return vsr_error_wrap(err, rc, "models: %s", m->name);
            mv->ratio_num = (int)a;
            mv->ratio_den = (int)b;
        } else if (!strcmp(k, "pfe_k") || !strcmp(k, "pfe_dil") || !strcmp(k, "ppa_k") ||
                   !strcmp(k, "ppa_dil")) {
            int vals[VSR_MVSR_MAX_K], n = 0;
            if ((rc = parse_int_list(v, vals, VSR_MVSR_MAX_K, &n, k, err)))
                return vsr_error_wrap(err, rc, "models: %s", m->name);
            int pfe = k[1] == 'f';
            int *dst = pfe ? (k[4] == 'k' ? mv->pfe_k : mv->pfe_dil)
                           : (k[4] == 'k' ? mv->ppa_k : mv->ppa_dil);
            memcpy(dst, vals, (size_t)n * sizeof(int));
            if (k[4] == 'k')
                *(pfe ? &mv->pfe_n : &mv->ppa_n) = n;
        } else if (!strcmp(k, "align")) {
            static const char *const names[] = {"afa", "afa_v1", "conv1x1", "stack9", "none"};
            int found = -1;
            for (int j = 0; j < 5; j++)
                if (!strcasecmp(v, names[j]))
                    found = j;
            if (found < 0)
                return vsr_error_set(err, -EINVAL,
                                     "models: %s: align '%s' is not afa, afa_v1, conv1x1, "
                                     "stack9 or none",
                                     m->name, v);
            mv->align = (enum vsr_models_mvsr_align)found;
        } else {
            return vsr_error_set(err, -EINVAL,
                                 "models: %s: unknown hyperparameter '%s' (known: scale "
                                 "channels blocks F B ratio pfe_k pfe_dil ppa_k ppa_dil dw fc "
                                 "mix bn shallow_bsconv align tail_bsconv rgb_share "
                                 "skip_nearest fuse)",
                                 m->name, k);
        }
    }
    return vsr_models_hparams_check(hp, err);
}

/* ---- weights -------------------------------------------------------------- */

static int path_exists(const char *p)
{
    struct stat st;
    return p && stat(p, &st) == 0;
}

void vsr_pipe_interface(const vsr_models_entry *e, const vsr_config_model *m,
                        const vsr_models_hparams *hp, enum vsr_models_temporal *tp, int *in_ch,
                        int *state_ch)
{
    if (m->n_hparams) {
        vsr_models_hparams_interface(hp, tp, in_ch, state_ch);
        return;
    }
    *tp = e->temporal;
    *in_ch = e->in_channels;
    *state_ch = e->state_channels;
}

int vsr_pipe_weights_absent(const vsr_models_entry *e, const vsr_config_model *m, char *why,
                            size_t cap)
{
    if (!m || !m->optional)
        return 0;
    const char *src = m->weights          ? m->weights
                      : m->weights_npy    ? m->weights_npy
                      : m->weights_tflite ? m->weights_tflite
                                          : m->weights_onnx;
    if (!src || path_exists(src))
        return 0;
    const char *hint = e && e->weights_hint ? e->weights_hint : "import or train them";
    snprintf(why, cap, "%s: optional weights %s are absent; %s", m->name, src, hint);
    return 1;
}

/* Read and import m's {tflite: FILE} at h x w; with @p g, move its weights
 * onto g by order and, when the file is INT8 with parameters for every
 * tensor, its quantization too (calibration 'file' then uses it, any other
 * method replaces it). Errors are wrapped with the model and file. */
static int tflite_weights(const vsr_config_model *m, vsr_graph *g, int h, int w, vsr_error *err)
{
    vsr_models_tflite t = {0};
    vsr_graph *src = NULL;
    vsr_models_tflite_import opt = {h, w, 1};
    int rc;
    if (!(rc = vsr_models_tflite_read(m->weights_tflite, &t, err)) &&
        !(rc = vsr_models_import_tflite(&t, "tflite", &opt, &src, err)) && g &&
        !(rc = vsr_models_copy_weights_by_order(src, g, err)) &&
        vsr_graph_quant_missing(src) < 0 && vsr_graph_copy_quant(src, g, NULL) < 0)
        vsr_graph_clear_quant(g); /* another op sequence: 'file' will say so */
    vsr_graph_free(&src);
    vsr_models_tflite_free(&t);
    if (rc)
        return vsr_error_wrap(err, rc, "%s: weights {tflite: %s}", m->name, m->weights_tflite);
    return 0;
}

/* Read and translate m's {onnx: FILE} at h x w; with @p g, move its weights
 * onto g by order. Errors are wrapped with the model and file. */
static int onnx_weights(const vsr_config_model *m, vsr_graph *g, int h, int w, vsr_error *err)
{
    vsr_models_onnx *o = NULL;
    vsr_graph *src = NULL;
    vsr_models_onnx_import opt = {h, w};
    int rc;
    if (!(rc = vsr_models_onnx_read(m->weights_onnx, &o, err)) &&
        !(rc = vsr_models_import_onnx(o, "onnx", &opt, &src, err)) && g)
        rc = vsr_models_copy_weights_by_order(src, g, err);
    vsr_graph_free(&src);
    vsr_models_onnx_free(&o);
    if (rc)
        return vsr_error_wrap(err, rc, "%s: weights {onnx: %s}", m->name, m->weights_onnx);
    return 0;
}

int vsr_pipe_load_weights(const vsr_models_entry *e, const vsr_config_model *m,
                          const char *vsrw_path, vsr_graph *g, int h, int w, vsr_error *err)
{
    int rc;
    if (m && m->weights_npy) {
        if ((rc = vsr_models_import_npy(g, m->weights_npy, m->weights_map, err)))
            return vsr_error_wrap(err, rc, "%s: weights {npy: %s}", m->name, m->weights_npy);
        return vsr_graph_check_weights(g, err);
    }
    if (m && m->weights_tflite)
        return tflite_weights(m, g, h, w, err);
    if (m && m->weights_onnx)
        return onnx_weights(m, g, h, w, err);
    return vsr_models_load_weights(e, g, m && m->weights ? m->weights : vsrw_path, err);
}

int vsr_pipe_check_weight_files(const vsr_config *cfg, vsr_error *err)
{
    for (int i = 0; i < cfg->n_models; i++) {
        const vsr_config_model *m = &cfg->models[i];
        int rc;
        if (m->weights_tflite && path_exists(m->weights_tflite) &&
            (rc = tflite_weights(m, NULL, 64, 64, err)))
            return rc;
        if (m->weights_onnx && path_exists(m->weights_onnx) &&
            (rc = onnx_weights(m, NULL, 64, 64, err)))
            return rc;
    }
    return 0;
}

void vsr_pipe_weights_from_path(vsr_config_model *m, const char *path)
{
    size_t len = strlen(path);
    m->weights = m->weights_npy = m->weights_map = m->weights_tflite = m->weights_onnx = NULL;
    m->optional = 0;
    if (len > 7 && !strcasecmp(path + len - 7, ".tflite"))
        m->weights_tflite = path;
    else if (len > 5 && !strcasecmp(path + len - 5, ".onnx"))
        m->weights_onnx = path;
    else
        m->weights = path;
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
    if (!strcmp(d->type, "demo")) {
        if (d->dataroot)
            snprintf(dir, sizeof(dir), "%s", d->dataroot);
        else if ((rc = vsr_demo_default_dir(dir, sizeof(dir), err)))
            return rc;
        if ((rc = vsr_demo_build(dir, err)))
            return rc;
        snprintf(root, sizeof(root), "%s/%s", dir, VSR_DEMO_SUBDIR);
        spec.type = VSR_DATASET_VID4;
        spec.root = root;
    } else {
        if ((rc = vsr_dataset_type_parse(d->type, &spec.type, err)))
            return rc;
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

/* ---- INT8 calibration ------------------------------------------------------ */

/* INT8: calibrate on the first frames of one clip (hidden state fed as
 * zeros, the state after a reset). */
int vsr_pipe_calibrate(vsr_graph *g, pthreadpool_t pool, enum vsr_models_temporal tp, int in_ch,
                       int state_ch, const char *model, const char *method, int frames,
                       const vsr_frame *lr, int n_lr, vsr_error *err)
{
    if (!strcmp(method, "file")) {
        if (vsr_graph_quant_missing(g) >= 0)
            return vsr_error_set(err, -EINVAL,
                                 "%s: calibration 'file': the weights carry no INT8 "
                                 "quantization of their own (only an INT8 .tflite of the "
                                 "same op sequence does); calibrate instead: "
                                 "calibration: {method: minmax} in the config's int8 "
                                 "precision, or --calibration minmax",
                                 model);
        return 0;
    }
    /* own calibration: every parameter, also those an INT8 file came with */
    vsr_graph_clear_quant(g);
    if (tp == VSR_MODELS_T_PREV_HR)
        return vsr_error_set(err, -ENOTSUP,
                             "%s: INT8 calibration of prev-HR models is not wired in "
                             "vsrbench yet; use fp32, fp16 or fp16n",
                             model);
    vsr_calib *cal = NULL;
    float *x = NULL, *h = NULL;
    int rc = vsr_calib_create(g, pool, &cal, err);
    if (rc)
        return rc;
    int W = lr[0].width, H = lr[0].height;
    x = malloc((size_t)W * H * (size_t)in_ch * sizeof(float));
    h = state_ch ? calloc((size_t)W * H * (size_t)state_ch, sizeof(float)) : NULL;
    if (!x || (state_ch && !h)) {
        rc = vsr_error_set(err, -ENOMEM, "%s: out of memory calibrating", model);
        goto end;
    }
    int n = frames < n_lr ? frames : n_lr;
    for (int t = 0; t < n; t++) {
        int idx[3], k;
        if ((rc = vsr_models_window(tp, t, n_lr, idx, &k)) < 0) {
            vsr_error_set(err, rc, "%s: no window for frame %d", model, t);
            goto end;
        }
        if (3 * k != in_ch) {
            rc = vsr_error_set(err, -ENOTSUP, "%s: %d input channels, window gives %d", model,
                               in_ch, 3 * k);
            goto end;
        }
        /* channel order prev|cur|next, values u8 (the graph's [0, 255] range) */
        for (int yy = 0; yy < H; yy++)
            for (int xx = 0; xx < W; xx++)
                for (int j = 0; j < k; j++) {
                    const uint8_t *px = vsr_frame_row(&lr[idx[j]], yy) + 3 * xx;
                    float *dst = x + ((size_t)yy * W + xx) * (size_t)in_ch + 3 * j;
                    dst[0] = px[0];
                    dst[1] = px[1];
                    dst[2] = px[2];
                }
        const float *inputs[2] = {x, h};
        if ((rc = vsr_calib_feed(cal, inputs, H, W, err)))
            goto end;
    }
    vsr_calib_options opt;
    vsr_calib_options_default(&opt);
    opt.method = !strcmp(method, "mse")          ? VSR_CALIB_MSE
                 : !strcmp(method, "percentile") ? VSR_CALIB_PERCENTILE
                                                 : VSR_CALIB_MINMAX;
    rc = vsr_calib_finish(cal, &opt, g, err);
end:
    free(x);
    free(h);
    vsr_calib_free(&cal);
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
