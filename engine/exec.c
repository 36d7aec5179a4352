/*
 * Executor: engine creation (fusion plan, tensor types, INT8 parameters,
 * weight preparation, kernel selection), the scratch arena, one pass over
 * the ops, input / output copies and the per-layer profile.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine_internal.h"

void vsr_engine_options_default(vsr_engine_options *o)
{
    memset(o, 0, sizeof(*o));
    o->isa_mask = ~0u;
}

static void par_nothing(void *ctx, size_t i)
{
    (void)ctx, (void)i;
}

/* VSR_WAIT_FRAME: the frame is done; one empty op with the yield flag sends
 * the workers (still spinning after the last real op) to sleep. */
static void park_workers(vsr_engine *e)
{
    if (e->pool && e->nthreads > 1 && e->opt.wait == VSR_WAIT_FRAME)
        pthreadpool_parallelize_1d(e->pool, par_nothing, NULL, (size_t)e->nthreads,
                                   PTHREADPOOL_FLAG_YIELD_WORKERS);
}

const char *vsr_wait_policy_name(vsr_wait_policy w)
{
    switch (w) {
    case VSR_WAIT_SPIN:
        return "spin";
    case VSR_WAIT_YIELD:
        return "yield";
    case VSR_WAIT_FRAME:
        return "frame";
    }
    return "?";
}

int vsr_wait_policy_parse(const char *s, vsr_wait_policy *out, vsr_error *err)
{
    static const vsr_wait_policy all[] = {VSR_WAIT_YIELD, VSR_WAIT_SPIN, VSR_WAIT_FRAME};
    for (size_t i = 0; s && i < sizeof(all) / sizeof(all[0]); i++)
        if (!strcmp(s, vsr_wait_policy_name(all[i]))) {
            *out = all[i];
            return 0;
        }
    return vsr_error_set(err, -EINVAL, "wait policy '%s': expected yield, spin or frame",
                         s ? s : "(null)");
}

static int is_movement(vsr_op_type op)
{
    return (vsr__op_def(op)->flags & VSR_OPF_MOVEMENT) != 0;
}

void vsr_engine_free(vsr_engine **pe)
{
    if (!pe || !*pe)
        return;
    vsr_engine *e = *pe;
    int n = e->g->n_nodes;
    if (e->conv)
        for (int i = 0; i < n; i++)
            vsr__conv_free(&e->conv[i]);
    if (e->pw)
        for (int i = 0; i < n; i++)
            free(e->pw[i]);
    if (e->in_buf)
        for (int i = 0; i < e->g->n_inputs; i++)
            free(e->in_buf[i]);
    if (e->out_buf)
        for (int i = 0; i < e->g->n_outputs; i++)
            free(e->out_buf[i]);
    vsr__tile_free(e);
    vsr__plan_free(&e->plan);
    free(e->conv), free(e->pw), free(e->dt), free(e->nprec), free(e->qscale), free(e->qzp);
    free(e->blk);
    free(e->cvt);
    free(e->shp), free(e->off), free(e->arena);
    free(e->in_hw), free(e->in_buf), free(e->in_cap);
    free(e->out_buf), free(e->out_cap), free(e->out_shape);
    free(e->prof_ns), free(e->prof_calls);
    free(e->tail.lut);
    free(e->tail.flut);
    free(e->tail.q);
    if (e->lut2)
        for (int i = 0; i < n; i++)
            free(e->lut2[i]);
    free(e->lut2);
    for (int i = 0; i < e->n_scratch; i++)
        free(e->scratch[i]);
    free(e->scratch), free(e->scratch_cap);
    free(e);
    *pe = NULL;
}

static vsr_dtype prec_dtype(vsr_precision p)
{
    return p == VSR_PREC_FP32 ? VSR_DT_F32 : p == VSR_PREC_INT8 ? VSR_DT_I8 : VSR_DT_F16;
}

/* Node @p name: its name, or the # the per-layer table prints (index + 1); -1 if none. */
static int find_layer(const vsr_graph *g, const char *name)
{
    for (int i = 0; i < g->n_nodes; i++)
        if (!strcmp(g->nodes[i].name, name))
            return i;
    char *end;
    long k = strtol(name, &end, 10);
    return *name && !*end && k >= 1 && k <= g->n_nodes ? (int)k - 1 : -1;
}

/* Per-node precisions: the engine's, then opt.layer_prec; a fused chain (conv -> [bn]
 * -> [act]) takes its conv's. */
static int node_precisions(vsr_engine *e, vsr_error *err)
{
    const vsr_graph *g = e->g;
    const vsr_plan *p = &e->plan;
    int n = g->n_nodes;
    for (int i = 0; i < n; i++)
        e->nprec[i] = e->prec;
    if (e->opt.n_layer_prec > 0 && !e->opt.layer_prec)
        return vsr_error_set(err, -EINVAL, "%s: %d layer precisions but no list", g->name,
                             e->opt.n_layer_prec);
    for (int k = 0; k < e->opt.n_layer_prec; k++) {
        const vsr_layer_precision *lp = &e->opt.layer_prec[k];
        const char *nm = lp->layer ? lp->layer : "(null)";
        int j = lp->layer ? find_layer(g, lp->layer) : -1;
        if (j < 0)
            return vsr_error_set(err, -EINVAL,
                                 "%s: no layer '%s' to set the precision of (the per-layer "
                                 "table, vsrbench models -v %s, lists the names)",
                                 g->name, nm, g->name);
        if (lp->prec != VSR_PREC_FP32 && lp->prec != VSR_PREC_FP16 && lp->prec != VSR_PREC_INT8)
            return vsr_error_set(err, -EINVAL,
                                 "%s: layer %s: precision %s: use fp32, fp16 or int8", g->name,
                                 nm, vsr_precision_name(lp->prec));
        int i = j;
        if (!p->exec[j]) /* a batch norm / activation fused into its conv */
            for (i = 0; i < n; i++)
                if (p->exec[i] && (p->fold_bn[i] == j || p->fuse_act[i] == j))
                    break;
        vsr_op_type op = g->nodes[i < n ? i : j].op;
        if (i == n || op == VSR_OP_INPUT || is_movement(op))
            return vsr_error_set(err, -EINVAL,
                                 "%s: layer %s (%s) computes nothing: it keeps its input's "
                                 "type; name the layer that writes that input",
                                 g->name, nm, vsr_op_name(op));
        e->nprec[i] = lp->prec;
    }
    for (int i = 0; i < n; i++)
        if (p->exec[i]) {
            if (p->fold_bn[i] >= 0)
                e->nprec[p->fold_bn[i]] = e->nprec[i];
            if (p->fuse_act[i] >= 0)
                e->nprec[p->fuse_act[i]] = e->nprec[i];
            e->nprec[p->dst[i]] = e->nprec[i];
        }
    return 0;
}

/*
 * A sigmoid node after a conv stays its own op (the plan fuses it into the
 * conv's float epilogue otherwise): in calibration (@p no_fuse), so the conv's
 * own tensor gets statistics, and in INT8 with `requant: tflite`, where the
 * conv requantizes to its own int8 parameters and the sigmoid is TFLite's
 * int8 LOGISTIC (a table, eltwise.c): TFLite has no conv with a fused sigmoid.
 */
static void unfuse_sigmoid(const vsr_graph *g, vsr_plan *p)
{
    for (int i = 0; i < g->n_nodes; i++) {
        int c = p->fuse_act[i];
        if (c < 0 || g->nodes[c].op != VSR_OP_SIGMOID)
            continue;
        p->fuse_act[i] = -1;
        p->exec[c] = 1;
        p->dst[c] = c;
        p->dst[i] = p->fold_bn[i] >= 0 ? p->fold_bn[i] : i;
    }
}

/* Tensor types and INT8 parameters, in topological order. A node writes the type of
 * its precision, except that movement ops keep their input's type and the outputs of
 * FP32-only ops (and of movement / KEEP_F32 ops after them) stay FP32. */
static int assign_types(vsr_engine *e, vsr_error *err)
{
    const vsr_graph *g = e->g;
    int n = g->n_nodes;
    unsigned char *forced = calloc((size_t)n, 1); /* FP32 because of an FP32-only op */
    unsigned char *need = calloc((size_t)n, 1);   /* INT8 parameters needed */
    if (!forced || !need) {
        free(forced), free(need);
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
    }
    e->any_int8 = 0;
    for (int i = 0; i < n; i++) {
        const vsr_node *nd = &g->nodes[i];
        unsigned fl = vsr__op_def(nd->op)->flags;
        int in0 = nd->n_in > 0 ? nd->in[0] : -1;
        forced[i] = (unsigned char)vsr__node_forced_f32(nd, forced);
        e->dt[i] = forced[i]                             ? VSR_DT_F32
                   : (fl & VSR_OPF_MOVEMENT) && in0 >= 0 ? e->dt[in0]
                                                         : prec_dtype(e->nprec[i]);
        e->qscale[i] = 1.f;
        e->qzp[i] = 0;
        if (e->plan.exec[i] && nd->op == VSR_OP_CONV2D && e->nprec[i] == VSR_PREC_INT8)
            need[in0] = 1; /* an INT8 conv quantizes a float input with its parameters */
    }
    for (int i = 0; i < n; i++) {
        if (e->dt[i] == VSR_DT_I8)
            need[i] = 1;
        e->any_int8 |= need[i];
    }
    int rc = 0;
    for (int i = 0; e->any_int8 && i < n; i++) {
        if (!e->plan.exec[i])
            continue;
        int t = e->plan.dst[i];
        const vsr_node *nd = &g->nodes[t];
        if (is_movement(g->nodes[i].op)) {
            e->qscale[t] = e->qscale[g->nodes[i].in[0]];
            e->qzp[t] = e->qzp[g->nodes[i].in[0]];
        } else if (nd->q_set) {
            e->qscale[t] = nd->q_scale;
            e->qzp[t] = nd->q_zp;
        } else if (nd->has_range) {
            vsr_quant_from_range(&g->qscheme, nd->r_lo, nd->r_hi, &e->qscale[t], &e->qzp[t]);
        } else if (need[t]) {
            rc = vsr_error_set(err, -EINVAL,
                               "%s: tensor %s has no INT8 quantization parameters; run "
                               "calibration (vsr_calib_*) or set them",
                               g->name, nd->name);
            break;
        }
    }
    free(forced), free(need);
    return rc;
}

int vsr_engine_create(const vsr_graph *g, vsr_precision prec, pthreadpool_t pool,
                      const vsr_engine_options *opt, vsr_engine **out, vsr_error *err)
{
    return vsr__engine_create_ex(g, prec, pool, opt, 0, out, err);
}

int vsr__engine_create_ex(const vsr_graph *g, vsr_precision prec, pthreadpool_t pool,
                          const vsr_engine_options *opt, int no_fuse, vsr_engine **out,
                          vsr_error *err)
{
    int rc;
    if (!g || !out)
        return vsr_error_set(err, -EINVAL, "vsr_engine_create: NULL argument");
    *out = NULL;
    if ((rc = vsr_graph_check_weights(g, err)))
        return rc;
    if (g->n_inputs < 1 || g->n_outputs < 1)
        return vsr_error_set(err, -EINVAL, "%s: the graph needs at least one input and output",
                             g->name);
    if (prec != VSR_PREC_FP32 && prec != VSR_PREC_FP16 && prec != VSR_PREC_INT8 &&
        prec != VSR_PREC_FP16N)
        return vsr_error_set(err, -EINVAL, "%s: unknown precision %d", g->name, (int)prec);
    vsr_engine *e = calloc(1, sizeof(*e));
    if (!e)
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
    e->g = g;
    e->prec = prec;
    e->pool = pool;
    e->tail.node = -1;
    e->nthreads = pool ? (int)pthreadpool_get_threads_count(pool) : 1;
    e->pool_threads = e->nthreads;
    if (opt)
        e->opt = *opt;
    else
        vsr_engine_options_default(&e->opt);
    e->auto_run = e->opt.threads_auto && e->pool_threads > 1 ? 0 : -1;
    /* FP16N is FP16 storage and ops with binary16-FMA convs: one internal precision */
    if (prec == VSR_PREC_FP16N) {
        e->prec = VSR_PREC_FP16;
        e->opt.fp16_native = 1;
    } else if (prec != VSR_PREC_FP16) {
        e->opt.fp16_native = 0;
    }
    if (e->opt.wait != VSR_WAIT_FRAME && e->opt.wait != VSR_WAIT_SPIN &&
        e->opt.wait != VSR_WAIT_YIELD) {
        rc = vsr_error_set(err, -EINVAL, "%s: unknown wait policy %d", g->name,
                           (int)e->opt.wait);
        goto fail;
    }
    e->create_prec = prec;
    e->no_fuse = no_fuse;
    if (e->opt.tile < 0 || (e->opt.pad < 0 && e->opt.pad != VSR_PAD_AUTO)) {
        rc = vsr_error_set(err, -EINVAL, "%s: tile %d / pad %d must be >= 0", g->name,
                           e->opt.tile, e->opt.pad);
        goto fail;
    }
    if ((rc = vsr__tile_options(e, err)))
        goto fail;
    unsigned isa = vsr_cpu_isa() & e->opt.isa_mask;
    if (e->opt.force_scalar)
        isa = 0;
    vsr__kernels_select(isa, &e->k);
    if (e->opt.fp16_native) {
        /* no AVX512-FP16 (or forced scalar): the scalar twin, bit-identical and slow */
        e->k.f16_conv = vsr_f16_conv_ukernel_1x32__scalar;
#if defined(__x86_64__)
        if (isa & VSR_ISA_AVX512FP16) {
            e->k.f16_conv = vsr_f16_conv_ukernel_nx64__avx512fp16;
            e->k.isa |= VSR_ISA_AVX512FP16;
        }
#endif
    }

    int n = g->n_nodes;
    if ((rc = vsr__plan_build(g, &e->plan, err)))
        goto fail;
    if (no_fuse || (prec == VSR_PREC_INT8 && e->opt.requant == VSR_REQUANT_TFLITE))
        unfuse_sigmoid(g, &e->plan);
    e->dt = calloc((size_t)n, sizeof(*e->dt));
    e->nprec = calloc((size_t)n, sizeof(*e->nprec));
    e->qscale = calloc((size_t)n, sizeof(float));
    e->qzp = calloc((size_t)n, sizeof(int));
    e->blk = calloc((size_t)n, sizeof(int));
    e->conv = calloc((size_t)n, sizeof(*e->conv));
    e->pw = calloc((size_t)n, sizeof(float *));
    e->shp = calloc((size_t)3 * n, sizeof(int));
    e->off = calloc((size_t)n, sizeof(size_t));
    e->prof_ns = calloc((size_t)n, sizeof(uint64_t));
    e->prof_calls = calloc((size_t)n, sizeof(uint64_t));
    e->in_hw = calloc((size_t)2 * g->n_inputs, sizeof(int));
    e->in_buf = calloc((size_t)g->n_inputs, sizeof(float *));
    e->in_cap = calloc((size_t)g->n_inputs, sizeof(size_t));
    e->out_buf = calloc((size_t)g->n_outputs, sizeof(float *));
    e->out_cap = calloc((size_t)g->n_outputs, sizeof(size_t));
    e->out_shape = calloc((size_t)3 * g->n_outputs, sizeof(int));
    if (!e->dt || !e->nprec || !e->qscale || !e->qzp || !e->blk || !e->conv || !e->pw ||
        !e->shp || !e->off || !e->prof_ns || !e->prof_calls || !e->in_hw || !e->in_buf ||
        !e->in_cap || !e->out_buf || !e->out_cap || !e->out_shape) {
        rc = vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
        goto fail;
    }
    if ((rc = node_precisions(e, err)) || (rc = assign_types(e, err)))
        goto fail;
    e->opt.layer_prec = NULL; /* borrowed for the call only */
    e->opt.n_layer_prec = 0;
    for (int i = 0; i < n; i++) {
        if (!e->plan.exec[i] || g->nodes[i].op == VSR_OP_INPUT)
            continue;
        const vsr_op_def *d = vsr__op_def(g->nodes[i].op);
        if (d->prepare && (rc = d->prepare(e, i, err)))
            goto fail;
    }
    if (!no_fuse && (rc = vsr__tail_detect(e, err)))
        goto fail;
    if ((rc = vsr__eltwise_prepare(e, no_fuse, err)))
        goto fail;
    vsr__conv_layouts(e);
    /* plan once for the nominal whole frame or tile, to report the scratch size */
    const vsr_node *in0 = &g->nodes[g->inputs[0]];
    int ph = in0->h, pwid = in0->w;
    if (e->opt.tile > 0) {
        int t = e->opt.tile_mode == VSR_TILE_CLIP ? e->opt.tile + 2 * e->opt.pad : e->opt.tile;
        ph = ph < t ? ph : t;
        pwid = pwid < t ? pwid : t;
    }
    if ((rc = vsr__engine_plan(e, ph, pwid, err)))
        goto fail;
    *out = e;
    return 0;
fail:
    vsr_engine_free(&e);
    return rc;
}

unsigned vsr_engine_isa(const vsr_engine *e)
{
    return e->k.isa;
}

int vsr_engine_threads(const vsr_engine *e)
{
    return e->auto_run >= 0 ? 0 : e->nthreads;
}

void vsr_engine_pool_frames(const vsr_engine *e, uint64_t *pool, uint64_t *alone)
{
    *pool = e->gate.pool_frames;
    *alone = e->gate.alone_frames;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* threads_auto: before run k (0 = cold, then pool / 1 thread alternately) set the
 * thread count; after it, record its time and decide after the last pair. */
static void auto_before(vsr_engine *e)
{
    if (e->auto_run >= 0)
        e->nthreads = e->auto_run > 0 && e->auto_run % 2 == 0 ? 1 : e->pool_threads;
}

static void auto_after(vsr_engine *e, uint64_t ns)
{
    if (e->auto_run < 0)
        return;
    int k = e->auto_run++;
    if (k == 0)
        return; /* cold: page faults, first-touch of the arena */
    e->auto_ns[k % 2 == 0][(k - 1) / 2] = ns;
    if (k < 2 * VSR_ENGINE_AUTO_PAIRS)
        return;
    uint64_t m[2];
    for (int j = 0; j < 2; j++) {
        qsort(e->auto_ns[j], VSR_ENGINE_AUTO_PAIRS, sizeof(uint64_t), cmp_u64);
        m[j] = e->auto_ns[j][VSR_ENGINE_AUTO_PAIRS / 2];
    }
    e->nthreads = m[0] < m[1] ? e->pool_threads : 1;
    e->auto_run = -1;
}

vsr_precision vsr_engine_precision(const vsr_engine *e)
{
    return e->opt.fp16_native ? VSR_PREC_FP16N : e->prec;
}

size_t vsr_engine_scratch_bytes(const vsr_engine *e)
{
    return e->arena_bytes;
}

int vsr__engine_plan(vsr_engine *e, int h, int w, vsr_error *err)
{
    if (e->arena && h == e->plan_h && w == e->plan_w)
        return 0;
    const vsr_graph *g = e->g;
    int n = g->n_nodes, rc;
    size_t *esz = malloc((size_t)n * sizeof(size_t));
    if (!esz)
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
    for (int i = 0; i < n; i++)
        esz[i] = vsr__dt_size(e->dt[i]);
    size_t total = 0;
    if ((rc = vsr__graph_infer(g, h, w, e->shp, err)) ||
        (rc = vsr__arena_plan(g, &e->plan, e->shp, esz, e->blk, e->off, &total, err))) {
        free(esz);
        return rc;
    }
    free(esz);
    /* 64 bytes of slack: the int8 microkernels read whole 4-byte channel groups */
    if (!e->arena || total > e->arena_bytes) {
        uint8_t *a = NULL;
        if (posix_memalign((void **)&a, 64, total + 128))
            return vsr_error_set(err, -ENOMEM, "%s: cannot allocate %zu bytes of scratch",
                                 g->name, total);
        memset(a, 0, total + 128);
        free(e->arena);
        e->arena = a;
        e->arena_bytes = total;
    }
    e->plan_h = h;
    e->plan_w = w;
    return 0;
}

int vsr__engine_run_once(vsr_engine *e, int h, int w, vsr_error *err)
{
    const vsr_graph *g = e->g;
    int rc = vsr__engine_plan(e, h, w, err);
    if (rc)
        return rc;
    for (int i = 0; i < g->n_nodes; i++) {
        if (!e->plan.exec[i] || g->nodes[i].op == VSR_OP_INPUT)
            continue;
        uint64_t t0 = e->opt.profile ? vsr_clock_ns() : 0;
        if (i == e->tail.node)
            rc = vsr__tail_run(e, err);
        else
            rc = vsr__op_def(g->nodes[i].op)->run(e, i, err);
        if (rc)
            return rc;
        if (e->opt.profile) {
            e->prof_ns[i] += vsr_clock_ns() - t0;
            e->prof_calls[i]++;
        }
        if (e->hook) {
            int t = e->plan.dst[i];
            vsr_tview v = vsr__tensor(e, t);
            if (v.dt == VSR_DT_F32)
                e->hook(e->hook_ctx, t, v.data, v.h, v.w, v.c);
        }
    }
    return 0;
}

/* ---- inputs and outputs ---------------------------------------------------- */

int vsr_engine_set_input(vsr_engine *e, int idx, const float *data, int h, int w, int c,
                         vsr_error *err)
{
    const vsr_graph *g = e->g;
    if (idx < 0 || idx >= g->n_inputs)
        return vsr_error_set(err, -EINVAL, "%s: no input %d (the graph has %d)", g->name, idx,
                             g->n_inputs);
    const vsr_node *nd = &g->nodes[g->inputs[idx]];
    if (c != nd->c || h < 1 || w < 1 || !data)
        return vsr_error_set(err, -EINVAL, "%s: input %s: got %dx%dx%d, expects %d channels",
                             g->name, nd->name, h, w, c, nd->c);
    size_t n = (size_t)h * w * c;
    if (n > e->in_cap[idx]) {
        float *b = realloc(e->in_buf[idx], n * sizeof(float));
        if (!b)
            return vsr_error_set(err, -ENOMEM, "%s: input %s: out of memory", g->name,
                                 nd->name);
        e->in_buf[idx] = b;
        e->in_cap[idx] = n;
    }
    memcpy(e->in_buf[idx], data, n * sizeof(float));
    e->in_hw[2 * idx] = h;
    e->in_hw[2 * idx + 1] = w;
    return 0;
}

int vsr_engine_set_input_frame(vsr_engine *e, int idx, const vsr_frame *f, vsr_error *err)
{
    const vsr_graph *g = e->g;
    if (idx < 0 || idx >= g->n_inputs || !f || !f->data)
        return vsr_error_set(err, -EINVAL, "%s: bad input index %d or frame", g->name, idx);
    const vsr_node *nd = &g->nodes[g->inputs[idx]];
    if (f->channels != nd->c)
        return vsr_error_set(err, -EINVAL, "%s: input %s: frame has %d channels, expects %d",
                             g->name, nd->name, f->channels, nd->c);
    size_t n = (size_t)f->height * f->width * f->channels;
    float *tmp = malloc(n * sizeof(float));
    if (!tmp)
        return vsr_error_set(err, -ENOMEM, "%s: out of memory", g->name);
    float lo = nd->r_lo, k = (nd->r_hi - nd->r_lo) / 255.f;
    for (int y = 0; y < f->height; y++) {
        const uint8_t *row = vsr_frame_row(f, y);
        for (int x = 0; x < f->width * f->channels; x++)
            tmp[(size_t)y * f->width * f->channels + x] =
                k == 1.f && lo == 0.f ? (float)row[x] : lo + k * (float)row[x];
    }
    int rc = vsr_engine_set_input(e, idx, tmp, f->height, f->width, f->channels, err);
    free(tmp);
    return rc;
}

int vsr_engine_run(vsr_engine *e, vsr_error *err)
{
    const vsr_graph *g = e->g;
    for (int i = 0; i < g->n_inputs; i++) {
        if (!e->in_hw[2 * i])
            return vsr_error_set(err, -EINVAL, "%s: input %s was not set", g->name,
                                 g->nodes[g->inputs[i]].name);
        if (e->in_hw[2 * i] != e->in_hw[0] || e->in_hw[2 * i + 1] != e->in_hw[1])
            return vsr_error_set(err, -EINVAL, "%s: input %s is %dx%d but input %s is %dx%d",
                                 g->name, g->nodes[g->inputs[i]].name, e->in_hw[2 * i],
                                 e->in_hw[2 * i + 1], g->nodes[g->inputs[0]].name, e->in_hw[0],
                                 e->in_hw[1]);
    }
    e->in_h = e->in_hw[0];
    e->in_w = e->in_hw[1];
    auto_before(e);
    uint64_t t0 = vsr_clock_ns();
    int rc = vsr__sched_frame(e, vsr__engine_run_tiled, err);
    park_workers(e);
    if (!rc)
        auto_after(e, vsr_clock_ns() - t0);
    e->have_output = rc == 0;
    return rc;
}

int vsr_engine_output_shape(const vsr_engine *e, int idx, int *h, int *w, int *c)
{
    if (idx < 0 || idx >= e->g->n_outputs)
        return -EINVAL;
    if (e->have_output) {
        *h = e->out_shape[3 * idx], *w = e->out_shape[3 * idx + 1],
        *c = e->out_shape[3 * idx + 2];
        return 0;
    }
    const vsr_node *nd = &e->g->nodes[e->g->outputs[idx].t];
    *h = nd->h, *w = nd->w, *c = nd->c;
    return 0;
}

int vsr_engine_get_output(const vsr_engine *e, int idx, float *dst, size_t cap, vsr_error *err)
{
    if (idx < 0 || idx >= e->g->n_outputs)
        return vsr_error_set(err, -EINVAL, "%s: no output %d", e->g->name, idx);
    if (!e->have_output)
        return vsr_error_set(err, -EINVAL, "%s: no output yet; call vsr_engine_run()",
                             e->g->name);
    size_t n =
        (size_t)e->out_shape[3 * idx] * e->out_shape[3 * idx + 1] * e->out_shape[3 * idx + 2];
    if (cap < n)
        return vsr_error_set(err, -EINVAL, "%s: output %s needs %zu floats, buffer has %zu",
                             e->g->name, e->g->outputs[idx].name, n, cap);
    memcpy(dst, e->out_buf[idx], n * sizeof(float));
    return 0;
}

int vsr_engine_get_output_frame(const vsr_engine *e, int idx, vsr_frame *dst, vsr_error *err)
{
    if (idx < 0 || idx >= e->g->n_outputs || !dst || !dst->data)
        return vsr_error_set(err, -EINVAL, "%s: bad output index %d or frame", e->g->name, idx);
    if (!e->have_output)
        return vsr_error_set(err, -EINVAL, "%s: no output yet; call vsr_engine_run()",
                             e->g->name);
    int h = e->out_shape[3 * idx], w = e->out_shape[3 * idx + 1], c = e->out_shape[3 * idx + 2];
    if (dst->height != h || dst->width != w || dst->channels != c)
        return vsr_error_set(err, -EINVAL, "%s: output %s is %dx%dx%d, frame is %dx%dx%d",
                             e->g->name, e->g->outputs[idx].name, w, h, c, dst->width,
                             dst->height, dst->channels);
    const float *s = e->out_buf[idx];
    size_t n = (size_t)w * c;
    for (int y = 0; y < h; y++) {
        /* round half to even and clamp to [0, 255], NaN -> 0: the INT8 quantizer with
         * scale 1 and zero point -128 (the kernel table's, vectorized), shifted to
         * unsigned (q + 128 = q ^ 0x80) */
        uint8_t *row = vsr_frame_row(dst, y);
        e->k.f32_to_qs8(s + (size_t)y * n, (int8_t *)row, n, 1.f, -128);
        for (size_t x = 0; x < n; x++)
            row[x] ^= 0x80;
    }
    return 0;
}

/* ---- profile ---------------------------------------------------------------- */

int vsr_engine_layer_count(const vsr_engine *e)
{
    return e->g->n_nodes;
}

int vsr_engine_layer_profile(const vsr_engine *e, int i, vsr_layer_profile *p)
{
    if (i < 0 || i >= e->g->n_nodes)
        return -EINVAL;
    p->name = e->g->nodes[i].name;
    p->op = e->g->nodes[i].op;
    p->ns = e->prof_ns[i];
    p->calls = e->prof_calls[i];
    p->algo = NULL;
    p->with_tail = i == e->tail.src && e->tail.last_in_src;
    if (p->op == VSR_OP_CONV2D && e->plan.exec[i]) {
        const char *w = vsr__wino_algo(e, i);
        p->algo = w ? w : "direct";
    }
    return 0;
}

void vsr_engine_profile_reset(vsr_engine *e)
{
    memset(e->prof_ns, 0, (size_t)e->g->n_nodes * sizeof(uint64_t));
    memset(e->prof_calls, 0, (size_t)e->g->n_nodes * sizeof(uint64_t));
}

int vsr_engine_tensor_quant(const vsr_engine *e, int t, float *scale, int *zero_point)
{
    if (t < 0 || t >= e->g->n_nodes)
        return -EINVAL;
    /* a conv whose activation (or batch norm) the plan fused requantizes
     * straight to that node's tensor and never has parameters of its own;
     * an add / mul fused with its activation later (ops/eltwise.c) still
     * composes its own requantization with the activation's */
    int d = e->g->nodes[t].op == VSR_OP_CONV2D && e->plan.exec[t] ? e->plan.dst[t] : t;
    if (e->prec != VSR_PREC_INT8 || e->dt[d] != VSR_DT_I8)
        return -ENOENT;
    *scale = e->qscale[d];
    *zero_point = e->qzp[d];
    return 0;
}

int vsr_engine_conv_quant(const vsr_engine *e, int node, const int8_t **wq, const int32_t **bq,
                          const float **wscale)
{
    if (node < 0 || node >= e->g->n_nodes)
        return -EINVAL;
    const vsr_conv_prep *c = &e->conv[node];
    if (e->prec != VSR_PREC_INT8 || e->g->nodes[node].op != VSR_OP_CONV2D || !c->wq)
        return -ENOENT;
    *wq = c->wq;
    *bq = c->bq;
    *wscale = c->wscale;
    return 0;
}
