#!/usr/bin/python3
"""Make the AIMET-style QuickSRNet checkpoint fixture in tests/reference/aimet_quicksrnet/.

Run from the repository root with Debian's PyTorch (python3-torch; the venv
python lacks it, hence /usr/bin/python3):

    /usr/bin/python3 tests/models/make_aimet_fixture.py

A tiny QuickSRNet-L-shaped network (x2, C = 4, one intermediate conv, the
1x1 anchor), written from docs/MODEL_SPECS.md 2.4 the way AIMET's
QuickSRNetBase is built: nn.Sequential `cnn` of conv + Hardtanh(0, 1),
`conv_last`, `anchor`, nn.PixelShuffle (CRD channel order), input and output
in [0, 1]. PyTorch's default init with seed 0. It writes one .npy per
state_dict entry (OIHW float32, named as the key), in.npy (a 6x7 RGB input
of whole values 0..255, HWC float32) and out.npy (255 x the network's output
on in / 255, HWC float32), which test_models_fold.c compares with vsrbench's
import through map.yaml (crd_to_dcr, range01).
"""
import os

import numpy as np
import torch
import torch.nn as nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reference",
                   "aimet_quicksrnet")


class QuickSRNetBase(nn.Module):
    def __init__(self, scale, channels, layers, ito):
        super().__init__()
        cnn = [nn.Conv2d(3, channels, 3, padding=1), nn.Hardtanh(0.0, 1.0)]
        for _ in range(layers):
            cnn += [nn.Conv2d(channels, channels, 3, padding=1), nn.Hardtanh(0.0, 1.0)]
        self.cnn = nn.Sequential(*cnn)
        self.conv_last = nn.Conv2d(channels, 3 * scale * scale, 3, padding=1)
        self.anchor = nn.Conv2d(3, 3 * scale * scale, 1) if ito else None
        self.depth_to_space = nn.PixelShuffle(scale)

    def forward(self, x):
        y = self.conv_last(self.cnn(x))
        if self.anchor is not None:
            y = y + self.anchor(x)
        return torch.clamp(self.depth_to_space(y), 0.0, 1.0)


def main():
    torch.manual_seed(0)
    net = QuickSRNetBase(2, 4, 1, True).eval()
    os.makedirs(OUT, exist_ok=True)
    for k, v in net.state_dict().items():
        np.save(os.path.join(OUT, k + ".npy"), v.detach().numpy().astype(np.float32))
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, size=(6, 7, 3)).astype(np.float32)
    with torch.no_grad():
        y = net(torch.from_numpy(x / 255.0).float().permute(2, 0, 1)[None])
    out = (y[0].permute(1, 2, 0).numpy() * 255.0).astype(np.float32)
    np.save(os.path.join(OUT, "in.npy"), x)
    np.save(os.path.join(OUT, "out.npy"), out)
    with open(os.path.join(OUT, "PROVENANCE.txt"), "w") as f:
        f.write("made by tests/models/make_aimet_fixture.py with torch %s, numpy %s\n"
                % (torch.__version__, np.__version__))


if __name__ == "__main__":
    main()
