/*
 * Sweep expansion: the product of a config's axes in a fixed order, minus
 * the runs an exclude rule matches, each with a readable key and a hash of
 * everything that affects its result (for --resume).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_internal.h"
#include "vsr/bench.h"
#include "vsr/engine.h"

static void precision_label(const vsr_config_precision *p, char *buf, size_t cap)
{
    const char *name = p->label ? p->label : vsr_precision_name(p->prec),
               *calib = vsr_config_calib_name(p);
    if (calib) /* the label: "int8", or with a scheme "int8-pt-sym" */
        snprintf(buf, cap, "%s-%s-%d%s", name, calib, p->calib_frames,
                 p->requant == VSR_REQUANT_TFLITE ? "-tflite" : "");
    else
        snprintf(buf, cap, "%s", name);
    if (p->n_keep_float > 0) { /* "-keep2-fp16-1a2b3c": count, precision, FNV-1a of the list */
        uint32_t h = 2166136261u;
        for (int i = 0; i < p->n_keep_float; i++)
            for (const char *s = p->keep_float[i];; s++) {
                h = (h ^ (unsigned char)*s) * 16777619u; /* the NUL separates the names */
                if (!*s)
                    break;
            }
        size_t len = strlen(buf);
        snprintf(buf + len, cap - len, "-keep%d-%s-%06x", p->n_keep_float,
                 p->keep_float_precision, (unsigned)(h & 0xffffff));
    }
}

static int cond_matches(const vsr_config_cond *c, const vsr_sweep_run *r)
{
    char num[24];
    for (int i = 0; i < c->n_values; i++) {
        const char *v = c->values[i];
        if (!strcmp(c->axis, "model")) {
            if (!strcasecmp(v, r->model->name) || !strcasecmp(v, r->model->type))
                return 1;
        } else if (!strcmp(c->axis, "variant")) {
            if (!strcmp(v, r->model->variant))
                return 1;
        } else if (!strcmp(c->axis, "precision")) {
            if (!strcasecmp(v, vsr_precision_name(r->precision->prec)) ||
                (r->precision->label && !strcasecmp(v, r->precision->label)))
                return 1;
        } else if (!strcmp(c->axis, "calibration")) {
            const char *calib = vsr_config_calib_name(r->precision);
            if (calib && !strcasecmp(v, calib))
                return 1;
        } else if (!strcmp(c->axis, "dataset")) {
            if (!strcmp(v, r->dataset->name))
                return 1;
        } else if (!strcmp(c->axis, "degradation")) {
            if (!strcasecmp(v, r->degradation))
                return 1;
        } else {
            int x = !strcmp(c->axis, "tile")  ? r->tile
                    : !strcmp(c->axis, "pad") ? r->pad
                                              : r->threads;
            snprintf(num, sizeof(num), "%d", x);
            long parsed;
            if (vsr_parse_long(v, 0, 1L << 30, &parsed, c->axis, NULL) == 0 && parsed == x)
                return 1;
            if (!strcmp(c->axis, "threads") && x == 0 && !strcmp(v, "auto"))
                return 1;
            if (!strcmp(c->axis, "pad") && x == VSR_PAD_AUTO && !strcmp(v, "auto"))
                return 1;
        }
    }
    return 0;
}

int vsr_sweep_rule_matches(const vsr_config_rule *rule, const vsr_sweep_run *run)
{
    for (int k = 0; k < rule->n_conds; k++)
        if (!cond_matches(&rule->conds[k], run))
            return 0;
    return rule->n_conds > 0;
}

/*
 * The precision a run of model @p m uses: INT8 of an INT8 .tflite keeps the
 * file's own quantization ("file") unless the config writes a calibration.
 * (A float .tflite then fails its INT8 runs with a message asking for one.)
 */
static const vsr_config_precision *run_precision(const vsr_config_model *m,
                                                 const vsr_config_precision *p)
{
    static const vsr_config_precision int8_file = {
        .prec = VSR_PREC_INT8, .calib = VSR_CONFIG_CALIB_FILE, .requant = VSR_REQUANT_FLOAT};
    static const vsr_config_precision int8_file_tfl = {
        .prec = VSR_PREC_INT8, .calib = VSR_CONFIG_CALIB_FILE, .requant = VSR_REQUANT_TFLITE};
    if (m->weights_tflite && p->prec == VSR_PREC_INT8 && !p->calib_given)
        return p->requant == VSR_REQUANT_TFLITE ? &int8_file_tfl : &int8_file;
    return p;
}

/* The run's hash: the shared settings plus every axis value, canonical. */
static int run_hash(const vsr_config *cfg, vsr_sweep_run *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return -ENOMEM;
    fprintf(f, "vsrbench-run-v1\n");
    vsr_config_put_common(f, cfg);
    vsr_config_put_dataset(f, r->dataset);
    vsr_config_put_str(f, "degradation", r->degradation);
    vsr_config_put_model(f, r->model);
    vsr_config_put_precision(f, r->precision);
    fprintf(f, "tile=%d\npad=%d\nthreads=%d\n", r->tile, r->pad, r->threads);
    if (fclose(f) != 0) {
        free(buf);
        return -ENOMEM;
    }
    snprintf(r->hash, sizeof(r->hash), "%016llx",
             (unsigned long long)vsr_fnv1a64(buf, len, VSR_FNV1A64_INIT));
    free(buf);
    return 0;
}

int vsr_sweep_expand(const vsr_config *cfg, vsr_sweep_run **runs, int *n, int *n_excluded,
                     vsr_error *err)
{
    *runs = NULL;
    *n = 0;
    if (n_excluded)
        *n_excluded = 0;
    size_t total = 0;
    for (int d = 0; d < cfg->n_datasets; d++)
        total += (size_t)cfg->datasets[d].n_degradations;
    total *= (size_t)cfg->n_models * (size_t)cfg->n_precisions * (size_t)cfg->n_threads *
             (size_t)cfg->n_tiles * (size_t)cfg->n_pads;
    if (total > 1000000)
        return vsr_error_set(err, -EINVAL,
                             "%s: the sweep has %zu runs; narrow the axes or add exclude rules",
                             cfg->path, total);
    vsr_sweep_run *a = calloc(total ? total : 1, sizeof(*a));
    if (!a)
        return vsr_error_set(err, -ENOMEM, "%s: out of memory expanding %zu runs", cfg->path,
                             total);
    int cnt = 0, excluded = 0;
    for (int d = 0; d < cfg->n_datasets; d++) {
        const vsr_config_dataset *ds = &cfg->datasets[d];
        for (int g = 0; g < ds->n_degradations; g++)
            for (int m = 0; m < cfg->n_models; m++)
                for (int p = 0; p < cfg->n_precisions; p++)
                    for (int th = 0; th < cfg->n_threads; th++)
                        for (int t = 0; t < cfg->n_tiles; t++)
                            for (int pd = 0; pd < cfg->n_pads; pd++) {
                                vsr_sweep_run *r = &a[cnt];
                                memset(r, 0, sizeof(*r));
                                r->dataset = ds;
                                r->degradation = ds->degradations[g];
                                r->model = &cfg->models[m];
                                r->precision =
                                    run_precision(&cfg->models[m], &cfg->precisions[p]);
                                r->threads = cfg->threads[th];
                                r->tile = cfg->tiles[t];
                                r->pad = cfg->pads[pd];
                                int drop = 0;
                                for (int e = 0; e < cfg->n_exclude && !drop; e++)
                                    drop = vsr_sweep_rule_matches(&cfg->exclude[e], r);
                                if (drop) {
                                    excluded++;
                                    continue;
                                }
                                char prec[64];
                                precision_label(r->precision, prec, sizeof(prec));
                                char th[16] = "auto"; /* threads: auto is 0 */
                                if (r->threads > 0)
                                    snprintf(th, sizeof(th), "%d", r->threads);
                                char pd[16] = "auto"; /* pad: auto is VSR_PAD_AUTO */
                                if (r->pad >= 0)
                                    snprintf(pd, sizeof(pd), "%d", r->pad);
                                snprintf(r->key, sizeof(r->key), "%s/%s/%s/%s/%s/t%d/p%s/th%s",
                                         r->model->type, r->model->variant, prec, ds->name,
                                         r->degradation, r->tile, pd, th);
                                if (run_hash(cfg, r) < 0) {
                                    free(a);
                                    return vsr_error_set(err, -ENOMEM,
                                                         "%s: out of memory hashing runs",
                                                         cfg->path);
                                }
                                r->index = cnt++;
                            }
    }
    *runs = a;
    *n = cnt;
    if (n_excluded)
        *n_excluded = excluded;
    return 0;
}

int vsr_sweep_group_end(const vsr_sweep_run *runs, int n, int start)
{
    int e = start + 1;
    while (e < n && runs[e].dataset == runs[start].dataset &&
           !strcmp(runs[e].degradation, runs[start].degradation))
        e++;
    return e;
}

int vsr_sweep_next_turn(const int *want, int n, int last)
{
    for (int k = 1; k <= n; k++) {
        int j = ((last < 0 ? -1 : last) + k) % n;
        if (want[j])
            return j;
    }
    return -1;
}
