/**
 * A small run store for the export tests, written through the store's public API: two trained runs
 * (scalars, layer bounds at two evaluations, certified accuracy) and one queued run with no points.
 * The values are chosen so every derived number (F4 = min of the four, argmin, F4 over the operator estimate) is known.
 */
import { openStore } from '../../src/main/store/index.js';

export const EPS = [36 / 255, 72 / 255];

/** Per-layer values of the last evaluation of run "base": [R, S, T, U, exact, operator], in model order. */
export const BASE_LAYERS: Record<string, [number, number, number, number, number, number]> = {
  conv1: [2, 1.5, 3, 2.5, 1.2, 1.1],
  'layer1.0.conv1': [1.25, 1.3, 1.4, 1.1, 1.0, 0.9],
  conv2: [4, 5, 3.2, 6, 2.4, 2.3],
  fc1: [0.9, 0.9, 0.9, 0.9, 0.9, 0.9],
};

export interface Fixture {
  dataDir: string;
  base: string;
  reg: string;
  queued: string;
}

export async function buildFixture(dataDir: string): Promise<Fixture> {
  const store = await openStore({ dataDir });
  try {
    const base = await store.createRun({
      name: 'baseline_50% & #1',
      config: {
        name: 'b',
        dataset: { name: 'mnist' },
        model: { arch: 'mnist-cnn' },
        regularizer: { kind: 'none', beta: 0 },
      },
    });
    const reg = await store.createRun({
      name: 'F4 β=0.01, "quoted"',
      config: {
        name: 'r',
        dataset: { name: 'cifar10' },
        model: { arch: 'lip-cnn' },
        regularizer: { kind: 'f4-min', beta: 0.01 },
      },
      notes: 'line one\nline two',
    });
    const queued = await store.createRun({ name: 'waiting', config: { dataset: { name: 'mnist' } } });

    const w = await store.writer(base.id);
    await w.start('wasm');
    // Model order differs from name order: the report must follow the model.
    await w.layers([
      {
        name: 'conv1',
        kind: 'conv',
        kernelShape: [3, 3, 1, 16],
        stride: 1,
        padding: 'same',
        inputSize: [28, 28],
        index: 0,
      },
      {
        name: 'layer1.0.conv1',
        kind: 'conv',
        kernelShape: [3, 3, 16, 16],
        stride: 1,
        padding: 'same',
        inputSize: [28, 28],
        index: 1,
      },
      {
        name: 'conv2',
        kind: 'conv',
        kernelShape: [3, 3, 16, 32],
        stride: 2,
        padding: 'same',
        inputSize: [28, 28],
        index: 2,
      },
      {
        name: 'fc1',
        kind: 'dense',
        kernelShape: [1, 1, 6272, 10],
        stride: 1,
        padding: 'valid',
        inputSize: [1, 1],
        index: 3,
      },
    ]);
    for (let s = 0; s <= 200; s++) w.scalar('train/loss', s, 2 / (s + 1), s / 100, 1_700_000_000_000 + s * 1000);
    for (const s of [100, 200]) {
      const late = s === 200;
      w.scalar('eval/test_acc', s, late ? 0.9125 : 0.8, s / 100);
      w.scalar('eval/lipschitz', s, late ? 12345.6 : 20000, s / 100);
      for (const [layer, v] of Object.entries(BASE_LAYERS)) {
        const k = late ? 1 : 2;
        (['R', 'S', 'T', 'U'] as const).forEach((m, i) =>
          w.bound({ layer, method: `f4-${m}`, kind: 'upper', step: s, value: v[i] * k }),
        );
        w.bound({ layer, method: 'f4', kind: 'upper', step: s, value: Math.min(...v.slice(0, 4)) * k });
        w.bound({ layer, method: 'certified', kind: 'upper', step: s, value: Math.min(...v.slice(0, 4)) * k });
        w.bound({ layer, method: 'sedghi-exact', kind: 'exact', step: s, value: v[4] * k });
        w.bound({ layer, method: 'operator-power', kind: 'estimate', step: s, value: v[5] * k });
      }
      for (const eps of EPS)
        w.cert({ step: s, eps, accuracy: (late ? 0.7 : 0.5) - eps / 10, pairwise: late ? 0.75 - eps / 10 : null });
    }
    await w.finish('completed');
    await w.close();

    const w2 = await store.writer(reg.id);
    await w2.start('cpu');
    for (let s = 0; s <= 50; s++) w2.scalar('train/loss', s, 1 / (s + 1), s / 50);
    w2.scalar('eval/test_acc', 50, 0.61, 1);
    w2.bound({ layer: 'conv1', method: 'f4', kind: 'upper', step: 50, value: 0.99 });
    w2.bound({ layer: 'conv1', method: 'sedghi-exact', kind: 'exact', step: 50, value: 0.9 });
    w2.cert({ step: 50, eps: 36 / 255, accuracy: 0.4, pairwise: 0.42 });
    await w2.finish('completed');
    await w2.close();
    return { dataDir, base: base.id, reg: reg.id, queued: queued.id };
  } finally {
    await store.close();
  }
}
