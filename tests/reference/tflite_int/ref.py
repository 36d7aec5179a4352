#!/usr/bin/env python3
"""Independent reference for `vsrbench upscale --precision int8 --requant tflite`.

TFLite's integer (reference-kernel) semantics for the ops of an INT8 .tflite
SR graph, written from TFLite's documented arithmetic in numpy, whole-tensor
and vectorised (the C engine works per row / per table and shares nothing
with this file). It reads the .tflite flatbuffer itself (a minimal reader,
no TFLite runtime: none is installable here) and a PNG itself (zlib), runs
the graph on a crop of a Set5 LR image and writes the crop and the
expected output as 8-bit RGB PNGs.

  python3 tests/reference/tflite_int/ref.py MODEL.tflite LR.png Y X SIZE IN.png OUT.png

Ops: QUANTIZE (float -> int8, int8/uint8 requantize), DEQUANTIZE (int8 ->
float; a float output is rounded to 8 bits for the PNG), CONCATENATION
(equal parameters: copy), CONV_2D / DEPTHWISE_CONV_2D (per-channel, SAME/VALID, stride 1, dilated),
ADD (left shift 20), MUL, DEPTH_TO_SPACE (DCR), MINIMUM / MAXIMUM with a
constant, RELU / RELU6, LOGISTIC (the builtin kernel's float table),
STRIDED_SLICE (channels), RESIZE_BILINEAR (half-pixel, integer); float ops
between DEQUANTIZE and QUANTIZE (ADD, MUL, RESHAPE, BATCH_MATMUL, SOFTMAX),
as an INT8 export writes the ops vsrbench keeps in FP32 (MVSR_13's AFA).

  python3 tests/reference/tflite_int/ref.py MODEL.tflite --raw OUT.f32 IN0.f32 ...

runs the file on raw float32 HWC inputs and writes every output as float32
(test_models_export.test_ref_py_int8).
"""
import math
import struct
import sys
import zlib

import numpy as np

# ---- gemmlowp / TFLite fixed point (vectorised, int64 numpy) ----------------


def quantize_multiplier(real):
    """real -> (M, shift): real = M * 2^(shift-31), M in [2^30, 2^31)."""
    if real == 0.0:
        return 0, 0
    frac, exp = math.frexp(real)
    q = math.floor(frac * 2.0**31 + 0.5)  # frac > 0: half away from zero
    if q == 2**31:
        q //= 2
        exp += 1
    if exp < -31:
        return 0, 0
    return q, exp


def srdhm(a, m):
    """SaturatingRoundingDoublingHighMul(a, m) for an int64 array a, scalar/array m."""
    a = np.asarray(a, dtype=np.int64)
    m = np.asarray(m, dtype=np.int64)
    ab = a * m
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    s = ab + nudge
    # division truncating toward zero
    q = np.where(s >= 0, s // (1 << 31), -((-s) // (1 << 31)))
    sat = (a == -(2**31)) & (m == -(2**31))
    return np.where(sat, 2**31 - 1, q)


def rdbpot(x, e):
    """RoundingDivideByPOT: x / 2^e rounded half away from zero."""
    x = np.asarray(x, dtype=np.int64)
    e = np.asarray(e, dtype=np.int64)
    p = np.left_shift(np.int64(1), e)
    mask = p - 1
    rem = np.bitwise_and(x, mask)
    thr = np.right_shift(mask, 1) + (x < 0)
    return np.floor_divide(x, p) + (rem > thr)


def mbqm(x, m, shift):
    """MultiplyByQuantizedMultiplier with shift = TFLite's exponent."""
    shift = np.asarray(shift, dtype=np.int64)
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    xs = np.asarray(x, dtype=np.int64) * np.left_shift(np.int64(1), left)
    xs = ((xs + 2**31) % 2**32) - 2**31  # int32 wrap
    return rdbpot(srdhm(xs, m), right)


# ---- minimal flatbuffer reader for the TFLite schema -------------------------


class FB:
    def __init__(self, buf):
        self.b = buf

    def u32(self, p):
        return struct.unpack_from('<I', self.b, p)[0]

    def table(self, p):
        vt = p - struct.unpack_from('<i', self.b, p)[0]
        vlen = struct.unpack_from('<H', self.b, vt)[0]
        return p, vt, vlen

    def field(self, t, i):
        p, vt, vlen = t
        if 4 + 2 * i >= vlen:
            return None
        off = struct.unpack_from('<H', self.b, vt + 4 + 2 * i)[0]
        return p + off if off else None

    def scalar(self, t, i, fmt, default=0):
        f = self.field(t, i)
        return struct.unpack_from(fmt, self.b, f)[0] if f is not None else default

    def ref(self, t, i):
        f = self.field(t, i)
        return None if f is None else f + self.u32(f)

    def vec(self, t, i):
        p = self.ref(t, i)
        if p is None:
            return 0, None
        return self.u32(p), p + 4

    def vec_np(self, t, i, dtype):
        n, p = self.vec(t, i)
        if p is None:
            return np.zeros(0, dtype=dtype)
        return np.frombuffer(self.b, dtype=dtype, count=n, offset=p).copy()

    def vec_tables(self, t, i):
        n, p = self.vec(t, i)
        return [self.table(p + 4 * k + self.u32(p + 4 * k)) for k in range(n)]


TYPES = {0: np.float32, 2: np.int32, 3: np.uint8, 4: np.int64, 9: np.int8}


def load(path):
    fb = FB(open(path, 'rb').read())
    model = fb.table(fb.u32(0))
    buffers = [fb.vec_np(b, 0, np.uint8) for b in fb.vec_tables(model, 4)]
    codes = []
    for oc in fb.vec_tables(model, 1):
        dep = fb.scalar(oc, 0, '<b')
        codes.append(max(dep, fb.scalar(oc, 3, '<i')))
    sg = fb.vec_tables(model, 2)[0]
    tensors = []
    for t in fb.vec_tables(sg, 0):
        q = fb.ref(t, 4)
        qt = fb.table(q) if q is not None else None
        ty = fb.scalar(t, 1, '<b')
        data = buffers[fb.scalar(t, 2, '<I')]
        shape = tuple(int(v) for v in fb.vec_np(t, 0, np.int32))
        arr = None
        if data.size:
            arr = np.frombuffer(data.tobytes(), dtype=TYPES[ty]).reshape(shape)
        tensors.append({
            'type': ty,
            'shape': shape,
            'data': arr,
            'scale': fb.vec_np(qt, 2, np.float32) if qt else np.zeros(0, np.float32),
            'zp': fb.vec_np(qt, 3, np.int64) if qt else np.zeros(0, np.int64),
        })
    ops = []
    for o in fb.vec_tables(sg, 3):
        opt = fb.ref(o, 4)
        ops.append({
            'code': codes[fb.scalar(o, 0, '<I')],
            'in': list(fb.vec_np(o, 1, np.int32)),
            'out': list(fb.vec_np(o, 2, np.int32)),
            'opt': fb.table(opt) if opt is not None else None,
        })
    return fb, tensors, ops, list(fb.vec_np(sg, 1, np.int32)), list(fb.vec_np(sg, 2, np.int32))


# ---- the ops ----------------------------------------------------------------


def qrange(t):
    return (-128, 127) if t['type'] == 9 else (0, 255)


def act_range(act, t):
    lo, hi = qrange(t)
    s, z = float(t['scale'][0]), int(t['zp'][0])
    rnd = lambda v: int(math.floor(v + 0.5)) if v >= 0 else -int(math.floor(-v + 0.5))
    if act == 1:  # RELU
        lo = max(lo, z + rnd(np.float32(0.0) / np.float32(s)))
    elif act == 3:  # RELU6
        lo = max(lo, z)
        hi = min(hi, z + rnd(float(np.float32(6.0) / np.float32(s))))
    return lo, hi


def conv(fb, op, T, x):
    ti, tw, to = T[op['in'][0]], T[op['in'][1]], T[op['out'][0]]
    # no bias: input index -1 (optional) or absent
    tb = T[op['in'][2]] if len(op['in']) > 2 and op['in'][2] >= 0 else {'data': np.zeros(1)}
    dw = op['code'] == 4
    pad = fb.scalar(op['opt'], 0, '<b')
    act = fb.scalar(op['opt'], 4 if dw else 3, '<b')
    dil_w = fb.scalar(op['opt'], 5 if dw else 4, '<i', 1)
    dil_h = fb.scalar(op['opt'], 6 if dw else 5, '<i', 1)
    w = tw['data'].astype(np.int64)  # conv: [O][kh][kw][I]; depthwise: [1][kh][kw][O]
    kh, kw = w.shape[1], w.shape[2]
    O = w.shape[3] if dw else w.shape[0]
    H, W, _ = x.shape
    zx = int(ti['zp'][0])
    xv = x.astype(np.int64) - zx  # padding with zp contributes 0
    eh, ew = (kh - 1) * dil_h + 1, (kw - 1) * dil_w + 1  # dilated extent
    ph, pw = ((eh - 1) // 2, (ew - 1) // 2) if pad == 0 else (0, 0)
    OH, OW = (H, W) if pad == 0 else (H - eh + 1, W - ew + 1)
    xp = np.zeros((H + eh, W + ew, xv.shape[2]), np.int64)
    xp[ph:ph + H, pw:pw + W] = xv
    acc = np.zeros((OH, OW, O), np.int64) + tb['data'].astype(np.int64)
    for ky in range(kh):
        for kx in range(kw):
            patch = xp[ky * dil_h:ky * dil_h + OH, kx * dil_w:kx * dil_w + OW]
            if dw:
                acc += patch * w[0, ky, kx]
            else:
                acc += np.tensordot(patch, w[:, ky, kx, :], axes=([2], [1]))
    sx, sy = float(ti['scale'][0]), float(to['scale'][0])
    ws = tw['scale'].astype(np.float64)
    if ws.size == 1:
        ws = np.repeat(ws, O)
    mq = [quantize_multiplier(sx * float(s) / sy) for s in ws]
    m = np.array([a for a, _ in mq], np.int64)
    sh = np.array([b for _, b in mq], np.int64)
    y = mbqm(acc, m, sh) + int(to['zp'][0])
    lo, hi = act_range(act, to)
    return np.clip(y, lo, hi)


def add(fb, op, T, a, b):
    ta, tb, to = T[op['in'][0]], T[op['in'][1]], T[op['out'][0]]
    sa, sb, so = (np.float32(t['scale'][0]) for t in (ta, tb, to))
    twice = float(np.float32(2) * max(sa, sb))
    ma, ea = quantize_multiplier(float(sa) / twice)
    mb, eb = quantize_multiplier(float(sb) / twice)
    mo, eo = quantize_multiplier(twice / float(np.float32(1 << 20) * so))
    va = mbqm((a.astype(np.int64) - int(ta['zp'][0])) << 20, ma, ea)
    vb = mbqm((b.astype(np.int64) - int(tb['zp'][0])) << 20, mb, eb)
    y = mbqm(va + vb, mo, eo) + int(to['zp'][0])
    lo, hi = act_range(fb.scalar(op['opt'], 0, '<b') if op['opt'] else 0, to)
    return np.clip(y, lo, hi)


def mul(fb, op, T, a, b):
    ta, tb, to = T[op['in'][0]], T[op['in'][1]], T[op['out'][0]]
    m, e = quantize_multiplier(
        float(ta['scale'][0]) * float(tb['scale'][0]) / float(to['scale'][0]))
    prod = (a.astype(np.int64) - int(ta['zp'][0])) * (b.astype(np.int64) - int(tb['zp'][0]))
    y = mbqm(prod, m, e) + int(to['zp'][0])
    lo, hi = act_range(fb.scalar(op['opt'], 0, '<b') if op['opt'] else 0, to)
    return np.clip(y, lo, hi)


def quantize_float(to, x):
    """TFLite's AffineQuantize: round(x / scale) half away from zero, in float32."""
    v = np.asarray(x, np.float32) / np.float32(to['scale'][0])
    r = np.where(v >= 0, np.floor(v + np.float32(0.5)), -np.floor(-v + np.float32(0.5)))
    return np.clip(r.astype(np.int64) + int(to['zp'][0]), *qrange(to))


def dequantize(ti, x):
    return ((x.astype(np.int64) - int(ti['zp'][0])).astype(np.float32) *
            np.float32(ti['scale'][0]))


def requantize(ti, to, x):
    m, e = quantize_multiplier(float(ti['scale'][0]) / float(to['scale'][0]))
    y = mbqm(x.astype(np.int64) - int(ti['zp'][0]), m, e) + int(to['zp'][0])
    return np.clip(y, *qrange(to))


def relu(op, T, x, code):
    ti, to = T[op['in'][0]], T[op['out'][0]]
    # RELU's Prepare divides the float scales in float
    m, e = quantize_multiplier(float(np.float32(ti['scale'][0]) / np.float32(to['scale'][0])))
    y = mbqm(x.astype(np.int64) - int(ti['zp'][0]), m, e) + int(to['zp'][0])
    lo, hi = act_range(1 if code == 19 else 3, to)
    return np.clip(y, lo, hi)


def d2s(fb, op, x):
    r = fb.scalar(op['opt'], 0, '<i')
    H, W, C = x.shape
    c = C // (r * r)
    return x.reshape(H, W, r, r, c).transpose(0, 2, 1, 3, 4).reshape(H * r, W * r, c)


def logistic(ti, to, x):
    """TFLite's int8 LOGISTIC: its builtin kernel's table (LUTPopulate), in float32."""
    q = np.arange(-128, 128, dtype=np.int64)
    v = np.float32(ti['scale'][0]) * (q - int(ti['zp'][0])).astype(np.float32)
    with np.errstate(over='ignore'):  # exp overflows to inf for v < -88: y = 0, as in C
        y = np.float32(1) / (np.float32(1) + np.exp(-v))
    r = y * (np.float32(1) / np.float32(to['scale'][0]))
    r = np.where(r >= 0, np.floor(r + np.float32(0.5)), -np.floor(-r + np.float32(0.5)))
    lut = np.clip(r.astype(np.float32) + np.float32(int(to['zp'][0])), -128, 127)
    return lut.astype(np.int64)[x.astype(np.int64) + 128]


def strided_slice(fb, op, T, x):
    """STRIDED_SLICE of the channel axis (begin/end masks on N, H, W), stride 1."""
    b = T[op['in'][1]]['data'].reshape(-1)
    e = T[op['in'][2]]['data'].reshape(-1)
    st = T[op['in'][3]]['data'].reshape(-1)
    assert (st == 1).all() and x.ndim == 3
    return x[:, :, int(b[3]):int(e[3])]


def resize_bilinear(T, op, x):
    """int8 RESIZE_BILINEAR, half_pixel_centers (TFLite's ResizeBilinearInteger;
    input and output parameters equal): coordinates in 1/1024 steps, the four
    taps weighted in 1/2^20, rounded half away from zero."""
    ti, to = T[op['in'][0]], T[op['out'][0]]
    assert ti['scale'][0] == to['scale'][0] and ti['zp'][0] == to['zp'][0]
    H, W, _ = x.shape
    OH, OW = (int(v) for v in T[op['in'][1]]['data'].reshape(-1))

    def coords(n_out, n_in):
        sc = ((1 << 10) * n_in + n_out // 2) // n_out
        v = np.arange(n_out, dtype=np.int64) * sc + sc // 2 - (1 << 9)
        lo = np.maximum(np.trunc(v / 1024).astype(np.int64), 0)
        hi = np.minimum(np.trunc((v + 1023) / 1024).astype(np.int64), n_in - 1)
        return v, lo, hi

    iy, y0, y1 = coords(OH, H)
    ix, x0, x1 = coords(OW, W)
    dy = (iy - 1024 * y0)[:, None, None]
    dx = (ix - 1024 * x0)[None, :, None]
    xv = x.astype(np.int64)
    o = (xv[y0][:, x0] * (1024 - dy) * (1024 - dx) + xv[y1][:, x0] * dy * (1024 - dx) +
         xv[y0][:, x1] * (1024 - dy) * dx + xv[y1][:, x1] * dy * dx)
    r = np.where(o > 0, 1 << 19, -(1 << 19))
    s = o + r
    return np.where(s >= 0, s // (1 << 20), -((-s) // (1 << 20)))


def softmax(x):
    """float SOFTMAX over the last axis, beta 1: exp(x - max) / sum."""
    m = x.max(axis=-1, keepdims=True)
    e = np.exp((x - m).astype(np.float32))
    return (e / e.sum(axis=-1, keepdims=True, dtype=np.float32)).astype(np.float32)


def batch_matmul(fb, op, a, b):
    """float BATCH_MATMUL of [1, r, k] x [1, k, c] (adj_x transposes a)."""
    adj_x = fb.scalar(op['opt'], 0, '<b') if op['opt'] else 0
    a = a.reshape(a.shape[-2], a.shape[-1]).astype(np.float32)
    b = b.reshape(b.shape[-2], b.shape[-1]).astype(np.float32)
    return np.matmul(a.T if adj_x else a, b)[None].astype(np.float32)


def run_values(path, inputs):
    """Run the file on @inputs (one array per graph input, HWC); every output."""
    fb, T, ops, ins, outs = load(path)
    val = {k: v for k, v in zip(ins, inputs)}
    arg = lambda k: val[k] if k in val else T[k]['data']
    for op in ops:
        c, i = op['code'], op['in']
        fl = T[op['out'][0]]['type'] == 0  # a float op (between DEQUANTIZE and QUANTIZE)
        if c == 114 and T[i[0]]['type'] == 0:  # QUANTIZE of a float tensor
            y = quantize_float(T[op['out'][0]], val[i[0]])
        elif c == 114:  # QUANTIZE (requantize)
            y = requantize(T[i[0]], T[op['out'][0]], val[i[0]])
        elif c == 6:  # DEQUANTIZE
            y = dequantize(T[i[0]], val[i[0]])
        elif c == 2:  # CONCATENATION (channel axis, equal parameters)
            to = T[op['out'][0]]
            for k in i:
                assert T[k]['scale'][0] == to['scale'][0] and T[k]['zp'][0] == to['zp'][0]
            y = np.concatenate([val[k] for k in i], axis=2)
        elif c in (3, 4):
            y = conv(fb, op, T, val[i[0]])
        elif c == 0 and fl:
            y = (arg(i[0]).astype(np.float32) + arg(i[1]).astype(np.float32))
        elif c == 18 and fl:
            y = (arg(i[0]).astype(np.float32) * arg(i[1]).astype(np.float32))
        elif c == 0:
            y = add(fb, op, T, val[i[0]], val[i[1]])
        elif c == 18:
            y = mul(fb, op, T, val[i[0]], val[i[1]])
        elif c == 14:  # LOGISTIC (int8)
            y = logistic(T[i[0]], T[op['out'][0]], val[i[0]])
        elif c == 45:
            y = strided_slice(fb, op, T, val[i[0]])
        elif c == 22:  # RESHAPE (float): to the output tensor's shape, batch dropped
            shp = T[op['out'][0]]['shape']
            y = val[i[0]].reshape(shp[1:] if len(shp) == 4 else shp)
        elif c == 23:
            y = resize_bilinear(T, op, val[i[0]])
        elif c == 126:
            y = batch_matmul(fb, op, val[i[0]], val[i[1]])
        elif c == 25:
            y = softmax(val[i[0]])
        elif c == 5:
            y = d2s(fb, op, val[i[0]])
        elif c in (55, 57):  # MAXIMUM / MINIMUM with a constant: raw values
            cst = int(T[i[1]]['data'].reshape(-1)[0])
            y = np.maximum(val[i[0]], cst) if c == 55 else np.minimum(val[i[0]], cst)
        elif c in (19, 21):  # RELU / RELU6
            y = relu(op, T, val[i[0]], c)
        else:
            raise SystemExit('ref.py: builtin op %d not implemented' % c)
        val[op['out'][0]] = y
    return T, [val[o] for o in outs], outs


def run(path, img_u8):
    T, vals, outs = run_values(path, [img_u8.astype(np.int64)])
    out = vals[0]
    if T[outs[0]]['type'] == 0:  # float pixels: round half up, clamp to 8 bits
        return np.clip(np.floor(out.astype(np.float64) + 0.5), 0, 255).astype(np.uint8)
    return out.astype(np.uint8)


# ---- PNG (8-bit RGB / RGBA / gray, non-interlaced) ---------------------------


def png_read(path):
    b = open(path, 'rb').read()
    assert b[:8] == b'\x89PNG\r\n\x1a\n'
    p, idat = 8, b''
    while p < len(b):
        n, typ = struct.unpack_from('>I4s', b, p)
        d = b[p + 8:p + 8 + n]
        if typ == b'IHDR':
            w, h, depth, ct, _, _, il = struct.unpack('>IIBBBBB', d)
            assert depth == 8 and il == 0 and ct in (0, 2, 6)
        elif typ == b'IDAT':
            idat += d
        p += 12 + n
    ch = {0: 1, 2: 3, 6: 4}[ct]
    raw = zlib.decompress(idat)
    stride = w * ch
    out = np.zeros((h, stride), np.int64)
    prev = np.zeros(stride, np.int64)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = np.frombuffer(raw, np.uint8, stride, y * (stride + 1) + 1).astype(np.int64)
        cur = np.zeros(stride, np.int64)
        for x in range(stride):
            a = cur[x - ch] if x >= ch else 0
            c = prev[x - ch] if x >= ch else 0
            bb = prev[x]
            if f == 0:
                pr = 0
            elif f == 1:
                pr = a
            elif f == 2:
                pr = bb
            elif f == 3:
                pr = (a + bb) // 2
            else:
                pa, pb, pc = abs(bb - c), abs(a - c), abs(a + bb - 2 * c)
                pr = a if pa <= pb and pa <= pc else (bb if pb <= pc else c)
            cur[x] = (line[x] + pr) & 255
        out[y] = cur
        prev = cur
    img = out.reshape(h, w, ch).astype(np.uint8)
    return img[:, :, :3] if ch == 4 else (np.repeat(img, 3, 2) if ch == 1 else img)


def png_write(path, img):
    h, w, _ = img.shape
    raw = b''.join(b'\x00' + img[y].astype(np.uint8).tobytes() for y in range(h))

    def chunk(t, d):
        return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))

    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)) +
                chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b''))


if __name__ == '__main__':
    if len(sys.argv) >= 4 and sys.argv[2] == '--raw':
        # ref.py MODEL --raw OUT.f32 IN0.f32 ...: float32 HWC inputs of the
        # file's input shapes; every output (float32 or its int8 values)
        # written as float32, concatenated
        model, outp, ins = sys.argv[1], sys.argv[3], sys.argv[4:]
        _, T, _, gin, _ = load(model)
        xs = [np.fromfile(p, '<f4').reshape(T[k]['shape'][1:]) for p, k in zip(ins, gin)]
        _, vals, _ = run_values(model, xs)
        with open(outp, 'wb') as f:
            for v in vals:
                f.write(np.ascontiguousarray(v, dtype='<f4').tobytes())
        sys.exit(0)
    if len(sys.argv) != 8:
        raise SystemExit(__doc__)
    model, lr, y0, x0, n, in_png, out_png = sys.argv[1:]
    y0, x0, n = int(y0), int(x0), int(n)
    crop = png_read(lr)[y0:y0 + n, x0:x0 + n]
    out = run(model, crop)
    png_write(in_png, crop)
    png_write(out_png, out)
    print('%s: %dx%d -> %dx%d' % (out_png, n, n, out.shape[1], out.shape[0]))
