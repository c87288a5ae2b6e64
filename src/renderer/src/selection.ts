/** Runs selected in the Runs view; Compare opens them (also with the 'c' shortcut). */
import { ref } from 'vue';

export const selectedRunIds = ref<string[]>([]);

export function toggleSelected(id: string, on?: boolean): void {
  const has = selectedRunIds.value.includes(id);
  const want = on ?? !has;
  if (want && !has) selectedRunIds.value = [...selectedRunIds.value, id];
  if (!want && has) selectedRunIds.value = selectedRunIds.value.filter((x) => x !== id);
}

export function setSelected(ids: string[]): void {
  selectedRunIds.value = [...new Set(ids)];
}
