/*
 * The runs of one shard of a sweep (vsrbench run --shard K/N, vsrbench
 * slurm, vsrbench merge --expect): the expected cost of each run and the
 * split of bench.h's vsr_shard_assign().
 */
#ifndef VSR_BENCH_SHARD_SELECT_H
#define VSR_BENCH_SHARD_SELECT_H

#include "vsr/bench.h"

/**
 * Expected cost of each of the @p n runs of @p cfg into @p cost (n
 * entries): the model's MACs per LR pixel (built at 64x64 with the run's
 * hyperparameters; bicubic: 16 taps x 3 channels x scale^2) x the dataset's
 * frames (clips x frames when the config gives both, else 1: datasets are
 * then weighed alike) / the run's threads (1 for auto). Runs whose model
 * cannot be built get -1 (unknown; vsr_shard_assign() then splits
 * round-robin). Returns 1 when every cost is known, else 0.
 */
int vsr_shard_costs(const vsr_config *cfg, const vsr_sweep_run *runs, int n, double *cost);

/**
 * Keep in @p runs (*@p n runs in canonical order) only the runs of shard
 * @p k (1-based) of @p n_shards, still in canonical order (their index
 * fields keep their place in the whole sweep); *@p total receives the
 * sweep's run count, *@p balanced 1 when split by cost (else round-robin).
 * Returns 0, -EINVAL or -ENOMEM.
 */
int vsr_shard_select(const vsr_config *cfg, vsr_sweep_run *runs, int *n, int k, int n_shards,
                     int *total, int *balanced, vsr_error *err);

/**
 * *@p shard_of (malloc'ed, caller frees) = the 0-based shard of each of the
 * @p n runs, as vsr_shard_select() splits them. Returns 0 or a negative errno.
 */
int vsr_shard_of_runs(const vsr_config *cfg, const vsr_sweep_run *runs, int n, int n_shards,
                      int **shard_of, int *balanced, vsr_error *err);

#endif
