/*
 * Run-time CPU feature detection (cpuid + xgetbv), once per process, and
 * the VSR_FORCE_SCALAR switch every kernel choice honours.
 */
#include <pthread.h>
#include <stdlib.h>

#include "vsr/core.h"

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

int vsr_cpu_force_scalar(void)
{
    const char *fs = getenv("VSR_FORCE_SCALAR");
    return fs && fs[0] == '1';
}

unsigned vsr_cpu_isa(void)
{
    return vsr_cpu_force_scalar() ? 0 : vsr_cpu_features();
}
