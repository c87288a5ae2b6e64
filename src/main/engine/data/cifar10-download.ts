/**
 * Fetch the official cifar-10-binary.tar.gz, verify it against the published digests, and move it
 * into place atomically (temp file + rename) so a failed or interrupted download never leaves a
 * file that looks complete.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CIFAR10_ARCHIVE, defaultCifar10Dir } from './cifar10.js';
import { DatasetError, fmtInt } from './types.js';

export const CIFAR10_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz';

export interface ArchiveDigest {
  md5?: string;
  sha256?: string;
  bytes?: number;
}

/**
 * MD5 and size as published on https://www.cs.toronto.edu/~kriz/cifar.html; SHA-256 as recorded by
 * tensorflow/datasets (url_checksums/cifar10.txt) for the same URL and size.
 */
export const CIFAR10_OFFICIAL_DIGEST: Required<ArchiveDigest> = {
  md5: 'c32a1d4ab5d03f1284b67883e8d87530',
  sha256: 'c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd',
  bytes: 170_052_171,
};

const OFFLINE = `no network: download ${CIFAR10_ARCHIVE} on another machine and pass it with 'spectral-lab train --data PATH' or dataset.path in the run config`;

export interface DownloadProgress {
  received: number;
  /** From Content-Length; null when the server does not say. */
  total: number | null;
}

export interface DownloadCifar10Options {
  url?: string;
  onProgress?: (p: DownloadProgress) => void;
  /** Digests to verify against; default the official ones (injectable for tests and mirrors). */
  expected?: ArchiveDigest;
  signal?: AbortSignal;
}

export interface DownloadResult {
  file: string;
  md5: string;
  sha256: string;
  bytes: number;
  /** True when a verified archive was already in place and nothing was fetched. */
  reused: boolean;
}

function hashingTap(onChunk: (n: number) => void): {
  tap: Transform;
  digest: () => { md5: string; sha256: string; bytes: number };
} {
  const md5 = createHash('md5');
  const sha = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      md5.update(chunk);
      sha.update(chunk);
      bytes += chunk.length;
      onChunk(bytes);
      cb(null, chunk);
    },
  });
  return { tap, digest: () => ({ md5: md5.digest('hex'), sha256: sha.digest('hex'), bytes }) };
}

export async function hashFile(file: string): Promise<{ md5: string; sha256: string; bytes: number }> {
  const { tap, digest } = hashingTap(() => {});
  await pipeline(createReadStream(file), tap, async (src: AsyncIterable<Buffer>) => {
    for await (const _ of src) void _;
  });
  return digest();
}

/** Throws a 'checksum' DatasetError when a digest differs from an expected one. */
export function checkDigest(
  file: string,
  got: { md5: string; sha256: string; bytes: number },
  expected: ArchiveDigest,
): void {
  const bad: string[] = [];
  if (expected.bytes !== undefined && got.bytes !== expected.bytes)
    bad.push(`size ${fmtInt(got.bytes)} bytes, expected ${fmtInt(expected.bytes)}`);
  if (expected.md5 && got.md5 !== expected.md5.toLowerCase()) bad.push(`md5 ${got.md5}, expected ${expected.md5}`);
  if (expected.sha256 && got.sha256 !== expected.sha256.toLowerCase())
    bad.push(`sha256 ${got.sha256}, expected ${expected.sha256}`);
  if (bad.length) {
    throw new DatasetError(
      'checksum',
      file,
      `checksum mismatch (${bad.join('; ')}): the archive is corrupt, incomplete or not the official ${CIFAR10_ARCHIVE}. Download it again (or on another machine) and pass it with 'spectral-lab train --data PATH' or dataset.path in the run config.`,
    );
  }
}

/** Verify an archive on disk, e.g. one the user passes with train --data or dataset.path. */
export async function verifyCifar10Archive(
  file: string,
  expected: ArchiveDigest = CIFAR10_OFFICIAL_DIGEST,
): Promise<{ md5: string; sha256: string; bytes: number }> {
  const got = await hashFile(file).catch(() => {
    throw new DatasetError(
      'missing',
      file,
      `cannot read the archive. Check the path given with --data or dataset.path.`,
    );
  });
  checkDigest(file, got, expected);
  return got;
}

function networkError(url: string, err: unknown): DatasetError {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  const why = cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
  return new DatasetError('network', url, `${OFFLINE} (${why}).`);
}

async function writeSha256Record(file: string, sha256: string): Promise<void> {
  await fs.writeFile(`${file}.sha256`, `${sha256}  ${path.basename(file)}\n`);
}

/**
 * Download the archive into `destDir` (default `defaultCifar10Dir()`) and verify it. An already
 * present archive that verifies is reused. Returns the digests; the SHA-256 is also written next to
 * the archive (`cifar-10-binary.tar.gz.sha256`, sha256sum format) for run records.
 */
export async function downloadCifar10(
  destDir: string = defaultCifar10Dir(),
  opts: DownloadCifar10Options = {},
): Promise<DownloadResult> {
  const url = opts.url ?? CIFAR10_URL;
  const expected = opts.expected ?? CIFAR10_OFFICIAL_DIGEST;
  const dest = path.join(destDir, CIFAR10_ARCHIVE);
  await fs.mkdir(destDir, { recursive: true });

  if ((await fs.stat(dest).catch(() => null))?.isFile()) {
    const got = await hashFile(dest);
    try {
      checkDigest(dest, got, expected);
      await writeSha256Record(dest, got.sha256);
      return { file: dest, ...got, reused: true };
    } catch {
      // A bad copy in place is replaced by the download below; rename overwrites it only once verified.
    }
  }

  let res: Response;
  try {
    res = await fetch(url, { signal: opts.signal });
  } catch (err) {
    throw networkError(url, err);
  }
  if (!res.ok || !res.body) {
    throw new DatasetError(
      'network',
      url,
      `server answered HTTP ${res.status} ${res.statusText}. Check the URL, or download ${CIFAR10_ARCHIVE} on another machine and pass it with 'spectral-lab train --data PATH' or dataset.path in the run config.`,
    );
  }
  const lenHeader = res.headers.get('content-length');
  const total = lenHeader ? Number(lenHeader) : null;
  const tmp = path.join(destDir, `.${CIFAR10_ARCHIVE}.${process.pid}.${Date.now()}.part`);
  let received = 0;
  const { tap, digest } = hashingTap((n) => {
    received = n;
    opts.onProgress?.({ received, total });
  });
  try {
    try {
      await pipeline(
        Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>),
        tap,
        createWriteStream(tmp),
      );
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOSPC')
        throw new DatasetError('io', dest, `disk full while downloading. Free space in ${destDir} and retry.`);
      const code = (err as { code?: string }).code ?? (err as { cause?: { code?: string } }).cause?.code ?? String(err);
      throw new DatasetError(
        'network',
        url,
        `download interrupted after ${fmtInt(received)}${total !== null ? ` of ${fmtInt(total)}` : ''} bytes (${code}). Retry, or download ${CIFAR10_ARCHIVE} on another machine and pass it with 'spectral-lab train --data PATH' or dataset.path in the run config.`,
      );
    }
    const got = digest();
    if (total !== null && got.bytes !== total) {
      throw new DatasetError(
        'network',
        url,
        `download interrupted: received ${fmtInt(got.bytes)} of ${fmtInt(total)} bytes. Retry, or download ${CIFAR10_ARCHIVE} on another machine and pass it with 'spectral-lab train --data PATH' or dataset.path in the run config.`,
      );
    }
    checkDigest(url, got, expected);
    await fs.rename(tmp, dest);
    await writeSha256Record(dest, got.sha256);
    return { file: dest, ...got, reused: false };
  } finally {
    await fs.rm(tmp, { force: true });
  }
}
