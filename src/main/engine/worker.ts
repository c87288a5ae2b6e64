/**
 * The training worker thread: receives EngineCommands from the host, runs one training run, posts
 * EngineEvents. Training never blocks the main process (Electron UI, CLI progress bar).
 */
import { parentPort } from 'node:worker_threads';
import { ENGINE_PROTOCOL_VERSION, isEngineCommand, type EngineEvent } from '../../shared/events.js';
import { RunControl } from './train/control.js';
import { runTraining } from './train/run.js';

if (!parentPort) {
  throw new Error('engine/worker.ts must run in a worker thread; start runs with startRun() from engine/host.ts.');
}
const port = parentPort;
const control = new RunControl();
let started = false;

function post(event: EngineEvent): void {
  port.postMessage(event);
}

port.on('message', (msg: unknown) => {
  if (!isEngineCommand(msg)) {
    const got = (msg as { v?: unknown } | null)?.v;
    post({
      type: 'log',
      v: ENGINE_PROTOCOL_VERSION,
      level: 'warn',
      message: `ignored a message that is not an engine command of protocol v${ENGINE_PROTOCOL_VERSION} (got v${String(got)}); host and worker come from different builds.`,
    });
    return;
  }
  switch (msg.type) {
    case 'start':
      if (started) {
        post({
          type: 'log',
          v: ENGINE_PROTOCOL_VERSION,
          level: 'warn',
          message: 'this worker already runs a training run; start another worker for a second run.',
        });
        return;
      }
      started = true;
      void runTraining(msg, { emit: post, control }).finally(() => port.close());
      return;
    case 'pause':
      control.pause();
      return;
    case 'resume':
      control.resume();
      return;
    case 'cancel':
      control.cancel(msg.reason);
      return;
  }
});
