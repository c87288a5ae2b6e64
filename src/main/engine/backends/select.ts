/**
 * Choosing the compute backend: the fastest one that works here, or exactly the one asked for.
 * 'auto' tries tfjs-node-gpu (CUDA), tfjs-node, WASM (with Spectral Lab's training kernels), then
 * the pure-JS CPU backend, and reports why each better one was passed over.
 */
import {
  BACKEND_PREFERENCE,
  describeBackendSelection,
  isBackendChoice,
  type BackendAttempt,
  type BackendChoice,
  type BackendName,
  type BackendReport,
} from '../../../shared/backend.js';
import { DEFAULT_PROBES, type BackendProbe } from './probes.js';

export class BackendUnavailableError extends Error {
  constructor(
    readonly requested: BackendName,
    readonly reason: string,
  ) {
    super(
      `Backend '${requested}' is not available: ${reason}. ` +
        `Install what is missing, or choose another backend (${BACKEND_PREFERENCE.filter((b) => b !== requested).join(', ')} or auto).`,
    );
    this.name = 'BackendUnavailableError';
  }
}

/**
 * Resolves `choice` against `probes` (in preference order) and activates the winner.
 * Exposed for tests; the engine calls {@link selectBackend}.
 */
export async function resolveBackend(choice: BackendChoice, probes: readonly BackendProbe[]): Promise<BackendReport> {
  if (!isBackendChoice(choice)) {
    throw new Error(`Unknown backend '${String(choice)}'. Use one of: auto, ${BACKEND_PREFERENCE.join(', ')}.`);
  }
  const candidates = choice === 'auto' ? probes : probes.filter((p) => p.name === choice);
  const tried: BackendAttempt[] = [];
  for (const probe of candidates) {
    let reason = await probe.unavailableReason();
    if (reason === null) {
      try {
        const act = await probe.activate();
        tried.push({ name: probe.name, available: true, ...(act.note ? { reason: act.note } : {}) });
        return {
          name: probe.name,
          requested: choice,
          tried,
          versions: act.versions,
          ...(act.threads !== undefined ? { threads: act.threads } : {}),
          summary: describeBackendSelection(probe.name, tried),
        };
      } catch (e) {
        reason = `failed to start: ${e instanceof Error ? e.message : String(e)}`;
      }
    }
    tried.push({ name: probe.name, available: false, reason });
    if (choice !== 'auto') throw new BackendUnavailableError(probe.name, reason);
  }
  throw new Error(`No TensorFlow.js backend could start: ${tried.map((t) => `${t.name}: ${t.reason}`).join('; ')}.`);
}

const selections = new Map<BackendChoice, Promise<BackendReport>>();
let active: BackendReport | null = null;

/**
 * Activates the backend for `choice` and reports which one runs and why. Idempotent: a repeated
 * call with the same choice returns the same report (re-activating that backend if another
 * selection switched tfjs away from it in between). A failed selection is not cached.
 */
export async function selectBackend(choice: BackendChoice = 'auto'): Promise<BackendReport> {
  let pending = selections.get(choice);
  if (!pending) {
    pending = resolveBackend(choice, DEFAULT_PROBES);
    selections.set(choice, pending);
    pending.catch(() => selections.delete(choice));
    active = await pending;
    return active;
  }
  const report = await pending;
  await reactivate(report.name);
  active = report;
  return report;
}

async function reactivate(name: BackendName): Promise<void> {
  const probe = DEFAULT_PROBES.find((p) => p.name === name);
  const tf = await import('@tensorflow/tfjs-core');
  const tfName = name === 'tensorflow-gpu' ? 'tensorflow' : name;
  if (probe && tf.getBackend() !== tfName) await probe.activate();
}

/** The report of the backend selected last (the one tfjs runs on, unless switched by hand). */
export function currentBackendReport(): BackendReport | null {
  return active;
}
