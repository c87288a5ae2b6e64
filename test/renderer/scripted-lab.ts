/**
 * A scripted lab for renderer tests of series loading (the store and the charts built on it): getSeries
 * answers from `stored` the way the real lab does (step filter, min/max downsampling to the budget, the
 * epoch axis as step / 100), and pushed events go to whoever subscribed. Use it with
 * `vi.mock('../../src/renderer/src/lab.js', async () => ({ lab: (await import('./scripted-lab.js')).scriptedLab }))`.
 */
import type { LabEventListener, SeriesQuery } from '../../src/shared/api.js';
import { minMaxDownsample } from '../../src/shared/downsample.js';

export const listeners = new Set<LabEventListener>();
/** x = steps; on the epoch axis the scripted lab answers epoch = step / 100, with the steps. */
export const stored = new Map<string, { x: number[]; y: number[] }>();
export const queries: SeriesQuery[] = [];
/** sendSteps false = a lab that sends no steps for epoch points (what a zoom must survive by reading whole series). */
export const script = { sendSteps: true };

export const scriptedLab = {
  subscribe: (l: LabEventListener) => {
    listeners.add(l);
    return () => listeners.delete(l);
  },
  getSeries: async (q: SeriesQuery) => {
    queries.push(q);
    return {
      series: q.runIds.flatMap((runId) =>
        q.names.flatMap((name) => {
          const s = stored.get(name);
          if (!s) return [];
          const keep = s.x
            .map((step, i) => i)
            .filter((i) => s.x[i] >= (q.fromStep ?? -Infinity) && s.x[i] <= (q.toStep ?? Infinity));
          const d = minMaxDownsample(
            keep.map((i) => s.x[i]),
            keep.map((i) => s.y[i]),
            q.budget ?? 2000,
          );
          const base = { runId, name, y: d.values, totalPoints: s.x.length, downsampled: d.downsampled };
          if (q.xAxis === 'epoch')
            return [
              {
                ...base,
                xAxis: 'epoch',
                x: d.steps.map((st) => st / 100),
                ...(script.sendSteps ? { steps: d.steps } : {}),
              },
            ];
          return [{ ...base, xAxis: 'step', x: d.steps }];
        }),
      ),
    };
  },
};
