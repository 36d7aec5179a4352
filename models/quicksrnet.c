/*
 * quicksrnet.c: QuickSRNet small / medium / large (Berger et al., CVPRW
 * 2023; AIMET model zoo QuickSRNetBase), docs/MODEL_SPECS.md 2.4, in the
 * zoo's 0..255 deployment form. Input "x" (RGB 0..255), output "sr".
 *
 *   conv_first 3x3 3->C, hardtanh(0, 1); m x (conv_body_i 3x3 C->C,
 *   hardtanh(0, 1)); conv_last 3x3 C->3s^2; Large only ("ito"): + anchor,
 *   a trainable 1x1 3->3s^2 conv of x; clip [0, 255]; depth_to_space (DCR).
 *
 * AIMET's graph takes and returns [0, 1]. The spec's folding is a weight
 * transform, not a graph change: the input /255 lives in conv_first's (and
 * the anchor's) weights, the output x255 in conv_last's (and the anchor's)
 * weights and bias, the hardtanh(0, 1) stay as they are and the final clip
 * becomes [0, 255]. So this graph is the folded one and needs no folding
 * pass; weights trained or imported in the [0, 1] convention must be
 * scaled that way (and PyTorch's CRD conv_last / anchor outputs permuted
 * to DCR) before they are loaded.
 */
#include "models_internal.h"

/* conv k x k with bias and an optional fused hardtanh(0, 1) */
static int qsr_conv(vsr_graph *g, const char *name, int x, int cout, int k, int hardtanh,
                    vsr_error *err)
{
    vsr_conv_params p = vsr_conv_default(cout, k);
    if (hardtanh) {
        p.act.type = VSR_ACT_CLIP;
        p.act.lo = 0.0f;
        p.act.hi = 1.0f;
    }
    return vsr_graph_conv2d(g, name, x, &p, err);
}

static int build(vsr_graph *g, const vsr_models_hparams *hp, int h, int w, vsr_error *err)
{
    const int C = hp->channels, m = hp->blocks, s = hp->scale, N = 3 * s * s;
    char n[VSR_NAME_MAX];
    int x = vsr_graph_input(g, "x", h, w, 3, err);
    int t = qsr_conv(g, "conv_first", x, C, 3, 1, err);
    for (int i = 0; i < m; i++) {
        MDL_NAME(n, "conv_body_%d", i);
        t = qsr_conv(g, n, t, C, 3, 1, err);
    }
    t = qsr_conv(g, "conv_last", t, N, 3, 0, err);
    if (hp->ito) {
        int a = qsr_conv(g, "anchor", x, N, 1, 0, err);
        t = vsr_graph_add(g, "add_anchor", t, a, err);
    }
    t = vsr_graph_clip(g, "clip", t, 0.0f, 255.0f, err);
    t = vsr_graph_depth_to_space(g, "depth_to_space", t, s, err);
    vsr_graph_output(g, "sr", t, err);
    return vsr_graph_status(g, err);
}

static int check(const vsr_models_hparams *hp, vsr_error *err)
{
    int rc = vsr__models_check_channels_blocks(hp, err);
    if (!rc && hp->ito != 0 && hp->ito != 1)
        rc = vsr_error_set(err, -EINVAL, "ito %d: must be 0 or 1", hp->ito);
    return rc;
}

static const vsr_models_option options[] = {
    MDL_OPT_SCALE,
    MDL_OPT_INT("channels", channels, 1, 1024, "feature channels C"),
    MDL_OPT_INT("blocks", blocks, 0, 256, "intermediate convs m"),
    MDL_OPT_INT("ito", ito, 0, 1, "1x1 input-to-output anchor conv (QuickSRNet_L)"),
};

const vsr_models_family_def vsr__models_quicksrnet = {
    .id = VSR_MODELS_QUICKSRNET,
    .name = "QuickSRNet",
    .check = check,
    .build = build,
    MDL_OPTIONS(options),
};
