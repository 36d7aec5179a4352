/*
 * Tune scores (bench/score.c): the expression evaluator on expressions
 * worked out by hand in the comments, its one-line errors, the presets on
 * hand-made rows, and the ranking.
 */
#include <math.h>
#include <string.h>

#include "testutil.h"
#include "vsr/bench.h"

/* parse + evaluate @p spec on @p cols (NULL: all columns NaN) */
static double ev(const char *spec, const double *cols)
{
    vsr_score s;
    vsr_error err = {0};
    double nan_cols[VSR_SCORE_NCOLS], v = 0;
    for (int i = 0; i < VSR_SCORE_NCOLS; i++)
        nan_cols[i] = NAN;
    if (vsr_score_parse(spec, &s, &err))
        fail_msg("%s: %s", spec, err.msg);
    assert_int_equal(vsr_score_eval(&s, cols ? cols : nan_cols, &v, &err), 0);
    return v;
}

static void test_arithmetic(void **state)
{
    (void)state;
    assert_float_equal(ev("1 + 2 * 3", NULL), 7.0, 0);   /* * before + */
    assert_float_equal(ev("(1 + 2) * 3", NULL), 9.0, 0); /* parentheses */
    assert_float_equal(ev("10 - 4 - 3", NULL), 3.0, 0);  /* left-assoc.: (10-4)-3 */
    assert_float_equal(ev("8 / 4 / 2", NULL), 1.0, 0);   /* (8/4)/2 */
    assert_float_equal(ev("2^3^2", NULL), 512.0, 0);     /* right-assoc.: 2^(3^2) */
    assert_float_equal(ev("-2^2", NULL), -4.0, 0);       /* -(2^2), as in maths */
    assert_float_equal(ev("2^-1", NULL), 0.5, 0);
    assert_float_equal(ev("--3", NULL), 3.0, 0);
    assert_float_equal(ev("1.5e1 + .5", NULL), 15.5, 0);
    assert_float_equal(ev("log10(1000)", NULL), 3.0, 1e-15);
    /* sqrt 16 = 4, min = 1, max = 5: 4 + 1 - 5 */
    assert_float_equal(ev("sqrt(16) + min(3, 1, 2) - max(4, 5)", NULL), 0.0, 0);
    assert_true(isnan(ev("sqrt(-1)", NULL)));
    assert_true(isinf(ev("1 / 0", NULL)));
}

static void test_columns(void **state)
{
    (void)state;
    double c[VSR_SCORE_NCOLS];
    for (int i = 0; i < VSR_SCORE_NCOLS; i++)
        c[i] = i + 1; /* psnr 1, ssim 2, niqe 3, gmsd 4, ms 5, params 6, macs 7, size_kb 8 */
    /* 1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 = 36 */
    assert_float_equal(ev("psnr+ssim+niqe+gmsd+ms+params+macs+size_kb", c), 36.0, 0);
    assert_float_equal(ev("max(psnr, ms) * size_kb", c), 40.0, 0); /* 5 * 8 */
    /* a column not measured (NaN) makes the score NaN, also through min/max */
    c[VSR_SCORE_NIQE] = NAN;
    assert_true(isnan(ev("psnr + niqe", c)));
    assert_true(isnan(ev("min(niqe, 1)", c)));
    assert_float_equal(ev("psnr / ms", c), 0.2, 1e-15); /* unaffected */
    vsr_score s;
    vsr_error err = {0};
    assert_int_equal(vsr_score_parse("psnr / ms + log10(macs)", &s, &err), 0);
    assert_string_equal(s.name, "expr");
    assert_int_equal(s.uses,
                     (1u << VSR_SCORE_PSNR) | (1u << VSR_SCORE_MS) | (1u << VSR_SCORE_MACS));
    assert_string_equal(vsr_score_col_name(VSR_SCORE_SIZE_KB), "size_kb");
    assert_null(vsr_score_col_name(VSR_SCORE_NCOLS));
}

/* the message of parsing @p spec, which must fail */
static const char *parse_err(const char *spec, vsr_error *err)
{
    vsr_score s;
    assert_int_equal(vsr_score_parse(spec, &s, err), -EINVAL);
    assert_null(strchr(err->msg, '\n'));
    return err->msg;
}

static void test_errors(void **state)
{
    (void)state;
    vsr_error err = {0};
    const char *m = parse_err("psnrr / ms", &err);
    assert_non_null(strstr(m, "unknown identifier 'psnrr'"));
    assert_non_null(strstr(m, "did you mean 'psnr'"));
    assert_non_null(strstr(m, "at character 1"));
    m = parse_err("psnr / sise_kb", &err);
    assert_non_null(strstr(m, "'sise_kb'"));
    assert_non_null(strstr(m, "did you mean 'size_kb'"));
    assert_non_null(strstr(m, "at character 8"));
    m = parse_err("maii", &err); /* a preset's name mistyped */
    assert_non_null(strstr(m, "did you mean 'mai'"));
    m = parse_err("zzzzzz", &err); /* nothing close: no hint, the list */
    assert_null(strstr(m, "did you mean"));
    assert_non_null(strstr(m, "columns: psnr"));
    assert_non_null(strstr(parse_err("psnr +", &err), "unexpected end"));
    assert_non_null(strstr(parse_err("(psnr", &err), "expected ')'"));
    assert_non_null(strstr(parse_err("psnr)", &err), "unmatched ')'"));
    assert_non_null(strstr(parse_err("1 2", &err), "unexpected character"));
    assert_non_null(strstr(parse_err("log10(1, 2)", &err), "log10 takes one argument"));
    assert_non_null(strstr(parse_err("max(1)", &err), "two or more"));
    assert_non_null(strstr(parse_err("sqrt 4", &err), "needs '('"));
    assert_non_null(strstr(parse_err("", &err), "empty"));
    assert_non_null(strstr(parse_err("mai:D=2", &err), "'D=2' is not a parameter of mai"));
    assert_non_null(strstr(parse_err("mai:C=x", &err), "--score mai:C"));
    assert_non_null(strstr(parse_err("pareto:C=1", &err), "no parameters"));
    assert_non_null(strstr(parse_err("psnr:C=1", &err), "not a preset with parameters"));
    /* nesting is bounded (64 levels), not the stack: 70 parentheses */
    char deep[160];
    memset(deep, '(', 70);
    deep[70] = '1';
    memset(deep + 71, ')', 70);
    deep[141] = '\0';
    assert_non_null(strstr(parse_err(deep, &err), "too deeply nested"));
    assert_float_equal(ev("((((((((((1))))))))))", NULL), 1.0, 0); /* 10 levels are fine */
}

static void test_presets(void **state)
{
    (void)state;
    double row[VSR_SCORE_NCOLS];
    for (int i = 0; i < VSR_SCORE_NCOLS; i++)
        row[i] = NAN;
    row[VSR_SCORE_PSNR] = 30.0;
    row[VSR_SCORE_MS] = 12.0;
    row[VSR_SCORE_NIQE] = 4.0;
    assert_float_equal(ev("psnr-per-ms", row), 2.5, 1e-15); /* 30 / 12 */
    /* MAI: 2^(2*30) / (1 * 12) = 2^60 / 12; with C = 0.25: 2^60 / 3 */
    assert_float_equal(ev("mai", row), ldexp(1.0, 60) / 12.0, ldexp(1.0, 60) * 1e-15);
    assert_float_equal(ev("mai:C=0.25", row), ldexp(1.0, 60) / 3.0, ldexp(1.0, 60) * 1e-15);
    /* niqe-time: 1 / (4 * 12) = 1/48; W = 2: 1 / (16 * 12) = 1/192 */
    assert_float_equal(ev("niqe-time", row), 1.0 / 48.0, 1e-17);
    assert_float_equal(ev("niqe-time:W=2", row), 1.0 / 192.0, 1e-17);
    /* no GT: psnr NaN -> mai NaN, niqe-time still defined */
    row[VSR_SCORE_PSNR] = NAN;
    assert_true(isnan(ev("mai", row)));
    vsr_score s;
    vsr_error err = {0};
    assert_int_equal(vsr_score_parse("pareto", &s, &err), 0);
    assert_string_equal(s.formula, "");
    assert_int_equal(s.uses, 0);
    assert_true(isnan(ev("pareto", row)));
    assert_int_equal(vsr_score_parse("mai:C=0.25", &s, &err), 0);
    assert_string_equal(s.name, "mai");
    assert_string_equal(s.formula, "2^(2*psnr) / (0.25 * ms)");
    assert_int_equal(vsr_score_parse("niqe-time", &s, &err), 0);
    assert_int_equal(s.uses, (1u << VSR_SCORE_NIQE) | (1u << VSR_SCORE_MS));
}

static void test_rank(void **state)
{
    (void)state;
    /* two rows measured in the study's way, scored with niqe-time:
     * A niqe 5, 10 ms -> 1/50 = 0.02; B niqe 4, 20 ms -> 1/80 = 0.0125;
     * C niqe 4, 8 ms -> 1/32 = 0.03125; D not measured (NaN). Best first: C A B. */
    const double niqe[] = {5, 4, 4, NAN}, ms[] = {10, 20, 8, 9};
    double sc[4];
    vsr_score s;
    vsr_error err = {0};
    assert_int_equal(vsr_score_parse("niqe-time", &s, &err), 0);
    for (int i = 0; i < 4; i++) {
        double c[VSR_SCORE_NCOLS] = {0};
        c[VSR_SCORE_NIQE] = niqe[i];
        c[VSR_SCORE_MS] = ms[i];
        assert_int_equal(vsr_score_eval(&s, c, &sc[i], &err), 0);
    }
    int order[4];
    assert_int_equal(vsr_score_rank(sc, 4, order), 3);
    assert_int_equal(order[0], 2);
    assert_int_equal(order[1], 0);
    assert_int_equal(order[2], 1);
    /* ties keep their order */
    const double tie[] = {1, 2, 2, 1};
    assert_int_equal(vsr_score_rank(tie, 4, order), 4);
    assert_int_equal(order[0], 1);
    assert_int_equal(order[1], 2);
    assert_int_equal(order[2], 0);
    assert_int_equal(order[3], 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arithmetic), cmocka_unit_test(test_columns),
        cmocka_unit_test(test_errors),     cmocka_unit_test(test_presets),
        cmocka_unit_test(test_rank),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
