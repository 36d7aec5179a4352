/*
 * Helpers of tests that record runs: score lists of the v1 run-log columns
 * (psnr_rgb, psnr_y, ssim_rgb, ssim_y, niqe) -- since schema v10 a clip or
 * frame carries a list of (metric, channel, value) instead of five fixed
 * fields --, opening a run log and finishing a run.
 */
#ifndef VSR_TESTS_RUNLOG_SCORES_H
#define VSR_TESTS_RUNLOG_SCORES_H

#include "vsr/bench.h"

/* Fill @p s[5] with the five v1 scores (NaN = not computed). */
static inline void vsr_test_v1_set(vsr_runlog_score s[5], double prgb, double py, double srgb,
                                   double sy, double niqe)
{
    s[0] = (vsr_runlog_score){"psnr", "rgb", prgb};
    s[1] = (vsr_runlog_score){"psnr", "y", py};
    s[2] = (vsr_runlog_score){"ssim", "rgb", srgb};
    s[3] = (vsr_runlog_score){"ssim", "y", sy};
    s[4] = (vsr_runlog_score){"niqe", "", niqe};
}

/* The scores and n_scores fields of a vsr_runlog_clip / _frame initializer; the
 * list lives as long as the enclosing block (a compound literal). */
#define VSR_TEST_V1(prgb, py, srgb, sy, niqe)                                                  \
    (const vsr_runlog_score[]){{"psnr", "rgb", (prgb)},                                        \
                               {"psnr", "y", (py)},                                            \
                               {"ssim", "rgb", (srgb)},                                        \
                               {"ssim", "y", (sy)},                                            \
                               {"niqe", "", (niqe)}},                                          \
        5

/* The run log at @p path, opened (and migrated); a failure fails the test. */
static inline vsr_runlog *vsr_test_runlog_open(const char *path)
{
    vsr_runlog *log = NULL;
    vsr_error err = {0};
    if (vsr_runlog_open(&log, path, &err))
        fail_msg("%s", err.msg);
    return log;
}

/*
 * Finish run @p id as ok with one clip @p c, its @p n_frames frames @p f and
 * timing @p t, over the other fields of @p res (params, macs, input size,
 * isa ...); a failure fails the test with the library's message.
 */
static inline void vsr_test_finish_ok(vsr_runlog *log, int64_t id, vsr_runlog_result res,
                                      const vsr_runlog_clip *c, const vsr_runlog_frame *f,
                                      int n_frames, const vsr_timing_stats *t)
{
    vsr_error err = {0};
    res.ok = 1;
    res.timing = t;
    res.clips = c;
    res.n_clips = 1;
    res.frames = f;
    res.n_frames = n_frames;
    if (vsr_runlog_run_finish(log, id, &res, &err))
        fail_msg("%s", err.msg);
}

#endif
