/** HTTP answers of `serve`: JSON bodies {error, hint, code} with a status per error code, and the 401 page. */
import type { ServerResponse } from 'node:http';
import type { LabErrorBody, LabErrorCode } from '../../shared/api.js';
import { escapeHtml } from '../../shared/text-escape.js';

const STATUS: Record<LabErrorCode, number> = {
  'bad-request': 400,
  'invalid-config': 422,
  'not-found': 404,
  conflict: 409,
  busy: 409,
  unauthorized: 401,
  forbidden: 403,
  unavailable: 503,
  internal: 500,
};

export function statusOf(code: LabErrorCode): number {
  return STATUS[code] ?? 500;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  res.end(text);
}

export function sendError(
  res: ServerResponse,
  code: LabErrorCode,
  error: string,
  hint: string,
  status = statusOf(code),
): void {
  const body: { ok: false } & LabErrorBody = { ok: false, error, hint, code };
  sendJson(res, status, body);
}

/** A page a person reads in the browser (no script, so the strict CSP holds). */
export function sendPage(
  res: ServerResponse,
  status: number,
  title: string,
  lines: string[],
  headers: Record<string, string>,
): void {
  const html =
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
    '<body>' +
    `<h1>${escapeHtml(title)}</h1>${lines.map((l) => `<p>${escapeHtml(l)}</p>`).join('')}</body></html>`;
  res.writeHead(status, { ...headers, 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(html);
}
