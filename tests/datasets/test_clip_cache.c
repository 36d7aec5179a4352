/*
 * The clip cache: a second load is served from memory with the pixels a
 * plain vsr_dataset_load_clip() gives, datasets opened twice on the same
 * files share entries while another degradation does not, the byte cap
 * drops the least recently used unheld clip, a held clip is never dropped
 * (the newcomer is then lent out on its own), and no cache means a fresh
 * load per call. Sizes: two Vid4-layout clips of 3 GT frames 32x24 RGB
 * written here, LR made on the fly (BI x4 -> 8x6), so one clip holds
 * 3 x (32*24*3 + 8*6*3) = 7344 bytes of pixels.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "testutil.h"
#include "vsr/datasets.h"

#define CLIP_BYTES ((size_t)3 * (32 * 24 * 3 + 8 * 6 * 3))

static char root[256];

static int setup(void **state)
{
    (void)state;
    if (!vsr_test_tmpdir(root, sizeof(root)))
        return -1;
    char p[512];
    snprintf(p, sizeof(p), "%s/GT", root);
    mkdir(p, 0700);
    uint32_t seed = 12345;
    const char *clips[2] = {"a", "b"};
    for (int c = 0; c < 2; c++) {
        snprintf(p, sizeof(p), "%s/GT/%s", root, clips[c]);
        mkdir(p, 0700);
        for (int i = 0; i < 3; i++) {
            vsr_frame f = {0};
            vsr_error err = {0};
            if (vsr_frame_alloc(&f, 32, 24, 3, &err))
                return -1;
            for (int k = 0; k < 32 * 24 * 3; k++) {
                seed = seed * 1664525u + 1013904223u;
                f.data[k] = (uint8_t)(seed >> 24);
            }
            snprintf(p, sizeof(p), "%s/GT/%s/%08d.png", root, clips[c], i);
            int rc = vsr_image_write_png(p, &f, &err);
            vsr_frame_free(&f);
            if (rc)
                return -1;
        }
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    vsr_test_rmtree(root);
    return 0;
}

static vsr_dataset *open_ds(enum vsr_degradation deg)
{
    vsr_dataset_spec spec = {.type = VSR_DATASET_VID4, .root = root, .degradation = deg};
    vsr_dataset *ds = NULL;
    vsr_error err = {0};
    assert_int_equal(vsr_dataset_open(&spec, &ds, &err), 0);
    assert_int_equal(vsr_dataset_clip_count(ds), 2);
    return ds;
}

static void frame_equal(const vsr_frame *a, const vsr_frame *b)
{
    assert_int_equal(a->width, b->width);
    assert_int_equal(a->height, b->height);
    assert_int_equal(a->channels, b->channels);
    for (int y = 0; y < a->height; y++)
        assert_memory_equal(a->data + y * a->stride, b->data + y * b->stride,
                            (size_t)a->width * a->channels);
}

/* The clip equals what vsr_dataset_load_clip() decodes on its own. */
static void clip_equal_fresh(vsr_dataset *ds, int c, const vsr_clip *got)
{
    vsr_clip ref = {0};
    vsr_error err = {0};
    assert_int_equal(vsr_dataset_load_clip(ds, c, &ref, &err), 0);
    assert_string_equal(got->name, ref.name);
    assert_int_equal(got->n_frames, 3);
    assert_int_equal(got->n_frames, ref.n_frames);
    for (int i = 0; i < ref.n_frames; i++) {
        frame_equal(&got->gt[i], &ref.gt[i]);
        frame_equal(&got->lr[i], &ref.lr[i]);
    }
    assert_int_equal(got->lr[0].width, 8);
    vsr_clip_free(&ref);
}

/* The cache's counts so far. */
static void expect_stats(const vsr_clip_cache *cache, long hits, long misses, long evictions,
                         size_t bytes)
{
    vsr_clip_cache_stats st;
    vsr_clip_cache_stats_get(cache, &st);
    assert_int_equal(st.hits, hits);
    assert_int_equal(st.misses, misses);
    assert_int_equal(st.evictions, evictions);
    assert_int_equal(st.bytes, bytes);
}

static void test_hit_same_pixels(void **state)
{
    (void)state;
    vsr_dataset *ds = open_ds(VSR_DEGRADE_BI), *ds2 = open_ds(VSR_DEGRADE_BI);
    vsr_dataset *bd = open_ds(VSR_DEGRADE_BD);
    vsr_clip_cache *cache = NULL;
    vsr_error err = {0};
    assert_int_equal(vsr_clip_cache_create(1 << 20, &cache, &err), 0);
    const vsr_clip *a = NULL, *a2 = NULL, *a3 = NULL, *abd = NULL;
    assert_int_equal(vsr_clip_cache_load(cache, ds, 0, &a, &err), 0);
    clip_equal_fresh(ds, 0, a);
    const vsr_clip *keep = a;
    vsr_clip_cache_release(cache, &a);
    assert_null(a);
    /* the same files through another open of the dataset: a hit */
    assert_int_equal(vsr_clip_cache_load(cache, ds2, 0, &a2, &err), 0);
    assert_ptr_equal(a2, keep);
    assert_int_equal(vsr_clip_cache_load(cache, ds, 0, &a3, &err), 0);
    assert_ptr_equal(a3, keep);
    /* BD makes other LR frames: not the same entry */
    assert_int_equal(vsr_clip_cache_load(cache, bd, 0, &abd, &err), 0);
    assert_ptr_not_equal(abd, keep);
    clip_equal_fresh(bd, 0, abd);
    expect_stats(cache, 2, 2, 0, 2 * CLIP_BYTES);
    vsr_clip_cache_stats st;
    vsr_clip_cache_stats_get(cache, &st);
    assert_int_equal(st.peak_bytes, 2 * CLIP_BYTES);
    vsr_clip_cache_release(cache, &a2);
    vsr_clip_cache_release(cache, &a3);
    vsr_clip_cache_release(cache, &abd);
    vsr_clip_cache_free(&cache);
    assert_null(cache);
    vsr_dataset_close(&ds), vsr_dataset_close(&ds2), vsr_dataset_close(&bd);
}

static void test_cap_drops_lru(void **state)
{
    (void)state;
    vsr_dataset *ds = open_ds(VSR_DEGRADE_BI);
    vsr_clip_cache *cache = NULL;
    vsr_error err = {0};
    assert_int_equal(vsr_clip_cache_create(CLIP_BYTES, &cache, &err), 0);
    const vsr_clip *a = NULL, *b = NULL;
    assert_int_equal(vsr_clip_cache_load(cache, ds, 0, &a, &err), 0);
    vsr_clip_cache_release(cache, &a);
    assert_int_equal(vsr_clip_cache_load(cache, ds, 1, &b, &err), 0); /* drops a */
    clip_equal_fresh(ds, 1, b);
    vsr_clip_cache_release(cache, &b);
    assert_int_equal(vsr_clip_cache_load(cache, ds, 0, &a, &err), 0); /* decoded again */
    clip_equal_fresh(ds, 0, a);
    expect_stats(cache, 0, 3, 2, CLIP_BYTES);
    /* a is held: b cannot push it out and is lent out on its own */
    assert_int_equal(vsr_clip_cache_load(cache, ds, 1, &b, &err), 0);
    clip_equal_fresh(ds, 1, b);
    expect_stats(cache, 0, 4, 2, CLIP_BYTES);
    vsr_clip_cache_release(cache, &b); /* freed: ASan reports a leak otherwise */
    const vsr_clip *a2 = NULL;
    assert_int_equal(vsr_clip_cache_load(cache, ds, 0, &a2, &err), 0);
    assert_ptr_equal(a2, a);
    vsr_clip_cache_release(cache, &a2);
    vsr_clip_cache_release(cache, &a);
    vsr_clip_cache_free(&cache);
    vsr_dataset_close(&ds);
}

static void test_no_cache(void **state)
{
    (void)state;
    vsr_dataset *ds = open_ds(VSR_DEGRADE_BI);
    vsr_error err = {0};
    const vsr_clip *a = NULL;
    assert_int_equal(vsr_clip_cache_load(NULL, ds, 1, &a, &err), 0);
    clip_equal_fresh(ds, 1, a);
    vsr_clip_cache_release(NULL, &a);
    assert_null(a);
    /* a zero cap keeps nothing */
    vsr_clip_cache *cache = NULL;
    assert_int_equal(vsr_clip_cache_create(0, &cache, &err), 0);
    assert_int_equal(vsr_clip_cache_load(cache, ds, 0, &a, &err), 0);
    vsr_clip_cache_release(cache, &a);
    expect_stats(cache, 0, 1, 0, 0);
    /* an out-of-range clip is the loader's error, nothing lent out */
    assert_int_equal(vsr_clip_cache_load(cache, ds, 2, &a, &err), -EINVAL);
    assert_null(a);
    vsr_clip_cache_free(&cache);
    vsr_clip_cache_free(&cache); /* NULL-safe */
    vsr_dataset_close(&ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_same_pixels),
        cmocka_unit_test(test_cap_drops_lru),
        cmocka_unit_test(test_no_cache),
    };
    return VSR_RUN_TESTS(tests, setup, teardown);
}
