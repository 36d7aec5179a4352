/*
 * elsr.c: ELSR (docs/MODEL_SPECS.md 2.3; no official code): conv 3->6; residual
 * [conv 6->6, PReLU, conv 6->6] + skip; conv 6->3s^2; depth_to_space.
 * The PReLU has one shared slope (weight "prelu.alpha"), so the engine
 * counts 3,468 + 1 params; the log's 3,468 counts no slope (count.py
 * elsr(prelu=0) vs elsr(prelu=1)). Output clipped to [0, 255] like every
 * model of the family (docs/MODEL_SPECS.md 0.2).
 */
#include "models_internal.h"

static int build(vsr_graph *g, const vsr_models_hparams *hp, int h, int w, vsr_error *err)
{
    const int C = hp->channels, s = hp->scale;
    int x = vsr_graph_input(g, "x", h, w, 3, err);
    int c1 = mdl_conv(g, "conv1", x, C, 3, 1, 1, 1, VSR_ACT_NONE, err);
    int r = mdl_conv(g, "res_conv1", c1, C, 3, 1, 1, 1, VSR_ACT_NONE, err);
    r = vsr_graph_prelu(g, "prelu", r, 1, err);
    r = mdl_conv(g, "res_conv2", r, C, 3, 1, 1, 1, VSR_ACT_NONE, err);
    r = vsr_graph_add(g, "res_add", r, c1, err);
    int z = mdl_conv_shuffle(g, "conv_last", r, s, err);
    z = vsr_graph_clip(g, "clip", z, 0.0f, 255.0f, err);
    vsr_graph_output(g, "sr", z, err);
    return vsr_graph_status(g, err);
}

static int check(const vsr_models_hparams *hp, vsr_error *err)
{
    if (hp->channels < 1 || hp->channels > 1024)
        return vsr_error_set(err, -EINVAL, "channels %d: must be 1..1024", hp->channels);
    return 0;
}

static const vsr_models_option options[] = {
    MDL_OPT_SCALE,
    MDL_OPT_INT("channels", channels, 1, 1024, "width"),
};

const vsr_models_family_def vsr__models_elsr = {
    .id = VSR_MODELS_ELSR,
    .name = "ELSR",
    .check = check,
    .build = build,
    MDL_OPTIONS(options),
    .log_skips_prelu = 1,
};
