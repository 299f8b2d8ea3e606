/** Public API of lib/landscape (re-exported from lib/index.ts): energy-landscape mapping and disconnectivity graphs. */
export type { LandscapeScoreFn, LandscapeGeneratorFn } from './score';
export { ebmLandscapeScore, latentLandscapeScore, tiltedPriorScore, energyAndGradient, dataSupportMask, supportScore, projectOnSupport } from './score';
export type { FindMinimaOptions, MinimaResult, DescentScaleOptions, DescentStop } from './minima';
export { findMinima, restrictMinima, mergeNearDuplicates, descentOptionsFromScale, dataScale } from './minima';
export type {
  MinimaPair,
  BarrierResult,
  LinearBarrierResult,
  AdBarrierResult,
  LinearBarrierOptions,
  AdBarrierOptions,
  AdScale,
  AdSettings,
} from './barriers';
export { linearBarriers, adBarriers, allMinimaPairs, barrierMatrix, barrierScale, adSettingsFromScale } from './barriers';
export type {
  LandscapeTree,
  LandscapeTreeNode,
  BarrierMatrixLike,
  LandscapeBasin,
  TreeCut,
  BasinPurity,
  BasinSizeStats,
  EpsilonChoice,
} from './tree';
export { buildTree, treeLeaves, cutTree, epsilonForBasins, epsilonForMostBasins, basinMembers, basinPurity, basinPurityChance, basinSizeStats } from './tree';
export type {
  DisconnectivityOrder,
  DisconnectivityLayoutOptions,
  DisconnectivityLeaf,
  DisconnectivityLayout,
} from './layout';
export { layoutDisconnectivity } from './layout';
export type { PlotlyFigureSpec, DisconnectivityFigureOptions, DisconnectivitySvgOptions } from './figure';
export { disconnectivityFigure, disconnectivityHoverScript, disconnectivitySvg } from './figure';
export type {
  LandscapeMethod,
  LandscapePairs,
  LandscapeCut,
  MapLandscapeOptions,
  LandscapeResult,
  LandscapeJson,
} from './map';
export { mapLandscape, landscapeFromBarriers, nearestPairs, landscapeToJson } from './map';
export type { LandscapeDrawing, LandscapeColumnImages, DrawLandscapeOptions } from './draw';
export { drawLandscape } from './draw';
export type { ModeCoverage, ModeMinima, MinimaNearModesOptions } from './modes';
export { modeCoverage, minimaNearModes, energyGrid2d } from './modes';
export type { DisconnectivityColumn, DisconnectivityData, DisconnectivityDataOptions } from './graph';
export { disconnectivityData } from './graph';
export type { BarrierPath, BasinContents } from './explore';
export { barrierPath, basinContents } from './explore';
export type { AdelmOptions, AdelmResult } from './adelm';
export { adelmBasins } from './adelm';
