/*
 * bench_metrics: speed of vsrbench's PSNR, SSIM (RGB and Y) and NIQE on
 * 1280x720 frames (median of repeats, 1 and 2 threads), and of FFmpeg's own
 * psnr and ssim filters on the same frames, run as `ffmpeg -lavfi` on raw
 * planar files this program writes. FFmpeg's per-frame time is
 * (time with the filter - time of the same command without it) / frames,
 * so process start-up and file reading cancel out.
 *
 * A second table compares each metric called through the public function
 * (fresh buffers every call, as before issue 20) with a registry instance
 * that keeps its scratch across frames (vsr_metrics_ctx_run), in wall
 * time, process CPU time and minor page faults per frame, so the figures
 * hold up when other jobs share the cores. It runs first (see main);
 * --reuse-only prints only it.
 *
 * A third table is the anchor for the definitions: BasicSR v1.4.2's own
 * calculate_ssim (RGB and Y) and calculate_niqe, as re-implemented on
 * numpy/scipy in scripts/basicsr_metrics.py (its header states the
 * provenance), run by Debian's python3 ($VSR_PYTHON, default
 * /usr/bin/python3; one BLAS thread) on the same two frames, timed in the
 * same way as vsrbench's registry instance at one thread (median wall and
 * CPU ms of --basicsr-repeats runs after a warm-up), with both values and
 * the speed ratios. --basicsr-only prints only it; --no-basicsr skips it.
 *
 * usage: bench_metrics [--repeats N] [--ffmpeg-frames N] [--no-ffmpeg] [--niqe-model P]
 *                      [--cpu] [--reuse-only] [--no-basicsr] [--basicsr-only]
 *                      [--basicsr-repeats N]
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "ssim_internal.h"
#include "vsr/core.h"
#include "vsr/metrics.h"

enum { W = 1280, H = 720 };

/* --cpu: time 1-thread runs in process CPU time (robust when other jobs share
 * the cores; meaningless for the 2-thread column, which then sums both). */
static clockid_t clock_id = CLOCK_MONOTONIC;

static double now_ms(void)
{
    if (clock_id == CLOCK_MONOTONIC)
        return vsr_clock_ms();
    struct timespec t;
    clock_gettime(clock_id, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), cmp_d);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Deterministic test content: smooth gradients, a flat area, texture and
 * noise; sr = gt with small deterministic errors (like an SR output). */
static void make_frames(vsr_frame *gt, vsr_frame *sr)
{
    unsigned s = 12345;
    for (int y = 0; y < H; y++) {
        uint8_t *g = vsr_frame_row(gt, y), *r = vsr_frame_row(sr, y);
        for (int x = 0; x < W; x++)
            for (int c = 0; c < 3; c++) {
                s = s * 1103515245u + 12345u;
                double v;
                if (x < 200 && y < 200)
                    v = 180; /* flat sky-like block */
                else
                    v = 128 + 60 * sin(x * 0.02 + c) * cos(y * 0.015) +
                        30 * sin(x * 0.31 + y * 0.17) + (double)((s >> 16) % 21) - 10;
                v = v < 0 ? 0 : v > 255 ? 255 : v;
                g[3 * x + c] = (uint8_t)v;
                s = s * 1103515245u + 12345u;
                double e = v + (double)((s >> 16) % 9) - 4;
                r[3 * x + c] = (uint8_t)(e < 0 ? 0 : e > 255 ? 255 : e);
            }
    }
}

typedef struct ctx {
    const vsr_frame *gt, *sr;
    const vsr_metrics_niqe_model *model;
    pthreadpool_t pool;
} ctx;

typedef int (*metric_fn)(const ctx *c, double *v);

static int f_psnr(const ctx *c, double *v)
{
    return vsr_metrics_psnr(c->gt, c->sr, 0, 0, c->pool, v, NULL);
}
static int f_psnr_y(const ctx *c, double *v)
{
    return vsr_metrics_psnr(c->gt, c->sr, 0, 1, c->pool, v, NULL);
}
static int f_ssim(const ctx *c, double *v)
{
    return vsr_metrics_ssim(c->gt, c->sr, 0, 0, c->pool, v, NULL);
}
static int f_ssim_y(const ctx *c, double *v)
{
    return vsr_metrics_ssim(c->gt, c->sr, 0, 1, c->pool, v, NULL);
}
static int f_niqe(const ctx *c, double *v)
{
    return vsr_metrics_niqe(c->sr, c->model, 0, VSR_NIQE_Y, c->pool, v, NULL);
}

/* Median ms of @p reps runs (after one warm-up). */
static double time_metric(metric_fn f, const ctx *c, int reps, double *value)
{
    double t[64];
    if (reps > 64)
        reps = 64;
    if (f(c, value) < 0)
        return NAN;
    for (int i = 0; i < reps; i++) {
        const double t0 = now_ms();
        f(c, value);
        t[i] = now_ms() - t0;
    }
    return median(t, reps);
}

/* ---- fresh buffers vs a registry instance's reused scratch ---------------- */

/* Wall ms, process CPU ms and minor page faults of one call. */
typedef struct cost {
    double wall, cpu, flt;
} cost;

static cost cost_now(void)
{
    struct timespec t;
    struct rusage ru;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    getrusage(RUSAGE_SELF, &ru);
    return (cost){vsr_clock_ms(), t.tv_sec * 1e3 + t.tv_nsec / 1e6, (double)ru.ru_minflt};
}

typedef struct reuse_ctx {
    const ctx *c;
    const char *metric; /* registry name */
    vsr_metric_config cfg;
    metric_fn fresh;      /* public function; NULL: open + run + close per call */
    vsr_metric_ctx *inst; /* reused instance (NULL for the fresh path) */
} reuse_ctx;

static int reuse_call(reuse_ctx *r, int reused, double *v)
{
    vsr_error err = {0};
    if (!reused && r->fresh)
        return r->fresh(r->c, v);
    vsr_metric_ctx *inst = reused ? r->inst : NULL;
    if (!inst && vsr_metrics_ctx_open(vsr_metrics_find(r->metric), &r->cfg, &inst, &err) < 0)
        return -1;
    const int rc = vsr_metrics_ctx_run(inst, r->c->gt, r->c->sr, r->c->pool, v, &err);
    if (!reused)
        vsr_metrics_ctx_close(&inst);
    return rc;
}

/* Medians over @p reps calls (after one warm-up call). */
static int reuse_time(reuse_ctx *r, int reused, int reps, cost *out, double *value)
{
    double w[64], u[64], f[64];
    if (reps > 64)
        reps = 64;
    if (reuse_call(r, reused, value) < 0)
        return -1;
    for (int i = 0; i < reps; i++) {
        const cost a = cost_now();
        reuse_call(r, reused, value);
        const cost b = cost_now();
        w[i] = b.wall - a.wall;
        u[i] = b.cpu - a.cpu;
        f[i] = b.flt - a.flt;
    }
    *out = (cost){median(w, reps), median(u, reps), median(f, reps)};
    return 0;
}

/* The table: per metric, 1 thread, fresh vs reused; 2 threads wall. */
static int print_reuse_table(const vsr_frame *gt, const vsr_frame *sr,
                             const vsr_metrics_niqe_model *model, const char *model_path,
                             int reps)
{
    static const struct {
        const char *label, *metric;
        int y;
        metric_fn fresh;
    } rows[] = {
        {"psnr (RGB)", "psnr", 0, f_psnr}, {"psnr_y", "psnr", 1, f_psnr_y},
        {"ssim (RGB)", "ssim", 0, f_ssim}, {"ssim_y", "ssim", 1, f_ssim_y},
        {"niqe (Y)", "niqe", 0, f_niqe},   {"gmsd", "gmsd", 0, NULL},
    };
    pthreadpool_t pool2 = pthreadpool_create(2);
    printf("\nfresh buffers per call (public function; gmsd: open+run+close) vs a registry "
           "instance reusing its scratch, %dx%d, median of %d runs\n",
           W, H, reps);
    printf("%-12s %10s | %9s %9s %7s | %9s %9s %7s | %9s %9s\n", "metric", "value", "fresh ms",
           "cpu ms", "faults", "reused ms", "cpu ms", "faults", "fresh 2T", "reused 2T");
    int rc = 0;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        cost k[2][2];
        double v[2][2];
        for (int t = 0; t < 2 && rc == 0; t++) {
            ctx cx = {gt, sr, model, t ? pool2 : NULL};
            reuse_ctx r = {&cx, rows[i].metric, {.y_channel = rows[i].y}, rows[i].fresh, NULL};
            r.cfg.niqe_model_path = model_path;
            vsr_error err = {0};
            if (vsr_metrics_ctx_open(vsr_metrics_find(rows[i].metric), &r.cfg, &r.inst, &err) <
                0) {
                fprintf(stderr, "bench_metrics: %s\n", err.msg);
                rc = -1;
                break;
            }
            for (int reused = 0; reused < 2; reused++)
                if (reuse_time(&r, reused, reps, &k[t][reused], &v[t][reused]) < 0)
                    rc = -1;
            vsr_metrics_ctx_close(&r.inst);
        }
        if (rc < 0)
            break;
        /* same bits either way (tests/metrics/test_metrics_scratch.c) */
        printf("%-12s %10.6f | %9.2f %9.2f %7.0f | %9.2f %9.2f %7.0f | %9.2f %9.2f%s\n",
               rows[i].label, v[0][1], k[0][0].wall, k[0][0].cpu, k[0][0].flt, k[0][1].wall,
               k[0][1].cpu, k[0][1].flt, k[1][0].wall, k[1][1].wall,
               v[0][0] == v[0][1] && v[1][0] == v[1][1] ? "" : "  VALUES DIFFER");
    }
    pthreadpool_destroy(pool2);
    printf("ms = wall, cpu = process CPU time (1 thread), faults = minor page faults per "
           "frame; 2T = wall with a 2-thread pool.\n");
    return rc;
}

/* ---- BasicSR's own SSIM / NIQE as the anchor (scripts/basicsr_metrics.py) -- */

/* @p f as raw interleaved RGB24, tight rows (what the script reads). */
static int write_rgb24(const char *path, const vsr_frame *f)
{
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return -errno;
    int rc = 0;
    for (int y = 0; y < f->height && rc == 0; y++)
        if (fwrite(vsr_frame_row(f, y), 1, (size_t)f->width * 3, fp) != (size_t)f->width * 3)
            rc = -EIO;
    return fclose(fp) || rc ? -EIO : 0;
}

/*
 * The anchor table: per metric (ssim RGB, ssim_y, niqe; crop 0), vsrbench's
 * registry instance at one thread and BasicSR's function in python3, the
 * values, wall and CPU medians and the ratios. Returns -1 when python3 or
 * the script fails (the message says which).
 */
static int print_basicsr_table(const vsr_frame *gt, const vsr_frame *sr,
                               const vsr_metrics_niqe_model *model, const char *model_path,
                               int reps, int py_reps)
{
    static const struct {
        const char *label, *metric, *py;
        int y;
    } rows[] = {
        {"ssim (RGB)", "ssim", "ssim", 0},
        {"ssim_y", "ssim", "ssim_y", 1},
        {"niqe (Y)", "niqe", "niqe", 0},
    };
    enum { NR = sizeof(rows) / sizeof(rows[0]) };
    double py_v[NR], py_wall[NR], py_cpu[NR];
    for (int i = 0; i < NR; i++)
        py_v[i] = py_wall[i] = py_cpu[i] = NAN;
    const char *tmpbase = getenv("TMPDIR");
    char dir[256], pa[512], pb[512], cmd[4096];
    snprintf(dir, sizeof(dir), "%s/bench_metrics.XXXXXX", tmpbase ? tmpbase : "/tmp");
    if (!mkdtemp(dir)) {
        fprintf(stderr, "bench_metrics: cannot create a temporary folder in %s\n",
                tmpbase ? tmpbase : "/tmp");
        return -1;
    }
    snprintf(pa, sizeof(pa), "%s/gt.rgb", dir);
    snprintf(pb, sizeof(pb), "%s/sr.rgb", dir);
    const char *py = getenv("VSR_PYTHON");
    int rc = write_rgb24(pa, gt) < 0 || write_rgb24(pb, sr) < 0 ? -1 : 0;
    if (rc < 0)
        fprintf(stderr, "bench_metrics: cannot write the frames to %s\n", dir);
    /* one BLAS/OpenMP thread: the 1-thread column of vsrbench is the match */
    snprintf(cmd, sizeof(cmd),
             "OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 '%s' '%s/scripts/basicsr_metrics.py' %d "
             "%d '%s' '%s' --repeats %d%s%s%s",
             py && *py ? py : "/usr/bin/python3", VSR_SOURCE_DIR, W, H, pa, pb, py_reps,
             model_path ? " --niqe-model '" : "", model_path ? model_path : "",
             model_path ? "'" : "");
    FILE *p = rc == 0 ? popen(cmd, "r") : NULL;
    if (rc == 0 && !p) {
        fprintf(stderr, "bench_metrics: cannot run %s\n", cmd);
        rc = -1;
    }
    char line[256];
    while (p && fgets(line, sizeof(line), p)) {
        char name[32];
        double v, w, c;
        if (sscanf(line, "%31s %lf %lf %lf", name, &v, &w, &c) != 4)
            continue;
        for (int i = 0; i < NR; i++)
            if (!strcmp(name, rows[i].py))
                py_v[i] = v, py_wall[i] = w, py_cpu[i] = c;
    }
    if (p && pclose(p) != 0) {
        fprintf(stderr,
                "bench_metrics: %s failed (needs python3-numpy and python3-scipy: "
                "scripts/deps.sh)\n",
                cmd);
        rc = -1;
    }
    unlink(pa);
    unlink(pb);
    rmdir(dir);
    if (rc < 0)
        return rc;

    printf("\nBasicSR v1.4.2 (scripts/basicsr_metrics.py, numpy/scipy, 1 BLAS thread) vs "
           "vsrbench (registry instance, 1 thread), %dx%d, crop 0; median of %d (BasicSR) and "
           "%d (vsrbench) runs\n",
           W, H, py_reps, reps);
    printf("%-12s %19s %19s %9s | %9s %9s | %10s %10s | %7s %7s\n", "metric", "vsrbench",
           "BasicSR", "|diff|", "ms", "cpu ms", "BasicSR ms", "cpu ms", "x wall", "x cpu");
    for (int i = 0; i < NR; i++) {
        ctx cx = {gt, sr, model, NULL};
        reuse_ctx r = {&cx, rows[i].metric, {.y_channel = rows[i].y}, NULL, NULL};
        r.cfg.niqe_model_path = model_path;
        vsr_error err = {0};
        cost k;
        double v = NAN;
        if (vsr_metrics_ctx_open(vsr_metrics_find(rows[i].metric), &r.cfg, &r.inst, &err) < 0 ||
            reuse_time(&r, 1, reps, &k, &v) < 0) {
            fprintf(stderr, "bench_metrics: %s\n", err.msg[0] ? err.msg : rows[i].label);
            vsr_metrics_ctx_close(&r.inst);
            return -1;
        }
        vsr_metrics_ctx_close(&r.inst);
        printf("%-12s %19.12f %19.12f %9.2e | %9.2f %9.2f | %10.1f %10.1f | %7.1f %7.1f\n",
               rows[i].label, v, py_v[i], fabs(v - py_v[i]), k.wall, k.cpu, py_wall[i],
               py_cpu[i], py_wall[i] / k.wall, py_cpu[i] / k.cpu);
    }
    printf(
        "x = BasicSR time / vsrbench time (> 1: vsrbench faster). The BasicSR side keeps its "
        "Python loops and dtypes; cv2.filter2D and torch are replaced by scipy/numpy "
        "(scripts/basicsr_metrics.py).\n");
    return 0;
}

/* Write @p n copies of the frame as raw gbrp (3 planes) or gray (Y of BT.601
 * full-range-free approximation is irrelevant here: FFmpeg just needs 8-bit
 * planes of the same content). */
static int write_raw(const char *path, const vsr_frame *f, int n, int gray)
{
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return -errno;
    uint8_t *plane = malloc((size_t)W * H * 3);
    static const int order[3] = {1, 2, 0}; /* gbrp: G, B, R planes */
    for (int p = 0; p < (gray ? 1 : 3); p++)
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                const uint8_t *px = vsr_frame_row(f, y) + 3 * x;
                plane[(size_t)p * W * H + (size_t)y * W + x] =
                    gray ? (uint8_t)((66 * px[0] + 129 * px[1] + 25 * px[2] + 128) / 256 + 16)
                         : px[order[p]];
            }
    const size_t sz = (size_t)W * H * (gray ? 1 : 3);
    for (int i = 0; i < n; i++)
        if (fwrite(plane, 1, sz, fp) != sz) {
            fclose(fp);
            free(plane);
            return -EIO;
        }
    free(plane);
    return fclose(fp) ? -EIO : 0;
}

/* Wall time of one ffmpeg command (ms), or NAN when it fails. */
static double run_ms(const char *cmd)
{
    const double t0 = now_ms();
    const int st = system(cmd);
    const double t = now_ms() - t0;
    return st == 0 ? t : NAN;
}

/* FFmpeg per-frame ms of filter @p filter ("psnr"/"ssim") on files a, b. */
static double ffmpeg_ms(const char *dir, const char *fmt, const char *filter, int frames,
                        int threads)
{
    char base[2048], with[2048];
    const char *in = "-f rawvideo -pix_fmt %s -s %dx%d -i %s/%s.raw";
    char ia[512], ib[512];
    snprintf(ia, sizeof(ia), in, fmt, W, H, dir, "a");
    snprintf(ib, sizeof(ib), in, fmt, W, H, dir, "b");
    snprintf(base, sizeof(base),
             "ffmpeg -nostdin -hide_banner -loglevel error -threads 1 -filter_threads %d %s %s "
             "-map 0 -map 1 -f null - ",
             threads, ia, ib);
    snprintf(with, sizeof(with),
             "ffmpeg -nostdin -hide_banner -loglevel error -threads 1 -filter_threads %d %s %s "
             "-lavfi '[0:v][1:v]%s' -f null - ",
             threads, ia, ib, filter);
    double tb[3], tw[3];
    for (int i = 0; i < 3; i++) {
        tb[i] = run_ms(base);
        tw[i] = run_ms(with);
        if (isnan(tb[i]) || isnan(tw[i]))
            return NAN;
    }
    return (median(tw, 3) - median(tb, 3)) / frames;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"repeats", required_argument, NULL, 'r'},
        {"ffmpeg-frames", required_argument, NULL, 'f'},
        {"no-ffmpeg", no_argument, NULL, 'n'},
        {"niqe-model", required_argument, NULL, 'm'},
        {"cpu", no_argument, NULL, 'c'},
        {"reuse-only", no_argument, NULL, 'u'},
        {"no-basicsr", no_argument, NULL, 'B'},
        {"basicsr-only", no_argument, NULL, 'o'},
        {"basicsr-repeats", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    long reps = 7, ff_frames = 60, py_reps = 3;
    int use_ffmpeg = 1, reuse_only = 0, use_basicsr = 1, basicsr_only = 0, c;
    const char *model_path = NULL;
    vsr_error err = {0};
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'r' && vsr_parse_long(optarg, 1, 64, &reps, "--repeats", &err) < 0)
            goto usage;
        else if (c == 'f' &&
                 vsr_parse_long(optarg, 2, 10000, &ff_frames, "--ffmpeg-frames", &err) < 0)
            goto usage;
        else if (c == 'p' &&
                 vsr_parse_long(optarg, 1, 64, &py_reps, "--basicsr-repeats", &err) < 0)
            goto usage;
        else if (c == 'n')
            use_ffmpeg = 0;
        else if (c == 'B')
            use_basicsr = 0;
        else if (c == 'o')
            basicsr_only = 1;
        else if (c == 'c')
            clock_id = CLOCK_PROCESS_CPUTIME_ID;
        else if (c == 'u')
            reuse_only = 1;
        else if (c == 'm')
            model_path = optarg;
        else if (c == 'h' || c == '?') {
            printf("usage: bench_metrics [--repeats N] [--ffmpeg-frames N] [--no-ffmpeg] "
                   "[--niqe-model PATH] [--cpu] [--reuse-only] [--no-basicsr] "
                   "[--basicsr-only] [--basicsr-repeats N]\n");
            return c == 'h' ? 0 : 2;
        }
    }
    vsr_frame gt = {0}, sr = {0};
    vsr_metrics_niqe_model *model = NULL;
    if (vsr_frame_alloc(&gt, W, H, 3, &err) < 0 || vsr_frame_alloc(&sr, W, H, 3, &err) < 0)
        goto fail;
    make_frames(&gt, &sr);
    if (vsr_metrics_niqe_model_load(model_path, &model, &err) < 0)
        goto fail;
    /* First, in a fresh process: glibc raises its mmap threshold after a
     * large free (NIQE frees 7 MB buffers), after which fresh buffers of
     * up to that size come from the heap without page faults, so the
     * fresh column depends on what ran before it. */
    if (!basicsr_only && print_reuse_table(&gt, &sr, model, model_path, (int)reps) < 0) {
        vsr_error_set(&err, -EINVAL, "a metric failed in the fresh/reused table");
        goto fail;
    }
    if (use_basicsr && !reuse_only &&
        print_basicsr_table(&gt, &sr, model, model_path, (int)reps, (int)py_reps) < 0) {
        if (basicsr_only) {
            vsr_error_set(&err, -EINVAL, "the BasicSR anchor failed (see above)");
            goto fail;
        }
        /* the other tables do not need python: say so and go on */
        printf("\nBasicSR anchor: not run (the reason is on stderr; --no-basicsr skips it)\n");
    }
    if (reuse_only || basicsr_only)
        goto done;

    static const struct {
        const char *name;
        metric_fn f;
        const char *ff_filter; /* FFmpeg counterpart */
        const char *ff_fmt;
    } rows[] = {
        {"psnr (RGB)", f_psnr, "psnr", "gbrp"}, {"psnr_y", f_psnr_y, "psnr", "gray"},
        {"ssim (RGB)", f_ssim, "ssim", "gbrp"}, {"ssim_y", f_ssim_y, "ssim", "gray"},
        {"niqe (Y)", f_niqe, NULL, NULL},
    };
    const int nrows = sizeof(rows) / sizeof(rows[0]);
    double ms[5][2], val[5];
    pthreadpool_t pool2 = pthreadpool_create(2);
    for (int i = 0; i < nrows; i++)
        for (int t = 0; t < 2; t++) {
            ctx cx = {&gt, &sr, model, t ? pool2 : NULL};
            ms[i][t] = time_metric(rows[i].f, &cx, (int)reps, &val[i]);
        }
    pthreadpool_destroy(pool2);

    /* RGB SSIM through each kernel set the CPU has, one thread (all give
     * the same bits; only the speed differs) */
    static const unsigned isas[] = {VSR_SSIM_ISA_SCALAR, VSR_SSIM_ISA_AVX2,
                                    VSR_SSIM_ISA_AVX512F | VSR_SSIM_ISA_AVX2};
    double isa_ms[3], isa_val[3];
    vsr_plane pa[3], pb[3];
    vsr_metrics_planes(&gt, 0, pa);
    vsr_metrics_planes(&sr, 0, pb);
    for (int i = 0; i < 3; i++) {
        isa_ms[i] = NAN;
        if ((vsr_metrics_ssim_cpu_isa() & isas[i]) != isas[i])
            continue;
        double t[64];
        const int n = reps < 3 ? (int)reps : 3; /* the scalar copy is slow */
        for (int r = 0; r < n; r++) {
            const double t0 = now_ms();
            vsr_metrics_ssim_planes_isa(pa, pb, 3, NULL, isas[i], &isa_val[i], NULL);
            t[r] = now_ms() - t0;
        }
        isa_ms[i] = median(t, n);
    }
    clock_id = CLOCK_MONOTONIC; /* ffmpeg runs in child processes: wall time */

    double ff[5][2];
    char dir[256] = "";
    for (int i = 0; i < nrows; i++)
        ff[i][0] = ff[i][1] = NAN;
    if (use_ffmpeg) {
        const char *tmpbase = getenv("TMPDIR");
        snprintf(dir, sizeof(dir), "%s/bench_metrics.XXXXXX", tmpbase ? tmpbase : "/tmp");
        if (!mkdtemp(dir)) {
            vsr_error_set(&err, -errno, "cannot create a temporary folder in %s",
                          tmpbase ? tmpbase : "/tmp");
            goto fail;
        }
        char pa[512], pb[512];
        for (int gray = 0; gray < 2; gray++) {
            snprintf(pa, sizeof(pa), "%s/a.raw", dir);
            snprintf(pb, sizeof(pb), "%s/b.raw", dir);
            if (write_raw(pa, &gt, (int)ff_frames, gray) < 0 ||
                write_raw(pb, &sr, (int)ff_frames, gray) < 0) {
                vsr_error_set(&err, -EIO, "cannot write raw frames to %s", dir);
                goto fail;
            }
            for (int i = 0; i < nrows; i++)
                if (rows[i].ff_filter && !strcmp(rows[i].ff_fmt, gray ? "gray" : "gbrp"))
                    for (int t = 0; t < 2; t++)
                        ff[i][t] = ffmpeg_ms(dir, rows[i].ff_fmt, rows[i].ff_filter,
                                             (int)ff_frames, t + 1);
            unlink(pa);
            unlink(pb);
        }
        rmdir(dir);
    }

    printf("metrics on %dx%d frames, median of %ld runs (ms per frame; MPix/s)\n", W, H, reps);
    printf("%-12s %10s %9s %9s %9s %9s | %12s %12s %8s %8s\n", "metric", "value", "ms 1T",
           "MPix/s", "ms 2T", "MPix/s", "ffmpeg ms 1T", "ffmpeg ms 2T", "ratio1T", "ratio2T");
    const double mpix = (double)W * H / 1e6;
    for (int i = 0; i < nrows; i++) {
        printf("%-12s %10.6f %9.2f %9.1f %9.2f %9.1f | ", rows[i].name, val[i], ms[i][0],
               mpix / ms[i][0] * 1e3, ms[i][1], mpix / ms[i][1] * 1e3);
        if (rows[i].ff_filter && !isnan(ff[i][0]))
            printf("%12.2f %12.2f %8.2f %8.2f\n", ff[i][0], ff[i][1], ff[i][0] / ms[i][0],
                   ff[i][1] / ms[i][1]);
        else
            printf("%12s %12s %8s %8s\n", "-", "-", "-", "-");
    }
    printf("ratio = ffmpeg ms / vsrbench ms (> 1: vsrbench faster). FFmpeg: %s filter "
           "on raw %s/gray input, -filter_threads = threads, %ld frames, start-up "
           "subtracted.\n",
           "psnr/ssim (8x8-block SSIM)", "gbrp", ff_frames);
    printf("\nssim (RGB) per kernel set, 1 thread (same bits in all):\n");
    for (int i = 0; i < 3; i++)
        if (!isnan(isa_ms[i]))
            printf("  %-8s %8.2f ms %8.1f MPix/s  value %.17g\n",
                   vsr_metrics_ssim_isa_name(isas[i]), isa_ms[i], mpix / isa_ms[i] * 1e3,
                   isa_val[i]);
        else
            printf("  %-8s not on this CPU\n", vsr_metrics_ssim_isa_name(isas[i]));
    printf("SSIM kernels used: %s (float32, centred moments; see metrics/ssim.c)\n",
           vsr_metrics_ssim_isa_name(~0u));

done:
    vsr_metrics_niqe_model_free(&model);
    vsr_frame_free(&gt);
    vsr_frame_free(&sr);
    return 0;
fail:
    fprintf(stderr, "bench_metrics: %s\n", err.msg);
    vsr_metrics_niqe_model_free(&model);
    vsr_frame_free(&gt);
    vsr_frame_free(&sr);
    return 1;
usage:
    fprintf(stderr, "bench_metrics: %s\n", err.msg);
    return 2;
}
