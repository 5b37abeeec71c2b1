// Player consent: what a consent event carries on the wire, what a consent policy version is, and the consent block of
// /v1/config. Region rules (issue 12): players in the EEA, the UK and Switzerland must opt in; elsewhere the game's
// configured default (`consentDefault` in its settings) applies.
import { z } from "zod";

/** What a player consents to, each on its own. Never remove one: stored records name them. */
export const CONSENT_CATEGORIES = ["analytics", "experiments", "personalization"] as const;
export type ConsentCategory = (typeof CONSENT_CATEGORIES)[number];

// Sources, modes and the default mode are plain data in server/domain/consent.ts (the stores use them).
import {
	CONSENT_MODES,
	CONSENT_SOURCES,
	DEFAULT_CONSENT_MODE,
	type ConsentMode,
	type ConsentSource,
} from "../domain/consent.js";
export { CONSENT_MODES, CONSENT_SOURCES, DEFAULT_CONSENT_MODE };
export type { ConsentMode, ConsentSource };

/**
 * Countries (ISO 3166-1 alpha-2) whose players must opt in whatever the game's default: the EEA (the 27 EU members,
 * Iceland, Liechtenstein, Norway), the United Kingdom and Switzerland. Sorted, so the config document is stable.
 */
export const OPT_IN_REGIONS: readonly string[] = Object.freeze(
	[
		// EU
		"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU",
		"MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
		// EEA outside the EU
		"IS", "LI", "NO",
		// United Kingdom, Switzerland
		"GB", "CH",
	].sort(), // prettier-ignore
);

/** A policy version as games name them: "3", "2025-01", "v2.1". Case-sensitive; compared as text. */
export const policyVersionSchema = z
	.string()
	.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/, "1-32 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit");

/** ISO 3166-1 alpha-2 in capitals; "ZZ" (user-assigned: unknown) when LocalizationService could not tell. */
export const regionSchema = z
	.string()
	.regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 country code in capitals ("ZZ" when unknown)');

/**
 * The props of a `consent` event (props are flat scalars, so each category is its own boolean). Strict: a consent
 * event is the proof of a player's choice, and a member the backend does not know would be a choice it cannot show.
 * - `uiVersion` is required when the player answered the prompt (which prompt they saw is part of the proof);
 * - a withdrawal refuses at least one category.
 */
export const consentPropsSchema = z
	.strictObject({
		policyVersion: policyVersionSchema.describe("The policy version the player answered (from /v1/config)."),
		analytics: z.boolean().describe("Analytics events may be collected."),
		experiments: z.boolean().describe("The player may be enrolled in experiments."),
		personalization: z.boolean().describe("The game may personalise with the player's data."),
		uiVersion: z
			.string()
			.min(1)
			.max(64)
			.optional()
			.describe("Version of the consent prompt the player saw; required when source is prompt."),
		region: regionSchema.describe("The player's country (LocalizationService), which decided the rules applied."),
		source: z.enum(CONSENT_SOURCES).describe("prompt: the SDK's prompt; api: the game's own call; withdrawal."),
	})
	.superRefine((props, ctx) => {
		if (props.source === "prompt" && props.uiVersion === undefined) {
			ctx.addIssue({ code: "custom", path: ["uiVersion"], message: "required when source is prompt", input: props });
		}
		if (props.source === "withdrawal" && CONSENT_CATEGORIES.every((category) => props[category])) {
			ctx.addIssue({
				code: "custom",
				path: ["source"],
				message: "a withdrawal must refuse at least one category",
				input: props,
			});
		}
	})
	.describe("The props of a consent event: the player's choice per category, and what it was made under.");
export type ConsentProps = z.output<typeof consentPropsSchema>;

/**
 * Checks a consent event beyond the generic event rules: its props ({@link consentPropsSchema}) and that it belongs
 * to a player. Returns the problems as `path: message` (empty when valid), paths relative to the event.
 *
 * @example
 * consentEventProblems({ userId: 0, props: {} }); // ["userId: …", "props.policyVersion: …", …]
 */
export function consentEventProblems(event: { userId: number; props: unknown }): string[] {
	const problems: string[] = [];
	if (event.userId === 0) problems.push("userId: a consent event belongs to a player (userId 0 is the server)");
	const result = consentPropsSchema.safeParse(event.props);
	if (!result.success) {
		for (const issue of result.error.issues) {
			const keys = issue.code === "unrecognized_keys" ? issue.keys.map((key) => `props.${key}: unknown member`) : [];
			if (keys.length > 0) problems.push(...keys);
			else problems.push(`${["props", ...issue.path.map(String)].join(".")}: ${issue.message}`);
		}
	}
	return problems;
}

/** What the events table keeps of a consent event: the policy version only; the choice is sealed in its record. */
export function storedConsentProps(props: ConsentProps): { policyVersion: string } {
	return { policyVersion: props.policyVersion };
}

/**
 * Events as others may see them once stored (the live stream): a consent event's props reduced to what the events
 * table keeps ({@link storedConsentProps}); other events, and a batch without consent events, unchanged.
 */
export function withoutConsentDetails<T extends { type: string; props: Record<string, unknown> }>(events: T[]): T[] {
	if (!events.some((event) => event.type === "consent")) return events;
	return events.map((event) =>
		event.type === "consent" && typeof event.props.policyVersion === "string"
			? { ...event, props: { policyVersion: event.props.policyVersion } }
			: event,
	);
}

/** The consent block of /v1/config: what the SDK needs to decide whom to ask, what, and under which version. */
export const sdkConsentConfigSchema = z
	.object({
		policyVersion: z
			.string()
			.nullable()
			.describe(
				"The policy version in effect; null while the game has none. A stored answer to another version asks again.",
			),
		categories: z.array(z.enum(CONSENT_CATEGORIES)).describe("What players are asked about, each on its own."),
		optInRegions: z
			.array(z.string())
			.describe('Countries (ISO 3166-1 alpha-2) whose players must opt in. Treat an unknown country ("ZZ") as one.'),
		defaultMode: z
			.enum(CONSENT_MODES)
			.describe(
				"Everywhere else: opt-in (ask first, collect nothing until granted) or opt-out (collect until refused).",
			),
	})
	.describe("Consent rules for the SDK.");
export type SdkConsentConfig = z.output<typeof sdkConsentConfigSchema>;

/** The /v1/config consent block of a game. */
export function sdkConsentConfig(policyVersion: string | null, defaultMode: ConsentMode): SdkConsentConfig {
	return { policyVersion, categories: [...CONSENT_CATEGORIES], optInRegions: [...OPT_IN_REGIONS], defaultMode };
}
