/** The Models view's inputs: base64 of large uploads (chunked) and the option fields turned into a request. */
import { describe, expect, it } from 'vitest';
import { bytesToBase64, toRequest } from '../../src/renderer/src/lib/model-upload.js';

describe('model upload helpers', () => {
  it("base64 of a buffer larger than one chunk equals Node's", () => {
    const bytes = Uint8Array.from({ length: 100_003 }, (_, j) => (j * 31 + 7) & 255);
    expect(bytesToBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
  });

  it('fields -> request: lists parsed, certificate options only with a labelled set, bad lists named', () => {
    const base = { inputShape: '3, 32,32', mean: '', std: '0.5 0.25 0.5', dataset: '', eps: '0.1,0.2', limit: '500' };
    expect(toRequest(base)).toEqual({ inputShape: [3, 32, 32], std: [0.5, 0.25, 0.5] });
    expect(toRequest({ ...base, dataset: ' cifar10 ' })).toEqual({
      inputShape: [3, 32, 32],
      std: [0.5, 0.25, 0.5],
      dataset: 'cifar10',
      epsilons: [0.1, 0.2],
      limit: 500,
    });
    expect(() => toRequest({ ...base, mean: '0.4, abc' })).toThrow(/Mean: "0.4, abc" is not a list of numbers/);
  });
});
