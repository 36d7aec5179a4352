/*
 * conv.c: run-time choice of the trainer's convolution kernels
 * (conv_internal.h) and the weight transpose the input-gradient kernel reads.
 */
#include <string.h>

#include "train_internal.h"

void tr_conv_transpose(const tr_convg *g, const float *w, float *wt)
{
    const int C = g->C, CO = g->CO;
    for (int t = 0; t < g->kh * g->kw; t++) {
        const float *src = w + (size_t)t * C * CO;
        float *dst = wt + (size_t)t * C * CO;
        for (int ci = 0; ci < C; ci++)
            for (int k = 0; k < CO; k++)
                dst[(size_t)k * C + ci] = src[(size_t)ci * CO + k];
    }
}

void vsr__train_conv_select(unsigned isa, tr_conv_kernels *k)
{
    memset(k, 0, sizeof(*k));
#if defined(__x86_64__)
    if (isa & VSR_ISA_AVX2) {
        k->fwd = vsr_train_f32_conv_fwd_nx32__avx2;
        k->bwd_w = vsr_train_f32_conv_bwdw_nx32__avx2;
        k->bwd_x = vsr_train_f32_conv_bwdx_nx32__avx2;
    }
#else
    (void)isa;
#endif
}
