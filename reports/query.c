/*
 * Reading runs.db (the schema of bench/runlog.c, PRAGMA user_version >= 1)
 * read-only, into the in-memory row model. Nothing else in reports/ knows
 * SQL.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libfyaml.h>
#include <sqlite3.h>

#include "reports_internal.h"
#include "vsr/bench.h"

static int db_open(const char *path, sqlite3 **db, int *version, vsr_error *err)
{
    struct stat st;
    *db = NULL;
    if (stat(path, &st) != 0)
        return vsr_error_set(
            err, -ENOENT, "%s: no such run log (make one with 'vsrbench run CONFIG --db %s')",
            path, path);
    if (sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        int rc = vsr_error_set(err, -EIO, "%s: cannot open: %s", path,
                               *db ? sqlite3_errmsg(*db) : "out of memory");
        sqlite3_close(*db);
        *db = NULL;
        return rc;
    }
    sqlite3_busy_timeout(*db, 5000);
    /* not SQLite, or written by a newer vsrbench: the same line as `run` */
    int v = 0;
    int rc = vsr_runlog_read_version(*db, path, &v, err);
    if (rc == 0 && v < 1)
        rc = vsr_error_set(err, -EINVAL,
                           "%s: not a vsrbench run log (no schema); pass another --db", path);
    if (rc < 0) {
        sqlite3_close(*db);
        *db = NULL;
        return rc;
    }
    *version = v;
    return 0;
}

static void copy_text(char *dst, size_t cap, sqlite3_stmt *st, int col)
{
    const unsigned char *s = sqlite3_column_text(st, col);
    snprintf(dst, cap, "%s", s ? (const char *)s : "");
}

static double col_real(sqlite3_stmt *st, int col)
{
    return sqlite3_column_type(st, col) == SQLITE_NULL ? NAN : sqlite3_column_double(st, col);
}

static int col_int(sqlite3_stmt *st, int col, int missing)
{
    return sqlite3_column_type(st, col) == SQLITE_NULL ? missing : sqlite3_column_int(st, col);
}

/* Mean PSNR with the infinity flag: +inf if any clip was lossless. */
static double psnr_mean(sqlite3_stmt *st, int col, int inf_col)
{
    if (col_int(st, inf_col, 0) > 0)
        return INFINITY;
    return col_real(st, col);
}

/* Row @p r for one channel (RGB or Y) with its figures, appended to @p rows. */
static int push_channel(vsr_report_rows *rows, const vsr_report_row *r, const char *channel,
                        double psnr, double ssim, double niqe, vsr_error *err)
{
    vsr_report_row c = *r;
    snprintf(c.channel, sizeof(c.channel), "%s", channel);
    c.psnr = psnr;
    c.ssim = ssim;
    c.niqe = niqe;
    return vsr_report_rows_push(rows, &c, err);
}

static const char ROWS_SQL[] =
    "SELECT r.id, r.model, r.variant, r.precision, r.dataset, upper(r.degradation),"
    " r.tile, r.pad, r.threads, r.params, r.macs, r.input_w, r.input_h, r.isa, r.git_rev,"
    " r.calib_method, r.calib_frames, s.name, h.cpu_model, t.median_ms, t.p95_ms,"
    " c.prgb, c.prgb_inf, c.py, c.py_inf, c.srgb, c.sy, c.niqe, c.nrgb, c.ny, r.run_key, %s, "
    "%s,"
    " s.id, s.config_path, s.config_text, s.overrides, r.status, r.error"
    " FROM runs r JOIN sweeps s ON s.id = r.sweep_id"
    " LEFT JOIN hosts h ON h.id = r.host_id"
    " LEFT JOIN timings t ON t.run_id = r.id"
    " LEFT JOIN (SELECT run_id, avg(psnr_rgb) AS prgb, max(psnr_rgb_inf) AS prgb_inf,"
    "   avg(psnr_y) AS py, max(psnr_y_inf) AS py_inf, avg(ssim_rgb) AS srgb,"
    "   avg(ssim_y) AS sy, avg(niqe) AS niqe,"
    "   count(psnr_rgb) + sum(psnr_rgb_inf) + count(ssim_rgb) AS nrgb,"
    "   count(psnr_y) + sum(psnr_y_inf) + count(ssim_y) AS ny"
    "   FROM clip_metrics GROUP BY run_id) c ON c.run_id = r.id"
    " WHERE %s ORDER BY r.id";

/* The finished runs; with ?1, the newest ok run per run key. */
static const char WHERE_OK[] = "r.status = 'ok'"
                               " AND (?1 = 0 OR r.id = (SELECT max(id) FROM runs r2"
                               "      WHERE r2.run_key = r.run_key AND r2.status = 'ok'))";
/* Failed and skipped runs; with ?1, only where the newest row of the run key is one. */
static const char WHERE_PROBLEM[] =
    "r.status IN ('failed', 'skipped')"
    " AND (?1 = 0 OR r.id = (SELECT max(id) FROM runs r2 WHERE r2.run_key = r.run_key))";

/* The `frames:` limit of each dataset of one sweep, read from the config it
 * was run with (0 = all, or the config no longer loads). */
struct sweep_frames {
    int64_t id;
    int n;
    char names[16][64];
    int frames[16];
};

/* The scalar text of key @p key of mapping @p map, or NULL. */
static const char *map_scalar(struct fy_node *map, const char *key)
{
    if (!map || fy_node_get_type(map) != FYNT_MAPPING)
        return NULL;
    struct fy_node_pair *p = fy_node_mapping_lookup_pair_by_string(map, key, FY_NT);
    struct fy_node *v = p ? fy_node_pair_value(p) : NULL;
    return v && fy_node_get_type(v) == FYNT_SCALAR ? fy_node_get_scalar0(v) : NULL;
}

/*
 * Read the datasets' names and `frames:` straight from the YAML (the config
 * loader would also check that dataroots and weights exist, which they need
 * not where the report is made), then apply "datasets.N.frames=V" overrides.
 */
static void sweep_frames_load(struct sweep_frames *sf, int64_t id, const char *text,
                              const char *overrides)
{
    memset(sf, 0, sizeof(*sf));
    sf->id = id;
    struct fy_document *doc = NULL;
    if (!text || vsr_yaml_parse("config", text, strlen(text), &doc, NULL) != 0)
        return;
    struct fy_node *root = fy_document_root(doc);
    struct fy_node_pair *dp =
        root && fy_node_get_type(root) == FYNT_MAPPING
            ? fy_node_mapping_lookup_pair_by_string(root, "datasets", FY_NT)
            : NULL;
    struct fy_node *ds = dp ? fy_node_pair_value(dp) : NULL;
    int nds = ds && fy_node_get_type(ds) == FYNT_SEQUENCE ? fy_node_sequence_item_count(ds) : 0;
    for (int i = 0; i < nds && sf->n < 16; i++) {
        struct fy_node *d = fy_node_sequence_get_by_index(ds, i);
        const char *name = map_scalar(d, "name"), *frames = map_scalar(d, "frames");
        snprintf(sf->names[sf->n], sizeof(sf->names[0]), "%s", name ? name : "");
        sf->frames[sf->n++] = frames ? atoi(frames) : 0;
    }
    fy_document_destroy(doc);
    for (const char *p = overrides; p && *p;) {
        int idx, v, used = 0;
        if (sscanf(p, "datasets.%d.frames=%d%n", &idx, &v, &used) == 2 && used > 0 &&
            idx >= 0 && idx < sf->n)
            sf->frames[idx] = v;
        const char *nl = strchr(p, '\n');
        p = nl ? nl + 1 : NULL;
    }
}

/* Rows of the runs that @p where selects (WHERE_OK or WHERE_PROBLEM). */
static int read_rows(const char *path, const char *where, int latest_only,
                     vsr_report_rows *rows, vsr_error *err)
{
    sqlite3 *db;
    int version, rc = db_open(path, &db, &version, err);
    if (rc)
        return rc;
    sqlite3_stmt *st = NULL;
    struct sweep_frames sf = {.id = -1};
    /* schema v6: the median's interval and the noisy mark */
    char sql[sizeof(ROWS_SQL) + sizeof(WHERE_OK) + sizeof(WHERE_PROBLEM) + 320];
    /* schema v9: the model's description and figures at the reference sizes */
    snprintf(sql, sizeof(sql), ROWS_SQL,
             version >= 6 ? "t.median_lo_ms, t.median_hi_ms, t.noisy" : "NULL, NULL, 0",
             version >= 9 ? "r.description, r.params_log, r.flops_log, r.macs_180x320,"
                            " r.macs_256x256, r.conv_activations, r.n_conv, r.peak_bytes"
                          : "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL",
             where);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        rc = vsr_error_set(err, -EINVAL, "%s: unexpected run log schema (v%d): %s", path,
                           version, sqlite3_errmsg(db));
        goto done;
    }
    sqlite3_bind_int(st, 1, latest_only ? 1 : 0);
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        vsr_report_row r;
        vsr_report_row_init(&r);
        r.run_id = sqlite3_column_int64(st, 0);
        copy_text(r.model, sizeof(r.model), st, 1);
        copy_text(r.variant, sizeof(r.variant), st, 2);
        copy_text(r.precision, sizeof(r.precision), st, 3);
        copy_text(r.dataset, sizeof(r.dataset), st, 4);
        copy_text(r.degradation, sizeof(r.degradation), st, 5);
        r.tile = col_int(st, 6, -1);
        r.pad = col_int(st, 7, -1);
        r.threads = col_int(st, 8, -1);
        r.params = col_real(st, 9);
        r.macs = col_real(st, 10);
        r.in_w = col_int(st, 11, 0);
        r.in_h = col_int(st, 12, 0);
        copy_text(r.isa, sizeof(r.isa), st, 13);
        copy_text(r.git_rev, sizeof(r.git_rev), st, 14);
        char calib[64] = "";
        if (sqlite3_column_type(st, 15) != SQLITE_NULL) {
            snprintf(calib, sizeof(calib), "calib %s/%d", sqlite3_column_text(st, 15),
                     col_int(st, 16, 0));
            snprintf(r.calib, sizeof(r.calib), "%.24s/%d", sqlite3_column_text(st, 15),
                     col_int(st, 16, 0));
        }
        copy_text(r.sweep, sizeof(r.sweep), st, 17);
        copy_text(r.host, sizeof(r.host), st, 18);
        r.ms_median = col_real(st, 19);
        r.ms_p95 = col_real(st, 20);
        copy_text(r.run_key, sizeof(r.run_key), st, 30);
        r.ms_lo = col_real(st, 31);
        r.ms_hi = col_real(st, 32);
        r.noisy = col_int(st, 33, 0);
        if (sqlite3_column_type(st, 34) != SQLITE_NULL)
            copy_text(r.description, sizeof(r.description), st, 34);
        else
            snprintf(r.description, sizeof(r.description), "%s%s%s", r.sweep,
                     calib[0] ? ", " : "", calib);
        double *fig[] = {&r.params_log,       &r.flops_log, &r.macs_180x320, &r.macs_256x256,
                         &r.conv_activations, &r.n_conv,    &r.peak_bytes};
        for (int k = 0; k < 7; k++)
            *fig[k] = col_real(st, 35 + k);
        int64_t sweep_id = sqlite3_column_int64(st, 42);
        if (sweep_id != sf.id)
            sweep_frames_load(&sf, sweep_id, (const char *)sqlite3_column_text(st, 44),
                              (const char *)sqlite3_column_text(st, 45));
        for (int i = 0; i < sf.n; i++)
            if (!strcmp(sf.names[i], r.dataset))
                r.frames = sf.frames[i];
        copy_text(r.status, sizeof(r.status), st, 46);
        copy_text(r.error, sizeof(r.error), st, 47);
        int nrgb = col_int(st, 28, 0), ny = col_int(st, 29, 0);
        double niqe = col_real(st, 27);
        if (where == WHERE_PROBLEM) {
            if ((rc = vsr_report_rows_push(rows, &r, err)))
                goto done;
            continue;
        }
        if ((nrgb > 0 || ny == 0) && (rc = push_channel(rows, &r, "RGB", psnr_mean(st, 21, 22),
                                                        col_real(st, 25), niqe, err)))
            goto done;
        if (ny > 0 && (rc = push_channel(rows, &r, "Y", psnr_mean(st, 23, 24), col_real(st, 26),
                                         niqe, err)))
            goto done;
    }
    if (s != SQLITE_DONE)
        rc = vsr_error_set(err, -EIO, "%s: reading runs: %s", path, sqlite3_errmsg(db));
done:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

int vsr_report_db_rows(const char *path, int latest_only, vsr_report_rows *rows, vsr_error *err)
{
    return read_rows(path, WHERE_OK, latest_only, rows, err);
}

int vsr_report_db_problems(const char *path, int latest_only, vsr_report_rows *rows,
                           vsr_error *err)
{
    return read_rows(path, WHERE_PROBLEM, latest_only, rows, err);
}

int vsr_report_db_frames(const char *path, const vsr_report_row *rows, size_t nrows,
                         vsr_report_frame_point **pts, size_t *npts, vsr_error *err)
{
    *pts = NULL;
    *npts = 0;
    sqlite3 *db;
    int version, rc = db_open(path, &db, &version, err);
    if (rc)
        return rc;
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    if (sqlite3_prepare_v2(
            db,
            "SELECT clip, frame, psnr_rgb, psnr_rgb_inf, psnr_y, psnr_y_inf,"
            " ssim_rgb, ssim_y, niqe FROM frame_metrics WHERE run_id = ?1 ORDER BY clip, frame",
            -1, &st, NULL) != SQLITE_OK) {
        rc = vsr_error_set(err, -EINVAL, "%s: unexpected frame_metrics schema: %s", path,
                           sqlite3_errmsg(db));
        goto done;
    }
    for (size_t r = 0; r < nrows && !rc; r++) {
        int y = !strcmp(rows[r].channel, "Y");
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, rows[r].run_id);
        int s;
        while ((s = sqlite3_step(st)) == SQLITE_ROW) {
            if (*npts == cap) {
                cap = cap ? cap * 2 : 256;
                vsr_report_frame_point *p = realloc(*pts, cap * sizeof(*p));
                if (!p) {
                    rc = vsr_error_set(err, -ENOMEM, "frame metrics: out of memory");
                    break;
                }
                *pts = p;
            }
            vsr_report_frame_point *p = &(*pts)[(*npts)++];
            p->row = r;
            copy_text(p->clip, sizeof(p->clip), st, 0);
            p->frame = sqlite3_column_int(st, 1);
            p->psnr = psnr_mean(st, y ? 4 : 2, y ? 5 : 3);
            p->ssim = col_real(st, y ? 7 : 6);
            p->niqe = col_real(st, 8);
        }
        if (!rc && s != SQLITE_DONE)
            rc = vsr_error_set(err, -EIO, "%s: reading frame_metrics: %s", path,
                               sqlite3_errmsg(db));
    }
done:
    if (rc) {
        free(*pts);
        *pts = NULL;
        *npts = 0;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

void vsr_report_tune_sets_free(vsr_report_tune_set *sets, size_t nsets)
{
    if (!sets)
        return;
    for (size_t i = 0; i < nsets; i++)
        free(sets[i].pts);
    free(sets);
}

int vsr_report_db_tune(const char *path, vsr_report_tune_set **sets, size_t *nsets,
                       vsr_error *err)
{
    *sets = NULL;
    *nsets = 0;
    sqlite3 *db;
    int version, rc = db_open(path, &db, &version, err);
    if (rc)
        return rc;
    sqlite3_stmt *st = NULL;
    if (version < 2)
        goto done; /* no tune_results yet */
    /* The newest session (sweep) per key, in key order. The score columns
     * (tune --score, run log v14) are looked for by name, since their schema
     * number depends on the order branches were merged in. */
    char sql[1200];
    sqlite3_stmt *probe = NULL;
    int scored = sqlite3_prepare_v2(db, "SELECT score, niqe, score_formula FROM tune_results",
                                    -1, &probe, NULL) == SQLITE_OK;
    sqlite3_finalize(probe);
    snprintf(sql, sizeof(sql), "%s%s%s%s",
             "SELECT t.model, t.variant, t.precision, t.dataset, t.tile, t.pad, t.threads,"
             " t.ms, t.psnr_delta, ",
             version >= 6 ? "t.ms_lo, t.ms_hi, t.noisy" : "NULL, NULL, 0",
             scored ? ", t.score, t.niqe, t.score_formula" : ", NULL, NULL, NULL",
             " FROM tune_results t"
             " WHERE t.sweep_id = (SELECT max(sweep_id) FROM tune_results u"
             "   WHERE u.model = t.model AND u.variant = t.variant"
             "   AND u.precision = t.precision AND u.dataset = t.dataset)"
             " ORDER BY t.model, t.variant, t.precision, t.dataset, t.threads, t.tile, t.pad,"
             " t.id");
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        rc = vsr_error_set(err, -EINVAL, "%s: unexpected tune_results schema: %s", path,
                           sqlite3_errmsg(db));
        goto done;
    }
    size_t cap_sets = 0, cap_pts = 0;
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        char model[64], variant[64], precision[32], dataset[64];
        copy_text(model, sizeof(model), st, 0);
        copy_text(variant, sizeof(variant), st, 1);
        copy_text(precision, sizeof(precision), st, 2);
        copy_text(dataset, sizeof(dataset), st, 3);
        vsr_report_tune_set *cur = *nsets ? &(*sets)[*nsets - 1] : NULL;
        if (!cur || strcmp(cur->model, model) || strcmp(cur->variant, variant) ||
            strcmp(cur->precision, precision) || strcmp(cur->dataset, dataset)) {
            if (*nsets == cap_sets) {
                cap_sets = cap_sets ? cap_sets * 2 : 4;
                vsr_report_tune_set *v = realloc(*sets, cap_sets * sizeof(*v));
                if (!v) {
                    rc = vsr_error_set(err, -ENOMEM, "tune results: out of memory");
                    goto done;
                }
                *sets = v;
            }
            cur = &(*sets)[(*nsets)++];
            memset(cur, 0, sizeof(*cur));
            memcpy(cur->model, model, sizeof(model));
            memcpy(cur->variant, variant, sizeof(variant));
            memcpy(cur->precision, precision, sizeof(precision));
            memcpy(cur->dataset, dataset, sizeof(dataset));
            cap_pts = 0;
        }
        if (cur->n == cap_pts) {
            cap_pts = cap_pts ? cap_pts * 2 : 16;
            vsr_report_tune_point *p = realloc(cur->pts, cap_pts * sizeof(*p));
            if (!p) {
                rc = vsr_error_set(err, -ENOMEM, "tune results: out of memory");
                goto done;
            }
            cur->pts = p;
        }
        vsr_report_tune_point *p = &cur->pts[cur->n++];
        p->tile = sqlite3_column_int(st, 4);
        p->pad = sqlite3_column_int(st, 5);
        p->threads = sqlite3_column_int(st, 6);
        p->ms_median = col_real(st, 7);
        p->dpsnr = col_real(st, 8);
        p->ms_lo = col_real(st, 9);
        p->ms_hi = col_real(st, 10);
        p->noisy = col_int(st, 11, 0);
        p->score = col_real(st, 12);
        p->niqe = col_real(st, 13);
        if (sqlite3_column_type(st, 14) != SQLITE_NULL)
            copy_text(cur->score, sizeof(cur->score), st, 14);
    }
    if (s != SQLITE_DONE)
        rc = vsr_error_set(err, -EIO, "%s: reading tune_results: %s", path, sqlite3_errmsg(db));
done:
    if (rc) {
        vsr_report_tune_sets_free(*sets, *nsets);
        *sets = NULL;
        *nsets = 0;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

/* ---- training runs (schema v4) ------------------------------------------ */

void vsr_report_train_free(vsr_report_train_run *runs, size_t n)
{
    for (size_t i = 0; runs && i < n; i++) {
        free(runs[i].step);
        free(runs[i].loss);
        free(runs[i].val);
    }
    free(runs);
}

/* The curve of @p r from train_points (statement @p st prepared on it). */
static int load_points(sqlite3_stmt *st, vsr_report_train_run *r, vsr_error *err)
{
    size_t cap = 0;
    int s;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, r->id);
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        if (r->n == cap) {
            cap = cap ? 2 * cap : 256;
            long *a = realloc(r->step, cap * sizeof(*a));
            if (a)
                r->step = a;
            double *b = realloc(r->loss, cap * sizeof(*b));
            if (b)
                r->loss = b;
            double *c = realloc(r->val, cap * sizeof(*c));
            if (c)
                r->val = c;
            if (!a || !b || !c)
                return vsr_error_set(err, -ENOMEM, "training curve: out of memory");
        }
        r->step[r->n] = (long)sqlite3_column_int64(st, 0);
        r->loss[r->n] = col_real(st, 1);
        r->val[r->n] = col_real(st, 2);
        r->n++;
    }
    return s == SQLITE_DONE ? 0 : -EIO;
}

int vsr_report_db_train(const char *path, int latest_only, vsr_report_train_run **runs,
                        size_t *n, vsr_error *err)
{
    *runs = NULL;
    *n = 0;
    sqlite3 *db;
    int version, rc = db_open(path, &db, &version, err);
    if (rc)
        return rc;
    sqlite3_stmt *st = NULL, *pt = NULL;
    size_t cap = 0;
    if (version < 4)
        goto done; /* no training tables yet */
    if (sqlite3_prepare_v2(db,
                           "SELECT t.id, t.name, t.model, t.status, t.out_dir, t.steps,"
                           " t.final_step, t.wall_s, t.val_psnr_y, t.bicubic_psnr_y"
                           " FROM train_runs t WHERE (?1 = 0 OR t.id = (SELECT max(id)"
                           "   FROM train_runs u WHERE u.name = t.name AND"
                           "   u.out_dir = t.out_dir)) ORDER BY t.id",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT step, loss, val_psnr_y FROM train_points"
                           " WHERE train_run_id = ?1 ORDER BY step",
                           -1, &pt, NULL) != SQLITE_OK) {
        rc = vsr_error_set(err, -EINVAL, "%s: unexpected train_runs schema: %s", path,
                           sqlite3_errmsg(db));
        goto done;
    }
    sqlite3_bind_int(st, 1, latest_only ? 1 : 0);
    int s;
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 8;
            vsr_report_train_run *v = realloc(*runs, cap * sizeof(*v));
            if (!v) {
                rc = vsr_error_set(err, -ENOMEM, "training runs: out of memory");
                goto done;
            }
            *runs = v;
        }
        vsr_report_train_run *r = &(*runs)[(*n)++];
        memset(r, 0, sizeof(*r));
        r->id = sqlite3_column_int64(st, 0);
        copy_text(r->name, sizeof(r->name), st, 1);
        copy_text(r->model, sizeof(r->model), st, 2);
        copy_text(r->status, sizeof(r->status), st, 3);
        copy_text(r->out_dir, sizeof(r->out_dir), st, 4);
        r->steps = (long)sqlite3_column_int64(st, 5);
        r->final_step = (long)sqlite3_column_int64(st, 6);
        r->wall_s = col_real(st, 7);
        r->val_psnr = col_real(st, 8);
        r->bicubic_psnr = col_real(st, 9);
    }
    if (s != SQLITE_DONE) {
        rc = vsr_error_set(err, -EIO, "%s: reading train_runs: %s", path, sqlite3_errmsg(db));
        goto done;
    }
    for (size_t i = 0; i < *n && !rc; i++)
        if ((rc = load_points(pt, &(*runs)[i], err)) == -EIO)
            rc = vsr_error_set(err, -EIO, "%s: reading train_points: %s", path,
                               sqlite3_errmsg(db));
done:
    if (rc) {
        vsr_report_train_free(*runs, *n);
        *runs = NULL;
        *n = 0;
    }
    sqlite3_finalize(st);
    sqlite3_finalize(pt);
    sqlite3_close(db);
    return rc;
}

/* ---- phone timings (schema v11) ------------------------------------------ */

void vsr_report_devices_free(vsr_report_devices *d)
{
    free(d->names);
    free(d->ms);
    memset(d, 0, sizeof(*d));
}

int vsr_report_db_devices(const char *path, const vsr_report_row *rows, size_t n,
                          vsr_report_devices *out, vsr_error *err)
{
    enum { MAX_DEVICE_COLS = 16 };
    memset(out, 0, sizeof(*out));
    sqlite3 *db;
    int version, rc = db_open(path, &db, &version, err);
    if (rc)
        return rc;
    sqlite3_stmt *st = NULL;
    if (version < 11 || n == 0)
        goto done;
    out->names = calloc(MAX_DEVICE_COLS, sizeof(*out->names));
    out->ms = malloc(n * MAX_DEVICE_COLS * sizeof(*out->ms));
    if (!out->names || !out->ms) {
        rc = vsr_error_set(err, -ENOMEM, "device timings: out of memory");
        goto done;
    }
    for (size_t i = 0; i < n * MAX_DEVICE_COLS; i++)
        out->ms[i] = NAN;
    /* oldest first: a newer import of the same (run, device, backend) wins */
    if (sqlite3_prepare_v2(db,
                           "SELECT run_id, device, backend, mean_ms FROM run_device_timings"
                           " WHERE run_id = ?1 ORDER BY device, backend, id",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = vsr_error_set(err, -EINVAL, "%s: unexpected device_timings schema: %s", path,
                           sqlite3_errmsg(db));
        goto done;
    }
    for (size_t r = 0; r < n && !rc; r++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, rows[r].run_id);
        int s;
        while ((s = sqlite3_step(st)) == SQLITE_ROW) {
            const char *dev = (const char *)sqlite3_column_text(st, 1);
            const char *be = (const char *)sqlite3_column_text(st, 2);
            char name[256];
            snprintf(name, sizeof(name), "%s%s%s", dev ? dev : "", be && be[0] ? ", " : "",
                     be ? be : "");
            int k = 0;
            while (k < out->ncols && strcmp(out->names[k], name))
                k++;
            if (k == out->ncols) {
                if (k == MAX_DEVICE_COLS)
                    continue; /* (a report of 16 phones side by side is unreadable anyway) */
                memcpy(out->names[k], name, sizeof(name));
                out->ncols++;
            }
            out->ms[r * MAX_DEVICE_COLS + (size_t)k] = col_real(st, 3);
        }
        if (s != SQLITE_DONE)
            rc = vsr_error_set(err, -EIO, "%s: reading device_timings: %s", path,
                               sqlite3_errmsg(db));
    }
    if (!rc) {
        /* columns in name order, packed to ncols per row */
        int order[MAX_DEVICE_COLS];
        for (int k = 0; k < out->ncols; k++)
            order[k] = k;
        for (int a = 1; a < out->ncols; a++)
            for (int b = a; b > 0 && strcmp(out->names[order[b - 1]], out->names[order[b]]) > 0;
                 b--) {
                int x = order[b];
                order[b] = order[b - 1];
                order[b - 1] = x;
            }
        char(*names)[256] = calloc((size_t)(out->ncols ? out->ncols : 1), sizeof(*names));
        double *ms = malloc((n * (size_t)out->ncols + 1) * sizeof(*ms));
        if (!names || !ms) {
            free(names);
            free(ms);
            rc = vsr_error_set(err, -ENOMEM, "device timings: out of memory");
            goto done;
        }
        for (int k = 0; k < out->ncols; k++) {
            memcpy(names[k], out->names[order[k]], sizeof(names[k]));
            for (size_t r = 0; r < n; r++)
                ms[r * (size_t)out->ncols + (size_t)k] =
                    out->ms[r * MAX_DEVICE_COLS + (size_t)order[k]];
        }
        free(out->names);
        free(out->ms);
        out->names = names;
        out->ms = ms;
    }
done:
    if (rc)
        vsr_report_devices_free(out);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}
