/**
 * Downloading the datasets on a machine with internet access (this project's build machines have
 * none: there, use the Debian packages or copy the files in). Every official file has its published
 * checksum; an archive is verified before it is unpacked, and unpacked with path checks (no entry may
 * escape the target folder). Run: node -r ts-node/register/transpile-only data/fetch.ts NAME [DIR].
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { UserError } from '../errors';
import { ZipReader } from './zip';

export const FETCH_SCRIPT = 'node -r ts-node/register/transpile-only data/fetch.ts';

export function fetchCommand(name: string): string {
  return `${FETCH_SCRIPT} ${name}`;
}

export interface RemoteFile {
  url: string;
  /** Name to save under the dataset folder. */
  file: string;
  md5?: string;
  sha256?: string;
  bytes?: number;
  /** Unpack into the dataset folder after verification (then delete the archive unless keepArchives). */
  extract?: 'tar.gz' | 'zip';
}

export interface FetchRecipe {
  title: string;
  files: RemoteFile[];
  licence: string;
  /** Set when no automatic download exists: what the user has to do instead. */
  manual?: string;
}

const MNIST_MIRROR = 'https://ossci-datasets.s3.amazonaws.com/mnist/';
const FASHION = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/';

/** The four IDX files of an MNIST-format dataset, in the order idxFiles takes their md5s. */
const IDX_FILES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'] as const;

/** The IDX files of an MNIST-format dataset under `mirror` with their md5s (train images, train labels, test images, test labels). */
function idxFiles(mirror: string, md5: readonly [string, string, string, string]): RemoteFile[] {
  return IDX_FILES.map((file, i) => ({ url: `${mirror}${file}`, file, md5: md5[i] }));
}

/** Official files and their published checksums (md5s as pinned by torchvision; sha256 where published). */
export const FETCH_RECIPES: Record<string, FetchRecipe> = {
  mnist: {
    title: 'MNIST',
    licence: 'CC BY-SA 3.0 (Y. LeCun, C. Cortes, C. Burges); yann.lecun.com is often unreachable, so the PyTorch mirror is used',
    files: idxFiles(MNIST_MIRROR, ['f68b3c2dcbeaaa9fbdd348bbdeb94873', 'd53e105ee54ea40749a09fcbcd1e9432', '9fb629c4189551a2d022fa330f9573f3', 'ec29112dd5afa0611ce80d1b7f02629c']),
  },
  'fashion-mnist': {
    title: 'Fashion-MNIST',
    licence: 'MIT (Zalando Research)',
    files: idxFiles(FASHION, ['8d4fb7e6c68d591d4c3dfef9ec88bf0d', '25c81989df183df01b3e8a0aad5dffbe', 'bef4ecab320f06d8554ea6380940ec79', 'bb300cfdad3c16e7a12a480ee83cd310']),
  },
  cifar10: {
    title: 'CIFAR-10 (binary version)',
    licence: 'no formal licence; cite Krizhevsky (2009), "Learning Multiple Layers of Features from Tiny Images"',
    files: [
      {
        url: 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz',
        file: 'cifar-10-binary.tar.gz',
        md5: 'c32a1d4ab5d03f1284b67883e8d87530',
        sha256: 'c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd',
        bytes: 170052171,
        extract: 'tar.gz',
      },
    ],
  },
  svhn: {
    title: 'SVHN (Format 2, cropped digits)',
    licence: 'non-commercial use only (Netzer et al. 2011)',
    files: [
      { url: 'http://ufldl.stanford.edu/housenumbers/train_32x32.mat', file: 'train_32x32.mat', md5: 'e26dedcc434d2e4c54c9b2d4a06d8373', bytes: 182040794 },
      { url: 'http://ufldl.stanford.edu/housenumbers/test_32x32.mat', file: 'test_32x32.mat', md5: 'eb5a983be6a315427106f1b164d9cef3', bytes: 64275384 },
    ],
  },
  dtd: {
    title: 'Describable Textures Dataset r1.0.1',
    licence: 'research use (Cimpoi et al. 2014); images from Flickr, see the DTD page',
    files: [
      {
        url: 'https://www.robots.ox.ac.uk/~vgg/data/dtd/download/dtd-r1.0.1.tar.gz',
        file: 'dtd-r1.0.1.tar.gz',
        md5: 'fff73e5086ae6bdbea199a49dfb8a4c1',
        sha256: 'e42855a52a4950a3b59612834602aa253914755c95b0cff9ead6d07395f8e205',
        bytes: 625239812,
        extract: 'tar.gz',
      },
    ],
  },
  celeba: {
    title: 'CelebA (aligned and cropped, img_align_celeba.zip)',
    licence: 'non-commercial research only (CelebA agreement, MMLAB CUHK)',
    files: [
      {
        // Google Drive file 0B7EVK8r0v71pZjFTYXZWM3FlRnM; confirm=t skips the large-file warning page.
        url: 'https://drive.usercontent.google.com/download?id=0B7EVK8r0v71pZjFTYXZWM3FlRnM&export=download&confirm=t',
        file: 'img_align_celeba.zip',
        md5: '00d2c5bc6d35e252742224ab0c1e8fcb',
        extract: 'zip',
      },
    ],
  },
  'celeba-hq': {
    title: 'CelebA-HQ',
    licence: 'non-commercial research only (derived from CelebA; Karras et al. 2018)',
    files: [],
    manual: 'CelebA-HQ has no direct download: build it with progressive_growing_of_gans/dataset_tool.py create_celebahq (needs CelebA and the delta files), or use a copy of the 30,000 1024×1024 PNGs, and put the images in DIR/celeba-hq/',
  },
  'lsun-bedroom': lsunRecipe('bedroom'),
  'lsun-tower': lsunRecipe('tower'),
  'lsun-church': lsunRecipe('church_outdoor'),
  imagenet32: {
    title: 'Downsampled ImageNet 32×32 (Chrabaszcz et al. 2017)',
    licence: 'ImageNet terms of access (non-commercial research)',
    files: [],
    manual: 'download Imagenet32_train_npz.zip and Imagenet32_val_npz.zip from https://image-net.org/download-images (needs an ImageNet account) and unzip both into DIR/imagenet32/ (the pickled-batch variant is not supported: take the npz one)',
  },
  dyntex: {
    title: 'DynTex',
    licence: 'research use (Péteri et al. 2010); registration at https://dyntex.univ-lr.fr/',
    files: [],
    manual: 'download DynTex videos from https://dyntex.univ-lr.fr/ and convert each to a folder of frames with data/dyntex_frames.sh (ffmpeg) into DIR/dyntex/<clip>/',
  },
};

function lsunRecipe(category: string): FetchRecipe {
  return {
    title: `LSUN ${category}`,
    licence: 'research use (Yu et al. 2015)',
    files: [],
    manual: `download ${category}_train_lmdb.zip from http://dl.yf.io/lsun/scenes/, unzip, and export it to images with: python3 data/lsun_export.py ${category}_train_lmdb DIR/lsun-${category === 'church_outdoor' ? 'church' : category} (needs python3-lmdb)`,
  };
}

/** Hex digest of a file, streamed. */
export async function fileDigest(file: string, algorithm: 'md5' | 'sha256'): Promise<string> {
  const hash = crypto.createHash(algorithm);
  await pipeline(fs.createReadStream(file), hash);
  return hash.digest('hex');
}

/** Throws a UserError naming the file when its size or a checksum differs from the expected one. */
export async function verifyChecksum(file: string, expected: { md5?: string; sha256?: string; bytes?: number }): Promise<void> {
  const redo = `delete ${file} and fetch it again`;
  if (!fs.existsSync(file)) throw new UserError(`${file} does not exist: fetch it again`);
  if (expected.bytes !== undefined) {
    const size = fs.statSync(file).size;
    if (size !== expected.bytes) throw new UserError(`${file} has ${size} bytes, expected ${expected.bytes} (incomplete download?): ${redo}`);
  }
  for (const algo of ['md5', 'sha256'] as const) {
    const want = expected[algo];
    if (!want) continue;
    const got = await fileDigest(file, algo);
    if (got !== want.toLowerCase()) throw new UserError(`checksum mismatch for ${file}: ${algo} is ${got}, expected ${want}: ${redo}`);
  }
}

/** `entry` joined to `dest`, refusing absolute paths and '..' that would write outside `dest`. */
function safeJoin(dest: string, entry: string, archive: string): string {
  const target = path.resolve(dest, entry);
  const root = path.resolve(dest);
  if (path.isAbsolute(entry) || (target !== root && !target.startsWith(root + path.sep))) {
    throw new UserError(`${archive}: entry "${entry}" would be written outside ${dest}: refusing to unpack this archive`);
  }
  return target;
}

function parseOctal(b: Buffer, start: number, len: number): number {
  // GNU base-256 for sizes ≥ 8 GiB: high bit of the first byte set.
  if (b[start] & 0x80) {
    let v = 0;
    for (let i = start + 1; i < start + len; i++) v = v * 256 + b[i];
    return v;
  }
  const s = b.toString('latin1', start, start + len).replace(/\0.*$/s, '').trim();
  return s ? parseInt(s, 8) : 0;
}

function cString(b: Buffer, start: number, len: number): string {
  const s = b.toString('utf8', start, start + len);
  const z = s.indexOf('\0');
  return z < 0 ? s : s.slice(0, z);
}

/**
 * Unpacks a .tar.gz (ustar, GNU long names, pax path records) into `dest`, streaming; regular files and
 * folders only (links are skipped). Returns the relative paths of the files written.
 */
export async function extractTarGz(archive: string, dest: string): Promise<string[]> {
  fs.mkdirSync(dest, { recursive: true });
  const written: string[] = [];
  const damaged = (why: string) => new UserError(`${archive} is damaged (${why}): delete it and fetch it again`);
  let pending = Buffer.alloc(0);
  let body: { remaining: number; padding: number; fd?: number; meta?: 'L' | 'x' } | undefined;
  let longName: string | undefined;
  let paxData: Buffer[] | undefined;
  let ended = false;
  let zeroBlocks = 0;

  const startEntry = (header: Buffer) => {
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : header[i];
    if (sum !== parseOctal(header, 148, 8)) throw damaged('bad tar header checksum');
    const size = parseOctal(header, 124, 12);
    const type = String.fromCharCode(header[156] || 48);
    const prefix = header.toString('latin1', 257, 262) === 'ustar' ? cString(header, 345, 155) : '';
    const name = longName ?? (prefix ? `${prefix}/${cString(header, 0, 100)}` : cString(header, 0, 100));
    longName = undefined;
    const padding = (512 - (size % 512)) % 512;
    if (type === 'L' || type === 'x') {
      paxData = [];
      body = { remaining: size, padding, meta: type };
      return;
    }
    if (type === '0' || type === '7') {
      const target = safeJoin(dest, name, archive);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      body = { remaining: size, padding, fd: fs.openSync(target, 'w') };
      written.push(name);
    } else {
      if (type === '5') fs.mkdirSync(safeJoin(dest, name, archive), { recursive: true });
      body = { remaining: size, padding };
    }
  };

  const finishMeta = (kind: 'L' | 'x') => {
    const data = Buffer.concat(paxData ?? []);
    paxData = undefined;
    if (kind === 'L') longName = cString(data, 0, data.length);
    else {
      // pax records: "<len> key=value\n"
      for (const rec of data.toString('utf8').split('\n')) {
        const m = /^\d+ path=(.*)$/s.exec(rec);
        if (m) longName = m[1];
      }
    }
  };

  const input = fs.createReadStream(archive).pipe(zlib.createGunzip());
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      let off = 0;
      while (!ended) {
        if (body) {
          const take = Math.min(body.remaining, pending.length - off);
          if (take > 0) {
            const part = pending.subarray(off, off + take);
            if (body.fd !== undefined) fs.writeSync(body.fd, part);
            else if (paxData) paxData.push(Buffer.from(part));
            body.remaining -= take;
            off += take;
          }
          if (body.remaining > 0) break;
          const skip = Math.min(body.padding, pending.length - off);
          body.padding -= skip;
          off += skip;
          if (body.padding > 0) break;
          if (body.fd !== undefined) fs.closeSync(body.fd);
          const meta = body.meta;
          body = undefined;
          if (meta) finishMeta(meta);
          continue;
        }
        if (pending.length - off < 512) break;
        const header = pending.subarray(off, off + 512);
        off += 512;
        if (header.every((b) => b === 0)) {
          if (++zeroBlocks === 2) ended = true;
          continue;
        }
        zeroBlocks = 0;
        startEntry(header);
      }
      pending = pending.subarray(off);
    }
  } catch (e) {
    if (body?.fd !== undefined) fs.closeSync(body.fd);
    if (e instanceof UserError) throw e;
    throw damaged((e as Error).message);
  }
  if (body) {
    if (body.fd !== undefined) fs.closeSync(body.fd);
    throw damaged('it ends inside a file');
  }
  if (!ended && written.length === 0) throw damaged('no tar entries');
  return written;
}

/** Unpacks every file of a ZIP archive into `dest`. Returns the relative paths written. */
export function extractZip(archive: string, dest: string): string[] {
  const zip = ZipReader.open(archive);
  try {
    const written: string[] = [];
    for (const e of zip.entries) {
      const target = safeJoin(dest, e.name, archive);
      if (e.name.endsWith('/')) {
        fs.mkdirSync(target, { recursive: true });
        continue;
      }
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, zip.read(e));
      written.push(e.name);
    }
    return written;
  } finally {
    zip.close();
  }
}

/** Streams `url` to `dest` (through a temporary file, renamed when complete). */
export async function downloadFile(url: string, dest: string, fetchImpl: typeof fetch = fetch): Promise<void> {
  let res: Response;
  try {
    res = await fetchImpl(url, { redirect: 'follow' });
  } catch (e) {
    throw new UserError(`cannot download ${url} (${(e as Error).message}): check the internet connection, or download it by hand to ${dest}`);
  }
  if (!res.ok || !res.body) throw new UserError(`download of ${url} failed with HTTP ${res.status}: download it by hand to ${dest}`);
  if ((res.headers.get('content-type') ?? '').startsWith('text/html') && !url.endsWith('.html')) {
    throw new UserError(`${url} returned a web page instead of the file (a login or quota page?): download it with a browser to ${dest}`);
  }
  const tmp = `${dest}.part`;
  await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), fs.createWriteStream(tmp));
  fs.renameSync(tmp, dest);
}

export interface FetchOptions {
  log?: (line: string) => void;
  keepArchives?: boolean;
  fetchImpl?: typeof fetch;
}

/**
 * Downloads `name` into DIR/<name>/ in the layout loadDataset expects, verifying every checksum.
 * Files already present with the right checksum are not downloaded again. Returns the dataset folder.
 */
export async function fetchDataset(name: string, dir: string, opts: FetchOptions = {}): Promise<string> {
  const recipe = FETCH_RECIPES[name];
  if (!recipe) {
    throw new UserError(`no download recipe for "${name}": fetchable datasets are ${Object.keys(FETCH_RECIPES).join(', ')} (toy2d-*, uniform-noise, constant and texture:brick|grass|gravel need no download)`);
  }
  if (recipe.manual) throw new UserError(`${recipe.title} cannot be fetched automatically: ${recipe.manual.replace(/DIR/g, dir)}`);
  const log = opts.log ?? (() => undefined);
  const target = path.join(dir, name);
  fs.mkdirSync(target, { recursive: true });
  for (const f of recipe.files) {
    const file = path.join(target, f.file);
    let ok = false;
    if (fs.existsSync(file)) {
      try {
        await verifyChecksum(file, f);
        ok = true;
        log(`${f.file}: already present, checksum ok`);
      } catch {
        log(`${f.file}: present but its checksum differs; downloading again`);
      }
    }
    if (!ok) {
      log(`downloading ${f.url}`);
      await downloadFile(f.url, file, opts.fetchImpl);
      await verifyChecksum(file, f);
      log(`${f.file}: checksum ok`);
    }
    if (f.extract) {
      log(`unpacking ${f.file}`);
      const files = f.extract === 'tar.gz' ? await extractTarGz(file, target) : extractZip(file, target);
      log(`${files.length} files unpacked`);
      if (!opts.keepArchives) fs.rmSync(file);
    }
  }
  return target;
}
