/**
 * Folding a BatchNormalization (eval mode: y_c = s_c (x_c - mu_c) + beta_c, s_c = gamma_c / sqrt(var_c + eps)) or a
 * bias Add into the Conv / dense layer before it. The folded layer is the composition itself, so its spectral
 * norm bounds the pair exactly, never looser than ||layer|| * max |s_c| (what a standalone BN would multiply in).
 */
import type { BatchNormNode, GraphNode } from './graph.js';

export function foldBatchNorm(prev: GraphNode, bn: BatchNormNode): boolean {
  if ((prev.kind !== 'conv' && prev.kind !== 'dense') || prev.foldedBatchNorm) return false;
  const co = prev.kind === 'conv' ? prev.kernel.shape[3] : prev.outDim;
  if (bn.scale.length !== co) return false;
  const s = Array.from(bn.scale, (g, c) => g / Math.sqrt(bn.variance[c] + bn.epsilon));
  if (prev.kind === 'conv') {
    const data = Float64Array.from(prev.kernel.data, (v, j) => v * s[j % co]);
    prev.kernel = { shape: prev.kernel.shape, data };
  } else {
    prev.weight = prev.weight.map((v, j) => v * s[Math.floor(j / prev.inDim)]);
  }
  const b = prev.bias;
  prev.bias = Float32Array.from(s, (sc, c) => ((b ? b[c] : 0) - bn.mean[c]) * sc + bn.bias[c]);
  prev.output = bn.output;
  prev.foldedBatchNorm = bn.name;
  return true;
}

/** A constant added to a layer's output is its bias if it has one value per output channel (any broadcast shape). */
export function foldBias(prev: GraphNode, c: Float64Array, output: string): boolean {
  if ((prev.kind !== 'conv' && prev.kind !== 'dense') || prev.bias || prev.foldedBatchNorm) return false;
  const co = prev.kind === 'conv' ? prev.kernel.shape[3] : prev.outDim;
  if (c.length !== co && c.length !== 1) return false;
  prev.bias = Float32Array.from({ length: co }, (_, o) => c[c.length === 1 ? 0 : o]);
  prev.output = output;
  return true;
}
