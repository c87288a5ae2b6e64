/**
 * Reads kernel files in the format of the shared reference vectors: `cases[].id`, `cases[].weights_hwio`
 * (nested [h][w][c_in][c_out]) and optionally `cases[].evaluations[].n`. Every problem is reported with the
 * file, the case and what to do, before any bound is computed.
 */
import { readFileSync } from 'node:fs';
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
    throw new KernelError(`cannot read kernel file '${path}' (${code ?? String(e)}); check the path and its permissions.`);
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
  return cases.map((c, idx) => parseCase(c, idx, path));
}

function parseCase(c: unknown, idx: number, path: string): KernelCase {
  const obj = c as Record<string, unknown>;
  const id = typeof obj?.id === 'string' && obj.id ? obj.id : `case#${idx}`;
  const label = `${path}: case '${id}'`;
  if (!('weights_hwio' in (obj ?? {}))) throw new KernelError(`${label} has no 'weights_hwio'.`);
  const kernel = nestedToKernel(obj.weights_hwio, label);
  validateKernel(kernel, label);
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
