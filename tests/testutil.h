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
 * Skips that ctest can see. A case that cannot run calls VSR_SKIP("reason"):
 * it prints "skipped: reason", counts the skip and skip()s. VSR_RUN_TESTS()
 * replaces cmocka_run_group_tests(): it returns the number of failures, or
 * VSR_SKIP_CODE (77, the SKIP_RETURN_CODE vsr_add_test sets) when nothing
 * failed but a case was skipped, so ctest reports "Skipped", never "Passed".
 *
 * Cases that need something a machine may lack (../shared, a package, a CPU
 * feature, non-root) are registered as ctest tests of their own
 * (vsr_add_test(... APART case ...)): ctest runs the binary once with
 * VSR_TEST_EXCEPT=<those cases> and once per case with VSR_TEST_ONLY=<case>,
 * so a skip marks that one case, and the cases that ran still count as passed.
 * A name in either variable that the binary does not have is an error.
 */
#define VSR_SKIP_CODE 77

static int vsr_test_skips;

#define VSR_SKIP(...)                                                                          \
    do {                                                                                       \
        print_message("skipped: " __VA_ARGS__);                                                \
        print_message("\n");                                                                   \
        vsr_test_skips++;                                                                      \
        skip();                                                                                \
    } while (0)

/* 1 when @p name is in the comma-separated list @p list. */
static inline int vsr_test_in_list(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && !strncmp(p, name, n))
            return 1;
        p += len + (e != NULL);
    }
    return 0;
}

/* Every name of @p list is a case of @p tests; else prints it and returns 0. */
static inline int vsr_test_list_known(const char *var, const char *list,
                                      const struct CMUnitTest *tests, size_t n)
{
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        int found = 0;
        for (size_t i = 0; i < n && !found; i++)
            found = strlen(tests[i].name) == len && !strncmp(tests[i].name, p, len);
        if (!found) {
            fprintf(stderr, "%s names '%.*s', which is not a case of this test\n", var,
                    (int)len, p);
            return 0;
        }
        p += len + (e != NULL);
    }
    return 1;
}

static inline int vsr_test_run(const char *group, const struct CMUnitTest *tests, size_t n,
                               CMFixtureFunction setup, CMFixtureFunction teardown)
{
    const char *only = getenv("VSR_TEST_ONLY"), *except = getenv("VSR_TEST_EXCEPT");
    if ((only && !vsr_test_list_known("VSR_TEST_ONLY", only, tests, n)) ||
        (except && !vsr_test_list_known("VSR_TEST_EXCEPT", except, tests, n)))
        return 1;
    struct CMUnitTest *sel = malloc(sizeof(*sel) * (n ? n : 1));
    if (!sel)
        return 1;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (only && !vsr_test_in_list(only, tests[i].name))
            continue;
        if (except && vsr_test_in_list(except, tests[i].name))
            continue;
        sel[m++] = tests[i];
    }
    int rc = _cmocka_run_group_tests(group, sel, m, setup, teardown);
    free(sel);
    if (rc == 0 && vsr_test_skips > 0) {
        fprintf(stderr, "%d case(s) skipped (reasons above): reported to ctest as skipped\n",
                vsr_test_skips);
        return VSR_SKIP_CODE;
    }
    return rc;
}

#define VSR_RUN_TESTS(tests, setup, teardown)                                                  \
    vsr_test_run(#tests, tests, sizeof(tests) / sizeof((tests)[0]), setup, teardown)

/*
 * Path of a file under ../shared (VSR_SHARED_DIR), written to @p buf.
 * Returns NULL when the shared folder is absent: the caller then skips
 * with a message (VSR_SKIP_WITHOUT_SHARED), never passes silently.
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
        if (!vsr_test_shared(buf, sizeof(buf), rel))                                           \
            VSR_SKIP("../shared is absent (VSR_SHARED_DIR), needs %s", rel);                   \
    } while (0)

/*
 * Path of a reference file that travels with the repository
 * (tests/reference/, see its README), written to @p buf. These never skip:
 * a missing one fails the test.
 */
static inline const char *vsr_test_ref(char *buf, size_t cap, const char *rel)
{
    const char *src = getenv("VSR_SOURCE_DIR");
    if (!src)
        fail_msg("VSR_SOURCE_DIR is not set (ctest sets it)");
    snprintf(buf, cap, "%s/tests/reference/%s", src, rel);
    struct stat st;
    if (stat(buf, &st) != 0)
        fail_msg("reference file %s is missing from the checkout", buf);
    return buf;
}

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

/* A test's state of @p size bytes whose first member is `char tmp[256]`, a
 * fresh temporary folder (calloc()ed, NULL on failure); vsr_test_tmp_free()
 * is its teardown. */
static inline void *vsr_test_tmp_new(size_t size)
{
    char *st = size >= 256 ? calloc(1, size) : NULL;
    if (st && !vsr_test_tmpdir(st, 256)) {
        free(st);
        st = NULL;
    }
    return st;
}

/* Teardown of a vsr_test_tmp_new() state: its folder removed, it freed. */
static inline int vsr_test_tmp_free(void **state)
{
    vsr_test_rmtree((const char *)*state);
    free(*state);
    return 0;
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
