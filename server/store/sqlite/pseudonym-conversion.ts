// The one-time conversion of a vantage.db written before pseudonymous player ids (migration 11): every UserId in a
// player column becomes the player's pseudonym from the vault (server/privacy/pseudonyms.ts), in one transaction.
import type BetterSqlite3 from "better-sqlite3";
import type { Logger } from "../../logger.js";
import type { PlayerPseudonyms } from "../../domain/players.js";

/**
 * Tables whose user_id is not a player of the table's game: an erasure job's row keeps the UserId it erases until it
 * completes (the job needs it to resume), and is cleared then.
 */
const NOT_PLAYER_IDS = new Set(["privacy_jobs"]);

/** The privacy module's pseudonym key (server/privacy/subject.ts), moved into the vault by the conversion. */
export const SUBJECT_SECRET = "player-subject-key";

export interface ConversionOutcome {
	/** Players given a pseudonym, over all games. */
	players: number;
	/** Rows rewritten, by table. */
	rows: Record<string, number>;
	/** Whether the subject key moved from vantage.db into the vault. */
	movedSubjectKey: boolean;
	ms: number;
}

/**
 * Every table holding a player of a game: a game_id column and an INTEGER user_id column (found in the schema, so a
 * table added later is covered without being listed here).
 */
export function playerIdTables(db: BetterSqlite3.Database): string[] {
	const tables = db
		.prepare<[], { name: string }>(
			"SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
		)
		.all()
		.map((row) => row.name);
	return tables.filter((table) => {
		if (NOT_PLAYER_IDS.has(table)) return false;
		const columns = db
			.prepare<[string], { name: string; type: string }>("SELECT name, type FROM pragma_table_info(?)")
			.all(table);
		return (
			columns.some((c) => c.name === "game_id") &&
			columns.some((c) => c.name === "user_id" && c.type.toUpperCase() === "INTEGER")
		);
	});
}

/**
 * Whether the database's player ids are pseudonyms (migration 11's state row); undefined for a database migrated by
 * another list than this build's (tests of older schemas), which has no state row.
 */
export function playerIdsConverted(db: BetterSqlite3.Database): boolean | undefined {
	const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'player_id_state'").get();
	if (!table) return undefined;
	const row = db.prepare<[], { pseudonymous: number }>("SELECT pseudonymous FROM player_id_state WHERE id = 1").get();
	return row?.pseudonymous === 1;
}

/**
 * Converts the database's player ids to pseudonyms, once:
 * 1. already pseudonymous (a new database, or converted before) → nothing, returns undefined;
 * 2. else, holding the write lock of vantage.db: every (game, UserId > 0) of every player table gets its pseudonym
 *    from the vault (committed there first, so a crash before step 3 commits leaves only unused vault rows, and the
 *    next start reuses them); pseudonyms are drawn apart from the game's UserIds, so no rewritten row can clash with
 *    one not rewritten yet;
 * 3. every player column is rewritten through a temporary map, the subject key moves into the vault, and the state
 *    row says pseudonymous, all in the same transaction. userId 0 (no player) stays 0.
 *
 * @example
 * convertToPseudonyms(db, keyring, { now: Date.now(), logger });
 */
export function convertToPseudonyms(
	db: BetterSqlite3.Database,
	players: PlayerPseudonyms,
	options: { now: number; logger?: Logger | undefined },
): ConversionOutcome | undefined {
	const pending = () => playerIdsConverted(db) === false;
	if (!pending()) return undefined;
	const started = performance.now();
	const outcome = db
		.transaction((): ConversionOutcome | undefined => {
			// Another process may have converted while this one waited for the lock.
			if (!pending()) return undefined;
			const tables = playerIdTables(db);
			const byGame = new Map<string, Set<number>>();
			for (const table of tables) {
				const rows = db
					.prepare<[], { game_id: string; user_id: number }>(
						`SELECT DISTINCT game_id, user_id FROM "${table}" WHERE user_id > 0`,
					)
					.all();
				for (const row of rows) {
					let ids = byGame.get(row.game_id);
					if (!ids) byGame.set(row.game_id, (ids = new Set()));
					ids.add(row.user_id);
				}
			}
			db.exec(`CREATE TEMP TABLE player_id_map (
				game_id TEXT NOT NULL,
				user_id INTEGER NOT NULL,
				pseudonym INTEGER NOT NULL,
				PRIMARY KEY (game_id, user_id)
			) STRICT, WITHOUT ROWID`);
			try {
				const insert = db.prepare<[string, number, number]>("INSERT INTO temp.player_id_map VALUES (?, ?, ?)");
				let count = 0;
				for (const [gameId, ids] of byGame) {
					const map = players.pseudonymize(gameId, ids, options.now, (pseudonym) => ids.has(pseudonym));
					for (const [userId, pseudonym] of map) insert.run(gameId, userId, pseudonym);
					count += map.size;
				}
				const rows: Record<string, number> = {};
				for (const table of tables) {
					// An append-only table (consent records) refuses updates by trigger: this one rewrite of the player
					// column is the exception, so its update triggers step aside inside this transaction.
					const triggers = db
						.prepare<[string], { name: string; sql: string }>(
							"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? AND sql LIKE '%UPDATE%'",
						)
						.all(table);
					for (const trigger of triggers) db.exec(`DROP TRIGGER "${trigger.name}"`);
					const { changes } = db
						.prepare(
							`UPDATE "${table}" AS t SET user_id = m.pseudonym FROM temp.player_id_map AS m
							WHERE m.game_id = t.game_id AND m.user_id = t.user_id`,
						)
						.run();
					for (const trigger of triggers) db.exec(trigger.sql);
					if (changes > 0) rows[table] = changes;
				}
				const movedSubjectKey = moveSubjectKey(db, players);
				db.prepare("UPDATE player_id_state SET pseudonymous = 1, converted_at = ? WHERE id = 1").run(options.now);
				return { players: count, rows, movedSubjectKey, ms: 0 };
			} finally {
				db.exec("DROP TABLE temp.player_id_map");
			}
		})
		.immediate();
	if (!outcome) return undefined;
	outcome.ms = Math.round(performance.now() - started);
	options.logger?.info("player ids in vantage.db replaced by pseudonyms (one-time conversion)", { ...outcome });
	return outcome;
}

/**
 * The pseudonym key of the audit log and the tombstones goes to the vault: beside the subjects it would let a copy of
 * vantage.db test guessed UserIds against them. The vault keeps the key it already has, if any.
 */
function moveSubjectKey(db: BetterSqlite3.Database, players: PlayerPseudonyms): boolean {
	if (!players.secret) return false;
	const row = db
		.prepare<[string], { value: string }>("SELECT value FROM privacy_secrets WHERE name = ?")
		.get(SUBJECT_SECRET);
	if (!row) return false;
	if (players.secret(SUBJECT_SECRET, () => row.value) !== row.value) {
		throw new Error(
			"player-keys.db holds another pseudonym key than vantage.db: the two files are not from the same data directory.",
		);
	}
	db.prepare("DELETE FROM privacy_secrets WHERE name = ?").run(SUBJECT_SECRET);
	return true;
}
