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

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    const float top = mdl_pixel_max(g, hp, x, err);
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
    t = vsr_graph_clip(g, "clip", t, 0.0f, top, err);
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

/*
 * Scale layer's k x k kernel (Keras layout kh, kw, cin, cout) by @p scale,
 * add @p add[ci][co] (a cin x cout matrix, row-major) to its centre tap and
 * write it back.
 */
static int add_centre(vsr_graph *g, const char *layer, int k, int cin, int cout, float scale,
                      const float *add, vsr_error *err)
{
    size_t n = 0;
    const float *w = mdl_layer_weight(g, layer, "weight", &n);
    if (!w || n != (size_t)k * k * cin * cout)
        return vsr_error_set(err, -EINVAL, "%s.weight: not set (identity init needs weights)",
                             layer);
    float *d = malloc(n * sizeof(float));
    if (!d)
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", layer);
    for (size_t i = 0; i < n; i++)
        d[i] = w[i] * scale;
    size_t c0 = ((size_t)(k / 2) * k + (size_t)(k / 2)) * cin * cout;
    for (int ci = 0; ci < cin; ci++)
        for (int co = 0; co < cout; co++)
            d[c0 + (size_t)ci * cout + co] += add[ci * cout + co];
    char wn[VSR_NAME_MAX + 16];
    snprintf(wn, sizeof(wn), "%s.weight", layer);
    int rc = vsr_graph_set_weight(g, wn, d, n, err);
    free(d);
    return rc;
}

/*
 * docs/MODEL_SPECS.md 2.4 in the 0..255 folded form: conv_first and the body
 * convs start as conv(x) + x (the identity on channel i < min(cin, cout)).
 * conv_first reads 0..255 pixels and feeds a hardtanh(0, 1): its random
 * kernel is read as drawn for [0, 1] inputs and folded (/255), and its
 * identity is 1/255. conv_last (S, M) gains the nearest-neighbour
 * repetition of its first 3 input channels into DCR channel k*3 + c, x255
 * for the 0..255 output; its random kernel stays as drawn, in output units
 * (a residual of a few grey levels, not the x255 fold that would start it
 * at tens). The anchor (L) is set to the repetition (1: the /255 in and
 * x255 out cancel), bias 0. With range01 (the [0, 1] original) the same
 * without the /255 and x255.
 */
static int identity_init(vsr_graph *g, const vsr_models_hparams *hp, vsr_error *err)
{
    const int C = hp->channels, s = hp->scale, N = 3 * s * s;
    const float in = hp->range01 ? 1.0f : 1.0f / 255.0f, out = hp->range01 ? 1.0f : 255.0f;
    int big = C > N ? C : N, rc = 0;
    float *add = calloc((size_t)big * big, sizeof(float));
    if (!add)
        return vsr_error_set(err, -ENOMEM, "identity init: out of memory");
    char n[VSR_NAME_MAX];
    for (int i = 0; i < 3 && i < C; i++)
        add[i * C + i] = in;
    rc = add_centre(g, "conv_first", 3, 3, C, in, add, err);
    memset(add, 0, (size_t)big * big * sizeof(float));
    for (int i = 0; i < C; i++)
        add[i * C + i] = 1.0f;
    for (int b = 0; !rc && b < hp->blocks; b++) {
        MDL_NAME(n, "conv_body_%d", b);
        rc = add_centre(g, n, 3, C, C, 1.0f, add, err);
    }
    memset(add, 0, (size_t)big * big * sizeof(float));
    if (!rc && !hp->ito) {
        for (int c = 0; c < 3 && c < C; c++)
            for (int k = 0; k < s * s; k++)
                add[c * N + k * 3 + c] = out;
        rc = add_centre(g, "conv_last", 3, C, N, 1.0f, add, err);
    } else if (!rc) {
        float *w = calloc((size_t)3 * N + N, sizeof(float)); /* 1x1x3xN weight, N bias */
        if (!w)
            rc = vsr_error_set(err, -ENOMEM, "identity init: out of memory");
        for (int c = 0; !rc && c < 3; c++)
            for (int k = 0; k < s * s; k++)
                w[c * N + k * 3 + c] = 1.0f;
        if (!rc)
            rc = vsr_graph_set_weight(g, "anchor.weight", w, (size_t)3 * N, err);
        if (!rc)
            rc = vsr_graph_set_weight(g, "anchor.bias", w + 3 * N, (size_t)N, err);
        free(w);
    }
    free(add);
    return rc;
}

static const vsr_models_option options[] = {
    MDL_OPT_SCALE,
    MDL_OPT_INT("channels", channels, 1, 1024, "feature channels C"),
    MDL_OPT_INT("blocks", blocks, 0, 256, "intermediate convs m"),
    MDL_OPT_INT("ito", ito, 0, 1, "1x1 input-to-output anchor conv (QuickSRNet_L)"),
    MDL_OPT_RANGE01,
};

const vsr_models_family_def vsr__models_quicksrnet = {
    .id = VSR_MODELS_QUICKSRNET,
    .name = "QuickSRNet",
    .check = check,
    .build = build,
    MDL_OPTIONS(options),
    .identity_init = identity_init,
};
