/**
 * @file train.h
 * @brief Pure-C training of engine graphs (vsr_train): reverse-mode
 *        gradients over the engine's FP32 graph IR, Adam with cosine / step
 *        schedules, L1 / Charbonnier / L2 losses, Keras-style weight init, a
 *        counter-based PRNG, the LR/HR patch sampler and the training loop
 *        behind `vsrbench train`.
 *
 * THE NET
 *
 * A vsr_train_net evaluates a vsr_graph op by op (no fusion) at one fixed
 * patch size and keeps every activation so that it can run backward. It
 * has batch x steps "slots": slot (b, t) is batch element b at time step t
 * (t > 0 only for recurrent models trained on short sequences, whose state
 * input at t is the state output of t - 1). Each batch element has its own
 * gradient buffer; vsr_train_net_reduce() sums them in batch order, so the
 * result does not depend on which thread ran which element (same seed =
 * same weights, whatever the thread count).
 *
 * Semantics: the forward pass reproduces the engine's FP32 ops (TF SAME
 * padding, DCR depth to space, TF2 half-pixel bilinear, population-variance
 * layer norm, ...). Batch norm is evaluated as the engine does (inference
 * form with its stored mean / var, which stay frozen; gamma and beta are
 * trained). Gradients of piecewise ops at their kinks: relu'(0) = 0,
 * leaky/prelu'(0) = 1, clip passes the gradient for lo <= x <= hi (as TF's
 * clip_by_value).
 *
 * Precision: FP32 by default; with use_double the whole pass runs in
 * double (for finite-difference gradient checks).
 *
 * Ownership: the graph passed to vsr_train_net_create() is borrowed and
 * must outlive the net; it is never modified (weights are copied into the
 * net's own float master copy and written back by the caller with
 * vsr_train_net_store()).
 */
#ifndef VSR_TRAIN_H
#define VSR_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include <pthreadpool.h>

#include "vsr/core.h"
#include "vsr/engine.h"
#include "vsr/models.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ==== counter-based PRNG ============================================== */

/**
 * splitmix64 as a counter-based generator: output i of stream @c key is
 * mix64(key + (i + 1) * 0x9e3779b97f4a7c15). The whole state is (key,
 * counter); it is passed explicitly and saved in checkpoints.
 */
typedef struct vsr_train_rng {
    uint64_t key;
    uint64_t counter;
} vsr_train_rng;

/** Stream @p stream of seed @p seed (independent streams for init / data). */
vsr_train_rng vsr_train_rng_make(uint64_t seed, uint64_t stream);
uint64_t vsr_train_rng_next(vsr_train_rng *r);
/** Uniform in [0, 1) with 53 random bits. */
double vsr_train_rng_uniform(vsr_train_rng *r);
/** Uniform integer in [0, n) (n >= 1; multiply-shift, bias < 2^-32). */
int vsr_train_rng_int(vsr_train_rng *r, int n);
/** Standard normal (Box-Muller, both uniforms drawn from @p r). */
double vsr_train_rng_normal(vsr_train_rng *r);

/* ==== weight initialisation ============================================ */

typedef enum vsr_train_init_kind {
    VSR_TRAIN_INIT_GLOROT_UNIFORM = 0, /**< Keras default: U(+-sqrt(6/(fan_in+fan_out))) */
    VSR_TRAIN_INIT_HE_UNIFORM = 1,     /**< U(+-sqrt(6/fan_in)) */
    VSR_TRAIN_INIT_HE_NORMAL = 2,      /**< N(0, 2/fan_in), Keras: truncated at 2 sigma */
    /** PyTorch's Conv2d default, kaiming_uniform(a = sqrt(5)): U(+-1/sqrt(fan_in)) */
    VSR_TRAIN_INIT_TORCH = 3,
} vsr_train_init_kind;

/** The config names of the kinds, by value, NULL-terminated (the option table's enum). */
extern const char *const vsr_train_init_names[];

/**
 * Set every weight of @p g that is not set yet: conv kernels by @p kind
 * with Keras fans (receptive field x in / out channels per group; a
 * depthwise kernel uses Keras DepthwiseConv2D's fans k*k*C and k*k), biases
 * 0, PReLU slopes @p prelu_alpha, LayerNorm / BatchNorm gamma 1, beta 0,
 * BN mean 0, var 1. Already-set weights (fixed ones a builder set, or
 * loaded ones) are left alone. Draws from @p rng in weight order.
 */
int vsr_train_init_weights(vsr_graph *g, vsr_train_init_kind kind, float prelu_alpha,
                           vsr_train_rng *rng, vsr_error *err);

/**
 * Per-parameter learning-rate factors of @p g (np = the number of weight
 * elements, weights in graph order), as a malloc'd array the caller frees
 * (NULL when out of memory): @p in_s on the kernels of convs that read raw
 * pixels (graph inputs, their slices and concats, adds with them),
 * @p out_s on the kernels and biases of convs that write an output through
 * clip, depth-to-space and add only, their product on a conv that does
 * both, 1 elsewhere (the config's optimizer.input_lr_scale and
 * output_lr_scale; docs/TRAINING.md).
 */
float *vsr_train_lr_factors(const vsr_graph *g, size_t np, float in_s, float out_s);

/* ==== the net ========================================================== */

typedef struct vsr_train_net vsr_train_net;

typedef struct vsr_train_net_options {
    int batch;       /**< batch elements (>= 1) */
    int steps;       /**< time steps per element (>= 1; > 1 for recurrent models) */
    int use_double;  /**< 1: evaluate in double (gradient checks) */
    int input_grads; /**< 1: also compute gradients of the graph inputs */
    /** Weights that are not trained (names, NULL-terminated list or NULL).
     * BN ".mean" / ".var" are always frozen. */
    const char *const *frozen;
    /** 1: scalar convolution kernels only (also env VSR_FORCE_SCALAR=1). The x86
     * kernels give the same bits; this is the oracle for tests. */
    int force_scalar;
} vsr_train_net_options;

/**
 * Create a net for @p g (all weights set) at input size h x w. The caller
 * frees *out with vsr_train_net_free().
 */
int vsr_train_net_create(const vsr_graph *g, int h, int w, const vsr_train_net_options *opt,
                         vsr_train_net **out, vsr_error *err);
void vsr_train_net_free(vsr_train_net **net);

/** Total number of weight elements (frozen included) and the float master copy (owned by
 * the net, laid out weight after weight in graph order). */
size_t vsr_train_net_param_count(const vsr_train_net *net);
float *vsr_train_net_params(vsr_train_net *net);
/** 1 if element @p i of the flat parameter vector is trained. */
int vsr_train_net_trainable(const vsr_train_net *net, size_t i);
/** In double mode, the double working copy (edit it for finite differences); else NULL. */
double *vsr_train_net_params_double(vsr_train_net *net);
/** After editing the float master copy: refresh the working copy. */
void vsr_train_net_params_changed(vsr_train_net *net);
/** Offset of graph weight @p i in the flat vector. */
size_t vsr_train_net_weight_offset(const vsr_train_net *net, int i);
/** Write the master copy back into the graph (vsr_graph_set_weight for each). */
int vsr_train_net_store(const vsr_train_net *net, vsr_graph *g, vsr_error *err);

/**
 * Forward pass of slot (b, t). @p inputs[k] is graph input k as float HWC at
 * the net's size (borrowed for the call).
 */
int vsr_train_net_forward(vsr_train_net *net, int b, int t, const float *const *inputs,
                          vsr_error *err);
/** Output @p k of slot (b, t) copied as double into @p dst; *n receives its size. */
int vsr_train_net_output(const vsr_train_net *net, int b, int t, int k, double *dst, size_t *n);
/** Shape of output @p k at the net's size. */
void vsr_train_net_output_shape(const vsr_train_net *net, int k, int *h, int *w, int *c);
/** Same output as float (for feeding a state to the next step). */
int vsr_train_net_output_f(const vsr_train_net *net, int b, int t, int k, float *dst);

/** Zero every per-element gradient (call once per optimisation step). */
void vsr_train_net_zero_grad(vsr_train_net *net);
/**
 * Add @p g (dLoss/dOutput k, output-sized) to slot (b, t)'s output gradient.
 * Output gradients are cleared by vsr_train_net_backward().
 */
int vsr_train_net_add_output_grad(vsr_train_net *net, int b, int t, int k, const double *g);
/** Add graph-input @p k's gradient of slot (b, t) (input_grads) into output @p ko's
 * gradient of slot (b, t - 1): backpropagation through a recurrent state. */
int vsr_train_net_link_state(vsr_train_net *net, int b, int t, int k, int ko);
/** Backward pass of slot (b, t): accumulates weight gradients of element b. */
int vsr_train_net_backward(vsr_train_net *net, int b, int t, vsr_error *err);
/** Gradient of graph input @p k of slot (b, t) (needs input_grads) as double. */
int vsr_train_net_input_grad(const vsr_train_net *net, int b, int t, int k, double *dst);
/** Sum the per-element gradients in batch order; returns the reduced vector (owned by the
 * net, param_count doubles, frozen elements 0). */
const double *vsr_train_net_reduce(vsr_train_net *net);

/* ==== quantisation-aware training ====================================== */

/**
 * Fake quantisation of one value with INT8 parameters (real = scale * (q - zp)):
 * q = nearbyintf(v * (1 / scale)) + zp (round to nearest, ties to even, the
 * engine's vsr__quantize1) saturated to [-128, 127], returned dequantised.
 * *inside (may be NULL) is 1 when q was not saturated: the clipped
 * straight-through estimator passes the gradient there and zeroes it outside.
 */
float vsr_train_fake_quant(float v, float scale, int zp, int *inside);
/**
 * LSQ (Esser et al. 2020): d fq(v; s) / d s of fq = s * clamp(round(v / s), qn, qp)
 * in zero-point-shifted units: round(v/s) - v/s inside, qn below, qp above
 * (multiply by the gradient scale 1 / sqrt(N * qp) when training; `qat.lsq`,
 * docs/TRAINING.md).
 */
double vsr_train_lsq_scale_grad(double v, double s, int qn, int qp);

/**
 * Turn on QAT bookkeeping in a float net: the outputs the INT8 engine stores
 * as int8 (every node except a conv's output the engine fuses into its batch
 * norm / activation, movement ops and FP32-only ops) get tracked ranges and,
 * in quantise mode, fake quantisation under @p scheme with a clipped
 * straight-through gradient; conv kernels are fake quantised as the engine
 * quantises them (symmetric, max|w| / 127 per channel or per conv, folded
 * batch norms included; biases on the s_in * s_w grid). Ranges start unknown:
 * a node is fake quantised once it has one (observe a step first). Freed with
 * the net. -EINVAL for a double net.
 */
int vsr_train_net_qat_enable(vsr_train_net *net, const vsr_quant_scheme *scheme,
                             vsr_error *err);
/** Mode of the next forward passes: @p observe records each slot's min / max of every
 * quantised output, @p quantise fake quantises (nodes with a known range). */
void vsr_train_net_qat_mode(vsr_train_net *net, int observe, int quantise);
/** After a step's forwards (observe mode): fold the slots' min / max, in slot order, into
 * the ranges (the first observation sets them; then lo = ema lo + (1 - ema) min, same for
 * hi, or with @p running the running min / max) and refresh the parameters and the
 * fake-quantised weights. */
void vsr_train_net_qat_update(vsr_train_net *net, double ema, int running);
/** After the master weights changed (an optimizer step): refresh the fake-quantised copy. */
void vsr_train_net_qat_refresh(vsr_train_net *net);
/**
 * LSQ from now on: the activation scales (vsr_train_net_qat_scales()) become parameters,
 * the zero points stay those of the ranges, and backward computes d loss / d scale by
 * vsr_train_lsq_scale_grad() times 1 / sqrt(N Qp) (N the tensor's elements, Qp =
 * 127 - zp) per slot. Needs every range (-EINVAL) and a scheme without pow2.
 */
int vsr_train_net_qat_lsq_start(vsr_train_net *net, vsr_error *err);
/** The per-node activation scales (n_nodes floats, owned by the net; LSQ updates them in
 *  place, then call vsr_train_net_qat_refresh()); NULL without QAT. */
float *vsr_train_net_qat_scales(vsr_train_net *net);
/** LSQ: the scale gradients of the last backward passes, summed over the slots in order,
 *  into @p g (n_nodes doubles; 0 for nodes without a learned scale). */
void vsr_train_net_qat_lsq_grads(const vsr_train_net *net, double *g);
/** 1 when every quantised output has a range. */
int vsr_train_net_qat_ready(const vsr_train_net *net);
/** Set / read the tracked range of node @p t (and its parameters). -EINVAL / -ENOENT. */
int vsr_train_net_qat_set_range(vsr_train_net *net, int t, float lo, float hi);
int vsr_train_net_qat_range(const vsr_train_net *net, int t, float *lo, float *hi, float *scale,
                            int *zp);
/**
 * Give @p g (the net's graph or one of the same op sequence) the scheme and fixed INT8
 * parameters (vsr_graph_set_quant()) for every tensor: a quantised output its tracked
 * range's; any other (movement ops, fused convs: the engine does not store them) those of
 * its nearest input with one. vsr_weights_save_quant() then writes them to the .vsrw.
 */
int vsr_train_net_qat_store(const vsr_train_net *net, vsr_graph *g, vsr_error *err);

/* ==== losses ============================================================ */

typedef enum vsr_train_loss {
    VSR_TRAIN_LOSS_L1 = 0,
    VSR_TRAIN_LOSS_CHARBONNIER = 1, /**< sqrt(d^2 + eps^2), eps = 1e-3 (on [0,1] values) */
    VSR_TRAIN_LOSS_L2 = 2,
} vsr_train_loss;

/** The config names of the losses, by value, NULL-terminated ("mse" is an alias of l2). */
extern const char *const vsr_train_loss_names[];
const char *vsr_train_loss_name(vsr_train_loss l);

/**
 * Sum over @p n elements of loss(y/255 - t/255) (values on the 0..255 scale
 * compared on the [0,1] scale); when @p grad is not NULL, adds
 * d(sum)/dy * @p gscale to grad[i]. Returns the sum.
 */
double vsr_train_loss_eval(vsr_train_loss l, const double *y, const float *t, size_t n,
                           double *grad, double gscale);

/* ==== Adam and schedules ================================================= */

typedef enum vsr_train_sched_kind {
    VSR_TRAIN_SCHED_CONSTANT = 0,
    VSR_TRAIN_SCHED_COSINE = 1, /**< lr_min + (lr - lr_min)(1 + cos(pi t / T)) / 2 */
    VSR_TRAIN_SCHED_STEP = 2,   /**< lr * gamma^floor(t / step_size) */
} vsr_train_sched_kind;

typedef struct vsr_train_sched {
    vsr_train_sched_kind kind;
    double lr, lr_min;
    long total_steps; /**< cosine period T */
    long step_size;   /**< step schedule */
    double gamma;
} vsr_train_sched;

/** The config names of the schedules, by value, NULL-terminated. */
extern const char *const vsr_train_sched_names[];
/** Learning rate at step @p t (0-based). */
double vsr_train_sched_lr(const vsr_train_sched *s, long t);

/** Adam (Kingma & Ba, bias-corrected), state owned by the struct. */
typedef struct vsr_train_adam {
    size_t n;
    double beta1, beta2, eps;
    long t;   /**< steps taken */
    float *m; /**< first moments (n) */
    float *v; /**< second moments (n) */
    /** Per-element learning-rate factors (n), or NULL for 1 everywhere. Borrowed: the
     * caller owns it and keeps it alive while stepping. */
    const float *lr_scale;
} vsr_train_adam;

int vsr_train_adam_init(vsr_train_adam *a, size_t n, double beta1, double beta2, double eps,
                        vsr_error *err);
void vsr_train_adam_free(vsr_train_adam *a);
/**
 * One step at learning rate @p lr: for every i with mask[i] (NULL = all),
 * m = b1 m + (1-b1) g, v = b2 v + (1-b2) g^2,
 * p -= lr * s_i * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps), with
 * s_i = lr_scale[i] (1 when lr_scale is NULL).
 */
void vsr_train_adam_step(vsr_train_adam *a, float *params, const double *grad,
                         const unsigned char *mask, double lr);

/* ==== checkpoints ======================================================= */

/**
 * A key/value record + named float tensors, written in the engine's
 * weights file container (VSRW v1, CRC-32) so vsr_weights_open() reads it.
 * Written by vsr_weights_write() (never half-written); each blob is a 1-D
 * tensor of 1 to 2^24 elements.
 */
typedef struct vsr_train_blob {
    const char *name;
    const float *data;
    size_t count;
} vsr_train_blob;

int vsr_train_write_vsrw(const char *path, const char *model, const char *const *meta_kv,
                         int n_meta, const vsr_train_blob *blobs, int n_blobs, vsr_error *err);

/* ==== patch sampler ====================================================== */

/**
 * The sampler keeps whole clips (GT + BI LR, 8-bit) in memory and cuts
 * random aligned LR/HR patches: uniform clip, uniform time, uniform
 * position, then with probability 1/2 each a horizontal flip, a vertical
 * flip and a transpose (BasicSR's augment), applied to every frame of the
 * window. Temporal windows follow the model's interface
 * (vsr_models_window: edge replication at clip ends); recurrent models get
 * @c steps consecutive windows.
 */
typedef struct vsr_train_sampler vsr_train_sampler;

/**
 * Load every clip of the Vid4-layout dataset at @p root (GT/ and BIx<scale>/)
 * into memory. @p temporal is an enum vsr_models_temporal value.
 */
int vsr_train_sampler_create(const char *root, int scale, int temporal, vsr_train_sampler **out,
                             vsr_error *err);
void vsr_train_sampler_free(vsr_train_sampler **s);
int vsr_train_sampler_clip_count(const vsr_train_sampler *s);
/** Channels of the per-step LR input (3, 6 or 9). */
int vsr_train_sampler_in_channels(const vsr_train_sampler *s);
/**
 * Draw one training example of @p steps time steps with LR patch p x p:
 * lr[t] gets p*p*in_channels floats (0..255, window frames in channel
 * order prev|cur|next), hr[t] gets (p*scale)^2*3 floats (the GT of the
 * centre frame). Caller-allocated arrays of @p steps pointers.
 */
int vsr_train_sampler_draw(const vsr_train_sampler *s, vsr_train_rng *rng, int p, int steps,
                           float *const *lr, float *const *hr, vsr_error *err);

/* ==== the training loop =================================================== */

/**
 * Everything `vsrbench train` runs, read from the YAML config (see
 * configs/train_elsr.yaml for the annotated keys). Strings are owned by the
 * struct (vsr_train_config_free()).
 */
typedef struct vsr_train_config {
    char *name;
    char *model; /**< zoo entry */
    /** `hyperparameters: {F: 24}` (or --set hyperparameters.F=24): overrides of the
     *  entry's, spelled as in a run config's model entry (vsr_models_hparams_apply(),
     *  checked when the config loads); keys and values owned, in config order. */
    vsr_models_kv *hparams;
    int n_hparams;
    char *data_dir; /**< NULL = vsr_demo_default_dir() */
    char *out_dir;  /**< checkpoints and loss.tsv */
    char *db;       /**< run log path (NULL: the CLI uses ./runs.db; --no-db: none) */
    long seed;
    int threads;
    int patch; /**< LR patch edge */
    int batch;
    int seq; /**< time steps per example (recurrent models) */
    long steps;
    vsr_train_loss loss;
    vsr_train_sched sched;
    double beta1, beta2, eps;
    /** Learning-rate factor of the kernels of convs that read raw pixels (graph inputs,
     * their slices / concats and what adds them); see docs/TRAINING.md. */
    double input_lr_scale;
    /** Factor on the kernels and biases of convs that write the output in 0..255 units
     * through clip, depth-to-space and add only (a [0, 1] net folded x255: 255). */
    double output_lr_scale;
    vsr_train_init_kind init;
    int identity_init; /**< 1: then the family's identity init (vsr_models_identity_init()) */
    double prelu_alpha;
    long ckpt_every;
    long val_every;
    int val_frames; /**< frames per demo clip used for validation (0 = all) */
    long log_every;
    int output_clip_ste; /**< 1: the final clip of the graph passes gradients (STE) */
    /** A .vsrw to start from (`init_weights:`): its weights replace the random init;
     *  weights it lacks are an error. NULL = random init. */
    char *init_weights;
    /** 1: elements exactly 0 in init_weights are not trained (`init_keep_zeros:`; pruned
     *  weights stay pruned through a fine-tune or QAT). */
    int init_keep_zeros;
    /** `qat:` section: quantisation-aware training (docs/TRAINING.md). */
    int qat;          /**< qat.enable */
    char *qat_scheme; /**< qat.scheme: an int8 precision label (int8, int8-sym, ...) */
    long qat_start;   /**< qat.start_step: observe only before this step */
    long qat_freeze;  /**< qat.freeze_ranges_after: ranges fixed from this step (0: never) */
    double qat_ema;   /**< qat.ema: range momentum */
    int qat_ranges;   /**< qat.ranges: 0 EMA, 1 running min / max */
    int qat_lsq;      /**< qat.lsq: learned activation scales from qat_freeze on */
    char *text;       /**< the YAML file as read (before overrides), for the run log */
} vsr_train_config;

/**
 * Read @p path and apply "key.path=value" overrides (the value is YAML, as
 * `vsrbench run --set` takes it). Errors are one line: "PATH:LINE: KEY: ..."
 * or "--set ARG: KEY: ...", an unknown key with the nearest known one.
 */
int vsr_train_config_load(const char *path, const char *const *sets, int n_sets,
                          vsr_train_config *out, vsr_error *err);
void vsr_train_config_free(vsr_train_config *c);
/** The config keys with their types, defaults and ranges, for --help. */
void vsr_train_config_help(FILE *f);
/** The resolved config, one "key=value" line per key in table order. */
void vsr_train_config_write(FILE *f, const vsr_train_config *c);

/** Progress callback of vsr_train_run (may be NULL). */
typedef struct vsr_train_progress {
    long step, steps;
    double loss; /**< mean loss of this step */
    double lr;
    double steps_per_s;
    double val_psnr; /**< NaN unless validated at this step */
} vsr_train_progress;

typedef struct vsr_train_hooks {
    void (*progress)(void *ctx, const vsr_train_progress *p);
    void *ctx;
    int stop_after; /**< > 0: stop (as if interrupted) after this many steps of this call */
    /**
     * Called once before the first step (may be NULL). @p start_step is where
     * training continues (0 for a fresh run, the checkpoint's step on resume;
     * loss.tsv then holds exactly the rows 1..start_step), @p bicubic_psnr the
     * bicubic Y-PSNR on the validation clips (NaN when not measured: on resume).
     * A negative return stops the run before any step and is returned (the
     * callee fills @p err).
     */
    int (*start)(void *ctx, long start_step, double bicubic_psnr, vsr_error *err);
    /**
     * Called after every step with that step's point (val_psnr NaN unless
     * validated at this step; steps_per_s over this call), after its loss.tsv
     * row and before the checkpoint of that step, if any (may be NULL).
     * @p flush is 1 at log_every intervals, validation steps, checkpoint steps
     * and the last step of the call: a logger that buffers points should commit
     * them then (so whatever is checkpointed is also logged). Return 0 to go on;
     * > 0 to stop after this step as if interrupted (its checkpoint is written;
     * vsr_train_run returns 0); < 0 to fail (@p err filled): the checkpoint of
     * this step is still written, so no training is lost, then the error is
     * returned (a checkpoint failure then replaces it).
     */
    int (*record)(void *ctx, const vsr_train_progress *p, int flush, vsr_error *err);
    /**
     * Weight constraint of a fine-tune (may be NULL; `vsrbench compress` keeps
     * pruned weights at 0 and clustered weights tied with it). @p start_weights,
     * called once after the init (before any checkpoint is resumed), sets the
     * weights of @p g to start from (the zoo graph at the patch size);
     * @p constrain_grad edits the reduced gradient (@p n doubles, the layout of
     * vsr_train_net_params()) before every optimizer step. Both may be NULL.
     */
    int (*start_weights)(void *ctx, vsr_graph *g, vsr_error *err);
    void (*constrain_grad)(void *ctx, double *grad, size_t n);
} vsr_train_hooks;

/**
 * Train as configured: build the zoo graph at the patch size, init weights
 * (or, with @p resume and a checkpoint in out_dir, continue exactly from
 * it), sample patches from <data_dir>/demo_train (built if absent),
 * validate on <data_dir>/demo with the inference engine, write
 * <out_dir>/<name>.vsrw (+ .opt.vsrw with Adam state, step and PRNG
 * counters) every ckpt_every steps and at the end, and append
 * "step loss lr val_psnr" lines to <out_dir>/loss.tsv. @p pool may be NULL.
 */
int vsr_train_run(const vsr_train_config *cfg, int resume, pthreadpool_t pool,
                  const vsr_train_hooks *hooks, vsr_error *err);

#ifdef __cplusplus
}
#endif
#endif /* VSR_TRAIN_H */
