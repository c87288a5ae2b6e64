/**
 * Presets are the experiment files in resources/experiments/*.json (the same files `spectral-lab train`
 * takes). Each is validated; one that does not parse is reported in the log and skipped, not shown.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Preset } from '../../shared/api.js';
import { safeParseRunConfig, type RunConfig } from '../../shared/config.js';

export function describePreset(c: RunConfig): string {
  const reg =
    c.regularizer.kind === 'none' ? 'no regulariser' : `regulariser ${c.regularizer.kind} (beta ${c.regularizer.beta})`;
  const limit = c.dataset.limitTrain ? `, first ${c.dataset.limitTrain} images` : '';
  const steps = c.maxSteps ? `, at most ${c.maxSteps} steps` : '';
  return `${c.dataset.name} · ${c.model.arch} · ${reg} · ${c.epochs} epoch(s) of batch ${c.batchSize}${limit}${steps}.`;
}

export function loadPresets(dir: string | null, warn: (msg: string) => void = console.warn): Preset[] {
  if (!dir) return [];
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort();
  } catch {
    return [];
  }
  const presets: Preset[] = [];
  for (const f of files) {
    const file = path.join(dir, f);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      warn(`preset ${file} is not valid JSON (${(err as Error).message}); fix or remove it.`);
      continue;
    }
    const parsed = safeParseRunConfig(raw);
    if (!parsed.success) {
      warn(`preset ${file} skipped: ${parsed.error.message}`);
      continue;
    }
    presets.push({
      id: path.basename(f, '.json'),
      label: parsed.data.name,
      description: describePreset(parsed.data),
      config: raw as Record<string, unknown>,
    });
  }
  return presets;
}
