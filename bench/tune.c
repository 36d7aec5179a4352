/*
 * vsrbench tune, the pure part: the grid of settings and the Pareto /
 * recommendation marks (the measuring lives in cmd_tune.c).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "vsr/bench.h"
#include "vsr/engine.h"

int vsr_tune_grid(const int *tiles, int n_tiles, const int *pads, int n_pads,
                  const int *threads, int n_threads, vsr_runlog_tune_row **rows, int *n,
                  vsr_error *err)
{
    *rows = NULL;
    *n = 0;
    if (n_tiles < 1 || n_pads < 1 || n_threads < 1)
        return vsr_error_set(err, -EINVAL,
                             "tune: every axis needs a value (tiles %d, pads %d, "
                             "threads %d)",
                             n_tiles, n_pads, n_threads);
    for (int i = 0; i < n_tiles; i++)
        if (tiles[i] < 0)
            return vsr_error_set(err, -EINVAL, "tune: tile %d is negative", tiles[i]);
    for (int i = 0; i < n_pads; i++)
        if (pads[i] < 0)
            return vsr_error_set(err, -EINVAL, "tune: pad %d is negative", pads[i]);
    for (int i = 0; i < n_threads; i++)
        if (threads[i] < 1)
            return vsr_error_set(err, -EINVAL, "tune: threads %d is below 1", threads[i]);
    size_t cap = (size_t)n_tiles * (size_t)n_pads * (size_t)n_threads;
    vsr_runlog_tune_row *r = calloc(cap, sizeof(*r));
    if (!r)
        return vsr_error_set(err, -ENOMEM, "tune: out of memory for %zu settings", cap);
    int k = 0;
    for (int h = 0; h < n_threads; h++)
        for (int i = 0; i < n_tiles; i++)
            for (int j = 0; j < n_pads; j++) {
                int tile = tiles[i], pad = tile ? pads[j] : 0, dup = 0;
                for (int q = 0; q < k && !dup; q++)
                    dup = r[q].tile == tile && r[q].pad == pad && r[q].threads == threads[h];
                if (dup)
                    continue;
                r[k].tile = tile;
                r[k].pad = pad;
                r[k].threads = threads[h];
                k++;
            }
    *rows = r;
    *n = k;
    return 0;
}

int vsr_tune_grid_tiling(vsr_runlog_tune_row **rows, int *n, const int *modes, int n_modes,
                         const int *paddings, int n_paddings, const int *workers, int n_workers,
                         int *n_dropped, vsr_error *err)
{
    *n_dropped = 0;
    if (n_modes < 1 || n_paddings < 1 || n_workers < 1)
        return vsr_error_set(err, -EINVAL,
                             "tune: every axis needs a value (tile modes %d, paddings %d, "
                             "tile workers %d)",
                             n_modes, n_paddings, n_workers);
    for (int i = 0; i < n_modes; i++)
        if (modes[i] < VSR_TILE_CLIP || modes[i] > VSR_TILE_PADDED)
            return vsr_error_set(err, -EINVAL, "tune: unknown tile mode %d", modes[i]);
    for (int i = 0; i < n_paddings; i++)
        if (paddings[i] < VSR_TPAD_ZERO || paddings[i] > VSR_TPAD_REPLICATE)
            return vsr_error_set(err, -EINVAL, "tune: unknown padding %d", paddings[i]);
    for (int i = 0; i < n_workers; i++)
        if (workers[i] < 1)
            return vsr_error_set(err, -EINVAL, "tune: tile workers %d is below 1", workers[i]);
    size_t cap = (size_t)*n * n_modes * n_paddings * n_workers;
    vsr_runlog_tune_row *r = calloc(cap ? cap : 1, sizeof(*r));
    if (!r)
        return vsr_error_set(err, -ENOMEM, "tune: out of memory for %zu settings", cap);
    int k = 0;
    for (int b = 0; b < *n; b++)
        for (int m = 0; m < n_modes; m++)
            for (int p = 0; p < n_paddings; p++)
                for (int w = 0; w < n_workers; w++) {
                    vsr_runlog_tune_row x = (*rows)[b];
                    int tiled = x.tile > 0;
                    x.tile_mode = tiled ? modes[m] : VSR_TILE_CLIP;
                    x.padding = tiled && x.tile_mode != VSR_TILE_CLIP ? paddings[p] : 0;
                    x.tile_workers = tiled ? workers[w] : 1;
                    if (x.tile_mode != VSR_TILE_CLIP && x.tile <= 2 * x.pad) {
                        if (p == 0 && w == 0)
                            ++*n_dropped;
                        continue;
                    }
                    int dup = 0;
                    for (int q = 0; q < k && !dup; q++)
                        dup = r[q].tile == x.tile && r[q].pad == x.pad &&
                              r[q].threads == x.threads && r[q].tile_mode == x.tile_mode &&
                              r[q].padding == x.padding && r[q].tile_workers == x.tile_workers;
                    if (!dup)
                        r[k++] = x;
                }
    if (!k) {
        free(r);
        return vsr_error_set(err, -EINVAL,
                             "tune: no setting left: every fixed / padded / feather tile keeps "
                             "no centre (use tiles above twice the pad)");
    }
    free(*rows);
    *rows = r;
    *n = k;
    return 0;
}

double vsr_tune_loss(const vsr_runlog_tune_row *row)
{
    if (row->identical)
        return 0.0;
    if (isnan(row->psnr_delta))
        return INFINITY;
    return fabs(row->psnr_delta);
}

int vsr_tune_mark(vsr_runlog_tune_row *rows, int n, double tolerance_db)
{
    /* noisy rows take no part, unless every row is noisy (then the pick rests on
     * noisy rows, which the caller sees in rows[pick].noisy) */
    int clean = 0;
    for (int i = 0; i < n; i++)
        clean += !rows[i].noisy;
    int use_all = clean == 0;
#define USED(k) (use_all || !rows[k].noisy)
    for (int i = 0; i < n; i++) {
        rows[i].recommended = 0;
        rows[i].pareto = 0;
        if (!USED(i))
            continue;
        double li = vsr_tune_loss(&rows[i]);
        int dominated = 0;
        for (int j = 0; j < n && !dominated; j++) {
            if (j == i || !USED(j))
                continue;
            double lj = vsr_tune_loss(&rows[j]);
            dominated =
                rows[j].ms <= rows[i].ms && lj <= li && (rows[j].ms < rows[i].ms || lj < li);
        }
        rows[i].pareto = !dominated;
    }
    int best = -1;
    for (int i = 0; i < n; i++) {
        double li = vsr_tune_loss(&rows[i]);
        if (!USED(i) || !(li <= tolerance_db))
            continue;
        if (best < 0) {
            best = i;
            continue;
        }
        double lb = vsr_tune_loss(&rows[best]);
        if (rows[i].ms < rows[best].ms ||
            (rows[i].ms == rows[best].ms &&
             (li < lb || (li == lb && rows[i].threads < rows[best].threads))))
            best = i;
    }
#undef USED
    if (best >= 0)
        rows[best].recommended = 1;
    return best;
}
