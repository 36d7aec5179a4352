/*
 * config.c: the training config. One option table (core/option.c) lists
 * every key with its type, default and range: it reads the YAML file,
 * applies "key.path=value" overrides (YAML values, as `vsrbench run`
 * reads them), prints the keys for --help and writes the resolved values.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfyaml.h>

#include "train_internal.h"
#include "vsr/option.h"

/* the enums are stored through int fields */
_Static_assert(sizeof(vsr_train_loss) == sizeof(int), "enum size");
_Static_assert(sizeof(vsr_train_sched_kind) == sizeof(int), "enum size");
_Static_assert(sizeof(vsr_train_init_kind) == sizeof(int), "enum size");

static const char *const qat_range_names[] = {"ema", "minmax", NULL};

static const vsr_opt_alias loss_aliases[] = {{"mse", VSR_TRAIN_LOSS_L2}, {NULL, 0}};

/* hyperparameters: {KEY: VALUE} (or --set hyperparameters.KEY=VALUE): overrides of
 * the zoo entry's, kept as text in config order (a later one replaces an
 * earlier one of the same key) and checked against the family once loaded. */
static int hp_put(vsr_opt_ctx *cx, vsr_train_config *c, const char *key, struct fy_node *v,
                  const char *path)
{
    char buf[256];
    size_t n = 0;
    if (fy_node_is_scalar(v)) {
        size_t vl;
        const char *t = fy_node_get_scalar(v, &vl);
        if (!t || vl >= sizeof(buf))
            return vsr_opt_fail(cx, v, 0, path, "a short scalar or list expected");
        memcpy(buf, t, vl);
        n = vl;
    } else if (fy_node_is_sequence(v)) {
        /* a list hyperparameter (pfe_k: [3, 5]) travels as its text "[3, 5]" */
        void *it = NULL;
        struct fy_node *item;
        buf[n++] = '[';
        while ((item = fy_node_sequence_iterate(v, &it))) {
            size_t vl;
            const char *t = fy_node_is_scalar(item) ? fy_node_get_scalar(item, &vl) : NULL;
            if (!t || n + vl + 4 >= sizeof(buf))
                return vsr_opt_fail(cx, v, 0, path, "a list of short scalars expected");
            if (n > 1)
                buf[n++] = ',', buf[n++] = ' ';
            memcpy(buf + n, t, vl);
            n += vl;
        }
        buf[n++] = ']';
    } else {
        return vsr_opt_fail(cx, v, 0, path, "a scalar or a list expected");
    }
    buf[n] = 0;
    char *val = strdup(buf);
    if (!val)
        return vsr_error_set(cx->err, -ENOMEM, "out of memory");
    for (int i = 0; i < c->n_hparams; i++)
        if (!strcmp(c->hparams[i].key, key)) {
            free((char *)c->hparams[i].value);
            c->hparams[i].value = val;
            return 0;
        }
    vsr_models_kv *na = realloc(c->hparams, (size_t)(c->n_hparams + 1) * sizeof(*na));
    char *k = strdup(key);
    if (!na || !k) {
        if (na)
            c->hparams = na;
        free(val), free(k);
        return vsr_error_set(cx->err, -ENOMEM, "out of memory");
    }
    c->hparams = na;
    na[c->n_hparams].key = k;
    na[c->n_hparams++].value = val;
    return 0;
}

static int read_hparams(vsr_opt_ctx *cx, const vsr_option *o, void *obj, const char *key,
                        struct fy_node *n, const char *path)
{
    (void)o;
    if (key)
        return hp_put(cx, obj, key, n, path);
    if (!fy_node_is_mapping(n))
        return vsr_opt_fail(cx, n, 0, path,
                            "a mapping of hyperparameters expected, e.g. {F: 24}");
    void *it = NULL;
    struct fy_node_pair *pr;
    while ((pr = fy_node_mapping_iterate(n, &it))) {
        struct fy_node *kn = fy_node_pair_key(pr);
        size_t kl;
        const char *k = kn && fy_node_is_scalar(kn) ? fy_node_get_scalar(kn, &kl) : NULL;
        char kb[128];
        if (!k || kl >= sizeof(kb))
            return vsr_opt_fail(cx, kn, 0, path, "a hyperparameter name expected");
        memcpy(kb, k, kl);
        kb[kl] = 0;
        int rc = hp_put(cx, obj, kb, fy_node_pair_value(pr), path);
        if (rc)
            return rc;
    }
    return 0;
}

static void put_hparams(FILE *f, const char *prefix, const vsr_option *o, const void *obj)
{
    (void)o;
    const vsr_train_config *c = obj;
    for (int i = 0; i < c->n_hparams; i++)
        fprintf(f, "%s.%s=%s\n", prefix, c->hparams[i].key, c->hparams[i].value);
}

#define C vsr_train_config
static const vsr_option train_options[] = {
    VSR_OPT_S("name", C, name, NULL, "the run's name (required)"),
    VSR_OPT_S("model", C, model, NULL, "the zoo model to train (required)"),
    {.name = "hyperparameters",
     .type = VSR_OPT_TREE,
     .expect = "{KEY: VALUE, ...}",
     .help = "overrides of the model's hyperparameters, as in a run config's model entry",
     .tree = read_hparams,
     .put = put_hparams},
    VSR_OPT_S("data_dir", C, data_dir, NULL, "training data (default: the demo data folder)"),
    VSR_OPT_S("out_dir", C, out_dir, NULL, "checkpoints and loss.tsv (default: runs/NAME)"),
    VSR_OPT_S("db", C, db, NULL, "run log (default: runs.db)"),
    VSR_OPT_L("seed", C, seed, 0, 0, 0x7fffffffL, "random seed"),
    VSR_OPT_I("threads", C, threads, 1, 1, 256, "worker threads"),
    VSR_OPT_I("patch", C, patch, 32, 4, 1024, "LR patch edge in pixels"),
    VSR_OPT_I("batch", C, batch, 16, 1, 4096, "examples per step"),
    VSR_OPT_I("seq", C, seq, 1, 1, 64, "time steps per example (recurrent models)"),
    VSR_OPT_L("steps", C, steps, 1000, 1, 100000000L, "optimizer steps"),
    {.name = "loss",
     .type = VSR_OPT_ENUM,
     .offset = offsetof(C, loss),
     .help = "pixel loss (mse is l2)",
     .def_i = VSR_TRAIN_LOSS_L1,
     .names = vsr_train_loss_names,
     .aliases = loss_aliases},
    VSR_OPT_D("optimizer.lr", C, sched.lr, 5e-4, 0, 10, "Adam learning rate"),
    VSR_OPT_D("optimizer.beta1", C, beta1, 0.9, 0, 0.999999, "Adam beta1"),
    VSR_OPT_D("optimizer.beta2", C, beta2, 0.999, 0, 0.99999999, "Adam beta2"),
    VSR_OPT_D("optimizer.eps", C, eps, 1e-8, 0, 1, "Adam epsilon"),
    VSR_OPT_D("optimizer.input_lr_scale", C, input_lr_scale, 1.0, 1e-6, 1,
              "learning-rate factor of the convs that read raw pixels"),
    VSR_OPT_D("optimizer.output_lr_scale", C, output_lr_scale, 1.0, 1, 1e6,
              "step factor of convs writing the 0..255 output (255 for a folded [0, 1] net)"),
    VSR_OPT_E("schedule.type", C, sched.kind, VSR_TRAIN_SCHED_COSINE, vsr_train_sched_names,
              "learning-rate schedule"),
    VSR_OPT_D("schedule.lr_min", C, sched.lr_min, 1e-7, 0, 10, "cosine: the final rate"),
    VSR_OPT_L("schedule.step_size", C, sched.step_size, 1000, 1, 100000000L,
              "step: steps between decays"),
    VSR_OPT_D("schedule.gamma", C, sched.gamma, 0.5, 0, 1, "step: decay factor"),
    VSR_OPT_E("init", C, init, VSR_TRAIN_INIT_GLOROT_UNIFORM, vsr_train_init_names,
              "weight initialisation"),
    VSR_OPT_B("identity_init", C, identity_init, 0,
              "after init, start each layer as the identity (QuickSRNet, MODEL_SPECS.md 2.4)"),
    VSR_OPT_D("prelu_alpha", C, prelu_alpha, 0.25, -1, 1, "initial PReLU slope"),
    VSR_OPT_L("checkpoint_every", C, ckpt_every, 1000, 1, 100000000L,
              "steps between checkpoints"),
    VSR_OPT_L("val.every", C, val_every, 1000, 1, 100000000L, "steps between validations"),
    VSR_OPT_I("val.frames", C, val_frames, 0, 0, 100000, "frames per validation clip (0: all)"),
    VSR_OPT_L("log_every", C, log_every, 10, 1, 100000000L, "steps between log lines"),
    VSR_OPT_B("output_clip_ste", C, output_clip_ste, 1,
              "the final clip passes gradients (straight-through)"),
    VSR_OPT_S("init_weights", C, init_weights, NULL,
              "a .vsrw to start from instead of the random init (e.g. for QAT)"),
    VSR_OPT_B("init_keep_zeros", C, init_keep_zeros, 0,
              "weights exactly 0 in init_weights stay 0 (a pruned model keeps its sparsity)"),
    VSR_OPT_B("qat.enable", C, qat, 0,
              "quantisation-aware training: fake INT8 where the engine quantises"),
    VSR_OPT_S("qat.scheme", C, qat_scheme, NULL,
              "QAT: the INT8 scheme as a precision label (int8, int8-sym, int8-pt, ...)"),
    VSR_OPT_L("qat.start_step", C, qat_start, 1, 1, 100000000L,
              "QAT: steps before this one observe ranges only (FP32 forward)"),
    VSR_OPT_L("qat.freeze_ranges_after", C, qat_freeze, 0, 0, 100000000L,
              "QAT: activation ranges stop moving at this step (0: never)"),
    VSR_OPT_D("qat.ema", C, qat_ema, 0.9, 0, 1,
              "QAT: range momentum (0: last batch's min/max)"),
    VSR_OPT_E("qat.ranges", C, qat_ranges, 0, qat_range_names,
              "QAT: activation ranges by EMA of each step's min/max, or the running min/max"),
    VSR_OPT_B("qat.lsq", C, qat_lsq, 0,
              "QAT: learn the activation scales (LSQ) from freeze_ranges_after on"),
    {.name = NULL},
};
#undef C

void vsr_train_config_help(FILE *f)
{
    vsr_opt_help(f, train_options, NULL);
}

void vsr_train_config_write(FILE *f, const vsr_train_config *c)
{
    vsr_opt_write(f, train_options, c, NULL);
}

void vsr_train_config_free(vsr_train_config *c)
{
    if (!c)
        return;
    vsr_opt_free(train_options, c);
    for (int i = 0; i < c->n_hparams; i++)
        free((char *)c->hparams[i].key), free((char *)c->hparams[i].value);
    free(c->hparams);
    free(c->text);
    memset(c, 0, sizeof(*c));
}

int vsr_train_config_load(const char *path, const char *const *sets, int n_sets,
                          vsr_train_config *c, vsr_error *err)
{
    memset(c, 0, sizeof(*c));
    int rc = 0;
    size_t len;
    if ((rc = vsr_read_text_file(path, "a YAML config", &c->text, &len, err)))
        return rc == -ENOENT
                   ? vsr_error_set(err, rc, "%s: cannot open the training config", path)
                   : rc;
    /* guarded, and syntax errors in one line naming path:line:column */
    struct fy_document *doc = NULL;
    if ((rc = vsr_yaml_parse(path, c->text, len, &doc, err))) {
        vsr_train_config_free(c);
        return rc;
    }
    vsr_opt_ctx ctx;
    vsr_opt_ctx_init(&ctx, path, err);
    struct fy_node *root = fy_document_root(doc);
    if (!root || !fy_node_is_mapping(root))
        rc = vsr_error_set(err, -EINVAL, "%s: the config must be a YAML mapping", path);
    else if (!(rc = vsr_opt_defaults(&ctx, train_options, c)))
        rc = vsr_opt_read(&ctx, train_options, c, root, "");
    fy_document_destroy(doc);
    for (int i = 0; !rc && i < n_sets; i++)
        rc = vsr_opt_set(&ctx, train_options, c, sets[i]);
    if (rc)
        goto done;
    if (!c->name || !c->model) {
        rc = vsr_error_set(err, -EINVAL, "%s: 'name' and 'model' are required", path);
        goto done;
    }
    if (c->n_hparams) {
        vsr_models_spec spec = {
            .model = c->model, .hparams = c->hparams, .n_hparams = c->n_hparams};
        vsr_models_arch arch;
        if ((rc = vsr_models_resolve(&spec, &arch, err))) {
            vsr_error_wrap(err, rc, "%s: hyperparameters", path);
            goto done;
        }
    }
    if (!c->out_dir) {
        size_t n = strlen(c->name) + 16;
        if (!(c->out_dir = malloc(n))) {
            rc = vsr_error_set(err, -ENOMEM, "out of memory");
            goto done;
        }
        snprintf(c->out_dir, n, "runs/%s", c->name); /* like BasicSR experiments/ */
    }
    if (c->init_keep_zeros && !c->init_weights) {
        rc = vsr_error_set(
            err, -EINVAL, "%s: init_keep_zeros: set init_weights (the pruned .vsrw) too", path);
        goto done;
    }
    if (c->qat_lsq && (!c->qat || !c->qat_freeze)) {
        rc =
            vsr_error_set(err, -EINVAL,
                          "%s: qat.lsq: set qat.enable and qat.freeze_ranges_after (LSQ starts "
                          "there, from the tracked ranges)",
                          path);
        goto done;
    }
    if (c->qat) {
        vsr_precision p;
        vsr_quant_scheme qs;
        if ((rc = vsr_precision_parse_scheme(c->qat_scheme ? c->qat_scheme : "int8", &p, &qs,
                                             err)) ||
            (p != VSR_PREC_INT8 &&
             (rc = vsr_error_set(err, -EINVAL, "qat.scheme '%s': an int8 precision expected",
                                 c->qat_scheme)))) {
            vsr_error_wrap(err, rc, "%s", path);
            goto done;
        }
    }
    c->sched.total_steps = c->steps;
done:
    if (rc)
        vsr_train_config_free(c);
    return rc;
}
