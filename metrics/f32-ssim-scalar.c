/* The scalar (portable) copy of the float32 SSIM row passes: the oracle the
 * SIMD copies are tested against (bit-identical outputs). */
#define VSR_SSIM_HPASS vsr_f32_ssim_hpass_1__scalar
#define VSR_SSIM_VPASS vsr_f32_ssim_vpass_4x1__scalar
#include "f32-ssim-template.h"
