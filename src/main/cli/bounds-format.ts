/** Output of `bounds`: aligned text tables for people, and JSON named like the reference vectors for machines. */
import type { F4Report, LayerBoundsReport } from '../../shared/bounds.js';
import type { KernelCase } from './kernel-file.js';

type Cell = string;

export function renderTable(header: Cell[], rows: Cell[][], rightAlignFrom = 1): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: Cell[]) =>
    cells.map((x, c) => (c >= rightAlignFrom ? x.padStart(widths[c]) : x.padEnd(widths[c]))).join('  ');
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const num = (v: number | undefined, digits = 4): string => (v === undefined ? '—' : v.toPrecision(digits + 1));
const ms = (v: number | undefined): string => (v === undefined ? '—' : v < 10 ? v.toFixed(2) : v.toFixed(0));

function shape(r: LayerBoundsReport): string {
  const [h, w, ci, co] = r.shapeHWIO;
  return `${h}x${w} ${ci}→${co}`;
}

function nOf(r: LayerBoundsReport): string {
  const n = r.geometry.n;
  return Array.isArray(n) ? `${n[0]}x${n[1]}` : String(n);
}

/** Two tables: the values (with F4/exact) and the time each method took. */
export function formatLayerTables(reports: LayerBoundsReport[]): string {
  const valueRows = reports.map((r) => {
    const f4: F4Report = r.f4;
    const exact = r.exactCircular?.value;
    return [
      r.name,
      shape(r),
      String(r.geometry.stride),
      nOf(r),
      num(f4.matrixNorms.R),
      num(f4.matrixNorms.S),
      num(f4.matrixNorms.T),
      num(f4.matrixNorms.U),
      `${num(f4.minBound)} (${f4.argmin})`,
      num(r.f4Polyphase?.minBound),
      num(exact),
      num(r.gram?.value),
      num(r.toeplitz?.value),
      num(r.operator?.value),
      exact ? (f4.minBound / exact).toFixed(3) : '—',
      r.consistent ? 'ok' : 'VIOLATION',
    ];
  });
  const values = renderTable(
    ['layer', 'kernel', 's', 'n', '‖R‖', '‖S‖', '‖T‖', '‖U‖', 'F4 (argmin)', 'F4 poly', 'exact circ', 'Gram', 'Toeplitz', 'operator est', 'F4/exact', 'check'],
    valueRows,
    2,
  );
  const timeRows = reports.map((r) => [
    r.name,
    ms(r.f4.timeMs),
    ms(r.f4Polyphase?.timeMs),
    ms(r.exactCircular?.timeMs),
    ms(r.gram?.timeMs),
    ms(r.toeplitz?.timeMs),
    ms(r.operator?.timeMs),
    r.operator ? String(r.operator.iterations) : '—',
    r.gram ? String(r.gram.iterations) : '—',
    r.toeplitz ? String(r.toeplitz.iterations) : '—',
  ]);
  const times = renderTable(['layer', 'F4 ms', 'poly ms', 'exact ms', 'Gram ms', 'Toeplitz ms', 'operator ms', 'op iters', 'Gram t', 'Toeplitz t'], timeRows);
  const legend = [
    'F4 = sqrt(hw)·min(‖R‖,‖S‖,‖T‖,‖U‖) (Singla & Feizi 2021), an upper bound for every padding and stride;',
    'F4 poly = F4 of the polyphase kernel (strided layers); exact circ = Sedghi et al. 2019, circular padding, stride 1;',
    'Gram = Delattre et al. 2023 (upper bound, circular); Toeplitz = Delattre et al. 2024 (upper bound, any n, stride 1);',
    'operator est = power iteration on the layer as it runs (zero padding, its stride): a lower estimate.',
  ];
  const violations = reports.flatMap((r) => r.violations.map((v) => `  ${r.name}: ${v}`));
  const skipped = reports.flatMap((r) => r.skipped.map((s) => `  ${r.name}: ${s.method} skipped — ${s.reason}`));
  return [
    values,
    '',
    times,
    '',
    ...legend,
    'Gram t / Toeplitz t: iterations run; wide layers get fewer to bound the cost (each is still an upper bound).',
    ...(skipped.length ? ['', 'Skipped:', ...skipped] : []),
    ...(violations.length ? ['', 'VIOLATIONS:', ...violations] : []),
  ].join('\n');
}

/** One object keyed by case id, with the reference file's field names. */
export function kernelCasesJson(
  cases: KernelCase[],
  reports: Map<string, LayerBoundsReport[]>,
  polyphase: Map<string, F4Report>,
  gramByT: Map<string, Record<string, number>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of cases) {
    const rs = reports.get(c.id) ?? [];
    const f4 = rs[0]?.f4;
    const poly = polyphase.get(c.id);
    out[c.id] = {
      shape_hwio: c.kernel.shape,
      f4: f4 && {
        constant_sqrt_hw: f4.sqrtHW,
        matrix_norms: f4.matrixNorms,
        min_bound: f4.minBound,
        argmin: f4.argmin,
      },
      f4_polyphase_stride2: poly && {
        constant_sqrt_hw: poly.sqrtHW,
        matrix_norms: poly.matrixNorms,
        min_bound: poly.minBound,
        argmin: poly.argmin,
      },
      evaluations: rs.map((r) => ({
        n: r.geometry.n,
        circular_s1_exact_fft: r.exactCircular?.value ?? null,
        zero_same_s1: r.operator?.value ?? null,
        zero_same_s1_kind: r.operator?.kind ?? null,
        gram_iteration_circular_s1: gramByT.get(`${c.id}@${String(r.geometry.n)}`) ?? null,
        toeplitz_bound: r.toeplitz?.value ?? null,
        consistent: r.consistent,
      })),
    };
  }
  return out;
}
