/**
 * @file models.h
 * @brief The model zoo: registry of the mobile x4 VSR candidates (bicubic,
 *        SWRN, ABPN, ELSR, MobileRRN, QuickSRNet, XLSR, the MVSR/FANI family
 *        and its stand-ins), their hyperparameters and temporal interfaces, and
 *        importers for weights trained elsewhere (.npy folders, TFLite).
 *
 * Architectures follow docs/MODEL_SPECS.md; parameter and MAC
 * counts follow its count.py (Keras convention: BatchNorm counted as 4*C;
 * the "deployed" count has BN folded into the preceding 1x1 conv).
 *
 * Ownership: every struct filled by a vsr_models_* reader owns its memory
 * and is released by the matching *_free() call, which also zeroes it.
 * Zoo entries are static, read-only, and never freed.
 */
#ifndef VSR_MODELS_H
#define VSR_MODELS_H

#include <stdint.h>
#include <stdio.h>

#include "vsr/core.h"
#include "vsr/engine.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VSR_MODELS_MAX_DIMS 8

/* ---- element types shared by the readers --------------------------------- */

enum vsr_models_dtype {
    VSR_MODELS_DT_F32,
    VSR_MODELS_DT_F64,
    VSR_MODELS_DT_F16,
    VSR_MODELS_DT_I8,
    VSR_MODELS_DT_I16,
    VSR_MODELS_DT_I32,
    VSR_MODELS_DT_I64,
    VSR_MODELS_DT_U8,
    VSR_MODELS_DT_BOOL,
};

/** "float32", "int8", ... (static string). */
const char *vsr_models_dtype_name(enum vsr_models_dtype dt);

/* ---- NumPy .npy ---------------------------------------------------------- */

/** One array from a .npy file (C order, little-endian data as stored). */
typedef struct vsr_models_npy {
    enum vsr_models_dtype dtype;
    size_t elem_size;                   /**< bytes per element */
    int ndim;                           /**< 0 for a scalar */
    int64_t shape[VSR_MODELS_MAX_DIMS]; /**< dimensions, outermost first */
    size_t count;                       /**< number of elements (1 for a scalar) */
    void *data;                         /**< owned; count * elem_size bytes */
} vsr_models_npy;

/**
 * Parse a .npy image held in memory (format 1.0, 2.0 or 3.0; dtypes
 * <f2 <f4 <f8 |i1 <i2 <i4 <i8 |u1 |b1; fortran_order must be False).
 * @p what names the source in error messages. The data are copied into
 * out->data (free with vsr_models_npy_free). Corrupt input is -EINVAL,
 * unsupported features -ENOTSUP.
 */
int vsr_models_npy_parse(const void *buf, size_t len, const char *what, vsr_models_npy *out,
                         vsr_error *err);
/** vsr_models_npy_parse() on the contents of @p path. */
int vsr_models_npy_read(const char *path, vsr_models_npy *out, vsr_error *err);
/** Convert any numeric array to a malloc'ed float array (caller frees *out). */
int vsr_models_npy_to_f32(const vsr_models_npy *a, float **out, vsr_error *err);
/** Free the data and zero the struct; NULL is fine. */
void vsr_models_npy_free(vsr_models_npy *a);

/* ---- TFLite flatbuffers ---------------------------------------------------- */

/** TFLite TensorType values (public schema). */
enum vsr_models_tfl_type {
    VSR_TFL_FLOAT32 = 0,
    VSR_TFL_FLOAT16 = 1,
    VSR_TFL_INT32 = 2,
    VSR_TFL_UINT8 = 3,
    VSR_TFL_INT64 = 4,
    VSR_TFL_INT16 = 7,
    VSR_TFL_INT8 = 9,
};

/** The builtin operators the importer knows by number (public schema). */
enum vsr_models_tfl_op {
    VSR_TFL_ADD = 0,
    VSR_TFL_CONCATENATION = 2,
    VSR_TFL_CONV_2D = 3,
    VSR_TFL_DEPTHWISE_CONV_2D = 4,
    VSR_TFL_DEPTH_TO_SPACE = 5,
    VSR_TFL_DEQUANTIZE = 6,
    VSR_TFL_LOGISTIC = 14,
    VSR_TFL_MUL = 18,
    VSR_TFL_RELU = 19,
    VSR_TFL_RELU6 = 21,
    VSR_TFL_RESHAPE = 22,
    VSR_TFL_RESIZE_BILINEAR = 23,
    VSR_TFL_SOFTMAX = 25,
    VSR_TFL_STRIDED_SLICE = 45,
    VSR_TFL_SPLIT = 49,
    VSR_TFL_PRELU = 54,
    VSR_TFL_MAXIMUM = 55,
    VSR_TFL_MINIMUM = 57,
    VSR_TFL_RESIZE_NEAREST_NEIGHBOR = 97,
    VSR_TFL_LEAKY_RELU = 98,
    VSR_TFL_QUANTIZE = 114,
    VSR_TFL_BATCH_MATMUL = 126,
    VSR_TFL_GELU = 150,
};

/** Fused activation (ActivationFunctionType). */
enum vsr_models_tfl_act {
    VSR_TFL_ACT_NONE = 0,
    VSR_TFL_ACT_RELU = 1,
    VSR_TFL_ACT_RELU_N1_TO_1 = 2,
    VSR_TFL_ACT_RELU6 = 3,
    VSR_TFL_ACT_TANH = 4,
};

/** Quantization parameters of one tensor (n == 0: not quantized). */
typedef struct vsr_models_tfl_quant {
    int n;                   /**< number of scale/zero-point pairs */
    float *scale;            /**< owned by the model, n entries */
    int64_t *zero_point;     /**< owned by the model, n entries (or fewer, see nzp) */
    int nzp;                 /**< number of zero points stored */
    int quantized_dimension; /**< axis of per-channel quantization */
} vsr_models_tfl_quant;

typedef struct vsr_models_tfl_tensor {
    char *name; /**< owned by the model */
    int type;   /**< enum vsr_models_tfl_type value */
    int ndim;
    int32_t shape[VSR_MODELS_MAX_DIMS];
    int sig_ndim; /**< 0 when the file has no shape_signature */
    int32_t shape_signature[VSR_MODELS_MAX_DIMS];
    uint32_t buffer;     /**< buffer index */
    const uint8_t *data; /**< constant data (points into the file), or NULL */
    size_t data_len;     /**< bytes at data */
    vsr_models_tfl_quant q;
} vsr_models_tfl_tensor;

/** Builtin options, decoded for the ops the importer supports. */
typedef struct vsr_models_tfl_options {
    int padding; /**< 0 SAME, 1 VALID */
    int stride_w, stride_h;
    int dilation_w, dilation_h;
    int depth_multiplier;
    int act;                               /**< fused activation */
    int axis;                              /**< CONCATENATION */
    int block_size;                        /**< DEPTH_TO_SPACE */
    int align_corners, half_pixel_centers; /**< RESIZE_* */
    int begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask;
    float alpha;      /**< LEAKY_RELU */
    float beta;       /**< SOFTMAX */
    int adj_x, adj_y; /**< BATCH_MATMUL */
} vsr_models_tfl_options;

typedef struct vsr_models_tfl_operator {
    int code; /**< builtin code (max of deprecated and new field) */
    int version;
    const char *opname; /**< static name ("CONV_2D", "CUSTOM:<name>" is not decoded) */
    int n_inputs, n_outputs;
    int32_t *inputs; /**< owned by the model; -1 = optional input absent */
    int32_t *outputs;
    vsr_models_tfl_options opt;
} vsr_models_tfl_operator;

/** A parsed .tflite file (first subgraph). */
typedef struct vsr_models_tflite {
    unsigned char *file; /**< owned: the whole file */
    size_t file_len;
    uint32_t version;  /**< schema version */
    char *description; /**< owned, may be "" */
    int n_subgraphs;
    char *subgraph_name;
    int n_tensors;
    vsr_models_tfl_tensor *tensors;
    int n_ops;
    vsr_models_tfl_operator *ops;
    int n_inputs, n_outputs;
    int32_t *inputs, *outputs;
    int n_buffers;
    int n_opcodes;
} vsr_models_tflite;

/** Static name of a builtin operator code ("CONV_2D"), or "UNKNOWN". */
const char *vsr_models_tfl_opname(int code);
/** Static name of a tensor type ("INT8"). */
const char *vsr_models_tfl_typename(int type);

/**
 * Parse a TFLite flatbuffer held in @p buf (copied; the caller keeps buf).
 * Every offset is bounds-checked: a corrupt or truncated file gives -EINVAL
 * with a message naming @p what, never a crash. A constant tensor's shape
 * must match its bytes exactly (checked arithmetic: a shape whose product
 * wraps is an error). Quantisation arrays are checked: scale count 1 or the
 * size of quantized_dimension, zero-point count 0, 1 or the scale count,
 * scales finite and > 0, zero points within the tensor type's range
 * (INT8 -128..127, UINT8 0..255); errors name the tensor and @p what. Free with
 * vsr_models_tflite_free().
 */
int vsr_models_tflite_parse(const void *buf, size_t len, const char *what,
                            vsr_models_tflite *out, vsr_error *err);
/** vsr_models_tflite_parse() on the contents of @p path. */
int vsr_models_tflite_read(const char *path, vsr_models_tflite *out, vsr_error *err);
/** Free everything the model owns and zero it; NULL is fine. */
void vsr_models_tflite_free(vsr_models_tflite *m);
/**
 * Print the tensor / op / quantization listing in the layout of the shared
 * *.dump.txt files (one line per tensor, one per op) to @p out.
 */
void vsr_models_tflite_dump(const vsr_models_tflite *m, FILE *out);
/** Number of elements of all constant tensors (the dumps' last line). */
size_t vsr_models_tflite_const_elements(const vsr_models_tflite *m);

/* ---- zoo ----------------------------------------------------------------- */

enum vsr_models_family {
    VSR_MODELS_BICUBIC,
    VSR_MODELS_SWRN,
    VSR_MODELS_ABPN,
    VSR_MODELS_ELSR,
    VSR_MODELS_MOBILERRN,
    VSR_MODELS_MVSR,
    VSR_MODELS_QUICKSRNET,
    VSR_MODELS_XLSR,
};

/** How a model is fed in time (docs/MODEL_SPECS.md section 5). */
enum vsr_models_temporal {
    VSR_MODELS_T_SINGLE,  /**< x(t) only, 3 ch; frames independent */
    VSR_MODELS_T_WINDOW3, /**< [x(t-1), x(t), x(t+1)] 9 ch, edge-replicated; independent */
    VSR_MODELS_T_WINDOW3_STATE, /**< window + hidden state carried t -> t+1, reset per clip */
    VSR_MODELS_T_PAIR_STATE,    /**< causal [x(t-1), x(t)] 6 ch (x(-1) = x(0)) + hidden state */
    VSR_MODELS_T_PREV_HR,       /**< x(t) + previous SR output (bilinear x4 of x(0) at t = 0) */
};

enum vsr_models_mvsr_align {
    VSR_MVSR_ALIGN_AFA,
    VSR_MVSR_ALIGN_AFA_V1,
    VSR_MVSR_ALIGN_CONV1X1,
    VSR_MVSR_ALIGN_STACK9,
    VSR_MVSR_ALIGN_NONE,
};

#define VSR_MVSR_MAX_K 4

/** The MVSR generator's hyperparameters (docs/MODEL_SPECS.md 3.1; defaults = MVSR_13). */
typedef struct vsr_models_mvsr_hp {
    int F;                    /**< feature channels */
    int B;                    /**< MPFD blocks */
    int ratio_num, ratio_den; /**< partial ratio r; d = F * r must be integral */
    int pfe_n;                /**< number of PFE partial convs */
    int pfe_k[VSR_MVSR_MAX_K], pfe_dil[VSR_MVSR_MAX_K];
    int ppa_n;
    int ppa_k[VSR_MVSR_MAX_K], ppa_dil[VSR_MVSR_MAX_K];
    int dw;             /**< partial convs depthwise */
    int fc;             /**< 1x1 F->F in front of every PFE/PPA split */
    int mix;            /**< PFE expansion F -> mix*F -> F */
    int bn;             /**< BatchNorm after the expansion (folded when deployed) */
    int shallow_bsconv; /**< 1: BSConv (1x1 + dw 3x3), 0: dense 3x3 */
    enum vsr_models_mvsr_align align;
    int tail_bsconv;  /**< 1: BSConv tail, 0: 3x3 no-bias conv */
    int rgb_share;    /**< tail predicts one HR channel shared by R, G, B */
    int skip_nearest; /**< 1: nearest conv at LR, 0: bilinear at HR */
    int fuse;         /**< per-block 1x1 channel fuse (MVSR_10) */
} vsr_models_mvsr_hp;

/** Hyperparameters of any zoo architecture. */
typedef struct vsr_models_hparams {
    enum vsr_models_family family;
    int scale;    /**< upscaling factor (4, or 3 for the public ABPN) */
    int channels; /**< SWRN base / ABPN C / ELSR width / MobileRRN base / QuickSRNet C /
                       XLSR C (32) */
    int blocks;   /**< SWRN blocks per trunk / ABPN body convs / RRN res blocks /
                       QuickSRNet intermediate convs m / XLSR G-blocks (3) */
    int ito;      /**< QuickSRNet: 1x1 input-to-output anchor conv (QuickSRNet_L) */
    /** QuickSRNet / XLSR: 1 = the [0, 1] original (AIMET's form: input, output and final
     *  clip in [0, 1]); 0 = the 0..255 deployment form (the zoo's), which the folding
     *  passes make of it (vsr_graph_fold_input_affine() / _output_affine()) */
    int range01;
    vsr_models_mvsr_hp mvsr; /**< MVSR only */
} vsr_models_hparams;

/** One registered model (static, read-only). */
typedef struct vsr_models_entry {
    const char *name; /**< "MVSR_13", "SWRN", ... (case-insensitive lookup) */
    const char *desc; /**< one line: what differs / where it comes from */
    vsr_models_hparams hp;
    enum vsr_models_temporal temporal;
    int in_channels;          /**< channels of the per-call input tensor (3, 6 or 9) */
    int state_channels;       /**< hidden-state channels (0 if stateless) */
    int standin;              /**< 1: cost-matched stand-in, not the original network */
    const char *weights_hint; /**< how to get trained weights (importer), or NULL */
} vsr_models_entry;

/** Number of zoo entries. */
int vsr_models_zoo_count(void);
/** Entry @p i (0 <= i < count), or NULL. */
const vsr_models_entry *vsr_models_zoo_get(int i);
/** Case-insensitive lookup by name ("swrn", "MVSR_13_2"); NULL if absent. */
const vsr_models_entry *vsr_models_zoo_find(const char *name);
/** "bicubic", "SWRN", ... */
const char *vsr_models_family_name(enum vsr_models_family f);
/** "x(t)", "window3", "window3+state", "pair+state", "prev-HR". */
const char *vsr_models_temporal_name(enum vsr_models_temporal t);
/** The MVSR_13 (FANI) defaults. */
void vsr_models_mvsr_defaults(vsr_models_mvsr_hp *hp);
/**
 * Check hyperparameters (d = F*r integral and in [1, F], kernels odd,
 * F divisible by 4, ...). Returns 0 or -EINVAL naming the bad field.
 */
int vsr_models_hparams_check(const vsr_models_hparams *hp, vsr_error *err);
/**
 * Apply the family's identity initialisation to @p g (built for @p hp, its
 * weights already set, e.g. randomly by the trainer): QuickSRNet adds the
 * identity to the centre taps of its 3x3 convs and the nearest-neighbour
 * repetition to conv_last (S, M) or sets the anchor to it (L), in the
 * 0..255 folded form (docs/MODEL_SPECS.md 2.4). -ENOTSUP for a family that
 * has none.
 */
int vsr_models_identity_init(struct vsr_graph *g, const vsr_models_hparams *hp, vsr_error *err);
/** Input channels and temporal interface implied by hyperparameters. */
void vsr_models_hparams_interface(const vsr_models_hparams *hp, enum vsr_models_temporal *t,
                                  int *in_channels, int *state_channels);

/* ---- hyperparameter options (one table per family) ------------------------- */

/** How an option's value text is read (values are YAML scalar text). */
enum vsr_models_opt_type {
    VSR_MODELS_OPT_INT,      /**< an integer in [min, max]; true / false read as 1 / 0 */
    VSR_MODELS_OPT_RATIO,    /**< "a/b", a and b in [min, max] */
    VSR_MODELS_OPT_INT_LIST, /**< "[k1, k2]" or "k1,k2": 1..max_n integers in [min, max] */
    VSR_MODELS_OPT_ENUM,     /**< one of enum_names (case-insensitive), stored as its index */
};

/**
 * One hyperparameter a config may override (static, read-only): a plain
 * struct so that a generic option table can be fed from it. The field is
 * an int of vsr_models_hparams at byte @c offset.
 */
typedef struct vsr_models_option {
    const char *name; /**< the key in `hyperparameters:` ("F", "ratio", ...) */
    enum vsr_models_opt_type type;
    size_t offset;  /**< the int field (RATIO: numerator; INT_LIST: first element) */
    size_t offset2; /**< RATIO: the denominator; INT_LIST: its count field, or 0 (none) */
    long min, max;  /**< range of each number (not used by ENUM) */
    int max_n;      /**< INT_LIST: most elements */
    const char *const *enum_names; /**< ENUM: names by value, NULL-terminated */
    const char *help;              /**< one line for --help and listings */
} vsr_models_option;

/** The options of family @p f (static; scale first); *n gets their count (0 if unknown). */
const vsr_models_option *vsr_models_family_options(enum vsr_models_family f, int *n);

/** A key = value override; both strings borrowed. */
typedef struct vsr_models_kv {
    const char *key;
    const char *value;
} vsr_models_kv;

/**
 * Apply @p n overrides to @p hp (usually a copy of a zoo entry's), each
 * validated against the options of hp->family, then vsr_models_hparams_check().
 * An unknown key is -EINVAL with one line naming @p what, the key, the
 * closest option ("did you mean 'F'?") and the family's options; a bad
 * value names the key and its range. @p hp is partly updated on error.
 */
int vsr_models_hparams_apply(vsr_models_hparams *hp, const vsr_models_kv *kv, int n,
                             const char *what, vsr_error *err);

/**
 * The value of option @p o (of hp->family) in @p hp as the text
 * vsr_models_hparams_apply() reads back ("16", "1/2", "[5, 5]", "afa") into
 * @p buf of @p cap bytes. Returns 0, or -EINVAL for an unknown option type.
 */
int vsr_models_hparams_value(const vsr_models_hparams *hp, const vsr_models_option *o,
                             char *buf, size_t cap);

/* ---- graph builders (need the engine) ---------------------------------------- */

struct vsr_graph;
struct vsr_engine;

/**
 * Build the engine graph of @p hp at nominal input size h x w (LR pixels).
 * Graph inputs: 0 "x" (in_channels: 3, 6 or 9, see the entry), and for
 * stateful models 1 "h" (state_channels). Outputs: 0 "sr" (HR RGB, clipped
 * to [0, 255]); stateful models also 1 "h_out" (the next state).
 * Layer names follow count.py's (conv_first_forward, blk0_pfe1_fc, ...);
 * weights are "<layer>.weight" (HWIO) / "<layer>.bias" and are left unset,
 * except fixed ones (the nearest-conv option). The hyperparameters are also
 * stored as graph metadata ("family", "scale", ...).
 * bicubic has no graph: -ENOTSUP. The caller frees *out with vsr_graph_free().
 */
int vsr_models_build(const vsr_models_hparams *hp, const char *name, int h, int w,
                     struct vsr_graph **out, vsr_error *err);

/**
 * Fold the [0, 1] interface of @p g (a range01 = 1 build with its weights
 * set) into the 0..255 deployment form: /255 into the convs reading input
 * 0, x255 into the convs writing output 0 (vsr_graph_fold_input_affine(),
 * vsr_graph_fold_output_affine()); its weights then load into the zoo's
 * range01 = 0 graph by order. @p flags and @p log as for those passes
 * (VSR_FOLD_WEIGHTS_ONLY: @p g is already the folded build, holding the
 * original's weights).
 */
int vsr_models_fold_range01(struct vsr_graph *g, unsigned flags, char *log, size_t cap,
                            vsr_error *err);

/**
 * What vsr_models_fold_range01() folds where for @p hp's family (a range01
 * build at 8 x 8 with zero weights, folded): the note in @p buf, or "" for
 * a family without a range01 option. 0 or a negative errno.
 */
int vsr_models_fold_note(const vsr_models_hparams *hp, char *buf, size_t cap, vsr_error *err);

/** Figures of one architecture at one LR input size (vsr_models_count()). */
typedef struct vsr_models_counts {
    int h, w; /**< LR input size counted */
    /** Keras count_params() with the research log's conventions (docs/MODEL_SPECS.md 0.2):
     *  BatchNorm = 4C (unfolded), and ELSR's shared PReLU slope left out, as
     *  the log's 3,468 does (docs/MODEL_SPECS.md 2.3). */
    int64_t params_log;
    int64_t macs; /**< multiply-adds of convs and matmuls */
    /** The log's FLOPs (docs/MODEL_SPECS.md 0.2, count.py's "GFLOPs (ours)", without the
     *  fitted MVSR residual): 2 per MAC + 1 per bias-add output element + 1 per
     *  Add/Mul output element (and AFA's score scaling) + 5 per softmax element. */
    int64_t flops_log;
    int64_t conv_activations; /**< elements written by convs (NTIRE ESR "#Activations") */
    int n_conv;               /**< number of conv layers (NTIRE ESR "#Conv") */
    size_t peak_bytes;        /**< peak activation arena for the precision, whole frame */
} vsr_models_counts;

/**
 * Count the architecture @p hp at LR size h x w: builds its graph (no
 * weights) and walks the per-layer table. @p precision is a vsr_precision
 * value (only peak_bytes depends on it). bicubic: -ENOTSUP.
 */
int vsr_models_count(const vsr_models_hparams *hp, int h, int w, int precision,
                     vsr_models_counts *out, vsr_error *err);

/**
 * Fill every weight of @p g with reproducible pseudo-random values (He-style
 * uniform for convs, BN identity-ish). For tests only: zoo runs refuse
 * models without trained weights (vsr_models_load_weights()).
 */
int vsr_models_random_weights(struct vsr_graph *g, uint64_t seed, vsr_error *err);

/**
 * Load trained weights for a zoo model from a .vsrw file (the engine's
 * format). When @p path is NULL or the file does not exist the error says
 * how to get them (the entry's weights_hint): -ENOENT.
 */
int vsr_models_load_weights(const vsr_models_entry *e, struct vsr_graph *g, const char *path,
                            vsr_error *err);

/* ---- importers ------------------------------------------------------------ */

/**
 * Set the weights of @p g from a folder of .npy files through a name map
 * (YAML):
 *
 *     model: SWRN            # optional; must equal the graph name if given
 *     layout: HWIO           # HWIO (TF, default) or OIHW (PyTorch)
 *     weights:
 *       conv_first_forward.weight: model__conv_first_forward__kernel.npy
 *       conv_first_forward.bias:   model__conv_first_forward__bias.npy
 *
 * Every graph weight must be mapped, every mapped file must exist and match
 * the weight's size; errors name the weight and the file. A PyTorch
 * checkpoint (AIMET's QuickSRNet, models/maps/aimet_quicksrnet_*.yaml) adds
 *
 *     crd_to_dcr: [conv_last, anchor]   # layers feeding nn.PixelShuffle:
 *                                        # output channels CRD -> DCR
 *     range01: true                      # a [0, 1] network: fold /255 and x255
 *                                        # (vsr_models_fold_range01(), weights only)
 */
int vsr_models_import_npy(struct vsr_graph *g, const char *npy_dir, const char *map_yaml,
                          vsr_error *err);

/** Bound on the weight bytes vsr_models_import_tflite() allocates: factor x file size + slack.
 */
#define VSR_MODELS_TFLITE_ALLOC_FACTOR 8
#define VSR_MODELS_TFLITE_ALLOC_SLACK (1 << 20)

/** Options for vsr_models_import_tflite(). */
typedef struct vsr_models_tflite_import {
    int h, w;      /**< nominal LR input size (the file's may be 1x1 or fixed) */
    int use_quant; /**< 1: copy the file's INT8 tensor params / weight scales */
} vsr_models_tflite_import;

/**
 * Translate the first subgraph of a parsed TFLite model into a new engine
 * graph named @p name, op by op: CONV_2D, DEPTHWISE_CONV_2D (multiplier 1),
 * ADD, MUL, CONCATENATION (channel axis), DEPTH_TO_SPACE, RESIZE_BILINEAR
 * (half-pixel), RESIZE_NEAREST_NEIGHBOR, STRIDED_SLICE (channel slices),
 * RELU, RELU6, LOGISTIC, LEAKY_RELU, PRELU, MINIMUM/MAXIMUM with a scalar
 * constant (clip), SOFTMAX (beta 1), the attention layout of
 * vsr_models_export_tflite() (RESHAPE / BATCH_MATMUL / MUL by a scalar:
 * matmul_tn, matmul_pixels), QUANTIZE / DEQUANTIZE (value-preserving,
 * dropped). INT8 weights are dequantized with their per-channel scales (kept as the
 * engine's weight scales) and, with use_quant, every activation tensor gets
 * the file's (scale, zero point), so the engine's INT8 runs on the file's
 * own quantization. Graph inputs / outputs keep the file's order and names
 * "in0", "in1", ... / "out0", ...
 * Any other op is -ENOTSUP naming the op ("op #11 SQUARE is not supported").
 * Hostile files: the float weights the import allocates total at most
 * VSR_MODELS_TFLITE_ALLOC_FACTOR x m->file_len + VSR_MODELS_TFLITE_ALLOC_SLACK
 * bytes (a constant is at most 4 bytes of float per byte of file, so only
 * constants shared by many ops reach it), tensor sides and channel counts
 * at most 65536, and every constant operand must have exactly the elements
 * its op needs; otherwise -EINVAL with one line naming the op.
 * The caller frees *out with vsr_graph_free().
 */
int vsr_models_import_tflite(const vsr_models_tflite *m, const char *name,
                             const vsr_models_tflite_import *opt, struct vsr_graph **out,
                             vsr_error *err);

/* ---- ONNX ------------------------------------------------------------------ */

/** A parsed .onnx file (opaque; protobuf-c underneath). */
typedef struct vsr_models_onnx vsr_models_onnx;

/**
 * Parse an ONNX model held in @p buf (copied where needed; the caller keeps
 * buf) with protobuf-c and check it against itself: a graph present, every
 * initializer and Constant tensor of a type the importer reads (FLOAT,
 * FLOAT16, DOUBLE, INT8, UINT8, INT32, INT64), stored in the file (external
 * data is refused), with dims >= 0 whose product (checked arithmetic) times
 * the element size equals its raw_data bytes or typed-array count, and
 * every string bounded by the file. Errors are -EINVAL with one line naming
 * @p what and the tensor or node. The caller frees *out with
 * vsr_models_onnx_free().
 */
int vsr_models_onnx_parse(const void *buf, size_t len, const char *what, vsr_models_onnx **out,
                          vsr_error *err);
/** vsr_models_onnx_parse() on the contents of @p path. */
int vsr_models_onnx_read(const char *path, vsr_models_onnx **out, vsr_error *err);
/** Free a parsed model; sets *m = NULL. NULL-safe. */
void vsr_models_onnx_free(vsr_models_onnx **m);

/** Options for vsr_models_import_onnx(). */
typedef struct vsr_models_onnx_import {
    int h, w; /**< nominal LR input size (used where the file's H, W are symbolic) */
} vsr_models_onnx_import;

/**
 * Translate the graph of a parsed ONNX model (batch 1, NCHW) into a new
 * engine graph named @p name (HWC), node by node: Conv (group 1 or
 * depthwise; zero pads equal to the engine's SAME padding, a preceding
 * constant-zero Pad folded in), Relu, Clip, PRelu, Add / Mul (tensors, or a
 * scalar constant as a scale), Concat and Split / Slice on the channel axis,
 * DepthToSpace (DCR; CRD as a channel shuffle then DCR), Reshape ->
 * Transpose -> Reshape forming a pixel shuffle (either order), Resize by
 * an integer factor (nearest: asymmetric + floor, or half-pixel modes;
 * linear: half_pixel / pytorch_half_pixel), Softmax on the channel axis,
 * BatchNormalization (inference), the attention layout of
 * vsr_models_export_onnx() (Reshape to [1, C, H*W], Transpose, MatMul, Mul
 * by a scalar, Reshape back: matmul_tn / matmul_pixels), Identity, Constant,
 * DequantizeLinear of a constant (folded into a float constant) and QDQ
 * pairs on activations (QuantizeLinear -> DequantizeLinear, per-tensor
 * int8 / uint8: the tensor itself). A QDQ graph keeps its quantization:
 * each QuantizeLinear's (scale, zero point) becomes the tensor's fixed INT8
 * parameters (a uint8 zero point z is z - 128 on the int8 grid) and the
 * per-channel scales of a DequantizeLinear conv weight the conv's weight
 * scales, so the engine's INT8 runs on the file's integers (FP32 runs
 * ignore both).
 * Initializers become the weights ("<node>.weight", OIHW -> HWIO).
 * Graph inputs / outputs keep the file's order and are named "in0", ... /
 * "out0", ...; inputs keep the engine's default range [0, 255].
 * Anything else (an op, an attribute value, a grouped conv, per-axis
 * QuantizeLinear on activations) is -ENOTSUP with one line naming the node and its op
 * type; a malformed graph (unknown input name, wrong constant sizes) is
 * -EINVAL naming the node. Float weights the import allocates total at most
 * VSR_MODELS_TFLITE_ALLOC_FACTOR x the file + VSR_MODELS_TFLITE_ALLOC_SLACK
 * bytes; sides and channels at most 65536.
 * The caller frees *out with vsr_graph_free().
 */
int vsr_models_import_onnx(const vsr_models_onnx *m, const char *name,
                           const vsr_models_onnx_import *opt, struct vsr_graph **out,
                           vsr_error *err);

/**
 * Write engine graph @p g with its weights to @p path as an ONNX model
 * (opset 13, IR 7, FP32, batch 1, NCHW; the file appears complete or not at
 * all). Input @p h x @p w fixes the input shapes (0 x 0: symbolic "height" /
 * "width", refused for strided convs). Graph inputs and outputs keep their
 * names and order; values are in the engine's scale (pixels 0..255).
 * Ops: conv2d (group 1 or depthwise; SAME padding as explicit pads; fused
 * activation as its own node), relu, leaky_relu, prelu, clip, sigmoid, add,
 * mul, scale (Mul / Add by constants), concat, slice (channels),
 * depth_to_space (DCR), resize nearest (asymmetric, floor) and bilinear
 * (half_pixel), batch_norm (BatchNormalization), softmax (axis 1), matmul_tn
 * (Q [1, Cq, HW] MatMul K^T [1, HW, Ck], Mul alpha, Reshape to [1, Cq, 1,
 * Ck]) and matmul_pixels (A [1, Cq, Cv] MatMul V [1, Cv, HW], Reshape to [1,
 * Cq, H, W]: needs a fixed size); any other op is -ENOTSUP naming the node. Weights must all
 * be set (-EINVAL otherwise). vsr_models_import_onnx() reads the file back.
 */
int vsr_models_export_onnx(const struct vsr_graph *g, int h, int w, const char *path,
                           vsr_error *err);

/**
 * Write engine graph @p g with its weights to @p path as a TFLite model
 * (schema 3, FP32, batch 1, NHWC, input @p h x @p w fixed; the file appears
 * complete or not at all), built with the project's own flatbuffer writer
 * (models/flatbuf.c). Builtin ops only: CONV_2D and DEPTHWISE_CONV_2D (SAME
 * padding; ReLU / ReLU6 fused, other activations as their own op),
 * RELU, RELU6, LEAKY_RELU, LOGISTIC, PRELU, MAXIMUM / MINIMUM (clips), ADD,
 * MUL, CONCATENATION, STRIDED_SLICE (channels), DEPTH_TO_SPACE,
 * RESIZE_BILINEAR (half-pixel), RESIZE_NEAREST_NEIGHBOR, SOFTMAX, and for
 * matmul_tn / matmul_pixels RESHAPE to [1, H*W, C], BATCH_MATMUL (adj_x for
 * the scores), MUL by alpha, RESHAPE back. A batch norm that the engine folds
 * into its conv (the conv's only consumer, no fused activation) is folded
 * into that conv's weights with the engine's arithmetic (so the re-import
 * computes the same bits); any other batch norm is -ENOTSUP. Several inputs
 * and outputs (a frame window, a hidden state) keep their order. Any other
 * op is -ENOTSUP naming the node. vsr_models_import_tflite() reads it back.
 */
int vsr_models_export_tflite(const struct vsr_graph *g, int h, int w, const char *path,
                             vsr_error *err);

/** Number format of an exported model (vsr_models_export_options.precision). */
typedef enum vsr_models_export_precision {
    VSR_MODELS_EXPORT_FP32 = 0, /**< float weights and activations (the default) */
    /**
     * Full-integer INT8 as the engine runs it in VSR_PREC_INT8: the graph
     * needs every quantization parameter (vsr_calib_finish() or
     * vsr_graph_set_quant(); inputs may keep their declared range); the
     * exporter writes the engine's own integers (vsr_engine_conv_quant(),
     * vsr_engine_tensor_quant()).
     */
    VSR_MODELS_EXPORT_INT8 = 1,
} vsr_models_export_precision;

/** Options of vsr_models_export_tflite_ex() / vsr_models_export_onnx_ex(). */
typedef struct vsr_models_export_options {
    vsr_models_export_precision precision;
} vsr_models_export_options;

/**
 * What vsr_models_export_tflite_ex() found, for the caller to warn about.
 * TFLite's int8 kernels require the same (scale, zero point) on the inputs
 * and the output of CONCATENATION (its Prepare refuses others) and of
 * RESIZE_BILINEAR (it interpolates raw values); TFLite's converter ties
 * them, and so does vsrbench's own calibration (vsr_models_calibrate():
 * vsr_calib_options.tflite). Parameters set otherwise (a calibration without
 * that option, vsr_graph_set_quant()) may leave them untied: the engine then
 * rescales, as TFLite's uint8 concat does, and the file re-imports and runs
 * bit-exact in vsrbench, but a phone refuses or miscomputes those ops. Graphs
 * imported from INT8 TFLite files have them tied.
 */
typedef struct vsr_models_export_report {
    int int8_untied;                 /**< INT8: ops with untied parameters (0 = none) */
    char first_untied[VSR_NAME_MAX]; /**< the first one's node name, or "" */
} vsr_models_export_report;

/** "fp32" / "int8" (for `--precision`); -EINVAL with a one-line message otherwise. */
int vsr_models_export_precision_parse(const char *s, vsr_models_export_precision *out,
                                      vsr_error *err);
/** "fp32" / "int8". */
const char *vsr_models_export_precision_name(vsr_models_export_precision p);

/**
 * vsr_models_export_tflite() with options (@p opt NULL = FP32). INT8 writes
 * what TFLite's converter makes by default for full-integer quantization
 * with float I/O: float32 graph inputs, each followed by QUANTIZE; int8
 * activations with one (scale, zero point) per tensor; CONV_2D /
 * DEPTHWISE_CONV_2D filters int8 per output channel (zero point 0,
 * quantized_dimension 0 resp. 3) and int32 biases (scale s_in * s_w[o]);
 * DEQUANTIZE before each float32 graph output. A conv the engine fuses with
 * its activation node gets that node's output parameters (the activation
 * op then maps them to themselves). Clips: lo 0, hi 6 as RELU6; lo 0 and
 * hi finite as MINIMUM (the bound quantized on the input's grid) then RELU;
 * other clips, fused sigmoid / leaky / PReLU in a conv, and ops the engine
 * keeps in FP32 are -ENOTSUP in INT8. vsr_models_import_tflite() with
 * use_quant reads the parameters back. @p rep (may be NULL) receives what
 * a phone's TFLite would not run as the engine does (see
 * vsr_models_export_report).
 */
int vsr_models_export_tflite_ex(const struct vsr_graph *g, int h, int w, const char *path,
                                const vsr_models_export_options *opt,
                                vsr_models_export_report *rep, vsr_error *err);

/**
 * vsr_models_export_onnx() with options (@p opt NULL = FP32). INT8 writes
 * QDQ form (opset 13): every activation tensor X is followed by
 * QuantizeLinear -> DequantizeLinear with its int8 (scale, zero point), and
 * each Conv reads its weight as DequantizeLinear of an int8 initializer
 * (per-channel scales, axis 0, zero points 0) and its bias as
 * DequantizeLinear of an int32 initializer (scale s_in * s_w[o]).
 * vsr_models_import_onnx() reads the parameters back.
 */
int vsr_models_export_onnx_ex(const struct vsr_graph *g, int h, int w, const char *path,
                              const vsr_models_export_options *opt, vsr_error *err);

/**
 * Copy every weight of @p src into @p dst by position: the i-th weight of
 * src goes to the i-th weight of dst, which must have the same role suffix
 * (".weight", ".bias", ...) and element count. Used to move weights from an
 * imported TFLite graph onto the zoo graph of the same architecture.
 */
int vsr_models_copy_weights_by_order(const struct vsr_graph *src, struct vsr_graph *dst,
                                     vsr_error *err);

/* ---- clip runner ------------------------------------------------------------ */

/**
 * The frame indices a model sees at time @p t of a clip of @p T frames
 * (docs/MODEL_SPECS.md 5): window3 -> {t-1, t, t+1} clamped to [0, T-1] (edge
 * replication), pair -> {t-1, t} clamped, single / prev-HR -> {t}.
 * Writes *n indices to idx[0..2]. Returns 0 or -EINVAL.
 */
int vsr_models_window(enum vsr_models_temporal tp, int t, int T, int idx[3], int *n);

/**
 * One model step, as the runner calls it. @p frames are the window's LR
 * frames in channel order (borrowed for the call); @p prev_sr is the
 * previous SR output (prev-HR models only; at t = 0 the bilinear x4 of
 * x(0)), else NULL. The step writes the SR frame into @p sr, which the
 * runner allocated (scale*W x scale*H x 3). reset() is called at the start
 * of every clip (stateful models zero their hidden state there).
 */
typedef struct vsr_models_step {
    void *ctx;
    int (*run)(void *ctx, const vsr_frame *const *frames, int n, const vsr_frame *prev_sr,
               vsr_frame *sr, vsr_error *err);
    void (*reset)(void *ctx);
} vsr_models_step;

typedef struct vsr_models_runner vsr_models_runner;

/**
 * A runner that feeds frames of a clip in order to @p step (copied; ctx
 * borrowed) with interface @p tp and scale @p scale. Frames are pushed one
 * by one; window3 models emit SR(t) once x(t+1) arrived (or the clip
 * ended). The caller frees *out with vsr_models_runner_free().
 */
int vsr_models_runner_create(enum vsr_models_temporal tp, int scale,
                             const vsr_models_step *step, vsr_models_runner **out,
                             vsr_error *err);
void vsr_models_runner_free(vsr_models_runner **r);
/**
 * Push LR frame x(t) (copied), or NULL to end the clip. When an SR frame is
 * ready, *ready = 1 and @p sr (caller-allocated, scale x the LR size, 3 ch)
 * holds SR(*t_out). Call again with NULL until *ready = 0 to drain; after
 * that the next pushed frame starts a new clip (state reset).
 */
int vsr_models_runner_push(vsr_models_runner *r, const vsr_frame *lr, vsr_frame *sr, int *ready,
                           int *t_out, vsr_error *err);
/**
 * Convenience: run a whole clip of @p n LR frames and write SR(t) into
 * sr[t] (caller-allocated frames of the SR size).
 */
int vsr_models_run_clip(vsr_models_runner *r, const vsr_frame *lr, int n, vsr_frame *sr,
                        vsr_error *err);

/**
 * A step backed by an engine built from a zoo graph: converts the window to
 * the float input tensor (channel order prev|cur|next), feeds the hidden
 * state (zeros after reset) and keeps h_out for the next call. @p in_ch and
 * @p state_ch as in the entry. The engine is borrowed. Free with
 * vsr_models_engine_step_free().
 */
int vsr_models_engine_step(struct vsr_engine *e, int in_ch, int state_ch, vsr_models_step *out,
                           vsr_error *err);
void vsr_models_engine_step_free(vsr_models_step *s);
/** The bicubic baseline as a step (vsr_imresize_u8 of x(t) by the scale). */
int vsr_models_bicubic_step(int scale, vsr_models_step *out, vsr_error *err);
void vsr_models_bicubic_step_free(vsr_models_step *s);

/* ---- assembling a model: zoo entry + overrides + weights + calibration ------ */

/**
 * What vsr_models_open() assembles. All pointers are borrowed for the call
 * (the instance keeps none of them). Zero-initialise and fill what applies.
 */
typedef struct vsr_models_spec {
    const char *model; /**< zoo name or alias (required) */
    const char *label; /**< names the model in messages; NULL = model */
    /** graph name (an npy map's `model:` must equal it); NULL = model */
    const char *graph_name;
    const vsr_models_kv *hparams; /**< overrides (vsr_models_hparams_apply()) */
    int n_hparams;
    /* The weight source: at most one of these; none = weights_path below. */
    const char *weights;        /**< a .vsrw file */
    const char *weights_npy;    /**< a folder of .npy files ... */
    const char *weights_map;    /**< ... and its YAML name map (vsr_models_import_npy()) */
    const char *weights_tflite; /**< a .tflite file (weights by order, INT8 params kept) */
    const char *weights_onnx;   /**< a .onnx file (weights by order) */
    int h, w;                   /**< LR size the graph is built for */
    vsr_precision precision;    /**< of the engine (and int8: calibration) */
    /** int8: "minmax" | "percentile" | "mse" | "ema" | "kl" (on calib_lr) | "file" (the
     *  .tflite's own parameters); NULL = calibrate later (vsr_models_calibrate()). */
    const char *calib_method;
    /** int8: the scheme set on the graph before calibration (zero = the default) */
    vsr_quant_scheme scheme;
    int calib_frames;          /**< frames of calib_lr to use */
    const vsr_frame *calib_lr; /**< one clip's LR frames, in order */
    int n_calib_lr;
    pthreadpool_t pool;               /**< calibration and engine threads (NULL: caller's) */
    const vsr_engine_options *engine; /**< NULL: vsr_engine_options_default() */
    unsigned flags;                   /**< VSR_MODELS_OPEN_* */
} vsr_models_spec;

/** Build the graph but set no weights (training initialises them). */
#define VSR_MODELS_OPEN_NO_WEIGHTS 1u
/** Stop before the engine: graph, weights, calibration only (vsr_models_start()). */
#define VSR_MODELS_OPEN_NO_ENGINE 2u

/** A resolved architecture: zoo entry, hyperparameters and interface. */
typedef struct vsr_models_arch {
    const vsr_models_entry *entry; /**< static */
    vsr_models_hparams hp;         /**< the entry's, with the overrides applied */
    enum vsr_models_temporal temporal;
    int in_channels, state_channels;
} vsr_models_arch;

/**
 * Resolve spec->model and spec->hparams: the zoo entry (-EINVAL "not in the
 * zoo"), the overrides applied and checked, and the interface (the entry's
 * own when no override is given, else vsr_models_hparams_interface()).
 */
int vsr_models_resolve(const vsr_models_spec *spec, vsr_models_arch *out, vsr_error *err);

/**
 * A model ready to run. Every pointer is owned by the instance and freed
 * by vsr_models_close(). bicubic has no graph and no engine; its step is
 * vsr_models_bicubic_step().
 */
typedef struct vsr_models_instance {
    vsr_models_arch arch;
    struct vsr_graph *graph;   /**< NULL for bicubic */
    struct vsr_engine *engine; /**< NULL for bicubic and before vsr_models_start() */
    vsr_models_step step;      /**< valid once have_step */
    int have_step, step_is_bicubic;
} vsr_models_instance;

/**
 * Assemble spec: vsr_models_resolve(), build the graph at spec->h x w
 * (named spec->graph_name), set its weights from the spec's source (unless
 * VSR_MODELS_OPEN_NO_WEIGHTS), calibrate for int8 when calib_method is
 * given (vsr_models_calibrate()), then create the engine and its step
 * (unless VSR_MODELS_OPEN_NO_ENGINE). bicubic: fp32 only (-EINVAL), no
 * weights, a bicubic step. The caller frees *out with vsr_models_close().
 */
int vsr_models_open(const vsr_models_spec *spec, vsr_models_instance **out, vsr_error *err);

/**
 * Create the engine of @p inst at @p prec with @p opt (NULL: defaults) on
 * @p pool, and its step (replacing any earlier engine and step).
 */
int vsr_models_start(vsr_models_instance *inst, vsr_precision prec, pthreadpool_t pool,
                     const vsr_engine_options *opt, vsr_error *err);

/** Free everything @p *inst owns and set *inst = NULL; NULL-safe. */
void vsr_models_close(vsr_models_instance **inst);

/**
 * Set every weight of @p g (built for spec->model at h x w) from the spec's
 * source: weights_npy + weights_map, weights_tflite (moved onto @p g by order
 * and, for an INT8 file of the same op sequence, its quantization too),
 * weights_onnx (by order), else weights (.vsrw); with none, -ENOENT says how
 * to get them (@p e's weights_hint). With @p g NULL the tflite / onnx file is
 * only read and imported (a corrupt file is a one-line error). Errors name
 * the model and file.
 */
int vsr_models_load_source(const vsr_models_entry *e, const vsr_models_spec *spec,
                           struct vsr_graph *g, int h, int w, vsr_error *err);

/**
 * 1 when the spec's weight source (file, .npy folder, .tflite or .onnx) is
 * named but does not exist, with @p why (cap bytes) saying what is missing
 * and how to get it (@p e's weights_hint); else 0.
 */
int vsr_models_weights_absent(const vsr_models_entry *e, const vsr_models_spec *spec, char *why,
                              size_t cap);

/**
 * Point @p spec at the weights file @p path (borrowed): a .tflite name goes
 * to weights_tflite, a .onnx name to weights_onnx, anything else to weights
 * (.vsrw); the other sources are cleared.
 */
void vsr_models_spec_weights_from_path(vsr_models_spec *spec, const char *path);

/**
 * INT8: feed the first min(@p frames, n) LR frames of @p lr (one clip, in
 * order; hidden state fed as zeros, the state after a reset) to an FP32
 * calibration of @p g and write the ranges by @p method ("minmax",
 * "percentile", "mse", "ema", "kl": vsr_calib_method_parse()) under the
 * graph's scheme (vsr_graph_set_quant_scheme()), replacing any parameters
 * the weights came with.
 * "file" keeps the parameters of an INT8 .tflite instead and calibrates
 * nothing; -EINVAL when the weights carry none. prev-HR models are refused
 * (-ENOTSUP) for the other methods. @p model names the model in errors.
 */
int vsr_models_calibrate(struct vsr_graph *g, pthreadpool_t pool, enum vsr_models_temporal tp,
                         int in_ch, int state_ch, const char *model, const char *method,
                         int frames, const vsr_frame *lr, int n, vsr_error *err);

#ifdef __cplusplus
}
#endif
#endif /* VSR_MODELS_H */
