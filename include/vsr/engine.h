/**
 * @file engine.h
 * @brief The shared pure-C inference engine: graph IR (built in FP32 terms),
 *        FP32 / FP16 / INT8 execution, INT8 calibration, counting, and the
 *        project's weights file format.
 *
 * USAGE
 *
 *     vsr_graph *g = NULL;
 *     vsr_graph_create("abpn", &g, err);
 *     int x = vsr_graph_input(g, "x", 180, 320, 3, err);
 *     vsr_conv_params cp = vsr_conv_default(28, 3);   // 3x3 -> 28 channels
 *     cp.act.type = VSR_ACT_RELU;
 *     int t = vsr_graph_conv2d(g, "conv_in", x, &cp, err);
 *     ...
 *     vsr_graph_output(g, "sr", y, err);
 *     vsr_weights_load(g, "abpn.vsrw", err);          // or vsr_graph_set_weight()
 *     vsr_engine *e = NULL;
 *     vsr_engine_create(g, VSR_PREC_FP16, pool, NULL, &e, err);
 *     vsr_engine_set_input_frame(e, 0, &lr, err);
 *     vsr_engine_run(e, err);
 *     vsr_engine_get_output_frame(e, 0, &sr, err);
 *
 * CONVENTIONS
 *
 * Errors: every fallible function returns 0 (or a non-negative id) on success
 * and a negative errno code on failure, filling @p err (may be NULL) with one
 * line that names the layer, tensor or file ("conv_body[2]: input has 16
 * channels, weight expects 28").
 *
 * Sticky builder errors: a builder call that receives a negative tensor id
 * returns that same code at once without touching the graph, so a model
 * builder may chain calls and check once at the end. The first error is
 * also remembered by the graph (vsr_graph_status()).
 *
 * Layout: activations are HWC (NHWC with batch 1), channel fastest. Every
 * tensor is three-dimensional (H, W, C); a vector is 1 x 1 x C.
 *
 * Tensor ids: every op produces exactly one tensor; its id is a small
 * non-negative int, valid for the graph that returned it.
 *
 * Names: every op and graph input has a unique name (<= 63 chars). Weights
 * are named "<layer>.<role>": ".weight", ".bias", ".alpha" (PReLU slopes),
 * ".gamma", ".beta", ".mean", ".var" (BN / LayerNorm).
 *
 * Weight layouts (float32, the importers convert to these):
 *  - conv2d ".weight": HWIO = [kh][kw][Cin/groups][Cout], Cout fastest; this
 *    is TF/Keras Conv2D's native layout. For groups > 1, output channel o
 *    belongs to group o / (Cout/groups) and reads input channels
 *    [g*Cin/groups, (g+1)*Cin/groups) (contiguous groups, as in TF and
 *    PyTorch). A depthwise conv (groups = Cin = Cout) is [kh][kw][1][C],
 *    which is also the memory order of TF DepthwiseConv2D (multiplier 1).
 *  - ".bias", ".alpha", ".gamma", ".beta", ".mean", ".var": [C].
 *
 * Spatial rules: convolutions use TF "SAME" zero padding: out = ceil(in /
 * stride), k_eff = (k-1)*dilation+1, total pad = max((out-1)*stride + k_eff
 * - in, 0), top/left gets total/2 (so symmetric for odd kernels, stride 1).
 * A graph is built at a nominal input size; the engine re-infers shapes for
 * any other input size (all graph inputs share H and W).
 *
 * Threads: the engine never creates threads. The caller creates a
 * pthreadpool and passes it in; NULL runs on the calling thread. The pool
 * must outlive the engine. How the pool's workers wait between ops is
 * vsr_engine_options.wait (vsr_wait_policy; docs/PERFORMANCE.md has the
 * measurements behind the default).
 */
#ifndef VSR_ENGINE_H
#define VSR_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <pthreadpool.h>

#include "vsr/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Maximum length of a layer / tensor / weight name, including the NUL. */
#define VSR_NAME_MAX 64

typedef struct vsr_graph vsr_graph;
typedef struct vsr_engine vsr_engine;
typedef struct vsr_calib vsr_calib;
typedef struct vsr_weights vsr_weights;

/* ==== precisions ==================================================== */

/**
 * Execution precision.
 *
 * VSR_PREC_FP32: the reference.
 *
 * VSR_PREC_FP16: every activation is stored as IEEE binary16 (round to
 * nearest even, overflow to +-inf), every weight and bias is rounded to
 * binary16 once at engine creation, and each op rounds its output to
 * binary16. Products and sums inside an op (conv, matmul, layer norm, pools,
 * softmax) accumulate in FP32. Whole-image reductions (the AFA K^T Q sum over
 * H*W pixels, global pooling) always accumulate in FP32.
 *
 * VSR_PREC_INT8: the TFLite / XNNPACK scheme. Weights int8, symmetric, one
 * scale per output channel (zero point 0); activations int8, asymmetric, one
 * (scale, zero point) per tensor; bias int32 with scale s_in*s_w[o];
 * accumulators int32; requantization by a Q31 fixed-point multiplier and a
 * right shift (one 64-bit rounding, ties away from zero) then saturation to
 * [-128, 127]; ReLU / clip fused as clamps. Add, mul and concat rescale their
 * inputs to the output's parameters: dequantize, compute in FP32, requantize
 * with round-to-nearest-even and saturation (concat through a 256-entry
 * table of that mapping). This is not TFLite's fixed-point add, so an add can
 * differ from TFLite by one step. Data-movement ops (slice, depth to
 * space, channel shuffle, nearest resize) stay int8 and keep their input's
 * parameters. Sigmoid, GELU, leaky ReLU, PReLU, softmax, layer norm,
 * bilinear resize, global pooling and the AFA matmuls dequantize, compute in
 * FP32 and requantize (round to nearest, ties to even); a conv with a fused
 * sigmoid / leaky / PReLU applies it in FP32 to the dequantized accumulator.
 * Quantization parameters come from vsr_calib_* or vsr_graph_set_quant().
 * That is the default vsr_quant_scheme; per-tensor weights, symmetric
 * activations, uint8 storage and power-of-two scales are chosen per graph
 * (vsr_graph_set_quant_scheme()) and change only the parameters.
 *
 * VSR_PREC_FP16N ("fp16n", native FP16): VSR_PREC_FP16 storage and ops,
 * except that dense stride-1 convs whose fused epilogue is none / ReLU /
 * clip do binary16 arithmetic: every multiply-add is one fused operation
 * rounded to binary16 (round to nearest even), in the order bias, ky, kx,
 * ci. With AVX512-FP16 that is vfmadd231ph (about twice the throughput of
 * VSR_PREC_FP16); on any other CPU (or with force_scalar /
 * VSR_FORCE_SCALAR=1) the scalar twin computes the same operation exactly
 * (the product and sum in binary64, one rounding to binary16 through round
 * to odd) and gives bit-identical outputs, but is much slower than
 * VSR_PREC_FP16 there. The accumulation error grows with Cin*kh*kw (see
 * docs/PERFORMANCE.md). The same as VSR_PREC_FP16 with
 * vsr_engine_options.fp16_native = 1.
 */
typedef enum vsr_precision {
    VSR_PREC_FP32 = 0,
    VSR_PREC_FP16 = 1,
    VSR_PREC_INT8 = 2,
    VSR_PREC_FP16N = 3,
} vsr_precision;

/** "fp32", "fp16", "int8", "fp16n". */
const char *vsr_precision_name(vsr_precision p);
/** Parse "fp32" / "fp16" / "fp16n" / "int8" (case-insensitive). -EINVAL otherwise. */
int vsr_precision_parse(const char *s, vsr_precision *out, vsr_error *err);

/* ==== graph building ================================================ */

/** Op kinds, as reported in the per-layer table. */
typedef enum vsr_op_type {
    VSR_OP_INPUT = 0,
    VSR_OP_CONV2D,
    VSR_OP_RELU,
    VSR_OP_LEAKY_RELU,
    VSR_OP_PRELU,
    VSR_OP_GELU,
    VSR_OP_SIGMOID,
    VSR_OP_CLIP,
    VSR_OP_ADD,
    VSR_OP_MUL,
    VSR_OP_SCALE, /**< y = a*x + b, constants */
    VSR_OP_CONCAT,
    VSR_OP_SLICE,
    VSR_OP_CHANNEL_SHUFFLE,
    VSR_OP_DEPTH_TO_SPACE,
    VSR_OP_RESIZE_BILINEAR,
    VSR_OP_RESIZE_NEAREST,
    VSR_OP_LAYER_NORM,
    VSR_OP_BATCH_NORM,
    VSR_OP_GLOBAL_AVG_POOL,
    VSR_OP_GLOBAL_STD_POOL,
    VSR_OP_SOFTMAX,
    VSR_OP_MATMUL_TN,     /**< S[i][j] = alpha * sum_p K[p][i] Q[p][j] */
    VSR_OP_MATMUL_PIXELS, /**< Y[p][j] = sum_i V[p][i] A[i][j] */
    VSR_OP_COUNT_
} vsr_op_type;

/** Short op name ("conv2d", "depth_to_space", ...). */
const char *vsr_op_name(vsr_op_type t);

/** Activation fused into a conv (or applied by vsr_graph_activation()). */
typedef enum vsr_act_type {
    VSR_ACT_NONE = 0,
    VSR_ACT_RELU,       /**< max(x, 0) */
    VSR_ACT_LEAKY_RELU, /**< x >= 0 ? x : alpha*x */
    VSR_ACT_PRELU,      /**< x >= 0 ? x : a[c]*x, slopes in weight "<layer>.alpha" */
    VSR_ACT_CLIP,       /**< min(max(x, lo), hi) */
    VSR_ACT_SIGMOID,    /**< 1/(1+exp(-x)) */
} vsr_act_type;

typedef struct vsr_act {
    vsr_act_type type;
    float alpha;      /**< leaky slope */
    float lo, hi;     /**< clip bounds */
    int prelu_shared; /**< PReLU: 1 = one slope for all channels, 0 = one per channel */
} vsr_act;

/** 2-D convolution parameters. Use vsr_conv_default() then edit. */
typedef struct vsr_conv_params {
    int cout;     /**< output channels */
    int kh, kw;   /**< kernel size (any >= 1) */
    int stride;   /**< same in both axes, >= 1 */
    int dilation; /**< same in both axes, >= 1 */
    int groups;   /**< 1 = dense; Cin = Cout = groups is depthwise */
    int bias;     /**< 1 = has "<layer>.bias" */
    vsr_act act;  /**< fused activation */
} vsr_conv_params;

/** cout channels, k x k kernel, stride 1, dilation 1, groups 1, bias on, no activation. */
vsr_conv_params vsr_conv_default(int cout, int k);

/**
 * Create an empty graph named @p name (the model name, used in messages and
 * the weights file). The caller owns *out and frees it with vsr_graph_free().
 */
int vsr_graph_create(const char *name, vsr_graph **out, vsr_error *err);
/** Free a graph and everything it owns (weights included); sets *g = NULL. NULL-safe. */
void vsr_graph_free(vsr_graph **g);
/** The graph's name (owned by the graph). */
const char *vsr_graph_name(const vsr_graph *g);
/** The first builder error (0 if none); copies its message into @p err. */
int vsr_graph_status(const vsr_graph *g, vsr_error *err);

/**
 * Graph metadata: key/value hyperparameters (e.g. "F" = "16") that the
 * weights file stores in its header. Strings are copied. Setting an existing
 * key replaces its value.
 */
int vsr_graph_set_meta(vsr_graph *g, const char *key, const char *value, vsr_error *err);
/** Value of @p key, or NULL. Borrowed; valid until the key is set again or the graph freed. */
const char *vsr_graph_get_meta(const vsr_graph *g, const char *key);

/**
 * Declare a graph input of nominal size h x w x c (float HWC). Inputs are
 * numbered 0, 1, ... in declaration order. Its value range defaults to
 * [0, 255] (used to convert uint8 frames and as the INT8 range hint).
 * Returns the tensor id.
 */
int vsr_graph_input(vsr_graph *g, const char *name, int h, int w, int c, vsr_error *err);

/**
 * Mark tensor @p t as a graph output named @p name. Outputs are numbered 0,
 * 1, ... in the order they are marked. Returns the output index.
 */
int vsr_graph_output(vsr_graph *g, const char *name, int t, vsr_error *err);

/** Number of graph inputs / outputs. */
int vsr_graph_input_count(const vsr_graph *g);
int vsr_graph_output_count(const vsr_graph *g);
/** Input @p i: name (borrowed), nominal h x w x c, tensor id. Any out pointer may be NULL. */
int vsr_graph_input_info(const vsr_graph *g, int i, const char **name, int *h, int *w, int *c,
                         int *tensor);
/** Output @p i: name (borrowed) and tensor id. */
int vsr_graph_output_info(const vsr_graph *g, int i, const char **name, int *tensor);
/** Nominal shape of tensor @p t (at the declared input size). */
int vsr_graph_tensor_shape(const vsr_graph *g, int t, int *h, int *w, int *c);

/**
 * Declare the known value range of a tensor (inputs, or outputs of a clip).
 * INT8 then uses it instead of calibration statistics, unless explicit
 * parameters were given with vsr_graph_set_quant().
 */
int vsr_graph_set_range(vsr_graph *g, int t, float lo, float hi, vsr_error *err);

/* Ops. Each returns the new tensor id (>= 0) or a negative errno. @p name
 * names the layer; its shape is inferred at once and a mismatch is an error
 * naming the layer. */

/** Convolution; needs weights "<name>.weight" (HWIO) and, if p->bias, "<name>.bias". */
int vsr_graph_conv2d(vsr_graph *g, const char *name, int x, const vsr_conv_params *p,
                     vsr_error *err);
/** Standalone activation (relu, leaky, prelu, clip, sigmoid). PReLU needs "<name>.alpha". */
int vsr_graph_activation(vsr_graph *g, const char *name, int x, const vsr_act *act,
                         vsr_error *err);
int vsr_graph_relu(vsr_graph *g, const char *name, int x, vsr_error *err);
int vsr_graph_leaky_relu(vsr_graph *g, const char *name, int x, float alpha, vsr_error *err);
/** PReLU with "<name>.alpha" of C values (shared = 0) or 1 value (shared = 1). */
int vsr_graph_prelu(vsr_graph *g, const char *name, int x, int shared, vsr_error *err);
/** Exact GELU: 0.5*x*(1+erf(x/sqrt(2))). */
int vsr_graph_gelu(vsr_graph *g, const char *name, int x, vsr_error *err);
int vsr_graph_sigmoid(vsr_graph *g, const char *name, int x, vsr_error *err);
int vsr_graph_clip(vsr_graph *g, const char *name, int x, float lo, float hi, vsr_error *err);

/**
 * Elementwise a + b / a * b. Shapes must match, except that @p b may
 * broadcast: b with 1 channel (H x W x 1, repeated over a's channels) or b of
 * 1 x 1 x C (a per-channel vector, repeated over pixels).
 */
int vsr_graph_add(vsr_graph *g, const char *name, int a, int b, vsr_error *err);
int vsr_graph_mul(vsr_graph *g, const char *name, int a, int b, vsr_error *err);
/** y = a*x + b with constants a, b (e.g. the 1/sqrt(3) of AFA). */
int vsr_graph_scale(vsr_graph *g, const char *name, int x, float a, float b, vsr_error *err);

/** Concatenate @p n tensors (same H, W) along channels, in the given order. */
int vsr_graph_concat(vsr_graph *g, const char *name, int n, const int *xs, vsr_error *err);
/** Channels [c0, c1) of x. */
int vsr_graph_slice(vsr_graph *g, const char *name, int x, int c0, int c1, vsr_error *err);
/**
 * Split x along channels into @p n parts of sizes[i] (must sum to C); the
 * part tensors are written to out_ids[i] and named "<name>:<i>". Returns 0.
 */
int vsr_graph_split(vsr_graph *g, const char *name, int x, int n, const int *sizes,
                    int *out_ids, vsr_error *err);
/** ShuffleNet shuffle: C -> (groups, C/groups) -> transpose -> flatten. */
int vsr_graph_channel_shuffle(vsr_graph *g, const char *name, int x, int groups,
                              vsr_error *err);
/**
 * TF depth_to_space, DCR order: out[h*r+i][w*r+j][c] = in[h][w][(i*r+j)*Cout + c],
 * Cout = C / r^2.
 */
int vsr_graph_depth_to_space(vsr_graph *g, const char *name, int x, int r, vsr_error *err);
/**
 * Bilinear resize by integer @p factor, TF2 tf.image.resize default (half
 * pixel centres, no antialias): src = (dst + 0.5)/factor - 0.5, clamped to
 * [0, size-1] per axis, two taps per axis.
 */
int vsr_graph_resize_bilinear(vsr_graph *g, const char *name, int x, int factor,
                              vsr_error *err);
/** Nearest resize by integer factor: out[y][x] = in[y/f][x/f]. */
int vsr_graph_resize_nearest(vsr_graph *g, const char *name, int x, int factor, vsr_error *err);
/**
 * Layer norm over the channels of each pixel: y = gamma*(x-mu)/sqrt(var+eps) +
 * beta, population variance. Weights "<name>.gamma", "<name>.beta" [C].
 */
int vsr_graph_layer_norm(vsr_graph *g, const char *name, int x, float eps, vsr_error *err);
/**
 * Inference batch norm: y = gamma*(x-mean)/sqrt(var+eps) + beta; weights
 * "<name>.gamma/.beta/.mean/.var" [C]. When x is the output of a conv2d
 * with no fused activation and no other consumer, the engine folds it into
 * that conv at creation (the counts report both: params with BN = 4C
 * (Keras) and params after folding).
 */
int vsr_graph_batch_norm(vsr_graph *g, const char *name, int x, float eps, vsr_error *err);
/** Mean over H x W per channel -> 1 x 1 x C (the engine accumulates whole-image sums in FP64).
 */
int vsr_graph_global_avg_pool(vsr_graph *g, const char *name, int x, vsr_error *err);
/** Population standard deviation over H x W per channel -> 1 x 1 x C (CCA "contrast"). */
int vsr_graph_global_std_pool(vsr_graph *g, const char *name, int x, vsr_error *err);
/** Softmax over the channel (last) axis of each pixel / row. Computed in FP32. */
int vsr_graph_softmax(vsr_graph *g, const char *name, int x, vsr_error *err);
/**
 * AFA scores: K (H x W x Ck) and Q (H x W x Cq), viewed as [HW x Ck] and
 * [HW x Cq]: S[i][j] = alpha * sum_p K[p][i] * Q[p][j], a 1 x Ck x Cq tensor
 * (row i = W index, j = channel), so vsr_graph_softmax() normalises over j.
 * MACs: H*W*Ck*Cq. The sum always accumulates in FP32.
 */
int vsr_graph_matmul_tn(vsr_graph *g, const char *name, int k, int q, float alpha,
                        vsr_error *err);
/**
 * AFA output: V (H x W x Cv) times A (1 x Cv x Cq): Y[p][j] = sum_i V[p][i]
 * A[i][j], an H x W x Cq tensor. MACs: H*W*Cv*Cq.
 */
int vsr_graph_matmul_pixels(vsr_graph *g, const char *name, int v, int a, vsr_error *err);

/* ==== weights on the graph ========================================== */

/**
 * Copy @p count floats into weight @p name ("<layer>.<role>"). The count must
 * equal the weight's size (the layer's shape fixes it); NaN or inf is an
 * error naming the layer and the element index.
 */
int vsr_graph_set_weight(vsr_graph *g, const char *name, const float *data, size_t count,
                         vsr_error *err);
/**
 * Read a weight back. *data is borrowed (owned by the graph) and stays valid
 * until that weight is set again or the graph is freed; it is NULL (and
 * *count the expected size) when the weight has not been set yet.
 */
int vsr_graph_get_weight(const vsr_graph *g, const char *name, const float **data,
                         size_t *count, vsr_error *err);

/** Description of one weight tensor of the graph. Strings borrowed from the graph. */
typedef struct vsr_weight_info {
    const char *name;
    int ndim;
    int dims[4]; /**< e.g. HWIO for conv weights */
    size_t count;
    int is_set;
} vsr_weight_info;

/** Number of weight tensors the graph needs (in layer order). */
int vsr_graph_weight_count(const vsr_graph *g);
/** Info on weight @p i (0 <= i < vsr_graph_weight_count()). */
int vsr_graph_weight_info(const vsr_graph *g, int i, vsr_weight_info *info);
/** 0 when every weight is set, else -EINVAL naming the first missing one. */
int vsr_graph_check_weights(const vsr_graph *g, vsr_error *err);

/* ==== INT8 quantization parameters =================================== */

/**
 * Give tensor @p t fixed INT8 parameters (real = scale * (q - zero_point)),
 * e.g. from an imported INT8 TFLite model. Calibration will not change them.
 */
int vsr_graph_set_quant(vsr_graph *g, int t, float scale, int zero_point, vsr_error *err);
/** Read a tensor's INT8 parameters; -ENOENT when it has none yet. */
int vsr_graph_get_quant(const vsr_graph *g, int t, float *scale, int *zero_point,
                        vsr_error *err);
/**
 * Give conv layer @p layer fixed per-output-channel weight scales (@p n =
 * Cout). The engine then quantizes weight w to round(w / scale[o]) clamped to
 * [-127, 127]; a float weight set from an int8 model as q*scale[o] thus
 * round-trips exactly. Without this, scale[o] = max|w[o]| / 127.
 */
int vsr_graph_set_weight_scales(vsr_graph *g, const char *layer, const float *scales, int n,
                                vsr_error *err);

/**
 * Give @p dst every fixed INT8 parameter (vsr_graph_set_quant()) and weight
 * scale of @p src, tensor by tensor: both graphs must have the same op
 * sequence (the same op, input count and channel count at every tensor, as
 * a zoo graph and the INT8 TFLite file of the same architecture imported
 * with use_quant), else -EINVAL naming the first tensor that differs.
 * Returns the number of tensors given parameters (>= 0) or a negative errno.
 */
int vsr_graph_copy_quant(const vsr_graph *src, vsr_graph *dst, vsr_error *err);
/** The first tensor without fixed INT8 parameters, or -1 when every tensor has them. */
int vsr_graph_quant_missing(const vsr_graph *g);
/**
 * Forget every INT8 parameter (fixed or calibrated) and weight scale, so
 * that the next calibration computes all of them (declared ranges and the
 * scheme, vsr_graph_set_quant_scheme(), stay).
 */
void vsr_graph_clear_quant(vsr_graph *g);

/* ==== folding passes ================================================= */
/*
 * Weight rewrites that make a graph compute a fixed map of its input or
 * output without an op for it (the deployment form: a [0, 1] network's /255
 * into its first conv, its x255 into its last). Each runs on a graph whose
 * weights are set, forgets INT8 parameters (vsr_graph_clear_quant()) and,
 * when @p log is not NULL, appends "what into which layer" notes to it
 * (@p cap bytes, NUL-terminated, "; "-separated). Errors are -EINVAL (bad
 * arguments, weights not set) or -ENOTSUP naming the node that prevents
 * the fold; the graph is unchanged then.
 */

/** Rewrite weights only: keep declared ranges and clip bounds (for weights of the unfolded
 *  network loaded into a graph built in the folded form). */
#define VSR_FOLD_WEIGHTS_ONLY 1u

/**
 * Afterwards the graph computes on r what it computed on
 * x = scale[c] * r + offset[c] (C = the input's channels): each conv reading
 * input @p input gets its kernel scaled per input channel and, for an
 * offset, its bias += sum of the kernel x offset. Every consumer of the
 * input must be a conv (a raw-input residual or concat cannot fold). Exact
 * to float rounding for any scale; an offset is exact in the interior only:
 * within a conv's zero padding (k/2 pixels of the frame edge) the padded
 * zeros stood for x = 0 before and stand for x = offset after. The input's
 * declared range is mapped back through the first channel's scale.
 * @p offset may be NULL (no offset).
 */
int vsr_graph_fold_input_affine(vsr_graph *g, int input, const float *scale,
                                const float *offset, unsigned flags, char *log, size_t cap,
                                vsr_error *err);

/**
 * Afterwards the graph takes input @p input with its channels permuted:
 * new channel perm[c] carries what channel c carried (BGR <-> RGB: perm
 * {2, 1, 0}). The permutation moves the input-channel rows of every
 * dense conv reading the input (exact); all consumers must be dense convs.
 */
int vsr_graph_fold_input_order(vsr_graph *g, int input, const int *perm, char *log, size_t cap,
                               vsr_error *err);

/**
 * Afterwards output @p output is scale * y + offset: folded back through
 * clips (bounds mapped; scale > 0), depth_to_space and adds (the offset into
 * the first operand) into the convs that produce it (kernel x scale, bias x
 * scale + offset; a fused ReLU or clip with scale > 0). Every node on that
 * path must feed only the path. Exact to float rounding.
 */
int vsr_graph_fold_output_affine(vsr_graph *g, int output, float scale, float offset,
                                 unsigned flags, char *log, size_t cap, vsr_error *err);
/* ==== INT8 quantization schemes ===================================== */

/** Weight scales: one per output channel (TFLite) or one per conv (AIMET's default). */
typedef enum vsr_quant_granularity {
    VSR_QUANT_PER_CHANNEL = 0,
    VSR_QUANT_PER_TENSOR = 1,
} vsr_quant_granularity;

/** Activation parameters: any zero point (TFLite) or zero point 0 (many NPUs). */
typedef enum vsr_quant_mode {
    VSR_QUANT_ASYMMETRIC = 0,
    VSR_QUANT_SYMMETRIC = 1,
} vsr_quant_mode;

/** The integer type the tensors are stored in on the device being modelled. */
typedef enum vsr_quant_storage {
    VSR_QUANT_INT8 = 0,
    VSR_QUANT_UINT8 = 1, /**< older TFLite models */
} vsr_quant_storage;

/**
 * How INT8 parameters are computed from ranges (vsr_calib_finish(), declared
 * ranges) and from weights (at vsr_engine_create()). Fixed parameters
 * (vsr_graph_set_quant(), vsr_graph_set_weight_scales(), an INT8 .tflite)
 * are used as given, whatever the scheme. All-zero is the default, today's
 * TFLite scheme. For a range [lo, hi] widened to contain 0 (s = scale):
 *  - asymmetric int8: s = (hi - lo) / 255, zp = round(-128 - lo / s) in
 *    [-128, 127] (round half away from zero);
 *  - asymmetric uint8: s = (hi - lo) / 255, zp_u8 = round(-lo / s) in
 *    [0, 255], as a uint8 engine nudges it (the two differ when -lo / s is
 *    a tie); stored as zp = zp_u8 - 128;
 *  - symmetric (int8 or uint8): s = max(-lo, hi) / 127, zp = 0 (zp_u8 = 128);
 *  - weights: symmetric, s = max|w| / 127 over one output channel (per
 *    channel) or over the whole conv (per tensor), q in [-127, 127]
 *    (uint8: q + 128 in [1, 255]);
 *  - pow2: every scale (activations and weights) is then rounded up to a
 *    power of two, 2^ceil(log2 s), before the zero point is chosen.
 * uint8 runs on the int8 kernels: q_u8 = q + 128 and zp_u8 = zp + 128, and
 * every kernel depends only on q - zp and on clamps that move with the zero
 * point (saturation [-128, 127] is [0, 255] shifted), so the dequantized
 * values are the bits a uint8 engine with the same parameters computes.
 */
typedef struct vsr_quant_scheme {
    vsr_quant_granularity weights;
    vsr_quant_mode activations;
    vsr_quant_storage storage;
    int pow2; /**< 1 = power-of-two scales */
} vsr_quant_scheme;

/** The default scheme (all zero): per-channel weights, asymmetric int8 activations. */
void vsr_quant_scheme_default(vsr_quant_scheme *s);
/** 1 when @p s is the default scheme. */
int vsr_quant_scheme_is_default(const vsr_quant_scheme *s);
/**
 * The precision label of INT8 with scheme @p s: "int8", then "-pt" (per-tensor
 * weights), "-sym" (symmetric activations), "-u8" (uint8), "-pow2", each only
 * when it is not the default ("int8-pt-sym"). It parses back with
 * vsr_precision_parse_scheme(). Returns the length snprintf would write.
 */
int vsr_quant_scheme_label(const vsr_quant_scheme *s, char *buf, size_t cap);
/**
 * Parse a precision with an optional INT8 scheme: "fp32", "int8", or "int8"
 * followed by "-" tokens: pt / pc (weights per tensor / per channel), sym /
 * asym (activations), u8 / i8 (storage), pow2. The shorthands: int8-sym,
 * int8-asym (= int8), int8-pt. Fills *s (the default for non-INT8). -EINVAL
 * with a one-line message naming the token otherwise.
 */
int vsr_precision_parse_scheme(const char *str, vsr_precision *p, vsr_quant_scheme *s,
                               vsr_error *err);
/**
 * The INT8 parameters of range [lo, hi] under scheme @p s (NULL = default),
 * as vsr_calib_finish() computes them (zp in int8 terms, see above).
 */
void vsr_quant_from_range(const vsr_quant_scheme *s, float lo, float hi, float *scale, int *zp);
/**
 * The scheme of @p g's computed INT8 parameters (default until set). Set it
 * before vsr_calib_finish(); vsr_engine_create() reads it for the weights.
 * vsr_graph_clear_quant() keeps it. -EINVAL for a value outside the enums.
 */
int vsr_graph_set_quant_scheme(vsr_graph *g, const vsr_quant_scheme *s, vsr_error *err);
void vsr_graph_get_quant_scheme(const vsr_graph *g, vsr_quant_scheme *s);

/* ==== calibration ==================================================== */

typedef enum vsr_calib_method {
    VSR_CALIB_MINMAX = 0,     /**< the observed [min, max] */
    VSR_CALIB_PERCENTILE = 1, /**< [p_lo, p_hi] quantiles, e.g. 0.01 % / 99.99 % */
    VSR_CALIB_MSE = 2, /**< the clipping range minimising the int8 MSE of the histogram */
    /**
     * Moving-average min/max (PyTorch's MovingAverageMinMaxObserver): the
     * first frame's min and max, then per frame (one vsr_calib_feed())
     * m += c * (frame_min - m), likewise the max, c = ema_constant.
     */
    VSR_CALIB_EMA = 3,
    /**
     * KL divergence / entropy (TensorRT's entropy calibration, from its
     * published description): a 2048-bin histogram of |x| over [0, max|x|]
     * (its range doubles, merging bins pairwise, if a later frame exceeds
     * it); for i = 128 .. 2047, P = the first i bins with the outliers
     * (bins i ..) added to bin i - 1; Q = the first i bins (without the
     * outliers) merged into 128 groups of i / 128 bins (the last group takes
     * the remainder) and expanded back, each group's count spread evenly
     * over the bins where P is non-zero; both normalised; KL(P || Q) =
     * sum P log(P / Q) over P > 0 (+inf, the candidate skipped, when some Q
     * is 0 there). T = (m + 0.5) * bin width for the i = m of least KL, and
     * the range is [max(min, -T), min(max, T)].
     */
    VSR_CALIB_KL = 4,
} vsr_calib_method;

/** "minmax", "percentile", "mse", "ema", "kl". */
const char *vsr_calib_method_name(vsr_calib_method m);
/** Parse one of vsr_calib_method_name()'s names; -EINVAL with a one-line message otherwise. */
int vsr_calib_method_parse(const char *s, vsr_calib_method *out, vsr_error *err);

/** PyTorch's MovingAverageMinMaxObserver default averaging constant. */
#define VSR_CALIB_EMA_CONSTANT 0.01

typedef struct vsr_calib_options {
    vsr_calib_method method;
    double percentile;   /**< for VSR_CALIB_PERCENTILE, e.g. 99.99 (upper; lower = 100 - p) */
    int bins;            /**< reserved: histograms always use 2048 bins per tensor */
    double ema_constant; /**< VSR_CALIB_EMA: c in (0, 1], default VSR_CALIB_EMA_CONSTANT */
    /**
     * 1: TFLite's int8 constraints, so the parameters are those a TFLite file
     * can hold (default 0): every input of a concat or a bilinear resize gets
     * the op's own parameters (one range, the union of theirs, for each set
     * of tensors tied so, through movement ops such as slices to the op that
     * writes the values; a parameter given with vsr_graph_set_quant() wins),
     * and every sigmoid's output has scale 1/256, zero point -128 (int8
     * LOGISTIC). vsr_models_calibrate() sets it.
     */
    int tflite;
} vsr_calib_options;

void vsr_calib_options_default(vsr_calib_options *o);

/**
 * Start collecting FP32 statistics of every tensor of @p g (which must have
 * all weights set). @p pool may be NULL. The graph must outlive the calib.
 * The caller frees *out with vsr_calib_free().
 */
int vsr_calib_create(const vsr_graph *g, pthreadpool_t pool, vsr_calib **out, vsr_error *err);
/**
 * vsr_calib_create() for the method of @p use (NULL: any method). For minmax
 * and ema only each tensor's min and max per frame are kept (one vector
 * scan per tensor, no 2048-bin histograms: about 5% of the quickstart's CPU);
 * vsr_calib_finish() / vsr_calib_range() then refuse the histogram methods
 * (percentile, mse, kl) with -EINVAL. Ranges are the same bits either way.
 */
int vsr_calib_create_ex(const vsr_graph *g, pthreadpool_t pool, const vsr_calib_options *use,
                        vsr_calib **out, vsr_error *err);
/**
 * Run one frame in FP32 and add its statistics. @p inputs[i] is graph input
 * i as float HWC of h x w x C_i (borrowed for the call only).
 */
int vsr_calib_feed(vsr_calib *c, const float *const *inputs, int h, int w, vsr_error *err);
/**
 * Choose ranges and write INT8 parameters into @p g for every tensor that has
 * no explicit vsr_graph_set_quant() parameters (declared ranges win over
 * statistics). Ranges are widened to contain 0, as TFLite does, and turned
 * into parameters by the graph's scheme (vsr_graph_set_quant_scheme()).
 * @p g must be the graph given to vsr_calib_create().
 */
int vsr_calib_finish(vsr_calib *c, const vsr_calib_options *opt, vsr_graph *g, vsr_error *err);
/** The chosen-by-@p opt range of tensor @p t from the statistics so far. */
int vsr_calib_range(const vsr_calib *c, int t, const vsr_calib_options *opt, float *lo,
                    float *hi, vsr_error *err);
void vsr_calib_free(vsr_calib **c);

/* ==== engine ========================================================= */

/* ISA bits (VSR_ISA_*), vsr_cpu_features() and VSR_FORCE_SCALAR: see vsr_cpu_isa() in core.h.
 */
/** "avx512vnni+avx512+avx2" style string of @p isa (static storage). */
const char *vsr_isa_name(unsigned isa);

/**
 * How threads wait (a per-use choice: the engine takes it in
 * vsr_engine_options.wait; metrics always yield). A multi-threaded
 * vsr_engine_run() is one pthreadpool call whose threads take small work
 * items of every op as they become free (engine/sched.c); a thread with
 * nothing to take spins, then sleeps until there is.
 *  - VSR_WAIT_YIELD (the default, 0): spin ~50 us inside a frame; the frame's
 *    pool call passes PTHREADPOOL_FLAG_YIELD_WORKERS, so the workers sleep
 *    between frames (a wake-up of microseconds per frame).
 *  - VSR_WAIT_SPIN: spin ~0.5 ms inside a frame, and pthreadpool's own
 *    default between frames (1e6 pause loops, milliseconds, before
 *    sleeping): under contention the spinning takes CPU from others.
 *  - VSR_WAIT_FRAME: as yield inside a frame; at its end one empty op with
 *    the yield flag puts the workers to sleep.
 * docs/PERFORMANCE.md, "Thread-pool wait policy", has the measurements.
 */
typedef enum vsr_wait_policy {
    VSR_WAIT_YIELD = 0,
    VSR_WAIT_SPIN = 1,
    VSR_WAIT_FRAME = 2,
} vsr_wait_policy;

/** "frame", "spin", "yield". */
const char *vsr_wait_policy_name(vsr_wait_policy w);
/** Parse "frame" / "spin" / "yield"; -EINVAL with a one-line message otherwise. */
int vsr_wait_policy_parse(const char *s, vsr_wait_policy *out, vsr_error *err);

/**
 * How INT8 results are requantized (vsr_engine_options.requant).
 * VSR_REQUANT_FLOAT (default): conv accumulators by a Q31 multiplier with one
 * rounding of the exact product; the other ops dequantize, compute in FP32
 * and round to nearest even (the tables of engine/README.md).
 * VSR_REQUANT_TFLITE: TFLite's integer kernels (gemmlowp fixed point, two
 * roundings half away from zero): per-channel conv / depthwise requantization,
 * ADD (left shift 20), MUL, RELU / clip (MINIMUM / MAXIMUM / RELU / RELU6),
 * concat rescale; an INT8 .tflite imported with its own quantization then
 * gives TFLite's output bits. Ops without a TFLite integer kernel here
 * (sigmoid, leaky ReLU, PReLU, broadcasts, bilinear, ...) keep the float path.
 */
typedef enum vsr_requant {
    VSR_REQUANT_FLOAT = 0,
    VSR_REQUANT_TFLITE = 1,
} vsr_requant;

/** "float", "tflite". */
const char *vsr_requant_name(vsr_requant r);
/** Parse "float" / "tflite"; -EINVAL with a one-line message otherwise. */
int vsr_requant_parse(const char *s, vsr_requant *out, vsr_error *err);

/**
 * How dense 3x3 stride-1 dilation-1 FP32 / FP16 convs compute
 * (vsr_engine_options.conv_algo; engine/ops/winograd.c).
 *
 * VSR_CONV_DIRECT (default): the direct kernels (register tiles over output
 * channels x pixels).
 *
 * VSR_CONV_WINOGRAD (F(2,3)) / VSR_CONV_WINOGRAD4 (F(4,3)): Lavin's minimal
 * filtering on m x m output tiles (m = 2 / 4) aligned at output (0, 0), so a
 * pixel's value does not depend on the thread count or the row bands: the
 * weights are transformed once (G g G^T, in double, rounded once), each
 * a x a input patch (a = m + 2) by B^T d B, one GEMM per transformed point
 * over the input channels, then A^T M A, the bias and the fused activation.
 * It does 2.25x (F(2,3)) / 4x (F(4,3)) fewer multiplies but is not bit-equal
 * to the direct path: per output, |y - y_exact| <= gamma_K * S, gamma_K =
 * K u / (1 - K u), u = 2^-24, K = 2 nnz(B) + 2 nnz(A) + Cin + 3 (nnz: most
 * nonzeros in a row of B^T / A^T: F(2,3) 2 / 3, F(4,3) 4 / 5), S = |b| +
 * sum over ci and the tile's points xi of |A_xi| (|G||g||G^T|)_xi
 * (|B^T||d||B|)_xi (docs/PERFORMANCE.md, "Winograd"; tested per output in
 * tests/engine/test_engine_winograd.c). Fused sigmoid keeps the direct path,
 * and so do INT8, FP16N and every other conv shape.
 *
 * VSR_CONV_AUTO: the first run of each eligible conv times direct, F(2,3)
 * and F(4,3) on its actual shape (3 runs each, interleaved, on the calling
 * thread alone whatever the thread count; the minimum of its CPU time
 * counts, so that another process taking a core does not decide) and
 * keeps the fastest for the engine's life
 * (vsr_layer_profile.algo says which). Engines made separately may choose
 * differently, so their outputs may differ within the bound above.
 */
typedef enum vsr_conv_algo {
    VSR_CONV_DIRECT = 0,
    VSR_CONV_WINOGRAD = 1,
    VSR_CONV_WINOGRAD4 = 2,
    VSR_CONV_AUTO = 3,
} vsr_conv_algo;

/** "direct", "winograd" (F(2,3)), "winograd4" (F(4,3)), "auto". */
const char *vsr_conv_algo_name(vsr_conv_algo a);
/** Parse a vsr_conv_algo_name(); -EINVAL with a one-line message otherwise. */
int vsr_conv_algo_parse(const char *s, vsr_conv_algo *out, vsr_error *err);

/**
 * How a tiled run cuts the frame (vsr_engine_options.tile_mode).
 *
 * VSR_TILE_CLIP (default): T x T centres; each runs on its neighbourhood of
 * P pixels each side clipped to the frame (edge runs are smaller), and keeps
 * its centre. Exact when P covers the receptive field, since the clipped
 * run sees the frame border where the whole-frame run does.
 *
 * VSR_TILE_FIXED (static shape, for accelerators compiled for one input
 * size): every run, edge ones included, is exactly T x T input pixels, the
 * pad included; windows slide with stride S = T - 2P (>= 1) and each keeps
 * its S x S centre. A window that would cross the frame edge is shifted
 * inward to end at it, so on a frame of at least T x T no window reads
 * outside the frame and, with P >= the receptive field, the output is the
 * whole-frame output byte for byte whatever the padding. Only an axis
 * shorter than T is padded (vsr_engine_options.padding).
 *
 * VSR_TILE_PADDED: the deployment-study rule: the frame is padded by P on
 * every side (more at the bottom / right to fill the last window) with
 * vsr_engine_options.padding and windows start at centre - P. Interior
 * windows are exact as in FIXED; a window at the frame edge is not, for
 * any padding: the whole-frame run zero-pads every conv's input at the
 * edge, while in the window the layers after the first see their own
 * outputs over the padding (at least the bias, through the activation).
 *
 * VSR_TILE_FEATHER: the windows of VSR_TILE_FIXED, each output used whole
 * and overlaps averaged with weights ramping linearly over the 2P-wide
 * overlap (the blur the keep-centre rule avoids); for comparison.
 */
typedef enum vsr_tile_mode {
    VSR_TILE_CLIP = 0,
    VSR_TILE_FIXED = 1,
    VSR_TILE_FEATHER = 2,
    VSR_TILE_PADDED = 3,
} vsr_tile_mode;

/** What fills a VSR_TILE_FIXED / PADDED / FEATHER window outside the frame. */
typedef enum vsr_tile_padding {
    VSR_TPAD_ZERO = 0,      /**< 0 */
    VSR_TPAD_MEAN = 1,      /**< vsr_engine_options.pad_mean[c] (input 0; other inputs 0) */
    VSR_TPAD_REFLECT = 2,   /**< mirror without repeating the edge (dcb|abcd|cba) */
    VSR_TPAD_REPLICATE = 3, /**< the edge pixel repeated (aaa|abcd|ddd) */
} vsr_tile_padding;

/** Channels of vsr_engine_options.pad_mean. */
#define VSR_PAD_MEAN_MAX 4
/** vsr_engine_options.pad: the graph's receptive field (vsr_graph_receptive_field()). */
#define VSR_PAD_AUTO (-1)

/** "clip", "fixed", "feather", "padded". */
const char *vsr_tile_mode_name(vsr_tile_mode m);
/** Parse a vsr_tile_mode_name(); -EINVAL with a one-line message otherwise. */
int vsr_tile_mode_parse(const char *s, vsr_tile_mode *out, vsr_error *err);
/** "zero", "mean", "reflect", "replicate". */
const char *vsr_tile_padding_name(vsr_tile_padding p);
/** Parse a vsr_tile_padding_name(); -EINVAL with a one-line message otherwise. */
int vsr_tile_padding_parse(const char *s, vsr_tile_padding *out, vsr_error *err);

typedef struct vsr_engine_options {
    vsr_wait_policy wait; /**< how pool workers wait between ops (default VSR_WAIT_YIELD) */
    /** T: tile edge in input pixels; 0 = whole frame. CLIP: the kept centre;
     *  FIXED / PADDED / FEATHER: the whole window, pad included */
    int tile;
    int pad; /**< P: overlap on each side of a tile, input pixels; VSR_PAD_AUTO */
    vsr_tile_mode tile_mode;  /**< default VSR_TILE_CLIP */
    vsr_tile_padding padding; /**< FIXED / PADDED / FEATHER: the frame's padding (zero) */
    /** VSR_TPAD_MEAN: per-channel fill of input 0, in the input's units */
    float pad_mean[VSR_PAD_MEAN_MAX];
    /**
     * Tile-level parallelism: N >= 2 runs tiles on N workers, each with its
     * own engine (arena, scratch; its own pool of the same size as the
     * engine's when that has more than one thread), taking tiles from one
     * queue; the calling thread is worker 0 on this engine. 0 or 1: tiles in
     * turn. Outputs are the same bytes for every N (tiles write disjoint
     * centres; FEATHER blends in tile order). Only tiled runs use the workers;
     * the layer profile counts worker 0's tiles only.
     */
    int tile_workers;
    int force_scalar;  /**< 1 = scalar kernels only (also env VSR_FORCE_SCALAR=1) */
    unsigned isa_mask; /**< allowed ISA bits (default all); ANDed with the CPU's */
    int profile;       /**< 1 = time each layer (vsr_engine_layer_profile) */
    /**
     * FP16 only. 0 (default): convs accumulate in FP32 and round each output
     * once (the rule of VSR_PREC_FP16 above; SIMD and scalar agree to FMA
     * ordering). 1: the engine runs as VSR_PREC_FP16N (binary16 FMAs in
     * dense stride-1 convs; AVX512-FP16, else the bit-identical scalar twin),
     * and vsr_engine_precision() reports VSR_PREC_FP16N. Prefer passing
     * VSR_PREC_FP16N to vsr_engine_create().
     */
    int fp16_native;
    /**
     * 1 = `threads: auto`: with a pool of N > 1 threads, the first runs
     * measure the pool against the calling thread alone and keep the faster:
     * run 1 (cold) on N threads, untimed, then VSR_ENGINE_AUTO_PAIRS pairs
     * (N, 1, N, 1, ...); N stays if the median of its runs is below the
     * median at 1 thread. vsr_engine_threads() reports 0 until then, the
     * choice after. Outputs are the same bytes either way. 0 (default):
     * always the whole pool.
     */
    int threads_auto;
    /**
     * 0 (default): the helper gate, threads_auto's measurement kept up for the
     * engine's life. With a pool of N > 1 threads, frames run in stretches on
     * the pool or on the calling thread alone; after each stretch 3 frames run
     * on the other side, and the side with the lower median time per input
     * pixel over its last 3 frames runs the next stretch (4 frames, doubling
     * while the same side wins, up to 256 on the pool and 64 alone); a pool
     * stretch shorter than 256 whose frames took at most 2/3 of the last alone
     * ones' time skips its probe. So when another process holds the other
     * vCPUs, and a preempted helper would stall every parallel region it took
     * an item of, frames run alone within a few frames; on an idle machine
     * frames 5-7 run alone, then 3 in every 259 from the 512th on.
     * vsr_engine_pool_frames() counts both. 1: every frame on the whole pool.
     * Outputs are the same bytes either way.
     */
    int always_pool;
    /** INT8 only: the requantization arithmetic (default VSR_REQUANT_FLOAT). */
    vsr_requant requant;
    /**
     * Mixed precision: @p n_layer_prec per-layer overrides of the engine's
     * precision (NULL / 0 = none), borrowed for vsr_engine_create() only
     * (the engine keeps neither pointer). See vsr_layer_precision.
     */
    const struct vsr_layer_precision *layer_prec;
    int n_layer_prec;
    /** FP32 / FP16 3x3 stride-1 convs: direct, Winograd or measured (vsr_conv_algo;
     *  default VSR_CONV_DIRECT) */
    vsr_conv_algo conv_algo;
} vsr_engine_options;

/**
 * One per-layer precision override (vsr_engine_options.layer_prec), e.g.
 * `keep_float` (an INT8 engine with a few layers in FP32 / FP16) or one INT8
 * layer in an FP32 engine (quantisation sensitivity).
 *
 * @c layer is a layer name as the per-layer table prints it
 * (vsr_graph_print_table(), `vsrbench models -v MODEL`) or the row number
 * "12" that table prints in its # column (node index + 1). A layer fused into its conv at
 * engine creation (batch norm, activation) names that conv. Movement layers (slice, channel
 * shuffle, depth to space, nearest resize) and inputs take no override: they keep their input's
 * type (a concat computes: in INT8 it rescales its inputs to its own parameters). @c prec is
 * FP32, FP16 or INT8 (FP16N: -EINVAL).
 *
 * What the layer then does: it computes exactly as in an engine of @c prec
 * (conv weights rounded / quantized for it; INT8 needs the layer's input
 * and output parameters, as always) and writes its output in that type.
 * At a boundary the consumer converts: a float layer reading an INT8
 * tensor dequantizes it (real = scale * (q - zero point)), an INT8 conv
 * reading a float tensor quantizes it with that tensor's calibrated
 * parameters (round to nearest even, saturating), FP16 <-> FP32 widens /
 * rounds (RNE). Element-wise and other ops read any type (dequantized /
 * widened) and write their own. The graph inputs keep the engine's type:
 * an INT8 engine quantizes its inputs even when every layer is kept
 * float; with an input range of [0, 255] (the default) and 8-bit frames
 * that is exact (scale 1), so an INT8 engine with every layer in FP32
 * gives the FP32 engine's output bit for bit (tests/engine/test_mixed.c).
 */
typedef struct vsr_layer_precision {
    const char *layer;
    vsr_precision prec;
} vsr_layer_precision;

/** Runs at each thread count that vsr_engine_options.threads_auto compares. */
#define VSR_ENGINE_AUTO_PAIRS 3

void vsr_engine_options_default(vsr_engine_options *o);

/**
 * Create an engine for @p g in precision @p prec. Checks weights (missing or
 * non-finite: error naming the layer), folds batch norms, quantizes / rounds
 * weights, selects kernels once, and plans the scratch arena for the graph's
 * nominal input size. INT8 needs quantization parameters for every tensor
 * (vsr_calib_finish() or vsr_graph_set_quant()); a missing one is an error
 * naming the tensor.
 *
 * Ownership: @p g is borrowed and must outlive the engine, unmodified.
 * @p pool is borrowed (may be NULL). @p opt is copied (NULL = defaults).
 * The caller frees *out with vsr_engine_free().
 */
int vsr_engine_create(const vsr_graph *g, vsr_precision prec, pthreadpool_t pool,
                      const vsr_engine_options *opt, vsr_engine **out, vsr_error *err);
void vsr_engine_free(vsr_engine **e);

/** The ISA bits the engine's kernels use (0 = scalar). */
unsigned vsr_engine_isa(const vsr_engine *e);

/**
 * Threads vsr_engine_run() uses: the pool's size (1 without a pool), or
 * with threads_auto 0 while the measurement still runs, then 1 or the
 * pool's size, whichever was faster (see vsr_engine_options.threads_auto).
 * With a pool, the helper gate may still run some frames on the calling
 * thread alone (vsr_engine_options.always_pool, vsr_engine_pool_frames()).
 */
int vsr_engine_threads(const vsr_engine *e);
/**
 * Frames vsr_engine_run() ran since the engine was created, on the pool
 * (@p pool) and on the calling thread alone because the helper gate was
 * closed (@p alone; see vsr_engine_options.always_pool). Runs of a 1-thread
 * engine, and of threads_auto's measurement, count in neither.
 */
void vsr_engine_pool_frames(const vsr_engine *e, uint64_t *pool, uint64_t *alone);
/** The precision the engine runs (VSR_PREC_FP16N also for FP16 with opt.fp16_native). */
vsr_precision vsr_engine_precision(const vsr_engine *e);

/**
 * Set input @p idx from float HWC data of h x w x c (c must match the
 * declaration; h, w may differ from the nominal size, but all inputs must
 * agree before vsr_engine_run()). The data is copied.
 */
int vsr_engine_set_input(vsr_engine *e, int idx, const float *data, int h, int w, int c,
                         vsr_error *err);
/**
 * Set input @p idx from an 8-bit frame: value = lo + u8 * (hi - lo) / 255
 * with the input's declared range (default [0, 255], so value = u8).
 */
int vsr_engine_set_input_frame(vsr_engine *e, int idx, const vsr_frame *f, vsr_error *err);
/**
 * Run the graph on the current inputs (tiled if opt.tile > 0). Tiling is
 * exact (identical to whole-frame) when P covers the receptive field and the
 * graph has no whole-image op (matmul_tn, global pools); with such ops each
 * tile reduces over its own pixels.
 */
int vsr_engine_run(vsr_engine *e, vsr_error *err);
/** Shape of output @p idx for the current input size. */
int vsr_engine_output_shape(const vsr_engine *e, int idx, int *h, int *w, int *c);
/**
 * Copy output @p idx as float HWC (dequantized in INT8, widened in FP16)
 * into @p dst of @p cap floats (>= h*w*c).
 */
int vsr_engine_get_output(const vsr_engine *e, int idx, float *dst, size_t cap, vsr_error *err);
/**
 * Write output @p idx into an 8-bit frame the caller allocated with the
 * output's width, height and channels: u8 = round(clamp(v, 0, 255)).
 */
int vsr_engine_get_output_frame(const vsr_engine *e, int idx, vsr_frame *dst, vsr_error *err);
/**
 * INT8 engine: the parameters tensor @p t is stored with (real = scale *
 * (q - zero_point)), as the engine resolved them at creation: fixed or
 * calibrated, a declared range, a data-movement op's input's; a conv whose
 * activation (or batch norm) node the engine fused reports that node's (the
 * conv requantizes straight to it); an add or mul fused with its activation
 * keeps its own (its table composes both requantizations). For exporters that must write what
 * the engine runs. -ENOENT when @p t is not int8 (not an INT8 engine, or an FP32-only op),
 * -EINVAL when out of range.
 */
int vsr_engine_tensor_quant(const vsr_engine *e, int t, float *scale, int *zero_point);
/**
 * INT8 engine, conv node @p node: the integers it runs with, borrowed until
 * the engine is freed. *wq: int8 weights HWIO (kh * kw * Cin/groups * Cout);
 * *bq: [Cout] int32 biases in units of s_in * wscale[o] (zeros without a
 * bias); *wscale: [Cout] per-output-channel weight scales (zero point 0).
 * -ENOENT when @p node is not a conv or the engine is not INT8.
 */
int vsr_engine_conv_quant(const vsr_engine *e, int node, const int8_t **wq, const int32_t **bq,
                          const float **wscale);
/**
 * The tile edge for a frame of @p h x @p w input pixels within @p budget
 * bytes, pure arithmetic: a tile T needs @p fixed bytes whatever T (the
 * whole-frame input and output buffers, frames) plus @p per_px bytes per
 * pixel of its neighbourhood min(T + 2 @p pad, h) x min(T + 2 @p pad, w)
 * (vsr_graph_count()'s peak_scratch_bytes over the pixels it was counted
 * at). *tile = 0 when the untiled frame fits (fixed + per_px h w <= budget),
 * else the largest multiple of 8 that fits; -ENOMEM (*tile = 0) when even
 * T = 8 does not, -EINVAL for a bad argument.
 */
int vsr_tile_fit(size_t budget, int h, int w, int pad, double per_px, size_t fixed, int *tile);

/**
 * The receptive field of @p g as a radius in input pixels: the least pad P
 * for which a tile run on its centre +- P reproduces the whole-frame output
 * in the centre (VSR_TILE_CLIP and FIXED; PADDED away from the frame edge). Found
 * exactly, in integers: each output pixel phase (the s output pixels of one
 * input pixel, per axis) is followed back to the inputs as an interval of
 * pixels per tensor: a conv widens it by its SAME-padding taps ((k-1)/2 *
 * dilation each side at stride 1, in its own pixels), depth_to_space and
 * resizes map it to the coarser grid (floor division; a bilinear resize
 * adds its second tap), other ops pass it on, branches take the union. So
 * a 3x3 conv after a x4 upsampling costs a quarter input pixel, not one.
 * -ENOTSUP with a message naming the op when the graph has a whole-image op
 * (no finite field).
 */
int vsr_graph_receptive_field(const vsr_graph *g, int *radius, vsr_error *err);

/** Bytes of the scratch arena (peak of live activations) for the current plan. */
size_t vsr_engine_scratch_bytes(const vsr_engine *e);

/** Per-layer time profile (accumulated over runs while opt.profile = 1). */
typedef struct vsr_layer_profile {
    const char *name; /**< borrowed from the graph */
    vsr_op_type op;
    uint64_t ns;    /**< total nanoseconds */
    uint64_t calls; /**< number of executions (one per tile per run) */
    /** convs: "direct", "winograd F(2,3)", "winograd F(4,3)" (what runs now; with
     *  VSR_CONV_AUTO, "auto" until the first run chose); NULL for other ops */
    const char *algo;
    /** 1: a conv whose row bands also computed the fused SR tail in the last run (its
     *  time includes the tail's; the tail's own layer then shows almost none) */
    int with_tail;
} vsr_layer_profile;

/** Number of layers in the profile (executed ops, fused ones included in their producer). */
int vsr_engine_layer_count(const vsr_engine *e);
int vsr_engine_layer_profile(const vsr_engine *e, int i, vsr_layer_profile *p);
void vsr_engine_profile_reset(vsr_engine *e);

/* ==== counting ======================================================= */

/** Per-layer figures at a given input size. */
typedef struct vsr_layer_info {
    const char *name; /**< borrowed from the graph */
    vsr_op_type op;
    int h, w, c;         /**< output shape */
    int64_t params;      /**< weights + biases (BN: 4C, LayerNorm: 2C, PReLU: slopes) */
    int64_t macs;        /**< conv: H*W*Cout*(Cin/groups)*kh*kw; matmuls: see ops */
    int64_t activations; /**< elements written (h*w*c; 0 for inputs) */
    char desc[64];       /**< "3x3 28->28 relu", "x4 DCR", ... */
} vsr_layer_info;

typedef struct vsr_graph_stats {
    int64_t params;           /**< deployed: BN folded into its conv (foldable BNs count 0) */
    int64_t params_keras;     /**< Keras count_params(): BN = 4C */
    int64_t macs;             /**< one multiply-add = 1 */
    int64_t activations;      /**< elements written by all ops */
    int64_t conv_activations; /**< elements written by conv2d ops (NTIRE ESR "#Activations") */
    int n_layers;
    int n_conv;
    size_t peak_scratch_bytes; /**< arena peak for the given precision, whole frame */
    int tile_exact;            /**< 1 if the graph has no whole-image op */
} vsr_graph_stats;

/**
 * Count the graph at input size h x w (0, 0 = nominal) for precision @p prec
 * (only the peak bytes depend on it).
 */
int vsr_graph_count(const vsr_graph *g, int h, int w, vsr_precision prec, vsr_graph_stats *s,
                    vsr_error *err);
/**
 * One node of a graph, read-only, for code that translates a graph into
 * another format (the ONNX and TFLite exporters in models/). Tensor ids are
 * node indices: node i writes tensor i. Pointers are borrowed from the graph
 * and valid until it changes or is freed. Which fields mean something
 * depends on the op; the others are zero.
 */
typedef struct vsr_node_view {
    vsr_op_type op;
    const char *name;
    const int *inputs; /**< tensor ids of the inputs, in order */
    int n_inputs;
    int h, w, c;          /**< nominal output shape */
    vsr_conv_params conv; /**< conv2d (its fused activation in conv.act) */
    vsr_act act;          /**< relu, leaky_relu, prelu, clip, sigmoid */
    /** scale: y = f[0]*x + f[1]; layer_norm, batch_norm: eps = f[0];
     *  matmul_tn: alpha = f[0] */
    float f[2];
    /** slice: channels [i[0], i[1]); channel_shuffle: groups g = i[0], out[j*g + k]
     *  = in[k*(C/g) + j]; depth_to_space (DCR), resize_*: factor = i[0];
     *  prelu: i[0] = 1 for one shared slope */
    int i[2];
} vsr_node_view;

/** Node @p i (0 <= i < vsr_graph_layer_count()) of @p g. -EINVAL out of range. */
int vsr_graph_node_view(const vsr_graph *g, int i, vsr_node_view *out);

/** Number of layers (graph inputs included) in the per-layer table. */
int vsr_graph_layer_count(const vsr_graph *g);
/** Layer @p i at input size h x w (0, 0 = nominal). */
int vsr_graph_layer_info(const vsr_graph *g, int i, int h, int w, vsr_layer_info *info,
                         vsr_error *err);
/**
 * Print the per-layer table (# | layer | op | out shape | params | MACs) and
 * the totals to @p out (markdown-style rows).
 */
int vsr_graph_print_table(const vsr_graph *g, int h, int w, FILE *out, vsr_error *err);

/* ==== weights file =================================================== */

/**
 * The project's weights file (".vsrw"), all integers little-endian:
 *
 *     magic "VSRW" | u32 version (1 or 2) | u32 header_bytes | header | tensors |
 *     [quant, version 2 only] | u32 crc32
 *     header:  str model_name | u32 n_meta | n_meta x (str key, str value)
 *     tensors: u32 n | n x (str name | u8 dtype (0 = f32) | u8 ndim | ndim x u32 dim |
 *              data, count x 4 bytes IEEE binary32 LE)
 *     quant:   u32 n | n x (str tensor (graph node) name | f32 scale | i32 zero_point)
 *     str: u16 length + bytes (no NUL)
 *     crc32: CRC-32 (IEEE 802.3, as zlib) of every byte before it.
 *
 * Version 2 adds the optional quant section: fixed INT8 parameters for
 * every tensor of the graph (a QAT training's learned ranges, `vsrbench
 * train` with a qat: section), which vsr_weights_apply() gives the graph
 * with vsr_graph_set_quant(), so INT8 runs use them with calibration
 * "file". A file without the section is written as version 1, readable by
 * older builds; this build reads both.
 *
 * A bad magic, unknown version, truncation, CRC mismatch, or (when applied
 * to a graph) an unknown / missing tensor name or a shape that disagrees
 * with the graph is an error whose one-line message names the file and the
 * tensor.
 */
#define VSR_WEIGHTS_VERSION 2

/** One tensor for vsr_weights_write(); everything is borrowed. */
typedef struct vsr_weights_tensor {
    const char *name;
    int ndim;          /**< 1 to 4 */
    int dims[4];       /**< the first @c ndim are used, each >= 0 */
    const float *data; /**< dims[0] x ... x dims[ndim-1] floats */
} vsr_weights_tensor;

/**
 * Write a .vsrw file: model name @p model, @p n_meta metadata pairs
 * (@p meta_kv = key0, value0, key1, value1, ...) and @p n tensors, all
 * borrowed. The file appears complete or not at all (vsr_atomic_open()):
 * on any error a previous file at @p path is left as it was. Errors:
 * -EINVAL (a string of more than 65535 bytes, a bad shape), -ENOMEM, and
 * the write errors of vsr_atomic_commit() (-ENOSPC, ...).
 */
int vsr_weights_write(const char *path, const char *model, const char *const *meta_kv,
                      int n_meta, const vsr_weights_tensor *t, int n, vsr_error *err);
/**
 * Save the graph's name, metadata and all its weights (all must be set)
 * through vsr_weights_write(), so the file appears complete or not at all.
 */
int vsr_weights_save(const vsr_graph *g, const char *path, vsr_error *err);
/**
 * vsr_weights_save() plus the quant section (version 2): the fixed INT8 parameters of
 * every tensor of @p g (-EINVAL naming the first tensor without them).
 */
int vsr_weights_save_quant(const vsr_graph *g, const char *path, vsr_error *err);
/** Load @p path and set every weight of @p g (vsr_weights_open + apply + free). */
int vsr_weights_load(vsr_graph *g, const char *path, vsr_error *err);

/** Read and verify a whole file (CRC included). The caller frees *out with vsr_weights_free().
 */
int vsr_weights_open(const char *path, vsr_weights **out, vsr_error *err);
/** Model name stored in the header (borrowed). */
const char *vsr_weights_model(const vsr_weights *w);
/** Metadata value for @p key, or NULL (borrowed). */
const char *vsr_weights_meta(const vsr_weights *w, const char *key);
int vsr_weights_meta_count(const vsr_weights *w);
/** Key and value of metadata entry @p i (borrowed). */
int vsr_weights_meta_at(const vsr_weights *w, int i, const char **key, const char **value);
int vsr_weights_tensor_count(const vsr_weights *w);
/** Tensor @p i: name, dims, data (all borrowed from @p w). */
int vsr_weights_tensor_at(const vsr_weights *w, int i, const char **name, int *ndim,
                          int dims[4], const float **data);
/** Entries of the quant section (0 without one) and entry @p i (borrowed). */
int vsr_weights_quant_count(const vsr_weights *w);
int vsr_weights_quant_at(const vsr_weights *w, int i, const char **tensor, float *scale,
                         int *zero_point);
/**
 * Set every weight of @p g from @p w. Every graph weight must be present with
 * the same shape; a file tensor the graph does not know is an error too. A
 * quant section must list every tensor of @p g by name; its parameters are
 * then set as fixed (vsr_graph_set_quant()).
 */
int vsr_weights_apply(const vsr_weights *w, vsr_graph *g, vsr_error *err);
void vsr_weights_free(vsr_weights **w);

/* ==== binary16 helpers (exposed for tests and importers) ============ */

/** float -> IEEE binary16 bits, round to nearest even, overflow -> inf, NaN kept. */
uint16_t vsr_f32_to_f16(float x);
/** IEEE binary16 bits -> float (exact). */
float vsr_f16_to_f32(uint16_t h);

#ifdef __cplusplus
}
#endif
#endif /* VSR_ENGINE_H */
