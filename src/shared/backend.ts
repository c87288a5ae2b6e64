/**
 * The compute-backend contract: which TensorFlow.js backend runs the engine, and why that one.
 * Pure types — no Node, no tfjs, no DOM — so the CLI, the store (run metadata) and the UI all
 * describe the backend the same way.
 */

/** Backends in preference order: CUDA via tfjs-node-gpu, native TF via tfjs-node, WASM (XNNPACK), pure JS. */
export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

/** 'auto' takes the first available backend in {@link BACKEND_PREFERENCE} order. */
export type BackendChoice = 'auto' | BackendName;

export const BACKEND_PREFERENCE: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;

export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', ...BACKEND_PREFERENCE] as const;

export interface BackendAttempt {
  name: BackendName;
  available: boolean;
  /** Why it is not available (missing package, missing CUDA libraries, init error), or a note. */
  reason?: string;
}

export interface BackendReport {
  /** The backend that actually runs. */
  name: BackendName;
  requested: BackendChoice;
  /** Every backend considered, in the order tried. */
  tried: BackendAttempt[];
  /** Package versions in use, e.g. {'@tensorflow/tfjs': '4.22.0', '@tensorflow/tfjs-backend-wasm': '4.22.0'}. */
  versions: Record<string, string>;
  /** Threads the backend computes with, where known (WASM: 1 under Node, the threaded build does not start). */
  threads?: number;
  /** One line for people, e.g. "wasm (tensorflow-gpu: package not installed — ...; tensorflow: ...)". */
  summary: string;
}

export function isBackendChoice(value: string): value is BackendChoice {
  return (BACKEND_CHOICES as readonly string[]).includes(value);
}

/** The human line of a report: the backend that runs, then why each better one was passed over. */
export function describeBackendSelection(name: BackendName, tried: readonly BackendAttempt[]): string {
  const passedOver = tried.filter((t) => t.name !== name && !t.available && t.reason);
  if (passedOver.length === 0) return name;
  return `${name} (${passedOver.map((t) => `${t.name}: ${t.reason}`).join('; ')})`;
}
