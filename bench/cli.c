/* Shared pieces of the vsrbench subcommands (cli.h). */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"

int vsr_cli_progress_parse(const char *when, int *progress, vsr_error *err)
{
    if (!strcmp(when, "auto"))
        *progress = -1;
    else if (!strcmp(when, "always"))
        *progress = 1;
    else if (!strcmp(when, "never"))
        *progress = 0;
    else
        return vsr_error_set(err, -EINVAL, "--progress takes auto, always or never");
    return 0;
}

int vsr_cli_progress_resolve(int progress)
{
    return progress < 0 ? isatty(STDERR_FILENO) : progress;
}

void vsr_cli_progress_clear(int on)
{
    if (on)
        fprintf(stderr, "\r\033[K");
}

int vsr_cli_help_exit(int opt, void (*usage)(FILE *out))
{
    if (opt == 'h') {
        usage(stdout);
        return VSR_EXIT_OK;
    }
    usage(stderr);
    return VSR_EXIT_USAGE;
}

int vsr_cli_pool_create(long threads, pthreadpool_t *pool, vsr_error *err)
{
    *pool = pthreadpool_create((size_t)threads);
    if (!*pool)
        return vsr_error_set(err, -ENOMEM, "cannot create a pool of %ld threads", threads);
    return 0;
}

int vsr_cli_input_exit(int rc)
{
    return rc == -ENOMEM || rc == -EIO ? VSR_EXIT_FAILURE : VSR_EXIT_USAGE;
}

/* Set by the SIGINT handler only (a handler may do nothing else safely). */
static volatile sig_atomic_t g_sigint;

static void on_sigint(int sig)
{
    (void)sig;
    g_sigint = 1;
}

void vsr_cli_sigint_begin(struct sigaction *old)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_sigint;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    g_sigint = 0;
    sigaction(SIGINT, &sa, old);
}

int vsr_cli_interrupted(void)
{
    return g_sigint != 0;
}

void vsr_cli_sigint_end(const struct sigaction *old)
{
    sigaction(SIGINT, old, NULL);
}
