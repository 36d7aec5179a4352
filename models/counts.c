/*
 * counts.c: an architecture's figures in the research log's conventions
 * (docs/MODEL_SPECS.md 0.2, what count.py computes) and NTIRE
 * ESR's (conv activations, number of convs, peak memory), walked from the
 * engine graph's public per-layer table.
 */
#include <string.h>

#include "models_internal.h"

/* The log convention's FLOPs of one layer (docs/MODEL_SPECS.md 0.2): 2 per MAC, 1 per
 * bias-add output element, 1 per output element of an elementwise Add/Mul,
 * 5 per softmax element; activations, clip, folded BN, resize, depth to
 * space, concat and split count 0. The engine's matmul_tn folds AFA's
 * division by sqrt(3) into the product, which TF runs as a RealDiv: one
 * FLOP per score element. */
static int64_t layer_flops(const vsr_layer_info *li)
{
    int64_t out = li->activations;
    switch (li->op) {
    case VSR_OP_CONV2D:
        return 2 * li->macs + (strstr(li->desc, "nobias") ? 0 : out);
    case VSR_OP_MATMUL_TN:
        return 2 * li->macs + out;
    case VSR_OP_MATMUL_PIXELS:
        return 2 * li->macs;
    case VSR_OP_ADD:
    case VSR_OP_MUL:
        return out;
    case VSR_OP_SCALE:      /* a*x + b: a Mul and an Add */
    case VSR_OP_LAYER_NORM: /* its affine part, as count.py counts it */
        return 2 * out;
    case VSR_OP_SOFTMAX:
        return 5 * out;
    default:
        return 0;
    }
}

int vsr_models_count(const vsr_models_hparams *hp, int h, int w, int precision,
                     vsr_models_counts *out, vsr_error *err)
{
    memset(out, 0, sizeof(*out));
    vsr_graph *g = NULL;
    int rc = vsr_models_build(hp, vsr_models_family_name(hp->family), h, w, &g, err);
    if (rc)
        return rc;
    vsr_graph_stats s;
    if ((rc = vsr_graph_count(g, h, w, (vsr_precision)precision, &s, err)))
        goto done;
    out->h = h;
    out->w = w;
    out->params_log = s.params_keras;
    out->macs = s.macs;
    out->conv_activations = s.conv_activations;
    out->n_conv = s.n_conv;
    out->peak_bytes = s.peak_scratch_bytes;
    int n = vsr_graph_layer_count(g);
    for (int i = 0; i < n; i++) {
        vsr_layer_info li;
        if ((rc = vsr_graph_layer_info(g, i, h, w, &li, err)))
            goto done;
        out->flops_log += layer_flops(&li);
        /* ELSR's 3,468 in the log counts no PReLU slope (docs/MODEL_SPECS.md 2.3) */
        if (vsr__models_family(hp->family)->log_skips_prelu && li.op == VSR_OP_PRELU)
            out->params_log -= li.params;
    }
done:
    vsr_graph_free(&g);
    return rc;
}
