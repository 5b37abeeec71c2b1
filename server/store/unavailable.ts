// Store failures that mean "not now" rather than "never": the disk under the database is full, or the database is
// restarting or unreachable. Nothing was acknowledged when one of them is thrown, so the request is answered 503 with
// Retry-After and the client (the SDK resends the same batch) retries, instead of a 500 that reads like a bug. Each
// engine reports them its own way; this recognises them in one place (app.ts's error handler asks).
import { ProblemError } from "../errors.js";

/** Seconds a client is asked to wait before retrying a request the store could not take. */
export const STORE_RETRY_AFTER_SECONDS = 2;

/** 503 + Retry-After: the store cannot take the request right now; retrying later is safe. */
export class StoreUnavailableError extends ProblemError {
	override readonly name = "StoreUnavailableError";
	constructor(detail: string, retryAfterSeconds = STORE_RETRY_AFTER_SECONDS) {
		super(
			503,
			"unavailable",
			"Service unavailable",
			detail,
			{ retryAfterSeconds },
			{ "Retry-After": String(retryAfterSeconds) },
		);
	}
}

// SQLite result codes (better-sqlite3 `code`): the disk is full, the database is locked past the busy timeout, or
// the disk failed to read or write (SQLITE_IOERR_*).
const SQLITE_TRANSIENT = /^SQLITE_(FULL|BUSY|IOERR)/;
// Node system errors: no space or quota left, or the connection to a database server failed.
const SYSTEM_FULL = new Set(["ENOSPC", "EDQUOT"]);
const SYSTEM_UNREACHABLE = /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|EAI_AGAIN)$/;
// PostgreSQL SQLSTATEs: 53100 disk_full, 08xxx connection exceptions, 57P01-57P03 the server is shutting down,
// crashed or starting (postgresql.org/docs/15/errcodes-appendix.html).
const POSTGRES_TRANSIENT = /^(53100|08[0-9A-Z]{3}|57P0[123])$/;
// What the pg client and ClickHouse say when the disk is full or the server went away mid-request.
const MESSAGES =
	/No space left on device|NOT_ENOUGH_SPACE|Cannot reserve .* free space|Connection terminated|socket hang up|server closed the connection unexpectedly/i;

/**
 * The 503 to answer when `error` (or an error it wraps as `cause`) says the store cannot take the request right now;
 * undefined for any other error (a bug, bad data: those stay 500).
 *
 * @example
 * storeUnavailable(Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" }))?.status // 503
 */
export function storeUnavailable(error: unknown): StoreUnavailableError | undefined {
	for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
		if (e instanceof StoreUnavailableError) return e;
		const code = (e as { code?: unknown }).code;
		const message = e instanceof Error ? e.message : String(e);
		if (typeof code === "string") {
			if (SQLITE_TRANSIENT.test(code) || SYSTEM_FULL.has(code) || message.includes("No space left")) {
				return new StoreUnavailableError("The store cannot write right now (its disk is full or failing).");
			}
			if (SYSTEM_UNREACHABLE.test(code) || POSTGRES_TRANSIENT.test(code)) {
				return new StoreUnavailableError("The store is unreachable or restarting.");
			}
		}
		if (MESSAGES.test(message)) return new StoreUnavailableError("The store cannot take the request right now.");
	}
	return undefined;
}
