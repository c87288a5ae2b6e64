/**
 * The Electron transport: the preload exposes a LabBridge as `window.lab` (wire-level calls and the
 * event subscription); the LabApi is built over it here so failures arrive as LabErrors with code and
 * hint (the context bridge would keep only an Error's message).
 */
import { createLabClient, type LabApi, type LabBridge } from '../../../shared/api';

declare global {
  interface Window {
    /** Present only inside the Electron window (src/preload/index.ts). */
    lab?: LabBridge;
  }
}

export function ipcLab(
  bridge: LabBridge | undefined = typeof window !== 'undefined' ? window.lab : undefined,
): LabApi | null {
  if (!bridge || typeof bridge.invoke !== 'function') return null;
  return createLabClient(
    (method, args) => bridge.invoke(method, args),
    (listener) => bridge.subscribe(listener),
  );
}
