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
  α: '$\\alpha$',
  β: '$\\beta$',
  γ: '$\\gamma$',
  δ: '$\\delta$',
  ε: '$\\varepsilon$',
  η: '$\\eta$',
  λ: '$\\lambda$',
  μ: '$\\mu$',
  σ: '$\\sigma$',
  ℓ: '$\\ell$',
  '‖': '$\\|$',
  '×': '$\\times$',
  '−': '$-$',
  '≤': '$\\le$',
  '≥': '$\\ge$',
  '√': '$\\surd$',
  '∞': '$\\infty$',
  '–': '--',
  '—': '---',
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

// HTML and CSV are written the same way everywhere (reports, `serve`'s pages, the UI's chart exports).
export { csvField, csvLine, escapeHtml } from '../../shared/text-escape.js';
