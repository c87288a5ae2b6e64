/** `spectral-lab train`: usage and config errors (exit 2, every problem listed), and one short real run into a store. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../src/main/cli/train.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'slab-cli-train-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

function capture(): { out: () => string; err: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (err.push(String(s)), true));
  return { out: () => out.join('\n'), err: () => err.join('') };
}

function file(name: string, content: string): string {
  const p = path.join(tmp, name);
  writeFileSync(p, content);
  return p;
}

describe('train CLI', () => {
  it('prints help', async () => {
    const c = capture();
    expect(await run(['--help'])).toBe(0);
    expect(c.out()).toMatch(/Usage: spectral-lab train <config.json>/);
  });

  it('refuses bad usage and bad configs with exit code 2 and every problem', async () => {
    let c = capture();
    expect(await run([])).toBe(2);
    expect(c.err()).toMatch(/missing the run config file/);
    vi.restoreAllMocks();
    c = capture();
    expect(await run([path.join(tmp, 'nope.json')])).toBe(2);
    expect(c.err()).toMatch(/cannot read .*nope\.json' \(ENOENT\)/);
    vi.restoreAllMocks();
    c = capture();
    expect(await run([file('broken.json', '{"epochs": 3,'), '--no-store'])).toBe(2);
    expect(c.err()).toMatch(/broken\.json' is not valid JSON/);
    vi.restoreAllMocks();
    c = capture();
    expect(
      await run([
        file('bad.json', JSON.stringify({ model: { arch: 'vgg' }, epochs: -1, optimizer: { kind: 'rmsprop' } })),
        '--no-store',
      ]),
    ).toBe(2);
    expect(c.err()).toMatch(/3 problems/);
    expect(c.err()).toMatch(/model\.arch: /);
    expect(c.err()).toMatch(/epochs: /);
    expect(c.err()).toMatch(/optimizer\.kind: /);
    vi.restoreAllMocks();
    c = capture();
    expect(await run(['x.json', '--backend', 'tpu'])).toBe(2);
    expect(c.err()).toMatch(/--backend 'tpu' is not one of/);
  });

  it('parses its options like the other commands (node:util parseArgs): unknown options, missing values, --opt=value', async () => {
    const cases: [string[], RegExp][] = [
      [['x.json', '--epochs', '3'], /Unknown option '--epochs'/],
      [['x.json', '--store'], /Option '--store <value>' argument missing/],
      [['a.json', 'b.json'], /one config file only \(got 'a.json' and 'b.json'\)/],
    ];
    for (const [argv, message] of cases) {
      const c = capture();
      expect(await run(argv)).toBe(2);
      expect(c.err()).toMatch(message);
      expect(c.err()).toMatch(/Run 'spectral-lab train --help' for the options/);
      vi.restoreAllMocks();
    }
    const c = capture();
    expect(await run([path.join(tmp, 'absent.json'), '--backend=wasm', '--quiet', '--no-store'])).toBe(2);
    expect(c.err()).toMatch(/cannot read .*absent\.json' \(ENOENT\)/);
  });

  it('trains a short run in the worker, records it in the store, prints the summary', async () => {
    const cfg = file(
      'tiny.json',
      JSON.stringify({
        name: 'cli tiny',
        dataset: { name: 'mnist', validationSize: 200, limitTrain: 1200, limitTest: 300 },
        model: { arch: 'lip-cnn' },
        optimizer: { kind: 'adam', lr: 0.002 },
        batchSize: 64,
        maxSteps: 12,
        regularizer: { kind: 'f4-min', beta: 0.01 },
        evaluation: { everySteps: 6, trainSubset: 300, exactNorm: false },
      }),
    );
    const store = path.join(tmp, 'store');
    const c = capture();
    const code = await run([cfg, '--backend', 'wasm', '--store', store]);
    expect(code, c.err()).toBe(0);
    const out = c.out();
    expect(out).toMatch(/status\s+completed/);
    expect(out).toMatch(/steps \/ epochs\s+12 \//);
    expect(out).toMatch(/certified @ eps 1\.5800/);
    expect(out).toMatch(/conv1\s+\d/);
    expect(c.err()).toMatch(/eval step 6 /);
    expect(c.err()).toMatch(/eval step 12 /);
    const runId = /run\s+(\S+)/.exec(out)![1];
    const { openStore } = await import('../../src/main/store/index.js');
    const s = await openStore({ dataDir: store, readonly: true });
    try {
      const rec = await s.getRun(runId);
      expect(rec.status).toBe('completed');
      const series = await s.getSeries({ runIds: [runId], names: ['train/loss', 'eval/test_acc'] });
      expect(series.series.find((x) => x.name === 'train/loss')!.x).toHaveLength(12);
      expect(series.series.find((x) => x.name === 'eval/test_acc')!.x).toEqual([6, 12]);
      expect(await s.listCheckpoints(runId)).toHaveLength(2);
    } finally {
      await s.close();
    }
  });
});
