/**
 * Preload entry (bundled to out/preload/index.cjs): sandboxed preloads are CommonJS with a `require`
 * limited to 'electron' and a few modules. Everything else is in ./bridge.ts.
 */
import { exposeLabBridge, type PreloadElectron } from './bridge';

declare const require: (id: 'electron') => PreloadElectron;

exposeLabBridge(require('electron'));
