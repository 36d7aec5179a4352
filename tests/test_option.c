/*
 * Option tables (core/option.c, include/vsr/option.h) on a hand-made table:
 * defaults, reading YAML, --set on the struct and on the tree, enums with
 * aliases, range errors, "did you mean", a callback sub-tree, --help text
 * and the canonical values. Every expected string is written out here from
 * the documented formats, not produced by the code under test.
 */
#include "testutil.h"

#include <errno.h>
#include <libfyaml.h>

#include "vsr/option.h"

typedef struct demo {
    int n;
    long seed;
    double lr;
    int flag;
    char *name;
    int mode;
    char **tags;
    int n_tags;
    struct {
        int depth;
    } sub;
    /* what the hp callback saw */
    int hp_calls;
    char hp_last[64];
} demo;

static const char *const modes[] = {"fast", "slow", "exact", NULL};
static const vsr_opt_alias mode_aliases[] = {{"quick", 0}, {NULL, 0}};

typedef struct subs {
    int depth;
} subs;
static const vsr_option sub_table[] = {
    VSR_OPT_I("depth", subs, depth, 2, 1, 8, "levels"),
    {.name = NULL},
};

/* The TREE callback: counts and remembers the last key (or "map" for a mapping). */
static int hp_read(vsr_opt_ctx *c, const vsr_option *o, void *obj, const char *key,
                   struct fy_node *n, const char *path)
{
    (void)c, (void)o, (void)path;
    demo *d = obj;
    d->hp_calls++;
    if (key)
        snprintf(d->hp_last, sizeof(d->hp_last), "%s=%s", key, fy_node_get_scalar0(n));
    else
        snprintf(d->hp_last, sizeof(d->hp_last), "map:%d", fy_node_mapping_item_count(n));
    return 0;
}

static const vsr_option table[] = {
    VSR_OPT_I("n", demo, n, 3, 1, 10, "how many"),
    {.name = "seed",
     .type = VSR_OPT_LONG,
     .offset = offsetof(demo, seed),
     .min = 0,
     .max = 1000,
     .expect = "a small seed"},
    VSR_OPT_D("opt.lr", demo, lr, 0.5, 0, 1, "learning rate"),
    VSR_OPT_B("flag", demo, flag, 1, NULL),
    VSR_OPT_S("name", demo, name, "x", NULL),
    {.name = "mode",
     .type = VSR_OPT_ENUM,
     .offset = offsetof(demo, mode),
     .def_i = 1,
     .names = modes,
     .aliases = mode_aliases},
    {.name = "tags",
     .type = VSR_OPT_LIST,
     .offset = offsetof(demo, tags),
     .count_offset = offsetof(demo, n_tags)},
    {.name = "sub", .type = VSR_OPT_TABLE, .offset = offsetof(demo, sub), .sub = sub_table},
    {.name = "hp", .type = VSR_OPT_TREE, .tree = hp_read},
    {.name = NULL},
};

/* Load @p yaml (named "cfg") into *d after defaults; 0 or the error. */
static int load(const char *yaml, const char *const *sets, int n_sets, demo *d, vsr_error *err)
{
    memset(d, 0, sizeof(*d));
    vsr_opt_ctx c;
    vsr_opt_ctx_init(&c, "cfg", err);
    int ret = vsr_opt_defaults(&c, table, d);
    if (ret)
        return ret;
    struct fy_document *doc = NULL;
    if ((ret = vsr_yaml_parse("cfg", yaml, strlen(yaml), &doc, err)))
        return ret;
    ret = vsr_opt_read(&c, table, d, fy_document_root(doc), "");
    fy_document_destroy(doc);
    for (int i = 0; !ret && i < n_sets; i++)
        ret = vsr_opt_set(&c, table, d, sets[i]);
    return ret;
}

static void test_defaults(void **state)
{
    (void)state;
    demo d;
    vsr_error err = {0};
    assert_int_equal(load("{}\n", NULL, 0, &d, &err), 0);
    /* the defaults of the table above */
    assert_int_equal(d.n, 3);
    assert_int_equal(d.seed, 0);
    assert_true(d.lr == 0.5);
    assert_int_equal(d.flag, 1);
    assert_string_equal(d.name, "x");
    assert_int_equal(d.mode, 1);
    assert_null(d.tags);
    assert_int_equal(d.n_tags, 0);
    assert_int_equal(d.sub.depth, 2);
    assert_int_equal(d.hp_calls, 0);
    vsr_opt_free(table, &d);
    assert_null(d.name);
}

static void test_yaml(void **state)
{
    (void)state;
    demo d;
    vsr_error err = {0};
    const char *yaml = "n: 7\nseed: 42\nopt: {lr: 0.25}\nname: hi\nmode: EXACT\nflag: off\n"
                       "tags: [a, b]\nsub: {depth: 5}\nhp: {k: 1, j: 2}\n";
    assert_int_equal(load(yaml, NULL, 0, &d, &err), 0);
    assert_int_equal(d.n, 7);
    assert_int_equal(d.seed, 42);
    assert_true(d.lr == 0.25);
    assert_int_equal(d.flag, 0);
    assert_string_equal(d.name, "hi");
    assert_int_equal(d.mode, 2); /* exact, any case */
    assert_int_equal(d.n_tags, 2);
    assert_string_equal(d.tags[0], "a");
    assert_string_equal(d.tags[1], "b");
    assert_int_equal(d.sub.depth, 5);
    assert_int_equal(d.hp_calls, 1);
    assert_string_equal(d.hp_last, "map:2");
    vsr_opt_free(table, &d);
    /* a dotted key in the file is the same key ("model.hparams: {...}" beside
     * "model: NAME" reaches a TREE entry so) */
    assert_int_equal(load("opt.lr: 0.75\n", NULL, 0, &d, &err), 0);
    assert_true(d.lr == 0.75);
    vsr_opt_free(table, &d);
    /* a scalar is a list of one; null is the default */
    assert_int_equal(load("tags: solo\nname: ~\nn: null\n", NULL, 0, &d, &err), 0);
    assert_int_equal(d.n_tags, 1);
    assert_string_equal(d.tags[0], "solo");
    assert_string_equal(d.name, "x");
    assert_int_equal(d.n, 3);
    vsr_opt_free(table, &d);
}

static void test_set(void **state)
{
    (void)state;
    demo d;
    vsr_error err = {0};
    const char *sets[] = {"n=9",         "opt.lr=1e-1", "name='q r'", "mode=quick",
                          "sub.depth=8", "hp.num=24",   "flag=yes"};
    assert_int_equal(load("n: 4\nname: hi\n", sets, 7, &d, &err), 0);
    assert_int_equal(d.n, 9);
    assert_true(d.lr == 0.1);
    assert_string_equal(d.name, "q r"); /* a YAML value: the quotes go */
    assert_int_equal(d.mode, 0);        /* quick is an alias of fast */
    assert_int_equal(d.sub.depth, 8);
    assert_int_equal(d.flag, 1);
    assert_int_equal(d.hp_calls, 1);
    assert_string_equal(d.hp_last, "num=24");
    vsr_opt_free(table, &d);
    const char *clear[] = {"name=~"};
    assert_int_equal(load("name: hi\n", clear, 1, &d, &err), 0);
    assert_string_equal(d.name, "x");
    vsr_opt_free(table, &d);
}

/* Load that must fail with exactly @p want. */
static void expect_error(const char *yaml, const char *set, const char *want)
{
    demo d;
    vsr_error err = {0};
    const char *sets[] = {set};
    int ret = load(yaml, sets, set ? 1 : 0, &d, &err);
    vsr_opt_free(table, &d);
    if (ret != -EINVAL || strcmp(err.msg, want))
        fail_msg("got %d '%s', want '%s'", ret, err.msg, want);
}

static void test_errors(void **state)
{
    (void)state;
    /* yaml, --set, the error: */
    static const struct {
        const char *yaml, *set, *want;
    } cases[] = {
        /* ranges, in the file and from --set */
        {"name: a\nn: 0\n", NULL, "cfg:2: n: expected an integer in [1, 10], got '0'"},
        {"{}\n", "n=11", "--set n=11: n: expected an integer in [1, 10], got '11'"},
        {"opt:\n  lr: 2\n", NULL, "cfg:2: opt.lr: expected a number in [0, 1], got '2'"},
        {"seed: -1\n", NULL, "cfg:1: seed: expected a small seed, got '-1'"},
        {"n: [1, 2]\n", NULL, "cfg:1: n: expected an integer in [1, 10], got a list"},
        {"flag: maybe\n", NULL, "cfg:1: flag: expected true or false, got 'maybe'"},
        /* enums */
        {"mode: turbo\n", NULL, "cfg:1: mode: 'turbo' is not one of fast, slow, exact"},
        {"{}\n", "mode=turbo",
         "--set mode=turbo: mode: 'turbo' is not one of fast, slow, exact"},
        /* unknown keys: the nearest name within 2 edits, else the names known there */
        {"n: 2\nopt: {rl: 1}\n", NULL, "cfg:2: opt.rl: unknown key (did you mean 'lr'?)"},
        {"nme: a\n", NULL, "cfg:1: nme: unknown key (did you mean 'name'?)"},
        {"zzzzzz: 1\n", NULL,
         "cfg:1: zzzzzz: unknown key (known here: n seed opt flag name mode tags sub "
         "hp)"},
        {"sub: {dpeth: 1}\n", NULL, "cfg:1: sub.dpeth: unknown key (did you mean 'depth'?)"},
        {"{}\n", "nmae=3", "--set nmae: unknown key (did you mean 'name'?)"},
        {"{}\n", "opt.rl=3", "--set opt.rl: unknown key (did you mean 'opt.lr'?)"},
        {"{}\n", "qqqqqq=3", "--set qqqqqq: unknown key (see --help)"},
        /* the --set value is YAML, checked as the file is */
        {"{}\n", "n", "--set n: expected key.path=value (e.g. timing.warmup=2)"},
        {"{}\n", "name=", "--set name=: empty value; write key=~ to clear a key"},
        {"{}\n", "name=[a", "--set name=[a: the value is not valid YAML"},
        {"{}\n", "opt={lr: 1}", "--set opt: unknown key (see --help)"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_error(cases[i].yaml, cases[i].set, cases[i].want);
}

/* vsr_opt_apply_set on the tree, then a table read: the error names the override. */
static void test_apply_set(void **state)
{
    (void)state;
    vsr_error err = {0};
    const char *yaml = "n: 2\nopt: {lr: 0.1}\n";
    struct fy_document *doc = NULL;
    assert_int_equal(vsr_yaml_parse("cfg", yaml, strlen(yaml), &doc, &err), 0);
    vsr_opt_ctx c;
    vsr_opt_ctx_init(&c, "cfg", &err);
    assert_int_equal(vsr_opt_apply_set(&c, doc, "opt.lr=0.75"), 0);
    assert_int_equal(vsr_opt_apply_set(&c, doc, "sub.depth=4"), 0); /* a new mapping */
    demo d;
    memset(&d, 0, sizeof(d));
    assert_int_equal(vsr_opt_defaults(&c, table, &d), 0);
    assert_int_equal(vsr_opt_read(&c, table, &d, fy_document_root(doc), ""), 0);
    assert_true(d.lr == 0.75);
    assert_int_equal(d.sub.depth, 4);
    assert_int_equal(d.n, 2);
    assert_int_equal(vsr_opt_apply_set(&c, doc, "n=x"), 0);
    assert_int_equal(vsr_opt_read(&c, table, &d, fy_document_root(doc), ""), -EINVAL);
    assert_string_equal(err.msg, "--set n=x: n: expected an integer in [1, 10], got 'x'");
    assert_int_equal(vsr_opt_apply_set(&c, doc, "n.m=1"), -EINVAL);
    assert_string_equal(err.msg, "--set n.m=1: n is a single value, not a mapping or list");
    vsr_opt_free(table, &d);
    fy_document_destroy(doc);
}

static char *capture(int help, const demo *d)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    if (help)
        vsr_opt_help(f, table, NULL);
    else
        vsr_opt_write(f, table, d, "run");
    fclose(f);
    return buf;
}

static void test_help_and_write(void **state)
{
    (void)state;
    char *help = capture(1, NULL);
    /* "  %-26s %s (default %s)" then the help line indented to the same column */
    const char *want = "  n                          an integer in [1, 10] (default 3)\n"
                       "                             how many\n"
                       "  seed                       a small seed (default 0)\n"
                       "  opt.lr                     a number in [0, 1] (default 0.5)\n"
                       "                             learning rate\n"
                       "  flag                       true or false (default true)\n"
                       "  name                       a string (default x)\n"
                       "  mode                       one of fast|slow|exact (default slow)\n"
                       "  tags                       a value or a list\n"
                       "  sub.depth                  an integer in [1, 8] (default 2)\n"
                       "                             levels\n"
                       "  hp                         a mapping\n";
    assert_string_equal(help, want);
    free(help);
    demo d;
    vsr_error err = {0};
    assert_int_equal(load("tags: [a, b]\nopt: {lr: 0.1}\n", NULL, 0, &d, &err), 0);
    char *vals = capture(0, &d);
    /* 0.1 with %.17g is 0.10000000000000001 */
    assert_string_equal(vals, "run.n=3\nrun.seed=0\nrun.opt.lr=0.10000000000000001\n"
                              "run.flag=true\nrun.name=x\nrun.mode=slow\nrun.tags=[a, b]\n"
                              "run.sub.depth=2\n");
    free(vals);
    vsr_opt_free(table, &d);
}

/* vsr_opt_check_keys, for mappings read by hand */
static void test_check_keys(void **state)
{
    (void)state;
    vsr_error err = {0};
    const char *yaml = "a: 1\nwarmpu: 2\n";
    struct fy_document *doc = NULL;
    assert_int_equal(vsr_yaml_parse("cfg", yaml, strlen(yaml), &doc, &err), 0);
    vsr_opt_ctx c;
    vsr_opt_ctx_init(&c, "cfg", &err);
    static const char *const keys[] = {"a", "warmup", NULL};
    assert_int_equal(vsr_opt_check_keys(&c, fy_document_root(doc), "timing", keys), -EINVAL);
    assert_string_equal(err.msg, "cfg:2: timing.warmpu: unknown key (did you mean 'warmup'?)");
    static const char *const few[] = {"b", NULL};
    assert_int_equal(vsr_opt_check_keys(&c, fy_document_root(doc), "", few), -EINVAL);
    assert_string_equal(err.msg, "cfg:1: a: unknown key (did you mean 'b'?)");
    fy_document_destroy(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),   cmocka_unit_test(test_yaml),
        cmocka_unit_test(test_set),        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_apply_set),  cmocka_unit_test(test_help_and_write),
        cmocka_unit_test(test_check_keys),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
