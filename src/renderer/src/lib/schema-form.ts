/**
 * The New-experiment form, generated from the run config's JSON schema (lab.getConfigSchema()):
 * fields with their defaults and help texts, client-side checks that name the field and the valid
 * range, and the config built from what was typed (empty optional fields are left out so the lab
 * applies its own, possibly dataset-dependent, defaults). Pure TS.
 */

type Schema = { [key: string]: unknown };

export type FieldKind =
  'enum' | 'boolean' | 'tristate' | 'number' | 'integer' | 'string' | 'number-list' | 'integer-list';

export interface NumberRule {
  integer: boolean;
  min?: number;
  max?: number;
  exclusiveMin?: number;
  exclusiveMax?: number;
}

export interface FieldSpec {
  path: string;
  label: string;
  help: string;
  kind: FieldKind;
  options: string[];
  default: unknown;
  /** Has no default and may be left empty (the lab then derives a value, e.g. per dataset). */
  optional: boolean;
  /** Left empty, the schema default applies. */
  hasDefault: boolean;
  number?: NumberRule;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
}

export interface FieldGroup {
  path: string;
  title: string;
  help: string;
  fields: FieldSpec[];
  groups: FieldGroup[];
}

/** Raw form values by dotted path: text for inputs and selects, booleans for checkboxes. */
export type Draft = Record<string, string | boolean>;

const LABELS: Record<string, string> = {
  'regularizer.beta': 'β (penalty weight)',
  'regularizer.kind': 'regulariser',
  'certification.epsilons': 'ε radii (l2)',
  'optimizer.lr': 'learning rate',
  'optimizer.weightDecay': 'weight decay',
  'dataset.path': 'dataset path',
  'dataset.name': 'dataset',
  'model.arch': 'architecture',
  batchSize: 'batch size',
  maxSteps: 'max steps',
};

export function humanize(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
}

export function fieldLabel(path: string): string {
  return LABELS[path] ?? humanize(path.split('.').pop() ?? path);
}

const isObj = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown) => (typeof v === 'number' ? v : undefined);

function numberRule(s: Schema): NumberRule {
  const maxSafe = Number.MAX_SAFE_INTEGER;
  const max = num(s.maximum);
  return {
    integer: s.type === 'integer',
    min: num(s.minimum),
    max: max !== undefined && max >= maxSafe ? undefined : max,
    exclusiveMin: num(s.exclusiveMinimum),
    exclusiveMax: num(s.exclusiveMaximum),
  };
}

function fieldOf(path: string, s: Schema, required: boolean): FieldSpec {
  const hasDefault = 'default' in s;
  const base = {
    path,
    label: fieldLabel(path),
    help: typeof s.description === 'string' ? s.description : '',
    options: [] as string[],
    default: s.default,
    optional: !hasDefault && !required,
    hasDefault,
  };
  if (Array.isArray(s.enum)) return { ...base, kind: 'enum', options: s.enum.map(String) };
  if (s.type === 'boolean') return { ...base, kind: base.optional ? 'tristate' : 'boolean' };
  if (s.type === 'number' || s.type === 'integer') return { ...base, kind: s.type, number: numberRule(s) };
  if (s.type === 'array' && isObj(s.items)) {
    const items = s.items;
    return {
      ...base,
      kind: items.type === 'integer' ? 'integer-list' : 'number-list',
      number: numberRule(items),
      minItems: num(s.minItems),
    };
  }
  return { ...base, kind: 'string', minLength: num(s.minLength), maxLength: num(s.maxLength) };
}

/** The form layout of a JSON schema: top-level scalars form the first group, each object its own. */
export function schemaToForm(schema: Schema, path = '', title = 'General'): FieldGroup {
  const group: FieldGroup = {
    path,
    title,
    help: typeof schema.description === 'string' && path ? schema.description : '',
    fields: [],
    groups: [],
  };
  const props = isObj(schema.properties) ? schema.properties : {};
  const required = new Set(Array.isArray(schema.required) ? schema.required.map(String) : []);
  for (const [key, sub] of Object.entries(props)) {
    if (!isObj(sub)) continue;
    const p = path ? `${path}.${key}` : key;
    if (sub.type === 'object' && isObj(sub.properties)) group.groups.push(schemaToForm(sub, p, humanize(key)));
    else group.fields.push(fieldOf(p, sub, required.has(key)));
  }
  return group;
}

export function allFields(g: FieldGroup): FieldSpec[] {
  return [...g.fields, ...g.groups.flatMap(allFields)];
}

export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const k of path.split('.')) {
    if (!isObj(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

function setPath(obj: Schema, path: string, value: unknown): void {
  const keys = path.split('.');
  let cur = obj;
  for (const k of keys.slice(0, -1)) {
    if (!isObj(cur[k])) cur[k] = {};
    cur = cur[k] as Schema;
  }
  cur[keys[keys.length - 1]] = value;
}

function toRaw(f: FieldSpec, v: unknown): string | boolean {
  if (v === undefined || v === null) return f.kind === 'boolean' ? false : '';
  if (f.kind === 'boolean') return v === true;
  if (f.kind === 'tristate') return v === true ? 'true' : 'false';
  if (Array.isArray(v)) return v.join(', ');
  return String(v);
}

/** Form values for a (partial) config: its values where given, else the schema defaults. */
export function draftFor(form: FieldGroup, config: unknown = {}): Draft {
  const d: Draft = {};
  for (const f of allFields(form)) {
    const given = getPath(config, f.path);
    d[f.path] = toRaw(f, given !== undefined ? given : f.default);
  }
  return d;
}

function rangeText(r: NumberRule): string {
  const lo = r.exclusiveMin !== undefined ? `> ${r.exclusiveMin}` : r.min !== undefined ? `≥ ${r.min}` : '';
  const hi = r.exclusiveMax !== undefined ? `< ${r.exclusiveMax}` : r.max !== undefined ? `≤ ${r.max}` : '';
  return [lo, hi].filter(Boolean).join(' and ');
}

/** Why a number breaks a rule, or null. */
export function numberProblem(v: number, r: NumberRule): string | null {
  if (!Number.isFinite(v)) return 'must be a finite number';
  if (r.integer && !Number.isInteger(v)) return 'must be a whole number';
  const bad =
    (r.min !== undefined && v < r.min) ||
    (r.exclusiveMin !== undefined && v <= r.exclusiveMin) ||
    (r.max !== undefined && v > r.max) ||
    (r.exclusiveMax !== undefined && v >= r.exclusiveMax);
  return bad ? `must be ${rangeText(r)}` : null;
}

function parseNumber(raw: string): number {
  const t = raw.trim();
  return t === '' ? Number.NaN : Number(t);
}

/** Parse one field: its JSON value, or the message to show at the field. `undefined` = leave out. */
export function parseField(f: FieldSpec, raw: string | boolean): { value?: unknown; error?: string } {
  const label = f.label;
  if (f.kind === 'boolean') return { value: raw === true };
  const text = typeof raw === 'string' ? raw : String(raw);
  if (text.trim() === '') {
    if (f.optional || f.hasDefault) {
      if (text.length > 0) return { error: `${label} is blank: leave it empty for the default, or type a value` };
      return {};
    }
    return { error: `${label} is required${f.help ? ` — ${f.help}` : ''}` };
  }
  switch (f.kind) {
    case 'tristate':
      return { value: text === 'true' };
    case 'enum':
      return f.options.includes(text) ? { value: text } : { error: `${label} must be one of ${f.options.join(', ')}` };
    case 'number':
    case 'integer': {
      const v = parseNumber(text);
      if (Number.isNaN(v)) return { error: `${label}: '${text}' is not a number` };
      const p = numberProblem(v, f.number as NumberRule);
      return p ? { error: `${label} ${p} (you entered ${text.trim()})` } : { value: v };
    }
    case 'number-list':
    case 'integer-list': {
      const parts = text.split(/[\s,;]+/).filter(Boolean);
      const values: number[] = [];
      for (const part of parts) {
        const v = Number(part);
        if (Number.isNaN(v)) return { error: `${label}: '${part}' is not a number; separate values with commas` };
        const p = numberProblem(v, f.number as NumberRule);
        if (p) return { error: `${label}: ${part} is out of range — each value ${p}` };
        values.push(v);
      }
      if (f.minItems !== undefined && values.length < f.minItems)
        return { error: `${label} needs at least ${f.minItems} value(s)` };
      return { value: values };
    }
    default: {
      if (f.minLength !== undefined && text.length < f.minLength)
        return { error: `${label} must have at least ${f.minLength} character(s)` };
      if (f.maxLength !== undefined && text.length > f.maxLength)
        return { error: `${label} must have at most ${f.maxLength} characters` };
      return { value: text };
    }
  }
}

/** The config the form describes, and the problems of every field (by path). */
export function buildConfig(form: FieldGroup, draft: Draft): { config: Schema; errors: Record<string, string> } {
  const config: Schema = {};
  const errors: Record<string, string> = {};
  for (const f of allFields(form)) {
    const r = parseField(f, draft[f.path] ?? '');
    if (r.error) errors[f.path] = r.error;
    else if (r.value !== undefined) setPath(config, f.path, r.value);
  }
  return { config, errors };
}

/**
 * The form field a lab issue path belongs to: "certification.epsilons[0]" -> "certification.epsilons";
 * null when the issue concerns no single field (shown above the form).
 */
export function fieldForIssue(issuePath: string, fields: readonly FieldSpec[]): string | null {
  const norm = issuePath.replace(/\[\d+\]/g, '').replace(/\.\d+(?=\.|$)/g, '');
  const paths = new Set(fields.map((f) => f.path));
  let p = norm;
  while (p) {
    if (paths.has(p)) return p;
    const i = p.lastIndexOf('.');
    if (i < 0) break;
    p = p.slice(0, i);
  }
  return null;
}
