/* Shared pieces of the vsrbench subcommands (cli.h). */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "cli.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "vsr/bench.h"

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

int vsr_cli_idle_cores(int *usable, double *idle)
{
    cpu_set_t set;
    int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (sched_getaffinity(0, sizeof(set), &set) == 0)
        ncpu = CPU_COUNT(&set);
    if (ncpu < 1)
        ncpu = 1;
    *usable = ncpu;
    *idle = ncpu;
    int online = (int)sysconf(_SC_NPROCESSORS_ONLN);
    vsr_timing_probe a, b;
    vsr_timing_probe_read(&a);
    struct timespec ts = {0, 300000000};
    nanosleep(&ts, NULL);
    vsr_timing_probe_read(&b);
    if (a.ok && b.ok && b.total > a.total && online > 0) {
        /* all CPUs' idle share x online CPUs = idle CPUs; at most the usable ones */
        double share = 1.0 - (double)(b.busy - a.busy) / (double)(b.total - a.total);
        *idle = share * online < ncpu ? share * online : ncpu;
    }
    int n = (int)(*idle + 0.2);
    return n < 1 ? 1 : n > ncpu ? ncpu : n;
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
    sa.sa_flags = SA_RESTART | SA_RESETHAND; /* a second Ctrl-C ends the process at once */
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

void vsr_cli_frames_mean(const vsr_frame *f, int n, float mean[4])
{
    double sum[4] = {0};
    double px = 0;
    for (int i = 0; i < n; i++) {
        int c = f[i].channels < 4 ? f[i].channels : 4;
        for (int y = 0; y < f[i].height; y++) {
            const uint8_t *r = vsr_frame_row(&f[i], y);
            for (int x = 0; x < f[i].width; x++)
                for (int ch = 0; ch < c; ch++)
                    sum[ch] += r[(size_t)x * f[i].channels + ch];
        }
        px += (double)f[i].width * f[i].height;
    }
    for (int ch = 0; ch < 4; ch++)
        mean[ch] = px > 0 ? (float)(sum[ch] / px) : 0.f;
}

vsr_layer_precision *vsr_cli_layer_prec(const char *const *names, int n, vsr_precision prec)
{
    vsr_layer_precision *lp = n > 0 ? malloc((size_t)n * sizeof(*lp)) : NULL;
    for (int i = 0; lp && i < n; i++)
        lp[i] = (vsr_layer_precision){names[i], prec};
    return lp;
}

int vsr_cli_split_list(const char *list, const char *what, char **buf, char ***names, int *n,
                       vsr_error *err)
{
    *buf = NULL, *names = NULL, *n = 0;
    size_t len = strlen(list);
    int cnt = 1;
    for (size_t i = 0; i < len; i++)
        cnt += list[i] == ',';
    char *b = malloc(len + 1);
    char **a = malloc((size_t)cnt * sizeof(char *));
    if (!b || !a) {
        free(b), free(a);
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", what);
    }
    memcpy(b, list, len + 1);
    int k = 0;
    for (char *s = b;;) {
        char *c = strchr(s, ',');
        if (c)
            *c = '\0';
        if (!*s) {
            free(b), free(a);
            return vsr_error_set(err, -EINVAL, "%s '%s': an empty name; give NAME,NAME,...",
                                 what, list);
        }
        a[k++] = s;
        if (!c)
            break;
        s = c + 1;
    }
    *buf = b, *names = a, *n = k;
    return 0;
}

int vsr_cli_parse_size(const char *s, const char *what, int *h, int *w, vsr_error *err)
{
    char a[32], wh[64];
    const char *x = strchr(s, 'x');
    if (!x || (size_t)(x - s) >= sizeof(a))
        return vsr_error_set(err, -EINVAL, "%s %s: expected HxW, e.g. 180x320", what, s);
    memcpy(a, s, (size_t)(x - s));
    a[x - s] = '\0';
    long hh, ww;
    snprintf(wh, sizeof(wh), "%s H", what);
    int rc = vsr_parse_long(a, 1, 16384, &hh, wh, err);
    snprintf(wh, sizeof(wh), "%s W", what);
    if (rc || (rc = vsr_parse_long(x + 1, 1, 16384, &ww, wh, err)))
        return rc;
    *h = (int)hh;
    *w = (int)ww;
    return 0;
}
