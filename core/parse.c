#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vsr/core.h"

int vsr_parse_long(const char *s, long min, long max, long *out, const char *what,
                   vsr_error *err)
{
    if (!s || !*s)
        return vsr_error_set(err, -EINVAL, "%s: empty value, expected an integer", what);
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno == ERANGE || *end != '\0' || end == s)
        return vsr_error_set(err, -EINVAL, "%s: '%s' is not an integer", what, s);
    if (v < min || v > max)
        return vsr_error_set(err, -EINVAL, "%s: %ld is out of range [%ld, %ld]", what, v, min,
                             max);
    *out = v;
    return 0;
}

int vsr_parse_double(const char *s, double min, double max, double *out, const char *what,
                     vsr_error *err)
{
    if (!s || !*s)
        return vsr_error_set(err, -EINVAL, "%s: empty value, expected a number", what);
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno == ERANGE || *end != '\0' || end == s || !isfinite(v))
        return vsr_error_set(err, -EINVAL, "%s: '%s' is not a finite number", what, s);
    if (v < min || v > max)
        return vsr_error_set(err, -EINVAL, "%s: %g is out of range [%g, %g]", what, v, min,
                             max);
    *out = v;
    return 0;
}

int vsr_parse_long_list(const char *s, long min, long max, long *out, int cap, int *n,
                        const char *what, vsr_error *err)
{
    *n = 0;
    if (!s || !*s)
        return vsr_error_set(err, -EINVAL, "%s: empty list", what);
    const char *p = s;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char item[32];
        if (len == 0 || len >= sizeof(item))
            return vsr_error_set(err, -EINVAL, "%s: bad list item in '%s'", what, s);
        memcpy(item, p, len);
        item[len] = '\0';
        if (*n >= cap)
            return vsr_error_set(err, -EINVAL, "%s: more than %d values in '%s'", what, cap, s);
        int rc = vsr_parse_long(item, min, max, &out[*n], what, err);
        if (rc < 0)
            return rc;
        (*n)++;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

int vsr_edit_distance(const char *a, const char *b)
{
    int la = (int)strlen(a), lb = (int)strlen(b);
    if (la > 31 || lb > 31)
        return 99;
    int d[32][32];
    for (int i = 0; i <= la; i++)
        d[i][0] = i;
    for (int j = 0; j <= lb; j++)
        d[0][j] = j;
    for (int i = 1; i <= la; i++)
        for (int j = 1; j <= lb; j++) {
            int sub = d[i - 1][j - 1] +
                      (tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
            int del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
            d[i][j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
    return d[la][lb];
}
