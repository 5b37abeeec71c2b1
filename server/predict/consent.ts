// Which players' data the predictive models may use, per consent category, decided by the backend from the consent
// records rather than trusted to the SDK's gate alone: a player who withdrew a category after their events were stored
// still has those events, and the models must leave them out from the next run on (and the rankings at once).
//
// - analytics: the churn, purchase and LTV models (training rows, scores) and the player rankings they serve;
// - personalization: the co-purchase recommendation model's training baskets (what the SDK serves to personalize).
//
// A player's choice is their latest readable consent record, as the consent API shows it (`state` of
// loadedPlayerConsent): an answer keeps applying until the player answers again, also after a new policy version.
import type { ConsentRecordRow } from "../domain/consent.js";
import { openConsentRecord, type ConsentKeys } from "../privacy/consent-records.js";
import type { ConsentCategory } from "../privacy/consent.js";
import type { Store } from "../store/types.js";

/** What one player allows, per category. */
export type ConsentChoices = Readonly<Record<ConsentCategory, boolean>>;

const NONE: ConsentChoices = { analytics: false, experiments: false, personalization: false };
const ALL: ConsentChoices = { analytics: true, experiments: true, personalization: true };

/** Players per consent read (a bounded IN list per query, and keys loaded per chunk stay within the vault's cache). */
const CHUNK = 1000;

/**
 * What a player without any consent record allows: everything, as the SDK applied it to them. A player's events reach
 * the store only through the SDK's consent gate (src/server/consent/rules.ts `decide`): in a game that does not turn
 * the consent prompt on (`Vantage.start`'s `consent` option) everything is tracked and no record is ever made; where
 * opt-out applies, everything is tracked until the player refuses, and a refusal is a record; where opt-in applies
 * (the EEA, the UK and Switzerland always, everywhere under the game's "opt-in" default) nothing is sent until the
 * player grants, and a grant is a record. So stored events without a record were allowed, whatever the setting.
 */
export const NO_RECORD: ConsentChoices = ALL;

/**
 * A player's choices from their latest record opened with their key: undefined when the key is gone (an erasure
 * shredded it) or there are no keys to open it with, which allows nothing.
 */
function choicesOf(keys: ConsentKeys | undefined, row: ConsentRecordRow): ConsentChoices | undefined {
	if (!keys) return undefined;
	return openConsentRecord(keys, row, new Set()).choices ?? undefined;
}

/**
 * What each of these players allows, in three steps:
 * 1. a player with a consent record: the choices of their latest record (nothing when it cannot be opened: the
 *    player's key was shredded, or the server has no keys to open it with);
 * 2. a player without one: everything ({@link NO_RECORD}: the SDK's gate let their events through);
 * 3. userId 0 (a server's own events) is no player: it is not in the answer.
 *
 * @example
 * const consent = await playerChoices({ store, keys: playerKeys }, "g1", [101, 102]);
 * consent.get(101)?.analytics; // false once 101 withdrew analytics
 */
export async function playerChoices(
	deps: { store: Pick<Store, "consent">; keys?: ConsentKeys | undefined },
	gameId: string,
	userIds: Iterable<number>,
): Promise<Map<number, ConsentChoices>> {
	const players = [...new Set(userIds)].filter((userId) => userId > 0);
	const out = new Map<number, ConsentChoices>();
	if (players.length === 0) return out;
	for (let start = 0; start < players.length; start += CHUNK) {
		const chunk = players.slice(start, start + CHUNK);
		const latest = await deps.store.consent.latestRecords(gameId, chunk);
		// Loaded just before opening: a key shredded by another instance since is gone here too.
		if (latest.length > 0) {
			await deps.keys?.loadKeys?.(
				gameId,
				latest.map((row) => row.userId),
			);
		}
		for (const row of latest) out.set(row.userId, choicesOf(deps.keys, row) ?? NONE);
		for (const userId of chunk) if (!out.has(userId)) out.set(userId, NO_RECORD);
	}
	return out;
}
