// What experiments know about a player: the attributes targeting conditions, stratification and the hash read.
// Three layers, later ones winning: the Player's own properties (id, accountAge, premium, locale), facts learned
// after joining (country from LocalizationService, firstVisit from the first-visit store — the session lookups
// share them, no extra request), and what the game sets with `Vantage.setAttributes`.
import { Props } from "../../shared/protocol";
import { checkProps } from "../../shared/validate";
import { readPlayerFacts } from "../tracking/player-facts";
import { PlayerFacts, SessionSources } from "../tracking/sessions";

/** Attributes of one unit, by name (`id` is the UserId). */
export type Attributes = Record<string, unknown>;

interface Known {
	builtin: Attributes;
	learned: Props;
	game: Props;
}

/** The attributes a Player's own properties give. */
export function builtinAttributes(facts: PlayerFacts): Attributes {
	return { id: facts.userId, accountAge: facts.accountAge, premium: facts.premium, locale: facts.locale };
}

/**
 * Why attributes from the game are unusable, or undefined: the rules of event props (at most 64 names of 1-128
 * characters; strings, finite numbers, booleans), and no `id` (always the UserId) or names starting with `$`.
 */
export function checkAttributes(attributes: unknown): string | undefined {
	const problem = checkProps(attributes);
	if (problem !== undefined) return problem.gsub("^props", "attributes")[0];
	if (attributes === undefined) return "attributes must be a table, got nil";
	for (const [name] of pairs(attributes as Props)) {
		if (name === "id") return "the `id` attribute is always the UserId";
		if (name.sub(1, 1) === "$") return "attribute names cannot start with $";
	}
	return undefined;
}

export class PlayerAttributes {
	private known = new Map<number, Known>();
	/** Told when a fact about a present player is learned (their replicated variants may change). */
	onLearned?: (userId: number) => void;

	/** @param facts - a Player's instant facts; default: its properties */
	constructor(private readonly facts: (player: Player) => PlayerFacts = readPlayerFacts) {}

	/** Starts remembering a player who joined (learned facts for unknown players are ignored). Idempotent. */
	join(player: Player, facts?: PlayerFacts): void {
		const userId = player.UserId;
		if (!this.known.has(userId)) {
			this.known.set(userId, { builtin: builtinAttributes(facts ?? this.facts(player)), learned: {}, game: {} });
		}
	}

	/** A fact learned about a present player (country, firstVisit). */
	learn(userId: number, name: string, value: string | number | boolean): void {
		const known = this.known.get(userId);
		if (!known) return;
		known.learned[name] = value;
		this.onLearned?.(userId);
	}

	/** Attributes set by the game (checked with {@link checkAttributes}); merged over earlier ones. */
	set(player: Player, attributes: Props): void {
		this.join(player);
		const fromGame = this.known.get(player.UserId)!.game;
		for (const [name, value] of pairs(attributes)) fromGame[name] = value;
	}

	/** The attributes the game set for a player (with {@link PlayerAttributes.set}), in a new table. Never yields. */
	fromGame(player: Player): Props {
		const out: Props = {};
		const known = this.known.get(player.UserId);
		if (known) for (const [name, value] of pairs(known.game)) out[name] = value;
		return out;
	}

	/** Every attribute of a player, in a new table. Never yields. */
	of(player: Player): Attributes {
		const known = this.known.get(player.UserId);
		const out: Attributes = {};
		const builtin = known?.builtin ?? builtinAttributes(this.facts(player));
		for (const [name, value] of pairs(builtin)) out[name] = value;
		if (known) {
			for (const [name, value] of pairs(known.learned)) out[name] = value;
			for (const [name, value] of pairs(known.game)) out[name] = value;
		}
		return out;
	}

	/** The player left. */
	forget(userId: number): void {
		this.known.delete(userId);
	}
}

/**
 * Session sources that also hand `attributes` what the join lookups learn — `country` (upper case) and `firstVisit`
 * (true for a new player) — so experiments can target and stratify on them without requests of their own.
 *
 * @example
 * new Tracking({ ...deps, sources: sharingFacts(robloxSessionSources(firstVisits), attributes) });
 */
export function sharingFacts(sources: SessionSources, attributes: PlayerAttributes): SessionSources {
	return {
		facts: (player) => {
			const facts = sources.facts(player);
			attributes.join(player, facts);
			return facts;
		},
		present: sources.present,
		country: (player) => {
			const country = sources.country(player);
			if (typeIs(country, "string") && country.size() === 2)
				attributes.learn(player.UserId, "country", country.upper());
			return country;
		},
		firstVisit: (userId) => {
			const visit = sources.firstVisit(userId);
			if (visit) attributes.learn(userId, "firstVisit", visit.firstVisit);
			return visit;
		},
	};
}
