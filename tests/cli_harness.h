/*
 * For the tests that run the vsrbench executable: one run with its output
 * captured in files.
 */
#ifndef VSR_CLI_HARNESS_H
#define VSR_CLI_HARNESS_H

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

/* Skip (with a message) a test that needs the demo data's source. */
#define VSR_SKIP_WITHOUT_DEMO()                                                                \
    do {                                                                                       \
        if (access("/usr/share/doc/opencv-doc/examples/data", R_OK) != 0)                      \
            VSR_SKIP("the demo needs the opencv-doc package");                                 \
                                                                                               \
    } while (0)

/*
 * Start $VSR_BINARY_DIR/vsrbench with @p args (NULL-terminated, at most 38),
 * stdout to the file @p out, stderr to the file @p err when not NULL, and
 * VSR_DATA_DIR=@p data_dir when not NULL. With @p fsize_limit > 0 the child
 * runs under RLIMIT_FSIZE = that many bytes with SIGXFSZ ignored, so writes
 * past it fail with EFBIG: a full disk without root. Returns its pid without
 * waiting (vsr_test_vsrbench_wait()).
 */
static inline pid_t vsr_test_vsrbench_start(const char *const *args, const char *out,
                                            const char *err, const char *data_dir,
                                            rlim_t fsize_limit)
{
    const char *bin = getenv("VSR_BINARY_DIR");
    char exe[512];
    snprintf(exe, sizeof(exe), "%s/vsrbench", bin ? bin : ".");
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        const char *argv[40] = {exe};
        int n = 1;
        for (; args[n - 1] && n < 39; n++)
            argv[n] = args[n - 1];
        argv[n] = NULL;
        if (!freopen(out, "w", stdout) || (err && !freopen(err, "w", stderr)))
            _exit(99);
        if (data_dir)
            setenv("VSR_DATA_DIR", data_dir, 1);
        if (fsize_limit) {
            struct rlimit rl = {fsize_limit, fsize_limit};
            signal(SIGXFSZ, SIG_IGN);
            if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
                _exit(97);
        }
        execv(exe, (char *const *)argv);
        _exit(98);
    }
    return pid;
}

/* Wait for vsrbench process @p pid; asserts it exited normally, returns its exit code. */
static inline int vsr_test_vsrbench_wait(pid_t pid)
{
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/* vsr_test_vsrbench_start() and wait for it: its exit code. */
static inline int vsr_test_vsrbench_limited(const char *const *args, const char *out,
                                            const char *err, const char *data_dir,
                                            rlim_t fsize_limit)
{
    return vsr_test_vsrbench_wait(
        vsr_test_vsrbench_start(args, out, err, data_dir, fsize_limit));
}

static inline int vsr_test_vsrbench(const char *const *args, const char *out, const char *err,
                                    const char *data_dir)
{
    return vsr_test_vsrbench_limited(args, out, err, data_dir, 0);
}

/*
 * The fixture of the CLI tests: a fresh temporary folder (removed by the
 * teardown, with everything in it) and the paths the tests use in it. Each
 * test uses the members it needs; the names are fixed here so that a
 * message a test asserts names the same file in every test.
 */
struct vsr_cli_tmp {
    char dir[256];
    char db[320];      /* runs.db */
    char cfg[320];     /* tiny.yaml */
    char yaml[320];    /* h.yaml */
    char out[320];     /* out.txt: vsrbench's stdout */
    char err[320];     /* err.txt: vsrbench's stderr */
    char data[320];    /* data: VSR_DATA_DIR */
    char in[320];      /* in: an input folder or file */
    char npy[320];     /* the folder itself, as an .npy folder */
    char vsrw[320];    /* w.vsrw */
    char weights[320]; /* elsr.vsrw */
};

static inline int vsr_cli_tmp_setup(void **state)
{
    struct vsr_cli_tmp *t = calloc(1, sizeof(*t));
    if (!t || !vsr_test_tmpdir(t->dir, sizeof(t->dir))) {
        free(t);
        return -1;
    }
    snprintf(t->db, sizeof(t->db), "%s/runs.db", t->dir);
    snprintf(t->cfg, sizeof(t->cfg), "%s/tiny.yaml", t->dir);
    snprintf(t->yaml, sizeof(t->yaml), "%s/h.yaml", t->dir);
    snprintf(t->out, sizeof(t->out), "%s/out.txt", t->dir);
    snprintf(t->err, sizeof(t->err), "%s/err.txt", t->dir);
    snprintf(t->data, sizeof(t->data), "%s/data", t->dir);
    snprintf(t->in, sizeof(t->in), "%s/in", t->dir);
    snprintf(t->npy, sizeof(t->npy), "%s", t->dir);
    snprintf(t->vsrw, sizeof(t->vsrw), "%s/w.vsrw", t->dir);
    snprintf(t->weights, sizeof(t->weights), "%s/elsr.vsrw", t->dir);
    *state = t;
    return 0;
}

static inline int vsr_cli_tmp_teardown(void **state)
{
    struct vsr_cli_tmp *t = *state;
    vsr_test_rmtree(t->dir);
    free(t);
    return 0;
}

/* Writes what printf() makes of @p fmt and the rest to the file @p path (replaced):
 * a config for a vsrbench run. */
static inline void vsr_test_writef(const char *path, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline void vsr_test_writef(const char *path, const char *fmt, ...)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    va_list ap;
    va_start(ap, fmt);
    assert_true(vfprintf(f, fmt, ap) >= 0);
    va_end(ap);
    assert_int_equal(fclose(f), 0);
}

/* The stderr vsrbench wrote to @p path is one line that names @p a and @p b. */
static inline void vsr_test_err_one_line(const char *path, const char *a, const char *b)
{
    char *e = vsr_test_slurp(path);
    assert_non_null(e);
    print_message("stderr: %s", e ? e : "(none)\n"); /* assert_non_null is not noreturn */
    assert_non_null(strstr(e, a));
    assert_non_null(strstr(e, b));
    assert_ptr_equal(strchr(e, '\n'), e + strlen(e) - 1); /* one line */
    free(e);
}

#endif
