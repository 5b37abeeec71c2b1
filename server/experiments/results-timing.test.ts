// Timing of the results query on ~1M synthetic events: 100,000 players, two exposures each, a session, 5-7 level-ups,
// conversions (10% vs 12%), purchases and day-1 returns. Off by default (about a minute):
//   VANTAGE_TIMING=1 npx vitest run server/experiments/results-timing
import { describe, expect, it } from "vitest";
import { withBulkStore } from "../testing/bulk-store.js";
import { mulberry32 } from "../stats/index.js";
import { T0 } from "../testing/fixtures.js";
import { DAY_MS, HOUR_MS, type MetricDefinition } from "./metric.js";
import { analyzeExperiment } from "./results.js";

const PLAYERS = 100_000;
const METRICS: MetricDefinition[] = [
	{ key: "bought", type: "conversion", event: "shop_purchase" },
	{ key: "levels", type: "count", event: "level_up", eventType: "progression" },
	{ key: "robux", type: "revenue", valueProp: "robux" },
	{ key: "d1", type: "retention", day: 1 },
];

describe.skipIf(!process.env.VANTAGE_TIMING)("results query timing", () => {
	it("answers each metric on ~1M events within seconds", { timeout: 600_000 }, async () => {
		await withBulkStore(async ({ store, add, write, count }) => {
			const rng = mulberry32(1);
			const ingestStart = performance.now();
			for (let u = 1; u <= PLAYERS; u++) {
				const arm = u % 2;
				const t = T0 + Math.floor(rng() * 14 * DAY_MS);
				add(u, "session_start", "session", t - 1000);
				add(u, "exposure", "shop", t, { variation: arm });
				add(u, "exposure", "shop", t + 600_000, { variation: arm });
				for (let i = 0, n = 5 + Math.floor(rng() * 3); i < n; i++) add(u, "progression", "level_up", t + i * 60_000);
				if (rng() < (arm ? 0.12 : 0.1)) add(u, "custom", "shop_purchase", t + HOUR_MS);
				if (rng() < 0.05) add(u, "purchase", "gems", t + 2 * HOUR_MS, { robux: 100 });
				if (rng() < 0.3) add(u, "session_start", "session", t + 1.3 * DAY_MS);
				await write();
			}
			await write(true);
			const ingestSeconds = (performance.now() - ingestStart) / 1000;
			console.log(
				`stored ${count()} events in ${ingestSeconds.toFixed(1)} s (${Math.round(count() / ingestSeconds)}/s)`,
			);

			const variations = [
				{ key: "control", weight: 0.5 },
				{ key: "grid", weight: 0.5 },
			];
			for (const metric of METRICS) {
				const times: number[] = [];
				for (let run = 0; run < 3; run++) {
					const started = performance.now();
					const query = { gameId: "g1", experimentKey: "shop", from: T0, to: T0 + 30 * DAY_MS, metric };
					const units = await store.experimentUnits({
						...query,
						excludeUserIds: [],
						covariateLookbackDays: 14,
						dimensions: [],
					});
					const r = analyzeExperiment({
						...query,
						variations,
						assignment: { mode: "deterministic" },
						metric: { metric, role: "primary", units },
						guardrails: [],
						lookbackDays: 14,
						plan: { targetEffect: null, plannedEnd: null },
					});
					times.push(performance.now() - started);
					expect(r.variations.map((v) => v.n)).toEqual([PLAYERS / 2, PLAYERS / 2]);
				}
				const median = times.sort((a, b) => a - b)[1]!;
				console.log(`${metric.type}: median ${median.toFixed(0)} ms over 3 runs`);
				expect(median).toBeLessThan(10_000);
			}
		});
	});
});
