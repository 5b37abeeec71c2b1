// Consent rules: whom to ask, and what applies before and after an answer. Pure functions, no Roblox calls.
//
// - Players in the EEA, the UK and Switzerland must opt in; so must a player whose country is unknown (the safe
//   reading). Elsewhere the game's configured default applies (`defaultMode` of /v1/config's consent block).
// - An answer holds for the policy version it was given under. A new version asks again: where opt-in applies,
//   nothing is tracked until the player answers again; elsewhere the old answer keeps applying meanwhile (a refusal
//   stays a refusal).
// - Where opt-in applies and the player has not answered, their events wait (bounded, in memory) and are sent if they
//   grant, discarded if they refuse or leave without answering: a player who never answers is never tracked.
import { ConsentChoices } from "../../shared/protocol";
import { ConsentCategory } from "../delivery/consent-gate";

export type { ConsentCategory } from "../delivery/consent-gate";
export type { ConsentChoices } from "../../shared/protocol";

/** Every category, in the order the prompt lists them. */
export const CONSENT_CATEGORIES: readonly ConsentCategory[] = ["analytics", "experiments", "personalization"];

/** How a region without its own rule treats a player who has not answered yet. */
export type ConsentMode = "opt-in" | "opt-out";

/** The consent block of /v1/config. */
export interface ConsentConfig {
	/** The policy version in effect; undefined while the game has published none (nobody can be asked yet). */
	policyVersion?: string;
	/** Countries (ISO 3166-1 alpha-2) whose players must opt in. */
	optInRegions: ReadonlySet<string>;
	/** What applies elsewhere. */
	defaultMode: ConsentMode;
}

/**
 * The EEA (the 27 EU members, Iceland, Liechtenstein, Norway), the United Kingdom and Switzerland: what applies until
 * the backend's config says otherwise (the backend keeps the same list).
 */
export const DEFAULT_OPT_IN_REGIONS: readonly string[] = [
	...["AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU"],
	...["MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO", "GB", "CH"],
];

/** The rules before the first config arrives: no policy yet, the EEA/UK/CH list, opt-in elsewhere too. */
export function defaultConsentConfig(): ConsentConfig {
	return { optInRegions: new Set(DEFAULT_OPT_IN_REGIONS), defaultMode: "opt-in" };
}

/** Everything refused: what applies while an answer is awaited where opt-in applies. */
export const NONE: Readonly<ConsentChoices> = { analytics: false, experiments: false, personalization: false };
/** Everything allowed. */
export const ALL: Readonly<ConsentChoices> = { analytics: true, experiments: true, personalization: true };

/** Whether a player from `region` (undefined or "ZZ": unknown) must opt in. */
export function requiresOptIn(region: string | undefined, config: ConsentConfig): boolean {
	if (region === undefined || region === "ZZ") return true;
	return config.optInRegions.has(region) || config.defaultMode === "opt-in";
}

/** A kept answer (DataStore). */
export interface StoredConsent {
	policyVersion: string;
	choices: ConsentChoices;
	/** Unix seconds of the answer. */
	answeredAt: number;
}

/**
 * Where a player stands:
 * - `loading`: their kept answer or their country is still being looked up; events wait;
 * - `asking`: opt-in applies and there is no answer for the current policy version; events wait;
 * - `answered`: they answered the current policy version;
 * - `default`: opt-in does not apply; the default (everything) or their answer to an older version applies.
 */
export type ConsentStatus = "loading" | "asking" | "answered" | "default";

export interface ConsentDecision {
	status: ConsentStatus;
	/** What applies now (while `loading` or `asking`, nothing: events wait). */
	choices: ConsentChoices;
	/** Whether the player should be asked (shown the prompt). */
	ask: boolean;
}

/**
 * What applies to a player given their kept answer (if any), their country and the game's rules.
 *
 * @example
 * decide(undefined, "DE", config); // { status: "asking", choices: NONE, ask: true }
 * decide(undefined, "US", optOutConfig); // { status: "default", choices: ALL, ask: false }
 */
export function decide(
	stored: StoredConsent | undefined,
	region: string | undefined,
	config: ConsentConfig,
): ConsentDecision {
	const current = config.policyVersion;
	if (stored !== undefined && current !== undefined && stored.policyVersion === current) {
		return { status: "answered", choices: copyChoices(stored.choices), ask: false };
	}
	if (requiresOptIn(region, config)) {
		// Without a published policy nobody can be asked; events wait until there is one (or the player leaves).
		return { status: "asking", choices: copyChoices(NONE), ask: current !== undefined };
	}
	// Opt-out: an older answer keeps applying until the player answers the new version; without one, everything.
	if (stored !== undefined)
		return { status: "default", choices: copyChoices(stored.choices), ask: current !== undefined };
	return { status: "default", choices: copyChoices(ALL), ask: false };
}

export function copyChoices(c: ConsentChoices): ConsentChoices {
	return { analytics: c.analytics, experiments: c.experiments, personalization: c.personalization };
}

/** Whether `after` refuses a category `before` allowed. */
export function withdraws(before: ConsentChoices, after: ConsentChoices): boolean {
	for (const category of CONSENT_CATEGORIES) if (before[category] && !after[category]) return true;
	return false;
}

/** Choices from a table a game or a client sent: every category must be a boolean; undefined when not. */
export function parseChoices(value: unknown): ConsentChoices | undefined {
	if (!typeIs(value, "table")) return undefined;
	const v = value as Partial<Record<ConsentCategory, unknown>>;
	if (!typeIs(v.analytics, "boolean") || !typeIs(v.experiments, "boolean") || !typeIs(v.personalization, "boolean")) {
		return undefined;
	}
	return { analytics: v.analytics, experiments: v.experiments, personalization: v.personalization };
}

/** A policy version as the backend accepts them: 1-32 of A-Z a-z 0-9 . _ -, starting with a letter or digit. */
export function isPolicyVersion(value: unknown): value is string {
	return typeIs(value, "string") && value.size() <= 32 && value.match("^[%w][%w%._%-]*$")[0] !== undefined;
}

/** The consent block of a /v1/config document; undefined when absent or malformed (the rules stay as they were). */
export function parseConsentConfig(value: unknown): ConsentConfig | undefined {
	if (!typeIs(value, "table")) return undefined;
	const v = value as { policyVersion?: unknown; optInRegions?: unknown; defaultMode?: unknown };
	if (v.policyVersion !== undefined && !isPolicyVersion(v.policyVersion)) return undefined;
	if (v.defaultMode !== "opt-in" && v.defaultMode !== "opt-out") return undefined;
	if (!typeIs(v.optInRegions, "table")) return undefined;
	const regions = new Set<string>();
	for (const region of v.optInRegions as unknown[]) {
		if (!typeIs(region, "string")) return undefined;
		regions.add(region);
	}
	return { policyVersion: v.policyVersion, optInRegions: regions, defaultMode: v.defaultMode };
}
