/**
 * WASM training speed, two networks, one step = forward + backward + update:
 *  - the engine's own step (Trainer.trainOnBatch) on mnist-cnn, the network of `npm run bench:train`
 *    (conv 16 3x3 SAME -> 2x2 max-pool -> conv 32 3x3 SAME -> max-pool -> dense 128 -> dense 10, SGD);
 *  - the net of the backend brief (conv 32 3x3 -> relu -> conv 64 3x3 stride 2 -> relu -> dense 128 ->
 *    dense 10, Adam).
 * Batch 128 of 28x28x1. Reports wall and CPU time per step (the machine is shared: CPU time is the
 * steadier number), the per-kernel split, and the native-vs-ours kernel comparisons behind the
 * choices in src/main/engine/backends/wasm-kernels (each repetition gets new input tensors, as in
 * training: XNNPACK caches packed GEMM weights per tensor, which a repeated input would flatter).
 *
 *   node --import tsx bench/wasm-kernels.bench.ts [--steps 10] [--cpu] [--torch]
 *     --cpu    also time one step on the pure-JS CPU backend (slow: ~1 min)
 *     --torch  also time the same net in PyTorch (python3 with torch; reference only)
 */
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { selectBackend, startWasmBackend } from '../src/main/engine/backends/index.js';
import { originalWasmKernel } from '../src/main/engine/backends/wasm-kernels/override.js';
import { parseRunConfig } from '../src/shared/config.js';
import { loadDataset } from '../src/main/engine/data/index.js';
import { Trainer } from '../src/main/engine/train/trainer.js';
import { settings } from '../src/main/settings.js';

const args = process.argv.slice(2);
const STEPS = Number(args[args.indexOf('--steps') + 1]) || 10;
const B = 128;

function mnistNet() {
  const x = tf.randomNormal([B, 28, 28, 1]);
  const y = tf.oneHot(tf.randomUniform([B], 0, 10, 'int32') as tf.Tensor1D, 10);
  const v = (shape: number[], std: number) => tf.variable(tf.randomNormal(shape, 0, std));
  const p = {
    w1: v([3, 3, 1, 32], 0.33),
    b1: tf.variable(tf.zeros([32])),
    w2: v([3, 3, 32, 64], 0.06),
    b2: tf.variable(tf.zeros([64])),
    w3: v([12 * 12 * 64, 128], 0.01),
    b3: tf.variable(tf.zeros([128])),
    w4: v([128, 10], 0.1),
    b4: tf.variable(tf.zeros([10])),
  };
  const loss = () => {
    let h = tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, p.w1 as tf.Tensor4D, 1, 'valid'), p.b1)); // 26x26x32
    h = tf.relu(tf.add(tf.conv2d(h as tf.Tensor4D, p.w2 as tf.Tensor4D, 2, 'valid'), p.b2)); // 12x12x64
    const f = tf.relu(tf.add(tf.matMul(tf.reshape(h, [B, -1]), p.w3), p.b3));
    return tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(f, p.w4), p.b4)) as tf.Scalar;
  };
  return { loss, dispose: () => tf.dispose([x, y, ...Object.values(p)]) };
}

interface Timing {
  wallMs: number;
  cpuMs: number;
}

function timeStep(step: () => void): Timing {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  step();
  const c = process.cpuUsage(c0);
  return { wallMs: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms: number) => `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;

/** Kernel time per kernel name, the best of `runs` profiled steps for each (nested kernels count once). */
async function kernelSplit(step: () => Promise<void>, runs = 3): Promise<Map<string, number>> {
  const best = new Map<string, number>();
  for (let r = 0; r < runs; r++) {
    const profile = await tf.profile(step);
    const byKernel = new Map<string, number>();
    for (const k of profile.kernels) byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + Number(k.kernelTimeMs));
    for (const [k, ms] of byKernel) best.set(k, Math.min(best.get(k) ?? Infinity, ms));
  }
  return best;
}

async function trainingSteps(steps: number) {
  const net = mnistNet();
  const opt = tf.train.adam(1e-3);
  const step = () => (opt.minimize(net.loss, true) as tf.Scalar).dataSync();
  step();
  step();
  const times = Array.from({ length: steps }, () => timeStep(step));
  const byKernel = await kernelSplit(async () => {
    opt.minimize(net.loss, true)?.dispose();
  });
  net.dispose();
  opt.dispose();
  return { times, byKernel };
}

/** The engine's own training step on mnist-cnn and real MNIST, as bench/train.bench.ts times it. */
async function engineSteps(steps: number) {
  const data = await loadDataset({ name: 'mnist', limit: { train: B, test: 10 } });
  const batch = data.train.batch(Array.from({ length: B }, (_, i) => i));
  const config = parseRunConfig({
    dataset: { name: 'mnist', validationSize: 0 },
    model: { arch: 'mnist-cnn', activation: 'relu' },
    optimizer: { kind: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 1e-4 },
    batchSize: B,
    epochs: 1,
  });
  const trainer = await Trainer.create(config, { dataset: data });
  let n = 1;
  const step = async () => {
    await trainer.trainOnBatch(batch, n++);
  };
  for (let i = 0; i < 3; i++) await step();
  const times: Timing[] = [];
  for (let i = 0; i < steps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await step();
    const c = process.cpuUsage(c0);
    times.push({ wallMs: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 });
  }
  const byKernel = await kernelSplit(step);
  trainer.dispose();
  return { times, byKernel };
}

function printSplit(byKernel: Map<string, number>) {
  const top = [...byKernel.entries()].sort((p, q) => q[1] - p[1]).slice(0, 12);
  console.log(
    '  per kernel (best of 3 profiled steps, wall):',
    top.map(([k, ms]) => `${k} ${ms.toFixed(1)}`).join(', '),
  );
}

function report(name: string, times: Timing[]) {
  const wall = times.map((t) => t.wallMs),
    cpu = times.map((t) => t.cpuMs);
  console.log(
    `${name}: step wall median ${fmt(median(wall))} (min ${fmt(Math.min(...wall))}), CPU median ${fmt(median(cpu))} (min ${fmt(Math.min(...cpu))}) over ${times.length} steps`,
  );
}

type Inputs = Record<string, tf.Tensor>;

/** Best-of-n CPU time of f on fresh copies of `inputs` (copies made outside the timing; output read back). */
function bestCpuMs(f: (inputs: Inputs) => tf.Tensor, inputs: Inputs, n = 5): number {
  let best = Infinity;
  for (let i = 0; i <= n; i++) {
    const fresh = Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, tf.mul(t, 1)]));
    const ms = timeStep(() => {
      const r = f(fresh);
      r.dataSync();
      r.dispose();
    }).cpuMs;
    if (i > 0) best = Math.min(best, ms);
    tf.dispose(Object.values(fresh));
  }
  return best;
}

function nativeVsOurs(kernel: string, inputs: Inputs, attrs: Record<string, unknown>) {
  const backend = tf.backend();
  const native = (ins: Inputs) =>
    tf
      .engine()
      .makeTensorFromTensorInfo(originalWasmKernel(kernel)({ inputs: ins, backend, attrs } as never) as tf.TensorInfo);
  const ours = (ins: Inputs) => tf.engine().runKernel(kernel, ins, attrs as never) as tf.Tensor;
  return { native: bestCpuMs(native, inputs), ours: bestCpuMs(ours, inputs) };
}

function kernelComparisons() {
  console.log(
    '\nKernel comparisons, best-of-5 CPU time on fresh inputs (brief net layer 2, mnist-cnn layers 1-2 and fc1):',
  );
  const x = tf.randomNormal([B, 26, 26, 32]),
    w = tf.randomNormal([3, 3, 32, 64]),
    dy = tf.randomNormal([B, 12, 12, 64]);
  const fwd = bestCpuMs((i) => tf.conv2d(i.x as tf.Tensor4D, i.w as tf.Tensor4D, 2, 'valid'), { x, w });
  console.log(`  forward Conv2D brief layer 2 (XNNPACK): ${fmt(fwd)}`);
  const bi = nativeVsOurs(
    'Conv2DBackpropInput',
    { dy, filter: w },
    { strides: 2, pad: 'valid', dataFormat: 'NHWC', inputShape: [B, 26, 26, 32] },
  );
  console.log(`  Conv2DBackpropInput brief layer 2: native ${fmt(bi.native)}, sub-pixel XNNPACK ${fmt(bi.ours)}`);
  const filterGrad = (fs: number[], s: number, pad: string) => (i: Inputs) =>
    tf.engine().runKernel('Conv2DBackpropFilter', { x: i.x, dy: i.dy }, {
      strides: s,
      pad,
      dataFormat: 'NHWC',
      filterShape: fs,
    } as never) as tf.Tensor;
  const bf = bestCpuMs(filterGrad([3, 3, 32, 64], 2, 'valid'), { x, dy });
  const x1 = tf.randomNormal([B, 28, 28, 1]),
    dy1 = tf.randomNormal([B, 28, 28, 16]);
  const x2 = tf.randomNormal([B, 14, 14, 16]),
    dy2 = tf.randomNormal([B, 14, 14, 32]);
  const bf1 = bestCpuMs(filterGrad([3, 3, 1, 16], 1, 'same'), { x: x1, dy: dy1 });
  const bf2 = bestCpuMs(filterGrad([3, 3, 16, 32], 1, 'same'), { x: x2, dy: dy2 });
  console.log(
    `  Conv2DBackpropFilter (ours, im2col + XNNPACK GEMM; WASM has none): brief layer 2 ${fmt(bf)}, mnist-cnn layer 1 ${fmt(bf1)}, layer 2 ${fmt(bf2)}`,
  );
  const sum = nativeVsOurs('Sum', { x: dy1 }, { axis: [0, 1, 2], keepDims: false });
  console.log(
    `  Sum over N,H,W of [128,28,28,16] (bias gradient): native ${fmt(sum.native)}, XNNPACK global average pool ${fmt(sum.ours)}`,
  );
  const y1 = tf.randomNormal([B, 14, 14, 16]);
  const up = { alignCorners: false, halfPixelCenters: false, size: [28, 28] };
  const rs = nativeVsOurs('ResizeNearestNeighbor', { images: y1 }, up);
  const eq = nativeVsOurs('Equal', { a: dy1, b: tf.relu(dy1) }, {});
  console.log(
    `  max-pool gradient [128,28,28,16]: ResizeNearestNeighbor native ${fmt(rs.native)}, heap SIMD ${fmt(rs.ours)}; Equal native ${fmt(eq.native)}, heap SIMD ${fmt(eq.ours)}`,
  );
  const a = tf.randomNormal([B, 9216]),
    g = tf.randomNormal([B, 128]);
  const mm = nativeVsOurs('BatchMatMul', { a, b: g }, { transposeA: true, transposeB: false });
  console.log(
    `  BatchMatMul x^T dy [9216x128]x[128x128]: native ${fmt(mm.native)}, explicit transpose + XNNPACK ${fmt(mm.ours)}`,
  );
  const wfc = tf.randomNormal([1568, 128]),
    dfc = tf.randomNormal([B, 128]);
  const dx = nativeVsOurs('BatchMatMul', { a: dfc, b: wfc }, { transposeA: false, transposeB: true });
  console.log(
    `  BatchMatMul dy W^T [128x128]x[128x1568] (fc1 input gradient): native ${fmt(dx.native)}, as (W dy^T)^T on XNNPACK ${fmt(dx.ours)}`,
  );
  tf.dispose([dy, w, x, a, g, x1, dy1, x2, dy2, y1, wfc, dfc]);
}

function torchReference(): string {
  const script = `
import time, torch, torch.nn as nn
torch.manual_seed(0)
net = nn.Sequential(nn.Conv2d(1,32,3), nn.ReLU(), nn.Conv2d(32,64,3,stride=2), nn.ReLU(), nn.Flatten(), nn.Linear(9216,128), nn.ReLU(), nn.Linear(128,10))
opt = torch.optim.Adam(net.parameters(), 1e-3)
x = torch.randn(${B},1,28,28); y = torch.randint(0,10,(${B},))
def step():
    opt.zero_grad(); l = nn.functional.cross_entropy(net(x), y); l.backward(); opt.step()
for _ in range(3): step()
ts = []
for _ in range(${STEPS}):
    t = time.perf_counter(); step(); ts.append(time.perf_counter() - t)
ts.sort(); print(f"PyTorch {torch.__version__} ({torch.get_num_threads()} threads): step median {ts[len(ts)//2]*1000:.0f} ms (min {ts[0]*1000:.0f} ms)")
`;
  const r = spawnSync(settings().python, ['-c', script], { encoding: 'utf8' });
  return r.status === 0
    ? r.stdout.trim()
    : `PyTorch reference unavailable (${r.stderr.trim().split('\n').pop()}); apt-get install python3-torch`;
}

const backend = await selectBackend('wasm');
console.log(`Backend: ${backend.summary}, threads ${backend.threads}`);
const engine = await engineSteps(STEPS);
report('WASM, engine step on mnist-cnn (SGD)', engine.times);
printSplit(engine.byKernel);
const wasm = await trainingSteps(STEPS);
report('WASM, brief net (Adam)', wasm.times);
printSplit(wasm.byKernel);
kernelComparisons();
if (args.includes('--cpu')) {
  await tf.setBackend('cpu');
  const cpu = await trainingSteps(1);
  report('CPU (pure JS)', cpu.times);
  await startWasmBackend();
}
if (args.includes('--torch')) console.log(torchReference());
