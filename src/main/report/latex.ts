/**
 * Tables as LaTeX with booktabs rules (\toprule, \midrule, \bottomrule: the layout journals ask for),
 * text escaped, numbers right-aligned in one format per column. Needs only \usepackage{booktabs}.
 */
import { escapeLatex } from './escape.js';
import { checkTable, renderCell, renderContent, type Align, type Table } from './table.js';

export interface LatexTableOptions {
  /** Float placement (default "t"). */
  placement?: string;
  /** table* (spans both columns of a two-column paper); default: when there are more than 8 columns. */
  wide?: boolean;
}

const ALIGN: Record<Align, string> = { left: 'l', right: 'r', center: 'c' };

export function tableToLatex(t: Table, options: LatexTableOptions = {}): string {
  checkTable(t);
  const env = (options.wide ?? t.columns.length > 8) ? 'table*' : 'table';
  const spec = t.columns.map((c) => ALIGN[c.align ?? 'left']).join('');
  const row = (cells: string[]): string => `    ${cells.join(' & ')} \\\\`;
  const out = [`\\begin{${env}}[${options.placement ?? 't'}]`, '  \\centering', '  \\small'];
  if (t.caption !== undefined) out.push(`  \\caption{${renderContent(t.caption, 'latex')}}`);
  if (t.label) out.push(`  \\label{${t.label.replace(/[^A-Za-z0-9:._-]/g, '-')}}`);
  out.push(
    `  \\begin{tabular}{${spec}}`,
    '    \\toprule',
    row(t.columns.map((c) => renderContent(c.header, 'latex'))),
    '    \\midrule',
    ...t.rows.map((r) => row(r.map((c) => renderCell(c, 'latex')))),
    '    \\bottomrule',
    '  \\end{tabular}',
  );
  if (t.notes?.length) {
    out.push(
      '  \\par\\smallskip',
      `  {\\footnotesize ${t.notes.map((n) => renderContent(n, 'latex')).join(' ')}\\par}`,
    );
  }
  out.push(`\\end{${env}}`);
  return `${out.join('\n')}\n`;
}

/** A complete document around report tables, for a quick `pdflatex` check or a supplement. */
export function latexDocument(title: string, body: string): string {
  return [
    '\\documentclass{article}',
    '\\usepackage[T1]{fontenc}',
    '\\usepackage[utf8]{inputenc}',
    '\\usepackage{booktabs}',
    '\\usepackage[margin=2cm]{geometry}',
    `\\title{${escapeLatex(title)}}`,
    '\\date{}',
    '\\begin{document}',
    '\\maketitle',
    body,
    '\\end{document}',
    '',
  ].join('\n');
}
