/** The per-layer table of an imported network's analysis as CSV: `bounds --model --format csv` and the Models view's export. */
import type { ImportedLayer } from './model-analysis.js';
import { csvLine } from './text-escape.js';

export const LAYER_CSV_COLUMNS = [
  'name',
  'op',
  'weight_shape',
  'stride',
  'padding',
  'dilation',
  'groups',
  'input_shape',
  'f4_R',
  'f4_S',
  'f4_T',
  'f4_U',
  'f4_min_bound',
  'f4_polyphase',
  'circular_s1_exact_fft',
  'toeplitz_bound',
  'operator_estimate',
  'certified_upper_bound',
  'certified_by',
  'log_sigma',
];

export function layersCsv(layers: ImportedLayer[]): string {
  const rows = layers.map((l) => [
    l.name,
    l.op,
    l.weight_shape.join('x'),
    l.stride.join('x'),
    l.padding.join(' '),
    l.dilation.join('x'),
    l.groups,
    l.input_shape.join('x'),
    l.f4?.matrix_norms.R ?? '',
    l.f4?.matrix_norms.S ?? '',
    l.f4?.matrix_norms.T ?? '',
    l.f4?.matrix_norms.U ?? '',
    l.f4?.min_bound ?? '',
    l.f4_polyphase?.min_bound ?? '',
    l.circular_s1_exact_fft ?? '',
    l.toeplitz_bound ?? '',
    l.operator_estimate ?? '',
    l.certified_upper_bound,
    l.certified_by,
    l.log_sigma,
  ]);
  return [LAYER_CSV_COLUMNS, ...rows].map((r) => csvLine(r)).join('');
}
