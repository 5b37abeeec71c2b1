// The tamper-evident audit log of privacy actions and of admin reads of player-level data. Each entry's hash covers
// the previous entry's hash and its own canonical content, so changing, inserting or deleting any stored entry breaks
// the chain from there on; the recorded head (last seq and hash) catches entries cut off the end.
// Limits: whoever can write the database and compute SHA-256 can rebuild a consistent chain. Compare the head that
// `npm run vantage -- audit verify` prints with a copy kept elsewhere to catch that too.
import { createHash } from "node:crypto";
import type { Context } from "hono";
import type { AppEnv } from "../http/app-env.js";
import type { EventsRead } from "../ingest/routes.js";
import type { Store } from "../store/types.js";
import type { AuditHead, AuditRow } from "./privacy-store.js";
import { subjectOf } from "./subject.js";

/** The previous hash of the first entry. */
export const GENESIS_HASH = "0".repeat(64);

/** Actions this module records; other modules may add their own (dotted lower case, e.g. `consent.recorded`). */
export const AUDIT_ACTIONS = {
	/** An admin read a player's events (events page or export filtered by userId). */
	eventsRead: "player.events_read",
	/** An admin read a game's raw events of every player (events page or export without a userId). */
	gameEventsRead: "game.events_read",
	/** An admin previewed an experiment's assignment on the game's recent players (their UserIds are listed). */
	playersRead: "game.players_read",
	/** An admin downloaded a player's access export (Art. 15/20). */
	exported: "player.exported",
	/** An erasure job was accepted (admin route or Roblox webhook). */
	erasureRequested: "erasure.requested",
	/** A player was erased from one game: the proof that stays after the player is gone. */
	erasureCompleted: "erasure.completed",
	erasureFailed: "erasure.failed",
	/** A Roblox Right-to-Erasure notification was accepted (a replay of one is recorded too). */
	webhookReceived: "webhook.roblox_received",
} as const;

const ACTION_PATTERN = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;

/** A JSON value as audit details may hold it (no undefined, no non-finite numbers). */
export type AuditJson = string | number | boolean | null | AuditJson[] | { [key: string]: AuditJson };

export interface AuditEntryInput {
	/** Dotted lower case: one of {@link AUDIT_ACTIONS} or a module's own (`consent.recorded`). */
	action: string;
	/** `admin:<admin user id>`, `webhook:roblox`, `system`, `cli`. */
	actor: string;
	gameId?: string | null;
	/**
	 * The player the entry is about. Never stored: the entry keeps the player's pseudonym (requires `gameId`), so
	 * the log can prove an erasure without holding the erased UserId.
	 */
	userId?: number | null;
	/** Free-form facts (counts, job id, filters). Must not contain a UserId or other personal data. */
	details?: { [key: string]: AuditJson };
}

/**
 * Appends one entry to the audit log and returns it as stored.
 *
 * Usage (any module with the store):
 * @example
 * import { recordAudit } from "../privacy/audit.js";
 * await recordAudit(store, { action: "consent.recorded", actor: `admin:${c.get("admin").userId}`, gameId, userId,
 *   details: { policyVersion: 3 } }, clock());
 */
export async function recordAudit(
	store: Pick<Store, "privacy">,
	entry: AuditEntryInput,
	at: number,
): Promise<AuditRow> {
	if (!ACTION_PATTERN.test(entry.action)) throw new Error(`audit action "${entry.action}" is not dotted lower case`);
	if (entry.userId != null && !entry.gameId) throw new Error("an audit entry about a player needs its gameId");
	const subject = entry.userId == null ? null : await subjectOf(store, entry.gameId!, entry.userId);
	const details = canonicalJson(entry.details ?? {});
	return store.privacy.appendAudit((head) => {
		const row = {
			seq: (head?.seq ?? 0) + 1,
			at,
			actor: entry.actor,
			action: entry.action,
			gameId: entry.gameId ?? null,
			subject,
			details,
			prevHash: head?.hash ?? GENESIS_HASH,
		};
		return { ...row, hash: auditHash(row) };
	});
}

/** SHA-256 over the previous hash and the entry's canonical content (every stored column but the hash). */
export function auditHash(row: Omit<AuditRow, "hash">): string {
	const content = canonicalJson([row.seq, row.at, row.actor, row.action, row.gameId, row.subject, row.details]);
	return createHash("sha256").update(row.prevHash).update("\n").update(content).digest("hex");
}

/** JSON with object keys sorted at every level: one text per value, whatever order it was built in. */
export function canonicalJson(value: AuditJson): string {
	if (value === null || typeof value === "string" || typeof value === "boolean") return JSON.stringify(value);
	if (typeof value === "number") {
		if (!Number.isFinite(value)) throw new Error("audit details hold a non-finite number");
		return JSON.stringify(value);
	}
	if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
	const keys = Object.keys(value).sort();
	return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k]!)}`).join(",")}}`;
}

export type AuditVerification =
	| { ok: true; entries: number; head: AuditHead | null }
	| {
			ok: false;
			/** Entries that checked out before the first broken one. */
			entries: number;
			/** The seq of the first entry that does not check out (or where one is missing). */
			brokenAt: number;
			reason: string;
	  };

/** How many entries the verifier reads at a time. */
const VERIFY_PAGE = 1000;

/**
 * Walks the whole chain and reports the first entry that does not check out:
 * 1. seq must be the previous seq + 1 (an entry deleted from or inserted into the middle);
 * 2. prevHash must be the previous entry's hash;
 * 3. hash must be the recomputed hash of the entry's content (an edited entry);
 * 4. the last entry must be the recorded head (entries cut off the end, or added after it).
 */
export async function verifyAuditChain(store: Pick<Store, "privacy">): Promise<AuditVerification> {
	const head = await store.privacy.auditHead();
	let previous: AuditHead = { seq: 0, hash: GENESIS_HASH };
	let entries = 0;
	for (;;) {
		const page = await store.privacy.listAudit(previous.seq, VERIFY_PAGE);
		for (const row of page) {
			const expected = previous.seq + 1;
			if (row.seq !== expected) {
				return { ok: false, entries, brokenAt: expected, reason: `entry ${expected} is missing (next is ${row.seq})` };
			}
			if (row.prevHash !== previous.hash) {
				return { ok: false, entries, brokenAt: row.seq, reason: "its previous hash is not the previous entry's hash" };
			}
			if (auditHash(row) !== row.hash) {
				return { ok: false, entries, brokenAt: row.seq, reason: "its content does not match its hash" };
			}
			previous = { seq: row.seq, hash: row.hash };
			entries++;
		}
		if (page.length < VERIFY_PAGE) break;
	}
	if (head === null) {
		if (entries === 0) return { ok: true, entries, head };
		return { ok: false, entries: 0, brokenAt: 1, reason: "entries exist but the recorded head is missing" };
	}
	if (head.seq > previous.seq) {
		return {
			ok: false,
			entries,
			brokenAt: previous.seq + 1,
			reason: `the head records ${head.seq} entries; entries after ${previous.seq} are missing`,
		};
	}
	if (head.seq < previous.seq || head.hash !== previous.hash) {
		return {
			ok: false,
			entries: Math.min(entries, head.seq),
			brokenAt: Math.min(head.seq + 1, previous.seq),
			reason:
				head.seq < previous.seq
					? `entries after the recorded head (${head.seq}) were added`
					: "the last entry is not the recorded head",
		};
	}
	return { ok: true, entries, head };
}

/**
 * The audit hook of the raw-event reads (ingest's `onEventsRead`): one entry per page or export, about the player
 * when the read is filtered to one.
 */
export function auditEventsRead(
	store: Pick<Store, "privacy">,
	clock: () => number,
): (c: Context<AppEnv>, read: EventsRead) => Promise<void> {
	return async (c, read) => {
		await recordAudit(
			store,
			{
				action: read.userId === undefined ? AUDIT_ACTIONS.gameEventsRead : AUDIT_ACTIONS.eventsRead,
				actor: `admin:${c.get("admin").userId}`,
				gameId: read.gameId,
				userId: read.userId ?? null,
				details: { kind: read.kind },
			},
			clock(),
		);
	};
}

/** The audit hook of the experiment preview on recent players (planning routes' `onPlayersRead`). */
export function auditPlayersRead(
	store: Pick<Store, "privacy">,
	clock: () => number,
): (c: Context<AppEnv>, read: { gameId: string; players: number }) => Promise<void> {
	return async (c, read) => {
		await recordAudit(
			store,
			{
				action: AUDIT_ACTIONS.playersRead,
				actor: `admin:${c.get("admin").userId}`,
				gameId: read.gameId,
				details: { kind: "experiment_preview", players: read.players },
			},
			clock(),
		);
	};
}
