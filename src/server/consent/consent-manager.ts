// Player consent on the game server: what each player in the game has agreed to, the gate every event passes
// (ConsentGate), the events waiting for an answer, and the answers themselves (kept in DataStore, sent to the backend
// as `consent` events: the proof). The rules are in rules.ts.
//
// A player's state starts as `loading` (their kept answer and their country are looked up in their own threads) and
// becomes `asking`, `answered` or `default`. While `loading` or `asking`, the player's events wait here (at most
// `maxHeld` per player, the oldest dropped first): an answer that grants a category sends that category's events
// then, with their original times; a refusal, or leaving without answering, discards them. A withdrawal stops
// tracking the refused categories at once and sends a consent event, so the backend can act on it.
import { ConsentCategory, ConsentGate } from "../delivery/consent-gate";
import { ConsentPersistence } from "./consent-store";
import {
	CONSENT_CATEGORIES,
	ConsentChoices,
	ConsentConfig,
	ConsentStatus,
	copyChoices,
	decide,
	defaultConsentConfig,
	NONE,
	requiresOptIn,
	StoredConsent,
	withdraws,
} from "./rules";

/** Where an answer came from: the SDK's prompt, the game's own call, or (derived) a withdrawal. */
export type ConsentSource = "prompt" | "api";

/** What `Vantage.consent.get(player)` returns, and what the player's client is told. */
export interface ConsentInfo {
	status: ConsentStatus;
	/** What applies now. */
	choices: ConsentChoices;
	/** The policy version in effect (undefined while the game has published none). */
	policyVersion?: string;
	/** The player's country (ISO 3166-1 alpha-2), when known. */
	region?: string;
	/** Whether opt-in applies to the player (and so nothing is tracked without their answer). */
	optIn: boolean;
	/** Whether the player should be asked: no answer for the current policy version. */
	ask: boolean;
}

/** The props of a `consent` event (what the backend keeps as proof). */
export interface ConsentEventProps {
	policyVersion: string;
	analytics: boolean;
	experiments: boolean;
	personalization: boolean;
	uiVersion?: string;
	region: string;
	source: "prompt" | "api" | "withdrawal";
}

export interface ConsentManagerDeps {
	persistence: ConsentPersistence;
	/** The player's country, or undefined when it cannot be told. May yield. */
	region: (player: Player) => string | undefined;
	/** Records a `consent` event for the player (never gated). */
	emit: (userId: number, props: ConsentEventProps) => void;
	/** Tells the player's client their state, and whether to show the prompt. */
	notify?: (player: Player, info: ConsentInfo, prompt: boolean) => void;
	/** Called after a player's state changed (the public Signal). */
	changed?: (player: Player, info: ConsentInfo) => void;
	/** Unix seconds. */
	now: () => number;
	/** Events kept per player while an answer is awaited. @default 256 */
	maxHeld?: number;
	warn?: (message: string) => void;
}

interface Held {
	category: ConsentCategory;
	replay: () => void;
}

interface PlayerConsent {
	player: Player;
	status: ConsentStatus;
	choices: ConsentChoices;
	ask: boolean;
	stored?: StoredConsent;
	region?: string;
	pendingLookups: number;
	held: Held[];
	/** Whether the client was told to show the prompt for the current policy version. */
	prompted?: string;
}

/** Counters (in Vantage.stats()). */
export interface ConsentStats {
	/** Events discarded because the player refused, or left without answering. */
	consentDiscarded: number;
	/** Events dropped because a player's wait list was full. */
	consentHeldDropped: number;
}

export class ConsentManager implements ConsentGate {
	private readonly players = new Map<number, PlayerConsent>();
	private config: ConsentConfig = defaultConsentConfig();
	private readonly maxHeld: number;
	readonly stats: ConsentStats = { consentDiscarded: 0, consentHeldDropped: 0 };

	constructor(private readonly deps: ConsentManagerDeps) {
		this.maxHeld = deps.maxHeld ?? 256;
	}

	// The gate (hot path: a table lookup) -----------------------------------------------------------------------

	allows(userId: number, category: ConsentCategory): boolean {
		const p = this.players.get(userId);
		if (p === undefined) return false; // not in the game (or left): nothing to record for them
		return (p.status === "answered" || p.status === "default") && p.choices[category];
	}

	/** Whether a refused event of the player's should wait for their answer instead of being dropped. */
	holds(userId: number): boolean {
		const p = this.players.get(userId);
		return p !== undefined && (p.status === "loading" || p.status === "asking");
	}

	/**
	 * Keeps an event until the player answers: `replay` records it again (with its original time) if they grant its
	 * category. Returns false when the player is not awaited (the event is dropped).
	 */
	hold(userId: number, category: ConsentCategory, replay: () => void): boolean {
		const p = this.players.get(userId);
		if (p === undefined || (p.status !== "loading" && p.status !== "asking")) return false;
		if (p.held.size() >= this.maxHeld) {
			p.held.remove(0);
			this.stats.consentHeldDropped += 1;
		}
		p.held.push({ category, replay });
		return true;
	}

	// Players ----------------------------------------------------------------------------------------------------

	/** A player joined: their events wait while their kept answer and country are looked up (in their own threads). */
	playerJoined(player: Player): void {
		if (this.players.has(player.UserId)) return;
		const p: PlayerConsent = {
			player,
			status: "loading",
			choices: copyChoices(NONE),
			ask: false,
			pendingLookups: 2,
			held: [],
		};
		this.players.set(player.UserId, p);
		const done = () => {
			p.pendingLookups -= 1;
			if (p.pendingLookups === 0 && this.players.get(player.UserId) === p) this.settle(p);
		};
		task.spawn(() => {
			const result = this.deps.persistence.load(player.UserId);
			if (result.ok) p.stored = result.stored;
			else this.deps.warn?.(`consent of ${player.UserId} could not be read (${result.message}); asking again`);
			done();
		});
		task.spawn(() => {
			const [ok, region] = pcall(() => this.deps.region(player));
			if (ok && typeIs(region, "string") && region.size() === 2) p.region = region.upper();
			done();
		});
	}

	/** A player left: what waited for their answer is discarded (they never answered). */
	playerLeft(userId: number): void {
		const p = this.players.get(userId);
		if (!p) return;
		this.players.delete(userId);
		this.stats.consentDiscarded += p.held.size();
		p.held.clear();
	}

	/** New rules from /v1/config (a new policy version asks again). */
	setConfig(config: ConsentConfig): void {
		this.config = config;
		for (const [, p] of this.players) if (p.status !== "loading") this.settle(p);
	}

	// The API ----------------------------------------------------------------------------------------------------

	get(userId: number): ConsentInfo | undefined {
		const p = this.players.get(userId);
		return p ? this.infoOf(p) : undefined;
	}

	/**
	 * The player's answer. Returns a problem (and changes nothing) when it cannot be taken: the player is not in the
	 * game, or the game has published no policy version to answer. Sends a `consent` event, keeps the answer in
	 * DataStore (in its own thread) and releases or discards the events that waited.
	 */
	set(userId: number, choices: ConsentChoices, source: ConsentSource, uiVersion?: string): string | undefined {
		const p = this.players.get(userId);
		if (!p) return "the player is not in the game (or consent was never started for them)";
		const version = this.config.policyVersion;
		if (version === undefined) return "the game has published no consent policy yet (create one in the dashboard)";
		const before = p.choices;
		const answer: StoredConsent = {
			policyVersion: version,
			choices: copyChoices(choices),
			answeredAt: this.deps.now(),
		};
		const withdrawal = (p.status === "answered" || p.status === "default") && withdraws(before, choices);
		p.stored = answer;
		p.status = "answered";
		p.choices = copyChoices(choices);
		p.ask = false;
		this.deps.emit(userId, {
			policyVersion: version,
			analytics: choices.analytics,
			experiments: choices.experiments,
			personalization: choices.personalization,
			uiVersion: source === "prompt" ? (uiVersion ?? "custom") : uiVersion,
			region: p.region ?? "ZZ",
			source: withdrawal ? "withdrawal" : source,
		});
		this.release(p);
		task.spawn(() => {
			if (!this.deps.persistence.save(userId, answer)) {
				this.deps.warn?.(`the consent answer of ${userId} could not be kept; they will be asked again next time`);
			}
		});
		this.changed(p, false);
		return undefined;
	}

	/** Asks the player's client to show the prompt (also when they answered: players may change their mind). */
	prompt(userId: number): string | undefined {
		const p = this.players.get(userId);
		if (!p) return "the player is not in the game";
		if (this.config.policyVersion === undefined) return "the game has published no consent policy yet";
		this.deps.notify?.(p.player, this.infoOf(p), true);
		return undefined;
	}

	// Internals --------------------------------------------------------------------------------------------------

	private settle(p: PlayerConsent): void {
		const d = decide(p.stored, p.region, this.config);
		const statusBefore = p.status;
		p.status = d.status;
		p.choices = d.choices;
		p.ask = d.ask;
		if (d.status === "answered" || d.status === "default") this.release(p);
		// Ask once per policy version and session (the game can ask again through prompt()).
		const prompt = d.ask && p.prompted !== this.config.policyVersion;
		if (prompt) p.prompted = this.config.policyVersion;
		if (prompt || statusBefore !== p.status) this.changed(p, prompt);
	}

	/** Sends what waited in the categories now allowed; discards the rest. */
	private release(p: PlayerConsent): void {
		if (p.held.size() === 0) return;
		const held = p.held;
		p.held = [];
		for (const h of held) {
			if (p.choices[h.category]) h.replay();
			else this.stats.consentDiscarded += 1;
		}
	}

	private changed(p: PlayerConsent, prompt: boolean): void {
		const info = this.infoOf(p);
		this.deps.notify?.(p.player, info, prompt);
		this.deps.changed?.(p.player, info);
	}

	private infoOf(p: PlayerConsent): ConsentInfo {
		return {
			status: p.status,
			choices: copyChoices(p.choices),
			policyVersion: this.config.policyVersion,
			region: p.region,
			optIn: p.status === "loading" || requiresOptIn(p.region, this.config),
			ask: p.ask,
		};
	}
}

/** Every category refused or allowed alike, for `Vantage.consent.set(player, true/false)`. */
export function uniformChoices(allowed: boolean): ConsentChoices {
	const c: ConsentChoices = { analytics: false, experiments: false, personalization: false };
	for (const category of CONSENT_CATEGORIES) c[category] = allowed;
	return c;
}
