/*
 * Output safety: whether two paths name the same file or folder (or one lies
 * inside the other), and files that appear complete or not at all (a
 * temporary name next to the target, renamed into place once every write,
 * flush, fsync and close succeeded).
 */
#define _XOPEN_SOURCE 700 /* realpath() */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vsr/core.h"

/* Append component @p c (length @p n) to the absolute path @p buf, folding "." and "..". */
static int append_component(char *buf, size_t cap, const char *c, size_t n)
{
    if (n == 0 || (n == 1 && c[0] == '.'))
        return 0;
    if (n == 2 && c[0] == '.' && c[1] == '.') {
        char *slash = strrchr(buf, '/');
        if (slash == buf)
            buf[1] = '\0';
        else if (slash)
            *slash = '\0';
        return 0;
    }
    size_t len = strlen(buf);
    int root = len == 1 && buf[0] == '/';
    if (len + (root ? 0 : 1) + n + 1 > cap)
        return -ENAMETOOLONG;
    if (!root)
        buf[len++] = '/';
    memcpy(buf + len, c, n);
    buf[len + n] = '\0';
    return 0;
}

/*
 * Absolute, symlink-free form of @p path, which need not exist: the longest
 * existing prefix goes through realpath(), the rest is appended lexically.
 */
static int canonical(const char *path, char *out, size_t cap)
{
    char work[PATH_MAX];
    if (!path[0])
        return -EINVAL;
    if (path[0] == '/') {
        if (strlen(path) >= sizeof(work))
            return -ENAMETOOLONG;
        strcpy(work, path);
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof(cwd)))
            return -errno;
        if ((size_t)snprintf(work, sizeof(work), "%s/%s", cwd, path) >= sizeof(work))
            return -ENAMETOOLONG;
    }
    /* The longest prefix (ending at a '/' or the end) that realpath() resolves. */
    size_t end = strlen(work);
    char resolved[PATH_MAX];
    for (;;) {
        char save = work[end];
        work[end] = '\0';
        char *r = realpath(end ? work : "/", resolved);
        work[end] = save;
        if (r)
            break;
        if (errno != ENOENT && errno != ENOTDIR)
            return -errno;
        while (end > 0 && work[end - 1] != '/')
            end--;
        while (end > 0 && work[end - 1] == '/')
            end--;
    }
    if (strlen(resolved) >= cap)
        return -ENAMETOOLONG;
    strcpy(out, resolved);
    for (const char *p = work + end; *p;) {
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        int rc = append_component(out, cap, p, n);
        if (rc)
            return rc;
        p += n;
    }
    return 0;
}

/* 1 when @p inner is @p outer or lies below it (both canonical). */
static int is_within(const char *inner, const char *outer)
{
    size_t n = strlen(outer);
    if (strncmp(inner, outer, n) != 0)
        return 0;
    return inner[n] == '\0' || inner[n] == '/' || (n == 1 && outer[0] == '/');
}

int vsr_path_aliases(const char *a, const char *b, vsr_error *err)
{
    struct stat sa, sb;
    if (stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
        sa.st_ino == sb.st_ino)
        return 1; /* one file under two names: hard link, symlink, bind mount */
    char ca[PATH_MAX], cb[PATH_MAX];
    int rc = canonical(a, ca, sizeof(ca));
    if (rc)
        return vsr_error_set(err, rc, "%s: cannot resolve the path: %s", a, strerror(-rc));
    if ((rc = canonical(b, cb, sizeof(cb))))
        return vsr_error_set(err, rc, "%s: cannot resolve the path: %s", b, strerror(-rc));
    return is_within(ca, cb) || is_within(cb, ca);
}

int vsr_path_check_output(const char *out, const char *in, const char *what, vsr_error *err)
{
    int rc = vsr_path_aliases(out, in, err);
    if (rc < 0)
        return rc;
    if (rc)
        return vsr_error_set(err, -EINVAL,
                             "%s: is, contains or lies inside %s %s; writing there would "
                             "destroy it, so choose another output path",
                             out, what, in);
    return 0;
}

/* ---- files that appear complete or not at all ------------------------- */

int vsr_atomic_temp(const char *path, char *tmp, size_t cap, vsr_error *err)
{
    if ((size_t)snprintf(tmp, cap, "%s.tmp-XXXXXX", path) >= cap)
        return vsr_error_set(err, -ENAMETOOLONG, "%s: path too long", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        tmp[0] = '\0';
        return vsr_error_set(err, -e, "%s: cannot create a file next to it: %s", path,
                             strerror(e));
    }
    /* mkstemp makes 0600; give the file the mode fopen() would have */
    mode_t um = umask(022);
    umask(um);
    if (fchmod(fd, 0666 & ~um) != 0) {
        int e = errno;
        close(fd);
        vsr_error_set(err, -e, "%s: cannot set the mode of %s: %s", path, tmp, strerror(e));
        unlink(tmp);
        tmp[0] = '\0';
        return -e;
    }
    return fd;
}

int vsr_atomic_rename(const char *tmp, const char *path, vsr_error *err)
{
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return vsr_error_set(err, -e, "%s: cannot rename %s into place: %s", path, tmp,
                             strerror(e));
    }
    return 0;
}

int vsr_atomic_open(vsr_atomic_file *a, const char *path, vsr_error *err)
{
    memset(a, 0, sizeof(*a));
    if ((size_t)snprintf(a->path, sizeof(a->path), "%s", path) >= sizeof(a->path))
        return vsr_error_set(err, -ENAMETOOLONG, "%s: path too long", path);
    int fd = vsr_atomic_temp(path, a->tmp, sizeof(a->tmp), err);
    if (fd < 0)
        return fd;
    if (!(a->f = fdopen(fd, "w"))) {
        int e = errno;
        close(fd);
        unlink(a->tmp);
        a->tmp[0] = '\0';
        return vsr_error_set(err, -e, "%s: cannot write: %s", path, strerror(e));
    }
    return 0;
}

int vsr_atomic_commit(vsr_atomic_file *a, vsr_error *err)
{
    if (!a->f)
        return vsr_error_set(err, -EINVAL, "%s: not open for writing", a->path);
    int e = 0;
    errno = 0;
    if (fflush(a->f) != 0 || ferror(a->f))
        e = errno ? errno : EIO;
    else if (fsync(fileno(a->f)) != 0 && errno != EINVAL && errno != EROFS)
        e = errno; /* EINVAL/EROFS: a file system without fsync (a pipe-like target) */
    if (fclose(a->f) != 0 && !e)
        e = errno ? errno : EIO;
    a->f = NULL;
    if (e) {
        unlink(a->tmp);
        a->tmp[0] = '\0';
        return vsr_error_set(err, -e, "%s: write failed: %s%s", a->path, strerror(e),
                             e == ENOSPC || e == EFBIG || e == EDQUOT
                                 ? "; free some space, the file was left as it was"
                                 : "");
    }
    int rc = vsr_atomic_rename(a->tmp, a->path, err);
    a->tmp[0] = '\0';
    return rc;
}

int vsr_atomic_write(const char *path, const void *data, size_t len, vsr_error *err)
{
    vsr_atomic_file af;
    int rc = vsr_atomic_open(&af, path, err);
    if (rc)
        return rc;
    errno = 0;
    if (len && fwrite(data, 1, len, af.f) != len) {
        int e = errno ? errno : EIO;
        vsr_atomic_abort(&af);
        return vsr_error_set(err, -e, "%s: write failed: %s%s", path, strerror(e),
                             e == ENOSPC || e == EFBIG || e == EDQUOT
                                 ? "; free some space, the file was left as it was"
                                 : "");
    }
    return vsr_atomic_commit(&af, err);
}

void vsr_atomic_abort(vsr_atomic_file *a)
{
    if (a->f)
        fclose(a->f);
    a->f = NULL;
    if (a->tmp[0])
        unlink(a->tmp);
    a->tmp[0] = '\0';
}
