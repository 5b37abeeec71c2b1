import { describe, expect, it } from "vitest";
import {
	canManage,
	checkNewUser,
	checkWebhookUrl,
	describeTestDigest,
	keyPrefix,
	keyState,
	parseRetention,
	settingsChanges,
	timeZoneOptions,
	type GameSettings,
} from "./settings-data.js";

const SAVED: GameSettings = {
	gameId: "g1",
	timeZone: "UTC",
	rawRetentionDays: null,
	digestWebhookUrl: null,
	digestHour: 9,
	trustClientClock: false,
	updatedAt: null,
};

describe("who manages settings", () => {
	it("is owners only", () => {
		expect(canManage("owner")).toBe(true);
		expect(canManage("analyst")).toBe(false);
		expect(canManage("viewer")).toBe(false);
	});
});

describe("timeZoneOptions", () => {
	it("puts UTC first, sorts the rest and keeps the game's zone even when the browser lacks it", () => {
		expect(timeZoneOptions("Asia/Kolkata", ["Europe/Berlin", "UTC", "America/New_York"])).toEqual([
			"UTC",
			"America/New_York",
			"Asia/Kolkata",
			"Europe/Berlin",
		]);
		expect(timeZoneOptions("UTC", [])).toEqual(["UTC"]);
	});
});

describe("parseRetention", () => {
	it.each([
		["", { days: null }],
		[" 30 ", { days: 30 }],
		["3650", { days: 3650 }],
		["0", { error: expect.stringContaining("1 to 3650") }],
		["3651", { error: expect.stringContaining("1 to 3650") }],
		["1.5", { error: expect.stringContaining("whole number") }],
		["forever", { error: expect.stringContaining("whole number") }],
	])("%j → %j", (text, expected) => {
		expect(parseRetention(text)).toEqual(expected);
	});
});

describe("settingsChanges", () => {
	it("sends only what differs from the saved settings", () => {
		expect(settingsChanges(SAVED, { timeZone: "UTC", retention: "", digestHour: "9" })).toEqual({ changes: {} });
		expect(settingsChanges(SAVED, { timeZone: "Europe/Berlin", retention: "90", digestHour: "7" })).toEqual({
			changes: { timeZone: "Europe/Berlin", rawRetentionDays: 90, digestHour: 7 },
		});
		expect(
			settingsChanges({ ...SAVED, rawRetentionDays: 30 }, { timeZone: "UTC", retention: "", digestHour: "9" }),
		).toEqual({ changes: { rawRetentionDays: null } });
	});

	it("says what is wrong instead", () => {
		expect(settingsChanges(SAVED, { timeZone: "UTC", retention: "-1", digestHour: "9" })).toHaveProperty("error");
		expect(settingsChanges(SAVED, { timeZone: "UTC", retention: "", digestHour: "24" })).toEqual({
			error: "The digest hour is 0 to 23.",
		});
	});
});

describe("checkWebhookUrl", () => {
	it.each([
		["https://discord.com/api/webhooks/1/abc", { url: "https://discord.com/api/webhooks/1/abc" }],
		["  http://localhost:9000/hook ", { url: "http://localhost:9000/hook" }],
		["", { error: expect.stringContaining("Paste") }],
		["https://discord.com/…", { error: expect.stringContaining("masked") }],
		["ftp://example.com/x", { error: expect.stringContaining("http(s)") }],
		["discord.com/api", { error: expect.stringContaining("http(s)") }],
	])("%j → %j", (text, expected) => {
		expect(checkWebhookUrl(text)).toEqual(expected);
	});
});

describe("describeTestDigest", () => {
	it("says what the webhook did in plain words", () => {
		const base = { day: "2025-01-04", attempts: 1, error: null };
		expect(describeTestDigest({ ...base, outcome: "delivered", status: 204 })).toBe(
			"Sent: the webhook accepted the test digest of 2025-01-04 (HTTP 204).",
		);
		expect(describeTestDigest({ ...base, outcome: "rejected", status: 404, error: "404 Unknown Webhook" })).toBe(
			"The webhook refused the test digest (HTTP 404): check the URL. 404 Unknown Webhook",
		);
		expect(describeTestDigest({ ...base, outcome: "gave_up", status: null, error: "timeout" })).toBe(
			"The webhook did not answer in time or failed: try again later. timeout",
		);
	});
});

describe("keys and users", () => {
	it("shows a key's state and only the public part of a key", () => {
		const key = { id: "vk_1", gameId: "g1", name: "", scopes: ["ingest"], createdAt: "2025-01-05T00:00:00Z" };
		expect(keyState({ ...key, revokedAt: null })).toBe("Active");
		expect(keyState({ ...key, revokedAt: "2025-01-06T12:00:00.000Z" }, (iso) => iso.slice(0, 10))).toBe(
			"Revoked 2025-01-06",
		);
		expect(keyPrefix("vk_01ABC.secretpart")).toBe("vk_01ABC");
	});

	it("checks a new user's email and password before asking the server", () => {
		expect(checkNewUser({ email: "a@example.com", password: "" })).toBeUndefined();
		expect(checkNewUser({ email: "a@example.com", password: "twelve chars" })).toBeUndefined();
		expect(checkNewUser({ email: "a@example.com", password: "short" })).toContain("12 characters");
		expect(checkNewUser({ email: "nobody", password: "" })).toContain("email");
	});
});
