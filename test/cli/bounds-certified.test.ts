/**
 * Which of F4's four norms are certified (F4Report.certified: absent = all four; the others are float32 estimates):
 * the bounds table marks them and its legend says what the mark means; the JSON spells `certified` out.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { LayerBoundsReport } from '../../src/shared/bounds.js';
import { F4_MATRICES } from '../../src/shared/bounds.js';
import { selectBackend } from '../../src/main/engine/backends/index.js';
import { computeLayerBounds } from '../../src/main/engine/bounds/layer-report.js';
import { certifiedNorms, formatLayerTables, withCertifiedNorms } from '../../src/main/cli/bounds-format.js';
import { heNormalKernel } from '../../src/main/cli/resnet18-stack.js';

let small: LayerBoundsReport;
let wide: LayerBoundsReport;

beforeAll(async () => {
  await selectBackend('wasm');
  // F4 only: 3x3x4x8 is cheap enough to certify all four norms; 3x3x64x64 certifies the minimum (and ties) only.
  small = computeLayerBounds(
    'small',
    heNormalKernel([3, 3, 4, 8], 1),
    { n: 8, stride: 2, padding: 'same' },
    {
      methods: [],
    },
  );
  wide = computeLayerBounds(
    'wide',
    heNormalKernel([3, 3, 64, 64], 2),
    { n: 8, stride: 1, padding: 'same' },
    {
      methods: [],
    },
  );
});

describe('certified F4 norms in the bounds output', () => {
  it('reads F4Report.certified, absent meaning all four', () => {
    expect(small.f4.certified).toBeUndefined();
    expect(certifiedNorms(small.f4)).toEqual([...F4_MATRICES]);
    expect(wide.f4.certified).toBeDefined();
    expect(certifiedNorms(wide.f4).length).toBeLessThan(4);
    expect(certifiedNorms(wide.f4)).toContain(wide.f4.argmin);
  });

  it('marks the certified norms in the table and explains the mark', () => {
    const text = formatLayerTables([small, wide]);
    const rows = text.split('\n\n')[0].split('\n');
    const cells = (name: string) => rows.find((l) => l.startsWith(name))?.split(/\s{2,}/) ?? [];
    for (const r of [small, wide]) {
      const cs = cells(r.name);
      F4_MATRICES.forEach((m) => {
        const cell = cs.find((c) => c.trim().startsWith(r.f4.matrixNorms[m].toPrecision(5)));
        expect(cell, `${r.name} ${m}`).toBeDefined();
        expect(cell?.trim().endsWith('*'), `${r.name} ${m}`).toBe(certifiedNorms(r.f4).includes(m));
      });
    }
    expect(text).toContain('* = certified (a guaranteed upper bound');
  });

  it('spells certified out in the JSON of a layer report, polyphase included', () => {
    const json = JSON.parse(JSON.stringify([small, wide].map(withCertifiedNorms)));
    expect(json[0].f4.certified).toEqual(['R', 'S', 'T', 'U']);
    expect(json[0].f4Polyphase.certified).toEqual(certifiedNorms(small.f4Polyphase!));
    expect(json[1].f4.certified).toEqual(wide.f4.certified);
    expect(json[1].f4Polyphase).toBeUndefined();
  });
});
