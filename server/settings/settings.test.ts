import { describe, expect, it } from "vitest";
import { isKnownTimeZone, maskWebhookUrl, updateGameSettingsSchema } from "./settings.js";

describe("maskWebhookUrl", () => {
	it.each([
		[null, null],
		["https://discord.com/api/webhooks/123/secret", "https://discord.com/…"],
		["https://user:password@hooks.example.com:8443/x?token=secret#frag", "https://hooks.example.com:8443/…"],
		["http://127.0.0.1:9000/hook", "http://127.0.0.1:9000/…"],
		["not a url", "…"],
	])("%j → %j", (url, expected) => {
		expect(maskWebhookUrl(url)).toBe(expected);
	});
});

describe("isKnownTimeZone", () => {
	it.each([
		["UTC", true],
		["Europe/Berlin", true],
		// Current IANA names Node's list lacks (it has ICU's older ones), and the older ones.
		["Asia/Kolkata", true],
		["Asia/Calcutta", true],
		["Europe/Kyiv", true],
		["America/Argentina/Buenos_Aires", true],
		["Etc/UTC", true],
		["US/Eastern", true],
		["europe/berlin", false],
		["asia/kolkata", false],
		["Mars/Olympus", false],
		["+02:00", false],
		["", false],
	])("%j → %j", (zone, expected) => {
		expect(isKnownTimeZone(zone)).toBe(expected);
	});
});

describe("updateGameSettingsSchema", () => {
	it("accepts an empty change and every member at its bounds", () => {
		expect(updateGameSettingsSchema.parse({})).toEqual({});
		const bounds = {
			rawRetentionDays: 3650,
			digestHour: 23,
			digestWebhookUrl: "http://example.com/h",
			timeZone: "UTC",
			trustClientClock: true,
		};
		expect(updateGameSettingsSchema.parse(bounds)).toEqual(bounds);
		expect(updateGameSettingsSchema.parse({ rawRetentionDays: 1, digestHour: 0 })).toEqual({
			rawRetentionDays: 1,
			digestHour: 0,
		});
	});

	it("refuses a percent-encoded mask and an overlong URL", () => {
		expect(updateGameSettingsSchema.safeParse({ digestWebhookUrl: "https://discord.com/%E2%80%A6" }).success).toBe(
			false,
		);
		const long = `https://example.com/${"a".repeat(2048)}`;
		expect(updateGameSettingsSchema.safeParse({ digestWebhookUrl: long }).success).toBe(false);
	});
});
