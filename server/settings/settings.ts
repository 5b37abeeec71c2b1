// Per-game settings: what a valid change is, and how settings are shown. The webhook URL carries a secret token
// (Discord's do), so it leaves the backend masked, and a masked value sent back is refused rather than stored.
import { z } from "zod";
import { CONSENT_MODES } from "../privacy/consent.js";
import type { GameSettings } from "../store/types.js";

/** Longest webhook URL accepted; Discord's are about 120 characters. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;
/** What replaces the secret part of a webhook URL when it is shown. */
export const MASK = "…";

let knownZones: ReadonlySet<string> | undefined;
/** Every segment of a zone name starts with a capital ("America/Port-au-Prince", "EST5EDT"). */
const ZONE_NAME = /^[A-Z][^/]*(?:\/[A-Z][^/]*)*$/;

/**
 * Whether Node knows `zone` as an IANA time zone: one of `Intl.supportedValuesOf("timeZone")`, "UTC" (which that
 * list leaves out), or an IANA name Intl resolves to one of those. The last part matters: Node's list holds ICU's
 * names, so current IANA names such as "Asia/Kolkata" or "Europe/Kyiv" are absent from it (as links to
 * "Asia/Calcutta", "Europe/Kiev") though Intl computes with them. Names are case-sensitive, as in the IANA database.
 *
 * @example
 * isKnownTimeZone("Europe/Berlin"); // true
 * isKnownTimeZone("Asia/Kolkata"); // true
 * isKnownTimeZone("Mars/Olympus"); // false
 */
export function isKnownTimeZone(zone: string): boolean {
	knownZones ??= new Set([...Intl.supportedValuesOf("timeZone"), "UTC"]);
	if (knownZones.has(zone)) return true;
	if (!ZONE_NAME.test(zone)) return false;
	try {
		return knownZones.has(new Intl.DateTimeFormat("en-US", { timeZone: zone }).resolvedOptions().timeZone);
	} catch {
		return false;
	}
}

/**
 * A webhook URL as shown to admins: scheme and host, then {@link MASK}; the path and query (where the token is) never.
 *
 * @example
 * maskWebhookUrl("https://discord.com/api/webhooks/123/secret"); // "https://discord.com/…"
 */
export function maskWebhookUrl(url: string | null): string | null {
	if (url === null) return null;
	try {
		const { protocol, host } = new URL(url);
		return `${protocol}//${host}/${MASK}`;
	} catch {
		// Only validated URLs are stored; should one ever fail to parse, show nothing of it.
		return MASK;
	}
}

/** True for a URL that holds the mask: someone sent back what GET showed instead of the real URL. */
function looksMasked(url: string): boolean {
	return url.includes(MASK) || /%E2%80%A6/i.test(url);
}

export const timeZoneSchema = z.string().max(64).refine(isKnownTimeZone, {
	message: 'not an IANA time zone Node knows (names such as "Europe/Berlin", "America/New_York" or "UTC")',
});

const webhookUrlSchema = z
	.url({ protocol: /^https?$/, error: "must be an http(s) URL" })
	.max(MAX_WEBHOOK_URL_LENGTH)
	.refine((url) => !looksMasked(url), {
		message: "is the masked value GET shows: send the whole URL, or leave the member out to keep the current one",
	});

/** PATCH body: every member optional, unknown members refused; null clears a nullable setting. */
export const updateGameSettingsSchema = z
	.strictObject({
		timeZone: timeZoneSchema
			.optional()
			.describe(
				"IANA time zone of the game's days (daily metrics, the digest), case-sensitive, e.g. Europe/Berlin; default UTC.",
			),
		rawRetentionDays: z
			.number()
			.int()
			.min(1)
			.max(3650)
			.nullable()
			.optional()
			.describe("Days raw events are kept (1 to 3650); null keeps them forever (the default)."),
		digestWebhookUrl: webhookUrlSchema
			.nullable()
			.optional()
			.describe("Discord-compatible webhook (http or https) the daily digest is posted to; null turns the digest off."),
		digestHour: z
			.number()
			.int()
			.min(0)
			.max(23)
			.optional()
			.describe("Hour of the day (0 to 23, in timeZone) from which yesterday's digest is posted; default 9."),
		trustClientClock: z
			.boolean()
			.optional()
			.describe(
				"true: events keep the times their sender stamped, with no clock-skew correction (for simulations and " +
					"imports that send history on purpose); default false. Applies from the next batch.",
			),
		consentDefault: z
			.enum(CONSENT_MODES)
			.optional()
			.describe(
				"Consent outside the EEA, the UK and Switzerland (always opt-in there): opt-in asks players first, opt-out " +
					"tracks them until they refuse; default opt-in. The SDK gets it from /v1/config.",
			),
	})
	.describe("Settings to change; members left out keep their value.");
export type GameSettingsUpdate = z.output<typeof updateGameSettingsSchema>;

export const gameSettingsSchema = z
	.object({
		gameId: z.string().describe("The game (Roblox universe id)."),
		timeZone: z.string().describe("IANA time zone of the game's days (daily metrics, the digest)."),
		rawRetentionDays: z
			.number()
			.int()
			.min(1)
			.max(3650)
			.nullable()
			.describe("Days raw events are kept (1 to 3650); null: kept forever."),
		digestWebhookUrl: z
			.string()
			.nullable()
			.describe(`Where the daily digest is posted, masked: scheme and host then "${MASK}" (the path holds a secret).`),
		digestHour: z
			.number()
			.int()
			.min(0)
			.max(23)
			.describe("Hour of the day (0 to 23, in timeZone) from which yesterday's digest is posted."),
		trustClientClock: z
			.boolean()
			.describe(
				"Whether events keep the times their sender stamped (true) or are corrected for the sender's clock " +
					"skew, measured from the batch's sentAt (false, the default).",
			),
		consentDefault: z
			.enum(CONSENT_MODES)
			.describe(
				"Consent outside the EEA, the UK and Switzerland (always opt-in there): opt-in (the default) or opt-out.",
			),
		updatedAt: z.string().nullable().describe("When the settings last changed (ISO 8601); null: the defaults."),
	})
	.describe("A game's settings.");
export type GameSettingsResponse = z.input<typeof gameSettingsSchema>;

/** The admin API's view of a game's settings: the webhook URL masked, the time as ISO 8601. */
export function gameSettingsResponse(settings: GameSettings): GameSettingsResponse {
	return {
		gameId: settings.gameId,
		timeZone: settings.timeZone,
		rawRetentionDays: settings.rawRetentionDays,
		digestWebhookUrl: maskWebhookUrl(settings.digestWebhookUrl),
		digestHour: settings.digestHour,
		trustClientClock: settings.trustClientClock,
		consentDefault: settings.consentDefault,
		updatedAt: settings.updatedAt === null ? null : new Date(settings.updatedAt).toISOString(),
	};
}
