/**
 * Per-layer bounds from getLayerBounds: the latest step (the table), and on request a sample of all
 * steps (at most `maxSteps`, cached) for labs that record the four F4 reshape norms only there and not
 * as series. A pushed 'layer-bounds' event adds its step.
 */
import { ref, shallowRef } from 'vue';
import { lab } from '../lab';
import type { LayerBounds, LayerBoundsRow } from '../../../shared/api';
import { toUiError, type UiError } from '../lib/errors';
import { useLabEvents } from './useLabEvents';

export function sampleSteps(steps: readonly number[], max: number): number[] {
  if (steps.length <= max) return [...steps];
  const out = new Set<number>();
  for (let i = 0; i < max; i++) out.add(steps[Math.round((i * (steps.length - 1)) / (max - 1))]);
  return [...out];
}

export function useLayerHistory(runId: () => string | null, maxSteps = 40) {
  const byStep = shallowRef<Map<number, LayerBoundsRow[]>>(new Map());
  const latest = shallowRef<LayerBounds | null>(null);
  const error = shallowRef<UiError | null>(null);
  const loading = ref(false);
  let gen = 0;

  async function fetchStep(id: string, step: number | 'latest'): Promise<LayerBounds> {
    const lb = await lab.getLayerBounds(id, { step });
    if (lb.step !== null) byStep.value = new Map(byStep.value).set(lb.step, lb.layers);
    return lb;
  }

  async function reload(): Promise<void> {
    const id = runId();
    const g = ++gen;
    byStep.value = new Map();
    latest.value = null;
    error.value = null;
    if (!id) return;
    loading.value = true;
    try {
      const last = await fetchStep(id, 'latest');
      if (g === gen) latest.value = last;
    } catch (err) {
      if (g === gen) error.value = toUiError(err, 'The per-layer bounds could not be read; reload the view.');
    } finally {
      if (g === gen) loading.value = false;
    }
  }

  /** Bounds at (a sample of) every recorded step: only needed when the lab has no per-reshape series. */
  async function loadHistory(): Promise<void> {
    const id = runId();
    const g = gen;
    if (!id || !latest.value) return;
    try {
      for (const s of sampleSteps(latest.value.availableSteps, maxSteps)) {
        if (g !== gen) return;
        if (!byStep.value.has(s)) await fetchStep(id, s);
      }
    } catch (err) {
      if (g === gen) error.value = toUiError(err, 'The per-layer bounds could not be read; reload the view.');
    }
  }

  useLabEvents((e) => {
    const id = runId();
    if (e.kind !== 'layer-bounds' || e.runId !== id) return;
    const g = gen;
    fetchStep(id, e.step)
      .then((lb) => {
        if (g === gen)
          latest.value = { ...lb, availableSteps: [...new Set([...(latest.value?.availableSteps ?? []), e.step])] };
      })
      .catch((err: unknown) => {
        if (g === gen) error.value = toUiError(err);
      });
  });

  /** √hw·‖M‖ of the four reshapes of `layer`, step by step. */
  function fourNorms(layer: string): { matrix: 'R' | 'S' | 'T' | 'U'; x: number[]; y: number[] }[] {
    const steps = [...byStep.value.keys()].sort((a, b) => a - b);
    return (['R', 'S', 'T', 'U'] as const).map((m) => {
      const x: number[] = [];
      const y: number[] = [];
      for (const s of steps) {
        const row = byStep.value.get(s)?.find((r) => r.layer === layer);
        const v = row?.f4Matrices?.[m];
        if (row && typeof v === 'number') {
          x.push(s);
          y.push(Math.sqrt(row.kernelShape[0] * row.kernelShape[1]) * v);
        }
      }
      return { matrix: m, x, y };
    });
  }

  return { byStep, latest, error, loading, reload, loadHistory, fourNorms };
}
