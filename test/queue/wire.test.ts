/** What owner and workers exchange through Redis: events with run id and sequence numbers, deduplicated; Redis URLs. */
import { describe, expect, it } from 'vitest';
import { ENGINE_PROTOCOL_VERSION } from '../../src/shared/events.js';
import { parseRedisUrl } from '../../src/main/queue/redis-connect.js';
import { decodeEvent, encodeEvent, SequenceTracker } from '../../src/main/queue/wire.js';

describe('streamed engine events', () => {
  it('round-trip through the stream fields; foreign entries are ignored', () => {
    const event = { type: 'log', v: ENGINE_PROTOCOL_VERSION, level: 'info', message: 'hi' } as const;
    const fields = Object.entries(
      encodeEvent({ runId: 'r1', seq: 7, worker: 'box:12', session: 'box:12/ab', event }),
    ).flat();
    expect(decodeEvent(fields)).toEqual({ runId: 'r1', seq: 7, worker: 'box:12', session: 'box:12/ab', event });
    expect(decodeEvent(['run', 'r1', 'seq', '-1', 'event', '{}'])).toBeNull();
    expect(decodeEvent(['run', 'r1', 'seq', '0', 'session', 's', 'event', '{"type":"log","v":-5}'])).toBeNull();
    expect(decodeEvent(['run', 'r1', 'seq', '0', 'event', JSON.stringify(event)])).toBeNull(); // no session
    expect(decodeEvent(['run', 'r1', 'seq', '0', 'event', 'not json'])).toBeNull();
  });

  it('drops events seen before (a resend after a reconnect) and reports missing ones, per run', () => {
    const t = new SequenceTracker();
    expect(t.accept('a', 0).verdict).toBe('new');
    expect(t.accept('a', 1).verdict).toBe('new');
    expect(t.accept('a', 1).verdict).toBe('duplicate');
    expect(t.accept('a', 0).verdict).toBe('duplicate');
    expect(t.accept('b', 0).verdict).toBe('new');
    expect(t.accept('a', 4)).toEqual({ verdict: 'gap', missing: 2 });
    expect(t.accept('a', 5).verdict).toBe('new');
  });
});

describe('Redis URLs', () => {
  it('reads host, port, db, user and password, and hides the password in messages', () => {
    const c = parseRedisUrl({ url: 'redis://lab:s%40cret@10.0.0.5:6380/2' });
    expect(c.options).toMatchObject({
      host: '10.0.0.5',
      port: 6380,
      db: 2,
      username: 'lab',
      password: 's@cret',
      maxRetriesPerRequest: null,
    });
    expect(c.display).toBe('redis://lab:***@10.0.0.5:6380/2');
    expect(c.warnings).toEqual([]);
    expect(parseRedisUrl({ url: 'redis://127.0.0.1:6379' }).options).toMatchObject({
      host: '127.0.0.1',
      port: 6379,
      db: 0,
    });
  });

  it('uses TLS for rediss:// and warns about a password-less server off this machine', () => {
    const c = parseRedisUrl({ url: 'rediss://:pw@redis.lab:6380' });
    expect(c.options.tls).toEqual({ servername: 'redis.lab' });
    expect(parseRedisUrl({ url: 'redis://10.0.0.5:6379' }).warnings[0]).toMatch(
      /no password .* requirepass .* TLS \(rediss:\/\/\)/,
    );
  });

  it('refuses what is not a Redis URL, with the form to use', () => {
    expect(() => parseRedisUrl({ url: 'localhost:6379' })).toThrow(/must start with redis:\/\/ or rediss:\/\//);
    expect(() => parseRedisUrl({ url: 'http://x' })).toThrow(/must start with redis:\/\//);
    expect(() => parseRedisUrl({ url: 'redis://x/abc' })).toThrow(/not a database number/);
    expect(() => parseRedisUrl({ url: 'redis://x', caFile: '/tmp/ca.pem' })).toThrow(
      /--redis-ca only applies to rediss:\/\//,
    );
    expect(() => parseRedisUrl({ url: 'rediss://x', caFile: '/nonexistent/ca.pem' })).toThrow(
      /cannot read '\/nonexistent\/ca.pem' \(ENOENT\)/,
    );
  });
});
