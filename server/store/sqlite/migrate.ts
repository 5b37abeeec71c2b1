import type { Database } from "better-sqlite3";
import type { Migration } from "./migrations.js";

/** The database was written by a newer Vantage; opening it with this one could corrupt it. */
export class SchemaTooNewError extends Error {
	override readonly name = "SchemaTooNewError";
	constructor(
		readonly databaseVersion: number,
		readonly knownVersion: number,
	) {
		super(
			`Database schema version ${databaseVersion} is newer than this build knows (${knownVersion}); ` +
				"upgrade Vantage or restore a backup.",
		);
	}
}

/** An applied migration's name differs from this build's: the history was edited or the file is foreign. */
export class MigrationMismatchError extends Error {
	override readonly name = "MigrationMismatchError";
}

export interface MigrationOutcome {
	from: number;
	to: number;
	applied: number[];
}

/**
 * Brings the schema up to the last of `migrations`.
 * 1. the migration list itself must be 1, 2, 3, … (a programming error otherwise);
 * 2. a database newer than the list is refused before anything is written;
 * 3. applied migrations must match by name;
 * 4. each pending migration runs in its own IMMEDIATE transaction that re-reads the version first, so two
 *    processes opening the same file cannot both apply it.
 */
export function migrate(db: Database, migrations: readonly Migration[]): MigrationOutcome {
	migrations.forEach((migration, i) => {
		if (migration.version !== i + 1) {
			throw new Error(`Migration versions must be 1..n in order; found ${migration.version} at position ${i}.`);
		}
	});
	const known = migrations.length;

	db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		name TEXT NOT NULL,
		applied_at INTEGER NOT NULL
	) STRICT`);
	const currentVersion = db.prepare<[], { v: number }>("SELECT coalesce(max(version), 0) AS v FROM schema_migrations");
	const appliedRows = db.prepare<[], { version: number; name: string }>(
		"SELECT version, name FROM schema_migrations ORDER BY version",
	);
	const record = db.prepare<[number, string, number]>(
		"INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
	);

	const from = currentVersion.get()?.v ?? 0;
	if (from > known) throw new SchemaTooNewError(from, known);
	for (const row of appliedRows.all()) {
		const expected = migrations[row.version - 1];
		if (expected?.name !== row.name) {
			throw new MigrationMismatchError(
				`Applied migration ${row.version} is "${row.name}" but this build has "${expected?.name ?? "nothing"}".`,
			);
		}
	}

	const applied: number[] = [];
	for (const migration of migrations.slice(from)) {
		const apply = db.transaction(() => {
			const now = currentVersion.get()?.v ?? 0;
			if (now >= migration.version) return;
			db.exec(migration.up);
			record.run(migration.version, migration.name, Date.now());
			applied.push(migration.version);
		});
		apply.immediate();
	}
	return { from, to: Math.max(from, known), applied };
}
