/**
 * Build of the three Electron parts (electron-vite 6 over Vite 7):
 *  - main: the Electron entry, the CLI (out/main/cli.js, used by bin/spectral-lab.js) and the engine's
 *    worker thread (out/main/worker.js); ESM, dependencies left external (sqlite3, tfjs are native/large);
 *  - preload: one CommonJS file (sandboxed preloads cannot load ES modules), everything bundled;
 *  - renderer: the Vue app, with the Content-Security-Policy also as a <meta> tag (the app:// protocol
 *    and `serve` send it as a header too).
 * electron-vite reads option objects under `rolldownOptions` (it copies them to Vite 7's rollupOptions).
 * Without the electron package installed, run through scripts/electron-vite.js (sets ELECTRON_MAJOR_VER).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';
import { contentSecurityPolicy } from './src/main/app/security';

const root = import.meta.dirname;

/** Entries of the main build that exist (the worker is added by the engine; a missing one is skipped, not fatal). */
function mainEntries(): Record<string, string> {
  const all: Record<string, string> = {
    index: 'src/main/index.ts',
    cli: 'src/main/cli/index.ts',
    worker: 'src/main/engine/worker.ts',
    'analysis-worker': 'src/main/engine/models/imported/analysis-worker.ts',
    'layer-pool-worker': 'src/main/engine/bounds/layer-pool-worker.ts',
  };
  return Object.fromEntries(
    Object.entries(all)
      .filter(([, p]) => existsSync(resolve(root, p)))
      .map(([k, p]) => [k, resolve(root, p)]),
  );
}

/**
 * The engine's WebAssembly kernels (src/main/engine/kernels/*.wat), compiled at run time by engine/kernels/index.ts,
 * copied to out/main/kernels/ where that module looks for them in a build.
 */
function watKernels(): Plugin {
  const dir = resolve(root, 'src/main/engine/kernels');
  return {
    name: 'spectral-lab:wat-kernels',
    apply: 'build',
    generateBundle() {
      for (const file of readdirSync(dir).filter((f) => f.endsWith('.wat'))) {
        this.emitFile({ type: 'asset', fileName: `kernels/${file}`, source: readFileSync(resolve(dir, file), 'utf8') });
      }
    },
  };
}

/** The CSP as <meta> in the built index.html (frame-ancestors is ignored in meta, so it is left to the header). */
function cspMetaTag(): Plugin {
  return {
    name: 'spectral-lab:csp-meta',
    apply: 'build',
    transformIndexHtml(html) {
      const csp = contentSecurityPolicy()
        .split('; ')
        .filter((d) => !d.startsWith('frame-ancestors'))
        .join('; ');
      return html.replace('<head>', `<head>\n    <meta http-equiv="Content-Security-Policy" content="${csp}" />`);
    },
  };
}

export default defineConfig({
  main: {
    plugins: [watKernels()],
    build: {
      // @ts-expect-error electron-vite 6 option name (typed for Vite 8); copied to rollupOptions under Vite 7
      rolldownOptions: { input: mainEntries() },
    },
  },
  preload: {
    build: {
      externalizeDeps: false,
      // @ts-expect-error see above
      rolldownOptions: {
        input: { index: resolve(root, 'src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'src/renderer'),
    plugins: [vue(), cspMetaTag()],
    build: {
      // @ts-expect-error see above
      rolldownOptions: { input: resolve(root, 'src/renderer/index.html') },
    },
  },
});
