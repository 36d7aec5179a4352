/*
 * swrn.c: SWRN (shermanlian/swrn model/mobile_rrn.py), docs/MODEL_SPECS.md 2.1.
 * Inputs: "x" = [x(t-1) | x(t) | x(t+1)] (9 ch), "h" = [h_f | h_b] (2*base).
 * Outputs: 0 "sr" (HR RGB), 1 "h_out" (the next hidden state).
 */
#include "models_internal.h"

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

    int fin[3] = {xp, xc, hf};
    int f = vsr_graph_concat(g, "concat_forward", 3, fin, err);
    f = mdl_conv(g, "conv_first_forward", f, B, 3, 1, 1, 1, VSR_ACT_RELU, err);
    for (int i = 0; i < nb; i++) {
        MDL_NAME(n, "recon_trunk_forward_%d", i);
        f = mdl_conv(g, n, f, B, 3, 1, 1, 1, VSR_ACT_RELU, err);
    }
    int bin[3] = {xn, xc, hb};
    int b = vsr_graph_concat(g, "concat_backward", 3, bin, err);
    b = mdl_conv(g, "conv_first_backward", b, B, 3, 1, 1, 1, VSR_ACT_RELU, err);
    for (int i = 0; i < nb; i++) {
        MDL_NAME(n, "recon_trunk_backward_%d", i);
        b = mdl_conv(g, n, b, B, 3, 1, 1, 1, VSR_ACT_RELU, err);
    }
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
    z = mdl_conv(g, "conv_last", z, 3 * s * s, 3, 1, 1, 1, VSR_ACT_NONE, err);
    z = vsr_graph_depth_to_space(g, "depth_to_space", z, s, err);
    int up = vsr_graph_resize_bilinear(g, "bilinear", xc, s, err);
    int y = vsr_graph_add(g, "add_bilinear", z, up, err);
    y = vsr_graph_clip(g, "clip", y, 0.0f, 255.0f, err);
    vsr_graph_output(g, "sr", y, err);
    vsr_graph_output(g, "h_out", hout, err);
    return vsr_graph_status(g, err);
}

static void interface(const vsr_models_hparams *hp, enum vsr_models_temporal *t, int *in_ch,
                      int *state_ch)
{
    *t = VSR_MODELS_T_WINDOW3_STATE;
    *in_ch = 9;
    *state_ch = 2 * hp->channels;
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
    .interface = interface,
    .build = build,
    .options = options,
    .n_options = (int)(sizeof(options) / sizeof(options[0])),
};
