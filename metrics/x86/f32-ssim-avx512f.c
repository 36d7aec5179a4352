/* AVX-512F copy of the float32 SSIM row passes (16 columns per vector);
 * built with -mavx512f -mprefer-vector-width=512, selected at run time. */
#define VSR_SSIM_HPASS vsr_f32_ssim_hpass_16__avx512f
#define VSR_SSIM_VPASS vsr_f32_ssim_vpass_4x16__avx512f
#include "../f32-ssim-template.h"
