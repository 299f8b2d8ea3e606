/**
 * From a mapped landscape and the images it started from to the two drawings of Figures 14–15
 * (divergence-triangle paper §4.3): the interactive plotly graph and the static SVG, both with the same at
 * most 12 pictures under each column (the basin's minima by default) and its majority class · purity
 * below (`disconnectivityData`); hovering a column shows its pictures (`disconnectivityHoverScript`).
 * The one way to draw a landscape of images; shared by `dtri landscape`, `npm start` and notebook 07.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors';
import type { PixelRange } from '../metrics/reconstruction';
import { imageGrid } from '../viz/grid';
import { disconnectivityFigure, disconnectivitySvg, type PlotlyFigureSpec } from './figure';
import type { DisconnectivityLayout, DisconnectivityOrder } from './layout';
import { disconnectivityData, type DisconnectivityData } from './graph';
import type { LandscapeResult } from './map';

export interface LandscapeDrawing {
  layout: DisconnectivityLayout;
  /** What both drawings show, as data (columns, representative minima, majority class, purity, energy axis). */
  data: DisconnectivityData;
  /** What stands under the columns of both drawings. */
  shows: LandscapeColumnImages;
  /** Interactive graph; show it with `disconnectivityHoverScript` as the extra script for image hover. */
  figure: PlotlyFigureSpec;
  svg: string;
  /** Per column (layout.leaves order): the basin's majority class and purity ("7 · 92%"), or its member count. */
  captions: string[];
}

/**
 * What stands under each column, in the static and the interactive drawing alike. 'minima' (default): the
 * basin's distinct local minima, deepest first — the paper's "representative local minima", what the energy
 * itself stores (test images under the columns hide minima that do not look like data). 'members': the
 * data images that descended into the basin, lowest descent end first.
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
  /** Energy axis title (default "energy E(x) = −f(x)"; a latent-space mapping names its E(z)). */
  energyLabel?: string;
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
  const show = opts.show ?? 'minima';
  const data = disconnectivityData(result, labels, { maxShown: opts.maxMembersShown ?? 12, order: opts.order, classNames: opts.classNames });
  const { layout, columns } = data;

  let columnRows: number[][];
  let columnSource: tf.Tensor;
  switch (show) {
    case 'members':
      columnSource = images;
      columnRows = columns.map((c) => result.members[c.basin].slice(0, layout.maxMembersShown));
      break;
    case 'minima':
      columnSource = result.minima.minima;
      columnRows = columns.map((c) => c.minima);
      break;
    default: {
      const never: never = show;
      throw new UserError(`drawLandscape: unknown show '${String(never)}'; use 'members' or 'minima'`);
    }
  }
  // The same pictures under the columns of both drawings, and on hover.
  const columnImages = await pngRows(columnSource, columnRows, opts.range);
  const captions = columns.map((c) => c.caption);
  const what = show === 'minima' ? 'minima' : 'members';
  const hover = columns.map((c) =>
    c.label !== null
      ? `${opts.classNames?.[c.label] ?? c.label}: ${c.labelCount} of ${c.members}; ${c.minimaCount} minima`
      : `${c.members} members; ${c.minimaCount} minima`,
  );
  const title = opts.title ?? `Disconnectivity graph (${result.method === 'linear' ? 'linear-interpolation' : 'attraction–diffusion'} barriers)`;
  const uris = columnImages.map((list) => list.map(dataUri));
  return {
    layout,
    data,
    figure: disconnectivityFigure(layout, { columnImages: uris, captions, labels: hover, title, imageSize: opts.imageSize, energyLabel: opts.energyLabel }),
    svg: disconnectivitySvg(layout, { memberImages: columnImages, captions, title, imageSize: opts.imageSize, energyLabel: opts.energyLabel }),
    captions,
    shows: what,
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
