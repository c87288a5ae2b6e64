/**
 * Canonical JSON: object keys sorted, no whitespace, so two equal configs give the same text and the
 * same hash whatever order their keys were written in. Pure TS.
 */
import type { JsonObject, JsonValue } from './api.js';

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Check that `value` is plain JSON (no undefined, functions, NaN/Infinity, class instances, cycles) and
 * return the first offending dotted path with what is wrong, or null when it is fine.
 */
export function jsonProblem(value: unknown, path = '', seen: Set<object> = new Set()): string | null {
  const at = path || '(root)';
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return null;
  if (typeof value === 'number') return Number.isFinite(value) ? null : `${at}: ${value} is not a finite number`;
  if (typeof value !== 'object') return `${at}: a ${typeof value} cannot be stored as JSON`;
  if (seen.has(value)) return `${at}: refers back to itself (cycle)`;
  const proto = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) {
    return `${at}: a ${proto?.constructor?.name ?? 'class'} instance is not plain JSON`;
  }
  seen.add(value);
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  for (const [k, v] of entries) {
    const p = jsonProblem(v, path ? `${path}.${k}` : k, seen);
    if (p) return p;
  }
  seen.delete(value);
  return null;
}

export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
}
