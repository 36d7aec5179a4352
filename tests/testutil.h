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

#endif
