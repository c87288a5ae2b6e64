/**
 * A-priori floating-point error bounds shared by the guaranteed bounds (Higham, "Accuracy and Stability of Numerical
 * Algorithms", Sec. 3.1): a chain of k roundings with unit roundoff u errs by at most gamma_k = k u / (1 - k u)
 * relative to the sum of the absolute values of its terms.
 */

/** Unit roundoff of float64. */
export const U64 = 2 ** -53;
/** Unit roundoff of float32. */
export const U32 = 2 ** -24;
/** Smallest positive float64 (subnormal): the absolute error allowance of one operation near underflow. */
export const UNDERFLOW64 = 2 ** -1074;

export const gamma = (k: number, u = U64): number => (k * u) / (1 - k * u);

/** Upper bound on a float64 sum of n non-negative terms from its computed value (terms exact or rounded once). */
export const sumUpper = (s: number, n: number): number => s * (1 + 2 * gamma(n + 1));

/** Covers the O(t) float64 operations of an enclosure's own scalar recurrence (each within a few ulps; t <= 30). */
export const ENCLOSURE_SLACK = 1 + 1e-13;
