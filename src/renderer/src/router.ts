/**
 * A hash router (vue-router is not a dependency): "#/runs", "#/run/<id>", "#/compare?runs=a,b".
 * Hash routes survive both shells unchanged: the app:// protocol and `serve` only ever load index.html.
 */
import { shallowRef } from 'vue';

export type RouteName = 'new' | 'runs' | 'run' | 'compare' | 'bounds' | 'models' | 'sweeps' | 'reproduce' | 'not-found';

export interface Route {
  name: RouteName;
  /** Path parameter (the run id of run/bounds). */
  id: string | null;
  query: Record<string, string>;
  path: string;
}

const PATTERNS: { name: RouteName; re: RegExp }[] = [
  { name: 'new', re: /^\/new$/ },
  { name: 'runs', re: /^\/runs$/ },
  { name: 'run', re: /^\/run\/([^/]+)$/ },
  { name: 'compare', re: /^\/compare$/ },
  { name: 'bounds', re: /^\/bounds(?:\/([^/]+))?$/ },
  { name: 'models', re: /^\/models$/ },
  { name: 'sweeps', re: /^\/sweeps(?:\/([^/]+))?$/ },
  { name: 'reproduce', re: /^\/reproduce(?:\/([^/]+))?$/ },
];

export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#/, '') || '/runs';
  const [pathPart, queryPart = ''] = raw.split('?', 2);
  const path = pathPart.startsWith('/') ? pathPart : `/${pathPart}`;
  const query: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(queryPart)) query[k] = v;
  for (const p of PATTERNS) {
    const m = p.re.exec(path);
    if (m) return { name: p.name, id: m[1] ? decodeURIComponent(m[1]) : null, query, path };
  }
  return { name: 'not-found', id: null, query, path };
}

export const route = shallowRef<Route>(parseHash(typeof location === 'undefined' ? '' : location.hash));

if (typeof window !== 'undefined') {
  window.addEventListener('hashchange', () => {
    route.value = parseHash(location.hash);
  });
}

/** Build a hash link: href('/run', id) -> "#/run/<id>", with an optional query. */
export function href(path: string, id?: string | null, query?: Record<string, string>): string {
  const p = id ? `${path}/${encodeURIComponent(id)}` : path;
  const q = query && Object.keys(query).length ? `?${new URLSearchParams(query).toString()}` : '';
  return `#${p}${q}`;
}

export function navigate(path: string, id?: string | null, query?: Record<string, string>): void {
  const target = href(path, id, query);
  if (location.hash === target) route.value = parseHash(target);
  else location.hash = target;
}

export const compareHref = (ids: string[]): string =>
  href('/compare', null, ids.length ? { runs: ids.join(',') } : undefined);
