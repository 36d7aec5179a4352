/*
 * For the tests that run the vsrbench executable: one run with its output
 * captured in files.
 */
#ifndef VSR_CLI_HARNESS_H
#define VSR_CLI_HARNESS_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
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
 * past it fail with EFBIG: a full disk without root. Returns the child's pid
 * without waiting (a test that signals the child mid-run).
 */
static inline pid_t vsr_test_vsrbench_spawn(const char *const *args, const char *out,
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

/*
 * vsr_test_vsrbench_spawn() and wait: asserts that the child exited
 * normally; returns its exit code.
 */
static inline int vsr_test_vsrbench_limited(const char *const *args, const char *out,
                                            const char *err, const char *data_dir,
                                            rlim_t fsize_limit)
{
    pid_t pid = vsr_test_vsrbench_spawn(args, out, err, data_dir, fsize_limit);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static inline int vsr_test_vsrbench(const char *const *args, const char *out, const char *err,
                                    const char *data_dir)
{
    return vsr_test_vsrbench_limited(args, out, err, data_dir, 0);
}

#endif
