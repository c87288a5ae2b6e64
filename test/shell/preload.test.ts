import { describe, expect, it } from 'vitest';
import { exposeLabBridge } from '../../src/preload/bridge.js';
import type { LabBridge, LabEvent } from '../../src/shared/api.js';

describe('preload', () => {
  it('exposes only the LabBridge as window.lab, one IPC channel per method', async () => {
    const exposed: [string, unknown][] = [];
    const invoked: unknown[][] = [];
    const listeners = new Map<string, (e: unknown, p: LabEvent) => void>();
    const fake = {
      contextBridge: { exposeInMainWorld: (k: string, v: unknown) => void exposed.push([k, v]) },
      ipcRenderer: {
        invoke: async (...a: unknown[]) => (invoked.push(a), { ok: true, result: 'r' }),
        on: (ch: string, l: (e: unknown, p: LabEvent) => void) => void listeners.set(ch, l),
        removeListener: (ch: string) => void listeners.delete(ch),
      },
    };
    exposeLabBridge(fake);
    expect(exposed.map(([k]) => k)).toEqual(['lab']);
    const bridge = exposed[0][1] as LabBridge;
    expect(Object.keys(bridge).sort()).toEqual(['apiVersion', 'invoke', 'subscribe']);
    expect(await bridge.invoke('getRun', ['r1'])).toEqual({ ok: true, result: 'r' });
    expect(invoked).toEqual([['lab:getRun', 'r1']]);
    expect(await bridge.invoke('require' as never, [])).toMatchObject({ ok: false, code: 'not-found' });
    expect(invoked).toHaveLength(1);
    const got: LabEvent[] = [];
    const off = bridge.subscribe((e) => got.push(e));
    const ev: LabEvent = { kind: 'log', runId: null, at: 1, level: 'info', message: 'hi' };
    listeners.get('lab:event')!({ sender: 'secret' }, ev);
    expect(got).toEqual([ev]);
    off();
    expect(listeners.size).toBe(0);
  });
});
