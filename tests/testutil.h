/* Helpers shared by the cmocka tests. */
#ifndef VSR_TESTUTIL_H
#define VSR_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/*
 * The hostile input @p buf (n bytes), crafted by a test, is also committed
 * as tests/fuzz/regress/@p rel (the fuzz targets replay those folders).
 * Asserts the committed file holds exactly these bytes, so corpus and test
 * cannot drift; with VSR_REGRESS_WRITE=1 in the environment it (re)writes
 * the file instead. The path goes to @p path (cap bytes).
 */
static inline void vsr_test_regress(const char *rel, const void *buf, size_t n, char *path,
                                    size_t cap)
{
    const char *src = getenv("VSR_SOURCE_DIR");
    assert_non_null(src);
    snprintf(path, cap, "%s/tests/fuzz/regress/%s", src, rel);
    const char *wr = getenv("VSR_REGRESS_WRITE");
    FILE *f = fopen(path, wr && *wr == '1' ? "wb" : "rb");
    if (!f)
        print_message("cannot open %s (set VSR_REGRESS_WRITE=1 to create it)\n", path);
    assert_non_null(f);
    if (wr && *wr == '1') {
        assert_int_equal(fwrite(buf, 1, n, f), n);
    } else {
        unsigned char *got = malloc(n + 1);
        assert_non_null(got);
        size_t k = fread(got, 1, n + 1, f);
        if (k != n || memcmp(got, buf, n) != 0)
            print_message("%s differs from the test's bytes; rewrite it with "
                          "VSR_REGRESS_WRITE=1\n",
                          path);
        assert_int_equal(k, n);
        assert_memory_equal(got, buf, n);
        free(got);
    }
    assert_int_equal(fclose(f), 0);
}

/* Assert @p msg is one line (no newline) and contains @p needle. */
#define VSR_ASSERT_ONE_LINE(msg, needle)                                                       \
    do {                                                                                       \
        if (!strstr((msg), (needle)))                                                          \
            print_message("message: %s\n", (msg));                                             \
        assert_null(strchr((msg), '\n'));                                                      \
        assert_non_null(strstr((msg), (needle)));                                              \
    } while (0)

#endif
