/*
 * Threads: the frame scheduler (engine/sched.c) runs every item of every
 * parallel region exactly once, and an engine on a pool of 2 or 3 threads
 * gives the same output bytes as on the calling thread alone, in FP32, FP16
 * and INT8 (FP16 native is the scalar twin on most CPUs: too slow here), whole-frame and tiled,
 * with the SR tail fused (anchor add, depth-to-space, clip straight into the float output).
 * The helper gate's policy, by hand-computed sequences, and an engine whose frames
 * it moves between the pool and the calling thread, with the same bytes.
 */
#include <pthreadpool.h>
#include <stdatomic.h>

#include "engine_internal.h"
#include "engine_testutil.h"

enum { H = 37, W = 29, R = 4 };

/* ABPN-like: x (3 ch) -> 3x3 convs 3->28->28->28 (ReLU) -> 3x3 28->48 -> + the
 * input repeated 16 times (concat) -> depth-to-space x4 -> clip [0, 255]. */
static vsr_graph *abpn_like(void)
{
    vsr_graph *g = NULL;
    vsr_error err = {0};
    OK(vsr_graph_create("abpn_like", &g, &err));
    int x = vsr_graph_input(g, "x", H, W, 3, &err);
    vsr_conv_params p = vsr_conv_default(28, 3);
    p.act.type = VSR_ACT_RELU;
    int t = vsr_graph_conv2d(g, "c1", x, &p, &err);
    t = vsr_graph_conv2d(g, "c2", t, &p, &err);
    t = vsr_graph_conv2d(g, "c3", t, &p, &err);
    p.cout = 3 * R * R;
    p.act.type = VSR_ACT_NONE;
    t = vsr_graph_conv2d(g, "c4", t, &p, &err);
    int xs[R * R];
    for (int i = 0; i < R * R; i++)
        xs[i] = x;
    int anchor = vsr_graph_concat(g, "anchor", R * R, xs, &err);
    t = vsr_graph_add(g, "add", t, anchor, &err);
    t = vsr_graph_depth_to_space(g, "d2s", t, R, &err);
    t = vsr_graph_clip(g, "clip", t, 0, 255, &err);
    OK(vsr_graph_output(g, "sr", t, &err));
    rand_weights(g, 5, -0.12f, 0.12f);
    return g;
}

/* Output of g on x in @p prec with @p threads (1 = no pool) and tile T (pad 4). */
static float *run_threads(const vsr_graph *g, vsr_precision prec, int threads, int tile,
                          const float *x)
{
    vsr_error err = {0};
    pthreadpool_t pool = threads > 1 ? pthreadpool_create((size_t)threads) : NULL;
    if (threads > 1)
        assert_non_null(pool);
    vsr_engine_options o;
    vsr_engine_options_default(&o);
    o.tile = tile;
    o.pad = tile ? 4 : 0;
    vsr_engine *e = NULL;
    OK(vsr_engine_create(g, prec, pool, &o, &e, &err));
    assert_true(e->tail.node >= 0); /* the fused tail is what runs */
    OK(vsr_engine_set_input(e, 0, x, H, W, 3, &err));
    size_t n = (size_t)H * R * W * R * 3;
    float *out = malloc(n * sizeof(float));
    assert_non_null(out);
    for (int rep = 0; rep < 2; rep++) { /* every run gives the same bytes */
        OK(vsr_engine_run(e, &err));
        OK(vsr_engine_get_output(e, 0, out, n, &err));
        if (rep == 0)
            continue;
        float *again = malloc(n * sizeof(float));
        OK(vsr_engine_get_output(e, 0, again, n, &err));
        assert_memory_equal(out, again, n * sizeof(float));
        free(again);
    }
    vsr_engine_free(&e);
    if (pool)
        pthreadpool_destroy(pool);
    return out;
}

static void test_same_bytes_for_1_2_3_threads(void **state)
{
    (void)state;
    vsr_graph *g = abpn_like();
    vsr_error err = {0};
    float *x = malloc((size_t)H * W * 3 * sizeof(float));
    fill_rand(x, (size_t)H * W * 3, 7, 0, 255);
    /* INT8 parameters from a calibration run on a 3-thread pool (its hook runs
     * inside the scheduled frame) */
    pthreadpool_t pool = pthreadpool_create(3);
    vsr_calib *c = NULL;
    OK(vsr_calib_create(g, pool, &c, &err));
    const float *in[1] = {x};
    OK(vsr_calib_feed(c, in, H, W, &err));
    OK(vsr_calib_finish(c, NULL, g, &err));
    vsr_calib_free(&c);
    pthreadpool_destroy(pool);
    size_t n = (size_t)H * R * W * R * 3;
    float *fp32 = NULL;
    for (int prec = 0; prec < 3; prec++) /* fp32, fp16, int8 */
        for (int tile = 0; tile <= 16; tile += 16) {
            float *one = run_threads(g, (vsr_precision)prec, 1, tile, x);
            for (int th = 2; th <= 3; th++) {
                float *many = run_threads(g, (vsr_precision)prec, th, tile, x);
                assert_memory_equal(one, many, n * sizeof(float));
                free(many);
            }
            /* not a degenerate output: values spread over the clip range, and
             * INT8 really differs from FP32 (another path ran) */
            double s = 0, s2 = 0;
            for (size_t i = 0; i < n; i++)
                s += one[i], s2 += (double)one[i] * one[i];
            assert_true(s2 / n - (s / n) * (s / n) > 100.0);
            if (prec == VSR_PREC_FP32 && tile == 0)
                fp32 = one;
            else {
                if (prec == VSR_PREC_INT8)
                    assert_true(memcmp(one, fp32, n * sizeof(float)) != 0);
                free(one);
            }
        }
    free(fp32), free(x);
    vsr_graph_free(&g);
}

/* threads_auto: 1 cold run + VSR_ENGINE_AUTO_PAIRS pairs measured, then a choice
 * of 1 or the pool's size (which one depends on the machine); the bytes never
 * change; without a pool or without the option there is nothing to measure. */
static void test_threads_auto(void **state)
{
    (void)state;
    vsr_graph *g = abpn_like();
    vsr_error err = {0};
    float *x = malloc((size_t)H * W * 3 * sizeof(float));
    fill_rand(x, (size_t)H * W * 3, 9, 0, 255);
    size_t n = (size_t)H * R * W * R * 3;
    float *ref = run_threads(g, VSR_PREC_FP32, 1, 0, x), *out = malloc(n * sizeof(float));
    pthreadpool_t pool = pthreadpool_create(2);
    vsr_engine_options o;
    vsr_engine_options_default(&o);
    o.threads_auto = 1;
    vsr_engine *e = NULL, *e1 = NULL, *e2 = NULL;
    OK(vsr_engine_create(g, VSR_PREC_FP32, pool, &o, &e, &err));
    OK(vsr_engine_create(g, VSR_PREC_FP32, NULL, &o, &e1, &err));
    OK(vsr_engine_create(g, VSR_PREC_FP32, pool, NULL, &e2, &err));
    assert_int_equal(vsr_engine_threads(e1), 1);
    assert_int_equal(vsr_engine_threads(e2), 2);
    OK(vsr_engine_set_input(e, 0, x, H, W, 3, &err));
    for (int run = 0; run < 2 * VSR_ENGINE_AUTO_PAIRS + 3; run++) {
        assert_int_equal(vsr_engine_threads(e) == 0, run <= 2 * VSR_ENGINE_AUTO_PAIRS);
        OK(vsr_engine_run(e, &err));
        OK(vsr_engine_get_output(e, 0, out, n, &err));
        assert_memory_equal(out, ref, n * sizeof(float));
    }
    int th = vsr_engine_threads(e);
    assert_true(th == 1 || th == 2);
    vsr_engine_free(&e), vsr_engine_free(&e1), vsr_engine_free(&e2);
    pthreadpool_destroy(pool);
    free(ref), free(out), free(x);
    vsr_graph_free(&g);
}

/* ---- the helper gate -------------------------------------------------------- */

/* Feed the gate @p n frames that take @p pool_t (on the pool) or @p alone_t (alone)
 * ns per pixel; returns the sides it chose, as a string of 'p' / 'a'. */
static void gate_feed(vsr_gate *g, int n, double pool_t, double alone_t, char *sides)
{
    for (int k = 0; k < n; k++) {
        int a = vsr__gate_alone(g);
        sides[k] = a ? 'a' : 'p';
        vsr__gate_report(g, a, a ? alone_t : pool_t);
    }
    sides[n] = 0;
}

/* The policy by hand (engine_internal.h): a first stretch of 4 frames on the pool,
 * a probe of 3 alone; the winner's stretches double (4, 8, 16, ... up to 256 on
 * the pool, 64 alone), a side that takes over starts again at 4; a pool stretch
 * below 256 whose median is at most 2/3 of the last alone frames' skips its probe. */
static void test_gate_policy(void **state)
{
    (void)state;
    char s[1200];
    vsr_gate g = {0};
    /* the pool twice as fast (a clear win): 4 pool, 3 alone (the first probe), then
     * stretches of 8, 16, ..., 256 pool frames with no probe until the cap */
    gate_feed(&g, 4 + 3 + 8 + 16 + 32 + 64 + 128 + 256 + 3, 10.0, 20.0, s);
    assert_memory_equal(s, "ppppaaa", 7);
    size_t at = 7;
    for (; at < 7 + 504; at++)
        assert_int_equal(s[at], 'p');
    assert_string_equal(s + at, "aaa");
    assert_int_equal(g.pool_frames, 508);
    assert_int_equal(g.alone_frames, 6);
    /* at the cap every stretch of 256 is followed by a probe */
    gate_feed(&g, 256 + 3 + 256 + 3, 10.0, 20.0, s);
    at = 0;
    for (int rep = 0; rep < 2; rep++) {
        for (int k = 0; k < 256; k++)
            assert_int_equal(s[at++], 'p');
        for (int k = 0; k < 3; k++)
            assert_int_equal(s[at++], 'a');
    }
    assert_int_equal(s[at], 0);
    /* now alone is faster: its stretch starts at 4, the pool is probed for 3 */
    gate_feed(&g, 256 + 3 + 4 + 3 + 8 + 3, 30.0, 20.0, s);
    for (at = 0; at < 256; at++)
        assert_int_equal(s[at], 'p');
    assert_string_equal(s + 256, "aaa"
                                 "aaaa"
                                 "ppp"
                                 "aaaaaaaa"
                                 "ppp");
    /* the alone stretches stop doubling at 64 */
    gate_feed(&g, 16 + 3 + 32 + 3 + 64 + 3 + 64 + 3, 30.0, 20.0, s);
    at = 0;
    for (int len = 16; len <= 128; len *= 2) {
        int l = len > 64 ? 64 : len;
        for (int k = 0; k < l; k++)
            assert_int_equal(s[at++], 'a');
        for (int k = 0; k < 3; k++)
            assert_int_equal(s[at++], 'p');
    }
    assert_int_equal(s[at], 0);
    /* the next alone stretch (64), then the pool wins its probe: back to it, for 4,
     * and clearly, so 8 more with no probe between */
    gate_feed(&g, 64 + 3 + 4 + 8, 10.0, 20.0, s);
    for (at = 0; at < 64; at++)
        assert_int_equal(s[at], 'a');
    for (; at < 64 + 3 + 4 + 8; at++)
        assert_int_equal(s[at], 'p');
    /* a pool win that is not clear (15 > 2/3 of 20) is probed after every stretch,
     * and so is a clear one (exactly 2/3) once a co-running process slows the pool */
    vsr_gate c = {0};
    gate_feed(&c, 4 + 3 + 8 + 3 + 16 + 3, 15.0, 20.0, s);
    assert_string_equal(s, "pppp"
                           "aaa"
                           "pppppppp"
                           "aaa"
                           "pppppppppppppppp"
                           "aaa");
    vsr_gate d = {0};
    gate_feed(&d, 4 + 3 + 8 + 16, 2.0, 3.0, s);
    assert_memory_equal(s, "ppppaaa", 7);
    for (at = 7; at < 7 + 24; at++)
        assert_int_equal(s[at], 'p');
    gate_feed(&d, 32 + 3, 2.5, 3.0, s); /* 2.5 > 2: probed at the stretch's end */
    for (at = 0; at < 32; at++)
        assert_int_equal(s[at], 'p');
    assert_string_equal(s + 32, "aaa");
    /* the decision is on medians: one slow frame in a probe does not flip it */
    vsr_gate h = {0};
    for (int k = 0; k < 4; k++)
        vsr__gate_report(&h, vsr__gate_alone(&h), 10.0);
    double probe[3] = {5.0, 1000.0, 5.0};
    for (int k = 0; k < 3; k++) {
        assert_int_equal(vsr__gate_alone(&h), 1);
        vsr__gate_report(&h, 1, probe[k]);
    }
    assert_int_equal(vsr__gate_alone(&h), 1); /* median 5 < 10: alone won */
}

/* With the gate on, an engine on a pool runs its first 4 frames there and the next
 * 3 alone (then whichever was faster here), with the bytes of the 1-thread engine
 * on every frame; with always_pool every frame is on the pool. */
static void test_gate_engine(void **state)
{
    (void)state;
    vsr_graph *g = abpn_like();
    vsr_error err = {0};
    float *x = malloc((size_t)H * W * 3 * sizeof(float));
    fill_rand(x, (size_t)H * W * 3, 11, 0, 255);
    size_t n = (size_t)H * R * W * R * 3;
    float *ref = run_threads(g, VSR_PREC_FP32, 1, 0, x), *out = malloc(n * sizeof(float));
    pthreadpool_t pool = pthreadpool_create(2);
    for (int always = 0; always <= 1; always++) {
        vsr_engine_options o;
        vsr_engine_options_default(&o);
        o.always_pool = always;
        vsr_engine *e = NULL;
        OK(vsr_engine_create(g, VSR_PREC_FP32, pool, &o, &e, &err));
        OK(vsr_engine_set_input(e, 0, x, H, W, 3, &err));
        uint64_t fp = 0, fa = 0;
        for (int run = 0; run < 12; run++) {
            OK(vsr_engine_run(e, &err));
            OK(vsr_engine_get_output(e, 0, out, n, &err));
            assert_memory_equal(out, ref, n * sizeof(float));
            uint64_t p2, a2;
            vsr_engine_pool_frames(e, &p2, &a2);
            /* frame run: alone exactly on frames 4..6 (or later ones), never before */
            if (always || run < 4)
                assert_true(p2 == fp + 1 && a2 == fa);
            else if (run < 7)
                assert_true(p2 == fp && a2 == fa + 1);
            else
                assert_int_equal(p2 + a2, fp + fa + 1);
            fp = p2, fa = a2;
        }
        assert_int_equal(vsr_engine_threads(e), 2);
        vsr_engine_free(&e);
    }
    pthreadpool_destroy(pool);
    free(ref), free(out), free(x);
    vsr_graph_free(&g);
}

/* ---- the scheduler itself: every item exactly once ------------------------- */

enum { MAXN = 5000 };
static struct {
    _Atomic int hits[MAXN];
    int n_jobs;
} sched_t; /* test-only state: vsr__sched_frame's body takes no context */

static void count_item(void *ctx, size_t i)
{
    (void)ctx;
    atomic_fetch_add(&sched_t.hits[i], 1);
}

static int frame_body(vsr_engine *e, vsr_error *err)
{
    (void)err;
    static const size_t sizes[] = {0, 1, 2, 3, 7, 64, 1000, MAXN};
    for (int rep = 0; rep < 20; rep++)
        for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
            size_t n = sizes[k];
            for (size_t i = 0; i < MAXN; i++)
                atomic_store(&sched_t.hits[i], 0);
            vsr__parallel(e, count_item, NULL, n);
            for (size_t i = 0; i < MAXN; i++)
                if (atomic_load(&sched_t.hits[i]) != (i < n ? 1 : 0))
                    return -EPROTO;
            sched_t.n_jobs++;
        }
    return 7; /* the body's return value is the frame's */
}

static void test_every_item_exactly_once(void **state)
{
    (void)state;
    vsr_graph *g = abpn_like();
    vsr_error err = {0};
    for (int th = 2; th <= 3; th++)
        for (int wait = 0; wait < 3; wait++) {
            pthreadpool_t pool = pthreadpool_create((size_t)th);
            vsr_engine_options o;
            vsr_engine_options_default(&o);
            o.wait = (vsr_wait_policy)wait;
            o.always_pool = 1; /* the helper gate must not run the frame alone */
            vsr_engine *e = NULL;
            OK(vsr_engine_create(g, VSR_PREC_FP32, pool, &o, &e, &err));
            sched_t.n_jobs = 0;
            assert_int_equal(vsr__sched_frame(e, frame_body, &err), 7);
            assert_int_equal(sched_t.n_jobs, 20 * 8);
            assert_null(e->sched); /* the frame is over */
            vsr_engine_free(&e);
            pthreadpool_destroy(pool);
        }
    vsr_graph_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_item_exactly_once),
        cmocka_unit_test(test_same_bytes_for_1_2_3_threads),
        cmocka_unit_test(test_threads_auto),
        cmocka_unit_test(test_gate_policy),
        cmocka_unit_test(test_gate_engine),
    };
    return VSR_RUN_TESTS(tests, NULL, NULL);
}
