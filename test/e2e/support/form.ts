/** Filling the generated New-experiment form by config path (data-testid="field-<path>"). */
import type { Page } from 'playwright-core';

export async function setField(page: Page, path: string, value: string | boolean): Promise<void> {
  const el = page.locator(`[data-testid="field-${path}"]`);
  const tag = await el.evaluate((e) => `${e.tagName.toLowerCase()}:${(e as HTMLInputElement).type}`);
  if (tag.startsWith('select')) await el.selectOption(String(value));
  else if (tag === 'input:checkbox') await el.setChecked(value === true);
  else await el.fill(String(value));
}

export async function fillForm(page: Page, values: Record<string, string | boolean>): Promise<void> {
  for (const [path, value] of Object.entries(values)) await setField(page, path, value);
}

export const fieldError = (page: Page, path: string) => page.locator(`[data-testid="field-error-${path}"]`);

/** A quick MNIST run: a few hundred images, evaluations (with per-layer bounds) every 10 steps. */
export function quickMnist(name: string, epochs: number, beta: number): Record<string, string> {
  return {
    name,
    'dataset.name': 'mnist',
    'dataset.limitTrain': '1024',
    'dataset.limitTest': '256',
    'dataset.validationSize': '128',
    'model.arch': 'mnist-cnn',
    batchSize: '32',
    epochs: String(epochs),
    maxSteps: '',
    'optimizer.lr': '0.05',
    'regularizer.kind': beta > 0 ? 'f4-min' : 'none',
    'regularizer.beta': String(beta),
    'evaluation.everySteps': '10',
    'evaluation.trainSubset': '256',
    'evaluation.testSubset': '256',
  };
}
