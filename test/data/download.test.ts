import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import {
  CIFAR10_OFFICIAL_DIGEST,
  DatasetError,
  downloadCifar10,
  loadCifar10,
  verifyCifar10Archive,
} from '../../src/main/engine/data/index.js';
import { CIFAR_FILES, cifarBatch, tarPack, tempDir } from './fixtures/writers.js';

const PER = 2;
const archive = gzipSync(
  tarPack(CIFAR_FILES.map((n, i) => ({ name: `cifar-10-batches-bin/${n}`, data: cifarBatch(PER, 40 + i).buf }))),
);
const digest = {
  md5: createHash('md5').update(archive).digest('hex'),
  sha256: createHash('sha256').update(archive).digest('hex'),
  bytes: archive.length,
};

let server: Server;
let base = '';
let hits = 0;
let root: { dir: string; cleanup: () => void };

beforeAll(async () => {
  root = tempDir();
  server = createServer((req, res) => {
    hits++;
    if (req.url === '/cifar-10-binary.tar.gz') {
      res.writeHead(200, { 'content-length': archive.length, 'content-type': 'application/gzip' });
      // Two writes so progress is reported more than once.
      res.write(archive.subarray(0, archive.length >> 1));
      setTimeout(() => res.end(archive.subarray(archive.length >> 1)), 5);
    } else if (req.url === '/cut') {
      res.writeHead(200, { 'content-length': archive.length });
      res.write(archive.subarray(0, 1000));
      setTimeout(() => res.destroy(), 5);
    } else {
      res.writeHead(404).end('not here');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  root.cleanup();
});

async function failure(p: Promise<unknown>): Promise<DatasetError> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(DatasetError);
  return e as DatasetError;
}

const leftovers = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.includes('.part')) : []);

describe('downloadCifar10', () => {
  it('downloads, verifies md5 + sha256 + size, reports progress, and the result loads', async () => {
    const dest = path.join(root.dir, 'ok');
    const progress: { received: number; total: number | null }[] = [];
    const r = await downloadCifar10(dest, {
      url: `${base}/cifar-10-binary.tar.gz`,
      expected: digest,
      onProgress: (p) => progress.push(p),
    });
    expect(r).toMatchObject({ md5: digest.md5, sha256: digest.sha256, bytes: digest.bytes, reused: false });
    expect(readFileSync(r.file).equals(archive)).toBe(true);
    expect(readFileSync(`${r.file}.sha256`, 'utf8')).toBe(`${digest.sha256}  cifar-10-binary.tar.gz\n`);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toEqual({ received: archive.length, total: archive.length });
    expect(leftovers(dest)).toEqual([]);
    const ds = await loadCifar10({ path: dest, recordsPerBatch: PER });
    expect(ds.train.count).toBe(5 * PER);
    expect(Array.from(ds.test.labels)).toEqual(Array.from(cifarBatch(PER, 45).labels));

    // A verified archive already in place is reused without a request.
    const before = hits;
    const again = await downloadCifar10(dest, { url: `${base}/cifar-10-binary.tar.gz`, expected: digest });
    expect(again.reused).toBe(true);
    expect(hits).toBe(before);
  });

  it('rejects a checksum mismatch and leaves no file behind', async () => {
    const dest = path.join(root.dir, 'bad');
    const e = await failure(downloadCifar10(dest, { url: `${base}/cifar-10-binary.tar.gz` })); // official digests: the fake differs
    expect(e.code).toBe('checksum');
    expect(e.message).toContain(`md5 ${digest.md5}, expected ${CIFAR10_OFFICIAL_DIGEST.md5}`);
    expect(e.message).toContain("'spectral-lab train --data PATH' or dataset.path");
    expect(readdirSync(dest)).toEqual([]);
    const e2 = await failure(
      downloadCifar10(dest, { url: `${base}/cifar-10-binary.tar.gz`, expected: { sha256: '0'.repeat(64) } }),
    );
    expect(e2.message).toMatch(/sha256 [0-9a-f]{64}, expected 0{64}/);
    expect(readdirSync(dest)).toEqual([]);
  });

  it('replaces a corrupt archive in place only with a verified download', async () => {
    const dest = path.join(root.dir, 'replace');
    await downloadCifar10(dest, { url: `${base}/cifar-10-binary.tar.gz`, expected: digest });
    const file = path.join(dest, 'cifar-10-binary.tar.gz');
    writeFileSync(file, 'corrupt');
    await failure(downloadCifar10(dest, { url: `${base}/cut`, expected: digest }));
    expect(readFileSync(file, 'utf8')).toBe('corrupt'); // untouched by a failed download
    const r = await downloadCifar10(dest, { url: `${base}/cifar-10-binary.tar.gz`, expected: digest });
    expect(r.reused).toBe(false);
    expect(readFileSync(file).equals(archive)).toBe(true);
  });

  it('explains HTTP errors, interrupted transfers and having no network', async () => {
    const dest = path.join(root.dir, 'net');
    const e404 = await failure(downloadCifar10(dest, { url: `${base}/missing`, expected: digest }));
    expect(e404.code).toBe('network');
    expect(e404.message).toMatch(/HTTP 404/);
    const cut = await failure(downloadCifar10(dest, { url: `${base}/cut`, expected: digest }));
    expect(cut.code).toBe('network');
    expect(cut.message).toMatch(/download interrupted after [\d,]+ of [\d,]+ bytes/);
    expect(leftovers(dest)).toEqual([]);
    expect(existsSync(path.join(dest, 'cifar-10-binary.tar.gz'))).toBe(false);
    // A port nobody listens on: what the user sees on an offline machine.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const off = await failure(downloadCifar10(dest, { url: `http://127.0.0.1:${port}/x.tar.gz` }));
    expect(off.code).toBe('network');
    expect(off.message).toContain(
      "no network: download cifar-10-binary.tar.gz on another machine and pass it with 'spectral-lab train --data PATH' or dataset.path in the run config",
    );
    expect(off.message).toMatch(/ECONNREFUSED/);
  });

  it('verifyCifar10Archive checks an imported file against the official digests', async () => {
    const file = path.join(root.dir, 'import.tar.gz');
    writeFileSync(file, archive);
    expect(await verifyCifar10Archive(file, digest)).toEqual(digest);
    const e = await failure(verifyCifar10Archive(file));
    expect(e.code).toBe('checksum');
    expect(e.message).toContain(`size ${digest.bytes.toLocaleString('en-US')} bytes, expected 170,052,171`);
    expect((await failure(verifyCifar10Archive(path.join(root.dir, 'nope.tar.gz')))).code).toBe('missing');
  });
});
