/*
 * Paired bootstrap confidence intervals for the ablation table.
 *
 * The statistic is the one the tables print: the mean over clips of the
 * per-clip mean of the per-frame differences (row minus base, BasicSR's
 * mean of clip means). Each resample draws, clip by clip, as many frames as
 * the clip has, uniformly with replacement from that clip's frames
 * (stratified by clip, so every clip keeps its weight), and recomputes the
 * statistic. The interval is the percentile interval of the resampled
 * statistics: numpy's default ("linear", Hyndman-Fan type 7) quantiles at
 * (1 - level) / 2 and (1 + level) / 2 of the sorted values.
 *
 * The generator is splitmix64 (Steele, Lea, Flood 2014) started at the seed;
 * a frame index is next() % m. Draw order: resample by resample, clip by
 * clip, frame by frame, so tests/reports/bootstrap_ref.py reproduces it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "reports_internal.h"

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* Type-7 quantile of sorted @p v (n >= 1). */
static double quantile7(const double *v, size_t n, double q)
{
    double h = (double)(n - 1) * q;
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= n)
        return v[n - 1];
    return v[lo] + (h - (double)lo) * (v[lo + 1] - v[lo]);
}

int vsr_report_bootstrap_ci(const double *d, const size_t *clip_len, size_t nclips,
                            int resamples, uint64_t seed, double level, double *lo, double *hi,
                            vsr_error *err)
{
    *lo = *hi = NAN;
    size_t n = 0;
    for (size_t c = 0; c < nclips; c++)
        n += clip_len[c];
    if (!nclips || resamples < 1 || !(level > 0 && level < 1))
        return vsr_error_set(err, -EINVAL,
                             "bootstrap: need clips, resamples >= 1, 0 < level < 1");
    for (size_t c = 0; c < nclips; c++)
        if (!clip_len[c])
            return vsr_error_set(err, -EINVAL, "bootstrap: clip %zu has no frames", c);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(d[i]))
            return vsr_error_set(err, -EDOM, "bootstrap: frame %zu is not finite", i);
    double *stat = malloc((size_t)resamples * sizeof(*stat));
    if (!stat)
        return vsr_error_set(err, -ENOMEM, "bootstrap: out of memory");
    uint64_t s = seed;
    for (int b = 0; b < resamples; b++) {
        double total = 0;
        size_t off = 0;
        for (size_t c = 0; c < nclips; c++) {
            size_t m = clip_len[c];
            double sum = 0;
            for (size_t k = 0; k < m; k++)
                sum += d[off + (size_t)(splitmix64(&s) % m)];
            total += sum / (double)m;
            off += m;
        }
        stat[b] = total / (double)nclips;
    }
    qsort(stat, (size_t)resamples, sizeof(*stat), cmp_double);
    *lo = quantile7(stat, (size_t)resamples, (1 - level) / 2);
    *hi = quantile7(stat, (size_t)resamples, (1 + level) / 2);
    free(stat);
    return 0;
}
