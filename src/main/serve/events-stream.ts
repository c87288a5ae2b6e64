/**
 * The push channel of `serve`: server-sent events, one `event: lab` frame per LabEvent. A comment line
 * every few seconds keeps proxies and idle timeouts from closing the stream; the browser's EventSource
 * reconnects by itself after `retry` ms if the connection drops.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LabEvent, LabEventListener } from '../../shared/api.js';

export interface EventStreams {
  open(req: IncomingMessage, res: ServerResponse, headers: Record<string, string>): void;
  /** Number of connected streams. */
  count(): number;
  closeAll(): void;
}

export function eventStreams(subscribe: (l: LabEventListener) => () => void, heartbeatMs = 15_000): EventStreams {
  const open = new Set<ServerResponse>();
  return {
    open(req, res, headers) {
      res.writeHead(200, {
        ...headers,
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-store',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
      });
      res.write('retry: 2000\n: connected to spectral-lab\n\n');
      open.add(res);
      const send = (e: LabEvent) => {
        res.write(`event: lab\ndata: ${JSON.stringify(e)}\n\n`);
      };
      const off = subscribe(send);
      const beat = setInterval(() => res.write(': ping\n\n'), heartbeatMs);
      beat.unref();
      const cleanup = () => {
        clearInterval(beat);
        off();
        open.delete(res);
      };
      req.on('close', cleanup);
      res.on('close', cleanup);
    },
    count: () => open.size,
    closeAll() {
      for (const res of [...open]) res.end();
      open.clear();
    },
  };
}
