/**
 * Reads kernel files in the format of the shared reference vectors: `cases[].id`, `cases[].weights_hwio`
 * (nested [h][w][c_in][c_out]) and optionally `cases[].evaluations[].n`. Every problem is reported with the
 * file, the case and what to do, before any bound is computed.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { KernelHWIO } from '../../shared/bounds.js';
import { KernelError, validateInputSize, validateKernel } from '../../shared/bounds.js';

export interface KernelCase {
  id: string;
  kernel: KernelHWIO;
  /** Input sizes to evaluate at (from `evaluations[].n`), possibly empty. */
  ns: number[];
  /** Gram-iteration counts present in the file's references, so outputs line up key by key. */
  gramIterations: number[];
}

export function readKernelFile(path: string): KernelCase[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new KernelError(
      `cannot read kernel file '${path}' (${code ?? String(e)}); check the path and its permissions.`,
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new KernelError(`kernel file '${path}' is not valid JSON (${(e as Error).message}).`);
  }
  const cases = (doc as { cases?: unknown }).cases;
  if (!Array.isArray(cases) || cases.length === 0) {
    throw new KernelError(
      `kernel file '${path}' has no 'cases' array; expected {"cases": [{"id": ..., "weights_hwio": [[[[...]]]]}]}.`,
    );
  }
  const parsed = cases.map((c, idx) => parseCase(c, idx, path));
  // Results are keyed by id: two cases with one id would mix their bounds in the output.
  const first = new Map<string, number>();
  parsed.forEach((c, idx) => {
    const j = first.get(c.id);
    if (j !== undefined) {
      throw new KernelError(
        `kernel file '${path}': cases ${j} and ${idx} share the id '${c.id}'; give every case its own id (results are reported by id).`,
      );
    }
    first.set(c.id, idx);
  });
  return parsed;
}

/**
 * Weights this large are no layer's: the norms square and sum them over h*w*c_in*c_out weights and
 * n^2 frequencies, which overflows doubles (max ~1.8e308) long before 1e308 itself.
 */
export const MAX_ABS_WEIGHT = 1e100;

function checkMagnitude(kernel: KernelHWIO, label: string): void {
  let max = 0;
  let at = 0;
  for (let j = 0; j < kernel.data.length; j++) {
    const a = Math.abs(kernel.data[j]);
    if (a > max) [max, at] = [a, j];
  }
  if (max <= MAX_ABS_WEIGHT) return;
  const [, w, ci, co] = kernel.shape;
  const idx = [Math.floor(at / (co * ci * w)), Math.floor(at / (co * ci)) % w, Math.floor(at / co) % ci, at % co];
  throw new KernelError(
    `${label}: weight W[${idx.join('][')}] is ${kernel.data[at]}; weights above ${MAX_ABS_WEIGHT} overflow double precision when the norms square and sum them. ` +
      'Divide the kernel by a scale s first and multiply the bounds by s (every bound is linear in the weights).',
  );
}

/** What the memory check may use: a quarter of this machine's memory, at most 2 GB (V8 aborts the process on larger typed-array heaps). */
export function memoryBudget(): number {
  return Math.min(os.totalmem() / 4, 2 ** 31);
}

/**
 * Bytes the n-dependent methods allocate for a c_in x c_out kernel at input size n: the exact norm and
 * Gram iteration hold a complex c_in x c_out matrix per frequency (n^2 of them, 16 bytes per entry);
 * the operator estimate a few n x n x c vectors. F4 and the Toeplitz bound do not depend on n.
 */
export function estimateBytes(kernel: KernelHWIO, n: number, methods?: readonly string[]): number {
  const [, , ci, co] = kernel.shape;
  const has = (m: string): boolean => !methods || methods.includes(m);
  const perFrequency = (has('exact') || has('gram') ? ci * co * 16 * 2 : 0) + (has('operator') ? (ci + co) * 8 * 4 : 0);
  return n * n * perFrequency;
}

/** Refuse an input size whose allocations would not fit, before allocating anything (V8 aborts the process otherwise). */
export function assertFitsInMemory(
  c: KernelCase,
  n: number,
  methods?: readonly string[],
  budget = memoryBudget(),
): void {
  const need = estimateBytes(c.kernel, n, methods);
  if (need <= budget) return;
  const perN2 = need / (n * n);
  const maxN = Math.floor(Math.sqrt(budget / perN2));
  const gb = (b: number): string => (b / 2 ** 30).toFixed(b < 2 ** 30 ? 2 : 0);
  throw new KernelError(
    `case '${c.id}' at n = ${n}: the exact norm, Gram iteration and operator estimate would need about ${gb(need)} GB ` +
      `(n^2 = ${(n * n).toExponential(1)} frequencies x c_in ${c.kernel.shape[2]} x c_out ${c.kernel.shape[3]}); at most ${gb(budget)} GB may be used here. ` +
      `Use n <= ${maxN} (in the file's evaluations[].n or --n), or --methods toeplitz to skip the n-dependent methods.`,
  );
}

function parseCase(c: unknown, idx: number, path: string): KernelCase {
  const obj = c as Record<string, unknown>;
  const id = typeof obj?.id === 'string' && obj.id ? obj.id : `case#${idx}`;
  const label = `${path}: case '${id}'`;
  if (!('weights_hwio' in (obj ?? {}))) throw new KernelError(`${label} has no 'weights_hwio'.`);
  const kernel = nestedToKernel(obj.weights_hwio, label);
  validateKernel(kernel, label);
  checkMagnitude(kernel, label);
  const evals = Array.isArray(obj.evaluations) ? (obj.evaluations as Record<string, unknown>[]) : [];
  const ns = evals.map((e, j) => {
    const n = e?.n;
    if (typeof n !== 'number') throw new KernelError(`${label}: evaluations[${j}].n is missing or not a number.`);
    validateInputSize(kernel, n, label);
    return n;
  });
  const gramKeys = new Set<number>();
  for (const e of evals) {
    const g = e?.gram_iteration_circular_s1;
    if (g && typeof g === 'object') for (const k of Object.keys(g)) if (/^\d+$/.test(k)) gramKeys.add(Number(k));
  }
  return { id, kernel, ns, gramIterations: [...gramKeys].sort((a, b) => a - b) };
}

/** Nested arrays → HWIO typed array, rejecting ragged shapes (mismatched channels) and non-numbers. */
export function nestedToKernel(w: unknown, label: string): KernelHWIO {
  const shape: number[] = [];
  let probe: unknown = w;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0];
  }
  // An empty list ends the probe early: [3][3][] is a kernel without input channels, not a 3-D array.
  const empty = shape.indexOf(0);
  if (empty >= 0 && empty < 4) {
    const dims = ['h', 'w', 'c_in', 'c_out'];
    throw new KernelError(
      `${label}: weights_hwio has ${dims[empty]} = 0 (an empty list at depth ${empty + 1} of [h][w][c_in][c_out]); ` +
        `a kernel needs at least one ${dims[empty] === 'c_in' ? 'input channel' : dims[empty] === 'c_out' ? 'output channel' : 'row and column'}.`,
    );
  }
  if (shape.length !== 4) {
    throw new KernelError(
      `${label}: weights_hwio must be a 4-D array [h][w][c_in][c_out], got ${shape.length}-D${shape.length ? ` [${shape.join(', ')}]` : ''}.`,
    );
  }
  const [h, wd, ci, co] = shape;
  const data = new Float64Array(h * wd * ci * co);
  let p = 0;
  const rows = w as unknown[][][][];
  for (let k = 0; k < h; k++) {
    for (let l = 0; l < wd; l++) {
      for (let i = 0; i < ci; i++) {
        const row = rows[k]?.[l]?.[i];
        const lens = [rows[k]?.length, rows[k]?.[l]?.length, row?.length];
        if (lens[0] !== wd || lens[1] !== ci || !Array.isArray(row) || row.length !== co) {
          throw new KernelError(
            `${label}: ragged weights at W[${k}][${l}][${i}]: expected ${wd} x ${ci} x ${co} below each index ` +
              `(mismatched channels). Every [k][l] must hold c_in rows of c_out weights.`,
          );
        }
        for (let o = 0; o < co; o++) {
          const v = row[o];
          if (v === null) {
            // JSON has no NaN or Infinity: JSON.stringify writes them as null, so a null is most likely a diverged weight.
            throw new KernelError(
              `${label}: weight W[${k}][${l}][${i}][${o}] is null. JSON.stringify writes NaN and Infinity as null, so the weights probably diverged; ` +
                'bounds need finite numbers: check the training run or checkpoint that produced them.',
            );
          }
          if (typeof v !== 'number') {
            throw new KernelError(`${label}: weight W[${k}][${l}][${i}][${o}] is ${JSON.stringify(v)}, not a number.`);
          }
          data[p++] = v;
        }
      }
    }
  }
  return { shape: [h, wd, ci, co], data };
}
