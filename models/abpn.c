/*
 * abpn.c: ABPN (NJU-Jet/SR_Mobile_Quantization solvers/networks/base7.py),
 * docs/MODEL_SPECS.md 2.2. Input "x" (RGB), output "sr". The anchor is x repeated
 * s^2 times along channels; with TF's DCR depth_to_space it is nearest
 * upsampling of x.
 */
#include "models_internal.h"

static int build(vsr_graph *g, const vsr_models_hparams *hp, int h, int w, vsr_error *err)
{
    const int C = hp->channels, m = hp->blocks, s = hp->scale, N = 3 * s * s;
    char n[VSR_NAME_MAX];
    int x = vsr_graph_input(g, "x", h, w, 3, err);
    int reps[64];
    for (int i = 0; i < s * s && i < 64; i++)
        reps[i] = x;
    int anchor = vsr_graph_concat(g, "anchor", s * s, reps, err);
    int t = mdl_conv(g, "conv_in", x, C, 3, 1, 1, 1, VSR_ACT_RELU, err);
    for (int i = 0; i < m; i++) {
        MDL_NAME(n, "conv_body_%d", i);
        t = mdl_conv(g, n, t, C, 3, 1, 1, 1, VSR_ACT_RELU, err);
    }
    t = mdl_conv(g, "conv_up1", t, N, 3, 1, 1, 1, VSR_ACT_RELU, err);
    t = mdl_conv(g, "conv_up2", t, N, 3, 1, 1, 1, VSR_ACT_NONE, err);
    t = vsr_graph_add(g, "add_anchor", t, anchor, err);
    t = vsr_graph_depth_to_space(g, "depth_to_space", t, s, err);
    t = vsr_graph_clip(g, "clip", t, 0.0f, 255.0f, err);
    vsr_graph_output(g, "sr", t, err);
    return vsr_graph_status(g, err);
}

static const vsr_models_option options[] = {
    MDL_OPT_SCALE,
    MDL_OPT_INT("channels", channels, 1, 1024, "feature channels C"),
    MDL_OPT_INT("blocks", blocks, 0, 256, "body convs"),
};

const vsr_models_family_def vsr__models_abpn = {
    .id = VSR_MODELS_ABPN,
    .name = "ABPN",
    .check = vsr__models_check_channels_blocks,
    .build = build,
    MDL_OPTIONS(options),
};
