/**
 * The engine's WebAssembly kernels. Each is written as WebAssembly text beside this file (*.wat: the only source)
 * and compiled with wabt into binaries kept between processes (binary-cache.ts, named by the text's hash): where
 * every variant's binary is there, wabt is not even loaded; otherwise the missing ones are compiled once, here, at
 * import (~0.1-0.2 s while wabt's own code warms up). An edited .wat takes effect on the next run; the main build
 * copies the .wat files next to its bundle (electron.vite.config.ts).
 *
 *   f4.wat            the fused F4 power-iteration passes (bounds/methods/f4-simd.ts)
 *   frequency.wat     the Gram product of one frequency matrix, the DFT stages and the screening Lanczos step
 *                     (bounds/methods/frequency-simd.ts)
 *   gram.wat          the squaring step A A^H of Gram iteration (bounds/methods/gram-simd.ts)
 *   heap.wat          training-step kernels on the WASM backend's heap (backends/wasm-kernels/heap-simd.ts)
 *   filter-grad.wat   the direct convolution filter gradient (backends/wasm-kernels/filter-grad-simd.ts)
 *   toeplitz.wat      the forward DFT stages of the Toeplitz bound's self-correlations (bounds/methods/toeplitz-heap.ts),
 *   toeplitz-gram.wat its per-frequency Grams and toeplitz-inverse.wat its inverse DFT stages, on the same memory
 *   cholesky.wat      the blocked Cholesky of the certified F4 norms' certificates (bounds/numerics/cholesky-simd.ts)
 *   operator-gemm.wat the convolution and its adjoint as matrix products for the operator estimate
 *                     (bounds/methods/operator-gemm.ts)
 *   operator-lanczos.wat its Lanczos steps' vector passes (Gram-Schmidt, three-term part, norms), same memory
 *   dft64.wat         the float64 2-D DFT of a kernel, the per-frequency matrices (bounds/numerics/fft2-heap.ts)
 *   relaxed-probe.wat one relaxed SIMD instruction: validates only where relaxed SIMD is on
 *
 * Variants, made from the one text by two documented substitutions (see variantText):
 *  - fused: false lowers every `(fNxM.relaxed_madd a b c)` to `(fNxM.add c (fNxM.mul a b))` and every
 *    `(fNxM.relaxed_nmadd a b c)` to `(fNxM.sub c (fNxM.mul a b))`, which is what the relaxed SIMD spec allows an
 *    engine to do for them anyway (unfused), so both variants compute the same sums; only the rounding of the
 *    product differs. The plain variant runs wherever WebAssembly SIMD does.
 *  - shared: true turns the heap import `(import "env" "memory" (memory 0))` into a shared memory with a maximum
 *    (`(memory 0 65536 shared)`): the threaded backend's heap is a shared WebAssembly.Memory, which a module can
 *    import only as such.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';
import { settings } from '../../settings.js';
import { binaryKey, readBinary, writeBinary } from './binary-cache.js';

export type KernelName =
  | 'f4'
  | 'frequency'
  | 'gram'
  | 'heap'
  | 'filter-grad'
  | 'relaxed-probe'
  | 'toeplitz'
  | 'toeplitz-gram'
  | 'toeplitz-inverse'
  | 'cholesky'
  | 'operator-gemm'
  | 'operator-lanczos'
  | 'dft64';
export interface Variant {
  /** Multiply-adds fused (relaxed SIMD) or lowered to mul + add. */
  fused: boolean;
  /** Import the heap as shared memory (threaded backend). */
  shared?: boolean;
}

/** The slice of the WebAssembly API used here (the project's TS lib has no DOM typings). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports?: object) => { exports: Record<string, unknown> };
}
export interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}

const FEATURES = { simd: true, relaxed_simd: true, bulk_memory: true, threads: true };

/** The kernel's .wat: beside this module in the sources, in kernels/ beside the entry or its chunk in a build. */
function kernelFile(name: KernelName): string {
  const candidates = [`./${name}.wat`, `./kernels/${name}.wat`, `../kernels/${name}.wat`].map((p) =>
    fileURLToPath(new URL(p, import.meta.url)),
  );
  const found = candidates.find((f) => existsSync(f));
  if (!found) {
    throw new Error(
      `WebAssembly kernel ${name}.wat not found (looked in ${candidates.join(', ')}); rebuild with npm run build, or run from the sources (npm run cli).`,
    );
  }
  return found;
}

/** The folded expression starting at or after `at` (blanks and ;; comments skipped): its [start, end). */
function operand(text: string, at: number, what: string): [number, number] {
  let i = at;
  for (;;) {
    while (/\s/.test(text[i] ?? '')) i++;
    if (text.startsWith(';;', i)) i = text.indexOf('\n', i) + 1 || text.length;
    else break;
  }
  if (text[i] !== '(')
    throw new Error(
      `${what}: write each operand of a relaxed multiply-add as a folded expression, e.g. (local.get $x).`,
    );
  const start = i;
  for (let depth = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return [start, i + 1];
  }
  throw new Error(`${what}: unbalanced parentheses.`);
}

/** Grow a kernel's memory to at least `bytes` (whole 64 KiB pages); throws a RangeError where it cannot. */
export function growMemoryTo(memory: WasmMemory, bytes: number): void {
  const have = memory.buffer.byteLength;
  if (have < bytes) memory.grow(Math.ceil((bytes - have) / 65536));
}

/** growMemoryTo, answering false instead of throwing where the memory cannot grow that far. */
export function tryGrowMemoryTo(memory: WasmMemory, bytes: number): boolean {
  try {
    growMemoryTo(memory, bytes);
    return true;
  } catch {
    return false;
  }
}

/** Lower relaxed_madd / relaxed_nmadd (folded form) to their unfused definitions, nested ones included. */
export function unfuse(text: string, where = 'kernel'): string {
  const m = /\((f32x4|f64x2)\.relaxed_(n?)madd\b/.exec(text);
  if (!m) return text;
  const [lane, negate] = [m[1], m[2] === 'n'];
  const a = operand(text, m.index + m[0].length, where);
  const b = operand(text, a[1], where);
  const c = operand(text, b[1], where);
  const end = text.indexOf(')', c[1]) + 1;
  if (end === 0 || text.slice(c[1], end - 1).trim() !== '')
    throw new Error(`${where}: a relaxed multiply-add takes exactly three operands.`);
  const [x, y, acc] = [a, b, c].map(([from, to]) => unfuse(text.slice(from, to), where));
  const lowered = `(${lane}.${negate ? 'sub' : 'add'} ${acc} (${lane}.mul ${x} ${y}))`;
  return text.slice(0, m.index) + lowered + unfuse(text.slice(end), where);
}

const HEAP_IMPORT = '(import "env" "memory" (memory 0))';

/** The text of one variant (exported for the tests). */
export function variantText(name: KernelName, variant: Variant): string {
  let text = readFileSync(kernelFile(name), 'utf8');
  if (variant.shared) {
    if (!text.includes(HEAP_IMPORT)) throw new Error(`${name}.wat has no ${HEAP_IMPORT} to share.`);
    text = text.replace(HEAP_IMPORT, '(import "env" "memory" (memory 0 65536 shared))');
  }
  return variant.fused ? text : unfuse(text, `${name}.wat`);
}

/** Every variant's binary, by variantId; filled at import (below), so that kernelBytes stays synchronous. */
const compiled = new Map<string, Uint8Array>();
/** Why a variant failed to compile (wabt's message with file:line), thrown when it is asked for. */
const failed = new Map<string, Error>();

const variantId = (name: string, v: Variant) => `${name}/${v.fused ? 'fused' : 'plain'}/${v.shared ? 'shared' : 'own'}`;

/** The binary of one variant. Throws with wabt's message (file:line) on a text error. */
export function kernelBytes(name: KernelName, variant: Variant): Uint8Array {
  const id = variantId(name, variant);
  const bytes = compiled.get(id);
  if (bytes) return bytes;
  throw failed.get(id) ?? new Error(`${name}.wat: no such kernel variant (${id}); ${variantTextError(name, variant)}`);
}

function variantTextError(name: KernelName, variant: Variant): string {
  try {
    variantText(name, variant);
    return 'its text was added after this process started.';
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

type Wabt = Awaited<ReturnType<typeof wabtInit>>;

function compileText(wabt: Wabt, name: string, text: string): Uint8Array {
  const module = wabt.parseWat(`${name}.wat`, text, FEATURES);
  try {
    // validate takes the feature set too (wabt.js; its typings omit the argument).
    (module.validate as (features: object) => void).call(module, FEATURES);
    return module.toBinary({}).buffer;
  } finally {
    module.destroy();
  }
}

/**
 * Every variant of every kernel beside this module: from the cache where it is there, else compiled now (wabt's
 * factory is asynchronous, an Emscripten module: awaiting it at import keeps every kernel getter synchronous) and
 * stored for the next process.
 */
async function loadAll(): Promise<void> {
  const dir = path.dirname(kernelFile('f4'));
  const missing: { id: string; name: KernelName; variant: Variant; key: string }[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.wat'))) {
    const name = file.slice(0, -4) as KernelName;
    const source = readFileSync(path.join(dir, file), 'utf8');
    // Keyed by the source and what makes a variant's text from it (this module's code), so that a cached binary is
    // found without making the text (the unfused variants take ~10 ms of string work in all).
    const sourceKey = binaryKey(`${VARIANT_CODE}\n${source}`, FEATURES);
    for (const v of [false, true].flatMap((fused) => [false, true].map((shared) => ({ fused, shared })))) {
      if (v.shared && !source.includes(HEAP_IMPORT)) continue; // a kernel with its own memory: no shared variant
      const id = variantId(name, v);
      const key = binaryKey(`${id}\n${sourceKey}`, FEATURES);
      const bytes = readBinary(key);
      if (bytes) compiled.set(id, bytes);
      else missing.push({ id, name, variant: v, key });
    }
  }
  if (missing.length === 0) return;
  const wabt = await wabtInit();
  for (const m of missing) {
    try {
      const bytes = compileText(wabt, m.name, variantText(m.name, m.variant));
      compiled.set(m.id, bytes);
      writeBinary(m.key, bytes);
    } catch (err) {
      failed.set(m.id, err instanceof Error ? err : new Error(String(err)));
    }
  }
}

/** The code that turns a kernel's source into a variant's text: part of every binary's cache key. */
const VARIANT_CODE = [variantText, unfuse, operand].map((f) => f.toString()).join('\n');

await loadAll();

const webAssembly = (): WasmApi | undefined => (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

let relaxed: boolean | undefined;

/**
 * Whether the fused variants can run here. Why fuse: f32x4 mul + add is two instructions where relaxed_madd is one
 * FMA, which lifts the multiply-add-bound loops (F4's passes) by about 1.4x. V8 ships relaxed SIMD from 11.4
 * (Electron 25+); Node 20 (V8 11.3) has it only when started with --experimental-wasm-relaxed-simd (the npm
 * scripts, bin/spectral-lab.js and the test runner pass it). Nothing is switched on at run time: without it the
 * plain variants run. Off with SPECTRAL_LAB_WASM_FMA=0.
 */
export function relaxedSimdAvailable(): boolean {
  if (relaxed !== undefined) return relaxed;
  const wasm = webAssembly();
  if (!wasm || !settings().wasmFma) return (relaxed = false);
  try {
    return (relaxed = wasm.validate(kernelBytes('relaxed-probe', { fused: true })));
  } catch {
    return (relaxed = false);
  }
}

/**
 * Compile and instantiate a kernel, or null where WebAssembly (SIMD) cannot run it (callers then take their
 * JavaScript or native path). The compiled module is returned too, for instances in other threads.
 */
export function instantiateKernel(
  name: KernelName,
  variant: Variant,
  imports?: object,
): { module: object; exports: Record<string, unknown> } | null {
  const wasm = webAssembly();
  if (!wasm) return null;
  const bytes = kernelBytes(name, variant);
  try {
    if (!wasm.validate(bytes)) return null;
    const module = new wasm.Module(bytes);
    return { module, exports: new wasm.Instance(module, imports).exports };
  } catch {
    return null;
  }
}

/** The fused variant where relaxed SIMD is on, else (or if it fails to instantiate) the plain one. */
export function instantiateFastest(
  name: KernelName,
  shared: boolean,
  imports?: object,
): { module: object; exports: Record<string, unknown>; fused: boolean } | null {
  for (const fused of relaxedSimdAvailable() ? [true, false] : [false]) {
    const made = instantiateKernel(name, { fused, shared }, imports);
    if (made) return { ...made, fused };
  }
  return null;
}

const withFused = <T extends object>(made: T | null, fused: boolean) => made && { ...made, fused };

interface WasmMemoryApi {
  Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
}

/**
 * A kernel on a memory of its own (one page, grown on demand): shared where SharedArrayBuffer exists, so a helper
 * thread (command-thread.ts) can work in the same memory, else plain; null where WebAssembly SIMD is unavailable.
 * The fastest variant (instantiateFastest), or exactly the `fused` one where the caller needs that one (F4's passes
 * compare both).
 */
export function instantiateOnOwnMemory(
  name: KernelName,
  fused?: boolean,
): { module: object; exports: Record<string, unknown>; fused: boolean; memory: WasmMemory; shared: boolean } | null {
  const W = (globalThis as unknown as { WebAssembly?: WasmMemoryApi }).WebAssembly;
  if (!W) return null;
  for (const shared of typeof SharedArrayBuffer !== 'undefined' ? [true, false] : [false]) {
    let memory: WasmMemory;
    try {
      memory = new W.Memory(shared ? { initial: 1, maximum: 65536, shared: true } : { initial: 1 });
    } catch {
      continue;
    }
    const imports = { env: { memory } };
    const made =
      fused === undefined
        ? instantiateFastest(name, shared, imports)
        : withFused(instantiateKernel(name, { fused, shared }, imports), fused);
    if (made) return { ...made, memory, shared };
  }
  return null;
}
