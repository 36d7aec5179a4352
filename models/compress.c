/*
 * compress.c: pruning and k-means clustering as weight transforms, the
 * compressed size, the shrunk graph of a structured prune and the
 * fine-tune constraint (include/vsr/compress.h, docs/COMPRESSION.md).
 */
#include "vsr/compress.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models_internal.h"

/* ---- primitives ------------------------------------------------------------- */

typedef struct mag_idx {
    float a;  /* |w| (NaN: +inf) */
    size_t i; /* position */
} mag_idx;

static int cmp_mag(const void *pa, const void *pb)
{
    const mag_idx *a = pa, *b = pb;
    if (a->a != b->a)
        return a->a < b->a ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

static float mag(float v)
{
    return isnan(v) ? INFINITY : fabsf(v);
}

static size_t prune_count(double s, size_t n)
{
    size_t p = (size_t)floor(s * (double)n + 0.5);
    return p > n ? n : p;
}

/* keep[] for the values at ptr[k][0 .. len[k]) taken as one sequence */
static int prune_seq(const float *const *ptr, const size_t *len, int nk, double s,
                     unsigned char *const *keep)
{
    size_t n = 0;
    for (int k = 0; k < nk; k++)
        n += len[k];
    mag_idx *m = malloc((n ? n : 1) * sizeof(*m));
    if (!m)
        return -ENOMEM;
    size_t j = 0;
    for (int k = 0; k < nk; k++)
        for (size_t i = 0; i < len[k]; i++, j++)
            m[j] = (mag_idx){mag(ptr[k][i]), j};
    qsort(m, n, sizeof(*m), cmp_mag);
    size_t p = prune_count(s, n);
    for (size_t r = 0; r < n; r++) {
        size_t pos = m[r].i;
        int k = 0;
        while (pos >= len[k])
            pos -= len[k++];
        keep[k][pos] = r >= p;
    }
    free(m);
    return 0;
}

size_t vsr_compress_prune_mask(const float *w, size_t n, double s, unsigned char *keep)
{
    if (prune_seq(&w, &n, 1, s, &keep)) { /* out of memory: prune nothing */
        memset(keep, 1, n);
        return 0;
    }
    return prune_count(s, n);
}

int vsr_compress_kmeans(const float *x, size_t n, int k, int max_iter, float *centroids,
                        int *assign, int *iters, vsr_error *err)
{
    if (k < 2 || n == 0)
        return vsr_error_set(err, -EINVAL, "k-means: need k >= 2 and values (k %d, %zu values)",
                             k, n);
    int *as = assign ? assign : malloc(n * sizeof(int));
    double *sum = calloc((size_t)k, sizeof(double));
    size_t *cnt = calloc((size_t)k, sizeof(size_t));
    if (!as || !sum || !cnt) {
        if (!assign)
            free(as);
        free(sum), free(cnt);
        return vsr_error_set(err, -ENOMEM, "k-means: out of memory");
    }
    float lo = x[0], hi = x[0];
    for (size_t i = 1; i < n; i++) {
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
    }
    for (int c = 0; c < k; c++) /* TF-MOT "linear": evenly spaced over [min, max] */
        centroids[c] = (float)(lo + (double)(hi - lo) * c / (k - 1));
    int it = 0;
    for (size_t i = 0; i < n; i++)
        as[i] = -1;
    while (it < max_iter) {
        it++;
        int changed = 0;
        memset(sum, 0, (size_t)k * sizeof(double));
        memset(cnt, 0, (size_t)k * sizeof(size_t));
        for (size_t i = 0; i < n; i++) {
            int best = 0;
            float bd = fabsf(x[i] - centroids[0]);
            for (int c = 1; c < k; c++) {
                float d = fabsf(x[i] - centroids[c]);
                if (d < bd)
                    bd = d, best = c;
            }
            changed |= as[i] != best;
            as[i] = best;
            sum[best] += x[i];
            cnt[best]++;
        }
        if (!changed)
            break;
        for (int c = 0; c < k; c++)
            if (cnt[c])
                centroids[c] = (float)(sum[c] / (double)cnt[c]);
    }
    if (iters)
        *iters = it;
    if (!assign)
        free(as);
    free(sum), free(cnt);
    return 0;
}

static size_t ceil_div(size_t a, size_t b)
{
    return (a + b - 1) / b;
}

size_t vsr_compress_sparse_bytes(size_t n, size_t nnz)
{
    return ceil_div(n, 8) + 4 * nnz;
}

size_t vsr_compress_cluster_bytes(size_t n, size_t nnz, int k)
{
    int bits = 0;
    while ((1L << bits) < k)
        bits++;
    return (nnz < n ? ceil_div(n, 8) : 0) + 4 * (size_t)k + ceil_div(nnz * (size_t)bits, 8);
}

/* ---- graph helpers ------------------------------------------------------------ */

/* The conv kernel of node @p i as a mutable copy: *w (malloc'ed) of *n values. */
static int kernel_name(const vsr_graph *g, int i, char *name, vsr_node_view *v)
{
    if (vsr_graph_node_view(g, i, v) || v->op != VSR_OP_CONV2D)
        return 0;
    snprintf(name, VSR_NAME_MAX + 8, "%s.weight", v->name);
    return 1;
}

static int get_copy(const vsr_graph *g, const char *name, float **out, size_t *n,
                    vsr_error *err)
{
    const float *d;
    int rc = vsr_graph_get_weight(g, name, &d, n, err);
    if (rc)
        return rc;
    if (!d)
        return vsr_error_set(err, -EINVAL, "%s: weight not set; load the weights first", name);
    if (!(*out = malloc(*n * sizeof(float))))
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", name);
    memcpy(*out, d, *n * sizeof(float));
    return 0;
}

int vsr_compress_prune(vsr_graph *g, double s, vsr_compress_scope scope, vsr_error *err)
{
    if (!(s >= 0 && s < 1))
        return vsr_error_set(err, -EINVAL, "sparsity %g: expected a value in [0, 1)", s);
    int nl = vsr_graph_layer_count(g), nk = 0, rc = 0;
    float **w = calloc((size_t)nl + 1, sizeof(float *));
    size_t *len = calloc((size_t)nl + 1, sizeof(size_t));
    unsigned char **keep = calloc((size_t)nl + 1, sizeof(unsigned char *));
    char(*names)[VSR_NAME_MAX + 8] = calloc((size_t)nl + 1, sizeof(*names));
    if (!w || !len || !keep || !names) {
        rc = vsr_error_set(err, -ENOMEM, "pruning: out of memory");
        goto done;
    }
    for (int i = 0; i < nl; i++) {
        vsr_node_view v;
        if (!kernel_name(g, i, names[nk], &v))
            continue;
        if ((rc = get_copy(g, names[nk], &w[nk], &len[nk], err)))
            goto done;
        if (!(keep[nk] = malloc(len[nk] ? len[nk] : 1))) {
            rc = vsr_error_set(err, -ENOMEM, "pruning: out of memory");
            goto done;
        }
        nk++;
    }
    if (scope == VSR_COMPRESS_GLOBAL)
        rc = prune_seq((const float *const *)w, len, nk, s, keep);
    for (int k = 0; k < nk && !rc && scope != VSR_COMPRESS_GLOBAL; k++)
        rc = prune_seq((const float *const *)&w[k], &len[k], 1, s, &keep[k]);
    if (rc) {
        rc = vsr_error_set(err, rc, "pruning: out of memory");
        goto done;
    }
    for (int k = 0; k < nk && !rc; k++) {
        for (size_t i = 0; i < len[k]; i++)
            if (!keep[k][i])
                w[k][i] = 0.0f;
        rc = vsr_graph_set_weight(g, names[k], w[k], len[k], err);
    }
done:
    for (int k = 0; w && keep && k < nk; k++)
        free(w[k]), free(keep[k]);
    free(w), free(len), free(keep), free(names);
    return rc;
}

/* ---- structured pruning ---------------------------------------------------------- */

static int act_keeps_zero(const vsr_act *a)
{
    switch (a->type) {
    case VSR_ACT_NONE:
    case VSR_ACT_RELU:
    case VSR_ACT_LEAKY_RELU:
    case VSR_ACT_PRELU:
        return 1;
    case VSR_ACT_CLIP:
        return a->lo <= 0 && a->hi >= 0;
    default:
        return 0;
    }
}

/* A standalone activation that maps 0 to 0 channel by channel. */
static int is_passthrough(const vsr_node_view *v)
{
    switch (v->op) {
    case VSR_OP_RELU:
    case VSR_OP_LEAKY_RELU:
    case VSR_OP_PRELU:
    case VSR_OP_CLIP:
        return act_keeps_zero(&v->act);
    default:
        return 0;
    }
}

static int is_output(const vsr_graph *g, int t)
{
    for (int o = 0; o < vsr_graph_output_count(g); o++) {
        int ot;
        if (!vsr_graph_output_info(g, o, NULL, &ot) && ot == t)
            return 1;
    }
    return 0;
}

/* 1 when every consumer of tensor @p t (through pass-through activations) is a
 * dense conv; else 0 and *blocker = the blocking node (-1: a graph output). */
static int consumers_ok(const vsr_graph *g, int t, int depth, int *blocker)
{
    if (is_output(g, t)) {
        *blocker = -1;
        return 0;
    }
    int nl = vsr_graph_layer_count(g);
    for (int u = t + 1; u < nl; u++) {
        vsr_node_view v;
        if (vsr_graph_node_view(g, u, &v))
            continue;
        int reads = 0;
        for (int j = 0; j < v.n_inputs; j++)
            reads |= v.inputs[j] == t;
        if (!reads)
            continue;
        if (v.op == VSR_OP_CONV2D && v.conv.groups == 1 && v.n_inputs == 1)
            continue;
        if (is_passthrough(&v) && v.n_inputs == 1 && depth < 64 &&
            consumers_ok(g, u, depth + 1, blocker))
            continue;
        if (!(is_passthrough(&v) && v.n_inputs == 1 && depth < 64))
            *blocker = u;
        return 0;
    }
    return 1;
}

/* 1 when conv node @p i may lose output channels; else 0 and *blocker (-1: output,
 * i itself: its own activation or groups). */
static int conv_prunable(const vsr_graph *g, int i, int *blocker)
{
    vsr_node_view v;
    if (vsr_graph_node_view(g, i, &v) || v.op != VSR_OP_CONV2D)
        return 0;
    if (v.conv.groups != 1 || !act_keeps_zero(&v.conv.act)) {
        *blocker = i;
        return 0;
    }
    return consumers_ok(g, i, 0, blocker);
}

static void log_add(char *log, size_t cap, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void log_add(char *log, size_t cap, size_t *used, const char *fmt, ...)
{
    if (!log || *used >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(log + *used, cap - *used, fmt, ap);
    va_end(ap);
    if (k > 0)
        *used += (size_t)k < cap - *used ? (size_t)k : cap - *used - 1;
}

static const char *blocker_desc(const vsr_graph *g, int b, char *buf, size_t cap)
{
    vsr_node_view v;
    if (b < 0)
        snprintf(buf, cap, "a graph output");
    else if (!vsr_graph_node_view(g, b, &v))
        snprintf(buf, cap, "%s (%s)", v.name, vsr_op_name(v.op));
    else
        snprintf(buf, cap, "node %d", b);
    return buf;
}

/* Filter norms of the cout channels of an HWIO kernel of @p n values. */
static void channel_norms(const float *w, size_t n, int cout, vsr_compress_norm norm,
                          double *out)
{
    for (int o = 0; o < cout; o++)
        out[o] = 0;
    for (size_t i = 0; i < n; i++) {
        double a = w[i];
        out[i % (size_t)cout] += norm == VSR_COMPRESS_L2 ? a * a : fabs(a);
    }
    if (norm == VSR_COMPRESS_L2)
        for (int o = 0; o < cout; o++)
            out[o] = sqrt(out[o]);
}

int vsr_compress_prune_channels(vsr_graph *g, double s, vsr_compress_norm norm, char *log,
                                size_t cap, vsr_error *err)
{
    if (!(s >= 0 && s < 1))
        return vsr_error_set(err, -EINVAL, "sparsity %g: expected a value in [0, 1)", s);
    if (log && cap)
        log[0] = 0;
    size_t used = 0;
    int nl = vsr_graph_layer_count(g), pruned = 0, first_block = -2, rc = 0;
    for (int i = 0; i < nl && !rc; i++) {
        vsr_node_view v;
        char wn[VSR_NAME_MAX + 8], bn[VSR_NAME_MAX + 8], desc[VSR_NAME_MAX + 32];
        if (!kernel_name(g, i, wn, &v))
            continue;
        int blocker = -2;
        if (!conv_prunable(g, i, &blocker)) {
            if (first_block == -2)
                first_block = blocker;
            log_add(log, cap, &used, "%s: kept (%s %s)\n", v.name,
                    blocker == i ? "its groups / activation:" : "output feeds",
                    blocker_desc(g, blocker, desc, sizeof(desc)));
            continue;
        }
        const int cout = v.conv.cout;
        float *w = NULL, *b = NULL;
        double *nrm = malloc((size_t)cout * sizeof(double));
        size_t n, nb = 0;
        if (!nrm) {
            rc = vsr_error_set(err, -ENOMEM, "pruning: out of memory");
            break;
        }
        snprintf(bn, sizeof(bn), "%s.bias", v.name);
        if (!(rc = get_copy(g, wn, &w, &n, err)) &&
            !(rc = v.conv.bias ? get_copy(g, bn, &b, &nb, err) : 0)) {
            channel_norms(w, n, cout, norm, nrm);
            size_t p = prune_count(s, (size_t)cout);
            if (p > (size_t)cout - 1)
                p = (size_t)cout - 1;
            for (size_t r = 0; r < p; r++) { /* smallest norm, lower channel on ties */
                int best = -1;
                for (int o = 0; o < cout; o++)
                    if (nrm[o] >= 0 && (best < 0 || nrm[o] < nrm[best]))
                        best = o;
                nrm[best] = -1; /* removed */
            }
            for (size_t k = 0; k < n; k++)
                if (nrm[k % (size_t)cout] < 0)
                    w[k] = 0;
            for (size_t o = 0; o < nb; o++)
                if (nrm[o] < 0)
                    b[o] = 0;
            rc = vsr_graph_set_weight(g, wn, w, n, err);
            if (!rc && b)
                rc = vsr_graph_set_weight(g, bn, b, nb, err);
            log_add(log, cap, &used, "%s: %d -> %d channels\n", v.name, cout, cout - (int)p);
            pruned++;
        }
        free(w), free(b), free(nrm);
    }
    if (!rc && !pruned) {
        char desc[VSR_NAME_MAX + 32];
        return vsr_error_set(err, -ENOTSUP,
                             "%s: no conv can lose output channels (the first is blocked by "
                             "%s, which ties the channel count)",
                             vsr_graph_name(g),
                             blocker_desc(g, first_block, desc, sizeof(desc)));
    }
    return rc;
}

/* ---- the shrunk graph ------------------------------------------------------------- */

/* Channel maps per tensor: keep[t] lists the kept channels of tensor t (NULL: all). */
typedef struct chmap {
    int *idx; /* kept channel indices, n of them */
    int n;
} chmap;

/* Copy of weight @p name of @p src into @p dst with HWIO-style last-two-axes
 * selection: the weight is (outer) x I x O; keep inputs @p ki (NULL all) and
 * outputs @p ko (NULL all) of I = ci, O = co. */
static int copy_sliced(const vsr_graph *src, vsr_graph *dst, const char *name, int ci, int co,
                       const chmap *ki, const chmap *ko, vsr_error *err)
{
    const float *d;
    size_t n;
    int rc = vsr_graph_get_weight(src, name, &d, &n, err);
    if (rc)
        return rc;
    if (!d)
        return vsr_error_set(err, -EINVAL, "%s: weight not set", name);
    size_t outer = n / ((size_t)ci * co);
    int ni = ki ? ki->n : ci, no = ko ? ko->n : co;
    float *o = malloc(outer * ni * no * sizeof(float) + 1);
    if (!o)
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", name);
    size_t k = 0;
    for (size_t r = 0; r < outer; r++)
        for (int a = 0; a < ni; a++)
            for (int b = 0; b < no; b++) {
                int ia = ki ? ki->idx[a] : a, ib = ko ? ko->idx[b] : b;
                o[k++] = d[(r * ci + ia) * co + ib];
            }
    rc = vsr_graph_set_weight(dst, name, o, k, err);
    free(o);
    return rc;
}

static int rebuild_node(const vsr_graph *g, vsr_graph *ng, int i, const vsr_node_view *v,
                        const int *map, chmap *keep, vsr_error *err)
{
    int x = v->n_inputs > 0 ? map[v->inputs[0]] : -1;
    int b = v->n_inputs > 1 ? map[v->inputs[1]] : -1;
    switch (v->op) {
    case VSR_OP_INPUT:
        for (int k = 0; k < vsr_graph_input_count(g); k++) {
            const char *nm;
            int h, w, c, t;
            if (!vsr_graph_input_info(g, k, &nm, &h, &w, &c, &t) && t == i)
                return vsr_graph_input(ng, nm, h, w, c, err);
        }
        return vsr_error_set(err, -EINVAL, "%s: an input node that is no graph input", v->name);
    case VSR_OP_CONV2D: {
        vsr_conv_params p = v->conv;
        const chmap *ki = keep[v->inputs[0]].idx ? &keep[v->inputs[0]] : NULL;
        const chmap *ko = keep[i].idx ? &keep[i] : NULL;
        int cin, h, w;
        vsr_graph_tensor_shape(g, v->inputs[0], &h, &w, &cin);
        if (ko)
            p.cout = ko->n;
        int t = vsr_graph_conv2d(ng, v->name, x, &p, err);
        if (t < 0)
            return t;
        char wn[VSR_NAME_MAX + 8];
        int rc;
        snprintf(wn, sizeof(wn), "%s.weight", v->name);
        if ((rc = copy_sliced(g, ng, wn, v->conv.groups == 1 ? cin : 1, v->conv.cout, ki, ko,
                              err)))
            return rc;
        snprintf(wn, sizeof(wn), "%s.bias", v->name);
        if (v->conv.bias && (rc = copy_sliced(g, ng, wn, 1, v->conv.cout, NULL, ko, err)))
            return rc;
        snprintf(wn, sizeof(wn), "%s.alpha", v->name);
        if (v->conv.act.type == VSR_ACT_PRELU && !v->conv.act.prelu_shared &&
            (rc = copy_sliced(g, ng, wn, 1, v->conv.cout, NULL, ko, err)))
            return rc;
        return t;
    }
    case VSR_OP_RELU:
    case VSR_OP_LEAKY_RELU:
    case VSR_OP_PRELU:
    case VSR_OP_CLIP:
    case VSR_OP_SIGMOID: {
        int t = vsr_graph_activation(ng, v->name, x, &v->act, err);
        char wn[VSR_NAME_MAX + 8];
        snprintf(wn, sizeof(wn), "%s.alpha", v->name);
        if (t >= 0 && v->op == VSR_OP_PRELU && !v->act.prelu_shared) {
            int h, w, c;
            vsr_graph_tensor_shape(g, i, &h, &w, &c);
            int rc = copy_sliced(g, ng, wn, 1, c, NULL, keep[i].idx ? &keep[i] : NULL, err);
            if (rc)
                return rc;
        }
        return t;
    }
    case VSR_OP_GELU:
        return vsr_graph_gelu(ng, v->name, x, err);
    case VSR_OP_ADD:
        return vsr_graph_add(ng, v->name, x, b, err);
    case VSR_OP_MUL:
        return vsr_graph_mul(ng, v->name, x, b, err);
    case VSR_OP_SCALE:
        return vsr_graph_scale(ng, v->name, x, v->f[0], v->f[1], err);
    case VSR_OP_CONCAT: {
        int xs[64];
        if (v->n_inputs > 64)
            return vsr_error_set(err, -ENOTSUP, "%s: concat of %d inputs", v->name,
                                 v->n_inputs);
        for (int k = 0; k < v->n_inputs; k++)
            xs[k] = map[v->inputs[k]];
        return vsr_graph_concat(ng, v->name, v->n_inputs, xs, err);
    }
    case VSR_OP_SLICE:
        return vsr_graph_slice(ng, v->name, x, v->i[0], v->i[1], err);
    case VSR_OP_CHANNEL_SHUFFLE:
        return vsr_graph_channel_shuffle(ng, v->name, x, v->i[0], err);
    case VSR_OP_DEPTH_TO_SPACE:
        return vsr_graph_depth_to_space(ng, v->name, x, v->i[0], err);
    case VSR_OP_RESIZE_BILINEAR:
        return vsr_graph_resize_bilinear(ng, v->name, x, v->i[0], err);
    case VSR_OP_RESIZE_NEAREST:
        return vsr_graph_resize_nearest(ng, v->name, x, v->i[0], err);
    case VSR_OP_LAYER_NORM:
        return vsr_graph_layer_norm(ng, v->name, x, v->f[0], err);
    case VSR_OP_BATCH_NORM:
        return vsr_graph_batch_norm(ng, v->name, x, v->f[0], err);
    case VSR_OP_GLOBAL_AVG_POOL:
        return vsr_graph_global_avg_pool(ng, v->name, x, err);
    case VSR_OP_GLOBAL_STD_POOL:
        return vsr_graph_global_std_pool(ng, v->name, x, err);
    case VSR_OP_SOFTMAX:
        return vsr_graph_softmax(ng, v->name, x, err);
    case VSR_OP_MATMUL_TN:
        return vsr_graph_matmul_tn(ng, v->name, x, b, v->f[0], err);
    case VSR_OP_MATMUL_PIXELS:
        return vsr_graph_matmul_pixels(ng, v->name, x, b, err);
    default:
        return vsr_error_set(err, -ENOTSUP, "%s: op %s is not supported by the shrink", v->name,
                             vsr_op_name(v->op));
    }
}

int vsr_compress_shrink(const vsr_graph *g, vsr_graph **out, vsr_error *err)
{
    *out = NULL;
    int nl = vsr_graph_layer_count(g), rc = 0;
    chmap *keep = calloc((size_t)nl + 1, sizeof(chmap));
    int *map = calloc((size_t)nl + 1, sizeof(int));
    vsr_graph *ng = NULL;
    if (!keep || !map) {
        rc = vsr_error_set(err, -ENOMEM, "shrink: out of memory");
        goto done;
    }
    /* kept channels: all-zero channels of prunable convs go, activations follow */
    for (int i = 0; i < nl && !rc; i++) {
        vsr_node_view v;
        if (vsr_graph_node_view(g, i, &v))
            continue;
        if (is_passthrough(&v) && v.n_inputs == 1 && keep[v.inputs[0]].idx) {
            const chmap *s = &keep[v.inputs[0]];
            if (!(keep[i].idx = malloc((size_t)s->n * sizeof(int)))) {
                rc = vsr_error_set(err, -ENOMEM, "shrink: out of memory");
                break;
            }
            memcpy(keep[i].idx, s->idx, (size_t)s->n * sizeof(int));
            keep[i].n = s->n;
            continue;
        }
        int blocker;
        if (v.op != VSR_OP_CONV2D || !conv_prunable(g, i, &blocker))
            continue;
        char wn[VSR_NAME_MAX + 8];
        const float *w, *bias = NULL;
        size_t n, nb;
        snprintf(wn, sizeof(wn), "%s.weight", v.name);
        if ((rc = vsr_graph_get_weight(g, wn, &w, &n, err)))
            break;
        snprintf(wn, sizeof(wn), "%s.bias", v.name);
        if (v.conv.bias && (rc = vsr_graph_get_weight(g, wn, &bias, &nb, err)))
            break;
        if (!w || (v.conv.bias && !bias)) {
            rc = vsr_error_set(err, -EINVAL, "%s: weights not set", v.name);
            break;
        }
        const int co = v.conv.cout;
        unsigned char *nz = calloc((size_t)co, 1);
        int *idx = malloc((size_t)co * sizeof(int));
        if (!nz || !idx) {
            free(nz), free(idx);
            rc = vsr_error_set(err, -ENOMEM, "shrink: out of memory");
            break;
        }
        for (size_t k = 0; k < n; k++)
            nz[k % (size_t)co] |= w[k] != 0;
        for (int o = 0; bias && o < co; o++)
            nz[o] |= bias[o] != 0;
        int m = 0;
        for (int o = 0; o < co; o++)
            if (nz[o])
                idx[m++] = o;
        if (m == 0) /* keep one channel: a conv of no channels is no conv */
            idx[m++] = 0;
        free(nz);
        if (m == co) {
            free(idx);
            continue;
        }
        keep[i].idx = idx, keep[i].n = m;
    }
    if (rc || (rc = vsr_graph_create(vsr_graph_name(g), &ng, err)))
        goto done;
    for (int i = 0; i < nl; i++) {
        vsr_node_view v;
        if ((rc = vsr_graph_node_view(g, i, &v)))
            break;
        int t = rebuild_node(g, ng, i, &v, map, keep, err);
        if (t < 0) {
            rc = vsr_graph_status(ng, NULL) ? vsr_graph_status(ng, err) : t;
            break;
        }
        map[i] = t;
    }
    for (int o = 0; !rc && o < vsr_graph_output_count(g); o++) {
        const char *nm;
        int t;
        vsr_graph_output_info(g, o, &nm, &t);
        if (vsr_graph_output(ng, nm, map[t], err) < 0)
            rc = vsr_graph_status(ng, err);
    }
    /* every other weight (norms, shared slopes, fixed weights) as it is */
    for (int k = 0; !rc && k < vsr_graph_weight_count(ng); k++) {
        vsr_weight_info wi;
        vsr_graph_weight_info(ng, k, &wi);
        if (wi.is_set)
            continue;
        const float *d;
        size_t n;
        if ((rc = vsr_graph_get_weight(g, wi.name, &d, &n, err)))
            break;
        rc = d ? vsr_graph_set_weight(ng, wi.name, d, n, err)
               : vsr_error_set(err, -EINVAL, "%s: weight not set", wi.name);
    }
    if (!rc)
        rc = vsr_graph_status(ng, err);
done:
    for (int i = 0; keep && i < nl; i++)
        free(keep[i].idx);
    free(keep), free(map);
    if (rc)
        vsr_graph_free(&ng);
    *out = ng;
    return rc;
}

/* ---- clustering --------------------------------------------------------------------- */

int vsr_compress_cluster(vsr_graph *g, int k, int max_iter, vsr_error *err)
{
    if (k < 2)
        return vsr_error_set(err, -EINVAL, "clusters %d: expected K >= 2", k);
    int nl = vsr_graph_layer_count(g), rc = 0;
    for (int i = 0; i < nl && !rc; i++) {
        vsr_node_view v;
        char wn[VSR_NAME_MAX + 8];
        if (!kernel_name(g, i, wn, &v))
            continue;
        float *w = NULL, *x = NULL, *c = NULL;
        int *as = NULL;
        size_t n, m = 0;
        if ((rc = get_copy(g, wn, &w, &n, err)))
            break;
        x = malloc(n * sizeof(float) + 1);
        as = malloc(n * sizeof(int) + 1);
        c = malloc((size_t)k * sizeof(float));
        if (!x || !as || !c) {
            rc = vsr_error_set(err, -ENOMEM, "%s: out of memory", wn);
        } else {
            for (size_t j = 0; j < n; j++)
                if (w[j] != 0)
                    x[m++] = w[j];
            if (m > 0) {
                rc = vsr_compress_kmeans(x, m, k, max_iter, c, as, NULL, err);
                for (size_t j = 0, r = 0; !rc && j < n; j++)
                    if (w[j] != 0)
                        w[j] = c[as[r++]];
                if (!rc)
                    rc = vsr_graph_set_weight(g, wn, w, n, err);
            }
        }
        free(w), free(x), free(as), free(c);
    }
    return rc;
}

int vsr_compress_measure(const vsr_graph *g, int sparse, int k, vsr_compress_size *out,
                         vsr_error *err)
{
    memset(out, 0, sizeof(*out));
    int nw = vsr_graph_weight_count(g);
    for (int i = 0; i < nw; i++) {
        vsr_weight_info wi;
        vsr_graph_weight_info(g, i, &wi);
        const float *d;
        size_t n;
        int rc = vsr_graph_get_weight(g, wi.name, &d, &n, err);
        if (rc)
            return rc;
        if (!d)
            return vsr_error_set(err, -EINVAL, "%s: weight not set", wi.name);
        size_t nnz = 0;
        for (size_t j = 0; j < n; j++)
            nnz += d[j] != 0;
        out->elements += (int64_t)n;
        out->nonzero += (int64_t)nnz;
        out->dense_bytes += 4 * n;
        size_t len = strlen(wi.name);
        int kernel = 0;
        if (len > 7 && !strcmp(wi.name + len - 7, ".weight")) {
            /* a conv's kernel: the node named by the prefix is a conv2d */
            for (int l = 0; l < vsr_graph_layer_count(g) && !kernel; l++) {
                vsr_node_view v;
                kernel = !vsr_graph_node_view(g, l, &v) && v.op == VSR_OP_CONV2D &&
                         strlen(v.name) == len - 7 && !strncmp(v.name, wi.name, len - 7);
            }
        }
        if (kernel && k >= 2)
            out->bytes += vsr_compress_cluster_bytes(n, nnz, k);
        else if (kernel && sparse && nnz < n)
            out->bytes += vsr_compress_sparse_bytes(n, nnz);
        else
            out->bytes += 4 * n;
    }
    return 0;
}

/* ---- the fine-tune constraint ----------------------------------------------------------- */

struct vsr_compress_constraint {
    size_t n;
    unsigned char *frozen; /* n: masked to 0 */
    int *cluster;          /* n: cluster id, -1 none */
    int n_clusters;
    double *acc;   /* n_clusters: sums */
    size_t *count; /* n_clusters */
};

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

int vsr_compress_constraint_create(const vsr_graph *g, int masked, int clustered,
                                   vsr_compress_constraint **out, vsr_error *err)
{
    *out = NULL;
    int nw = vsr_graph_weight_count(g), rc = 0;
    size_t total = 0;
    for (int i = 0; i < nw; i++) {
        vsr_weight_info wi;
        vsr_graph_weight_info(g, i, &wi);
        total += wi.count;
    }
    vsr_compress_constraint *c = calloc(1, sizeof(*c));
    if (!c || !(c->frozen = calloc(total + 1, 1)) ||
        !(c->cluster = malloc((total + 1) * sizeof(int)))) {
        vsr_compress_constraint_free(&c);
        return vsr_error_set(err, -ENOMEM, "constraint: out of memory");
    }
    c->n = total;
    for (size_t j = 0; j < total; j++)
        c->cluster[j] = -1;
    int nl = vsr_graph_layer_count(g);
    size_t off = 0;
    for (int i = 0; i < nw && !rc; i++) {
        vsr_weight_info wi;
        vsr_graph_weight_info(g, i, &wi);
        size_t len = strlen(wi.name), here = off;
        off += wi.count;
        int role = 0; /* 1 kernel, 2 bias of a conv */
        vsr_node_view v = {0};
        for (int l = 0; l < nl && !role; l++) {
            if (vsr_graph_node_view(g, l, &v) || v.op != VSR_OP_CONV2D)
                continue;
            size_t ln = strlen(v.name);
            if (len > ln && !strncmp(wi.name, v.name, ln))
                role = !strcmp(wi.name + ln, ".weight") ? 1
                       : !strcmp(wi.name + ln, ".bias") ? 2
                                                        : 0;
        }
        if (!role)
            continue;
        const float *d;
        size_t n;
        if ((rc = vsr_graph_get_weight(g, wi.name, &d, &n, err)))
            break;
        if (!d) {
            rc = vsr_error_set(err, -EINVAL, "%s: weight not set", wi.name);
            break;
        }
        if (role == 2 && masked) { /* a zero bias of an all-zero kernel column */
            char kn[VSR_NAME_MAX + 8];
            const float *kw;
            size_t kc;
            snprintf(kn, sizeof(kn), "%s.weight", v.name);
            if ((rc = vsr_graph_get_weight(g, kn, &kw, &kc, err)))
                break;
            for (size_t o = 0; kw && o < n; o++) {
                int zero = d[o] == 0;
                for (size_t k = o; zero && k < kc; k += n)
                    zero = kw[k] == 0;
                c->frozen[here + o] = (unsigned char)zero;
            }
            continue;
        }
        if (role != 1)
            continue;
        for (size_t j = 0; masked && j < n; j++)
            c->frozen[here + j] = d[j] == 0;
        if (!clustered)
            continue;
        /* one cluster per distinct non-zero value of this kernel */
        float *u = malloc(n * sizeof(float) + 1);
        if (!u) {
            rc = vsr_error_set(err, -ENOMEM, "constraint: out of memory");
            break;
        }
        size_t m = 0;
        for (size_t j = 0; j < n; j++)
            if (d[j] != 0)
                u[m++] = d[j];
        qsort(u, m, sizeof(float), cmp_float);
        size_t nu = 0;
        for (size_t j = 0; j < m; j++)
            if (nu == 0 || u[j] != u[nu - 1])
                u[nu++] = u[j];
        for (size_t j = 0; j < n; j++) {
            if (d[j] == 0)
                continue;
            float *f = bsearch(&d[j], u, nu, sizeof(float), cmp_float);
            c->cluster[here + j] = c->n_clusters + (int)(f - u);
        }
        c->n_clusters += (int)nu;
        free(u);
    }
    if (!rc && !(c->acc = calloc((size_t)c->n_clusters + 1, sizeof(double))))
        rc = vsr_error_set(err, -ENOMEM, "constraint: out of memory");
    if (!rc && !(c->count = calloc((size_t)c->n_clusters + 1, sizeof(size_t))))
        rc = vsr_error_set(err, -ENOMEM, "constraint: out of memory");
    if (rc)
        vsr_compress_constraint_free(&c);
    *out = c;
    return rc;
}

void vsr_compress_constraint_free(vsr_compress_constraint **c)
{
    if (!c || !*c)
        return;
    free((*c)->frozen), free((*c)->cluster), free((*c)->acc), free((*c)->count);
    free(*c);
    *c = NULL;
}

size_t vsr_compress_constraint_size(const vsr_compress_constraint *c)
{
    return c ? c->n : 0;
}

/* Set every cluster's elements of @p gd / @p wf (one of them) to their mean. */
static void cluster_mean(const vsr_compress_constraint *c, double *gd, float *wf, size_t n)
{
    if (!c->n_clusters)
        return;
    memset(c->acc, 0, (size_t)c->n_clusters * sizeof(double));
    memset(c->count, 0, (size_t)c->n_clusters * sizeof(size_t));
    for (size_t j = 0; j < n; j++)
        if (c->cluster[j] >= 0) {
            c->acc[c->cluster[j]] += gd ? gd[j] : wf[j];
            c->count[c->cluster[j]]++;
        }
    for (size_t j = 0; j < n; j++)
        if (c->cluster[j] >= 0) {
            double m = c->acc[c->cluster[j]] / (double)c->count[c->cluster[j]];
            if (gd)
                gd[j] = m;
            else
                wf[j] = (float)m;
        }
}

void vsr_compress_constraint_grad(const vsr_compress_constraint *c, double *grad, size_t n)
{
    if (!c || n != c->n)
        return;
    for (size_t j = 0; j < n; j++)
        if (c->frozen[j])
            grad[j] = 0;
    cluster_mean(c, grad, NULL, n);
}

void vsr_compress_constraint_project(const vsr_compress_constraint *c, float *w, size_t n)
{
    if (!c || n != c->n)
        return;
    for (size_t j = 0; j < n; j++)
        if (c->frozen[j])
            w[j] = 0;
    cluster_mean(c, NULL, w, n);
}
