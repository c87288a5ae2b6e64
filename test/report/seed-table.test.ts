/**
 * Exported tables give mean ± sd over a seed group: three runs of one experiment with seeds 0, 1, 2 and
 * one other run, written through the store API, exported as Markdown, LaTeX and HTML.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { run } from '../../src/main/cli/export.js';
import { openStore } from '../../src/main/store/index.js';
import { meanSd } from '../../src/shared/seed-groups.js';

let tmp: string;
let dataDir: string;
const ACC = [0.9, 0.92, 0.97];
const CERT = [0.5, 0.6, 0.55];
const LIP = [100, 120, 110];

async function exp(args: string[]): Promise<string> {
  let out = '';
  const stderr = { isTTY: false, write: () => true } as unknown as NodeJS.WriteStream;
  const code = await run(['--data', dataDir, ...args], { stdout: { write: (s: string) => (out += s) }, stderr });
  expect(code).toBe(0);
  return out;
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spectral-seeds-'));
  dataDir = path.join(tmp, 'data');
  const store = await openStore({ dataDir });
  try {
    const config = (seed: number, beta: number) => ({
      seed,
      dataset: { name: 'mnist' },
      model: { arch: 'mnist-cnn' },
      regularizer: { kind: 'f4-min', beta },
    });
    for (let i = 0; i < 3; i++) {
      const rec = await store.createRun({ name: `rep-${i}`, config: config(i, 0.01) });
      const w = await store.writer(rec.id);
      await w.start('wasm');
      w.scalar('eval/test_acc', 10, ACC[i], 1);
      w.scalar('eval/lipschitz', 10, LIP[i], 1);
      w.cert({ step: 10, eps: 1.58, accuracy: CERT[i], pairwise: null });
      await w.finish('completed');
      await w.close();
    }
    const other = await store.createRun({ name: 'other', config: config(0, 0.1) });
    const w = await store.writer(other.id);
    await w.start('wasm');
    w.scalar('eval/test_acc', 10, 0.5, 1);
    await w.finish('completed');
    await w.close();
  } finally {
    await store.close();
  }
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('seed groups in exported tables', () => {
  test('mean ± sd per group, named by what the runs share; a run without repeats gets no group row', async () => {
    const md = await exp(['--format', 'markdown']);
    expect(md).toContain('## Seed groups');
    const rows = md.split('\n').filter((l) => l.includes('(seeds 0, 1, 2)'));
    expect(rows).toHaveLength(1);
    const cells = rows[0]
      .split(/(?<!\\)\|/)
      .map((c) => c.trim())
      .slice(1, -1);
    const acc = meanSd(ACC) as { mean: number; sd: number };
    const cert = meanSd(CERT) as { mean: number; sd: number };
    const lip = meanSd(LIP) as { mean: number; sd: number };
    expect(cells[0]).toBe('mnist · mnist-cnn · f4-min · β=0.01 (seeds 0, 1, 2)');
    expect(cells.slice(1, 5)).toEqual([
      '3',
      `${(acc.mean * 100).toFixed(1)} ± ${(acc.sd * 100).toFixed(1)}`,
      `${(cert.mean * 100).toFixed(1)} ± ${(cert.sd * 100).toFixed(1)}`,
      `${lip.mean.toFixed(3)} ± ${lip.sd.toFixed(3)}`,
    ]);
    expect(cells[1 + 4]).toBe('—'); // no per-layer bounds: no F4/ref
    expect(md).not.toMatch(/\| other.*seeds/);
    expect(meanSd([1, 3])).toEqual({ mean: 2, sd: 1, n: 2 });
    expect(meanSd([null, Number.NaN])).toBeNull();
  });

  test('LaTeX and HTML write ± in their own typography', async () => {
    const tex = await exp(['--format', 'latex']);
    expect(tex).toContain('\\label{tab:seed-groups}');
    expect(tex).toMatch(/93\.0 \$\\pm\$ 2\.9/);
    const html = await exp(['--format', 'html']);
    expect(html).toContain('<h2>Seed groups</h2>');
    expect(html).toMatch(/93\.0&nbsp;&plusmn;&nbsp;2\.9/);
  });
});
