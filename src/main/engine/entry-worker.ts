/**
 * The engine's worker threads (the training engine's worker.ts, the model analysis' analysis-worker.ts, the bounds
 * layer pool's layer-pool-worker.ts), each started beside the module that hosts it, in a build or from the sources.
 *
 * In a build the entry is `<name>.js` next to the bundle (or one folder up, where the bundler put the caller in
 * out/main/chunks/). From the TypeScript sources (npm run cli / bounds, tests) Node 20 does not pass tsx's loader
 * hooks on to worker threads, so a thread would register tsx itself and then load every module through the hooks
 * (one round trip to the hooks thread per module): ~0.7 s before a layer-pool thread was ready here, against
 * ~0.3 s for the same graph as one file. So the entry is bundled once per process with esbuild (~0.1 s; tsx
 * transforms with the same esbuild) into node_modules/.cache/spectral-lab/workers/, next to a copy of the
 * WebAssembly kernels' text that kernels/index.ts reads beside its bundle, as in a build. The tsx bootstrap stays
 * as the fallback where esbuild cannot bundle.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

const require = createRequire(import.meta.url);

/** Start the worker entry `name` that lives beside the caller (`callerUrl`: the caller's import.meta.url). */
export function startEntryWorker(callerUrl: string, name: string, options: WorkerOptions = {}): Worker {
  if (!callerUrl.endsWith('.ts')) {
    const candidates = [new URL(`./${name}.js`, callerUrl), new URL(`../${name}.js`, callerUrl)];
    return new Worker(candidates.find((u) => existsSync(fileURLToPath(u))) ?? candidates[0], options);
  }
  const source = new URL(`./${name}.ts`, callerUrl);
  const bundle = bundledEntry(source);
  if (bundle) return new Worker(bundle, options);
  // Resolved here, not in the thread: an eval'd worker resolves bare names from the working folder.
  const tsxDir = path.dirname(require.resolve('tsx/package.json'));
  const tsxApi = pathToFileURL(path.join(tsxDir, 'dist', 'esm', 'api', 'index.mjs')).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(source.href)}); })`;
  return new Worker(bootstrap, { ...options, eval: true });
}

/** One bundle per entry and process (the sources do not change under a running process). */
const bundles = new Map<string, URL | null>();

/** The kernels' text, read beside the bundle by kernels/index.ts (kernelFile: ./kernels/<name>.wat). */
const KERNELS_DIR = fileURLToPath(new URL('./kernels/', import.meta.url));

/** Bundles unused for this long are removed when a new one is written (their sources were edited since). */
const STALE_MS = 24 * 3600 * 1000;

/**
 * The entry and everything it imports from the sources as one ES module (packages stay imports, resolved from the
 * node_modules that holds the cache), or null where esbuild is missing or fails (the tsx bootstrap then reports any
 * error in the sources as usual). The folder is named by the content's hash and written under a temporary name, then
 * renamed: processes bundling at the same time (parallel tests) never see a half-written one.
 */
function bundledEntry(source: URL): URL | null {
  const have = bundles.get(source.href);
  // (a bundle unused for a day may have been removed by another process meanwhile: then it is written again)
  if (have === null || (have && existsSync(fileURLToPath(have)))) return have;
  let url: URL | null = null;
  try {
    const esbuild = require('esbuild') as typeof import('esbuild');
    const cache = path.join(path.dirname(path.dirname(require.resolve('esbuild/package.json'))), '.cache');
    const root = path.join(cache, 'spectral-lab', 'workers');
    const out = esbuild.buildSync({
      entryPoints: [fileURLToPath(source)],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      write: false,
      logLevel: 'silent',
    }).outputFiles[0].contents;
    const kernels = readdirSync(KERNELS_DIR)
      .filter((f) => f.endsWith('.wat'))
      .sort()
      .map((f) => [f, readFileSync(path.join(KERNELS_DIR, f))] as const);
    const hash = createHash('sha256').update(out);
    for (const [f, text] of kernels) hash.update(f).update(text);
    const name = path.basename(source.pathname, '.ts');
    const dir = path.join(root, `${name}-${hash.digest('hex').slice(0, 16)}`);
    if (existsSync(dir))
      utimesSync(dir, new Date(), new Date()); // in use: not stale for another day
    else writeBundle(root, dir, `${name}.mjs`, out, kernels);
    url = pathToFileURL(path.join(dir, `${name}.mjs`));
  } catch {
    url = null;
  }
  bundles.set(source.href, url);
  return url;
}

function writeBundle(
  root: string,
  dir: string,
  file: string,
  code: Uint8Array,
  kernels: ReadonlyArray<readonly [string, Buffer]>,
): void {
  mkdirSync(root, { recursive: true });
  removeStale(root);
  const tmp = `${dir}.${process.pid}.${Date.now()}.tmp`;
  mkdirSync(path.join(tmp, 'kernels'), { recursive: true });
  writeFileSync(path.join(tmp, file), code);
  for (const [f, text] of kernels) writeFileSync(path.join(tmp, 'kernels', f), text);
  try {
    renameSync(tmp, dir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(dir)) throw err; // else another process wrote the same bundle first
  }
}

function removeStale(root: string): void {
  const now = Date.now();
  for (const entry of readdirSync(root)) {
    const p = path.join(root, entry);
    try {
      if (now - statSync(p).mtimeMs > STALE_MS) rmSync(p, { recursive: true, force: true });
    } catch {
      // another process removed it first
    }
  }
}
