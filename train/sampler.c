/*
 * sampler.c: whole clips in memory, random aligned LR/HR patches with
 * BasicSR-style flips / transposes and model-shaped temporal windows.
 */
#include <stdlib.h>
#include <string.h>

#include "train_internal.h"
#include "vsr/datasets.h"
#include "vsr/models.h"

struct vsr_train_sampler {
    int scale, temporal, in_ch;
    int n;
    vsr_clip *clips;
};

int vsr_train_sampler_create(const char *root, int scale, int temporal, vsr_train_sampler **out,
                             vsr_error *err)
{
    *out = NULL;
    if (temporal == VSR_MODELS_T_PREV_HR)
        return vsr_error_set(err, -ENOTSUP,
                             "sampler: prev-HR models (feedback of the SR output) are not "
                             "supported by the trainer yet");
    vsr_dataset_spec sp = {
        .type = VSR_DATASET_VID4, .root = root, .degradation = VSR_DEGRADE_BI, .scale = scale};
    vsr_dataset *ds = NULL;
    int rc = vsr_dataset_open(&sp, &ds, err);
    if (rc)
        return rc;
    vsr_train_sampler *s = calloc(1, sizeof(*s));
    int n = vsr_dataset_clip_count(ds);
    if (!s || !(s->clips = calloc((size_t)(n > 0 ? n : 1), sizeof(vsr_clip)))) {
        free(s);
        vsr_dataset_close(&ds);
        return vsr_error_set(err, -ENOMEM, "sampler: out of memory");
    }
    s->scale = scale;
    s->temporal = temporal;
    s->in_ch = temporal == VSR_MODELS_T_SINGLE       ? 3
               : temporal == VSR_MODELS_T_PAIR_STATE ? 6
                                                     : 9;
    for (int i = 0; i < n; i++) {
        if ((rc = vsr_dataset_load_clip(ds, i, &s->clips[i], err)))
            break;
        s->n++;
        if (s->clips[i].n_frames < 1 || s->clips[i].lr[0].channels != 3) {
            rc = vsr_error_set(err, -EINVAL, "%s: clip %s: need RGB frames", root,
                               s->clips[i].name);
            break;
        }
    }
    vsr_dataset_close(&ds);
    if (rc) {
        vsr_train_sampler_free(&s);
        return rc;
    }
    *out = s;
    return 0;
}

void vsr_train_sampler_free(vsr_train_sampler **ps)
{
    if (!ps || !*ps)
        return;
    for (int i = 0; i < (*ps)->n; i++)
        vsr_clip_free(&(*ps)->clips[i]);
    free((*ps)->clips);
    free(*ps);
    *ps = NULL;
}

int vsr_train_sampler_clip_count(const vsr_train_sampler *s)
{
    return s->n;
}

int vsr_train_sampler_in_channels(const vsr_train_sampler *s)
{
    return s->in_ch;
}

/* Copy a p x p patch (after the augmentation) of frame f at (y0, x0) into dst. */
static void cut(const vsr_frame *f, int y0, int x0, int p, int aug, float *dst, int dst_ch,
                int c0)
{
    for (int y = 0; y < p; y++)
        for (int x = 0; x < p; x++) {
            int u = (aug & 4) ? x : y, v = (aug & 4) ? y : x;
            if (aug & 1)
                v = p - 1 - v;
            if (aug & 2)
                u = p - 1 - u;
            const uint8_t *s = vsr_frame_row(f, y0 + u) + (size_t)(x0 + v) * 3;
            float *d = dst + ((size_t)y * p + x) * dst_ch + c0;
            d[0] = s[0], d[1] = s[1], d[2] = s[2];
        }
}

int vsr_train_sampler_draw(const vsr_train_sampler *s, vsr_train_rng *rng, int p, int steps,
                           float *const *lr, float *const *hr, vsr_error *err)
{
    const vsr_clip *c = &s->clips[vsr_train_rng_int(rng, s->n)];
    int T = c->n_frames, LH = c->lr[0].height, LW = c->lr[0].width;
    if (p > LH || p > LW)
        return vsr_error_set(err, -EINVAL, "sampler: patch %d larger than clip %s (%dx%d)", p,
                             c->name, LW, LH);
    int t0 = T > steps ? vsr_train_rng_int(rng, T - steps + 1) : 0;
    int y0 = vsr_train_rng_int(rng, LH - p + 1), x0 = vsr_train_rng_int(rng, LW - p + 1);
    int aug = (int)(vsr_train_rng_next(rng) & 7);
    for (int k = 0; k < steps; k++) {
        int t = t0 + k < T ? t0 + k : T - 1, idx[3], n = 0;
        int rc = vsr_models_window((enum vsr_models_temporal)s->temporal, t, T, idx, &n);
        if (rc)
            return vsr_error_set(err, rc, "sampler: bad temporal window");
        for (int j = 0; j < n; j++)
            cut(&c->lr[idx[j]], y0, x0, p, aug, lr[k], s->in_ch, 3 * j);
        cut(&c->gt[t], y0 * s->scale, x0 * s->scale, p * s->scale, aug, hr[k], 3, 0);
    }
    return 0;
}
