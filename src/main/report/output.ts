/**
 * Where an export goes (stdout, a file, or a folder of files) and writing it safely: the target is
 * checked before any data is read (no minutes of work for an unwritable path), and each file is
 * written to a temporary name and renamed, so a failed export never leaves half a file behind.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ExportError } from './errors.js';

export type OutputTarget = { kind: 'stdout' } | { kind: 'file'; path: string } | { kind: 'folder'; path: string };

/** A path names a folder when it exists as one or ends with a separator ("out/"). */
export function looksLikeFolder(p: string): boolean {
  if (/[\\/]$/.test(p)) return true;
  try {
    return fs.statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;
  } catch {
    return false; // e.g. ENOTDIR: a part of the path is a file; prepareOutput reports it
  }
}

/**
 * The target of --out. `folderFiles`: whether the format writes several files into a folder (CSV);
 * other formats given a folder write `defaultName` inside it.
 */
export function planOutput(out: string | undefined, folderFiles: boolean, defaultName: string): OutputTarget {
  if (out === undefined || out === '-') return { kind: 'stdout' };
  const abs = path.resolve(out);
  if (looksLikeFolder(out))
    return folderFiles ? { kind: 'folder', path: abs } : { kind: 'file', path: path.join(abs, defaultName) };
  return { kind: 'file', path: abs };
}

function unwritable(p: string, reason: string): ExportError {
  return new ExportError(
    `Cannot write --out ${p}: ${reason}. Choose a path in a folder you can write to (or leave out --out to print to stdout).`,
    1,
  );
}

function reasonOf(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'EACCES' || e.code === 'EPERM') return 'permission denied';
  if (e.code === 'ENOTDIR') return 'a part of the path is a file, not a folder';
  if (e.code === 'EROFS') return 'the file system is read-only';
  if (e.code === 'ENOSPC' || e.code === 'EDQUOT')
    return 'the disk is full (nothing was left behind; free some space or choose another disk)';
  return e.message ?? String(err);
}

/** The nearest folder of `dir` (itself or a parent) that exists. */
function existingAncestor(dir: string): string {
  let d = dir;
  while (!fs.existsSync(d) && path.dirname(d) !== d) d = path.dirname(d);
  return d;
}

/**
 * Checks the target can be written (the folder, or the nearest existing parent of a folder to be
 * created) without creating anything: a failed export leaves no empty folder behind.
 */
export function prepareOutput(target: OutputTarget): void {
  if (target.kind === 'stdout') return;
  const dir = target.kind === 'folder' ? target.path : path.dirname(target.path);
  try {
    const existing = existingAncestor(dir);
    if (!fs.statSync(existing).isDirectory()) throw unwritable(existing, 'it is a file, not a folder');
    fs.accessSync(existing, fs.constants.W_OK);
  } catch (err) {
    if (err instanceof ExportError) throw err;
    throw unwritable(target.path, reasonOf(err));
  }
  if (target.kind === 'file') {
    const st = fs.statSync(target.path, { throwIfNoEntry: false });
    if (st?.isDirectory()) throw unwritable(target.path, 'it is a folder');
    if (st) {
      try {
        fs.accessSync(target.path, fs.constants.W_OK);
      } catch (err) {
        throw unwritable(target.path, reasonOf(err));
      }
    }
  }
}

/** Creates `dir` and its missing parents; returns the outermost folder it created (null: none). */
function makeFolders(dir: string): string | null {
  return fs.mkdirSync(dir, { recursive: true }) ?? null;
}

function writeContent(file: string, content: string | Uint8Array): void {
  if (typeof content === 'string') fs.writeFileSync(file, content, 'utf8');
  else fs.writeFileSync(file, content);
}

/** Writes through a temporary file in the same folder and renames it over the target. */
export function writeFileAtomic(file: string, content: string | Uint8Array): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  let created: string | null = null;
  try {
    created = makeFolders(path.dirname(file));
    writeContent(tmp, content);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    if (created) fs.rmSync(created, { recursive: true, force: true });
    throw unwritable(file, reasonOf(err));
  }
}

/**
 * Writes several files into `dir` all or nothing: first into a temporary folder next to it, then
 * renamed into place (a rename needs no space), so a full disk leaves no half-written folder.
 */
export function writeFilesAtomic(dir: string, files: Record<string, string | Uint8Array>): void {
  const tmp = path.join(path.dirname(dir), `.${path.basename(dir)}.${process.pid}.tmp`);
  let created: string | null = null;
  try {
    created = makeFolders(path.dirname(dir));
    fs.mkdirSync(tmp);
    for (const [name, content] of Object.entries(files)) writeContent(path.join(tmp, name), content);
    if (!fs.existsSync(dir)) fs.renameSync(tmp, dir);
    else {
      for (const name of Object.keys(files)) fs.renameSync(path.join(tmp, name), path.join(dir, name));
      fs.rmdirSync(tmp);
    }
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (created) fs.rmSync(created, { recursive: true, force: true });
    throw unwritable(dir, reasonOf(err));
  }
}
