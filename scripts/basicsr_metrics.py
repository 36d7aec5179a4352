#!/usr/bin/python3
"""BasicSR v1.4.2's calculate_ssim and calculate_niqe, re-implemented on
numpy/scipy, as the speed and value anchor of tools/bench_metrics.

Provenance: BasicSR v1.4.2 (https://github.com/XPixelGroup/BasicSR, tag
v1.4.2, Apache-2.0), files basicsr/metrics/psnr_ssim.py (calculate_ssim,
_ssim), basicsr/metrics/metric_util.py (reorder_image, to_y_channel),
basicsr/utils/color_util.py (bgr2ycbcr and its type-range helpers),
basicsr/metrics/niqe.py (estimate_aggd_param, compute_feature, niqe,
calculate_niqe) and basicsr/utils/matlab_functions.py (cubic,
calculate_weights_indices, imresize). Debian 12 packages no basicsr
(`apt-cache policy python3-basicsr`: no candidate), OpenCV for Python
pulls ~120 packages and torch is not packaged, so the three library calls
BasicSR makes are replaced by their numpy/scipy equivalents, keeping
BasicSR's structure (its Python loops, dtypes and array shapes):
  - cv2.getGaussianKernel(11, 1.5) -> the same normalised float64 Gaussian;
  - cv2.filter2D(img, -1, window)[5:-5, 5:-5] -> scipy.signal.fftconvolve
    (float64, mode 'valid': the same region; the window is symmetric).
    OpenCV 4 filters a float64 image through the DFT when the kernel has
    50 taps or more (dftFilter2D in imgproc/src/filter.dispatch.cpp), so
    this is the same method, not a slower direct 11x11 loop;
  - imresize's torch float32 tensors and per-row `mv` -> numpy float32
    arrays and a per-row dot product in the same loops.
The NIQE pristine model is read from metrics/data/niqe_pris_params.txt
(the values of BasicSR's niqe_pris_params.npz, %.17g). scipy.ndimage's
convolve and scipy.special.gamma are what BasicSR itself calls.

usage: basicsr_metrics.py W H GT.rgb SR.rgb [--repeats N] [--niqe-model P]
GT.rgb / SR.rgb: raw 8-bit RGB, W x H, rows top to bottom (what
bench_metrics writes). Prints one line per metric:
  <name> <value %.17g> <median wall ms> <median CPU ms> <repeats>
"""
import math
import os
import sys
import time

import numpy as np
from scipy.ndimage import convolve
from scipy.signal import fftconvolve
from scipy.special import gamma


# ---- basicsr/utils/color_util.py -----------------------------------------

def _convert_input_type_range(img):
    img_type = img.dtype
    img = img.astype(np.float32)
    if img_type == np.float32:
        pass
    elif img_type == np.uint8:
        img /= 255.
    else:
        raise TypeError(f'The img type should be np.float32 or np.uint8, but got {img_type}')
    return img


def _convert_output_type_range(img, dst_type):
    if dst_type not in (np.uint8, np.float32):
        raise TypeError(f'The dst_type should be np.float32 or np.uint8, but got {dst_type}')
    if dst_type == np.uint8:
        img = img.round()
    else:
        img /= 255.
    return img.astype(dst_type)


def bgr2ycbcr(img, y_only=False):
    img_type = img.dtype
    img = _convert_input_type_range(img)
    if y_only:
        out_img = np.dot(img, [24.966, 128.553, 65.481]) + 16.0
    else:
        out_img = np.matmul(
            img, [[24.966, 112.0, -18.214], [128.553, -74.203, -93.786], [65.481, -37.797, 112.0]]
        ) + [16, 128, 128]
    out_img = _convert_output_type_range(out_img, img_type)
    return out_img


# ---- basicsr/metrics/metric_util.py --------------------------------------

def to_y_channel(img):
    img = img.astype(np.float32) / 255.
    if img.ndim == 3 and img.shape[2] == 3:
        img = bgr2ycbcr(img, y_only=True)
        img = img[..., None]
    return img * 255.


# ---- basicsr/metrics/psnr_ssim.py ----------------------------------------

def _gaussian_kernel(ksize, sigma):
    # cv2.getGaussianKernel(ksize, sigma), float64 column
    x = np.arange(ksize, dtype=np.float64) - (ksize - 1) / 2
    k = np.exp(-(x * x) / (2 * sigma * sigma))
    return (k / k.sum()).reshape(ksize, 1)


def _filter2d_valid(img, window):
    # cv2.filter2D(img, -1, window)[5:-5, 5:-5]: correlation (= convolution
    # with the flipped window), float64, through the DFT like OpenCV
    return fftconvolve(img, window[::-1, ::-1], mode='valid')


def _ssim(img, img2):
    c1 = (0.01 * 255)**2
    c2 = (0.03 * 255)**2
    kernel = _gaussian_kernel(11, 1.5)
    window = np.outer(kernel, kernel.transpose())

    mu1 = _filter2d_valid(img, window)  # valid mode for window size 11
    mu2 = _filter2d_valid(img2, window)
    mu1_sq = mu1**2
    mu2_sq = mu2**2
    mu1_mu2 = mu1 * mu2
    sigma1_sq = _filter2d_valid(img**2, window) - mu1_sq
    sigma2_sq = _filter2d_valid(img2**2, window) - mu2_sq
    sigma12 = _filter2d_valid(img * img2, window) - mu1_mu2

    ssim_map = ((2 * mu1_mu2 + c1) * (2 * sigma12 + c2)) / ((mu1_sq + mu2_sq + c1) * (sigma1_sq + sigma2_sq + c2))
    return ssim_map.mean()


def calculate_ssim(img, img2, crop_border, test_y_channel=False):
    # input_order 'HWC', BGR
    if crop_border != 0:
        img = img[crop_border:-crop_border, crop_border:-crop_border, ...]
        img2 = img2[crop_border:-crop_border, crop_border:-crop_border, ...]
    if test_y_channel:
        img = to_y_channel(img)
        img2 = to_y_channel(img2)
    img = img.astype(np.float64)
    img2 = img2.astype(np.float64)
    ssims = []
    for i in range(img.shape[2]):
        ssims.append(_ssim(img[..., i], img2[..., i]))
    return np.array(ssims).mean()


# ---- basicsr/utils/matlab_functions.py (torch float32 -> numpy float32) ---

def cubic(x):
    absx = np.abs(x)
    absx2 = absx**2
    absx3 = absx**3
    return (1.5 * absx3 - 2.5 * absx2 + 1) * ((absx <= 1).astype(absx.dtype)) + (
        -0.5 * absx3 + 2.5 * absx2 - 4 * absx + 2) * (((absx > 1) * (absx <= 2)).astype(absx.dtype))


def calculate_weights_indices(in_length, out_length, scale, kernel_width, antialiasing):
    if (scale < 1) and antialiasing:
        kernel_width = kernel_width / scale
    f32 = np.float32
    x = np.linspace(1, out_length, out_length, dtype=f32)
    u = x / f32(scale) + f32(0.5 * (1 - 1 / scale))
    left = np.floor(u - f32(kernel_width / 2))
    p = math.ceil(kernel_width) + 2
    indices = left.reshape(out_length, 1) + np.linspace(0, p - 1, p, dtype=f32).reshape(1, p)
    distance_to_center = u.reshape(out_length, 1) - indices
    if (scale < 1) and antialiasing:
        weights = f32(scale) * cubic(distance_to_center * f32(scale))
    else:
        weights = cubic(distance_to_center)
    weights_sum = np.sum(weights, 1).reshape(out_length, 1)
    weights = weights / weights_sum
    weights_zero_tmp = np.sum((weights == 0), 0)
    if not math.isclose(weights_zero_tmp[0], 0, rel_tol=1e-6):
        indices = indices[:, 1:p - 1]
        weights = weights[:, 1:p - 1]
    if not math.isclose(weights_zero_tmp[-1], 0, rel_tol=1e-6):
        indices = indices[:, 0:p - 2]
        weights = weights[:, 0:p - 2]
    weights = np.ascontiguousarray(weights, dtype=f32)
    indices = np.ascontiguousarray(indices)
    sym_len_s = -indices.min() + 1
    sym_len_e = indices.max() - in_length
    indices = indices + sym_len_s - 1
    return weights, indices, int(sym_len_s), int(sym_len_e)


def imresize(img, scale, antialiasing=True):
    # numpy HW input (NIQE's case): one channel
    img = img.astype(np.float32)[None]
    in_c, in_h, in_w = img.shape
    out_h, out_w = math.ceil(in_h * scale), math.ceil(in_w * scale)
    kernel_width = 4
    weights_h, indices_h, sym_len_hs, sym_len_he = calculate_weights_indices(
        in_h, out_h, scale, kernel_width, antialiasing)
    weights_w, indices_w, sym_len_ws, sym_len_we = calculate_weights_indices(
        in_w, out_w, scale, kernel_width, antialiasing)
    # process H dimension: symmetric copying
    img_aug = np.empty((in_c, in_h + sym_len_hs + sym_len_he, in_w), dtype=np.float32)
    img_aug[:, sym_len_hs:sym_len_hs + in_h] = img
    img_aug[:, :sym_len_hs] = img[:, :sym_len_hs][:, ::-1]
    img_aug[:, sym_len_hs + in_h:] = img[:, in_h - sym_len_he:][:, ::-1]
    out_1 = np.empty((in_c, out_h, in_w), dtype=np.float32)
    kernel_width = weights_h.shape[1]
    for i in range(out_h):
        idx = int(indices_h[i][0])
        for j in range(in_c):
            out_1[j, i, :] = img_aug[j, idx:idx + kernel_width, :].transpose(1, 0).dot(weights_h[i])
    # process W dimension
    out_1_aug = np.empty((in_c, out_h, in_w + sym_len_ws + sym_len_we), dtype=np.float32)
    out_1_aug[:, :, sym_len_ws:sym_len_ws + in_w] = out_1
    out_1_aug[:, :, :sym_len_ws] = out_1[:, :, :sym_len_ws][:, :, ::-1]
    out_1_aug[:, :, sym_len_ws + in_w:] = out_1[:, :, in_w - sym_len_we:][:, :, ::-1]
    out_2 = np.empty((in_c, out_h, out_w), dtype=np.float32)
    kernel_width = weights_w.shape[1]
    for i in range(out_w):
        idx = int(indices_w[i][0])
        for j in range(in_c):
            out_2[j, :, i] = out_1_aug[j, :, idx:idx + kernel_width].dot(weights_w[i])
    return out_2[0]


# ---- basicsr/metrics/niqe.py ---------------------------------------------

def estimate_aggd_param(block):
    block = block.flatten()
    gam = np.arange(0.2, 10.001, 0.001)  # len = 9801
    gam_reciprocal = np.reciprocal(gam)
    r_gam = np.square(gamma(gam_reciprocal * 2)) / (gamma(gam_reciprocal) * gamma(gam_reciprocal * 3))

    left_std = np.sqrt(np.mean(block[block < 0]**2))
    right_std = np.sqrt(np.mean(block[block > 0]**2))
    gammahat = left_std / right_std
    rhat = (np.mean(np.abs(block)))**2 / np.mean(block**2)
    rhatnorm = (rhat * (gammahat**3 + 1) * (gammahat + 1)) / ((gammahat**2 + 1)**2)
    array_position = np.argmin((r_gam - rhatnorm)**2)

    alpha = gam[array_position]
    beta_l = left_std * np.sqrt(gamma(1 / alpha) / gamma(3 / alpha))
    beta_r = right_std * np.sqrt(gamma(1 / alpha) / gamma(3 / alpha))
    return (alpha, beta_l, beta_r)


def compute_feature(block):
    feat = []
    alpha, beta_l, beta_r = estimate_aggd_param(block)
    feat.extend([alpha, (beta_l + beta_r) / 2])
    shifts = [[0, 1], [1, 0], [1, 1], [1, -1]]
    for i in range(len(shifts)):
        shifted_block = np.roll(block, shifts[i], axis=(0, 1))
        alpha, beta_l, beta_r = estimate_aggd_param(block * shifted_block)
        mean = (beta_r - beta_l) * (gamma(2 / alpha) / gamma(1 / alpha))
        feat.extend([alpha, mean, beta_l, beta_r])
    return feat


def niqe(img, mu_pris_param, cov_pris_param, gaussian_window, block_size_h=96, block_size_w=96):
    assert img.ndim == 2, ('Input image must be a gray or Y (of YCbCr) image with shape (h, w).')
    h, w = img.shape
    num_block_h = math.floor(h / block_size_h)
    num_block_w = math.floor(w / block_size_w)
    img = img[0:num_block_h * block_size_h, 0:num_block_w * block_size_w]

    distparam = []
    for scale in (1, 2):
        mu = convolve(img, gaussian_window, mode='nearest')
        sigma = np.sqrt(np.abs(convolve(np.square(img), gaussian_window, mode='nearest') - np.square(mu)))
        img_nomalized = (img - mu) / (sigma + 1)

        feat = []
        for idx_w in range(num_block_w):
            for idx_h in range(num_block_h):
                block = img_nomalized[idx_h * block_size_h // scale:(idx_h + 1) * block_size_h // scale,
                                      idx_w * block_size_w // scale:(idx_w + 1) * block_size_w // scale]
                feat.append(compute_feature(block))

        distparam.append(np.array(feat))

        if scale == 1:
            img = imresize(img / 255., scale=0.5, antialiasing=True)
            img = img * 255.

    distparam = np.concatenate(distparam, axis=1)

    mu_distparam = np.nanmean(distparam, axis=0)
    distparam_no_nan = distparam[~np.isnan(distparam).any(axis=1)]
    cov_distparam = np.cov(distparam_no_nan, rowvar=False)

    invcov_param = np.linalg.pinv((cov_pris_param + cov_distparam) / 2)
    quality = np.matmul(
        np.matmul((mu_pris_param - mu_distparam), invcov_param), np.transpose((mu_pris_param - mu_distparam)))
    quality = np.sqrt(quality)
    quality = float(np.squeeze(quality))
    return quality


def load_pris_params(path):
    vals = []
    with open(path) as f:
        for line in f:
            if not line.startswith('#'):
                vals.extend(float(v) for v in line.split())
    if len(vals) != 36 + 36 * 36 + 49:
        raise ValueError(f'{path}: {len(vals)} numbers, expected {36 + 36 * 36 + 49}')
    mu = np.array(vals[:36])
    cov = np.array(vals[36:36 + 36 * 36]).reshape(36, 36)
    window = np.array(vals[36 + 36 * 36:]).reshape(7, 7)
    return mu, cov, window


def calculate_niqe(img, crop_border, pris, convert_to='y'):
    mu_pris_param, cov_pris_param, gaussian_window = pris
    img = img.astype(np.float32)
    # input_order 'HWC' (BGR)
    if convert_to == 'y':
        img = to_y_channel(img)
    else:
        raise ValueError('only convert_to=y here (the bench scores Y)')
    img = np.squeeze(img)
    if crop_border != 0:
        img = img[crop_border:-crop_border, crop_border:-crop_border]
    img = img.round()
    return niqe(img, mu_pris_param, cov_pris_param, gaussian_window)


# ---- the bench -------------------------------------------------------------

def timed(fn, repeats):
    value = fn()  # warm-up, like bench_metrics
    wall, cpu = [], []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        cpu.append((time.process_time() - c0) * 1e3)
        wall.append((time.perf_counter() - w0) * 1e3)
    return value, float(np.median(wall)), float(np.median(cpu))


def read_rgb(path, w, h):
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size != w * h * 3:
        raise ValueError(f'{path}: {raw.size} bytes, expected {w}x{h}x3 = {w * h * 3}')
    return raw.reshape(h, w, 3)[..., ::-1].copy()  # BGR, as cv2.imread gives BasicSR


def main(argv):
    args, repeats = [], 3
    here = os.path.dirname(os.path.abspath(__file__))
    model = os.path.join(here, '..', 'metrics', 'data', 'niqe_pris_params.txt')
    it = iter(argv)
    for a in it:
        if a == '--repeats':
            repeats = int(next(it))
        elif a == '--niqe-model':
            model = next(it)
        else:
            args.append(a)
    if len(args) != 4:
        print(__doc__.split('\n\n')[-1].strip(), file=sys.stderr)
        return 2
    w, h = int(args[0]), int(args[1])
    gt, sr = read_rgb(args[2], w, h), read_rgb(args[3], w, h)
    pris = load_pris_params(model)
    rows = [
        ('ssim', lambda: calculate_ssim(gt, sr, 0, test_y_channel=False)),
        ('ssim_y', lambda: calculate_ssim(gt, sr, 0, test_y_channel=True)),
        ('niqe', lambda: calculate_niqe(sr, 0, pris)),
    ]
    for name, fn in rows:
        v, wall, cpu = timed(fn, repeats)
        print(f'{name} {float(v):.17g} {wall:.3f} {cpu:.3f} {repeats}', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
