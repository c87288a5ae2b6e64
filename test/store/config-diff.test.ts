import { expect, test } from 'vitest';
import { canonicalJson, jsonProblem } from '../../src/shared/canonical-json.js';
import { diffConfigValues, flattenJson } from '../../src/shared/config-diff.js';
import { configHash } from '../../src/main/store/index.js';

test('flattenJson gives dotted paths, array items by index, empty containers as leaves', () => {
  const flat = flattenJson({ a: { b: 1, c: [10, { d: true }] }, e: {}, f: [] });
  expect([...flat.entries()]).toEqual([
    ['a.b', 1],
    ['a.c.0', 10],
    ['a.c.1.d', true],
    ['e', {}],
    ['f', []],
  ]);
});

test('only the differing paths, with absent cells for missing keys', () => {
  const a = { optimizer: { lr: 0.1, kind: 'sgd' }, epochs: 10, regularizer: { kind: 'none' }, tags: ['x'] };
  const b = {
    optimizer: { lr: 0.01, kind: 'sgd' },
    epochs: 10,
    regularizer: { kind: 'f4-min', beta: 0.1 },
    tags: ['x'],
  };
  const rows = diffConfigValues([a, b]);
  expect(rows).toEqual([
    {
      path: 'optimizer.lr',
      cells: [
        { present: true, value: 0.1 },
        { present: true, value: 0.01 },
      ],
      differs: true,
    },
    {
      path: 'regularizer.kind',
      cells: [
        { present: true, value: 'none' },
        { present: true, value: 'f4-min' },
      ],
      differs: true,
    },
    { path: 'regularizer.beta', cells: [{ present: false }, { present: true, value: 0.1 }], differs: true },
  ]);
  expect(
    diffConfigValues([a, b], { all: true })
      .filter((r) => !r.differs)
      .map((r) => r.path),
  ).toEqual(['optimizer.kind', 'epochs', 'tags.0']);
});

test('three configs: a path differs if any config differs; null is a value, not absence', () => {
  const rows = diffConfigValues([{ x: null, y: 1 }, { x: null, y: 1 }, { y: 2 }]);
  expect(rows.map((r) => r.path)).toEqual(['x', 'y']);
  expect(rows[0].cells[2]).toEqual({ present: false });
  expect(diffConfigValues([{ a: 1 }])).toEqual([]);
});

test('canonical JSON and the config hash ignore key order but not values', () => {
  expect(canonicalJson({ b: [2, { d: 1, c: 0 }], a: 'x' })).toBe('{"a":"x","b":[2,{"c":0,"d":1}]}');
  expect(configHash({ a: 1, b: { c: 2, d: 3 } })).toBe(configHash({ b: { d: 3, c: 2 }, a: 1 }));
  expect(configHash({ a: 1 })).not.toBe(configHash({ a: 2 }));
  expect(configHash({ a: 1 })).toMatch(/^[0-9a-f]{64}$/);
});

test('jsonProblem names the first value that is not plain JSON', () => {
  expect(jsonProblem({ a: [1, 2, { b: 'x' }] })).toBeNull();
  expect(jsonProblem({ a: { b: Number.NaN } })).toMatch(/^a\.b: NaN is not a finite number/);
  expect(jsonProblem({ a: [1, undefined] })).toMatch(/^a\.1: a undefined/);
  expect(jsonProblem({ d: new Date(0) })).toMatch(/^d: a Date instance/);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  expect(jsonProblem(cyclic)).toMatch(/^self: refers back to itself/);
});
