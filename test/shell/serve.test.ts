import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabService } from '../../src/main/app/service.js';
import { startServer, type RunningServer } from '../../src/main/serve/server.js';
import { LabError, type LabApi } from '../../src/shared/api.js';
import { FakeEngine, MemoryStore } from './fakes.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(
  srv: RunningServer,
  method: string,
  p: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: srv.port, method, path: p, headers: { Host: `127.0.0.1:${srv.port}`, ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const call = (srv: RunningServer, method: string, args: unknown[], headers: Record<string, string> = {}) =>
  send(
    srv,
    'POST',
    `/api/${method}`,
    { 'Content-Type': 'application/json', Authorization: `Bearer ${srv.token}`, ...headers },
    JSON.stringify({ args }),
  );

describe('serve', () => {
  let srv: RunningServer;
  let engine: FakeEngine;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'lab-serve-'));
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>lab</title>');
    writeFileSync(path.join(dir, 'assets', 'app-1234.js'), 'console.log(1)');
    engine = new FakeEngine();
    const service = new LabService({
      engine,
      store: new MemoryStore(),
      dataDir: dir,
      shell: 'serve',
      version: '1.2.3',
    });
    srv = await startServer({ service, port: 0, rendererDir: dir });
  });
  afterAll(async () => {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints a loopback link carrying a long random token', () => {
    expect(srv.url).toBe(`http://127.0.0.1:${srv.port}/?token=${srv.token}`);
    expect(srv.token).toMatch(/^[0-9a-f]{48}$/);
  });

  it('refuses API calls without a token (401) and with a wrong one (403), with a hint', async () => {
    const none = await send(srv, 'POST', '/api/getInfo', { 'Content-Type': 'application/json' }, '{"args":[]}');
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body)).toMatchObject({
      ok: false,
      code: 'unauthorized',
      hint: expect.stringContaining('token'),
    });
    const wrong = await call(srv, 'getInfo', [], { Authorization: 'Bearer 00' });
    expect(wrong.status).toBe(403);
    const inQuery = await send(
      srv,
      'POST',
      `/api/getInfo?token=${srv.token}`,
      { 'Content-Type': 'application/json' },
      '{"args":[]}',
    );
    expect(inQuery.status).toBe(401);
    const page = await send(srv, 'GET', '/');
    expect(page.status).toBe(401);
    expect(page.body).not.toContain('<title>lab</title>');
  });

  it('refuses other origins and foreign Host headers even with the token', async () => {
    const evil = await call(srv, 'getInfo', [], { Origin: 'http://evil.example' });
    expect(evil.status).toBe(403);
    expect(JSON.parse(evil.body).code).toBe('forbidden');
    const crossSite = await call(srv, 'getInfo', [], { 'Sec-Fetch-Site': 'cross-site' });
    expect(crossSite.status).toBe(403);
    const rebound = await call(srv, 'getInfo', [], { Host: `evil.example:${srv.port}` });
    expect(rebound.status).toBe(403);
    const same = await call(srv, 'getInfo', [], { Origin: `http://127.0.0.1:${srv.port}` });
    expect(same.status).toBe(200);
    const viaLocalhost = await call(srv, 'getInfo', [], {
      Host: `localhost:${srv.port}`,
      Origin: `http://localhost:${srv.port}`,
    });
    expect(viaLocalhost.status).toBe(200);
  });

  it('round-trips methods, with clear errors for bad input', async () => {
    const info = await call(srv, 'getInfo', []);
    expect(info.status).toBe(200);
    expect(JSON.parse(info.body).result).toMatchObject({
      app: 'spectral-lab',
      version: '1.2.3',
      shell: 'serve',
      backend: { active: 'cpu' },
    });
    const started = JSON.parse((await call(srv, 'startRun', [{ dataset: { name: 'mnist' } }, { queue: true }])).body);
    expect(started).toMatchObject({ ok: true, result: { status: 'running' } });
    const run = JSON.parse((await call(srv, 'getRun', [started.result.runId])).body);
    expect(run.result).toMatchObject({ id: started.result.runId, dataset: 'mnist', status: 'running' });
    const bad = await call(srv, 'startRun', [{ epochs: 'many' }]);
    expect(bad.status).toBe(422);
    expect(JSON.parse(bad.body)).toMatchObject({ code: 'invalid-config', details: [{ path: 'epochs' }] });
    const badArgs = await call(srv, 'getRun', [42]);
    expect(badArgs.status).toBe(400);
    expect(JSON.parse(badArgs.body).error).toMatch(/args\[0\]/);
    expect((await call(srv, 'noSuchMethod', [])).status).toBe(404);
    expect((await call(srv, 'getRun', ['missing'])).status).toBe(404);
    const form = await send(
      srv,
      'POST',
      '/api/getInfo',
      { Authorization: `Bearer ${srv.token}`, 'Content-Type': 'text/plain' },
      '{"args":[]}',
    );
    expect(form.status).toBe(415);
    const get = await send(srv, 'GET', '/api/getInfo', { Authorization: `Bearer ${srv.token}` });
    expect(get.status).toBe(405);
  });

  it('serves the UI with the CSP, sets the cookie on ?token= and accepts it afterwards', async () => {
    const first = await send(srv, 'GET', `/?token=${srv.token}`);
    expect(first.status).toBe(200);
    expect(first.body).toContain('<title>lab</title>');
    expect(String(first.headers['content-security-policy'])).toContain("script-src 'self'");
    expect(String(first.headers['content-security-policy'])).not.toContain('unsafe');
    const cookie = String(first.headers['set-cookie']).split(';')[0];
    expect(String(first.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/);
    const asset = await send(srv, 'GET', '/assets/app-1234.js', { Cookie: cookie });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect((await send(srv, 'GET', '/runs/abc', { Cookie: cookie })).body).toContain('<title>lab</title>');
    const escape = await send(srv, 'GET', '/%2e%2e/%2e%2e/%2e%2e/etc/passwd', { Cookie: cookie });
    expect(escape.body).not.toMatch(/root:/);
    expect((await send(srv, 'GET', '/assets/missing.js', { Cookie: cookie })).status).toBe(404);
    const viaCookie = await send(
      srv,
      'POST',
      '/api/getPresets',
      { Cookie: cookie, 'Content-Type': 'application/json' },
      '{"args":[]}',
    );
    expect(viaCookie.status).toBe(200);
  });

  it('pushes run events over server-sent events', async () => {
    const frames: string[] = [];
    const got = new Promise<void>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: srv.port,
          path: '/api/events',
          headers: { Host: `127.0.0.1:${srv.port}`, Authorization: `Bearer ${srv.token}` },
        },
        (res) => {
          expect(res.headers['content-type']).toMatch(/text\/event-stream/);
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            frames.push(...chunk.split('\n\n').filter((f) => f.startsWith('event: lab')));
            if (frames.some((f) => f.includes('"kind":"metrics"'))) {
              req.destroy();
              resolve();
            }
          });
          // Once the stream is open, queue a run and make the active run's engine report a step.
          void call(srv, 'startRun', [{}, { queue: true }]).then(() => {
            engine.runs[0].emit({
              type: 'step',
              v: 1,
              points: [{ step: 1, epoch: 0.1, loss: 1.5, ce: 1.5, reg: 0, acc: 0.5, lr: 0.1, stepMs: 3 }],
            });
          });
        },
      );
      req.on('error', (e) => (frames.length ? undefined : reject(e)));
      req.end();
      setTimeout(() => reject(new Error(`no metrics event within 5 s; frames: ${frames.join(' | ')}`)), 5000).unref();
    });
    await got;
    const events = frames.map((f) => JSON.parse(f.split('data: ')[1]));
    expect(events.map((e) => e.kind)).toEqual(expect.arrayContaining(['run-status', 'queue', 'metrics']));
    expect(events.find((e) => e.kind === 'metrics').values['train/loss']).toBe(1.5);
  });

  it('works through the browser transport of the renderer (fetch + Bearer token)', async () => {
    // The renderer's module is outside this tsconfig project (DOM code): loaded by path, typed here.
    const HTTP_TRANSPORT = '../../src/renderer/src/transport/http.js';
    const { createHttpLab } = (await import(HTTP_TRANSPORT)) as {
      createHttpLab(o: { base: string; token: string; eventSource?: (url: string) => unknown }): LabApi;
    };
    const lab = createHttpLab({
      base: srv.origin,
      token: srv.token,
      eventSource: () => ({ addEventListener() {}, close() {} }),
    });
    expect((await lab.getInfo()).version).toBe('1.2.3');
    expect((await lab.listRuns()).total).toBeGreaterThan(0);
    const err = await lab.getRun('missing').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabError);
    expect((err as LabError).code).toBe('not-found');
    const denied = await createHttpLab({ base: srv.origin, token: 'bad' })
      .getInfo()
      .catch((e: unknown) => e);
    expect((denied as LabError).code).toBe('forbidden');
  });
});
