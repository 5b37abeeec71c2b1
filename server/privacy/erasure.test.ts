// Erasure end to end on database files: the player leaves no trace in any table of any database file, every
// aggregate equals a fresh backend's fed the same events without the player, the audit log proves the erasure, and
// the player's late events are dropped at ingest. The access export holds all of the player and nothing of others.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { IngestEvent } from "../ingest/schema.js";
import { METRIC_NAMES } from "../metrics/engine.js";
import { ROLLUP_TABLES } from "../store/sqlite/warehouse-migration.js";
import BetterSqlite3 from "better-sqlite3";
import { AUDIT_ACTIONS, verifyAuditChain } from "./audit.js";
import { openPrivacyBackend, scanForUserId, type PrivacyBackend } from "./privacy-harness.js";
import { subjectOf } from "./subject.js";

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** 2025-01-01 00:00 UTC. */
const D0 = Date.UTC(2025, 0, 1);
/** The player who asks to be erased, and two who stay. Distinctive digits, so a scan cannot hit them by chance. */
const ERASED = 918_273_645;
const STAYS_A = 55_501_234;
const STAYS_B = 66_602_345;
const G1 = "7770001";
const G2 = "7770002";

let seq = 0;
function ev(userId: number, time: number, type: IngestEvent["type"], name: string, props: IngestEvent["props"] = {}) {
	seq += 1;
	const id = `e${String(time).padStart(15, "0")}-${String(seq).padStart(5, "0")}`;
	return { id, time, userId, sessionId: `s-${userId}-${Math.floor((time - D0) / DAY)}`, type, name, props };
}

/**
 * Ten days of three players: sessions (with attributes), purchases, economy, progression, a funnel, exposures, a
 * custom event whose props quote the UserId, and a consent choice. The erased player installs first, plays on days
 * that others also play and on days only they play (so some aggregate rows exist only because of them).
 */
function dataset(): IngestEvent[] {
	const events: IngestEvent[] = [];
	for (let day = 0; day < 10; day++) {
		const players = [STAYS_A, ...(day % 2 === 0 ? [ERASED] : []), ...(day >= 3 ? [STAYS_B] : [])];
		for (const [i, userId] of players.entries()) {
			const start = D0 + day * DAY + (6 + i * 3) * HOUR;
			events.push(ev(userId, start, "session_start", "player", { device: i % 2 ? "phone" : "desktop", country: "DE" }));
			events.push(ev(userId, start + 60_000, "custom", "chat", { text: `hello from ${userId}` }));
			if ((day + i) % 3 === 0) {
				events.push(ev(userId, start + 120_000, "purchase", "developer_product", { productId: 9, robux: 25 + day }));
			}
			events.push(
				ev(userId, start + 180_000, "economy", "source:Coins", {
					flow: "source",
					currency: "Coins",
					amount: 10 * (i + 1),
					itemType: "Quest",
					itemId: "q1",
				}),
			);
			events.push(
				ev(userId, start + 200_000, "progression", "world1/level1", { status: "complete", attempt: 2, seconds: 40 }),
			);
			events.push(
				ev(userId, start + 210_000, "funnel", "tutorial", { step: 1 + (day % 3), stepName: `step${day % 3}` }),
			);
			events.push(ev(userId, start + 220_000, "exposure", "exp1", { variation: userId === STAYS_B ? 0 : 1 }));
			events.push(ev(userId, start + 30 * 60_000, "session_end", "player", { duration: 1800 - i * 60 }));
		}
	}
	// Days, a product, an item and a level only the erased player has: rows that exist only because of them.
	for (const day of [10, 11]) {
		const start = D0 + day * DAY + 20 * HOUR;
		events.push(ev(ERASED, start, "session_start", "player", { device: "console", country: "FR" }));
		events.push(ev(ERASED, start + 1000, "purchase", "gamepass", { productId: 77, robux: 400 }));
		events.push(
			ev(ERASED, start + 2000, "economy", "sink:Gems", {
				flow: "sink",
				currency: "Gems",
				amount: 5,
				itemType: "Shop",
				itemId: `hat-${ERASED}`,
			}),
		);
		events.push(ev(ERASED, start + 3000, "progression", "secret/level", { status: "fail", attempt: 1, seconds: 12.5 }));
		events.push(ev(ERASED, start + 4000, "funnel", "shop", { step: 1, stepName: "open" }));
		events.push(ev(ERASED, start + 5000, "session_end", "player", { duration: 30 }));
	}
	// A kept player's consent choice, the same as the erased player's: the tallies must keep exactly this one.
	events.push(
		ev(STAYS_A, D0 + 2 * DAY + 8 * HOUR, "consent", "consent", {
			policyVersion: "v1",
			analytics: true,
			experiments: true,
			personalization: false,
			uiVersion: "1",
			region: "FR",
			source: "prompt",
		}),
	);
	// The erased player's consent choice (sealed into consent_records with their key).
	events.push(
		ev(ERASED, D0 + 2 * DAY + 7 * HOUR, "consent", "consent", {
			policyVersion: "v1",
			analytics: true,
			experiments: true,
			personalization: false,
			uiVersion: "1",
			region: "DE",
			source: "prompt",
		}),
	);
	// Server events (userId 0) count too.
	events.push(ev(0, D0 + 4 * DAY, "custom", "server_tick"));
	return events.sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** One dataset for every backend of a test (event ids included). */
const DATA = dataset();

/** The dataset in mixed batches of 25, each with the same batchId on both backends. */
function batches(events: IngestEvent[]): { batchId: string; events: IngestEvent[] }[] {
	const out: { batchId: string; events: IngestEvent[] }[] = [];
	for (let i = 0; i < events.length; i += 25) out.push({ batchId: `b-${i / 25}`, events: events.slice(i, i + 25) });
	return out;
}

async function feed(backend: PrivacyBackend, gameId: string, events: IngestEvent[], without?: number): Promise<void> {
	for (const batch of batches(events)) {
		const kept = batch.events.filter((e) => e.userId !== without);
		if (kept.length > 0) await backend.ingest(gameId, batch.batchId, kept);
	}
}

async function setUp(backend: PrivacyBackend, owner: string, without?: number): Promise<void> {
	const events = DATA;
	await feed(backend, G1, events, without);
	await feed(backend, G2, events, without);
	for (const gameId of [G1, G2]) {
		const forced: Record<string, string> = { [String(STAYS_A)]: "control" };
		if (without !== ERASED) forced[String(ERASED)] = "treatment";
		const res = await backend.app.request(`/v1/admin/games/${gameId}/experiments`, {
			method: "POST",
			headers: { Authorization: owner, "Content-Type": "application/json" },
			body: JSON.stringify({
				key: "exp1",
				variations: [{ key: "control" }, { key: "treatment" }],
				forcedVariations: forced,
			}),
		});
		expect(res.status).toBe(201);
	}
	await backend.store.warehouse.catchUp();
}

/**
 * Every rollup row of a game, sorted, without the game id; player columns hold pseudonyms, shown as the UserId they
 * stand for in this backend (each backend draws its own pseudonyms).
 */
function rollups(backend: PrivacyBackend, gameId: string): Record<string, unknown[]> {
	const db = new BetterSqlite3(backend.databaseFiles[0]!, { readonly: true });
	try {
		const out: Record<string, unknown[]> = {};
		for (const table of ROLLUP_TABLES) {
			out[table] = (db.prepare(`SELECT * FROM ${table} WHERE game_id = ?`).all(gameId) as Record<string, unknown>[])
				.map(({ game_id: _, ...rest }) =>
					JSON.stringify(
						"user_id" in rest
							? { ...rest, user_id: backend.playerKeys.userIdOf(gameId, rest.user_id as number) }
							: rest,
					),
				)
				.sort();
		}
		return out;
	} finally {
		db.close();
	}
}

/** Every metric's answer over the data's days (with a funnel for the funnel metric). */
async function metricAnswers(backend: PrivacyBackend, auth: string, gameId: string): Promise<Record<string, unknown>> {
	const out: Record<string, unknown> = {};
	for (const metric of METRIC_NAMES) {
		const extra =
			{
				funnel: "&funnel=tutorial",
				kpi: "&event=chat&measure=users",
				trends: "&events=chat,purchase:developer_product",
			}[metric as string] ?? "";
		const res = await backend.app.request(
			`/v1/games/${gameId}/metrics/${metric}?from=2025-01-01&to=2025-01-12${extra}`,
			{ headers: { Authorization: auth } },
		);
		expect(res.status, metric).toBe(200);
		out[metric] = await res.json();
	}
	return out;
}

async function waitForJob(backend: PrivacyBackend, auth: string, jobId: string): Promise<Record<string, unknown>> {
	await backend.erasure.jobs.idle();
	const res = await backend.app.request(`/v1/admin/privacy/jobs/${jobId}`, { headers: { Authorization: auth } });
	expect(res.status).toBe(200);
	return (await res.json()) as Record<string, unknown>;
}

let backend: PrivacyBackend;
let owner: string;
beforeEach(async () => {
	backend = await openPrivacyBackend();
	owner = await backend.adminAuth("owner");
	await setUp(backend, owner);
});
afterEach(() => backend.close());

describe("DELETE /v1/games/{gameId}/players/{userId}", () => {
	it("leaves no trace of the player in any table of any database file, and keeps the other game", async () => {
		// vantage.db names the player by their pseudonym in each game (player-keys.db maps it to the UserId): the scan
		// looks for the UserId and both pseudonyms.
		const pseudonyms = {
			[G1]: backend.playerKeys.pseudonymOf(G1, ERASED)!,
			[G2]: backend.playerKeys.pseudonymOf(G2, ERASED)!,
		};
		const scan = (...ids: number[]) => ids.flatMap((id) => scanForUserId(backend.databaseFiles, id));
		// The scan finds the player where their data is, before: it is able to fail.
		const byPseudonym = new Set(scan(pseudonyms[G1]!).map((t) => t.table));
		for (const table of ["events", "wh_players", "wh_user_days", "wh_sessions", "wh_exposures", "consent_records"]) {
			expect(byPseudonym, table).toContain(table);
		}
		expect(byPseudonym).toContain("player_keys");
		const before = new Set(scan(ERASED).map((t) => t.table));
		// Only where the UserId is not a player column: props and session ids quoting it, QA forced variations, the vault.
		for (const table of ["events", "wh_sessions", "experiments", "player_keys"]) expect(before, table).toContain(table);
		for (const table of ["wh_players", "wh_user_days", "wh_exposures", "consent_records"]) {
			expect(before, table).not.toContain(table);
		}

		const res = await backend.app.request(`/v1/games/${G1}/players/${ERASED}`, {
			method: "DELETE",
			headers: { Authorization: owner },
		});
		expect(res.status).toBe(202);
		const accepted = (await res.json()) as { id: string; status: string };
		expect(accepted.status).toBe("pending");
		expect(res.headers.get("location")).toBe(`/v1/admin/privacy/jobs/${accepted.id}`);
		const job = await waitForJob(backend, owner, accepted.id);
		expect(job).toMatchObject({ status: "completed", gameIds: [G1], error: null });
		expect(job.result).toMatchObject({ [G1]: { status: "erased", keyShredded: true, experimentsUpdated: ["exp1"] } });

		// G2 was not asked about: only its rows still carry the UserId or its pseudonym.
		expect(scan(pseudonyms[G1]!)).toEqual([]);
		const afterG1 = scan(ERASED, pseudonyms[G2]!);
		expect(afterG1.length).toBeGreaterThan(0);
		expect(afterG1.filter((t) => t.gameId !== G2)).toEqual([]);

		// Erased from G2 as well: not one cell of one table of one file holds the UserId any more.
		const second = await backend.app.request(`/v1/games/${G2}/players/${ERASED}`, {
			method: "DELETE",
			headers: { Authorization: owner },
		});
		expect(await waitForJob(backend, owner, ((await second.json()) as { id: string }).id)).toMatchObject({
			status: "completed",
		});
		expect(scan(ERASED, pseudonyms[G1]!, pseudonyms[G2]!)).toEqual([]);
	});

	it("leaves every rollup and every metric equal to a fresh backend's fed the same events without the player", async () => {
		const res = await backend.app.request(`/v1/games/${G1}/players/${ERASED}`, {
			method: "DELETE",
			headers: { Authorization: owner },
		});
		await waitForJob(backend, owner, ((await res.json()) as { id: string }).id);

		const fresh = await openPrivacyBackend();
		try {
			const freshOwner = await fresh.adminAuth("owner");
			await setUp(fresh, freshOwner, ERASED);
			expect(rollups(backend, G1)).toEqual(rollups(fresh, G1));
			expect(await metricAnswers(backend, owner, G1)).toEqual(await metricAnswers(fresh, freshOwner, G1));
			// The consent summary's anonymous counts lose the player's record too.
			const summary = async (b: PrivacyBackend, auth: string) =>
				(await b.app.request(`/v1/games/${G1}/consent/summary`, { headers: { Authorization: auth } })).json();
			expect(await summary(backend, owner)).toEqual(await summary(fresh, freshOwner));
			// The other game still counts the player: it differs from the fresh one.
			expect(rollups(backend, G2)).not.toEqual(rollups(fresh, G2));
		} finally {
			await fresh.close();
		}
	});

	it("keeps aggregates exact with the server's worker warehouse folding on its own while other players keep playing", async () => {
		const server = await openPrivacyBackend({ worker: true });
		const fresh = await openPrivacyBackend();
		try {
			const serverOwner = await server.adminAuth("owner");
			await setUp(server, serverOwner);
			// Batches of the players who stay arrive while the erasure runs.
			const more = Array.from({ length: 6 }, (_, i) => [
				ev(STAYS_A, D0 + 12 * DAY + i * HOUR, "purchase", "developer_product", { productId: 9, robux: 5 }),
				ev(STAYS_B, D0 + 12 * DAY + i * HOUR + 1, "custom", "chat", {}),
			]);
			const res = await server.app.request(`/v1/games/${G1}/players/${ERASED}`, {
				method: "DELETE",
				headers: { Authorization: serverOwner },
			});
			const { id } = (await res.json()) as { id: string };
			for (const [i, batch] of more.entries()) await server.ingest(G1, `more-${i}`, batch);
			expect(await waitForJob(server, serverOwner, id)).toMatchObject({ status: "completed" });
			await server.store.warehouse.catchUp();

			await setUp(fresh, await fresh.adminAuth("owner"), ERASED);
			for (const [i, batch] of more.entries()) await fresh.ingest(G1, `more-${i}`, batch);
			await fresh.store.warehouse.catchUp();
			expect(rollups(server, G1)).toEqual(rollups(fresh, G1));
			expect(scanForUserId(server.databaseFiles, ERASED).filter((t) => t.gameId !== G2)).toEqual([]);
		} finally {
			await server.close();
			await fresh.close();
		}
	});

	it("records the request and the erasure in an intact audit chain, under the player's pseudonym", async () => {
		const res = await backend.app.request(`/v1/games/${G1}/players/${ERASED}`, {
			method: "DELETE",
			headers: { Authorization: owner },
		});
		const { id } = (await res.json()) as { id: string };
		await waitForJob(backend, owner, id);
		const entries = await backend.store.privacy.listAudit(0, 1000);
		const subject = await subjectOf(backend.store, G1, ERASED);
		const mine = entries.filter((e) => e.subject === subject);
		expect(mine.map((e) => e.action)).toEqual([AUDIT_ACTIONS.erasureRequested, AUDIT_ACTIONS.erasureCompleted]);
		expect(JSON.parse(mine[1]!.details)).toMatchObject({ jobId: id, keyShredded: true });
		expect(JSON.parse(mine[1]!.details).deletedRows.events).toBeGreaterThan(0);
		expect(await verifyAuditChain(backend.store)).toMatchObject({ ok: true });
	});

	it("drops the player's later events at ingest (a spill drained after the erasure) and stores the others", async () => {
		const res = await backend.app.request(`/v1/games/${G1}/players/${ERASED}`, {
			method: "DELETE",
			headers: { Authorization: owner },
		});
		await waitForJob(backend, owner, ((await res.json()) as { id: string }).id);
		const late = [
			ev(ERASED, D0 + 11 * DAY, "custom", "late", { note: `spill of ${ERASED}` }),
			ev(STAYS_A, D0 + 11 * DAY + 1, "custom", "late"),
			ev(ERASED, D0 + 11 * DAY + 2, "session_start", "player", {}),
		];
		const answer = await backend.ingest(G1, "spill-1", late);
		expect(answer).toEqual({ accepted: 1, duplicates: 0, rejected: [], erased: 2 });
		await backend.store.warehouse.catchUp();
		expect(scanForUserId(backend.databaseFiles, ERASED).filter((t) => t.gameId !== G2)).toEqual([]);
		// The tombstone is per game: the same player is still welcome in G2.
		const other = await backend.ingest(G2, "g2-late", [ev(ERASED, D0 + 11 * DAY + 3, "custom", "late")]);
		expect(other).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
	});

	it("is for owners: analysts and viewers get 403, a bad UserId 400, an unknown game 404", async () => {
		for (const role of ["analyst", "viewer"] as const) {
			const res = await backend.app.request(`/v1/games/${G1}/players/${ERASED}`, {
				method: "DELETE",
				headers: { Authorization: await backend.adminAuth(role) },
			});
			expect(res.status).toBe(403);
		}
		for (const bad of ["0", "abc", "-5", "1e3", "99999999999999999"]) {
			const res = await backend.app.request(`/v1/games/${G1}/players/${bad}`, {
				method: "DELETE",
				headers: { Authorization: owner },
			});
			expect(res.status, bad).toBe(400);
		}
		const res = await backend.app.request(`/v1/games/nope/players/${ERASED}`, {
			method: "DELETE",
			headers: { Authorization: owner },
		});
		expect(res.status).toBe(404);
		const job = await backend.app.request("/v1/admin/privacy/jobs/00000000-0000-0000-0000-000000000000", {
			headers: { Authorization: owner },
		});
		expect(job.status).toBe(404);
	});
});

describe("GET /v1/games/{gameId}/players/{userId}/export", () => {
	it("holds every event and record of the player and nothing of anyone else, and is audited", async () => {
		const res = await backend.app.request(`/v1/games/${G1}/players/${ERASED}/export`, {
			headers: { Authorization: owner },
		});
		expect(res.status).toBe(200);
		expect(res.headers.get("content-disposition")).toBe(`attachment; filename="player-${G1}-${ERASED}.json"`);
		expect(res.headers.get("cache-control")).toBe("no-store");
		const text = await res.text();
		const body = JSON.parse(text) as {
			format: string;
			userId: number;
			events: { id: string; userId: number; gameId: string }[];
			experiments: { forcedVariations: Record<string, string> };
			consent: unknown;
			records: Record<string, Record<string, unknown>[]>;
		};
		expect(body.format).toBe("vantage.player-export");
		expect(body.userId).toBe(ERASED);

		// Every stored event of the player in this game, exactly.
		const expected = DATA.filter((e) => e.userId === ERASED)
			.map((e) => e.id)
			.sort();
		expect(body.events.map((e) => e.id).sort()).toEqual(expected);
		expect(new Set(body.events.map((e) => `${e.gameId}:${e.userId}`))).toEqual(new Set([`${G1}:${ERASED}`]));
		expect(body.experiments.forcedVariations).toEqual({ exp1: "treatment" });
		// The consent choice, opened with the player's key (the raw row in records.consent_records is sealed).
		expect(body.consent).toMatchObject({
			records: [{ policyVersion: "v1", readable: true, choices: { analytics: true, personalization: false } }],
		});
		for (const table of [
			"wh_players",
			"wh_user_days",
			"wh_sessions",
			"wh_exposures",
			"wh_funnel_steps",
			"consent_records",
		]) {
			expect(body.records[table]?.length ?? 0, table).toBeGreaterThan(0);
			for (const row of body.records[table]!) expect(row).toMatchObject({ game_id: G1, user_id: ERASED });
		}
		// Nothing of the others, anywhere in the document.
		expect(text).not.toContain(String(STAYS_A));
		expect(text).not.toContain(String(STAYS_B));

		const subject = await subjectOf(backend.store, G1, ERASED);
		const entries = await backend.store.privacy.listAudit(0, 1000);
		expect(entries.filter((e) => e.subject === subject).map((e) => e.action)).toEqual([AUDIT_ACTIONS.exported]);
	});

	it("is refused to analysts", async () => {
		const res = await backend.app.request(`/v1/games/${G1}/players/${ERASED}/export`, {
			headers: { Authorization: await backend.adminAuth("analyst") },
		});
		expect(res.status).toBe(403);
	});
});

describe("admin reads of player-level events", () => {
	it("records each read of raw events in the audit log, about the player when filtered to one", async () => {
		const analyst = await backend.adminAuth("analyst");
		const one = await backend.app.request(`/v1/games/${G1}/events?userId=${STAYS_A}`, {
			headers: { Authorization: analyst },
		});
		expect(one.status).toBe(200);
		const all = await backend.app.request(`/v1/games/${G1}/events/export?format=ndjson`, {
			headers: { Authorization: analyst },
		});
		expect(all.status).toBe(200);
		await all.text();
		const live = await backend.app.request(`/v1/games/${G1}/events/live`, { headers: { Authorization: analyst } });
		expect(live.status).toBe(200);
		await live.body?.cancel();
		const preview = await backend.app.request(`/v1/admin/games/${G1}/experiments/preview`, {
			method: "POST",
			headers: { Authorization: await backend.adminAuth("viewer"), "Content-Type": "application/json" },
			body: JSON.stringify({
				variations: [{ key: "a" }, { key: "b" }],
				seed: "s",
				sample: { source: "recent", days: 30 },
			}),
		});
		expect(preview.status).toBe(200);
		// The admin logins and changes of the setup are audited too (admin.*); this test is about the reads.
		const entries = (await backend.store.privacy.listAudit(0, 1000)).filter((e) => !e.action.startsWith("admin."));
		expect(entries.map((e) => [e.action, e.actor.startsWith("admin:"), e.subject, JSON.parse(e.details)])).toEqual([
			[AUDIT_ACTIONS.eventsRead, true, await subjectOf(backend.store, G1, STAYS_A), { kind: "page" }],
			[AUDIT_ACTIONS.gameEventsRead, true, null, { kind: "ndjson" }],
			[AUDIT_ACTIONS.gameEventsRead, true, null, { kind: "live" }],
			[AUDIT_ACTIONS.playersRead, true, null, { kind: "experiment_preview", players: 1 }],
		]);
	});
});
