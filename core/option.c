/*
 * option.c: option tables (option.h). The one reader of typed config
 * values on a libfyaml tree, the one --set, the one "did you mean".
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libfyaml.h>

#include "vsr/option.h"

#define PATH_CAP VSR_OPT_PATH_CAP

void vsr_opt_ctx_init(vsr_opt_ctx *c, const char *file, vsr_error *err)
{
    memset(c, 0, sizeof(*c));
    c->file = file ? file : "<config>";
    c->err = err;
}

/* ---- messages -------------------------------------------------------------- */

int vsr_opt_node_line(struct fy_node *n)
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

const char *vsr_opt_node_kind(struct fy_node *n)
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

/* The override that put @p path there, or NULL. Later overrides win. */
static const char *override_of(const vsr_opt_ctx *c, const char *path)
{
    for (int i = c->n_sets - 1; i >= 0; i--) {
        size_t n = strlen(c->set_path[i]);
        if (!strncmp(path, c->set_path[i], n) &&
            (path[n] == '\0' || path[n] == '.' || path[n] == '['))
            return c->sets[i];
    }
    return NULL;
}

int vsr_opt_fail(vsr_opt_ctx *c, struct fy_node *n, int line, const char *path, const char *fmt,
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
        line = vsr_opt_node_line(n);
    if (line <= 0)
        line = c->last_line;
    return vsr_error_set(c->err, -EINVAL, "%s:%d: %s: %s", c->file, line, path, msg);
}

int vsr_opt_oom(vsr_opt_ctx *c)
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

int vsr_opt_is_null(struct fy_node *n)
{
    if (!n || fy_node_is_null(n))
        return 1;
    if (fy_node_get_type(n) != FYNT_SCALAR || fy_node_get_style(n) != FYNS_PLAIN)
        return 0;
    const char *s = fy_node_get_scalar0(n);
    return s &&
           (!strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL"));
}

struct fy_node *vsr_opt_lookup(vsr_opt_ctx *c, struct fy_node *map, const char *key)
{
    struct fy_node_pair *p = fy_node_mapping_lookup_pair_by_string(map, key, FY_NT);
    if (!p)
        return NULL;
    int line = vsr_opt_node_line(fy_node_pair_key(p));
    if (line > 0)
        c->last_line = line;
    struct fy_node *v = fy_node_pair_value(p);
    return vsr_opt_is_null(v) ? NULL : v;
}

/* "unknown key" for @p ks at @p kp, with the nearest of @p allowed[0..n). */
static int unknown_key(vsr_opt_ctx *c, struct fy_node *k, const char *kp, const char *ks,
                       const char *const *allowed, int n)
{
    int best = 99;
    const char *hint = NULL;
    char list[400] = "";
    for (int i = 0; i < n; i++) {
        int dist = vsr_edit_distance(ks, allowed[i]);
        if (dist < best) {
            best = dist;
            hint = allowed[i];
        }
        size_t l = strlen(list);
        snprintf(list + l, sizeof(list) - l, "%s%s", i ? " " : "", allowed[i]);
    }
    if (hint && best <= 2)
        return vsr_opt_fail(c, k, 0, kp, "unknown key (did you mean '%s'?)", hint);
    return vsr_opt_fail(c, k, 0, kp, "unknown key (known here: %s)", list);
}

int vsr_opt_check_keys(vsr_opt_ctx *c, struct fy_node *map, const char *path,
                       const char *const *allowed)
{
    int n = 0;
    while (allowed[n])
        n++;
    void *it = NULL;
    struct fy_node_pair *p;
    while ((p = fy_node_mapping_iterate(map, &it))) {
        struct fy_node *k = fy_node_pair_key(p);
        char kp[PATH_CAP];
        if (!k || fy_node_get_type(k) != FYNT_SCALAR)
            return vsr_opt_fail(c, k ? k : map, 0, path, "keys must be plain strings");
        const char *ks = fy_node_get_scalar0(k);
        if (!ks)
            return vsr_opt_oom(c);
        join_path(kp, path, ks);
        int found = 0;
        for (int i = 0; i < n && !found; i++)
            found = !strcmp(ks, allowed[i]);
        if (!found)
            return unknown_key(c, k, kp, ks, allowed, n);
    }
    return 0;
}

/* ---- --set on the tree ------------------------------------------------------ */

static int set_fail(vsr_opt_ctx *c, const char *arg, const char *fmt, ...) VSR_PRINTF(3, 4);

static int set_fail(vsr_opt_ctx *c, const char *arg, const char *fmt, ...)
{
    char msg[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return vsr_error_set(c->err, -EINVAL, "--set %s: %s", arg, msg);
}

/*
 * Split "key.path=value": the key part in [arg, *eq), checked; @p what gets
 * the name of the value in messages ("--set KEY value"). The value is
 * guarded as YAML text (core/yaml.c).
 */
static int split_set(vsr_opt_ctx *c, const char *arg, const char **eq, char *what,
                     size_t what_cap)
{
    *eq = strchr(arg, '=');
    if (!*eq || *eq == arg)
        return set_fail(c, arg, "expected key.path=value (e.g. timing.warmup=2)");
    if (!(*eq)[1])
        return set_fail(c, arg, "empty value; write key=~ to clear a key");
    snprintf(what, what_cap, "--set %.*s value", (int)(*eq - arg), arg);
    return vsr_yaml_guard(what, *eq + 1, strlen(*eq + 1), c->err);
}

/* The value of an override as a node of @p doc, checked (vsr_yaml_check_node). */
static int set_value(vsr_opt_ctx *c, struct fy_document *doc, const char *arg, const char *eq,
                     const char *what, struct fy_node **out)
{
    struct fy_node *nv = fy_node_build_from_string(doc, eq + 1, FY_NT);
    if (!nv)
        return set_fail(c, arg, "the value is not valid YAML");
    int ret = vsr_yaml_check_node(what, nv, eq + 1, strlen(eq + 1), c->err);
    if (ret) {
        fy_node_free(nv);
        return ret;
    }
    *out = nv;
    return 0;
}

int vsr_opt_apply_set(vsr_opt_ctx *c, struct fy_document *doc, const char *arg)
{
    if (c->n_sets >= VSR_OPT_MAX_SETS)
        return vsr_error_set(c->err, -EINVAL, "too many --set options (at most %d)",
                             VSR_OPT_MAX_SETS);
    const char *eq;
    char what[PATH_CAP];
    int ret = split_set(c, arg, &eq, what, sizeof(what));
    if (ret < 0)
        return ret;
    int idx = c->n_sets++;
    c->sets[idx] = arg;
    char *path = c->set_path[idx];
    path[0] = '\0';
    struct fy_node *cur = fy_document_root(doc);
    if (!cur || fy_node_get_type(cur) != FYNT_MAPPING)
        return set_fail(c, arg, "the config is not a mapping");
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
                struct fy_node *nv = NULL;
                if ((ret = set_value(c, doc, arg, eq, what, &nv)))
                    return ret;
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
                struct fy_node *nv = NULL;
                if ((ret = set_value(c, doc, arg, eq, what, &nv)))
                    return ret;
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

/* ---- typed values ------------------------------------------------------------ */

static void *field(void *obj, const vsr_option *o)
{
    return (char *)obj + o->offset;
}

static char *copy_str(vsr_opt_ctx *c, const char *s, size_t n)
{
    char *p = c->alloc ? c->alloc(c->ud, n + 1) : malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* Store a copy of @p s (NULL: none) in the string field of @p o. */
static int put_str(vsr_opt_ctx *c, const vsr_option *o, void *obj, const char *s, size_t n)
{
    char *p = NULL;
    if (s && !(p = copy_str(c, s, n)))
        return vsr_opt_oom(c);
    char **dst = field(obj, o);
    if (!c->alloc)
        free(*dst);
    *dst = p;
    return 0;
}

static void expect_text(const vsr_option *o, char *buf, size_t cap)
{
    if (o->expect)
        snprintf(buf, cap, "%s", o->expect);
    else if (o->type == VSR_OPT_DOUBLE)
        snprintf(buf, cap, "a number in [%.10g, %.10g]", o->min, o->max);
    else
        snprintf(buf, cap, "an integer in [%ld, %ld]", (long)o->min, (long)o->max);
}

static int set_default(vsr_opt_ctx *c, const vsr_option *o, void *obj)
{
    switch (o->type) {
    case VSR_OPT_INT:
    case VSR_OPT_BOOL:
    case VSR_OPT_ENUM:
        *(int *)field(obj, o) = (int)o->def_i;
        return 0;
    case VSR_OPT_LONG:
        *(long *)field(obj, o) = o->def_i;
        return 0;
    case VSR_OPT_DOUBLE:
        *(double *)field(obj, o) = o->def_d;
        return 0;
    case VSR_OPT_STRING:
        return put_str(c, o, obj, o->def_s, o->def_s ? strlen(o->def_s) : 0);
    case VSR_OPT_NAME:
        *(const char **)field(obj, o) = o->def_s;
        return 0;
    case VSR_OPT_LIST: {
        char ***dst = field(obj, o);
        if (!c->alloc) {
            int n = *(int *)((char *)obj + o->count_offset);
            for (int i = 0; *dst && i < n; i++)
                free((*dst)[i]);
            free(*dst);
        }
        *dst = NULL;
        *(int *)((char *)obj + o->count_offset) = 0;
        return 0;
    }
    case VSR_OPT_TABLE:
        return vsr_opt_defaults(c, o->sub, field(obj, o));
    case VSR_OPT_TREE:
        return 0;
    }
    return 0;
}

int vsr_opt_defaults(vsr_opt_ctx *c, const vsr_option *t, void *obj)
{
    for (const vsr_option *o = t; o->name; o++) {
        int ret = set_default(c, o, obj);
        if (ret)
            return ret;
    }
    return 0;
}

const char *vsr_opt_enum_name(const vsr_option *o, int v)
{
    for (int i = 0; o->names[i]; i++)
        if ((o->values ? o->values[i] : i) == v)
            return o->names[i];
    return NULL;
}

/* The stored value of name @p s (for NAME: its index), -1 when unknown. */
static int enum_value(const vsr_option *o, const char *s)
{
    for (int i = 0; o->names[i]; i++)
        if (!strcasecmp(s, o->names[i]))
            return o->values && o->type == VSR_OPT_ENUM ? o->values[i] : i;
    for (const vsr_opt_alias *a = o->aliases; a && a->name; a++)
        if (!strcasecmp(s, a->name))
            return a->value;
    return -1;
}

/* Read the leaf @p o from node @p n (null: the default) at @p path. */
static int read_leaf(vsr_opt_ctx *c, const vsr_option *o, void *obj, struct fy_node *n,
                     const char *path)
{
    if (vsr_opt_is_null(n))
        return set_default(c, o, obj);
    char exp[96];
    expect_text(o, exp, sizeof(exp));
    if (o->type == VSR_OPT_LIST) {
        int scalar = fy_node_get_type(n) == FYNT_SCALAR;
        if (!scalar && fy_node_get_type(n) != FYNT_SEQUENCE)
            return vsr_opt_fail(c, n, 0, path, "expected a value or a list, got %s",
                                vsr_opt_node_kind(n));
        int cnt = scalar ? 1 : fy_node_sequence_item_count(n);
        if (cnt < 1)
            return vsr_opt_fail(c, n, 0, path, "empty list");
        int ret = set_default(c, o, obj); /* frees the old list */
        if (ret)
            return ret;
        char **a = c->alloc ? c->alloc(c->ud, (size_t)cnt * sizeof(*a))
                            : calloc((size_t)cnt, sizeof(*a));
        if (!a)
            return vsr_opt_oom(c);
        *(char ***)field(obj, o) = a;
        for (int i = 0; i < cnt; i++) {
            struct fy_node *e = scalar ? n : fy_node_sequence_get_by_index(n, i);
            char ip[PATH_CAP];
            if (scalar)
                snprintf(ip, sizeof(ip), "%s", path);
            else if (snprintf(ip, sizeof(ip), "%s[%d]", path, i) < 0)
                ip[0] = '\0';
            if (fy_node_get_type(e) != FYNT_SCALAR)
                return vsr_opt_fail(c, e, 0, ip, "expected a string, got %s",
                                    vsr_opt_node_kind(e));
            size_t len = 0;
            const char *s = fy_node_get_scalar(e, &len);
            if (!(a[i] = copy_str(c, s ? s : "", s ? len : 0)))
                return vsr_opt_oom(c);
            *(int *)((char *)obj + o->count_offset) = i + 1;
        }
        return 0;
    }
    if (fy_node_get_type(n) != FYNT_SCALAR) {
        const char *kind = vsr_opt_node_kind(n);
        switch (o->type) {
        case VSR_OPT_INT:
        case VSR_OPT_LONG:
        case VSR_OPT_DOUBLE:
            return vsr_opt_fail(c, n, 0, path, "expected %s, got %s", exp, kind);
        case VSR_OPT_BOOL:
            return vsr_opt_fail(c, n, 0, path, "expected true or false, got %s", kind);
        default:
            return vsr_opt_fail(c, n, 0, path, "expected a string, got %s", kind);
        }
    }
    size_t len = 0;
    const char *raw = fy_node_get_scalar(n, &len);
    if (!raw)
        raw = "", len = 0;
    if (o->type == VSR_OPT_STRING)
        return put_str(c, o, obj, raw, len);
    char s[128];
    if (len >= sizeof(s)) /* no number, bool or enum name is that long */
        snprintf(s, sizeof(s), "%.100s...", raw);
    else
        memcpy(s, raw, len), s[len] = '\0';
    switch (o->type) {
    case VSR_OPT_INT:
    case VSR_OPT_LONG: {
        long v;
        if (len >= sizeof(s) || vsr_parse_long(s, (long)o->min, (long)o->max, &v, path, NULL))
            return vsr_opt_fail(c, n, 0, path, "expected %s, got '%s'", exp, s);
        if (o->type == VSR_OPT_INT)
            *(int *)field(obj, o) = (int)v;
        else
            *(long *)field(obj, o) = v;
        return 0;
    }
    case VSR_OPT_DOUBLE: {
        double v;
        if (len >= sizeof(s) || vsr_parse_double(s, o->min, o->max, &v, path, NULL))
            return vsr_opt_fail(c, n, 0, path, "expected %s, got '%s'", exp, s);
        *(double *)field(obj, o) = v;
        return 0;
    }
    case VSR_OPT_BOOL: {
        static const char *const yes[] = {"true", "yes", "on", "1"};
        static const char *const no[] = {"false", "no", "off", "0"};
        for (int i = 0; i < 4; i++) {
            if (!strcasecmp(s, yes[i]) || !strcasecmp(s, no[i])) {
                *(int *)field(obj, o) = !strcasecmp(s, yes[i]);
                return 0;
            }
        }
        return vsr_opt_fail(c, n, 0, path, "expected true or false, got '%s'", s);
    }
    case VSR_OPT_ENUM:
    case VSR_OPT_NAME: {
        int v = enum_value(o, s);
        if (v >= 0 && o->type == VSR_OPT_NAME) {
            *(const char **)field(obj, o) = o->names[v];
            return 0;
        }
        if (v >= 0) {
            *(int *)field(obj, o) = v;
            return 0;
        }
        char list[160] = "";
        for (int i = 0; o->names[i]; i++) {
            size_t l = strlen(list);
            snprintf(list + l, sizeof(list) - l, "%s%s", i ? ", " : "", o->names[i]);
        }
        return vsr_opt_fail(c, n, 0, path, "'%s' is not one of %s", s, list);
    }
    default:
        return vsr_opt_fail(c, n, 0, path, "not a value");
    }
}

int vsr_opt_read_value(vsr_opt_ctx *c, const vsr_option *o, void *obj, struct fy_node *n,
                       const char *path)
{
    return read_leaf(c, o, obj, n, path);
}

/* ---- tables on a tree --------------------------------------------------------- */

/* @p name starts with the dotted step @p prefix + "."; the next step's length. */
static size_t next_step(const char *name, const char *prefix, size_t pl, const char **step)
{
    if (pl && (strncmp(name, prefix, pl) || name[pl] != '.'))
        return 0;
    *step = name + (pl ? pl + 1 : 0);
    const char *dot = strchr(*step, '.');
    return dot ? (size_t)(dot - *step) : strlen(*step);
}

/* The entry named exactly @p full, or NULL; *group = 1 when some entry lies below it. */
static const vsr_option *match(const vsr_option *t, const char *full, int *group)
{
    size_t fl = strlen(full);
    *group = 0;
    for (const vsr_option *o = t; o->name; o++) {
        if (!strcmp(o->name, full))
            return o;
        if (!strncmp(o->name, full, fl) && o->name[fl] == '.')
            *group = 1;
    }
    return NULL;
}

/* The names known at the level @p prefix of @p t (each once), into @p out. */
static int level_names(const vsr_option *t, const char *prefix, char *buf, size_t cap,
                       const char **out, int max)
{
    size_t pl = strlen(prefix), used = 0;
    int n = 0;
    for (const vsr_option *o = t; o->name && n < max; o++) {
        const char *step;
        size_t sl = next_step(o->name, prefix, pl, &step);
        if (!sl || used + sl + 1 > cap)
            continue;
        int dup = 0;
        for (int i = 0; i < n && !dup; i++)
            dup = strlen(out[i]) == sl && !strncmp(out[i], step, sl);
        if (dup)
            continue;
        memcpy(buf + used, step, sl);
        buf[used + sl] = '\0';
        out[n++] = buf + used;
        used += sl + 1;
    }
    return n;
}

/* Read mapping @p map, the level @p prefix of table @p t, at key path @p path. */
static int read_level(vsr_opt_ctx *c, const vsr_option *t, void *obj, struct fy_node *map,
                      const char *path, const char *prefix, int depth)
{
    if (vsr_opt_is_null(map))
        return 0;
    if (fy_node_get_type(map) != FYNT_MAPPING)
        return vsr_opt_fail(c, map, 0, path[0] ? path : "(root)", "expected a mapping, got %s",
                            vsr_opt_node_kind(map));
    if (depth > 16)
        return vsr_opt_fail(c, map, 0, path, "nested too deep");
    /* every key first, so a typo is named before any value is read */
    char names_buf[1024];
    const char *names[64];
    int n_names = level_names(t, prefix, names_buf, sizeof(names_buf), names, 64);
    void *it = NULL;
    struct fy_node_pair *p;
    for (int pass = 0; pass < 2; pass++) {
        it = NULL;
        while ((p = fy_node_mapping_iterate(map, &it))) {
            struct fy_node *k = fy_node_pair_key(p), *v = fy_node_pair_value(p);
            if (!k || fy_node_get_type(k) != FYNT_SCALAR)
                return vsr_opt_fail(c, k ? k : map, 0, path[0] ? path : "(root)",
                                    "keys must be plain strings");
            const char *ks = fy_node_get_scalar0(k);
            if (!ks)
                return vsr_opt_oom(c);
            char kp[PATH_CAP], full[PATH_CAP];
            join_path(kp, path, ks);
            join_path(full, prefix, ks);
            int group;
            const vsr_option *o = match(t, full, &group);
            if (!o && !group) {
                if (pass == 0)
                    return unknown_key(c, k, kp, ks, names, n_names);
                continue;
            }
            if (pass == 0)
                continue;
            int line = vsr_opt_node_line(k);
            if (line > 0)
                c->last_line = line;
            int ret;
            if (!o)
                ret = read_level(c, t, obj, v, kp, full, depth + 1);
            else if (o->type == VSR_OPT_TABLE)
                ret = read_level(c, o->sub, field(obj, o), v, kp, "", depth + 1);
            else if (o->type == VSR_OPT_TREE)
                ret = vsr_opt_is_null(v) || !o->tree ? 0 : o->tree(c, o, obj, NULL, v, kp);
            else
                ret = read_leaf(c, o, obj, v, kp);
            if (ret)
                return ret;
        }
    }
    return 0;
}

int vsr_opt_read(vsr_opt_ctx *c, const vsr_option *t, void *obj, struct fy_node *map,
                 const char *path)
{
    return read_level(c, t, obj, map, path ? path : "", "", 0);
}

/* ---- --set on a struct ------------------------------------------------------------- */

const vsr_option *vsr_opt_find(const vsr_option *t, const char *name)
{
    for (const vsr_option *o = t; o->name; o++) {
        size_t l = strlen(o->name);
        if (!strcmp(o->name, name))
            return o;
        if (o->type == VSR_OPT_TABLE && !strncmp(o->name, name, l) && name[l] == '.')
            return vsr_opt_find(o->sub, name + l + 1);
    }
    return NULL;
}

/*
 * The entry @p key falls on: a leaf, a TABLE's leaf (@p obj moved into it),
 * or a TREE entry the key lies below (*rest: the part below it). NULL when
 * none; then @p hint gets the nearest known key.
 */
static const vsr_option *set_target(const vsr_option *t, void **obj, const char *key,
                                    const char **rest, char *hint, size_t hcap)
{
    for (const vsr_option *o = t; o->name; o++) {
        size_t l = strlen(o->name);
        if (strncmp(o->name, key, l))
            continue;
        if (!key[l] && o->type != VSR_OPT_TABLE && o->type != VSR_OPT_TREE) {
            *rest = NULL;
            return o;
        }
        if (key[l] == '.' && o->type == VSR_OPT_TREE) {
            *rest = key + l + 1;
            return o;
        }
        if (key[l] == '.' && o->type == VSR_OPT_TABLE) {
            void *sub = (char *)*obj + o->offset;
            const vsr_option *r = set_target(o->sub, &sub, key + l + 1, rest, hint, hcap);
            if (r)
                *obj = sub;
            return r;
        }
    }
    int best = 99;
    for (const vsr_option *o = t; o->name; o++) {
        if (o->type == VSR_OPT_TABLE || o->type == VSR_OPT_TREE)
            continue;
        int d = vsr_edit_distance(key, o->name);
        if (d < best) {
            best = d;
            snprintf(hint, hcap, "%s", o->name);
        }
    }
    if (best > 2)
        hint[0] = '\0';
    return NULL;
}

int vsr_opt_set(vsr_opt_ctx *c, const vsr_option *t, void *obj, const char *arg)
{
    const char *eq;
    char what[PATH_CAP];
    int ret = split_set(c, arg, &eq, what, sizeof(what));
    if (ret < 0)
        return ret;
    char key[PATH_CAP];
    if ((size_t)(eq - arg) >= sizeof(key))
        return set_fail(c, arg, "key too long");
    memcpy(key, arg, (size_t)(eq - arg));
    key[eq - arg] = '\0';
    const char *rest = NULL;
    char hint[PATH_CAP] = "";
    void *dst = obj;
    const vsr_option *o = set_target(t, &dst, key, &rest, hint, sizeof(hint));
    if (!o) {
        if (hint[0])
            return vsr_error_set(c->err, -EINVAL, "--set %s: unknown key (did you mean '%s'?)",
                                 key, hint);
        return vsr_error_set(c->err, -EINVAL, "--set %s: unknown key (see --help)", key);
    }
    /* a document of its own for the value (quiet, as a config's) */
    struct fy_document *doc = vsr_yaml_new_document();
    if (!doc)
        return vsr_opt_oom(c);
    /* the messages name the override: record it as vsr_opt_apply_set does */
    int idx = c->n_sets < VSR_OPT_MAX_SETS ? c->n_sets++ : VSR_OPT_MAX_SETS - 1;
    c->sets[idx] = arg;
    snprintf(c->set_path[idx], PATH_CAP, "%s", key);
    struct fy_node *nv = NULL;
    if (!(ret = set_value(c, doc, arg, eq, what, &nv))) {
        fy_document_set_root(doc, nv);
        if (o->type == VSR_OPT_TREE && !o->tree)
            ret = vsr_opt_fail(c, nv, 0, key, "read by hand: not settable here");
        else if (o->type == VSR_OPT_TREE)
            ret = o->tree(c, o, dst, rest, nv, key);
        else
            ret = read_leaf(c, o, dst, nv, key);
    }
    fy_document_destroy(doc);
    return ret;
}

void vsr_opt_free(const vsr_option *t, void *obj)
{
    for (const vsr_option *o = t; o->name; o++) {
        if (o->type == VSR_OPT_STRING) {
            char **s = field(obj, o);
            free(*s);
            *s = NULL;
        } else if (o->type == VSR_OPT_LIST) {
            char ***a = field(obj, o);
            int *n = (int *)((char *)obj + o->count_offset);
            for (int i = 0; *a && i < *n; i++)
                free((*a)[i]);
            free(*a);
            *a = NULL;
            *n = 0;
        } else if (o->type == VSR_OPT_TABLE) {
            vsr_opt_free(o->sub, field(obj, o));
        }
    }
}

/* ---- help and canonical values ------------------------------------------------------ */

static void full_name(char *out, const char *prefix, const char *name)
{
    join_path(out, prefix, name);
}

void vsr_opt_help(FILE *f, const vsr_option *t, const char *prefix)
{
    for (const vsr_option *o = t; o->name; o++) {
        char name[PATH_CAP], type[160] = "", def[64] = "";
        full_name(name, prefix, o->name);
        switch (o->type) {
        case VSR_OPT_INT:
        case VSR_OPT_LONG:
        case VSR_OPT_DOUBLE:
            expect_text(o, type, sizeof(type));
            if (o->type == VSR_OPT_DOUBLE)
                snprintf(def, sizeof(def), "%g", o->def_d);
            else
                snprintf(def, sizeof(def), "%ld", o->def_i);
            break;
        case VSR_OPT_BOOL:
            snprintf(type, sizeof(type), "true or false");
            snprintf(def, sizeof(def), "%s", o->def_i ? "true" : "false");
            break;
        case VSR_OPT_STRING:
            snprintf(type, sizeof(type), "a string");
            snprintf(def, sizeof(def), "%s", o->def_s ? o->def_s : "");
            break;
        case VSR_OPT_ENUM:
        case VSR_OPT_NAME:
            for (int i = 0; o->names[i]; i++) {
                size_t l = strlen(type);
                snprintf(type + l, sizeof(type) - l, "%s%s", i ? "|" : "one of ", o->names[i]);
            }
            snprintf(def, sizeof(def), "%s",
                     o->type == VSR_OPT_ENUM
                         ? (o->def_i < 0 ? "" : vsr_opt_enum_name(o, (int)o->def_i))
                     : o->def_s ? o->def_s
                                : "");
            break;
        case VSR_OPT_LIST:
            snprintf(type, sizeof(type), "a value or a list");
            break;
        case VSR_OPT_TABLE:
            vsr_opt_help(f, o->sub, name);
            continue;
        case VSR_OPT_TREE:
            snprintf(type, sizeof(type), "%s", o->expect ? o->expect : "a mapping");
            break;
        }
        fprintf(f, "  %-26s %s%s%s%s%s\n", name, type, def[0] ? " (default " : "", def,
                def[0] ? ")" : "", "");
        if (o->help)
            fprintf(f, "  %-26s %s\n", "", o->help);
    }
}

void vsr_opt_write(FILE *f, const vsr_option *t, const void *obj, const char *prefix)
{
    for (const vsr_option *o = t; o->name; o++) {
        char name[PATH_CAP];
        full_name(name, prefix, o->name);
        const void *p = (const char *)obj + o->offset;
        switch (o->type) {
        case VSR_OPT_INT:
            fprintf(f, "%s=%d\n", name, *(const int *)p);
            break;
        case VSR_OPT_LONG:
            fprintf(f, "%s=%ld\n", name, *(const long *)p);
            break;
        case VSR_OPT_DOUBLE:
            fprintf(f, "%s=%.17g\n", name, *(const double *)p);
            break;
        case VSR_OPT_BOOL:
            fprintf(f, "%s=%s\n", name, *(const int *)p ? "true" : "false");
            break;
        case VSR_OPT_STRING:
        case VSR_OPT_NAME: {
            const char *s = *(char *const *)p;
            fprintf(f, "%s=%s\n", name, s ? s : "~");
            break;
        }
        case VSR_OPT_ENUM: {
            const char *s = vsr_opt_enum_name(o, *(const int *)p);
            fprintf(f, "%s=%s\n", name, s ? s : "?");
            break;
        }
        case VSR_OPT_LIST: {
            char *const *a = *(char *const *const *)p;
            int n = *(const int *)((const char *)obj + o->count_offset);
            fprintf(f, "%s=[", name);
            for (int i = 0; i < n; i++)
                fprintf(f, "%s%s", i ? ", " : "", a[i]);
            fprintf(f, "]\n");
            break;
        }
        case VSR_OPT_TABLE:
            vsr_opt_write(f, o->sub, p, name);
            break;
        case VSR_OPT_TREE:
            if (o->put)
                o->put(f, name, o, obj);
            break;
        }
    }
}
