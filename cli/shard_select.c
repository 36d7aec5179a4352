/* The runs of one shard of a sweep; see shard_select.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"
#include "shard_select.h"
#include "vsr/engine.h"
#include "vsr/models.h"

/* MACs per LR pixel of the run's model, or -1 when it cannot be built */
static double macs_per_pixel(const vsr_config *cfg, const vsr_sweep_run *r)
{
    vsr_error err = {0};
    vsr_models_spec spec;
    vsr_models_kv *kv = NULL;
    vsr_models_arch arch;
    int rc = vsr_pipe_spec(r->model, &spec, &kv, &err);
    if (!rc)
        rc = vsr_models_resolve(&spec, &arch, &err);
    free(kv);
    if (rc < 0)
        return -1;
    const vsr_models_hparams hp = arch.hp;
    if (hp.family == VSR_MODELS_BICUBIC)
        return 16.0 * 3 * cfg->scale * cfg->scale;
    enum { SIDE = 64 };
    vsr_graph *g = NULL;
    vsr_graph_stats st;
    double macs = -1;
    if (vsr_models_build(&hp, r->model->type, SIDE, SIDE, &g, &err) == 0 &&
        vsr_graph_count(g, SIDE, SIDE, VSR_PREC_FP32, &st, &err) == 0 && st.macs >= 0)
        macs = (double)st.macs / (SIDE * SIDE);
    vsr_graph_free(&g);
    return macs;
}

int vsr_shard_costs(const vsr_config *cfg, const vsr_sweep_run *runs, int n, double *cost)
{
    int known = 1;
    for (int i = 0; i < n; i++) {
        const vsr_sweep_run *r = &runs[i];
        /* cost[] holds MACs per pixel first; a model's runs share its count */
        int j = 0;
        while (j < i && runs[j].model != r->model)
            j++;
        cost[i] = j < i ? cost[j] : macs_per_pixel(cfg, r);
    }
    for (int i = 0; i < n; i++) { /* then the run's expected cost */
        const vsr_sweep_run *r = &runs[i];
        const vsr_config_dataset *d = r->dataset;
        double frames = d->clips && d->frames > 0 ? (double)d->n_clips * d->frames : 1;
        if (cost[i] < 0)
            known = 0;
        else
            cost[i] = cost[i] * frames / (r->threads > 0 ? r->threads : 1);
    }
    return known;
}

int vsr_shard_of_runs(const vsr_config *cfg, const vsr_sweep_run *runs, int n, int n_shards,
                      int **shard_of, int *balanced, vsr_error *err)
{
    double *cost = malloc((size_t)(n ? n : 1) * sizeof(*cost));
    int *of = malloc((size_t)(n ? n : 1) * sizeof(*of));
    if (!cost || !of) {
        free(cost);
        free(of);
        return vsr_error_set(err, -ENOMEM, "out of memory");
    }
    int known = vsr_shard_costs(cfg, runs, n, cost);
    int rc = vsr_shard_assign(known ? cost : NULL, n, n_shards, of, NULL, err);
    free(cost);
    if (rc < 0) {
        free(of);
        return rc;
    }
    *balanced = rc;
    *shard_of = of;
    return 0;
}

int vsr_shard_select(const vsr_config *cfg, vsr_sweep_run *runs, int *n, int k, int n_shards,
                     int *total, int *balanced, vsr_error *err)
{
    int *of = NULL;
    if (k < 1 || k > n_shards)
        return vsr_error_set(err, -EINVAL, "shard %d/%d: K must be 1..N", k, n_shards);
    int rc = vsr_shard_of_runs(cfg, runs, *n, n_shards, &of, balanced, err);
    if (rc)
        return rc;
    *total = *n;
    int m = 0;
    for (int i = 0; i < *n; i++)
        if (of[i] == k - 1)
            runs[m++] = runs[i];
    *n = m;
    free(of);
    return 0;
}
