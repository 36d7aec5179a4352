/*
 * build.c: vsr_models_build() dispatch, test-only random weights, loading
 * trained weights, and the .npy-folder importer with its YAML name map.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <libfyaml.h>

#include "models_internal.h"
#include "vsr/option.h"

static int set_meta_int(vsr_graph *g, const char *k, int v, vsr_error *err)
{
    char b[32];
    snprintf(b, sizeof(b), "%d", v);
    return vsr_graph_set_meta(g, k, b, err);
}

int vsr_models_build(const vsr_models_hparams *hp, const char *name, int h, int w,
                     vsr_graph **out, vsr_error *err)
{
    *out = NULL;
    int rc = vsr_models_hparams_check(hp, err);
    if (rc)
        return vsr_error_wrap(err, rc, "%s", name ? name : "model");
    if (!vsr__models_family(hp->family)->build) /* checked: in the table */
        return vsr_error_set(err, -ENOTSUP,
                             "%s: %s has no graph; use vsr_models_bicubic_step()", name,
                             vsr_models_family_name(hp->family));
    if (h < 1 || w < 1)
        return vsr_error_set(err, -EINVAL, "%s: input size %dx%d must be positive", name, w, h);
    vsr_graph *g = NULL;
    if ((rc = vsr_graph_create(name ? name : vsr_models_family_name(hp->family), &g, err)))
        return rc;
    rc = set_meta_int(g, "scale", hp->scale, err);
    if (!rc)
        rc = vsr_graph_set_meta(g, "family", vsr_models_family_name(hp->family), err);
    if (rc)
        goto fail;
    rc = vsr__models_family(hp->family)->build(g, hp, h, w, err);
    if (rc)
        goto fail;
    *out = g;
    return 0;
fail:
    vsr_graph_free(&g);
    return rc;
}

/* splitmix64: reproducible, no global state. */
static uint64_t mix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

int vsr_models_random_weights(vsr_graph *g, uint64_t seed, vsr_error *err)
{
    int n = vsr_graph_weight_count(g);
    uint64_t st = seed;
    for (int i = 0; i < n; i++) {
        vsr_weight_info wi;
        int rc = vsr_graph_weight_info(g, i, &wi);
        if (rc)
            return vsr_error_set(err, rc, "weight %d: no info", i);
        if (wi.is_set)
            continue;
        float *d = malloc((wi.count ? wi.count : 1) * sizeof(float));
        if (!d)
            return vsr_error_set(err, -ENOMEM, "%s: out of memory", wi.name);
        const char *role = strrchr(wi.name, '.');
        role = role ? role + 1 : "";
        /* fan-in of an HWIO kernel = kh*kw*Cin/groups */
        size_t fan = 1;
        if (wi.ndim == 4)
            fan = (size_t)wi.dims[0] * wi.dims[1] * wi.dims[2];
        float lim = sqrtf(3.0f / (float)fan);
        for (size_t k = 0; k < wi.count; k++) {
            float u = (float)((mix64(&st) >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f;
            if (!strcmp(role, "weight"))
                d[k] = u * lim;
            else if (!strcmp(role, "gamma") || !strcmp(role, "var"))
                d[k] = 1.0f + 0.1f * u;
            else if (!strcmp(role, "alpha"))
                d[k] = 0.25f;
            else
                d[k] = 0.1f * u;
        }
        rc = vsr_graph_set_weight(g, wi.name, d, wi.count, err);
        free(d);
        if (rc)
            return rc;
    }
    return 0;
}

int vsr_models_load_weights(const vsr_models_entry *e, vsr_graph *g, const char *path,
                            vsr_error *err)
{
    struct stat st;
    if (!path || stat(path, &st) != 0) {
        const char *hint = e && e->weights_hint ? e->weights_hint : "import or train them";
        return vsr_error_set(err, -ENOENT, "%s: no trained weights%s%s; %s",
                             e ? e->name : vsr_graph_name(g), path ? " at " : "",
                             path ? path : "", hint);
    }
    return vsr_weights_load(g, path, err);
}

/* ---- .npy folder + YAML map ------------------------------------------------ */

/* OIHW -> HWIO for a 4-D weight of HWIO dims[] (kh, kw, cin, cout). */
static void oihw_to_hwio(const float *src, float *dst, const int *dims)
{
    int kh = dims[0], kw = dims[1], ci = dims[2], co = dims[3];
    for (int o = 0; o < co; o++)
        for (int i = 0; i < ci; i++)
            for (int y = 0; y < kh; y++)
                for (int x = 0; x < kw; x++)
                    dst[(((size_t)y * kw + x) * ci + i) * co + o] =
                        src[(((size_t)o * ci + i) * kh + y) * kw + x];
}

/* The keys of a name map (vsr_models_import_npy()), read by the option table. */
struct name_map {
    char *model; /* NULL: any graph */
    int oihw;    /* layout: 0 HWIO, 1 OIHW */
    char **crd;  /* layers whose outputs feed a PixelShuffle (CRD): permuted to DCR */
    int n_crd;
    int range01; /* 1: the [0, 1] network's weights: fold /255 and x255 (weights only) */
    char *file;  /* one weight's file (read by hand from weights:) */
};

static const char *const map_layouts[] = {"HWIO", "OIHW", NULL};
static const vsr_option map_options[] = {
    VSR_OPT_S("model", struct name_map, model, NULL, "must equal the graph name if given"),
    VSR_OPT_E("layout", struct name_map, oihw, 0, map_layouts,
              "of 4-D kernels: HWIO (TF) or OIHW (PyTorch)"),
    VSR_OPT_HAND("weights", "a mapping of weight -> .npy file",
                 "every graph weight (required)"),
    {.name = "crd_to_dcr",
     .type = VSR_OPT_LIST,
     .offset = offsetof(struct name_map, crd),
     .count_offset = offsetof(struct name_map, n_crd),
     .help = "layers feeding PyTorch's PixelShuffle (CRD): output channels permuted to "
             "depth_to_space's DCR"},
    VSR_OPT_B("range01", struct name_map, range01, 0,
              "the checkpoint takes and returns [0, 1]: fold /255 and x255 into it"),
    {.name = NULL},
};

/*
 * Permute the output channels of @p layer's kernel (HWIO, Cout fastest) and
 * bias from PyTorch PixelShuffle's order (channel c * r^2 + k, k = dy * r +
 * dx) to depth_to_space's DCR (k * C + c), r from the graph's "scale".
 */
static int crd_to_dcr(vsr_graph *g, const char *layer, vsr_error *err)
{
    const char *sc = vsr_graph_get_meta(g, "scale");
    int r = sc ? atoi(sc) : 0;
    static const char *const roles[2] = {"weight", "bias"};
    for (int k = 0; k < 2; k++) {
        size_t n = 0;
        const float *w = mdl_layer_weight(g, layer, roles[k], &n);
        if (!w && k == 1)
            break; /* no bias */
        if (!w)
            return vsr_error_set(err, -EINVAL, "crd_to_dcr: no layer '%s' in %s", layer,
                                 vsr_graph_name(g));
        vsr_weight_info wi = {0};
        for (int i = 0; i < vsr_graph_weight_count(g); i++) {
            vsr_graph_weight_info(g, i, &wi);
            char want[VSR_NAME_MAX + 16];
            snprintf(want, sizeof(want), "%s.%s", layer, roles[k]);
            if (!strcmp(wi.name, want))
                break;
        }
        int co = wi.ndim == 4 ? wi.dims[3] : (int)n;
        if (r < 1 || co % (r * r))
            return vsr_error_set(err, -EINVAL,
                                 "crd_to_dcr: %s has %d output channels, not C x %d^2", layer,
                                 co, r);
        int C = co / (r * r);
        float *d = malloc(n * sizeof(float));
        if (!d)
            return vsr_error_set(err, -ENOMEM, "%s: out of memory", layer);
        for (size_t base = 0; base < n; base += (size_t)co)
            for (int c = 0; c < C; c++)
                for (int q = 0; q < r * r; q++)
                    d[base + (size_t)q * C + c] = w[base + (size_t)c * r * r + q];
        char wn[VSR_NAME_MAX + 16];
        snprintf(wn, sizeof(wn), "%s.%s", layer, roles[k]);
        int rc = vsr_graph_set_weight(g, wn, d, n, err);
        free(d);
        if (rc)
            return rc;
    }
    return 0;
}
static const vsr_option map_file_option =
    VSR_OPT_S("file", struct name_map, file, NULL, "a weight's .npy file");

/* Set weight @p wi of @p g from the .npy at @p path. */
static int import_one_npy(vsr_graph *g, const vsr_weight_info *wi, const char *path, int oihw,
                          vsr_error *err)
{
    vsr_models_npy a;
    float *f = NULL, *t = NULL;
    int rc = vsr_models_npy_read(path, &a, err);
    if (rc)
        return rc;
    if (a.count != wi->count) {
        rc = vsr_error_set(err, -EINVAL, "%s: %zu elements, weight '%s' needs %zu", path,
                           a.count, wi->name, wi->count);
    } else if (!(rc = vsr_models_npy_to_f32(&a, &f, err))) {
        if (oihw && wi->ndim == 4) {
            t = malloc(wi->count * sizeof(float));
            if (!t)
                rc = vsr_error_set(err, -ENOMEM, "%s: out of memory", path);
            else
                oihw_to_hwio(f, t, wi->dims);
        } else if (a.ndim == wi->ndim) {
            for (int k = 0; k < a.ndim; k++)
                if (a.shape[k] != wi->dims[k])
                    rc = vsr_error_set(err, -EINVAL,
                                       "%s: dim %d is %lld, weight '%s' (HWIO) needs %d", path,
                                       k, (long long)a.shape[k], wi->name, wi->dims[k]);
        }
        if (!rc)
            rc = vsr_graph_set_weight(g, wi->name, t ? t : f, wi->count, err);
    }
    free(f);
    free(t);
    vsr_models_npy_free(&a);
    return rc;
}

int vsr_models_import_npy(vsr_graph *g, const char *npy_dir, const char *map_yaml,
                          vsr_error *err)
{
    char *text = NULL;
    size_t len = 0;
    struct fy_document *doc = NULL;
    int rc = vsr_read_text_file(map_yaml, "a YAML name map", &text, &len, err);
    if (rc == -ENOENT)
        return vsr_error_set(err, rc, "%s: no such YAML name map; check --map", map_yaml);
    if (!rc)
        rc = vsr_yaml_parse(map_yaml, text, len, &doc, err); /* the guarded door to libfyaml */
    if (rc) {
        free(text);
        return rc;
    }
    /* the option table's convention: "MAP:LINE: KEY: problem", unknown keys refused */
    struct name_map map = {0};
    vsr_opt_ctx c;
    vsr_opt_ctx_init(&c, map_yaml, err);
    struct fy_node *root = fy_document_root(doc), *wn = NULL;
    if (!root || !fy_node_is_mapping(root)) {
        rc = vsr_error_set(err, -EINVAL, "%s: the name map must be a YAML mapping", map_yaml);
        goto done;
    }
    if ((rc = vsr_opt_defaults(&c, map_options, &map)) ||
        (rc = vsr_opt_read(&c, map_options, &map, root, "")))
        goto done;
    if (map.model && strcasecmp(map.model, vsr_graph_name(g)) != 0) {
        rc = vsr_opt_fail(&c, vsr_opt_lookup(&c, root, "model"), 0, "model",
                          "map is for model '%s', graph is '%s'", map.model, vsr_graph_name(g));
        goto done;
    }
    if (!(wn = vsr_opt_lookup(&c, root, "weights")) || !fy_node_is_mapping(wn)) {
        rc = vsr_opt_fail(&c, wn ? wn : root, 0, "weights",
                          "needs a 'weights:' mapping of weight -> file");
        goto done;
    }
    int nw = vsr_graph_weight_count(g);
    for (int i = 0; i < nw && !rc; i++) {
        vsr_weight_info wi;
        vsr_graph_weight_info(g, i, &wi);
        if (wi.is_set)
            continue; /* fixed weights (nearest conv) */
        char kp[VSR_OPT_PATH_CAP], path[4200];
        snprintf(kp, sizeof(kp), "weights.%s", wi.name);
        struct fy_node *fn = fy_node_mapping_lookup_by_string(wn, wi.name, -1);
        if (!fn || vsr_opt_is_null(fn)) {
            rc = vsr_opt_fail(&c, wn, 0, kp, "weight '%s' of %s is not mapped to a file",
                              wi.name, vsr_graph_name(g));
            break;
        }
        if ((rc = vsr_opt_read_value(&c, &map_file_option, &map, fn, kp)))
            break;
        snprintf(path, sizeof(path), "%s/%s", npy_dir, map.file);
        rc = import_one_npy(g, &wi, path, map.oihw, err);
    }
    for (int i = 0; !rc && i < map.n_crd; i++)
        if ((rc = crd_to_dcr(g, map.crd[i], err)))
            vsr_error_wrap(err, rc, "%s: crd_to_dcr", map_yaml);
    if (!rc && map.range01 &&
        (rc = vsr_models_fold_range01(g, VSR_FOLD_WEIGHTS_ONLY, NULL, 0, err)))
        vsr_error_wrap(err, rc, "%s: range01", map_yaml);
done:
    vsr_opt_free(map_options, &map);
    free(map.file);
    fy_document_destroy(doc);
    free(text);
    return rc;
}

int vsr_models_copy_weights_by_order(const vsr_graph *src, vsr_graph *dst, vsr_error *err)
{
    int ns = vsr_graph_weight_count(src), nd = vsr_graph_weight_count(dst);
    if (ns != nd)
        return vsr_error_set(err, -EINVAL,
                             "%s has %d weight tensors, %s has %d: not the same "
                             "architecture",
                             vsr_graph_name(src), ns, vsr_graph_name(dst), nd);
    for (int i = 0; i < ns; i++) {
        vsr_weight_info a, b;
        vsr_graph_weight_info(src, i, &a);
        vsr_graph_weight_info(dst, i, &b);
        const char *ra = strrchr(a.name, '.'), *rb = strrchr(b.name, '.');
        if (a.count != b.count || !ra || !rb || strcmp(ra, rb) != 0)
            return vsr_error_set(err, -EINVAL, "weight %d: %s (%zu) does not match %s (%zu)", i,
                                 a.name, a.count, b.name, b.count);
        const float *d;
        size_t n;
        int rc = vsr_graph_get_weight(src, a.name, &d, &n, err);
        if (rc)
            return rc;
        if (!d)
            return vsr_error_set(err, -EINVAL, "%s: not set in %s", a.name,
                                 vsr_graph_name(src));
        if ((rc = vsr_graph_set_weight(dst, b.name, d, n, err)))
            return rc;
    }
    return 0;
}

int vsr_models_fold_range01(vsr_graph *g, unsigned flags, char *log, size_t cap, vsr_error *err)
{
    const float s[3] = {1.0f / 255.0f, 1.0f / 255.0f, 1.0f / 255.0f};
    int rc = vsr_graph_fold_input_affine(g, 0, s, NULL, flags, log, cap, err);
    return rc ? rc : vsr_graph_fold_output_affine(g, 0, 255.0f, 0.0f, flags, log, cap, err);
}

int vsr_models_fold_note(const vsr_models_hparams *hp, char *buf, size_t cap, vsr_error *err)
{
    int n = 0, has = 0;
    const vsr_models_option *o = vsr_models_family_options(hp->family, &n);
    for (int i = 0; i < n; i++)
        has |= !strcmp(o[i].name, "range01");
    if (cap)
        buf[0] = '\0';
    if (!has)
        return 0;
    vsr_models_hparams h01 = *hp;
    h01.range01 = 1;
    vsr_graph *g = NULL;
    int rc = vsr_models_build(&h01, "fold", 8, 8, &g, err);
    for (int i = 0; !rc && i < vsr_graph_weight_count(g); i++) {
        vsr_weight_info wi;
        vsr_graph_weight_info(g, i, &wi);
        float *z = calloc(wi.count ? wi.count : 1, sizeof(float));
        rc = z ? vsr_graph_set_weight(g, wi.name, z, wi.count, err)
               : vsr_error_set(err, -ENOMEM, "out of memory");
        free(z);
    }
    if (!rc)
        rc = vsr_models_fold_range01(g, 0, buf, cap, err);
    vsr_graph_free(&g);
    return rc;
}
