// Named leases across instances on PostgreSQL (contracts.ts LeaseStore): one row per name. Taking a lease is one
// atomic upsert, so of any number of instances racing for a free or expired lease exactly one gets it.
import type pg from "pg";
import type { LeaseStore } from "../contracts.js";

export class PostgresLeaseStore implements LeaseStore {
	readonly #pool: pg.Pool;

	constructor(pool: pg.Pool) {
		this.#pool = pool;
	}

	/**
	 * 1. no row → inserted: ours;
	 * 2. a row expired at `now` (until <= now: a lease is held up to, not at, its `until`, as on SQLite) or ours →
	 *    taken or renewed: ours;
	 * 3. otherwise the upsert's WHERE leaves the row as is and RETURNING gives nothing: not ours.
	 * ON CONFLICT DO UPDATE locks the conflicting row and re-reads it after a concurrent writer commits, so two
	 * instances never both see the lease free.
	 */
	async acquire(name: string, holder: string, now: number, until: number): Promise<boolean> {
		const { rows } = await this.#pool.query<{ holder: string }>(
			`INSERT INTO leases (name, holder, until) VALUES ($1, $2, $4)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
			WHERE leases.until <= $3 OR leases.holder = $2
			RETURNING holder`,
			[name, holder, now, until],
		);
		return rows[0]?.holder === holder;
	}

	async release(name: string, holder: string): Promise<void> {
		await this.#pool.query("DELETE FROM leases WHERE name = $1 AND holder = $2", [name, holder]);
	}

	async holder(name: string, now: number): Promise<string | null> {
		const { rows } = await this.#pool.query<{ holder: string }>(
			"SELECT holder FROM leases WHERE name = $1 AND until > $2",
			[name, now],
		);
		return rows[0]?.holder ?? null;
	}

	/**
	 * The outer `until < $1` is checked again on the row as it is when the DELETE locks it: a lease another instance
	 * took (renewed) between the subquery's read and the delete is kept.
	 */
	async pruneExpired(expiredBefore: number, limit: number): Promise<number> {
		const { rowCount } = await this.#pool.query(
			`DELETE FROM leases WHERE until < $1 AND name IN (SELECT name FROM leases WHERE until < $1 LIMIT $2)`,
			[expiredBefore, limit],
		);
		return rowCount ?? 0;
	}
}
