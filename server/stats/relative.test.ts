import { describe, expect, it } from "vitest";
import { twoProportionZTest, welchTTest } from "./frequentist.js";
import { FIELLER_G_THRESHOLD, fiellerInterval, logRatioInterval, relativeIntervalCheck } from "./relative.js";
import { proportionSummary } from "./summary.js";

const issueControl = proportionSummary({ n: 1000, conversions: 11 });
const issueTreatment = proportionSummary({ n: 1000, conversions: 33 });

describe("relativeIntervalCheck", () => {
	it("flags the issue's case (relative p ≈ 0.05, absolute p < 0.001) and offers Fieller's interval", () => {
		const r = relativeIntervalCheck(issueControl, issueTreatment);
		expect(r.absolutePValue).toBeLessThan(0.001);
		expect(r.relativePValue).toBeGreaterThan(0.05);
		expect(r.g).toBeGreaterThan(FIELLER_G_THRESHOLD);
		expect(r.reliable).toBe(false);
		expect(r.recommended).toBe("fieller");
		expect(r.interval).toBe(r.fieller);
		// Fieller's interval excludes 0, as the absolute test does; the delta method's does not.
		expect(r.fieller.lower).toBeGreaterThan(0);
		expect(r.delta.lower).toBeLessThan(0);
		expect(r.message).toMatch(/too uncertain/);
	});

	it("keeps the delta-method interval when the control mean is precise", () => {
		const a = proportionSummary({ n: 10_000, conversions: 1000 });
		const b = proportionSummary({ n: 10_000, conversions: 1100 });
		const r = relativeIntervalCheck(a, b);
		expect(r.reliable).toBe(true);
		expect(r.recommended).toBe("delta");
		expect(r.interval).toEqual(welchTTest(a, b, { difference: "relative" }).ci);
		// And then all three intervals nearly agree.
		expect(r.fieller.lower).toBeCloseTo(r.delta.lower, 2);
		expect(r.logRatio?.upper).toBeCloseTo(r.delta.upper, 2);
	});

	it("falls back to the log-ratio interval when Fieller's is unbounded", () => {
		const r = relativeIntervalCheck(
			proportionSummary({ n: 1000, conversions: 3 }),
			proportionSummary({ n: 1000, conversions: 20 }),
		);
		expect(r.fieller.bounded).toBe(false);
		expect(r.recommended).toBe("log-ratio");
		expect(r.interval).toBe(r.logRatio);
		expect(r.message).toMatch(/unbounded/);
	});

	it("flags disagreeing tests even when g is small", () => {
		// A borderline effect: the absolute test just rejects, the delta-method relative test (whose error grows with
		// the treatment mean) does not.
		const a = { n: 100, mean: 10, variance: 100 };
		const b = { n: 100, mean: 12.85, variance: 100 };
		const r = relativeIntervalCheck(a, b);
		expect(r.g).toBeLessThan(FIELLER_G_THRESHOLD);
		expect(r.absolutePValue < 0.05).not.toBe(r.relativePValue < 0.05);
		expect(r.reliable).toBe(false);
		expect(r.message).toMatch(/disagree/);
	});
});

describe("fiellerInterval", () => {
	it("contains the estimate and widens to the right, unlike the symmetric delta interval", () => {
		const f = fiellerInterval(issueControl, issueTreatment);
		const estimate = 33 / 11 - 1;
		expect(f.kind).toBe("bounded");
		expect(f.lower).toBeLessThan(estimate);
		expect(f.upper - estimate).toBeGreaterThan(estimate - f.lower);
	});

	it("is everything when neither mean is distinguishable from 0, and two rays when only the treatment is", () => {
		const none = fiellerInterval({ n: 50, mean: 0.4, variance: 4 }, { n: 50, mean: 0.1, variance: 4 });
		expect(none).toEqual({ kind: "unbounded", bounded: false, lower: -Infinity, upper: Infinity });
		const rays = fiellerInterval({ n: 50, mean: 0.4, variance: 4 }, { n: 50, mean: 3, variance: 4 });
		expect(rays.kind).toBe("exclusive");
		expect(rays.upper).toBeLessThan(3 / 0.4 - 1); // the estimate lies on the upper ray
	});

	it("takes alpha as a bare number too", () => {
		expect(fiellerInterval(issueControl, issueTreatment, 0.1)).toEqual(
			fiellerInterval(issueControl, issueTreatment, { alpha: 0.1 }),
		);
		expect(() => fiellerInterval(issueControl, issueTreatment, 1.5)).toThrow(RangeError);
	});
});

describe("logRatioInterval", () => {
	it("is bounded and asymmetric around the estimate, and needs positive means", () => {
		const i = logRatioInterval(issueControl, issueTreatment, { df: Infinity });
		expect(i.lower).toBeGreaterThan(-1);
		expect(i.upper - 2).toBeGreaterThan(2 - i.lower);
		expect(() => logRatioInterval({ n: 10, mean: 0, variance: 0 }, issueTreatment)).toThrow(RangeError);
		// With df = Infinity it uses the normal, as the z-test does.
		const z = twoProportionZTest({ n: 1000, conversions: 11 }, { n: 1000, conversions: 33 });
		expect(z.ci.lower).toBeLessThan(i.lower);
	});
});
