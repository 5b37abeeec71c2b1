import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { SdkConfig } from "../experiments/sdk-config.js";
import type { ListEventsResponse } from "../ingest/routes.js";
import { LiveEventHub } from "../live/event-hub.js";
import { makeBatch } from "../testing/fixtures.js";
import { createTestApp, type TestApp } from "../testing/test-app.js";
import type { PlayerConsent } from "./consent-records.js";
import type { ConsentSummary } from "./consent-routes.js";

let t: TestApp;
let owner: string;
let ingest: string;
let batches = 0;
beforeEach(async () => {
	t = await createTestApp();
	ingest = await t.gameAuth("g1");
	owner = await t.adminAuth("owner");
});
afterEach(() => t.close());

interface ConsentProps {
	policyVersion: string;
	analytics: boolean;
	experiments: boolean;
	personalization: boolean;
	region: string;
	source: "prompt" | "api" | "withdrawal";
	uiVersion?: string;
}

const GRANT: ConsentProps = {
	policyVersion: "1",
	analytics: true,
	experiments: true,
	personalization: false,
	region: "DE",
	uiVersion: "prompt-2",
	source: "prompt",
};

function consentEvent(id: string, userId: number, props: Partial<ConsentProps> = {}, time = t.clock.now - 1000) {
	return {
		id,
		time,
		userId,
		sessionId: `s-${userId}`,
		type: "consent",
		name: "consent",
		props: { ...GRANT, ...props },
	};
}

async function send(events: unknown[], batchId = `b-${++batches}`) {
	const res = await t.app.request("/v1/batches", {
		method: "POST",
		headers: { Authorization: ingest, "Content-Type": "application/json" },
		body: JSON.stringify(makeBatch(events, { batchId, sentAt: t.clock.now })),
	});
	expect(res.status).toBe(200);
	return (await res.json()) as { accepted: number; duplicates: number; rejected: { index: number; message: string }[] };
}

async function get(path: string, auth = owner) {
	return t.app.request(path, { headers: { Authorization: auth } });
}

async function publish(body: unknown, auth = owner) {
	return t.app.request("/v1/admin/games/g1/consent/policies", {
		method: "POST",
		headers: { Authorization: auth, "Content-Type": "application/json" },
		body: JSON.stringify(body),
	});
}

async function playerConsent(userId: number): Promise<PlayerConsent> {
	const res = await get(`/v1/games/g1/players/${userId}/consent`);
	expect(res.status).toBe(200);
	return (await res.json()) as PlayerConsent;
}

describe("consent events at ingest", () => {
	it("records every accepted consent event, sealed, and keeps only the policy version in the events table", async () => {
		const result = await send([
			consentEvent("c-1", 42),
			consentEvent("c-2", 42, { analytics: false, experiments: false, source: "withdrawal", uiVersion: undefined }),
		]);
		expect(result).toEqual({ accepted: 2, duplicates: 0, rejected: [] });

		const consent = await playerConsent(42);
		expect(consent.records.map((r) => [r.eventId, r.readable, r.choices, r.region, r.uiVersion, r.source])).toEqual([
			["c-1", true, { analytics: true, experiments: true, personalization: false }, "DE", "prompt-2", "prompt"],
			["c-2", true, { analytics: false, experiments: false, personalization: false }, "DE", null, "withdrawal"],
		]);
		expect(consent.state).toMatchObject({ policyVersion: "1", source: "withdrawal", upToDate: false });
		expect(consent.currentPolicyVersion).toBeNull();

		const events = (await (await get("/v1/games/g1/events?type=consent")).json()) as ListEventsResponse;
		expect(events.events.map((e) => e.props)).toEqual([{ policyVersion: "1" }, { policyVersion: "1" }]);
	});

	it("shows the live stream what the events table keeps, not the choice", async () => {
		const hub = new LiveEventHub();
		const publish = vi.spyOn(hub, "publish");
		const live = await createTestApp({ liveEvents: hub });
		try {
			const res = await live.app.request("/v1/batches", {
				method: "POST",
				headers: { Authorization: await live.gameAuth("g1"), "Content-Type": "application/json" },
				body: JSON.stringify(makeBatch([consentEvent("c-1", 42), { ...consentEvent("e-1", 42), type: "custom" }])),
			});
			expect(res.status).toBe(200);
			const published = publish.mock.calls[0]![1].events.map((e) => [e.type, e.props]);
			expect(published).toEqual([
				["consent", { policyVersion: "1" }],
				["custom", GRANT],
			]);
		} finally {
			await live.close();
		}
	});

	it("records the choice of a player who refused analytics: the refusal is the proof", async () => {
		await send([
			consentEvent("c-1", 7, { analytics: false, experiments: false, personalization: false, region: "FR" }),
		]);
		const consent = await playerConsent(7);
		expect(consent.records).toHaveLength(1);
		expect(consent.state?.choices).toEqual({ analytics: false, experiments: false, personalization: false });
	});

	it("makes one record of an event sent twice (a retried batch, or the same event in a new batch)", async () => {
		const event = consentEvent("c-1", 42);
		await send([event], "same");
		await send([event], "same");
		expect(await send([event], "other")).toMatchObject({ accepted: 0, duplicates: 1 });
		expect((await playerConsent(42)).records).toHaveLength(1);
		const summary = (await (await get("/v1/games/g1/consent/summary")).json()) as ConsentSummary;
		expect(summary.totals.records).toBe(1);
	});

	it("refuses consent events that cannot serve as proof, by index, and stores the rest of the batch", async () => {
		const result = await send([
			consentEvent("c-ok", 42),
			consentEvent("c-server", 0),
			consentEvent("c-region", 43, { region: "Germany" }),
			{ ...consentEvent("c-extra", 44), props: { ...GRANT, email: "a@b.c" } },
		]);
		expect(result.accepted).toBe(1);
		expect(result.rejected.map((r) => [r.index, r.message])).toEqual([
			[1, "userId: a consent event belongs to a player (userId 0 is the server)"],
			[2, 'props.region: an ISO 3166-1 alpha-2 country code in capitals ("ZZ" when unknown)'],
			[3, "props.email: unknown member"],
		]);
		expect((await playerConsent(43)).records).toEqual([]);
	});

	it("finds no records of a player whose vault row was shredded: what is left names a pseudonym nobody resolves", async () => {
		await send([consentEvent("c-1", 42)]);
		expect((await playerConsent(42)).records).toHaveLength(1);
		expect(t.playerKeys.shred("g1", 42)).toBe(true);
		const consent = await playerConsent(42);
		expect(consent.state).toBeNull();
		expect(consent.records).toEqual([]);
		// The tallies are anonymous counts: they keep the choice (an erasure subtracts it before shredding).
		const summary = (await (await get("/v1/games/g1/consent/summary")).json()) as ConsentSummary;
		expect(summary.totals.records).toBe(1);
	});
});

describe("GET /v1/games/:gameId/players/:userId/consent", () => {
	it("audits every read, naming the reader and never the UserId", async () => {
		await send([consentEvent("c-1", 42)]);
		await playerConsent(42);
		const audit = await t.store.privacy.listAudit(0, 100);
		const reads = audit.filter((row) => row.action === "consent.records_read");
		expect(reads).toHaveLength(1);
		expect(reads[0]).toMatchObject({ gameId: "g1", actor: expect.stringMatching(/^admin:/) as unknown as string });
		expect(reads[0]!.subject).toMatch(/^[0-9a-f]{64}$/);
		expect(JSON.stringify(reads[0])).not.toContain("42,");
	});

	it("is for analysts and owners, and checks the game and the UserId", async () => {
		expect((await get("/v1/games/g1/players/42/consent", await t.adminAuth("viewer"))).status).toBe(403);
		expect((await get("/v1/games/g1/players/42/consent", await t.adminAuth("analyst"))).status).toBe(200);
		expect((await get("/v1/games/nope/players/42/consent")).status).toBe(404);
		for (const bad of ["0", "abc", "-1", "1e3"]) {
			const res = await get(`/v1/games/g1/players/${bad}/consent`);
			expect(res.status).toBe(400);
			expect(res.headers.get("content-type")).toBe("application/problem+json");
		}
	});
});

describe("consent policies", () => {
	it("publishes versions that become current, lists them newest first, and serves the current one in /v1/config", async () => {
		const first = await publish({ version: "1", summary: "First policy", url: "https://example.com/privacy/1" });
		expect(first.status).toBe(201);
		expect(await first.json()).toMatchObject({ version: "1", current: true, summary: "First policy" });
		t.clock.now += 1000;
		expect((await publish({ version: "2", url: "https://example.com/privacy/2" })).status).toBe(201);

		const list = (await (await get("/v1/admin/games/g1/consent/policies", await t.adminAuth("viewer"))).json()) as {
			current: string;
			policies: { version: string; current: boolean }[];
		};
		expect(list.current).toBe("2");
		expect(list.policies.map((p) => [p.version, p.current])).toEqual([
			["2", true],
			["1", false],
		]);

		const game = await t.gameAuth("g1", ["config"]);
		const config = (await (
			await t.app.request("/v1/config", { headers: { Authorization: game } })
		).json()) as SdkConfig;
		expect(config.consent).toMatchObject({ policyVersion: "2", defaultMode: "opt-in" });

		// A record under version 1 is now out of date; the audit log has both publications.
		await send([consentEvent("c-1", 42)]);
		expect((await playerConsent(42)).state).toMatchObject({ policyVersion: "1", upToDate: false });
		expect((await playerConsent(42)).currentPolicyVersion).toBe("2");
		const audit = await t.store.privacy.listAudit(0, 100);
		expect(audit.filter((row) => row.action === "consent.policy_published")).toHaveLength(2);
	});

	it("schedules a version with a later effectiveAt: current only from then", async () => {
		await publish({ version: "1", summary: "now" });
		const later = t.clock.now + 60_000;
		expect((await publish({ version: "2", summary: "later", effectiveAt: new Date(later).toISOString() })).status).toBe(
			201,
		);
		const current = async () =>
			((await (await get("/v1/admin/games/g1/consent/policies")).json()) as { current: string }).current;
		expect(await current()).toBe("1");
		t.clock.now = later;
		expect(await current()).toBe("2");
	});

	it("refuses a taken version, an earlier effectiveAt, a policy without summary or url, and non-owners", async () => {
		await publish({ version: "1", summary: "first" });
		const taken = await publish({ version: "1", summary: "again" });
		expect(taken.status).toBe(409);
		expect(((await taken.json()) as { detail: string }).detail).toMatch(/already has policy version "1"/);
		const earlier = await publish({ version: "0", summary: "older", effectiveAt: t.clock.now - 60_000 });
		expect(earlier.status).toBe(409);

		const invalid = await publish({ version: "bad version!" });
		expect(invalid.status).toBe(400);
		const paths = ((await invalid.json()) as { errors: { path: string }[] }).errors.map((e) => e.path).sort();
		expect(paths).toEqual(["summary", "version"]);
		expect((await publish({ version: "3", summary: "x", url: "ftp://example.com" })).status).toBe(400);
		expect((await publish({ version: "3", summary: "x", extra: 1 })).status).toBe(400);

		expect((await publish({ version: "3", summary: "x" }, await t.adminAuth("analyst"))).status).toBe(403);
		expect((await publish({ version: "3", summary: "x" })).status).toBe(201);
	});
});

describe("consent in game settings and /v1/config", () => {
	it("delivers the configured default mode for regions without their own rule", async () => {
		const patch = await t.app.request("/v1/admin/games/g1/settings", {
			method: "PATCH",
			headers: { Authorization: owner, "Content-Type": "application/json" },
			body: JSON.stringify({ consentDefault: "opt-out" }),
		});
		expect(await patch.json()).toMatchObject({ consentDefault: "opt-out" });
		const game = await t.gameAuth("g1", ["config"]);
		const config = (await (
			await t.app.request("/v1/config", { headers: { Authorization: game } })
		).json()) as SdkConfig;
		expect(config.consent).toMatchObject({ policyVersion: null, defaultMode: "opt-out" });
		expect(config.consent?.optInRegions).toContain("GB");

		const bad = await t.app.request("/v1/admin/games/g1/settings", {
			method: "PATCH",
			headers: { Authorization: owner, "Content-Type": "application/json" },
			body: JSON.stringify({ consentDefault: "ask" }),
		});
		expect(bad.status).toBe(400);
	});
});

describe("GET /v1/games/:gameId/consent/summary", () => {
	it("counts records by policy version, category, source and full choice, and distinct players", async () => {
		await send([
			consentEvent("a", 1),
			consentEvent("b", 2),
			consentEvent("c", 3, { analytics: false, experiments: false, personalization: false }),
			consentEvent("d", 1, { policyVersion: "2", personalization: true, source: "api", uiVersion: undefined }),
		]);
		const res = await get("/v1/games/g1/consent/summary", await t.adminAuth("viewer"));
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({
			gameId: "g1",
			currentPolicyVersion: null,
			totals: {
				records: 4,
				analytics: 3,
				experiments: 3,
				personalization: 1,
				bySource: { prompt: 3, api: 1, withdrawal: 0 },
			},
			byPolicyVersion: [
				{
					policyVersion: "1",
					players: 3,
					records: 3,
					analytics: 2,
					experiments: 2,
					personalization: 0,
					bySource: { prompt: 3, api: 0, withdrawal: 0 },
					combinations: [
						{ analytics: true, experiments: true, personalization: false, records: 2 },
						{ analytics: false, experiments: false, personalization: false, records: 1 },
					],
				},
				{
					policyVersion: "2",
					players: 1,
					records: 1,
					analytics: 1,
					experiments: 1,
					personalization: 1,
					bySource: { prompt: 0, api: 1, withdrawal: 0 },
					combinations: [{ analytics: true, experiments: true, personalization: true, records: 1 }],
				},
			],
		} satisfies ConsentSummary);
	});
});
