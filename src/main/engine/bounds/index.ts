/**
 * The spectral-norm methods of a convolution layer, one export each, named as in their papers. Each module under
 * methods/ implements one method (and the fast paths beneath it); numerics/ holds what they share (the DFT of a
 * kernel, Lanczos, power iteration, small dense eigen-solvers and float64 BLAS); the WebAssembly SIMD kernels
 * they run on are text under engine/kernels/. The registry of the methods (names, what each bounds, when it
 * applies) is src/shared/bound-methods.ts; layer-report.ts runs them all on one layer.
 *
 *   f4Bound, f4PolyphaseBound   Singla & Feizi (ICLR 2021), Theorem 1: sqrt(hw) min(||R||, ||S||, ||T||, ||U||),
 *                               certified in float64 (methods/f4-certified.ts); the power iteration used in
 *                               training is methods/f4.ts
 *   sedghiExactNorm             Sedghi, Gupta & Long (ICLR 2019): the exact norm with circular padding, the
 *                               largest singular value over the per-frequency matrices (methods/sedghi.ts)
 *   gramIterationBound          Delattre et al. (ICML 2023): Gram iteration, an upper bound on the circular norm
 *   toeplitzBound               Delattre, Barthelemy & Allauzen (2024): the Toeplitz bound, valid for zero padding
 *   operatorNormEstimate        the norm of the layer as it runs (any padding and stride), by Lanczos on A^T A
 */
export { f4Bound, f4PolyphaseBound, type F4BoundOptions, type F4BoundReport } from './methods/f4-certified.js';
export { sedghiExactNorm, type SedghiOptions, type SedghiResult } from './methods/sedghi.js';
export { gramIterationBound, type GramIterationResult } from './methods/gram-iteration.js';
export { toeplitzBound, type ToeplitzResult } from './methods/toeplitz.js';
export { operatorNormEstimate, type OperatorNormOptions, type OperatorNormResult } from './methods/operator-power.js';
