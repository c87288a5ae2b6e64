/**
 * Escaping user text (run names, notes, layer names) for each output format, so a run called
 * "β_0.01 & 50% done #2" still compiles in LaTeX, stays one cell in Markdown and one field in CSV.
 */

const LATEX_SPECIALS: Record<string, string> = {
  '\\': '\\textbackslash{}',
  '{': '\\{',
  '}': '\\}',
  '%': '\\%',
  $: '\\$',
  '&': '\\&',
  '#': '\\#',
  _: '\\_',
  '~': '\\textasciitilde{}',
  '^': '\\textasciicircum{}',
  // With the default OT1 font encoding < and > print as ¡ and ¿.
  '<': '\\textless{}',
  '>': '\\textgreater{}',
  '|': '\\textbar{}',
};

/**
 * Characters pdfLaTeX's utf8 input cannot typeset without extra packages, as math (run names like
 * "F4 β=0.01" are common); anything else non-ASCII is passed through for the document's own setup.
 */
const LATEX_UNICODE: Record<string, string> = {
  'α': '$\\alpha$', 'β': '$\\beta$', 'γ': '$\\gamma$', 'δ': '$\\delta$', 'ε': '$\\varepsilon$', 'η': '$\\eta$',
  'λ': '$\\lambda$', 'μ': '$\\mu$', 'σ': '$\\sigma$', 'ℓ': '$\\ell$', '‖': '$\\|$', '×': '$\\times$',
  '−': '$-$', '≤': '$\\le$', '≥': '$\\ge$', '√': '$\\surd$', '∞': '$\\infty$', '–': '--', '—': '---',
};

/** Text for LaTeX text mode: every special character escaped, line breaks become spaces. */
export function escapeLatex(text: string): string {
  return text
    .replace(/\r\n|\r|\n/g, ' ')
    .replace(/[\\{}%$&#_~^<>|]/g, (c) => LATEX_SPECIALS[c])
    .replace(/[αβγδεηλμσℓ‖×−≤≥√∞–—]/g, (c) => LATEX_UNICODE[c]);
}

/**
 * Text for a GitHub-flavoured Markdown table cell: the pipe would end the cell and a newline the row;
 * emphasis, code and link characters are escaped so names like "conv_1_x" print literally.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/\r\n|\r|\n/g, ' ')
    .replace(/[\\`*_[\]<>|]/g, (c) => `\\${c}`)
    .trim();
}

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML/SVG element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c]);
}

/**
 * One CSV field (RFC 4180): quoted when it holds a comma, quote, line break or edge spaces; quotes
 * doubled. Numbers keep full precision (a CSV is data for re-analysis, not a table for the eye); a
 * missing or non-finite number is an empty field, which pandas and R read as NA.
 */
export function csvField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const s = String(value);
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One CSV record terminated by CRLF, as RFC 4180 asks (Excel, pandas and R all read it). */
export function csvLine(fields: readonly (string | number | boolean | null | undefined)[]): string {
  return `${fields.map(csvField).join(',')}\r\n`;
}
