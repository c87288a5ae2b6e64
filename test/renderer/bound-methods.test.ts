/**
 * The registry of bound methods (src/shared/bound-methods.ts): each method's validity as a function of the layer
 * geometry, the one consistency rule on real bounds of a strided layer, the certified choice, and that a method
 * added to the registry reaches the CLI columns, the API enum and the UI legend with no other edit.
 */
import { describe, expect, it } from 'vitest';
import {
  BOUND_METHODS,
  BOUND_METHOD_IDS,
  boundViolations,
  certifiedChoice,
  methodSpec,
  tightnessReference,
  validityOf,
  type BoundMethodSpec,
  type MethodGeometry,
} from '../../src/shared/bound-methods.js';
import { reportResults } from '../../src/shared/bounds.js';
import { computeLayerBounds } from '../../src/main/engine/bounds/layer-report.js';
import { formatLayerTables } from '../../src/main/cli/bounds-format.js';
import { boundMethodEnum } from '../../src/main/app/args.js';
import { methodLegend } from '../../src/renderer/src/lib/series-names.js';
import { layerTableColumns } from '../../src/renderer/src/lib/layer-rows.js';
import type { LayerBoundsRow } from '../../src/shared/api.js';

const spec = (id: string): BoundMethodSpec => {
  const s = methodSpec(id);
  if (!s) throw new Error(`no ${id}`);
  return s;
};
const geo = (over: Partial<MethodGeometry> = {}): MethodGeometry => ({
  kind: 'conv',
  padding: 'same',
  stride: 1,
  n: 8,
  ...over,
});
const PADDINGS = ['same', 'valid', 'circular'] as const;
const bounds = (id: string, g: MethodGeometry) => spec(id).atLeast(g);

describe('registry: each method once', () => {
  it('has unique ids, orders and colours, and hex colours', () => {
    expect(new Set(BOUND_METHOD_IDS).size).toBe(BOUND_METHODS.length);
    expect(new Set(BOUND_METHODS.map((m) => m.order)).size).toBe(BOUND_METHODS.length);
    expect(new Set(BOUND_METHODS.map((m) => m.color.toLowerCase())).size).toBe(BOUND_METHODS.length);
    for (const m of BOUND_METHODS) expect(m.color).toMatch(/^#[0-9A-Fa-f]{6}$/);
  });
});

describe('registry: validity by stride, padding, dilation, groups', () => {
  it('F4 (Theorem 1) bounds the layer at every padding, stride and dilation, and the circular stride-1 operator; not grouped kernels', () => {
    for (const padding of PADDINGS)
      for (const stride of [1, 2, 3])
        for (const dilation of [1, 2]) {
          const g = geo({ padding, stride, dilation });
          expect(spec('f4').appliesTo(g)).toBe(true);
          expect(bounds('f4', g)).toEqual(expect.arrayContaining(['layer', 'circular-s1']));
        }
    expect(spec('f4').appliesTo(geo({ groups: 2 }))).toBe(false);
    expect(validityOf('f4', geo({ stride: 2 }))).toEqual({ padding: 'any', stride: 2 });
  });
  it('F4 polyphase is for strided layers only and bounds only the strided operator', () => {
    expect(spec('f4-polyphase').appliesTo(geo({ stride: 1 }))).toBe(false);
    for (const padding of PADDINGS) {
      const g = geo({ padding, stride: 2 });
      expect(spec('f4-polyphase').appliesTo(g)).toBe(true);
      expect(bounds('f4-polyphase', g)).toEqual(['layer']);
    }
    expect(spec('f4-polyphase').appliesTo(geo({ stride: 2, groups: 4 }))).toBe(false);
  });
  it('Gram iteration bounds the circular stride-1 operator; the layer only when it is circular; no dilation or groups', () => {
    expect(bounds('gram-iteration', geo({ padding: 'same' }))).toEqual(['circular-s1']);
    expect(bounds('gram-iteration', geo({ padding: 'valid', stride: 2 }))).toEqual(['circular-s1']);
    expect(bounds('gram-iteration', geo({ padding: 'circular', stride: 2 }))).toContain('layer');
    expect(spec('gram-iteration').appliesTo(geo({ dilation: 2 }))).toBe(false);
    expect(spec('gram-iteration').appliesTo(geo({ groups: 2 }))).toBe(false);
    expect(validityOf('gram-iteration', geo())).toEqual({ padding: 'circular', stride: 1, n: 8 });
  });
  it('the Toeplitz bound holds at zero and circular padding, every stride and dilation', () => {
    for (const padding of PADDINGS)
      for (const stride of [1, 2])
        for (const dilation of [1, 3]) {
          expect(bounds('toeplitz-norm2toep', geo({ padding, stride, dilation }))).toEqual(
            expect.arrayContaining(['layer', 'circular-s1']),
          );
        }
    expect(spec('toeplitz-norm2toep').appliesTo(geo({ groups: 2 }))).toBe(false);
    expect(validityOf('toeplitz-norm2toep', geo({ stride: 2 }))).toEqual({ padding: 'any', stride: 2 });
  });
  it('the exact circular norm is the layer’s norm only for a circular stride-1 undilated layer', () => {
    expect(spec('sedghi-exact').operator(geo({ padding: 'circular' }))).toBe('layer');
    expect(spec('sedghi-exact').operator(geo({ padding: 'circular', dilation: 2 }))).toBe('circular-s1');
    expect(spec('sedghi-exact').operator(geo({ padding: 'circular', stride: 2 }))).toBe('circular-s1');
    expect(spec('sedghi-exact').operator(geo({ padding: 'same', stride: 1 }))).toBe('circular-s1');
    // A strided circular layer keeps a subset of the rows: the stride-1 norm bounds it from above, never below.
    expect(spec('sedghi-exact').atLeast(geo({ padding: 'circular', stride: 2 }))).toContain('layer');
    expect(spec('sedghi-exact').atMost(geo({ padding: 'circular', stride: 2 }))).not.toContain('layer');
    expect(spec('sedghi-exact').atMost(geo({ padding: 'same', stride: 2 }))).toEqual(['circular-s1']);
    expect(validityOf('sedghi-exact', geo({ padding: 'valid', stride: 2 }))).toEqual({
      padding: 'circular',
      stride: 1,
      n: 8,
    });
  });
  it('the operator estimate is a lower value of the layer as it runs, at its padding and stride', () => {
    for (const padding of PADDINGS)
      expect(spec('operator-power').atMost(geo({ padding, stride: 2 }))).toEqual(['layer']);
    expect(validityOf('operator-power', geo({ padding: 'valid', stride: 2 }))).toEqual({
      padding: 'zero-valid',
      stride: 2,
      n: 8,
    });
    expect(validityOf('operator-power', geo({ padding: 'circular' }))).toEqual({
      padding: 'circular',
      stride: 1,
      n: 8,
    });
  });
  it('the dense exact norm is for dense layers only', () => {
    expect(spec('dense-exact').appliesTo(geo())).toBe(false);
    expect(spec('dense-exact').appliesTo(geo({ kind: 'dense' }))).toBe(true);
  });
});

describe('registry: one consistency rule, references of the same operator', () => {
  // A strided, zero-padded layer (Lip-CNN's conv1 runs 3x3 at stride 2): real bounds from the engine.
  const kernel = {
    shape: [3, 3, 3, 8] as [number, number, number, number],
    data: Float64Array.from({ length: 216 }, (_, i) => Math.sin(i * 1.7) + 0.3 * Math.cos(i * 0.37)),
  };
  const report = computeLayerBounds(
    'conv1',
    kernel,
    { n: 16, stride: 2, padding: 'same' },
    { methods: ['exact', 'gram', 'toeplitz', 'operator'], operatorIterations: 200 },
  );
  const g = geo({ n: 16, stride: 2 });
  const values = reportResults(report);
  const value = (m: string) => values.find((v) => v.method === m)?.value ?? NaN;

  it('finds no violation in the real bounds of a strided layer, whose stride-1 circular norm lies above its certified bound', () => {
    expect(report.violations).toEqual([]);
    expect(report.consistent).toBe(true);
    expect(boundViolations(values, g)).toEqual([]);
    const certified = certifiedChoice(values, g);
    expect(certified).not.toBeNull();
    expect(certified?.value).toBeGreaterThanOrEqual(value('operator-power') * (1 - 1e-6));
    // The situation of issue 10: the circular stride-1 norm is above the certified bound of the strided layer.
    expect(value('sedghi-exact')).toBeGreaterThan(certified?.value ?? Infinity);
  });
  it('judges the tightness of an upper bound against the operator estimate of the layer, not the circular norm', () => {
    const ref = tightnessReference('f4-polyphase', values, g);
    expect(ref).toMatchObject({ method: 'operator-power', operator: 'layer' });
    expect(tightnessReference('f4', values, g)).toMatchObject({ method: 'operator-power', operator: 'layer' });
    expect(tightnessReference('gram-iteration', values, g)).toMatchObject({
      method: 'sedghi-exact',
      operator: 'circular-s1',
    });
    // For a circular stride-1 layer the exact circular norm is the layer's exact norm and is preferred.
    expect(tightnessReference('f4', values, geo({ padding: 'circular', n: 16 }))).toMatchObject({
      method: 'sedghi-exact',
      operator: 'layer',
    });
  });
  it('flags an upper bound below the operator estimate, and an F4 below the circular norm it bounds', () => {
    const injected = [
      ...values.filter((v) => v.method !== 'f4-polyphase'),
      { method: 'f4-polyphase', value: value('operator-power') * 0.5 },
    ];
    const v = boundViolations(injected, g);
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({ method: 'f4-polyphase', against: 'operator-power', operator: 'layer' });
    const lowF4 = [...values.filter((x) => x.method !== 'f4'), { method: 'f4', value: value('sedghi-exact') * 0.99 }];
    expect(boundViolations(lowF4, g).map((x) => x.against)).toContain('sedghi-exact');
    // The stored certified bound is judged like any upper bound of the layer.
    expect(
      boundViolations([...values, { method: 'certified', value: value('operator-power') * 0.9 }], g).map(
        (x) => x.method,
      ),
    ).toEqual(['certified']);
  });
  it('chooses the certified bound among bounds of the layer only: Gram iteration only for circular layers', () => {
    const vals = [
      { method: 'f4', value: 5 },
      { method: 'gram-iteration', value: 2 },
      { method: 'sedghi-exact', value: 1.9 },
      { method: 'operator-power', value: 1 },
    ];
    expect(certifiedChoice(vals, geo({ padding: 'same' }))).toEqual({ method: 'f4', value: 5 });
    expect(certifiedChoice(vals, geo({ padding: 'circular', stride: 2 }))).toEqual({
      method: 'gram-iteration',
      value: 2,
    });
    expect(
      certifiedChoice([...vals, { method: 'toeplitz-norm2toep', value: 3 }], geo({ padding: 'valid', stride: 2 })),
    ).toEqual({ method: 'toeplitz-norm2toep', value: 3 });
  });
});

describe('registry: a new method reaches every consumer without other edits', () => {
  const fake: BoundMethodSpec = {
    id: 'fake-bound',
    label: 'Fake bound (test)',
    column: 'FAKE',
    paper: 'a test entry',
    kind: 'upper bound',
    order: 4.5,
    computed: true,
    color: '#123456',
    appliesTo: () => true,
    operator: () => 'layer',
    atLeast: () => ['layer'],
    atMost: () => [],
  };
  const registry = [...BOUND_METHODS, fake];

  it('shows up in the CLI columns', () => {
    const kernel = {
      shape: [3, 3, 2, 2] as [number, number, number, number],
      data: Float64Array.from({ length: 36 }, (_, i) => Math.cos(i)),
    };
    const r = computeLayerBounds('c', kernel, { n: 8, stride: 1, padding: 'same' }, { methods: ['operator'] });
    const header = (reg?: readonly BoundMethodSpec[]) => formatLayerTables([r], reg).split('\n')[0];
    expect(header(registry)).toContain('FAKE');
    expect(header()).not.toContain('FAKE');
    expect(formatLayerTables([r], registry)).toContain('FAKE = Fake bound (test), upper bound: a test entry.');
  });
  it('shows up in the API enum', () => {
    expect(boundMethodEnum(registry).safeParse('fake-bound').success).toBe(true);
    expect(boundMethodEnum().safeParse('fake-bound').success).toBe(false);
    for (const id of BOUND_METHOD_IDS) expect(boundMethodEnum().safeParse(id).success).toBe(true);
  });
  it('shows up in the UI legend and the per-layer table columns, and is judged by the rule', () => {
    expect(methodLegend(registry)).toContainEqual({
      id: 'fake-bound',
      label: 'Fake bound (test)',
      color: '#123456',
      kind: 'upper',
    });
    expect(methodLegend().map((m) => m.id)).not.toContain('fake-bound');
    const row: LayerBoundsRow = {
      layer: 'c',
      index: 0,
      kernelShape: [3, 3, 2, 2],
      bounds: [
        {
          method: 'operator-power',
          value: 2,
          kind: 'estimate (lower)',
          validFor: { padding: 'zero-same', stride: 1 },
          iterations: 10,
          timeMs: 1,
        },
        {
          method: 'fake-bound' as never,
          value: 1,
          kind: 'upper bound',
          validFor: { padding: 'any', stride: 1 },
          iterations: 0,
          timeMs: 0,
        },
      ],
    };
    expect(layerTableColumns([row], registry).map((c) => c.id)).toEqual(['fake-bound', 'operator-power']);
    expect(
      boundViolations(
        [
          { method: 'fake-bound', value: 1 },
          { method: 'operator-power', value: 2 },
        ],
        geo(),
        1e-6,
        registry,
      ),
    ).toHaveLength(1);
  });
});
