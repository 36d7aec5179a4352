/*
 * SSIM (Wang et al. 2004, ssim_index.m / BasicSR _ssim): 11x11 Gaussian
 * window (sigma 1.5, outer product of the normalised 1-D kernel =
 * cv2.getGaussianKernel(11, 1.5)), 'valid' filtering, C1 = (0.01*255)^2,
 * C2 = (0.03*255)^2, mean of the map per channel, then mean over channels.
 *
 * Algorithm. The 2-D window is separable, so each map is a horizontal 11-tap
 * pass (symmetric: 6 multiplies) then a vertical one. Only four filtered
 * maps are needed, not five: mu_x = w*x, mu_y = w*y, w*(x^2 + y^2) and
 * w*(xy), because the map only uses s_xx + s_yy (= w*(x^2+y^2) - mu_x^2 -
 * mu_y^2) and s_xy. Rows are streamed through a ring of 11 horizontally
 * filtered rows; the image is cut into horizontal stripes, one task each
 * on the thread pool (each stripe re-filters the 10 rows of its halo).
 * Per-output-row sums are kept and added in row order, so the result does
 * not depend on the thread count.
 *
 * Precision: everything in double. The moments are up to 2*255^2 = 130050
 * and the local variances are small differences of them (catastrophic
 * cancellation in flat areas), which float32 cannot hold to the 1e-5 SSIM
 * target: an absolute error e in s_xx + s_yy moves the map by up to
 * e / C2 = e / 58.5, and float32 gives e ~ 130050 * 22 * 6e-8 ~ 0.17 in the
 * worst case (3e-3 in SSIM). In double the same bound is
 * 130050 * 22 * 1.1e-16 ~ 3e-10, i.e. ~5e-12 in the map: the reference
 * (float64 cv2.filter2D) is matched to about 1e-11. Inputs (8-bit values or
 * float32 Y) and their products are exact in double.
 * Identical inputs give exactly 1: x^2 + y^2 = 2 x^2 and xy = x^2 are then
 * filtered identically up to an exact factor 2, so numerator and
 * denominator are bit-identical.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics_internal.h"

#define WIN 11
#define HALF 5

/* cv2.getGaussianKernel(11, 1.5): exp(-(i-5)^2 / (2*1.5^2)), normalised. */
static void gauss11(double g[WIN])
{
    double sum = 0.0;
    for (int i = 0; i < WIN; i++) {
        const double d = i - HALF;
        g[i] = exp(-d * d / (2.0 * 1.5 * 1.5));
        sum += g[i];
    }
    for (int i = 0; i < WIN; i++)
        g[i] /= sum;
}

/*
 * Horizontal pass of the four maps for one input row: in0 = x, in1 = y
 * (w doubles each); out = 4 rows of ow = w - 10 doubles (mx, my, sq, xy).
 * tmp holds 2 rows of w doubles for x^2 + y^2 and x*y.
 */
VSR_MULTIVERSION
static void hpass(const double *restrict x, const double *restrict y, double *restrict sq,
                  double *restrict xy, int w, const double *restrict g, double *restrict o_mx,
                  double *restrict o_my, double *restrict o_sq, double *restrict o_xy)
{
    for (int i = 0; i < w; i++) {
        sq[i] = x[i] * x[i] + y[i] * y[i];
        xy[i] = x[i] * y[i];
    }
    const double g0 = g[0], g1 = g[1], g2 = g[2], g3 = g[3], g4 = g[4], g5 = g[5];
    const int ow = w - 2 * HALF;
#define HTAP(in, k)                                                                            \
    (g5 * in[k + 5] + g4 * (in[k + 4] + in[k + 6]) + g3 * (in[k + 3] + in[k + 7]) +            \
     g2 * (in[k + 2] + in[k + 8]) + g1 * (in[k + 1] + in[k + 9]) + g0 * (in[k] + in[k + 10]))
    for (int k = 0; k < ow; k++)
        o_mx[k] = HTAP(x, k);
    for (int k = 0; k < ow; k++)
        o_my[k] = HTAP(y, k);
    for (int k = 0; k < ow; k++)
        o_sq[k] = HTAP(sq, k);
    for (int k = 0; k < ow; k++)
        o_xy[k] = HTAP(xy, k);
#undef HTAP
}

/* vsr_plane_row_f64 with the common strides spelled out, so that each clone
 * vectorizes the widening loads (a stride-3 byte gather otherwise runs
 * scalar and costs a fifth of the SSIM time). */
VSR_MULTIVERSION
static void load_row(const vsr_plane *p, int y, int x0, int n, double *restrict out)
{
    if (p->f32) {
        const float *restrict s = p->f32 + (ptrdiff_t)y * p->stride + x0;
        for (int x = 0; x < n; x++)
            out[x] = (double)s[x];
        return;
    }
    const uint8_t *restrict s = p->u8 + (ptrdiff_t)y * p->stride + (ptrdiff_t)x0 * p->step;
    if (p->step == 3) {
        for (int x = 0; x < n; x++)
            out[x] = (double)s[3 * x];
    } else if (p->step == 1) {
        for (int x = 0; x < n; x++)
            out[x] = (double)s[x];
    } else {
        vsr_plane_row_f64(p, y, x0, n, out);
    }
}

/* The SSIM map of one output row from its four filtered maps, summed. */
static inline double map_sum(const double *restrict mx, const double *restrict my,
                             const double *restrict sq, const double *restrict xy, int ow,
                             double *restrict map)
{
    const double c1 = (0.01 * 255.0) * (0.01 * 255.0);
    const double c2 = (0.03 * 255.0) * (0.03 * 255.0);
    for (int k = 0; k < ow; k++) {
        const double mxy = mx[k] * my[k];
        const double mm = mx[k] * mx[k] + my[k] * my[k];
        const double num = (2.0 * mxy + c1) * (2.0 * (xy[k] - mxy) + c2);
        const double den = (mm + c1) * ((sq[k] - mm) + c2);
        map[k] = num / den;
    }
    /* Eight interleaved partial sums, added in a fixed order: vectorizes (a
     * plain running sum cannot be reordered by the compiler) and gives the
     * same bits on every ISA. */
    double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int k = 0;
    for (; k + 8 <= ow; k += 8)
        for (int i = 0; i < 8; i++)
            acc[i] += map[k + i];
    for (; k < ow; k++)
        acc[k % 8] += map[k];
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

/* 11-tap symmetric vertical filter of rows a[s .. s+10] at column k. */
#define VTAP(a, s, k)                                                                          \
    (g5 * a[(s) + 5][k] + g4 * (a[(s) + 4][k] + a[(s) + 6][k]) +                               \
     g3 * (a[(s) + 3][k] + a[(s) + 7][k]) + g2 * (a[(s) + 2][k] + a[(s) + 8][k]) +             \
     g1 * (a[(s) + 1][k] + a[(s) + 9][k]) + g0 * (a[(s) + 0][k] + a[(s) + 10][k]))

/*
 * Vertical pass and the SSIM map for @p nout (1 or 2) consecutive output
 * rows. r[t][m] is horizontally filtered row t (0 .. 9 + nout) of map m.
 * Two rows at once share 10 of their 11 input rows, so each loaded value
 * feeds both (the pass is load bound); both use the same expression as a
 * single row, so the bits do not depend on the pairing. sums[i] receives
 * the map sum of output row i; tmp holds 9 rows of ow doubles.
 */
VSR_MULTIVERSION
static void vpass(const double *const r[WIN + 1][4], const double *restrict g, int ow, int nout,
                  double *restrict tmp, double *sums)
{
    const double g0 = g[0], g1 = g[1], g2 = g[2], g3 = g[3], g4 = g[4], g5 = g[5];
    for (int m = 0; m < 4; m++) {
        const double *restrict a[WIN + 1];
        for (int t = 0; t < WIN + 1; t++)
            a[t] = r[t][m]; /* a[11] is only read when nout == 2 */
        double *restrict d0 = tmp + (size_t)m * ow;
        double *restrict d1 = tmp + (size_t)(4 + m) * ow;
        if (nout == 2) {
            for (int k = 0; k < ow; k++) {
                d0[k] = VTAP(a, 0, k);
                d1[k] = VTAP(a, 1, k);
            }
        } else {
            for (int k = 0; k < ow; k++)
                d0[k] = VTAP(a, 0, k);
        }
    }
    for (int i = 0; i < nout; i++) {
        const double *b = tmp + 4 * (size_t)i * ow;
        sums[i] = map_sum(b, b + ow, b + 2 * (size_t)ow, b + 3 * (size_t)ow, ow,
                          tmp + 8 * (size_t)ow);
    }
}

typedef struct ssim_job {
    const vsr_plane *a;
    const vsr_plane *b;
    int nplanes;
    int w, h, ow, oh;
    int nstripes;
    double g[WIN];
    double *scratch; /* nstripes * per_stripe doubles */
    size_t per_stripe;
    double *row_sums; /* nplanes * oh */
} ssim_job;

/*
 * Column tiles of TW output columns keep the ring (12 rows x 4 maps x TW
 * doubles = 24 KB for TW 64) in L1; without tiling the vertical pass
 * streams 11 x 4 rows from L2 for every output row and is bandwidth bound.
 * Each tile re-filters its 10-column halo horizontally (8% more work).
 * Output rows are made in pairs (r0, r0+1), (r0+2, r0+3), ...: the ring
 * keeps the 12 input rows a pair needs.
 */
#ifndef TW
#define TW 64
#endif
#define RING (WIN + 1)

static void ssim_stripe(void *ctx, size_t s)
{
    const ssim_job *j = ctx;
    const int r0 = (int)((size_t)j->oh * s / (size_t)j->nstripes);
    const int r1 = (int)((size_t)j->oh * (s + 1) / (size_t)j->nstripes);
    double *base = j->scratch + s * j->per_stripe;
    double *ring = base;                       /* RING * 4 * TW */
    double *xr = ring + (size_t)RING * 4 * TW; /* TW + 10 */
    double *yr = xr + TW + 2 * HALF, *sq = yr + TW + 2 * HALF, *xy = sq + TW + 2 * HALF;
    double *tmp = xy + TW + 2 * HALF; /* 9 * TW */
    for (int p = 0; p < j->nplanes; p++) {
        const vsr_plane *pa = &j->a[p], *pb = &j->b[p];
        double *sums = j->row_sums + (size_t)p * j->oh;
        for (int r = r0; r < r1; r++)
            sums[r] = 0.0;
        for (int c0 = 0; c0 < j->ow; c0 += TW) {
            const int tw = j->ow - c0 < TW ? j->ow - c0 : TW;
            for (int in = r0; in < r1 + 2 * HALF; in++) {
                double *slot = ring + (size_t)(in % RING) * 4 * TW;
                load_row(pa, in, c0, tw + 2 * HALF, xr);
                load_row(pb, in, c0, tw + 2 * HALF, yr);
                hpass(xr, yr, sq, xy, tw + 2 * HALF, j->g, slot, slot + TW, slot + 2 * TW,
                      slot + 3 * TW);
                const int out = in - 2 * HALF; /* complete once its last input row is in */
                if (out < r0)
                    continue;
                int first, nout;
                if ((out - r0) % 2 == 1) {
                    first = out - 1; /* the second row of a pair: make both */
                    nout = 2;
                } else if (out == r1 - 1) {
                    first = out; /* a last unpaired row */
                    nout = 1;
                } else {
                    continue;
                }
                const double *rows[RING][4];
                for (int t = 0; t < RING; t++)
                    for (int m = 0; m < 4; m++)
                        rows[t][m] = ring + ((size_t)((first + t) % RING) * 4 + m) * TW;
                double rs[2];
                vpass(rows, j->g, tw, nout, tmp, rs);
                for (int i = 0; i < nout; i++)
                    sums[first + i] += rs[i];
            }
        }
    }
}

int vsr_metrics_ssim_planes(const vsr_plane *a, const vsr_plane *b, int nplanes,
                            pthreadpool_t pool, double *ssim, vsr_error *err)
{
    ssim_job j = {.a = a, .b = b, .nplanes = nplanes, .w = a[0].width, .h = a[0].height};
    j.ow = j.w - 2 * HALF;
    j.oh = j.h - 2 * HALF;
    if (j.ow <= 0 || j.oh <= 0)
        return vsr_error_set(err, -EINVAL,
                             "ssim: %dx%d (after crop) is smaller than the 11x11 window", j.w,
                             j.h);
    gauss11(j.g);
    const size_t threads = vsr_metrics_threads(pool);
    j.nstripes = threads > 1 ? (int)(threads * 2) : 1;
    if (j.nstripes > j.oh)
        j.nstripes = j.oh;
    j.per_stripe = (size_t)RING * 4 * TW + 4 * (size_t)(TW + 2 * HALF) + 9 * (size_t)TW;
    j.scratch = malloc(sizeof(double) * j.per_stripe * (size_t)j.nstripes);
    j.row_sums = malloc(sizeof(double) * (size_t)nplanes * (size_t)j.oh);
    if (!j.scratch || !j.row_sums) {
        free(j.scratch);
        free(j.row_sums);
        return vsr_error_set(err, -ENOMEM, "ssim: out of memory for %d stripes of %d columns",
                             j.nstripes, j.w);
    }
    pthreadpool_parallelize_1d(pool, ssim_stripe, &j, (size_t)j.nstripes, 0);
    double total = 0.0;
    for (int p = 0; p < nplanes; p++) {
        double s = 0.0;
        for (int r = 0; r < j.oh; r++)
            s += j.row_sums[(size_t)p * j.oh + r];
        total += s / ((double)j.ow * j.oh);
    }
    *ssim = total / nplanes;
    free(j.scratch);
    free(j.row_sums);
    return 0;
}

int vsr_metrics_ssim(const vsr_frame *gt, const vsr_frame *sr, int crop_border, int y_channel,
                     pthreadpool_t pool, double *ssim, vsr_error *err)
{
    int rc = vsr_metrics_check_pair(gt, sr, crop_border, WIN, WIN, "ssim", err);
    if (rc < 0)
        return rc;
    const int w = gt->width - 2 * crop_border, h = gt->height - 2 * crop_border;
    if (!y_channel) {
        vsr_plane pa[3], pb[3];
        const int n = vsr_metrics_planes(gt, crop_border, pa);
        vsr_metrics_planes(sr, crop_border, pb);
        return vsr_metrics_ssim_planes(pa, pb, n, pool, ssim, err);
    }
    float *ya = malloc(sizeof(float) * (size_t)w * (size_t)h);
    float *yb = malloc(sizeof(float) * (size_t)w * (size_t)h);
    if (!ya || !yb) {
        rc = vsr_error_set(err, -ENOMEM, "ssim: out of memory for a %dx%d Y plane", w, h);
        goto done;
    }
    vsr_metrics_to_y(gt, crop_border, ya, pool);
    vsr_metrics_to_y(sr, crop_border, yb, pool);
    vsr_plane pa = {.f32 = ya, .step = 1, .stride = w, .width = w, .height = h};
    vsr_plane pb = {.f32 = yb, .step = 1, .stride = w, .width = w, .height = h};
    rc = vsr_metrics_ssim_planes(&pa, &pb, 1, pool, ssim, err);
done:
    free(ya);
    free(yb);
    return rc;
}
