// Named leases on SQLite (version 16): which process runs a background job (rollups, adaptive updates, retention,
// batch pruning) or stores a batch, until when. One database serves every process on the data directory, so a lease
// taken here is seen by all of them; the scale path keeps the same rows in PostgreSQL (store/contracts.ts LeaseStore).
import type BetterSqlite3 from "better-sqlite3";
import type { LeaseStore } from "../contracts.js";
import type { Migration } from "./migrations.js";
import type { MainWriteLock } from "./write-lock.js";

/**
 * Version 16: leases. `until` is unix ms; a lease past it is free. No foreign keys: a lease names a job or a batch,
 * not a row. WITHOUT ROWID: the table is looked up and written by its name only.
 */
export const LEASE_MIGRATION: Migration = {
	version: 16,
	name: "leases",
	up: `
		CREATE TABLE leases (
			name TEXT PRIMARY KEY,
			holder TEXT NOT NULL,
			until INTEGER NOT NULL
		) STRICT, WITHOUT ROWID;
	`,
};

export class SqliteLeaseStore implements LeaseStore {
	readonly #lock: MainWriteLock | undefined;
	readonly #acquire;
	readonly #release;
	readonly #holder;
	readonly #prune;

	constructor(db: BetterSqlite3.Database, lock?: MainWriteLock) {
		this.#lock = lock;
		// One statement: the row is taken when absent, expired at @now, or already ours (a renewal); otherwise the WHERE
		// of DO UPDATE leaves it alone and no row changes.
		this.#acquire = db.prepare<[{ name: string; holder: string; now: number; until: number }]>(
			`INSERT INTO leases (name, holder, until) VALUES (@name, @holder, @until)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
			WHERE leases.until <= @now OR leases.holder = excluded.holder`,
		);
		this.#release = db.prepare<[string, string]>("DELETE FROM leases WHERE name = ? AND holder = ?");
		this.#holder = db.prepare<[string, number], { holder: string }>(
			"SELECT holder FROM leases WHERE name = ? AND until > ?",
		);
		// No index on `until`: the table holds the leases in use plus what expired since the last hourly prune, so the
		// scan is short.
		this.#prune = db.prepare<[number, number]>(
			"DELETE FROM leases WHERE name IN (SELECT name FROM leases WHERE until < ? LIMIT ?)",
		);
	}

	async acquire(name: string, holder: string, now: number, until: number): Promise<boolean> {
		return (await this.#write(() => this.#acquire.run({ name, holder, now, until }).changes)) === 1;
	}

	async release(name: string, holder: string): Promise<void> {
		await this.#write(() => this.#release.run(name, holder));
	}

	async holder(name: string, now: number): Promise<string | null> {
		return this.#holder.get(name, now)?.holder ?? null;
	}

	async pruneExpired(expiredBefore: number, limit: number): Promise<number> {
		return await this.#write(() => this.#prune.run(expiredBefore, limit).changes);
	}

	/** Writes take the ingest/warehouse write lock, as every write on the store's connection does. */
	async #write<T>(work: () => T): Promise<T> {
		const waiting = this.#lock?.acquire();
		if (waiting) await waiting;
		try {
			return work();
		} finally {
			this.#lock?.release();
		}
	}
}
