/*
 * conv2d in FP32, FP16 and INT8: weight preparation (BN folding, rounding,
 * quantization, SIMD packing), the scalar reference per pixel, and the row
 * driver that hands interior pixels of dense stride-1 convs to the selected
 * microkernel.
 */
#include <math.h>
#include <stdlib.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../engine_internal.h"
#include "../quant_tflite.h"

static float f16r(float x)
{
    return vsr_f16_to_f32(vsr_f32_to_f16(x));
}

void *vsr__zalloc64(size_t n, size_t size)
{
    void *p = NULL;
    size_t bytes = n * size;
    if (posix_memalign(&p, 64, bytes ? bytes : 64))
        return NULL;
    memset(p, 0, bytes);
    return p;
}

void vsr__conv_free(vsr_conv_prep *c)
{
    free(c->w), free(c->b), free(c->alpha), free(c->wpack), free(c->bpack);
    free(c->wq), free(c->bq), free(c->qm), free(c->qs), free(c->wscale);
    free(c->wqpack), free(c->bqpack), free(c->qmpack), free(c->qspack), free(c->wicpack);
    free(c->rq64pack);
    free(c->wplpack);
    free(c->w16pack), free(c->b16pack);
    free(c->whpack), free(c->bhpack);
    free(c->gwpack), free(c->gbpack), free(c->gw16pack), free(c->gb16pack);
    free(c->gqmpack), free(c->gqspack);
    vsr__wino_free(&c->wino);
    memset(c, 0, sizeof(*c));
}

static const float *wdata(const vsr_graph *g, int node, const char *role)
{
    char nm[VSR_NAME_MAX + 16];
    snprintf(nm, sizeof(nm), "%s.%s", g->nodes[node].name, role);
    int k = vsr__graph_find_weight(g, nm);
    return k >= 0 ? g->wts[k].data : NULL;
}

static int act_from_node(const vsr_node *nd, vsr_act *a)
{
    memset(a, 0, sizeof(*a));
    if (nd->op == VSR_OP_RELU)
        a->type = VSR_ACT_RELU;
    else
        *a = nd->act;
    return 0;
}

/*
 * Whether a dense INT8 conv gathers each pixel's taps into one vector of channels
 * first (dense_rows_im2col): on VNNI, when its input channels leave bytes of the
 * 4-byte groups idle (cin % 4, e.g. an RGB or Y input) and all kh x kw x cin taps
 * fit 32 channels (a 3x3 conv of 3 channels: 27 -> 28, 7 groups instead of 9 taps
 * of one group each, and a 28 -> 28 1x1 conv runs on the lane-tiled path).
 */
enum { VSR_IM2COL_MAX_KH = 32 }; /* kh <= taps * cin <= 32 */
static int im2col_eligible(const vsr_engine *e, const vsr_conv_prep *c, int cin, size_t taps)
{
    return e->k.qs8_conv_nx && !c->dw && !c->grouped && !c->float_epilogue && !c->tfl &&
           cin % 4 && taps > 1 && taps * (size_t)cin <= 32;
}

/*
 * Whether a conv's rows go through dense_rows (one by one, from the input in place):
 * dense FP32 convs, and dense INT8 ones on the VNNI kernel. The row driver and the
 * placement of the fused tail (vsr__conv_direct) must give the same answer.
 */
static int dense_in_place(const vsr_engine *e, const vsr_conv_prep *c, vsr_dtype in,
                          vsr_dtype out)
{
    return c->simd && !c->dw && !c->grouped &&
           ((in == VSR_DT_F32 && out == VSR_DT_F32) || (in == VSR_DT_I8 && e->k.qs8_conv_nx));
}

/* Whether the VNNI kernels may requantize conv c with the signed product:
 * vsr__rq_fast_ok() for every channel, whose accumulators cannot exceed |bias| +
 * 255 * sum |w| (an input minus its zero point lies in [-255, 255]). Power-of-two
 * scales (m = 2^30) make ties possible and take the exact 64-bit path. */
static int rq_fast(const vsr_conv_prep *c, size_t taps, int cout)
{
    size_t k = taps * (size_t)c->cig;
    for (int o = 0; o < cout; o++) {
        int64_t b = c->bq[o] < 0 ? -(int64_t)c->bq[o] : c->bq[o];
        for (size_t j = 0; j < k; j++) {
            int w = c->wq[j * (size_t)cout + (size_t)o];
            b += 255 * (w < 0 ? -w : w);
        }
        if (!vsr__rq_fast_ok(c->qm[o], c->qs[o], b))
            return 0;
    }
    return 1;
}

void vsr__rq64_pack(int64_t *d, const int32_t *qm, const int32_t *qs, int ncob, int zp)
{
    for (int cob = 0; cob < ncob; cob++, d += 48)
        for (int i = 0; i < 8; i++)
            for (int odd = 0; odd < 2; odd++) {
                int o = cob * 16 + 2 * i + odd, s = qs[o];
                d[odd * 8 + i] = qm[o];
                d[(2 + odd) * 8 + i] = vsr__rq_bias(s, zp);
                d[(4 + odd) * 8 + i] = odd ? s - 32 : s;
            }
}

/*
 * Whether a dense INT8 conv may run with pixels in lanes on row-blocked activations
 * (dense_rows_pl, x86/qs8-conv-pl-avx512vnni.c): on VNNI, when its output channels
 * leave lanes of the 16-channel tiles idle (cout not a multiple of 16: 28; 48 runs as
 * fast on the tiles), with channel counts in 4-byte groups up to 64, the integer
 * epilogue, rq_fast (the kernel's requantization; the other convs take the tiles'
 * exact path) and taps that reach at most VSR_PL_PAD pixels to either side.
 * Whether it does: vsr__conv_layouts.
 */
static int pl_eligible(const vsr_engine *e, const vsr_conv_prep *c, const vsr_node *nd, int cin,
                       int cout)
{
    const vsr_conv_params *p = &nd->conv;
    int keff = (p->kw - 1) * p->dilation + 1, pl = (keff - 1) / 2;
    if (!e->k.qs8_conv_pl || !c->simd || c->dw || c->grouped || c->float_epilogue || c->tfl ||
        (cin % 4 && cin > 3) || cin > 64 || !vsr_pl_cout(cout) || p->kh > VSR_PL_MAX_KH ||
        pl > VSR_PL_PAD || keff - 1 - pl > VSR_PL_PAD || !c->uk.rq_fast)
        return 0;
    return 1;
}

/* Whether executed node k is an INT8 conv that can run with pixels in lanes */
static int pl_capable(const vsr_engine *e, int k)
{
    return e->plan.exec[k] && e->g->nodes[k].op == VSR_OP_CONV2D && e->conv[k].uk.wpl &&
           !e->conv[k].wino && e->dt[e->plan.dst[k]] == VSR_DT_I8;
}

/* Whether executed node k can read tensor t row-blocked: as its input, with pixels in
 * lanes or on the VNNI tiles (dense_rows_blk: cin % 4 == 0, the integer epilogue) */
static int blk_reader(const vsr_engine *e, int k, int t)
{
    const vsr_node *nd = &e->g->nodes[k];
    const vsr_conv_prep *c = &e->conv[k];
    if (nd->op != VSR_OP_CONV2D || nd->n_in < 1 || nd->in[0] != t)
        return 0;
    return pl_capable(e, k) || (dense_in_place(e, c, VSR_DT_I8, e->dt[e->plan.dst[k]]) &&
                                e->dt[e->plan.dst[k]] == VSR_DT_I8 && !c->float_epilogue &&
                                !c->tfl && !c->wino && !c->ic.wq && c->cin % 4 == 0);
}

/*
 * The tensor layouts. An INT8 tensor is row-blocked when its producer can write it
 * with pixels in lanes and every reader can read it so (blk_reader): not a graph
 * output, not the fused tail's. A conv runs with pixels in lanes when a tensor it
 * touches is blocked (alone, NHWC in and out, the packing costs what the kernel saves:
 * docs/PERFORMANCE.md); a conv of another kind that reads a blocked tensor reads it on
 * the VNNI tiles.
 */
void vsr__conv_layouts(vsr_engine *e)
{
    const vsr_graph *g = e->g;
    for (int i = 0; i < g->n_nodes; i++) {
        e->blk[i] = 0;
        e->conv[i].pl = 0;
    }
    for (int i = 0; i < g->n_nodes; i++) {
        int t = e->plan.dst[i];
        if (!pl_capable(e, i) || e->dt[t] != VSR_DT_I8 || e->plan.is_output[t] ||
            (e->tail.node >= 0 && (t == e->tail.t || t == e->tail.x)))
            continue;
        int readers = 0, ok = 1;
        for (int k = 0; k < g->n_nodes && ok; k++) {
            if (!e->plan.exec[k])
                continue;
            for (int j = 0; j < g->nodes[k].n_in; j++)
                if (g->nodes[k].in[j] == t) {
                    ok &= j == 0 && blk_reader(e, k, t);
                    readers++;
                }
            for (int j = 0; e->plan.xin && j < 2; j++)
                ok &= e->plan.xin[2 * k + j] != t;
        }
        e->blk[t] = ok && readers > 0;
    }
    for (int i = 0; i < g->n_nodes; i++)
        if (pl_capable(e, i))
            e->conv[i].pl = e->blk[e->plan.dst[i]] || e->blk[g->nodes[i].in[0]];
}

/* Index of the weight of output o, tap t, input ci in the register-tiled INT8 layouts
 * [cout/lanes][taps][ceil(cin/grp)][lanes][grp]: VNNI (16 lanes, grp 4, int8), the AVX2
 * int16 pairs (16, 2) and pixels in lanes (4 outputs x 4 inputs a dword group). */
static size_t tile_index(int o, size_t t, int ci, size_t taps, int cin, int lanes, int grp)
{
    size_t cing = (size_t)(cin + grp - 1) / (size_t)grp;
    return ((((size_t)(o / lanes) * taps + t) * cing + (size_t)(ci / grp)) * (size_t)lanes +
            (size_t)(o % lanes)) *
               (size_t)grp +
           (size_t)(ci % grp);
}

int vsr__conv_prepare(vsr_engine *e, int i, vsr_error *err)
{
    const vsr_graph *g = e->g;
    const vsr_node *nd = &g->nodes[i];
    const vsr_conv_params *p = &nd->conv;
    vsr_conv_prep *c = &e->conv[i];
    int cin = g->nodes[nd->in[0]].c, cout = p->cout;
    size_t taps = (size_t)p->kh * p->kw;
    c->cin = cin;
    c->cig = cin / p->groups;
    c->cog = cout / p->groups;
    size_t wn = taps * (size_t)c->cig * (size_t)cout;
    c->w = malloc(wn * sizeof(float));
    c->b = calloc((size_t)cout, sizeof(float));
    if (!c->w || !c->b)
        return vsr_error_set(err, -ENOMEM, "%s: %s: out of memory", g->name, nd->name);
    memcpy(c->w, wdata(g, i, "weight"), wn * sizeof(float));
    if (p->bias)
        memcpy(c->b, wdata(g, i, "bias"), (size_t)cout * sizeof(float));
    int bn = e->plan.fold_bn[i];
    if (bn >= 0) {
        const float *ga = wdata(g, bn, "gamma"), *be = wdata(g, bn, "beta");
        const float *mu = wdata(g, bn, "mean"), *va = wdata(g, bn, "var");
        float eps = g->nodes[bn].f0;
        for (int o = 0; o < cout; o++) {
            float s = ga[o] / sqrtf(va[o] + eps);
            if (!isfinite(s))
                return vsr_error_set(err, -EINVAL,
                                     "%s: %s: batch norm scale of channel %d is not finite "
                                     "(variance %g)",
                                     g->name, g->nodes[bn].name, o, va[o]);
            for (size_t k = 0; k < taps * (size_t)c->cig; k++)
                c->w[k * (size_t)cout + (size_t)o] *= s;
            c->b[o] = (c->b[o] - mu[o]) * s + be[o];
        }
    }
    int an = e->plan.fuse_act[i];
    if (an >= 0)
        act_from_node(&g->nodes[an], &c->act);
    else
        c->act = p->act;
    if (c->act.type == VSR_ACT_PRELU) {
        const float *al = wdata(g, an >= 0 ? an : i, "alpha");
        c->alpha = malloc((size_t)cout * sizeof(float));
        if (!c->alpha)
            return vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
        for (int o = 0; o < cout; o++)
            c->alpha[o] = al[c->act.prelu_shared ? 0 : o];
    }
    vsr_precision prec = e->nprec[i]; /* the engine's, or a layer_prec override */
    if (prec == VSR_PREC_FP16) {
        for (size_t k = 0; k < wn; k++)
            c->w[k] = f16r(c->w[k]);
        for (int o = 0; o < cout; o++)
            c->b[o] = f16r(c->b[o]);
        if (c->alpha)
            for (int o = 0; o < cout; o++)
                c->alpha[o] = f16r(c->alpha[o]);
    }
    c->simd = p->groups == 1 && p->stride == 1;
    c->dw = p->stride == 1 && p->groups == cin && p->groups == cout && p->groups > 1;
    int grouped = p->stride == 1 && p->groups > 1 && !c->dw; /* ops/gconv.c */
    vsr_conv_uk *uk = &c->uk;
    uk->kh = p->kh, uk->kw = p->kw, uk->dil = p->dilation;
    uk->cin = cin, uk->cout = cout;
    uk->ncob = (cout + 15) / 16;
    uk->minv = -INFINITY, uk->maxv = INFINITY;
    if (c->act.type == VSR_ACT_RELU)
        uk->minv = 0.f;
    if (c->act.type == VSR_ACT_CLIP)
        uk->minv = c->act.lo, uk->maxv = c->act.hi;

    if (prec != VSR_PREC_INT8) {
        if (c->simd) {
            size_t np = (size_t)uk->ncob * taps * (size_t)cin * 16;
            c->wpack = vsr__zalloc64(np, sizeof(float));
            c->bpack = vsr__zalloc64((size_t)uk->ncob * 16, sizeof(float));
            if (!c->wpack || !c->bpack)
                return vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
            for (int o = 0; o < cout; o++) {
                int cob = o / 16, j = o % 16;
                c->bpack[o] = c->b[o];
                for (size_t t = 0; t < taps; t++)
                    for (int ci = 0; ci < cin; ci++)
                        c->wpack[(((size_t)cob * taps + t) * (size_t)cin + (size_t)ci) * 16 +
                                 (size_t)j] = c->w[(t * (size_t)cin + (size_t)ci) * cout + o];
            }
            uk->wf = c->wpack;
            uk->bf = c->bpack;
        }
        if (c->simd && prec == VSR_PREC_FP16 && e->k.f16_conv &&
            (c->act.type == VSR_ACT_NONE || c->act.type == VSR_ACT_RELU ||
             c->act.type == VSR_ACT_CLIP)) {
            int nc32 = (cout + 31) / 32;
            c->whpack = vsr__zalloc64((size_t)nc32 * taps * (size_t)cin * 32, sizeof(uint16_t));
            c->bhpack = vsr__zalloc64((size_t)nc32 * 32, sizeof(uint16_t));
            if (!c->whpack || !c->bhpack)
                return vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
            for (int o = 0; o < cout; o++) {
                int cob = o / 32, j = o % 32;
                c->bhpack[o] = vsr_f32_to_f16(c->b[o]);
                for (size_t t = 0; t < taps; t++)
                    for (int ci = 0; ci < cin; ci++)
                        c->whpack[(((size_t)cob * taps + t) * (size_t)cin + (size_t)ci) * 32 +
                                  (size_t)j] =
                            vsr_f32_to_f16(c->w[(t * (size_t)cin + (size_t)ci) * cout + o]);
            }
            uk->ncob32 = nc32;
            uk->wh = c->whpack;
            uk->bh = c->bhpack;
            uk->minh = vsr_f32_to_f16(uk->minv);
            uk->maxh = vsr_f32_to_f16(uk->maxv);
        }
        return grouped ? vsr__gconv_pack(g, nd, c, 0, err) : vsr__wino_prepare(e, i, err);
    }

    /* INT8 */
    int tin = nd->in[0], tout = e->plan.dst[i];
    float sx = e->qscale[tin], sy = e->qscale[tout];
    int zx = e->qzp[tin], zy = e->qzp[tout];
    c->wq = malloc(wn);
    c->bq = malloc((size_t)cout * sizeof(int32_t));
    c->qm = malloc((size_t)cout * sizeof(int32_t));
    c->qs = malloc((size_t)cout * sizeof(int32_t));
    c->wscale = malloc((size_t)cout * sizeof(float));
    if (!c->wq || !c->bq || !c->qm || !c->qs || !c->wscale)
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
    /* weight scales by the graph's scheme (vsr_quant_scheme), unless given */
    const vsr_quant_scheme *qs = &g->qscheme;
    float mx_all = 0.f; /* per tensor: max |w| over the whole conv */
    if (qs->weights == VSR_QUANT_PER_TENSOR)
        for (size_t k = 0; k < taps * (size_t)c->cig * (size_t)cout; k++)
            mx_all = fmaxf(mx_all, fabsf(c->w[k]));
    for (int o = 0; o < cout; o++) {
        float ws;
        if (nd->w_scales && bn < 0) {
            ws = nd->w_scales[o];
        } else if (qs->weights == VSR_QUANT_PER_TENSOR) {
            ws = vsr__quant_weight_scale(qs, mx_all);
        } else {
            float mx = 0.f;
            for (size_t k = 0; k < taps * (size_t)c->cig; k++)
                mx = fmaxf(mx, fabsf(c->w[k * (size_t)cout + (size_t)o]));
            ws = vsr__quant_weight_scale(qs, mx);
        }
        c->wscale[o] = ws;
        for (size_t k = 0; k < taps * (size_t)c->cig; k++) {
            float q = nearbyintf(c->w[k * (size_t)cout + (size_t)o] / ws);
            c->wq[k * (size_t)cout + (size_t)o] = (int8_t)fminf(fmaxf(q, -127.f), 127.f);
        }
        double bqd = nearbyint((double)c->b[o] / ((double)sx * ws));
        if (bqd > 2147483647.0 || bqd < -2147483648.0)
            return vsr_error_set(err, -ERANGE, "%s: %s: bias of channel %d overflows int32",
                                 g->name, nd->name, o);
        c->bq[o] = (int32_t)bqd;
        int32_t m;
        int s;
        if (e->opt.requant == VSR_REQUANT_TFLITE
                ? vsr__tfl_quantize_multiplier((double)sx * ws / sy, &m, &s)
                : vsr__quant_multiplier((double)sx * ws / sy, &m, &s))
            return vsr_error_set(err, -ERANGE,
                                 "%s: %s: requantization multiplier %g out of range; check "
                                 "the quantization parameters",
                                 g->name, nd->name, (double)sx * ws / sy);
        c->qm[o] = m;
        c->qs[o] = s;
    }
    uk->rq_fast = e->opt.requant != VSR_REQUANT_TFLITE && rq_fast(c, taps, cout);
    c->float_epilogue = c->act.type == VSR_ACT_SIGMOID || c->act.type == VSR_ACT_LEAKY_RELU ||
                        c->act.type == VSR_ACT_PRELU;
    /* TFLite's (M, shift) are not what the requantizing kernels take: accumulate
     * with the acc32 kernels (or the reference / depthwise rows), then requantize */
    c->tfl = e->opt.requant == VSR_REQUANT_TFLITE && !c->float_epilogue;
    uk->zp_out = zy;
    uk->qmin = -128, uk->qmax = 127;
    if (c->act.type == VSR_ACT_RELU)
        uk->qmin = zy > -128 ? zy : -128;
    if (c->act.type == VSR_ACT_CLIP) {
        long lo = zy + lroundf(c->act.lo / sy), hi = zy + lroundf(c->act.hi / sy);
        uk->qmin = lo > -128 ? (int)lo : -128;
        uk->qmax = hi < 127 ? (int)hi : 127;
    }
    if (c->dw && c->float_epilogue)
        c->dw = 0;
    if (grouped && !c->float_epilogue) {
        int rc = vsr__gconv_pack(g, nd, c, 1, err);
        if (rc)
            return rc;
    }
    if (c->simd) { /* float epilogue: the int16 kernels in acc32 mode, then FP32 per value */
        int cin4 = (cin + 3) / 4;
        size_t np = (size_t)uk->ncob * taps * (size_t)cin4 * 64;
        c->wqpack = vsr__zalloc64(np, 1);
        c->bqpack = vsr__zalloc64((size_t)uk->ncob * 16, sizeof(int32_t));
        c->qmpack = vsr__zalloc64((size_t)uk->ncob * 16, sizeof(int32_t));
        c->qspack = vsr__zalloc64((size_t)uk->ncob * 16, sizeof(int32_t));
        if (!c->wqpack || !c->bqpack || !c->qmpack || !c->qspack)
            return vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
        for (int o = 0; o < uk->ncob * 16; o++) {
            c->qmpack[o] = 1 << 30;
            c->qspack[o] = 31;
        }
        for (int o = 0; o < cout; o++) {
            int64_t sum = 0;
            for (size_t t = 0; t < taps; t++)
                for (int ci = 0; ci < cin; ci++) {
                    int8_t w = c->wq[(t * (size_t)cin + (size_t)ci) * cout + o];
                    sum += w;
                    c->wqpack[tile_index(o, t, ci, taps, cin, 16, 4)] = w;
                }
            c->bqpack[o] = (int32_t)((int64_t)c->bq[o] - (128 + zx) * sum);
            c->qmpack[o] = c->qm[o];
            c->qspack[o] = c->qs[o];
        }
        if (uk->rq_fast) {
            if (!(c->rq64pack = vsr__zalloc64((size_t)uk->ncob * 48, sizeof(int64_t))))
                return vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
            vsr__rq64_pack(c->rq64pack, c->qmpack, c->qspack, uk->ncob, uk->zp_out);
            uk->rq64 = c->rq64pack;
        }
        /* int16-pair layout for the AVX2 kernel */
        int cin2 = (cin + 1) / 2;
        c->w16pack =
            vsr__zalloc64((size_t)uk->ncob * taps * (size_t)cin2 * 32, sizeof(int16_t));
        c->b16pack = vsr__zalloc64((size_t)uk->ncob * 16, sizeof(int32_t));
        if (!c->w16pack || !c->b16pack)
            return vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
        for (int o = 0; o < cout; o++) {
            c->b16pack[o] = c->bq[o];
            for (size_t t = 0; t < taps; t++)
                for (int ci = 0; ci < cin; ci++)
                    c->w16pack[tile_index(o, t, ci, taps, cin, 16, 2)] =
                        c->wq[(t * (size_t)cin + (size_t)ci) * cout + o];
        }
        if (pl_eligible(e, c, nd, cin, cout)) { /* [cout/4][taps][ceil(cin/4)][4][4] */
            int G = (cin + 3) / 4;
            c->wplpack = vsr__zalloc64((size_t)cout * taps * (size_t)G * 4, 1);
            if (!c->wplpack)
                return vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
            for (int o = 0; o < cout; o++)
                for (size_t t = 0; t < taps; t++)
                    for (int ci = 0; ci < cin; ci++)
                        c->wplpack[tile_index(o, t, ci, taps, cin, 4, 4)] =
                            c->wq[(t * (size_t)cin + (size_t)ci) * cout + o];
            uk->wpl = c->wplpack;
        }
        if (im2col_eligible(e, c, cin, taps)) {
            int k4 = (int)((taps * (size_t)cin + 3) / 4);
            c->wicpack = vsr__zalloc64((size_t)uk->ncob * (size_t)k4 * 64, 1);
            if (!c->wicpack)
                return vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
            /* HWIO weights read as a 1x1 conv's: its input channel k = t * cin + ci is
             * tap t's channel ci */
            int kin = (int)(taps * (size_t)cin);
            for (int o = 0; o < cout; o++)
                for (int k = 0; k < kin; k++)
                    c->wicpack[tile_index(o, 0, k, 1, kin, 16, 4)] =
                        c->wq[(size_t)k * cout + o];
            c->ic = *uk;
            c->ic.kh = c->ic.kw = c->ic.dil = 1;
            c->ic.cin = 4 * k4;
            c->ic.cin4 = k4;
            c->ic.wq = c->wicpack;
            c->ic.bq = c->bqpack; /* sum(w) over the same weights: the same bias */
            c->ic.qm = c->qmpack;
            c->ic.qs = c->qspack;
        }
        uk->w16 = c->w16pack;
        uk->b16 = c->b16pack;
        uk->cin4 = cin4;
        uk->wq = c->wqpack;
        uk->bq = c->bqpack;
        uk->qm = c->qmpack;
        uk->qs = c->qspack;
    } else {
        c->simd = 0;
    }
    return 0;
}

/* ---- scalar reference ----------------------------------------------------- */

typedef struct conv_geom {
    int H, W, C;    /* input */
    int OH, OW, CO; /* output */
    int pt, pl;     /* top / left padding */
    int keff_h, keff_w;
} conv_geom;

static void geom(const vsr_engine *e, int i, conv_geom *gm)
{
    const vsr_node *nd = &e->g->nodes[i];
    const vsr_conv_params *p = &nd->conv;
    const int *si = &e->shp[3 * nd->in[0]], *so = &e->shp[3 * i];
    gm->H = si[0], gm->W = si[1], gm->C = si[2];
    gm->OH = so[0], gm->OW = so[1], gm->CO = so[2];
    gm->keff_h = (p->kh - 1) * p->dilation + 1;
    gm->keff_w = (p->kw - 1) * p->dilation + 1;
    int th = (gm->OH - 1) * p->stride + gm->keff_h - gm->H;
    int tw = (gm->OW - 1) * p->stride + gm->keff_w - gm->W;
    gm->pt = th > 0 ? th / 2 : 0;
    gm->pl = tw > 0 ? tw / 2 : 0;
}

/* Float accumulators of one output pixel; in: row `row0` of the input at in. */
static void px_f32(const vsr_conv_prep *c, const vsr_conv_params *p, const conv_geom *gm,
                   const float *in, int row0, int y, int x, float *acc)
{
    int cout = gm->CO;
    memcpy(acc, c->b, (size_t)cout * sizeof(float));
    for (int ky = 0; ky < p->kh; ky++) {
        int iy = y * p->stride - gm->pt + ky * p->dilation;
        if (iy < 0 || iy >= gm->H)
            continue;
        for (int kx = 0; kx < p->kw; kx++) {
            int ix = x * p->stride - gm->pl + kx * p->dilation;
            if (ix < 0 || ix >= gm->W)
                continue;
            const float *px = in + ((size_t)(iy - row0) * gm->W + (size_t)ix) * gm->C;
            const float *wk = c->w + (size_t)(ky * p->kw + kx) * c->cig * cout;
            for (int gi = 0; gi < p->groups; gi++) {
                float *ac = acc + gi * c->cog;
                for (int ci = 0; ci < c->cig; ci++) {
                    float xv = px[gi * c->cig + ci];
                    const float *wr = wk + (size_t)ci * cout + (size_t)gi * c->cog;
                    for (int o = 0; o < c->cog; o++)
                        ac[o] += xv * wr[o];
                }
            }
        }
    }
}

/* The activation of output channel o; T the type, a constant where the caller loops
 * (act_rows, epilogue_rows: the switch folds away and the loop vectorizes) */
static inline __attribute__((always_inline)) float act_t(const vsr_conv_prep *c, const int T,
                                                         int o, float v)
{
    switch (T) {
    case VSR_ACT_RELU:
        return v > 0.f ? v : 0.f;
    case VSR_ACT_LEAKY_RELU:
        return v >= 0.f ? v : c->act.alpha * v;
    case VSR_ACT_PRELU:
        return v >= 0.f ? v : c->alpha[o] * v;
    case VSR_ACT_CLIP:
        return fminf(fmaxf(v, c->act.lo), c->act.hi);
    case VSR_ACT_SIGMOID:
        return 1.f / (1.f + expf(-v));
    default:
        return v;
    }
}

static float act1(const vsr_conv_prep *c, int o, float v)
{
    return act_t(c, (int)c->act.type, o, v);
}

/* stmt with T an enum constant equal to @p type: one instance per activation (none
 * for an unknown type), for loops over act_t */
#define ACT_CONST(type, stmt)                                                                  \
    switch (type) {                                                                            \
    case VSR_ACT_RELU: {                                                                       \
        enum { T = VSR_ACT_RELU };                                                             \
        stmt;                                                                                  \
        break;                                                                                 \
    }                                                                                          \
    case VSR_ACT_LEAKY_RELU: {                                                                 \
        enum { T = VSR_ACT_LEAKY_RELU };                                                       \
        stmt;                                                                                  \
        break;                                                                                 \
    }                                                                                          \
    case VSR_ACT_PRELU: {                                                                      \
        enum { T = VSR_ACT_PRELU };                                                            \
        stmt;                                                                                  \
        break;                                                                                 \
    }                                                                                          \
    case VSR_ACT_CLIP: {                                                                       \
        enum { T = VSR_ACT_CLIP };                                                             \
        stmt;                                                                                  \
        break;                                                                                 \
    }                                                                                          \
    case VSR_ACT_SIGMOID: {                                                                    \
        enum { T = VSR_ACT_SIGMOID };                                                          \
        stmt;                                                                                  \
        break;                                                                                 \
    }                                                                                          \
    default: {                                                                                 \
        enum { T = VSR_ACT_NONE };                                                             \
        stmt;                                                                                  \
        break;                                                                                 \
    }                                                                                          \
    }

static inline __attribute__((always_inline)) void act_rows_t(const vsr_conv_prep *c, float *v,
                                                             int npx, int co, const int T)
{
    for (int x = 0; x < npx; x++, v += co)
        for (int o = 0; o < co; o++)
            v[o] = act_t(c, T, o, v[o]);
}

/* act1 on npx pixels of co channels, in place */
static void act_rows(const vsr_conv_prep *c, float *v, int npx, int co)
{
    if (c->act.type != VSR_ACT_NONE)
        ACT_CONST(c->act.type, act_rows_t(c, v, npx, co, T))
}

static void px_qs8(const vsr_conv_prep *c, const vsr_conv_params *p, const conv_geom *gm,
                   const int8_t *in, int zx, int y, int x, int32_t *acc)
{
    int cout = gm->CO;
    memcpy(acc, c->bq, (size_t)cout * sizeof(int32_t));
    for (int ky = 0; ky < p->kh; ky++) {
        int iy = y * p->stride - gm->pt + ky * p->dilation;
        if (iy < 0 || iy >= gm->H)
            continue;
        for (int kx = 0; kx < p->kw; kx++) {
            int ix = x * p->stride - gm->pl + kx * p->dilation;
            if (ix < 0 || ix >= gm->W)
                continue;
            const int8_t *px = in + ((size_t)iy * gm->W + (size_t)ix) * gm->C;
            const int8_t *wk = c->wq + (size_t)(ky * p->kw + kx) * c->cig * cout;
            for (int gi = 0; gi < p->groups; gi++) {
                int32_t *ac = acc + gi * c->cog;
                for (int ci = 0; ci < c->cig; ci++) {
                    int32_t xv = (int32_t)px[gi * c->cig + ci] - zx;
                    const int8_t *wr = wk + (size_t)ci * cout + (size_t)gi * c->cog;
                    for (int o = 0; o < c->cog; o++)
                        ac[o] += xv * (int32_t)wr[o];
                }
            }
        }
    }
}

/* ---- microkernel scalar twins ------------------------------------------------ */

void vsr_f32_conv_ukernel_1x16__scalar(const vsr_conv_uk *p, const float *in, float *out, int n)
{
    size_t taps = (size_t)p->kh * p->kw;
    for (int px = 0; px < n; px++) {
        const float *ip = in + (size_t)px * p->cin;
        for (int cob = 0; cob < p->ncob; cob++) {
            float acc[16];
            memcpy(acc, p->bf + cob * 16, sizeof(acc));
            const float *w = p->wf + (size_t)cob * taps * p->cin * 16;
            for (int ky = 0; ky < p->kh; ky++)
                for (int kx = 0; kx < p->kw; kx++) {
                    const float *xp = ip + ky * p->dil * p->in_row + kx * p->dil * p->cin;
                    for (int ci = 0; ci < p->cin; ci++, w += 16)
                        for (int j = 0; j < 16; j++)
                            acc[j] += xp[ci] * w[j];
                }
            int nv = p->cout - cob * 16 < 16 ? p->cout - cob * 16 : 16;
            for (int j = 0; j < nv; j++)
                out[(size_t)px * p->cout + (size_t)(cob * 16 + j)] =
                    fminf(fmaxf(acc[j], p->minv), p->maxv);
        }
    }
}

/*
 * fma16(a, b, c) = binary16(a*b + c) with one rounding, as vfmadd231ph: a*b
 * (22 significant bits) is exact in binary64 and a*b + c is rounded once to
 * binary64. That rounding can only move the sum onto a binary16 rounding
 * boundary (a midpoint) when the exact sum is not a binary64 number, i.e.
 * spans more than 53 bits; with binary16 operands that needs either c below
 * 2^-53 of a product that is itself a midpoint (>= 2^29, past binary16's
 * overflow, inf either way) or a product below 2^-31 of c (then c, a
 * binary16 value, is at least 2^-12 of it away from any midpoint). So the
 * binary64 value rounds like the exact sum; it is narrowed to binary32 with
 * round to odd (truncate, set the last bit when inexact), which keeps the
 * binary16 rounding of a value with >= 2 more bits exact, then rounded to
 * binary16 to nearest even. Finite operands only (NaN payloads may differ).
 */
static float fma16(float a, float b, float c)
{
    double d = (double)a * (double)b + (double)c;
    float f = (float)d; /* |d| < 2^33 and, unless 0, >= 2^-48: a normal binary32 */
    if ((double)f != d && d == d) {
        uint32_t u;
        memcpy(&u, &f, 4);
        if (fabs((double)f) > fabs(d))
            u--; /* rounded away from zero: step back (same sign, f != 0) */
        u |= 1u;
        memcpy(&f, &u, 4);
    }
    return vsr_f16_to_f32(vsr_f32_to_f16(f));
}

void vsr_f16_conv_ukernel_1x32__scalar(const vsr_conv_uk *p, const uint16_t *in, uint16_t *out,
                                       int n)
{
    size_t taps = (size_t)p->kh * p->kw;
    float lo = vsr_f16_to_f32(p->minh), hi = vsr_f16_to_f32(p->maxh);
    for (int px = 0; px < n; px++) {
        const uint16_t *ip = in + (size_t)px * p->cin;
        for (int cob = 0; cob < p->ncob32; cob++) {
            float acc[32];
            for (int j = 0; j < 32; j++)
                acc[j] = vsr_f16_to_f32(p->bh[cob * 32 + j]);
            const uint16_t *w = p->wh + (size_t)cob * taps * p->cin * 32;
            for (int ky = 0; ky < p->kh; ky++)
                for (int kx = 0; kx < p->kw; kx++) {
                    const uint16_t *xp = ip + ky * p->dil * p->in_row + kx * p->dil * p->cin;
                    for (int ci = 0; ci < p->cin; ci++, w += 32) {
                        float xv = vsr_f16_to_f32(xp[ci]);
                        for (int j = 0; j < 32; j++)
                            acc[j] = fma16(xv, vsr_f16_to_f32(w[j]), acc[j]);
                    }
                }
            int nv = p->cout - cob * 32 < 32 ? p->cout - cob * 32 : 32;
            for (int j = 0; j < nv; j++) {
                float v = acc[j] > lo ? acc[j] : lo;
                v = v < hi ? v : hi;
                out[(size_t)px * p->cout + (size_t)(cob * 32 + j)] = vsr_f32_to_f16(v);
            }
        }
    }
}

/*
 * The scalar twin of the VNNI kernels: vpdpbusd multiplies unsigned activation
 * bytes, so the kernels flip the sign bit (x ^ 0x80, the bias folded into bq).
 */
void vsr_qs8_conv_ukernel_1x16__scalar(const vsr_conv_uk *p, const int8_t *in8, int8_t *out,
                                       int n)
{
    const uint8_t *in = (const uint8_t *)in8;
    size_t taps = (size_t)p->kh * p->kw;
    for (int px = 0; px < n; px++) {
        const uint8_t *ip = in + (size_t)px * p->cin;
        for (int cob = 0; cob < p->ncob; cob++) {
            int32_t acc[16];
            memcpy(acc, p->bq + cob * 16, sizeof(acc));
            const int8_t *w = p->wq + (size_t)cob * taps * p->cin4 * 64;
            for (int ky = 0; ky < p->kh; ky++)
                for (int kx = 0; kx < p->kw; kx++) {
                    const uint8_t *xp = ip + ky * p->dil * p->in_row + kx * p->dil * p->cin;
                    for (int c4 = 0; c4 < p->cin4; c4++, w += 64)
                        for (int b = 0; b < 4 && c4 * 4 + b < p->cin; b++) {
                            int32_t xu = (int32_t)(uint8_t)(xp[c4 * 4 + b] ^ 0x80);
                            for (int j = 0; j < 16; j++)
                                acc[j] += xu * (int32_t)w[j * 4 + b];
                        }
                }
            int nv = p->cout - cob * 16 < 16 ? p->cout - cob * 16 : 16;
            for (int j = 0; j < nv; j++) {
                int o = cob * 16 + j;
                if (p->acc32) /* the raw accumulators, pixel stride cout int32 */
                    ((int32_t *)(void *)out)[(size_t)px * p->cout + (size_t)o] = acc[j];
                else
                    out[(size_t)px * p->cout + (size_t)o] = vsr__requant_clamp(
                        acc[j], p->qm[o], p->qs[o], p->zp_out, p->qmin, p->qmax);
            }
        }
    }
}

void vsr_qs8_conv_i16_ukernel_1x16__scalar(const vsr_conv_uk *p, const int16_t *in, int8_t *out,
                                           int n)
{
    size_t taps = (size_t)p->kh * p->kw;
    int cin2 = (p->cin + 1) / 2;
    for (int px = 0; px < n; px++) {
        const int16_t *ip = in + (size_t)px * p->cin;
        for (int cob = 0; cob < p->ncob; cob++) {
            int32_t acc[16];
            memcpy(acc, p->b16 + cob * 16, sizeof(acc));
            const int16_t *w = p->w16 + (size_t)cob * taps * cin2 * 32;
            for (int ky = 0; ky < p->kh; ky++)
                for (int kx = 0; kx < p->kw; kx++) {
                    const int16_t *xp = ip + ky * p->dil * p->in_row + kx * p->dil * p->cin;
                    for (int c2 = 0; c2 < cin2; c2++, w += 32)
                        for (int b = 0; b < 2 && c2 * 2 + b < p->cin; b++)
                            for (int j = 0; j < 16; j++)
                                acc[j] += (int32_t)xp[c2 * 2 + b] * (int32_t)w[j * 2 + b];
                }
            int nv = p->cout - cob * 16 < 16 ? p->cout - cob * 16 : 16;
            if (p->acc32) {
                memcpy((int32_t *)(void *)out + (size_t)px * p->cout + cob * 16, acc,
                       (size_t)nv * sizeof(int32_t));
                continue;
            }
            for (int j = 0; j < nv; j++) {
                int o = cob * 16 + j;
                out[(size_t)px * p->cout + (size_t)o] =
                    vsr__requant_clamp(acc[j], p->qm[o], p->qs[o], p->zp_out, p->qmin, p->qmax);
            }
        }
    }
}

/* ---- row driver ---------------------------------------------------------------- */

typedef struct conv_task {
    vsr_engine *e;
    int i;
    conv_geom gm;
    int nchunks;
    int err;      /* first failure (ENOMEM) */
    int tail;     /* the fused SR tail (vsr__tail_in_src): 1 on each chunk's rows, 2 on
                     each row as the in-place FP32 rows finish it, 0 not here */
    vsr_tview in; /* the input: its tensor, or its copy converted to the output's type */
} conv_task;

/* Reference path (strided convs, grouped INT8 ones with a float epilogue): output row y (float)
 * from float input rows (in, row0), one pixel at a time. */
static void row_f32(const conv_task *t, const float *in, int row0, int y, float *orow)
{
    const vsr_engine *e = t->e;
    const vsr_conv_prep *c = &e->conv[t->i];
    const vsr_conv_params *p = &e->g->nodes[t->i].conv;
    const conv_geom *gm = &t->gm;
    float acc[1024];
    float *ap = gm->CO <= 1024 ? acc : NULL;
    for (int x = 0; x < gm->OW; x++) {
        float *dst = orow + (size_t)x * gm->CO;
        px_f32(c, p, gm, in, row0, y, x, ap ? ap : dst);
        for (int o = 0; o < gm->CO; o++)
            dst[o] = act1(c, o, (ap ? ap : dst)[o]);
    }
}

/* The integer epilogue of output channel o: the engine's or TFLite's arithmetic. */
static inline int8_t requant1(const vsr_conv_prep *c, int o, int32_t acc)
{
    return c->tfl ? vsr__tfl_requant_clamp(acc, c->qm[o], c->qs[o], c->uk.zp_out, c->uk.qmin,
                                           c->uk.qmax)
                  : vsr__requant_clamp(acc, c->qm[o], c->qs[o], c->uk.zp_out, c->uk.qmin,
                                       c->uk.qmax);
}

static void row_qs8(const conv_task *t, const int8_t *in, int y, int8_t *orow)
{
    const vsr_engine *e = t->e;
    const vsr_conv_prep *c = &e->conv[t->i];
    const vsr_node *nd = &e->g->nodes[t->i];
    const conv_geom *gm = &t->gm;
    int tin = nd->in[0], tout = e->plan.dst[t->i];
    int zx = e->qzp[tin];
    float sx = e->qscale[tin], inv_sy = 1.f / e->qscale[tout];
    int32_t acc[1024];
    for (int x = 0; x < gm->OW; x++) {
        px_qs8(c, &nd->conv, gm, in, zx, y, x, acc);
        int8_t *dst = orow + (size_t)x * gm->CO;
        for (int o = 0; o < gm->CO; o++) {
            if (c->float_epilogue) {
                float v = (float)acc[o] * sx * c->wscale[o];
                dst[o] = vsr__quantize1(act1(c, o, v), inv_sy, c->uk.zp_out);
            } else {
                dst[o] = requant1(c, o, acc[o]);
            }
        }
    }
}

/*
 * Depthwise stride-1 rows on the padded buffer: per pixel, per tap, one
 * multiply-add per channel (the channel loop vectorizes). in: padded row of
 * the first tap row; weights HWIO [kh][kw][1][C].
 */
static void dw_row_f32(const vsr_conv_prep *c, const conv_geom *gm, const float *in,
                       size_t rowp, float *orow)
{
    int C = gm->C, kh = c->uk.kh, kw = c->uk.kw, d = c->uk.dil;
    for (int x = 0; x < gm->OW; x++) {
        float *acc = orow + (size_t)x * C;
        memcpy(acc, c->b, (size_t)C * sizeof(float));
        for (int ky = 0; ky < kh; ky++)
            for (int kx = 0; kx < kw; kx++) {
                const float *xp = in + (size_t)ky * d * rowp + (size_t)(x + kx * d) * C;
                const float *w = c->w + (size_t)(ky * kw + kx) * C;
                for (int ch = 0; ch < C; ch++)
                    acc[ch] += xp[ch] * w[ch];
            }
        for (int ch = 0; ch < C; ch++)
            acc[ch] = fminf(fmaxf(acc[ch], c->uk.minv), c->uk.maxv);
    }
}

static void dw_row_qs8(const vsr_conv_prep *c, const conv_geom *gm, const int8_t *in,
                       size_t rowp, int zx, int8_t *orow)
{
    int C = gm->C, kh = c->uk.kh, kw = c->uk.kw, d = c->uk.dil;
    int32_t acc[1024];
    for (int x = 0; x < gm->OW; x++) {
        memcpy(acc, c->bq, (size_t)C * sizeof(int32_t));
        for (int ky = 0; ky < kh; ky++)
            for (int kx = 0; kx < kw; kx++) {
                const int8_t *xp = in + (size_t)ky * d * rowp + (size_t)(x + kx * d) * C;
                const int8_t *w = c->wq + (size_t)(ky * kw + kx) * C;
                for (int ch = 0; ch < C; ch++)
                    acc[ch] += ((int32_t)xp[ch] - zx) * (int32_t)w[ch];
            }
        int8_t *dst = orow + (size_t)x * C;
        for (int ch = 0; ch < C; ch++)
            dst[ch] = requant1(c, ch, acc[ch]);
    }
}

/* One output row from its int32 accumulators (acc32 kernels): TFLite's requantization
 * per pixel, or the float epilogue per value (the reference's row_qs8). */
/* The float epilogue of npx pixels' accumulators: dequantize, activation T, quantize (the
 * same operations in the same order per value as act1 on (float)acc * sx * wscale) */
static inline __attribute__((always_inline)) void
epilogue_rows(const vsr_conv_prep *c, const int32_t *acc, int8_t *orow, int npx, int co,
              float sx, float inv_sy, const int T)
{
    for (int x = 0; x < npx; x++, acc += co, orow += co)
        for (int o = 0; o < co; o++) {
            float v = (float)acc[o] * sx * c->wscale[o];
            orow[o] = vsr__quantize1_fast(act_t(c, T, o, v), inv_sy, c->uk.zp_out);
        }
}

static void acc_epilogue(const vsr_engine *e, const conv_task *t, const int32_t *acc,
                         int8_t *orow)
{
    const vsr_conv_prep *c = &e->conv[t->i];
    const conv_geom *gm = &t->gm;
    if (c->tfl) {
        for (int x = 0; x < gm->OW; x++)
            e->k.requant_tfl(acc + (size_t)x * gm->CO, orow + (size_t)x * gm->CO, gm->CO, c->qm,
                             c->qs, c->uk.zp_out, c->uk.qmin, c->uk.qmax);
        return;
    }
    float sx = e->qscale[e->g->nodes[t->i].in[0]], inv_sy = 1.f / e->qscale[e->plan.dst[t->i]];
    ACT_CONST(c->act.type, epilogue_rows(c, acc, orow, gm->OW, gm->CO, sx, inv_sy, T))
}

/* n output pixels of a row through the conv's kernel, input rows in_row elements apart */
static void dense_kernel(const vsr_engine *e, vsr_conv_uk *uk, int i8, ptrdiff_t in_row,
                         const void *in, void *out, int n)
{
    uk->in_row = in_row;
    if (i8)
        e->k.qs8_conv_nx(uk, in, out, n);
    else
        e->k.f32_conv(uk, in, out, n);
}

/* dense_rows_im2col's scratch: a row's gathered taps (OW pixels of ic.cin bytes) and
 * the kernel's 64 bytes of slack */
static size_t im2col_scratch_bytes(const vsr_conv_prep *c, const conv_geom *gm)
{
    return (size_t)gm->OW * (size_t)c->ic.cin + 64;
}

/*
 * Dense INT8 rows of a conv with few input channels (c->ic.wq): per output row, each
 * pixel's kh x kw x C taps gathered from the input rows into ic.cin bytes (the input's
 * zero point outside the frame; the pad bytes, whose weights are 0, set to 0), then
 * one 1x1 conv of the row through the VNNI kernel. The accumulators are the same
 * integers as the KxK conv's (the same products summed in another order), so the
 * bytes are the scalar twin's. Interior pixels of a dilation-1 conv copy each kernel
 * row's kw * C <= 16 bytes with one 16-byte load and store (the excess is overwritten
 * by the next copy, or lands in the slack; the load may read past the input row, into
 * the arena's next bytes or its 128-byte slack). The fused tail runs after each row,
 * as in dense_rows.
 */
static void dense_rows_im2col(conv_task *t, size_t chunk, int y0, int y1, const vsr_tview *tin,
                              const vsr_tview *tout)
{
    vsr_engine *e = t->e;
    const vsr_conv_prep *c = &e->conv[t->i];
    const conv_geom *gm = &t->gm;
    int C = gm->C, kh = c->uk.kh, kw = c->uk.kw, d = c->uk.dil, K = c->ic.cin;
    int seg = kw * C, used = kh * kw * C, W = gm->W;
    int fill = e->qzp[e->g->nodes[t->i].in[0]];
    size_t orow_n = (size_t)gm->OW * gm->CO;
    uint8_t *col = e->scratch[chunk];
    const uint8_t *rows[VSR_IM2COL_MAX_KH];
    /* interior pixels: x - pl >= 0 and x - pl + keff_w <= W */
    int xa = gm->pl, xb = W - gm->keff_w + gm->pl + 1;
    xb = xb < gm->OW ? xb : gm->OW;
    int fast = d == 1 && seg <= 16;
    /* little-endian: the bytes of the last group below `used` */
    uint32_t keep = used - (K - 4) >= 4 ? 0xffffffffu : (1u << 8 * (used - (K - 4))) - 1;
    vsr_conv_uk uk = c->ic;
    uk.in_row = 0;
    for (int y = y0; y < y1; y++) {
        int inside = 1;
        for (int ky = 0; ky < kh; ky++) {
            int iy = y - gm->pt + ky * d;
            rows[ky] =
                iy >= 0 && iy < gm->H ? (const uint8_t *)tin->data + (size_t)iy * W * C : NULL;
            inside &= rows[ky] != NULL;
        }
        for (int x = 0; x < gm->OW; x++) {
            uint8_t *dst = col + (size_t)x * K;
            int ix0 = x - gm->pl;
            if (fast && inside && x >= xa && x < xb) {
                for (int ky = 0; ky < kh; ky++)
                    memcpy(dst + ky * seg, rows[ky] + (size_t)ix0 * C, 16);
            } else {
                for (int ky = 0; ky < kh; ky++)
                    for (int kx = 0; kx < kw; kx++) {
                        int ix = ix0 + kx * d;
                        uint8_t *o = dst + (ky * kw + kx) * C;
                        if (rows[ky] && ix >= 0 && ix < W)
                            memcpy(o, rows[ky] + (size_t)ix * C, (size_t)C);
                        else
                            memset(o, fill, (size_t)C);
                    }
            }
            uint32_t last; /* the pad bytes (used < K): the last group's high bytes */
            memcpy(&last, dst + K - 4, 4);
            last &= keep;
            memcpy(dst + K - 4, &last, 4);
        }
        e->k.qs8_conv_nx(&uk, (const int8_t *)col, (int8_t *)tout->data + (size_t)y * orow_n,
                         gm->OW);
        if (t->tail == 2)
            vsr__tail_rows(e, y, y + 1);
    }
}

/* The ring slot of input row iy (negative above the frame) among keff rows */
static size_t ring_slot(int iy, int keff)
{
    return (size_t)((iy % keff + keff) % keff);
}

/* dense_rows_pl's scratch: the rows its taps read when the input is NHWC (packed into
 * a ring) or one row of padding when it is blocked, and the output row's blocked copy
 * when the output is NHWC */
static size_t pl_scratch_bytes(const conv_geom *gm, int in_blk, int out_blk)
{
    size_t rb = vsr_pl_row_bytes(gm->W, gm->C);
    return (in_blk ? rb : (size_t)gm->keff_h * rb) +
           (out_blk ? 0 : (size_t)gm->CO * (size_t)((gm->OW + 15) & ~15)) + 64;
}

/*
 * Dense INT8 rows with pixels in lanes (c->pl: e->k.qs8_conv_pl). A blocked input's
 * rows are read in place, rows outside the frame as one row of its zero point; an NHWC
 * input's rows are packed as they are first needed, into a ring of keff_h blocked rows
 * at the start of the chunk's scratch. The kernel writes a blocked output row in
 * place, or an NHWC one through the scratch's last part. The fused tail runs after
 * each row, as in dense_rows.
 */
static void dense_rows_pl(conv_task *t, size_t chunk, int y0, int y1, const vsr_tview *tin,
                          const vsr_tview *tout)
{
    vsr_engine *e = t->e;
    const vsr_conv_prep *c = &e->conv[t->i];
    const conv_geom *gm = &t->gm;
    int kh = c->uk.kh, dil = c->uk.dil, keff = gm->keff_h, C = gm->C, H = gm->H;
    int zp = tin->zp;
    size_t rb = vsr_pl_row_bytes(gm->W, C), ob_n = vsr_pl_row_bytes(gm->OW, gm->CO);
    size_t orow_n = tout->blk ? ob_n : (size_t)gm->OW * gm->CO;
    uint8_t *ring = e->scratch[chunk], *ob = ring + (tin->blk ? rb : (size_t)keff * rb);
    const uint8_t *in = tin->data, *rows[VSR_PL_MAX_KH];
    if (tin->blk) /* ring[0]: the padding rows */
        e->k.qs8_pl_pack(NULL, gm->W, C, zp, ring);
    int next = y0 - gm->pt; /* NHWC: the next input row to pack */
    for (int y = y0; y < y1; y++) {
        int iy0 = y - gm->pt;
        const uint8_t *pf = NULL;
        if (tin->blk) {
            for (int ky = 0; ky < kh; ky++) {
                int iy = iy0 + ky * dil;
                rows[ky] = iy >= 0 && iy < H ? in + (size_t)iy * rb : ring;
            }
            if (y + 1 < y1 && iy0 + keff < H && iy0 + keff >= 0)
                pf = in + (size_t)(iy0 + keff) * rb;
        } else {
            for (int iy = next > iy0 ? next : iy0; iy < iy0 + keff; iy++)
                e->k.qs8_pl_pack(iy >= 0 && iy < H ? (const int8_t *)in + (size_t)iy * gm->W * C
                                                   : NULL,
                                 gm->W, C, zp, ring + ring_slot(iy, keff) * rb);
            next = iy0 + keff;
            for (int ky = 0; ky < kh; ky++) {
                int iy = iy0 + ky * dil;
                rows[ky] = ring + ring_slot(iy, keff) * rb;
            }
        }
        e->k.qs8_conv_pl(&c->uk, rows, gm->W, gm->pl, pf, gm->OW,
                         (uint8_t *)tout->data + (size_t)y * orow_n, tout->blk, ob);
        if (t->tail == 2)
            vsr__tail_rows(e, y, y + 1);
    }
}

/*
 * Dense INT8 rows on the VNNI tiles from a row-blocked input (not c->pl): the kernel
 * reads the blocked rows in place (p->blk_gs), their padding as the frame's left and
 * right zero padding; an output row whose taps reach above or below the frame reads
 * a window of keff_h blocked rows (the zero point's outside it) at the start of the
 * chunk's scratch. The output is NHWC. The fused tail runs after each row.
 */
static void dense_rows_blk(conv_task *t, size_t chunk, int y0, int y1, const vsr_tview *tin,
                           const vsr_tview *tout)
{
    vsr_engine *e = t->e;
    const vsr_conv_prep *c = &e->conv[t->i];
    const conv_geom *gm = &t->gm;
    int keff = gm->keff_h, C = gm->C, H = gm->H;
    size_t rb = vsr_pl_row_bytes(gm->W, C), orow_n = (size_t)gm->OW * gm->CO;
    size_t x0 = (size_t)(VSR_PL_PAD - gm->pl) * 4; /* output pixel 0's first tap */
    uint8_t *win = e->scratch[chunk];
    vsr_conv_uk uk = c->uk;
    uk.in_row = (ptrdiff_t)rb;
    uk.blk_gs = (size_t)vsr_pl_wpb(gm->W) * 4;
    for (int y = y0; y < y1; y++) {
        int iy0 = y - gm->pt;
        const uint8_t *in;
        if (iy0 >= 0 && iy0 + keff <= H) {
            in = (const uint8_t *)tin->data + (size_t)iy0 * rb;
        } else {
            for (int r = 0; r < keff; r++) {
                int iy = iy0 + r;
                if (iy >= 0 && iy < H)
                    memcpy(win + (size_t)r * rb, (const uint8_t *)tin->data + (size_t)iy * rb,
                           rb);
                else
                    e->k.qs8_pl_pack(NULL, gm->W, C, tin->zp, win + (size_t)r * rb);
            }
            in = win;
        }
        e->k.qs8_conv_nx(&uk, (const int8_t *)(in + x0),
                         (int8_t *)tout->data + (size_t)y * orow_n, gm->OW);
        if (t->tail == 2)
            vsr__tail_rows(e, y, y + 1);
    }
}

/*
 * Dense rows without the padded copy where none is needed: an output row whose keff_h
 * input rows are all inside the frame reads its interior pixels (those whose taps stay
 * inside the row) straight from the input tensor (in_row = W * C); only its border
 * pixels, and the rows at the top and bottom, go through a window padded with zeros
 * (FP32) or the input's zero point (INT8), built for them alone. Every pixel goes
 * through the same microkernel with the same operations in the same order as from a
 * padded chunk, so the bytes are those of the copying path; the copy it avoids was
 * ~7% of an ABPN FP32 frame (memmove in conv_chunk, perf, Zen 5) and 3.5% of an INT8
 * one. The VNNI kernel may read up to 64 bytes past a row's last pixel: its windows
 * get 64 bytes of slack, and a row whose taps reach the tensor's last row takes the
 * window too. INT8 acc32 convs (float epilogue, TFLite requantization) collect the
 * row's accumulators, then acc_epilogue(); FP32 ones apply the activations the kernel
 * does not. INT8 convs with few input channels (c->ic) take dense_rows_im2col instead.
 */
static void dense_rows(conv_task *t, size_t chunk, int y0, int y1, const vsr_tview *tin,
                       const vsr_tview *tout)
{
    if (tin->dt == VSR_DT_I8 && t->e->conv[t->i].pl) {
        dense_rows_pl(t, chunk, y0, y1, tin, tout);
        return;
    }
    if (tin->blk) {
        dense_rows_blk(t, chunk, y0, y1, tin, tout);
        return;
    }
    if (tin->dt == VSR_DT_I8 && t->e->conv[t->i].ic.wq) {
        dense_rows_im2col(t, chunk, y0, y1, tin, tout);
        return;
    }
    vsr_engine *e = t->e;
    const vsr_conv_prep *c = &e->conv[t->i];
    const conv_geom *gm = &t->gm;
    int C = gm->C, kh = gm->keff_h, kw = gm->keff_w, OW = gm->OW, CO = gm->CO;
    int i8 = tin->dt == VSR_DT_I8, acc32 = i8 && (c->float_epilogue || c->tfl);
    int fill = i8 ? e->qzp[e->g->nodes[t->i].in[0]] : 0, slack = i8 ? 64 : 0;
    int last = i8 ? gm->H - 1 : gm->H; /* input rows an in-place row may read: [0, last) */
    size_t es = vsr__dt_size(tin->dt), orow_n = (size_t)OW * CO;
    size_t os = (acc32 ? sizeof(int32_t) : vsr__dt_size(tout->dt)) * CO; /* output pixel */
    int x0 = gm->pl, n_in = gm->W - kw + 1; /* interior output pixels [x0, x0 + n_in) */
    n_in = x0 + n_in > OW ? OW - x0 : n_in;
    int xr = x0 + n_in, nr = OW - xr, wp = gm->W + kw - 1;
    uint8_t *pb = e->scratch[chunk];
    /* acc32: the row's accumulators after the window (chunk_scratch_bytes) */
    uint8_t *acc = acc32 ? pb + (((size_t)kh * wp * C + 64 + 63) & ~(size_t)63) : NULL;
    vsr_conv_uk uk = c->uk;
    uk.acc32 = acc32;
    int post = !i8 && c->act.type != VSR_ACT_NONE && c->act.type != VSR_ACT_RELU &&
               c->act.type != VSR_ACT_CLIP;
    for (int y = y0; y < y1; y++) {
        uint8_t *orow = (uint8_t *)tout->data + (size_t)y * orow_n * vsr__dt_size(tout->dt);
        uint8_t *dst = acc ? acc : orow;
        int iy0 = y - gm->pt;
        if (iy0 >= 0 && iy0 + kh <= last && n_in > 0) {
            dense_kernel(e, &uk, i8, (ptrdiff_t)gm->W * C,
                         (const uint8_t *)tin->data + (size_t)iy0 * gm->W * C * es,
                         dst + (size_t)x0 * os, n_in);
            if (x0 > 0) { /* left border: input columns -pl .. x0 - pl + kw - 2 */
                vsr__window(tin, iy0, kh, -gm->pl, x0 + kw - 1, fill, pb);
                memset(pb + (size_t)kh * (x0 + kw - 1) * C * es, fill, (size_t)slack);
                dense_kernel(e, &uk, i8, (ptrdiff_t)(x0 + kw - 1) * C, pb, dst, x0);
            }
            if (nr > 0) { /* right border */
                vsr__window(tin, iy0, kh, xr - gm->pl, nr + kw - 1, fill, pb);
                memset(pb + (size_t)kh * (nr + kw - 1) * C * es, fill, (size_t)slack);
                dense_kernel(e, &uk, i8, (ptrdiff_t)(nr + kw - 1) * C, pb,
                             dst + (size_t)xr * os, nr);
            }
        } else { /* a top or bottom row: the whole padded row */
            vsr__window(tin, iy0, kh, -gm->pl, wp, fill, pb);
            memset(pb + (size_t)kh * wp * C * es, fill, (size_t)slack);
            dense_kernel(e, &uk, i8, (ptrdiff_t)wp * C, pb, dst, OW);
        }
        if (acc)
            acc_epilogue(e, t, (const int32_t *)(void *)acc, (int8_t *)orow);
        if (post)
            act_rows(c, (float *)(void *)orow, OW, CO);
        if (t->tail == 2) /* the fused tail on this row, while it is in L1/L2 */
            vsr__tail_rows(e, y, y + 1);
    }
}

/*
 * Stride-1 convs (dense, depthwise, grouped): copy the input rows this chunk reads into a
 * padded buffer (zeros, or the input zero point in INT8, which is real 0), widened to FP32 for
 * FP16, so that every output pixel, border included, goes through the selected microkernel (or
 * its scalar twin).
 */
static void simd_chunk(conv_task *t, size_t chunk, int y0, int y1, const vsr_tview *tin,
                       const vsr_tview *tout)
{
    vsr_engine *e = t->e;
    const vsr_conv_prep *c = &e->conv[t->i];
    const conv_geom *gm = &t->gm;
    int C = gm->C, Wp = gm->W + gm->keff_w - 1, rows = y1 - y0 + gm->keff_h - 1;
    size_t rowp = (size_t)Wp * C, orow_n = (size_t)gm->OW * gm->CO;
    vsr_conv_uk uk = c->uk;
    uk.in_row = (ptrdiff_t)rowp;
    if (dense_in_place(e, c, tin->dt, tout->dt)) {
        dense_rows(t, chunk, y0, y1, tin, tout);
        return;
    }
    /* INT8 on int16 rows: the AVX2 kernels, grouped convs, and the acc32 convs (float
     * epilogue, TFLite requantization) where there is no VNNI kernel */
    if (tin->dt == VSR_DT_I8 &&
        (e->k.qs8_conv_i16 || ((c->float_epilogue || c->tfl) && !e->k.qs8_conv_nx) ||
         c->grouped) &&
        !c->dw) {
        int zx = e->qzp[e->g->nodes[t->i].in[0]];
        int16_t *pb = e->scratch[chunk];
        size_t inner = (size_t)gm->W * C, lpad = (size_t)gm->pl * C;
        for (int r = 0; r < rows; r++) {
            int iy = y0 - gm->pt + r;
            int16_t *dst = pb + (size_t)r * rowp;
            if (iy < 0 || iy >= gm->H) {
                memset(dst, 0, rowp * sizeof(int16_t));
                continue;
            }
            memset(dst, 0, lpad * sizeof(int16_t));
            memset(dst + lpad + inner, 0, (rowp - lpad - inner) * sizeof(int16_t));
            const int8_t *src = (const int8_t *)tin->data + (size_t)iy * inner;
            for (size_t k = 0; k < inner; k++)
                dst[lpad + k] = (int16_t)(src[k] - zx);
        }
        memset(pb + (size_t)rows * rowp, 0, 64 * sizeof(int16_t));
        if (c->float_epilogue || c->tfl) {
            /* the accumulators, then the reference's epilogue (row_qs8) per value */
            size_t aoff = ((size_t)rows * rowp * sizeof(int16_t) + 64 * sizeof(int16_t) + 63) &
                          ~(size_t)63;
            int32_t *acc = (int32_t *)(void *)((uint8_t *)pb + aoff);
            uk.acc32 = 1;
            for (int y = y0; y < y1; y++) {
                e->k.qs8_conv_acc(&uk, pb + (size_t)(y - y0) * rowp, (int8_t *)(void *)acc,
                                  gm->OW);
                acc_epilogue(e, t, acc, (int8_t *)tout->data + (size_t)y * orow_n);
            }
            return;
        }
        vsr_qs8_conv_i16_ukernel kq = c->grouped ? e->k.qs8_gconv : e->k.qs8_conv_i16;
        for (int y = y0; y < y1; y++)
            kq(&uk, pb + (size_t)(y - y0) * rowp, (int8_t *)tout->data + (size_t)y * orow_n,
               gm->OW);
        return;
    }
    if (tin->dt == VSR_DT_I8) { /* padded int8 rows: depthwise, or no VNNI (dense_rows) */
        int8_t *pb = e->scratch[chunk];
        int zpi = e->qzp[e->g->nodes[t->i].in[0]];
        size_t inner = (size_t)gm->W * C, lpad = (size_t)gm->pl * C;
        for (int r = 0; r < rows; r++) {
            int iy = y0 - gm->pt + r;
            int8_t *dst = pb + (size_t)r * rowp;
            if (iy < 0 || iy >= gm->H) {
                memset(dst, zpi, rowp);
                continue;
            }
            memset(dst, zpi, lpad);
            memset(dst + lpad + inner, zpi, rowp - lpad - inner);
            memcpy(dst + lpad, (const int8_t *)tin->data + (size_t)iy * inner, inner);
        }
        memset(pb + (size_t)rows * rowp, zpi, 64);
        for (int y = y0; y < y1; y++) {
            int8_t *orow = (int8_t *)tout->data + (size_t)y * orow_n;
            if (c->dw)
                dw_row_qs8(c, gm, pb + (size_t)(y - y0) * rowp, rowp, zpi, orow);
            else
                e->k.qs8_conv(&uk, pb + (size_t)(y - y0) * rowp, orow, gm->OW);
        }
        return;
    }
    if (tin->dt == VSR_DT_F16 && tout->dt == VSR_DT_F16 && c->uk.wh && e->k.f16_conv &&
        !c->dw) {
        /* FP16 native: binary16 rows straight into the kernel (0x0000 = +0 padding) */
        uint16_t *hb = e->scratch[chunk];
        size_t inner = (size_t)gm->W * C, lpad = (size_t)gm->pl * C;
        for (int r = 0; r < rows; r++) {
            int iy = y0 - gm->pt + r;
            uint16_t *row = hb + (size_t)r * rowp;
            if (iy < 0 || iy >= gm->H) {
                memset(row, 0, rowp * sizeof(uint16_t));
                continue;
            }
            memset(row, 0, lpad * sizeof(uint16_t));
            memset(row + lpad + inner, 0, (rowp - lpad - inner) * sizeof(uint16_t));
            memcpy(row + lpad, (const uint16_t *)tin->data + (size_t)iy * inner,
                   inner * sizeof(uint16_t));
        }
        memset(hb + (size_t)rows * rowp, 0, 32 * sizeof(uint16_t));
        for (int y = y0; y < y1; y++)
            e->k.f16_conv(&uk, hb + (size_t)(y - y0) * rowp,
                          (uint16_t *)tout->data + (size_t)y * orow_n, gm->OW);
        return;
    }
    float *pb = e->scratch[chunk];
    float *obuf = tout->dt == VSR_DT_F16 ? pb + (size_t)rows * rowp + 16 : NULL;
    size_t inner = (size_t)gm->W * C, lpad = (size_t)gm->pl * C;
    memset(pb + (size_t)rows * rowp, 0, 16 * sizeof(float));
    for (int r = 0; r < rows; r++) {
        int iy = y0 - gm->pt + r;
        float *row = pb + (size_t)r * rowp;
        if (iy < 0 || iy >= gm->H) {
            memset(row, 0, rowp * sizeof(float));
            continue;
        }
        memset(row, 0, lpad * sizeof(float));
        memset(row + lpad + inner, 0, (rowp - lpad - inner) * sizeof(float));
        float *dst = row + lpad;
        if (tin->dt == VSR_DT_F32)
            memcpy(dst, (const float *)tin->data + (size_t)iy * gm->W * C,
                   (size_t)gm->W * C * sizeof(float));
        else
            e->k.f16_to_f32((const uint16_t *)tin->data + (size_t)iy * gm->W * C, dst,
                            (size_t)gm->W * C);
    }
    int post = c->act.type != VSR_ACT_NONE && c->act.type != VSR_ACT_RELU &&
               c->act.type != VSR_ACT_CLIP;
    for (int y = y0; y < y1; y++) {
        float *orow = obuf ? obuf : (float *)tout->data + (size_t)y * orow_n;
        if (c->dw)
            dw_row_f32(c, gm, pb + (size_t)(y - y0) * rowp, rowp, orow);
        else if (c->grouped)
            e->k.f32_gconv(&uk, pb + (size_t)(y - y0) * rowp, orow, gm->OW);
        else
            e->k.f32_conv(&uk, pb + (size_t)(y - y0) * rowp, orow, gm->OW);
        if (post)
            act_rows(c, orow, gm->OW, gm->CO);
        if (obuf)
            e->k.f32_to_f16(obuf, (uint16_t *)tout->data + (size_t)y * orow_n, orow_n);
    }
}

/* Bytes of padded-row scratch one chunk of at most @p max_rows output rows needs. */
static size_t chunk_scratch_bytes(const vsr_engine *e, int i, const conv_geom *gm, int max_rows)
{
    const vsr_conv_prep *c = &e->conv[i];
    vsr_dtype dt = e->dt[e->plan.dst[i]]; /* the input's type after conversion */
    size_t rows = (size_t)max_rows + (size_t)gm->keff_h - 1;
    size_t rowp = (size_t)(gm->W + gm->keff_w - 1) * (size_t)gm->C;
    if (dt == VSR_DT_I8 && c->pl) /* dense_rows takes dense_rows_pl */
        return pl_scratch_bytes(gm, e->blk[e->g->nodes[i].in[0]], e->blk[e->plan.dst[i]]);
    if (e->blk[e->g->nodes[i].in[0]]) /* dense_rows_blk: a window of blocked rows */
        return (size_t)gm->keff_h * vsr_pl_row_bytes(gm->W, gm->C) + 64;
    if (dt == VSR_DT_I8 && c->ic.wq) /* dense_rows takes dense_rows_im2col */
        return im2col_scratch_bytes(c, gm);
    if (dt == VSR_DT_I8)
        return c->float_epilogue || c->tfl ? (rows * rowp + 64) * sizeof(int16_t) + 64 +
                                                 (size_t)gm->OW * gm->CO * sizeof(int32_t)
               : (e->k.qs8_conv_i16 || c->grouped) && !c->dw
                   ? (rows * rowp + 64) * sizeof(int16_t)
                   : rows * rowp + 64;
    return (rows * rowp + 16 + (size_t)gm->OW * gm->CO + 16) * sizeof(float);
}

/* Make sure every chunk has its scratch (on the calling thread, grown only). */
int vsr__conv_scratch(vsr_engine *e, int nchunks, size_t bytes)
{
    if (e->n_scratch < nchunks) {
        void **s = realloc(e->scratch, (size_t)nchunks * sizeof(void *));
        if (!s)
            return -ENOMEM;
        e->scratch = s;
        size_t *cp = realloc(e->scratch_cap, (size_t)nchunks * sizeof(size_t));
        if (!cp)
            return -ENOMEM;
        e->scratch_cap = cp;
        for (int k = e->n_scratch; k < nchunks; k++)
            e->scratch[k] = NULL, e->scratch_cap[k] = 0;
        e->n_scratch = nchunks;
    }
    for (int k = 0; k < nchunks; k++)
        if (e->scratch_cap[k] < bytes) {
            void *p = NULL;
            if (posix_memalign(&p, 64, bytes))
                return -ENOMEM;
            free(e->scratch[k]);
            e->scratch[k] = p;
            e->scratch_cap[k] = bytes;
        }
    return 0;
}

static void conv_rows(conv_task *t, size_t chunk, int y0, int y1)
{
    vsr_engine *e = t->e;
    const conv_geom *gm = &t->gm;
    const vsr_node *nd = &e->g->nodes[t->i];
    vsr_tview tin = t->in;
    vsr_tview tout = vsr__tensor(e, e->plan.dst[t->i]);
    size_t orow_n = (size_t)gm->OW * gm->CO;
    if (e->conv[t->i].simd || e->conv[t->i].dw || e->conv[t->i].grouped) {
        simd_chunk(t, chunk, y0, y1, &tin, &tout);
        return;
    }
    if (tin.dt == VSR_DT_F32) {
        for (int y = y0; y < y1; y++)
            row_f32(t, tin.data, 0, y, (float *)tout.data + (size_t)y * orow_n);
        return;
    }
    if (tin.dt == VSR_DT_I8) {
        for (int y = y0; y < y1; y++)
            row_qs8(t, tin.data, y, (int8_t *)tout.data + (size_t)y * orow_n);
        return;
    }
    /* FP16: widen the input rows this chunk reads, compute in FP32, round the output */
    const vsr_conv_params *p = &nd->conv;
    int r0 = y0 * p->stride - gm->pt, r1 = (y1 - 1) * p->stride - gm->pt + gm->keff_h;
    if (r0 < 0)
        r0 = 0;
    if (r1 > gm->H)
        r1 = gm->H;
    size_t irow_n = (size_t)gm->W * gm->C;
    float *ibuf = malloc(((size_t)(r1 - r0) * irow_n + 16) * sizeof(float));
    float *obuf = malloc((orow_n + 16) * sizeof(float));
    if (!ibuf || !obuf) {
        free(ibuf), free(obuf);
        __atomic_store_n(&t->err, -ENOMEM, __ATOMIC_RELAXED); /* workers may race */
        return;
    }
    e->k.f16_to_f32((const uint16_t *)tin.data + (size_t)r0 * irow_n, ibuf,
                    (size_t)(r1 - r0) * irow_n);
    for (int y = y0; y < y1; y++) {
        row_f32(t, ibuf, r0, y, obuf);
        e->k.f32_to_f16(obuf, (uint16_t *)tout.data + (size_t)y * orow_n, orow_n);
    }
    free(ibuf), free(obuf);
}

static void conv_chunk(void *ctx, size_t chunk)
{
    conv_task *t = ctx;
    vsr_engine *e = t->e;
    int y0 = (int)((size_t)t->gm.OH * chunk / (size_t)t->nchunks);
    int y1 = (int)((size_t)t->gm.OH * (chunk + 1) / (size_t)t->nchunks);
    if (y0 >= y1)
        return;
    conv_rows(t, chunk, y0, y1);
    if (t->tail == 1) /* the fused tail on these rows, while they are in L2 */
        vsr__tail_rows(e, y0, y1);
}

typedef struct cvt_task {
    vsr_tview src, dst;
    size_t row_n;
} cvt_task;

static void cvt_row(void *ctx, size_t y)
{
    const cvt_task *t = ctx;
    float buf[256];
    for (size_t k = 0; k < t->row_n; k += 256) {
        size_t m = t->row_n - k < 256 ? t->row_n - k : 256;
        vsr__load_f32(&t->src, y * t->row_n + k, m, buf);
        vsr__store_f32(&t->dst, y * t->row_n + k, m, buf);
    }
}

/* Mixed precision: the conv reads its input in the type it computes in (that of its
 * output); another type is converted into e->cvt first (dequantize / widen, then
 * round or quantize with the input tensor's own parameters). */
static int conv_input(vsr_engine *e, int i, vsr_tview *in, vsr_error *err)
{
    *in = vsr__tensor(e, e->g->nodes[i].in[0]);
    vsr_dtype want = e->dt[e->plan.dst[i]];
    if (in->dt == want)
        return 0;
    size_t n = (size_t)in->h * in->w * in->c, bytes = n * vsr__dt_size(want) + 64;
    if (bytes > e->cvt_cap) {
        void *p = NULL;
        if (posix_memalign(&p, 64, bytes))
            return vsr_error_set(err, -ENOMEM, "%s: %s: out of memory", e->g->name,
                                 e->g->nodes[i].name);
        memset(p, 0, bytes);
        free(e->cvt);
        e->cvt = p;
        e->cvt_cap = bytes;
    }
    cvt_task t = {.src = *in, .dst = *in, .row_n = (size_t)in->w * in->c};
    t.dst.data = e->cvt;
    t.dst.dt = want;
    vsr__parallel(e, cvt_row, &t, (size_t)in->h);
    *in = t.dst;
    return 0;
}

int vsr__conv_run(vsr_engine *e, int i, vsr_error *err)
{
    vsr_tview in;
    int rc = conv_input(e, i, &in, err);
    if (rc)
        return rc;
    return e->conv[i].wino ? vsr__wino_run(e, i, &in, err) : vsr__conv_direct(e, i, &in, err);
}

int vsr__conv_direct(vsr_engine *e, int i, const vsr_tview *in, vsr_error *err)
{
    conv_task t = {.e = e, .i = i, .in = *in};
    geom(e, i, &t.gm);
    if (t.gm.CO > 1024)
        return vsr_error_set(err, -ENOTSUP, "%s: %s: more than 1024 output channels",
                             e->g->name, e->g->nodes[i].name);
    /* row-blocked convs: half the items, so that fewer input rows are read by two
     * threads (each is read by keff_h output rows): 2-thread ABPN INT8 5.34 ->
     * 5.20 ms (docs/PERFORMANCE.md, fifth pass) */
    int nc = e->nthreads *
             (e->conv[i].pl || in->blk ? VSR_ITEMS_PER_THREAD / 2 : VSR_ITEMS_PER_THREAD);
    t.nchunks = nc < t.gm.OH ? nc : t.gm.OH;
    if (e->conv[i].simd || e->conv[i].dw || e->conv[i].grouped) {
        int max_rows = (t.gm.OH + t.nchunks - 1) / t.nchunks;
        if (vsr__conv_scratch(e, t.nchunks, chunk_scratch_bytes(e, i, &t.gm, max_rows)))
            return vsr_error_set(err, -ENOMEM, "%s: %s: out of memory for the row scratch",
                                 e->g->name, e->g->nodes[i].name);
    }
    /* the tail after every row where rows are computed one by one from the input in
     * place (dense_rows), else after every chunk when its rows fit in L2 */
    vsr_dtype dto = e->dt[e->plan.dst[i]];
    int by_row = dense_in_place(e, &e->conv[i], in->dt, dto);
    int max_rows = by_row ? 1 : (t.gm.OH + t.nchunks - 1) / t.nchunks;
    if (vsr__tail_in_src(e, i, (size_t)max_rows * t.gm.OW * t.gm.CO * vsr__dt_size(dto)))
        t.tail = by_row ? 2 : 1;
    vsr__parallel(e, conv_chunk, &t, (size_t)t.nchunks);
    if (t.err)
        return vsr_error_set(err, t.err, "%s: %s: out of memory", e->g->name,
                             e->g->nodes[i].name);
    return 0;
}

/* ---- the op ------------------------------------------------------------- */

static int conv_infer(const vsr_graph *g, const vsr_node *nd, const int *shp, int *o,
                      vsr_error *err)
{
    const vsr_conv_params *p = &nd->conv;
    int cin = shp[3 * nd->in[0] + 2];
    const int *a = &shp[3 * nd->in[0]];
    if (cin % p->groups || p->cout % p->groups)
        return vsr_error_set(err, -EINVAL,
                             "%s: %s: %d input / %d output channels not divisible by "
                             "groups %d",
                             g->name, nd->name, cin, p->cout, p->groups);
    if (g->n_wts > nd->w_first && g->wts[nd->w_first].dims[2] != cin / p->groups)
        return vsr_error_set(err, -EINVAL, "%s: %s: input has %d channels, weight expects %d",
                             g->name, nd->name, cin, g->wts[nd->w_first].dims[2] * p->groups);
    o[0] = (a[0] + p->stride - 1) / p->stride;
    o[1] = (a[1] + p->stride - 1) / p->stride;
    o[2] = p->cout;
    return 0;
}

static int64_t conv_macs(const vsr_node *nd, const int *shp, const int *o)
{
    int cin = shp[3 * nd->in[0] + 2];
    return (int64_t)o[0] * o[1] * o[2] * (cin / nd->conv.groups) * nd->conv.kh * nd->conv.kw;
}

static void conv_desc(const vsr_node *nd, const int *shp, char *buf, size_t cap)
{
    static const char *acts[] = {"", " relu", " leaky", " prelu", " clip", " sigmoid"};
    const vsr_conv_params *c = &nd->conv;
    int cin = shp[3 * nd->in[0] + 2];
    int n = snprintf(buf, cap, "%dx%d %d->%d", c->kh, c->kw, cin, c->cout);
    if (c->dilation > 1)
        n += snprintf(buf + n, cap - (size_t)n, " d%d", c->dilation);
    if (c->stride > 1)
        n += snprintf(buf + n, cap - (size_t)n, " s%d", c->stride);
    if (c->groups > 1)
        n += snprintf(buf + n, cap - (size_t)n, " g%d", c->groups);
    if (!c->bias)
        n += snprintf(buf + n, cap - (size_t)n, " nobias");
    snprintf(buf + n, cap - (size_t)n, "%s", acts[c->act.type]);
}

const vsr_op_def vsr__op_conv2d = {
    .name = "conv2d",
    .act = VSR_OP_ACT_NOT,
    .infer = conv_infer,
    .macs = conv_macs,
    .desc = conv_desc,
    .prepare = vsr__conv_prepare,
    .run = vsr__conv_run,
};
