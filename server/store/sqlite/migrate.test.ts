import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MigrationMismatchError, SchemaTooNewError, migrate } from "./migrate.js";
import { MIGRATIONS, type Migration } from "./migrations.js";
import { openSqliteStore } from "./sqlite-store.js";

const v2: Migration = { version: 2, name: "add_notes", up: "CREATE TABLE notes (id TEXT PRIMARY KEY) STRICT;" };

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
		expect(tables(path)).toEqual(["batches", "events", "games", "schema_migrations"]);
	});

	it("applies nothing when reopened", () => {
		const db = new BetterSqlite3(path);
		expect(migrate(db, MIGRATIONS)).toEqual({ from: 0, to: 1, applied: [1] });
		expect(migrate(db, MIGRATIONS)).toEqual({ from: 1, to: 1, applied: [] });
		db.close();
		expect(versions(path)).toEqual([1]);
	});

	it("applies only the migrations a database lacks", () => {
		const db = new BetterSqlite3(path);
		migrate(db, MIGRATIONS);
		expect(migrate(db, [...MIGRATIONS, v2])).toEqual({ from: 1, to: 2, applied: [2] });
		db.close();
		expect(tables(path)).toContain("notes");
	});

	it("refuses a database newer than this build and leaves it untouched", async () => {
		await openSqliteStore({ path, migrations: [...MIGRATIONS, v2] }).close();
		expect(() => openSqliteStore({ path })).toThrow(SchemaTooNewError);
		expect(versions(path)).toEqual([1, 2]);
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
		const broken: Migration = { version: 2, name: "broken", up: "CREATE TABLE half (a INTEGER); SELECT * FROM nope;" };
		expect(() => migrate(db, [...MIGRATIONS, broken])).toThrow(/nope/);
		db.close();
		expect(versions(path)).toEqual([1]);
		expect(tables(path)).not.toContain("half");
	});

	it("rejects a migration list that is not 1..n", () => {
		const db = new BetterSqlite3(":memory:");
		expect(() => migrate(db, [{ ...v2 }])).toThrow(/1\.\.n/);
		db.close();
	});
});
