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
 *  - median interval: distribution-free 95% interval by order statistics
 *    (the number of samples below the true median is Bin(n, 1/2)); see
 *    vsr_timing_median_ci_ranks().
 *
 * Stopping rule (benchmark_model's --min_runs / --min_secs): warm-up, then
 * timed calls until both a minimum count and a minimum summed time.
 *
 * Environment: /proc/stat's "cpu" line (all CPUs) gives the machine's busy
 * and total ticks; getrusage(RUSAGE_SELF) this process's CPU time (all its
 * threads, so spinning pool workers count as ours). busy - ours is what
 * other processes took (plus steal, which /proc/stat counts as busy here).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "vsr/bench.h"

double vsr_timing_now_ms(void)
{
    return vsr_clock_ms();
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
    out->total_ms = sum;
    int lo, hi;
    vsr_timing_median_ci_ranks(n, &lo, &hi);
    out->median_lo_ms = s[lo - 1];
    out->median_hi_ms = s[hi - 1];
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

int vsr_timing_median_ci_ranks(int n, int *lo, int *hi)
{
    if (n < 1)
        return -EINVAL;
    /* P(X <= k) for X ~ Bin(n, 1/2), in logs so that 2^-n cannot underflow */
    double cdf = 0, logp = -n * log(2.0);
    int l = 0; /* largest l with 2 P(X <= l - 1) <= 0.05; 0: none */
    for (int k = 0; k < n; k++) {
        cdf += exp(lgamma(n + 1.0) - lgamma(k + 1.0) - lgamma(n - k + 1.0) + logp);
        if (2 * cdf > 0.05 + 1e-12)
            break;
        l = k + 1;
    }
    if (l < 1) {
        *lo = 1;
        *hi = n;
        return 1;
    }
    *lo = l;
    *hi = n + 1 - l;
    return 0;
}

int vsr_timing_enough(const vsr_timing_rule *rule, int count, double total_ms)
{
    int cap = rule->max_runs > 0 ? rule->max_runs : 1000000;
    if (count >= cap)
        return 1;
    return count >= rule->min_runs && total_ms >= rule->min_secs * 1e3;
}

static double rule_now(const vsr_timing_rule *r)
{
    return r->clock_ms ? r->clock_ms(r->clock_ctx) : vsr_timing_now_ms();
}

int vsr_timing_measure_rule(int (*fn)(void *ctx, int i, vsr_error *err), void *ctx,
                            const vsr_timing_rule *rule, double **samples, int *n,
                            vsr_timing_stats *out, vsr_error *err)
{
    *samples = NULL;
    *n = 0;
    if (rule->min_runs < 1 || rule->warmup < 0 || !(rule->min_secs >= 0) ||
        (rule->max_runs > 0 && rule->max_runs < rule->min_runs))
        return vsr_error_set(err, -EINVAL,
                             "timing: need min_runs >= 1, warmup >= 0, min_secs >= 0 and "
                             "max_runs >= min_runs (got %d, %d, %g, %d)",
                             rule->min_runs, rule->warmup, rule->min_secs, rule->max_runs);
    double first = NAN, total = 0, *buf = NULL;
    int cnt = 0, cap = 0, ret = 0;
    for (int i = 0; i < rule->warmup; i++) {
        double t0 = rule_now(rule);
        if ((ret = fn(ctx, i, err)) < 0)
            goto fail;
        if (i == 0)
            first = rule_now(rule) - t0;
    }
    while (!vsr_timing_enough(rule, cnt, total)) {
        if (cnt == cap) {
            cap = cap ? 2 * cap : 64;
            double *p = realloc(buf, (size_t)cap * sizeof(*p));
            if (!p) {
                ret = vsr_error_set(err, -ENOMEM, "timing: out of memory for %d samples", cap);
                goto fail;
            }
            buf = p;
        }
        double t0 = rule_now(rule);
        if ((ret = fn(ctx, rule->warmup + cnt, err)) < 0)
            goto fail;
        buf[cnt] = rule_now(rule) - t0;
        total += buf[cnt++];
    }
    if ((ret = vsr_timing_stats_compute(buf, cnt, rule->warmup, first, out, err)) < 0)
        goto fail;
    *samples = buf;
    *n = cnt;
    return 0;
fail:
    free(buf);
    return ret;
}

void vsr_timing_probe_read(vsr_timing_probe *p)
{
    memset(p, 0, sizeof(*p));
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        p->own_s = (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
                   (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
        p->nivcsw = ru.ru_nivcsw;
    }
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return;
    unsigned long long v[10] = {0};
    int got = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
                     &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]);
    fclose(f);
    if (got < 8)
        return;
    /* user nice system idle iowait irq softirq steal [guest guest_nice: inside user] */
    for (int i = 0; i < 8; i++)
        p->total += v[i];
    p->busy = p->total - v[3] - v[4];
    p->steal = v[7];
    p->ok = 1;
}

void vsr_timing_env_add(vsr_timing_env_acc *acc, const vsr_timing_probe *a,
                        const vsr_timing_probe *b, double ticks_per_s)
{
    acc->stretches++;
    if (!a->ok || !b->ok || b->total < a->total) {
        acc->bad++;
        return;
    }
    acc->total_ticks += (double)(b->total - a->total);
    acc->busy_ticks += (double)(b->busy - a->busy);
    acc->own_ticks += (b->own_s - a->own_s) * ticks_per_s;
    acc->steal_ticks += (double)(b->steal - a->steal);
    acc->nivcsw += b->nivcsw - a->nivcsw;
}

/* mean of /sys/.../scaling_cur_freq (kHz) over CPUs, else /proc/cpuinfo's MHz */
static double cpu_mhz_now(void)
{
    double sum = 0;
    int n = 0;
    for (int c = 0; c < 1024; c++) {
        char path[96];
        snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/cpufreq/scaling_cur_freq",
                 c);
        FILE *f = fopen(path, "r");
        if (!f)
            break;
        double khz;
        if (fscanf(f, "%lf", &khz) == 1 && khz > 0)
            sum += khz / 1e3, n++;
        fclose(f);
    }
    if (n)
        return sum / n;
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[256];
    while (f && fgets(line, sizeof(line), f)) {
        double mhz;
        if (!strncmp(line, "cpu MHz", 7) && sscanf(strchr(line, ':') + 1, "%lf", &mhz) == 1)
            sum += mhz, n++;
    }
    if (f)
        fclose(f);
    return n ? sum / n : NAN;
}

void vsr_timing_env_finish(const vsr_timing_env_acc *acc, int threads, vsr_timing_env *env)
{
    memset(env, 0, sizeof(*env));
    env->threads = threads;
    env->other_cpu = env->steal = NAN;
    env->invol_csw = -1;
    env->frames_alone = -1;
    if (acc->stretches > 0 && !acc->bad) {
        env->invol_csw = acc->nivcsw;
        /* a run shorter than a tick says nothing */
        if (acc->total_ticks > 0) {
            /* ticks are coarse (10 ms): the run's own time can exceed busy a little */
            double other = acc->busy_ticks - acc->own_ticks;
            env->other_cpu = (other > 0 ? other : 0) / acc->total_ticks;
            env->steal = acc->steal_ticks / acc->total_ticks;
        }
    }
    env->load1 = NAN;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &env->load1) != 1)
            env->load1 = NAN;
        fclose(f);
    }
    env->cpu_mhz = cpu_mhz_now();
}

int vsr_timing_noisy(const vsr_timing_stats *s, const vsr_timing_env *env, char *why,
                     size_t cap)
{
    size_t len = 0;
    int noisy = 0;
    why[0] = '\0';
#define WHY(...)                                                                               \
    do {                                                                                       \
        if (len < cap)                                                                         \
            len += (size_t)snprintf(why + len, cap - len, "%s", noisy ? "; " : "");            \
        if (len < cap)                                                                         \
            len += (size_t)snprintf(why + len, cap - len, __VA_ARGS__);                        \
        noisy = 1;                                                                             \
    } while (0)
    double spread = s->median_ms > 0 ? (s->median_hi_ms - s->median_lo_ms) / s->median_ms : 0;
    if (spread > VSR_TIMING_NOISY_SPREAD)
        WHY("median interval %.0f%% of the median > %.0f%%", 100 * spread,
            100 * VSR_TIMING_NOISY_SPREAD);
    if (env && env->other_cpu > VSR_TIMING_NOISY_OTHER)
        WHY("other processes took %.0f%% of the CPUs > %.0f%%", 100 * env->other_cpu,
            100 * VSR_TIMING_NOISY_OTHER);
    if (env && env->steal > VSR_TIMING_NOISY_STEAL)
        WHY("steal %.0f%% > %.0f%%", 100 * env->steal, 100 * VSR_TIMING_NOISY_STEAL);
#undef WHY
    return noisy;
}
