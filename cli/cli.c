/* Shared pieces of the vsrbench subcommands (cli.h). */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include "cli.h"

#include <errno.h>
#include <sched.h>
#include <stddef.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "vsr/bench.h"

/* ---- the shared options ---------------------------------------------------------- */

typedef struct cli_opt cli_opt;
/* Check @p arg for option @p o and store it in @p c: 0 or a negative errno. */
typedef int (*cli_parse_fn)(const cli_opt *o, const char *arg, vsr_cli_common *c,
                            vsr_error *err);

struct cli_opt {
    int id;
    const char *name; /* the long option without "--" */
    int has_arg;
    cli_parse_fn parse;
    size_t off;    /* opt_string, opt_long: the field in vsr_cli_common */
    long min, max; /* opt_long: the range */
};

static int opt_string(const cli_opt *o, const char *arg, vsr_cli_common *c, vsr_error *err)
{
    (void)err;
    *(const char **)((char *)c + o->off) = arg;
    return 0;
}

static int opt_long(const cli_opt *o, const char *arg, vsr_cli_common *c, vsr_error *err)
{
    char what[64];
    snprintf(what, sizeof(what), "--%s", o->name);
    return vsr_parse_long(arg, o->min, o->max, (long *)((char *)c + o->off), what, err);
}

/* --threads N or auto: auto sets threads_auto and leaves threads */
static int opt_threads_auto(const cli_opt *o, const char *arg, vsr_cli_common *c,
                            vsr_error *err)
{
    if (!strcmp(arg, "auto")) {
        c->threads_auto = 1;
        return 0;
    }
    return opt_long(o, arg, c, err);
}

static int opt_degradation(const cli_opt *o, const char *arg, vsr_cli_common *c, vsr_error *err)
{
    (void)o;
    return vsr_degradation_parse(arg, &c->degradation, err);
}

/* the engine's list of methods, one place; "file" too for VSR_CLI_OPT_CALIBRATION_FILE */
static int opt_calibration(const cli_opt *o, const char *arg, vsr_cli_common *c, vsr_error *err)
{
    int file = o->id == VSR_CLI_OPT_CALIBRATION_FILE;
    vsr_calib_method m;
    c->calibration = arg;
    if (file && !strcmp(arg, "file"))
        return 0;
    return vsr_calib_method_parse(arg, &m, err)
               ? vsr_error_wrap(err, -EINVAL,
                                file ? "--calibration (or file)" : "--calibration")
               : 0;
}

static int opt_requant(const cli_opt *o, const char *arg, vsr_cli_common *c, vsr_error *err)
{
    (void)o;
    c->requant_set = 1;
    return vsr_requant_parse(arg, &c->requant, err);
}

static int opt_conv_algo(const cli_opt *o, const char *arg, vsr_cli_common *c, vsr_error *err)
{
    (void)o;
    return vsr_conv_algo_parse(arg, &c->conv_algo, err);
}

static int opt_keep_float_prec(const cli_opt *o, const char *arg, vsr_cli_common *c,
                               vsr_error *err)
{
    (void)o;
    c->keep_float_prec_s = arg;
    if (strcmp(arg, "fp32") && strcmp(arg, "fp16"))
        return vsr_error_set(err, -EINVAL, "--keep-float-precision %s: expected fp32 or fp16",
                             arg);
    c->keep_float_prec = !strcmp(arg, "fp16") ? VSR_PREC_FP16 : VSR_PREC_FP32;
    return 0;
}

static int opt_progress(const cli_opt *o, const char *arg, vsr_cli_common *c, vsr_error *err)
{
    (void)o;
    return vsr_cli_progress_parse(arg, &c->progress, err);
}

#define STR(ID, NAME, F)                                                                       \
    {                                                                                          \
        ID, NAME, required_argument, opt_string, offsetof(vsr_cli_common, F), 0, 0             \
    }
#define LONG(ID, NAME, F, MIN, MAX)                                                            \
    {                                                                                          \
        ID, NAME, required_argument, opt_long, offsetof(vsr_cli_common, F), MIN, MAX           \
    }
#define FN(ID, NAME, PARSE)                                                                    \
    {                                                                                          \
        ID, NAME, required_argument, PARSE, 0, 0, 0                                            \
    }

static const cli_opt g_opts[] = {
    STR(VSR_CLI_OPT_MODEL, "model", model),
    STR(VSR_CLI_OPT_PRECISION, "precision", precision),
    STR(VSR_CLI_OPT_WEIGHTS, "weights", weights),
    STR(VSR_CLI_OPT_DATASET, "dataset", dataset),
    STR(VSR_CLI_OPT_CLIP, "clip", clip),
    FN(VSR_CLI_OPT_DEGRADATION, "degradation", opt_degradation),
    LONG(VSR_CLI_OPT_FRAMES, "frames", frames, 1, 100000),
    LONG(VSR_CLI_OPT_THREADS, "threads", threads, 1, 1024),
    {VSR_CLI_OPT_THREADS_AUTO, "threads", required_argument, opt_threads_auto,
     offsetof(vsr_cli_common, threads), 1, 1024},
    FN(VSR_CLI_OPT_CALIBRATION, "calibration", opt_calibration),
    FN(VSR_CLI_OPT_CALIBRATION_FILE, "calibration", opt_calibration),
    LONG(VSR_CLI_OPT_CALIB_FRAMES, "calib-frames", calib_frames, 1, 100000),
    FN(VSR_CLI_OPT_REQUANT, "requant", opt_requant),
    FN(VSR_CLI_OPT_CONV_ALGO, "conv-algo", opt_conv_algo),
    STR(VSR_CLI_OPT_KEEP_FLOAT, "keep-float", keep_float),
    FN(VSR_CLI_OPT_KEEP_FLOAT_PRECISION, "keep-float-precision", opt_keep_float_prec),
    FN(VSR_CLI_OPT_PROGRESS, "progress", opt_progress),
};

#undef STR
#undef LONG
#undef FN

static const cli_opt *opt_find(int id)
{
    for (size_t i = 0; i < sizeof(g_opts) / sizeof(g_opts[0]); i++)
        if (g_opts[i].id == id)
            return &g_opts[i];
    return NULL;
}

void vsr_cli_begin(const struct option *list, struct option *out, vsr_cli_common *c)
{
    int i = 0;
    for (; list[i].name; i++) {
        const cli_opt *o = opt_find(list[i].val);
        out[i] = list[i];
        if (o) {
            out[i].name = o->name;
            out[i].has_arg = o->has_arg;
        }
    }
    out[i] = list[i];
    *c = (vsr_cli_common){.degradation = VSR_DEGRADE_BI,
                          .threads = 1,
                          .calib_frames = 8,
                          .requant = VSR_REQUANT_FLOAT,
                          .conv_algo = VSR_CONV_DIRECT,
                          .keep_float_prec = VSR_PREC_FP32,
                          .progress = -1};
    optind = 1;
}

int vsr_cli_common_opt(int opt, const char *arg, vsr_cli_common *c, vsr_error *err)
{
    const cli_opt *o = opt_find(opt);
    if (!o)
        return 0;
    int rc = o->parse(o, arg, c, err);
    return rc < 0 ? rc : 1;
}

vsr_dataset_spec vsr_cli_dataset_spec(const vsr_cli_common *c, int scale)
{
    return (vsr_dataset_spec){.type = VSR_DATASET_VID4,
                              .root = c->dataset,
                              .clips = c->clip ? &c->clip : NULL,
                              .n_clips = c->clip ? 1 : 0,
                              .degradation = c->degradation,
                              .scale = scale,
                              .max_frames = (int)c->frames};
}

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
