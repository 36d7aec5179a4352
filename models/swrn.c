/*
 * swrn.c: SWRN (shermanlian/swrn model/mobile_rrn.py), docs/MODEL_SPECS.md 2.1.
 * Inputs: "x" = [x(t-1) | x(t) | x(t+1)] (9 ch), "h" = [h_f | h_b] (2*base).
 * Outputs: 0 "sr" (HR RGB), 1 "h_out" (the next hidden state).
 */
#include "models_internal.h"

/* One direction @p dir: concat [other frame, x(t), its state], conv_first_DIR and
 * the trunk recon_trunk_DIR_i, all 3x3 to B channels with ReLU. */
static int branch(vsr_graph *g, const char *dir, int other, int xc, int state, int B, int nb,
                  vsr_error *err)
{
    char n[VSR_NAME_MAX];
    int in[3] = {other, xc, state};
    MDL_NAME(n, "concat_%s", dir);
    int f = vsr_graph_concat(g, n, 3, in, err);
    MDL_NAME(n, "conv_first_%s", dir);
    f = mdl_conv(g, n, f, B, 3, 1, 1, 1, VSR_ACT_RELU, err);
    for (int i = 0; i < nb; i++) {
        MDL_NAME(n, "recon_trunk_%s_%d", dir, i);
        f = mdl_conv(g, n, f, B, 3, 1, 1, 1, VSR_ACT_RELU, err);
    }
    return f;
}

static int build(vsr_graph *g, const vsr_models_hparams *hp, int h, int w, vsr_error *err)
{
    const int B = hp->channels, nb = hp->blocks, s = hp->scale;
    char n[VSR_NAME_MAX];
    int x = vsr_graph_input(g, "x", h, w, 9, err);
    int hid = vsr_graph_input(g, "h", h, w, 2 * B, err);
    int xp = vsr_graph_slice(g, "x_prev", x, 0, 3, err);
    int xc = vsr_graph_slice(g, "x_cur", x, 3, 6, err);
    int xn = vsr_graph_slice(g, "x_next", x, 6, 9, err);
    int hf = vsr_graph_slice(g, "h_f", hid, 0, B, err);
    int hb = vsr_graph_slice(g, "h_b", hid, B, 2 * B, err);

    int f = branch(g, "forward", xp, xc, hf, B, nb, err);
    int b = branch(g, "backward", xn, xc, hb, B, nb, err);
    int nhf = mdl_conv(g, "conv_hidden_forward", f, B, 3, 1, 1, 1, VSR_ACT_NONE, err);
    int nhb = mdl_conv(g, "conv_hidden_backward", b, B, 3, 1, 1, 1, VSR_ACT_NONE, err);
    int hin[2] = {nhf, nhb};
    int hout = vsr_graph_concat(g, "hidden_out", 2, hin, err);

    int zin[2] = {f, b};
    int z = vsr_graph_concat(g, "concat_fusion", 2, zin, err);
    z = mdl_conv(g, "conv_fusion", z, B, 3, 1, 1, 1, VSR_ACT_RELU, err);
    for (int i = 0; i < nb; i++) {
        MDL_NAME(n, "recon_trunk_%d", i);
        z = mdl_conv(g, n, z, B, 3, 1, 1, 1, VSR_ACT_RELU, err);
    }
    z = mdl_conv_shuffle(g, "conv_last", z, s, err);
    return mdl_sr_state_out(g, z, xc, s, hout, err);
}

static const vsr_models_option options[] = {
    MDL_OPT_SCALE,
    MDL_OPT_INT("channels", channels, 1, 1024, "base channels (hidden state: 2x)"),
    MDL_OPT_INT("blocks", blocks, 0, 256, "residual blocks per trunk"),
};

const vsr_models_family_def vsr__models_swrn = {
    .id = VSR_MODELS_SWRN,
    .name = "SWRN",
    .check = vsr__models_check_channels_blocks,
    .temporal = VSR_MODELS_T_WINDOW3_STATE,
    .in_channels = 9,
    .state_x_channels = 2,
    .build = build,
    MDL_OPTIONS(options),
};
