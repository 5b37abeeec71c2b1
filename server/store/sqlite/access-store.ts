// Per-game grants on SQLite (version 13, access-migration.ts). Grants are metadata: they never touch events, so
// they are written on the store's connection without the ingest write lock.
import type BetterSqlite3 from "better-sqlite3";
import type { AccessStore, GameGrant } from "../../domain/access.js";
import type { AdminRole } from "../../domain/roles.js";

interface GrantRow {
	user_id: string;
	game_id: string;
	role: string;
	granted_at: number;
}

export class SqliteAccessStore implements AccessStore {
	readonly #byUser;
	readonly #byGame;
	readonly #put;
	readonly #delete;

	constructor(db: BetterSqlite3.Database) {
		const columns = "user_id, game_id, role, granted_at";
		this.#byUser = db.prepare<[string], GrantRow>(
			`SELECT ${columns} FROM game_grants WHERE user_id = ? ORDER BY game_id`,
		);
		this.#byGame = db.prepare<[string], GrantRow>(
			`SELECT ${columns} FROM game_grants WHERE game_id = ? ORDER BY user_id`,
		);
		this.#put = db.prepare<[GrantRow]>(
			`INSERT INTO game_grants (${columns}) VALUES (@user_id, @game_id, @role, @granted_at)
			ON CONFLICT (user_id, game_id) DO UPDATE SET role = excluded.role, granted_at = excluded.granted_at`,
		);
		this.#delete = db.prepare<[string, string]>("DELETE FROM game_grants WHERE user_id = ? AND game_id = ?");
	}

	async listUserGrants(userId: string): Promise<GameGrant[]> {
		return this.#byUser.all(userId).map(toGrant);
	}

	async listGameGrants(gameId: string): Promise<GameGrant[]> {
		return this.#byGame.all(gameId).map(toGrant);
	}

	async putGrant(grant: GameGrant): Promise<void> {
		this.#put.run({ user_id: grant.userId, game_id: grant.gameId, role: grant.role, granted_at: grant.grantedAt });
	}

	async deleteGrant(userId: string, gameId: string): Promise<boolean> {
		return this.#delete.run(userId, gameId).changes === 1;
	}
}

function toGrant(row: GrantRow): GameGrant {
	// The column has a CHECK constraint on the role names.
	return { userId: row.user_id, gameId: row.game_id, role: row.role as AdminRole, grantedAt: row.granted_at };
}
