/** Tables as GitHub-flavoured Markdown (also read by Pandoc), columns padded so the source reads too. */
import { checkTable, renderCell, renderContent, type Align, type Table } from './table.js';

function rule(align: Align | undefined, width: number): string {
  const w = Math.max(3, width);
  if (align === 'right') return `${'-'.repeat(w - 1)}:`;
  if (align === 'center') return `:${'-'.repeat(w - 2)}:`;
  return `:${'-'.repeat(w - 1)}`;
}

function pad(s: string, width: number, align: Align | undefined): string {
  const fill = Math.max(0, width - [...s].length);
  return align === 'right' ? ' '.repeat(fill) + s : s + ' '.repeat(fill);
}

export function tableToMarkdown(t: Table): string {
  checkTable(t);
  const header = t.columns.map((c) => renderContent(c.header, 'markdown'));
  const body = t.rows.map((r) => r.map((c) => renderCell(c, 'markdown')));
  const widths = header.map((h, j) => Math.max(3, [...h].length, ...body.map((r) => [...r[j]].length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, j) => pad(c, widths[j], t.columns[j].align)).join(' | ')} |`;
  const out: string[] = [];
  if (t.caption !== undefined) out.push(`**${renderContent(t.caption, 'markdown')}**`, '');
  out.push(line(header), `| ${t.columns.map((c, j) => rule(c.align, widths[j])).join(' | ')} |`, ...body.map(line));
  if (t.notes?.length) out.push('', ...t.notes.map((n) => `_${renderContent(n, 'markdown')}_  `));
  return `${out.join('\n')}\n`;
}
