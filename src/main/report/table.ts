/**
 * The table model every report table is built as (pure data), then rendered to Markdown, LaTeX,
 * HTML or CSV. Numbers stay numbers with a format until rendering, so each format gets its own
 * typography from one set of digits; text is escaped by the renderer, never by the builder.
 */
import { escapeHtml, escapeLatex, escapeMarkdown } from './escape.js';
import { formatNumber, type NumFmt, type Target } from './format.js';

/** Plain text (escaped for each target), with optional ready-made markup for LaTeX and HTML (not escaped). */
export interface RichText {
  text: string;
  latex?: string;
  html?: string;
}

export type Content = string | RichText;

export interface NumberCell {
  value: number | null;
  fmt: NumFmt;
}

export type Cell = null | string | RichText | NumberCell;

export type Align = 'left' | 'right' | 'center';

export interface Column {
  header: Content;
  align?: Align;
}

export interface Table {
  /** Heading above the table (Markdown/HTML) and the LaTeX caption. */
  caption?: Content;
  /** LaTeX \label (e.g. "tab:summary"); HTML id. */
  label?: string;
  columns: Column[];
  rows: Cell[][];
  /** Footnotes printed under the table (what the columns mean, which step). */
  notes?: Content[];
}

export function num(value: number | null | undefined, fmt: NumFmt): NumberCell {
  return { value: value === undefined || (value !== null && Number.isNaN(value)) ? null : value, fmt };
}

export function rich(text: string, latex?: string, html?: string): RichText {
  return { text, latex, html };
}

function isNumberCell(c: Cell): c is NumberCell {
  return c !== null && typeof c === 'object' && 'fmt' in c;
}

export function plainText(c: Content): string {
  return typeof c === 'string' ? c : c.text;
}

/** Content as markup for a target: the raw variant when one is given, else the escaped text. */
export function renderContent(c: Content, target: Target): string {
  if (typeof c !== 'string') {
    if (target === 'latex' && c.latex !== undefined) return c.latex;
    if (target === 'html' && c.html !== undefined) return c.html;
    return renderContent(c.text, target);
  }
  switch (target) {
    case 'latex':
      return escapeLatex(c);
    case 'html':
      return escapeHtml(c);
    case 'markdown':
      return escapeMarkdown(c);
    default:
      return c;
  }
}

export function renderCell(cell: Cell, target: Target): string {
  if (cell === null) return formatNumber(null, { kind: 'int' }, target);
  if (isNumberCell(cell)) return formatNumber(cell.value, cell.fmt, target);
  return renderContent(cell, target);
}

/** The cell as a CSV value: numbers at full precision (percentages as percent, like the header), text as plain text. */
export function rawCell(cell: Cell): string | number | null {
  if (cell === null) return null;
  if (isNumberCell(cell)) return cell.value !== null && cell.fmt.kind === 'percent' ? cell.value * 100 : cell.value;
  return plainText(cell);
}

/** Throws when a row has the wrong number of cells: a misaligned table is worse than none. */
export function checkTable(t: Table): void {
  t.rows.forEach((r, i) => {
    if (r.length !== t.columns.length) {
      throw new Error(
        `report table ${JSON.stringify(plainText(t.caption ?? ''))}: row ${i} has ${r.length} cells for ${t.columns.length} columns.`,
      );
    }
  });
}
