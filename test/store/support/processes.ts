/**
 * Real processes and real file systems for the store's fault and many-process tests: the CLI as a
 * user runs it (`node --import tsx src/main/cli/index.ts …`), small tmpfs mounts for a full disk and
 * read-only media (root only: the tests that need one skip, saying why, where mounting is not allowed).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../../..');
const CLI = path.join(ROOT, 'src/main/cli/index.ts');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcess;
  /** Output so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves once the stderr or stdout matches. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  done: Promise<CliResult>;
}

/** Start `spectral-lab <args>`; it is killed (SIGKILL) if it has not ended after `timeoutMs`. */
export function startCli(args: string[], timeoutMs = 120_000): CliProcess {
  return startScript(CLI, args, timeoutMs);
}

/** Start a TypeScript script of the project (e.g. a test fixture) as its own process. */
export function startScript(file: string, args: string[], timeoutMs = 120_000): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  const poke = (): void => waiters.forEach((w) => w());
  child.stdout?.on('data', (b: Buffer) => ((out += b.toString()), poke()));
  child.stderr?.on('data', (b: Buffer) => ((err += b.toString()), poke()));
  const guard = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      poke();
      resolve({ code, signal, stdout: out, stderr: err });
    });
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    done,
    waitFor(re, ms = 60_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => finish(new Error(`no ${re} within ${ms} ms; stderr:\n${err}\nstdout:\n${out}`)),
          ms,
        );
        const check = (): void => {
          const m = re.exec(err) ?? re.exec(out);
          if (m) finish(null, m);
          else if (child.exitCode !== null || child.signalCode !== null)
            finish(new Error(`the process ended before ${re}; stderr:\n${err}`));
        };
        function finish(e: Error | null, m?: RegExpExecArray): void {
          clearTimeout(timer);
          waiters.delete(check);
          if (e) reject(e);
          else resolve(m as RegExpExecArray);
        }
        waiters.add(check);
        check();
      });
    },
  };
}

export function runCli(args: string[], timeoutMs?: number): Promise<CliResult> {
  return startCli(args, timeoutMs).done;
}

/** A tiny MNIST run: `steps` steps of 64 images, one evaluation at the end (or every `evalEvery`). */
export function tinyConfig(dir: string, name: string, steps: number, extra: Record<string, unknown> = {}): string {
  const file = path.join(dir, `${name}.json`);
  const config = {
    name,
    dataset: { name: 'mnist', validationSize: 200, limitTrain: 1200, limitTest: 300 },
    model: { arch: 'lip-cnn' },
    optimizer: { kind: 'adam', lr: 0.002 },
    batchSize: 64,
    maxSteps: steps,
    regularizer: { kind: 'none', beta: 0 },
    evaluation: { everySteps: steps, trainSubset: 300, exactNorm: false },
    ...extra,
  };
  fs.writeFileSync(file, JSON.stringify(config));
  return file;
}

export function tempFolder(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `spectral-${label}-`));
}

/** Why a tmpfs cannot be mounted here (null: it can). */
export const tmpfsUnavailable: string | null = (() => {
  if (process.platform !== 'linux') return 'tmpfs mounts need Linux';
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  const dir = tempFolder('mount-probe');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'pipe' });
    execFileSync('umount', [dir], { stdio: 'pipe' });
    return null;
  } catch (err) {
    return `cannot mount a tmpfs here (${(err as Error).message.split('\n')[0]})`;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
})();

/** A fresh tmpfs of `kb` KiB; unmount it with unmountTmpfs. */
export function mountTmpfs(kb: number): string {
  const dir = tempFolder('tmpfs');
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${kb}k`, 'tmpfs', dir], { stdio: 'pipe' });
  return dir;
}

export function remountReadOnly(dir: string): void {
  execFileSync('mount', ['-o', 'remount,ro', dir], { stdio: 'pipe' });
}

export function unmountTmpfs(dir: string): void {
  try {
    execFileSync('umount', [dir], { stdio: 'pipe' });
  } catch {
    execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Fill the file system of `dir` until only about `leaveBytes` are free (one filler file). */
export function fillDisk(dir: string, leaveBytes: number): string {
  const st = fs.statfsSync(dir);
  const free = st.bavail * st.bsize;
  const filler = path.join(dir, 'filler');
  const size = Math.max(0, free - leaveBytes);
  const fd = fs.openSync(filler, 'w');
  try {
    const chunk = Buffer.alloc(64 * 1024, 1);
    for (let written = 0; written < size;) {
      const n = Math.min(chunk.length, size - written);
      written += fs.writeSync(fd, chunk, 0, n);
    }
  } finally {
    fs.closeSync(fd);
  }
  return filler;
}
