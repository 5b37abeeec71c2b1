// The schema runner of the PostgreSQL engine. One database holds several components' tables (the metadata core,
// the privacy half, …), each with its own migration list and history in schema_versions, so each half evolves on
// its own. N instances starting at once migrate once: every step runs in one transaction under an advisory lock and
// re-reads the history first.
import type pg from "pg";
import { advisoryXactLock, transaction } from "./pool.js";

/** One schema step of a component. Versions start at 1 and increase by 1; an applied one is never edited. */
export interface PgMigration {
	version: number;
	name: string;
	/** SQL run inside the migration's transaction (several statements allowed, no parameters). */
	up: string;
}

/** What {@link runMigrations} did. */
export interface PgMigrationOutcome {
	from: number;
	to: number;
	applied: number[];
}

/** The database was written by a newer Vantage; this build must not touch it. */
export class PgSchemaTooNewError extends Error {
	override readonly name = "PgSchemaTooNewError";
	constructor(
		readonly component: string,
		readonly databaseVersion: number,
		readonly knownVersion: number,
	) {
		super(
			`PostgreSQL schema of "${component}" is at version ${databaseVersion}, newer than this build knows ` +
				`(${knownVersion}); upgrade Vantage or restore a backup.`,
		);
	}
}

/** An applied migration's name differs from this build's: the history was edited or the database is foreign. */
export class PgMigrationMismatchError extends Error {
	override readonly name = "PgMigrationMismatchError";
}

/** One lock for every component's schema changes: migrations are rare, and DDL of two components may touch one table. */
const LOCK = "vantage:schema";

/**
 * Brings `component`'s schema up to the last of `migrations`.
 * 1. the list must be 1, 2, 3, … (a programming error otherwise);
 * 2. schema_versions is created if missing (under the lock: concurrent CREATE IF NOT EXISTS can fail);
 * 3. a database newer than the list, or whose applied names differ, is refused before anything is written;
 * 4. each pending migration runs in its own transaction that takes the lock and re-reads the history, so of N
 *    instances starting at once one applies it and the others see it applied.
 *
 * @example
 * await runMigrations(pool, "metadata", METADATA_MIGRATIONS);
 */
export async function runMigrations(
	pool: pg.Pool,
	component: string,
	migrations: readonly PgMigration[],
): Promise<PgMigrationOutcome> {
	migrations.forEach((migration, i) => {
		if (migration.version !== i + 1) {
			throw new Error(
				`Migrations of "${component}" must be 1..n in order; found ${migration.version} at position ${i}.`,
			);
		}
	});
	const known = migrations.length;

	const history = await transaction(pool, async (client) => {
		await advisoryXactLock(client, LOCK);
		await client.query(`CREATE TABLE IF NOT EXISTS schema_versions (
			component text NOT NULL,
			version integer NOT NULL,
			name text NOT NULL,
			applied_at bigint NOT NULL,
			PRIMARY KEY (component, version)
		)`);
		return await appliedVersions(client, component);
	});
	const from = history.length === 0 ? 0 : Math.max(...history.map((row) => row.version));
	if (from > known) throw new PgSchemaTooNewError(component, from, known);
	checkNames(component, history, migrations);

	const applied: number[] = [];
	for (const migration of migrations.slice(from)) {
		await transaction(pool, async (client) => {
			await advisoryXactLock(client, LOCK);
			const now = await appliedVersions(client, component);
			if (now.some((row) => row.version >= migration.version)) return;
			await client.query(migration.up);
			await client.query("INSERT INTO schema_versions (component, version, name, applied_at) VALUES ($1, $2, $3, $4)", [
				component,
				migration.version,
				migration.name,
				Date.now(),
			]);
			applied.push(migration.version);
		});
	}
	return { from, to: Math.max(from, known), applied };
}

async function appliedVersions(client: pg.PoolClient, component: string): Promise<{ version: number; name: string }[]> {
	const { rows } = await client.query<{ version: number; name: string }>(
		"SELECT version, name FROM schema_versions WHERE component = $1 ORDER BY version",
		[component],
	);
	return rows;
}

function checkNames(
	component: string,
	history: readonly { version: number; name: string }[],
	migrations: readonly PgMigration[],
): void {
	for (const row of history) {
		const expected = migrations[row.version - 1];
		if (expected?.name !== row.name) {
			throw new PgMigrationMismatchError(
				`Applied migration ${row.version} of "${component}" is "${row.name}" but this build has ` +
					`"${expected?.name ?? "nothing"}".`,
			);
		}
	}
}
