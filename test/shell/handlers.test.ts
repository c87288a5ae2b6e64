import { describe, expect, it } from 'vitest';
import {
  createLabClient,
  ipcChannel,
  httpRoute,
  LAB_METHOD_NAMES,
  LabError,
  type LabEvent,
} from '../../src/shared/api.js';
import { ARG_SCHEMAS } from '../../src/main/app/args.js';
import { buildHandlerTable } from '../../src/main/app/handlers.js';
import { LabService } from '../../src/main/app/service.js';
import { FakeEngine, MemoryStore } from './fakes.js';

function setup() {
  const service = new LabService({
    engine: new FakeEngine(),
    store: new MemoryStore(),
    dataDir: '/tmp',
    shell: 'test',
    version: '0',
  });
  const table = buildHandlerTable(service, () => {});
  // A client wired straight to the table, through JSON, as IPC / HTTP carry it.
  const client = createLabClient(
    async (m, args) => JSON.parse(JSON.stringify(await table.get(m)!.handle(JSON.parse(JSON.stringify(args))))),
    (l) => service.subscribe(l),
  );
  return { service, table, client };
}

describe('handler table', () => {
  it('has one channel and one route per method of the contract', () => {
    const { table } = setup();
    expect([...table.keys()].sort()).toEqual([...LAB_METHOD_NAMES].sort());
    expect(Object.keys(ARG_SCHEMAS).sort()).toEqual([...LAB_METHOD_NAMES].sort());
    expect(table.get('getRun')).toMatchObject({ channel: ipcChannel('getRun'), route: httpRoute('getRun') });
    expect(new Set([...table.values()].map((h) => h.channel)).size).toBe(LAB_METHOD_NAMES.length);
  });

  it('rejects malformed arguments before the service sees them', async () => {
    const { table } = setup();
    const bad = await table.get('setTags')!.handle(['run-1', 'not-an-array']);
    expect(bad).toMatchObject({ ok: false, code: 'bad-request' });
    expect(!bad.ok && bad.error).toMatch(/args\[1\]/);
    expect(await table.get('getRun')!.handle('run-1')).toMatchObject({ ok: false, code: 'bad-request' });
    expect(await table.get('listRuns')!.handle([{ status: ['bogus'] }])).toMatchObject({
      ok: false,
      code: 'bad-request',
    });
    expect(await table.get('getInfo')!.handle([1])).toMatchObject({ ok: false, code: 'bad-request' });
    // Optional trailing arguments sent as null (JSON has no undefined) are accepted.
    expect(await table.get('listRuns')!.handle([null])).toMatchObject({ ok: true });
  });

  it('gives the client plain results and LabErrors with hints', async () => {
    const { client } = setup();
    const events: LabEvent[] = [];
    const off = client.subscribe((e) => events.push(e));
    const { runId } = await client.startRun({ name: 'x' }, undefined);
    expect((await client.getRun(runId)).name).toBe('x');
    const err = await client.getRun('nope').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabError);
    expect((err as LabError).hint).toMatch(/listRuns/);
    expect(events.map((e) => e.kind)).toContain('run-status');
    off();
  });
});
