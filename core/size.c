/*
 * size.c: checked size arithmetic for sizes computed from file data
 * (see core.h). Every reader that multiplies dimensions or element sizes
 * read from a file goes through these, so a crafted file cannot wrap a
 * size_t back to a small number that then passes a length check.
 */
#include <stdint.h>

#include "vsr/core.h"

int vsr_size_mul(size_t a, size_t b, size_t *out)
{
    if (a && b > SIZE_MAX / a)
        return -EOVERFLOW;
    *out = a * b;
    return 0;
}

int vsr_size_add(size_t a, size_t b, size_t *out)
{
    if (b > SIZE_MAX - a)
        return -EOVERFLOW;
    *out = a + b;
    return 0;
}

int vsr_size_mul_n(const int64_t *dims, int n, size_t *out)
{
    size_t p = 1;
    int zero = 0, over = 0;
    for (int i = 0; i < n; i++) {
        if (dims[i] < 0)
            return -EINVAL;
        if ((uint64_t)dims[i] > SIZE_MAX)
            over = 1;
        else if (dims[i] == 0)
            zero = 1;
        else if (!over && vsr_size_mul(p, (size_t)dims[i], &p))
            over = 1;
    }
    if (zero) { /* a zero dim makes the product 0, whatever the others */
        *out = 0;
        return 0;
    }
    if (over)
        return -EOVERFLOW;
    *out = p;
    return 0;
}
