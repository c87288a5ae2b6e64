/** The lab's run queue: N at a time, reordering, and the gate that keeps a run another process took from starting here too. */
import { describe, expect, it } from 'vitest';
import { RunQueue } from '../../src/main/app/queue.js';

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('RunQueue', () => {
  it('starts queued runs whenever fewer than maxConcurrent are active, in order; move reorders the waiting ones', () => {
    const launched: string[] = [];
    const q = new RunQueue(2, (id) => launched.push(id));
    for (const id of ['a', 'b', 'c', 'd']) q.submit(id, true);
    expect(launched).toEqual(['a', 'b']);
    expect(q.move('d', 1)).toBe(true);
    expect(q.move('a', 1)).toBe(false); // active, not waiting
    q.release('a');
    expect(launched).toEqual(['a', 'b', 'd']);
    expect(q.state().queued).toEqual(['c']);
  });

  it('asks the gate before a waiting run starts; a refused run is dropped and the next one takes the slot', async () => {
    const launched: string[] = [];
    const dropped: string[] = [];
    const taken = new Set(['b']);
    const q = new RunQueue(1, (id) => launched.push(id), undefined, {
      mayStart: async (id) => !taken.has(id),
      dropped: (id) => dropped.push(id),
    });
    for (const id of ['a', 'b', 'c']) q.submit(id, true);
    await tick();
    expect(launched).toEqual(['a']);
    q.release('a');
    await tick();
    await tick();
    expect(dropped).toEqual(['b']);
    expect(launched).toEqual(['a', 'c']);
    expect(q.state()).toMatchObject({ running: ['c'], queued: [] });
  });

  it('starts the run when the gate itself fails (a store error must not strand the queue)', async () => {
    const launched: string[] = [];
    const q = new RunQueue(1, (id) => launched.push(id), undefined, {
      mayStart: () => Promise.reject(new Error('disk')),
      dropped: () => undefined,
    });
    q.submit('a', true);
    await tick();
    expect(launched).toEqual(['a']);
  });
  it('a run withdrawn while the gate answers never starts, and its slot goes to the next run', async () => {
    const launched: string[] = [];
    let answer: (ok: boolean) => void = () => undefined;
    const q = new RunQueue(1, (id) => launched.push(id), undefined, {
      mayStart: (id) => (id === 'a' ? new Promise<boolean>((r) => (answer = r)) : Promise.resolve(true)),
      dropped: () => undefined,
    });
    q.submit('a', true);
    q.submit('b', true);
    await tick();
    expect(q.withdraw('a')).toBe(true); // a cancel while the store claim is pending
    answer(true);
    await tick();
    await tick();
    expect(launched).toEqual(['b']);
    expect(q.state()).toMatchObject({ running: ['b'], queued: [] });
  });
});
