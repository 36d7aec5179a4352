/*
 * The SR tail fused into one pass: y = clip(depth_to_space(t + concat(x, ..., x), r))
 * (ABPN's anchor: x repeated r^2 times along channels, which under the DCR
 * order is nearest upsampling of x). Without the fusion the engine writes
 * and reads four full-resolution tensors (the concat, the add, the
 * depth_to_space and the clip); fused, it reads t and x once and writes y.
 *
 * Results are identical to the unfused ops in every precision:
 *  - FP32: fminf(fmaxf(a + b, lo), hi), the same single rounding;
 *  - FP16: the add rounds to binary16, the clip widens, clamps and rounds
 *    again (a no-op for a binary16 value and binary16-exact bounds);
 *  - INT8: a 256 x 256 table built at engine creation from the scalar
 *    functions themselves (concat rescale, dequantize-add-requantize, clip
 *    requantize), so every output byte is the composition of the scalar ops.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../engine_internal.h"
#include "../quant_tflite.h"

enum { CHUNK = 4096 };

static int sole_consumer(const vsr_graph *g, int t)
{
    int c = -1;
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_in; k++)
            if (g->nodes[i].in[k] == t) {
                if (c >= 0 && c != i)
                    return -1;
                c = i;
            }
    return c;
}

static int same_q(const vsr_engine *e, int a, int b)
{
    return e->qscale[a] == e->qscale[b] && e->qzp[a] == e->qzp[b];
}

/* The INT8 tail's output byte for (q_t, q_x) in the default requantization: the
 * unfused ops' single-precision operations in their order (engine_kernels.h,
 * vsr_tail_q). The arena table and the scalar float-row kernel both use it. */
static int8_t tail_q1(const vsr_tail_q *q, int qt, int qx)
{
    float va = q->st * (float)(qt - q->zt);
    int8_t v8 = vsr__quantize1(va + q->vb[qx + 128], q->inv_a, q->za);
    if (q->clip) {
        float v = q->sa * (float)(v8 - q->za);
        v = v > q->lo ? v : q->lo; /* = fminf(fmaxf(v, lo), hi): v is finite */
        v = v < q->hi ? v : q->hi;
        v8 = vsr__quantize1(v, q->inv_c, q->zc);
    }
    return v8;
}

void vsr__tail_q_derive(vsr_tail_q *q)
{
    float mv = 0.f;
    for (int k = 0; k < 256; k++)
        mv = fabsf(q->vb[k]) > mv ? fabsf(q->vb[k]) : mv;
    float bound = (fabsf(q->st) * 255.f + mv) * fabsf(q->inv_a);
    q->small = bound < 4194304.f; /* false for inf and NaN too */
    q->rlo = (float)(-128 - q->za), q->rhi = (float)(127 - q->za);
    q->inside = 0;
    if (q->clip) {
        float a = nearbyintf(q->lo * q->inv_c) + (float)q->zc;
        float b = nearbyintf(q->hi * q->inv_c) + (float)q->zc;
        q->inside = q->lo <= q->hi && a >= -128.f && b <= 127.f;
    }
    q->dz = (float)(q->clip ? q->zc - q->zo : q->za - q->zo);
    q->lean = q->small && q->clip && q->inside && q->sa > 0.f && q->inv_c > 0.f &&
              q->sa * q->rlo <= q->lo && q->sa * q->rhi >= q->hi && q->dz == 0.f &&
              (q->lo > 0.f || (q->lo == 0.f && !signbit(q->lo)));
}

int vsr__tail_detect(vsr_engine *e, vsr_error *err)
{
    const vsr_graph *g = e->g;
    vsr_plan *p = &e->plan;
    int n = g->n_nodes;
    e->tail.node = -1;
    e->tail.src = -1;
    e->tail.in_src = e->tail.last_in_src = 0;
    for (int a = 0; a < n; a++) {
        const vsr_node *na = &g->nodes[a];
        if (na->op != VSR_OP_ADD || na->n_in != 2 || !p->exec[a] || p->dst[a] != a ||
            p->is_output[a] || p->n_consumers[a] != 1)
            continue;
        for (int sw = 0; sw < 2; sw++) {
            int t = na->in[sw], anc = na->in[1 - sw];
            const vsr_node *nc = &g->nodes[anc];
            if (nc->op != VSR_OP_CONCAT || !p->exec[anc] || p->is_output[anc] ||
                p->n_consumers[anc] != 1 || t == anc)
                continue;
            int x = nc->in[0], ok = 1;
            for (int k = 1; k < nc->n_in; k++)
                ok &= nc->in[k] == x;
            int d = sole_consumer(g, a);
            if (!ok || d < 0 || g->nodes[d].op != VSR_OP_DEPTH_TO_SPACE || !p->exec[d])
                continue;
            int r = g->nodes[d].i0;
            if (nc->n_in != r * r || g->nodes[x].c * r * r != g->nodes[t].c ||
                g->nodes[t].c > CHUNK)
                continue;
            vsr_dtype dt = e->dt[t];
            if (e->dt[x] != dt || e->dt[anc] != dt || e->dt[a] != dt || e->dt[d] != dt)
                continue;
            int c = -1;
            if (!p->is_output[d] && p->n_consumers[d] == 1) {
                int cc = sole_consumer(g, d);
                if (cc >= 0 && g->nodes[cc].op == VSR_OP_CLIP && p->exec[cc] &&
                    p->dst[cc] == cc && e->dt[cc] == dt)
                    c = cc;
            }
            if (!p->xin) {
                p->xin = malloc((size_t)2 * n * sizeof(int));
                if (!p->xin)
                    return vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
                for (int k = 0; k < 2 * n; k++)
                    p->xin[k] = -1;
            }
            int node = c >= 0 ? c : d;
            e->tail.node = node;
            /* x is ready before t's conv runs (nodes run in index order) */
            e->tail.src = g->nodes[t].op == VSR_OP_CONV2D && p->exec[t] && x < t ? t : -1;
            e->tail.t = t;
            e->tail.x = x;
            e->tail.r = r;
            e->tail.clip = c >= 0;
            e->tail.lo = c >= 0 ? g->nodes[c].act.lo : 0.f;
            e->tail.hi = c >= 0 ? g->nodes[c].act.hi : 0.f;
            /* rounding to binary16 is monotonic and fixes lo and hi when they are binary16
             * values, so then the FP16 clip can be applied before the single rounding */
            e->tail.exact16 = vsr_f16_to_f32(vsr_f32_to_f16(e->tail.lo)) == e->tail.lo &&
                              vsr_f16_to_f32(vsr_f32_to_f16(e->tail.hi)) == e->tail.hi;
            p->xin[2 * node] = t;
            p->xin[2 * node + 1] = x;
            p->exec[anc] = 0;
            p->exec[a] = 0;
            if (c >= 0)
                p->exec[d] = 0;
            if (dt == VSR_DT_I8) {
                e->tail.lut = malloc(65536);
                if (!e->tail.lut)
                    return vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
                float inv_anc = 1.f / e->qscale[anc], inv_a = 1.f / e->qscale[a];
                float inv_c = c >= 0 ? 1.f / e->qscale[c] : 0.f;
                int tfl = e->opt.requant == VSR_REQUANT_TFLITE;
                if (tfl) { /* the same composition of TFLite's integer kernels */
                    vsr_tfl_q qx = {e->qscale[x], e->qzp[x]},
                              qn = {e->qscale[anc], e->qzp[anc]};
                    vsr_tfl_q qt = {e->qscale[t], e->qzp[t]}, qa = {e->qscale[a], e->qzp[a]};
                    int8_t cl[256], ct[256];
                    int8_t *add = malloc(65536);
                    int rc = add ? 0 : -ENOMEM;
                    vsr__tfl_concat_lut(qx, qn, ct);
                    if (!rc)
                        rc = sw ? vsr__tfl_add_lut(qn, qt, qa, add)
                                : vsr__tfl_add_lut(qt, qn, qa, add);
                    if (!rc && c >= 0)
                        rc = vsr__tfl_clip_lut(qa, (vsr_tfl_q){e->qscale[c], e->qzp[c]},
                                               e->tail.lo, e->tail.hi, cl);
                    for (int k = 0; !rc && k < 65536; k++) {
                        int q_t = (k >> 8) - 128, q_x = (k & 255) - 128;
                        int q_a = same_q(e, x, anc) ? q_x : ct[q_x + 128];
                        int8_t q = sw ? add[(uint8_t)q_a << 8 | (uint8_t)q_t]
                                      : add[(uint8_t)q_t << 8 | (uint8_t)q_a];
                        e->tail.lut[k] = c >= 0 ? cl[q + 128] : q;
                    }
                    free(add);
                    if (rc)
                        return vsr_error_set(
                            err, rc, "%s: SR tail: requant tflite: %s", g->name,
                            rc == -ENOMEM ? "out of memory" : "multiplier out of range");
                }
                int to = c >= 0 ? c : d;
                if (!tfl) { /* the unfused ops' float arithmetic, composed (vsr_tail_q) */
                    vsr_tail_q *q = calloc(1, sizeof(*q));
                    if (!q)
                        return vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
                    e->tail.q = q;
                    /* add: dequantize both, add in FP32, requantize (eltwise.c) */
                    q->st = e->qscale[t], q->zt = e->qzp[t];
                    q->inv_a = inv_a, q->za = e->qzp[a], q->sa = e->qscale[a];
                    /* depth_to_space keeps a's parameters; clip requantizes */
                    q->clip = c >= 0, q->lo = e->tail.lo, q->hi = e->tail.hi;
                    q->inv_c = inv_c, q->zc = c >= 0 ? e->qzp[c] : 0;
                    q->so = e->qscale[to], q->zo = e->qzp[to];
                    for (int qx = -128; qx < 128; qx++) {
                        /* concat: a copy, or the rescale of movement.c */
                        int qa = same_q(e, x, anc)
                                     ? qx
                                     : vsr__quantize1(e->qscale[x] * (float)(qx - e->qzp[x]),
                                                      inv_anc, e->qzp[anc]);
                        q->vb[qx + 128] = e->qscale[anc] * (float)(qa - e->qzp[anc]);
                    }
                    vsr__tail_q_derive(q);
                    for (int k = 0; k < 65536; k++) /* the arena rows' table (tiled runs) */
                        e->tail.lut[k] = tail_q1(q, (k >> 8) - 128, (k & 255) - 128);
                }
                for (int q = -128; q < 128; q++)
                    e->tail.deq[q + 128] = e->qscale[to] * (float)(q - e->qzp[to]);
                if (tfl) { /* the float rows look the composition up (no vsr_tail_q) */
                    e->tail.flut = malloc(65536 * sizeof(float));
                    if (!e->tail.flut)
                        return vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
                    for (int i = 0; i < 65536; i++)
                        e->tail.flut[i] = e->tail.deq[e->tail.lut[i] + 128];
                }
            }
            return 0;
        }
    }
    return 0;
}

/* The scalar twins of the tail row kernels (engine_kernels.h): every output of the r
 * rows, o[i*os + (w*r + j)*c + ch] = EXPR of ts[ch] (t) and xs[ch] (x). */
#define TAIL_ROWS(T, EXPR)                                                                     \
    for (int i = 0; i < r; i++) {                                                              \
        float *op = o + (size_t)i * os;                                                        \
        for (int w = 0; w < wi; w++)                                                           \
            for (int j = 0; j < r; j++) {                                                      \
                const T *ts = t + (size_t)w * ct + (size_t)(i * r + j) * c;                    \
                const T *xs = x + (size_t)w * c;                                               \
                for (int ch = 0; ch < c; ch++)                                                 \
                    *op++ = (EXPR);                                                            \
            }                                                                                  \
    }

/* = fminf(fmaxf(v, lo), hi) when clip, without the libm calls */
static inline float add_clip(float a, float b, float lo, float hi, int clip)
{
    float v = a + b;
    if (clip) {
        v = v > lo ? v : lo;
        v = v < hi ? v : hi;
    }
    return v;
}

void vsr_f32_tail__scalar(const float *t, const float *x, float *o, int wi, int r, int c,
                          int ct, size_t os, float lo, float hi, int clip)
{
    TAIL_ROWS(float, add_clip(ts[ch], xs[ch], lo, hi, clip))
}

void vsr_qs8_tail__scalar(const int8_t *t, const int8_t *x, float *o, int wi, int r, int c,
                          int ct, size_t os, const float *flut)
{
    TAIL_ROWS(int8_t, flut[(ts[ch] + 128) * 256 + (xs[ch] + 128)])
}

void vsr_qs8_tail_q__scalar(const int8_t *t, const int8_t *x, float *o, int wi, int r, int c,
                            int ct, size_t os, const vsr_tail_q *q)
{
    TAIL_ROWS(int8_t, q->so * (float)(tail_q1(q, ts[ch], xs[ch]) - q->zo))
}

typedef struct tail_task {
    vsr_engine *e;
    vsr_tview t, x, o;
} tail_task;

/* Output row Y into the arena tensor: INT8 through the byte table, or FP16. */
static void tail_row(const tail_task *k, size_t yy)
{
    const vsr_engine *e = k->e;
    int r = e->tail.r, C = k->x.c, Ct = k->t.c, Wi = k->t.w;
    int Y = (int)yy, h = Y / r, i = Y % r;
    size_t trow = (size_t)h * Wi * Ct, xrow = (size_t)h * Wi * C;
    size_t orow = (size_t)Y * k->o.w * C;
    float lo = e->tail.lo, hi = e->tail.hi;
    int clip = e->tail.clip;
    float *fo = e->tail.out ? e->tail.out + orow : NULL;
    if (k->t.dt == VSR_DT_I8) {
        const int8_t *tp = (const int8_t *)k->t.data + trow;
        const int8_t *xp = (const int8_t *)k->x.data + xrow;
        int8_t *op = (int8_t *)k->o.data + orow;
        const int8_t *lut = e->tail.lut;
        for (int w = 0; w < Wi; w++)
            for (int j = 0; j < r; j++) {
                const int8_t *ts = tp + (size_t)w * Ct + (size_t)(i * r + j) * C;
                const int8_t *xs = xp + (size_t)w * C;
                for (int c = 0; c < C; c++)
                    *op++ = lut[(ts[c] + 128) * 256 + (xs[c] + 128)];
            }
        return;
    }
    /* FP16: widen a chunk of pixels, add, round; clip widens, clamps, rounds */
    float tb[CHUNK], xb[CHUNK], ob[CHUNK];
    uint16_t hb[CHUNK];
    int px = CHUNK / Ct;
    for (int w0 = 0; w0 < Wi; w0 += px) {
        int nw = Wi - w0 < px ? Wi - w0 : px;
        vsr__load_f32(&k->t, trow + (size_t)w0 * Ct, (size_t)nw * Ct, tb);
        vsr__load_f32(&k->x, xrow + (size_t)w0 * C, (size_t)nw * C, xb);
        size_t m = 0;
        for (int w = 0; w < nw; w++)
            for (int j = 0; j < r; j++)
                for (int c = 0; c < C; c++)
                    ob[m++] = tb[(size_t)w * Ct + (size_t)(i * r + j) * C + c] +
                              xb[(size_t)w * C + c];
        if (clip && !e->tail.exact16) { /* the add's binary16 rounding */
            e->k.f32_to_f16(ob, hb, m);
            e->k.f16_to_f32(hb, ob, m);
        }
        if (clip) { /* bounds exact in binary16: clamp(round(s)) == round(clamp(s)) */
            for (size_t q = 0; q < m; q++) {
                float v = ob[q] > lo ? ob[q] : lo;
                ob[q] = v < hi ? v : hi;
            }
        }
        if (fo) { /* round to binary16 and widen, as store + copy-out would */
            e->k.f32_to_f16(ob, hb, m);
            e->k.f16_to_f32(hb, fo + (size_t)w0 * r * C, m);
        } else {
            vsr__store_f32(&k->o, orow + (size_t)w0 * r * C, m, ob);
        }
    }
}

/* One work item: the r output rows of input row h, so the t and x rows they
 * share are read by one thread while they are in its cache. The float rows (FP32,
 * and INT8 to the float output) are one kernel call. */
static void tail_band(void *ctx, size_t h)
{
    const tail_task *k = ctx;
    const vsr_engine *e = k->e;
    int r = e->tail.r, C = k->x.c, Ct = k->t.c, Wi = k->t.w;
    size_t os = (size_t)k->o.w * C, orow = h * (size_t)r * os;
    size_t trow = h * (size_t)Wi * Ct, xrow = h * (size_t)Wi * C;
    float *fo = e->tail.out ? e->tail.out + orow : NULL;
    if (k->t.dt == VSR_DT_I8 && fo) {
        const int8_t *tp = (const int8_t *)k->t.data + trow;
        const int8_t *xp = (const int8_t *)k->x.data + xrow;
        if (e->tail.q) /* computed (default requantization) */
            e->k.qs8_tail_q(tp, xp, fo, Wi, r, C, Ct, os, e->tail.q);
        else /* the composed table (requant tflite) */
            e->k.qs8_tail(tp, xp, fo, Wi, r, C, Ct, os, e->tail.flut);
        return;
    }
    if (k->t.dt == VSR_DT_F32) {
        e->k.f32_tail((const float *)k->t.data + trow, (const float *)k->x.data + xrow,
                      fo ? fo : (float *)k->o.data + orow, Wi, r, C, Ct, os, e->tail.lo,
                      e->tail.hi, e->tail.clip);
        return;
    }
    for (int i = 0; i < r; i++)
        tail_row(k, h * (size_t)r + (size_t)i);
}

static tail_task tail_views(vsr_engine *e)
{
    tail_task k = {.e = e};
    k.t = vsr__tensor(e, e->tail.t);
    k.x = vsr__tensor(e, e->tail.x);
    k.o = vsr__tensor(e, e->plan.dst[e->tail.node]);
    return k;
}

int vsr__tail_run(vsr_engine *e, vsr_error *err)
{
    (void)err;
    e->tail.last_in_src = e->tail.in_src;
    if (e->tail.in_src) { /* done in tail.src's bands */
        e->tail.in_src = 0;
        return 0;
    }
    tail_task k = tail_views(e);
    vsr__parallel(e, tail_band, &k, (size_t)k.t.h);
    return 0;
}

int vsr__tail_in_src(vsr_engine *e, int i, size_t bytes)
{
    if (i != e->tail.src)
        return 0;
    e->tail.in_src = e->tail.out && bytes <= VSR_TAIL_BAND_BYTES;
    return e->tail.in_src;
}

void vsr__tail_rows(vsr_engine *e, int h0, int h1)
{
    tail_task k = tail_views(e);
    for (int h = h0; h < h1; h++)
        tail_band(&k, (size_t)h);
}
