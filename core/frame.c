#include <stdlib.h>
#include <string.h>

#include "vsr/core.h"

int vsr_frame_alloc(vsr_frame *frame, int width, int height, int channels, vsr_error *err)
{
    memset(frame, 0, sizeof(*frame));
    if (width <= 0 || height <= 0 || (channels != 1 && channels != 3 && channels != 4))
        return vsr_error_set(err, -EINVAL, "frame: invalid size %dx%dx%d", width, height,
                             channels);
    size_t stride = (size_t)width * (size_t)channels;
    if ((size_t)height > SIZE_MAX / stride)
        return vsr_error_set(err, -EINVAL, "frame: %dx%d is too large", width, height);
    uint8_t *data = calloc((size_t)height, stride);
    if (!data)
        return vsr_error_set(err, -ENOMEM, "frame: out of memory for %dx%dx%d", width, height,
                             channels);
    frame->width = width;
    frame->height = height;
    frame->channels = channels;
    frame->stride = (ptrdiff_t)stride;
    frame->data = data;
    frame->owned = 1;
    return 0;
}

void vsr_frame_free(vsr_frame *frame)
{
    if (!frame)
        return;
    if (frame->owned)
        free(frame->data);
    memset(frame, 0, sizeof(*frame));
}

int vsr_frame_copy(vsr_frame *dst, const vsr_frame *src, vsr_error *err)
{
    int rc = vsr_frame_alloc(dst, src->width, src->height, src->channels, err);
    if (rc < 0)
        return rc;
    size_t row = (size_t)src->width * (size_t)src->channels;
    for (int y = 0; y < src->height; y++)
        memcpy(vsr_frame_row(dst, y), vsr_frame_row(src, y), row);
    return 0;
}

int vsr_frame_view(vsr_frame *view, const vsr_frame *src, int x, int y, int w, int h,
                   vsr_error *err)
{
    if (x < 0 || y < 0 || w <= 0 || h <= 0 || x + w > src->width || y + h > src->height)
        return vsr_error_set(err, -EINVAL,
                             "frame view (%d,%d %dx%d) is outside the %dx%d frame", x, y, w, h,
                             src->width, src->height);
    view->width = w;
    view->height = h;
    view->channels = src->channels;
    view->stride = src->stride;
    view->data = src->data + (ptrdiff_t)y * src->stride + (ptrdiff_t)x * src->channels;
    view->owned = 0;
    return 0;
}
