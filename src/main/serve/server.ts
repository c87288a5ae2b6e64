/**
 * `serve`: the workbench in a browser. A Node HTTP server on 127.0.0.1 that answers the LabApi at
 * POST /api/<method> (body {"args": [...]}), pushes LabEvents at GET /api/events (server-sent events),
 * and serves the built renderer (out/renderer) with the same Content-Security-Policy as the desktop
 * window. Every request needs the start-up token (Bearer header, or the cookie set when the page is
 * opened with ?token=…) and must come from this server's own origin.
 */
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HTTP_EVENTS_ROUTE, isLabMethod, type LabApi } from '../../shared/api.js';
import { MODEL_UPLOAD_MAX_BYTES } from '../../shared/model-analysis.js';
import { buildHandlerTable } from '../app/handlers.js';
import { contentSecurityPolicy, securityHeaders } from '../app/security.js';
import { resolveStaticFile } from '../app/static-files.js';
import {
  checkToken,
  hostAllowed,
  isLoopback,
  newToken,
  originAllowed,
  sessionCookie,
  type AccessPolicy,
} from './access.js';
import { eventStreams } from './events-stream.js';
import { sendError, sendJson, sendPage, statusOf } from './replies.js';

export interface ServeOptions {
  service: LabApi;
  host?: string;
  /** 0 = any free port. */
  port?: number;
  /** Default: a fresh random token. */
  token?: string;
  /** Folder of the built renderer; null = API only (the page explains how to build the UI). */
  rendererDir: string | null;
  log?: (line: string) => void;
  maxBodyBytes?: number;
}

export interface RunningServer {
  /** The link to open: http://host:port/?token=… */
  url: string;
  origin: string;
  host: string;
  port: number;
  token: string;
  server: Server;
  close(): Promise<void>;
}

const API_PREFIX = '/api/';

/** What every request handler needs: the options, the API table, the event streams and the access policy. */
interface ServeContext {
  opts: ServeOptions;
  log: (line: string) => void;
  maxBody: number;
  table: ReturnType<typeof buildHandlerTable>;
  streams: ReturnType<typeof eventStreams>;
  policy: AccessPolicy;
  pageHeaders: Record<string, string>;
}

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  const token = opts.token ?? newToken();
  const log = opts.log ?? (() => {});
  const ctx: ServeContext = {
    opts,
    log,
    maxBody: opts.maxBodyBytes ?? 5 * 1024 * 1024,
    table: buildHandlerTable(opts.service, (m, err) =>
      log(`error in ${m}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
    ),
    streams: eventStreams((l) => opts.service.subscribe(l)),
    policy: { token, bindHost: host, port: 0 },
    pageHeaders: securityHeaders(contentSecurityPolicy()),
  };

  const server = createServer((req, res) => {
    handle(ctx, req, res).catch((err: unknown) => {
      log(`request failed: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent)
        sendError(
          res,
          'internal',
          'The server failed to answer this request.',
          'See the terminal running `spectral-lab serve`.',
        );
      else res.destroy();
    });
  });
  await listen(server, opts.port ?? 0, host);
  ctx.policy.port = (server.address() as AddressInfo).port;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const origin = `http://${shownHost}:${ctx.policy.port}`;
  if (!isLoopback(host))
    log(
      `warning: listening on ${host}, reachable from other machines; anyone with the token can run code-heavy jobs here.`,
    );

  return {
    url: `${origin}/?token=${token}`,
    origin,
    host,
    port: ctx.policy.port,
    token,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        ctx.streams.closeAll();
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Host, origin and token checks first (against DNS rebinding and other sites), then the API or a UI file. */
async function handle(ctx: ServeContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { policy } = ctx;
  const url = new URL(req.url ?? '/', 'http://placeholder');
  const isApi = url.pathname.startsWith(API_PREFIX);
  if (!hostAllowed(req.headers.host, policy)) {
    return deny(
      ctx,
      res,
      isApi,
      403,
      'forbidden',
      `Host '${req.headers.host ?? ''}' is not this server.`,
      `Open http://127.0.0.1:${policy.port}/ (names that merely resolve to this machine are refused, against DNS rebinding).`,
    );
  }
  if (!originAllowed(req)) {
    return deny(
      ctx,
      res,
      isApi,
      403,
      'forbidden',
      `Requests from ${req.headers.origin ?? 'another site'} are refused.`,
      'Only pages served by this server may use its API.',
    );
  }
  // API calls authenticate by header or cookie only; a ?token= in an API URL would end up in logs.
  const auth = checkToken(req, isApi ? new URL('http://placeholder') : url, policy);
  if (auth.result !== 'ok') {
    const wrong = auth.result === 'wrong';
    return deny(
      ctx,
      res,
      isApi,
      wrong ? 403 : 401,
      wrong ? 'forbidden' : 'unauthorized',
      wrong
        ? 'The token is wrong (the server was probably restarted: it makes a new token at every start).'
        : 'This server needs the access token.',
      'Open the link `spectral-lab serve` printed in its terminal (http://127.0.0.1:PORT/?token=…).',
    );
  }
  if (isApi) return api(ctx, req, res, url);
  if (req.method !== 'GET' && req.method !== 'HEAD')
    return sendError(
      res,
      'bad-request',
      `${req.method} is not supported here.`,
      'Pages are fetched with GET; the API is POST /api/<method>.',
      405,
    );
  const extra: Record<string, string> = auth.source === 'query' ? { 'Set-Cookie': sessionCookie(policy) } : {};
  return staticFile(ctx, req, res, url, extra);
}

function deny(
  ctx: ServeContext,
  res: ServerResponse,
  isApi: boolean,
  status: number,
  code: 'forbidden' | 'unauthorized',
  error: string,
  hint: string,
): void {
  if (isApi) sendError(res, code, error, hint, status);
  else
    sendPage(
      res,
      status,
      status === 401 ? 'Spectral Lab: token needed' : 'Spectral Lab: refused',
      [error, hint],
      ctx.pageHeaders,
    );
}

async function api(ctx: ServeContext, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  if (url.pathname === HTTP_EVENTS_ROUTE) {
    if (req.method !== 'GET')
      return sendError(
        res,
        'bad-request',
        'The event stream is read with GET.',
        'Use EventSource("/api/events").',
        405,
      );
    return ctx.streams.open(req, res, ctx.pageHeaders);
  }
  const method = url.pathname.slice(API_PREFIX.length);
  if (!isLabMethod(method))
    return sendError(res, 'not-found', `No API method '${method}'.`, `Methods: ${[...ctx.table.keys()].join(', ')}.`);
  if (req.method !== 'POST')
    return sendError(res, 'bad-request', `${method} is called with POST.`, 'POST a JSON body {"args": [...]}.', 405);
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('application/json')) {
    return sendError(
      res,
      'bad-request',
      `Content-Type must be application/json, got '${type || 'none'}'.`,
      'Send the body as JSON: {"args": [...]}.',
      415,
    );
  }
  // A model upload carries the network's bytes; every other method a few kB.
  const limit = method === 'analyseModel' ? Math.max(ctx.maxBody, MODEL_UPLOAD_MAX_BYTES) : ctx.maxBody;
  const body = await readBody(req, limit);
  if (body === null)
    return sendError(
      res,
      'bad-request',
      `The request body is over ${limit} bytes.`,
      method === 'analyseModel'
        ? 'Analyse a model this large from a terminal: spectral-lab bounds --model FILE.'
        : 'Send smaller requests (configs are a few kB).',
      413,
    );
  let parsed: unknown;
  try {
    parsed = body.length ? JSON.parse(body) : {};
  } catch (err) {
    return sendError(
      res,
      'bad-request',
      `The body is not valid JSON: ${(err as Error).message}.`,
      'Send {"args": [...]}.',
    );
  }
  const args =
    parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? ((parsed as { args?: unknown }).args ?? [])
      : parsed;
  const reply = await (ctx.table.get(method) as NonNullable<ReturnType<typeof ctx.table.get>>).handle(args);
  sendJson(res, reply.ok ? 200 : statusOf(reply.code), reply);
}

function staticFile(
  ctx: ServeContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  extra: Record<string, string>,
): void {
  const { rendererDir } = ctx.opts;
  if (!rendererDir) {
    return sendPage(
      res,
      503,
      'Spectral Lab: the UI is not built',
      [
        'The API is up, but there is no built renderer to show (out/renderer/index.html is missing).',
        'Run `npm run build` in the project folder, then restart `spectral-lab serve`.',
      ],
      { ...ctx.pageHeaders, ...extra },
    );
  }
  const hit = resolveStaticFile(rendererDir, url.pathname);
  if (!hit) return sendPage(res, 404, 'Not found', [`No file ${url.pathname} in the workbench UI.`], ctx.pageHeaders);
  res.writeHead(200, {
    ...ctx.pageHeaders,
    ...extra,
    'Content-Type': hit.contentType,
    'Cache-Control': hit.immutable ? 'private, max-age=31536000, immutable' : 'no-cache',
  });
  if (req.method === 'HEAD') return void res.end();
  createReadStream(hit.file)
    .on('error', () => res.destroy())
    .pipe(res);
}

function readBody(req: IncomingMessage, max: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) over = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(over ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
