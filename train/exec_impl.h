/*
 * exec_impl.h: forward and backward of every op on one slot, written once
 * for the element type T and included by exec.c for float and double
 * (FN(x) appends the type suffix). Layout HWC; see train.h for semantics.
 *
 * Expects: T, FN(), REAL_EXP, REAL_SQRT, REAL_ERF, and the types of
 * train_internal.h.
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

/* Output rows [y0, y1). */
static void FN(conv_fwd)(const tr_convg *g, const T *in, const T *w, const T *b, T *out, int y0,
                         int y1)
{
    const int CO = g->CO;
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
                    const T *xp = in + ((size_t)iy * g->W + ix) * g->C;
                    const T *wk = w + ((size_t)ky * g->kw + kx) * g->cig * CO;
                    if (g->groups == 1) {
                        for (int ci = 0; ci < g->cig; ci++) {
                            const T xv = xp[ci], *wr = wk + (size_t)ci * CO;
                            for (int k = 0; k < CO; k++)
                                o[k] += xv * wr[k];
                        }
                    } else {
                        for (int gi = 0; gi < g->groups; gi++)
                            for (int ci = 0; ci < g->cig; ci++) {
                                const T xv = xp[gi * g->cig + ci];
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
static void FN(conv_bwd_w)(const tr_convg *g, const T *in, const T *dpre, T *dw, T *db)
{
    const int CO = g->CO;
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
                    const T *xp = in + ((size_t)iy * g->W + ix) * g->C;
                    size_t wo = ((size_t)ky * g->kw + kx) * g->cig * CO;
                    for (int gi = 0; gi < g->groups; gi++)
                        for (int ci = 0; ci < g->cig; ci++) {
                            const T xv = xp[gi * g->cig + ci];
                            T *dwr = dw + wo + (size_t)ci * CO + (size_t)gi * g->cog;
                            const T *d = dp + (size_t)gi * g->cog;
                            for (int k = 0; k < g->cog; k++)
                                dwr[k] += xv * d[k];
                        }
                }
            }
        }
}

/* dpre -> din (+=): gathered per input pixel, each element summed over (ky, kx, k)
 * ascending starting from its current value (conv_internal.h). */
static void FN(conv_bwd_x)(const tr_convg *g, const T *w, const T *dpre, T *din)
{
    const int CO = g->CO;
    for (int iy = 0; iy < g->H; iy++)
        for (int ix = 0; ix < g->W; ix++) {
            T *q = din + ((size_t)iy * g->W + ix) * g->C;
            for (int gi = 0; gi < g->groups; gi++)
                for (int ci = 0; ci < g->cig; ci++) {
                    T acc = q[gi * g->cig + ci];
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
                            const T *wr = w + (((size_t)ky * g->kw + kx) * g->cig + ci) * CO +
                                          (size_t)gi * g->cog;
                            const T *d =
                                dpre + ((size_t)oy * g->OW + ox) * CO + (size_t)gi * g->cog;
                            for (int k = 0; k < g->cog; k++)
                                acc += wr[k] * d[k];
                        }
                    }
                    q[gi * g->cig + ci] = acc;
                }
        }
}

/* Depthwise convs (one input and one output channel per group): the same
 * per-element order as conv_fwd / conv_bwd_w / conv_bwd_x, with the channel
 * loop innermost so that it vectorizes. */
static void FN(dw_fwd)(const tr_convg *g, const T *in, const T *w, const T *b, T *out)
{
    const int C = g->CO;
    for (int oy = 0; oy < g->OH; oy++)
        for (int ox = 0; ox < g->OW; ox++) {
            T *o = out + ((size_t)oy * g->OW + ox) * C;
            for (int c = 0; c < C; c++)
                o[c] = b ? b[c] : 0;
            for (int ky = 0; ky < g->kh; ky++) {
                int iy = oy * g->s - g->pt + ky * g->d;
                if (iy < 0 || iy >= g->H)
                    continue;
                for (int kx = 0; kx < g->kw; kx++) {
                    int ix = ox * g->s - g->pl + kx * g->d;
                    if (ix < 0 || ix >= g->W)
                        continue;
                    const T *xp = in + ((size_t)iy * g->W + ix) * C;
                    const T *wk = w + ((size_t)ky * g->kw + kx) * C;
                    for (int c = 0; c < C; c++)
                        o[c] += xp[c] * wk[c];
                }
            }
        }
}

static void FN(dw_bwd_w)(const tr_convg *g, const T *in, const T *dpre, T *dw, T *db)
{
    const int C = g->CO;
    for (int oy = 0; oy < g->OH; oy++)
        for (int ox = 0; ox < g->OW; ox++) {
            const T *dp = dpre + ((size_t)oy * g->OW + ox) * C;
            if (db)
                for (int c = 0; c < C; c++)
                    db[c] += dp[c];
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
                    T *dwr = dw + ((size_t)ky * g->kw + kx) * C;
                    for (int c = 0; c < C; c++)
                        dwr[c] += xp[c] * dp[c];
                }
            }
        }
}

static void FN(dw_bwd_x)(const tr_convg *g, const T *w, const T *dpre, T *din)
{
    const int C = g->CO;
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
                    const T *wk = w + ((size_t)ky * g->kw + kx) * C;
                    const T *d = dpre + ((size_t)oy * g->OW + ox) * C;
                    for (int c = 0; c < C; c++)
                        q[c] += wk[c] * d[c];
                }
            }
        }
}

static int FN(is_dw)(const tr_convg *g)
{
    return g->groups > 1 && g->cig == 1 && g->cog == 1;
}

#if TR_IS_FLOAT
/* Float nets on a CPU with the x86 kernels: dense convs up to 64 channels. */
static int FN(conv_fast)(const tr_net *n, const tr_convg *g)
{
    return g->groups == 1 && g->C <= TR_CONV_MAX_CH && g->CO <= TR_CONV_MAX_CH &&
           n->ck.fwd != NULL;
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
#else
    (void)n;
#endif
    if (FN(is_dw)(g))
        FN(dw_fwd)(g, in, w, b, out);
    else
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
#else
    (void)n, (void)s;
#endif
    if (FN(is_dw)(g)) {
        FN(dw_bwd_w)(g, in, dpre, dw, db);
        if (din)
            FN(dw_bwd_x)(g, w, dpre, din);
        return;
    }
    FN(conv_bwd_w)(g, in, dpre, dw, db);
    if (din)
        FN(conv_bwd_x)(g, w, dpre, din);
}

/* ---- the slot executor --------------------------------------------- */

static const T *FN(wp)(const tr_net *n, const vsr_node *nd, int k)
{
    return (const T *)n->pwork + n->woff[nd->w_first + k];
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
    switch (nd->op) {
    case VSR_OP_RELU:
        a.type = VSR_ACT_RELU;
        break;
    case VSR_OP_LEAKY_RELU:
        a.type = VSR_ACT_LEAKY_RELU;
        break;
    case VSR_OP_PRELU:
        a.type = VSR_ACT_PRELU;
        break;
    case VSR_OP_CLIP:
        a.type = VSR_ACT_CLIP;
        break;
    case VSR_OP_SIGMOID:
        a.type = VSR_ACT_SIGMOID;
        break;
    case VSR_OP_GELU:
        a.type = -1;
        break;
    default:
        a.type = src->type;
    }
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

static void FN(forward_node)(const tr_net *n, tr_slot *s, int i)
{
    const vsr_node *nd = &n->g->nodes[i];
    const int *so = &n->shp[3 * i];
    const int *sa = nd->n_in > 0 ? &n->shp[3 * nd->in[0]] : NULL;
    const int *sb = nd->n_in > 1 ? &n->shp[3 * nd->in[1]] : NULL;
    T *y = (T *)s->act[i];
    const T *a = nd->n_in > 0 ? (const T *)s->act[nd->in[0]] : NULL;
    const T *b = nd->n_in > 1 ? (const T *)s->act[nd->in[1]] : NULL;
    const size_t N = (size_t)so[0] * so[1] * so[2];
    const int C = so[2];
    switch (nd->op) {
    case VSR_OP_INPUT:
        break;
    case VSR_OP_CONV2D: {
        tr_convg g;
        FN(conv_geom)(&nd->conv, sa, so, &g);
        const T *bias = nd->conv.bias ? FN(wp)(n, nd, 1) : NULL;
        T *pre = s->pre[i] ? (T *)s->pre[i] : y;
        FN(conv_forward)(n, &g, a, FN(wp)(n, nd, 0), bias, pre);
        if (s->pre[i]) {
            FN(actp) ap = FN(node_act)(n, nd, 1);
            FN(act_fwd)(&ap, pre, y, N, C);
        }
        break;
    }
    case VSR_OP_RELU:
    case VSR_OP_LEAKY_RELU:
    case VSR_OP_PRELU:
    case VSR_OP_GELU:
    case VSR_OP_SIGMOID:
    case VSR_OP_CLIP: {
        FN(actp) ap = FN(node_act)(n, nd, 0);
        FN(act_fwd)(&ap, a, y, N, C);
        break;
    }
    case VSR_OP_ADD:
    case VSR_OP_MUL: {
        int m = FN(bmode)(sa, sb);
        for (size_t k = 0; k < N; k++) {
            T bv = m == 0 ? b[k] : m == 1 ? b[k / (size_t)C] : b[k % (size_t)C];
            y[k] = nd->op == VSR_OP_ADD ? a[k] + bv : a[k] * bv;
        }
        break;
    }
    case VSR_OP_SCALE:
        for (size_t k = 0; k < N; k++)
            y[k] = (T)nd->f0 * a[k] + (T)nd->f1;
        break;
    case VSR_OP_CONCAT: {
        size_t P = (size_t)so[0] * so[1];
        int c0 = 0;
        for (int k = 0; k < nd->n_in; k++) {
            int ck = n->shp[3 * nd->in[k] + 2];
            const T *src = (const T *)s->act[nd->in[k]];
            for (size_t p = 0; p < P; p++)
                memcpy(y + p * C + c0, src + p * ck, (size_t)ck * sizeof(T));
            c0 += ck;
        }
        break;
    }
    case VSR_OP_SLICE: {
        size_t P = (size_t)so[0] * so[1];
        for (size_t p = 0; p < P; p++)
            memcpy(y + p * C, a + p * sa[2] + nd->i0, (size_t)C * sizeof(T));
        break;
    }
    case VSR_OP_CHANNEL_SHUFFLE: {
        size_t P = (size_t)so[0] * so[1];
        int gr = nd->i0, cpg = C / gr;
        for (size_t p = 0; p < P; p++)
            for (int gi = 0; gi < gr; gi++)
                for (int j = 0; j < cpg; j++)
                    y[p * C + j * gr + gi] = a[p * C + gi * cpg + j];
        break;
    }
    case VSR_OP_DEPTH_TO_SPACE: {
        int r = nd->i0;
        for (int Y = 0; Y < so[0]; Y++)
            for (int X = 0; X < so[1]; X++)
                memcpy(y + ((size_t)Y * so[1] + X) * C,
                       a + ((size_t)(Y / r) * sa[1] + X / r) * sa[2] +
                           (size_t)((Y % r) * r + X % r) * C,
                       (size_t)C * sizeof(T));
        break;
    }
    case VSR_OP_RESIZE_NEAREST: {
        int f = nd->i0;
        for (int Y = 0; Y < so[0]; Y++)
            for (int X = 0; X < so[1]; X++)
                memcpy(y + ((size_t)Y * so[1] + X) * C,
                       a + ((size_t)(Y / f) * sa[1] + X / f) * C, (size_t)C * sizeof(T));
        break;
    }
    case VSR_OP_RESIZE_BILINEAR: {
        const tr_bil *bl = &n->bil[i];
        for (int Y = 0; Y < so[0]; Y++)
            for (int X = 0; X < so[1]; X++) {
                const T *a0 = a + ((size_t)bl->yl[Y] * sa[1] + bl->xl[X]) * C;
                const T *a1 = a + ((size_t)bl->yl[Y] * sa[1] + bl->xh[X]) * C;
                const T *b0 = a + ((size_t)bl->yh[Y] * sa[1] + bl->xl[X]) * C;
                const T *b1 = a + ((size_t)bl->yh[Y] * sa[1] + bl->xh[X]) * C;
                T wx = (T)bl->xw[X], wy = (T)bl->yw[Y];
                T *o = y + ((size_t)Y * so[1] + X) * C;
                for (int c = 0; c < C; c++) {
                    T top = a0[c] + (a1[c] - a0[c]) * wx;
                    T bot = b0[c] + (b1[c] - b0[c]) * wx;
                    o[c] = top + (bot - top) * wy;
                }
            }
        break;
    }
    case VSR_OP_LAYER_NORM: {
        const T *gm = FN(wp)(n, nd, 0), *bt = FN(wp)(n, nd, 1);
        size_t P = (size_t)so[0] * so[1];
        for (size_t p = 0; p < P; p++) {
            const T *x = a + p * C;
            T mu = 0, var = 0;
            for (int k = 0; k < C; k++)
                mu += x[k];
            mu /= (T)C;
            for (int k = 0; k < C; k++)
                var += (x[k] - mu) * (x[k] - mu);
            var /= (T)C;
            T inv = (T)1 / REAL_SQRT(var + (T)nd->f0);
            for (int k = 0; k < C; k++)
                y[p * C + k] = gm[k] * (x[k] - mu) * inv + bt[k];
        }
        break;
    }
    case VSR_OP_BATCH_NORM: {
        const T *gm = FN(wp)(n, nd, 0), *bt = FN(wp)(n, nd, 1);
        const T *mu = FN(wp)(n, nd, 2), *vr = FN(wp)(n, nd, 3);
        T *sd = (T *)s->tmp; /* per-channel sqrt(var + eps), the same values per element */
        for (int c = 0; c < C; c++)
            sd[c] = REAL_SQRT(vr[c] + (T)nd->f0);
        for (size_t k = 0, p = 0; p < N / (size_t)C; p++)
            for (int c = 0; c < C; c++, k++)
                y[k] = gm[c] * (a[k] - mu[c]) / sd[c] + bt[c];
        break;
    }
    case VSR_OP_GLOBAL_AVG_POOL:
    case VSR_OP_GLOBAL_STD_POOL: {
        size_t P = (size_t)sa[0] * sa[1];
        for (int c = 0; c < C; c++) {
            double s1 = 0, s2 = 0;
            for (size_t p = 0; p < P; p++) {
                double v = (double)a[p * C + c];
                s1 += v;
                s2 += v * v;
            }
            double mu = s1 / (double)P, var = s2 / (double)P - mu * mu;
            y[c] = nd->op == VSR_OP_GLOBAL_AVG_POOL ? (T)mu : (T)sqrt(var > 0 ? var : 0);
        }
        break;
    }
    case VSR_OP_SOFTMAX: {
        size_t P = (size_t)so[0] * so[1];
        for (size_t p = 0; p < P; p++) {
            const T *x = a + p * C;
            T *o = y + p * C, mx = x[0], sum = 0;
            for (int k = 1; k < C; k++)
                mx = x[k] > mx ? x[k] : mx;
            for (int k = 0; k < C; k++)
                sum += (o[k] = REAL_EXP(x[k] - mx));
            for (int k = 0; k < C; k++)
                o[k] /= sum;
        }
        break;
    }
    case VSR_OP_MATMUL_TN: {
        int CK = sa[2], CQ = sb[2];
        size_t P = (size_t)sa[0] * sa[1];
        for (int ii = 0; ii < CK; ii++)
            for (int j = 0; j < CQ; j++) {
                double acc = 0;
                for (size_t p = 0; p < P; p++)
                    acc += (double)a[p * CK + ii] * (double)b[p * CQ + j];
                y[ii * CQ + j] = (T)(acc * nd->f0);
            }
        break;
    }
    case VSR_OP_MATMUL_PIXELS: {
        int CV = sa[2], CQ = C;
        size_t P = (size_t)sa[0] * sa[1];
        for (size_t p = 0; p < P; p++)
            for (int j = 0; j < CQ; j++) {
                T acc = 0;
                for (int ii = 0; ii < CV; ii++)
                    acc += a[p * CV + ii] * b[ii * CQ + j];
                y[p * CQ + j] = acc;
            }
        break;
    }
    default:
        break;
    }
}

/* Gradient of node i's output (s->grad[i]) pushed into its inputs and weights. */
static void FN(backward_node)(const tr_net *n, tr_slot *s, int bidx, int i)
{
    const vsr_node *nd = &n->g->nodes[i];
    const int *so = &n->shp[3 * i];
    const int *sa = nd->n_in > 0 ? &n->shp[3 * nd->in[0]] : NULL;
    const int *sb = nd->n_in > 1 ? &n->shp[3 * nd->in[1]] : NULL;
    const T *dy = (const T *)s->grad[i];
    const T *y = (const T *)s->act[i];
    const T *a = nd->n_in > 0 ? (const T *)s->act[nd->in[0]] : NULL;
    const T *b = nd->n_in > 1 ? (const T *)s->act[nd->in[1]] : NULL;
    T *da = nd->n_in > 0 && n->needs[nd->in[0]] ? (T *)s->grad[nd->in[0]] : NULL;
    T *dbb = nd->n_in > 1 && n->needs[nd->in[1]] ? (T *)s->grad[nd->in[1]] : NULL;
    const size_t N = (size_t)so[0] * so[1] * so[2];
    const int C = so[2];
    switch (nd->op) {
    case VSR_OP_INPUT:
        break;
    case VSR_OP_CONV2D: {
        tr_convg g;
        FN(conv_geom)(&nd->conv, sa, so, &g);
        const T *dpre = dy;
        if (s->pre[i]) {
            FN(actp) ap = FN(node_act)(n, nd, 1);
            T *dsl = ap.type == VSR_ACT_PRELU ? FN(wg)(n, bidx, nd, 1 + (nd->conv.bias ? 1 : 0))
                                              : NULL;
            FN(act_bwd)(&ap, (const T *)s->pre[i], y, dy, (T *)s->tmp, dsl, N, C, 0, 0);
            dpre = (const T *)s->tmp;
        }
        FN(conv_backward)
        (n, s, &g, a, FN(wp)(n, nd, 0), dpre, FN(wg)(n, bidx, nd, 0),
         nd->conv.bias ? FN(wg)(n, bidx, nd, 1) : NULL, da);
        break;
    }
    case VSR_OP_RELU:
    case VSR_OP_LEAKY_RELU:
    case VSR_OP_PRELU:
    case VSR_OP_GELU:
    case VSR_OP_SIGMOID:
    case VSR_OP_CLIP: {
        FN(actp) ap = FN(node_act)(n, nd, 0);
        T *dsl = nd->op == VSR_OP_PRELU ? FN(wg)(n, bidx, nd, 0) : NULL;
        int ste = nd->op == VSR_OP_CLIP && n->ste_clip[i];
        if (da)
            FN(act_bwd)(&ap, a, y, dy, da, dsl, N, C, 1, ste);
        else if (dsl) {
            /* slopes only: run into the scratch buffer */
            FN(act_bwd)(&ap, a, y, dy, (T *)s->tmp, dsl, N, C, 0, ste);
        }
        break;
    }
    case VSR_OP_ADD:
    case VSR_OP_MUL: {
        int m = FN(bmode)(sa, sb);
        for (size_t k = 0; k < N; k++) {
            size_t bk = m == 0 ? k : m == 1 ? k / (size_t)C : k % (size_t)C;
            if (nd->op == VSR_OP_ADD) {
                if (da)
                    da[k] += dy[k];
                if (dbb)
                    dbb[bk] += dy[k];
            } else {
                if (da)
                    da[k] += dy[k] * b[bk];
                if (dbb)
                    dbb[bk] += dy[k] * a[k];
            }
        }
        break;
    }
    case VSR_OP_SCALE:
        if (da)
            for (size_t k = 0; k < N; k++)
                da[k] += (T)nd->f0 * dy[k];
        break;
    case VSR_OP_CONCAT: {
        size_t P = (size_t)so[0] * so[1];
        int c0 = 0;
        for (int k = 0; k < nd->n_in; k++) {
            int ck = n->shp[3 * nd->in[k] + 2];
            if (n->needs[nd->in[k]]) {
                T *dk = (T *)s->grad[nd->in[k]];
                for (size_t p = 0; p < P; p++)
                    for (int c = 0; c < ck; c++)
                        dk[p * ck + c] += dy[p * C + c0 + c];
            }
            c0 += ck;
        }
        break;
    }
    case VSR_OP_SLICE:
        if (da) {
            size_t P = (size_t)so[0] * so[1];
            for (size_t p = 0; p < P; p++)
                for (int c = 0; c < C; c++)
                    da[p * sa[2] + nd->i0 + c] += dy[p * C + c];
        }
        break;
    case VSR_OP_CHANNEL_SHUFFLE:
        if (da) {
            size_t P = (size_t)so[0] * so[1];
            int gr = nd->i0, cpg = C / gr;
            for (size_t p = 0; p < P; p++)
                for (int gi = 0; gi < gr; gi++)
                    for (int j = 0; j < cpg; j++)
                        da[p * C + gi * cpg + j] += dy[p * C + j * gr + gi];
        }
        break;
    case VSR_OP_DEPTH_TO_SPACE:
        if (da) {
            int r = nd->i0;
            for (int Y = 0; Y < so[0]; Y++)
                for (int X = 0; X < so[1]; X++) {
                    T *d = da + ((size_t)(Y / r) * sa[1] + X / r) * sa[2] +
                           (size_t)((Y % r) * r + X % r) * C;
                    const T *g = dy + ((size_t)Y * so[1] + X) * C;
                    for (int c = 0; c < C; c++)
                        d[c] += g[c];
                }
        }
        break;
    case VSR_OP_RESIZE_NEAREST:
        if (da) {
            int f = nd->i0;
            for (int Y = 0; Y < so[0]; Y++)
                for (int X = 0; X < so[1]; X++) {
                    T *d = da + ((size_t)(Y / f) * sa[1] + X / f) * C;
                    const T *g = dy + ((size_t)Y * so[1] + X) * C;
                    for (int c = 0; c < C; c++)
                        d[c] += g[c];
                }
        }
        break;
    case VSR_OP_RESIZE_BILINEAR:
        if (da) {
            const tr_bil *bl = &n->bil[i];
            for (int Y = 0; Y < so[0]; Y++)
                for (int X = 0; X < so[1]; X++) {
                    T *a0 = da + ((size_t)bl->yl[Y] * sa[1] + bl->xl[X]) * C;
                    T *a1 = da + ((size_t)bl->yl[Y] * sa[1] + bl->xh[X]) * C;
                    T *b0 = da + ((size_t)bl->yh[Y] * sa[1] + bl->xl[X]) * C;
                    T *b1 = da + ((size_t)bl->yh[Y] * sa[1] + bl->xh[X]) * C;
                    T wx = (T)bl->xw[X], wy = (T)bl->yw[Y];
                    const T *g = dy + ((size_t)Y * so[1] + X) * C;
                    for (int c = 0; c < C; c++) {
                        T top = g[c] * ((T)1 - wy), bot = g[c] * wy;
                        a0[c] += top * ((T)1 - wx);
                        a1[c] += top * wx;
                        b0[c] += bot * ((T)1 - wx);
                        b1[c] += bot * wx;
                    }
                }
        }
        break;
    case VSR_OP_LAYER_NORM: {
        const T *gm = FN(wp)(n, nd, 0);
        T *dg = FN(wg)(n, bidx, nd, 0), *dbt = FN(wg)(n, bidx, nd, 1);
        size_t P = (size_t)so[0] * so[1];
        for (size_t p = 0; p < P; p++) {
            const T *x = a + p * C, *g = dy + p * C;
            T mu = 0, var = 0;
            for (int k = 0; k < C; k++)
                mu += x[k];
            mu /= (T)C;
            for (int k = 0; k < C; k++)
                var += (x[k] - mu) * (x[k] - mu);
            var /= (T)C;
            T inv = (T)1 / REAL_SQRT(var + (T)nd->f0);
            T m1 = 0, m2 = 0;
            for (int k = 0; k < C; k++) {
                T xh = (x[k] - mu) * inv, dxh = g[k] * gm[k];
                if (dg)
                    dg[k] += g[k] * xh;
                if (dbt)
                    dbt[k] += g[k];
                m1 += dxh;
                m2 += dxh * xh;
            }
            m1 /= (T)C;
            m2 /= (T)C;
            if (da)
                for (int k = 0; k < C; k++) {
                    T xh = (x[k] - mu) * inv;
                    da[p * C + k] += inv * (g[k] * gm[k] - m1 - xh * m2);
                }
        }
        break;
    }
    case VSR_OP_BATCH_NORM: {
        const T *gm = FN(wp)(n, nd, 0), *mu = FN(wp)(n, nd, 2), *vr = FN(wp)(n, nd, 3);
        T *dg = FN(wg)(n, bidx, nd, 0), *dbt = FN(wg)(n, bidx, nd, 1);
        T *inv = (T *)s->tmp; /* per channel, the same values per element */
        for (int c = 0; c < C; c++)
            inv[c] = (T)1 / REAL_SQRT(vr[c] + (T)nd->f0);
        for (size_t k = 0, p = 0; p < N / (size_t)C; p++)
            for (int c = 0; c < C; c++, k++) {
                if (da)
                    da[k] += dy[k] * gm[c] * inv[c];
                if (dg)
                    dg[c] += dy[k] * (a[k] - mu[c]) * inv[c];
                if (dbt)
                    dbt[c] += dy[k];
            }
        break;
    }
    case VSR_OP_GLOBAL_AVG_POOL:
    case VSR_OP_GLOBAL_STD_POOL:
        if (da) {
            size_t P = (size_t)sa[0] * sa[1];
            for (int c = 0; c < C; c++) {
                if (nd->op == VSR_OP_GLOBAL_AVG_POOL) {
                    T g = dy[c] / (T)P;
                    for (size_t p = 0; p < P; p++)
                        da[p * C + c] += g;
                } else {
                    double s1 = 0;
                    for (size_t p = 0; p < P; p++)
                        s1 += (double)a[p * C + c];
                    T mu = (T)(s1 / (double)P);
                    if (y[c] <= 0)
                        continue;
                    T g = dy[c] / ((T)P * y[c]);
                    for (size_t p = 0; p < P; p++)
                        da[p * C + c] += g * (a[p * C + c] - mu);
                }
            }
        }
        break;
    case VSR_OP_SOFTMAX:
        if (da) {
            size_t P = (size_t)so[0] * so[1];
            for (size_t p = 0; p < P; p++) {
                const T *o = y + p * C, *g = dy + p * C;
                T dot = 0;
                for (int k = 0; k < C; k++)
                    dot += o[k] * g[k];
                for (int k = 0; k < C; k++)
                    da[p * C + k] += o[k] * (g[k] - dot);
            }
        }
        break;
    case VSR_OP_MATMUL_TN: {
        int CK = sa[2], CQ = sb[2];
        size_t P = (size_t)sa[0] * sa[1];
        T al = (T)nd->f0;
        for (size_t p = 0; p < P; p++) {
            const T *kp = a + p * CK, *qp = b + p * CQ;
            if (da)
                for (int ii = 0; ii < CK; ii++) {
                    T acc = 0;
                    for (int j = 0; j < CQ; j++)
                        acc += dy[ii * CQ + j] * qp[j];
                    da[p * CK + ii] += al * acc;
                }
            if (dbb)
                for (int j = 0; j < CQ; j++) {
                    T acc = 0;
                    for (int ii = 0; ii < CK; ii++)
                        acc += dy[ii * CQ + j] * kp[ii];
                    dbb[p * CQ + j] += al * acc;
                }
        }
        break;
    }
    case VSR_OP_MATMUL_PIXELS: {
        int CV = sa[2], CQ = C;
        size_t P = (size_t)sa[0] * sa[1];
        for (size_t p = 0; p < P; p++) {
            const T *g = dy + p * CQ, *v = a + p * CV;
            for (int ii = 0; ii < CV; ii++) {
                T acc = 0;
                for (int j = 0; j < CQ; j++) {
                    acc += g[j] * b[ii * CQ + j];
                    if (dbb)
                        dbb[ii * CQ + j] += v[ii] * g[j];
                }
                if (da)
                    da[p * CV + ii] += acc;
            }
        }
        break;
    }
    default:
        break;
    }
}
