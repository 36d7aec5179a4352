/*
 * engine_node.h: the engine's graph IR and the op table, read-only, for the
 * parts that walk a graph node by node (the trainer, train/). Everything here
 * is part-internal: it is not public API and may change with the engine, but
 * it is the ONLY engine header train/ includes (not engine_internal.h).
 *
 * Ownership: a vsr_graph owns its nodes, weights and metadata; the op table
 * (vsr__op_def) is constant and lives for the program.
 */
#ifndef VSR_ENGINE_NODE_H
#define VSR_ENGINE_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "vsr/engine.h"

/* ---- graph IR -------------------------------------------------------- */

enum { VSR_MAX_WEIGHTS_PER_NODE = 4 };

typedef struct vsr_node {
    vsr_op_type op;
    char name[VSR_NAME_MAX];
    int *in; /* input tensor ids (owned) */
    int n_in;
    vsr_conv_params conv; /* conv2d */
    vsr_act act;          /* activation ops (relu/leaky/prelu/clip/sigmoid) */
    float f0, f1;         /* scale a,b / eps / matmul alpha */
    int i0, i1;           /* slice c0,c1; shuffle groups; d2s r; resize f; prelu shared */
    int h, w, c;          /* nominal output shape */
    int w_first, w_n;     /* weights [w_first, w_first + w_n) of graph->wts */
    /* INT8 */
    int q_fixed; /* parameters given by vsr_graph_set_quant() */
    int q_set;   /* parameters known (fixed or calibrated) */
    float q_scale;
    int q_zp;
    int has_range;
    float r_lo, r_hi;
    float *w_scales; /* per-output-channel weight scales (owned), or NULL */
    int n_w_scales;
} vsr_node;

typedef struct vsr_wt {
    char name[VSR_NAME_MAX];
    int node;
    int ndim;
    int dims[4];
    size_t count;
    float *data; /* owned; NULL until set */
} vsr_wt;

typedef struct vsr_meta {
    char *key, *value;
} vsr_meta;

typedef struct vsr_gout {
    char name[VSR_NAME_MAX];
    int t;
} vsr_gout;

struct vsr_graph {
    char name[VSR_NAME_MAX];
    vsr_node *nodes;
    int n_nodes, cap_nodes;
    vsr_wt *wts;
    int n_wts, cap_wts;
    int *inputs;
    int n_inputs;
    vsr_gout *outputs;
    int n_outputs;
    vsr_meta *meta;
    int n_meta;
    int status;
    char status_msg[512];
    vsr_quant_scheme qscheme; /* how computed INT8 parameters are chosen (default zero) */
};

/* Shapes of every node for input size h x w (0,0 = nominal): shp[3*i+{0,1,2}]. */
int vsr__graph_infer(const vsr_graph *g, int h, int w, int *shp, vsr_error *err);
/* Index of weight @p name, or -1. */
int vsr__graph_find_weight(const vsr_graph *g, const char *name);
/* 1 if op reduces over the whole image. */
int vsr__op_is_global(vsr_op_type op);

/* ---- the op table --------------------------------------------------------- */

/* Arguments of the per-pixel float math of an element-wise op (ops/eltwise.c):
 * a[n * c] is transformed in place; b is the second operand (add / mul). */
typedef struct vsr_ew_args {
    const vsr_node *nd;
    const float *pw; /* prepared per-channel parameters (engine: e->pw[i]) */
    int bmode;       /* add / mul broadcast: 0 same shape, 1 one channel, 2 per channel */
    int c;           /* channels */
} vsr_ew_args;

enum {
    VSR_OPF_GLOBAL = 1,   /* reduces over the whole image (tiling is not exact) */
    VSR_OPF_MOVEMENT = 2, /* moves values: the output takes the input's type and INT8
                             parameters */
    VSR_OPF_CONV_ACT = 4, /* an activation a conv can take as its epilogue */
    VSR_OPF_LUT = 8,      /* one-input element-wise op INT8 runs through a 256-entry table */
    VSR_OPF_F32_OUT = 16, /* output is FP32 in every precision */
    VSR_OPF_KEEP_F32 = 32 /* output is FP32 when input 0 is (so are MOVEMENT ops) */
};

/*
 * One op: everything the engine and the trainer need to know about it, defined
 * in the op's own file (in ops/) and listed once in ops/registry.c. NULL
 * function members take the defaults given per member.
 */
typedef struct vsr_op_def {
    const char *name; /* as vsr_op_name() */
    unsigned flags;   /* VSR_OPF_* */
    /* For activation ops: the activation a conv epilogue / the trainer applies
     * (VSR_ACT_*; GELU uses VSR_OP_ACT_GELU); -2 = not an activation op. */
    int act;
    /* Output shape o[3] from the shapes of earlier nodes (shp, 3 per node);
     * NULL = the shape of input 0. Errors name the graph and node. */
    int (*infer)(const vsr_graph *g, const vsr_node *nd, const int *shp, int *o,
                 vsr_error *err);
    /* Multiply-accumulates for output shape o; NULL = 0. */
    int64_t (*macs)(const vsr_node *nd, const int *shp, const int *o);
    /* One-line description for the layer table (vsr_layer_info.desc); NULL = "". */
    void (*desc)(const vsr_node *nd, const int *shp, char *buf, size_t cap);
    /* At engine creation, after the tensor types: prepare node i's parameters
     * (conv packing, e->pw[i]); NULL = nothing to prepare. */
    int (*prepare)(struct vsr_engine *e, int i, vsr_error *err);
    /* Execution of node i in every precision (FP32 / FP16 / INT8 dispatch inside),
     * writing tensor e->plan.dst[i]. NULL = nothing to run (input). */
    int (*run)(struct vsr_engine *e, int i, vsr_error *err);
    /* Element-wise ops: the float math on widened / dequantized values. */
    void (*pixels)(const vsr_ew_args *t, float *a, const float *b, int n);
} vsr_op_def;

enum { VSR_OP_ACT_GELU = -1, VSR_OP_ACT_NOT = -2 };

/* The definition of op kind @p op (never NULL for op < VSR_OP_COUNT_). */
const vsr_op_def *vsr__op_def(vsr_op_type op);

/* 1 when node @p nd's output stays FP32 in every precision: an FP32-only op, or a
 * KEEP_F32 / movement op whose input 0 is (@p forced: the same flag of earlier nodes).
 * The one rule the engine's tensor types and the trainer's QAT points share. */
static inline int vsr__node_forced_f32(const vsr_node *nd, const unsigned char *forced)
{
    unsigned fl = vsr__op_def(nd->op)->flags;
    int in0 = nd->n_in > 0 ? nd->in[0] : -1;
    return (fl & VSR_OPF_F32_OUT) ||
           ((fl & (VSR_OPF_KEEP_F32 | VSR_OPF_MOVEMENT)) && in0 >= 0 && forced[in0]);
}

#endif
