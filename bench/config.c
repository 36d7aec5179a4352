/*
 * YAML sweep configs (libfyaml): parse, apply --set overrides on the
 * document tree, validate into a vsr_config, hash a canonical form.
 *
 * Every error names where it comes from: "<file>:<line>: <key path>: ..."
 * for values from the file, "--set <arg>: <key path>: ..." for values an
 * override put there. Key paths are dotted with list indexes in brackets
 * ("datasets[0].degradation").
 *
 * All strings and arrays of a config live in one arena (struct
 * vsr_config_priv) released by vsr_config_free().
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <libfyaml.h>

#include "config_internal.h"
#include "vsr/bench.h"
#include "vsr/engine.h"
#include "vsr/metrics.h"
#include "vsr/models.h"
#include "vsr/option.h"

/* ---- arena ------------------------------------------------------------- */

struct arena_block {
    struct arena_block *next;
    max_align_t data[];
};

struct vsr_config_priv {
    struct arena_block *head;
};

static void *ar_alloc(struct vsr_config_priv *ar, size_t size)
{
    struct arena_block *b = calloc(1, sizeof(*b) + (size ? size : 1));
    if (!b)
        return NULL;
    b->next = ar->head;
    ar->head = b;
    return b->data;
}

static char *ar_strndup(struct vsr_config_priv *ar, const char *s, size_t n)
{
    char *p = ar_alloc(ar, n + 1);
    if (p)
        memcpy(p, s, n);
    return p;
}

static char *ar_strdup(struct vsr_config_priv *ar, const char *s)
{
    return ar_strndup(ar, s, strlen(s));
}

static void ar_free(struct vsr_config_priv *ar)
{
    struct arena_block *b = ar->head;
    while (b) {
        struct arena_block *next = b->next;
        free(b);
        b = next;
    }
    ar->head = NULL;
}

/* ---- context and error reporting ---------------------------------------- */

#define PATH_CAP VSR_OPT_PATH_CAP

/*
 * The load. Messages ("<file>:<line>: <path>: ..." or "--set <arg>: ..."),
 * the --set records, key checks and lookups are core/option.c's; the short
 * names below keep this file's sections readable.
 */
struct ctx {
    vsr_opt_ctx o;
    struct vsr_config_priv *ar;
    const char *file; /* = o.file */
    vsr_error *err;   /* = o.err */
};

static void *ar_alloc_opt(void *ar, size_t size)
{
    return ar_alloc(ar, size);
}

#define bad(c, ...) vsr_opt_fail(&(c)->o, __VA_ARGS__)
#define node_line vsr_opt_node_line
#define type_name vsr_opt_node_kind
#define is_null vsr_opt_is_null

static int oom(struct ctx *c)
{
    return vsr_opt_oom(&c->o);
}

static struct fy_node *lookup(struct ctx *c, struct fy_node *map, const char *key)
{
    return vsr_opt_lookup(&c->o, map, key);
}

static int check_keys(struct ctx *c, struct fy_node *map, const char *path,
                      const char *const *allowed)
{
    return vsr_opt_check_keys(&c->o, map, path, allowed);
}

static void join_path(char *out, const char *parent, const char *key)
{
    /* a too long path is cut; it only names things in messages */
    int w = (parent && *parent) ? snprintf(out, PATH_CAP, "%s.%s", parent, key)
                                : snprintf(out, PATH_CAP, "%s", key);
    if (w < 0)
        out[0] = '\0';
}

static void index_path(char *out, const char *parent, int i)
{
    if (snprintf(out, PATH_CAP, "%s[%d]", parent, i) < 0)
        out[0] = '\0';
}

/* ---- typed getters ------------------------------------------------------ */

/* Copy a scalar's text into the arena. */
static int get_str(struct ctx *c, struct fy_node *n, const char *path, const char **out)
{
    if (fy_node_get_type(n) != FYNT_SCALAR)
        return bad(c, n, 0, path, "expected a string, got %s", type_name(n));
    size_t len = 0;
    const char *s = fy_node_get_scalar(n, &len);
    char *p = ar_strndup(c->ar, s ? s : "", s ? len : 0);
    if (!p)
        return oom(c);
    *out = p;
    return 0;
}

/*
 * One value as a table entry reads it (core/option.c): the messages and the
 * accepted spellings are those of every table. A null value is an error
 * here, where it stands in a list or for a key that must have a value.
 */
static int get_value(struct ctx *c, struct fy_node *n, const char *path, const vsr_option *o,
                     void *out)
{
    if (is_null(n))
        return bad(c, n, 0, path, "empty value");
    return vsr_opt_read_value(&c->o, o, out, n, path);
}

static int get_int(struct ctx *c, struct fy_node *n, const char *path, long min, long max,
                   int *out)
{
    const vsr_option o = {.name = path, .type = VSR_OPT_INT, .min = min, .max = max};
    return get_value(c, n, path, &o, out);
}

static int get_bool(struct ctx *c, struct fy_node *n, const char *path, int *out)
{
    const vsr_option o = {.name = path, .type = VSR_OPT_BOOL};
    return get_value(c, n, path, &o, out);
}

/* A string that must be one of @p choices (NULL-terminated, case-insensitive). */
static int get_enum(struct ctx *c, struct fy_node *n, const char *path,
                    const char *const *choices, const char **out)
{
    const vsr_option o = {.name = path, .type = VSR_OPT_NAME, .names = choices};
    return get_value(c, n, path, &o, out);
}

static int expect_map(struct ctx *c, struct fy_node *n, const char *path)
{
    if (fy_node_get_type(n) != FYNT_MAPPING)
        return bad(c, n, 0, path, "expected a mapping, got %s", type_name(n));
    return 0;
}

/* A scalar or a list of scalars -> array of strings. */
static int get_str_list(struct ctx *c, struct fy_node *n, const char *path, const char ***out,
                        int *count)
{
    if (fy_node_get_type(n) == FYNT_SCALAR) {
        const char **a = ar_alloc(c->ar, sizeof(*a));
        if (!a)
            return oom(c);
        int ret = get_str(c, n, path, &a[0]);
        if (ret < 0)
            return ret;
        *out = a;
        *count = 1;
        return 0;
    }
    if (fy_node_get_type(n) != FYNT_SEQUENCE)
        return bad(c, n, 0, path, "expected a value or a list, got %s", type_name(n));
    int cnt = fy_node_sequence_item_count(n);
    if (cnt < 1)
        return bad(c, n, 0, path, "empty list");
    const char **a = ar_alloc(c->ar, (size_t)cnt * sizeof(*a));
    if (!a)
        return oom(c);
    for (int i = 0; i < cnt; i++) {
        char ip[PATH_CAP];
        index_path(ip, path, i);
        int ret = get_str(c, fy_node_sequence_get_by_index(n, i), ip, &a[i]);
        if (ret < 0)
            return ret;
    }
    *out = a;
    *count = cnt;
    return 0;
}

/* A scalar or a list of integers in [min, max], no duplicates. */
/* @p allow_auto: the scalar "auto" is accepted and stored as @p auto_value (threads: auto
 * as 0, pad: auto as VSR_PAD_AUTO) */
static int get_int_axis(struct ctx *c, struct fy_node *n, const char *path, long min, long max,
                        int allow_auto, int auto_value, const int **out, int *count)
{
    int cnt = fy_node_get_type(n) == FYNT_SEQUENCE ? fy_node_sequence_item_count(n) : 1;
    if (fy_node_get_type(n) == FYNT_MAPPING)
        return bad(c, n, 0, path, "expected an integer or a list of integers, got a mapping");
    if (cnt < 1)
        return bad(c, n, 0, path, "empty list");
    int *a = ar_alloc(c->ar, (size_t)cnt * sizeof(*a));
    if (!a)
        return oom(c);
    for (int i = 0; i < cnt; i++) {
        char ip[PATH_CAP];
        struct fy_node *item = n;
        if (fy_node_get_type(n) == FYNT_SEQUENCE) {
            item = fy_node_sequence_get_by_index(n, i);
            index_path(ip, path, i);
        } else {
            snprintf(ip, sizeof(ip), "%s", path);
        }
        const char *sv = NULL;
        int ret;
        if (allow_auto && fy_node_get_type(item) == FYNT_SCALAR &&
            (sv = fy_node_get_scalar0(item)) && !strcmp(sv, "auto"))
            a[i] = auto_value;
        else if ((ret = get_int(c, item, ip, min, max, &a[i])) < 0)
            return ret == -EINVAL && allow_auto
                       ? bad(c, item, 0, ip, "expected an integer in [%ld, %ld] or auto", min,
                             max)
                       : ret;
        for (int j = 0; j < i; j++)
            if (a[j] == a[i])
                return bad(c, item, 0, ip, "%s is listed twice",
                           a[i] != auto_value || !allow_auto ? ip : "auto");
    }
    *out = a;
    *count = cnt;
    return 0;
}

/* ---- sections ------------------------------------------------------------ */

static const int dataset_type_values[] = {VSR_CONFIG_DATASET_DEMO,  VSR_CONFIG_DATASET_VID4,
                                          VSR_CONFIG_DATASET_REDS,  VSR_CONFIG_DATASET_PAIR,
                                          VSR_CONFIG_DATASET_VIDEO, VSR_CONFIG_DATASET_IMAGES};
static const char *const dataset_types[] = {"demo",  "vid4",   "reds", "pair",
                                            "video", "images", NULL};
static const char *const degradations[] = {"bi", "bd", NULL};

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

#define DS vsr_config_dataset
static const vsr_option dataset_options[] = {
    VSR_OPT_S("name", DS, name, NULL, "the dataset's name (required)"),
    VSR_OPT_EV("type", DS, type, -1, dataset_types, dataset_type_values,
               "its layout (required)"),
    VSR_OPT_S("dataroot", DS, dataroot, NULL, "the dataset root folder"),
    VSR_OPT_S("dataroot_gt", DS, dataroot_gt, NULL, "the GT folder (video: file)"),
    VSR_OPT_S("dataroot_lq", DS, dataroot_lq, NULL, "the LR folder"),
    VSR_OPT_HAND("degradation", "bi, bd or a list of them", "default bi"),
    {.name = "clips",
     .type = VSR_OPT_LIST,
     .offset = offsetof(DS, clips),
     .count_offset = offsetof(DS, n_clips),
     .help = "the clips to use (default all)"},
    VSR_OPT_I("frames", DS, frames, 0, 0, 1000000, "frames per clip (0: all)"),
    VSR_OPT_S("gt_suffix", DS, gt_suffix, NULL, "images: stem suffix of the GT files"),
    VSR_OPT_S("lq_suffix", DS, lq_suffix, NULL, "images: stem suffix of the LR files"),
    VSR_OPT_B("no_gt", DS, no_gt, 0,
              "LR frames only (demo, vid4, reds, pair): no-reference metrics and timing"),
    {.name = NULL},
};
#undef DS

static int parse_dataset(struct ctx *c, struct fy_node *n, const char *path,
                         vsr_config_dataset *d)
{
    int ret;
    char kp[PATH_CAP];
    if ((ret = expect_map(c, n, path)) < 0 ||
        (ret = vsr_opt_defaults(&c->o, dataset_options, d)) < 0 ||
        (ret = vsr_opt_read(&c->o, dataset_options, d, n, path)) < 0)
        return ret;
    d->line = node_line(n);
    struct fy_node *v;
    join_path(kp, path, "name");
    if (!d->name)
        return bad(c, n, 0, kp, "missing required key (the dataset's name, e.g. vid4)");
    join_path(kp, path, "type");
    if (!lookup(c, n, "type"))
        return bad(c, n, 0, kp,
                   "missing required key (demo, vid4, reds, pair, video or images)");
    static const char *const roots[] = {"dataroot", "dataroot_gt", "dataroot_lq"};
    const char **dst[] = {&d->dataroot, &d->dataroot_gt, &d->dataroot_lq};
    for (int i = 0; i < 3; i++) {
        join_path(kp, path, roots[i]);
        if ((v = lookup(c, n, roots[i]))) {
            /* a root the user has not set up is the commonest mistake:
             * say so now rather than in the middle of a sweep */
            if (!exists(*dst[i]))
                return bad(c, v, 0, kp,
                           "'%s' does not exist; download the dataset there "
                           "or fix the path",
                           *dst[i]);
            if (i != 1 || d->type != VSR_CONFIG_DATASET_VIDEO)
                if (!is_dir(*dst[i]))
                    return bad(c, v, 0, kp, "'%s' is not a folder", *dst[i]);
        }
    }
    const char *tname = vsr_config_dataset_type_name(d->type);
    int need_root = d->type == VSR_CONFIG_DATASET_VID4 || d->type == VSR_CONFIG_DATASET_REDS;
    if (need_root && !d->dataroot && !d->dataroot_gt) {
        join_path(kp, path, "dataroot");
        return bad(c, n, 0, kp, "missing required key for type %s (the dataset root folder)",
                   tname);
    }
    if ((d->type == VSR_CONFIG_DATASET_PAIR || d->type == VSR_CONFIG_DATASET_VIDEO ||
         d->type == VSR_CONFIG_DATASET_IMAGES) &&
        !d->dataroot_gt) {
        join_path(kp, path, "dataroot_gt");
        return bad(c, n, 0, kp, "missing required key for type %s (the GT %s)", tname,
                   d->type != VSR_CONFIG_DATASET_VIDEO ? "folder" : "video file");
    }
    join_path(kp, path, "degradation");
    if ((v = lookup(c, n, "degradation"))) {
        if ((ret = get_str_list(c, v, kp, &d->degradations, &d->n_degradations)) < 0)
            return ret;
        for (int i = 0; i < d->n_degradations; i++) {
            char ip[PATH_CAP];
            struct fy_node *item =
                fy_node_get_type(v) == FYNT_SEQUENCE ? fy_node_sequence_get_by_index(v, i) : v;
            if (fy_node_get_type(v) == FYNT_SEQUENCE)
                index_path(ip, kp, i);
            else
                snprintf(ip, sizeof(ip), "%s", kp);
            if ((ret = get_enum(c, item, ip, degradations, &d->degradations[i])) < 0)
                return ret;
            for (int j = 0; j < i; j++)
                if (!strcmp(d->degradations[j], d->degradations[i]))
                    return bad(c, item, 0, ip, "%s is listed twice", d->degradations[i]);
        }
    } else {
        const char **a = ar_alloc(c->ar, sizeof(*a));
        if (!a)
            return oom(c);
        a[0] = "bi";
        d->degradations = a;
        d->n_degradations = 1;
    }
    /* images: BasicSR's filename_tmpl as stem suffixes (Set5: _HR / _LR) */
    static const char *const sfx[] = {"gt_suffix", "lq_suffix"};
    const char **sdst[] = {&d->gt_suffix, &d->lq_suffix};
    for (int i = 0; i < 2; i++) {
        join_path(kp, path, sfx[i]);
        if (!(v = lookup(c, n, sfx[i])))
            continue;
        if (d->type != VSR_CONFIG_DATASET_IMAGES)
            return bad(c, v, 0, kp, "only a dataset of type images takes %s", sfx[i]);
        if (strchr(*sdst[i], '/'))
            return bad(c, v, 0, kp, "'%s' is a file name suffix: no '/'", *sdst[i]);
    }
    if (d->no_gt && d->type != VSR_CONFIG_DATASET_DEMO && d->type != VSR_CONFIG_DATASET_VID4 &&
        d->type != VSR_CONFIG_DATASET_REDS && d->type != VSR_CONFIG_DATASET_PAIR) {
        join_path(kp, path, "no_gt");
        return bad(c, lookup(c, n, "no_gt"), 0, kp,
                   "a %s dataset cannot be LR frames only; use demo, vid4, reds or pair",
                   vsr_config_dataset_type_name(d->type));
    }
    if (d->lq_suffix && !d->dataroot_lq) {
        join_path(kp, path, "dataroot_lq");
        return bad(c, n, 0, kp,
                   "missing: lq_suffix needs the LR folder (it may be dataroot_gt itself)");
    }
    return 0;
}

static int parse_datasets(struct ctx *c, struct fy_node *root, vsr_config *cfg)
{
    struct fy_node *n = lookup(c, root, "datasets");
    if (!n)
        return bad(
            c, root, 0, "datasets",
            "missing required key (a list of datasets, e.g. - {name: demo, type: demo})");
    int cnt, ret;
    int is_map = fy_node_get_type(n) == FYNT_MAPPING; /* BasicSR's test_1: {...} form */
    if (fy_node_get_type(n) == FYNT_SEQUENCE)
        cnt = fy_node_sequence_item_count(n);
    else if (is_map)
        cnt = fy_node_mapping_item_count(n);
    else
        return bad(c, n, 0, "datasets", "expected a list of datasets, got %s", type_name(n));
    if (cnt < 1)
        return bad(c, n, 0, "datasets", "no dataset listed");
    vsr_config_dataset *a = ar_alloc(c->ar, (size_t)cnt * sizeof(*a));
    if (!a)
        return oom(c);
    void *it = NULL;
    for (int i = 0; i < cnt; i++) {
        char ip[PATH_CAP];
        struct fy_node *item;
        if (is_map) {
            struct fy_node_pair *p = fy_node_mapping_iterate(n, &it);
            const char *k = fy_node_get_scalar0(fy_node_pair_key(p));
            join_path(ip, "datasets", k ? k : "?");
            item = fy_node_pair_value(p);
            if (!item)
                return bad(c, fy_node_pair_key(p), 0, ip, "empty dataset entry");
        } else {
            index_path(ip, "datasets", i);
            item = fy_node_sequence_get_by_index(n, i);
        }
        if ((ret = parse_dataset(c, item, ip, &a[i])) < 0)
            return ret;
        for (int j = 0; j < i; j++)
            if (!strcmp(a[j].name, a[i].name))
                return bad(c, item, 0, ip, "dataset name '%s' is used twice", a[i].name);
    }
    cfg->datasets = a;
    cfg->n_datasets = cnt;
    return 0;
}

static int cmp_kv(const void *a, const void *b)
{
    return strcmp(((const vsr_config_kv *)a)->key, ((const vsr_config_kv *)b)->key);
}

/*
 * The next entry of mapping @p map under @p path (iterator *@p it): its key
 * string in *@p key, its value node in *@p v and the entry's path in @p kp
 * (PATH_CAP bytes). A key that is not a string or an empty value is an
 * error naming the path.
 */
static int next_entry(struct ctx *c, struct fy_node *map, void **it, const char *path,
                      const char **key, struct fy_node **v, char *kp)
{
    struct fy_node_pair *p = fy_node_mapping_iterate(map, it);
    struct fy_node *k = fy_node_pair_key(p);
    int ret;
    *v = fy_node_pair_value(p);
    if ((ret = get_str(c, k, path, key)) < 0)
        return ret;
    join_path(kp, path, *key);
    if (is_null(*v))
        return bad(c, k, 0, kp, "empty value");
    return 0;
}

/*
 * Item @p i of top-level key @p key whose value @p n is a list, or @p n
 * itself when it is a single entry; the item's path ("key[i]" or "key")
 * goes to @p ip (PATH_CAP bytes).
 */
static struct fy_node *list_item(struct fy_node *n, int i, const char *key, char *ip)
{
    if (fy_node_get_type(n) != FYNT_SEQUENCE) {
        snprintf(ip, PATH_CAP, "%s", key);
        return n;
    }
    index_path(ip, key, i);
    return fy_node_sequence_get_by_index(n, i);
}

/* Hyperparameter values: scalars, or lists of scalars kept as "[a, b]". */
static int parse_hparams(struct ctx *c, struct fy_node *n, const char *path,
                         vsr_config_model *m)
{
    int ret;
    if ((ret = expect_map(c, n, path)) < 0)
        return ret;
    int cnt = fy_node_mapping_item_count(n);
    vsr_config_kv *kv = ar_alloc(c->ar, (size_t)(cnt ? cnt : 1) * sizeof(*kv));
    if (!kv)
        return oom(c);
    void *it = NULL;
    for (int i = 0; i < cnt; i++) {
        struct fy_node *v;
        char kp[PATH_CAP];
        if ((ret = next_entry(c, n, &it, path, &kv[i].key, &v, kp)) < 0)
            return ret;
        if (fy_node_get_type(v) == FYNT_SCALAR) {
            if ((ret = get_str(c, v, kp, &kv[i].value)) < 0)
                return ret;
        } else if (fy_node_get_type(v) == FYNT_SEQUENCE) {
            char buf[256] = "[";
            int cn = fy_node_sequence_item_count(v);
            for (int j = 0; j < cn; j++) {
                struct fy_node *e = fy_node_sequence_get_by_index(v, j);
                char ep[PATH_CAP];
                index_path(ep, kp, j);
                const char *s;
                if ((ret = get_str(c, e, ep, &s)) < 0)
                    return ret;
                size_t l = strlen(buf);
                snprintf(buf + l, sizeof(buf) - l, "%s%s", j ? ", " : "", s);
            }
            size_t l = strlen(buf);
            snprintf(buf + l, sizeof(buf) - l, "]");
            if (!(kv[i].value = ar_strdup(c->ar, buf)))
                return oom(c);
        } else {
            return bad(c, v, 0, kp, "expected a value or a list of values, got a mapping");
        }
    }
    qsort(kv, (size_t)cnt, sizeof(*kv), cmp_kv);
    m->hparams = kv;
    m->n_hparams = cnt;
    return 0;
}

/* @p rel relative to the config file's folder (absolute paths and configs
 * without a folder keep it as is), in the arena. */
static int resolve_rel(struct ctx *c, const char *rel, const char **out)
{
    const char *slash = strrchr(c->file, '/');
    if (rel[0] == '/' || !slash) {
        *out = rel;
        return 0;
    }
    size_t dl = (size_t)(slash - c->file), rl = strlen(rel);
    char *p = ar_alloc(c->ar, dl + 1 + rl + 1);
    if (!p)
        return oom(c);
    memcpy(p, c->file, dl);
    p[dl] = '/';
    memcpy(p + dl + 1, rel, rl + 1);
    *out = p;
    return 0;
}

/* One weights path: read, resolve against the config's folder, check it
 * exists (unless @p may_be_absent). */
static int weights_path(struct ctx *c, struct fy_node *v, const char *kp, int want_dir,
                        int may_be_absent, const char **out)
{
    const char *raw;
    int ret;
    if ((ret = get_str(c, v, kp, &raw)) < 0 || (ret = resolve_rel(c, raw, out)) < 0)
        return ret;
    if (!exists(*out)) {
        if (may_be_absent)
            return 0;
        return bad(c, v, 0, kp,
                   "'%s' does not exist (relative to the config's folder); fix the path, "
                   "or add 'optional: true' to skip the model's runs while it is absent",
                   *out);
    }
    if (want_dir && !is_dir(*out))
        return bad(c, v, 0, kp, "'%s' is not a folder of .npy files", *out);
    if (!want_dir && is_dir(*out))
        return bad(c, v, 0, kp, "'%s' is a folder, expected a file", *out);
    return 0;
}

/* weights: FILE.vsrw | {npy: DIR, map: MAP.yaml} | {tflite: FILE} | {onnx: FILE} */
static int parse_weights(struct ctx *c, struct fy_node *v, const char *kp, int optional,
                         vsr_config_model *m)
{
    int ret;
    char sub[PATH_CAP];
    if (fy_node_get_type(v) == FYNT_SCALAR)
        return weights_path(c, v, kp, 0, optional, &m->weights);
    static const char *const keys[] = {"npy", "map", "tflite", "onnx", NULL};
    if (fy_node_get_type(v) != FYNT_MAPPING)
        return bad(c, v, 0, kp,
                   "expected a .vsrw file, {npy: DIR, map: MAP.yaml}, {tflite: FILE} or "
                   "{onnx: FILE}, got %s",
                   type_name(v));
    if ((ret = check_keys(c, v, kp, keys)) < 0)
        return ret;
    struct fy_node *npy = lookup(c, v, "npy"), *map = lookup(c, v, "map"),
                   *tfl = lookup(c, v, "tflite"), *onx = lookup(c, v, "onnx");
    if (!!tfl + !!onx + !!(npy || map) > 1)
        return bad(c, v, 0, kp,
                   "give one of {npy: DIR, map: MAP.yaml}, {tflite: FILE} or {onnx: FILE}");
    if (onx) {
        join_path(sub, kp, "onnx");
        return weights_path(c, onx, sub, 0, optional, &m->weights_onnx);
    }
    if (tfl) {
        join_path(sub, kp, "tflite");
        return weights_path(c, tfl, sub, 0, optional, &m->weights_tflite);
    }
    if (!npy || !map) {
        join_path(sub, kp, npy ? "map" : "npy");
        return bad(c, v, 0, sub,
                   "missing required key (.npy weights need {npy: DIR, map: MAP.yaml})");
    }
    join_path(sub, kp, "npy");
    if ((ret = weights_path(c, npy, sub, 1, optional, &m->weights_npy)) < 0)
        return ret;
    /* the map ships with the code: it must exist even for optional models */
    join_path(sub, kp, "map");
    return weights_path(c, map, sub, 0, 0, &m->weights_map);
}

/*
 * The zoo must know @p type (the value at @p n, @p path): else a config error
 * with the nearest zoo name. @p label_only: @p type came from name: without a
 * type:, so it may also be meant as a custom label.
 */
static int check_zoo_type(struct ctx *c, struct fy_node *n, const char *path, const char *type,
                          int label_only)
{
    if (vsr_models_zoo_find(type))
        return 0;
    const char *hint = NULL;
    int best = 99;
    for (int i = 0; i < vsr_models_zoo_count(); i++) {
        const char *z = vsr_models_zoo_get(i)->name;
        int d = vsr_edit_distance(type, z);
        if (d < best) {
            best = d;
            hint = z;
        }
    }
    /* close enough to be a typo: 2 edits, or a third of a long name */
    int len = (int)strlen(type);
    char mean[96] = "";
    if (hint && best <= (len / 3 > 2 ? len / 3 : 2))
        snprintf(mean, sizeof(mean), " (did you mean '%s'?)", hint);
    return bad(c, n, 0, path, "'%s' is not a zoo model%s; 'vsrbench models' lists them%s", type,
               mean, label_only ? ", and a custom label needs a type: naming one" : "");
}

#define MD vsr_config_model
static const vsr_option model_options[] = {
    VSR_OPT_S("name", MD, name, NULL, "the model's label (required)"),
    VSR_OPT_S("type", MD, type, NULL, "the zoo entry (default: the name)"),
    VSR_OPT_S("variant", MD, variant, NULL, "the ablation variant"),
    VSR_OPT_HAND("weights", "a file or a mapping",
                 "FILE.vsrw, {npy: DIR, map: MAP.yaml}, {tflite: FILE} or {onnx: FILE}"),
    VSR_OPT_B("optional", MD, optional, 0, "skip the runs while the weights are absent"),
    VSR_OPT_HAND("hyperparameters", "a mapping", "the family's hyperparameters"),
    VSR_OPT_S("description", MD, description, NULL, "what changed (one line)"),
    {.name = NULL},
};
#undef MD

static int parse_model(struct ctx *c, struct fy_node *n, const char *path, vsr_config_model *m)
{
    int ret;
    char kp[PATH_CAP];
    m->line = node_line(n);
    if (fy_node_get_type(n) == FYNT_SCALAR) {
        if ((ret = get_str(c, n, path, &m->name)) < 0)
            return ret;
        m->type = m->name;
        m->variant = "base";
        return check_zoo_type(c, n, path, m->type, 0);
    }
    if (fy_node_get_type(n) != FYNT_MAPPING)
        return bad(c, n, 0, path, "expected a zoo model name or a mapping, got %s",
                   type_name(n));
    if ((ret = vsr_opt_defaults(&c->o, model_options, m)) < 0 ||
        (ret = vsr_opt_read(&c->o, model_options, m, n, path)) < 0)
        return ret;
    struct fy_node *v;
    join_path(kp, path, "name");
    if (!m->name)
        return bad(c, n, 0, kp, "missing required key (the model's label)");
    if ((v = lookup(c, n, "type"))) {
        join_path(kp, path, "type");
        ret = check_zoo_type(c, v, kp, m->type, 0);
    } else {
        m->type = m->name;
        ret = check_zoo_type(c, lookup(c, n, "name"), kp, m->type, 1);
    }
    if (ret < 0)
        return ret;
    join_path(kp, path, "weights");
    if ((v = lookup(c, n, "weights")) && (ret = parse_weights(c, v, kp, m->optional, m)) < 0)
        return ret;
    if (m->optional && !v) {
        join_path(kp, path, "optional");
        return bad(c, n, 0, kp, "optional: true needs a weights: entry to be optional about");
    }
    join_path(kp, path, "hyperparameters");
    if ((v = lookup(c, n, "hyperparameters")) && (ret = parse_hparams(c, v, kp, m)) < 0)
        return ret;
    /* what changed, for the research-log table; prose, so not part of the
     * config hash (vsr_config_put_model leaves it out) */
    join_path(kp, path, "description");
    if ((v = lookup(c, n, "description"))) {
        for (const char *q = m->description; *q; q++)
            if ((unsigned char)*q < 0x20)
                return bad(c, v, 0, kp,
                           "a description is one line of text (no newline or tab); "
                           "write it on one line");
        if (strlen(m->description) > VSR_CONFIG_DESCRIPTION_MAX)
            return bad(c, v, 0, kp, "description too long (%zu chars; at most %d)",
                       strlen(m->description), VSR_CONFIG_DESCRIPTION_MAX);
    }
    join_path(kp, path, "variant");
    if ((v = lookup(c, n, "variant"))) {
        if (!*m->variant || strchr(m->variant, '/'))
            return bad(c, v, 0, kp, "a variant is a non-empty name without '/'");
    } else {
        m->variant = (strcmp(m->name, m->type) || m->n_hparams) ? m->name : "base";
    }
    return 0;
}

static int parse_models(struct ctx *c, struct fy_node *root, vsr_config *cfg)
{
    struct fy_node *n = lookup(c, root, "models");
    if (!n)
        return bad(c, root, 0, "models", "missing required key (a list of zoo model names)");
    int cnt = 1, ret;
    if (fy_node_get_type(n) == FYNT_SEQUENCE)
        cnt = fy_node_sequence_item_count(n);
    else if (fy_node_get_type(n) != FYNT_SCALAR)
        return bad(c, n, 0, "models", "expected a list of models, got %s", type_name(n));
    if (cnt < 1)
        return bad(c, n, 0, "models", "no model listed");
    vsr_config_model *a = ar_alloc(c->ar, (size_t)cnt * sizeof(*a));
    if (!a)
        return oom(c);
    for (int i = 0; i < cnt; i++) {
        char ip[PATH_CAP];
        struct fy_node *item = list_item(n, i, "models", ip);
        if ((ret = parse_model(c, item, ip, &a[i])) < 0)
            return ret;
        for (int j = 0; j < i; j++) {
            if (!strcasecmp(a[j].name, a[i].name))
                return bad(c, item, 0, ip, "model '%s' is listed twice", a[i].name);
            if (!strcasecmp(a[j].type, a[i].type) && !strcmp(a[j].variant, a[i].variant))
                return bad(c, item, 0, ip,
                           "same type %s and variant %s as models[%d]; give it its own "
                           "variant",
                           a[i].type, a[i].variant, j);
        }
    }
    cfg->models = a;
    cfg->n_models = cnt;
    return 0;
}

/* int8-sym / int8-asym / int8-pt: shorthands for int8 with a scheme (values
 * PREC_SHORTHAND + their index here, turned into int8 + the scheme on load) */
#define PREC_SHORTHAND 100
static const char *const precision_names[] = {"fp32",     "fp16",      "fp16n",   "int8",
                                              "int8-sym", "int8-asym", "int8-pt", NULL};
static const int precision_values[] = {
    VSR_PREC_FP32,      VSR_PREC_FP16,      VSR_PREC_FP16N,    VSR_PREC_INT8,
    PREC_SHORTHAND + 4, PREC_SHORTHAND + 5, PREC_SHORTHAND + 6};
static const char *const calib_methods[] = {"minmax", "percentile", "mse", "ema",
                                            "kl",     "file",       NULL};
static const int calib_values[] = {VSR_CONFIG_CALIB_MINMAX, VSR_CONFIG_CALIB_PERCENTILE,
                                   VSR_CONFIG_CALIB_MSE,    VSR_CONFIG_CALIB_EMA,
                                   VSR_CONFIG_CALIB_KL,     VSR_CONFIG_CALIB_FILE};
static const char *const requant_names[] = {"float", "tflite", NULL};
static const int requant_values[] = {VSR_REQUANT_FLOAT, VSR_REQUANT_TFLITE};
static const char *const keep_float_precs[] = {"fp32", "fp16", NULL};

#define PR vsr_config_precision
static const vsr_option precision_options[] = {
    VSR_OPT_EV("name", PR, prec, -1, precision_names, precision_values,
               "the arithmetic (required)"),
    VSR_OPT_HAND("calibration", "a mapping", "int8 only: method and frames"),
    VSR_OPT_HAND("requant", "float or tflite", "int8 only: the requantization arithmetic"),
    {.name = "keep_float",
     .type = VSR_OPT_LIST,
     .offset = offsetof(PR, keep_float),
     .count_offset = offsetof(PR, n_keep_float),
     .help = "int8 only: layers (names or # rows of 'vsrbench models -v') kept in float"},
    VSR_OPT_N("keep_float_precision", PR, keep_float_precision, NULL, keep_float_precs,
              "int8 with keep_float: fp32 (default) or fp16"),
    VSR_OPT_HAND("scheme", "a mapping", "int8 only: weights, activations, storage, pow2"),
    {.name = NULL},
};
/* int8 only, vsr_quant_scheme; keys not written keep the name's (default, or a shorthand's) */
static const char *const scheme_weights[] = {"per-channel", "per-tensor", NULL};
static const char *const scheme_acts[] = {"asymmetric", "symmetric", NULL};
static const char *const scheme_storage[] = {"int8", "uint8", NULL};
static const vsr_option scheme_options[] = {
    VSR_OPT_E("weights", PR, scheme.weights, 0, scheme_weights, "weight scales (symmetric)"),
    VSR_OPT_E("activations", PR, scheme.activations, 0, scheme_acts, "activation zero points"),
    VSR_OPT_E("storage", PR, scheme.storage, 0, scheme_storage, "the stored integer type"),
    VSR_OPT_B("pow2", PR, scheme.pow2, 0, "power-of-two scales"),
    {.name = NULL},
};
/* int8 only: the defaults hold for every int8 entry, calibration: given or not */
static const vsr_option calib_options[] = {
    VSR_OPT_EV("method", PR, calib, VSR_CONFIG_CALIB_MINMAX, calib_methods, calib_values,
               "how ranges are found"),
    VSR_OPT_I("frames", PR, calib_frames, 8, 1, 100000, "LR frames the ranges come from"),
    {.name = NULL},
};
#undef PR

static int parse_precision(struct ctx *c, struct fy_node *n, const char *path,
                           vsr_config_precision *p)
{
    int ret;
    char kp[PATH_CAP];
    struct fy_node *calib = NULL, *requant = NULL, *scheme = NULL;
    if (fy_node_get_type(n) == FYNT_MAPPING) {
        if ((ret = vsr_opt_read(&c->o, precision_options, p, n, path)) < 0)
            return ret;
        join_path(kp, path, "name");
        if (!lookup(c, n, "name"))
            return bad(c, n, 0, kp, "missing required key (fp32, fp16, fp16n or int8)");
        calib = lookup(c, n, "calibration");
        requant = lookup(c, n, "requant");
        scheme = lookup(c, n, "scheme");
    } else if ((ret = vsr_opt_read_value(&c->o, &precision_options[0], p, n, path)) < 0) {
        return ret;
    }
    if ((int)p->prec >= PREC_SHORTHAND) { /* a shorthand: int8 with its scheme */
        const char *sh = precision_names[(int)p->prec - PREC_SHORTHAND];
        vsr_precision prec;
        if (vsr_precision_parse_scheme(sh, &prec, &p->scheme, NULL))
            return bad(c, n, 0, path, "bad int8 shorthand %s", sh);
        p->prec = VSR_PREC_INT8;
    }
    if ((p->n_keep_float > 0 || p->keep_float_precision) && p->prec != VSR_PREC_INT8) {
        join_path(kp, path, p->n_keep_float > 0 ? "keep_float" : "keep_float_precision");
        return bad(c, n, 0, kp, "only int8 keeps layers in float");
    }
    if (p->keep_float_precision && p->n_keep_float == 0) {
        join_path(kp, path, "keep_float_precision");
        return bad(c, n, 0, kp, "give the layers too (keep_float: [layer, ...])");
    }
    if (p->n_keep_float > 0 && !p->keep_float_precision)
        p->keep_float_precision = "fp32";
    p->requant = VSR_REQUANT_FLOAT;
    if (p->prec != VSR_PREC_INT8) {
        if (scheme) {
            join_path(kp, path, "scheme");
            return bad(c, scheme, 0, kp, "only int8 has a quantization scheme");
        }
        if (calib) {
            join_path(kp, path, "calibration");
            return bad(c, calib, 0, kp, "only int8 is calibrated");
        }
        if (requant) {
            join_path(kp, path, "requant");
            return bad(c, requant, 0, kp, "only int8 is requantized");
        }
        return 0;
    }
    if ((ret = vsr_opt_defaults(&c->o, calib_options, p)) < 0)
        return ret;
    if (requant) {
        static const vsr_option o =
            VSR_OPT_EV("requant", vsr_config_precision, requant, VSR_REQUANT_FLOAT,
                       requant_names, requant_values, NULL);
        join_path(kp, path, "requant");
        if ((ret = vsr_opt_read_value(&c->o, &o, p, requant, kp)) < 0)
            return ret;
    }
    if (calib) {
        char cp[PATH_CAP];
        join_path(cp, path, "calibration");
        if ((ret = expect_map(c, calib, cp)) < 0 ||
            (ret = vsr_opt_read(&c->o, calib_options, p, calib, cp)) < 0)
            return ret;
        p->calib_given = 1;
        if (p->calib == VSR_CONFIG_CALIB_FILE)
            p->calib_frames = 0; /* the file's own parameters: no frame is read */
    }
    if (scheme) {
        char sp[PATH_CAP];
        join_path(sp, path, "scheme");
        if ((ret = expect_map(c, scheme, sp)) < 0 ||
            (ret = vsr_opt_read(&c->o, scheme_options, p, scheme, sp)) < 0)
            return ret;
    }
    char label[48];
    vsr_quant_scheme_label(&p->scheme, label, sizeof(label));
    if (!(p->label = ar_strdup(c->ar, label)))
        return oom(c);
    return 0;
}

/* The same keep_float list (in order) and precision. */
static int same_keep(const vsr_config_precision *a, const vsr_config_precision *b)
{
    if (a->n_keep_float != b->n_keep_float)
        return 0;
    for (int i = 0; i < a->n_keep_float; i++)
        if (strcmp(a->keep_float[i], b->keep_float[i]))
            return 0;
    return !a->n_keep_float || !strcmp(a->keep_float_precision, b->keep_float_precision);
}

static int parse_precisions(struct ctx *c, struct fy_node *root, vsr_config *cfg)
{
    struct fy_node *n = lookup(c, root, "precisions");
    int cnt = 1, ret;
    vsr_config_precision *a;
    if (!n) {
        if (!(a = ar_alloc(c->ar, sizeof(*a))))
            return oom(c);
        a[0].prec = VSR_PREC_FP32;
        cfg->precisions = a;
        cfg->n_precisions = 1;
        return 0;
    }
    if (fy_node_get_type(n) == FYNT_SEQUENCE)
        cnt = fy_node_sequence_item_count(n);
    if (cnt < 1)
        return bad(c, n, 0, "precisions", "empty list");
    if (!(a = ar_alloc(c->ar, (size_t)cnt * sizeof(*a))))
        return oom(c);
    for (int i = 0; i < cnt; i++) {
        char ip[PATH_CAP];
        struct fy_node *item = list_item(n, i, "precisions", ip);
        if ((ret = parse_precision(c, item, ip, &a[i])) < 0)
            return ret;
        for (int j = 0; j < i; j++)
            if (a[j].prec == a[i].prec &&
                (a[i].prec != VSR_PREC_INT8 ||
                 (a[j].calib == a[i].calib && a[j].calib_frames == a[i].calib_frames &&
                  a[j].requant == a[i].requant &&
                  !memcmp(&a[j].scheme, &a[i].scheme, sizeof(a[i].scheme)) &&
                  same_keep(&a[j], &a[i]))))
                return bad(c, item, 0, ip, "%s is listed twice with the same settings",
                           vsr_precision_name(a[i].prec));
    }
    cfg->precisions = a;
    cfg->n_precisions = cnt;
    return 0;
}

/* The defaults of metric @p m: crop border = scale, its default channel. */
static void metric_defaults(const vsr_metric *m, int scale, vsr_config_metric *out)
{
    memset(out, 0, sizeof(*out));
    out->name = m->name;
    out->crop_border = scale;
    out->channels = 1u << vsr_metrics_default_channel(m);
}

/*
 * `metrics: {NAME: {OPTION: VALUE...}}` for one registered metric @p m: the
 * options it declares (vsr_metrics_option()), typed as it says; channels and
 * test_y_channel choose its channels, crop_border the border, its own
 * options are kept as text for its init.
 */
static int parse_metric(struct ctx *c, struct fy_node *n, const char *path, const vsr_metric *m,
                        int scale, vsr_config_metric *out)
{
    metric_defaults(m, scale, out);
    out->enabled = 1;
    if (is_null(n))
        return 0; /* "niqe:" alone: enabled with defaults */
    int ret;
    if ((ret = expect_map(c, n, path)) < 0)
        return ret;
    int n_own = fy_node_mapping_item_count(n);
    vsr_config_kv *own = ar_alloc(c->ar, sizeof(*own) * (size_t)(n_own > 0 ? n_own : 1));
    if (!own)
        return oom(c);
    void *it = NULL;
    struct fy_node_pair *p;
    while ((p = fy_node_mapping_iterate(n, &it))) {
        struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
        const char *ks =
            k && fy_node_get_type(k) == FYNT_SCALAR ? fy_node_get_scalar0(k) : NULL;
        char kp[PATH_CAP], names[400];
        if (!ks)
            return bad(c, k ? k : n, 0, path, "keys must be plain strings");
        join_path(kp, path, ks);
        const vsr_metric_option *o = vsr_metrics_option(m, ks, names, sizeof(names));
        if (!o) {
            const char *hint = NULL;
            int best = 3;
            for (const char *w = names; *w;) {
                char one[64];
                size_t l = strcspn(w, ",");
                snprintf(one, sizeof(one), "%.*s", (int)l, w);
                int d = vsr_edit_distance(ks, one);
                if (d < best)
                    best = d, hint = w;
                w += l;
                w += strspn(w, ", ");
            }
            if (hint)
                return bad(c, k, 0, kp, "unknown key (did you mean '%.*s'?)",
                           (int)strcspn(hint, ","), hint);
            return bad(c, k, 0, kp, "unknown key (known here: %s)", names);
        }
        const char *text = NULL;
        int iv = 0, bv = 0;
        if (o->type == VSR_METRIC_OPT_INT) {
            if ((ret = get_int(c, v, kp, o->min, o->max, &iv)) < 0)
                return ret;
        } else if (o->type == VSR_METRIC_OPT_BOOL) {
            if ((ret = get_bool(c, v, kp, &bv)) < 0)
                return ret;
        } else if (o->type == VSR_METRIC_OPT_STRING) {
            if ((ret = get_str(c, v, kp, &text)) < 0)
                return ret;
        }
        if (!strcmp(ks, "crop_border")) {
            out->crop_border = iv;
        } else if (!strcmp(ks, "test_y_channel")) { /* y, else every other channel */
            if (fy_node_mapping_lookup_pair_by_string(n, "channels", FY_NT))
                continue; /* channels: decides */
            int y = vsr_metrics_channel_index(m, "y");
            unsigned all = (1u << vsr_metrics_channel_count(m)) - 1;
            out->channels = y < 0 ? all : bv ? 1u << y : all & ~(1u << y);
        } else if (o->type == VSR_METRIC_OPT_CHANNELS) {
            const char **list;
            int cnt;
            if ((ret = get_str_list(c, v, kp, &list, &cnt)) < 0)
                return ret;
            out->channels = 0;
            for (int i = 0; i < cnt; i++) {
                int ch = vsr_metrics_channel_index(m, list[i]);
                char ip[PATH_CAP];
                snprintf(ip, sizeof(ip), "%s", kp);
                if (fy_node_get_type(v) == FYNT_SEQUENCE)
                    index_path(ip, kp, i);
                if (ch < 0) {
                    char known[128] = "";
                    for (int j = 0; j < vsr_metrics_channel_count(m); j++) {
                        size_t l = strlen(known);
                        snprintf(known + l, sizeof(known) - l, "%s%s", j ? ", " : "",
                                 vsr_metrics_channel_name(m, j));
                    }
                    return bad(c,
                               fy_node_get_type(v) == FYNT_SEQUENCE
                                   ? fy_node_sequence_get_by_index(v, i)
                                   : v,
                               0, ip, "expected one of %s, got '%s'", known, list[i]);
                }
                out->channels |= 1u << ch;
            }
        } else {
            /* the metric's own option (type and better are informative) */
            int own_opt = 0;
            for (const vsr_metric_option *q = m->options; q && q->name; q++)
                own_opt |= q == o;
            if (own_opt) {
                if (o->type != VSR_METRIC_OPT_STRING && (ret = get_str(c, v, kp, &text)) < 0)
                    return ret;
                own[out->n_options].key = ar_strdup(c->ar, ks);
                own[out->n_options].value = text;
                if (!own[out->n_options].key)
                    return oom(c);
                out->n_options++;
            }
        }
    }
    /* sorted by key, so the canonical form does not depend on the file's order */
    for (int i = 1; i < out->n_options; i++)
        for (int j = i; j > 0 && strcmp(own[j - 1].key, own[j].key) > 0; j--) {
            vsr_config_kv t = own[j];
            own[j] = own[j - 1];
            own[j - 1] = t;
        }
    out->options = own;
    return 0;
}

/* `metrics:` -- any registered metric by name, kept in the registry's order. */
static int parse_metrics(struct ctx *c, struct fy_node *root, vsr_config *cfg)
{
    const vsr_metric *const *all = vsr_metrics_list();
    int n_all = 0;
    while (all[n_all])
        n_all++;
    vsr_config_metric *out = ar_alloc(c->ar, sizeof(*out) * (size_t)(n_all ? n_all : 1));
    if (!out)
        return oom(c);
    cfg->metrics = out;
    cfg->n_metrics = 0;
    struct fy_node *n = lookup(c, root, "metrics");
    if (!n) { /* default: PSNR and SSIM on Y, border = scale (BasicSR's VSR tests) */
        static const char *const defaults[] = {"psnr", "ssim"};
        for (int i = 0; i < n_all; i++)
            for (int d = 0; d < 2; d++)
                if (!strcmp(all[i]->name, defaults[d])) {
                    metric_defaults(all[i], cfg->scale, &out[cfg->n_metrics]);
                    out[cfg->n_metrics++].enabled = 1;
                }
        return 0;
    }
    int ret;
    if ((ret = expect_map(c, n, "metrics")) < 0)
        return ret;
    /* every key must name a registered metric */
    void *it = NULL;
    struct fy_node_pair *p;
    while ((p = fy_node_mapping_iterate(n, &it))) {
        struct fy_node *k = fy_node_pair_key(p);
        const char *ks =
            k && fy_node_get_type(k) == FYNT_SCALAR ? fy_node_get_scalar0(k) : NULL;
        const vsr_metric *m;
        vsr_error e = {0};
        char kp[PATH_CAP];
        if (!ks)
            return bad(c, k ? k : n, 0, "metrics", "keys must be plain strings");
        join_path(kp, "metrics", ks);
        if (vsr_metrics_lookup(ks, &m, &e) < 0)
            return bad(c, k, 0, kp, "%s", e.msg);
    }
    for (int i = 0; i < n_all; i++) {
        struct fy_node_pair *mp = fy_node_mapping_lookup_pair_by_string(n, all[i]->name, FY_NT);
        if (!mp)
            continue;
        char path[PATH_CAP];
        join_path(path, "metrics", all[i]->name);
        if ((ret = parse_metric(c, fy_node_pair_value(mp), path, all[i], cfg->scale,
                                &out[cfg->n_metrics])) < 0)
            return ret;
        cfg->n_metrics++;
    }
    return 0;
}

int vsr_config_open_metrics(const vsr_config *cfg, vsr_metric_set **out, vsr_error *err)
{
    *out = NULL;
    for (int i = 0; i < cfg->n_metrics; i++) {
        const vsr_config_metric *cm = &cfg->metrics[i];
        const char *keys[32], *values[32];
        int n = cm->n_options < 32 ? cm->n_options : 32;
        for (int k = 0; k < n; k++)
            keys[k] = cm->options[k].key, values[k] = cm->options[k].value;
        vsr_metric_config mc = {.crop_border = cm->crop_border,
                                .option_keys = keys,
                                .option_values = values,
                                .n_options = n};
        const vsr_metric *m = vsr_metrics_find(cm->name);
        int rc = m ? vsr_metrics_set_add(out, m, cm->channels, &mc, err)
                   : vsr_error_set(err, -EINVAL, "unknown metric");
        if (rc < 0) {
            vsr_metrics_set_free(out);
            return vsr_error_wrap(err, rc, "metrics.%s", cm->name);
        }
    }
    return 0;
}

vsr_config_metric vsr_config_metric_get(const vsr_config *cfg, const char *name)
{
    for (int i = 0; i < cfg->n_metrics; i++)
        if (!strcmp(cfg->metrics[i].name, name))
            return cfg->metrics[i];
    vsr_config_metric off = {0};
    const vsr_metric *m = vsr_metrics_find(name);
    if (m)
        metric_defaults(m, cfg->scale, &off);
    off.enabled = 0;
    return off;
}

static const char *const axis_names[] = {"model",   "variant",     "precision", "calibration",
                                         "dataset", "degradation", "tile",      "pad",
                                         "threads", NULL};

/* Does @p value name something on @p axis of @p cfg? */
static int axis_has(const vsr_config *cfg, const char *axis, const char *value)
{
    if (!strcmp(axis, "model")) {
        for (int i = 0; i < cfg->n_models; i++)
            if (!strcasecmp(cfg->models[i].name, value) ||
                !strcasecmp(cfg->models[i].type, value))
                return 1;
    } else if (!strcmp(axis, "variant")) {
        for (int i = 0; i < cfg->n_models; i++)
            if (!strcmp(cfg->models[i].variant, value))
                return 1;
    } else if (!strcmp(axis, "precision")) {
        for (int i = 0; i < cfg->n_precisions; i++)
            if (!strcasecmp(vsr_precision_name(cfg->precisions[i].prec), value) ||
                (cfg->precisions[i].label && !strcasecmp(cfg->precisions[i].label, value)))
                return 1;
    } else if (!strcmp(axis, "calibration")) {
        if (!strcasecmp(value, "file")) /* also what an INT8 .tflite defaults to */
            return 1;
        for (int i = 0; i < cfg->n_precisions; i++)
            if (vsr_config_calib_name(&cfg->precisions[i]) &&
                !strcasecmp(vsr_config_calib_name(&cfg->precisions[i]), value))
                return 1;
    } else if (!strcmp(axis, "dataset")) {
        for (int i = 0; i < cfg->n_datasets; i++)
            if (!strcmp(cfg->datasets[i].name, value))
                return 1;
    } else if (!strcmp(axis, "degradation")) {
        for (int i = 0; i < cfg->n_datasets; i++)
            for (int j = 0; j < cfg->datasets[i].n_degradations; j++)
                if (!strcasecmp(cfg->datasets[i].degradations[j], value))
                    return 1;
    } else {
        const int *a = !strcmp(axis, "tile")  ? cfg->tiles
                       : !strcmp(axis, "pad") ? cfg->pads
                                              : cfg->threads;
        int n = !strcmp(axis, "tile")  ? cfg->n_tiles
                : !strcmp(axis, "pad") ? cfg->n_pads
                                       : cfg->n_threads;
        long v;
        if (!strcmp(axis, "threads") && !strcmp(value, "auto"))
            v = 0; /* threads: auto */
        else if (vsr_parse_long(value, 0, 1L << 30, &v, axis, NULL) < 0)
            return 0;
        for (int i = 0; i < n; i++)
            if (a[i] == v)
                return 1;
    }
    return 0;
}

static int parse_exclude(struct ctx *c, struct fy_node *root, vsr_config *cfg)
{
    struct fy_node *n = lookup(c, root, "exclude");
    if (!n)
        return 0;
    if (fy_node_get_type(n) != FYNT_SEQUENCE)
        return bad(c, n, 0, "exclude",
                   "expected a list of rules like - {model: bicubic, "
                   "precision: int8}, got %s",
                   type_name(n));
    int cnt = fy_node_sequence_item_count(n), ret;
    vsr_config_rule *rules = ar_alloc(c->ar, (size_t)(cnt ? cnt : 1) * sizeof(*rules));
    if (!rules)
        return oom(c);
    for (int i = 0; i < cnt; i++) {
        char ip[PATH_CAP];
        index_path(ip, "exclude", i);
        struct fy_node *r = fy_node_sequence_get_by_index(n, i);
        if ((ret = expect_map(c, r, ip)) < 0 || (ret = check_keys(c, r, ip, axis_names)) < 0)
            return ret;
        int nc = fy_node_mapping_item_count(r);
        if (nc < 1)
            return bad(c, r, 0, ip, "an empty rule would exclude every run");
        vsr_config_cond *conds = ar_alloc(c->ar, (size_t)nc * sizeof(*conds));
        if (!conds)
            return oom(c);
        void *it = NULL;
        for (int k = 0; k < nc; k++) {
            struct fy_node *v;
            char kp[PATH_CAP];
            if ((ret = next_entry(c, r, &it, ip, &conds[k].axis, &v, kp)) < 0)
                return ret;
            if ((ret = get_str_list(c, v, kp, &conds[k].values, &conds[k].n_values)) < 0)
                return ret;
            /* A value naming nothing is most likely a typo. With --set
             * overrides it may just name what an override removed
             * (--set precisions=[fp32] with an int8 rule): then warn. */
            for (int j = 0; j < conds[k].n_values; j++) {
                if (axis_has(cfg, conds[k].axis, conds[k].values[j]))
                    continue;
                if (c->o.n_sets == 0)
                    return bad(c, v, 0, kp, "'%s' matches no %s of this config (a typo?)",
                               conds[k].values[j], conds[k].axis);
                vsr_log(VSR_LOG_INFO, "%s:%d: %s: '%s' matches no %s after the --set overrides",
                        c->file, node_line(v), kp, conds[k].values[j], conds[k].axis);
            }
        }
        rules[i].conds = conds;
        rules[i].n_conds = nc;
        rules[i].line = node_line(r);
    }
    cfg->exclude = rules;
    cfg->n_exclude = cnt;
    return 0;
}

/*
 * The keys of a run config, in the order "known here" lists them. The
 * lists (datasets, models, precisions, metrics, the axes, exclude) are read
 * by hand below; their items' keys have tables of their own.
 */
/* in vsr_conv_algo order */
static const char *const conv_algos[] = {"direct", "winograd", "winograd4", "auto", NULL};
/* in vsr_tile_mode / vsr_tile_padding order */
static const char *const tile_modes[] = {"clip", "fixed", "feather", "padded", NULL};
static const char *const tile_paddings[] = {"zero", "mean", "reflect", "replicate", NULL};

#define CF vsr_config
static const vsr_option run_options[] = {
    VSR_OPT_S("name", CF, name, NULL, "the sweep's name (required; no '/')"),
    VSR_OPT_I("scale", CF, scale, 4, 2, 8, "upscaling factor"),
    {.name = "manual_seed",
     .type = VSR_OPT_LONG,
     .offset = offsetof(CF, manual_seed),
     .max = 0x7fffffffL,
     .expect = "a non-negative integer",
     .help = "seed of everything random in a run"},
    VSR_OPT_HAND("datasets", "a list of datasets", "- {name: vid4, type: vid4, ...}"),
    VSR_OPT_HAND("metrics", "a mapping", "psnr, ssim, niqe and their options"),
    VSR_OPT_HAND("models", "a list of models", "zoo names or {name: ..., type: ...}"),
    VSR_OPT_HAND("precisions", "a list",
                 "fp32, fp16, fp16n, int8, int8-sym, int8-asym, int8-pt (default fp32)"),
    VSR_OPT_HAND("tile", "an integer or a list", "tile sizes in LR pixels (0: untiled)"),
    VSR_OPT_HAND("pad", "an integer, auto, or a list",
                 "tile overlaps in LR pixels; auto: the model's receptive field"),
    VSR_OPT_HAND("threads", "an integer, auto, or a list", "worker threads (default 1)"),
    VSR_OPT_I("timing.warmup", CF, warmup, 2, 0, 10000, "untimed passes first"),
    VSR_OPT_I("timing.runs", CF, runs, 1, 1, 10000, "timed passes over every LR frame"),
    VSR_OPT_I("timing.min_runs", CF, min_runs, 20, 1, 1000000,
              "at least this many timed frames"),
    {.name = "timing.min_secs",
     .type = VSR_OPT_DOUBLE,
     .offset = offsetof(CF, min_secs),
     .def_d = 1.0,
     .max = 3600,
     .expect = "seconds in [0, 3600]",
     .help = "timed frames summing to at least this many seconds"},
    VSR_OPT_HAND("exclude", "a list of rules", "- {model: bicubic, precision: int8}"),
    VSR_OPT_S("output.db", CF, db, "runs.db", "the run log"),
    VSR_OPT_S("output.report_dir", CF, report_dir, NULL, "default reports/NAME"),
    VSR_OPT_B("output.save_images", CF, save_images, 0, "write the SR frames"),
    VSR_OPT_E("tiling.mode", CF, tile_mode, VSR_TILE_CLIP, tile_modes,
              "how tiles are cut: clip (edge tiles clipped to the frame), fixed (every run "
              "tile x tile, the pad included, edge windows inside the frame), padded (the "
              "frame padded by pad), feather (fixed windows, overlaps averaged)"),
    VSR_OPT_E("tiling.padding", CF, padding, VSR_TPAD_ZERO, tile_paddings,
              "what fixed / padded / feather windows read outside the frame: zero, mean "
              "(per-channel mean of the LR frames), reflect, replicate"),
    VSR_OPT_I("tiling.tile_workers", CF, tile_workers, 1, 1, 1024,
              "tiles on this many engines at once (each with its own scratch and pool)"),
    VSR_OPT_E("engine.conv_algo", CF, conv_algo, VSR_CONV_DIRECT, conv_algos,
              "FP32 / FP16 3x3 stride-1 convs: direct, winograd (F(2,3)), winograd4 "
              "(F(4,3)) or auto (the fastest of the three per layer, timed on the first "
              "frame); Winograd is within a stated bound of direct, not bit-equal"),
    {.name = NULL},
};
#undef CF

void vsr_config_help(FILE *f)
{
    vsr_opt_help(f, run_options, NULL);
}

static int parse_root(struct ctx *c, struct fy_node *root, vsr_config *cfg)
{
    int ret;
    if (!root || fy_node_get_type(root) != FYNT_MAPPING)
        return vsr_error_set(c->err, -EINVAL,
                             "%s:1: the config must be a mapping (name: ..., datasets: ...)",
                             c->file);
    if ((ret = vsr_opt_defaults(&c->o, run_options, cfg)) < 0 ||
        (ret = vsr_opt_read(&c->o, run_options, cfg, root, "")) < 0)
        return ret;
    struct fy_node *v;
    if (!(v = lookup(c, root, "name")))
        return bad(c, root, 1, "name", "missing required key (the sweep's name)");
    if (!*cfg->name || strchr(cfg->name, '/'))
        return bad(c, v, 0, "name", "a name is non-empty and has no '/'");
    if (!cfg->report_dir) {
        char buf[PATH_CAP + 16];
        snprintf(buf, sizeof(buf), "reports/%s", cfg->name);
        if (!(cfg->report_dir = ar_strdup(c->ar, buf)))
            return oom(c);
    }
    if ((ret = parse_datasets(c, root, cfg)) < 0 || (ret = parse_models(c, root, cfg)) < 0 ||
        (ret = parse_precisions(c, root, cfg)) < 0 || (ret = parse_metrics(c, root, cfg)) < 0)
        return ret;
    static const int zero = 0, one = 1;
    struct {
        const char *key;
        long min, max;
        const int **out;
        int *n;
        const int *def;
        int allow_auto, auto_value;
    } axes[] = {
        {"tile", 0, 1 << 16, &cfg->tiles, &cfg->n_tiles, &zero, 0, 0},
        /* pad: auto (VSR_PAD_AUTO) = the model's receptive field */
        {"pad", 0, 1024, &cfg->pads, &cfg->n_pads, &zero, 1, VSR_PAD_AUTO},
        /* threads: auto (0) = the cores idle when the sweep starts */
        {"threads", 1, 1024, &cfg->threads, &cfg->n_threads, &one, 1, 0},
    };
    for (int i = 0; i < 3; i++) {
        if ((v = lookup(c, root, axes[i].key))) {
            if ((ret = get_int_axis(c, v, axes[i].key, axes[i].min, axes[i].max,
                                    axes[i].allow_auto, axes[i].auto_value, axes[i].out,
                                    axes[i].n)) < 0)
                return ret;
        } else {
            *axes[i].out = axes[i].def;
            *axes[i].n = 1;
        }
    }
    return parse_exclude(c, root, cfg);
}

/* ---- canonical form and hash -------------------------------------------- */

const char *vsr_config_dataset_type_name(vsr_config_dataset_type t)
{
    const vsr_option *o = vsr_opt_find(dataset_options, "type");
    const char *s = vsr_opt_enum_name(o, (int)t);
    return s ? s : "?";
}

const char *vsr_config_calib_name(const vsr_config_precision *p)
{
    if (p->prec != VSR_PREC_INT8)
        return NULL;
    const char *s = vsr_opt_enum_name(&calib_options[0], (int)p->calib);
    return s ? s : "?";
}

uint64_t vsr_fnv1a64(const void *data, size_t len, uint64_t h)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

void vsr_config_put_str(FILE *f, const char *key, const char *s)
{
    if (s)
        fprintf(f, "%s=%zu:%s\n", key, strlen(s), s);
    else
        fprintf(f, "%s=~\n", key);
}

void vsr_config_put_dataset(FILE *f, const vsr_config_dataset *d)
{
    vsr_config_put_str(f, "dataset.name", d->name);
    vsr_config_put_str(f, "dataset.type", vsr_config_dataset_type_name(d->type));
    vsr_config_put_str(f, "dataset.dataroot", d->dataroot);
    vsr_config_put_str(f, "dataset.dataroot_gt", d->dataroot_gt);
    vsr_config_put_str(f, "dataset.dataroot_lq", d->dataroot_lq);
    fprintf(f, "dataset.clips=%d\n", d->clips ? d->n_clips : -1);
    for (int i = 0; d->clips && i < d->n_clips; i++)
        vsr_config_put_str(f, "dataset.clip", d->clips[i]);
    fprintf(f, "dataset.frames=%d\n", d->frames);
    /* only when set, so the hashes of configs without them do not change */
    if (d->gt_suffix)
        vsr_config_put_str(f, "dataset.gt_suffix", d->gt_suffix);
    if (d->lq_suffix)
        vsr_config_put_str(f, "dataset.lq_suffix", d->lq_suffix);
    if (d->no_gt)
        fprintf(f, "dataset.no_gt=1\n");
}

void vsr_config_put_model(FILE *f, const vsr_config_model *m)
{
    vsr_config_put_str(f, "model.name", m->name);
    vsr_config_put_str(f, "model.type", m->type);
    vsr_config_put_str(f, "model.variant", m->variant);
    vsr_config_put_str(f, "model.weights", m->weights);
    /* the later keys only when set, so older configs keep their hashes */
    if (m->weights_npy) {
        vsr_config_put_str(f, "model.weights_npy", m->weights_npy);
        vsr_config_put_str(f, "model.weights_map", m->weights_map);
    }
    if (m->weights_tflite)
        vsr_config_put_str(f, "model.weights_tflite", m->weights_tflite);
    if (m->weights_onnx)
        vsr_config_put_str(f, "model.weights_onnx", m->weights_onnx);
    if (m->optional)
        fprintf(f, "model.optional=1\n");
    for (int i = 0; i < m->n_hparams; i++) {
        vsr_config_put_str(f, "model.hp.key", m->hparams[i].key);
        vsr_config_put_str(f, "model.hp.value", m->hparams[i].value);
    }
}

void vsr_config_put_precision(FILE *f, const vsr_config_precision *p)
{
    vsr_config_put_str(f, "precision.name", vsr_precision_name(p->prec));
    vsr_config_put_str(f, "precision.calib_method", vsr_config_calib_name(p));
    fprintf(f, "precision.calib_frames=%d\n", p->calib_frames);
    if (p->prec == VSR_PREC_INT8 && p->requant != VSR_REQUANT_FLOAT) /* default: old hashes */
        vsr_config_put_str(f, "precision.requant", vsr_requant_name(p->requant));
    if (!vsr_quant_scheme_is_default(&p->scheme)) /* likewise */
        vsr_config_put_str(f, "precision.scheme", p->label);
    for (int i = 0; i < p->n_keep_float; i++) /* only when given, as requant */
        vsr_config_put_str(f, "precision.keep_float", p->keep_float[i]);
    if (p->n_keep_float > 0)
        vsr_config_put_str(f, "precision.keep_float_precision", p->keep_float_precision);
}

void vsr_config_put_common(FILE *f, const vsr_config *cfg)
{
    fprintf(f, "scale=%d\nmanual_seed=%ld\ntiming.warmup=%d\ntiming.runs=%d\n", cfg->scale,
            cfg->manual_seed, cfg->warmup, cfg->runs);
    /* the v6 keys only when not the defaults, so older configs keep their hashes */
    if (cfg->min_runs != 20 || cfg->min_secs != 1.0)
        fprintf(f, "timing.min_runs=%d\ntiming.min_secs=%.17g\n", cfg->min_runs, cfg->min_secs);
    /* the tiling keys only when not the defaults, likewise */
    if (cfg->tile_mode != VSR_TILE_CLIP || cfg->padding != VSR_TPAD_ZERO ||
        cfg->tile_workers > 1)
        fprintf(f, "tiling.mode=%d\ntiling.padding=%d\ntiling.tile_workers=%d\n",
                cfg->tile_mode, cfg->padding, cfg->tile_workers);
    if (cfg->conv_algo != VSR_CONV_DIRECT) /* likewise */
        vsr_config_put_str(f, "engine.conv_algo", vsr_conv_algo_name(cfg->conv_algo));
    /* The first three metrics of the registry (psnr, ssim, niqe) keep the v1
     * line, enabled or not, so older configs keep their hashes: "metric<i>=
     * enabled,crop_border,<y scored>,<rgb scored>". Any later metric adds a
     * line only when enabled. */
    const vsr_metric *const *all = vsr_metrics_list();
    for (int i = 0; all[i]; i++) {
        vsr_config_metric m = vsr_config_metric_get(cfg, all[i]->name);
        int y = vsr_metrics_channel_index(all[i], "y");
        int rgb = vsr_metrics_channel_index(all[i], "rgb");
        if (i < 3) {
            fprintf(f, "metric%d=%d,%d,%d,%d\n", i, m.enabled, m.crop_border,
                    all[i]->channels && y >= 0 && (m.channels >> y & 1),
                    all[i]->channels && rgb >= 0 && (m.channels >> rgb & 1));
            continue;
        }
        if (!m.enabled)
            continue;
        fprintf(f, "metric.%s=%d,%u\n", m.name, m.crop_border, m.channels);
        for (int k = 0; k < m.n_options; k++)
            fprintf(f, "metric.%s.%s=%s\n", m.name, m.options[k].key, m.options[k].value);
    }
}

char *vsr_config_canonical(const vsr_config *cfg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    fprintf(f, "vsrbench-config-v1\n");
    vsr_config_put_str(f, "name", cfg->name);
    vsr_config_put_common(f, cfg);
    for (int i = 0; i < cfg->n_datasets; i++) {
        vsr_config_put_dataset(f, &cfg->datasets[i]);
        for (int j = 0; j < cfg->datasets[i].n_degradations; j++)
            vsr_config_put_str(f, "dataset.degradation", cfg->datasets[i].degradations[j]);
    }
    for (int i = 0; i < cfg->n_models; i++)
        vsr_config_put_model(f, &cfg->models[i]);
    for (int i = 0; i < cfg->n_precisions; i++)
        vsr_config_put_precision(f, &cfg->precisions[i]);
    const int *ax[3] = {cfg->tiles, cfg->pads, cfg->threads};
    int nax[3] = {cfg->n_tiles, cfg->n_pads, cfg->n_threads};
    for (int a = 0; a < 3; a++) {
        fprintf(f, "axis%d=", a);
        for (int i = 0; i < nax[a]; i++)
            fprintf(f, "%s%d", i ? "," : "", ax[a][i]);
        fputc('\n', f);
    }
    for (int i = 0; i < cfg->n_exclude; i++) {
        fprintf(f, "exclude=%d\n", cfg->exclude[i].n_conds);
        for (int k = 0; k < cfg->exclude[i].n_conds; k++) {
            const vsr_config_cond *cd = &cfg->exclude[i].conds[k];
            vsr_config_put_str(f, "exclude.axis", cd->axis);
            for (int j = 0; j < cd->n_values; j++)
                vsr_config_put_str(f, "exclude.value", cd->values[j]);
        }
    }
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* ---- load ------------------------------------------------------------------ */

static int load(const char *name, const char *text, size_t len, const char *const *sets,
                int n_sets, vsr_config **out, vsr_error *err)
{
    *out = NULL;
    int ret = 0;
    struct fy_document *doc = NULL;
    vsr_config *cfg = calloc(1, sizeof(*cfg));
    struct ctx *c = calloc(1, sizeof(*c));
    if (!cfg || !c) {
        ret = vsr_error_set(err, -ENOMEM, "%s: out of memory reading the config", name);
        goto end;
    }
    cfg->priv = calloc(1, sizeof(*cfg->priv));
    if (!cfg->priv) {
        ret = vsr_error_set(err, -ENOMEM, "%s: out of memory reading the config", name);
        goto end;
    }
    c->ar = cfg->priv;
    vsr_opt_ctx_init(&c->o, name, err);
    c->o.alloc = ar_alloc_opt;
    c->o.ud = c->ar;
    c->err = err;
    c->file = name;
    if (n_sets > VSR_OPT_MAX_SETS) {
        ret = vsr_error_set(err, -EINVAL, "too many --set options (at most %d)",
                            VSR_OPT_MAX_SETS);
        goto end;
    }
    char *own_text = ar_strndup(c->ar, text, len);
    cfg->path = ar_strdup(c->ar, name);
    if (!own_text || !cfg->path) {
        ret = oom(c);
        goto end;
    }
    cfg->text = own_text;
    c->o.file = c->file = cfg->path;
    if (n_sets > 0) {
        size_t total = 0;
        for (int i = 0; i < n_sets; i++)
            total += strlen(sets[i]) + 1;
        char *joined = ar_alloc(c->ar, total + 1), *p = joined;
        if (!joined) {
            ret = oom(c);
            goto end;
        }
        for (int i = 0; i < n_sets; i++)
            p += sprintf(p, "%s%s", i ? "\n" : "", sets[i]);
        cfg->overrides = joined;
    }

    /* one door to libfyaml: the text is checked first (core/yaml.c) */
    if ((ret = vsr_yaml_parse(c->file, own_text, len, &doc, err)) < 0)
        goto end;
    for (int i = 0; i < n_sets; i++)
        if ((ret = vsr_opt_apply_set(&c->o, doc, sets[i])) < 0)
            goto end;
    if ((ret = parse_root(c, fy_document_root(doc), cfg)) < 0)
        goto end;

    char *canon = vsr_config_canonical(cfg);
    if (!canon) {
        ret = oom(c);
        goto end;
    }
    snprintf(cfg->hash, sizeof(cfg->hash), "%016llx",
             (unsigned long long)vsr_fnv1a64(canon, strlen(canon), VSR_FNV1A64_INIT));
    free(canon);
    *out = cfg;
    cfg = NULL;
end:
    if (doc)
        fy_document_destroy(doc);
    free(c);
    vsr_config_free(&cfg);
    return ret;
}

int vsr_config_load_string(const char *name, const char *text, const char *const *sets,
                           int n_sets, vsr_config **out, vsr_error *err)
{
    return load(name ? name : "<config>", text, strlen(text), sets, n_sets, out, err);
}

int vsr_config_load(const char *path, const char *const *sets, int n_sets, vsr_config **out,
                    vsr_error *err)
{
    *out = NULL;
    char *buf = NULL;
    size_t len = 0;
    int ret = vsr_read_text_file(path, "a YAML config", &buf, &len, err);
    if (!ret)
        ret = load(path, buf, len, sets, n_sets, out, err);
    free(buf);
    return ret;
}

void vsr_config_free(vsr_config **pcfg)
{
    if (!pcfg || !*pcfg)
        return;
    vsr_config *cfg = *pcfg;
    if (cfg->priv) {
        ar_free(cfg->priv);
        free(cfg->priv);
    }
    free(cfg);
    *pcfg = NULL;
}
