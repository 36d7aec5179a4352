/*
 * vsrbench upscale end to end: a folder of 3 synthetic frames upscaled with
 * the bicubic model equals vsr_imresize_u8(x4) of each frame, written as
 * PNG frames and as a lossless FFV1 video (read back); bad input (missing
 * IN, unknown model, a model without weights) exits non-zero with exactly
 * one line on stderr.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_harness.h"
#include "vsr/datasets.h"

#define N_FRAMES 3

struct tmp {
    char dir[256];
    char in[320];
    char out[320];
    char err[320];
};

static int setup(void **state)
{
    struct tmp *t = calloc(1, sizeof(*t));
    if (!t || !vsr_test_tmpdir(t->dir, sizeof(t->dir)))
        return -1;
    snprintf(t->in, sizeof(t->in), "%s/in", t->dir);
    snprintf(t->out, sizeof(t->out), "%s/out.txt", t->dir);
    snprintf(t->err, sizeof(t->err), "%s/err.txt", t->dir);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct tmp *t = *state;
    vsr_test_rmtree(t->dir);
    free(t);
    return 0;
}

/* vsrbench with @p args (NULL-terminated), stdout to t->out, stderr to t->err; exit code. */
static int vsrbench(struct tmp *t, const char *const *args)
{
    return vsr_test_vsrbench(args, t->out, t->err, NULL);
}

/* Lines in a file and the first one (without newline). */
static int lines(const char *path, char *first, size_t cap)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char buf[2048];
    int n = 0;
    first[0] = '\0';
    while (fgets(buf, sizeof(buf), f)) {
        if (n++ == 0) {
            buf[strcspn(buf, "\n")] = '\0';
            snprintf(first, cap, "%s", buf);
        }
    }
    fclose(f);
    return n;
}

static int frames_equal(const vsr_frame *a, const vsr_frame *b)
{
    if (a->width != b->width || a->height != b->height || a->channels != b->channels)
        return 0;
    for (int y = 0; y < a->height; y++)
        if (memcmp(vsr_frame_row(a, y), vsr_frame_row(b, y), (size_t)a->width * a->channels))
            return 0;
    return 1;
}

/* Frame i of the input: a smooth gradient plus a moving bright square. */
static void make_frame(int i, vsr_frame *f)
{
    vsr_error err = {0};
    if (vsr_frame_alloc(f, 24, 16, 3, &err))
        fail_msg("%s", err.msg);
    for (int y = 0; y < f->height; y++)
        for (int x = 0; x < f->width; x++) {
            uint8_t *p = vsr_frame_row(f, y) + 3 * x;
            int in_sq = x >= 4 + 3 * i && x < 10 + 3 * i && y >= 5 && y < 11;
            p[0] = (uint8_t)(in_sq ? 250 : 10 * x);
            p[1] = (uint8_t)(in_sq ? 240 : 15 * y);
            p[2] = (uint8_t)((7 * x + 11 * y + 40 * i) & 0xff);
        }
}

static void test_bicubic_folder(void **state)
{
    struct tmp *t = *state;
    vsr_error err = {0};
    vsr_frame in[N_FRAMES] = {{0}}, want[N_FRAMES] = {{0}};
    assert_int_equal(mkdir(t->in, 0755), 0);
    for (int i = 0; i < N_FRAMES; i++) {
        char p[400];
        make_frame(i, &in[i]);
        snprintf(p, sizeof(p), "%s/f%03d.png", t->in, i);
        if (vsr_image_write_png(p, &in[i], &err) ||
            vsr_imresize_u8(&in[i], 4.0, &want[i], &err))
            fail_msg("%s", err.msg);
    }

    /* PNG frames out */
    char out_dir[400];
    snprintf(out_dir, sizeof(out_dir), "%s/sr", t->dir);
    const char *png[] = {"upscale", "--model", "bicubic", t->in, out_dir, NULL};
    assert_int_equal(vsrbench(t, png), 0);
    for (int i = 0; i < N_FRAMES; i++) {
        char p[500];
        vsr_frame got = {0};
        snprintf(p, sizeof(p), "%s/%08d.png", out_dir, i);
        if (vsr_image_read(p, 3, &got, &err))
            fail_msg("%s", err.msg);
        assert_int_equal(got.width, 96);
        assert_int_equal(got.height, 64);
        assert_true(frames_equal(&got, &want[i]));
        vsr_frame_free(&got);
    }
    snprintf(out_dir, sizeof(out_dir), "%s/sr/%08d.png", t->dir, N_FRAMES);
    assert_int_equal(access(out_dir, F_OK), -1); /* exactly N frames */

    /* lossless video out, read back */
    char video[400];
    snprintf(video, sizeof(video), "%s/sr.mkv", t->dir);
    const char *mkv[] = {"upscale",    "--model", "bicubic", "--threads", "2",
                         "--progress", "always",  t->in,     video,       NULL};
    assert_int_equal(vsrbench(t, mkv), 0);
    vsr_source *src = NULL;
    if (vsr_source_open(video, 3, &src, &err))
        fail_msg("%s", err.msg);
    vsr_frame got = {0};
    int n = 0, rc;
    while ((rc = vsr_source_read(src, &got, &err)) > 0) {
        assert_true(n < N_FRAMES);
        assert_true(frames_equal(&got, &want[n]));
        n++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(n, N_FRAMES);
    vsr_frame_free(&got);
    vsr_source_close(&src);
    for (int i = 0; i < N_FRAMES; i++) {
        vsr_frame_free(&in[i]);
        vsr_frame_free(&want[i]);
    }
}

static void test_bad_input(void **state)
{
    struct tmp *t = *state;
    char first[2048], missing[400], out[400];
    snprintf(missing, sizeof(missing), "%s/no_such_folder", t->dir);
    snprintf(out, sizeof(out), "%s/o.mkv", t->dir);
    const char *a[] = {"upscale", "--model", "bicubic", missing, out, NULL};
    assert_int_not_equal(vsrbench(t, a), 0);
    assert_int_equal(lines(t->err, first, sizeof(first)), 1);
    assert_non_null(strstr(first, missing));
    assert_int_equal(access(out, F_OK), -1);

    assert_int_equal(mkdir(t->in, 0755), 0);
    vsr_frame f = {0};
    vsr_error err = {0};
    char p[400];
    make_frame(0, &f);
    snprintf(p, sizeof(p), "%s/a.png", t->in);
    if (vsr_image_write_png(p, &f, &err))
        fail_msg("%s", err.msg);
    vsr_frame_free(&f);

    const char *b[] = {"upscale", "--model", "NoSuchNet", t->in, out, NULL};
    assert_int_not_equal(vsrbench(t, b), 0);
    assert_int_equal(lines(t->err, first, sizeof(first)), 1);
    assert_non_null(strstr(first, "NoSuchNet"));

    /* ELSR has no trained weights in a fresh tree: refused, saying how to get them */
    char w[400];
    snprintf(w, sizeof(w), "%s/absent.vsrw", t->dir);
    const char *c[] = {"upscale", "--model", "ELSR", "--weights", w, t->in, out, NULL};
    assert_int_not_equal(vsrbench(t, c), 0);
    assert_int_equal(lines(t->err, first, sizeof(first)), 1);
    assert_non_null(strstr(first, "weights"));
    assert_int_equal(access(out, F_OK), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bicubic_folder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
