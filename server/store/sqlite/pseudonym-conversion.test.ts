// The one-time conversion of a vantage.db written before pseudonymous player ids: every player column of every table
// (raw events, rollups, consent records) gets the players' pseudonyms in one transaction, the APIs still answer with
// the UserIds, aggregates are untouched, and a second start changes nothing.
import BetterSqlite3 from "better-sqlite3";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { IngestEvent } from "../../ingest/schema.js";
import { recordAudit } from "../../privacy/audit.js";
import { consentSealer, openConsentRecord } from "../../privacy/consent-records.js";
import { PlayerKeyring } from "../../privacy/player-keys.js";
import { scanForUserId } from "../../privacy/privacy-harness.js";
import type { PlayerPseudonyms } from "../../domain/players.js";
import { subjectOf } from "../../privacy/subject.js";
import { T0, memoryLogger } from "../../testing/fixtures.js";
import { configureConnection, openSqliteStore } from "./sqlite-store.js";
import { migrate } from "./migrate.js";
import { MIGRATIONS } from "./migrations.js";
import { SUBJECT_SECRET, playerIdTables } from "./pseudonym-conversion.js";
import { ROLLUP_TABLES } from "./warehouse-migration.js";

const HOUR = 3_600_000;
/** Players with distinctive digits, so a scan cannot hit them by chance. */
const ALICE = 604_117_329;
const BOB = 771_903_268;

/** How the store wrote player ids before pseudonyms: the UserId itself. */
const CLEAR: PlayerPseudonyms = {
	pseudonymize: (_gameId, userIds) => new Map([...userIds].map((id) => [id, id])),
	pseudonymOf: (_gameId, userId) => userId,
	userIdOf: (_gameId, pseudonym) => pseudonym,
};

let dir: string;
let path: string;
let keyring: PlayerKeyring;
beforeEach(() => {
	dir = mkdtempSync(join(tmpdir(), "vantage-pseudonyms-"));
	path = join(dir, "vantage.db");
	keyring = PlayerKeyring.open({ path: join(dir, "player-keys.db"), masterKey: randomBytes(32) });
});
afterEach(() => {
	keyring.close();
	rmSync(dir, { recursive: true, force: true });
});

let seq = 0;
function ev(userId: number, time: number, type: IngestEvent["type"], name: string, props: IngestEvent["props"] = {}) {
	seq += 1;
	return {
		id: `01JH${String(time).padStart(14, "0")}${String(seq).padStart(5, "0")}`,
		time,
		userId,
		sessionId: `S${seq}`,
		type,
		name,
		props,
	};
}

function events(gameSalt: number): IngestEvent[] {
	const out: IngestEvent[] = [];
	for (const [i, userId] of [ALICE, BOB].entries()) {
		for (const day of [0, 1, 3]) {
			const t = T0 + day * 24 * HOUR + (i + gameSalt) * HOUR;
			out.push(ev(userId, t, "session_start", "player", { device: "phone", country: "DE" }));
			out.push(ev(userId, t + 1000, "purchase", "developer_product", { productId: 9, robux: 10 + i }));
			out.push(ev(userId, t + 2000, "exposure", "exp1", { variation: i }));
			out.push(ev(userId, t + 3000, "funnel", "tutorial", { step: 1, stepName: "start" }));
			out.push(ev(userId, t + 60_000, "session_end", "player", { duration: 59 }));
		}
	}
	out.push(
		ev(ALICE, T0 + 5000, "consent", "player", {
			policyVersion: "v1",
			analytics: true,
			experiments: false,
			personalization: false,
			uiVersion: "1",
			region: "FR",
			source: "prompt",
		}),
	);
	out.push(ev(0, T0 + 7000, "custom", "server_tick"));
	return out.sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** One dataset per game (event ids included), for the old database and for the checks. */
const DATA: Record<string, IngestEvent[]> = { g1: events(0), g2: events(1) };

/** Every rollup row of a game as JSON, sorted, with player ids read through `toUserId`. */
function rollups(file: string, gameId: string, toUserId: (id: number) => number | undefined): string[] {
	const db = new BetterSqlite3(file, { readonly: true });
	try {
		return ROLLUP_TABLES.flatMap((table) =>
			(db.prepare(`SELECT * FROM ${table} WHERE game_id = ?`).all(gameId) as Record<string, unknown>[]).map((row) =>
				JSON.stringify([table, "user_id" in row ? { ...row, user_id: toUserId(row.user_id as number) } : row]),
			),
		).sort();
	} finally {
		db.close();
	}
}

function playerIds(file: string): Record<string, number[]> {
	const db = new BetterSqlite3(file, { readonly: true });
	try {
		return Object.fromEntries(
			playerIdTables(db).map((table) => [
				table,
				db
					.prepare<[], { user_id: number }>(`SELECT DISTINCT user_id FROM "${table}" ORDER BY 1`)
					.all()
					.map((r) => r.user_id),
			]),
		);
	} finally {
		db.close();
	}
}

/**
 * A vantage.db as the store wrote it before pseudonyms: UserIds in every player column, folded rollups, a sealed
 * consent record, the pseudonym key of the audit log in privacy_secrets, and the state row saying "not converted".
 */
async function writeOldDatabase(): Promise<{ subject: string; rollups: Record<string, string[]> }> {
	const store = openSqliteStore({
		path,
		warehouse: "inline",
		autoFold: false,
		consentSealer: consentSealer(keyring),
		players: CLEAR,
	});
	// Opening converted nothing (the ids stay as sent) and recorded "converted": the old database's state is "not yet".
	const state = new BetterSqlite3(path);
	state.prepare("UPDATE player_id_state SET pseudonymous = 0, converted_at = NULL").run();
	state.close();
	try {
		for (const gameId of ["g1", "g2"]) {
			await store.createGame({ id: gameId, name: gameId, createdAt: T0 });
			await store.ingestBatch(gameId, { batchId: "b1", sentAt: T0, events: DATA[gameId]!, rejected: [] }, T0);
		}
		await store.warehouse.catchUp();
		await recordAudit(store, { action: "player.export", actor: "admin:a", gameId: "g1", userId: ALICE }, T0);
		const subject = await subjectOf(store, "g1", ALICE);
		const same = (id: number) => id;
		return { subject, rollups: { g1: rollups(path, "g1", same), g2: rollups(path, "g2", same) } };
	} finally {
		await store.close();
	}
}

describe("the one-time conversion to pseudonyms", () => {
	it("replaces every UserId of every player column, keeps the APIs on UserIds and the aggregates as they were", async () => {
		const old = await writeOldDatabase();
		const before = playerIds(path);
		for (const table of ["events", "wh_players", "wh_user_days", "wh_sessions", "wh_exposures", "consent_records"]) {
			expect(before[table], table).toContain(ALICE);
		}
		const { logger, lines } = memoryLogger("info");
		const store = openSqliteStore({
			path,
			warehouse: "inline",
			autoFold: false,
			consentSealer: consentSealer(keyring),
			players: keyring,
			logger,
		});
		try {
			// Not one cell of vantage.db holds a UserId; each game has its own pseudonym per player.
			expect(scanForUserId([path], ALICE)).toEqual([]);
			expect(scanForUserId([path], BOB)).toEqual([]);
			const pseudonyms = new Set<number>([0]);
			for (const gameId of ["g1", "g2"]) {
				for (const userId of [ALICE, BOB]) pseudonyms.add(keyring.pseudonymOf(gameId, userId)!);
			}
			expect(pseudonyms.size).toBe(5);
			for (const [table, ids] of Object.entries(playerIds(path))) {
				for (const id of ids) expect(pseudonyms, `${table}: ${id}`).toContain(id);
			}

			// Reads answer with the UserIds, for every event; the rollups are the same rows under the new ids.
			for (const gameId of ["g1", "g2"]) {
				const listed = await store.listEvents({ gameId, limit: 1000 });
				expect(listed.map((e) => [e.id, e.userId])).toEqual(DATA[gameId]!.map((e) => [e.id, e.userId]));
				expect(rollups(path, gameId, (id) => keyring.userIdOf(gameId, id))).toEqual(old.rollups[gameId]);
			}
			const alice = await store.listEvents({ gameId: "g1", userId: ALICE, limit: 1000 });
			expect(alice.length).toBe(16);

			// The consent record still opens with Alice's key (its seal is bound to her UserId, not the row's id).
			const records = await store.consent.listRecords("g1", ALICE);
			expect(records).toHaveLength(1);
			expect(openConsentRecord(keyring, records[0]!, new Set())).toMatchObject({ readable: true, region: "FR" });

			// The audit log's pseudonym key moved out of vantage.db into the vault, unchanged.
			const db = new BetterSqlite3(path, { readonly: true });
			expect(db.prepare("SELECT name FROM privacy_secrets WHERE name = ?").all(SUBJECT_SECRET)).toEqual([]);
			db.close();
			expect(await subjectOf(store, "g1", ALICE)).toBe(old.subject);

			const logged = lines.filter((line) => String(line.msg).includes("pseudonyms"));
			expect(logged).toHaveLength(1);
			expect(logged[0]).toMatchObject({ players: 4, rows: { events: 62, consent_records: 2 }, movedSubjectKey: true });
		} finally {
			await store.close();
		}

		// A second start finds the database converted: nothing changes, nothing is logged.
		const converted = playerIds(path);
		const again = memoryLogger("info");
		const reopened = openSqliteStore({
			path,
			warehouse: "inline",
			autoFold: false,
			players: keyring,
			logger: again.logger,
		});
		await reopened.close();
		expect(playerIds(path)).toEqual(converted);
		expect(again.lines.filter((line) => String(line.msg).includes("pseudonyms"))).toEqual([]);
	});

	it("converts all or nothing: a failure midway leaves the UserIds and the state as they were", async () => {
		await writeOldDatabase();
		const before = playerIds(path);
		// Every game's pseudonyms come, every table is rewritten, then moving the subject key fails: the last step.
		const failing: PlayerPseudonyms = {
			pseudonymize: (gameId, userIds, now, avoid) => keyring.pseudonymize(gameId, userIds, now, avoid),
			pseudonymOf: (gameId, userId) => keyring.pseudonymOf(gameId, userId),
			userIdOf: (gameId, pseudonym) => keyring.userIdOf(gameId, pseudonym),
			secret: () => {
				throw new Error("vault unavailable");
			},
		};
		expect(() => openSqliteStore({ path, warehouse: "inline", autoFold: false, players: failing })).toThrow(
			"vault unavailable",
		);
		expect(playerIds(path)).toEqual(before);
		const db = new BetterSqlite3(path, { readonly: true });
		expect(db.prepare("SELECT pseudonymous FROM player_id_state").get()).toEqual({ pseudonymous: 0 });
		db.close();
	});

	it("upgrades a version 10 database on its first start with the vault (migration 11, then the conversion)", async () => {
		const db = new BetterSqlite3(path);
		configureConnection(db, 5000);
		migrate(db, MIGRATIONS.slice(0, 10));
		db.prepare("INSERT INTO games (id, name, created_at) VALUES ('g1', 'g1', ?)").run(T0);
		const insert = db.prepare(
			`INSERT INTO events (game_id, id, batch_id, user_id, session_id, type, name, time, received_at, props)
			VALUES ('g1', ?, 'b1', ?, 's', 'custom', 'jump', ?, ?, '{}')`,
		);
		insert.run("e1", ALICE, T0, T0);
		insert.run("e2", BOB, T0 + 1, T0);
		insert.run("e3", 0, T0 + 2, T0);
		db.close();

		const store = openSqliteStore({ path, warehouse: "inline", autoFold: false, players: keyring });
		try {
			expect(scanForUserId([path], ALICE)).toEqual([]);
			expect(playerIds(path).events).toEqual(
				[0, keyring.pseudonymOf("g1", ALICE)!, keyring.pseudonymOf("g1", BOB)!].sort((a, b) => a - b),
			);
			const listed = await store.listEvents({ gameId: "g1", limit: 10 });
			expect(listed.map((e) => [e.id, e.userId])).toEqual([
				["e1", ALICE],
				["e2", BOB],
				["e3", 0],
			]);
		} finally {
			await store.close();
		}
	});
});
