/** Output of `bounds`: aligned text tables for people, and JSON named like the reference vectors for machines. */
import type { F4Matrix, F4Report, LayerBoundsReport } from '../../shared/bounds.js';
import { F4_MATRICES, reportResults } from '../../shared/bounds.js';
import {
  BOUND_METHODS,
  CERTIFIED_TOKEN,
  certifiedChoice,
  methodSpec,
  operatorLabel,
  RESHAPE_TOKENS,
  seriesSpecs,
  tightnessReference,
  type BoundMethodSpec,
  type MethodGeometry,
} from '../../shared/bound-methods.js';
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

/** The reshapes whose norm F4 certified (F4Report.certified; absent means all four), the others being estimates. */
export function certifiedNorms(f4: F4Report): F4Matrix[] {
  return f4.certified ? F4_MATRICES.filter((m) => f4.certified?.includes(m)) : [...F4_MATRICES];
}

/** A layer report with `certified` spelled out on its F4 reports, so JSON readers need not know that absent = all. */
export function withCertifiedNorms(r: LayerBoundsReport): LayerBoundsReport {
  const spell = (f4: F4Report): F4Report => ({ ...f4, certified: certifiedNorms(f4) });
  return { ...r, f4: spell(r.f4), ...(r.f4Polyphase ? { f4Polyphase: spell(r.f4Polyphase) } : {}) };
}

/** Mark after a certified norm in the table (CERTIFIED_MARK_LEGEND says what it means). */
const CERTIFIED_MARK = '*';
const CERTIFIED_MARK_LEGEND =
  `‖R‖..‖U‖: ${CERTIFIED_MARK} = certified (a guaranteed upper bound, rounding accounted); unmarked = float32 Lanczos estimate ` +
  '(~1e-7, no guarantee). F4 itself is always certified: its argmin is.';

function shape(r: LayerBoundsReport): string {
  const [h, w, ci, co] = r.shapeHWIO;
  return `${h}x${w} ${ci}→${co}`;
}

function nOf(r: LayerBoundsReport): string {
  const n = r.geometry.n;
  return Array.isArray(n) ? `${n[0]}x${n[1]}` : String(n);
}

/** The methods a bounds table shows, in the registry's order: those the engine computes for one of these layers. */
export function methodColumns(
  reports: readonly LayerBoundsReport[],
  registry: readonly BoundMethodSpec[] = BOUND_METHODS,
): BoundMethodSpec[] {
  return seriesSpecs(registry).filter(
    (m) =>
      m.id !== 'f4' &&
      !(RESHAPE_TOKENS as readonly string[]).includes(m.id) &&
      m.computed &&
      reports.some((r) => m.appliesTo(geometryOf(r))),
  );
}

const geometryOf = (r: LayerBoundsReport): MethodGeometry => ({ kind: 'conv', ...r.geometry });

/** The value of one column: a method's result, or the certified choice among them. */
function columnValue(
  m: BoundMethodSpec,
  r: LayerBoundsReport,
  registry: readonly BoundMethodSpec[],
): number | undefined {
  const values = reportResults(r);
  if (m.id === CERTIFIED_TOKEN) return certifiedChoice(values, geometryOf(r), registry)?.value;
  return values.find((b) => b.method === m.id)?.value;
}

/** Two tables: the values (F4's four norms, every method, F4 against its reference) and the time each method took. */
export function formatLayerTables(
  reports: LayerBoundsReport[],
  registry: readonly BoundMethodSpec[] = BOUND_METHODS,
): string {
  const columns = methodColumns(reports, registry);
  const valueRows = reports.map((r) => {
    const f4: F4Report = r.f4;
    const ref = tightnessReference('f4', reportResults(r), geometryOf(r), registry);
    const certified = certifiedNorms(f4);
    return [
      r.name,
      shape(r),
      String(r.geometry.stride),
      nOf(r),
      ...F4_MATRICES.map((m) => `${num(f4.matrixNorms[m])}${certified.includes(m) ? CERTIFIED_MARK : ' '}`),
      `${num(f4.minBound)} (${f4.argmin})`,
      ...columns.map((m) => num(columnValue(m, r, registry))),
      ref ? (f4.minBound / ref.value).toFixed(3) : '—',
      ref
        ? `${methodSpec(ref.method, registry)?.column ?? ref.method} (${operatorLabel(ref.operator, geometryOf(r))})`
        : '—',
      r.consistent ? 'ok' : 'VIOLATION',
    ];
  });
  const values = renderTable(
    [
      'layer',
      'kernel',
      's',
      'n',
      '‖R‖',
      '‖S‖',
      '‖T‖',
      '‖U‖',
      'F4 (argmin)',
      ...columns.map((m) => m.column),
      'F4/ref',
      'ref',
      'check',
    ],
    valueRows,
    2,
  );
  const timed = [seriesSpecs(registry).find((m) => m.id === 'f4'), ...columns].filter(
    (m): m is BoundMethodSpec => m !== undefined && m.id !== CERTIFIED_TOKEN,
  );
  const timeRows = reports.map((r) => {
    const values = reportResults(r);
    return [
      r.name,
      ...timed.map((m) => {
        const b = values.find((v) => v.method === m.id);
        return b ? `${ms(b.timeMs)}${b.iterations > 0 ? ` (${b.iterations})` : ''}` : '—';
      }),
    ];
  });
  const times = renderTable(['layer', ...timed.map((m) => `${m.column} ms (it)`)], timeRows);
  const legend = [seriesSpecs(registry).find((m) => m.id === 'f4'), ...columns]
    .filter((m): m is BoundMethodSpec => m !== undefined)
    .map((m) => `${m.column} = ${m.label}, ${m.kind}: ${m.paper}.`);
  const violations = reports.flatMap((r) => r.violations.map((v) => `  ${r.name}: ${v}`));
  const skipped = reports.flatMap((r) => r.skipped.map((s) => `  ${r.name}: ${s.method} skipped — ${s.reason}`));
  return [
    values,
    '',
    times,
    '',
    ...legend,
    CERTIFIED_MARK_LEGEND,
    'F4/ref = F4 over the best lower value of the operator it is judged against (ref): the layer as it runs where known, never the stride-1 circular norm for a strided or zero-padded layer.',
    '(it) = iterations run: Gram iteration 6 on every layer; Toeplitz 4 up to 128 channels, 2 on wider stride-1 layers and on strided ones (each an upper bound);',
    "  the operator estimate: Lanczos products with A^T A, from the circular operator's top singular vector on maps >= 8 kernels wide (stopped once one adds < 1e-5), else from a random vector.",
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
        certified: certifiedNorms(f4),
        min_bound: f4.minBound,
        argmin: f4.argmin,
      },
      f4_polyphase_stride2: poly && {
        constant_sqrt_hw: poly.sqrtHW,
        matrix_norms: poly.matrixNorms,
        certified: certifiedNorms(poly),
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
