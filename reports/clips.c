/*
 * The per-clip table of a video set (Vid4: calendar, city, foliage, walk;
 * REDS4: 000, 011, 015, 020): PSNR / SSIM of every clip and their mean per
 * model and precision, from clip_metrics, with MMagic's column labels.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sqlite3.h>

#include "reports_internal.h"

enum { MAX_CLIPS = 64 };

/* One kept row: its clip values, NAN where the run has no such clip. */
struct clip_row {
    const vsr_report_row *r;
    double psnr[MAX_CLIPS], ssim[MAX_CLIPS];
};

/* "Vid4", "REDS4": the spelling of the papers and MMagic; others as named. */
static const char *dataset_label(const char *name)
{
    static const char *const known[] = {"Vid4", "REDS4", "SPMCS", "UDM10", "Vimeo90K-T"};
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (!strcasecmp(name, known[i]))
            return known[i];
    return name;
}

/* Index of clip @p name in @p names (appended in sorted position when new);
 * -1 when there are MAX_CLIPS already. */
static int clip_index(char names[][64], int *n, const char *name)
{
    int i = 0;
    while (i < *n && strcmp(names[i], name) < 0)
        i++;
    if (i < *n && !strcmp(names[i], name))
        return i;
    if (*n == MAX_CLIPS)
        return -1;
    memmove(names[i + 1], names[i], (size_t)(*n - i) * sizeof(names[0]));
    snprintf(names[i], sizeof(names[0]), "%s", name);
    (*n)++;
    return i;
}

/* The same model, variant and precision: one row of the table. */
static int same_entry(const vsr_report_row *a, const vsr_report_row *b)
{
    return !strcmp(a->model, b->model) && !strcmp(a->variant, b->variant) &&
           !strcmp(a->precision, b->precision);
}

/* MMagic's label of a value column: "Vid4 (BIx4) PSNR (Y)" for the mean,
 * "calendar PSNR (Y)" for a clip (@p clip not NULL). */
static void label(char *buf, size_t cap, const vsr_report_row *g, int scale, const char *clip,
                  const char *metric)
{
    char what[160];
    if (clip)
        snprintf(what, sizeof(what), "%s", clip);
    else if (g->degradation[0] && scale > 0)
        snprintf(what, sizeof(what), "%s (%sx%d)", dataset_label(g->dataset), g->degradation,
                 scale);
    else if (g->degradation[0])
        snprintf(what, sizeof(what), "%s (%s)", dataset_label(g->dataset), g->degradation);
    else
        snprintf(what, sizeof(what), "%s", dataset_label(g->dataset));
    snprintf(buf, cap, "%s %s (%s)", what, metric, g->channel);
}

/* The table: Model, Precision, then PSNR and SSIM of each clip, then the means. */
static int build(vsr_report_table *t, const vsr_report_row *g, const struct clip_row *kept,
                 size_t nk, char names[][64], int nclips, int scale, vsr_error *err)
{
    const int ncols = 2 + 2 * nclips + 2;
    char(*hdr)[192] = calloc((size_t)ncols, sizeof(*hdr));
    const char **hp = calloc((size_t)ncols, sizeof(*hp));
    unsigned char *num = calloc((size_t)ncols, 1);
    int rc = 0;
    if (!hdr || !hp || !num) {
        rc = vsr_error_set(err, -ENOMEM, "per-clip table: out of memory");
        goto done;
    }
    snprintf(hdr[0], sizeof(hdr[0]), "Model");
    snprintf(hdr[1], sizeof(hdr[1]), "Precision");
    for (int c = 0; c <= nclips; c++) {
        const char *clip = c < nclips ? names[c] : NULL;
        label(hdr[2 + 2 * c], sizeof(hdr[0]), g, scale, clip, "PSNR");
        label(hdr[3 + 2 * c], sizeof(hdr[0]), g, scale, clip, "SSIM");
        num[2 + 2 * c] = num[3 + 2 * c] = 1;
    }
    for (int c = 0; c < ncols; c++)
        hp[c] = hdr[c];
    char tag[192], id[256], title[512], what[192];
    vsr_report_group_tag(g, tag, sizeof(tag));
    snprintf(id, sizeof(id), "clips_%s", tag);
    label(what, sizeof(what), g, scale, NULL, "PSNR / SSIM");
    snprintf(title, sizeof(title), "Per clip: %s; the mean is the mean of the clip means",
             what);
    if ((rc = vsr_report_table_init(t, id, title, ncols, hp, num, nk, err)))
        goto done;
    for (size_t r = 0; r < nk && !rc; r++) {
        char lab[160], buf[64];
        vsr_report_row_label(kept[r].r, lab, sizeof(lab));
        rc = vsr_report_table_set(t, r, 0, NAN, lab);
        if (!rc)
            rc = vsr_report_table_set(t, r, 1, NAN, kept[r].r->precision);
        for (int c = 0; c <= nclips && !rc; c++) {
            double p = c < nclips ? kept[r].psnr[c] : kept[r].r->psnr;
            double s = c < nclips ? kept[r].ssim[c] : kept[r].r->ssim;
            /* 4 decimals, as MMagic's tables (CSV included); inf stays "inf" */
            if (isinf(p))
                snprintf(buf, sizeof(buf), "inf");
            else
                vsr_report_fmt(buf, sizeof(buf), p, 4);
            rc = vsr_report_table_set(t, r, 2 + 2 * c, p, buf);
            vsr_report_fmt(buf, sizeof(buf), s, 4);
            if (!rc)
                rc = vsr_report_table_set(t, r, 3 + 2 * c, s, buf);
        }
    }
    if (rc) {
        vsr_report_table_free(t);
        rc = vsr_error_set(err, -ENOMEM, "per-clip table: out of memory");
        goto done;
    }
    for (int c = 2; c < ncols; c++)
        vsr_report_table_mark_best(t, c, 1, 4);
done:
    free(hdr);
    free(hp);
    free(num);
    return rc;
}

int vsr_report_table_clips(const char *db_path, const vsr_report_row *rows, size_t n,
                           vsr_report_table *out, vsr_error *err)
{
    memset(out, 0, sizeof(*out));
    if (n == 0)
        return -ENODATA;
    int y = !strcmp(rows[0].channel, "Y");
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    struct clip_row *kept = calloc(n, sizeof(*kept));
    char(*names)[64] = calloc(MAX_CLIPS, sizeof(*names));
    int nclips = 0, scale = 0, rc = 0;
    size_t nk = 0;
    if (!kept || !names) {
        rc = vsr_error_set(err, -ENOMEM, "per-clip table: out of memory");
        goto done;
    }
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT c.clip, c.psnr_rgb, c.psnr_rgb_inf, c.psnr_y, c.psnr_y_inf,"
                           " c.ssim_rgb, c.ssim_y, r.scale FROM clip_metrics c"
                           " JOIN runs r ON r.id = c.run_id WHERE c.run_id = ?1",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = vsr_error_set(err, -EINVAL, "%s: cannot read clip_metrics: %s", db_path,
                           db ? sqlite3_errmsg(db) : "out of memory");
        goto done;
    }
    /* one row per model/variant/precision: the untiled run when there is one */
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < nk && !same_entry(kept[k].r, &rows[i]))
            k++;
        if (k < nk && !(kept[k].r->tile != 0 && rows[i].tile == 0))
            continue;
        if (k == nk)
            nk++;
        kept[k].r = &rows[i];
    }
    /* pass 0 collects the clip names (sorted), pass 1 the values */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t k = 0; k < nk; k++) {
            for (int c = 0; pass == 1 && c < MAX_CLIPS; c++)
                kept[k].psnr[c] = kept[k].ssim[c] = NAN;
            sqlite3_reset(st);
            sqlite3_bind_int64(st, 1, kept[k].r->run_id);
            int s;
            while ((s = sqlite3_step(st)) == SQLITE_ROW) {
                const char *clip = (const char *)sqlite3_column_text(st, 0);
                int c = clip_index(names, &nclips, clip ? clip : "");
                if (c < 0 || pass == 0)
                    continue; /* past MAX_CLIPS: not a per-clip table's job */
                const int pc = y ? 3 : 1, ic = y ? 4 : 2, sc = y ? 6 : 5;
                double p = sqlite3_column_type(st, pc) == SQLITE_NULL
                               ? NAN
                               : sqlite3_column_double(st, pc);
                kept[k].psnr[c] = sqlite3_column_int(st, ic) ? INFINITY : p;
                kept[k].ssim[c] = sqlite3_column_type(st, sc) == SQLITE_NULL
                                      ? NAN
                                      : sqlite3_column_double(st, sc);
                scale = sqlite3_column_int(st, 7);
            }
            if (s != SQLITE_DONE) {
                rc = vsr_error_set(err, -EIO, "%s: reading clip_metrics: %s", db_path,
                                   sqlite3_errmsg(db));
                goto done;
            }
        }
    }
    if (nclips < 2) {
        rc = -ENODATA;
        goto done;
    }
    rc = build(out, rows, kept, nk, names, nclips, scale, err);
done:
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(kept);
    free(names);
    return rc;
}
