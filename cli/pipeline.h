/*
 * Internals of the vsrbench executable shared by `run`, `tune` and
 * `upscale`: a config model as a models/ spec (the models part assembles
 * it: vsr_models_open()), datasets, timed passes and the run log's counts.
 */
#ifndef VSR_BENCH_PIPELINE_H
#define VSR_BENCH_PIPELINE_H

#include <pthreadpool.h>

#include "vsr/bench.h"
#include "vsr/core.h"
#include "vsr/datasets.h"
#include "vsr/engine.h"
#include "vsr/models.h"

/**
 * Config model @p m as a models/ spec (vsr_models_open()): zoo type, label,
 * hyperparameters (copied into *kv, which the caller frees; the spec points
 * at it) and weight source; everything else zero. Strings are borrowed
 * from @p m.
 */
int vsr_pipe_spec(const vsr_config_model *m, vsr_models_spec *spec, vsr_models_kv **kv,
                  vsr_error *err);

/**
 * Read and import (at a nominal 64x64) every `weights: {tflite: FILE}` and
 * `weights: {onnx: FILE}` of
 * @p cfg's models whose file exists, so that a corrupt or crafted file is a
 * one-line input error before any run starts (a missing file is left to the
 * run: it fails it, or skips it when optional). Returns the first error,
 * wrapped with the model and file.
 */
int vsr_pipe_check_weight_files(const vsr_config *cfg, vsr_error *err);

/**
 * Open config dataset @p d with @p degradation ("bi" / "bd") at @p scale;
 * type demo builds (or verifies) the demo first. *ds is closed by the
 * caller with vsr_dataset_close().
 */
int vsr_pipe_open_dataset(int scale, const vsr_config_dataset *d, const char *degradation,
                          vsr_dataset **ds, vsr_error *err);

/**
 * Push every LR frame of @p clip through @p runner and drain it, timing each
 * push that produces an SR frame on CLOCK_MONOTONIC (the clock brackets the
 * runner call only). For each SR frame (in @p sr, sized by the caller for
 * the clip) @p on_frame(ctx, t, ms, sr, err) runs after the timed call with
 * the frame's index t in the clip; a negative return stops the pass and is
 * returned. Everything is borrowed.
 */
int vsr_pipe_timed_clip(vsr_models_runner *runner, const vsr_clip *clip, vsr_frame *sr,
                        int (*on_frame)(void *ctx, int t, double ms, const vsr_frame *sr,
                                        vsr_error *err),
                        void *ctx, vsr_error *err);

/**
 * The SR frame to score against @p gt: *use = @p sr, or, when @p gt is gray
 * (a gray image of an image set) and @p sr RGB (what every model outputs),
 * a gray copy of @p sr made in @p tmp by vsr_frame_to_gray(). A gray GT
 * thus scores as one plane, like BasicSR's calculate_psnr_ssim.py on a
 * 2-D image (and its Y is that plane; see README "Image sets"). @p tmp
 * must be zeroed; the caller frees it.
 */
int vsr_pipe_sr_for_gt(const vsr_frame *gt, const vsr_frame *sr, vsr_frame *tmp,
                       const vsr_frame **use, vsr_error *err);

/**
 * The figures of architecture @p hp at the reference sizes, for the run log
 * (schema v9): params_log and flops_log at the research log's 180x320, MACs
 * at 180x320 and 256x256, and NTIRE ESR's conv activations, number of convs
 * and peak activation memory (for @p prec) at 256x256, all from
 * vsr_models_count(). What cannot be counted (bicubic) is -1.
 */
void vsr_pipe_counts(const vsr_models_hparams *hp, vsr_precision prec, vsr_runlog_counts *out);

#endif
