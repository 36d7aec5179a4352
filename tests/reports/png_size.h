/* Tests of reports/: the pixel size of a PNG the plots wrote, read from its IHDR chunk. */
#ifndef VSR_TEST_PNG_SIZE_H
#define VSR_TEST_PNG_SIZE_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Width and height from a PNG's signature + IHDR; -1 when not a PNG. */
static inline int png_size(const char *path, uint32_t *w, uint32_t *h)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    uint8_t b[24];
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t n = fread(b, 1, sizeof(b), f);
    fclose(f);
    if (n != sizeof(b) || memcmp(b, sig, 8) != 0 || memcmp(b + 12, "IHDR", 4) != 0)
        return -1;
    *w = (uint32_t)b[16] << 24 | (uint32_t)b[17] << 16 | (uint32_t)b[18] << 8 | b[19];
    *h = (uint32_t)b[20] << 24 | (uint32_t)b[21] << 16 | (uint32_t)b[22] << 8 | b[23];
    return 0;
}

#endif
