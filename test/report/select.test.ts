import { expect, test } from 'vitest';
import { closeMatches, globToRegExp, levenshtein } from '../../src/main/report/index.js';

test('levenshtein', () => {
  expect(levenshtein('kitten', 'sitting')).toBe(3);
  expect(levenshtein('', 'abc')).toBe(3);
  expect(levenshtein('same', 'same')).toBe(0);
});

test('close matches: substrings and typos, best first; unrelated ids are not suggested', () => {
  const runs = [
    { id: '20250101-120000-abc123', name: 'baseline' },
    { id: '20250101-120500-def456', name: 'f4 beta 0.01' },
    { id: '20250102-090000-0a0a0a', name: 'other' },
  ];
  expect(closeMatches('abc123', runs).map((r) => r.id)).toEqual(['20250101-120000-abc123']);
  expect(closeMatches('20250101-120000-abc124', runs)[0].id).toBe('20250101-120000-abc123');
  expect(closeMatches('basline', runs).map((r) => r.name)).toEqual(['baseline']);
  expect(closeMatches('zzzzzz', runs)).toEqual([]);
});

test('series globs', () => {
  expect(globToRegExp('eval/*').test('eval/test_acc')).toBe(true);
  expect(globToRegExp('eval/*').test('train/loss')).toBe(false);
  expect(globToRegExp('eval/pgd_acc@0.5').test('eval/pgd_acc@0x5')).toBe(false);
  expect(globToRegExp('bound/f4/*').test('bound/f4/conv1')).toBe(true);
});
