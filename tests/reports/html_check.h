/* A small well-formedness checker for the XHTML that reports/html.c writes:
 * every tag closes in order (void elements self-close with "/>"), attribute
 * values are quoted, no raw '<' or stray '&' in text, comments and the
 * doctype are skipped. Returns 0 or the byte offset + 1 of the first error. */
#ifndef VSR_TEST_HTML_CHECK_H
#define VSR_TEST_HTML_CHECK_H

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static size_t html_check(const char *s, char *why, size_t cap)
{
    char stack[64][32];
    int depth = 0;
    const char *p = s;
    while (*p) {
        if (*p == '&') {
            const char *semi = strchr(p, ';');
            if (!semi || semi - p > 8) {
                snprintf(why, cap, "stray '&'");
                return (size_t)(p - s) + 1;
            }
            p = semi + 1;
            continue;
        }
        if (*p != '<') {
            p++;
            continue;
        }
        if (!strncmp(p, "<!--", 4)) {
            const char *e = strstr(p, "-->");
            if (!e) {
                snprintf(why, cap, "unclosed comment");
                return (size_t)(p - s) + 1;
            }
            p = e + 3;
            continue;
        }
        if (!strncmp(p, "<!DOCTYPE", 9)) {
            p = strchr(p, '>');
            if (!p)
                return 1;
            p++;
            continue;
        }
        int closing = p[1] == '/';
        const char *n = p + 1 + closing;
        size_t len = 0;
        while (isalnum((unsigned char)n[len]))
            len++;
        if (!len || len >= 32) {
            snprintf(why, cap, "bad tag name");
            return (size_t)(p - s) + 1;
        }
        char name[32];
        memcpy(name, n, len);
        name[len] = '\0';
        const char *q = n + len;
        int self = 0;
        /* Attributes: name="value" (quoted, no '<' inside). */
        for (;;) {
            while (*q == ' ' || *q == '\n')
                q++;
            if (*q == '>')
                break;
            if (q[0] == '/' && q[1] == '>') {
                self = 1;
                q++;
                break;
            }
            if (closing || !(isalpha((unsigned char)*q))) {
                snprintf(why, cap, "bad attribute in <%s>", name);
                return (size_t)(q - s) + 1;
            }
            while (isalnum((unsigned char)*q) || *q == '-' || *q == ':')
                q++;
            if (q[0] != '=' || q[1] != '"') {
                snprintf(why, cap, "unquoted attribute in <%s>", name);
                return (size_t)(q - s) + 1;
            }
            const char *e = strchr(q + 2, '"');
            if (!e || memchr(q + 2, '<', (size_t)(e - q - 2))) {
                snprintf(why, cap, "bad attribute value in <%s>", name);
                return (size_t)(q - s) + 1;
            }
            q = e + 1;
        }
        q++; /* past '>' */
        if (closing) {
            if (!depth || strcmp(stack[depth - 1], name) != 0) {
                snprintf(why, cap, "</%s> closes <%s>", name, depth ? stack[depth - 1] : "");
                return (size_t)(p - s) + 1;
            }
            depth--;
        } else if (!self) {
            if (depth == 64)
                return (size_t)(p - s) + 1;
            strcpy(stack[depth++], name);
            /* Raw text elements: skip to their end tag. */
            if (!strcmp(name, "script") || !strcmp(name, "style")) {
                char end[40];
                snprintf(end, sizeof(end), "</%s>", name);
                const char *e = strstr(q, end);
                if (!e || memchr(q, '<', (size_t)(e - q)) || memchr(q, '&', (size_t)(e - q))) {
                    snprintf(why, cap, "<%s> holds '<' or '&' (not XML-safe)", name);
                    return (size_t)(q - s) + 1;
                }
                q = e;
            }
        }
        p = q;
    }
    if (depth) {
        snprintf(why, cap, "<%s> never closed", stack[depth - 1]);
        return strlen(s) + 1;
    }
    return 0;
}

#endif
