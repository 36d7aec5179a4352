/*
 * The clip cache: whole clips kept across the runs of a sweep, keyed by
 * vsr_dataset_clip_key(), bounded by a byte cap with least-recently-used
 * eviction of the clips nobody holds. A clip that cannot be kept is lent
 * out as a "transient" entry that release frees.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "datasets_internal.h"
#include "vsr/datasets.h"

typedef struct entry {
    char *key; /* NULL: transient (not in the cache's list) */
    vsr_clip clip;
    size_t bytes;
    int refs;
    unsigned long long used; /* the cache's clock at the last load */
} entry;

struct vsr_clip_cache {
    size_t cap;
    entry **e; /* the kept clips */
    int n, cap_e;
    unsigned long long clock;
    vsr_clip_cache_stats st;
};

static size_t clip_bytes(const vsr_clip *c)
{
    size_t b = 0;
    for (int i = 0; i < c->n_frames; i++)
        b += (c->gt ? (size_t)c->gt[i].stride * (size_t)c->gt[i].height : 0) +
             (size_t)c->lr[i].stride * (size_t)c->lr[i].height; /* gt NULL: LR only */
    return b;
}

static void entry_free(entry *e)
{
    if (!e)
        return;
    vsr_clip_free(&e->clip);
    free(e->key);
    free(e);
}

int vsr_clip_cache_create(size_t cap_bytes, vsr_clip_cache **out, vsr_error *err)
{
    *out = calloc(1, sizeof(**out));
    if (!*out)
        return vsr_error_set(err, -ENOMEM, "clip cache: out of memory");
    (*out)->cap = cap_bytes;
    return 0;
}

/* Drop least recently used unheld clips until @p need more bytes fit; 1 when they do. */
static int make_room(vsr_clip_cache *c, size_t need)
{
    if (need > c->cap)
        return 0;
    while (c->st.bytes + need > c->cap) {
        int v = -1;
        for (int i = 0; i < c->n; i++)
            if (!c->e[i]->refs && (v < 0 || c->e[i]->used < c->e[v]->used))
                v = i;
        if (v < 0)
            return 0;
        c->st.bytes -= c->e[v]->bytes;
        c->st.evictions++;
        entry_free(c->e[v]);
        c->e[v] = c->e[--c->n];
    }
    return 1;
}

int vsr_clip_cache_load(vsr_clip_cache *cache, vsr_dataset *ds, int clip, const vsr_clip **out,
                        vsr_error *err)
{
    *out = NULL;
    char *key = NULL;
    int rc;
    if (cache) {
        if ((rc = vsr_dataset_clip_key(ds, clip, &key, err)))
            return rc;
        for (int i = 0; i < cache->n; i++)
            if (!strcmp(cache->e[i]->key, key)) {
                entry *e = cache->e[i];
                e->refs++;
                e->used = ++cache->clock;
                cache->st.hits++;
                free(key);
                *out = &e->clip;
                return 0;
            }
    }
    entry *e = calloc(1, sizeof(*e));
    if (!e) {
        free(key);
        return vsr_error_set(err, -ENOMEM, "clip cache: out of memory");
    }
    if ((rc = vsr_dataset_load_clip(ds, clip, &e->clip, err))) {
        free(key);
        free(e);
        return rc;
    }
    e->refs = 1;
    e->bytes = clip_bytes(&e->clip);
    if (cache) {
        cache->st.misses++;
        e->used = ++cache->clock;
        if (cache->n == cache->cap_e) {
            int nc = cache->cap_e ? 2 * cache->cap_e : 8;
            entry **ne = realloc(cache->e, (size_t)nc * sizeof(*ne));
            if (ne) {
                cache->e = ne;
                cache->cap_e = nc;
            }
        }
        /* out of memory for the list: the clip is still good, lent out transient */
        if (cache->n < cache->cap_e && make_room(cache, e->bytes)) {
            e->key = key;
            key = NULL;
            cache->e[cache->n++] = e;
            cache->st.bytes += e->bytes;
            if (cache->st.bytes > cache->st.peak_bytes)
                cache->st.peak_bytes = cache->st.bytes;
        }
    }
    free(key);
    *out = &e->clip;
    return 0;
}

void vsr_clip_cache_release(vsr_clip_cache *cache, const vsr_clip **clip)
{
    (void)cache; /* a kept clip knows it is kept: its key is set */
    if (!clip || !*clip)
        return;
    entry *e = (entry *)(void *)((char *)(uintptr_t)*clip - offsetof(entry, clip));
    *clip = NULL;
    if (e->key) { /* kept: only its holder count changes */
        e->refs--;
        return;
    }
    entry_free(e);
}

void vsr_clip_cache_stats_get(const vsr_clip_cache *cache, vsr_clip_cache_stats *st)
{
    if (cache)
        *st = cache->st;
    else
        memset(st, 0, sizeof(*st));
}

void vsr_clip_cache_free(vsr_clip_cache **cache)
{
    if (!cache || !*cache)
        return;
    vsr_clip_cache *c = *cache;
    for (int i = 0; i < c->n; i++)
        entry_free(c->e[i]);
    free(c->e);
    free(c);
    *cache = NULL;
}
