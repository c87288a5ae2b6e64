/** The SPECTRAL_LAB_* settings (src/main/settings.ts): defaults, parsing, and errors that name the variable. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { appRedisOptions } from '../../src/main/queue/redis-sweeps.js';
import { parseSettings, settings, SettingsError } from '../../src/main/settings.js';

describe('settings', () => {
  it('defaults with nothing set (empty values count as unset)', () => {
    const s = parseSettings({ SPECTRAL_LAB_WASM_THREADS: '', SPECTRAL_LAB_CHROMIUM: '  ' });
    expect(s).toMatchObject({
      wasmThreads: null,
      wasmFma: true,
      wasmHelper: true,
      f4Threads: 2,
      chromium: '/usr/bin/chromium',
      benchBackend: 'auto',
      redis: null,
      redisCa: null,
    });
    expect(s.dataDir).toMatch(/\.spectral-lab[/\\]datasets$/);
  });

  it('parses every variable', () => {
    const s = parseSettings({
      SPECTRAL_LAB_WASM_THREADS: '3',
      SPECTRAL_LAB_WASM_FMA: '0',
      SPECTRAL_LAB_WASM_HELPER: '0',
      SPECTRAL_LAB_F4_THREADS: '1',
      SPECTRAL_LAB_DATA: '/data',
      SPECTRAL_LAB_CHROMIUM: '/opt/chrome',
      SPECTRAL_LAB_BACKEND: 'wasm',
      SPECTRAL_LAB_PYTHON: '/py',
      SPECTRAL_LAB_REDIS: 'rediss://u:p@redis.lab:6380',
      SPECTRAL_LAB_REDIS_CA: '/etc/ca.pem',
    });
    expect(s).toEqual({
      wasmThreads: 3,
      wasmFma: false,
      wasmHelper: false,
      f4Threads: 1,
      dataDir: '/data',
      chromium: '/opt/chrome',
      benchBackend: 'wasm',
      python: '/py',
      redis: 'rediss://u:p@redis.lab:6380',
      redisCa: '/etc/ca.pem',
    });
  });

  it.each([
    [
      'SPECTRAL_LAB_WASM_THREADS',
      'many',
      /SPECTRAL_LAB_WASM_THREADS="many": expected an integer from 1 to 8; unset it/,
    ],
    ['SPECTRAL_LAB_WASM_THREADS', '16', /integer from 1 to 8/],
    ['SPECTRAL_LAB_WASM_FMA', 'yes', /SPECTRAL_LAB_WASM_FMA="yes": expected 0 \(off\) or 1 \(on\)/],
    ['SPECTRAL_LAB_F4_THREADS', '4', /SPECTRAL_LAB_F4_THREADS="4": expected an integer from 1 to 2/],
    [
      'SPECTRAL_LAB_BACKEND',
      'gpu',
      /SPECTRAL_LAB_BACKEND="gpu": expected one of auto, tensorflow-gpu, tensorflow, wasm, cpu/,
    ],
    [
      'SPECTRAL_LAB_REDIS',
      'localhost:6379',
      /SPECTRAL_LAB_REDIS="localhost:6379": expected a URL redis:\/\/host:6379 \(or rediss:\/\//,
    ],
    ['SPECTRAL_LAB_REDIS', 'http://redis:6379', /expected a URL redis:\/\/host:6379/],
  ])('%s=%s is refused, naming the variable and what it accepts', (name, v, message) => {
    expect(() => parseSettings({ [name]: v })).toThrow(SettingsError);
    expect(() => parseSettings({ [name]: v })).toThrow(message);
  });

  it('the app takes its Redis from --redis, else from SPECTRAL_LAB_REDIS / SPECTRAL_LAB_REDIS_CA', () => {
    const fromEnv = parseSettings({ SPECTRAL_LAB_REDIS: 'rediss://r:6380', SPECTRAL_LAB_REDIS_CA: '/ca.pem' });
    expect(appRedisOptions([], fromEnv)).toEqual({ redis: 'rediss://r:6380', 'redis-ca': '/ca.pem', queue: undefined });
    expect(appRedisOptions(['--redis', 'redis://other:6379', '--queue', 'q'], fromEnv)).toEqual({
      redis: 'redis://other:6379',
      'redis-ca': '/ca.pem',
      queue: 'q',
    });
    expect(appRedisOptions([], parseSettings({}))).toBeNull();
  });

  it('is parsed once per distinct set of values (a changed environment is re-read)', () => {
    const env = { SPECTRAL_LAB_WASM_THREADS: '2' };
    const a = settings(env);
    expect(settings({ ...env })).toBe(a);
    expect(settings({ SPECTRAL_LAB_WASM_THREADS: '1' }).wasmThreads).toBe(1);
  });

  it('the CLI stops before any command with a bad value, saying which variable', () => {
    const root = path.join(import.meta.dirname, '../..');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/main/cli/index.ts', 'bounds', '--help'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, SPECTRAL_LAB_WASM_FMA: 'on' },
      timeout: 60_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      'error: SPECTRAL_LAB_WASM_FMA="on": expected 0 (off) or 1 (on); unset it for the default.',
    );
  });
});
