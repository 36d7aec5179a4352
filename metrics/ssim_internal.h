/*
 * SSIM kernels (float32, centred moments): the row passes of ssim.c, one
 * copy per ISA. Every copy is compiled from the same source
 * (f32-ssim-template.h) with explicit fmaf() and no FP contraction, so all
 * copies give the same bits for every output value; only speed differs.
 * The scalar copy is the oracle the tests compare the others with.
 */
#ifndef VSR_METRICS_SSIM_INTERNAL_H
#define VSR_METRICS_SSIM_INTERNAL_H

#include "metrics_internal.h"

/* 1-D Gaussian weights by distance from the centre: g[0] centre .. g[5]. */
typedef struct vsr_ssim_weights {
    float g[6];
} vsr_ssim_weights;

/*
 * Column tiles: the passes work on at most VSR_SSIM_TW output columns of a
 * row at a time, and each input row of a tile lives in one "slot" of
 * VSR_SSIM_SLOT floats at fixed offsets (so the vertical pass needs only
 * one pointer per row):
 *   X  [0, TW + 10)  input samples x (the tile's columns plus the halo)
 *   Y  the same for y
 *   AX, AY, V, CV    TW floats each, written by the horizontal pass:
 *     AX[k] = sum_i g_i (x[k+i] - c)   with c = x[k+5] (1-D mean minus c)
 *     V[k]  = var_x + var_y            (1-D Gaussian variances)
 *     CV[k] = cov_xy
 */
#define VSR_SSIM_TW 64
#define VSR_SSIM_XS (VSR_SSIM_TW + 16)
#define VSR_SSIM_OFF_Y VSR_SSIM_XS
#define VSR_SSIM_OFF_AX (2 * VSR_SSIM_XS)
#define VSR_SSIM_OFF_AY (2 * VSR_SSIM_XS + VSR_SSIM_TW)
#define VSR_SSIM_OFF_V (2 * VSR_SSIM_XS + 2 * VSR_SSIM_TW)
#define VSR_SSIM_OFF_CV (2 * VSR_SSIM_XS + 3 * VSR_SSIM_TW)
#define VSR_SSIM_SLOT (2 * VSR_SSIM_XS + 4 * VSR_SSIM_TW)

/* Horizontal pass of one slot: n (<= VSR_SSIM_TW) outputs from X and Y
 * (n + 10 samples each) into AX, AY, V, CV. */
typedef void (*vsr_ssim_hpass_fn)(float *slot, int n, const vsr_ssim_weights *w);
/*
 * Vertical pass and the SSIM map of VSR_SSIM_VGROUP = 4 consecutive output
 * rows from the VSR_SSIM_VROWS = 14 slots of their window rows: output row
 * i (0..3) uses slots i .. i+10, all four centred on slot 6 (see ssim.c).
 * Writes map[i * VSR_SSIM_TW + k], k in [0, n).
 */
#define VSR_SSIM_VGROUP 4
#define VSR_SSIM_VROWS (VSR_SSIM_VGROUP + 10)
typedef void (*vsr_ssim_vpass_fn)(const float *const slot[VSR_SSIM_VROWS], int n,
                                  const vsr_ssim_weights *w, float *map);

void vsr_f32_ssim_hpass_1__scalar(float *slot, int n, const vsr_ssim_weights *w);
void vsr_f32_ssim_vpass_4x1__scalar(const float *const slot[VSR_SSIM_VROWS], int n,
                                    const vsr_ssim_weights *w, float *map);
#if defined(__x86_64__) || defined(_M_X64)
void vsr_f32_ssim_hpass_8__avx2(float *slot, int n, const vsr_ssim_weights *w);
void vsr_f32_ssim_vpass_4x8__avx2(const float *const slot[VSR_SSIM_VROWS], int n,
                                  const vsr_ssim_weights *w, float *map);
void vsr_f32_ssim_hpass_16__avx512f(float *slot, int n, const vsr_ssim_weights *w);
void vsr_f32_ssim_vpass_4x16__avx512f(const float *const slot[VSR_SSIM_VROWS], int n,
                                      const vsr_ssim_weights *w, float *map);
#endif

/* BasicSR's Y (float32, unrounded) of n RGB24 pixels (u8-rgb2y-template.h). */
typedef void (*vsr_rgb2y_row_fn)(const uint8_t *rgb, int n, float *y);
void vsr_u8_rgb2y_row_1__scalar(const uint8_t *rgb, int n, float *y);
#if defined(__x86_64__) || defined(_M_X64)
void vsr_u8_rgb2y_row_8__avx2(const uint8_t *rgb, int n, float *y);
void vsr_u8_rgb2y_row_16__avx512f(const uint8_t *rgb, int n, float *y);
#endif
/* The RGB -> Y row kernel for the ISAs in @p isa_mask that the CPU has. */
vsr_rgb2y_row_fn vsr_metrics_rgb2y_row(unsigned isa_mask);

/* ISA choices for the SSIM kernels (bit mask for the override). */
enum {
    VSR_SSIM_ISA_SCALAR = 0,
    VSR_SSIM_ISA_AVX2 = 1,
    VSR_SSIM_ISA_AVX512F = 2,
};

/* The ISAs this CPU runs (VSR_SSIM_ISA_* bits; scalar is always there), from
 * vsr_cpu_isa(): 0 under VSR_FORCE_SCALAR=1. */
unsigned vsr_metrics_ssim_cpu_isa(void);
/* Name of the kernel set used for @p isa_mask ("scalar", "avx2", "avx512f"). */
const char *vsr_metrics_ssim_isa_name(unsigned isa_mask);

/*
 * vsr_metrics_ssim_planes restricted to the kernels in @p isa_mask
 * (intersected with what the CPU has; 0 = scalar). Same contract otherwise.
 */
int vsr_metrics_ssim_planes_isa(const vsr_plane *a, const vsr_plane *b, int nplanes,
                                pthreadpool_t pool, unsigned isa_mask, double *ssim,
                                vsr_error *err);

#endif
