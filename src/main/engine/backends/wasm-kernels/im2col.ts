/**
 * The transposed patch matrix of a 2-D convolution, gathered straight from the input:
 *   cols[(a*kw + b)*Ci + i, (n*Ho + p)*Wo + q] = x[n, p*sh + a - padTop, q*sw + b - padLeft, i]   (0 outside x)
 * Rows are ordered like an HWIO filter flattened to [kh*kw*Ci, Co], so the filter gradient is one plain
 * (untransposed) GEMM, dW = cols · dy[N*Ho*Wo, Co], on XNNPACK.
 *
 * WASM has no im2col kernel, and composing it from Pad + 9 StridedSlices + Concat makes ~3 extra
 * passes over the (kh*kw)-times-larger matrix. heap-simd.ts's im2colT builds it in WebAssembly
 * (same loops as gatheredPlanes below); this JavaScript version is the fallback where that module
 * cannot be built. The input comes channel-major ([Ci, N, H, W]), so every inner loop reads one
 * contiguous image row and writes one contiguous matrix row.
 */
export interface PatchGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  kh: number;
  kw: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
}

/** q range [lo, hi) whose input column q*stride + offset lies inside [0, size). */
export function validRange(outSize: number, stride: number, offset: number, size: number): [number, number] {
  const lo = offset >= 0 ? 0 : Math.ceil(-offset / stride);
  const hi = Math.min(outSize, Math.max(0, Math.floor((size - 1 - offset) / stride) + 1));
  return [Math.min(lo, hi), hi];
}

/** Fills `cols` ([kh*kw*Ci, N*Ho*Wo]) from `xT` ([Ci, N, H, W], channel-major). */
export function im2colTransposed(xT: Float32Array, cols: Float32Array, g: PatchGeometry): void {
  const blocks = g.strideH === 1 && g.strideW === 1 && g.outW === g.inW;
  const { kh, kw, inC, batch } = g;
  const rowLen = batch * g.outH * g.outW;
  for (let a = 0; a < kh; a++) {
    for (let b = 0; b < kw; b++) {
      for (let i = 0; i < inC; i++) {
        const dst = ((a * kw + b) * inC + i) * rowLen;
        if (blocks) shiftedPlanes(xT, cols, g, a, b, i, dst);
        else gatheredPlanes(xT, cols, g, a, b, i, dst);
      }
    }
  }
}

/**
 * Stride 1 with the width kept (SAME): one tap's row of every image is the input plane shifted by
 * (a - padTop) rows and (b - padLeft) columns, so it is one memcpy per image plus zeroing the few
 * border elements the shift wrapped around (~10x fewer JS-level element writes than a gather).
 */
function shiftedPlanes(
  xT: Float32Array,
  cols: Float32Array,
  g: PatchGeometry,
  a: number,
  b: number,
  i: number,
  dst0: number,
) {
  const { inH, inW: w, outH, batch } = g;
  const rowOff = a - g.padTop;
  const colOff = b - g.padLeft;
  const [plo, phi] = validRange(outH, 1, rowOff, inH);
  const [qlo, qhi] = validRange(w, 1, colOff, w);
  const plane = inH * w;
  for (let n = 0; n < batch; n++) {
    const img = (i * batch + n) * plane;
    const dst = dst0 + n * outH * w;
    if (plo > 0) cols.fill(0, dst, dst + plo * w);
    if (phi < outH) cols.fill(0, dst + phi * w, dst + outH * w);
    if (phi <= plo) continue;
    let from = img + (plo + rowOff) * w + colOff;
    let to = dst + plo * w;
    let len = (phi - plo) * w;
    if (from < img) {
      to += img - from;
      len -= img - from;
      from = img;
    }
    len = Math.min(len, img + plane - from);
    cols.set(xT.subarray(from, from + len), to);
    for (let p = plo; p < phi; p++) {
      const row = dst + p * w;
      for (let q = 0; q < qlo; q++) cols[row + q] = 0;
      for (let q = qhi; q < w; q++) cols[row + q] = 0;
    }
  }
}

/** Any stride and padding: element by element, one output row at a time. */
function gatheredPlanes(
  xT: Float32Array,
  cols: Float32Array,
  g: PatchGeometry,
  a: number,
  b: number,
  i: number,
  dst0: number,
) {
  const { batch, inH, inW, outH, outW, strideH: sh, strideW: sw } = g;
  const rowOff = a - g.padTop;
  const colOff = b - g.padLeft;
  const [qlo, qhi] = validRange(outW, sw, colOff, inW);
  const plane = inH * inW;
  let dst = dst0;
  for (let n = 0; n < batch; n++) {
    const img = (i * batch + n) * plane;
    for (let p = 0; p < outH; p++) {
      const ih = p * sh + rowOff;
      if (ih < 0 || ih >= inH) {
        cols.fill(0, dst, dst + outW);
        dst += outW;
        continue;
      }
      const src = img + ih * inW + colOff;
      let q = 0;
      for (; q < qlo; q++) cols[dst++] = 0;
      for (; q < qhi; q++) cols[dst++] = xT[src + q * sw];
      for (; q < outW; q++) cols[dst++] = 0;
    }
  }
}
