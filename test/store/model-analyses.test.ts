/** Schema version 9: analyses of imported networks stored, listed newest first, read back whole, deleted. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/main/store/store.js';
import type { ModelAnalysis } from '../../src/shared/model-analysis.js';

const analysis = (file: string, L: number | null): ModelAnalysis => ({
  model: { file, format: 'onnx', opset: 17, input_name: 'input', input_shape: [1, 4, 4], output_name: 'y' },
  layers: [],
  nodes: [],
  lipschitz_upper_bound: L,
  lipschitz_covers: { complete: L !== null, up_to: 'y', bound: L ?? 2, description: 'test' },
  unsupported: [],
  notes: [],
  total_time_ms: 1,
});

describe('model analyses in the store (migration 9)', () => {
  it('add, list, get, remove; survives reopening', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'store-models-'));
    let store = await openStore({ dataDir: dir });
    const a = await store.modelAnalyses.add('net.onnx', analysis('/x/net.onnx', 3.5), 1000);
    const b = await store.modelAnalyses.add('partial.onnx', analysis('/x/partial.onnx', null), 2000);
    await store.close();
    store = await openStore({ dataDir: dir });
    expect((await store.modelAnalyses.list()).map((s) => [s.id, s.name, s.lipschitz])).toEqual([
      [b.id, 'partial.onnx', null],
      [a.id, 'net.onnx', 3.5],
    ]);
    const got = await store.modelAnalyses.get(a.id);
    expect(got?.analysis.model.file).toBe('/x/net.onnx');
    expect(await store.modelAnalyses.get('model-unknown')).toBeNull();
    expect(await store.modelAnalyses.remove(a.id)).toBe(true);
    expect(await store.modelAnalyses.remove(a.id)).toBe(false);
    expect((await store.modelAnalyses.list()).map((s) => s.id)).toEqual([b.id]);
    await store.close();
  });
});
