/*
 * option.h: option tables, in the spirit of libvmaf's VmafOption and
 * FFmpeg's AVOption. A table lists the keys of a config struct once: name
 * (a dotted path), type, offset into the struct, default, range or enum
 * names, help. From it the library sets defaults, reads a YAML mapping
 * (libfyaml, unknown keys rejected with "did you mean"), applies `--set
 * key.path=value` overrides (the value is YAML, as in the config file),
 * prints --help text and writes the resolved values for the run log.
 *
 * Every config reader shares one error style (vsr_opt_fail): a value from
 * the file is "<file>:<line>: <key path>: <message>", a value an override
 * put there is "--set <arg>: <key path>: <message>". Key paths are dotted,
 * with list indexes in brackets ("datasets[0].type").
 *
 * Sub-trees: an entry of type VSR_OPT_TABLE reads a mapping with another
 * table into a struct at its offset; an entry of type VSR_OPT_TREE hands its
 * mapping (or, for --set, one of its keys) to a callback, for keys the
 * table cannot list in advance (a model family's hyperparameters).
 *
 * Strings are copied into vsr_opt_ctx.alloc's memory when set (an arena:
 * the owner frees it all at once), else with malloc(): then vsr_opt_free()
 * frees them. A struct is zeroed before vsr_opt_defaults(). No global state.
 */
#ifndef VSR_OPTION_H
#define VSR_OPTION_H

#include <stddef.h>
#include <stdio.h>

#include "vsr/core.h"

#ifdef __cplusplus
extern "C" {
#endif

struct fy_node;
struct fy_document;

typedef enum vsr_opt_type {
    VSR_OPT_INT = 1, /**< int, in [min, max] */
    VSR_OPT_LONG,    /**< long, in [min, max] */
    VSR_OPT_DOUBLE,  /**< double, finite, in [min, max] */
    VSR_OPT_BOOL,    /**< int 0/1: true/false, yes/no, on/off, 1/0 (any case) */
    VSR_OPT_STRING,  /**< char * (NULL when null and no default) */
    /** int (or an enum): the index of the name in .names (any case), or .values[index] */
    VSR_OPT_ENUM,
    /** const char *: the name in .names (its spelling there) for an enum kept by name;
     * default .def_s (not copied), NULL for none */
    VSR_OPT_NAME,
    VSR_OPT_LIST,  /**< char ** of strings, count (int) at .count_offset; a scalar is one */
    VSR_OPT_TABLE, /**< a mapping read with .sub into the struct at the offset */
    /** a sub-tree handed to .tree (keys not known in advance); .tree NULL: a key the
     * caller reads by hand (vsr_opt_read only accepts it; .expect names it in --help) */
    VSR_OPT_TREE,
} vsr_opt_type;

/** Another spelling of an enum value ("mse" for l2). */
typedef struct vsr_opt_alias {
    const char *name;
    int value;
} vsr_opt_alias;

typedef struct vsr_opt_ctx vsr_opt_ctx;
typedef struct vsr_option vsr_option;

/**
 * The reader of a VSR_OPT_TREE entry @p o: @p n is its mapping (@p key
 * NULL) or, from vsr_opt_set(), the value of the one key @p key below it
 * ("num_feat" for --set model.hparams.num_feat=24); @p path names it in
 * messages (vsr_opt_fail). @p obj is the struct the table describes.
 * Returns 0 or a negative errno with c->err set.
 */
typedef int (*vsr_opt_tree_fn)(vsr_opt_ctx *c, const vsr_option *o, void *obj, const char *key,
                               struct fy_node *n, const char *path);
/** Writes a VSR_OPT_TREE entry's resolved values ("PREFIX.key=value" lines). */
typedef void (*vsr_opt_put_fn)(FILE *f, const char *prefix, const vsr_option *o,
                               const void *obj);

struct vsr_option {
    const char *name; /**< dotted path below the table's mapping ("optimizer.lr") */
    vsr_opt_type type;
    size_t offset;                /**< of the value in the struct (offsetof) */
    const char *help;             /**< one line for --help */
    long def_i;                   /**< default of INT, LONG, BOOL, ENUM (an index) */
    double def_d;                 /**< default of DOUBLE */
    const char *def_s;            /**< default of STRING (copied), NULL for none */
    double min, max;              /**< INT, LONG, DOUBLE: the inclusive range */
    const char *const *names;     /**< ENUM: NULL-terminated; value = index */
    const vsr_opt_alias *aliases; /**< ENUM: more spellings, ended by {NULL} (value: the
                                       stored value) */
    /** ENUM: the value stored for names[i] (NULL: i), so the names can be listed in
     *  the order messages show while the field holds a library enum; def_i is a value
     *  (-1: none, a required key the caller checks; --help shows no default) */
    const int *values;
    /** Replaces the generated "an integer in [min, max]" in messages. */
    const char *expect;
    size_t count_offset;   /**< LIST: of the int count */
    const vsr_option *sub; /**< TABLE: the table of the sub-struct */
    vsr_opt_tree_fn tree;  /**< TREE: the reader */
    vsr_opt_put_fn put;    /**< TREE: the writer for vsr_opt_write (NULL: none) */
};

/* Table rows; T is the struct type, F the field. A table ends with {.name = NULL}
 * (designated: clang warns about a positional {NULL}). */
#define VSR_OPT_I(N, T, F, DEF, MIN, MAX, HELP)                                                \
    {                                                                                          \
        .name = N, .type = VSR_OPT_INT, .offset = offsetof(T, F), .help = HELP, .def_i = DEF,  \
        .min = MIN, .max = MAX                                                                 \
    }
#define VSR_OPT_L(N, T, F, DEF, MIN, MAX, HELP)                                                \
    {                                                                                          \
        .name = N, .type = VSR_OPT_LONG, .offset = offsetof(T, F), .help = HELP, .def_i = DEF, \
        .min = MIN, .max = MAX                                                                 \
    }
#define VSR_OPT_D(N, T, F, DEF, MIN, MAX, HELP)                                                \
    {                                                                                          \
        .name = N, .type = VSR_OPT_DOUBLE, .offset = offsetof(T, F), .help = HELP,             \
        .def_d = DEF, .min = MIN, .max = MAX                                                   \
    }
#define VSR_OPT_B(N, T, F, DEF, HELP)                                                          \
    {                                                                                          \
        .name = N, .type = VSR_OPT_BOOL, .offset = offsetof(T, F), .help = HELP, .def_i = DEF  \
    }
#define VSR_OPT_S(N, T, F, DEF, HELP)                                                          \
    {                                                                                          \
        .name = N, .type = VSR_OPT_STRING, .offset = offsetof(T, F), .help = HELP,             \
        .def_s = DEF                                                                           \
    }
#define VSR_OPT_N(N, T, F, DEF, NAMES, HELP)                                                   \
    {                                                                                          \
        .name = N, .type = VSR_OPT_NAME, .offset = offsetof(T, F), .help = HELP, .def_s = DEF, \
        .names = NAMES                                                                         \
    }
/* a key read by hand: accepted by vsr_opt_read, described by WHAT in --help */
#define VSR_OPT_HAND(N, WHAT, HELP)                                                            \
    {                                                                                          \
        .name = N, .type = VSR_OPT_TREE, .expect = WHAT, .help = HELP                          \
    }
#define VSR_OPT_E(N, T, F, DEF, NAMES, HELP)                                                   \
    {                                                                                          \
        .name = N, .type = VSR_OPT_ENUM, .offset = offsetof(T, F), .help = HELP, .def_i = DEF, \
        .names = NAMES                                                                         \
    }

/* an enum whose stored values are VALS[i] for NAMES[i] (DEF a value) */
#define VSR_OPT_EV(N, T, F, DEF, NAMES, VALS, HELP)                                            \
    {                                                                                          \
        .name = N, .type = VSR_OPT_ENUM, .offset = offsetof(T, F), .help = HELP, .def_i = DEF, \
        .names = NAMES, .values = VALS                                                         \
    }

/** The name of value @p v of ENUM entry @p o (its first spelling), NULL when none. */
const char *vsr_opt_enum_name(const vsr_option *o, int v);

/** The most --set overrides one load takes. */
#define VSR_OPT_MAX_SETS 64
/** Key paths longer than this are cut (they only name things in messages). */
#define VSR_OPT_PATH_CAP 192

/**
 * The state of one load: where values come from, for messages. Set up with
 * vsr_opt_ctx_init(); the caller may set alloc/ud afterwards.
 */
struct vsr_opt_ctx {
    const char *file; /**< the config's name in messages */
    vsr_error *err;
    /**
     * @p n zeroed bytes that live as long as the config (an arena), or NULL
     * when out of memory. NULL: strings and lists are malloc()ed, and
     * vsr_opt_free() frees them.
     */
    void *(*alloc)(void *ud, size_t n);
    void *ud;
    int n_sets;                         /**< the overrides applied to the tree so far */
    const char *sets[VSR_OPT_MAX_SETS]; /**< the raw arguments (borrowed) */
    char set_path[VSR_OPT_MAX_SETS][VSR_OPT_PATH_CAP]; /**< their key paths */
    int last_line; /**< line of the last key looked up (vsr_opt_lookup) */
};

void vsr_opt_ctx_init(vsr_opt_ctx *c, const char *file, vsr_error *err);

/**
 * Fail (-EINVAL) with "--set ARG: PATH: MSG" when an override put @p path
 * there, else "FILE:LINE: PATH: MSG": LINE is @p line when > 0, else the
 * line of @p n, else the line of the last key looked up.
 */
int vsr_opt_fail(vsr_opt_ctx *c, struct fy_node *n, int line, const char *path, const char *fmt,
                 ...) VSR_PRINTF(5, 6);
/** -ENOMEM, "FILE: out of memory reading the config". */
int vsr_opt_oom(vsr_opt_ctx *c);
/** 1-based line of a node: its scalar, else its first key or item; 0 unknown. */
int vsr_opt_node_line(struct fy_node *n);
/** "a scalar", "a list", "a mapping": for "expected X, got Y". */
const char *vsr_opt_node_kind(struct fy_node *n);
/** 1 when @p n is NULL or a YAML null: empty, ~, null, Null, NULL (plain, not quoted). */
int vsr_opt_is_null(struct fy_node *n);
/**
 * The value of @p key in mapping @p map, NULL when absent or null;
 * remembers the key's line (c->last_line) for messages about the value.
 */
struct fy_node *vsr_opt_lookup(vsr_opt_ctx *c, struct fy_node *map, const char *key);
/**
 * Every key of mapping @p map (at @p path) must be in @p allowed
 * (NULL-terminated): else "PATH.KEY: unknown key (did you mean 'X'?)" when
 * one is at most 2 edits away, else "... (known here: a b c)".
 */
int vsr_opt_check_keys(vsr_opt_ctx *c, struct fy_node *map, const char *path,
                       const char *const *allowed);

/**
 * Apply the override @p arg ("key.path=value", the value YAML) to @p doc,
 * creating missing mappings; list items are addressed by index
 * ("datasets.0.frames=2"). Records @p arg and its key path in @p c, so
 * later messages about that path name the override. Errors start with
 * "--set ARG: ".
 */
int vsr_opt_apply_set(vsr_opt_ctx *c, struct fy_document *doc, const char *arg);

/** Set every entry of @p t in @p obj to its default. 0 or -ENOMEM. */
int vsr_opt_defaults(vsr_opt_ctx *c, const vsr_option *t, void *obj);
/**
 * Read mapping @p map (NULL: nothing) at key path @p path ("" for the
 * root) into @p obj: every key must be an entry of @p t or a step of an
 * entry's dotted name; a null value sets the default.
 */
int vsr_opt_read(vsr_opt_ctx *c, const vsr_option *t, void *obj, struct fy_node *map,
                 const char *path);
/**
 * Read the one value @p n (at @p path) as entry @p o of a table over
 * @p obj (null: the default): for values a caller walks to by hand (list
 * items), read with a table's types and messages. Not for TABLE or TREE.
 */
int vsr_opt_read_value(vsr_opt_ctx *c, const vsr_option *o, void *obj, struct fy_node *n,
                       const char *path);
/**
 * Apply "key.path=value" to @p obj directly (a flat table without lists):
 * the value is parsed as YAML, as vsr_opt_apply_set does. An unknown key is
 * "--set KEY: unknown key (did you mean 'X'?)"; a bad value
 * "--set ARG: KEY: ...".
 */
int vsr_opt_set(vsr_opt_ctx *c, const vsr_option *t, void *obj, const char *arg);
/** The entry of @p t named @p name (dotted, through TABLE entries), or NULL. */
const vsr_option *vsr_opt_find(const vsr_option *t, const char *name);
/** Free the malloc()ed strings and lists of @p obj (vsr_opt_ctx.alloc NULL). */
void vsr_opt_free(const vsr_option *t, void *obj);

/**
 * The --help text of @p t: one line per key, "  KEY  TYPE (default D)  HELP",
 * keys prefixed with @p prefix (NULL: none).
 */
void vsr_opt_help(FILE *f, const vsr_option *t, const char *prefix);
/**
 * The resolved values of @p obj, one "KEY=VALUE" line per entry in table
 * order (strings as is, null as ~, enums by name, doubles with %.17g):
 * the canonical config for the run log.
 */
void vsr_opt_write(FILE *f, const vsr_option *t, const void *obj, const char *prefix);

#ifdef __cplusplus
}
#endif
#endif /* VSR_OPTION_H */
