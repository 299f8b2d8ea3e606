/** File-system helpers shared by the loaders: project paths, gzip, image listings. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { UserError } from '../errors';

/** The project root (lib/data/ and dist/data/ both sit two levels below it). */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/** Where decoded-image caches go: $DTRI_CACHE_DIR, else data/cache/ in the project (git-ignored). */
export function dataCacheDir(): string {
  return process.env.DTRI_CACHE_DIR || path.join(PROJECT_ROOT, 'data', 'cache');
}

export function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The first existing file among `names` joined to each of `dirs`. */
export function findFile(dirs: string[], names: string[]): string | undefined {
  for (const d of dirs) for (const n of names) if (isFile(path.join(d, n))) return path.join(d, n);
  return undefined;
}

/** Reads a file, gunzipping it when it starts with the gzip magic 1f 8b (whatever its name). */
export function readMaybeGzip(file: string): Buffer {
  const buf = fs.readFileSync(file);
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      return zlib.gunzipSync(buf);
    } catch (e) {
      throw new UserError(`${file} is a damaged gzip file (${(e as Error).message}): delete it and fetch the dataset again`);
    }
  }
  return buf;
}

/** 1.5 GiB, 300.0 MiB, 12 bytes: for memory-limit messages. */
export function formatBytes(b: number): string {
  if (b >= 1024 ** 3) return `${(b / 1024 ** 3).toFixed(1)} GiB`;
  if (b >= 1024 ** 2) return `${(b / 1024 ** 2).toFixed(1)} MiB`;
  if (b >= 1024) return `${(b / 1024).toFixed(1)} KiB`;
  return `${b} bytes`;
}

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff', '.avif'];

export function isImageFile(name: string): boolean {
  return IMAGE_EXTENSIONS.includes(path.extname(name).toLowerCase());
}

const NATURAL = new Intl.Collator('en', { numeric: true });

/** Natural order: frame2 before frame10. */
export function naturalCompare(a: string, b: string): number {
  return NATURAL.compare(a, b);
}

/** Every image file under `dir` (recursively, hidden entries skipped), in natural order of path. */
export function listImageFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    const entries = fs.readdirSync(d, { withFileTypes: true }).filter((e) => !e.name.startsWith('.'));
    entries.sort((a, b) => naturalCompare(a.name, b.name));
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if ((e.isFile() || e.isSymbolicLink()) && isImageFile(e.name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/**
 * Images with ImageFolder-style labels: when every image sits in a first-level subfolder, the label
 * is the index of that subfolder in sorted order and classNames are the folder names.
 */
export function listLabelledImages(dir: string): { files: string[]; labels?: Int32Array; classNames?: string[] } {
  const files = listImageFiles(dir);
  const rel = files.map((f) => path.relative(dir, f).split(path.sep));
  if (files.length === 0 || rel.some((r) => r.length < 2)) return { files };
  const classNames = [...new Set(rel.map((r) => r[0]))].sort(naturalCompare);
  const index = new Map(classNames.map((c, i) => [c, i]));
  return { files, labels: Int32Array.from(rel, (r) => index.get(r[0])!), classNames };
}
