/* Helpers shared by the cmocka tests. */
#ifndef VSR_TESTUTIL_H
#define VSR_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cmocka.h>

/*
 * Path of a file under ../shared (VSR_SHARED_DIR), written to @p buf.
 * Returns NULL when the shared folder is absent: the caller then skip()s
 * with a message, never passes silently.
 */
static inline const char *vsr_test_shared(char *buf, size_t cap, const char *rel)
{
    const char *dir = getenv("VSR_SHARED_DIR");
    struct stat st;
    if (!dir || stat(dir, &st) != 0)
        return NULL;
    snprintf(buf, cap, "%s/%s", dir, rel);
    return buf;
}

#define VSR_SKIP_WITHOUT_SHARED(buf, rel)                                                      \
    do {                                                                                       \
        if (!vsr_test_shared(buf, sizeof(buf), rel)) {                                         \
            print_message("skipped: ../shared is absent (VSR_SHARED_DIR), needs %s\n", rel);   \
            skip();                                                                            \
        }                                                                                      \
    } while (0)

/* A fresh temporary directory for one test; the caller removes it. */
static inline const char *vsr_test_tmpdir(char *buf, size_t cap)
{
    const char *base = getenv("TMPDIR");
    snprintf(buf, cap, "%s/vsrtest.XXXXXX", base ? base : "/tmp");
    return mkdtemp(buf);
}

/* rm -rf @p dir (a folder made by vsr_test_tmpdir); a failure only prints. */
static inline void vsr_test_rmtree(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        print_message("could not remove %s\n", dir);
}

/* The whole file @p path, NUL-terminated (malloc'd, the caller frees);
 * NULL when it cannot be read. */
static inline char *vsr_test_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    if (s)
        s[n] = '\0';
    fclose(f);
    return s;
}

#endif
