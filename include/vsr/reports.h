/**
 * @file reports.h
 * @brief Reports: leaderboards, ablation tables, Pareto fronts, gnuplot
 *        plots, visual crops and one self-contained index.html.
 *
 * Everything here works on an in-memory row model (vsr_report_row), so the
 * writers, the Pareto front and the plots do not depend on SQL; the query
 * layer (vsr_report_db_*) is the only part that reads runs.db.
 *
 * Missing numbers are NAN (doubles) or negative (ints) and print as "-"
 * (empty in CSV). Strings are always NUL-terminated; too long values are
 * truncated on load.
 *
 * Ownership: every vsr_report_* object is allocated by its *_init/_build
 * function into caller-provided storage and released with the matching
 * *_free; the caller never frees inner pointers itself. Functions that take
 * a FILE* or a path never close a stream they did not open.
 */
#ifndef VSR_REPORTS_H
#define VSR_REPORTS_H

#include <stdint.h>
#include <stdio.h>

#include "vsr/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the row model ----------------------------------------------------- */

/** One leaderboard row: one finished run scored on one dataset/channel. */
typedef struct vsr_report_row {
    int64_t run_id;        /**< runs.id, or 0 for rows made by hand */
    char model[64];        /**< zoo name, e.g. "MVSR_13" */
    char variant[64];      /**< ablation variant ("" or "base" for none) */
    char precision[32];    /**< "fp32", "fp16", "int8", "int8-pt-sym" (INT8 with a scheme) */
    char dataset[64];      /**< "vid4", "reds4", "demo" */
    char degradation[16];  /**< "BI", "BD" or "" */
    char channel[8];       /**< "RGB" or "Y" */
    char description[160]; /**< free text for the research-log table */
    double psnr;           /**< dB, mean over clips */
    double ssim;           /**< [0,1] */
    double niqe;           /**< lower is better */
    double params;         /**< parameter count */
    double macs;           /**< multiply-adds per LR frame at in_h x in_w */
    int in_w, in_h;        /**< LR input size the MACs refer to (0 unknown) */
    double ms_median;      /**< ms per LR frame */
    double ms_p95;         /**< ms per LR frame, 95th percentile */
    double ms_lo, ms_hi;   /**< 95% interval of ms_median (run log v6), NAN unknown */
    int noisy;             /**< 1: the run was marked noisy (run log v6); see PERFORMANCE.md */
    int threads;           /**< -1 unknown */
    int tile;              /**< tile size in LR pixels, 0 untiled, -1 unknown */
    int pad;               /**< tile overlap in LR pixels, -1 unknown */
    char isa[32];          /**< kernels used ("avx2", "scalar") */
    char host[96];         /**< CPU model of the machine */
    char git_rev[48];      /**< source revision of the binary */
    char sweep[64];        /**< sweep (config) name */
    char run_key[192];     /**< runs.run_key (the axes spelled out) */
    /* run log v9 (NAN = not recorded): the model at the reference sizes */
    double params_log;       /**< Keras count, research-log conventions (MODEL_SPECS.md 0.2) */
    double flops_log;        /**< the log's FLOPs at 180x320 (docs/MODEL_SPECS.md 0.2) */
    double macs_180x320;     /**< MACs per LR frame at 180x320 */
    double macs_256x256;     /**< MACs per LR frame at 256x256 (NTIRE ESR) */
    double conv_activations; /**< elements written by convs at 256x256 (NTIRE ESR) */
    double n_conv;           /**< number of convs */
    double peak_bytes;       /**< activation arena peak at 256x256, the run's precision */
    int frames;              /**< frames per clip the run was limited to (the dataset's
                                  `frames:`), 0 = all or unknown */
    char status[12];         /**< runs.status: "ok" for the rows of vsr_report_db_rows() */
    char error[200];         /**< runs.error of a failed or skipped run, else "" */
    char calib[40]; /**< int8: "method/frames" (runs.calib_method, calib_frames), else "" */
} vsr_report_row;

/** Set every number of @p row to "missing" and every string to "". */
void vsr_report_row_init(vsr_report_row *row);

/** A growable array of rows. Zero-initialise it, fill it, then _free it. */
typedef struct vsr_report_rows {
    vsr_report_row *v; /**< owned by the struct */
    size_t n, cap;
} vsr_report_rows;

/** Append a copy of @p row. Returns 0 or -ENOMEM. */
int vsr_report_rows_push(vsr_report_rows *rows, const vsr_report_row *row, vsr_error *err);
void vsr_report_rows_free(vsr_report_rows *rows);

/**
 * Keep only the rows that match every `key=value` pair of @p filter
 * ("dataset=vid4,precision=int8"; keys: model, variant, precision, dataset,
 * channel, degradation, sweep, host, threads, tile, pad; a value may list alternatives
 * with '|': "precision=fp16|int8"). NULL or "" keeps everything.
 * An unknown key or a pair without '=' is -EINVAL naming the key.
 */
int vsr_report_rows_filter(vsr_report_rows *rows, const char *filter, vsr_error *err);

/* ---- generic tables and their writers ---------------------------------- */

enum vsr_report_format {
    VSR_REPORT_MD = 1,
    VSR_REPORT_CSV = 2,
    VSR_REPORT_HTML = 4,
    VSR_REPORT_TEX = 8,
    VSR_REPORT_JSON = 16, /**< report.json: every table (vsr_report_json_tables) */
};

/** Parse "md,csv,html,tex" (any subset, any order) into a bit set. */
int vsr_report_parse_formats(const char *s, unsigned *formats, vsr_error *err);

/**
 * A rendered table: every cell is display text plus a numeric sort key
 * (NAN for text cells) and a "best in column" mark. Built by the
 * vsr_report_table_* builders below; all memory is owned by the struct.
 */
typedef struct vsr_report_table {
    char *id;    /**< file-name-safe id, e.g. "leaderboard_vid4_Y" */
    char *title; /**< caption */
    char *note;  /**< footnote or NULL */
    int ncols;
    char **headers;         /**< [ncols] */
    unsigned char *numeric; /**< [ncols] 1 = right-aligned, sorts by key */
    size_t nrows;
    char **cells;        /**< [nrows * ncols], never NULL */
    double *keys;        /**< [nrows * ncols] */
    unsigned char *best; /**< [nrows * ncols] 1 = best value in column */
} vsr_report_table;

void vsr_report_table_free(vsr_report_table *t);

/** Which cells a builder makes: human text ("12.3 (p95 13.1)") or raw data. */
enum vsr_report_style { VSR_REPORT_DISPLAY = 0, VSR_REPORT_DATA = 1 };

/**
 * Leaderboard of @p rows, which must all share one dataset, degradation and
 * channel (the caller groups them, see vsr_report_group_keys). Ranked by PSNR
 * (descending; rank = 1 + rows with strictly higher PSNR; NAN last), ties
 * broken by ms/frame then model name. Columns: Rank, Model, Variant,
 * Precision, PSNR [dB], SSIM, NIQE, Params [K], MACs [G] @ HxW, ms/frame
 * (p95), Threads, Tile. DATA style splits and keeps raw numbers (for CSV).
 * Best marks compare the values as printed, so equal-looking cells agree.
 */
int vsr_report_table_leaderboard(const vsr_report_row *rows, size_t n,
                                 enum vsr_report_style style, vsr_report_table *out,
                                 vsr_error *err);

/**
 * The research log's own table, paste-ready (reports/research_log.c):
 * Model | Description | Dataset | Val PSNR | Val SSIM | Params | Runtime [ms]
 * | FLOPs [G], in the log's conventions (docs/MODEL_SPECS.md 0.2):
 * Params are the Keras count (BatchNorm unfolded, ELSR's shared PReLU slope
 * not counted) written as the log does ("68,157"); FLOPs are the log's
 * (2 x MAC + bias adds + Add/Mul elements + 5 per softmax element) at the
 * log's 180x320 input, whatever the dataset's size, 3 decimals ("7.137");
 * Description is the config's `description:` (else the sweep); Runtime is
 * the median ms per LR frame with its precision, threads, tile and ISA.
 * Rows ordered by dataset, channel, then PSNR (descending). Figures a run
 * did not record (run logs before v9) print as "-".
 */
int vsr_report_table_research(const vsr_report_row *rows, size_t n, vsr_report_table *out,
                              vsr_error *err);

/**
 * Cross-benchmark summary, one row per (model, variant, precision, threads,
 * tile, device) and one column per leaderboard group ("vid4 (BIx4) Y"),
 * MMagic style, each cell "PSNR / SSIM" (best PSNR per column marked), then
 * Params [K] and the git revision(s) of the runs. Rows ordered by model,
 * variant, precision, threads, tile.
 */
int vsr_report_table_summary(const vsr_report_row *rows, size_t n, vsr_report_table *out,
                             vsr_error *err);

/* Paired bootstrap (reports/stats.c): resamples, seed and level of every
 * interval in the ablation table. */
#define VSR_REPORT_BOOT_RESAMPLES 2000
#define VSR_REPORT_BOOT_SEED 14u
#define VSR_REPORT_BOOT_LEVEL 0.95

/**
 * Paired bootstrap percentile interval of the mean over clips of the
 * per-clip mean of @p d (per-frame differences, clip by clip: the first
 * @p clip_len[0] values are clip 0, ...). Each of @p resamples resamples
 * draws every clip's frames with replacement within the clip (splitmix64
 * from @p seed, index = next % frames, drawn resample by resample, clip by
 * clip); [*lo, *hi] are the type-7 (numpy "linear") quantiles at
 * (1 - level) / 2 and (1 + level) / 2 of the resampled statistics.
 * -EINVAL bad arguments or an empty clip, -EDOM a non-finite difference
 * (a lossless frame), -ENOMEM; *lo = *hi = NAN on failure.
 */
int vsr_report_bootstrap_ci(const double *d, const size_t *clip_len, size_t nclips,
                            int resamples, uint64_t seed, double level, double *lo, double *hi,
                            vsr_error *err);

/** Per-frame metrics for the per-clip curves and the ablation intervals. */
typedef struct vsr_report_frame_point {
    size_t row; /**< index into the rows the points were read for */
    char clip[64];
    int frame;
    double psnr; /**< dB in the row's channel, +inf lossless, NAN missing */
    double ssim; /**< in the row's channel, NAN missing */
    double niqe; /**< NAN missing */
} vsr_report_frame_point;

/**
 * Ablation table against @p base. A row is a base row when @p base equals
 * its variant, its model (with variant "" or "base"), or "model/variant".
 * Every other row becomes a delta row against the base row of its group:
 * same sweep, dataset, degradation, precision and channel (of several base
 * rows in a group: the one of the same model, then the one with the same
 * threads, tile and pad, then the first). Rows of sweeps with no base row
 * are not part of the ablation (counted in the note); rows of such a sweep
 * that have no base in their group are listed in the note with the reason.
 *
 * Columns: Model, Variant, Precision, Data (dataset, degradation, channel,
 * "frames: N" for a frame subset), PSNR, dPSNR [95% CI], SSIM,
 * dSSIM [95% CI], dNIQE [95% CI], Params, dParams, MACs, dMACs,
 * ms/frame [95% CI], dms, Significant. The quality intervals are paired
 * bootstraps (vsr_report_bootstrap_ci with VSR_REPORT_BOOT_*) over the
 * frames both runs scored (@p pts, from vsr_report_db_frames on @p rows;
 * NULL: no intervals); dms says whether the two medians' 95% intervals
 * overlap. Significant lists the deltas whose interval excludes 0 (ms:
 * intervals apart), or "none". -EINVAL when no row matches @p base.
 */
int vsr_report_table_ablation(const vsr_report_row *rows, size_t n, const char *base,
                              const vsr_report_frame_point *pts, size_t npts,
                              vsr_report_table *out, vsr_error *err);

/**
 * Add the column "dPSNR vs BASE [95% CI]" to @p t, a DISPLAY leaderboard
 * made from the same @p rows: each row against the base row (see
 * vsr_report_table_ablation) of the same precision in @p rows, preferring
 * the same sweep, then model, then threads/tile/pad; the paired bootstrap
 * interval over @p pts (from vsr_report_db_frames on @p rows, NULL = none),
 * " *" when it excludes 0. "(base)" on the base row, "-" without a base.
 */
int vsr_report_leaderboard_add_base(vsr_report_table *t, const vsr_report_row *rows, size_t n,
                                    const char *base, const vsr_report_frame_point *pts,
                                    size_t npts, vsr_error *err);

/**
 * 0 when some row of @p rows is a base row for @p base; else -EINVAL with
 * one line naming @p base and, when one is close, "did you mean 'X'?" from
 * the models, variants and model/variant labels of @p rows.
 */
int vsr_report_check_base(const vsr_report_row *rows, size_t n, const char *base,
                          vsr_error *err);

/**
 * Table "runs_not_ok" of failed and skipped runs (@p rows from
 * vsr_report_db_problems): Model, Variant, Precision, Data, Status, Reason.
 */
int vsr_report_table_problems(const vsr_report_row *rows, size_t n, vsr_report_table *out,
                              vsr_error *err);

/** Write @p t in one format (one of VSR_REPORT_*). HTML is a <table> fragment. */
int vsr_report_table_write(FILE *out, const vsr_report_table *t, enum vsr_report_format fmt,
                           vsr_error *err);

/* Escapers (exposed for tests): write @p s escaped for the format. */
void vsr_report_put_md(FILE *out, const char *s);
/** A text cell: one starting with = + - @ tab or CR gets a leading ' (formula injection). */
void vsr_report_put_csv(FILE *out, const char *s);
/** A numeric column's cell: left alone when it reads as a number ("-0.12"), else as text. */
void vsr_report_put_csv_number(FILE *out, const char *s);
void vsr_report_put_html(FILE *out, const char *s);
void vsr_report_put_tex(FILE *out, const char *s);

/**
 * The distinct leaderboard groups (dataset, degradation, channel) of @p rows,
 * in first-seen order.
 * @p keys receives indices of one representative row per group (caller
 * frees *keys with free()); *n the number of groups.
 */
int vsr_report_group_keys(const vsr_report_row *rows, size_t n, size_t **keys, size_t *ngroups,
                          vsr_error *err);

/** 1 when @p a and @p b belong to one leaderboard: same dataset, degradation, channel. */
int vsr_report_same_group(const vsr_report_row *a, const vsr_report_row *b);

/** "vid4_BI_Y" ("demo_RGB" without a degradation): names the group's files and tables. */
void vsr_report_group_tag(const vsr_report_row *r, char *buf, size_t cap);

/**
 * Per-clip table of @p rows, which must share one dataset, degradation and
 * channel (one leaderboard group): one row per (model, variant, precision,
 * threads, tile) run, PSNR and SSIM of every clip (clip_metrics of the run
 * log at @p db) and their mean (the row's own, BasicSR: mean of the clip
 * means), each with 4 decimals, best per column marked. Headers are
 * MMagic's ("Vid4 (BIx4) PSNR (Y)"; per clip "calendar PSNR (Y)"). id
 * "clips_<group tag>". -ENODATA (no table made) when the runs have fewer
 * than two clips (an image set or a single video has no per-clip view).
 */
int vsr_report_table_clips(const char *db, const vsr_report_row *rows, size_t n,
                           vsr_report_table *out, vsr_error *err);

/* ---- JSON (Jansson) ----------------------------------------------------- *
 * The JSON of report.json, `vsrbench run --json` and `vsrbench eval --format
 * json` is built with Jansson (json_t, <jansson.h>); these are the pieces
 * they share. Missing numbers are null; an infinite score (PSNR of identical
 * frames) is the string "inf" (or "-inf"), since JSON has no infinity. */

struct json_t;

/**
 * A new JSON value for @p v: a real rounded to @p decimals (what printf
 * "%.Nf" shows), null for NaN, "inf" / "-inf" for infinities. NULL only
 * when out of memory.
 */
struct json_t *vsr_report_json_num(double v, int decimals);

/** A new JSON string of @p s; bytes of @p s that are not UTF-8 become '?'.
 *  NULL only when out of memory. */
struct json_t *vsr_report_json_str(const char *s);

/**
 * The per-frame layout of VMAF's JSON output, set on @p obj: "frames", an
 * array of {"frameNum": i, "metrics": {name: value}} for i < @p n, and
 * "pooled_metrics", {name: {"min", "max", "mean", "n", "n_inf"}} for every
 * metric that has a value. @p v holds @p n x @p nm values (frame-major,
 * v[i * nm + m]) of the metrics @p names; NaN means "not computed" and is
 * left out of the frame and of the pooling. The mean is over the finite
 * values (vsr_metrics_stats: infinities are counted in n_inf and excluded;
 * all infinite -> "inf"). Values rounded to @p decimals. The caller may add
 * keys to the frame objects afterwards. 0 or -ENOMEM.
 */
int vsr_report_json_frames(struct json_t *obj, const double *v, int n, int nm,
                           const char *const *names, int decimals, vsr_error *err);

/** One table as {"id", "title", "note", "columns": [{"name", "numeric"}],
 *  "rows": [{"cells": {header: text}, "values": {header: number or null}
 *  (numeric columns: the sort key, raw), "best": [header...]}]}. NULL = ENOMEM. */
struct json_t *vsr_report_json_table(const vsr_report_table *t);

/**
 * Write @p doc to @p path (two-space indent, keys in insertion order, reals
 * with up to 15 significant digits) so that it is complete or absent
 * (vsr_atomic_open / vsr_atomic_commit). With @p path "-" it goes to stdout.
 */
int vsr_report_json_write(const struct json_t *doc, const char *path, vsr_error *err);

/**
 * report.json: {"version": "vsrbench report", "db": @p db, "tables": [every
 * table of @p t, as vsr_report_json_table()]} written as vsr_report_json_write().
 */
int vsr_report_json_tables(const char *path, const char *db, const vsr_report_table *const *t,
                           size_t n, vsr_error *err);

/* ---- Pareto front ------------------------------------------------------ */

/**
 * Mark the points not dominated when maximising @p y and minimising @p x.
 * A point dominates another when it is no worse in both and strictly better
 * in one, so exact duplicates do not dominate each other and are all on the
 * front; points with a NAN coordinate are never on it. @p on_front[i] gets
 * 1 or 0. Returns the number of points on the front, or -ENOMEM.
 */
long vsr_report_pareto(const double *x, const double *y, size_t n, unsigned char *on_front);

/**
 * vsr_report_pareto() over the points whose @p noisy[i] is 0 (@p noisy may
 * be NULL): a noisy timing is neither on the front nor hides another point
 * from it.
 */
long vsr_report_pareto_clean(const double *x, const double *y, const unsigned char *noisy,
                             size_t n, unsigned char *on_front);

/* ---- plots (gnuplot through a pipe) ------------------------------------ */

/** 1 when an executable "gnuplot" is on PATH (what `command -v` checks). */
int vsr_report_gnuplot_available(void);

/**
 * Save @p script to @p script_path (when not NULL), then feed it to
 * popen("gnuplot", "w"). -ENOENT (message: install gnuplot-nox) when
 * gnuplot is not on PATH or the shell reports 127; -EIO when gnuplot fails.
 */
int vsr_report_gnuplot_run(const char *script, const char *script_path, vsr_error *err);

/** One tune_results row for the heat map. */
typedef struct vsr_report_tune_point {
    int tile, pad, threads;
    double ms_median;
    double dpsnr;        /**< PSNR change against the untiled output, dB */
    double ms_lo, ms_hi; /**< 95% interval of ms_median (run log v6), NAN unknown */
    int noisy;           /**< 1: measured noisy (run log v6) */
    double score;        /**< tune --score's value (run log v12), NAN none */
    double niqe;         /**< mean NIQE of the output (run log v12), NAN not measured */
} vsr_report_tune_point;

/**
 * One gnuplot process that draws plot after plot, so a report pays
 * gnuplot's start (fonts, cairo) once instead of once per plot. Each
 * plot's script is followed by a status line gnuplot prints to a pipe
 * (GPVAL_ERRNO, so a plot gnuplot refuses fails alone, as with a process
 * of its own) and "reset session" (no variable, datablock or setting
 * carries over to the next plot). The pictures are byte for byte those of
 * a process per plot. Not thread-safe; gnuplot's stderr is ours.
 */
typedef struct vsr_report_gnuplot vsr_report_gnuplot;

/**
 * Start gnuplot (from PATH) for vsr_report_plot_opts.gp. -ENOENT (message:
 * install gnuplot-nox) when it is not on PATH or cannot be started.
 */
int vsr_report_gnuplot_open(vsr_report_gnuplot **out, vsr_error *err);

/** End the session: gnuplot reads EOF and exits; waits for it. NULLs *gp; NULL-safe. */
void vsr_report_gnuplot_close(vsr_report_gnuplot **gp);

/** Size of every PNG plot (pixels) and the SVGs, and who draws them. */
typedef struct vsr_report_plot_opts {
    int width, height;      /**< 0 = 960 x 640 */
    vsr_report_gnuplot *gp; /**< NULL: a gnuplot process per plot; else this session
                                 (borrowed; a session that died falls back to one per plot) */
} vsr_report_plot_opts;

/*
 * Each plot writes <dir>/<name>.png, <dir>/<name>.svg and the script
 * <dir>/<name>.gp. @p dir must exist. They return 0, -ENOENT when gnuplot
 * is missing, -ENODATA when there is nothing to plot (no file written).
 */

/*
 * The run plots share one look: colour = model ("model/variant"), marker =
 * precision (fp32 filled circle, fp16 open triangle, int8 open square), the
 * key outside the data, bicubic the grey dashed reference, ranges fitted to
 * the data.
 */

/** PSNR [dB] vs ms/frame: median with its 95% interval as an x error bar,
 *  the Pareto front (step line), noisy runs ringed, bicubic's PSNR a line. */
int vsr_report_plot_pareto(const char *dir, const char *name, const char *title,
                           const vsr_report_row *rows, size_t n,
                           const vsr_report_plot_opts *opts, vsr_error *err);
/** PSNR [dB] vs params [K] (log x); bicubic (no params) is a horizontal line. */
int vsr_report_plot_params(const char *dir, const char *name, const char *title,
                           const vsr_report_row *rows, size_t n,
                           const vsr_report_plot_opts *opts, vsr_error *err);
/** Per-frame PSNR of one clip, one curve per row referenced by @p pts (dash
 *  pattern and marker by precision; a row of one frame is a point). */
int vsr_report_plot_frames(const char *dir, const char *name, const char *title,
                           const vsr_report_row *rows, size_t nrows,
                           const vsr_report_frame_point *pts, size_t npts,
                           const vsr_report_plot_opts *opts, vsr_error *err);
/** Ablation bars: delta PSNR [dB] and delta ms/frame [ms] per row of @p t
 *  (a table from vsr_report_table_ablation). */
int vsr_report_plot_ablation(const char *dir, const char *name, const char *title,
                             const vsr_report_table *t, const vsr_report_plot_opts *opts,
                             vsr_error *err);
/** Grouped bars: one group per label (in the given order, @p n of them), one bar
 *  per series in each: values[i * nseries + k] is label i's bar of series k
 *  (@p series[k] names it in the key; NaN: no bar). y is @p ylabel. Used by
 *  `vsrbench quant-report` (PSNR drop per layer). */
int vsr_report_plot_bars(const char *dir, const char *name, const char *title,
                         const char *const *labels, size_t n, const char *const *series,
                         int nseries, const double *values, const char *ylabel,
                         const vsr_report_plot_opts *opts, vsr_error *err);
/** Heat map: tile (x) x pad (y), one panel per thread count, colour = ms; a
 *  cell shows the score too when its point has one. */
int vsr_report_plot_tune(const char *dir, const char *name, const char *title,
                         const vsr_report_tune_point *pts, size_t n,
                         const vsr_report_plot_opts *opts, vsr_error *err);

/* ---- visual crops ------------------------------------------------------ */

/**
 * Compose the same crop (x, y, w, h) of @p n images side by side, each
 * enlarged @p zoom times (nearest neighbour), with @p labels[i] drawn
 * above panel i in a built-in 5x7 bitmap font. All images must be RGB
 * (3 channels) and contain the crop. @p out is allocated here (the caller
 * frees it with vsr_frame_free).
 */
int vsr_report_crops_compose(const vsr_frame *const *images, const char *const *labels, int n,
                             int x, int y, int w, int h, int zoom, vsr_frame *out,
                             vsr_error *err);

/** Width in pixels of @p s drawn with the built-in font at @p scale. */
int vsr_report_text_width(const char *s, int scale);
/** Draw @p s at (x, y) (top-left) in @p rgb on an RGB frame, clipped. */
void vsr_report_draw_text(vsr_frame *f, int x, int y, const char *s, int scale,
                          const uint8_t rgb[3]);

/** Write an RGB frame as PNG (the one place crops touch an image writer). */
int vsr_report_write_png(const char *path, const vsr_frame *f, vsr_error *err);

/* ---- index.html -------------------------------------------------------- */

/** One picture on the page (path relative to index.html). */
typedef struct vsr_report_image {
    const char *src;
    const char *caption;
} vsr_report_image;

/**
 * Write a self-contained XHTML5 page (no network resources; an inline
 * stylesheet and an inline script that sorts any table by a click on its
 * header) holding @p tables then @p images.
 */
int vsr_report_html_write(const char *path, const char *title, const char *subtitle,
                          const vsr_report_table *const *tables, size_t ntables,
                          const vsr_report_image *images, size_t nimages, vsr_error *err);

/**
 * Make the crop picture for frame @p frame (0-based, in name order) of one
 * clip: GT (folder @p gt_dir, modcropped to a multiple of 4), bicubic x4 of
 * the LR frame (@p lr_dir, MATLAB imresize) and each SR folder
 * @p sr_dirs[i] labelled @p sr_labels[i]; crop (x, y, w, h) in GT pixels,
 * enlarged @p zoom times; written to @p png_path.
 */
int vsr_report_crops_make(const char *gt_dir, const char *lr_dir, const char *const *sr_dirs,
                          const char *const *sr_labels, int nsr, int frame, int x, int y, int w,
                          int h, int zoom, const char *png_path, vsr_error *err);

/* ---- the whole report ------------------------------------------------- */

/** What vsr_report_generate() makes. Strings are borrowed (not copied). */
typedef struct vsr_report_opts {
    const char *db;     /**< run log path (read-only), default "runs.db" */
    const char *out;    /**< output folder (created), default "reports/latest" */
    const char *filter; /**< see vsr_report_rows_filter(), NULL = all */
    const char *base;   /**< ablation base (see vsr_report_table_ablation), NULL = none */
    unsigned formats;   /**< VSR_REPORT_* bits, default all four */
    int all_runs;       /**< 1 = keep every ok run, 0 = newest per run_key */
    int plots;          /**< 0 = tables only */
    vsr_report_plot_opts plot;
    /* Crops (crop_gt NULL = none): see vsr_report_crops_make(). */
    const char *crop_gt, *crop_lr;
    const char *const *sr_dirs, *const *sr_labels;
    int nsr, crop_frame, crop_x, crop_y, crop_w, crop_h, crop_zoom;
    FILE *list; /**< each written file's path is printed here; NULL = quiet */
} vsr_report_opts;

/** Defaults as documented on each field. */
void vsr_report_opts_init(vsr_report_opts *o);

/**
 * Write <out>/report.md, report.tex, csv/<table>.csv, plots/<name>.{png,svg,gp},
 * crops.png and index.html (each only when its format is asked for).
 * Leaderboards are per (dataset, channel). A missing gnuplot is one warning
 * (vsr_log) and no plots; a plot that gnuplot fails on is a warning too.
 * Failed and skipped runs get a table (vsr_report_table_problems), each
 * tune session a table and a heat map; a log with tune results but no
 * finished run is a report of those (and one warning line).
 * Returns 0; -EINVAL for a bad filter or a --base no run has (usage
 * errors, found before anything is written); -ENODATA when no finished
 * run, training run or tune result matches; other negative errno for I/O
 * and db failures. Every failure fills @p err with one line.
 */
int vsr_report_generate(const vsr_report_opts *o, vsr_error *err);

/* ---- reading runs.db --------------------------------------------------- */

/**
 * Read the finished ('ok') runs of the SQLite run log at @p path (opened
 * read-only) as rows: one per run and channel that has metrics (RGB from
 * psnr_rgb/ssim_rgb, Y from psnr_y/ssim_y; a run with no metrics gives one
 * RGB row). PSNR/SSIM/NIQE are means of the clip means (BasicSR); a clip
 * with infinite PSNR makes the mean +inf. With @p latest_only, of several
 * ok runs with the same run_key only the newest is kept. Appends to @p rows.
 * -ENOENT missing file; -EINVAL not a vsrbench run log.
 */
int vsr_report_db_rows(const char *path, int latest_only, vsr_report_rows *rows,
                       vsr_error *err);

/**
 * Per-frame PSNR, SSIM (the channel of each row) and NIQE of @p rows from
 * frame_metrics.
 * *pts is allocated here (caller frees it with free()), ordered by row,
 * clip, frame.
 */
int vsr_report_db_frames(const char *path, const vsr_report_row *rows, size_t nrows,
                         vsr_report_frame_point **pts, size_t *npts, vsr_error *err);

/**
 * The failed and skipped runs of the run log at @p path as rows (figures
 * missing; status and error set), with @p latest_only only where the newest
 * row of a run key is failed or skipped. Appends to @p rows.
 */
int vsr_report_db_problems(const char *path, int latest_only, vsr_report_rows *rows,
                           vsr_error *err);

/** The newest tune session of one (model, variant, precision, dataset). */
typedef struct vsr_report_tune_set {
    char model[64], variant[64], precision[32], dataset[64];
    char score[600]; /**< "<name>: <formula>" of the session's --score; "" none (pareto) */
    vsr_report_tune_point *pts; /**< owned; freed by vsr_report_tune_sets_free */
    size_t n;
} vsr_report_tune_set;

/** Read tune_results (schema v2+); *sets is allocated here. No table: 0 sets. */
int vsr_report_db_tune(const char *path, vsr_report_tune_set **sets, size_t *nsets,
                       vsr_error *err);
void vsr_report_tune_sets_free(vsr_report_tune_set *sets, size_t nsets);

#ifdef __cplusplus
}
#endif
#endif /* VSR_REPORTS_H */
