/*
 * Timing statistics in the style of TFLite's benchmark_model: warm-up, N
 * timed calls, then count/first/min/max/avg/std/median/p95.
 *
 * Definitions (also in bench.h and the timings table):
 *  - median: the middle of the sorted samples; the mean of the two middle
 *    ones when n is even.
 *  - p95: nearest rank, the ceil(0.95 n)-th smallest sample (1-based), so
 *    for n = 20 it is the 19th and for n < 20 it is the maximum.
 *  - std: population standard deviation sqrt(sum (x - mean)^2 / n).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vsr/bench.h"

double vsr_timing_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int vsr_timing_stats_compute(const double *samples, int n, int warmup, double first_ms,
                             vsr_timing_stats *out, vsr_error *err)
{
    if (n < 1)
        return vsr_error_set(err, -EINVAL, "timing: no timed samples (runs must be >= 1)");
    for (int i = 0; i < n; i++)
        if (!isfinite(samples[i]) || samples[i] < 0)
            return vsr_error_set(err, -EINVAL, "timing: sample %d is %g, not a duration", i,
                                 samples[i]);
    double *s = malloc((size_t)n * sizeof(*s));
    if (!s)
        return vsr_error_set(err, -ENOMEM, "timing: out of memory for %d samples", n);
    memcpy(s, samples, (size_t)n * sizeof(*s));
    qsort(s, (size_t)n, sizeof(*s), cmp_double);

    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += s[i];
    double mean = sum / n;
    double ss = 0;
    for (int i = 0; i < n; i++)
        ss += (s[i] - mean) * (s[i] - mean);

    /* nearest rank: k = ceil(0.95 n), computed in integers to avoid
     * 0.95 * 20 = 19.000000000000004 rounding up to 20. */
    int k = (95 * n + 99) / 100;
    if (k < 1)
        k = 1;

    out->count = n;
    out->warmup = warmup;
    out->first_ms = first_ms;
    out->min_ms = s[0];
    out->max_ms = s[n - 1];
    out->median_ms = (n % 2) ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    out->p95_ms = s[k - 1];
    out->mean_ms = mean;
    out->std_ms = sqrt(ss / n);
    free(s);
    return 0;
}

int vsr_timing_format(const vsr_timing_stats *s, char *buf, size_t cap)
{
    char first[48] = "";
    if (!isnan(s->first_ms))
        snprintf(first, sizeof(first), " first=%.3f", s->first_ms);
    return snprintf(buf, cap,
                    "count=%d%s min=%.3f max=%.3f avg=%.3f std=%.3f median=%.3f p95=%.3f (ms, "
                    "warmup=%d)",
                    s->count, first, s->min_ms, s->max_ms, s->mean_ms, s->std_ms, s->median_ms,
                    s->p95_ms, s->warmup);
}

int vsr_timing_measure(int (*fn)(void *ctx, int i, vsr_error *err), void *ctx, int warmup,
                       int runs, double *samples, vsr_timing_stats *out, vsr_error *err)
{
    if (runs < 1 || warmup < 0)
        return vsr_error_set(
            err, -EINVAL, "timing: need runs >= 1 and warmup >= 0 (got %d, %d)", runs, warmup);
    double *own = NULL;
    if (!samples) {
        own = malloc((size_t)runs * sizeof(*own));
        if (!own)
            return vsr_error_set(err, -ENOMEM, "timing: out of memory for %d samples", runs);
        samples = own;
    }
    int ret = 0;
    double first = NAN;
    for (int i = 0; i < warmup; i++) {
        double t0 = vsr_timing_now_ms();
        if ((ret = fn(ctx, i, err)) < 0)
            goto end;
        if (i == 0)
            first = vsr_timing_now_ms() - t0;
    }
    for (int i = 0; i < runs; i++) {
        double t0 = vsr_timing_now_ms();
        if ((ret = fn(ctx, warmup + i, err)) < 0)
            goto end;
        samples[i] = vsr_timing_now_ms() - t0;
    }
    ret = vsr_timing_stats_compute(samples, runs, warmup, first, out, err);
end:
    free(own);
    return ret;
}
