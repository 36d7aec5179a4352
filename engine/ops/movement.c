/*
 * Data movement: concat, slice, channel shuffle, depth_to_space (TF DCR),
 * nearest resize. Element copies, so FP32 / FP16 / INT8 stay bit-exact;
 * an INT8 concat input whose parameters differ from the output's is
 * rescaled (dequantize, round to nearest even, saturate).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../engine_internal.h"
#include "../quant_tflite.h"

enum { MV_MAX_LUT = 8, MV_ROWBUF = 4096 };

typedef struct mv_task mv_task;
/* Row y of the output (W pixels of C channels, es bytes each) from input a. */
typedef void (*mv_row_fn)(const mv_task *t, const vsr_node *nd, int y, int W, int C,
                          const vsr_tview *a, size_t es);

struct mv_task {
    vsr_engine *e;
    mv_row_fn row;
    int i;
    vsr_tview in[1]; /* first input (others fetched per row for concat) */
    vsr_tview o;
    /* INT8 concat: rescaling table of input k (k < MV_MAX_LUT), built once per run */
    int has_lut[MV_MAX_LUT];
    int8_t lut[MV_MAX_LUT][256];
};

/* The INT8 concat rescaling table of input s: the same dequantize / round-to-nearest-even
 * / saturate as the float path, once per input value (requant tflite: TFLite's rescale,
 * quant_tflite.h). */
static void concat_lut(const vsr_engine *e, const vsr_tview *s, const vsr_tview *o, int8_t *lut)
{
    if (e->opt.requant == VSR_REQUANT_TFLITE) {
        vsr__tfl_concat_lut((vsr_tfl_q){s->scale, s->zp}, (vsr_tfl_q){o->scale, o->zp}, lut);
        return;
    }
    float inv = 1.f / o->scale;
    for (int q = -128; q < 128; q++)
        lut[q + 128] = vsr__quantize1(s->scale * (float)(q - s->zp), inv, o->zp);
}

/* n elements of es bytes, a short run: inline copies instead of a memcpy call. */
static inline void copy_short(uint8_t *d, const uint8_t *s, size_t n, size_t es)
{
    switch (es) {
    case 1:
        for (size_t k = 0; k < n; k++)
            d[k] = s[k];
        break;
    case 2:
        for (size_t k = 0; k < n; k++)
            memcpy(d + 2 * k, s + 2 * k, 2);
        break;
    default:
        for (size_t k = 0; k < n; k++)
            memcpy(d + 4 * k, s + 4 * k, 4);
        break;
    }
}

static int same_type(const vsr_tview *s, const vsr_tview *d)
{
    return s->dt == d->dt && (s->dt != VSR_DT_I8 || (s->scale == d->scale && s->zp == d->zp));
}

/* Copy n elements src[soff..] -> dst[doff..], converting when the types differ. */
static void copy_run(const vsr_tview *s, size_t soff, const vsr_tview *d, size_t doff, size_t n)
{
    size_t es = vsr__dt_size(d->dt);
    if (s->dt == d->dt && (s->dt != VSR_DT_I8 || (s->scale == d->scale && s->zp == d->zp))) {
        memcpy((uint8_t *)d->data + doff * es, (const uint8_t *)s->data + soff * es, n * es);
        return;
    }
    float buf[256];
    for (size_t k = 0; k < n; k += 256) {
        size_t m = n - k < 256 ? n - k : 256;
        vsr__load_f32(s, soff + k, m, buf);
        vsr__store_f32(d, doff + k, m, buf);
    }
}

static void concat_row(const mv_task *t, const vsr_node *nd, int y, int W, int C,
                       const vsr_tview *a, size_t es)
{
    (void)a;
    const vsr_engine *e = t->e;
    int c0 = 0;
    for (int k = 0; k < nd->n_in; k++) {
        vsr_tview s = vsr__tensor(e, nd->in[k]);
        if (s.dt == VSR_DT_I8 && t->o.dt == VSR_DT_I8 &&
            (s.scale != t->o.scale || s.zp != t->o.zp)) {
            /* rescale through a table (built once per run for the first inputs) */
            int8_t lbuf[256];
            const int8_t *lut = k < MV_MAX_LUT && t->has_lut[k] ? t->lut[k] : lbuf;
            if (lut == lbuf)
                concat_lut(e, &s, &t->o, lbuf);
            /* the input row through the table kernel in runs of whole pixels, then
             * copied to its channels of the output pixels */
            int8_t rb[MV_ROWBUF];
            int px = s.c <= MV_ROWBUF ? MV_ROWBUF / s.c : 0;
            for (int x0 = 0; px && x0 < W; x0 += px) {
                int m = W - x0 < px ? W - x0 : px;
                const int8_t *src = (const int8_t *)s.data + ((size_t)y * W + x0) * s.c;
                e->k.lut8(src, rb, (size_t)m * s.c, lut);
                for (int x = 0; x < m; x++)
                    copy_short((uint8_t *)t->o.data + ((size_t)y * W + x0 + x) * C + c0,
                               (const uint8_t *)rb + (size_t)x * s.c, (size_t)s.c, 1);
            }
            for (int x = 0; !px && x < W; x++) { /* more channels than the buffer */
                const int8_t *src = (const int8_t *)s.data + ((size_t)y * W + x) * s.c;
                int8_t *dst = (int8_t *)t->o.data + ((size_t)y * W + x) * C + c0;
                e->k.lut8(src, dst, (size_t)s.c, lut);
            }
        } else if (same_type(&s, &t->o)) {
            const uint8_t *src = (const uint8_t *)s.data + (size_t)y * W * s.c * es;
            uint8_t *dst = (uint8_t *)t->o.data + ((size_t)y * W * C + c0) * es;
            for (int x = 0; x < W; x++)
                copy_short(dst + (size_t)x * C * es, src + (size_t)x * s.c * es, (size_t)s.c,
                           es);
        } else {
            for (int x = 0; x < W; x++)
                copy_run(&s, ((size_t)y * W + x) * s.c, &t->o, ((size_t)y * W + x) * C + c0,
                         (size_t)s.c);
        }
        c0 += s.c;
    }
}

static void slice_row(const mv_task *t, const vsr_node *nd, int y, int W, int C,
                      const vsr_tview *a, size_t es)
{
    if (same_type(a, &t->o)) {
        const uint8_t *src = (const uint8_t *)a->data + ((size_t)y * W * a->c + nd->i0) * es;
        uint8_t *dst = (uint8_t *)t->o.data + (size_t)y * W * C * es;
        for (int x = 0; x < W; x++)
            copy_short(dst + (size_t)x * C * es, src + (size_t)x * a->c * es, (size_t)C, es);
        return;
    }
    for (int x = 0; x < W; x++)
        copy_run(a, ((size_t)y * W + x) * a->c + nd->i0, &t->o, ((size_t)y * W + x) * C,
                 (size_t)C);
}

/* input and output share a type (assign_types) */
static void shuffle_row(const mv_task *t, const vsr_node *nd, int y, int W, int C,
                        const vsr_tview *a, size_t es)
{
    int g = nd->i0, cpg = C / g;
    for (int x = 0; x < W; x++) {
        const uint8_t *s = (const uint8_t *)a->data + ((size_t)y * W + x) * C * es;
        uint8_t *d = (uint8_t *)t->o.data + ((size_t)y * W + x) * C * es;
        for (int gi = 0; gi < g; gi++)
            for (int j = 0; j < cpg; j++)
                memcpy(d + (size_t)(j * g + gi) * es, s + (size_t)(gi * cpg + j) * es, es);
    }
}

static void d2s_row(const mv_task *t, const vsr_node *nd, int y, int W, int C,
                    const vsr_tview *a, size_t es)
{
    int r = nd->i0, h = y / r, i = y % r;
    if (same_type(a, &t->o)) {
        /* the r output pixels of input pixel w are its channels [i*r*C, (i+1)*r*C) */
        size_t run = (size_t)r * C;
        const uint8_t *src =
            (const uint8_t *)a->data + ((size_t)h * a->w * a->c + i * run) * es;
        uint8_t *dst = (uint8_t *)t->o.data + (size_t)y * W * C * es;
        for (int w = 0; w < a->w; w++)
            copy_short(dst + (size_t)w * run * es, src + (size_t)w * a->c * es, run, es);
        return;
    }
    for (int X = 0; X < W; X++) {
        int w = X / r, j = X % r;
        copy_run(a, ((size_t)h * a->w + w) * a->c + (size_t)(i * r + j) * C, &t->o,
                 ((size_t)y * W + X) * C, (size_t)C);
    }
}

static void nearest_row(const mv_task *t, const vsr_node *nd, int y, int W, int C,
                        const vsr_tview *a, size_t es)
{
    (void)es;
    int f = nd->i0;
    for (int X = 0; X < W; X++)
        copy_run(a, ((size_t)(y / f) * a->w + X / f) * C, &t->o, ((size_t)y * W + X) * C,
                 (size_t)C);
}

static void mv_row(void *ctx, size_t yy)
{
    const mv_task *t = ctx;
    t->row(t, &t->e->g->nodes[t->i], (int)yy, t->o.w, t->o.c, &t->in[0], vsr__dt_size(t->o.dt));
}

static int mv_run(vsr_engine *e, int i, mv_row_fn row, vsr_error *err)
{
    (void)err;
    mv_task t = {.e = e, .row = row, .i = i};
    const vsr_node *nd = &e->g->nodes[i];
    t.in[0] = vsr__tensor(e, nd->in[0]);
    t.o = vsr__tensor(e, e->plan.dst[i]);
    if (nd->op == VSR_OP_CONCAT && t.o.dt == VSR_DT_I8)
        for (int k = 0; k < nd->n_in && k < MV_MAX_LUT; k++) {
            vsr_tview s = vsr__tensor(e, nd->in[k]);
            if (s.dt == VSR_DT_I8 && !same_type(&s, &t.o)) {
                concat_lut(e, &s, &t.o, t.lut[k]);
                t.has_lut[k] = 1;
            }
        }
    vsr__parallel(e, mv_row, &t, (size_t)t.o.h);
    return 0;
}

static int concat_run(vsr_engine *e, int i, vsr_error *err)
{
    return mv_run(e, i, concat_row, err);
}
static int slice_run(vsr_engine *e, int i, vsr_error *err)
{
    return mv_run(e, i, slice_row, err);
}
static int shuffle_run(vsr_engine *e, int i, vsr_error *err)
{
    return mv_run(e, i, shuffle_row, err);
}
static int d2s_run(vsr_engine *e, int i, vsr_error *err)
{
    return mv_run(e, i, d2s_row, err);
}
static int nearest_run(vsr_engine *e, int i, vsr_error *err)
{
    return mv_run(e, i, nearest_row, err);
}

/* ---- the ops ------------------------------------------------------------ */

static int concat_infer(const vsr_graph *g, const vsr_node *nd, const int *shp, int *o,
                        vsr_error *err)
{
    const int *a = &shp[3 * nd->in[0]];
    int c = 0;
    for (int i = 0; i < nd->n_in; i++) {
        const int *s = &shp[3 * nd->in[i]];
        if (s[0] != a[0] || s[1] != a[1])
            return vsr_error_set(err, -EINVAL, "%s: %s: input %d is %dx%d, input 0 is %dx%d",
                                 g->name, nd->name, i, s[0], s[1], a[0], a[1]);
        c += s[2];
    }
    o[0] = a[0], o[1] = a[1], o[2] = c;
    return 0;
}

static void concat_desc(const vsr_node *nd, const int *shp, char *buf, size_t cap)
{
    (void)shp;
    snprintf(buf, cap, "%d inputs", nd->n_in);
}

const vsr_op_def vsr__op_concat = {
    .name = "concat",
    .act = VSR_OP_ACT_NOT,
    .infer = concat_infer,
    .desc = concat_desc,
    .run = concat_run,
};

static int slice_infer(const vsr_graph *g, const vsr_node *nd, const int *shp, int *o,
                       vsr_error *err)
{
    const int *a = &shp[3 * nd->in[0]];
    if (nd->i0 < 0 || nd->i1 > a[2] || nd->i0 >= nd->i1)
        return vsr_error_set(err, -EINVAL, "%s: %s: channels [%d,%d) outside 0..%d", g->name,
                             nd->name, nd->i0, nd->i1, a[2]);
    o[0] = a[0], o[1] = a[1], o[2] = nd->i1 - nd->i0;
    return 0;
}

static void slice_desc(const vsr_node *nd, const int *shp, char *buf, size_t cap)
{
    (void)shp;
    snprintf(buf, cap, "[%d:%d]", nd->i0, nd->i1);
}

const vsr_op_def vsr__op_slice = {
    .name = "slice",
    .flags = VSR_OPF_MOVEMENT,
    .act = VSR_OP_ACT_NOT,
    .infer = slice_infer,
    .desc = slice_desc,
    .run = slice_run,
};

static int shuffle_infer(const vsr_graph *g, const vsr_node *nd, const int *shp, int *o,
                         vsr_error *err)
{
    const int *a = &shp[3 * nd->in[0]];
    if (nd->i0 < 1 || a[2] % nd->i0)
        return vsr_error_set(err, -EINVAL, "%s: %s: %d channels not divisible by %d groups",
                             g->name, nd->name, a[2], nd->i0);
    memcpy(o, a, 3 * sizeof(int));
    return 0;
}

const vsr_op_def vsr__op_channel_shuffle = {
    .name = "channel_shuffle",
    .flags = VSR_OPF_MOVEMENT,
    .act = VSR_OP_ACT_NOT,
    .infer = shuffle_infer,
    .run = shuffle_run,
};

static int d2s_infer(const vsr_graph *g, const vsr_node *nd, const int *shp, int *o,
                     vsr_error *err)
{
    const int *a = &shp[3 * nd->in[0]];
    if (nd->i0 < 1 || a[2] % (nd->i0 * nd->i0))
        return vsr_error_set(err, -EINVAL, "%s: %s: %d channels not divisible by block^2 = %d",
                             g->name, nd->name, a[2], nd->i0 * nd->i0);
    o[0] = a[0] * nd->i0, o[1] = a[1] * nd->i0, o[2] = a[2] / (nd->i0 * nd->i0);
    return 0;
}

static void d2s_desc(const vsr_node *nd, const int *shp, char *buf, size_t cap)
{
    (void)shp;
    snprintf(buf, cap, "x%d DCR", nd->i0);
}

const vsr_op_def vsr__op_depth_to_space = {
    .name = "depth_to_space",
    .flags = VSR_OPF_MOVEMENT,
    .act = VSR_OP_ACT_NOT,
    .infer = d2s_infer,
    .desc = d2s_desc,
    .run = d2s_run,
};

/* Resize by an integer factor (nearest here, bilinear in misc.c). */
int vsr__resize_infer(const vsr_graph *g, const vsr_node *nd, const int *shp, int *o,
                      vsr_error *err)
{
    (void)g, (void)err;
    const int *a = &shp[3 * nd->in[0]];
    o[0] = a[0] * nd->i0, o[1] = a[1] * nd->i0, o[2] = a[2];
    return 0;
}

void vsr__resize_desc(const vsr_node *nd, const int *shp, char *buf, size_t cap)
{
    (void)shp;
    snprintf(buf, cap, "x%d", nd->i0);
}

const vsr_op_def vsr__op_resize_nearest = {
    .name = "resize_nearest",
    .flags = VSR_OPF_MOVEMENT,
    .act = VSR_OP_ACT_NOT,
    .infer = vsr__resize_infer,
    .desc = vsr__resize_desc,
    .run = nearest_run,
};
