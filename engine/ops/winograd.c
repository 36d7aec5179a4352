/*
 * Winograd F(2,3) / F(4,3) for dense 3x3 stride-1 dilation-1 FP32 / FP16 convs
 * (vsr_engine_options.conv_algo; the error bound is in include/vsr/engine.h
 * and docs/PERFORMANCE.md "Winograd").
 *
 * Weights: U_xi = G g G^T per (ci, co), computed in double and rounded once,
 * packed per transformed point xi as the weights of a 1x1 conv
 * ([xi][cob][ci][16]) so that the engine's direct microkernel (e->k.f32_conv,
 * kh = kw = 1, zero bias, no clamp) is the batched GEMM
 * M_xi[tile][co] = sum_ci V_xi[tile][ci] U_xi[ci][co].
 *
 * Row bands: output tiles are m x m, aligned at output (0, 0); a work item of
 * the scheduler is a run of whole tile rows, so every output pixel is computed
 * by the same operations whatever the number of items or threads. An item
 * copies the input rows its tile rows read into a zero-padded buffer (FP16
 * widened to FP32), then per tile row and per block of NT tiles: input
 * transform (e->k.f32_wino_in) -> a*a GEMMs -> output transform with bias and
 * ReLU / clip (e->k.f32_wino_out) written straight into the output, or into a
 * row buffer for partial edge tiles and FP16 outputs; PReLU / leaky ReLU are
 * applied to the finished rows.
 *
 * The scalar transforms here are the twins of x86/f32-winograd-avx512f.c: the
 * same products and sums in the same order (each B^T / A^T row combination is
 * c_k * x_k summed left to right over the nonzero c_k).
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../engine_internal.h"

struct vsr_wino {
    int m;          /* what runs: 0 = direct, 2 = F(2,3), 4 = F(4,3); -1 = auto, not chosen */
    float *u[2];    /* U for m = 2 / 4: [xi][ncob][cin][16] (NULL when not prepared) */
    float *zb;      /* zero bias [ncob * 16] for the GEMM */
    uint64_t ns[3]; /* auto: the fastest of the timed runs, direct / F(2,3) / F(4,3) */
};

/* ---- names ----------------------------------------------------------------- */

static const char *const algo_names[] = {"direct", "winograd", "winograd4", "auto"};

const char *vsr_conv_algo_name(vsr_conv_algo a)
{
    return (unsigned)a <= VSR_CONV_AUTO ? algo_names[a] : "?";
}

int vsr_conv_algo_parse(const char *s, vsr_conv_algo *out, vsr_error *err)
{
    for (int k = 0; k <= VSR_CONV_AUTO; k++)
        if (s && !strcmp(s, algo_names[k])) {
            *out = (vsr_conv_algo)k;
            return 0;
        }
    return vsr_error_set(err, -EINVAL,
                         "conv_algo '%s': expected direct, winograd, winograd4 or auto",
                         s ? s : "");
}

const char *vsr__wino_algo(const vsr_engine *e, int i)
{
    const struct vsr_wino *w = e->conv[i].wino;
    if (!w)
        return NULL;
    return w->m < 0    ? "auto"
           : w->m == 2 ? "winograd F(2,3)"
           : w->m == 4 ? "winograd F(4,3)"
                       : "direct";
}

void vsr__wino_free(struct vsr_wino **pw)
{
    struct vsr_wino *w = *pw;
    if (!w)
        return;
    free(w->u[0]), free(w->u[1]), free(w->zb);
    free(w);
    *pw = NULL;
}

/* ---- scalar transforms ------------------------------------------------------ */

/* sum over k of row[k] * x[k * xs], nonzero row[k] only, left to right */
static inline float comb1(const float *row, int n, const float *x, size_t xs)
{
    float acc = 0.f;
    int first = 1;
    for (int k = 0; k < n; k++) {
        if (row[k] == 0.f)
            continue;
        float term = row[k] * x[(size_t)k * xs];
        acc = first ? term : acc + term;
        first = 0;
    }
    return acc;
}

/*
 * F(4,3) in factored form (the rows of B^T / A^T with shared sums; multiplying by
 * 2, 4 or 8 is exact, so only 5 * x rounds besides the additions). No path takes
 * more roundings than the row has nonzeros, so the bound of engine.h holds.
 * x86/f32-winograd-avx512f.c evaluates the same expressions in the same order.
 */
static void in4_1d(const float *d, size_t ds, float *t, size_t ts)
{
    float d0 = d[0], d1 = d[ds], d2 = d[2 * ds], d3 = d[3 * ds], d4 = d[4 * ds], d5 = d[5 * ds];
    t[0] = (d4 + 4.f * d0) - 5.f * d2;
    t[ts] = (d4 + d3) - 4.f * (d1 + d2);
    t[2 * ts] = (d4 - d3) + 4.f * (d1 - d2);
    t[3 * ts] = (d4 - d2) + 2.f * (d3 - d1);
    t[4 * ts] = (d4 - d2) - 2.f * (d3 - d1);
    t[5 * ts] = (d5 + 4.f * d1) - 5.f * d3;
}

static void out4_1d(const float *m, size_t ms, float *y, size_t ys)
{
    float s12 = m[ms] + m[2 * ms], d12 = m[ms] - m[2 * ms];
    float s34 = m[3 * ms] + m[4 * ms], d34 = m[3 * ms] - m[4 * ms];
    y[0] = (m[0] + s12) + s34;
    y[ys] = d12 + 2.f * d34;
    y[2 * ys] = s12 + 4.f * s34;
    y[3 * ys] = (d12 + 8.f * d34) + m[5 * ms];
}

void vsr_f32_wino_in__scalar(int m, const float *in, ptrdiff_t in_row, int cin, int nt,
                             float *v, size_t v_xi)
{
    static const float bt2[16] = VSR_WINO_BT2, bt4[36] = VSR_WINO_BT4;
    const float *bt = m == 2 ? bt2 : bt4;
    int a = m + 2;
    float d[36], tmp[36];
    for (int t = 0; t < nt; t++)
        for (int ci = 0; ci < cin; ci++) {
            for (int r = 0; r < a; r++)
                for (int c = 0; c < a; c++)
                    d[r * a + c] = in[r * in_row + ((ptrdiff_t)t * m + c) * cin + ci];
            float vv[36];
            for (int c = 0; c < a; c++) /* tmp = B^T d, column by column */
                for (int i = 0; i < a && m == 2; i++)
                    tmp[i * a + c] = comb1(bt + i * a, a, d + c, (size_t)a);
            for (int c = 0; c < a && m == 4; c++)
                in4_1d(d + c, 6, tmp + c, 6);
            for (int i = 0; i < a; i++) /* v = tmp B */
                for (int j = 0; j < a && m == 2; j++)
                    vv[i * a + j] = comb1(bt + j * a, a, tmp + i * a, 1);
            for (int i = 0; i < a && m == 4; i++)
                in4_1d(tmp + i * a, 1, vv + i * a, 1);
            for (int xi = 0; xi < a * a; xi++)
                v[(size_t)xi * v_xi + (size_t)t * cin + (size_t)ci] = vv[xi];
        }
}

void vsr_f32_wino_out__scalar(int m, const float *mm, size_t m_xi, int cout, int nt,
                              const float *bias, float minv, float maxv, float *out,
                              ptrdiff_t out_row)
{
    static const float at2[8] = VSR_WINO_AT2, at4[24] = VSR_WINO_AT4;
    const float *at = m == 2 ? at2 : at4;
    int a = m + 2;
    float mv[36], tmp[24];
    for (int t = 0; t < nt; t++)
        for (int co = 0; co < cout; co++) {
            for (int xi = 0; xi < a * a; xi++)
                mv[xi] = mm[(size_t)xi * m_xi + (size_t)t * cout + (size_t)co];
            float yy[16];
            for (int c = 0; c < a; c++) /* tmp = A^T M */
                for (int i = 0; i < m && m == 2; i++)
                    tmp[i * a + c] = comb1(at + i * a, a, mv + c, (size_t)a);
            for (int c = 0; c < a && m == 4; c++)
                out4_1d(mv + c, 6, tmp + c, 6);
            for (int i = 0; i < m; i++) /* y = tmp A + b */
                for (int j = 0; j < m && m == 2; j++)
                    yy[i * m + j] = comb1(at + j * a, a, tmp + i * a, 1);
            for (int i = 0; i < m && m == 4; i++)
                out4_1d(tmp + i * a, 1, yy + i * m, 1);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < m; j++) {
                    float y = yy[i * m + j] + bias[co];
                    y = fminf(fmaxf(y, minv), maxv);
                    out[i * out_row + ((ptrdiff_t)t * m + j) * cout + co] = y;
                }
        }
}

/* ---- preparation ------------------------------------------------------------ */

/* U = G g G^T for every (ci, co), in double, packed [xi][ncob][cin][16]. */
static float *transform_weights(const vsr_conv_prep *c, int m)
{
    static const double g2[4][3] = {{1, 0, 0}, {.5, .5, .5}, {.5, -.5, .5}, {0, 0, 1}};
    static const double g4[6][3] = {{1. / 4, 0, 0},
                                    {-1. / 6, -1. / 6, -1. / 6},
                                    {-1. / 6, 1. / 6, -1. / 6},
                                    {1. / 24, 1. / 12, 1. / 6},
                                    {1. / 24, -1. / 12, 1. / 6},
                                    {0, 0, 1}};
    int a = m + 2, cin = c->uk.cin, cout = c->uk.cout, ncob = c->uk.ncob;
    const double(*G)[3] = m == 2 ? g2 : g4;
    size_t per_xi = (size_t)ncob * cin * 16;
    float *u = vsr__zalloc64((size_t)a * a * per_xi, sizeof(float));
    if (!u)
        return NULL;
    for (int ci = 0; ci < cin; ci++)
        for (int o = 0; o < cout; o++) {
            double g[3][3], tg[6][3]; /* HWIO: w[((ky * 3 + kx) * cin + ci) * cout + o] */
            for (int ky = 0; ky < 3; ky++)
                for (int kx = 0; kx < 3; kx++)
                    g[ky][kx] = c->w[((size_t)(ky * 3 + kx) * cin + (size_t)ci) * cout + o];
            for (int i = 0; i < a; i++)
                for (int l = 0; l < 3; l++)
                    tg[i][l] = G[i][0] * g[0][l] + G[i][1] * g[1][l] + G[i][2] * g[2][l];
            for (int i = 0; i < a; i++)
                for (int j = 0; j < a; j++) {
                    double s = tg[i][0] * G[j][0] + tg[i][1] * G[j][1] + tg[i][2] * G[j][2];
                    u[(size_t)(i * a + j) * per_xi +
                      ((size_t)(o / 16) * cin + (size_t)ci) * 16 + (size_t)(o % 16)] = (float)s;
                }
        }
    return u;
}

int vsr__wino_prepare(vsr_engine *e, int i, vsr_error *err)
{
    const vsr_node *nd = &e->g->nodes[i];
    const vsr_conv_params *p = &nd->conv;
    vsr_conv_prep *c = &e->conv[i];
    vsr_conv_algo algo = e->opt.conv_algo;
    if (algo == VSR_CONV_DIRECT)
        return 0;
    if ((unsigned)algo > VSR_CONV_AUTO)
        return vsr_error_set(err, -EINVAL,
                             "%s: conv_algo %d: expected direct, winograd, "
                             "winograd4 or auto",
                             e->g->name, (int)algo);
    vsr_act_type at = c->act.type;
    /* fp16n: its convs are binary16 arithmetic (or, with a PReLU / leaky epilogue, the
     * FP16 direct path): none is Winograd's FP32 arithmetic */
    if (!c->simd || c->uk.wh || e->opt.fp16_native || e->nprec[i] == VSR_PREC_INT8 ||
        p->kh != 3 || p->kw != 3 || p->dilation != 1 || p->stride != 1 || p->groups != 1 ||
        at == VSR_ACT_SIGMOID)
        return 0; /* the direct path */
    struct vsr_wino *w = calloc(1, sizeof(*w));
    if (!w)
        return vsr_error_set(err, -ENOMEM, "%s: %s: out of memory", e->g->name, nd->name);
    c->wino = w;
    w->m = algo == VSR_CONV_WINOGRAD ? 2 : algo == VSR_CONV_WINOGRAD4 ? 4 : -1;
    w->zb = vsr__zalloc64((size_t)c->uk.ncob * 16, sizeof(float));
    if (w->m != 4)
        w->u[0] = transform_weights(c, 2);
    if (w->m != 2)
        w->u[1] = transform_weights(c, 4);
    if (!w->zb || (w->m != 4 && !w->u[0]) || (w->m != 2 && !w->u[1]))
        return vsr_error_set(err, -ENOMEM, "%s: %s: out of memory for the Winograd weights",
                             e->g->name, nd->name);
    return 0;
}

/* ---- the row-band driver ------------------------------------------------------ */

typedef struct wino_task {
    vsr_engine *e;
    int i, m, a, nt_blk;
    int H, W, C, CO; /* input H x W x C, output H x W x CO */
    int ntr, ntx;    /* tile rows, tiles per row */
    int nchunks;
    size_t rowp;                /* padded input row, floats: (ntx*m + 2) * C */
    size_t off_v, off_m, off_o; /* scratch offsets (floats) */
    vsr_tview in, out;
    const float *u;
    vsr_conv_uk uk; /* the 1x1 GEMM */
    int tail;       /* run the fused SR tail on each tile row (vsr__tail_in_src) */
} wino_task;

static size_t align16(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

/* PReLU / leaky ReLU (not clamps) on n pixels of CO channels */
static void post_act(const vsr_conv_prep *c, float *x, size_t n, int CO)
{
    for (size_t k = 0; k < n; k++)
        for (int o = 0; o < CO; o++) {
            float v = x[k * (size_t)CO + (size_t)o];
            float s = c->act.type == VSR_ACT_PRELU ? c->alpha[o] : c->act.alpha;
            x[k * (size_t)CO + (size_t)o] = v >= 0.f ? v : s * v;
        }
}

static void wino_chunk(void *ctx, size_t chunk)
{
    const wino_task *t = ctx;
    vsr_engine *e = t->e;
    const vsr_conv_prep *c = &e->conv[t->i];
    int tr0 = (int)((size_t)t->ntr * chunk / (size_t)t->nchunks);
    int tr1 = (int)((size_t)t->ntr * (chunk + 1) / (size_t)t->nchunks);
    if (tr0 >= tr1)
        return;
    const int m = t->m, a = t->a, C = t->C, CO = t->CO, NT = t->nt_blk;
    float *pb = e->scratch[chunk];
    float *v = pb + t->off_v, *mm = pb + t->off_m, *ob = pb + t->off_o;
    size_t rowp = t->rowp, inner = (size_t)t->W * C;
    /* FP32 input: tiles whose a x a patch lies inside the frame are transformed
     * straight from the input tensor; the border tiles of a row read two small
     * zero-padded strips, and the top and bottom tile rows a padded band built for
     * them alone (~10% of an ABPN frame with conv_algo auto was this copy). FP16
     * input is widened into padded rows for the whole chunk. */
    int in32 = t->in.dt == VSR_DT_F32;
    int tlast = t->W >= m + 1 ? (t->W - m - 1) / m : 0; /* tiles 1..tlast are interior */
    int wr = (t->ntx - tlast - 1) * m + 2;              /* right strip's columns */
    int rows = (tr1 - tr0) * m + 2;
    for (int r = 0; r < rows && !in32; r++) { /* input rows tr0*m - 1 ..., zero outside */
        int iy = tr0 * m - 1 + r;
        float *row = pb + (size_t)r * rowp;
        if (iy < 0 || iy >= t->H) {
            memset(row, 0, rowp * sizeof(float));
            continue;
        }
        memset(row, 0, (size_t)C * sizeof(float));
        memset(row + C + inner, 0, (rowp - C - inner) * sizeof(float));
        e->k.f16_to_f32((const uint16_t *)t->in.data + (size_t)iy * inner, row + C, inner);
    }
    int f32 = t->out.dt == VSR_DT_F32,
        post = c->act.type == VSR_ACT_PRELU || c->act.type == VSR_ACT_LEAKY_RELU;
    int ntx_full = t->W / m; /* tiles wholly inside a row */
    size_t orow_n = (size_t)t->W * CO, ob_row = (size_t)t->ntx * m * CO;
    size_t per_xi = (size_t)c->uk.ncob * C * 16;
    for (int tr = tr0; tr < tr1; tr++) {
        int y = tr * m, nrows = t->H - y < m ? t->H - y : m;
        const float *band = pb + (size_t)(tr - tr0) * m * rowp;
        /* in place: the tile row's a input rows inside the frame, interior tiles exist */
        int inplace = in32 && y - 1 >= 0 && y - 1 + a <= t->H && tlast >= 1;
        float *sl = pb, *sr = pb + (size_t)a * a * C; /* left / right strips: a rows each */
        if (inplace) {
            vsr__window_f32(&t->in, y - 1, a, -1, a, sl);
            vsr__window_f32(&t->in, y - 1, a, (tlast + 1) * m - 1, wr, sr);
        } else if (in32) {
            vsr__window_f32(&t->in, y - 1, a, -1, (int)(rowp / (size_t)C), pb);
            band = pb;
        }
        int straight = f32 && nrows == m; /* full tiles go straight into the output */
        float *orow = f32 ? (float *)t->out.data + (size_t)y * orow_n : NULL;
        for (int t0 = 0; t0 < t->ntx; t0 += NT) {
            int nt = t->ntx - t0 < NT ? t->ntx - t0 : NT;
            if (!inplace)
                e->k.f32_wino_in(m, band + (size_t)t0 * m * C, (ptrdiff_t)rowp, C, nt, v,
                                 (size_t)NT * C);
            for (int s0 = t0; inplace && s0 < t0 + nt;) { /* strip, tensor, strip */
                int s1 = s0 == 0       ? 1
                         : s0 <= tlast ? (t0 + nt < tlast + 1 ? t0 + nt : tlast + 1)
                                       : t0 + nt;
                const float *base =
                    s0 == 0       ? sl
                    : s0 <= tlast ? (const float *)t->in.data +
                                        ((size_t)(y - 1) * t->W + (size_t)(s0 * m - 1)) * C
                                  : sr + (size_t)(s0 - tlast - 1) * m * C;
                ptrdiff_t ir = s0 == 0       ? (ptrdiff_t)a * C
                               : s0 <= tlast ? (ptrdiff_t)t->W * C
                                             : (ptrdiff_t)wr * C;
                e->k.f32_wino_in(m, base, ir, C, s1 - s0, v + (size_t)(s0 - t0) * C,
                                 (size_t)NT * C);
                s0 = s1;
            }
            vsr_conv_uk uk = t->uk;
            for (int xi = 0; xi < a * a; xi++) {
                uk.wf = t->u + (size_t)xi * per_xi;
                e->k.f32_conv(&uk, v + (size_t)xi * NT * C, mm + (size_t)xi * NT * CO, nt);
            }
            int nd = 0; /* tiles written to the output directly */
            if (straight) {
                nd = ntx_full - t0 < nt ? ntx_full - t0 : nt;
                nd = nd > 0 ? nd : 0;
                if (nd)
                    e->k.f32_wino_out(m, mm, (size_t)NT * CO, CO, nd, c->b, c->uk.minv,
                                      c->uk.maxv, orow + (size_t)t0 * m * CO,
                                      (ptrdiff_t)orow_n);
            }
            if (nt > nd)
                e->k.f32_wino_out(m, mm + (size_t)nd * CO, (size_t)NT * CO, CO, nt - nd, c->b,
                                  c->uk.minv, c->uk.maxv, ob + (size_t)(t0 + nd) * m * CO,
                                  (ptrdiff_t)ob_row);
        }
        size_t x0 = straight ? (size_t)ntx_full * m : 0; /* first pixel held in ob */
        for (int r = 0; r < nrows; r++) {
            float *src = ob + (size_t)r * ob_row;
            if (f32) {
                if (x0 < (size_t)t->W)
                    memcpy(orow + (size_t)r * orow_n + x0 * CO, src + x0 * CO,
                           ((size_t)t->W - x0) * CO * sizeof(float));
                if (post)
                    post_act(c, orow + (size_t)r * orow_n, (size_t)t->W, CO);
            } else {
                if (post)
                    post_act(c, src, (size_t)t->W, CO);
                e->k.f32_to_f16(src, (uint16_t *)t->out.data + (size_t)(y + r) * orow_n,
                                orow_n);
            }
        }
        if (t->tail) /* the fused tail on these rows, while they are in L1/L2 */
            vsr__tail_rows(e, y, y + nrows);
    }
}

static int run_wino(vsr_engine *e, int i, const vsr_tview *in, int m, vsr_error *err)
{
    const vsr_conv_prep *c = &e->conv[i];
    wino_task t = {.e = e, .i = i, .m = m, .a = m + 2, .in = *in};
    t.out = vsr__tensor(e, e->plan.dst[i]);
    t.H = in->h, t.W = in->w, t.C = in->c, t.CO = t.out.c;
    t.ntr = (t.H + m - 1) / m;
    t.ntx = (t.W + m - 1) / m;
    t.nt_blk = m == 2 ? 48 : 24; /* V and M of one block stay in L2 */
    t.u = c->wino->u[m == 2 ? 0 : 1];
    int nc = e->nthreads * VSR_ITEMS_PER_THREAD;
    t.nchunks = nc < t.ntr ? nc : t.ntr;
    int max_tr = (t.ntr + t.nchunks - 1) / t.nchunks;
    t.rowp = ((size_t)t.ntx * m + 2) * t.C;
    size_t a2 = (size_t)t.a * t.a;
    t.off_v = align16(((size_t)max_tr * m + 2) * t.rowp);
    t.off_m = t.off_v + align16(a2 * t.nt_blk * t.C);
    t.off_o = t.off_m + align16(a2 * t.nt_blk * t.CO);
    size_t total = t.off_o + align16((size_t)m * t.ntx * m * t.CO);
    if (vsr__conv_scratch(e, t.nchunks, total * sizeof(float)))
        return vsr_error_set(err, -ENOMEM, "%s: %s: out of memory for the Winograd scratch",
                             e->g->name, e->g->nodes[i].name);
    t.uk = c->uk;
    t.uk.kh = t.uk.kw = t.uk.dil = 1;
    t.uk.in_row = 0;
    t.uk.bf = c->wino->zb;
    t.uk.minv = -INFINITY, t.uk.maxv = INFINITY;
    t.tail = vsr__tail_in_src(e, i, (size_t)m * t.W * t.CO * vsr__dt_size(t.out.dt));
    vsr__parallel(e, wino_chunk, &t, (size_t)t.nchunks);
    return 0;
}

/* The clock auto compares with: the calling thread's CPU time (another process that
 * takes the core does not count); the wall clock where there is none. */
static uint64_t auto_clock(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
        return vsr_clock_ns();
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int run_algo(vsr_engine *e, int i, const vsr_tview *in, int m, vsr_error *err)
{
    return m ? run_wino(e, i, in, m, err) : vsr__conv_direct(e, i, in, err);
}

int vsr__wino_run(vsr_engine *e, int i, const vsr_tview *in, vsr_error *err)
{
    struct vsr_wino *w = e->conv[i].wino;
    vsr_tview out = vsr__tensor(e, e->plan.dst[i]);
    if (out.h != in->h || out.w != in->w) /* not "same" padding: never for 3x3 stride 1 */
        return vsr__conv_direct(e, i, in, err);
    if (w->m < 0) {
        /* auto: time the three on this shape, interleaved, on the calling thread alone
         * (its CPU time: a worker preempted by another process would decide otherwise;
         * the algorithms do the same work at any thread count), keep the fastest */
        static const int ms[3] = {0, 2, 4};
        int nthreads = e->nthreads;
        float *tail_out = e->tail.out;
        e->nthreads = 1;    /* vsr__parallel runs the items inline; the workers wait */
        e->tail.out = NULL; /* the convs alone: no fused tail in the timed bands */
        for (int k = 0; k < 3; k++)
            w->ns[k] = UINT64_MAX;
        for (int rep = 0; rep < 3; rep++)
            for (int k = 0; k < 3; k++) {
                uint64_t t0 = auto_clock();
                int rc = run_algo(e, i, in, ms[k], err);
                uint64_t ns = auto_clock() - t0;
                if (rc) {
                    e->nthreads = nthreads;
                    e->tail.out = tail_out;
                    return rc;
                }
                w->ns[k] = ns < w->ns[k] ? ns : w->ns[k];
            }
        e->nthreads = nthreads;
        e->tail.out = tail_out;
        int best = 0;
        for (int k = 1; k < 3; k++)
            if (w->ns[k] < w->ns[best])
                best = k;
        w->m = ms[best];
    }
    return run_algo(e, i, in, w->m, err);
}
