#!/usr/bin/env node
/**
 * Spectral Lab command line: one thin dispatcher; each command lives in its own module and exports
 * `run(argv): Promise<number>` (the exit code). Imports are lazy so `bounds` never loads sqlite3 or the UI.
 */
import { settings } from '../settings.js';

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run: (argv: string[]) => Promise<number> }> }> =
  {
    bounds: {
      summary: 'per-layer spectral-norm bounds of a kernel file or the built-in ResNet-18 stack',
      load: () => import('./bounds.js'),
    },
    train: {
      summary: 'train a network from a run config (JSON) with a live progress bar',
      load: () => import('./train.js'),
    },
    export: { summary: 'export runs from the store (CSV / JSON / report)', load: () => import('./export.js') },
    resume: {
      summary: 'resume a cancelled or crashed run from its last checkpoint (same run, same store)',
      load: () => import('./resume.js'),
    },
    serve: {
      summary: 'serve the workbench UI to a browser on 127.0.0.1 (token protected)',
      load: () => import('./serve.js'),
    },
    sweep: {
      summary: 'expand a sweep file (grid / random) into queued runs; --run trains them, --redis sends them to workers',
      load: () => import('./sweep.js'),
    },
    queue: { summary: 'the persistent run queue: list, run, cancel, move, retry', load: () => import('./queue.js') },
    worker: {
      summary: 'train runs taken from a BullMQ queue on Redis (workers on other machines)',
      load: () => import('./worker.js'),
    },
    reproduce: {
      summary: "reproduce the paper's experiments as runs in the store; tables and figures into docs/results/",
      load: () => import('./reproduce.js'),
    },
  };

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length)) + 1;
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)} ${c.summary}`);
  return [
    'Usage: spectral-lab <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `spectral-lab <command> --help` for the options of one command.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 1;
  }
  settings(); // a bad SPECTRAL_LAB_* value fails here, naming the variable, before a command starts
  const cmd = COMMANDS[name];
  if (!cmd) {
    console.error(`Unknown command '${name}'.\n\n${usage()}`);
    return 2;
  }
  const mod = await cmd.load();
  return mod.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof Error ? `error: ${err.message}` : `error: ${String(err)}`);
    process.exitCode = 1;
  },
);
