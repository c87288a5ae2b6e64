/**
 * Run-time settings: every SPECTRAL_LAB_* environment variable, parsed into one typed object. A bad value is an
 * error naming the variable and what it accepts (the CLI checks them before a command starts).
 *
 * | Variable                  | Values           | Default                   | Effect                                        |
 * |---------------------------|------------------|---------------------------|-----------------------------------------------|
 * | SPECTRAL_LAB_WASM_THREADS | integer 1-8      | one per core, at most 4   | threads of the WASM backend's pool (1: the    |
 * |                           |                  |                           | single-threaded build; set 1 on a shared box) |
 * | SPECTRAL_LAB_WASM_FMA     | 0 or 1           | 1                         | fused multiply-adds (relaxed SIMD) in the     |
 * |                           |                  |                           | WebAssembly kernels where the engine has them |
 * | SPECTRAL_LAB_WASM_HELPER  | 0 or 1           | 1                         | a helper thread for the engine's own SIMD     |
 * |                           |                  |                           | kernels: the threaded backend's heap, Gram    |
 * |                           |                  |                           | iteration, Toeplitz, certified F4 (Cholesky)  |
 * | SPECTRAL_LAB_F4_THREADS   | 1 or 2           | 2                         | threads of F4's SIMD power iteration on large |
 * |                           |                  |                           | kernels (bounds/methods/f4-parallel.ts)       |
 * | SPECTRAL_LAB_DATA         | a folder         | ~/.spectral-lab/datasets  | where datasets are downloaded and looked for  |
 * | SPECTRAL_LAB_CHROMIUM     | a browser binary | /usr/bin/chromium         | the Chromium that prints PDF reports          |
 * | SPECTRAL_LAB_BACKEND      | auto, tensorflow | auto                      | tfjs backend of bench/bounds.bench.ts         |
 * |                           | -gpu, tensorflow,|                           | (shared/backend.ts BACKEND_CHOICES)           |
 * |                           | wasm, cpu        |                           |                                               |
 * | SPECTRAL_LAB_PYTHON       | a python binary  | /usr/bin/python3, else    | the PyTorch reference of the benchmarks       |
 * |                           |                  | python3 on the PATH       |                                               |
 * | SPECTRAL_LAB_REDIS        | redis://… or     | none                      | the Redis the app and `serve` send sweeps to  |
 * |                           | rediss://…       |                           | without --redis (queue/redis-sweeps.ts)       |
 * | SPECTRAL_LAB_REDIS_CA     | a PEM file       | none                      | with rediss://: the Redis server's CA         |
 *
 * An empty value counts as unset. Relaxed SIMD itself is a V8 start-up flag, not a setting: see
 * engine/kernels/index.ts.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BACKEND_CHOICES, type BackendChoice } from '../shared/backend.js';

export interface Settings {
  /** Threads of the WASM backend (SPECTRAL_LAB_WASM_THREADS), or null for the default (wantedWasmThreads). */
  wasmThreads: number | null;
  wasmFma: boolean;
  wasmHelper: boolean;
  f4Threads: 1 | 2;
  dataDir: string;
  chromium: string;
  benchBackend: BackendChoice;
  python: string;
  /** The Redis sweeps go to when the command line names none (SPECTRAL_LAB_REDIS), or null: no Redis. */
  redis: string | null;
  /** PEM file of the CA of a rediss:// server (SPECTRAL_LAB_REDIS_CA), or null. */
  redisCa: string | null;
}

export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SettingsError';
  }
}

export const SETTING_NAMES = [
  'SPECTRAL_LAB_WASM_THREADS',
  'SPECTRAL_LAB_WASM_FMA',
  'SPECTRAL_LAB_WASM_HELPER',
  'SPECTRAL_LAB_F4_THREADS',
  'SPECTRAL_LAB_DATA',
  'SPECTRAL_LAB_CHROMIUM',
  'SPECTRAL_LAB_BACKEND',
  'SPECTRAL_LAB_PYTHON',
  'SPECTRAL_LAB_REDIS',
  'SPECTRAL_LAB_REDIS_CA',
] as const;
type SettingName = (typeof SETTING_NAMES)[number];
type Env = Record<string, string | undefined>;

const value = (env: Env, name: SettingName): string | undefined => {
  const v = env[name]?.trim();
  return v ? v : undefined;
};

function bad(name: SettingName, got: string, expected: string): never {
  throw new SettingsError(`${name}=${JSON.stringify(got)}: expected ${expected}; unset it for the default.`);
}

function integer(env: Env, name: SettingName, min: number, max: number): number | null {
  const v = value(env, name);
  if (v === undefined) return null;
  const n = Number(v);
  return Number.isInteger(n) && n >= min && n <= max ? n : bad(name, v, `an integer from ${min} to ${max}`);
}

function flag(env: Env, name: SettingName, fallback: boolean): boolean {
  const v = value(env, name);
  if (v === undefined) return fallback;
  return v === '1' ? true : v === '0' ? false : bad(name, v, '0 (off) or 1 (on)');
}

function oneOf<T extends string>(env: Env, name: SettingName, allowed: readonly T[], fallback: T): T {
  const v = value(env, name);
  if (v === undefined) return fallback;
  return (allowed as readonly string[]).includes(v) ? (v as T) : bad(name, v, `one of ${allowed.join(', ')}`);
}

/** A Redis URL: redis:// (plain) or rediss:// (TLS), the forms queue/redis-connect.ts accepts. */
function redisUrl(env: Env, name: SettingName): string | null {
  const v = value(env, name);
  if (v === undefined) return null;
  return /^rediss?:\/\/[^/\s]/.test(v)
    ? v
    : bad(name, v, 'a URL redis://host:6379 (or rediss://user:password@host:6380 for TLS)');
}

/** Parse the variables of `env` (pure: the tests pass their own). Throws SettingsError on a bad value. */
export function parseSettings(env: Env): Settings {
  return {
    wasmThreads: integer(env, 'SPECTRAL_LAB_WASM_THREADS', 1, 8),
    wasmFma: flag(env, 'SPECTRAL_LAB_WASM_FMA', true),
    wasmHelper: flag(env, 'SPECTRAL_LAB_WASM_HELPER', true),
    f4Threads: (integer(env, 'SPECTRAL_LAB_F4_THREADS', 1, 2) ?? 2) as 1 | 2,
    dataDir: value(env, 'SPECTRAL_LAB_DATA') ?? path.join(os.homedir(), '.spectral-lab', 'datasets'),
    chromium: value(env, 'SPECTRAL_LAB_CHROMIUM') ?? '/usr/bin/chromium',
    benchBackend: oneOf(env, 'SPECTRAL_LAB_BACKEND', BACKEND_CHOICES, 'auto'),
    python: value(env, 'SPECTRAL_LAB_PYTHON') ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3'),
    redis: redisUrl(env, 'SPECTRAL_LAB_REDIS'),
    redisCa: value(env, 'SPECTRAL_LAB_REDIS_CA') ?? null,
  };
}

let cached: { key: string; settings: Settings } | undefined;

/**
 * This process's (or worker thread's) settings, parsed once per distinct set of SPECTRAL_LAB_* values: a worker
 * started with its own env (engine/host.ts) or a test that changes one gets them re-read.
 */
export function settings(env: Env = process.env): Settings {
  const key = SETTING_NAMES.map((n) => env[n] ?? '').join('\0');
  if (cached?.key !== key) cached = { key, settings: parseSettings(env) };
  return cached.settings;
}
