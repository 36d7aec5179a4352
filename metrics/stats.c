/* Pooling of per-frame scores: frame -> clip mean -> dataset mean. */
#include <math.h>
#include <stdio.h>

#include "vsr/metrics.h"

void vsr_metrics_stats_init(vsr_metric_stats *s)
{
    *s = (vsr_metric_stats){.sum = 0.0, .min = INFINITY, .max = -INFINITY};
}

void vsr_metrics_stats_add(vsr_metric_stats *s, double v)
{
    if (isnan(v)) {
        s->n_nan++;
        return;
    }
    if (v < s->min)
        s->min = v;
    if (v > s->max)
        s->max = v;
    if (isinf(v)) {
        s->n_inf++;
        return;
    }
    s->sum += v;
    s->n++;
}

double vsr_metrics_stats_mean(const vsr_metric_stats *s)
{
    if (s->n > 0)
        return s->sum / (double)s->n;
    if (s->n_inf > 0)
        return s->max; /* all infinite: +inf (or -inf), never a made-up number */
    return NAN;
}

long vsr_metrics_stats_count(const vsr_metric_stats *s)
{
    return s->n + s->n_inf + s->n_nan;
}

const char *vsr_metrics_format(double v, int decimals, char *buf, size_t cap)
{
    if (isnan(v))
        snprintf(buf, cap, "nan");
    else if (isinf(v))
        snprintf(buf, cap, v > 0 ? "inf" : "-inf");
    else
        snprintf(buf, cap, "%.*f", decimals, v);
    return buf;
}
