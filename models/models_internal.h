/* Internal helpers shared by the graph builders of models/. */
#ifndef VSR_MODELS_INTERNAL_H
#define VSR_MODELS_INTERNAL_H

#include <stdarg.h>
#include <stdio.h>

#include "vsr/engine.h"
#include "vsr/models.h"

/* Builders: add the family's ops to the empty graph @p g at nominal size
 * h x w. They chain the engine's sticky tensor ids and report through
 * vsr_graph_status() at the end. */
int vsr_models_build_swrn(vsr_graph *g, const vsr_models_hparams *hp, int h, int w,
                          vsr_error *err);
int vsr_models_build_abpn(vsr_graph *g, const vsr_models_hparams *hp, int h, int w,
                          vsr_error *err);
int vsr_models_build_elsr(vsr_graph *g, const vsr_models_hparams *hp, int h, int w,
                          vsr_error *err);
int vsr_models_build_mobilerrn(vsr_graph *g, const vsr_models_hparams *hp, int h, int w,
                               vsr_error *err);
int vsr_models_build_mvsr(vsr_graph *g, const vsr_models_hparams *hp, int h, int w,
                          vsr_error *err);
int vsr_models_build_quicksrnet(vsr_graph *g, const vsr_models_hparams *hp, int h, int w,
                                vsr_error *err);
int vsr_models_build_xlsr(vsr_graph *g, const vsr_models_hparams *hp, int h, int w,
                          vsr_error *err);

/* conv2d with k x k kernel, cout outputs, optional dilation/groups/bias/act. */
static inline int mdl_conv(vsr_graph *g, const char *name, int x, int cout, int k, int dil,
                           int groups, int bias, vsr_act_type act, vsr_error *err)
{
    vsr_conv_params p = vsr_conv_default(cout, k);
    p.dilation = dil;
    p.groups = groups;
    p.bias = bias;
    p.act.type = act;
    return vsr_graph_conv2d(g, name, x, &p, err);
}

/* Format a layer name into a local buffer (names longer than 63 chars are
 * truncated; the engine then reports a duplicate or the name itself). */
static inline void mdl_name(char *buf, size_t cap, const char *fmt, ...) VSR_PRINTF(3, 4);
static inline void mdl_name(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
}
#define MDL_NAME(buf, ...) mdl_name(buf, sizeof(buf), __VA_ARGS__)

#endif
