/*
 * Fuzz target: image and video decoding through datasets/ (FFmpeg): the
 * bytes as one image file, then as a video of which at most 3 frames are
 * read. FFmpeg probes the content, so the file name has no extension.
 */
#include "fuzz_common.h"
#include "vsr/datasets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write(data, size, "");
    if (!path)
        return 0;
    vsr_error err = {0};
    vsr_frame f = {0};
    if (vsr_image_read(path, 0, &f, &err) == 0)
        vsr_frame_free(&f);
    vsr_source *src = NULL;
    if (vsr_source_open_video(path, 0, &src, &err) == 0) {
        for (int i = 0; i < 3 && vsr_source_read(src, &f, &err) == 0; i++)
            ;
        vsr_frame_free(&f);
        vsr_source_close(&src);
    }
    return 0;
}
