import { describe, expect, test } from 'vitest';
import {
  FMT,
  num,
  rich,
  tableToCsv,
  tableToHtml,
  tableToLatex,
  tableToMarkdown,
  type Table,
} from '../../src/main/report/index.js';
import { parseCsv } from './csv-parse.js';

const TABLE: Table = {
  caption: 'Bounds of run_1 & 50%',
  label: 'tab:bounds_1',
  columns: [
    { header: 'Run', align: 'left' },
    { header: rich('β', '$\\beta$', '&beta;'), align: 'right' },
    { header: 'Acc. (%)', align: 'right' },
    { header: 'Bound', align: 'right' },
  ],
  rows: [
    ['a|b_c #1', num(0.01, FMT.beta), num(0.9125, FMT.accuracy), num(12345.6, FMT.bound)],
    ['plain, "quoted"', num(null, FMT.beta), num(0.5, FMT.accuracy), num(1.5, FMT.bound)],
  ],
  notes: ['— = not computed'],
};

describe('tableToMarkdown', () => {
  const md = tableToMarkdown(TABLE);
  const lines = md.split('\n');

  test('one row per line, every row with the same number of cells', () => {
    const rows = lines.filter((l) => l.startsWith('|'));
    expect(rows).toHaveLength(4);
    // An escaped pipe is not a cell separator.
    for (const r of rows) expect(r.split(/(?<!\\)\|/).length - 2).toBe(4);
  });

  test('alignment row, escaping and formatted numbers', () => {
    expect(lines.find((l) => l.startsWith('| :') || l.startsWith('| -'))).toMatch(/^\| :-+ \| -+: \| -+: \| -+: \|$/);
    expect(md).toContain('a\\|b\\_c #1');
    expect(md).toContain('91.3');
    expect(md).toContain('1.235e4');
    expect(md).toContain('—');
    expect(md).toContain('**Bounds of run\\_1 & 50%**');
  });
});

describe('tableToLatex', () => {
  const tex = tableToLatex(TABLE);

  test('booktabs rules, column alignment, caption and label', () => {
    expect(tex).toContain('\\begin{tabular}{lrrr}');
    const rules = ['\\toprule', '\\midrule', '\\bottomrule'].map((r) => tex.indexOf(r));
    expect(rules.every((i) => i > 0)).toBe(true);
    expect(rules).toEqual([...rules].sort((a, b) => a - b));
    expect(tex).toContain('\\caption{Bounds of run\\_1 \\& 50\\%}');
    expect(tex).toContain('\\label{tab:bounds_1}');
    expect(tex).not.toContain('\\hline');
  });

  test('cells escaped, raw header markup kept, numbers typeset', () => {
    expect(tex).toContain('a\\textbar{}b\\_c \\#1 & 0.01 & 91.3 & $1.235\\times 10^{4}$ \\\\');
    expect(tex).toContain('plain, "quoted" & --- & 50.0 & 1.500 \\\\');
    expect(tex).toContain('Run & $\\beta$ & Acc. (\\%) & Bound \\\\');
  });

  test('braces balance and every row has as many & as columns - 1', () => {
    const unescaped = tex.replace(/\\[{}]/g, '');
    expect((unescaped.match(/{/g) ?? []).length).toBe((unescaped.match(/}/g) ?? []).length);
    const body = tex.split('\\midrule')[1].split('\\bottomrule')[0].trim().split('\n');
    for (const row of body) expect(row.replace(/\\&/g, '').split('&').length).toBe(4);
  });

  test('wide tables use table*', () => {
    const wide: Table = { columns: Array.from({ length: 9 }, (_, i) => ({ header: `c${i}` })), rows: [] };
    expect(tableToLatex(wide)).toContain('\\begin{table*}');
    expect(tableToLatex(TABLE)).toContain('\\begin{table}[t]');
  });
});

describe('tableToHtml', () => {
  const html = tableToHtml(TABLE);
  test('escaped text, raw header markup, alignment classes', () => {
    expect(html).toContain('<th class="right">&beta;</th>');
    expect(html).toContain('<td>plain, &quot;quoted&quot;</td>');
    expect(html).toContain('<td class="right">1.235&times;10<sup>4</sup></td>');
    expect(html).toContain('<caption>Bounds of run_1 &amp; 50%</caption>');
    expect((html.match(/<tr>/g) ?? []).length).toBe(4);
  });
});

describe('tableToCsv', () => {
  test('plain headers, full-precision numbers (percent columns as percent), RFC 4180 quoting', () => {
    const rows = parseCsv(tableToCsv(TABLE));
    expect(rows[0]).toEqual(['Run', 'β', 'Acc. (%)', 'Bound']);
    expect(rows[1]).toEqual(['a|b_c #1', '0.01', '91.25', '12345.6']);
    expect(rows[2]).toEqual(['plain, "quoted"', '', '50', '1.5']);
  });
});

test('a row with the wrong number of cells is refused', () => {
  const bad: Table = { columns: [{ header: 'a' }, { header: 'b' }], rows: [['only one']] };
  expect(() => tableToMarkdown(bad)).toThrow(/row 0 has 1 cells for 2 columns/);
  expect(() => tableToLatex(bad)).toThrow();
});
