/**
 * What a series name means. Names come from the lab (src/main/app/event-map.ts): "train/loss",
 * "eval/test_acc", "certified/<eps>", per-layer bounds "bound/<layer>/<method>". The store documents
 * "bound/<method>/<layer>" as well, so both orders are recognised by their method token. What each method is
 * comes from the one registry, src/shared/bound-methods.ts.
 */
import type { BoundKind } from '../../../shared/bounds';
import { BOUND_METHODS, seriesSpecs, type BoundMethodSpec } from '../../../shared/bound-methods';

type KindWord = 'upper' | 'exact' | 'estimate';
const KIND_WORD: Record<BoundKind, KindWord> = {
  'upper bound': 'upper',
  exact: 'exact',
  'estimate (lower)': 'estimate',
};

export interface MethodInfo {
  label: string;
  kind: KindWord;
  order: number;
  color: string;
}

/** Label, kind, order and colour of every series token (methods, F4's four reshapes, 'certified'), from the registry. */
export function methodInfos(registry: readonly BoundMethodSpec[] = BOUND_METHODS): Record<string, MethodInfo> {
  return Object.fromEntries(
    seriesSpecs(registry).map((m) => [
      m.id,
      { label: m.label, kind: KIND_WORD[m.kind], order: m.order, color: m.color },
    ]),
  );
}
export const BOUND_METHOD_INFO: Record<string, MethodInfo> = methodInfos();

/** The legend of bound charts: every method of the registry with its colour, in display order. */
export function methodLegend(
  registry: readonly BoundMethodSpec[] = BOUND_METHODS,
): { id: string; label: string; color: string; kind: KindWord }[] {
  return Object.entries(methodInfos(registry))
    .filter(([id]) => !/^f4-[RSTU]$/.test(id))
    .map(([id, m]) => ({ id, label: m.label, color: m.color, kind: m.kind }));
}

/** Canonical method token: series of older runs spelled some methods in snake_case. */
export function canonicalMethod(m: string): string {
  const map: Record<string, string> = {
    sedghi_exact: 'sedghi-exact',
    operator_power: 'operator-power',
    gram: 'gram-iteration',
    f4_R: 'f4-R',
    f4_S: 'f4-S',
    f4_T: 'f4-T',
    f4_U: 'f4-U',
  };
  return map[m] ?? m;
}

export interface BoundSeriesName {
  name: string;
  layer: string;
  method: string;
}

export function parseBoundSeries(name: string): BoundSeriesName | null {
  const m = /^bound\/([^/]+)\/([^/]+)$/.exec(name);
  if (!m) return null;
  const [, a, b] = m;
  const isMethod = (s: string) => Object.prototype.hasOwnProperty.call(BOUND_METHOD_INFO, canonicalMethod(s));
  if (isMethod(b)) return { name, layer: a, method: canonicalMethod(b) };
  if (isMethod(a)) return { name, layer: b, method: canonicalMethod(a) };
  return { name, layer: a, method: b };
}

export function methodLabel(method: string): string {
  return BOUND_METHOD_INFO[canonicalMethod(method)]?.label ?? method;
}

export function methodKind(method: string): KindWord | 'unknown' {
  return BOUND_METHOD_INFO[canonicalMethod(method)]?.kind ?? 'unknown';
}

/** The registry's colour of a bound series (the same in every chart and export); undefined for other series. */
export function seriesColor(name: string): string | undefined {
  const b = parseBoundSeries(name);
  return b ? BOUND_METHOD_INFO[b.method]?.color : undefined;
}

/** Layers that have bound series, in model order as far as names tell (conv1 < conv2 < conv10). */
export function boundLayers(names: readonly string[]): string[] {
  const layers = new Set<string>();
  for (const n of names) {
    const p = parseBoundSeries(n);
    if (p) layers.add(p.layer);
  }
  return [...layers].sort((x, y) => x.localeCompare(y, undefined, { numeric: true }));
}

/** "certified/0.1412" -> 0.1412 (plain certificates only, not the pairwise ones). */
export function certifiedEps(name: string): number | null {
  const m = /^certified\/([0-9.eE+-]+)$/.exec(name);
  if (!m) return null;
  const v = Number(m[1]);
  return Number.isFinite(v) ? v : null;
}

export const LOSS_SERIES = ['train/loss', 'train/ce', 'train/reg', 'eval/test_loss'];
export const ACCURACY_SERIES = ['train/acc', 'eval/train_acc', 'eval/val_acc', 'eval/test_acc'];
export const LIPSCHITZ_SERIES = 'eval/lipschitz';
export const CURVATURE_SERIES = 'eval/curvature_bound';
export const isCurvatureSeries = (n: string): boolean => n === CURVATURE_SERIES || n === 'eval/curvature';

/** The four reshape bounds √hw·‖R‖ … √hw·‖U‖ of Theorem 1 (drawn dashed under their minimum). */
export function isReshapeBound(name: string): boolean {
  return /^f4-[RSTU]$/.test(parseBoundSeries(name)?.method ?? '');
}

const SERIES_LABELS: Record<string, string> = {
  'train/loss': 'total loss',
  'train/ce': 'cross-entropy',
  'train/reg': 'regulariser (before β)',
  'eval/test_loss': 'test cross-entropy',
  'train/acc': 'batch accuracy',
  'eval/train_acc': 'train accuracy',
  'eval/val_acc': 'validation accuracy',
  'eval/test_acc': 'test accuracy',
  'eval/lipschitz': 'Lipschitz bound',
  'eval/curvature': 'curvature bound',
  'eval/curvature_bound': 'curvature bound',
};

export function seriesLabel(name: string): string {
  const b = parseBoundSeries(name);
  if (b) return `${b.layer} ${methodLabel(b.method)}`;
  const eps = certifiedEps(name);
  if (eps !== null) return `certified @ ε=${eps}`;
  const at = /^eval\/(pgd_acc|curvature_acc)@(.+)$/.exec(name);
  if (at) return `${at[1] === 'pgd_acc' ? 'PGD accuracy' : 'curvature-certified'} @ ε=${at[2]}`;
  return SERIES_LABELS[name] ?? name;
}
