/**
 * The one HTML escaper and the one CSV writer, for every side that writes them: reports and `export`
 * (src/main/report), the pages `serve` sends (src/main/serve) and the charts' exports in the UI
 * (src/renderer). Pure string functions, so shared may hold them.
 */

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML/SVG/XML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]);
}

export type CsvValue = string | number | boolean | null | undefined;

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote, line break or edge spaces; quotes
 * doubled. Numbers keep full precision (a CSV is data for re-analysis, not a table for the eye); a
 * missing or non-finite number is an empty field, which pandas and R read as NA.
 */
export function csvField(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const s = String(value);
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One CSV record terminated by CRLF, as RFC 4180 asks (Excel, pandas and R all read it). */
export function csvLine(fields: readonly CsvValue[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}
