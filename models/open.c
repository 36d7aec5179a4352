/*
 * open.c: assembling a model from a spec (vsr_models_open()): zoo entry,
 * hyperparameter overrides, weight source (.vsrw, .npy folder + map,
 * .tflite, .onnx), INT8 calibration over the temporal window, engine and
 * step. Moved here from the CLI so that every command (run, tune, upscale,
 * train) assembles models the same way.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "models_internal.h"

static int path_exists(const char *p)
{
    struct stat st;
    return p && stat(p, &st) == 0;
}

static const char *label(const vsr_models_spec *s)
{
    return s->label ? s->label : s->model ? s->model : "model";
}

int vsr_models_resolve(const vsr_models_spec *spec, vsr_models_arch *out, vsr_error *err)
{
    memset(out, 0, sizeof(*out));
    const vsr_models_entry *e = vsr_models_zoo_find(spec->model);
    if (!e)
        return vsr_error_set(err, -EINVAL,
                             "model '%s' is not in the zoo (see 'vsrbench models')",
                             spec->model ? spec->model : "(none)");
    out->entry = e;
    out->hp = e->hp;
    int rc =
        vsr_models_hparams_apply(&out->hp, spec->hparams, spec->n_hparams, label(spec), err);
    if (rc)
        return rc;
    if (spec->n_hparams) {
        vsr_models_hparams_interface(&out->hp, &out->temporal, &out->in_channels,
                                     &out->state_channels);
    } else {
        out->temporal = e->temporal;
        out->in_channels = e->in_channels;
        out->state_channels = e->state_channels;
    }
    return 0;
}

/* ---- weights ------------------------------------------------------------------ */

int vsr_models_weights_absent(const vsr_models_entry *e, const vsr_models_spec *spec, char *why,
                              size_t cap)
{
    const char *src = spec->weights          ? spec->weights
                      : spec->weights_npy    ? spec->weights_npy
                      : spec->weights_tflite ? spec->weights_tflite
                                             : spec->weights_onnx;
    if (!src || path_exists(src))
        return 0;
    const char *hint = e && e->weights_hint ? e->weights_hint : "import or train them";
    snprintf(why, cap, "%s: optional weights %s are absent; %s", label(spec), src, hint);
    return 1;
}

void vsr_models_spec_weights_from_path(vsr_models_spec *spec, const char *path)
{
    size_t len = strlen(path);
    spec->weights = spec->weights_npy = spec->weights_map = spec->weights_tflite =
        spec->weights_onnx = NULL;
    if (len > 7 && !strcasecmp(path + len - 7, ".tflite"))
        spec->weights_tflite = path;
    else if (len > 5 && !strcasecmp(path + len - 5, ".onnx"))
        spec->weights_onnx = path;
    else
        spec->weights = path;
}

/* Read and import the spec's {tflite: FILE} at h x w; with @p g, move its
 * weights onto g by order and, when the file is INT8 with parameters for
 * every tensor, its quantization too (calibration 'file' then uses it, any
 * other method replaces it). Errors are wrapped with the model and file. */
static int tflite_weights(const vsr_models_spec *s, vsr_graph *g, int h, int w, vsr_error *err)
{
    vsr_models_tflite t = {0};
    vsr_graph *src = NULL;
    vsr_models_tflite_import opt = {h, w, 1};
    int rc;
    if (!(rc = vsr_models_tflite_read(s->weights_tflite, &t, err)) &&
        !(rc = vsr_models_import_tflite(&t, "tflite", &opt, &src, err)) && g &&
        !(rc = vsr_models_copy_weights_by_order(src, g, err)) &&
        vsr_graph_quant_missing(src) < 0 && vsr_graph_copy_quant(src, g, NULL) < 0)
        vsr_graph_clear_quant(g); /* another op sequence: 'file' will say so */
    vsr_graph_free(&src);
    vsr_models_tflite_free(&t);
    if (rc)
        return vsr_error_wrap(err, rc, "%s: weights {tflite: %s}", label(s), s->weights_tflite);
    return 0;
}

/* Read and translate the spec's {onnx: FILE} at h x w; with @p g, move its
 * weights onto g by order. Errors are wrapped with the model and file. */
static int onnx_weights(const vsr_models_spec *s, vsr_graph *g, int h, int w, vsr_error *err)
{
    vsr_models_onnx *o = NULL;
    vsr_graph *src = NULL;
    vsr_models_onnx_import opt = {h, w};
    int rc;
    if (!(rc = vsr_models_onnx_read(s->weights_onnx, &o, err)) &&
        !(rc = vsr_models_import_onnx(o, "onnx", &opt, &src, err)) && g)
        rc = vsr_models_copy_weights_by_order(src, g, err);
    vsr_graph_free(&src);
    vsr_models_onnx_free(&o);
    if (rc)
        return vsr_error_wrap(err, rc, "%s: weights {onnx: %s}", label(s), s->weights_onnx);
    return 0;
}

int vsr_models_load_source(const vsr_models_entry *e, const vsr_models_spec *spec, vsr_graph *g,
                           int h, int w, vsr_error *err)
{
    int rc;
    if (spec->weights_tflite)
        return tflite_weights(spec, g, h, w, err);
    if (spec->weights_onnx)
        return onnx_weights(spec, g, h, w, err);
    if (!g)
        return 0;
    if (spec->weights_npy) {
        if ((rc = vsr_models_import_npy(g, spec->weights_npy, spec->weights_map, err)))
            return vsr_error_wrap(err, rc, "%s: weights {npy: %s}", label(spec),
                                  spec->weights_npy);
        return vsr_graph_check_weights(g, err);
    }
    return vsr_models_load_weights(e, g, spec->weights, err);
}

/* ---- INT8 calibration -------------------------------------------------------- */

int vsr_models_calibrate(vsr_graph *g, pthreadpool_t pool, enum vsr_models_temporal tp,
                         int in_ch, int state_ch, const char *model, const char *method,
                         int frames, const vsr_frame *lr, int n_lr, vsr_error *err)
{
    if (!strcmp(method, "file")) {
        if (vsr_graph_quant_missing(g) >= 0)
            return vsr_error_set(err, -EINVAL,
                                 "%s: calibration 'file': the weights carry no INT8 "
                                 "quantization of their own (an INT8 .tflite of the same op "
                                 "sequence does, and a .vsrw written by `vsrbench train` with "
                                 "a qat: section); train with qat: or calibrate instead: "
                                 "calibration: {method: minmax} in the config's int8 "
                                 "precision, or --calibration minmax",
                                 model);
        return 0;
    }
    vsr_calib_options opt;
    vsr_calib_options_default(&opt);
    if (vsr_calib_method_parse(method, &opt.method, err))
        return vsr_error_wrap(err, -EINVAL, "%s", model);
    opt.tflite = 1; /* parameters a TFLite int8 file can hold (docs/QUANTIZATION.md) */
    /* own calibration: every parameter, also those an INT8 file came with (the
     * graph's scheme, vsr_graph_set_quant_scheme(), stays) */
    vsr_graph_clear_quant(g);
    if (tp == VSR_MODELS_T_PREV_HR)
        return vsr_error_set(err, -ENOTSUP,
                             "%s: INT8 calibration of prev-HR models is not wired in "
                             "vsrbench yet; use fp32, fp16 or fp16n",
                             model);
    vsr_calib *cal = NULL;
    float *x = NULL, *h = NULL;
    int rc = vsr_calib_create_ex(g, pool, &opt, &cal, err);
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
    rc = vsr_calib_finish(cal, &opt, g, err);
end:
    free(x);
    free(h);
    vsr_calib_free(&cal);
    return rc;
}

/* ---- the instance ------------------------------------------------------------- */

static void drop_step(vsr_models_instance *m)
{
    if (m->have_step) {
        if (m->step_is_bicubic)
            vsr_models_bicubic_step_free(&m->step);
        else
            vsr_models_engine_step_free(&m->step);
    }
    m->have_step = m->step_is_bicubic = 0;
    memset(&m->step, 0, sizeof(m->step));
}

int vsr_models_start(vsr_models_instance *m, vsr_precision prec, pthreadpool_t pool,
                     const vsr_engine_options *opt, vsr_error *err)
{
    drop_step(m);
    vsr_engine_free(&m->engine);
    int rc;
    if (!m->graph) { /* bicubic */
        if ((rc = vsr_models_bicubic_step(m->arch.hp.scale, &m->step, err)))
            return rc;
        m->step_is_bicubic = m->have_step = 1;
        return 0;
    }
    vsr_engine_options def;
    vsr_engine_options_default(&def);
    if ((rc = vsr_engine_create(m->graph, prec, pool, opt ? opt : &def, &m->engine, err)) ||
        (rc = vsr_models_engine_step(m->engine, m->arch.in_channels, m->arch.state_channels,
                                     &m->step, err)))
        return rc;
    m->have_step = 1;
    return 0;
}

void vsr_models_close(vsr_models_instance **pm)
{
    vsr_models_instance *m = pm ? *pm : NULL;
    if (!m)
        return;
    drop_step(m);
    vsr_engine_free(&m->engine);
    vsr_graph_free(&m->graph);
    free(m);
    *pm = NULL;
}

int vsr_models_open(const vsr_models_spec *spec, vsr_models_instance **out, vsr_error *err)
{
    *out = NULL;
    vsr_models_instance *m = calloc(1, sizeof(*m));
    if (!m)
        return vsr_error_set(err, -ENOMEM, "out of memory");
    int rc = vsr_models_resolve(spec, &m->arch, err);
    if (rc)
        goto fail;
    const vsr_models_arch *a = &m->arch;
    if (!vsr__models_family(a->hp.family)->build) { /* bicubic: no graph, fp32 only */
        if (spec->precision != VSR_PREC_FP32) {
            rc = vsr_error_set(err, -EINVAL, "%s runs in fp32 only", label(spec));
            goto fail;
        }
    } else {
        const char *gname = spec->graph_name ? spec->graph_name : a->entry->name;
        if ((rc = vsr_models_build(&a->hp, gname, spec->h, spec->w, &m->graph, err)))
            goto fail;
        if (!(spec->flags & VSR_MODELS_OPEN_NO_WEIGHTS) &&
            (rc = vsr_models_load_source(a->entry, spec, m->graph, spec->h, spec->w, err)))
            goto fail;
        if (spec->precision == VSR_PREC_INT8 &&
            (rc = vsr_graph_set_quant_scheme(m->graph, &spec->scheme, err)))
            goto fail;
        /* the weights file in the label: calibration 'file' names what lacks ranges */
        char calib_label[512];
        const char *wsrc = spec->weights          ? spec->weights
                           : spec->weights_tflite ? spec->weights_tflite
                                                  : spec->weights_onnx;
        if (wsrc)
            snprintf(calib_label, sizeof(calib_label), "%s (weights %s)", a->entry->name, wsrc);
        else
            snprintf(calib_label, sizeof(calib_label), "%s", a->entry->name);
        if (spec->precision == VSR_PREC_INT8 && spec->calib_method &&
            (rc = vsr_models_calibrate(m->graph, spec->pool, a->temporal, a->in_channels,
                                       a->state_channels, calib_label, spec->calib_method,
                                       spec->calib_frames, spec->calib_lr, spec->n_calib_lr,
                                       err)))
            goto fail;
    }
    if (!(spec->flags & VSR_MODELS_OPEN_NO_ENGINE) &&
        (rc = vsr_models_start(m, spec->precision, spec->pool, spec->engine, err)))
        goto fail;
    *out = m;
    return 0;
fail:
    vsr_models_close(&m);
    return rc;
}
