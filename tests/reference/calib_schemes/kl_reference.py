#!/usr/bin/env python3
"""Independent reference for vsrbench's KL (entropy) calibration and the
moving-average min/max, written from the published descriptions, not from
engine/calib.c:

  KL: Szymon Migacz, "8-bit Inference with TensorRT", GTC 2017, slides
  "Entropy calibration - pseudocode" and "Candidate distribution Q":
    for i in range(128, 2048):
        P = bin[0 .. i-1]; P[i-1] += sum(bin[i:]); P /= sum(P)
        Q = quantize bin[0 .. i-1] into 128 levels, expand back to i bins
            (a level's count spread evenly over the bins that are non-zero);
        Q /= sum(Q); divergence[i] = KL(P || Q)
    m = argmin divergence; threshold = (m + 0.5) * bin_width
  vsrbench's reading of the unspecified details (stated in include/vsr/engine.h):
  groups of i // nq bins, the last group takes the remainder; "non-zero" is
  P's bins (with the outliers); a P > 0 bin whose Q is 0 makes the candidate
  infinite (skipped); the first minimum wins.

  EMA: torch.ao.quantization.MovingAverageMinMaxObserver, averaging_constant
  0.01: min = first batch min, then min += c * (batch_min - min), same for max.

Plain Python (no numpy on the build machine). Run: python3 kl_reference.py
The output is kl_expected.txt; tests/engine/test_engine_schemes.c asserts it.
"""
import math


def kl_best(hist, nq):
    bins = len(hist)
    total = float(sum(hist))
    best, best_kl = -1, math.inf
    for i in range(nq, bins):
        out = sum(hist[i:])
        p = [float(h) for h in hist[:i]]
        p[i - 1] += out
        m = i // nq
        q = [0.0] * i
        for j in range(nq):
            a = j * m
            z = i if j == nq - 1 else a + m
            cnt = sum(hist[a:z])
            nz = sum(1 for b in range(a, z) if p[b] > 0)
            for b in range(a, z):
                if p[b] > 0:
                    q[b] = cnt / nz
        qs = sum(q)
        kl = 0.0
        for b in range(i):
            if p[b] <= 0:
                continue
            if q[b] <= 0:
                kl = math.inf
                break
            pp, qq = p[b] / total, q[b] / qs
            kl += pp * math.log(pp / qq)
        if kl < best_kl:
            best, best_kl = i, kl
    return best, best_kl


def ema(mins, maxs, c=0.01):
    lo, hi = mins[0], maxs[0]
    for a, b in zip(mins[1:], maxs[1:]):
        lo += c * (a - lo)
        hi += c * (b - hi)
    return lo, hi


def big_hist():
    # 2048 bins: an exponential bulk plus a small far outlier bump
    return [math.floor(1000 * math.exp(-b / 40.0)) + (3 if 1500 <= b < 1504 else 0)
            for b in range(2048)]


if __name__ == "__main__":
    small = [1, 0, 2, 3, 5, 3, 1, 7]
    b, k = kl_best(small, 2)
    print(f"small_hist {small} nq 2: best_i {b} kl {k:.17g}")
    small2 = [40, 30, 20, 10, 5, 2, 1, 0, 0, 1]
    b, k = kl_best(small2, 3)
    print(f"small2_hist {small2} nq 3: best_i {b} kl {k:.17g}")
    b, k = kl_best(big_hist(), 128)
    print(f"big_hist 2048 nq 128: best_i {b} kl {k:.17g}")
    # the same plus one count in the top bin (the test's data: its max fixes the width)
    top = big_hist()
    top[2047] += 1
    b, k = kl_best(top, 128)
    print(f"big_hist+top 2048 nq 128: best_i {b} kl {k:.17g}")
    lo, hi = ema([-1.0, -3.0, 0.0], [2.0, 4.0, 10.0])
    print(f"ema mins [-1,-3,0] maxs [2,4,10] c 0.01: lo {lo:.17g} hi {hi:.17g}")
