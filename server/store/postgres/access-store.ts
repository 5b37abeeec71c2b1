// Per-game grants on PostgreSQL: the same rows and orders as server/store/sqlite/access-store.ts.
import type pg from "pg";
import type { AccessStore, GameGrant } from "../../domain/access.js";
import type { AdminRole } from "../../domain/roles.js";

interface GrantRow {
	user_id: string;
	game_id: string;
	role: string;
	granted_at: number;
}

const COLUMNS = "user_id, game_id, role, granted_at";

export class PostgresAccessStore implements AccessStore {
	readonly #pool: pg.Pool;

	constructor(pool: pg.Pool) {
		this.#pool = pool;
	}

	async listUserGrants(userId: string): Promise<GameGrant[]> {
		const { rows } = await this.#pool.query<GrantRow>(
			`SELECT ${COLUMNS} FROM game_grants WHERE user_id = $1 ORDER BY game_id`,
			[userId],
		);
		return rows.map(toGrant);
	}

	async listGameGrants(gameId: string): Promise<GameGrant[]> {
		const { rows } = await this.#pool.query<GrantRow>(
			`SELECT ${COLUMNS} FROM game_grants WHERE game_id = $1 ORDER BY user_id`,
			[gameId],
		);
		return rows.map(toGrant);
	}

	async putGrant(grant: GameGrant): Promise<void> {
		await this.#pool.query(
			`INSERT INTO game_grants (${COLUMNS}) VALUES ($1, $2, $3, $4)
			ON CONFLICT (user_id, game_id) DO UPDATE SET role = excluded.role, granted_at = excluded.granted_at`,
			[grant.userId, grant.gameId, grant.role, grant.grantedAt],
		);
	}

	async deleteGrant(userId: string, gameId: string): Promise<boolean> {
		const { rowCount } = await this.#pool.query("DELETE FROM game_grants WHERE user_id = $1 AND game_id = $2", [
			userId,
			gameId,
		]);
		return rowCount === 1;
	}
}

function toGrant(row: GrantRow): GameGrant {
	// The column has a CHECK constraint on the role names.
	return { userId: row.user_id, gameId: row.game_id, role: row.role as AdminRole, grantedAt: row.granted_at };
}
