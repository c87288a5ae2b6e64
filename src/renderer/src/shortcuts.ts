/**
 * Keyboard shortcuts: one keydown listener; global keys (n, r, c, b, ?) are bound by the App, and a
 * view may bind a key while it is mounted (the live view binds space to pause/resume).
 */
import { onBeforeUnmount, onMounted } from 'vue';

export interface Shortcut {
  key: string;
  /** Shown in the help overlay. */
  label: string;
  run: () => void;
}

const stack: Shortcut[][] = [];

export function isTypingTarget(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || !el.tagName) return false;
  const tag = el.tagName.toLowerCase();
  // Checkboxes, radios and sliders take no letters: a ticked row must not swallow 'c'.
  if (tag === 'input')
    return !['checkbox', 'radio', 'range', 'button', 'submit', 'reset', 'color'].includes(
      (el as HTMLInputElement).type,
    );
  return tag === 'textarea' || tag === 'select' || el.isContentEditable;
}

function keyOf(e: KeyboardEvent): string {
  return e.key === ' ' || e.key === 'Spacebar' ? 'space' : e.key;
}

export function installShortcuts(): () => void {
  const onKey = (e: KeyboardEvent) => {
    if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
    const key = keyOf(e);
    if (key !== 'Escape' && isTypingTarget(e.target)) return;
    // Buttons react to space themselves; a focused button must not also pause the run.
    if (key === 'space' && (e.target as HTMLElement | null)?.tagName?.toLowerCase() === 'button') return;
    for (let i = stack.length - 1; i >= 0; i--) {
      const hit = stack[i].find((s) => s.key === key);
      if (hit) {
        e.preventDefault();
        hit.run();
        return;
      }
    }
  };
  window.addEventListener('keydown', onKey);
  return () => window.removeEventListener('keydown', onKey);
}

/** Bind shortcuts while the calling component is mounted (later bindings win). */
export function useShortcuts(list: Shortcut[]): void {
  onMounted(() => stack.push(list));
  onBeforeUnmount(() => {
    const i = stack.indexOf(list);
    if (i >= 0) stack.splice(i, 1);
  });
}

export function activeShortcuts(): Shortcut[] {
  const seen = new Set<string>();
  const out: Shortcut[] = [];
  for (let i = stack.length - 1; i >= 0; i--) {
    for (const s of stack[i]) {
      if (!seen.has(s.key)) {
        seen.add(s.key);
        out.push(s);
      }
    }
  }
  return out;
}
