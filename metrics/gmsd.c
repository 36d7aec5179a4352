/*
 * GMSD, gradient magnitude similarity deviation (Xue, Zhang, Mou, Bovik
 * 2014; the authors' GMSD.m), as docs/METRICS.md defines it. Full
 * reference, lower is better, 0 for identical images.
 *
 *  1. Gray: MATLAB rgb2gray of the 8-bit RGB frame (0.298936021293775 R +
 *     0.587043074451121 G + 0.114020904255103 B in double, rounded half
 *     away from zero to 0..255); a gray frame is used as it is. The crop
 *     border is taken off the gray images (same pixels either way).
 *  2. Down-sample by 2: the mean of each 2x2 block at rows and columns
 *     0, 2, 4, ... (MATLAB conv2(Y, ones(2)/4, 'same') then Y(1:2:end,
 *     1:2:end)); an odd last row/column averages with zeros.
 *  3. Prewitt gradients with conv2 'same' (zero padding), dx = [1 0 -1] x 3
 *     rows / 3, dy = dx': Ix(i,j) = (sum_r Y(r,j+1) - Y(r,j-1)) / 3 over
 *     r = i-1..i+1 (conv2 flips the kernel; the sign does not matter for
 *     the magnitude), m = sqrt(Ix^2 + Iy^2).
 *  4. q = (2 m1 m2 + T) / (m1^2 + m2^2 + T), T = 170; GMSD = std2(q), the
 *     standard deviation with the N-1 normaliser.
 *
 * Precision: double throughout, like MATLAB. The down-sampled values are
 * multiples of 1/4 (exact), the gradient sums are exact before the
 * division by 3; the mean and the squared deviations are summed in double
 * per map row, then over rows in row order (two passes), so the bits do
 * not depend on the number of threads. Identical inputs give exactly 0:
 * the numerator and the denominator of q get the same bits (2 m m and
 * m m + m m are both twice the rounded m m).
 *
 * Scratch: the gray planes, the down-sampled planes, the map and the row
 * sums live in the instance's vsr_metrics_scratch, so repeated frames of
 * one size allocate nothing. Rows run on the pool.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>

#include "metrics_internal.h"

#define GMSD_T 170.0

typedef struct gmsd_priv {
    int crop_border;
    vsr_metrics_scratch scratch; /* owned: freed in gmsd_close */
} gmsd_priv;

enum { S_GRAY_A, S_GRAY_B, S_DS_A, S_DS_B, S_MAP, S_ROWS };

/* MATLAB rgb2gray (uint8 -> uint8) of rows y0 .. y0+n-1 of the cropped
 * region (w wide) into @p out (n rows of w, tight). */
static void to_gray(const vsr_frame *f, int crop, int w, int n, int y0, uint8_t *out)
{
    for (int y = 0; y < n; y++) {
        const uint8_t *s = vsr_frame_row(f, y0 + y + crop) + (ptrdiff_t)crop * f->channels;
        uint8_t *d = out + (size_t)y * w;
        if (f->channels == 1) {
            for (int x = 0; x < w; x++)
                d[x] = s[x];
            continue;
        }
        for (int x = 0; x < w; x++) {
            const uint8_t *p = s + 3 * (ptrdiff_t)x;
            const double v =
                0.298936021293775 * p[0] + 0.587043074451121 * p[1] + 0.114020904255103 * p[2];
            const double r = round(v); /* half away from zero */
            d[x] = (uint8_t)(r > 255.0 ? 255.0 : r);
        }
    }
}

/* One down-sampled row: the means of the 2x2 blocks at even columns of
 * gray rows @p g (and g + w when n == 2); samples past the edge are 0. */
static void down2(const uint8_t *g, int w, int n, double *out, int dw)
{
    const uint8_t *r0 = g, *r1 = n == 2 ? g + w : NULL;
    for (int j = 0; j < dw; j++) {
        const int x = 2 * j;
        int s = r0[x] + (x + 1 < w ? r0[x + 1] : 0);
        if (r1)
            s += r1[x] + (x + 1 < w ? r1[x + 1] : 0);
        out[j] = s / 4.0;
    }
}

/* Sample (i, j) of a dw x dh plane, 0 outside (conv2 zero padding). */
static inline double at(const double *p, int dw, int dh, int i, int j)
{
    return i < 0 || j < 0 || i >= dh || j >= dw ? 0.0 : p[(size_t)i * dw + j];
}

/* Prewitt gradient magnitude at (i, j), any position. */
static double grad_edge(const double *p, int dw, int dh, int i, int j)
{
    double gx = 0.0, gy = 0.0;
    for (int t = -1; t <= 1; t++) {
        gx += at(p, dw, dh, i + t, j + 1) - at(p, dw, dh, i + t, j - 1);
        gy += at(p, dw, dh, i + 1, j + t) - at(p, dw, dh, i - 1, j + t);
    }
    gx /= 3.0;
    gy /= 3.0;
    return sqrt(gx * gx + gy * gy);
}

/* The same at an interior position (1 <= i < dh-1, 1 <= j < dw-1): the
 * same operations in the same order, without the bounds checks. */
static inline double grad_in(const double *p, int dw, int i, int j)
{
    const double *u = p + (size_t)(i - 1) * dw + j, *c = u + dw, *d = c + dw;
    double gx = 0.0, gy = 0.0;
    gx += u[1] - u[-1];
    gy += d[-1] - u[-1];
    gx += c[1] - c[-1];
    gy += d[0] - u[0];
    gx += d[1] - d[-1];
    gy += d[1] - u[1];
    gx /= 3.0;
    gy /= 3.0;
    return sqrt(gx * gx + gy * gy);
}

static inline double sim(double m1, double m2)
{
    return (2.0 * m1 * m2 + GMSD_T) / (m1 * m1 + m2 * m2 + GMSD_T);
}

typedef struct gmsd_job {
    const vsr_frame *gt, *sr;
    int crop, w, h, dw, dh;
    uint8_t *ga, *gb;
    double *da, *db, *q, *rows;
    double mean;
} gmsd_job;

/* First pass, down-sampled row i: gray rows 2i and 2i+1 (when there is
 * one) of both images, then their 2x2 means. */
static void gray_row(void *ctx, size_t i)
{
    const gmsd_job *j = ctx;
    const int y0 = 2 * (int)i, n = y0 + 1 < j->h ? 2 : 1;
    for (int k = 0; k < 2; k++) {
        const vsr_frame *f = k ? j->sr : j->gt;
        uint8_t *g = (k ? j->gb : j->ga) + (size_t)y0 * j->w;
        double *d = (k ? j->db : j->da) + i * (size_t)j->dw;
        to_gray(f, j->crop, j->w, n, y0, g);
        down2(g, j->w, n, d, j->dw);
    }
}

/* Second pass, map row i from down-sampled rows i-1 .. i+1; its sum. */
static void map_row(void *ctx, size_t ii)
{
    const gmsd_job *j = ctx;
    const int i = (int)ii, dw = j->dw, dh = j->dh;
    double *q = j->q + ii * (size_t)dw, sum = 0.0;
    for (int x = 0; x < dw; x++) {
        double v;
        if (i == 0 || i == dh - 1 || x == 0 || x == dw - 1)
            v = sim(grad_edge(j->da, dw, dh, i, x), grad_edge(j->db, dw, dh, i, x));
        else
            v = sim(grad_in(j->da, dw, i, x), grad_in(j->db, dw, i, x));
        q[x] = v;
        sum += v;
    }
    j->rows[ii] = sum;
}

/* Third pass: squared deviations from the mean, per row. */
static void dev_row(void *ctx, size_t i)
{
    const gmsd_job *j = ctx;
    const double *q = j->q + i * (size_t)j->dw, mean = j->mean;
    double ss = 0.0;
    for (int x = 0; x < j->dw; x++)
        ss += (q[x] - mean) * (q[x] - mean);
    j->rows[i] = ss;
}

static int gmsd_init(void *priv, const vsr_metric_config *cfg, vsr_error *err)
{
    gmsd_priv *p = priv;
    if (cfg->crop_border < 0)
        return vsr_error_set(err, -EINVAL, "crop border %d is negative", cfg->crop_border);
    p->crop_border = cfg->crop_border;
    return 0;
}

static int gmsd_run(void *priv, const vsr_frame *gt, const vsr_frame *sr, pthreadpool_t pool,
                    double *score, vsr_error *err)
{
    gmsd_priv *p = priv;
    const int crop = p->crop_border;
    /* 3x3 leaves a 2x2 map: the smallest with a defined N-1 deviation */
    int rc = vsr_metrics_check_pair(gt, sr, crop, 3, 3, "gmsd", err);
    if (rc < 0)
        return rc;
    const int w = gt->width - 2 * crop, h = gt->height - 2 * crop;
    const int dw = (w + 1) / 2, dh = (h + 1) / 2;
    const size_t npx = (size_t)w * h, nds = (size_t)dw * dh;
    gmsd_job j = {.gt = gt, .sr = sr, .crop = crop, .w = w, .h = h, .dw = dw, .dh = dh};
    uint8_t *ga = vsr_metrics_scratch_get(&p->scratch, S_GRAY_A, npx);
    uint8_t *gb = vsr_metrics_scratch_get(&p->scratch, S_GRAY_B, npx);
    double *da = vsr_metrics_scratch_get(&p->scratch, S_DS_A, sizeof(double) * nds);
    double *db = vsr_metrics_scratch_get(&p->scratch, S_DS_B, sizeof(double) * nds);
    double *q = vsr_metrics_scratch_get(&p->scratch, S_MAP, sizeof(double) * nds);
    double *rows = vsr_metrics_scratch_get(&p->scratch, S_ROWS, sizeof(double) * (size_t)dh);
    if (!ga || !gb || !da || !db || !q || !rows)
        return vsr_error_set(err, -ENOMEM, "gmsd: out of memory for a %dx%d image", w, h);
    j.ga = ga, j.gb = gb, j.da = da, j.db = db, j.q = q, j.rows = rows;
    pthreadpool_parallelize_1d(pool, gray_row, &j, (size_t)dh, VSR_METRICS_POOL_FLAGS);
    pthreadpool_parallelize_1d(pool, map_row, &j, (size_t)dh, VSR_METRICS_POOL_FLAGS);
    double sum = 0.0;
    for (int i = 0; i < dh; i++)
        sum += rows[i];
    j.mean = sum / (double)nds;
    pthreadpool_parallelize_1d(pool, dev_row, &j, (size_t)dh, VSR_METRICS_POOL_FLAGS);
    double ss = 0.0;
    for (int i = 0; i < dh; i++)
        ss += rows[i];
    *score = sqrt(ss / (double)(nds - 1));
    return 0;
}

static void gmsd_close(void *priv)
{
    gmsd_priv *p = priv;
    vsr_metrics_scratch_free(&p->scratch);
}

const vsr_metric vsr_metric_gmsd = {
    .name = "gmsd",
    .unit = "",
    .needs_ref = 1,
    .higher_better = 0,
    .priv_size = sizeof(gmsd_priv),
    .init = gmsd_init,
    .run = gmsd_run,
    .close = gmsd_close,
};
