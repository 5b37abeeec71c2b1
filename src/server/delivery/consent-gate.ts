// The consent gate: the stage of the data flow between track() and enrich (track → consent gate → enrich → queue →
// batcher). Tracking asks the gate when it records an event, before the record exists, so an event the gate refuses
// is never built, queued, spilled or sent. Asking at record time (not when the worker builds records, up to
// `flushSeconds` later) makes a decision apply from the moment it is taken: a withdrawal stops tracking at once, and
// an event recorded while refused is not sent after a later grant.
//
// The consent module (player answers, regions, the stored policy version) implements ConsentGate and is handed to
// Tracking (`TrackingDeps.consent`); until then the game-default policy below applies.
import { EventType } from "../../shared/protocol";

/**
 * What a player can consent to, each on its own:
 * - `analytics`: gameplay and session events (`track`, progression, economy, purchases, funnels, errors, sessions);
 * - `experiments`: exposure events, which record the variation a player was shown;
 * - `personalization`: using what is known about a player (attributes, country, first visit) to choose what they see.
 */
export type ConsentCategory = "analytics" | "experiments" | "personalization";

/**
 * Decides, per player and category, whether an event may be recorded (and so, later, leave the server).
 * Called on the game's hot path (every `Vantage.track`): must not yield, must not throw, and should be a table
 * lookup.
 */
export interface ConsentGate {
	/** Whether `userId`'s events of `category` may be recorded now. */
	allows(userId: number, category: ConsentCategory): boolean;
	/**
	 * Asked for an event `allows` refused: keeps it (returns true) when the player's answer is still awaited, so
	 * `replay` can record it, with its original time, if they grant its category; an event not kept is dropped.
	 */
	hold?(userId: number, category: ConsentCategory, replay: () => void): boolean;
}

/**
 * The category of each event type, or undefined for events the gate never holds back: `consent` events carry the
 * player's answer itself (the backend acts on a withdrawal through them). Server-level events (userId 0) concern no
 * player and are not gated either (see {@link gated}).
 */
export const CONSENT_CATEGORY_OF: { readonly [K in EventType]: ConsentCategory | undefined } = {
	session_start: "analytics",
	session_end: "analytics",
	custom: "analytics",
	progression: "analytics",
	economy: "analytics",
	purchase: "analytics",
	funnel: "analytics",
	error: "analytics",
	exposure: "experiments",
	consent: undefined,
};

/** Whether `gate` keeps an event of `eventType` for `userId` from being recorded. */
export function gated(gate: ConsentGate, userId: number, eventType: EventType): boolean {
	if (userId === 0) return false;
	const category = CONSENT_CATEGORY_OF[eventType];
	return category !== undefined && !gate.allows(userId, category);
}

/**
 * Like {@link gated}, and an event kept from being recorded is offered to the gate to wait for the player's answer
 * (`replay` records it then).
 */
export function gatedOrHeld(gate: ConsentGate, userId: number, eventType: EventType, replay: () => void): boolean {
	if (userId === 0) return false;
	const category = CONSENT_CATEGORY_OF[eventType];
	if (category === undefined || gate.allows(userId, category)) return false;
	gate.hold?.(userId, category, replay);
	return true;
}

/**
 * The policy when the game has configured no consent handling: every category is allowed for every player, which is
 * what Vantage did before consent existed. The game is then the one answering for a lawful basis (for example by
 * collecting consent itself, or by not starting Vantage where opt-in is required). The consent module replaces it.
 */
export class GameDefaultConsent implements ConsentGate {
	allows(_userId: number, _category: ConsentCategory): boolean {
		return true;
	}
}

/** The gate tracking uses unless given one. */
export const GAME_DEFAULT_CONSENT: ConsentGate = new GameDefaultConsent();
