#!/usr/bin/env python3
"""Exports an LSUN category from its lmdb (e.g. bedroom_train_lmdb/ from http://dl.yf.io/lsun/scenes/)
to image files that loadDataset('lsun-bedroom' | 'lsun-tower' | 'lsun-church') reads:
    python3 data/lsun_export.py bedroom_train_lmdb data/lsun-bedroom [--limit N]
Files go into 1,000-image subfolders (0000/, 0001/, ...) so no folder holds millions of entries.
The lmdb values are encoded images (WebP in the official release, per fyu/lsun's data.py), written
unchanged with the extension their magic bytes say; resizing to 64x64 happens at load time.
Needs python3-lmdb (Debian: apt-get install python3-lmdb)."""
import argparse
import os
import sys

try:
    import lmdb
except ImportError:
    sys.exit('python3-lmdb is missing: apt-get install python3-lmdb (or pip install lmdb)')

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument('lmdb_dir')
parser.add_argument('out_dir')
parser.add_argument('--limit', type=int, default=0, help='stop after N images (0 = all)')
args = parser.parse_args()

env = lmdb.open(args.lmdb_dir, map_size=1 << 40, max_readers=100, readonly=True, lock=False)
count = 0
with env.begin(write=False) as txn:
    for key, value in txn.cursor():
        sub = os.path.join(args.out_dir, f'{count // 1000:04d}')
        os.makedirs(sub, exist_ok=True)
        ext = '.webp' if value[:4] == b'RIFF' and value[8:12] == b'WEBP' else '.png' if value[:4] == b'\x89PNG' else '.jpg'
        with open(os.path.join(sub, key.decode('ascii') + ext), 'wb') as f:
            f.write(value)
        count += 1
        if count % 10000 == 0:
            print(f'{count} images', flush=True)
        if args.limit and count >= args.limit:
            break
print(f'exported {count} images to {args.out_dir}')
