/**
 * The one registry of spectral-norm methods: what each one is (kind, paper), which operator its value describes
 * for a given layer geometry, which operators it is proved to be at least (or at most) the norm of, display order
 * and colour. The engine's consistency check and certified-bound choice, the store's validity, the API's method
 * enum, the CLI's columns and the UI's labels, colours, tightness and alarms are all derived from here.
 * Pure TS: no Node, no tfjs, no DOM.
 *
 * Two operators matter for a conv layer of kernel K at input size n:
 *  - 'layer': the convolution as the layer really runs (its padding, stride, dilation);
 *  - 'circular-s1': the stride-1 circular convolution at n (Sedghi et al.'s operator). For a circular layer at
 *    stride 1 the two are the same operator, and then every value of one is a value of the other.
 * Comparisons are only made between values that describe the same operator.
 */

/** What a number is with respect to the true spectral norm of the operator it describes. */
export type BoundKind = 'upper bound' | 'exact' | 'estimate (lower)';

/** The operators a value can describe (see the module comment). */
export type NormOperator = 'layer' | 'circular-s1';

/** How a layer runs, as far as the validity of a method depends on it. */
export interface MethodGeometry {
  kind?: 'conv' | 'dense';
  padding: 'same' | 'valid' | 'circular';
  stride: number;
  /** Default 1. */
  dilation?: number;
  /** Default 1. */
  groups?: number;
  /** Spatial input size (square n or [height, width]); unknown before an evaluation. */
  n?: number | [number, number];
}

/** A layer whose geometry is not known (yet) is taken as zero-padded at stride 1: then no circular value judges it. */
export const UNKNOWN_GEOMETRY: MethodGeometry = { padding: 'same', stride: 1 };

export interface BoundMethodSpec {
  id: string;
  /** Label in legends and table headers. */
  label: string;
  /** Short CLI column header. */
  column: string;
  paper: string;
  kind: BoundKind;
  /** Display order in every table, legend and chart. */
  order: number;
  /** Whether the engine computes it for a layer (otherwise it is only read from stores and files, e.g. Miyato's T). */
  computed: boolean;
  /** Colour-blind safe (Okabe–Ito, Tol muted), distinct per method, the same in every chart and export. */
  color: string;
  /** Whether the method describes this layer at all (computed, stored, shown). */
  appliesTo(g: MethodGeometry): boolean;
  /** The operator whose norm the value is (exact), estimates from below, or over-approximates. */
  operator(g: MethodGeometry): NormOperator;
  /** Operators whose norm this value is proved to be at least. */
  atLeast(g: MethodGeometry): NormOperator[];
  /** Operators whose norm this value is proved to be at most. */
  atMost(g: MethodGeometry): NormOperator[];
}

const dilationOf = (g: MethodGeometry) => g.dilation ?? 1;
const groupsOf = (g: MethodGeometry) => g.groups ?? 1;
const isConv = (g: MethodGeometry) => g.kind !== 'dense';
/** For a circular stride-1 layer the layer is Sedghi's operator. */
const layerIsCircularS1 = (g: MethodGeometry) => g.padding === 'circular' && g.stride === 1 && dilationOf(g) === 1;
/** Striding keeps a subset of the output rows, so a bound of the stride-1 circular operator bounds a strided circular layer. */
const layerUnderCircularS1 = (g: MethodGeometry) => g.padding === 'circular' && dilationOf(g) === 1;
const ALL: NormOperator[] = ['layer', 'circular-s1'];

/**
 * Each method once. Colours: Okabe–Ito blue, sky blue, vermillion, reddish purple, orange, and Tol muted olive,
 * wine, grey, chosen to stay apart for the common colour-vision deficiencies in both themes.
 */
export const BOUND_METHODS = [
  {
    id: 'f4',
    label: 'F4 (Thm 1)',
    column: 'F4',
    paper: 'Singla & Feizi, ICLR 2021, Theorem 1: sqrt(hw) * min(||R||, ||S||, ||T||, ||U||)',
    kind: 'upper bound',
    order: 0,
    computed: true,
    color: '#0072B2',
    // Theorem 1 bounds the circular and every zero-padded operator at every n; striding and dilation keep a
    // subset of rows / spread the same taps, so it holds for them too. The stored kernel of a grouped layer is
    // not the layer's kernel, hence groups 1 (f4-certified.ts splits groups before calling it).
    appliesTo: (g: MethodGeometry) => groupsOf(g) === 1,
    operator: () => 'layer',
    atLeast: (g: MethodGeometry) => (isConv(g) ? ALL : ['layer']),
    atMost: () => [],
  },
  {
    id: 'f4-polyphase',
    label: 'F4 polyphase',
    column: 'F4 poly',
    paper: 'Singla & Feizi 2021, Theorem 1 on the space-to-depth (polyphase) kernel of a strided convolution',
    kind: 'upper bound',
    order: 1,
    computed: true,
    color: '#56B4E9',
    appliesTo: (g: MethodGeometry) => isConv(g) && g.stride > 1 && groupsOf(g) === 1,
    operator: () => 'layer',
    // Only the strided operator: the polyphase kernel is the stride-s layer rewritten at stride 1.
    atLeast: () => ['layer'],
    atMost: () => [],
  },
  {
    id: 'gram-iteration',
    label: 'Gram iteration',
    column: 'Gram',
    paper: 'Delattre, Barthélemy, Araujo & Allauzen, ICML 2023',
    kind: 'upper bound',
    order: 3,
    computed: true,
    color: '#E69F00',
    appliesTo: (g: MethodGeometry) => isConv(g) && dilationOf(g) === 1 && groupsOf(g) === 1,
    operator: () => 'circular-s1',
    // Circular at the same n only: e.g. a [1, -1] kernel at n = 3 has circular norm sqrt(3) but zero-padded norm 1.80.
    atLeast: (g: MethodGeometry) => (layerUnderCircularS1(g) ? ALL : ['circular-s1']),
    atMost: () => [],
  },
  {
    id: 'toeplitz-norm2toep',
    label: 'Toeplitz bound',
    column: 'Toeplitz',
    paper: 'Delattre, Barthélemy & Allauzen, 2024: sup of the symbol, every n, zero or circular padding',
    kind: 'upper bound',
    order: 4,
    computed: true,
    color: '#999933',
    // The symbol's sup bounds the circulant (samples of the symbol) and the Toeplitz (zero-padded) operator at
    // every n; 'valid' is a submatrix of 'same', striding keeps a subset of rows, dilation resamples the symbol.
    appliesTo: (g: MethodGeometry) => isConv(g) && groupsOf(g) === 1,
    operator: () => 'layer',
    atLeast: () => ALL,
    atMost: () => [],
  },
  {
    id: 'miyato-t',
    label: '√hw·‖T‖ (Miyato)',
    column: 'Miyato T',
    paper: 'Miyato et al. 2018 reshape, scaled by sqrt(hw) as in Singla & Feizi 2021 (one of Theorem 1’s four)',
    kind: 'upper bound',
    order: 5,
    computed: false,
    color: '#888888',
    appliesTo: (g: MethodGeometry) => groupsOf(g) === 1,
    operator: () => 'layer',
    atLeast: (g: MethodGeometry) => (isConv(g) ? ALL : ['layer']),
    atMost: () => [],
  },
  {
    id: 'sedghi-exact',
    label: 'exact (circular, stride 1)',
    column: 'exact (circ, s=1)',
    paper: 'Sedghi, Gupta & Long, ICLR 2019: max over DFT frequencies of the per-frequency sigma_max',
    kind: 'exact',
    order: 6,
    computed: true,
    color: '#CC79A7',
    appliesTo: (g: MethodGeometry) => isConv(g) && groupsOf(g) === 1,
    operator: (g: MethodGeometry) => (layerIsCircularS1(g) ? 'layer' : 'circular-s1'),
    // Exact for its operator; for a strided circular layer it is also an upper bound (a subset of the rows).
    atLeast: (g: MethodGeometry) => (layerUnderCircularS1(g) ? ALL : ['circular-s1']),
    atMost: (g: MethodGeometry) => (layerIsCircularS1(g) ? ALL : ['circular-s1']),
  },
  {
    id: 'dense-exact',
    label: 'exact (dense)',
    column: 'exact dense',
    paper: 'sigma_max of the dense kernel (SVD)',
    kind: 'exact',
    order: 7,
    computed: false,
    color: '#882255',
    appliesTo: (g: MethodGeometry) => g.kind === 'dense',
    operator: () => 'layer',
    atLeast: () => ['layer'],
    atMost: () => ['layer'],
  },
  {
    id: 'operator-power',
    label: 'operator estimate',
    column: 'operator est',
    paper: 'Lanczos on A^T A with the convolution and its adjoint, as the layer runs (its padding and stride)',
    kind: 'estimate (lower)',
    order: 8,
    computed: true,
    color: '#D55E00',
    appliesTo: () => true,
    operator: () => 'layer',
    atLeast: () => [],
    atMost: () => ['layer'],
  },
] as const satisfies readonly BoundMethodSpec[];

export type BoundMethod = (typeof BOUND_METHODS)[number]['id'];
export const BOUND_METHOD_IDS = BOUND_METHODS.map((m) => m.id) as [BoundMethod, ...BoundMethod[]];

/**
 * Series tokens that are not methods of their own: Theorem 1's four reshapes (each an upper bound like F4, drawn
 * dashed in F4's colour) and the certified bound the Lipschitz bound used (the smallest valid upper bound).
 */
export const RESHAPE_TOKENS = ['f4-R', 'f4-S', 'f4-T', 'f4-U'] as const;
export const CERTIFIED_TOKEN = 'certified';
const CERTIFIED_SPEC: BoundMethodSpec = {
  id: CERTIFIED_TOKEN,
  label: 'certified (used for Lipschitz)',
  column: 'certified',
  paper: 'the smallest upper bound valid for the layer as it runs, used in the network Lipschitz bound',
  kind: 'upper bound',
  order: 2,
  computed: true,
  color: '#009E73',
  appliesTo: () => true,
  operator: () => 'layer',
  atLeast: () => ['layer'],
  atMost: () => [],
};

/** Every series token with its spec; a registry other than BOUND_METHODS can be passed (tests add a fake method). */
export function seriesSpecs(registry: readonly BoundMethodSpec[] = BOUND_METHODS): BoundMethodSpec[] {
  const f4 = registry.find((m) => m.id === 'f4');
  const reshapes = f4
    ? RESHAPE_TOKENS.map((id, i) => ({
        ...f4,
        id,
        label: `√hw·‖${id.slice(3)}‖`,
        column: `‖${id.slice(3)}‖`,
        order: f4.order + 0.1 * (i + 1),
      }))
    : [];
  return [...registry, ...reshapes, CERTIFIED_SPEC].sort((a, b) => a.order - b.order);
}

/** The default registry's specs by id, built once: the UI asks for them per layer and step. */
let defaultSpecs: Map<string, BoundMethodSpec> | null = null;

export function methodSpec(
  id: string,
  registry: readonly BoundMethodSpec[] = BOUND_METHODS,
): BoundMethodSpec | undefined {
  if (registry !== BOUND_METHODS) return seriesSpecs(registry).find((m) => m.id === id);
  defaultSpecs ??= new Map(seriesSpecs().map((m) => [m.id, m]));
  return defaultSpecs.get(id);
}

export function isBoundMethod(id: string): id is BoundMethod {
  return (BOUND_METHOD_IDS as string[]).includes(id);
}

export const operatorLabel = (op: NormOperator, g: MethodGeometry): string =>
  op === 'circular-s1' || layerIsCircularS1(g)
    ? 'circular, stride 1'
    : `${g.padding === 'circular' ? 'circular' : 'zero'} padding, stride ${g.stride}`;

/** One value of one layer, as every consumer has it. */
export interface MethodValue {
  method: string;
  value: number;
}

export interface BoundViolation {
  method: string;
  value: number;
  against: string;
  reference: number;
  operator: NormOperator;
  message: string;
}

/**
 * Every pair (a, b) where a is proved to be at least the norm of an operator that b is proved to be at most, but
 * a < b (beyond the relative tolerance): a bug or a numerical problem. The engine's check and the UI's alarms.
 */
export function boundViolations(
  values: readonly MethodValue[],
  g: MethodGeometry,
  tol = 1e-6,
  registry: readonly BoundMethodSpec[] = BOUND_METHODS,
): BoundViolation[] {
  const out: BoundViolation[] = [];
  const known = values
    .map((v) => ({ v, s: methodSpec(v.method, registry) }))
    .filter((x) => x.s !== undefined && Number.isFinite(x.v.value));
  for (const hi of known) {
    for (const lo of known) {
      if (hi === lo || hi.s === undefined || lo.s === undefined) continue;
      const op = hi.s.atLeast(g).find((o) => lo.s?.atMost(g).includes(o));
      if (op === undefined || hi.v.value >= lo.v.value * (1 - tol)) continue;
      out.push({
        method: hi.v.method,
        value: hi.v.value,
        against: lo.v.method,
        reference: lo.v.value,
        operator: op,
        message: `${hi.s.label} ${hi.v.value.toPrecision(7)} is below the ${lo.s.label} ${lo.v.value.toPrecision(7)} (${operatorLabel(op, g)})`,
      });
    }
  }
  return out;
}

/**
 * The value an upper bound is judged against: the best lower value (an exact value, else the largest lower
 * estimate) of the first operator it bounds, the layer as it runs before the circular stride-1 one.
 */
export function tightnessReference(
  method: string,
  values: readonly MethodValue[],
  g: MethodGeometry,
  registry: readonly BoundMethodSpec[] = BOUND_METHODS,
): { method: string; value: number; operator: NormOperator } | null {
  const spec = methodSpec(method, registry);
  if (!spec || spec.kind !== 'upper bound') return null;
  for (const op of spec.atLeast(g)) {
    const lows = values
      .map((v) => ({ v, s: methodSpec(v.method, registry) }))
      .filter(
        (x) =>
          x.s !== undefined &&
          x.s.kind !== 'upper bound' &&
          x.s.atMost(g).includes(op) &&
          Number.isFinite(x.v.value) &&
          x.v.value > 0,
      );
    if (lows.length === 0) continue;
    const exact = lows.find((x) => x.s?.kind === 'exact');
    const best = exact ?? lows.reduce((a, b) => (b.v.value > a.v.value ? b : a));
    return { method: best.v.method, value: best.v.value, operator: op };
  }
  return null;
}

/** The smallest upper bound proved for the layer as it runs: what the network's Lipschitz bound multiplies. */
export function certifiedChoice(
  values: readonly MethodValue[],
  g: MethodGeometry,
  registry: readonly BoundMethodSpec[] = BOUND_METHODS,
): MethodValue | null {
  let best: MethodValue | null = null;
  for (const v of values) {
    const s = methodSpec(v.method, registry);
    if (
      !s ||
      s.id === CERTIFIED_TOKEN ||
      s.kind !== 'upper bound' ||
      !s.atLeast(g).includes('layer') ||
      !Number.isFinite(v.value)
    )
      continue;
    if (best === null || v.value < best.value) best = { method: v.method, value: v.value };
  }
  return best;
}

/** The BoundResult.validFor of a method on a layer: 'any' when it holds for the layer at every padding. */
export function validityOf(
  method: BoundMethod,
  g: MethodGeometry,
): { padding: 'circular' | 'zero-same' | 'zero-valid' | 'any'; stride: number; n?: number | [number, number] } {
  const spec = methodSpec(method);
  const holds = (p: MethodGeometry['padding']) => {
    const probe = { ...g, padding: p };
    return spec !== undefined && [...spec.atLeast(probe), ...spec.atMost(probe)].includes('layer');
  };
  const withN = g.n !== undefined ? { n: g.n } : {};
  if (spec?.kind === 'upper bound' && (['same', 'valid', 'circular'] as const).every(holds))
    return { padding: 'any', stride: g.stride };
  if (!holds(g.padding)) return { padding: 'circular', stride: 1, ...withN };
  const padding = g.padding === 'circular' ? 'circular' : g.padding === 'valid' ? 'zero-valid' : 'zero-same';
  return { padding, stride: g.stride, ...withN };
}
