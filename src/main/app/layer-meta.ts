/**
 * Per-layer facts the store does not keep (kernel shape, stride, padding, input size), taken from a
 * run's 'started' and 'eval' events and kept next to the store as <dataDir>/run-layers/<runId>.json,
 * so getLayerBounds can say what each bound is valid for after a restart.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { EngineEvent } from '../../shared/events.js';

export interface LayerMeta {
  name: string;
  kind: 'conv' | 'dense' | 'batchnorm';
  /** HWIO for conv; dense [in, out] is stored as [1, 1, in, out] (a 1x1 convolution). */
  shape: number[];
  stride: number;
  padding: 'same' | 'valid';
  inputSize: [number, number] | null;
}

export class LayerMetaStore {
  private readonly cache = new Map<string, LayerMeta[]>();
  constructor(private readonly dir: string) {}

  private file(runId: string): string {
    return path.join(this.dir, `${runId.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
  }

  get(runId: string): LayerMeta[] {
    const hit = this.cache.get(runId);
    if (hit) return hit;
    let layers: LayerMeta[] = [];
    try {
      layers = (JSON.parse(readFileSync(this.file(runId), 'utf8')) as { layers: LayerMeta[] }).layers ?? [];
    } catch {
      // Not recorded (run from an older version or another tool): bounds are shown without shapes.
    }
    this.cache.set(runId, layers);
    return layers;
  }

  /** Take what the event tells about layers; true when something new was learned. */
  observe(runId: string, event: EngineEvent): boolean {
    let next: LayerMeta[] | null = null;
    if (event.type === 'started') {
      next = event.model.layers
        .filter((l) => l.kind !== 'batchnorm')
        .map((l) => ({
          name: l.name,
          kind: l.kind,
          shape: l.kind === 'dense' && l.shape.length === 2 ? [1, 1, l.shape[0], l.shape[1]] : l.shape,
          stride: l.stride ?? 1,
          padding: l.padding ?? 'same',
          inputSize: null,
        }));
    } else if (event.type === 'eval' && event.layers.length > 0) {
      const known = new Map(this.get(runId).map((l) => [l.name, l]));
      let changed = false;
      for (const l of event.layers) {
        const m = known.get(l.name);
        const fresh: LayerMeta = { name: l.name, kind: l.kind, shape: l.shape, stride: l.stride, padding: l.padding, inputSize: l.inputSize };
        if (!m || m.inputSize === null || m.shape.join() !== l.shape.join()) {
          known.set(l.name, fresh);
          changed = true;
        }
      }
      if (changed) next = [...known.values()];
    }
    if (!next) return false;
    this.cache.set(runId, next);
    try {
      mkdirSync(this.dir, { recursive: true });
      const tmp = `${this.file(runId)}.tmp`;
      writeFileSync(tmp, JSON.stringify({ runId, layers: next }, null, 1));
      renameSync(tmp, this.file(runId));
    } catch {
      // A read-only or full disk loses only this extra detail; the run's own data is in the store.
    }
    return true;
  }
}
