/*
 * Shards and merges of run logs (bench/shard.c, bench/merge.c): the K/N
 * parser, the split (round-robin; longest-processing-time-first worked by
 * hand; partition, stability and balance bound on pseudo-random costs), and
 * vsr_runlog_merge() on run logs written through the run-log API: copies
 * with renumbered ids and provenance, duplicates and conflicts, unfinished
 * runs, a failing input and a SIGKILL before the commit leaving OUT as it
 * was, an input of schema v1, and a column only some files have.
 */
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "runlog_internal.h"
#include "sqlite_harness.h"
#include "testutil.h"
#include "runlog_scores.h"
#include "vsr/bench.h"

/* ---- K/N ------------------------------------------------------------------ */

static void test_shard_parse(void **state)
{
    (void)state;
    vsr_error err = {0};
    int k = -1, n = -1;
    assert_int_equal(vsr_shard_parse("2/4", &k, &n, &err), 0);
    assert_int_equal(k, 2);
    assert_int_equal(n, 4);
    assert_int_equal(vsr_shard_parse("1/1", &k, &n, &err), 0);
    assert_int_equal(k * 10 + n, 11);
    const char *bad[] = {"0/4",  "5/4",  "4", "a/b",      "1/0",
                         "-1/3", "1/4x", "",  "1/100001", "2/-4"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        k = n = 7;
        assert_int_equal(vsr_shard_parse(bad[i], &k, &n, &err), -EINVAL);
        assert_int_equal(k * 10 + n, 77); /* unchanged */
        assert_null(strchr(err.msg, '\n'));
        assert_true(strlen(err.msg) > 0);
    }
}

/* ---- the split ------------------------------------------------------------ */

static void test_assign_round_robin(void **state)
{
    (void)state;
    int of[10];
    double load[3];
    vsr_error err = {0};
    /* no costs: run i -> i mod 3; loads are run counts 4, 3, 3 */
    assert_int_equal(vsr_shard_assign(NULL, 10, 3, of, load, &err), 0);
    for (int i = 0; i < 10; i++)
        assert_int_equal(of[i], i % 3);
    assert_true(load[0] == 4 && load[1] == 3 && load[2] == 3);
    /* one unknown cost (NaN or negative) makes the whole split round-robin */
    double cost[4] = {5, NAN, 1, 1}, neg[4] = {5, -1, 1, 1};
    assert_int_equal(vsr_shard_assign(cost, 4, 2, of, NULL, &err), 0);
    assert_true(of[0] == 0 && of[1] == 1 && of[2] == 0 && of[3] == 1);
    assert_int_equal(vsr_shard_assign(neg, 4, 2, of, NULL, &err), 0);
    assert_true(of[0] == 0 && of[1] == 1 && of[2] == 0 && of[3] == 1);
    assert_int_equal(vsr_shard_assign(NULL, 3, 0, of, NULL, &err), -EINVAL);
}

static void test_assign_lpt_by_hand(void **state)
{
    (void)state;
    /* costs 1 5 3 3 2 2 into 2 shards, worked by hand: costliest first (ties in
     * canonical order), each to the lighter shard (ties: shard 0):
     *   5 (run 1) -> s0 = 5;  3 (run 2) -> s1 = 3;  3 (run 3) -> s1 = 6;
     *   2 (run 4) -> s0 = 7;  2 (run 5) -> s1 = 8;  1 (run 0) -> s0 = 8. */
    double cost[6] = {1, 5, 3, 3, 2, 2}, load[2];
    int of[6], want[6] = {0, 0, 1, 1, 0, 1};
    vsr_error err = {0};
    assert_int_equal(vsr_shard_assign(cost, 6, 2, of, load, &err), 1);
    for (int i = 0; i < 6; i++)
        assert_int_equal(of[i], want[i]);
    assert_true(load[0] == 8 && load[1] == 8);
    /* round-robin would give 1+3+2 = 6 and 5+3+2 = 10 */
}

static void test_assign_partition_stable_balanced(void **state)
{
    (void)state;
    uint64_t x = 12345;
    vsr_error err = {0};
    for (int n = 0; n <= 40; n += 3)
        for (int shards = 1; shards <= 7; shards++) {
            double cost[40], load[7], sum[7] = {0}, maxc = 0;
            int of[40], again[40];
            for (int i = 0; i < n; i++) {
                x = x * 6364136223846793005ULL + 1442695040888963407ULL;
                cost[i] = (double)(x >> 40) / 1e3; /* 0 .. 16777 */
                if (cost[i] > maxc)
                    maxc = cost[i];
            }
            assert_int_equal(vsr_shard_assign(cost, n, shards, of, load, &err), 1);
            assert_int_equal(vsr_shard_assign(cost, n, shards, again, NULL, &err), 1);
            for (int i = 0; i < n; i++) {
                assert_true(of[i] >= 0 && of[i] < shards); /* each run in one shard */
                assert_int_equal(of[i], again[i]);         /* the same split again */
                sum[of[i]] += cost[i];
            }
            double lo = INFINITY, hi = -INFINITY;
            for (int s = 0; s < shards; s++) {
                assert_true(fabs(sum[s] - load[s]) < 1e-6);
                lo = fmin(lo, sum[s]);
                hi = fmax(hi, sum[s]);
            }
            /* each run went to the lightest shard, so no two shards differ by
             * more than the costliest run */
            assert_true(hi - lo <= maxc + 1e-9);
        }
}

/* ---- merge ---------------------------------------------------------------- */

struct tmp {
    char dir[256];
    char path[8][300];
    char out[300];
};

static int setup(void **state)
{
    struct tmp *t = vsr_test_tmp_new(sizeof(*t)); /* t->dir first: the folder */
    if (!t)
        return -1;
    for (int i = 0; i < 8; i++)
        snprintf(t->path[i], sizeof(t->path[i]), "%s/in%d.db", t->dir, i);
    snprintf(t->out, sizeof(t->out), "%s/out.db", t->dir);
    *state = t;
    return 0;
}

/* A run log at @p path: host @p host, one sweep, and a run per key whose
 * clip PSNR-Y is psnr[i] (its two frames psnr[i] -/+ 0.5); shard note "i/4". */
static void make_log(const char *path, const char *host, const char *shard,
                     const char *const *keys, const double *psnr, int n)
{
    vsr_runlog *log = vsr_test_runlog_open(path);
    vsr_error err = {0};
    vsr_runlog_host h = {.cores = 2};
    snprintf(h.hostname, sizeof(h.hostname), "%s", host);
    snprintf(h.cpu_model, sizeof(h.cpu_model), "Test CPU");
    snprintf(h.cpu_flags, sizeof(h.cpu_flags), "avx2 fma");
    int64_t host_id = 0, sweep = 0;
    vsr_runlog_sweep s = {"unit", "unit.yaml", "name: unit\n", NULL, "00000000000000aa"};
    if (vsr_runlog_host_id(log, &h, &host_id, &err) ||
        vsr_runlog_sweep_begin(log, &s, 1, &sweep, &err))
        fail_msg("%s", err.msg);
    if (shard)
        assert_int_equal(vsr_runlog_shard_note(log, sweep, shard, "node7", &err), 0);
    for (int i = 0; i < n; i++) {
        char hash[17];
        snprintf(hash, sizeof(hash), "%016x", (unsigned)(i + 1000 * (keys[i][0] - 'a')));
        vsr_runlog_run r = {.run_key = keys[i],
                            .config_hash = hash,
                            .model = "SWRN",
                            .variant = "base",
                            .precision = "fp32",
                            .dataset = "demo",
                            .degradation = "bi",
                            .scale = 4,
                            .threads = 1,
                            .host_id = host_id};
        int64_t id = 0;
        if (vsr_runlog_run_begin(log, sweep, &r, &id, &err))
            fail_msg("%s", err.msg);
        if (isnan(psnr[i]))
            continue; /* left 'running', as by a killed process */
        vsr_runlog_frame f[2] = {
            {"clip", 0, VSR_TEST_V1(NAN, psnr[i] - 0.5, NAN, 0.9, NAN), 1.5},
            {"clip", 1, VSR_TEST_V1(NAN, psnr[i] + 0.5, NAN, 0.9, NAN), 2.5}};
        vsr_runlog_clip c = {"clip", 2, VSR_TEST_V1(NAN, psnr[i], NAN, 0.9, NAN)};
        vsr_timing_stats tm = {2, 0, NAN, 1.5, 2, 2.5, 2.5, 2, 0.5, 1.5, 2.5, 4};
        vsr_runlog_layer l = {0, "conv", "conv2d", 1.0, 100, "winograd F(4,3)"};
        vsr_test_finish_ok(log, id,
                           (vsr_runlog_result){.params = 10,
                                               .macs = 100,
                                               .input_w = 8,
                                               .input_h = 8,
                                               .layers = &l,
                                               .n_layers = 1,
                                               .init_ms = NAN},
                           &c, f, 2, &tm);
    }
    vsr_runlog_close(&log);
}

struct lines {
    char text[16][1024];
    int n;
    const char *kill_on; /* raise(SIGKILL) at a line containing it */
};

static void note(void *ctx, const char *line)
{
    struct lines *l = ctx;
    if (l->kill_on && strstr(line, l->kill_on))
        raise(SIGKILL);
    if (l->n < 16)
        snprintf(l->text[l->n++], sizeof(l->text[0]), "%s", line);
}

static sqlite3 *raw(const char *path)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    return db;
}

static long long q(const char *path, const char *sql)
{
    sqlite3 *db = raw(path);
    long long v = vsr_test_q_int(db, sql);
    sqlite3_close(db);
    return v;
}

static void test_merge_copies(void **state)
{
    struct tmp *t = *state;
    const char *ka[] = {"a1", "a2"}, *kb[] = {"b1"};
    double pa[] = {30, 31}, pb[] = {32};
    make_log(t->path[0], "hostA", "1/2", ka, pa, 2);
    make_log(t->path[1], "hostB", "2/2", kb, pb, 1);
    const char *in[] = {t->path[0], t->path[1]};
    vsr_runlog_merge_stats st;
    struct lines l = {0};
    vsr_error err = {0};
    int rc = vsr_runlog_merge(t->out, in, 2, note, &l, &st, &err);
    if (rc)
        print_message("%s\n", err.msg);
    assert_int_equal(rc, 0);
    assert_int_equal(st.inputs, 2);
    assert_int_equal(st.runs_copied, 3);
    assert_int_equal(st.runs_duplicate + st.runs_conflict + st.runs_unfinished, 0);
    assert_int_equal(l.n, 2); /* one summary line per input */
    assert_non_null(strstr(l.text[1], "1 run merged"));
    assert_int_equal(q(t->out, "SELECT count(*) FROM runs"), 3);
    assert_int_equal(q(t->out, "SELECT count(*) FROM sweeps"), 1); /* one sweep, 2 files */
    assert_int_equal(q(t->out, "SELECT count(*) FROM hosts"), 2);
    assert_int_equal(q(t->out, "SELECT count(*) FROM clip_metrics"), 3);
    assert_int_equal(q(t->out, "SELECT count(*) FROM frame_metrics"), 6);
    assert_int_equal(q(t->out, "SELECT count(*) FROM timings"), 3);
    assert_int_equal(q(t->out, "SELECT count(*) FROM layer_profile"), 3);
    /* the conv algorithm (v15) is recorded and merged with the row */
    assert_int_equal(q(t->out, "SELECT count(*) FROM layer_profile WHERE algo ="
                               " 'winograd F(4,3)'"),
                     3);
    /* b1 points at its own host, metrics and timing under its new id */
    assert_int_equal(q(t->out, "SELECT count(*) FROM runs r JOIN hosts h ON h.id = r.host_id"
                               " JOIN clip_metrics c ON c.run_id = r.id JOIN timings m ON"
                               " m.run_id = r.id WHERE r.run_key = 'b1' AND h.hostname ="
                               " 'hostB' AND c.psnr_y = 32 AND m.median_ms = 2"),
                     1);
    /* provenance: file, source id, shard, node */
    char sql[600];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM run_provenance p JOIN runs r ON r.id = p.run_id WHERE"
             " r.run_key = 'b1' AND p.source_file = '%s' AND p.source_run_id = 1 AND"
             " p.shard = '2/2' AND p.node = 'node7' AND p.hostname = 'hostB'",
             t->path[1]);
    assert_int_equal(q(t->out, sql), 1);
    assert_int_equal(q(t->out, "SELECT count(*) FROM run_provenance WHERE shard = '1/2'"), 2);
    /* the merged file merged again keeps the first provenance */
    const char *again[] = {t->out};
    assert_int_equal(vsr_runlog_merge(t->path[7], again, 1, NULL, NULL, &st, &err), 0);
    assert_int_equal(q(t->path[7], sql), 1);
}

static void test_merge_duplicates_conflicts_unfinished(void **state)
{
    struct tmp *t = *state;
    const char *k[] = {"a1", "a2"};
    double p0[] = {30, 31}, same[] = {30, NAN}, other[] = {30.25, 31};
    make_log(t->path[0], "hostA", NULL, k, p0, 2);
    make_log(t->path[1], "hostB", NULL, k, same, 2);  /* a1 equal, a2 still running */
    make_log(t->path[2], "hostC", NULL, k, other, 2); /* a1 other metrics, a2 equal */
    const char *in[] = {t->path[0], t->path[1], t->path[2]};
    vsr_runlog_merge_stats st;
    struct lines l = {0};
    vsr_error err = {0};
    assert_int_equal(vsr_runlog_merge(t->out, in, 3, note, &l, &st, &err), 0);
    assert_int_equal(st.runs_copied, 2);
    assert_int_equal(st.runs_duplicate, 2); /* a1 of in1, a2 of in2 */
    assert_int_equal(st.runs_conflict, 1);  /* a1 of in2 */
    assert_int_equal(st.runs_unfinished, 1);
    int conflict = 0, running = 0;
    for (int i = 0; i < l.n; i++) {
        conflict += strstr(l.text[i], "conflict: run a1") && strstr(l.text[i], t->path[2]);
        running += strstr(l.text[i], "run a2") && strstr(l.text[i], "'running'") &&
                   strstr(l.text[i], t->path[1]);
    }
    assert_int_equal(conflict, 1);
    assert_int_equal(running, 1);
    assert_int_equal(q(t->out, "SELECT count(*) FROM runs"), 2);
    /* the first one stays: 30 dB, not 30.25 */
    assert_int_equal(q(t->out, "SELECT count(*) FROM clip_metrics WHERE psnr_y = 30"), 1);
    assert_int_equal(q(t->out, "SELECT count(*) FROM clip_metrics WHERE psnr_y = 30.25"), 0);
}

static void test_merge_failure_leaves_out(void **state)
{
    struct tmp *t = *state;
    const char *ka[] = {"a1"}, *kb[] = {"b1", "b2"};
    double pa[] = {30}, pb[] = {31, 32};
    make_log(t->path[0], "hostA", NULL, ka, pa, 1);
    make_log(t->path[1], "hostB", NULL, kb, pb, 2);
    FILE *f = fopen(t->path[2], "w"); /* not a database */
    assert_non_null(f);
    fputs("this is not SQLite, just text long enough to fill a header of 100 bytes ......"
          "...............................................\n",
          f);
    fclose(f);
    vsr_error err = {0};
    const char *first[] = {t->path[0]};
    assert_int_equal(vsr_runlog_merge(t->out, first, 1, NULL, NULL, NULL, &err), 0);
    /* b1, b2 are copied before the bad input fails: all rolled back */
    const char *in[] = {t->path[1], t->path[2]};
    assert_int_equal(vsr_runlog_merge(t->out, in, 2, NULL, NULL, NULL, &err), -EINVAL);
    VSR_ASSERT_ONE_LINE(err.msg, t->path[2]);
    assert_int_equal(q(t->out, "SELECT count(*) FROM runs"), 1);
    assert_int_equal(q(t->out, "SELECT count(*) FROM run_provenance"), 1);
    assert_int_equal(q(t->out, "SELECT count(*) FROM hosts"), 1);
    /* a new OUT is not created at all */
    assert_int_equal(vsr_runlog_merge(t->path[5], in, 2, NULL, NULL, NULL, &err), -EINVAL);
    struct stat sb;
    assert_int_equal(stat(t->path[5], &sb), -1);
    /* a missing input, OUT named as an input */
    const char *missing[] = {t->path[6]}, *self[] = {t->out};
    assert_int_equal(vsr_runlog_merge(t->out, missing, 1, NULL, NULL, NULL, &err), -ENOENT);
    VSR_ASSERT_ONE_LINE(err.msg, t->path[6]);
    assert_int_equal(vsr_runlog_merge(t->out, self, 1, NULL, NULL, NULL, &err), -EINVAL);
    VSR_ASSERT_ONE_LINE(err.msg, "both the output and an input");
}

/* merge in a child that is SIGKILLed after copying everything, before the commit */
static void merge_killed(const char *out, const char *const *in, int n)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct lines l = {.kill_on = in[n - 1]};
        vsr_error err = {0};
        vsr_runlog_merge(out, in, n, note, &l, NULL, &err);
        _exit(3); /* not reached when the kill comes */
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

static void test_merge_crash_leaves_out(void **state)
{
    struct tmp *t = *state;
    const char *ka[] = {"a1"}, *kb[] = {"b1", "b2"};
    double pa[] = {30}, pb[] = {31, 32};
    make_log(t->path[0], "hostA", NULL, ka, pa, 1);
    make_log(t->path[1], "hostB", NULL, kb, pb, 2);
    vsr_error err = {0};
    const char *first[] = {t->path[0]}, *second[] = {t->path[1]};
    assert_int_equal(vsr_runlog_merge(t->out, first, 1, NULL, NULL, NULL, &err), 0);
    merge_killed(t->out, second, 1);
    /* the next open rolls the WAL's uncommitted frames away: OUT as it was */
    assert_int_equal(q(t->out, "SELECT count(*) FROM runs"), 1);
    assert_int_equal(q(t->out, "SELECT count(*) FROM runs WHERE run_key = 'a1'"), 1);
    /* and the merge done again completes */
    vsr_runlog_merge_stats st;
    assert_int_equal(vsr_runlog_merge(t->out, second, 1, NULL, NULL, &st, &err), 0);
    assert_int_equal(st.runs_copied, 2);
    assert_int_equal(q(t->out, "SELECT count(*) FROM runs"), 3);
    /* a new OUT killed before its commit does not exist */
    merge_killed(t->path[5], second, 1);
    struct stat sb;
    assert_int_equal(stat(t->path[5], &sb), -1);
}

static void test_merge_old_schema_and_extra_column(void **state)
{
    struct tmp *t = *state;
    vsr_error err = {0};
    /* an input of schema v1 with one ok run, written as v1 wrote it */
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(t->path[0], &db), SQLITE_OK);
    assert_int_equal(vsr_runlog_migrate(db, t->path[0], 1, &err), 0);
    assert_int_equal(
        sqlite3_exec(
            db,
            "INSERT INTO sweeps (name, config_text, config_hash) VALUES ('unit',"
            " 'name: unit', '00000000000000aa');"
            "INSERT INTO runs (sweep_id, run_key, config_hash, model, variant, precision,"
            " dataset, degradation, scale, tile, pad, threads, status) VALUES (1, 'old',"
            " 'h', 'SWRN', 'base', 'fp32', 'demo', 'bi', 4, 0, 0, 1, 'ok');"
            "INSERT INTO clip_metrics (run_id, clip, frames, psnr_y) VALUES (1, 'c', 1,"
            " 29.5);",
            NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    /* an input with a column OUT has too (as a later migration adds) and one
     * only it has */
    const char *kb[] = {"b1"};
    double pb[] = {31};
    make_log(t->path[1], "hostB", NULL, kb, pb, 1);
    db = raw(t->path[1]);
    assert_int_equal(sqlite3_exec(db,
                                  "ALTER TABLE runs ADD COLUMN future_note TEXT;"
                                  "ALTER TABLE runs ADD COLUMN only_here TEXT;"
                                  "UPDATE runs SET future_note = 'first try', only_here = 'x'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    vsr_runlog *made = vsr_test_runlog_open(t->out);
    vsr_runlog_close(&made);
    db = raw(t->out);
    assert_int_equal(
        sqlite3_exec(db, "ALTER TABLE runs ADD COLUMN future_note TEXT", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    const char *in[] = {t->path[0], t->path[1]};
    vsr_runlog_merge_stats st;
    assert_int_equal(vsr_runlog_merge(t->out, in, 2, NULL, NULL, &st, &err), 0);
    assert_int_equal(st.runs_copied, 2);
    assert_int_equal(q(t->out, "SELECT count(*) FROM runs r JOIN clip_metrics c ON c.run_id ="
                               " r.id WHERE r.run_key = 'old' AND c.psnr_y = 29.5"),
                     1);
    assert_int_equal(q(t->out, "SELECT count(*) FROM runs WHERE future_note = 'first try'"), 1);
    /* the input itself was only read: still v1 */
    assert_int_equal(q(t->path[0], "PRAGMA user_version"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shard_parse),
        cmocka_unit_test(test_assign_round_robin),
        cmocka_unit_test(test_assign_lpt_by_hand),
        cmocka_unit_test(test_assign_partition_stable_balanced),
        cmocka_unit_test_setup_teardown(test_merge_copies, setup, vsr_test_tmp_free),
        cmocka_unit_test_setup_teardown(test_merge_duplicates_conflicts_unfinished, setup,
                                        vsr_test_tmp_free),
        cmocka_unit_test_setup_teardown(test_merge_failure_leaves_out, setup,
                                        vsr_test_tmp_free),
        cmocka_unit_test_setup_teardown(test_merge_crash_leaves_out, setup, vsr_test_tmp_free),
        cmocka_unit_test_setup_teardown(test_merge_old_schema_and_extra_column, setup,
                                        vsr_test_tmp_free),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
