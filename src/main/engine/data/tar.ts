/**
 * A small streaming tar reader (ustar + GNU long names + pax paths), fed through zlib gunzip, so the
 * official cifar-10-binary.tar.gz loads without extracting it and without an npm dependency.
 * Only entries selected by `want` are kept in memory.
 */
import { createReadStream, promises as fs } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipError, isGzip } from './files.js';
import { DatasetError } from './types.js';

const BLOCK = 512;

export interface TarContents {
  /** Kept entries by full path inside the archive. */
  files: Map<string, Buffer>;
  /** Every entry path seen, in archive order (to explain a wrong archive). */
  names: string[];
}

function cstr(b: Buffer, off: number, len: number): string {
  const end = b.indexOf(0, off);
  return b.toString('utf8', off, end >= 0 && end < off + len ? end : off + len);
}

function parseSize(b: Buffer): number {
  // GNU base-256 for entries >= 8 GiB: high bit of the first byte set.
  if (b[124] & 0x80) {
    let v = b[124] & 0x7f;
    for (let i = 125; i < 136; i++) v = v * 256 + b[i];
    return v;
  }
  return parseInt(cstr(b, 124, 12).trim() || '0', 8);
}

function checksumOk(b: Buffer): boolean {
  const stored = parseInt(cstr(b, 148, 8).trim(), 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : b[i];
  return stored === sum;
}

function paxPath(data: Buffer): string | null {
  // Records are "<len> key=value\n".
  const text = data.toString('utf8');
  const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(text);
  return m ? m[1] : null;
}

/** Read a .tar.gz (or plain .tar) archive, keeping the regular files whose path `want` accepts. */
export async function readTarArchive(file: string, want: (name: string) => boolean, remedy: string): Promise<TarContents> {
  const fh = await fs.open(file, 'r').catch(() => {
    throw new DatasetError('missing', file, `archive not found or unreadable. ${remedy}`);
  });
  const magic = Buffer.alloc(2);
  await fh.read(magic, 0, 2, 0);
  await fh.close();
  const gz = isGzip(magic);

  const files = new Map<string, Buffer>();
  const names: string[] = [];
  const header = Buffer.alloc(BLOCK);
  let headerFill = 0;
  let remaining = 0; // bytes of the current entry left, padding included
  let size = 0;
  let target: Buffer | null = null;
  let targetOff = 0;
  let entryName = '';
  let entryKind: 'file' | 'longname' | 'pax' | 'skip' = 'skip';
  let longName: string | null = null;
  let paxName: string | null = null;
  let ended = false;
  let offset = 0; // uncompressed offset of the next header, for error messages

  const finishEntry = (): void => {
    if (entryKind === 'file' && target) files.set(entryName, target);
    else if (entryKind === 'longname' && target) longName = cstr(target, 0, target.length);
    else if (entryKind === 'pax' && target) paxName = paxPath(target);
    target = null;
  };

  const onHeader = (): void => {
    if (header.every((v) => v === 0)) {
      ended = true; // first of the two zero blocks that close the archive
      return;
    }
    if (!checksumOk(header)) {
      throw new DatasetError('bad-archive', file, `not a tar archive${gz ? ' inside the gzip stream' : ''} (header checksum mismatch at byte ${offset}). ${remedy}`);
    }
    const ustar = header.toString('latin1', 257, 262) === 'ustar';
    const prefix = ustar ? cstr(header, 345, 155) : '';
    const base = cstr(header, 0, 100);
    entryName = paxName ?? longName ?? (prefix ? `${prefix}/${base}` : base);
    longName = null;
    paxName = null;
    size = parseSize(header);
    remaining = Math.ceil(size / BLOCK) * BLOCK;
    const type = String.fromCharCode(header[156] || 0x30);
    if (type === 'L') entryKind = 'longname';
    else if (type === 'x') entryKind = 'pax';
    else if (type === '0' || type === '7') {
      names.push(entryName);
      entryKind = want(entryName) ? 'file' : 'skip';
    } else {
      if (type === '5') names.push(entryName);
      entryKind = 'skip';
    }
    target = entryKind === 'skip' ? null : Buffer.allocUnsafe(size);
    targetOff = 0;
    offset += BLOCK + remaining;
    if (remaining === 0) finishEntry();
  };

  // pipeline() may report its own AbortError instead of the error our sink threw; keep ours.
  let sinkError: unknown = null;
  async function consume(source: AsyncIterable<Buffer>): Promise<void> {
    try {
      await walk(source);
    } catch (err) {
      if (err instanceof DatasetError) sinkError = err;
      throw err;
    }
  }
  async function walk(source: AsyncIterable<Buffer>): Promise<void> {
    for await (const chunk of source) {
      let off = 0;
      while (off < chunk.length && !ended) {
        if (remaining > 0) {
          const n = Math.min(remaining, chunk.length - off);
          if (target && targetOff < size) {
            const k = Math.min(n, size - targetOff);
            chunk.copy(target, targetOff, off, off + k);
            targetOff += k;
          }
          remaining -= n;
          off += n;
          if (remaining === 0) finishEntry();
          continue;
        }
        const n = Math.min(BLOCK - headerFill, chunk.length - off);
        chunk.copy(header, headerFill, off, off + n);
        headerFill += n;
        off += n;
        if (headerFill === BLOCK) {
          headerFill = 0;
          onHeader();
        }
      }
    }
  }

  try {
    await pipeline(createReadStream(file), gz ? createGunzip() : new PassThrough(), consume);
  } catch (err) {
    if (sinkError) throw sinkError;
    throw gzipError(file, err, remedy);
  }
  if (offset === 0 && names.length === 0 && !ended) {
    throw new DatasetError('bad-archive', file, `is not a tar${gz ? '.gz' : ''} archive (no complete tar header). ${remedy}`);
  }
  if (remaining > 0 || headerFill > 0) {
    throw new DatasetError('truncated', file, `archive ends inside entry ${entryName || '(header)'}: the file is truncated. ${remedy}`);
  }
  if (names.length === 0) {
    throw new DatasetError('bad-archive', file, `contains no files (empty tar archive). ${remedy}`);
  }
  return { files, names };
}
