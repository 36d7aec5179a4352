/* Reusable scratch buffers of a metric instance (metrics_internal.h). */
#include <stdlib.h>

#include "metrics_internal.h"

void *vsr_metrics_scratch_get(vsr_metrics_scratch *s, int slot, size_t bytes)
{
    if (bytes == 0)
        bytes = 1;
    if (s->size[slot] >= bytes)
        return s->buf[slot];
    /* grow without copying: callers never read old contents */
    free(s->buf[slot]);
    s->buf[slot] = malloc(bytes);
    s->allocs++;
    s->size[slot] = s->buf[slot] ? bytes : 0;
    return s->buf[slot];
}

void vsr_metrics_scratch_free(vsr_metrics_scratch *s)
{
    if (!s)
        return;
    for (int i = 0; i < VSR_METRICS_SCRATCH_SLOTS; i++)
        free(s->buf[i]);
    *s = (vsr_metrics_scratch){0};
}
