/**
 * `spectral-lab serve`: the workbench in a browser, for machines without Electron (or over SSH with a
 * port forward). Binds 127.0.0.1 and prints a link with a fresh token, as Jupyter does.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { findRendererDir } from '../app/static-files.js';
import { defaultDataDir } from '../store/index.js';

const DEFAULT_PORT = 8787;
/** Tried in turn when the default port is taken (only when no --port was given). */
const PORT_ATTEMPTS = 10;

const HELP = `Usage: spectral-lab serve [options]

Serve the Spectral Lab workbench to a browser on this machine.

Options:
  --port N          port to listen on (default ${DEFAULT_PORT}, or the next free one; 0 = any free port)
  --host ADDR       address to bind (default 127.0.0.1; anything else exposes the lab to the network)
  --store DIR       the run store folder (default ${defaultDataDir()}); the app, other serve
                    processes and \`spectral-lab train --store DIR\` may use it at the same time
  --max-concurrent N  runs that may train at once when started "now" (default 1); each gets cores/N WASM threads
  --redis URL       own sweeps run by Redis workers (spectral-lab worker --redis URL): the grid editor can
                    send a sweep to them, and this lab writes their runs into the store. redis://[user:password@]host:port[/db],
                    rediss:// for TLS (see docs/distributed.md); an unreachable Redis stops serve before it starts
  --redis-ca FILE   with rediss://: the CA certificate that signed the server's certificate
  --queue NAME      with --redis: the BullMQ queue (default: spectral-lab-runs; the workers' --queue)
  --no-open         do not open a browser
  -h, --help        this text

Every request needs the token in the printed link; the browser keeps it in a cookie for this port.`;

interface ServeArgs {
  /** null: the default port, or the next free one. */
  port: number | null;
  host: string;
  maxConcurrent: number;
  dataDir: string;
  open: boolean;
  /** --redis URL, --redis-ca FILE, --queue NAME (absent: sweeps run here only). */
  redis: { redis: string; 'redis-ca'?: string; queue?: string } | null;
}

/** The options, or the exit code when they are wrong or only --help was asked for. */
function parseServeArgs(argv: string[]): ServeArgs | number {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string', default: '127.0.0.1' },
        store: { type: 'string' },
        // Before --store named the store in every command, serve called it --data.
        data: { type: 'string' },
        'max-concurrent': { type: 'string', default: '1' },
        redis: { type: 'string' },
        'redis-ca': { type: 'string' },
        queue: { type: 'string' },
        'no-open': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    console.error(`serve: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const port = values.port === undefined ? null : Number(values.port);
  if (port !== null && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    console.error(`serve: --port must be an integer 0..65535, got '${values.port}'.`);
    return 2;
  }
  const maxConcurrent = Number(values['max-concurrent']);
  if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) {
    console.error(`serve: --max-concurrent must be a positive integer, got '${values['max-concurrent']}'.`);
    return 2;
  }
  if (values.data !== undefined) {
    if (values.store !== undefined) {
      console.error('serve: pass the store folder once, with --store DIR (--data is its old name).');
      return 2;
    }
    console.error('serve: --data is now called --store (the run store folder); --data still works for now.');
  }
  if (!values.redis && (values['redis-ca'] || values.queue)) {
    console.error('serve: --redis-ca and --queue go with --redis URL (the Redis the workers take runs from).');
    return 2;
  }
  const dataDir = path.resolve(values.store ?? values.data ?? defaultDataDir());
  const redis = values.redis ? { redis: values.redis, 'redis-ca': values['redis-ca'], queue: values.queue } : null;
  return { port, host: values.host, maxConcurrent, dataDir, open: !values['no-open'], redis };
}

export async function run(argv: string[]): Promise<number> {
  const args = parseServeArgs(argv);
  if (typeof args === 'number') return args;

  // Loaded here, not at the top: `--help` and argument errors must not open SQLite or load the engine.
  const { createLab } = await import('../app/create.js');
  const { startServer } = await import('../serve/server.js');
  // Redis is reached before the store is opened: an unreachable one is an error with nothing started or queued.
  let redis = null;
  if (args.redis) {
    const { RedisSweeps } = await import('../queue/redis-sweeps.js');
    try {
      redis = await RedisSweeps.connect({ ...args.redis, log: (m) => console.error(m) });
    } catch (err) {
      if ((err as Error).name !== 'RedisUnreachable') throw err;
      console.error(`serve: ${(err as Error).message}`);
      return 2;
    }
  }
  const lab = await createLab({
    dataDir: args.dataDir,
    shell: 'serve',
    maxConcurrent: args.maxConcurrent,
    log: (m) => console.error(m),
    redis,
  });
  const rendererDir = findRendererDir(path.dirname(fileURLToPath(import.meta.url)));

  let server;
  const ports = args.port !== null ? [args.port] : Array.from({ length: PORT_ATTEMPTS }, (_, i) => DEFAULT_PORT + i);
  for (const p of ports) {
    try {
      server = await startServer({ service: lab, host: args.host, port: p, rendererDir, log: (m) => console.error(m) });
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' && p !== ports[ports.length - 1]) continue;
      await lab.close();
      const hint =
        code === 'EADDRINUSE'
          ? 'Choose another with --port N (or --port 0 for any free port).'
          : code === 'EADDRNOTAVAIL'
            ? 'Use an address of this machine, e.g. --host 127.0.0.1.'
            : '';
      console.error(`serve: cannot listen on ${args.host}:${p}: ${(err as Error).message}. ${hint}`);
      return 1;
    }
  }
  if (!server) return 1;

  // The stop handlers go in before the link is printed: a Ctrl+C (or a test's SIGINT) that follows the link at
  // once must shut down cleanly, not kill the process with the store open.
  const stopped = stopOnSignals([server, lab]);
  console.log(`Spectral Lab is serving the workbench at:\n\n    ${server.url}\n`);
  console.log(`Data folder: ${args.dataDir}`);
  if (redis)
    console.log(
      `Sweeps can go to Redis workers on ${redis.display} (start them with: spectral-lab worker --redis ${redis.display}).`,
    );
  if (!rendererDir) console.log('The UI is not built (no out/renderer): run `npm run build`; the API works meanwhile.');
  console.log('Press Ctrl+C to stop (active runs are cancelled; a run that does not stop in time is marked crashed).');
  if (args.open) openBrowser(server.url);
  // Probe the training backends now, so the page's first getInfo answers at once.
  void lab.getInfo().catch(() => undefined);
  return stopped;
}

/** SIGINT or SIGTERM closes the server and the lab; settles with exit code 0 once both are closed. */
function stopOnSignals(closables: { close(): Promise<void> }[]): Promise<number> {
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      console.error(`\n${signal}: stopping…`);
      void Promise.allSettled(closables.map((c) => c.close())).then(() => resolve(0));
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

/** Best effort: no browser (a server, no display) is fine, the link is printed. */
function openBrowser(url: string): void {
  const cmd =
    process.platform === 'darwin'
      ? ['open', url]
      : process.platform === 'win32'
        ? ['cmd', '/c', 'start', '""', url]
        : ['xdg-open', url];
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return;
  try {
    const child = spawn(cmd[0], cmd.slice(1), { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // The printed link is enough.
  }
}
