/** Public API of lib/viz (re-exported from lib/index.ts): image grids, plotly figures, notebook display, export, reports. */
export type { PlotlyFigure } from './plotly';
export { plotlyBundle, plotlyScriptTag, plotDivHtml, newPlotId } from './plotly';
export * from './figures';
export * from './scatter';
export * from './grid';
export * from './progress';
export * from './export';
export * from './notebook';
export { buildReport, readMetricsJsonl, REPORT_FILE } from './report';
export { inNotebook } from './tslab';
export * from './labels';
