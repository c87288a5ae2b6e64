/**
 * Manual check of the UI against a real lab (not a test): builds the renderer if needed and serves it.
 *   node --import tsx test/e2e/support/dev-serve.ts [port]
 */
import { ensureRenderer } from './renderer-build.js';
import { startLabServer } from './lab-server.js';

const dir = await ensureRenderer(console.error);
const lab = await startLabServer(dir, Number(process.argv[2] ?? 0));
console.log(lab.url);
console.log(`data: ${lab.dataDir}`);
const stop = () => void lab.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
