/**
 * The layering rule (lint/layering.js, docs/architecture.md) run through ESLint's Node API on deliberate
 * violations: each must fail with the rule's message, and the same files with allowed imports must pass.
 * The fixtures are linted as text under real paths, so the repository's own eslint.config.js decides.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let eslint: ESLint;

/** Messages of the layering rule (and of no-restricted-globals) for `code` placed at `file`. */
async function layeringErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return result.messages
    .filter((m) => m.ruleId === 'lab/layering' || m.ruleId === 'no-restricted-globals' || m.fatal)
    .map((m) => `${m.ruleId}: ${m.message}`);
}

beforeAll(() => {
  eslint = new ESLint({ cwd: root });
});

describe('layering rule', () => {
  it('the renderer never imports src/main or src/preload (relative paths resolved at any depth)', async () => {
    const file = 'src/renderer/src/lib/layering-fixture.ts';
    const bad = await layeringErrors(
      file,
      "import { openStore } from '../../../main/store/index.js';\nexport const x = openStore;\n",
    );
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatch(/lab\/layering: renderer must not import src\/main/);
    expect(
      await layeringErrors(
        file,
        "import type { LabBridge } from '../../../preload/bridge';\nexport type X = LabBridge;\n",
      ),
    ).toHaveLength(1);
    expect(
      await layeringErrors(
        file,
        "import { LAB_API_VERSION } from '../../../shared/api';\nexport const x = LAB_API_VERSION;\n",
      ),
    ).toEqual([]);
  });

  it('covers .vue files (script setup with TypeScript)', async () => {
    const vue = (spec: string) =>
      `<script setup lang="ts">\nimport { thing } from '${spec}';\nconst n: number = thing;\n</script>\n<template><p>{{ n }}</p></template>\n`;
    const file = 'src/renderer/src/views/LayeringFixture.vue';
    expect(await layeringErrors(file, vue('../../../main/app/service.js'))).toEqual([
      expect.stringMatching(/renderer must not import src\/main/),
    ]);
    expect(await layeringErrors(file, vue('node:fs'))).toEqual([expect.stringMatching(/Node builtin 'node:fs'/)]);
    expect(await layeringErrors(file, vue('../../../shared/api'))).toEqual([]);
  });

  it('the engine never imports the store or the app, also through a dynamic import', async () => {
    const file = 'src/main/engine/train/layering-fixture.ts';
    expect(
      await layeringErrors(file, "import { openStore } from '../../store/index.js';\nexport const s = openStore;\n"),
    ).toEqual([expect.stringMatching(/engine must not import src\/main\/store/)]);
    expect(await layeringErrors(file, "export const load = () => import('../../app/service.js');\n")).toEqual([
      expect.stringMatching(/engine must not import src\/main\/app/),
    ]);
    expect(
      await layeringErrors(
        file,
        "import * as tf from '@tensorflow/tfjs';\nimport { deriveSeed } from '../data/rng.js';\nexport const a = [tf, deriveSeed];\n",
      ),
    ).toEqual([]);
  });

  it('shared imports no Node builtins, tfjs or other layers and touches no DOM or Node globals', async () => {
    const file = 'src/shared/layering-fixture.ts';
    expect(
      await layeringErrors(file, "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n"),
    ).toEqual([expect.stringMatching(/Node builtin/)]);
    expect(await layeringErrors(file, "import path from 'path';\nexport const p = path;\n")).toEqual([
      expect.stringMatching(/Node builtin 'path'/),
    ]);
    expect(await layeringErrors(file, "import * as tf from '@tensorflow/tfjs';\nexport const t = tf;\n")).toEqual([
      expect.stringMatching(/shared must not import '@tensorflow\/tfjs'/),
    ]);
    expect(await layeringErrors(file, "import { x } from '../main/engine/host.js';\nexport const y = x;\n")).toEqual([
      expect.stringMatching(/shared may import only src\/shared/),
    ]);
    const globals = await layeringErrors(file, 'export const w = () => window.innerWidth + Number(process.env.X);\n');
    expect(globals).toHaveLength(2);
    expect(
      await layeringErrors(
        file,
        "import { z } from 'zod';\nimport { LAB_API_VERSION } from './api';\nexport const a = [z, LAB_API_VERSION];\n",
      ),
    ).toEqual([]);
  });

  it('the store and the report never import the app, the shells or the engine', async () => {
    expect(
      await layeringErrors(
        'src/main/store/layering-fixture.ts',
        "import type { LabService } from '../app/service.js';\nexport type S = LabService;\n",
      ),
    ).toEqual([expect.stringMatching(/store must not import src\/main\/app/)]);
    expect(
      await layeringErrors(
        'src/main/report/layering-fixture.ts',
        "import { startRun } from '../engine/host.js';\nexport const s = startRun;\n",
      ),
    ).toEqual([expect.stringMatching(/report must not import src\/main\/engine/)]);
    expect(
      await layeringErrors(
        'src/main/report/layering-fixture.ts',
        "import type { Store } from '../store/index.js';\nexport type S = Store;\n",
      ),
    ).toEqual([]);
  });

  it('the preload imports only src/shared and electron', async () => {
    const file = 'src/preload/layering-fixture.ts';
    expect(
      await layeringErrors(file, "import { createLab } from '../main/app/create.js';\nexport const c = createLab;\n"),
    ).toEqual([expect.stringMatching(/preload may import only src\/preload and src\/shared/)]);
    expect(await layeringErrors(file, "import { z } from 'zod';\nexport const a = z;\n")).toEqual([
      expect.stringMatching(/only the packages electron/),
    ]);
    expect(
      await layeringErrors(file, "import { isLabMethod } from '../shared/api';\nexport const a = isLabMethod;\n"),
    ).toEqual([]);
  });
});
