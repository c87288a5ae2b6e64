/** Regulariser kinds: every kind of the schema builds, an unknown one fails. */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import type { RunConfig } from '../../src/shared/config.js';
import { buildModel } from '../../src/main/engine/models/index.js';
import { createRegularizer } from '../../src/main/engine/train/regularizer.js';

const base = { beta: 0.01, reduce: 'sum', includeDense: false, powerIterInit: 2, powerIterPerStep: 1 };

describe('createRegularizer', () => {
  const model = buildModel('lip-cnn', { inputShape: [8, 8, 1], activation: 'relu', seed: 1, numClasses: 10 });

  it('fails on an unknown kind instead of falling through to another penalty', () => {
    const cfg = { ...base, kind: 'f4-max' } as unknown as RunConfig['regularizer'];
    expect(() => createRegularizer(model, cfg, 1)).toThrow(
      /regularizer.kind 'f4-max' is unknown; use one of none, f4-min, .*gram-iteration/,
    );
  });

  it('builds every kind of the schema, and none for kind none', () => {
    expect(createRegularizer(model, { ...base, kind: 'none' } as RunConfig['regularizer'], 1)).toBeNull();
    for (const kind of ['f4-min', 'miyato-t', 'gram-iteration'] as const) {
      const r = createRegularizer(model, { ...base, kind } as RunConfig['regularizer'], 1);
      expect(r?.layers.map((l) => l.name)).toEqual(model.linear.filter((l) => l.kind === 'conv').map((l) => l.name));
      r?.dispose();
    }
  });
});

describe('the Gram regulariser', () => {
  // mnist-cnn's convs (1 -> 16 at 28x28, 16 -> 32 at 14x14); lip-cnn's with its dense layers: 100 -> 10 on the
  // host, 512 -> 100 (past the host's work limit) on the tfjs graph.
  it.each([
    ['mnist-cnn', [28, 28, 1], false],
    ['lip-cnn', [16, 16, 1], true],
  ] as const)(
    'has the value and gradient of the whole-spectrum graph when beforeStep computed them on the host (%s, input %j, includeDense %s)',
    async (arch, inputShape, includeDense) => {
      await tf.setBackend('cpu');
      const model = buildModel(arch, { inputShape: [...inputShape], activation: 'relu', seed: 3, numClasses: 10 });
      const cfg = { ...base, kind: 'gram-iteration', includeDense } as RunConfig['regularizer'];
      const r = createRegularizer(model, cfg, 1)!;
      expect(r.layers.length).toBe(includeDense ? 4 : 2);
      const kernels = r.layers.map((l) => l.kernel as tf.Variable);
      const measure = () => tf.variableGrads(() => r.penalty(), kernels);
      const full = measure(); // no beforeStep yet: every frequency
      r.beforeStep();
      const leading = measure();
      // float64 on the host against the float32 graph: equal to float32 rounding.
      const [a0, b0] = [full.value.dataSync()[0], leading.value.dataSync()[0]];
      expect(Math.abs(b0 - a0) / a0).toBeLessThan(2e-5);
      for (const k of kernels) {
        const [a, b] = [full.grads[k.name], leading.grads[k.name]];
        expect(tf.sub(a, b).norm().dataSync()[0] / a.norm().dataSync()[0], k.name).toBeLessThan(1e-3);
      }
      // The subset is used once: the next penalty without a beforeStep is over every frequency again.
      const again = measure();
      expect(again.value.dataSync()[0]).toBe(full.value.dataSync()[0]);
      tf.dispose([
        full.value,
        leading.value,
        again.value,
        ...[full, leading, again].flatMap((m) => Object.values(m.grads)),
      ]);
      r.dispose();
    },
  );
  it('leaves a non-finite kernel to the graph: no throw before the step, a NaN penalty (the run ends as diverged)', async () => {
    await tf.setBackend('cpu');
    const model = buildModel('mnist-cnn', { inputShape: [28, 28, 1], activation: 'relu', seed: 3, numClasses: 10 });
    const r = createRegularizer(model, { ...base, kind: 'gram-iteration' } as RunConfig['regularizer'], 1)!;
    const k = r.layers[1].kernel as tf.Variable;
    const data = k.dataSync().slice();
    data[0] = NaN;
    k.assign(tf.tensor(data, k.shape));
    expect(() => r.beforeStep()).not.toThrow();
    const p = r.penalty();
    expect(Number.isNaN(p.dataSync()[0])).toBe(true);
    tf.dispose(p);
    r.dispose();
  });
});
