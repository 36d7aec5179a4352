/*
 * The run log: one SQLite file that keeps every sweep, run, metric, timing,
 * layer profile and tune result.
 *
 * Durability contract. The connection runs in WAL mode with
 * synchronous=NORMAL (a commit survives a process crash; a power cut may
 * lose the last commits but never corrupts the file), foreign_keys=ON and a
 * busy timeout, so several processes can write one db: every write
 * transaction starts with BEGIN IMMEDIATE, which takes the write lock up
 * front (or waits for it) instead of failing half-way. A run is inserted as
 * 'running' when it starts; its results and final status are committed
 * together by vsr_runlog_run_finish(), so a killed sweep leaves at most one
 * 'running' row per process and never a run with half its metrics.
 *
 * Every statement is prepared once at open and reused (bind, step, reset).
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "runlog_internal.h"
#include "vsr/bench.h"
#include "vsr/engine.h"

/*
 * The schema, as a list of migrations. PRAGMA user_version holds how many
 * have been applied. Never edit a shipped migration: append a new one.
 *
 * Conventions: STRICT tables; ids are INTEGER PRIMARY KEY; times are UTC
 * ISO-8601 text; ms are per LR frame; a metric not computed is NULL and a
 * PSNR of +inf is NULL with its *_inf flag set to 1.
 */
#define VSR_NOW "(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))"
/* seconds since the time in column @p col (a heartbeat) */
#define VSR_AGE(col) "((julianday('now') - julianday(" col ")) * 86400.0)"

/*
 * Text that several migrations spell alike: a table rebuilt to change a
 * CHECK (SQLite cannot alter one) keeps its columns, and v10 treats the
 * five v1 scores of clips and frames alike. These are parts of shipped
 * migrations: never edit one (that would change what the old migrations
 * create); a migration that needs other text writes it out.
 * clang-format is off from here to the end of migrations[]: it cannot lay
 * out string literals joined with macro calls.
 */
/* clang-format off */
/* The v1 CHECK lists (v5 adds fp16n to precision; v8 drops them all). */
#define PRECISION_V1 " CHECK (precision IN ('fp32', 'fp16', 'int8'))"
#define PRECISION_V5 " CHECK (precision IN ('fp32', 'fp16', 'fp16n', 'int8'))"
#define CALIB_V1 " CHECK (calib_method IN ('minmax', 'percentile', 'mse'))"
#define DEGRADATION_V1 " CHECK (degradation IN ('bi', 'bd'))"
#define RUNS_STATUS_V1                                                                         \
    "  status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'ok', 'failed')),"
/* v3 on: 'skipped' */
#define RUNS_STATUS_V3                                                                         \
    "  status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'ok', 'failed',"          \
    "                                         'skipped')),"
/* CREATE TABLE @p NAME with the runs columns of v1..v8 (v9 adds more by ALTER). */
#define RUNS_TABLE(NAME, PRECISION_CHECK, CALIB_CHECK, DEGRADATION_CHECK, STATUS)              \
    "CREATE TABLE " NAME " ("                                                                  \
    "  id INTEGER PRIMARY KEY,"                                                                \
    "  sweep_id INTEGER NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,"                    \
    "  host_id INTEGER REFERENCES hosts (id),"                                                 \
    "  run_key TEXT NOT NULL,"                                                                 \
    "  config_hash TEXT NOT NULL,"                                                             \
    "  model TEXT NOT NULL,"                                                                   \
    "  variant TEXT NOT NULL,"                                                                 \
    "  precision TEXT NOT NULL" PRECISION_CHECK ","                                            \
    "  calib_method TEXT" CALIB_CHECK ","                                                      \
    "  calib_frames INTEGER,"                                                                  \
    "  dataset TEXT NOT NULL,"                                                                 \
    "  degradation TEXT NOT NULL" DEGRADATION_CHECK ","                                        \
    "  scale INTEGER NOT NULL,"                                                                \
    "  tile INTEGER NOT NULL,"                                                                 \
    "  pad INTEGER NOT NULL,"                                                                  \
    "  threads INTEGER NOT NULL,"                                                              \
    STATUS                                                                                     \
    "  error TEXT,"                                                                            \
    "  git_rev TEXT,"                                                                          \
    "  build_flags TEXT,"                                                                      \
    "  isa TEXT,"                                                                              \
    "  params INTEGER,"                                                                        \
    "  macs INTEGER,"                                                                          \
    "  input_w INTEGER,"                                                                       \
    "  input_h INTEGER,"                                                                       \
    "  pid INTEGER,"                                                                           \
    "  started TEXT,"                                                                          \
    "  finished TEXT"                                                                          \
    ") STRICT;"
#define RUNS_INDEXES                                                                           \
    "CREATE INDEX runs_by_hash ON runs (config_hash, status);"                                 \
    "CREATE INDEX runs_by_sweep ON runs (sweep_id);"
/* The v2 columns of tune_results (later ones follow them in a rebuild). */
#define TUNE_COLUMNS(PRECISION_CHECK)                                                          \
    "  id INTEGER PRIMARY KEY,"                                                                \
    "  sweep_id INTEGER NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,"                    \
    "  host_id INTEGER REFERENCES hosts (id),"                                                 \
    "  model TEXT NOT NULL,"                                                                   \
    "  variant TEXT NOT NULL,"                                                                 \
    "  precision TEXT NOT NULL" PRECISION_CHECK ","                                            \
    "  dataset TEXT NOT NULL,"                                                                 \
    "  tile INTEGER NOT NULL,"                                                                 \
    "  pad INTEGER NOT NULL,"                                                                  \
    "  threads INTEGER NOT NULL,"                                                              \
    "  ms REAL NOT NULL,"                                                                      \
    "  psnr_delta REAL,"                                                                       \
    "  identical INTEGER NOT NULL CHECK (identical IN (0, 1)),"                                \
    "  pareto INTEGER NOT NULL CHECK (pareto IN (0, 1)),"                                      \
    "  recommended INTEGER NOT NULL CHECK (recommended IN (0, 1)),"                            \
    "  created TEXT NOT NULL DEFAULT " VSR_NOW
/* Table @p TABLE takes the rows and the place of its rebuilt copy @p COPY. */
#define REPLACE_TABLE(TABLE, COPY)                                                             \
    "INSERT INTO " COPY " SELECT * FROM " TABLE ";"                                            \
    "DROP TABLE " TABLE ";"                                                                    \
    "ALTER TABLE " COPY " RENAME TO " TABLE ";"
/* v10: the five v1 scores of table @p SRC (keys @p KEYS) as rows of @p DST. */
#define V1_SCORES_COPY(DST, KEYS, SRC)                                                         \
    "INSERT INTO " DST " SELECT " KEYS ", 'psnr', 'rgb', psnr_rgb, psnr_rgb_inf"               \
    " FROM " SRC " WHERE psnr_rgb IS NOT NULL OR psnr_rgb_inf;"                                \
    "INSERT INTO " DST " SELECT " KEYS ", 'psnr', 'y', psnr_y, psnr_y_inf"                     \
    " FROM " SRC " WHERE psnr_y IS NOT NULL OR psnr_y_inf;"                                    \
    "INSERT INTO " DST " SELECT " KEYS ", 'ssim', 'rgb', ssim_rgb, 0"                          \
    " FROM " SRC " WHERE ssim_rgb IS NOT NULL;"                                                \
    "INSERT INTO " DST " SELECT " KEYS ", 'ssim', 'y', ssim_y, 0"                              \
    " FROM " SRC " WHERE ssim_y IS NOT NULL;"                                                  \
    "INSERT INTO " DST " SELECT " KEYS ", 'niqe', '', niqe, 0"                                 \
    " FROM " SRC " WHERE niqe IS NOT NULL;"
/* v10's views: column @p COL of the row of score table @p SCORES for row c
 * (@p AND_FRAME: the frame's condition, "" for clips). */
#define V1_SCORE_OF(SCORES, AND_FRAME, COL, METRIC, CHANNEL)                                   \
    "(SELECT " COL " FROM " SCORES " s WHERE s.run_id = c.run_id AND s.clip = c.clip"          \
    AND_FRAME "   AND s.metric = '" METRIC "' AND s.channel = '" CHANNEL "')"
/* the pivot: the v1 score columns, one (SELECT ...) each */
#define V1_SCORES_PIVOT(SCORES, AND_FRAME)                                                     \
    " " V1_SCORE_OF(SCORES, AND_FRAME, "value", "psnr", "rgb") " AS psnr_rgb,"                 \
    " " V1_SCORE_OF(SCORES, AND_FRAME, "value", "psnr", "y") " AS psnr_y,"                     \
    " " V1_SCORE_OF(SCORES, AND_FRAME, "value", "ssim", "rgb") " AS ssim_rgb,"                 \
    " " V1_SCORE_OF(SCORES, AND_FRAME, "value", "ssim", "y") " AS ssim_y,"                     \
    " " V1_SCORE_OF(SCORES, AND_FRAME, "value", "niqe", "") " AS niqe,"                        \
    " coalesce(" V1_SCORE_OF(SCORES, AND_FRAME, "is_inf", "psnr", "rgb") ", 0)"                \
    " AS psnr_rgb_inf,"                                                                        \
    " coalesce(" V1_SCORE_OF(SCORES, AND_FRAME, "is_inf", "psnr", "y") ", 0)"                  \
    " AS psnr_y_inf"
/* v10's INSTEAD OF triggers: the v1 scores of the NEW row (keys @p NEW_KEYS)
 * as rows of @p SCORES (keys @p KEYS). */
#define V1_SCORES_INSERT(SCORES, KEYS, NEW_KEYS)                                               \
    " INSERT INTO " SCORES " (" KEYS ", metric, channel, value, is_inf)"                       \
    "   SELECT " NEW_KEYS ", 'psnr', 'rgb', NEW.psnr_rgb, coalesce(NEW.psnr_rgb_inf, 0)"       \
    "   WHERE NEW.psnr_rgb IS NOT NULL OR coalesce(NEW.psnr_rgb_inf, 0);"                      \
    " INSERT INTO " SCORES " (" KEYS ", metric, channel, value, is_inf)"                       \
    "   SELECT " NEW_KEYS ", 'psnr', 'y', NEW.psnr_y, coalesce(NEW.psnr_y_inf, 0)"             \
    "   WHERE NEW.psnr_y IS NOT NULL OR coalesce(NEW.psnr_y_inf, 0);"                          \
    " INSERT INTO " SCORES " (" KEYS ", metric, channel, value, is_inf)"                       \
    "   SELECT " NEW_KEYS ", 'ssim', 'rgb', NEW.ssim_rgb, 0"                                   \
    "   WHERE NEW.ssim_rgb IS NOT NULL;"                                                       \
    " INSERT INTO " SCORES " (" KEYS ", metric, channel, value, is_inf)"                       \
    "   SELECT " NEW_KEYS ", 'ssim', 'y', NEW.ssim_y, 0"                                       \
    "   WHERE NEW.ssim_y IS NOT NULL;"                                                         \
    " INSERT INTO " SCORES " (" KEYS ", metric, channel, value, is_inf)"                       \
    "   SELECT " NEW_KEYS ", 'niqe', '', NEW.niqe, 0"                                          \
    "   WHERE NEW.niqe IS NOT NULL;"

static const char *const migrations[] = {
    /* ---- v1: sweeps, runs, hosts, metrics, timings, layer profiles ---- */
    /* hosts: one row per distinct machine (hostname, CPU model, ISA flags,
     * logical cores). cpu_flags keeps only the ISA-relevant /proc/cpuinfo
     * flags, space separated. */
    "CREATE TABLE hosts ("
    "  id INTEGER PRIMARY KEY,"
    "  hostname TEXT NOT NULL,"
    "  cpu_model TEXT NOT NULL,"
    "  cpu_flags TEXT NOT NULL,"
    "  cores INTEGER NOT NULL,"
    "  created TEXT NOT NULL DEFAULT " VSR_NOW ","
    "  UNIQUE (hostname, cpu_model, cpu_flags, cores)"
    ") STRICT;"
    /* sweeps: one per `vsrbench run` (reused by --resume when the effective
     * config hash is the same). config_text is the YAML file as read;
     * overrides the --set arguments, one per line; config_hash the FNV-1a
     * 64 hash (16 hex digits) of the canonical effective config. */
    "CREATE TABLE sweeps ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  config_path TEXT,"
    "  config_text TEXT NOT NULL,"
    "  overrides TEXT,"
    "  config_hash TEXT NOT NULL,"
    "  created TEXT NOT NULL DEFAULT " VSR_NOW ") STRICT;"
    "CREATE INDEX sweeps_by_hash ON sweeps (name, config_hash);"
    /* runs: one row per run = model x variant x precision x dataset x
     * degradation x tile x pad x threads. run_key spells those axes
     * ("abpn_x4/base/int8-minmax-8/demo/bi/t0/p0/th2"); config_hash covers
     * everything that affects the result (axes, dataset roots, metric and
     * timing settings, weights), so --resume skips a run when an 'ok' row
     * with the same config_hash exists. calib_* are NULL unless int8.
     * params/macs/input_* are those of the built model (macs per LR frame
     * at input_w x input_h); isa names the kernels used. pid is the
     * process that ran it (to tell a dead 'running' row from a live one). */
    RUNS_TABLE("runs", PRECISION_V1, CALIB_V1, DEGRADATION_V1, RUNS_STATUS_V1)
    RUNS_INDEXES
    /* clip_metrics: per-clip means over its frames (BasicSR style: mean of
     * the per-frame values). */
    "CREATE TABLE clip_metrics ("
    "  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    "  clip TEXT NOT NULL,"
    "  frames INTEGER NOT NULL,"
    "  psnr_rgb REAL, psnr_y REAL, ssim_rgb REAL, ssim_y REAL, niqe REAL,"
    "  psnr_rgb_inf INTEGER NOT NULL DEFAULT 0 CHECK (psnr_rgb_inf IN (0, 1)),"
    "  psnr_y_inf INTEGER NOT NULL DEFAULT 0 CHECK (psnr_y_inf IN (0, 1)),"
    "  PRIMARY KEY (run_id, clip)"
    ") STRICT;"
    /* frame_metrics: one row per SR frame; ms is that frame's inference
     * time (NULL when not timed). */
    "CREATE TABLE frame_metrics ("
    "  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    "  clip TEXT NOT NULL,"
    "  frame INTEGER NOT NULL,"
    "  psnr_rgb REAL, psnr_y REAL, ssim_rgb REAL, ssim_y REAL, niqe REAL,"
    "  psnr_rgb_inf INTEGER NOT NULL DEFAULT 0 CHECK (psnr_rgb_inf IN (0, 1)),"
    "  psnr_y_inf INTEGER NOT NULL DEFAULT 0 CHECK (psnr_y_inf IN (0, 1)),"
    "  ms REAL,"
    "  PRIMARY KEY (run_id, clip, frame)"
    ") STRICT;"
    /* timings: ms per LR frame over `count` timed frames after `warmup`
     * untimed ones. median = middle sample (mean of the two middle ones
     * when count is even); p95 = nearest rank ceil(0.95 count); std =
     * population std; first_ms = the first (cold) warm-up frame. */
    "CREATE TABLE timings ("
    "  run_id INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,"
    "  count INTEGER NOT NULL,"
    "  warmup INTEGER NOT NULL,"
    "  first_ms REAL,"
    "  min_ms REAL NOT NULL,"
    "  median_ms REAL NOT NULL,"
    "  p95_ms REAL NOT NULL,"
    "  max_ms REAL NOT NULL,"
    "  mean_ms REAL NOT NULL,"
    "  std_ms REAL NOT NULL"
    ") STRICT;"
    /* layer_profile: mean ms per LR frame per layer, in graph order. */
    "CREATE TABLE layer_profile ("
    "  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    "  layer INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  op TEXT NOT NULL,"
    "  ms REAL NOT NULL,"
    "  macs INTEGER,"
    "  PRIMARY KEY (run_id, layer)"
    ") STRICT;",

    /* ---- v2: tune results (vsrbench tune) ---- */
    /* One row per measured (tile, pad, threads) of a tune session (a sweeps
     * row). ms = median ms per LR frame; psnr_delta = PSNR(tiled vs GT) -
     * PSNR(untiled vs GT) in dB (NULL unknown); identical = output equals
     * the untiled output bit for bit; pareto = no other setting is both
     * faster and has a smaller PSNR loss; recommended = the one pick. */
    "CREATE TABLE tune_results (" TUNE_COLUMNS(PRECISION_V1) ") STRICT;"
    "CREATE INDEX tune_by_sweep ON tune_results (sweep_id);",

    /* ---- v3: 'skipped' runs; tune p95 and PSNR against the untiled output ---- */
    /* runs.status gains 'skipped': a run that could not start for a reason
     * that is not a failure (an optional model whose weights file is absent);
     * error then says how to get what is missing. SQLite cannot alter a CHECK
     * constraint, so runs is rebuilt (vsr_runlog_migrate() turns foreign keys
     * off around migrations, so the children's rows stay) with the same
     * columns in the same order.
     * tune_results gains ms_p95 (nearest-rank p95 ms per LR frame) and
     * psnr_vs_untiled: PSNR in dB of the tiled output against the untiled
     * output over all pixels of all frames (RGB, no crop); +inf (identical)
     * is stored as NULL with identical = 1. */
    RUNS_TABLE("runs_v3", PRECISION_V1, CALIB_V1, DEGRADATION_V1, RUNS_STATUS_V3)
    REPLACE_TABLE("runs", "runs_v3")
    RUNS_INDEXES
    "ALTER TABLE tune_results ADD COLUMN ms_p95 REAL;"
    "ALTER TABLE tune_results ADD COLUMN psnr_vs_untiled REAL;",

    /* ---- v4: training runs and their loss curves (vsrbench train) ---- */
    /* train_runs: one row per training of one config into one out_dir;
     * `vsrbench train --resume` reuses the newest row with the same (name,
     * out_dir). config_text is the YAML file as read, overrides the --set
     * arguments one per line. steps = planned budget; final_step = last
     * step logged; wall_s = training seconds summed over the attempts.
     * val_psnr_y = the last validation (mean over the demo clips of the
     * per-frame Y-PSNR, crop 4, dB); bicubic_psnr_y = bicubic on the same
     * clips. status: 'running' (stays so if the process died),
     * 'done' (final_step = steps), 'interrupted' (stopped early, resumable),
     * 'failed' (error holds one line). host_id/git_rev/build_flags/pid as in
     * runs. weights = the .vsrw path the run writes. */
    "CREATE TABLE train_runs ("
    "  id INTEGER PRIMARY KEY,"
    "  host_id INTEGER REFERENCES hosts (id),"
    "  name TEXT NOT NULL,"
    "  out_dir TEXT NOT NULL,"
    "  model TEXT NOT NULL,"
    "  config_path TEXT,"
    "  config_text TEXT NOT NULL,"
    "  overrides TEXT,"
    "  seed INTEGER NOT NULL,"
    "  steps INTEGER NOT NULL CHECK (steps >= 1),"
    "  batch INTEGER NOT NULL,"
    "  patch INTEGER NOT NULL,"
    "  threads INTEGER NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN ('running', 'done', 'interrupted', 'failed')),"
    "  error TEXT,"
    "  final_step INTEGER NOT NULL DEFAULT 0,"
    "  wall_s REAL NOT NULL DEFAULT 0,"
    "  val_psnr_y REAL,"
    "  bicubic_psnr_y REAL,"
    "  weights TEXT,"
    "  git_rev TEXT,"
    "  build_flags TEXT,"
    "  pid INTEGER,"
    "  started TEXT NOT NULL DEFAULT " VSR_NOW ","
    "  finished TEXT"
    ") STRICT;"
    "CREATE INDEX train_runs_by_name ON train_runs (name, out_dir);"
    /* train_points: the loss curve, one row per optimisation step (1-based:
     * the step just taken). loss = mean loss of the step's batch; lr the
     * learning rate it used; steps_per_s the mean rate of the attempt so far
     * (NULL for rows recovered from loss.tsv); val_psnr_y NULL unless
     * validated at this step. */
    "CREATE TABLE train_points ("
    "  train_run_id INTEGER NOT NULL REFERENCES train_runs (id) ON DELETE CASCADE,"
    "  step INTEGER NOT NULL CHECK (step >= 1),"
    "  loss REAL NOT NULL,"
    "  lr REAL NOT NULL,"
    "  steps_per_s REAL,"
    "  val_psnr_y REAL,"
    "  PRIMARY KEY (train_run_id, step)"
    ") STRICT;",

    /* ---- v5: precision 'fp16n' in runs and tune_results ---- */
    /* 'fp16n' (VSR_PREC_FP16N: FP16 with binary16-FMA convs) joins the
     * precision CHECK of runs and tune_results. As in v3, SQLite cannot alter
     * a CHECK, so both are rebuilt with the same columns in the same order
     * (tune_results' v3 columns ms_p95 and psnr_vs_untiled stay last) and
     * their indexes recreated; foreign keys are off during migrations, so
     * the rows that reference runs stay, ids unchanged. */
    RUNS_TABLE("runs_v5", PRECISION_V5, CALIB_V1, DEGRADATION_V1, RUNS_STATUS_V3)
    REPLACE_TABLE("runs", "runs_v5")
    RUNS_INDEXES
    "CREATE TABLE tune_results_v5 (" TUNE_COLUMNS(PRECISION_V5) ","
    "  ms_p95 REAL,"
    "  psnr_vs_untiled REAL"
    ") STRICT;"
    REPLACE_TABLE("tune_results", "tune_results_v5")
    "CREATE INDEX tune_by_sweep ON tune_results (sweep_id);",

    /* ---- v6: run leases, so several processes split one sweep ---- */
    /* sweep_workers: one row per process working on a sweep (`vsrbench run`)
     * from the moment it joins until it leaves (left_at set) or dies.
     * hostname is gethostname(), pid the process id, heartbeat renewed every
     * VSR_RUNLOG_HEARTBEAT_S seconds while the process lives. A process that
     * starts a sweep (same name and config hash) while a live worker is in it
     * joins that sweep instead of starting a new one.
     * run_leases: the claim of one run (config_hash) of one sweep by one
     * process, taken in a BEGIN IMMEDIATE transaction together with the runs
     * row of the attempt (run_id), so that every run of a sweep is run once
     * however many processes work on it. heartbeat as above; finished is set
     * in the transaction that gives the run its final status, and the lease
     * then means "done in this session". An owner is dead when it is on this
     * host and its pid is gone (kill(pid, 0) == ESRCH), or on another host
     * and its heartbeat is older than VSR_RUNLOG_LEASE_TIMEOUT_S; a dead
     * owner's lease is taken over and its 'running' row marked failed
     * ('interrupted: ...'). When a sweep has no live worker left, the next
     * `run --resume` of it starts a new session: its leases and workers are
     * deleted (the runs rows stay). */
    "CREATE TABLE sweep_workers ("
    "  id INTEGER PRIMARY KEY,"
    "  sweep_id INTEGER NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,"
    "  hostname TEXT NOT NULL,"
    "  pid INTEGER NOT NULL,"
    "  joined TEXT NOT NULL DEFAULT " VSR_NOW ","
    "  heartbeat TEXT NOT NULL DEFAULT " VSR_NOW ","
    "  left_at TEXT"
    ") STRICT;"
    "CREATE INDEX sweep_workers_by_sweep ON sweep_workers (sweep_id);"
    "CREATE TABLE run_leases ("
    "  sweep_id INTEGER NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,"
    "  config_hash TEXT NOT NULL,"
    "  run_id INTEGER REFERENCES runs (id) ON DELETE SET NULL,"
    "  hostname TEXT NOT NULL,"
    "  pid INTEGER NOT NULL,"
    "  claimed TEXT NOT NULL DEFAULT " VSR_NOW ","
    "  heartbeat TEXT NOT NULL DEFAULT " VSR_NOW ","
    "  finished TEXT,"
    "  PRIMARY KEY (sweep_id, config_hash)"
    ") STRICT;"
    "CREATE INDEX run_leases_by_run ON run_leases (run_id);",
    /* ---- v7: how sure a timing is, and what the machine was doing ---- */
    /* timings gains: median_lo_ms / median_hi_ms, the distribution-free 95%
     * interval of the median (order statistics x_(l), x_(n+1-l) with binomial
     * ranks; [min, max] when count < 6); total_ms, the summed timed ms;
     * init_ms, model build + weights + calibration + engine creation ms;
     * load1, the 1-minute load average at the end; other_cpu and steal, the
     * shares (0..1) of all CPUs' time other processes took (/proc/stat busy
     * minus this process's getrusage) and the hypervisor stole while the run
     * was timed; invol_csw, this process's involuntary context switches
     * then; cpu_mhz, the mean CPU clock at the end; threads_used, the pool
     * size actually used (runs.threads is the config's, 0 = `auto`); pinned,
     * the --pin CPU list (NULL not pinned); noisy = 1 when the interval or
     * the contention passed a threshold of bench.h (VSR_TIMING_NOISY_*), with
     * noisy_why saying which. NULL = unknown (rows of older versions).
     * tune_results gains ms_lo / ms_hi (the interval of ms), noisy and
     * noisy_why, same meanings. */
    "ALTER TABLE timings ADD COLUMN median_lo_ms REAL;"
    "ALTER TABLE timings ADD COLUMN median_hi_ms REAL;"
    "ALTER TABLE timings ADD COLUMN total_ms REAL;"
    "ALTER TABLE timings ADD COLUMN init_ms REAL;"
    "ALTER TABLE timings ADD COLUMN load1 REAL;"
    "ALTER TABLE timings ADD COLUMN other_cpu REAL;"
    "ALTER TABLE timings ADD COLUMN steal REAL;"
    "ALTER TABLE timings ADD COLUMN invol_csw INTEGER;"
    "ALTER TABLE timings ADD COLUMN cpu_mhz REAL;"
    "ALTER TABLE timings ADD COLUMN threads_used INTEGER;"
    "ALTER TABLE timings ADD COLUMN pinned TEXT;"
    "ALTER TABLE timings ADD COLUMN noisy INTEGER NOT NULL DEFAULT 0 CHECK (noisy IN (0, 1));"
    "ALTER TABLE timings ADD COLUMN noisy_why TEXT;"
    "ALTER TABLE tune_results ADD COLUMN ms_lo REAL;"
    "ALTER TABLE tune_results ADD COLUMN ms_hi REAL;"
    "ALTER TABLE tune_results ADD COLUMN noisy INTEGER NOT NULL DEFAULT 0"
    "  CHECK (noisy IN (0, 1));"
    "ALTER TABLE tune_results ADD COLUMN noisy_why TEXT;",

    /* ---- v8: no CHECK lists of enum names in runs and tune_results ---- */
    /* precision, calib_method and degradation were CHECKed against fixed
     * lists, so each new name (fp16n in v5; calib_method 'file', an INT8
     * TFLite file's own quantization) needed a table rebuild. The names are
     * checked where they are parsed (the config loader) instead, and this
     * last rebuild drops the lists; status and the 0/1 flags keep theirs.
     * Same columns in the same order (tune_results' later columns last),
     * indexes recreated; foreign keys are off during migrations, so the rows
     * that reference runs stay, ids unchanged. */
    RUNS_TABLE("runs_v8", "", "", "", RUNS_STATUS_V3)
    REPLACE_TABLE("runs", "runs_v8")
    RUNS_INDEXES
    "CREATE TABLE tune_results_v8 (" TUNE_COLUMNS("") ","
    "  ms_p95 REAL,"
    "  psnr_vs_untiled REAL,"
    "  ms_lo REAL,"
    "  ms_hi REAL,"
    "  noisy INTEGER NOT NULL DEFAULT 0 CHECK (noisy IN (0, 1)),"
    "  noisy_why TEXT"
    ") STRICT;"
    REPLACE_TABLE("tune_results", "tune_results_v8")
    "CREATE INDEX tune_by_sweep ON tune_results (sweep_id);",

    /* ---- v9: the research log's figures and NTIRE ESR's context ---- */
    /* runs gains: description, the config's `description:` of the model
     * (what changed, for the research-log table); params_log, the Keras
     * count with the log's conventions (vsr_models_counts.params_log) and
     * flops_log, the log's FLOPs at its 180x320 (docs/MODEL_SPECS.md 0.2); macs_180x320
     * and macs_256x256, MACs at the two reference sizes (the log's and NTIRE
     * ESR's); conv_activations (elements written by convs), n_conv and
     * peak_bytes (the activation arena peak for the run's precision), all at
     * 256x256. NULL = not recorded (rows of older versions, bicubic). */
    "ALTER TABLE runs ADD COLUMN description TEXT;"
    "ALTER TABLE runs ADD COLUMN params_log INTEGER;"
    "ALTER TABLE runs ADD COLUMN flops_log INTEGER;"
    "ALTER TABLE runs ADD COLUMN macs_180x320 INTEGER;"
    "ALTER TABLE runs ADD COLUMN macs_256x256 INTEGER;"
    "ALTER TABLE runs ADD COLUMN conv_activations INTEGER;"
    "ALTER TABLE runs ADD COLUMN n_conv INTEGER;"
    "ALTER TABLE runs ADD COLUMN peak_bytes INTEGER;",

    /* ---- v10: scores by name in long tables ---- */
    /* A score is a row (run, clip[, frame], metric, channel, value, is_inf):
     * metric is a name of the metric registry (vsr_metrics_list(): psnr,
     * ssim, niqe, ... -- no CHECK list, a new metric needs no migration),
     * channel one of its channels ('rgb', 'y') or '' for a metric with one.
     * A +inf score (PSNR of identical frames) is value NULL, is_inf 1; a
     * score not computed has no row. run_clips holds each clip's frame count
     * and run_frames each frame's ms (NULL when not timed), so a clip or
     * frame without scores still has its row. The v1 tables become views of
     * the same name and columns (the pivot of psnr/ssim/niqe; an INSTEAD OF
     * trigger takes inserts), so older readers and SQL keep working. Every
     * v9 value is copied as it is (the NULLs of not-computed scores stay
     * absent rows). The tables `vsrbench merge` (run_provenance) and sharded
     * runs (shard_sessions) used to create when first needed join the
     * numbered schema here (IF NOT EXISTS: files that have them keep them). */
    "CREATE TABLE run_clips ("
    "  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    "  clip TEXT NOT NULL,"
    "  frames INTEGER NOT NULL,"
    "  PRIMARY KEY (run_id, clip)"
    ") STRICT;"
    "CREATE TABLE run_frames ("
    "  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    "  clip TEXT NOT NULL,"
    "  frame INTEGER NOT NULL,"
    "  ms REAL,"
    "  PRIMARY KEY (run_id, clip, frame)"
    ") STRICT;"
    "CREATE TABLE clip_scores ("
    "  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    "  clip TEXT NOT NULL,"
    "  metric TEXT NOT NULL,"
    "  channel TEXT NOT NULL,"
    "  value REAL,"
    "  is_inf INTEGER NOT NULL DEFAULT 0 CHECK (is_inf IN (0, 1)),"
    "  PRIMARY KEY (run_id, clip, metric, channel)"
    ") STRICT;"
    "CREATE TABLE frame_scores ("
    "  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,"
    "  clip TEXT NOT NULL,"
    "  frame INTEGER NOT NULL,"
    "  metric TEXT NOT NULL,"
    "  channel TEXT NOT NULL,"
    "  value REAL,"
    "  is_inf INTEGER NOT NULL DEFAULT 0 CHECK (is_inf IN (0, 1)),"
    "  PRIMARY KEY (run_id, clip, frame, metric, channel)"
    ") STRICT;"
    "ALTER TABLE clip_metrics RENAME TO clip_metrics_v9;"
    "ALTER TABLE frame_metrics RENAME TO frame_metrics_v9;"
    "INSERT INTO run_clips SELECT run_id, clip, frames FROM clip_metrics_v9;"
    "INSERT INTO run_frames SELECT run_id, clip, frame, ms FROM frame_metrics_v9;"
    V1_SCORES_COPY("clip_scores", "run_id, clip", "clip_metrics_v9")
    V1_SCORES_COPY("frame_scores", "run_id, clip, frame", "frame_metrics_v9")
    "DROP TABLE clip_metrics_v9;"
    "DROP TABLE frame_metrics_v9;"
    /* the pivot: one column per v1 score, (SELECT ...) of the score's row */
    "CREATE VIEW clip_metrics AS SELECT c.run_id, c.clip, c.frames,"
    V1_SCORES_PIVOT("clip_scores", "") " FROM run_clips c;"
    "CREATE VIEW frame_metrics AS SELECT c.run_id, c.clip, c.frame,"
    V1_SCORES_PIVOT("frame_scores", " AND s.frame = c.frame") ", c.ms FROM run_frames c;"
    "CREATE TRIGGER clip_metrics_insert INSTEAD OF INSERT ON clip_metrics BEGIN"
    " INSERT INTO run_clips (run_id, clip, frames) VALUES (NEW.run_id, NEW.clip, NEW.frames);"
    V1_SCORES_INSERT("clip_scores", "run_id, clip", "NEW.run_id, NEW.clip")
    " END;"
    "CREATE TRIGGER frame_metrics_insert INSTEAD OF INSERT ON frame_metrics BEGIN"
    " INSERT INTO run_frames (run_id, clip, frame, ms)"
    "   VALUES (NEW.run_id, NEW.clip, NEW.frame, NEW.ms);"
    V1_SCORES_INSERT("frame_scores", "run_id, clip, frame", "NEW.run_id, NEW.clip, NEW.frame")
    " END;"
    "CREATE TABLE IF NOT EXISTS run_provenance ("
    "  run_id INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,"
    "  source_file TEXT NOT NULL,"
    "  source_run_id INTEGER NOT NULL,"
    "  shard TEXT,"
    "  node TEXT,"
    "  hostname TEXT,"
    "  merged TEXT NOT NULL DEFAULT " VSR_NOW ") STRICT;"
    "CREATE TABLE IF NOT EXISTS shard_sessions ("
    "  id INTEGER PRIMARY KEY,"
    "  sweep_id INTEGER NOT NULL,"
    "  hostname TEXT NOT NULL,"
    "  pid INTEGER NOT NULL,"
    "  shard TEXT,"
    "  node TEXT,"
    "  started TEXT NOT NULL DEFAULT " VSR_NOW ") STRICT;",

    /* ---- v11: tune's tiling axes ---- */
    /* tune_results gains tile_mode (clip, fixed, padded, feather: how the
     * frame is cut, vsr_tile_mode_name()), padding (zero, mean, reflect,
     * replicate: what a fixed / padded / feather window reads outside the
     * frame; NULL for clip and untiled rows) and tile_workers (tiles on that
     * many engines at once). Older rows were clip with one worker. */
    "ALTER TABLE tune_results ADD COLUMN tile_mode TEXT NOT NULL DEFAULT 'clip';"
    "ALTER TABLE tune_results ADD COLUMN padding TEXT;"
    "ALTER TABLE tune_results ADD COLUMN tile_workers INTEGER NOT NULL DEFAULT 1;",

    /* ---- v12: phone timings brought back (vsrbench device import) ---- */
    /* device_timings: one figure of one model on one device, from a TFLite
     * benchmark_model log or a hand-typed CSV (bench/device.c). Times in ms
     * per inference (the log's us / 1000), NULL where the input has none.
     * It links to runs by model (and variant when not '') and precision,
     * case-insensitively: the view run_device_timings spells the link out.
     * source_sha256 is the input file's; importing the same file again adds
     * nothing (one row per record: source_line is the record's last line). */
    "CREATE TABLE device_timings ("
    "  id INTEGER PRIMARY KEY,"
    "  device TEXT NOT NULL CHECK (device <> ''),"
    "  backend TEXT NOT NULL DEFAULT '',"
    "  model TEXT NOT NULL CHECK (model <> ''),"
    "  variant TEXT NOT NULL DEFAULT '',"
    "  precision TEXT NOT NULL CHECK (precision <> ''),"
    "  graph TEXT,"
    "  threads INTEGER,"
    "  count INTEGER,"
    "  init_ms REAL,"
    "  first_ms REAL,"
    "  warmup_ms REAL,"
    "  mean_ms REAL NOT NULL CHECK (mean_ms >= 0),"
    "  std_ms REAL,"
    "  min_ms REAL,"
    "  max_ms REAL,"
    "  median_ms REAL,"
    "  p5_ms REAL,"
    "  p95_ms REAL,"
    "  source_file TEXT NOT NULL,"
    "  source_sha256 TEXT NOT NULL,"
    "  source_line INTEGER NOT NULL,"
    "  imported TEXT NOT NULL DEFAULT " VSR_NOW ","
    "  UNIQUE (source_sha256, source_line)"
    ") STRICT;"
    "CREATE INDEX device_timings_model ON device_timings (model COLLATE NOCASE,"
    " precision COLLATE NOCASE);"
    "CREATE VIEW run_device_timings AS SELECT r.id AS run_id, d.*"
    " FROM runs r JOIN device_timings d"
    " ON r.model = d.model COLLATE NOCASE AND r.precision = d.precision COLLATE NOCASE"
    " AND (d.variant = '' OR r.variant = d.variant);",

    /* ---- v13: a training run's resolved config ---- */
    /* train_runs.config_canonical: the option table's resolved values of
     * the training config (vsr_train_config_write(): one KEY=VALUE line per
     * key in table order, every default filled in, after --set), what the
     * run really used; NULL for rows from before. */
    "ALTER TABLE train_runs ADD COLUMN config_canonical TEXT;",

    /* ---- v14: tune's quality columns and score ---- */
    /* Rows of
     * `vsrbench tune` gain the quality the score was computed from and the
     * score: psnr, the mean PSNR-Y against GT (crop = scale; NULL without GT
     * or +inf), niqe, the mean NIQE of the output (NULL when not measured),
     * score, the row's value of --score (NULL for pareto or a NaN score) and
     * score_formula, "<name>: <formula>" as vsr_score has them (NULL for
     * pareto). precision may now also read 'int8-sym' (symmetric activation
     * ranges; 'int8' stays the asymmetric default). */
    "ALTER TABLE tune_results ADD COLUMN psnr REAL;"
    "ALTER TABLE tune_results ADD COLUMN niqe REAL;"
    "ALTER TABLE tune_results ADD COLUMN score REAL;"
    "ALTER TABLE tune_results ADD COLUMN score_formula TEXT;",

    /* ---- v15: the conv algorithm of each profiled layer ---- */
    /* layer_profile.algo: for convs, the algorithm that ran ('direct',
     * 'winograd F(2,3)', 'winograd F(4,3)': engine.conv_algo, and for auto
     * what the first frame's timing chose); NULL for other ops and rows from
     * before. */
    "ALTER TABLE layer_profile ADD COLUMN algo TEXT;",

    /* ---- v16: frames the helper gate ran alone ---- */
    /* timings.frames_alone: of the timed frames, those the engine's helper
     * gate ran on the calling thread alone, because its pool was slower
     * (another process held a CPU; vsr_engine_options.always_pool); 0 for
     * 1-thread runs, NULL unknown (runs without the engine, rows from
     * before). With a pool of N, median_ms then mixes frames on N threads
     * and on 1, and is what that machine gave. */
    "ALTER TABLE timings ADD COLUMN frames_alone INTEGER;",
};
/* clang-format on */

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

enum {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_HOST_INSERT,
    ST_HOST_SELECT,
    ST_SWEEP_FIND,
    ST_SWEEP_INSERT,
    ST_RUN_INSERT,
    ST_RUN_FINISH,
    ST_TIMING_INSERT,
    ST_CLIP_INSERT,
    ST_FRAME_INSERT,
    ST_CLIP_SCORE,
    ST_FRAME_SCORE,
    ST_LAYER_INSERT,
    ST_FIND_OK,
    ST_STALE_SELECT,
    ST_MARK_FAILED,
    ST_TUNE_INSERT,
    ST_RUN_SKIP,
    ST_TRAIN_FIND,
    ST_TRAIN_INSERT,
    ST_TRAIN_REOPEN,
    ST_TRAIN_CUT,
    ST_TRAIN_POINT,
    ST_TRAIN_PROGRESS,
    ST_TRAIN_FINISH,
    ST_TRAIN_STALE,
    ST_TRAIN_MARK,
    ST_WORKERS_LIVE,
    ST_WORKER_INSERT,
    ST_WORKER_LEAVE,
    ST_WORKER_BEAT,
    ST_SESSION_LEASES,
    ST_SESSION_CLEAR_LEASES,
    ST_SESSION_CLEAR_WORKERS,
    ST_LEASE_GET,
    ST_LEASE_PUT,
    ST_LEASE_SET_RUN,
    ST_LEASE_FINISH,
    ST_LEASE_BEAT,
    ST_COUNT
};

static const char *const statement_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_HOST_INSERT] = "INSERT INTO hosts (hostname, cpu_model, cpu_flags, cores)"
                       " VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
    [ST_HOST_SELECT] = "SELECT id FROM hosts WHERE hostname = ?1 AND cpu_model = ?2"
                       " AND cpu_flags = ?3 AND cores = ?4",
    [ST_SWEEP_FIND] = "SELECT id FROM sweeps WHERE name = ?1 AND config_hash = ?2"
                      " ORDER BY id DESC LIMIT 1",
    [ST_SWEEP_INSERT] = "INSERT INTO sweeps (name, config_path, config_text, overrides,"
                        " config_hash) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
    [ST_RUN_INSERT] =
        "INSERT INTO runs (sweep_id, host_id, run_key, config_hash, model, variant,"
        " precision, calib_method, calib_frames, dataset, degradation, scale, tile, pad,"
        " threads, git_rev, build_flags, pid, description, status, started) VALUES (?1, ?2,"
        " ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,"
        " 'running', " VSR_NOW ") RETURNING id",
    [ST_RUN_FINISH] =
        "UPDATE runs SET status = ?2, error = ?3, isa = ?4, params = ?5,"
        " macs = ?6, input_w = ?7, input_h = ?8, params_log = ?9, flops_log = ?10,"
        " macs_180x320 = ?11, macs_256x256 = ?12, conv_activations = ?13, n_conv = ?14,"
        " peak_bytes = ?15, finished = " VSR_NOW " WHERE id = ?1",
    [ST_TIMING_INSERT] = "INSERT INTO timings (run_id, count, warmup, first_ms, min_ms,"
                         " median_ms, p95_ms, max_ms, mean_ms, std_ms, median_lo_ms,"
                         " median_hi_ms, total_ms, init_ms, load1, other_cpu, steal, invol_csw,"
                         " cpu_mhz, threads_used, pinned, noisy, noisy_why, frames_alone)"
                         " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
                         " ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24)",
    [ST_CLIP_INSERT] = "INSERT INTO run_clips (run_id, clip, frames) VALUES (?1, ?2, ?3)",
    [ST_FRAME_INSERT] =
        "INSERT INTO run_frames (run_id, clip, frame, ms) VALUES (?1, ?2, ?3, ?4)",
    [ST_CLIP_SCORE] = "INSERT INTO clip_scores (run_id, clip, metric, channel, value, is_inf)"
                      " VALUES (?1, ?2, ?4, ?5, ?6, ?7)",
    [ST_FRAME_SCORE] = "INSERT INTO frame_scores (run_id, clip, frame, metric, channel, value,"
                       " is_inf) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_LAYER_INSERT] = "INSERT INTO layer_profile (run_id, layer, name, op, ms, macs, algo)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_FIND_OK] = "SELECT id FROM runs WHERE config_hash = ?1 AND status = 'ok'"
                   " ORDER BY id DESC LIMIT 1",
    /* a running row is judged by its lease when it has one (any host), else
     * (rows of older versions) by its pid when it ran on this host */
    [ST_STALE_SELECT] = "SELECT r.id, r.pid, l.hostname, l.pid, " VSR_AGE(
        "l.heartbeat") " FROM runs r LEFT JOIN run_leases l ON l.run_id = r.id"
                       " AND l.finished IS NULL WHERE r.status IN ('running', 'pending')"
                       " AND (r.host_id IS ?1 OR l.run_id IS NOT NULL)",
    [ST_MARK_FAILED] = "UPDATE runs SET status = 'failed', error = ?2, finished = " VSR_NOW
                       " WHERE id = ?1 AND status IN ('running', 'pending')",
    [ST_RUN_SKIP] =
        "UPDATE runs SET status = 'skipped', error = ?2, finished = " VSR_NOW " WHERE id = ?1",
    [ST_TUNE_INSERT] =
        "INSERT INTO tune_results (sweep_id, host_id, model, variant, precision, dataset,"
        " tile, pad, threads, ms, psnr_delta, identical, pareto, recommended, ms_p95,"
        " psnr_vs_untiled, ms_lo, ms_hi, noisy, noisy_why, tile_mode, padding, tile_workers,"
        " psnr, niqe, score, score_formula)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
        " ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27)",
    [ST_TRAIN_FIND] = "SELECT id, status, pid FROM train_runs WHERE name = ?1 AND out_dir = ?2"
                      " ORDER BY id DESC LIMIT 1",
    [ST_TRAIN_INSERT] =
        "INSERT INTO train_runs (host_id, name, out_dir, model, config_path, config_text,"
        " overrides, seed, steps, batch, patch, threads, weights, git_rev, build_flags, pid,"
        " bicubic_psnr_y, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
        " ?13, ?14, ?15, ?16, ?17, 'running') RETURNING id",
    /* a resumed attempt: the row takes this attempt's config and process */
    [ST_TRAIN_REOPEN] =
        "UPDATE train_runs SET host_id = ?2, model = ?3, config_path = ?4, config_text = ?5,"
        " overrides = ?6, seed = ?7, steps = ?8, batch = ?9, patch = ?10, threads = ?11,"
        " weights = ?12, git_rev = ?13, build_flags = ?14, pid = ?15,"
        " bicubic_psnr_y = coalesce(?16, bicubic_psnr_y), config_canonical = ?18,"
        " status = 'running', error = NULL,"
        " finished = NULL, final_step = ?17,"
        " val_psnr_y = (SELECT val_psnr_y FROM train_points WHERE train_run_id = ?1"
        "   AND step <= ?17 AND val_psnr_y IS NOT NULL ORDER BY step DESC LIMIT 1)"
        " WHERE id = ?1",
    [ST_TRAIN_CUT] = "DELETE FROM train_points WHERE train_run_id = ?1 AND step > ?2",
    [ST_TRAIN_POINT] = "INSERT INTO train_points (train_run_id, step, loss, lr, steps_per_s,"
                       " val_psnr_y) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                       " ON CONFLICT DO NOTHING",
    [ST_TRAIN_PROGRESS] = "UPDATE train_runs SET final_step = max(final_step, ?2),"
                          " val_psnr_y = coalesce(?3, val_psnr_y) WHERE id = ?1",
    [ST_TRAIN_FINISH] = "UPDATE train_runs SET status = ?2, error = ?3, final_step = ?4,"
                        " wall_s = wall_s + ?5, finished = " VSR_NOW " WHERE id = ?1",
    [ST_TRAIN_STALE] =
        "SELECT id, pid FROM train_runs WHERE host_id IS ?1 AND status = 'running'",
    [ST_TRAIN_MARK] = "UPDATE train_runs SET status = 'interrupted',"
                      " error = 'the process training it died' WHERE id = ?1"
                      " AND status = 'running'",
    [ST_WORKERS_LIVE] = "SELECT hostname, pid, " VSR_AGE(
        "heartbeat") " FROM sweep_workers"
                     " WHERE sweep_id = ?1 AND left_at IS NULL",
    [ST_WORKER_INSERT] = "INSERT INTO sweep_workers (sweep_id, hostname, pid)"
                         " VALUES (?1, ?2, ?3)",
    [ST_WORKER_LEAVE] = "UPDATE sweep_workers SET left_at = " VSR_NOW ", heartbeat = " VSR_NOW
                        " WHERE sweep_id = ?1 AND hostname = ?2 AND pid = ?3"
                        " AND left_at IS NULL",
    [ST_WORKER_BEAT] = "UPDATE sweep_workers SET heartbeat = " VSR_NOW
                       " WHERE hostname = ?1 AND pid = ?2 AND left_at IS NULL",
    [ST_SESSION_LEASES] = "SELECT run_id, hostname, pid FROM run_leases WHERE sweep_id = ?1"
                          " AND finished IS NULL AND run_id IS NOT NULL",
    [ST_SESSION_CLEAR_LEASES] = "DELETE FROM run_leases WHERE sweep_id = ?1",
    [ST_SESSION_CLEAR_WORKERS] = "DELETE FROM sweep_workers WHERE sweep_id = ?1",
    [ST_LEASE_GET] = "SELECT run_id, hostname, pid, " VSR_AGE(
        "heartbeat") ","
                     " finished IS NOT NULL FROM run_leases"
                     " WHERE sweep_id = ?1 AND config_hash = ?2",
    [ST_LEASE_PUT] = "INSERT INTO run_leases (sweep_id, config_hash, hostname, pid)"
                     " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (sweep_id, config_hash) DO UPDATE"
                     " SET run_id = NULL, hostname = excluded.hostname, pid = excluded.pid,"
                     " claimed = " VSR_NOW ", heartbeat = " VSR_NOW ", finished = NULL",
    [ST_LEASE_SET_RUN] = "UPDATE run_leases SET run_id = ?3 WHERE sweep_id = ?1"
                         " AND config_hash = ?2",
    [ST_LEASE_FINISH] = "UPDATE run_leases SET finished = " VSR_NOW ", heartbeat = " VSR_NOW
                        " WHERE run_id = ?1 AND finished IS NULL",
    [ST_LEASE_BEAT] = "UPDATE run_leases SET heartbeat = " VSR_NOW
                      " WHERE hostname = ?1 AND pid = ?2 AND finished IS NULL",
};

struct vsr_runlog {
    sqlite3 *db;
    char *path;
    sqlite3_stmt *st[ST_COUNT];
    char host[256]; /* owner of the leases this connection takes: gethostname() */
    int64_t pid;    /* and getpid() */
};

int vsr_runlog_schema_version(void)
{
    return N_MIGRATIONS;
}

const char *vsr_runlog_path(const vsr_runlog *log)
{
    return log ? log->path : NULL;
}

sqlite3 *vsr_runlog_sqlite(vsr_runlog *log)
{
    return log ? log->db : NULL;
}

/* Map an SQLite result code to a negative errno. */
static int rc_to_errno(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_FULL:
        return -ENOSPC;
    case SQLITE_READONLY:
    case SQLITE_PERM:
        return -EROFS;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return -EBUSY;
    case SQLITE_NOMEM:
        return -ENOMEM;
    case SQLITE_CANTOPEN:
        return -ENOENT;
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
        return -EINVAL;
    default:
        return -EIO;
    }
}

/* Fill err with "<path>: <what>: <sqlite message>" plus a hint. */
static int db_fail(sqlite3 *db, const char *path, int rc, const char *what, vsr_error *err)
{
    const char *hint = "";
    switch (rc & 0xff) {
    case SQLITE_FULL:
        hint = " (disk full: free space and rerun with --resume)";
        break;
    case SQLITE_READONLY:
    case SQLITE_PERM:
        hint = " (read-only: check the file and folder permissions or pass another --db)";
        break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        hint = " (another process holds the lock too long; retry)";
        break;
    case SQLITE_NOTADB:
        hint = " (not an SQLite database: pass another --db)";
        break;
    default:
        break;
    }
    const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    return vsr_error_set(err, rc_to_errno(rc), "%s: %s: %s%s", path, what, msg, hint);
}

static int exec_sql(sqlite3 *db, const char *path, const char *sql, const char *what,
                    vsr_error *err)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return db_fail(db, path, rc, what, err);
    return 0;
}

int vsr_runlog_read_version(sqlite3 *db, const char *path, int *version, vsr_error *err)
{
    sqlite3_stmt *st = NULL;
    int v = 0;
    int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            v = sqlite3_column_int(st, 0);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    *version = v;
    if ((rc & 0xff) == SQLITE_NOTADB)
        return vsr_error_set(err, -EINVAL,
                             "%s: not an SQLite database, so not a vsrbench run log; pass "
                             "another --db",
                             path);
    if (rc != SQLITE_OK)
        return db_fail(db, path, rc, "reading the schema version", err);
    if (v > N_MIGRATIONS)
        return vsr_error_set(err, -EINVAL,
                             "%s: schema version %d is newer than this vsrbench knows (%d); "
                             "use a newer vsrbench or another --db",
                             path, v, N_MIGRATIONS);
    return 0;
}

/* Fail when migration @p to left a row whose foreign key points nowhere. */
static int fk_check(sqlite3 *db, const char *path, int to, vsr_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return db_fail(db, path, rc, "checking foreign keys after a migration", err);
    rc = sqlite3_step(st);
    int ret = 0;
    if (rc == SQLITE_ROW)
        ret = vsr_error_set(err, -EINVAL,
                            "%s: schema migration %d left a dangling reference in table %s; "
                            "the file is left at the previous version",
                            path, to, (const char *)sqlite3_column_text(st, 0));
    else if (rc != SQLITE_DONE)
        ret = db_fail(db, path, rc, "checking foreign keys after a migration", err);
    sqlite3_finalize(st);
    return ret;
}

int vsr_runlog_migrate(sqlite3 *db, const char *path, int target, vsr_error *err)
{
    if (target < 0 || target > N_MIGRATIONS)
        return vsr_error_set(err, -EINVAL, "%s: no schema version %d (this build knows 1..%d)",
                             path, target, N_MIGRATIONS);
    int version = 0;
    int ret = vsr_runlog_read_version(db, path, &version, err);
    if (ret < 0)
        return ret;
    if (version >= target)
        return 0;
    /* A migration may rebuild a table that others reference (v3 rebuilds
     * runs): with foreign keys on, its DROP would cascade into the children.
     * The pragma is a no-op inside a transaction, so it is set here, and
     * every migration ends with a foreign_key_check. */
    int fk_on = 0;
    {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, "PRAGMA foreign_keys", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW)
            fk_on = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
    }
    if (fk_on && (ret = exec_sql(db, path, "PRAGMA foreign_keys = OFF",
                                 "starting the schema migration", err)) < 0)
        return ret;
    while (version < target) {
        /* Take the write lock first, then re-read: another process may have
         * migrated the file meanwhile. */
        ret = exec_sql(db, path, "BEGIN IMMEDIATE", "starting the schema migration", err);
        if (ret < 0)
            return ret;
        ret = vsr_runlog_read_version(db, path, &version, err);
        if (ret < 0)
            goto rollback;
        if (version < target) {
            char what[64];
            snprintf(what, sizeof(what), "applying schema migration %d", version + 1);
            ret = exec_sql(db, path, migrations[version], what, err);
            if (ret < 0)
                goto rollback;
            if ((ret = fk_check(db, path, version + 1, err)) < 0)
                goto rollback;
            char pragma[48];
            snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", version + 1);
            ret = exec_sql(db, path, pragma, what, err);
            if (ret < 0)
                goto rollback;
            version++;
        }
        ret = exec_sql(db, path, "COMMIT", "committing the schema migration", err);
        if (ret < 0)
            goto rollback;
    }
    if (fk_on)
        ret =
            exec_sql(db, path, "PRAGMA foreign_keys = ON", "ending the schema migration", err);
    return ret;
rollback:
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    if (fk_on)
        sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
    return ret;
}

void vsr_runlog_close(vsr_runlog **plog)
{
    if (!plog || !*plog)
        return;
    vsr_runlog *log = *plog;
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(log->st[i]);
    sqlite3_close(log->db);
    free(log->path);
    free(log);
    *plog = NULL;
}

int vsr_runlog_open(vsr_runlog **out, const char *path, vsr_error *err)
{
    int ret = 0;
    *out = NULL;
    if (!path || !*path)
        return vsr_error_set(err, -EINVAL, "run log: empty database path; pass --db FILE");
    vsr_runlog *log = calloc(1, sizeof(*log));
    if (!log)
        return vsr_error_set(err, -ENOMEM, "%s: out of memory opening the run log", path);
    log->path = strdup(path);
    if (!log->path) {
        ret = vsr_error_set(err, -ENOMEM, "%s: out of memory opening the run log", path);
        goto fail;
    }
    int rc = sqlite3_open_v2(path, &log->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        ret = db_fail(log->db, path, rc, "cannot open the run log", err);
        goto fail;
    }
    sqlite3_extended_result_codes(log->db, 1);
    sqlite3_busy_timeout(log->db, 30000);
    /* not a db, or a newer schema: say so before anything else touches it */
    int version = 0;
    if ((ret = vsr_runlog_read_version(log->db, path, &version, err)) < 0)
        goto fail;
    if (gethostname(log->host, sizeof(log->host) - 1) != 0 || !log->host[0])
        snprintf(log->host, sizeof(log->host), "unknown");
    log->pid = (int64_t)getpid();
    if (sqlite3_db_readonly(log->db, "main") == 1) {
        ret = vsr_error_set(err, -EROFS,
                            "%s: the run log is read-only; check the file and folder "
                            "permissions or pass another --db",
                            path);
        goto fail;
    }
    /* journal_mode answers with the mode in effect; anything but "wal"
     * means the file or its folder cannot hold a WAL. */
    /* Switching a new file to WAL needs it to itself and SQLite does not
     * wait for that (no busy handler): when several processes create one
     * db at once, the others retry for up to the busy timeout. */
    for (int tries = 0;; tries++) {
        sqlite3_stmt *st = NULL;
        rc = sqlite3_prepare_v2(log->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
        if (rc == SQLITE_OK)
            rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            const unsigned char *mode = sqlite3_column_text(st, 0);
            rc = (mode && !strcmp((const char *)mode, "wal")) ? SQLITE_OK : SQLITE_CANTOPEN;
        }
        sqlite3_finalize(st);
        int busy = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED;
        if (!busy || tries == 600)
            break;
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL); /* 600 x 50 ms = 30 s */
    }
    if (rc != SQLITE_OK) {
        ret = db_fail(log->db, path, rc, "cannot switch the run log to WAL mode", err);
        goto fail;
    }
    ret = exec_sql(log->db, path, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                   "setting up the connection", err);
    if (ret < 0)
        goto fail;
    ret = vsr_runlog_migrate(log->db, path, N_MIGRATIONS, err);
    if (ret < 0)
        goto fail;
    for (int i = 0; i < ST_COUNT; i++) {
        rc = sqlite3_prepare_v3(log->db, statement_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                                &log->st[i], NULL);
        if (rc != SQLITE_OK) {
            ret = db_fail(log->db, path, rc, "preparing a statement", err);
            goto fail;
        }
    }
    *out = log;
    return 0;
fail:
    vsr_runlog_close(&log);
    return ret;
}

/* ---- binding helpers ---------------------------------------------------- */

static int bind_text(sqlite3_stmt *st, int i, const char *s)
{
    return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
}

/* NaN and +-inf are stored as NULL (the caller records +inf in a flag). */
static int bind_real(sqlite3_stmt *st, int i, double v)
{
    return isfinite(v) ? sqlite3_bind_double(st, i, v) : sqlite3_bind_null(st, i);
}

static int bind_id(sqlite3_stmt *st, int i, int64_t id)
{
    return id > 0 ? sqlite3_bind_int64(st, i, id) : sqlite3_bind_null(st, i);
}

static int bind_count(sqlite3_stmt *st, int i, int64_t v)
{
    return v >= 0 ? sqlite3_bind_int64(st, i, v) : sqlite3_bind_null(st, i);
}

/* Step a statement that returns no row (or ignores it); always reset. */
static int step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
            ;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Step a statement expected to return one integer (or none: *v = 0). */
static int step_int64(sqlite3_stmt *st, int64_t *v)
{
    *v = 0;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *v = sqlite3_column_int64(st, 0);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
            ;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int fail(vsr_runlog *log, int rc, const char *what, vsr_error *err)
{
    return db_fail(log->db, log->path, rc, what, err);
}

/* fail(), and roll back the transaction left open, if any. */
static int fail_rollback(vsr_runlog *log, int rc, const char *what, vsr_error *err)
{
    int ret = fail(log, rc, what, err);
    if (!sqlite3_get_autocommit(log->db))
        step_done(log->st[ST_ROLLBACK]);
    return ret;
}

/* ---- hosts -------------------------------------------------------------- */

/* The /proc/cpuinfo flags that matter for the kernels we may pick. */
static const char *const isa_flags[] = {
    "sse2",        "ssse3",       "sse4_1",      "sse4_2",   "avx",      "avx2",
    "fma",         "f16c",        "avx512f",     "avx512bw", "avx512vl", "avx512dq",
    "avx512_vnni", "avx512_bf16", "avx512_fp16", "avx_vnni", "amx_int8", "amx_bf16",
    "asimd",       "fphp",        "asimdhp",     "asimddp",  "i8mm",     "sve",
};

static void keep_isa_flags(const char *line, char *out, size_t cap)
{
    out[0] = '\0';
    size_t used = 0;
    for (size_t k = 0; k < sizeof(isa_flags) / sizeof(isa_flags[0]); k++) {
        const char *f = isa_flags[k];
        size_t n = strlen(f);
        for (const char *p = line; (p = strstr(p, f)) != NULL; p += n) {
            int start = p == line || p[-1] == ' ' || p[-1] == '\t' || p[-1] == ':';
            int end = p[n] == '\0' || p[n] == ' ' || p[n] == '\n' || p[n] == '\t';
            if (start && end) {
                int w = snprintf(out + used, cap - used, "%s%s", used ? " " : "", f);
                if (w > 0 && (size_t)w < cap - used)
                    used += (size_t)w;
                break;
            }
        }
    }
}

static void trim_value(const char *line, char *out, size_t cap)
{
    const char *v = strchr(line, ':');
    v = v ? v + 1 : line;
    while (*v == ' ' || *v == '\t')
        v++;
    snprintf(out, cap, "%s", v);
    size_t n = strlen(out);
    while (n && (out[n - 1] == '\n' || out[n - 1] == ' '))
        out[--n] = '\0';
}

int vsr_runlog_host_detect(vsr_runlog_host *host, vsr_error *err)
{
    (void)err;
    memset(host, 0, sizeof(*host));
    if (gethostname(host->hostname, sizeof(host->hostname) - 1) != 0)
        snprintf(host->hostname, sizeof(host->hostname), "unknown");
    snprintf(host->cpu_model, sizeof(host->cpu_model), "unknown");
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    host->cores = n > 0 ? (int)n : 1;
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return 0; /* not Linux: the host row says "unknown" */
    char *line = NULL;
    size_t cap = 0;
    int have_model = 0, have_flags = 0;
    while (getline(&line, &cap, f) > 0 && !(have_model && have_flags)) {
        if (!have_model && (!strncmp(line, "model name", 10) || !strncmp(line, "Model", 5))) {
            trim_value(line, host->cpu_model, sizeof(host->cpu_model));
            have_model = 1;
        } else if (!have_flags &&
                   (!strncmp(line, "flags", 5) || !strncmp(line, "Features", 8))) {
            keep_isa_flags(line, host->cpu_flags, sizeof(host->cpu_flags));
            have_flags = 1;
        }
    }
    free(line);
    fclose(f);
    return 0;
}

int vsr_runlog_host_id(vsr_runlog *log, const vsr_runlog_host *host, int64_t *host_id,
                       vsr_error *err)
{
    *host_id = 0;
    for (int pass = 0; pass < 2; pass++) {
        sqlite3_stmt *st = log->st[pass ? ST_HOST_SELECT : ST_HOST_INSERT];
        bind_text(st, 1, host->hostname);
        bind_text(st, 2, host->cpu_model);
        bind_text(st, 3, host->cpu_flags);
        sqlite3_bind_int(st, 4, host->cores);
        int rc = pass ? step_int64(st, host_id) : step_done(st);
        if (rc != SQLITE_OK)
            return fail(log, rc, "recording the host", err);
    }
    if (*host_id <= 0)
        return vsr_error_set(err, -EIO, "%s: recording the host: row not found after insert",
                             log->path);
    return 0;
}

/* ---- sweeps and runs ---------------------------------------------------- */

int vsr_runlog_sweep_begin(vsr_runlog *log, const vsr_runlog_sweep *sweep, int reuse,
                           int64_t *sweep_id, vsr_error *err)
{
    *sweep_id = 0;
    int rc;
    if (!sweep->name || !sweep->config_text || !sweep->config_hash)
        return vsr_error_set(err, -EINVAL, "%s: a sweep needs a name, config text and hash",
                             log->path);
    if (reuse) {
        sqlite3_stmt *st = log->st[ST_SWEEP_FIND];
        bind_text(st, 1, sweep->name);
        bind_text(st, 2, sweep->config_hash);
        rc = step_int64(st, sweep_id);
        if (rc != SQLITE_OK)
            return fail(log, rc, "looking up the sweep to resume", err);
        if (*sweep_id > 0)
            return 0;
    }
    sqlite3_stmt *st = log->st[ST_SWEEP_INSERT];
    bind_text(st, 1, sweep->name);
    bind_text(st, 2, sweep->config_path);
    bind_text(st, 3, sweep->config_text);
    bind_text(st, 4, sweep->overrides);
    bind_text(st, 5, sweep->config_hash);
    rc = step_int64(st, sweep_id);
    if (rc != SQLITE_OK)
        return fail(log, rc, "recording the sweep", err);
    return 0;
}

int vsr_runlog_run_begin(vsr_runlog *log, int64_t sweep_id, const vsr_runlog_run *r,
                         int64_t *run_id, vsr_error *err)
{
    *run_id = 0;
    sqlite3_stmt *st = log->st[ST_RUN_INSERT];
    /* "int8", or INT8 with a scheme: "int8-pt-sym" (vsr_quant_scheme_label()) */
    int int8 = r->precision && !strncmp(r->precision, "int8", 4) &&
               (!r->precision[4] || r->precision[4] == '-');
    sqlite3_bind_int64(st, 1, sweep_id);
    bind_id(st, 2, r->host_id);
    bind_text(st, 3, r->run_key);
    bind_text(st, 4, r->config_hash);
    bind_text(st, 5, r->model);
    bind_text(st, 6, r->variant ? r->variant : "base");
    bind_text(st, 7, r->precision);
    bind_text(st, 8, int8 ? r->calib_method : NULL);
    if (int8)
        sqlite3_bind_int(st, 9, r->calib_frames);
    bind_text(st, 10, r->dataset);
    bind_text(st, 11, r->degradation ? r->degradation : "bi");
    sqlite3_bind_int(st, 12, r->scale);
    sqlite3_bind_int(st, 13, r->tile);
    sqlite3_bind_int(st, 14, r->pad);
    sqlite3_bind_int(st, 15, r->threads);
    bind_text(st, 16, r->git_rev);
    bind_text(st, 17, r->build_flags);
    sqlite3_bind_int64(st, 18, log->pid);
    bind_text(st, 19, r->description);
    int rc = step_int64(st, run_id);
    if (rc != SQLITE_OK) {
        char what[320];
        snprintf(what, sizeof(what), "recording the start of run %s",
                 r->run_key ? r->run_key : "?");
        return fail(log, rc, what, err);
    }
    return 0;
}

/*
 * The scores of one clip (@p frame < 0) or frame as rows of clip_scores /
 * frame_scores: NaN (not computed) gives no row, +inf value NULL and is_inf 1.
 */
static int insert_scores(sqlite3_stmt *st, int64_t run_id, const char *clip, int frame,
                         const vsr_runlog_score *sc, int n)
{
    for (int k = 0; k < n; k++) {
        double v = sc[k].value;
        if (isnan(v))
            continue;
        int inf = isinf(v) && v > 0;
        sqlite3_bind_int64(st, 1, run_id);
        bind_text(st, 2, clip);
        if (frame >= 0)
            sqlite3_bind_int(st, 3, frame);
        bind_text(st, 4, sc[k].metric);
        bind_text(st, 5, sc[k].channel ? sc[k].channel : "");
        if (inf)
            sqlite3_bind_null(st, 6);
        else
            bind_real(st, 6, v);
        sqlite3_bind_int(st, 7, inf);
        int rc = step_done(st);
        if (rc != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

int vsr_runlog_run_finish(vsr_runlog *log, int64_t run_id, const vsr_runlog_result *res,
                          vsr_error *err)
{
    const char *what = "starting the transaction";
    char whatbuf[160];
    int rc = step_done(log->st[ST_BEGIN]);
    if (rc != SQLITE_OK)
        goto fail;

    what = "recording the run status";
    sqlite3_stmt *st = log->st[ST_RUN_FINISH];
    sqlite3_bind_int64(st, 1, run_id);
    bind_text(st, 2, res->ok ? "ok" : "failed");
    bind_text(st, 3, res->ok ? NULL : (res->error ? res->error : "failed (no message)"));
    bind_text(st, 4, res->isa);
    bind_count(st, 5, res->params);
    bind_count(st, 6, res->macs);
    if (res->input_w > 0 && res->input_h > 0) {
        sqlite3_bind_int(st, 7, res->input_w);
        sqlite3_bind_int(st, 8, res->input_h);
    }
    if (res->counts) {
        const vsr_runlog_counts *k = res->counts;
        bind_count(st, 9, k->params_log);
        bind_count(st, 10, k->flops_log);
        bind_count(st, 11, k->macs_180x320);
        bind_count(st, 12, k->macs_256x256);
        bind_count(st, 13, k->conv_activations);
        bind_count(st, 14, k->n_conv);
        bind_count(st, 15, k->peak_bytes);
    }
    rc = step_done(st);
    if (rc != SQLITE_OK)
        goto fail;
    if (sqlite3_changes(log->db) != 1) {
        rc = SQLITE_NOTFOUND;
        goto fail;
    }

    if (res->timing) {
        const vsr_timing_stats *t = res->timing;
        what = "recording the timing";
        st = log->st[ST_TIMING_INSERT];
        sqlite3_bind_int64(st, 1, run_id);
        sqlite3_bind_int(st, 2, t->count);
        sqlite3_bind_int(st, 3, t->warmup);
        bind_real(st, 4, t->first_ms);
        bind_real(st, 5, t->min_ms);
        bind_real(st, 6, t->median_ms);
        bind_real(st, 7, t->p95_ms);
        bind_real(st, 8, t->max_ms);
        bind_real(st, 9, t->mean_ms);
        bind_real(st, 10, t->std_ms);
        bind_real(st, 11, t->median_lo_ms);
        bind_real(st, 12, t->median_hi_ms);
        bind_real(st, 13, t->total_ms);
        if (res->init_ms > 0)
            bind_real(st, 14, res->init_ms);
        const vsr_timing_env *env = res->env;
        if (env) {
            bind_real(st, 15, env->load1);
            bind_real(st, 16, env->other_cpu);
            bind_real(st, 17, env->steal);
            if (env->invol_csw >= 0)
                sqlite3_bind_int64(st, 18, env->invol_csw);
            bind_real(st, 19, env->cpu_mhz);
            if (env->threads > 0)
                sqlite3_bind_int(st, 20, env->threads);
            bind_text(st, 21, env->pinned[0] ? env->pinned : NULL);
            if (env->frames_alone >= 0)
                sqlite3_bind_int64(st, 24, env->frames_alone);
        }
        sqlite3_bind_int(st, 22, res->noisy != 0);
        bind_text(st, 23, res->noisy && res->noisy_why ? res->noisy_why : NULL);
        if ((rc = step_done(st)) != SQLITE_OK)
            goto fail;
    }
    for (int i = 0; i < res->n_clips; i++) {
        const vsr_runlog_clip *c = &res->clips[i];
        snprintf(whatbuf, sizeof(whatbuf), "recording the metrics of clip %.100s", c->clip);
        what = whatbuf;
        st = log->st[ST_CLIP_INSERT];
        sqlite3_bind_int64(st, 1, run_id);
        bind_text(st, 2, c->clip);
        sqlite3_bind_int(st, 3, c->frames);
        if ((rc = step_done(st)) != SQLITE_OK ||
            (rc = insert_scores(log->st[ST_CLIP_SCORE], run_id, c->clip, -1, c->scores,
                                c->n_scores)) != SQLITE_OK)
            goto fail;
    }
    for (int i = 0; i < res->n_frames; i++) {
        const vsr_runlog_frame *f = &res->frames[i];
        snprintf(whatbuf, sizeof(whatbuf), "recording the metrics of %.100s frame %d", f->clip,
                 f->index);
        what = whatbuf;
        st = log->st[ST_FRAME_INSERT];
        sqlite3_bind_int64(st, 1, run_id);
        bind_text(st, 2, f->clip);
        sqlite3_bind_int(st, 3, f->index);
        bind_real(st, 4, f->ms);
        if ((rc = step_done(st)) != SQLITE_OK ||
            (rc = insert_scores(log->st[ST_FRAME_SCORE], run_id, f->clip, f->index, f->scores,
                                f->n_scores)) != SQLITE_OK)
            goto fail;
    }
    for (int i = 0; i < res->n_layers; i++) {
        const vsr_runlog_layer *l = &res->layers[i];
        what = "recording the layer profile";
        st = log->st[ST_LAYER_INSERT];
        sqlite3_bind_int64(st, 1, run_id);
        sqlite3_bind_int(st, 2, l->index);
        bind_text(st, 3, l->name ? l->name : "");
        bind_text(st, 4, l->op ? l->op : "");
        sqlite3_bind_double(st, 5, isfinite(l->ms) ? l->ms : 0.0);
        bind_count(st, 6, l->macs);
        bind_text(st, 7, l->algo);
        if ((rc = step_done(st)) != SQLITE_OK)
            goto fail;
    }
    what = "releasing the run's lease";
    sqlite3_bind_int64(log->st[ST_LEASE_FINISH], 1, run_id);
    if ((rc = step_done(log->st[ST_LEASE_FINISH])) != SQLITE_OK)
        goto fail;
    what = "committing the run";
    rc = step_done(log->st[ST_COMMIT]);
    if (rc != SQLITE_OK)
        goto fail;
    return 0;
fail:;
    int ret = rc == SQLITE_NOTFOUND
                  ? vsr_error_set(err, -ENOENT, "%s: no run with id %lld to finish", log->path,
                                  (long long)run_id)
                  : fail(log, rc, what, err);
    if (!sqlite3_get_autocommit(log->db))
        step_done(log->st[ST_ROLLBACK]);
    return ret;
}

int vsr_runlog_find_finished(vsr_runlog *log, const char *config_hash, int64_t *run_id,
                             vsr_error *err)
{
    sqlite3_stmt *st = log->st[ST_FIND_OK];
    bind_text(st, 1, config_hash);
    int rc = step_int64(st, run_id);
    if (rc != SQLITE_OK)
        return fail(log, rc, "looking up finished runs for --resume", err);
    return 0;
}

/* ---- liveness of lease owners (schema v6) ------------------------------- */

static int pid_alive(int64_t pid)
{
    return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

/* The process @p pid on @p host whose heartbeat is @p age_s seconds old:
 * on this host it lives while its pid does; elsewhere while it beats. */
static int owner_alive(const vsr_runlog *log, const char *host, int64_t pid, double age_s)
{
    if (host && !strcmp(host, log->host))
        return pid == log->pid || pid_alive(pid);
    return age_s <= VSR_RUNLOG_LEASE_TIMEOUT_S;
}

int vsr_runlog_mark_interrupted(vsr_runlog *log, int64_t host_id, int *n, vsr_error *err)
{
    int changed = 0;
    const char *what = "starting the transaction";
    int rc = step_done(log->st[ST_BEGIN]);
    if (rc != SQLITE_OK)
        goto fail;
    what = "looking for interrupted runs";
    sqlite3_stmt *sel = log->st[ST_STALE_SELECT];
    bind_id(sel, 1, host_id);
    /* Collect first: the UPDATE must not run while the SELECT is open on
     * the same rows. */
    int64_t ids[256];
    int nids = 0;
    while ((rc = sqlite3_step(sel)) == SQLITE_ROW && nids < 256) {
        int64_t id = sqlite3_column_int64(sel, 0);
        int alive;
        if (sqlite3_column_type(sel, 2) != SQLITE_NULL) /* leased: the lease decides */
            alive = owner_alive(log, (const char *)sqlite3_column_text(sel, 2),
                                sqlite3_column_int64(sel, 3), sqlite3_column_double(sel, 4));
        else
            alive = pid_alive(sqlite3_column_int64(sel, 1));
        if (!alive)
            ids[nids++] = id;
    }
    sqlite3_reset(sel);
    sqlite3_clear_bindings(sel);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        goto fail;
    what = "marking interrupted runs";
    for (int i = 0; i < nids; i++) {
        sqlite3_stmt *st = log->st[ST_MARK_FAILED];
        sqlite3_bind_int64(st, 1, ids[i]);
        bind_text(st, 2, "interrupted: the process running it died");
        if ((rc = step_done(st)) != SQLITE_OK)
            goto fail;
        changed += sqlite3_changes(log->db);
    }
    what = "committing";
    if ((rc = step_done(log->st[ST_COMMIT])) != SQLITE_OK)
        goto fail;
    if (n)
        *n = changed;
    return 0;
fail:
    return fail_rollback(log, rc, what, err);
}

/* Set the final status of run @p run_id with statement @p which (?1 id, ?2
 * text) and finish its lease, in one transaction. */
static int run_end(vsr_runlog *log, int which, int64_t run_id, const char *text,
                   const char *what, vsr_error *err)
{
    int rc = step_done(log->st[ST_BEGIN]);
    if (rc == SQLITE_OK) {
        sqlite3_stmt *st = log->st[which];
        sqlite3_bind_int64(st, 1, run_id);
        bind_text(st, 2, text);
        rc = step_done(st);
    }
    if (rc == SQLITE_OK && sqlite3_changes(log->db) != 1)
        rc = SQLITE_NOTFOUND;
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(log->st[ST_LEASE_FINISH], 1, run_id);
        rc = step_done(log->st[ST_LEASE_FINISH]);
    }
    if (rc == SQLITE_OK)
        rc = step_done(log->st[ST_COMMIT]);
    if (rc == SQLITE_OK)
        return 0;
    return fail_rollback(log, rc, what, err);
}

int vsr_runlog_run_skip(vsr_runlog *log, int64_t run_id, const char *why, vsr_error *err)
{
    return run_end(log, ST_RUN_SKIP, run_id, why && *why ? why : "skipped (no reason given)",
                   "recording a skipped run", err);
}

int vsr_runlog_run_fail(vsr_runlog *log, int64_t run_id, const char *error, vsr_error *err)
{
    return run_end(log, ST_MARK_FAILED, run_id, error && *error ? error : "failed (no message)",
                   "recording the failure of a run", err);
}

/* ---- several processes on one sweep (schema v6) ------------------------- */

void vsr_runlog_set_owner(vsr_runlog *log, const char *host, int64_t pid)
{
    snprintf(log->host, sizeof(log->host), "%s", host);
    log->pid = pid;
}

/* Mark the 'running' row @p run_id of the dead @p pid on @p host failed. */
static int mark_dead_run(vsr_runlog *log, int64_t run_id, const char *host, int64_t pid)
{
    char msg[400];
    snprintf(msg, sizeof(msg), "interrupted: the process running it (pid %lld on %.256s) died",
             (long long)pid, host ? host : "?");
    sqlite3_stmt *st = log->st[ST_MARK_FAILED];
    sqlite3_bind_int64(st, 1, run_id);
    bind_text(st, 2, msg);
    return step_done(st);
}

/* *live = how many workers of sweep @p sweep_id (not left) are alive. */
static int live_workers(vsr_runlog *log, int64_t sweep_id, int *live)
{
    sqlite3_stmt *st = log->st[ST_WORKERS_LIVE];
    int rc;
    *live = 0;
    sqlite3_bind_int64(st, 1, sweep_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        *live += owner_alive(log, (const char *)sqlite3_column_text(st, 0),
                             sqlite3_column_int64(st, 1), sqlite3_column_double(st, 2));
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int vsr_runlog_sweep_join(vsr_runlog *log, const vsr_runlog_sweep *sweep, int resume,
                          int64_t *sweep_id, int *joined, vsr_error *err)
{
    *sweep_id = 0;
    if (joined)
        *joined = 0;
    if (!sweep->name || !sweep->config_text || !sweep->config_hash)
        return vsr_error_set(err, -EINVAL, "%s: a sweep needs a name, config text and hash",
                             log->path);
    const char *what = "starting the transaction";
    int64_t id = 0;
    int live = 0;
    int rc = step_done(log->st[ST_BEGIN]);
    if (rc != SQLITE_OK)
        goto fail;
    what = "looking up the sweep";
    sqlite3_stmt *st = log->st[ST_SWEEP_FIND];
    bind_text(st, 1, sweep->name);
    bind_text(st, 2, sweep->config_hash);
    if ((rc = step_int64(st, &id)) != SQLITE_OK)
        goto fail;
    if (id > 0) {
        what = "looking for the processes working on the sweep";
        if ((rc = live_workers(log, id, &live)) != SQLITE_OK)
            goto fail;
    }
    if (id > 0 && !live && resume) {
        /* a new session of the sweep: what its dead workers held is over */
        what = "ending the sweep's last session";
        int64_t ids[256], pids[256];
        char hosts[256][64];
        int n = 0;
        st = log->st[ST_SESSION_LEASES];
        sqlite3_bind_int64(st, 1, id);
        while (n < 256 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            ids[n] = sqlite3_column_int64(st, 0);
            const unsigned char *h = sqlite3_column_text(st, 1);
            snprintf(hosts[n], sizeof(hosts[n]), "%s", h ? (const char *)h : "?");
            pids[n++] = sqlite3_column_int64(st, 2);
        }
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        if (rc != SQLITE_DONE && rc != SQLITE_ROW)
            goto fail;
        for (int i = 0; i < n; i++)
            if ((rc = mark_dead_run(log, ids[i], hosts[i], pids[i])) != SQLITE_OK)
                goto fail;
        sqlite3_bind_int64(log->st[ST_SESSION_CLEAR_LEASES], 1, id);
        if ((rc = step_done(log->st[ST_SESSION_CLEAR_LEASES])) != SQLITE_OK)
            goto fail;
        sqlite3_bind_int64(log->st[ST_SESSION_CLEAR_WORKERS], 1, id);
        if ((rc = step_done(log->st[ST_SESSION_CLEAR_WORKERS])) != SQLITE_OK)
            goto fail;
    } else if (!live) {
        what = "recording the sweep";
        st = log->st[ST_SWEEP_INSERT];
        bind_text(st, 1, sweep->name);
        bind_text(st, 2, sweep->config_path);
        bind_text(st, 3, sweep->config_text);
        bind_text(st, 4, sweep->overrides);
        bind_text(st, 5, sweep->config_hash);
        if ((rc = step_int64(st, &id)) != SQLITE_OK)
            goto fail;
    }
    what = "joining the sweep";
    st = log->st[ST_WORKER_INSERT];
    sqlite3_bind_int64(st, 1, id);
    bind_text(st, 2, log->host);
    sqlite3_bind_int64(st, 3, log->pid);
    if ((rc = step_done(st)) != SQLITE_OK)
        goto fail;
    what = "committing";
    if ((rc = step_done(log->st[ST_COMMIT])) != SQLITE_OK)
        goto fail;
    *sweep_id = id;
    if (joined)
        *joined = live > 0;
    return 0;
fail:
    return fail_rollback(log, rc, what, err);
}

int vsr_runlog_run_claim(vsr_runlog *log, int64_t sweep_id, const vsr_runlog_run *r, int resume,
                         int64_t *run_id, enum vsr_runlog_claim *outcome, vsr_error *err)
{
    *run_id = 0;
    *outcome = VSR_RUNLOG_BUSY;
    char what[320];
    snprintf(what, sizeof(what), "claiming run %.200s", r->run_key ? r->run_key : "?");
    int rc = step_done(log->st[ST_BEGIN]);
    if (rc != SQLITE_OK)
        goto fail;
    if (resume) {
        int64_t found = 0;
        bind_text(log->st[ST_FIND_OK], 1, r->config_hash);
        if ((rc = step_int64(log->st[ST_FIND_OK], &found)) != SQLITE_OK)
            goto fail;
        if (found) {
            *outcome = VSR_RUNLOG_FINISHED;
            step_done(log->st[ST_ROLLBACK]);
            return 0;
        }
    }
    sqlite3_stmt *st = log->st[ST_LEASE_GET];
    sqlite3_bind_int64(st, 1, sweep_id);
    bind_text(st, 2, r->config_hash);
    int held = 0, done = 0, alive = 0;
    int64_t old_run = 0, old_pid = 0;
    char old_host[256] = "";
    if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        held = 1;
        old_run = sqlite3_column_int64(st, 0);
        const unsigned char *h = sqlite3_column_text(st, 1);
        snprintf(old_host, sizeof(old_host), "%s", h ? (const char *)h : "");
        old_pid = sqlite3_column_int64(st, 2);
        done = sqlite3_column_int(st, 4);
        alive = owner_alive(log, old_host, old_pid, sqlite3_column_double(st, 3));
        rc = SQLITE_DONE;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE)
        goto fail;
    if (held && (done || alive)) {
        *outcome = done ? VSR_RUNLOG_DONE_ELSEWHERE : VSR_RUNLOG_BUSY;
        step_done(log->st[ST_ROLLBACK]);
        return 0;
    }
    /* free, or its owner died: take it */
    if (held && old_run > 0 &&
        (rc = mark_dead_run(log, old_run, old_host, old_pid)) != SQLITE_OK)
        goto fail;
    st = log->st[ST_LEASE_PUT];
    sqlite3_bind_int64(st, 1, sweep_id);
    bind_text(st, 2, r->config_hash);
    bind_text(st, 3, log->host);
    sqlite3_bind_int64(st, 4, log->pid);
    if ((rc = step_done(st)) != SQLITE_OK)
        goto fail;
    vsr_error ierr = {0};
    int64_t id = 0;
    if (vsr_runlog_run_begin(log, sweep_id, r, &id, &ierr) < 0) {
        step_done(log->st[ST_ROLLBACK]);
        *err = ierr;
        return ierr.code;
    }
    st = log->st[ST_LEASE_SET_RUN];
    sqlite3_bind_int64(st, 1, sweep_id);
    bind_text(st, 2, r->config_hash);
    sqlite3_bind_int64(st, 3, id);
    if ((rc = step_done(st)) != SQLITE_OK)
        goto fail;
    if ((rc = step_done(log->st[ST_COMMIT])) != SQLITE_OK)
        goto fail;
    *run_id = id;
    *outcome = VSR_RUNLOG_CLAIMED;
    return 0;
fail:
    return fail_rollback(log, rc, what, err);
}

int vsr_runlog_heartbeat(vsr_runlog *log, vsr_error *err)
{
    int rc = step_done(log->st[ST_BEGIN]);
    for (int k = 0; k < 2 && rc == SQLITE_OK; k++) {
        sqlite3_stmt *st = log->st[k ? ST_LEASE_BEAT : ST_WORKER_BEAT];
        bind_text(st, 1, log->host);
        sqlite3_bind_int64(st, 2, log->pid);
        rc = step_done(st);
    }
    if (rc == SQLITE_OK)
        rc = step_done(log->st[ST_COMMIT]);
    if (rc == SQLITE_OK)
        return 0;
    return fail_rollback(log, rc, "renewing the heartbeat", err);
}

int vsr_runlog_sweep_leave(vsr_runlog *log, int64_t sweep_id, int *remaining, vsr_error *err)
{
    int live = 0;
    const char *what = "leaving the sweep";
    int rc = step_done(log->st[ST_BEGIN]);
    if (rc != SQLITE_OK)
        goto fail;
    sqlite3_stmt *st = log->st[ST_WORKER_LEAVE];
    sqlite3_bind_int64(st, 1, sweep_id);
    bind_text(st, 2, log->host);
    sqlite3_bind_int64(st, 3, log->pid);
    if ((rc = step_done(st)) != SQLITE_OK)
        goto fail;
    /* in the same transaction: of two leaving at once, one sees the other */
    if ((rc = live_workers(log, sweep_id, &live)) != SQLITE_OK)
        goto fail;
    if ((rc = step_done(log->st[ST_COMMIT])) != SQLITE_OK)
        goto fail;
    if (remaining)
        *remaining = live;
    return 0;
fail:
    return fail_rollback(log, rc, what, err);
}

struct vsr_runlog_heart {
    vsr_runlog *log; /* its own connection */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
};

static void *heart_main(void *arg)
{
    vsr_runlog_heart *h = arg;
    pthread_mutex_lock(&h->mu);
    while (!h->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += VSR_RUNLOG_HEARTBEAT_S;
        while (!h->stop && pthread_cond_timedwait(&h->cv, &h->mu, &ts) == 0)
            ;
        if (h->stop)
            break;
        pthread_mutex_unlock(&h->mu);
        vsr_error err = {0};
        if (vsr_runlog_heartbeat(h->log, &err) < 0) /* the next beat may get through */
            vsr_log(VSR_LOG_WARNING, "%s", err.msg);
        pthread_mutex_lock(&h->mu);
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

int vsr_runlog_heart_start(const char *path, vsr_runlog_heart **out, vsr_error *err)
{
    *out = NULL;
    vsr_runlog_heart *h = calloc(1, sizeof(*h));
    if (!h)
        return vsr_error_set(err, -ENOMEM, "%s: out of memory starting the heartbeat", path);
    int ret = vsr_runlog_open(&h->log, path, err);
    if (ret < 0) {
        free(h);
        return ret;
    }
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    int e = pthread_create(&h->thread, NULL, heart_main, h);
    if (e) {
        pthread_cond_destroy(&h->cv);
        pthread_mutex_destroy(&h->mu);
        vsr_runlog_close(&h->log);
        free(h);
        return vsr_error_set(err, -e, "%s: cannot start the heartbeat thread: %s", path,
                             strerror(e));
    }
    *out = h;
    return 0;
}

void vsr_runlog_heart_stop(vsr_runlog_heart **ph)
{
    if (!ph || !*ph)
        return;
    vsr_runlog_heart *h = *ph;
    pthread_mutex_lock(&h->mu);
    h->stop = 1;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->thread, NULL);
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->mu);
    vsr_runlog_close(&h->log);
    free(h);
    *ph = NULL;
}

int vsr_runlog_tune_record(vsr_runlog *log, int64_t sweep_id, const vsr_runlog_tune *t,
                           const vsr_runlog_tune_row *rows, int n, vsr_error *err)
{
    return vsr_runlog_tune_record_ext(log, sweep_id, t, rows, NULL, n, err);
}

int vsr_runlog_tune_record_ext(vsr_runlog *log, int64_t sweep_id, const vsr_runlog_tune *t,
                               const vsr_runlog_tune_row *rows,
                               const vsr_runlog_tune_extra *extra, int n, vsr_error *err)
{
    const char *what = "starting the transaction";
    int rc = step_done(log->st[ST_BEGIN]);
    if (rc != SQLITE_OK)
        goto fail;
    what = "recording tune results";
    for (int i = 0; i < n; i++) {
        sqlite3_stmt *st = log->st[ST_TUNE_INSERT];
        sqlite3_bind_int64(st, 1, sweep_id);
        bind_id(st, 2, t->host_id);
        bind_text(st, 3, t->model);
        bind_text(st, 4, t->variant ? t->variant : "base");
        bind_text(st, 5, t->precision);
        bind_text(st, 6, t->dataset);
        sqlite3_bind_int(st, 7, rows[i].tile);
        sqlite3_bind_int(st, 8, rows[i].pad);
        sqlite3_bind_int(st, 9, rows[i].threads);
        sqlite3_bind_double(st, 10, rows[i].ms);
        bind_real(st, 11, rows[i].psnr_delta);
        sqlite3_bind_int(st, 12, rows[i].identical != 0);
        sqlite3_bind_int(st, 13, rows[i].pareto != 0);
        sqlite3_bind_int(st, 14, rows[i].recommended != 0);
        bind_real(st, 15, extra ? extra[i].ms_p95 : NAN);
        bind_real(st, 16, extra ? extra[i].psnr_vs_untiled : NAN);
        if (rows[i].ms_lo > 0 && rows[i].ms_hi > 0) { /* 0: not given (zero-init rows) */
            bind_real(st, 17, rows[i].ms_lo);
            bind_real(st, 18, rows[i].ms_hi);
        }
        sqlite3_bind_int(st, 19, rows[i].noisy != 0);
        bind_text(st, 20, rows[i].noisy ? rows[i].noisy_why : NULL);
        bind_text(st, 21, vsr_tile_mode_name((vsr_tile_mode)rows[i].tile_mode));
        bind_text(st, 22,
                  rows[i].tile > 0 && rows[i].tile_mode != VSR_TILE_CLIP
                      ? vsr_tile_padding_name((vsr_tile_padding)rows[i].padding)
                      : NULL);
        sqlite3_bind_int(st, 23, rows[i].tile_workers > 1 ? rows[i].tile_workers : 1);
        if (extra && extra[i].scored) {
            bind_real(st, 24, isinf(extra[i].psnr) ? NAN : extra[i].psnr);
            bind_real(st, 25, extra[i].niqe);
            bind_real(st, 26, isfinite(extra[i].score) ? extra[i].score : NAN);
            bind_text(st, 27, extra[i].score_formula);
        }
        if ((rc = step_done(st)) != SQLITE_OK)
            goto fail;
    }
    what = "committing tune results";
    if ((rc = step_done(log->st[ST_COMMIT])) != SQLITE_OK)
        goto fail;
    return 0;
fail:
    return fail_rollback(log, rc, what, err);
}

/* ---- training runs (schema v4) ------------------------------------------ */

/* Insert @p n points of run @p id (inside the caller's transaction); a step
 * already there is left as it is. *last_val receives the newest validation. */
static int insert_points(vsr_runlog *log, int64_t id, const vsr_runlog_train_point *p, int n,
                         long *max_step, double *last_val)
{
    for (int i = 0; i < n; i++) {
        if (p[i].step < 1 || !isfinite(p[i].loss) || !isfinite(p[i].lr))
            return SQLITE_MISMATCH;
        sqlite3_stmt *st = log->st[ST_TRAIN_POINT];
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, p[i].step);
        sqlite3_bind_double(st, 3, p[i].loss);
        sqlite3_bind_double(st, 4, p[i].lr);
        bind_real(st, 5, p[i].steps_per_s);
        bind_real(st, 6, p[i].val_psnr_y);
        int rc = step_done(st);
        if (rc != SQLITE_OK)
            return rc;
        if (max_step && p[i].step > *max_step)
            *max_step = p[i].step;
        if (last_val && isfinite(p[i].val_psnr_y))
            *last_val = p[i].val_psnr_y;
    }
    return SQLITE_OK;
}

int vsr_runlog_train_begin(vsr_runlog *log, const vsr_runlog_train *t, int resume,
                           long start_step, double bicubic_psnr,
                           const vsr_runlog_train_point *known, int n_known, int64_t *train_id,
                           vsr_error *err)
{
    *train_id = 0;
    if (!t->name || !t->out_dir || !t->model || !t->config_text || t->steps < 1 ||
        start_step < 0)
        return vsr_error_set(err, -EINVAL,
                             "%s: a training run needs a name, out_dir, model, config text and "
                             "steps >= 1",
                             log->path);
    const char *what = "starting the transaction";
    int64_t id = 0;
    int rc = step_done(log->st[ST_BEGIN]);
    if (rc != SQLITE_OK)
        goto fail;

    /* Rows left 'running' by a dead process of this host are interrupted. */
    what = "looking for interrupted training runs";
    int64_t ids[64];
    int nids = 0;
    sqlite3_stmt *sel = log->st[ST_TRAIN_STALE];
    bind_id(sel, 1, t->host_id);
    while ((rc = sqlite3_step(sel)) == SQLITE_ROW && nids < 64)
        if (!pid_alive(sqlite3_column_int64(sel, 1)))
            ids[nids++] = sqlite3_column_int64(sel, 0);
    sqlite3_reset(sel);
    sqlite3_clear_bindings(sel);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        goto fail;
    what = "marking interrupted training runs";
    for (int i = 0; i < nids; i++) {
        sqlite3_bind_int64(log->st[ST_TRAIN_MARK], 1, ids[i]);
        if ((rc = step_done(log->st[ST_TRAIN_MARK])) != SQLITE_OK)
            goto fail;
    }

    if (resume) {
        what = "looking up the training run to resume";
        sqlite3_stmt *st = log->st[ST_TRAIN_FIND];
        bind_text(st, 1, t->name);
        bind_text(st, 2, t->out_dir);
        int64_t pid = 0;
        int running = 0;
        if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            id = sqlite3_column_int64(st, 0);
            const unsigned char *s = sqlite3_column_text(st, 1);
            running = s && !strcmp((const char *)s, "running");
            pid = sqlite3_column_int64(st, 2);
            rc = SQLITE_DONE;
        }
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        if (rc != SQLITE_DONE)
            goto fail;
        if (running && pid != (int64_t)getpid() && pid_alive(pid)) {
            step_done(log->st[ST_ROLLBACK]);
            return vsr_error_set(err, -EBUSY,
                                 "%s: training run %s (%s) is still being trained by process "
                                 "%lld; wait for it or stop it first",
                                 log->path, t->name, t->out_dir, (long long)pid);
        }
    }
    sqlite3_stmt *st;
    if (id == 0) {
        what = "recording the start of the training run";
        st = log->st[ST_TRAIN_INSERT];
        bind_id(st, 1, t->host_id);
        bind_text(st, 2, t->name);
        bind_text(st, 3, t->out_dir);
        bind_text(st, 4, t->model);
        bind_text(st, 5, t->config_path);
        bind_text(st, 6, t->config_text);
        bind_text(st, 7, t->overrides);
        sqlite3_bind_int64(st, 8, t->seed);
        sqlite3_bind_int64(st, 9, t->steps);
        sqlite3_bind_int(st, 10, t->batch);
        sqlite3_bind_int(st, 11, t->patch);
        sqlite3_bind_int(st, 12, t->threads);
        bind_text(st, 13, t->weights);
        bind_text(st, 14, t->git_rev);
        bind_text(st, 15, t->build_flags);
        sqlite3_bind_int64(st, 16, (int64_t)getpid());
        bind_real(st, 17, bicubic_psnr);
        if ((rc = step_int64(st, &id)) != SQLITE_OK)
            goto fail;
    }
    /* The curve up to start_step: what the db has (from the interrupted
     * attempt), completed from @p known (loss.tsv); anything later goes. */
    what = "cutting the loss curve at the resumed step";
    st = log->st[ST_TRAIN_CUT];
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, start_step);
    if ((rc = step_done(st)) != SQLITE_OK)
        goto fail;
    what = "recording the loss curve so far";
    for (int i = 0; i < n_known; i++)
        if (known[i].step > start_step) {
            rc = SQLITE_RANGE;
            goto fail;
        }
    if ((rc = insert_points(log, id, known, n_known, NULL, NULL)) != SQLITE_OK)
        goto fail;
    what = "reopening the training run";
    st = log->st[ST_TRAIN_REOPEN];
    sqlite3_bind_int64(st, 1, id);
    bind_id(st, 2, t->host_id);
    bind_text(st, 3, t->model);
    bind_text(st, 4, t->config_path);
    bind_text(st, 5, t->config_text);
    bind_text(st, 6, t->overrides);
    sqlite3_bind_int64(st, 7, t->seed);
    sqlite3_bind_int64(st, 8, t->steps);
    sqlite3_bind_int(st, 9, t->batch);
    sqlite3_bind_int(st, 10, t->patch);
    sqlite3_bind_int(st, 11, t->threads);
    bind_text(st, 12, t->weights);
    bind_text(st, 13, t->git_rev);
    bind_text(st, 14, t->build_flags);
    sqlite3_bind_int64(st, 15, (int64_t)getpid());
    bind_real(st, 16, bicubic_psnr);
    sqlite3_bind_int64(st, 17, start_step);
    bind_text(st, 18, t->config_canonical);
    if ((rc = step_done(st)) != SQLITE_OK)
        goto fail;
    what = "committing the start of the training run";
    if ((rc = step_done(log->st[ST_COMMIT])) != SQLITE_OK)
        goto fail;
    *train_id = id;
    return 0;
fail:
    return fail_rollback(log, rc, what, err);
}

int vsr_runlog_train_points(vsr_runlog *log, int64_t train_id, const vsr_runlog_train_point *p,
                            int n, vsr_error *err)
{
    if (n <= 0)
        return 0;
    const char *what = "starting the transaction";
    int rc = step_done(log->st[ST_BEGIN]);
    if (rc != SQLITE_OK)
        goto fail;
    what = "recording training points";
    long max_step = 0;
    double last_val = NAN;
    if ((rc = insert_points(log, train_id, p, n, &max_step, &last_val)) != SQLITE_OK)
        goto fail;
    sqlite3_stmt *st = log->st[ST_TRAIN_PROGRESS];
    sqlite3_bind_int64(st, 1, train_id);
    sqlite3_bind_int64(st, 2, max_step);
    bind_real(st, 3, last_val);
    if ((rc = step_done(st)) != SQLITE_OK)
        goto fail;
    if (sqlite3_changes(log->db) != 1) {
        rc = SQLITE_NOTFOUND;
        goto fail;
    }
    what = "committing training points";
    if ((rc = step_done(log->st[ST_COMMIT])) != SQLITE_OK)
        goto fail;
    return 0;
fail:;
    int ret = rc == SQLITE_NOTFOUND
                  ? vsr_error_set(err, -ENOENT, "%s: no training run with id %lld", log->path,
                                  (long long)train_id)
                  : fail(log, rc, what, err);
    if (!sqlite3_get_autocommit(log->db))
        step_done(log->st[ST_ROLLBACK]);
    return ret;
}

int vsr_runlog_train_finish(vsr_runlog *log, int64_t train_id, const char *status,
                            long final_step, double wall_s, const char *error, vsr_error *err)
{
    if (!status ||
        (strcmp(status, "done") && strcmp(status, "interrupted") && strcmp(status, "failed")))
        return vsr_error_set(
            err, -EINVAL, "%s: training status must be done, interrupted or failed", log->path);
    sqlite3_stmt *st = log->st[ST_TRAIN_FINISH];
    sqlite3_bind_int64(st, 1, train_id);
    bind_text(st, 2, status);
    bind_text(st, 3, error && *error ? error : NULL);
    sqlite3_bind_int64(st, 4, final_step);
    sqlite3_bind_double(st, 5, isfinite(wall_s) && wall_s > 0 ? wall_s : 0.0);
    int rc = step_done(st);
    if (rc == SQLITE_OK && sqlite3_changes(log->db) != 1)
        return vsr_error_set(err, -ENOENT, "%s: no training run with id %lld", log->path,
                             (long long)train_id);
    if (rc != SQLITE_OK)
        return fail(log, rc, "recording the end of the training run", err);
    return 0;
}
