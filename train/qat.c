/*
 * qat.c: quantisation-aware training. Fake quantisation at exactly the
 * points where the engine's INT8 path quantises (engine/exec.c
 * assign_types, engine/graph.c vsr__plan_build), straight-through
 * estimator in backward, activation ranges tracked by an exponential
 * moving average of each step's min / max.
 *
 * Which tensors the engine stores as int8 (and so which outputs are fake
 * quantised here): every node output except
 *  - a conv's output that the plan fuses into a batch norm and / or an
 *    activation (conv -> [bn] -> [act], each the only consumer), and that
 *    batch norm's output when an activation follows it: the chain
 *    requantises once, into the last node's tensor;
 *  - movement ops (slice, depth to space, shuffle, nearest resize): they
 *    keep their input's int8 values and parameters, so fake quantising
 *    again would be the identity;
 *  - FP32-only ops (global pooling) and KEEP_F32 / movement ops after them.
 * Graph inputs are quantised (an INT8 conv quantises its float input).
 *
 * Weights: every conv kernel is fake quantised as the engine quantises it
 * at engine creation: symmetric, scale max|w| / 127 per output channel (or
 * per conv), q in [-127, 127], round to nearest even (nearbyintf); a conv
 * the plan folds a batch norm into is quantised in its folded form
 * (w * gamma / sqrt(var + eps)) and divided back, so conv then batch norm
 * in float gives the engine's folded int8 conv. A bias (no folded batch
 * norm) is rounded to the int32 grid of s_in * s_w[o].
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train_internal.h"

float vsr_train_fake_quant(float v, float scale, int zp, int *inside)
{
    /* vsr__quantize1's arithmetic: nearbyintf(v * (1 / s)) + zp, saturated */
    float inv = 1.f / scale;
    float q = nearbyintf(v * inv) + (float)zp;
    int in = 1;
    if (!(q >= -128.f))
        q = -128.f, in = 0;
    else if (q > 127.f)
        q = 127.f, in = 0;
    if (inside)
        *inside = in;
    return scale * (q - (float)zp);
}

double vsr_train_lsq_scale_grad(double v, double s, int qn, int qp)
{
    double r = v / s;
    if (r <= (double)qn)
        return (double)qn;
    if (r >= (double)qp)
        return (double)qp;
    return nearbyint(r) - r;
}

/* The only consumer of node t's output, or -1 (none, several, or a graph output). */
static int only_consumer(const vsr_graph *g, int t)
{
    for (int k = 0; k < g->n_outputs; k++)
        if (g->outputs[k].t == t)
            return -1;
    int c = -1;
    for (int i = t + 1; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_in; k++)
            if (g->nodes[i].in[k] == t) {
                if (c >= 0)
                    return -1;
                c = i;
            }
    return c;
}

int vsr__train_qat_nodes(const vsr_graph *g, unsigned char *qnode, int *fold_bn)
{
    int n = g->n_nodes;
    unsigned char *forced = calloc((size_t)n + 1, 1);
    if (!forced)
        return -ENOMEM;
    for (int i = 0; i < n; i++) {
        const vsr_node *nd = &g->nodes[i];
        forced[i] = (unsigned char)vsr__node_forced_f32(nd, forced);
        qnode[i] = !forced[i] && !(vsr__op_def(nd->op)->flags & VSR_OPF_MOVEMENT);
        fold_bn[i] = -1;
    }
    /* the engine's fusion plan (vsr__plan_build): conv -> [bn] -> [act] */
    for (int i = 0; i < n; i++) {
        const vsr_node *nd = &g->nodes[i];
        if (nd->op != VSR_OP_CONV2D || nd->conv.act.type != VSR_ACT_NONE)
            continue;
        int last = i, c = only_consumer(g, i);
        if (c >= 0 && g->nodes[c].op == VSR_OP_BATCH_NORM) {
            fold_bn[i] = c;
            qnode[last] = 0;
            last = c;
            c = only_consumer(g, c);
        }
        if (c >= 0 && (vsr__op_def(g->nodes[c].op)->flags & VSR_OPF_CONV_ACT))
            qnode[last] = 0;
    }
    free(forced);
    return 0;
}

int vsr_train_net_qat_enable(vsr_train_net *n, const vsr_quant_scheme *scheme, vsr_error *err)
{
    if (n->dbl)
        return vsr_error_set(err, -EINVAL, "train net: QAT runs in float nets only");
    const vsr_graph *g = n->g;
    int nn = g->n_nodes, ns = n->batch * n->steps;
    tr_qat *q = calloc(1, sizeof(*q));
    if (!q)
        return vsr_error_set(err, -ENOMEM, "train net: out of memory");
    n->qat = q;
    q->scheme = *scheme;
    q->qnode = calloc((size_t)nn, 1);
    q->fold_bn = malloc((size_t)nn * sizeof(int));
    q->lo = calloc((size_t)nn, sizeof(float));
    q->hi = calloc((size_t)nn, sizeof(float));
    q->have = calloc((size_t)nn, 1);
    q->scale = malloc((size_t)nn * sizeof(float));
    q->zp = calloc((size_t)nn, sizeof(int));
    q->smin = malloc((size_t)nn * ns * sizeof(float));
    q->smax = malloc((size_t)nn * ns * sizeof(float));
    q->mask = calloc((size_t)nn * ns, sizeof(unsigned char *));
    q->wq = malloc((n->n_params ? n->n_params : 1) * sizeof(float));
    if (!q->qnode || !q->fold_bn || !q->lo || !q->hi || !q->have || !q->scale || !q->zp ||
        !q->smin || !q->smax || !q->mask || !q->wq ||
        vsr__train_qat_nodes(g, q->qnode, q->fold_bn))
        return vsr_error_set(err, -ENOMEM, "train net: out of memory");
    for (int i = 0; i < nn; i++)
        q->scale[i] = 1.f;
    for (int s = 0; s < ns; s++)
        for (int i = 0; i < nn; i++)
            if (q->qnode[i] && !(q->mask[(size_t)s * nn + i] = malloc(tr_node_size(n, i))))
                return vsr_error_set(err, -ENOMEM,
                                     "train net: out of memory for the QAT masks of %s",
                                     g->nodes[i].name);
    memcpy(q->wq, n->params, n->n_params * sizeof(float));
    return 0;
}

void vsr__train_qat_free(tr_net *n)
{
    tr_qat *q = n->qat;
    if (!q)
        return;
    int ns = n->batch * n->steps;
    for (size_t k = 0; q->mask && k < (size_t)n->g->n_nodes * ns; k++)
        free(q->mask[k]);
    free(q->qnode), free(q->fold_bn), free(q->lo), free(q->hi), free(q->have);
    for (size_t k = 0; q->pre && k < (size_t)n->g->n_nodes * ns; k++)
        free(q->pre[k]);
    free(q->scale), free(q->zp), free(q->smin), free(q->smax), free(q->mask), free(q->wq);
    free(q->pre), free(q->sgrad);
    free(q);
    n->qat = NULL;
}

/* The tensor whose INT8 parameters tensor t carries: movement ops keep their input's. */
static int qsrc(const vsr_graph *g, int t)
{
    while (g->nodes[t].n_in > 0 && (vsr__op_def(g->nodes[t].op)->flags & VSR_OPF_MOVEMENT))
        t = g->nodes[t].in[0];
    return t;
}

/* Per-channel weight scales of conv node i (folded by fs[o] when not NULL). */
static void conv_fake_quant(tr_net *n, int i, const float *fs)
{
    tr_qat *q = n->qat;
    const vsr_node *nd = &n->g->nodes[i];
    const float *w = n->params + n->woff[nd->w_first];
    float *wq = q->wq + n->woff[nd->w_first];
    size_t cnt = n->g->wts[nd->w_first].count;
    int cout = n->shp[3 * i + 2];
    size_t per = cnt / (size_t)cout; /* taps x cin per group, layout [..][cout] */
    int xin = qsrc(n->g, nd->in[0]);
    float all = 0.f;
    for (size_t k = 0; k < cnt; k++)
        all = fmaxf(all, fabsf(w[k] * (fs ? fs[k % (size_t)cout] : 1.f)));
    for (int o = 0; o < cout; o++) {
        float f = fs ? fs[o] : 1.f, mx = 0.f;
        for (size_t k = 0; k < per; k++)
            mx = fmaxf(mx, fabsf(w[k * (size_t)cout + (size_t)o] * f));
        float amax = q->scheme.weights == VSR_QUANT_PER_TENSOR ? all : mx;
        float ws = amax > 0.f ? amax / 127.f : 1.f;
        if (q->scheme.pow2) {
            int e;
            double fr = frexp(ws, &e);
            ws = fr == 0.5 ? ws : ldexpf(1.f, e);
        }
        for (size_t k = 0; k < per; k++) {
            size_t j = k * (size_t)cout + (size_t)o;
            float r = fminf(fmaxf(nearbyintf(w[j] * f / ws), -127.f), 127.f);
            wq[j] = fs ? r * ws / f : r * ws;
        }
        if (!q->have[xin])
            continue;
        double sb = (double)q->scale[xin] * ws; /* the int32 bias grid */
        if (!fs && nd->conv.bias) {
            size_t bo = n->woff[nd->w_first + 1] + (size_t)o;
            q->wq[bo] = (float)(nearbyint((double)n->params[bo] / sb) * sb);
        } else if (fs) {
            /* folded: b' = (b - mean) f + beta on the grid; the batch norm computes
             * f (conv + b - mean) + beta, so its beta becomes b'_q - f (b - mean) */
            const vsr_node *bn = &n->g->nodes[q->fold_bn[i]];
            float b = nd->conv.bias ? n->params[n->woff[nd->w_first + 1] + (size_t)o] : 0.f;
            float mu = n->params[n->woff[bn->w_first + 2] + (size_t)o];
            size_t bb = n->woff[bn->w_first + 1] + (size_t)o;
            float bf = (b - mu) * f + n->params[bb];
            float bq = (float)(nearbyint((double)bf / sb) * sb);
            q->wq[bb] = bq - (b - mu) * f;
        }
    }
}

void vsr_train_net_qat_refresh(vsr_train_net *n)
{
    tr_qat *q = n->qat;
    if (!q)
        return;
    const vsr_graph *g = n->g;
    /* activation parameters first: the bias grid uses the input's scale (LSQ: learned) */
    for (int i = 0; i < g->n_nodes && !q->lsq; i++)
        if (q->have[i])
            vsr_quant_from_range(&q->scheme, q->lo[i], q->hi[i], &q->scale[i], &q->zp[i]);
    memcpy(q->wq, n->params, n->n_params * sizeof(float));
    float *fs = NULL;
    for (int i = 0; i < g->n_nodes; i++) {
        const vsr_node *nd = &g->nodes[i];
        if (nd->op != VSR_OP_CONV2D)
            continue;
        int bn = q->fold_bn[i];
        if (bn >= 0) {
            int cout = n->shp[3 * i + 2];
            float *nf = realloc(fs, (size_t)cout * sizeof(float));
            if (!nf)
                continue; /* out of memory: this conv stays unquantised */
            fs = nf;
            const vsr_node *b = &g->nodes[bn];
            const float *ga = n->params + n->woff[b->w_first];
            const float *va = n->params + n->woff[b->w_first + 3];
            for (int o = 0; o < cout; o++)
                fs[o] = ga[o] / sqrtf(va[o] + b->f0);
        }
        conv_fake_quant(n, i, bn >= 0 ? fs : NULL);
    }
    free(fs);
}

void vsr_train_net_qat_mode(vsr_train_net *n, int observe, int quantise)
{
    if (n->qat) {
        n->qat->observe = observe;
        n->qat->quant = quantise;
    }
}

/* After node i's forward in slot s: observe its range, fake quantise it. */
void vsr__train_qat_node(tr_net *n, tr_slot *s, int i)
{
    tr_qat *q = n->qat;
    if (!q || !q->qnode[i] || (!q->observe && !q->quant))
        return;
    int nn = n->g->n_nodes;
    size_t si = (size_t)(s - n->slots), N = tr_node_size(n, i);
    float *y = s->act[i];
    if (q->observe) {
        float lo = INFINITY, hi = -INFINITY;
        for (size_t k = 0; k < N; k++)
            lo = fminf(lo, y[k]), hi = fmaxf(hi, y[k]);
        q->smin[si * nn + i] = lo;
        q->smax[si * nn + i] = hi;
    }
    unsigned char *m = q->mask[si * nn + i];
    if (!q->quant || !q->have[i]) {
        memset(m, 1, N);
        return;
    }
    if (q->lsq) {
        memcpy(q->pre[si * nn + i], y, N * sizeof(float));
        q->sgrad[si * nn + i] = 0;
    }
    float sc = q->scale[i];
    int zp = q->zp[i];
    for (size_t k = 0; k < N; k++) {
        int in;
        y[k] = vsr_train_fake_quant(y[k], sc, zp, &in);
        m[k] = (unsigned char)in;
    }
}

/* Before node i's backward: the clipped straight-through gradient. */
void vsr__train_qat_grad(tr_net *n, tr_slot *s, int i)
{
    tr_qat *q = n->qat;
    if (!q || !q->qnode[i] || !q->quant || !q->have[i] || !s->grad[i])
        return;
    size_t si = (size_t)(s - n->slots), N = tr_node_size(n, i);
    const unsigned char *m = q->mask[si * (size_t)n->g->n_nodes + i];
    float *d = s->grad[i];
    if (q->lsq) { /* LSQ: d / d scale over every element, scaled by 1 / sqrt(N Qp) */
        const float *v = q->pre[si * (size_t)n->g->n_nodes + i];
        int qn = -128 - q->zp[i], qp = 127 - q->zp[i];
        double acc = 0, sc = q->scale[i];
        for (size_t k = 0; k < N; k++)
            if (d[k] != 0.f)
                acc += (double)d[k] * vsr_train_lsq_scale_grad(v[k], sc, qn, qp);
        q->sgrad[si * (size_t)n->g->n_nodes + i] = acc / sqrt((double)N * (qp > 1 ? qp : 1));
    }
    for (size_t k = 0; k < N; k++)
        if (!m[k])
            d[k] = 0.f;
}

void vsr_train_net_qat_update(vsr_train_net *n, double ema, int running)
{
    tr_qat *q = n->qat;
    if (!q || !q->observe)
        return;
    const vsr_graph *g = n->g;
    int nn = g->n_nodes, ns = n->batch * n->steps;
    for (int i = 0; i < nn; i++) {
        /* every node gets a range (movement ones too, for the file); in slot order */
        if (!q->qnode[i] && !(vsr__op_def(g->nodes[i].op)->flags & VSR_OPF_MOVEMENT))
            continue;
        float lo = INFINITY, hi = -INFINITY;
        for (int s = 0; s < ns; s++) {
            if (!q->qnode[i])
                break;
            lo = fminf(lo, q->smin[(size_t)s * nn + i]);
            hi = fmaxf(hi, q->smax[(size_t)s * nn + i]);
        }
        if (!q->qnode[i] || !isfinite(lo) || !isfinite(hi))
            continue;
        if (!q->have[i]) {
            q->lo[i] = lo, q->hi[i] = hi, q->have[i] = 1;
        } else if (running) {
            q->lo[i] = fminf(q->lo[i], lo);
            q->hi[i] = fmaxf(q->hi[i], hi);
        } else {
            q->lo[i] = (float)(ema * q->lo[i] + (1 - ema) * lo);
            q->hi[i] = (float)(ema * q->hi[i] + (1 - ema) * hi);
        }
    }
    vsr_train_net_qat_refresh(n);
}

int vsr_train_net_qat_lsq_start(vsr_train_net *n, vsr_error *err)
{
    tr_qat *q = n->qat;
    if (!q || !vsr_train_net_qat_ready(n))
        return vsr_error_set(err, -EINVAL, "train net: LSQ needs QAT with every range known");
    if (q->scheme.pow2)
        return vsr_error_set(err, -EINVAL,
                             "train net: LSQ learns free scales; a pow2 scheme has fixed ones");
    if (q->lsq)
        return 0;
    int nn = n->g->n_nodes, ns = n->batch * n->steps;
    q->pre = calloc((size_t)nn * ns, sizeof(float *));
    q->sgrad = calloc((size_t)nn * ns, sizeof(double));
    if (!q->pre || !q->sgrad)
        return vsr_error_set(err, -ENOMEM, "train net: out of memory");
    for (int s = 0; s < ns; s++)
        for (int i = 0; i < nn; i++)
            if (q->qnode[i] &&
                !(q->pre[(size_t)s * nn + i] = malloc(tr_node_size(n, i) * sizeof(float))))
                return vsr_error_set(err, -ENOMEM, "train net: out of memory");
    q->lsq = 1;
    return 0;
}

float *vsr_train_net_qat_scales(vsr_train_net *n)
{
    return n->qat ? n->qat->scale : NULL;
}

void vsr_train_net_qat_lsq_grads(const vsr_train_net *n, double *g)
{
    const tr_qat *q = n->qat;
    int nn = n->g->n_nodes, ns = n->batch * n->steps;
    for (int i = 0; i < nn; i++) {
        g[i] = 0;
        for (int s = 0; q && q->lsq && q->qnode[i] && q->have[i] && s < ns; s++)
            g[i] += q->sgrad[(size_t)s * nn + i];
    }
}

int vsr_train_net_qat_ready(const vsr_train_net *n)
{
    const tr_qat *q = n->qat;
    if (!q)
        return 0;
    for (int i = 0; i < n->g->n_nodes; i++)
        if (q->qnode[i] && !q->have[i])
            return 0;
    return 1;
}

int vsr_train_net_qat_set_range(vsr_train_net *n, int t, float lo, float hi)
{
    tr_qat *q = n->qat;
    if (!q || t < 0 || t >= n->g->n_nodes || !(lo <= hi))
        return -EINVAL;
    q->lo[t] = lo, q->hi[t] = hi, q->have[t] = 1;
    vsr_quant_from_range(&q->scheme, lo, hi, &q->scale[t], &q->zp[t]);
    return 0;
}

int vsr_train_net_qat_range(const vsr_train_net *n, int t, float *lo, float *hi, float *scale,
                            int *zp)
{
    const tr_qat *q = n->qat;
    if (!q || t < 0 || t >= n->g->n_nodes || !q->have[t])
        return -ENOENT;
    *lo = q->lo[t], *hi = q->hi[t], *scale = q->scale[t], *zp = q->zp[t];
    return 0;
}

int vsr_train_net_qat_store(const vsr_train_net *n, vsr_graph *g, vsr_error *err)
{
    const tr_qat *q = n->qat;
    if (!q)
        return vsr_error_set(err, -EINVAL, "train net: QAT is not enabled");
    int nn = n->g->n_nodes;
    if (g->n_nodes != nn)
        return vsr_error_set(err, -EINVAL, "%s: not the net's graph", g->name);
    int rc = vsr_graph_set_quant_scheme(g, &q->scheme, err);
    /* every tensor gets parameters, so calibration 'file' finds none missing: a
     * quantised one its own; one the engine does not store in int8 (a movement's,
     * a fused conv's) those of its nearest input with a range */
    for (int i = 0; !rc && i < nn; i++) {
        int t = i;
        while (!q->have[t] && g->nodes[t].n_in > 0)
            t = g->nodes[t].in[0];
        float sc = q->have[t] ? q->scale[t] : 1.f;
        int zp = q->have[t] ? q->zp[t] : 0;
        rc = vsr_graph_set_quant(g, i, sc, zp, err);
    }
    return rc;
}
