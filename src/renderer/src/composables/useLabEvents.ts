/** Subscribe to pushed lab events while the calling component is mounted (or the effect scope lives). */
import { getCurrentInstance, getCurrentScope, onBeforeUnmount, onMounted, onScopeDispose } from 'vue';
import { lab } from '../lab';
import type { LabEventListener } from '../../../shared/api';

export function useLabEvents(listener: LabEventListener): void {
  if (!getCurrentInstance()) {
    // Outside a component (a plain effect scope): listen from now until the scope ends.
    const stop = lab.subscribe(listener);
    if (getCurrentScope()) onScopeDispose(stop);
    return;
  }
  let off: (() => void) | null = null;
  onMounted(() => {
    off = lab.subscribe(listener);
  });
  onBeforeUnmount(() => {
    off?.();
    off = null;
  });
}

/** Run `fn` at most once per `ms` (trailing call kept): live events can arrive hundreds per second. */
export function throttle(fn: () => void, ms: number): { (): void; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let last = 0;
  const run = () => {
    timer = null;
    last = Date.now();
    fn();
  };
  const t = () => {
    if (timer) return;
    const wait = Math.max(0, ms - (Date.now() - last));
    timer = setTimeout(run, wait);
  };
  t.cancel = () => {
    if (timer) clearTimeout(timer);
    timer = null;
  };
  return t;
}
