/*
 * INT8 calibration: run frames through an FP32 engine, keep per-tensor
 * min / max, each frame's own min / max (for the moving average), a
 * histogram whose range doubles when new data falls outside it (bins merge
 * pairwise, so earlier counts stay exact at the coarser width), and a
 * histogram of |x| over [0, max|x|] that grows the same way (for KL).
 * Ranges: min/max, percentile, the clipping range that minimises the
 * histogram's expected quantization + clipping error under the graph's
 * scheme, the moving-average min/max, or TensorRT's entropy (KL)
 * threshold. The min/max scan is the engine's f32_minmax kernel (AVX-512 /
 * AVX2 / scalar, chosen by vsr_cpu_isa() like every kernel; identical
 * results).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine_internal.h"

typedef struct tstat {
    int seen;
    float mn, mx;
    double lo, width; /* histogram covers [lo, lo + bins*width) */
    double *hist;
    double total;
    double awidth; /* |x| histogram covers [0, bins*awidth) */
    double *ahist;
    float *fmn, *fmx; /* each frame's min and max, in feed order */
    int nf, capf;
} tstat;

struct vsr_calib {
    const vsr_graph *g;
    vsr_engine *e;
    int bins;
    tstat *st;
    int err;
    int oom;         /* a frame's min / max could not be stored */
    int minmax_only; /* created for minmax / ema: no histograms kept (vsr_calib_create_ex) */
};

static int needs_histograms(vsr_calib_method m)
{
    return m != VSR_CALIB_MINMAX && m != VSR_CALIB_EMA;
}

void vsr_calib_options_default(vsr_calib_options *o)
{
    o->method = VSR_CALIB_MINMAX;
    o->percentile = 99.99;
    o->bins = 2048;
    o->ema_constant = VSR_CALIB_EMA_CONSTANT;
    o->tflite = 0;
}

static const char *const method_names[] = {"minmax", "percentile", "mse", "ema", "kl"};

const char *vsr_calib_method_name(vsr_calib_method m)
{
    return (unsigned)m < sizeof(method_names) / sizeof(method_names[0]) ? method_names[m] : "?";
}

int vsr_calib_method_parse(const char *s, vsr_calib_method *out, vsr_error *err)
{
    for (size_t i = 0; s && i < sizeof(method_names) / sizeof(method_names[0]); i++)
        if (!strcasecmp(s, method_names[i])) {
            *out = (vsr_calib_method)i;
            return 0;
        }
    return vsr_error_set(err, -EINVAL,
                         "calibration method '%s': expected minmax, percentile, mse, ema or kl",
                         s ? s : "");
}

/* Double the |x| histogram's width (merging bins pairwise) until amax fits. */
static void agrow(tstat *s, int bins, double amax)
{
    while (amax >= bins * s->awidth) {
        for (int i = 0; i < bins / 2; i++) /* reads 2i, 2i+1 >= i: not written yet */
            s->ahist[i] = s->ahist[2 * i] + s->ahist[2 * i + 1];
        memset(s->ahist + bins / 2, 0, (size_t)(bins - bins / 2) * sizeof(double));
        s->awidth *= 2;
    }
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
    if (s->nf == s->capf) { /* this frame's own min / max, for the moving average */
        int cap = s->capf ? 2 * s->capf : 16;
        float *a = realloc(s->fmn, (size_t)cap * sizeof(float));
        if (a)
            s->fmn = a;
        float *b = a ? realloc(s->fmx, (size_t)cap * sizeof(float)) : NULL;
        if (!b) {
            cb->oom = 1;
            return;
        }
        s->fmx = b;
        s->capf = cap;
    }
    s->fmn[s->nf] = mn;
    s->fmx[s->nf++] = mx;
    int first = !s->seen;
    s->mn = first ? mn : fminf(s->mn, mn);
    s->mx = first ? mx : fmaxf(s->mx, mx);
    s->seen = 1;
    s->total += (double)n;
    if (cb->minmax_only) /* the vector scan above is all minmax and ema need */
        return;
    double amax = fmax(fabs((double)mn), fabs((double)mx));
    if (first) {
        double span = (double)mx - mn;
        if (span <= 0)
            span = fabs((double)mx) > 0 ? fabs((double)mx) : 1.0;
        s->lo = mn;
        s->width = span * 1.0000001 / cb->bins;
        s->awidth = (amax > 0 ? amax : 1.0) * 1.0000001 / cb->bins;
    } else {
        grow(s, cb->bins, mn, mx);
        agrow(s, cb->bins, amax);
    }
    for (size_t i = 0; i < n; i++) {
        long b = (long)floor(((double)d[i] - s->lo) / s->width);
        if (b < 0)
            b = 0;
        if (b >= cb->bins)
            b = cb->bins - 1;
        s->hist[b] += 1;
        b = (long)floor(fabs((double)d[i]) / s->awidth);
        s->ahist[b < cb->bins ? b : cb->bins - 1] += 1;
    }
}

int vsr_calib_create(const vsr_graph *g, pthreadpool_t pool, vsr_calib **out, vsr_error *err)
{
    return vsr_calib_create_ex(g, pool, NULL, out, err);
}

int vsr_calib_create_ex(const vsr_graph *g, pthreadpool_t pool, const vsr_calib_options *use,
                        vsr_calib **out, vsr_error *err)
{
    *out = NULL;
    vsr_calib *c = calloc(1, sizeof(*c));
    if (!c)
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
    c->g = g;
    c->bins = 2048;
    c->minmax_only = use && !needs_histograms(use->method);
    c->st = calloc((size_t)g->n_nodes, sizeof(tstat));
    int rc = c->st ? 0 : vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
    for (int i = 0; !rc && !c->minmax_only && i < g->n_nodes; i++) {
        c->st[i].hist = calloc((size_t)c->bins, sizeof(double));
        c->st[i].ahist = calloc((size_t)c->bins, sizeof(double));
        if (!c->st[i].hist || !c->st[i].ahist)
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
        for (int i = 0; i < c->g->n_nodes; i++) {
            free(c->st[i].hist);
            free(c->st[i].ahist);
            free(c->st[i].fmn);
            free(c->st[i].fmx);
        }
    free(c->st);
    vsr_engine_free(&c->e);
    free(c);
    *pc = NULL;
}

int vsr_calib_feed(vsr_calib *c, const float *const *inputs, int h, int w, vsr_error *err)
{
    const vsr_graph *g = c->g;
    c->err = c->oom = 0;
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
    if (c->oom)
        return vsr_error_set(err, -ENOMEM, "%s: calibration: out of memory", g->name);
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
static double qerr(const tstat *s, int bins, const vsr_quant_scheme *qs, double lo, double hi)
{
    float scale;
    int zp;
    vsr_quant_from_range(qs, (float)lo, (float)hi, &scale, &zp);
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

int vsr__calib_kl_bins(const double *hist, int bins, int nq)
{
    if (nq < 1 || bins <= nq)
        return -1;
    double total = 0, pre = 0;
    for (int b = 0; b < bins; b++)
        total += hist[b];
    for (int b = 0; b < nq; b++)
        pre += hist[b];
    double *q = malloc((size_t)bins * sizeof(double));
    if (!q || !(total > 0)) {
        free(q);
        return -1;
    }
    int best = -1;
    double best_kl = INFINITY;
    for (int i = nq; i < bins; pre += hist[i++]) {
        double out = total - pre; /* counts are integers: exact */
        int m = i / nq;
        /* Q: the first i bins merged into nq groups (the last takes the rest of
         * them), each group's count spread evenly over its bins where P > 0 */
        for (int j = 0; j < nq; j++) {
            int a = j * m, z = j == nq - 1 ? i : a + m, nz = 0;
            double cnt = 0;
            for (int b = a; b < z; b++) {
                cnt += hist[b];
                nz += hist[b] + (b == i - 1 ? out : 0) > 0;
            }
            for (int b = a; b < z; b++)
                q[b] = hist[b] + (b == i - 1 ? out : 0) > 0 ? cnt / nz : 0;
        }
        /* sum P = total; sum Q = pre (a group with no P > 0 bin has no count) */
        double kl = 0;
        for (int b = 0; b < i && kl < INFINITY; b++) {
            double pb = hist[b] + (b == i - 1 ? out : 0);
            if (pb <= 0)
                continue;
            if (q[b] <= 0 || !(pre > 0))
                kl = INFINITY;
            else
                kl += pb / total * log(pb / total / (q[b] / pre));
        }
        if (kl < best_kl) {
            best_kl = kl;
            best = i;
        }
    }
    free(q);
    return best;
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
    if (c->minmax_only && needs_histograms(opt->method))
        return vsr_error_set(err, -EINVAL,
                             "%s: calibration %s needs histograms, but this calibration was "
                             "created for minmax / ema (min and max only); create it with "
                             "vsr_calib_create() or for %s",
                             c->g->name, vsr_calib_method_name(opt->method),
                             vsr_calib_method_name(opt->method));
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
                double e = qerr(s, c->bins, &c->g->qscheme, l, h);
                if (e < best) {
                    best = e;
                    blo = l;
                    bhi = h;
                }
            }
        *lo = (float)blo, *hi = (float)bhi;
        return 0;
    }
    case VSR_CALIB_EMA: {
        double a = opt->ema_constant;
        if (!(a > 0 && a <= 1))
            return vsr_error_set(err, -EINVAL,
                                 "calibration ema_constant %g outside (0, 1] (PyTorch's "
                                 "default is %g)",
                                 a, VSR_CALIB_EMA_CONSTANT);
        double m = s->fmn[0], x = s->fmx[0];
        for (int f = 1; f < s->nf; f++) {
            m += a * (s->fmn[f] - m);
            x += a * (s->fmx[f] - x);
        }
        *lo = (float)m, *hi = (float)x;
        return 0;
    }
    case VSR_CALIB_KL: {
        int m = vsr__calib_kl_bins(s->ahist, c->bins, 128);
        *lo = s->mn, *hi = s->mx;
        if (m > 0) {
            double th = (m + 0.5) * s->awidth;
            *lo = (float)fmax(s->mn, -th);
            *hi = (float)fmin(s->mx, th);
        }
        return 0;
    }
    }
    return vsr_error_set(err, -EINVAL, "unknown calibration method %d", (int)opt->method);
}

/* The node that writes tensor @p t's values: through movement ops (a slice,
 * a depth-to-space), which keep their input's parameters in the engine. */
static int writer(const vsr_graph *g, int t)
{
    while (g->nodes[t].n_in > 0 && (vsr__op_def(g->nodes[t].op)->flags & VSR_OPF_MOVEMENT))
        t = g->nodes[t].in[0];
    return t;
}

static int root(int *up, int t)
{
    while (up[t] != t)
        t = up[t] = up[up[t]];
    return t;
}

/*
 * TFLite's int8 constraints (vsr_calib_options.tflite) on the ranges @p lo /
 * @p hi (per tensor, @p have[t] when known): the writers of a concat's or a
 * bilinear resize's inputs and the op itself form one set (union-find over
 * @p up), whose range is the union of its members'; a member with fixed
 * parameters gives the set its parameters (*@p fixed_of). Sigmoid outputs
 * are handled by the caller.
 */
static void tie_sets(const vsr_graph *g, int *up, float *lo, float *hi, unsigned char *have,
                     int *fixed_of)
{
    int n = g->n_nodes;
    for (int t = 0; t < n; t++)
        up[t] = t, fixed_of[t] = -1;
    for (int t = 0; t < n; t++) {
        const vsr_node *nd = &g->nodes[t];
        if (nd->op != VSR_OP_CONCAT && nd->op != VSR_OP_RESIZE_BILINEAR)
            continue;
        for (int k = 0; k < nd->n_in; k++) {
            int a = root(up, writer(g, nd->in[k])), b = root(up, t);
            if (a != b)
                up[a] = b;
        }
    }
    for (int t = 0; t < n; t++) {
        int r = root(up, t);
        if (g->nodes[t].q_fixed && fixed_of[r] < 0)
            fixed_of[r] = t;
        if (r == t || !have[t])
            continue;
        if (!have[r]) {
            lo[r] = lo[t], hi[r] = hi[t], have[r] = 1;
        } else {
            lo[r] = fminf(lo[r], lo[t]);
            hi[r] = fmaxf(hi[r], hi[t]);
        }
    }
}

int vsr_calib_finish(vsr_calib *c, const vsr_calib_options *opt, vsr_graph *g, vsr_error *err)
{
    if (g != c->g)
        return vsr_error_set(err, -EINVAL, "%s: calibration was made for graph %s", g->name,
                             c->g->name);
    int n = g->n_nodes, rc = 0;
    float *lo = malloc((size_t)n * sizeof(float)), *hi = malloc((size_t)n * sizeof(float));
    int *up = malloc((size_t)n * sizeof(int)), *fixed_of = malloc((size_t)n * sizeof(int));
    unsigned char *have = calloc((size_t)n, 1);
    if (!lo || !hi || !up || !fixed_of || !have) {
        rc = vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
        goto done;
    }
    for (int t = 0; t < n; t++) {
        vsr_node *nd = &g->nodes[t];
        if (nd->q_fixed || !c->st[t].seen)
            continue;
        if (nd->has_range) {
            lo[t] = nd->r_lo, hi[t] = nd->r_hi;
        } else if ((rc = vsr_calib_range(c, t, opt, &lo[t], &hi[t], err))) {
            goto done;
        }
        have[t] = 1;
    }
    int tfl = opt && opt->tflite;
    if (tfl)
        tie_sets(g, up, lo, hi, have, fixed_of);
    for (int t = 0; t < n; t++) {
        vsr_node *nd = &g->nodes[t];
        if (nd->q_fixed || !have[t])
            continue;
        int r = tfl ? root(up, t) : t;
        if (tfl && nd->op == VSR_OP_SIGMOID) {
            nd->q_scale = 1.f / 256, nd->q_zp = -128; /* int8 LOGISTIC's output */
        } else if (tfl && fixed_of[r] >= 0) {
            nd->q_scale = g->nodes[fixed_of[r]].q_scale;
            nd->q_zp = g->nodes[fixed_of[r]].q_zp;
        } else {
            vsr_quant_from_range(&g->qscheme, lo[r], hi[r], &nd->q_scale, &nd->q_zp);
        }
        nd->q_set = 1;
    }
done:
    free(lo), free(hi), free(up), free(fixed_of), free(have);
    return rc;
}
