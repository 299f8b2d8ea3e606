/**
 * From a mapped landscape and the images it started from to the two drawings of Figures 14–15
 * (divergence-triangle paper §4.3): the interactive plotly graph (hover shows each basin's deepest minimum,
 * with `disconnectivityHoverScript`) and the static SVG with at most 12 pictures under each column.
 * The one way to draw a landscape of images; shared by `dtri landscape`, `npm start` and notebook 07.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import type { PixelRange } from '../metrics/reconstruction';
import { imageGrid } from '../viz/grid';
import { disconnectivityFigure, disconnectivitySvg, type PlotlyFigureSpec } from './figure';
import { layoutDisconnectivity, type DisconnectivityLayout, type DisconnectivityOrder } from './layout';
import type { LandscapeResult } from './map';

export interface LandscapeDrawing {
  layout: DisconnectivityLayout;
  /** Interactive graph; show it with `disconnectivityHoverScript` as the extra script for image hover. */
  figure: PlotlyFigureSpec;
  svg: string;
  /** Per column (layout.leaves order): the basin's majority class and purity ("7 · 92%"), or its member count. */
  captions: string[];
}

/**
 * What stands under each column. 'members' (default): the data images that descended into the basin,
 * lowest descent end first — the paper's "set of at most 12 basin members ordered by energy".
 * 'minima': the basin's distinct local minima, deepest first (what the energy itself stores).
 */
export type LandscapeColumnImages = 'members' | 'minima';

export interface DrawLandscapeOptions {
  /** Class names for captions and hover (default: the label number). */
  classNames?: readonly string[];
  title?: string;
  order?: DisconnectivityOrder;
  show?: LandscapeColumnImages;
  /** Pictures under each column (default 12, as Figures 14–15). */
  maxMembersShown?: number;
  /** Side of each picture in the SVG, px (default 24). */
  imageSize?: number;
  /** Pixel range of the images and minima (default [-1, 1]). */
  range?: PixelRange;
}

/**
 * @param images [N, H, W, C] (C = 1 or 3): the start points `result` was mapped from (members index into them)
 * @param labels [N] optional classes, for captions ("7 · 92%": majority class and purity) and hover
 */
export async function drawLandscape(
  result: LandscapeResult,
  images: tf.Tensor,
  labels?: ArrayLike<number>,
  opts: DrawLandscapeOptions = {},
): Promise<LandscapeDrawing> {
  checkImages(images, 'images');
  checkImages(result.minima.minima, 'the minima');
  const n = result.minima.assignment.length;
  if (images.shape[0] !== n) {
    throw new UserError(`drawLandscape: ${images.shape[0]} images for ${n} mapped starts; pass the images the landscape was mapped from`);
  }
  if (labels && labels.length !== n) throw new UserError(`drawLandscape: ${labels.length} labels for ${n} images; pass one label per image`);
  const show = opts.show ?? 'members';
  const layout = layoutDisconnectivity(result.cut.tree, {
    minMembers: result.minMembers,
    maxMembersShown: opts.maxMembersShown ?? 12,
    order: opts.order ?? 'deepest-center',
  });
  const basins = layout.leaves.map((leaf) => {
    if (!(leaf.item >= 0 && leaf.item < result.cut.basins.length)) {
      throw new UserError(`drawLandscape: column for basin ${leaf.item}, but the landscape has ${result.cut.basins.length} basins`);
    }
    return leaf.item;
  });

  let columnRows: number[][];
  let columnSource: tf.Tensor;
  switch (show) {
    case 'members':
      columnSource = images;
      columnRows = basins.map((b) => result.members[b].slice(0, layout.maxMembersShown));
      break;
    case 'minima':
      columnSource = result.minima.minima;
      // cut.basins[b].minima index the energy-sorted minima: sorting them is sorting by depth.
      columnRows = basins.map((b) => [...result.cut.basins[b].minima].sort((x, y) => x - y).slice(0, layout.maxMembersShown));
      break;
    default: {
      const never: never = show;
      throw new UserError(`drawLandscape: unknown show '${String(never)}'; use 'members' or 'minima'`);
    }
  }
  const memberImages = await pngRows(columnSource, columnRows, opts.range);
  const minimumImages = (await pngRows(result.minima.minima, [basins.map((b) => result.cut.basins[b].deepest)], opts.range))[0];

  const name = (label: number) => opts.classNames?.[label] ?? String(label);
  const captions: string[] = [];
  const hover: string[] = [];
  for (const b of basins) {
    const members = result.members[b];
    if (labels && members.length) {
      const counts = new Map<number, number>();
      for (const i of members) counts.set(labels[i], (counts.get(labels[i]) ?? 0) + 1);
      const [best, c] = [...counts.entries()].sort((x, y) => y[1] - x[1] || x[0] - y[0])[0];
      captions.push(`${name(best)} · ${Math.round((100 * c) / members.length)}%`);
      hover.push(`${name(best)}: ${c} of ${members.length}`);
    } else {
      captions.push(`${members.length}`);
      hover.push(`${members.length} members`);
    }
  }
  const title = opts.title ?? `Disconnectivity graph (${result.method === 'linear' ? 'linear-interpolation' : 'attraction–diffusion'} barriers)`;
  return {
    layout,
    figure: disconnectivityFigure(layout, { images: minimumImages.map(dataUri), labels: hover, title }),
    svg: disconnectivitySvg(layout, { memberImages, captions, title, imageSize: opts.imageSize }),
    captions,
  };
}

/** PNGs of the listed rows of `source`, one list per column; reads only the rows needed, once. */
async function pngRows(source: tf.Tensor, columns: readonly (readonly number[])[], range: PixelRange | undefined): Promise<Buffer[][]> {
  const rows = [...new Set(columns.flat())];
  if (rows.length === 0) return columns.map(() => []);
  const [, h, w, c] = source.shape as [number, number, number, number];
  const picked = tf.gather(source, rows);
  const data = (await picked.data()) as Float32Array;
  picked.dispose();
  const size = h * w * c;
  const at = new Map(rows.map((r, k) => [r, k]));
  const out: Buffer[][] = [];
  for (const col of columns) {
    const pngs: Buffer[] = [];
    for (const r of col) {
      const k = at.get(r)!;
      pngs.push(await imageGrid([data.subarray(k * size, (k + 1) * size)], { shape: [h, w, c], cols: 1, padding: 0, scale: 1, range }));
    }
    out.push(pngs);
  }
  return out;
}

function dataUri(png: Buffer): string {
  return `data:image/png;base64,${png.toString('base64')}`;
}

function checkImages(t: tf.Tensor, what: string): void {
  if (t.rank !== 4 || (t.shape[3] !== 1 && t.shape[3] !== 3)) {
    throw new UserError(`drawLandscape: ${what} must be [N, H, W, 1 or 3] (got [${t.shape.join(', ')}]); for other data draw the layout with disconnectivityFigure/disconnectivitySvg without images`);
  }
}
