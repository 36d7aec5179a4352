/* Internals of the metrics part: plane views, Y conversion, shared checks. */
#ifndef VSR_METRICS_INTERNAL_H
#define VSR_METRICS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <pthreadpool.h>

#include "vsr/core.h"
#include "vsr/metrics.h"

/*
 * pthreadpool flags of every metric's parallel loop. Metrics run once per
 * frame between timed inferences, in a handful of large loops: their workers
 * sleep right after each loop (yield) instead of spinning for milliseconds
 * against the next timed inference or another process (see vsr_wait_policy
 * in vsr/engine.h and docs/PERFORMANCE.md). A constant, not a setting.
 */
#define VSR_METRICS_POOL_FLAGS PTHREADPOOL_FLAG_YIELD_WORKERS

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) &&                         \
    !defined(__SANITIZE_ADDRESS__)
/* Hot loops are compiled for the baseline, AVX2 and AVX-512 and picked at
 * load time (ifunc); they are written to auto-vectorize over columns. */
#define VSR_MULTIVERSION __attribute__((target_clones("default", "avx2", "avx512f")))
#else
#define VSR_MULTIVERSION
#endif

/*
 * One channel of an image: either 8-bit samples (u8, @c step bytes between
 * horizontally adjacent samples, e.g. 3 for one channel of RGB24) or a
 * float plane (f32, step 1). @c stride is in elements of the sample type.
 */
typedef struct vsr_plane {
    const uint8_t *u8;
    const float *f32;
    int step;
    ptrdiff_t stride;
    int width;
    int height;
} vsr_plane;

/* Load row y (columns x0 .. x0+n-1) of @p p as doubles into @p out. */
static inline void vsr_plane_row_f64(const vsr_plane *p, int y, int x0, int n, double *out)
{
    if (p->u8) {
        const uint8_t *s = p->u8 + (ptrdiff_t)y * p->stride + (ptrdiff_t)x0 * p->step;
        const int step = p->step;
        for (int x = 0; x < n; x++)
            out[x] = (double)s[(ptrdiff_t)x * step];
    } else {
        const float *s = p->f32 + (ptrdiff_t)y * p->stride + x0;
        for (int x = 0; x < n; x++)
            out[x] = (double)s[x];
    }
}

/*
 * Reusable scratch memory of one metric instance: a few numbered buffers
 * that grow to the largest request and are kept until
 * vsr_metrics_scratch_free(). Page faults on fresh multi-MB buffers cost
 * more than some metrics themselves (~13 us per 4 KB page), so a registry
 * instance keeps one of these in its priv (registry.c, gmsd.c): repeated
 * calls on same-size frames allocate nothing. Whoever holds the struct
 * frees it; it is used by one call at a time (not shared between threads).
 * A zeroed struct is empty. The contents of a buffer are undefined on
 * return from get (never rely on zeroes or on a previous call's data).
 */
#define VSR_METRICS_SCRATCH_SLOTS 8
typedef struct vsr_metrics_scratch {
    void *buf[VSR_METRICS_SCRATCH_SLOTS];
    size_t size[VSR_METRICS_SCRATCH_SLOTS];
    unsigned long allocs; /* number of mallocs so far (tests check reuse with it) */
} vsr_metrics_scratch;

/* At least @p bytes in buffer @p slot (0 .. VSR_METRICS_SCRATCH_SLOTS-1),
 * owned by @p s; NULL when out of memory. Earlier pointers of the same slot
 * are invalid after a call that grows it. */
void *vsr_metrics_scratch_get(vsr_metrics_scratch *s, int slot, size_t bytes);
/* Free every buffer and zero @p s. NULL-safe. */
void vsr_metrics_scratch_free(vsr_metrics_scratch *s);

/*
 * vsr_metrics_psnr / _ssim / _niqe with their buffers in @p scr (borrowed;
 * the caller keeps and frees it): same results, bit for bit. The public
 * functions call these with a scratch of their own that they free.
 */
int vsr_metrics_psnr_s(const vsr_frame *gt, const vsr_frame *sr, int crop_border, int y_channel,
                       pthreadpool_t pool, vsr_metrics_scratch *scr, double *psnr,
                       vsr_error *err);
int vsr_metrics_ssim_s(const vsr_frame *gt, const vsr_frame *sr, int crop_border, int y_channel,
                       pthreadpool_t pool, vsr_metrics_scratch *scr, double *ssim,
                       vsr_error *err);
int vsr_metrics_niqe_s(const vsr_frame *img, const vsr_metrics_niqe_model *model,
                       int crop_border, enum vsr_niqe_convert convert, pthreadpool_t pool,
                       vsr_metrics_scratch *scr, double *niqe, vsr_error *err);

/*
 * Check that @p a and @p b can be compared and that cropping @p crop leaves
 * at least min_w x min_h pixels. @p what names the metric in the message.
 */
int vsr_metrics_check_pair(const vsr_frame *a, const vsr_frame *b, int crop, int min_w,
                           int min_h, const char *what, vsr_error *err);

/*
 * BasicSR to_y_channel on the cropped region of @p f (crop pixels off every
 * side), written to @p y (w x h floats, tight rows). RGB: float32 x/255, the
 * BT.601 dot product + 16 in double, /255 rounded to float32, *255 in
 * float32 (the exact sequence of numpy dtypes in BasicSR). Gray: float32
 * (x/255)*255, which is what BasicSR returns for a 2-D image.
 * Runs over rows on @p pool.
 */
void vsr_metrics_to_y(const vsr_frame *f, int crop, float *y, pthreadpool_t pool);

/* OpenCV COLOR_BGR2GRAY on float32 x/255, times 255 (NIQE convert_to='gray'). */
void vsr_metrics_to_gray_f32(const vsr_frame *f, int crop, float *out);

/* The planes (1 for Y or gray, else one per channel) of a cropped frame. */
int vsr_metrics_planes(const vsr_frame *f, int crop, vsr_plane *planes);

/* PSNR / SSIM kernels on planes of equal size (sse: row sums in @p scr). */
double vsr_metrics_sse_planes(const vsr_plane *a, const vsr_plane *b, pthreadpool_t pool,
                              vsr_metrics_scratch *scr);
int vsr_metrics_ssim_planes(const vsr_plane *a, const vsr_plane *b, int nplanes,
                            pthreadpool_t pool, double *ssim, vsr_error *err);

/* Metrics defined in their own files, listed in registry.c. */
extern const vsr_metric vsr_metric_gmsd; /* gmsd.c */

/* Number of threads of @p pool (1 for NULL). */
static inline size_t vsr_metrics_threads(pthreadpool_t pool)
{
    return pool ? pthreadpool_get_threads_count(pool) : 1;
}

#endif
