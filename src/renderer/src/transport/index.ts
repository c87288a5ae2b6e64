/**
 * The one place that decides how the UI talks to the lab: Electron IPC when the preload exposed
 * `window.lab`, else HTTP + server-sent events to `spectral-lab serve` (same origin).
 */
import type { LabApi } from '../../../shared/api';
import { ipcLab } from './ipc';
import { createHttpLab, takeTokenFromLocation } from './http';

export type TransportKind = 'ipc' | 'http';

export function pickTransport(): { lab: LabApi; kind: TransportKind } {
  const viaIpc = ipcLab();
  if (viaIpc) return { lab: viaIpc, kind: 'ipc' };
  return { lab: createHttpLab({ token: takeTokenFromLocation() }), kind: 'http' };
}

export { createHttpLab } from './http';
