#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vsr/core.h"

int vsr_error_set(vsr_error *err, int code, const char *fmt, ...)
{
    if (!err)
        return code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    err->code = code;
    return code;
}

int vsr_error_wrap(vsr_error *err, int code, const char *fmt, ...)
{
    if (!err)
        return code;
    char prefix[256];
    char old[sizeof(err->msg)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof(old));
    old[sizeof(old) - 1] = '\0';
    /* Truncation is acceptable: the message stays one bounded line. */
    size_t n = strlen(prefix);
    if (n > sizeof(err->msg) - 3)
        n = sizeof(err->msg) - 3;
    memcpy(err->msg, prefix, n);
    memcpy(err->msg + n, ": ", 2);
    size_t rest = sizeof(err->msg) - n - 3;
    size_t m = strlen(old);
    if (m > rest)
        m = rest;
    memcpy(err->msg + n + 2, old, m);
    err->msg[n + 2 + m] = '\0';
    if (err->code == 0)
        err->code = code;
    return err->code;
}

void vsr_error_clear(vsr_error *err)
{
    if (err) {
        err->code = 0;
        err->msg[0] = '\0';
    }
}
