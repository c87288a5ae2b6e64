/**
 * The layering rule of docs/architecture.md, as an ESLint rule: which folder of src/ may import which.
 *
 *   shared   the typed contract and pure math: imports nothing of ours but itself, no Node builtins, tfjs,
 *            Electron, SQLite or UI libraries (it runs in the engine's worker, in Node and in the browser);
 *   engine   (src/main/engine) speaks only shared events: never imports the store, the app, the CLI, `serve`
 *            or the report (they sit above it), nor Electron or SQLite;
 *   renderer Vue views know the contract, never the transport: never imports src/main or src/preload, nor
 *            Node builtins, Electron, SQLite or tfjs;
 *   preload  only src/shared and `electron`;
 *   store    (src/main/store) and report (src/main/report) sit below the app and the shells: neither imports
 *            them, the engine or the queue (the report reads the store).
 *
 * Relative imports are resolved against the importing file, so `../../store/index.js` is caught at any depth;
 * `@/` is the renderer's alias for src/renderer/src. Type-only imports count too: a type from src/main in the
 * renderer is the same coupling as a value.
 */
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const isNodeBuiltin = (spec) =>
  spec.startsWith('node:') || NODE_BUILTINS.has(spec) || NODE_BUILTINS.has(spec.split('/')[0]);

/** Packages forbidden by prefix ('@tensorflow/' covers every tfjs package). */
const NATIVE_OR_MAIN_PACKAGES = ['electron', 'sqlite3', '@tensorflow/'];
const UI_PACKAGES = ['vue', 'vue-router', 'chart.js'];

/**
 * One entry per layer, the most specific folder first. `forbidFolders`: folders (relative to the repository)
 * it may not import; `allowFolders`: the only folders it may import (when set); packages likewise.
 */
export const LAYERS = [
  {
    folder: 'src/shared',
    name: 'shared',
    allowFolders: ['src/shared'],
    forbidNode: true,
    forbidPackages: [...NATIVE_OR_MAIN_PACKAGES, ...UI_PACKAGES],
    why: 'src/shared is the contract every side loads (worker, Node, browser): keep it pure TypeScript',
  },
  {
    folder: 'src/main/engine',
    name: 'engine',
    forbidFolders: [
      'src/main/store',
      'src/main/app',
      'src/main/cli',
      'src/main/serve',
      'src/main/report',
      'src/renderer',
      'src/preload',
    ],
    forbidPackages: ['electron', 'sqlite3', ...UI_PACKAGES],
    why: 'the engine runs in a worker thread and speaks only the shared events; the store and the app sit above it',
  },
  {
    folder: 'src/main/store',
    name: 'store',
    forbidFolders: [
      'src/main/engine',
      'src/main/app',
      'src/main/cli',
      'src/main/serve',
      'src/main/report',
      'src/main/queue',
      'src/renderer',
      'src/preload',
    ],
    forbidPackages: ['electron', '@tensorflow/', ...UI_PACKAGES],
    why: 'the store keeps records of the shared types; the engine, the report and the app build on it, not it on them',
  },
  {
    folder: 'src/main/report',
    name: 'report',
    forbidFolders: [
      'src/main/engine',
      'src/main/app',
      'src/main/cli',
      'src/main/serve',
      'src/main/queue',
      'src/renderer',
      'src/preload',
    ],
    forbidPackages: ['electron', '@tensorflow/', ...UI_PACKAGES],
    why: 'reports are made from stored runs (src/main/store) and the shared types, for every shell alike',
  },
  {
    folder: 'src/renderer',
    name: 'renderer',
    forbidFolders: ['src/main', 'src/preload'],
    forbidNode: true,
    forbidPackages: NATIVE_OR_MAIN_PACKAGES,
    why: 'views know the contract (src/shared), never the transport or the main process',
  },
  {
    folder: 'src/preload',
    name: 'preload',
    allowFolders: ['src/preload', 'src/shared'],
    allowPackages: ['electron'],
    forbidNode: true,
    why: 'the sandboxed preload exposes the shared LabBridge and nothing else',
  },
];

const rel = (abs) => path.relative(ROOT, abs).split(path.sep).join('/');
const inside = (file, folder) => file === folder || file.startsWith(`${folder}/`);
const matchesPackage = (spec, pkg) =>
  pkg.endsWith('/') ? spec.startsWith(pkg) : spec === pkg || spec.startsWith(`${pkg}/`);

/** Why `spec` imported from `file` (repository-relative) breaks the layering, or null. */
export function layeringViolation(file, spec) {
  const layer = LAYERS.find((l) => inside(file, l.folder));
  if (!layer) return null;
  let target = null;
  if (spec.startsWith('.')) target = rel(path.resolve(ROOT, path.dirname(file), spec));
  else if (spec.startsWith('@/')) target = `src/renderer/src/${spec.slice(2)}`;
  if (target !== null) {
    if (layer.allowFolders && !layer.allowFolders.some((f) => inside(target, f))) {
      return `${layer.name} may import only ${layer.allowFolders.join(' and ')}, not '${spec}' (${target}): ${layer.why}.`;
    }
    const bad = layer.forbidFolders?.find((f) => inside(target, f));
    return bad ? `${layer.name} must not import ${bad} ('${spec}'): ${layer.why}.` : null;
  }
  if (layer.forbidNode && isNodeBuiltin(spec))
    return `${layer.name} must not import the Node builtin '${spec}': ${layer.why}.`;
  if (layer.allowPackages && !layer.allowPackages.some((p) => matchesPackage(spec, p))) {
    return `${layer.name} may import only the packages ${layer.allowPackages.join(', ')}, not '${spec}': ${layer.why}.`;
  }
  const pkg = layer.forbidPackages?.find((p) => matchesPackage(spec, p));
  return pkg ? `${layer.name} must not import '${spec}': ${layer.why}.` : null;
}

/** Globals of the DOM and of Node that src/shared must not touch (its types would compile in one host only). */
export const HOST_GLOBALS = [
  'window',
  'document',
  'navigator',
  'location',
  'localStorage',
  'sessionStorage',
  'HTMLElement',
  'requestAnimationFrame',
  'getComputedStyle',
  'process',
  'Buffer',
  'require',
  '__dirname',
  '__filename',
];

export const layeringRule = {
  meta: {
    type: 'problem',
    docs: { description: 'Keeps the layers of docs/architecture.md apart (shared / engine / renderer / preload).' },
    schema: [],
  },
  create(context) {
    const file = rel(context.filename);
    const check = (node, source) => {
      if (!source || source.type !== 'Literal' || typeof source.value !== 'string') return;
      const message = layeringViolation(file, source.value);
      if (message) context.report({ node, message });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source),
      // typescript-eslint 8.x: `source` (a Literal) replaces the deprecated `argument` (a TSLiteralType).
      TSImportType: (node) => check(node, 'source' in node ? node.source : node.argument?.literal),
    };
  },
};

export default { rules: { layering: layeringRule } };
