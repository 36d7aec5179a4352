/*
 * Graph IR: builder, shape inference, weights by name, metadata, fusion
 * plan, arena planning and counting.
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"

const char *vsr_op_name(vsr_op_type t)
{
    return (t >= 0 && t < VSR_OP_COUNT_) ? vsr__op_def(t)->name : "?";
}

int vsr__op_is_global(vsr_op_type op)
{
    return (vsr__op_def(op)->flags & VSR_OPF_GLOBAL) != 0;
}

vsr_conv_params vsr_conv_default(int cout, int k)
{
    vsr_conv_params p;
    memset(&p, 0, sizeof(p));
    p.cout = cout;
    p.kh = p.kw = k;
    p.stride = p.dilation = p.groups = 1;
    p.bias = 1;
    p.act.type = VSR_ACT_NONE;
    return p;
}

int vsr_graph_create(const char *name, vsr_graph **out, vsr_error *err)
{
    if (!out || !name)
        return vsr_error_set(err, -EINVAL, "vsr_graph_create: NULL argument");
    *out = NULL;
    if (!*name || strlen(name) >= VSR_NAME_MAX)
        return vsr_error_set(err, -EINVAL, "graph name '%s' is empty or longer than %d", name,
                             VSR_NAME_MAX - 1);
    vsr_graph *g = calloc(1, sizeof(*g));
    if (!g)
        return vsr_error_set(err, -ENOMEM, "graph %s: out of memory", name);
    snprintf(g->name, sizeof(g->name), "%s", name);
    *out = g;
    return 0;
}

void vsr_graph_free(vsr_graph **pg)
{
    if (!pg || !*pg)
        return;
    vsr_graph *g = *pg;
    for (int i = 0; i < g->n_nodes; i++) {
        free(g->nodes[i].in);
        free(g->nodes[i].w_scales);
    }
    for (int i = 0; i < g->n_wts; i++)
        free(g->wts[i].data);
    for (int i = 0; i < g->n_meta; i++) {
        free(g->meta[i].key);
        free(g->meta[i].value);
    }
    free(g->nodes);
    free(g->wts);
    free(g->inputs);
    free(g->outputs);
    free(g->meta);
    free(g);
    *pg = NULL;
}

const char *vsr_graph_name(const vsr_graph *g)
{
    return g->name;
}

int vsr_graph_status(const vsr_graph *g, vsr_error *err)
{
    if (g->status && err) {
        err->code = g->status;
        snprintf(err->msg, sizeof(err->msg), "%s", g->status_msg);
    }
    return g->status;
}

/* Record a builder error (first one wins) and return it. */
static int fail(vsr_graph *g, vsr_error *err, int code, const char *fmt, ...) VSR_PRINTF(4, 5);
static int fail(vsr_graph *g, vsr_error *err, int code, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (!g->status) {
        g->status = code;
        snprintf(g->status_msg, sizeof(g->status_msg), "%s: %s", g->name, msg);
    }
    return vsr_error_set(err, code, "%s: %s", g->name, msg);
}

int vsr_graph_set_meta(vsr_graph *g, const char *key, const char *value, vsr_error *err)
{
    if (!key || !value || !*key || strlen(key) > 65535 || strlen(value) > 65535)
        return vsr_error_set(err, -EINVAL, "%s: bad metadata key/value", g->name);
    for (int i = 0; i < g->n_meta; i++)
        if (!strcmp(g->meta[i].key, key)) {
            char *v = strdup(value);
            if (!v)
                return vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
            free(g->meta[i].value);
            g->meta[i].value = v;
            return 0;
        }
    vsr_meta *m = realloc(g->meta, (size_t)(g->n_meta + 1) * sizeof(*m));
    if (!m)
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
    g->meta = m;
    m[g->n_meta].key = strdup(key);
    m[g->n_meta].value = strdup(value);
    if (!m[g->n_meta].key || !m[g->n_meta].value) {
        free(m[g->n_meta].key);
        free(m[g->n_meta].value);
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
    }
    g->n_meta++;
    return 0;
}

const char *vsr_graph_get_meta(const vsr_graph *g, const char *key)
{
    for (int i = 0; i < g->n_meta; i++)
        if (!strcmp(g->meta[i].key, key))
            return g->meta[i].value;
    return NULL;
}

static int find_node(const vsr_graph *g, const char *name)
{
    for (int i = 0; i < g->n_nodes; i++)
        if (!strcmp(g->nodes[i].name, name))
            return i;
    return -1;
}

int vsr__graph_find_weight(const vsr_graph *g, const char *name)
{
    for (int i = 0; i < g->n_wts; i++)
        if (!strcmp(g->wts[i].name, name))
            return i;
    return -1;
}

/* Validate name and inputs; returns 0 or the error to propagate. */
static int check_args(vsr_graph *g, const char *name, const int *ins, int n, vsr_error *err)
{
    for (int i = 0; i < n; i++)
        if (ins[i] < 0)
            return ins[i]; /* sticky: propagate the earlier failure */
    if (g->status)
        return vsr_graph_status(g, err);
    if (!name || !*name || strlen(name) >= VSR_NAME_MAX - 8)
        return fail(g, err, -EINVAL, "layer name '%s' is empty or longer than %d",
                    name ? name : "(null)", VSR_NAME_MAX - 9);
    if (find_node(g, name) >= 0)
        return fail(g, err, -EEXIST, "%s: duplicate layer name", name);
    for (int i = 0; i < n; i++)
        if (ins[i] >= g->n_nodes)
            return fail(g, err, -EINVAL, "%s: input %d is not a tensor of this graph", name,
                        ins[i]);
    return 0;
}

static int new_node(vsr_graph *g, vsr_op_type op, const char *name, const int *ins, int n,
                    vsr_error *err)
{
    if (g->n_nodes == g->cap_nodes) {
        int cap = g->cap_nodes ? 2 * g->cap_nodes : 32;
        vsr_node *nn = realloc(g->nodes, (size_t)cap * sizeof(*nn));
        if (!nn)
            return fail(g, err, -ENOMEM, "%s: out of memory", name);
        g->nodes = nn;
        g->cap_nodes = cap;
    }
    vsr_node *nd = &g->nodes[g->n_nodes];
    memset(nd, 0, sizeof(*nd));
    nd->op = op;
    snprintf(nd->name, sizeof(nd->name), "%s", name);
    if (n > 0) {
        nd->in = malloc((size_t)n * sizeof(int));
        if (!nd->in)
            return fail(g, err, -ENOMEM, "%s: out of memory", name);
        memcpy(nd->in, ins, (size_t)n * sizeof(int));
    }
    nd->n_in = n;
    nd->w_first = g->n_wts;
    return g->n_nodes++;
}

static int add_wt(vsr_graph *g, int node, const char *role, int ndim, int d0, int d1, int d2,
                  int d3, vsr_error *err)
{
    if (g->n_wts == g->cap_wts) {
        int cap = g->cap_wts ? 2 * g->cap_wts : 32;
        vsr_wt *nw = realloc(g->wts, (size_t)cap * sizeof(*nw));
        if (!nw)
            return fail(g, err, -ENOMEM, "%s: out of memory", g->nodes[node].name);
        g->wts = nw;
        g->cap_wts = cap;
    }
    vsr_wt *w = &g->wts[g->n_wts];
    memset(w, 0, sizeof(*w));
    if (snprintf(w->name, sizeof(w->name), "%s.%s", g->nodes[node].name, role) >=
        (int)sizeof(w->name))
        return fail(g, err, -EINVAL, "%s: weight name too long", g->nodes[node].name);
    w->node = node;
    w->ndim = ndim;
    int d[4] = {d0, d1, d2, d3};
    w->count = 1;
    for (int i = 0; i < ndim; i++) {
        w->dims[i] = d[i];
        w->count *= (size_t)d[i];
    }
    g->n_wts++;
    g->nodes[node].w_n++;
    return 0;
}

/* Shape of node @p nd given the shapes of all earlier nodes in shp (the op's
 * own infer(), or the shape of input 0). */
static int infer_one(const vsr_graph *g, const vsr_node *nd, const int *shp, int *o,
                     vsr_error *err)
{
    const vsr_op_def *d = vsr__op_def(nd->op);
    if (d->infer)
        return d->infer(g, nd, shp, o, err);
    memcpy(o, &shp[3 * nd->in[0]], 3 * sizeof(int));
    return 0;
}

int vsr__graph_infer(const vsr_graph *g, int h, int w, int *shp, vsr_error *err)
{
    for (int i = 0; i < g->n_nodes; i++) {
        const vsr_node *nd = &g->nodes[i];
        if (nd->op == VSR_OP_INPUT) {
            shp[3 * i] = h > 0 ? h : nd->h;
            shp[3 * i + 1] = w > 0 ? w : nd->w;
            shp[3 * i + 2] = nd->c;
            continue;
        }
        int rc = infer_one(g, nd, shp, &shp[3 * i], err);
        if (rc)
            return rc;
        if (shp[3 * i] < 1 || shp[3 * i + 1] < 1 || shp[3 * i + 2] < 1)
            return vsr_error_set(err, -EINVAL, "%s: %s: empty output shape", g->name, nd->name);
    }
    return 0;
}

/* Finish a new node: infer its nominal shape; on failure drop it. */
static int finish(vsr_graph *g, int id, vsr_error *err)
{
    vsr_node *nd = &g->nodes[id];
    int *shp = malloc((size_t)3 * (size_t)g->n_nodes * sizeof(int));
    if (!shp)
        return fail(g, err, -ENOMEM, "%s: out of memory", nd->name);
    for (int i = 0; i < id; i++) {
        shp[3 * i] = g->nodes[i].h;
        shp[3 * i + 1] = g->nodes[i].w;
        shp[3 * i + 2] = g->nodes[i].c;
    }
    vsr_error e2;
    int rc = infer_one(g, nd, shp, &shp[3 * id], &e2);
    if (!rc) {
        nd->h = shp[3 * id];
        nd->w = shp[3 * id + 1];
        nd->c = shp[3 * id + 2];
    }
    free(shp);
    if (rc) {
        /* the message already names graph and layer */
        if (!g->status) {
            g->status = rc;
            snprintf(g->status_msg, sizeof(g->status_msg), "%s", e2.msg);
        }
        if (err)
            *err = e2;
        return rc;
    }
    return id;
}

int vsr_graph_input(vsr_graph *g, const char *name, int h, int w, int c, vsr_error *err)
{
    int rc = check_args(g, name, NULL, 0, err);
    if (rc)
        return rc;
    if (h < 1 || w < 1 || c < 1)
        return fail(g, err, -EINVAL, "input %s: bad shape %dx%dx%d", name, h, w, c);
    if (g->n_inputs > 0) {
        const vsr_node *i0 = &g->nodes[g->inputs[0]];
        if (i0->h != h || i0->w != w)
            return fail(g, err, -EINVAL, "input %s: %dx%d differs from input %s %dx%d", name, h,
                        w, i0->name, i0->h, i0->w);
    }
    int *ni = realloc(g->inputs, (size_t)(g->n_inputs + 1) * sizeof(int));
    if (!ni)
        return fail(g, err, -ENOMEM, "input %s: out of memory", name);
    g->inputs = ni;
    int id = new_node(g, VSR_OP_INPUT, name, NULL, 0, err);
    if (id < 0)
        return id;
    vsr_node *nd = &g->nodes[id];
    nd->h = h, nd->w = w, nd->c = c;
    nd->has_range = 1, nd->r_lo = 0.f, nd->r_hi = 255.f;
    g->inputs[g->n_inputs++] = id;
    return id;
}

int vsr_graph_output(vsr_graph *g, const char *name, int t, vsr_error *err)
{
    if (t < 0)
        return t;
    if (g->status)
        return vsr_graph_status(g, err);
    if (t >= g->n_nodes || !name || !*name || strlen(name) >= VSR_NAME_MAX)
        return fail(g, err, -EINVAL, "output '%s': bad tensor id %d or name", name ? name : "",
                    t);
    vsr_gout *no = realloc(g->outputs, (size_t)(g->n_outputs + 1) * sizeof(*no));
    if (!no)
        return fail(g, err, -ENOMEM, "output %s: out of memory", name);
    g->outputs = no;
    snprintf(no[g->n_outputs].name, VSR_NAME_MAX, "%s", name);
    no[g->n_outputs].t = t;
    return g->n_outputs++;
}

int vsr_graph_set_range(vsr_graph *g, int t, float lo, float hi, vsr_error *err)
{
    if (t < 0 || t >= g->n_nodes || !(lo < hi) || !isfinite(lo) || !isfinite(hi))
        return vsr_error_set(err, -EINVAL, "%s: set_range: bad tensor %d or range [%g, %g]",
                             g->name, t, lo, hi);
    g->nodes[t].has_range = 1;
    g->nodes[t].r_lo = lo;
    g->nodes[t].r_hi = hi;
    return 0;
}

static int check_act(vsr_graph *g, const char *name, const vsr_act *a, vsr_error *err)
{
    if (a->type < VSR_ACT_NONE || a->type > VSR_ACT_SIGMOID)
        return fail(g, err, -EINVAL, "%s: unknown activation %d", name, (int)a->type);
    if (a->type == VSR_ACT_CLIP && !(a->lo < a->hi))
        return fail(g, err, -EINVAL, "%s: clip bounds [%g, %g] are empty", name, a->lo, a->hi);
    if (a->type == VSR_ACT_LEAKY_RELU && !isfinite(a->alpha))
        return fail(g, err, -EINVAL, "%s: leaky slope is not finite", name);
    return 0;
}

int vsr_graph_conv2d(vsr_graph *g, const char *name, int x, const vsr_conv_params *p,
                     vsr_error *err)
{
    int rc = check_args(g, name, &x, 1, err);
    if (rc)
        return rc;
    if (!p || p->cout < 1 || p->kh < 1 || p->kw < 1 || p->stride < 1 || p->dilation < 1 ||
        p->groups < 1)
        return fail(g, err, -EINVAL,
                    "%s: unsupported conv parameters (cout, kernel, stride, dilation, groups "
                    "must be >= 1)",
                    name);
    if ((rc = check_act(g, name, &p->act, err)))
        return rc;
    int cin = g->nodes[x].c;
    if (cin % p->groups || p->cout % p->groups)
        return fail(g, err, -EINVAL,
                    "%s: %d input / %d output channels not divisible by groups %d", name, cin,
                    p->cout, p->groups);
    int id = new_node(g, VSR_OP_CONV2D, name, &x, 1, err);
    if (id < 0)
        return id;
    g->nodes[id].conv = *p;
    if ((rc = add_wt(g, id, "weight", 4, p->kh, p->kw, cin / p->groups, p->cout, err)))
        return rc;
    if (p->bias && (rc = add_wt(g, id, "bias", 1, p->cout, 0, 0, 0, err)))
        return rc;
    if (p->act.type == VSR_ACT_PRELU &&
        (rc = add_wt(g, id, "alpha", 1, p->act.prelu_shared ? 1 : p->cout, 0, 0, 0, err)))
        return rc;
    return finish(g, id, err);
}

int vsr_graph_activation(vsr_graph *g, const char *name, int x, const vsr_act *act,
                         vsr_error *err)
{
    int rc = check_args(g, name, &x, 1, err);
    if (rc)
        return rc;
    if ((rc = check_act(g, name, act, err)))
        return rc;
    static const vsr_op_type map[] = {
        [VSR_ACT_NONE] = VSR_OP_SCALE,
        [VSR_ACT_RELU] = VSR_OP_RELU,
        [VSR_ACT_LEAKY_RELU] = VSR_OP_LEAKY_RELU,
        [VSR_ACT_PRELU] = VSR_OP_PRELU,
        [VSR_ACT_CLIP] = VSR_OP_CLIP,
        [VSR_ACT_SIGMOID] = VSR_OP_SIGMOID,
    };
    int id = new_node(g, map[act->type], name, &x, 1, err);
    if (id < 0)
        return id;
    vsr_node *nd = &g->nodes[id];
    nd->act = *act;
    if (act->type == VSR_ACT_NONE)
        nd->f0 = 1.f, nd->f1 = 0.f;
    if (act->type == VSR_ACT_PRELU) {
        nd->i0 = act->prelu_shared;
        if ((rc = add_wt(g, id, "alpha", 1, act->prelu_shared ? 1 : g->nodes[x].c, 0, 0, 0,
                         err)))
            return rc;
    }
    if (act->type == VSR_ACT_CLIP) {
        nd->has_range = 1;
        nd->r_lo = act->lo;
        nd->r_hi = act->hi;
    }
    return finish(g, id, err);
}

int vsr_graph_relu(vsr_graph *g, const char *name, int x, vsr_error *err)
{
    vsr_act a = {.type = VSR_ACT_RELU};
    return vsr_graph_activation(g, name, x, &a, err);
}

int vsr_graph_leaky_relu(vsr_graph *g, const char *name, int x, float alpha, vsr_error *err)
{
    vsr_act a = {.type = VSR_ACT_LEAKY_RELU, .alpha = alpha};
    return vsr_graph_activation(g, name, x, &a, err);
}

int vsr_graph_prelu(vsr_graph *g, const char *name, int x, int shared, vsr_error *err)
{
    vsr_act a = {.type = VSR_ACT_PRELU, .prelu_shared = shared ? 1 : 0};
    return vsr_graph_activation(g, name, x, &a, err);
}

int vsr_graph_sigmoid(vsr_graph *g, const char *name, int x, vsr_error *err)
{
    vsr_act a = {.type = VSR_ACT_SIGMOID};
    return vsr_graph_activation(g, name, x, &a, err);
}

int vsr_graph_clip(vsr_graph *g, const char *name, int x, float lo, float hi, vsr_error *err)
{
    vsr_act a = {.type = VSR_ACT_CLIP, .lo = lo, .hi = hi};
    return vsr_graph_activation(g, name, x, &a, err);
}

static int simple(vsr_graph *g, vsr_op_type op, const char *name, const int *ins, int n,
                  vsr_error *err)
{
    int rc = check_args(g, name, ins, n, err);
    if (rc)
        return rc;
    int id = new_node(g, op, name, ins, n, err);
    if (id < 0)
        return id;
    return id;
}

int vsr_graph_gelu(vsr_graph *g, const char *name, int x, vsr_error *err)
{
    int id = simple(g, VSR_OP_GELU, name, &x, 1, err);
    return id < 0 ? id : finish(g, id, err);
}

int vsr_graph_add(vsr_graph *g, const char *name, int a, int b, vsr_error *err)
{
    int ab[2] = {a, b};
    int id = simple(g, VSR_OP_ADD, name, ab, 2, err);
    return id < 0 ? id : finish(g, id, err);
}

int vsr_graph_mul(vsr_graph *g, const char *name, int a, int b, vsr_error *err)
{
    int ab[2] = {a, b};
    int id = simple(g, VSR_OP_MUL, name, ab, 2, err);
    return id < 0 ? id : finish(g, id, err);
}

int vsr_graph_scale(vsr_graph *g, const char *name, int x, float a, float b, vsr_error *err)
{
    if (!isfinite(a) || !isfinite(b))
        return x < 0 ? x : fail(g, err, -EINVAL, "%s: scale constants must be finite", name);
    int id = simple(g, VSR_OP_SCALE, name, &x, 1, err);
    if (id < 0)
        return id;
    g->nodes[id].f0 = a;
    g->nodes[id].f1 = b;
    return finish(g, id, err);
}

int vsr_graph_concat(vsr_graph *g, const char *name, int n, const int *xs, vsr_error *err)
{
    if (n < 1 || !xs)
        return fail(g, err, -EINVAL, "%s: concat needs at least one input", name);
    int id = simple(g, VSR_OP_CONCAT, name, xs, n, err);
    return id < 0 ? id : finish(g, id, err);
}

int vsr_graph_slice(vsr_graph *g, const char *name, int x, int c0, int c1, vsr_error *err)
{
    int id = simple(g, VSR_OP_SLICE, name, &x, 1, err);
    if (id < 0)
        return id;
    g->nodes[id].i0 = c0;
    g->nodes[id].i1 = c1;
    return finish(g, id, err);
}

int vsr_graph_split(vsr_graph *g, const char *name, int x, int n, const int *sizes,
                    int *out_ids, vsr_error *err)
{
    if (x < 0)
        return x;
    if (g->status)
        return vsr_graph_status(g, err);
    if (n < 1 || !sizes || !out_ids || x >= g->n_nodes)
        return fail(g, err, -EINVAL, "%s: split needs n >= 1 sizes", name);
    int sum = 0;
    for (int i = 0; i < n; i++)
        sum += sizes[i];
    if (sum != g->nodes[x].c)
        return fail(g, err, -EINVAL, "%s: split sizes sum to %d, input has %d channels", name,
                    sum, g->nodes[x].c);
    int c0 = 0;
    for (int i = 0; i < n; i++) {
        char nm[VSR_NAME_MAX + 16];
        snprintf(nm, sizeof(nm), "%s:%d", name, i);
        int id = vsr_graph_slice(g, nm, x, c0, c0 + sizes[i], err);
        if (id < 0)
            return id;
        out_ids[i] = id;
        c0 += sizes[i];
    }
    return 0;
}

int vsr_graph_channel_shuffle(vsr_graph *g, const char *name, int x, int groups, vsr_error *err)
{
    int id = simple(g, VSR_OP_CHANNEL_SHUFFLE, name, &x, 1, err);
    if (id < 0)
        return id;
    g->nodes[id].i0 = groups;
    return finish(g, id, err);
}

static int factor_op(vsr_graph *g, vsr_op_type op, const char *name, int x, int f,
                     vsr_error *err)
{
    int id = simple(g, op, name, &x, 1, err);
    if (id < 0)
        return id;
    if (f < 1 || f > 64)
        return fail(g, err, -EINVAL, "%s: factor %d outside 1..64", name, f);
    g->nodes[id].i0 = f;
    return finish(g, id, err);
}

int vsr_graph_depth_to_space(vsr_graph *g, const char *name, int x, int r, vsr_error *err)
{
    return factor_op(g, VSR_OP_DEPTH_TO_SPACE, name, x, r, err);
}

int vsr_graph_resize_bilinear(vsr_graph *g, const char *name, int x, int factor, vsr_error *err)
{
    return factor_op(g, VSR_OP_RESIZE_BILINEAR, name, x, factor, err);
}

int vsr_graph_resize_nearest(vsr_graph *g, const char *name, int x, int factor, vsr_error *err)
{
    return factor_op(g, VSR_OP_RESIZE_NEAREST, name, x, factor, err);
}

static int norm_op(vsr_graph *g, vsr_op_type op, const char *name, int x, float eps,
                   vsr_error *err)
{
    int id = simple(g, op, name, &x, 1, err);
    if (id < 0)
        return id;
    if (!(eps > 0) || !isfinite(eps))
        return fail(g, err, -EINVAL, "%s: eps must be > 0", name);
    int c = g->nodes[x].c, rc;
    g->nodes[id].f0 = eps;
    if ((rc = add_wt(g, id, "gamma", 1, c, 0, 0, 0, err)) ||
        (rc = add_wt(g, id, "beta", 1, c, 0, 0, 0, err)))
        return rc;
    if (op == VSR_OP_BATCH_NORM && ((rc = add_wt(g, id, "mean", 1, c, 0, 0, 0, err)) ||
                                    (rc = add_wt(g, id, "var", 1, c, 0, 0, 0, err))))
        return rc;
    return finish(g, id, err);
}

int vsr_graph_layer_norm(vsr_graph *g, const char *name, int x, float eps, vsr_error *err)
{
    return norm_op(g, VSR_OP_LAYER_NORM, name, x, eps, err);
}

int vsr_graph_batch_norm(vsr_graph *g, const char *name, int x, float eps, vsr_error *err)
{
    return norm_op(g, VSR_OP_BATCH_NORM, name, x, eps, err);
}

int vsr_graph_global_avg_pool(vsr_graph *g, const char *name, int x, vsr_error *err)
{
    int id = simple(g, VSR_OP_GLOBAL_AVG_POOL, name, &x, 1, err);
    return id < 0 ? id : finish(g, id, err);
}

int vsr_graph_global_std_pool(vsr_graph *g, const char *name, int x, vsr_error *err)
{
    int id = simple(g, VSR_OP_GLOBAL_STD_POOL, name, &x, 1, err);
    return id < 0 ? id : finish(g, id, err);
}

int vsr_graph_softmax(vsr_graph *g, const char *name, int x, vsr_error *err)
{
    int id = simple(g, VSR_OP_SOFTMAX, name, &x, 1, err);
    return id < 0 ? id : finish(g, id, err);
}

int vsr_graph_matmul_tn(vsr_graph *g, const char *name, int k, int q, float alpha,
                        vsr_error *err)
{
    int kq[2] = {k, q};
    int id = simple(g, VSR_OP_MATMUL_TN, name, kq, 2, err);
    if (id < 0)
        return id;
    g->nodes[id].f0 = alpha;
    return finish(g, id, err);
}

int vsr_graph_matmul_pixels(vsr_graph *g, const char *name, int v, int a, vsr_error *err)
{
    int va[2] = {v, a};
    int id = simple(g, VSR_OP_MATMUL_PIXELS, name, va, 2, err);
    return id < 0 ? id : finish(g, id, err);
}

/* ---- weights --------------------------------------------------------- */

int vsr_graph_set_weight(vsr_graph *g, const char *name, const float *data, size_t count,
                         vsr_error *err)
{
    int i = name ? vsr__graph_find_weight(g, name) : -1;
    if (i < 0)
        return vsr_error_set(err, -ENOENT, "%s: no weight named '%s'", g->name,
                             name ? name : "(null)");
    vsr_wt *w = &g->wts[i];
    if (count != w->count || !data)
        return vsr_error_set(err, -EINVAL, "%s: weight %s has %zu values, expected %zu",
                             g->name, name, count, w->count);
    for (size_t k = 0; k < count; k++)
        if (!isfinite(data[k]))
            return vsr_error_set(
                err, -EINVAL, "%s: layer %s: weight %s[%zu] is %s; fix the weights file",
                g->name, g->nodes[w->node].name, name, k, isnan(data[k]) ? "NaN" : "inf");
    if (!w->data) {
        w->data = malloc(count * sizeof(float));
        if (!w->data)
            return vsr_error_set(err, -ENOMEM, "%s: weight %s: out of memory", g->name, name);
    }
    memcpy(w->data, data, count * sizeof(float));
    return 0;
}

int vsr_graph_get_weight(const vsr_graph *g, const char *name, const float **data,
                         size_t *count, vsr_error *err)
{
    int i = name ? vsr__graph_find_weight(g, name) : -1;
    if (i < 0)
        return vsr_error_set(err, -ENOENT, "%s: no weight named '%s'", g->name,
                             name ? name : "(null)");
    *data = g->wts[i].data;
    *count = g->wts[i].count;
    return 0;
}

int vsr_graph_weight_count(const vsr_graph *g)
{
    return g->n_wts;
}

int vsr_graph_weight_info(const vsr_graph *g, int i, vsr_weight_info *info)
{
    if (i < 0 || i >= g->n_wts)
        return -EINVAL;
    const vsr_wt *w = &g->wts[i];
    info->name = w->name;
    info->ndim = w->ndim;
    memcpy(info->dims, w->dims, sizeof(info->dims));
    info->count = w->count;
    info->is_set = w->data != NULL;
    return 0;
}

int vsr_graph_check_weights(const vsr_graph *g, vsr_error *err)
{
    if (g->status)
        return vsr_graph_status(g, err);
    for (int i = 0; i < g->n_wts; i++)
        if (!g->wts[i].data)
            return vsr_error_set(err, -EINVAL, "%s: layer %s: weight %s is not set", g->name,
                                 g->nodes[g->wts[i].node].name, g->wts[i].name);
    return 0;
}

/* ---- quantization parameters ---------------------------------------- */

int vsr_graph_set_quant(vsr_graph *g, int t, float scale, int zero_point, vsr_error *err)
{
    if (t < 0 || t >= g->n_nodes)
        return vsr_error_set(err, -EINVAL, "%s: set_quant: bad tensor id %d", g->name, t);
    if (!(scale > 0) || !isfinite(scale) || zero_point < -128 || zero_point > 127)
        return vsr_error_set(err, -EINVAL, "%s: %s: bad quantization scale %g / zero point %d",
                             g->name, g->nodes[t].name, scale, zero_point);
    vsr_node *nd = &g->nodes[t];
    nd->q_fixed = nd->q_set = 1;
    nd->q_scale = scale;
    nd->q_zp = zero_point;
    return 0;
}

int vsr_graph_get_quant(const vsr_graph *g, int t, float *scale, int *zero_point,
                        vsr_error *err)
{
    if (t < 0 || t >= g->n_nodes)
        return vsr_error_set(err, -EINVAL, "%s: get_quant: bad tensor id %d", g->name, t);
    if (!g->nodes[t].q_set)
        return vsr_error_set(err, -ENOENT, "%s: %s has no quantization parameters", g->name,
                             g->nodes[t].name);
    *scale = g->nodes[t].q_scale;
    *zero_point = g->nodes[t].q_zp;
    return 0;
}

int vsr_graph_set_weight_scales(vsr_graph *g, const char *layer, const float *scales, int n,
                                vsr_error *err)
{
    int i = layer ? find_node(g, layer) : -1;
    if (i < 0 || g->nodes[i].op != VSR_OP_CONV2D)
        return vsr_error_set(err, -ENOENT, "%s: no conv layer named '%s'", g->name,
                             layer ? layer : "(null)");
    vsr_node *nd = &g->nodes[i];
    if (n != nd->conv.cout)
        return vsr_error_set(err, -EINVAL,
                             "%s: %s: %d weight scales given, layer has %d outputs", g->name,
                             layer, n, nd->conv.cout);
    for (int k = 0; k < n; k++)
        if (!(scales[k] > 0) || !isfinite(scales[k]))
            return vsr_error_set(err, -EINVAL, "%s: %s: weight scale %d is %g", g->name, layer,
                                 k, scales[k]);
    float *s = malloc((size_t)n * sizeof(float));
    if (!s)
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
    memcpy(s, scales, (size_t)n * sizeof(float));
    free(nd->w_scales);
    nd->w_scales = s;
    nd->n_w_scales = n;
    return 0;
}

int vsr_graph_copy_quant(const vsr_graph *src, vsr_graph *dst, vsr_error *err)
{
    if (src->n_nodes != dst->n_nodes)
        return vsr_error_set(err, -EINVAL,
                             "%s has %d tensors, %s has %d: not the same op sequence",
                             src->name, src->n_nodes, dst->name, dst->n_nodes);
    for (int i = 0; i < src->n_nodes; i++) {
        const vsr_node *a = &src->nodes[i], *b = &dst->nodes[i];
        if (a->op != b->op || a->c != b->c || a->n_in != b->n_in)
            return vsr_error_set(
                err, -EINVAL,
                "tensor %d: %s of %s (%s, %d channels) does not match %s of %s "
                "(%s, %d channels)",
                i, a->name, src->name, vsr_op_name(a->op), a->c, b->name, dst->name,
                vsr_op_name(b->op), b->c);
    }
    int n = 0, rc;
    for (int i = 0; i < src->n_nodes; i++) {
        const vsr_node *a = &src->nodes[i];
        if (a->q_fixed) {
            if ((rc = vsr_graph_set_quant(dst, i, a->q_scale, a->q_zp, err)))
                return rc;
            n++;
        }
        if (a->w_scales && (rc = vsr_graph_set_weight_scales(dst, dst->nodes[i].name,
                                                             a->w_scales, a->n_w_scales, err)))
            return rc;
    }
    return n;
}

int vsr_graph_quant_missing(const vsr_graph *g)
{
    for (int i = 0; i < g->n_nodes; i++)
        if (!g->nodes[i].q_fixed)
            return i;
    return -1;
}

void vsr_graph_clear_quant(vsr_graph *g)
{
    for (int i = 0; i < g->n_nodes; i++) {
        vsr_node *nd = &g->nodes[i];
        nd->q_fixed = nd->q_set = 0;
        free(nd->w_scales);
        nd->w_scales = NULL;
        nd->n_w_scales = 0;
    }
}

/* ---- fusion plan ------------------------------------------------------ */

static int is_fusable_act(const vsr_node *nd)
{
    return (vsr__op_def(nd->op)->flags & VSR_OPF_CONV_ACT) != 0;
}

/* The single consumer of tensor t, or -1. */
static int only_consumer(const vsr_graph *g, const vsr_plan *p, int t)
{
    if (p->n_consumers[t] != 1 || p->is_output[t])
        return -1;
    for (int i = t + 1; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_in; k++)
            if (g->nodes[i].in[k] == t)
                return i;
    return -1;
}

int vsr__plan_build(const vsr_graph *g, vsr_plan *p, vsr_error *err)
{
    int n = g->n_nodes;
    memset(p, 0, sizeof(*p));
    p->n = n;
    p->exec = calloc((size_t)n + 1, sizeof(int));
    p->dst = calloc((size_t)n + 1, sizeof(int));
    p->fold_bn = calloc((size_t)n + 1, sizeof(int));
    p->fuse_act = calloc((size_t)n + 1, sizeof(int));
    p->n_consumers = calloc((size_t)n + 1, sizeof(int));
    p->is_output = calloc((size_t)n + 1, sizeof(int));
    if (!p->exec || !p->dst || !p->fold_bn || !p->fuse_act || !p->n_consumers ||
        !p->is_output) {
        vsr__plan_free(p);
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
    }
    for (int i = 0; i < n; i++) {
        p->exec[i] = 1;
        p->dst[i] = i;
        p->fold_bn[i] = p->fuse_act[i] = -1;
        for (int k = 0; k < g->nodes[i].n_in; k++)
            p->n_consumers[g->nodes[i].in[k]]++;
    }
    for (int i = 0; i < g->n_outputs; i++)
        p->is_output[g->outputs[i].t] = 1;
    for (int i = 0; i < n; i++) {
        const vsr_node *nd = &g->nodes[i];
        if (nd->op != VSR_OP_CONV2D || nd->conv.act.type != VSR_ACT_NONE || !p->exec[i])
            continue;
        int last = i;
        int c = only_consumer(g, p, last);
        if (c >= 0 && g->nodes[c].op == VSR_OP_BATCH_NORM) {
            p->fold_bn[i] = c;
            p->exec[c] = 0;
            last = c;
            c = only_consumer(g, p, last);
        }
        if (c >= 0 && is_fusable_act(&g->nodes[c])) {
            p->fuse_act[i] = c;
            p->exec[c] = 0;
            last = c;
        }
        p->dst[i] = last;
    }
    return 0;
}

void vsr__plan_free(vsr_plan *p)
{
    free(p->exec);
    free(p->dst);
    free(p->fold_bn);
    free(p->fuse_act);
    free(p->n_consumers);
    free(p->is_output);
    free(p->xin);
    memset(p, 0, sizeof(*p));
}

/*
 * Greedy first-fit arena: tensors in execution order, each lives from its
 * producer's step to its last consumer's step (outputs and inputs: whole run).
 */
int vsr__arena_plan(const vsr_graph *g, const vsr_plan *p, const int *shp,
                    const size_t *elem_size, const int *blocked, size_t *offsets, size_t *total,
                    vsr_error *err)
{
    int n = g->n_nodes;
    int *birth = malloc((size_t)(n + 1) * sizeof(int));
    int *death = malloc((size_t)(n + 1) * sizeof(int));
    size_t *size = malloc((size_t)(n + 1) * sizeof(size_t));
    int *live = malloc((size_t)(n + 1) * sizeof(int));
    int rc = 0;
    if (!birth || !death || !size || !live) {
        rc = vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
        goto done;
    }
    for (int i = 0; i < n; i++) {
        offsets[i] = (size_t)-1;
        birth[i] = -1;
        death[i] = -1;
    }
    /* tensor t (materialized) is p->dst[i] for an executed node i */
    for (int i = 0; i < n; i++) {
        if (!p->exec[i])
            continue;
        int t = p->dst[i];
        birth[t] = g->nodes[i].op == VSR_OP_INPUT ? 0 : i;
        size[t] = blocked && blocked[t]
                      ? (size_t)shp[3 * t] * vsr_pl_row_bytes(shp[3 * t + 1], shp[3 * t + 2])
                      : (size_t)shp[3 * t] * (size_t)shp[3 * t + 1] * (size_t)shp[3 * t + 2] *
                            elem_size[t];
        size[t] = (size[t] + 63) & ~(size_t)63;
        death[t] = p->is_output[t] ? n : birth[t];
    }
    for (int i = 0; i < n; i++) {
        if (!p->exec[i])
            continue;
        for (int k = 0; k < g->nodes[i].n_in; k++) {
            int t = g->nodes[i].in[k];
            if (death[t] < i)
                death[t] = i;
        }
        for (int k = 0; p->xin && k < 2; k++) { /* inputs of an engine-fused tail */
            int t = p->xin[2 * i + k];
            if (t >= 0 && death[t] < i)
                death[t] = i;
        }
    }
    size_t peak = 0;
    int n_live = 0;
    for (int i = 0; i < n; i++) {
        if (birth[i] < 0)
            continue;
        /* place tensor i at the lowest offset not overlapping live tensors */
        int m = 0;
        for (int k = 0; k < n_live; k++)
            if (death[live[k]] >= birth[i])
                live[m++] = live[k];
        n_live = m;
        size_t off = 0;
        for (int changed = 1; changed;) {
            changed = 0;
            for (int k = 0; k < n_live; k++) {
                size_t o2 = offsets[live[k]], s2 = size[live[k]];
                if (off < o2 + s2 && o2 < off + size[i]) {
                    off = o2 + s2;
                    changed = 1;
                }
            }
        }
        offsets[i] = off;
        live[n_live++] = i;
        if (off + size[i] > peak)
            peak = off + size[i];
    }
    *total = peak;
done:
    free(birth);
    free(death);
    free(size);
    free(live);
    return rc;
}

/* ---- counting ----------------------------------------------------------- */

static int64_t node_params(const vsr_graph *g, const vsr_plan *p, int i, int keras)
{
    const vsr_node *nd = &g->nodes[i];
    int64_t n = 0;
    for (int k = 0; k < nd->w_n; k++)
        n += (int64_t)g->wts[nd->w_first + k].count;
    if (nd->op == VSR_OP_BATCH_NORM && !keras) {
        /* folded: 0 extra (the conv had a bias or gains one: count Cout once) */
        int folded = 0;
        for (int c = 0; c < g->n_nodes && p; c++)
            if (p->fold_bn[c] == i) {
                folded = 1;
                if (!g->nodes[c].conv.bias)
                    return nd->c;
            }
        return folded ? 0 : 2 * (int64_t)nd->c;
    }
    return n;
}

static int64_t node_macs(const vsr_graph *g, int i, const int *shp)
{
    const vsr_node *nd = &g->nodes[i];
    const vsr_op_def *d = vsr__op_def(nd->op);
    return d->macs ? d->macs(nd, shp, &shp[3 * i]) : 0;
}

static void node_desc(const vsr_graph *g, int i, const int *shp, char *buf, size_t cap)
{
    const vsr_node *nd = &g->nodes[i];
    const vsr_op_def *d = vsr__op_def(nd->op);
    buf[0] = 0;
    if (d->desc)
        d->desc(nd, shp, buf, cap);
}

int vsr_graph_layer_count(const vsr_graph *g)
{
    return g->n_nodes;
}

int vsr_graph_node_view(const vsr_graph *g, int i, vsr_node_view *out)
{
    if (!g || i < 0 || i >= g->n_nodes)
        return -EINVAL;
    const vsr_node *nd = &g->nodes[i];
    memset(out, 0, sizeof(*out));
    out->op = nd->op;
    out->name = nd->name;
    out->inputs = nd->in;
    out->n_inputs = nd->n_in;
    out->h = nd->h, out->w = nd->w, out->c = nd->c;
    /* the node's parameters as the builders stored them (see the fields' notes) */
    out->conv = nd->conv;
    out->act = nd->act;
    out->f[0] = nd->f0, out->f[1] = nd->f1;
    out->i[0] = nd->i0, out->i[1] = nd->i1;
    return 0;
}

static int count_impl(const vsr_graph *g, int h, int w, vsr_precision prec, vsr_graph_stats *s,
                      int layer, vsr_layer_info *info, vsr_error *err)
{
    int n = g->n_nodes, rc;
    vsr_plan p;
    int *shp = malloc((size_t)(3 * n + 3) * sizeof(int));
    size_t *esz = malloc((size_t)(n + 1) * sizeof(size_t));
    size_t *off = malloc((size_t)(n + 1) * sizeof(size_t));
    if (!shp || !esz || !off) {
        free(shp), free(esz), free(off);
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
    }
    if (g->status) {
        rc = vsr_graph_status(g, err);
        goto done0;
    }
    if ((rc = vsr__graph_infer(g, h, w, shp, err)))
        goto done0;
    if ((rc = vsr__plan_build(g, &p, err)))
        goto done0;
    if (info) {
        memset(info, 0, sizeof(*info));
        const vsr_node *nd = &g->nodes[layer];
        info->name = nd->name;
        info->op = nd->op;
        info->h = shp[3 * layer], info->w = shp[3 * layer + 1], info->c = shp[3 * layer + 2];
        info->params = node_params(g, NULL, layer, 1);
        info->macs = node_macs(g, layer, shp);
        info->activations = nd->op == VSR_OP_INPUT ? 0 : (int64_t)info->h * info->w * info->c;
        node_desc(g, layer, shp, info->desc, sizeof(info->desc));
    }
    if (s) {
        memset(s, 0, sizeof(*s));
        s->tile_exact = 1;
        for (int i = 0; i < n; i++) {
            const vsr_node *nd = &g->nodes[i];
            s->params += node_params(g, &p, i, 0);
            s->params_keras += node_params(g, &p, i, 1);
            s->macs += node_macs(g, i, shp);
            if (nd->op != VSR_OP_INPUT) {
                int64_t a = (int64_t)shp[3 * i] * shp[3 * i + 1] * shp[3 * i + 2];
                s->activations += a;
                if (nd->op == VSR_OP_CONV2D) {
                    s->conv_activations += a;
                    s->n_conv++;
                }
            }
            if (vsr__op_is_global(nd->op))
                s->tile_exact = 0;
            esz[i] = prec == VSR_PREC_FP32                             ? 4
                     : prec == VSR_PREC_FP16 || prec == VSR_PREC_FP16N ? 2
                                                                       : 1;
            if (prec == VSR_PREC_INT8 &&
                (nd->op == VSR_OP_MATMUL_TN || nd->op == VSR_OP_SOFTMAX))
                esz[i] = 4;
        }
        s->n_layers = n;
        /* INT8: the engine may store a conv's output row-blocked (ops/conv.c,
         * vsr__conv_layouts: VNNI, 4-channel groups, padded rows); count the rows
         * that way wherever it might, so the peak is an upper bound on every CPU */
        int *blk = prec == VSR_PREC_INT8 ? calloc((size_t)n + 1, sizeof(int)) : NULL;
        for (int i = 0; blk && i < n; i++) {
            const vsr_node *nd = &g->nodes[i];
            if (p.exec[i] && nd->op == VSR_OP_CONV2D && vsr_pl_cout(nd->conv.cout))
                blk[p.dst[i]] = 1;
        }
        if (prec == VSR_PREC_INT8 && !blk)
            rc = vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
        else
            rc = vsr__arena_plan(g, &p, shp, esz, blk, off, &s->peak_scratch_bytes, err);
        free(blk);
    }
    vsr__plan_free(&p);
done0:
    free(shp), free(esz), free(off);
    return rc;
}

int vsr_graph_count(const vsr_graph *g, int h, int w, vsr_precision prec, vsr_graph_stats *s,
                    vsr_error *err)
{
    return count_impl(g, h, w, prec, s, 0, NULL, err);
}

int vsr_graph_layer_info(const vsr_graph *g, int i, int h, int w, vsr_layer_info *info,
                         vsr_error *err)
{
    if (i < 0 || i >= g->n_nodes)
        return vsr_error_set(err, -EINVAL, "%s: no layer %d", g->name, i);
    return count_impl(g, h, w, VSR_PREC_FP32, NULL, i, info, err);
}

int vsr_graph_print_table(const vsr_graph *g, int h, int w, FILE *out, vsr_error *err)
{
    vsr_graph_stats s;
    int rc = vsr_graph_count(g, h, w, VSR_PREC_FP32, &s, err);
    if (rc)
        return rc;
    fprintf(out, "| # | layer | op | out shape | params | MMAC |\n");
    fprintf(out, "|---:|---|---|---|---:|---:|\n");
    for (int i = 0; i < g->n_nodes; i++) {
        vsr_layer_info li;
        if ((rc = vsr_graph_layer_info(g, i, h, w, &li, err)))
            return rc;
        fprintf(out, "| %d | %s | %s%s%s | %dx%dx%d | %lld | %.1f |\n", i + 1, li.name,
                vsr_op_name(li.op), li.desc[0] ? " " : "", li.desc, li.h, li.w, li.c,
                (long long)li.params, (double)li.macs / 1e6);
    }
    fprintf(out,
            "| | **total** | | | %lld (Keras), %lld (BN folded) | %.1f |\n"
            "activations %lld (conv outputs %lld), peak scratch %.1f MiB (fp32)\n",
            (long long)s.params_keras, (long long)s.params, (double)s.macs / 1e6,
            (long long)s.activations, (long long)s.conv_activations,
            (double)s.peak_scratch_bytes / (1024.0 * 1024.0));
    return 0;
}

int vsr_graph_input_count(const vsr_graph *g)
{
    return g->n_inputs;
}

int vsr_graph_output_count(const vsr_graph *g)
{
    return g->n_outputs;
}

int vsr_graph_input_info(const vsr_graph *g, int i, const char **name, int *h, int *w, int *c,
                         int *tensor)
{
    if (i < 0 || i >= g->n_inputs)
        return -EINVAL;
    const vsr_node *nd = &g->nodes[g->inputs[i]];
    if (name)
        *name = nd->name;
    if (h)
        *h = nd->h;
    if (w)
        *w = nd->w;
    if (c)
        *c = nd->c;
    if (tensor)
        *tensor = g->inputs[i];
    return 0;
}

int vsr_graph_output_info(const vsr_graph *g, int i, const char **name, int *tensor)
{
    if (i < 0 || i >= g->n_outputs)
        return -EINVAL;
    if (name)
        *name = g->outputs[i].name;
    if (tensor)
        *tensor = g->outputs[i].t;
    return 0;
}

int vsr_graph_tensor_shape(const vsr_graph *g, int t, int *h, int *w, int *c)
{
    if (t < 0 || t >= g->n_nodes)
        return -EINVAL;
    *h = g->nodes[t].h, *w = g->nodes[t].w, *c = g->nodes[t].c;
    return 0;
}
