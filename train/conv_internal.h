/*
 * conv_internal.h: the trainer's FP32 convolution kernels (forward, weight
 * gradient, input gradient) and their run-time selection.
 *
 * Every kernel has a scalar twin in exec_impl.h (the float instantiation of
 * conv_fwd / conv_bwd_w / conv_bwd_x), and the x86 kernels give the same
 * bits: each output element is accumulated in the same order with separate
 * multiplies and adds (no FMA, no reassociation); only the loops around the
 * element change. That order (the contract, also followed by the double
 * instantiation used for gradient checks) is:
 *
 *   forward  out[p][k]  = bias[k], then += x * w over (ky, kx, ci) ascending,
 *                         skipping taps outside the input (TF SAME padding);
 *   dW       dw[ky][kx][ci][k] += x * dy over output pixels in raster order
 *                         (db[k] += dy in the same order);
 *   dX       din[q][ci] += w * dy over (ky, kx, k) ascending, gathered per
 *                         input pixel q, starting from din's value.
 *
 * Not public API. Internals of vsr_train.
 */
#ifndef VSR_TRAIN_CONV_INTERNAL_H
#define VSR_TRAIN_CONV_INTERNAL_H

/* Geometry of one conv node at the net's size (HWC input, HWIO weights). */
typedef struct tr_convg {
    int H, W, C, OH, OW, CO;
    int kh, kw, s, d, groups, cig, cog;
    int pt, pl; /* top / left padding */
} tr_convg;

/* The x86 kernels take dense (groups == 1) convs with C, CO <= 64;
 * bwd_x also needs stride 1. @p wt is the weights transposed to
 * [ky][kx][k][ci] (tr_conv_transpose). */
typedef struct tr_conv_kernels {
    void (*fwd)(const tr_convg *g, const float *in, const float *w, const float *b, float *out);
    void (*bwd_w)(const tr_convg *g, const float *in, const float *dy, float *dw, float *db);
    void (*bwd_x)(const tr_convg *g, const float *wt, const float *dy, float *din);
} tr_conv_kernels;

/* Largest channel count the x86 kernels take. */
#define TR_CONV_MAX_CH 64

#if defined(__x86_64__)
void vsr_train_f32_conv_fwd_nx32__avx2(const tr_convg *g, const float *in, const float *w,
                                       const float *b, float *out);
void vsr_train_f32_conv_bwdw_nx32__avx2(const tr_convg *g, const float *in, const float *dy,
                                        float *dw, float *db);
void vsr_train_f32_conv_bwdx_nx32__avx2(const tr_convg *g, const float *wt, const float *dy,
                                        float *din);
#endif

/* Kernels for @p isa (VSR_ISA_* bits); NULL members = use the scalar twin. */
void vsr__train_conv_select(unsigned isa, tr_conv_kernels *k);

#endif
