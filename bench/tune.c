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

int vsr_tune_int8_symmetric(struct vsr_graph *g, vsr_error *err)
{
    int n = 0;
    for (int t = 0;; t++) {
        float s;
        int zp, rc = vsr_graph_get_quant(g, t, &s, &zp, NULL);
        if (rc == -ENOENT)
            continue; /* no parameters (yet): nothing to make symmetric */
        if (rc)
            break; /* past the last tensor */
        if (zp == 0)
            continue; /* symmetric already (kept, so that a second call changes nothing) */
        /* the range the asymmetric parameters cover, q in [-128, 127] */
        double lo = (double)s * (-128 - zp), hi = (double)s * (127 - zp);
        double m = fmax(fabs(lo), fabs(hi));
        if ((rc = vsr_graph_set_quant(g, t, (float)(m / 127.0), 0, err)))
            return rc;
        n++;
    }
    return n;
}
