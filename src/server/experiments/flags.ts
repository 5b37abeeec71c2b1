// Feature flags in game: the same steps as the backend's evaluateFlag (server/experiments/flag.ts), with the
// experiments' GrowthBook hash, so a rollout from 10% to 20% keeps the first 10%. Pure; never yields or throws.
import { assign, ExperimentConfig } from "../../shared/assignment";
import { evaluateCondition } from "../../shared/conditions";
import { SdkFlag } from "./config";

export type FlagReason = "disabled" | "conditionFailed" | "noHashValue" | "notCovered" | "rollout";

export interface FlagEvaluation {
	/** The served value (nil when the flag serves JSON null). */
	value: unknown;
	/** The variation whose value was served; absent when the default was. */
	variationKey?: string;
	reason: FlagReason;
}

/**
 * A flag's value for one unit:
 * 1. disabled → defaultValue;
 * 2. the condition fails → defaultValue;
 * 3. no value for the hash attribute (missing, "", 0, a fraction) → defaultValue;
 * 4. the hash outside every variation's range (coverage × weight) → defaultValue;
 * 5. else the value of the variation whose range holds the hash.
 *
 * @example
 * evaluateFlag(flag, { id: 123 }); // { value: true, variationKey: "on", reason: "rollout" }
 */
export function evaluateFlag(flag: SdkFlag, attributes: Readonly<Record<string, unknown>>): FlagEvaluation {
	const fallback = (reason: FlagReason): FlagEvaluation => ({ value: flag.defaultValue, reason });
	if (!flag.enabled) return fallback("disabled");
	if (flag.condition !== undefined && !evaluateCondition(flag.condition, attributes)) {
		return fallback("conditionFailed");
	}
	// `assign` buckets exactly as the backend's flags do, but wants two variations: a flag may have one, so an empty
	// (weight 0) variation is appended. It owns no range, and the weights' sum, hence their validity, is unchanged.
	const variations: ExperimentConfig["variations"] = flag.variations.map((v) => ({ key: v.key, weight: v.weight }));
	variations.push({ key: "", weight: 0 });
	const a = assign(
		{
			key: flag.key,
			variations,
			coverage: flag.coverage,
			hashAttribute: flag.hashAttribute,
			seed: flag.seed,
			hashVersion: flag.hashVersion,
			status: "running",
		},
		attributes,
	);
	if (a.reason === "notCovered") return fallback("notCovered");
	if (!a.inExperiment) return fallback("noHashValue");
	const chosen = flag.variations[a.variationIndex];
	return { value: chosen.value, variationKey: chosen.key, reason: "rollout" };
}

/**
 * Whether a flag value counts as "on", as JavaScript's truthiness (GrowthBook's isOn) decides: everything but nil,
 * false, 0, NaN and "".
 *
 * @example
 * isTruthy(0); // false
 */
export function isTruthy(value: unknown): boolean {
	if (value === undefined || value === false || value === "") return false;
	if (typeIs(value, "number")) return value !== 0 && value === value;
	return true;
}
