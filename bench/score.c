/*
 * Tune scores (vsrbench tune --score): a small arithmetic expression over
 * the measured columns of a setting, or a named preset that expands to one.
 *
 * Grammar (recursive descent, evaluated straight from the text; a parse is a
 * dry evaluation that checks the syntax and collects the columns used):
 *
 *   expr    := term (('+' | '-') term)*
 *   term    := unary (('*' | '/') unary)*
 *   unary   := ('-' | '+') unary | power
 *   power   := primary ('^' unary)?          right-assoc.: 2^3^2 = 2^9, -2^2 = -4
 *   primary := number | column | func '(' expr (',' expr)* ')' | '(' expr ')'
 *   func    := log10 (1 arg) | sqrt (1) | min (>= 2) | max (>= 2)
 *
 * Numbers are strtod's (1, 0.5, 1e-3). A NaN column (not measured) makes the
 * score NaN; so does log10 or sqrt of a negative number.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vsr/bench.h"

static const char *const col_names[VSR_SCORE_NCOLS] = {
    [VSR_SCORE_PSNR] = "psnr", [VSR_SCORE_SSIM] = "ssim",       [VSR_SCORE_NIQE] = "niqe",
    [VSR_SCORE_GMSD] = "gmsd", [VSR_SCORE_MS] = "ms",           [VSR_SCORE_PARAMS] = "params",
    [VSR_SCORE_MACS] = "macs", [VSR_SCORE_SIZE_KB] = "size_kb",
};

static const char *const fn_names[] = {"log10", "sqrt", "min", "max"};
#define N_FN ((int)(sizeof(fn_names) / sizeof(fn_names[0])))

static const char *const preset_names[] = {"pareto", "psnr-per-ms", "mai", "niqe-time"};
#define N_PRESET ((int)(sizeof(preset_names) / sizeof(preset_names[0])))

const char *vsr_score_col_name(int col)
{
    return col >= 0 && col < VSR_SCORE_NCOLS ? col_names[col] : NULL;
}

/* ---- the evaluator ------------------------------------------------------ */

struct ev {
    const char *s, *p;  /* the text and the cursor */
    const double *cols; /* NULL: a dry run (columns read as 1) */
    unsigned uses;
    int depth;
    vsr_error *err;
};

static int fail(struct ev *e, const char *what)
{
    return vsr_error_set(e->err, -EINVAL, "--score '%s': %s at character %d", e->s, what,
                         (int)(e->p - e->s) + 1);
}

static void skip_ws(struct ev *e)
{
    while (isspace((unsigned char)*e->p))
        e->p++;
}

static int expr(struct ev *e, double *v);
static int unary(struct ev *e, double *v);

/* The closest name among the columns, functions and presets. */
static const char *closest(const char *id)
{
    const char *best = NULL;
    int bd = 3; /* at most 2 edits */
    for (int i = 0; i < VSR_SCORE_NCOLS; i++) {
        int d = vsr_edit_distance(id, col_names[i]);
        if (d < bd)
            bd = d, best = col_names[i];
    }
    for (int i = 0; i < N_FN; i++) {
        int d = vsr_edit_distance(id, fn_names[i]);
        if (d < bd)
            bd = d, best = fn_names[i];
    }
    for (int i = 1; i < N_PRESET; i++) {
        int d = vsr_edit_distance(id, preset_names[i]);
        if (d < bd)
            bd = d, best = preset_names[i];
    }
    return best;
}

static int call(struct ev *e, int fn, const char *name, double *v)
{
    double a[16];
    int n = 0, rc;
    e->p++; /* '(' */
    for (;;) {
        if (n == 16)
            return fail(e, "too many arguments");
        if ((rc = expr(e, &a[n++])))
            return rc;
        skip_ws(e);
        if (*e->p == ',') {
            e->p++;
            continue;
        }
        if (*e->p != ')')
            return fail(e, "expected ',' or ')'");
        e->p++;
        break;
    }
    int want1 = fn <= 1;
    if (want1 ? n != 1 : n < 2) {
        char m[96];
        snprintf(m, sizeof(m), "%s takes %s, not %d", name,
                 want1 ? "one argument" : "two or more arguments", n);
        return fail(e, m);
    }
    switch (fn) {
    case 0:
        *v = log10(a[0]);
        break;
    case 1:
        *v = sqrt(a[0]);
        break;
    default:
        *v = a[0];
        for (int i = 1; i < n; i++)
            *v = fn == 2 ? fmin(*v, a[i]) : fmax(*v, a[i]);
        /* fmin/fmax drop a NaN; a score must not */
        for (int i = 0; i < n; i++)
            if (isnan(a[i]))
                *v = NAN;
    }
    return 0;
}

static int primary(struct ev *e, double *v)
{
    skip_ws(e);
    const char *start = e->p;
    if (*e->p == '(') {
        e->p++;
        int rc = expr(e, v);
        if (rc)
            return rc;
        skip_ws(e);
        if (*e->p != ')')
            return fail(e, "expected ')'");
        e->p++;
        return 0;
    }
    if (isdigit((unsigned char)*e->p) || *e->p == '.') {
        char *end;
        errno = 0;
        *v = strtod(e->p, &end);
        if (end == e->p || errno == ERANGE)
            return fail(e, "bad number");
        e->p = end;
        return 0;
    }
    if (isalpha((unsigned char)*e->p) || *e->p == '_') {
        char id[64];
        size_t n = 0;
        while (isalnum((unsigned char)*e->p) || *e->p == '_') {
            if (n + 1 < sizeof(id))
                id[n++] = *e->p;
            e->p++;
        }
        id[n] = '\0';
        for (int i = 0; i < VSR_SCORE_NCOLS; i++)
            if (!strcmp(id, col_names[i])) {
                e->uses |= 1u << i;
                *v = e->cols ? e->cols[i] : 1.0;
                return 0;
            }
        skip_ws(e);
        for (int i = 0; i < N_FN; i++)
            if (!strcmp(id, fn_names[i])) {
                if (*e->p != '(')
                    return fail(e, "a function needs '(' after its name");
                return call(e, i, fn_names[i], v);
            }
        const char *hint = closest(id);
        e->p = start;
        char m[256];
        snprintf(m, sizeof(m),
                 "unknown identifier '%s'%s%s%s (columns: psnr ssim niqe gmsd ms params macs "
                 "size_kb; functions: log10 sqrt min max)",
                 id, hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
        return fail(e, m);
    }
    return fail(e, *e->p ? "expected a number, a column, a function or '('"
                         : "unexpected end of the expression");
}

static int power(struct ev *e, double *v)
{
    int rc = primary(e, v);
    if (rc)
        return rc;
    skip_ws(e);
    if (*e->p != '^')
        return 0;
    e->p++;
    double x;
    if ((rc = unary(e, &x)))
        return rc;
    *v = pow(*v, x);
    return 0;
}

static int unary(struct ev *e, double *v)
{
    skip_ws(e);
    if (*e->p == '-' || *e->p == '+') {
        int neg = *e->p == '-';
        e->p++;
        if (++e->depth > 64)
            return fail(e, "too deeply nested");
        int rc = unary(e, v);
        e->depth--;
        if (!rc && neg)
            *v = -*v;
        return rc;
    }
    return power(e, v);
}

static int term(struct ev *e, double *v)
{
    int rc = unary(e, v);
    for (;;) {
        if (rc)
            return rc;
        skip_ws(e);
        char op = *e->p;
        if (op != '*' && op != '/')
            return 0;
        e->p++;
        double x;
        rc = unary(e, &x);
        if (!rc)
            *v = op == '*' ? *v * x : *v / x;
    }
}

static int expr(struct ev *e, double *v)
{
    if (++e->depth > 64)
        return fail(e, "too deeply nested");
    int rc = term(e, v);
    for (;;) {
        if (rc)
            break;
        skip_ws(e);
        char op = *e->p;
        if (op != '+' && op != '-')
            break;
        e->p++;
        double x;
        rc = term(e, &x);
        if (!rc)
            *v = op == '+' ? *v + x : *v - x;
    }
    e->depth--;
    return rc;
}

/* Evaluate the whole of @p text (NULL cols: a dry run). */
static int eval_text(const char *text, const double *cols, double *v, unsigned *uses,
                     vsr_error *err)
{
    struct ev e = {text, text, cols, 0, 0, err};
    int rc = expr(&e, v);
    if (!rc) {
        skip_ws(&e);
        if (*e.p)
            rc = fail(&e, *e.p == ')' ? "unmatched ')'" : "unexpected character");
    }
    if (uses)
        *uses = e.uses;
    return rc;
}

/* ---- presets ------------------------------------------------------------ */

/* Parameter @p key of "name:K=v,K=v" in @p params (NULL: none) into *v; other
 * keys are errors naming the accepted one. */
static int preset_param(const char *name, const char *params, const char *key, double *v,
                        vsr_error *err)
{
    if (!params)
        return 0;
    const char *p = params;
    while (*p) {
        const char *eq = strchr(p, '='), *comma = strchr(p, ',');
        size_t klen = eq ? (size_t)(eq - p) : strlen(p);
        if (!eq || (comma && comma < eq) || klen != strlen(key) || strncmp(p, key, klen))
            return vsr_error_set(
                err, -EINVAL,
                "--score %s:%s: '%.*s' is not a parameter of %s; use %s:%s=NUMBER", name,
                params, (int)(comma ? (size_t)(comma - p) : strlen(p)), p, name, name, key);
        char num[64];
        size_t vlen = comma ? (size_t)(comma - eq - 1) : strlen(eq + 1);
        snprintf(num, sizeof(num), "%.*s", (int)vlen, eq + 1);
        char what[96];
        snprintf(what, sizeof(what), "--score %s:%s", name, key);
        int rc = vsr_parse_double(num, 1e-300, 1e300, v, what, err);
        if (rc)
            return rc;
        if (!comma)
            break;
        p = comma + 1;
    }
    return 0;
}

int vsr_score_parse(const char *spec, vsr_score *out, vsr_error *err)
{
    memset(out, 0, sizeof(*out));
    if (!spec || !*spec)
        return vsr_error_set(err, -EINVAL,
                             "--score: empty; give a preset (pareto, psnr-per-ms, "
                             "mai, niqe-time) or an expression");
    const char *colon = strchr(spec, ':');
    size_t nlen = colon ? (size_t)(colon - spec) : strlen(spec);
    const char *params = colon ? colon + 1 : NULL;
    int preset = -1;
    for (int i = 0; i < N_PRESET; i++)
        if (strlen(preset_names[i]) == nlen && !strncmp(spec, preset_names[i], nlen))
            preset = i;
    if (colon && preset < 0)
        return vsr_error_set(err, -EINVAL,
                             "--score %s: '%.*s' is not a preset with parameters (mai:C=..., "
                             "niqe-time:W=...)",
                             spec, (int)nlen, spec);
    int rc = 0;
    switch (preset) {
    case 0: /* pareto: no formula, the Pareto front ranks */
        if (params)
            return vsr_error_set(err, -EINVAL, "--score %s: pareto takes no parameters", spec);
        snprintf(out->name, sizeof(out->name), "pareto");
        return 0;
    case 1:
        if (params)
            return vsr_error_set(err, -EINVAL, "--score %s: psnr-per-ms takes no parameters",
                                 spec);
        snprintf(out->formula, sizeof(out->formula), "psnr / ms");
        break;
    case 2: {
        double c = 1.0;
        if ((rc = preset_param("mai", params, "C", &c, err)))
            return rc;
        snprintf(out->formula, sizeof(out->formula), "2^(2*psnr) / (%.17g * ms)", c);
        break;
    }
    case 3: {
        double w = 1.0;
        if ((rc = preset_param("niqe-time", params, "W", &w, err)))
            return rc;
        snprintf(out->formula, sizeof(out->formula), "1 / (niqe^%.17g * ms)", w);
        break;
    }
    default:
        if (strlen(spec) >= sizeof(out->formula))
            return vsr_error_set(err, -EINVAL,
                                 "--score: the expression is longer than %zu "
                                 "characters",
                                 sizeof(out->formula) - 1);
        snprintf(out->formula, sizeof(out->formula), "%s", spec);
    }
    snprintf(out->name, sizeof(out->name), "%s", preset >= 0 ? preset_names[preset] : "expr");
    double v;
    return eval_text(out->formula, NULL, &v, &out->uses, err);
}

int vsr_score_eval(const vsr_score *s, const double *cols, double *out, vsr_error *err)
{
    *out = NAN;
    if (!s->formula[0])
        return 0; /* pareto */
    return eval_text(s->formula, cols, out, NULL, err);
}

int vsr_score_rank(const double *score, int n, int *order)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(score[i]))
            order[k++] = i;
    /* insertion sort, stable: higher first, ties keep their order */
    for (int i = 1; i < k; i++) {
        int x = order[i], j = i - 1;
        while (j >= 0 && score[order[j]] < score[x]) {
            order[j + 1] = order[j];
            j--;
        }
        order[j + 1] = x;
    }
    return k;
}
