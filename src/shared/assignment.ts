// Deterministic experiment assignment: which variation a unit (usually a player) sees, decided from the experiment
// config and the unit's attributes alone — no network, no DataStore, no yield, no error. It follows the order of
// GrowthBook's runExperiment, so a config GrowthBook would run gives the same variation here.
import { t } from "@rbxts/t";
import { chooseVariation, getBucketRanges, hash, inNamespace, Namespace } from "./hash";

/** Lifecycle of an experiment: only `running` ones assign by hash; forced QA variations work in every state. */
export type ExperimentStatus = "draft" | "running" | "stopped";

/** One arm of an experiment. */
export interface VariationConfig {
	/** Stable name reported with exposures and results, e.g. "control", "blue-shop". */
	key: string;
	/**
	 * Share of the covered units, 0 to 1. When any variation lacks a weight, or the weights do not sum to 1 ± 0.01,
	 * every variation gets an equal share.
	 */
	weight?: number;
}

/** An experiment as the backend serves it in `GET /v1/config`. */
export interface ExperimentConfig {
	/** Unique experiment key; also the seed when `seed` is missing. */
	key: string;
	/** The arms, control first: a unit outside the experiment gets index 0. At least two. */
	variations: VariationConfig[];
	/**
	 * Share of units that enter the experiment, 0 to 1.
	 * @default 1
	 */
	coverage?: number;
	/**
	 * The attribute whose value is hashed.
	 * @default "id"
	 */
	hashAttribute?: string;
	/**
	 * Hash seed; a new seed reshuffles every unit.
	 * @default the experiment key
	 */
	seed?: string;
	/**
	 * 1 (GrowthBook's original, slightly biased) or 2 (unbiased). Defaults to 1 as GrowthBook does, so configs
	 * exported from GrowthBook keep their assignments; new experiments should say 2.
	 * @default 1
	 */
	hashVersion?: number;
	/** Mutually exclusive experiments: this one only takes units whose namespace hash is in [start, end). */
	namespace?: Namespace;
	/**
	 * QA overrides: the unit's `id` attribute (a UserId written as a string, as JSON object keys are) → variation
	 * index. A forced unit sees that variation in any status, and is not counted in the results (`hashUsed` false).
	 */
	forcedVariations?: Record<string, number>;
	status: ExperimentStatus;
}

/**
 * The game's global holdout as the backend serves it in `GET /v1/config`: players whose UserId hashes (FNV-1a
 * version 2 of `seed` + the UserId's decimal digits) below `percent / 100` are kept out of every experiment.
 */
export interface HoldoutConfig {
	/** Hash seed (salt) choosing who is held out. */
	seed: string;
	/** Share of players held out, in percent (0 to 50). */
	percent: number;
}

/** What is known about the unit: `id` (the UserId) and anything targeting or hashing may use. */
export type UnitAttributes = Readonly<Record<string, unknown>>;

/** Why a unit got the variation it got. */
export type AssignmentReason =
	| "assigned"
	| "forced"
	| "invalidConfig"
	| "tooFewVariations"
	| "notRunning"
	| "noHashValue"
	| "notInNamespace"
	| "invalidHashVersion"
	| "notCovered"
	| "stopped";

export interface Assignment {
	/** True when the unit takes part: hashed into a variation, or forced into a valid one. */
	inExperiment: boolean;
	/** The variation to show; 0 (control) whenever `inExperiment` is false. */
	variationIndex: number;
	/** True only when the hash chose the variation: only these units belong in the results (and exposures). */
	hashUsed: boolean;
	/** The attribute value that was hashed, as hashed (a UserId becomes its decimal digits). */
	hashValue?: string;
	/** The unit's position in [0, 1) from the hash, when it was computed. */
	bucket?: number;
	reason: AssignmentReason;
}

const isConfig = t.interface({
	key: t.string,
	variations: t.array(t.interface({ key: t.string, weight: t.optional(t.number) })),
	coverage: t.optional(t.number),
	hashAttribute: t.optional(t.string),
	seed: t.optional(t.string),
	hashVersion: t.optional(t.number),
	namespace: t.optional(t.strictArray(t.string, t.number, t.number)),
	forcedVariations: t.optional(t.map(t.string, t.integer)),
	status: t.literal("draft", "running", "stopped"),
});

const MAX_SAFE_INTEGER = 9007199254740992;

/**
 * The string GrowthBook's JavaScript SDK would hash for an attribute value, or undefined when there is none.
 * Empty strings and 0 are missing (JavaScript treats them as false). Only whole numbers up to 2^53 are accepted:
 * for them `%d` prints what JavaScript's String(n) prints, while fractions and huge numbers print differently.
 */
function toHashValue(value: unknown): string | undefined {
	if (typeIs(value, "string")) return value !== "" ? value : undefined;
	if (!typeIs(value, "number") || value === 0 || value % 1 !== 0 || math.abs(value) > MAX_SAFE_INTEGER) {
		return undefined;
	}
	return "%d".format(value);
}

function weightsOf(variations: ReadonlyArray<VariationConfig>): number[] | undefined {
	const weights: number[] = [];
	for (const v of variations) {
		if (v.weight === undefined) return undefined;
		weights.push(v.weight);
	}
	return weights;
}

function result(
	reason: AssignmentReason,
	variationIndex: number,
	hashUsed: boolean,
	hashValue?: string,
	bucket?: number,
): Assignment {
	return {
		inExperiment: variationIndex >= 0,
		variationIndex: math.max(variationIndex, 0),
		hashUsed,
		hashValue,
		bucket,
		reason,
	};
}

function excluded(reason: AssignmentReason, hashValue?: string, bucket?: number): Assignment {
	return result(reason, -1, false, hashValue, bucket);
}

/**
 * Assigns a unit to a variation of an experiment. Deterministic: the same config and attributes always give the
 * same answer, in game and on the backend. Never yields and never throws: a malformed config or missing attribute
 * gives control (`inExperiment` false) with the reason.
 *
 * @example
 * ```ts
 * const shopLayout: ExperimentConfig = {
 * 	key: "shop-layout",
 * 	variations: [{ key: "control", weight: 0.5 }, { key: "grid", weight: 0.5 }],
 * 	hashVersion: 2,
 * 	status: "running",
 * };
 * const a = assign(shopLayout, { id: player.UserId });
 * if (a.variationIndex === 1) showGridShop(player);
 * ```
 */
export function assign(config: ExperimentConfig, attributes: UnitAttributes): Assignment {
	// 1. A config that does not have the expected shape (it came over the network) → control.
	if (!isConfig(config)) return excluded("invalidConfig");
	const numVariations = config.variations.size();
	const attrs: UnitAttributes = typeIs(attributes, "table") ? attributes : {};

	// 2. Fewer than two variations is not an experiment.
	if (numVariations < 2) return excluded("tooFewVariations");

	// 3. A QA override for this user wins over everything else, even a draft or stopped status.
	const userId = toHashValue(attrs.id);
	const forced = userId !== undefined ? config.forcedVariations?.[userId] : undefined;
	if (forced !== undefined) {
		if (forced < 0 || forced >= numVariations) return excluded("invalidConfig");
		return result("forced", forced, false);
	}

	// 4. A draft experiment assigns nobody.
	if (config.status === "draft") return excluded("notRunning");

	// 5. No value for the hash attribute → control.
	const hashValue = toHashValue(attrs[config.hashAttribute ?? "id"]);
	if (hashValue === undefined) return excluded("noHashValue");

	// 6. Outside the experiment's namespace slice → control.
	if (config.namespace !== undefined && !inNamespace(hashValue, config.namespace)) {
		return excluded("notInNamespace", hashValue);
	}

	// 7. Hash the unit; an unknown hash version → control.
	const bucket = hash(config.seed ?? config.key, hashValue, config.hashVersion ?? 1);
	if (bucket === undefined) return excluded("invalidHashVersion", hashValue);

	// 8. Pick the variation whose range holds the bucket; none means outside the coverage → control.
	const ranges = getBucketRanges(numVariations, config.coverage, weightsOf(config.variations));
	const variationIndex = chooseVariation(bucket, ranges);
	if (variationIndex < 0) return excluded("notCovered", hashValue, bucket);

	// 9. A stopped experiment keeps everyone on control (GrowthBook checks this after coverage, so do we).
	if (config.status === "stopped") return excluded("stopped", hashValue, bucket);

	// 10. In the experiment.
	return result("assigned", variationIndex, true, hashValue, bucket);
}

const isHoldoutConfig = t.interface({ seed: t.string, percent: t.number });

/**
 * Whether a player is in the game's global holdout: deterministic from the UserId alone, so every server (and the
 * backend) agrees. A malformed holdout or a missing UserId holds no one out.
 *
 * @example
 * ```ts
 * if (inHoldout({ seed: "holdout-3f2a", percent: 5 }, player.UserId)) print("kept out of every experiment");
 * ```
 */
export function inHoldout(holdout: HoldoutConfig, userId: unknown): boolean {
	if (!isHoldoutConfig(holdout) || holdout.percent <= 0) return false;
	const value = toHashValue(userId);
	if (value === undefined) return false;
	const bucket = hash(holdout.seed, value, 2);
	return bucket !== undefined && bucket < holdout.percent / 100;
}
