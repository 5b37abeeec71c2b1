// The security hardening's tables on PostgreSQL: the same rows, orders and single-use rules as
// server/store/sqlite/security-store.ts.
import type pg from "pg";
import type { AdminSessionListing, LoginThrottleRecord, SecurityStore, TotpRecord } from "../../domain/security.js";
import { transaction } from "./pool.js";
import { toLoginThrottle, toSessionListing, toTotp, type SessionRow, type ThrottleRow, type TotpRow } from "../rows.js";

const TOTP_COLUMNS = "user_id, secret, confirmed_at, last_step, created_at";
const SESSION_COLUMNS = "id, user_id, csrf_token, created_at, last_seen_at, expires_at, kind";

export class PostgresSecurityStore implements SecurityStore {
	readonly #pool: pg.Pool;

	constructor(pool: pg.Pool) {
		this.#pool = pool;
	}

	async setSigningKeyPrivateJwk(kid: string, privateJwk: string): Promise<boolean> {
		const { rowCount } = await this.#pool.query("UPDATE signing_keys SET private_jwk = $1 WHERE kid = $2", [
			privateJwk,
			kid,
		]);
		return rowCount === 1;
	}

	async getLoginThrottle(account: string): Promise<LoginThrottleRecord | undefined> {
		const { rows } = await this.#pool.query<ThrottleRow>(
			"SELECT account, failures, last_failure_at, locked_until FROM admin_login_throttle WHERE account = $1",
			[account],
		);
		const row = rows[0];
		return row && toLoginThrottle(row);
	}

	async putLoginThrottle(record: LoginThrottleRecord, forgetBefore: number): Promise<void> {
		// One transaction, retried on deadlock: two logins forgetting the same quiet rows may lock them in any order.
		await transaction(this.#pool, async (client) => {
			await client.query(
				"DELETE FROM admin_login_throttle WHERE last_failure_at < $1 AND (locked_until IS NULL OR locked_until < $1)",
				[forgetBefore],
			);
			await client.query(
				`INSERT INTO admin_login_throttle (account, failures, last_failure_at, locked_until)
				VALUES ($1, $2, $3, $4)
				ON CONFLICT (account) DO UPDATE SET failures = excluded.failures,
					last_failure_at = excluded.last_failure_at, locked_until = excluded.locked_until`,
				[record.account, record.failures, record.lastFailureAt, record.lockedUntil],
			);
		});
	}

	async clearLoginThrottle(account: string): Promise<void> {
		await this.#pool.query("DELETE FROM admin_login_throttle WHERE account = $1", [account]);
	}

	async getTotp(userId: string): Promise<TotpRecord | undefined> {
		const { rows } = await this.#pool.query<TotpRow>(`SELECT ${TOTP_COLUMNS} FROM admin_totp WHERE user_id = $1`, [
			userId,
		]);
		return rows[0] && toTotp(rows[0]);
	}

	async putPendingTotp(record: TotpRecord): Promise<void> {
		await this.#pool.query(
			`INSERT INTO admin_totp (${TOTP_COLUMNS}) VALUES ($1, $2, NULL, $3, $4)
			ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, confirmed_at = excluded.confirmed_at,
				last_step = excluded.last_step, created_at = excluded.created_at`,
			[record.userId, record.secret, record.lastStep, record.createdAt],
		);
	}

	async useTotpStep(userId: string, step: number, at: number): Promise<boolean> {
		// Under READ COMMITTED a second request with the same step waits for the first's row lock, then re-checks
		// `last_step < step` against the committed row and updates nothing: a code is accepted once.
		const { rowCount } = await this.#pool.query(
			`UPDATE admin_totp SET last_step = $1, confirmed_at = coalesce(confirmed_at, $2)
			WHERE user_id = $3 AND last_step < $1`,
			[step, at, userId],
		);
		return rowCount === 1;
	}

	async deleteTotp(userId: string): Promise<boolean> {
		const { rowCount } = await this.#pool.query("DELETE FROM admin_totp WHERE user_id = $1", [userId]);
		return rowCount === 1;
	}

	async listTotp(): Promise<TotpRecord[]> {
		const { rows } = await this.#pool.query<TotpRow>(`SELECT ${TOTP_COLUMNS} FROM admin_totp ORDER BY user_id`);
		return rows.map(toTotp);
	}

	async setTotpSecret(userId: string, secret: string): Promise<boolean> {
		const { rowCount } = await this.#pool.query("UPDATE admin_totp SET secret = $1 WHERE user_id = $2", [
			secret,
			userId,
		]);
		return rowCount === 1;
	}

	async insertTokenSession(session: { id: string; userId: string; createdAt: number; expiresAt: number }) {
		await this.#pool.query(
			`INSERT INTO admin_sessions (id, user_id, csrf_token, created_at, last_seen_at, expires_at, kind)
			VALUES ($1, $2, '', $3, $3, $4, 'token')`,
			[session.id, session.userId, session.createdAt, session.expiresAt],
		);
	}

	async listAdminSessions(userId: string, now: number): Promise<AdminSessionListing[]> {
		const { rows } = await this.#pool.query<SessionRow>(
			`SELECT ${SESSION_COLUMNS} FROM admin_sessions WHERE user_id = $1 AND expires_at > $2
			ORDER BY created_at DESC, id`,
			[userId, now],
		);
		return rows.map(toSessionListing);
	}

	async deleteAdminSessionOfUser(userId: string, id: string): Promise<boolean> {
		const { rowCount } = await this.#pool.query("DELETE FROM admin_sessions WHERE user_id = $1 AND id = $2", [
			userId,
			id,
		]);
		return rowCount === 1;
	}

	async deleteAdminSessionsOfUser(userId: string, exceptId = ""): Promise<number> {
		const { rowCount } = await this.#pool.query("DELETE FROM admin_sessions WHERE user_id = $1 AND id <> $2", [
			userId,
			exceptId,
		]);
		return rowCount ?? 0;
	}

	async listStoredDigestWebhookUrls(): Promise<{ gameId: string; value: string }[]> {
		const { rows } = await this.#pool.query<{ game_id: string; digest_webhook_url: string }>(
			"SELECT game_id, digest_webhook_url FROM game_settings WHERE digest_webhook_url IS NOT NULL ORDER BY game_id",
		);
		return rows.map((row) => ({ gameId: row.game_id, value: row.digest_webhook_url }));
	}

	async setStoredDigestWebhookUrl(gameId: string, value: string): Promise<boolean> {
		const { rowCount } = await this.#pool.query(
			"UPDATE game_settings SET digest_webhook_url = $1 WHERE game_id = $2 AND digest_webhook_url IS NOT NULL",
			[value, gameId],
		);
		return rowCount === 1;
	}

	async setAdminPasswordHash(userId: string, passwordHash: string): Promise<boolean> {
		const { rowCount } = await this.#pool.query("UPDATE admin_users SET password_hash = $1 WHERE id = $2", [
			passwordHash,
			userId,
		]);
		return rowCount === 1;
	}

	/**
	 * Idempotency rows (stored batch answers) are the event store's: on the scale path they live beside the events
	 * in ClickHouse, and composeStore (composed-store.ts) routes `Store.security.pruneBatches` to
	 * `EventStore.pruneBatches`. The metadata half holds no batches, so there is nothing here to prune.
	 */
	async pruneBatches(_receivedBefore: number, _limit: number): Promise<number> {
		return 0;
	}
}
