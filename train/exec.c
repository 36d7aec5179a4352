/*
 * exec.c: the op-by-op forward and backward passes of one slot, in float
 * and double (exec_impl.h instantiated twice).
 */
#include <math.h>
#include <string.h>

#include "train_internal.h"

#define T float
#define TR_IS_FLOAT 1
#define FN(x) x##_f
#define REAL_EXP expf
#define REAL_SQRT sqrtf
#define REAL_ERF erff
#include "exec_impl.h"

#define T double
#define TR_IS_FLOAT 0
#define FN(x) x##_d
#define REAL_EXP exp
#define REAL_SQRT sqrt
#define REAL_ERF erf
#include "exec_impl.h"

void vsr__train_forward(tr_net *n, tr_slot *s)
{
    for (int i = 0; i < n->g->n_nodes; i++) {
        if (n->dbl)
            forward_node_d(n, s, i);
        else
            forward_node_f(n, s, i);
        if (n->qat)
            vsr__train_qat_node(n, s, i);
    }
}

void vsr__train_backward(tr_net *n, tr_slot *s, int b)
{
    for (int i = n->g->n_nodes - 1; i >= 0; i--) {
        if (!n->needs[i] || !s->grad[i])
            continue;
        if (n->qat)
            vsr__train_qat_grad(n, s, i);
        if (n->dbl)
            backward_node_d(n, s, b, i);
        else
            backward_node_f(n, s, b, i);
    }
}
