/*
 * INT8 calibration: run frames through an FP32 engine, keep per-tensor
 * min / max and a histogram whose range doubles when new data falls outside
 * it (bins merge pairwise, so earlier counts stay exact at the coarser
 * width). Ranges: min/max, percentile, or the clipping range that minimises
 * the histogram's expected int8 quantization + clipping error. The min/max
 * scan is the engine's f32_minmax kernel (AVX-512 / AVX2 / scalar, chosen
 * by vsr_cpu_isa() like every kernel; identical results).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"

typedef struct tstat {
    int seen;
    float mn, mx;
    double lo, width; /* histogram covers [lo, lo + bins*width) */
    double *hist;
    double total;
} tstat;

struct vsr_calib {
    const vsr_graph *g;
    vsr_engine *e;
    int bins;
    tstat *st;
    int err;
};

void vsr_calib_options_default(vsr_calib_options *o)
{
    o->method = VSR_CALIB_MINMAX;
    o->percentile = 99.99;
    o->bins = 2048;
}

static void grow(tstat *s, int bins, double vmin, double vmax)
{
    while (vmin < s->lo || vmax >= s->lo + bins * s->width) {
        /* double the width; extend towards the side that needs it */
        int up = vmax >= s->lo + bins * s->width;
        double *h = s->hist;
        double tmp[bins];
        memset(tmp, 0, sizeof(tmp));
        if (up) {
            for (int i = 0; i < bins; i++)
                tmp[i / 2] += h[i];
        } else {
            for (int i = 0; i < bins; i++)
                tmp[bins / 2 + i / 2] += h[i];
            s->lo -= bins * s->width;
        }
        s->width *= 2;
        memcpy(h, tmp, sizeof(tmp));
    }
}

static void hook(void *ctx, int t, const float *d, int h, int w, int c)
{
    vsr_calib *cb = ctx;
    tstat *s = &cb->st[t];
    size_t n = (size_t)h * w * c;
    float r[2]; /* NaN when any value is NaN (see vsr_f32_minmax_fn) */
    cb->e->k.f32_minmax(d, n, r);
    float mn = r[0], mx = r[1];
    if (!isfinite(mn) || !isfinite(mx)) {
        if (!cb->err) /* name the first one: later ones may only inherit it */
            cb->err = t + 1;
        return;
    }
    if (!s->seen) {
        s->seen = 1;
        s->mn = mn, s->mx = mx;
        double span = (double)mx - mn;
        if (span <= 0)
            span = fabs((double)mx) > 0 ? fabs((double)mx) : 1.0;
        s->lo = mn;
        s->width = span * 1.0000001 / cb->bins;
    } else {
        s->mn = fminf(s->mn, mn);
        s->mx = fmaxf(s->mx, mx);
        grow(s, cb->bins, mn, mx);
    }
    for (size_t i = 0; i < n; i++) {
        long b = (long)floor(((double)d[i] - s->lo) / s->width);
        if (b < 0)
            b = 0;
        if (b >= cb->bins)
            b = cb->bins - 1;
        s->hist[b] += 1;
    }
    s->total += (double)n;
}

int vsr_calib_create(const vsr_graph *g, pthreadpool_t pool, vsr_calib **out, vsr_error *err)
{
    *out = NULL;
    vsr_calib *c = calloc(1, sizeof(*c));
    if (!c)
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
    c->g = g;
    c->bins = 2048;
    c->st = calloc((size_t)g->n_nodes, sizeof(tstat));
    int rc = c->st ? 0 : vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
    for (int i = 0; !rc && i < g->n_nodes; i++) {
        c->st[i].hist = calloc((size_t)c->bins, sizeof(double));
        if (!c->st[i].hist)
            rc = vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
    }
    if (!rc)
        rc = vsr__engine_create_ex(g, VSR_PREC_FP32, pool, NULL, 1, &c->e, err);
    if (rc) {
        vsr_calib_free(&c);
        return rc;
    }
    c->e->hook = hook;
    c->e->hook_ctx = c;
    *out = c;
    return 0;
}

void vsr_calib_free(vsr_calib **pc)
{
    if (!pc || !*pc)
        return;
    vsr_calib *c = *pc;
    if (c->st)
        for (int i = 0; i < c->g->n_nodes; i++)
            free(c->st[i].hist);
    free(c->st);
    vsr_engine_free(&c->e);
    free(c);
    *pc = NULL;
}

int vsr_calib_feed(vsr_calib *c, const float *const *inputs, int h, int w, vsr_error *err)
{
    const vsr_graph *g = c->g;
    c->err = 0;
    for (int i = 0; i < g->n_inputs; i++) {
        int rc = vsr_engine_set_input(c->e, i, inputs[i], h, w, g->nodes[g->inputs[i]].c, err);
        if (rc)
            return rc;
        /* inputs are not written by an op: record them here */
        hook(c, g->inputs[i], inputs[i], h, w, g->nodes[g->inputs[i]].c);
    }
    int rc = vsr_engine_run(c->e, err);
    if (rc)
        return rc;
    if (c->err)
        return vsr_error_set(err, -EINVAL,
                             "%s: calibration: tensor %s holds NaN or inf in FP32; check the "
                             "weights and inputs",
                             g->name, g->nodes[c->err - 1].name);
    return 0;
}

/* Value below which a fraction q of the histogram mass lies (linear within a bin). */
static double quantile(const tstat *s, int bins, double q)
{
    double target = q * s->total, acc = 0;
    for (int b = 0; b < bins; b++) {
        if (acc + s->hist[b] >= target && s->hist[b] > 0) {
            double f = (target - acc) / s->hist[b];
            return s->lo + ((double)b + f) * s->width;
        }
        acc += s->hist[b];
    }
    return s->lo + bins * s->width;
}

/* Expected squared error of quantizing the histogram with range [lo, hi]. */
static double qerr(const tstat *s, int bins, double lo, double hi)
{
    float scale;
    int zp;
    vsr__quant_from_range((float)lo, (float)hi, &scale, &zp);
    double e = 0;
    for (int b = 0; b < bins; b++) {
        if (s->hist[b] <= 0)
            continue;
        double v = s->lo + (b + 0.5) * s->width;
        double q = nearbyint(v / scale) + zp;
        q = q < -128 ? -128 : q > 127 ? 127 : q;
        double d = v - (q - zp) * scale;
        e += s->hist[b] * d * d;
    }
    return e;
}

int vsr_calib_range(const vsr_calib *c, int t, const vsr_calib_options *opt, float *lo,
                    float *hi, vsr_error *err)
{
    vsr_calib_options def;
    if (!opt) {
        vsr_calib_options_default(&def);
        opt = &def;
    }
    if (t < 0 || t >= c->g->n_nodes || !c->st[t].seen)
        return vsr_error_set(err, -ENOENT, "%s: no calibration statistics for tensor %d",
                             c->g->name, t);
    const tstat *s = &c->st[t];
    switch (opt->method) {
    case VSR_CALIB_MINMAX:
        *lo = s->mn, *hi = s->mx;
        return 0;
    case VSR_CALIB_PERCENTILE: {
        double p = opt->percentile;
        if (!(p > 50 && p <= 100))
            return vsr_error_set(err, -EINVAL, "calibration percentile %g outside (50, 100]",
                                 p);
        double a = quantile(s, c->bins, 1 - p / 100), b = quantile(s, c->bins, p / 100);
        *lo = (float)fmax(a, s->mn);
        *hi = (float)fmin(b, s->mx);
        return 0;
    }
    case VSR_CALIB_MSE: {
        /* shrink both ends towards the median in 2 % steps, keep the best */
        double best = INFINITY, blo = s->mn, bhi = s->mx;
        double med = quantile(s, c->bins, 0.5);
        for (int i = 0; i <= 100; i += 2)
            for (int j = 0; j <= 100; j += (s->mn < 0 ? 2 : 101)) {
                double l = s->mn < 0 ? med + (s->mn - med) * (1 - 0.01 * j) : s->mn;
                double h = med + (s->mx - med) * (1 - 0.01 * i);
                if (!(h > l))
                    continue;
                double e = qerr(s, c->bins, l, h);
                if (e < best) {
                    best = e;
                    blo = l;
                    bhi = h;
                }
            }
        *lo = (float)blo, *hi = (float)bhi;
        return 0;
    }
    }
    return vsr_error_set(err, -EINVAL, "unknown calibration method %d", (int)opt->method);
}

int vsr_calib_finish(vsr_calib *c, const vsr_calib_options *opt, vsr_graph *g, vsr_error *err)
{
    if (g != c->g)
        return vsr_error_set(err, -EINVAL, "%s: calibration was made for graph %s", g->name,
                             c->g->name);
    for (int t = 0; t < g->n_nodes; t++) {
        vsr_node *nd = &g->nodes[t];
        if (nd->q_fixed || !c->st[t].seen)
            continue;
        float lo, hi;
        if (nd->has_range) {
            lo = nd->r_lo, hi = nd->r_hi;
        } else {
            int rc = vsr_calib_range(c, t, opt, &lo, &hi, err);
            if (rc)
                return rc;
        }
        vsr__quant_from_range(lo, hi, &nd->q_scale, &nd->q_zp);
        nd->q_set = 1;
    }
    return 0;
}
