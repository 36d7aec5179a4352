/*
 * The project's weights file (.vsrw): see engine.h for the byte layout. The
 * one writer (vsr_weights_write; the trainer's checkpoints use it too).
 * Everything is written and read byte by byte in little-endian order, so
 * the format does not depend on the host.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"

typedef struct wtensor {
    char name[VSR_NAME_MAX];
    int ndim;
    int dims[4];
    size_t count;
    float *data;
} wtensor;

/* One entry of a version-2 file's quant section. */
typedef struct wquant {
    char name[VSR_NAME_MAX]; /* graph tensor (node) name */
    float scale;
    int zp;
} wquant;

struct vsr_weights {
    char path[256];
    char model[VSR_NAME_MAX];
    vsr_meta *meta;
    int n_meta;
    wtensor *t;
    int n_t;
    wquant *q; /* version 2: INT8 parameters by tensor, or NULL */
    int n_q;
};

/* ---- writer ------------------------------------------------------------- */

typedef struct wbuf {
    uint8_t *p;
    size_t n, cap;
    int oom;
} wbuf;

static void put(wbuf *b, const void *src, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n)
            cap *= 2;
        uint8_t *q = realloc(b->p, cap);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}

static void put_u8(wbuf *b, unsigned v)
{
    uint8_t c = (uint8_t)v;
    put(b, &c, 1);
}

static void put_u16(wbuf *b, unsigned v)
{
    uint8_t c[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    put(b, c, 2);
}

static void put_u32(wbuf *b, uint32_t v)
{
    uint8_t c[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put(b, c, 4);
}

/* A u16-length string; -EINVAL when it does not fit the length field. */
static int put_str(wbuf *b, const char *s, const char *path, vsr_error *err)
{
    size_t n = strlen(s);
    if (n > 65535)
        return vsr_error_set(err, -EINVAL,
                             "%s: a name or metadata string of %zu bytes (at most "
                             "65535 fit); shorten \"%.32s...\"",
                             path, n, s);
    put_u16(b, (unsigned)n);
    put(b, s, n);
    return 0;
}

/* The whole file in @p b (CRC included). */
static int serialize(wbuf *b, const char *path, const char *model, const char *const *kv,
                     int n_meta, const vsr_weights_tensor *t, int n, const vsr_graph *qg,
                     vsr_error *err)
{
    int rc = 0;
    put(b, "VSRW", 4);
    /* version 1 unless there is a quant section: files without one stay readable by
     * older builds */
    put_u32(b, qg ? VSR_WEIGHTS_VERSION : 1);
    wbuf h = {0};
    rc = put_str(&h, model, path, err);
    put_u32(&h, (uint32_t)n_meta);
    for (int i = 0; i < n_meta && !rc; i++)
        if (!(rc = put_str(&h, kv[2 * i], path, err)))
            rc = put_str(&h, kv[2 * i + 1], path, err);
    put_u32(b, (uint32_t)h.n);
    put(b, h.p, h.n);
    b->oom |= h.oom;
    free(h.p);
    put_u32(b, (uint32_t)n);
    for (int i = 0; i < n && !rc; i++) {
        int64_t dims[4];
        size_t count;
        if (t[i].ndim < 1 || t[i].ndim > 4)
            return vsr_error_set(err, -EINVAL, "%s: tensor %s: %d dims (1 to 4 fit)", path,
                                 t[i].name, t[i].ndim);
        for (int d = 0; d < t[i].ndim; d++)
            dims[d] = t[i].dims[d];
        if (vsr_size_mul_n(dims, t[i].ndim, &count))
            return vsr_error_set(err, -EINVAL, "%s: tensor %s: a negative or too large dim",
                                 path, t[i].name);
        if ((rc = put_str(b, t[i].name, path, err)))
            break;
        put_u8(b, 0); /* f32 */
        put_u8(b, (unsigned)t[i].ndim);
        for (int d = 0; d < t[i].ndim; d++)
            put_u32(b, (uint32_t)t[i].dims[d]);
        for (size_t k = 0; k < count; k++) {
            uint32_t u;
            memcpy(&u, &t[i].data[k], 4);
            put_u32(b, u);
        }
    }
    if (!rc && qg) { /* quant section: u32 n | n x (str tensor | f32 scale | i32 zp) */
        put_u32(b, (uint32_t)qg->n_nodes);
        for (int i = 0; i < qg->n_nodes && !rc; i++) {
            if ((rc = put_str(b, qg->nodes[i].name, path, err)))
                break;
            uint32_t u;
            memcpy(&u, &qg->nodes[i].q_scale, 4);
            put_u32(b, u);
            put_u32(b, (uint32_t)(int32_t)qg->nodes[i].q_zp);
        }
    }
    if (rc)
        return rc;
    if (!b->oom)
        put_u32(b, vsr_crc32(0, b->p, b->n));
    if (b->oom)
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", path);
    return 0;
}

static int write_file(const char *path, const char *model, const char *const *meta_kv,
                      int n_meta, const vsr_weights_tensor *t, int n, const vsr_graph *qg,
                      vsr_error *err)
{
    if (n_meta < 0 || n < 0)
        return vsr_error_set(err, -EINVAL, "%s: %d metadata pairs, %d tensors", path, n_meta,
                             n);
    wbuf b = {0};
    int rc = serialize(&b, path, model, meta_kv, n_meta, t, n, qg, err);
    if (!rc)
        rc = vsr_atomic_write(path, b.p, b.n, err);
    free(b.p);
    return rc;
}

int vsr_weights_write(const char *path, const char *model, const char *const *meta_kv,
                      int n_meta, const vsr_weights_tensor *t, int n, vsr_error *err)
{
    return write_file(path, model, meta_kv, n_meta, t, n, NULL, err);
}

static int save(const vsr_graph *g, const char *path, int quant, vsr_error *err)
{
    int rc = vsr_graph_check_weights(g, err);
    if (rc)
        return rc;
    int miss = quant ? vsr_graph_quant_missing(g) : -1;
    if (miss >= 0)
        return vsr_error_set(err, -EINVAL,
                             "%s: tensor %s of %s has no fixed INT8 parameters to save "
                             "(vsr_graph_set_quant())",
                             path, g->nodes[miss].name, g->name);
    const char **kv = malloc(sizeof(*kv) * (2 * (size_t)g->n_meta + 1));
    vsr_weights_tensor *t = malloc(sizeof(*t) * ((size_t)g->n_wts + 1));
    if (!kv || !t) {
        free(kv);
        free(t);
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", path);
    }
    for (int i = 0; i < g->n_meta; i++) {
        kv[2 * i] = g->meta[i].key;
        kv[2 * i + 1] = g->meta[i].value;
    }
    for (int i = 0; i < g->n_wts; i++) {
        const vsr_wt *w = &g->wts[i];
        t[i] = (vsr_weights_tensor){w->name, w->ndim, {0}, w->data};
        memcpy(t[i].dims, w->dims, sizeof(w->dims));
    }
    rc = write_file(path, g->name, kv, g->n_meta, t, g->n_wts, quant ? g : NULL, err);
    free(kv);
    free(t);
    return rc;
}

int vsr_weights_save(const vsr_graph *g, const char *path, vsr_error *err)
{
    return save(g, path, 0, err);
}

int vsr_weights_save_quant(const vsr_graph *g, const char *path, vsr_error *err)
{
    return save(g, path, 1, err);
}

/* ---- reader ---------------------------------------------------------------- */

typedef struct rbuf {
    const uint8_t *p;
    size_t n, pos;
    int bad;
} rbuf;

static int get(rbuf *r, void *dst, size_t n)
{
    if (r->bad || r->n - r->pos < n) {
        r->bad = 1;
        return -1;
    }
    memcpy(dst, r->p + r->pos, n);
    r->pos += n;
    return 0;
}

static uint32_t get_u32(rbuf *r)
{
    uint8_t c[4] = {0};
    get(r, c, 4);
    return (uint32_t)c[0] | (uint32_t)c[1] << 8 | (uint32_t)c[2] << 16 | (uint32_t)c[3] << 24;
}

static unsigned get_u16(rbuf *r)
{
    uint8_t c[2] = {0};
    get(r, c, 2);
    return (unsigned)c[0] | (unsigned)c[1] << 8;
}

static unsigned get_u8(rbuf *r)
{
    uint8_t c = 0;
    get(r, &c, 1);
    return c;
}

/* A string into a malloc'd NUL-terminated copy. */
static char *get_str(rbuf *r)
{
    unsigned n = get_u16(r);
    if (r->bad || r->n - r->pos < n) {
        r->bad = 1;
        return NULL;
    }
    char *s = malloc((size_t)n + 1);
    if (!s)
        return NULL;
    memcpy(s, r->p + r->pos, n);
    s[n] = 0;
    r->pos += n;
    return s;
}

void vsr_weights_free(vsr_weights **pw)
{
    if (!pw || !*pw)
        return;
    vsr_weights *w = *pw;
    for (int i = 0; i < w->n_meta; i++) {
        free(w->meta[i].key);
        free(w->meta[i].value);
    }
    for (int i = 0; i < w->n_t; i++)
        free(w->t[i].data);
    free(w->meta);
    free(w->t);
    free(w->q);
    free(w);
    *pw = NULL;
}

static int parse(vsr_weights *w, rbuf *r, vsr_error *err)
{
    const char *path = w->path;
    char magic[4];
    if (get(r, magic, 4) || memcmp(magic, "VSRW", 4))
        return vsr_error_set(err, -EINVAL, "%s: not a vsrbench weights file (bad magic)", path);
    uint32_t version = get_u32(r);
    if (!r->bad && (version < 1 || version > VSR_WEIGHTS_VERSION))
        return vsr_error_set(err, -EINVAL,
                             "%s: weights format version %u, this build reads versions 1 to %d",
                             path, version, VSR_WEIGHTS_VERSION);
    if (r->n < 12 + 4)
        return vsr_error_set(err, -EINVAL, "%s: truncated (%zu bytes)", path, r->n);
    uint32_t stored = (uint32_t)r->p[r->n - 4] | (uint32_t)r->p[r->n - 3] << 8 |
                      (uint32_t)r->p[r->n - 2] << 16 | (uint32_t)r->p[r->n - 1] << 24;
    if (vsr_crc32(0, r->p, r->n - 4) != stored)
        return vsr_error_set(err, -EINVAL,
                             "%s: checksum mismatch: the file is corrupt or truncated", path);
    r->n -= 4;
    uint32_t hbytes = get_u32(r);
    size_t hend = r->pos + hbytes;
    char *model = get_str(r);
    if (!model)
        return vsr_error_set(err, -EINVAL, "%s: truncated header", path);
    snprintf(w->model, sizeof(w->model), "%s", model);
    free(model);
    uint32_t nm = get_u32(r);
    if (r->bad || nm > 65536)
        return vsr_error_set(err, -EINVAL, "%s: bad header (metadata count)", path);
    w->meta = calloc(nm ? nm : 1, sizeof(vsr_meta));
    if (!w->meta)
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", path);
    for (uint32_t i = 0; i < nm; i++) {
        w->meta[i].key = get_str(r);
        w->meta[i].value = get_str(r);
        w->n_meta++;
        if (!w->meta[i].key || !w->meta[i].value)
            return vsr_error_set(err, -EINVAL, "%s: truncated metadata entry %u", path, i);
    }
    if (r->pos != hend)
        return vsr_error_set(err, -EINVAL, "%s: header size %u does not match its content",
                             path, hbytes);
    uint32_t nt = get_u32(r);
    if (r->bad || nt > 1000000)
        return vsr_error_set(err, -EINVAL, "%s: bad tensor count", path);
    w->t = calloc(nt ? nt : 1, sizeof(wtensor));
    if (!w->t)
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", path);
    for (uint32_t i = 0; i < nt; i++) {
        wtensor *t = &w->t[i];
        char *name = get_str(r);
        if (!name)
            return vsr_error_set(err, -EINVAL, "%s: truncated at tensor %u", path, i);
        int toolong = strlen(name) >= VSR_NAME_MAX;
        snprintf(t->name, sizeof(t->name), "%s", name);
        free(name);
        if (toolong)
            return vsr_error_set(err, -EINVAL, "%s: tensor %u: name too long", path, i);
        w->n_t++;
        unsigned dtype = get_u8(r), ndim = get_u8(r);
        if (r->bad)
            return vsr_error_set(err, -EINVAL, "%s: tensor %s: truncated", path, t->name);
        if (dtype != 0)
            return vsr_error_set(err, -EINVAL, "%s: tensor %s: unsupported dtype %u", path,
                                 t->name, dtype);
        if (ndim < 1 || ndim > 4)
            return vsr_error_set(err, -EINVAL, "%s: tensor %s: bad rank %u", path, t->name,
                                 ndim);
        t->ndim = (int)ndim;
        int64_t dims[4];
        for (unsigned d = 0; d < ndim; d++) {
            uint32_t v = get_u32(r);
            if (v < 1 || v > (1u << 24))
                return vsr_error_set(err, -EINVAL, "%s: tensor %s: bad dimension %u", path,
                                     t->name, v);
            t->dims[d] = (int)v;
            dims[d] = v;
        }
        /* checked: 4 dims of up to 2^24 can wrap size_t to a small count */
        size_t bytes = 0;
        if (vsr_size_mul_n(dims, (int)ndim, &t->count) ||
            vsr_size_mul(t->count, sizeof(float), &bytes))
            return vsr_error_set(err, -EINVAL,
                                 "%s: tensor %s: shape %dx%dx%dx%d overflows a size (corrupt "
                                 "or crafted file)",
                                 path, t->name, t->dims[0], ndim > 1 ? t->dims[1] : 1,
                                 ndim > 2 ? t->dims[2] : 1, ndim > 3 ? t->dims[3] : 1);
        if (r->bad || bytes > r->n - r->pos)
            return vsr_error_set(err, -EINVAL,
                                 "%s: tensor %s: truncated data (%zu bytes needed, %zu left)",
                                 path, t->name, bytes, r->bad ? (size_t)0 : r->n - r->pos);
        t->data = malloc(bytes);
        if (!t->data)
            return vsr_error_set(err, -ENOMEM, "%s: out of memory", path);
        for (size_t k = 0; k < t->count; k++) {
            uint32_t u = get_u32(r);
            memcpy(&t->data[k], &u, 4);
        }
    }
    if (version >= 2) { /* quant section */
        uint32_t nq = get_u32(r);
        /* an entry takes at least 10 bytes: a crafted count cannot make us allocate more
         * than the file could describe */
        if (r->bad || nq > 1000000 || nq > (r->n - r->pos) / 10)
            return vsr_error_set(err, -EINVAL, "%s: bad quant section count %u", path, nq);
        w->q = calloc(nq ? nq : 1, sizeof(wquant));
        if (!w->q)
            return vsr_error_set(err, -ENOMEM, "%s: out of memory", path);
        for (uint32_t i = 0; i < nq; i++) {
            wquant *q = &w->q[i];
            char *name = get_str(r);
            if (!name)
                return vsr_error_set(err, -EINVAL, "%s: truncated at quant entry %u", path, i);
            int toolong = strlen(name) >= VSR_NAME_MAX;
            snprintf(q->name, sizeof(q->name), "%s", name);
            free(name);
            uint32_t u = get_u32(r), z = get_u32(r);
            if (toolong || r->bad)
                return vsr_error_set(err, -EINVAL, "%s: quant entry %u: %s", path, i,
                                     toolong ? "name too long" : "truncated");
            memcpy(&q->scale, &u, 4);
            q->zp = (int)(int32_t)z;
            if (!(q->scale > 0) || !isfinite(q->scale) || q->zp < -128 || q->zp > 127)
                return vsr_error_set(err, -EINVAL,
                                     "%s: quant entry %s: bad scale %g / zero point %d", path,
                                     q->name, q->scale, q->zp);
            w->n_q++;
        }
    }
    if (r->pos != r->n)
        return vsr_error_set(err, -EINVAL, "%s: %zu trailing bytes after the last %s", path,
                             r->n - r->pos, version >= 2 ? "quant entry" : "tensor");
    return 0;
}

int vsr_weights_open(const char *path, vsr_weights **out, vsr_error *err)
{
    *out = NULL;
    uint8_t *buf = NULL;
    size_t n = 0;
    int rc = vsr_read_file(path, SIZE_MAX, 0, &buf, &n, err);
    if (rc)
        return rc;
    vsr_weights *w = calloc(1, sizeof(*w));
    if (!w) {
        free(buf);
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", path);
    }
    snprintf(w->path, sizeof(w->path), "%s", path);
    rbuf r = {buf, n, 0, 0};
    rc = parse(w, &r, err);
    free(buf);
    if (rc) {
        vsr_weights_free(&w);
        return rc;
    }
    *out = w;
    return 0;
}

const char *vsr_weights_model(const vsr_weights *w)
{
    return w->model;
}

const char *vsr_weights_meta(const vsr_weights *w, const char *key)
{
    for (int i = 0; i < w->n_meta; i++)
        if (!strcmp(w->meta[i].key, key))
            return w->meta[i].value;
    return NULL;
}

int vsr_weights_meta_count(const vsr_weights *w)
{
    return w->n_meta;
}

int vsr_weights_meta_at(const vsr_weights *w, int i, const char **key, const char **value)
{
    if (i < 0 || i >= w->n_meta)
        return -EINVAL;
    *key = w->meta[i].key;
    *value = w->meta[i].value;
    return 0;
}

int vsr_weights_tensor_count(const vsr_weights *w)
{
    return w->n_t;
}

int vsr_weights_tensor_at(const vsr_weights *w, int i, const char **name, int *ndim,
                          int dims[4], const float **data)
{
    if (i < 0 || i >= w->n_t)
        return -EINVAL;
    *name = w->t[i].name;
    *ndim = w->t[i].ndim;
    memcpy(dims, w->t[i].dims, sizeof(w->t[i].dims));
    *data = w->t[i].data;
    return 0;
}

int vsr_weights_apply(const vsr_weights *w, vsr_graph *g, vsr_error *err)
{
    /* check everything before changing anything */
    for (int i = 0; i < w->n_t; i++) {
        const wtensor *t = &w->t[i];
        int k = vsr__graph_find_weight(g, t->name);
        if (k < 0)
            return vsr_error_set(err, -EINVAL,
                                 "%s: tensor %s is not a weight of graph %s (wrong model or "
                                 "hyperparameters?)",
                                 w->path, t->name, g->name);
        const vsr_wt *gw = &g->wts[k];
        int same = gw->ndim == t->ndim;
        for (int d = 0; same && d < t->ndim; d++)
            same = gw->dims[d] == t->dims[d];
        if (!same) {
            char a[64], b[64];
            int na = 0, nb = 0;
            for (int d = 0; d < t->ndim; d++)
                na += snprintf(a + na, sizeof(a) - (size_t)na, d ? "x%d" : "%d", t->dims[d]);
            for (int d = 0; d < gw->ndim; d++)
                nb += snprintf(b + nb, sizeof(b) - (size_t)nb, d ? "x%d" : "%d", gw->dims[d]);
            return vsr_error_set(err, -EINVAL,
                                 "%s: tensor %s has shape %s, graph %s expects %s", w->path,
                                 t->name, a, g->name, b);
        }
        for (size_t e = 0; e < t->count; e++)
            if (!isfinite(t->data[e]))
                return vsr_error_set(
                    err, -EINVAL, "%s: tensor %s (layer %s): element %zu is %s", w->path,
                    t->name, g->nodes[gw->node].name, e, isnan(t->data[e]) ? "NaN" : "inf");
    }
    for (int k = 0; k < g->n_wts; k++) {
        int found = 0;
        for (int i = 0; i < w->n_t && !found; i++)
            found = !strcmp(w->t[i].name, g->wts[k].name);
        if (!found)
            return vsr_error_set(err, -EINVAL, "%s: missing tensor %s needed by graph %s",
                                 w->path, g->wts[k].name, g->name);
    }
    /* a quant section must name the graph's tensors, every one */
    if (w->q && w->n_q != g->n_nodes)
        return vsr_error_set(err, -EINVAL,
                             "%s: quant section has %d tensors, graph %s has %d (wrong model "
                             "or hyperparameters?)",
                             w->path, w->n_q, g->name, g->n_nodes);
    for (int i = 0; i < w->n_q; i++) {
        int k = 0;
        while (k < g->n_nodes && strcmp(g->nodes[k].name, w->q[i].name))
            k++;
        if (k == g->n_nodes)
            return vsr_error_set(err, -EINVAL,
                                 "%s: quant section: %s is not a tensor of graph %s (wrong "
                                 "model or hyperparameters?)",
                                 w->path, w->q[i].name, g->name);
    }
    for (int i = 0; i < w->n_t; i++) {
        int rc = vsr_graph_set_weight(g, w->t[i].name, w->t[i].data, w->t[i].count, err);
        if (rc)
            return rc;
    }
    for (int i = 0; i < w->n_q; i++)
        for (int k = 0; k < g->n_nodes; k++)
            if (!strcmp(g->nodes[k].name, w->q[i].name)) {
                int rc = vsr_graph_set_quant(g, k, w->q[i].scale, w->q[i].zp, err);
                if (rc)
                    return rc;
                break;
            }
    return 0;
}

int vsr_weights_quant_count(const vsr_weights *w)
{
    return w->n_q;
}

int vsr_weights_quant_at(const vsr_weights *w, int i, const char **tensor, float *scale,
                         int *zero_point)
{
    if (i < 0 || i >= w->n_q)
        return -EINVAL;
    *tensor = w->q[i].name;
    *scale = w->q[i].scale;
    *zero_point = w->q[i].zp;
    return 0;
}

int vsr_weights_load(vsr_graph *g, const char *path, vsr_error *err)
{
    vsr_weights *w = NULL;
    int rc = vsr_weights_open(path, &w, err);
    if (rc)
        return rc;
    rc = vsr_weights_apply(w, g, err);
    vsr_weights_free(&w);
    return rc;
}
