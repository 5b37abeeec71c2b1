// Pseudonymous player ids. vantage.db (raw events, rollups, consent records) never holds a Roblox UserId of a player's
// data: each player of a game gets a random pseudonym on first sight, kept with their data key in their vault row of
// player-keys.db (player-keys.ts). The store maps UserId → pseudonym on the way in (ingest, a lookup by UserId) and
// pseudonym → UserId on the way out (events, exports, a player's records), so every API speaks UserIds while the
// rollups group by the pseudonym exactly as they grouped by the UserId. Erasure deletes the vault row: a pseudonym in
// any copy of vantage.db then names nobody.

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
