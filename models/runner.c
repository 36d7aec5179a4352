/*
 * runner.c: the clip runner (docs/MODEL_SPECS.md section 5). It owns the order in
 * which frames reach a model: window assembly with edge replication, state
 * reset at clip start, previous-HR feedback. The model itself is a
 * vsr_models_step (an engine, the bicubic baseline, or a test double).
 */
#include <stdlib.h>
#include <string.h>

#include "vsr/datasets.h"
#include "models_internal.h"

int vsr_models_window(enum vsr_models_temporal tp, int t, int T, int idx[3], int *n)
{
    if (T < 1 || t < 0 || t >= T)
        return -EINVAL;
    switch (tp) {
    case VSR_MODELS_T_WINDOW3:
    case VSR_MODELS_T_WINDOW3_STATE:
        idx[0] = t > 0 ? t - 1 : 0;
        idx[1] = t;
        idx[2] = t < T - 1 ? t + 1 : T - 1;
        *n = 3;
        return 0;
    case VSR_MODELS_T_PAIR_STATE:
        idx[0] = t > 0 ? t - 1 : 0;
        idx[1] = t;
        *n = 2;
        return 0;
    case VSR_MODELS_T_SINGLE:
    case VSR_MODELS_T_PREV_HR:
        idx[0] = t;
        *n = 1;
        return 0;
    }
    return -EINVAL;
}

struct vsr_models_runner {
    enum vsr_models_temporal tp;
    int scale;
    vsr_models_step step;
    vsr_frame ring[3]; /* the last up to 3 LR frames, by t % 3 */
    int pushed;        /* frames pushed in this clip */
    int emitted;       /* SR frames handed out in this clip */
    int ended;         /* clip end seen */
    vsr_frame prev_sr; /* prev-HR feedback */
    int have_prev;
};

int vsr_models_runner_create(enum vsr_models_temporal tp, int scale,
                             const vsr_models_step *step, vsr_models_runner **out,
                             vsr_error *err)
{
    *out = NULL;
    if (!step || !step->run || scale < 1)
        return vsr_error_set(err, -EINVAL,
                             "runner: a step with run() and scale >= 1 is needed");
    vsr_models_runner *r = calloc(1, sizeof(*r));
    if (!r)
        return vsr_error_set(err, -ENOMEM, "runner: out of memory");
    r->tp = tp;
    r->scale = scale;
    r->step = *step;
    *out = r;
    return 0;
}

void vsr_models_runner_free(vsr_models_runner **r)
{
    if (!r || !*r)
        return;
    for (int i = 0; i < 3; i++)
        vsr_frame_free(&(*r)->ring[i]);
    vsr_frame_free(&(*r)->prev_sr);
    free(*r);
    *r = NULL;
}

/* Bilinear x s (half-pixel, TF2) of an RGB frame into dst: the SR(-1) stand-in. */
static void bilinear_u8(const vsr_frame *src, int s, vsr_frame *dst)
{
    for (int y = 0; y < dst->height; y++) {
        float fy = (y + 0.5f) / s - 0.5f;
        if (fy < 0)
            fy = 0;
        int y0 = (int)fy, y1 = y0 + 1 < src->height ? y0 + 1 : y0;
        float wy = fy - y0;
        for (int x = 0; x < dst->width; x++) {
            float fx = (x + 0.5f) / s - 0.5f;
            if (fx < 0)
                fx = 0;
            int x0 = (int)fx, x1 = x0 + 1 < src->width ? x0 + 1 : x0;
            float wx = fx - x0;
            for (int c = 0; c < 3; c++) {
                float a = vsr_frame_row(src, y0)[3 * x0 + c],
                      b = vsr_frame_row(src, y0)[3 * x1 + c];
                float cc = vsr_frame_row(src, y1)[3 * x0 + c],
                      d = vsr_frame_row(src, y1)[3 * x1 + c];
                float v = (a * (1 - wx) + b * wx) * (1 - wy) + (cc * (1 - wx) + d * wx) * wy;
                vsr_frame_row(dst, y)[3 * x + c] = (uint8_t)(v + 0.5f);
            }
        }
    }
}

/* Run the model for time t (all needed frames are in the ring). */
static int emit(vsr_models_runner *r, int t, vsr_frame *sr, vsr_error *err)
{
    int T = r->ended ? r->pushed : t + 2; /* anything beyond t+1 is irrelevant */
    int idx[3], n, rc;
    if ((rc = vsr_models_window(r->tp, t, T, idx, &n)))
        return vsr_error_set(err, rc, "runner: bad time step %d", t);
    const vsr_frame *fr[3];
    for (int i = 0; i < n; i++)
        fr[i] = &r->ring[idx[i] % 3];
    const vsr_frame *cur = &r->ring[t % 3];
    if (sr->width != cur->width * r->scale || sr->height != cur->height * r->scale ||
        sr->channels != 3)
        return vsr_error_set(err, -EINVAL, "runner: SR frame must be %dx%dx3, got %dx%dx%d",
                             cur->width * r->scale, cur->height * r->scale, sr->width,
                             sr->height, sr->channels);
    const vsr_frame *prev = NULL;
    if (r->tp == VSR_MODELS_T_PREV_HR) {
        if (!r->have_prev) {
            vsr_frame_free(&r->prev_sr);
            if ((rc = vsr_frame_alloc(&r->prev_sr, sr->width, sr->height, 3, err)))
                return rc;
            bilinear_u8(cur, r->scale, &r->prev_sr);
            r->have_prev = 1;
        }
        prev = &r->prev_sr;
    }
    if ((rc = r->step.run(r->step.ctx, fr, n, prev, sr, err)))
        return vsr_error_wrap(err, rc, "frame %d", t);
    if (r->tp == VSR_MODELS_T_PREV_HR)
        for (int y = 0; y < sr->height; y++)
            memcpy(vsr_frame_row(&r->prev_sr, y), vsr_frame_row(sr, y), (size_t)sr->width * 3);
    r->emitted++;
    return 0;
}

int vsr_models_runner_push(vsr_models_runner *r, const vsr_frame *lr, vsr_frame *sr, int *ready,
                           int *t_out, vsr_error *err)
{
    int rc;
    *ready = 0;
    if (t_out)
        *t_out = -1;
    const int look = (r->tp == VSR_MODELS_T_WINDOW3 || r->tp == VSR_MODELS_T_WINDOW3_STATE);
    if (lr) {
        if (r->ended) { /* a new clip after the previous one was drained */
            r->pushed = r->emitted = r->ended = r->have_prev = 0;
        }
        if (r->pushed == 0 && r->step.reset)
            r->step.reset(r->step.ctx);
        if (lr->channels != 3)
            return vsr_error_set(err, -EINVAL, "runner: LR frames must be RGB");
        if (r->pushed > 0) {
            const vsr_frame *p = &r->ring[(r->pushed - 1) % 3];
            if (p->width != lr->width || p->height != lr->height)
                return vsr_error_set(err, -EINVAL,
                                     "runner: frame %d is %dx%d, the clip is %dx%d", r->pushed,
                                     lr->width, lr->height, p->width, p->height);
        }
        vsr_frame *slot = &r->ring[r->pushed % 3];
        vsr_frame_free(slot);
        if ((rc = vsr_frame_copy(slot, lr, err)))
            return rc;
        r->pushed++;
        /* window3 emits t once t+1 is in; others emit t at once */
        int t = look ? r->pushed - 2 : r->pushed - 1;
        if (t >= 0 && t == r->emitted) {
            if ((rc = emit(r, t, sr, err)))
                return rc;
            *ready = 1;
            if (t_out)
                *t_out = t;
        }
        return 0;
    }
    /* end of clip: drain */
    r->ended = 1;
    if (r->emitted < r->pushed) {
        int t = r->emitted;
        if ((rc = emit(r, t, sr, err)))
            return rc;
        *ready = 1;
        if (t_out)
            *t_out = t;
    }
    return 0;
}

int vsr_models_run_clip(vsr_models_runner *r, const vsr_frame *lr, int n, vsr_frame *sr,
                        vsr_error *err)
{
    int ready, rc;
    if (n < 1)
        return vsr_error_set(err, -EINVAL, "runner: empty clip");
    if (r->pushed && !r->ended)
        return vsr_error_set(err, -EINVAL, "runner: a streamed clip is still open");
    for (int i = 0; i < n; i++) {
        vsr_frame *dst = &sr[r->ended ? 0 : (r->emitted < n ? r->emitted : n - 1)];
        if ((rc = vsr_models_runner_push(r, &lr[i], dst, &ready, NULL, err)))
            return rc;
    }
    do {
        vsr_frame *dst = &sr[r->emitted < n ? r->emitted : n - 1];
        if ((rc = vsr_models_runner_push(r, NULL, dst, &ready, NULL, err)))
            return rc;
    } while (ready);
    return 0;
}

/* ---- engine-backed step ------------------------------------------------------ */

typedef struct estep {
    vsr_engine *e;
    int in_ch, state_ch;
    float *in;    /* h*w*in_ch */
    float *state; /* h*w*state_ch */
    size_t in_cap, state_cap;
    int state_valid;
} estep;

static int estep_run(void *ctx, const vsr_frame *const *fr, int n, const vsr_frame *prev,
                     vsr_frame *sr, vsr_error *err)
{
    estep *s = ctx;
    (void)prev;
    const int w = fr[0]->width, h = fr[0]->height;
    const size_t px = (size_t)w * h;
    if (n * 3 != s->in_ch)
        return vsr_error_set(
            err, -EINVAL, "engine step: window of %d frames, model takes %d ch", n, s->in_ch);
    if (s->in_cap < px * s->in_ch) {
        free(s->in);
        s->in = malloc(px * s->in_ch * sizeof(float));
        if (!s->in)
            return vsr_error_set(err, -ENOMEM, "engine step: out of memory");
        s->in_cap = px * s->in_ch;
    }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float *o = s->in + ((size_t)y * w + x) * s->in_ch;
            for (int k = 0; k < n; k++) {
                const uint8_t *p = vsr_frame_row(fr[k], y) + 3 * x;
                o[3 * k] = p[0];
                o[3 * k + 1] = p[1];
                o[3 * k + 2] = p[2];
            }
        }
    int rc = vsr_engine_set_input(s->e, 0, s->in, h, w, s->in_ch, err);
    if (rc)
        return rc;
    if (s->state_ch) {
        if (s->state_cap < px * s->state_ch) {
            free(s->state);
            s->state = malloc(px * s->state_ch * sizeof(float));
            if (!s->state)
                return vsr_error_set(err, -ENOMEM, "engine step: out of memory");
            s->state_cap = px * s->state_ch;
            s->state_valid = 0;
        }
        if (!s->state_valid)
            memset(s->state, 0, px * s->state_ch * sizeof(float));
        if ((rc = vsr_engine_set_input(s->e, 1, s->state, h, w, s->state_ch, err)))
            return rc;
    }
    if ((rc = vsr_engine_run(s->e, err)))
        return rc;
    if ((rc = vsr_engine_get_output_frame(s->e, 0, sr, err)))
        return rc;
    if (s->state_ch) {
        if ((rc = vsr_engine_get_output(s->e, 1, s->state, s->state_cap, err)))
            return rc;
        s->state_valid = 1;
    }
    return 0;
}

static void estep_reset(void *ctx)
{
    ((estep *)ctx)->state_valid = 0;
}

int vsr_models_engine_step(vsr_engine *e, int in_ch, int state_ch, vsr_models_step *out,
                           vsr_error *err)
{
    memset(out, 0, sizeof(*out));
    if (in_ch % 3 || in_ch < 3 || in_ch > 9)
        return vsr_error_set(err, -EINVAL, "engine step: in_ch %d must be 3, 6 or 9", in_ch);
    estep *s = calloc(1, sizeof(*s));
    if (!s)
        return vsr_error_set(err, -ENOMEM, "engine step: out of memory");
    s->e = e;
    s->in_ch = in_ch;
    s->state_ch = state_ch;
    out->ctx = s;
    out->run = estep_run;
    out->reset = estep_reset;
    return 0;
}

void vsr_models_engine_step_free(vsr_models_step *st)
{
    if (!st || !st->ctx)
        return;
    estep *s = st->ctx;
    free(s->in);
    free(s->state);
    free(s);
    memset(st, 0, sizeof(*st));
}

/* ---- bicubic baseline -------------------------------------------------------- */

typedef struct bstep {
    int scale;
} bstep;

static int bstep_run(void *ctx, const vsr_frame *const *fr, int n, const vsr_frame *prev,
                     vsr_frame *sr, vsr_error *err)
{
    bstep *b = ctx;
    (void)prev;
    const vsr_frame *cur = fr[n == 1 ? 0 : 1];
    vsr_frame up = {0};
    int rc = vsr_imresize_u8(cur, (double)b->scale, &up, err);
    if (rc)
        return rc;
    if (up.width != sr->width || up.height != sr->height) {
        vsr_frame_free(&up);
        return vsr_error_set(err, -EINVAL, "bicubic: output %dx%d, expected %dx%d", up.width,
                             up.height, sr->width, sr->height);
    }
    for (int y = 0; y < sr->height; y++)
        memcpy(vsr_frame_row(sr, y), vsr_frame_row(&up, y), (size_t)sr->width * 3);
    vsr_frame_free(&up);
    return 0;
}

int vsr_models_bicubic_step(int scale, vsr_models_step *out, vsr_error *err)
{
    memset(out, 0, sizeof(*out));
    bstep *b = calloc(1, sizeof(*b));
    if (!b)
        return vsr_error_set(err, -ENOMEM, "bicubic: out of memory");
    b->scale = scale;
    out->ctx = b;
    out->run = bstep_run;
    return 0;
}

void vsr_models_bicubic_step_free(vsr_models_step *s)
{
    if (!s)
        return;
    free(s->ctx);
    memset(s, 0, sizeof(*s));
}
