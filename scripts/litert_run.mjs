#!/usr/bin/env node
// Run a .tflite file in LiteRT (TensorFlow Lite's runtime, renamed), the
// independent reader of vsrbench's TFLite exports: npm @litertjs/core, Google's
// build of the LiteRT interpreter to WebAssembly (its flatbuffer reader,
// TFLite's builtin kernels and the XNNPACK delegate TFLite applies by default
// on a CPU). scripts/deps.sh installs it into $VSR_NPM_DIR (default .npm-deps/
// beside scripts/). Nothing of vsrbench is used here.
//
//   node scripts/litert_run.mjs MODEL.tflite OUT.bin [IN0.bin ...]
//
// Prints one line per input and output ("input NAME 1x24x32x3 float32"), then
// runs the model once on the raw little-endian NHWC inputs IN0.bin ... (in the
// model's input order, each of its input's type: float32, int8 or uint8) and
// writes every output, in order, concatenated, in its own type, to OUT.bin.
// With no inputs it only loads and compiles the model (and writes no OUT).
//
// exit codes: 0 ok, 1 LiteRT refused the file or failed to run it (its reason
// on stderr), 2 usage, 3 @litertjs/core is not installed.
//
// The package is made for browsers: its loader injects a <script>. Node runs
// the same emscripten module when given the few globals a worker would have
// (self, importScripts) and the CommonJS ones the module asks for.
import fs from 'fs';
import path from 'path';
import vm from 'vm';
import { createRequire } from 'module';
import { fileURLToPath, pathToFileURL } from 'url';

const here = path.dirname(fileURLToPath(import.meta.url));
const npmDir = process.env.VSR_NPM_DIR || path.join(here, '..', '.npm-deps');
const pkgDir = path.join(npmDir, 'node_modules', '@litertjs', 'core');
const wasmDir = path.join(pkgDir, 'wasm');

function die(code, msg) {
  process.stderr.write(`litert_run: ${msg}\n`);
  process.exit(code);
}

const argv = process.argv.slice(2);
if (argv.length < 2) die(2, 'usage: litert_run.mjs MODEL.tflite OUT.bin [IN0.bin ...]');
const [model, outPath, ...ins] = argv;
if (!fs.existsSync(path.join(pkgDir, 'package.json')))
  die(3, `@litertjs/core not found under ${npmDir} (run scripts/deps.sh)`);

// a worker's globals, for the package's loader and its emscripten module
globalThis.self = globalThis;
globalThis.require = createRequire(path.join(wasmDir, 'x.js'));
globalThis.__dirname = wasmDir;
globalThis.importScripts = (u) => vm.runInThisContext(fs.readFileSync(u, 'utf8'), { filename: u });

// LiteRT logs to the console (INFO lines, "no WebGPU"): keep stdout ours
console.log = console.info = console.warn = console.error = (...a) =>
  process.stderr.write(a.join(' ') + '\n');

const TYPES = {
  float32: Float32Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int32: Int32Array,
};

try {
  const lrt = await import(pathToFileURL(path.join(pkgDir, 'dist', 'index.js')).href);
  await lrt.loadLiteRt(wasmDir + '/');
  const data = new Uint8Array(fs.readFileSync(model));
  const m = await lrt.loadAndCompile(data, { accelerator: 'wasm', cpuOptions: { numThreads: 1 } });
  const inD = m.getInputDetails(), outD = m.getOutputDetails();
  const line = (k, d) => `${k} ${d.name} ${Array.from(d.shape).join('x')} ${d.dtype}\n`;
  for (const d of inD) process.stdout.write(line('input', d));
  for (const d of outD) process.stdout.write(line('output', d));
  if (!ins.length) process.exit(0);
  if (ins.length !== inD.length) die(2, `${model} has ${inD.length} inputs, ${ins.length} given`);
  const tensors = inD.map((d, i) => {
    const T = TYPES[d.dtype];
    if (!T) die(1, `input ${d.name}: type ${d.dtype} is not read here`);
    const n = Array.from(d.shape).reduce((a, b) => a * b, 1);
    const buf = fs.readFileSync(ins[i]);
    if (buf.length !== n * T.BYTES_PER_ELEMENT)
      die(2, `${ins[i]}: ${buf.length} bytes, input ${d.name} needs ${n * T.BYTES_PER_ELEMENT}`);
    const a = new T(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
    return new lrt.Tensor(a, Array.from(d.shape));
  });
  const outs = await m.run(tensors);
  const parts = outs.map((t) => {
    const a = t.toTypedArray();
    return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  });
  fs.writeFileSync(outPath, Buffer.concat(parts));
} catch (e) {
  const why = String((e && e.message) || e).trim().split('\n')[0];
  die(1, `${model}: ${why}`);
}
