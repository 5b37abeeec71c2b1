// Keeps each player's consent answer across sessions and servers: one DataStore key per player (`u<UserId>`), read
// when the player joins and written when they answer. The value holds the policy version and the time, so a new
// version asks again. DataStore limits (shared/ROBLOX-LIMITS.md): StandardRead/StandardWrite 60 + 40 × players per
// minute per server, shared with the game; requests yield and can fail. A consent answer matters more than an
// analytics lookup (without it, opt-in players are never tracked, and a refusal must stick), so requests are retried
// a few times, each only while `reserve` requests of its type are left for the game.
import { PlayerDataStore } from "../lazy-data-store";
import { ConsentChoices, isPolicyVersion, parseChoices, StoredConsent } from "./rules";

export type ConsentLoad = { ok: true; stored?: StoredConsent } | { ok: false; message: string };

/** Where answers are kept; the real one is {@link DataStoreConsent}, specs may use an in-memory one. */
export interface ConsentPersistence {
	/** The player's kept answer (undefined: none). Yields; never throws. */
	load(userId: number): ConsentLoad;
	/** Keeps an answer. Yields; never throws; false when it could not be written. */
	save(userId: number, answer: StoredConsent): boolean;
}

interface StoredValue {
	v: 1;
	/** Policy version. */
	p: string;
	/** Choices: analytics, experiments, personalization. */
	c: { a: boolean; e: boolean; p: boolean };
	/** Unix seconds of the answer. */
	t: number;
}

/** The kept answer in a stored value; undefined when the value is missing or malformed. */
export function storedConsentOf(value: unknown): StoredConsent | undefined {
	if (!typeIs(value, "table")) return undefined;
	const v = value as Partial<StoredValue>;
	if (!isPolicyVersion(v.p) || !typeIs(v.t, "number") || !typeIs(v.c, "table")) return undefined;
	const choices = parseChoices({ analytics: v.c.a, experiments: v.c.e, personalization: v.c.p });
	return choices ? { policyVersion: v.p, choices, answeredAt: v.t } : undefined;
}

function valueOf(answer: StoredConsent): StoredValue {
	const c: ConsentChoices = answer.choices;
	return {
		v: 1,
		p: answer.policyVersion,
		c: { a: c.analytics, e: c.experiments, p: c.personalization },
		t: answer.answeredAt,
	};
}

export class DataStoreConsent extends PlayerDataStore implements ConsentPersistence {
	/**
	 * @param storeName - the DataStore holding one key per player
	 * @param reserve - requests of each type always left to the game
	 * @param attempts - tries per load or save (waiting `retrySeconds` × the try number between them)
	 */
	constructor(storeName: string, debug = false, reserve = 5, attempts = 4, retrySeconds = 2) {
		super(storeName, "consent", debug, { reserve, attempts, retrySeconds, backoff: true });
	}

	load(userId: number): ConsentLoad {
		const result = this.request("load", Enum.DataStoreRequestType.GetAsync, (store) => {
			const [value] = store.GetAsync(`u${userId}`);
			return storedConsentOf(value);
		});
		return result.ok ? { ok: true, stored: result.value } : result;
	}

	save(userId: number, answer: StoredConsent): boolean {
		const result = this.request("save", Enum.DataStoreRequestType.SetIncrementAsync, (store) => {
			// Tagged with the UserId, so Roblox's Right-to-Erasure tooling finds the key.
			store.SetAsync(`u${userId}`, valueOf(answer), [userId]);
			return true;
		});
		return result.ok;
	}
}

/**
 * Answers kept in this server's memory only, for a place that has no DataStore (an unpublished place in Studio: its
 * requests error "You must publish this place to the web to access DataStore"). Each player is asked once per play
 * test; nothing outlives it.
 */
export class MemoryConsent implements ConsentPersistence {
	private readonly answers = new Map<number, StoredConsent>();

	load(userId: number): ConsentLoad {
		return { ok: true, stored: this.answers.get(userId) };
	}

	save(userId: number, answer: StoredConsent): boolean {
		this.answers.set(userId, answer);
		return true;
	}
}
