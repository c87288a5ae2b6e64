/**
 * The five reproduction experiments cannot rot: each one's smoke form (one run of its first arm) is
 * trained by real engine worker threads into a real store, analysed, and written as Markdown, CSV and
 * SVG; the command line lists the five and refuses bad input naming the valid options.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { safeParseRunConfig } from '../../src/shared/config.js';
import { listText, parseReproduceArgs } from '../../src/main/cli/reproduce.js';
import {
  EXPERIMENTS,
  experimentTag,
  trainPlanned,
  writeArtifacts,
  type Experiment,
  type PlanOptions,
} from '../../src/main/reproduce/index.js';
import { openStore, type Store } from '../../src/main/store/index.js';
import { tempDir } from '../store/helpers.js';

const root = join(__dirname, '..', '..');
const validateConfig = (c: unknown) => {
  const r = safeParseRunConfig(c);
  return r.success ? ({ ok: true, value: r.data } as const) : ({ ok: false, error: r.error.message } as const);
};

let store: Store | null = null;
afterAll(async () => {
  await store?.close();
});

/** One run (the first arm's, seed 0) of the experiment's smoke plan, analysed and written; returns the out folder. */
async function tiny(e: Experiment, s: Store): Promise<{ out: string; runIds: string[]; findings: string[] }> {
  const options: PlanOptions = { size: 'smoke', seeds: 1, backends: ['wasm'] };
  const planned = e.plan(options).slice(0, 1);
  expect(planned.length).toBe(1);
  const outcomes = await trainPlanned(s, e.name, planned, {
    onStart: () => {},
    onStep: () => {},
    onEnd: () => {},
    warn: () => {},
  });
  const artifacts = await e.analyse({ outcomes, options, progress: () => {} });
  const out = join(tempDir(`reproduce-${e.name}`), e.name);
  const now = new Date();
  await writeArtifacts(out, artifacts, {
    experiment: e.name,
    description: e.description,
    command: `reproduce ${e.name} --smoke`,
    size: 'smoke',
    seeds: 1,
    backends: ['wasm'],
    runIds: outcomes.map((o) => o.runId),
    store: s.paths.dataDir,
    startedAt: now,
    finishedAt: now,
  });
  return { out, runIds: outcomes.map((o) => o.runId), findings: artifacts.findings };
}

describe('reproduce', () => {
  it('trains a tiny form of every experiment through the store and writes its tables and figures', async () => {
    store = await openStore({ dataDir: tempDir('reproduce-store'), validateConfig });
    const s = store;
    // Two at a time: the engine runs in worker threads, and the machine has two cores.
    const results = [];
    for (let i = 0; i < EXPERIMENTS.length; i += 2)
      results.push(...(await Promise.all(EXPERIMENTS.slice(i, i + 2).map((e) => tiny(e, s)))));
    for (const [k, e] of EXPERIMENTS.entries()) {
      const { out, runIds } = results[k];
      const files = readdirSync(out);
      expect(files).toContain('README.md');
      const tables = files.filter((f) => f.endsWith('.md') && f !== 'README.md');
      expect(tables.length).toBeGreaterThan(0);
      for (const t of tables) {
        expect(files).toContain(t.replace(/\.md$/, '.csv'));
        // A header, a rule and at least one measured row.
        expect(
          readFileSync(join(out, t), 'utf8')
            .split('\n')
            .filter((l) => l.startsWith('|')).length,
        ).toBeGreaterThanOrEqual(3);
      }
      for (const f of files.filter((x) => x.endsWith('.svg')))
        expect(readFileSync(join(out, f), 'utf8')).toMatch(/^<svg[\s\S]*<path /);
      const run = await s.getRun(runIds[0]);
      expect(run.status).toBe('completed');
      expect(run.tags).toContain(experimentTag(e.name));
      expect(readFileSync(join(out, 'README.md'), 'utf8')).toContain(runIds[0]);
    }
    // The robustness table reports certified accuracy at the paper's radius; tightness measured the ResNet-18 shapes.
    expect(readFileSync(join(results[2].out, 'certified-accuracy.md'), 'utf8')).toContain('ε=1.58');
    expect(readFileSync(join(results[0].out, 'resnet18-random.md'), 'utf8')).toMatch(/conv1 +\| 7×7×3×64/);
    expect(existsSync(join(results[0].out, 'resnet18-bounds.svg'))).toBe(true);
  }, 180_000);

  it('lists the five experiments with their cost, and refuses bad input naming the valid options', () => {
    const list = listText();
    for (const name of ['tightness', 'generalisation', 'robustness', 'curvature', 'overhead'])
      expect(list).toMatch(new RegExp(`^  ${name} `, 'm'));
    expect(list).toContain('quick:');
    expect(() => parseReproduceArgs(['robustnes'])).toThrow(
      /unknown experiment 'robustnes'; choose one of tightness, generalisation, robustness, curvature, overhead/,
    );
    expect(() => parseReproduceArgs(['robustness', '--seeds', '0'])).toThrow(
      /--seeds must be a whole number from 1 to 100, got '0'/,
    );
    expect(() => parseReproduceArgs(['robustness', '--quick', '--smoke'])).toThrow(/give one of them/);
    expect(parseReproduceArgs(['robustness', '--quick', '--seeds', '2'])).toMatchObject({ size: 'quick', seeds: 2 });
  });

  it('the command exits 2 with the valid names for an unknown experiment, and --list names the five', () => {
    const cli = (args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/main/cli/index.ts'), 'reproduce', ...args], {
        cwd: root,
        encoding: 'utf8',
        timeout: 60_000,
      });
    const bad = cli(['nonsense']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(
      "unknown experiment 'nonsense'; choose one of tightness, generalisation, robustness, curvature, overhead",
    );
    const list = cli(['--list']);
    expect(list.status).toBe(0);
    expect(list.stdout.match(/^  (tightness|generalisation|robustness|curvature|overhead) /gm)).toHaveLength(5);
  }, 60_000);
});
