import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, dpiToPixelsPerMetre, pngChunks, pngInfo, withDpi } from '../../src/renderer/src/lib/png-phys.js';

/** A real w×h RGB PNG (one filter byte per row), built with zlib like any encoder. */
function rgbPng(w: number, h: number): Uint8Array {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const raw = Buffer.alloc(h * (1 + 3 * w), 255);
  for (let y = 0; y < h; y++) raw[y * (1 + 3 * w)] = 0;
  const sig = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);
  return new Uint8Array(
    Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]),
  );
}

describe('PNG print resolution (pHYs)', () => {
  it('computes the PNG CRC-32 (check value of "123456789" and the IEND chunk)', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new TextEncoder().encode('IEND'))).toBe(0xae426082);
  });

  it('writes a pHYs chunk right after IHDR, in pixels per metre, with a valid CRC', () => {
    const png = withDpi(rgbPng(30, 20), 300);
    const chunks = pngChunks(png);
    expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'pHYs', 'IDAT', 'IEND']);
    const phys = chunks[1];
    const view = new DataView(png.buffer, phys.offset);
    expect(view.getUint32(0)).toBe(9);
    expect(view.getUint32(8)).toBe(11811); // 300 / 0.0254
    expect(view.getUint32(12)).toBe(11811);
    expect(png[phys.offset + 16]).toBe(1); // metre
    const crcStored = view.getUint32(17);
    expect(crcStored).toBe(crc32(png.subarray(phys.offset + 4, phys.offset + 17)));
    expect(pngInfo(png)).toEqual({ width: 30, height: 20, dpi: { x: 300, y: 300 } });
    expect(dpiToPixelsPerMetre(192)).toBe(7559);
  });

  it('replaces an earlier pHYs instead of adding a second one, and keeps the image data', () => {
    const src = rgbPng(4, 4);
    const twice = withDpi(withDpi(src, 72), 192);
    expect(pngChunks(twice).filter((c) => c.type === 'pHYs')).toHaveLength(1);
    expect(pngInfo(twice).dpi).toEqual({ x: 192, y: 192 });
    expect(twice.length).toBe(src.length + 21);
    expect(Buffer.from(pngChunks(twice)[2].data)).toEqual(Buffer.from(pngChunks(src)[1].data));
    expect(pngInfo(src).dpi).toBeNull();
  });

  it('refuses what is not a PNG and a resolution that is not positive', () => {
    expect(() => withDpi(new Uint8Array([1, 2, 3]), 300)).toThrow(/Not a PNG/);
    expect(() => withDpi(rgbPng(2, 2), 0)).toThrow(/positive number of dots per inch/);
    const cut = rgbPng(2, 2).subarray(0, 40);
    expect(() => pngChunks(cut)).toThrow(/past the end/);
  });
});
