/*
 * config.c: the training config (YAML, flattened to dotted keys, then
 * "key.path=value" overrides), validated key by key.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfyaml.h>

#include "train_internal.h"

typedef struct kv {
    char key[128];
    char *val;
    int line;
    int used;
} kv;

typedef struct kvs {
    kv *a;
    int n, cap;
} kvs;

static int kv_set(kvs *m, const char *key, const char *val, size_t vlen, int line)
{
    for (int i = 0; i < m->n; i++)
        if (!strcmp(m->a[i].key, key)) {
            char *v = strndup(val, vlen);
            if (!v)
                return -ENOMEM;
            free(m->a[i].val);
            m->a[i].val = v;
            m->a[i].line = line;
            return 0;
        }
    if (m->n == m->cap) {
        int cap = m->cap ? 2 * m->cap : 32;
        kv *na = realloc(m->a, (size_t)cap * sizeof(kv));
        if (!na)
            return -ENOMEM;
        m->a = na, m->cap = cap;
    }
    kv *e = &m->a[m->n];
    memset(e, 0, sizeof(*e));
    snprintf(e->key, sizeof(e->key), "%s", key);
    if (!(e->val = strndup(val, vlen)))
        return -ENOMEM;
    e->line = line;
    m->n++;
    return 0;
}

static void kv_free(kvs *m)
{
    for (int i = 0; i < m->n; i++)
        free(m->a[i].val);
    free(m->a);
}

static int flatten(struct fy_node *n, const char *prefix, kvs *m, const char *path,
                   vsr_error *err)
{
    struct fy_token *tk = fy_node_is_scalar(n) ? fy_node_get_scalar_token(n) : NULL;
    const struct fy_mark *mk = tk ? fy_token_start_mark(tk) : NULL;
    int line = mk ? mk->line + 1 : 0;
    if (fy_node_is_mapping(n)) {
        void *it = NULL;
        struct fy_node_pair *pr;
        while ((pr = fy_node_mapping_iterate(n, &it))) {
            size_t kl;
            const char *k = fy_node_get_scalar(fy_node_pair_key(pr), &kl);
            if (!k)
                return vsr_error_set(err, -EINVAL, "%s:%d: %s: keys must be scalars", path,
                                     line, prefix[0] ? prefix : "(root)");
            char full[128];
            snprintf(full, sizeof(full), "%s%s%.*s", prefix, prefix[0] ? "." : "", (int)kl, k);
            int rc = flatten(fy_node_pair_value(pr), full, m, path, err);
            if (rc)
                return rc;
        }
        return 0;
    }
    if (fy_node_is_scalar(n)) {
        size_t vl;
        const char *v = fy_node_get_scalar(n, &vl);
        return kv_set(m, prefix, v ? v : "", v ? vl : 0, line)
                   ? vsr_error_set(err, -ENOMEM, "%s: out of memory", path)
                   : 0;
    }
    if (fy_node_is_sequence(n) && !strncmp(prefix, "hyperparameters.", 16)) {
        /* a list hyperparameter (pfe_k: [3, 5]) travels as its text "[3, 5]" */
        char buf[256] = "[";
        void *it = NULL;
        struct fy_node *item;
        while ((item = fy_node_sequence_iterate(n, &it))) {
            size_t vl, l = strlen(buf);
            const char *v = fy_node_is_scalar(item) ? fy_node_get_scalar(item, &vl) : NULL;
            if (!v || l + vl + 4 >= sizeof(buf))
                return vsr_error_set(err, -EINVAL,
                                     "%s:%d: %s: a list of short scalars expected", path, line,
                                     prefix);
            snprintf(buf + l, sizeof(buf) - l, "%s%.*s", l > 1 ? ", " : "", (int)vl, v);
        }
        strcat(buf, "]");
        return kv_set(m, prefix, buf, strlen(buf), line)
                   ? vsr_error_set(err, -ENOMEM, "%s: out of memory", path)
                   : 0;
    }
    return vsr_error_set(err, -EINVAL, "%s:%d: %s: lists are not used in training configs",
                         path, line, prefix);
}

static kv *get(kvs *m, const char *key)
{
    for (int i = 0; i < m->n; i++)
        if (!strcmp(m->a[i].key, key)) {
            m->a[i].used = 1;
            return &m->a[i];
        }
    return NULL;
}

static int get_str(kvs *m, const char *key, const char *def, char **out, vsr_error *err)
{
    kv *e = get(m, key);
    const char *v = e ? e->val : def;
    if (!v || (e && (!strcmp(v, "null") || !strcmp(v, "~") || !v[0]))) {
        *out = NULL;
        return 0;
    }
    if (!(*out = strdup(v)))
        return vsr_error_set(err, -ENOMEM, "out of memory");
    return 0;
}

static int get_long(kvs *m, const char *path, const char *key, long def, long lo, long hi,
                    long *out, vsr_error *err)
{
    kv *e = get(m, key);
    if (!e) {
        *out = def;
        return 0;
    }
    char what[200];
    snprintf(what, sizeof(what), "%s:%d: %s", path, e->line, key);
    return vsr_parse_long(e->val, lo, hi, out, what, err);
}

static int get_double(kvs *m, const char *path, const char *key, double def, double lo,
                      double hi, double *out, vsr_error *err)
{
    kv *e = get(m, key);
    if (!e) {
        *out = def;
        return 0;
    }
    char what[200];
    snprintf(what, sizeof(what), "%s:%d: %s", path, e->line, key);
    return vsr_parse_double(e->val, lo, hi, out, what, err);
}

void vsr_train_config_free(vsr_train_config *c)
{
    if (!c)
        return;
    free(c->name), free(c->model), free(c->data_dir), free(c->out_dir), free(c->db);
    free(c->text);
    for (int i = 0; i < c->n_hparams; i++)
        free((char *)c->hparams[i].key), free((char *)c->hparams[i].value);
    free(c->hparams);
    memset(c, 0, sizeof(*c));
}

int vsr_train_config_load(const char *path, const char *const *sets, int n_sets,
                          vsr_train_config *c, vsr_error *err)
{
    memset(c, 0, sizeof(*c));
    kvs m = {0};
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
    struct fy_node *root = fy_document_root(doc);
    if (!root || !fy_node_is_mapping(root)) {
        fy_document_destroy(doc);
        vsr_train_config_free(c);
        return vsr_error_set(err, -EINVAL, "%s: the config must be a YAML mapping", path);
    }
    rc = flatten(root, "", &m, path, err);
    fy_document_destroy(doc);
    if (rc)
        goto done;
    for (int i = 0; i < n_sets; i++) {
        const char *eq = strchr(sets[i], '=');
        if (!eq || eq == sets[i] || eq - sets[i] >= 128) {
            rc = vsr_error_set(err, -EINVAL, "--set %s: expected key.path=value", sets[i]);
            goto done;
        }
        char key[128];
        snprintf(key, sizeof(key), "%.*s", (int)(eq - sets[i]), sets[i]);
        if (kv_set(&m, key, eq + 1, strlen(eq + 1), 0)) {
            rc = vsr_error_set(err, -ENOMEM, "out of memory");
            goto done;
        }
    }
    long v;
    double d;
    char *s = NULL;
#define L(key, def, lo, hi, dst)                                                               \
    do {                                                                                       \
        if ((rc = get_long(&m, path, key, def, lo, hi, &v, err)))                              \
            goto done;                                                                         \
        dst = v;                                                                               \
    } while (0)
#define D(key, def, lo, hi, dst)                                                               \
    do {                                                                                       \
        if ((rc = get_double(&m, path, key, def, lo, hi, &d, err)))                            \
            goto done;                                                                         \
        dst = d;                                                                               \
    } while (0)
    if ((rc = get_str(&m, "name", NULL, &c->name, err)) ||
        (rc = get_str(&m, "model", NULL, &c->model, err)) ||
        (rc = get_str(&m, "data_dir", NULL, &c->data_dir, err)) ||
        (rc = get_str(&m, "out_dir", NULL, &c->out_dir, err)) ||
        (rc = get_str(&m, "db", NULL, &c->db, err)))
        goto done;
    if (!c->name || !c->model) {
        rc = vsr_error_set(err, -EINVAL, "%s: 'name' and 'model' are required", path);
        goto done;
    }
    if (!c->out_dir) {
        size_t n = strlen(c->name) + 16;
        if (!(c->out_dir = malloc(n))) {
            rc = vsr_error_set(err, -ENOMEM, "out of memory");
            goto done;
        }
        snprintf(c->out_dir, n, "runs/%s", c->name); /* like BasicSR experiments/ */
    }
    L("seed", 0, 0, 0x7fffffffL, c->seed);
    L("threads", 1, 1, 256, c->threads);
    L("patch", 32, 4, 1024, c->patch);
    L("batch", 16, 1, 4096, c->batch);
    L("seq", 1, 1, 64, c->seq);
    L("steps", 1000, 1, 100000000L, c->steps);
    if ((rc = get_str(&m, "loss", "l1", &s, err)))
        goto done;
    rc = vsr_train_loss_parse(s, &c->loss, err);
    free(s);
    s = NULL;
    if (rc)
        goto done;
    D("optimizer.lr", 5e-4, 0, 10, c->sched.lr);
    D("optimizer.beta1", 0.9, 0, 0.999999, c->beta1);
    D("optimizer.beta2", 0.999, 0, 0.99999999, c->beta2);
    D("optimizer.eps", 1e-8, 0, 1, c->eps);
    D("optimizer.input_lr_scale", 1.0, 1e-6, 1, c->input_lr_scale);
    if ((rc = get_str(&m, "schedule.type", "cosine", &s, err)))
        goto done;
    rc = vsr_train_sched_parse(s, &c->sched.kind, err);
    free(s);
    s = NULL;
    if (rc)
        goto done;
    D("schedule.lr_min", 1e-7, 0, 10, c->sched.lr_min);
    L("schedule.step_size", 1000, 1, 100000000L, c->sched.step_size);
    D("schedule.gamma", 0.5, 0, 1, c->sched.gamma);
    c->sched.total_steps = c->steps;
    if ((rc = get_str(&m, "init", "glorot_uniform", &s, err)))
        goto done;
    rc = vsr_train_init_parse(s, &c->init, err);
    free(s);
    s = NULL;
    if (rc)
        goto done;
    D("prelu_alpha", 0.25, -1, 1, c->prelu_alpha);
    L("checkpoint_every", 1000, 1, 100000000L, c->ckpt_every);
    L("val.every", 1000, 1, 100000000L, c->val_every);
    L("val.frames", 0, 0, 100000, c->val_frames);
    L("log_every", 10, 1, 100000000L, c->log_every);
    L("output_clip_ste", 1, 0, 1, c->output_clip_ste);
#undef L
#undef D
    /* hyperparameters.KEY: overrides of the zoo entry's, checked against its family */
    static const char hpre[] = "hyperparameters.";
    for (int i = 0; i < m.n; i++) {
        if (strncmp(m.a[i].key, hpre, sizeof(hpre) - 1))
            continue;
        vsr_models_kv *na = realloc(c->hparams, (size_t)(c->n_hparams + 1) * sizeof(*na));
        if (!na) {
            rc = vsr_error_set(err, -ENOMEM, "out of memory");
            goto done;
        }
        c->hparams = na;
        na[c->n_hparams].key = strdup(m.a[i].key + sizeof(hpre) - 1);
        na[c->n_hparams].value = strdup(m.a[i].val);
        if (!na[c->n_hparams].key || !na[c->n_hparams].value) {
            free((char *)na[c->n_hparams].key), free((char *)na[c->n_hparams].value);
            rc = vsr_error_set(err, -ENOMEM, "out of memory");
            goto done;
        }
        c->n_hparams++;
        m.a[i].used = 1;
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
    for (int i = 0; i < m.n; i++)
        if (!m.a[i].used) {
            if (m.a[i].line > 0)
                rc = vsr_error_set(err, -EINVAL,
                                   "%s:%d: unknown key '%s' (see configs/train_elsr.yaml)",
                                   path, m.a[i].line, m.a[i].key);
            else
                rc = vsr_error_set(err, -EINVAL,
                                   "--set %s: unknown key (see configs/train_elsr.yaml)",
                                   m.a[i].key);
            goto done;
        }
done:
    kv_free(&m);
    if (rc)
        vsr_train_config_free(c);
    return rc;
}
