#!/usr/bin/python3
"""Make the ONNX import fixtures in tests/reference/onnx/ (committed).

Run from the repository root with Debian's PyTorch and ONNX (python3-torch,
python3-onnx; the venv python lacks them, hence /usr/bin/python3):

    /usr/bin/python3 tests/models/make_onnx_fixtures.py

For each small network NAME it writes NAME.onnx (torch.onnx.export, opset
13, fixed 1x3x8x8 input), NAME.in.npy (the fixed input, float32 NCHW, seeded
uniform [0, 1)) and NAME.out.npy (PyTorch's FP32 output on that input), which
test_models_onnx.c compares with vsrbench's import. elsr_torch_u8 is the
zoo's ELSR in PyTorch again (its own seed) on a 16x24 input of whole values
0..255, what a sweep's 8-bit frames give: the sweep test runs it through
`vsrbench run` with `weights: {onnx: FILE}`. It also writes crafted
bad files (bad_*.onnx) for the one-line-error tests and hostile inputs for
the fuzz target's regression folder (tests/fuzz/regress/onnx/). Weights come from a fixed
seed, so a rerun with the same torch version reproduces the files; the torch
and onnx versions used are recorded in tests/reference/onnx/PROVENANCE.txt.
"""
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference", "onnx")


class SRNet(nn.Module):
    """conv-relu-conv-pixel shuffle x4 (DepthToSpace CRD) + bilinear residual."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, padding=1)
        self.c2 = nn.Conv2d(8, 48, 3, padding=1)
        self.ps = nn.PixelShuffle(4)

    def forward(self, x):
        y = self.ps(self.c2(F.relu(self.c1(x))))
        return y + F.interpolate(x, scale_factor=4, mode="bilinear", align_corners=False)


class Depthwise(nn.Module):
    """conv, depthwise conv (group = channels) with dilation, 1x1 conv, nearest x2."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, padding=1)
        self.dw = nn.Conv2d(8, 8, 3, padding=2, dilation=2, groups=8)
        self.pw = nn.Conv2d(8, 3, 1)

    def forward(self, x):
        y = self.pw(F.relu(self.dw(self.c1(x))))
        return F.interpolate(y, scale_factor=2, mode="nearest")


class PReluClip(nn.Module):
    """per-channel PReLU, shared PReLU, Clip (clamp and relu6), a scalar Mul and Sub."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 6, 3, padding=1)
        self.p1 = nn.PReLU(6, init=0.2)
        self.c2 = nn.Conv2d(6, 6, 3, padding=1)
        self.p2 = nn.PReLU(1, init=0.1)
        self.c3 = nn.Conv2d(6, 3, 3, padding=1)
        with torch.no_grad():
            self.p1.weight.copy_(torch.linspace(-0.5, 0.5, 6))

    def forward(self, x):
        y = self.p2(self.c2(self.p1(self.c1(x))))
        y = F.relu6(y * 4.0) - 1.0
        return torch.clamp(self.c3(y), -0.25, 0.75)


class ConcatSplit(nn.Module):
    """conv, split into channel groups, a channel slice, concat, Pad folded into a conv."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, padding=1)
        self.c2 = nn.Conv2d(5, 4, 3, padding=1)
        self.c3 = nn.Conv2d(8, 3, 3, padding=0)

    def forward(self, x):
        y = self.c1(x)
        a, b = torch.split(y, [3, 5], dim=1)
        z = torch.cat([F.relu(self.c2(b)), a[:, 1:3], x * 0.5], dim=1)  # 4 + 2 + 3 = 9
        z = z[:, 0:8]
        return self.c3(F.pad(z, (1, 1, 1, 1)))


class ReshapeShuffle(nn.Module):
    """pixel shuffles written as Reshape -> Transpose -> Reshape: CRD (PyTorch's
    order) x2 and then DCR (TensorFlow's order) x2."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 12, 3, padding=1)
        self.c2 = nn.Conv2d(3, 12, 3, padding=1)

    def forward(self, x):
        y = self.c1(x).reshape(1, 3, 2, 2, 8, 8).permute(0, 1, 4, 2, 5, 3).reshape(1, 3, 16, 16)
        y = self.c2(y).reshape(1, 2, 2, 3, 16, 16).permute(0, 3, 4, 1, 5, 2).reshape(1, 3, 32, 32)
        return y


class ELSRTorch(nn.Module):
    """the zoo's ELSR written the PyTorch way (PixelShuffle = DepthToSpace CRD,
    inputs and outputs in 0..255): `weights: {onnx: FILE}` moves its weights
    onto the zoo graph (DCR) by order, the CRD order folded into conv_last."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 3, padding=1)
        self.res_conv1 = nn.Conv2d(6, 6, 3, padding=1)
        self.prelu = nn.PReLU(1, init=0.25)
        self.res_conv2 = nn.Conv2d(6, 6, 3, padding=1)
        self.conv_last = nn.Conv2d(6, 48, 3, padding=1)
        self.ps = nn.PixelShuffle(4)
        with torch.no_grad():  # an output that spans 0..255 instead of hugging 0
            self.conv_last.bias.add_(128.0)

    def forward(self, x):
        y = self.conv1(x)
        y = y + self.res_conv2(self.prelu(self.res_conv1(y)))
        return torch.clamp(self.ps(self.conv_last(y)), 0.0, 255.0)


class Grouped(nn.Module):
    """a grouped conv (group 2, not depthwise): vsrbench refuses it."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(4, 4, 3, padding=1)
        self.g = nn.Conv2d(4, 4, 3, padding=1, groups=2)

    def forward(self, x):
        return self.g(self.c1(torch.cat([x, x[:, 0:1]], dim=1)))


class UnknownOp(nn.Module):
    """an op vsrbench has no equivalent for (Sin)."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 3, 3, padding=1)

    def forward(self, x):
        return torch.sin(self.c1(x))


def export(name, net, x, with_out=True):
    net.eval()
    path = os.path.join(OUT, name + ".onnx")
    with torch.no_grad():
        torch.onnx.export(net, (x,), path, opset_version=13, input_names=["lr"],
                          output_names=["sr"], do_constant_folding=True)
        y = net(x)
    onnx.checker.check_model(onnx.load(path))
    if with_out:
        np.save(os.path.join(OUT, name + ".in.npy"), x.numpy().astype(np.float32))
        np.save(os.path.join(OUT, name + ".out.npy"), y.numpy().astype(np.float32))
    ops = sorted({n.op_type for n in onnx.load(path).graph.node})
    print(f"{name}.onnx: {os.path.getsize(path)} bytes, ops {' '.join(ops)}")


def crafted():
    """bad files: each must give a one-line error and a non-zero exit."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 8, 8])

    def save(name, nodes, inits):
        g = helper.make_graph(nodes, name, [x], [y], initializer=inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
        with open(os.path.join(OUT, name + ".onnx"), "wb") as f:
            f.write(m.SerializeToString())  # no checker: these are meant to be wrong

    conv = helper.make_node("Conv", ["x", "w"], ["y"], name="conv0", pads=[1, 1, 1, 1])
    # dims whose product wraps a 64-bit size: 2^62 * 4 floats, 16 bytes of data
    w = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[1 << 62, 4, 1, 1],
                    raw_data=b"\0" * 16)
    save("bad_dims_overflow", [conv], [w])
    # raw_data shorter than the dims say
    w = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[3, 3, 3, 3],
                    raw_data=b"\0" * 100)
    save("bad_raw_size", [conv], [w])
    # weights in an external file
    w = helper.make_tensor("w", TensorProto.FLOAT, [3, 3, 3, 3], np.zeros(81, np.float32))
    w.ClearField("float_data")
    w.data_location = TensorProto.EXTERNAL
    e = w.external_data.add()
    e.key, e.value = "location", "weights.bin"
    save("bad_external", [conv], [w])
    # a node reading a value nobody makes
    save("bad_dangling", [helper.make_node("Relu", ["nothing"], ["y"], name="relu0")], [])
    # truncated: the SR net cut in the middle of its weights
    with open(os.path.join(OUT, "sr_net.onnx"), "rb") as f:
        data = f.read()
    with open(os.path.join(OUT, "bad_truncated.onnx"), "wb") as f:
        f.write(data[: len(data) // 2])


def regress():
    """hostile inputs for the fuzz target's regression folder (ctest replays them)."""
    d = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fuzz", "regress", "onnx")
    os.makedirs(d, exist_ok=True)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, "h", "w"])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, "h", "w"])

    def save(name, nodes, inits=()):
        g = helper.make_graph(nodes, name, [x], [y], initializer=list(inits))
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
        with open(os.path.join(d, name + ".onnx"), "wb") as f:
            f.write(m.SerializeToString())

    def const(name, vals):
        return helper.make_node("Constant", [], [name], value=helper.make_tensor(
            name + "_v", TensorProto.INT64, [len(vals)], vals))

    lo = -(1 << 63)
    # ConstantOfShape of 2^32 values: the folder refuses it before allocating
    save("constant-of-shape-huge", [const("s", [65536, 65536]),
                                    helper.make_node("ConstantOfShape", ["s"], ["y"])])
    # Slice of a constant with int64-extreme starts, ends and steps (no overflow)
    save("slice-int64-extremes", [const("a", [1, 2, 3, 4]), const("b", [lo]), const("e", [lo]),
                                  const("ax", [0]), const("st", [lo]),
                                  helper.make_node("Slice", ["a", "b", "e", "ax", "st"], ["s"]),
                                  helper.make_node("Relu", ["x"], ["y"])])
    # a 6-D Reshape closed by a Reshape without the Transpose of a pixel shuffle
    save("reshape-6d-no-transpose", [const("s6", [1, 1, 2, 2, -1, 16]),
                                     helper.make_node("Reshape", ["x", "s6"], ["r"]),
                                     const("s4", [1, 1, 0, -1]),
                                     helper.make_node("Reshape", ["r", "s4"], ["y"])])


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(18)
    x = torch.rand(1, 3, 8, 8)
    export("sr_net", SRNet(), x)
    export("depthwise", Depthwise(), x)
    export("prelu_clip", PReluClip(), x)
    export("concat_split", ConcatSplit(), x)
    export("reshape_shuffle", ReshapeShuffle(), x)
    export("elsr_torch", ELSRTorch(), x * 255.0)
    export("bad_grouped", Grouped(), x, with_out=False)
    export("bad_unknown_op", UnknownOp(), x, with_out=False)
    crafted()
    regress()
    # last, on its own seed, so the fixtures above keep their bytes
    torch.manual_seed(19)
    export("elsr_torch_u8", ELSRTorch(), torch.randint(0, 256, (1, 3, 16, 24)).float())
    with open(os.path.join(OUT, "PROVENANCE.txt"), "w") as f:
        f.write("Made by tests/models/make_onnx_fixtures.py (see its docstring) with\n"
                f"torch {torch.__version__} (Debian python3-torch), onnx {onnx.__version__} "
                f"(Debian python3-onnx), numpy {np.__version__}, python {sys.version.split()[0]}.\n"
                "Input: torch.manual_seed(18); x = torch.rand(1, 3, 8, 8) (elsr_torch: x * 255).\n"
                "elsr_torch_u8: torch.manual_seed(19); ELSRTorch(); "
                "x = torch.randint(0, 256, (1, 3, 16, 24)).float().\n"
                "Outputs: PyTorch FP32.\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
