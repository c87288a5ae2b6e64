/**
 * Manual check of the UI against a throw-away lab (not a test): builds the workbench if it is out of date,
 * then runs `spectral-lab serve` on a fresh temporary data folder, as the e2e tests do.
 *   node --import tsx test/e2e/support/dev-serve.ts
 */
import { ensureRenderer } from './renderer-build.js';
import { startLabServer } from './lab-server.js';

await ensureRenderer(console.error);
const lab = await startLabServer();
console.log(lab.url);
console.log(`data: ${lab.dataDir} (removed on Ctrl+C)`);
const stop = () => void lab.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
