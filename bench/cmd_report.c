/*
 * vsrbench report: tables (md, csv, html, tex), plots, crops and one
 * index.html, all from runs.db, for any subset of runs (--filter).
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "vsr/reports.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: vsrbench report [--db runs.db] [--out DIR] [--format md,csv,html,tex]\n"
            "                       [--filter 'dataset=vid4,precision=int8'] [--base NAME]\n"
            "                       [--all-runs] [--no-plots] [--plot-size WxH]\n"
            "                       [--crop-gt DIR --crop-lr DIR --crop-sr LABEL=DIR ...\n"
            "                        --crop-frame N --crop-rect X,Y,WxH [--crop-zoom Z]]\n"
            "\n"
            "Leaderboards per dataset and channel, the research-log table, an ablation\n"
            "table against --base, plots (gnuplot: PSNR vs ms with the Pareto front, PSNR\n"
            "vs params, per-frame PSNR per clip, ablation bars, tune heat maps) and\n"
            "index.html, written to --out (default reports/latest).\n"
            "\n"
            "  --db PATH        run log to read (read-only; default runs.db)\n"
            "  --out DIR        output folder (created; default reports/latest)\n"
            "  --format LIST    any of md,csv,html,tex (default all four)\n"
            "  --filter PAIRS   key=value[,key=value]: model variant precision dataset\n"
            "                   channel degradation threads tile pad; value a|b for either\n"
            "  --base NAME      ablation base: a variant, a model, or model/variant\n"
            "  --all-runs       keep every finished run (default: newest per run key)\n"
            "  --no-plots       tables only\n"
            "  --plot-size WxH  PNG/SVG size in pixels (default 960x640)\n"
            "  --crop-gt DIR    GT frames of one clip, --crop-lr DIR its LR frames (bicubic\n"
            "                   panel), --crop-sr LABEL=DIR one model's SR frames (repeat);\n"
            "                   --crop-frame N (0-based), --crop-rect X,Y,WxH in GT pixels,\n"
            "                   --crop-zoom Z (default 2): writes crops.png\n");
}

static int mkdir_p(const char *path, vsr_error *err)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof(buf))
        return vsr_error_set(err, -EINVAL, "--out: bad folder name");
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char c = buf[i];
        buf[i] = '\0';
        struct stat st;
        if (stat(buf, &st) != 0) {
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return vsr_error_set(err, -errno, "%s: cannot create folder: %s", buf,
                                     strerror(errno));
        } else if (!S_ISDIR(st.st_mode)) {
            return vsr_error_set(err, -ENOTDIR, "%s: exists and is not a folder", buf);
        }
        buf[i] = c;
    }
    return 0;
}

/* File-name-safe copy of @p s. */
static void safe_name(char *dst, size_t cap, const char *s)
{
    size_t i = 0;
    for (; s[i] && i + 1 < cap; i++) {
        char c = s[i];
        int ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 c == '-' || c == '_' || c == '.';
        dst[i] = ok ? c : '_';
    }
    dst[i] = '\0';
}

struct images {
    vsr_report_image *v;
    char **owned;
    size_t n, cap;
};

static int images_add(struct images *im, const char *src, const char *caption)
{
    if (im->n == im->cap) {
        size_t cap = im->cap ? im->cap * 2 : 16;
        vsr_report_image *v = realloc(im->v, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        im->v = v;
        char **o = realloc(im->owned, 2 * cap * sizeof(*o));
        if (!o)
            return -ENOMEM;
        im->owned = o;
        im->cap = cap;
    }
    char *a = strdup(src), *b = strdup(caption);
    if (!a || !b) {
        free(a);
        free(b);
        return -ENOMEM;
    }
    im->owned[2 * im->n] = a;
    im->owned[2 * im->n + 1] = b;
    im->v[im->n].src = a;
    im->v[im->n].caption = b;
    im->n++;
    return 0;
}

static void images_free(struct images *im)
{
    for (size_t i = 0; i < 2 * im->n; i++)
        free(im->owned[i]);
    free(im->owned);
    free(im->v);
}

struct tables {
    vsr_report_table **v;
    size_t n, cap;
};

static vsr_report_table *tables_new(struct tables *t)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        vsr_report_table **v = realloc(t->v, cap * sizeof(*v));
        if (!v)
            return NULL;
        t->v = v;
        t->cap = cap;
    }
    vsr_report_table *x = calloc(1, sizeof(*x));
    if (x)
        t->v[t->n++] = x;
    return x;
}

static void tables_free(struct tables *t)
{
    for (size_t i = 0; i < t->n; i++) {
        vsr_report_table_free(t->v[i]);
        free(t->v[i]);
    }
    free(t->v);
}

/* Plot outcome: 0 = made, 1 = skipped (no data), -ENOENT gnuplot missing, <0 error. */
static int plot_done(int rc, vsr_error *err, struct images *im, const char *name,
                     const char *caption, int *gnuplot_missing)
{
    if (rc == -ENODATA)
        return 0;
    if (rc == -ENOENT) {
        if (!*gnuplot_missing)
            fprintf(stderr, "vsrbench: %s\n", err->msg);
        *gnuplot_missing = 1;
        return 0;
    }
    if (rc) {
        fprintf(stderr, "vsrbench: warning: %s\n", err->msg);
        return 0;
    }
    char src[600];
    snprintf(src, sizeof(src), "plots/%s.png", name);
    return images_add(im, src, caption);
}

/* Index of rows in group (dataset, channel) of @p key, best PSNR first, at most @p max. */
static size_t group_rows(const vsr_report_rows *rows, const vsr_report_row *key,
                         vsr_report_row *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < rows->n; i++)
        if (!strcmp(rows->v[i].dataset, key->dataset) &&
            !strcmp(rows->v[i].channel, key->channel))
            out[n++] = rows->v[i];
    /* Selection of the best @p max by PSNR (NAN last), stable. */
    for (size_t i = 0; i < n && i < max; i++) {
        size_t b = i;
        for (size_t j = i + 1; j < n; j++)
            if (!isnan(out[j].psnr) && (isnan(out[b].psnr) || out[j].psnr > out[b].psnr))
                b = j;
        vsr_report_row t = out[b];
        memmove(&out[i + 1], &out[i], (b - i) * sizeof(*out));
        out[i] = t;
    }
    return n < max ? n : max;
}

int vsr_cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"out", required_argument, NULL, 'o'},
                                         {"format", required_argument, NULL, 'f'},
                                         {"filter", required_argument, NULL, 'F'},
                                         {"base", required_argument, NULL, 'b'},
                                         {"all-runs", no_argument, NULL, 'A'},
                                         {"no-plots", no_argument, NULL, 'N'},
                                         {"plot-size", required_argument, NULL, 'S'},
                                         {"crop-gt", required_argument, NULL, 'g'},
                                         {"crop-lr", required_argument, NULL, 'l'},
                                         {"crop-sr", required_argument, NULL, 's'},
                                         {"crop-frame", required_argument, NULL, 'n'},
                                         {"crop-rect", required_argument, NULL, 'r'},
                                         {"crop-zoom", required_argument, NULL, 'z'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *db = "runs.db", *outdir = "reports/latest", *filter = NULL, *base = NULL;
    const char *crop_gt = NULL, *crop_lr = NULL, *crop_rect = NULL;
    enum { MAX_SR = 32 };
    char *sr_labels[MAX_SR], *sr_dirs[MAX_SR];
    int nsr = 0;
    long crop_frame = 0, crop_zoom = 2;
    unsigned formats = VSR_REPORT_MD | VSR_REPORT_CSV | VSR_REPORT_HTML | VSR_REPORT_TEX;
    int all_runs = 0, plots = 1;
    vsr_report_plot_opts popts = {960, 640};
    vsr_error err = {0};
    int c, ret = VSR_EXIT_FAILURE;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            db = optarg;
            break;
        case 'o':
            outdir = optarg;
            break;
        case 'F':
            filter = optarg;
            break;
        case 'b':
            base = optarg;
            break;
        case 'A':
            all_runs = 1;
            break;
        case 'N':
            plots = 0;
            break;
        case 'g':
            crop_gt = optarg;
            break;
        case 'l':
            crop_lr = optarg;
            break;
        case 'r':
            crop_rect = optarg;
            break;
        case 'f':
            if (vsr_report_parse_formats(optarg, &formats, &err))
                goto usage_error;
            break;
        case 'S': {
            long w, h;
            char *x = strchr(optarg, 'x');
            if (!x) {
                vsr_error_set(&err, -EINVAL, "--plot-size %s: expected WxH", optarg);
                goto usage_error;
            }
            *x = '\0';
            int bad = vsr_parse_long(optarg, 64, 8192, &w, "--plot-size width", &err) ||
                      vsr_parse_long(x + 1, 64, 8192, &h, "--plot-size height", &err);
            *x = 'x';
            if (bad)
                goto usage_error;
            popts.width = (int)w;
            popts.height = (int)h;
            break;
        }
        case 's': {
            char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg || !eq[1]) {
                vsr_error_set(&err, -EINVAL, "--crop-sr %s: expected LABEL=DIR", optarg);
                goto usage_error;
            }
            if (nsr == MAX_SR) {
                vsr_error_set(&err, -EINVAL, "--crop-sr: at most %d", MAX_SR);
                goto usage_error;
            }
            *eq = '\0';
            sr_labels[nsr] = optarg;
            sr_dirs[nsr++] = eq + 1;
            break;
        }
        case 'n':
            if (vsr_parse_long(optarg, 0, 1000000, &crop_frame, "--crop-frame", &err))
                goto usage_error;
            break;
        case 'z':
            if (vsr_parse_long(optarg, 1, 16, &crop_zoom, "--crop-zoom", &err))
                goto usage_error;
            break;
        case 'h':
            usage(stdout);
            return VSR_EXIT_OK;
        default:
            usage(stderr);
            return VSR_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "vsrbench report: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return VSR_EXIT_USAGE;
    }
    long cx = 0, cy = 0, cw = 0, ch = 0;
    if (crop_gt) {
        if (!crop_rect) {
            vsr_error_set(&err, -EINVAL, "--crop-gt needs --crop-rect X,Y,WxH");
            goto usage_error;
        }
        char rect[128];
        snprintf(rect, sizeof(rect), "%s", crop_rect);
        char *c1 = strchr(rect, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
        char *xx = c2 ? strchr(c2 + 1, 'x') : NULL;
        if (!xx) {
            vsr_error_set(&err, -EINVAL, "--crop-rect %s: expected X,Y,WxH", crop_rect);
            goto usage_error;
        }
        *c1 = *c2 = *xx = '\0';
        if (vsr_parse_long(rect, 0, 100000, &cx, "--crop-rect X", &err) ||
            vsr_parse_long(c1 + 1, 0, 100000, &cy, "--crop-rect Y", &err) ||
            vsr_parse_long(c2 + 1, 1, 100000, &cw, "--crop-rect W", &err) ||
            vsr_parse_long(xx + 1, 1, 100000, &ch, "--crop-rect H", &err))
            goto usage_error;
    }

    vsr_report_rows rows = {0};
    struct tables tabs = {0};
    struct images ims = {0};
    size_t *groups = NULL, ngroups = 0;
    vsr_report_tune_set *tune = NULL;
    size_t ntune = 0;
    vsr_report_row *grp = NULL;
    FILE *f = NULL;
    char path[4096], plotdir[4096];
    int rc, gnuplot_missing = 0;

    if ((rc = vsr_report_db_rows(db, !all_runs, &rows, &err)))
        goto fail;
    if ((rc = vsr_report_rows_filter(&rows, filter, &err))) {
        fprintf(stderr, "vsrbench report: %s\n", err.msg);
        ret = VSR_EXIT_USAGE;
        goto done;
    }
    if (!rows.n) {
        vsr_error_set(&err, -ENODATA,
                      "%s: no finished runs%s%s (run 'vsrbench run CONFIG' first)", db,
                      filter ? " match --filter " : "", filter ? filter : "");
        goto fail;
    }
    snprintf(plotdir, sizeof(plotdir), "%s/plots", outdir);
    if ((rc = mkdir_p(outdir, &err)) || (plots && (rc = mkdir_p(plotdir, &err))))
        goto fail;
    if (formats & VSR_REPORT_CSV) {
        snprintf(path, sizeof(path), "%s/csv", outdir);
        if ((rc = mkdir_p(path, &err)))
            goto fail;
    }
    if ((rc = vsr_report_group_keys(rows.v, rows.n, &groups, &ngroups, &err)))
        goto fail;
    grp = malloc(rows.n * sizeof(*grp));
    if (!grp) {
        vsr_error_set(&err, -ENOMEM, "report: out of memory");
        goto fail;
    }

    /* Tables: one leaderboard per (dataset, channel), research log, ablation. */
    for (size_t g = 0; g < ngroups; g++) {
        size_t n = group_rows(&rows, &rows.v[groups[g]], grp, rows.n);
        vsr_report_table *t = tables_new(&tabs);
        if (!t || (rc = vsr_report_table_leaderboard(grp, n, VSR_REPORT_DISPLAY, t, &err)))
            goto fail_mem;
        if (formats & VSR_REPORT_CSV) {
            vsr_report_table data;
            if ((rc = vsr_report_table_leaderboard(grp, n, VSR_REPORT_DATA, &data, &err)))
                goto fail;
            char name[256];
            safe_name(name, sizeof(name), data.id);
            snprintf(path, sizeof(path), "%s/csv/%s.csv", outdir, name);
            f = fopen(path, "w");
            if (!f) {
                vsr_report_table_free(&data);
                vsr_error_set(&err, -errno, "%s: cannot write: %s", path, strerror(errno));
                goto fail;
            }
            rc = vsr_report_table_write(f, &data, VSR_REPORT_CSV, &err);
            vsr_report_table_free(&data);
            if (fclose(f) != 0 && !rc)
                rc = vsr_error_set(&err, -EIO, "%s: write failed", path);
            f = NULL;
            if (rc)
                goto fail;
            printf("%s\n", path);
        }
    }
    {
        vsr_report_table *t = tables_new(&tabs);
        if (!t || (rc = vsr_report_table_research(rows.v, rows.n, t, &err)))
            goto fail_mem;
    }
    vsr_report_table *ablation = NULL;
    if (base) {
        ablation = tables_new(&tabs);
        if (!ablation)
            goto fail_mem;
        if ((rc = vsr_report_table_ablation(rows.v, rows.n, base, ablation, &err)))
            goto fail;
    }
    /* CSV of the research and ablation tables too (display text). */
    for (size_t i = 0; i < tabs.n && (formats & VSR_REPORT_CSV); i++) {
        if (!strncmp(tabs.v[i]->id, "leaderboard_", 12))
            continue;
        snprintf(path, sizeof(path), "%s/csv/%s.csv", outdir, tabs.v[i]->id);
        if (!(f = fopen(path, "w"))) {
            vsr_error_set(&err, -errno, "%s: cannot write: %s", path, strerror(errno));
            goto fail;
        }
        rc = vsr_report_table_write(f, tabs.v[i], VSR_REPORT_CSV, &err);
        if (fclose(f) != 0 && !rc)
            rc = vsr_error_set(&err, -EIO, "%s: write failed", path);
        f = NULL;
        if (rc)
            goto fail;
        printf("%s\n", path);
    }
    static const struct {
        unsigned bit;
        const char *file;
    } whole[] = {{VSR_REPORT_MD, "report.md"}, {VSR_REPORT_TEX, "report.tex"}};
    for (size_t k = 0; k < 2; k++) {
        if (!(formats & whole[k].bit))
            continue;
        snprintf(path, sizeof(path), "%s/%s", outdir, whole[k].file);
        if (!(f = fopen(path, "w"))) {
            vsr_error_set(&err, -errno, "%s: cannot write: %s", path, strerror(errno));
            goto fail;
        }
        if (whole[k].bit == VSR_REPORT_MD)
            fprintf(f, "# vsrbench report\n\nFrom `%s`, %zu row(s)%s%s.\n\n", db, rows.n,
                    filter ? ", filter " : "", filter ? filter : "");
        else
            fputs("% vsrbench report; needs \\usepackage{booktabs}\n", f);
        for (size_t i = 0; i < tabs.n && !rc; i++)
            rc = vsr_report_table_write(f, tabs.v[i], (enum vsr_report_format)whole[k].bit,
                                        &err);
        if (fclose(f) != 0 && !rc)
            rc = vsr_error_set(&err, -EIO, "%s: write failed", path);
        f = NULL;
        if (rc)
            goto fail;
        printf("%s\n", path);
    }

    /* Plots. */
    if (plots && !vsr_report_gnuplot_available()) {
        fprintf(stderr, "vsrbench: gnuplot is not on PATH, so no plots: install it with "
                        "'apt-get install gnuplot-nox'; tables are still written\n");
        plots = 0;
    }
    for (size_t g = 0; plots && g < ngroups && !gnuplot_missing; g++) {
        const vsr_report_row *k = &rows.v[groups[g]];
        size_t n = group_rows(&rows, k, grp, rows.n);
        char tag[192], name[512], title[512];
        snprintf(tag, sizeof(tag), "%s_%s", k->dataset, k->channel);
        safe_name(tag, sizeof(tag), tag);
        snprintf(name, sizeof(name), "pareto_%s", tag);
        snprintf(title, sizeof(title), "%s (%s): PSNR vs runtime, Pareto front", k->dataset,
                 k->channel);
        rc = vsr_report_plot_pareto(plotdir, name, title, grp, n, &popts, &err);
        if ((rc = plot_done(rc, &err, &ims, name, title, &gnuplot_missing)))
            goto fail_mem;
        snprintf(name, sizeof(name), "params_%s", tag);
        snprintf(title, sizeof(title), "%s (%s): PSNR vs parameters", k->dataset, k->channel);
        rc = vsr_report_plot_params(plotdir, name, title, grp, n, &popts, &err);
        if ((rc = plot_done(rc, &err, &ims, name, title, &gnuplot_missing)))
            goto fail_mem;
        /* Per-frame curves of the 8 best rows, one plot per clip. */
        size_t top = group_rows(&rows, k, grp, 8);
        vsr_report_frame_point *pts = NULL, *sub = NULL;
        size_t npts = 0;
        if ((rc = vsr_report_db_frames(db, grp, top, &pts, &npts, &err))) {
            fprintf(stderr, "vsrbench: warning: %s\n", err.msg);
            continue;
        }
        sub = malloc((npts ? npts : 1) * sizeof(*sub));
        for (size_t i = 0; sub && i < npts; i++) {
            int seen = 0;
            for (size_t j = 0; j < i && !seen; j++)
                seen = !strcmp(pts[j].clip, pts[i].clip);
            if (seen)
                continue;
            size_t m = 0;
            for (size_t j = 0; j < npts; j++)
                if (!strcmp(pts[j].clip, pts[i].clip))
                    sub[m++] = pts[j];
            char clip[96];
            safe_name(clip, sizeof(clip), pts[i].clip);
            snprintf(name, sizeof(name), "frames_%s_%s", tag, clip);
            snprintf(title, sizeof(title), "%s (%s), clip %s: per-frame PSNR", k->dataset,
                     k->channel, pts[i].clip);
            rc = vsr_report_plot_frames(plotdir, name, title, grp, top, sub, m, &popts, &err);
            if ((rc = plot_done(rc, &err, &ims, name, title, &gnuplot_missing)))
                break;
        }
        free(sub);
        free(pts);
        if (rc)
            goto fail_mem;
    }
    if (plots && ablation && !gnuplot_missing) {
        char title[256];
        snprintf(title, sizeof(title), "Ablation against %s", base);
        rc = vsr_report_plot_ablation(plotdir, "ablation", title, ablation, &popts, &err);
        if ((rc = plot_done(rc, &err, &ims, "ablation", title, &gnuplot_missing)))
            goto fail_mem;
    }
    if (plots && !gnuplot_missing) {
        if ((rc = vsr_report_db_tune(db, &tune, &ntune, &err)))
            fprintf(stderr, "vsrbench: warning: %s\n", err.msg);
        for (size_t i = 0; i < ntune && !gnuplot_missing; i++) {
            /* The filter's model/variant/precision/dataset keys apply to tune too. */
            vsr_report_rows one = {0};
            vsr_report_row r;
            vsr_report_row_init(&r);
            snprintf(r.model, sizeof(r.model), "%s", tune[i].model);
            snprintf(r.variant, sizeof(r.variant), "%s", tune[i].variant);
            snprintf(r.precision, sizeof(r.precision), "%s", tune[i].precision);
            snprintf(r.dataset, sizeof(r.dataset), "%s", tune[i].dataset);
            int keep = 1;
            if (filter && !vsr_report_rows_push(&one, &r, NULL)) {
                /* keys the tune row does not have (channel, threads, ...) are ignored */
                char f2[512] = "";
                for (const char *p = filter; *p;) {
                    const char *comma = strchr(p, ',');
                    size_t len = comma ? (size_t)(comma - p) : strlen(p);
                    if (!strncmp(p, "model=", 6) || !strncmp(p, "variant=", 8) ||
                        !strncmp(p, "precision=", 10) || !strncmp(p, "dataset=", 8))
                        snprintf(f2 + strlen(f2), sizeof(f2) - strlen(f2), "%s%.*s",
                                 f2[0] ? "," : "", (int)len, p);
                    p = comma ? comma + 1 : p + len;
                }
                vsr_report_rows_filter(&one, f2, NULL);
                keep = one.n == 1;
            }
            vsr_report_rows_free(&one);
            if (!keep)
                continue;
            char name[512], title[512], raw[512];
            snprintf(raw, sizeof(raw), "tune_%s_%s_%s_%s", tune[i].model, tune[i].variant,
                     tune[i].precision, tune[i].dataset);
            safe_name(name, sizeof(name), raw);
            snprintf(title, sizeof(title), "Tune %s%s%s %s on %s: ms/frame by tile x pad",
                     tune[i].model, tune[i].variant[0] ? "/" : "", tune[i].variant,
                     tune[i].precision, tune[i].dataset);
            rc = vsr_report_plot_tune(plotdir, name, title, tune[i].pts, tune[i].n, &popts,
                                      &err);
            if ((rc = plot_done(rc, &err, &ims, name, title, &gnuplot_missing)))
                goto fail_mem;
        }
    }
    if (crop_gt) {
        snprintf(path, sizeof(path), "%s/crops.png", outdir);
        rc = vsr_report_crops_make(
            crop_gt, crop_lr, (const char *const *)sr_dirs, (const char *const *)sr_labels, nsr,
            (int)crop_frame, (int)cx, (int)cy, (int)cw, (int)ch, (int)crop_zoom, path, &err);
        if (rc)
            goto fail;
        printf("%s\n", path);
        if ((rc = images_add(&ims, "crops.png", "Visual crops: GT | bicubic | models")))
            goto fail_mem;
    }
    if (formats & VSR_REPORT_HTML) {
        snprintf(path, sizeof(path), "%s/index.html", outdir);
        char sub[1024];
        snprintf(sub, sizeof(sub),
                 "From %s: %zu row(s)%s%s. PSNR/SSIM as BasicSR (mean of "
                 "clip means); ms per LR frame.",
                 db, rows.n, filter ? ", filter " : "", filter ? filter : "");
        if ((rc = vsr_report_html_write(path, "vsrbench report", sub,
                                        (const vsr_report_table *const *)tabs.v, tabs.n, ims.v,
                                        ims.n, &err)))
            goto fail;
        printf("%s\n", path);
    }
    for (size_t i = 0; i < ims.n; i++)
        printf("%s/%s\n", outdir, ims.v[i].src);
    ret = VSR_EXIT_OK;
    goto done;
fail_mem:
    if (!err.msg[0])
        vsr_error_set(&err, -ENOMEM, "report: out of memory");
fail:
    fprintf(stderr, "vsrbench report: %s\n", err.msg);
    ret = VSR_EXIT_FAILURE;
done:
    if (f)
        fclose(f);
    free(grp);
    free(groups);
    vsr_report_tune_sets_free(tune, ntune);
    images_free(&ims);
    tables_free(&tabs);
    vsr_report_rows_free(&rows);
    return ret;
usage_error:
    fprintf(stderr, "vsrbench report: %s\n", err.msg);
    return VSR_EXIT_USAGE;
}
