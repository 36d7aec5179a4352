/*
 * vsrbench upscale end to end: a folder of 3 synthetic frames upscaled with
 * the bicubic model equals vsr_imresize_u8(x4) of each frame, written as
 * PNG frames and as a lossless FFV1 video (read back); bad input (missing
 * IN, unknown model, a model without weights) exits non-zero with exactly
 * one line on stderr; an OUT that is, contains or lies inside IN (also
 * through hard links and symlinks), or has an unknown extension, is refused
 * with exit 2 before anything is written (issue 21), for upscale and for
 * data degrade.
 */
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
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

/* Number of entries (without . and ..) in folder @p d. */
static int count_entries(const char *d)
{
    DIR *dir = opendir(d);
    assert_non_null(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dir)))
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(dir);
    return n;
}

/* Size of @p path in bytes, -1 when absent. */
static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* vsrbench with @p args must exit 2 with one line on stderr containing @p want. */
static void refused(struct tmp *t, const char *const *args, const char *want)
{
    char first[2048];
    assert_int_equal(vsrbench(t, args), 2);
    assert_int_equal(lines(t->err, first, sizeof(first)), 1);
    if (!strstr(first, want))
        fail_msg("stderr '%s' lacks '%s'", first, want);
}

static void test_refuses_to_destroy_input(void **state)
{
    struct tmp *t = *state;
    vsr_error err = {0};
    vsr_frame f = {0};
    char p[600], sub[400], link_dir[400], video[400], hard[400], sym[400], up[400];
    assert_int_equal(mkdir(t->in, 0755), 0);
    make_frame(0, &f);
    snprintf(p, sizeof(p), "%s/a.png", t->in);
    if (vsr_image_write_png(p, &f, &err))
        fail_msg("%s", err.msg);
    long png_bytes = file_size(p);
    /* a 1-frame FFV1 video as the other kind of input */
    snprintf(video, sizeof(video), "%s/clip.mkv", t->dir);
    vsr_sink *sink = NULL;
    if (vsr_sink_open(video, NULL, &sink, &err) || vsr_sink_write(sink, &f, &err) ||
        vsr_sink_close(&sink, &err))
        fail_msg("%s", err.msg);
    vsr_frame_free(&f);
    long video_bytes = file_size(video);
    assert_true(video_bytes > 0);

    const char *same[] = {"upscale", "--model", "bicubic", t->in, t->in, NULL};
    refused(t, same, "is, contains or lies inside the input");
    snprintf(sub, sizeof(sub), "%s/sr", t->in); /* output folder inside the input folder */
    const char *inside[] = {"upscale", "--model", "bicubic", t->in, sub, NULL};
    refused(t, inside, "lies inside the input");
    assert_int_equal(access(sub, F_OK), -1);
    /* the input inside the output folder */
    const char *outer[] = {"upscale", "--model", "bicubic", t->in, t->dir, NULL};
    refused(t, outer, "lies inside the input");
    snprintf(link_dir, sizeof(link_dir), "%s/link_to_in", t->dir);
    assert_int_equal(symlink(t->in, link_dir), 0);
    const char *via_link[] = {"upscale", "--model", "bicubic", t->in, link_dir, NULL};
    refused(t, via_link, "link_to_in");
    snprintf(up, sizeof(up), "%s/../%s", t->in, strrchr(t->in, '/') + 1);
    const char *dotdot[] = {"upscale", "--model", "bicubic", up, t->in, NULL};
    refused(t, dotdot, "lies inside the input");
    assert_int_equal(count_entries(t->in), 1);
    assert_int_equal(file_size(p), png_bytes);

    /* a video: itself, a hard link, a symlink */
    const char *v_same[] = {"upscale", "--model", "bicubic", video, video, NULL};
    refused(t, v_same, "clip.mkv");
    snprintf(hard, sizeof(hard), "%s/hard.mkv", t->dir);
    assert_int_equal(link(video, hard), 0);
    const char *v_hard[] = {"upscale", "--model", "bicubic", video, hard, NULL};
    refused(t, v_hard, "hard.mkv: is, contains or lies inside the input");
    snprintf(sym, sizeof(sym), "%s/sym.mp4", t->dir);
    assert_int_equal(symlink(video, sym), 0);
    const char *v_sym[] = {"upscale", "--model", "bicubic", video, sym, NULL};
    refused(t, v_sym, "sym.mp4");
    assert_int_equal(file_size(video), video_bytes);

    /* extensions nothing can encode: refused, naming the accepted ones */
    char xyz[400], webm[400];
    snprintf(xyz, sizeof(xyz), "%s/out.xyz", t->dir);
    snprintf(webm, sizeof(webm), "%s/out.webm", t->dir);
    const char *bad_ext[] = {"upscale", "--model", "bicubic", t->in, xyz, NULL};
    refused(t, bad_ext, "out.xyz: unknown output type '.xyz'; use .mkv, .avi or .nut");
    const char *webm_ext[] = {"upscale", "--model", "bicubic", t->in, webm, NULL};
    refused(t, webm_ext, "without an extension or ending in '/' (PNG frames)");
    const char *ffv1_png[] = {"upscale", "--model", "bicubic", "--codec",
                              "ffv1",    t->in,     xyz,       NULL};
    refused(t, ffv1_png, "a video needs a file name ending in .mkv");
    assert_int_equal(access(xyz, F_OK), -1);
    assert_int_equal(access(webm, F_OK), -1);
    /* ... but a folder name with a dot is fine when asked for (--codec png) */
    const char *png_dot[] = {"upscale", "--model", "bicubic", "--codec",
                             "png",     t->in,     xyz,       NULL};
    assert_int_equal(vsrbench(t, png_dot), 0);
    snprintf(p, sizeof(p), "%s/00000000.png", xyz);
    assert_true(file_size(p) > 0);

    /* data degrade: --out is --in, or inside it */
    const char *d_same[] = {"data", "degrade", "--in", t->in, "--out", t->in, NULL};
    refused(t, d_same, "--out");
    const char *d_in[] = {"data", "degrade", "--in", t->in, "--out", sub, NULL};
    refused(t, d_in, "lies inside --in");
    assert_int_equal(access(sub, F_OK), -1);
    assert_int_equal(count_entries(t->in), 1);
    assert_int_equal(file_size(video), video_bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bicubic_folder, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuses_to_destroy_input, setup, teardown),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
