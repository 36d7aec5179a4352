#!/usr/bin/python3
"""Independent reference for reports/stats.c (vsr_report_bootstrap_ci).

Written from the documented algorithm, not from the C code: splitmix64 from
the seed, resample by resample, clip by clip, frame by frame, index =
next() % frames in the clip; statistic = mean over clips of the clip means;
interval = numpy.percentile(..., method="linear") (numpy's default, type 7)
at 2.5 and 97.5. Prints the values pasted into tests/reports/test_stats.c.
Usage: /usr/bin/python3 tests/reports/bootstrap_ref.py
"""
import numpy as np

M64 = (1 << 64) - 1


def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & M64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return state, z ^ (z >> 31)


def boot(clips, resamples, seed, level):
    s = seed
    stats = []
    for _ in range(resamples):
        means = []
        for c in clips:
            tot = 0.0
            for _ in range(len(c)):
                s, x = splitmix64(s)
                tot += c[x % len(c)]
            means.append(tot / len(c))
        stats.append(sum(means) / len(means))
    q = [(1 - level) / 2 * 100, (1 + level) / 2 * 100]
    return np.percentile(np.array(stats), q, method="linear")


if __name__ == "__main__":
    # case 1: two clips of per-frame PSNR differences
    c1 = [[0.25, -0.5, 0.75, 0.125], [1.0, 0.5, -0.25]]
    print("case1 %.17g %.17g" % tuple(boot(c1, 2000, 14, 0.95)))
    # case 2: the same with 7 resamples and seed 1 (interpolation visible)
    print("case2 %.17g %.17g" % tuple(boot(c1, 7, 1, 0.95)))
    # case 3: first splitmix64 outputs from seed 0 (the generator itself)
    s = 0
    for _ in range(3):
        s, x = splitmix64(s)
        print("sm %#018x" % x)

    # The run log of tests/reports/test_ablation.c: per-frame Y-PSNR of clips
    # a and b (3 frames each); SSIM-Y = 0.8 + (PSNR - 30) / 100 per frame.
    base = {"fp32": [[30.0, 30.5, 31.0], [28.0, 28.25, 28.5]],
            "int8": [[29.5, 30.0, 30.5], [27.5, 28.0, 28.0]]}
    rows = [("MVSR_14", "fp32", [[30.25, 30.5, 31.5], [28.0, 28.75, 28.5]]),
            ("MVSR_15", "fp32", [[29.0, 29.75, 30.0], [27.5, 27.0, 28.0]]),
            ("MVSR_14", "int8", [[29.5, 30.25, 30.25], [27.75, 27.75, 28.25]]),
            ("MVSR_23", "int8", [[30.0, 30.5, 31.0], [28.0, 28.5, 28.5]])]

    def mcm(clips):  # mean of clip means
        return sum(sum(c) / len(c) for c in clips) / len(clips)

    def sd(v, dec):
        s = "%.*f" % (dec, v)
        return "%.*f" % (dec, 0.0) if float(s) == 0 else "%+.*f" % (dec, v)

    for name, prec, fr in rows:
        b = base[prec]
        for metric, dec, f in (("PSNR", 2, lambda p: p), ("SSIM", 4, lambda p: 0.8 + (p - 30) / 100)):
            rb = [[f(p) for p in c] for c in b]
            rr = [[f(p) for p in c] for c in fr]
            d = mcm(rr) - mcm(rb)
            diffs = [[x - y for x, y in zip(cr, cb)] for cr, cb in zip(rr, rb)]
            lo, hi = boot(diffs, 2000, 14, 0.95)
            print("%s %s %s: \"%s [%s, %s]\" key %.17g lo %.17g hi %.17g sig %d" %
                  (name, prec, metric, sd(d, dec), sd(lo, dec), sd(hi, dec), d, lo, hi,
                   lo > 0 or hi < 0))
