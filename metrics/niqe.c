/*
 * NIQE (Mittal, Soundararajan, Bovik 2013) as BasicSR v1.4.2 calculate_niqe
 * computes it (MATLAB-matching): Y (or gray), crop, round, 96x96 blocks,
 * two scales, 18 AGGD features per block and scale, distance of the
 * blocks' multivariate Gaussian to the LIVE pristine model.
 *
 * Precision, step by step (the reference is numpy/scipy, float32 image):
 *  - Y conversion as for PSNR/SSIM (float32 result), then rounded to
 *    integers (half to even, numpy's round) in float32.
 *  - Local mean and variance: the 7x7 Gaussian convolutions ('nearest'
 *    border) are accumulated in double and rounded to float32, as
 *    scipy.ndimage.convolve does for a float32 image (separable here, 2-D
 *    there: the double sums differ by ~1e-16 relative, which survives the
 *    rounding to float32 only at rare ties). I^2, mu^2, the difference,
 *    |.|, sqrt, sigma + 1, I - mu and the division are float32 operations,
 *    exactly numpy's dtypes. This matters: where the image is flat, sigma is
 *    rounding noise and float64 MSCN moves NIQE by up to ~0.06.
 *  - Half-scale: vsr_imresize_f32 (MATLAB bicubic, antialiased, float32
 *    like BasicSR's torch code) on I/255 (float32), then *255 in float32.
 *  - Block products (block .* circshift(block)) in float32 like numpy; the
 *    AGGD statistics (means of squares, of |v|) are summed in double where
 *    numpy sums float32 pairwise: the difference is ~1e-7 relative and can
 *    only move alpha by one 0.001 grid step in a rare block.
 *  - Gamma-grid fit: table r(g) in double (tgamma), built once; the first
 *    minimum of (r(g) - rn)^2 is found by bisection (r is strictly
 *    increasing; checked when the table is built, else a full scan).
 *  - Features, mean, covariance, pseudo-inverse and the quadratic form in
 *    double (numpy float64).
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics_internal.h"
#include "vsr/datasets.h"

/* The pristine model compiled into the library (metrics/data/, generated
 * by CMake from niqe_pris_params.txt). */
extern const char vsr_niqe_builtin_model[];

#define NFEAT 36
#define BLOCK 96
#define WIN7 7

struct vsr_metrics_niqe_model {
    double mu[NFEAT];
    double cov[NFEAT * NFEAT];
    double window[WIN7 * WIN7];
    double g1d[WIN7]; /* row sums of the (separable) window */
};

/* ---- the model file ---------------------------------------------------- */

const char *vsr_metrics_niqe_default_path(void)
{
    const char *env = getenv("VSR_NIQE_MODEL");
    return env && *env ? env : NULL;
}

/* Parse the niqe_pris_params.txt format from @p text; @p name names it in
 * errors (a path, or "the built-in model"). */
static int model_parse(const char *text, const char *name, vsr_metrics_niqe_model **out,
                       vsr_error *err)
{
    enum { NVAL = NFEAT + NFEAT * NFEAT + WIN7 * WIN7 };
    vsr_metrics_niqe_model *m = calloc(1, sizeof(*m));
    double *vals = malloc(sizeof(double) * NVAL);
    int n = 0, rc = 0, lineno = 0;
    if (!m || !vals) {
        rc = vsr_error_set(err, -ENOMEM, "niqe: out of memory loading %s", name);
        goto done;
    }
    for (const char *line = text; *line;) {
        const char *eol = strchr(line, '\n');
        const char *next = eol ? eol + 1 : line + strlen(line);
        lineno++;
        if (line[0] == '#') {
            line = next;
            continue;
        }
        const char *p = line;
        for (;;) {
            while (p < next && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
                p++;
            if (p >= next)
                break;
            char *end;
            errno = 0;
            double v = strtod(p, &end);
            if (end == p || end > next || errno == ERANGE || !isfinite(v)) {
                rc = vsr_error_set(err, -EINVAL, "niqe: %s:%d: not a number near \"%.20s\"",
                                   name, lineno, p);
                goto done;
            }
            if (n == NVAL) {
                rc = vsr_error_set(err, -EINVAL,
                                   "niqe: %s: more than %d numbers (36 mu, 36x36 cov, 7x7 "
                                   "window expected)",
                                   name, NVAL);
                goto done;
            }
            vals[n++] = v;
            p = end;
        }
        line = next;
    }
    if (n != NVAL) {
        rc = vsr_error_set(err, -EINVAL,
                           "niqe: %s: %d numbers, expected %d (36 mu, 36x36 cov, 7x7 window)",
                           name, n, NVAL);
        goto done;
    }
    memcpy(m->mu, vals, sizeof(m->mu));
    memcpy(m->cov, vals + NFEAT, sizeof(m->cov));
    memcpy(m->window, vals + NFEAT + NFEAT * NFEAT, sizeof(m->window));
    /* The window is an outer product g g^T with sum(g) = 1, so its row sums are g. */
    for (int i = 0; i < WIN7; i++) {
        double s = 0.0;
        for (int j = 0; j < WIN7; j++)
            s += m->window[i * WIN7 + j];
        m->g1d[i] = s;
    }
    for (int i = 0; i < WIN7; i++)
        for (int j = 0; j < WIN7; j++)
            if (fabs(m->g1d[i] * m->g1d[j] - m->window[i * WIN7 + j]) > 1e-12) {
                rc = vsr_error_set(err, -EINVAL,
                                   "niqe: %s: the 7x7 gaussian_window is not separable", name);
                goto done;
            }
    *out = m;
    m = NULL;
done:
    free(vals);
    free(m);
    return rc;
}

int vsr_metrics_niqe_model_load(const char *path, vsr_metrics_niqe_model **out, vsr_error *err)
{
    *out = NULL;
    if (!path)
        path = vsr_metrics_niqe_default_path();
    if (!path)
        return model_parse(vsr_niqe_builtin_model, "the built-in pristine model", out, err);
    char *text = NULL;
    size_t len = 0;
    int rc = vsr_read_text_file(path, "a NIQE pristine model", &text, &len, err);
    if (rc == -ENOENT)
        return vsr_error_set(err, rc,
                             "niqe: cannot open the pristine model %s; pass --niqe-model PATH "
                             "to a niqe_pris_params.txt, or unset VSR_NIQE_MODEL to use the "
                             "built-in one",
                             path);
    if (rc < 0)
        return rc;
    rc = model_parse(text, path, out, err);
    free(text);
    return rc;
}

void vsr_metrics_niqe_model_free(vsr_metrics_niqe_model **model)
{
    if (!model)
        return;
    free(*model);
    *model = NULL;
}

/* ---- the gamma grid (init-once table) ---------------------------------- */

#define NGAM 9801

typedef struct gamma_table {
    double gam[NGAM];  /* np.arange(0.2, 10.001, 0.001) */
    double r[NGAM];    /* Gamma(2/g)^2 / (Gamma(1/g) Gamma(3/g)) */
    double beta[NGAM]; /* sqrt(Gamma(1/g) / Gamma(3/g)) */
    double mean[NGAM]; /* Gamma(2/g) / Gamma(1/g) */
    int monotonic;     /* r strictly increasing: bisection is exact */
} gamma_table;

static gamma_table g_tab;
static pthread_once_t g_tab_once = PTHREAD_ONCE_INIT;

static void gamma_table_init(void)
{
    /* numpy's arange fills start + i * (x[1] - x[0]) */
    const double start = 0.2, delta = (0.2 + 0.001) - 0.2;
    g_tab.monotonic = 1;
    for (int i = 0; i < NGAM; i++) {
        const double g = i == 0 ? start : start + i * delta;
        const double rec = 1.0 / g;
        const double g1 = tgamma(rec), g2 = tgamma(rec * 2), g3 = tgamma(rec * 3);
        g_tab.gam[i] = g;
        g_tab.r[i] = (g2 * g2) / (g1 * g3);
        /* as computed from alpha in estimate_aggd_param / compute_feature */
        g_tab.beta[i] = sqrt(tgamma(1 / g) / tgamma(3 / g));
        g_tab.mean[i] = tgamma(2 / g) / tgamma(1 / g);
        if (i > 0 && !(g_tab.r[i] > g_tab.r[i - 1]))
            g_tab.monotonic = 0;
    }
}

/* np.argmin((r - rn)^2): the first minimum; NaN rn -> 0 like numpy. */
static int gamma_argmin(const gamma_table *t, double rn)
{
    if (isnan(rn))
        return 0;
    if (!t->monotonic) {
        int best = 0;
        double bd = (t->r[0] - rn) * (t->r[0] - rn);
        for (int i = 1; i < NGAM; i++) {
            const double d = (t->r[i] - rn) * (t->r[i] - rn);
            if (d < bd) {
                bd = d;
                best = i;
            }
        }
        return best;
    }
    int lo = 0, hi = NGAM; /* first i with r[i] >= rn */
    while (lo < hi) {
        const int mid = lo + (hi - lo) / 2;
        if (t->r[mid] < rn)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == NGAM)
        return NGAM - 1;
    if (lo == 0)
        return 0;
    const double da = (t->r[lo - 1] - rn) * (t->r[lo - 1] - rn);
    const double db = (t->r[lo] - rn) * (t->r[lo] - rn);
    return db < da ? lo : lo - 1;
}

/* AGGD fit (estimate_aggd_param) from the sufficient statistics of v. */
typedef struct aggd_stats {
    double sq_neg, sq_pos, abs_sum;
    long n_neg, n_pos, n;
} aggd_stats;

static void aggd_fit(const gamma_table *t, const aggd_stats *s, int *idx, double *bl,
                     double *br)
{
    const double lstd = sqrt(s->sq_neg / (double)s->n_neg); /* NaN for none, like numpy */
    const double rstd = sqrt(s->sq_pos / (double)s->n_pos);
    const double gh = lstd / rstd;
    const double mabs = s->abs_sum / (double)s->n;
    const double rhat = mabs * mabs / ((s->sq_neg + s->sq_pos) / (double)s->n);
    const double rn = rhat * (gh * gh * gh + 1) * (gh + 1) / ((gh * gh + 1) * (gh * gh + 1));
    *idx = gamma_argmin(t, rn);
    *bl = lstd * t->beta[*idx];
    *br = rstd * t->beta[*idx];
}

static inline void aggd_add(aggd_stats *s, float v)
{
    /* branch-free: the sign of MSCN values is a coin flip for the predictor */
    const double d = (double)v, d2 = d * d;
    const int neg = v<0.0f, pos = v> 0.0f;
    s->sq_neg += neg ? d2 : 0.0;
    s->sq_pos += pos ? d2 : 0.0;
    s->n_neg += neg;
    s->n_pos += pos;
    s->abs_sum += fabs(d);
}

/*
 * The 18 features of one bs x bs MSCN block starting at @p b (row stride
 * @p stride): [alpha, (bl+br)/2] of the block, then [alpha, mean, bl, br]
 * of block .* np.roll(block, s) for s = (0,1), (1,0), (1,1), (1,-1), where
 * np.roll gives shifted[i][j] = block[(i - s0) mod bs][(j - s1) mod bs].
 */
static void block_features(const gamma_table *t, const float *b, ptrdiff_t stride, int bs,
                           double *feat)
{
    aggd_stats st[5];
    memset(st, 0, sizeof(st));
    for (int k = 0; k < 5; k++)
        st[k].n = (long)bs * bs;
    for (int i = 0; i < bs; i++) {
        const float *cur = b + (ptrdiff_t)i * stride;
        const float *up = b + (ptrdiff_t)((i + bs - 1) % bs) * stride;
        for (int j = 0; j < bs; j++) {
            const int jl = j == 0 ? bs - 1 : j - 1, jr = j == bs - 1 ? 0 : j + 1;
            const float v = cur[j];
            aggd_add(&st[0], v);
            aggd_add(&st[1], v * cur[jl]); /* products in float32, like numpy */
            aggd_add(&st[2], v * up[j]);
            aggd_add(&st[3], v * up[jl]);
            aggd_add(&st[4], v * up[jr]);
        }
    }
    int idx;
    double bl, br;
    aggd_fit(t, &st[0], &idx, &bl, &br);
    feat[0] = t->gam[idx];
    feat[1] = (bl + br) / 2;
    for (int k = 0; k < 4; k++) {
        aggd_fit(t, &st[k + 1], &idx, &bl, &br);
        feat[2 + 4 * k] = t->gam[idx];
        feat[3 + 4 * k] = (br - bl) * t->mean[idx];
        feat[4 + 4 * k] = bl;
        feat[5 + 4 * k] = br;
    }
}

/* ---- MSCN ---------------------------------------------------------------- */

typedef struct mscn_job {
    const float *img; /* w x h, tight */
    float *out;       /* w x h MSCN */
    double *hm;       /* w x h: horizontal pass of I */
    double *hs;       /* w x h: horizontal pass of I^2 (float32 squares) */
    int w, h;
    const double *g; /* 7 taps */
} mscn_job;

static inline int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static void mscn_hrow(void *ctx, size_t y)
{
    const mscn_job *j = ctx;
    const int w = j->w;
    const float *s = j->img + y * (size_t)w;
    double *om = j->hm + y * (size_t)w, *os = j->hs + y * (size_t)w;
    for (int x = 0; x < w; x++) {
        double am = 0.0, as = 0.0;
        if (x >= 3 && x + 3 < w) {
            for (int t = 0; t < WIN7; t++) {
                const float v = s[x + t - 3];
                am += j->g[t] * (double)v;
                as += j->g[t] * (double)(v * v); /* np.square(img): float32 */
            }
        } else {
            for (int t = 0; t < WIN7; t++) {
                const float v = s[clampi(x + t - 3, 0, w - 1)]; /* 'nearest' */
                am += j->g[t] * (double)v;
                as += j->g[t] * (double)(v * v);
            }
        }
        om[x] = am;
        os[x] = as;
    }
}

static void mscn_vrow(void *ctx, size_t yy)
{
    const mscn_job *j = ctx;
    const int w = j->w, h = j->h, y = (int)yy;
    const double *rm[WIN7], *rs[WIN7];
    for (int t = 0; t < WIN7; t++) {
        const int r = clampi(y + t - 3, 0, h - 1);
        rm[t] = j->hm + (size_t)r * w;
        rs[t] = j->hs + (size_t)r * w;
    }
    const float *img = j->img + (size_t)y * w;
    float *o = j->out + (size_t)y * w;
    for (int x = 0; x < w; x++) {
        double am = 0.0, as = 0.0;
        for (int t = 0; t < WIN7; t++) {
            am += j->g[t] * rm[t][x];
            as += j->g[t] * rs[t][x];
        }
        const float mu = (float)am, ex2 = (float)as; /* convolve() output is float32 */
        const float sigma = sqrtf(fabsf(ex2 - mu * mu));
        o[x] = (img[x] - mu) / (sigma + 1.0f);
    }
}

/* ---- the blocks and the distance --------------------------------------- */

typedef struct feat_job {
    const gamma_table *t;
    const float *mscn;
    int w;
    int bs;
    int nbw;
    int scale_off; /* 0 or 18 */
    double *feat;  /* nblocks x 36 */
} feat_job;

static void feat_block(void *ctx, size_t k)
{
    const feat_job *j = ctx;
    const int bh = (int)k / j->nbw, bw = (int)k % j->nbw;
    const float *b = j->mscn + (size_t)bh * j->bs * j->w + (size_t)bw * j->bs;
    block_features(j->t, b, j->w, j->bs, j->feat + k * NFEAT + j->scale_off);
}

/*
 * Moore-Penrose pseudo-inverse of a symmetric n x n matrix (numpy pinv,
 * rcond 1e-15) by cyclic Jacobi eigen-decomposition in double: A = V D V^T,
 * pinv = V D^+ V^T where eigenvalues with |d| <= 1e-15 * max|d| are dropped
 * (for a symmetric matrix the singular values are |d|).
 */
static void pinv_sym(const double *a_in, int n, double *out, double *work)
{
    double *a = work; /* 2 n^2 doubles */
    double *v = a + (size_t)n * n;
    memcpy(a, a_in, sizeof(double) * (size_t)n * n);
    for (int i = 0; i < n * n; i++)
        v[i] = (i % (n + 1)) == 0;
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0.0, norm = 0.0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                norm += a[i * n + j] * a[i * n + j];
                if (i != j)
                    off += a[i * n + j] * a[i * n + j];
            }
        if (off <= 1e-30 * norm)
            break;
        for (int p = 0; p < n - 1; p++) {
            for (int q = p + 1; q < n; q++) {
                const double apq = a[p * n + q];
                if (apq == 0.0)
                    continue;
                const double theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                const double tt =
                    (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1.0));
                const double c = 1.0 / sqrt(tt * tt + 1.0), s = tt * c;
                for (int k = 0; k < n; k++) { /* A <- A J (columns p, q) */
                    const double akp = a[k * n + p], akq = a[k * n + q];
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for (int k = 0; k < n; k++) { /* A <- J^T A (rows p, q) */
                    const double apk = a[p * n + k], aqk = a[q * n + k];
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for (int k = 0; k < n; k++) { /* V <- V J */
                    const double vkp = v[k * n + p], vkq = v[k * n + q];
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    double dmax = 0.0;
    for (int i = 0; i < n; i++)
        dmax = fmax(dmax, fabs(a[i * n + i]));
    const double cut = 1e-15 * dmax;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            double s = 0.0;
            for (int k = 0; k < n; k++) {
                const double d = a[k * n + k];
                if (fabs(d) > cut)
                    s += v[i * n + k] * v[j * n + k] / d;
            }
            out[i * n + j] = s;
        }
}

/* Scratch slots (vsr_metrics_scratch) of a NIQE computation. */
enum { S_IMG, S_MSCN, S_HALF, S_HM, S_HS, S_FEAT, S_COV, S_PLANE };

static int niqe_plane_s(const float *plane, int w, int h, ptrdiff_t stride,
                        const vsr_metrics_niqe_model *model, pthreadpool_t pool,
                        vsr_metrics_scratch *scr, double *niqe, vsr_error *err)
{
    if (!plane || !model || !niqe || w <= 0 || h <= 0 || stride < w)
        return vsr_error_set(err, -EINVAL, "niqe: invalid plane %dx%d", w, h);
    const int nbh = h / BLOCK, nbw = w / BLOCK, nblocks = nbh * nbw;
    if (nblocks < 2)
        return vsr_error_set(err, -EINVAL,
                             "niqe: a %dx%d image (after crop) holds %d 96x96 block%s; NIQE "
                             "needs at least 2 (96x192 or 192x96)",
                             w, h, nblocks, nblocks == 1 ? "" : "s");
    pthread_once(&g_tab_once, gamma_table_init);
    const int cw = nbw * BLOCK, ch = nbh * BLOCK;
    const size_t npx = (size_t)cw * ch;
    float *img = vsr_metrics_scratch_get(scr, S_IMG, sizeof(float) * npx);
    float *mscn = vsr_metrics_scratch_get(scr, S_MSCN, sizeof(float) * npx);
    float *half = vsr_metrics_scratch_get(scr, S_HALF, sizeof(float) * npx / 4);
    double *hm = vsr_metrics_scratch_get(scr, S_HM, sizeof(double) * npx);
    double *hs = vsr_metrics_scratch_get(scr, S_HS, sizeof(double) * npx);
    double *feat =
        vsr_metrics_scratch_get(scr, S_FEAT, sizeof(double) * (size_t)nblocks * NFEAT);
    /* pinv result, the averaged covariance, the pseudo-inverse's work space */
    double *cov = vsr_metrics_scratch_get(scr, S_COV, sizeof(double) * NFEAT * NFEAT * 4);
    if (!img || !mscn || !half || !hm || !hs || !feat || !cov)
        return vsr_error_set(err, -ENOMEM, "niqe: out of memory for a %dx%d image", w, h);
    int rc = 0;
    for (int y = 0; y < ch; y++)
        memcpy(img + (size_t)y * cw, plane + (ptrdiff_t)y * stride, sizeof(float) * cw);

    int sw = cw, sh = ch;
    const float *cur = img;
    for (int scale = 1; scale <= 2; scale++) {
        mscn_job mj = {cur, mscn, hm, hs, sw, sh, model->g1d};
        pthreadpool_parallelize_1d(pool, mscn_hrow, &mj, (size_t)sh, VSR_METRICS_POOL_FLAGS);
        pthreadpool_parallelize_1d(pool, mscn_vrow, &mj, (size_t)sh, VSR_METRICS_POOL_FLAGS);
        feat_job fj = {&g_tab, mscn, sw, BLOCK / scale, nbw, (scale - 1) * 18, feat};
        pthreadpool_parallelize_1d(pool, feat_block, &fj, (size_t)nblocks,
                                   VSR_METRICS_POOL_FLAGS);
        if (scale == 2)
            break;
        /* img = imresize(img / 255., scale=0.5, antialiasing=True) * 255. (float32) */
        for (size_t i = 0; i < npx; i++)
            img[i] = img[i] / 255.0f;
        const int hw = vsr_imresize_out_len(cw, 0.5), hh = vsr_imresize_out_len(ch, 0.5);
        rc = vsr_imresize_f32(img, cw, ch, cw, 0.5, half, hw, err);
        if (rc < 0)
            return rc;
        for (size_t i = 0; i < (size_t)hw * hh; i++)
            half[i] = half[i] * 255.0f;
        cur = half;
        sw = hw;
        sh = hh;
    }

    /* mu_d: column means ignoring NaN; cov_d: unbiased, rows without NaN. */
    double mu_d[NFEAT], mu_c[NFEAT];
    int nclean = 0;
    for (int f = 0; f < NFEAT; f++) {
        double s = 0.0;
        int n = 0;
        for (int b = 0; b < nblocks; b++)
            if (!isnan(feat[b * NFEAT + f])) {
                s += feat[b * NFEAT + f];
                n++;
            }
        mu_d[f] = n ? s / n : NAN;
        mu_c[f] = 0.0;
    }
    for (int b = 0; b < nblocks; b++) {
        int ok = 1;
        for (int f = 0; f < NFEAT; f++)
            ok &= !isnan(feat[b * NFEAT + f]);
        if (!ok) {
            feat[b * NFEAT] = NAN; /* mark */
            continue;
        }
        nclean++;
        for (int f = 0; f < NFEAT; f++)
            mu_c[f] += feat[b * NFEAT + f];
    }
    if (nclean < 2)
        return vsr_error_set(err, -EINVAL,
                             "niqe: only %d of %d blocks of the %dx%d image give finite "
                             "features (flat image?); NIQE is undefined",
                             nclean, nblocks, w, h);
    for (int f = 0; f < NFEAT; f++)
        mu_c[f] /= nclean;
    double *avg = cov + NFEAT * NFEAT;
    for (int i = 0; i < NFEAT; i++)
        for (int j = 0; j <= i; j++) {
            double s = 0.0;
            for (int b = 0; b < nblocks; b++) {
                const double *r = feat + (size_t)b * NFEAT;
                if (isnan(r[0]))
                    continue;
                s += (r[i] - mu_c[i]) * (r[j] - mu_c[j]);
            }
            s /= nclean - 1;
            avg[i * NFEAT + j] = (model->cov[i * NFEAT + j] + s) / 2;
            avg[j * NFEAT + i] = (model->cov[j * NFEAT + i] + s) / 2;
        }
    pinv_sym(avg, NFEAT, cov, avg + NFEAT * NFEAT);
    double q = 0.0;
    for (int i = 0; i < NFEAT; i++) {
        double s = 0.0;
        for (int j = 0; j < NFEAT; j++)
            s += (model->mu[j] - mu_d[j]) * cov[j * NFEAT + i];
        q += s * (model->mu[i] - mu_d[i]);
    }
    *niqe = sqrt(q);
    return rc;
}

int vsr_metrics_niqe_plane(const float *plane, int w, int h, ptrdiff_t stride,
                           const vsr_metrics_niqe_model *model, pthreadpool_t pool,
                           double *niqe, vsr_error *err)
{
    vsr_metrics_scratch s = {0};
    const int rc = niqe_plane_s(plane, w, h, stride, model, pool, &s, niqe, err);
    vsr_metrics_scratch_free(&s);
    return rc;
}

int vsr_metrics_niqe(const vsr_frame *img, const vsr_metrics_niqe_model *model, int crop_border,
                     enum vsr_niqe_convert convert, pthreadpool_t pool, double *niqe,
                     vsr_error *err)
{
    vsr_metrics_scratch s = {0};
    const int rc = vsr_metrics_niqe_s(img, model, crop_border, convert, pool, &s, niqe, err);
    vsr_metrics_scratch_free(&s);
    return rc;
}

int vsr_metrics_niqe_s(const vsr_frame *img, const vsr_metrics_niqe_model *model,
                       int crop_border, enum vsr_niqe_convert convert, pthreadpool_t pool,
                       vsr_metrics_scratch *scr, double *niqe, vsr_error *err)
{
    if (!img || !img->data || (img->channels != 1 && img->channels != 3))
        return vsr_error_set(err, -EINVAL, "niqe: expected a gray or RGB image");
    const int w = img->width - 2 * crop_border, h = img->height - 2 * crop_border;
    if (crop_border < 0 || w < BLOCK || h < BLOCK || (w / BLOCK) * (h / BLOCK) < 2)
        return vsr_error_set(err, -EINVAL,
                             "niqe: a %dx%d image with crop border %d leaves %dx%d, fewer than "
                             "two 96x96 blocks (needs at least 96x192 or 192x96)",
                             img->width, img->height, crop_border, w > 0 ? w : 0,
                             h > 0 ? h : 0);
    float *p = vsr_metrics_scratch_get(scr, S_PLANE, sizeof(float) * (size_t)w * (size_t)h);
    if (!p)
        return vsr_error_set(err, -ENOMEM, "niqe: out of memory for a %dx%d plane", w, h);
    if (convert == VSR_NIQE_GRAY)
        vsr_metrics_to_gray_f32(img, crop_border, p);
    else
        vsr_metrics_to_y(img, crop_border, p, pool);
    /* img.round(): numpy rounds half to even (rintf in the default mode). */
    for (size_t i = 0; i < (size_t)w * h; i++)
        p[i] = rintf(p[i]);
    return niqe_plane_s(p, w, h, w, model, pool, scr, niqe, err);
}
