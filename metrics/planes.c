/*
 * Plane helpers shared by the metrics: size checks, BasicSR's Y conversion
 * (bit-exact dtype sequence), OpenCV gray, per-channel plane views.
 */
#include <errno.h>
#include <math.h>

#include "metrics_internal.h"

int vsr_metrics_check_pair(const vsr_frame *a, const vsr_frame *b, int crop, int min_w,
                           int min_h, const char *what, vsr_error *err)
{
    if (!a || !b || !a->data || !b->data)
        return vsr_error_set(err, -EINVAL, "%s: missing image", what);
    if (a->width != b->width || a->height != b->height || a->channels != b->channels)
        return vsr_error_set(err, -EINVAL,
                             "%s: image sizes differ: gt %dx%dx%d vs sr %dx%dx%d; "
                             "compare images of the same size",
                             what, a->width, a->height, a->channels, b->width, b->height,
                             b->channels);
    if (a->channels != 1 && a->channels != 3)
        return vsr_error_set(err, -EINVAL, "%s: %d channels, expected 1 (gray) or 3 (RGB)",
                             what, a->channels);
    if (crop < 0 || a->width - 2 * crop < min_w || a->height - 2 * crop < min_h)
        return vsr_error_set(err, -EINVAL,
                             "%s: %dx%d image with crop border %d leaves less than %dx%d "
                             "pixels; lower --crop-border",
                             what, a->width, a->height, crop, min_w, min_h);
    return 0;
}

/* x/255 rounded to float32 (numpy: uint8 -> float32, / 255. in float32). */
typedef struct y_lut {
    float div255[256]; /* (float)x / 255.0f */
    float gray_y[256]; /* ((float)x / 255.0f) * 255.0f, BasicSR's Y of a gray image */
} y_lut;

static void y_lut_fill(y_lut *l)
{
    for (int i = 0; i < 256; i++) {
        l->div255[i] = (float)i / 255.0f;
        l->gray_y[i] = l->div255[i] * 255.0f;
    }
}

typedef void (*y_row_fn)(const uint8_t *restrict s, int w, float *restrict d);

typedef struct y_job {
    const vsr_frame *f;
    int crop;
    int w;
    float *y;
    const y_lut *lut;
    y_row_fn row_rgb;
} y_job;

/*
 * Precision, step by step, as numpy does it in BasicSR's to_y_channel +
 * bgr2ycbcr(y_only=True) on a float32 image:
 *   x32 = float32(x) / 255            float32 (correctly rounded)
 *   d = x32_B*24.966 + x32_G*128.553 + x32_R*65.481 + 16   float64 (np.dot
 *       promotes to float64; summed in B, G, R order)
 *   y32 = float32(d / 255)            float64 division, rounded to float32
 *   Y = y32 * 255                     float32 multiply (not rounded to int)
 * The build uses ISO C mode (no FP contraction), so no FMA changes these.
 *
 * The float64 division is computed as d * (1/255) (a multiply is ~10x
 * cheaper and vectorizes at full width). The two differ by at most one
 * float64 ulp before the rounding to float32, and they give the same
 * float32 for every one of the 2^24 RGB triples: tests/metrics
 * (test_y_conversion_exhaustive) checks all of them against the literal
 * division. The float32 x / 255 is not a plain multiply (x * (1/255.f)
 * differs for 126 of the 256 values) but one multiply and one FMA
 * correction step, DIV255 below, which equals x / 255.0f for all 256
 * values (checked by the same test); vdivps was the bottleneck of the row.
 */
/* q + (x - 255 q) / 255 with q = x * (1/255), rounded once. A macro: a
 * static function is not inlined into the target clones and would run
 * without FMA (a libm call). */
#define DIV255(x, q) fmaf(fmaf(-(q), 255.0f, (x)), 1.0f / 255.0f, (q))

/* One row of RGB24 -> Y; the column loop vectorizes (no table gathers). */
#define Y_ROW_RGB_BODY                                                                         \
    for (int x = 0; x < w; x++) {                                                              \
        const float xr = (float)s[3 * x], xg = (float)s[3 * x + 1], xb = (float)s[3 * x + 2];  \
        const float qr = xr * (1.0f / 255.0f), qg = xg * (1.0f / 255.0f);                      \
        const float qb = xb * (1.0f / 255.0f);                                                 \
        const float r = DIV255(xr, qr), g = DIV255(xg, qg), b = DIV255(xb, qb);                \
        const double v =                                                                       \
            (((double)b * 24.966 + (double)g * 128.553) + (double)r * 65.481) + 16.0;          \
        const float y32 = (float)(v * (1.0 / 255.0)); /* == v / 255.0 after rounding */        \
        d[x] = y32 * 255.0f;                                                                   \
    }

static void y_row_rgb_scalar(const uint8_t *restrict s, int w, float *restrict d)
{
    Y_ROW_RGB_BODY
}

/* Copies with FMA, picked at run time (GCC's target_clones "avx2" and
 * "avx512f" lack FMA, and its "arch=" clones test the CPU model, not its
 * features). All copies give the same bits (explicit fmaf, no contraction). */
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2,fma"))) static void y_row_rgb_avx2(const uint8_t *restrict s, int w,
                                                               float *restrict d)
{
    Y_ROW_RGB_BODY
}
__attribute__((target("avx512f,avx2,fma,prefer-vector-width=512"))) static void
y_row_rgb_avx512f(const uint8_t *restrict s, int w, float *restrict d)
{
    Y_ROW_RGB_BODY
}
#endif

static y_row_fn pick_y_row(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return __builtin_cpu_supports("avx512f") ? y_row_rgb_avx512f : y_row_rgb_avx2;
#endif
    return y_row_rgb_scalar;
}

static void y_row(void *ctx, size_t yy)
{
    const y_job *j = ctx;
    const uint8_t *s =
        vsr_frame_row(j->f, (int)yy + j->crop) + (ptrdiff_t)j->crop * j->f->channels;
    float *d = j->y + yy * (size_t)j->w;
    if (j->f->channels == 1) {
        const float *g = j->lut->gray_y;
        for (int x = 0; x < j->w; x++)
            d[x] = g[s[x]];
        return;
    }
    j->row_rgb(s, j->w, d);
}

void vsr_metrics_to_y(const vsr_frame *f, int crop, float *y, pthreadpool_t pool)
{
    y_lut lut;
    y_lut_fill(&lut);
    y_job j = {f, crop, f->width - 2 * crop, y, &lut, pick_y_row()};
    pthreadpool_parallelize_1d(pool, y_row, &j, (size_t)(f->height - 2 * crop), 0);
}

void vsr_metrics_to_gray_f32(const vsr_frame *f, int crop, float *out)
{
    y_lut lut;
    y_lut_fill(&lut);
    const int w = f->width - 2 * crop, h = f->height - 2 * crop;
    for (int yy = 0; yy < h; yy++) {
        const uint8_t *s = vsr_frame_row(f, yy + crop) + (ptrdiff_t)crop * f->channels;
        float *d = out + (size_t)yy * w;
        for (int x = 0; x < w; x++) {
            if (f->channels == 1) {
                d[x] = lut.gray_y[s[x]];
                continue;
            }
            const uint8_t *p = s + 3 * (ptrdiff_t)x;
            /* cv2.cvtColor(BGR2GRAY) on float32: B*0.114f + G*0.587f + R*0.299f. */
            float g = lut.div255[p[2]] * 0.114f + lut.div255[p[1]] * 0.587f +
                      lut.div255[p[0]] * 0.299f;
            d[x] = g * 255.0f;
        }
    }
}

int vsr_metrics_planes(const vsr_frame *f, int crop, vsr_plane *planes)
{
    for (int c = 0; c < f->channels; c++) {
        planes[c] = (vsr_plane){
            .u8 = vsr_frame_row(f, crop) + (ptrdiff_t)crop * f->channels + c,
            .step = f->channels,
            .stride = f->stride,
            .width = f->width - 2 * crop,
            .height = f->height - 2 * crop,
        };
    }
    return f->channels;
}
