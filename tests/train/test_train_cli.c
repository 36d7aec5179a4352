/*
 * `vsrbench train` and the run log: a tiny run writes one train_runs row and
 * one point per step (validation points where val.every says); a run
 * stopped early and resumed has the same curve as an uninterrupted one (the
 * interrupted attempt's points after the checkpoint go, a point the db lost
 * comes back from loss.tsv); a db that cannot be opened fails before any
 * training; a logger that fails mid-run does not lose the checkpoint; and
 * `--set hyperparameters.F=24` trains that MVSR variant.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli_harness.h"
#include "demo_harness.h"
#include "sqlite_harness.h"
#include "testutil.h"
#include "vsr/datasets.h"
#include "vsr/engine.h"
#include "vsr/train.h"

typedef vsr_test_train_env env;

/* ELSR, patch 12, batch 3, 8 steps, validation at 4 and 8 on 2 frames per clip. */
static void write_cfg(const env *e, const char *name, char *path, size_t cap)
{
    vsr_test_train_write_cfg(e, name, "threads: 1\nval: {every: 4, frames: 2}\nlog_every: 3\n",
                             path, cap);
}

static int train(const env *e, const char *cfg, const char *db, const char *a1, const char *a2)
{
    const char *args[] = {"train", cfg, "--db", db, a1, a2, NULL};
    return vsr_test_vsrbench(args, e->out, e->err, NULL);
}

static sqlite3 *open_db(const char *path)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

/* Loss of step @p step of the newest run named @p name (NAN when absent). */
static double loss_at(sqlite3 *db, const char *name, long step)
{
    char sql[300];
    snprintf(sql, sizeof(sql),
             "SELECT loss FROM train_points WHERE step = %ld AND train_run_id ="
             " (SELECT max(id) FROM train_runs WHERE name = '%s')",
             step, name);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    double v = NAN;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_double(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* trains write_cfg()'s run @p name (its config's path to @p cfg) into the db
 * "<tmp>/<db>" (its path to @p dbp); train()'s exit status */
static int train_fresh(const env *e, const char *name, const char *db, char cfg[512],
                       char dbp[512])
{
    write_cfg(e, name, cfg, 512);
    snprintf(dbp, 512, "%s/%s", e->tmp, db);
    return train(e, cfg, dbp, NULL, NULL);
}

static void test_logs_run(void **st)
{
    env *e = *st;
    VSR_TEST_NEED_TRAIN_DATA(e->have_data);
    char cfg[512], dbp[512];
    assert_int_equal(train_fresh(e, "full", "runs.db", cfg, dbp), 0);
    char *out = vsr_test_slurp(e->out);
    assert_non_null(out);
    assert_non_null(strstr(out, "runs.db (training run 1)"));
    free(out);
    sqlite3 *db = open_db(dbp);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM train_runs"), 1);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM train_runs WHERE name = 'full'"
                                        " AND model = 'ELSR' AND status = 'done' AND"
                                        " steps = 8 AND final_step = 8 AND batch = 3 AND"
                                        " patch = 12 AND threads = 1 AND seed = 0 AND"
                                        " wall_s > 0 AND host_id IS NOT NULL AND"
                                        " instr(config_text, 'model: ELSR') > 0 AND"
                                        " weights LIKE '%/full/full.vsrw' AND"
                                        " bicubic_psnr_y > 20 AND finished IS NOT NULL"),
                     1);
    /* the resolved config: what the library makes of the same file, written by
     * the option table (every default filled in) */
    vsr_train_config tc;
    vsr_error err = {0};
    assert_int_equal(vsr_train_config_load(cfg, NULL, 0, &tc, &err), 0);
    char *want = NULL;
    size_t wn = 0;
    FILE *m = open_memstream(&want, &wn);
    assert_non_null(m);
    vsr_train_config_write(m, &tc);
    assert_int_equal(fclose(m), 0);
    vsr_train_config_free(&tc);
    sqlite3_stmt *cs = NULL;
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT config_canonical FROM train_runs", -1, &cs, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(cs), SQLITE_ROW);
    const char *got = (const char *)sqlite3_column_text(cs, 0);
    assert_non_null(got);
    assert_string_equal(got, want);
    /* the values of the file above, and defaults it does not write */
    const char *lines[] = {"name=full\n",  "model=ELSR\n",         "patch=12\n",
                           "batch=3\n",    "optimizer.lr=0.002\n", "schedule.type=cosine\n",
                           "log_every=3\n"};
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
        assert_non_null(strstr(got, lines[i]));
    sqlite3_finalize(cs);
    free(want);
    /* one point per step 1..8, validations at 4 and 8; the row's val is step 8's */
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM train_points"), 8);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(DISTINCT step) FROM train_points"), 8);
    assert_int_equal(vsr_test_q_int(db, "SELECT sum(step) FROM train_points"), 36);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM train_points WHERE"
                                        " val_psnr_y IS NOT NULL AND step IN (4, 8)"),
                     2);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM train_points WHERE"
                                        " val_psnr_y IS NOT NULL"),
                     2);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM train_runs r WHERE"
                                        " val_psnr_y = (SELECT val_psnr_y FROM train_points"
                                        " WHERE step = 8)"),
                     1);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM train_points WHERE loss > 0"
                                        " AND lr > 0 AND steps_per_s > 0"),
                     8);
    /* the first step used the configured lr (cosine starts at lr) */
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM train_points WHERE step = 1"
                                        " AND lr = 2.0e-3"),
                     1);
    sqlite3_close(db);
}

static void test_resume_exact(void **st)
{
    env *e = *st;
    VSR_TEST_NEED_TRAIN_DATA(e->have_data);
    char cfg[512], dbp[512];
    snprintf(dbp, sizeof(dbp), "%s/resume.db", e->tmp);
    /* the reference: 8 uninterrupted steps */
    write_cfg(e, "ref", cfg, sizeof(cfg));
    assert_int_equal(train(e, cfg, dbp, NULL, NULL), 0);
    /* stopped after 5 steps (checkpoint 5), then the db is made to look like a
     * killed attempt that logged 6 and 7 but lost 2 */
    write_cfg(e, "part", cfg, sizeof(cfg));
    assert_int_equal(train(e, cfg, dbp, "--stop-after", "5"), 0);
    sqlite3 *db = open_db(dbp);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM train_runs WHERE name = 'part'"
                                        " AND status = 'interrupted' AND final_step = 5"),
                     1);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM train_points p JOIN train_runs r"
                                        " ON r.id = p.train_run_id WHERE r.name = 'part'"),
                     5);
    long long id = vsr_test_q_int(db, "SELECT id FROM train_runs WHERE name = 'part'");
    char sql[400];
    snprintf(sql, sizeof(sql),
             "INSERT INTO train_points (train_run_id, step, loss, lr) VALUES"
             " (%lld, 6, 99.0, 1.0), (%lld, 7, 99.0, 1.0);"
             "DELETE FROM train_points WHERE train_run_id = %lld AND step = 2;"
             "UPDATE train_runs SET status = 'running' WHERE id = %lld;",
             id, id, id, id);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    assert_int_equal(train(e, cfg, dbp, "--resume", NULL), 0);
    db = open_db(dbp);
    /* the same row, done, 8 distinct steps, no 99s */
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM train_runs WHERE name = 'part'"),
                     1);
    assert_int_equal(
        vsr_test_q_intf(
            db,
            "SELECT count(*) FROM train_runs WHERE id = %lld AND status = 'done' AND"
            " final_step = 8",
            id),
        1);
    assert_int_equal(
        vsr_test_q_intf(
            db, "SELECT count(*) FROM train_points WHERE train_run_id = %lld AND loss < 99",
            id),
        8);
    assert_int_equal(
        vsr_test_q_intf(
            db,
            "SELECT count(*) FROM train_points WHERE train_run_id = %lld AND step BETWEEN 1"
            " AND 8",
            id),
        8);
    assert_int_equal(
        vsr_test_q_intf(db, "SELECT sum(step) FROM train_points WHERE train_run_id = %lld", id),
        36);
    /* the curve equals the reference: exactly where the db wrote it, to loss.tsv's
     * 9 digits for step 2 (recovered from it, without a rate) */
    for (long s = 1; s <= 8; s++) {
        double a = loss_at(db, "ref", s), b = loss_at(db, "part", s);
        if (s == 2)
            assert_float_equal(a, b, 1e-8 * a);
        else
            assert_true(a == b);
    }
    assert_int_equal(
        vsr_test_q_intf(db,
                        "SELECT count(*) FROM train_points WHERE train_run_id = %lld AND"
                        " steps_per_s IS NULL",
                        id),
        1);
    /* both attempts' wall time, and the bicubic baseline of the first one kept */
    assert_int_equal(
        vsr_test_q_intf(db,
                        "SELECT count(*) FROM train_runs WHERE id = %lld AND bicubic_psnr_y ="
                        " (SELECT bicubic_psnr_y FROM train_runs WHERE name = 'ref')",
                        id),
        1);
    sqlite3_close(db);
}

static void test_bad_db(void **st)
{
    env *e = *st;
    char cfg[512], dbp[512];
    assert_int_equal(train_fresh(e, "bad", "no/such/dir/runs.db", cfg, dbp), 1);
    char *msg = vsr_test_slurp(e->err);
    assert_non_null(msg);
    assert_non_null(strstr(msg, "vsrbench train: "));
    assert_non_null(strstr(msg, "runs.db"));
    assert_int_equal((int)strlen(msg), (int)(strchr(msg, '\n') - msg) + 1); /* one line */
    free(msg);
    /* nothing trained */
    char w[512];
    snprintf(w, sizeof(w), "%s/bad/bad.vsrw", e->tmp);
    assert_int_not_equal(access(w, F_OK), 0);
    const char *args[] = {"train", cfg, "--db", dbp, "--no-db", NULL};
    assert_int_equal(vsr_test_vsrbench(args, e->out, e->err, NULL), 2);
}

/* A logger that fails at step 5 (as a full disk would): the run stops with
 * its error, and the checkpoint of step 5 is on disk. */
static int fail_at_5(void *ctx, const vsr_train_progress *p, int flush, vsr_error *err)
{
    (void)flush;
    int *calls = ctx;
    ++*calls;
    if (p->step == 5)
        return vsr_error_set(err, -ENOSPC, "runs.db: disk full (test)");
    return 0;
}

static void test_logger_failure_keeps_checkpoint(void **st)
{
    env *e = *st;
    VSR_TEST_NEED_TRAIN_DATA(e->have_data);
    char cfg[512];
    write_cfg(e, "dfull", cfg, sizeof(cfg));
    vsr_train_config c;
    vsr_error err = {0};
    assert_int_equal(vsr_train_config_load(cfg, NULL, 0, &c, &err), 0);
    int calls = 0;
    vsr_train_hooks hk = {.ctx = &calls, .record = fail_at_5};
    assert_int_equal(vsr_train_run(&c, 0, NULL, &hk, &err), -ENOSPC);
    assert_string_equal(err.msg, "runs.db: disk full (test)");
    assert_int_equal(calls, 5);
    char w[512];
    snprintf(w, sizeof(w), "%s/dfull/dfull.vsrw", e->tmp);
    vsr_weights *wf = NULL;
    assert_int_equal(vsr_weights_open(w, &wf, &err), 0);
    assert_string_equal(vsr_weights_meta(wf, "train.step"), "5");
    vsr_weights_free(&wf);
    vsr_train_config_free(&c);
}

/* Ctrl-C (SIGINT) mid-training: checkpointed at the next step, the row
 * 'interrupted' at the last logged step, one line saying so, exit 130 (the
 * vsr_cli_sigint_* flag that run and upscale use too). */
static void test_sigint(void **st)
{
    env *e = *st;
    VSR_TEST_NEED_TRAIN_DATA(e->have_data);
    char cfg[512], dbp[512];
    snprintf(cfg, sizeof(cfg), "%s/long.yaml", e->tmp);
    snprintf(dbp, sizeof(dbp), "%s/sigint.db", e->tmp);
    vsr_test_writef(
        cfg,
        "name: long\nmodel: ELSR\npatch: 12\nbatch: 3\nsteps: 1000000\nthreads: 1\n"
        "data_dir: %s\nout_dir: %s/long\noptimizer: {lr: 2.0e-3}\n"
        "checkpoint_every: 1000000\nval: {every: 1000000, frames: 2}\nlog_every: 1\n",
        e->data, e->tmp);
    const char *args[] = {"train", cfg, "--db", dbp, NULL};
    pid_t pid = vsr_test_vsrbench_start(args, e->out, e->err, NULL, 0);
    /* wait for logged steps (up to ~10 minutes of 10 ms polls) */
    int steps = 0;
    for (int i = 0; i < 60000 && steps < 2; i++) {
        sqlite3 *db = NULL;
        if (sqlite3_open_v2(dbp, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
            sqlite3_stmt *q = NULL;
            if (sqlite3_prepare_v2(db, "SELECT count(*) FROM train_points", -1, &q, NULL) ==
                    SQLITE_OK &&
                sqlite3_step(q) == SQLITE_ROW)
                steps = sqlite3_column_int(q, 0);
            sqlite3_finalize(q);
        }
        sqlite3_close(db);
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    assert_true(steps >= 2);
    assert_int_equal(kill(pid, SIGINT), 0);
    assert_int_equal(vsr_test_vsrbench_wait(pid), 130);
    char *err = vsr_test_slurp(e->err);
    assert_non_null(err);
    if (!strstr(err, "vsrbench train: long: interrupted at step "))
        fail_msg("stderr lacks the interrupted line: '%s'", err);
    free(err);
    sqlite3 *db = open_db(dbp);
    assert_int_equal(vsr_test_q_int(db, "SELECT count(*) FROM train_runs WHERE status ="
                                        " 'interrupted' AND final_step >= 2 AND final_step ="
                                        " (SELECT max(step) FROM train_points)"),
                     1);
    sqlite3_close(db);
}

/*
 * Hyperparameter overrides: the trainer assembles its net through the same
 * models/ spec as run / tune / upscale, so `--set hyperparameters.F=24` (the
 * key a run config's model entry spells, `hyperparameters: {F: 24}`) trains
 * that MVSR variant; the weights it writes have exactly the variant's
 * parameters, counted independently by the reference count.py. An unknown
 * key is a usage error naming the closest option.
 */
/* MVSR_13, patch 8, batch 1, 2 steps, no validation before the end. */
static void write_mvsr_cfg(const env *e, char *path, size_t cap)
{
    snprintf(path, cap, "%s/mvsr.yaml", e->tmp);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "name: mvsr_f24\nmodel: MVSR_13\npatch: 8\nbatch: 1\nsteps: 2\nthreads: 1\n"
            "data_dir: %s\nout_dir: %s/mvsr_f24\ncheckpoint_every: 100\n"
            "val: {every: 100, frames: 1}\nlog_every: 1\n",
            e->data, e->tmp);
    fclose(f);
}

static void test_train_overridden_mvsr(void **st)
{
    env *e = *st;
    VSR_TEST_NEED_TRAIN_DATA(e->have_data);
    char cfg[512], path[600];
    write_mvsr_cfg(e, cfg, sizeof(cfg));
    const char *args[] = {"train",
                          cfg,
                          "--no-db",
                          "--set",
                          "hyperparameters.F=24",
                          "--set",
                          "hyperparameters.B=1",
                          NULL};
    int rc = vsr_test_vsrbench(args, e->out, e->err, NULL);
    if (rc) {
        char *msg = vsr_test_slurp(e->err);
        print_message("vsrbench train: %s\n", msg ? msg : "?");
        free(msg);
    }
    assert_int_equal(rc, 0);
    snprintf(path, sizeof(path), "%s/mvsr_f24/mvsr_f24.vsrw", e->tmp);
    vsr_weights *w = NULL;
    vsr_error err = {0};
    assert_int_equal(vsr_weights_open(path, &w, &err), 0);
    int64_t params = 0;
    for (int i = 0; i < vsr_weights_tensor_count(w); i++) {
        const char *name;
        int nd, dims[4];
        const float *d;
        assert_int_equal(vsr_weights_tensor_at(w, i, &name, &nd, dims, &d), 0);
        int64_t n = 1;
        for (int k = 0; k < nd; k++)
            n *= dims[k];
        params += n;
    }
    /* /work/shared/reference/count.py: mvsr(F=24, B=1).totals()[0] = 44641 (Keras count,
     * BatchNorm as 4C, which the .vsrw stores unfolded: gamma, beta, mean, var);
     * MVSR_13 itself (F=16, B=4) has 68,157 (docs/MODEL_SPECS.md). */
    assert_int_equal(params, 44641);
    vsr_weights_free(&w);
}

static void test_unknown_hparam_is_usage_error(void **st)
{
    env *e = *st;
    char cfg[512];
    write_mvsr_cfg(e, cfg, sizeof(cfg));
    const char *args[] = {"train", cfg, "--no-db", "--set", "hyperparameters.mixx=3", NULL};
    assert_int_equal(vsr_test_vsrbench(args, e->out, e->err, NULL), 2);
    char *msg = vsr_test_slurp(e->err);
    assert_non_null(msg);
    assert_non_null(strstr(msg, "unknown hyperparameter 'mixx'"));
    assert_non_null(strstr(msg, "did you mean 'mix'?"));
    assert_ptr_equal(strchr(msg, '\n'), msg + strlen(msg) - 1); /* one line */
    free(msg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logs_run),
        cmocka_unit_test(test_resume_exact),
        cmocka_unit_test(test_bad_db),
        cmocka_unit_test(test_logger_failure_keeps_checkpoint),
        cmocka_unit_test(test_sigint),
        cmocka_unit_test(test_train_overridden_mvsr),
        cmocka_unit_test(test_unknown_hparam_is_usage_error),
    };
    return VSR_RUN_TESTS(tests, vsr_test_train_setup, vsr_test_tmp_free);
}
