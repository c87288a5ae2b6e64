/**
 * For the Redis tests: Debian's redis-server on a free loopback port (no persistence), and the CLI as
 * child processes whose output is kept (DEBUG_SWEEP=1 prints it when they exit).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { tempDir } from '../store/helpers.js';

export const REDIS = '/usr/bin/redis-server';
const haveClient = () =>
  spawnSync(process.execPath, ['-e', "import('ioredis').then(() => process.exit(0), () => process.exit(1))"], {
    cwd: process.cwd(),
  }).status === 0;
/** Why the Redis tests cannot run here ('' when they can). */
export const redisSkipReason = !existsSync(REDIS)
  ? `${REDIS} is not installed (apt-get install redis-server)`
  : !haveClient()
    ? "the 'ioredis' package is not installed (npm install ioredis)"
    : '';

/** Every process a test started: kill them all in afterAll with killAll(). */
export const children: ChildProcess[] = [];

export function killAll(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export async function waitForPort(port: number): Promise<void> {
  const end = Date.now() + 10_000;
  while (
    !(await new Promise<boolean>((r) =>
      net
        .connect(port, '127.0.0.1')
        .on('connect', function (this: net.Socket) {
          this.destroy();
          r(true);
        })
        .on('error', () => r(false)),
    ))
  ) {
    if (Date.now() > end) throw new Error('redis-server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A fresh redis-server on a free loopback port (extra args e.g. --requirepass); its port once it accepts connections. */
export async function startRedis(extra: string[] = []): Promise<{ port: number; url: string; server: ChildProcess }> {
  const port = await freePort();
  const server = spawn(
    REDIS,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      tempDir('redis'),
      ...extra,
    ],
    { stdio: 'ignore' },
  );
  children.push(server);
  await waitForPort(port);
  return { port, url: `redis://127.0.0.1:${port}`, server };
}

export interface CliChild {
  child: ChildProcess;
  log: () => string;
  exited: Promise<number | null>;
}

/** `spectral-lab ARGS` as a child process (tsx), stdout and stderr kept together. */
export function cli(args: string[], name: string): CliChild {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main/cli/index.ts', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let log = '';
  child.stdout?.on('data', (b: Buffer) => (log += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (log += b.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  void exited.then(() => process.env.DEBUG_SWEEP && console.warn(`--- ${name}\n${log}`));
  return { child, log: () => log, exited };
}

/** Wait until the child's output matches (rejects if it exits first or the time is up). */
export function waitForLog(c: CliChild, re: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const end = Date.now() + timeoutMs;
    const timer = setInterval(() => {
      const m = re.exec(c.log());
      if (m) {
        clearInterval(timer);
        resolve(m);
      } else if (c.child.exitCode !== null || Date.now() > end) {
        clearInterval(timer);
        reject(
          new Error(
            `no ${re} in the output (${c.child.exitCode !== null ? `exited ${c.child.exitCode}` : 'timed out'}):\n${c.log()}`,
          ),
        );
      }
    }, 50);
  });
}
