/*
 * Frame scheduler. One vsr_engine_run() is ONE pthreadpool call with one
 * runner per pool thread: the first runner to start (normally the calling
 * thread) becomes the leader and runs the frame's ops in order; the others
 * help. Every parallel region of the frame (vsr__parallel: conv row bands,
 * element-wise rows, the fused tail, input / output copies) is published as
 * a job of n small items that any thread claims one at a time from a shared
 * counter (the leader from the front, helpers from the back: each thread then
 * computes about the same rows in every region, so the rows a region reads
 * are mostly those its own thread wrote in the last one, still in its cache;
 * 2-thread ABPN INT8 5.64 -> 5.34 ms, FP32 21.79 -> 20.67), so
 *  - a helper that is not running (descheduled by another process, or not
 *    yet woken) takes nothing and the leader does its share: it never waits
 *    for a thread that has not started an item;
 *  - the only wait per region is for items already started (done == n);
 *  - the pool's own barrier (wake every worker, wait for every worker to
 *    report back) is paid once per frame instead of once per region.
 * Waiting threads spin briefly (about 50 us; 0.5 ms with VSR_WAIT_SPIN), then
 * sleep on a condition variable: a CPU left idle makes the kernel pull a
 * runnable thread onto it, so a helper preempted in the middle of an item
 * (by another process on its CPU) moves to the leader's CPU and finishes
 * there instead of waiting for its turn; the thread that finishes the last
 * item of a job wakes the leader, a new job wakes the sleeping helpers.
 *
 * Which thread runs which item changes from run to run, never what an item
 * computes: outputs are the same bytes for every thread count as long as the
 * ops split their work over output rows (they do).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "engine_internal.h"

/* state = epoch << 2 IDX_BITS | front << IDX_BITS | back: the items of the current
 * job not yet claimed are [front, back). The leader claims from the front, helpers
 * from the back, so that from one region to the next each thread computes about the
 * same rows, whose inputs the previous region left in its own cache. */
#define IDX_BITS 20
#define IDX_MASK ((UINT64_C(1) << IDX_BITS) - 1)
#define FRONT(st) (((st) >> IDX_BITS) & IDX_MASK)
#define BACK(st) ((st)&IDX_MASK)

struct vsr_sched {
    _Atomic uint64_t state;
    _Atomic uint64_t done; /* items of the current job finished */
    _Atomic int leader;    /* 1 once a runner took the frame */
    _Atomic int quit;      /* the frame is over: helpers return */
    /* The current job: written by the leader before it publishes state, read by
     * a helper only after it claimed an item of this job (the job cannot end,
     * and be replaced, before that item is done). */
    void (*fn)(void *, size_t);
    void *ctx;
    size_t n;
    unsigned spin; /* pause loops before a waiting thread sleeps */
    /* sleeping: the leader on done_cv until done == n, helpers on job_cv until
     * a job or quit; the flags say who may be asleep (set under mu) */
    pthread_mutex_t mu;
    pthread_cond_t done_cv, job_cv;
    _Atomic int leader_sleeps, helpers_sleep;
    /* the frame */
    vsr_engine *e;
    int (*body)(vsr_engine *, vsr_error *);
    vsr_error *err;
    int rc;
};

static void cpu_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* Wake whoever sleeps on @p cv if @p flag says someone may (sequentially
 * consistent with the sleeper's flag store and condition check: either the
 * sleeper sees the change or this sees the flag). */
static void wake(vsr_sched *s, _Atomic int *flag, pthread_cond_t *cv)
{
    if (atomic_load(flag)) {
        pthread_mutex_lock(&s->mu);
        pthread_cond_broadcast(cv);
        pthread_mutex_unlock(&s->mu);
    }
}

/* Claim one item of the current job (the first left, or the last when @p back) and
 * run it; 0 when none was left. */
static int run_one(vsr_sched *s, int back)
{
    uint64_t st = atomic_load_explicit(&s->state, memory_order_acquire);
    while (FRONT(st) < BACK(st))
        if (atomic_compare_exchange_weak_explicit(
                &s->state, &st, back ? st - 1 : st + (UINT64_C(1) << IDX_BITS),
                memory_order_acq_rel, memory_order_acquire)) {
            size_t n = s->n;
            s->fn(s->ctx, (size_t)(back ? BACK(st) - 1 : FRONT(st)));
            if (atomic_fetch_add(&s->done, 1) + 1 == n)
                wake(s, &s->leader_sleeps, &s->done_cv);
            return 1;
        }
    return 0;
}

static int job_or_quit(vsr_sched *s)
{
    uint64_t st = atomic_load(&s->state);
    return FRONT(st) < BACK(st) || atomic_load(&s->quit);
}

static void help(vsr_sched *s)
{
    unsigned idle = 0;
    while (!atomic_load_explicit(&s->quit, memory_order_acquire)) {
        if (run_one(s, 1)) {
            idle = 0;
        } else if (idle < s->spin) {
            idle++;
            cpu_pause();
        } else {
            pthread_mutex_lock(&s->mu);
            atomic_fetch_add(&s->helpers_sleep, 1);
            while (!job_or_quit(s))
                pthread_cond_wait(&s->job_cv, &s->mu);
            atomic_fetch_sub(&s->helpers_sleep, 1);
            pthread_mutex_unlock(&s->mu);
            idle = 0;
        }
    }
}

static void runner(void *c, size_t i)
{
    (void)i;
    vsr_sched *s = c;
    int expect = 0;
    if (atomic_compare_exchange_strong(&s->leader, &expect, 1)) {
        s->rc = s->body(s->e, s->err);
        atomic_store(&s->quit, 1);
        wake(s, &s->helpers_sleep, &s->job_cv);
    } else {
        help(s);
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median3(const double *v)
{
    double t[VSR_GATE_PROBE];
    memcpy(t, v, sizeof(t));
    qsort(t, VSR_GATE_PROBE, sizeof(double), cmp_double);
    return t[VSR_GATE_PROBE / 2];
}

int vsr__gate_alone(vsr_gate *g)
{
    if (!g->probe && !g->left) { /* a new engine: a first stretch on the pool */
        g->len[0] = g->len[1] = VSR_GATE_MIN;
        g->left = VSR_GATE_MIN;
    }
    return g->probe ? !g->alone : g->alone;
}

void vsr__gate_report(vsr_gate *g, int alone, double ns_per_px)
{
    g->pp[alone][g->at[alone]] = ns_per_px;
    g->at[alone] = (g->at[alone] + 1) % VSR_GATE_PROBE;
    if (alone)
        g->alone_frames++;
    else
        g->pool_frames++;
    if (!g->probe) {
        if (--g->left)
            return;
        /* a pool stretch below its cap that beat the last alone frames clearly
         * (median time at most VSR_GATE_CLEAR_NUM / _DEN of theirs) runs on, doubled,
         * without the probe: on an idle machine the alone probes are the 2-thread
         * frames' only loss, 3 of every 7-19 frames in a clip's first 50 */
        if (!g->alone && g->alone_frames >= VSR_GATE_PROBE && g->len[0] < VSR_GATE_MAX_POOL &&
            median3(g->pp[0]) * VSR_GATE_CLEAR_DEN <= median3(g->pp[1]) * VSR_GATE_CLEAR_NUM) {
            g->len[0] *= 2;
            g->left = g->len[0];
            return;
        }
        g->probe = VSR_GATE_PROBE;
        return;
    }
    if (--g->probe)
        return;
    /* the probe is over: pp[!g->alone] holds its frames, pp[g->alone] the stretch's last */
    int cur = g->alone;
    if (median3(g->pp[!cur]) < median3(g->pp[cur])) {
        g->alone = !cur;
        g->len[g->alone] = VSR_GATE_MIN;
    } else {
        int cap = cur ? VSR_GATE_MAX_ALONE : VSR_GATE_MAX_POOL;
        g->len[cur] = g->len[cur] * 2 > cap ? cap : g->len[cur] * 2;
    }
    g->left = g->len[g->alone];
}

static int run_pool(vsr_engine *e, int (*body)(vsr_engine *, vsr_error *), vsr_error *err);

/*
 * Settled pool runs go through the helper gate (not threads_auto's measurement,
 * nor with opt.always_pool): the frame runs on the pool or alone on the calling
 * thread (what a 1-thread engine runs), and reports its time per input pixel.
 */
int vsr__sched_frame(vsr_engine *e, int (*body)(vsr_engine *, vsr_error *), vsr_error *err)
{
    if (!e->pool || e->nthreads <= 1 || e->sched)
        return body(e, err);
    if (e->auto_run >= 0)
        return run_pool(e, body, err);
    if (e->opt.always_pool) {
        e->gate.pool_frames++;
        return run_pool(e, body, err);
    }
    int alone = vsr__gate_alone(&e->gate), n = e->nthreads, rc;
    uint64_t t0 = vsr_clock_ns();
    if (alone) {
        e->nthreads = 1;
        rc = body(e, err);
        e->nthreads = n;
    } else {
        rc = run_pool(e, body, err);
    }
    /* per input pixel: the frame's; a tile worker's engine (no frame of its own) its
     * window's, as planned for the tile it just ran */
    double px = (double)e->in_h * (double)e->in_w;
    if (px <= 0)
        px = (double)e->plan_h * (double)e->plan_w;
    if (!rc)
        vsr__gate_report(&e->gate, alone, (double)(vsr_clock_ns() - t0) / (px > 0 ? px : 1));
    return rc;
}

static int run_pool(vsr_engine *e, int (*body)(vsr_engine *, vsr_error *), vsr_error *err)
{
    vsr_sched s = {.e = e, .body = body, .err = err};
    atomic_init(&s.state, 0);
    atomic_init(&s.done, 0);
    atomic_init(&s.leader, 0);
    atomic_init(&s.quit, 0);
    atomic_init(&s.leader_sleeps, 0);
    atomic_init(&s.helpers_sleep, 0);
    if (pthread_mutex_init(&s.mu, NULL))
        return body(e, err); /* no sleeping without it: run on this thread */
    if (pthread_cond_init(&s.done_cv, NULL)) {
        pthread_mutex_destroy(&s.mu);
        return body(e, err);
    }
    if (pthread_cond_init(&s.job_cv, NULL)) {
        pthread_cond_destroy(&s.done_cv);
        pthread_mutex_destroy(&s.mu);
        return body(e, err);
    }
    /* pause loops (~25 ns each) before sleeping: ~0.5 ms with spin, ~50 us else */
    s.spin = e->opt.wait == VSR_WAIT_SPIN ? 20000 : 2000;
    e->sched = &s;
    uint32_t flags = e->opt.wait == VSR_WAIT_YIELD ? PTHREADPOOL_FLAG_YIELD_WORKERS : 0;
    pthreadpool_parallelize_1d(e->pool, runner, &s, (size_t)e->nthreads, flags);
    e->sched = NULL;
    pthread_cond_destroy(&s.job_cv);
    pthread_cond_destroy(&s.done_cv);
    pthread_mutex_destroy(&s.mu);
    return s.rc;
}

typedef struct par_ctx {
    void (*fn)(void *, size_t);
    void *ctx;
} par_ctx;

static void par_tramp(void *c, size_t i)
{
    par_ctx *p = c;
    p->fn(p->ctx, i);
}

void vsr__parallel(vsr_engine *e, void (*fn)(void *, size_t), void *ctx, size_t n)
{
    vsr_sched *s = e->sched;
    if (!e->pool || e->nthreads <= 1 || n <= 1 || (s && n > IDX_MASK)) {
        for (size_t i = 0; i < n; i++)
            fn(ctx, i);
        return;
    }
    if (!s) { /* outside a frame (not used by the engine's own runs) */
        par_ctx p = {fn, ctx};
        uint32_t flags = e->opt.wait == VSR_WAIT_YIELD ? PTHREADPOOL_FLAG_YIELD_WORKERS : 0;
        pthreadpool_parallelize_1d(e->pool, par_tramp, &p, n, flags);
        return;
    }
    /* the leader: publish the job, take items like any helper, wait for the rest */
    s->fn = fn;
    s->ctx = ctx;
    s->n = n;
    atomic_store_explicit(&s->done, 0, memory_order_relaxed);
    uint64_t epoch =
        (atomic_load_explicit(&s->state, memory_order_relaxed) >> (2 * IDX_BITS)) + 1;
    atomic_store(&s->state, epoch << (2 * IDX_BITS) | (uint64_t)n);
    wake(s, &s->helpers_sleep, &s->job_cv);
    while (run_one(s, 0))
        ;
    for (unsigned idle = 0; atomic_load(&s->done) < n; idle++) {
        if (idle < s->spin) {
            cpu_pause();
            continue;
        }
        pthread_mutex_lock(&s->mu);
        atomic_store(&s->leader_sleeps, 1);
        while (atomic_load(&s->done) < n)
            pthread_cond_wait(&s->done_cv, &s->mu);
        atomic_store(&s->leader_sleeps, 0);
        pthread_mutex_unlock(&s->mu);
    }
}
