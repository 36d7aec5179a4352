/*
 * MATLAB-compatible imresize (bicubic, Keys a = -0.5, antialiased when
 * shrinking), following MATLAB's contributions() and BasicSR's
 * matlab_functions.imresize (see docs/METRICS.md).
 *
 * The tap tables are computed once per axis per call. The 8-bit path works
 * in double (like MATLAB) on the 0..255 scale; the float path in float32
 * (like BasicSR's torch code) for NIQE.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vsr/datasets.h"

/* Keys cubic convolution kernel with a = -0.5. */
static double cubic(double x)
{
    double ax = fabs(x), ax2 = ax * ax, ax3 = ax2 * ax;
    if (ax <= 1.0)
        return 1.5 * ax3 - 2.5 * ax2 + 1.0;
    if (ax <= 2.0)
        return -0.5 * ax3 + 2.5 * ax2 - 4.0 * ax + 2.0;
    return 0.0;
}

int vsr_imresize_out_len(int in_len, double scale)
{
    if (in_len <= 0 || !(scale > 0.0) || !isfinite(scale))
        return -EINVAL;
    double v = (double)in_len * scale;
    double r = nearbyint(v);
    /* 720 * 0.25 is exact, but e.g. 3 * (1/3.0) is 0.999..: treat values
     * within 1e-9 of an integer as that integer before the ceil. */
    double out = fabs(v - r) < 1e-9 ? r : ceil(v);
    if (out < 1.0 || out > (double)(1 << 28))
        return -EINVAL;
    return (int)out;
}

void vsr_imresize_taps_free(vsr_imresize_taps *taps)
{
    if (!taps)
        return;
    free(taps->index);
    free(taps->weight);
    memset(taps, 0, sizeof(*taps));
}

int vsr_imresize_taps_compute(int in_len, double scale, vsr_imresize_taps *taps, vsr_error *err)
{
    memset(taps, 0, sizeof(*taps));
    int out_len = vsr_imresize_out_len(in_len, scale);
    if (out_len < 0)
        return vsr_error_set(err, -EINVAL, "imresize: invalid length %d or scale %g", in_len,
                             scale);
    const int antialias = scale < 1.0;
    const double width = antialias ? 4.0 / scale : 4.0;
    const int p = (int)ceil(width) + 2;
    int rc = 0;
    int *idx = malloc(sizeof(int) * (size_t)out_len * (size_t)p);
    double *w = malloc(sizeof(double) * (size_t)out_len * (size_t)p);
    char *used = calloc((size_t)p, 1);
    if (!idx || !w || !used) {
        rc = vsr_error_set(err, -ENOMEM, "imresize: out of memory for %d taps", out_len * p);
        goto fail;
    }
    for (int j = 0; j < out_len; j++) {
        double u = (j + 1) / scale + 0.5 * (1.0 - 1.0 / scale); /* 1-based */
        long left = (long)floor(u - width / 2.0);
        double sum = 0.0;
        for (int t = 0; t < p; t++) {
            long i = left + t; /* 1-based, maybe outside 1..in_len */
            double x = u - (double)i;
            double h = antialias ? scale * cubic(scale * x) : cubic(x);
            w[(size_t)j * p + t] = h;
            sum += h;
            /* Half-sample symmetric mirroring: aux = [1..L, L..1]. */
            long m = (i - 1) % (2L * in_len);
            if (m < 0)
                m += 2L * in_len;
            idx[(size_t)j * p + t] = (int)(m < in_len ? m : 2L * in_len - 1 - m); /* 0-based */
        }
        for (int t = 0; t < p; t++) {
            w[(size_t)j * p + t] /= sum;
            if (w[(size_t)j * p + t] != 0.0)
                used[t] = 1;
        }
    }
    /* Drop the tap columns that are zero for every output (MATLAB). */
    int n = 0;
    for (int t = 0; t < p; t++)
        n += used[t];
    for (int j = 0; j < out_len; j++) {
        int k = 0;
        for (int t = 0; t < p; t++) {
            if (!used[t])
                continue;
            idx[(size_t)j * n + k] = idx[(size_t)j * p + t];
            w[(size_t)j * n + k] = w[(size_t)j * p + t];
            k++;
        }
    }
    free(used);
    taps->in_len = in_len;
    taps->out_len = out_len;
    taps->ntaps = n;
    taps->index = idx;
    taps->weight = w;
    return 0;
fail:
    free(idx);
    free(w);
    free(used);
    return rc;
}

static uint8_t round_clip_u8(double v)
{
    if (!(v > 0.0)) /* also NaN */
        return 0;
    if (v >= 255.0)
        return 255;
    return (uint8_t)floor(v + 0.5); /* half away from zero (v >= 0) */
}

int vsr_imresize_u8(const vsr_frame *in, double scale, vsr_frame *out, vsr_error *err)
{
    vsr_frame_free(out); /* zeroed or owned, per the contract */
    if (!in || !in->data || (in->channels != 1 && in->channels != 3))
        return vsr_error_set(err, -EINVAL, "imresize: input must be a 1- or 3-channel frame");
    vsr_imresize_taps th = {0}, tw = {0};
    double *tmp = NULL;
    int rc = vsr_imresize_taps_compute(in->height, scale, &th, err);
    if (rc < 0)
        goto done;
    rc = vsr_imresize_taps_compute(in->width, scale, &tw, err);
    if (rc < 0)
        goto done;
    const int c = in->channels, w = in->width, oh = th.out_len, ow = tw.out_len;
    const size_t row = (size_t)w * c;
    tmp = malloc(sizeof(double) * row * (size_t)oh);
    if (!tmp) {
        rc = vsr_error_set(err, -ENOMEM, "imresize: out of memory (%dx%d)", w, oh);
        goto done;
    }
    /* Pass 1: rows (height axis). */
    for (int y = 0; y < oh; y++) {
        double *dst = tmp + (size_t)y * row;
        for (size_t x = 0; x < row; x++)
            dst[x] = 0.0;
        for (int t = 0; t < th.ntaps; t++) {
            double wt = th.weight[(size_t)y * th.ntaps + t];
            const uint8_t *src = vsr_frame_row(in, th.index[(size_t)y * th.ntaps + t]);
            for (size_t x = 0; x < row; x++)
                dst[x] += wt * src[x];
        }
    }
    rc = vsr_frame_alloc(out, ow, oh, c, err);
    if (rc < 0)
        goto done;
    /* Pass 2: columns (width axis). */
    for (int y = 0; y < oh; y++) {
        const double *src = tmp + (size_t)y * row;
        uint8_t *dst = vsr_frame_row(out, y);
        for (int x = 0; x < ow; x++) {
            const int *ix = tw.index + (size_t)x * tw.ntaps;
            const double *wx = tw.weight + (size_t)x * tw.ntaps;
            for (int k = 0; k < c; k++) {
                double acc = 0.0;
                for (int t = 0; t < tw.ntaps; t++)
                    acc += wx[t] * src[(size_t)ix[t] * c + k];
                dst[(size_t)x * c + k] = round_clip_u8(acc);
            }
        }
    }
done:
    free(tmp);
    vsr_imresize_taps_free(&th);
    vsr_imresize_taps_free(&tw);
    return rc;
}

int vsr_imresize_f32(const float *src, int w, int h, ptrdiff_t src_stride, double scale,
                     float *dst, ptrdiff_t dst_stride, vsr_error *err)
{
    if (!src || !dst || w <= 0 || h <= 0 || src_stride < w)
        return vsr_error_set(err, -EINVAL, "imresize: invalid float plane %dx%d", w, h);
    vsr_imresize_taps th = {0}, tw = {0};
    float *tmp = NULL, *wh = NULL, *ww = NULL;
    int rc = vsr_imresize_taps_compute(h, scale, &th, err);
    if (rc < 0)
        goto done;
    rc = vsr_imresize_taps_compute(w, scale, &tw, err);
    if (rc < 0)
        goto done;
    const int oh = th.out_len, ow = tw.out_len;
    if (dst_stride < ow) {
        rc = vsr_error_set(err, -EINVAL, "imresize: dst stride %td < output width %d",
                           dst_stride, ow);
        goto done;
    }
    tmp = malloc(sizeof(float) * (size_t)w * (size_t)oh);
    wh = malloc(sizeof(float) * (size_t)oh * (size_t)th.ntaps);
    ww = malloc(sizeof(float) * (size_t)ow * (size_t)tw.ntaps);
    if (!tmp || !wh || !ww) {
        rc = vsr_error_set(err, -ENOMEM, "imresize: out of memory (%dx%d)", w, oh);
        goto done;
    }
    for (size_t i = 0; i < (size_t)oh * th.ntaps; i++)
        wh[i] = (float)th.weight[i];
    for (size_t i = 0; i < (size_t)ow * tw.ntaps; i++)
        ww[i] = (float)tw.weight[i];
    for (int y = 0; y < oh; y++) {
        float *d = tmp + (size_t)y * w;
        for (int x = 0; x < w; x++)
            d[x] = 0.0f;
        for (int t = 0; t < th.ntaps; t++) {
            float wt = wh[(size_t)y * th.ntaps + t];
            const float *s = src + (ptrdiff_t)th.index[(size_t)y * th.ntaps + t] * src_stride;
            for (int x = 0; x < w; x++)
                d[x] += wt * s[x];
        }
    }
    for (int y = 0; y < oh; y++) {
        const float *s = tmp + (size_t)y * w;
        float *d = dst + (ptrdiff_t)y * dst_stride;
        for (int x = 0; x < ow; x++) {
            const int *ix = tw.index + (size_t)x * tw.ntaps;
            const float *wx = ww + (size_t)x * tw.ntaps;
            float acc = 0.0f;
            for (int t = 0; t < tw.ntaps; t++)
                acc += wx[t] * s[ix[t]];
            d[x] = acc;
        }
    }
done:
    free(tmp);
    free(wh);
    free(ww);
    vsr_imresize_taps_free(&th);
    vsr_imresize_taps_free(&tw);
    return rc;
}
