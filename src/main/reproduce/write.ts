/**
 * Writes an experiment's artifacts through the export code: every table as Markdown and CSV
 * (report/markdown.ts, report/csv.ts), every figure as SVG (report/svg-chart.ts), and an index
 * (README.md) with the tables inline, the figures, the findings, and how the numbers were made
 * (command, backend, CPU, date). All or nothing: written into a temporary folder next to the
 * output, then renamed over it, so a failure never leaves a half-written result folder.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { lineChartSvg, tableToCsv, tableToMarkdown } from '../report/index.js';
import type { Artifacts } from './experiment.js';

export interface Provenance {
  experiment: string;
  description: string;
  command: string;
  size: string;
  seeds: number;
  backends: string[];
  runIds: string[];
  store: string;
  startedAt: Date;
  finishedAt: Date;
  /** Set when the tables were redrawn from saved outcomes (reproduce --from), not right after the runs. */
  redrawn?: { at: Date; from: string };
}

/** The CPU model as /proc/cpuinfo names it (os.cpus() elsewhere), with the core count. */
export async function cpuDescription(): Promise<string> {
  let model = os.cpus()[0]?.model ?? 'unknown CPU';
  try {
    const info = await readFile('/proc/cpuinfo', 'utf8');
    model = /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? model;
  } catch {
    // Not Linux: os.cpus() already named it.
  }
  return `${model} (${os.availableParallelism()} logical cores visible)`;
}

function indexText(a: Artifacts, p: Provenance, cpu: string): string {
  const minutes = ((p.finishedAt.getTime() - p.startedAt.getTime()) / 60_000).toFixed(1);
  const out = [
    `# reproduce ${p.experiment} (${p.size}, ${p.seeds} seed${p.seeds === 1 ? '' : 's'})`,
    '',
    p.description,
    '',
    `- Regenerate: \`${p.command}\``,
    `- Backend: ${p.backends.length ? p.backends.join(', ') : 'none (no training runs)'}; Node ${process.version}`,
    `- CPU: ${cpu}`,
    `- Date: ${p.finishedAt.toISOString()} (runs took ${minutes} min)${p.redrawn ? `; tables redrawn ${p.redrawn.at.toISOString()} from ${p.redrawn.from}` : ''}`,
    `- Runs (${p.runIds.length}) in the store ${p.store}, tagged reproduce:${p.experiment}${p.runIds.length ? `: ${p.runIds.join(', ')}` : ''}`,
    '',
  ];
  if (a.findings.length) out.push('## Findings', '', ...a.findings.map((f) => `- ${f}`), '');
  for (const t of a.tables) out.push(tableToMarkdown(t.table), `(${t.file}.md, ${t.file}.csv)`, '');
  for (const f of a.figures) out.push(`![${f.caption}](${f.file}.svg)`, '', `_${f.caption}_`, '');
  return out.join('\n');
}

/** Writes the artifacts (and `extra` files: name -> text) into `outDir`, replacing what was there; returns the files written. */
export async function writeArtifacts(
  outDir: string,
  a: Artifacts,
  p: Provenance,
  extra: Record<string, string> = {},
): Promise<string[]> {
  const target = path.resolve(outDir);
  const parent = path.dirname(target);
  await mkdir(parent, { recursive: true });
  const temp = path.join(parent, `.${path.basename(target)}.tmp-${process.pid}`);
  await rm(temp, { recursive: true, force: true });
  await mkdir(temp);
  const files: string[] = [];
  const put = async (name: string, text: string): Promise<void> => {
    await writeFile(path.join(temp, name), text);
    files.push(path.join(target, name));
  };
  try {
    for (const t of a.tables) {
      await put(`${t.file}.md`, tableToMarkdown(t.table));
      await put(`${t.file}.csv`, tableToCsv(t.table));
    }
    for (const f of a.figures) await put(`${f.file}.svg`, lineChartSvg(f.chart));
    await put('README.md', indexText(a, p, await cpuDescription()));
    for (const [name, text] of Object.entries(extra)) await put(name, text);
    const old = `${temp}-old`;
    await rm(old, { recursive: true, force: true });
    await rename(target, old).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
    await rename(temp, target);
    await rm(old, { recursive: true, force: true });
  } catch (e) {
    await rm(temp, { recursive: true, force: true });
    throw e;
  }
  return files;
}
