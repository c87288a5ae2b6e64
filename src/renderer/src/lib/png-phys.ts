/**
 * The print resolution of a PNG: its pHYs chunk (PNG spec, section 11.3.5.3), pixels per metre on both
 * axes. A canvas writes no pHYs, so word processors and LaTeX take the figure at 72 or 96 dpi and print
 * a 300 dpi export three times too large; with the chunk it prints at its real size. Pure TS.
 */

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];
const INCH_IN_METRES = 0.0254;

let crcTable: Uint32Array | null = null;

/** CRC-32 over chunk type and data (PNG spec, annex D). */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export interface PngChunk {
  type: string;
  /** Offset of the chunk's length field in the file. */
  offset: number;
  data: Uint8Array;
}

function isPng(png: Uint8Array): boolean {
  return png.length >= 8 && SIGNATURE.every((b, i) => png[i] === b);
}

/** The chunks of a PNG in file order; throws on anything that is not a well-formed PNG. */
export function pngChunks(png: Uint8Array): PngChunk[] {
  if (!isPng(png)) throw new Error('Not a PNG file (the 8-byte signature is missing).');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks: PngChunk[] = [];
  let at = 8;
  while (at + 12 <= png.length) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    if (at + 12 + length > png.length) throw new Error(`PNG chunk ${type} runs past the end of the file.`);
    chunks.push({ type, offset: at, data: png.subarray(at + 8, at + 8 + length) });
    at += 12 + length;
    if (type === 'IEND') break;
  }
  if (chunks[0]?.type !== 'IHDR') throw new Error('PNG without an IHDR chunk first.');
  if (chunks[chunks.length - 1].type !== 'IEND')
    throw new Error('PNG cut off: it runs past the end of the file before its IEND chunk.');
  return chunks;
}

export const dpiToPixelsPerMetre = (dpi: number): number => Math.round(dpi / INCH_IN_METRES);

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** The PNG with a pHYs chunk saying `dpi` (right after IHDR, replacing any pHYs it had). */
export function withDpi(png: Uint8Array, dpi: number): Uint8Array<ArrayBuffer> {
  if (!(dpi > 0) || !Number.isFinite(dpi))
    throw new Error(`The resolution must be a positive number of dots per inch, got ${dpi}.`);
  const chunks = pngChunks(png);
  const ppm = dpiToPixelsPerMetre(dpi);
  const data = new Uint8Array(9);
  const view = new DataView(data.buffer);
  view.setUint32(0, ppm);
  view.setUint32(4, ppm);
  data[8] = 1; // unit: the metre
  const parts: Uint8Array[] = [png.subarray(0, 8)];
  for (const c of chunks) {
    if (c.type === 'pHYs') continue;
    parts.push(png.subarray(c.offset, c.offset + 12 + c.data.length));
    if (c.type === 'IHDR') parts.push(chunk('pHYs', data));
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export interface PngInfo {
  width: number;
  height: number;
  /** From pHYs when it is in metres (rounded to 0.1 dpi); null without one. */
  dpi: { x: number; y: number } | null;
}

/** Size and resolution of a PNG (for tests and for checking an export). */
export function pngInfo(png: Uint8Array): PngInfo {
  const chunks = pngChunks(png);
  const ihdr = new DataView(chunks[0].data.buffer, chunks[0].data.byteOffset, chunks[0].data.byteLength);
  const phys = chunks.find((c) => c.type === 'pHYs');
  let dpi: PngInfo['dpi'] = null;
  if (phys && phys.data.length === 9 && phys.data[8] === 1) {
    const v = new DataView(phys.data.buffer, phys.data.byteOffset, 9);
    const toDpi = (ppm: number) => Math.round(ppm * INCH_IN_METRES * 10) / 10;
    dpi = { x: toDpi(v.getUint32(0)), y: toDpi(v.getUint32(4)) };
  }
  return { width: ihdr.getUint32(0), height: ihdr.getUint32(4), dpi };
}
