/**
 * `spectral-lab resume` as a user runs it (a real process) on what cannot be resumed: each refusal ends the
 * process with exit code 2 and says what to do next. (Resuming itself is tested through the same service in
 * test/shell/resume-checkpoint.test.ts, with a real worker.)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');
const store = mkdtempSync(join(tmpdir(), 'lab-resume-cli-'));
afterAll(() => rmSync(store, { recursive: true, force: true }));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/main/cli/index.ts'), 'resume', ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('spectral-lab resume', () => {
  it('needs exactly one run id and says how to list them', () => {
    const r = cli(['--store', store]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('give exactly one run id (got 0)');
    expect(r.stderr).toContain('spectral-lab export --list');
  });

  it('refuses an unknown run, naming where to look', () => {
    const r = cli(['no-such-run', '--store', store]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/resume: No run with id 'no-such-run'/);
    expect(r.stderr).toContain(`spectral-lab export --list --store ${store}`);
  });
});
