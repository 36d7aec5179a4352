/*
 * The embedded "demo" dataset, built deterministically from the sample
 * imagery of the Debian package opencv-doc.
 *
 * Clips come from two kinds of source:
 *  - video: a fixed 480x272 crop of consecutive decoded frames (real motion);
 *  - photo: a virtual camera panning at constant velocity over the photo.
 *    Frame t samples the photo at source position
 *        (x0 + vx*t + (x + 0.5)*z - 0.5,  y0 + vy*t + (y + 0.5)*z - 0.5)
 *    for GT pixel (x, y), i.e. a zoom-out by z (z >= 1 source pixels per
 *    GT pixel) and a motion of (vx/z, vy/z) GT pixels per frame, sub-pixel
 *    in general. Resampling: separable Lanczos-3 (a = 3), stretched by z
 *    when z > 1 (antialiasing), weights normalised to 1, edge pixels
 *    replicated, computed in double, rounded half away from zero, clipped.
 * LR = BI degradation of GT (MATLAB bicubic x1/4). Everything is computed
 * from the decoded pixels with bit-exact FFmpeg decoding, so the pixels are
 * the same on every machine.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datasets_internal.h"
#include "vsr/datasets.h"

/* Bump when the generator changes, so old caches are rebuilt. */
#define DEMO_VERSION "vsrbench-demo-1"

struct demo_clip {
    const char *name;
    const char *file; /* under VSR_DEMO_SOURCE_DIR */
    int video;        /* 1 video crop, 0 photo pan */
    int start;        /* video: first frame */
    double x0, y0;    /* video: crop origin; photo: pan origin (source px) */
    double z;         /* photo: source px per GT px */
    double vx, vy;    /* photo: source px per frame */
};

static const struct demo_clip eval_clips[] = {
    {"vtest", "vtest.avi", 1, 300, 144, 100, 1, 0, 0},
    {"building_pan", "building.jpg", 0, 0, 40, 60, 1.5, 2.625, 0.75},
    {"fruits_pan", "fruits.jpg", 0, 0, 8, 100, 1.0, 1.25, -0.75},
};

static const struct demo_clip train_clips[] = {
    {"megamind_a", "Megamind.avi", 1, 40, 120, 128, 1, 0, 0},
    {"megamind_b", "Megamind.avi", 1, 180, 200, 200, 1, 0, 0},
    {"starry_night_pan", "starry_night.jpg", 0, 0, 10, 100, 1.5, 2.25, 1.5},
    {"baboon_pan", "baboon.jpg", 0, 0, 10, 100, 1.0, 1.5, 1.0},
    {"aero1_pan", "aero1.jpg", 0, 0, 10, 60, 1.25, 2.5, -1.0},
    {"stuff_pan", "stuff.jpg", 0, 0, 20, 100, 1.25, -2.0, 0.5},
    {"leuvenA_pan", "leuvenA.jpg", 0, 0, 10, 80, 1.5, 2.0, 0.0},
    {"home_pan", "home.jpg", 0, 0, 16, 50, 1.0, -1.75, 1.25},
};

int vsr_demo_clip_count(void)
{
    return (int)(sizeof(eval_clips) / sizeof(eval_clips[0]));
}

const char *vsr_demo_clip_name(int i)
{
    return i >= 0 && i < vsr_demo_clip_count() ? eval_clips[i].name : NULL;
}

int vsr_demo_default_dir(char *buf, size_t cap, vsr_error *err)
{
    const char *env = getenv("VSR_DATA_DIR");
    const char *d = env && env[0] ? env : "./.cache/vsrbench";
    if ((size_t)snprintf(buf, cap, "%s", d) >= cap)
        return vsr_error_set(err, -ENAMETOOLONG, "data dir %s: path too long", d);
    return 0;
}

/* ---- Lanczos-3 resampling ------------------------------------------- */

static double lanczos3(double x)
{
    if (x == 0.0)
        return 1.0;
    if (fabs(x) >= 3.0)
        return 0.0;
    double px = 3.14159265358979323846 * x;
    return 3.0 * sin(px) * sin(px / 3.0) / (px * px);
}

/* Taps for n outputs at source positions start + (i + 0.5) z - 0.5. */
static int lanczos_taps(int n, double start, double z, int src_len, int *ntaps, int **idx,
                        double **w)
{
    double stretch = z > 1.0 ? z : 1.0, radius = 3.0 * stretch;
    int nt = (int)ceil(2.0 * radius) + 1;
    *idx = malloc(sizeof(int) * (size_t)n * (size_t)nt);
    *w = malloc(sizeof(double) * (size_t)n * (size_t)nt);
    if (!*idx || !*w)
        return -ENOMEM;
    for (int i = 0; i < n; i++) {
        double u = start + (i + 0.5) * z - 0.5;
        int left = (int)floor(u - radius) + 1;
        double sum = 0.0;
        for (int t = 0; t < nt; t++) {
            int p = left + t;
            double wt = lanczos3((u - p) / stretch);
            (*w)[(size_t)i * nt + t] = wt;
            sum += wt;
            (*idx)[(size_t)i * nt + t] = p < 0 ? 0 : p >= src_len ? src_len - 1 : p;
        }
        for (int t = 0; t < nt; t++)
            (*w)[(size_t)i * nt + t] /= sum;
    }
    *ntaps = nt;
    return 0;
}

static int pan_frame(const vsr_frame *src, double sx, double sy, double z, vsr_frame *out,
                     vsr_error *err)
{
    const int W = VSR_DEMO_GT_WIDTH, H = VSR_DEMO_GT_HEIGHT, c = src->channels;
    int *ix = NULL, *iy = NULL, ntx = 0, nty = 0, rc = 0;
    double *wx = NULL, *wy = NULL, *tmp = NULL;
    if (lanczos_taps(W, sx, z, src->width, &ntx, &ix, &wx) < 0 ||
        lanczos_taps(H, sy, z, src->height, &nty, &iy, &wy) < 0 ||
        !(tmp = malloc(sizeof(double) * (size_t)H * (size_t)src->width * (size_t)c))) {
        rc = vsr_error_set(err, -ENOMEM, "demo: out of memory");
        goto done;
    }
    const size_t row = (size_t)src->width * c;
    for (int y = 0; y < H; y++) {
        double *d = tmp + (size_t)y * row;
        for (size_t x = 0; x < row; x++)
            d[x] = 0.0;
        for (int t = 0; t < nty; t++) {
            const uint8_t *s = vsr_frame_row(src, iy[(size_t)y * nty + t]);
            double wt = wy[(size_t)y * nty + t];
            for (size_t x = 0; x < row; x++)
                d[x] += wt * s[x];
        }
    }
    if ((rc = vsr_frame_alloc(out, W, H, c, err)) < 0)
        goto done;
    for (int y = 0; y < H; y++) {
        const double *s = tmp + (size_t)y * row;
        uint8_t *d = vsr_frame_row(out, y);
        for (int x = 0; x < W; x++)
            for (int k = 0; k < c; k++) {
                double acc = 0.0;
                for (int t = 0; t < ntx; t++)
                    acc += wx[(size_t)x * ntx + t] * s[(size_t)ix[(size_t)x * ntx + t] * c + k];
                double r = floor(acc + 0.5);
                d[(size_t)x * c + k] = r <= 0.0 ? 0 : r >= 255.0 ? 255 : (uint8_t)r;
            }
    }
done:
    free(ix);
    free(iy);
    free(wx);
    free(wy);
    free(tmp);
    return rc;
}

/* ---- building ------------------------------------------------------- */

struct manifest {
    FILE *fp;
    const char *root; /* the temp build dir, for relative paths */
    int no_gt;        /* 1: write the LR side only */
};

static int write_pair(struct manifest *m, const char *clip, int t, const vsr_frame *gt,
                      vsr_error *err)
{
    char rel[512], p[4096], hex[65];
    vsr_frame lr = {0};
    int rc = vsr_degrade_bi(gt, 4, &lr, err);
    for (int side = m->no_gt; side < 2 && rc == 0; side++) {
        snprintf(rel, sizeof(rel), "%s/%s/%08d.png", side ? "BIx4" : "GT", clip, t);
        if ((rc = vsr_path_join(p, sizeof(p), m->root, rel, err)) < 0 ||
            (rc = vsr_image_write_png(p, side ? &lr : gt, err)) < 0 ||
            (rc = vsr_sha256_file(p, hex, err)) < 0)
            break;
        fprintf(m->fp, "file\t%s\t%s\n", rel, hex);
    }
    vsr_frame_free(&lr);
    return rc;
}

static int build_clip(struct manifest *m, const struct demo_clip *c, vsr_error *err)
{
    char src[4096], p[4096];
    int rc = vsr_path_join(src, sizeof(src), VSR_DEMO_SOURCE_DIR, c->file, err);
    if (rc < 0)
        return rc;
    if (access(src, R_OK) != 0)
        return vsr_error_set(err, -ENOENT,
                             "%s: missing; install the Debian package opencv-doc "
                             "(apt-get install opencv-doc)",
                             src);
    for (int side = m->no_gt; side < 2; side++) {
        int n = snprintf(p, sizeof(p), "%s/%s/%s", m->root, side ? "BIx4" : "GT", c->name);
        if (n < 0 || (size_t)n >= sizeof(p))
            return vsr_error_set(err, -ENAMETOOLONG, "%s: demo path too long", m->root);
        if ((rc = vsr_mkdir_p(p, err)) < 0)
            return rc;
    }
    const int W = VSR_DEMO_GT_WIDTH, H = VSR_DEMO_GT_HEIGHT, N = VSR_DEMO_FRAMES;
    vsr_frame f = {0}, out = {0};
    vsr_source *s = NULL;
    if (c->video) {
        if ((rc = vsr_source_open_video(src, 3, &s, err)) < 0 ||
            (rc = vsr_source_seek(s, c->start, err)) < 0)
            goto done;
        for (int t = 0; t < N; t++) {
            rc = vsr_source_read(s, &f, err);
            if (rc == 0)
                rc = vsr_error_set(err, -EINVAL, "%s: ends before frame %d", src, c->start + t);
            if (rc < 0)
                goto done;
            vsr_frame v;
            if ((rc = vsr_frame_view(&v, &f, (int)c->x0, (int)c->y0, W, H, err)) < 0 ||
                (rc = vsr_frame_copy(&out, &v, err)) < 0 ||
                (rc = write_pair(m, c->name, t, &out, err)) < 0)
                goto done;
            vsr_frame_free(&out);
        }
        fprintf(m->fp,
                "clip\t%s\topencv-doc\t%s\tframes=%d\tgt=%dx%d\tlr=%dx%d\tmotion=video frames "
                "%d..%d, crop at (%d,%d)\n",
                c->name, src, N, W, H, W / 4, H / 4, c->start, c->start + N - 1, (int)c->x0,
                (int)c->y0);
    } else {
        if ((rc = vsr_image_read(src, 3, &f, err)) < 0)
            goto done;
        for (int t = 0; t < N; t++) {
            if ((rc = pan_frame(&f, c->x0 + c->vx * t, c->y0 + c->vy * t, c->z, &out, err)) <
                    0 ||
                (rc = write_pair(m, c->name, t, &out, err)) < 0)
                goto done;
            vsr_frame_free(&out);
        }
        fprintf(m->fp,
                "clip\t%s\topencv-doc\t%s\tframes=%d\tgt=%dx%d\tlr=%dx%d\tmotion=constant pan "
                "(%.4g,%.4g) GT px/frame from (%.4g,%.4g), zoom %.4g src px/GT px, Lanczos-3\n",
                c->name, src, N, W, H, W / 4, H / 4, c->vx / c->z, c->vy / c->z, c->x0, c->y0,
                c->z);
    }
done:
    vsr_frame_free(&f);
    vsr_frame_free(&out);
    vsr_source_close(&s);
    return rc;
}

/* 1 when <final>/MANIFEST.tsv has our version and every file matches. */
static int manifest_ok(const char *final)
{
    char p[4096], line[1024], hex[65];
    if (vsr_path_join(p, sizeof(p), final, "MANIFEST.tsv", NULL) < 0)
        return 0;
    FILE *fp = fopen(p, "r");
    if (!fp)
        return 0;
    int ok = 0, files = 0;
    if (!fgets(line, sizeof(line), fp) || strcmp(line, "version\t" DEMO_VERSION "\n") != 0)
        goto done;
    ok = 1;
    while (ok && fgets(line, sizeof(line), fp)) {
        if (strncmp(line, "file\t", 5) != 0)
            continue;
        char *rel = line + 5, *tab = strchr(rel, '\t');
        if (!tab) {
            ok = 0;
            break;
        }
        *tab = '\0';
        char *want = tab + 1;
        want[strcspn(want, "\n")] = '\0';
        char fp2[4096];
        if (vsr_path_join(fp2, sizeof(fp2), final, rel, NULL) < 0 ||
            vsr_sha256_file(fp2, hex, NULL) < 0 || strcmp(hex, want) != 0)
            ok = 0;
        files++;
    }
    if (files == 0)
        ok = 0;
done:
    fclose(fp);
    return ok;
}

static int build_set(const char *dir, const char *sub, const struct demo_clip *clips, int n,
                     int no_gt, vsr_error *err)
{
    char final[4096], tmp[4200], p[4300];
    int rc = vsr_path_join(final, sizeof(final), dir, sub, err);
    if (rc < 0)
        return rc;
    if (manifest_ok(final)) {
        vsr_log(VSR_LOG_INFO, "%s: up to date (manifest matches)", final);
        return 0;
    }
    if ((rc = vsr_mkdir_p(dir, err)) < 0)
        return rc;
    snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", final);
    if (!mkdtemp(tmp)) {
        int e = errno;
        return vsr_error_set(err, -e, "%s: cannot create a temporary folder: %s", tmp,
                             strerror(e));
    }
    snprintf(p, sizeof(p), "%s/MANIFEST.tsv", tmp);
    struct manifest m = {fopen(p, "w"), tmp, no_gt};
    if (!m.fp) {
        int e = errno;
        rc = vsr_error_set(err, -e, "%s: cannot create: %s", p, strerror(e));
        goto fail;
    }
    fprintf(m.fp, "version\t" DEMO_VERSION "\n");
    if (no_gt)
        fprintf(m.fp,
                "# vsrbench %s dataset: LR frames only (no GT), Vid4 layout"
                " BIx4/<clip>/%%08d.png, the same pixels as the demo's BIx4. Sources: Debian"
                " package opencv-doc.\n",
                sub);
    else
        fprintf(m.fp,
                "# vsrbench %s dataset: Vid4 layout GT/<clip>/%%08d.png, BIx4/<clip>/%%08d.png"
                " (MATLAB bicubic x1/4 of GT). Sources: Debian package opencv-doc.\n",
                sub);
    for (int i = 0; i < n; i++) {
        vsr_log(VSR_LOG_INFO, "%s: building clip %s from %s", final, clips[i].name,
                clips[i].file);
        if ((rc = build_clip(&m, &clips[i], err)) < 0)
            goto fail;
    }
    if (fclose(m.fp) != 0) {
        m.fp = NULL;
        rc = vsr_error_set(err, -EIO, "%s: write failed", p);
        goto fail;
    }
    m.fp = NULL;
    vsr_rm_rf(final);
    if ((rc = vsr_atomic_rename(tmp, final, err)) < 0) /* a folder: the whole set at once */
        goto fail;
    return 0;
fail:
    if (m.fp)
        fclose(m.fp);
    vsr_rm_rf(tmp);
    return rc;
}

int vsr_demo_build(const char *dir, vsr_error *err)
{
    return build_set(dir, VSR_DEMO_SUBDIR, eval_clips, vsr_demo_clip_count(), 0, err);
}

int vsr_demo_build_no_gt(const char *dir, vsr_error *err)
{
    return build_set(dir, VSR_DEMO_NOGT_SUBDIR, eval_clips, vsr_demo_clip_count(), 1, err);
}

int vsr_demo_build_train(const char *dir, vsr_error *err)
{
    return build_set(dir, VSR_DEMO_TRAIN_SUBDIR, train_clips,
                     (int)(sizeof(train_clips) / sizeof(train_clips[0])), 0, err);
}
