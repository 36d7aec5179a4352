#include <dirent.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "vsr/core.h"

static void test_parse_long(void **state)
{
    (void)state;
    vsr_error err = {0};
    long v = 0;
    assert_int_equal(vsr_parse_long("42", 0, 100, &v, "--n", &err), 0);
    assert_int_equal(v, 42);
    assert_int_equal(vsr_parse_long("-7", -10, 10, &v, "--n", &err), 0);
    assert_int_equal(v, -7);
    assert_int_equal(vsr_parse_long("4x", 0, 100, &v, "--n", &err), -EINVAL);
    assert_non_null(strstr(err.msg, "'4x' is not an integer"));
    assert_int_equal(vsr_parse_long("", 0, 100, &v, "--n", &err), -EINVAL);
    assert_int_equal(vsr_parse_long("101", 0, 100, &v, "--n", &err), -EINVAL);
    assert_non_null(strstr(err.msg, "out of range"));
    assert_int_equal(vsr_parse_long("99999999999999999999", 0, 100, &v, "--n", &err), -EINVAL);
}

static void test_parse_list(void **state)
{
    (void)state;
    vsr_error err = {0};
    long v[4];
    int n = 0;
    assert_int_equal(vsr_parse_long_list("0,64,128", 0, 4096, v, 4, &n, "--tiles", &err), 0);
    assert_int_equal(n, 3);
    assert_int_equal(v[2], 128);
    assert_int_equal(vsr_parse_long_list("1,,2", 0, 9, v, 4, &n, "--t", &err), -EINVAL);
    assert_int_equal(vsr_parse_long_list("1,2,3,4,5", 0, 9, v, 4, &n, "--t", &err), -EINVAL);
    double d = 0;
    assert_int_equal(vsr_parse_double("0.25", 0, 1, &d, "x", &err), 0);
    assert_true(d == 0.25);
    assert_int_equal(vsr_parse_double("nan", 0, 1, &d, "x", &err), -EINVAL);
}

static void test_error_wrap(void **state)
{
    (void)state;
    vsr_error err = {0};
    assert_int_equal(vsr_error_set(&err, -ENOENT, "%s: no such file", "a.png"), -ENOENT);
    assert_int_equal(vsr_error_wrap(&err, -EIO, "clip %s", "walk"), -ENOENT);
    assert_string_equal(err.msg, "clip walk: a.png: no such file");
    assert_int_equal(vsr_error_set(NULL, -EIO, "dropped"), -EIO);
}

static void test_frame_view(void **state)
{
    (void)state;
    vsr_frame f, v, c;
    vsr_error err = {0};
    assert_int_equal(vsr_frame_alloc(&f, 5, 4, 3, &err), 0);
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 15; x++)
            vsr_frame_row(&f, y)[x] = (uint8_t)(y * 15 + x);
    assert_int_equal(vsr_frame_view(&v, &f, 1, 2, 3, 2, &err), 0);
    assert_int_equal(vsr_frame_row(&v, 1)[0], 3 * 15 + 3);
    assert_int_equal(vsr_frame_view(&v, &f, 3, 0, 3, 1, &err), -EINVAL);
    assert_int_equal(vsr_frame_view(&v, &f, 1, 2, 3, 2, &err), 0);
    assert_int_equal(vsr_frame_copy(&c, &v, &err), 0);
    assert_int_equal(c.stride, 9);
    assert_int_equal(vsr_frame_row(&c, 1)[8], 3 * 15 + 11);
    assert_int_equal(vsr_frame_alloc(&v, 0, 4, 3, &err), -EINVAL);
    vsr_frame_free(&c);
    vsr_frame_free(&f);
}

/* Checked sizes: 25376 * 347 * 1607 * 325905143 = 2^62 + 3168 (its prime
 * factors 2^5 * 13 * 61 * 347 * 1607 * 325905143, by sympy.factorint), and
 * times 4 bytes that is 2^64 + 12672: an overflow, not 12672. */
static void test_size_checked(void **state)
{
    (void)state;
    size_t r = 7;
    const int64_t wrap[4] = {25376, 347, 1607, 325905143};
    assert_int_equal(vsr_size_mul_n(wrap, 4, &r), 0);
    assert_true(r == ((size_t)1 << 62) + 3168);
    assert_int_equal(vsr_size_mul(r, 4, &r), -EOVERFLOW);
    assert_true(r == ((size_t)1 << 62) + 3168); /* unchanged on error */
    assert_int_equal(vsr_size_mul(r, 3, &r), 0);
    const int64_t big[3] = {INT64_C(1) << 31, INT64_C(1) << 31, INT64_C(1) << 31};
    assert_int_equal(vsr_size_mul_n(big, 3, &r), -EOVERFLOW);
    const int64_t zero[4] = {INT64_C(1) << 40, INT64_C(1) << 40, 0, 5};
    assert_int_equal(vsr_size_mul_n(zero, 4, &r), 0);
    assert_true(r == 0);
    const int64_t neg[2] = {3, -1};
    assert_int_equal(vsr_size_mul_n(neg, 2, &r), -EINVAL);
    assert_int_equal(vsr_size_mul_n(NULL, 0, &r), 0);
    assert_true(r == 1);
    assert_int_equal(vsr_size_add(SIZE_MAX - 1, 1, &r), 0);
    assert_true(r == SIZE_MAX);
    assert_int_equal(vsr_size_add(SIZE_MAX, 1, &r), -EOVERFLOW);
}

/* Write @p text to @p path with stdio (test setup). */
static void put_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* Every case of issue 21: the same file under other names, folders that
 * contain each other, and outputs that do not exist yet. */
static void test_path_aliases(void **state)
{
    (void)state;
    char d[256], p[8][400];
    vsr_error err = {0};
    assert_non_null(vsr_test_tmpdir(d, sizeof(d)));
    const char *names[] = {"in.mp4",         "hard.mp4",  "sym.mp4", "frames",
                           "frames/sub/new", "other.mp4", "linkdir", "frames2"};
    for (int i = 0; i < 8; i++)
        snprintf(p[i], sizeof(p[i]), "%s/%s", d, names[i]);
    put_file(p[0], "video");
    assert_int_equal(link(p[0], p[1]), 0);
    assert_int_equal(symlink(p[0], p[2]), 0);
    assert_int_equal(mkdir(p[3], 0755), 0);
    assert_int_equal(symlink(p[3], p[6]), 0);
    assert_int_equal(mkdir(p[7], 0755), 0);
    /* the same file: itself, a hard link, a symlink, a spelling with ".." */
    assert_int_equal(vsr_path_aliases(p[0], p[0], &err), 1);
    assert_int_equal(vsr_path_aliases(p[1], p[0], &err), 1);
    assert_int_equal(vsr_path_aliases(p[2], p[0], &err), 1);
    char dotted[600];
    snprintf(dotted, sizeof(dotted), "%s/frames/../in.mp4", d);
    assert_int_equal(vsr_path_aliases(dotted, p[0], &err), 1);
    /* a folder and what lies inside it, either way round, existing or not */
    assert_int_equal(vsr_path_aliases(p[4], p[3], &err), 1);
    assert_int_equal(vsr_path_aliases(p[3], p[4], &err), 1);
    snprintf(dotted, sizeof(dotted), "%s/linkdir/x/y.png", d); /* through a symlinked folder */
    assert_int_equal(vsr_path_aliases(dotted, p[3], &err), 1);
    assert_int_equal(vsr_path_aliases(d, p[0], &err), 1);
    /* a trailing slash names the same folder */
    snprintf(dotted, sizeof(dotted), "%s/frames/", d);
    assert_int_equal(vsr_path_aliases(dotted, p[3], &err), 1);
    /* neighbours do not alias: a new file beside, "frames2" is not inside "frames" */
    assert_int_equal(vsr_path_aliases(p[5], p[0], &err), 0);
    assert_int_equal(vsr_path_aliases(p[7], p[3], &err), 0);
    assert_int_equal(vsr_path_aliases(p[0], p[3], &err), 0);
    /* a relative spelling of the same file */
    char cwd[512];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(d), 0);
    assert_int_equal(vsr_path_aliases("./in.mp4", p[0], &err), 1);
    assert_int_equal(vsr_path_aliases("frames/new/../x", p[3], &err), 1);
    assert_int_equal(vsr_path_aliases("new.mkv", "in.mp4", &err), 0);
    assert_int_equal(chdir(cwd), 0);
    /* the one-line refusal */
    assert_int_equal(vsr_path_check_output(p[1], p[0], "the input", &err), -EINVAL);
    assert_non_null(strstr(err.msg, "hard.mp4: is, contains or lies inside the input"));
    assert_null(strchr(err.msg, '\n'));
    assert_int_equal(vsr_path_check_output(p[5], p[0], "the input", &err), 0);
    vsr_test_rmtree(d);
}

/* Names in folder @p d other than @p keep (NULL: all), at most one line each. */
static int count_entries(const char *d, const char *keep)
{
    DIR *dir = opendir(d);
    assert_non_null(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dir)))
        if (e->d_name[0] != '.' && (!keep || strcmp(e->d_name, keep)))
            n++;
    closedir(dir);
    return n;
}

/* A full disk simulated portably: RLIMIT_FSIZE in a child makes write()
 * fail with EFBIG (SIGXFSZ ignored). The write of 64 KiB must fail, leave
 * no temporary file and keep the previous file byte for byte; a small file
 * under the same limit commits. */
static void test_atomic_full_disk(void **state)
{
    (void)state;
    char d[256], path[400], small[400];
    assert_non_null(vsr_test_tmpdir(d, sizeof(d)));
    snprintf(path, sizeof(path), "%s/report.md", d);
    snprintf(small, sizeof(small), "%s/small.csv", d);
    put_file(path, "previous report\n");
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {4096, 4096};
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
            _exit(90);
        vsr_error err = {0};
        vsr_atomic_file a;
        if (vsr_atomic_open(&a, path, &err))
            _exit(91);
        for (int i = 0; i < 1024; i++)
            fputs("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n", a.f);
        int rc = vsr_atomic_commit(&a, &err);
        if (rc != -EFBIG || !strstr(err.msg, "report.md: write failed: File too large"))
            _exit(92);
        if (vsr_atomic_open(&a, small, &err))
            _exit(93);
        fputs("a,b\r\n1,2\r\n", a.f);
        _exit(vsr_atomic_commit(&a, &err) ? 94 : 0);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    char *prev = vsr_test_slurp(path), *s = vsr_test_slurp(small);
    assert_string_equal(prev, "previous report\n");
    assert_string_equal(s, "a,b\r\n1,2\r\n");
    free(prev);
    free(s);
    assert_int_equal(count_entries(d, NULL), 2); /* no report.md.tmp-XXXXXX left */
    /* abort leaves nothing; a commit replaces; the new file has fopen()'s mode */
    vsr_error err = {0};
    vsr_atomic_file a;
    assert_int_equal(vsr_atomic_open(&a, path, &err), 0);
    fputs("half", a.f);
    vsr_atomic_abort(&a);
    assert_int_equal(count_entries(d, NULL), 2);
    assert_int_equal(vsr_atomic_open(&a, path, &err), 0);
    fputs("new\n", a.f);
    assert_int_equal(vsr_atomic_commit(&a, &err), 0);
    prev = vsr_test_slurp(path);
    assert_string_equal(prev, "new\n");
    free(prev);
    struct stat sa, sb;
    assert_int_equal(stat(path, &sa), 0);
    assert_int_equal(stat(small, &sb), 0);
    mode_t um = umask(022);
    umask(um);
    assert_int_equal(sa.st_mode & 0777, 0666 & ~um);
    /* a folder that does not exist: one line, nothing created */
    snprintf(path, sizeof(path), "%s/no/such.md", d);
    assert_int_equal(vsr_atomic_open(&a, path, &err), -ENOENT);
    assert_non_null(strstr(err.msg, "no/such.md: cannot create a file next to it"));
    vsr_test_rmtree(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size_checked),     cmocka_unit_test(test_parse_long),
        cmocka_unit_test(test_parse_list),       cmocka_unit_test(test_error_wrap),
        cmocka_unit_test(test_frame_view),       cmocka_unit_test(test_path_aliases),
        cmocka_unit_test(test_atomic_full_disk),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
