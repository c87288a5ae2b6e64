/**
 * Analysis of an imported network: per-layer bounds in graph order, the Lipschitz composition and its waterfall,
 * what is not covered. The result is the JSON of `bounds --model` and what the Models view stores.
 */
import type { ImportedLayer, ModelAnalysis } from '../../../../shared/model-analysis.js';
import { isWeightNode, ModelImportError, type ImportedGraph } from './graph.js';
import { inferShapes, type ShapedGraph } from './shapes.js';
import { convLayerBounds, denseLayerBounds, type LayerBoundOptions } from './layer-bounds.js';
import { composeLipschitz } from './lipschitz.js';

export interface AnalyseOptions extends LayerBoundOptions {
  /** [C, H, W] or [D]; overrides the file's input shape. */
  inputShape?: number[];
  /** Per-channel normalisation applied before the network (x - mean) / std, pixels in [0, 1]. */
  mean?: number[];
  std?: number[];
  onLayer?: (done: number, total: number, name: string) => void;
}

export function checkNormalization(mean: number[] | undefined, std: number[] | undefined, channels: number): void {
  for (const [flag, v] of [
    ['--mean', mean],
    ['--std', std],
  ] as const) {
    if (v && v.length !== 1 && v.length !== channels) {
      throw new ModelImportError(
        `${flag} has ${v.length} values but the input has ${channels} channels; give one value or one per channel.`,
      );
    }
  }
  if (std?.some((s) => !(s > 0))) throw new ModelImportError(`--std values must be > 0, got ${std.join(',')}.`);
}

export function analyseModel(graph: ImportedGraph, opts: AnalyseOptions = {}): ModelAnalysis {
  const t0 = performance.now();
  const sg: ShapedGraph = inferShapes(graph, opts.inputShape);
  checkNormalization(opts.mean, opts.std, sg.inputShape[0]);
  const weightNodes = graph.nodes.filter(isWeightNode).filter((n) => sg.shapes.has(n.output));
  const layers: ImportedLayer[] = weightNodes.map((node, j) => {
    const r = node.kind === 'conv' ? convLayerBounds(node, sg, opts) : denseLayerBounds(node, sg);
    opts.onLayer?.(j + 1, weightNodes.length, node.name);
    return r;
  });
  const byName = new Map(layers.map((l) => [l.name, l]));
  const comp = composeLipschitz(sg, (name) => (byName.get(name) as ImportedLayer).certified_upper_bound);
  const complete = comp.network !== null;
  const analysis: ModelAnalysis = {
    model: {
      file: graph.file,
      format: graph.format,
      ...(graph.opset !== undefined ? { opset: graph.opset } : {}),
      ...(graph.producer ? { producer: graph.producer } : {}),
      input_name: graph.inputName,
      input_shape: sg.inputShape,
      output_name: graph.outputName,
    },
    layers,
    nodes: comp.nodes.map((n) => ({
      name: n.name,
      op: n.op,
      lipschitz: n.lipschitz,
      log_bound_in: Math.log(n.inputBound),
      log_bound_out: Math.log(n.outputBound),
    })),
    lipschitz_upper_bound: comp.network,
    lipschitz_covers: {
      complete,
      up_to: complete ? graph.outputName : comp.coveredUpTo.tensor,
      bound: complete ? (comp.network as number) : comp.coveredUpTo.bound,
      description: complete
        ? `the whole network, input '${graph.inputName}' to output '${graph.outputName}' (residual Adds, pooling and normalisation included)`
        : `only from input '${graph.inputName}' to tensor '${comp.coveredUpTo.tensor}': the unsupported nodes listed stop the composition`,
    },
    unsupported: graph.unsupported,
    notes: graph.notes,
    total_time_ms: 0,
  };
  if (opts.std) {
    // x_norm = (x - mean) / std is diagonal: Lip = max_c 1 / std_c, multiplied in front of the network.
    const factor = Math.max(...opts.std.map((s) => 1 / s));
    analysis.input_normalization = {
      mean: opts.mean ?? [0],
      std: opts.std,
      factor,
      pixel_lipschitz_upper_bound: comp.network === null ? null : comp.network * factor,
    };
  }
  analysis.total_time_ms = performance.now() - t0;
  return analysis;
}
