/*
 * Internals of the engine shared by graph.c, exec.c, tile.c, quant.c,
 * calib.c, weights.c, ops/ and x86/. Nothing here is public API.
 */
#ifndef VSR_ENGINE_INTERNAL_H
#define VSR_ENGINE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "engine_kernels.h"
#include "engine_node.h"
#include "vsr/engine.h"

/*
 * Fusion plan, shared by the engine and the counters. For every node:
 * exec[i] = 1 if the node runs; dst[i] = the tensor its result is written to
 * (itself, or the last node of a conv->[bn]->[act] chain); fold_bn[i] = the
 * BN node folded into conv i or -1; fuse_act[i] = the act node fused or -1.
 */
typedef struct vsr_plan {
    int n;
    int *exec, *dst, *fold_bn, *fuse_act;
    int *n_consumers;
    int *is_output;
    int *xin; /* NULL, or [2n]: extra inputs node i reads (engine-fused tail), -1 = none */
} vsr_plan;
int vsr__plan_build(const vsr_graph *g, vsr_plan *p, vsr_error *err);
void vsr__plan_free(vsr_plan *p);

/* Arena layout for the materialized tensors: offsets[i] (bytes) or -1. blocked: NULL,
 * or per tensor 1 when it is INT8 row-blocked (vsr_pl_row_bytes a row). */
int vsr__arena_plan(const vsr_graph *g, const vsr_plan *p, const int *shp,
                    const size_t *elem_size, const int *blocked, size_t *offsets, size_t *total,
                    vsr_error *err);

/* ---- tensors, dtypes --------------------------------------------------- */

typedef enum vsr_dtype { VSR_DT_F32 = 0, VSR_DT_F16 = 1, VSR_DT_I8 = 2 } vsr_dtype;

/* A materialized tensor during a run. */
typedef struct vsr_tview {
    void *data;
    vsr_dtype dt;
    int h, w, c;
    float scale; /* INT8 */
    int zp;
    const struct vsr_kernels *k; /* conversions to use, or NULL for the scalar ones */
    int blk; /* INT8 row-blocked (engine_kernels.h, VSR_PL_PAD): only pixels-in-lanes
                convs (ops/conv.c) read or write it; vsr__load_f32 and the rest do not */
} vsr_tview;

static inline size_t vsr__dt_size(vsr_dtype dt)
{
    return dt == VSR_DT_F32 ? 4 : dt == VSR_DT_F16 ? 2 : 1;
}

/* Convert n elements at element offset off to / from float. */
void vsr__load_f32(const vsr_tview *t, size_t off, size_t n, float *dst);
void vsr__store_f32(const vsr_tview *t, size_t off, size_t n, const float *src);
/* Rows iy0 .. iy0 + nr - 1, columns cx0 .. cx0 + wp - 1 of the tensor t into dst
 * (wp * t->c elements a row), outside the tensor every byte @p fill (0: FP32 zeros;
 * an INT8 tensor's zero point): the window a conv's padded taps read. */
void vsr__window(const vsr_tview *t, int iy0, int nr, int cx0, int wp, int fill, void *dst);
static inline void vsr__window_f32(const vsr_tview *t, int iy0, int nr, int cx0, int wp,
                                   float *dst)
{
    vsr__window(t, iy0, nr, cx0, wp, 0, dst);
}
/* Round-to-nearest-even float -> int8 with (scale, zp), saturating. */
int8_t vsr__quantize1(float v, float inv_scale, int zp);

/* TensorRT's entropy calibration (VSR_CALIB_KL) on a histogram of |x| with
 * @p bins bins: the candidate i in [nq, bins) of least KL(P || Q), -1 when
 * there is none (an empty histogram, every candidate infinite). */
int vsr__calib_kl_bins(const double *hist, int bins, int nq);

/* ---- engine -------------------------------------------------------------- */

/* Per-conv data prepared at engine creation. */
typedef struct vsr_conv_prep {
    int cin, cig, cog; /* input channels, per group in/out */
    float *w;          /* HWIO float (binary16-rounded in FP16), BN folded */
    float *b;          /* [cout] (0 when no bias) */
    float *alpha;      /* PReLU slopes expanded to [cout], or NULL */
    int simd;          /* 1 = dense stride-1: interior rows use the microkernel */
    vsr_conv_uk uk;    /* microkernel parameters (wf/bf or wq/bq/qm/qs) */
    float *wpack, *bpack;
    /* INT8 */
    int8_t *wq;       /* HWIO int8 */
    int32_t *bq;      /* [cout] bias in s_x*s_w units */
    int32_t *qm, *qs; /* [cout] requantization */
    float *wscale;    /* [cout] */
    int8_t *wqpack;
    int32_t *bqpack, *qmpack, *qspack;
    int64_t *rq64pack; /* uk.rq64 */
    /* INT8 with few input channels (dense_rows_im2col): the kh x kw x cin taps of a
     * pixel as one 1x1 conv of ic.cin = round_up(kh * kw * cin, 4) channels, weights
     * wicpack in the VNNI layout; ic.wq == NULL: not that path */
    vsr_conv_uk ic;
    int8_t *wicpack;
    /* INT8 pixels in lanes (dense_rows_pl): weights uk.wpl (when eligible), and pl = 1
     * when the conv runs that way (a tensor it reads or writes is row-blocked) */
    int8_t *wplpack;
    int pl;
    int16_t *w16pack;
    int32_t *b16pack;
    uint16_t *whpack, *bhpack; /* FP16 native packs, or NULL */
    int float_epilogue;        /* INT8 with sigmoid/leaky/prelu: requantize in float */
    int tfl;     /* INT8 requant tflite: qm/qs are TFLite's (M, shift); int32 accumulators
                  * (acc32 kernels), then vsr__tfl_requant_clamp per value */
    int dw;      /* depthwise stride 1 (groups = Cin = Cout): padded per-channel path */
    int grouped; /* grouped stride 1 (1 < groups, not depthwise): padded rows through
                    e->k.f32_gconv / qs8_gconv (ops/gconv.c) */
    float *gwpack, *gbpack; /* grouped FP32 packs */
    int16_t *gw16pack;      /* grouped INT8 packs */
    int32_t *gb16pack, *gqmpack, *gqspack;
    vsr_act act;           /* effective fused activation (conv's own or a fused act node) */
    struct vsr_wino *wino; /* Winograd transforms and choice (ops/winograd.c), or NULL */
} vsr_conv_prep;

/*
 * The helper gate (sched.c): threads_auto's measurement, kept up for the
 * engine's life. Frames run in stretches on one side (the pool, or the
 * calling thread alone); after each stretch VSR_GATE_PROBE frames run on the
 * other side, and the side whose median time per input pixel over its last
 * VSR_GATE_PROBE frames is lower runs the next stretch. A stretch whose side
 * wins again is twice as long as the last (from VSR_GATE_MIN up to
 * VSR_GATE_MAX_POOL frames on the pool, VSR_GATE_MAX_ALONE alone, so an idle
 * machine pays an alone probe of 3 frames in 259); a side that takes over
 * starts at VSR_GATE_MIN. A pool stretch shorter than VSR_GATE_MAX_POOL whose
 * last VSR_GATE_PROBE frames' median is at most VSR_GATE_CLEAR_NUM /
 * VSR_GATE_CLEAR_DEN of the last alone frames' skips its probe (doubling on):
 * the pool won clearly, and a co-running process that slows it past that
 * brings the probe back at the stretch's end. So when another process holds the other vCPUs and
 * a preempted helper stalls the frame (each job's last item, and the pool
 * call's return, wait for it), the frames run alone within a few frames of it.
 * Outputs are the same bytes either way.
 */
enum {
    VSR_GATE_PROBE = 3,
    VSR_GATE_MIN = 4,
    VSR_GATE_MAX_POOL = 256,
    VSR_GATE_MAX_ALONE = 64,
    VSR_GATE_CLEAR_NUM = 2, /* the pool at least 1.5x faster than alone */
    VSR_GATE_CLEAR_DEN = 3,
};
typedef struct vsr_gate {
    int alone;                    /* the side of the current stretch: 1 alone, 0 the pool */
    int left;                     /* frames left in the stretch (0 at creation: VSR_GATE_MIN) */
    int probe;                    /* frames left in the probe of the other side */
    int len[2];                   /* [alone]: the current stretch's length */
    double pp[2][VSR_GATE_PROBE]; /* [alone]: the side's last frames, ns per input pixel */
    int at[2];                    /* next slot of pp[alone] */
    uint64_t pool_frames, alone_frames;
} vsr_gate;
/* The side of the next frame: 1 alone, 0 on the pool. */
int vsr__gate_alone(vsr_gate *g);
/* After that frame (not after a failed one): its time per input pixel, ns. */
void vsr__gate_report(vsr_gate *g, int alone, double ns_per_px);

struct vsr_engine {
    const vsr_graph *g;
    vsr_precision prec;
    pthreadpool_t pool;
    int nthreads;     /* threads the next run uses: 1 or pool_threads */
    int pool_threads; /* the pool's size (1 without one) */
    int auto_run;     /* threads_auto: runs measured so far, -1 once settled */
    uint64_t auto_ns[2][VSR_ENGINE_AUTO_PAIRS]; /* [0]: pool, [1]: 1 thread */
    vsr_engine_options opt;
    vsr_kernels k;
    vsr_plan plan;
    vsr_dtype *dt; /* per tensor */
    /* per node: the precision it computes in (the engine's, or a layer_prec override;
     * the nodes fused into a conv take the conv's); VSR_PREC_FP16N never appears */
    vsr_precision *nprec;
    int any_int8; /* some node computes in INT8 (INT8 parameters are needed) */
    /* a conv whose input tensor has another type than the conv computes in (mixed
     * precision) reads a converted copy of it, made here before it runs (grown) */
    void *cvt;
    size_t cvt_cap;
    float *qscale; /* per tensor (INT8) */
    int *qzp;
    int *blk;            /* per tensor: 1 = INT8 row-blocked (vsr__conv_layouts) */
    vsr_conv_prep *conv; /* per node */
    float **pw; /* per node: prepared float params (BN scale/shift, LN gamma/beta, PReLU) */
    /* plan for one run size (a tile or the whole frame) */
    int plan_h, plan_w;
    int *shp;
    size_t *off;
    size_t arena_bytes;
    uint8_t *arena;
    /* whole-frame I/O, float HWC */
    int in_h, in_w;
    int *in_hw; /* per input: h, w that was set (pairs) */
    float **in_buf;
    size_t *in_cap;
    float **out_buf;
    size_t *out_cap;
    int *out_shape; /* 3 per output, whole frame */
    int have_output;
    /* profile, per node */
    uint64_t *prof_ns, *prof_calls;
    /* calibration hook: called with every materialized tensor after it is written (FP32) */
    void (*hook)(void *ctx, int t, const float *data, int h, int w, int c);
    void *hook_ctx;
    /* SR tail fused at creation (ops/fused.c): clip(depth_to_space(t + concat(x,..,x)))
     * computed by node tail.node from t and x; the concat, add (and depth_to_space
     * when a clip follows) do not run. node = -1: no fusion. src: the conv node that
     * computes t, if the tail may run inside its row bands, else -1: in whole-frame
     * runs that write out (the arena's output slot may still be another tensor's
     * while src runs), and when the rows src finishes at a time fit in L2
     * (VSR_TAIL_BAND_BYTES: a chunk, a Winograd tile row, or one row of the in-place
     * FP32 path), so they are read back from cache; in_src: src's last run did so
     * (the tail node then has nothing left to do). */
    struct {
        int node, t, x, r, clip, src, in_src;
        int last_in_src; /* the last run's tail ran in src's bands (the layer profile) */
        int exact16;     /* lo and hi are binary16 values */
        float lo, hi;
        int8_t *lut;    /* INT8: [256 * 256] output for (q_t, q_x), exact composition */
        float deq[256]; /* INT8: the output's dequantization, as vsr__load_f32 */
        float *flut;    /* INT8, requant tflite: [256 * 256] deq[lut[i] + 128], the float
                           output in one lookup (whole-frame runs write float); NULL
                           when q computes it */
        float *out;     /* during a whole-frame run: write the result as float here (the
                           graph output's buffer) instead of the arena, or NULL */
        vsr_tail_q *q;  /* INT8, default requantization: the composition as arithmetic
                           (the float-output rows use it instead of flut), else NULL */
    } tail;
    /* per-chunk scratch of the conv row driver, grown on the calling thread */
    void **scratch;
    size_t *scratch_cap;
    int n_scratch;
    /* per node, or NULL: INT8 add / mul of two same-shape int8 tensors as a table of
     * the float path, [256 * 256] indexed by (uint8_t)a << 8 | (uint8_t)b (owned);
     * with plan.fuse_act[i] >= 0 the table includes that element-wise op */
    int8_t **lut2;
    /* during a multi-threaded vsr_engine_run(): the frame's scheduler (sched.c), else NULL */
    struct vsr_sched *sched;
    vsr_gate gate; /* whether the next frames use the pool (sched.c) */
    /* tiling (tile.c): the precision vsr_engine_create() was given (worker engines are
     * created with it); tile_workers - 1 worker engines and the pools they own (NULL
     * entries: no pool), created at the first tiled run; this engine's window staging
     * (the T x T input of one input, float HWC) and feathered tile output */
    vsr_precision create_prec;
    int no_fuse;
    struct vsr_engine **tw;
    pthreadpool_t *tw_pool;
    int n_tw;
    float *win;
    size_t win_cap;
    float *tout;
    size_t tout_cap;
    /* during a tiled run: the tile being run on this engine (its job and index) */
    struct tile_job *job;
    int job_tile;
};

/* A view of materialized tensor t in the current arena (tensor.c). */
vsr_tview vsr__tensor(const vsr_engine *e, int t);
/* Plan arena for a run at input h x w (no-op when it fits the current plan). */
int vsr__engine_plan(vsr_engine *e, int h, int w, vsr_error *err);
/* Run all ops on the arena's input tensors (already filled) at input size h x w. */
int vsr__engine_run_once(vsr_engine *e, int h, int w, vsr_error *err);
/* Whole-frame or tiled run over e->in_buf into e->out_buf (tile.c). */
int vsr__engine_run_tiled(vsr_engine *e, vsr_error *err);
/* At creation: check tile_mode / padding / tile_workers, resolve pad auto (tile.c). */
int vsr__tile_options(vsr_engine *e, vsr_error *err);
/* Free the tile workers and staging buffers (tile.c). */
void vsr__tile_free(vsr_engine *e);

/* Ops (files in ops/). Each executes node i writing tensor e->plan.dst[i]. */
int vsr__conv_prepare(vsr_engine *e, int i, vsr_error *err);
void vsr__conv_free(vsr_conv_prep *c);
/* After every node is prepared and the tail fused: which INT8 tensors are row-blocked
 * (e->blk: written by a pixels-in-lanes conv and read only by such convs) and which
 * convs run that way (c->pl) (ops/conv.c). */
void vsr__conv_layouts(vsr_engine *e);
/* Fill the derived fields of an INT8 tail's vsr_tail_q (engine_kernels.h) from the
 * others (ops/fused.c). */
void vsr__tail_q_derive(vsr_tail_q *q);
/* n * size zeroed bytes, 64-byte aligned (packed weights are read as whole zmm: no split
 * loads); free() them. NULL when out of memory. */
void *vsr__zalloc64(size_t n, size_t size);
/* Grouped convs (ops/gconv.c): pack c->w (FP32 / FP16) or c->wq, bq, qm, qs (INT8)
 * into the group layouts of vsr_conv_uk and point c->uk at them; c->grouped set. */
int vsr__gconv_pack(const vsr_graph *g, const vsr_node *nd, vsr_conv_prep *c, int int8,
                    vsr_error *err);
int vsr__conv_run(vsr_engine *e, int i, vsr_error *err);
/* The direct path of conv i on input @p in (already in the conv's type) (ops/conv.c). */
int vsr__conv_direct(vsr_engine *e, int i, const vsr_tview *in, vsr_error *err);
/* Make sure scratch chunks 0..nchunks-1 hold at least @p bytes each (calling thread). */
int vsr__conv_scratch(vsr_engine *e, int nchunks, size_t bytes);
/* Winograd (ops/winograd.c). prepare: after the conv's own preparation, set c->wino
 * when opt.conv_algo asks for it and the conv is eligible (0 and none otherwise).
 * run: conv i on @p in by the chosen algorithm (with VSR_CONV_AUTO, the first run
 * times them). algo: the name of what conv i runs now, NULL for no Winograd state. */
int vsr__wino_prepare(vsr_engine *e, int i, vsr_error *err);
int vsr__wino_run(vsr_engine *e, int i, const vsr_tview *in, vsr_error *err);
const char *vsr__wino_algo(const vsr_engine *e, int i);
void vsr__wino_free(struct vsr_wino **w);
int vsr__eltwise_run(vsr_engine *e, int i, vsr_error *err);
/* At engine creation, after the types: tabulate INT8 binary element-wise ops
 * (e->lut2) and, unless no_fuse, fold a following element-wise op into them. */
int vsr__eltwise_prepare(vsr_engine *e, int no_fuse, vsr_error *err);
/* Shape and description of a resize by the integer factor i0 (movement.c). */
int vsr__resize_infer(const vsr_graph *g, const vsr_node *nd, const int *shp, int *o,
                      vsr_error *err);
void vsr__resize_desc(const vsr_node *nd, const int *shp, char *buf, size_t cap);
/* vsr_engine_create with fusion of the SR tail disabled when no_fuse = 1 (calibration
 * needs every tensor of the graph). */
int vsr__engine_create_ex(const vsr_graph *g, vsr_precision prec, pthreadpool_t pool,
                          const vsr_engine_options *opt, int no_fuse, vsr_engine **out,
                          vsr_error *err);
/* Tail fusion (ops/fused.c): detect after types are assigned; run node tail.node. */
int vsr__tail_detect(vsr_engine *e, vsr_error *err);
int vsr__tail_run(vsr_engine *e, vsr_error *err);
/* The tail inside tail.src's bands: vsr__tail_in_src says, on the calling thread
 * before the bands start, whether a band of `bytes` of t may run it (and records
 * that in tail.in_src); vsr__tail_rows runs LR rows [h0, h1) once they are written. */
enum { VSR_TAIL_BAND_BYTES = 512 * 1024 };
int vsr__tail_in_src(vsr_engine *e, int i, size_t bytes);
void vsr__tail_rows(vsr_engine *e, int h0, int h1);
/* Frame scheduler (sched.c). vsr__sched_frame runs body(e, err) as one frame
 * on the engine's pool: body runs on one thread, the others take the items of
 * every vsr__parallel it calls. vsr__parallel runs fn(ctx, i) for i in [0, n),
 * each i on whichever thread is free first; items must write disjoint memory.
 * Parts split their work into about VSR_ITEMS_PER_THREAD items per thread so a
 * thread that stalls leaves its share to the others. */
typedef struct vsr_sched vsr_sched;
enum { VSR_ITEMS_PER_THREAD = 8 };
int vsr__sched_frame(vsr_engine *e, int (*body)(vsr_engine *, vsr_error *), vsr_error *err);
void vsr__parallel(vsr_engine *e, void (*fn)(void *, size_t), void *ctx, size_t n);

#endif
