/*
 * vsrbench merge: the run logs of a sweep's shards (one database per task of
 * a cluster job) into one, in one transaction (bench.h, vsr_runlog_merge()).
 * --expect CONFIG then checks that the merged file has every run of the
 * sweep and names the shards that miss some.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "cli.h"
#include "commands.h"
#include "shard_select.h"
#include "vsr/bench.h"

enum { ARG_EXPECT = 256, ARG_SET, ARG_SHARDS };

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: vsrbench merge OUT.db IN.db... [--expect CONFIG [--set KEY=VALUE]...\n"
        "                      [--shards N]] [-q]\n"
        "\n"
        "Copy the runs (with their clip and frame metrics, timings and layer profiles),\n"
        "hosts, sweeps, tune results and training runs of every IN.db into OUT.db\n"
        "(created when absent), in one transaction: a failure leaves OUT.db as it was.\n"
        "Inputs are only read; older schema versions are migrated on a copy. A run OUT.db\n"
        "has already (same run key and config hash) is a duplicate when its metrics are\n"
        "equal, else a conflict: reported, the first one kept. Runs still 'running' (their\n"
        "process died) are reported, not merged. Each merged run's source file, shard and\n"
        "node go into the table run_provenance.\n"
        "\n"
        "options:\n"
        "      --expect CONFIG   then check that OUT.db has every run of this sweep\n"
        "                        finished (ok or skipped); exit 1 naming the missing ones\n"
        "      --set KEY=VALUE   the --set options the sweep ran with (repeatable)\n"
        "      --shards N        the sweep ran as N shards: name the shard of each missing "
        "run\n"
        "  -q, --quiet           only conflicts, unfinished and missing runs\n"
        "  -h, --help            this help\n"
        "exit codes: 0 merged, 1 a runtime failure (OUT.db unchanged) or runs missing,\n"
        "2 usage error or an input that is not a run log (or is of a newer vsrbench)\n");
}

struct notes {
    int quiet;
};

static void note(void *ctx, const char *line)
{
    const struct notes *n = ctx;
    int summary = strstr(line, " merged, ") != NULL;
    if (!summary || !n->quiet)
        fprintf(summary ? stdout : stderr, "%s\n", line);
}

/* Runs of @p cfg that @p db_path lacks as ok / skipped; 1 when some are missing. */
static int check_expected(const char *db_path, const char *config, const char *const *sets,
                          int n_sets, int n_shards, int quiet)
{
    vsr_config *cfg = NULL;
    vsr_sweep_run *runs = NULL;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int *of = NULL, *missing_of = NULL;
    int n = 0, balanced = 0, ret = VSR_EXIT_OK, missing = 0;
    vsr_error err = {0};
    if (vsr_config_load(config, sets, n_sets, &cfg, &err) < 0 ||
        vsr_sweep_expand(cfg, &runs, &n, NULL, &err) < 0 ||
        (n_shards > 0 && vsr_shard_of_runs(cfg, runs, n, n_shards, &of, &balanced, &err) < 0)) {
        fprintf(stderr, "vsrbench merge: --expect %s: %s\n", config, err.msg);
        ret = VSR_EXIT_USAGE;
        goto end;
    }
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT 1 FROM runs WHERE config_hash = ?1"
                           " AND status IN ('ok', 'skipped') LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "vsrbench merge: %s: %s\n", db_path, sqlite3_errmsg(db));
        ret = VSR_EXIT_FAILURE;
        goto end;
    }
    missing_of = calloc((size_t)(n_shards > 0 ? n_shards : 1), sizeof(*missing_of));
    if (!missing_of) {
        fprintf(stderr, "vsrbench merge: out of memory\n");
        ret = VSR_EXIT_FAILURE;
        goto end;
    }
    for (int i = 0; i < n; i++) {
        sqlite3_bind_text(st, 1, runs[i].hash, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc == SQLITE_ROW)
            continue;
        if (rc != SQLITE_DONE) {
            fprintf(stderr, "vsrbench merge: %s: %s\n", db_path, sqlite3_errmsg(db));
            ret = VSR_EXIT_FAILURE;
            goto end;
        }
        missing++;
        if (of)
            missing_of[of[i]]++;
        fprintf(stderr, "missing: run %s (config hash %s)", runs[i].key, runs[i].hash);
        if (of)
            fprintf(stderr, " of shard %d/%d", of[i] + 1, n_shards);
        fprintf(stderr, "\n");
    }
    for (int s = 0; of && s < n_shards; s++)
        if (missing_of[s])
            fprintf(stderr,
                    "shard %d/%d: %d run%s missing; re-run it alone: vsrbench run %s --shard "
                    "%d/%d --resume --db <its db>, then merge again\n",
                    s + 1, n_shards, missing_of[s], missing_of[s] == 1 ? "" : "s", config,
                    s + 1, n_shards);
    if (missing) {
        fprintf(stderr, "vsrbench merge: %d of the %d runs of sweep %s are missing in %s\n",
                missing, n, cfg->name, db_path);
        ret = VSR_EXIT_FAILURE;
    } else if (!quiet) {
        printf("all %d runs of sweep %s are in %s\n", n, cfg->name, db_path);
    }
end:
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(of);
    free(missing_of);
    free(runs);
    vsr_config_free(&cfg);
    return ret;
}

int vsr_cmd_merge(int argc, char **argv)
{
    static const struct option long_opts[] = {
        {"expect", required_argument, NULL, ARG_EXPECT},
        {"set", required_argument, NULL, ARG_SET},
        {"shards", required_argument, NULL, ARG_SHARDS},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *expect = NULL, *sets[64];
    int n_sets = 0, n_shards = 0, opt;
    struct notes notes = {0};
    vsr_error err = {0};
    optind = 1;
    while ((opt = getopt_long(argc, argv, "qh", long_opts, NULL)) != -1) {
        switch (opt) {
        case ARG_EXPECT:
            expect = optarg;
            break;
        case ARG_SET:
            if (n_sets == 64) {
                fprintf(stderr, "vsrbench merge: at most 64 --set options\n");
                return VSR_EXIT_USAGE;
            }
            sets[n_sets++] = optarg;
            break;
        case ARG_SHARDS: {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (end == optarg || *end || v < 1 || v > VSR_SHARD_MAX) {
                fprintf(stderr, "vsrbench merge: --shards %s: expected a count 1..%d\n", optarg,
                        VSR_SHARD_MAX);
                return VSR_EXIT_USAGE;
            }
            n_shards = (int)v;
            break;
        }
        case 'q':
            notes.quiet = 1;
            break;
        default:
            return vsr_cli_help_exit(opt, usage);
        }
    }
    if (argc - optind < 2) {
        fprintf(stderr, "vsrbench merge: expected OUT.db and at least one IN.db\n");
        return VSR_EXIT_USAGE;
    }
    if ((n_sets || n_shards) && !expect) {
        fprintf(stderr, "vsrbench merge: --set and --shards go with --expect CONFIG\n");
        return VSR_EXIT_USAGE;
    }
    const char *out = argv[optind];
    vsr_runlog_merge_stats st;
    int rc = vsr_runlog_merge(out, (const char *const *)argv + optind + 1, argc - optind - 1,
                              note, &notes, &st, &err);
    if (rc < 0) {
        fprintf(stderr, "vsrbench merge: %s\n", err.msg);
        fprintf(stderr, "vsrbench merge: nothing merged; %s is as it was\n", out);
        return rc == -EINVAL || rc == -ENOENT ? VSR_EXIT_USAGE : VSR_EXIT_FAILURE;
    }
    if (!notes.quiet || st.runs_conflict)
        printf("%s: %d input%s, %d run%s merged, %d duplicate, %d conflicting, %d unfinished\n",
               out, st.inputs, st.inputs == 1 ? "" : "s", st.runs_copied,
               st.runs_copied == 1 ? "" : "s", st.runs_duplicate, st.runs_conflict,
               st.runs_unfinished);
    if (expect)
        return check_expected(out, expect, sets, n_sets, n_shards, notes.quiet);
    return VSR_EXIT_OK;
}
