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
#include "vsr/models.h"

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

#define MAX_SETS 64
#define PATH_CAP 192

struct ctx {
    const char *file;
    struct vsr_config_priv *ar;
    vsr_error *err;
    int n_sets;
    const char *sets[MAX_SETS];        /* the raw --set arguments */
    char set_path[MAX_SETS][PATH_CAP]; /* their key paths, normalized */
    int last_line;                     /* line of the last key looked up */
};

/* 1-based line of a node: its scalar token, else its first key or item. */
static int node_line(struct fy_node *n)
{
    for (int depth = 0; n && depth < 64; depth++) {
        switch (fy_node_get_type(n)) {
        case FYNT_SCALAR: {
            struct fy_token *t = fy_node_get_scalar_token(n);
            const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
            return m ? m->line + 1 : 0;
        }
        case FYNT_MAPPING: {
            void *it = NULL;
            struct fy_node_pair *p = fy_node_mapping_iterate(n, &it);
            n = p ? fy_node_pair_key(p) : NULL;
            break;
        }
        case FYNT_SEQUENCE: {
            void *it = NULL;
            n = fy_node_sequence_iterate(n, &it);
            break;
        }
        default:
            return 0;
        }
    }
    return 0;
}

/* The override that put @p path there, or NULL. Later overrides win. */
static const char *override_of(const struct ctx *c, const char *path)
{
    for (int i = c->n_sets - 1; i >= 0; i--) {
        size_t n = strlen(c->set_path[i]);
        if (!strncmp(path, c->set_path[i], n) &&
            (path[n] == '\0' || path[n] == '.' || path[n] == '['))
            return c->sets[i];
    }
    return NULL;
}

static int bad(struct ctx *c, struct fy_node *n, int line, const char *path, const char *fmt,
               ...) VSR_PRINTF(5, 6);

/* Fail with "<where>: <path>: <message>". @p line overrides the node's. */
static int bad(struct ctx *c, struct fy_node *n, int line, const char *path, const char *fmt,
               ...)
{
    char msg[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    const char *set = override_of(c, path);
    if (set)
        return vsr_error_set(c->err, -EINVAL, "--set %s: %s: %s", set, path, msg);
    if (line <= 0)
        line = node_line(n);
    if (line <= 0)
        line = c->last_line;
    return vsr_error_set(c->err, -EINVAL, "%s:%d: %s: %s", c->file, line, path, msg);
}

static int oom(struct ctx *c)
{
    return vsr_error_set(c->err, -ENOMEM, "%s: out of memory reading the config", c->file);
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

static const char *type_name(struct fy_node *n)
{
    switch (fy_node_get_type(n)) {
    case FYNT_SCALAR:
        return "a scalar";
    case FYNT_SEQUENCE:
        return "a list";
    case FYNT_MAPPING:
        return "a mapping";
    default:
        return "something else";
    }
}

/* A null value: absent, "~", "null" or empty (plain style only). */
static int is_null(struct fy_node *n)
{
    return !n || fy_node_is_null(n);
}

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

static int get_int(struct ctx *c, struct fy_node *n, const char *path, long min, long max,
                   int *out)
{
    const char *s = NULL;
    int ret = get_str(c, n, path, &s);
    if (ret < 0) {
        if (ret == -EINVAL)
            return bad(c, n, 0, path, "expected an integer in [%ld, %ld], got %s", min, max,
                       type_name(n));
        return ret;
    }
    long v;
    vsr_error e;
    if (vsr_parse_long(s, min, max, &v, path, &e) < 0)
        return bad(c, n, 0, path, "expected an integer in [%ld, %ld], got '%s'", min, max, s);
    *out = (int)v;
    return 0;
}

static int get_long(struct ctx *c, struct fy_node *n, const char *path, long *out)
{
    const char *s = NULL;
    int ret = get_str(c, n, path, &s);
    if (ret < 0)
        return ret;
    vsr_error e;
    if (vsr_parse_long(s, 0, 0x7fffffffL, out, path, &e) < 0)
        return bad(c, n, 0, path, "expected a non-negative integer, got '%s'", s);
    return 0;
}

static int get_bool(struct ctx *c, struct fy_node *n, const char *path, int *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    const char *s = NULL;
    int ret = get_str(c, n, path, &s);
    if (ret < 0)
        return ret;
    for (int i = 0; i < 4; i++) {
        if (!strcasecmp(s, yes[i])) {
            *out = 1;
            return 0;
        }
        if (!strcasecmp(s, no[i])) {
            *out = 0;
            return 0;
        }
    }
    return bad(c, n, 0, path, "expected true or false, got '%s'", s);
}

/* A string that must be one of @p choices (NULL-terminated, case-insensitive). */
static int get_enum(struct ctx *c, struct fy_node *n, const char *path,
                    const char *const *choices, const char **out)
{
    const char *s = NULL;
    int ret = get_str(c, n, path, &s);
    if (ret < 0)
        return ret;
    char list[160] = "";
    for (int i = 0; choices[i]; i++) {
        if (!strcasecmp(s, choices[i])) {
            *out = choices[i];
            return 0;
        }
        size_t l = strlen(list);
        snprintf(list + l, sizeof(list) - l, "%s%s", i ? ", " : "", choices[i]);
    }
    return bad(c, n, 0, path, "'%s' is not one of %s", s, list);
}

/* Every key of mapping @p map must be in @p allowed (NULL-terminated). */
static int check_keys(struct ctx *c, struct fy_node *map, const char *path,
                      const char *const *allowed)
{
    void *it = NULL;
    struct fy_node_pair *p;
    while ((p = fy_node_mapping_iterate(map, &it))) {
        struct fy_node *k = fy_node_pair_key(p);
        char kp[PATH_CAP];
        if (!k || fy_node_get_type(k) != FYNT_SCALAR)
            return bad(c, k ? k : map, 0, path, "keys must be plain strings");
        const char *ks = fy_node_get_scalar0(k);
        if (!ks)
            return oom(c);
        join_path(kp, path, ks);
        int found = 0, best = 99;
        const char *hint = NULL;
        for (int i = 0; allowed[i]; i++) {
            if (!strcmp(ks, allowed[i])) {
                found = 1;
                break;
            }
            int dist = vsr_edit_distance(ks, allowed[i]);
            if (dist < best) {
                best = dist;
                hint = allowed[i];
            }
        }
        if (!found) {
            char list[400] = "";
            for (int i = 0; allowed[i]; i++) {
                size_t l = strlen(list);
                snprintf(list + l, sizeof(list) - l, "%s%s", i ? " " : "", allowed[i]);
            }
            if (hint && best <= 2)
                return bad(c, k, 0, kp, "unknown key (did you mean '%s'?)", hint);
            return bad(c, k, 0, kp, "unknown key (known here: %s)", list);
        }
    }
    return 0;
}

/*
 * The value of @p key in @p map, NULL when absent or null. Remembers the
 * key's line, which names the place of an empty list ("datasets: []") that
 * has no line of its own.
 */
static struct fy_node *lookup(struct ctx *c, struct fy_node *map, const char *key)
{
    struct fy_node_pair *p = fy_node_mapping_lookup_pair_by_string(map, key, FY_NT);
    if (!p)
        return NULL;
    int line = node_line(fy_node_pair_key(p));
    if (line > 0)
        c->last_line = line;
    struct fy_node *v = fy_node_pair_value(p);
    return is_null(v) ? NULL : v;
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
/* @p allow_auto: the scalar "auto" is accepted and stored as 0 (threads: auto) */
static int get_int_axis(struct ctx *c, struct fy_node *n, const char *path, long min, long max,
                        int allow_auto, const int **out, int *count)
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
            a[i] = 0;
        else if ((ret = get_int(c, item, ip, min, max, &a[i])) < 0)
            return ret == -EINVAL && allow_auto
                       ? bad(c, item, 0, ip, "expected an integer in [%ld, %ld] or auto", min,
                             max)
                       : ret;
        for (int j = 0; j < i; j++)
            if (a[j] == a[i])
                return bad(c, item, 0, ip, "%s is listed twice",
                           a[i] || !allow_auto ? ip : "auto");
    }
    *out = a;
    *count = cnt;
    return 0;
}

/* ---- sections ------------------------------------------------------------ */

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

static int parse_dataset(struct ctx *c, struct fy_node *n, const char *path,
                         vsr_config_dataset *d)
{
    static const char *const keys[] = {"name",        "type",        "dataroot", "dataroot_gt",
                                       "dataroot_lq", "degradation", "clips",    "frames",
                                       "gt_suffix",   "lq_suffix",   NULL};
    int ret;
    char kp[PATH_CAP];
    if ((ret = expect_map(c, n, path)) < 0 || (ret = check_keys(c, n, path, keys)) < 0)
        return ret;
    d->line = node_line(n);
    struct fy_node *v;
    join_path(kp, path, "name");
    if (!(v = lookup(c, n, "name")))
        return bad(c, n, 0, kp, "missing required key (the dataset's name, e.g. vid4)");
    if ((ret = get_str(c, v, kp, &d->name)) < 0)
        return ret;
    join_path(kp, path, "type");
    if (!(v = lookup(c, n, "type")))
        return bad(c, n, 0, kp,
                   "missing required key (demo, vid4, reds, pair, video or images)");
    if ((ret = get_enum(c, v, kp, dataset_types, &d->type)) < 0)
        return ret;
    static const char *const roots[] = {"dataroot", "dataroot_gt", "dataroot_lq"};
    const char **dst[] = {&d->dataroot, &d->dataroot_gt, &d->dataroot_lq};
    for (int i = 0; i < 3; i++) {
        join_path(kp, path, roots[i]);
        if ((v = lookup(c, n, roots[i]))) {
            if ((ret = get_str(c, v, kp, dst[i])) < 0)
                return ret;
            /* a root the user has not set up is the commonest mistake:
             * say so now rather than in the middle of a sweep */
            if (!exists(*dst[i]))
                return bad(c, v, 0, kp,
                           "'%s' does not exist; download the dataset there "
                           "or fix the path",
                           *dst[i]);
            if (i != 1 || strcmp(d->type, "video"))
                if (!is_dir(*dst[i]))
                    return bad(c, v, 0, kp, "'%s' is not a folder", *dst[i]);
        }
    }
    int need_root = !strcmp(d->type, "vid4") || !strcmp(d->type, "reds");
    if (need_root && !d->dataroot && !d->dataroot_gt) {
        join_path(kp, path, "dataroot");
        return bad(c, n, 0, kp, "missing required key for type %s (the dataset root folder)",
                   d->type);
    }
    if ((!strcmp(d->type, "pair") || !strcmp(d->type, "video") || !strcmp(d->type, "images")) &&
        !d->dataroot_gt) {
        join_path(kp, path, "dataroot_gt");
        return bad(c, n, 0, kp, "missing required key for type %s (the GT %s)", d->type,
                   strcmp(d->type, "video") ? "folder" : "video file");
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
    join_path(kp, path, "clips");
    if ((v = lookup(c, n, "clips")) &&
        (ret = get_str_list(c, v, kp, &d->clips, &d->n_clips)) < 0)
        return ret;
    join_path(kp, path, "frames");
    if ((v = lookup(c, n, "frames")) && (ret = get_int(c, v, kp, 0, 1000000, &d->frames)) < 0)
        return ret;
    /* images: BasicSR's filename_tmpl as stem suffixes (Set5: _HR / _LR) */
    static const char *const sfx[] = {"gt_suffix", "lq_suffix"};
    const char **sdst[] = {&d->gt_suffix, &d->lq_suffix};
    for (int i = 0; i < 2; i++) {
        join_path(kp, path, sfx[i]);
        if (!(v = lookup(c, n, sfx[i])))
            continue;
        if (strcmp(d->type, "images"))
            return bad(c, v, 0, kp, "only a dataset of type images takes %s", sfx[i]);
        if ((ret = get_str(c, v, kp, sdst[i])) < 0)
            return ret;
        if (strchr(*sdst[i], '/'))
            return bad(c, v, 0, kp, "'%s' is a file name suffix: no '/'", *sdst[i]);
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
    static const char *const keys[] = {"name",        "type",     "variant",
                                       "weights",     "optional", "hyperparameters",
                                       "description", NULL};
    if (fy_node_get_type(n) != FYNT_MAPPING)
        return bad(c, n, 0, path, "expected a zoo model name or a mapping, got %s",
                   type_name(n));
    if ((ret = check_keys(c, n, path, keys)) < 0)
        return ret;
    struct fy_node *v;
    join_path(kp, path, "name");
    if (!(v = lookup(c, n, "name")))
        return bad(c, n, 0, kp, "missing required key (the model's label)");
    if ((ret = get_str(c, v, kp, &m->name)) < 0)
        return ret;
    m->type = m->name;
    struct fy_node *name_node = v;
    join_path(kp, path, "type");
    if ((v = lookup(c, n, "type")) && (ret = get_str(c, v, kp, &m->type)) < 0)
        return ret;
    if (v)
        ret = check_zoo_type(c, v, kp, m->type, 0);
    else {
        join_path(kp, path, "name");
        ret = check_zoo_type(c, name_node, kp, m->type, 1);
    }
    if (ret < 0)
        return ret;
    join_path(kp, path, "optional");
    if ((v = lookup(c, n, "optional")) && (ret = get_bool(c, v, kp, &m->optional)) < 0)
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
        if ((ret = get_str(c, v, kp, &m->description)) < 0)
            return ret;
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
        if ((ret = get_str(c, v, kp, &m->variant)) < 0)
            return ret;
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

static const char *const precision_names[] = {"fp32", "fp16", "fp16n", "int8", NULL};
static const char *const calib_methods[] = {"minmax", "percentile", "mse", "file", NULL};

static int parse_precision(struct ctx *c, struct fy_node *n, const char *path,
                           vsr_config_precision *p)
{
    int ret;
    char kp[PATH_CAP];
    struct fy_node *calib = NULL, *requant = NULL;
    if (fy_node_get_type(n) == FYNT_MAPPING) {
        static const char *const keys[] = {"name", "calibration", "requant", NULL};
        if ((ret = check_keys(c, n, path, keys)) < 0)
            return ret;
        struct fy_node *v;
        join_path(kp, path, "name");
        if (!(v = lookup(c, n, "name")))
            return bad(c, n, 0, kp, "missing required key (fp32, fp16, fp16n or int8)");
        if ((ret = get_enum(c, v, kp, precision_names, &p->name)) < 0)
            return ret;
        calib = lookup(c, n, "calibration");
        requant = lookup(c, n, "requant");
    } else if ((ret = get_enum(c, n, path, precision_names, &p->name)) < 0) {
        return ret;
    }
    if (strcmp(p->name, "int8")) {
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
    p->calib_method = "minmax";
    p->calib_frames = 8;
    p->requant = "float";
    if (requant) {
        static const char *const requants[] = {"float", "tflite", NULL};
        join_path(kp, path, "requant");
        if ((ret = get_enum(c, requant, kp, requants, &p->requant)) < 0)
            return ret;
    }
    if (calib) {
        static const char *const keys[] = {"method", "frames", NULL};
        char cp[PATH_CAP];
        join_path(cp, path, "calibration");
        if ((ret = expect_map(c, calib, cp)) < 0 || (ret = check_keys(c, calib, cp, keys)) < 0)
            return ret;
        struct fy_node *v;
        join_path(kp, cp, "method");
        if ((v = lookup(c, calib, "method")) &&
            (ret = get_enum(c, v, kp, calib_methods, &p->calib_method)) < 0)
            return ret;
        join_path(kp, cp, "frames");
        if ((v = lookup(c, calib, "frames")) &&
            (ret = get_int(c, v, kp, 1, 100000, &p->calib_frames)) < 0)
            return ret;
        p->calib_given = 1;
        if (!strcmp(p->calib_method, "file"))
            p->calib_frames = 0; /* the file's own parameters: no frame is read */
    }
    return 0;
}

static int parse_precisions(struct ctx *c, struct fy_node *root, vsr_config *cfg)
{
    struct fy_node *n = lookup(c, root, "precisions");
    int cnt = 1, ret;
    vsr_config_precision *a;
    if (!n) {
        if (!(a = ar_alloc(c->ar, sizeof(*a))))
            return oom(c);
        a[0].name = "fp32";
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
            if (!strcmp(a[j].name, a[i].name) &&
                (!a[i].calib_method || (!strcmp(a[j].calib_method, a[i].calib_method) &&
                                        a[j].calib_frames == a[i].calib_frames &&
                                        !strcmp(a[j].requant, a[i].requant))))
                return bad(c, item, 0, ip, "%s is listed twice with the same settings",
                           a[i].name);
    }
    cfg->precisions = a;
    cfg->n_precisions = cnt;
    return 0;
}

static int parse_metric(struct ctx *c, struct fy_node *m, const char *name, int is_niqe,
                        vsr_config_metric *out, int scale)
{
    static const char *const keys[] = {"type",     "crop_border", "test_y_channel",
                                       "channels", "better",      NULL};
    static const char *const niqe_keys[] = {"type", "crop_border", "better", NULL};
    char path[PATH_CAP], kp[PATH_CAP];
    join_path(path, "metrics", name);
    struct fy_node *n = fy_node_mapping_lookup_by_string(m, name, FY_NT);
    out->enabled = 0;
    out->crop_border = scale;
    out->y = !is_niqe;
    out->rgb = 0;
    if (!fy_node_mapping_lookup_pair_by_string(m, name, FY_NT))
        return 0;
    out->enabled = 1;
    if (is_null(n))
        return 0; /* "niqe:" alone: enabled with defaults */
    int ret;
    if ((ret = expect_map(c, n, path)) < 0 ||
        (ret = check_keys(c, n, path, is_niqe ? niqe_keys : keys)) < 0)
        return ret;
    struct fy_node *v;
    const char *ignored;
    join_path(kp, path, "type"); /* BasicSR's calculate_psnr: informative only */
    if ((v = lookup(c, n, "type")) && (ret = get_str(c, v, kp, &ignored)) < 0)
        return ret;
    join_path(kp, path, "better");
    if ((v = lookup(c, n, "better")) && (ret = get_str(c, v, kp, &ignored)) < 0)
        return ret;
    join_path(kp, path, "crop_border");
    if ((v = lookup(c, n, "crop_border")) &&
        (ret = get_int(c, v, kp, 0, 1024, &out->crop_border)))
        return ret;
    if (is_niqe)
        return 0;
    join_path(kp, path, "test_y_channel");
    int y = 1;
    if ((v = lookup(c, n, "test_y_channel")) && (ret = get_bool(c, v, kp, &y)) < 0)
        return ret;
    out->y = y;
    out->rgb = !y;
    join_path(kp, path, "channels");
    if ((v = lookup(c, n, "channels"))) {
        static const char *const ch[] = {"y", "rgb", NULL};
        const char **list;
        int cnt;
        if ((ret = get_str_list(c, v, kp, &list, &cnt)) < 0)
            return ret;
        out->y = out->rgb = 0;
        for (int i = 0; i < cnt; i++) {
            char ip[PATH_CAP];
            struct fy_node *item =
                fy_node_get_type(v) == FYNT_SEQUENCE ? fy_node_sequence_get_by_index(v, i) : v;
            snprintf(ip, sizeof(ip), "%s", kp);
            if (fy_node_get_type(v) == FYNT_SEQUENCE)
                index_path(ip, kp, i);
            const char *s;
            if ((ret = get_enum(c, item, ip, ch, &s)) < 0)
                return ret;
            if (!strcmp(s, "y"))
                out->y = 1;
            else
                out->rgb = 1;
        }
    }
    return 0;
}

static int parse_metrics(struct ctx *c, struct fy_node *root, vsr_config *cfg)
{
    struct fy_node *n = lookup(c, root, "metrics");
    if (!n) { /* default: PSNR and SSIM on Y, border = scale (BasicSR's VSR tests) */
        cfg->psnr = (vsr_config_metric){1, cfg->scale, 1, 0};
        cfg->ssim = (vsr_config_metric){1, cfg->scale, 1, 0};
        cfg->niqe = (vsr_config_metric){0, cfg->scale, 0, 0};
        return 0;
    }
    static const char *const keys[] = {"psnr", "ssim", "niqe", NULL};
    int ret;
    if ((ret = expect_map(c, n, "metrics")) < 0 ||
        (ret = check_keys(c, n, "metrics", keys)) < 0 ||
        (ret = parse_metric(c, n, "psnr", 0, &cfg->psnr, cfg->scale)) < 0 ||
        (ret = parse_metric(c, n, "ssim", 0, &cfg->ssim, cfg->scale)) < 0 ||
        (ret = parse_metric(c, n, "niqe", 1, &cfg->niqe, cfg->scale)) < 0)
        return ret;
    return 0;
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
            if (!strcasecmp(cfg->precisions[i].name, value))
                return 1;
    } else if (!strcmp(axis, "calibration")) {
        if (!strcasecmp(value, "file")) /* also what an INT8 .tflite defaults to */
            return 1;
        for (int i = 0; i < cfg->n_precisions; i++)
            if (cfg->precisions[i].calib_method &&
                !strcasecmp(cfg->precisions[i].calib_method, value))
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
                if (c->n_sets == 0)
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

static int parse_output(struct ctx *c, struct fy_node *root, vsr_config *cfg)
{
    char buf[PATH_CAP + 16];
    cfg->db = "runs.db";
    snprintf(buf, sizeof(buf), "reports/%s", cfg->name);
    if (!(cfg->report_dir = ar_strdup(c->ar, buf)))
        return oom(c);
    struct fy_node *n = lookup(c, root, "output"), *v;
    if (!n)
        return 0;
    static const char *const keys[] = {"db", "report_dir", "save_images", NULL};
    int ret;
    if ((ret = expect_map(c, n, "output")) < 0 || (ret = check_keys(c, n, "output", keys)) < 0)
        return ret;
    if ((v = lookup(c, n, "db")) && (ret = get_str(c, v, "output.db", &cfg->db)) < 0)
        return ret;
    if ((v = lookup(c, n, "report_dir")) &&
        (ret = get_str(c, v, "output.report_dir", &cfg->report_dir)) < 0)
        return ret;
    if ((v = lookup(c, n, "save_images")) &&
        (ret = get_bool(c, v, "output.save_images", &cfg->save_images)) < 0)
        return ret;
    return 0;
}

static int parse_root(struct ctx *c, struct fy_node *root, vsr_config *cfg)
{
    static const char *const keys[] = {
        "name", "scale", "manual_seed", "datasets", "metrics", "models", "precisions",
        "tile", "pad",   "threads",     "timing",   "exclude", "output", NULL};
    int ret;
    if (!root || fy_node_get_type(root) != FYNT_MAPPING)
        return vsr_error_set(c->err, -EINVAL,
                             "%s:1: the config must be a mapping (name: ..., datasets: ...)",
                             c->file);
    if ((ret = check_keys(c, root, "", keys)) < 0)
        return ret;
    struct fy_node *v;
    if (!(v = lookup(c, root, "name")))
        return bad(c, root, 1, "name", "missing required key (the sweep's name)");
    if ((ret = get_str(c, v, "name", &cfg->name)) < 0)
        return ret;
    if (!*cfg->name || strchr(cfg->name, '/'))
        return bad(c, v, 0, "name", "a name is non-empty and has no '/'");
    cfg->scale = 4;
    if ((v = lookup(c, root, "scale")) && (ret = get_int(c, v, "scale", 2, 8, &cfg->scale)) < 0)
        return ret;
    if ((v = lookup(c, root, "manual_seed")) &&
        (ret = get_long(c, v, "manual_seed", &cfg->manual_seed)) < 0)
        return ret;
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
        int allow_auto;
    } axes[] = {
        {"tile", 0, 1 << 16, &cfg->tiles, &cfg->n_tiles, &zero, 0},
        {"pad", 0, 1024, &cfg->pads, &cfg->n_pads, &zero, 0},
        /* threads: auto (0) = the cores idle when the sweep starts */
        {"threads", 1, 1024, &cfg->threads, &cfg->n_threads, &one, 1},
    };
    for (int i = 0; i < 3; i++) {
        if ((v = lookup(c, root, axes[i].key))) {
            if ((ret = get_int_axis(c, v, axes[i].key, axes[i].min, axes[i].max,
                                    axes[i].allow_auto, axes[i].out, axes[i].n)) < 0)
                return ret;
        } else {
            *axes[i].out = axes[i].def;
            *axes[i].n = 1;
        }
    }
    cfg->warmup = 2;
    cfg->runs = 1;
    cfg->min_runs = 20;
    cfg->min_secs = 1.0;
    if ((v = lookup(c, root, "timing"))) {
        static const char *const tkeys[] = {"warmup", "runs", "min_runs", "min_secs", NULL};
        struct fy_node *t;
        if ((ret = expect_map(c, v, "timing")) < 0 ||
            (ret = check_keys(c, v, "timing", tkeys)) < 0)
            return ret;
        if ((t = lookup(c, v, "warmup")) &&
            (ret = get_int(c, t, "timing.warmup", 0, 10000, &cfg->warmup)) < 0)
            return ret;
        if ((t = lookup(c, v, "runs")) &&
            (ret = get_int(c, t, "timing.runs", 1, 10000, &cfg->runs)))
            return ret;
        if ((t = lookup(c, v, "min_runs")) &&
            (ret = get_int(c, t, "timing.min_runs", 1, 1000000, &cfg->min_runs)))
            return ret;
        if ((t = lookup(c, v, "min_secs"))) {
            const char *sv = NULL;
            vsr_error e;
            if ((ret = get_str(c, t, "timing.min_secs", &sv)) < 0 ||
                vsr_parse_double(sv, 0, 3600, &cfg->min_secs, "timing.min_secs", &e) < 0)
                return bad(c, t, 0, "timing.min_secs", "expected seconds in [0, 3600], got %s",
                           sv ? sv : type_name(t));
        }
    }
    if ((ret = parse_exclude(c, root, cfg)) < 0 || (ret = parse_output(c, root, cfg)) < 0)
        return ret;
    return 0;
}

/* ---- overrides ----------------------------------------------------------- */

static int set_fail(struct ctx *c, const char *arg, const char *fmt, ...) VSR_PRINTF(3, 4);

static int set_fail(struct ctx *c, const char *arg, const char *fmt, ...)
{
    char msg[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return vsr_error_set(c->err, -EINVAL, "--set %s: %s", arg, msg);
}

static int apply_set(struct ctx *c, struct fy_document *doc, int idx)
{
    const char *arg = c->sets[idx];
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg)
        return set_fail(c, arg, "expected key.path=value (e.g. timing.warmup=2)");
    if (!eq[1])
        return set_fail(c, arg, "empty value; write key=~ to clear a key");
    char what[PATH_CAP];
    snprintf(what, sizeof(what), "--set %.*s value", (int)(eq - arg), arg);
    int ret = vsr_yaml_guard(what, eq + 1, strlen(eq + 1), c->err);
    if (ret < 0)
        return ret; /* the value goes to libfyaml too */
    struct fy_node *cur = fy_document_root(doc);
    if (!cur || fy_node_get_type(cur) != FYNT_MAPPING)
        return set_fail(c, arg, "the config is not a mapping");
    char *path = c->set_path[idx];
    path[0] = '\0';
    const char *seg = arg;
    while (seg < eq) {
        const char *end = seg;
        while (end < eq && *end != '.')
            end++;
        size_t len = (size_t)(end - seg);
        if (len == 0 || len > 63)
            return set_fail(c, arg, "empty or too long key in the path");
        char key[64];
        memcpy(key, seg, len);
        key[len] = '\0';
        for (size_t i = 0; i < len; i++)
            if (!isalnum((unsigned char)key[i]) && key[i] != '_' && key[i] != '-')
                return set_fail(c, arg, "'%s' is not a key (letters, digits, _ and - only)",
                                key);
        int last = end == eq;
        size_t pl = strlen(path);
        if (fy_node_get_type(cur) == FYNT_SEQUENCE) {
            long i;
            int cnt = fy_node_sequence_item_count(cur);
            if (vsr_parse_long(key, 0, cnt - 1, &i, "index", NULL) < 0)
                return set_fail(c, arg, "'%s' is not an index of the list %s (0..%d)", key,
                                path, cnt - 1);
            snprintf(path + pl, PATH_CAP - pl, "[%ld]", i);
            struct fy_node *item = fy_node_sequence_get_by_index(cur, (int)i);
            if (last) {
                struct fy_node *nv = fy_node_build_from_string(doc, eq + 1, FY_NT);
                if (!nv)
                    return set_fail(c, arg, "the value is not valid YAML");
                if ((ret = vsr_yaml_check_node(what, nv, eq + 1, strlen(eq + 1), c->err))) {
                    fy_node_free(nv);
                    return ret;
                }
                if (fy_node_sequence_insert_after(cur, item, nv) ||
                    !fy_node_sequence_remove(cur, item))
                    return set_fail(c, arg, "cannot replace list item %ld", i);
                fy_node_free(item);
                return 0;
            }
            cur = item;
        } else if (fy_node_get_type(cur) == FYNT_MAPPING) {
            snprintf(path + pl, PATH_CAP - pl, "%s%s", pl ? "." : "", key);
            struct fy_node_pair *p = fy_node_mapping_lookup_pair_by_string(cur, key, len);
            if (last) {
                struct fy_node *nv = fy_node_build_from_string(doc, eq + 1, FY_NT);
                if (!nv)
                    return set_fail(c, arg, "the value is not valid YAML");
                if ((ret = vsr_yaml_check_node(what, nv, eq + 1, strlen(eq + 1), c->err))) {
                    fy_node_free(nv);
                    return ret;
                }
                if (p) {
                    if (fy_node_pair_set_value(p, nv))
                        return set_fail(c, arg, "cannot set %s", path);
                } else {
                    struct fy_node *k = fy_node_create_scalar_copy(doc, key, len);
                    if (!k || fy_node_mapping_append(cur, k, nv))
                        return set_fail(c, arg, "cannot add %s", path);
                }
                return 0;
            }
            struct fy_node *next = p ? fy_node_pair_value(p) : NULL;
            if (!next || fy_node_is_null(next)) {
                /* a new intermediate mapping: --set output.db=x with no output: */
                next = fy_node_create_mapping(doc);
                struct fy_node *k = fy_node_create_scalar_copy(doc, key, len);
                if (!next || !k)
                    return set_fail(c, arg, "out of memory");
                if (p ? fy_node_pair_set_value(p, next) : fy_node_mapping_append(cur, k, next))
                    return set_fail(c, arg, "cannot add %s", path);
                if (p)
                    fy_node_free(k);
            }
            cur = next;
        } else {
            return set_fail(c, arg, "%s is a single value, not a mapping or list", path);
        }
        seg = end + 1;
    }
    return set_fail(c, arg, "expected key.path=value");
}

/* ---- canonical form and hash -------------------------------------------- */

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
    vsr_config_put_str(f, "dataset.type", d->type);
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
    vsr_config_put_str(f, "precision.name", p->name);
    vsr_config_put_str(f, "precision.calib_method", p->calib_method);
    fprintf(f, "precision.calib_frames=%d\n", p->calib_frames);
    if (p->requant && strcmp(p->requant, "float")) /* the default leaves old hashes alone */
        vsr_config_put_str(f, "precision.requant", p->requant);
}

void vsr_config_put_common(FILE *f, const vsr_config *cfg)
{
    fprintf(f, "scale=%d\nmanual_seed=%ld\ntiming.warmup=%d\ntiming.runs=%d\n", cfg->scale,
            cfg->manual_seed, cfg->warmup, cfg->runs);
    /* the v6 keys only when not the defaults, so older configs keep their hashes */
    if (cfg->min_runs != 20 || cfg->min_secs != 1.0)
        fprintf(f, "timing.min_runs=%d\ntiming.min_secs=%.17g\n", cfg->min_runs, cfg->min_secs);
    const vsr_config_metric *m[3] = {&cfg->psnr, &cfg->ssim, &cfg->niqe};
    for (int i = 0; i < 3; i++)
        fprintf(f, "metric%d=%d,%d,%d,%d\n", i, m[i]->enabled, m[i]->crop_border, m[i]->y,
                m[i]->rgb);
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
    c->err = err;
    c->file = name;
    if (n_sets > MAX_SETS) {
        ret = vsr_error_set(err, -EINVAL, "too many --set options (at most %d)", MAX_SETS);
        goto end;
    }
    char *own_text = ar_strndup(c->ar, text, len);
    cfg->path = ar_strdup(c->ar, name);
    if (!own_text || !cfg->path) {
        ret = oom(c);
        goto end;
    }
    cfg->text = own_text;
    c->file = cfg->path;
    if (n_sets > 0) {
        size_t total = 0;
        for (int i = 0; i < n_sets; i++)
            total += strlen(sets[i]) + 1;
        char *joined = ar_alloc(c->ar, total + 1), *p = joined;
        if (!joined) {
            ret = oom(c);
            goto end;
        }
        for (int i = 0; i < n_sets; i++) {
            c->sets[i] = ar_strdup(c->ar, sets[i]);
            if (!c->sets[i]) {
                ret = oom(c);
                goto end;
            }
            p += sprintf(p, "%s%s", i ? "\n" : "", sets[i]);
        }
        cfg->overrides = joined;
    }

    /* one door to libfyaml: the text is checked first (core/yaml.c) */
    if ((ret = vsr_yaml_parse(c->file, own_text, len, &doc, err)) < 0)
        goto end;
    for (int i = 0; i < n_sets; i++) {
        c->n_sets = i + 1;
        if ((ret = apply_set(c, doc, i)) < 0)
            goto end;
    }
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
