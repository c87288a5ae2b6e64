import { describe, expect, test } from 'vitest';
import { csvField, csvLine, escapeHtml, escapeLatex, escapeMarkdown } from '../../src/main/report/index.js';
import { parseCsv } from './csv-parse.js';

describe('escapeLatex', () => {
  test('escapes every special character of text mode', () => {
    expect(escapeLatex('50% & $5 #1 a_b')).toBe('50\\% \\& \\$5 \\#1 a\\_b');
    expect(escapeLatex('{x} ~ ^ \\')).toBe('\\{x\\} \\textasciitilde{} \\textasciicircum{} \\textbackslash{}');
    expect(escapeLatex('a<b>c|d')).toBe('a\\textless{}b\\textgreater{}c\\textbar{}d');
  });

  test('a backslash never escapes the character after it', () => {
    expect(escapeLatex('\\%')).toBe('\\textbackslash{}\\%');
  });

  test('line breaks become spaces; Greek letters become math', () => {
    expect(escapeLatex('one\ntwo\r\nthree')).toBe('one two three');
    expect(escapeLatex('F4 β=0.01')).toBe('F4 $\\beta$=0.01');
  });

  test('leaves no unescaped special character behind', () => {
    const nasty = 'x%_&#$~^{}\\<>|y'.repeat(3);
    const out = escapeLatex(nasty)
      .replace(/\\(textbackslash|textasciitilde|textasciicircum|textless|textgreater|textbar)\{\}/g, '')
      .replace(/\\[%_&#${}]/g, '');
    expect(out).toMatch(/^[xy]+$/);
  });
});

describe('escapeMarkdown', () => {
  test('keeps a cell one cell and prints names literally', () => {
    expect(escapeMarkdown('a|b')).toBe('a\\|b');
    expect(escapeMarkdown('conv_1 *x* `c` [l](u)')).toBe('conv\\_1 \\*x\\* \\`c\\` \\[l\\](u)');
    expect(escapeMarkdown(' two\nlines ')).toBe('two lines');
  });
});

describe('escapeHtml', () => {
  test('escapes markup and quotes', () => {
    expect(escapeHtml(`<script>"a" & 'b'</script>`)).toBe(
      '&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;',
    );
  });
});

describe('CSV fields', () => {
  test('quotes fields with commas, quotes, line breaks and edge spaces', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(' padded')).toBe('" padded"');
  });

  test('numbers at full precision; missing and non-finite are empty', () => {
    expect(csvField(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(csvField(Number.NaN)).toBe('');
    expect(csvField(Infinity)).toBe('');
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
  });

  test('a line reads back field for field', () => {
    const fields = ['id-1', 'run, "one"\nsecond line', '', 'β', ' x '];
    const text = csvLine(fields) + csvLine([1, 2.5, null, 'z', -3]);
    expect(parseCsv(text)).toEqual([fields, ['1', '2.5', '', 'z', '-3']]);
  });
});
