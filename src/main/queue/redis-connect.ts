/**
 * Connecting to Redis: the URL (redis:// or rediss:// for TLS, user and password in it), a CA file for
 * TLS, and a first PING with a deadline, so an unreachable or refusing server is a clear error before
 * anything is queued. The client is ioredis, which BullMQ drives (it is an optional peer of BullMQ 6).
 */
import fs from 'node:fs';

export class RedisUnreachable extends Error {
  override name = 'RedisUnreachable';
}

export interface RedisTarget {
  url: string;
  /** PEM file of the CA that signed the server's certificate (rediss:// only). */
  caFile?: string;
}

/** ioredis's client, typed by what we use (the package is loaded at run time). */
export interface RedisClient {
  status: string;
  connect(): Promise<void>;
  ping(): Promise<string>;
  quit(): Promise<string>;
  disconnect(): void;
  xadd(key: string, id: string, ...fieldsAndValues: string[]): Promise<string | null>;
  xread(...args: (string | number)[]): Promise<[string, [string, string[]][]][] | null>;
  xtrim(key: string, strategy: 'MINID', threshold: string): Promise<number>;
  set(key: string, value: string, expiry: 'EX', seconds: number): Promise<string | null>;
  getdel(key: string): Promise<string | null>;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}

export interface RedisConnection {
  /** Options for `new IORedis(options)` (BullMQ takes the constructed client). */
  options: Record<string, unknown>;
  /** The URL without its password, for messages. */
  display: string;
  /** Said once before connecting (e.g. no password on a non-loopback host). */
  warnings: string[];
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function parseRedisUrl(target: RedisTarget): RedisConnection {
  let u: URL;
  try {
    u = new URL(target.url);
  } catch {
    throw new RedisUnreachable(
      `--redis '${target.url}' is not a URL; write redis://host:6379 (or rediss://user:password@host:6380 for TLS).`,
    );
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new RedisUnreachable(`--redis '${target.url}' must start with redis:// or rediss:// (TLS).`);
  }
  const tls = u.protocol === 'rediss:';
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0)
    throw new RedisUnreachable(
      `--redis: '${u.pathname.slice(1)}' is not a database number; write redis://host:6379/0.`,
    );
  if (target.caFile && !tls) throw new RedisUnreachable('--redis-ca only applies to rediss:// (TLS) URLs.');
  const host = u.hostname || '127.0.0.1';
  const options: Record<string, unknown> = {
    host: host.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : 6379,
    db,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    lazyConnect: true,
    connectTimeout: 5000,
    // BullMQ's blocking commands must wait for a reconnect instead of failing after N retries.
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => Math.min(times * 250, 5000),
  };
  if (tls) {
    let ca: Buffer | undefined;
    if (target.caFile) {
      try {
        ca = fs.readFileSync(target.caFile);
      } catch (err) {
        throw new RedisUnreachable(
          `--redis-ca: cannot read '${target.caFile}' (${(err as NodeJS.ErrnoException).code ?? String(err)}); pass the PEM file of the CA that signed the Redis server's certificate.`,
        );
      }
    }
    options.tls = { servername: options.host, ...(ca ? { ca } : {}) };
  }
  const warnings: string[] = [];
  if (!LOOPBACK.has(host) && !u.password) {
    warnings.push(
      `Redis at ${host} has no password in the URL: anyone who reaches it can queue jobs that your workers run. Use requirepass (redis://:PASSWORD@${host}:${String(options.port)}) and TLS (rediss://) across machines.`,
    );
  }
  const display = `${u.protocol}//${u.username ? `${u.username}:***@` : u.password ? ':***@' : ''}${u.host}${u.pathname.length > 1 ? u.pathname : ''}`;
  return { options, display, warnings };
}

type RedisCtor = new (options: Record<string, unknown>) => RedisClient;

async function loadIORedis(): Promise<RedisCtor> {
  try {
    // A variable specifier: the package is optional, so neither tsc nor the bundler may require it.
    const name = 'ioredis';
    const mod = (await import(name)) as unknown as { default?: RedisCtor; Redis?: RedisCtor };
    const ctor = mod.Redis ?? mod.default;
    if (ctor) return ctor;
  } catch {
    // reported below
  }
  throw new RedisUnreachable(
    "The Redis client package 'ioredis' is not installed (BullMQ 6 needs it next to it); run `npm install ioredis` in the Spectral Lab folder.",
  );
}

/** A connected client (PINGed); throws RedisUnreachable with what to do when the server cannot be reached. */
export async function connectRedis(conn: RedisConnection, timeoutMs = 5000): Promise<RedisClient> {
  const Ctor = await loadIORedis();
  const client = new Ctor(conn.options);
  let lastError: Error | null = null;
  client.on('error', (err) => (lastError = err as Error));
  try {
    await withTimeout(
      client.connect().then(() => client.ping()),
      timeoutMs,
    );
    return client;
  } catch (err) {
    client.disconnect();
    const cause = lastError ?? (err as Error);
    const auth = /NOAUTH|WRONGPASS|invalid password|AUTH/i.test(cause.message);
    throw new RedisUnreachable(
      `Cannot reach Redis at ${conn.display}: ${cause.message}. ` +
        (auth
          ? 'Put the password in the URL: redis://:PASSWORD@host:6379 (or redis://USER:PASSWORD@...).'
          : 'Start it (redis-server --bind 127.0.0.1 --port 6379) or pass the right --redis URL; see docs/distributed.md.') +
        ' Nothing was queued.',
    );
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e)),
    );
  });
}
