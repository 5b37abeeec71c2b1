import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { memoryLogger } from "../testing/fixtures.js";
import { hang, reply, sequence, startWebhookServer, type WebhookServer } from "../testing/webhook-server.js";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import type { Store } from "../store/types.js";
import type { DigestKpi, DigestKpiSource } from "./payload.js";
import {
	DIGEST_ALERTS_BUDGET_MS,
	DIGEST_CLAIM_MS,
	DIGEST_RETRY_PAUSE_MS,
	sendTestDigest,
	startDigests,
	type Digests,
	type DigestsOptions,
} from "./scheduler.js";

/** 10:00 UTC on 2 January: past the default digest hour (9) in UTC, so 1 January is due. */
const NOW = Date.parse("2025-01-02T10:00:00Z");
const KPIS: DigestKpi[] = [{ key: "dau", label: "Daily active players", value: 120, previous: 100, unit: "players" }];

let store: Store;
let clock: { now: number };
const hooks: WebhookServer[] = [];
const running: Digests[] = [];
let kpiCalls: [string, string][];
const kpis: DigestKpiSource = async (gameId, day) => {
	kpiCalls.push([gameId, day]);
	return KPIS;
};

beforeEach(async () => {
	store = openSqliteStore({ path: ":memory:" });
	clock = { now: NOW };
	kpiCalls = [];
	for (const id of ["a", "b"]) await store.createGame({ id, name: `Game ${id}`, createdAt: 0 });
});
afterEach(async () => {
	await Promise.all(running.splice(0).map((d) => d.stop()));
	await Promise.all(hooks.splice(0).map((h) => h.close()));
	await store.close();
});

async function webhook(respond = reply(204)): Promise<WebhookServer> {
	const hook = await startWebhookServer(respond);
	hooks.push(hook);
	return hook;
}

function start(overrides: Partial<DigestsOptions> = {}) {
	const { logger, lines } = memoryLogger();
	const waits: number[] = [];
	const digests = startDigests({
		store,
		logger,
		clock: () => clock.now,
		kpis,
		// Retries wait no real time; the waits are recorded.
		sleep: async (ms) => {
			waits.push(ms);
		},
		random: () => 0.5,
		...overrides,
	});
	running.push(digests);
	return { digests, lines, waits };
}

describe("startDigests", () => {
	it("posts yesterday's digest of each game with a webhook once its hour has passed, and only once", async () => {
		const hook = await webhook();
		await store.updateGameSettings("a", { digestWebhookUrl: `${hook.url}/hooks/a/secret` }, 0);
		await store.updateGameSettings("b", { timeZone: "Europe/Berlin" }, 0);
		const { digests, lines } = start();

		clock.now = Date.parse("2025-01-02T08:59:00Z");
		expect(await digests.runOnce()).toEqual([]);

		clock.now = NOW;
		const runs = await digests.runOnce();
		expect(runs).toEqual([
			{
				gameId: "a",
				day: "2025-01-01",
				outcome: "delivered",
				attempts: 1,
				status: 204,
				error: null,
				mayHaveArrived: false,
			},
		]);
		expect(kpiCalls).toEqual([["a", "2025-01-01"]]);
		expect(hook.requests).toHaveLength(1);
		const body = JSON.parse(hook.requests[0]!.body) as { username: string; embeds: { title: string }[] };
		expect(body.username).toBe("Vantage");
		expect(body.embeds[0]?.title).toBe("Daily digest · Game a");
		expect(await store.getDigestState("a")).toMatchObject({ lastDay: "2025-01-01", attempts: 1, lastError: null });

		// The same day, later: nothing more.
		clock.now += 3_600_000;
		expect(await digests.runOnce()).toEqual([]);
		expect(hook.requests).toHaveLength(1);

		// The next day at its hour: the next digest.
		clock.now = Date.parse("2025-01-03T09:00:00Z");
		expect((await digests.runOnce()).map((r) => r.day)).toEqual(["2025-01-02"]);
		expect(hook.requests).toHaveLength(2);

		const logged = JSON.stringify(lines);
		expect(logged).toContain("digest delivered");
		expect(logged).not.toContain("secret");
	});

	it("uses the game's time zone for yesterday and for the hour", async () => {
		const hook = await webhook();
		await store.updateGameSettings(
			"a",
			{ digestWebhookUrl: hook.url, timeZone: "America/Los_Angeles", digestHour: 6 },
			0,
		);
		const { digests } = start();
		// 10:00 UTC is 02:00 in Los Angeles.
		expect(await digests.runOnce()).toEqual([]);
		clock.now = Date.parse("2025-01-02T14:00:00Z");
		expect((await digests.runOnce()).map((r) => r.day)).toEqual(["2025-01-01"]);
	});

	it("retries a failing webhook and delivers once", async () => {
		const hook = await webhook(sequence(reply(500), reply(500), reply(204)));
		await store.updateGameSettings("a", { digestWebhookUrl: hook.url }, 0);
		const { digests, waits } = start();
		const [run] = await digests.runOnce();
		expect(run).toMatchObject({ outcome: "delivered", attempts: 3 });
		expect(hook.requests).toHaveLength(3);
		expect(waits).toEqual([1500, 3000]);
		expect(await store.getDigestState("a")).toMatchObject({ lastDay: "2025-01-01", attempts: 3 });
		expect(await digests.runOnce()).toEqual([]);
		expect(hook.requests).toHaveLength(3);
	});

	it("waits out a 429's Retry-After", async () => {
		const hook = await webhook(sequence(reply(429, { "Retry-After": "30" }), reply(204)));
		await store.updateGameSettings("a", { digestWebhookUrl: hook.url }, 0);
		const { digests, waits } = start();
		expect((await digests.runOnce())[0]).toMatchObject({ outcome: "delivered", attempts: 2 });
		expect(waits).toEqual([30_000]);
	});

	it("records a refused webhook as final: logged, not retried, not posted again", async () => {
		const hook = await webhook(reply(404, {}, { message: "Unknown Webhook", code: 10015 }));
		await store.updateGameSettings("a", { digestWebhookUrl: `${hook.url}/hooks/a/secret` }, 0);
		const { digests, lines, waits } = start();
		expect((await digests.runOnce())[0]).toMatchObject({ outcome: "rejected", attempts: 1, status: 404 });
		expect(waits).toEqual([]);
		expect(await store.getDigestState("a")).toMatchObject({
			lastDay: "2025-01-01",
			lastError: 'HTTP 404: {"message":"Unknown Webhook","code":10015}',
		});
		expect(lines.find((l) => l.msg === "digest not delivered")).toMatchObject({
			level: "warn",
			gameId: "a",
			outcome: "rejected",
			webhook: `${hook.url}/…`,
		});
		clock.now += 60_000;
		expect(await digests.runOnce()).toEqual([]);
		expect(hook.requests).toHaveLength(1);
	});

	it("does not let a webhook that never answers hold up another game or stop()", async () => {
		const silent = await webhook(hang);
		const fine = await webhook();
		await store.updateGameSettings("a", { digestWebhookUrl: silent.url }, 0);
		await store.updateGameSettings("b", { digestWebhookUrl: fine.url }, 0);
		const { digests } = start({ delivery: { timeoutMs: 600_000 } });

		const pass = digests.runOnce();
		await vi.waitFor(async () => expect((await store.getDigestState("b"))?.lastDay).toBe("2025-01-01"));
		expect(fine.requests).toHaveLength(1);
		expect(silent.requests).toHaveLength(1);

		// Later passes leave the game in flight alone (even once its claim has lapsed) and are not held up by it.
		clock.now += 60_000;
		expect(await digests.runOnce()).toEqual([]);
		clock.now += DIGEST_CLAIM_MS;
		expect(await digests.runOnce()).toEqual([]);
		expect(silent.requests).toHaveLength(1);

		const stopping = Date.now();
		await digests.stop();
		expect(Date.now() - stopping).toBeLessThan(2000);
		const runs = await pass;
		expect(runs.find((r) => r.gameId === "a")).toMatchObject({ outcome: "aborted", mayHaveArrived: true });
		// It may have arrived: settled, so no restart posts it again.
		expect(await store.getDigestState("a")).toMatchObject({ lastDay: "2025-01-01", claimedDay: null });
	});

	it("releases a day stopped while waiting to retry, so the next start delivers it", async () => {
		const hook = await webhook(sequence(reply(503), reply(204)));
		await store.updateGameSettings("a", { digestWebhookUrl: hook.url }, 0);
		let waitingToRetry = false;
		const first = start({
			sleep: (_ms, signal) => {
				waitingToRetry = true;
				return new Promise((resolve) => signal.addEventListener("abort", () => resolve()));
			},
		});
		const pass = first.digests.runOnce();
		// Stopped once the 503 came back and the retry waits (not while the first request is still in flight).
		await vi.waitFor(() => expect(waitingToRetry).toBe(true));
		expect(hook.requests).toHaveLength(1);
		await first.digests.stop();
		expect((await pass)[0]).toMatchObject({ outcome: "aborted", mayHaveArrived: false });
		expect(await store.getDigestState("a")).toMatchObject({ lastDay: null, claimedDay: null });

		const second = start();
		expect((await second.digests.runOnce())[0]).toMatchObject({ outcome: "delivered" });
		expect(hook.requests).toHaveLength(2);
	});

	it("pauses a game whose KPIs cannot be read, and tries it again later", async () => {
		const hook = await webhook();
		await store.updateGameSettings("a", { digestWebhookUrl: hook.url }, 0);
		let fail = true;
		const { digests } = start({
			kpis: async (gameId, day) => {
				if (fail) throw new Error("metrics engine down");
				return kpis(gameId, day);
			},
		});
		expect((await digests.runOnce())[0]).toMatchObject({
			outcome: "unprepared",
			attempts: 0,
			error: "could not prepare the digest: metrics engine down",
		});
		expect(hook.requests).toHaveLength(0);
		expect(await store.getDigestState("a")).toMatchObject({ lastDay: null, claimedDay: null });

		fail = false;
		clock.now += 60_000;
		expect(await digests.runOnce()).toEqual([]);
		clock.now += DIGEST_RETRY_PAUSE_MS;
		expect((await digests.runOnce())[0]).toMatchObject({ outcome: "delivered" });
	});

	it("never lets two schedulers on one database post the same day", async () => {
		let release = () => {};
		const gate = new Promise<void>((resolve) => (release = resolve));
		const hook = await webhook((_req, res) => void gate.then(() => res.writeHead(204).end()));
		await store.updateGameSettings("a", { digestWebhookUrl: hook.url }, 0);
		const one = start();
		const two = start();
		const first = one.digests.runOnce();
		await vi.waitFor(() => expect(hook.requests).toHaveLength(1));
		expect(await two.digests.runOnce()).toEqual([]);
		release();
		expect((await first)[0]).toMatchObject({ outcome: "delivered" });
		expect(hook.requests).toHaveLength(1);
	});
});

describe("restarts", () => {
	let dir: string;
	beforeEach(() => {
		dir = mkdtempSync(join(tmpdir(), "vantage-digest-"));
	});
	afterEach(() => rmSync(dir, { recursive: true, force: true }));

	it("never posts a day twice across a restart", async () => {
		const hook = await webhook();
		const path = join(dir, "vantage.db");
		const { logger } = memoryLogger();
		const options = { logger, clock: () => clock.now, kpis };

		const before = openSqliteStore({ path });
		await before.createGame({ id: "g", name: "G", createdAt: 0 });
		await before.updateGameSettings("g", { digestWebhookUrl: hook.url }, 0);
		const first = startDigests({ store: before, ...options });
		expect((await first.runOnce()).map((r) => r.outcome)).toEqual(["delivered"]);
		await first.stop();
		await before.close();

		const after = openSqliteStore({ path });
		try {
			const second = startDigests({ store: after, ...options });
			clock.now += 5 * 60_000;
			expect(await second.runOnce()).toEqual([]);
			await second.stop();
		} finally {
			await after.close();
		}
		expect(hook.requests).toHaveLength(1);
	});
});

describe("sendTestDigest", () => {
	it("sends yesterday's digest marked as a test, in one attempt, leaving the day's digest to come", async () => {
		const hook = await webhook(sequence(reply(204), reply(500)));
		await store.updateGameSettings("a", { digestWebhookUrl: hook.url, timeZone: "Asia/Tokyo" }, 0);
		const deps = { store, clock: () => clock.now, kpis };
		expect(await sendTestDigest(deps, "a")).toEqual({
			day: "2025-01-01",
			outcome: "delivered",
			attempts: 1,
			status: 204,
			error: null,
		});
		const body = JSON.parse(hook.requests[0]!.body) as { content: string; embeds: { title: string }[] };
		expect(body.embeds[0]?.title).toBe("[Test] Daily digest · Game a");
		expect(await store.getDigestState("a")).toBeUndefined();

		expect(await sendTestDigest(deps, "a")).toMatchObject({ outcome: "gave_up", attempts: 1, status: 500 });
		expect(hook.requests).toHaveLength(2);
	});

	it("answers undefined for a game without a webhook", async () => {
		expect(await sendTestDigest({ store, clock: () => clock.now, kpis }, "a")).toBeUndefined();
	});
});

describe("the digest's guardrail alerts", () => {
	it("lists them, and still posts the digest (saying so) when they fail or take too long", async () => {
		const hook = await webhook();
		await store.updateGameSettings("a", { digestWebhookUrl: hook.url }, 0);
		const alert = {
			experiment: "shop",
			metric: "Crash rate",
			variation: "grid",
			message: "shop: grid harms Crash rate.",
		};
		const fields = (i: number) =>
			(JSON.parse(hook.requests[i]!.body) as { embeds: { fields: { name: string; value: string }[] }[] }).embeds[0]!
				.fields;

		await sendTestDigest({ store, clock: () => clock.now, kpis, alerts: async () => [alert] }, "a");
		expect(fields(0)[0]).toMatchObject({ name: "⚠ Guardrail regressions", value: "• shop: grid harms Crash rate." });

		const failing = async () => {
			throw new Error("the warehouse is down");
		};
		await sendTestDigest({ store, clock: () => clock.now, kpis, alerts: failing }, "a");
		expect(fields(1)[0]!.value).toMatch(/Could not be checked/);

		vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
		try {
			const never = () => new Promise<never>(() => undefined);
			const sent = sendTestDigest({ store, clock: () => clock.now, kpis, alerts: never }, "a");
			await vi.advanceTimersByTimeAsync(DIGEST_ALERTS_BUDGET_MS);
			vi.useRealTimers();
			expect((await sent)?.outcome).toBe("delivered");
		} finally {
			vi.useRealTimers();
		}
		expect(fields(2)[0]!.value).toMatch(/Could not be checked/);
		// KPIs follow the section every time.
		expect(fields(2).map((f) => f.name)).toContain("Daily active players");
	});
});
