/**
 * @file bench.h
 * @brief vsrbench's own library (vsr_bench): the SQLite run log, timing
 *        statistics, YAML sweep configs and their expansion into runs.
 *
 * Run log. One SQLite file (runs.db by default) holds every sweep, run,
 * metric, timing, per-layer profile and tune result, and (schema v4+) every
 * training run with its loss curve. The schema is the
 * list of migrations at the top of bench/runlog.c (PRAGMA user_version =
 * number of migrations applied); it only ever grows by new migrations, so
 * readers (reports/) can rely on every table and column documented there.
 *
 * Value conventions in the run log (readers rely on them):
 *  - Times are ms per LR frame, wall clock (CLOCK_MONOTONIC).
 *  - Scores (schema v10) are rows (run, clip[, frame], metric, channel,
 *    value, is_inf) of clip_scores / frame_scores, metric a name of the
 *    metric registry, channel one of its channels or ''. A score not computed
 *    has no row; a +inf (PSNR of SR identical to GT) is value NULL, is_inf 1.
 *    The views clip_metrics / frame_metrics keep the v1 columns (psnr_rgb ...
 *    niqe, psnr_*_inf: NULL with *_inf = 0 means not computed).
 *  - Timestamps are UTC ISO-8601 text ("2026-11-23T12:14:28.123Z").
 *  - runs.status: 'pending' (planned), 'running' (started; stays so if the
 *    process died), 'ok', 'failed' (error holds one line), 'skipped' (schema
 *    v3+: not run for a reason that is not a failure, e.g. an optional
 *    model's weights file is absent; error says how to get it). Only 'ok'
 *    runs have timings and metrics. A run's results are committed in one
 *    transaction together with its final status.
 *
 * Ownership: every pointer passed in is borrowed for the duration of the
 * call only (strings are copied into the database); nothing returned needs
 * freeing except what a function says it allocates.
 */
#ifndef VSR_BENCH_H
#define VSR_BENCH_H

#include <stdint.h>
#include <stdio.h>

#include "vsr/core.h"
#include "vsr/datasets.h"
#include "vsr/engine.h"

#ifdef __cplusplus
extern "C" {
#endif

struct vsr_metric_set; /* vsr/metrics.h */

/* ====================================================================== */
/* Timing statistics                                                      */
/* ====================================================================== */

/**
 * Summary of @c count timed frames in ms (TFLite benchmark_model style).
 * median: the middle sample, or the mean of the two middle samples when
 * count is even. p95: nearest-rank, the ceil(0.95 * count)-th smallest
 * sample. std: population standard deviation (divide by count).
 * first_ms: the first warm-up frame (cold), NaN when warmup == 0.
 */
typedef struct vsr_timing_stats {
    int count;  /**< timed frames */
    int warmup; /**< untimed warm-up frames run before them */
    double first_ms;
    double min_ms;
    double median_ms;
    double p95_ms;
    double max_ms;
    double mean_ms;
    double std_ms;
    /** 95% interval of the median by order statistics (distribution-free):
     *  [x_(l), x_(n+1-l)] with l the largest rank such that
     *  2 P(Bin(n, 1/2) <= l - 1) <= 0.05 (vsr_timing_median_ci_ranks());
     *  [min, max] when n < 6 (then it covers less than 95%). */
    double median_lo_ms, median_hi_ms;
    double total_ms; /**< sum of the timed samples */
} vsr_timing_stats;

/**
 * 1-based ranks @p lo, @p hi of the distribution-free 95% interval of the
 * median of @p n samples: lo = the largest l with 2 P(Bin(n, 1/2) <= l - 1)
 * <= 0.05, hi = n + 1 - lo (n = 20: 6 and 15). Returns 0, or 1 when n < 6
 * has no such rank (then lo = 1, hi = n), -EINVAL for n < 1.
 */
int vsr_timing_median_ci_ranks(int n, int *lo, int *hi);

/**
 * When to stop timing: after @p warmup untimed calls, timed calls go on
 * until there are at least min_runs of them AND they took at least min_secs
 * in total (benchmark_model's --min_runs / --min_secs), or max_runs.
 */
typedef struct vsr_timing_rule {
    int warmup;      /**< untimed calls first (>= 0) */
    int min_runs;    /**< >= 1 */
    double min_secs; /**< >= 0: seconds summed over the timed calls */
    int max_runs;    /**< cap, >= min_runs (0: 1000000) */
    /** Clock in ms (NULL: vsr_timing_now_ms); tests inject a fake one. */
    double (*clock_ms)(void *clock_ctx);
    void *clock_ctx;
} vsr_timing_rule;

/** 1 when @p count timed calls summing to @p total_ms satisfy @p rule. */
int vsr_timing_enough(const vsr_timing_rule *rule, int count, double total_ms);

/**
 * Time fn(ctx, i) by @p rule; *samples (malloc'ed, caller frees) receives
 * the *n timed ms, @p out their summary (first_ms: the first warm-up call).
 * fn returns 0 or a negative errno, which stops the loop and is returned.
 */
int vsr_timing_measure_rule(int (*fn)(void *ctx, int i, vsr_error *err), void *ctx,
                            const vsr_timing_rule *rule, double **samples, int *n,
                            vsr_timing_stats *out, vsr_error *err);

/* ---- what the machine was doing during a measurement ---------------- */

/** Counters read at the start and end of each timed stretch. */
typedef struct vsr_timing_probe {
    int ok;                                /**< 0: /proc/stat unreadable */
    unsigned long long total, busy, steal; /**< /proc/stat "cpu" line, clock ticks */
    double own_s; /**< this process's user + system CPU s (getrusage) */
    long nivcsw;  /**< this process's involuntary context switches */
} vsr_timing_probe;

/** Sums of probe deltas over the timed stretches of one run (zero-init). */
typedef struct vsr_timing_env_acc {
    /* summed per stretch and compared only at the end: /proc/stat counts whole
     * ticks, so per-stretch differences would be clipped noise, biased up */
    double total_ticks, busy_ticks, own_ticks, steal_ticks;
    long nivcsw;
    int stretches, bad;
} vsr_timing_env_acc;

/** What the machine was doing while a run was timed. */
typedef struct vsr_timing_env {
    double load1;      /**< 1-minute load average at the end (/proc/loadavg); NaN unknown */
    double other_cpu;  /**< share (0..1) of all CPUs' time used by other processes (or
                            stolen) during the timed stretches: /proc/stat busy minus this
                            process's getrusage CPU time, over total; NaN unknown */
    double steal;      /**< share (0..1) stolen by the hypervisor; NaN unknown */
    long invol_csw;    /**< involuntary context switches of this process (getrusage);
                            -1 unknown */
    double cpu_mhz;    /**< mean current CPU clock at the end (cpufreq / cpuinfo); NaN */
    int threads;       /**< threads actually used */
    char pinned[64];   /**< CPU list of --pin, "" when not pinned */
    long frames_alone; /**< timed frames the engine's helper gate ran on the calling thread
                            alone (its pool was slower: another process held a CPU; see
                            vsr_engine_options.always_pool); -1 unknown */
} vsr_timing_env;

/** Read the counters now. Never fails (ok = 0 when /proc/stat is unreadable). */
void vsr_timing_probe_read(vsr_timing_probe *p);

/** Add the stretch from @p a to @p b to @p acc. @p ticks_per_s: sysconf(_SC_CLK_TCK). */
void vsr_timing_env_add(vsr_timing_env_acc *acc, const vsr_timing_probe *a,
                        const vsr_timing_probe *b, double ticks_per_s);

/** The shares of @p acc plus the load and CPU clock now; @p threads copied. */
void vsr_timing_env_finish(const vsr_timing_env_acc *acc, int threads, vsr_timing_env *env);

/**
 * Noisy thresholds (documented in docs/PERFORMANCE.md, "Noisy runs"): a
 * run is noisy when the 95% interval of its median is wider than
 * VSR_TIMING_NOISY_SPREAD of the median, when other processes took more
 * than VSR_TIMING_NOISY_OTHER of the machine's CPU time while it was
 * timed, or the hypervisor stole more than VSR_TIMING_NOISY_STEAL.
 */
#define VSR_TIMING_NOISY_SPREAD 0.10
#define VSR_TIMING_NOISY_OTHER 0.10
#define VSR_TIMING_NOISY_STEAL 0.02

/**
 * 1 when @p s / @p env pass a noisy threshold, with @p why (cap bytes)
 * naming each ("spread 23% > 10%; other processes 48% CPU > 10%"); else 0
 * and why = "". @p env may be NULL (spread only); NaN fields are ignored.
 */
int vsr_timing_noisy(const vsr_timing_stats *s, const vsr_timing_env *env, char *why,
                     size_t cap);

/** Milliseconds on CLOCK_MONOTONIC (arbitrary origin; differences only): vsr_clock_ms(). */
double vsr_timing_now_ms(void);

/**
 * Summarize @p n >= 1 samples (ms). @p samples is not modified (a sorted
 * copy is made). @p warmup and @p first_ms are copied into the result.
 * Returns 0, -EINVAL (n < 1 or a sample that is negative or not finite)
 * or -ENOMEM.
 */
int vsr_timing_stats_compute(const double *samples, int n, int warmup, double first_ms,
                             vsr_timing_stats *out, vsr_error *err);

/**
 * Format @p s as one TFLite-benchmark-like line without newline:
 * "count=50 first=12.345 min=... max=... avg=... std=... median=... p95=... (ms)"
 * ("first=" is left out when first_ms is NaN). Returns snprintf's value.
 */
int vsr_timing_format(const vsr_timing_stats *s, char *buf, size_t cap);

/**
 * Time a callback TFLite-style: @p warmup untimed calls (the first one's
 * time becomes first_ms), then @p runs timed calls; the per-call ms are
 * written to @p samples (caller-owned, >= runs entries) when not NULL and
 * summarized into @p out. fn(ctx, i) returns 0 or a negative errno, which
 * stops the loop and is returned (fn fills err).
 */
int vsr_timing_measure(int (*fn)(void *ctx, int i, vsr_error *err), void *ctx, int warmup,
                       int runs, double *samples, vsr_timing_stats *out, vsr_error *err);

/* ====================================================================== */
/* Run log (SQLite)                                                       */
/* ====================================================================== */

/** An open run log (one SQLite connection and its prepared statements). */
typedef struct vsr_runlog vsr_runlog;

/** The schema version this build writes (= number of migrations). */
int vsr_runlog_schema_version(void);

struct sqlite3;

/**
 * Read the schema version (PRAGMA user_version) of @p db, open on @p path,
 * into *version and check that this build can read the file. Every reader
 * of a run log calls it, so all say the same: -EINVAL with one line naming
 * @p path and the fix when the file is not an SQLite database or was
 * written by a newer vsrbench (version above vsr_runlog_schema_version());
 * another negative errno when it cannot be read. A new file reads as 0.
 */
int vsr_runlog_read_version(struct sqlite3 *db, const char *path, int *version, vsr_error *err);

/**
 * Open (creating if needed) the run log at @p path and migrate it to the
 * latest schema. Sets WAL, synchronous=NORMAL, foreign_keys=ON and a busy
 * timeout, so several processes may write one file. Fails with one line
 * naming @p path when the file is not a database, is read-only, or was
 * written by a newer vsrbench (user_version above ours).
 * On success *out owns the connection; release it with vsr_runlog_close().
 */
int vsr_runlog_open(vsr_runlog **out, const char *path, vsr_error *err);

/** Finalize the statements, close the db and set *log to NULL. NULL-safe. */
void vsr_runlog_close(vsr_runlog **log);

/** The database path given to vsr_runlog_open() (owned by @p log). */
const char *vsr_runlog_path(const vsr_runlog *log);

/** The machine a run was measured on. */
typedef struct vsr_runlog_host {
    char hostname[256];
    char cpu_model[256];
    char cpu_flags[512]; /**< ISA-relevant flags, space separated ("avx2 fma f16c") */
    int cores;           /**< online logical CPUs */
} vsr_runlog_host;

/** Fill @p host from gethostname(), /proc/cpuinfo and sysconf(). */
int vsr_runlog_host_detect(vsr_runlog_host *host, vsr_error *err);

/** Insert @p host if it is new; *host_id receives its hosts.id. */
int vsr_runlog_host_id(vsr_runlog *log, const vsr_runlog_host *host, int64_t *host_id,
                       vsr_error *err);

/** What a sweep records about its configuration. */
typedef struct vsr_runlog_sweep {
    const char *name;        /**< config `name:` */
    const char *config_path; /**< may be NULL */
    const char *config_text; /**< the YAML as read (before overrides) */
    const char *overrides;   /**< the --set arguments, one per line; may be NULL */
    const char *config_hash; /**< hash of the effective config (16 hex digits) */
} vsr_runlog_sweep;

/**
 * Record a new sweep; *sweep_id receives sweeps.id. With @p reuse set, the
 * most recent sweep with the same name and config_hash is returned instead
 * when one exists (--resume keeps adding to the sweep it continues).
 */
int vsr_runlog_sweep_begin(vsr_runlog *log, const vsr_runlog_sweep *sweep, int reuse,
                           int64_t *sweep_id, vsr_error *err);

/** The axes and provenance of one run, known before it starts. */
typedef struct vsr_runlog_run {
    const char *run_key;     /**< readable unique key of the axes (see sweep) */
    const char *config_hash; /**< hash of everything that affects this run's result */
    const char *model;
    const char *variant;      /**< "base" or an ablation name */
    const char *precision;    /**< "fp32" | "fp16" | "int8" */
    const char *calib_method; /**< "minmax" | "percentile" | "mse" | "file"; NULL unless int8 */
    int calib_frames;         /**< 0 unless int8 (and 0 for "file") */
    const char *dataset;
    const char *degradation; /**< "bi" | "bd" */
    int scale;
    int tile; /**< 0 = whole frame */
    int pad;
    int threads;
    const char *git_rev;     /**< may be NULL */
    const char *build_flags; /**< may be NULL */
    int64_t host_id;         /**< from vsr_runlog_host_id(), 0 for unknown */
    const char *description; /**< the model's `description:` (schema v9); may be NULL */
} vsr_runlog_run;

/**
 * Record that a run starts: inserts a runs row with status 'running' and
 * the start time (committed at once so other readers see progress).
 * *run_id receives runs.id for vsr_runlog_run_finish().
 */
int vsr_runlog_run_begin(vsr_runlog *log, int64_t sweep_id, const vsr_runlog_run *run,
                         int64_t *run_id, vsr_error *err);

/**
 * One score: @p metric a registered metric's name (vsr_metrics_find()),
 * @p channel one of its channels ("y", "rgb") or "" for a metric with one.
 * NaN = not computed (not recorded); +INFINITY allowed (is_inf).
 */
typedef struct vsr_runlog_score {
    const char *metric;
    const char *channel;
    double value;
} vsr_runlog_score;

/** Per-clip averages. */
typedef struct vsr_runlog_clip {
    const char *clip;
    int frames;
    const vsr_runlog_score *scores; /**< n_scores of them; borrowed */
    int n_scores;
} vsr_runlog_clip;

/** One SR frame. */
typedef struct vsr_runlog_frame {
    const char *clip;
    int index;                      /**< 0-based frame number within the clip */
    const vsr_runlog_score *scores; /**< n_scores of them; borrowed */
    int n_scores;
    double ms; /**< inference time of this frame, NaN when not timed */
} vsr_runlog_frame;

/** One layer of the per-layer profile. */
typedef struct vsr_runlog_layer {
    int index;
    const char *name;
    const char *op;
    double ms;    /**< mean ms per LR frame spent in this layer */
    int64_t macs; /**< per LR frame, -1 when unknown */
    /** convs: the algorithm that ran (vsr_layer_profile.algo: "direct", "winograd
     *  F(2,3)", "winograd F(4,3)"), so conv_algo: auto's choice per layer is on
     *  record (schema v15); NULL for other ops */
    const char *algo;
} vsr_runlog_layer;

/**
 * The model's figures at the reference sizes (schema v9), from
 * vsr_models_count(); -1 = unknown. See the v9 migration in runlog.c.
 */
typedef struct vsr_runlog_counts {
    int64_t params_log;       /**< Keras count, the research log's conventions */
    int64_t flops_log;        /**< the log's FLOPs at 180x320 (docs/MODEL_SPECS.md 0.2) */
    int64_t macs_180x320;     /**< MACs per LR frame at 180x320 */
    int64_t macs_256x256;     /**< MACs per LR frame at 256x256 (NTIRE ESR) */
    int64_t conv_activations; /**< at 256x256 */
    int64_t n_conv;
    int64_t peak_bytes; /**< activation arena peak at 256x256, the run's precision */
} vsr_runlog_counts;

/** Everything a finished run records. Arrays may be NULL when their n is 0. */
typedef struct vsr_runlog_result {
    int ok;            /**< 1 -> status 'ok', 0 -> 'failed' */
    const char *error; /**< one line, required when !ok */
    const char *isa;   /**< kernels used ("avx2"), may be NULL */
    int64_t params;    /**< -1 when unknown */
    int64_t macs;      /**< per LR frame at input_w x input_h, -1 when unknown */
    int input_w, input_h;
    const vsr_timing_stats *timing; /**< NULL when not timed */
    const vsr_runlog_clip *clips;
    int n_clips;
    const vsr_runlog_frame *frames;
    int n_frames;
    const vsr_runlog_layer *layers;
    int n_layers;
    /* schema v6 (NULL / NaN / 0 = not recorded) */
    const vsr_timing_env *env; /**< what the machine did while timed */
    double init_ms;            /**< build + weights + calibration + engine ms; NaN unknown */
    int noisy;                 /**< 1: vsr_timing_noisy() said so */
    const char *noisy_why;     /**< its reason, one line */
    const vsr_runlog_counts *counts; /**< schema v9; NULL = not recorded */
} vsr_runlog_result;

/**
 * Record the outcome of run @p run_id: final status, finish time, timing,
 * clip and frame metrics and layer profile, all in one transaction
 * (BEGIN IMMEDIATE ... COMMIT). On any failure (disk full, read-only,
 * constraint) the transaction is rolled back, nothing of the result is
 * kept, and err names the db file.
 */
int vsr_runlog_run_finish(vsr_runlog *log, int64_t run_id, const vsr_runlog_result *res,
                          vsr_error *err);

/**
 * Record that run @p run_id was skipped (status 'skipped', schema v3+):
 * it did not run for a reason that is not a failure, which @p why (one
 * line, required) states together with how to fix it. Nothing else is
 * recorded for it; --resume runs it again.
 */
int vsr_runlog_run_skip(vsr_runlog *log, int64_t run_id, const char *why, vsr_error *err);

/**
 * For --resume: *run_id receives the id of a run with status 'ok' and this
 * @p config_hash (the newest one), or 0 when there is none.
 */
int vsr_runlog_find_finished(vsr_runlog *log, const char *config_hash, int64_t *run_id,
                             vsr_error *err);

/**
 * Mark runs left 'running' or 'pending' by a process that died as 'failed'
 * ("interrupted"). A row with a lease (schema v6) is judged by its lease
 * owner, on any host (see below); a row without one only when it ran on
 * @p host_id and its recorded pid is gone. A concurrent sweep is left
 * alone. *n (may be NULL) receives the number of rows changed.
 */
int vsr_runlog_mark_interrupted(vsr_runlog *log, int64_t host_id, int *n, vsr_error *err);

/**
 * Record that run @p run_id, still 'running', failed for the reason @p error
 * (one line), with nothing else: for an orderly failure whose results could
 * not be recorded (a full disk), so the row carries its own error instead of
 * being taken later for a run whose process died. Finishes its lease.
 */
int vsr_runlog_run_fail(vsr_runlog *log, int64_t run_id, const char *error, vsr_error *err);

/* ---- several processes on one sweep (schema v6) ------------------------
 *
 * Any number of `vsrbench run` processes, on this host or on others that
 * reach the same file, can work on one sweep: each joins it
 * (vsr_runlog_sweep_join), then walks the planned runs and runs only those
 * it claims (vsr_runlog_run_claim), so each run is run once. A claim is a
 * run_leases row taken in one BEGIN IMMEDIATE transaction with the run's
 * 'running' row; its owner (host name, pid) renews a heartbeat every
 * VSR_RUNLOG_HEARTBEAT_S seconds (vsr_runlog_heart_start). A lease whose
 * owner is on this host and whose pid is gone (kill(pid, 0) == ESRCH) is
 * taken over at once; a lease of another host is taken over when its
 * heartbeat is older than VSR_RUNLOG_LEASE_TIMEOUT_S seconds (so the hosts'
 * clocks must agree to well within that, and a host must not stall that
 * long). The taken-over run is marked failed ("interrupted: ...") and run
 * again. Over a network file system, SQLite's locking is only as good as
 * the file system's.
 */

/** Seconds between two heartbeats of a process working on a sweep. */
#define VSR_RUNLOG_HEARTBEAT_S 5
/** A lease (or sweep worker) of another host with a heartbeat this old is dead. */
#define VSR_RUNLOG_LEASE_TIMEOUT_S 60

/**
 * Start work on the sweep @p sweep in one transaction: join the newest sweep
 * with its name and config hash when a live process works on it (*joined =
 * 1), else with @p resume reuse that sweep (a new session: the leases of its
 * dead workers are dropped, their 'running' rows marked failed), else record
 * a new sweep. Registers this process as a worker; *sweep_id receives the id.
 */
int vsr_runlog_sweep_join(vsr_runlog *log, const vsr_runlog_sweep *sweep, int resume,
                          int64_t *sweep_id, int *joined, vsr_error *err);

/** What vsr_runlog_run_claim() found. */
enum vsr_runlog_claim {
    VSR_RUNLOG_CLAIMED,        /**< ours: *run_id is its new 'running' row */
    VSR_RUNLOG_FINISHED,       /**< with resume: an 'ok' run with its config hash exists */
    VSR_RUNLOG_DONE_ELSEWHERE, /**< another process of this session ran it */
    VSR_RUNLOG_BUSY,           /**< a live process is running it */
};

/**
 * Claim run @p run of sweep @p sweep_id (joined) for this process, in one
 * BEGIN IMMEDIATE transaction: with @p resume an 'ok' row of its config hash
 * means FINISHED; a lease of a live owner BUSY, a finished lease
 * DONE_ELSEWHERE; a free lease or one of a dead owner is taken and the run
 * recorded as by vsr_runlog_run_begin() (CLAIMED, *run_id set, else 0).
 * vsr_runlog_run_finish() / _run_skip() / _run_fail() finish the lease.
 */
int vsr_runlog_run_claim(vsr_runlog *log, int64_t sweep_id, const vsr_runlog_run *run,
                         int resume, int64_t *run_id, enum vsr_runlog_claim *outcome,
                         vsr_error *err);

/** Renew the heartbeat of this process's worker rows and unfinished leases. */
int vsr_runlog_heartbeat(vsr_runlog *log, vsr_error *err);

/**
 * This process stops working on sweep @p sweep_id (its claims are all
 * finished). *remaining (may be NULL) receives how many live processes still
 * work on it, counted in the same transaction, so of several leaving at once
 * exactly one sees 0 (the one to write the report).
 */
int vsr_runlog_sweep_leave(vsr_runlog *log, int64_t sweep_id, int *remaining, vsr_error *err);

/** A thread renewing this process's heartbeat on its own connection. */
typedef struct vsr_runlog_heart vsr_runlog_heart;

/**
 * Open a second connection to the run log at @p path and start a thread
 * that calls vsr_runlog_heartbeat() every VSR_RUNLOG_HEARTBEAT_S seconds.
 * *out is stopped and freed by vsr_runlog_heart_stop().
 */
int vsr_runlog_heart_start(const char *path, vsr_runlog_heart **out, vsr_error *err);

/** Stop the thread at once, close its connection, set *h to NULL. NULL-safe. */
void vsr_runlog_heart_stop(vsr_runlog_heart **h);

/** One measured setting of `vsrbench tune`. */
typedef struct vsr_runlog_tune_row {
    int tile, pad, threads;
    double ms;         /**< median ms per LR frame */
    double psnr_delta; /**< PSNR(tiled vs GT) - PSNR(untiled vs GT) in dB; NaN unknown */
    int identical;     /**< 1 when the output equals the untiled output bit for bit */
    int pareto;        /**< 1 when no other setting is both faster and closer */
    int recommended;   /**< 1 for the one recommended setting */
    /* schema v6 */
    double ms_lo, ms_hi; /**< 95% interval of ms (median); NaN unknown */
    int noisy;           /**< 1: noisy (vsr_timing_noisy()); kept off the front */
    char noisy_why[160];
    /* schema v11 (zero-initialised rows read as clip / zero / 1 worker) */
    int tile_mode;    /**< vsr_tile_mode */
    int padding;      /**< vsr_tile_padding (meaningful for fixed / padded / feather) */
    int tile_workers; /**< 0 or 1: tiles in turn */
} vsr_runlog_tune_row;

/** Schema v3 columns of a tune row (kept apart so vsr_runlog_tune_row stays as it was). */
typedef struct vsr_runlog_tune_extra {
    double ms_p95;          /**< p95 ms per LR frame (nearest rank); NaN = unknown */
    double psnr_vs_untiled; /**< PSNR of the output against the untiled output, dB, all
                                 pixels of all frames (RGB, no crop); +INFINITY when
                                 identical (stored NULL with identical = 1); NaN = unknown */
    /* schema v14 (tune --score); all NULL unless scored */
    int scored;   /**< 1: the four fields below are given */
    double psnr;  /**< mean PSNR-Y against GT; NaN unknown (no GT), +inf stored NULL */
    double niqe;  /**< mean NIQE of the output; NaN not measured */
    double score; /**< value of the score; NaN (pareto, or a column not measured) */
    const char *score_formula; /**< "<name>: <formula>", NULL for pareto (borrowed) */
} vsr_runlog_tune_extra;

/** Axes shared by all rows of one tune session. */
typedef struct vsr_runlog_tune {
    const char *model;
    const char *variant;
    const char *precision;
    const char *dataset;
    int64_t host_id;
} vsr_runlog_tune;

/** Record @p n tune rows of one session in one transaction. */
int vsr_runlog_tune_record(vsr_runlog *log, int64_t sweep_id, const vsr_runlog_tune *t,
                           const vsr_runlog_tune_row *rows, int n, vsr_error *err);

/** vsr_runlog_tune_record() plus the v3 columns: @p extra has n entries (or is NULL). */
int vsr_runlog_tune_record_ext(vsr_runlog *log, int64_t sweep_id, const vsr_runlog_tune *t,
                               const vsr_runlog_tune_row *rows,
                               const vsr_runlog_tune_extra *extra, int n, vsr_error *err);

/* ---- training runs (schema v4; vsrbench train) ------------------------ */

/** A training run as train_runs records it (see migration v4 in bench/runlog.c). */
typedef struct vsr_runlog_train {
    const char *name;        /**< config name */
    const char *out_dir;     /**< checkpoint folder; with name, what --resume matches */
    const char *model;       /**< zoo entry */
    const char *config_path; /**< NULL unknown */
    const char *config_text; /**< the YAML as read (required) */
    const char *overrides;   /**< --set arguments one per line, NULL none */
    int64_t seed;
    long steps; /**< planned budget (>= 1) */
    int batch, patch, threads;
    const char *weights;     /**< the .vsrw the run writes */
    const char *git_rev;     /**< source revision of the binary */
    const char *build_flags; /**< build type and options */
    int64_t host_id;         /**< from vsr_runlog_host_id(), 0 for unknown */
    /** the resolved config (vsr_train_config_write()), train_runs.config_canonical
     *  (schema v11); NULL unknown */
    const char *config_canonical;
} vsr_runlog_train;

/** One step of the loss curve (NaN doubles are stored as NULL). */
typedef struct vsr_runlog_train_point {
    long step;          /**< >= 1: the step just taken */
    double loss, lr;    /**< finite */
    double steps_per_s; /**< NaN unknown */
    double val_psnr_y;  /**< NaN unless validated at this step */
} vsr_runlog_train_point;

/**
 * Record the start of a training attempt, in one transaction. With
 * @p resume, the newest train_runs row with the same name and out_dir is
 * reused (-EBUSY if a live process is still training it), else a new row
 * is made. Either way the row's curve is then made to hold exactly the
 * steps 1..@p start_step: later points (of an interrupted attempt) are
 * deleted, and the @p n_known points of @p known (all <= start_step, e.g.
 * read back from loss.tsv) fill the steps it lacks (steps it has are kept).
 * The row becomes 'running' with this process's pid, final_step =
 * start_step, val_psnr_y = the newest validation up to it; @p bicubic_psnr
 * (NaN: keep the row's) is recorded. Rows of this host left 'running' by a
 * dead process become 'interrupted'. *train_id receives train_runs.id.
 */
int vsr_runlog_train_begin(vsr_runlog *log, const vsr_runlog_train *t, int resume,
                           long start_step, double bicubic_psnr,
                           const vsr_runlog_train_point *known, int n_known, int64_t *train_id,
                           vsr_error *err);

/**
 * Append @p n points in one transaction (call it once per log interval, not
 * per step) and advance the row's final_step and val_psnr_y. A step already
 * recorded is left as it is. On failure nothing of the batch is recorded.
 */
int vsr_runlog_train_points(vsr_runlog *log, int64_t train_id, const vsr_runlog_train_point *p,
                            int n, vsr_error *err);

/**
 * End the attempt: @p status "done", "interrupted" or "failed" (@p error
 * one line, NULL otherwise), final_step, and @p wall_s seconds added to the
 * row's wall_s (attempts sum up).
 */
int vsr_runlog_train_finish(vsr_runlog *log, int64_t train_id, const char *status,
                            long final_step, double wall_s, const char *error, vsr_error *err);

/* ====================================================================== */
/* Tile / pad / threads grid search (vsrbench tune)                       */
/* ====================================================================== */

/**
 * The settings `vsrbench tune` measures: every threads x tile x pad (in
 * that nesting, each list in its order), where tile 0 (the whole frame)
 * is taken once per thread count with pad 0 (pads mean nothing there) and
 * repeated settings are dropped. Only tile, pad and threads of the rows
 * are set; the rest is zero. *rows is malloc'ed (caller frees with free()).
 * Returns 0, -EINVAL (an empty list, a negative tile or pad, threads < 1)
 * or -ENOMEM.
 */
int vsr_tune_grid(const int *tiles, int n_tiles, const int *pads, int n_pads,
                  const int *threads, int n_threads, vsr_runlog_tune_row **rows, int *n,
                  vsr_error *err);

/**
 * Cross the @p n rows of vsr_tune_grid() with the tiling axes: tile modes
 * (vsr_tile_mode), paddings (vsr_tile_padding) and tile worker counts, in
 * that nesting inside each row. Settings that mean the same are taken once:
 * tile 0 only as clip / zero / 1 worker, clip only with the first padding
 * (it reads no padding; stored as zero); a fixed / padded / feather tile
 * that keeps no centre (tile <= 2 pad) is dropped and counted in
 * *n_dropped. *rows is replaced by a malloc'ed array (the old one freed).
 * Returns 0, -EINVAL (an empty list, a value out of range, every setting
 * dropped) or -ENOMEM (*rows unchanged).
 */
int vsr_tune_grid_tiling(vsr_runlog_tune_row **rows, int *n, const int *modes, int n_modes,
                         const int *paddings, int n_paddings, const int *workers, int n_workers,
                         int *n_dropped, vsr_error *err);

/**
 * The PSNR loss of a measured row, for the Pareto front: 0 when identical,
 * |psnr_delta| otherwise, +inf when psnr_delta is NaN (unknown).
 */
double vsr_tune_loss(const vsr_runlog_tune_row *row);

/**
 * Set pareto and recommended on @p n measured rows (ms and psnr_delta /
 * identical filled in). A row is Pareto-optimal when no other row is at
 * least as fast and at least as close (vsr_tune_loss()) and strictly better
 * in one of the two. The recommendation is the fastest row whose loss is
 * at most @p tolerance_db (ties: smaller loss, then fewer threads, then the
 * earlier row); it is always Pareto-optimal. Returns its index, or -1 when
 * no row is within the tolerance (then none is recommended).
 * Rows marked noisy are neither Pareto-optimal nor recommended and hide no
 * other row, unless every row is noisy: then all rows are used and the
 * recommended row is itself noisy (say so to the user).
 */
int vsr_tune_mark(vsr_runlog_tune_row *rows, int n, double tolerance_db);

/* ---- scores (vsrbench tune --score) ------------------------------------- */

/** The measured columns a score may use, in this order (vsr_score_col_name()). */
enum vsr_score_col {
    VSR_SCORE_PSNR = 0, /**< mean PSNR-Y against GT, dB (NaN without GT) */
    VSR_SCORE_SSIM,     /**< mean SSIM-Y against GT (NaN without GT or not measured) */
    VSR_SCORE_NIQE,     /**< mean NIQE of the output (no reference; lower is better) */
    VSR_SCORE_GMSD,     /**< mean GMSD against GT (lower is better) */
    VSR_SCORE_MS,       /**< median ms per LR frame */
    VSR_SCORE_PARAMS,   /**< parameters of the model */
    VSR_SCORE_MACS,     /**< MACs per LR frame */
    VSR_SCORE_SIZE_KB,  /**< weights at the precision, kB (1000 bytes) */
    VSR_SCORE_NCOLS
};

/** "psnr", "ssim", "niqe", "gmsd", "ms", "params", "macs", "size_kb"; NULL out of range. */
const char *vsr_score_col_name(int col);

/**
 * A parsed score (a plain value, nothing to free). Higher scores rank
 * first. Presets: `pareto` (no formula: the Pareto front and tolerance
 * rank, as before scores existed), `psnr-per-ms` = psnr / ms,
 * `mai[:C=c]` = 2^(2*psnr) / (c * ms) (the Mobile AI challenge score with
 * the runtime in ms; C defaults to 1) and, for data without GT,
 * `niqe-time[:W=w]` = 1 / (niqe^w * ms) (w defaults to 1: a 10 % lower NIQE
 * is worth as much as a 10 % shorter time). Anything else is an expression
 * over the columns with numbers, + - * / ^, parentheses, log10, sqrt, min
 * and max (grammar in bench/score.c).
 */
typedef struct vsr_score {
    char name[32];     /**< the preset's name, or "expr" */
    char formula[512]; /**< what is evaluated (presets expanded); "" for pareto */
    unsigned uses;     /**< bit c set: column c appears in the formula */
} vsr_score;

/**
 * Parse @p spec (a preset, "preset:K=v", or an expression) into @p out.
 * -EINVAL with a one-line message naming the fault and where it is (an
 * unknown identifier gets the closest column, function or preset).
 */
int vsr_score_parse(const char *spec, vsr_score *out, vsr_error *err);

/**
 * Evaluate @p s on @p cols (VSR_SCORE_NCOLS values; NaN = not measured,
 * which makes a score using it NaN). pareto gives NaN. Returns 0 (errors
 * only for a formula vsr_score_parse() did not accept).
 */
int vsr_score_eval(const vsr_score *s, const double *cols, double *out, vsr_error *err);

/**
 * Order the @p n scores best first into @p order (room for n): the indices
 * of the non-NaN scores, higher first, ties in index order. Returns how
 * many were ordered.
 */
int vsr_score_rank(const double *score, int n, int *order);

/* ====================================================================== */
/* Sweep configs (YAML)                                                   */
/* ====================================================================== */

/*
 * A config (configs/quickstart.yaml is the annotated example) follows
 * BasicSR's key names where they fit:
 *
 *   name: quickstart            # required
 *   scale: 4                    # default 4
 *   manual_seed: 0
 *   datasets:                   # required, a list (BasicSR's test_1: {...}
 *     - name: demo              #   mapping form is accepted too)
 *       type: demo              # demo | vid4 | reds | pair | video
 *       dataroot: PATH          # vid4/reds root (demo: default demo dir)
 *       dataroot_gt: PATH       # GT clip folders' parent (pair: the GT folder,
 *       dataroot_lq: PATH       #   video: the file); LR likewise (optional)
 *       degradation: bi         # bi | bd, or a list (an axis)
 *       clips: [calendar, city] # default all
 *       frames: 0               # > 0: first N frames of each clip
 *   metrics:                    # any metric of the registry by name (vsrbench
 *     psnr: {crop_border: 4, test_y_channel: true}   #   eval --help lists them), with
 *     ssim: {crop_border: 4, test_y_channel: true}   #   the options it declares;
 *     niqe: {crop_border: 4}    #   channels: [y, rgb] too for psnr, ssim
 *   models:                     # zoo names, or mappings:
 *     - bicubic
 *     - {name: MVSR_13_noafa, type: MVSR_13, variant: noafa,
 *        hyperparameters: {align: none}, weights: PATH}
 *     - {name: SWRN, weights: {npy: DIR, map: MAP.yaml}, optional: true}
 *     - {name: X, weights: {tflite: FILE}}
 *                               # weights: a .vsrw file, an .npy folder + name map
 *                               # or a .tflite file (imported when the run loads);
 *                               # optional: true -> absent weights make the runs
 *                               # 'skipped' (not failed), else a config error
 *   precisions: [fp32, fp16, {name: int8, calibration: {method: minmax, frames: 8}}]
 *                               # int8 also: scheme: {weights: per-channel|per-tensor,
 *                               #   activations: asymmetric|symmetric, storage: int8|uint8,
 *                               #   pow2: false} (vsr_quant_scheme), the names int8-sym,
 *                               #   int8-asym, int8-pt; methods minmax percentile mse ema kl
 *   tile: [0, 64]               # scalar or list; 0 = whole frame
 *   pad: 8
 *   threads: [1, 2]             # or auto: the cores idle when the sweep starts
 *                               # (stored as 0; the run log has threads_used)
 *   timing: {warmup: 2, runs: 1, min_runs: 20, min_secs: 1.0}
 *                               # timed passes over every LR frame go on (the
 *                               # runs sharing a dataset take turns, A B A B)
 *                               # until >= runs passes, >= min_runs frames and
 *                               # >= min_secs seconds of timed frames
 *   exclude:                    # runs matching all keys of one rule are dropped
 *     - {model: bicubic, precision: [fp16, int8]}
 *   output: {db: runs.db, report_dir: reports/quickstart, save_images: false}
 *
 * Unknown keys, wrong types and missing required keys are errors naming
 * the key path and file:line. Relative dataroots are relative to the current
 * directory (as in BasicSR); relative weights paths (FILE, DIR, MAP) are
 * relative to the folder of the config file (for vsr_config_load_string():
 * of its name), so a config ships with the weights it points at.
 */

/** A generic key = value (hyperparameters; values kept as YAML scalar text). */
typedef struct vsr_config_kv {
    const char *key;
    const char *value;
} vsr_config_kv;

/**
 * A config dataset's `type:`: the datasets part's types (same values) and the
 * embedded demo (a Vid4-layout set built on first use, vsr_demo_build()).
 */
typedef enum vsr_config_dataset_type {
    VSR_CONFIG_DATASET_REDS = VSR_DATASET_REDS,
    VSR_CONFIG_DATASET_VID4 = VSR_DATASET_VID4,
    VSR_CONFIG_DATASET_PAIR = VSR_DATASET_PAIR,
    VSR_CONFIG_DATASET_VIDEO = VSR_DATASET_VIDEO,
    VSR_CONFIG_DATASET_IMAGES = VSR_DATASET_IMAGES,
    VSR_CONFIG_DATASET_DEMO = 64,
} vsr_config_dataset_type;

/** "demo", "vid4", "reds", "pair", "video", "images" (as a config writes them). */
const char *vsr_config_dataset_type_name(vsr_config_dataset_type t);

typedef struct vsr_config_dataset {
    const char *name;
    vsr_config_dataset_type type; /**< required */
    const char *dataroot;         /**< NULL when not given */
    const char *dataroot_gt;      /**< NULL when not given */
    const char *dataroot_lq;      /**< NULL when not given */
    const char **degradations;    /**< "bi" | "bd"; >= 1 entries (default {"bi"}) */
    int n_degradations;
    const char **clips; /**< NULL = all clips */
    int n_clips;
    int frames;            /**< 0 = all */
    int line;              /**< 1-based line of the entry in the config */
    const char *gt_suffix; /**< images: stem suffix of GT files ("_HR"); NULL = none */
    const char *lq_suffix; /**< images: stem suffix of LR files ("_LR"); NULL = none */
    /** `no_gt: true`: LR frames only (demo: DIR/demo_nogt; vid4 / reds: the LR folder;
     *  pair: dataroot_lq), see vsr_dataset_spec.lr_only. Full-reference metrics are
     *  refused for it (one-line error naming them), NIQE and timing run. */
    int no_gt;
} vsr_config_dataset;

typedef struct vsr_config_model {
    const char *name;    /**< the label in the config */
    const char *type;    /**< zoo entry it is built from (= name for a bare zoo name) */
    const char *variant; /**< "base" unless given or derived (then = name) */
    const char *weights; /**< `weights: FILE.vsrw`; NULL = the zoo default (none) */
    const vsr_config_kv *hparams; /**< sorted by key */
    int n_hparams;
    int line;
    const char *weights_npy;    /**< `weights: {npy: DIR, map: MAP.yaml}`: the folder */
    const char *weights_map;    /**< ... and its name map (vsr_models_import_npy()) */
    const char *weights_tflite; /**< `weights: {tflite: FILE}` (vsr_models_import_tflite()) */
    const char *weights_onnx;   /**< `weights: {onnx: FILE}` (vsr_models_import_onnx()) */
    int optional; /**< `optional: true`: when the weights are absent the runs are 'skipped' */
    /** `description:` what changed (one line, at most VSR_CONFIG_DESCRIPTION_MAX
     *  chars), stored with each run for the research-log table; NULL = none.
     *  Not part of the config hash. */
    const char *description;
} vsr_config_model;

#define VSR_CONFIG_DESCRIPTION_MAX 150

/**
 * An int8 entry's calibration `method:`: the engine's methods (same values) and
 * "file", the parameters of an INT8 .tflite (what its runs use when
 * calibration is not written).
 */
typedef enum vsr_config_calib {
    VSR_CONFIG_CALIB_MINMAX = VSR_CALIB_MINMAX,
    VSR_CONFIG_CALIB_PERCENTILE = VSR_CALIB_PERCENTILE,
    VSR_CONFIG_CALIB_MSE = VSR_CALIB_MSE,
    VSR_CONFIG_CALIB_EMA = VSR_CALIB_EMA,
    VSR_CONFIG_CALIB_KL = VSR_CALIB_KL,
    VSR_CONFIG_CALIB_FILE = 64,
} vsr_config_calib;

typedef struct vsr_config_precision {
    vsr_precision prec; /**< vsr_precision_name() prints it */
    /** int8: default VSR_CONFIG_CALIB_MINMAX; meaningless otherwise
     *  (vsr_config_calib_name() is NULL then) */
    vsr_config_calib calib;
    int calib_frames; /**< int8: default 8, 0 for "file"; else 0 */
    int calib_given;  /**< int8: 1 when `calibration:` was written (else the defaults) */
    /** int8: VSR_REQUANT_FLOAT (default) or _TFLITE (`requant:`,
     *  vsr_engine_options.requant); FLOAT otherwise. tflite is in the run key
     *  ("int8-file-0-tflite") and the config hash; float, the default, is in neither
     *  (run keys and hashes from before the key stay valid). */
    vsr_requant requant;
    /** int8: the scheme (`scheme:` or a shorthand name: int8-sym, int8-asym, int8-pt);
     *  all zero (the default) otherwise. In the run key and the config hash only when
     *  not the default. */
    vsr_quant_scheme scheme;
    /** what the run log records as the run's precision: the name, for int8 with a
     *  scheme its label (vsr_quant_scheme_label(): "int8-pt-sym"); NULL = name */
    const char *label;
    /** int8: `keep_float: [layer, ...]`, layers (names or # rows of the per-layer table)
     *  that run in float inside the INT8 graph (vsr_engine_options.layer_prec); none: NULL
     *  / 0. In the run key ("int8-minmax-8-keep2") and the config hash only when given. */
    char **keep_float;
    int n_keep_float;
    /** int8 with keep_float: "fp32" (default) | "fp16" (`keep_float_precision:`); else NULL */
    const char *keep_float_precision;
} vsr_config_precision;

/** The calibration method's name ("minmax" ... "file"); NULL unless @p p is int8. */
const char *vsr_config_calib_name(const vsr_config_precision *p);

/**
 * One metric of `metrics:`, any name of the metric registry with the options
 * it declares (vsr_metrics_option()):
 *   NAME: {crop_border: N, test_y_channel: BOOL, channels: [y, rgb], OPTION: V}
 */
typedef struct vsr_config_metric {
    const char *name;  /**< a registered metric (static string of the registry) */
    int enabled;       /**< 1 in cfg->metrics; 0 from vsr_config_metric_get() when absent */
    int crop_border;   /**< default: scale */
    unsigned channels; /**< bit i: the metric's channel i (vsr_metrics_channel_name()) is
                            scored; default its default channel */
    const vsr_config_kv *options; /**< the metric's own options, sorted by key */
    int n_options;
} vsr_config_metric;

/** One exclude condition: axis matches any of values. */
typedef struct vsr_config_cond {
    const char *axis; /**< model variant precision calibration dataset degradation tile pad
                           threads */
    const char **values;
    int n_values;
} vsr_config_cond;

typedef struct vsr_config_rule {
    const vsr_config_cond *conds;
    int n_conds;
    int line;
} vsr_config_rule;

/** A validated config. Everything is owned by it (vsr_config_free()). */
typedef struct vsr_config {
    const char *path;      /**< as given to vsr_config_load() */
    const char *text;      /**< the file as read */
    const char *overrides; /**< the --set arguments joined by '\n', or NULL */
    const char *name;
    int scale;
    long manual_seed;
    const vsr_config_dataset *datasets;
    int n_datasets;
    const vsr_config_model *models;
    int n_models;
    const vsr_config_precision *precisions;
    int n_precisions;
    const int *tiles;
    int n_tiles;
    const int *pads;
    int n_pads;
    const int *threads;
    int n_threads;
    int warmup;
    int runs;        /**< at least this many timed passes over every LR frame */
    int min_runs;    /**< ... and at least this many timed frames (default 20) */
    double min_secs; /**< ... summing to at least this many seconds (default 1.0) */
    /** the metrics to score, in the registry's order (default psnr and ssim on Y) */
    const vsr_config_metric *metrics;
    int n_metrics;
    const vsr_config_rule *exclude;
    int n_exclude;
    const char *db;         /**< default "runs.db" */
    const char *report_dir; /**< default "reports/<name>" */
    int save_images;
    /** tiling: vsr_tile_mode (tiling.mode), vsr_tile_padding (tiling.padding),
     *  tiling.tile_workers (>= 1); a pad of VSR_PAD_AUTO (-1) is `pad: auto` */
    int tile_mode, padding, tile_workers;
    /** engine.conv_algo: vsr_conv_algo of the FP32 / FP16 3x3 convs (default direct) */
    int conv_algo;
    char hash[17]; /**< FNV-1a 64 of the canonical form, 16 hex digits */
    struct vsr_config_priv *priv;
} vsr_config;

/**
 * Read and validate the YAML config at @p path after applying the
 * overrides @p sets ("key.path=value", value parsed as YAML: "2", "[fp32]",
 * "{method: mse}"; list items by index: "datasets.0.frames=2"). On success
 * *out owns everything; free it with vsr_config_free(). On failure err
 * holds "<file>:<line>: <key path>: <problem>" (or "--set <arg>: ...").
 * Returns 0, -ENOENT (no file), -EINVAL (bad config), -ENOMEM.
 */
int vsr_config_load(const char *path, const char *const *sets, int n_sets, vsr_config **out,
                    vsr_error *err);

/** The top-level keys of a run config with types, defaults and help (for --help). */
void vsr_config_help(FILE *f);
/** Like vsr_config_load() on YAML text; @p name stands for the file in messages. */
int vsr_config_load_string(const char *name, const char *text, const char *const *sets,
                           int n_sets, vsr_config **out, vsr_error *err);

/**
 * Metric @p name of @p cfg by value; when the config does not score it,
 * enabled = 0 with the defaults (crop border = scale, the default channel).
 */
vsr_config_metric vsr_config_metric_get(const vsr_config *cfg, const char *name);

/**
 * Open the metrics of @p cfg through the registry, in cfg->metrics' order
 * (every channel asked for): *out (owned by the caller,
 * vsr_metrics_set_free()), NULL when the config scores nothing. Errors name
 * the metric ("metrics.niqe: ...").
 */
int vsr_config_open_metrics(const vsr_config *cfg, struct vsr_metric_set **out, vsr_error *err);

/** Free a config and set *cfg to NULL. NULL-safe. */
void vsr_config_free(vsr_config **cfg);

/**
 * The canonical text the hash is computed on (every default filled in, keys
 * in a fixed order, hyperparameters sorted). Malloc'ed; the caller frees.
 */
char *vsr_config_canonical(const vsr_config *cfg);

/** FNV-1a 64 of @p len bytes, continuing from @p h (start with VSR_FNV1A64_INIT). */
#define VSR_FNV1A64_INIT 0xcbf29ce484222325ULL
uint64_t vsr_fnv1a64(const void *data, size_t len, uint64_t h);

/* ====================================================================== */
/* Sweep expansion                                                        */
/* ====================================================================== */

/** One run of a sweep. Pointers point into the vsr_config (borrowed). */
typedef struct vsr_sweep_run {
    int index; /**< 0-based position in the expanded order */
    const vsr_config_dataset *dataset;
    const char *degradation;
    const vsr_config_model *model;
    const vsr_config_precision *precision;
    int tile;
    int pad;
    int threads;
    char key[320]; /**< "MVSR_13/base/int8-minmax-8/demo/bi/t0/p0/th2" */
    char hash[17]; /**< config hash of everything that affects this run */
} vsr_sweep_run;

/**
 * Expand the product of the axes in this order, outermost first, each axis
 * in config order: dataset, degradation, model, precision, threads, tile,
 * pad. Runs matching an exclude rule are dropped (*n_excluded counts them,
 * may be NULL). *runs is malloc'ed (caller frees with free()); it borrows
 * from @p cfg, which must outlive it. An empty result is not an error.
 */
int vsr_sweep_expand(const vsr_config *cfg, vsr_sweep_run **runs, int *n, int *n_excluded,
                     vsr_error *err);

/**
 * End (exclusive) of the group of runs starting at @p start: the runs that
 * follow it in expansion order on the same dataset and degradation. `run`
 * times a group's runs in turns (A B A B ...), not one after the other.
 */
int vsr_sweep_group_end(const vsr_sweep_run *runs, int n, int start);

/**
 * The next turn of an interleaved measurement: the first index after
 * @p last (cyclically; -1 = from the start) whose @p want[i] is set, or -1
 * when none is. Candidates that still want passes thus take turns A B A B,
 * and one that is satisfied drops out.
 */
int vsr_sweep_next_turn(const int *want, int n, int last);

/** 1 when @p run matches every condition of @p rule. */
int vsr_sweep_rule_matches(const vsr_config_rule *rule, const vsr_sweep_run *run);

/* ====================================================================== */
/* Shards of a sweep and merging run logs (docs/CLUSTER.md)               */
/* ====================================================================== */

/** The largest N of --shard K/N. */
#define VSR_SHARD_MAX 100000

/**
 * Parse "K/N" (1 <= K <= N <= VSR_SHARD_MAX) into *@p k and *@p n.
 * -EINVAL with a one-line reason otherwise (*k, *n unchanged).
 */
int vsr_shard_parse(const char *text, int *k, int *n, vsr_error *err);

/**
 * Split @p n_runs runs (in the sweep's canonical order) into @p n_shards
 * shards: shard_of[i] (0-based) for every run. When @p cost is not NULL and
 * every cost[i] is finite and >= 0, runs go costliest first (ties: canonical
 * order) to the shard with the least cost so far (ties: the lowest shard),
 * the greedy "longest processing time first" (makespan within 4/3 of the
 * best); else round-robin: shard_of[i] = i % n_shards. A pure function of
 * its inputs, so every process (and a --resume) gets the same split.
 * @p load (n_shards entries, may be NULL) receives each shard's summed cost
 * (its run count for round-robin). Returns 1 (balanced by cost), 0
 * (round-robin), -EINVAL (n_shards out of range) or -ENOMEM.
 */
int vsr_shard_assign(const double *cost, int n_runs, int n_shards, int *shard_of, double *load,
                     vsr_error *err);

/**
 * Record in the run log that this process (gethostname(), getpid()) works on
 * sweep @p sweep_id as shard @p shard ("K/N", may be NULL) on cluster node
 * @p node (Slurm's SLURMD_NODENAME, may be NULL), in the table
 * shard_sessions (schema v10; a merge-time annotation that readers need not
 * know). vsr_runlog_merge()
 * joins it to runs by sweep, host and pid for each run's provenance.
 */
int vsr_runlog_shard_note(vsr_runlog *log, int64_t sweep_id, const char *shard,
                          const char *node, vsr_error *err);

/** What vsr_runlog_merge() did, summed over its inputs. */
typedef struct vsr_runlog_merge_stats {
    int inputs;          /**< inputs merged */
    int runs_copied;     /**< runs new to OUT (with metrics, timings, profiles) */
    int runs_duplicate;  /**< runs OUT had already (same run key, config hash, metrics) */
    int runs_conflict;   /**< same run key and config hash, other metrics: not copied */
    int runs_unfinished; /**< 'running' / 'pending' rows: not copied */
    int tune_rows;       /**< tune_results rows copied */
    int train_runs;      /**< train_runs copied (with their curves) */
} vsr_runlog_merge_stats;

/** Receives each line a merge reports (conflicts, unfinished runs, one per input). */
typedef void (*vsr_runlog_merge_note_fn)(void *ctx, const char *line);

/**
 * Merge the run logs @p inputs into the run log @p out_path (created when
 * absent), in one transaction: a failure (or a crash) leaves @p out_path as
 * it was (absent, if it was). Inputs are only read; each is copied and
 * migrated to this build's schema first. Copied: hosts and sweeps (one row
 * per distinct host / per sweep name, config hash, text and overrides),
 * finished runs with clip_metrics, frame_metrics, timings and
 * layer_profile, tune_results, train_runs with train_points and
 * device_timings (one per imported file and line); every
 * column both files have, so columns added by later migrations travel too.
 * An 'ok' run whose run key and config hash OUT has as 'ok' already is a
 * duplicate when its clip and frame metrics (frame times aside) are equal,
 * else a conflict (reported through @p note; OUT's run is kept); any other
 * run or row is a duplicate only when equal in every column. Runs still
 * 'running' or 'pending' are reported, not copied. Each copied run gets a
 * run_provenance row (schema v10): source file and run id,
 * shard and node (from the input's shard_sessions) and hostname; a run that
 * came through an earlier merge keeps its original provenance.
 * @p note (may be NULL) gets one line per conflict, unfinished run and
 * merged input, the last before the commit. @p stats may be NULL.
 */
int vsr_runlog_merge(const char *out_path, const char *const *inputs, int n_inputs,
                     vsr_runlog_merge_note_fn note, void *ctx, vsr_runlog_merge_stats *stats,
                     vsr_error *err);

/* ---- device timings (bench/device.c) --------------------------------------
 * Phone figures brought back next to the x86 ones. Two inputs:
 *  - TFLite benchmark_model output, as printed (any line prefix, e.g.
 *    "INFO: " or logcat's "I tflite  : "): "Graph: [path]", "Num threads:
 *    [N]", the statistics line "count=N first= curr= min= max= avg= std=
 *    [p5= median= p95=]" (the last one before the summary is the measured
 *    phase) and the summary "Inference timings in us: Init: A, First
 *    inference: B, Warmup (avg): C, Inference (avg): D". One record per
 *    summary line, so logs of several models may be concatenated.
 *  - CSV typed by hand (AI Benchmark): a header naming the columns, model and
 *    ms required, device, backend, precision, variant, init_ms, std_ms, count,
 *    threads optional; '#' starts a comment line; fields may be double-quoted.
 */
enum { VSR_DEVICE_NAME_MAX = 128, VSR_DEVICE_MAX_RECORDS = 100000 };

/** One timing of one model on one device. Times in microseconds, NaN unknown. */
typedef struct vsr_device_timing {
    char graph[256];                  /**< benchmark_model: the graph's file name, "" unknown */
    char model[VSR_DEVICE_NAME_MAX];  /**< CSV: the model column; "" otherwise */
    char device[VSR_DEVICE_NAME_MAX]; /**< CSV: the device column, "" absent */
    char backend[VSR_DEVICE_NAME_MAX]; /**< CSV: the backend column, "" absent */
    char precision[16];                /**< CSV: the precision column, "" absent */
    char variant[64];                  /**< CSV: the variant column, "" absent */
    double init_us, first_us, warmup_avg_us;
    double avg_us; /**< the figure reports use: mean time per inference */
    double min_us, max_us, std_us, median_us, p5_us, p95_us;
    long count;      /**< measured inferences, -1 unknown */
    int threads;     /**< -1 unknown */
    int source_line; /**< line of the input the record ends on (1-based) */
} vsr_device_timing;

/**
 * Parse TFLite benchmark_model output (@p len bytes, need not be
 * NUL-terminated). On success *out (caller frees with free()) holds *n_out >=
 * 1 records; on error nothing is allocated and @p err names the line.
 */
int vsr_device_parse_benchmark_model(const char *text, size_t len, vsr_device_timing **out,
                                     int *n_out, vsr_error *err);

/** Parse the hand-typed CSV form; same contract as the benchmark_model parser. */
int vsr_device_parse_csv(const char *text, size_t len, vsr_device_timing **out, int *n_out,
                         vsr_error *err);

/**
 * What an import adds to (or puts in place of) each record's names; NULL or
 * "" takes the name from the input. A benchmark_model log names no model:
 * the model and precision come from here or, failing that, from the graph's
 * file name when it reads MODEL_PRECISION.tflite (e.g. "ABPN_int8.tflite").
 */
typedef struct vsr_device_import_opts {
    const char *device;    /**< e.g. "OnePlus 7T"; required unless the CSV has it */
    const char *backend;   /**< delegate / backend, e.g. "TFLite GPU FP16" */
    const char *model;     /**< zoo name as the run log has it, e.g. "ABPN" */
    const char *variant;   /**< ablation variant, "" = every variant */
    const char *precision; /**< "fp32" | "fp16" | "int8" */
} vsr_device_import_opts;

typedef struct vsr_device_import_stats {
    int records;     /**< timings in the file */
    int added;       /**< rows written to device_timings */
    int duplicate;   /**< records the run log had already (same file sha256) */
    int runs;        /**< finished runs the added rows link to (model + precision) */
    char sha256[65]; /**< the file's */
} vsr_device_import_stats;

/**
 * Import the timings of the file @p path (".csv": the hand-typed form, else
 * benchmark_model output) into the run log's device_timings (schema v11), in
 * one transaction: every record or none. A file imported before (same
 * sha256) adds nothing and counts its records as duplicates. A record
 * without a device, model or precision is -EINVAL naming the record's line
 * and the option that supplies it; @p stats may be NULL.
 */
int vsr_device_import(vsr_runlog *log, const char *path, const vsr_device_import_opts *o,
                      vsr_device_import_stats *stats, vsr_error *err);

#ifdef __cplusplus
}
#endif
#endif /* VSR_BENCH_H */
