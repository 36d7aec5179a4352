/* The monotonic clock every timer in vsrbench reads. */
#include <time.h>

#include "vsr/core.h"

uint64_t vsr_clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

double vsr_clock_ms(void)
{
    return (double)vsr_clock_ns() * 1e-6;
}

double vsr_clock_s(void)
{
    return (double)vsr_clock_ns() * 1e-9;
}
