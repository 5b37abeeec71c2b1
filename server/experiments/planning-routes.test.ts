import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EventType, IngestEvent } from "../ingest/schema.js";
import { T0 } from "../testing/fixtures.js";
import { createTestApp, type TestApp } from "../testing/test-app.js";
import { chooseVariation, getBucketRanges, hash } from "./hash.js";
import { DAY_MS } from "./metric.js";
import { planExperiment, planRequestSchema, type PlanResult } from "./planning.js";

let t: TestApp;
let viewer: string;
let analyst: string;
beforeEach(async () => {
	// Ten complete days (Jan 1-10) before "now", noon of Jan 11.
	t = await createTestApp({ now: T0 + 10 * DAY_MS + 12 * 3_600_000 });
	viewer = await t.adminAuth("viewer");
	analyst = await t.adminAuth("analyst");
	await t.store.createGame({ id: "g1", name: "Obby", createdAt: T0 });
});
afterEach(() => t.close());

class Events {
	readonly #events: IngestEvent[] = [];
	add(userId: number, type: EventType, name: string, time: number, props: IngestEvent["props"] = {}): void {
		const id = `e${String(this.#events.length).padStart(8, "0")}`;
		this.#events.push({ id, time, userId, sessionId: `s${userId}-${time}`, type, name, props });
	}
	async store(): Promise<void> {
		for (let i = 0; i < this.#events.length; i += 1000) {
			const events = this.#events.slice(i, i + 1000);
			await t.store.ingestBatch("g1", { batchId: `b${i}`, sentAt: T0, events, rejected: [] }, T0);
		}
		await t.store.warehouse.catchUp();
	}
}

async function call(path: string, init: { auth?: string; body?: unknown } = {}): Promise<Response> {
	const headers: Record<string, string> = { Authorization: init.auth ?? viewer };
	if (init.body !== undefined) headers["Content-Type"] = "application/json";
	return t.app.request(`/v1/admin/games/g1${path}`, {
		method: init.body === undefined ? "GET" : "POST",
		headers,
		...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
	});
}

describe("POST /experiments/plan", () => {
	it("answers a viewer with the players, the game's traffic and the days", async () => {
		// Days 0-9: players 1-20 every day, and 5 new players a day (21-25 on day 0, 26-30 on day 1, …).
		const events = new Events();
		for (let day = 0; day < 10; day++) {
			const time = T0 + day * DAY_MS + 3_600_000;
			for (let user = 1; user <= 20; user++) events.add(user, "session_start", "player", time);
			for (let k = 0; k < 5; k++) events.add(21 + day * 5 + k, "session_start", "player", time);
		}
		await events.store();

		const body = { baseline: { kind: "proportion", rate: 0.2 }, mde: 0.25, settleDays: 2 };
		const res = await call("/experiments/plan", { body });
		expect(res.status).toBe(200);
		const plan = (await res.json()) as PlanResult;
		expect(plan.traffic).toEqual({
			from: "2025-01-01",
			to: "2025-01-10",
			days: 10,
			dailyActive: 25,
			// Day 0's first-timers are the 20 regulars too: (25 + 9 × 5) / 10.
			dailyNew: 7,
			players: 70,
			weeklyActive: 55,
			monthlyActive: null,
		});
		// The same numbers as the pure function on that traffic.
		expect(plan).toEqual(planExperiment(planRequestSchema.parse(body), plan.traffic));
		expect(plan.totalUnits).toBe(2060);
		// 70 players by day 10, then 7 new a day: 2060 players on day 10 + ⌈1990 / 7⌉ = 295.
		expect(plan.enrollmentDays).toBe(295);
		expect(plan.days).toBe(297);
	});

	it("says there is no traffic for a game without players", async () => {
		const res = await call("/experiments/plan", { body: { baseline: { kind: "mean", mean: 3, stdDev: 2 }, mde: 0.1 } });
		const plan = (await res.json()) as PlanResult;
		expect([plan.traffic, plan.days, plan.warnings[0]?.code]).toEqual([null, null, "no-traffic"]);
	});

	it("refuses an invalid request with every problem and its path", async () => {
		const res = await call("/experiments/plan", {
			body: { baseline: { kind: "proportion", rate: 0.2 }, mde: 0.1, weights: [0.7, 0.7] },
		});
		expect(res.status).toBe(400);
		expect(await res.json()).toMatchObject({
			code: "validation_failed",
			errors: [{ path: "weights", message: "the shares must sum to 100% (± 0.1%)" }],
		});
		const schema = await call("/experiments/plan", { body: { baseline: { kind: "proportion", rate: 2 } } });
		const problem = (await schema.json()) as { errors: { path: string }[] };
		expect(problem.errors.map((e) => e.path).sort()).toEqual(["baseline.rate", "mde"]);
	});

	it("needs a login and an existing game", async () => {
		const body = { baseline: { kind: "proportion", rate: 0.2 }, mde: 0.1 };
		const anonymous = await t.app.request("/v1/admin/games/g1/experiments/plan", {
			method: "POST",
			headers: { "Content-Type": "application/json" },
			body: JSON.stringify(body),
		});
		expect(anonymous.status).toBe(401);
		const unknown = await t.app.request("/v1/admin/games/nope/experiments/plan", {
			method: "POST",
			headers: { Authorization: viewer, "Content-Type": "application/json" },
			body: JSON.stringify(body),
		});
		expect(unknown.status).toBe(404);
	});
});

interface Preview {
	source: string;
	players: number;
	inExperiment: number;
	matchingShare: number;
	variations: { key: string; players: number | null; expected: number }[];
	missingAttributes: string[];
	examples: { userId: number; variation: string | null; reason: string }[];
}

describe("POST /experiments/preview", () => {
	const DRAFT = {
		key: "shop",
		variations: [
			{ key: "control", weight: 0.5 },
			{ key: "grid", weight: 0.5 },
		],
	};

	it("splits synthetic UserIds with the SDK's hash", async () => {
		const res = await call("/experiments/preview", {
			body: { ...DRAFT, sample: { source: "synthetic", players: 1000, firstUserId: 1000 } },
		});
		expect(res.status).toBe(200);
		const preview = (await res.json()) as Preview;
		const counts = [0, 0];
		for (let id = 1000; id < 2000; id++) {
			counts[chooseVariation(hash("shop", String(id), 2)!, getBucketRanges(2, 1, [0.5, 0.5]))]! += 1;
		}
		expect(preview.source).toBe("synthetic");
		expect(preview.variations.map((v) => v.players)).toEqual(counts);
		// Player by player, too (totals alone can agree by chance).
		expect(preview.examples.map((e) => e.userId)).toEqual(Array.from({ length: 20 }, (_, i) => 1000 + i));
		for (const example of preview.examples) {
			const index = chooseVariation(hash("shop", String(example.userId), 2)!, getBucketRanges(2, 1, [0.5, 0.5]));
			expect(example.variation, String(example.userId)).toBe(["control", "grid"][index]);
		}
	});

	it("previews the game's recent players with their session attributes and the targeting", async () => {
		const events = new Events();
		const now = t.clock.now;
		for (let user = 1; user <= 40; user++) {
			// An old session in another country, then the latest one: the latest attributes count.
			events.add(user, "session_start", "player", now - 5 * DAY_MS, { country: "FR" });
			events.add(user, "session_start", "player", now - DAY_MS + user * 1000, { country: user <= 10 ? "US" : "DE" });
		}
		events.add(99, "session_start", "player", now - 20 * DAY_MS, { country: "US" });
		await events.store();

		const res = await call("/experiments/preview", {
			body: { ...DRAFT, condition: { country: "US", tier: { $gte: 2 } }, sample: { source: "recent", days: 7 } },
		});
		const preview = (await res.json()) as Preview;
		// Player 99 played too long ago; nobody has `tier`, so nobody matches, and the answer says why.
		expect(preview.players).toBe(40);
		expect(preview.inExperiment).toBe(0);
		expect(preview.missingAttributes).toEqual(["tier"]);
		// The most recent player first.
		expect(preview.examples[0]).toEqual({ userId: 40, variation: null, reason: "conditionFailed" });

		const us = (await (
			await call("/experiments/preview", { body: { ...DRAFT, condition: { country: "US" } } })
		).json()) as Preview;
		expect(us.matchingShare).toBeCloseTo(10 / 40, 12);
		expect(us.inExperiment).toBe(10);
		for (const example of us.examples.filter((e) => e.reason === "assigned")) {
			const index = chooseVariation(hash("shop", String(example.userId), 2)!, getBucketRanges(2, 1, [0.5, 0.5]));
			expect(example.variation).toBe(["control", "grid"][index]);
		}
	});

	it("refuses a draft the experiment API would refuse", async () => {
		const res = await call("/experiments/preview", {
			body: { variations: [{ key: "a", weight: 0.9 }, { key: "b" }], seed: "x" },
		});
		expect(res.status).toBe(400);
		expect(((await res.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual(["variations"]);
	});
});

describe("GET /experiments/:key/exposures", () => {
	it("counts each variation's exposed players since the start, forced users aside", async () => {
		const create = await call("/experiments", {
			auth: analyst,
			body: {
				key: "obby",
				status: "running",
				startAt: new Date(T0 + DAY_MS).toISOString(),
				variations: [{ key: "classic" }, { key: "hard" }],
				primaryMetric: { key: "reached", type: "conversion", event: "World1:Level3" },
				forcedVariations: { "5": "hard" },
			},
		});
		expect(create.status).toBe(201);
		const events = new Events();
		const at = (day: number) => T0 + day * DAY_MS + 1000;
		events.add(1, "exposure", "obby", at(0), { variation: "classic" }); // before the start
		events.add(2, "exposure", "obby", at(1), { variation: "classic" });
		events.add(2, "exposure", "obby", at(2), { variation: "classic" }); // counted once
		events.add(3, "exposure", "obby", at(2), { variation: "hard" });
		events.add(4, "exposure", "obby", at(3), { variation: 1 });
		events.add(5, "exposure", "obby", at(3), { variation: "hard" }); // forced
		events.add(6, "exposure", "obby", at(3), { variation: "classic" });
		events.add(6, "exposure", "obby", at(4), { variation: "hard" }); // both: left out
		await events.store();

		const res = await call("/experiments/obby/exposures");
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({
			experiment: "obby",
			from: new Date(T0 + DAY_MS).toISOString(),
			to: new Date(t.clock.now).toISOString(),
			units: 3,
			variations: [
				{ key: "classic", units: 1 },
				{ key: "hard", units: 2 },
			],
			excluded: { multipleVariations: 1, unknownVariation: 0 },
			daily: [
				{ date: "2025-01-02", units: [1, 0] },
				{ date: "2025-01-03", units: [0, 1] },
				{ date: "2025-01-04", units: [0, 1] },
			],
		});
		expect((await call("/experiments/missing/exposures")).status).toBe(404);
	});
});
