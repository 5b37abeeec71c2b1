// Players as the stores see them: pseudonyms, mapped to and from Roblox UserIds by a player vault (see
// server/privacy/pseudonyms.ts for why). Pure: the vaults themselves live in server/privacy and the engines.

/**
 * The map between a game's UserIds and their pseudonyms (implemented by the player keyring). userId 0 (server-level
 * events, no player) is its own pseudonym.
 */
export interface PlayerPseudonyms {
	/**
	 * The pseudonyms of these players, creating (and committing) the vault row of any player seen for the first time.
	 * `avoid` rejects candidate pseudonyms (the one-time conversion keeps them apart from the UserIds it replaces).
	 */
	pseudonymize(
		gameId: string,
		userIds: Iterable<number>,
		now: number,
		avoid?: (pseudonym: number) => boolean,
	): ReadonlyMap<number, number>;
	/** The player's pseudonym, or undefined when the vault holds none (never seen, or erased). */
	pseudonymOf(gameId: string, userId: number): number | undefined;
	/** The UserId behind a pseudonym, or undefined once the player was erased. */
	userIdOf(gameId: string, pseudonym: number): number | undefined;
	/** A secret kept beside the pseudonyms (not in vantage.db), created on first use. @default none */
	secret?(name: string, create: () => string): string;
}

/**
 * {@link PlayerPseudonyms} of a vault that may answer later: a vault in a database server (PostgreSQL, shared by every
 * backend instance: store/postgres/player-vault.ts) returns Promises, the SQLite keyring answers at once and
 * satisfies this type as it is. Callers await every answer. The same guarantees hold: `pseudonymize` has committed
 * the new vault rows before it resolves, so no store holds a pseudonym the vault does not.
 *
 * @example
 * const players: AsyncPlayerPseudonyms = vault; // or a PlayerKeyring
 * const ids = await players.pseudonymize("g1", [0, 123456], Date.now()); // Map { 0 → 0, 123456 → 8312… }
 * const userId = await players.userIdOf("g1", ids.get(123456)!); // 123456
 */
export interface AsyncPlayerPseudonyms {
	/** As {@link PlayerPseudonyms.pseudonymize}; the vault rows of new players are committed before it resolves. */
	pseudonymize(
		gameId: string,
		userIds: Iterable<number>,
		now: number,
		avoid?: (pseudonym: number) => boolean,
	): ReadonlyMap<number, number> | Promise<ReadonlyMap<number, number>>;
	/** As {@link PlayerPseudonyms.pseudonymOf}. */
	pseudonymOf(gameId: string, userId: number): number | undefined | Promise<number | undefined>;
	/** As {@link PlayerPseudonyms.userIdOf}. */
	userIdOf(gameId: string, pseudonym: number): number | undefined | Promise<number | undefined>;
	/** As {@link PlayerPseudonyms.secret}: the first writer wins, every instance reads the same value. @default none */
	secret?(name: string, create: () => string): string | Promise<string>;
}

/** Thrown when player ids must be mapped by a store opened without the player vault. */
export class NoPlayerVaultError extends Error {
	override readonly name = "NoPlayerVaultError";
}

/**
 * The pseudonyms of a store opened without the player vault (a CLI command, a test of something else): it can store
 * and read server-level events (userId 0) but refuses every player id rather than store a UserId in clear or show a
 * pseudonym as one.
 */
export const NO_PLAYER_VAULT: PlayerPseudonyms = {
	pseudonymize(gameId, userIds) {
		const out = new Map<number, number>();
		for (const userId of userIds) {
			if (userId !== 0) throw noVault(gameId);
			out.set(0, 0);
		}
		return out;
	},
	pseudonymOf(gameId, userId) {
		if (userId !== 0) throw noVault(gameId);
		return 0;
	},
	userIdOf(gameId, pseudonym) {
		if (pseudonym !== 0) throw noVault(gameId);
		return 0;
	},
};

function noVault(gameId: string): NoPlayerVaultError {
	return new NoPlayerVaultError(
		`The store was opened without the player vault (player-keys.db): it cannot map the players of game "${gameId}".`,
	);
}
