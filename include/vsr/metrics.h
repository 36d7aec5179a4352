/**
 * @file metrics.h
 * @brief Image quality metrics with the conventions behind published SR
 *        tables (BasicSR v1.4.2, MATLAB-compatible; see
 *        docs/METRICS.md): PSNR, SSIM (Wang 2004, 11x11
 *        Gaussian, 'valid'), NIQE (Mittal 2013, LIVE pristine model), a
 *        metric registry and pooling helpers.
 *
 * Inputs are 8-bit frames (vsr_frame, RGB24 or gray). None of the functions
 * keeps a pointer to a frame after it returns. A pthreadpool_t passed in is
 * only borrowed (NULL = run on the calling thread); results do not depend
 * on the number of threads beyond the last bits of a double sum.
 *
 * Y channel: MATLAB rgb2ycbcr (BT.601 studio swing, 16..235), computed
 * exactly like BasicSR's float32 to_y_channel and NOT rounded. For a gray
 * frame the "Y" plane is the gray plane itself (as BasicSR does for 2-D
 * images).
 *
 * Errors follow core.h: 0 or a negative errno, one line in vsr_error.
 */
#ifndef VSR_METRICS_H
#define VSR_METRICS_H

#include <stddef.h>

#include <pthreadpool.h>

#include "vsr/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================
 * Full-reference metrics on frames
 * ==================================================================== */

/**
 * PSNR of @p sr against @p gt (symmetric): crop @p crop_border pixels from
 * every side, optionally convert to Y (@p y_channel != 0), then
 * 10 log10(255^2 / MSE) with MSE pooled over all samples of all channels.
 * Identical inputs give +INFINITY (never a large finite number).
 *
 * Errors: -EINVAL for different sizes or channel counts (the message gives
 * both sizes), a crop that leaves nothing.
 */
int vsr_metrics_psnr(const vsr_frame *gt, const vsr_frame *sr, int crop_border, int y_channel,
                     pthreadpool_t pool, double *psnr, vsr_error *err);

/**
 * SSIM (Wang et al. 2004 ssim_index.m): per channel, 11x11 Gaussian window
 * (sigma 1.5), 'valid' filtering (no padding), K1 0.01, K2 0.03, L 255,
 * mean of the map, then the plain mean over channels (1 channel with
 * @p y_channel). The cropped image must be at least 11x11.
 */
int vsr_metrics_ssim(const vsr_frame *gt, const vsr_frame *sr, int crop_border, int y_channel,
                     pthreadpool_t pool, double *ssim, vsr_error *err);

/* ======================================================================
 * NIQE
 * ==================================================================== */

/** The pristine multivariate Gaussian model (opaque). */
typedef struct vsr_metrics_niqe_model vsr_metrics_niqe_model;

/**
 * Load a pristine model in the niqe_pris_params.txt format (comment lines
 * starting with '#', then 36 means, 36x36 covariance, 7x7 Gaussian window,
 * whitespace separated). @p path NULL -> vsr_metrics_niqe_default_path(),
 * and when that is NULL too, the model compiled into the library (the LIVE
 * pristine parameters as packaged by BasicSR, metrics/data/).
 * On success *out is a new model the caller frees with
 * vsr_metrics_niqe_model_free(). Errors: -ENOENT (the message names the
 * path and the fix, "--niqe-model PATH" or unset VSR_NIQE_MODEL), -EINVAL
 * for a malformed file (names the path and the section).
 */
int vsr_metrics_niqe_model_load(const char *path, vsr_metrics_niqe_model **out, vsr_error *err);
/** Free a model and set *model to NULL. NULL-safe. */
void vsr_metrics_niqe_model_free(vsr_metrics_niqe_model **model);

/**
 * The default model file: $VSR_NIQE_MODEL when set and non-empty, else NULL
 * (the built-in model). Returns a pointer into the environment (not owned).
 */
const char *vsr_metrics_niqe_default_path(void);

/** How NIQE turns a colour frame into one plane. */
enum vsr_niqe_convert {
    VSR_NIQE_Y = 0,    /**< BT.601 Y as for PSNR/SSIM (BasicSR default) */
    VSR_NIQE_GRAY = 1, /**< OpenCV gray 0.299 R + 0.587 G + 0.114 B (float32) */
};

/**
 * NIQE of @p img (no reference): convert (gray frames are used as they
 * are), crop @p crop_border, round to integers, then the two-scale 96x96
 * block features and the distance to the pristine model.
 * Lower is better.
 *
 * Errors: -EINVAL when the cropped image holds fewer than two 96x96 blocks
 * (needs at least 96x192 or 192x96; the message gives the size), or when no
 * block gives a finite feature vector.
 */
int vsr_metrics_niqe(const vsr_frame *img, const vsr_metrics_niqe_model *model, int crop_border,
                     enum vsr_niqe_convert convert, pthreadpool_t pool, double *niqe,
                     vsr_error *err);

/**
 * NIQE of a float plane already on the 0..255 scale and already rounded
 * and cropped (w x h, rows @p stride floats apart). The caller keeps
 * @p plane.
 */
int vsr_metrics_niqe_plane(const float *plane, int w, int h, ptrdiff_t stride,
                           const vsr_metrics_niqe_model *model, pthreadpool_t pool,
                           double *niqe, vsr_error *err);

/* ======================================================================
 * Registry (libvmaf feature-extractor style)
 * ==================================================================== */

/** Settings shared by the metrics; unused fields are ignored. */
typedef struct vsr_metric_config {
    int crop_border;             /**< pixels removed from every side */
    int y_channel;               /**< psnr/ssim: 1 = BT.601 Y, 0 = all channels */
    const char *niqe_model_path; /**< niqe: NULL -> default path; borrowed during init */
} vsr_metric_config;

/**
 * One metric: a vtable in a static NULL-terminated list (registry.c). The
 * registry owns priv: it allocates priv_size zeroed bytes, calls init once,
 * run per frame, close once, then frees priv.
 */
typedef struct vsr_metric {
    const char *name;  /**< "psnr", "ssim", "niqe" */
    const char *unit;  /**< "dB" or "" */
    int needs_ref;     /**< 1: full-reference (gt and sr), 0: sr only */
    int higher_better; /**< 1: higher is better (psnr, ssim), 0: lower (niqe) */
    size_t priv_size;
    int (*init)(void *priv, const vsr_metric_config *cfg, vsr_error *err);
    /** @p gt is NULL for a no-reference metric. */
    int (*run)(void *priv, const vsr_frame *gt, const vsr_frame *sr, pthreadpool_t pool,
               double *score, vsr_error *err);
    void (*close)(void *priv);
} vsr_metric;

/** The metric called @p name, or NULL. */
const vsr_metric *vsr_metrics_find(const char *name);
/** The NULL-terminated list of all metrics (static). */
const vsr_metric *const *vsr_metrics_list(void);

/** An initialised metric (opaque): vtable + its private state. */
typedef struct vsr_metric_ctx vsr_metric_ctx;

/**
 * Allocate and init an instance of @p m with @p cfg (borrowed during the
 * call). On success *out is owned by the caller: vsr_metrics_ctx_close().
 */
int vsr_metrics_ctx_open(const vsr_metric *m, const vsr_metric_config *cfg,
                         vsr_metric_ctx **out, vsr_error *err);
/** Score one frame pair (gt may be NULL for a no-reference metric). */
int vsr_metrics_ctx_run(vsr_metric_ctx *ctx, const vsr_frame *gt, const vsr_frame *sr,
                        pthreadpool_t pool, double *score, vsr_error *err);
/** The instance's metric. */
const vsr_metric *vsr_metrics_ctx_metric(const vsr_metric_ctx *ctx);
/** Close, free and set *ctx to NULL. NULL-safe. */
void vsr_metrics_ctx_close(vsr_metric_ctx **ctx);

/* ======================================================================
 * Pooling: per frame -> per clip (mean over frames) -> per dataset (mean
 * over clips), as video SR papers report.
 * ==================================================================== */

/**
 * Running statistics of a series of values. +inf values (PSNR of identical
 * frames) are counted in n_inf and excluded from the mean, never replaced
 * by a large number; NaN values are counted in n_nan and excluded from
 * everything. min/max cover every non-NaN value (so max may be +inf).
 */
typedef struct vsr_metric_stats {
    double sum; /**< sum of the finite values */
    double min; /**< over finite and infinite values */
    double max;
    long n;     /**< number of finite values */
    long n_inf; /**< number of infinite values (excluded from the mean) */
    long n_nan; /**< number of NaN values (excluded) */
} vsr_metric_stats;

/** Reset to empty. */
void vsr_metrics_stats_init(vsr_metric_stats *s);
/** Add one value (frame score, or a clip mean when pooling clips). */
void vsr_metrics_stats_add(vsr_metric_stats *s, double v);
/**
 * Mean of the finite values. When there are none: +inf if every value was
 * +inf (e.g. a clip scored against itself), -inf likewise, NaN when empty.
 */
double vsr_metrics_stats_mean(const vsr_metric_stats *s);
/** Total number of values added (finite + inf + NaN). */
long vsr_metrics_stats_count(const vsr_metric_stats *s);

/**
 * Format a score for humans and CSV/JSON: "inf", "-inf", "nan" or "%.*f"
 * with @p decimals. Returns @p buf.
 */
const char *vsr_metrics_format(double v, int decimals, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif /* VSR_METRICS_H */
