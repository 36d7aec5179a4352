/*
 * Frame folders (names with spaces, gray/RGBA/16-bit PNGs written by an
 * independent mini PNG writer), PNG and video round trips, and every
 * bad-input case, each of which must name the file in its message.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "datasets_internal.h"
#include "pngmini.h"
#include "testutil.h"
#include "vsr/datasets.h"

/* Deterministic pseudo-random bytes (xorshift). */
static uint32_t rng_next(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void fill_random(vsr_frame *f, uint32_t seed)
{
    for (int y = 0; y < f->height; y++)
        for (int x = 0; x < f->width * f->channels; x++)
            vsr_frame_row(f, y)[x] = (uint8_t)(rng_next(&seed) >> 24);
}

static void assert_frames_equal(const vsr_frame *a, const vsr_frame *b)
{
    assert_int_equal(a->width, b->width);
    assert_int_equal(a->height, b->height);
    assert_int_equal(a->channels, b->channels);
    for (int y = 0; y < a->height; y++)
        assert_memory_equal(vsr_frame_row(a, y), vsr_frame_row(b, y),
                            (size_t)a->width * a->channels);
}

static void tmpdir(char *buf, size_t cap)
{
    assert_non_null(vsr_test_tmpdir(buf, cap));
}

/* Folder of PNGs: RGB, RGBA, 16-bit RGB, names with spaces, sorted. */
static void test_folder_png_kinds(void **state)
{
    (void)state;
    char dir[4096], p[4300];
    tmpdir(dir, sizeof(dir));
    const int w = 13, h = 7;
    vsr_frame want = {0};
    vsr_error err = {0};
    assert_int_equal(vsr_frame_alloc(&want, w, h, 3, &err), 0);
    fill_random(&want, 1234);
    uint16_t *s = malloc(sizeof(uint16_t) * w * h * 4);
    uint32_t seed = 99;
    /* "frame 0.png": 8-bit RGB */
    for (int i = 0; i < w * h * 3; i++)
        s[i] = want.data[i];
    snprintf(p, sizeof(p), "%s/frame 0.png", dir);
    assert_int_equal(pngmini_write(p, w, h, 3, 8, s), 0);
    /* "frame 1.png": RGBA, random alpha (ignored) */
    for (int i = 0; i < w * h; i++) {
        for (int c = 0; c < 3; c++)
            s[4 * i + c] = want.data[3 * i + c];
        s[4 * i + 3] = (uint16_t)(rng_next(&seed) >> 24);
    }
    snprintf(p, sizeof(p), "%s/frame 1.png", dir);
    assert_int_equal(pngmini_write(p, w, h, 4, 8, s), 0);
    /* "frame 2.png": 16-bit, v16 = 257 v + d, |d| <= 128 -> round(v16/257) = v */
    for (int i = 0; i < w * h * 3; i++) {
        int d = (int)(rng_next(&seed) % 257) - 128;
        int v16 = 257 * want.data[i] + d;
        s[i] = (uint16_t)(v16 < 0 ? 0 : v16 > 65535 ? 65535 : v16);
    }
    snprintf(p, sizeof(p), "%s/frame 2.png", dir);
    assert_int_equal(pngmini_write(p, w, h, 3, 16, s), 0);
    /* a non-image file is ignored */
    snprintf(p, sizeof(p), "%s/notes.txt", dir);
    FILE *fp = fopen(p, "w");
    fputs("x", fp);
    fclose(fp);

    vsr_source *src = NULL;
    assert_int_equal(vsr_source_open(dir, 0, &src, &err), 0);
    assert_int_equal(vsr_source_frame_count(src), 3);
    assert_int_equal(vsr_source_width(src), w);
    assert_int_equal(vsr_source_height(src), h);
    assert_int_equal(vsr_source_channels(src), 3);
    assert_string_equal(vsr_source_frame_name(src, 1), "frame 1.png");
    vsr_frame f = {0};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(vsr_source_read(src, &f, &err), 1);
        assert_frames_equal(&f, &want);
    }
    assert_int_equal(vsr_source_read(src, &f, &err), 0);
    vsr_source_close(&src);
    assert_null(src);
    vsr_frame_free(&f);
    free(s);
    vsr_frame_free(&want);
    vsr_rm_rf(dir);
}

/* Gray 8-bit and 16-bit PNGs: kept as 1 channel, replicated on request. */
static void test_gray_png(void **state)
{
    (void)state;
    char dir[4096], p[4300];
    tmpdir(dir, sizeof(dir));
    const int w = 9, h = 5;
    uint16_t s8[45], s16[45];
    for (int i = 0; i < w * h; i++) {
        s8[i] = (uint16_t)(i * 5);
        s16[i] = (uint16_t)(257 * (i * 5) + (i % 2 ? 128 : -128 + 256 * (i == 0)));
    }
    vsr_error err = {0};
    vsr_frame f = {0};
    for (int depth = 8; depth <= 16; depth += 8) {
        snprintf(p, sizeof(p), "%s/gray%d.png", dir, depth);
        assert_int_equal(pngmini_write(p, w, h, 1, depth, depth == 8 ? s8 : s16), 0);
        assert_int_equal(vsr_image_read(p, 0, &f, &err), 0);
        assert_int_equal(f.channels, 1);
        for (int i = 0; i < w * h; i++)
            assert_int_equal(vsr_frame_row(&f, i / w)[i % w], i * 5);
        vsr_frame_free(&f);
        assert_int_equal(vsr_image_read(p, 3, &f, &err), 0);
        assert_int_equal(f.channels, 3);
        for (int i = 0; i < w * h; i++)
            for (int c = 0; c < 3; c++)
                assert_int_equal(vsr_frame_row(&f, i / w)[3 * (i % w) + c], i * 5);
        vsr_frame_free(&f);
    }
    /* RGB -> gray on request: round(0.299 R + 0.587 G + 0.114 B). */
    uint16_t rgb[3] = {200, 100, 50}; /* 59.8 + 58.7 + 5.7 = 124.2 -> 124 */
    snprintf(p, sizeof(p), "%s/one.png", dir);
    assert_int_equal(pngmini_write(p, 1, 1, 3, 8, rgb), 0);
    assert_int_equal(vsr_image_read(p, 1, &f, &err), 0);
    assert_int_equal(f.data[0], 124);
    vsr_frame_free(&f);
    vsr_rm_rf(dir);
}

/* Our PNG writer round-trips exactly and leaves no temporary file. */
static void test_png_roundtrip(void **state)
{
    (void)state;
    char dir[4096], p[4300];
    tmpdir(dir, sizeof(dir));
    vsr_error err = {0};
    for (int ch = 1; ch <= 3; ch += 2) {
        vsr_frame f = {0}, g = {0}, v = {0};
        assert_int_equal(vsr_frame_alloc(&f, 31, 17, ch, &err), 0);
        fill_random(&f, 7u + (uint32_t)ch);
        /* a strided view is written correctly too */
        assert_int_equal(vsr_frame_view(&v, &f, 3, 2, 20, 11, &err), 0);
        snprintf(p, sizeof(p), "%s/out%d.png", dir, ch);
        assert_int_equal(vsr_image_write_png(p, &v, &err), 0);
        assert_int_equal(vsr_image_read(p, 0, &g, &err), 0);
        assert_frames_equal(&g, &v);
        vsr_frame_free(&g);
        vsr_frame_free(&f);
    }
    /* only the two PNGs are there */
    vsr_source *src = NULL;
    assert_int_equal(vsr_source_open_folder(dir, 0, &src, &err), 0);
    assert_int_equal(vsr_source_frame_count(src), 2);
    vsr_source_close(&src);
    vsr_rm_rf(dir);
}

static void write_video(const char *path, enum vsr_sink_kind kind, int crf, int n, int w, int h,
                        vsr_frame *frames)
{
    vsr_error err = {0};
    vsr_sink *sink = NULL;
    vsr_sink_options o = {.kind = kind, .fps_num = 25, .fps_den = 1, .crf = crf};
    assert_int_equal(vsr_sink_open(path, &o, &sink, &err), 0);
    for (int i = 0; i < n; i++) {
        assert_int_equal(vsr_frame_alloc(&frames[i], w, h, 3, &err), 0);
        fill_random(&frames[i], 1000u + (uint32_t)i);
        /* some smooth content too, so inter-frame codecs have work */
        for (int y = 0; y < h / 2; y++)
            for (int x = 0; x < w * 3; x++)
                vsr_frame_row(&frames[i], y)[x] = (uint8_t)(x + y + 3 * i);
        assert_int_equal(vsr_sink_write(sink, &frames[i], &err), 0);
    }
    assert_int_equal(vsr_sink_close(&sink, &err), 0);
    assert_null(sink);
}

static void check_video(const char *path, int n, const vsr_frame *frames)
{
    vsr_error err = {0};
    vsr_source *src = NULL;
    assert_int_equal(vsr_source_open(path, 0, &src, &err), 0);
    assert_int_equal(vsr_source_frame_count(src), n);
    assert_int_equal(vsr_source_channels(src), 3);
    vsr_frame f = {0};
    for (int i = 0; i < n; i++) {
        int r = vsr_source_read(src, &f, &err);
        if (r != 1)
            print_message("%s\n", err.msg);
        assert_int_equal(r, 1);
        assert_frames_equal(&f, &frames[i]);
    }
    assert_int_equal(vsr_source_read(src, &f, &err), 0);
    vsr_frame_free(&f);
    vsr_source_close(&src);
}

/* Lossless video round trips are bit exact (FFV1 in mkv and avi). */
static void test_video_roundtrip(void **state)
{
    (void)state;
    char dir[4096], p[4300];
    tmpdir(dir, sizeof(dir));
    vsr_frame frames[6] = {0};
    static const char *exts[] = {"mkv", "avi"};
    for (int k = 0; k < 2; k++) {
        snprintf(p, sizeof(p), "%s/clip with space.%s", dir, exts[k]);
        write_video(p, VSR_SINK_AUTO, 0, 6, 34, 22, frames);
        check_video(p, 6, frames);
        /* seek: frame 4 */
        vsr_source *src = NULL;
        vsr_error err = {0};
        vsr_frame f = {0};
        assert_int_equal(vsr_source_open(p, 3, &src, &err), 0);
        assert_int_equal(vsr_source_seek(src, 4, &err), 0);
        assert_int_equal(vsr_source_read(src, &f, &err), 1);
        assert_frames_equal(&f, &frames[4]);
        vsr_frame_free(&f);
        vsr_source_close(&src);
        for (int i = 0; i < 6; i++)
            vsr_frame_free(&frames[i]);
    }
    vsr_rm_rf(dir);
}

/* libx264rgb at crf 0 is lossless RGB (skipped when not in this FFmpeg). */
static void test_video_x264_lossless(void **state)
{
    (void)state;
    char dir[4096], p[4300];
    tmpdir(dir, sizeof(dir));
    snprintf(p, sizeof(p), "%s/c.mp4", dir);
    vsr_sink *sink = NULL;
    vsr_error err = {0};
    vsr_sink_options o = {.kind = VSR_SINK_X264, .crf = 0};
    int r = vsr_sink_open(p, &o, &sink, &err);
    if (r == -ENOTSUP) {
        vsr_rm_rf(dir);
        VSR_SKIP("%s", err.msg);
    }
    assert_int_equal(r, 0);
    vsr_sink_abort(&sink);
    vsr_frame frames[3] = {0};
    write_video(p, VSR_SINK_X264, 0, 3, 32, 16, frames);
    check_video(p, 3, frames);
    for (int i = 0; i < 3; i++)
        vsr_frame_free(&frames[i]);
    vsr_rm_rf(dir);
}

/* A sink that fails or is aborted leaves nothing at its path. */
static void test_sink_abort(void **state)
{
    (void)state;
    char dir[4096], p[4300];
    tmpdir(dir, sizeof(dir));
    snprintf(p, sizeof(p), "%s/v.mkv", dir);
    vsr_error err = {0};
    vsr_sink *sink = NULL;
    vsr_frame a = {0}, b = {0};
    assert_int_equal(vsr_frame_alloc(&a, 16, 8, 3, &err), 0);
    assert_int_equal(vsr_frame_alloc(&b, 8, 8, 3, &err), 0);
    assert_int_equal(vsr_sink_open(p, NULL, &sink, &err), 0);
    assert_int_equal(vsr_sink_write(sink, &a, &err), 0);
    assert_true(vsr_sink_write(sink, &b, &err) < 0); /* mixed sizes */
    assert_non_null(strstr(err.msg, p));
    vsr_sink_abort(&sink);
    assert_null(sink);
    struct stat st;
    assert_int_not_equal(stat(p, &st), 0);
    vsr_source *src = NULL;
    assert_int_equal(vsr_source_open_folder(dir, 0, &src, &err), -ENODATA); /* folder empty */
    vsr_frame_free(&a);
    vsr_frame_free(&b);
    vsr_rm_rf(dir);
}

#define ASSERT_ERR_NAMES(call, needle)                                                         \
    do {                                                                                       \
        vsr_error e_ = {0};                                                                    \
        int r_ = (call);                                                                       \
        (void)e_;                                                                              \
        assert_true(r_ < 0);                                                                   \
        print_message("error (expected): %s\n", err.msg);                                      \
        assert_non_null(strstr(err.msg, (needle)));                                            \
        assert_null(strchr(err.msg, '\n'));                                                    \
    } while (0)

static void test_bad_missing_and_empty(void **state)
{
    (void)state;
    char dir[4096], p[4300];
    tmpdir(dir, sizeof(dir));
    vsr_error err = {0};
    vsr_source *src = NULL;
    snprintf(p, sizeof(p), "%s/nope", dir);
    ASSERT_ERR_NAMES(vsr_source_open(p, 0, &src, &err), p);
    assert_null(src);
    ASSERT_ERR_NAMES(vsr_source_open_folder(p, 0, &src, &err), p);
    ASSERT_ERR_NAMES(vsr_source_open_folder(dir, 0, &src, &err), dir); /* empty */
    assert_int_equal(err.code, -ENODATA);
    vsr_frame f = {0};
    ASSERT_ERR_NAMES(vsr_image_read(p, 0, &f, &err), p);
    /* dataset with a missing GT folder */
    vsr_dataset *ds = NULL;
    vsr_dataset_spec spec = {.type = VSR_DATASET_PAIR, .gt = p};
    ASSERT_ERR_NAMES(vsr_dataset_open(&spec, &ds, &err), p);
    assert_null(ds);
    vsr_rm_rf(dir);
}

static void test_bad_unreadable(void **state)
{
    (void)state;
    char dir[4096], p[4300], q[4300];
    tmpdir(dir, sizeof(dir));
    vsr_error err = {0};
    vsr_frame f = {0};
    uint16_t px[12] = {0};
    snprintf(p, sizeof(p), "%s/00000000.png", dir);
    assert_int_equal(pngmini_write(p, 2, 2, 3, 8, px), 0);
    /* a garbage file with an image name */
    snprintf(q, sizeof(q), "%s/00000001.png", dir);
    FILE *fp = fopen(q, "wb");
    fputs("this is not a PNG at all, just text that pretends to be one.", fp);
    fclose(fp);
    ASSERT_ERR_NAMES(vsr_image_read(q, 0, &f, &err), q);
    vsr_source *src = NULL;
    assert_int_equal(vsr_source_open_folder(dir, 0, &src, &err), 0);
    assert_int_equal(vsr_source_read(src, &f, &err), 1);
    ASSERT_ERR_NAMES(vsr_source_read(src, &f, &err), q);
    vsr_source_close(&src);
    /* a truncated PNG */
    FILE *in = fopen(p, "rb");
    uint8_t buf[256];
    size_t n = fread(buf, 1, sizeof(buf), in);
    fclose(in);
    fp = fopen(q, "wb");
    fwrite(buf, 1, n - 20, fp);
    fclose(fp);
    ASSERT_ERR_NAMES(vsr_image_read(q, 0, &f, &err), q);
    /* no read permission (meaningless as root) */
    if (geteuid() != 0) {
        chmod(p, 0);
        ASSERT_ERR_NAMES(vsr_image_read(p, 0, &f, &err), p);
        chmod(p, 0644);
    }
    vsr_frame_free(&f);
    vsr_rm_rf(dir);
}

static void test_bad_mixed_sizes(void **state)
{
    (void)state;
    char dir[4096], p[4300];
    tmpdir(dir, sizeof(dir));
    vsr_error err = {0};
    uint16_t px[8 * 8 * 3] = {0};
    snprintf(p, sizeof(p), "%s/a.png", dir);
    assert_int_equal(pngmini_write(p, 8, 8, 3, 8, px), 0);
    snprintf(p, sizeof(p), "%s/b.png", dir);
    assert_int_equal(pngmini_write(p, 8, 4, 3, 8, px), 0);
    vsr_source *src = NULL;
    vsr_frame f = {0};
    assert_int_equal(vsr_source_open_folder(dir, 0, &src, &err), 0);
    assert_int_equal(vsr_source_read(src, &f, &err), 1);
    ASSERT_ERR_NAMES(vsr_source_read(src, &f, &err), p);
    assert_non_null(strstr(err.msg, "8x4"));
    vsr_source_close(&src);
    /* also through a dataset (LR made on the fly) */
    vsr_dataset *ds = NULL;
    vsr_clip clip = {0};
    vsr_dataset_spec spec = {.type = VSR_DATASET_PAIR, .gt = dir};
    assert_int_equal(vsr_dataset_open(&spec, &ds, &err), 0);
    ASSERT_ERR_NAMES(vsr_dataset_load_clip(ds, 0, &clip, &err), p);
    assert_int_equal(clip.n_frames, 0);
    vsr_dataset_close(&ds);
    vsr_frame_free(&f);
    vsr_rm_rf(dir);
}

static void test_bad_not_x4(void **state)
{
    (void)state;
    char dir[4096], gt[4300], lq[4300], p[4400];
    tmpdir(dir, sizeof(dir));
    vsr_error err = {0};
    snprintf(gt, sizeof(gt), "%s/gt", dir);
    snprintf(lq, sizeof(lq), "%s/lq", dir);
    assert_int_equal(vsr_mkdir_p(gt, &err), 0);
    assert_int_equal(vsr_mkdir_p(lq, &err), 0);
    uint16_t *px = calloc(64 * 48 * 3, sizeof(uint16_t));
    snprintf(p, sizeof(p), "%s/0001.png", gt);
    assert_int_equal(pngmini_write(p, 64, 48, 3, 8, px), 0);
    snprintf(p, sizeof(p), "%s/0001.png", lq);
    assert_int_equal(pngmini_write(p, 20, 12, 3, 8, px), 0);
    vsr_dataset *ds = NULL;
    vsr_dataset_spec spec = {.type = VSR_DATASET_PAIR, .gt = gt, .lq = lq};
    ASSERT_ERR_NAMES(vsr_dataset_open(&spec, &ds, &err), p);
    assert_non_null(strstr(err.msg, gt));
    assert_non_null(strstr(err.msg, "64x48"));
    assert_non_null(strstr(err.msg, "20x12"));
    /* the right size opens and loads */
    assert_int_equal(pngmini_write(p, 16, 12, 3, 8, px), 0);
    assert_int_equal(vsr_dataset_open(&spec, &ds, &err), 0);
    vsr_clip_info info;
    assert_int_equal(vsr_dataset_clip_info(ds, 0, &info), 0);
    assert_string_equal(info.name, "gt");
    assert_int_equal(info.lr_on_the_fly, 0);
    vsr_dataset_close(&ds);
    free(px);
    vsr_rm_rf(dir);
}

static void test_bad_truncated_video(void **state)
{
    (void)state;
    char dir[4096], p[4300], q[4300];
    tmpdir(dir, sizeof(dir));
    vsr_frame frames[10] = {0};
    static const char *exts[] = {"mkv", "avi"};
    for (int k = 0; k < 2; k++) {
        snprintf(p, sizeof(p), "%s/full.%s", dir, exts[k]);
        snprintf(q, sizeof(q), "%s/cut.%s", dir, exts[k]);
        write_video(p, VSR_SINK_FFV1, 0, 10, 64, 48, frames);
        for (int i = 0; i < 10; i++)
            vsr_frame_free(&frames[i]);
        FILE *in = fopen(p, "rb");
        fseek(in, 0, SEEK_END);
        long size = ftell(in);
        fseek(in, 0, SEEK_SET);
        uint8_t *buf = malloc((size_t)size);
        assert_int_equal(fread(buf, 1, (size_t)size, in), (size_t)size);
        fclose(in);
        FILE *out = fopen(q, "wb");
        fwrite(buf, 1, (size_t)(size * 55 / 100), out);
        fclose(out);
        free(buf);
        vsr_error err = {0};
        vsr_source *src = NULL;
        vsr_frame f = {0};
        int r = vsr_source_open(q, 0, &src, &err);
        int n = 0;
        while (r >= 0 && (r = vsr_source_read(src, &f, &err)) > 0)
            n++;
        print_message("%s: %d frames before the error\n", q, n);
        assert_true(r < 0);
        print_message("error (expected): %s\n", err.msg);
        assert_non_null(strstr(err.msg, q));
        vsr_frame_free(&f);
        vsr_source_close(&src);
    }
    /* not a video at all */
    snprintf(q, sizeof(q), "%s/junk.mkv", dir);
    FILE *out = fopen(q, "wb");
    fputs("junk junk junk", out);
    fclose(out);
    vsr_error err = {0};
    vsr_source *src = NULL;
    ASSERT_ERR_NAMES(vsr_source_open(q, 0, &src, &err), q);
    vsr_rm_rf(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_folder_png_kinds),      cmocka_unit_test(test_gray_png),
        cmocka_unit_test(test_png_roundtrip),         cmocka_unit_test(test_video_roundtrip),
        cmocka_unit_test(test_video_x264_lossless),   cmocka_unit_test(test_sink_abort),
        cmocka_unit_test(test_bad_missing_and_empty), cmocka_unit_test(test_bad_unreadable),
        cmocka_unit_test(test_bad_mixed_sizes),       cmocka_unit_test(test_bad_not_x4),
        cmocka_unit_test(test_bad_truncated_video),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
