/**
 * `spectral-lab bounds --model FILE` as a user runs it (a real process): the JSON object the issue specifies,
 * the CSV, and a damaged file ending the process with an error naming it and nothing on stdout.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { randomWeights, writeOnnxModel } from './onnx-writer.js';

const root = resolve(__dirname, '../..');
const cli = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/main/cli/index.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
  });
const dir = mkdtempSync(join(tmpdir(), 'bounds-model-cli-'));
const W = (dims: number[], seed: number) => ({
  dims,
  data: randomWeights(
    dims.reduce((a, b) => a * b, 1),
    seed,
  ),
});
const file = writeOnnxModel(dir, 'small.onnx', {
  inputShape: ['N', 2, 8, 8],
  outputName: 'y',
  weights: { a: W([4, 2, 3, 3], 1), b: W([4, 4, 3, 3], 2), fc: W([3, 64], 3) },
  nodes: [
    { op: 'Conv', inputs: ['input', 'a'], outputs: ['c1'], name: 'stem', ints: { pads: [1, 1, 1, 1] } },
    { op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
    { op: 'Conv', inputs: ['r1', 'b'], outputs: ['c2'], name: 'down', ints: { strides: [2, 2], pads: [0, 0, 1, 1] } },
    { op: 'Flatten', inputs: ['c2'], outputs: ['f'] },
    { op: 'Gemm', inputs: ['f', 'fc'], outputs: ['y'], name: 'head', int: { transB: 1 } },
  ],
});

describe('bounds --model', () => {
  it('--format json: one object with layers in graph order, the network bound and unsupported', () => {
    const r = cli(['bounds', '--model', file, '--format', 'json', '--backend', 'cpu']);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(expect.arrayContaining(['layers', 'lipschitz_upper_bound', 'unsupported']));
    expect(out.unsupported).toEqual([]);
    const [stem, down, head] = out.layers;
    expect([stem.name, stem.op, down.name, head.name, head.op]).toEqual(['stem', 'Conv', 'down', 'head', 'Gemm']);
    expect(stem).toMatchObject({
      weight_shape: [4, 2, 3, 3],
      stride: [1, 1],
      padding: [1, 1, 1, 1],
      input_shape: [2, 8, 8],
    });
    expect(down).toMatchObject({
      weight_shape: [4, 4, 3, 3],
      stride: [2, 2],
      padding: [0, 0, 1, 1],
      input_shape: [4, 8, 8],
    });
    expect(head).toMatchObject({ weight_shape: [3, 64], input_shape: [64] });
    for (const l of [stem, down]) {
      expect(Object.keys(l.f4.matrix_norms).sort()).toEqual(['R', 'S', 'T', 'U']);
      expect(l.f4.min_bound).toBeGreaterThanOrEqual(l.certified_upper_bound);
      expect(l.certified_upper_bound).toBeGreaterThanOrEqual(l.operator_estimate * (1 - 1e-5));
    }
    expect(typeof stem.circular_s1_exact_fft).toBe('number');
    expect(down.circular_s1_exact_fft).toBeUndefined();
    expect(out.lipschitz_upper_bound).toBeCloseTo(
      stem.certified_upper_bound * down.certified_upper_bound * head.certified_upper_bound,
      10,
    );
  });

  it('--format csv: a header and one row per layer', () => {
    const r = cli(['bounds', '--model', file, '--format', 'csv', '--backend', 'cpu']);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\r\n');
    expect(lines[0].split(',').slice(0, 3)).toEqual(['name', 'op', 'weight_shape']);
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['stem', 'down', 'head']);
  });

  it('a damaged file: exit 1, an error naming the file and the problem, nothing on stdout', () => {
    const bad = join(dir, 'damaged.onnx');
    writeFileSync(bad, Buffer.from([0x08, 0x07, 0x12, 0xff, 0xff, 0xff]));
    const r = cli(['bounds', '--model', bad, '--format', 'json', '--backend', 'cpu']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/error: .*damaged\.onnx is not a readable ONNX model/);
  });
});
