/**
 * Run store throughput: metric points written per second through the batched writer, and the time to
 * read one 1,000,000-point series downsampled to 2,000 points (min/max per bucket).
 *   node --import tsx bench/store.bench.ts [--points 1000000] [--keep]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore, type Store } from '../src/main/store/index.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const POINTS = arg('--points', 1_000_000);
const BUDGET = 2000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function writeSeries(
  store: Store,
  names: string[],
  steps: number,
  withEpoch: boolean,
): Promise<{ rate: number; cpuRate: number; rows: number; id: string }> {
  const run = await store.createRun({ config: { bench: true, names } });
  const w = await store.writer(run.id);
  await w.start('bench');
  let rows = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let step = 0; step < steps; step++) {
    for (let k = 0; k < names.length; k++) {
      // A noisy decaying curve with rare spikes, like a training loss.
      const v = Math.exp(-step / 200_000) + 0.05 * Math.sin(step * 0.37 + k) + (step % 99_991 === 0 ? 10 : 0);
      w.scalar(names[k], step, v, withEpoch ? step / 1000 : undefined);
    }
    rows += names.length + (withEpoch ? 1 : 0);
    if ((step & 4095) === 0) await w.throttle();
  }
  await w.finish('completed');
  const s = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  await w.close();
  // CPU seconds of this process (JS thread + SQLite's thread pool): the rate on an idle machine is
  // bounded by this, and it does not depend on what else the machine is doing.
  return { rate: rows / s, cpuRate: rows / ((cpu.user + cpu.system) / 1e6), rows, id: run.id };
}

async function main(): Promise<void> {
  const load = os.loadavg()[0];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spectral-store-bench-'));
  const store = await openStore({ dataDir: dir });
  try {
    const one = await writeSeries(store, ['train/loss'], POINTS, false);
    const several = await writeSeries(
      store,
      ['train/loss', 'train/acc', 'train/ce', 'train/lr'],
      Math.floor(POINTS / 5),
      true,
    );

    const times: number[] = [];
    let returned = 0;
    for (let i = 0; i < 7; i++) {
      const t = performance.now();
      const r = await store.getSeries({ runIds: [one.id], names: ['train/loss'], budget: BUDGET });
      times.push(performance.now() - t);
      returned = r.series[0].steps.length;
      if (r.series[0].totalPoints !== POINTS)
        throw new Error(`expected ${POINTS} points stored, got ${r.series[0].totalPoints}`);
    }
    const t1 = performance.now();
    await store.getSeries({
      runIds: [one.id],
      names: ['train/loss'],
      budget: BUDGET,
      fromStep: Math.floor(POINTS / 3),
      toStep: Math.floor(POINTS / 3) + 250_000,
    });
    const zoom = performance.now() - t1;
    const t2 = performance.now();
    await store.runSummaries([one.id, several.id]);
    const summaries = performance.now() - t2;
    const bytes =
      fs.statSync(store.paths.database).size +
      (fs.statSync(`${store.paths.database}-wal`, { throwIfNoEntry: false })?.size ?? 0);

    const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
    const rows: [string, string, string, string][] = [
      [
        `write, 1 series x ${fmt(POINTS)} points`,
        `${fmt(one.rate)} points/s`,
        '>= 200,000 points/s',
        one.rate >= 200_000 ? 'ok' : 'MISS',
      ],
      [
        `write, 4 series + epoch x ${fmt(POINTS / 5)} steps`,
        `${fmt(several.rate)} points/s`,
        '>= 200,000 points/s',
        several.rate >= 200_000 ? 'ok' : 'MISS',
      ],
      ['  write, points per CPU-second (1 series / 4+epoch)', `${fmt(one.cpuRate)} / ${fmt(several.cpuRate)}`, '', ''],
      [
        `read ${fmt(POINTS)} -> ${returned} points (median of 7)`,
        `${median(times).toFixed(1)} ms`,
        '< 100 ms',
        median(times) < 100 ? 'ok' : 'MISS',
      ],
      ['  same, first (cold) / slowest', `${times[0].toFixed(1)} / ${Math.max(...times).toFixed(1)} ms`, '', ''],
      ['read a 250,000-step zoom -> <= 2,000 points', `${zoom.toFixed(1)} ms`, '', ''],
      ['run summaries of both runs', `${summaries.toFixed(1)} ms`, '', ''],
      [
        'database size',
        `${(bytes / 1e6).toFixed(1)} MB (${(bytes / (one.rows + several.rows)).toFixed(1)} B/point incl. rollup)`,
        '',
        '',
      ],
    ];
    const widths = [0, 1, 2, 3].map((c) =>
      Math.max(...rows.map((r) => r[c].length), ['metric', 'measured', 'target', ''][c].length),
    );
    const line = (r: string[]): string => r.map((x, i) => x.padEnd(widths[i])).join('  ');
    console.log(
      `Run store benchmark (sqlite3 ${(await import('sqlite3')).default.VERSION}, Node ${process.versions.node}, ${os.cpus().length} cores, ` +
        `load average at start ${load.toFixed(2)})`,
    );
    console.log(line(['metric', 'measured', 'target', '']));
    console.log(widths.map((w) => '-'.repeat(w)).join('  '));
    for (const r of rows) console.log(line(r));
  } finally {
    await store.close();
    if (!args.includes('--keep')) fs.rmSync(dir, { recursive: true, force: true });
    else console.log(`kept ${dir}`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
