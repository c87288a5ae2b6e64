/**
 * A small WebAssembly SIMD module that works directly on the WASM backend's heap (it imports
 * tfjs-backend-wasm's own memory), for the two training-step kernels whose native versions walk
 * broadcast indices per element: same-shape Equal (~8 ns/element native, ~10x faster here),
 * nearest-neighbour resizing (a table of source offsets, then 16-byte SIMD copies) and a bias added
 * to every row. The max-pooling gradient of the small CNNs (models/pooling.ts) spent most of its
 * time in the first two. Also the filter gradient's im2col and its short-rows GEMM
 * (conv2d-backprop-filter.ts).
 *
 * Plain JavaScript loops over the heap were measured first: no faster than the native kernels on
 * this machine (~2-4 ns/element), hence SIMD. The kernel text is kernels/heap.wat; null when the
 * module cannot run here, and the callers then keep the native kernel. The kernels run on the
 * calling thread (also with the threaded build, whose pool only XNNPACK uses).
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { instantiateKernel } from '../../kernels/index.js';

export interface HeapSimd {
  /** out[i] = a[i] == b[i] (float32 in, 1-byte bool out), byte offsets into the heap. */
  equalF32(a: number, b: number, out: number, n: number): void;
  /**
   * Nearest-neighbour resize of NHWC float32 images whose channel run is a multiple of 16 bytes:
   * output row r of image b copies, for each output column q, the pixel at byte offset
   * src + b*inImageBytes + rowTable[r] + colTable[q].
   */
  resizeNearest(
    src: number,
    dst: number,
    rowTable: number,
    colTable: number,
    batch: number,
    outH: number,
    outW: number,
    inImageBytes: number,
    pixelBytes: number,
    outRowBytes: number,
  ): void;
  /** im2col.ts's transposed patch matrix from channel-major x; `ranges` holds [qlo, qhi) per filter column. */
  im2colT(
    x: number,
    cols: number,
    ranges: number,
    batch: number,
    inH: number,
    inW: number,
    inC: number,
    outH: number,
    outW: number,
    kh: number,
    kw: number,
    strideH: number,
    strideW: number,
    padTop: number,
    padLeft: number,
  ): void;
  /**
   * out[m, n] = sum_p a[m, p] * b[p, n] for a [M, P], b [P, N] (N a multiple of 16), rows in pairs and
   * columns in blocks of 16: a product with few rows and a long reduction, which XNNPACK would spend
   * mostly packing b for.
   */
  gemmShortRows(a: number, b: number, out: number, m: number, p: number, n: number): void;
  /** out[r, c] = x[r, c] + v[c] for x [rows, cols] (cols a multiple of 4): a bias added to every row. */
  addRows(x: number, v: number, out: number, rows: number, cols: number): void;
  /**
   * The 2x2 / stride-2 max-pooling gradient on NHWC float32 maps with channels a multiple of 4: for every
   * window, dx = (x == y) & dy elementwise (IEEE equality as a mask, so dy passes where x is the maximum).
   * Writes every dx element inside the 2 outH x 2 outW windows; odd last rows/columns are the caller's.
   */
  maxPoolGrad2x2(
    x: number,
    y: number,
    dy: number,
    out: number,
    batch: number,
    outH: number,
    outW: number,
    inH: number,
    inW: number,
    channels: number,
  ): void;
}

/** The WASM backend's heap (a WebAssembly.Memory; the project's TypeScript lib has no WebAssembly types). */
export interface WasmMemoryLike {
  buffer: ArrayBufferLike;
}

const instances = new WeakMap<object, HeapSimd | null>();

/** The WASM backend's memory: the single-threaded build exports it, the threaded one imports it (wasmMemory). */
export function backendMemory(backend: BackendWasm): WasmMemoryLike | null {
  const wasm = backend.wasm as unknown as { asm?: { memory?: WasmMemoryLike }; wasmMemory?: WasmMemoryLike };
  return wasm.asm?.memory ?? wasm.wasmMemory ?? null;
}

/** Whether `memory` is the threaded build's shared heap (a module must then import it as shared). */
export function isShared(memory: WasmMemoryLike): boolean {
  return !(memory.buffer instanceof ArrayBuffer);
}

/** The module bound to `backend`'s heap, or null where it cannot run (then use the native kernels). */
export function heapSimd(backend: BackendWasm): HeapSimd | null {
  const memory = backendMemory(backend);
  if (!memory) return null;
  if (instances.has(memory)) return instances.get(memory) ?? null;
  const made = instantiateKernel('heap', { fused: false, shared: isShared(memory) }, { env: { memory } });
  const api = (made?.exports ?? null) as unknown as HeapSimd | null;
  instances.set(memory, api);
  return api;
}

/** Byte offset of a tensor's data on the WASM heap. */
export function heapOffset(backend: BackendWasm, dataId: object): number {
  return (backend.dataIdMap.get(dataId) as unknown as { memoryOffset: number }).memoryOffset;
}
