/*
 * The .npy name map (vsr_models_import_npy()) read through the option table:
 * a map with every ELSR weight imports the values written (HWIO as is, OIHW
 * transposed by the index formula of PyTorch's layout), and each bad map
 * fails with one line "MAP:LINE: KEY: problem" naming what is wrong.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "vsr/engine.h"
#include "vsr/models.h"

struct fx {
    char dir[256];
    vsr_graph *g;
};

/* A little-endian float32 .npy (format 1.0) of @p n values of shape @p dims. */
static void write_npy(const char *path, const int *dims, int ndim, const float *v, size_t n)
{
    char hdr[128], shape[64] = "";
    for (int i = 0; i < ndim; i++)
        snprintf(shape + strlen(shape), sizeof(shape) - strlen(shape), "%d,%s", dims[i],
                 i + 1 < ndim ? " " : "");
    int l = snprintf(hdr, sizeof(hdr),
                     "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", shape);
    int total = 10 + l + 1, pad = (64 - total % 64) % 64;
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    uint16_t hl = (uint16_t)(l + pad + 1);
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    fputc(hl & 0xff, f), fputc(hl >> 8, f);
    fwrite(hdr, 1, (size_t)l, f);
    for (int i = 0; i < pad; i++)
        fputc(' ', f);
    fputc('\n', f);
    assert_int_equal(fwrite(v, sizeof(float), n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* Weight i's file w<i>.npy: value k at flat index k (in the layout written). */
static void write_weights(struct fx *x, int oihw)
{
    int n = vsr_graph_weight_count(x->g);
    for (int i = 0; i < n; i++) {
        vsr_weight_info wi;
        assert_int_equal(vsr_graph_weight_info(x->g, i, &wi), 0);
        float *v = malloc(wi.count * sizeof(float));
        assert_non_null(v);
        for (size_t k = 0; k < wi.count; k++)
            v[k] = (float)k + 0.5f * (float)i;
        int dims[4] = {wi.dims[0], wi.dims[1], wi.dims[2], wi.dims[3]};
        if (oihw && wi.ndim == 4) /* (kh, kw, ci, co) -> (co, ci, kh, kw) */
            dims[0] = wi.dims[3], dims[1] = wi.dims[2], dims[2] = wi.dims[0],
            dims[3] = wi.dims[1];
        char p[400];
        snprintf(p, sizeof(p), "%s/w%d.npy", x->dir, i);
        write_npy(p, dims, wi.ndim, v, wi.count);
        free(v);
    }
}

/* A map with @p head then every weight but @p skip (-1: none); its path to @p path. */
static void write_map(struct fx *x, const char *head, int skip, char *path, size_t cap)
{
    snprintf(path, cap, "%s/map.yaml", x->dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(head, f);
    fputs("weights:\n", f);
    int n = vsr_graph_weight_count(x->g);
    for (int i = 0; i < n; i++) {
        vsr_weight_info wi;
        vsr_graph_weight_info(x->g, i, &wi);
        if (i != skip)
            fprintf(f, "  %s: w%d.npy\n", wi.name, i);
    }
    assert_int_equal(fclose(f), 0);
}

/* A fresh ELSR graph (the importer skips weights already set). */
static void fresh_graph(struct fx *x)
{
    vsr_error err = {0};
    const vsr_models_entry *e = vsr_models_zoo_find("ELSR");
    assert_non_null(e);
    vsr_graph_free(&x->g);
    assert_int_equal(vsr_models_build(&e->hp, e->name, 8, 8, &x->g, &err), 0);
}

static int setup(void **state)
{
    struct fx *x = calloc(1, sizeof(*x));
    if (!x || !vsr_test_tmpdir(x->dir, sizeof(x->dir)))
        return -1;
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    struct fx *x = *state;
    vsr_graph_free(&x->g);
    vsr_test_rmtree(x->dir);
    free(x);
    return 0;
}

static void test_import_hwio_oihw(void **state)
{
    struct fx *x = *state;
    vsr_error err = {0};
    char map[400];
    for (int oihw = 0; oihw < 2; oihw++) {
        fresh_graph(x);
        write_weights(x, oihw);
        write_map(x, oihw ? "model: elsr\nlayout: oihw\n" : "model: ELSR\n", -1, map,
                  sizeof(map));
        assert_int_equal(vsr_models_import_npy(x->g, x->dir, map, &err), 0);
        int n = vsr_graph_weight_count(x->g), checked4 = 0;
        for (int i = 0; i < n; i++) {
            vsr_weight_info wi;
            const float *d;
            size_t cnt;
            vsr_graph_weight_info(x->g, i, &wi);
            assert_int_equal(vsr_graph_get_weight(x->g, wi.name, &d, &cnt, &err), 0);
            assert_int_equal(cnt, wi.count);
            int kh = wi.dims[0], kw = wi.dims[1], ci = wi.dims[2], co = wi.dims[3];
            for (size_t k = 0; k < wi.count; k++) {
                size_t src = k; /* HWIO or not a kernel: as written */
                if (oihw && wi.ndim == 4) {
                    /* HWIO index k = ((y*kw + x)*ci + c)*co + o of OIHW ((o*ci + c)*kh + y)*kw
                     * + x */
                    size_t o = k % co, c = k / co % ci, xx = k / co / ci % kw,
                           y = k / co / ci / kw;
                    src = ((o * ci + c) * kh + y) * kw + xx;
                    checked4 = 1;
                }
                assert_float_equal(d[k], (float)src + 0.5f * (float)i, 0);
            }
        }
        assert_int_equal(checked4, oihw);
    }
}

/* Each bad map: one line naming the map, the line and the key. */
static void test_bad_maps(void **state)
{
    struct fx *x = *state;
    fresh_graph(x);
    write_weights(x, 0);
    vsr_weight_info w2;
    vsr_graph_weight_info(x->g, 2, &w2);
    char miss[200];
    snprintf(miss, sizeof(miss), "weights.%s: weight '%s' of ELSR is not mapped to a file",
             w2.name, w2.name);
    const struct {
        const char *head;
        int skip;
        const char *want;
    } cases[] = {
        {"model: SWRN\n", -1, "map.yaml:1: model: map is for model 'SWRN', graph is 'ELSR'"},
        {"layout: NHWC\n", -1, "map.yaml:1: layout: 'NHWC' is not one of HWIO, OIHW"},
        {"model: [ELSR]\n", -1, "map.yaml:1: model: expected a string, got a list"},
        {"layot: OIHW\n", -1, "map.yaml:1: layot: unknown key (did you mean 'layout'?)"},
        {"", 2, miss},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char map[400];
        vsr_error err = {0};
        write_map(x, cases[i].head, cases[i].skip, map, sizeof(map));
        assert_int_equal(vsr_models_import_npy(x->g, x->dir, map, &err), -EINVAL);
        VSR_ASSERT_ONE_LINE(err.msg, cases[i].want);
    }
    /* no weights: mapping at all */
    char map[400];
    vsr_error err = {0};
    snprintf(map, sizeof(map), "%s/map.yaml", x->dir);
    FILE *f = fopen(map, "w");
    assert_non_null(f);
    fputs("model: ELSR\nweights: w0.npy\n", f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(vsr_models_import_npy(x->g, x->dir, map, &err), -EINVAL);
    VSR_ASSERT_ONE_LINE(err.msg,
                        "map.yaml:2: weights: needs a 'weights:' mapping of weight -> file");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_import_hwio_oihw),
        cmocka_unit_test(test_bad_maps),
    };
    return VSR_RUN_TESTS(tests, setup, teardown);
}
