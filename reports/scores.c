/*
 * The scores a leaderboard has no column for, by name: every (metric,
 * channel) of the run log's clip_scores (schema v10) other than the
 * leaderboard's own PSNR, SSIM and NIQE, pivoted into one column each. A
 * metric added to the registry (metrics/registry.c) shows up here with no
 * change in reports/: the names come from the run log, the direction from
 * the registry.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sqlite3.h>

#include "reports_internal.h"
#include "vsr/metrics.h"

enum { MAX_SCORES = 32 };

/* The leaderboard's own columns (vsr_report_row psnr, ssim, niqe). */
static int has_column(const char *metric)
{
    return !strcmp(metric, "psnr") || !strcmp(metric, "ssim") || !strcmp(metric, "niqe");
}

/* Does a score of @p channel belong to a row of channel @p row_channel ("RGB", "Y")?
 * A metric with one channel ('') belongs to both, as NIQE does. */
static int channel_matches(const char *channel, const char *row_channel)
{
    return !channel[0] || !strcasecmp(channel, row_channel);
}

int vsr_report_table_scores(const char *db_path, const vsr_report_row *rows, size_t n,
                            vsr_report_table *out, vsr_error *err)
{
    memset(out, 0, sizeof(*out));
    if (n == 0)
        return -ENODATA;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char names[MAX_SCORES][48], metric_of[MAX_SCORES][32];
    double *v = calloc(n * MAX_SCORES, sizeof(*v));
    int ns = 0, rc = 0;
    if (!v)
        return vsr_error_set(err, -ENOMEM, "scores table: out of memory");
    for (size_t i = 0; i < n * MAX_SCORES; i++)
        v[i] = NAN;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(
            db,
            "SELECT metric, channel, avg(value), max(is_inf) FROM clip_scores"
            " WHERE run_id = ?1 GROUP BY metric, channel ORDER BY metric, channel",
            -1, &st, NULL) != SQLITE_OK) {
        rc = -ENODATA; /* a run log before v10: every score has its column */
        goto done;
    }
    for (size_t r = 0; r < n; r++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, rows[r].run_id);
        int s;
        while ((s = sqlite3_step(st)) == SQLITE_ROW) {
            const char *m = (const char *)sqlite3_column_text(st, 0);
            const char *ch = (const char *)sqlite3_column_text(st, 1);
            if (!m || !ch || has_column(m) || !channel_matches(ch, rows[r].channel))
                continue;
            char name[48];
            vsr_metrics_score_name(m, ch[0] ? ch : NULL, name, sizeof(name));
            int k = 0;
            while (k < ns && strcmp(names[k], name))
                k++;
            if (k == ns) {
                if (ns == MAX_SCORES)
                    continue;
                snprintf(names[ns], sizeof(names[ns]), "%s", name);
                snprintf(metric_of[ns], sizeof(metric_of[ns]), "%s", m);
                ns++;
            }
            v[r * MAX_SCORES + (size_t)k] = sqlite3_column_int(st, 3) ? INFINITY
                                            : sqlite3_column_type(st, 2) == SQLITE_NULL
                                                ? NAN
                                                : sqlite3_column_double(st, 2);
        }
        if (s != SQLITE_DONE) {
            rc = vsr_error_set(err, -EIO, "%s: reading clip_scores: %s", db_path,
                               sqlite3_errmsg(db));
            goto done;
        }
    }
    if (ns == 0) {
        rc = -ENODATA;
        goto done;
    }
    /* Model, Variant, Precision, then one column per score */
    const int ncols = 3 + ns;
    const char *hp[3 + MAX_SCORES] = {"Model", "Variant", "Precision"};
    unsigned char num[3 + MAX_SCORES] = {0};
    for (int k = 0; k < ns; k++)
        hp[3 + k] = names[k], num[3 + k] = 1;
    char tag[192], id[256], title[256];
    vsr_report_group_tag(&rows[0], tag, sizeof(tag));
    snprintf(id, sizeof(id), "scores_%s", tag);
    snprintf(title, sizeof(title),
             "More metrics: %s%s%s%s, channel %s (mean of the clip means, by name)",
             rows[0].dataset, rows[0].degradation[0] ? " (" : "", rows[0].degradation,
             rows[0].degradation[0] ? ")" : "", rows[0].channel);
    if ((rc = vsr_report_table_init(out, id, title, ncols, hp, num, n, err)))
        goto done;
    for (size_t r = 0; r < n && !rc; r++) {
        char buf[64];
        rc = vsr_report_table_set(out, r, 0, NAN, rows[r].model);
        if (!rc)
            rc = vsr_report_table_set(out, r, 1, NAN,
                                      rows[r].variant[0] ? rows[r].variant : "-");
        if (!rc)
            rc = vsr_report_table_set(out, r, 2, NAN, rows[r].precision);
        for (int k = 0; k < ns && !rc; k++) {
            double x = v[r * MAX_SCORES + (size_t)k];
            vsr_report_fmt(buf, sizeof(buf), x, 4);
            rc = vsr_report_table_set(out, r, 3 + k, x, buf);
        }
    }
    if (rc) {
        vsr_report_table_free(out);
        rc = vsr_error_set(err, -ENOMEM, "scores table: out of memory");
        goto done;
    }
    for (int k = 0; k < ns; k++) {
        const vsr_metric *m = vsr_metrics_find(metric_of[k]);
        vsr_report_table_mark_best(out, 3 + k, m ? m->higher_better : 1, 4);
    }
done:
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(v);
    return rc;
}
