/**
 * Every hint names a flag that exists: each `--flag` written in a string of src/main or src/shared
 * (error messages, hints, help texts) must be an option some `spectral-lab` command accepts (listed
 * in a command's help), or one of the few flags of other programs that hints quote on purpose.
 * Issue 11 found `--cifar10 PATH` in the CIFAR-10 hints, a flag no command ever had.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** Flags of other programs that messages quote: Chromium's (PDF printing), apt, redis-server, tensorflowjs_converter. */
const OTHER_PROGRAMS = new Set([
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--reinstall',
  '--bind',
  '--quantize',
]);

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? files(p) : /\.ts$/.test(e.name) ? [p] : [];
  });
}

/** The string literals of a TypeScript source ('…', "…", `…` with ${} parts kept as text), comments skipped. */
function strings(src: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '/' && src[i + 1] === '/') i = src.indexOf('\n', i) < 0 ? src.length : src.indexOf('\n', i);
    else if (c === '/' && src[i + 1] === '*') i = src.indexOf('*/', i + 2) + 1;
    else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1;
      out.push(src.slice(i + 1, j));
      i = j;
    }
  }
  return out;
}

/** Options the commands accept, as their help texts list them ("  --store DIR  …", "  -h, --help  …"). */
function commandFlags(): Set<string> {
  const flags = new Set<string>();
  for (const f of files(path.join(ROOT, 'src/main/cli'))) {
    // The option column: from the first flag of the line to the gap before its description ("--mean LIST, --std LIST").
    for (const m of fs.readFileSync(f, 'utf8').matchAll(/^\s+((?:-[a-z], )?--\S.*?)(?: {2,}|$)/gm)) {
      for (const flag of m[1].matchAll(/--[a-z][a-z0-9-]*/g)) flags.add(flag[0]);
    }
  }
  return flags;
}

test('every --flag in a message, hint or help text is an option of a spectral-lab command (or a quoted other program)', () => {
  const known = commandFlags();
  expect(known).toContain('--store');
  const unknown: string[] = [];
  for (const f of [...files(path.join(ROOT, 'src/main')), ...files(path.join(ROOT, 'src/shared'))]) {
    for (const s of strings(fs.readFileSync(f, 'utf8'))) {
      for (const m of s.matchAll(/(?<![\w-])(--[a-z][a-z0-9-]*)/g)) {
        if (!known.has(m[1]) && !OTHER_PROGRAMS.has(m[1]))
          unknown.push(`${path.relative(ROOT, f)}: ${m[1]} in "${s.slice(0, 120)}"`);
      }
    }
  }
  expect(unknown).toEqual([]);
});
