// Per-game grants of admin users as plain data, and their persistence contract (server/store implements it; the
// rules that read grants live in server/auth/access.ts).
import type { AdminRole } from "./roles.js";

/** One user's role on one game. */
export interface GameGrant {
	userId: string;
	gameId: string;
	role: AdminRole;
	/** Unix ms of the grant (or of its last role change). */
	grantedAt: number;
}

/** A caller's access: instance admin, and their role on each game granted to them. */
export interface CallerAccess {
	admin: boolean;
	/** Game id → role. */
	grants: ReadonlyMap<string, AdminRole>;
}

/** Grants and their queries; implemented by each metadata engine (server/store/sqlite/access-store.ts). */
export interface AccessStore {
	/** The user's grants, by game id. */
	listUserGrants(userId: string): Promise<GameGrant[]>;
	/** The grants on a game (its members), by user id. */
	listGameGrants(gameId: string): Promise<GameGrant[]>;
	/** Grants `role` on the game, replacing the user's previous role there; the user and the game must exist. */
	putGrant(grant: GameGrant): Promise<void>;
	/** Removes the user's grant on the game; false if they had none. */
	deleteGrant(userId: string, gameId: string): Promise<boolean>;
}
