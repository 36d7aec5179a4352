/*
 * Plots through gnuplot: each plot is one script (data inline as
 * datablocks) that renders the same body to PNG (pngcairo) and SVG. The
 * script is also saved next to the pictures so it can be edited and rerun
 * (`gnuplot out/plots/NAME.gp` from the directory the report was made in).
 * A script runs in a gnuplot process of its own, or in a session
 * (vsr_report_gnuplot_open) that draws a whole report's plots.
 */
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "reports_internal.h"

extern char **environ;

#define GNUPLOT_HINT "install it with 'apt-get install gnuplot-nox'; tables are still written"

int vsr_report_gnuplot_available(void)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        return 0;
    for (const char *p = path;;) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        char buf[4096];
        if (len == 0)
            snprintf(buf, sizeof(buf), "./gnuplot");
        else
            snprintf(buf, sizeof(buf), "%.*s/gnuplot", (int)len, p);
        struct stat st;
        if (stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0)
            return 1;
        if (!colon)
            return 0;
        p = colon + 1;
    }
}

/* Save @p script at @p path, complete or not at all. */
static int save_script(const char *script, const char *path, vsr_error *err)
{
    vsr_atomic_file af;
    int rc = vsr_atomic_open(&af, path, err);
    if (rc)
        return rc;
    fputs(script, af.f);
    return vsr_atomic_commit(&af, err);
}

/* A gnuplot that dies early must not kill us with SIGPIPE: block it for
 * this thread while writing (pipe_hold), then drop a pending one (pipe_release). */
static void pipe_hold(sigset_t *old)
{
    sigset_t pipe_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, old);
}

static void pipe_release(const sigset_t *old)
{
    sigset_t pipe_set, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    struct timespec zero = {0, 0};
    sigpending(&pending);
    if (sigismember(&pending, SIGPIPE))
        sigtimedwait(&pipe_set, NULL, &zero);
    pthread_sigmask(SIG_SETMASK, old, NULL);
}

struct vsr_report_gnuplot {
    pid_t pid;
    FILE *to;   /* gnuplot's stdin */
    FILE *from; /* gnuplot's stdout: status lines (anything else is passed on to ours) */
    int dead;   /* gnuplot exited: later plots get a process each */
};

#define STATUS_TAG "vsrbench-plot-status "

int vsr_report_gnuplot_open(vsr_report_gnuplot **out, vsr_error *err)
{
    *out = NULL;
    if (!vsr_report_gnuplot_available())
        return vsr_error_set(err, -ENOENT, "gnuplot is not on PATH: " GNUPLOT_HINT);
    vsr_report_gnuplot *g = calloc(1, sizeof(*g));
    int in[2] = {-1, -1}, outp[2] = {-1, -1}, rc = 0;
    posix_spawn_file_actions_t fa;
    if (!g)
        return vsr_error_set(err, -ENOMEM, "gnuplot: out of memory");
    if (pipe(in) || pipe(outp)) {
        rc = vsr_error_set(err, -errno, "gnuplot: pipe: %s", strerror(errno));
        goto fail;
    }
    /* our ends stay out of other children (gnuplot's dup2 copies are not close-on-exec) */
    for (int k = 0; k < 2; k++)
        fcntl(in[k], F_SETFD, FD_CLOEXEC), fcntl(outp[k], F_SETFD, FD_CLOEXEC);
    if ((rc = posix_spawn_file_actions_init(&fa))) {
        rc = vsr_error_set(err, -rc, "gnuplot: %s", strerror(rc));
        goto fail;
    }
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
    char *argv[] = {"gnuplot", NULL};
    fflush(NULL);
    rc = posix_spawnp(&g->pid, "gnuplot", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc) {
        rc = vsr_error_set(err, -ENOENT, "gnuplot could not be started (%s): " GNUPLOT_HINT,
                           strerror(rc));
        goto fail;
    }
    close(in[0]), close(outp[1]);
    in[0] = outp[1] = -1;
    g->to = fdopen(in[1], "w");
    if (g->to)
        in[1] = -1;
    g->from = fdopen(outp[0], "r");
    if (g->from)
        outp[0] = -1;
    if (!g->to || !g->from) {
        rc = vsr_error_set(err, -ENOMEM, "gnuplot: out of memory");
        vsr_report_gnuplot_close(&g);
        goto fail;
    }
    *out = g;
    return 0;
fail:
    for (int k = 0; k < 2; k++) {
        if (in[k] >= 0)
            close(in[k]);
        if (outp[k] >= 0)
            close(outp[k]);
    }
    free(g);
    return rc;
}

/* Pass gnuplot's stdout on until a status line (its number into *status): 1, or 0 at EOF. */
static int read_status(vsr_report_gnuplot *g, int *status)
{
    char *line = NULL;
    size_t cap = 0;
    int got = 0;
    while (!got && getline(&line, &cap, g->from) > 0) {
        if (!strncmp(line, STATUS_TAG, strlen(STATUS_TAG)))
            got = 1, *status = atoi(line + strlen(STATUS_TAG));
        else
            fputs(line, stdout);
    }
    free(line);
    return got;
}

void vsr_report_gnuplot_close(vsr_report_gnuplot **gp)
{
    if (!gp || !*gp)
        return;
    vsr_report_gnuplot *g = *gp;
    sigset_t old;
    pipe_hold(&old);
    if (g->to)
        fclose(g->to);
    int st;
    while (g->from && read_status(g, &st)) /* (none expected: pass on the rest) */
        ;
    pipe_release(&old);
    if (g->from)
        fclose(g->from);
    if (g->pid > 0)
        while (waitpid(g->pid, &st, 0) < 0 && errno == EINTR)
            ;
    free(g);
    *gp = NULL;
}

/* @p script through session @p g; the errors of vsr_report_gnuplot_run(). */
static int session_run(vsr_report_gnuplot *g, const char *script, vsr_error *err)
{
    sigset_t old;
    pipe_hold(&old);
    fflush(NULL);
    fputs(script, g->to);
    /* the status, then a clean slate; reset errors last, so that nothing the
     * reset itself complains about is charged to the next plot */
    fputs("\nset print '-'\nprint sprintf('" STATUS_TAG "%d', GPVAL_ERRNO)\n"
          "set print\nreset session\nreset errors\n",
          g->to);
    int status = 0, rc = 0;
    if (fflush(g->to) != 0 || !read_status(g, &status)) {
        g->dead = 1;
        rc = vsr_error_set(err, -EIO,
                           "gnuplot exited while drawing a script (its messages are above)");
    } else if (status != 0) {
        rc = vsr_error_set(err, -EIO,
                           "gnuplot failed on a script (error %d; its messages are "
                           "above)",
                           status);
    }
    pipe_release(&old);
    return rc;
}

int vsr_report_gnuplot_run(const char *script, const char *script_path, vsr_error *err)
{
    int rc0;
    if (script_path && (rc0 = save_script(script, script_path, err)))
        return rc0;
    if (!vsr_report_gnuplot_available())
        return vsr_error_set(err, -ENOENT, "gnuplot is not on PATH: " GNUPLOT_HINT);
    sigset_t old;
    pipe_hold(&old);
    fflush(NULL);
    FILE *gp = popen("gnuplot", "w");
    int rc = 0;
    if (!gp) {
        rc = vsr_error_set(err, -errno, "popen(gnuplot): %s", strerror(errno));
    } else {
        fputs(script, gp);
        fputs("\nexit\n", gp);
        int st = pclose(gp);
        if (st == -1)
            rc = vsr_error_set(err, -EIO, "gnuplot: pclose failed: %s", strerror(errno));
        else if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
            rc = vsr_error_set(err, -ENOENT,
                               "gnuplot could not be run (exit 127): " GNUPLOT_HINT);
        else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            rc = vsr_error_set(err, -EIO,
                               "gnuplot failed on %s (status %d; its messages are above)",
                               script_path ? script_path : "a script", st);
    }
    pipe_release(&old);
    return rc;
}

/* ---- script helpers ---------------------------------------------------- */

/* A gnuplot single-quoted string: '' stands for one quote. */
static void gp_str(FILE *f, const char *s)
{
    fputc('\'', f);
    for (const char *p = s; *p; p++) {
        if (*p == '\'')
            fputc('\'', f);
        if (*p != '\n' && *p != '\r')
            fputc(*p, f);
    }
    fputc('\'', f);
}

/* A double-quoted label inside a datablock: no quotes or newlines inside. */
static void gp_label(FILE *f, const char *s)
{
    fputc('"', f);
    for (const char *p = s; *p; p++)
        fputc(*p == '"' ? '\'' : (*p == '\n' || *p == '\r') ? ' ' : *p, f);
    fputc('"', f);
}

/* A malloc'd string built with a memstream: a script or a plot body. */
struct membuf {
    char *buf;
    size_t len;
    FILE *f;
};

static int membuf_open(struct membuf *b, vsr_error *err)
{
    b->buf = NULL;
    b->len = 0;
    b->f = open_memstream(&b->buf, &b->len);
    return b->f ? 0 : vsr_error_set(err, -ENOMEM, "gnuplot script: out of memory");
}

/* Finish the string (b->buf stays, b->f is NULL afterwards). */
static int membuf_close(struct membuf *b, vsr_error *err)
{
    int bad = fclose(b->f) != 0;
    b->f = NULL;
    return bad ? vsr_error_set(err, -ENOMEM, "gnuplot script: out of memory") : 0;
}

/* Close the stream if still open and free the string. */
static void membuf_free(struct membuf *b)
{
    if (b->f)
        fclose(b->f);
    free(b->buf);
    b->f = NULL;
    b->buf = NULL;
}

static int script_open(struct membuf *s, vsr_error *err)
{
    int rc = membuf_open(s, err);
    if (rc)
        return rc;
    fputs("# vsrbench report plot; data inline. Rerun with: gnuplot THIS_FILE\n"
          "set encoding utf8\n",
          s->f);
    return 0;
}

/* Set the terminal for one of the two outputs. */
static void terminal(FILE *f, int svg, const char *path, const vsr_report_plot_opts *o)
{
    int w = o && o->width > 0 ? o->width : 960;
    int h = o && o->height > 0 ? o->height : 640;
    if (svg)
        fprintf(f,
                "set terminal svg size %d,%d dynamic noenhanced font 'DejaVu Sans,12' "
                "background '#ffffff'\n",
                w, h);
    else
        fprintf(f,
                "set terminal pngcairo size %d,%d noenhanced font 'DejaVu Sans,11' "
                "background '#ffffff'\n",
                w, h);
    fputs("set output ", f);
    gp_str(f, path);
    fputc('\n', f);
}

/*
 * 1 when gnuplot finished the picture at @p path: a PNG ends with its IEND
 * chunk, an SVG with "</svg>". gnuplot (cairo) does not always fail when a
 * write does (a full disk), so its exit status alone is not proof.
 */
static int output_complete(const char *path, int svg)
{
    static const unsigned char iend[12] = {0,   0,   0,    0,    'I',  'E',
                                           'N', 'D', 0xae, 0x42, 0x60, 0x82};
    unsigned char tail[32];
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    long n = 0;
    if (fseek(f, -(long)sizeof(tail), SEEK_END) != 0)
        rewind(f);
    n = (long)fread(tail, 1, sizeof(tail), f);
    fclose(f);
    if (!svg)
        return n >= 12 && !memcmp(tail + n - 12, iend, 12);
    while (n > 0 && (tail[n - 1] == '\n' || tail[n - 1] == ' ' || tail[n - 1] == '\r'))
        n--;
    return n >= 6 && !memcmp(tail + n - 6, "</svg>", 6);
}

/* Script @p prefix plus the PNG and SVG renderings of @p body to @p out[0..1]. */
static char *script_text(const char *prefix, const char *body, char out[2][4200],
                         const vsr_report_plot_opts *o)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    fputs(prefix, f);
    for (int svg = 0; svg <= 1; svg++) {
        terminal(f, svg, out[svg], o);
        fputs(body, f);
        fputs("unset output\nreset\n", f);
    }
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/*
 * Close the memstream, append the two renderings of @p body and run it.
 * Everything appears complete or not at all: NAME.gp is saved atomically
 * (naming the final pictures, so it can be rerun), gnuplot draws into
 * temporary names next to NAME.png / NAME.svg, which are renamed into place
 * only after it exited 0 and both pictures are whole.
 */
static int script_run(struct membuf *s, const char *body, const char *dir, const char *name,
                      const vsr_report_plot_opts *o, vsr_error *err)
{
    char final[2][4200], tmp[2][4200] = {"", ""}, path[4200];
    char *saved = NULL, *run = NULL;
    int rc = 0;
    if (fclose(s->f) != 0) {
        s->f = NULL;
        membuf_free(s);
        return vsr_error_set(err, -ENOMEM, "gnuplot script %s: out of memory", name);
    }
    s->f = NULL;
    for (int k = 0; k < 2; k++) {
        snprintf(final[k], sizeof(final[k]), "%s/%s.%s", dir, name, k ? "svg" : "png");
        int fd = vsr_atomic_temp(final[k], tmp[k], sizeof(tmp[k]), err);
        if (fd < 0) {
            rc = fd;
            goto done;
        }
        close(fd);
    }
    saved = script_text(s->buf, body, final, o);
    run = script_text(s->buf, body, tmp, o);
    if (!saved || !run) {
        rc = vsr_error_set(err, -ENOMEM, "gnuplot script %s: out of memory", name);
        goto done;
    }
    snprintf(path, sizeof(path), "%s/%s.gp", dir, name);
    if ((rc = save_script(saved, path, err)))
        goto done;
    rc = o->gp && !o->gp->dead ? session_run(o->gp, run, err)
                               : vsr_report_gnuplot_run(run, NULL, err);
    if (rc) {
        if (rc == -EIO)
            vsr_error_wrap(err, rc, "%s", path);
        goto done;
    }
    for (int k = 0; k < 2; k++)
        if (!output_complete(tmp[k], k))
            rc = vsr_error_set(err, -ENOSPC,
                               "%s: gnuplot exited 0 but could not write the whole picture "
                               "(disk full?); the previous one was kept",
                               final[k]);
    for (int k = 0; k < 2 && !rc; k++) {
        rc = vsr_atomic_rename(tmp[k], final[k], err);
        tmp[k][0] = '\0';
    }
done:
    for (int k = 0; k < 2; k++)
        if (tmp[k][0])
            unlink(tmp[k]);
    free(saved);
    free(run);
    membuf_free(s);
    return rc;
}

/*
 * The end of every plot: when @p rc is 0, close the plot commands @p b and
 * run them after the script @p s (script_run()); free both either way.
 * Returns @p rc or the first error.
 */
static int script_finish(struct membuf *s, struct membuf *b, int rc, const char *dir,
                         const char *name, const vsr_report_plot_opts *o, vsr_error *err)
{
    if (!rc && !(rc = membuf_close(b, err)))
        rc = script_run(s, b->buf, dir, name, o, err);
    membuf_free(b);
    membuf_free(s);
    return rc;
}

static void common_style(FILE *f, const char *title)
{
    fputs("set title ", f);
    gp_str(f, title);
    fputs("\nset grid lc rgb '#dddddd'\nset border lc rgb '#444444'\n"
          "set key box opaque\nset mxtics\nset mytics\n",
          f);
}

/* ---- run styles: colour = model, marker = precision, bicubic = reference -- */

/* Model colours (Tableau 10 and two more); grey is kept for bicubic. */
static const unsigned model_rgb[] = {0x1f77b4, 0xd62728, 0x2ca02c, 0x9467bd,
                                     0xff7f0e, 0x17becf, 0x8c564b, 0xe377c2,
                                     0xbcbd22, 0x000080, 0x008080, 0x800000};
#define N_MODEL_RGB (sizeof(model_rgb) / sizeof(model_rgb[0]))
#define BICUBIC_RGB 0x444444u

/* Marker and dash pattern per precision: the filled fp32 marker stays visible
 * inside the open ones when two precisions give the same value. */
static const struct prec_style {
    const char *name;
    int pt; /* gnuplot point type */
    int dt; /* gnuplot dash type */
    double ps;
} prec_styles[] = {
    {"fp32", 7, 1, 1.4},  /* filled circle, solid */
    {"fp16", 8, 2, 2.0},  /* open triangle, dashed */
    {"int8", 4, 4, 2.2},  /* open square, dash-dot */
    {"other", 12, 5, 2.2} /* open diamond, dash-dot-dot */
};
#define N_PREC (sizeof(prec_styles) / sizeof(prec_styles[0]))

static int is_bicubic(const vsr_report_row *r)
{
    return strcasecmp(r->model, "bicubic") == 0;
}

static size_t prec_index(const char *precision)
{
    for (size_t i = 0; i + 1 < N_PREC; i++)
        if (!strcasecmp(precision, prec_styles[i].name))
            return i;
    return N_PREC - 1;
}

/* Colour and marker of each row; the distinct models in order of appearance. */
typedef struct run_styles {
    char (*label)[200]; /* [n] "model/variant" */
    size_t *model;      /* [n] index of the row's model among the distinct ones */
    size_t *first;      /* [nmodels] first row of each model (bicubic is none) */
    size_t nmodels;
    unsigned prec_used; /* bit i: prec_styles[i] occurs (bicubic not counted) */
} run_styles;

static void run_styles_free(run_styles *st)
{
    free(st->label);
    free(st->model);
    free(st->first);
    memset(st, 0, sizeof(*st));
}

static int run_styles_make(const vsr_report_row *rows, size_t n, run_styles *st)
{
    memset(st, 0, sizeof(*st));
    size_t m = n ? n : 1;
    st->label = malloc(m * sizeof(*st->label));
    st->model = malloc(m * sizeof(*st->model));
    st->first = malloc(m * sizeof(*st->first));
    if (!st->label || !st->model || !st->first) {
        run_styles_free(st);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        vsr_report_row_label(&rows[i], st->label[i], sizeof(st->label[i]));
        st->model[i] = (size_t)-1;
        if (is_bicubic(&rows[i]))
            continue;
        st->prec_used |= 1u << prec_index(rows[i].precision);
        for (size_t k = 0; k < st->nmodels && st->model[i] == (size_t)-1; k++)
            if (!strcmp(st->label[st->first[k]], st->label[i]))
                st->model[i] = k;
        if (st->model[i] == (size_t)-1) {
            st->first[st->nmodels] = i;
            st->model[i] = st->nmodels++;
        }
    }
    return 0;
}

static unsigned row_rgb(const run_styles *st, size_t i)
{
    return st->model[i] == (size_t)-1 ? BICUBIC_RGB : model_rgb[st->model[i] % N_MODEL_RGB];
}

/* Key entries (no data): one per model colour, then one per precision marker. */
static void key_entries(FILE *f, const run_styles *st)
{
    if (st->nmodels)
        fputs(", \\\n     keyentry title 'Model (colour)'", f);
    for (size_t k = 0; k < st->nmodels; k++) {
        fprintf(f, ", \\\n     keyentry with points pt 7 ps 1.4 lc rgb '#%06x' title ",
                model_rgb[k % N_MODEL_RGB]);
        gp_str(f, st->label[st->first[k]]);
    }
    if (st->prec_used)
        fputs(", \\\n     keyentry title 'Precision (marker)'", f);
    for (size_t p = 0; p < N_PREC; p++)
        if (st->prec_used >> p & 1)
            fprintf(f,
                    ", \\\n     keyentry with points pt %d ps %.1f lw 1.5 lc rgb '#000000' "
                    "title '%s'",
                    prec_styles[p].pt, prec_styles[p].ps, prec_styles[p].name);
}

/* [lo, hi] widened by @p frac of its span on each side (in log space when
 * @p logscale), or by a fixed margin when it is one value, written as
 * "set AXISrange [a:b]". */
static void fit_range(FILE *f, const char *axis, double lo, double hi, double frac,
                      int logscale, double flat_margin)
{
    double a, b;
    if (logscale) {
        double r = hi > lo ? pow(hi / lo, frac) : 1.5;
        a = lo / r;
        b = hi * r;
    } else {
        double d = hi > lo ? (hi - lo) * frac : flat_margin;
        a = lo - d;
        b = hi + d;
    }
    fprintf(f, "set %srange [%.9g:%.9g]\n", axis, a, b);
}

/* Tics 1-2-5 per decade over [lo, hi] on a log axis: gnuplot puts one only
 * at each power of ten, which leaves a range under two decades with one tic. */
static void log_tics(FILE *f, const char *axis, double lo, double hi)
{
    static const double steps[3] = {1, 2, 5};
    fprintf(f, "set %stics (", axis);
    int k = 0;
    for (double d = pow(10, floor(log10(lo / 1.5))); d <= hi * 1.5 && k < 40; d *= 10)
        for (int j = 0; j < 3; j++) {
            double v = d * steps[j];
            if (v >= lo / 1.5 && v <= hi * 1.5)
                fprintf(f, "%s%.6g", k++ ? ", " : "", v);
        }
    fputs(")\n", f);
}

/* Each distinct bicubic PSNR among @p rows as a dashed reference line (plot
 * elements, each after ", "; @p f NULL: none, only counted). Returns how many. */
static int bicubic_lines(FILE *f, const vsr_report_row *rows, size_t n)
{
    int count = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_bicubic(&rows[i]) || !isfinite(rows[i].psnr))
            continue;
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = is_bicubic(&rows[j]) && fabs(rows[j].psnr - rows[i].psnr) < 1e-9;
        if (seen)
            continue;
        count++;
        if (!f) /* only counting */
            continue;
        char t[96];
        snprintf(t, sizeof(t), "bicubic %.2f dB", rows[i].psnr);
        fprintf(f, ", \\\n     %.9g with lines dt 2 lw 2 lc rgb '#%06x' title ", rows[i].psnr,
                BICUBIC_RGB);
        gp_str(f, t);
    }
    return count;
}

/*
 * The key outside the data: at the right when it fits there, else under the
 * plot in columns, else (a thumbnail) none rather than a key gnuplot cannot
 * fit. Sizes are estimates for the 11-point PNG font: ~6.5 px a character,
 * ~17 px a line, ~60 px for the sample and the box.
 */
static void key_place(FILE *f, const vsr_report_plot_opts *o, int entries, size_t maxchars)
{
    double w = o && o->width > 0 ? o->width : 960, h = o && o->height > 0 ? o->height : 640;
    double kw = (double)maxchars * 6.5 + 60, kh = entries * 17.0 + 12;
    if (kw <= 0.42 * w && kh <= h - 50) {
        fputs("set key outside right top vertical Left reverse box opaque samplen 3\n", f);
        return;
    }
    int cols = (int)((w - 20) / kw);
    int rows = cols > 0 ? (entries + cols - 1) / cols : entries + 1;
    if (cols > 0 && rows * 17.0 + 12 <= 0.3 * h) {
        fprintf(f,
                "set key outside bottom center horizontal Left reverse box opaque samplen 3 "
                "maxcols %d\n",
                cols);
        return;
    }
    fputs("unset key\n", f);
}

/* ---- PSNR vs ms (Pareto) and PSNR vs params ---------------------------- */

/*
 * Points without text labels (they collide once runs crowd): the key names
 * every model colour and precision marker. Bicubic is a dashed reference line
 * (and in the runtime plot also its point: it has a runtime but no params).
 * Ranges are set from the data (with the timing intervals) so nothing sits on
 * the frame and autoscaling does not stretch to far tics.
 */
static int scatter(const char *dir, const char *name, const char *title,
                   const vsr_report_row *rows, size_t n, int by_params,
                   const vsr_report_plot_opts *opts, vsr_error *err)
{
    double *x = malloc((n ? n : 1) * sizeof(double));
    double *y = malloc((n ? n : 1) * sizeof(double));
    unsigned char *front = malloc(n ? n : 1);
    unsigned char *noisy = malloc(n ? n : 1);
    struct membuf s = {0};
    struct membuf b = {0};
    run_styles st = {0};
    int rc = 0;
    if (!x || !y || !front || !noisy || run_styles_make(rows, n, &st)) {
        rc = vsr_error_set(err, -ENOMEM, "plot %s: out of memory", name);
        goto done;
    }
    for (size_t i = 0; i < n; i++) /* a noisy timing is no evidence for a front */
        noisy[i] = !by_params && rows[i].noisy;
    size_t usable = 0;
    /* x range including the error bars, y range including bicubic */
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        x[i] = by_params ? rows[i].params / 1e3 : rows[i].ms_median;
        y[i] = rows[i].psnr;
        /* gnuplot cannot place +inf (lossless PSNR) nor 0 on a log axis; bicubic
         * has no parameters and is its line in the params plot. */
        if (isfinite(x[i]) && isfinite(y[i]) && x[i] > 0 &&
            !(by_params && is_bicubic(&rows[i]))) {
            usable++;
            double lo = !by_params && isfinite(rows[i].ms_lo) ? rows[i].ms_lo : x[i];
            double hi = !by_params && isfinite(rows[i].ms_hi) ? rows[i].ms_hi : x[i];
            xmin = fmin(xmin, fmin(x[i], lo > 0 ? lo : x[i]));
            xmax = fmax(xmax, fmax(x[i], hi));
            ymin = fmin(ymin, y[i]);
            ymax = fmax(ymax, y[i]);
        } else {
            x[i] = NAN;
        }
    }
    if (!usable) {
        rc = vsr_error_set(err, -ENODATA, "plot %s: no run has both PSNR and %s", name,
                           by_params ? "params" : "ms/frame");
        goto done;
    }
    long nfront = vsr_report_pareto_clean(x, y, noisy, n, front);
    size_t nnoisy = 0;
    for (size_t i = 0; i < n; i++)
        nnoisy += noisy[i] && !isnan(x[i]);
    if (nfront < 0) {
        rc = vsr_error_set(err, -ENOMEM, "plot %s: out of memory", name);
        goto done;
    }
    if ((rc = script_open(&s, err)) || (rc = membuf_open(&b, err)))
        goto done;
    /* columns: x y "label precision" front lo hi noisy marker colour */
    fputs("$pts << EOD\n", s.f);
    /* in precision order: the open markers are drawn over the filled fp32 one */
    for (size_t p = 0; p < N_PREC * n; p++) {
        size_t i = p % n;
        if (prec_index(rows[i].precision) != p / n || isnan(x[i]) || isnan(y[i]))
            continue;
        char label[260];
        snprintf(label, sizeof(label), "%s %s%s", st.label[i], rows[i].precision,
                 noisy[i] ? " (noisy)" : "");
        fprintf(s.f, "%.9g %.9g ", x[i], y[i]);
        gp_label(s.f, label);
        /* the median's 95% interval (error bar; the point itself when unknown) */
        double lo = by_params || !isfinite(rows[i].ms_lo) ? x[i] : rows[i].ms_lo;
        double hi = by_params || !isfinite(rows[i].ms_hi) ? x[i] : rows[i].ms_hi;
        int pt = is_bicubic(&rows[i]) ? 7 : prec_styles[prec_index(rows[i].precision)].pt;
        fprintf(s.f, " %d %.9g %.9g %d %d 0x%06x\n", by_params ? 1 : front[i], lo, hi, noisy[i],
                pt, row_rgb(&st, i));
    }
    fputs("EOD\n$front << EOD\n", s.f);
    /* The front sorted by x, duplicates drawn once. */
    double last_x = NAN, last_y = NAN;
    for (;;) {
        size_t best = (size_t)-1;
        for (size_t i = 0; i < n; i++) {
            if (!front[i])
                continue;
            int after = isnan(last_x) || x[i] > last_x || (x[i] == last_x && y[i] > last_y);
            if (after && (best == (size_t)-1 || x[i] < x[best]))
                best = i;
        }
        if (best == (size_t)-1)
            break;
        if (!(x[best] == last_x && y[best] == last_y))
            fprintf(s.f, "%.9g %.9g\n", x[best], y[best]);
        last_x = x[best];
        last_y = y[best];
    }
    fputs("EOD\n", s.f);

    common_style(b.f, title);
    int logx = by_params || (xmin > 0 && xmax / xmin > 20);
    fprintf(b.f, "set xlabel %s\nset ylabel 'PSNR [dB]'\n",
            by_params ? "'Parameters [K] (log scale)'"
            : logx    ? "'Runtime [ms per LR frame] (log scale)'"
                      : "'Runtime [ms per LR frame], median with 95% interval'");
    if (logx)
        fputs("set logscale x\n", b.f);
    for (size_t i = 0; i < n; i++) /* the reference lines are in the y range */
        if (is_bicubic(&rows[i]) && isfinite(rows[i].psnr)) {
            ymin = fmin(ymin, rows[i].psnr);
            ymax = fmax(ymax, rows[i].psnr);
        }
    fit_range(b.f, "x", xmin, xmax, 0.06, logx, fmax(0.5, fabs(xmin) * 0.1));
    if (logx)
        log_tics(b.f, "x", xmin, xmax);
    fit_range(b.f, "y", ymin, ymax, 0.08, 0, 0.5);
    /* The key outside the plot area never covers a point. */
    {
        int entries = (!by_params && nfront) + (nnoisy > 0) + bicubic_lines(NULL, rows, n) +
                      (st.nmodels ? 1 + (int)st.nmodels : 0);
        size_t maxchars = 20; /* "noisy timing (off the front)" */
        for (size_t p = 0; p < N_PREC; p++)
            entries += (int)(st.prec_used >> p & 1) + (p == 0 && st.prec_used);
        for (size_t k = 0; k < st.nmodels; k++)
            if (strlen(st.label[st.first[k]]) > maxchars)
                maxchars = strlen(st.label[st.first[k]]);
        key_place(b.f, opts, entries, nnoisy ? 28 > maxchars ? 28 : maxchars : maxchars);
    }
    /* Elements that would have no point are left out (gnuplot warns on them):
     * all runs noisy leaves no front. */
    fputs("plot ", b.f);
    if (!by_params && nfront)
        fputs("$front using 1:2 with steps lw 1.5 lc rgb '#999999' "
              "title 'Pareto front', \\\n     ",
              b.f);
    if (!by_params)
        fputs("$pts using 1:2:5:6:9 with xerrorbars pt -1 lw 1.2 lc rgb variable notitle, "
              "\\\n     ",
              b.f);
    fputs("$pts using 1:2:8:9 with points pt variable ps 1.6 lw 1.5 lc rgb variable notitle",
          b.f);
    if (nnoisy)
        fputs(", \\\n     $pts using 1:($7 > 0.5 ? $2 : NaN) with points pt 6 ps 3 lw 1 "
              "lc rgb '#bbbbbb' title 'noisy timing (off the front)'",
              b.f);
    bicubic_lines(b.f, rows, n);
    key_entries(b.f, &st);
    fputc('\n', b.f);
done:
    rc = script_finish(&s, &b, rc, dir, name, opts, err);
    run_styles_free(&st);
    free(x);
    free(y);
    free(front);
    free(noisy);
    return rc;
}
int vsr_report_plot_pareto(const char *dir, const char *name, const char *title,
                           const vsr_report_row *rows, size_t n,
                           const vsr_report_plot_opts *opts, vsr_error *err)
{
    return scatter(dir, name, title, rows, n, 0, opts, err);
}

int vsr_report_plot_params(const char *dir, const char *name, const char *title,
                           const vsr_report_row *rows, size_t n,
                           const vsr_report_plot_opts *opts, vsr_error *err)
{
    return scatter(dir, name, title, rows, n, 1, opts, err);
}

/* ---- per-frame PSNR ---------------------------------------------------- */

/* Which (marker, dash) pair of prec_styles row @p r's curve takes: its
 * precision's, or with @p by_model (a plot of one precision, named in every
 * key entry) one per model, so close curves of different models differ too. */
static size_t curve_style(const run_styles *st, const vsr_report_row *rows, size_t r,
                          int by_model)
{
    return by_model ? st->model[r] % N_PREC : prec_index(rows[r].precision);
}

/* The style of row @p r's curve of @p m points ("with ..."). */
static void frame_style(FILE *f, const run_styles *st, const vsr_report_row *rows, size_t r,
                        size_t m, int by_model)
{
    size_t k = curve_style(st, rows, r, by_model);
    const struct prec_style *ps = &prec_styles[k];
    if (is_bicubic(&rows[r]))
        fprintf(f, "with %s lw 2.5 dt 2 lc rgb '#%06x'", m > 1 ? "lines" : "points pt 7 ps 1.4",
                BICUBIC_RGB);
    else if (m > 1)
        /* the solid style wide under the thin dashed others: a curve that
         * another one hides shows as the wide line's rim and its markers */
        fprintf(f, "with linespoints lw %.1f dt %d pt %d ps %.2f lc rgb '#%06x'",
                k == 0 ? (by_model ? 2.2 : 3.0) : 1.5, ps->dt, ps->pt,
                ps->ps * (k == 0 ? 0.55 : 0.8), row_rgb(st, r));
    else /* one frame: a point */
        fprintf(f, "with points lw 1.5 pt %d ps %.1f lc rgb '#%06x'", ps->pt, ps->ps,
                row_rgb(st, r));
}

/*
 * One curve per row: colour = model, dash pattern and marker = precision
 * (so curves that coincide stay told apart), bicubic grey and dashed under
 * the others as the reference. The x range is padded by half a frame so a
 * clip of one frame is a point in a range, not an empty range.
 */
int vsr_report_plot_frames(const char *dir, const char *name, const char *title,
                           const vsr_report_row *rows, size_t nrows,
                           const vsr_report_frame_point *pts, size_t npts,
                           const vsr_report_plot_opts *opts, vsr_error *err)
{
    struct membuf s = {0};
    struct membuf b = {0};
    run_styles st = {0};
    int rc;
    if (!npts)
        return vsr_error_set(err, -ENODATA, "plot %s: no per-frame metrics", name);
    size_t *m = malloc((nrows ? nrows : 1) * sizeof(*m));
    if (!m || run_styles_make(rows, nrows, &st)) {
        free(m);
        return vsr_error_set(err, -ENOMEM, "plot %s: out of memory", name);
    }
    int fmin_ = INT_MAX, fmax_ = INT_MIN;
    double ymin = INFINITY, ymax = -INFINITY;
    for (size_t i = 0; i < npts; i++)
        if (pts[i].row < nrows && isfinite(pts[i].psnr)) {
            fmin_ = pts[i].frame < fmin_ ? pts[i].frame : fmin_;
            fmax_ = pts[i].frame > fmax_ ? pts[i].frame : fmax_;
            ymin = fmin(ymin, pts[i].psnr);
            ymax = fmax(ymax, pts[i].psnr);
        }
    if (fmin_ > fmax_) {
        run_styles_free(&st);
        free(m);
        return vsr_error_set(err, -ENODATA, "plot %s: no per-frame PSNR values", name);
    }
    if ((rc = script_open(&s, err)) || (rc = membuf_open(&b, err)))
        goto done;
    common_style(b.f, title);
    fprintf(b.f,
            "set xlabel 'Frame index'\nset ylabel 'PSNR [dB]'\n"
            "set xrange [%g:%g]\n",
            fmin_ - 0.5, fmax_ + 0.5);
    if (fmax_ - fmin_ < 10)
        fputs("set xtics 1\nunset mxtics\n", b.f);
    fit_range(b.f, "y", ymin, ymax, 0.06, 0, 0.5);
    /* One datablock per row with points; m[r] = its point count. */
    for (size_t r = 0; r < nrows; r++) {
        m[r] = 0;
        for (size_t i = 0; i < npts; i++) {
            if (pts[i].row != r || !isfinite(pts[i].psnr))
                continue;
            if (!m[r])
                fprintf(s.f, "$r%zu << EOD\n", r);
            m[r]++;
            fprintf(s.f, "%d %.9g\n", pts[i].frame, pts[i].psnr);
        }
        if (m[r])
            fputs("EOD\n", s.f);
    }
    {
        int entries = 0;
        size_t maxchars = 0;
        for (size_t r = 0; r < nrows; r++)
            if (m[r]) {
                entries++;
                size_t l = strlen(st.label[r]) + strlen(rows[r].precision) + 12;
                maxchars = l > maxchars ? l : maxchars;
            }
        key_place(b.f, opts, entries, maxchars);
    }
    fputs("plot ", b.f);
    /* one precision (bicubic aside): marker and dash tell the models apart */
    unsigned used = 0; /* precisions of the curves drawn */
    for (size_t r = 0; r < nrows; r++)
        if (m[r] && !is_bicubic(&rows[r]))
            used |= 1u << prec_index(rows[r].precision);
    int by_model = used && !(used & (used - 1));
    /* Drawn bicubic first (under the models), then fp32 before the open
     * markers of the other precisions; the key lists them by model instead. */
    int first = 1;
    for (size_t p = 0; p <= N_PREC; p++)
        for (size_t r = 0; r < nrows; r++) {
            int bic = is_bicubic(&rows[r]);
            if (!m[r] || (bic ? 0 : 1 + curve_style(&st, rows, r, by_model)) != p)
                continue;
            fprintf(b.f, "%s$r%zu using 1:2 ", first ? "" : ", \\\n     ", r);
            frame_style(b.f, &st, rows, r, m[r], by_model);
            fputs(" notitle", b.f);
            first = 0;
        }
    for (size_t k = 0; !first && k <= st.nmodels; k++) /* k == 0: bicubic */
        for (size_t q = 0; q < N_PREC * nrows; q++) {
            size_t r = q % nrows;
            if (!m[r] || (k ? st.model[r] != k - 1 : !is_bicubic(&rows[r])) ||
                prec_index(rows[r].precision) != q / nrows)
                continue;
            char label[260];
            snprintf(label, sizeof(label), k ? "%s %s" : "%s (reference)", st.label[r],
                     rows[r].precision);
            fputs(", \\\n     keyentry ", b.f);
            frame_style(b.f, &st, rows, r, m[r], by_model);
            fputs(" title ", b.f);
            gp_str(b.f, label);
        }
    fputc('\n', b.f);
    if (first)
        rc = vsr_error_set(err, -ENODATA, "plot %s: no per-frame PSNR values", name);
done:
    rc = script_finish(&s, &b, rc, dir, name, opts, err);
    run_styles_free(&st);
    free(m);
    return rc;
}

/* ---- training curves ---------------------------------------------------- */

/* "name (model)" as a key title. */
static void train_label(FILE *f, const vsr_report_train_run *r)
{
    char label[160];
    snprintf(label, sizeof(label), "%s (%s)", r->name, r->model);
    gp_str(f, label);
}

/* Shared body of the two training plots: @p val 0 = loss (log y), 1 = val PSNR. */
static int plot_train(const char *dir, const char *name, const char *title,
                      const vsr_report_train_run *runs, size_t n, int val,
                      const vsr_report_plot_opts *opts, vsr_error *err)
{
    struct membuf s = {0};
    struct membuf b = {0};
    int rc;
    if ((rc = script_open(&s, err)) || (rc = membuf_open(&b, err)))
        goto done;
    /* Data first: the ranges come from it (and from the bicubic lines). */
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    size_t *cnt = calloc(n ? n : 1, sizeof(*cnt));
    if (!cnt) {
        rc = vsr_error_set(err, -ENOMEM, "plot %s: out of memory", name);
        goto done;
    }
    for (size_t r = 0; r < n; r++) {
        for (size_t i = 0; i < runs[r].n; i++) {
            double v = val ? runs[r].val[i] : runs[r].loss[i];
            if (!isfinite(v) || (!val && v <= 0))
                continue;
            if (!cnt[r]++)
                fprintf(s.f, "$t%zu << EOD\n", r);
            fprintf(s.f, "%ld %.9g\n", runs[r].step[i], v);
            xmin = fmin(xmin, (double)runs[r].step[i]);
            xmax = fmax(xmax, (double)runs[r].step[i]);
            ymin = fmin(ymin, v);
            ymax = fmax(ymax, v);
        }
        if (cnt[r])
            fputs("EOD\n", s.f);
        if (val && cnt[r] && isfinite(runs[r].bicubic_psnr)) {
            ymin = fmin(ymin, runs[r].bicubic_psnr);
            ymax = fmax(ymax, runs[r].bicubic_psnr);
        }
    }
    common_style(b.f, title);
    if (val)
        fputs("set xlabel 'Step'\nset ylabel 'Validation Y-PSNR [dB]'\n", b.f);
    else
        fputs("set xlabel 'Step'\nset ylabel 'Training loss (log scale)'\nset logscale y\n"
              "set format y '%g'\n",
              b.f);
    {
        int entries = 0;
        size_t maxchars = 16; /* "bicubic 25.30 dB" */
        for (size_t r = 0; r < n; r++) {
            entries += cnt[r] > 0;
            entries += val && cnt[r] && isfinite(runs[r].bicubic_psnr); /* at most */
            size_t l = strlen(runs[r].name) + strlen(runs[r].model) + 3;
            maxchars = cnt[r] && l > maxchars ? l : maxchars;
        }
        key_place(b.f, opts, entries, maxchars);
    }
    if (xmin <= xmax) {
        fit_range(b.f, "x", xmin, xmax, 0.02, 0, fmax(1, xmin * 0.1));
        fit_range(b.f, "y", ymin, ymax, 0.06, !val, 0.5);
        if (!val)
            log_tics(b.f, "y", ymin, ymax);
    }
    fputs("plot ", b.f);
    /* Colour = model; the runs of one model differ in dash pattern and marker
     * (markers every ~12th point), the model's first run wide underneath. */
    int first = 1;
    for (size_t r = 0; r < n; r++) {
        if (!cnt[r])
            continue;
        /* model: r's model's place among the plotted models; nth: how many
         * earlier plotted runs have r's model */
        size_t model = 0, nth = 0;
        int found = 0;
        for (size_t q = 0; q < r; q++) {
            if (!cnt[q])
                continue;
            int earlier = 0; /* q's model appeared before q */
            for (size_t u = 0; u < q && !earlier; u++)
                earlier = cnt[u] && !strcmp(runs[u].model, runs[q].model);
            if (!strcmp(runs[q].model, runs[r].model)) {
                nth++;
                found = 1;
            } else if (!earlier && !found) {
                model++;
            }
        }
        const struct prec_style *cs = &prec_styles[nth % N_PREC]; /* (marker, dash) pairs */
        fprintf(b.f,
                "%s$t%zu using 1:2 with linespoints pi %zu lw %.1f dt %d pt %d ps %.1f "
                "lc rgb '#%06x' title ",
                first ? "" : ", \\\n     ", r, cnt[r] > 24 ? cnt[r] / 12 : 1, nth ? 1.5 : 2.8,
                cs->dt, cs->pt, nth ? 1.2 : 0.8, model_rgb[model % N_MODEL_RGB]);
        train_label(b.f, &runs[r]);
        first = 0;
    }
    /* bicubic: one dashed line per distinct value */
    for (size_t r = 0; val && !first && r < n; r++) {
        double v = runs[r].bicubic_psnr;
        int seen = isnan(v);
        for (size_t q = 0; q < r && !seen; q++)
            seen = fabs(runs[q].bicubic_psnr - v) < 1e-9;
        if (seen)
            continue;
        char t[64];
        snprintf(t, sizeof(t), "bicubic %.2f dB", v);
        fprintf(b.f, ", \\\n     %.9g with lines dt 2 lw 2 lc rgb '#%06x' title ", v,
                BICUBIC_RGB);
        gp_str(b.f, t);
    }
    free(cnt);
    fputc('\n', b.f);
    if (first)
        rc = vsr_error_set(err, -ENODATA, "plot %s: no training %s", name,
                           val ? "validation points" : "points");
done:
    rc = script_finish(&s, &b, rc, dir, name, opts, err);
    return rc;
}

int vsr_report_plot_train_loss(const char *dir, const char *name, const char *title,
                               const vsr_report_train_run *runs, size_t n,
                               const vsr_report_plot_opts *opts, vsr_error *err)
{
    return plot_train(dir, name, title, runs, n, 0, opts, err);
}

int vsr_report_plot_train_val(const char *dir, const char *name, const char *title,
                              const vsr_report_train_run *runs, size_t n,
                              const vsr_report_plot_opts *opts, vsr_error *err)
{
    return plot_train(dir, name, title, runs, n, 1, opts, err);
}

/* ---- ablation bars ----------------------------------------------------- */

int vsr_report_plot_ablation(const char *dir, const char *name, const char *title,
                             const vsr_report_table *t, const vsr_report_plot_opts *opts,
                             vsr_error *err)
{
    struct membuf s = {0};
    struct membuf b = {0};
    int rc;
    if (!t->nrows || t->ncols != VSR_ABL_NCOLS)
        return vsr_error_set(err, -ENODATA, "plot %s: empty ablation table", name);
    if ((rc = script_open(&s, err)) || (rc = membuf_open(&b, err)))
        goto done;
    fputs("$d << EOD\n", s.f);
    /* Base rows are 0 by definition: drawn only when there is nothing else. */
    size_t bars = 0, nonbase = 0;
    for (size_t r = 0; r < t->nrows; r++)
        nonbase += strstr(t->cells[r * VSR_ABL_NCOLS + VSR_ABL_VARIANT], " (base)") == NULL;
    for (size_t r = 0; r < t->nrows; r++) {
        const double *k = &t->keys[r * VSR_ABL_NCOLS];
        char *const *c = &t->cells[r * VSR_ABL_NCOLS];
        if (nonbase && strstr(c[VSR_ABL_VARIANT], " (base)"))
            continue;
        char label[200];
        snprintf(label, sizeof(label), "%s %s %s", c[VSR_ABL_VARIANT], c[VSR_ABL_PRECISION],
                 c[VSR_ABL_DATA]);
        fprintf(s.f, "%zu ", bars++);
        fprintf(s.f, isnan(k[VSR_ABL_DPSNR]) ? "NaN " : "%.9g ", k[VSR_ABL_DPSNR]);
        fprintf(s.f, isnan(k[VSR_ABL_DMS]) ? "NaN " : "%.9g ", k[VSR_ABL_DMS]);
        gp_label(s.f, label);
        fputc('\n', s.f);
    }
    fputs("EOD\n", s.f);
    fputs("set multiplot layout 2,1 title ", b.f);
    gp_str(b.f, title);
    fputs("\nset style fill solid 0.85 border -1\nset boxwidth 0.6\nunset key\n"
          "set grid ytics lc rgb '#dddddd'\nset xzeroaxis lt -1\n"
          "set rmargin 12\n", /* room for the last rotated name */
          b.f);
    /* Bar names rotated under each panel while they fit its height (about
     * 3.3 px down per character at size 8), else numbered bars. */
    size_t longest = 0;
    for (size_t r = 0; r < t->nrows; r++) {
        char *const *c = &t->cells[r * VSR_ABL_NCOLS];
        size_t l = strlen(c[VSR_ABL_VARIANT]) + strlen(c[VSR_ABL_PRECISION]) +
                   strlen(c[VSR_ABL_DATA]) + 2;
        longest = l > longest ? l : longest;
    }
    int height = opts && opts->height > 0 ? opts->height : 640;
    int names = longest * 3.3 <= 0.25 * height;
    fputs(names ? "set xtics rotate by -40 left font ',8' nomirror\n"
                : "set xtics 1 font ',8' nomirror\n",
          b.f);
    fprintf(b.f, "set xrange [-0.7:%.1f]\n", (double)bars - 0.3);
    /* Explicit y ranges that include 0 (all-zero deltas would be an empty range). */
    for (int col = 0; col < 2; col++) {
        double lo = 0, hi = 0;
        for (size_t r = 0; r < t->nrows; r++) {
            double v = t->keys[r * VSR_ABL_NCOLS + (col ? VSR_ABL_DMS : VSR_ABL_DPSNR)];
            if (isfinite(v)) {
                lo = fmin(lo, v);
                hi = fmax(hi, v);
            }
        }
        if (hi - lo < 1e-9)
            lo = -1, hi = 1;
        double pad = 0.2 * (hi - lo); /* room for the value labels */
        fprintf(b.f, "set yrange [%.9g:%.9g]\n", lo - pad, hi + pad);
        int c = col + 2;
        fprintf(b.f,
                "set ylabel '%s'\n"
                "plot $d using 1:%d:($%d %s 0 ? 0x2ca02c : 0xd62728)%s with boxes "
                "lc rgb variable",
                col ? "\xce\x94ms/frame vs base [ms]" : "\xce\x94PSNR vs base [dB]", c, c,
                col ? "<=" : ">=", names ? ":xtic(4)" : "");
        /* value labels (while they fit) above a bar that goes up, under one that
         * goes down; a side with no bar is left out (gnuplot warns on it) */
        if (bars <= 16 && hi > 0)
            fprintf(b.f,
                    ", \\\n     $d using 1:($%d >= 0 ? $%d : NaN):(sprintf('%%+.2f', $%d)) "
                    "with labels offset 0,0.7 font ',8'",
                    c, c, c);
        if (bars <= 16 && lo < 0)
            fprintf(b.f,
                    ", \\\n     $d using 1:($%d < 0 ? $%d : NaN):(sprintf('%%+.2f', $%d)) "
                    "with labels offset 0,-0.7 font ',8'",
                    c, c, c);
        fputc('\n', b.f);
    }
    fputs("unset multiplot\n", b.f);
done:
    rc = script_finish(&s, &b, rc, dir, name, opts, err);
    return rc;
}

/* ---- grouped bars ------------------------------------------------------- */

int vsr_report_plot_bars(const char *dir, const char *name, const char *title,
                         const char *const *labels, size_t n, const char *const *series,
                         int nseries, const double *values, const char *ylabel,
                         const vsr_report_plot_opts *opts, vsr_error *err)
{
    struct membuf s = {0};
    struct membuf b = {0};
    vsr_report_plot_opts def = {0};
    int rc;
    if (!n || nseries < 1)
        return vsr_error_set(err, -ENODATA, "plot %s: no bars", name);
    if ((rc = script_open(&s, err)) || (rc = membuf_open(&b, err)))
        goto done;
    fputs("$d << EOD\n", s.f);
    for (size_t i = 0; i < n; i++) {
        fprintf(s.f, "%zu", i);
        for (int k = 0; k < nseries; k++) {
            double v = values[i * (size_t)nseries + (size_t)k];
            fprintf(s.f, isfinite(v) ? " %.9g" : " NaN", v);
        }
        fputc(' ', s.f);
        gp_label(s.f, labels[i]);
        fputc('\n', s.f);
    }
    fputs("EOD\n", s.f);
    common_style(b.f, title);
    fputs("set style data histogram\nset style histogram clustered gap 1\n"
          "set style fill solid 0.85 border -1\nset xtics rotate by -40 left font ',8' "
          "nomirror\nunset mxtics\nset xzeroaxis lt -1\nset rmargin 12\nset bmargin 10\n"
          "set key outside top center horizontal\nset ylabel ",
          b.f);
    gp_str(b.f, ylabel);
    fputs("\nplot", b.f);
    for (int k = 0; k < nseries; k++) {
        if (k)
            fprintf(b.f, ", \\\n     $d using %d title ", k + 2);
        else
            fprintf(b.f, " $d using 2:xtic(%d) title ", nseries + 2);
        gp_str(b.f, series[k]);
    }
    fputc('\n', b.f);
done:
    rc = script_finish(&s, &b, rc, dir, name, opts ? opts : &def, err);
    return rc;
}

/* ---- tune heat map ----------------------------------------------------- */

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Sorted distinct values of @p v (n entries) in place; returns the count. */
static size_t distinct(int *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_int);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!m || v[m - 1] != v[i])
            v[m++] = v[i];
    return m;
}

int vsr_report_plot_tune(const char *dir, const char *name, const char *title,
                         const vsr_report_tune_point *pts, size_t n,
                         const vsr_report_plot_opts *opts, vsr_error *err)
{
    struct membuf s = {0};
    struct membuf b = {0};
    int rc = 0;
    if (!n)
        return vsr_error_set(err, -ENODATA, "plot %s: no tune results", name);
    int *tiles = malloc(n * sizeof(int)), *pads = malloc(n * sizeof(int)),
        *thr = malloc(n * sizeof(int));
    if (!tiles || !pads || !thr) {
        rc = vsr_error_set(err, -ENOMEM, "plot %s: out of memory", name);
        goto done;
    }
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        tiles[i] = pts[i].tile;
        pads[i] = pts[i].pad;
        thr[i] = pts[i].threads;
        if (!isnan(pts[i].ms_median)) {
            lo = fmin(lo, pts[i].ms_median);
            hi = fmax(hi, pts[i].ms_median);
        }
    }
    size_t nt = distinct(tiles, n), np = distinct(pads, n), nth = distinct(thr, n);
    /* Characters of the cell labels' font (about 6 px at size 8) that fit a
     * cell: each panel gets the width over the panels minus its colour box. */
    int width = opts && opts->width > 0 ? opts->width : 960;
    int cell_chars = (int)(((double)width / (double)nth - 150) / (double)nt / 6.5);
    int any_noisy = 0, any_score = 0;
    for (size_t i = 0; i < n; i++) {
        any_noisy |= pts[i].noisy && !isnan(pts[i].ms_median);
        any_score |= isfinite(pts[i].score);
    }
    if ((rc = script_open(&s, err)) || (rc = membuf_open(&b, err)))
        goto done;
    for (size_t k = 0; k < nth; k++) {
        fprintf(s.f, "$t%zu << EOD\n", k);
        /* A full grid (image needs one); missing cells are NaN. */
        for (size_t pi = 0; pi < np; pi++) {
            for (size_t ti = 0; ti < nt; ti++) {
                double ms = NAN;
                for (size_t i = 0; i < n; i++)
                    if (pts[i].threads == thr[k] && pts[i].tile == tiles[ti] &&
                        pts[i].pad == pads[pi])
                        ms = pts[i].ms_median;
                if (isnan(ms))
                    fprintf(s.f, "%zu %zu NaN\n", ti, pi);
                else
                    fprintf(s.f, "%zu %zu %.6g\n", ti, pi, ms);
            }
            fputc('\n', s.f);
        }
        fputs("EOD\n", s.f);
        /* Labels of the measured cells, one line each (columns 3-5): ms (a '*'
         * when noisy), the median's interval and the seam loss, the last two
         * only when they fit the cell (they are in the tune table too). */
        fprintf(s.f, "$l%zu << EOD\n", k);
        for (size_t i = 0; i < n; i++) {
            if (pts[i].threads != thr[k] || isnan(pts[i].ms_median))
                continue;
            size_t ti = 0, pi = 0;
            while (tiles[ti] != pts[i].tile)
                ti++;
            while (pads[pi] != pts[i].pad)
                pi++;
            char ms[48], ci[64] = "", dp[32] = "";
            snprintf(ms, sizeof(ms), "%.1f%s", pts[i].ms_median, pts[i].noisy ? "*" : "");
            if (isfinite(pts[i].ms_lo) && isfinite(pts[i].ms_hi) &&
                snprintf(ci, sizeof(ci), "%.1f-%.1f", pts[i].ms_lo, pts[i].ms_hi) > cell_chars)
                ci[0] = '\0';
            if (isfinite(pts[i].dpsnr) && fabs(pts[i].dpsnr) >= 0.005 &&
                (snprintf(dp, sizeof(dp), "%+.2f dB", pts[i].dpsnr) > cell_chars || np > 8))
                dp[0] = '\0';
            char sc[48] = "";
            if (isfinite(pts[i].score))
                snprintf(sc, sizeof(sc), "s %.4g", pts[i].score);
            fprintf(s.f, "%zu %zu \"%s\" \"%s\" \"%s\"", ti, pi, ms, np > 5 ? "" : ci, dp);
            if (any_score) /* (the labels of sessions without a score stay as they were) */
                fprintf(s.f, " \"%s\"", sc);
            fputc('\n', s.f);
        }
        fputs("EOD\n", s.f);
    }
    fprintf(b.f, "set multiplot layout 1,%zu title ", nth);
    {
        char t[600]; /* what a cell says, under the title */
        snprintf(t, sizeof(t),
                 "%s; cells: median ms%s, 95%% interval, PSNR change vs untiled%s", title,
                 any_noisy ? " (* noisy)" : "", any_score ? ", s = score" : "");
        gp_str(b.f, t);
    }
    fputs("\nset xlabel 'Tile [LR px] (none = untiled)'\nset ylabel 'Pad [LR px]'\n"
          "set cblabel 'Runtime [ms per LR frame]'\nset palette defined (0 '#2c7bb6', 1 "
          "'#ffffbf', 2 '#d7191c')\nset tics out nomirror\nunset key\n",
          b.f);
    if (hi > lo)
        fprintf(b.f, "set cbrange [%.6g:%.6g]\n", lo, hi);
    fputs("set xtics (", b.f);
    for (size_t i = 0; i < nt; i++) {
        if (tiles[i] == 0)
            fprintf(b.f, "%s'none' %zu", i ? ", " : "", i);
        else
            fprintf(b.f, "%s'%d' %zu", i ? ", " : "", tiles[i], i);
    }
    fputs(")\nset ytics (", b.f);
    for (size_t i = 0; i < np; i++)
        fprintf(b.f, "%s'%d' %zu", i ? ", " : "", pads[i], i);
    fprintf(b.f, ")\nset xrange [-0.5:%zu.5]\nset yrange [-0.5:%zu.5]\n", nt - 1, np - 1);
    for (size_t k = 0; k < nth; k++) {
        fprintf(b.f, "set title '%d thread%s'\n", thr[k], thr[k] == 1 ? "" : "s");
        fprintf(b.f,
                "plot $t%zu using 1:2:3 with image, \\\n"
                "     $l%zu using 1:2:3 with labels offset 0,%s font ',9', \\\n"
                "     $l%zu using 1:2:4 with labels font ',8', \\\n"
                "     $l%zu using 1:2:5 with labels offset 0,-1 font ',8'%s",
                k, k, np > 5 ? "0.5" : "1", k, k, any_score ? ", \\\n" : "\n");
        if (any_score)
            fprintf(b.f, "     $l%zu using 1:2:6 with labels offset 0,-2 font ',8'\n", k);
    }
    fputs("unset multiplot\n", b.f);
done:
    rc = script_finish(&s, &b, rc, dir, name, opts, err);
    free(tiles);
    free(pads);
    free(thr);
    return rc;
}
