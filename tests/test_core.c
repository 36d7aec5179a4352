#include <string.h>

#include <libfyaml.h>

#include "testutil.h"
#include "vsr/core.h"

static void test_parse_long(void **state)
{
    (void)state;
    vsr_error err = {0};
    long v = 0;
    assert_int_equal(vsr_parse_long("42", 0, 100, &v, "--n", &err), 0);
    assert_int_equal(v, 42);
    assert_int_equal(vsr_parse_long("-7", -10, 10, &v, "--n", &err), 0);
    assert_int_equal(v, -7);
    assert_int_equal(vsr_parse_long("4x", 0, 100, &v, "--n", &err), -EINVAL);
    assert_non_null(strstr(err.msg, "'4x' is not an integer"));
    assert_int_equal(vsr_parse_long("", 0, 100, &v, "--n", &err), -EINVAL);
    assert_int_equal(vsr_parse_long("101", 0, 100, &v, "--n", &err), -EINVAL);
    assert_non_null(strstr(err.msg, "out of range"));
    assert_int_equal(vsr_parse_long("99999999999999999999", 0, 100, &v, "--n", &err), -EINVAL);
}

static void test_parse_list(void **state)
{
    (void)state;
    vsr_error err = {0};
    long v[4];
    int n = 0;
    assert_int_equal(vsr_parse_long_list("0,64,128", 0, 4096, v, 4, &n, "--tiles", &err), 0);
    assert_int_equal(n, 3);
    assert_int_equal(v[2], 128);
    assert_int_equal(vsr_parse_long_list("1,,2", 0, 9, v, 4, &n, "--t", &err), -EINVAL);
    assert_int_equal(vsr_parse_long_list("1,2,3,4,5", 0, 9, v, 4, &n, "--t", &err), -EINVAL);
    double d = 0;
    assert_int_equal(vsr_parse_double("0.25", 0, 1, &d, "x", &err), 0);
    assert_true(d == 0.25);
    assert_int_equal(vsr_parse_double("nan", 0, 1, &d, "x", &err), -EINVAL);
}

static void test_error_wrap(void **state)
{
    (void)state;
    vsr_error err = {0};
    assert_int_equal(vsr_error_set(&err, -ENOENT, "%s: no such file", "a.png"), -ENOENT);
    assert_int_equal(vsr_error_wrap(&err, -EIO, "clip %s", "walk"), -ENOENT);
    assert_string_equal(err.msg, "clip walk: a.png: no such file");
    assert_int_equal(vsr_error_set(NULL, -EIO, "dropped"), -EIO);
}

static void test_frame_view(void **state)
{
    (void)state;
    vsr_frame f, v, c;
    vsr_error err = {0};
    assert_int_equal(vsr_frame_alloc(&f, 5, 4, 3, &err), 0);
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 15; x++)
            vsr_frame_row(&f, y)[x] = (uint8_t)(y * 15 + x);
    assert_int_equal(vsr_frame_view(&v, &f, 1, 2, 3, 2, &err), 0);
    assert_int_equal(vsr_frame_row(&v, 1)[0], 3 * 15 + 3);
    assert_int_equal(vsr_frame_view(&v, &f, 3, 0, 3, 1, &err), -EINVAL);
    assert_int_equal(vsr_frame_view(&v, &f, 1, 2, 3, 2, &err), 0);
    assert_int_equal(vsr_frame_copy(&c, &v, &err), 0);
    assert_int_equal(c.stride, 9);
    assert_int_equal(vsr_frame_row(&c, 1)[8], 3 * 15 + 11);
    assert_int_equal(vsr_frame_alloc(&v, 0, 4, 3, &err), -EINVAL);
    vsr_frame_free(&c);
    vsr_frame_free(&f);
}

/*
 * vsr_yaml_guard: expect @p want (e.g. "t.yaml:2:4: ") and @p why in the
 * one-line error, or success when @p want is NULL. The byte classes come
 * from RFC 3629 section 4 (the UTF8-octets grammar) and Unicode 15 table
 * 3-7: C0/C1 and E0 80..9F, F0 80..8F are overlong, ED A0..BF are UTF-16
 * surrogates, F4 90.. and F5..FF are above U+10FFFF.
 */
static void guard_case(const char *text, size_t len, const char *want, const char *why)
{
    vsr_error err = {0};
    int rc = vsr_yaml_guard("t.yaml", text, len, &err);
    if (!want) {
        assert_int_equal(rc, 0);
        return;
    }
    assert_int_equal(rc, -EINVAL);
    assert_non_null(strstr(err.msg, want));
    assert_non_null(strstr(err.msg, why));
    assert_null(strchr(err.msg, '\n'));
}
#define GUARD(text, want, why) guard_case(text, sizeof(text) - 1, want, why)

static void test_yaml_guard_utf8(void **state)
{
    (void)state;
    /* e-acute (2 bytes), CJK (3), emoji (4), U+10FFFF (the last code point), BOM */
    GUARD("name: caf\xC3\xA9\nja: \xE6\x97\xA5\xE6\x9C\xAC\nemoji: \xF0\x9F\x98\x80\n", NULL,
          "");
    GUARD("max: \xF4\x8F\xBF\xBF\n", NULL, "");
    GUARD("\xEF\xBB\xBF" "a: 1\n", NULL, "");
    GUARD("a: \xED\x9F\xBF\n", NULL, ""); /* U+D7FF, just below the surrogates */
    /* overlong forms of '/' (U+002F) in 2, 3 and 4 bytes */
    GUARD("a: 1\nb: \xC0\xAF\n", "t.yaml:2:4: ", "overlong");
    GUARD("x\n\ny: \xE0\x80\xAF\n", "t.yaml:3:4: ", "overlong");
    GUARD("\xF0\x80\x80\xAF", "t.yaml:1:1: ", "overlong");
    /* U+D800 */
    GUARD("a: \xED\xA0\x80\n", "t.yaml:1:4: ", "surrogate");
    /* U+110000 and a byte that never occurs */
    GUARD("a: \xF4\x90\x80\x80\n", "t.yaml:1:4: ", "above U+10FFFF");
    GUARD("a: \xF5\x80\x80\x80\n", "t.yaml:1:4: ", "never starts");
    /* truncated at the end of the text and before an ASCII byte */
    GUARD("a: \xE6\x97", "t.yaml:1:4: ", "truncated");
    GUARD("a: 1\nb: \xE6\x97" "b\n", "t.yaml:2:4: ", "truncated");
    /* stray continuation bytes; columns count characters, not bytes */
    GUARD("a: \x80\n", "t.yaml:1:4: ", "continuation byte");
    GUARD("\xC3\xA9: \xBF\n", "t.yaml:1:4: ", "continuation byte");
}

static void test_yaml_guard_lines(void **state)
{
    (void)state;
    /* the 3-byte file that hung libfyaml 0.7.12 */
    GUARD("%\xA1\n", "t.yaml:1:1: ", "directive");
    GUARD("a: 1\n%YAML 1.2\n---\n", "t.yaml:2:1: ", "directive");
    GUARD("\xEF\xBB\xBF%TAG ! tag:x:\n", "t.yaml:1:1: ", "directive");
    /* '%' not at the start of a line is text */
    GUARD("a: |\n  %not a directive\nb: 50%\n", NULL, "");
    GUARD("a: 1\nb:\0\n", "t.yaml:2:3: ", "NUL");
    vsr_error err = {0};
    assert_int_equal(vsr_yaml_guard("t.yaml", "a", VSR_TEXT_FILE_MAX + 1, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "larger than 64 MiB"));
}

/* vsr_yaml_parse: a document, or the guard's / libfyaml's error in one line. */
static void test_yaml_parse(void **state)
{
    (void)state;
    vsr_error err = {0};
    struct fy_document *doc = NULL;
    const char ok[] = "a: \"x\"\n";
    assert_int_equal(vsr_yaml_parse("t.yaml", ok, sizeof(ok) - 1, &doc, &err), 0);
    assert_non_null(doc);
    fy_document_destroy(doc);
    const char bad[] = "a: 1\nb: \"x\n";
    assert_int_equal(vsr_yaml_parse("t.yaml", bad, sizeof(bad) - 1, &doc, &err), -EINVAL);
    assert_null(doc);
    /* the opening quote is on line 2, column 4 */
    assert_non_null(strstr(err.msg, "t.yaml:2:"));
    assert_non_null(strstr(err.msg, "YAML syntax error"));
    assert_null(strchr(err.msg, '\n'));
    assert_int_equal(vsr_yaml_parse("t.yaml", "%\xA1\n", 3, &doc, &err), -EINVAL);
    assert_null(doc);
    assert_non_null(strstr(err.msg, "t.yaml:1:1: "));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_long),      cmocka_unit_test(test_parse_list),
        cmocka_unit_test(test_error_wrap),      cmocka_unit_test(test_frame_view),
        cmocka_unit_test(test_yaml_guard_utf8), cmocka_unit_test(test_yaml_guard_lines),
        cmocka_unit_test(test_yaml_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
