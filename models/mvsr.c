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
        a = mdl_conv(g, n, a, d, m->ppa_k[j], m->ppa_dil[j], gr, 1,
                     j == m->ppa_n - 1 ? VSR_ACT_SIGMOID : VSR_ACT_NONE, err);
    }
    MDL_NAME(n, "%s_mul", pre);
    int y = vsr_graph_mul(g, n, parts[0], a, err);
    return rejoin(g, pre, y, parts, m->F - d, err);
}

int vsr_models_build_mvsr(vsr_graph *g, const vsr_models_hparams *hp, int h, int w,
                          vsr_error *err)
{
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
    int t;
    if (m->shallow_bsconv) {
        t = mdl_conv(g, "bsconv_pw", a, F, 1, 1, 1, 1, VSR_ACT_NONE, err);
        t = mdl_conv(g, "bsconv_dw", t, F, 3, 1, F, 1, VSR_ACT_NONE, err);
    } else {
        t = mdl_conv(g, "shallow_conv", a, F, 3, 1, 1, 1, VSR_ACT_NONE, err);
    }
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
    int z;
    if (m->tail_bsconv) {
        z = mdl_conv(g, "tail_pw", t, oc, 1, 1, 1, 1, VSR_ACT_NONE, err);
        z = mdl_conv(g, "tail_dw", z, oc, 3, 1, oc, 1, VSR_ACT_NONE, err);
    } else {
        z = mdl_conv(g, "tail", t, oc, 3, 1, 1, 0, VSR_ACT_NONE, err);
    }
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
