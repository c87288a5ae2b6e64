/**
 * `spectral-lab serve` as a user runs it: a child process (`node --import tsx src/main/cli/index.ts serve …`)
 * whose printed tokenised link is parsed from its output. Shared by serve-cli.test.ts and lab-server.ts.
 * The child's output is kept, so a test can fail with it when the server dies early.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../../..');
/** The line `serve` prints (src/main/cli/serve.ts): the loopback origin and the start-up token. */
const LINK = /http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+/;

export interface ServeProcessOptions {
  dataDir: string;
  /** `--max-concurrent N` (default: the command's own default). */
  maxConcurrent?: number;
  /** How long to wait for the link (createLab opens SQLite and probes nothing slow; tsx compiles on the fly). */
  startTimeoutMs?: number;
}

export interface ServeProcess {
  child: ChildProcess;
  /** The printed link, http://127.0.0.1:PORT/?token=… */
  link: URL;
  origin: string;
  token: string;
  /** Everything the child wrote to stdout and stderr so far. */
  output(): string;
  /** Null while the child runs; how it ended otherwise. */
  exited(): { code: number | null; signal: NodeJS.Signals | null } | null;
  /** Throws (with the child's output) if the child has ended; call it where the server must still be up. */
  assertAlive(): void;
  /** SIGINT (serve cancels its runs and closes the store), SIGKILL after `graceMs`; resolves when it is gone. */
  stop(graceMs?: number): Promise<void>;
}

export async function spawnServe(opts: ServeProcessOptions): Promise<ServeProcess> {
  const args = [
    '--import',
    'tsx',
    path.join(ROOT, 'src/main/cli/index.ts'),
    'serve',
    '--port',
    '0',
    '--no-open',
    '--store',
    opts.dataDir,
  ];
  if (opts.maxConcurrent !== undefined) args.push('--max-concurrent', String(opts.maxConcurrent));
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let ended: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  let stopping = false;
  const gone = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      ended = { code, signal };
      // A death nobody asked for is shown at once: the test waiting on the page would only see a timeout.
      if (!stopping)
        console.error(`spectral-lab serve (pid ${child.pid}) exited early (code ${code}, signal ${signal}):\n${out}`);
      resolve();
    });
  });
  const collect = (b: Buffer) => void (out += b.toString());
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);

  const stop = async (graceMs = 10_000): Promise<void> => {
    stopping = true;
    if (ended) return;
    child.kill('SIGINT');
    const timer = setTimeout(() => {
      if (!ended) child.kill('SIGKILL');
    }, graceMs);
    await gone;
    clearTimeout(timer);
  };

  const timeout = opts.startTimeoutMs ?? 60_000;
  let link: URL;
  try {
    link = await new Promise<URL>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`serve printed no link in ${timeout / 1000} s:\n${out}`)),
        timeout,
      );
      const look = () => {
        const m = LINK.exec(out);
        if (!m) return;
        clearTimeout(timer);
        resolve(new URL(m[0]));
      };
      child.stdout.on('data', look);
      child.stderr.on('data', look);
      void gone.then(() => {
        clearTimeout(timer);
        reject(
          new Error(`serve exited (code ${ended?.code}, signal ${ended?.signal}) before printing its link:\n${out}`),
        );
      });
    });
  } catch (err) {
    await stop(2000);
    throw err;
  }

  return {
    child,
    link,
    origin: link.origin,
    token: link.searchParams.get('token') as string,
    output: () => out,
    exited: () => ended,
    assertAlive() {
      if (ended)
        throw new Error(`spectral-lab serve exited early (code ${ended.code}, signal ${ended.signal}):\n${out}`);
    },
    stop,
  };
}
