/**
 * What a caller chooses for computeLayerBounds (layer-report.ts), kept apart from it so that a shell can name the
 * options (and hand them to the layer pool's threads) without loading the methods and TensorFlow.js.
 */

export type LayerBoundMethod = 'exact' | 'gram' | 'toeplitz' | 'operator';

export interface LayerBoundsOptions {
  /** Which methods beyond F4 to run (F4 always runs). Default: all. */
  methods?: LayerBoundMethod[];
  gramIterations?: number;
  toeplitzIterations?: number;
  operatorIterations?: number;
  /**
   * Stop the operator estimate once one Lanczos product raises it by less than this (relative; from the circular
   * start only). Default: off, so it runs to convergence or operatorIterations; `bounds` passes OPERATOR_STALL_TOL.
   */
  operatorStallTol?: number;
  /** Relative slack for float32 methods when checking upper >= exact. */
  tolerance?: number;
  /**
   * Keep every singular value of the exact (Sedghi) computation in `report.spectrum`: the dense per-frequency
   * eigenvalues give the norm and the spectrum at once, so a histogram costs no second exact run.
   */
  spectrum?: boolean;
}

/**
 * Relative growth per Lanczos product below which the operator estimate stops. Measured on the 17 ResNet-18 layers:
 * from the circular start the estimate passes the 30-step random-start value while it still grows by 2e-5 to 1e-3
 * per product, so 1e-5 keeps it at least that tight. From a random start (small maps) the stall test is off and the
 * iteration cap decides, as before.
 */
export const OPERATOR_STALL_TOL = 1e-5;
