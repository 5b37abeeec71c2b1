// The global holdout: a share of a game's players kept out of every experiment, so the sum of everything shipped can
// be measured against players who saw none of it. Who is held out is decided by the UserId alone — FNV-1a hash
// version 2 of `seed + UserId` below `percent / 100` — so every game server (and the backend) agrees without storage.
// Pure rules here; layer-routes.ts serves them, sdk-config.ts ships the holdout to the SDK.
import { z } from "zod";
import { ConflictError } from "../errors.js";
import type { ExperimentRecord } from "../store/types.js";
import { metricSchema } from "./metric.js";
import type { HoldoutRecord } from "./allocation-store.js";
import { hash } from "./hash.js";

/** The most a game may hold out: beyond half, the "holdout" is the treatment. */
export const MAX_HOLDOUT_PERCENT = 50;

/** The experiment key of the holdout's marker exposures (the SDK logs one per player and session). */
export const HOLDOUT_EXPOSURE_KEY = "$holdout";
/** The marker's variations: everyone else first (the baseline the holdout is compared with), then the holdout. */
export const HOLDOUT_VARIATIONS = ["exposed", "holdout"] as const;

export const putHoldoutSchema = z.strictObject({
	percent: z
		.number()
		.min(0)
		.max(MAX_HOLDOUT_PERCENT)
		.multipleOf(0.01)
		.describe("Share of players held out of every experiment, in percent (0 to 50, steps of 0.01); 0 turns it off."),
	seed: z
		.string()
		.min(1)
		.max(128)
		.optional()
		.describe(
			"Hash seed (salt) choosing who is held out; default: the current one, or a random one the first time. " +
				"Give a seed no experiment uses, or the holdout correlates with that experiment's split.",
		),
});
export type PutHoldoutRequest = z.output<typeof putHoldoutSchema>;

export const holdoutSchema = z.object({
	gameId: z.string().describe("The game's id."),
	enabled: z.boolean().describe("Whether players are held out (percent above 0)."),
	percent: z.number().describe("Share of players held out of every experiment, in percent (0 to 50)."),
	seed: z.string().nullable().describe("The hash seed choosing who is held out; null before the holdout is first set."),
	runningExperiments: z
		.array(z.string())
		.describe("Keys of the running experiments: while any runs, the holdout cannot change (it would move players)."),
	createdAt: z.string().nullable().describe("ISO 8601 time it was first set; null if never."),
	updatedAt: z.string().nullable().describe("ISO 8601 time of the last change; null if never."),
});
export type HoldoutResponse = z.input<typeof holdoutSchema>;

/** What /v1/config serves when a holdout is on: the SDK holds out a player when `hash(seed, UserId, 2) < percent / 100`. */
export const sdkHoldoutSchema = z
	.object({
		seed: z.string().describe("Hash seed: the SDK hashes seed + the UserId's decimal digits (FNV-1a, version 2)."),
		percent: z.number().describe("Players whose hash is below percent / 100 are held out, 0 to 50."),
	})
	.describe(
		"The global holdout (absent when off): held-out players get control in every experiment (reason holdout) and " +
			"no experiment exposure; every player logs one `$holdout` exposure (variation holdout or exposed) per session " +
			"at their first running experiment, so the two groups can be compared. Flags are not affected.",
	);
export type SdkHoldout = z.infer<typeof sdkHoldoutSchema>;

/**
 * Whether a player is held out: FNV-1a version 2 of `seed` + the UserId's decimal digits, below `percent / 100`.
 * The SDK's `inHoldout` (src/shared/assignment.ts) computes the same.
 *
 * @example
 * isHeldOut({ seed: "holdout-1", percent: 5 }, 123456); // true for about 5% of UserIds
 */
export function isHeldOut(holdout: SdkHoldout, userId: number): boolean {
	if (holdout.percent <= 0) return false;
	return hash(holdout.seed, String(userId), 2)! < holdout.percent / 100;
}

/** The holdout /v1/config serves: none when it was never set or is off. */
export function sdkHoldout(record: HoldoutRecord | undefined): SdkHoldout | undefined {
	return record && record.percent > 0 ? { seed: record.seed, percent: record.percent } : undefined;
}

/** Running experiments, the ones a holdout change would move players in or out of. */
export function runningExperimentKeys(experiments: readonly ExperimentRecord[]): string[] {
	return experiments.filter((e) => e.status === "running").map((e) => e.key);
}

/**
 * The holdout after a validated PUT:
 * 1. the seed is the one given, else the current one, else `newSeed()` (layer-routes: random);
 * 2. nothing changes (same percent and seed) → the current record, as is;
 * 3. any experiment running → 409 conflict naming them: a new percent or seed moves players into or out of the
 *    holdout, so they would switch variation mid-experiment and bias its results. Set the holdout before starting
 *    experiments, or stop them first;
 * 4. otherwise the new record.
 */
export function applyHoldout(
	gameId: string,
	current: HoldoutRecord | undefined,
	request: PutHoldoutRequest,
	running: readonly string[],
	now: number,
	newSeed: () => string,
): HoldoutRecord {
	const seed = request.seed ?? current?.seed ?? newSeed();
	if (current && current.percent === request.percent && current.seed === seed) return current;
	// Turning off a holdout that was never on, or setting a seed while it is off, moves nobody.
	const movesPlayers = (current?.percent ?? 0) > 0 || request.percent > 0;
	if (movesPlayers && running.length > 0) {
		throw new ConflictError(
			`The holdout cannot change while experiments run (${running.map((k) => `"${k}"`).join(", ")}): it would move ` +
				"players into or out of them mid-experiment. Stop them first, or change it before starting the next ones.",
		);
	}
	return { gameId, percent: request.percent, seed, createdAt: current?.createdAt ?? now, updatedAt: now };
}

/** The admin API's view of a game's holdout. */
export function holdoutResponse(
	gameId: string,
	record: HoldoutRecord | undefined,
	running: readonly string[],
): HoldoutResponse {
	return {
		gameId,
		enabled: (record?.percent ?? 0) > 0,
		percent: record?.percent ?? 0,
		seed: record?.seed ?? null,
		runningExperiments: [...running],
		createdAt: record ? new Date(record.createdAt).toISOString() : null,
		updatedAt: record ? new Date(record.updatedAt).toISOString() : null,
	};
}

export const holdoutResultsRequestSchema = z.strictObject({
	metric: metricSchema.describe("The metric to compare the holdout and everyone else on (any metric definition)."),
	from: z.iso
		.datetime({ offset: true })
		.optional()
		.describe("Start of the marker-exposure window; default: the holdout's last change (groups moved then)."),
	to: z.iso.datetime({ offset: true }).optional().describe("End (exclusive) of the window; default: now."),
	difference: z
		.enum(["relative", "absolute"])
		.default("relative")
		.describe("Which effect is primary; both are given side by side."),
	cuped: z
		.boolean()
		.default(true)
		.describe("CUPED with the same metric before each player's first marker (default on)."),
});
export type HoldoutResultsRequest = z.output<typeof holdoutResultsRequestSchema>;

/**
 * The holdout as an experiment the results engine can read: key `$holdout`, control `holdout` (players kept out of
 * every experiment) and treatment `exposed` (everyone else), weighted by the percent so the sample-ratio check tests
 * the split. Its units are the players whose first `$holdout` marker falls in the window; the effect is what the
 * game's experiments, together, changed for everyone else.
 *
 * @example
 * holdoutExperiment({ gameId: "g1", percent: 5, seed: "h", createdAt: 0, updatedAt: 0 });
 */
export function holdoutExperiment(holdout: HoldoutRecord): ExperimentRecord {
	const share = holdout.percent / 100;
	return {
		gameId: holdout.gameId,
		key: HOLDOUT_EXPOSURE_KEY,
		status: "running",
		definition: {
			name: "Global holdout",
			description: "",
			variations: [
				{ key: "holdout", name: "Held out", weight: share },
				{ key: "exposed", name: "Everyone else", weight: 1 - share },
			],
			coverage: 1,
			hashAttribute: "id",
			seed: holdout.seed,
			hashVersion: 2,
			namespace: null,
			condition: null,
			assignment: { mode: "deterministic" },
			startAt: holdout.updatedAt,
			endAt: null,
			primaryMetric: null,
			guardrailMetrics: [],
			forcedVariations: {},
		},
		revision: 1,
		createdAt: holdout.createdAt,
		updatedAt: holdout.updatedAt,
		adaptiveWeights: null,
		adaptiveUpdatedAt: null,
	};
}
