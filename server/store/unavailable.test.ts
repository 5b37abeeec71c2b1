import { describe, expect, it } from "vitest";
import { storeUnavailable, StoreUnavailableError } from "./unavailable.js";

const coded = (message: string, code: string) => Object.assign(new Error(message), { code });

describe("storeUnavailable", () => {
	it.each([
		["SQLite: disk full", coded("database or disk is full", "SQLITE_FULL")],
		["SQLite: busy past the timeout", coded("database is locked", "SQLITE_BUSY")],
		["SQLite: write failed", coded("disk I/O error", "SQLITE_IOERR_WRITE")],
		["Node: no space", coded("ENOSPC: no space left on device, write", "ENOSPC")],
		["PostgreSQL: disk full", coded("could not extend file", "53100")],
		["PostgreSQL: shutting down", coded("terminating connection due to administrator command", "57P01")],
		["PostgreSQL: starting up", coded("the database system is starting up", "57P03")],
		["pg client: connection lost", new Error("Connection terminated unexpectedly")],
		["a refused connection", coded("connect ECONNREFUSED 127.0.0.1:5432", "ECONNREFUSED")],
		["ClickHouse: no space", coded("Cannot write to file, errno: 28, strerror: No space left on device", "75")],
		["ClickHouse: not enough space", new Error("Code: 243, e.displayText() = DB::Exception: NOT_ENOUGH_SPACE")],
		["wrapped as a cause", new Error("ingest failed", { cause: coded("database or disk is full", "SQLITE_FULL") })],
	])("%s → 503 with Retry-After", (_, error) => {
		const problem = storeUnavailable(error);
		expect(problem).toBeInstanceOf(StoreUnavailableError);
		expect(problem?.status).toBe(503);
		expect(problem?.headers["Retry-After"]).toBe("2");
	});

	it.each([
		["a bug", new TypeError("Cannot read properties of undefined (reading 'id')")],
		["a constraint", coded("UNIQUE constraint failed: events.id", "SQLITE_CONSTRAINT_PRIMARYKEY")],
		["bad SQL", coded('syntax error at or near "SELEC"', "42601")],
		["not an error", "text"],
		["nothing", undefined],
	])("%s stays a 500 (undefined)", (_, error) => {
		expect(storeUnavailable(error)).toBeUndefined();
	});
});
