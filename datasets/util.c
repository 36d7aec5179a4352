/* Small file-system helpers of the datasets part. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/mem.h>
#include <libavutil/sha.h>

#include "datasets_internal.h"

int vsr_path_join(char *buf, size_t cap, const char *a, const char *b, vsr_error *err)
{
    size_t la = strlen(a);
    const char *sep = (la > 0 && a[la - 1] == '/') ? "" : "/";
    if ((size_t)snprintf(buf, cap, "%s%s%s", a, sep, b) >= cap)
        return vsr_error_set(err, -ENAMETOOLONG, "%s/%s: path too long", a, b);
    return 0;
}

int vsr_is_dir(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return 0;
    return S_ISDIR(st.st_mode) ? 1 : -ENOTDIR;
}

void vsr_rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *de;
            while ((de = readdir(d))) {
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                    continue;
                char p[4096];
                if ((size_t)snprintf(p, sizeof(p), "%s/%s", path, de->d_name) < sizeof(p))
                    vsr_rm_rf(p);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

int vsr_sha256_file(const char *path, char hex[65], vsr_error *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        int e = errno;
        return vsr_error_set(err, -e, "%s: cannot open: %s", path, strerror(e));
    }
    struct AVSHA *sha = av_sha_alloc();
    if (!sha) {
        fclose(fp);
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", path);
    }
    av_sha_init(sha, 256);
    uint8_t buf[65536], dig[32];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
        av_sha_update(sha, buf, n);
    int bad = ferror(fp);
    fclose(fp);
    av_sha_final(sha, dig);
    av_free(sha);
    if (bad)
        return vsr_error_set(err, -EIO, "%s: read error", path);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", dig[i]);
    return 0;
}
