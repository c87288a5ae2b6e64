/**
 * Each kernel Spectral Lab registers or overrides on WASM, against the CPU backend, on odd shapes:
 * strides 1/2/3 and unequal, SAME/VALID/explicit padding, non-square filters, NCHW, dilation,
 * channel multipliers, batched and transposed products.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { onBackend, randomArray, randomTensor, relativeErrors } from './helpers.js';
import { maxPool2x2 } from '../../src/main/engine/models/pooling.js';
import { MAX_POOL_2X2_GRAD } from '../../src/main/engine/kernel-names.js';
import { im2colTransposed } from '../../src/main/engine/backends/wasm-kernels/im2col.js';
import {
  WASM_KERNELS_ADDED,
  WASM_KERNELS_OVERRIDDEN,
  registerWasmKernels,
  startWasmBackend,
} from '../../src/main/engine/backends/index.js';

const TOL = 1e-4;

async function expectSameOnWasm(f: () => tf.Tensor | tf.Tensor[]) {
  const want = await onBackend('cpu', f);
  const got = await onBackend('wasm', f);
  for (let i = 0; i < want.length; i++) expect(got[i].length).toBe(want[i].length);
  const errs = relativeErrors(got, want);
  for (const e of errs) expect(e).toBeLessThan(TOL);
}

const run = (name: string, inputs: Record<string, tf.Tensor>, attrs: object) =>
  tf.engine().runKernel(name, inputs, attrs as never) as tf.Tensor;

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
interface ConvCase {
  x: [number, number, number, number]; // NHWC
  f: [number, number, number, number];
  s: [number, number];
  pad: Pad;
  nchw?: boolean;
}

const CONV_CASES: ConvCase[] = [
  { x: [2, 7, 9, 3], f: [3, 3, 3, 4], s: [1, 1], pad: 'same' },
  { x: [2, 7, 9, 3], f: [3, 3, 3, 4], s: [1, 1], pad: 'valid' },
  { x: [3, 11, 10, 2], f: [3, 3, 2, 5], s: [2, 2], pad: 'valid' }, // stride leaves a row unread
  { x: [3, 11, 10, 2], f: [3, 3, 2, 5], s: [2, 2], pad: 'same' },
  { x: [1, 12, 13, 4], f: [2, 4, 4, 3], s: [2, 3], pad: 'same' }, // unequal strides, non-square filter
  { x: [2, 10, 10, 1], f: [5, 5, 1, 6], s: [3, 3], pad: 'valid' },
  {
    x: [2, 9, 8, 3],
    f: [3, 2, 3, 2],
    s: [1, 2],
    pad: [
      [0, 0],
      [2, 1],
      [0, 3],
      [0, 0],
    ],
  },
  { x: [2, 6, 6, 2], f: [1, 1, 2, 3], s: [2, 2], pad: 'valid' }, // filter smaller than stride
  { x: [2, 8, 7, 3], f: [3, 3, 3, 4], s: [2, 2], pad: 'same', nchw: true },
  // Stride 1 keeping the width: the filter gradient's shifted-plane im2col (odd and even filters,
  // one input channel read in place, asymmetric SAME padding, channels-first).
  { x: [3, 6, 5, 1], f: [3, 3, 1, 4], s: [1, 1], pad: 'same' },
  // kh*kw*Ci <= 32 rows and Co a multiple of 16: the filter gradient's short-rows SIMD GEMM (odd row counts).
  { x: [3, 6, 5, 1], f: [3, 3, 1, 16], s: [1, 1], pad: 'same' },
  { x: [2, 7, 6, 3], f: [3, 3, 3, 32], s: [2, 2], pad: 'valid' },
  { x: [2, 5, 5, 2], f: [2, 2, 2, 16], s: [1, 1], pad: 'valid' },
  { x: [2, 7, 6, 2], f: [4, 2, 2, 3], s: [1, 1], pad: 'same' },
  {
    x: [2, 6, 7, 3],
    f: [5, 3, 3, 2],
    s: [1, 1],
    pad: [
      [0, 0],
      [3, 1],
      [1, 1],
      [0, 0],
    ],
  },
  { x: [2, 5, 6, 1], f: [3, 3, 1, 2], s: [1, 1], pad: 'same', nchw: true },
  { x: [2, 9, 6, 2], f: [3, 1, 2, 3], s: [2, 1], pad: 'same' }, // stride only along rows: the gather path
  // c_out % 8 == 0: the direct filter gradient (filter-grad-simd.ts): row counts not a multiple of 4 (the repeated
  // last row), several column tiles, padding on every side, strides, cropping, channels-first, x used in place.
  { x: [2, 7, 9, 3], f: [3, 3, 3, 8], s: [1, 1], pad: 'same' },
  { x: [3, 11, 10, 2], f: [3, 3, 2, 24], s: [2, 2], pad: 'valid' },
  {
    x: [2, 9, 8, 3],
    f: [3, 2, 3, 16],
    s: [1, 2],
    pad: [
      [0, 0],
      [2, 1],
      [0, 3],
      [0, 0],
    ],
  },
  { x: [1, 12, 13, 5], f: [2, 4, 5, 8], s: [2, 3], pad: 'same' },
  { x: [2, 8, 7, 3], f: [3, 3, 3, 8], s: [2, 2], pad: 'same', nchw: true },
  { x: [2, 6, 6, 4], f: [3, 3, 4, 8], s: [1, 1], pad: 'valid' },
  { x: [2, 6, 6, 2], f: [1, 1, 2, 40], s: [2, 2], pad: 'valid' },
];

function convAttrs(c: ConvCase) {
  const pad = Array.isArray(c.pad) && c.nchw ? [c.pad[0], c.pad[3], c.pad[1], c.pad[2]] : c.pad;
  return { strides: c.s, pad, dataFormat: c.nchw ? 'NCHW' : 'NHWC', dimRoundingMode: undefined };
}

const toLayout = (t: tf.Tensor, nchw?: boolean) => (nchw ? tf.transpose(t, [0, 3, 1, 2]) : t);

describe('WASM kernels match the CPU backend', () => {
  it('registers the kernels WASM lacks (idempotently)', () => {
    registerWasmKernels();
    expect(registerWasmKernels()).toEqual([]);
    const wasm = new Set(tf.getKernelsForBackend('wasm').map((k) => k.kernelName));
    for (const k of [...WASM_KERNELS_ADDED, ...WASM_KERNELS_OVERRIDDEN]) expect(wasm.has(k)).toBe(true);
    expect(WASM_KERNELS_ADDED).toContain('Conv2DBackpropFilter');
  });

  it.each(CONV_CASES)('Conv2DBackpropFilter and Conv2DBackpropInput %#', async (c) => {
    await expectSameOnWasm(() => {
      const x = tf.conv2d(
        randomTensor(c.x, 1) as tf.Tensor4D,
        tf.ones([1, 1, c.x[3], c.x[3]]) as tf.Tensor4D,
        1,
        'valid',
      );
      const y = tf.conv2d(x as tf.Tensor4D, randomTensor(c.f, 2) as tf.Tensor4D, c.s, c.pad as never);
      const dy = randomTensor(y.shape, 3);
      const attrs = convAttrs(c);
      const xs = toLayout(randomTensor(c.x, 4), c.nchw);
      const dys = toLayout(dy, c.nchw);
      const dW = run('Conv2DBackpropFilter', { x: xs, dy: dys }, { ...attrs, filterShape: c.f });
      const inputShape = c.nchw ? [c.x[0], c.x[3], c.x[1], c.x[2]] : c.x;
      const dX = run('Conv2DBackpropInput', { dy: dys, filter: randomTensor(c.f, 5) }, { ...attrs, inputShape });
      return [dW, dX];
    });
  });

  const DEPTHWISE = [
    { x: [2, 7, 9, 3], f: [3, 3, 3, 1], s: [1, 1], d: [1, 1], pad: 'same' },
    { x: [2, 9, 8, 2], f: [3, 2, 2, 3], s: [2, 2], d: [1, 1], pad: 'valid' },
    { x: [1, 11, 12, 4], f: [3, 3, 4, 2], s: [1, 1], d: [2, 3], pad: 'same' },
    { x: [2, 12, 9, 2], f: [2, 3, 2, 1], s: [1, 1], d: [3, 2], pad: 'valid' },
    { x: [2, 10, 9, 3], f: [4, 3, 3, 1], s: [3, 2], d: [1, 1], pad: 'same' },
  ] as const;

  /**
   * The CPU backend's depthwise gradients ignore dilation, so the reference for a dilated case is
   * the undilated gradient of the zero-inserted filter (the same forward convolution).
   */
  function dilatedFilter(f: tf.Tensor, [dh, dw]: readonly number[]): tf.Tensor {
    const [kh, kw, c, m] = f.shape;
    const src = f.dataSync();
    const eh = dh * (kh - 1) + 1,
      ew = dw * (kw - 1) + 1;
    const out = new Float32Array(eh * ew * c * m);
    for (let a = 0; a < kh; a++)
      for (let b = 0; b < kw; b++)
        out.set(src.subarray((a * kw + b) * c * m, (a * kw + b + 1) * c * m), (a * dh * ew + b * dw) * c * m);
    return tf.tensor(out, [eh, ew, c, m]);
  }

  it.each(DEPTHWISE)('DepthwiseConv2dNativeBackpropFilter / BackpropInput %#', async (c) => {
    const grads = (useDilatedFilter: boolean) => () => {
      const x = randomTensor([...c.x], 11);
      const f = randomTensor([...c.f], 12);
      const y = tf.depthwiseConv2d(x as tf.Tensor4D, f as tf.Tensor4D, [...c.s], c.pad, 'NHWC', [...c.d]);
      const dy = randomTensor(y.shape, 13);
      const common = { strides: c.s, pad: c.pad, dimRoundingMode: undefined };
      const g = randomTensor([...c.f], 14);
      if (!useDilatedFilter) {
        const attrs = { ...common, dilations: c.d };
        return [
          run('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...attrs, filterShape: c.f }),
          run('DepthwiseConv2dNativeBackpropInput', { dy, filter: g }, { ...attrs, inputShape: c.x }),
        ];
      }
      const gd = dilatedFilter(g, c.d);
      const dWd = run(
        'DepthwiseConv2dNativeBackpropFilter',
        { x, dy },
        { ...common, dilations: 1, filterShape: gd.shape },
      );
      const dW = tf.stridedSlice(dWd, [0, 0, 0, 0], dWd.shape, [c.d[0], c.d[1], 1, 1]);
      return [
        dW,
        run('DepthwiseConv2dNativeBackpropInput', { dy, filter: gd }, { ...common, dilations: 1, inputShape: c.x }),
      ];
    };
    const dilated = c.d[0] > 1 || c.d[1] > 1;
    const want = await onBackend('cpu', grads(dilated));
    const got = await onBackend('wasm', grads(false));
    for (const e of relativeErrors(got, want)) expect(e).toBeLessThan(TOL);
  });

  it('BatchMatMul / _FusedMatMul: transposes, batches, broadcast, tiny and large', async () => {
    await expectSameOnWasm(() => {
      const out: tf.Tensor[] = [];
      for (const [m, k, n] of [
        [3, 5, 2],
        [67, 45, 70],
      ]) {
        for (const [ta, tb] of [
          [false, false],
          [true, false],
          [false, true],
          [true, true],
        ]) {
          const a = randomTensor(ta ? [k, m] : [m, k], 21 + m);
          const b = randomTensor(tb ? [n, k] : [k, n], 22 + n);
          out.push(tf.matMul(a, b, ta, tb));
          const a3 = randomTensor(ta ? [3, k, m] : [3, m, k], 23);
          out.push(tf.matMul(a3, randomTensor(tb ? [3, n, k] : [3, k, n], 24), ta, tb));
          out.push(tf.matMul(a3, b, ta, tb)); // b broadcast over the batch
          out.push(
            tf.fused.matMul({ a, b, transposeA: ta, transposeB: tb, bias: randomTensor([n], 25), activation: 'relu' }),
          );
        }
      }
      return out;
    });
  });

  it.each([
    { batch: 2, inH: 5, inW: 6, inC: 3, outH: 5, outW: 6, kh: 3, kw: 3, strideH: 1, strideW: 1, padTop: 1, padLeft: 1 },
    { batch: 2, inH: 6, inW: 5, inC: 2, outH: 6, outW: 5, kh: 4, kw: 2, strideH: 1, strideW: 1, padTop: 1, padLeft: 0 },
    { batch: 3, inH: 7, inW: 7, inC: 1, outH: 3, outW: 3, kh: 3, kw: 3, strideH: 2, strideW: 2, padTop: 0, padLeft: 0 },
    { batch: 1, inH: 8, inW: 9, inC: 2, outH: 4, outW: 3, kh: 2, kw: 4, strideH: 2, strideW: 3, padTop: 1, padLeft: 2 },
  ])('JavaScript im2col fallback matches its definition %#', (g) => {
    const xT = randomArray(g.inC * g.batch * g.inH * g.inW, 101);
    const cols = new Float32Array(g.kh * g.kw * g.inC * g.batch * g.outH * g.outW).fill(NaN);
    im2colTransposed(xT, cols, g);
    const want: number[] = [];
    for (let a = 0; a < g.kh; a++)
      for (let b = 0; b < g.kw; b++)
        for (let i = 0; i < g.inC; i++)
          for (let n = 0; n < g.batch; n++)
            for (let p = 0; p < g.outH; p++)
              for (let q = 0; q < g.outW; q++) {
                const ih = p * g.strideH + a - g.padTop,
                  iw = q * g.strideW + b - g.padLeft;
                const inside = ih >= 0 && ih < g.inH && iw >= 0 && iw < g.inW;
                want.push(inside ? xT[((i * g.batch + n) * g.inH + ih) * g.inW + iw] : 0);
              }
    expect(Array.from(cols)).toEqual(want);
  });

  it('Sum over leading axes (bias gradients) and every other reduction', async () => {
    await expectSameOnWasm(() => {
      // Shifted so that the sums cancel partly, as bias gradients do.
      const x = tf.add(randomTensor([9, 8, 7, 5], 51), 0.05);
      const m = randomTensor([130, 10], 52);
      return [
        tf.sum(x, [0, 1, 2]),
        tf.sum(x, [0, 1, 2], true),
        tf.sum(x, [0, 1]),
        tf.sum(x, [-4, -3, -2]),
        tf.sum(m, 0),
        tf.sum(m, [0], true),
        tf.sum(x, [1, 2]), // not leading: native
        tf.sum(x, 0), // 9 rows: native
        tf.sum(x),
        tf.cast(tf.sum(tf.cast(tf.mul(x, 100), 'int32'), [0, 1, 2]), 'float32'),
        tf.mean(x, [0, 1, 2]),
      ];
    });
  });

  it('Equal: same-shape float32 on the heap SIMD module (NaN, signed zeros, infinities, ragged tail)', async () => {
    await expectSameOnWasm(() => {
      const special = [NaN, 0, -0, Infinity, -Infinity, 1, 1, 2.5];
      const a = tf.tensor([...special, ...randomArray(45, 81)], [53]);
      const b = tf.tensor(
        [NaN, -0, 0, Infinity, Infinity, 1, 2, 2.5, ...randomArray(45, 81).map((v, i) => (i % 3 ? v : -v))],
        [53],
      );
      const x = tf.round(tf.mul(randomTensor([3, 5, 7, 4], 82), 2));
      const y = tf.round(tf.mul(randomTensor([3, 5, 7, 4], 83), 2));
      const eq = (p: tf.Tensor, q: tf.Tensor) => tf.cast(tf.equal(p, q), 'float32');
      return [eq(a, b), eq(x, y), eq(x, tf.round(randomTensor([4], 84))), eq(tf.cast(x, 'int32'), tf.cast(y, 'int32'))];
    });
  });

  it.each([
    [[2, 3, 5, 8], [6, 10], false, false],
    [[2, 4, 4, 4], [8, 8], true, false],
    [[1, 5, 3, 8], [7, 8], false, true],
    [[2, 6, 7, 4], [4, 3], true, false], // downsampling
    [[2, 4, 3, 3], [8, 6], false, false], // 3 channels: native kernel
  ] as const)(
    'ResizeNearestNeighbor %j -> %j (alignCorners %s, halfPixelCenters %s)',
    async (shape, size, align, half) => {
      await expectSameOnWasm(() =>
        tf.image.resizeNearestNeighbor(randomTensor([...shape], 91) as tf.Tensor4D, [...size], align, half),
      );
    },
  );

  it('Add: a bias along the last axis on the heap SIMD module, both operand orders; other broadcasts native', async () => {
    await expectSameOnWasm(() => {
      const x = randomTensor([3, 5, 7, 8], 95);
      const v = randomTensor([8], 96);
      const odd = randomTensor([2, 3, 6], 97);
      return [
        tf.add(x, v),
        tf.add(v, x),
        tf.add(tf.reshape(x, [105, 8]), v),
        tf.add(odd, randomTensor([6], 98)), // 6 columns: native
        tf.add(x, randomTensor([7, 8], 99)), // 2-D broadcast: native
        tf.add(x, x),
      ];
    });
  });

  it('the fused 2x2 max-pool gradient (own kernel) equals the composite on CPU: odd sizes, ties, c % 4 != 0', async () => {
    for (const shape of [
      [2, 6, 6, 8],
      [2, 7, 5, 8],
      [1, 5, 4, 3],
      [3, 4, 4, 16],
    ] as [number, number, number, number][]) {
      const f = () => {
        // ReLU makes all-zero windows (ties at the maximum); a negative shift makes all-negative windows.
        const x = tf.relu(tf.sub(randomTensor(shape, shape[1] * 7 + shape[3]), 0.3)) as tf.Tensor4D;
        const xn = tf.sub(randomTensor(shape, 5), 2) as tf.Tensor4D;
        const dyShape = [shape[0], Math.floor(shape[1] / 2), Math.floor(shape[2] / 2), shape[3]];
        const dy = randomTensor(dyShape, 11);
        const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(maxPool2x2(a as tf.Tensor4D), dy)));
        return [g(x), g(xn)];
      };
      await expectSameOnWasm(f);
    }
    await startWasmBackend();
    expect(tf.getKernel(MAX_POOL_2X2_GRAD, 'wasm')).toBeDefined();
    // Tie-free inputs: the same as tfjs' own MaxPool gradient on CPU.
    const x = randomTensor([2, 6, 6, 4], 3) as tf.Tensor4D;
    const ours = await onBackend('wasm', () =>
      tf.grad((a: tf.Tensor) => tf.sum(tf.square(maxPool2x2(a as tf.Tensor4D))))(x),
    );
    const theirs = await onBackend('cpu', () =>
      tf.grad((a: tf.Tensor) => tf.sum(tf.square(tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid'))))(x),
    );
    expect(relativeErrors(ours, theirs)[0]).toBeLessThan(TOL);
  });

  it('Identity and same-dtype Cast share the buffer: each copy outlives the other', async () => {
    await startWasmBackend();
    const before = tf.engine().backend.numDataIds();
    const x = randomTensor([4, 5], 61, 10);
    const want = Float32Array.from(x.dataSync());
    const c = tf.clone(x);
    const f = tf.cast(x, 'float32');
    const i = tf.cast(x, 'int32');
    x.dispose();
    expect(Array.from(c.dataSync())).toEqual(Array.from(want));
    c.dispose();
    expect(Array.from(f.dataSync())).toEqual(Array.from(want));
    expect(Array.from(i.dataSync())).toEqual(Array.from(want, (v) => Math.trunc(v) | 0));
    tf.dispose([f, i]);
    expect(tf.engine().backend.numDataIds()).toBe(before);
  });

  it('BatchMatMul computed transposed when that packs less (dense-layer gradients)', async () => {
    await expectSameOnWasm(() => {
      const out: tf.Tensor[] = [];
      const [m, k, n] = [40, 36, 300];
      for (const [ta, tb] of [
        [false, true],
        [true, true],
        [true, false],
      ]) {
        const a = randomTensor(ta ? [k, m] : [m, k], 71);
        const b = randomTensor(tb ? [n, k] : [k, n], 72);
        out.push(tf.matMul(a, b, ta, tb), tf.matMul(tf.expandDims(a, 0), tf.expandDims(b, 0), ta, tb));
      }
      return out;
    });
  });

  it('UnsortedSegmentSum (out-of-range ids dropped) and the gather gradient that needs it', async () => {
    await expectSameOnWasm(() => {
      const x = randomTensor([6, 4, 3], 31);
      const a = tf.unsortedSegmentSum(x, tf.tensor1d([2, 0, 2, 5, 1, 1], 'int32'), 4);
      const b = tf.unsortedSegmentSum(tf.reshape(x, [6, 12]), tf.tensor1d([0, 0, 0, 0, 0, 1], 'int32'), 2);
      const g = tf.grad((t: tf.Tensor) =>
        tf.sum(tf.mul(tf.gather(t, tf.tensor1d([3, 3, 0, 1], 'int32')), randomTensor([4, 4, 3], 32))),
      )(x);
      return [a, b, g];
    });
  });
});

describe('complex64 and FFT on WASM match the CPU backend', () => {
  it.each([8, 12, 1, 7])('fft/ifft/rfft/irfft, real/imag/abs, clone and dataSync, length %i', async (n) => {
    await expectSameOnWasm(() => {
      const re = randomTensor([3, 2, n], 41);
      const im = randomTensor([3, 2, n], 42);
      const c = tf.complex(re, im);
      const f = tf.spectral.fft(c);
      const back = tf.spectral.ifft(f);
      const r = tf.spectral.rfft(re);
      const out = [
        tf.real(f),
        tf.imag(f),
        tf.real(back),
        tf.imag(back),
        tf.abs(f),
        tf.real(r),
        tf.imag(r),
        tf.real(tf.clone(c)),
      ];
      // dataSync of a complex tensor: interleaved (re, im), as on the CPU backend.
      out.push(tf.tensor(tf.reshape(f, [-1]).dataSync()));
      if (n > 1) out.push(tf.spectral.irfft(r));
      return out;
    });
  });

  it('a 2-D DFT of a conv kernel (Sedghi et al. layout) round-trips', async () => {
    await expectSameOnWasm(() => {
      const k = randomTensor([4, 3, 16, 16], 43); // c_out, c_in, n, n
      const rows = tf.spectral.fft(tf.complex(k, tf.zerosLike(k)));
      const t = (x: tf.Tensor) => tf.transpose(x, [0, 1, 3, 2]);
      const both = tf.spectral.fft(tf.complex(t(tf.real(rows)), t(tf.imag(rows))));
      return [tf.real(both), tf.imag(both)];
    });
  });
});
