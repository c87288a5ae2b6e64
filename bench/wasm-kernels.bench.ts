/**
 * WASM training speed: the MNIST CNN of the backend brief (conv 32 3x3 -> relu -> conv 64 3x3
 * stride 2 -> relu -> dense 128 -> dense 10, batch 128, 28x28x1, Adam), one step = forward +
 * backward + update. Reports wall and CPU time per step (the machine is shared: CPU time is the
 * steadier number), the per-kernel split, and the native-vs-ours kernel comparisons behind the
 * choices in src/main/engine/backends/wasm-kernels.
 *
 *   node --import tsx bench/wasm-kernels.bench.ts [--steps 10] [--cpu] [--torch]
 *     --cpu    also time one step on the pure-JS CPU backend (slow: ~1 min)
 *     --torch  also time the same net in PyTorch (python3 with torch; reference only)
 */
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { selectBackend, startWasmBackend } from '../src/main/engine/backends/index.js';
import { originalWasmKernel } from '../src/main/engine/backends/wasm-kernels/override.js';

const args = process.argv.slice(2);
const STEPS = Number(args[args.indexOf('--steps') + 1]) || 10;
const B = 128;

function mnistNet() {
  const x = tf.randomNormal([B, 28, 28, 1]);
  const y = tf.oneHot(tf.randomUniform([B], 0, 10, 'int32') as tf.Tensor1D, 10);
  const v = (shape: number[], std: number) => tf.variable(tf.randomNormal(shape, 0, std));
  const p = {
    w1: v([3, 3, 1, 32], 0.33), b1: tf.variable(tf.zeros([32])),
    w2: v([3, 3, 32, 64], 0.06), b2: tf.variable(tf.zeros([64])),
    w3: v([12 * 12 * 64, 128], 0.01), b3: tf.variable(tf.zeros([128])),
    w4: v([128, 10], 0.1), b4: tf.variable(tf.zeros([10])),
  };
  const loss = () => {
    let h = tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, p.w1 as tf.Tensor4D, 1, 'valid'), p.b1)); // 26x26x32
    h = tf.relu(tf.add(tf.conv2d(h as tf.Tensor4D, p.w2 as tf.Tensor4D, 2, 'valid'), p.b2)); // 12x12x64
    const f = tf.relu(tf.add(tf.matMul(tf.reshape(h, [B, -1]), p.w3), p.b3));
    return tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(f, p.w4), p.b4)) as tf.Scalar;
  };
  return { loss, dispose: () => tf.dispose([x, y, ...Object.values(p)]) };
}

interface Timing { wallMs: number; cpuMs: number }

function timeStep(step: () => void): Timing {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  step();
  const c = process.cpuUsage(c0);
  return { wallMs: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms: number) => `${ms.toFixed(0)} ms`;

async function trainingSteps(steps: number) {
  const net = mnistNet();
  const opt = tf.train.adam(1e-3);
  const step = () => (opt.minimize(net.loss, true) as tf.Scalar).dataSync();
  step();
  step();
  const times = Array.from({ length: steps }, () => timeStep(step));
  const profile = await tf.profile(() => { opt.minimize(net.loss, true)?.dispose(); });
  const byKernel = new Map<string, number>();
  for (const k of profile.kernels) byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + Number(k.kernelTimeMs));
  net.dispose();
  opt.dispose();
  return { times, byKernel };
}

function report(name: string, times: Timing[]) {
  const wall = times.map((t) => t.wallMs), cpu = times.map((t) => t.cpuMs);
  console.log(`${name}: step wall median ${fmt(median(wall))} (min ${fmt(Math.min(...wall))}), CPU median ${fmt(median(cpu))} (min ${fmt(Math.min(...cpu))}) over ${times.length} steps`);
}

/** Best-of-n CPU time of f (its output read back and freed). */
function bestCpuMs(f: () => tf.Tensor, n = 5): number {
  f().dispose();
  let best = Infinity;
  for (let i = 0; i < n; i++) best = Math.min(best, timeStep(() => { const r = f(); r.dataSync(); r.dispose(); }).cpuMs);
  return best;
}

function nativeVsOurs(kernel: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>) {
  const backend = tf.backend();
  const native = () =>
    tf.engine().makeTensorFromTensorInfo(originalWasmKernel(kernel)({ inputs, backend, attrs } as never) as tf.TensorInfo);
  const ours = () => tf.engine().runKernel(kernel, inputs, attrs as never) as tf.Tensor;
  return { native: bestCpuMs(native), ours: bestCpuMs(ours) };
}

function kernelComparisons() {
  console.log('\nKernel comparisons on the MNIST net shapes (best-of-5 CPU time):');
  const x = tf.randomNormal([B, 26, 26, 32]), w = tf.randomNormal([3, 3, 32, 64]), dy = tf.randomNormal([B, 12, 12, 64]);
  const fwd = bestCpuMs(() => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'valid'));
  console.log(`  forward Conv2D layer 2 (XNNPACK): ${fmt(fwd)}`);
  const bi = nativeVsOurs('Conv2DBackpropInput', { dy, filter: w }, { strides: 2, pad: 'valid', dataFormat: 'NHWC', inputShape: [B, 26, 26, 32] });
  console.log(`  Conv2DBackpropInput layer 2: native ${fmt(bi.native)}, sub-pixel XNNPACK ${fmt(bi.ours)}`);
  const bf = bestCpuMs(() => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: 2, pad: 'valid', dataFormat: 'NHWC', filterShape: [3, 3, 32, 64] }) as tf.Tensor);
  console.log(`  Conv2DBackpropFilter layer 2 (ours; WASM has none): ${fmt(bf)}`);
  const a = tf.randomNormal([B, 9216]), g = tf.randomNormal([B, 128]);
  const mm = nativeVsOurs('BatchMatMul', { a, b: g }, { transposeA: true, transposeB: false });
  console.log(`  BatchMatMul x^T dy [9216x128]x[128x128]: native ${fmt(mm.native)}, explicit transpose + XNNPACK ${fmt(mm.ours)}`);
  tf.dispose([dy, w, x, a, g]);
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
  const r = spawnSync('python3', ['-c', script], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : `PyTorch reference unavailable (${r.stderr.trim().split('\n').pop()}); apt-get install python3-torch`;
}

const backend = await selectBackend('wasm');
console.log(`Backend: ${backend.summary}, threads ${backend.threads}`);
const wasm = await trainingSteps(STEPS);
report('WASM', wasm.times);
const top = [...wasm.byKernel.entries()].sort((p, q) => q[1] - p[1]).slice(0, 10);
console.log('  per kernel (one profiled step, wall):', top.map(([k, ms]) => `${k} ${ms.toFixed(0)}`).join(', '));
kernelComparisons();
if (args.includes('--cpu')) {
  await tf.setBackend('cpu');
  const cpu = await trainingSteps(1);
  report('CPU (pure JS)', cpu.times);
  await startWasmBackend();
}
if (args.includes('--torch')) console.log(torchReference());
