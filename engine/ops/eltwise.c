/*
 * Per-pixel ops computed in FP32 on widened / dequantized values, rounded
 * to the output type (binary16, or int8 with round-to-nearest-even and
 * saturation): activations, scale, add / mul with broadcast, unfused batch
 * norm, layer norm, softmax.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../engine_internal.h"

enum { CHUNK = 1024 };

typedef struct ew_task {
    vsr_engine *e;
    int i;
    vsr_tview a, b, o;
    int bmode; /* 0 same shape, 1 one channel, 2 per-channel vector */
    const float *pw;
} ew_task;

static float gelu(float x)
{
    return 0.5f * x * (1.f + erff(x * 0.70710678118654752f));
}

static void pixels(const ew_task *t, const vsr_node *nd, float *a, const float *b, int n)
{
    int c = t->o.c;
    size_t m = (size_t)n * c;
    switch (nd->op) {
    case VSR_OP_RELU:
        for (size_t k = 0; k < m; k++)
            a[k] = a[k] > 0.f ? a[k] : 0.f;
        break;
    case VSR_OP_LEAKY_RELU:
        for (size_t k = 0; k < m; k++)
            a[k] = a[k] >= 0.f ? a[k] : nd->act.alpha * a[k];
        break;
    case VSR_OP_PRELU:
        for (size_t k = 0; k < m; k++)
            a[k] = a[k] >= 0.f ? a[k] : t->pw[k % (size_t)c] * a[k];
        break;
    case VSR_OP_GELU:
        for (size_t k = 0; k < m; k++)
            a[k] = gelu(a[k]);
        break;
    case VSR_OP_SIGMOID:
        for (size_t k = 0; k < m; k++)
            a[k] = 1.f / (1.f + expf(-a[k]));
        break;
    case VSR_OP_CLIP:
        for (size_t k = 0; k < m; k++)
            a[k] = fminf(fmaxf(a[k], nd->act.lo), nd->act.hi);
        break;
    case VSR_OP_SCALE:
        for (size_t k = 0; k < m; k++)
            a[k] = nd->f0 * a[k] + nd->f1;
        break;
    case VSR_OP_ADD:
    case VSR_OP_MUL:
        for (size_t k = 0; k < m; k++) {
            float bv = t->bmode == 0   ? b[k]
                       : t->bmode == 1 ? b[k / (size_t)c]
                                       : b[k % (size_t)c];
            a[k] = nd->op == VSR_OP_ADD ? a[k] + bv : a[k] * bv;
        }
        break;
    case VSR_OP_BATCH_NORM: /* pw: scale[c], shift[c] */
        for (size_t k = 0; k < m; k++)
            a[k] = a[k] * t->pw[k % (size_t)c] + t->pw[c + k % (size_t)c];
        break;
    case VSR_OP_LAYER_NORM:
        for (int p = 0; p < n; p++) {
            float *x = a + (size_t)p * c;
            float mu = 0.f, var = 0.f;
            for (int k = 0; k < c; k++)
                mu += x[k];
            mu /= (float)c;
            for (int k = 0; k < c; k++)
                var += (x[k] - mu) * (x[k] - mu);
            var /= (float)c;
            float inv = 1.f / sqrtf(var + nd->f0);
            for (int k = 0; k < c; k++)
                x[k] = t->pw[k] * (x[k] - mu) * inv + t->pw[c + k];
        }
        break;
    case VSR_OP_SOFTMAX:
        for (int p = 0; p < n; p++) {
            float *x = a + (size_t)p * c, mx = -INFINITY, s = 0.f;
            for (int k = 0; k < c; k++)
                mx = fmaxf(mx, x[k]);
            for (int k = 0; k < c; k++)
                s += (x[k] = expf(x[k] - mx));
            for (int k = 0; k < c; k++)
                x[k] /= s;
        }
        break;
    default:
        break;
    }
}

static void ew_row(void *ctx, size_t y)
{
    const ew_task *t = ctx;
    const vsr_node *nd = &t->e->g->nodes[t->i];
    int w = t->o.w, c = t->o.c;
    int chunk = CHUNK / c;
    float a[CHUNK], b[CHUNK];
    if (t->bmode == 2)
        vsr__load_f32(&t->b, 0, (size_t)c, b);
    for (int x0 = 0; x0 < w; x0 += chunk) {
        int n = w - x0 < chunk ? w - x0 : chunk;
        size_t off = ((size_t)y * w + (size_t)x0) * c;
        vsr__load_f32(&t->a, off, (size_t)n * c, a);
        if (nd->n_in > 1 && t->bmode == 0)
            vsr__load_f32(&t->b, off, (size_t)n * c, b);
        else if (nd->n_in > 1 && t->bmode == 1)
            vsr__load_f32(&t->b, (size_t)y * w + (size_t)x0, (size_t)n, b);
        pixels(t, nd, a, b, n);
        vsr__store_f32(&t->o, off, (size_t)n * c, a);
    }
}

int vsr__eltwise_run(vsr_engine *e, int i, vsr_error *err)
{
    const vsr_node *nd = &e->g->nodes[i];
    ew_task t = {.e = e, .i = i, .pw = e->pw[i]};
    t.a = vsr__tensor(e, nd->in[0]);
    t.o = vsr__tensor(e, e->plan.dst[i]);
    if (t.o.c > CHUNK)
        return vsr_error_set(err, -ENOTSUP, "%s: %s: more than %d channels", e->g->name,
                             nd->name, CHUNK);
    if (nd->n_in > 1) {
        t.b = vsr__tensor(e, nd->in[1]);
        t.bmode = (t.b.h == 1 && t.b.w == 1 && t.b.c == t.a.c && (t.a.h > 1 || t.a.w > 1)) ? 2
                  : t.b.c == t.a.c                                                         ? 0
                                                                                           : 1;
    }
    vsr__parallel(e, ew_row, &t, (size_t)t.o.h);
    return 0;
}
