/**
 * `spectral-lab bounds --kernels FILE --format json` as a user runs it (a real process), compared field by field
 * with the float64 reference vectors; and the bad inputs a user can hand it.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');
const vectorsPath = resolve(root, '../shared/bounds-vectors.json');

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/main/cli/index.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    env: { ...process.env, SPECTRAL_LAB_BACKEND: '' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-30);

interface RefCase {
  id: string;
  f4: { matrix_norms: Record<string, number>; min_bound: number; argmin: string };
  f4_polyphase_stride2: { min_bound: number };
  evaluations: {
    n: number;
    circular_s1_exact_fft: number;
    zero_same_s1_exact: number;
    gram_iteration_circular_s1: Record<string, number>;
  }[];
}

describe('bounds --kernels --format json against the reference vectors', () => {
  const ref = JSON.parse(readFileSync(vectorsPath, 'utf8')) as { cases: RefCase[] };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed CLI JSON, checked field by field below
  let out: Record<string, any>;

  beforeAll(() => {
    const r = cli(['bounds', '--kernels', vectorsPath, '--format', 'json', '--backend', 'cpu']);
    expect(r.stderr).toContain('backend:');
    expect(r.status, r.stderr).toBe(0);
    out = JSON.parse(r.stdout);
  }, 300_000);

  it('has every case id and agrees on every field to 1e-5', () => {
    expect(Object.keys(out).sort()).toEqual(ref.cases.map((c) => c.id).sort());
    for (const c of ref.cases) {
      const o = out[c.id];
      for (const X of ['R', 'S', 'T', 'U'])
        expect(rel(o.f4.matrix_norms[X], c.f4.matrix_norms[X]), `${c.id} ${X}`).toBeLessThan(1e-5);
      expect(rel(o.f4.min_bound, c.f4.min_bound)).toBeLessThan(1e-5);
      // Exact ties between two reshapes are legitimate; the argmin must then attain the minimum.
      expect(rel(c.f4.matrix_norms[o.f4.argmin], c.f4.matrix_norms[c.f4.argmin])).toBeLessThan(1e-9);
      expect(rel(o.f4_polyphase_stride2.min_bound, c.f4_polyphase_stride2.min_bound), `${c.id} polyphase`).toBeLessThan(
        1e-5,
      );
      expect(o.evaluations.map((e: { n: number }) => e.n)).toEqual(c.evaluations.map((e) => e.n));
      c.evaluations.forEach((e, j) => {
        const oe = o.evaluations[j];
        expect(rel(oe.circular_s1_exact_fft, e.circular_s1_exact_fft), `${c.id} n=${e.n} circular`).toBeLessThan(1e-5);
        expect(rel(oe.zero_same_s1, e.zero_same_s1_exact), `${c.id} n=${e.n} zero same`).toBeLessThan(1e-5);
        expect(oe.zero_same_s1_kind).toBe('estimate (lower)');
        for (const [t, v] of Object.entries(e.gram_iteration_circular_s1)) {
          expect(rel(oe.gram_iteration_circular_s1[t], v), `${c.id} n=${e.n} gram t=${t}`).toBeLessThan(1e-5);
        }
        expect(oe.consistent).toBe(true);
        // No upper bound below the exact value.
        expect(o.f4.min_bound).toBeGreaterThanOrEqual(e.circular_s1_exact_fft);
        expect(o.f4.min_bound).toBeGreaterThanOrEqual(e.zero_same_s1_exact);
        expect(oe.toeplitz_bound * (1 + 1e-6)).toBeGreaterThanOrEqual(e.zero_same_s1_exact);
      });
    }
  });
});

describe('bounds: bad input gets a clear error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bounds-cli-'));
  const write = (name: string, body: unknown) => {
    const p = join(dir, name);
    writeFileSync(p, typeof body === 'string' ? body : JSON.stringify(body));
    return p;
  };
  const cases: [string, string, RegExp][] = [
    ['not 4-D', write('3d.json', { cases: [{ id: 'a', weights_hwio: [[[1, 2]]] }] }), /4-D/],
    ['Inf weight', write('inf.json', '{"cases":[{"id":"a","weights_hwio":[[[[1e999]]]]}]}'), /Infinity.*finite/],
    [
      'null weight (NaN in JSON)',
      write('nan.json', { cases: [{ id: 'a', weights_hwio: [[[[null]]]] }] }),
      /W\[0\]\[0\]\[0\]\[0\] is null\. JSON\.stringify writes NaN and Infinity as null/,
    ],
    [
      'zero input channels',
      write('c0.json', {
        cases: [
          {
            id: 'a',
            weights_hwio: [
              [[], []],
              [[], []],
            ],
          },
        ],
      }),
      /c_in = 0 .*at least one input channel/,
    ],
    [
      'weights of 1e308',
      write('big.json', { cases: [{ id: 'a', weights_hwio: [[[[1e308, 1]]]] }] }),
      /is 1e\+308; weights above 1e\+100 overflow double precision.*Divide the kernel by a scale/,
    ],
    [
      'cases sharing an id',
      write('dup.json', {
        cases: [
          { id: 'a', weights_hwio: [[[[1]]]] },
          { id: 'a', weights_hwio: [[[[2]]]] },
        ],
      }),
      /cases 0 and 1 share the id 'a'/,
    ],
    [
      'n = 100000, refused before allocating',
      write('huge.json', {
        cases: [
          {
            id: 'a',
            weights_hwio: [
              [
                [
                  [1, 2],
                  [3, 4],
                ],
              ],
            ],
            evaluations: [{ n: 100_000 }],
          },
        ],
      }),
      /at n = 100000: .* would need about \d+ GB .*Use n <= \d+/,
    ],
    [
      'n smaller than kernel',
      write('n.json', { cases: [{ id: 'a', weights_hwio: [[[[1]], [[1]], [[1]]]], evaluations: [{ n: 2 }] }] }),
      /smaller than/,
    ],
    [
      'mismatched channels',
      write('ragged.json', { cases: [{ id: 'a', weights_hwio: [[[[1, 2], [3]]]] }] }),
      /mismatched channels/,
    ],
    ['unreadable file', join(dir, 'missing.json'), /cannot read kernel file.*ENOENT/],
    ['not JSON', write('bad.json', '{ nope'), /not valid JSON/],
  ];
  for (const [what, file, msg] of cases) {
    it(
      what,
      () => {
        const r = cli(['bounds', '--kernels', file, '--format', 'json', '--backend', 'cpu']);
        expect(r.status).not.toBe(0);
        expect(r.stderr).toMatch(msg);
        expect(r.stdout).toBe('');
      },
      60_000,
    );
  }
});
