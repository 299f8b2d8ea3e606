/**
 * The pictures of a mapped landscape's disconnectivity graph: PNGs for the columns of Figures 14–15
 * (divergence-triangle paper) and one thumbnail per column for the interactive figure's hover.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import type { PixelRange } from '../metrics/reconstruction';
import { imageGrid } from '../viz/grid';
import type { DisconnectivityLayout } from './layout';
import type { LandscapeResult } from './map';

export interface DisconnectivityImageOptions {
  /** 'minima' (default): each basin's distinct local minima, deepest first. 'members': the members' own data
   * images (pass `data`), lowest descent end first. */
  show?: 'minima' | 'members';
  /** [N, H, W, C] the images the mapping started from; needed for show: 'members'. */
  data?: tf.Tensor;
  /** Pixel range of the images (default [-1, 1]). */
  range?: PixelRange;
}

/**
 * Per column of `layout` (laid out from `result.cut.tree`), PNGs of at most `layout.maxMembersShown`
 * images, for `disconnectivitySvg({ memberImages })`.
 */
export async function disconnectivityMemberImages(
  result: LandscapeResult,
  layout: DisconnectivityLayout,
  opts: DisconnectivityImageOptions = {},
): Promise<Buffer[][]> {
  const show = opts.show ?? 'minima';
  let source: tf.Tensor;
  let rowsOf: (basin: number) => number[];
  switch (show) {
    case 'minima':
      source = result.minima.minima;
      // cut.basins[b].minima are indices into the energy-sorted minima: sorting them is sorting by depth.
      rowsOf = (b) => [...result.cut.basins[b].minima].sort((x, y) => x - y);
      break;
    case 'members':
      if (!opts.data) throw new UserError("disconnectivityMemberImages: show 'members' needs the data images: pass { data }");
      if (opts.data.shape[0] !== result.minima.assignment.length) {
        throw new UserError(`disconnectivityMemberImages: ${opts.data.shape[0]} data images for ${result.minima.assignment.length} mapped starts; pass the images the mapping started from`);
      }
      source = opts.data;
      rowsOf = (b) => result.members[b];
      break;
    default: {
      const never: never = show;
      throw new UserError(`disconnectivityMemberImages: unknown show '${String(never)}'; use 'minima' or 'members'`);
    }
  }
  checkImageTensor(source);
  const out: Buffer[][] = [];
  for (const leaf of layout.leaves) {
    checkLeaf(result, leaf.item);
    const rows = rowsOf(leaf.item).slice(0, layout.maxMembersShown);
    out.push(await pngsOf(source, rows, opts.range));
  }
  return out;
}

/** Per column of `layout`, a PNG data URI of the basin's deepest minimum, for `disconnectivityFigure({ images })`. */
export async function disconnectivityMinimumImages(
  result: LandscapeResult,
  layout: DisconnectivityLayout,
  opts: { range?: PixelRange } = {},
): Promise<string[]> {
  checkImageTensor(result.minima.minima);
  const rows = layout.leaves.map((leaf) => {
    checkLeaf(result, leaf.item);
    return result.cut.basins[leaf.item].deepest;
  });
  const pngs = await pngsOf(result.minima.minima, rows, opts.range);
  return pngs.map((p) => `data:image/png;base64,${p.toString('base64')}`);
}

async function pngsOf(source: tf.Tensor, rows: number[], range: PixelRange | undefined): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const r of rows) {
    const one = source.slice(r, 1);
    try {
      out.push(await imageGrid(one, { cols: 1, scale: 1, padding: 0, range }));
    } finally {
      one.dispose();
    }
  }
  return out;
}

function checkImageTensor(t: tf.Tensor): void {
  if (t.rank !== 4 || (t.shape[3] !== 1 && t.shape[3] !== 3)) {
    throw new UserError(`disconnectivity images need [N, H, W, 1 or 3] images (got [${t.shape.join(', ')}]); draw the graph without images for other data`);
  }
}

function checkLeaf(result: LandscapeResult, basin: number): void {
  if (!(basin >= 0 && basin < result.cut.basins.length)) {
    throw new UserError(`layout column for basin ${basin}, but the landscape has ${result.cut.basins.length} basins: lay out result.cut.tree`);
  }
}
