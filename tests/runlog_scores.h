/*
 * Score lists of the v1 run-log columns (psnr_rgb, psnr_y, ssim_rgb, ssim_y,
 * niqe) for tests that record runs: since schema v10 a clip or frame carries
 * a list of (metric, channel, value) instead of five fixed fields.
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

#endif
