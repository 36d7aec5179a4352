/* Internal helpers shared by the graph builders of models/. */
#ifndef VSR_MODELS_INTERNAL_H
#define VSR_MODELS_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "vsr/engine.h"
#include "vsr/models.h"

/*
 * One model family (docs/MODELS.md "Adding a family"): everything the zoo,
 * the builder dispatch, the counts and vsr_models_open() need to know about
 * it. Each family's file defines its vsr_models_family_def (named
 * vsr__models_<family>) and family.c declares and lists it in the one
 * table, indexed by enum vsr_models_family.
 */
typedef struct vsr_models_family_def {
    enum vsr_models_family id;
    const char *name; /**< "SWRN", ... (vsr_models_family_name()) */
    /** Checks beyond the scale (which family.c checks for all); NULL: none. */
    int (*check)(const vsr_models_hparams *hp, vsr_error *err);
    /** Temporal interface, input and state channels implied by @p hp;
     *  NULL: x(t), 3 channels, stateless. */
    void (*interface)(const vsr_models_hparams *hp, enum vsr_models_temporal *t, int *in_ch,
                      int *state_ch);
    /** Without interface: the temporal interface, its input channels (0: 3) and the
     *  state channels as a multiple of hp->channels (0: stateless). */
    enum vsr_models_temporal temporal;
    int in_channels;
    int state_x_channels;
    /** Add the family's ops to the empty graph @p g at nominal size h x w
     *  (chaining the engine's sticky tensor ids, reporting through
     *  vsr_graph_status()); NULL: no graph (bicubic). */
    int (*build)(vsr_graph *g, const vsr_models_hparams *hp, int h, int w, vsr_error *err);
    /** Hyperparameter options a config may override (scale first). */
    const vsr_models_option *options;
    int n_options;
    /** 1: the research log's params leave the PReLU slopes out (ELSR's 3,468). */
    int log_skips_prelu;
    /** Identity initialisation of a built graph with weights set
     *  (vsr_models_identity_init()); NULL: the family has none. */
    int (*identity_init)(vsr_graph *g, const vsr_models_hparams *hp, vsr_error *err);
} vsr_models_family_def;

/** The entry of family @p f, or NULL for a value outside the table. */
const vsr_models_family_def *vsr__models_family(enum vsr_models_family f);

/* Shared pieces of the family entries (family.c). */
#define MDL_OPT_INT(NAME, FIELD, MIN, MAX, HELP)                                               \
    {                                                                                          \
        .name = NAME, .type = VSR_MODELS_OPT_INT,                                              \
        .offset = offsetof(vsr_models_hparams, FIELD), .min = MIN, .max = MAX, .help = HELP    \
    }
/* A family entry's option table (an array) and its length. */
#define MDL_OPTIONS(A) .options = (A), .n_options = (int)(sizeof(A) / sizeof((A)[0]))
#define MDL_OPT_SCALE MDL_OPT_INT("scale", scale, 2, 8, "upscaling factor")
/** QuickSRNet / XLSR: the [0, 1] original instead of the 0..255 folded form. */
#define MDL_OPT_RANGE01                                                                        \
    MDL_OPT_INT("range01", range01, 0, 1, "1: the [0, 1] original (before folding)")
/** Declare input @p x's range and return the final clip's bound (255, or 1 for range01). */
static inline float mdl_pixel_max(vsr_graph *g, const vsr_models_hparams *hp, int x,
                                  vsr_error *err)
{
    if (hp->range01 && x >= 0)
        vsr_graph_set_range(g, x, 0.0f, 1.0f, err);
    return hp->range01 ? 1.0f : 255.0f;
}
/** channels 1..1024 and blocks 0..64 (SWRN, ABPN, MobileRRN, QuickSRNet). */
int vsr__models_check_channels_blocks(const vsr_models_hparams *hp, vsr_error *err);

/* conv2d with k x k kernel, cout outputs, optional dilation/groups/bias/act. */
static inline int mdl_conv(vsr_graph *g, const char *name, int x, int cout, int k, int dil,
                           int groups, int bias, vsr_act_type act, vsr_error *err)
{
    vsr_conv_params p = vsr_conv_default(cout, k);
    p.dilation = dil;
    p.groups = groups;
    p.bias = bias;
    p.act.type = act;
    return vsr_graph_conv2d(g, name, x, &p, err);
}

/* A 3x3 conv @p name to 3*s*s channels and the depth-to-space to RGB x @p s. */
static inline int mdl_conv_shuffle(vsr_graph *g, const char *name, int x, int s, vsr_error *err)
{
    int z = mdl_conv(g, name, x, 3 * s * s, 3, 1, 1, 1, VSR_ACT_NONE, err);
    return vsr_graph_depth_to_space(g, "depth_to_space", z, s, err);
}

/*
 * The end of the recurrent families (SWRN, MobileRRN): the residual @p z plus
 * the bilinear x @p s upsampling of the current frame @p xc, clipped to
 * [0, 255], as output "sr"; @p hout (the next hidden state) as "h_out".
 * Returns the graph's status.
 */
static inline int mdl_sr_state_out(vsr_graph *g, int z, int xc, int s, int hout, vsr_error *err)
{
    int up = vsr_graph_resize_bilinear(g, "bilinear", xc, s, err);
    z = vsr_graph_add(g, "add_bilinear", z, up, err);
    z = vsr_graph_clip(g, "clip", z, 0.0f, 255.0f, err);
    vsr_graph_output(g, "sr", z, err);
    vsr_graph_output(g, "h_out", hout, err);
    return vsr_graph_status(g, err);
}

/* Format a layer name into a local buffer (names longer than 63 chars are
 * truncated; the engine then reports a duplicate or the name itself). */
static inline void mdl_name(char *buf, size_t cap, const char *fmt, ...) VSR_PRINTF(3, 4);
static inline void mdl_name(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
}
#define MDL_NAME(buf, ...) mdl_name(buf, sizeof(buf), __VA_ARGS__)

/* The float data of weight "<layer>.<suffix>" of @p g (borrowed), its count in
 * *count; NULL when the graph has no such weight or it is not set. */
static inline const float *mdl_layer_weight(const vsr_graph *g, const char *layer,
                                            const char *suffix, size_t *count)
{
    char wn[VSR_NAME_MAX + 16];
    snprintf(wn, sizeof(wn), "%s.%s", layer, suffix);
    const float *d = NULL;
    vsr_error e = {0};
    return vsr_graph_get_weight(g, wn, &d, count, &e) < 0 ? NULL : d;
}

/*
 * INT8 export (export_quant.c): an INT8 engine for @p g (requant tflite, no
 * pool) whose integers the exporter writes (vsr_engine_conv_quant(),
 * vsr_engine_tensor_quant()). A graph without quantization parameters is
 * -EINVAL with the engine's message and the fix; @p fmt ("TFLite", "ONNX")
 * names the export. The caller frees *out with vsr_engine_free().
 */
int mdl_export_int8_engine(const vsr_graph *g, const char *fmt, vsr_engine **out,
                           vsr_error *err);
/* INT8 export: the engine's int8 weights, int32 biases and weight scales of
 * conv @p node (vsr_engine_conv_quant()); -EINVAL naming it otherwise. */
int mdl_export_conv_int8(const vsr_engine *qe, const vsr_graph *g, int node, const char *fmt,
                         const int8_t **wq, const int32_t **bq, const float **ws,
                         vsr_error *err);

/*
 * The blocks one export makes (protobuf messages, transposed weights,
 * shapes), freed together at its end (export_quant.c). Zero-initialise;
 * mdl_owned_free() leaves it empty again.
 */
typedef struct mdl_owned {
    void **blocks;
    size_t n, cap;
} mdl_owned;
/* A zeroed block of @p n bytes (at least 1) that @p o owns; NULL when out of
 * memory. */
void *mdl_owned_alloc(mdl_owned *o, size_t n);
/* Free every block of @p o and its list. */
void mdl_owned_free(mdl_owned *o);

/* The exporters' weight layouts, from the engine's HWIO [kh][kw][cing][cout]. */
enum mdl_wlayout {
    MDL_W_OHWI, /* TFLite CONV_2D [cout][kh][kw][cing] */
    MDL_W_OIHW, /* ONNX Conv [cout][cing][kh][kw] */
};
/* Copy conv weights @p src (HWIO, elements of @p esize bytes: float or
 * int8) into @p dst in @p layout. (A TFLite depthwise filter [1][kh][kw][C]
 * is HWIO itself.) */
void mdl_weights_from_hwio(void *dst, const void *src, size_t esize, int kh, int kw, int cing,
                           int cout, enum mdl_wlayout layout);

/* Element @p i of a little-endian array at @p p (ONNX raw_data, TFLite buffers) as
 * float32, float16 (widened) and int32; memcpy, so @p p needs no alignment. */
static inline float mdl_le_f32(const uint8_t *p, size_t i)
{
    float f;
    memcpy(&f, p + 4 * i, 4);
    return f;
}

static inline float mdl_le_f16(const uint8_t *p, size_t i)
{
    uint16_t h;
    memcpy(&h, p + 2 * i, 2);
    return vsr_f16_to_f32(h);
}

static inline int32_t mdl_le_i32(const uint8_t *p, size_t i)
{
    int32_t v;
    memcpy(&v, p + 4 * i, 4);
    return v;
}

#endif
