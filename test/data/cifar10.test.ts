import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import {
  DatasetError,
  loadCifar10,
  loadDataset,
  resolveCifar10Source,
  CIFAR10_CLASS_NAMES,
} from '../../src/main/engine/data/index.js';
import {
  CIFAR_FILES,
  cifarBatch,
  concatBatches,
  tarPack,
  tempDir,
  writeCifarFolder,
  writeFile,
} from './fixtures/writers.js';

const PER = 3; // records per batch file in the fixtures (the official files hold 10,000)
let root: { dir: string; cleanup: () => void };
let folder: ReturnType<typeof writeCifarFolder>;
let expected: { train: ReturnType<typeof concatBatches>; test: ReturnType<typeof concatBatches> };

beforeAll(() => {
  root = tempDir();
  folder = writeCifarFolder(path.join(root.dir, 'extracted'), PER);
  expected = {
    train: concatBatches(CIFAR_FILES.slice(0, 5).map((n) => folder.batches.get(n)!)),
    test: concatBatches([folder.batches.get('test_batch.bin')!]),
  };
});
afterAll(() => root.cleanup());

async function rejectCode(p: Promise<unknown>, code: string, re: RegExp): Promise<void> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(DatasetError);
  expect((e as DatasetError).code).toBe(code);
  expect((e as DatasetError).message).toMatch(re);
}

/** A folder tree copied into a fresh .tar.gz by our ustar writer. */
function packFolder(out: string, entries: { name: string; data?: Uint8Array }[]): string {
  return writeFile(out, gzipSync(tarPack(entries)));
}

function folderEntries(prefix = 'cifar-10-batches-bin'): { name: string; data?: Uint8Array }[] {
  return [
    { name: `${prefix}/` },
    ...[...CIFAR_FILES, 'batches.meta.txt'].map((n) => ({
      name: `${prefix}/${n}`,
      data: readFileSync(path.join(folder.dir, n)),
    })),
  ];
}

describe('CIFAR-10 binary loader', () => {
  it('decodes planar RGB records into NHWC with the right labels (folder)', async () => {
    const ds = await loadDataset({ name: 'cifar10', path: folder.dir, cifar10RecordsPerBatch: PER });
    expect(ds.imageShape).toEqual([32, 32, 3]);
    expect(ds.classNames).toEqual(CIFAR10_CLASS_NAMES);
    expect(ds.train.count).toBe(5 * PER);
    expect(ds.test.count).toBe(PER);
    expect(Buffer.from(ds.train.imagesU8).equals(Buffer.from(expected.train.nhwc))).toBe(true);
    expect(Array.from(ds.train.labels)).toEqual(Array.from(expected.train.labels));
    expect(Buffer.from(ds.test.imagesU8).equals(Buffer.from(expected.test.nhwc))).toBe(true);
    // One pixel by hand: record 1 of test_batch, pixel (y=2, x=5), green = byte 1 + 1024 + 2*32+5 of that record.
    const raw = folder.batches.get('test_batch.bin')!.buf;
    expect(ds.test.imagesU8[3072 + (2 * 32 + 5) * 3 + 1]).toBe(raw[3073 + 1 + 1024 + 2 * 32 + 5]);
  });

  it('finds the data from the parent folder and applies limits across batch files', async () => {
    const ds = await loadCifar10({
      path: path.join(root.dir, 'extracted'),
      recordsPerBatch: PER,
      limit: { train: PER + 1, test: 1 },
    });
    expect(ds.train.count).toBe(PER + 1);
    expect(Buffer.from(ds.train.imagesU8).equals(Buffer.from(expected.train.nhwc.subarray(0, (PER + 1) * 3072)))).toBe(
      true,
    );
    expect(Array.from(ds.test.labels)).toEqual([expected.test.labels[0]]);
  });

  it('reads cifar-10-binary.tar.gz directly (our ustar writer) with the same result', async () => {
    const file = packFolder(path.join(root.dir, 'a', 'cifar-10-binary.tar.gz'), folderEntries());
    const ds = await loadCifar10({ path: file, recordsPerBatch: PER });
    expect(ds.source).toBe(file);
    expect(Buffer.from(ds.train.imagesU8).equals(Buffer.from(expected.train.nhwc))).toBe(true);
    expect(Array.from(ds.test.labels)).toEqual(Array.from(expected.test.labels));
    // A folder holding the archive resolves to the archive.
    expect(await resolveCifar10Source(path.dirname(file))).toEqual({ kind: 'archive', file });
  });

  it.each(['gnu', 'pax'])('reads an archive made by the system tar (%s format, >100-char paths)', async (format) => {
    const dir = path.join(root.dir, `systar-${format}`);
    const out = path.join(dir, 'cifar-10-binary.tar.gz');
    // A deep folder so the entry paths exceed ustar's 100 characters: GNU long-name / pax path records.
    const rel = path.join('x'.repeat(60), 'y'.repeat(50), 'cifar-10-batches-bin');
    for (const n of CIFAR_FILES) writeFile(path.join(dir, 'src', rel, n), readFileSync(path.join(folder.dir, n)));
    execFileSync('tar', [`--format=${format}`, '-czf', out, '-C', path.join(dir, 'src'), rel]);
    const listing = execFileSync('tar', ['-tzf', out], { encoding: 'utf8' });
    expect(listing).toContain(`${rel}/test_batch.bin`);
    const ds = await loadCifar10({ path: out, recordsPerBatch: PER });
    expect(Buffer.from(ds.train.imagesU8).equals(Buffer.from(expected.train.nhwc))).toBe(true);
    expect(Buffer.from(ds.test.imagesU8).equals(Buffer.from(expected.test.nhwc))).toBe(true);
  });

  it('rejects truncated and oversized batch files with the expected size', async () => {
    const dir = path.join(root.dir, 'trunc');
    const f = writeCifarFolder(dir, PER);
    const file = path.join(f.dir, 'data_batch_4.bin');
    writeFileSync(file, readFileSync(file).subarray(0, 3073 * PER - 100));
    await rejectCode(
      loadCifar10({ path: f.dir, recordsPerBatch: PER }),
      'truncated',
      /data_batch_4\.bin: truncated: a CIFAR-10 batch holds 3 records of 3,073 bytes \(9,219 bytes\) but the file has 9,119 bytes\. Re-extract/,
    );
    // Even with a limit that would not read batch 4.
    await rejectCode(
      loadCifar10({ path: f.dir, recordsPerBatch: PER, limit: { train: 1 } }),
      'truncated',
      /data_batch_4\.bin/,
    );
    writeFileSync(file, Buffer.concat([cifarBatch(PER, 1).buf, Buffer.alloc(7)]));
    await rejectCode(loadCifar10({ path: f.dir, recordsPerBatch: PER }), 'oversized', /data_batch_4\.bin: oversized/);
    // The default expects the official 10,000 records per file.
    await rejectCode(loadCifar10({ path: path.join(root.dir, 'extracted') }), 'truncated', /10,000 records/);
  });

  it('rejects a label outside 0..9, a missing batch and a folder without CIFAR-10', async () => {
    const dir = path.join(root.dir, 'bad');
    const f = writeCifarFolder(dir, PER);
    const tb = path.join(f.dir, 'test_batch.bin');
    const buf = readFileSync(tb);
    buf[2 * 3073] = 57;
    writeFileSync(tb, buf);
    await rejectCode(
      loadCifar10({ path: f.dir, recordsPerBatch: PER }),
      'bad-label',
      /test_batch\.bin: record 2 has label 57, outside 0\.\.9/,
    );
    rmSync(path.join(f.dir, 'data_batch_2.bin'));
    await rejectCode(loadCifar10({ path: f.dir, recordsPerBatch: PER }), 'missing', /data_batch_2\.bin: not found/);
    await rejectCode(
      loadCifar10({ path: path.join(root.dir, 'no-such') }),
      'missing',
      /no-such: not found\. Download cifar-10-binary\.tar\.gz .* 'spectral-lab train --data PATH' or dataset\.path/,
    );
    writeFile(path.join(root.dir, 'py', 'data_batch_1'), Buffer.from('pickle'));
    await rejectCode(loadCifar10({ path: path.join(root.dir, 'py') }), 'missing', /Python \(pickle\) version/);
  });

  it('rejects wrong archives: Python version, not gzip/tar, truncated, incomplete', async () => {
    const dir = path.join(root.dir, 'arch');
    const py = packFolder(path.join(dir, 'cifar-10-python.tar.gz'), [
      { name: 'cifar-10-batches-py/data_batch_1', data: Buffer.from('x') },
      { name: 'cifar-10-batches-py/test_batch', data: Buffer.from('y') },
    ]);
    await rejectCode(
      loadCifar10({ path: py }),
      'bad-archive',
      /cifar-10-python\.tar\.gz: wrong archive: this is the Python version/,
    );

    const text = writeFile(
      path.join(dir, 'notes.txt'),
      Buffer.from('hello, this is not an archive at all\n'.repeat(40)),
    );
    await rejectCode(
      loadCifar10({ path: text }),
      'bad-archive',
      /notes\.txt: not a tar archive \(header checksum mismatch/,
    );
    const tiny = writeFile(path.join(dir, 'tiny.bin'), Buffer.from('abc'));
    await rejectCode(loadCifar10({ path: tiny }), 'bad-archive', /tiny\.bin: is not a tar archive/);
    const gzText = writeFile(path.join(dir, 'text.gz'), gzipSync(Buffer.from('plain text '.repeat(100))));
    await rejectCode(loadCifar10({ path: gzText }), 'bad-archive', /inside the gzip stream/);

    const full = readFileSync(packFolder(path.join(dir, 'full.tar.gz'), folderEntries()));
    const cut = writeFile(path.join(dir, 'cut.tar.gz'), full.subarray(0, Math.floor(full.length * 0.6)));
    await rejectCode(
      loadCifar10({ path: cut, recordsPerBatch: PER }),
      'truncated',
      /cut\.tar\.gz: gzip stream ends early/,
    );
    // A tar (not gzip) cut in the middle of an entry.
    const rawTar = tarPack(folderEntries());
    const cutTar = writeFile(path.join(dir, 'cut.tar'), rawTar.subarray(0, 512 * 10 + 100));
    await rejectCode(
      loadCifar10({ path: cutTar, recordsPerBatch: PER }),
      'truncated',
      /cut\.tar: archive ends inside entry cifar-10-batches-bin\//,
    );

    const partial = packFolder(
      path.join(dir, 'partial.tar.gz'),
      folderEntries().filter((e) => !e.name.endsWith('test_batch.bin')),
    );
    await rejectCode(
      loadCifar10({ path: partial, recordsPerBatch: PER }),
      'bad-archive',
      /partial\.tar\.gz: incomplete archive: missing test_batch\.bin/,
    );
    // Entries with the wrong size inside the archive name the entry.
    const entries = folderEntries();
    entries[3] = { name: entries[3].name, data: cifarBatch(PER + 1, 9).buf };
    const wrong = packFolder(path.join(dir, 'wrong-size.tar.gz'), entries);
    await rejectCode(
      loadCifar10({ path: wrong, recordsPerBatch: PER }),
      'oversized',
      /wrong-size\.tar\.gz:cifar-10-batches-bin\/data_batch_3\.bin: oversized/,
    );
    expect(existsSync(wrong)).toBe(true); // nothing is deleted on a bad archive
  });
});
