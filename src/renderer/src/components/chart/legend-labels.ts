/**
 * Legend labels without what they all share: Compare's runs of one sweep are named "compare-150 · beta=0.07,
 * seed=2", its seed groups "mnist · mnist-cnn · f4-min · β=0.07 (seeds 0, 1, 2)"; the legend lists what differs
 * ("beta=0.07, seed=2") and names the shared part once. The cut falls after a separator, never inside a word
 * or a number ("β=0.0" of β=0.01 and β=0.02 stays). Pure TS.
 */

/** Characters a label's words and fields are separated by. */
const SEPARATORS = new Set([' ', '·', ',', ';', '/', '_', '-', ':', '|']);

/** Whether a cut may fall right after `prefix` (ends in a separator; not the '-' of an exponent such as 1e-3). */
function cutsAfter(prefix: string): boolean {
  const last = prefix.at(-1);
  if (last === undefined || !SEPARATORS.has(last)) return false;
  return !(last === '-' && /\de-$/i.test(prefix));
}

export interface ShortLabels {
  /** The labels without the shared prefix (unchanged when nothing can be dropped). */
  labels: string[];
  /** What was dropped, without its trailing separators ('' = nothing). */
  shared: string;
}

/** The labels with their longest common prefix that ends at a separator dropped; each keeps some text. */
export function dropSharedPrefix(labels: readonly string[]): ShortLabels {
  const none = { labels: [...labels], shared: '' };
  if (labels.length < 2) return none;
  let n = labels.reduce((len, l) => {
    let i = 0;
    while (i < len && i < l.length && l[i] === labels[0][i]) i++;
    return i;
  }, labels[0].length);
  while (n > 0 && !cutsAfter(labels[0].slice(0, n))) n--;
  const rest = labels.map((l) => l.slice(n).trimStart());
  if (n === 0 || rest.some((l) => l === '')) return none;
  const shared = labels[0]
    .slice(0, n)
    .replace(/[\s·,;/_\-:|]+$/u, '')
    .trim();
  return { labels: rest, shared };
}
