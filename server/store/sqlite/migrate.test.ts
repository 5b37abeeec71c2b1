import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MigrationMismatchError, SchemaTooNewError, migrate } from "./migrate.js";
import { MIGRATIONS, type Migration } from "./migrations.js";
import { openSqliteStore } from "./sqlite-store.js";

const LATEST = MIGRATIONS.length;
const ALL_VERSIONS = MIGRATIONS.map((m) => m.version);
/** A migration one past this build's last. */
const next: Migration = {
	version: LATEST + 1,
	name: "add_notes",
	up: "CREATE TABLE notes (id TEXT PRIMARY KEY) STRICT;",
};

let dir: string;
let path: string;
beforeEach(() => {
	dir = mkdtempSync(join(tmpdir(), "vantage-migrate-"));
	path = join(dir, "vantage.db");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function versions(file: string): number[] {
	const db = new BetterSqlite3(file, { readonly: true });
	try {
		return db
			.prepare<[], { version: number }>("SELECT version FROM schema_migrations ORDER BY version")
			.all()
			.map((row) => row.version);
	} finally {
		db.close();
	}
}

function tables(file: string): string[] {
	const db = new BetterSqlite3(file, { readonly: true });
	try {
		return db
			.prepare<[], { name: string }>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
			.all()
			.map((row) => row.name);
	} finally {
		db.close();
	}
}

describe("migrate", () => {
	it("creates the initial schema on a fresh database", async () => {
		const store = openSqliteStore({ path });
		await store.close();
		expect(versions(path)).toEqual(MIGRATIONS.map((m) => m.version));
		expect(tables(path)).toEqual([
			"adaptive_runs",
			"admin_login_throttle",
			"admin_sessions",
			"admin_totp",
			"admin_users",
			"api_keys",
			"audit_head",
			"audit_log",
			"batches",
			"consent_policies",
			"consent_records",
			"consent_tallies",
			"digest_state",
			"erasure_tombstones",
			"events",
			"experiment_layers",
			"experiments",
			"flags",
			"game_grants",
			"game_holdouts",
			"game_settings",
			"games",
			"ingest_log",
			"leases",
			"metric_definitions",
			"player_id_state",
			"prediction_players",
			"predictions",
			"privacy_jobs",
			"privacy_secrets",
			"roblox_notifications",
			"schema_migrations",
			"signing_keys",
			"wh_cohort_last",
			"wh_cohorts",
			"wh_days",
			"wh_economy",
			"wh_event_days",
			"wh_event_hours",
			"wh_exposures",
			"wh_funnel_steps",
			"wh_players",
			"wh_products",
			"wh_progression",
			"wh_sessions",
			"wh_state",
			"wh_user_days",
		]);
	});

	it("applies nothing when reopened", () => {
		const db = new BetterSqlite3(path);
		expect(migrate(db, MIGRATIONS)).toEqual({ from: 0, to: LATEST, applied: ALL_VERSIONS });
		expect(migrate(db, MIGRATIONS)).toEqual({ from: LATEST, to: LATEST, applied: [] });
		db.close();
		expect(versions(path)).toEqual(ALL_VERSIONS);
	});

	it("applies only the migrations a database lacks", () => {
		const db = new BetterSqlite3(path);
		migrate(db, MIGRATIONS);
		expect(migrate(db, [...MIGRATIONS, next])).toEqual({ from: LATEST, to: LATEST + 1, applied: [LATEST + 1] });
		db.close();
		expect(tables(path)).toContain("notes");
	});

	it("refuses a database newer than this build and leaves it untouched", async () => {
		await openSqliteStore({ path, migrations: [...MIGRATIONS, next] }).close();
		expect(() => openSqliteStore({ path })).toThrow(SchemaTooNewError);
		expect(versions(path)).toEqual([...ALL_VERSIONS, LATEST + 1]);
	});

	it("refuses a database whose applied history differs by name", () => {
		const db = new BetterSqlite3(path);
		migrate(db, [{ version: 1, name: "something_else", up: "CREATE TABLE x (a INTEGER) STRICT;" }]);
		expect(() => migrate(db, MIGRATIONS)).toThrow(MigrationMismatchError);
		db.close();
	});

	it("rolls back a failing migration completely", () => {
		const db = new BetterSqlite3(path);
		migrate(db, MIGRATIONS);
		const broken: Migration = {
			version: LATEST + 1,
			name: "broken",
			up: "CREATE TABLE half (a INTEGER); SELECT * FROM nope;",
		};
		expect(() => migrate(db, [...MIGRATIONS, broken])).toThrow(/nope/);
		db.close();
		expect(versions(path)).toEqual(ALL_VERSIONS);
		expect(tables(path)).not.toContain("half");
	});

	it("rejects a migration list that is not 1..n", () => {
		const db = new BetterSqlite3(":memory:");
		expect(() => migrate(db, [{ ...next, version: 2 }])).toThrow(/1\.\.n/);
		db.close();
	});
});
