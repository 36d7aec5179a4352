/*
 * xlsr.c: XLSR (Ayazoglu, MAI 2021 quantised SISR winner; AIMET model zoo
 * XLSRRelease), docs/MODEL_SPECS.md 2.5, in the zoo's 0..255 deployment
 * form. Input "x" (RGB 0..255), output "sr". C = hp->channels (32), G-blocks
 * = hp->blocks (3):
 *
 *   residual = conv 3x3 3->C/2 of x;
 *   main = conv_in 3x3 3->C, ReLU; conv_pw 1x1 C->C; blocks x (gblock_i_gconv
 *          3x3 C->C in 4 groups, ReLU; gblock_i_pw 1x1 C->C);
 *   concat [main, residual] (3C/2); conv_mix 1x1 3C/2->C, ReLU;
 *   conv_last 3x3 C->3s^2; depth_to_space (DCR); clip [0, 255].
 *
 * AIMET's graph takes and returns [0, 1] and ends with a clipped ReLU. As for
 * QuickSRNet (quicksrnet.c) the spec's folding is a weight transform: the
 * input /255 lives in residual's and conv_in's weights, the output x255 in
 * conv_last's weights and bias, and the final clip becomes [0, 255]; every
 * other layer is unchanged. So this graph is the folded one. Weights trained
 * in the [0, 1] convention must be scaled that way (and PyTorch's CRD
 * conv_last outputs permuted to DCR) before they are loaded.
 */
#include "models_internal.h"

enum { XLSR_GROUPS = 4 };

static int build(vsr_graph *g, const vsr_models_hparams *hp, int h, int w, vsr_error *err)
{
    const int C = hp->channels, s = hp->scale;
    char n[VSR_NAME_MAX];
    int x = vsr_graph_input(g, "x", h, w, 3, err);
    const float top = mdl_pixel_max(g, hp, x, err);
    int res = mdl_conv(g, "residual", x, C / 2, 3, 1, 1, 1, VSR_ACT_NONE, err);
    int t = mdl_conv(g, "conv_in", x, C, 3, 1, 1, 1, VSR_ACT_RELU, err);
    t = mdl_conv(g, "conv_pw", t, C, 1, 1, 1, 1, VSR_ACT_NONE, err);
    for (int i = 0; i < hp->blocks; i++) {
        MDL_NAME(n, "gblock_%d_gconv", i);
        t = mdl_conv(g, n, t, C, 3, 1, XLSR_GROUPS, 1, VSR_ACT_RELU, err);
        MDL_NAME(n, "gblock_%d_pw", i);
        t = mdl_conv(g, n, t, C, 1, 1, 1, 1, VSR_ACT_NONE, err);
    }
    const int cat[2] = {t, res};
    t = vsr_graph_concat(g, "concat", 2, cat, err);
    t = mdl_conv(g, "conv_mix", t, C, 1, 1, 1, 1, VSR_ACT_RELU, err);
    t = mdl_conv_shuffle(g, "conv_last", t, s, err);
    t = vsr_graph_clip(g, "clip", t, 0.0f, top, err);
    vsr_graph_output(g, "sr", t, err);
    return vsr_graph_status(g, err);
}

/* C / 2 residual channels, 4 groups of C / 4 */
static int check(const vsr_models_hparams *hp, vsr_error *err)
{
    if (hp->channels < 4 || hp->channels > 1024 || hp->channels % 4)
        return vsr_error_set(
            err, -EINVAL, "xlsr channels %d: must be a multiple of 4 in 4..1024", hp->channels);
    return vsr__models_check_channels_blocks(hp, err); /* and blocks 0..64 */
}

static const vsr_models_option options[] = {
    MDL_OPT_SCALE,
    MDL_OPT_INT("channels", channels, 4, 1024, "feature channels C (a multiple of 4)"),
    MDL_OPT_INT("blocks", blocks, 0, 64, "grouped-conv blocks"),
    MDL_OPT_RANGE01,
};

const vsr_models_family_def vsr__models_xlsr = {
    .id = VSR_MODELS_XLSR,
    .name = "XLSR",
    .check = check,
    .build = build,
    MDL_OPTIONS(options),
};
