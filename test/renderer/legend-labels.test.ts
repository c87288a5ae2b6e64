/** Legend labels without their shared prefix (components/chart/legend-labels.ts). */
import { describe, expect, it } from 'vitest';
import { dropSharedPrefix } from '../../src/renderer/src/components/chart/legend-labels.js';

describe('dropSharedPrefix', () => {
  it("drops a sweep's run-name prefix and its seed groups' headline fields, keeping what differs", () => {
    expect(dropSharedPrefix(['compare-150 · beta=0.07, seed=2', 'compare-150 · beta=0.08, seed=0'])).toEqual({
      labels: ['beta=0.07, seed=2', 'beta=0.08, seed=0'],
      shared: 'compare-150',
    });
    const groups = [
      'mnist · mnist-cnn · f4-min · β=0.01 (seeds 0, 1, 2) mean ± sd',
      'mnist · mnist-cnn · f4-min · β=0.02 (seeds 0, 1, 2) mean ± sd',
    ];
    expect(dropSharedPrefix(groups)).toEqual({
      labels: ['β=0.01 (seeds 0, 1, 2) mean ± sd', 'β=0.02 (seeds 0, 1, 2) mean ± sd'],
      shared: 'mnist · mnist-cnn · f4-min',
    });
  });

  it('never cuts inside a word or a number, nor at the minus of an exponent', () => {
    expect(dropSharedPrefix(['beta=0.01', 'beta=0.02']).labels).toEqual(['beta=0.01', 'beta=0.02']);
    expect(dropSharedPrefix(['lr-1e-3', 'lr-1e-4']).labels).toEqual(['1e-3', '1e-4']);
    expect(dropSharedPrefix(['baseline', 'baseline-2']).labels).toEqual(['baseline', 'baseline-2']);
  });

  it('leaves a single label, and labels that would become empty, unchanged', () => {
    expect(dropSharedPrefix(['run a'])).toEqual({ labels: ['run a'], shared: '' });
    expect(dropSharedPrefix(['run a ', 'run a b']).labels).toEqual(['run a ', 'run a b']);
  });
});
