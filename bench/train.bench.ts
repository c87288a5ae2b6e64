/**
 * Training throughput of the engine against PyTorch, and the cost of the Fantastic Four regulariser.
 *
 *   node --import tsx bench/train.bench.ts [--steps 30] [--backend auto|wasm|cpu|tensorflow] [--python /usr/bin/python3]
 *
 * 1. The small MNIST CNN (mnist-cnn) takes SGD steps (lr 0.05, momentum 0.9, wd 1e-4) on one fixed batch of 128
 *    real MNIST images, through the engine's own step (Trainer.trainOnBatch: tensor upload, forward, loss,
 *    gradients, optimiser, read-back), on the backend the engine picks.
 * 2. bench/reference/train_reference.py trains the same network from the same initial weights on the same batch
 *    with torch.optim.SGD, at 1 thread and at PyTorch's default thread count. Both first-step losses are printed:
 *    they must agree (same function, same weights).
 * 3. The same step with the F4 penalty (f4-min, one power iteration per step, gradient included) vs without,
 *    interleaved in blocks so machine load drifts hit both equally; overhead = median(F4)/median(none) - 1.
 * Targets: engine >= 0.7x PyTorch (same thread count); F4 overhead < 5%.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRunConfig, type RunConfigInput } from '../src/shared/config.js';
import type { BackendChoice } from '../src/shared/backend.js';
import { selectBackend } from '../src/main/engine/backends/index.js';
import { loadDataset, type Batch } from '../src/main/engine/data/index.js';
import { Trainer } from '../src/main/engine/train/trainer.js';

const argv = process.argv.slice(2);
const opt = (name: string, def: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1] : def;
};
const STEPS = Number(opt('steps', '30'));
const BATCH = 128;
const here = path.dirname(fileURLToPath(import.meta.url));
// Debian's python3-torch lives in the system interpreter; a pyenv/venv python3 first on PATH would not see it.
const PYTHON = opt('python', existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function config(extra: RunConfigInput = {}) {
  return parseRunConfig({
    dataset: { name: 'mnist', validationSize: 0 },
    model: { arch: 'mnist-cnn', activation: 'relu' },
    optimizer: { kind: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 1e-4 },
    batchSize: BATCH,
    epochs: 1,
    ...extra,
  });
}

/** Weights and batch for the PyTorch reference, in tfjs layouts. */
function writeReference(dir: string, trainer: Trainer, batch: Batch): void {
  const vars = trainer.model.variables().filter((v) => v.trainable);
  const tensors = vars.map((v) => ({ name: v.name, shape: v.variable.shape }));
  const total = vars.reduce((s, v) => s + v.variable.size, 0);
  const flat = new Float32Array(total);
  let off = 0;
  for (const v of vars) {
    flat.set(v.variable.dataSync() as Float32Array, off);
    off += v.variable.size;
  }
  const o = trainer.config.optimizer;
  writeFileSync(path.join(dir, 'spec.json'), JSON.stringify({ batch: batch.shape[0], lr: o.lr, momentum: o.momentum, weight_decay: o.weightDecay, tensors }));
  writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(flat.buffer));
  writeFileSync(path.join(dir, 'x.bin'), Buffer.from(batch.x.buffer, batch.x.byteOffset, batch.x.byteLength));
  writeFileSync(path.join(dir, 'y.bin'), Buffer.from(batch.y));
}

interface TorchResult {
  torch: string;
  threads: number;
  first_loss: number;
  median_step_ms: number;
  median_cpu_ms: number;
  images_per_s: number;
}

function runTorch(dir: string, threads: number): TorchResult | string {
  const r = spawnSync(PYTHON, [path.join(here, 'reference', 'train_reference.py'), '--dir', dir, '--steps', String(STEPS), '--threads', String(threads)], {
    encoding: 'utf8',
  });
  if (r.status !== 0) return (r.stderr || r.error?.message || 'python3 failed').trim().split('\n').slice(-1)[0];
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as TorchResult;
}

async function main(): Promise<void> {
  const report = await selectBackend(opt('backend', 'auto') as BackendChoice);
  const data = await loadDataset({ name: 'mnist', limit: { train: BATCH * 4, test: 10 } });
  const batch = data.train.batch(Array.from({ length: BATCH }, (_, i) => i));
  const plain = await Trainer.create(config(), { dataset: data });
  const f4 = await Trainer.create(config({ regularizer: { kind: 'f4-min', beta: 0.01, powerIterInit: 50, powerIterPerStep: 1 } }), { dataset: data });

  const dir = mkdtempSync(path.join(os.tmpdir(), 'slab-train-bench-'));
  try {
    writeReference(dir, plain, batch);
    let step = 1;
    const firstLoss = (await plain.trainOnBatch(batch, step++)).ce;
    for (let i = 0; i < 2; i++) await plain.trainOnBatch(batch, step++);
    for (let i = 1; i <= 3; i++) await f4.trainOnBatch(batch, i);

    // Alternate single steps (plain, F4, plain, ...) so load drifts on this shared machine hit both alike, and
    // time each step twice: wall clock and this process's CPU time (less sensitive to other processes).
    const tPlain: number[] = [];
    const tF4: number[] = [];
    const cPlain: number[] = [];
    const cF4: number[] = [];
    let fstep = 4;
    const timed = async (t: Trainer, s: number, wall: number[], cpu: number[]): Promise<void> => {
      const c0 = process.cpuUsage();
      wall.push((await t.trainOnBatch(batch, s)).stepMs);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
    };
    while (tPlain.length < STEPS) {
      await timed(plain, step++, tPlain, cPlain);
      await timed(f4, fstep++, tF4, cF4);
    }
    const msPlain = median(tPlain);
    const msF4 = median(tF4);
    const ips = (BATCH / msPlain) * 1000;
    const cpuPlain = median(cPlain);
    const cpuF4 = median(cF4);

    const torch1 = runTorch(dir, 1);
    const torchN = runTorch(dir, 0);
    const line = (label: string, v: string): void => console.log(`  ${label.padEnd(42)} ${v}`);
    console.log(`train bench: mnist-cnn (206,922 params), batch ${BATCH}, SGD momentum, ${tPlain.length} timed steps`);
    line('tfjs backend', `${report.name}${report.threads ? ` (${report.threads} thread${report.threads > 1 ? 's' : ''})` : ''}`);
    line('tfjs step (median wall / CPU)', `${msPlain.toFixed(1)} / ${cpuPlain.toFixed(1)} ms  →  ${ips.toFixed(0)} images/s (wall)`);
    line('tfjs first-step loss', firstLoss.toFixed(6));
    for (const [label, t] of [
      ['PyTorch, 1 thread', torch1],
      ['PyTorch, default threads', torchN],
    ] as const) {
      if (typeof t === 'string') {
        line(label, `unavailable (${t}); install python3-torch to compare`);
        continue;
      }
      line(`${label} step (median wall / CPU)`, `${t.median_step_ms.toFixed(1)} / ${t.median_cpu_ms.toFixed(1)} ms  →  ${t.images_per_s.toFixed(0)} images/s  (torch ${t.torch})`);
      line(
        `  throughput ratio tfjs / PyTorch`,
        `${(ips / t.images_per_s).toFixed(2)}x wall, ${(t.median_cpu_ms / cpuPlain).toFixed(2)}x CPU time  (target >= 0.7x)`,
      );
      line('  PyTorch first-step loss', `${t.first_loss.toFixed(6)}  (|diff| ${Math.abs(t.first_loss - firstLoss).toExponential(1)})`);
    }
    line('step with F4 penalty (median wall / CPU)', `${msF4.toFixed(1)} / ${cpuF4.toFixed(1)} ms`);
    line(
      'F4 regulariser overhead (wall / CPU)',
      `${(((msF4 - msPlain) / msPlain) * 100).toFixed(1)}% / ${(((cpuF4 - cpuPlain) / cpuPlain) * 100).toFixed(1)}% of step time (target < 5%)`,
    );
  } finally {
    plain.dispose();
    f4.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : String(e));
  process.exitCode = 1;
});
