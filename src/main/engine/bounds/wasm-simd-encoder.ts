/**
 * A minimal WebAssembly encoder shared by the SIMD kernels (f4-simd.ts, frequency-simd.ts): readable
 * instruction helpers that assemble a module's bytes in TypeScript, so no .wasm build step or binary asset.
 */
import { setFlagsFromString } from 'node:v8';

export type Bytes = number[];
export const uleb = (n: number): Bytes => {
  const out: Bytes = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
export const sleb = (n: number): Bytes => {
  const out: Bytes = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) return [...out, b];
    out.push(b | 0x80);
  }
};
export const vec = (items: Bytes[]): Bytes => [...uleb(items.length), ...items.flat()];
export const section = (id: number, body: Bytes): Bytes => [id, ...uleb(body.length), ...body];
export const I32 = 0x7f;
export const V128 = 0x7b;
export const F32 = 0x7d;

export const get = (i: number): Bytes => [0x20, ...uleb(i)];
export const set = (i: number): Bytes => [0x21, ...uleb(i)];
export const i32 = (v: number): Bytes => [0x41, ...sleb(v)];
export const ADD = [0x6a];
export const MUL = [0x6c];
export const F32_ADD = [0x92];
export const f32Load: Bytes = [0x2a, 2, 0];
export const f32Store: Bytes = [0x38, 2, 0];
export const vLoadAt = (offset: number): Bytes => [0xfd, 0x00, 4, ...uleb(offset)];
export const vStoreAt = (offset: number): Bytes => [0xfd, 0x0b, 4, ...uleb(offset)];
export const SPLAT = [0xfd, 0x13];
export const V_ADD = [0xfd, 0xe4, 0x01];
export const V_MUL = [0xfd, 0xe6, 0x01];
/** f32x4.relaxed_madd (a * b + c, c on top of the stack): one fused multiply-add where the CPU has FMA. */
export const V_MADD = [0xfd, 0x85, 0x02];
export const lane = (j: number): Bytes => [0xfd, 0x1f, j];
export const ZERO4: Bytes = [0x43, 0, 0, 0, 0, ...SPLAT];

/** for (x = 0; x < limit; x += step) body — limit and step are instruction sequences pushing an i32. */
export const forUp = (x: number, limit: Bytes, step: Bytes, body: Bytes): Bytes => [
  ...i32(0), ...set(x),
  0x02, 0x40, 0x03, 0x40, // block, loop
  ...get(x), ...limit, 0x4f, 0x0d, 1, // br_if (x >= limit) out of the block
  ...body,
  ...get(x), ...step, ...ADD, ...set(x),
  0x0c, 0, 0x0b, 0x0b, // br loop; end loop; end block
];
export const add = (...terms: Bytes[]): Bytes => terms.reduce((a, t, j) => (j ? [...a, ...t, ...ADD] : t), [] as Bytes);
export const mul = (a: Bytes, b: Bytes): Bytes => [...a, ...b, ...MUL];
export const hsum = (acc: number): Bytes => [...get(acc), ...lane(0), ...[1, 2, 3].flatMap((j) => [...get(acc), ...lane(j), ...F32_ADD])];

export interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}

/** A module whose one function computes relaxed_madd on memory: validates only where relaxed SIMD is on. */
function relaxedProbe(): Uint8Array {
  const code = [...get(0), ...get(0), ...vLoadAt(0), ...get(0), ...vLoadAt(16), ...get(0), ...vLoadAt(32), ...V_MADD, ...vStoreAt(0), 0x0b];
  const body = [0, ...code];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, 1, I32, 0]])),
    ...section(3, vec([[0]])),
    ...section(5, vec([[0x00, 1]])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ]);
}

let relaxed: boolean | undefined;

/**
 * Whether modules may use relaxed SIMD (V_MADD). Why: WebAssembly's f32x4 mul + add is two instructions where
 * relaxed_madd is one FMA, which lifts the multiply-add-bound loops (F4's passes) by about 1.4x. V8 ships relaxed
 * SIMD from 11.4 (Electron 25+); Node 20's V8 11.3 has it behind --experimental-wasm-relaxed-simd, which is
 * switched on here when the probe fails (a wasm feature flag, read when a module is compiled). Off with
 * SPECTRAL_LAB_WASM_FMA=0.
 */
export function relaxedSimdAvailable(): boolean {
  if (relaxed !== undefined) return relaxed;
  const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  if (!wasm || env?.SPECTRAL_LAB_WASM_FMA === '0') return (relaxed = false);
  const probe = relaxedProbe();
  const valid = (): boolean => {
    try {
      return wasm.validate(probe);
    } catch {
      return false;
    }
  };
  if (valid()) return (relaxed = true);
  try {
    setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    // not Node, or the flag is unknown to this V8: plain SIMD
  }
  return (relaxed = valid());
}

/**
 * Compile and instantiate a SIMD module assembled here, or null where WebAssembly or SIMD is unavailable (callers
 * then take their plain JavaScript path). The compiled module is returned too, for instances in other threads.
 */
export function instantiateSimd(bytes: Uint8Array): { module: object; exports: Record<string, unknown> } | null {
  try {
    const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
    if (!wasm || !wasm.validate(bytes)) return null;
    const module = new wasm.Module(bytes);
    return { module, exports: new wasm.Instance(module).exports };
  } catch {
    return null;
  }
}
