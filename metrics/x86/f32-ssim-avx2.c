/* AVX2 + FMA copy of the float32 SSIM row passes (8 columns per vector);
 * built with -mavx2 -mfma, selected at run time. */
#define VSR_SSIM_HPASS vsr_f32_ssim_hpass_8__avx2
#define VSR_SSIM_VPASS vsr_f32_ssim_vpass_4x8__avx2
#include "../f32-ssim-template.h"
