/*
 * The BI and BD degradations and modcrop (see datasets.h for the contract).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "datasets_internal.h"
#include "vsr/datasets.h"

const char *vsr_degradation_name(enum vsr_degradation d)
{
    return d == VSR_DEGRADE_BD ? "bd" : "bi";
}

int vsr_degradation_parse(const char *s, enum vsr_degradation *out, vsr_error *err)
{
    if (s && !strcasecmp(s, "bi")) {
        *out = VSR_DEGRADE_BI;
        return 0;
    }
    if (s && !strcasecmp(s, "bd")) {
        *out = VSR_DEGRADE_BD;
        return 0;
    }
    return vsr_error_set(err, -EINVAL, "degradation '%s' is unknown; use bi or bd",
                         s ? s : "(null)");
}

int vsr_modcrop(const vsr_frame *in, int scale, vsr_frame *view, vsr_error *err)
{
    if (scale < 1 || scale > 64)
        return vsr_error_set(err, -EINVAL, "modcrop: scale %d is out of range 1..64", scale);
    int w = in->width / scale * scale, h = in->height / scale * scale;
    if (w <= 0 || h <= 0)
        return vsr_error_set(err, -EINVAL, "modcrop: %dx%d frame is smaller than scale %d",
                             in->width, in->height, scale);
    return vsr_frame_view(view, in, 0, 0, w, h, err);
}

int vsr_degrade_bi(const vsr_frame *gt, int scale, vsr_frame *lr, vsr_error *err)
{
    vsr_frame v;
    vsr_frame_free(lr); /* zeroed or owned, per the contract */
    int rc = vsr_modcrop(gt, scale, &v, err);
    if (rc < 0)
        return rc;
    return vsr_imresize_u8(&v, 1.0 / scale, lr, err);
}

/* Half-sample symmetric (edge repeated): -1 -> 0, n -> n-1. */
static int symmetric(int i, int n)
{
    int period = 2 * n;
    i %= period;
    if (i < 0)
        i += period;
    return i < n ? i : period - 1 - i;
}

/* Reflect-101 (mirror without repeating the edge): -1 -> 1, n -> n-2. */
static int reflect101(int i, int n)
{
    if (n == 1)
        return 0;
    int period = 2 * (n - 1);
    i %= period;
    if (i < 0)
        i += period;
    return i < n ? i : period - i;
}

static int border_index(int i, int n, int border)
{
    if (border == VSR_BORDER_REPLICATE)
        return i < 0 ? 0 : i >= n ? n - 1 : i;
    if (border == VSR_BORDER_SYMMETRIC)
        return symmetric(i, n);
    return reflect101(i, n);
}

int vsr_degrade_bd_ex(const vsr_frame *gt, int scale, int offset, int border, vsr_frame *lr,
                      vsr_error *err)
{
    enum { R = VSR_BD_RADIUS, K = 2 * VSR_BD_RADIUS + 1 };
    vsr_frame v;
    vsr_frame_free(lr);
    const int truncate = (border & VSR_BD_TRUNCATE) != 0;
    border &= ~VSR_BD_TRUNCATE;
    int rc = vsr_modcrop(gt, scale, &v, err);
    if (rc < 0)
        return rc;
    double g[K], sum = 0.0;
    for (int i = 0; i < K; i++) {
        double x = i - R;
        g[i] = exp(-x * x / (2.0 * VSR_BD_SIGMA * VSR_BD_SIGMA));
        sum += g[i];
    }
    for (int i = 0; i < K; i++)
        g[i] /= sum;
    const int c = v.channels, ow = v.width / scale, oh = v.height / scale;
    double *tmp = malloc(sizeof(double) * (size_t)oh * (size_t)v.width * (size_t)c);
    if (!tmp)
        return vsr_error_set(err, -ENOMEM, "bd: out of memory");
    /* Vertical pass at the kept rows only, then horizontal at kept columns. */
    for (int oy = 0; oy < oh; oy++) {
        int cy = oy * scale + offset;
        double *d = tmp + (size_t)oy * v.width * c;
        for (int x = 0; x < v.width * c; x++)
            d[x] = 0.0;
        for (int t = 0; t < K; t++) {
            int y = cy + t - R;
            y = border_index(y, v.height, border);
            const uint8_t *s = vsr_frame_row(&v, y);
            for (int x = 0; x < v.width * c; x++)
                d[x] += g[t] * s[x];
        }
    }
    rc = vsr_frame_alloc(lr, ow, oh, c, err);
    if (rc < 0) {
        free(tmp);
        return rc;
    }
    for (int oy = 0; oy < oh; oy++) {
        const double *s = tmp + (size_t)oy * v.width * c;
        uint8_t *d = vsr_frame_row(lr, oy);
        for (int ox = 0; ox < ow; ox++) {
            int cx = ox * scale + offset;
            for (int k = 0; k < c; k++) {
                double acc = 0.0;
                for (int t = 0; t < K; t++) {
                    int x = cx + t - R;
                    x = border_index(x, v.width, border);
                    acc += g[t] * s[(size_t)x * c + k];
                }
                double r = truncate ? floor(acc + 1e-9) : floor(acc + 0.5);
                d[(size_t)ox * c + k] = r <= 0.0 ? 0 : r >= 255.0 ? 255 : (uint8_t)r;
            }
        }
    }
    free(tmp);
    return 0;
}

int vsr_degrade_bd(const vsr_frame *gt, int scale, vsr_frame *lr, vsr_error *err)
{
    return vsr_degrade_bd_ex(gt, scale, VSR_BD_OFFSET, VSR_BD_BORDER, lr, err);
}

int vsr_degrade(const vsr_frame *gt, enum vsr_degradation d, int scale, vsr_frame *lr,
                vsr_error *err)
{
    if (d == VSR_DEGRADE_BD)
        return vsr_degrade_bd(gt, scale, lr, err);
    return vsr_degrade_bi(gt, scale, lr, err);
}
