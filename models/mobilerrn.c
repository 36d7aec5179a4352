/*
 * mobilerrn.c: MobileRRN, the MAI 2022 real-time VSR baseline
 * (MediaTek-NeuroPilot/mai22-real-time-video-sr), as its rrn_*.tflite files
 * show it: concat(x(t-1), x(t), h) -> conv 3x3 relu -> 5 residual blocks
 * [conv relu, conv, add] -> conv 3x3 -> 3s^2, depth_to_space, + bilinear
 * x(t), clip; hidden out = relu(conv 3x3 of the trunk output).
 * Inputs "x" = [x(t-1) | x(t)] (6 ch), "h" (base ch); outputs "sr", "h_out".
 */
#include "models_internal.h"

static int build(vsr_graph *g, const vsr_models_hparams *hp, int h, int w, vsr_error *err)
{
    const int C = hp->channels, s = hp->scale;
    char n[VSR_NAME_MAX];
    int x = vsr_graph_input(g, "x", h, w, 6, err);
    int hid = vsr_graph_input(g, "h", h, w, C, err);
    int xp = vsr_graph_slice(g, "x_prev", x, 0, 3, err);
    int xc = vsr_graph_slice(g, "x_cur", x, 3, 6, err);
    int in[3] = {xp, xc, hid};
    int t = vsr_graph_concat(g, "concat", 3, in, err);
    t = mdl_conv(g, "conv_first", t, C, 3, 1, 1, 1, VSR_ACT_RELU, err);
    for (int i = 0; i < hp->blocks; i++) {
        MDL_NAME(n, "res_%d_conv1", i);
        int r = mdl_conv(g, n, t, C, 3, 1, 1, 1, VSR_ACT_RELU, err);
        MDL_NAME(n, "res_%d_conv2", i);
        r = mdl_conv(g, n, r, C, 3, 1, 1, 1, VSR_ACT_NONE, err);
        MDL_NAME(n, "res_%d_add", i);
        t = vsr_graph_add(g, n, t, r, err);
    }
    int z = mdl_conv_shuffle(g, "conv_up", t, s, err);
    int hout = mdl_conv(g, "conv_hidden", t, C, 3, 1, 1, 1, VSR_ACT_RELU, err);
    return mdl_sr_state_out(g, z, xc, s, hout, err);
}

static const vsr_models_option options[] = {
    MDL_OPT_SCALE,
    MDL_OPT_INT("channels", channels, 1, 1024, "base channels (= hidden state)"),
    MDL_OPT_INT("blocks", blocks, 0, 256, "residual blocks"),
};

const vsr_models_family_def vsr__models_mobilerrn = {
    .id = VSR_MODELS_MOBILERRN,
    .name = "MobileRRN",
    .check = vsr__models_check_channels_blocks,
    .temporal = VSR_MODELS_T_PAIR_STATE,
    .in_channels = 6,
    .state_x_channels = 1,
    .build = build,
    MDL_OPTIONS(options),
};
