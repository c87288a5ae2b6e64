/**
 * What a run was made with (app version, git commit, Node, tfjs, CPU/GPU), collected once per
 * process and stored with every run so a result can be traced back and reproduced.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { RunEnvironment } from '../../shared/records.js';

const require = createRequire(import.meta.url);

function packageVersion(name: string): string | null {
  try {
    const file = require.resolve(`${name}/package.json`);
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

/** The nearest package.json named spectral-lab above this file (the app's own version). */
function appVersion(): string | null {
  let dir = path.dirname(new URL(import.meta.url).pathname);
  for (let i = 0; i < 8; i++) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      try {
        const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'spectral-lab') return pkg.version ?? null;
      } catch {
        // keep looking upwards
      }
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return null;
}

function gitCommit(): string | null {
  try {
    const out = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: path.dirname(new URL(import.meta.url).pathname),
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 2000,
    });
    const sha = out.toString().trim();
    return /^[0-9a-f]{40}$/.test(sha) ? sha : null;
  } catch {
    return null; // not a git checkout, no commit yet, or no git
  }
}

let cached: RunEnvironment | null = null;

export function collectEnvironment(overrides: Partial<RunEnvironment> = {}): RunEnvironment {
  if (!cached) {
    const cpus = os.cpus();
    cached = {
      appVersion: appVersion(),
      gitCommit: gitCommit(),
      node: process.versions.node,
      tfjs: packageVersion('@tensorflow/tfjs') ?? packageVersion('@tensorflow/tfjs-core'),
      tfjsBackend: null,
      platform: process.platform,
      arch: process.arch,
      cpu: cpus[0]?.model?.trim() ?? 'unknown',
      cpuCount: cpus.length,
      totalMemoryBytes: os.totalmem(),
      gpu: null,
      hostname: os.hostname(),
    };
  }
  return { ...cached, ...overrides };
}
