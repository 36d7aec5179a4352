/*
 * Runtime CPU feature detection (cpuid + xgetbv) and the once-per-engine
 * kernel selection. Only init-once state lives here.
 */
#include <pthread.h>
#include <string.h>

#include "../engine_internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static uint64_t xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static unsigned detect(void)
{
    unsigned a, b, c, d, isa = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return 0;
    int osxsave = (c >> 27) & 1, fma = (c >> 12) & 1, f16c = (c >> 29) & 1;
    if (!osxsave)
        return 0;
    uint64_t xcr0 = xgetbv0();
    int os_avx = (xcr0 & 0x6) == 0x6, os_avx512 = (xcr0 & 0xe6) == 0xe6;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
        return 0;
    int avx2 = (b >> 5) & 1;
    int f = (b >> 16) & 1, dq = (b >> 17) & 1, bw = (b >> 30) & 1, vl = (b >> 31) & 1;
    int vnni = (c >> 11) & 1, fp16 = (d >> 23) & 1;
    if (os_avx && avx2 && fma && f16c) {
        isa |= VSR_ISA_AVX2;
        if (os_avx512 && f && dq && bw && vl) {
            isa |= VSR_ISA_AVX512;
            if (vnni)
                isa |= VSR_ISA_AVX512VNNI;
            if (fp16)
                isa |= VSR_ISA_AVX512FP16;
        }
    }
    return isa;
}
#else
static unsigned detect(void)
{
    return 0;
}
#endif

static pthread_once_t once = PTHREAD_ONCE_INIT;
static unsigned features; /* written once under pthread_once */

static void init(void)
{
    features = detect();
}

unsigned vsr_cpu_features(void)
{
    pthread_once(&once, init);
    return features;
}

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
#if defined(__x86_64__)
    if (isa & VSR_ISA_AVX2) {
        k->qs8_conv_acc = vsr_qs8_conv_i16_ukernel_4x16__avx2;
        k->f32_conv = vsr_f32_conv_ukernel_4x16__avx2;
        k->f16_to_f32 = vsr_f16_f32_cvt__f16c;
        k->f32_to_f16 = vsr_f32_f16_cvt__f16c;
        k->qs8_to_f32 = vsr_qs8_f32_cvt__avx2;
        k->f32_to_qs8 = vsr_f32_qs8_cvt__avx2;
        k->lut8 = vsr_u8_lut_ukernel__avx2;
        k->isa |= VSR_ISA_AVX2;
    }
    if ((isa & VSR_ISA_AVX512) && (isa & VSR_ISA_AVX2)) {
        k->f32_conv = vsr_f32_conv_ukernel_nx48__avx512f;
        k->isa |= VSR_ISA_AVX512;
    }
    if ((isa & VSR_ISA_AVX512VNNI) && (isa & VSR_ISA_AVX512)) {
        k->qs8_conv = vsr_qs8_conv_ukernel_4x16__avx512vnni;
        k->qs8_conv_u8 = vsr_qs8_conv_ukernel_u8_nx48__avx512vnni;
        k->isa |= VSR_ISA_AVX512VNNI;
    } else if (isa & VSR_ISA_AVX2) {
        k->qs8_conv_i16 = vsr_qs8_conv_i16_ukernel_4x16__avx2;
    }
#else
    (void)isa;
#endif
}
