/**
 * Point clouds in 2-D, one colour per group (e.g. inference codes μ_φ(x) coloured by the mode that drew x,
 * or generator samples beside the data), in the publication style of figures.ts.
 */
import { UserError } from '../errors';
import { publicationAxis, publicationLayout } from './figures';
import { colorFor } from './labels';
import type { PlotlyFigure } from './plotly';

export interface ScatterFigureOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  /** Marker size in px (default 5). */
  markerSize?: number;
  /** Equal units on both axes (default true: codes and 2-D data are isotropic). */
  equalAxes?: boolean;
  /** Axis ranges (default: plotly's autorange). */
  xRange?: readonly [number, number];
  yRange?: readonly [number, number];
  width?: number;
  height?: number;
}

/**
 * One scatter trace per group, in insertion order, each in its colorFor colour (the same in every figure).
 * @param groups name → points; x and y of equal length
 */
export function scatterFigure(groups: Record<string, { x: ArrayLike<number>; y: ArrayLike<number> }>, opts: ScatterFigureOptions = {}): PlotlyFigure {
  const entries = Object.entries(groups);
  if (entries.length === 0) throw new UserError('scatterFigure: no groups to draw; pass { name: { x, y } }');
  const data = entries.map(([name, pts]) => {
    if (pts.x.length !== pts.y.length) throw new UserError(`scatterFigure: group "${name}" has ${pts.x.length} x and ${pts.y.length} y values`);
    return {
      type: 'scatter',
      mode: 'markers',
      name,
      x: Array.from(pts.x),
      y: Array.from(pts.y),
      marker: { size: opts.markerSize ?? 5, color: colorFor(name), opacity: 0.8, line: { width: 0 } },
    };
  });
  const layout = publicationLayout({
    ...(opts.title ? { title: { text: opts.title, x: 0.02, xanchor: 'left', font: { size: 14 } } } : {}),
    width: opts.width ?? 560,
    height: opts.height ?? 480,
    xaxis: publicationAxis(opts.xTitle ?? 'x₁', opts.xRange ? { range: [...opts.xRange] } : {}),
    yaxis: publicationAxis(opts.yTitle ?? 'x₂', {
      ...(opts.yRange ? { range: [...opts.yRange] } : {}),
      ...(opts.equalAxes ?? true ? { scaleanchor: 'x', scaleratio: 1 } : {}),
    }),
  });
  return { data, layout };
}
