/**
 * The analysis of an imported network (ONNX or tfjs LayersModel): what `spectral-lab bounds --model FILE
 * --format json` prints, what the Models view shows and what the store keeps. Plain JSON, snake_case like the
 * reference vectors. Every value is an unscaled spectral norm of the layer's linear map (bias excluded).
 */
import type { F4Matrix } from './bounds.js';

export interface ImportedF4 {
  matrix_norms: Record<F4Matrix, number>;
  min_bound: number;
  argmin: F4Matrix;
  /** sqrt(h*w) of the (undilated, or polyphase) kernel. */
  constant_sqrt_hw: number;
}

export interface ImportedLayer {
  name: string;
  /** Operator as the file names it: "Conv", "Gemm", "MatMul" (ONNX) or "Conv2D", "DepthwiseConv2D", "Dense" (tfjs). */
  op: string;
  kind: 'conv' | 'dense';
  /** As stored in the file: [out, in/groups, kh, kw] for an ONNX Conv, [out, in] for Gemm after transB, [in, out] for MatMul / Dense. */
  weight_shape: number[];
  /** [stride_h, stride_w] ([1, 1] for dense layers). */
  stride: [number, number];
  /** Resolved zero pads [top, left, bottom, right] at the layer's input size ([0, 0, 0, 0] for dense). */
  padding: [number, number, number, number];
  dilation: [number, number];
  groups: number;
  /** [C, H, W] or [D], no batch. */
  input_shape: number[];
  output_shape: number[];
  /** Power iteration (Lanczos) on the layer as it runs, or the dense layer's float64 sigma_max: a lower estimate. */
  operator_estimate: number | null;
  /** The smallest valid upper bound below: what the network bound multiplies in. */
  certified_upper_bound: number;
  certified_by: string;
  f4?: ImportedF4;
  /** F4 of the space-to-depth kernel, for strided convs. */
  f4_polyphase?: ImportedF4;
  /** Sedghi et al.'s exact norm of the circular convolution at the real input size (stride-1 convs; not a bound for zero padding). */
  circular_s1_exact_fft?: number | null;
  /** Delattre et al. 2024 bound for zero padding (every n), on the dilated kernel. */
  toeplitz_bound?: number | null;
  /** Delattre et al. 2023: bounds the circular operator only, so null for zero-padded layers (reason in `skipped`). */
  gram_iteration?: number | null;
  /** ln of certified_upper_bound: the layer's share of ln L. */
  log_sigma: number;
  times_ms: Record<string, number>;
  skipped: { method: string; reason: string }[];
  /** A BatchNormalization folded into this layer's weights (the numbers are those of the folded layer). */
  folded_batchnorm?: string;
  /** Upper bounds found below the lower estimate (never expected: a bug alarm). */
  violations: string[];
}

/** One node's step in the composition (the waterfall): ln of the bound before and after it. */
export interface ImportedNodeStep {
  name: string;
  op: string;
  lipschitz: number;
  log_bound_in: number;
  log_bound_out: number;
}

/** The nodes a waterfall of ln L draws (the Models view and the report): those that change the bound, and every residual Add. */
export function waterfallNodes(nodes: readonly ImportedNodeStep[]): ImportedNodeStep[] {
  return nodes.filter((n) => n.log_bound_out !== n.log_bound_in || n.op === 'Add');
}

export interface ModelAnalysis {
  model: {
    file: string;
    format: 'onnx' | 'tfjs';
    opset?: number;
    producer?: string;
    input_name: string;
    input_shape: number[];
    output_name: string;
  };
  layers: ImportedLayer[];
  nodes: ImportedNodeStep[];
  /** Lipschitz upper bound of the whole network (from its input as stored), or null if an unsupported node is on the way. */
  lipschitz_upper_bound: number | null;
  lipschitz_covers: { complete: boolean; up_to: string; bound: number; description: string };
  /** With --mean/--std: the bound w.r.t. pixels in [0, 1] (the normalisation's factor max 1/std multiplied in). */
  input_normalization?: { mean: number[]; std: number[]; factor: number; pixel_lipschitz_upper_bound: number | null };
  unsupported: { op: string; name: string; reason: string }[];
  notes: string[];
  total_time_ms: number;
  certificates?: ModelCertificates;
}

export interface ModelCertificates {
  dataset: string;
  n: number;
  clean_accuracy: number;
  epsilons: number[];
  /** Lipschitz-margin certificate (Tsuzuku et al. 2018): radius = margin / (sqrt(2) L), L in pixel space. */
  standard: number[];
  /** Pairwise last-layer certificate (Singla et al. 2022), when the network ends in a dense layer. */
  pairwise: number[] | null;
  /** PGD (l2, Madry et al.) robust accuracy at each eps: an empirical upper estimate. */
  pgd: number[] | null;
  lipschitz: number;
  /**
   * Every test point's certified radius per certificate, ascending (0: misclassified), as a run's evaluation keeps them
   * (shared/certify-math.ts draws accuracy at every eps from them). Absent in analyses stored before they were kept.
   * JSON has no Infinity: an unbounded radius (L = 0) is stored as null.
   */
  radii?: { lipschitz: (number | null)[]; pairwise: (number | null)[] | null };
}

// ---------------------------------------------------------------- the Models view's API

/** A model sent from the UI: its file(s) as bytes (model.onnx [+ external data], or model.json + weight shards). */
export interface ModelUpload {
  files: { name: string; base64: string }[];
}

/** The request body of an upload may hold this many bytes (base64 included); serve raises its limit to it for analyseModel. */
export const MODEL_UPLOAD_MAX_BYTES = 400 * 1024 * 1024;

export interface ModelAnalysisRequest {
  /** [C, H, W] or [D]; overrides the file's input shape. */
  inputShape?: number[];
  mean?: number[];
  std?: number[];
  /** Labelled set for certificates: mnist, fashion-mnist, cifar10, or a folder / IDX file on the lab's machine. */
  dataset?: string;
  epsilons?: number[];
  /** Test images used for certificates (default 1000). */
  limit?: number;
  /** PGD steps per eps (default 10; 0 skips the attack). */
  pgdSteps?: number;
  /** Name shown in the list (default: the model file's name). */
  name?: string;
}

export interface ModelAnalysisSummary {
  id: string;
  name: string;
  format: 'onnx' | 'tfjs';
  createdAt: number;
  layers: number;
  lipschitz: number | null;
}

export interface StoredModelAnalysis {
  summary: ModelAnalysisSummary;
  analysis: ModelAnalysis;
}
