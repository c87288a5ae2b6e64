/**
 * Who may talk to `serve`: whoever holds the token printed at start (as Jupyter does), from a page of
 * this server only. The Host check stops DNS rebinding (evil.example resolving to 127.0.0.1 still sends
 * Host: evil.example); the Origin / Sec-Fetch-Site checks stop other sites' pages from calling the API
 * with the user's cookie.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface AccessPolicy {
  token: string;
  /** Host the server is bound to, as given (127.0.0.1, localhost, ::1, 0.0.0.0, a LAN address ...). */
  bindHost: string;
  port: number;
}

export function newToken(): string {
  return randomBytes(24).toString('hex');
}

export const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '::1'];

export function isLoopback(host: string): boolean {
  return LOOPBACK_HOSTS.includes(host) || host.startsWith('127.');
}

/** Cookies are shared across ports of a host, so the name carries the port: two servers do not clash. */
export function cookieName(port: number): string {
  return `spectral_lab_token_${port}`;
}

export function sessionCookie(policy: AccessPolicy): string {
  return `${cookieName(policy.port)}=${policy.token}; HttpOnly; SameSite=Strict; Path=/`;
}

/** host:port values a browser may send in the Host header for this server. */
export function allowedHostHeaders(policy: AccessPolicy): string[] | 'any' {
  if (policy.bindHost === '0.0.0.0' || policy.bindHost === '::') return 'any';
  const names = isLoopback(policy.bindHost) ? [...LOOPBACK_HOSTS, policy.bindHost] : [policy.bindHost];
  return [...new Set(names)].map((h) => `${h.includes(':') ? `[${h}]` : h}:${policy.port}`);
}

export function hostAllowed(hostHeader: string | undefined, policy: AccessPolicy): boolean {
  if (!hostHeader) return false;
  const allowed = allowedHostHeaders(policy);
  return allowed === 'any' || allowed.includes(hostHeader.toLowerCase());
}

/**
 * A request from another site is refused: an Origin header, when sent, must be this very server
 * (the scheme and the Host the request was sent to); `Sec-Fetch-Site`, when sent, must not say cross-site.
 */
export function originAllowed(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  return origin === `http://${req.headers.host ?? ''}`;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

export type TokenSource = 'header' | 'cookie' | 'query';

/**
 * 'ok' with where the valid token came from, 'missing' when none was presented, 'wrong' when one was
 * but does not match (the two get different status codes and hints).
 */
export function checkToken(
  req: IncomingMessage,
  url: URL,
  policy: AccessPolicy,
): { result: 'ok'; source: TokenSource } | { result: 'missing' | 'wrong' } {
  const auth = req.headers.authorization;
  const candidates: [TokenSource, string | null][] = [
    ['header', auth?.startsWith('Bearer ') ? auth.slice(7).trim() : null],
    ['cookie', cookieValue(req.headers.cookie, cookieName(policy.port))],
    ['query', url.searchParams.get('token')],
  ];
  let presented = false;
  for (const [source, value] of candidates) {
    if (value === null || value === '') continue;
    presented = true;
    if (safeEqual(value, policy.token)) return { result: 'ok', source };
  }
  return { result: presented ? 'wrong' : 'missing' };
}
