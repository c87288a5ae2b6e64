/** Certification and robustness metrics: Lipschitz composition, certified accuracy, l2 PGD, curvature (CRC). */
export {
  CertifyError,
  certifiedAccuracyCurve,
  curvatureCertifiedRadius,
  lipschitzMarginRadius,
  pairwiseMarginRadius,
  radiusHistogram,
  validateEpsilons,
  type RadiusHistogram,
} from '../../../shared/certify-math.js';
export {
  FLATTEN_LIPSCHITZ,
  activationLipschitz,
  batchNormLipschitz,
  maxPoolLipschitz,
  networkLipschitz,
  type ActivationName,
  type LipschitzNode,
} from './lipschitz.js';
export {
  averagePoolNorm1D,
  averagePoolOperatorNorm,
  averagePoolSchurBound,
  averagePoolWindows1D,
  type AveragePoolSpec,
  type PoolNorm1D,
  type PoolPadding,
  type PoolWindow1D,
} from './pool-norm.js';
export {
  collectLogits,
  toHostLabels,
  toHostLogits,
  type Forward,
  type HostLogits,
  type LabelsInput,
  type LogitsInput,
} from './inputs.js';
export {
  certifiedAccuracy,
  classDifferenceNorms,
  marginOf,
  type CertificateCurve,
  type CertifiedAccuracyReport,
  type PairwiseLastLayer,
} from './certified-accuracy.js';
export { pgdRobustAccuracy, type PgdLoss, type PgdOptions, type PgdReport } from './pgd.js';
export { pgdCurve, pgdGrid, pgdStoredRadii, type PgdCurve, type PgdCurveOptions } from './pgd-curve.js';
export {
  SMOOTH_ACTIVATION_BOUNDS,
  curvatureBound,
  type ActivationDerivativeBounds,
  type CurvatureBoundReport,
  type CurvatureLayer,
  type SmoothActivation,
} from './curvature.js';
export { curvatureCertifiedAccuracy, type CurvatureCertifiedReport } from './curvature-certificate.js';
