#include <dirent.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libfyaml.h>

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

/* mkdir -p: nested new folders, an existing one, repeated and trailing
 * slashes, and a file in the way (at the end and in the middle). */
static void test_mkdir_p(void **state)
{
    (void)state;
    char d[256], p[512];
    vsr_error err = {0};
    struct stat st;
    assert_non_null(vsr_test_tmpdir(d, sizeof(d)));
    snprintf(p, sizeof(p), "%s/a/b//c/", d);
    assert_int_equal(vsr_mkdir_p(p, &err), 0);
    snprintf(p, sizeof(p), "%s/a/b/c", d);
    assert_int_equal(stat(p, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(vsr_mkdir_p(p, &err), 0); /* exists: fine */
    assert_int_equal(vsr_mkdir_p(d, &err), 0);
    /* the mode is mkdir(1)'s: 0777 less the umask */
    mode_t um = umask(022);
    umask(um);
    assert_int_equal(st.st_mode & 0777, 0777 & ~um);
    /* a file where a folder should be */
    snprintf(p, sizeof(p), "%s/a/file", d);
    put_file(p, "x");
    assert_int_equal(vsr_mkdir_p(p, &err), -ENOTDIR);
    assert_non_null(strstr(err.msg, "a/file: exists and is not a folder"));
    snprintf(p, sizeof(p), "%s/a/file/below/deeper", d);
    assert_int_equal(vsr_mkdir_p(p, &err), -ENOTDIR);
    assert_non_null(strstr(err.msg, "a/file: exists and is not a folder"));
    assert_null(strchr(err.msg, '\n'));
    assert_int_equal(vsr_mkdir_p("", &err), -EINVAL);
    char longp[5000];
    memset(longp, 'x', sizeof(longp) - 1);
    longp[sizeof(longp) - 1] = '\0';
    assert_int_equal(vsr_mkdir_p(longp, &err), -ENAMETOOLONG);
    vsr_test_rmtree(d);
}

/* vsr_read_file: exact bytes (a file larger than the first buffer, with
 * NULs), zeroed padding, the size limit at the byte, an empty file, a
 * missing file, a folder, and a character device read to its end. */
static void test_read_file(void **state)
{
    (void)state;
    char d[256], p[512];
    vsr_error err = {0};
    assert_non_null(vsr_test_tmpdir(d, sizeof(d)));
    snprintf(p, sizeof(p), "%s/big.bin", d);
    enum { N = 200003 }; /* > 64 KiB and not a power of two */
    uint8_t *want = malloc(N);
    assert_non_null(want);
    for (size_t i = 0; i < N; i++)
        want[i] = (uint8_t)(i * 7 + (i >> 9)); /* NULs included */
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(want, 1, N, f), N);
    assert_int_equal(fclose(f), 0);
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal(vsr_read_file(p, SIZE_MAX, 64, &buf, &len, &err), 0);
    assert_int_equal(len, N);
    assert_memory_equal(buf, want, N);
    for (size_t i = 0; i < 64; i++)
        assert_int_equal(buf[N + i], 0);
    free(buf);
    /* the limit: exactly N bytes pass, N - 1 do not */
    assert_int_equal(vsr_read_file(p, N, 0, &buf, &len, &err), 0);
    free(buf);
    assert_int_equal(vsr_read_file(p, N - 1, 0, &buf, &len, &err), -EFBIG);
    assert_null(buf);
    assert_int_equal(len, 0);
    assert_non_null(strstr(err.msg, "big.bin: larger than 200002 bytes"));
    free(want);
    /* empty: a buffer of only the padding */
    snprintf(p, sizeof(p), "%s/empty", d);
    put_file(p, "");
    assert_int_equal(vsr_read_file(p, SIZE_MAX, 1, &buf, &len, &err), 0);
    assert_non_null(buf);
    assert_int_equal(len, 0);
    assert_int_equal(buf[0], 0);
    free(buf);
    snprintf(p, sizeof(p), "%s/missing", d);
    assert_int_equal(vsr_read_file(p, SIZE_MAX, 0, &buf, &len, &err), -ENOENT);
    assert_non_null(strstr(err.msg, "missing: cannot open"));
    assert_int_equal(vsr_read_file(d, SIZE_MAX, 0, &buf, &len, &err), -EISDIR);
    assert_non_null(strstr(err.msg, "is a folder, not a file"));
    assert_null(buf);
    assert_int_equal(vsr_read_file("/dev/null", SIZE_MAX, 0, &buf, &len, &err), 0);
    assert_int_equal(len, 0);
    free(buf);
    /* the text reader keeps its contract on top: -EIO for a folder */
    char *text = NULL;
    assert_int_equal(vsr_read_text_file(d, "a YAML config", &text, &len, &err), -EIO);
    assert_int_equal(err.code, -EIO);
    assert_null(text);
    vsr_test_rmtree(d);
}

/* The monotonic clock never goes back, and its three units read the same
 * clock (each reading lies between the nanosecond readings around it). */
static void test_clock(void **state)
{
    (void)state;
    uint64_t prev = vsr_clock_ns();
    for (int i = 0; i < 100000; i++) {
        uint64_t t = vsr_clock_ns();
        assert_true(t >= prev);
        prev = t;
    }
    for (int i = 0; i < 100; i++) {
        uint64_t a = vsr_clock_ns();
        double ms = vsr_clock_ms();
        uint64_t b = vsr_clock_ns();
        double s = vsr_clock_s();
        uint64_t c = vsr_clock_ns();
        /* 1e-9 relative slack: the double conversions round */
        assert_true(ms >= (double)a * 1e-6 * (1 - 1e-12) &&
                    ms <= (double)b * 1e-6 * (1 + 1e-12));
        assert_true(s >= (double)b * 1e-9 * (1 - 1e-12) && s <= (double)c * 1e-9 * (1 + 1e-12));
    }
}

/* CPU features: what GCC's own detector (libgcc's __builtin_cpu_supports,
 * cpuid + xgetbv as well) says, bit for bit; and VSR_FORCE_SCALAR=1 turns
 * the usable set to scalar while the detected features stay. */
static void test_cpu_features(void **state)
{
    (void)state;
    unsetenv("VSR_FORCE_SCALAR");
    unsigned f = vsr_cpu_features();
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    int avx512 = avx2 && __builtin_cpu_supports("avx512f") &&
                 __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
                 __builtin_cpu_supports("avx512vl");
    assert_int_equal(!!(f & VSR_ISA_AVX2), avx2); /* every AVX2 CPU has F16C */
    assert_int_equal(!!(f & VSR_ISA_AVX512), avx512);
    assert_int_equal(!!(f & VSR_ISA_AVX512VNNI),
                     avx512 && __builtin_cpu_supports("avx512vnni"));
#else
    assert_int_equal(f, 0);
#endif
    /* the hierarchy kernel selection relies on */
    if (f & VSR_ISA_AVX512)
        assert_true(f & VSR_ISA_AVX2);
    if (f & (VSR_ISA_AVX512VNNI | VSR_ISA_AVX512FP16))
        assert_true(f & VSR_ISA_AVX512);
    assert_int_equal(vsr_cpu_force_scalar(), 0);
    assert_int_equal(vsr_cpu_isa(), f);
    setenv("VSR_FORCE_SCALAR", "1", 1);
    assert_int_equal(vsr_cpu_force_scalar(), 1);
    assert_int_equal(vsr_cpu_isa(), 0);
    assert_int_equal(vsr_cpu_features(), f); /* detection itself is unchanged */
    setenv("VSR_FORCE_SCALAR", "0", 1);
    assert_int_equal(vsr_cpu_force_scalar(), 0);
    assert_int_equal(vsr_cpu_isa(), f);
    unsetenv("VSR_FORCE_SCALAR");
}

/* CRC-32: the check value of the CRC catalogue (CRC-32/ISO-HDLC, as zlib
 * and IEEE 802.3: "123456789" -> 0xCBF43926), the empty message, and a CRC
 * continued over two pieces equals the CRC of the whole. */
static void test_crc32(void **state)
{
    (void)state;
    assert_int_equal(vsr_crc32(0, "123456789", 9), 0xCBF43926u);
    assert_int_equal(vsr_crc32(0, "", 0), 0);
    assert_int_equal(vsr_crc32(vsr_crc32(0, "1234", 4), "56789", 5), 0xCBF43926u);
    /* the pangram's CRC-32 that Wikipedia's "Cyclic redundancy check" quotes */
    assert_int_equal(vsr_crc32(0, "The quick brown fox jumps over the lazy dog", 43),
                     0x414FA339u);
}

/*
 * vsr_yaml_guard: expect @p want (e.g. "t.yaml:2:4: ") and @p why in the
 * one-line error, or success when @p want is NULL. The byte classes come
 * from RFC 3629 section 4 (the UTF8-octets grammar) and Unicode 15 table
 * 3-7: C0/C1 and E0 80..9F, F0 80..8F are overlong, ED A0..BF are UTF-16
 * surrogates, F4 90.. and F5..FF are above U+10FFFF.
 */
static void guard_case(const char *text, size_t len, const char *want, const char *why)
{
    vsr_error err = {0};
    int rc = vsr_yaml_guard("t.yaml", text, len, &err);
    if (!want) {
        assert_int_equal(rc, 0);
        return;
    }
    assert_int_equal(rc, -EINVAL);
    assert_non_null(strstr(err.msg, want));
    assert_non_null(strstr(err.msg, why));
    assert_null(strchr(err.msg, '\n'));
}
#define GUARD(text, want, why) guard_case(text, sizeof(text) - 1, want, why)

static void test_yaml_guard_utf8(void **state)
{
    (void)state;
    /* e-acute (2 bytes), CJK (3), emoji (4), U+10FFFF (the last code point), BOM */
    GUARD("name: caf\xC3\xA9\nja: \xE6\x97\xA5\xE6\x9C\xAC\nemoji: \xF0\x9F\x98\x80\n", NULL,
          "");
    GUARD("max: \xF4\x8F\xBF\xBF\n", NULL, "");
    GUARD("\xEF\xBB\xBF"
          "a: 1\n",
          NULL, "");
    GUARD("a: \xED\x9F\xBF\n", NULL, ""); /* U+D7FF, just below the surrogates */
    /* overlong forms of '/' (U+002F) in 2, 3 and 4 bytes */
    GUARD("a: 1\nb: \xC0\xAF\n", "t.yaml:2:4: ", "overlong");
    GUARD("x\n\ny: \xE0\x80\xAF\n", "t.yaml:3:4: ", "overlong");
    GUARD("\xF0\x80\x80\xAF", "t.yaml:1:1: ", "overlong");
    /* U+D800 */
    GUARD("a: \xED\xA0\x80\n", "t.yaml:1:4: ", "surrogate");
    /* U+110000 and a byte that never occurs */
    GUARD("a: \xF4\x90\x80\x80\n", "t.yaml:1:4: ", "above U+10FFFF");
    GUARD("a: \xF5\x80\x80\x80\n", "t.yaml:1:4: ", "never starts");
    /* truncated at the end of the text and before an ASCII byte */
    GUARD("a: \xE6\x97", "t.yaml:1:4: ", "truncated");
    GUARD("a: 1\nb: \xE6\x97"
          "b\n",
          "t.yaml:2:4: ", "truncated");
    /* stray continuation bytes; columns count characters, not bytes */
    GUARD("a: \x80\n", "t.yaml:1:4: ", "continuation byte");
    GUARD("\xC3\xA9: \xBF\n", "t.yaml:1:4: ", "continuation byte");
}

static void test_yaml_guard_lines(void **state)
{
    (void)state;
    /* the 3-byte file that hung libfyaml 0.7.12 */
    GUARD("%\xA1\n", "t.yaml:1:1: ", "directive");
    GUARD("a: 1\n%YAML 1.2\n---\n", "t.yaml:2:1: ", "directive");
    GUARD("\xEF\xBB\xBF%TAG ! tag:x:\n", "t.yaml:1:1: ", "directive");
    /* '%' not at the start of a line is text */
    GUARD("a: |\n  %not a directive\nb: 50%\n", NULL, "");
    GUARD("a: 1\nb:\0\n", "t.yaml:2:3: ", "NUL");
    /* a '?' in a text with a tab: "? ::\t:" and "a: \t: ? ::\t:" made libfyaml 0.7.12
     * write through a null pointer (the fuzz inputs in tests/fuzz/regress/name_map);
     * so did each of these when handed to it (checked by hand, 2026-12-05) */
    GUARD("? a: \t: b", "t.yaml:1:1: ", "tabs (line 1)");
    GUARD("x:\n  - ? a: \t: b\n", "t.yaml:2:5: ", "tabs (line 2)");
    GUARD("?\n a: \t: b", "t.yaml:1:1: ", "tabs (line 2)");
    GUARD("a: \t: ? ::\t:", "t.yaml:1:7: ", "'?'");
    GUARD("ra@nwe11/111j(w: \n?  : '': \t:  : ''", "t.yaml:2:1: ", "tabs (line 2)");
    /* either alone is left to libfyaml, which reads it (or reports its error) */
    GUARD("? a\n: b\nq: \"why? not\"\n", NULL, "");
    GUARD("a: \"x\ty\"\t\nb: 1\n", NULL, "");
    vsr_error err = {0};
    assert_int_equal(vsr_yaml_guard("t.yaml", "a", VSR_TEXT_FILE_MAX + 1, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "larger than 64 MiB"));
}

/* vsr_yaml_parse: a document, or the guard's / libfyaml's error in one line. */
static void test_yaml_parse(void **state)
{
    (void)state;
    vsr_error err = {0};
    struct fy_document *doc = NULL;
    const char ok[] = "a: \"x\"\n";
    assert_int_equal(vsr_yaml_parse("t.yaml", ok, sizeof(ok) - 1, &doc, &err), 0);
    assert_non_null(doc);
    fy_document_destroy(doc);
    const char bad[] = "a: 1\nb: \"x\n";
    assert_int_equal(vsr_yaml_parse("t.yaml", bad, sizeof(bad) - 1, &doc, &err), -EINVAL);
    assert_null(doc);
    /* the opening quote is on line 2, column 4 */
    assert_non_null(strstr(err.msg, "t.yaml:2:"));
    assert_non_null(strstr(err.msg, "YAML syntax error"));
    assert_null(strchr(err.msg, '\n'));
    assert_int_equal(vsr_yaml_parse("t.yaml", "%\xA1\n", 3, &doc, &err), -EINVAL);
    assert_null(doc);
    assert_non_null(strstr(err.msg, "t.yaml:1:1: "));
}

/*
 * Single-quoted scalars with adjacent escaped quotes are refused (libfyaml
 * 0.7.12 returns "a'''" for 'a''''b', YAML 1.2 section 7.3.2 says "a''b";
 * five or more leak, pantoniou/libfyaml#233); every other form of quoting
 * reads back as YAML 1.2 defines it (the expected texts are worked by hand
 * from section 7.3).
 */
static void test_yaml_quotes(void **state)
{
    (void)state;
    static const struct {
        const char *yaml, *want; /* want NULL: refused, with the position */
        const char *where;
    } cases[] = {
        {"k: 'a''b''c'\n", "a'b'c", NULL},
        {"k: ''''\n", "'", NULL},
        {"k: 'a'''\n", "a'", NULL},
        {"k: \"a''''b\"\n", "a''''b", NULL},
        {"k: don't''''stop\n", "don't''''stop", NULL}, /* plain: no escapes */
        {"k: 'a''''b'\n", NULL, "t.yaml:1:4: "},
        {"x: 1\nk: [1, 'q''''''''''''r']\n", NULL, "t.yaml:2:8: "},
        {"'''''''''''':\n", NULL, "t.yaml:1:1: "}, /* a key; the fuzzer's leak */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vsr_error err = {0};
        struct fy_document *doc = NULL;
        const char *y = cases[i].yaml;
        int rc = vsr_yaml_parse("t.yaml", y, strlen(y), &doc, &err);
        if (!cases[i].want) {
            if (rc != -EINVAL || strncmp(err.msg, cases[i].where, strlen(cases[i].where)) ||
                !strstr(err.msg, "adjacent escaped quotes"))
                fail_msg("%s: rc %d '%s', want '%s...'", y, rc, err.msg, cases[i].where);
            assert_null(doc);
            continue;
        }
        if (rc)
            fail_msg("%s: %s", y, err.msg);
        size_t n = 0;
        const char *v =
            fy_node_get_scalar(fy_node_by_path(fy_document_root(doc), "/k", 2, 0), &n);
        if (!v || n != strlen(cases[i].want) || memcmp(v, cases[i].want, n))
            fail_msg("%s: read '%.*s', want '%s'", y, (int)n, v ? v : "", cases[i].want);
        fy_document_destroy(doc);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size_checked),    cmocka_unit_test(test_parse_long),
        cmocka_unit_test(test_parse_list),      cmocka_unit_test(test_error_wrap),
        cmocka_unit_test(test_yaml_quotes),     cmocka_unit_test(test_frame_view),
        cmocka_unit_test(test_path_aliases),    cmocka_unit_test(test_atomic_full_disk),
        cmocka_unit_test(test_yaml_guard_utf8), cmocka_unit_test(test_yaml_guard_lines),
        cmocka_unit_test(test_yaml_parse),      cmocka_unit_test(test_mkdir_p),
        cmocka_unit_test(test_read_file),       cmocka_unit_test(test_clock),
        cmocka_unit_test(test_cpu_features),    cmocka_unit_test(test_crc32),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
