// The privacy module's metadata on PostgreSQL (tables: privacy-migrations.ts): secrets, the audit log, erasure
// tombstones and jobs, and a player's rows of the metadata half (consent records, forced variations). Same behaviour
// as store/sqlite/privacy-store.ts; what differs is that several backend instances (each with its own pool) write
// at once, so every read-decide-write below is one transaction that locks what it decides on.
import type pg from "pg";
import type { ConsentSealer, ConsentTally } from "../../domain/consent.js";
import type { AuditHead, AuditRow, PlayerData, PrivacyJobRecord } from "../../domain/privacy.js";
import type { AsyncPlayerPseudonyms } from "../../domain/players.js";
import type { EraseRecordsOutcome, PrivacyMetadataStore } from "../contracts.js";
import { transaction } from "./pool.js";
import { fromJob, toAuditRow, toJob, type AuditDbRow, type ConsentRecordDbRow, type JobRow } from "../rows.js";

const AUDIT_COLUMNS = "seq, at, actor, action, game_id, subject, details, prev_hash, hash";
const JOB_COLUMNS =
	"id, kind, source, status, game_ids, user_id, requested_by, created_at, started_at, finished_at, result, error";
const CONSENT_COLUMNS = "game_id, event_id, user_id, time, received_at, policy_version, details";

/** A pseudonym no row holds: what a player unknown to the vault is looked up by (pseudonyms are > 0). */
const NOBODY = -1;

/**
 * The vault this store maps players with. With `loadKeys` (the PostgreSQL vault), an erasure loads the player's key
 * before reading their records' tallies with a sealer's sync `tallyOf`.
 */
export type PrivacyVault = AsyncPlayerPseudonyms & {
	loadKeys?(gameId: string, userIds: readonly number[]): Promise<void>;
};

/**
 * @example
 * const privacy = new PostgresPrivacyMetadataStore(pool, vault);
 * await recordAudit({ privacy }, { action: "player.exported", actor: "admin:u1", gameId, userId }, Date.now());
 */
export class PostgresPrivacyMetadataStore implements PrivacyMetadataStore {
	readonly #pool: pg.Pool;
	/** Player rows hold pseudonyms: this store is asked by UserId and answers with UserIds. */
	readonly #players: PrivacyVault;
	/** Where secrets live when the vault keeps none (see {@link secret}). */
	#secretsTable: Promise<"vault_secrets" | "privacy_secrets"> | undefined;

	constructor(pool: pg.Pool, players: PrivacyVault) {
		this.#pool = pool;
		this.#players = players;
	}

	/**
	 * The secret called `name`, created on first use (the first instance to insert it wins):
	 * 1. a vault that keeps secrets keeps it (beside the pseudonyms, out of the metadata tables);
	 * 2. else, when the player vault's tables are in this database (its default place), its vault_secrets table: a
	 *    process opened without the vault (a CLI command) derives the same audit subjects as the servers;
	 * 3. else privacy_secrets.
	 */
	async secret(name: string, create: () => string): Promise<string> {
		if (this.#players.secret) return await this.#players.secret(name, create);
		this.#secretsTable ??= this.#pool
			.query<{ vault: boolean }>("SELECT to_regclass('vault_secrets') IS NOT NULL AS vault")
			.then(({ rows }) => (rows[0]?.vault ? "vault_secrets" : "privacy_secrets"));
		// A failed look-up is not kept: the next call asks again.
		const table = await this.#secretsTable.catch((error: unknown) => {
			this.#secretsTable = undefined;
			throw error;
		});
		const select = async () =>
			(await this.#pool.query<{ value: string }>(`SELECT value FROM ${table} WHERE name = $1`, [name])).rows[0]?.value;
		const existing = await select();
		if (existing !== undefined) return existing;
		// Instances may race to create it: the first insert wins and every one reads the winner back.
		await this.#pool.query(
			`INSERT INTO ${table} (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING`,
			[name, create(), Date.now()],
		);
		const stored = await select();
		if (stored === undefined) throw new Error(`The secret "${name}" vanished as it was created.`);
		return stored;
	}

	/**
	 * Locks the head row (FOR UPDATE) first: appenders of every instance queue on it, so each builds on the head the
	 * previous one committed, and seq stays 1, 2, 3 … with no gap and no duplicate. The head moves in the same
	 * transaction as the insert.
	 */
	async appendAudit(build: (head: AuditHead | null) => AuditRow): Promise<AuditRow> {
		return await transaction(this.#pool, async (client) => {
			let locked = await lockHead(client);
			if (!locked) {
				// The row is created by the migration; deleted (by hand), it is recreated empty and the append then
				// collides with the rows already there, as on SQLite.
				await client.query("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, NULL) ON CONFLICT (id) DO NOTHING");
				locked = await lockHead(client);
			}
			const head = locked && locked.seq > 0 ? { seq: locked.seq, hash: locked.hash! } : null;
			const row = build(head);
			if (row.seq !== (head?.seq ?? 0) + 1) throw new Error(`audit seq ${row.seq} does not follow ${head?.seq ?? 0}`);
			await client.query(`INSERT INTO audit_log (${AUDIT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [
				row.seq,
				row.at,
				row.actor,
				row.action,
				row.gameId,
				row.subject,
				row.details,
				row.prevHash,
				row.hash,
			]);
			await client.query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1", [row.seq, row.hash]);
			return row;
		});
	}

	async listAudit(afterSeq: number, limit: number): Promise<AuditRow[]> {
		const { rows } = await this.#pool.query<AuditDbRow>(
			`SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2`,
			[afterSeq, limit],
		);
		return rows.map(toAuditRow);
	}

	async auditHead(): Promise<AuditHead | null> {
		const { rows } = await this.#pool.query<{ seq: number; hash: string | null }>(
			"SELECT seq, hash FROM audit_head WHERE id = 1",
		);
		const head = rows[0];
		// seq 0 is the row the migration creates: nothing appended yet.
		return head && head.seq > 0 && head.hash !== null ? { seq: head.seq, hash: head.hash } : null;
	}

	async addTombstone(gameId: string, subject: string, at: number): Promise<void> {
		await this.#pool.query(
			"INSERT INTO erasure_tombstones (game_id, subject, erased_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
			[gameId, subject, at],
		);
	}

	async tombstones(gameId: string): Promise<string[]> {
		const { rows } = await this.#pool.query<{ subject: string }>(
			"SELECT subject FROM erasure_tombstones WHERE game_id = $1",
			[gameId],
		);
		return rows.map((row) => row.subject);
	}

	/**
	 * With a notificationId, its row is written first (the job reference is checked at commit): an instance handling
	 * a retry of the same webhook at the same moment waits on that row, then finds it taken and returns the first
	 * request's job.
	 */
	async createJob(
		job: PrivacyJobRecord,
		userId: number,
		notificationId?: string,
	): Promise<{ job: PrivacyJobRecord; created: boolean }> {
		return await transaction(this.#pool, async (client) => {
			if (notificationId !== undefined) {
				const claimed = await client.query(
					`INSERT INTO roblox_notifications (notification_id, job_id, received_at) VALUES ($1, $2, $3)
					ON CONFLICT (notification_id) DO NOTHING`,
					[notificationId, job.id, job.createdAt],
				);
				if (claimed.rowCount === 0) {
					const { rows } = await client.query<JobRow>(
						`SELECT ${JOB_COLUMNS} FROM privacy_jobs
						WHERE id = (SELECT job_id FROM roblox_notifications WHERE notification_id = $1)`,
						[notificationId],
					);
					if (!rows[0]) throw new Error(`Notification ${notificationId} names a job that does not exist.`);
					return { job: toJob(rows[0]), created: false };
				}
			}
			const row = fromJob(job);
			await client.query(
				`INSERT INTO privacy_jobs (${JOB_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
				[
					row.id,
					row.kind,
					row.source,
					row.status,
					row.game_ids,
					userId,
					row.requested_by,
					row.created_at,
					row.started_at,
					row.finished_at,
					row.result,
					row.error,
				],
			);
			return { job, created: true };
		});
	}

	async getJob(id: string): Promise<PrivacyJobRecord | undefined> {
		const { rows } = await this.#pool.query<JobRow>(`SELECT ${JOB_COLUMNS} FROM privacy_jobs WHERE id = $1`, [id]);
		return rows[0] && toJob(rows[0]);
	}

	async unfinishedJobs(): Promise<{ job: PrivacyJobRecord; userId: number }[]> {
		const { rows } = await this.#pool.query<JobRow>(
			`SELECT ${JOB_COLUMNS} FROM privacy_jobs WHERE status IN ('pending', 'running', 'failed')
			ORDER BY created_at, id`,
		);
		return rows.filter((row) => row.user_id !== null).map((row) => ({ job: toJob(row), userId: row.user_id! }));
	}

	async updateJob(
		id: string,
		changes: Pick<PrivacyJobRecord, "status"> &
			Partial<Pick<PrivacyJobRecord, "startedAt" | "finishedAt" | "result" | "error">>,
	): Promise<void> {
		await this.#pool.query(
			`UPDATE privacy_jobs SET status = $2,
				started_at = coalesce($3, started_at), finished_at = coalesce($4, finished_at),
				result = coalesce($5, result), error = $6,
				user_id = CASE WHEN $2 = 'completed' THEN NULL ELSE user_id END
			WHERE id = $1`,
			[
				id,
				changes.status,
				changes.startedAt ?? null,
				changes.finishedAt ?? null,
				changes.result === undefined || changes.result === null ? null : JSON.stringify(changes.result),
				changes.error ?? null,
			],
		);
	}

	/** The player's consent records (as `consent_records`, their UserId in place of the pseudonym) and forced variations. */
	async playerRecords(gameId: string, userId: number): Promise<Omit<PlayerData, "events">> {
		const pseudonym = (await this.#players.pseudonymOf(gameId, userId)) ?? NOBODY;
		// One snapshot for both reads, as SQLite's one read transaction.
		return await transaction(
			this.#pool,
			async (client) => {
				const { rows } = await client.query<ConsentRecordDbRow>(
					`SELECT ${CONSENT_COLUMNS} FROM consent_records WHERE game_id = $1 AND user_id = $2 ORDER BY time, event_id`,
					[gameId, pseudonym],
				);
				const forced = await experimentDefinitions(client, gameId, false);
				const forcedVariations: Record<string, string> = {};
				for (const row of forced) {
					const variation = row.forced[String(userId)];
					if (variation !== undefined) forcedVariations[row.key] = variation;
				}
				// Predictions about the player (their rank and score in a ranking) are part of what is held on them.
				const ranked = await client.query<Record<string, unknown>>(
					`SELECT list, rank, score, details FROM prediction_players WHERE game_id = $1 AND user_id = $2
					ORDER BY list, rank`,
					[gameId, pseudonym],
				);
				return {
					records: {
						consent_records: rows.map((row) => ({ ...row, user_id: userId })),
						...(ranked.rows.length > 0
							? { prediction_players: ranked.rows.map((row) => ({ ...row, game_id: gameId, user_id: userId })) }
							: {}),
					},
					forcedVariations,
				};
			},
			{ isolation: "repeatable read" },
		);
	}

	/**
	 * One transaction:
	 * 1. the player's consent records are locked (FOR UPDATE; a concurrent erasure of the same player waits, then
	 *    finds them gone: idempotent);
	 * 2. each record readable with the player's key (tallyOf) is taken out of its tally; tallies left at zero go, as
	 *    a fresh count would never write them; a record whose key is gone stays counted;
	 * 3. the records are deleted;
	 * 4. experiments forcing the player (QA, named by UserId) lose that entry, with a new revision.
	 */
	async erasePlayerRecords(
		gameId: string,
		userId: number,
		at: number,
		tallyOf?: ConsentSealer["tallyOf"],
	): Promise<EraseRecordsOutcome> {
		const pseudonym = (await this.#players.pseudonymOf(gameId, userId)) ?? NOBODY;
		if (tallyOf && pseudonym !== NOBODY) await this.#players.loadKeys?.(gameId, [userId]);
		return await transaction(this.#pool, async (client) => {
			const { rows } = await client.query<{ event_id: string; policy_version: string; details: Buffer }>(
				`SELECT event_id, policy_version, details FROM consent_records WHERE game_id = $1 AND user_id = $2
				ORDER BY event_id FOR UPDATE`,
				[gameId, pseudonym],
			);
			if (tallyOf && rows.length > 0) {
				const decrements = new Map<string, { policyVersion: string; tally: ConsentTally; n: number }>();
				for (const row of rows) {
					const tally = tallyOf({ gameId, userId, eventId: row.event_id, details: row.details });
					if (!tally) continue;
					const key = JSON.stringify([
						row.policy_version,
						tally.source,
						tally.analytics,
						tally.experiments,
						tally.personalization,
					]);
					const entry = decrements.get(key);
					if (entry) entry.n++;
					else decrements.set(key, { policyVersion: row.policy_version, tally, n: 1 });
				}
				for (const key of [...decrements.keys()].sort()) {
					const { policyVersion, tally, n } = decrements.get(key)!;
					await client.query(
						`UPDATE consent_tallies SET records = records - $7 WHERE game_id = $1 AND policy_version = $2
						AND source = $3 AND analytics = $4 AND experiments = $5 AND personalization = $6`,
						[gameId, policyVersion, tally.source, tally.analytics, tally.experiments, tally.personalization, n],
					);
				}
				await client.query("DELETE FROM consent_tallies WHERE game_id = $1 AND records <= 0", [gameId]);
			}
			const deleted: Record<string, number> = {};
			if (rows.length > 0) {
				const { rowCount } = await client.query("DELETE FROM consent_records WHERE game_id = $1 AND user_id = $2", [
					gameId,
					pseudonym,
				]);
				if (rowCount) deleted.consent_records = rowCount;
			}
			// The player's places in the prediction rankings (keyed by their pseudonym, like their consent records).
			const ranked = await client.query("DELETE FROM prediction_players WHERE game_id = $1 AND user_id = $2", [
				gameId,
				pseudonym,
			]);
			if (ranked.rowCount) deleted.prediction_players = ranked.rowCount;
			// The player's head in the batch ledger (the largest event id stored for them; a player without one is looked
			// up in the event store, so this only ever costs a lookup).
			const head = await client.query("DELETE FROM player_heads WHERE game_id = $1 AND player = $2", [
				gameId,
				pseudonym,
			]);
			if (head.rowCount) deleted.player_heads = head.rowCount;
			const experimentsUpdated: string[] = [];
			for (const row of await experimentDefinitions(client, gameId, true)) {
				if (!(String(userId) in row.forced)) continue;
				delete row.forced[String(userId)];
				await client.query(
					"UPDATE experiments SET definition = $1, revision = revision + 1, updated_at = $2 WHERE game_id = $3 AND key = $4",
					[JSON.stringify(row.definition), at, gameId, row.key],
				);
				experimentsUpdated.push(row.key);
			}
			return { deleted, experimentsUpdated };
		});
	}
}

async function lockHead(client: pg.PoolClient): Promise<{ seq: number; hash: string | null } | undefined> {
	const { rows } = await client.query<{ seq: number; hash: string | null }>(
		"SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE",
	);
	return rows[0];
}

/**
 * A game's experiments with their definitions parsed (the metadata core keeps them as JSON text), locked when they
 * are about to be rewritten.
 */
async function experimentDefinitions(
	client: pg.PoolClient,
	gameId: string,
	forUpdate: boolean,
): Promise<{ key: string; definition: Record<string, unknown>; forced: Record<string, string> }[]> {
	const { rows } = await client.query<{ key: string; definition: string }>(
		`SELECT key, definition FROM experiments WHERE game_id = $1 ORDER BY key${forUpdate ? " FOR UPDATE" : ""}`,
		[gameId],
	);
	return rows.map((row) => {
		const definition = JSON.parse(row.definition) as Record<string, unknown>;
		const forced = (definition.forcedVariations ?? {}) as Record<string, string>;
		definition.forcedVariations = forced;
		return { key: row.key, definition, forced };
	});
}
