/*
 * flatbuf.h: a small FlatBuffers builder (internal to models/), enough to
 * write TFLite files: tables with scalar and offset fields, vectors of
 * scalars / bytes / offsets, strings, a root with a file identifier.
 *
 * Like the reference builder it writes back to front: an object must be
 * finished before any object that refers to it is started, and an offset
 * (mdl_fbo) names an object by its distance from the end of the buffer.
 * Errors (out of memory, a bad field id) are sticky: check mdl_fbb.err once
 * at the end. The builder owns its buffer; mdl_fbb_free() releases it.
 */
#ifndef VSR_MODELS_FLATBUF_H
#define VSR_MODELS_FLATBUF_H

#include <stddef.h>
#include <stdint.h>

enum { MDL_FB_MAX_FIELDS = 32 };

typedef uint32_t mdl_fbo;

typedef struct mdl_fbb {
    uint8_t *buf; /* data lives in buf[cap - len, cap) */
    size_t cap, len, minalign;
    int err; /* 0 or the first negative errno */
    /* the table being built */
    int in_table, n_fields;
    size_t table_start;
    uint32_t field[MDL_FB_MAX_FIELDS]; /* offset of each field's value, 0 = absent */
} mdl_fbb;

void mdl_fbb_init(mdl_fbb *b);
void mdl_fbb_free(mdl_fbb *b);

/* A vector of @p n elements of @p esize bytes (little-endian host data),
 * its elements aligned to @p align (>= esize, a power of two). */
mdl_fbo mdl_fb_vector(mdl_fbb *b, const void *data, size_t esize, size_t n, size_t align);
/* A vector of offsets to finished objects. */
mdl_fbo mdl_fb_vector_offsets(mdl_fbb *b, const mdl_fbo *offs, size_t n);
mdl_fbo mdl_fb_string(mdl_fbb *b, const char *s);

void mdl_fb_start(mdl_fbb *b);
void mdl_fb_add_u8(mdl_fbb *b, int id, uint8_t v);
void mdl_fb_add_i32(mdl_fbb *b, int id, int32_t v);
void mdl_fb_add_f32(mdl_fbb *b, int id, float v);
void mdl_fb_add_offset(mdl_fbb *b, int id, mdl_fbo target);
mdl_fbo mdl_fb_end(mdl_fbb *b);

/* Finish with @p root and a 4-byte file identifier; *out points into the
 * builder's buffer (valid until mdl_fbb_free()), *len its size. */
int mdl_fb_finish(mdl_fbb *b, mdl_fbo root, const char ident[4], const uint8_t **out,
                  size_t *len);

#endif
