/*
 * Internals of the vsrbench executable shared by `run`, `tune` and
 * `upscale`: a zoo model's hyperparameters from a config entry, its weights
 * from any of the config's sources (.vsrw, .npy folder + map, .tflite), and
 * INT8 calibration on LR frames.
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
 * Apply the `hyperparameters:` of config model @p m to @p hp (a copy of the
 * zoo entry's), then check them. Errors name the model and the key.
 */
int vsr_pipe_apply_hparams(vsr_models_hparams *hp, const vsr_config_model *m, vsr_error *err);

/**
 * The temporal interface and input / state channels of zoo entry @p e as
 * configured by @p m: from @p hp (after vsr_pipe_apply_hparams) when @p m
 * sets hyperparameters, else the entry's own.
 */
void vsr_pipe_interface(const vsr_models_entry *e, const vsr_config_model *m,
                        const vsr_models_hparams *hp, enum vsr_models_temporal *tp, int *in_ch,
                        int *state_ch);

/**
 * 1 when @p m is `optional: true` and its weights source (file, .npy folder
 * or .tflite) does not exist, with @p why (cap bytes) saying what is missing
 * and how to get it (@p e's weights_hint); else 0.
 */
int vsr_pipe_weights_absent(const vsr_models_entry *e, const vsr_config_model *m, char *why,
                            size_t cap);

/**
 * Set every weight of @p g (built for @p e at h x w) from the source @p m
 * names: weights (.vsrw), weights_npy + weights_map, weights_tflite (its
 * weights are moved onto @p g by order and, for an INT8 file of the same op
 * sequence, its quantization parameters too; see vsr_pipe_calibrate()), or
 * weights_onnx (the translated graph's weights moved onto @p g by order). @p m may be NULL and
 * then
 * @p vsrw_path (may be NULL) is the file; with neither, -ENOENT says how to
 * get weights. Everything is borrowed.
 */
int vsr_pipe_load_weights(const vsr_models_entry *e, const vsr_config_model *m,
                          const char *vsrw_path, vsr_graph *g, int h, int w, vsr_error *err);

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
 * Point model @p m at the weights file @p path given on the command line
 * (--weights): a .tflite name goes to weights_tflite, a .onnx name to
 * weights_onnx, anything else to
 * weights (.vsrw); the other sources are cleared and optional is reset.
 * @p path is borrowed and must outlive @p m.
 */
void vsr_pipe_weights_from_path(vsr_config_model *m, const char *path);

/**
 * INT8: feed the first min(@p frames, n) LR frames of @p lr (one clip, in
 * order; hidden state fed as zeros, the state after a reset) to an FP32
 * calibration of @p g and write the ranges by @p method ("minmax",
 * "percentile", "mse"), replacing any parameters the weights came with.
 * "file" keeps the parameters of an INT8 .tflite instead (loaded by
 * vsr_pipe_load_weights()) and calibrates nothing; -EINVAL when the weights
 * carry none. prev-HR models are refused (-ENOTSUP) for the other methods.
 */
int vsr_pipe_calibrate(vsr_graph *g, pthreadpool_t pool, enum vsr_models_temporal tp, int in_ch,
                       int state_ch, const char *model, const char *method, int frames,
                       const vsr_frame *lr, int n, vsr_error *err);

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
