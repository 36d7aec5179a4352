/*
 * The fast SSIM (float32 centred moments, per-ISA kernels) against
 * independent references: a naive double-precision 11x11 Gaussian SSIM
 * written here from docs/METRICS.md, the scalar kernels (every SIMD copy must
 * give the same bits), and BasicSR's literal Y conversion over all 2^24
 * RGB triples.
 */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ssim_internal.h"
#include "vsr/metrics.h"

/* ---- independent double reference ---------------------------------------- */

/* SSIM of one w x h channel pair (doubles) exactly as docs/METRICS.md states it:
 * 2-D window = outer product of the normalised 1-D Gaussian, 'valid',
 * s_xx = w*(x^2) - mu_x^2 etc. (BasicSR's formula, float64 throughout). */
static double ref_ssim_plane(const double *x, const double *y, int w, int h)
{
    double g[11], sum = 0.0;
    for (int i = 0; i < 11; i++) {
        g[i] = exp(-(i - 5.0) * (i - 5.0) / (2.0 * 1.5 * 1.5));
        sum += g[i];
    }
    for (int i = 0; i < 11; i++)
        g[i] /= sum;
    const double c1 = (0.01 * 255) * (0.01 * 255), c2 = (0.03 * 255) * (0.03 * 255);
    double total = 0.0;
    for (int r = 0; r + 11 <= h; r++)
        for (int c = 0; c + 11 <= w; c++) {
            double mx = 0, my = 0, xx = 0, yy = 0, xy = 0;
            for (int i = 0; i < 11; i++)
                for (int j = 0; j < 11; j++) {
                    const double wt = g[i] * g[j];
                    const double a = x[(size_t)(r + i) * w + c + j];
                    const double b = y[(size_t)(r + i) * w + c + j];
                    mx += wt * a;
                    my += wt * b;
                    xx += wt * a * a;
                    yy += wt * b * b;
                    xy += wt * a * b;
                }
            const double sxx = xx - mx * mx, syy = yy - my * my, sxy = xy - mx * my;
            total += ((2 * mx * my + c1) * (2 * sxy + c2)) /
                     ((mx * mx + my * my + c1) * (sxx + syy + c2));
        }
    return total / ((double)(w - 10) * (h - 10));
}

/* ---- adversarial images ------------------------------------------------- */

enum { AW = 75, AH = 61 }; /* odd sizes: partial tiles and vectors */

static unsigned lcg(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 16;
}

/* Fill gray images a, b (AW x AH) with pattern @p kind. */
static void make_pair(int kind, uint8_t *a, uint8_t *b)
{
    unsigned s = 77u + (unsigned)kind;
    for (int r = 0; r < AH; r++)
        for (int c = 0; c < AW; c++) {
            int va = 0, vb = 0;
            switch (kind) {
            case 0: /* flat, far from mid-grey, different levels */
                va = 255, vb = 250;
                break;
            case 1:
                va = 0, vb = 3;
                break;
            case 2: /* full-range independent noise */
                va = (int)(lcg(&s) % 256), vb = (int)(lcg(&s) % 256);
                break;
            case 3: /* step edges 0|255 with flat sides, b shifted by a pixel */
                va = (c / 9) % 2 ? 255 : 0, vb = ((c + 1) / 9) % 2 ? 255 : 0;
                break;
            case 4: /* checkerboard of 5x5 blocks vs its noisy copy */
                va = ((r / 5 + c / 5) % 2) ? 250 : 5;
                vb = va + (int)(lcg(&s) % 5) - 2;
                break;
            case 5: /* smooth ramps (slope 3, periodic texture) + tiny noise */
                va = (3 * c + 2 * r) % 256, vb = va + (int)(lcg(&s) % 3) - 1;
                break;
            case 6: /* bright flat with a single-pixel speck, near-identical */
                va = 240, vb = (r == 30 && c == 37) ? 239 : 240;
                break;
            default: /* mostly flat at 200 with sparse full-range spikes */
                va = lcg(&s) % 50 ? 200 : 0, vb = lcg(&s) % 50 ? 201 : 255;
                break;
            }
            a[r * AW + c] = (uint8_t)(va < 0 ? 0 : va > 255 ? 255 : va);
            b[r * AW + c] = (uint8_t)(vb < 0 ? 0 : vb > 255 ? 255 : vb);
        }
}

static void test_fast_vs_double_reference(void **state)
{
    (void)state;
    static uint8_t a[AW * AH], b[AW * AH];
    static double da[AW * AH], db[AW * AH];
    double worst = 0.0;
    for (int kind = 0; kind < 8; kind++) {
        make_pair(kind, a, b);
        for (int i = 0; i < AW * AH; i++) {
            da[i] = a[i];
            db[i] = b[i];
        }
        const double ref = ref_ssim_plane(da, db, AW, AH);
        vsr_frame fa = {.data = a, .width = AW, .height = AH, .channels = 1, .stride = AW};
        vsr_frame fb = {.data = b, .width = AW, .height = AH, .channels = 1, .stride = AW};
        double fast;
        assert_int_equal(vsr_metrics_ssim(&fa, &fb, 0, 0, NULL, &fast, NULL), 0);
        print_message("pattern %d: fast %.10f double %.10f diff %.2e\n", kind, fast, ref,
                      fast - ref);
        assert_true(fabs(fast - ref) <= 1e-6);
        if (fabs(fast - ref) > worst)
            worst = fabs(fast - ref);
    }
    print_message("worst |fast - double| = %.2e\n", worst);
}

/* Y variant: float planes (unrounded Y) of noise and of smooth content. */
static void test_fast_vs_double_reference_y(void **state)
{
    (void)state;
    static uint8_t a[AW * AH * 3], b[AW * AH * 3];
    static float ya[AW * AH], yb[AW * AH];
    static double da[AW * AH], db[AW * AH];
    unsigned s = 5;
    for (int kind = 0; kind < 2; kind++) {
        for (int i = 0; i < AW * AH * 3; i++) {
            const int c = (i / 3) % AW, r = i / (3 * AW);
            const int v = kind ? (int)(lcg(&s) % 256) : (2 * c + r + (i % 3) * 40) % 256;
            a[i] = (uint8_t)v;
            b[i] = (uint8_t)(kind ? lcg(&s) % 256 : (unsigned)(v + (int)(lcg(&s) % 3)) % 256);
        }
        vsr_frame fa = {.data = a, .width = AW, .height = AH, .channels = 3, .stride = 3 * AW};
        vsr_frame fb = {.data = b, .width = AW, .height = AH, .channels = 3, .stride = 3 * AW};
        vsr_metrics_to_y(&fa, 0, ya, NULL);
        vsr_metrics_to_y(&fb, 0, yb, NULL);
        for (int i = 0; i < AW * AH; i++) {
            da[i] = ya[i];
            db[i] = yb[i];
        }
        const double ref = ref_ssim_plane(da, db, AW, AH);
        double fast;
        assert_int_equal(vsr_metrics_ssim(&fa, &fb, 0, 1, NULL, &fast, NULL), 0);
        print_message("Y %s: fast %.10f double %.10f diff %.2e\n", kind ? "noise" : "smooth",
                      fast, ref, fast - ref);
        assert_true(fabs(fast - ref) <= 1e-6);
    }
}

/* ---- every SIMD copy gives the scalar copy's bits ------------------------ */

static const unsigned isas[] = {VSR_SSIM_ISA_AVX2, VSR_SSIM_ISA_AVX512F};

static int have(unsigned isa)
{
    return (vsr_metrics_ssim_cpu_isa() & isa) == isa;
}

static void kernels_for(unsigned isa, vsr_ssim_hpass_fn *h, vsr_ssim_vpass_fn *v)
{
    *h = vsr_f32_ssim_hpass_1__scalar;
    *v = vsr_f32_ssim_vpass_4x1__scalar;
#if defined(__x86_64__)
    if (isa == VSR_SSIM_ISA_AVX2) {
        *h = vsr_f32_ssim_hpass_8__avx2;
        *v = vsr_f32_ssim_vpass_4x8__avx2;
    } else if (isa == VSR_SSIM_ISA_AVX512F) {
        *h = vsr_f32_ssim_hpass_16__avx512f;
        *v = vsr_f32_ssim_vpass_4x16__avx512f;
    }
#endif
}

static void test_kernels_match_scalar(void **state)
{
    (void)state;
    const vsr_ssim_weights w = {
        {0.2660117f, 0.2129959f, 0.1093607f, 0.0360055f, 0.0075987f, 0.0010282f}};
    /* +1: slots start one float off the allocation's alignment */
    const size_t nf = VSR_SSIM_VROWS * VSR_SSIM_SLOT + 1;
    float *ref = calloc(nf, sizeof(float)), *got = calloc(nf, sizeof(float));
    float *mref = calloc(VSR_SSIM_VGROUP * VSR_SSIM_TW, sizeof(float));
    float *mgot = calloc(VSR_SSIM_VGROUP * VSR_SSIM_TW, sizeof(float));
    assert_non_null(ref);
    assert_non_null(got);
    int tested = 0;
    for (size_t i = 0; i < sizeof(isas) / sizeof(isas[0]); i++) {
        if (!have(isas[i])) {
            print_message("%s: not on this CPU, skipped\n", vsr_metrics_ssim_isa_name(isas[i]));
            continue;
        }
        vsr_ssim_hpass_fn hp;
        vsr_ssim_vpass_fn vp;
        kernels_for(isas[i], &hp, &vp);
        unsigned s = 99;
        for (int n = 1; n <= VSR_SSIM_TW; n += (n < 20 ? 1 : 7)) {
            for (int kind = 0; kind < 3; kind++) {
                float *rs[VSR_SSIM_VROWS], *gs[VSR_SSIM_VROWS];
                for (int t = 0; t < VSR_SSIM_VROWS; t++) {
                    rs[t] = ref + 1 + (size_t)t * VSR_SSIM_SLOT;
                    gs[t] = got + 1 + (size_t)t * VSR_SSIM_SLOT;
                    for (int k = 0; k < n + 10; k++) {
                        /* 8-bit values, unrounded Y-like values, a smooth area */
                        const float u = (float)(lcg(&s) % 256), fr = (float)(lcg(&s) % 4096);
                        const float vx = kind == 0   ? u
                                         : kind == 1 ? 16.0f + u * (219.0f / 255.0f) + fr / 8192
                                                     : 100.0f + (float)(k % 3);
                        rs[t][k] = gs[t][k] = vx;
                        rs[t][VSR_SSIM_OFF_Y + k] = gs[t][VSR_SSIM_OFF_Y + k] =
                            kind == 2 ? vx : (float)(lcg(&s) % 256);
                    }
                    vsr_f32_ssim_hpass_1__scalar(rs[t], n, &w);
                    hp(gs[t], n, &w);
                    for (int m = 0; m < 4; m++) {
                        const size_t off = VSR_SSIM_OFF_AX + (size_t)m * VSR_SSIM_TW;
                        assert_memory_equal(rs[t] + off, gs[t] + off, sizeof(float) * n);
                    }
                }
                vsr_f32_ssim_vpass_4x1__scalar((const float *const *)rs, n, &w, mref);
                vp((const float *const *)gs, n, &w, mgot);
                for (int i = 0; i < VSR_SSIM_VGROUP; i++)
                    assert_memory_equal(mref + i * VSR_SSIM_TW, mgot + i * VSR_SSIM_TW,
                                        sizeof(float) * n);
                tested++;
            }
        }
    }
    print_message("%d kernel comparisons\n", tested);
    free(ref);
    free(got);
    free(mref);
    free(mgot);
}

/* Whole SSIM on odd sizes through each kernel set and thread count: the
 * same bits as the scalar set on one thread. */
static void test_isa_and_threads_same_bits(void **state)
{
    (void)state;
    enum { W = 157, H = 83 };
    static uint8_t a[W * H * 3], b[W * H * 3];
    unsigned s = 3;
    for (int i = 0; i < W * H * 3; i++) {
        a[i] = (uint8_t)((i / 3) % W < 60 ? 180 : lcg(&s) % 256);
        b[i] = (uint8_t)(a[i] + lcg(&s) % 7 - 3);
    }
    vsr_plane pa[3], pb[3];
    for (int c = 0; c < 3; c++) {
        pa[c] = (vsr_plane){.u8 = a + c, .step = 3, .stride = 3 * W, .width = W, .height = H};
        pb[c] = (vsr_plane){.u8 = b + c, .step = 3, .stride = 3 * W, .width = W, .height = H};
    }
    double scalar;
    assert_int_equal(vsr_metrics_ssim_planes_isa(pa, pb, 3, NULL, 0, &scalar, NULL), 0);
    pthreadpool_t pool = pthreadpool_create(2);
    for (size_t i = 0; i < sizeof(isas) / sizeof(isas[0]); i++)
        for (int t = 0; t < 2; t++) {
            double v;
            assert_int_equal(
                vsr_metrics_ssim_planes_isa(pa, pb, 3, t ? pool : NULL, isas[i], &v, NULL), 0);
            print_message("%s %dT: %.17g (scalar %.17g)\n", vsr_metrics_ssim_isa_name(isas[i]),
                          t + 1, v, scalar);
            assert_true(v == scalar);
        }
    pthreadpool_destroy(pool);
}

/* ---- Y conversion: bit-exact with BasicSR's dtype sequence ---------------- */

/* The literal sequence: float32 x / 255 (division), float64 dot product in
 * B, G, R order + 16, float64 division by 255, rounded to float32, times
 * 255 in float32. */
static float basicsr_y(int r, int g, int b)
{
    const float rf = (float)r / 255.0f, gf = (float)g / 255.0f, bf = (float)b / 255.0f;
    const double v =
        (((double)bf * 24.966 + (double)gf * 128.553) + (double)rf * 65.481) + 16.0;
    const float y32 = (float)(v / 255.0);
    return y32 * 255.0f;
}

static void test_y_conversion_exhaustive(void **state)
{
    (void)state;
    /* all 2^24 triples, 16 chunks of 4096 x 256 pixels */
    enum { CW = 4096, CH = 256 };
    vsr_frame f = {0};
    assert_int_equal(vsr_frame_alloc(&f, CW, CH, 3, NULL), 0);
    float *y = malloc(sizeof(float) * CW * CH);
    assert_non_null(y);
    pthreadpool_t pool = pthreadpool_create(2);
    long mismatches = 0;
    for (int r = 0; r < 256; r += 16) {
        for (int row = 0; row < CH; row++) {
            uint8_t *p = vsr_frame_row(&f, row);
            for (int col = 0; col < CW; col++) {
                p[3 * col] = (uint8_t)(r + col / 256 % 16); /* R: 16 values per chunk */
                p[3 * col + 1] = (uint8_t)row;              /* G */
                p[3 * col + 2] = (uint8_t)(col % 256);      /* B */
            }
        }
        vsr_metrics_to_y(&f, 0, y, pool);
        for (int row = 0; row < CH; row++) {
            const uint8_t *p = vsr_frame_row(&f, row);
            for (int col = 0; col < CW; col++) {
                const float e = basicsr_y(p[3 * col], p[3 * col + 1], p[3 * col + 2]);
                if (memcmp(&e, &y[(size_t)row * CW + col], sizeof(float)) != 0)
                    mismatches++;
            }
        }
    }
    print_message("Y conversion: %ld of 16777216 RGB triples differ from BasicSR\n",
                  mismatches);
    assert_int_equal(mismatches, 0);
    /* BasicSR's Y of a gray image is (x / 255.f) * 255.f: SSIM uses the gray
     * plane itself, which needs these to be x exactly */
    for (int x = 0; x < 256; x++)
        assert_true(((float)x / 255.0f) * 255.0f == (float)x);
    pthreadpool_destroy(pool);
    free(y);
    vsr_frame_free(&f);
}

/* VSR_FORCE_SCALAR=1 picks the scalar kernels for the metrics too (core's
 * vsr_cpu_isa()); without it the widest set the CPU has, as core detects. */
static void test_force_scalar(void **state)
{
    (void)state;
    setenv("VSR_FORCE_SCALAR", "1", 1);
    assert_int_equal(vsr_metrics_ssim_cpu_isa(), 0);
    assert_string_equal(vsr_metrics_ssim_isa_name(~0u), "scalar");
    assert_true(vsr_metrics_rgb2y_row(~0u) == vsr_u8_rgb2y_row_1__scalar);
    unsetenv("VSR_FORCE_SCALAR");
    unsigned f = vsr_cpu_features();
    assert_string_equal(vsr_metrics_ssim_isa_name(~0u), (f & VSR_ISA_AVX512) ? "avx512f"
                                                        : (f & VSR_ISA_AVX2) ? "avx2"
                                                                             : "scalar");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fast_vs_double_reference),
        cmocka_unit_test(test_fast_vs_double_reference_y),
        cmocka_unit_test(test_kernels_match_scalar),
        cmocka_unit_test(test_isa_and_threads_same_bits),
        cmocka_unit_test(test_y_conversion_exhaustive),
        cmocka_unit_test(test_force_scalar),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
