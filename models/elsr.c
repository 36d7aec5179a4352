/*
 * elsr.c: ELSR (docs/MODEL_SPECS.md 2.3; no official code): conv 3->6; residual
 * [conv 6->6, PReLU, conv 6->6] + skip; conv 6->3s^2; depth_to_space.
 * The PReLU has one shared slope (weight "prelu.alpha"), so the engine
 * counts 3,468 + 1 params; the log's 3,468 counts no slope (count.py
 * elsr(prelu=0) vs elsr(prelu=1)). Output clipped to [0, 255] like every
 * model of the family (docs/MODEL_SPECS.md 0.2).
 */
#include "models_internal.h"

int vsr_models_build_elsr(vsr_graph *g, const vsr_models_hparams *hp, int h, int w,
                          vsr_error *err)
{
    const int C = hp->channels, s = hp->scale;
    int x = vsr_graph_input(g, "x", h, w, 3, err);
    int c1 = mdl_conv(g, "conv1", x, C, 3, 1, 1, 1, VSR_ACT_NONE, err);
    int r = mdl_conv(g, "res_conv1", c1, C, 3, 1, 1, 1, VSR_ACT_NONE, err);
    r = vsr_graph_prelu(g, "prelu", r, 1, err);
    r = mdl_conv(g, "res_conv2", r, C, 3, 1, 1, 1, VSR_ACT_NONE, err);
    r = vsr_graph_add(g, "res_add", r, c1, err);
    int z = mdl_conv(g, "conv_last", r, 3 * s * s, 3, 1, 1, 1, VSR_ACT_NONE, err);
    z = vsr_graph_depth_to_space(g, "depth_to_space", z, s, err);
    z = vsr_graph_clip(g, "clip", z, 0.0f, 255.0f, err);
    vsr_graph_output(g, "sr", z, err);
    return vsr_graph_status(g, err);
}
