// Every statistic against scipy/statsmodels reference vectors (test/fixtures/stats/generate.py → reference.json),
// each within 1e-6 (absolute).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { betaBinomialTest, gaussianBayesianTest, type GaussianPrior } from "./bayesian.js";
import { benjaminiHochberg, holmBonferroni } from "./corrections.js";
import { cupedAdjust, cupedTest, type CupedSums } from "./cuped.js";
import {
	betaCdf,
	betaQuantile,
	chiSquareCdf,
	chiSquareSf,
	normalCdf,
	normalQuantile,
	studentTCdf,
	studentTQuantile,
} from "./distributions.js";
import { twoProportionZTest, welchTTest } from "./frequentist.js";
import {
	mdeMeans,
	mdeQuantile,
	mdeRatio,
	powerMeans,
	powerProportions,
	powerQuantile,
	powerRatio,
	sampleSizeMeans,
	sampleSizeProportions,
	sampleSizeQuantile,
	sampleSizeRatio,
} from "./power.js";
import { quantileEstimate, quantileTest } from "./quantile.js";
import { cupedRatioTest, ratioSummary, ratioTest, type CupedRatioSums, type RatioSums } from "./ratio.js";
import { fiellerInterval, logRatioInterval, relativeIntervalCheck } from "./relative.js";
import { sequentialTest } from "./sequential.js";
import { logBeta, logGamma, regularizedBeta, regularizedGammaP, regularizedGammaQ } from "./special.js";
import { srmTest } from "./srm.js";
import { meanSummary } from "./summary.js";
import type { DifferenceType, MeanSums, ProportionCounts, SampleSummary } from "./types.js";

interface Bounds {
	lower: number;
	upper: number;
}
/** What statsmodels' own solve_power returned: its root finder stops early (≈1e-8 relative for n, 1e-5 for d). */
interface SolvePower {
	solvePower: number;
}
/** A Welch (or z) result as generate.py writes it. */
type TestVector = Bounds & { effect: number; stdError: number; pValue: number; statistic?: number; df?: number };
interface Reference {
	tolerance: number;
	special: {
		logGamma: { x: number; expected: number }[];
		logBeta: { a: number; b: number; expected: number }[];
		regularizedBeta: { x: number; a: number; b: number; expected: number }[];
		regularizedGammaP: { a: number; x: number; expected: number }[];
		regularizedGammaQ: { a: number; x: number; expected: number }[];
	};
	normal: { cdf: { x: number; expected: number }[]; quantile: { p: number; expected: number }[] };
	studentT: {
		cdf: { t: number; df: number; expected: number }[];
		quantile: { p: number; df: number; expected: number }[];
	};
	chiSquare: { cdf: { x: number; df: number; expected: number }[]; sf: { x: number; df: number; expected: number }[] };
	beta: {
		cdf: { x: number; a: number; b: number; expected: number }[];
		quantile: { p: number; a: number; b: number; expected: number }[];
	};
	welch: {
		name: string;
		alpha: number;
		control: MeanSums;
		treatment: MeanSums;
		absolute: Bounds & { effect: number; statistic: number; pValue: number; df: number };
		scipy: { statistic: number; pValue: number };
		relative: Bounds & { effect: number; stdError: number; pValue: number };
	}[];
	zTest: {
		alpha: number;
		control: ProportionCounts;
		treatment: ProportionCounts;
		pooled: { statistic: number; pValue: number };
		unpooled: { statistic: number; pValue: number };
		wald: Bounds & { effect: number };
		relative: Bounds & { effect: number; pValue: number };
	}[];
	srm: { counts: number[]; weights: number[]; statistic: number; pValue: number }[];
	corrections: {
		pValues: number[];
		holm: { adjusted: number[]; rejected: boolean[] };
		bh: { adjusted: number[]; rejected: boolean[] };
	}[];
	power: {
		evanMiller: { baseline: number; mde: number; alpha: number; power: number; exact: number }[];
		pooledNull: { baseline: number; mde: number; alpha: number; power: number; exact: number }[];
		arcsineSampleSize: (SolvePower & {
			baseline: number;
			mde: number;
			alpha: number;
			power: number;
			ratio: number;
			exact: number;
		})[];
		arcsinePower: {
			baseline: number;
			mde: number;
			alpha: number;
			controlUnits: number;
			ratio: number;
			power: number;
		}[];
		meansSampleSize: (SolvePower & {
			stdDev: number;
			mde: number;
			alpha: number;
			power: number;
			ratio: number;
			exact: number;
		})[];
		meansPower: { stdDev: number; mde: number; alpha: number; controlUnits: number; ratio: number; power: number }[];
		meansMde: (SolvePower & {
			stdDev: number;
			alpha: number;
			power: number;
			controlUnits: number;
			ratio: number;
			mde: number;
		})[];
	};
	betaBinomial: {
		alpha: number;
		control: ProportionCounts;
		treatment: ProportionCounts;
		chanceToWin: number;
		expectedLoss: { control: number; treatment: number };
		controlInterval: [number, number];
		treatmentInterval: [number, number];
	}[];
	gaussianBayesian: (Bounds & {
		difference: DifferenceType;
		prior: GaussianPrior | null;
		alpha: number;
		control: MeanSums;
		treatment: MeanSums;
		mean: number;
		stdDev: number;
		chanceToWin: number;
		expectedLoss: { control: number; treatment: number };
	})[];
	sequential: (Bounds & {
		difference: DifferenceType;
		tuning: number;
		alpha: number;
		control: MeanSums;
		treatment: MeanSums;
		effect: number;
		pValue: number;
	})[];
	cuped: (Bounds & {
		control: CupedSums;
		treatment: CupedSums;
		theta: number;
		varianceReduction: number;
		effect: number;
		statistic: number;
		pValue: number;
		relative: TestVector;
	})[];
	cupedBinary: {
		control: CupedSums;
		treatment: CupedSums;
		theta: number;
		varianceReduction: number;
		absolute: TestVector;
		relative: TestVector;
	}[];
	ratio: {
		alpha: number;
		control: RatioSums;
		treatment: RatioSums;
		controlSummary: { mean: number; variance: number };
		absolute: TestVector;
		relative: TestVector;
	}[];
	cupedRatio: {
		control: CupedRatioSums;
		treatment: CupedRatioSums;
		theta: number;
		varianceReduction: number;
		absolute: TestVector;
		relative: TestVector;
	}[];
	quantile: {
		quantile: number;
		alpha: number;
		control: number[];
		treatment: number[];
		controlQuantile: { estimate: number; stdError: number };
		treatmentQuantile: { estimate: number; stdError: number };
		absolute: TestVector;
		relative: TestVector;
	}[];
	fieller: {
		alpha: number;
		control: SampleSummary;
		treatment: SampleSummary;
		df: number | null;
		welchDf: boolean;
		g: number;
		kind: "bounded" | "exclusive" | "unbounded";
		lower: number | null;
		upper: number | null;
		logRatio?: Bounds;
	}[];
	relativeCheck: {
		control: SampleSummary;
		treatment: SampleSummary;
		g: number;
		absolutePValue: number;
		relativePValue: number;
	}[];
	ratioPower: (SolvePower & {
		baseline: RatioSums;
		mde: number;
		relativeMde: boolean;
		alpha: number;
		power: number;
		ratio: number;
		controlUnits: number;
		exact: number;
		achievedPower: number;
		mdeAbsolute: number;
		mdeRelative: number;
	})[];
	quantilePower: (SolvePower & {
		baseline: number[];
		quantile: number;
		mde: number;
		relativeMde: boolean;
		alpha: number;
		power: number;
		ratio: number;
		controlUnits: number;
		exact: number;
		achievedPower: number;
		mdeAbsolute: number;
		mdeRelative: number;
	})[];
}

const ref = JSON.parse(
	readFileSync(new URL("../../test/fixtures/stats/reference.json", import.meta.url), "utf8"),
) as Reference;
const TOLERANCE = 1e-6;

/** |actual − expected| ≤ 1e-6, with both numbers in the failure message. */
function expectNear(actual: number, expected: number, what: string): void {
	const error = Math.abs(actual - expected);
	expect(error <= TOLERANCE, `${what}: got ${actual}, scipy/statsmodels ${expected} (error ${error})`).toBe(true);
}

/** Within `relative` of statsmodels' solve_power, whose stopping rule is looser than 1e-6. */
function expectNearSolvePower(actual: number, c: SolvePower): void {
	expect(Math.abs(actual - c.solvePower) / c.solvePower).toBeLessThan(1e-4);
}

function expectInterval(actual: Bounds, expected: Bounds, what: string): void {
	expectNear(actual.lower, expected.lower, `${what} lower`);
	expectNear(actual.upper, expected.upper, `${what} upper`);
}

describe("reference vectors", () => {
	it("were generated with the tolerance the tests use", () => {
		expect(ref.tolerance).toBe(TOLERANCE);
	});
});

describe("special functions (scipy.special)", () => {
	it.each(ref.special.logGamma)("gammaln($x)", ({ x, expected }) => expectNear(logGamma(x), expected, "logGamma"));
	it.each(ref.special.logBeta)("betaln($a, $b)", ({ a, b, expected }) =>
		expectNear(logBeta(a, b), expected, "logBeta"),
	);
	it.each(ref.special.regularizedBeta)("betainc($a, $b, $x)", ({ x, a, b, expected }) =>
		expectNear(regularizedBeta(x, a, b), expected, "I_x"),
	);
	it.each(ref.special.regularizedGammaP)("gammainc($a, $x)", ({ a, x, expected }) =>
		expectNear(regularizedGammaP(a, x), expected, "P"),
	);
	it.each(ref.special.regularizedGammaQ)("gammaincc($a, $x)", ({ a, x, expected }) =>
		expectNear(regularizedGammaQ(a, x), expected, "Q"),
	);
});

describe("distributions (scipy.stats)", () => {
	it.each(ref.normal.cdf)("norm.cdf($x)", ({ x, expected }) => expectNear(normalCdf(x), expected, "normalCdf"));
	it.each(ref.normal.quantile)("norm.ppf($p)", ({ p, expected }) => expectNear(normalQuantile(p), expected, "Φ⁻¹"));
	it.each(ref.studentT.cdf)("t.cdf($t, $df)", ({ t, df, expected }) =>
		expectNear(studentTCdf(t, df), expected, "t cdf"),
	);
	it.each(ref.studentT.quantile)("t.ppf($p, $df)", ({ p, df, expected }) =>
		expectNear(studentTQuantile(p, df), expected, "t quantile"),
	);
	it.each(ref.chiSquare.cdf)("chi2.cdf($x, $df)", ({ x, df, expected }) =>
		expectNear(chiSquareCdf(x, df), expected, "χ² cdf"),
	);
	it.each(ref.chiSquare.sf)("chi2.sf($x, $df)", ({ x, df, expected }) =>
		expectNear(chiSquareSf(x, df), expected, "χ² sf"),
	);
	it.each(ref.beta.cdf)("beta.cdf($x, $a, $b)", ({ x, a, b, expected }) =>
		expectNear(betaCdf(x, a, b), expected, "beta cdf"),
	);
	it.each(ref.beta.quantile)("beta.ppf($p, $a, $b)", ({ p, a, b, expected }) =>
		expectNear(betaQuantile(p, a, b), expected, "beta quantile"),
	);
});

describe("Welch t-test (statsmodels CompareMeans, scipy ttest_ind)", () => {
	it.each(ref.welch)("$name: absolute effect, t, df, p and CI", (c) => {
		const r = welchTTest(meanSummary(c.control), meanSummary(c.treatment), { difference: "absolute", alpha: c.alpha });
		expectNear(r.effect, c.absolute.effect, "effect");
		expectNear(r.statistic, c.absolute.statistic, "t");
		expectNear(r.statistic, c.scipy.statistic, "t (scipy)");
		expectNear(r.df, c.absolute.df, "df");
		expectNear(r.pValue, c.absolute.pValue, "p");
		expectNear(r.pValue, c.scipy.pValue, "p (scipy)");
		expectInterval(r.ci, c.absolute, "CI");
	});

	it.each(ref.welch)("$name: relative effect by the delta method", (c) => {
		const r = welchTTest(meanSummary(c.control), meanSummary(c.treatment), { difference: "relative", alpha: c.alpha });
		expectNear(r.effect, c.relative.effect, "effect");
		expectNear(r.stdError, c.relative.stdError, "se");
		expectNear(r.pValue, c.relative.pValue, "p");
		expectInterval(r.ci, c.relative, "CI");
	});
});

describe("two-proportion z-test (statsmodels proportions_ztest, confint_proportions_2indep wald)", () => {
	it.each(ref.zTest)("$control.conversions/$control.n vs $treatment.conversions/$treatment.n", (c) => {
		const pooled = twoProportionZTest(c.control, c.treatment, { difference: "absolute", alpha: c.alpha });
		expectNear(pooled.statistic, c.pooled.statistic, "z pooled");
		expectNear(pooled.pValue, c.pooled.pValue, "p pooled");
		expectNear(pooled.effect, c.wald.effect, "effect");
		expectInterval(pooled.ci, c.wald, "Wald CI");
		const unpooled = twoProportionZTest(c.control, c.treatment, { difference: "absolute", pooled: false });
		expectNear(unpooled.statistic, c.unpooled.statistic, "z unpooled");
		expectNear(unpooled.pValue, c.unpooled.pValue, "p unpooled");
		const relative = twoProportionZTest(c.control, c.treatment, { alpha: c.alpha });
		expectNear(relative.effect, c.relative.effect, "relative effect");
		expectNear(relative.pValue, c.relative.pValue, "relative p");
		expectInterval(relative.ci, c.relative, "relative CI");
	});
});

describe("SRM (scipy.stats.chisquare)", () => {
	it.each(ref.srm)("$counts at $weights", (c) => {
		const r = srmTest(c.counts, c.weights);
		expectNear(r.statistic, c.statistic, "χ²");
		expectNear(r.pValue, c.pValue, "p");
	});
});

describe("multiple-comparison corrections (statsmodels multipletests)", () => {
	it.each(ref.corrections)("holm and fdr_bh of $pValues", (c) => {
		const holm = holmBonferroni(c.pValues);
		const bh = benjaminiHochberg(c.pValues);
		holm.adjusted.forEach((p, i) => expectNear(p, c.holm.adjusted[i] as number, `holm[${i}]`));
		bh.adjusted.forEach((p, i) => expectNear(p, c.bh.adjusted[i] as number, `bh[${i}]`));
		expect(holm.rejected).toEqual(c.holm.rejected);
		expect(bh.rejected).toEqual(c.bh.rejected);
	});
});

describe("power and sample size (statsmodels.stats.power / proportion)", () => {
	it.each(ref.power.evanMiller)("Evan Miller: baseline $baseline, +$mde", (c) => {
		expectNear(sampleSizeProportions({ ...c, method: "evan-miller" }).exact, c.exact, "n");
	});
	it.each(ref.power.pooledNull)("samplesize_proportions_2indep_onetail: baseline $baseline, $mde", (c) => {
		expectNear(sampleSizeProportions({ ...c, method: "pooled-null" }).exact, c.exact, "n");
	});
	it.each(ref.power.arcsineSampleSize)(
		"NormalIndPower with Cohen's h: baseline $baseline, +$mde, ratio $ratio",
		(c) => {
			const n = sampleSizeProportions({ ...c, method: "arcsine" }).exact;
			expectNear(n, c.exact, "n");
			expectNearSolvePower(n, c);
		},
	);
	it.each(ref.power.arcsinePower)("NormalIndPower.power with Cohen's h: $controlUnits units", (c) => {
		expectNear(powerProportions({ ...c, method: "arcsine" }).power, c.power, "power");
	});
	it.each(ref.power.meansSampleSize)("zt_ind_solve_power: d = $mde/$stdDev, ratio $ratio", (c) => {
		const n = sampleSizeMeans(c).exact;
		expectNear(n, c.exact, "n");
		expectNearSolvePower(n, c);
	});
	it.each(ref.power.meansPower)("NormalIndPower.power: d = $mde/$stdDev, $controlUnits units", (c) => {
		expectNear(powerMeans(c).power, c.power, "power");
	});
	it.each(ref.power.meansMde)("NormalIndPower.solve_power for the effect: $controlUnits units", (c) => {
		const mde = mdeMeans(c).absolute;
		expectNear(mde, c.mde, "mde");
		expectNearSolvePower(mde, c);
	});
});

describe("Beta-binomial (scipy quadrature and beta.ppf)", () => {
	it.each(ref.betaBinomial)("$control.conversions/$control.n vs $treatment.conversions/$treatment.n", (c) => {
		const r = betaBinomialTest(c.control, c.treatment, { alpha: c.alpha });
		expectNear(r.chanceToWin, c.chanceToWin, "chance to win");
		expectNear(r.expectedLoss.control, c.expectedLoss.control, "loss of control");
		expectNear(r.expectedLoss.treatment, c.expectedLoss.treatment, "loss of treatment");
		expectInterval(r.control.ci, { lower: c.controlInterval[0], upper: c.controlInterval[1] }, "control interval");
		expectInterval(
			r.treatment.ci,
			{ lower: c.treatmentInterval[0], upper: c.treatmentInterval[1] },
			"treatment interval",
		);
	});
});

describe("Gaussian Bayesian effect (gbstats formulas, scipy truncnorm)", () => {
	it.each(ref.gaussianBayesian)("$difference, prior $prior", (c) => {
		const r = gaussianBayesianTest(meanSummary(c.control), meanSummary(c.treatment), {
			difference: c.difference,
			alpha: c.alpha,
			prior: c.prior ?? undefined,
		});
		expectNear(r.effect.mean, c.mean, "posterior mean");
		expectNear(r.effect.stdDev, c.stdDev, "posterior sd");
		expectInterval(r.effect.ci, c, "credible interval");
		expectNear(r.chanceToWin, c.chanceToWin, "chance to win");
		expectNear(r.expectedLoss.control, c.expectedLoss.control, "risk of control");
		expectNear(r.expectedLoss.treatment, c.expectedLoss.treatment, "risk of treatment");
	});
});

describe("sequential confidence sequence (gbstats formulas)", () => {
	it.each(ref.sequential)("$difference, tuning $tuning", (c) => {
		const r = sequentialTest(meanSummary(c.control), meanSummary(c.treatment), {
			difference: c.difference,
			alpha: c.alpha,
			tuningParameter: c.tuning,
		});
		expectNear(r.effect, c.effect, "effect");
		expectInterval(r.ci, c, "confidence sequence");
		expectNear(r.pValue, c.pValue, "always-valid p");
	});
});

describe("CUPED (numpy θ, scipy Welch test on adjusted values)", () => {
	it.each(ref.cuped)("θ $theta", (c) => {
		const adjustment = cupedAdjust(c.control, c.treatment);
		expectNear(adjustment.theta, c.theta, "θ");
		expectNear(adjustment.varianceReduction, c.varianceReduction, "variance reduction");
		const r = cupedTest(c.control, c.treatment, { difference: "absolute" });
		expectNear(r.effect, c.effect, "effect");
		expectNear(r.statistic, c.statistic, "t");
		expectNear(r.pValue, c.pValue, "p");
		expectInterval(r.ci, c, "CI");
	});

	it.each(ref.cuped)("θ $theta: relative effect with the adjusted control mean (delta method)", (c) => {
		expectTest(cupedTest(c.control, c.treatment, { difference: "relative" }), c.relative, "CUPED relative");
	});

	it.each(ref.cupedBinary)("binary metric, θ $theta: absolute and relative", (c) => {
		const adjustment = cupedAdjust(c.control, c.treatment);
		expectNear(adjustment.theta, c.theta, "θ");
		expectNear(adjustment.varianceReduction, c.varianceReduction, "variance reduction");
		expectTest(cupedTest(c.control, c.treatment, { difference: "absolute" }), c.absolute, "absolute");
		expectTest(cupedTest(c.control, c.treatment, { difference: "relative" }), c.relative, "relative");
	});
});

/** Effect, standard error, p, CI (and t, df when the vector has them). */
function expectTest(
	r: { effect: number; stdError: number; pValue: number; statistic: number; df: number; ci: Bounds },
	c: TestVector,
	what: string,
): void {
	expectNear(r.effect, c.effect, `${what} effect`);
	expectNear(r.stdError, c.stdError, `${what} se`);
	expectNear(r.pValue, c.pValue, `${what} p`);
	if (c.statistic !== undefined) expectNear(r.statistic, c.statistic, `${what} t`);
	if (c.df !== undefined) expectNear(r.df, c.df, `${what} df`);
	expectInterval(r.ci, c, `${what} CI`);
}

describe("ratio metrics by the delta method (scipy/statsmodels Welch on linearized values)", () => {
	it.each(ref.ratio)("$control.n vs $treatment.n units", (c) => {
		const summary = ratioSummary(c.control);
		expectNear(summary.mean, c.controlSummary.mean, "ratio");
		expectNear(summary.variance, c.controlSummary.variance, "linearized variance");
		expectTest(ratioTest(c.control, c.treatment, { difference: "absolute", alpha: c.alpha }), c.absolute, "absolute");
		expectTest(ratioTest(c.control, c.treatment, { difference: "relative", alpha: c.alpha }), c.relative, "relative");
	});

	it.each(ref.cupedRatio)("CUPED for ratios, θ $theta", (c) => {
		const absolute = cupedRatioTest(c.control, c.treatment, { difference: "absolute" });
		expectNear(absolute.adjustment.theta, c.theta, "θ");
		expectNear(absolute.adjustment.varianceReduction, c.varianceReduction, "variance reduction");
		expectTest(absolute, c.absolute, "absolute");
		expectTest(cupedRatioTest(c.control, c.treatment, { difference: "relative" }), c.relative, "relative");
	});
});

describe("quantile metrics (numpy.quantile, scipy.stats.mstats.mjci)", () => {
	it.each(ref.quantile)("q = $quantile", (c) => {
		const a = quantileEstimate(c.control, c.quantile);
		expectNear(a.estimate, c.controlQuantile.estimate, "control quantile");
		expectNear(a.stdError, c.controlQuantile.stdError, "control Maritz–Jarrett se");
		const b = quantileEstimate(Float64Array.from(c.treatment), c.quantile);
		expectNear(b.estimate, c.treatmentQuantile.estimate, "treatment quantile");
		expectNear(b.stdError, c.treatmentQuantile.stdError, "treatment Maritz–Jarrett se");
		const options = { quantile: c.quantile, alpha: c.alpha };
		expectTest(quantileTest(c.control, c.treatment, { ...options, difference: "absolute" }), c.absolute, "absolute");
		expectTest(quantileTest(c.control, c.treatment, { ...options, difference: "relative" }), c.relative, "relative");
	});
});

describe("Fieller and log-ratio intervals (scipy brentq on Fieller's inequality, delta method on the log)", () => {
	it.each(ref.fieller)("g = $g: $kind", (c) => {
		const options = { alpha: c.alpha, ...(c.welchDf ? {} : { df: c.df ?? Infinity }) };
		const r = fiellerInterval(c.control, c.treatment, options);
		expect(r.kind).toBe(c.kind);
		expect(r.bounded).toBe(c.kind === "bounded");
		if (c.kind === "unbounded") {
			expect(r.lower).toBe(-Infinity);
			expect(r.upper).toBe(Infinity);
		} else {
			expectInterval(r, { lower: c.lower as number, upper: c.upper as number }, "Fieller");
		}
		if (c.logRatio) expectInterval(logRatioInterval(c.control, c.treatment, options), c.logRatio, "log ratio");
		else expect(() => logRatioInterval(c.control, c.treatment, options)).toThrow(RangeError);
	});

	it.each(ref.relativeCheck)("relativeIntervalCheck: $control.mean vs $treatment.mean", (c) => {
		const r = relativeIntervalCheck(c.control, c.treatment);
		expectNear(r.g, c.g, "g");
		expectNear(r.absolutePValue, c.absolutePValue, "absolute p");
		expectNear(r.relativePValue, c.relativePValue, "relative p");
	});
});

describe("power for ratio metrics (statsmodels NormalIndPower with the delta-method SD)", () => {
	it.each(ref.ratioPower)("mde $mde (relative: $relativeMde), ratio $ratio", (c) => {
		const n = sampleSizeRatio(c).exact;
		expectNear(n, c.exact, "n");
		expectNearSolvePower(n, c);
		expectNear(powerRatio(c).power, c.achievedPower, "power");
		const mde = mdeRatio(c);
		expectNear(mde.absolute, c.mdeAbsolute, "mde");
		expectNear(mde.relative, c.mdeRelative, "relative mde");
	});
});

describe("power for quantile metrics (statsmodels NormalIndPower with √n·mjci as the SD)", () => {
	it.each(ref.quantilePower)("q $quantile, mde $mde (relative: $relativeMde)", (c) => {
		const n = sampleSizeQuantile(c).exact;
		expectNear(n, c.exact, "n");
		expectNearSolvePower(n, c);
		expectNear(powerQuantile(c).power, c.achievedPower, "power");
		const mde = mdeQuantile(c);
		expectNear(mde.absolute, c.mdeAbsolute, "mde");
		expectNear(mde.relative, c.mdeRelative, "relative mde");
	});
});
