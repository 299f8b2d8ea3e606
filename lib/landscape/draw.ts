/**
 * From a mapped landscape and the images it started from to the two drawings of Figures 14–15: the
 * interactive plotly graph (hover shows each basin's minimum) and the static SVG with up to 12 members
 * under each column. Shared by `dtri landscape`, `npm start` and notebook 07.
 */
import * as tf from '@tensorflow/tfjs';
import { imageGrid } from '../viz/grid';
import { disconnectivityFigure, disconnectivitySvg, type PlotlyFigureSpec } from './figure';
import { layoutDisconnectivity, type DisconnectivityLayout, type DisconnectivityOrder } from './layout';
import type { LandscapeResult } from './map';

export interface LandscapeDrawing {
  layout: DisconnectivityLayout;
  figure: PlotlyFigureSpec;
  svg: string;
}

export interface DrawLandscapeOptions {
  /** Class names for captions and hover (default: the label number). */
  classNames?: readonly string[];
  title?: string;
  order?: DisconnectivityOrder;
  /** Side of each member image in the SVG, px (default 24). */
  imageSize?: number;
}

async function pngDataUri(images: tf.Tensor, index: number): Promise<string> {
  const one = tf.slice(images, index, 1);
  try {
    const png = await imageGrid(one, { cols: 1, padding: 0, scale: 1 });
    return `data:image/png;base64,${png.toString('base64')}`;
  } finally {
    one.dispose();
  }
}

/**
 * @param images [N, H, W, C] in [-1, 1]: the start points `result` was mapped from (members index into them)
 * @param labels [N] optional classes, for captions ("7 · 92%": majority class and purity)
 */
export async function drawLandscape(
  result: LandscapeResult,
  images: tf.Tensor,
  labels?: ArrayLike<number>,
  opts: DrawLandscapeOptions = {},
): Promise<LandscapeDrawing> {
  const layout = layoutDisconnectivity(result.cut.tree, {
    minMembers: result.minMembers,
    maxMembersShown: 12,
    order: opts.order ?? 'deepest-center',
  });
  const name = (label: number) => opts.classNames?.[label] ?? String(label);
  const memberImages: string[][] = [];
  const minimumImages: string[] = [];
  const captions: string[] = [];
  const hover: string[] = [];
  for (const leaf of layout.leaves) {
    const members = result.members[leaf.item] ?? [];
    const shown = members.slice(0, layout.maxMembersShown);
    memberImages.push(await Promise.all(shown.map((i) => pngDataUri(images, i))));
    const basin = result.cut.basins[leaf.item];
    const minimum = tf.slice(result.minima.minima, basin.deepest, 1);
    try {
      const png = await imageGrid(minimum, { cols: 1, padding: 0, scale: 1 });
      minimumImages.push(`data:image/png;base64,${png.toString('base64')}`);
    } finally {
      minimum.dispose();
    }
    if (labels && members.length) {
      const counts = new Map<number, number>();
      for (const i of members) counts.set(labels[i], (counts.get(labels[i]) ?? 0) + 1);
      const [best, c] = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0];
      captions.push(`${name(best)} · ${Math.round((100 * c) / members.length)}%`);
      hover.push(`${name(best)} (${c}/${members.length})`);
    } else {
      captions.push(`${members.length}`);
      hover.push(`${members.length} members`);
    }
  }
  const title = opts.title ?? `Disconnectivity graph (${result.method === 'linear' ? 'linear-interpolation' : 'attraction–diffusion'} barriers)`;
  return {
    layout,
    figure: disconnectivityFigure(layout, { images: minimumImages, labels: hover, title }),
    svg: disconnectivitySvg(layout, { memberImages, captions: labels ? captions : undefined, title, imageSize: opts.imageSize }),
  };
}
