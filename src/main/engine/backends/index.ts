/** Compute backends: selection (native TF, WASM with Spectral Lab's kernels, CPU) and WASM kernels. */
export { selectBackend, resolveBackend, currentBackendReport, BackendUnavailableError } from './select.js';
export { DEFAULT_PROBES, type BackendProbe, type Activation } from './probes.js';
export { startWasmBackend, wantedWasmThreads, wasmBinaryFolder, type WasmStart } from './wasm-setup.js';
export { registerWasmKernels, WASM_KERNELS_ADDED, WASM_KERNELS_OVERRIDDEN } from './wasm-kernels/index.js';
export type { BackendChoice, BackendName, BackendReport, BackendAttempt } from '../../../shared/backend.js';
