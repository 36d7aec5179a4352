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
    int y_channel;               /**< 1 = BT.601 Y, 0 = all channels (set from channel) */
    const char *niqe_model_path; /**< niqe: NULL -> default path; borrowed during init */
    /** the channel this instance scores, one of vsr_metric.channels (NULL for a
     *  metric with one channel); vsr_metrics_ctx_open() sets y_channel from it */
    const char *channel;
    /** the metric's own options (vsr_metric.options) as YAML scalar text, keys
     *  and values borrowed during init; n_options 0 = all defaults */
    const char *const *option_keys;
    const char *const *option_values;
    int n_options;
} vsr_metric_config;

/** The type of an option's value, as a config or the command line gives it. */
typedef enum vsr_metric_opt_type {
    VSR_METRIC_OPT_INT,      /**< an integer in [min, max] */
    VSR_METRIC_OPT_BOOL,     /**< true / false */
    VSR_METRIC_OPT_STRING,   /**< any text */
    VSR_METRIC_OPT_CHANNELS, /**< a list of the metric's channel names */
} vsr_metric_opt_type;

/** One option a metric takes (a key under `metrics: {name: {...}}`). */
typedef struct vsr_metric_option {
    const char *name;
    vsr_metric_opt_type type;
    int min, max; /**< VSR_METRIC_OPT_INT: the accepted range */
    const char *help;
} vsr_metric_option;

/**
 * One metric: a vtable in a static NULL-terminated list (registry.c). The
 * registry owns priv: it allocates priv_size zeroed bytes, calls init once,
 * run per frame, close once, then frees priv.
 *
 * Scores travel by (metric name, channel name): a metric with channels
 * ({"rgb", "y"}) reports one score per channel a run asks for (one instance
 * per channel, config.channel set); a metric without reports one score under
 * its own name (channel ""). Its score's name in tables and JSON is
 * "<name>_<channel>" or "<name>" (vsr_metrics_score_name()).
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
    /** NULL-terminated channel names in report order ({"rgb", "y"}); NULL = one
     *  channel. A metric with channels takes the options test_y_channel (bool)
     *  and channels (a list) too. */
    const char *const *channels;
    /** the channel a run scores when its config names none ("y"); NULL = the first */
    const char *default_channel;
    /** decimals in `vsrbench eval`'s table; 0 = 6 */
    int decimals;
    /** the metric's own options, ended by {NULL}; NULL = none. Every metric takes
     *  crop_border (int, default the run's scale) and the informative type and
     *  better (text, ignored) besides. */
    const vsr_metric_option *options;
} vsr_metric;

/** The metric called @p name, or NULL. */
const vsr_metric *vsr_metrics_find(const char *name);
/** The NULL-terminated list of all metrics (static), in report order. */
const vsr_metric *const *vsr_metrics_list(void);

/**
 * The metric called @p name. Unknown: -EINVAL, the message names it, the
 * closest registered name ("did you mean") and the list of all of them.
 */
int vsr_metrics_lookup(const char *name, const vsr_metric **out, vsr_error *err);

/** How many scores @p m can report: its channels, or 1. */
int vsr_metrics_channel_count(const vsr_metric *m);
/** Channel @p i of @p m (0 <= i < vsr_metrics_channel_count()): its name or "". */
const char *vsr_metrics_channel_name(const vsr_metric *m, int i);
/** The index of channel @p name of @p m ("" or NULL = the only one), or -1. */
int vsr_metrics_channel_index(const vsr_metric *m, const char *name);
/** The index of the channel a run scores by default. */
int vsr_metrics_default_channel(const vsr_metric *m);

/**
 * The score's name in tables and JSON: "<metric>_<channel>" or "<metric>" for
 * channel "" or NULL. Returns @p buf.
 */
const char *vsr_metrics_score_name(const char *metric, const char *channel, char *buf,
                                   size_t cap);

/**
 * The option @p key of @p m (its own options, then the common ones: crop_border,
 * type, better, and for a metric with channels test_y_channel and channels),
 * or NULL. @p names (may be NULL) receives the accepted keys, comma
 * separated, for a message.
 */
const vsr_metric_option *vsr_metrics_option(const vsr_metric *m, const char *key, char *names,
                                            size_t cap);

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

/* ---- a set of scores computed together (run, eval) --------------------- */

/**
 * An ordered list of opened metric instances, one per (metric, channel): what
 * a command scores each frame with. Opaque; owned by the caller
 * (vsr_metrics_set_free()).
 */
typedef struct vsr_metric_set vsr_metric_set;

/**
 * Append metric @p m scoring the channels in @p channels (bit i = channel i;
 * 0 = its default channel) with @p cfg (its channel field is ignored), one
 * instance per channel in the metric's order. *set may be NULL (a new set).
 * On error the set is left as it was and err names the metric.
 */
int vsr_metrics_set_add(vsr_metric_set **set, const vsr_metric *m, unsigned channels,
                        const vsr_metric_config *cfg, vsr_error *err);
/** Number of scores per frame (0 for a NULL set). */
int vsr_metrics_set_count(const vsr_metric_set *set);
/** Entry @p i's metric. */
const vsr_metric *vsr_metrics_set_metric(const vsr_metric_set *set, int i);
/** Entry @p i's channel name ("" for a metric with one channel; static). */
const char *vsr_metrics_set_channel(const vsr_metric_set *set, int i);
/** Entry @p i's score name, vsr_metrics_score_name() (owned by the set). */
const char *vsr_metrics_set_name(const vsr_metric_set *set, int i);

/**
 * Score one frame: scores[i] for every entry i. Full-reference entries compare
 * @p gt with @p fr (the SR frame as the GT sees it, e.g. its gray for a gray
 * GT); no-reference entries score @p sr as it is. With @p gt NULL the
 * full-reference entries give NaN. Stops at the first error (err names the
 * metric).
 */
int vsr_metrics_set_run(vsr_metric_set *set, const vsr_frame *gt, const vsr_frame *fr,
                        const vsr_frame *sr, pthreadpool_t pool, double *scores,
                        vsr_error *err);
/** Close every instance, free and set *set to NULL. NULL-safe. */
void vsr_metrics_set_free(vsr_metric_set **set);

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
