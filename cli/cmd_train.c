/*
 * vsrbench train: train a zoo model from a YAML config (train/, train.h),
 * logging the run and its loss curve to the run log (bench.h, schema v4).
 *
 * The trainer knows nothing of SQLite: it calls the hooks below, which
 * buffer one point per step and commit them once per log interval (and
 * before every checkpoint), so the db holds at least every checkpointed
 * step and --resume can make its curve exact.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "vsr/bench.h"
#include "vsr/core.h"
#include "vsr/train.h"

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: vsrbench train CONFIG [--resume] [--db FILE | --no-db] [--set "
        "key.path=value]...\n"
        "\n"
        "Train the zoo model named in CONFIG (see configs/train_elsr.yaml) on random\n"
        "LR/HR patches of DATA/demo_train (BI x4, built from opencv-doc if absent),\n"
        "validating with the inference engine on the held-out DATA/demo clips.\n"
        "Writes OUT/<name>.vsrw (weights, loadable by every command), OUT/<name>.opt.vsrw\n"
        "(Adam state, step) every checkpoint_every steps and at the end, and the loss\n"
        "curve OUT/loss.tsv (step, loss, lr, validation Y-PSNR). The run and its loss\n"
        "curve also go to the run log (table train_runs / train_points), which\n"
        "'vsrbench report' plots.\n"
        "\n"
        "options:\n"
        "  -r, --resume        continue exactly from the checkpoint in OUT (same loss curve;\n"
        "                      the run log's row of this name and OUT continues too)\n"
        "      --db FILE       run log (default: db of the config, else runs.db, as\n"
        "                      'vsrbench run' and 'vsrbench report' use)\n"
        "      --no-db         do not log to a run log\n"
        "      --stop-after N  stop after N more steps (checkpointed, status 'interrupted');\n"
        "                      train a long budget in sessions with --resume\n"
        "  -s, --set K=V       override a config key (repeatable), e.g. --set steps=200\n"
        "                      or a hyperparameter of the model's family, as a run\n"
        "                      config spells it: --set hyperparameters.F=24\n"
        "  -v, --verbose       info messages (bicubic baseline, ...)\n"
        "  -h, --help          this help\n"
        "exit codes: 0 ok, 1 runtime failure, 2 usage or config error, 130 interrupted\n"
        "(Ctrl-C: checkpointed at the next step, status 'interrupted'; a second Ctrl-C\n"
        "ends the process at once)\n"
        "\n"
        "config keys (in CONFIG, or --set KEY=VALUE with a YAML value):\n");
    vsr_train_config_help(out);
}

/* The run log side of one training attempt. */
typedef struct prog {
    int tty;
    vsr_runlog *log; /* NULL: --no-db */
    const vsr_runlog_train *row;
    int resume;
    const char *curve; /* OUT/loss.tsv */
    int64_t id;        /* train_runs.id once started */
    vsr_runlog_train_point *buf;
    int n, cap;
    long last_step;
    int db_failed;   /* a db write failed: err said so, no more writes */
    int interrupted; /* stopped on SIGINT */
    double t0;       /* vsr_clock_s() at the start */
} prog;

/* Rows 1..@p upto of loss.tsv (step, loss, lr, val or empty) as points. */
static int read_curve(const char *path, long upto, vsr_runlog_train_point **out, int *n,
                      vsr_error *err)
{
    *out = NULL;
    *n = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return 0; /* no curve: nothing to recover */
    char line[512];
    int cap = 0, rc = 0;
    while (fgets(line, sizeof(line), f)) {
        char *p = line, *e;
        long step = strtol(p, &e, 10);
        if (e == p || step < 1 || step > upto)
            continue; /* header, or beyond the checkpoint */
        vsr_runlog_train_point pt = {step, NAN, NAN, NAN, NAN};
        pt.loss = strtod(p = e, &e);
        pt.lr = strtod(p = e, &e);
        if (e == p || !isfinite(pt.loss) || !isfinite(pt.lr))
            continue;
        if (*e == '\t' && e[1] != '\n' && e[1] != '\0')
            pt.val_psnr_y = strtod(e + 1, NULL);
        if (*n == cap) {
            cap = cap ? 2 * cap : 256;
            vsr_runlog_train_point *v = realloc(*out, (size_t)cap * sizeof(*v));
            if (!v) {
                rc = vsr_error_set(err, -ENOMEM, "%s: out of memory", path);
                break;
            }
            *out = v;
        }
        (*out)[(*n)++] = pt;
    }
    fclose(f);
    return rc;
}

static int on_start(void *ctx, long start, double bicubic, vsr_error *err)
{
    prog *pg = ctx;
    pg->t0 = vsr_clock_s();
    pg->last_step = start;
    if (!pg->log)
        return 0;
    vsr_runlog_train_point *known = NULL;
    int nk = 0, rc = 0;
    if (start > 0)
        rc = read_curve(pg->curve, start, &known, &nk, err);
    if (!rc)
        rc = vsr_runlog_train_begin(pg->log, pg->row, pg->resume, start, bicubic, known, nk,
                                    &pg->id, err);
    free(known);
    if (rc)
        pg->db_failed = 1;
    return rc;
}

static int flush_points(prog *pg, vsr_error *err)
{
    int rc = vsr_runlog_train_points(pg->log, pg->id, pg->buf, pg->n, err);
    pg->n = 0;
    if (rc)
        pg->db_failed = 1;
    return rc;
}

static int on_record(void *ctx, const vsr_train_progress *p, int flush, vsr_error *err)
{
    prog *pg = ctx;
    pg->last_step = p->step;
    if (pg->log && !pg->db_failed) {
        if (pg->n == pg->cap) {
            int cap = pg->cap ? 2 * pg->cap : 64;
            vsr_runlog_train_point *v = realloc(pg->buf, (size_t)cap * sizeof(*v));
            if (!v) {
                pg->db_failed = 1;
                return vsr_error_set(err, -ENOMEM, "run log: out of memory");
            }
            pg->buf = v, pg->cap = cap;
        }
        pg->buf[pg->n++] =
            (vsr_runlog_train_point){p->step, p->loss, p->lr, p->steps_per_s, p->val_psnr};
        int rc = flush || vsr_cli_interrupted() ? flush_points(pg, err) : 0;
        if (rc)
            return rc;
    }
    if (vsr_cli_interrupted()) {
        pg->interrupted = 1;
        return 1;
    }
    return 0;
}

static void on_progress(void *ctx, const vsr_train_progress *p)
{
    const prog *pg = ctx;
    double eta = p->steps_per_s > 0 ? (double)(p->steps - p->step) / p->steps_per_s : 0;
    char val[48] = "";
    if (!isnan(p->val_psnr))
        snprintf(val, sizeof(val), " val %.3f dB", p->val_psnr);
    if (pg->tty)
        fprintf(stderr, "\rstep %ld/%ld loss %.5f lr %.2e %.2f steps/s ETA %ldm%02lds%s\033[K",
                p->step, p->steps, p->loss, p->lr, p->steps_per_s, (long)eta / 60,
                (long)eta % 60, val);
    else if (val[0] || p->step == p->steps)
        fprintf(stderr, "step %ld/%ld loss %.5f lr %.2e %.2f steps/s%s\n", p->step, p->steps,
                p->loss, p->lr, p->steps_per_s, val);
}

/* Open the run log and describe this run; 0 or a negative errno (err filled). */
static int log_open(const char *db, const char *cfg_path, const vsr_train_config *cfg,
                    const char *const *sets, int n_sets, vsr_runlog **log,
                    vsr_runlog_train *row, char **over, char **canon, char *weights,
                    size_t wcap, vsr_error *err)
{
    int rc = vsr_runlog_open(log, db, err);
    vsr_runlog_host host;
    int64_t host_id = 0;
    if (rc || (rc = vsr_runlog_host_detect(&host, err)) ||
        (rc = vsr_runlog_host_id(*log, &host, &host_id, err)))
        return rc;
    size_t on = 0;
    FILE *m = n_sets ? open_memstream(over, &on) : NULL;
    for (int i = 0; m && i < n_sets; i++)
        fprintf(m, "%s%s", i ? "\n" : "", sets[i]);
    if (m)
        fclose(m);
    /* the resolved values, as the run log keeps a sweep's canonical config */
    size_t cn = 0;
    if (!(m = open_memstream(canon, &cn)))
        return vsr_error_set(err, -ENOMEM, "out of memory");
    vsr_train_config_write(m, cfg);
    if (fclose(m))
        return vsr_error_set(err, -ENOMEM, "out of memory");
    if (snprintf(weights, wcap, "%s/%s.vsrw", cfg->out_dir, cfg->name) >= (int)wcap)
        return vsr_error_set(err, -ENAMETOOLONG, "%s: out_dir too long", cfg->out_dir);
    *row = (vsr_runlog_train){.name = cfg->name,
                              .out_dir = cfg->out_dir,
                              .model = cfg->model,
                              .config_path = cfg_path,
                              .config_text = cfg->text,
                              .overrides = *over,
                              .seed = cfg->seed,
                              .steps = cfg->steps,
                              .batch = cfg->batch,
                              .patch = cfg->patch,
                              .threads = cfg->threads,
                              .weights = weights,
                              .git_rev = VSR_GIT_REV,
                              .build_flags = VSR_BUILD_FLAGS,
                              .host_id = host_id,
                              .config_canonical = *canon};
    return 0;
}

int vsr_cmd_train(int argc, char **argv)
{
    enum { ARG_DB = 256, ARG_NO_DB, ARG_STOP_AFTER };
    static const struct option opts[] = {
        {"resume", no_argument, NULL, 'r'},
        {"set", required_argument, NULL, 's'},
        {"db", required_argument, NULL, ARG_DB},
        {"no-db", no_argument, NULL, ARG_NO_DB},
        {"stop-after", required_argument, NULL, ARG_STOP_AFTER},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int resume = 0, n_sets = 0, c, no_db = 0;
    long stop_after = 0;
    const char *db = NULL;
    const char **sets = calloc((size_t)argc + 1, sizeof(char *));
    if (!sets)
        return VSR_EXIT_FAILURE;
    optind = 1;
    while ((c = getopt_long(argc, argv, "rs:vh", opts, NULL)) != -1) {
        switch (c) {
        case 'r':
            resume = 1;
            break;
        case 's':
            sets[n_sets++] = optarg;
            break;
        case ARG_DB:
            db = optarg;
            break;
        case ARG_NO_DB:
            no_db = 1;
            break;
        case ARG_STOP_AFTER: {
            vsr_error perr;
            if (vsr_parse_long(optarg, 1, 1L << 30, &stop_after, "--stop-after", &perr)) {
                fprintf(stderr, "vsrbench train: %s\n", perr.msg);
                free(sets);
                return VSR_EXIT_USAGE;
            }
            break;
        }
        case 'v':
            vsr_log_set_level(VSR_LOG_INFO);
            break;
        default: /* -h, --help or a bad option */
            free(sets);
            return vsr_cli_help_exit(c, usage);
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        free(sets);
        return VSR_EXIT_USAGE;
    }
    if (db && no_db) {
        fprintf(stderr, "vsrbench train: --db and --no-db exclude each other\n");
        free(sets);
        return VSR_EXIT_USAGE;
    }
    vsr_error err = {0};
    vsr_train_config cfg;
    const char *cfg_path = argv[optind];
    int rc = vsr_train_config_load(cfg_path, sets, n_sets, &cfg, &err);
    if (rc) {
        free(sets);
        fprintf(stderr, "vsrbench train: %s\n", err.msg);
        return VSR_EXIT_USAGE;
    }
    if (!db)
        db = cfg.db ? cfg.db : "runs.db";
    prog pg = {.tty = isatty(STDERR_FILENO), .resume = resume};
    vsr_runlog_train row;
    char *over = NULL, *canon = NULL, weights[4200], curve[4200];
    snprintf(curve, sizeof(curve), "%s/loss.tsv", cfg.out_dir);
    pg.curve = curve;
    pg.row = &row;
    pthreadpool_t pool = NULL;
    int exit_code = VSR_EXIT_FAILURE;
    /* The db first: a bad --db fails before any training. */
    int orc = no_db ? 0
                    : log_open(db, cfg_path, &cfg, sets, n_sets, &pg.log, &row, &over, &canon,
                               weights, sizeof(weights), &err);
    if (orc) {
        fprintf(stderr, "vsrbench train: %s\n", err.msg);
        if (orc == -EINVAL) /* not a run log, or a newer one: as `run` and `report` */
            exit_code = VSR_EXIT_USAGE;
        goto done;
    }
    if (cfg.threads > 1 && vsr_cli_pool_create(cfg.threads, &pool, &err)) {
        fprintf(stderr, "vsrbench train: %s\n", err.msg);
        goto done;
    }
    vsr_train_hooks hk = {.progress = on_progress,
                          .ctx = &pg,
                          .stop_after = (int)stop_after,
                          .start = on_start,
                          .record = on_record};
    struct sigaction old_int;
    vsr_cli_sigint_begin(&old_int); /* Ctrl-C: checkpoint at the next step, exit 130 */
    rc = vsr_train_run(&cfg, resume, pool, &hk, &err);
    vsr_cli_sigint_end(&old_int);
    if (pg.tty)
        fputc('\n', stderr);
    if (pg.log && pg.id > 0 && !pg.db_failed) {
        vsr_error werr = {0};
        const char *status = rc ? "failed" : pg.last_step >= cfg.steps ? "done" : "interrupted";
        int wrc = pg.n ? flush_points(&pg, &werr) : 0; /* steps after the last flush */
        if (!wrc)
            wrc = vsr_runlog_train_finish(pg.log, pg.id, status, pg.last_step,
                                          vsr_clock_s() - pg.t0, rc ? err.msg : NULL, &werr);
        if (wrc) {
            fprintf(stderr, "vsrbench train: %s\n", werr.msg);
            if (!rc)
                rc = wrc;
        }
    }
    if (rc)
        fprintf(stderr, "vsrbench train: %s\n", err.msg);
    else if (pg.interrupted || pg.last_step < cfg.steps)
        fprintf(stderr,
                "vsrbench train: %s: %s at step %ld of %ld (checkpoint written); continue "
                "with --resume\n",
                cfg.name, pg.interrupted ? "interrupted" : "stopped", pg.last_step, cfg.steps);
    else {
        printf("%s: weights in %s/%s.vsrw, loss curve in %s/loss.tsv", cfg.name, cfg.out_dir,
               cfg.name, cfg.out_dir);
        if (pg.log)
            printf(" and %s (training run %lld)", vsr_runlog_path(pg.log), (long long)pg.id);
        printf("\n");
    }
    exit_code = rc               ? (rc == -EINVAL ? VSR_EXIT_USAGE : VSR_EXIT_FAILURE)
                : pg.interrupted ? VSR_EXIT_INTERRUPTED
                                 : VSR_EXIT_OK;
done:
    if (pool)
        pthreadpool_destroy(pool);
    vsr_runlog_close(&pg.log);
    free(pg.buf);
    free(over);
    free(canon);
    free(sets);
    vsr_train_config_free(&cfg);
    return exit_code;
}
