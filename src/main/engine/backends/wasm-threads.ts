/**
 * Starting tfjs-backend-wasm's multi-threaded (pthreads + SIMD) build under Node.
 *
 * tfjs 4.22.0 only enables it in browsers. Under Node it fails in three places, each bridged here
 * for the duration of the backend's initialisation only:
 *  1. Its pthread workers are created from blob: URLs, which worker_threads refuses
 *     (ERR_WORKER_PATH): URL.createObjectURL is made to return real files holding the same code
 *     (the package's own worker script and module factory, written to a temporary folder).
 *  2. The worker loads the module factory through another blob: URL, inside the worker: the
 *     worker file we write first points that call at the factory file too.
 *  3. The C++ side caps the thread pool at (logical cores / 2), i.e. 1 on a 2-vCPU machine: os.cpus()
 *     reports 2 x the wanted count while the module starts.
 * The workers start with no execArgv (they run plain JS; flags of the parent such as
 * --input-type are refused in workers), and are unref'd afterwards so that they do not keep a
 * finished process alive.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

interface ThreadPatch {
  restore(): void;
}

let scriptFiles: { worker: string; main: string } | null = null;

function writeScripts(wasmDist: string): { worker: string; main: string } {
  if (scriptFiles) return scriptFiles;
  const require = createRequire(import.meta.url);
  const out = path.join(wasmDist, '..', 'wasm-out');
  const { wasmWorkerContents } = require(path.join(out, 'tfjs-backend-wasm-threaded-simd.worker.js')) as {
    wasmWorkerContents: string;
  };
  const factory = require(path.join(out, 'tfjs-backend-wasm-threaded-simd.js')) as
    { default?: unknown } | ((...a: unknown[]) => unknown);
  const factoryFn = (typeof factory === 'function' ? factory : factory.default) as (...a: unknown[]) => unknown;
  // One folder per content, shared by every process and reused: a fresh temporary folder per process was left
  // behind whenever a process was killed (the exit hook never ran). Files are written under a unique name and
  // renamed into place, so concurrent starts never see a half-written script.
  const mainCode = `var WasmBackendModuleThreadedSimd = ${factoryFn.toString()}`;
  // As tfjs does for its blob: the template literal turned "\n" escapes into real newlines.
  const workerTail = wasmWorkerContents.replace(/\n/g, '\\n');
  const digest = createHash('sha256').update(mainCode).update(workerTail).digest('hex').slice(0, 16);
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  let dir = path.join(os.tmpdir(), `spectral-lab-wasm-${uid}-${digest}`);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = fs.lstatSync(dir);
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o022) !== 0) {
    // Not ours alone (another user could have planted code there): a private folder for this process instead.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spectral-lab-wasm-'));
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  const main = path.join(dir, 'tfjs-backend-wasm-threaded-simd.js');
  const worker = path.join(dir, 'tfjs-backend-wasm-threaded-simd.worker.js');
  const place = (file: string, code: string): void => {
    if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === code) return;
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    fs.writeFileSync(tmp, code);
    fs.renameSync(tmp, file);
  };
  place(main, mainCode);
  place(worker, `URL.createObjectURL = () => ${JSON.stringify(main)}; URL.revokeObjectURL = () => {};\n${workerTail}`);
  scriptFiles = { worker, main };
  return scriptFiles;
}

/** Installs the three bridges; call restore() once the backend is initialised (or failed). */
export function bridgeThreadedWasm(wasmDist: string, threads: number): ThreadPatch {
  const files = writeScripts(wasmDist);
  const createObjectURL = URL.createObjectURL;
  URL.createObjectURL = ((blob: Blob) =>
    blob.type === 'text/javascript' ? files.main : files.worker) as typeof URL.createObjectURL;
  const require = createRequire(import.meta.url);
  const osModule = require('node:os') as typeof os;
  const cpus = osModule.cpus;
  osModule.cpus = () => {
    const real = cpus();
    return Array.from({ length: 2 * threads }, (_, i) => real[i % real.length]);
  };
  // The module captures worker_threads.Worker while it starts (and keeps it for later threads).
  const workerThreads = require('node:worker_threads') as typeof import('node:worker_threads');
  const NodeWorker = workerThreads.Worker;
  class PlainWorker extends NodeWorker {
    constructor(file: string | URL, options?: import('node:worker_threads').WorkerOptions) {
      super(file, { ...options, execArgv: [] });
    }
  }
  workerThreads.Worker = PlainWorker;
  return {
    restore() {
      URL.createObjectURL = createObjectURL;
      osModule.cpus = cpus;
      workerThreads.Worker = NodeWorker;
    },
  };
}

interface PThreadHost {
  PThread?: { unusedWorkers: Array<{ unref?: () => void }>; runningWorkers: Array<{ unref?: () => void }> };
}

/** Lets the process exit while pthread workers idle. */
export function unrefWorkers(wasmModule: unknown): void {
  const pt = (wasmModule as PThreadHost).PThread;
  if (!pt) return;
  for (const w of [...pt.unusedWorkers, ...pt.runningWorkers]) w.unref?.();
}
