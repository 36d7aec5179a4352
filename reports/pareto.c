/*
 * Pareto front (minimise x = ms/frame, maximise y = PSNR).
 *
 * Sort by x ascending, then y descending; sweep keeping the best y seen at
 * strictly smaller x. A point is on the front when no point has x <= its x
 * and y >= its y with one of the two strict. Equal points (duplicates) do
 * not dominate each other, so all copies of a front point stay on it; a
 * point that ties another in x but has lower y is dominated, and likewise
 * for a tie in y with larger x. O(n log n).
 */
#include <math.h>
#include <stdlib.h>

#include "vsr/reports.h"

struct pt {
    double x, y;
    size_t i;
};

static int cmp_pt(const void *pa, const void *pb)
{
    const struct pt *a = pa, *b = pb;
    if (a->x != b->x)
        return a->x < b->x ? -1 : 1;
    if (a->y != b->y)
        return a->y > b->y ? -1 : 1;
    return (a->i > b->i) - (a->i < b->i);
}

long vsr_report_pareto(const double *x, const double *y, size_t n, unsigned char *on_front)
{
    struct pt *p = malloc((n ? n : 1) * sizeof(*p));
    if (!p)
        return -ENOMEM;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        on_front[i] = 0;
        if (!isnan(x[i]) && !isnan(y[i]))
            p[m++] = (struct pt){x[i], y[i], i};
    }
    qsort(p, m, sizeof(*p), cmp_pt);
    long count = 0;
    /* best_y: the highest y among points with x strictly smaller than the
     * current run of equal x. Within a run (sorted y descending) only the
     * points equal to the run's first (highest) y can be on the front. */
    double best_y = -INFINITY;
    int have_best = 0;
    for (size_t a = 0; a < m;) {
        size_t b = a;
        while (b < m && p[b].x == p[a].x)
            b++;
        double top = p[a].y;
        /* Dominated by an earlier point when it has y >= top (strictly smaller x). */
        if (!have_best || top > best_y) {
            for (size_t k = a; k < b && p[k].y == top; k++) {
                on_front[p[k].i] = 1;
                count++;
            }
        }
        if (!have_best || top > best_y)
            best_y = top;
        have_best = 1;
        a = b;
    }
    free(p);
    return count;
}

long vsr_report_pareto_clean(const double *x, const double *y, const unsigned char *noisy,
                             size_t n, unsigned char *on_front)
{
    double *xc = malloc((n ? n : 1) * sizeof(*xc));
    if (!xc)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        xc[i] = noisy && noisy[i] ? NAN : x[i]; /* NAN: never on, never dominating */
    long r = vsr_report_pareto(xc, y, n, on_front);
    free(xc);
    return r;
}
