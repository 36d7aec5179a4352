#include <stdarg.h>
#include <stdio.h>

#include "vsr/core.h"

/* The one process-wide mutable: how much to say on stderr. */
static enum vsr_log_level log_level = VSR_LOG_WARNING;

void vsr_log_set_level(enum vsr_log_level level)
{
    log_level = level;
}

enum vsr_log_level vsr_log_get_level(void)
{
    return log_level;
}

void vsr_log(enum vsr_log_level level, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    if (level > log_level)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    /* One fputs per line so concurrent threads do not interleave mid-line. */
    char out[1100];
    snprintf(out, sizeof(out), "vsrbench: %s: %s\n", names[level], line);
    fputs(out, stderr);
}
