/**
 * Preload (sandboxed, context-isolated): exposes the lab as `window.lab` — a LabBridge (src/shared/api.ts):
 * one ipcRenderer.invoke channel per method of LAB_METHODS, and the pushed events — and nothing else.
 * No Electron or Node object reaches the page; unknown method names are refused here already.
 */
import {
  IPC_EVENT_CHANNEL,
  ipcChannel,
  isLabMethod,
  LAB_API_VERSION,
  type LabBridge,
  type LabEvent,
  type LabEventListener,
  type LabReply,
} from '../shared/api';

export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, payload: LabEvent) => void): void;
  removeListener(channel: string, listener: (event: unknown, payload: LabEvent) => void): void;
}
export interface ContextBridgeLike {
  exposeInMainWorld(key: string, api: unknown): void;
}

export interface PreloadElectron {
  ipcRenderer: IpcRendererLike;
  contextBridge: ContextBridgeLike;
}

export function exposeLabBridge({ ipcRenderer, contextBridge }: PreloadElectron): void {
  const bridge: LabBridge = {
    apiVersion: LAB_API_VERSION,
    async invoke(method, args) {
      if (typeof method !== 'string' || !isLabMethod(method) || !Array.isArray(args)) {
        const reply: LabReply = {
          ok: false,
          error: `No lab method '${String(method)}'.`,
          hint: 'See LAB_METHODS in src/shared/api.ts.',
          code: 'not-found',
        };
        return reply;
      }
      return ipcRenderer.invoke(ipcChannel(method), ...args);
    },
    subscribe(listener: LabEventListener) {
      // Only the event is passed on: the IpcRendererEvent (with its sender) stays in the preload.
      const relay = (_event: unknown, payload: LabEvent) => listener(payload);
      ipcRenderer.on(IPC_EVENT_CHANNEL, relay);
      return () => ipcRenderer.removeListener(IPC_EVENT_CHANNEL, relay);
    },
  };
  contextBridge.exposeInMainWorld('lab', bridge);
}
