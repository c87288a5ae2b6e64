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

/**
 * The tar stream as a state machine fed chunk by chunk: 512-byte headers, then each entry's data
 * (padded to whole blocks), kept only for entries `want` accepts.
 */
class TarParser {
  readonly files = new Map<string, Buffer>();
  readonly names: string[] = [];
  readonly header = Buffer.alloc(BLOCK);
  headerFill = 0;
  remaining = 0; // bytes of the current entry left, padding included
  entryName = '';
  ended = false;
  offset = 0; // uncompressed offset of the next header, for error messages
  private size = 0;
  private target: Buffer | null = null;
  private targetOff = 0;
  private entryKind: 'file' | 'longname' | 'pax' | 'skip' = 'skip';
  private longName: string | null = null;
  private paxName: string | null = null;

  constructor(
    private readonly want: (name: string) => boolean,
    /** The error for a block that is not a tar header (at uncompressed byte `offset`). */
    private readonly notTar: (offset: number) => DatasetError,
  ) {}

  push(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length && !this.ended) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, chunk.length - off);
        if (this.target && this.targetOff < this.size) {
          const k = Math.min(n, this.size - this.targetOff);
          chunk.copy(this.target, this.targetOff, off, off + k);
          this.targetOff += k;
        }
        this.remaining -= n;
        off += n;
        if (this.remaining === 0) this.finishEntry();
        continue;
      }
      const n = Math.min(BLOCK - this.headerFill, chunk.length - off);
      chunk.copy(this.header, this.headerFill, off, off + n);
      this.headerFill += n;
      off += n;
      if (this.headerFill === BLOCK) {
        this.headerFill = 0;
        this.onHeader();
      }
    }
  }

  private finishEntry(): void {
    const target = this.target;
    if (this.entryKind === 'file' && target) this.files.set(this.entryName, target);
    else if (this.entryKind === 'longname' && target) this.longName = cstr(target, 0, target.length);
    else if (this.entryKind === 'pax' && target) this.paxName = paxPath(target);
    this.target = null;
  }

  private onHeader(): void {
    const header = this.header;
    if (header.every((v) => v === 0)) {
      this.ended = true; // first of the two zero blocks that close the archive
      return;
    }
    if (!checksumOk(header)) throw this.notTar(this.offset);
    const ustar = header.toString('latin1', 257, 262) === 'ustar';
    const prefix = ustar ? cstr(header, 345, 155) : '';
    const base = cstr(header, 0, 100);
    this.entryName = this.paxName ?? this.longName ?? (prefix ? `${prefix}/${base}` : base);
    this.longName = null;
    this.paxName = null;
    this.size = parseSize(header);
    this.remaining = Math.ceil(this.size / BLOCK) * BLOCK;
    this.entryKind = this.kindOf(String.fromCharCode(header[156] || 0x30));
    this.target = this.entryKind === 'skip' ? null : Buffer.allocUnsafe(this.size);
    this.targetOff = 0;
    this.offset += BLOCK + this.remaining;
    if (this.remaining === 0) this.finishEntry();
  }

  /** What to do with an entry of this type flag: regular files (0, 7) and directories (5) are listed. */
  private kindOf(type: string): 'file' | 'longname' | 'pax' | 'skip' {
    if (type === 'L') return 'longname';
    if (type === 'x') return 'pax';
    if (type === '0' || type === '7') {
      this.names.push(this.entryName);
      return this.want(this.entryName) ? 'file' : 'skip';
    }
    if (type === '5') this.names.push(this.entryName);
    return 'skip';
  }
}

/** Read a .tar.gz (or plain .tar) archive, keeping the regular files whose path `want` accepts. */
export async function readTarArchive(
  file: string,
  want: (name: string) => boolean,
  remedy: string,
): Promise<TarContents> {
  const fh = await fs.open(file, 'r').catch(() => {
    throw new DatasetError('missing', file, `archive not found or unreadable. ${remedy}`);
  });
  const magic = Buffer.alloc(2);
  await fh.read(magic, 0, 2, 0);
  await fh.close();
  const gz = isGzip(magic);
  const tar = new TarParser(
    want,
    (offset) =>
      new DatasetError(
        'bad-archive',
        file,
        `not a tar archive${gz ? ' inside the gzip stream' : ''} (header checksum mismatch at byte ${offset}). ${remedy}`,
      ),
  );

  // pipeline() may report its own AbortError instead of the error our sink threw; keep ours.
  let sinkError: unknown = null;
  async function consume(source: AsyncIterable<Buffer>): Promise<void> {
    try {
      for await (const chunk of source) tar.push(chunk);
    } catch (err) {
      if (err instanceof DatasetError) sinkError = err;
      throw err;
    }
  }

  try {
    await pipeline(createReadStream(file), gz ? createGunzip() : new PassThrough(), consume);
  } catch (err) {
    if (sinkError) throw sinkError;
    throw gzipError(file, err, remedy);
  }
  if (tar.offset === 0 && tar.names.length === 0 && !tar.ended) {
    throw new DatasetError(
      'bad-archive',
      file,
      `is not a tar${gz ? '.gz' : ''} archive (no complete tar header). ${remedy}`,
    );
  }
  if (tar.remaining > 0 || tar.headerFill > 0) {
    throw new DatasetError(
      'truncated',
      file,
      `archive ends inside entry ${tar.entryName || '(header)'}: the file is truncated. ${remedy}`,
    );
  }
  if (tar.names.length === 0) {
    throw new DatasetError('bad-archive', file, `contains no files (empty tar archive). ${remedy}`);
  }
  return { files: tar.files, names: tar.names };
}
