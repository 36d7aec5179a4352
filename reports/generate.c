/*
 * The whole report from runs.db: tables in every asked format, plots,
 * crops and index.html (vsrbench report, and the end of vsrbench run).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reports_internal.h"

void vsr_report_opts_init(vsr_report_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->db = "runs.db";
    o->out = "reports/latest";
    o->formats =
        VSR_REPORT_MD | VSR_REPORT_CSV | VSR_REPORT_HTML | VSR_REPORT_TEX | VSR_REPORT_JSON;
    o->plots = 1;
    o->plot.width = 960;
    o->plot.height = 640;
    o->crop_zoom = 2;
}

/*
 * The report must never write over its run log. --out may hold it
 * (OUT/runs.db is fine) but must not be it, and no file or folder the
 * report writes (OUT/report.md, OUT/csv/..., OUT/plots/...) may be it.
 */
static int check_db_safe(const vsr_report_opts *o, vsr_error *err)
{
    int rc = vsr_path_aliases(o->out, o->db, err);
    if (rc <= 0)
        return rc;
    struct stat so, sd;
    int same = stat(o->out, &so) == 0 && stat(o->db, &sd) == 0 && so.st_dev == sd.st_dev &&
               so.st_ino == sd.st_ino;
    static const char *const written[] = {"report.md", "report.tex", "index.html", "crops.png",
                                          "csv",       "plots",      "report.json"};
    for (size_t i = 0; !same && i < sizeof(written) / sizeof(written[0]); i++) {
        char p[4200];
        snprintf(p, sizeof(p), "%s/%s", o->out, written[i]);
        if ((rc = vsr_path_aliases(o->db, p, err)) < 0)
            return rc;
        same = rc;
    }
    if (same)
        return vsr_error_set(err, -EINVAL,
                             "--out %s would write over the run log --db %s; choose another "
                             "--out",
                             o->out, o->db);
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

/* Append @p x (owned by @p t from now on, also on failure). */
static int tables_add(struct tables *t, vsr_report_table *x)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        vsr_report_table **v = realloc(t->v, cap * sizeof(*v));
        if (!v) {
            vsr_report_table_free(x);
            free(x);
            return -ENOMEM;
        }
        t->v = v;
        t->cap = cap;
    }
    t->v[t->n++] = x;
    return 0;
}

/* The pairs of --filter @p filter whose key is one of @p keys (NULL-ended). */
static void sub_filter(const char *filter, const char *const *keys, char *out, size_t cap)
{
    out[0] = '\0';
    for (const char *p = filter; p && *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        for (int k = 0; keys[k]; k++) {
            size_t kl = strlen(keys[k]);
            if (len > kl && !strncmp(p, keys[k], kl) && p[kl] == '=') {
                size_t used = strlen(out);
                snprintf(out + used, cap - used, "%s%.*s", used ? "," : "", (int)len, p);
            }
        }
        p = comma ? comma + 1 : p + len;
    }
}

/* 1 when tune set @p ts passes the model/variant/precision/dataset keys of
 * --filter (the keys a tune result does not have are ignored). */
static int tune_kept(const char *filter, const vsr_report_tune_set *ts)
{
    static const char *const keys[] = {"model", "variant", "precision", "dataset", NULL};
    if (!filter)
        return 1;
    vsr_report_rows one = {0};
    vsr_report_row r;
    vsr_report_row_init(&r);
    snprintf(r.model, sizeof(r.model), "%s", ts->model);
    snprintf(r.variant, sizeof(r.variant), "%s", ts->variant);
    snprintf(r.precision, sizeof(r.precision), "%s", ts->precision);
    snprintf(r.dataset, sizeof(r.dataset), "%s", ts->dataset);
    int keep = 1;
    if (!vsr_report_rows_push(&one, &r, NULL)) {
        char f2[512];
        sub_filter(filter, keys, f2, sizeof(f2));
        vsr_report_rows_filter(&one, f2, NULL);
        keep = one.n == 1;
    }
    vsr_report_rows_free(&one);
    return keep;
}

/*
 * The ablation table against o->base, with the per-frame metrics of the
 * rows in sweeps that have a base row (the only ones it compares), read
 * before anything is written so a bad --base costs nothing.
 */
static int build_ablation(const vsr_report_opts *o, const vsr_report_rows *rows,
                          vsr_report_table **out, vsr_error *err)
{
    *out = NULL;
    int rc = vsr_report_check_base(rows->v, rows->n, o->base, err);
    if (rc)
        return rc;
    size_t *idx = malloc((rows->n ? rows->n : 1) * sizeof(*idx));
    vsr_report_row *sub = malloc((rows->n ? rows->n : 1) * sizeof(*sub));
    vsr_report_frame_point *pts = NULL;
    size_t npts = 0, m = 0;
    vsr_report_table *t = calloc(1, sizeof(*t));
    if (!idx || !sub || !t) {
        rc = vsr_error_set(err, -ENOMEM, "ablation: out of memory");
        goto done;
    }
    for (size_t i = 0; i < rows->n; i++) {
        int in = 0;
        for (size_t j = 0; j < rows->n && !in; j++)
            in = !strcmp(rows->v[i].sweep, rows->v[j].sweep) &&
                 vsr_report_is_base(&rows->v[j], o->base);
        if (in) {
            idx[m] = i;
            sub[m++] = rows->v[i];
        }
    }
    if ((rc = vsr_report_db_frames(o->db, sub, m, &pts, &npts, err))) {
        /* no intervals, but the deltas */
        vsr_log(VSR_LOG_WARNING, "%s (ablation without intervals)", err->msg);
        vsr_error_clear(err);
        pts = NULL;
        npts = 0;
    }
    for (size_t i = 0; i < npts; i++)
        pts[i].row = idx[pts[i].row];
    if ((rc = vsr_report_table_ablation(rows->v, rows->n, o->base, pts, npts, t, err)))
        goto done;
    *out = t;
    t = NULL;
done:
    free(t);
    free(pts);
    free(sub);
    free(idx);
    return rc;
}

static void tables_free(struct tables *t)
{
    for (size_t i = 0; i < t->n; i++) {
        vsr_report_table_free(t->v[i]);
        free(t->v[i]);
    }
    free(t->v);
}

/*
 * Plot outcome: 0 = made or skipped (no data, gnuplot missing, a script
 * gnuplot refused: a warning). A full disk is no warning: the report stops
 * with its error (the pictures it could not write were left as they were).
 */
static int plot_done(int rc, vsr_error *err, struct images *im, const char *name,
                     const char *caption, int *gnuplot_missing)
{
    if (rc == -ENOSPC || rc == -EFBIG || rc == -EDQUOT)
        return rc;
    if (rc == -ENODATA)
        return 0;
    if (rc == -ENOENT) {
        if (!*gnuplot_missing)
            vsr_log(VSR_LOG_WARNING, "%s", err->msg);
        *gnuplot_missing = 1;
        return 0;
    }
    if (rc) {
        vsr_log(VSR_LOG_WARNING, "%s", err->msg);
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
        if (vsr_report_same_group(&rows->v[i], key))
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

/* Table @p t as CSV into @p path (complete or not at all), then its name on @p list. */
static int write_csv(const vsr_report_table *t, const char *path, FILE *list, vsr_error *err)
{
    vsr_atomic_file af;
    int rc = vsr_atomic_open(&af, path, err);
    if (rc)
        return rc;
    if ((rc = vsr_report_table_write(af.f, t, VSR_REPORT_CSV, err))) {
        vsr_atomic_abort(&af);
        return rc;
    }
    if (!(rc = vsr_atomic_commit(&af, err)) && list)
        fprintf(list, "%s\n", path);
    return rc;
}

int vsr_report_generate(const vsr_report_opts *o, vsr_error *user_err)
{
    vsr_error local = {0};
    vsr_error *err = user_err ? user_err : &local;
    vsr_error_clear(err);
    vsr_report_rows rows = {0}, problems = {0};
    vsr_report_table *ablation = NULL, *abl_own = NULL;
    struct tables tabs = {0};
    struct images ims = {0};
    size_t *groups = NULL, ngroups = 0;
    vsr_report_tune_set *tune = NULL;
    size_t ntune = 0;
    vsr_report_row *grp = NULL;
    vsr_report_train_run *train = NULL;
    size_t ntrain = 0;
    FILE *f = NULL;
    vsr_atomic_file af = {0};
    char path[4096], plotdir[4096];
    int rc, gnuplot_missing = 0, plots = o->plots, made_out = 0;
    vsr_report_plot_opts po = o->plot; /* with one gnuplot for every plot (po.gp) */
    po.gp = NULL;

    if ((rc = check_db_safe(o, err)) ||
        (rc = vsr_report_db_rows(o->db, !o->all_runs, &rows, err)))
        goto fail;
    if ((rc = vsr_report_rows_filter(&rows, o->filter, err)))
        goto done;
    /* A bad --base is a usage error found before anything is written. */
    if (o->base && (rc = build_ablation(o, &rows, &abl_own, err)))
        goto fail;
    /* failed and skipped runs have no channel: the other keys of --filter */
    static const char *const run_keys[] = {"model",       "variant", "precision", "dataset",
                                           "degradation", "sweep",   "host",      "threads",
                                           "tile",        "pad",     NULL};
    char pfilter[1024];
    sub_filter(o->filter, run_keys, pfilter, sizeof(pfilter));
    if ((rc = vsr_report_db_problems(o->db, !o->all_runs, &problems, err)) ||
        (rc = vsr_report_rows_filter(&problems, pfilter, err)))
        goto fail;
    /* Training runs (schema v4) are not filtered: --filter keys are run axes. */
    if ((rc = vsr_report_db_train(o->db, !o->all_runs, &train, &ntrain, err)))
        goto fail;
    if ((rc = vsr_report_db_tune(o->db, &tune, &ntune, err)))
        goto fail;
    size_t ntune_kept = 0;
    for (size_t i = 0; i < ntune; i++)
        ntune_kept += tune_kept(o->filter, &tune[i]);
    if (!rows.n && !ntrain && !ntune_kept) {
        vsr_error_set(err, -ENODATA,
                      "%s: no finished runs%s%s (run 'vsrbench run CONFIG' first)", o->db,
                      o->filter ? " match --filter " : "", o->filter ? o->filter : "");
        goto fail;
    }
    if (!rows.n && !ntrain) /* (a training-only log is the training report) */
        vsr_log(VSR_LOG_WARNING,
                "%s: no finished runs%s%s; the report holds the tune results only", o->db,
                o->filter ? " match --filter " : "", o->filter ? o->filter : "");
    snprintf(plotdir, sizeof(plotdir), "%s/plots", o->out);
    struct stat st_out;
    made_out = stat(o->out, &st_out) != 0;
    if ((rc = vsr_mkdir_p(o->out, err)) || (plots && (rc = vsr_mkdir_p(plotdir, err))))
        goto fail;
    if (o->formats & VSR_REPORT_CSV) {
        snprintf(path, sizeof(path), "%s/csv", o->out);
        if ((rc = vsr_mkdir_p(path, err)))
            goto fail;
    }
    if ((rc = vsr_report_group_keys(rows.v, rows.n, &groups, &ngroups, err)))
        goto fail;
    grp = malloc((rows.n ? rows.n : 1) * sizeof(*grp));
    if (!grp) {
        vsr_error_set(err, -ENOMEM, "report: out of memory");
        goto fail;
    }

    /* Tables: one leaderboard per (dataset, channel), research log, ablation. */
    for (size_t g = 0; g < ngroups; g++) {
        size_t n = group_rows(&rows, &rows.v[groups[g]], grp, rows.n);
        vsr_report_table *t = tables_new(&tabs);
        if (!t || (rc = vsr_report_table_leaderboard(grp, n, VSR_REPORT_DISPLAY, t, err)))
            goto fail_mem;
        /* the phones' figures beside the x86 ms (run log v11; none: no column) */
        vsr_report_devices dev = {0};
        if ((rc = vsr_report_db_devices(o->db, grp, n, &dev, err)) ||
            (rc = vsr_report_leaderboard_add_devices(t, grp, n, VSR_REPORT_DISPLAY, &dev,
                                                     err))) {
            vsr_report_devices_free(&dev);
            goto fail;
        }
        if (o->formats & VSR_REPORT_CSV) {
            /* the leaderboard's data, with the device columns too */
            vsr_report_table data;
            if ((rc = vsr_report_table_leaderboard(grp, n, VSR_REPORT_DATA, &data, err)) ||
                (rc = vsr_report_leaderboard_add_devices(&data, grp, n, VSR_REPORT_DATA, &dev,
                                                         err))) {
                vsr_report_devices_free(&dev);
                vsr_report_table_free(&data);
                goto fail;
            }
            char name[256];
            safe_name(name, sizeof(name), data.id);
            snprintf(path, sizeof(path), "%s/csv/%s.csv", o->out, name);
            rc = write_csv(&data, path, o->list, err);
            vsr_report_table_free(&data);
            if (rc) {
                vsr_report_devices_free(&dev);
                goto fail;
            }
        }
        vsr_report_devices_free(&dev);
        if (ablation || abl_own) {
            /* --base: every row against the base, with its interval */
            vsr_report_frame_point *pts = NULL;
            size_t npts = 0;
            if (vsr_report_db_frames(o->db, grp, n, &pts, &npts, err)) {
                vsr_log(VSR_LOG_WARNING, "%s (leaderboard without intervals)", err->msg);
                vsr_error_clear(err);
            }
            rc = vsr_report_leaderboard_add_base(t, grp, n, o->base, pts, npts, err);
            free(pts);
            if (rc)
                goto fail;
        }
        /* NTIRE ESR's efficiency columns at the reference sizes, beside it */
        t = tables_new(&tabs);
        if (!t || (rc = vsr_report_table_context(grp, n, t, err)))
            goto fail_mem;
        /* the tables a group may lack (-ENODATA): per clip for video sets
         * (reports/clips.c), any other metric of the run log by name
         * (reports/scores.c) */
        static int (*const maybe[])(const char *, const vsr_report_row *, size_t,
                                    vsr_report_table *, vsr_error *) = {
            vsr_report_table_clips, vsr_report_table_scores, vsr_report_table_precision_drop};
        for (size_t k = 0; k < sizeof(maybe) / sizeof(maybe[0]); k++) {
            if (!(t = tables_new(&tabs)) ||
                ((rc = maybe[k](o->db, grp, n, t, err)) && rc != -ENODATA))
                goto fail_mem;
            if (rc == -ENODATA) {
                free(tabs.v[--tabs.n]);
                rc = 0;
            }
        }
    }
    if (rows.n) {
        vsr_report_table *t = tables_new(&tabs);
        if (!t || (rc = vsr_report_table_research(rows.v, rows.n, t, err)))
            goto fail_mem;
        if (ngroups > 1) {
            t = tables_new(&tabs);
            if (!t || (rc = vsr_report_table_summary(rows.v, rows.n, t, err)))
                goto fail_mem;
        }
    }
    if (abl_own) {
        /* owned by tabs from here on (also when adding fails); the plot reads it */
        ablation = abl_own;
        abl_own = NULL;
        if ((rc = tables_add(&tabs, ablation)))
            goto fail_mem;
    }
    if (problems.n) {
        vsr_report_table *t = tables_new(&tabs);
        if (!t || (rc = vsr_report_table_problems(problems.v, problems.n, t, err)))
            goto fail_mem;
    }
    for (size_t i = 0; i < ntune; i++) {
        if (!tune_kept(o->filter, &tune[i]))
            continue;
        vsr_report_table *t = tables_new(&tabs);
        if (!t || (rc = vsr_report_table_tune(&tune[i], t, err)))
            goto fail_mem;
    }
    if (ntrain) {
        vsr_report_table *t = tables_new(&tabs);
        if (!t || (rc = vsr_report_table_train(train, ntrain, t, err)))
            goto fail_mem;
    }
    /* CSV of the research, ablation and training tables too (display text). */
    for (size_t i = 0; i < tabs.n && (o->formats & VSR_REPORT_CSV); i++) {
        if (!strncmp(tabs.v[i]->id, "leaderboard_", 12))
            continue;
        snprintf(path, sizeof(path), "%s/csv/%s.csv", o->out, tabs.v[i]->id);
        if ((rc = write_csv(tabs.v[i], path, o->list, err)))
            goto fail;
    }
    static const struct {
        unsigned bit;
        const char *file;
    } whole[] = {{VSR_REPORT_MD, "report.md"}, {VSR_REPORT_TEX, "report.tex"}};
    for (size_t k = 0; k < 2; k++) {
        if (!(o->formats & whole[k].bit))
            continue;
        snprintf(path, sizeof(path), "%s/%s", o->out, whole[k].file);
        if (vsr_atomic_open(&af, path, err))
            goto fail;
        f = af.f;
        if (whole[k].bit == VSR_REPORT_MD) {
            fprintf(f, "# vsrbench report\n\nFrom `%s`, %zu row(s)%s%s", o->db, rows.n,
                    o->filter ? ", filter " : "", o->filter ? o->filter : "");
            if (!rows.n && !ntrain)
                fputs(" (no finished runs: tune results only)", f);
            if (problems.n)
                fprintf(f, ", %zu failed or skipped run(s)", problems.n);
            if (ntrain)
                fprintf(f, ", %zu training run(s)", ntrain);
            fputs(".\n\n", f);
        } else
            fputs("% vsrbench report; needs \\usepackage{booktabs}\n", f);
        for (size_t i = 0; i < tabs.n && !rc; i++)
            rc =
                vsr_report_table_write(f, tabs.v[i], (enum vsr_report_format)whole[k].bit, err);
        f = NULL;
        if (rc)
            vsr_atomic_abort(&af);
        else
            rc = vsr_atomic_commit(&af, err);
        if (rc)
            goto fail;
        if (o->list)
            fprintf(o->list, "%s\n", path);
    }

    snprintf(path, sizeof(path), "%s/report.json", o->out);
    if ((o->formats & VSR_REPORT_JSON) &&
        (rc = vsr_report_json_tables(path, o->db, (const vsr_report_table *const *)tabs.v,
                                     tabs.n, err)))
        goto fail;
    if ((o->formats & VSR_REPORT_JSON) && o->list)
        fprintf(o->list, "%s\n", path);
    /* Plots. */
    if (plots && !vsr_report_gnuplot_available()) {
        vsr_log(VSR_LOG_WARNING, "gnuplot is not on PATH, so no plots: install it with "
                                 "'apt-get install gnuplot-nox'; tables are still written");
        plots = 0;
    }
    if (plots && vsr_report_gnuplot_open(&po.gp, err) < 0) {
        /* none yet: the plots report why, one process each */
        vsr_log(VSR_LOG_INFO, "%s", err->msg);
        vsr_error_clear(err);
        po.gp = NULL;
    }
    for (size_t g = 0; plots && g < ngroups && !gnuplot_missing; g++) {
        const vsr_report_row *k = &rows.v[groups[g]];
        size_t n = group_rows(&rows, k, grp, rows.n);
        char tag[192], name[512], title[512];
        vsr_report_group_tag(k, tag, sizeof(tag));
        /* "vid4 (BIx4, Y)" */
        char what[200];
        if (k->degradation[0])
            snprintf(what, sizeof(what), "%s (%sx4, %s)", k->dataset, k->degradation,
                     k->channel);
        else
            snprintf(what, sizeof(what), "%s (%s)", k->dataset, k->channel);
        snprintf(name, sizeof(name), "pareto_%s", tag);
        snprintf(title, sizeof(title), "%s: PSNR vs runtime, Pareto front", what);
        rc = vsr_report_plot_pareto(plotdir, name, title, grp, n, &po, err);
        if ((rc = plot_done(rc, err, &ims, name, title, &gnuplot_missing)))
            goto fail_mem;
        snprintf(name, sizeof(name), "params_%s", tag);
        snprintf(title, sizeof(title), "%s: PSNR vs parameters", what);
        rc = vsr_report_plot_params(plotdir, name, title, grp, n, &po, err);
        if ((rc = plot_done(rc, err, &ims, name, title, &gnuplot_missing)))
            goto fail_mem;
        /* Per-frame curves of the 8 best rows, one plot per clip. */
        size_t top = group_rows(&rows, k, grp, 8);
        /* ... and bicubic, the reference, even when it is not among them */
        for (size_t j = top; j < n; j++)
            if (!strcasecmp(grp[j].model, "bicubic")) {
                vsr_report_row t = grp[top];
                grp[top] = grp[j];
                grp[j] = t;
                top++;
                break;
            }
        vsr_report_frame_point *pts = NULL, *sub = NULL;
        size_t npts = 0;
        if ((rc = vsr_report_db_frames(o->db, grp, top, &pts, &npts, err))) {
            vsr_log(VSR_LOG_WARNING, "%s", err->msg);
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
            snprintf(title, sizeof(title), "%s, clip %s: per-frame PSNR", what, pts[i].clip);
            rc = vsr_report_plot_frames(plotdir, name, title, grp, top, sub, m, &po, err);
            if ((rc = plot_done(rc, err, &ims, name, title, &gnuplot_missing)))
                break;
        }
        free(sub);
        free(pts);
        if (rc)
            goto fail_mem;
    }
    if (plots && ablation && !gnuplot_missing) {
        char title[256];
        snprintf(title, sizeof(title), "Ablation against %s", o->base);
        rc = vsr_report_plot_ablation(plotdir, "ablation", title, ablation, &po, err);
        if ((rc = plot_done(rc, err, &ims, "ablation", title, &gnuplot_missing)))
            goto fail_mem;
    }
    if (plots && !gnuplot_missing) {
        for (size_t i = 0; i < ntune && !gnuplot_missing; i++) {
            if (!tune_kept(o->filter, &tune[i]))
                continue;
            char name[512], title[512], raw[512];
            snprintf(raw, sizeof(raw), "tune_%s_%s_%s_%s", tune[i].model, tune[i].variant,
                     tune[i].precision, tune[i].dataset);
            safe_name(name, sizeof(name), raw);
            snprintf(title, sizeof(title),
                     "Tune %s%s%s %s on %s: ms/frame by tile x pad%s%.200s%s", tune[i].model,
                     tune[i].variant[0] ? "/" : "", tune[i].variant, tune[i].precision,
                     tune[i].dataset, tune[i].score[0] ? " (score " : "", tune[i].score,
                     tune[i].score[0] ? ")" : "");
            rc = vsr_report_plot_tune(plotdir, name, title, tune[i].pts, tune[i].n, &po, err);
            if ((rc = plot_done(rc, err, &ims, name, title, &gnuplot_missing)))
                goto fail_mem;
        }
    }
    if (plots && !gnuplot_missing && ntrain) {
        const char *title = "Training loss vs step (log scale)";
        rc = vsr_report_plot_train_loss(plotdir, "train_loss", title, train, ntrain, &po, err);
        if ((rc = plot_done(rc, err, &ims, "train_loss", title, &gnuplot_missing)))
            goto fail_mem;
        title = "Validation Y-PSNR vs step (demo clips)";
        if (!gnuplot_missing) {
            rc = vsr_report_plot_train_val(plotdir, "train_val_psnr", title, train, ntrain, &po,
                                           err);
            if ((rc = plot_done(rc, err, &ims, "train_val_psnr", title, &gnuplot_missing)))
                goto fail_mem;
        }
    }
    if (o->crop_gt) {
        snprintf(path, sizeof(path), "%s/crops.png", o->out);
        rc = vsr_report_crops_make(o->crop_gt, o->crop_lr, o->sr_dirs, o->sr_labels, o->nsr,
                                   o->crop_frame, o->crop_x, o->crop_y, o->crop_w, o->crop_h,
                                   o->crop_zoom, path, err);
        if (rc)
            goto fail;
        /* (listed with the plots at the end) */
        if ((rc = images_add(&ims, "crops.png", "Visual crops: GT | bicubic | models")))
            goto fail_mem;
    }
    if (o->formats & VSR_REPORT_HTML) {
        snprintf(path, sizeof(path), "%s/index.html", o->out);
        char sub[1024];
        snprintf(sub, sizeof(sub),
                 "From %s: %zu row(s)%s%s. PSNR/SSIM as BasicSR (mean of "
                 "clip means); ms per LR frame.",
                 o->db, rows.n, o->filter ? ", filter " : "", o->filter ? o->filter : "");
        if ((rc = vsr_report_html_write(path, "vsrbench report", sub,
                                        (const vsr_report_table *const *)tabs.v, tabs.n, ims.v,
                                        ims.n, err)))
            goto fail;
        if (o->list)
            fprintf(o->list, "%s\n", path);
    }
    for (size_t i = 0; i < ims.n; i++)
        if (o->list)
            fprintf(o->list, "%s/%s\n", o->out, ims.v[i].src);
    rc = 0;
    goto done;
fail_mem:
    if (!err->msg[0])
        vsr_error_set(err, -ENOMEM, "report: out of memory");
fail:
    rc = err->code ? err->code : -EIO;
done:
    vsr_report_gnuplot_close(&po.gp);
    if (f)
        vsr_atomic_abort(&af);
    if (rc && made_out) {
        /* a failed first report leaves no empty folders behind (rmdir only
         * removes empty ones: files already complete stay) */
        snprintf(path, sizeof(path), "%s/csv", o->out);
        rmdir(path);
        rmdir(plotdir);
        rmdir(o->out);
    }
    free(grp);
    free(groups);
    vsr_report_tune_sets_free(tune, ntune);
    vsr_report_train_free(train, ntrain);
    images_free(&ims);
    tables_free(&tabs);
    vsr_report_rows_free(&rows);
    vsr_report_rows_free(&problems);
    if (abl_own) {
        vsr_report_table_free(abl_own);
        free(abl_own);
    }
    return rc;
}
