/**
 * Config comparison: flatten each config to dotted paths and keep the paths whose values differ
 * between runs (or are missing from some). Pure TS, so the renderer can diff configs it already holds.
 */
import type { JsonValue } from './api.js';
import { canonicalJson, isJsonObject } from './canonical-json.js';
import type { ConfigDiffCell, ConfigDiffRow } from './records.js';

/**
 * Leaves of a JSON value by dotted path. Arrays are indexed ("milestones.0"); an empty object or
 * array is a leaf of its own so that `{}` and a missing key still differ.
 */
export function flattenJson(
  value: JsonValue,
  prefix = '',
  out: Map<string, JsonValue> = new Map(),
): Map<string, JsonValue> {
  const children: [string, JsonValue][] = Array.isArray(value)
    ? value.map((v, i) => [String(i), v])
    : isJsonObject(value)
      ? Object.entries(value)
      : [];
  if (children.length === 0) {
    out.set(prefix, value);
    return out;
  }
  for (const [k, v] of children) flattenJson(v, prefix ? `${prefix}.${k}` : k, out);
  return out;
}

function sameCell(a: ConfigDiffCell, b: ConfigDiffCell): boolean {
  if (!a.present || !b.present) return a.present === b.present;
  return canonicalJson(a.value) === canonicalJson(b.value);
}

/**
 * Rows for every path present in any config, in first-seen order; only the differing ones unless
 * `all`. With one config nothing differs.
 */
export function diffConfigValues(configs: JsonValue[], options: { all?: boolean } = {}): ConfigDiffRow[] {
  const flat = configs.map((c) => flattenJson(c));
  const paths: string[] = [];
  const seen = new Set<string>();
  for (const f of flat) {
    for (const p of f.keys()) {
      if (!seen.has(p)) {
        seen.add(p);
        paths.push(p);
      }
    }
  }
  const rows: ConfigDiffRow[] = [];
  for (const path of paths) {
    const cells: ConfigDiffCell[] = flat.map((f) =>
      f.has(path) ? { present: true, value: f.get(path) as JsonValue } : { present: false },
    );
    const differs = cells.some((c) => !sameCell(c, cells[0]));
    if (differs || options.all) rows.push({ path, cells, differs });
  }
  return rows;
}
