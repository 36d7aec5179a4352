/*
 * Plane helpers shared by the metrics: size checks, BasicSR's Y conversion
 * (bit-exact dtype sequence), OpenCV gray, per-channel plane views.
 */
#include <errno.h>

#include "ssim_internal.h"

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

typedef struct y_job {
    const vsr_frame *f;
    int crop;
    int w;
    float *y;
    const y_lut *lut;
    vsr_rgb2y_row_fn row_rgb; /* u8-rgb2y-template.h: bit-exact BasicSR Y */
} y_job;

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
    y_job j = {f, crop, f->width - 2 * crop, y, &lut, vsr_metrics_rgb2y_row(~0u)};
    pthreadpool_parallelize_1d(pool, y_row, &j, (size_t)(f->height - 2 * crop),
                               VSR_METRICS_POOL_FLAGS);
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
