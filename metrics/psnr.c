/*
 * PSNR (BasicSR calculate_psnr): MSE pooled over all samples of all
 * channels, peak 255 (also on Y), +inf for identical inputs.
 *
 * Precision:
 *  - 8-bit inputs: squared differences are summed in integers, exactly
 *    (int32 per chunk of at most 16384 samples: 16384 * 255^2 < 2^31, then
 *    int64 per row and in total). The MSE is that exact integer divided by
 *    the sample count in double, so the result equals the float64 reference
 *    to the last bit of the log10.
 *  - Y planes (float32 values): the difference of two float32 values is
 *    exact in double, its square too (48 significant bits); the sum is in
 *    double per row (eight interleaved partial sums), then over rows in
 *    row order (relative error below rows * 1e-16, far below the 1e-4 dB
 *    target), and it does not depend on the number of threads.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "metrics_internal.h"

/* Scratch slots (vsr_metrics_scratch) of a PSNR computation. */
enum { S_Y_A, S_Y_B, S_ROWS };

typedef struct sse_job {
    const vsr_plane *a;
    const vsr_plane *b;
    double *row_f;  /* per-row sums (float planes) */
    int64_t *row_i; /* per-row sums (8-bit planes) */
} sse_job;

static int64_t sse_u8(const uint8_t *restrict a, const uint8_t *restrict b, int n)
{
    int64_t total = 0;
    for (int x0 = 0; x0 < n; x0 += 16384) {
        const int x1 = n - x0 < 16384 ? n : x0 + 16384;
        int32_t acc = 0; /* vectorizes to widening multiply-adds */
        for (int x = x0; x < x1; x++) {
            const int32_t d = (int32_t)a[x] - (int32_t)b[x];
            acc += d * d;
        }
        total += acc;
    }
    return total;
}

/* Eight interleaved double sums in a fixed order: vectorizes, same bits on
 * every ISA (each term is exact, see the top of the file). */
VSR_MULTIVERSION
static double sse_f32(const float *restrict a, const float *restrict b, int n)
{
    double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int x = 0;
    for (; x + 8 <= n; x += 8)
        for (int i = 0; i < 8; i++) {
            const double d = (double)a[x + i] - (double)b[x + i];
            acc[i] += d * d;
        }
    for (; x < n; x++) {
        const double d = (double)a[x] - (double)b[x];
        acc[x % 8] += d * d;
    }
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

static void sse_row(void *ctx, size_t y)
{
    const sse_job *j = ctx;
    const vsr_plane *a = j->a, *b = j->b;
    if (a->u8) {
        /* step 1 planes only (the caller passes whole interleaved rows) */
        j->row_i[y] = sse_u8(a->u8 + (ptrdiff_t)y * a->stride, b->u8 + (ptrdiff_t)y * b->stride,
                             a->width);
        return;
    }
    j->row_f[y] =
        sse_f32(a->f32 + (ptrdiff_t)y * a->stride, b->f32 + (ptrdiff_t)y * b->stride, a->width);
}

/*
 * Sum of squared differences of two planes (u8 with step 1, or f32); the
 * row sums live in @p s (slot S_ROWS). Returns -1 when out of memory.
 */
double vsr_metrics_sse_planes(const vsr_plane *a, const vsr_plane *b, pthreadpool_t pool,
                              vsr_metrics_scratch *scr)
{
    const size_t h = (size_t)a->height;
    sse_job j = {a, b, NULL, NULL};
    double total = -1.0;
    void *rows = vsr_metrics_scratch_get(scr, S_ROWS, h * 8); /* int64_t or double */
    if (!rows)
        return -1.0;
    if (a->u8)
        j.row_i = rows;
    else
        j.row_f = rows;
    pthreadpool_parallelize_1d(pool, sse_row, &j, h, VSR_METRICS_POOL_FLAGS);
    if (a->u8) {
        int64_t s = 0;
        for (size_t y = 0; y < h; y++)
            s += j.row_i[y];
        total = (double)s; /* exact below 2^53 (any frame up to ~1.3e11 samples) */
    } else {
        total = 0.0;
        for (size_t y = 0; y < h; y++)
            total += j.row_f[y];
    }
    return total;
}

static double psnr_from_mse(double mse)
{
    if (mse == 0.0)
        return INFINITY;
    return 10.0 * log10(255.0 * 255.0 / mse);
}

int vsr_metrics_psnr_s(const vsr_frame *gt, const vsr_frame *sr, int crop_border, int y_channel,
                       pthreadpool_t pool, vsr_metrics_scratch *scr, double *psnr,
                       vsr_error *err)
{
    int rc = vsr_metrics_check_pair(gt, sr, crop_border, 1, 1, "psnr", err);
    if (rc < 0)
        return rc;
    const int w = gt->width - 2 * crop_border, h = gt->height - 2 * crop_border;
    double sse, n;
    if (y_channel) {
        float *ya = vsr_metrics_scratch_get(scr, S_Y_A, sizeof(float) * (size_t)w * (size_t)h);
        float *yb = vsr_metrics_scratch_get(scr, S_Y_B, sizeof(float) * (size_t)w * (size_t)h);
        if (!ya || !yb)
            return vsr_error_set(err, -ENOMEM, "psnr: out of memory for a %dx%d Y plane", w, h);
        vsr_metrics_to_y(gt, crop_border, ya, pool);
        vsr_metrics_to_y(sr, crop_border, yb, pool);
        vsr_plane pa = {.f32 = ya, .step = 1, .stride = w, .width = w, .height = h};
        vsr_plane pb = {.f32 = yb, .step = 1, .stride = w, .width = w, .height = h};
        sse = vsr_metrics_sse_planes(&pa, &pb, pool, scr);
        n = (double)w * h;
    } else {
        /* All channels pooled: treat each interleaved row as one plane row. */
        const int c = gt->channels;
        vsr_plane pa = {.u8 = vsr_frame_row(gt, crop_border) + (ptrdiff_t)crop_border * c,
                        .step = 1,
                        .stride = gt->stride,
                        .width = w * c,
                        .height = h};
        vsr_plane pb = pa;
        pb.u8 = vsr_frame_row(sr, crop_border) + (ptrdiff_t)crop_border * c;
        pb.stride = sr->stride;
        sse = vsr_metrics_sse_planes(&pa, &pb, pool, scr);
        n = (double)w * h * c;
    }
    if (sse < 0)
        return vsr_error_set(err, -ENOMEM, "psnr: out of memory for %d row sums", h);
    *psnr = psnr_from_mse(sse / n);
    return 0;
}

int vsr_metrics_psnr(const vsr_frame *gt, const vsr_frame *sr, int crop_border, int y_channel,
                     pthreadpool_t pool, double *psnr, vsr_error *err)
{
    vsr_metrics_scratch s = {0};
    const int rc = vsr_metrics_psnr_s(gt, sr, crop_border, y_channel, pool, &s, psnr, err);
    vsr_metrics_scratch_free(&s);
    return rc;
}
