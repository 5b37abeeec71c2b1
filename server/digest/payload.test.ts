import { describe, expect, it } from "vitest";
import {
	DISCORD_LIMITS,
	buildDigestPayload,
	clip,
	formatChange,
	formatKpiValue,
	percentChange,
	type DigestInput,
	type DigestKpi,
	type DiscordWebhookPayload,
} from "./payload.js";

const AT = Date.parse("2025-01-02T09:00:00Z");

const KPIS: DigestKpi[] = [
	{ key: "dau", label: "Daily active players", value: 1234, previous: 1100, unit: "players" },
	{ key: "revenue", label: "Revenue", value: 5000, previous: 5160, unit: "robux" },
	{ key: "session", label: "Average session", value: 754, previous: 754, unit: "seconds" },
	{ key: "d1", label: "Day-1 retention", value: 0.3, previous: 0.25, unit: "ratio" },
	{ key: "purchases", label: "Purchases", value: 12, previous: 0, unit: "count" },
	{ key: "refunds", label: "Refunds", value: 0, previous: 0, unit: "count" },
	{ key: "new", label: "New players", value: null, previous: 40, unit: "players" },
	{ key: "payers", label: "Payers", value: 7, previous: null, unit: "players" },
];

function input(overrides: Partial<DigestInput> = {}): DigestInput {
	return {
		gameId: "123",
		gameName: "Obby",
		day: "2025-01-01",
		timeZone: "Europe/Berlin",
		kpis: KPIS,
		at: AT,
		...overrides,
	};
}

/** Every documented limit of a Discord webhook message. */
function expectWithinDiscordLimits(payload: DiscordWebhookPayload): void {
	expect(payload.content.length).toBeLessThanOrEqual(DISCORD_LIMITS.content);
	expect(payload.content).not.toContain("\n");
	expect(payload.embeds).toHaveLength(1);
	const embed = payload.embeds[0];
	expect(embed.title.length).toBeLessThanOrEqual(DISCORD_LIMITS.title);
	expect((embed.description ?? "").length).toBeLessThanOrEqual(DISCORD_LIMITS.description);
	expect(embed.fields.length).toBeLessThanOrEqual(DISCORD_LIMITS.fields);
	expect(embed.footer.text.length).toBeLessThanOrEqual(DISCORD_LIMITS.footer);
	let total = embed.title.length + (embed.description ?? "").length + embed.footer.text.length;
	for (const field of embed.fields) {
		expect(field.name.length).toBeGreaterThan(0);
		expect(field.name.length).toBeLessThanOrEqual(DISCORD_LIMITS.fieldName);
		expect(field.value.length).toBeGreaterThan(0);
		expect(field.value.length).toBeLessThanOrEqual(DISCORD_LIMITS.fieldValue);
		// KPIs side by side; only the guardrail and anomaly sections span the embed.
		expect(field.inline).toBe(!field.name.startsWith("⚠") && !field.name.startsWith("📈"));
		total += field.name.length + field.value.length;
	}
	expect(total).toBeLessThanOrEqual(DISCORD_LIMITS.embedTotal);
	expect(Number.isInteger(embed.color) && embed.color >= 0 && embed.color <= 0xffffff).toBe(true);
	expect(new Date(embed.timestamp).toISOString()).toBe(embed.timestamp);
}

describe("buildDigestPayload", () => {
	it("builds a Discord webhook message: a one-line summary and one inline field per KPI", () => {
		const payload = buildDigestPayload(input());
		expectWithinDiscordLimits(payload);
		expect(payload).toMatchObject({
			username: "Vantage",
			content:
				"**Obby** · 2025-01-01 · Daily active players 1,234 (+12.2%) · Revenue R$ 5,000 (−3.1%) · Average session 12 min 34 s (0.0%)",
			allowed_mentions: { parse: [] },
			embeds: [
				{
					title: "Daily digest · Obby",
					description: "KPIs of 2025-01-01 (Europe/Berlin), compared with the day before.",
					timestamp: "2025-01-02T09:00:00.000Z",
					footer: { text: "Vantage · game 123 · days in Europe/Berlin" },
				},
			],
		});
		expect(payload.embeds[0].fields).toEqual([
			{ name: "Daily active players", value: "1,234\n▲ +12.2% vs 1,100", inline: true },
			{ name: "Revenue", value: "R$ 5,000\n▼ −3.1% vs R$ 5,160", inline: true },
			{ name: "Average session", value: "12 min 34 s\n= 0.0% vs 12 min 34 s", inline: true },
			{ name: "Day-1 retention", value: "30.0%\n▲ +20.0% (+5.0 pp) vs 25.0%", inline: true },
			{ name: "Purchases", value: "12\nnew · vs 0", inline: true },
			{ name: "Refunds", value: "0\n= 0.0% vs 0", inline: true },
			{ name: "New players", value: "no data\n–", inline: true },
			{ name: "Payers", value: "7\nno data the day before", inline: true },
		]);
	});

	it("says so when there are no KPIs", () => {
		const payload = buildDigestPayload(input({ kpis: [] }));
		expectWithinDiscordLimits(payload);
		expect(payload.content).toBe("**Obby** · 2025-01-01 · no KPIs yet");
		expect(payload.embeds[0].fields).toEqual([]);
		expect(payload.embeds[0].description).toMatch(/No KPIs are available for this day yet\.$/);
	});

	it("marks a test send", () => {
		const payload = buildDigestPayload(input({ test: true }));
		expect(payload.embeds[0].title).toBe("[Test] Daily digest · Obby");
		expect(payload.content.startsWith("[Test] **Obby**")).toBe(true);
	});

	it("stays within every limit with too many, too long KPIs, and says how many it left out", () => {
		const long = "é".repeat(400);
		const kpis: DigestKpi[] = Array.from({ length: 40 }, (_, i) => ({
			key: `k${i}`,
			label: `${long} ${i}`,
			value: 1e21 * (i + 1),
			previous: i % 3 === 0 ? null : 1,
			unit: "robux",
		}));
		const payload = buildDigestPayload(input({ gameName: "G".repeat(500), kpis }));
		expectWithinDiscordLimits(payload);
		const embed = payload.embeds[0];
		expect(embed.title.endsWith("…")).toBe(true);
		expect(embed.fields.length).toBeGreaterThan(0);
		expect(embed.description).toContain(`${40 - embed.fields.length} more KPIs not shown.`);
	});

	it("keeps to 25 fields when short KPIs would all fit in the total", () => {
		const kpis: DigestKpi[] = Array.from({ length: 30 }, (_, i) => ({
			key: `k${i}`,
			label: `KPI ${i}`,
			value: i,
			previous: i,
			unit: "count",
		}));
		const payload = buildDigestPayload(input({ kpis }));
		expectWithinDiscordLimits(payload);
		expect(payload.embeds[0].fields).toHaveLength(25);
		expect(payload.embeds[0].description).toContain("5 more KPIs not shown.");
	});

	it("neither pings nor restyles from a game name or a label", () => {
		const kpis: DigestKpi[] = [{ key: "x", label: "@everyone\nnew\tline", value: 1, previous: 1, unit: "count" }];
		const payload = buildDigestPayload(input({ gameName: "**Bold** ||spoiler|| [link](http://x)", kpis }));
		expect(payload.allowed_mentions).toEqual({ parse: [] });
		expect(payload.content).toBe(
			"**\\*\\*Bold\\*\\* \\|\\|spoiler\\|\\| \\[link\\](http://x)** · 2025-01-01 · @everyone new line 1 (0.0%)",
		);
		expect(payload.embeds[0].fields[0]?.name).toBe("@everyone new line");
	});

	it("uses the key when the label is blank, and shows non-finite values as no data", () => {
		const kpis: DigestKpi[] = [{ key: "dau", label: "  ", value: Number.NaN, previous: Infinity, unit: "players" }];
		expect(buildDigestPayload(input({ kpis })).embeds[0].fields).toEqual([
			{ name: "dau", value: "no data\n–", inline: true },
		]);
	});
});

describe("formatting", () => {
	it.each([
		[1234567, "players", "1,234,567"],
		[12.5, "count", "12.5"],
		[0.356, "robux", "R$ 0.36"],
		[0.1234, "ratio", "12.3%"],
		[45, "seconds", "45 s"],
		[3725, "seconds", "1 h 02 min"],
		[null, "players", "no data"],
	] as const)("formatKpiValue(%j, %s) = %s", (value, unit, expected) => {
		expect(formatKpiValue(value, unit)).toBe(expected);
	});

	it.each([
		[120, 100, 20],
		[80, 100, -20],
		[0, 0, 0],
		[5, 0, null],
		[5, null, null],
		[null, 5, null],
		[-50, -100, 50],
	])("percentChange(%j, %j) = %j", (value, previous, expected) => {
		expect(percentChange(value, previous)).toBe(expected);
	});

	it("shows ratios' change in percentage points too", () => {
		expect(formatChange(0.2, 0.25, "ratio")).toBe("▼ −20.0% (−5.0 pp) vs 25.0%");
	});

	it("clips without splitting a surrogate pair", () => {
		expect(clip("abcdef", 4)).toBe("abc…");
		expect(clip("ab😀cd", 4)).toBe("ab…");
		expect(clip("abc", 3)).toBe("abc");
	});
});

describe("the guardrail section", () => {
	const alert = (i: number) => ({
		experiment: `exp-${i}`,
		metric: "Crash rate",
		variation: "grid",
		message: `exp-${i}: grid harms Crash rate (lower is better): +200.0% (+0.1), always-valid p = 0.0001.`,
	});

	it("lists guardrail regressions first, spanning the embed, and counts them in the summary", () => {
		const payload = buildDigestPayload(input({ alerts: [alert(1), alert(2)] }));
		expectWithinDiscordLimits(payload);
		const [first, ...rest] = payload.embeds[0].fields;
		expect(first).toEqual({
			name: "⚠ Guardrail regressions",
			value: `• ${alert(1).message}\n• ${alert(2).message}`,
			inline: false,
		});
		// Every KPI still follows.
		expect(rest.map((f) => f.name)).toEqual(KPIS.map((k) => k.label));
		expect(payload.content).toMatch(/ · ⚠ 2 guardrail regressions$/);
	});

	it("has no section without regressions, and says so when they could not be checked", () => {
		const none = buildDigestPayload(input({ alerts: [] }));
		expect(none.embeds[0].fields.map((f) => f.name)).toEqual(KPIS.map((k) => k.label));
		expect(none.content).not.toMatch(/guardrail/);
		const failed = buildDigestPayload(input({ alerts: null }));
		expect(failed.embeds[0].fields[0]).toMatchObject({ name: "⚠ Guardrail regressions", inline: false });
		expect(failed.embeds[0].fields[0]!.value).toMatch(/Could not be checked/);
	});

	it("keeps within Discord's limits with many regressions, saying how many more there are", () => {
		const payload = buildDigestPayload(input({ alerts: Array.from({ length: 50 }, (_, i) => alert(i)) }));
		expectWithinDiscordLimits(payload);
		const value = payload.embeds[0].fields[0]!.value;
		expect(value.length).toBeLessThanOrEqual(DISCORD_LIMITS.fieldValue);
		expect(value).toMatch(/… and \d+ more$/);
		const shown = value.split("\n").length - 1;
		expect(value).toMatch(new RegExp(`… and ${50 - shown} more$`));
	});
});

describe("the KPI anomaly section", () => {
	const anomaly = {
		kpi: "Daily active players",
		message: "Daily active players: 612, expected about 1,204 (unusually low, z = -7.9)",
	};

	it("lists the day's anomalies after the guardrails and before the KPIs, and counts them in the summary", () => {
		const payload = buildDigestPayload(input({ anomalies: [anomaly] }));
		expectWithinDiscordLimits(payload);
		const [first, ...rest] = payload.embeds[0].fields;
		expect(first).toEqual({ name: "📈 KPI anomalies", value: `• ${anomaly.message}`, inline: false });
		expect(rest.map((f) => f.name)).toEqual(KPIS.map((k) => k.label));
		expect(payload.content).toMatch(/ · 📈 1 KPI anomaly$/);
	});

	it("has no section on a day without anomalies", () => {
		const payload = buildDigestPayload(input({ anomalies: [] }));
		expect(payload.embeds[0].fields.map((f) => f.name)).toEqual(KPIS.map((k) => k.label));
		expect(payload.content).not.toMatch(/anomal/);
	});
});
