import BetterSqlite3 from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import type { Store } from "../store/types.js";
import { GENESIS_HASH, auditHash, canonicalJson, recordAudit, verifyAuditChain } from "./audit.js";
import { subjectOf } from "./subject.js";

let dir: string;
let store: Store;
let db: BetterSqlite3.Database;

beforeEach(async () => {
	dir = mkdtempSync(join(tmpdir(), "vantage-audit-"));
	const path = join(dir, "vantage.db");
	store = openSqliteStore({ path, warehouse: "inline", autoFold: false });
	// A second connection plays the attacker who edits the file behind the backend's back.
	db = new BetterSqlite3(path);
	for (let i = 1; i <= 5; i++) {
		await recordAudit(
			store,
			{
				action: "player.exported",
				actor: "admin:u1",
				gameId: "g1",
				userId: 7_340_000 + i,
				details: { n: i, z: [1, "a"] },
			},
			1_000 + i,
		);
	}
});

afterEach(async () => {
	db.close();
	await store.close();
	rmSync(dir, { recursive: true, force: true });
});

/** The rows as stored, by seq. */
function rows(): { seq: number; hash: string; prev_hash: string; details: string; at: number }[] {
	return db.prepare("SELECT seq, hash, prev_hash, details, at FROM audit_log ORDER BY seq").all() as never;
}

describe("audit chain", () => {
	it("chains each entry to the previous one and verifies an untouched log", async () => {
		const all = rows();
		expect(all.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
		expect(all[0]!.prev_hash).toBe(GENESIS_HASH);
		for (let i = 1; i < all.length; i++) expect(all[i]!.prev_hash).toBe(all[i - 1]!.hash);
		expect(await verifyAuditChain(store)).toEqual({ ok: true, entries: 5, head: { seq: 5, hash: all[4]!.hash } });
	});

	it("stores the player's pseudonym, never the UserId", async () => {
		const stored = db.prepare("SELECT * FROM audit_log WHERE seq = 1").get() as Record<string, unknown>;
		expect(stored.subject).toBe(await subjectOf(store, "g1", 7_340_001));
		expect(JSON.stringify(stored)).not.toContain("7340001");
	});

	it("writes details as canonical JSON whatever the key order", () => {
		expect(canonicalJson({ b: 1, a: { d: [true, null], c: "x" } })).toBe('{"a":{"c":"x","d":[true,null]},"b":1}');
		expect(() => canonicalJson({ n: Number.NaN })).toThrow();
	});

	for (const [where, seq] of [
		["first", 1],
		["middle", 3],
		["last", 5],
	] as const) {
		it(`detects an altered ${where} entry`, async () => {
			db.prepare("UPDATE audit_log SET details = ? WHERE seq = ?").run('{"n":999}', seq);
			expect(await verifyAuditChain(store)).toMatchObject({ ok: false, brokenAt: seq, entries: seq - 1 });
		});

		it(`detects an altered ${where} entry whose own hash was recomputed`, async () => {
			const row = db.prepare("SELECT * FROM audit_log WHERE seq = ?").get(seq) as {
				actor: string;
				action: string;
				game_id: string | null;
				subject: string | null;
				details: string;
				prev_hash: string;
			};
			const forged = {
				seq,
				at: 1,
				actor: row.actor,
				action: row.action,
				gameId: row.game_id,
				subject: row.subject,
				details: row.details,
				prevHash: row.prev_hash,
			};
			db.prepare("UPDATE audit_log SET at = 1, hash = ? WHERE seq = ?").run(auditHash(forged), seq);
			// The next entry no longer chains to it; for the last one, the recorded head does not match.
			const verdict = await verifyAuditChain(store);
			expect(verdict).toMatchObject({ ok: false, brokenAt: seq === 5 ? 5 : seq + 1 });
		});

		it(`detects a deleted ${where} entry`, async () => {
			db.prepare("DELETE FROM audit_log WHERE seq = ?").run(seq);
			expect(await verifyAuditChain(store)).toMatchObject({ ok: false, brokenAt: seq });
		});
	}

	it("detects an entry inserted before the first", async () => {
		db.prepare("UPDATE audit_log SET seq = seq + 10").run();
		db.prepare("UPDATE audit_log SET seq = seq - 9").run();
		insertForged(1, GENESIS_HASH);
		expect(await verifyAuditChain(store)).toMatchObject({ ok: false, brokenAt: 2 });
	});

	it("detects an entry inserted in the middle", async () => {
		// Shift 4 and 5 up and slot a correctly chained entry in at 4: entry 5 (the old 4) no longer chains to it.
		db.prepare("UPDATE audit_log SET seq = seq + 10 WHERE seq >= 4").run();
		db.prepare("UPDATE audit_log SET seq = seq - 9 WHERE seq >= 14").run();
		insertForged(4, rows()[2]!.hash);
		expect(await verifyAuditChain(store)).toMatchObject({ ok: false, brokenAt: 5 });
	});

	it("detects an entry appended after the last (even correctly chained)", async () => {
		insertForged(6, rows()[4]!.hash);
		expect(await verifyAuditChain(store)).toMatchObject({ ok: false, brokenAt: 6 });
	});

	it("detects a missing head and a head moved back", async () => {
		db.prepare("UPDATE audit_head SET seq = 4, hash = ?").run(rows()[3]!.hash);
		expect(await verifyAuditChain(store)).toMatchObject({ ok: false, brokenAt: 5 });
		db.prepare("DELETE FROM audit_head").run();
		expect(await verifyAuditChain(store)).toMatchObject({ ok: false, brokenAt: 1 });
	});

	it("refuses an action that is not dotted lower case and a player without a game", async () => {
		await expect(recordAudit(store, { action: "Export", actor: "x" }, 1)).rejects.toThrow(/dotted/);
		await expect(recordAudit(store, { action: "a.b", actor: "x", userId: 5 }, 1)).rejects.toThrow(/gameId/);
		expect(await verifyAuditChain(store)).toMatchObject({ ok: true, entries: 5 });
	});
});

/** Inserts an entry whose hash is right for its content and `prevHash` (what a careful forger would write). */
function insertForged(seq: number, prevHash: string): void {
	const entry = {
		seq,
		at: 1,
		actor: "admin:forger",
		action: "player.exported",
		gameId: "g1",
		subject: null,
		details: "{}",
		prevHash,
	};
	db.prepare(
		`INSERT INTO audit_log (seq, at, actor, action, game_id, subject, details, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
	).run(seq, entry.at, entry.actor, entry.action, entry.gameId, null, entry.details, prevHash, auditHash(entry));
}
