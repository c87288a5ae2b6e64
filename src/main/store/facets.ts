/**
 * Facets of a run for filtering (dataset, model, regulariser). The store treats configs as opaque, so
 * the default reads the RunConfig layout of src/shared/config.ts (dataset.name, model.arch,
 * regularizer.kind) and a few plain spellings; openStore accepts another extractor.
 */
import type { JsonObject, JsonValue } from '../../shared/api.js';
import { isJsonObject } from '../../shared/canonical-json.js';
import type { RunFacets } from '../../shared/records.js';

export type FacetExtractor = (config: JsonObject) => RunFacets;

function pick(v: JsonValue | undefined, ...keys: string[]): string | null {
  if (typeof v === 'string') return v;
  if (!isJsonObject(v)) return null;
  for (const k of keys) {
    const inner = v[k];
    if (typeof inner === 'string') return inner;
  }
  return null;
}

export const defaultFacets: FacetExtractor = (config) => ({
  dataset: pick(config.dataset, 'name'),
  model: pick(config.model, 'arch', 'name'),
  regulariser: pick(config.regularizer, 'kind') ?? pick(config.regulariser, 'kind'),
});
