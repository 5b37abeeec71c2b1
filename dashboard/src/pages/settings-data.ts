// The Settings page's data: the admin API's answers as types, and the checks and wording of its forms. Pure
// functions, tested on their own. The server checks everything again; these only say what is wrong before a request.
import type { Role } from "../session.js";

/** GET /v1/admin/games/{id}/settings (the webhook URL arrives masked: scheme and host, then "…"). */
export interface GameSettings {
	gameId: string;
	timeZone: string;
	rawRetentionDays: number | null;
	digestWebhookUrl: string | null;
	digestHour: number;
	trustClientClock: boolean;
	updatedAt: string | null;
}

export interface Game {
	id: string;
	name: string;
	createdAt: string;
}

/** A game key as listed: never its secret. */
export interface ApiKey {
	id: string;
	gameId: string;
	name: string;
	scopes: string[];
	createdAt: string;
	revokedAt: string | null;
}

/** POST /v1/admin/games/{id}/keys: the whole key, in this answer only. */
export interface CreatedKey {
	key: ApiKey;
	apiKey: string;
}

export interface AdminUser {
	id: string;
	email: string;
	/** Instance admin: creates games and users, owner of every game. */
	admin: boolean;
	createdAt: string;
	disabledAt: string | null;
}

/** GET /v1/admin/games/{id}/members: who can open the game. */
export interface GameMember {
	userId: string;
	email: string;
	role: Role;
	/** "admin": an instance admin (owner of every game); their role is not changed here. */
	via: "grant" | "admin";
	grantedAt: string | null;
	disabled: boolean;
}

/** POST /v1/admin/users: `generatedPassword` only when none was sent, in this answer only. */
export interface CreatedUser {
	user: AdminUser;
	generatedPassword?: string;
}

/** POST /v1/admin/games/{id}/digest/test */
export interface TestDigestResult {
	day: string;
	outcome: "delivered" | "rejected" | "gave_up" | "aborted";
	attempts: number;
	status: number | null;
	error: string | null;
}

/** Scopes a game key can carry, with what each allows. */
export const KEY_SCOPES = [
	{ id: "ingest", label: "ingest — send events" },
	{ id: "config", label: "config — read experiments and flags" },
] as const;

export const ROLE_HELP: Record<Role, string> = {
	owner: "everything on this game, including its keys, members and settings",
	analyst: "dashboards, raw events, players and experiments",
	viewer: "dashboards only",
};

/** Only the game's owners change its settings, keys and members (the API refuses everyone else). */
export function canManage(role: Role): boolean {
	return role === "owner";
}

/**
 * The time zones to offer: UTC first, then every zone the browser knows, in order, with the game's current one kept
 * even if this browser does not list it (the server knows more names than some browsers).
 */
export function timeZoneOptions(current: string, supported: readonly string[]): string[] {
	const zones = new Set(supported.filter((z) => z !== "UTC"));
	zones.add(current);
	zones.delete("UTC");
	return ["UTC", ...[...zones].sort()];
}

/** The zones this browser knows (Intl), or none where it cannot say. */
export function browserTimeZones(): string[] {
	const intl = Intl as { supportedValuesOf?: (key: "timeZone") => string[] };
	try {
		return intl.supportedValuesOf?.("timeZone") ?? [];
	} catch {
		return [];
	}
}

/** The retention field: empty keeps raw events forever; else whole days from 1 to 3650. */
export function parseRetention(text: string): { days: number | null } | { error: string } {
	const trimmed = text.trim();
	if (trimmed === "") return { days: null };
	if (!/^\d+$/.test(trimmed))
		return { error: "Retention is a whole number of days, or empty to keep raw events forever." };
	const days = Number(trimmed);
	if (days < 1 || days > 3650) return { error: "Retention is 1 to 3650 days, or empty to keep raw events forever." };
	return { days };
}

export interface SettingsForm {
	timeZone: string;
	retention: string;
	digestHour: string;
}

/** What the form changes against the saved settings (only the members that differ), or what is wrong with it. */
export function settingsChanges(
	saved: GameSettings,
	form: SettingsForm,
): { changes: Partial<Pick<GameSettings, "timeZone" | "rawRetentionDays" | "digestHour">> } | { error: string } {
	const retention = parseRetention(form.retention);
	if ("error" in retention) return retention;
	const hour = Number(form.digestHour);
	if (!Number.isInteger(hour) || hour < 0 || hour > 23) return { error: "The digest hour is 0 to 23." };
	const changes: Partial<Pick<GameSettings, "timeZone" | "rawRetentionDays" | "digestHour">> = {};
	if (form.timeZone !== saved.timeZone) changes.timeZone = form.timeZone;
	if (retention.days !== saved.rawRetentionDays) changes.rawRetentionDays = retention.days;
	if (hour !== saved.digestHour) changes.digestHour = hour;
	return { changes };
}

/** A webhook URL typed in: an http(s) URL, never the masked value the page shows. */
export function checkWebhookUrl(text: string): { url: string } | { error: string } {
	const url = text.trim();
	if (url === "") return { error: "Paste the webhook URL (Discord: channel settings → Integrations → Webhooks)." };
	if (url.includes("…")) return { error: "That is the masked URL: paste the whole webhook URL." };
	try {
		const parsed = new URL(url);
		if (parsed.protocol !== "https:" && parsed.protocol !== "http:") throw new Error("scheme");
	} catch {
		return { error: "The webhook URL must be an http(s) URL, such as https://discord.com/api/webhooks/…" };
	}
	return { url };
}

/** What a test digest did, in plain words. */
export function describeTestDigest(result: TestDigestResult): string {
	switch (result.outcome) {
		case "delivered":
			return `Sent: the webhook accepted the test digest of ${result.day} (HTTP ${result.status ?? "?"}).`;
		case "rejected":
			return `The webhook refused the test digest (HTTP ${result.status ?? "?"}): check the URL. ${result.error ?? ""}`.trim();
		case "gave_up":
			return `The webhook did not answer in time or failed${result.status ? ` (HTTP ${result.status})` : ""}: try again later. ${result.error ?? ""}`.trim();
		case "aborted":
			return "The test was cancelled.";
	}
}

/** A key's state for the list: active, or when it was revoked. */
export function keyState(key: ApiKey, format: (iso: string) => string = shortDate): string {
	return key.revokedAt === null ? "Active" : `Revoked ${format(key.revokedAt)}`;
}

/** The public part of a key (its id, before the dot), which is all the page shows once the key was copied. */
export function keyPrefix(apiKey: string): string {
	const dot = apiKey.indexOf(".");
	return dot < 0 ? apiKey : apiKey.slice(0, dot);
}

/** A new user's fields: an email, and a password of 12+ characters unless one is to be generated. */
export function checkNewUser(input: { email: string; password: string }): string | undefined {
	if (!/^[^\s@]{1,64}@[^\s@]{1,255}$/.test(input.email.trim())) return "Enter the user's email address.";
	if (input.password !== "" && input.password.length < 12) {
		return "The password needs 12 characters or more (or leave it empty to generate one).";
	}
	return undefined;
}

const dateFormat = new Intl.DateTimeFormat("en-US", { year: "numeric", month: "short", day: "numeric" });

/** An ISO time as a date for text: `Jan 5, 2025`. */
export function shortDate(iso: string): string {
	const time = Date.parse(iso);
	return Number.isNaN(time) ? iso : dateFormat.format(new Date(time));
}
