/**
 * Public API of divergence-triangle: what a notebook (or a user's script) needs, named per area. Notebooks
 * import this compiled module by the package name (`import * as dtri from 'divergence-triangle'`).
 *
 * The experiment recipes come first: one namespace per experiment section (`dtri.generation`,
 * `dtri.landscape`, …) with the steps its notebook calls. Below them, the parts a researcher combines by
 * hand. Everything else (layers, objectives term by term, file-format readers, the backends' kernels) stays
 * importable from its area, e.g. `divergence-triangle/dist/objectives`, and is not promised here.
 */

// Experiments: one recipe per section of both papers, shared by the notebooks and `dtri experiment`
export { startExperiment, experimentRunsDir, ResultsReport, EXPERIMENTS, experimentNames } from './experiments/index';
export { toy2d, generation, largeScale, highResolution, textures, dynamicTexture, reconstruction, landscape, incomplete, latentGeneration, ood, anomaly } from './experiments/index';
export type { ExperimentContext, ExperimentInfo, ExperimentTrainOptions } from './experiments/context';

// Notebook sessions: scale, backend line, results files
export { SCALES, scaleFromEnv, projectRoot, resultsDir, startNotebook, readResults } from './notebook/index';
export type { Scale, ResultRow, NotebookResults, NotebookSession } from './notebook/session';

// Errors and seeded randomness
export { UserError, isUserError } from './errors';
export { SeededRng, deriveSeed } from './random/index';

// Backends
export { initBackend, availableBackends, withBackend, BACKEND_ORDER } from './backend/index';

// Networks
export { buildTriangleModels, buildGenerator, buildInference, buildEbm, buildLatentEbm, buildProgressiveModels, ARCH_NAMES, countParams, describeLayers, formatLayers } from './models/index';
export type { Generator, InferenceNet, Ebm, LatentEbm, Module } from './models/types';
export type { ModelOptions } from './models/architectures';

// Objectives: the triangle and its scalings (the terms one by one live in dist/objectives)
export { divergenceTriangle, objectiveScaling, SCALING_NAMES } from './objectives/index';

// Samplers
export { langevin, langevinJoint } from './samplers/index';

// Training: presets, the one runner, checkpoints, progressive growing, latent interpolation
export { PRESETS, PRESET_LIST, presetNames, resolvePreset, applyOverrides, validatePreset, presetScaling, TRAINING_METHODS } from './train/index';
export { runTraining, loadTrainedModels, disposeModels, modelOptionsFor, sampleGenerator, NonFiniteError } from './train/index';
export { DivergenceTriangleTrainer, VaeTrainer, WakeSleepTrainer, LatentEbmTrainer, AcdTrainer, AbpTrainer, withOcclusion } from './train/index';
export { growthPhases, growthTotal, growthSchedule, growthCallbacks, stageSeconds, imagesAtResolution, interpolateLatents, latentInterpolation } from './train/index';
export { latentNotebookPresets, classesWithout, ANOMALY_DEFAULT_HOLDOUT } from './train/index';
export type { TrainPreset, PresetOverrides } from './train/presets';
export type { TrainingRun, TrainingSummary, MetricsRecord, TrainingCallbacks, TrainedModels, LoadedModels } from './train/runner';
export type { Trainer } from './train/trainer';

// Data
export { loadDataset, listDatasets, datasetNames, makeImageDataset, resizeDataset, fetchDataset, DATASET_CLASS_NAMES, FASHION_MNIST_CLASSES, occlusionMask, OCCLUSION_KINDS, toy2dModes, toy2dSpec, listTextureFiles } from './data/index';
export type { ImageDataset } from './data/types';

// Energy landscapes: minima, barriers, trees, basins, disconnectivity graphs
export { ebmLandscapeScore, latentLandscapeScore, tiltedPriorScore, findMinima, linearBarriers, adBarriers, buildTree, cutTree, basinMembers, basinPurity, basinPurityChance } from './landscape/index';
export { mapLandscape, landscapeToJson, drawLandscape, disconnectivityFigure, disconnectivitySvg, barrierPath, basinContents, adelmBasins, modeCoverage, minimaNearModes, energyGrid2d } from './landscape/index';

// Metrics
export { mse, rmse, reconstructionErrors, reconstructWithBatchStatistics, fid, inceptionScore, loadInceptionModel, inceptionFeatures, CLASSIFIER_NAMES, classifierFid, classifierSampleQuality, drawSamples } from './metrics/index';
export { rocCurve, auroc, prCurve, auprc, likelihoodScores, likelihoodScorer, detectionScores, detectionMetrics, oodEvaluation, latentCodeDiagnostics, TEXTURE_CROPS_SET, loadComparisonSet } from './metrics/index';
export { gramDistance, nearestNeighbourMse, textureStatistics, videoStatistics, motionEnergy } from './metrics/index';
export type { ClassifierName } from './metrics/classifier';
export type { SampleQuality } from './metrics/generative-eval';
export type { LikelihoodScorer, LatentCodeDiagnostics } from './metrics/ood';

// Figures: inline display, publication figures, export (PNG, SVG, PDF)
export { showPlot, showImage, showTable, progressDisplay, inNotebook } from './viz/index';
export { imageGrid, samplesGrid, reconstructionGrid, interpolationGrid, recoveryGrid } from './viz/index';
export { lossCurvesFigure, histogramFigure, oodHistogramPanels, rocFigure, prFigure, contourFigure, scatterFigure, publicationLayout } from './viz/index';
export { exportFigure, exportPrintFigure, exportSvg, svgToPng, renderFigure, buildReport, readMetricsJsonl } from './viz/index';
export type { HistoryRow } from './viz/figures';
export type { PlotlyFigure } from './viz/plotly';
