#!/usr/bin/python3
"""Read a .tflite file with an independent reader and run it on the CPU.

The reader is Arm NN's TfLiteParser (Debian: python3-pyarmnn, with
libarmnntfliteparser22 and libarmnn-cpuref-backend22), which parses the
flatbuffer with the code generated from TensorFlow Lite's own schema.fbs and
refuses operators it does not know. Nothing of vsrbench is used here.

usage: tflite_check.py MODEL.tflite OUT.f32 [IN0.f32 ...]

Prints one line per input and output ("input NAME 1x24x32x3 float32"), one
line per layer of the network Arm NN built ("layer Convolution2d"), then runs
the model on Arm NN's reference CPU backend with the raw little-endian
float32 NHWC inputs IN0.f32 ... (in the model's input order) and writes every
output, in order, concatenated, to OUT.f32.

exit codes: 0 ok, 1 the file was refused or failed to run, 2 usage,
3 pyarmnn is not installed (scripts/deps.sh installs it), 4 the file is a
valid TFLite model but uses an operator Arm NN cannot run: prints
"unsupported OPCODE (builtin code K) at operator N" (N = its index in the subgraph; the
operators before it were parsed). Debian's Arm NN 20.08 has no
DEPTH_TO_SPACE, which every zoo model ends with; scripts/litert_run.mjs
(LiteRT, TensorFlow Lite's own runtime) runs the whole files.
"""
import os
import re
import sys
import tempfile

try:
    import numpy as np
    import pyarmnn as ann
except ImportError as e:  # the caller skips: the reader is optional
    print(f"tflite_check: {e} (scripts/deps.sh installs python3-pyarmnn)", file=sys.stderr)
    sys.exit(3)


def shape(info):
    return "x".join(str(d) for d in info.GetShape())


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[3], file=sys.stderr)
        return 2
    model, out_path, inputs = argv[1], argv[2], argv[3:]
    try:
        parser = ann.ITfLiteParser()
        net = parser.CreateNetworkFromBinaryFile(model)
        sg = 0
        in_names = parser.GetSubgraphInputTensorNames(sg)
        out_names = parser.GetSubgraphOutputTensorNames(sg)
        in_info = [parser.GetNetworkInputBindingInfo(sg, n) for n in in_names]
        out_info = [parser.GetNetworkOutputBindingInfo(sg, n) for n in out_names]
        for n, b in zip(in_names, in_info):
            print(f"input {n} {shape(b[1])}")
        for n, b in zip(out_names, out_info):
            print(f"output {n} {shape(b[1])}")
        runtime = ann.IRuntime(ann.CreationOptions())
        opt, msgs = ann.Optimize(net, [ann.BackendId("CpuRef")],
                                 runtime.GetDeviceSpec(), ann.OptimizerOptions())
        # the layers Arm NN made of the operators, from its own graph dump
        with tempfile.TemporaryDirectory() as d:
            dot = os.path.join(d, "net.dot")
            opt.SerializeToDot(dot)
            with open(dot) as f:
                for m in re.finditer(r'LayerType : (\w+)', f.read()):
                    if m.group(1) not in ("Input", "Output"):
                        print(f"layer {m.group(1)}")
        net_id, _ = runtime.LoadNetwork(opt)
        if len(inputs) != len(in_info):
            print(f"tflite_check: {model} has {len(in_info)} inputs, {len(inputs)} given",
                  file=sys.stderr)
            return 2
        data = []
        for p, b in zip(inputs, in_info):
            want = int(np.prod(list(b[1].GetShape())))
            a = np.fromfile(p, dtype="<f4")
            if a.size != want:
                print(f"tflite_check: {p}: {a.size} floats, the input needs {want}",
                      file=sys.stderr)
                return 2
            data.append(a.reshape(list(b[1].GetShape())))
        in_t = ann.make_input_tensors(in_info, data)
        out_t = ann.make_output_tensors(out_info)
        runtime.EnqueueWorkload(net_id, in_t, out_t)
        outs = ann.workload_tensors_to_ndarray(out_t)
        with open(out_path, "wb") as f:
            for o in outs:
                f.write(np.ascontiguousarray(o, dtype="<f4").tobytes())
    except Exception as e:  # Arm NN raises RuntimeError with its reason
        why = str(e).strip().splitlines()[0] if str(e).strip() else repr(e)
        # Arm NN 20.08 verified the flatbuffer against the schema and parsed
        # the operators before this one, but has no kernel for its op code
        # (it prints the builtin code as a raw byte before the name)
        m = re.search(r"Operator not supported\. subgraph:\d+ operator:(\d+)"
                      r" opcode_index:\d+ opcode:(.?) / (\w+)", why, re.S)
        if m:
            code = ord(m.group(2)) if m.group(2) else -1
            print(f"unsupported {m.group(3)} (builtin code {code}) at operator {m.group(1)}")
            return 4
        print(f"tflite_check: {model}: {why!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
