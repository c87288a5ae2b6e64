/**
 * HTML tables and the page around them: one self-contained file (inline CSS, inline SVG, no script,
 * nothing fetched), laid out like booktabs tables and readable when printed.
 */
import { escapeHtml } from './escape.js';
import { checkTable, renderCell, renderContent, type Table } from './table.js';

export function tableToHtml(t: Table): string {
  checkTable(t);
  const align = (j: number): string =>
    t.columns[j].align && t.columns[j].align !== 'left' ? ` class="${t.columns[j].align}"` : '';
  const out = [`<table${t.label ? ` id="${escapeHtml(t.label)}"` : ''}>`];
  if (t.caption !== undefined) out.push(`<caption>${renderContent(t.caption, 'html')}</caption>`);
  out.push(
    '<thead><tr>',
    ...t.columns.map((c, j) => `<th${align(j)}>${renderContent(c.header, 'html')}</th>`),
    '</tr></thead>',
    '<tbody>',
  );
  for (const r of t.rows)
    out.push(`<tr>${r.map((c, j) => `<td${align(j)}>${renderCell(c, 'html')}</td>`).join('')}</tr>`);
  out.push('</tbody>');
  if (t.notes?.length) {
    out.push(
      `<tfoot><tr><td colspan="${t.columns.length}">${t.notes.map((n) => renderContent(n, 'html')).join(' ')}</td></tr></tfoot>`,
    );
  }
  out.push('</table>');
  return out.join('\n');
}

const CSS = `
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid #ccc; padding-bottom: 0.2rem; }
h3 { font-size: 1.05rem; margin-top: 1.6rem; }
.meta { color: #555; font-size: 0.9rem; }
.warn { color: #8a4b00; font-size: 0.9rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.88rem; font-variant-numeric: tabular-nums; }
caption { caption-side: top; text-align: left; font-weight: 600; padding-bottom: 0.3rem; }
thead tr { border-top: 2px solid #111; border-bottom: 1px solid #111; }
tbody tr:last-child { border-bottom: 2px solid #111; }
th, td { padding: 0.25rem 0.6rem; text-align: left; vertical-align: top; }
th { font-weight: 600; }
.right { text-align: right; }
.center { text-align: center; }
tfoot td { font-size: 0.78rem; color: #444; padding-top: 0.4rem; max-width: 60rem; }
figure { margin: 1rem 0; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 0.85rem; color: #444; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 0.5rem 1.5rem; }
/* Printed (and PDF) on A4: nothing may be cut at the right edge, so tables take the page width and
   their cells wrap anywhere rather than overflow; a table longer than a page breaks between rows. */
@page { size: A4; margin: 14mm 12mm 16mm; }
@media print {
  html { font-size: 9pt; }
  body { margin: 0; max-width: none; font-size: 1rem; padding: 0; }
  h1 { font-size: 15pt; }
  h2 { font-size: 12pt; margin-top: 1.2rem; break-after: avoid; }
  h3 { font-size: 10pt; break-after: avoid; }
  .scroll { overflow: visible; }
  table { width: 100%; font-size: 7pt; margin: 0.4rem 0; }
  th, td { padding: 1px 3px; overflow-wrap: break-word; }
  tr, figure { break-inside: avoid; }
  thead { display: table-header-group; }
  tfoot td { max-width: none; font-size: 6.5pt; }
  figure svg { width: 100%; height: auto; }
  .charts { display: block; }
  pre { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 6.5pt; }
  details > summary { list-style: none; }
}
`;

export interface HtmlSection {
  heading: string;
  /** Markup of the section (already escaped). */
  body: string;
}

export function htmlPage(o: { title: string; meta: string[]; warnings?: string[]; sections: HtmlSection[] }): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // Nothing may be loaded from anywhere: the report is a document, not a page.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    `<title>${escapeHtml(o.title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    `<h1>${escapeHtml(o.title)}</h1>`,
    ...o.meta.map((m) => `<p class="meta">${escapeHtml(m)}</p>`),
    ...(o.warnings ?? []).map((w) => `<p class="warn">${escapeHtml(w)}</p>`),
    ...o.sections.flatMap((s) => [`<section>`, `<h2>${escapeHtml(s.heading)}</h2>`, s.body, `</section>`]),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
