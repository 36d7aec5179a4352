/*
 * Internals of vsr_train shared by its files. Nothing here is public API.
 * The net walks the engine's graph IR read-only through engine/engine_node.h
 * (the part-internal node-walk header meant for train/, not engine_internal.h).
 */
#ifndef VSR_TRAIN_INTERNAL_H
#define VSR_TRAIN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "../engine/engine_node.h"
#include "conv_internal.h"
#include "vsr/train.h"

/* Bilinear taps of one resize node at the net's size (TF2 half pixel). */
typedef struct tr_bil {
    int *yl, *yh, *xl, *xh;
    float *yw, *xw;
} tr_bil;

/* One slot (batch element b, time step t): activations and gradients. */
typedef struct tr_slot {
    void **act;  /* per node, output (T) */
    void **pre;  /* per node, conv pre-activation (T) or NULL */
    void **grad; /* per node, dLoss/doutput (T) or NULL when not needed */
    void *tmp;   /* scratch of the largest node size */
    float *wt;   /* float nets: scratch for one conv's transposed weights */
} tr_slot;

typedef struct vsr_train_net tr_net;

/* QAT state of a float net (qat.c): fake quantisation where the INT8 engine quantises. */
typedef struct tr_qat {
    vsr_quant_scheme scheme;
    int observe, quant;   /* current mode: record ranges / fake quantise */
    unsigned char *qnode; /* per node: the engine stores this output as int8 */
    int *fold_bn;         /* per conv node: the batch norm the engine folds into it, or -1 */
    float *lo, *hi;       /* per node: tracked range (EMA) */
    unsigned char *have;  /* per node: range known */
    float *scale;         /* per node: parameters of the range under the scheme */
    int *zp;
    float *smin, *smax;   /* [slot * n_nodes + node]: this step's observed min / max */
    unsigned char **mask; /* [slot * n_nodes + node]: 1 where the value was inside */
    float *wq;            /* fake-quantised parameters (n_params), what forward uses */
    int lsq;              /* 1: scales are learned (LSQ), zero points fixed */
    float **pre;          /* LSQ: [slot * n_nodes + node] the values before fake quantisation */
    double *sgrad;        /* LSQ: [slot * n_nodes + node] dLoss / dscale of the slot */
} tr_qat;

struct vsr_train_net {
    const vsr_graph *g;
    int h, w, batch, steps, dbl, input_grads;
    size_t esz; /* sizeof(T) */
    int *shp;   /* 3 per node at the net's size */
    size_t *woff;
    size_t n_params;
    float *params;              /* float master */
    void *pwork;                /* T working copy (== params in float mode) */
    unsigned char *trainable_w; /* per graph weight */
    unsigned char *mask;        /* per element */
    unsigned char *needs;       /* per node: gradient needed */
    unsigned char *ste_clip;    /* per node: clip passes gradients */
    tr_bil *bil;                /* per node */
    tr_slot *slots;             /* batch * steps */
    void **egrad;               /* per batch element: T[n_params] */
    double *grad;               /* reduced */
    tr_conv_kernels ck;         /* float nets: x86 conv kernels (NULL = scalar) */
    tr_qat *qat;                /* QAT state, or NULL */
};

/* exec.c */
void vsr__train_forward(tr_net *n, tr_slot *s);
void vsr__train_backward(tr_net *n, tr_slot *s, int b);

/* conv.c: w [ky][kx][ci][k] -> wt [ky][kx][k][ci] (dense convs). */
void tr_conv_transpose(const tr_convg *g, const float *w, float *wt);
/* conv.c: a grouped conv (groups > 1, cig and cog <= TR_CONV_MAX_CH; backward: stride 1)
 * through the dense kernels @p k, one group at a time on gathered channel slices. Each
 * element is accumulated in the scalar twin's order (conv_internal.h), so the bits are
 * those of exec_impl.h's grouped conv_fwd / conv_bwd_w / conv_bwd_x. Same operands as
 * those (dw, db, din += and may be NULL); -ENOMEM (nothing written) when the slices
 * cannot be allocated. */
int tr_gconv_forward(const tr_conv_kernels *k, const tr_convg *g, const float *in,
                     const float *w, const float *b, float *out);
int tr_gconv_backward(const tr_conv_kernels *k, const tr_convg *g, const float *in,
                      const float *w, const float *dy, float *dw, float *db, float *din);

/* net.c: mark output-clip nodes as straight-through (trainer option). */
void vsr__train_net_set_ste(tr_net *n, int on);

/* qat.c: which outputs the INT8 engine quantises (qnode) and the batch norm it folds
 * into each conv (fold_bn, -1 = none), both n_nodes long; -ENOMEM. */
int vsr__train_qat_nodes(const vsr_graph *g, unsigned char *qnode, int *fold_bn);
/* qat.c: after node i's forward (observe, fake quantise), before its backward (STE). */
void vsr__train_qat_node(tr_net *n, tr_slot *s, int i);
void vsr__train_qat_grad(tr_net *n, tr_slot *s, int i);
void vsr__train_qat_free(tr_net *n);

/* Node sizes in elements at the net's size. */
static inline size_t tr_node_size(const tr_net *n, int i)
{
    return (size_t)n->shp[3 * i] * n->shp[3 * i + 1] * n->shp[3 * i + 2];
}

#endif
