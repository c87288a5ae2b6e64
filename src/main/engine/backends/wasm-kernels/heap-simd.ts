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
 * this machine (~2-4 ns/element), hence SIMD. Assembled here (no .wasm build step) with the project's
 * encoder helpers; null when the module cannot be built, and the callers then keep the native kernel.
 * The kernels run on the calling thread (also with the threaded build, whose pool only XNNPACK uses).
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { forUp, get, i32, I32, section, set, uleb, V128, vec, type Bytes } from '../../bounds/wasm-simd-encoder.js';

export interface HeapSimd {
  /** out[i] = a[i] == b[i] (float32 in, 1-byte bool out), byte offsets into the heap. */
  equalF32(a: number, b: number, out: number, n: number): void;
  /**
   * Nearest-neighbour resize of NHWC float32 images whose channel run is a multiple of 16 bytes:
   * output row r of image b copies, for each output column q, the pixel at byte offset
   * src + b*inImageBytes + rowTable[r] + colTable[q].
   */
  resizeNearest(
    src: number, dst: number, rowTable: number, colTable: number, batch: number, outH: number, outW: number,
    inImageBytes: number, pixelBytes: number, outRowBytes: number,
  ): void;
  /** im2col.ts's transposed patch matrix from channel-major x; `ranges` holds [qlo, qhi) per filter column. */
  im2colT(
    x: number, cols: number, ranges: number, batch: number, inH: number, inW: number, inC: number,
    outH: number, outW: number, kh: number, kw: number, strideH: number, strideW: number, padTop: number, padLeft: number,
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
  maxPoolGrad2x2(x: number, y: number, dy: number, out: number, batch: number, outH: number, outW: number, inH: number, inW: number, channels: number): void;
}

const name = (s: string): Bytes => vec([...s].map((ch) => [ch.charCodeAt(0)]));
const op = {
  add: [0x6a], sub: [0x6b], mul: [0x6c], and: [0x71], shl: [0x74], eq: [0x46], ltU: [0x49],
  f32Store: [0x38, 2, 0], zero: [0x43, 0, 0, 0, 0], f32Splat: [0xfd, 0x13], vMul: [0xfd, 0xe6, 0x01], vAdd: [0xfd, 0xe4, 0x01],
  v0: [0xfd, 0x0c, ...Array<number>(16).fill(0)], select: [0x1b],
  load: (offset = 0): Bytes => [0x28, 2, ...uleb(offset)],
  f32Load: [0x2a, 2, 0], f32Eq: [0x5b], store8: [0x3a, 0, 0],
  vLoad: (offset: number): Bytes => [0xfd, 0x00, 0, ...uleb(offset)],
  vStore: (offset: number): Bytes => [0xfd, 0x0b, 0, ...uleb(offset)],
  f32x4Eq: [0xfd, 0x41], narrow32: [0xfd, 0x85, 0x01], narrow16: [0xfd, 0x65], vAnd: [0xfd, 0x4e], i8Splat: [0xfd, 0x0f],
  memCopy: [0xfc, 0x0a, 0, 0],
  ifThen: (cond: Bytes, then: Bytes, otherwise: Bytes): Bytes => [...cond, 0x04, 0x40, ...then, 0x05, ...otherwise, 0x0b],
};
const sum = (...t: Bytes[]): Bytes => t.reduce((acc, x, j) => (j ? [...acc, ...x, ...op.add] : x), [] as Bytes);
const times = (a: Bytes, b: Bytes): Bytes => [...a, ...b, ...op.mul];
const words = (x: number): Bytes => [...get(x), ...i32(2), ...op.shl]; // element index -> byte offset

function equalBody(): Bytes {
  const [a, b, out, n, i, end16, one] = [0, 1, 2, 3, 4, 5, 6];
  const mask = (off: number): Bytes => [...sum(get(a), words(i)), ...op.vLoad(off), ...sum(get(b), words(i)), ...op.vLoad(off), ...op.f32x4Eq];
  const body = [
    ...get(n), ...i32(-16), ...op.and, ...set(end16),
    ...i32(1), ...op.i8Splat, ...set(one),
    ...forUp(i, get(end16), i32(16), [
      ...sum(get(out), get(i)),
      ...mask(0), ...mask(16), ...op.narrow32, ...mask(32), ...mask(48), ...op.narrow32, ...op.narrow16,
      ...get(one), ...op.vAnd, ...op.vStore(0),
    ]),
  ];
  // Tail (< 16 elements), scalar; forUp restarts at 0, so loop over the offset past end16 instead.
  const t = i;
  const tail = forUp(t, [...get(n), ...get(end16), ...op.sub], i32(1), [
    ...sum(get(out), get(end16), get(t)),
    ...sum(get(a), [...sum(get(end16), get(t)), ...i32(2), ...op.shl]), ...op.f32Load,
    ...sum(get(b), [...sum(get(end16), get(t)), ...i32(2), ...op.shl]), ...op.f32Load,
    ...op.f32Eq, ...op.store8,
  ]);
  return [...vec([[2, I32], [1, V128]]), ...body, ...tail, 0x0b];
}

function resizeBody(): Bytes {
  const [src, dst, rowTab, colTab, batch, outH, outW, inImg, pix, outRow] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [b, r, q, k, srcRow, dstRow, prev, row] = [10, 11, 12, 13, 14, 15, 16, 17];
  const copyPixel = forUp(k, get(pix), i32(16), [
    ...sum(get(dstRow), times(get(q), get(pix)), get(k)),
    ...sum(get(srcRow), [...sum(get(colTab), words(q)), ...op.load()], get(k)), ...op.vLoad(0),
    ...op.vStore(0),
  ]);
  const perRow = [
    ...sum(get(dst), times(sum(times(get(b), get(outH)), get(r)), get(outRow))), ...set(dstRow),
    ...sum(get(rowTab), words(r)), ...op.load(), ...set(row),
    ...op.ifThen(
      [...get(row), ...get(prev), ...op.eq],
      [...get(dstRow), ...get(dstRow), ...get(outRow), ...op.sub, ...get(outRow), ...op.memCopy],
      [...sum(get(src), times(get(b), get(inImg)), get(row)), ...set(srcRow), ...forUp(q, get(outW), i32(1), copyPixel)],
    ),
    ...get(row), ...set(prev),
  ];
  const body = forUp(b, get(batch), i32(1), [...i32(-1), ...set(prev), ...forUp(r, get(outH), i32(1), perRow)]);
  return [...vec([[8, I32]]), ...body, 0x0b];
}

function im2colBody(): Bytes {
  const [x, cols, ranges, batch, inH, inW, inC, outH, outW, kh, kw, sh, sw, padTop, padLeft] = Array.from({ length: 15 }, (_, j) => j);
  const [a, b, i, n, p, q, dst, img, src, ih, qlo, qhi, colOff] = Array.from({ length: 13 }, (_, j) => 15 + j);
  const zeroAt = (idx: number): Bytes => [...sum(get(dst), words(idx)), ...op.zero, ...op.f32Store];
  // q runs from `from` to the local `limit` (forUp counts from 0, so loop over q - from).
  const span = (from: Bytes, limit: Bytes, body: (from: Bytes) => Bytes): Bytes => forUp(q, [...limit, ...from, ...op.sub], i32(1), body(from));
  const shifted = (from: Bytes, f: (q: Bytes) => Bytes): Bytes => f([...get(q), ...from, ...op.add]);
  const row = [
    ...sum(times(get(p), get(sh)), get(a)), ...get(padTop), ...op.sub, ...set(ih),
    ...op.ifThen(
      [...get(ih), ...get(inH), ...op.ltU],
      [
        ...sum(get(img), [...sum(times(get(ih), get(inW)), get(colOff)), ...i32(2), ...op.shl]), ...set(src),
        ...forUp(q, get(qlo), i32(1), zeroAt(q)),
        ...span(get(qlo), get(qhi), (from) => shifted(from, (qq) => [
          ...sum(get(dst), [...qq, ...i32(2), ...op.shl]),
          ...sum(get(src), [...times(qq, get(sw)), ...i32(2), ...op.shl]), ...op.f32Load,
          ...op.f32Store,
        ])),
        ...span(get(qhi), get(outW), (from) => shifted(from, (qq) => [...sum(get(dst), [...qq, ...i32(2), ...op.shl]), ...op.zero, ...op.f32Store])),
      ],
      forUp(q, get(outW), i32(1), zeroAt(q)),
    ),
    ...sum(get(dst), [...get(outW), ...i32(2), ...op.shl]), ...set(dst),
  ];
  const perImage = [
    ...sum(get(x), [...times(times(sum(times(get(i), get(batch)), get(n)), get(inH)), get(inW)), ...i32(2), ...op.shl]), ...set(img),
    ...forUp(p, get(outH), i32(1), row),
  ];
  const perTap = [
    ...get(b), ...get(padLeft), ...op.sub, ...set(colOff),
    ...sum(get(ranges), [...get(b), ...i32(3), ...op.shl]), ...op.load(0), ...set(qlo),
    ...sum(get(ranges), [...get(b), ...i32(3), ...op.shl]), ...op.load(4), ...set(qhi),
    ...forUp(i, get(inC), i32(1), forUp(n, get(batch), i32(1), perImage)),
  ];
  const body = [...get(cols), ...set(dst), ...forUp(a, get(kh), i32(1), forUp(b, get(kw), i32(1), perTap))];
  return [...vec([[13, I32]]), ...body, 0x0b];
}

function gemmShortRowsBody(): Bytes {
  const [a, b, out, m, p, n] = [0, 1, 2, 3, 4, 5];
  const [r0, r1, c, k, rowA0, rowA1, bp] = [6, 7, 8, 9, 10, 11, 12];
  const acc = [13, 14, 15, 16, 17, 18, 19, 20]; // v128: row r0 lanes 0-15, row r1 lanes 0-15
  const va = 21;
  const step = (rowA: number, first: number): Bytes => [
    ...sum(get(rowA), words(k)), ...op.f32Load, ...op.f32Splat, ...set(va),
    ...[0, 1, 2, 3].flatMap((j) => [...get(bp), ...op.vLoad(16 * j), ...get(va), ...op.vMul, ...get(acc[first + j]), ...op.vAdd, ...set(acc[first + j])]),
  ];
  const store = (row: number, first: number): Bytes =>
    [0, 1, 2, 3].flatMap((j) => [...sum(get(out), [...sum(times(get(row), get(n)), get(c)), ...i32(2), ...op.shl]), ...get(acc[first + j]), ...op.vStore(16 * j)]);
  const block = [
    ...acc.flatMap((v) => [...op.v0, ...set(v)]),
    ...forUp(k, get(p), i32(1), [
      ...sum(get(b), [...sum(times(get(k), get(n)), get(c)), ...i32(2), ...op.shl]), ...set(bp),
      ...step(rowA0, 0), ...step(rowA1, 4),
    ]),
    ...store(r0, 0), ...store(r1, 4),
  ];
  // Rows r0 and r1 = min(r0 + 1, m - 1): an odd last row is computed twice, stored twice (same value).
  const pair = [
    ...get(r0), ...i32(1), ...op.add, ...get(m), ...i32(1), ...op.sub,
    ...get(r0), ...i32(1), ...op.add, ...get(m), ...i32(1), ...op.sub, ...op.ltU, ...op.select, ...set(r1),
    ...sum(get(a), [...times(get(r0), get(p)), ...i32(2), ...op.shl]), ...set(rowA0),
    ...sum(get(a), [...times(get(r1), get(p)), ...i32(2), ...op.shl]), ...set(rowA1),
    ...forUp(c, get(n), i32(16), block),
  ];
  return [...vec([[7, I32], [9, V128]]), ...forUp(r0, get(m), i32(2), pair), 0x0b];
}

function addRowsBody(): Bytes {
  const [x, v, out, rows, cols] = [0, 1, 2, 3, 4];
  const [r, c, base] = [5, 6, 7];
  const body = forUp(r, get(rows), i32(1), [
    ...times(get(r), get(cols)), ...set(base),
    ...forUp(c, get(cols), i32(4), [
      ...sum(get(out), [...sum(get(base), get(c)), ...i32(2), ...op.shl]),
      ...sum(get(x), [...sum(get(base), get(c)), ...i32(2), ...op.shl]), ...op.vLoad(0),
      ...sum(get(v), words(c)), ...op.vLoad(0),
      ...op.vAdd, ...op.vStore(0),
    ]),
  ]);
  return [...vec([[3, I32]]), ...body, 0x0b];
}

function maxPoolGradBody(): Bytes {
  const [x, y, dy, out, batch, outH, outW, inH, inW, ch] = Array.from({ length: 10 }, (_, j) => j);
  const [b, i, j, c, yOff, xOff, rowBytes, at] = Array.from({ length: 8 }, (_, k) => 10 + k);
  const [yv, dyv] = [18, 19];
  const pixBytes = [...get(ch), ...i32(2), ...op.shl];
  // Tap (a, e) of the window: `at` is its top-left pixel's byte offset plus the channel offset c.
  const tap = (a: number, e: number): Bytes => {
    const offset = sum(get(at), ...(a ? [get(rowBytes)] : []), ...(e ? [pixBytes] : []));
    return [
      ...sum(get(out), offset),
      ...sum(get(x), offset), ...op.vLoad(0), ...get(yv), ...op.f32x4Eq, ...get(dyv), ...op.vAnd,
      ...op.vStore(0),
    ];
  };
  const perChannel = [
    ...sum(get(y), get(yOff), get(c)), ...op.vLoad(0), ...set(yv),
    ...sum(get(dy), get(yOff), get(c)), ...op.vLoad(0), ...set(dyv),
    ...sum(get(xOff), get(c)), ...set(at),
    ...tap(0, 0), ...tap(0, 1), ...tap(1, 0), ...tap(1, 1),
  ];
  // y / dy pixel (b, i, j) at ((b outH + i) outW + j) 4 ch; its window's top-left ((b inH + 2i) inW + 2j) 4 ch.
  const perWindow = [
    ...times(sum(times(sum(times(get(b), get(outH)), get(i)), get(outW)), get(j)), pixBytes), ...set(yOff),
    ...times(sum(times(sum(times(get(b), get(inH)), [...get(i), ...i32(1), ...op.shl]), get(inW)), [...get(j), ...i32(1), ...op.shl]), pixBytes), ...set(xOff),
    ...forUp(c, pixBytes, i32(16), perChannel),
  ];
  const body = [
    ...times(get(inW), pixBytes), ...set(rowBytes),
    ...forUp(b, get(batch), i32(1), forUp(i, get(outH), i32(1), forUp(j, get(outW), i32(1), perWindow))),
  ];
  return [...vec([[8, I32], [2, V128]]), ...body, 0x0b];
}

/** `shared`: the threaded build's memory, which a module can import only as shared (with a maximum). */
function moduleBytes(shared: boolean): Uint8Array {
  const fnType = (params: number): Bytes => [0x60, ...vec(Array.from({ length: params }, () => [I32])), 0];
  const code = (body: Bytes): Bytes => [...uleb(body.length), ...body];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([fnType(4), fnType(10), fnType(15), fnType(6), fnType(5)])),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, ...(shared ? [0x03, 0x00, ...uleb(65536)] : [0x00, 0x00])]])),
    ...section(3, vec([[0], [1], [2], [3], [4], [1]])),
    ...section(7, vec([[...name('equalF32'), 0x00, 0], [...name('resizeNearest'), 0x00, 1], [...name('im2colT'), 0x00, 2], [...name('gemmShortRows'), 0x00, 3], [...name('addRows'), 0x00, 4], [...name('maxPoolGrad2x2'), 0x00, 5]])),
    ...section(10, vec([code(equalBody()), code(resizeBody()), code(im2colBody()), code(gemmShortRowsBody()), code(addRowsBody()), code(maxPoolGradBody())])),
  ]);
}

/** The parts of the WebAssembly API used here (the project's TypeScript lib has no WebAssembly types). */
export interface WasmMemoryLike {
  buffer: ArrayBufferLike;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

const instances = new WeakMap<object, HeapSimd | null>();

/** The WASM backend's memory: the single-threaded build exports it, the threaded one imports it (wasmMemory). */
export function backendMemory(backend: BackendWasm): WasmMemoryLike | null {
  const wasm = backend.wasm as unknown as { asm?: { memory?: WasmMemoryLike }; wasmMemory?: WasmMemoryLike };
  return wasm.asm?.memory ?? wasm.wasmMemory ?? null;
}

/**
 * Compile and instantiate a module that imports env.memory on that memory: its exports and the compiled module (for
 * instances on other threads, heap-helper.ts), or null if it cannot run here.
 */
export function instantiateOnHeap(memory: WasmMemoryLike, bytes: Uint8Array): { exports: Record<string, unknown>; module: object } | null {
  const wasmApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (!wasmApi) return null;
  try {
    const module = new wasmApi.Module(bytes);
    return { exports: new wasmApi.Instance(module, { env: { memory } }).exports, module };
  } catch {
    return null;
  }
}

/** The module bound to `backend`'s heap, or null where it cannot run (then use the native kernels). */
export function heapSimd(backend: BackendWasm): HeapSimd | null {
  const memory = backendMemory(backend);
  if (!memory) return null;
  if (instances.has(memory)) return instances.get(memory) ?? null;
  const api = (instantiateOnHeap(memory, moduleBytes(!(memory.buffer instanceof ArrayBuffer)))?.exports ?? null) as unknown as HeapSimd | null;
  instances.set(memory, api);
  return api;
}

/** Byte offset of a tensor's data on the WASM heap. */
export function heapOffset(backend: BackendWasm, dataId: object): number {
  return (backend.dataIdMap.get(dataId) as unknown as { memoryOffset: number }).memoryOffset;
}
