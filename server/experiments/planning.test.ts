import { describe, expect, it } from "vitest";
import { normalCdf, normalQuantile } from "../stats/index.js";
import {
	planExperiment,
	planIssues,
	planRequestSchema,
	reachModel,
	trafficFromActiveUsers,
	type Traffic,
	type TrafficDay,
} from "./planning.js";

const plan = (body: Record<string, unknown>) => planRequestSchema.parse(body);
const z = (p: number) => normalQuantile(p);

/** Evan Miller's sample size per arm (equal split): (z₁₋α/₂·√(2p(1−p)) + z₁₋β·√(p(1−p) + p₂(1−p₂)))²/δ². */
function evanMiller(p: number, delta: number, alpha: number, power: number): number {
	const p2 = p + delta;
	const top = z(1 - alpha / 2) * Math.sqrt(2 * p * (1 - p)) + z(power) * Math.sqrt(p * (1 - p) + p2 * (1 - p2));
	return (top * top) / (delta * delta);
}

/** 28 days of a steady game: 100 players a day, 20 of them new, 200 a week, 700 in the four weeks. */
const STEADY: Traffic = {
	from: "2025-01-01",
	to: "2025-01-28",
	days: 28,
	dailyActive: 100,
	dailyNew: 20,
	players: 700,
	weeklyActive: 200,
	monthlyActive: null,
};

describe("planExperiment: players", () => {
	it("needs Evan Miller's 1030 players per arm for 20% → 25% (alpha 0.05, power 0.8)", () => {
		const result = planExperiment(plan({ baseline: { kind: "proportion", rate: 0.2 }, mde: 0.25 }), null);
		expect(Math.round(evanMiller(0.2, 0.05, 0.05, 0.8))).toBe(1030);
		expect(result.variations.map((v) => v.units)).toEqual([1030, 1030]);
		expect(result.totalUnits).toBe(2060);
		expect(result.mde.absolute).toBeCloseTo(0.05, 12);
		expect(result.mde.relative).toBeCloseTo(0.25, 12);
		// The same effect given as absolute points.
		const absolute = planExperiment(
			plan({ baseline: { kind: "proportion", rate: 0.2 }, mde: 0.05, relativeMde: false }),
			null,
		);
		expect(absolute.totalUnits).toBe(2060);
	});

	it("splits alpha between the treatments of a three-way test (Bonferroni)", () => {
		const result = planExperiment(
			plan({ baseline: { kind: "proportion", rate: 0.2 }, mde: 0.25, weights: [1 / 3, 1 / 3, 1 / 3] }),
			null,
		);
		expect(result.comparisons).toBe(2);
		expect(result.alphaPerComparison).toBeCloseTo(0.025, 12);
		const perArm = Math.round(evanMiller(0.2, 0.05, 0.025, 0.8));
		expect(perArm).toBe(1245);
		expect(result.totalUnits).toBe(perArm * 3);
		expect(result.variations.map((v) => v.units)).toEqual([perArm, perArm, perArm]);
		expect(result.assumptions.join(" ")).toContain("alpha ÷ 2 (Bonferroni)");
	});

	it("sizes a mean by Cohen's d: σ 1, +0.2 needs 393 per arm", () => {
		const result = planExperiment(
			plan({ baseline: { kind: "mean", mean: 5, stdDev: 1 }, mde: 0.2, relativeMde: false }),
			null,
		);
		const closedForm = ((z(0.975) + z(0.8)) / 0.2) ** 2 * 2;
		expect(Math.ceil(closedForm)).toBe(393);
		expect(result.variations.map((v) => v.units)).toEqual([393, 393]);
		expect(result.mde.relative).toBeCloseTo(0.04, 12);
	});

	it("gives the larger arm of an uneven split the players its ratio asks", () => {
		// 25% control, 75% treatment: n_control = ((z + z)/d)²·(1 + 1/r) with r = 3, and the total follows.
		const result = planExperiment(
			plan({ baseline: { kind: "mean", mean: 5, stdDev: 1 }, mde: 0.2, relativeMde: false, weights: [0.25, 0.75] }),
			null,
		);
		const control = Math.ceil(((z(0.975) + z(0.8)) / 0.2) ** 2 * (1 + 1 / 3));
		expect(control).toBe(262);
		expect(result.totalUnits).toBe(Math.ceil(Math.max(control / 0.25, Math.ceil(control * 3) / 0.75)));
		expect(result.variations[0]!.units).toBeGreaterThanOrEqual(control);
		expect(result.variations[1]!.units).toBeGreaterThanOrEqual(control * 3);
	});

	it("divides by the eligible share to count the players who must visit", () => {
		const result = planExperiment(
			plan({ baseline: { kind: "proportion", rate: 0.2 }, mde: 0.25, eligibleShare: 0.4 }),
			null,
		);
		expect(result.playersToReach).toBe(Math.ceil(2060 / 0.4));
	});
});

describe("planExperiment: days", () => {
	it("reads the days off the reach of the game's traffic, then adds the settle days", () => {
		// 786 players (σ 1, +0.2): 700 by day 28, then 20 new a day → day 33 (780 on day 32).
		const result = planExperiment(
			plan({ baseline: { kind: "mean", mean: 5, stdDev: 1 }, mde: 0.2, relativeMde: false, settleDays: 2 }),
			STEADY,
		);
		expect(result.totalUnits).toBe(786);
		expect(result.enrollmentDays).toBe(33);
		expect(result.days).toBe(35);
		expect(result.warnings).toEqual([]);
	});

	it("forecasts the power reached after 7, 14, 28 and 56 days", () => {
		const result = planExperiment(
			plan({ baseline: { kind: "mean", mean: 5, stdDev: 1 }, mde: 0.2, relativeMde: false }),
			STEADY,
		);
		expect(result.forecast.map((f) => [f.days, f.players])).toEqual([
			[7, 200],
			[14, Math.round(200 + (7 * 500) / 21)],
			[28, 700],
			[56, 700 + 28 * 20],
		]);
		// 200 players after a week, 100 per arm: power Φ(d·√(n/2) − z) + Φ(−d·√(n/2) − z).
		const shift = 0.2 * Math.sqrt(50);
		expect(result.forecast[0]!.power).toBeCloseTo(normalCdf(shift - z(0.975)) + normalCdf(-shift - z(0.975)), 9);
		expect(result.forecast[3]!.power).toBeGreaterThan(0.8);
	});

	it("counts only the eligible share of the players reached", () => {
		const result = planExperiment(
			plan({ baseline: { kind: "mean", mean: 5, stdDev: 1 }, mde: 0.2, relativeMde: false, eligibleShare: 0.5 }),
			STEADY,
		);
		// 1572 players to reach: 700 + 20·(d − 28) ≥ 1572 → d = 72.
		expect(result.playersToReach).toBe(1572);
		expect(result.enrollmentDays).toBe(72);
		expect(result.warnings.map((w) => w.code)).toEqual(["long-test"]);
	});

	it("says when there is no traffic, or when a year is not enough", () => {
		const none = planExperiment(plan({ baseline: { kind: "proportion", rate: 0.2 }, mde: 0.25 }), null);
		expect([none.enrollmentDays, none.days, none.forecast]).toEqual([null, null, []]);
		expect(none.warnings[0]).toMatchObject({ code: "no-traffic" });
		const tiny = { ...STEADY, dailyActive: 2, dailyNew: 0.1, players: 10, weeklyActive: 5 };
		const long = planExperiment(plan({ baseline: { kind: "proportion", rate: 0.2 }, mde: 0.25 }), tiny);
		expect(long.enrollmentDays).toBeNull();
		expect(long.warnings.map((w) => w.code)).toContain("too-long");
	});
});

describe("planIssues", () => {
	it("refuses weights that do not sum to 1, an empty variation and a rate pushed past 100%", () => {
		expect(planIssues(plan({ baseline: { kind: "proportion", rate: 0.2 }, mde: 0.1, weights: [0.5, 0.4] }))).toEqual([
			{ path: "weights", message: "the shares must sum to 100% (± 0.1%)" },
		]);
		expect(planIssues(plan({ baseline: { kind: "proportion", rate: 0.2 }, mde: 0.1, weights: [1, 0] }))).toEqual([
			{ path: "weights.1", message: "every variation needs a share above 0 to be compared" },
		]);
		expect(planIssues(plan({ baseline: { kind: "proportion", rate: 0.9 }, mde: 0.2 }))[0]).toMatchObject({
			path: "mde",
		});
		expect(planIssues(plan({ baseline: { kind: "mean", mean: 0, stdDev: 1 }, mde: 0.2 }))[0]).toMatchObject({
			path: "mde",
		});
		expect(planIssues(plan({ baseline: { kind: "proportion", rate: 0.2 }, mde: 0.1 }))).toEqual([]);
	});

	it("leaves ranges to the schema: alpha, power and rates outside their bounds fail to parse", () => {
		for (const body of [
			{ baseline: { kind: "proportion", rate: 1 }, mde: 0.1 },
			{ baseline: { kind: "proportion", rate: 0.2 }, mde: 0 },
			{ baseline: { kind: "proportion", rate: 0.2 }, mde: 0.1, alpha: 0.5 },
			{ baseline: { kind: "proportion", rate: 0.2 }, mde: 0.1, power: 1 },
			{ baseline: { kind: "mean", mean: 1, stdDev: 0 }, mde: 0.1 },
			{ baseline: { kind: "proportion", rate: 0.2 }, mde: 0.1, weights: [1] },
		]) {
			expect(planRequestSchema.safeParse(body).success, JSON.stringify(body)).toBe(false);
		}
	});
});

describe("the traffic and its reach", () => {
	const day = (date: string, dau: number, newPlayers: number, wau = dau, mau = dau): TrafficDay => ({
		date,
		dau,
		newPlayers,
		wau,
		mau,
	});

	it("starts the history at the first day with players", () => {
		const traffic = trafficFromActiveUsers(
			[day("2025-01-01", 0, 0), day("2025-01-02", 10, 10), day("2025-01-03", 20, 6, 24, 24)],
			24,
		);
		expect(traffic).toEqual({
			from: "2025-01-02",
			to: "2025-01-03",
			days: 2,
			dailyActive: 15,
			dailyNew: 8,
			players: 24,
			weeklyActive: null,
			monthlyActive: null,
		});
		expect(trafficFromActiveUsers([day("2025-01-01", 0, 0)], 0)).toBeNull();
	});

	it("uses WAU after a week of history and MAU after thirty days", () => {
		const days = Array.from({ length: 30 }, (_, i) => day(`d${i}`, 10, 2, 40, 90));
		const traffic = trafficFromActiveUsers(days, 90)!;
		expect([traffic.weeklyActive, traffic.monthlyActive]).toEqual([40, 90]);
		expect(trafficFromActiveUsers(days.slice(0, 6), 50)!.weeklyActive).toBeNull();
	});

	it("interpolates between DAU, WAU and the history's players, then adds new players a day", () => {
		const reach = reachModel(STEADY);
		expect(reach(1)).toBe(100);
		expect(reach(7)).toBe(200);
		expect(reach(18)).toBeCloseTo(200 + (11 * 500) / 21, 9);
		expect(reach(28)).toBe(700);
		expect(reach(40)).toBe(700 + 12 * 20);
		// Never falls: a WAU below the DAU (a short burst) is lifted to it.
		const odd = reachModel({ ...STEADY, weeklyActive: 50 });
		expect(odd(7)).toBe(100);
	});
});
