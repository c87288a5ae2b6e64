/** Regulariser kinds: every kind of the schema builds, an unknown one fails. */
import { describe, expect, it } from 'vitest';
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
