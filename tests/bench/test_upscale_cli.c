/*
 * vsrbench upscale end to end: a folder of 3 synthetic frames upscaled with
 * the bicubic model equals vsr_imresize_u8(x4) of each frame, written as
 * PNG frames and as a lossless FFV1 video (read back); bad input (missing
 * IN, unknown model, a model without weights) exits non-zero with exactly
 * one line on stderr; an OUT that is, contains or lies inside IN (also
 * through hard links and symlinks), or has an unknown extension, is refused
 * with exit 2 before anything is written (issue 21), for upscale and for
 * data degrade. Issue 14: INT8 of a video (calibration frames kept, no seek
 * back) equals INT8 of the same frames as a folder; .mp4 is yuv420p H.264
 * unless --lossless; Ctrl-C exits 130 with one line and no temporary file;
 * an INT8 TFLite file keeps its own quantization (the library's output).
 * Issue 17: --requant tflite gives TFLite's integer arithmetic bit for bit.
 */
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libavformat/avformat.h>

#include "cli_harness.h"
#include "vsr/datasets.h"
#include "vsr/engine.h"
#include "vsr/models.h"

#define N_FRAMES 3

/* vsrbench with @p args (NULL-terminated), stdout to t->out, stderr to t->err; exit code. */
static int vsrbench(struct vsr_cli_tmp *t, const char *const *args)
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
    struct vsr_cli_tmp *t = *state;
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
    struct vsr_cli_tmp *t = *state;
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
static void refused(struct vsr_cli_tmp *t, const char *const *args, const char *want)
{
    char first[2048];
    assert_int_equal(vsrbench(t, args), 2);
    assert_int_equal(lines(t->err, first, sizeof(first)), 1);
    if (!strstr(first, want))
        fail_msg("stderr '%s' lacks '%s'", first, want);
}

static void test_refuses_to_destroy_input(void **state)
{
    struct vsr_cli_tmp *t = *state;
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

/* Frame i (of a W x H clip): make_frame's pattern, tiled to any size. */
static void make_big_frame(int i, int W, int H, vsr_frame *f)
{
    vsr_error err = {0};
    if (vsr_frame_alloc(f, W, H, 3, &err))
        fail_msg("%s", err.msg);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint8_t *p = vsr_frame_row(f, y) + 3 * x;
            int in_sq = x >= 4 + 3 * i % W && x < 10 + 3 * i % W && y >= 5 && y < 11;
            p[0] = (uint8_t)(in_sq ? 250 : 10 * x);
            p[1] = (uint8_t)(in_sq ? 240 : 15 * y);
            p[2] = (uint8_t)((7 * x + 11 * y + 40 * i) & 0xff);
        }
}

/* Write @p n frames W x H as a lossless FFV1 video at @p video and, when
 * @p dir is not NULL, as the PNG folder @p dir. */
static void write_clip(const char *video, const char *dir, int n, int W, int H)
{
    vsr_error err = {0};
    vsr_sink *sink = NULL;
    if (vsr_sink_open(video, NULL, &sink, &err))
        fail_msg("%s", err.msg);
    if (dir)
        assert_int_equal(mkdir(dir, 0755), 0);
    for (int i = 0; i < n; i++) {
        vsr_frame f = {0};
        char p[600];
        make_big_frame(i, W, H, &f);
        if (vsr_sink_write(sink, &f, &err))
            fail_msg("%s", err.msg);
        snprintf(p, sizeof(p), "%s/%04d.png", dir ? dir : "", i);
        if (dir && vsr_image_write_png(p, &f, &err))
            fail_msg("%s", err.msg);
        vsr_frame_free(&f);
    }
    if (vsr_sink_close(&sink, &err))
        fail_msg("%s", err.msg);
}

/* Every frame of @p path (video or folder) into @p f (at most @p cap); the count. */
static int read_all(const char *path, vsr_frame *f, int cap)
{
    vsr_error err = {0};
    vsr_source *src = NULL;
    if (vsr_source_open(path, 3, &src, &err))
        fail_msg("%s", err.msg);
    int n = 0, rc;
    vsr_frame tmp = {0};
    while ((rc = vsr_source_read(src, n < cap ? &f[n] : &tmp, &err)) > 0)
        n++;
    if (rc < 0)
        fail_msg("%s", err.msg);
    vsr_frame_free(&tmp);
    vsr_source_close(&src);
    return n;
}

/* Issue 14 item 3: INT8 of a video calibrates on the first frames and must
 * not seek back; the SR frames equal those of the same frames as a PNG
 * folder (FFV1 is lossless both ways), and there is one per input frame. */
static void test_int8_video(void **state)
{
    struct vsr_cli_tmp *t = *state;
    enum { N = 7, W = 24, H = 16 };
    char video[400], out_v[400], out_d[400], weights[600];
    snprintf(video, sizeof(video), "%s/clip.mkv", t->dir);
    snprintf(out_v, sizeof(out_v), "%s/sr.mkv", t->dir);
    snprintf(out_d, sizeof(out_d), "%s/sr_dir.mkv", t->dir);
    snprintf(weights, sizeof(weights), "%s/models/weights/ABPN.vsrw", getenv("VSR_SOURCE_DIR"));
    write_clip(video, t->in, N, W, H);
    /* 4 calibration frames of 7: the first 4 are upscaled from memory, the rest read on */
    const char *a[] = {"upscale", "--model",        "ABPN", "--weights", weights, "--precision",
                       "int8",    "--calib-frames", "4",    video,       out_v,   NULL};
    assert_int_equal(vsrbench(t, a), 0);
    const char *b[] = {"upscale", "--model",        "ABPN", "--weights", weights, "--precision",
                       "int8",    "--calib-frames", "4",    t->in,       out_d,   NULL};
    assert_int_equal(vsrbench(t, b), 0);
    vsr_frame fv[N + 1] = {{0}}, fd[N + 1] = {{0}};
    assert_int_equal(read_all(out_v, fv, N + 1), N);
    assert_int_equal(read_all(out_d, fd, N + 1), N);
    for (int i = 0; i < N; i++) {
        assert_int_equal(fv[i].width, 4 * W);
        assert_int_equal(fv[i].height, 4 * H);
        assert_true(frames_equal(&fv[i], &fd[i]));
        vsr_frame_free(&fv[i]);
        vsr_frame_free(&fd[i]);
    }
}

/* Codec and pixel format of the first video stream of @p path (libavformat). */
static void probe(const char *path, enum AVCodecID *codec, int *pix_fmt)
{
    AVFormatContext *fc = NULL;
    assert_int_equal(avformat_open_input(&fc, path, NULL, NULL), 0);
    assert_true(avformat_find_stream_info(fc, NULL) >= 0);
    int s = av_find_best_stream(fc, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    assert_true(s >= 0);
    *codec = fc->streams[s]->codecpar->codec_id;
    *pix_fmt = fc->streams[s]->codecpar->format;
    avformat_close_input(&fc);
}

/* Issue 14 item 7: .mp4 is H.264 yuv420p (what browsers play); --lossless
 * keeps RGB (libx264rgb writes gbrp). */
static void test_mp4_playable(void **state)
{
    struct vsr_cli_tmp *t = *state;
    char mp4[400], lossless[400];
    snprintf(mp4, sizeof(mp4), "%s/sr.mp4", t->dir);
    snprintf(lossless, sizeof(lossless), "%s/sr_lossless.mp4", t->dir);
    assert_int_equal(mkdir(t->in, 0755), 0);
    for (int i = 0; i < N_FRAMES; i++) {
        vsr_frame f = {0};
        vsr_error err = {0};
        char p[400];
        make_frame(i, &f);
        snprintf(p, sizeof(p), "%s/f%03d.png", t->in, i);
        if (vsr_image_write_png(p, &f, &err))
            fail_msg("%s", err.msg);
        vsr_frame_free(&f);
    }
    const char *a[] = {"upscale", "--model", "bicubic", t->in, mp4, NULL};
    assert_int_equal(vsrbench(t, a), 0);
    const char *b[] = {"upscale", "--model", "bicubic", "--lossless", t->in, lossless, NULL};
    assert_int_equal(vsrbench(t, b), 0);
    enum AVCodecID codec;
    int fmt;
    probe(mp4, &codec, &fmt);
    assert_int_equal(codec, AV_CODEC_ID_H264);
    assert_int_equal(fmt, AV_PIX_FMT_YUV420P);
    probe(lossless, &codec, &fmt);
    assert_int_equal(codec, AV_CODEC_ID_H264);
    assert_int_equal(fmt, AV_PIX_FMT_GBRP);
    vsr_frame got[N_FRAMES + 1] = {{0}};
    assert_int_equal(read_all(mp4, got, N_FRAMES + 1), N_FRAMES);
    for (int i = 0; i < N_FRAMES; i++) {
        assert_int_equal(got[i].width, 96);
        vsr_frame_free(&got[i]);
    }
}

/* Bytes of file @p path (NUL-terminated, at most cap - 1). */
static size_t slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        buf[0] = '\0';
        return 0;
    }
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
    return n;
}

/* Issue 14 item 7: SIGINT mid-run (after the first progress line) exits
 * 130 with one line saying so, and leaves neither OUT nor OUT.tmp-*. */
static void test_sigint(void **state)
{
    struct vsr_cli_tmp *t = *state;
    char video[400], out[400], weights[600];
    snprintf(video, sizeof(video), "%s/long.mkv", t->dir);
    snprintf(out, sizeof(out), "%s/sr.mp4", t->dir);
    snprintf(weights, sizeof(weights), "%s/models/weights/ABPN.vsrw", getenv("VSR_SOURCE_DIR"));
    /* 300 frames of 64x48 through ABPN: far longer than the wait below */
    write_clip(video, NULL, 300, 64, 48);
    const char *a[] = {"upscale",    "--model", "ABPN", "--weights", weights,
                       "--progress", "always",  video,  out,         NULL};
    pid_t pid = vsr_test_vsrbench_start(a, t->out, t->err, NULL, 0);
    char buf[8192];
    int seen = 0;
    for (int i = 0; i < 60000 && !seen; i++) { /* up to ~10 minutes of 10 ms polls */
        slurp(t->err, buf, sizeof(buf));
        seen = strstr(buf, "frame 2/") != NULL;
        if (!seen) {
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    assert_true(seen);
    assert_int_equal(kill(pid, SIGINT), 0);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 130);
    slurp(t->err, buf, sizeof(buf));
    const char *msg = strstr(buf, "vsrbench upscale: interrupted after ");
    if (!msg)
        fail_msg("stderr lacks the interrupted line: '%s'", buf);
    assert_non_null(strstr(msg, "sr.mp4 not written\n"));
    int newlines = 0;
    for (const char *c = buf; *c; c++)
        newlines += *c == '\n';
    assert_int_equal(newlines, 1);
    assert_int_equal(access(out, F_OK), -1);
    DIR *d = opendir(t->dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".tmp-"))
            fail_msg("temporary file left behind: %s", e->d_name);
    closedir(d);
}

/* Issue 14 item 5: upscale --weights INT8.tflite (no --calibration) keeps
 * the file's quantization: its PNG equals, byte for byte, the library's
 * output from the same file imported with use_quant (the path of
 * tests/models/test_models_real.c test_abpn_int8_tflite_set5) on the first
 * Set5 LR image; --calibration minmax gives another image. */
static void test_int8_tflite_file(void **state)
{
    struct vsr_cli_tmp *t = *state;
    char tfl[1024], lr_png[1024];
    VSR_SKIP_WITHOUT_SHARED(tfl, "data/weights/abpn_x3/base7_D4C28_bs16ps64_lr1e-3_qat.tflite");
    VSR_SKIP_WITHOUT_SHARED(lr_png, "data/sisr/Set5/x4/img_001_SRF_4_LR.png");
    vsr_error err = {0};
    vsr_frame lr = {0};
    char p[600], out_file[400], out_mm[400];
    if (vsr_image_read(lr_png, 3, &lr, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(mkdir(t->in, 0755), 0);
    snprintf(p, sizeof(p), "%s/lr.png", t->in);
    if (vsr_image_write_png(p, &lr, &err))
        fail_msg("%s", err.msg);
    snprintf(out_file, sizeof(out_file), "%s/sr_file", t->dir);
    snprintf(out_mm, sizeof(out_mm), "%s/sr_minmax", t->dir);
    const char *a[] = {"upscale",     "--model", "ABPN_x3", "--weights", tfl,
                       "--precision", "int8",    t->in,     out_file,    NULL};
    assert_int_equal(vsrbench(t, a), 0);
    char line[2048];
    lines(t->out, line, sizeof(line));
    assert_non_null(strstr(line, "(int8, calibration file)"));
    const char *b[] = {"upscale", "--model",     "ABPN_x3", "--weights",
                       tfl,       "--precision", "int8",    "--calibration",
                       "minmax",  t->in,         out_mm,    NULL};
    assert_int_equal(vsrbench(t, b), 0);

    /* the library: the file's own graph and parameters */
    const vsr_models_entry *ent = vsr_models_zoo_find("ABPN_x3");
    vsr_models_tflite m;
    assert_int_equal(vsr_models_tflite_read(tfl, &m, &err), 0);
    vsr_models_tflite_import opt = {lr.height, lr.width, 1};
    vsr_graph *g = NULL;
    vsr_engine *e = NULL;
    vsr_models_step st;
    vsr_models_runner *r = NULL;
    vsr_frame want = {0}, got = {0}, mm = {0};
    if (vsr_models_import_tflite(&m, "ABPN_x3_qat", &opt, &g, &err) ||
        vsr_engine_create(g, VSR_PREC_INT8, NULL, NULL, &e, &err) ||
        vsr_models_engine_step(e, ent->in_channels, ent->state_channels, &st, &err) ||
        vsr_models_runner_create(ent->temporal, 3, &st, &r, &err) ||
        vsr_frame_alloc(&want, lr.width * 3, lr.height * 3, 3, &err) ||
        vsr_models_run_clip(r, &lr, 1, &want, &err))
        fail_msg("%s", err.msg);
    snprintf(p, sizeof(p), "%s/00000000.png", out_file);
    if (vsr_image_read(p, 3, &got, &err))
        fail_msg("%s", err.msg);
    assert_true(frames_equal(&got, &want));
    snprintf(p, sizeof(p), "%s/00000000.png", out_mm);
    if (vsr_image_read(p, 3, &mm, &err))
        fail_msg("%s", err.msg);
    assert_false(frames_equal(&mm, &want));
    vsr_models_runner_free(&r);
    vsr_models_engine_step_free(&st);
    vsr_engine_free(&e);
    vsr_graph_free(&g);
    vsr_models_tflite_free(&m);
    vsr_frame_free(&lr);
    vsr_frame_free(&want);
    vsr_frame_free(&got);
    vsr_frame_free(&mm);
}

/* Issue 17: --requant tflite on the ABPN x3 PTQ and QAT files (their own
 * quantization) gives TFLite's integer arithmetic bit for bit on a 48x48 crop
 * (y, x = 40) of Set5 img_001 LR: the expected PNGs were computed by the
 * independent numpy reference tests/reference/tflite_int/ref.py (its README
 * has the command), not by vsrbench. Whole frame, tiled with two threads, and
 * the default float mode (which differs: 33% / 19% of the bytes). */
static void test_int8_tflite_requant(void **state)
{
    struct vsr_cli_tmp *t = *state;
    static const char *const files[2][2] = {
        {"data/weights/abpn_x3/base7_D4C28_bs16ps64_lr1e-3.tflite",
         "tflite_int/abpn_x3_ptq_set5_001_crop.png"},
        {"data/weights/abpn_x3/base7_D4C28_bs16ps64_lr1e-3_qat.tflite",
         "tflite_int/abpn_x3_qat_set5_001_crop.png"},
    };
    char tfl[2][1024], lr_png[1024], ref[1024], p[600], out[400];
    for (int k = 0; k < 2; k++)
        VSR_SKIP_WITHOUT_SHARED(tfl[k], files[k][0]);
    VSR_SKIP_WITHOUT_SHARED(lr_png, "data/sisr/Set5/x4/img_001_SRF_4_LR.png");
    vsr_error err = {0};
    vsr_frame lr = {0}, crop = {0};
    if (vsr_image_read(lr_png, 3, &lr, &err) || vsr_frame_alloc(&crop, 48, 48, 3, &err))
        fail_msg("%s", err.msg);
    for (int y = 0; y < 48; y++)
        memcpy(vsr_frame_row(&crop, y), vsr_frame_row(&lr, 40 + y) + 3 * 40, 48 * 3);
    assert_int_equal(mkdir(t->in, 0755), 0);
    snprintf(p, sizeof(p), "%s/lr.png", t->in);
    if (vsr_image_write_png(p, &crop, &err))
        fail_msg("%s", err.msg);
    for (int k = 0; k < 2; k++) {
        vsr_frame want = {0};
        if (vsr_image_read(vsr_test_ref(ref, sizeof(ref), files[k][1]), 3, &want, &err))
            fail_msg("%s", err.msg);
        static const char *const tag[3] = {"tfl", "tiled", "float"};
        for (int r = 0; r < 3; r++) {
            snprintf(out, sizeof(out), "%s/sr%d_%s", t->dir, k, tag[r]);
            const char *a[] = {"upscale",
                               "--model",
                               "ABPN_x3",
                               "--weights",
                               tfl[k],
                               "--precision",
                               "int8",
                               "--requant",
                               r == 2 ? "float" : "tflite",
                               "--threads",
                               r == 1 ? "2" : "1",
                               "--tile",
                               r == 1 ? "16" : "0",
                               t->in,
                               out,
                               NULL};
            assert_int_equal(vsrbench(t, a), 0);
            vsr_frame got = {0};
            snprintf(p, sizeof(p), "%s/00000000.png", out);
            if (vsr_image_read(p, 3, &got, &err))
                fail_msg("%s", err.msg);
            if (r < 2)
                assert_true(frames_equal(&got, &want));
            else
                assert_false(frames_equal(&got, &want));
            vsr_frame_free(&got);
        }
        char line[2048];
        lines(t->out, line, sizeof(line));
        assert_null(strstr(line, "requant tflite")); /* the last run: float */
        vsr_frame_free(&want);
    }
    /* --requant without int8, and a bad value: usage errors */
    const char *bad1[] = {"upscale",   "--model", "ABPN_x3", "--weights", tfl[0],
                          "--requant", "tflite",  t->in,     out,         NULL};
    assert_int_equal(vsrbench(t, bad1), 2);
    const char *bad2[] = {"upscale", "--model",   "ABPN_x3", "--weights", tfl[0], "--precision",
                          "int8",    "--requant", "exact",   t->in,       out,    NULL};
    assert_int_equal(vsrbench(t, bad2), 2);
    vsr_frame_free(&lr);
    vsr_frame_free(&crop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bicubic_folder, vsr_cli_tmp_setup,
                                        vsr_cli_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_bad_input, vsr_cli_tmp_setup,
                                        vsr_cli_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_refuses_to_destroy_input, vsr_cli_tmp_setup,
                                        vsr_cli_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_int8_video, vsr_cli_tmp_setup,
                                        vsr_cli_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_mp4_playable, vsr_cli_tmp_setup,
                                        vsr_cli_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_sigint, vsr_cli_tmp_setup, vsr_cli_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_int8_tflite_file, vsr_cli_tmp_setup,
                                        vsr_cli_tmp_teardown),
        cmocka_unit_test_setup_teardown(test_int8_tflite_requant, vsr_cli_tmp_setup,
                                        vsr_cli_tmp_teardown),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
