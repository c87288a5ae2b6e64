/**
 * The Models view's API on a real lab (real store): an ONNX file uploaded as bytes is analysed, stored, listed,
 * read back and deleted; a damaged upload is a 'bad-request' naming the file, with nothing stored; the wire
 * validates the upload's shape.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab } from '../../src/main/app/create.js';
import { buildHandlerTable } from '../../src/main/app/handlers.js';
import type { LabService } from '../../src/main/app/service.js';
import { LabError } from '../../src/shared/api.js';
import { randomWeights, writeOnnxModel } from './onnx-writer.js';

let lab: LabService;
const dir = mkdtempSync(join(tmpdir(), 'model-api-'));
const file = writeOnnxModel(dir, 'tiny.onnx', {
  inputShape: ['N', 1, 6, 6],
  outputName: 'y',
  weights: { k: { dims: [2, 1, 3, 3], data: randomWeights(18, 1) }, w: { dims: [3, 72], data: randomWeights(216, 2) } },
  nodes: [
    { op: 'Conv', inputs: ['input', 'k'], outputs: ['c'], name: 'conv', ints: { pads: [1, 1, 1, 1] } },
    { op: 'Relu', inputs: ['c'], outputs: ['r'] },
    { op: 'Flatten', inputs: ['r'], outputs: ['f'] },
    { op: 'Gemm', inputs: ['f', 'w'], outputs: ['y'], name: 'fc', int: { transB: 1 } },
  ],
});
const base64 = readFileSync(file).toString('base64');

beforeAll(async () => {
  lab = await createLab({
    dataDir: mkdtempSync(join(tmpdir(), 'model-api-store-')),
    shell: 'serve',
    presetsDir: null,
    log: () => undefined,
  });
});
afterAll(async () => {
  await lab.close();
});

describe('analyseModel / listModelAnalyses / getModelAnalysis / deleteModelAnalysis', () => {
  it('analyses an upload, stores it under the file name, and reads it back', async () => {
    const progress: string[] = [];
    const off = lab.subscribe((e) => {
      if (e.kind === 'model-analysis') progress.push(`${e.done}/${e.total} ${e.layer}`);
    });
    const r = await lab.analyseModel({ files: [{ name: 'tiny.onnx', base64 }] }, { std: [0.5] });
    off();
    // The worker reports each weight layer as it is bounded: the view's progress.
    expect(progress).toEqual(['1/2 conv', '2/2 fc']);
    expect(r.summary).toMatchObject({ name: 'tiny.onnx', format: 'onnx', layers: 2 });
    expect(r.analysis.model.file).toBe('tiny.onnx');
    expect(r.analysis.layers.map((l) => l.name)).toEqual(['conv', 'fc']);
    expect(r.analysis.input_normalization?.pixel_lipschitz_upper_bound).toBeCloseTo(
      (r.analysis.lipschitz_upper_bound as number) * 2,
      10,
    );
    expect((await lab.listModelAnalyses()).map((s) => s.id)).toEqual([r.summary.id]);
    expect((await lab.getModelAnalysis(r.summary.id)).analysis).toEqual(r.analysis);
    expect(await lab.deleteModelAnalysis(r.summary.id)).toEqual({ id: r.summary.id, deleted: true });
    await expect(lab.getModelAnalysis(r.summary.id)).rejects.toMatchObject({ code: 'not-found' });
  });

  it('a damaged upload: bad-request naming the file and the problem, nothing stored', async () => {
    const cut = readFileSync(file).subarray(0, 40).toString('base64');
    const err = await lab.analyseModel({ files: [{ name: 'cut.onnx', base64: cut }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabError);
    expect(err).toMatchObject({ code: 'bad-request' });
    expect((err as Error).message).toMatch(/^cut\.onnx is not a readable ONNX model/);
    expect(await lab.listModelAnalyses()).toEqual([]);
  });

  it('the wire refuses a malformed upload and a file name with a folder', async () => {
    const table = buildHandlerTable(lab);
    const bad = await table.get('analyseModel')?.handle([{ files: 'x' }]);
    expect(bad).toMatchObject({ ok: false, code: 'bad-request' });
    const sneaky = await table.get('analyseModel')?.handle([{ files: [{ name: '../evil.onnx', base64 }] }]);
    expect(sneaky).toMatchObject({ ok: false, code: 'bad-request' });
  });
});
