/**
 * Which runs an export covers: ids (or unique names) given with --runs, every run (--all), or the
 * runs whose name, notes, id or config contain a text (--filter). An unknown id is an error that
 * lists the runs it resembles.
 */
import type { RunRecord } from '../../shared/records.js';
import type { Store } from '../store/index.js';
import { ExportError } from './errors.js';

export type RunSelection = { kind: 'ids'; ids: string[] } | { kind: 'all' } | { kind: 'filter'; text: string };

const PAGE = 1000;

/** Every run matching the search text (all runs without one), oldest first. */
export async function listAllRuns(store: Store, search?: string): Promise<RunRecord[]> {
  const out: RunRecord[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await store.listRuns({ search, sort: 'created', order: 'asc', limit: PAGE, offset });
    out.push(...page.runs);
    if (page.runs.length < PAGE || out.length >= page.total) return out;
  }
}

export function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** Runs whose id or name resemble `query` (substring either way, or a few typos), best first. */
export function closeMatches(
  query: string,
  runs: readonly { id: string; name: string }[],
  max = 5,
): { id: string; name: string }[] {
  const q = query.toLowerCase();
  const scored: { run: { id: string; name: string }; score: number }[] = [];
  for (const run of runs) {
    let best = Infinity;
    for (const cand of [run.id.toLowerCase(), run.name.toLowerCase()]) {
      if (cand.length === 0) continue;
      if (cand.includes(q) || q.includes(cand)) best = Math.min(best, Math.abs(cand.length - q.length) / 100);
      else {
        const d = levenshtein(q, cand);
        if (d <= Math.max(2, Math.floor(Math.max(q.length, 1) / 3))) best = Math.min(best, d);
      }
    }
    if (best < Infinity) scored.push({ run, score: best });
  }
  return scored
    .sort((a, b) => a.score - b.score)
    .slice(0, max)
    .map((s) => s.run);
}

function describe(r: { id: string; name: string }): string {
  return r.name && r.name !== r.id ? `${r.id} (${r.name})` : r.id;
}

/** The run ids of a selection, in the order given (--runs) or oldest first. */
export async function resolveRuns(store: Store, sel: RunSelection): Promise<string[]> {
  if (sel.kind === 'filter') {
    const runs = await listAllRuns(store, sel.text);
    if (runs.length === 0) {
      throw new ExportError(`No run matches --filter "${sel.text}" (it searches ids, names, notes and configs).`, 1);
    }
    return runs.map((r) => r.id);
  }
  const all = await listAllRuns(store);
  if (all.length === 0)
    throw new ExportError(
      `The run store in ${store.paths.dataDir} has no runs yet; run \`spectral-lab train …\` first.`,
      1,
    );
  if (sel.kind === 'all') return all.map((r) => r.id);
  const byId = new Map(all.map((r) => [r.id, r]));
  const ids: string[] = [];
  const problems: string[] = [];
  for (const token of sel.ids) {
    if (byId.has(token)) {
      ids.push(token);
      continue;
    }
    const named = all.filter((r) => r.name === token);
    if (named.length === 1) {
      ids.push(named[0].id);
      continue;
    }
    if (named.length > 1) {
      problems.push(
        `"${token}" is the name of ${named.length} runs; pass one of their ids: ${named.map((r) => r.id).join(', ')}.`,
      );
      continue;
    }
    const close = closeMatches(token, all);
    problems.push(
      close.length > 0
        ? `No run with id "${token}". Close matches: ${close.map(describe).join(', ')}.`
        : `No run with id "${token}" (the store has ${all.length} run${all.length === 1 ? '' : 's'}; \`spectral-lab export --list\` prints them).`,
    );
  }
  if (problems.length > 0) throw new ExportError(problems.join('\n'), 1);
  return [...new Set(ids)];
}
