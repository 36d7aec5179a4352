/*
 * The one door to libfyaml: vsr_yaml_guard() checks the text first,
 * vsr_yaml_parse() then builds the document with libfyaml's diagnostics
 * collected into a one-line error.
 *
 * Why a guard: libfyaml 0.7.12 (Debian 12) spins forever in
 * fy_scan_directive on a '%' line holding a byte that is not UTF-8 (the
 * three bytes "%\xa1\n" hang every reader at 100% CPU). vsrbench configs
 * never use %YAML or %TAG directives, so the guard rejects every line that
 * starts with '%', and every byte sequence that is not strict UTF-8
 * (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF), so
 * libfyaml only ever sees text it handles. It also rejects a text that
 * holds both a '?' and a tab: libfyaml 0.7.12 writes through a null pointer
 * in fy_indent_vacuum_internal when it cleans up after "? ::\t:" or
 * "a: \t: ? ::\t:" (explicit keys, at the start of a line or after a value;
 * found by fuzz_name_map). Random token strings crashed it only with both
 * characters (0 of 3,500 with either left out). vsrbench configs need
 * neither, and YAML never needs a tab.
 *
 * Why a check after parsing: libfyaml 0.7.12 misreads a single-quoted
 * scalar holding two adjacent escaped quotes ('a''''b' comes back as
 * "a'''", not "a''b") and, from five adjacent ones on, leaks the chunk
 * array of its atom iterator on every read (upstream pantoniou/libfyaml
 * #233, fixed after 0.7.12). Plain, double-quoted and block scalars and
 * single-quoted ones without adjacent escapes read correctly (checked
 * against PyYAML on 2,700 random scalars), so vsr_yaml_check_node() rejects
 * exactly that form, by its source bytes, before anyone reads its text.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <libfyaml.h>

#include "vsr/core.h"

/*
 * Length of the UTF-8 sequence at @p s (at most @p n bytes), or 0 when it
 * is not strict UTF-8; *why then says what is wrong.
 */
static size_t utf8_len(const unsigned char *s, size_t n, const char **why)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    if (c < 0xC0) {
        *why = "a continuation byte with no lead byte";
        return 0;
    }
    if (c < 0xC2) {
        *why = "an overlong encoding";
        return 0;
    }
    if (c > 0xF4) {
        *why = "a byte that never starts a character";
        return 0;
    }
    size_t len = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    /* the range of the second byte; it excludes overlong forms (E0, F0),
     * surrogates (ED) and code points above U+10FFFF (F4) */
    unsigned lo = 0x80, hi = 0xBF;
    if (c == 0xE0)
        lo = 0xA0;
    else if (c == 0xED)
        hi = 0x9F;
    else if (c == 0xF0)
        lo = 0x90;
    else if (c == 0xF4)
        hi = 0x8F;
    for (size_t i = 1; i < len; i++) {
        if (i >= n || s[i] < 0x80 || s[i] > 0xBF) {
            *why = "a truncated multibyte sequence";
            return 0;
        }
        if (i == 1 && (s[1] < lo || s[1] > hi)) {
            *why = c == 0xED   ? "a UTF-16 surrogate"
                   : c == 0xF4 ? "a code point above U+10FFFF"
                               : "an overlong encoding";
            return 0;
        }
    }
    return len;
}

int vsr_yaml_guard(const char *name, const char *text, size_t len, vsr_error *err)
{
    if (!name)
        name = "<config>";
    if (len > VSR_TEXT_FILE_MAX)
        return vsr_error_set(err, -EINVAL,
                             "%s: %zu bytes, larger than %u MiB: not a YAML config", name, len,
                             (unsigned)(VSR_TEXT_FILE_MAX >> 20));
    const unsigned char *s = (const unsigned char *)text;
    const char *tab = memchr(text, '\t', len);
    int line = 1, col = 1;
    size_t i = 0;
    if (len >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
        i = 3; /* a byte order mark; the line still starts after it */
    int line_start = 1;
    while (i < len) {
        if (line_start && s[i] == '%')
            return vsr_error_set(
                err, -EINVAL,
                "%s:%d:1: a YAML directive line ('%%...'); vsrbench configs use "
                "none: delete the line",
                name, line);
        line_start = 0;
        if (s[i] == '?' && tab) {
            int tab_line = 1;
            for (const char *t = text; t < tab; t++)
                tab_line += *t == '\n';
            return vsr_error_set(err, -EINVAL,
                                 "%s:%d:%d: a '?' in a file with tabs (line %d), a mix that "
                                 "crashes libfyaml 0.7.12: replace the tabs with spaces",
                                 name, line, col, tab_line);
        }
        if (s[i] == '\0')
            return vsr_error_set(err, -EINVAL,
                                 "%s:%d:%d: a NUL byte; a YAML config is text: remove it", name,
                                 line, col);
        const char *why = NULL;
        size_t n = utf8_len(s + i, len - i, &why);
        if (!n)
            return vsr_error_set(
                err, -EINVAL,
                "%s:%d:%d: not UTF-8 (byte 0x%02X starts %s); save the file as "
                "UTF-8",
                name, line, col, s[i], why);
        if (s[i] == '\n') {
            line++;
            col = 1;
            line_start = 1;
        } else {
            col++;
        }
        i += n;
    }
    return 0;
}

/* Deeper than this a config is not a vsrbench config. */
#define YAML_DEPTH_MAX 256

static int check_node(const char *name, struct fy_node *n, const char *text, size_t len,
                      int depth, vsr_error *err)
{
    if (!n)
        return 0;
    if (depth > YAML_DEPTH_MAX)
        return vsr_error_set(err, -EINVAL, "%s: nested deeper than %d levels: not a config",
                             name, YAML_DEPTH_MAX);
    switch (fy_node_get_type(n)) {
    case FYNT_SCALAR: {
        if (fy_node_get_style(n) != FYNS_SINGLE_QUOTED)
            return 0;
        struct fy_token *tk = fy_node_get_scalar_token(n);
        const struct fy_mark *a = tk ? fy_token_start_mark(tk) : NULL;
        const struct fy_mark *b = tk ? fy_token_end_mark(tk) : NULL;
        if (!a || !b || a->input_pos >= b->input_pos || b->input_pos > len)
            return 0;
        /* a quoted scalar's marks span the text between its quotes */
        size_t from = a->input_pos, to = b->input_pos;
        for (size_t i = from; i + 4 <= to; i++)
            if (!memcmp(text + i, "''''", 4))
                return vsr_error_set(
                    err, -EINVAL,
                    "%s:%d:%d: a single-quoted string with adjacent escaped quotes "
                    "(''''), which libfyaml 0.7.12 misreads: write it in double quotes",
                    name, a->line + 1, a->column /* the opening quote, 1-based */);
        return 0;
    }
    case FYNT_SEQUENCE: {
        void *it = NULL;
        struct fy_node *item;
        while ((item = fy_node_sequence_iterate(n, &it)))
            if (check_node(name, item, text, len, depth + 1, err))
                return -EINVAL;
        return 0;
    }
    case FYNT_MAPPING: {
        void *it = NULL;
        struct fy_node_pair *pr;
        while ((pr = fy_node_mapping_iterate(n, &it)))
            if (check_node(name, fy_node_pair_key(pr), text, len, depth + 1, err) ||
                check_node(name, fy_node_pair_value(pr), text, len, depth + 1, err))
                return -EINVAL;
        return 0;
    }
    }
    return 0;
}

int vsr_yaml_check_node(const char *name, struct fy_node *node, const char *text, size_t len,
                        vsr_error *err)
{
    return check_node(name ? name : "<config>", node, text, len, 0, err);
}

/* A diag that neither collects nor prints (the caller unrefs it). */
static struct fy_diag *quiet_diag(void)
{
    struct fy_diag_cfg dcfg;
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = NULL;
    dcfg.level = FYET_MAX;
    return fy_diag_create(&dcfg);
}

struct fy_document *vsr_yaml_new_document(void)
{
    struct fy_diag *quiet = quiet_diag();
    if (!quiet)
        return NULL;
    struct fy_parse_cfg pcfg = {.flags = FYPCF_QUIET, .diag = quiet};
    struct fy_document *doc = fy_document_create(&pcfg);
    fy_diag_unref(quiet);
    return doc;
}

int vsr_yaml_parse(const char *name, const char *text, size_t len, struct fy_document **out,
                   vsr_error *err)
{
    *out = NULL;
    if (!name)
        name = "<config>";
    int ret = vsr_yaml_guard(name, text, len, err);
    if (ret)
        return ret;
    struct fy_diag_cfg dcfg;
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    dcfg.output_fn = NULL;
    dcfg.level = FYET_ERROR;
    struct fy_diag *diag = fy_diag_create(&dcfg);
    if (!diag)
        return vsr_error_set(err, -ENOMEM, "%s: out of memory reading the config", name);
    fy_diag_set_collect_errors(diag, true);
    struct fy_parse_cfg pcfg = {
        .flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG,
        .diag = diag,
    };
    struct fy_document *doc = fy_document_build_from_string(&pcfg, text, len);
    if (!doc || fy_diag_got_error(diag)) {
        ret = vsr_error_set(err, -EINVAL, "%s: not valid YAML", name);
        void *it = NULL;
        struct fy_diag_error *e;
        while ((e = fy_diag_errors_iterate(diag, &it))) {
            if (e->type >= FYET_ERROR) {
                /* libfyaml's collected errors are 1-based already */
                ret = vsr_error_set(err, -EINVAL, "%s:%d:%d: YAML syntax error: %s", name,
                                    e->line, e->column, e->msg ? e->msg : "?");
                break;
            }
        }
        fy_document_destroy(doc);
    } else if ((ret = check_node(name, fy_document_root(doc), text, len, 0, err))) {
        fy_document_destroy(doc);
    } else {
        /*
         * Later libfyaml calls on the document (fy_node_build_from_string
         * for --set) report into its diag. Collected errors are freed only
         * by fy_diag_destroy(), not when the document drops the last
         * reference (libfyaml 0.7.12 leaks them then), so the document gets
         * a diag of its own that neither collects nor prints.
         */
        struct fy_diag *quiet = quiet_diag();
        if (!quiet || fy_document_set_diag(doc, quiet)) {
            fy_diag_unref(quiet);
            fy_document_destroy(doc);
            ret = vsr_error_set(err, -ENOMEM, "%s: out of memory reading the config", name);
        } else {
            fy_diag_unref(quiet);
            *out = doc;
        }
    }
    fy_diag_destroy(diag);
    return ret;
}
