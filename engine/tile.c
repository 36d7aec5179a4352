/*
 * Overlapped tiling: the input frame is cut into T x T tiles; each is run on
 * its T + 2P neighbourhood (clipped to the frame) and only its centre is
 * kept. Outputs must be an integer multiple s of the input size; the tile's
 * centre maps to an sT x sT block. T = 0 (or T >= the frame) runs the whole
 * frame once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"

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

/* Copy the crop (y0, x0, h, w) of every whole-frame input into the arena (rows in
 * parallel: INT8 quantizes every value). */
static void fill_inputs(vsr_engine *e, int y0, int x0, int h, int w)
{
    const vsr_graph *g = e->g;
    for (int k = 0; k < g->n_inputs; k++) {
        in_task t = {.v = vsr__tensor(e, g->inputs[k]),
                     .src = e->in_buf[k],
                     .y0 = y0,
                     .x0 = x0,
                     .w = w,
                     .in_w = e->in_w};
        vsr__parallel(e, in_row, &t, (size_t)h);
    }
}

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

/* Copy rows/cols of an output tile (tile-local oy0, ox0, size oh x ow) to (Y0, X0),
 * rows in parallel (an SR frame is 2.8 M values to convert). */
static int copy_out(vsr_engine *e, int k, int oy0, int ox0, int oh, int ow, int Y0, int X0)
{
    int t = e->plan.dst[e->g->outputs[k].t];
    /* an output can be a non-executed (fused) node: find its materialized tensor */
    out_task o = {.v = vsr__tensor(e, t),
                  .dst = e->out_buf[k],
                  .oy0 = oy0,
                  .ox0 = ox0,
                  .ow = ow,
                  .Y0 = Y0,
                  .X0 = X0,
                  .W = e->out_shape[3 * k + 1]};
    vsr__parallel(e, out_row, &o, (size_t)oh);
    return 0;
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
    if (T <= 0 || (T >= H && T >= W)) {
        if ((rc = vsr__engine_plan(e, H, W, err)))
            return rc;
        fill_inputs(e, 0, 0, H, W);
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
                copy_out(e, k, 0, 0, e->out_shape[3 * k], e->out_shape[3 * k + 1], 0, 0);
        return 0;
    }
    int *sc = malloc((size_t)g->n_outputs * sizeof(int));
    if (!sc)
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
    for (int k = 0; k < g->n_outputs; k++) {
        int oh = e->out_shape[3 * k], ow = e->out_shape[3 * k + 1];
        sc[k] = oh / H;
        if (oh != sc[k] * H || ow != sc[k] * W || sc[k] < 1) {
            free(sc);
            return vsr_error_set(err, -ENOTSUP,
                                 "%s: output %s (%dx%d) is not an integer multiple of the "
                                 "input %dx%d; run with tile 0",
                                 g->name, g->outputs[k].name, oh, ow, H, W);
        }
    }
    rc = 0;
    for (int ty = 0; ty < H && !rc; ty += T)
        for (int tx = 0; tx < W && !rc; tx += T) {
            int ty1 = ty + T < H ? ty + T : H, tx1 = tx + T < W ? tx + T : W;
            int ry0 = ty - P > 0 ? ty - P : 0, rx0 = tx - P > 0 ? tx - P : 0;
            int ry1 = ty1 + P < H ? ty1 + P : H, rx1 = tx1 + P < W ? tx1 + P : W;
            int rh = ry1 - ry0, rw = rx1 - rx0;
            if ((rc = vsr__engine_plan(e, rh, rw, err)))
                break;
            fill_inputs(e, ry0, rx0, rh, rw);
            if ((rc = vsr__engine_run_once(e, rh, rw, err)))
                break;
            for (int k = 0; k < g->n_outputs; k++) {
                int s = sc[k];
                copy_out(e, k, (ty - ry0) * s, (tx - rx0) * s, (ty1 - ty) * s, (tx1 - tx) * s,
                         ty * s, tx * s);
            }
        }
    free(sc);
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
