/*
 * exec_impl.h: forward and backward of every op on one slot, written once
 * for the element type T and included by exec.c for float and double
 * (FN(x) appends the type suffix). Layout HWC; see train.h for semantics.
 *
 * Expects: T, FN(), REAL_EXP, REAL_SQRT, REAL_ERF, and the types of
 * train_internal.h. Undefines T, TR_IS_FLOAT, FN and the REAL_* macros at its end, so
 * that the next instantiation can define them again.
 */

/* ---- activations --------------------------------------------------- */

typedef struct FN(actp) {
    int type; /* vsr_act_type, or -1 for GELU */
    T alpha, lo, hi;
    const T *slopes; /* PReLU */
    int shared;
} FN(actp);

static void FN(act_fwd)(const FN(actp) * a, const T *x, T *y, size_t n, int c)
{
    switch (a->type) {
    case VSR_ACT_RELU:
        for (size_t k = 0; k < n; k++)
            y[k] = x[k] > 0 ? x[k] : 0;
        break;
    case VSR_ACT_LEAKY_RELU:
        for (size_t k = 0; k < n; k++)
            y[k] = x[k] >= 0 ? x[k] : a->alpha * x[k];
        break;
    case VSR_ACT_PRELU:
        for (size_t k = 0; k < n; k++) {
            T s = a->shared ? a->slopes[0] : a->slopes[k % (size_t)c];
            y[k] = x[k] >= 0 ? x[k] : s * x[k];
        }
        break;
    case VSR_ACT_CLIP:
        for (size_t k = 0; k < n; k++)
            y[k] = x[k] < a->lo ? a->lo : x[k] > a->hi ? a->hi : x[k];
        break;
    case VSR_ACT_SIGMOID:
        for (size_t k = 0; k < n; k++)
            y[k] = (T)1 / ((T)1 + REAL_EXP(-x[k]));
        break;
    case -1: /* GELU, exact */
        for (size_t k = 0; k < n; k++)
            y[k] = (T)0.5 * x[k] * ((T)1 + REAL_ERF(x[k] * (T)0.70710678118654752440));
        break;
    default:
        if (y != x)
            memcpy(y, x, n * sizeof(T));
    }
}

/* dx (= or +=, by acc) = dy * act'(x); PReLU slope gradients into dslopes. */
static void FN(act_bwd)(const FN(actp) * a, const T *x, const T *y, const T *dy, T *dx,
                        T *dslopes, size_t n, int c, int acc, int ste)
{
    for (size_t k = 0; k < n; k++) {
        T d;
        switch (a->type) {
        case VSR_ACT_RELU:
            d = x[k] > 0 ? dy[k] : 0;
            break;
        case VSR_ACT_LEAKY_RELU:
            d = x[k] >= 0 ? dy[k] : a->alpha * dy[k];
            break;
        case VSR_ACT_PRELU: {
            size_t ci = a->shared ? 0 : k % (size_t)c;
            if (x[k] >= 0) {
                d = dy[k];
            } else {
                d = a->slopes[ci] * dy[k];
                if (dslopes)
                    dslopes[ci] += x[k] * dy[k];
            }
            break;
        }
        case VSR_ACT_CLIP:
            d = (ste || (x[k] >= a->lo && x[k] <= a->hi)) ? dy[k] : 0;
            break;
        case VSR_ACT_SIGMOID:
            d = dy[k] * y[k] * ((T)1 - y[k]);
            break;
        case -1: {
            T cdf = (T)0.5 * ((T)1 + REAL_ERF(x[k] * (T)0.70710678118654752440));
            T pdf = (T)0.39894228040143267794 * REAL_EXP((T)-0.5 * x[k] * x[k]);
            d = dy[k] * (cdf + x[k] * pdf);
            break;
        }
        default:
            d = dy[k];
        }
        if (acc)
            dx[k] += d;
        else
            dx[k] = d;
    }
}

/* ---- conv ---------------------------------------------------------- */

static void FN(conv_geom)(const vsr_conv_params *p, const int *si, const int *so, tr_convg *g)
{
    g->H = si[0], g->W = si[1], g->C = si[2];
    g->OH = so[0], g->OW = so[1], g->CO = so[2];
    g->kh = p->kh, g->kw = p->kw, g->s = p->stride, g->d = p->dilation;
    g->groups = p->groups, g->cig = g->C / p->groups, g->cog = g->CO / p->groups;
    int keh = (p->kh - 1) * p->dilation + 1, kew = (p->kw - 1) * p->dilation + 1;
    int th = (g->OH - 1) * p->stride + keh - g->H, tw = (g->OW - 1) * p->stride + kew - g->W;
    g->pt = th > 0 ? th / 2 : 0;
    g->pl = tw > 0 ? tw / 2 : 0;
}

static int FN(is_dw)(const tr_convg *g)
{
    return g->groups > 1 && g->cig == 1 && g->cog == 1;
}

/* Output rows [y0, y1). Depthwise convs (one input and one output channel per
 * group) take the grouped path's per-element order with the channel loop
 * innermost, so that it vectorizes. */
static __attribute__((noinline)) void FN(conv_fwd_as)(const tr_convg *g, const T *in,
                                                      const T *w, const T *b, T *out, int y0,
                                                      int y1, int depthwise)
{
    /* depthwise: C == CO and cig == 1, constants in its clone */
    const int CO = g->CO, C = depthwise ? CO : g->C, cig = depthwise ? 1 : g->cig;
    for (int oy = y0; oy < y1; oy++)
        for (int ox = 0; ox < g->OW; ox++) {
            T *o = out + ((size_t)oy * g->OW + ox) * CO;
            for (int k = 0; k < CO; k++)
                o[k] = b ? b[k] : 0;
            for (int ky = 0; ky < g->kh; ky++) {
                int iy = oy * g->s - g->pt + ky * g->d;
                if (iy < 0 || iy >= g->H)
                    continue;
                for (int kx = 0; kx < g->kw; kx++) {
                    int ix = ox * g->s - g->pl + kx * g->d;
                    if (ix < 0 || ix >= g->W)
                        continue;
                    const T *xp = in + ((size_t)iy * g->W + ix) * C;
                    const T *wk = w + ((size_t)ky * g->kw + kx) * cig * CO;
                    if (g->groups == 1) {
                        for (int ci = 0; ci < cig; ci++) {
                            const T xv = xp[ci], *wr = wk + (size_t)ci * CO;
                            for (int k = 0; k < CO; k++)
                                o[k] += xv * wr[k];
                        }
                    } else if (depthwise) {
                        for (int c = 0; c < CO; c++)
                            o[c] += xp[c] * wk[c];
                    } else {
                        for (int gi = 0; gi < g->groups; gi++)
                            for (int ci = 0; ci < cig; ci++) {
                                const T xv = xp[gi * cig + ci];
                                const T *wr = wk + (size_t)ci * CO + (size_t)gi * g->cog;
                                T *oo = o + (size_t)gi * g->cog;
                                for (int k = 0; k < g->cog; k++)
                                    oo[k] += xv * wr[k];
                            }
                    }
                }
            }
        }
}

/* dpre -> dW (+=, may be NULL), db (+=, may be NULL): each element summed over the output
 * pixels in raster order (conv_internal.h). */
static __attribute__((noinline)) void
FN(conv_bwd_w_as)(const tr_convg *g, const T *in, const T *dpre, T *dw, T *db, int depthwise)
{
    /* depthwise: C == CO and cig == 1, constants in its clone */
    const int CO = g->CO, C = depthwise ? CO : g->C, cig = depthwise ? 1 : g->cig;
    for (int oy = 0; oy < g->OH; oy++)
        for (int ox = 0; ox < g->OW; ox++) {
            const T *dp = dpre + ((size_t)oy * g->OW + ox) * CO;
            if (db)
                for (int k = 0; k < CO; k++)
                    db[k] += dp[k];
            if (!dw)
                continue;
            for (int ky = 0; ky < g->kh; ky++) {
                int iy = oy * g->s - g->pt + ky * g->d;
                if (iy < 0 || iy >= g->H)
                    continue;
                for (int kx = 0; kx < g->kw; kx++) {
                    int ix = ox * g->s - g->pl + kx * g->d;
                    if (ix < 0 || ix >= g->W)
                        continue;
                    const T *xp = in + ((size_t)iy * g->W + ix) * C;
                    T *dwk = dw + ((size_t)ky * g->kw + kx) * cig * CO;
                    if (!depthwise) {
                        for (int gi = 0; gi < g->groups; gi++)
                            for (int ci = 0; ci < cig; ci++) {
                                const T xv = xp[gi * cig + ci];
                                T *dwr = dwk + (size_t)ci * CO + (size_t)gi * g->cog;
                                const T *d = dp + (size_t)gi * g->cog;
                                for (int k = 0; k < g->cog; k++)
                                    dwr[k] += xv * d[k];
                            }
                    } else {
                        for (int c = 0; c < CO; c++)
                            dwk[c] += xp[c] * dp[c];
                    }
                }
            }
        }
}

/* dpre -> din (+=): gathered per input pixel, each element summed over (ky, kx, k)
 * ascending starting from its current value (conv_internal.h). */
static __attribute__((noinline)) void FN(conv_bwd_x_as)(const tr_convg *g, const T *w,
                                                        const T *dpre, T *din, int depthwise)
{
    /* depthwise: C == CO and cig == 1, constants in its clone */
    const int CO = g->CO, C = depthwise ? CO : g->C, cig = depthwise ? 1 : g->cig;
    for (int iy = 0; iy < g->H; iy++)
        for (int ix = 0; ix < g->W; ix++) {
            T *q = din + ((size_t)iy * g->W + ix) * C;
            for (int ky = 0; ky < g->kh; ky++) {
                int ty = iy + g->pt - ky * g->d;
                if (ty < 0 || ty % g->s)
                    continue;
                int oy = ty / g->s;
                if (oy >= g->OH)
                    continue;
                for (int kx = 0; kx < g->kw; kx++) {
                    int tx = ix + g->pl - kx * g->d;
                    if (tx < 0 || tx % g->s)
                        continue;
                    int ox = tx / g->s;
                    if (ox >= g->OW)
                        continue;
                    const T *wk = w + ((size_t)ky * g->kw + kx) * cig * CO;
                    const T *d = dpre + ((size_t)oy * g->OW + ox) * CO;
                    if (depthwise) {
                        for (int c = 0; c < CO; c++)
                            q[c] += wk[c] * d[c];
                        continue;
                    }
                    for (int gi = 0; gi < g->groups; gi++)
                        for (int ci = 0; ci < cig; ci++) {
                            const T *wr = wk + (size_t)ci * CO + (size_t)gi * g->cog;
                            const T *dd = d + (size_t)gi * g->cog;
                            T acc = q[gi * cig + ci];
                            for (int k = 0; k < g->cog; k++)
                                acc += wr[k] * dd[k];
                            q[gi * cig + ci] = acc;
                        }
                }
            }
        }
}

/* The three with @p depthwise a constant: GCC compiles a clone of each *_as
 * function per case (noinline keeps them apart: inlined here, the two cases
 * shared loops and the depthwise one ran 10-15% slower). */
static void FN(conv_fwd)(const tr_convg *g, const T *in, const T *w, const T *b, T *out, int y0,
                         int y1)
{
    if (FN(is_dw)(g))
        FN(conv_fwd_as)(g, in, w, b, out, y0, y1, 1);
    else
        FN(conv_fwd_as)(g, in, w, b, out, y0, y1, 0);
}

static void FN(conv_bwd_w)(const tr_convg *g, const T *in, const T *dpre, T *dw, T *db)
{
    if (FN(is_dw)(g))
        FN(conv_bwd_w_as)(g, in, dpre, dw, db, 1);
    else
        FN(conv_bwd_w_as)(g, in, dpre, dw, db, 0);
}

static void FN(conv_bwd_x)(const tr_convg *g, const T *w, const T *dpre, T *din)
{
    if (FN(is_dw)(g))
        FN(conv_bwd_x_as)(g, w, dpre, din, 1);
    else
        FN(conv_bwd_x_as)(g, w, dpre, din, 0);
}

#if TR_IS_FLOAT
/* Float nets on a CPU with the x86 kernels: dense convs up to 64 channels. */
static int FN(conv_fast)(const tr_net *n, const tr_convg *g)
{
    return g->groups == 1 && g->C <= TR_CONV_MAX_CH && g->CO <= TR_CONV_MAX_CH &&
           n->ck.fwd != NULL;
}
/* Grouped (not depthwise) stride-1 convs whose groups fit those kernels: one group at
 * a time (tr_gconv_forward / tr_gconv_backward, conv.c). */
static int FN(gconv_fast)(const tr_net *n, const tr_convg *g)
{
    return g->groups > 1 && !FN(is_dw)(g) && g->s == 1 && g->cig <= TR_CONV_MAX_CH &&
           g->cog <= TR_CONV_MAX_CH && n->ck.fwd != NULL;
}
#endif

static void FN(conv_forward)(const tr_net *n, const tr_convg *g, const T *in, const T *w,
                             const T *b, T *out)
{
#if TR_IS_FLOAT
    if (FN(conv_fast)(n, g)) {
        n->ck.fwd(g, in, w, b, out);
        return;
    }
    if (FN(gconv_fast)(n, g) && !tr_gconv_forward(&n->ck, g, in, w, b, out))
        return;
#else
    (void)n;
#endif
    FN(conv_fwd)(g, in, w, b, out, 0, g->OH);
}

static void FN(conv_backward)(const tr_net *n, tr_slot *s, const tr_convg *g, const T *in,
                              const T *w, const T *dpre, T *dw, T *db, T *din)
{
#if TR_IS_FLOAT
    if (FN(conv_fast)(n, g)) {
        n->ck.bwd_w(g, in, dpre, dw, db);
        if (din && g->s == 1) {
            tr_conv_transpose(g, w, s->wt);
            n->ck.bwd_x(g, s->wt, dpre, din);
        } else if (din) {
            FN(conv_bwd_x)(g, w, dpre, din);
        }
        return;
    }
    if (FN(gconv_fast)(n, g) && !tr_gconv_backward(&n->ck, g, in, w, dpre, dw, db, din))
        return;
#else
    (void)n, (void)s;
#endif
    FN(conv_bwd_w)(g, in, dpre, dw, db);
    if (din)
        FN(conv_bwd_x)(g, w, dpre, din);
}

/* ---- the slot executor --------------------------------------------- */

static const T *FN(wp)(const tr_net *n, const vsr_node *nd, int k)
{
    /* QAT (float nets only): the fake-quantised copy */
    const void *base = n->qat && n->qat->quant ? (const void *)n->qat->wq : n->pwork;
    return (const T *)base + n->woff[nd->w_first + k];
}
static T *FN(wg)(const tr_net *n, int b, const vsr_node *nd, int k)
{
    int wi = nd->w_first + k;
    if (!n->trainable_w[wi])
        return NULL;
    return (T *)n->egrad[b] + n->woff[wi];
}

static FN(actp) FN(node_act)(const tr_net *n, const vsr_node *nd, int conv_fused)
{
    FN(actp) a = {0};
    const vsr_act *src = conv_fused ? &nd->conv.act : &nd->act;
    int op_act = vsr__op_def(nd->op)->act; /* the activation an activation op applies */
    a.type = op_act != VSR_OP_ACT_NOT ? op_act : (int)src->type;
    a.alpha = (T)src->alpha;
    a.lo = (T)src->lo;
    a.hi = (T)src->hi;
    if (a.type == VSR_ACT_PRELU) {
        int k = 0;
        if (nd->op == VSR_OP_CONV2D)
            k = 1 + (nd->conv.bias ? 1 : 0);
        a.slopes = FN(wp)(n, nd, k);
        a.shared = n->g->wts[nd->w_first + k].count == 1;
    }
    return a;
}

static int FN(bmode)(const int *sa, const int *sb)
{
    return (sb[0] == 1 && sb[1] == 1 && sb[2] == sa[2] && (sa[0] > 1 || sa[1] > 1)) ? 2
           : sb[2] == sa[2]                                                         ? 0
                                                                                    : 1;
}

/* ---- the per-op passes ----------------------------------------------- */

/* One node's operands at the net's size: what the per-op passes read. */
typedef struct FN(ctx) {
    const tr_net *n;
    tr_slot *s;
    int i;    /* node */
    int bidx; /* backward: batch element (weight gradients) */
    const vsr_node *nd;
    const int *so, *sa, *sb; /* shapes: output, input 0, input 1 (or NULL) */
    T *y;                    /* output */
    const T *a, *b;          /* inputs 0 and 1 (or NULL) */
    const T *dy;             /* backward: dLoss/doutput */
    T *da, *dbb;             /* backward: gradients of inputs 0 and 1, or NULL */
    size_t N;                /* output elements */
    int C;                   /* output channels */
} FN(ctx);

static void FN(fwd_conv2d)(const FN(ctx) * cx)
{
    tr_convg g;
    FN(conv_geom)(&cx->nd->conv, cx->sa, cx->so, &g);
    const T *bias = cx->nd->conv.bias ? FN(wp)(cx->n, cx->nd, 1) : NULL;
    T *pre = cx->s->pre[cx->i] ? (T *)cx->s->pre[cx->i] : cx->y;
    FN(conv_forward)(cx->n, &g, cx->a, FN(wp)(cx->n, cx->nd, 0), bias, pre);
    if (cx->s->pre[cx->i]) {
        FN(actp) ap = FN(node_act)(cx->n, cx->nd, 1);
        FN(act_fwd)(&ap, pre, cx->y, cx->N, cx->C);
    }
}

static void FN(fwd_act)(const FN(ctx) * cx)
{
    FN(actp) ap = FN(node_act)(cx->n, cx->nd, 0);
    FN(act_fwd)(&ap, cx->a, cx->y, cx->N, cx->C);
}

static void FN(fwd_add_mul)(const FN(ctx) * cx)
{
    int m = FN(bmode)(cx->sa, cx->sb);
    for (size_t k = 0; k < cx->N; k++) {
        T bv = m == 0 ? cx->b[k] : m == 1 ? cx->b[k / (size_t)cx->C] : cx->b[k % (size_t)cx->C];
        cx->y[k] = cx->nd->op == VSR_OP_ADD ? cx->a[k] + bv : cx->a[k] * bv;
    }
}

static void FN(fwd_scale)(const FN(ctx) * cx)
{
    for (size_t k = 0; k < cx->N; k++)
        cx->y[k] = (T)cx->nd->f0 * cx->a[k] + (T)cx->nd->f1;
}

static void FN(fwd_concat)(const FN(ctx) * cx)
{
    size_t P = (size_t)cx->so[0] * cx->so[1];
    int c0 = 0;
    for (int k = 0; k < cx->nd->n_in; k++) {
        int ck = cx->n->shp[3 * cx->nd->in[k] + 2];
        const T *src = (const T *)cx->s->act[cx->nd->in[k]];
        for (size_t p = 0; p < P; p++)
            memcpy(cx->y + p * cx->C + c0, src + p * ck, (size_t)ck * sizeof(T));
        c0 += ck;
    }
}

static void FN(fwd_slice)(const FN(ctx) * cx)
{
    size_t P = (size_t)cx->so[0] * cx->so[1];
    for (size_t p = 0; p < P; p++)
        memcpy(cx->y + p * cx->C, cx->a + p * cx->sa[2] + cx->nd->i0,
               (size_t)cx->C * sizeof(T));
}

static void FN(fwd_channel_shuffle)(const FN(ctx) * cx)
{
    size_t P = (size_t)cx->so[0] * cx->so[1];
    int gr = cx->nd->i0, cpg = cx->C / gr;
    for (size_t p = 0; p < P; p++)
        for (int gi = 0; gi < gr; gi++)
            for (int j = 0; j < cpg; j++)
                cx->y[p * cx->C + j * gr + gi] = cx->a[p * cx->C + gi * cpg + j];
}

static void FN(fwd_depth_to_space)(const FN(ctx) * cx)
{
    int r = cx->nd->i0;
    for (int Y = 0; Y < cx->so[0]; Y++)
        for (int X = 0; X < cx->so[1]; X++)
            memcpy(cx->y + ((size_t)Y * cx->so[1] + X) * cx->C,
                   cx->a + ((size_t)(Y / r) * cx->sa[1] + X / r) * cx->sa[2] +
                       (size_t)((Y % r) * r + X % r) * cx->C,
                   (size_t)cx->C * sizeof(T));
}

static void FN(fwd_resize_nearest)(const FN(ctx) * cx)
{
    int f = cx->nd->i0;
    for (int Y = 0; Y < cx->so[0]; Y++)
        for (int X = 0; X < cx->so[1]; X++)
            memcpy(cx->y + ((size_t)Y * cx->so[1] + X) * cx->C,
                   cx->a + ((size_t)(Y / f) * cx->sa[1] + X / f) * cx->C,
                   (size_t)cx->C * sizeof(T));
}

static void FN(fwd_resize_bilinear)(const FN(ctx) * cx)
{
    const tr_bil *bl = &cx->n->bil[cx->i];
    for (int Y = 0; Y < cx->so[0]; Y++)
        for (int X = 0; X < cx->so[1]; X++) {
            const T *a0 = cx->a + ((size_t)bl->yl[Y] * cx->sa[1] + bl->xl[X]) * cx->C;
            const T *a1 = cx->a + ((size_t)bl->yl[Y] * cx->sa[1] + bl->xh[X]) * cx->C;
            const T *b0 = cx->a + ((size_t)bl->yh[Y] * cx->sa[1] + bl->xl[X]) * cx->C;
            const T *b1 = cx->a + ((size_t)bl->yh[Y] * cx->sa[1] + bl->xh[X]) * cx->C;
            T wx = (T)bl->xw[X], wy = (T)bl->yw[Y];
            T *o = cx->y + ((size_t)Y * cx->so[1] + X) * cx->C;
            for (int c = 0; c < cx->C; c++) {
                T top = a0[c] + (a1[c] - a0[c]) * wx;
                T bot = b0[c] + (b1[c] - b0[c]) * wx;
                o[c] = top + (bot - top) * wy;
            }
        }
}

/* Mean and 1/sqrt(variance + eps) of one pixel's @p C channels (layer norm). */
static void FN(ln_stats)(const T *x, int C, T eps, T *mu_out, T *inv_out)
{
    T mu = 0, var = 0;
    for (int k = 0; k < C; k++)
        mu += x[k];
    mu /= (T)C;
    for (int k = 0; k < C; k++)
        var += (x[k] - mu) * (x[k] - mu);
    var /= (T)C;
    *mu_out = mu;
    *inv_out = (T)1 / REAL_SQRT(var + eps);
}

static void FN(fwd_layer_norm)(const FN(ctx) * cx)
{
    const T *gm = FN(wp)(cx->n, cx->nd, 0), *bt = FN(wp)(cx->n, cx->nd, 1);
    size_t P = (size_t)cx->so[0] * cx->so[1];
    for (size_t p = 0; p < P; p++) {
        const T *x = cx->a + p * cx->C;
        T mu, inv;
        FN(ln_stats)(x, cx->C, (T)cx->nd->f0, &mu, &inv);
        for (int k = 0; k < cx->C; k++)
            cx->y[p * cx->C + k] = gm[k] * (x[k] - mu) * inv + bt[k];
    }
}

static void FN(fwd_batch_norm)(const FN(ctx) * cx)
{
    const T *gm = FN(wp)(cx->n, cx->nd, 0), *bt = FN(wp)(cx->n, cx->nd, 1);
    const T *mu = FN(wp)(cx->n, cx->nd, 2), *vr = FN(wp)(cx->n, cx->nd, 3);
    T *sd = (T *)cx->s->tmp; /* per-channel sqrt(var + eps), the same values per element */
    for (int c = 0; c < cx->C; c++)
        sd[c] = REAL_SQRT(vr[c] + (T)cx->nd->f0);
    for (size_t k = 0, p = 0; p < cx->N / (size_t)cx->C; p++)
        for (int c = 0; c < cx->C; c++, k++)
            cx->y[k] = gm[c] * (cx->a[k] - mu[c]) / sd[c] + bt[c];
}

static void FN(fwd_pool)(const FN(ctx) * cx)
{
    size_t P = (size_t)cx->sa[0] * cx->sa[1];
    for (int c = 0; c < cx->C; c++) {
        double s1 = 0, s2 = 0;
        for (size_t p = 0; p < P; p++) {
            double v = (double)cx->a[p * cx->C + c];
            s1 += v;
            s2 += v * v;
        }
        double mu = s1 / (double)P, var = s2 / (double)P - mu * mu;
        cx->y[c] = cx->nd->op == VSR_OP_GLOBAL_AVG_POOL ? (T)mu : (T)sqrt(var > 0 ? var : 0);
    }
}

static void FN(fwd_softmax)(const FN(ctx) * cx)
{
    size_t P = (size_t)cx->so[0] * cx->so[1];
    for (size_t p = 0; p < P; p++) {
        const T *x = cx->a + p * cx->C;
        T *o = cx->y + p * cx->C, mx = x[0], sum = 0;
        for (int k = 1; k < cx->C; k++)
            mx = x[k] > mx ? x[k] : mx;
        for (int k = 0; k < cx->C; k++)
            sum += (o[k] = REAL_EXP(x[k] - mx));
        for (int k = 0; k < cx->C; k++)
            o[k] /= sum;
    }
}

static void FN(fwd_matmul_tn)(const FN(ctx) * cx)
{
    int CK = cx->sa[2], CQ = cx->sb[2];
    size_t P = (size_t)cx->sa[0] * cx->sa[1];
    for (int ii = 0; ii < CK; ii++)
        for (int j = 0; j < CQ; j++) {
            double acc = 0;
            for (size_t p = 0; p < P; p++)
                acc += (double)cx->a[p * CK + ii] * (double)cx->b[p * CQ + j];
            cx->y[ii * CQ + j] = (T)(acc * cx->nd->f0);
        }
}

static void FN(fwd_matmul_pixels)(const FN(ctx) * cx)
{
    int CV = cx->sa[2], CQ = cx->C;
    size_t P = (size_t)cx->sa[0] * cx->sa[1];
    for (size_t p = 0; p < P; p++)
        for (int j = 0; j < CQ; j++) {
            T acc = 0;
            for (int ii = 0; ii < CV; ii++)
                acc += cx->a[p * CV + ii] * cx->b[ii * CQ + j];
            cx->y[p * CQ + j] = acc;
        }
}

static void FN(bwd_conv2d)(const FN(ctx) * cx)
{
    tr_convg g;
    FN(conv_geom)(&cx->nd->conv, cx->sa, cx->so, &g);
    const T *dpre = cx->dy;
    if (cx->s->pre[cx->i]) {
        FN(actp) ap = FN(node_act)(cx->n, cx->nd, 1);
        T *dsl = ap.type == VSR_ACT_PRELU
                     ? FN(wg)(cx->n, cx->bidx, cx->nd, 1 + (cx->nd->conv.bias ? 1 : 0))
                     : NULL;
        FN(act_bwd)
        (&ap, (const T *)cx->s->pre[cx->i], cx->y, cx->dy, (T *)cx->s->tmp, dsl, cx->N, cx->C,
         0, 0);
        dpre = (const T *)cx->s->tmp;
    }
    FN(conv_backward)
    (cx->n, cx->s, &g, cx->a, FN(wp)(cx->n, cx->nd, 0), dpre,
     FN(wg)(cx->n, cx->bidx, cx->nd, 0),
     cx->nd->conv.bias ? FN(wg)(cx->n, cx->bidx, cx->nd, 1) : NULL, cx->da);
}

static void FN(bwd_act)(const FN(ctx) * cx)
{
    FN(actp) ap = FN(node_act)(cx->n, cx->nd, 0);
    T *dsl = cx->nd->op == VSR_OP_PRELU ? FN(wg)(cx->n, cx->bidx, cx->nd, 0) : NULL;
    int ste = cx->nd->op == VSR_OP_CLIP && cx->n->ste_clip[cx->i];
    if (cx->da)
        FN(act_bwd)(&ap, cx->a, cx->y, cx->dy, cx->da, dsl, cx->N, cx->C, 1, ste);
    else if (dsl) {
        /* slopes only: run into the scratch buffer */
        FN(act_bwd)(&ap, cx->a, cx->y, cx->dy, (T *)cx->s->tmp, dsl, cx->N, cx->C, 0, ste);
    }
}

static void FN(bwd_add_mul)(const FN(ctx) * cx)
{
    int m = FN(bmode)(cx->sa, cx->sb);
    for (size_t k = 0; k < cx->N; k++) {
        size_t bk = m == 0 ? k : m == 1 ? k / (size_t)cx->C : k % (size_t)cx->C;
        if (cx->nd->op == VSR_OP_ADD) {
            if (cx->da)
                cx->da[k] += cx->dy[k];
            if (cx->dbb)
                cx->dbb[bk] += cx->dy[k];
        } else {
            if (cx->da)
                cx->da[k] += cx->dy[k] * cx->b[bk];
            if (cx->dbb)
                cx->dbb[bk] += cx->dy[k] * cx->a[k];
        }
    }
}

static void FN(bwd_scale)(const FN(ctx) * cx)
{
    if (cx->da)
        for (size_t k = 0; k < cx->N; k++)
            cx->da[k] += (T)cx->nd->f0 * cx->dy[k];
}

static void FN(bwd_concat)(const FN(ctx) * cx)
{
    size_t P = (size_t)cx->so[0] * cx->so[1];
    int c0 = 0;
    for (int k = 0; k < cx->nd->n_in; k++) {
        int ck = cx->n->shp[3 * cx->nd->in[k] + 2];
        if (cx->n->needs[cx->nd->in[k]]) {
            T *dk = (T *)cx->s->grad[cx->nd->in[k]];
            for (size_t p = 0; p < P; p++)
                for (int c = 0; c < ck; c++)
                    dk[p * ck + c] += cx->dy[p * cx->C + c0 + c];
        }
        c0 += ck;
    }
}

static void FN(bwd_slice)(const FN(ctx) * cx)
{
    if (cx->da) {
        size_t P = (size_t)cx->so[0] * cx->so[1];
        for (size_t p = 0; p < P; p++)
            for (int c = 0; c < cx->C; c++)
                cx->da[p * cx->sa[2] + cx->nd->i0 + c] += cx->dy[p * cx->C + c];
    }
}

static void FN(bwd_channel_shuffle)(const FN(ctx) * cx)
{
    if (cx->da) {
        size_t P = (size_t)cx->so[0] * cx->so[1];
        int gr = cx->nd->i0, cpg = cx->C / gr;
        for (size_t p = 0; p < P; p++)
            for (int gi = 0; gi < gr; gi++)
                for (int j = 0; j < cpg; j++)
                    cx->da[p * cx->C + gi * cpg + j] += cx->dy[p * cx->C + j * gr + gi];
    }
}

static void FN(bwd_depth_to_space)(const FN(ctx) * cx)
{
    if (cx->da) {
        int r = cx->nd->i0;
        for (int Y = 0; Y < cx->so[0]; Y++)
            for (int X = 0; X < cx->so[1]; X++) {
                T *d = cx->da + ((size_t)(Y / r) * cx->sa[1] + X / r) * cx->sa[2] +
                       (size_t)((Y % r) * r + X % r) * cx->C;
                const T *g = cx->dy + ((size_t)Y * cx->so[1] + X) * cx->C;
                for (int c = 0; c < cx->C; c++)
                    d[c] += g[c];
            }
    }
}

static void FN(bwd_resize_nearest)(const FN(ctx) * cx)
{
    if (cx->da) {
        int f = cx->nd->i0;
        for (int Y = 0; Y < cx->so[0]; Y++)
            for (int X = 0; X < cx->so[1]; X++) {
                T *d = cx->da + ((size_t)(Y / f) * cx->sa[1] + X / f) * cx->C;
                const T *g = cx->dy + ((size_t)Y * cx->so[1] + X) * cx->C;
                for (int c = 0; c < cx->C; c++)
                    d[c] += g[c];
            }
    }
}

static void FN(bwd_resize_bilinear)(const FN(ctx) * cx)
{
    if (cx->da) {
        const tr_bil *bl = &cx->n->bil[cx->i];
        for (int Y = 0; Y < cx->so[0]; Y++)
            for (int X = 0; X < cx->so[1]; X++) {
                T *a0 = cx->da + ((size_t)bl->yl[Y] * cx->sa[1] + bl->xl[X]) * cx->C;
                T *a1 = cx->da + ((size_t)bl->yl[Y] * cx->sa[1] + bl->xh[X]) * cx->C;
                T *b0 = cx->da + ((size_t)bl->yh[Y] * cx->sa[1] + bl->xl[X]) * cx->C;
                T *b1 = cx->da + ((size_t)bl->yh[Y] * cx->sa[1] + bl->xh[X]) * cx->C;
                T wx = (T)bl->xw[X], wy = (T)bl->yw[Y];
                const T *g = cx->dy + ((size_t)Y * cx->so[1] + X) * cx->C;
                for (int c = 0; c < cx->C; c++) {
                    T top = g[c] * ((T)1 - wy), bot = g[c] * wy;
                    a0[c] += top * ((T)1 - wx);
                    a1[c] += top * wx;
                    b0[c] += bot * ((T)1 - wx);
                    b1[c] += bot * wx;
                }
            }
    }
}

static void FN(bwd_layer_norm)(const FN(ctx) * cx)
{
    const T *gm = FN(wp)(cx->n, cx->nd, 0);
    T *dg = FN(wg)(cx->n, cx->bidx, cx->nd, 0), *dbt = FN(wg)(cx->n, cx->bidx, cx->nd, 1);
    size_t P = (size_t)cx->so[0] * cx->so[1];
    for (size_t p = 0; p < P; p++) {
        const T *x = cx->a + p * cx->C, *g = cx->dy + p * cx->C;
        T mu, inv;
        FN(ln_stats)(x, cx->C, (T)cx->nd->f0, &mu, &inv);
        T m1 = 0, m2 = 0;
        for (int k = 0; k < cx->C; k++) {
            T xh = (x[k] - mu) * inv, dxh = g[k] * gm[k];
            if (dg)
                dg[k] += g[k] * xh;
            if (dbt)
                dbt[k] += g[k];
            m1 += dxh;
            m2 += dxh * xh;
        }
        m1 /= (T)cx->C;
        m2 /= (T)cx->C;
        if (cx->da)
            for (int k = 0; k < cx->C; k++) {
                T xh = (x[k] - mu) * inv;
                cx->da[p * cx->C + k] += inv * (g[k] * gm[k] - m1 - xh * m2);
            }
    }
}

static void FN(bwd_batch_norm)(const FN(ctx) * cx)
{
    const T *gm = FN(wp)(cx->n, cx->nd, 0), *mu = FN(wp)(cx->n, cx->nd, 2),
            *vr = FN(wp)(cx->n, cx->nd, 3);
    T *dg = FN(wg)(cx->n, cx->bidx, cx->nd, 0), *dbt = FN(wg)(cx->n, cx->bidx, cx->nd, 1);
    T *inv = (T *)cx->s->tmp; /* per channel, the same values per element */
    for (int c = 0; c < cx->C; c++)
        inv[c] = (T)1 / REAL_SQRT(vr[c] + (T)cx->nd->f0);
    for (size_t k = 0, p = 0; p < cx->N / (size_t)cx->C; p++)
        for (int c = 0; c < cx->C; c++, k++) {
            if (cx->da)
                cx->da[k] += cx->dy[k] * gm[c] * inv[c];
            if (dg)
                dg[c] += cx->dy[k] * (cx->a[k] - mu[c]) * inv[c];
            if (dbt)
                dbt[c] += cx->dy[k];
        }
}

static void FN(bwd_pool)(const FN(ctx) * cx)
{
    if (cx->da) {
        size_t P = (size_t)cx->sa[0] * cx->sa[1];
        for (int c = 0; c < cx->C; c++) {
            if (cx->nd->op == VSR_OP_GLOBAL_AVG_POOL) {
                T g = cx->dy[c] / (T)P;
                for (size_t p = 0; p < P; p++)
                    cx->da[p * cx->C + c] += g;
            } else {
                double s1 = 0;
                for (size_t p = 0; p < P; p++)
                    s1 += (double)cx->a[p * cx->C + c];
                T mu = (T)(s1 / (double)P);
                if (cx->y[c] <= 0)
                    continue;
                T g = cx->dy[c] / ((T)P * cx->y[c]);
                for (size_t p = 0; p < P; p++)
                    cx->da[p * cx->C + c] += g * (cx->a[p * cx->C + c] - mu);
            }
        }
    }
}

static void FN(bwd_softmax)(const FN(ctx) * cx)
{
    if (cx->da) {
        size_t P = (size_t)cx->so[0] * cx->so[1];
        for (size_t p = 0; p < P; p++) {
            const T *o = cx->y + p * cx->C, *g = cx->dy + p * cx->C;
            T dot = 0;
            for (int k = 0; k < cx->C; k++)
                dot += o[k] * g[k];
            for (int k = 0; k < cx->C; k++)
                cx->da[p * cx->C + k] += o[k] * (g[k] - dot);
        }
    }
}

static void FN(bwd_matmul_tn)(const FN(ctx) * cx)
{
    int CK = cx->sa[2], CQ = cx->sb[2];
    size_t P = (size_t)cx->sa[0] * cx->sa[1];
    T al = (T)cx->nd->f0;
    for (size_t p = 0; p < P; p++) {
        const T *kp = cx->a + p * CK, *qp = cx->b + p * CQ;
        if (cx->da)
            for (int ii = 0; ii < CK; ii++) {
                T acc = 0;
                for (int j = 0; j < CQ; j++)
                    acc += cx->dy[ii * CQ + j] * qp[j];
                cx->da[p * CK + ii] += al * acc;
            }
        if (cx->dbb)
            for (int j = 0; j < CQ; j++) {
                T acc = 0;
                for (int ii = 0; ii < CK; ii++)
                    acc += cx->dy[ii * CQ + j] * kp[ii];
                cx->dbb[p * CQ + j] += al * acc;
            }
    }
}

static void FN(bwd_matmul_pixels)(const FN(ctx) * cx)
{
    int CV = cx->sa[2], CQ = cx->C;
    size_t P = (size_t)cx->sa[0] * cx->sa[1];
    for (size_t p = 0; p < P; p++) {
        const T *g = cx->dy + p * CQ, *v = cx->a + p * CV;
        for (int ii = 0; ii < CV; ii++) {
            T acc = 0;
            for (int j = 0; j < CQ; j++) {
                acc += g[j] * cx->b[ii * CQ + j];
                if (cx->dbb)
                    cx->dbb[ii * CQ + j] += v[ii] * g[j];
            }
            if (cx->da)
                cx->da[p * CV + ii] += acc;
        }
    }
}

/* ---- the slot executor: dispatch by op kind ---------------------------- */

/* The forward and backward pass of every op kind (input: none). */
typedef struct FN(op) {
    void (*fwd)(const FN(ctx) *);
    void (*bwd)(const FN(ctx) *);
} FN(op);

static const FN(op) FN(ops)[VSR_OP_COUNT_] = {
    [VSR_OP_CONV2D] = {FN(fwd_conv2d), FN(bwd_conv2d)},
    [VSR_OP_RELU] = {FN(fwd_act), FN(bwd_act)},
    [VSR_OP_LEAKY_RELU] = {FN(fwd_act), FN(bwd_act)},
    [VSR_OP_PRELU] = {FN(fwd_act), FN(bwd_act)},
    [VSR_OP_GELU] = {FN(fwd_act), FN(bwd_act)},
    [VSR_OP_SIGMOID] = {FN(fwd_act), FN(bwd_act)},
    [VSR_OP_CLIP] = {FN(fwd_act), FN(bwd_act)},
    [VSR_OP_ADD] = {FN(fwd_add_mul), FN(bwd_add_mul)},
    [VSR_OP_MUL] = {FN(fwd_add_mul), FN(bwd_add_mul)},
    [VSR_OP_SCALE] = {FN(fwd_scale), FN(bwd_scale)},
    [VSR_OP_CONCAT] = {FN(fwd_concat), FN(bwd_concat)},
    [VSR_OP_SLICE] = {FN(fwd_slice), FN(bwd_slice)},
    [VSR_OP_CHANNEL_SHUFFLE] = {FN(fwd_channel_shuffle), FN(bwd_channel_shuffle)},
    [VSR_OP_DEPTH_TO_SPACE] = {FN(fwd_depth_to_space), FN(bwd_depth_to_space)},
    [VSR_OP_RESIZE_BILINEAR] = {FN(fwd_resize_bilinear), FN(bwd_resize_bilinear)},
    [VSR_OP_RESIZE_NEAREST] = {FN(fwd_resize_nearest), FN(bwd_resize_nearest)},
    [VSR_OP_LAYER_NORM] = {FN(fwd_layer_norm), FN(bwd_layer_norm)},
    [VSR_OP_BATCH_NORM] = {FN(fwd_batch_norm), FN(bwd_batch_norm)},
    [VSR_OP_GLOBAL_AVG_POOL] = {FN(fwd_pool), FN(bwd_pool)},
    [VSR_OP_GLOBAL_STD_POOL] = {FN(fwd_pool), FN(bwd_pool)},
    [VSR_OP_SOFTMAX] = {FN(fwd_softmax), FN(bwd_softmax)},
    [VSR_OP_MATMUL_TN] = {FN(fwd_matmul_tn), FN(bwd_matmul_tn)},
    [VSR_OP_MATMUL_PIXELS] = {FN(fwd_matmul_pixels), FN(bwd_matmul_pixels)},
};

static FN(ctx) FN(node_ctx)(const tr_net *n, tr_slot *s, int i)
{
    const vsr_node *nd = &n->g->nodes[i];
    const int *so = &n->shp[3 * i];
    FN(ctx) cx = {.n = n, .s = s, .i = i, .nd = nd, .so = so};
    cx.sa = nd->n_in > 0 ? &n->shp[3 * nd->in[0]] : NULL;
    cx.sb = nd->n_in > 1 ? &n->shp[3 * nd->in[1]] : NULL;
    cx.y = (T *)s->act[i];
    cx.a = nd->n_in > 0 ? (const T *)s->act[nd->in[0]] : NULL;
    cx.b = nd->n_in > 1 ? (const T *)s->act[nd->in[1]] : NULL;
    cx.N = (size_t)so[0] * so[1] * so[2];
    cx.C = so[2];
    return cx;
}

static void FN(forward_node)(const tr_net *n, tr_slot *s, int i)
{
    const FN(op) *op = &FN(ops)[n->g->nodes[i].op];
    if (!op->fwd)
        return;
    FN(ctx) cx = FN(node_ctx)(n, s, i);
    op->fwd(&cx);
}

/* Gradient of node i's output (s->grad[i]) pushed into its inputs and weights. */
static void FN(backward_node)(const tr_net *n, tr_slot *s, int bidx, int i)
{
    const vsr_node *nd = &n->g->nodes[i];
    const FN(op) *op = &FN(ops)[nd->op];
    if (!op->bwd)
        return;
    FN(ctx) cx = FN(node_ctx)(n, s, i);
    cx.bidx = bidx;
    cx.dy = (const T *)s->grad[i];
    cx.da = nd->n_in > 0 && n->needs[nd->in[0]] ? (T *)s->grad[nd->in[0]] : NULL;
    cx.dbb = nd->n_in > 1 && n->needs[nd->in[1]] ? (T *)s->grad[nd->in[1]] : NULL;
    op->bwd(&cx);
}

#undef T
#undef TR_IS_FLOAT
#undef FN
#undef REAL_EXP
#undef REAL_SQRT
#undef REAL_ERF
