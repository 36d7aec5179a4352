/* Whole files and folders: the readers and mkdir -p every part uses. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vsr/core.h"

int vsr_read_file(const char *path, size_t max, size_t pad, uint8_t **out, size_t *len,
                  vsr_error *err)
{
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno ? errno : EIO;
        return vsr_error_set(err, -e, "%s: cannot open: %s", path, strerror(e));
    }
    int ret = 0;
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0, want = 65536;
    struct stat st;
    if (fstat(fileno(f), &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            ret = vsr_error_set(err, -EISDIR, "%s: is a folder, not a file", path);
            goto end;
        }
        /* a regular file's size is a hint (it may change while it is read) */
        if (S_ISREG(st.st_mode) && st.st_size >= 0 && (uint64_t)st.st_size < max)
            want = (size_t)st.st_size + 1; /* + 1: meet the end without growing */
    }
    for (;;) {
        /* room for one more byte beyond the padding */
        size_t need;
        if (vsr_size_add(n, pad, &need) || vsr_size_add(need, 1, &need)) {
            ret = vsr_error_set(err, -EFBIG, "%s: too large to read", path);
            goto end;
        }
        if (need > cap) {
            size_t ncap = cap ? cap : want;
            while (ncap < need && ncap <= SIZE_MAX / 2)
                ncap *= 2;
            if (ncap < need)
                ncap = need;
            uint8_t *nb = realloc(buf, ncap);
            if (!nb) {
                ret = vsr_error_set(err, -ENOMEM, "%s: out of memory", path);
                goto end;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n - pad, f);
        n += got;
        if (n > max) {
            ret = vsr_error_set(err, -EFBIG, "%s: larger than %zu bytes", path, max);
            goto end;
        }
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        ret = vsr_error_set(err, -EIO, "%s: read error", path);
        goto end;
    }
    if (!buf && !(buf = malloc(pad ? pad : 1))) {
        ret = vsr_error_set(err, -ENOMEM, "%s: out of memory", path);
        goto end;
    }
    memset(buf + n, 0, pad);
    *out = buf;
    *len = n;
    buf = NULL;
end:
    free(buf);
    fclose(f);
    return ret;
}

int vsr_read_text_file(const char *path, const char *what, char **out, size_t *len,
                       vsr_error *err)
{
    uint8_t *buf = NULL;
    size_t n = 0;
    *out = NULL;
    *len = 0;
    int ret = vsr_read_file(path, VSR_TEXT_FILE_MAX, 1, &buf, &n, err);
    if (ret == -EFBIG)
        return vsr_error_set(err, -EINVAL, "%s: larger than 64 MiB, not %s", path, what);
    if (ret && ret != -ENOENT && ret != -ENOMEM) {
        ret = -EIO; /* cannot be opened or read: the message says why */
        if (err)
            err->code = ret;
    }
    if (ret)
        return ret;
    const char *nul = memchr(buf, '\0', n);
    if (nul) {
        int line = 1;
        for (const uint8_t *p = buf; p < (const uint8_t *)nul; p++)
            line += *p == '\n';
        free(buf);
        return vsr_error_set(err, -EINVAL, "%s:%d: contains a NUL byte, not %s", path, line,
                             what);
    }
    *out = (char *)buf;
    *len = n;
    return 0;
}

int vsr_mkdir_p(const char *path, vsr_error *err)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0)
        return vsr_error_set(err, -EINVAL, "empty folder name; name the folder to create");
    if (n >= sizeof(buf))
        return vsr_error_set(err, -ENAMETOOLONG, "%.64s...: path too long", path);
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if ((buf[i] != '/' && buf[i] != '\0') || buf[i - 1] == '/')
            continue;
        char c = buf[i];
        buf[i] = '\0';
        struct stat st;
        if (stat(buf, &st) != 0) {
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
                int e = errno;
                return vsr_error_set(err, -e, "%s: cannot create folder: %s", buf, strerror(e));
            }
            if (stat(buf, &st) != 0) { /* made and gone again, or a dangling link */
                int e = errno;
                return vsr_error_set(err, -e, "%s: cannot create folder: %s", buf, strerror(e));
            }
        }
        if (!S_ISDIR(st.st_mode))
            return vsr_error_set(err, -ENOTDIR, "%s: exists and is not a folder", buf);
        buf[i] = c;
    }
    return 0;
}
