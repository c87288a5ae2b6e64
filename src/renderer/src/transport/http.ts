/**
 * The browser transport for `spectral-lab serve`: POST /api/<method> with {"args": [...]} and one
 * shared EventSource on /api/events for pushed events. Authentication is the HttpOnly cookie the
 * server sets when the page is opened with ?token=…; the token is also sent as a Bearer header when
 * known, so a tab whose cookie was cleared keeps working until reload.
 */
import {
  createLabClient,
  HTTP_EVENTS_ROUTE,
  httpRoute,
  LabError,
  type LabApi,
  type LabEvent,
  type LabEventListener,
  type LabMethod,
} from '../../../shared/api';

export interface HttpLabOptions {
  /** Origin + base path of the server, '' = same origin. */
  base?: string;
  token?: string | null;
  fetchImpl?: typeof fetch;
  /** Factory for the push channel (tests pass a fake). */
  eventSource?: (url: string) => EventSource;
}

export function createHttpLab(options: HttpLabOptions = {}): LabApi {
  const base = options.base ?? '';
  const doFetch = options.fetchImpl ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const call = async (method: LabMethod, args: unknown[]): Promise<unknown> => {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (options.token) headers.Authorization = `Bearer ${options.token}`;
    let res: Response;
    try {
      res = await doFetch(`${base}${httpRoute(method)}`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ args }),
        credentials: 'same-origin',
      });
    } catch (err) {
      throw new LabError(
        'unavailable',
        `Cannot reach the lab server (${err instanceof Error ? err.message : String(err)}).`,
        'Is `spectral-lab serve` still running? Restart it and open the new link it prints.',
      );
    }
    const text = await res.text();
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new LabError(
        'internal',
        `The lab server answered ${res.status} with non-JSON content.`,
        'Check the terminal running `spectral-lab serve`.',
      );
    }
  };
  return createLabClient(call, sharedEventStream(`${base}${HTTP_EVENTS_ROUTE}`, options.eventSource));
}

/** One EventSource for all listeners, opened on the first subscribe and closed after the last unsubscribe. */
function sharedEventStream(url: string, factory?: (url: string) => EventSource) {
  const listeners = new Set<LabEventListener>();
  let source: EventSource | null = null;
  const open = () => {
    source = factory ? factory(url) : new EventSource(url, { withCredentials: true });
    source.addEventListener('lab', (msg) => {
      let event: LabEvent;
      try {
        event = JSON.parse((msg as MessageEvent<string>).data) as LabEvent;
      } catch {
        return; // a malformed frame is dropped; the next one is independent
      }
      for (const l of [...listeners]) {
        try {
          l(event);
        } catch (err) {
          console.error('lab event listener failed', err);
        }
      }
    });
  };
  return (listener: LabEventListener): (() => void) => {
    listeners.add(listener);
    if (!source) open();
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && source) {
        source.close();
        source = null;
      }
    };
  };
}

/**
 * Read ?token= from the page URL (the link `serve` prints) and remove it from the address bar, so it
 * is not left in history or shared by copy-paste; the server has already set the cookie.
 */
export function takeTokenFromLocation(): string | null {
  if (typeof window === 'undefined') return null;
  const url = new URL(window.location.href);
  const token = url.searchParams.get('token');
  if (token) {
    url.searchParams.delete('token');
    window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash);
  }
  return token;
}
