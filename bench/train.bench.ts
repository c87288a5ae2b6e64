/**
 * Training throughput of the engine against PyTorch, and the cost of the Fantastic Four regulariser.
 *
 *   node --import tsx bench/train.bench.ts [--steps 30] [--rounds 6] [--backend auto|wasm|cpu|tensorflow] [--python /usr/bin/python3]
 *
 * 1. The small MNIST CNN (mnist-cnn) takes SGD steps (lr 0.05, momentum 0.9, wd 1e-4) on one fixed batch of 128
 *    real MNIST images, through the engine's own step (Trainer.trainOnBatch: tensor upload, forward, loss,
 *    gradients, optimiser, read-back), on the backend the engine picks.
 * 2. bench/reference/train_reference.py trains the same network from the same initial weights on the same batch
 *    with torch.optim.SGD, at 1 thread and at PyTorch's default thread count. Both first-step losses are printed:
 *    they must agree (same function, same weights). The two PyTorch processes stay up (--serve) and the timed
 *    steps run in rounds, a block of each in turn (tfjs, PyTorch 1 thread, PyTorch default), so that this shared
 *    machine's speed drifts (up to 2x within minutes) hit all three alike; each round's ratios are printed too.
 * 3. The same step with the F4 penalty (f4-min, one power iteration per step, gradient included) vs without,
 *    interleaved step by step (in alternating order) so machine load drifts hit both equally; overhead = median
 *    over the pairs of (F4 step - the plain step beside it), over the median plain step.
 * 4. The same for the differentiable Gram iteration penalty (issue 14), in the same rotation.
 * Targets: engine >= 0.7x PyTorch (same thread count); F4 overhead < 5%.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
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
const ROUNDS = Math.max(1, Math.min(STEPS, Number(opt('rounds', '6'))));
const BATCH = 128;
const here = path.dirname(fileURLToPath(import.meta.url));
// Debian's python3-torch lives in the system interpreter; a pyenv/venv python3 first on PATH would not see it.
const PYTHON = opt('python', existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

/**
 * A pause before every timed block, ours and the references' alike: thread pools (OpenBLAS's, XNNPACK's) spin for
 * a while after their last task before they sleep, and would otherwise take CPU from the next block.
 */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 250));

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
  writeFileSync(
    path.join(dir, 'spec.json'),
    JSON.stringify({ batch: batch.shape[0], lr: o.lr, momentum: o.momentum, weight_decay: o.weightDecay, tensors }),
  );
  writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(flat.buffer));
  writeFileSync(path.join(dir, 'x.bin'), Buffer.from(batch.x.buffer, batch.x.byteOffset, batch.x.byteLength));
  writeFileSync(path.join(dir, 'y.bin'), Buffer.from(batch.y));
}

interface TorchHello {
  torch: string;
  threads: number;
  first_loss: number;
}

/** A PyTorch reference process in --serve mode: `steps(k)` runs k timed steps there. */
interface TorchServer {
  hello: TorchHello;
  steps(k: number): Promise<{ step_ms: number[]; cpu_ms: number[] }>;
  close(): void;
}

async function startTorch(dir: string, threads: number): Promise<TorchServer | string> {
  const script = path.join(here, 'reference', 'train_reference.py');
  let child: ChildProcessWithoutNullStreams;
  try {
    child = spawn(PYTHON, [script, '--dir', dir, '--threads', String(threads), '--serve']);
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<string | null> => {
    const r = await lines.next();
    return r.done ? null : (r.value as string);
  };
  const first = await new Promise<string | null>((resolve) => {
    child.once('error', () => resolve(null));
    void next().then(resolve);
  });
  if (first === null) return (stderr || 'python3 failed').trim().split('\n').slice(-1)[0];
  return {
    hello: JSON.parse(first) as TorchHello,
    async steps(k) {
      child.stdin.write(`${k}\n`);
      const line = await next();
      if (line === null) throw new Error(`the PyTorch reference stopped: ${stderr.trim().split('\n').slice(-1)[0]}`);
      return JSON.parse(line) as { step_ms: number[]; cpu_ms: number[] };
    },
    close() {
      child.stdin.end();
    },
  };
}

async function main(): Promise<void> {
  const report = await selectBackend(opt('backend', 'auto') as BackendChoice);
  const data = await loadDataset({ name: 'mnist', limit: { train: BATCH * 4, test: 10 } });
  const batch = data.train.batch(Array.from({ length: BATCH }, (_, i) => i));
  const plain = await Trainer.create(config(), { dataset: data });
  const f4 = await Trainer.create(
    config({ regularizer: { kind: 'f4-min', beta: 0.01, powerIterInit: 50, powerIterPerStep: 1 } }),
    { dataset: data },
  );
  // The differentiable Gram iteration bound (issue 14), measured the same way beside F4.
  const gram = await Trainer.create(config({ regularizer: { kind: 'gram-iteration', beta: 0.01 } }), { dataset: data });

  const dir = mkdtempSync(path.join(os.tmpdir(), 'slab-train-bench-'));
  try {
    writeReference(dir, plain, batch);
    let step = 1;
    const firstLoss = (await plain.trainOnBatch(batch, step++)).ce;
    for (let i = 0; i < 2; i++) await plain.trainOnBatch(batch, step++);
    for (let i = 1; i <= 3; i++) await f4.trainOnBatch(batch, i);
    for (let i = 1; i <= 3; i++) await gram.trainOnBatch(batch, i);

    const torch1 = await startTorch(dir, 1);
    const torchN = await startTorch(dir, 0);
    const servers = [torch1, torchN].filter((t): t is TorchServer => typeof t !== 'string');

    // Rounds: a block of tfjs steps (plain and F4 alternating, so drifts hit both alike; each timed as wall clock
    // and as this process's CPU time), then a block of each PyTorch reference.
    const tPlain: number[] = [];
    const tF4: number[] = [];
    const cPlain: number[] = [];
    const cF4: number[] = [];
    const tGram: number[] = [];
    const cGram: number[] = [];
    let gstep = 4;
    const torchWall = servers.map(() => [] as number[]);
    const torchCpu = servers.map(() => [] as number[]);
    const roundRatios = servers.map(() => [] as number[]);
    let fstep = 4;
    const timed = async (t: Trainer, s: number, wall: number[], cpu: number[]): Promise<void> => {
      const c0 = process.cpuUsage();
      wall.push((await t.trainOnBatch(batch, s)).stepMs);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
    };
    for (let r = 0; r < ROUNDS; r++) {
      const block = Math.round(((r + 1) * STEPS) / ROUNDS) - Math.round((r * STEPS) / ROUNDS);
      const from = tPlain.length;
      await settle();
      for (let i = 0; i < block; i++) {
        // Which goes first rotates, so that none always pays for another's leftovers (GC, caches).
        const runs = [
          () => timed(plain, step++, tPlain, cPlain),
          () => timed(f4, fstep++, tF4, cF4),
          () => timed(gram, gstep++, tGram, cGram),
        ];
        const first = (tPlain.length + i) % 3;
        for (let j = 0; j < 3; j++) await runs[(first + j) % 3]();
      }
      const mine = median(tPlain.slice(from));
      for (const [j, server] of servers.entries()) {
        await settle();
        const got = await server.steps(block);
        torchWall[j].push(...got.step_ms);
        torchCpu[j].push(...got.cpu_ms);
        roundRatios[j].push(median(got.step_ms) / mine);
      }
    }
    servers.forEach((t) => t.close());
    const msPlain = median(tPlain);
    const msF4 = median(tF4);
    const ips = (BATCH / msPlain) * 1000;
    const cpuPlain = median(cPlain);
    const cpuF4 = median(cF4);

    const line = (label: string, v: string): void => console.log(`  ${label.padEnd(42)} ${v}`);
    console.log(
      `train bench: mnist-cnn (206,922 params), batch ${BATCH}, SGD momentum, ${tPlain.length} timed steps in ${ROUNDS} rounds`,
    );
    line(
      'tfjs backend',
      `${report.name}${report.threads ? ` (${report.threads} thread${report.threads > 1 ? 's' : ''})` : ''}`,
    );
    line(
      'tfjs step (median wall / CPU)',
      `${msPlain.toFixed(1)} / ${cpuPlain.toFixed(1)} ms  →  ${ips.toFixed(0)} images/s (wall)`,
    );
    line('tfjs first-step loss', firstLoss.toFixed(6));
    for (const [label, t] of [
      ['PyTorch, 1 thread', torch1],
      ['PyTorch, default threads', torchN],
    ] as const) {
      if (typeof t === 'string') {
        line(label, `unavailable (${t}); install python3-torch to compare`);
        continue;
      }
      const j = servers.indexOf(t);
      const wall = median(torchWall[j]);
      const cpu = median(torchCpu[j]);
      const ratio = wall / msPlain;
      line(
        `${label} step (median wall / CPU)`,
        `${wall.toFixed(1)} / ${cpu.toFixed(1)} ms  →  ${((BATCH / wall) * 1000).toFixed(0)} images/s  (torch ${t.hello.torch})`,
      );
      line(
        `  throughput ratio tfjs / PyTorch`,
        `${ratio.toFixed(2)}x wall, ${(cpu / cpuPlain).toFixed(2)}x CPU time  (target >= 0.7x: ${ratio >= 0.7 ? 'met' : 'NOT met'})`,
      );
      line('  per round (wall)', roundRatios[j].map((x) => `${x.toFixed(2)}x`).join(' '));
      line(
        '  PyTorch first-step loss',
        `${t.hello.first_loss.toFixed(6)}  (|diff| ${Math.abs(t.hello.first_loss - firstLoss).toExponential(1)})`,
      );
    }
    line('step with F4 penalty (median wall / CPU)', `${msF4.toFixed(1)} / ${cpuF4.toFixed(1)} ms`);
    // Each F4 step runs right beside a plain one, so the median of the paired differences cancels the machine's drift
    // (a difference of medians read -3% to +6% for a regulariser that costs ~1% here).
    const paired = (a: number[], b: number[]): number => median(a.map((x, i) => x - b[i]));
    const overhead = paired(tF4, tPlain) / msPlain;
    const overheadCpu = paired(cF4, cPlain) / cpuPlain;
    line(
      'F4 regulariser overhead (wall / CPU)',
      `${(overhead * 100).toFixed(1)}% / ${(overheadCpu * 100).toFixed(1)}% of step time, median of paired steps (target < 5%: ${overhead < 0.05 ? 'met' : 'NOT met'})`,
    );
    line(
      'Gram regulariser overhead (wall / CPU)',
      `${((paired(tGram, tPlain) / msPlain) * 100).toFixed(1)}% / ${((paired(cGram, cPlain) / cpuPlain) * 100).toFixed(1)}% of step time ` +
        `(median ${median(tGram).toFixed(1)} ms; same pairing as F4)`,
    );
  } finally {
    plain.dispose();
    f4.dispose();
    gram.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : String(e));
  process.exitCode = 1;
});
