import { describe, expect, it } from 'vitest';
import {
  awaitCommand,
  sendCommand,
  startCommandThread,
  startKernelHelper,
} from '../../src/main/engine/command-thread.js';

describe("command thread (the helpers of the engine's SIMD kernels)", () => {
  it('runs commands in order with their argument and data, reports a throwing command as failed, and a hung one as stalled', () => {
    const shared = new Int32Array(new SharedArrayBuffer(8));
    const t = startCommandThread(
      'const out = new Int32Array(workerData.out);',
      `const m = receiveMessageOnPort(port);
       if (arg === 1) out[0] += m.message.add;
       if (arg === 2) throw new Error('boom');
       if (arg === 3) for (;;);`,
      { out: shared.buffer },
    );
    expect(t).not.toBeNull();
    for (const add of [5, 7]) {
      t!.port.postMessage({ add });
      sendCommand(t!, 1);
      expect(awaitCommand(t!, 30_000)).toBe('done');
    }
    expect(shared[0]).toBe(12);
    t!.port.postMessage({});
    sendCommand(t!, 2);
    expect(awaitCommand(t!, 30_000)).toBe('failed');
    t!.port.postMessage({});
    sendCommand(t!, 3);
    expect(awaitCommand(t!, 200)).toBe('stalled'); // and terminated
  });

  it('starts a kernel helper only where SPECTRAL_LAB_WASM_HELPER allows it', async () => {
    const saved = process.env.SPECTRAL_LAB_WASM_HELPER;
    try {
      process.env.SPECTRAL_LAB_WASM_HELPER = '0';
      expect(startKernelHelper('', '', {})).toBeNull();
      process.env.SPECTRAL_LAB_WASM_HELPER = '1';
      const t = startKernelHelper('', '', {});
      expect(t).not.toBeNull();
      await t!.worker.terminate();
    } finally {
      if (saved === undefined) delete process.env.SPECTRAL_LAB_WASM_HELPER;
      else process.env.SPECTRAL_LAB_WASM_HELPER = saved;
    }
  });
});
