/*
 * optim.c: the counter-based PRNG, weight initialisation, losses, Adam and
 * learning-rate schedules.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train_internal.h"

/* ---- PRNG ------------------------------------------------------------ */

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

vsr_train_rng vsr_train_rng_make(uint64_t seed, uint64_t stream)
{
    vsr_train_rng r = {mix64(seed * 0x9e3779b97f4a7c15ull + mix64(stream + 1)), 0};
    return r;
}

uint64_t vsr_train_rng_next(vsr_train_rng *r)
{
    r->counter++;
    return mix64(r->key + r->counter * 0x9e3779b97f4a7c15ull);
}

double vsr_train_rng_uniform(vsr_train_rng *r)
{
    return (double)(vsr_train_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

int vsr_train_rng_int(vsr_train_rng *r, int n)
{
    if (n <= 1)
        return 0;
    return (int)(((vsr_train_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

double vsr_train_rng_normal(vsr_train_rng *r)
{
    double u1 = vsr_train_rng_uniform(r), u2 = vsr_train_rng_uniform(r);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* ---- init -------------------------------------------------------------- */

const char *const vsr_train_init_names[] = {"glorot_uniform", "he_uniform", "he_normal",
                                            "torch", NULL};

int vsr_train_init_weights(vsr_graph *g, vsr_train_init_kind kind, float prelu_alpha,
                           vsr_train_rng *rng, vsr_error *err)
{
    for (int i = 0; i < g->n_wts; i++) {
        const vsr_wt *wt = &g->wts[i];
        if (wt->data)
            continue;
        const vsr_node *nd = &g->nodes[wt->node];
        const char *role = strrchr(wt->name, '.');
        role = role ? role + 1 : "";
        float *d = malloc((wt->count ? wt->count : 1) * sizeof(float));
        if (!d)
            return vsr_error_set(err, -ENOMEM, "%s: out of memory", wt->name);
        if (!strcmp(role, "weight") && wt->ndim == 4) {
            double rf = (double)wt->dims[0] * wt->dims[1];
            double fin = rf * wt->dims[2], fout = rf * wt->dims[3];
            const vsr_conv_params *p = &nd->conv;
            if (p->groups > 1 && p->groups == wt->dims[3] && wt->dims[2] == 1) {
                /* Keras DepthwiseConv2D kernel (kh, kw, C, 1) */
                fin = rf * wt->dims[3];
                fout = rf;
            } else if (p->groups > 1) {
                fout = rf * wt->dims[3] / p->groups;
            }
            for (size_t k = 0; k < wt->count; k++) {
                double v;
                if (kind == VSR_TRAIN_INIT_GLOROT_UNIFORM) {
                    double lim = sqrt(6.0 / (fin + fout));
                    v = (2.0 * vsr_train_rng_uniform(rng) - 1.0) * lim;
                } else if (kind == VSR_TRAIN_INIT_HE_UNIFORM || kind == VSR_TRAIN_INIT_TORCH) {
                    double lim =
                        kind == VSR_TRAIN_INIT_TORCH ? sqrt(1.0 / fin) : sqrt(6.0 / fin);
                    v = (2.0 * vsr_train_rng_uniform(rng) - 1.0) * lim;
                } else {
                    /* Keras he_normal: truncated normal, stddev = sqrt(2/fin)/.87962566 */
                    double sd = sqrt(2.0 / fin) / 0.87962566103423978;
                    do
                        v = vsr_train_rng_normal(rng);
                    while (fabs(v) > 2.0);
                    v *= sd;
                }
                d[k] = (float)v;
            }
        } else {
            float v = 0.f;
            if (!strcmp(role, "alpha"))
                v = prelu_alpha;
            else if (!strcmp(role, "gamma") || !strcmp(role, "var"))
                v = 1.f;
            for (size_t k = 0; k < wt->count; k++)
                d[k] = v;
        }
        int rc = vsr_graph_set_weight(g, wt->name, d, wt->count, err);
        free(d);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- losses ------------------------------------------------------------- */

const char *const vsr_train_loss_names[] = {"l1", "charbonnier", "l2", NULL};

const char *vsr_train_loss_name(vsr_train_loss l)
{
    return l >= VSR_TRAIN_LOSS_L1 && l <= VSR_TRAIN_LOSS_L2 ? vsr_train_loss_names[l] : "l2";
}

double vsr_train_loss_eval(vsr_train_loss l, const double *y, const float *t, size_t n,
                           double *grad, double gscale)
{
    const double k = 1.0 / 255.0, eps2 = 1e-6;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (y[i] - (double)t[i]) * k, g;
        switch (l) {
        case VSR_TRAIN_LOSS_L1:
            sum += fabs(d);
            g = d > 0 ? 1.0 : d < 0 ? -1.0 : 0.0;
            break;
        case VSR_TRAIN_LOSS_CHARBONNIER: {
            double r = sqrt(d * d + eps2);
            sum += r;
            g = d / r;
            break;
        }
        default:
            sum += d * d;
            g = 2.0 * d;
        }
        if (grad)
            grad[i] += g * k * gscale;
    }
    return sum;
}

/* ---- schedules ------------------------------------------------------------ */

const char *const vsr_train_sched_names[] = {"constant", "cosine", "step", NULL};

double vsr_train_sched_lr(const vsr_train_sched *s, long t)
{
    switch (s->kind) {
    case VSR_TRAIN_SCHED_COSINE: {
        double T = s->total_steps > 0 ? (double)s->total_steps : 1.0;
        double x = (double)t / T;
        if (x > 1)
            x = 1;
        return s->lr_min + 0.5 * (s->lr - s->lr_min) * (1.0 + cos(3.14159265358979323846 * x));
    }
    case VSR_TRAIN_SCHED_STEP:
        return s->lr * pow(s->gamma, (double)(s->step_size > 0 ? t / s->step_size : 0));
    default:
        return s->lr;
    }
}

/* ---- Adam ------------------------------------------------------------------ */

int vsr_train_adam_init(vsr_train_adam *a, size_t n, double beta1, double beta2, double eps,
                        vsr_error *err)
{
    memset(a, 0, sizeof(*a));
    a->n = n;
    a->beta1 = beta1, a->beta2 = beta2, a->eps = eps;
    a->m = calloc(n ? n : 1, sizeof(float));
    a->v = calloc(n ? n : 1, sizeof(float));
    if (!a->m || !a->v) {
        vsr_train_adam_free(a);
        return vsr_error_set(err, -ENOMEM, "adam: out of memory for %zu parameters", n);
    }
    return 0;
}

void vsr_train_adam_free(vsr_train_adam *a)
{
    if (!a)
        return;
    free(a->m), free(a->v);
    memset(a, 0, sizeof(*a));
}

void vsr_train_adam_step(vsr_train_adam *a, float *p, const double *g,
                         const unsigned char *mask, double lr)
{
    a->t++;
    double c1 = 1.0 - pow(a->beta1, (double)a->t), c2 = 1.0 - pow(a->beta2, (double)a->t);
    for (size_t i = 0; i < a->n; i++) {
        if (mask && !mask[i])
            continue;
        double m = a->beta1 * a->m[i] + (1.0 - a->beta1) * g[i];
        double v = a->beta2 * a->v[i] + (1.0 - a->beta2) * g[i] * g[i];
        a->m[i] = (float)m;
        a->v[i] = (float)v;
        double li = a->lr_scale ? lr * (double)a->lr_scale[i] : lr;
        p[i] = (float)((double)p[i] - li * (m / c1) / (sqrt(v / c2) + a->eps));
    }
}
