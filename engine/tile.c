/*
 * Tiled runs (vsr_tile_mode in engine.h): CLIP cuts the input frame into
 * T x T centres, each run on its T + 2P neighbourhood clipped to the frame;
 * FIXED, PADDED and FEATHER run every window at exactly T x T, stride
 * S = T - 2P, reading outside the frame through vsr_engine_options.padding
 * (FIXED and FEATHER only where the frame is smaller than T; PADDED pads
 * every edge by P); CLIP, FIXED and PADDED keep each window's centre,
 * FEATHER blends whole window outputs. Outputs must be an
 * integer multiple s of the input size; a centre maps to an s-times larger
 * block. T = 0 (or, in CLIP, T >= the frame) runs the whole frame once.
 *
 * Tile workers: with tile_workers N >= 2 the windows go to N workers, each
 * an engine of its own (worker 0 is this one, on the calling thread; the
 * others are created at the first tiled run and run on threads started per
 * frame), taking window indices from one queue (a counter under a mutex).
 * Centres are disjoint, so CLIP and FIXED write the output in any order;
 * FEATHER adds each window in index order (a worker waits for its turn), so
 * every N gives the same bytes.
 *
 * The receptive field (vsr_graph_receptive_field) is found here too.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"

const char *vsr_tile_mode_name(vsr_tile_mode m)
{
    switch (m) {
    case VSR_TILE_CLIP:
        return "clip";
    case VSR_TILE_FIXED:
        return "fixed";
    case VSR_TILE_FEATHER:
        return "feather";
    case VSR_TILE_PADDED:
        return "padded";
    }
    return "?";
}

int vsr_tile_mode_parse(const char *s, vsr_tile_mode *out, vsr_error *err)
{
    for (int m = VSR_TILE_CLIP; s && m <= VSR_TILE_PADDED; m++)
        if (!strcmp(s, vsr_tile_mode_name((vsr_tile_mode)m))) {
            *out = (vsr_tile_mode)m;
            return 0;
        }
    return vsr_error_set(err, -EINVAL,
                         "tile mode '%s': expected clip, fixed, padded or feather",
                         s ? s : "(null)");
}

const char *vsr_tile_padding_name(vsr_tile_padding p)
{
    switch (p) {
    case VSR_TPAD_ZERO:
        return "zero";
    case VSR_TPAD_MEAN:
        return "mean";
    case VSR_TPAD_REFLECT:
        return "reflect";
    case VSR_TPAD_REPLICATE:
        return "replicate";
    }
    return "?";
}

int vsr_tile_padding_parse(const char *s, vsr_tile_padding *out, vsr_error *err)
{
    for (int p = VSR_TPAD_ZERO; s && p <= VSR_TPAD_REPLICATE; p++)
        if (!strcmp(s, vsr_tile_padding_name((vsr_tile_padding)p))) {
            *out = (vsr_tile_padding)p;
            return 0;
        }
    return vsr_error_set(err, -EINVAL,
                         "padding '%s': expected zero, mean, reflect or replicate",
                         s ? s : "(null)");
}

/* ---- receptive field ---------------------------------------------------- */

static int floordiv(int a, int b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* The interval [lo[t], hi[t]] of tensor t that output pixel(s) need, one axis
 * (0: rows, 1: columns), propagated from the last node to the inputs. */
static int rf_axis(const vsr_graph *g, int axis, int out_t, int phase, int *lo, int *hi,
                   int *radius, vsr_error *err)
{
    int n = g->n_nodes;
    for (int i = 0; i < n; i++)
        lo[i] = 1, hi[i] = 0; /* empty */
    lo[out_t] = hi[out_t] = phase;
    for (int i = n - 1; i >= 0; i--) {
        const vsr_node *nd = &g->nodes[i];
        if (lo[i] > hi[i])
            continue;
        if (vsr__op_is_global(nd->op))
            return vsr_error_set(err, -ENOTSUP,
                                 "%s: layer %s (%s) reduces over the whole image: no finite "
                                 "receptive field",
                                 g->name, nd->name, vsr_op_name(nd->op));
        if (nd->op == VSR_OP_INPUT) {
            /* the output pixels of input pixel 0 */
            int r = -lo[i] > hi[i] ? -lo[i] : hi[i];
            if (r > *radius)
                *radius = r;
            continue;
        }
        int a = lo[i], b = hi[i];
        switch (nd->op) {
        case VSR_OP_CONV2D: {
            int k = axis ? nd->conv.kw : nd->conv.kh, st = nd->conv.stride;
            int keff = (k - 1) * nd->conv.dilation + 1;
            int total = keff - st > 0 ? keff - st : 0; /* SAME, size a multiple of stride */
            a = a * st - total / 2;
            b = b * st - total / 2 + keff - 1;
            break;
        }
        case VSR_OP_DEPTH_TO_SPACE:
        case VSR_OP_RESIZE_NEAREST:
            a = floordiv(a, nd->i0), b = floordiv(b, nd->i0);
            break;
        case VSR_OP_RESIZE_BILINEAR: {
            /* source (Y + 0.5) / f - 0.5: taps floor of it and one more; 2Y + 1 - f over 2f */
            int f = nd->i0;
            a = floordiv(2 * a + 1 - f, 2 * f);
            b = floordiv(2 * b + 1 - f, 2 * f) + 1;
            break;
        }
        default:
            break; /* element-wise, concat, slice, shuffle, ...: the same pixels */
        }
        for (int j = 0; j < nd->n_in; j++) {
            int t = nd->in[j];
            if (lo[t] > hi[t])
                lo[t] = a, hi[t] = b;
            else {
                lo[t] = a < lo[t] ? a : lo[t];
                hi[t] = b > hi[t] ? b : hi[t];
            }
        }
    }
    return 0;
}

int vsr_graph_receptive_field(const vsr_graph *g, int *radius, vsr_error *err)
{
    if (!g || !radius)
        return vsr_error_set(err, -EINVAL, "vsr_graph_receptive_field: NULL argument");
    *radius = 0;
    int n = g->n_nodes;
    int *shp = malloc((size_t)3 * n * sizeof(int)), *lo = malloc((size_t)2 * n * sizeof(int));
    if (!shp || !lo) {
        free(shp), free(lo);
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
    }
    int *hi = lo + n, rc = 0, r = 0;
    const vsr_node *in0 = g->n_inputs ? &g->nodes[g->inputs[0]] : NULL;
    if (!in0)
        rc = vsr_error_set(err, -EINVAL, "%s: the graph has no input", g->name);
    else
        rc = vsr__graph_infer(g, in0->h, in0->w, shp, err);
    for (int k = 0; !rc && k < g->n_outputs; k++)
        for (int axis = 0; !rc && axis < 2; axis++) {
            int t = g->outputs[k].t;
            /* output pixels per input pixel on this axis (at least one phase) */
            int s = shp[3 * t + axis] / (axis ? in0->w : in0->h);
            for (int ph = 0; !rc && ph < (s > 1 ? s : 1); ph++)
                rc = rf_axis(g, axis, t, ph, lo, hi, &r, err);
        }
    free(shp), free(lo);
    if (!rc)
        *radius = r;
    return rc;
}

/* ---- options ------------------------------------------------------------ */

int vsr__tile_options(vsr_engine *e, vsr_error *err)
{
    vsr_engine_options *o = &e->opt;
    const char *name = e->g->name;
    if ((unsigned)o->tile_mode > VSR_TILE_PADDED)
        return vsr_error_set(err, -EINVAL, "%s: unknown tile mode %d", name, (int)o->tile_mode);
    if ((unsigned)o->padding > VSR_TPAD_REPLICATE)
        return vsr_error_set(err, -EINVAL, "%s: unknown padding %d", name, (int)o->padding);
    if (o->tile_workers < 0 || o->tile_workers > 1024)
        return vsr_error_set(err, -EINVAL, "%s: tile_workers %d: expected 0 to 1024", name,
                             o->tile_workers);
    if (o->pad == VSR_PAD_AUTO) {
        int r = 0, rc = vsr_graph_receptive_field(e->g, &r, err);
        if (rc && o->tile > 0)
            return vsr_error_wrap(err, rc, "pad auto");
        o->pad = rc ? 0 : r;
    }
    if (o->tile > 0 && o->tile_mode != VSR_TILE_CLIP && o->tile <= 2 * o->pad)
        return vsr_error_set(
            err, -EINVAL,
            "%s: a %s tile of %d with pad %d keeps no centre; the tile includes "
            "the pad on both sides: use tile > 2 * pad",
            name, vsr_tile_mode_name(o->tile_mode), o->tile, o->pad);
    return 0;
}

void vsr__tile_free(vsr_engine *e)
{
    for (int i = 0; i < e->n_tw; i++) {
        vsr_engine_free(&e->tw[i]);
        if (e->tw_pool[i])
            pthreadpool_destroy(e->tw_pool[i]);
    }
    free(e->tw), free(e->tw_pool);
    e->tw = NULL, e->tw_pool = NULL, e->n_tw = 0;
    free(e->win), free(e->tout);
    e->win = e->tout = NULL;
    e->win_cap = e->tout_cap = 0;
}

/* ---- filling a run's inputs --------------------------------------------- */

typedef struct in_task {
    vsr_tview v;
    const float *src;
    int y0, x0, w, in_w;
} in_task;

static void in_row(void *ctx, size_t y)
{
    const in_task *t = ctx;
    int c = t->v.c;
    vsr__store_f32(&t->v, y * (size_t)t->w * c, (size_t)t->w * c,
                   t->src + ((size_t)(t->y0 + (int)y) * t->in_w + t->x0) * c);
}

/* Copy the crop (y0, x0, h, w) of every whole-frame input of @p m into @p e's arena
 * (rows in parallel: INT8 quantizes every value). */
static void fill_inputs(vsr_engine *e, const vsr_engine *m, int y0, int x0, int h, int w)
{
    const vsr_graph *g = e->g;
    for (int k = 0; k < g->n_inputs; k++) {
        in_task t = {.v = vsr__tensor(e, g->inputs[k]),
                     .src = m->in_buf[k],
                     .y0 = y0,
                     .x0 = x0,
                     .w = w,
                     .in_w = m->in_w};
        vsr__parallel(e, in_row, &t, (size_t)h);
    }
}

/* Frame coordinate for a window coordinate @p i outside [0, n): -1 = the fill value. */
static int pad_index(int i, int n, vsr_tile_padding p)
{
    if (i >= 0 && i < n)
        return i;
    if (p == VSR_TPAD_REPLICATE)
        return i < 0 ? 0 : n - 1;
    if (p != VSR_TPAD_REFLECT)
        return -1;
    if (n == 1)
        return 0;
    int period = 2 * (n - 1), j = i % period;
    j = j < 0 ? j + period : j;
    return j < n ? j : period - j;
}

/* The window (y0, x0) of h x w (may reach outside the frame) of every input of
 * @p m, padded, into @p e's arena through e->win. */
static int fill_padded(vsr_engine *e, const vsr_engine *m, int y0, int x0, int h, int w,
                       vsr_error *err)
{
    const vsr_graph *g = e->g;
    const vsr_engine_options *o = &m->opt;
    int H = m->in_h, W = m->in_w;
    for (int k = 0; k < g->n_inputs; k++) {
        int c = g->nodes[g->inputs[k]].c;
        size_t need = (size_t)h * w * c;
        if (need > e->win_cap) {
            float *b = realloc(e->win, need * sizeof(float));
            if (!b)
                return vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
            e->win = b, e->win_cap = need;
        }
        float fill[VSR_PAD_MEAN_MAX] = {0};
        if (o->padding == VSR_TPAD_MEAN && k == 0)
            memcpy(fill, o->pad_mean, sizeof(fill));
        const float *src = m->in_buf[k];
        for (int y = 0; y < h; y++) {
            int sy = pad_index(y0 + y, H, o->padding);
            float *d = e->win + (size_t)y * w * c;
            for (int x = 0; x < w; x++, d += c) {
                int sx = sy < 0 ? -1 : pad_index(x0 + x, W, o->padding);
                if (sx < 0)
                    for (int ch = 0; ch < c; ch++)
                        d[ch] = ch < VSR_PAD_MEAN_MAX ? fill[ch] : 0.f;
                else
                    memcpy(d, src + ((size_t)sy * W + sx) * c, (size_t)c * sizeof(float));
            }
        }
        in_task t = {.v = vsr__tensor(e, g->inputs[k]), .src = e->win, .w = w, .in_w = w};
        vsr__parallel(e, in_row, &t, (size_t)h);
    }
    return 0;
}

/* ---- copying a run's outputs -------------------------------------------- */

typedef struct out_task {
    vsr_tview v;
    float *dst;
    int oy0, ox0, ow, Y0, X0, W;
} out_task;

static void out_row(void *ctx, size_t y)
{
    const out_task *o = ctx;
    int c = o->v.c;
    vsr__load_f32(&o->v, ((size_t)(o->oy0 + (int)y) * o->v.w + o->ox0) * c, (size_t)o->ow * c,
                  o->dst + ((size_t)(o->Y0 + (int)y) * o->W + o->X0) * c);
}

/* Copy rows/cols of @p e's output @p k (run-local oy0, ox0, size oh x ow) to (Y0, X0)
 * of @p dst, @p W pixels wide, rows in parallel (an SR frame is 2.8 M values). */
static void copy_out(vsr_engine *e, int k, float *dst, int W, int oy0, int ox0, int oh, int ow,
                     int Y0, int X0)
{
    /* an output can be a non-executed (fused) node: find its materialized tensor */
    int t = e->plan.dst[e->g->outputs[k].t];
    out_task o = {.v = vsr__tensor(e, t),
                  .dst = dst,
                  .oy0 = oy0,
                  .ox0 = ox0,
                  .ow = ow,
                  .Y0 = Y0,
                  .X0 = X0,
                  .W = W};
    vsr__parallel(e, out_row, &o, (size_t)oh);
}

/* ---- tiled runs --------------------------------------------------------- */

typedef struct tile_job {
    vsr_engine *m; /* the engine vsr_engine_run() was called on: inputs, outputs */
    vsr_tile_mode mode;
    int T, P, S, ntx, n;
    const int *sc; /* per output: its scale */
    float **wsum;  /* FEATHER: per output, the weight of every output pixel */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int threaded; /* mu / cv in use */
    int next;     /* the queue: the next window to take */
    int turn;     /* FEATHER: the window whose output is added next */
    int rc;       /* the first error (its message in err) */
    vsr_error err;
} tile_job;

/* FEATHER weight of output pixel u of a window L wide with overlaps r wide. */
static float feather(int u, int L, int r)
{
    if (r <= 0)
        return 1.f;
    float a = ((float)u + 0.5f) / (float)r, b = ((float)(L - u) - 0.5f) / (float)r;
    float w = a < b ? a : b;
    return w < 1.f ? w : 1.f;
}

/* Add window output e->tout of output k (window origin ry0, rx0 in input pixels). */
static void blend(tile_job *j, int k, const float *t, int ry0, int rx0)
{
    const vsr_engine *m = j->m;
    int s = j->sc[k], c = m->out_shape[3 * k + 2];
    int Ho = m->out_shape[3 * k], Wo = m->out_shape[3 * k + 1], L = j->T * s, r = 2 * j->P * s;
    float *acc = m->out_buf[k], *ws = j->wsum[k];
    for (int u = 0; u < L; u++) {
        int Y = ry0 * s + u;
        if (Y < 0 || Y >= Ho)
            continue;
        float wy = feather(u, L, r);
        for (int v = 0; v < L; v++) {
            int X = rx0 * s + v;
            if (X < 0 || X >= Wo)
                continue;
            float w = wy * feather(v, L, r);
            const float *p = t + ((size_t)u * L + v) * c;
            float *d = acc + ((size_t)Y * Wo + X) * c;
            for (int ch = 0; ch < c; ch++)
                d[ch] += w * p[ch];
            ws[(size_t)Y * Wo + X] += w;
        }
    }
}

/* First input pixel of the window around centre @p c0 on an axis of @p n pixels:
 * centre - P; in FIXED and FEATHER shifted to lie inside the frame when it is at
 * least T (an edge window then ends at the frame edge, as the whole-frame run). */
static int win_origin(int c0, int P, int T, int n, vsr_tile_mode mode)
{
    int o = c0 - P;
    if (mode == VSR_TILE_PADDED || n < T)
        return o;
    return o < 0 ? 0 : o > n - T ? n - T : o;
}

/* Run window @p idx of job e->job on engine @p e (inside its frame scheduler). */
static int run_tile(vsr_engine *e, vsr_error *err)
{
    tile_job *j = e->job;
    vsr_engine *m = j->m;
    const vsr_graph *g = e->g;
    int H = m->in_h, W = m->in_w, T = j->T, P = j->P, rc;
    int ty = e->job_tile / j->ntx, tx = e->job_tile % j->ntx;
    int step = j->mode == VSR_TILE_CLIP ? T : j->S;
    int cy0 = ty * step, cx0 = tx * step;
    int cy1 = cy0 + step < H ? cy0 + step : H, cx1 = cx0 + step < W ? cx0 + step : W;
    int ry0, rx0, rh, rw;
    if (j->mode == VSR_TILE_CLIP) {
        ry0 = cy0 - P > 0 ? cy0 - P : 0, rx0 = cx0 - P > 0 ? cx0 - P : 0;
        rh = (cy1 + P < H ? cy1 + P : H) - ry0, rw = (cx1 + P < W ? cx1 + P : W) - rx0;
    } else {
        ry0 = win_origin(cy0, P, T, H, j->mode), rx0 = win_origin(cx0, P, T, W, j->mode);
        rh = rw = T;
    }
    if ((rc = vsr__engine_plan(e, rh, rw, err)))
        return rc;
    if (j->mode == VSR_TILE_CLIP)
        fill_inputs(e, m, ry0, rx0, rh, rw);
    else if ((rc = fill_padded(e, m, ry0, rx0, rh, rw, err)))
        return rc;
    if ((rc = vsr__engine_run_once(e, rh, rw, err)))
        return rc;
    for (int k = 0; k < g->n_outputs; k++) {
        int s = j->sc[k];
        if (j->mode != VSR_TILE_FEATHER) {
            copy_out(e, k, m->out_buf[k], m->out_shape[3 * k + 1], (cy0 - ry0) * s,
                     (cx0 - rx0) * s, (cy1 - cy0) * s, (cx1 - cx0) * s, cy0 * s, cx0 * s);
            continue;
        }
        size_t need = (size_t)rh * s * rw * s * m->out_shape[3 * k + 2];
        if (need > e->tout_cap) {
            float *b = realloc(e->tout, need * sizeof(float));
            if (!b)
                return vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
            e->tout = b, e->tout_cap = need;
        }
        copy_out(e, k, e->tout, rw * s, 0, 0, rh * s, rw * s, 0, 0);
        /* add in window order, whichever worker ran the window */
        if (j->threaded) {
            pthread_mutex_lock(&j->mu);
            while (j->turn != e->job_tile && !j->rc)
                pthread_cond_wait(&j->cv, &j->mu);
            pthread_mutex_unlock(&j->mu);
            if (j->rc)
                return 0; /* another worker failed: its error is reported */
        }
        blend(j, k, e->tout, ry0, rx0);
    }
    if (j->mode == VSR_TILE_FEATHER && j->threaded) {
        pthread_mutex_lock(&j->mu);
        j->turn++;
        pthread_cond_broadcast(&j->cv);
        pthread_mutex_unlock(&j->mu);
    }
    return 0;
}

typedef struct worker_arg {
    tile_job *j;
    vsr_engine *e;
    int on_caller; /* worker 0: already inside the frame's scheduler */
} worker_arg;

static void fail(tile_job *j, int rc, const vsr_error *err)
{
    pthread_mutex_lock(&j->mu);
    if (!j->rc) {
        j->rc = rc;
        j->err = *err;
    }
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->mu);
}

static void *worker_main(void *p)
{
    worker_arg *a = p;
    tile_job *j = a->j;
    for (;;) {
        pthread_mutex_lock(&j->mu);
        int idx = j->rc ? j->n : j->next++;
        pthread_mutex_unlock(&j->mu);
        if (idx >= j->n)
            break;
        vsr_error err = {0};
        a->e->job = j;
        a->e->job_tile = idx;
        int rc = a->on_caller ? run_tile(a->e, &err) : vsr__sched_frame(a->e, run_tile, &err);
        a->e->job = NULL;
        if (rc) {
            fail(j, rc, &err);
            break;
        }
    }
    return NULL;
}

/* The tile_workers - 1 worker engines, created once. */
static int make_workers(vsr_engine *e, int n, vsr_error *err)
{
    if (e->n_tw >= n)
        return 0;
    vsr_engine **tw = realloc(e->tw, (size_t)n * sizeof(*tw));
    if (tw)
        e->tw = tw;
    pthreadpool_t *tp = realloc(e->tw_pool, (size_t)n * sizeof(*tp));
    if (tp)
        e->tw_pool = tp;
    if (!tw || !tp)
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", e->g->name);
    vsr_engine_options o = e->opt;
    o.tile_workers = 1;
    o.threads_auto = 0;
    o.profile = 0;
    while (e->n_tw < n) {
        int i = e->n_tw, rc;
        e->tw_pool[i] = NULL;
        e->tw[i] = NULL;
        if (e->pool_threads > 1 &&
            !(e->tw_pool[i] = pthreadpool_create((size_t)e->pool_threads)))
            return vsr_error_set(err, -ENOMEM, "%s: cannot create tile worker %d's pool",
                                 e->g->name, i + 1);
        if ((rc = vsr__engine_create_ex(e->g, e->create_prec, e->tw_pool[i], &o, e->no_fuse,
                                        &e->tw[i], err))) {
            if (e->tw_pool[i])
                pthreadpool_destroy(e->tw_pool[i]);
            return vsr_error_wrap(err, rc, "tile worker %d", i + 1);
        }
        e->n_tw++;
    }
    return 0;
}

static int run_windows(vsr_engine *e, tile_job *j, vsr_error *err)
{
    int nw = e->opt.tile_workers > 1 && !e->hook ? e->opt.tile_workers : 1;
    nw = nw < j->n ? nw : j->n;
    if (nw <= 1) {
        for (int i = 0; i < j->n; i++) {
            e->job = j;
            e->job_tile = i;
            int rc = run_tile(e, err);
            e->job = NULL;
            if (rc)
                return rc;
        }
        return 0;
    }
    int rc = make_workers(e, nw - 1, err);
    if (rc)
        return rc;
    if (pthread_mutex_init(&j->mu, NULL))
        return vsr_error_set(err, -EAGAIN, "%s: cannot create a mutex", e->g->name);
    if (pthread_cond_init(&j->cv, NULL)) {
        pthread_mutex_destroy(&j->mu);
        return vsr_error_set(err, -EAGAIN, "%s: cannot create a condition", e->g->name);
    }
    j->threaded = 1;
    worker_arg *args = calloc((size_t)nw, sizeof(*args));
    pthread_t *th = calloc((size_t)nw, sizeof(*th));
    int started = 1;
    if (!args || !th) {
        rc = vsr_error_set(err, -ENOMEM, "%s: out of memory", e->g->name);
    } else {
        for (int i = 0; i < nw; i++)
            args[i] = (worker_arg){.j = j, .e = i ? e->tw[i - 1] : e, .on_caller = i == 0};
        for (; started < nw; started++)
            if (pthread_create(&th[started], NULL, worker_main, &args[started]))
                break; /* fewer workers: the queue still empties */
        worker_main(&args[0]);
        for (int i = 1; i < started; i++)
            pthread_join(th[i], NULL);
        if (j->rc)
            rc = vsr_error_set(err, j->rc, "%s", j->err.msg);
    }
    free(args), free(th);
    pthread_cond_destroy(&j->cv);
    pthread_mutex_destroy(&j->mu);
    return rc;
}

int vsr__engine_run_tiled(vsr_engine *e, vsr_error *err)
{
    const vsr_graph *g = e->g;
    int H = e->in_h, W = e->in_w, rc;
    int n = g->n_nodes;
    int *shp = malloc((size_t)3 * n * sizeof(int));
    if (!shp)
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
    if ((rc = vsr__graph_infer(g, H, W, shp, err))) {
        free(shp);
        return rc;
    }
    for (int k = 0; k < g->n_outputs; k++) {
        int t = g->outputs[k].t;
        memcpy(&e->out_shape[3 * k], &shp[3 * t], 3 * sizeof(int));
        size_t need = (size_t)shp[3 * t] * shp[3 * t + 1] * shp[3 * t + 2];
        if (need > e->out_cap[k]) {
            float *b = realloc(e->out_buf[k], need * sizeof(float));
            if (!b) {
                free(shp);
                return vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
            }
            e->out_buf[k] = b;
            e->out_cap[k] = need;
        }
    }
    free(shp);
    int T = e->opt.tile, P = e->opt.pad;
    vsr_tile_mode mode = e->opt.tile_mode;
    if (T <= 0 || (mode == VSR_TILE_CLIP && T >= H && T >= W)) {
        if ((rc = vsr__engine_plan(e, H, W, err)))
            return rc;
        fill_inputs(e, e, 0, 0, H, W);
        /* a fused tail that produces exactly one graph output writes it as float
         * directly into that output's buffer (no arena tensor, no copy-out) */
        int direct = -1;
        if (e->tail.node >= 0) {
            int n_same = 0;
            for (int k = 0; k < g->n_outputs; k++)
                if (e->plan.dst[g->outputs[k].t] == e->plan.dst[e->tail.node])
                    n_same++, direct = k;
            if (n_same != 1)
                direct = -1;
        }
        e->tail.out = direct >= 0 ? e->out_buf[direct] : NULL;
        rc = vsr__engine_run_once(e, H, W, err);
        e->tail.out = NULL;
        if (rc)
            return rc;
        for (int k = 0; k < g->n_outputs; k++)
            if (k != direct)
                copy_out(e, k, e->out_buf[k], e->out_shape[3 * k + 1], 0, 0,
                         e->out_shape[3 * k], e->out_shape[3 * k + 1], 0, 0);
        return 0;
    }
    int *sc = malloc((size_t)g->n_outputs * sizeof(int));
    float **wsum = calloc((size_t)g->n_outputs, sizeof(float *));
    if (!sc || !wsum) {
        free(sc), free(wsum);
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
    }
    for (int k = 0; k < g->n_outputs && !rc; k++) {
        int oh = e->out_shape[3 * k], ow = e->out_shape[3 * k + 1];
        sc[k] = oh / H;
        if (oh != sc[k] * H || ow != sc[k] * W || sc[k] < 1)
            rc = vsr_error_set(err, -ENOTSUP,
                               "%s: output %s (%dx%d) is not an integer multiple of the "
                               "input %dx%d; run with tile 0",
                               g->name, g->outputs[k].name, oh, ow, H, W);
        else if (mode == VSR_TILE_FEATHER) {
            size_t px = (size_t)oh * ow;
            if (!(wsum[k] = calloc(px, sizeof(float))))
                rc = vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
            else
                memset(e->out_buf[k], 0, px * e->out_shape[3 * k + 2] * sizeof(float));
        }
    }
    if (!rc) {
        int step = mode == VSR_TILE_CLIP ? T : T - 2 * P;
        tile_job j = {
            .m = e, .mode = mode, .T = T, .P = P, .S = T - 2 * P, .sc = sc, .wsum = wsum};
        j.ntx = (W + step - 1) / step;
        j.n = j.ntx * ((H + step - 1) / step);
        rc = run_windows(e, &j, err);
    }
    for (int k = 0; k < g->n_outputs && !rc && mode == VSR_TILE_FEATHER; k++) {
        int c = e->out_shape[3 * k + 2];
        size_t px = (size_t)e->out_shape[3 * k] * e->out_shape[3 * k + 1];
        for (size_t p = 0; p < px; p++)
            for (int ch = 0; ch < c; ch++)
                e->out_buf[k][p * c + ch] /= wsum[k][p];
    }
    for (int k = 0; k < g->n_outputs; k++)
        free(wsum[k]);
    free(wsum), free(sc);
    return rc;
}

/* Bytes a tile of edge @p t needs: fixed + per_px * its clipped neighbourhood. */
static double tile_bytes(int t, int h, int w, int pad, double per_px, size_t fixed)
{
    double rh = t + 2.0 * pad < h ? t + 2.0 * pad : h;
    double rw = t + 2.0 * pad < w ? t + 2.0 * pad : w;
    return (double)fixed + per_px * rh * rw;
}

int vsr_tile_fit(size_t budget, int h, int w, int pad, double per_px, size_t fixed, int *tile)
{
    *tile = 0;
    if (h <= 0 || w <= 0 || pad < 0 || !(per_px >= 0))
        return -EINVAL;
    if ((double)fixed + per_px * (double)h * w <= (double)budget)
        return 0;
    int best = 0;
    int max = h > w ? h : w;
    /* the bytes grow with t, so a binary search over multiples of 8 */
    int lo = 1, hi = max / 8;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        if (tile_bytes(8 * mid, h, w, pad, per_px, fixed) <= (double)budget) {
            best = 8 * mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    if (!best)
        return -ENOMEM;
    *tile = best;
    return 0;
}
