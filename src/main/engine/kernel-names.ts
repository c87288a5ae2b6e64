/**
 * Names of Spectral Lab's own tfjs kernels, shared by the ops that call them (models/) and the backends that
 * register them (backends/), as tfjs-core's kernel_names.ts is: an op runs the kernel where the current backend
 * registers it, and its composite elsewhere.
 */

/** Inputs { x, y, dy } (x the 2x2 / stride-2 'valid' max-pool input, y its output): dx, models/pooling.ts. */
export const MAX_POOL_2X2_GRAD = 'SpectralLabMaxPool2x2Grad';
