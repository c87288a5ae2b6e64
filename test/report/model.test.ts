/** The numbers of the paper tables, from hand-made run data (no store). */
import { describe, expect, test } from 'vitest';
import {
  EMPTY_HEADLINE,
  type FinalLayerBound,
  type LayerRecord,
  type RunRecord,
  type RunSummary,
} from '../../src/shared/records.js';
import {
  compareLayerNames,
  layerBoundsTable,
  layerRows,
  runRow,
  summaryTable,
  tableToLatex,
  tableToMarkdown,
  type ReportRun,
} from '../../src/main/report/index.js';

function bounds(step: number, layers: Record<string, Record<string, number>>): FinalLayerBound[] {
  return Object.entries(layers).flatMap(([layer, m]) =>
    Object.entries(m).map(([method, value]) => ({
      layer,
      method,
      kind: method === 'sedghi-exact' ? ('exact' as const) : ('upper' as const),
      step,
      value,
    })),
  );
}

interface FakeRun {
  id: string;
  name: string;
  regulariser: string | null;
  beta?: number;
  metrics?: Record<string, number>;
  certified?: [number, number][];
  layers?: Record<string, Record<string, number>>;
  modelLayers?: LayerRecord[];
}

function fakeRun(over: FakeRun): ReportRun {
  const record = {
    id: over.id,
    name: over.name,
    status: 'completed',
    backend: 'wasm',
    config: { regularizer: { kind: over.regulariser ?? 'none', beta: over.beta ?? 0 } },
    configHash: 'x'.repeat(64),
    createdAt: 0,
    startedAt: 0,
    endedAt: 1,
    heartbeatAt: null,
    pid: null,
    host: null,
    error: null,
    reason: null,
    environment: null,
    notes: '',
    tags: [],
    lastStep: 100,
    dataset: 'cifar10',
    model: 'lip-cnn',
    regulariser: over.regulariser,
    beta: null,
    headline: EMPTY_HEADLINE,
    progress: null,
  } satisfies RunRecord;
  const metrics = Object.entries(over.metrics ?? {}).map(([name, last]) => ({
    name,
    last,
    lastStep: 100,
    min: last,
    minStep: 100,
    max: last,
    maxStep: 100,
    goal: 'max' as const,
    best: last,
    bestStep: 100,
    points: 1,
  }));
  const summary: RunSummary = {
    run: record,
    metrics,
    accuracy: null,
    finalBounds: [],
    certified: (over.certified ?? []).map(([eps, accuracy]) => ({ step: 100, eps, accuracy, pairwise: null })),
  };
  const b = bounds(100, over.layers ?? {});
  const layers = { runId: over.id, step: b.length ? 100 : null, availableSteps: b.length ? [100] : [], bounds: b };
  return { record, summary, layers, modelLayers: over.modelLayers ?? [], cert: [], series: [], boundHistory: [] };
}

describe('layer order', () => {
  test('numbers compare as numbers, classifier heads last', () => {
    const names = ['fc', 'layer1.10.conv1', 'conv1', 'layer1.2.conv1', 'layer2.0.conv1', 'conv10', 'conv2'];
    expect([...names].sort(compareLayerNames)).toEqual([
      'conv1',
      'conv2',
      'conv10',
      'layer1.2.conv1',
      'layer1.10.conv1',
      'layer2.0.conv1',
      'fc',
    ]);
  });
});

describe('layers the store knows the model of', () => {
  const layer = (
    name: string,
    index: number,
    kernelShape: [number, number, number, number],
    stride: number,
    inputSize: [number, number],
  ): LayerRecord => ({
    runId: 'm',
    index,
    name,
    kind: 'conv',
    kernelShape,
    stride,
    padding: 'same',
    inputSize,
  });
  const run = fakeRun({
    id: 'm',
    name: 'm',
    regulariser: null,
    layers: { conv1: { f4: 2, 'sedghi-exact': 1 }, zeta: { f4: 3 }, alpha: { f4: 1 }, unknown: { f4: 4 } },
    modelLayers: [
      layer('conv1', 0, [3, 3, 1, 16], 1, [28, 28]),
      layer('zeta', 1, [4, 4, 16, 32], 2, [28, 14]),
      layer('alpha', 2, [1, 1, 32, 10], 1, [1, 1]),
    ],
  });

  test('rows follow the model order, layers it does not list come last', () => {
    expect(layerRows(run.layers, run.modelLayers).map((l) => l.layer)).toEqual(['conv1', 'zeta', 'alpha', 'unknown']);
  });

  test('kernel and input size columns', () => {
    const t = layerBoundsTable(run);
    const md = tableToMarkdown(t);
    expect(md).toMatch(/\| zeta +\| 4×4, 16→32, stride 2 \| 28×14 \|/);
    expect(md).toMatch(/\| conv1 +\| 3×3, 1→16 +\| +28 \|/);
    expect(md).toMatch(/\| unknown +\| — +\| +— \|/);
    expect(tableToLatex(t)).toContain('zeta & $4{\\times}4$, 16$\\to$32, stride 2 & $28{\\times}14$ &');
  });
});

describe('layerRows', () => {
  const run = fakeRun({
    id: 'r1',
    name: 'r',
    regulariser: null,
    layers: {
      conv1: { 'f4-R': 2, 'f4-S': 1.5, 'f4-T': 3, 'f4-U': 2.5, f4: 1.5, 'sedghi-exact': 1.2, 'operator-power': 1.1 },
      conv2: { 'f4-R': 4, 'f4-S': 5, 'f4-T': 3.2, 'f4-U': 6, 'sedghi-exact': 0 },
    },
  });
  test('argmin is the smallest reshape; F4 over the operator estimate of a zero-padded layer; a missing f4 is the min of the four', () => {
    const [a, b] = layerRows(run.layers);
    expect(a).toMatchObject({
      layer: 'conv1',
      R: 2,
      S: 1.5,
      T: 3,
      U: 2.5,
      f4: 1.5,
      argmin: 'S',
      exact: 1.2,
      operator: 1.1,
      ratioAgainst: 'operator-power',
    });
    // Not F4 / exact (1.25): the circular stride-1 norm describes another operator than a zero-padded layer.
    expect(a.ratio).toBeCloseTo(1.5 / 1.1, 12);
    expect(b).toMatchObject({ layer: 'conv2', f4: 3.2, argmin: 'T', exact: 0, operator: null, ratio: null });
  });
  test("shows the strided layer's upper bounds that were stored, headed as the registry names them", () => {
    const strided = fakeRun({
      id: 'r2',
      name: 's',
      regulariser: null,
      layers: {
        conv1: {
          f4: 3,
          'f4-polyphase': 1.6,
          certified: 1.6,
          'toeplitz-norm2toep': 2.2,
          'sedghi-exact': 2.5,
          'operator-power': 1.5,
        },
      },
    });
    const [row] = layerRows(strided.layers);
    expect(row).toMatchObject({
      polyphase: 1.6,
      certified: 1.6,
      toeplitz: 2.2,
      gram: null,
      ratioAgainst: 'operator-power',
    });
    const md = tableToMarkdown(layerBoundsTable(strided));
    expect(md).toMatch(/\| F4 poly +\| certified +\| Toeplitz +\| Exact \(circ, s=1\) +\|/);
    expect(md).not.toContain('Gram');
  });
  test('the per-layer table shows them', () => {
    const md = tableToMarkdown(layerBoundsTable(run));
    expect(md).toMatch(
      /\| conv1 +\| +2\.000 \| +1\.500 \| +3\.000 \| +2\.500 \| +1\.500 \| S +\| +1\.200 \| +1\.100 \| +1\.364 \|/,
    );
    expect(md).toContain('step 100');
  });
});

describe('summary', () => {
  const a = fakeRun({
    id: 'a',
    name: 'same',
    regulariser: 'f4-min',
    beta: 0.01,
    metrics: { 'eval/test_acc': 0.9, 'eval/lipschitz': 42.5 },
    certified: [
      [36 / 255, 0.6],
      [72 / 255, 0.4],
    ],
    layers: { c1: { f4: 2, 'sedghi-exact': 1 }, c2: { f4: 1.5, 'sedghi-exact': 1 } },
  });
  const b = fakeRun({ id: 'b', name: 'same', regulariser: 'none', beta: 0.5, certified: [[36 / 255 + 1e-13, 0.3]] });

  test('run row: beta only with a regulariser, ratios over layers, last clean accuracy', () => {
    const ra = runRow(a);
    expect(ra).toMatchObject({ beta: 0.01, cleanAcc: 0.9, lipschitz: 42.5, ratioMax: 2, backend: 'wasm' });
    expect(ra.ratioMean).toBeCloseTo(1.75, 12);
    expect(runRow(b).beta).toBeNull();
  });

  test('one column per radius (float noise merged), duplicate names disambiguated', () => {
    const t = summaryTable([runRow(a), runRow(b)]);
    const md = tableToMarkdown(t);
    expect(md.match(/ε=36\/255/g)).toHaveLength(1);
    expect(md).toContain('ε=72/255');
    expect(md).toContain('same (a)');
    expect(md).toContain('same (b)');
    const rowB = md.split('\n').find((l) => l.includes('same (b)')) as string;
    expect(rowB.split('|').map((c) => c.trim())).toEqual([
      '',
      'same (b)',
      'cifar10',
      'lip-cnn',
      'none',
      '—',
      '—',
      '30.0',
      '—',
      '—',
      '—',
      '—',
      'wasm',
      '',
    ]);
  });
});
