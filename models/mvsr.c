/*
 * mvsr.c: the MVSR / FANI generator (docs/MODEL_SPECS.md section 3), one builder for
 * every ablation row and stand-in. It mirrors count.py's mvsr() op by op so
 * that the engine's counts equal count.py's.
 * Input "x" = [x(t-1) | x(t) | x(t+1)] (9 ch); output "sr".
 */
#include <math.h>
#include <stdlib.h>

#include "models_internal.h"

/* The head shared by PFE and PPA: [fc] -> split [d | F-d] into parts (no
 * split when d == F: parts = {t, -1}). 0, or the graph's error. */
static int fc_split(vsr_graph *g, const char *pre, int x, const vsr_models_mvsr_hp *m, int d,
                    int parts[2], vsr_error *err)
{
    char n[VSR_NAME_MAX];
    const int F = m->F, u = F - d;
    int t = x;
    if (m->fc) {
        MDL_NAME(n, "%s_fc", pre);
        t = mdl_conv(g, n, t, F, 1, 1, 1, 1, VSR_ACT_NONE, err);
    }
    parts[0] = t;
    parts[1] = -1;
    if (u) {
        int sizes[2] = {d, u};
        MDL_NAME(n, "%s_split", pre);
        if (vsr_graph_split(g, n, t, 2, sizes, parts, err) < 0)
            return vsr_graph_status(g, err);
    }
    return 0;
}

/* The tail shared by PFE and PPA: @p y concatenated with the untouched
 * part parts[1] when there was a split (@p u = F - d channels). */
static int rejoin(vsr_graph *g, const char *pre, int y, const int parts[2], int u,
                  vsr_error *err)
{
    if (!u)
        return y;
    char n[VSR_NAME_MAX];
    int cat[2] = {y, parts[1]};
    MDL_NAME(n, "%s_concat", pre);
    return vsr_graph_concat(g, n, 2, cat, err);
}

/* PFE: [fc] -> split [d | F-d] -> partial convs on d -> concat -> 1x1 up,
 * [BN], ReLU, 1x1 down. No residual. */
static int pfe(vsr_graph *g, const char *pre, int x, const vsr_models_mvsr_hp *m, int d,
               vsr_error *err)
{
    char n[VSR_NAME_MAX];
    const int F = m->F, u = F - d, gr = m->dw ? d : 1;
    int parts[2], rc;
    if ((rc = fc_split(g, pre, x, m, d, parts, err)))
        return rc;
    int p = parts[0];
    for (int j = 0; j < m->pfe_n; j++) {
        MDL_NAME(n, "%s_pconv%d", pre, j);
        p = mdl_conv(g, n, p, d, m->pfe_k[j], m->pfe_dil[j], gr, 1, VSR_ACT_NONE, err);
    }
    p = rejoin(g, pre, p, parts, u, err);
    MDL_NAME(n, "%s_mix_up", pre);
    if (m->bn) {
        p = mdl_conv(g, n, p, F * m->mix, 1, 1, 1, 1, VSR_ACT_NONE, err);
        MDL_NAME(n, "%s_bn", pre);
        p = vsr_graph_batch_norm(g, n, p, 1e-3f, err);
        MDL_NAME(n, "%s_relu", pre);
        p = vsr_graph_relu(g, n, p, err);
    } else {
        p = mdl_conv(g, n, p, F * m->mix, 1, 1, 1, 1, VSR_ACT_RELU, err);
    }
    MDL_NAME(n, "%s_mix_down", pre);
    return mdl_conv(g, n, p, F, 1, 1, 1, 1, VSR_ACT_NONE, err);
}

/* PPA: [fc] -> split [t1 | t2] -> g = sigmoid(convs(ReLU(t1))) -> t1*g -> concat. */
static int ppa(vsr_graph *g, const char *pre, int x, const vsr_models_mvsr_hp *m, int d,
               vsr_error *err)
{
    char n[VSR_NAME_MAX];
    const int gr = m->dw ? d : 1;
    int parts[2], rc;
    if ((rc = fc_split(g, pre, x, m, d, parts, err)))
        return rc;
    MDL_NAME(n, "%s_relu", pre);
    int a = vsr_graph_relu(g, n, parts[0], err);
    for (int j = 0; j < m->ppa_n; j++) {
        MDL_NAME(n, "%s_att_conv%d", pre, j);
        a = mdl_conv(g, n, a, d, m->ppa_k[j], m->ppa_dil[j], gr, 1, VSR_ACT_NONE, err);
    }
    /* the gate as its own node: the engine fuses it into the conv (FP32, FP16,
     * INT8 float requant) but keeps the conv's tensor for INT8 calibration and
     * for `requant: tflite`, whose conv + LOGISTIC is what a TFLite file holds */
    MDL_NAME(n, "%s_att_sigmoid", pre);
    a = vsr_graph_sigmoid(g, n, a, err);
    MDL_NAME(n, "%s_mul", pre);
    int y = vsr_graph_mul(g, n, parts[0], a, err);
    return rejoin(g, pre, y, parts, m->F - d, err);
}

static int set_meta_int(vsr_graph *g, const char *k, int v, vsr_error *err)
{
    char b[32];
    snprintf(b, sizeof(b), "%d", v);
    return vsr_graph_set_meta(g, k, b, err);
}

/* a 3x3 conv of x to ch channels named plain (bias as given), or with bs set a BSConv:
 * a 1x1 conv pw then a depthwise 3x3 dw, both with bias */
static int conv_or_bsconv(vsr_graph *g, int bs, const char *pw, const char *dw,
                          const char *plain, int x, int ch, int bias, vsr_error *err)
{
    if (!bs)
        return mdl_conv(g, plain, x, ch, 3, 1, 1, bias, VSR_ACT_NONE, err);
    int t = mdl_conv(g, pw, x, ch, 1, 1, 1, 1, VSR_ACT_NONE, err);
    return mdl_conv(g, dw, t, ch, 3, 1, ch, 1, VSR_ACT_NONE, err);
}

static int build(vsr_graph *g, const vsr_models_hparams *hp, int h, int w, vsr_error *err)
{
    /* the variant's figures as graph metadata, ahead of the ops */
    char r[32];
    snprintf(r, sizeof(r), "%d/%d", hp->mvsr.ratio_num, hp->mvsr.ratio_den);
    int rc = set_meta_int(g, "F", hp->mvsr.F, err);
    rc = rc ? rc : set_meta_int(g, "B", hp->mvsr.B, err);
    rc = rc ? rc : vsr_graph_set_meta(g, "ratio", r, err);
    if (rc)
        return rc;
    const vsr_models_mvsr_hp *m = &hp->mvsr;
    const int F = m->F, s = hp->scale;
    const int d = F * m->ratio_num / m->ratio_den;
    char n[VSR_NAME_MAX];
    int x = vsr_graph_input(g, "x", h, w, 9, err);
    int xp = vsr_graph_slice(g, "x_prev", x, 0, 3, err);
    int xc = vsr_graph_slice(g, "x_cur", x, 3, 6, err);
    int xn = vsr_graph_slice(g, "x_next", x, 6, 9, err);

    int a;
    switch (m->align) {
    case VSR_MVSR_ALIGN_AFA:
    case VSR_MVSR_ALIGN_AFA_V1: {
        int pn[2] = {xp, xn};
        int ref = vsr_graph_concat(g, "afa_ref_in", 2, pn, err);
        ref = mdl_conv(g, "afa_ref_conv", ref, 1, 3, 1, 1, 1, VSR_ACT_NONE, err);
        int q = mdl_conv(g, "afa_q_conv", ref, 3, 3, 1, 1, 1, VSR_ACT_NONE, err);
        int k = mdl_conv(g, "afa_k_conv", xc, 3, 3, 1, 1, 1, VSR_ACT_NONE, err);
        int v = mdl_conv(g, "afa_v_conv", xc, 3, 3, 1, 1, 1, VSR_ACT_NONE, err);
        int sc = vsr_graph_matmul_tn(g, "afa_scores", k, q, (float)(1.0 / sqrt(3.0)), err);
        sc = vsr_graph_softmax(g, "afa_softmax", sc, err);
        int y = vsr_graph_matmul_pixels(g, "afa_apply", v, sc, err);
        if (m->align == VSR_MVSR_ALIGN_AFA_V1)
            y = mdl_conv(g, "afa_out_proj", y, 3, 1, 1, 1, 1, VSR_ACT_NONE, err);
        a = vsr_graph_add(g, "afa_residual", xc, y, err);
        break;
    }
    case VSR_MVSR_ALIGN_CONV1X1:
        a = mdl_conv(g, "frame_mixer", x, F, 1, 1, 1, 1, VSR_ACT_NONE, err);
        break;
    case VSR_MVSR_ALIGN_STACK9:
        a = x;
        break;
    case VSR_MVSR_ALIGN_NONE:
    default:
        a = xc;
        break;
    }
    int t = conv_or_bsconv(g, m->shallow_bsconv, "bsconv_pw", "bsconv_dw", "shallow_conv", a, F,
                           1, err);
    for (int b = 0; b < m->B; b++) {
        int u = t, o[3];
        int cur = t;
        for (int i = 0; i < 3; i++) {
            MDL_NAME(n, "blk%d_pfe%d", b, i);
            cur = o[i] = pfe(g, n, cur, m, d, err);
        }
        int r[4];
        const int src[4] = {o[0], o[1], o[2], u};
        static const char *const nm[4] = {"o1", "o2", "o3", "u"};
        for (int i = 0; i < 4; i++) {
            MDL_NAME(n, "blk%d_refine_%s", b, nm[i]);
            r[i] = mdl_conv(g, n, src[i], F / 4, 1, 1, 1, 1, VSR_ACT_NONE, err);
        }
        MDL_NAME(n, "blk%d_concat", b);
        int c = vsr_graph_concat(g, n, 4, r, err);
        if (m->fuse) {
            MDL_NAME(n, "blk%d_fuse", b);
            c = mdl_conv(g, n, c, F, 1, 1, 1, 1, VSR_ACT_NONE, err);
        }
        MDL_NAME(n, "blk%d_ppa", b);
        t = ppa(g, n, c, m, d, err);
    }
    const int oc = (m->rgb_share ? 1 : 3) * s * s;
    int z = conv_or_bsconv(g, m->tail_bsconv, "tail_pw", "tail_dw", "tail", t, oc, 0, err);
    if (m->skip_nearest) {
        int nc = mdl_conv(g, "nearest_conv", xc, 3 * s * s, 1, 1, 1, 0, VSR_ACT_NONE, err);
        z = vsr_graph_add(g, "add_skip", z, nc, err);
        z = vsr_graph_depth_to_space(g, "depth_to_space", z, s, err);
        if (vsr_graph_status(g, err) == 0) {
            /* Frozen weights: input channel c feeds every output k with k % 3 == c (DCR). */
            float *wt = calloc((size_t)3 * 3 * s * s, sizeof(float));
            if (!wt)
                return vsr_error_set(err, -ENOMEM, "nearest_conv: out of memory");
            for (int k = 0; k < 3 * s * s; k++)
                wt[(k % 3) * 3 * s * s + k] = 1.0f;
            int rc = vsr_graph_set_weight(g, "nearest_conv.weight", wt, (size_t)9 * s * s, err);
            free(wt);
            if (rc)
                return rc;
        }
    } else {
        z = vsr_graph_depth_to_space(g, "depth_to_space", z, s, err);
        int up = vsr_graph_resize_bilinear(g, "bilinear", xc, s, err);
        z = vsr_graph_add(g, "add_bilinear", up, z, err);
    }
    z = vsr_graph_clip(g, "clip", z, 0.0f, 255.0f, err);
    vsr_graph_output(g, "sr", z, err);
    (void)xn;
    return vsr_graph_status(g, err);
}

static int check(const vsr_models_hparams *hp, vsr_error *err)
{
    const vsr_models_mvsr_hp *m = &hp->mvsr;
    if (m->F < 4 || m->F > 1024 || m->F % 4)
        return vsr_error_set(err, -EINVAL, "mvsr F=%d: must be a multiple of 4 in 4..1024",
                             m->F);
    if (m->B < 1 || m->B > 64)
        return vsr_error_set(err, -EINVAL, "mvsr B=%d: must be 1..64", m->B);
    if (m->ratio_den < 1 || m->ratio_num < 1 || m->ratio_num > m->ratio_den ||
        (m->F * m->ratio_num) % m->ratio_den)
        return vsr_error_set(err, -EINVAL,
                             "mvsr ratio %d/%d: F*r must be an integer in 1..F (F=%d)",
                             m->ratio_num, m->ratio_den, m->F);
    if (m->pfe_n < 1 || m->pfe_n > VSR_MVSR_MAX_K || m->ppa_n < 1 || m->ppa_n > VSR_MVSR_MAX_K)
        return vsr_error_set(err, -EINVAL, "mvsr pfe_k/ppa_k: 1..%d convs each",
                             VSR_MVSR_MAX_K);
    for (int i = 0; i < m->pfe_n + m->ppa_n; i++) {
        int k = i < m->pfe_n ? m->pfe_k[i] : m->ppa_k[i - m->pfe_n];
        int dl = i < m->pfe_n ? m->pfe_dil[i] : m->ppa_dil[i - m->pfe_n];
        if (k < 1 || k > 31 || !(k & 1) || dl < 1 || dl > 16)
            return vsr_error_set(err, -EINVAL,
                                 "mvsr %s kernel %d dilation %d: kernel must be odd 1..31, "
                                 "dilation 1..16",
                                 i < m->pfe_n ? "pfe_k" : "ppa_k", k, dl);
    }
    if (m->mix < 1 || m->mix > 8)
        return vsr_error_set(err, -EINVAL, "mvsr mix=%d: must be 1..8", m->mix);
    if (m->skip_nearest && m->rgb_share)
        return vsr_error_set(err, -EINVAL,
                             "mvsr: nearest_conv skip needs a 48-channel tail "
                             "(rgb_share off)");
    return 0;
}

static void interface(const vsr_models_hparams *hp, enum vsr_models_temporal *t, int *in_ch,
                      int *state_ch)
{
    (void)hp;
    *t = VSR_MODELS_T_WINDOW3;
    *in_ch = 9;
    *state_ch = 0;
}

/* enum vsr_models_mvsr_align by value */
static const char *const align_names[] = {"afa", "afa_v1", "conv1x1", "stack9", "none", NULL};

#define MV_INT(NAME, MIN, MAX, HELP) MDL_OPT_INT(#NAME, mvsr.NAME, MIN, MAX, HELP)
#define MV_LIST(NAME, COUNT, HELP)                                                             \
    {                                                                                          \
        .name = #NAME, .type = VSR_MODELS_OPT_INT_LIST,                                        \
        .offset = offsetof(vsr_models_hparams, mvsr.NAME), .offset2 = COUNT, .min = 1,         \
        .max = 64, .max_n = VSR_MVSR_MAX_K, .help = HELP                                       \
    }
static const vsr_models_option options[] = {
    MDL_OPT_SCALE,
    MV_INT(F, 4, 1024, "feature channels"),
    MV_INT(B, 1, 64, "MPFD blocks"),
    {.name = "ratio",
     .type = VSR_MODELS_OPT_RATIO,
     .offset = offsetof(vsr_models_hparams, mvsr.ratio_num),
     .offset2 = offsetof(vsr_models_hparams, mvsr.ratio_den),
     .min = 1,
     .max = 64,
     .help = "partial ratio a/b (d = F*a/b integral)"},
    MV_LIST(pfe_k, offsetof(vsr_models_hparams, mvsr.pfe_n), "PFE kernel sizes"),
    MV_LIST(pfe_dil, 0, "PFE dilations"),
    MV_LIST(ppa_k, offsetof(vsr_models_hparams, mvsr.ppa_n), "PPA kernel sizes"),
    MV_LIST(ppa_dil, 0, "PPA dilations"),
    MV_INT(dw, 0, 1, "partial convs depthwise"),
    MV_INT(fc, 0, 1, "1x1 F->F in front of every PFE/PPA split"),
    MV_INT(mix, 0, 8, "PFE expansion F -> mix*F -> F"),
    MV_INT(bn, 0, 1, "BatchNorm after the expansion"),
    MV_INT(shallow_bsconv, 0, 1, "1: BSConv shallow layer, 0: dense 3x3"),
    {.name = "align",
     .type = VSR_MODELS_OPT_ENUM,
     .offset = offsetof(vsr_models_hparams, mvsr.align),
     .enum_names = align_names,
     .help = "frame alignment"},
    MV_INT(tail_bsconv, 0, 1, "1: BSConv tail, 0: 3x3 no-bias conv"),
    MV_INT(rgb_share, 0, 1, "tail predicts one HR channel shared by R, G, B"),
    MV_INT(skip_nearest, 0, 1, "1: nearest conv at LR, 0: bilinear at HR"),
    MV_INT(fuse, 0, 1, "per-block 1x1 channel fuse (MVSR_10)"),
};

const vsr_models_family_def vsr__models_mvsr = {
    .id = VSR_MODELS_MVSR,
    .name = "MVSR",
    .check = check,
    .interface = interface,
    .build = build,
    MDL_OPTIONS(options),
};
