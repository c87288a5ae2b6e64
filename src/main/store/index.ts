/**
 * The run store (SQLite, `sqlite3` package): every run, every point, crash-safe, fast to compare.
 *
 *   const store = await openStore({ dataDir, validateConfig });
 *   const run = await store.createRun({ config });            // refused config: nothing written
 *   const w = await store.writer(run.id);
 *   await w.start('wasm');
 *   w.scalar('train/loss', step, loss, epoch);                // batched, ~250 ms per transaction
 *   await w.layers([{ name: 'conv1', kind: 'conv', kernelShape: [3, 3, 1, 16], stride: 1, padding: 'same', inputSize: [28, 28] }]);
 *   w.bound({ layer: 'conv1', method: 'f4', kind: 'upper', step, value, iterations, timeMs });
 *   await w.finish('completed');
 *   await store.getSeries({ runIds: [run.id], names: ['train/loss'], budget: 2000 });
 *   await store.layers(run.id);  await store.layerBounds(run.id, 'latest');
 *   await store.close();
 */
export { openStore, Store } from './store.js';
export type { OpenStoreOptions } from './open.js';
export { StoreWriter, boundSeriesName, EPOCH_SERIES } from './writer.js';
export type { FlushStats } from './batch.js';
export { StoreError, isDiskFull, isStoreError, type StoreErrorCode } from './errors.js';
export { defaultDataDir, storePaths, type StorePaths } from './data-dir.js';
export type { ConfigValidator } from './runs.js';
export { configHash, newRunId } from './runs.js';
export { defaultFacets, type FacetExtractor } from './facets.js';
export type { MigrationReport } from './migrate.js';
export type { RecoveredRun } from './recovery.js';
export type { AddCheckpointInput } from './artifacts.js';
export type { CertCurve, LayerBoundsAt } from './summary.js';
export { recordEngineEvent, type EngineEventSink } from './engine-events.js';
export { APPLICATION_ID, LATEST_VERSION } from './schema.js';
