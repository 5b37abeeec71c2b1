// SQLite side of auth/security-store.ts (schema: security-migration.ts, version 12).
import type BetterSqlite3 from "better-sqlite3";
import type { AdminSessionListing, LoginThrottleRecord, SecurityStore, TotpRecord } from "../../domain/security.js";
import type { MainWriteLock } from "./write-lock.js";
import { toLoginThrottle, toSessionListing, toTotp, type SessionRow, type ThrottleRow, type TotpRow } from "../rows.js";

export class SqliteSecurityStore implements SecurityStore {
	readonly #lock: MainWriteLock | undefined;
	readonly #db: BetterSqlite3.Database;
	#prepared: ReturnType<typeof prepare> | undefined;

	constructor(db: BetterSqlite3.Database, lock?: MainWriteLock) {
		this.#lock = lock;
		this.#db = db;
	}

	/** Statements are prepared on first use: a store opened only for other work never touches these tables. */
	get #s(): ReturnType<typeof prepare> {
		this.#prepared ??= prepare(this.#db);
		return this.#prepared;
	}

	async setSigningKeyPrivateJwk(kid: string, privateJwk: string): Promise<boolean> {
		return this.#write(() => this.#s.setSigningKey.run(privateJwk, kid).changes === 1);
	}

	async getLoginThrottle(account: string): Promise<LoginThrottleRecord | undefined> {
		const row = this.#s.getThrottle.get(account);
		return row && toLoginThrottle(row);
	}

	async putLoginThrottle(record: LoginThrottleRecord, forgetBefore: number): Promise<void> {
		await this.#write(() => {
			this.#s.forgetThrottles.run(forgetBefore, forgetBefore);
			this.#s.putThrottle.run({
				account: record.account,
				failures: record.failures,
				last_failure_at: record.lastFailureAt,
				locked_until: record.lockedUntil,
			});
		});
	}

	async clearLoginThrottle(account: string): Promise<void> {
		await this.#write(() => this.#s.clearThrottle.run(account));
	}

	async getTotp(userId: string): Promise<TotpRecord | undefined> {
		const row = this.#s.getTotp.get(userId);
		return row && toTotp(row);
	}

	async putPendingTotp(record: TotpRecord): Promise<void> {
		await this.#write(() =>
			this.#s.putTotp.run({
				user_id: record.userId,
				secret: record.secret,
				confirmed_at: null,
				last_step: record.lastStep,
				created_at: record.createdAt,
			}),
		);
	}

	async useTotpStep(userId: string, step: number, at: number): Promise<boolean> {
		return this.#write(() => this.#s.useStep.run(step, at, userId, step).changes === 1);
	}

	async deleteTotp(userId: string): Promise<boolean> {
		return this.#write(() => this.#s.deleteTotp.run(userId).changes === 1);
	}

	async listTotp(): Promise<TotpRecord[]> {
		return this.#s.listTotp.all().map(toTotp);
	}

	async setTotpSecret(userId: string, secret: string): Promise<boolean> {
		return this.#write(() => this.#s.setTotpSecret.run(secret, userId).changes === 1);
	}

	async insertTokenSession(session: { id: string; userId: string; createdAt: number; expiresAt: number }) {
		await this.#write(() =>
			this.#s.insertTokenSession.run(
				session.id,
				session.userId,
				session.createdAt,
				session.createdAt,
				session.expiresAt,
			),
		);
	}

	async listAdminSessions(userId: string, now: number): Promise<AdminSessionListing[]> {
		return this.#s.listSessions.all(userId, now).map(toSessionListing);
	}

	async deleteAdminSessionOfUser(userId: string, id: string): Promise<boolean> {
		return this.#write(() => this.#s.deleteSession.run(userId, id).changes === 1);
	}

	async deleteAdminSessionsOfUser(userId: string, exceptId = ""): Promise<number> {
		return this.#write(() => this.#s.deleteSessions.run(userId, exceptId).changes);
	}

	async listStoredDigestWebhookUrls(): Promise<{ gameId: string; value: string }[]> {
		return this.#s.listWebhooks.all().map((row) => ({ gameId: row.game_id, value: row.digest_webhook_url }));
	}

	async setStoredDigestWebhookUrl(gameId: string, value: string): Promise<boolean> {
		return this.#write(() => this.#s.setWebhook.run(value, gameId).changes === 1);
	}

	async setAdminPasswordHash(userId: string, passwordHash: string): Promise<boolean> {
		return this.#write(() => this.#s.setPassword.run(passwordHash, userId).changes === 1);
	}

	async pruneBatches(receivedBefore: number, limit: number): Promise<number> {
		return this.#write(() => this.#s.pruneBatches.run(receivedBefore, limit).changes);
	}

	/** A write under the ingest/warehouse write lock (see write-lock.ts), so it never waits on SQLite's busy sleeps. */
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

/** The prepared statements of {@link SqliteSecurityStore}. */
function prepare(db: BetterSqlite3.Database) {
	const sessionColumns = "id, user_id, csrf_token, created_at, last_seen_at, expires_at, kind";
	const totpColumns = "user_id, secret, confirmed_at, last_step, created_at";
	return {
		setSigningKey: db.prepare<[string, string]>("UPDATE signing_keys SET private_jwk = ? WHERE kid = ?"),
		getThrottle: db.prepare<[string], ThrottleRow>(
			"SELECT account, failures, last_failure_at, locked_until FROM admin_login_throttle WHERE account = ?",
		),
		putThrottle: db.prepare<[ThrottleRow]>(
			`INSERT INTO admin_login_throttle (account, failures, last_failure_at, locked_until)
			VALUES (@account, @failures, @last_failure_at, @locked_until)
			ON CONFLICT (account) DO UPDATE SET failures = excluded.failures,
				last_failure_at = excluded.last_failure_at, locked_until = excluded.locked_until`,
		),
		forgetThrottles: db.prepare<[number, number]>(
			"DELETE FROM admin_login_throttle WHERE last_failure_at < ? AND (locked_until IS NULL OR locked_until < ?)",
		),
		clearThrottle: db.prepare<[string]>("DELETE FROM admin_login_throttle WHERE account = ?"),
		getTotp: db.prepare<[string], TotpRow>(`SELECT ${totpColumns} FROM admin_totp WHERE user_id = ?`),
		listTotp: db.prepare<[], TotpRow>(`SELECT ${totpColumns} FROM admin_totp ORDER BY user_id`),
		putTotp: db.prepare<[TotpRow]>(
			`INSERT INTO admin_totp (${totpColumns}) VALUES (@user_id, @secret, @confirmed_at, @last_step, @created_at)
			ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, confirmed_at = excluded.confirmed_at,
				last_step = excluded.last_step, created_at = excluded.created_at`,
		),
		useStep: db.prepare<[number, number, string, number]>(
			`UPDATE admin_totp SET last_step = ?, confirmed_at = coalesce(confirmed_at, ?)
			WHERE user_id = ? AND last_step < ?`,
		),
		deleteTotp: db.prepare<[string]>("DELETE FROM admin_totp WHERE user_id = ?"),
		setTotpSecret: db.prepare<[string, string]>("UPDATE admin_totp SET secret = ? WHERE user_id = ?"),
		insertTokenSession: db.prepare<[string, string, number, number, number]>(
			`INSERT INTO admin_sessions (id, user_id, csrf_token, created_at, last_seen_at, expires_at, kind)
			VALUES (?, ?, '', ?, ?, ?, 'token')`,
		),
		listSessions: db.prepare<[string, number], SessionRow>(
			`SELECT ${sessionColumns} FROM admin_sessions WHERE user_id = ? AND expires_at > ?
			ORDER BY created_at DESC, id`,
		),
		deleteSession: db.prepare<[string, string]>("DELETE FROM admin_sessions WHERE user_id = ? AND id = ?"),
		deleteSessions: db.prepare<[string, string]>("DELETE FROM admin_sessions WHERE user_id = ? AND id <> ?"),
		listWebhooks: db.prepare<[], { game_id: string; digest_webhook_url: string }>(
			"SELECT game_id, digest_webhook_url FROM game_settings WHERE digest_webhook_url IS NOT NULL ORDER BY game_id",
		),
		setWebhook: db.prepare<[string, string]>(
			"UPDATE game_settings SET digest_webhook_url = ? WHERE game_id = ? AND digest_webhook_url IS NOT NULL",
		),
		setPassword: db.prepare<[string, string]>("UPDATE admin_users SET password_hash = ? WHERE id = ?"),
		pruneBatches: db.prepare<[number, number]>(
			`DELETE FROM batches WHERE (game_id, batch_id) IN (
				SELECT game_id, batch_id FROM batches WHERE received_at < ? ORDER BY received_at LIMIT ?)`,
		),
	};
}
