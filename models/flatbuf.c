/*
 * flatbuf.c: the FlatBuffers builder of flatbuf.h. Layout rules (the
 * FlatBuffers binary format): little-endian scalars at their natural
 * alignment; an offset field or element holds the unsigned distance forward
 * from itself to its target; a table starts with a signed 32-bit distance
 * back to its vtable (table - vtable), the vtable being u16 vtable size, u16
 * table size, then one u16 per field (its position from the table start, 0
 * = absent); vectors and strings are a u32 count followed by the elements
 * (strings NUL-terminated).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flatbuf.h"

void mdl_fbb_init(mdl_fbb *b)
{
    memset(b, 0, sizeof(*b));
    b->minalign = 4;
}

void mdl_fbb_free(mdl_fbb *b)
{
    free(b->buf);
    memset(b, 0, sizeof(*b));
}

static int reserve(mdl_fbb *b, size_t n)
{
    if (b->err)
        return b->err;
    if (b->len + n <= b->cap)
        return 0;
    size_t nc = b->cap ? b->cap : 1024;
    while (nc < b->len + n) {
        if (nc > SIZE_MAX / 2)
            return b->err = -ENOMEM;
        nc *= 2;
    }
    uint8_t *nb = malloc(nc);
    if (!nb)
        return b->err = -ENOMEM;
    /* the data sits at the end: move it to the new end */
    if (b->len)
        memcpy(nb + nc - b->len, b->buf + b->cap - b->len, b->len);
    free(b->buf);
    b->buf = nb;
    b->cap = nc;
    return 0;
}

static void put(mdl_fbb *b, const void *p, size_t n)
{
    if (reserve(b, n))
        return;
    b->len += n;
    if (p)
        memcpy(b->buf + b->cap - b->len, p, n);
    else
        memset(b->buf + b->cap - b->len, 0, n);
}

/* Pad so that after @p extra more bytes the length is a multiple of @p align. */
static void prep(mdl_fbb *b, size_t align, size_t extra)
{
    if (align > b->minalign)
        b->minalign = align;
    size_t pad = (align - ((b->len + extra) % align)) % align;
    if (pad)
        put(b, NULL, pad);
}

static void put_u32(mdl_fbb *b, uint32_t v)
{
    uint8_t le[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put(b, le, 4);
}

static void put_u16(mdl_fbb *b, uint16_t v)
{
    uint8_t le[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    put(b, le, 2);
}

/* The stored value of an offset written at the current end to @p target. */
static uint32_t rel(const mdl_fbb *b, mdl_fbo target)
{
    return (uint32_t)(b->len + 4 - target);
}

mdl_fbo mdl_fb_vector(mdl_fbb *b, const void *data, size_t esize, size_t n, size_t align)
{
    if (align < esize)
        align = esize;
    prep(b, 4, esize * n);
    prep(b, align, esize * n);
    put(b, data, esize * n);
    put_u32(b, (uint32_t)n);
    return (mdl_fbo)b->len;
}

mdl_fbo mdl_fb_vector_offsets(mdl_fbb *b, const mdl_fbo *offs, size_t n)
{
    prep(b, 4, 4 * n);
    for (size_t i = n; i-- > 0;)
        put_u32(b, rel(b, offs[i]));
    put_u32(b, (uint32_t)n);
    return (mdl_fbo)b->len;
}

mdl_fbo mdl_fb_string(mdl_fbb *b, const char *s)
{
    size_t n = strlen(s);
    prep(b, 4, n + 1);
    put(b, NULL, 1);
    put(b, s, n);
    put_u32(b, (uint32_t)n);
    return (mdl_fbo)b->len;
}

void mdl_fb_start(mdl_fbb *b)
{
    if (b->in_table && !b->err)
        b->err = -EINVAL;
    b->in_table = 1;
    b->n_fields = 0;
    memset(b->field, 0, sizeof(b->field));
    b->table_start = b->len;
}

static int field_ok(mdl_fbb *b, int id)
{
    if (!b->in_table || id < 0 || id >= MDL_FB_MAX_FIELDS) {
        if (!b->err)
            b->err = -EINVAL;
        return 0;
    }
    if (id + 1 > b->n_fields)
        b->n_fields = id + 1;
    return 1;
}

static void add_scalar(mdl_fbb *b, int id, const uint8_t *le, size_t n)
{
    if (!field_ok(b, id))
        return;
    prep(b, n, 0);
    put(b, le, n);
    b->field[id] = (uint32_t)b->len;
}

void mdl_fb_add_u8(mdl_fbb *b, int id, uint8_t v)
{
    add_scalar(b, id, &v, 1);
}

void mdl_fb_add_i32(mdl_fbb *b, int id, int32_t v)
{
    uint32_t u = (uint32_t)v;
    uint8_t le[4] = {(uint8_t)u, (uint8_t)(u >> 8), (uint8_t)(u >> 16), (uint8_t)(u >> 24)};
    add_scalar(b, id, le, 4);
}

void mdl_fb_add_f32(mdl_fbb *b, int id, float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    mdl_fb_add_i32(b, id, (int32_t)u);
}

void mdl_fb_add_offset(mdl_fbb *b, int id, mdl_fbo target)
{
    if (!field_ok(b, id))
        return;
    prep(b, 4, 0);
    put_u32(b, rel(b, target));
    b->field[id] = (uint32_t)b->len;
}

mdl_fbo mdl_fb_end(mdl_fbb *b)
{
    if (!b->in_table) {
        if (!b->err)
            b->err = -EINVAL;
        return 0;
    }
    b->in_table = 0;
    prep(b, 4, 0);
    put_u32(b, 0); /* the distance to the vtable, patched below */
    size_t t_off = b->len;
    size_t tsize = t_off - b->table_start;
    for (int id = b->n_fields; id-- > 0;)
        put_u16(b, (uint16_t)(b->field[id] ? t_off - b->field[id] : 0));
    put_u16(b, (uint16_t)tsize);
    put_u16(b, (uint16_t)(4 + 2 * b->n_fields));
    if (b->err)
        return 0;
    uint32_t so = (uint32_t)(b->len - t_off); /* table - vtable, > 0 */
    uint8_t *p = b->buf + b->cap - t_off;
    p[0] = (uint8_t)so, p[1] = (uint8_t)(so >> 8), p[2] = (uint8_t)(so >> 16);
    p[3] = (uint8_t)(so >> 24);
    return (mdl_fbo)t_off;
}

int mdl_fb_finish(mdl_fbb *b, mdl_fbo root, const char ident[4], const uint8_t **out,
                  size_t *len)
{
    prep(b, b->minalign, 8);
    put(b, ident, 4);
    put_u32(b, rel(b, root));
    if (b->err)
        return b->err;
    if (b->in_table)
        return b->err = -EINVAL;
    *out = b->buf + b->cap - b->len;
    *len = b->len;
    return 0;
}
