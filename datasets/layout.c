/*
 * Dataset layouts: REDS, Vid4, a pair of folders, a single video file, an
 * image set (one one-frame clip per image, BasicSR's PairedImageDataset).
 * Opening checks every clip (folders exist, frame counts, the first GT/LR
 * sizes); loading reads the frames and makes a missing LR side on the fly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <dirent.h>
#include <sys/stat.h>

#include "datasets_internal.h"
#include "vsr/datasets.h"

struct ds_clip {
    char *name;
    char *gt;     /* folder or video file; NULL: no GT (lr_only) */
    char *lr;     /* folder (images: file), or NULL: made on the fly */
    int channels; /* GT channels (images: 1 for a gray file) */
    int frames;
    int gt_w, gt_h; /* after modcrop */
    int lr_w, lr_h;
};

struct vsr_dataset {
    enum vsr_dataset_type type;
    enum vsr_degradation deg;
    int scale;
    int n;
    struct ds_clip *clips;
};

static const char *const reds4[] = {"000", "011", "015", "020"};

const char *vsr_dataset_type_name(enum vsr_dataset_type t)
{
    switch (t) {
    case VSR_DATASET_REDS:
        return "reds";
    case VSR_DATASET_VID4:
        return "vid4";
    case VSR_DATASET_PAIR:
        return "pair";
    case VSR_DATASET_VIDEO:
        return "video";
    case VSR_DATASET_IMAGES:
        return "images";
    }
    return "?";
}

int vsr_dataset_type_parse(const char *s, enum vsr_dataset_type *out, vsr_error *err)
{
    for (int t = VSR_DATASET_REDS; t <= VSR_DATASET_IMAGES; t++)
        if (s && !strcasecmp(s, vsr_dataset_type_name((enum vsr_dataset_type)t))) {
            *out = (enum vsr_dataset_type)t;
            return 0;
        }
    return vsr_error_set(err, -EINVAL,
                         "dataset type '%s' is unknown; use reds, vid4, pair, video or images",
                         s ? s : "(null)");
}

void vsr_dataset_close(vsr_dataset **pds)
{
    if (!pds || !*pds)
        return;
    vsr_dataset *ds = *pds;
    for (int i = 0; i < ds->n; i++) {
        free(ds->clips[i].name);
        free(ds->clips[i].gt);
        free(ds->clips[i].lr);
    }
    free(ds->clips);
    free(ds);
    *pds = NULL;
}

static char *join_dup(const char *a, const char *b, vsr_error *err)
{
    char buf[4096];
    if (vsr_path_join(buf, sizeof(buf), a, b, err) < 0)
        return NULL;
    char *s = strdup(buf);
    if (!s)
        vsr_error_set(err, -ENOMEM, "out of memory");
    return s;
}

static int add_clip(vsr_dataset *ds, int *cap, const char *name, vsr_error *err)
{
    if (ds->n == *cap) {
        int nc = *cap ? 2 * *cap : 8;
        struct ds_clip *c = realloc(ds->clips, sizeof(*c) * (size_t)nc);
        if (!c)
            return vsr_error_set(err, -ENOMEM, "out of memory");
        ds->clips = c;
        *cap = nc;
    }
    memset(&ds->clips[ds->n], 0, sizeof(ds->clips[0]));
    if (!(ds->clips[ds->n].name = strdup(name)))
        return vsr_error_set(err, -ENOMEM, "out of memory");
    ds->n++;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sub-folders of @p dir (sorted) as clips. */
static int list_subdirs(vsr_dataset *ds, int *cap, const char *dir, vsr_error *err)
{
    int d = vsr_is_dir(dir);
    if (d == 0)
        return vsr_error_set(err, -ENOENT, "%s: no such folder", dir);
    if (d < 0)
        return vsr_error_set(err, -ENOTDIR, "%s: not a folder", dir);
    DIR *dp = opendir(dir);
    if (!dp) {
        int e = errno;
        return vsr_error_set(err, -e, "%s: cannot open folder: %s", dir, strerror(e));
    }
    char **names = NULL;
    int n = 0, ncap = 0, rc = 0;
    struct dirent *de;
    while ((de = readdir(dp))) {
        if (de->d_name[0] == '.')
            continue;
        char p[4096];
        if (vsr_path_join(p, sizeof(p), dir, de->d_name, NULL) < 0 || vsr_is_dir(p) != 1)
            continue;
        if (n == ncap) {
            ncap = ncap ? 2 * ncap : 16;
            char **nn = realloc(names, sizeof(char *) * (size_t)ncap);
            if (!nn) {
                rc = vsr_error_set(err, -ENOMEM, "out of memory");
                goto done;
            }
            names = nn;
        }
        if (!(names[n] = strdup(de->d_name))) {
            rc = vsr_error_set(err, -ENOMEM, "out of memory");
            goto done;
        }
        n++;
    }
    if (n == 0) {
        rc = vsr_error_set(err, -ENODATA, "%s: no clip folders in it", dir);
        goto done;
    }
    qsort(names, (size_t)n, sizeof(char *), cmp_str);
    for (int i = 0; i < n && rc == 0; i++)
        rc = add_clip(ds, cap, names[i], err);
done:
    closedir(dp);
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s && s[1] ? s + 1 : p;
}

/* Open both sides of a clip and check counts and sizes. */
static int check_clip(vsr_dataset *ds, struct ds_clip *c, int max_frames, vsr_error *err)
{
    vsr_source *g = NULL, *l = NULL;
    if (!c->gt) { /* LR frames only: sizes and count from the LR side */
        int rc = vsr_source_open_folder(c->lr, 3, &l, err);
        if (rc < 0)
            return rc;
        c->lr_w = vsr_source_width(l);
        c->lr_h = vsr_source_height(l);
        c->gt_w = c->lr_w * ds->scale;
        c->gt_h = c->lr_h * ds->scale;
        c->frames = vsr_source_frame_count(l);
        if (c->frames <= 0)
            rc = vsr_error_set(err, -EINVAL, "%s: cannot tell the number of frames", c->lr);
        if (max_frames > 0 && c->frames > max_frames)
            c->frames = max_frames;
        vsr_source_close(&l);
        return rc;
    }
    int rc = ds->type == VSR_DATASET_VIDEO ? vsr_source_open_video(c->gt, 3, &g, err)
                                           : vsr_source_open_folder(c->gt, 3, &g, err);
    if (rc < 0)
        goto done;
    int gw = vsr_source_width(g) / ds->scale * ds->scale;
    int gh = vsr_source_height(g) / ds->scale * ds->scale;
    if (gw <= 0 || gh <= 0) {
        rc = vsr_error_set(err, -EINVAL, "%s: frames are %dx%d, smaller than the scale %d",
                           c->gt, vsr_source_width(g), vsr_source_height(g), ds->scale);
        goto done;
    }
    c->frames = vsr_source_frame_count(g);
    if (c->frames <= 0) {
        rc = vsr_error_set(err, -EINVAL, "%s: cannot tell the number of frames", c->gt);
        goto done;
    }
    c->gt_w = gw;
    c->gt_h = gh;
    c->lr_w = gw / ds->scale;
    c->lr_h = gh / ds->scale;
    if (c->lr) {
        if ((rc = vsr_source_open_folder(c->lr, 3, &l, err)) < 0)
            goto done;
        const char *gn = vsr_source_frame_name(g, 0), *ln = vsr_source_frame_name(l, 0);
        if (vsr_source_width(l) * ds->scale != gw || vsr_source_height(l) * ds->scale != gh) {
            rc = vsr_error_set(err, -EINVAL,
                               "%s/%s is %dx%d (modcrop %dx%d) but LR %s/%s is %dx%d: not x%d "
                               "apart",
                               c->gt, gn ? gn : "", vsr_source_width(g), vsr_source_height(g),
                               gw, gh, c->lr, ln ? ln : "", vsr_source_width(l),
                               vsr_source_height(l), ds->scale);
            goto done;
        }
        if (vsr_source_frame_count(l) != c->frames) {
            rc = vsr_error_set(err, -EINVAL, "%s has %d frames but LR %s has %d", c->gt,
                               c->frames, c->lr, vsr_source_frame_count(l));
            goto done;
        }
    }
    if (max_frames > 0 && c->frames > max_frames)
        c->frames = max_frames;
done:
    vsr_source_close(&g);
    vsr_source_close(&l);
    return rc;
}

/* ---- images: one one-frame clip per image file --------------------------- */

/* The stem of @p name (without its extension) into @p buf. */
static void stem_of(const char *name, char *buf, size_t cap)
{
    const char *dot = strrchr(name, '.');
    size_t n = dot && dot != name ? (size_t)(dot - name) : strlen(name);
    snprintf(buf, cap, "%.*s", (int)n, name);
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

static int same_folder(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

struct img_rule {
    const char *gs, *ls; /* gt_suffix, lq_suffix ("" when unset) */
    int same;            /* GT and LR are one folder */
};

static int is_gt_stem(const struct img_rule *r, const char *stem)
{
    if (!ends_with(stem, r->gs) || strlen(stem) == strlen(r->gs))
        return 0;
    /* one folder without gt_suffix: the LR files are those with lq_suffix */
    return !(r->same && !r->gs[0] && ends_with(stem, r->ls));
}

static int is_lr_stem(const struct img_rule *r, const char *stem)
{
    return ends_with(stem, r->ls) && !(r->same && is_gt_stem(r, stem));
}

static int listed(const vsr_dataset_spec *spec, const char *name)
{
    for (int i = 0; i < spec->n_clips; i++)
        if (!strcmp(spec->clips[i], name))
            return 1;
    return 0;
}

/* Pair the LR files of spec->lq with the clips (BasicSR: every GT has its
 * LR, and the counts agree unless clips picks images). */
static int pair_images(vsr_dataset *ds, const vsr_dataset_spec *spec, const struct img_rule *r,
                       vsr_error *err)
{
    vsr_source *l = NULL;
    char *used = NULL;
    int rc = vsr_source_open_folder(spec->lq, 0, &l, err);
    if (rc < 0)
        return rc;
    const int nl = vsr_source_frame_count(l);
    if (!(used = calloc((size_t)nl, 1))) {
        rc = vsr_error_set(err, -ENOMEM, "out of memory");
        goto done;
    }
    for (int i = 0; i < ds->n; i++) {
        struct ds_clip *c = &ds->clips[i];
        char want[1024], stem[1024];
        snprintf(want, sizeof(want), "%s%s", c->name, r->ls);
        for (int j = 0; j < nl && !c->lr; j++) {
            stem_of(vsr_source_frame_name(l, j), stem, sizeof(stem));
            if (used[j] || strcmp(stem, want) || !is_lr_stem(r, stem))
                continue;
            used[j] = 1;
            if (!(c->lr = join_dup(spec->lq, vsr_source_frame_name(l, j), err))) {
                rc = err ? err->code : -ENOMEM;
                goto done;
            }
        }
        if (!c->lr) {
            rc = vsr_error_set(err, -ENOENT,
                               "%s: no LR image %s.png (or .jpg, ...) for the GT %s; check "
                               "dataroot_lq and lq_suffix",
                               spec->lq, want, c->gt);
            goto done;
        }
    }
    for (int j = 0; j < nl && !(spec->clips && spec->n_clips > 0); j++) {
        char stem[1024];
        stem_of(vsr_source_frame_name(l, j), stem, sizeof(stem));
        if (!used[j] && is_lr_stem(r, stem)) {
            rc = vsr_error_set(err, -EINVAL,
                               "%s/%s has no GT image in %s; check dataroot_gt and gt_suffix "
                               "(or pick images with clips)",
                               spec->lq, vsr_source_frame_name(l, j), spec->gt);
            goto done;
        }
    }
done:
    free(used);
    vsr_source_close(&l);
    return rc;
}

static int open_images(vsr_dataset *ds, int *cap, const vsr_dataset_spec *spec, vsr_error *err)
{
    struct img_rule r = {spec->gt_suffix ? spec->gt_suffix : "",
                         spec->lq_suffix ? spec->lq_suffix : "", 0};
    if (!spec->gt)
        return vsr_error_set(err, -EINVAL, "images dataset: no GT folder given (dataroot_gt)");
    if (!spec->lq && r.ls[0])
        return vsr_error_set(err, -EINVAL,
                             "images dataset: lq_suffix '%s' is set but no LR folder "
                             "(dataroot_lq; it may be the GT folder)",
                             r.ls);
    r.same = spec->lq && same_folder(spec->gt, spec->lq);
    if (r.same && !strcmp(r.gs, r.ls))
        return vsr_error_set(err, -EINVAL,
                             "%s is both the GT and the LR folder: set gt_suffix and "
                             "lq_suffix (e.g. _HR and _LR) to tell the files apart",
                             spec->gt);
    vsr_source *g = NULL;
    int rc = vsr_source_open_folder(spec->gt, 0, &g, err);
    if (rc < 0)
        return rc;
    for (int i = 0; i < vsr_source_frame_count(g) && rc == 0; i++) {
        const char *file = vsr_source_frame_name(g, i);
        char stem[1024];
        stem_of(file, stem, sizeof(stem));
        if (!is_gt_stem(&r, stem))
            continue;
        stem[strlen(stem) - strlen(r.gs)] = '\0';
        if (spec->clips && spec->n_clips > 0 && !listed(spec, stem))
            continue;
        for (int k = 0; k < ds->n; k++)
            if (!strcmp(ds->clips[k].name, stem)) {
                rc = vsr_error_set(err, -EINVAL,
                                   "%s: %s and %s are both image %s; keep one of them",
                                   spec->gt, base_name(ds->clips[k].gt), file, stem);
                goto done;
            }
        if ((rc = add_clip(ds, cap, stem, err)) < 0)
            goto done;
        if (!(ds->clips[ds->n - 1].gt = join_dup(spec->gt, file, err)))
            rc = err ? err->code : -ENOMEM;
    }
    if (rc < 0)
        goto done;
    for (int i = 0; spec->clips && i < spec->n_clips; i++) {
        int found = 0;
        for (int k = 0; k < ds->n && !found; k++)
            found = !strcmp(ds->clips[k].name, spec->clips[i]);
        if (!found) {
            rc = vsr_error_set(err, -ENOENT, "%s: no image named %s%s (clips)", spec->gt,
                               spec->clips[i], r.gs);
            goto done;
        }
    }
    if (ds->n == 0) {
        rc = vsr_error_set(err, -ENODATA, "%s: no image file whose name ends with '%s'",
                           spec->gt, r.gs);
        goto done;
    }
    if (spec->lq)
        rc = pair_images(ds, spec, &r, err);
done:
    vsr_source_close(&g);
    return rc;
}

/* An image: its GT size and channels, and its LR size (both decoded). */
static int check_image(vsr_dataset *ds, struct ds_clip *c, vsr_error *err)
{
    vsr_frame g = {0}, l = {0};
    int rc = vsr_image_read(c->gt, 0, &g, err);
    if (rc < 0)
        goto done;
    c->frames = 1;
    c->channels = g.channels;
    c->gt_w = g.width / ds->scale * ds->scale;
    c->gt_h = g.height / ds->scale * ds->scale;
    c->lr_w = c->gt_w / ds->scale;
    c->lr_h = c->gt_h / ds->scale;
    if (c->gt_w <= 0 || c->gt_h <= 0) {
        rc = vsr_error_set(err, -EINVAL, "%s: image is %dx%d, smaller than the scale %d", c->gt,
                           g.width, g.height, ds->scale);
        goto done;
    }
    if (c->lr && (rc = vsr_image_read(c->lr, 3, &l, err)) == 0 &&
        (l.width != c->lr_w || l.height != c->lr_h))
        rc = vsr_error_set(
            err, -EINVAL, "%s is %dx%d (modcrop %dx%d) but its LR %s is %dx%d: not x%d apart",
            c->gt, g.width, g.height, c->gt_w, c->gt_h, c->lr, l.width, l.height, ds->scale);
done:
    vsr_frame_free(&g);
    vsr_frame_free(&l);
    return rc;
}

/* Load image clip @p c: GT cropped to LR x scale (= modcrop), gray kept
 * gray; LR read as RGB or made from the RGB GT. */
static int load_image(vsr_dataset *ds, const struct ds_clip *c, vsr_clip *out, vsr_error *err)
{
    vsr_frame rgb = {0}, v;
    int rc = vsr_image_read(c->gt, 3, &rgb, err);
    if (rc < 0 || (rc = vsr_modcrop(&rgb, ds->scale, &v, err)) < 0)
        goto done;
    rc = c->channels == 1 ? vsr_frame_to_gray(&v, &out->gt[0], err)
                          : vsr_frame_copy(&out->gt[0], &v, err);
    if (rc < 0)
        goto done;
    out->n_frames = 1;
    if (!c->lr) {
        rc = vsr_degrade(&v, ds->deg, ds->scale, &out->lr[0], err);
    } else if ((rc = vsr_image_read(c->lr, 3, &out->lr[0], err)) == 0 &&
               (out->lr[0].width * ds->scale != v.width ||
                out->lr[0].height * ds->scale != v.height)) {
        rc = vsr_error_set(
            err, -EINVAL, "%s is %dx%d (modcrop) but its LR %s is %dx%d: not x%d apart", c->gt,
            v.width, v.height, c->lr, out->lr[0].width, out->lr[0].height, ds->scale);
    }
done:
    vsr_frame_free(&rgb);
    return rc;
}

int vsr_dataset_open(const vsr_dataset_spec *spec, vsr_dataset **out, vsr_error *err)
{
    *out = NULL;
    int rc = 0, cap = 0;
    char gtp[4096], lrp[4096];
    vsr_dataset *ds = calloc(1, sizeof(*ds));
    if (!ds)
        return vsr_error_set(err, -ENOMEM, "out of memory");
    ds->type = spec->type;
    ds->deg = spec->degradation;
    ds->scale = spec->scale > 0 ? spec->scale : 4;
    if (ds->scale > 16) {
        rc = vsr_error_set(err, -EINVAL, "dataset scale %d is out of range 1..16", spec->scale);
        goto fail;
    }
    if (spec->type == VSR_DATASET_REDS || spec->type == VSR_DATASET_VID4) {
        int reds = spec->type == VSR_DATASET_REDS;
        if (!spec->root && !spec->gt) {
            rc = vsr_error_set(err, -EINVAL, "%s dataset: no root folder given",
                               vsr_dataset_type_name(spec->type));
            goto fail;
        }
        if (spec->gt)
            snprintf(gtp, sizeof(gtp), "%s", spec->gt);
        else if ((rc = vsr_path_join(gtp, sizeof(gtp), spec->root, reds ? "train_sharp" : "GT",
                                     err)) < 0)
            goto fail;
        if (spec->lq) {
            snprintf(lrp, sizeof(lrp), "%s", spec->lq);
        } else if (spec->root) {
            char sub[64];
            if (reds)
                snprintf(sub, sizeof(sub), "train_sharp_bicubic/X%d", ds->scale);
            else
                snprintf(sub, sizeof(sub), "%sx%d", ds->deg == VSR_DEGRADE_BD ? "BD" : "BI",
                         ds->scale);
            /* REDS ships only bicubic LR: BD is always made on the fly. */
            if (reds && ds->deg == VSR_DEGRADE_BD)
                lrp[0] = '\0';
            else if ((rc = vsr_path_join(lrp, sizeof(lrp), spec->root, sub, err)) < 0)
                goto fail;
        } else {
            lrp[0] = '\0';
        }
        if (spec->lr_only && !lrp[0]) {
            rc = vsr_error_set(err, -EINVAL,
                               "%s dataset without GT: it needs its LR folder (%s)",
                               vsr_dataset_type_name(spec->type),
                               reds ? "REDS ships bicubic LR only" : "BIx<s> or dataroot_lq");
            goto fail;
        }
        const char *listed = spec->lr_only ? lrp : gtp;
        if (vsr_is_dir(listed) != 1) {
            char lq[4200];
            if (!spec->lr_only && lrp[0] && vsr_is_dir(lrp) == 1)
                snprintf(lq, sizeof(lq), "; for LR frames only set no_gt: true");
            else
                lq[0] = '\0';
            rc = vsr_error_set(
                err, -ENOENT, "%s: no such folder (the %s side of the %s dataset)%s", listed,
                spec->lr_only ? "LR" : "GT", vsr_dataset_type_name(spec->type), lq);
            goto fail;
        }
        if (spec->clips && spec->n_clips > 0) {
            for (int i = 0; i < spec->n_clips && rc == 0; i++)
                rc = add_clip(ds, &cap, spec->clips[i], err);
        } else if (reds) {
            for (int i = 0; i < 4 && rc == 0; i++)
                rc = add_clip(ds, &cap, reds4[i], err);
        } else {
            rc = list_subdirs(ds, &cap, listed, err);
        }
        if (rc < 0)
            goto fail;
        for (int i = 0; i < ds->n; i++) {
            struct ds_clip *c = &ds->clips[i];
            if (!spec->lr_only && !(c->gt = join_dup(gtp, c->name, err))) {
                rc = err ? err->code : -ENOMEM;
                goto fail;
            }
            if (lrp[0]) {
                char p[4096];
                if ((rc = vsr_path_join(p, sizeof(p), lrp, c->name, err)) < 0)
                    goto fail;
                if (vsr_is_dir(p) == 1 && !(c->lr = strdup(p))) {
                    rc = vsr_error_set(err, -ENOMEM, "out of memory");
                    goto fail;
                }
                if (!c->lr && (spec->lq || spec->lr_only)) {
                    rc = vsr_error_set(err, -ENOENT, "%s: no such folder (LR of clip %s)", p,
                                       c->name);
                    goto fail;
                }
            }
        }
    } else if (spec->lr_only && spec->type != VSR_DATASET_PAIR) {
        rc = vsr_error_set(
            err, -EINVAL,
            "%s dataset: LR frames only (no GT) is for vid4, reds and pair layouts",
            vsr_dataset_type_name(spec->type));
        goto fail;
    } else if (spec->lr_only) { /* pair: the LR folder is the one clip */
        if (!spec->lq) {
            rc = vsr_error_set(err, -EINVAL, "pair dataset without GT: no LR folder given");
            goto fail;
        }
        char name[256];
        snprintf(name, sizeof(name), "%s", base_name(spec->lq));
        if ((rc = add_clip(ds, &cap, name, err)) < 0)
            goto fail;
        if (!(ds->clips[0].lr = strdup(spec->lq))) {
            rc = vsr_error_set(err, -ENOMEM, "out of memory");
            goto fail;
        }
    } else if (spec->type == VSR_DATASET_PAIR || spec->type == VSR_DATASET_VIDEO) {
        if (!spec->gt) {
            rc = vsr_error_set(err, -EINVAL, "%s dataset: no %s given",
                               vsr_dataset_type_name(spec->type),
                               spec->type == VSR_DATASET_PAIR ? "GT folder" : "video file");
            goto fail;
        }
        char name[256];
        snprintf(name, sizeof(name), "%s", base_name(spec->gt));
        size_t len = strlen(name);
        while (len > 1 && name[len - 1] == '/')
            name[--len] = '\0';
        char *dot = strrchr(name, '.');
        if (spec->type == VSR_DATASET_VIDEO && dot && dot != name)
            *dot = '\0';
        if ((rc = add_clip(ds, &cap, name, err)) < 0)
            goto fail;
        struct ds_clip *c = &ds->clips[0];
        if (!(c->gt = strdup(spec->gt)) ||
            (spec->type == VSR_DATASET_PAIR && spec->lq && !(c->lr = strdup(spec->lq)))) {
            rc = vsr_error_set(err, -ENOMEM, "out of memory");
            goto fail;
        }
    } else if (spec->type == VSR_DATASET_IMAGES) {
        if ((rc = open_images(ds, &cap, spec, err)) < 0)
            goto fail;
    } else {
        rc = vsr_error_set(err, -EINVAL, "dataset type %d is unknown", (int)spec->type);
        goto fail;
    }
    for (int i = 0; i < ds->n; i++) {
        ds->clips[i].channels = 3;
        rc = ds->type == VSR_DATASET_IMAGES
                 ? check_image(ds, &ds->clips[i], err)
                 : check_clip(ds, &ds->clips[i], spec->max_frames, err);
        if (rc < 0)
            goto fail;
    }
    *out = ds;
    return 0;
fail:
    vsr_dataset_close(&ds);
    return rc;
}

int vsr_dataset_clip_count(const vsr_dataset *ds)
{
    return ds->n;
}

const char *vsr_dataset_clip_name(const vsr_dataset *ds, int clip)
{
    return clip >= 0 && clip < ds->n ? ds->clips[clip].name : NULL;
}

int vsr_dataset_scale(const vsr_dataset *ds)
{
    return ds->scale;
}

int vsr_dataset_clip_info(const vsr_dataset *ds, int clip, vsr_clip_info *info)
{
    if (clip < 0 || clip >= ds->n)
        return -EINVAL;
    const struct ds_clip *c = &ds->clips[clip];
    info->name = c->name;
    info->frames = c->frames;
    info->gt_width = c->gt_w;
    info->gt_height = c->gt_h;
    info->lr_width = c->lr_w;
    info->lr_height = c->lr_h;
    info->lr_on_the_fly = c->lr == NULL;
    info->has_gt = c->gt != NULL;
    info->channels = c->channels;
    return 0;
}

int vsr_dataset_clip_key(const vsr_dataset *ds, int clip, char **key, vsr_error *err)
{
    *key = NULL;
    if (clip < 0 || clip >= ds->n)
        return vsr_error_set(err, -EINVAL, "clip %d is out of range (0..%d)", clip, ds->n - 1);
    const struct ds_clip *c = &ds->clips[clip];
    /* one field per line */
    const char *fmt = "%s\n%s\nx%d\n%s\n%s\n%s\n%d\n%d";
    const char *lr = c->lr ? c->lr : "", *gt = c->gt ? c->gt : "";
    int len =
        snprintf(NULL, 0, fmt, vsr_dataset_type_name(ds->type), vsr_degradation_name(ds->deg),
                 ds->scale, c->name, gt, lr, c->frames, c->channels);
    char *k = len < 0 ? NULL : malloc((size_t)len + 1);
    if (!k)
        return vsr_error_set(err, -ENOMEM, "clip %s: out of memory", c->name);
    snprintf(k, (size_t)len + 1, fmt, vsr_dataset_type_name(ds->type),
             vsr_degradation_name(ds->deg), ds->scale, c->name, gt, lr, c->frames, c->channels);
    *key = k;
    return 0;
}

void vsr_clip_free(vsr_clip *clip)
{
    if (!clip)
        return;
    for (int i = 0; i < clip->n_frames; i++) {
        if (clip->gt)
            vsr_frame_free(&clip->gt[i]);
        if (clip->lr)
            vsr_frame_free(&clip->lr[i]);
    }
    free(clip->gt);
    free(clip->lr);
    free(clip->name);
    memset(clip, 0, sizeof(*clip));
}

/* The next LR frame of clip @p c (frame @p t of it) from @p l into @p f; a
 * folder that ends early is an error naming it. */
static int read_lr(const struct ds_clip *c, vsr_source *l, int t, vsr_frame *f, vsr_error *err)
{
    int rc = vsr_source_read(l, f, err);
    if (rc == 0)
        rc = vsr_error_set(err, -EINVAL, "%s: ends at frame %d, expected %d frames", c->lr, t,
                           c->frames);
    return rc < 0 ? rc : 0;
}

int vsr_dataset_load_frames(vsr_dataset *ds, int clip, int first, int count, vsr_clip *out,
                            vsr_error *err)
{
    memset(out, 0, sizeof(*out));
    if (clip < 0 || clip >= ds->n)
        return vsr_error_set(err, -EINVAL, "clip %d is out of range (0..%d)", clip, ds->n - 1);
    struct ds_clip *c = &ds->clips[clip];
    if (first < 0 || first >= c->frames)
        return vsr_error_set(err, -EINVAL, "clip %s: frame %d is out of range (0..%d)", c->name,
                             first, c->frames - 1);
    if (count <= 0 || first + count > c->frames)
        count = c->frames - first;
    vsr_source *g = NULL, *l = NULL;
    vsr_frame f = {0};
    int rc;
    out->name = strdup(c->name);
    out->gt = c->gt ? calloc((size_t)count, sizeof(vsr_frame)) : NULL;
    out->lr = calloc((size_t)count, sizeof(vsr_frame));
    if (!out->name || (c->gt && !out->gt) || !out->lr) {
        rc = vsr_error_set(err, -ENOMEM, "clip %s: out of memory", c->name);
        goto fail;
    }
    out->first = first;
    out->scale = ds->scale;
    if (ds->type == VSR_DATASET_IMAGES) {
        if ((rc = load_image(ds, c, out, err)) < 0)
            goto fail;
        return 0;
    }
    if (!c->gt) { /* LR frames only */
        if ((rc = vsr_source_open_folder(c->lr, 3, &l, err)) < 0 ||
            (rc = vsr_source_seek(l, first, err)) < 0)
            goto fail;
        for (int i = 0; i < count; i++) {
            if ((rc = read_lr(c, l, first + i, &out->lr[i], err)) < 0)
                goto fail;
            out->n_frames = i + 1;
            if (out->lr[i].width != c->lr_w || out->lr[i].height != c->lr_h) {
                const char *ln = vsr_source_frame_name(l, first + i);
                rc = vsr_error_set(
                    err, -EINVAL, "%s/%s is %dx%d but the clip's frames are %dx%d", c->lr,
                    ln ? ln : "", out->lr[i].width, out->lr[i].height, c->lr_w, c->lr_h);
                goto fail;
            }
        }
        vsr_source_close(&l);
        return 0;
    }
    rc = ds->type == VSR_DATASET_VIDEO ? vsr_source_open_video(c->gt, 3, &g, err)
                                       : vsr_source_open_folder(c->gt, 3, &g, err);
    if (rc < 0 || (rc = vsr_source_seek(g, first, err)) < 0)
        goto fail;
    if (c->lr && ((rc = vsr_source_open_folder(c->lr, 3, &l, err)) < 0 ||
                  (rc = vsr_source_seek(l, first, err)) < 0))
        goto fail;
    for (int i = 0; i < count; i++) {
        rc = vsr_source_read(g, &f, err);
        if (rc == 0)
            rc = vsr_error_set(err, -EINVAL, "%s: ends at frame %d, expected %d frames", c->gt,
                               first + i, c->frames);
        if (rc < 0)
            goto fail;
        vsr_frame v;
        if ((rc = vsr_modcrop(&f, ds->scale, &v, err)) < 0 ||
            (rc = vsr_frame_copy(&out->gt[i], &v, err)) < 0)
            goto fail;
        out->n_frames = i + 1;
        if (l) {
            if ((rc = read_lr(c, l, first + i, &out->lr[i], err)) < 0)
                goto fail;
            if (out->lr[i].width * ds->scale != v.width ||
                out->lr[i].height * ds->scale != v.height) {
                const char *gn = vsr_source_frame_name(g, first + i);
                const char *ln = vsr_source_frame_name(l, first + i);
                rc = vsr_error_set(
                    err, -EINVAL,
                    "%s/%s is %dx%d (modcrop) but LR %s/%s is %dx%d: not x%d apart", c->gt,
                    gn ? gn : "", v.width, v.height, c->lr, ln ? ln : "", out->lr[i].width,
                    out->lr[i].height, ds->scale);
                goto fail;
            }
        } else if ((rc = vsr_degrade(&out->gt[i], ds->deg, ds->scale, &out->lr[i], err)) < 0) {
            goto fail;
        }
    }
    vsr_frame_free(&f);
    vsr_source_close(&g);
    vsr_source_close(&l);
    return 0;
fail:
    vsr_frame_free(&f);
    vsr_source_close(&g);
    vsr_source_close(&l);
    vsr_clip_free(out);
    return rc;
}

int vsr_dataset_load_clip(vsr_dataset *ds, int clip, vsr_clip *out, vsr_error *err)
{
    return vsr_dataset_load_frames(ds, clip, 0, 0, out, err);
}
