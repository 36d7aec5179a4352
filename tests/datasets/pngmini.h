/*
 * A tiny, independent PNG writer for the tests (stored deflate blocks, no
 * compression, no FFmpeg; the chunk CRC is core's vsr_crc32): lets the tests
 * make gray, RGB, RGBA and 16-bit PNGs whose pixels they know exactly.
 */
#ifndef VSR_TEST_PNGMINI_H
#define VSR_TEST_PNGMINI_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsr/core.h" /* vsr_crc32: the PNG chunk CRC is CRC-32 (test_core checks it) */

static void pngmini_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void pngmini_chunk(FILE *fp, const char *type, const uint8_t *data, size_t n)
{
    uint8_t b[4];
    pngmini_be32(b, (uint32_t)n);
    fwrite(b, 1, 4, fp);
    uint8_t *t = malloc(n + 4);
    memcpy(t, type, 4);
    if (n)
        memcpy(t + 4, data, n);
    fwrite(t, 1, n + 4, fp);
    pngmini_be32(b, vsr_crc32(0, t, n + 4));
    fwrite(b, 1, 4, fp);
    free(t);
}

/*
 * Write @p samples (h rows of w * channels samples, 8 or 16 bit, row-major)
 * as a PNG with colour type 0 (gray, 1 ch), 4 (gray+alpha), 2 (RGB) or
 * 6 (RGBA). Returns 0 or -1.
 */
static int pngmini_write(const char *path, int w, int h, int channels, int depth,
                         const uint16_t *samples)
{
    static const int ctype[5] = {0, 0, 4, 2, 6};
    size_t bps = depth / 8, row = 1 + (size_t)w * channels * bps, raw_n = row * h;
    uint8_t *raw = malloc(raw_n);
    for (int y = 0; y < h; y++) {
        uint8_t *r = raw + y * row;
        r[0] = 0; /* filter: none */
        for (int i = 0; i < w * channels; i++) {
            uint16_t v = samples[(size_t)y * w * channels + i];
            if (depth == 16) {
                r[1 + 2 * i] = (uint8_t)(v >> 8);
                r[2 + 2 * i] = (uint8_t)v;
            } else {
                r[1 + i] = (uint8_t)v;
            }
        }
    }
    /* zlib stream with stored blocks */
    size_t nblocks = (raw_n + 65534) / 65535, z_n = 2 + raw_n + 5 * nblocks + 4;
    uint8_t *z = malloc(z_n), *p = z;
    *p++ = 0x78;
    *p++ = 0x01;
    uint32_t a = 1, b = 0;
    for (size_t off = 0; off < raw_n; off += 65535) {
        size_t n = raw_n - off < 65535 ? raw_n - off : 65535;
        *p++ = off + n == raw_n ? 1 : 0;
        *p++ = (uint8_t)n;
        *p++ = (uint8_t)(n >> 8);
        *p++ = (uint8_t)~n;
        *p++ = (uint8_t)(~n >> 8);
        memcpy(p, raw + off, n);
        p += n;
    }
    for (size_t i = 0; i < raw_n; i++) {
        a = (a + raw[i]) % 65521;
        b = (b + a) % 65521;
    }
    pngmini_be32(p, (b << 16) | a);
    FILE *fp = fopen(path, "wb");
    if (!fp) {
        free(raw);
        free(z);
        return -1;
    }
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    fwrite(sig, 1, 8, fp);
    uint8_t ihdr[13];
    pngmini_be32(ihdr, (uint32_t)w);
    pngmini_be32(ihdr + 4, (uint32_t)h);
    ihdr[8] = (uint8_t)depth;
    ihdr[9] = (uint8_t)ctype[channels];
    ihdr[10] = ihdr[11] = ihdr[12] = 0;
    pngmini_chunk(fp, "IHDR", ihdr, 13);
    pngmini_chunk(fp, "IDAT", z, z_n);
    pngmini_chunk(fp, "IEND", NULL, 0);
    fclose(fp);
    free(raw);
    free(z);
    return 0;
}

#endif
