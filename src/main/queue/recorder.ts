/**
 * Writing one run's engine events into the store, in order: the same path for a run trained here
 * (local queue) and for one trained by a remote worker (events streamed back through Redis).
 */
import type { EngineEvent } from '../../shared/events.js';
import { recordEngineEvent, type Store } from '../store/index.js';
import type { StoreWriter } from '../store/writer.js';

export interface RunRecorder {
  readonly runId: string;
  /** Queue one event; writes happen in call order. */
  record(event: EngineEvent): void;
  /** Wait for every queued write, then release the run's writer. */
  close(): Promise<void>;
}

export async function openRecorder(
  store: Store,
  runId: string,
  warn: (message: string) => void,
  options: { remote?: boolean } = {},
): Promise<RunRecorder> {
  const writer: StoreWriter = await store.writer(runId);
  const sink = store.eventSink(writer);
  // A checkpoint of a remote worker is a file on that machine: keep its path in the run log, not as a checkpoint row.
  if (options.remote) sink.addCheckpoint = async () => undefined;
  let chain: Promise<void> = Promise.resolve();
  return {
    runId,
    record(event) {
      chain = chain
        .then(() => recordEngineEvent(sink, event))
        .catch((err: Error) => warn(`[${runId}] store: ${err.message}`));
    },
    async close() {
      await chain;
      await writer.close();
    },
  };
}
