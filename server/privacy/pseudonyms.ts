// Pseudonymous player ids. vantage.db (raw events, rollups, consent records) never holds a Roblox UserId of a player's
// data: each player of a game gets a random pseudonym on first sight, kept with their data key in their vault row of
// player-keys.db (player-keys.ts). The store maps UserId → pseudonym on the way in (ingest, a lookup by UserId) and
// pseudonym → UserId on the way out (events, exports, a player's records), so every API speaks UserIds while the
// rollups group by the pseudonym exactly as they grouped by the UserId. Erasure deletes the vault row: a pseudonym in
// any copy of vantage.db then names nobody.

// The vault contract and the vault-less stand-in are plain code in server/domain/players.ts (the stores use them
// without this module); re-exported here for the privacy module's code.
export { NO_PLAYER_VAULT, NoPlayerVaultError } from "../domain/players.js";
export type { AsyncPlayerPseudonyms, PlayerPseudonyms } from "../domain/players.js";
