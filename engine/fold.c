/*
 * fold.c: folding passes (include/vsr/engine.h, "folding passes"). Each
 * rewrites weights (and clip bounds) so that the graph computes a fixed
 * affine map or channel permutation of its input or output without an op
 * for it: the deployment trick of putting a network's /255 input
 * normalisation into its first conv and its x255 output scale into its
 * last conv (docs/MODEL_SPECS.md 2.4), or a BGR model's channel order into
 * its first conv's input channels.
 *
 * Conv kernels are HWIO with I = cin / groups (graph.c), so input channel c
 * of a conv with groups G is local channel c % (cin / G) of group
 * c / (cin / G), whose output channels are [g * cout / G, (g + 1) * cout / G).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"

/* Append a formatted note to @p log (cap bytes, NUL-terminated); NULL: none. */
static void note(char *log, size_t cap, const char *fmt, ...) VSR_PRINTF(3, 4);
static void note(char *log, size_t cap, const char *fmt, ...)
{
    if (!log || !cap)
        return;
    size_t n = strnlen(log, cap);
    if (n + 1 >= cap)
        return;
    if (n)
        n += (size_t)snprintf(log + n, cap - n, "; ");
    if (n + 1 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(log + n, cap - n, fmt, ap);
    va_end(ap);
}

static int n_consumers(const vsr_graph *g, int t)
{
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_in; k++)
            n += g->nodes[i].in[k] == t;
    for (int k = 0; k < g->n_outputs; k++)
        n += g->outputs[k].t == t;
    return n;
}

static int input_tensor(const vsr_graph *g, int input, vsr_error *err)
{
    if (input < 0 || input >= g->n_inputs)
        return vsr_error_set(err, -EINVAL, "%s: no graph input %d", g->name, input);
    return g->inputs[input];
}

/*
 * The convs reading tensor @p t, or -ENOTSUP naming the first consumer that
 * is not a conv on its first operand (or a graph output: the raw input is
 * then needed as it is).
 */
/* The next conv from node *@p i on whose input is tensor @p t (*@p i moved past it);
 * NULL when there is none. */
static vsr_node *next_conv_of(vsr_graph *g, int t, int *i)
{
    while (*i < g->n_nodes) {
        vsr_node *nd = &g->nodes[(*i)++];
        if (nd->op == VSR_OP_CONV2D && nd->in[0] == t)
            return nd;
    }
    return NULL;
}

static int check_conv_consumers(const vsr_graph *g, int t, const char *what, vsr_error *err)
{
    for (int k = 0; k < g->n_outputs; k++)
        if (g->outputs[k].t == t)
            return vsr_error_set(
                err, -ENOTSUP, "%s: input '%s' is also output '%s': cannot fold %s into convs",
                g->name, g->nodes[t].name, g->outputs[k].name, what);
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const vsr_node *nd = &g->nodes[i];
        for (int k = 0; k < nd->n_in; k++) {
            if (nd->in[k] != t)
                continue;
            if (nd->op != VSR_OP_CONV2D || k != 0)
                return vsr_error_set(err, -ENOTSUP,
                                     "%s: input '%s' feeds '%s' (%s), not only convs: cannot "
                                     "fold %s into it",
                                     g->name, g->nodes[t].name, nd->name, vsr_op_name(nd->op),
                                     what);
            if (!g->wts[nd->w_first].data)
                return vsr_error_set(err, -EINVAL,
                                     "%s: %s: weights not set (fold after loading)", g->name,
                                     nd->name);
            n++;
        }
    }
    if (!n)
        return vsr_error_set(err, -ENOTSUP, "%s: input '%s' feeds no conv", g->name,
                             g->nodes[t].name);
    return 0;
}

int vsr_graph_fold_input_affine(vsr_graph *g, int input, const float *scale,
                                const float *offset, unsigned flags, char *log, size_t cap,
                                vsr_error *err)
{
    int t = input_tensor(g, input, err);
    if (t < 0)
        return t;
    vsr_node *in = &g->nodes[t];
    const int C = in->c;
    int any_off = 0;
    for (int c = 0; c < C; c++) {
        if (!isfinite(scale[c]) || scale[c] == 0.f || (offset && !isfinite(offset[c])))
            return vsr_error_set(err, -EINVAL,
                                 "%s: input '%s' channel %d: scale %g / offset %g must be "
                                 "finite and the scale non-zero",
                                 g->name, in->name, c, scale[c], offset ? offset[c] : 0.f);
        any_off |= offset && offset[c] != 0.f;
    }
    int rc = check_conv_consumers(g, t, "the input scale", err);
    if (rc)
        return rc;
    vsr_node *nd;
    for (int i = 0; (nd = next_conv_of(g, t, &i));) {
        if (any_off && !nd->conv.bias)
            return vsr_error_set(err, -ENOTSUP, "%s: %s has no bias to take the input offset",
                                 g->name, nd->name);
    }
    for (int i = 0; (nd = next_conv_of(g, t, &i));) {
        vsr_wt *w = &g->wts[nd->w_first];
        const int taps = w->dims[0] * w->dims[1], cig = w->dims[2], co = w->dims[3];
        const int G = nd->conv.groups, cog = co / G;
        float *b = nd->conv.bias ? g->wts[nd->w_first + 1].data : NULL;
        for (int c = 0; c < C; c++) {
            int grp = c / cig, cl = c % cig;
            for (int o = grp * cog; o < (grp + 1) * cog; o++) {
                double acc = 0;
                for (int k = 0; k < taps; k++) {
                    float *p = &w->data[((size_t)k * cig + cl) * co + o];
                    acc += *p;
                    *p *= scale[c];
                }
                if (any_off && b)
                    b[o] = (float)(b[o] + acc * offset[c]);
            }
        }
        note(log, cap, "input %s: x%s%g%s into %s", in->name, C > 1 ? "[" : "", scale[0],
             C > 1 ? ",..]" : "", nd->name);
    }
    /* the declared range maps back through x = scale * r + offset (first channel's) */
    if (flags & VSR_FOLD_WEIGHTS_ONLY) {
        vsr_graph_clear_quant(g);
        return 0;
    }
    float lo = (in->r_lo - (offset ? offset[0] : 0.f)) / scale[0];
    float hi = (in->r_hi - (offset ? offset[0] : 0.f)) / scale[0];
    in->r_lo = lo < hi ? lo : hi, in->r_hi = lo < hi ? hi : lo;
    vsr_graph_clear_quant(g);
    return 0;
}

int vsr_graph_fold_input_order(vsr_graph *g, int input, const int *perm, char *log, size_t cap,
                               vsr_error *err)
{
    int t = input_tensor(g, input, err);
    if (t < 0)
        return t;
    const int C = g->nodes[t].c;
    unsigned seen = 0;
    if (C > 32)
        return vsr_error_set(err, -ENOTSUP, "%s: channel order of %d channels: at most 32",
                             g->name, C);
    for (int c = 0; c < C; c++) {
        if (perm[c] < 0 || perm[c] >= C || (seen >> perm[c] & 1u))
            return vsr_error_set(err, -EINVAL, "%s: channel order: not a permutation of 0..%d",
                                 g->name, C - 1);
        seen |= 1u << perm[c];
    }
    int rc = check_conv_consumers(g, t, "the channel order", err);
    if (rc)
        return rc;
    vsr_node *nd;
    for (int i = 0; (nd = next_conv_of(g, t, &i));) {
        if (nd->conv.groups != 1)
            return vsr_error_set(
                err, -ENOTSUP, "%s: %s is grouped: a channel order folds into dense convs only",
                g->name, nd->name);
    }
    for (int i = 0; (nd = next_conv_of(g, t, &i));) {
        vsr_wt *w = &g->wts[nd->w_first];
        const int taps = w->dims[0] * w->dims[1], co = w->dims[3];
        float *tmp = malloc((size_t)C * co * sizeof(float));
        if (!tmp)
            return vsr_error_set(err, -ENOMEM, "%s: out of memory", nd->name);
        for (int k = 0; k < taps; k++) {
            float *row = &w->data[(size_t)k * C * co];
            memcpy(tmp, row, (size_t)C * co * sizeof(float));
            for (int c = 0; c < C; c++)
                memcpy(&row[(size_t)perm[c] * co], &tmp[(size_t)c * co], co * sizeof(float));
        }
        free(tmp);
        note(log, cap, "input %s: channel order into %s", g->nodes[t].name, nd->name);
    }
    vsr_graph_clear_quant(g);
    return 0;
}

/* Check the output path behind tensor @p t (see fold_out()); 0 or -ENOTSUP / -EINVAL. */
static int check_out(const vsr_graph *g, int t, float s, int with_off, vsr_error *err)
{
    const vsr_node *nd = &g->nodes[t];
    if (n_consumers(g, t) != 1)
        return vsr_error_set(err, -ENOTSUP,
                             "%s: '%s' feeds more than the output: cannot fold the output "
                             "scale into it",
                             g->name, nd->name);
    switch (nd->op) {
    case VSR_OP_CONV2D:
        if (nd->conv.act.type != VSR_ACT_NONE &&
            !(s > 0 && (nd->conv.act.type == VSR_ACT_CLIP ||
                        (nd->conv.act.type == VSR_ACT_RELU && !with_off))))
            return vsr_error_set(err, -ENOTSUP,
                                 "%s: %s: its fused activation does not commute with the "
                                 "output scale",
                                 g->name, nd->name);
        if (with_off && !nd->conv.bias)
            return vsr_error_set(err, -ENOTSUP, "%s: %s has no bias to take the output offset",
                                 g->name, nd->name);
        if (!g->wts[nd->w_first].data)
            return vsr_error_set(err, -EINVAL, "%s: %s: weights not set (fold after loading)",
                                 g->name, nd->name);
        return 0;
    case VSR_OP_CLIP:
        if (!(s > 0))
            return vsr_error_set(err, -ENOTSUP, "%s: %s: a clip folds a positive scale only",
                                 g->name, nd->name);
        return check_out(g, nd->in[0], s, with_off, err);
    case VSR_OP_DEPTH_TO_SPACE:
        return check_out(g, nd->in[0], s, with_off, err);
    case VSR_OP_ADD: {
        int rc = check_out(g, nd->in[0], s, with_off, err);
        return rc ? rc : check_out(g, nd->in[1], s, 0, err);
    }
    default:
        return vsr_error_set(err, -ENOTSUP,
                             "%s: '%s' (%s) is on the output path: the output scale folds "
                             "through clip, depth_to_space and add into convs only",
                             g->name, nd->name, vsr_op_name(nd->op));
    }
}

/* y -> s * y + o on tensor @p t (checked by check_out()); the offset goes to one branch. */
static void fold_out(vsr_graph *g, int t, float s, float o, int wonly, char *log, size_t cap)
{
    vsr_node *nd = &g->nodes[t];
    switch (nd->op) {
    case VSR_OP_CONV2D: {
        vsr_wt *w = &g->wts[nd->w_first];
        for (size_t k = 0; k < w->count; k++)
            w->data[k] *= s;
        if (nd->conv.bias) {
            vsr_wt *b = &g->wts[nd->w_first + 1];
            for (size_t k = 0; k < b->count; k++)
                b->data[k] = b->data[k] * s + o;
        }
        if (nd->conv.act.type == VSR_ACT_CLIP && !wonly)
            nd->conv.act.lo = nd->conv.act.lo * s + o,
            nd->conv.act.hi = nd->conv.act.hi * s + o;
        if (nd->has_range && !wonly)
            nd->r_lo = nd->r_lo * s + o, nd->r_hi = nd->r_hi * s + o;
        note(log, cap, "output x%g%s into %s", s, o != 0.f ? " + offset" : "", nd->name);
        break;
    }
    case VSR_OP_CLIP:
        if (!wonly) {
            nd->act.lo = nd->act.lo * s + o, nd->act.hi = nd->act.hi * s + o;
            if (nd->has_range)
                nd->r_lo = nd->r_lo * s + o, nd->r_hi = nd->r_hi * s + o;
        }
        fold_out(g, nd->in[0], s, o, wonly, log, cap);
        break;
    case VSR_OP_DEPTH_TO_SPACE:
        fold_out(g, nd->in[0], s, o, wonly, log, cap);
        break;
    default: /* VSR_OP_ADD */
        fold_out(g, nd->in[0], s, o, wonly, log, cap);
        fold_out(g, nd->in[1], s, 0.f, wonly, log, cap);
        break;
    }
}

int vsr_graph_fold_output_affine(vsr_graph *g, int output, float scale, float offset,
                                 unsigned flags, char *log, size_t cap, vsr_error *err)
{
    if (output < 0 || output >= g->n_outputs)
        return vsr_error_set(err, -EINVAL, "%s: no graph output %d", g->name, output);
    if (!isfinite(scale) || scale == 0.f || !isfinite(offset))
        return vsr_error_set(err, -EINVAL,
                             "%s: output scale %g / offset %g: must be finite, scale non-zero",
                             g->name, scale, offset);
    int t = g->outputs[output].t;
    int rc = check_out(g, t, scale, offset != 0.f, err);
    if (rc)
        return rc;
    fold_out(g, t, scale, offset, !!(flags & VSR_FOLD_WEIGHTS_ONLY), log, cap);
    vsr_graph_clear_quant(g);
    return 0;
}
