/* Internals shared by the files of reports/ (not installed). */
#ifndef VSR_REPORTS_INTERNAL_H
#define VSR_REPORTS_INTERNAL_H

#include "vsr/reports.h"

/* Column indices of the ablation table (vsr_report_table_ablation). */
enum {
    VSR_ABL_MODEL = 0,
    VSR_ABL_VARIANT,
    VSR_ABL_PRECISION,
    VSR_ABL_DATA,
    VSR_ABL_PSNR,
    VSR_ABL_DPSNR,
    VSR_ABL_SSIM,
    VSR_ABL_DSSIM,
    VSR_ABL_DNIQE,
    VSR_ABL_PARAMS,
    VSR_ABL_DPARAMS,
    VSR_ABL_MACS,
    VSR_ABL_DMACS,
    VSR_ABL_MS,
    VSR_ABL_DMS,
    VSR_ABL_SIG,
    VSR_ABL_NCOLS
};

/* 1 when @p r is a base row for --base @p base (vsr_report_table_ablation). */
int vsr_report_is_base(const vsr_report_row *r, const char *base);

/* "model" or "model/variant" (variant "" and "base" are left out). */
void vsr_report_row_label(const vsr_report_row *r, char *buf, size_t cap);

/* The generic table (vsr_report_table) for builders outside table.c: an
 * empty table of @p nrows rows (see table.c's table_init), and cell (r, c)
 * set to printf text with sort key @p key (NAN for text). 0 or -ENOMEM. */
int vsr_report_table_make(vsr_report_table *t, const char *id, const char *title, int ncols,
                          const char *const *headers, const unsigned char *numeric,
                          size_t nrows, vsr_error *err);
int vsr_report_cell(vsr_report_table *t, size_t r, int c, double key, const char *fmt, ...)
    VSR_PRINTF(5, 6);

/* NTIRE ESR context of one leaderboard group (research_log.c): per row
 * Model, Variant, Precision, Params (log), MACs at the dataset's size, at
 * 180x320 and at 256x256, conv activations, convs and peak activation memory
 * at 256x256 (run log v9; "-" for older runs). */
/*
 * The scores of one leaderboard group (@p rows, one dataset, degradation and
 * channel) that the leaderboard has no column for: every other (metric,
 * channel) of clip_scores in the run log at @p db, one column each, named
 * vsr_metrics_score_name(), the mean of the clip means, best marked by the
 * registry's direction. id "scores_<group tag>". -ENODATA (no table) when
 * there is none, or the run log is older than v10 (reports/scores.c).
 */
int vsr_report_table_scores(const char *db, const vsr_report_row *rows, size_t n,
                            vsr_report_table *out, vsr_error *err);
int vsr_report_table_context(const vsr_report_row *rows, size_t n, vsr_report_table *out,
                             vsr_error *err);
/*
 * The PSNR drop of every reduced-precision row of one leaderboard group
 * against FP32 (reports/quant.c): per row that is not fp32 and has an fp32
 * row of the same model and variant (the same sweep first, then the same
 * tile / pad / threads), Model, Variant, Precision (the run log's label,
 * "int8-pt-sym" for an INT8 scheme), Calibration, PSNR, FP32 PSNR and
 * dPSNR = PSNR - FP32 PSNR, in the rows' order. id "precision_drop_<group
 * tag>". -ENODATA (no table) when no row has such a partner. @p db unused
 * (the signature of the optional per-group tables).
 */
int vsr_report_table_precision_drop(const char *db, const vsr_report_row *rows, size_t n,
                                    vsr_report_table *out, vsr_error *err);

/* ---- phone timings (run log v11: device_timings) ------------------------ */

/* The device figures of some rows: one column per (device, backend) named
 * "OnePlus 7T" or "OnePlus 7T, TFLite GPU", ms[row * ncols + col] (NAN none). */
typedef struct vsr_report_devices {
    int ncols;
    char (*names)[256]; /**< [ncols], owned */
    double *ms;         /**< [n * ncols], owned */
} vsr_report_devices;

/* The device_timings of run log @p db that link to @p rows (by run id, via
 * run_device_timings: same model and precision), the newest import of each
 * (row, device, backend). No table (a log before v11) or no timing: ncols 0. */
int vsr_report_db_devices(const char *db, const vsr_report_row *rows, size_t n,
                          vsr_report_devices *out, vsr_error *err);
void vsr_report_devices_free(vsr_report_devices *d);

/* Append one "ms on <device>" column per column of @p d to the leaderboard
 * @p t of @p rows (vsr_report_table_leaderboard, same @p style), lowest marked
 * in DISPLAY style; nothing when @p d has none. 0 or -ENOMEM. */
int vsr_report_leaderboard_add_devices(vsr_report_table *t, const vsr_report_row *rows,
                                       size_t n, enum vsr_report_style style,
                                       const vsr_report_devices *d, vsr_error *err);

/* An integer count with thousands separators ("68,157"), "-" when NAN. */
void vsr_report_fmt_thousands(char *buf, size_t cap, double v);

/* Print @p v with @p dec decimals, or "-" when NAN. */
void vsr_report_fmt(char *buf, size_t cap, double v, int dec);

/* The table builders of table.c, for builders in other files: allocate
 * @p t with @p nrows empty rows (keys NAN); set cell (r, c) to a copy of
 * @p text with sort key @p key (0 or -ENOMEM); mark the best cells of column
 * @p c as shown with @p dec decimals. */
int vsr_report_table_init(vsr_report_table *t, const char *id, const char *title, int ncols,
                          const char *const *headers, const unsigned char *numeric,
                          size_t nrows, vsr_error *err);
int vsr_report_table_set(vsr_report_table *t, size_t r, int c, double key, const char *text);
void vsr_report_table_mark_best(vsr_report_table *t, int c, int maximize, int dec);

/* ---- training runs (run log schema v4: train_runs, train_points) ------- */

/* One training run with its loss curve (strings truncated on load). */
typedef struct vsr_report_train_run {
    int64_t id;
    char name[64], model[64], status[16], out_dir[160];
    long steps;          /* planned */
    long final_step;     /* last logged step */
    double wall_s;       /* summed over attempts */
    double val_psnr;     /* last validation Y-PSNR [dB], NAN none */
    double bicubic_psnr; /* bicubic on the same clips [dB], NAN unknown */
    size_t n;            /* points */
    long *step;          /* [n], ascending */
    double *loss, *val;  /* [n]; val NAN where not validated */
} vsr_report_train_run;

/* Read the training runs of the run log at @p path (read-only), in id order;
 * with @p latest_only, only the newest row per (name, out_dir). A log older
 * than v4 has none (0, *n = 0). *runs is freed with vsr_report_train_free(). */
int vsr_report_db_train(const char *path, int latest_only, vsr_report_train_run **runs,
                        size_t *n, vsr_error *err);
void vsr_report_train_free(vsr_report_train_run *runs, size_t n);

/* Table "training_runs": Run, Model, Status, Steps, Planned, Wall [s],
 * Val PSNR-Y [dB] (best marked), Bicubic [dB]; one row per run in order. */
int vsr_report_table_train(const vsr_report_train_run *runs, size_t n, vsr_report_table *out,
                           vsr_error *err);

/* Loss vs step (log y), one line per run with points; -ENODATA when none. */
int vsr_report_plot_train_loss(const char *dir, const char *name, const char *title,
                               const vsr_report_train_run *runs, size_t n,
                               const vsr_report_plot_opts *opts, vsr_error *err);
/* Validation Y-PSNR vs step per run, with each distinct bicubic value as a
 * dashed line; -ENODATA when no run has a validation point. */
int vsr_report_plot_train_val(const char *dir, const char *name, const char *title,
                              const vsr_report_train_run *runs, size_t n,
                              const vsr_report_plot_opts *opts, vsr_error *err);

/* Table "tune_<model>_<variant>_<precision>_<dataset>" of one tune session:
 * Threads, Tile, Pad, ms/frame [95% CI], dPSNR vs untiled [dB]. */
int vsr_report_table_tune(const vsr_report_tune_set *set, vsr_report_table *out,
                          vsr_error *err);

#endif
