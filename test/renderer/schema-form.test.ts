import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { RunConfigObjectSchema, safeParseRunConfig } from '../../src/shared/config.js';
import {
  allFields,
  buildConfig,
  draftFor,
  fieldForIssue,
  schemaToForm,
} from '../../src/renderer/src/lib/schema-form.js';

const jsonSchema = z.toJSONSchema(RunConfigObjectSchema, { io: 'input', unrepresentable: 'any' }) as Record<
  string,
  unknown
>;
const form = schemaToForm(jsonSchema);
const fields = allFields(form);

describe('the New-experiment form from the run-config schema', () => {
  it('has one field per leaf of the schema, grouped by object', () => {
    expect(form.groups.map((g) => g.path)).toEqual([
      'dataset',
      'model',
      'optimizer',
      'regularizer',
      'certification',
      'evaluation',
      'checkpoints',
    ]);
    const paths = fields.map((f) => f.path);
    expect(paths).toContain('regularizer.beta');
    expect(paths).toContain('optimizer.schedule.milestones');
    expect(paths).toContain('certification.pgd.enabled');
    expect(fields.find((f) => f.path === 'model.arch')?.kind).toBe('enum');
    expect(fields.find((f) => f.path === 'dataset.augment')?.kind).toBe('tristate');
    expect(fields.find((f) => f.path === 'certification.epsilons')?.kind).toBe('number-list');
    expect(fields.find((f) => f.path === 'regularizer.beta')?.help).toMatch(/beta/i);
  });

  it('builds, from the untouched defaults, a config the lab accepts, leaving dataset-dependent fields out', () => {
    const { config, errors } = buildConfig(form, draftFor(form));
    expect(errors).toEqual({});
    expect(safeParseRunConfig(config).success).toBe(true);
    expect((config as { certification: Record<string, unknown> }).certification.epsilons).toBeUndefined();
    expect((config as { dataset: Record<string, unknown> }).dataset.path).toBeUndefined();
  });

  it('takes a preset over the defaults', () => {
    const d = draftFor(form, {
      dataset: { name: 'cifar10' },
      regularizer: { kind: 'f4-min', beta: 0.01 },
      certification: { epsilons: [0.1, 0.2] },
    });
    expect(d['dataset.name']).toBe('cifar10');
    expect(d['regularizer.beta']).toBe('0.01');
    expect(d['certification.epsilons']).toBe('0.1, 0.2');
    expect(d['batchSize']).toBe('128');
    const { config } = buildConfig(form, d);
    expect(config).toMatchObject({
      regularizer: { kind: 'f4-min', beta: 0.01 },
      certification: { epsilons: [0.1, 0.2] },
    });
  });

  it('refuses bad input at the field with the valid range', () => {
    const d = {
      ...draftFor(form),
      'regularizer.beta': '-1',
      'certification.epsilons': '0.5, 20',
      'dataset.path': '   ',
      batchSize: '12.5',
      epochs: 'abc',
    };
    const { errors } = buildConfig(form, d);
    expect(errors['regularizer.beta']).toMatch(/β.*≥ 0.*-1/);
    expect(errors['certification.epsilons']).toMatch(/20 is out of range.*> 0 and ≤ 10/);
    expect(errors['dataset.path']).toMatch(/blank/);
    expect(errors.batchSize).toMatch(/whole number/);
    expect(errors.epochs).toMatch(/not a number/);
  });

  it('maps the lab’s issue paths to form fields', () => {
    expect(fieldForIssue('certification.epsilons[0]', fields)).toBe('certification.epsilons');
    expect(fieldForIssue('optimizer.schedule.milestones[1]', fields)).toBe('optimizer.schedule.milestones');
    expect(fieldForIssue('regularizer.beta', fields)).toBe('regularizer.beta');
    expect(fieldForIssue('(config)', fields)).toBeNull();
  });
});
