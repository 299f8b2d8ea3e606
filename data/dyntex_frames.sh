#!/bin/sh
# Converts DynTex videos to one folder of PNG frames per clip, the layout loadDataset('dyntex') reads:
#   sh data/dyntex_frames.sh OUT_DIR video1.avi video2.avi ...
# Frames are kept at their size; loadDataset resizes to 64x64 and takes the first 32 frames
# (divergence-triangle paper §4.1.5). Needs ffmpeg (Debian: apt-get install ffmpeg).
set -eu
if [ "$#" -lt 2 ]; then
  echo "usage: sh data/dyntex_frames.sh OUT_DIR VIDEO..." >&2
  exit 2
fi
command -v ffmpeg >/dev/null || { echo "ffmpeg is missing: apt-get install ffmpeg" >&2; exit 2; }
out="$1"
shift
for video in "$@"; do
  clip=$(basename "$video" | sed 's/\.[^.]*$//')
  mkdir -p "$out/$clip"
  ffmpeg -loglevel error -i "$video" "$out/$clip/frame%04d.png"
  echo "$clip: $(ls "$out/$clip" | wc -l) frames"
done
