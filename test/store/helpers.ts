/** Temporary data folders for store tests, removed after each test file. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

const made: string[] = [];

export function tempDir(label = 'store'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `spectral-${label}-`));
  made.push(dir);
  return dir;
}

afterAll(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

/** A config the way src/shared/config.ts shapes it (the store itself treats configs as opaque). */
export function sampleConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'sample',
    dataset: { name: 'mnist', validationSize: 5000 },
    model: { arch: 'mnist-cnn', activation: 'relu' },
    optimizer: { kind: 'sgd', lr: 0.1, momentum: 0.9, schedule: { kind: 'step', milestones: [100, 150] } },
    regularizer: { kind: 'none', beta: 0 },
    epochs: 10,
    seed: 0,
    ...overrides,
  };
}
