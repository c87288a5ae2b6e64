/**
 * Number formatting shared by every report format, so a value reads the same in the Markdown, LaTeX
 * and HTML tables: a column picks one NumFmt and each renderer only changes the typography
 * (scientific notation, minus sign, missing-value dash).
 */

/** Where a formatted value goes; decides typography, never the digits. */
export type Target = 'text' | 'markdown' | 'latex' | 'html';

export type NumFmt =
  /**
   * A fixed number of decimals (ratios, bounds: 3). With `sci`, values from 10^4 up or below
   * 10^-(digits-1) (which would print with too few significant digits) switch to scientific
   * notation with the same number of decimals in the mantissa (12345.6 -> 1.235e4).
   */
  | { kind: 'fixed'; digits: number; sci?: boolean }
  /** Significant digits; scientific outside [1e-3, 10^digits). */
  | { kind: 'sig'; digits: number }
  /** The shortest form with at most `digits` significant digits (hyper-parameters: 0.01, 1e-4). */
  | { kind: 'plain'; digits: number }
  /** A fraction in [0, 1] shown as a percentage with fixed decimals (the header carries the % sign). */
  | { kind: 'percent'; digits: number }
  | { kind: 'int' };

export const FMT = {
  bound: { kind: 'fixed', digits: 3, sci: true },
  ratio: { kind: 'fixed', digits: 3 },
  accuracy: { kind: 'percent', digits: 1 },
  beta: { kind: 'plain', digits: 3 },
  int: { kind: 'int' },
} as const satisfies Record<string, NumFmt>;

const MISSING: Record<Target, string> = { text: '-', markdown: '—', latex: '---', html: '&mdash;' };

/** The placeholder of a value that was not recorded (not computed for that layer or run). */
export function missing(target: Target): string {
  return MISSING[target];
}

interface NumberParts {
  negative: boolean;
  digits: string;
  exponent: number | null;
}

function parts(value: number, fmt: NumFmt): NumberParts {
  const abs = Math.abs(value);
  let digits = '';
  let exponent: number | null = null;
  const scientific = (decimals: number): void => {
    const [m, e] = abs.toExponential(decimals).split('e');
    digits = m;
    exponent = Number(e);
  };
  switch (fmt.kind) {
    case 'fixed':
      if (fmt.sci && abs !== 0 && (abs >= 1e4 || abs < 10 ** -(Math.max(1, fmt.digits) - 1))) scientific(fmt.digits);
      else digits = abs.toFixed(fmt.digits);
      break;
    case 'plain': {
      const d = Math.max(1, Math.min(fmt.digits, 21));
      if (abs !== 0 && (abs >= 1e6 || abs < 1e-3)) {
        scientific(d - 1);
        digits = digits.replace(/\.?0+$/, '');
      } else digits = String(Number(abs.toPrecision(d)));
      break;
    }
    case 'percent':
      digits = (abs * 100).toFixed(fmt.digits);
      break;
    case 'int':
      digits = Math.round(abs).toFixed(0);
      break;
    case 'sig': {
      const d = Math.max(1, Math.min(fmt.digits, 21));
      if (abs !== 0 && (abs >= 10 ** d || abs < 1e-3)) scientific(d - 1);
      else digits = abs.toPrecision(d);
      break;
    }
  }
  // -0.0001 at one decimal is "0.0", not "-0.0".
  const negative = value < 0 && /[1-9]/.test(digits);
  return { negative, digits, exponent };
}

/** `value` in format `fmt` for `target`; null, undefined and NaN print as the target's dash. */
export function formatNumber(value: number | null | undefined, fmt: NumFmt, target: Target): string {
  if (value === null || value === undefined || Number.isNaN(value)) return missing(target);
  if (!Number.isFinite(value)) {
    const neg = value < 0;
    if (target === 'latex') return neg ? '$-\\infty$' : '$\\infty$';
    if (target === 'html') return neg ? '&minus;&infin;' : '&infin;';
    return neg ? '-∞' : '∞';
  }
  const p = parts(value, fmt);
  switch (target) {
    case 'latex': {
      if (!p.negative && p.exponent === null) return p.digits;
      const exp = p.exponent === null ? '' : `\\times 10^{${p.exponent}}`;
      return `$${p.negative ? '-' : ''}${p.digits}${exp}$`;
    }
    case 'html':
      return `${p.negative ? '&minus;' : ''}${p.digits}${p.exponent === null ? '' : `&times;10<sup>${p.exponent}</sup>`}`;
    default:
      return `${p.negative ? '-' : ''}${p.digits}${p.exponent === null ? '' : `e${p.exponent}`}`;
  }
}

/**
 * A certification radius as papers write it: k/255 when it is one (CIFAR-10: 36/255, 72/255, 108/255),
 * else up to 3 significant digits without trailing zeros (MNIST: 1.58).
 */
export function formatEps(eps: number): string {
  const k = Math.round(eps * 255);
  if (k >= 1 && k <= 255 * 4 && Math.abs(eps * 255 - k) < 1e-6 && eps < 1) return `${k}/255`;
  return String(Number(eps.toPrecision(3)));
}

/** Same eps from different runs (float noise of 36/255 computed twice) falls on the same key. */
export function epsKey(eps: number): string {
  return eps.toPrecision(9);
}

/** ISO-8601 UTC with milliseconds, or '' for a missing time. */
export function isoTime(ms: number | null | undefined): string {
  return ms === null || ms === undefined || !Number.isFinite(ms) ? '' : new Date(Math.round(ms)).toISOString();
}
