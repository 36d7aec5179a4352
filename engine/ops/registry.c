/*
 * registry.c: the op table. Each op is defined once, in its own file
 * (ops/conv.c, ops/eltwise.c, ops/movement.c, ops/misc.c): name, shape
 * inference, MAC count, description, parameter preparation, execution in
 * every precision; this file lists them by op kind. Adding an op: its
 * vsr_op_def in its file, the enum value in include/vsr/engine.h, one line
 * here (and its builder in graph.c, its forward / backward pass and table
 * line in train/exec_impl.h).
 */
#include "../engine_internal.h"

static int input_infer(const vsr_graph *g, const vsr_node *nd, const int *shp, int *o,
                       vsr_error *err)
{
    (void)g, (void)shp, (void)err;
    o[0] = nd->h, o[1] = nd->w, o[2] = nd->c;
    return 0;
}

static const vsr_op_def op_input = {
    .name = "input",
    .act = VSR_OP_ACT_NOT,
    .infer = input_infer,
};

/* Defined in the ops' files. */
extern const vsr_op_def vsr__op_conv2d, vsr__op_relu, vsr__op_leaky_relu, vsr__op_prelu,
    vsr__op_gelu, vsr__op_sigmoid, vsr__op_clip, vsr__op_add, vsr__op_mul, vsr__op_scale,
    vsr__op_concat, vsr__op_slice, vsr__op_channel_shuffle, vsr__op_depth_to_space,
    vsr__op_resize_bilinear, vsr__op_resize_nearest, vsr__op_layer_norm, vsr__op_batch_norm,
    vsr__op_global_avg_pool, vsr__op_global_std_pool, vsr__op_softmax, vsr__op_matmul_tn,
    vsr__op_matmul_pixels;

static const vsr_op_def *const defs[VSR_OP_COUNT_] = {
    [VSR_OP_INPUT] = &op_input,
    [VSR_OP_CONV2D] = &vsr__op_conv2d,
    [VSR_OP_RELU] = &vsr__op_relu,
    [VSR_OP_LEAKY_RELU] = &vsr__op_leaky_relu,
    [VSR_OP_PRELU] = &vsr__op_prelu,
    [VSR_OP_GELU] = &vsr__op_gelu,
    [VSR_OP_SIGMOID] = &vsr__op_sigmoid,
    [VSR_OP_CLIP] = &vsr__op_clip,
    [VSR_OP_ADD] = &vsr__op_add,
    [VSR_OP_MUL] = &vsr__op_mul,
    [VSR_OP_SCALE] = &vsr__op_scale,
    [VSR_OP_CONCAT] = &vsr__op_concat,
    [VSR_OP_SLICE] = &vsr__op_slice,
    [VSR_OP_CHANNEL_SHUFFLE] = &vsr__op_channel_shuffle,
    [VSR_OP_DEPTH_TO_SPACE] = &vsr__op_depth_to_space,
    [VSR_OP_RESIZE_BILINEAR] = &vsr__op_resize_bilinear,
    [VSR_OP_RESIZE_NEAREST] = &vsr__op_resize_nearest,
    [VSR_OP_LAYER_NORM] = &vsr__op_layer_norm,
    [VSR_OP_BATCH_NORM] = &vsr__op_batch_norm,
    [VSR_OP_GLOBAL_AVG_POOL] = &vsr__op_global_avg_pool,
    [VSR_OP_GLOBAL_STD_POOL] = &vsr__op_global_std_pool,
    [VSR_OP_SOFTMAX] = &vsr__op_softmax,
    [VSR_OP_MATMUL_TN] = &vsr__op_matmul_tn,
    [VSR_OP_MATMUL_PIXELS] = &vsr__op_matmul_pixels,
};

const vsr_op_def *vsr__op_def(vsr_op_type op)
{
    return defs[op];
}
