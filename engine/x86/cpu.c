/*
 * The once-per-engine kernel selection from the ISA bits core detects
 * (vsr_cpu_isa()), and their names.
 */
#include <string.h>

#include "../engine_internal.h"

const char *vsr_isa_name(unsigned isa)
{
    static const char *const names[16] = {"scalar",
                                          "avx2",
                                          "avx512",
                                          "avx512+avx2",
                                          "avx512vnni",
                                          "avx512vnni+avx2",
                                          "avx512vnni+avx512",
                                          "avx512vnni+avx512+avx2",
                                          "avx512fp16",
                                          "avx512fp16+avx2",
                                          "avx512fp16+avx512",
                                          "avx512fp16+avx512+avx2",
                                          "avx512fp16+avx512vnni",
                                          "avx512fp16+avx512vnni+avx2",
                                          "avx512fp16+avx512vnni+avx512",
                                          "avx512fp16+avx512vnni+avx512+avx2"};
    return names[isa & 15];
}

void vsr__kernels_select(unsigned isa, vsr_kernels *k)
{
    memset(k, 0, sizeof(*k));
    k->f32_conv = vsr_f32_conv_ukernel_1x16__scalar;
    k->qs8_conv = vsr_qs8_conv_ukernel_1x16__scalar;
    k->f16_to_f32 = vsr_f16_f32_cvt__scalar;
    k->f32_to_f16 = vsr_f32_f16_cvt__scalar;
    k->qs8_conv_acc = vsr_qs8_conv_i16_ukernel_1x16__scalar;
    k->qs8_to_f32 = vsr_qs8_f32_cvt__scalar;
    k->f32_to_qs8 = vsr_f32_qs8_cvt__scalar;
    k->lut8 = vsr_u8_lut_ukernel__scalar;
    k->f32_minmax = vsr_f32_minmax_ukernel__scalar;
    k->requant_tfl = vsr_qs8_requant_tfl__scalar;
    k->f32_gconv = vsr_f32_gconv_ukernel_1x8__scalar;
    k->qs8_gconv = vsr_qs8_gconv_i16_ukernel_1x8__scalar;
    k->f32_tail = vsr_f32_tail__scalar;
    k->qs8_tail = vsr_qs8_tail__scalar;
    k->qs8_tail_q = vsr_qs8_tail_q__scalar;
    k->f32_wino_in = vsr_f32_wino_in__scalar;
    k->f32_wino_out = vsr_f32_wino_out__scalar;
#if defined(__x86_64__)
    if (isa & VSR_ISA_AVX2) {
        k->qs8_conv_acc = vsr_qs8_conv_i16_ukernel_4x16__avx2;
        k->f32_conv = vsr_f32_conv_ukernel_4x16__avx2;
        k->f16_to_f32 = vsr_f16_f32_cvt__f16c;
        k->f32_to_f16 = vsr_f32_f16_cvt__f16c;
        k->qs8_to_f32 = vsr_qs8_f32_cvt__avx2;
        k->f32_to_qs8 = vsr_f32_qs8_cvt__avx2;
        k->lut8 = vsr_u8_lut_ukernel__avx2;
        k->f32_minmax = vsr_f32_minmax_ukernel__avx2;
        k->requant_tfl = vsr_qs8_requant_tfl__avx2;
        k->f32_gconv = vsr_f32_gconv_ukernel_4x8__avx2;
        k->qs8_gconv = vsr_qs8_gconv_i16_ukernel_4x8__avx2;
        k->isa |= VSR_ISA_AVX2;
    }
    if ((isa & VSR_ISA_AVX512) && (isa & VSR_ISA_AVX2)) {
        k->f32_conv = vsr_f32_conv_ukernel_nx48__avx512f;
        k->f32_minmax = vsr_f32_minmax_ukernel__avx512f;
        k->f32_tail = vsr_f32_tail__avx512f;
        k->qs8_tail_q = vsr_qs8_tail_q__avx512f;
        k->f32_wino_in = vsr_f32_wino_in__avx512f;
        k->f32_wino_out = vsr_f32_wino_out__avx512f;
        k->isa |= VSR_ISA_AVX512;
    }
    if ((isa & VSR_ISA_AVX512VNNI) && (isa & VSR_ISA_AVX512)) {
        k->qs8_conv = vsr_qs8_conv_ukernel_nx48__avx512vnni;
        k->qs8_conv_nx = vsr_qs8_conv_ukernel_nx48__avx512vnni;
        k->qs8_conv_pl = vsr_qs8_conv_pl__avx512vnni;
        k->qs8_pl_pack = vsr_qs8_pl_pack__avx512vnni;
        k->isa |= VSR_ISA_AVX512VNNI;
    } else if (isa & VSR_ISA_AVX2) {
        k->qs8_conv_i16 = vsr_qs8_conv_i16_ukernel_4x16__avx2;
    }
#else
    (void)isa;
#endif
}
