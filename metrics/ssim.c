/*
 * SSIM (Wang et al. 2004, ssim_index.m / BasicSR _ssim): 11x11 Gaussian
 * window (sigma 1.5, outer product of the normalised 1-D kernel =
 * cv2.getGaussianKernel(11, 1.5)), 'valid' filtering, C1 = (0.01*255)^2,
 * C2 = (0.03*255)^2, mean of the map per channel, then mean over channels.
 *
 * Algorithm: float32 on locally centred values, separable.
 * Horizontal pass (per input row r and output column k), centred on the
 * window's own centre sample c = x[r][k+5] (d_i = x_i - c):
 *   a = sum g_i d_i,  v = sum g_i d_i^2 - a^2 (x and y),  cv = sum g_i d_i e_i - a_x a_y
 * i.e. the 1-D Gaussian mean (c + a), variance and covariance of the row.
 * Vertical pass: the law of total variance over the 11 rows, centred on
 * one row r of the window: with D_t = (x_t[k+5] - x_r[k+5]) + (a_t - a_r)
 * (row t's 1-D mean minus row r's, computed from small differences),
 *   mu = x_r[k+5] + a_r + A,  A = sum g_t D_t
 *   s_xx + s_yy = sum g_t (v_t + Dx_t^2 + Dy_t^2) - Ax^2 - Ay^2
 *   s_xy = sum g_t (cv_t + Dx_t Dy_t) - Ax Ay
 * which is algebraically the 'valid' 2-D Gaussian mean/variance of the
 * reference. Four consecutive output rows share r (the centre row of the
 * second one; VSR_SSIM_VGROUP), so the D_t and their products are made
 * once for four outputs and each row of maps is loaded once per group:
 * ~105 float ops and 21 loads per output instead of ~167 and 66. Output
 * row groups start at multiples of 4 in every stripe split, so the result
 * does not depend on the thread count.
 * Kernels (f32-ssim-template.h) are chosen at run time (scalar / AVX2 /
 * AVX-512) and are bit-identical. Rows stream through a ring of 14 slots
 * per 64-column tile (23 KB, in L1); stripes of output rows run on the
 * thread pool; per-row map sums (double) are added in row order.
 *
 * Precision (why float32 is enough here, and where it would not be).
 * The reference subtracts moments up to 2*255^2 = 130050 (E[x^2] - mu^2);
 * doing that in float32 loses up to ~130050 * 2^-24 * (number of roundings)
 * ~ 0.1 absolute in a flat area, i.e. ~2e-3 in the map (error / C2), and
 * systematically so over a whole flat region: unusable for the 1e-5 target.
 * Centring on the window's centre sample bounds that cancellation: the
 * centre has weight g_0 = 0.266, so g_0 (c - mean)^2 <= var and hence
 * a^2 <= var / g_0 = 3.76 var and sum g d^2 = var + a^2 <= 4.76 var.
 * Vertically the shared row r is at distance <= 2 from each output's
 * centre (weight >= g_2 = 0.109), so there the factor is <= 1 + 1/g_2 =
 * 10.2. So every float32 rounding error is relative to the local variance
 * V (not to E[x^2]): first order, the errors in s_xx + s_yy and s_xy are
 * below ~300 u V (u = 2^-24, ~30 roundings each amplified by <= 10.2),
 * and the map moves by at most ~600 u V / (V + C2) < 4e-5 per pixel in
 * the worst-case alignment of every rounding; in practice they are random
 * in sign and ~1e-7 per pixel. Inputs are exact (8-bit samples; the float32
 * Y values themselves); for 8-bit input d_i is exact too, and flat areas
 * give exactly zero variances. The luminance term uses mu with relative
 * error ~3u. The map is evaluated in float32 (num / den, den >= C1 C2)
 * with an absolute error of a few u, and summed per row in double.
 * The float32 weights and C1/C2 differ from the double ones by < 3e-8
 * relative. Measured (tests/metrics/test_ssim_fast.c, against a naive
 * float64 implementation of the reference formula): |mean SSIM error|
 * <= 3.5e-8 on flat areas, full-range noise, 0/255 steps, checkerboards,
 * ramps and sparse spikes; the VALUES.md rows agree to all 6 decimals.
 * Identical inputs give exactly 1: the x, y and cross terms go through the
 * same expressions, so for x == y the variance sums are exactly twice the
 * covariance sums and numerator and denominator get the same bits.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ssim_internal.h"

#define WIN 11
#define HALF 5

/* cv2.getGaussianKernel(11, 1.5): exp(-(i-5)^2 / (2*1.5^2)), normalised in
 * double, then rounded to float32 (g[d] = weight at distance d). */
static void gauss11(vsr_ssim_weights *w)
{
    double g[WIN], sum = 0.0;
    for (int i = 0; i < WIN; i++) {
        const double d = i - HALF;
        g[i] = exp(-d * d / (2.0 * 1.5 * 1.5));
        sum += g[i];
    }
    for (int d = 0; d <= HALF; d++)
        w->g[d] = (float)(g[HALF + d] / sum);
}

/* ---- kernel selection ------------------------------------------------------ */

unsigned vsr_metrics_ssim_cpu_isa(void)
{
    /* core's detector (AVX2 there includes FMA; AVX512 includes F), which
     * honours VSR_FORCE_SCALAR */
    const unsigned cpu = vsr_cpu_isa();
    unsigned isa = 0;
    if (cpu & VSR_ISA_AVX2) {
        isa |= VSR_SSIM_ISA_AVX2;
        if (cpu & VSR_ISA_AVX512)
            isa |= VSR_SSIM_ISA_AVX512F;
    }
    return isa;
}

typedef struct ssim_kernels {
    vsr_ssim_hpass_fn hpass;
    vsr_ssim_vpass_fn vpass;
    const char *name;
} ssim_kernels;

static ssim_kernels pick_kernels(unsigned isa_mask)
{
    const unsigned isa = isa_mask & vsr_metrics_ssim_cpu_isa();
#if defined(__x86_64__) || defined(_M_X64)
    if (isa & VSR_SSIM_ISA_AVX512F)
        return (ssim_kernels){vsr_f32_ssim_hpass_16__avx512f, vsr_f32_ssim_vpass_4x16__avx512f,
                              "avx512f"};
    if (isa & VSR_SSIM_ISA_AVX2)
        return (ssim_kernels){vsr_f32_ssim_hpass_8__avx2, vsr_f32_ssim_vpass_4x8__avx2, "avx2"};
#else
    (void)isa;
#endif
    return (ssim_kernels){vsr_f32_ssim_hpass_1__scalar, vsr_f32_ssim_vpass_4x1__scalar,
                          "scalar"};
}

vsr_rgb2y_row_fn vsr_metrics_rgb2y_row(unsigned isa_mask)
{
    const unsigned isa = isa_mask & vsr_metrics_ssim_cpu_isa();
#if defined(__x86_64__) || defined(_M_X64)
    if (isa & VSR_SSIM_ISA_AVX512F)
        return vsr_u8_rgb2y_row_16__avx512f;
    if (isa & VSR_SSIM_ISA_AVX2)
        return vsr_u8_rgb2y_row_8__avx2;
#else
    (void)isa;
#endif
    return vsr_u8_rgb2y_row_1__scalar;
}

const char *vsr_metrics_ssim_isa_name(unsigned isa_mask)
{
    return pick_kernels(isa_mask).name;
}

/* ---- driver --------------------------------------------------------------- */

/* Columns x0 .. x0+n-1 of row y of @p p as float32 (exact: 8-bit samples or
 * float32 Y). The common strides are spelled out so that each clone
 * vectorizes the widening loads. */
VSR_MULTIVERSION
static void load_row(const vsr_plane *p, vsr_rgb2y_row_fn to_y, int y, int x0, int n,
                     float *restrict out)
{
    if (to_y) { /* p is RGB24: BasicSR's Y, made here rather than in a plane */
        to_y(p->u8 + (ptrdiff_t)y * p->stride + (ptrdiff_t)x0 * 3, n, out);
        return;
    }
    if (p->f32) {
        memcpy(out, p->f32 + (ptrdiff_t)y * p->stride + x0, sizeof(float) * (size_t)n);
        return;
    }
    const uint8_t *restrict s = p->u8 + (ptrdiff_t)y * p->stride + (ptrdiff_t)x0 * p->step;
    if (p->step == 3) {
        for (int x = 0; x < n; x++)
            out[x] = (float)s[3 * x];
    } else if (p->step == 1) {
        for (int x = 0; x < n; x++)
            out[x] = (float)s[x];
    } else {
        for (int x = 0; x < n; x++)
            out[x] = (float)s[(ptrdiff_t)x * p->step];
    }
}

/* Sum of map[0 .. n) in double: eight interleaved partial sums added in a
 * fixed order, so the bits do not depend on the ISA or the thread count. */
VSR_MULTIVERSION
static double map_sum(const float *restrict map, int n)
{
    double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int k = 0;
    for (; k + 8 <= n; k += 8)
        for (int i = 0; i < 8; i++)
            acc[i] += (double)map[k + i];
    for (; k < n; k++)
        acc[k % 8] += (double)map[k];
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

typedef struct ssim_job {
    const vsr_plane *a;
    const vsr_plane *b;
    int nplanes;
    int w, h, ow, oh;
    int nstripes;
    vsr_ssim_weights g;
    ssim_kernels k;
    vsr_rgb2y_row_fn to_y; /* non-NULL: the planes are RGB24, score their Y */
    float *scratch;        /* nstripes * per_stripe floats */
    size_t per_stripe;
    double *row_sums; /* nplanes * oh */
} ssim_job;

/* Input rows converted per chunk (see ssim_stripe). */
#define CHUNK 16

/* Floats per stripe: the rings of all tiles, G map rows, the chunk rows. */
static size_t stripe_floats(int w, int ntiles, size_t *chunk_stride)
{
    *chunk_stride = (size_t)(w + 15) / 16 * 16 + 16;
    return (size_t)ntiles * VSR_SSIM_VROWS * VSR_SSIM_SLOT +
           (size_t)VSR_SSIM_VGROUP * VSR_SSIM_TW + 2 * CHUNK * *chunk_stride;
}

/*
 * One horizontal stripe of output rows [r0, r1), one plane after the
 * other. Input rows are converted to float CHUNK rows at a time, whole
 * rows in memory order (the RGB24 -> Y or u8 -> float conversion streams
 * through the frame once, prefetcher-friendly). Then each tile of
 * VSR_SSIM_TW output columns takes those rows through its own ring of 14
 * slots (23 KB, in L1 while the tile runs; the rings of all tiles persist
 * across chunks): hpass once per input row, vpass once per group of 4
 * output rows. Walking the tiles down the frame instead (a column band
 * at a time, every row on a new page) left the loads waiting on memory:
 * 30% of RGB and 70% of Y SSIM time. Each stripe re-filters the 10 input
 * rows of its halo.
 */
static void ssim_stripe(void *ctx, size_t s)
{
    const ssim_job *j = ctx;
    const int G = VSR_SSIM_VGROUP, NR = VSR_SSIM_VROWS;
    /* stripes start at multiples of G: the output-row groups (and so their
     * centring, and so every bit of the result) are the same for any
     * number of stripes */
    const int ng = (j->oh + G - 1) / G;
    const int r0 = G * (int)((size_t)ng * s / (size_t)j->nstripes);
    int r1 = G * (int)((size_t)ng * (s + 1) / (size_t)j->nstripes);
    if (r1 > j->oh)
        r1 = j->oh;
    const int ntiles = (j->ow + VSR_SSIM_TW - 1) / VSR_SSIM_TW;
    size_t cs;
    stripe_floats(j->w, ntiles, &cs);
    float *rings = j->scratch + s * j->per_stripe;
    float *map = rings + (size_t)ntiles * NR * VSR_SSIM_SLOT; /* G rows of VSR_SSIM_TW */
    float *ca = map + (size_t)G * VSR_SSIM_TW, *cb = ca + CHUNK * cs;
    for (int p = 0; p < j->nplanes; p++) {
        const vsr_plane *pa = &j->a[p], *pb = &j->b[p];
        double *sums = j->row_sums + (size_t)p * j->oh;
        for (int r = r0; r < r1; r++)
            sums[r] = 0.0;
        for (int c_in = r0; c_in < r1 + 2 * HALF; c_in += CHUNK) {
            const int ce = c_in + CHUNK < r1 + 2 * HALF ? c_in + CHUNK : r1 + 2 * HALF;
            for (int in = c_in; in < ce; in++) {
                load_row(pa, j->to_y, in, 0, j->w, ca + (size_t)(in - c_in) * cs);
                load_row(pb, j->to_y, in, 0, j->w, cb + (size_t)(in - c_in) * cs);
            }
            for (int t = 0; t < ntiles; t++) {
                const int c0 = t * VSR_SSIM_TW;
                const int tw = j->ow - c0 < VSR_SSIM_TW ? j->ow - c0 : VSR_SSIM_TW;
                float *ring = rings + (size_t)t * NR * VSR_SSIM_SLOT;
                for (int in = c_in; in < ce; in++) {
                    float *slot = ring + (size_t)(in % NR) * VSR_SSIM_SLOT;
                    const size_t off = (size_t)(in - c_in) * cs + (size_t)c0;
                    memcpy(slot, ca + off, sizeof(float) * (size_t)(tw + 2 * HALF));
                    memcpy(slot + VSR_SSIM_OFF_Y, cb + off,
                           sizeof(float) * (size_t)(tw + 2 * HALF));
                    j->k.hpass(slot, tw, &j->g);
                    /* the group of output rows [o, o + nout) is complete once
                     * the last input row of its last member is in */
                    const int o =
                        r0 + (in - 2 * HALF - r0 < 0 ? 0 : (in - 2 * HALF - r0) / G * G);
                    const int nout = r1 - o < G ? r1 - o : G;
                    if (in != o + nout - 1 + 2 * HALF)
                        continue;
                    const float *rows[VSR_SSIM_VROWS];
                    for (int q = 0; q < NR; q++) { /* rows past the last input: unused */
                        const int row = o + (q < nout + 2 * HALF ? q : nout + 2 * HALF - 1);
                        rows[q] = ring + (size_t)(row % NR) * VSR_SSIM_SLOT;
                    }
                    j->k.vpass(rows, tw, &j->g, map);
                    for (int i = 0; i < nout; i++)
                        sums[o + i] += map_sum(map + (size_t)i * VSR_SSIM_TW, tw);
                }
            }
        }
    }
}

/* Scratch slots (vsr_metrics_scratch) of an SSIM computation. */
enum { S_STRIPES, S_ROW_SUMS };

static int ssim_run(const vsr_plane *a, const vsr_plane *b, int nplanes, pthreadpool_t pool,
                    unsigned isa_mask, int rgb_to_y, vsr_metrics_scratch *scr, double *ssim,
                    vsr_error *err)
{
    ssim_job j = {.a = a, .b = b, .nplanes = nplanes, .w = a[0].width, .h = a[0].height};
    j.to_y = rgb_to_y ? vsr_metrics_rgb2y_row(isa_mask) : NULL;
    j.ow = j.w - 2 * HALF;
    j.oh = j.h - 2 * HALF;
    if (j.ow <= 0 || j.oh <= 0)
        return vsr_error_set(err, -EINVAL,
                             "ssim: %dx%d (after crop) is smaller than the 11x11 window", j.w,
                             j.h);
    gauss11(&j.g);
    j.k = pick_kernels(isa_mask);
    const size_t threads = vsr_metrics_threads(pool);
    j.nstripes = threads > 1 ? (int)(threads * 2) : 1;
    if (j.nstripes > (j.oh + VSR_SSIM_VGROUP - 1) / VSR_SSIM_VGROUP)
        j.nstripes = (j.oh + VSR_SSIM_VGROUP - 1) / VSR_SSIM_VGROUP;
    size_t cs;
    j.per_stripe = stripe_floats(j.w, (j.ow + VSR_SSIM_TW - 1) / VSR_SSIM_TW, &cs);
    /* every float a kernel reads is written first (slots are filled up to
     * tw + 10 samples, maps up to tw columns), so no zeroing */
    j.scratch = vsr_metrics_scratch_get(scr, S_STRIPES,
                                        sizeof(float) * j.per_stripe * (size_t)j.nstripes);
    j.row_sums = vsr_metrics_scratch_get(scr, S_ROW_SUMS,
                                         sizeof(double) * (size_t)nplanes * (size_t)j.oh);
    if (!j.scratch || !j.row_sums)
        return vsr_error_set(err, -ENOMEM, "ssim: out of memory for %d stripes of %d columns",
                             j.nstripes, j.w);
    pthreadpool_parallelize_1d(pool, ssim_stripe, &j, (size_t)j.nstripes,
                               VSR_METRICS_POOL_FLAGS);
    double total = 0.0;
    for (int p = 0; p < nplanes; p++) {
        double s = 0.0;
        for (int r = 0; r < j.oh; r++)
            s += j.row_sums[(size_t)p * j.oh + r];
        total += s / ((double)j.ow * j.oh);
    }
    *ssim = total / nplanes;
    return 0;
}

/* ssim_run with a scratch of its own, freed before returning. */
static int ssim_run_once(const vsr_plane *a, const vsr_plane *b, int nplanes,
                         pthreadpool_t pool, unsigned isa_mask, int rgb_to_y, double *ssim,
                         vsr_error *err)
{
    vsr_metrics_scratch s = {0};
    const int rc = ssim_run(a, b, nplanes, pool, isa_mask, rgb_to_y, &s, ssim, err);
    vsr_metrics_scratch_free(&s);
    return rc;
}

int vsr_metrics_ssim_planes_isa(const vsr_plane *a, const vsr_plane *b, int nplanes,
                                pthreadpool_t pool, unsigned isa_mask, double *ssim,
                                vsr_error *err)
{
    return ssim_run_once(a, b, nplanes, pool, isa_mask, 0, ssim, err);
}

int vsr_metrics_ssim_planes(const vsr_plane *a, const vsr_plane *b, int nplanes,
                            pthreadpool_t pool, double *ssim, vsr_error *err)
{
    return ssim_run_once(a, b, nplanes, pool, ~0u, 0, ssim, err);
}

int vsr_metrics_ssim(const vsr_frame *gt, const vsr_frame *sr, int crop_border, int y_channel,
                     pthreadpool_t pool, double *ssim, vsr_error *err)
{
    vsr_metrics_scratch s = {0};
    const int rc = vsr_metrics_ssim_s(gt, sr, crop_border, y_channel, pool, &s, ssim, err);
    vsr_metrics_scratch_free(&s);
    return rc;
}

int vsr_metrics_ssim_s(const vsr_frame *gt, const vsr_frame *sr, int crop_border, int y_channel,
                       pthreadpool_t pool, vsr_metrics_scratch *scr, double *ssim,
                       vsr_error *err)
{
    int rc = vsr_metrics_check_pair(gt, sr, crop_border, WIN, WIN, "ssim", err);
    if (rc < 0)
        return rc;
    vsr_plane pa[3], pb[3];
    const int n = vsr_metrics_planes(gt, crop_border, pa);
    vsr_metrics_planes(sr, crop_border, pb);
    /* A gray frame is its own Y: BasicSR returns (x / 255.f) * 255.f, which
     * equals x for all 256 values (tests/metrics/test_ssim_fast.c). */
    if (!y_channel || n == 1)
        return ssim_run(pa, pb, n, pool, ~0u, 0, scr, ssim, err);
    /* Y of RGB: converted row by row inside the SSIM stripes (no Y planes) */
    return ssim_run(pa, pb, 1, pool, ~0u, 1, scr, ssim, err);
}
