#!/usr/bin/env node
// Run an ONNX model in ONNX Runtime (npm onnxruntime-node, installed by
// scripts/deps.sh into $VSR_NPM_DIR, default .npm-deps/ beside scripts/).
// vsrbench's side-by-side anchor: tests compare its outputs with vsrbench's
// (tests/models/test_models_onnx_export.c), tools/bench_engine times it.
//
//   node scripts/ort_run.cjs MODEL.onnx OUT.f32 THREADS REPS IN.f32:1x3xHxW [IN2.f32:SHAPE ...]
//
// Inputs are raw float32 (little-endian, NCHW) in the graph's input order;
// the outputs are written to OUT.f32 concatenated in the graph's output
// order. With REPS > 0 the model runs REPS more times after the first and
// one line "ort_ms MEDIAN MIN" (milliseconds per run) is printed. With REPS
// "serve" it prints "ready" after the first run, then runs once per "run"
// line read on stdin and answers "ms T" (one run's wall time); end of input
// ends it (tools/bench_engine alternates its own runs with these).
'use strict';
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

function die(msg) {
  process.stderr.write(`ort_run: ${msg}\n`);
  process.exit(2);
}

const argv = process.argv.slice(2);
if (argv.length < 5) die('usage: ort_run.cjs MODEL.onnx OUT.f32 THREADS REPS IN.f32:SHAPE...');
const [model, outPath, threadsArg, repsArg, ...ins] = argv;
const npmDir = process.env.VSR_NPM_DIR || path.join(__dirname, '..', '.npm-deps');
let ort;
try {
  ort = createRequire(path.join(npmDir, 'node_modules') + '/')('onnxruntime-node');
} catch (e) {
  process.stderr.write(`ort_run: onnxruntime-node not found under ${npmDir} (run scripts/deps.sh)\n`);
  process.exit(3);
}
const threads = parseInt(threadsArg, 10);
const serve = repsArg === 'serve';
const reps = serve ? 0 : parseInt(repsArg, 10);
if (!(threads >= 1) || !(reps >= 0)) die('THREADS must be >= 1 and REPS >= 0 or "serve"');

(async () => {
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    // ORT's intra-op workers spin after each run by default, holding the
    // CPUs that the other side of an alternating benchmark (tools/
    // bench_engine) needs next: measured on 2 vCPUs, vsrbench's 2-thread FP32
    // frame went from 23.8 to 35 ms beside a spinning ORT. Off unless
    // VSR_ORT_SPIN=1 (ORT's own default, for timing ORT alone).
    extra: { session: { intra_op: { allow_spinning: process.env.VSR_ORT_SPIN === '1' ? '1' : '0' } } },
  });
  if (ins.length !== session.inputNames.length)
    die(`${model} has ${session.inputNames.length} inputs, ${ins.length} given`);
  const feeds = {};
  ins.forEach((spec, i) => {
    const at = spec.lastIndexOf(':');
    if (at < 0) die(`input '${spec}': expected FILE:1xCxHxW`);
    const dims = spec.slice(at + 1).split('x').map((d) => parseInt(d, 10));
    const buf = fs.readFileSync(spec.slice(0, at));
    const n = dims.reduce((a, b) => a * b, 1);
    if (buf.length !== 4 * n) die(`input '${spec}': ${buf.length} bytes, the shape needs ${4 * n}`);
    const data = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
    feeds[session.inputNames[i]] = new ort.Tensor('float32', data, dims);
  });
  let res = await session.run(feeds);
  const times = [];
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    res = await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  if (serve) {
    process.stdout.write('ready\n');
    const rl = require('readline').createInterface({ input: process.stdin });
    for await (const line of rl) {
      if (line.trim() !== 'run') continue;
      const t0 = process.hrtime.bigint();
      res = await session.run(feeds);
      process.stdout.write(`ms ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(4)}\n`);
    }
  }
  const parts = session.outputNames.map((n) => Buffer.from(res[n].data.buffer, res[n].data.byteOffset, res[n].data.byteLength));
  fs.writeFileSync(outPath, Buffer.concat(parts));
  if (reps > 0) {
    times.sort((a, b) => a - b);
    console.log(`ort_ms ${times[Math.floor(times.length / 2)].toFixed(3)} ${times[0].toFixed(3)}`);
  }
})().catch((e) => die(String(e && e.message ? e.message : e).split('\n')[0]));
