/**
 * The two whole-command targets of issue 14, timed as a user meets them: `npm run bounds` (every method, < 15 s)
 * and the certified F4 of the 17 layers (< 1 s, the F4 column of `bounds --workers 1`, F4 with its helper thread).
 * Each runs in fresh processes (module loading, kernel compilation and JIT warm-up included), several times,
 * because this shared VM's speed drifts between minutes; the verdict is on the median. The certified F4 is also
 * timed warm, in this process, to show how much of the fresh figure is first-call cost.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KernelHWIO } from '../src/shared/bounds.js';
import { f4Bound } from '../src/main/engine/bounds/methods/f4.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The README's command itself, npm's own start-up included (~0.15 s); --silent keeps npm's banner off stdout. */
const BOUNDS = ['run', '--silent', 'bounds', '--'];

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

/** One `npm run bounds` (extra arguments after --): wall and CPU seconds, its stdout, and whether it exited 0. */
function runBounds(extra: string[]): { wall: number; cpu: number; ok: boolean; stdout: string } {
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %e %U %S', 'npm', ...BOUNDS, ...extra], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+)/.exec(r.stderr ?? '');
  if (!m) return { wall: NaN, cpu: NaN, ok: false, stdout: '' };
  return { wall: Number(m[1]), cpu: Number(m[2]) + Number(m[3]), ok: r.status === 0, stdout: r.stdout };
}

/** `npm run bounds` `repeats` times: the lines to print (every run, the median, the verdict). */
export function benchBoundsCommand(repeats: number, verdict: (ok: boolean) => string): string[] {
  const runs = Array.from({ length: repeats }, () => runBounds([]));
  const walls = runs.map((r) => r.wall);
  const failed = runs.some((r) => !r.ok) ? ' (a run failed or reported an inconsistency)' : '';
  return [
    `npm run bounds (17 layers, every method), ${repeats} fresh runs: ` +
      runs.map((r) => `${r.wall.toFixed(1)} s wall / ${r.cpu.toFixed(1)} s CPU`).join(', ') +
      failed,
    `  median ${median(walls).toFixed(1)} s wall; target < 15 s: ${verdict(median(walls) < 15 && !failed)}`,
  ];
}

/** The certified F4 of the 17 layers: fresh processes (`bounds --methods exact --workers 1`) and warm passes here. */
export function benchCertifiedF4(kernels: KernelHWIO[], repeats: number, verdict: (ok: boolean) => string): string[] {
  const fresh = Array.from({ length: repeats }, () => {
    const r = runBounds(['--methods', 'exact', '--workers', '1', '--format', 'json']);
    const layers = JSON.parse(r.stdout.slice(r.stdout.indexOf('['))) as { f4: { timeMs: number } }[];
    return layers.reduce((s, l) => s + l.f4.timeMs, 0) / 1000;
  });
  const warm = Array.from({ length: repeats + 1 }, () => kernels.reduce((s, k) => s + f4Bound(k).timeMs, 0) / 1000);
  const ms = (s: number) => `${(s * 1000).toFixed(0)} ms`;
  return [
    `certified F4 (the F4 column of bounds), 17 layers, ${repeats} fresh processes: ${fresh.map(ms).join(', ')}` +
      ` (each includes its first calls: kernel compilation, helper thread start, JIT warm-up)`,
    `  in this process, warm: ${warm.slice(1).map(ms).join(', ')} (after a first pass of ${ms(warm[0])})`,
    `  median of the fresh runs ${ms(median(fresh))}; target < 1 s: ${verdict(median(fresh) < 1)}`,
  ];
}
