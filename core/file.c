#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsr/core.h"

int vsr_read_text_file(const char *path, const char *what, char **out, size_t *len,
                       vsr_error *err)
{
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return vsr_error_set(err, errno == ENOENT ? -ENOENT : -EIO, "%s: cannot open: %s", path,
                             strerror(errno));
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int ret = 0;
    for (;;) {
        if (n + 4096 > cap) {
            if (cap > VSR_TEXT_FILE_MAX) {
                ret = vsr_error_set(err, -EINVAL, "%s: larger than 64 MiB, not %s", path, what);
                goto end;
            }
            cap = cap ? 2 * cap : 16384;
            char *nb = realloc(buf, cap);
            if (!nb) {
                ret = vsr_error_set(err, -ENOMEM, "%s: out of memory", path);
                goto end;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        ret = vsr_error_set(err, -EIO, "%s: read error", path);
        goto end;
    }
    buf[n] = '\0';
    const char *nul = memchr(buf, '\0', n);
    if (nul) {
        int line = 1;
        for (const char *p = buf; p < nul; p++)
            line += *p == '\n';
        ret =
            vsr_error_set(err, -EINVAL, "%s:%d: contains a NUL byte, not %s", path, line, what);
        goto end;
    }
    *out = buf;
    *len = n;
    buf = NULL;
end:
    free(buf);
    fclose(f);
    return ret;
}
