import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  DEFAULT_EPSILONS,
  parseRunConfig,
  planSteps,
  RunConfigError,
  RunConfigObjectSchema,
  safeParseRunConfig,
} from '../../src/shared/config.js';

describe('RunConfigSchema', () => {
  it('fills every default and the dataset-dependent ones', () => {
    const mnist = parseRunConfig({});
    expect(mnist.dataset.name).toBe('mnist');
    expect(mnist.dataset.augment).toBe(false);
    expect(mnist.certification.epsilons).toEqual([1.58]);
    expect(mnist.optimizer).toMatchObject({ kind: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 1e-4 });
    expect(mnist.regularizer).toMatchObject({ kind: 'none', powerIterInit: 50, powerIterPerStep: 1 });
    const cifar = parseRunConfig({ dataset: { name: 'cifar10' } });
    expect(cifar.dataset.augment).toBe(true);
    expect(cifar.certification.epsilons).toEqual([36 / 255, 72 / 255, 108 / 255]);
    expect(DEFAULT_EPSILONS['fashion-mnist']).toEqual([1.58]);
    // An explicit choice wins over the dataset default.
    expect(parseRunConfig({ dataset: { name: 'cifar10', augment: false } }).dataset.augment).toBe(false);
  });

  it('lists every bad field with its path and what a valid value is', () => {
    const r = safeParseRunConfig({
      dataset: { name: 'svhn' },
      model: { arch: 'vgg', extra: 1 },
      optimizer: { lr: -1 },
      certification: { epsilons: [0, 20] },
      batchSize: 0,
      typo: true,
    });
    expect(r.success).toBe(false);
    if (r.success) return;
    const paths = r.error.issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'dataset.name',
        'model.arch',
        'model',
        'optimizer.lr',
        'certification.epsilons[0]',
        'certification.epsilons[1]',
        'batchSize',
        '(config)',
      ]),
    );
    const msg = r.error.message;
    expect(msg).toMatch(/Invalid run config \(\d+ problems\)/);
    expect(msg).toMatch(/dataset\.name: .*'mnist', 'fashion-mnist' or 'cifar10'/);
    expect(msg).toMatch(/unknown field\(s\) 'typo': remove or fix the spelling/);
    expect(msg).toMatch(/unknown field\(s\) 'extra'.*known fields: arch, activation/);
    expect(msg).toMatch(/epsilons\[0\]: must be > 0/);
    expect(() => parseRunConfig({ batchSize: 0 })).toThrow(RunConfigError);
  });

  it('checks fields against each other', () => {
    const r = safeParseRunConfig({
      dataset: { limitTrain: 1000, validationSize: 5000 },
      optimizer: { schedule: { kind: 'step', milestones: [150, 100] } },
      regularizer: { kind: 'f4-min' },
      certification: { curvature: { enabled: true } },
    });
    expect(r.success).toBe(false);
    if (r.success) return;
    const byPath = Object.fromEntries(r.error.issues.map((i) => [i.path, i.message]));
    expect(byPath['dataset.validationSize']).toMatch(/set it below 1000/);
    expect(byPath['optimizer.schedule.milestones[1]']).toMatch(/strictly increasing/);
    expect(byPath['regularizer.beta']).toMatch(/set beta > 0/);
    expect(byPath['certification.curvature.enabled']).toMatch(/lip-cnn/);
  });

  it('rejects a non-object with a hint', () => {
    const r = safeParseRunConfig([1, 2]);
    expect(r.success).toBe(false);
    if (!r.success) expect(r.error.message).toMatch(/expected a JSON object, got an array/);
  });

  it('has a help text on every field (the UI form is generated from it)', () => {
    const schema = z.toJSONSchema(RunConfigObjectSchema, { io: 'input' }) as Record<string, unknown>;
    const missing: string[] = [];
    const walk = (node: Record<string, unknown>, at: string): void => {
      const props = node.properties as Record<string, Record<string, unknown>> | undefined;
      if (!props) return;
      for (const [k, child] of Object.entries(props)) {
        if (typeof child.description !== 'string' || child.description.length < 5) missing.push(`${at}${k}`);
        walk(child, `${at}${k}.`);
      }
    };
    walk(schema, '');
    expect(missing).toEqual([]);
  });

  it('parses every shipped experiment', () => {
    const dir = path.resolve('resources/experiments');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const f of files) {
      const cfg = parseRunConfig(JSON.parse(readFileSync(path.join(dir, f), 'utf8')));
      expect(cfg.name.length).toBeGreaterThan(0);
    }
    const paper = parseRunConfig(JSON.parse(readFileSync(path.join(dir, 'cifar10-resnet20-f4.json'), 'utf8')));
    expect(paper).toMatchObject({
      batchSize: 128,
      epochs: 200,
      optimizer: { kind: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 1e-4 },
    });
    expect(paper.optimizer.schedule).toEqual({ kind: 'step', milestones: [100, 150], gamma: 0.1 });
    expect(paper.dataset.validationSize).toBe(5000);
  });

  it('plans steps from epochs and maxSteps', () => {
    const c = parseRunConfig({ batchSize: 100, epochs: 2.5 });
    expect(planSteps(c, 1050)).toEqual({ stepsPerEpoch: 11, totalSteps: 28 });
    expect(planSteps(parseRunConfig({ batchSize: 100, epochs: 3, maxSteps: 5 }), 1000).totalSteps).toBe(5);
  });
});
