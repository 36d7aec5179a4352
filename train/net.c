/*
 * net.c: the training net over an engine graph: shapes at the patch size,
 * the flat parameter vector, per-slot activation / gradient buffers and
 * the per-element gradient buffers reduced in batch order.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train_internal.h"

static int is_frozen(const char *name, const char *const *frozen)
{
    const char *dot = strrchr(name, '.');
    if (dot && (!strcmp(dot, ".mean") || !strcmp(dot, ".var")))
        return 1;
    for (int i = 0; frozen && frozen[i]; i++)
        if (!strcmp(frozen[i], name))
            return 1;
    return 0;
}

static int bil_make(tr_bil *b, int f, int H, int W, int OH, int OW)
{
    b->yl = malloc((size_t)OH * sizeof(int));
    b->yh = malloc((size_t)OH * sizeof(int));
    b->xl = malloc((size_t)OW * sizeof(int));
    b->xh = malloc((size_t)OW * sizeof(int));
    b->yw = malloc((size_t)OH * sizeof(float));
    b->xw = malloc((size_t)OW * sizeof(float));
    if (!b->yl || !b->yh || !b->xl || !b->xh || !b->yw || !b->xw)
        return -ENOMEM;
    /* exactly the engine's float arithmetic (engine/ops/misc.c) */
    for (int pass = 0; pass < 2; pass++) {
        int O = pass ? OW : OH, S = pass ? W : H;
        int *lo = pass ? b->xl : b->yl, *hi = pass ? b->xh : b->yh;
        float *wt = pass ? b->xw : b->yw;
        for (int X = 0; X < O; X++) {
            float sx = ((float)X + 0.5f) / (float)f - 0.5f;
            if (sx < 0.f)
                sx = 0.f;
            if (sx > (float)(S - 1))
                sx = (float)(S - 1);
            lo[X] = (int)sx;
            hi[X] = lo[X] + 1 < S ? lo[X] + 1 : S - 1;
            wt[X] = sx - (float)lo[X];
        }
    }
    return 0;
}

static void bil_free(tr_bil *b)
{
    free(b->yl), free(b->yh), free(b->xl), free(b->xh), free(b->yw), free(b->xw);
}

void vsr_train_net_free(vsr_train_net **pn)
{
    if (!pn || !*pn)
        return;
    tr_net *n = *pn;
    int nn = n->g->n_nodes;
    vsr__train_qat_free(n);
    if (n->slots)
        for (int s = 0; s < n->batch * n->steps; s++) {
            tr_slot *sl = &n->slots[s];
            for (int i = 0; sl->act && i < nn; i++) {
                free(sl->act[i]);
                free(sl->pre ? sl->pre[i] : NULL);
                free(sl->grad ? sl->grad[i] : NULL);
            }
            free(sl->act), free(sl->pre), free(sl->grad), free(sl->tmp), free(sl->wt);
        }
    if (n->bil)
        for (int i = 0; i < nn; i++)
            bil_free(&n->bil[i]);
    if (n->egrad)
        for (int b = 0; b < n->batch; b++)
            free(n->egrad[b]);
    if (n->pwork != n->params)
        free(n->pwork);
    free(n->egrad), free(n->slots), free(n->bil), free(n->shp), free(n->woff);
    free(n->params), free(n->trainable_w), free(n->mask), free(n->needs), free(n->ste_clip);
    free(n->grad);
    free(n);
    *pn = NULL;
}

int vsr_train_net_create(const vsr_graph *g, int h, int w, const vsr_train_net_options *opt,
                         vsr_train_net **out, vsr_error *err)
{
    *out = NULL;
    if (!g || !opt || opt->batch < 1 || opt->steps < 1 || h < 1 || w < 1)
        return vsr_error_set(err, -EINVAL, "train net: bad arguments (batch, steps, size)");
    int rc = vsr_graph_check_weights(g, err);
    if (rc)
        return rc;
    tr_net *n = calloc(1, sizeof(*n));
    if (!n)
        return vsr_error_set(err, -ENOMEM, "train net: out of memory");
    n->g = g;
    n->h = h, n->w = w, n->batch = opt->batch, n->steps = opt->steps;
    n->dbl = opt->use_double ? 1 : 0;
    n->input_grads = opt->input_grads ? 1 : 0;
    n->esz = n->dbl ? sizeof(double) : sizeof(float);
    if (!n->dbl) {
        unsigned isa = opt->force_scalar ? 0 : vsr_cpu_isa();
        vsr__train_conv_select(isa, &n->ck);
    }
    int nn = g->n_nodes, nw = g->n_wts;
    n->shp = malloc((size_t)3 * nn * sizeof(int));
    n->woff = malloc((size_t)(nw + 1) * sizeof(size_t));
    n->trainable_w = calloc((size_t)nw + 1, 1);
    n->needs = calloc((size_t)nn, 1);
    n->ste_clip = calloc((size_t)nn, 1);
    n->bil = calloc((size_t)nn, sizeof(tr_bil));
    n->slots = calloc((size_t)n->batch * n->steps, sizeof(tr_slot));
    n->egrad = calloc((size_t)n->batch, sizeof(void *));
    if (!n->shp || !n->woff || !n->trainable_w || !n->needs || !n->ste_clip || !n->bil ||
        !n->slots || !n->egrad) {
        rc = vsr_error_set(err, -ENOMEM, "train net: out of memory");
        goto fail;
    }
    if ((rc = vsr__graph_infer(g, h, w, n->shp, err)))
        goto fail;
    size_t off = 0;
    for (int i = 0; i < nw; i++) {
        n->woff[i] = off;
        off += g->wts[i].count;
        n->trainable_w[i] = !is_frozen(g->wts[i].name, opt->frozen);
    }
    n->woff[nw] = off;
    n->n_params = off;
    n->params = malloc((off ? off : 1) * sizeof(float));
    n->mask = calloc(off ? off : 1, 1);
    n->grad = calloc(off ? off : 1, sizeof(double));
    if (!n->params || !n->mask || !n->grad) {
        rc = vsr_error_set(err, -ENOMEM, "train net: out of memory");
        goto fail;
    }
    for (int i = 0; i < nw; i++) {
        memcpy(n->params + n->woff[i], g->wts[i].data, g->wts[i].count * sizeof(float));
        memset(n->mask + n->woff[i], n->trainable_w[i], g->wts[i].count);
    }
    if (n->dbl) {
        n->pwork = malloc((off ? off : 1) * sizeof(double));
        if (!n->pwork) {
            rc = vsr_error_set(err, -ENOMEM, "train net: out of memory");
            goto fail;
        }
    } else {
        n->pwork = n->params;
    }
    vsr_train_net_params_changed(n);
    /* which node outputs need a gradient */
    for (int i = 0; i < nn; i++) {
        const vsr_node *nd = &g->nodes[i];
        int need = nd->op == VSR_OP_INPUT && n->input_grads;
        for (int k = 0; k < nd->w_n; k++)
            need |= n->trainable_w[nd->w_first + k];
        for (int k = 0; k < nd->n_in; k++)
            need |= n->needs[nd->in[k]];
        n->needs[i] = (unsigned char)need;
        if (nd->op == VSR_OP_RESIZE_BILINEAR) {
            const int *sa = &n->shp[3 * nd->in[0]], *so = &n->shp[3 * i];
            if (bil_make(&n->bil[i], nd->i0, sa[0], sa[1], so[0], so[1])) {
                rc = vsr_error_set(err, -ENOMEM, "train net: out of memory");
                goto fail;
            }
        }
    }
    size_t maxn = 1, maxw = 1;
    for (int i = 0; i < nn; i++) {
        maxn = tr_node_size(n, i) > maxn ? tr_node_size(n, i) : maxn;
        const vsr_node *nd = &g->nodes[i];
        if (nd->op == VSR_OP_CONV2D && nd->conv.groups == 1) {
            size_t wsz = (size_t)nd->conv.kh * nd->conv.kw * n->shp[3 * nd->in[0] + 2] *
                         n->shp[3 * i + 2];
            maxw = wsz > maxw ? wsz : maxw;
        }
    }
    for (int s = 0; s < n->batch * n->steps; s++) {
        tr_slot *sl = &n->slots[s];
        sl->act = calloc((size_t)nn, sizeof(void *));
        sl->pre = calloc((size_t)nn, sizeof(void *));
        sl->grad = calloc((size_t)nn, sizeof(void *));
        sl->tmp = malloc(maxn * n->esz);
        sl->wt = n->dbl ? NULL : malloc(maxw * sizeof(float));
        if (!sl->act || !sl->pre || !sl->grad || !sl->tmp || (!n->dbl && !sl->wt)) {
            rc = vsr_error_set(err, -ENOMEM, "train net: out of memory");
            goto fail;
        }
        for (int i = 0; i < nn; i++) {
            const vsr_node *nd = &g->nodes[i];
            size_t sz = tr_node_size(n, i);
            sl->act[i] = calloc(sz, n->esz);
            int ok = sl->act[i] != NULL;
            if (nd->op == VSR_OP_CONV2D && nd->conv.act.type != VSR_ACT_NONE)
                ok &= (sl->pre[i] = calloc(sz, n->esz)) != NULL;
            if (n->needs[i])
                ok &= (sl->grad[i] = calloc(sz, n->esz)) != NULL;
            if (!ok) {
                rc = vsr_error_set(err, -ENOMEM,
                                   "train net: out of memory for the activations of %s at "
                                   "%dx%d (batch %d x %d steps); use smaller patches",
                                   nd->name, w, h, n->batch, n->steps);
                goto fail;
            }
        }
    }
    for (int b = 0; b < n->batch; b++)
        if (!(n->egrad[b] = calloc(off ? off : 1, n->esz))) {
            rc = vsr_error_set(err, -ENOMEM, "train net: out of memory");
            goto fail;
        }
    *out = n;
    return 0;
fail:
    vsr_train_net_free(&n);
    return rc;
}

void vsr__train_net_set_ste(tr_net *n, int on)
{
    /* a clip whose output is a graph output */
    for (int k = 0; k < n->g->n_outputs; k++) {
        int t = n->g->outputs[k].t;
        if (n->g->nodes[t].op == VSR_OP_CLIP)
            n->ste_clip[t] = (unsigned char)(on ? 1 : 0);
    }
}

size_t vsr_train_net_param_count(const vsr_train_net *n)
{
    return n->n_params;
}
float *vsr_train_net_params(vsr_train_net *n)
{
    return n->params;
}
int vsr_train_net_trainable(const vsr_train_net *n, size_t i)
{
    return i < n->n_params && n->mask[i];
}
double *vsr_train_net_params_double(vsr_train_net *n)
{
    return n->dbl ? (double *)n->pwork : NULL;
}
void vsr_train_net_params_changed(vsr_train_net *n)
{
    if (n->dbl) {
        double *d = n->pwork;
        for (size_t i = 0; i < n->n_params; i++)
            d[i] = (double)n->params[i];
    }
}
size_t vsr_train_net_weight_offset(const vsr_train_net *n, int i)
{
    return n->woff[i];
}

int vsr_train_net_store(const vsr_train_net *n, vsr_graph *g, vsr_error *err)
{
    if (g->n_wts != n->g->n_wts)
        return vsr_error_set(err, -EINVAL, "%s: graph differs from the trained one", g->name);
    for (int i = 0; i < g->n_wts; i++) {
        int rc = vsr_graph_set_weight(g, g->wts[i].name, n->params + n->woff[i],
                                      g->wts[i].count, err);
        if (rc)
            return rc;
    }
    return 0;
}

static tr_slot *slot(const tr_net *n, int b, int t)
{
    if (b < 0 || b >= n->batch || t < 0 || t >= n->steps)
        return NULL;
    return &n->slots[(size_t)b * n->steps + t];
}

int vsr_train_net_forward(vsr_train_net *n, int b, int t, const float *const *inputs,
                          vsr_error *err)
{
    tr_slot *s = slot(n, b, t);
    if (!s || !inputs)
        return vsr_error_set(err, -EINVAL, "train net: slot (%d, %d) out of range", b, t);
    for (int k = 0; k < n->g->n_inputs; k++) {
        int id = n->g->inputs[k];
        size_t sz = tr_node_size(n, id);
        if (!inputs[k])
            return vsr_error_set(err, -EINVAL, "train net: input %d missing", k);
        if (n->dbl) {
            double *d = s->act[id];
            for (size_t i = 0; i < sz; i++)
                d[i] = inputs[k][i];
        } else {
            memcpy(s->act[id], inputs[k], sz * sizeof(float));
        }
    }
    vsr__train_forward(n, s);
    return 0;
}

void vsr_train_net_output_shape(const vsr_train_net *n, int k, int *h, int *w, int *c)
{
    int t = n->g->outputs[k].t;
    *h = n->shp[3 * t], *w = n->shp[3 * t + 1], *c = n->shp[3 * t + 2];
}

/* output k of slot (b, t): its activation *act (float or double as the net) and its
 * element count; -EINVAL for a bad slot or k */
static int output_act(const vsr_train_net *n, int b, int t, int k, const void **act, size_t *sz)
{
    tr_slot *s = slot(n, b, t);
    if (!s || k < 0 || k >= n->g->n_outputs)
        return -EINVAL;
    int id = n->g->outputs[k].t;
    *act = s->act[id];
    *sz = tr_node_size(n, id);
    return 0;
}

int vsr_train_net_output(const vsr_train_net *n, int b, int t, int k, double *dst, size_t *cnt)
{
    const void *act;
    size_t sz;
    if (output_act(n, b, t, k, &act, &sz))
        return -EINVAL;
    for (size_t i = 0; i < sz; i++)
        dst[i] = n->dbl ? ((const double *)act)[i] : (double)((const float *)act)[i];
    if (cnt)
        *cnt = sz;
    return 0;
}

int vsr_train_net_output_f(const vsr_train_net *n, int b, int t, int k, float *dst)
{
    const void *act;
    size_t sz;
    if (output_act(n, b, t, k, &act, &sz))
        return -EINVAL;
    for (size_t i = 0; i < sz; i++)
        dst[i] = n->dbl ? (float)((const double *)act)[i] : ((const float *)act)[i];
    return 0;
}

void vsr_train_net_zero_grad(vsr_train_net *n)
{
    for (int b = 0; b < n->batch; b++)
        memset(n->egrad[b], 0, n->n_params * n->esz);
}

int vsr_train_net_add_output_grad(vsr_train_net *n, int b, int t, int k, const double *g)
{
    tr_slot *s = slot(n, b, t);
    if (!s || k < 0 || k >= n->g->n_outputs)
        return -EINVAL;
    int id = n->g->outputs[k].t;
    if (!s->grad[id])
        return 0; /* nothing trainable upstream */
    size_t sz = tr_node_size(n, id);
    for (size_t i = 0; i < sz; i++) {
        if (n->dbl)
            ((double *)s->grad[id])[i] += g[i];
        else
            ((float *)s->grad[id])[i] += (float)g[i];
    }
    return 0;
}

int vsr_train_net_link_state(vsr_train_net *n, int b, int t, int k, int ko)
{
    tr_slot *s = slot(n, b, t), *p = slot(n, b, t - 1);
    if (!s || !p || k < 0 || k >= n->g->n_inputs || ko < 0 || ko >= n->g->n_outputs)
        return -EINVAL;
    int in = n->g->inputs[k], id = n->g->outputs[ko].t;
    if (!s->grad[in] || !p->grad[id])
        return 0;
    size_t sz = tr_node_size(n, in);
    if (sz != tr_node_size(n, id))
        return -EINVAL;
    for (size_t i = 0; i < sz; i++) {
        if (n->dbl)
            ((double *)p->grad[id])[i] += ((double *)s->grad[in])[i];
        else
            ((float *)p->grad[id])[i] += ((float *)s->grad[in])[i];
    }
    return 0;
}

int vsr_train_net_backward(vsr_train_net *n, int b, int t, vsr_error *err)
{
    tr_slot *s = slot(n, b, t);
    if (!s)
        return vsr_error_set(err, -EINVAL, "train net: slot (%d, %d) out of range", b, t);
    /* clear the gradients of every non-output node; outputs hold the seed */
    int nn = n->g->n_nodes;
    for (int i = 0; i < nn; i++) {
        int is_out = 0;
        for (int k = 0; k < n->g->n_outputs; k++)
            is_out |= n->g->outputs[k].t == i;
        if (s->grad[i] && !is_out)
            memset(s->grad[i], 0, tr_node_size(n, i) * n->esz);
    }
    vsr__train_backward(n, s, b);
    /* outputs consumed: clear them for the next pass (input grads are kept) */
    for (int k = 0; k < n->g->n_outputs; k++) {
        int id = n->g->outputs[k].t;
        if (s->grad[id] && n->g->nodes[id].op != VSR_OP_INPUT)
            memset(s->grad[id], 0, tr_node_size(n, id) * n->esz);
    }
    return 0;
}

int vsr_train_net_input_grad(const vsr_train_net *n, int b, int t, int k, double *dst)
{
    tr_slot *s = slot(n, b, t);
    if (!s || k < 0 || k >= n->g->n_inputs)
        return -EINVAL;
    int id = n->g->inputs[k];
    if (!s->grad[id])
        return -EINVAL;
    size_t sz = tr_node_size(n, id);
    for (size_t i = 0; i < sz; i++)
        dst[i] = n->dbl ? ((double *)s->grad[id])[i] : (double)((float *)s->grad[id])[i];
    return 0;
}

const double *vsr_train_net_reduce(vsr_train_net *n)
{
    memset(n->grad, 0, n->n_params * sizeof(double));
    for (int b = 0; b < n->batch; b++)
        for (size_t i = 0; i < n->n_params; i++) {
            double v = n->dbl ? ((double *)n->egrad[b])[i] : (double)((float *)n->egrad[b])[i];
            n->grad[i] += n->mask[i] ? v : 0.0;
        }
    return n->grad;
}
