/*
 * ckpt.c: a writer for the engine's VSRW container (engine.h documents the
 * format) holding arbitrary named float tensors and metadata, used for the
 * optimizer half of a checkpoint. Written to "<path>.tmp" and renamed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train_internal.h"

typedef struct obuf {
    unsigned char *p;
    size_t n, cap;
    int oom;
} obuf;

static void put(obuf *b, const void *src, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n)
            cap *= 2;
        unsigned char *q = realloc(b->p, cap);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q, b->cap = cap;
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}

static void put_u32(obuf *b, uint32_t v)
{
    unsigned char c[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    put(b, c, 4);
}

static void put_str(obuf *b, const char *s)
{
    size_t n = strlen(s);
    if (n > 65535)
        n = 65535;
    unsigned char c[2] = {(unsigned char)n, (unsigned char)(n >> 8)};
    put(b, c, 2);
    put(b, s, n);
}

static uint32_t crc32_ieee(const unsigned char *p, size_t n)
{
    uint32_t crc = ~0u;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

int vsr_train_write_vsrw(const char *path, const char *model, const char *const *kv, int n_meta,
                         const vsr_train_blob *blobs, int n_blobs, vsr_error *err)
{
    obuf b = {0}, h = {0};
    put(&b, "VSRW", 4);
    put_u32(&b, VSR_WEIGHTS_VERSION);
    put_str(&h, model);
    put_u32(&h, (uint32_t)n_meta);
    for (int i = 0; i < n_meta; i++) {
        put_str(&h, kv[2 * i]);
        put_str(&h, kv[2 * i + 1]);
    }
    put_u32(&b, (uint32_t)h.n);
    put(&b, h.p, h.n);
    int hoom = h.oom;
    free(h.p);
    put_u32(&b, (uint32_t)n_blobs);
    for (int i = 0; i < n_blobs; i++) {
        if (blobs[i].count < 1 || blobs[i].count > (1u << 24)) {
            free(b.p);
            return vsr_error_set(err, -EINVAL, "%s: tensor %s: %zu elements not storable", path,
                                 blobs[i].name, blobs[i].count);
        }
        put_str(&b, blobs[i].name);
        unsigned char dt[2] = {0, 1};
        put(&b, dt, 2);
        put_u32(&b, (uint32_t)blobs[i].count);
        for (size_t k = 0; k < blobs[i].count; k++) {
            uint32_t u;
            memcpy(&u, &blobs[i].data[k], 4);
            put_u32(&b, u);
        }
    }
    if (!b.oom)
        put_u32(&b, crc32_ieee(b.p, b.n));
    if (b.oom || hoom) {
        free(b.p);
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", path);
    }
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
        free(b.p);
        return vsr_error_set(err, -ENAMETOOLONG, "%s: path too long", path);
    }
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        int rc = -errno;
        free(b.p);
        return vsr_error_set(err, rc, "%s: cannot create: %s", tmp, strerror(-rc));
    }
    size_t wr = fwrite(b.p, 1, b.n, f);
    int cl = fclose(f);
    size_t n = b.n;
    free(b.p);
    if (wr != n || cl != 0) {
        remove(tmp);
        return vsr_error_set(err, -EIO, "%s: write failed (disk full?)", tmp);
    }
    if (rename(tmp, path) != 0) {
        int rc = -errno;
        remove(tmp);
        return vsr_error_set(err, rc, "%s: cannot rename into place: %s", path, strerror(-rc));
    }
    return 0;
}
