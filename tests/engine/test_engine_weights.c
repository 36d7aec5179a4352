/* Weights file: round trip, corruption, truncation, mismatched graphs. */
#include <dirent.h>
#include <unistd.h>

#include "engine_testutil.h"

static vsr_graph *small(int cout)
{
    vsr_graph *g = NULL;
    vsr_error err = {0};
    OK(vsr_graph_create("small", &g, &err));
    OK(vsr_graph_set_meta(g, "F", "16", &err));
    OK(vsr_graph_set_meta(g, "note", "x4, DCR", &err));
    int x = vsr_graph_input(g, "x", 4, 4, 3, &err);
    vsr_conv_params p = vsr_conv_default(cout, 3);
    int t = vsr_graph_conv2d(g, "conv", x, &p, &err);
    t = vsr_graph_layer_norm(g, "ln", t, 1e-3f, &err);
    OK(vsr_graph_output(g, "y", t, &err));
    return g;
}

static char dir[256], path[300];

static void write_file(const uint8_t *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    fclose(f);
}

static uint8_t *read_file(size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(*n);
    assert_int_equal(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

static void test_round_trip(void **state)
{
    (void)state;
    vsr_error err = {0};
    assert_non_null(vsr_test_tmpdir(dir, sizeof(dir)));
    snprintf(path, sizeof(path), "%s/w.vsrw", dir);
    vsr_graph *a = small(4), *b = small(4);
    rand_weights(a, 42, -1, 1);
    OK(vsr_weights_save(a, path, &err));
    vsr_weights *w = NULL;
    OK(vsr_weights_open(path, &w, &err));
    assert_string_equal(vsr_weights_model(w), "small");
    assert_string_equal(vsr_weights_meta(w, "F"), "16");
    assert_string_equal(vsr_weights_meta(w, "note"), "x4, DCR");
    assert_null(vsr_weights_meta(w, "nope"));
    assert_int_equal(vsr_weights_tensor_count(w), 4);
    vsr_weights_free(&w);
    OK(vsr_weights_load(b, path, &err));
    for (int i = 0; i < vsr_graph_weight_count(a); i++) {
        vsr_weight_info wi;
        vsr_graph_weight_info(a, i, &wi);
        const float *da, *db;
        size_t na, nb;
        OK(vsr_graph_get_weight(a, wi.name, &da, &na, &err));
        OK(vsr_graph_get_weight(b, wi.name, &db, &nb, &err));
        assert_int_equal(na, nb);
        assert_memory_equal(da, db, na * sizeof(float));
    }
    /* explicit little-endian: the first weight's bytes sit right after its header */
    size_t n;
    uint8_t *bytes = read_file(&n);
    assert_memory_equal(bytes, "VSRW", 4);
    assert_int_equal(bytes[4] | bytes[5] << 8 | bytes[6] << 16 | bytes[7] << 24, 1);
    free(bytes);
    vsr_graph_free(&a);
    vsr_graph_free(&b);
}

static void test_corruption_truncation_mismatch(void **state)
{
    (void)state;
    vsr_error err = {0};
    vsr_graph *a = small(4), *b = small(4), *c = small(5);
    rand_weights(a, 1, -1, 1);
    OK(vsr_weights_save(a, path, &err));
    size_t n;
    uint8_t *orig = read_file(&n);
    uint8_t *m = malloc(n);
    /* one flipped bit in the data */
    memcpy(m, orig, n);
    m[n / 2] ^= 0x10;
    write_file(m, n);
    assert_int_equal(vsr_weights_load(b, path, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "checksum"));
    assert_non_null(strstr(err.msg, path));
    /* truncated */
    write_file(orig, n - 9);
    assert_int_equal(vsr_weights_load(b, path, &err), -EINVAL);
    /* bad magic */
    memcpy(m, orig, n);
    m[0] = 'X';
    write_file(m, n);
    assert_int_equal(vsr_weights_load(b, path, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "magic"));
    /* shape mismatch names the tensor */
    write_file(orig, n);
    assert_int_equal(vsr_weights_load(c, path, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "conv.weight"));
    /* missing file */
    assert_int_equal(vsr_weights_load(b, "/nonexistent/x.vsrw", &err), -ENOENT);
    free(m);
    free(orig);
    unlink(path);
    rmdir(dir);
    vsr_graph_free(&a);
    vsr_graph_free(&b);
    vsr_graph_free(&c);
}

static void test_missing_and_unknown_tensors(void **state)
{
    (void)state;
    vsr_error err = {0};
    char d[256], p[300];
    assert_non_null(vsr_test_tmpdir(d, sizeof(d)));
    snprintf(p, sizeof(p), "%s/w.vsrw", d);
    /* a graph with an extra layer cannot load a file without it */
    vsr_graph *a = small(4), *b = NULL;
    rand_weights(a, 1, -1, 1);
    OK(vsr_weights_save(a, p, &err));
    OK(vsr_graph_create("small", &b, &err));
    int x = vsr_graph_input(b, "x", 4, 4, 3, &err);
    vsr_conv_params cp = vsr_conv_default(4, 3);
    int t = vsr_graph_conv2d(b, "conv", x, &cp, &err);
    t = vsr_graph_layer_norm(b, "ln", t, 1e-3f, &err);
    t = vsr_graph_prelu(b, "act", t, 1, &err);
    OK(vsr_graph_output(b, "y", t, &err));
    assert_int_equal(vsr_weights_load(b, p, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "act.alpha"));
    vsr_graph_free(&b);
    /* a graph without layer ln does not know the file's ln tensors */
    OK(vsr_graph_create("small", &b, &err));
    x = vsr_graph_input(b, "x", 4, 4, 3, &err);
    t = vsr_graph_conv2d(b, "conv", x, &cp, &err);
    OK(vsr_graph_output(b, "y", t, &err));
    assert_int_equal(vsr_weights_load(b, p, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "ln."));
    unlink(p);
    rmdir(d);
    vsr_graph_free(&a);
    vsr_graph_free(&b);
}

/* vsr_weights_write, the one .vsrw writer: the bytes of a tiny file as
 * engine.h lays them out, built by hand in Python (struct.pack, CRC from
 * zlib.crc32); then a string too long for its u16 length is refused and
 * leaves the previous file as it was, with no temporary file beside it. */
static void test_write_bytes_and_refusal(void **state)
{
    (void)state;
    vsr_error err = {0};
    assert_non_null(vsr_test_tmpdir(dir, sizeof(dir)));
    snprintf(path, sizeof(path), "%s/t.vsrw", dir);
    static const uint8_t want[55] = {
        0x56, 0x53, 0x52, 0x57, 0x01, 0x00, 0x00, 0x00, 0x0e, 0x00, 0x00, 0x00, 0x01, 0x00,
        0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x6b, 0x02, 0x00, 0x76, 0x76, 0x01, 0x00,
        0x00, 0x00, 0x01, 0x00, 0x74, 0x00, 0x02, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x20, 0xc0, 0xbd, 0x41, 0xc8, 0x0c};
    const float data[2] = {1.0f, -2.5f};
    const char *kv[] = {"k", "vv"};
    const vsr_weights_tensor t = {"t", 2, {1, 2}, data};
    OK(vsr_weights_write(path, "m", kv, 1, &t, 1, &err));
    size_t n = 0;
    uint8_t *b = read_file(&n);
    assert_int_equal(n, sizeof(want));
    assert_memory_equal(b, want, sizeof(want));
    free(b);
    char *big = malloc(70000);
    assert_non_null(big);
    memset(big, 'a', 69999);
    big[69999] = '\0';
    const char *kv2[] = {"k", big};
    assert_int_equal(vsr_weights_write(path, "m", kv2, 1, &t, 1, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "t.vsrw: a name or metadata string of 69999 bytes"));
    free(big);
    b = read_file(&n);
    assert_int_equal(n, sizeof(want));
    assert_memory_equal(b, want, sizeof(want));
    free(b);
    DIR *d = opendir(dir);
    assert_non_null(d);
    int others = 0;
    for (struct dirent *e; (e = readdir(d));)
        others += e->d_name[0] != '.' && strcmp(e->d_name, "t.vsrw") != 0;
    closedir(d);
    assert_int_equal(others, 0); /* no t.vsrw.tmp-XXXXXX left */
    vsr_test_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_corruption_truncation_mismatch),
        cmocka_unit_test(test_missing_and_unknown_tensors),
        cmocka_unit_test(test_write_bytes_and_refusal),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
