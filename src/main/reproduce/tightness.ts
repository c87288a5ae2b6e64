/**
 * Tightness (paper Section 4, Table 1 and Figure 1): the four reshape norms sqrt(hw)||R||..||U|| of
 * Theorem 1, their minimum (F4), Sedghi's exact circular norm, Gram iteration, the Toeplitz bound and the
 * operator power-iteration estimate, on the 17 ResNet-18 convolutions (random He-normal weights, one
 * draw per seed) and on the conv layers of small networks trained here; which reshape is the minimum;
 * time per layer. The paper's notebook on pretrained ResNet-18 (F4 / exact 1.02–1.82) is context only.
 */
import type { BoundResult, F4Matrix, LayerGeometry } from '../../shared/bounds.js';
import { tightnessReference } from '../../shared/bound-methods.js';
import type { LayerEval } from '../../shared/events.js';
import { computeLayerBounds } from '../engine/bounds/layer-report.js';
import { streamSeed } from '../engine/data/rng.js';
import { heNormalKernel, resnet18Stack } from '../cli/resnet18-stack.js';
import { FMT, PALETTE, rich, type Cell, type Column, type NumFmt } from '../report/index.js';
import { meanSdCell } from '../report/seed-table.js';
import type { AnalyseContext, Artifacts, Experiment, PlanOptions, RunOutcome } from './experiment.js';
import { seeded, sized } from './sizes.js';
import { right } from './stats.js';

/** One conv layer's measured values; null where a method did not run (or refused the layer). */
export interface LayerMeasure {
  source: string;
  /** The layer as tables name it: the network (trained here) and the layer's own name. */
  name: string;
  shape: readonly number[];
  n: number;
  stride: number;
  reshapes: Record<F4Matrix, number>;
  f4: number;
  argmin: F4Matrix;
  exact: number | null;
  gram: number | null;
  toeplitz: number | null;
  operator: number | null;
  /** F4 over the best lower value of the operator it bounds (registry tightnessReference). */
  ratioRef: number | null;
  timeMs: Record<string, number>;
}

const valueOf = (bounds: readonly BoundResult[] | undefined, method: string): BoundResult | undefined =>
  bounds?.find((b) => b.method === method);

function ratioRef(f4: number, values: { method: string; value: number }[], g: LayerGeometry): number | null {
  const ref = tightnessReference('f4', [...values, { method: 'f4', value: f4 }], {
    kind: 'conv',
    padding: g.padding,
    stride: g.stride,
    n: g.n,
  });
  return ref ? f4 / ref.value : null;
}

/** The ResNet-18 stack at input size n / divisor (the quick form shrinks the feature maps, not the kernels). */
export function resnet18Measures(
  seed: number,
  divisor: number,
  onLayer: (name: string) => void,
  layers = 17,
): LayerMeasure[] {
  return resnet18Stack()
    .slice(0, layers)
    .map((layer, j) => {
      const n = Math.max(4, Math.ceil((layer.geometry.n as number) / divisor));
      const geometry: LayerGeometry = { ...layer.geometry, n };
      const r = computeLayerBounds(
        layer.name,
        heNormalKernel(layer.shapeHWIO, streamSeed(seed, 'resnetStackKernels', j)),
        geometry,
        {
          operatorIterations: 30,
        },
      );
      onLayer(layer.name);
      const all = [r.f4, r.exactCircular, r.gram, r.toeplitz, r.operator].filter(
        (b): b is BoundResult => b !== undefined,
      );
      const { R, S, T, U } = r.f4.matrixNorms;
      return {
        source: `ResNet-18 He init, seed ${seed}`,
        name: layer.name,
        shape: layer.shapeHWIO,
        n,
        stride: layer.geometry.stride,
        reshapes: { R: R * r.f4.sqrtHW, S: S * r.f4.sqrtHW, T: T * r.f4.sqrtHW, U: U * r.f4.sqrtHW },
        f4: r.f4.value,
        argmin: r.f4.argmin,
        exact: r.exactCircular?.value ?? null,
        gram: r.gram?.value ?? null,
        toeplitz: r.toeplitz?.value ?? null,
        operator: r.operator?.value ?? null,
        ratioRef: ratioRef(
          r.f4.value,
          all.filter((b) => b.method !== 'f4'),
          geometry,
        ),
        timeMs: Object.fromEntries(all.map((b) => [b.method, b.timeMs])),
      };
    });
}

/** The conv layers of a trained run's last evaluation. */
export function trainedMeasures(o: RunOutcome): LayerMeasure[] {
  return (o.lastEval?.layers ?? [])
    .filter((l) => l.kind === 'conv')
    .map((l: LayerEval) => {
      const geometry: LayerGeometry = { n: l.inputSize, stride: l.stride, padding: l.padding };
      const others = (l.bounds ?? [])
        .filter((b) => b.method !== 'f4')
        .map((b) => ({ method: b.method, value: b.value }));
      return {
        source: `${o.arm}, seed ${o.seed}`,
        name: `${o.arm.split(' ')[0]} ${l.name}`,
        shape: l.shape,
        n: l.inputSize[0],
        stride: l.stride,
        reshapes: { R: l.f4.R, S: l.f4.S, T: l.f4.T, U: l.f4.U },
        f4: l.f4.min,
        argmin: l.f4.argmin,
        exact: l.exactCircular ?? null,
        gram: l.gram ?? null,
        toeplitz: valueOf(l.bounds, 'toeplitz-norm2toep')?.value ?? null,
        operator: l.operatorEstimate ?? null,
        ratioRef: ratioRef(l.f4.min, others, geometry),
        timeMs: Object.fromEntries((l.bounds ?? []).map((b) => [b.method, b.timeMs])),
      };
    });
}

const NETS = [
  {
    arm: 'mnist-cnn (ReLU, SGD)',
    setting: {
      model: { arch: 'mnist-cnn', activation: 'relu' },
      optimizer: { kind: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 1e-4, schedule: { kind: 'cosine' } },
    },
  },
  {
    arm: 'lip-cnn (softplus, Adam)',
    setting: {
      model: { arch: 'lip-cnn', activation: 'softplus' },
      optimizer: { kind: 'adam', lr: 0.001, weightDecay: 0, schedule: { kind: 'constant' } },
    },
  },
] as const;

function plan(o: PlanOptions) {
  const arms = NETS.map(({ arm, setting }) => ({
    arm,
    config: sized(
      {
        ...setting,
        dataset: { name: 'mnist' },
        regularizer: { kind: 'none' },
        evaluation: { exactNorm: true, gramIterations: o.size === 'smoke' ? 2 : 6 },
        backend: 'auto',
      },
      o.size,
      { quick: 1, full: 10 },
    ),
  }));
  return seeded('tightness', arms, o.seeds);
}

/** Rows of the per-layer table: one per layer name of a source family, mean ± sd over the draws (seeds). */
function layerTable(file: string, caption: string, measures: LayerMeasure[]): Artifacts['tables'][number] {
  const names = [...new Set(measures.map((m) => m.name))];
  const fmt: NumFmt = FMT.bound;
  const col = (header: string): Column => right(header);
  const columns: Column[] = [
    { header: 'Layer', align: 'left' },
    { header: 'Kernel (h,w,in,out)', align: 'left' },
    col('n'),
    col('stride'),
    ...(['R', 'S', 'T', 'U'] as const).map((m) => col(`√hw‖${m}‖`)),
    col('F4 = min'),
    { header: 'argmin (draws)', align: 'left' },
    col('exact (circ.)'),
    col('Gram'),
    col('Toeplitz'),
    col('operator est.'),
    col('F4 / exact'),
    col('F4 / ref'),
    col('F4 ms'),
    col('exact ms'),
  ];
  const rows: Cell[][] = names.map((name) => {
    const ms = measures.filter((m) => m.name === name);
    const c = (f: (m: LayerMeasure) => number | null, nf: NumFmt = fmt): Cell => meanSdCell(ms.map(f), nf);
    const counts = (['R', 'S', 'T', 'U'] as const)
      .map((k) => [k, ms.filter((m) => m.argmin === k).length] as const)
      .filter(([, k]) => k > 0);
    return [
      name,
      ms[0].shape.join('×'),
      String(ms[0].n),
      String(ms[0].stride),
      ...(['R', 'S', 'T', 'U'] as const).map((k) => c((m) => m.reshapes[k])),
      c((m) => m.f4),
      counts.map(([k, v]) => `${k}×${v}`).join(' '),
      c((m) => m.exact),
      c((m) => m.gram),
      c((m) => m.toeplitz),
      c((m) => m.operator),
      c((m) => (m.exact ? m.f4 / m.exact : null), FMT.ratio),
      c((m) => m.ratioRef, FMT.ratio),
      c((m) => m.timeMs.f4 ?? null, { kind: 'fixed', digits: 1 }),
      c((m) => m.timeMs['sedghi-exact'] ?? null, { kind: 'fixed', digits: 1 }),
    ];
  });
  return {
    file,
    table: {
      caption,
      columns,
      rows,
      notes: [
        "Mean ± sd over the draws (seeds). exact (circ.) = Sedghi et al.'s norm of the circular stride-1 convolution at n; F4 / ref divides by the best lower value of the operator the layer really is (zero padding, its stride; the power-iteration estimate when no exact value applies). Times are wall-clock on a loaded 2-core machine.",
      ],
    },
  };
}

function argminTable(groups: { label: string; measures: LayerMeasure[] }[]): Artifacts['tables'][number] {
  const columns: Column[] = [
    { header: 'Layers', align: 'left' },
    right('count'),
    ...(['R', 'S', 'T', 'U'] as const).map((k) => right(`${k} is min (%)`)),
  ];
  const rows: Cell[][] = groups.map(({ label, measures }) => [
    label,
    String(measures.length),
    ...(['R', 'S', 'T', 'U'] as const).map((k) =>
      meanSdCell(
        [measures.length ? measures.filter((m) => m.argmin === k).length / measures.length : null],
        FMT.accuracy,
      ),
    ),
  ]);
  return { file: 'argmin', table: { caption: 'Which reshape gives the minimum (share of layers)', columns, rows } };
}

function ratioFigure(measures: LayerMeasure[], title: string, file: string): Artifacts['figures'][number] {
  const names = [...new Set(measures.map((m) => m.name))];
  const mean = (f: (m: LayerMeasure) => number | null) =>
    names.map((n) => {
      const v = measures
        .filter((m) => m.name === n)
        .map(f)
        .filter((x): x is number => x !== null);
      return v.length ? v.reduce((a, b) => a + b, 0) / v.length : Number.NaN;
    });
  const x = names.map((_, i) => i);
  const series = [
    { name: 'F4 (min of four)', y: mean((m) => m.f4) },
    { name: 'exact circular (Sedghi)', y: mean((m) => m.exact) },
    { name: 'Gram iteration', y: mean((m) => m.gram) },
    { name: 'Toeplitz', y: mean((m) => m.toeplitz) },
    { name: 'operator estimate (lower)', y: mean((m) => m.operator) },
  ].map((s, k) => ({ ...s, x, color: PALETTE[k] }));
  return {
    file,
    caption: `${title}: every bound per layer (mean over draws; log scale)`,
    chart: {
      title,
      xLabel: 'layer',
      yLabel: 'spectral-norm bound',
      logY: true,
      series,
      xTicks: names.map((label, value) => ({ value, label: label.replace(/^layer/, 'L') })),
    },
  };
}

function findings(random: LayerMeasure[], trained: LayerMeasure[]): string[] {
  const ratios = (ms: LayerMeasure[]) => ms.flatMap((m) => (m.exact ? [m.f4 / m.exact] : []));
  const range = (v: number[]) => {
    if (!v.length) return 'not measured';
    const s = [...v].sort((a, b) => a - b);
    return `${s[0].toFixed(2)}–${s[s.length - 1].toFixed(2)}, median ${s[Math.floor(s.length / 2)].toFixed(2)}`;
  };
  const kinds = (ms: LayerMeasure[]) => [...new Set(ms.map((m) => m.argmin))].sort().join(', ') || 'none';
  return [
    `F4 / exact circular norm on the ResNet-18 shapes with random He weights: ${range(ratios(random))} (${random.length} layers); reshapes that were the minimum: ${kinds(random)}.`,
    `F4 / exact circular norm on the conv layers trained here: ${range(ratios(trained))} (${trained.length} layers); reshapes that were the minimum: ${kinds(trained)}.`,
  ];
}

async function analyse(ctx: AnalyseContext): Promise<Artifacts> {
  const draws = ctx.options.size === 'smoke' ? 1 : ctx.options.seeds;
  // Smoke and quick shrink the feature maps (exact and Gram cost grows with n²); kernels are the real ones.
  const divisor = ctx.options.size === 'full' ? 1 : ctx.options.size === 'quick' ? 8 : 28;
  const layers = ctx.options.size === 'smoke' ? 3 : resnet18Stack().length;
  const random: LayerMeasure[] = [];
  let done = 0;
  for (let seed = 0; seed < draws; seed++) {
    random.push(
      ...resnet18Measures(
        seed,
        divisor,
        (name) => ctx.progress(++done, draws * layers, `ResNet-18 seed ${seed} ${name}`),
        layers,
      ),
    );
  }
  const trained = ctx.outcomes.flatMap(trainedMeasures);
  const nLabel = divisor === 1 ? 'at 224×224 input' : `at 224/${divisor} input (feature maps shrunk ${divisor}×)`;
  return {
    tables: [
      layerTable('resnet18-random', `ResNet-18 conv shapes, He-normal weights, ${nLabel}`, random),
      layerTable('trained', 'Conv layers of MNIST networks trained here (last evaluation)', trained),
      argminTable([
        { label: 'ResNet-18 random', measures: random },
        { label: 'trained here', measures: trained },
      ]),
    ],
    figures: [ratioFigure(random, `ResNet-18 shapes, He init, ${nLabel}`, 'resnet18-bounds')],
    findings: findings(random, trained),
  };
}

export const tightness: Experiment = {
  name: 'tightness',
  title: 'Tightness and cost of the bounds (Section 4, Table 1)',
  description:
    'the four F4 reshapes, their min, exact circular norm, Gram, Toeplitz and operator estimate on ResNet-18 shapes and trained nets; which reshape wins; time per layer',
  cost: {
    quick:
      '17 ResNet-18 shapes at 224/8-sized maps per seed (~2 min each) + 2 small nets × seeds for 1 epoch (~2 min each)',
    full: '17 shapes at 224×224 per seed (~15 min each) + 2 nets × seeds for 10 epochs on all of MNIST',
  },
  plan,
  analyse,
};

export { rich };
