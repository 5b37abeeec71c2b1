// The statistics engine's public API: pure functions over per-arm summaries, each returning a result that states its
// method, assumptions and warnings. Other backend modules import from here; files in this folder import each other.
// Values are checked against scipy/statsmodels (test/fixtures/stats) and GrowthBook's published results.

export type {
	DifferenceType,
	Interval,
	MeanSums,
	ProportionCounts,
	Prng,
	ResultBase,
	SampleSummary,
	StatWarning,
	StatWarningCode,
} from "./types.js";
export { meanSummary, proportionSummary } from "./summary.js";
export { estimateEffect, type EffectEstimate } from "./effect.js";
export { achievedPower, contextWarnings, SRM_P_THRESHOLD, type AnalysisContext } from "./warnings.js";

export {
	betaCdf,
	betaPdf,
	betaQuantile,
	betaSf,
	chiSquareCdf,
	chiSquareSf,
	normalCdf,
	normalPdf,
	normalQuantile,
	normalSf,
	studentTCdf,
	studentTPdf,
	studentTQuantile,
	studentTSf,
} from "./distributions.js";
export { logBeta, logGamma, regularizedBeta, regularizedGammaP, regularizedGammaQ } from "./special.js";

export {
	twoProportionZTest,
	welchTTest,
	type FrequentistOptions,
	type FrequentistResult,
	type ZTestOptions,
} from "./frequentist.js";
export {
	betaBinomialTest,
	gaussianBayesianTest,
	type BetaBinomialOptions,
	type BetaBinomialResult,
	type BetaPosterior,
	type BetaPrior,
	type EffectPosterior,
	type ExpectedLoss,
	type GaussianBayesianOptions,
	type GaussianBayesianResult,
	type GaussianPrior,
} from "./bayesian.js";
export {
	mixtureRho,
	sequentialTest,
	stoppingDecision,
	type SequentialOptions,
	type SequentialResult,
	type StopReason,
	type StoppingDecision,
	type StoppingOptions,
} from "./sequential.js";
export { srmTest, type SrmOptions, type SrmResult } from "./srm.js";
export { cupedAdjust, cupedTest, type CupedAdjustment, type CupedResult, type CupedSums } from "./cuped.js";
export {
	benjaminiHochberg,
	breakdownCorrection,
	holmBonferroni,
	type BreakdownCell,
	type BreakdownCorrection,
	type BreakdownCorrectionOptions,
	type CorrectedCell,
	type CorrectionResult,
} from "./corrections.js";
export {
	mdeMeans,
	mdeProportions,
	powerMeans,
	powerProportions,
	sampleSizeMeans,
	sampleSizeProportions,
	type EffectTarget,
	type MdeResult,
	type MeanDesign,
	type PowerResult,
	type ProportionDesign,
	type ProportionPowerMethod,
	type SampleSizeResult,
} from "./power.js";
export { thompsonWeights, type BanditArm, type ThompsonOptions, type ThompsonResult } from "./bandit.js";
export { mulberry32, sampleBeta, sampleBinomial, sampleGamma, sampleNormal } from "./prng.js";
export { ratioSummary, ratioTest, cupedRatioTest, type CupedRatioSums, type RatioSums } from "./ratio.js";
export {
	quantileEstimate,
	quantileSummary,
	quantileTest,
	type QuantileEstimate,
	type QuantileResult,
	type QuantileTestOptions,
} from "./quantile.js";
export {
	FIELLER_G_THRESHOLD,
	fiellerInterval,
	logRatioInterval,
	relativeIntervalCheck,
	type RelativeInterval,
	type RelativeIntervalCheck,
	type RelativeIntervalOptions,
} from "./relative.js";
export {
	mdeQuantile,
	mdeRatio,
	powerQuantile,
	powerRatio,
	sampleSizeQuantile,
	sampleSizeRatio,
	type QuantileDesign,
	type RatioDesign,
} from "./power.js";
