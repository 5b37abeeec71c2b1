// Wire shapes of the structured events: pure functions from checked arguments to an event's name and props.
// Names are what dashboards group by; props carry the parts.
import { Props } from "../../shared/protocol";
import { EconomyEvent, ProgressionStatus } from "../../shared/validate";

export interface EventShape {
	name: string;
	props: Props;
}

/** Attempt facts of a progression `complete` or `fail` (see {@link ProgressionAttempts}). */
export interface AttemptFacts {
	/** 1 for the first try; counts the fails before it since the last complete. */
	attempt: number;
	/** Seconds since the matching `start` in this session, when there was one. */
	seconds?: number;
}

/**
 * `progression`: the name is the path joined with ":" ("World1:Level2:Boss", as GameAnalytics does), props hold
 * the status, each level (p1..p3), the score and, for complete/fail, the attempt facts.
 */
export function progressionShape(
	status: ProgressionStatus,
	path: string[],
	score?: number,
	attempt?: AttemptFacts,
): EventShape {
	const props: Props = { status };
	path.forEach((part, i) => (props[`p${i + 1}`] = part));
	if (score !== undefined) props.score = score;
	if (attempt) {
		props.attempt = attempt.attempt;
		if (attempt.seconds !== undefined) props.seconds = attempt.seconds;
	}
	return { name: path.join(":"), props };
}

/** `economy`: named "<flow>:<currency>" ("sink:Gems"), props hold every field. */
export function economyShape(e: EconomyEvent): EventShape {
	return {
		name: `${e.flow}:${e.currency}`,
		props: { flow: e.flow, currency: e.currency, amount: e.amount, itemType: e.itemType, itemId: e.itemId },
	};
}

/** `purchase` of a developer product, from the ProcessReceipt receipt. */
export function purchaseShape(receipt: ReceiptInfo): EventShape {
	const props: Props = {
		productId: receipt.ProductId,
		purchaseId: receipt.PurchaseId,
		robux: receipt.CurrencySpent,
	};
	if (receipt.PlaceIdWherePurchased !== undefined) props.placeId = receipt.PlaceIdWherePurchased;
	if (typeIs(receipt.CurrencyType, "EnumItem")) props.currency = receipt.CurrencyType.Name;
	return { name: "developer_product", props };
}

/** `funnel`: named after the funnel, props hold the step number and name. */
export function funnelShape(funnel: string, step: number, stepName: string): EventShape {
	return { name: funnel, props: { step, stepName } };
}

/** Most progression paths remembered per player (attempt counts); past it the oldest memory starts over. */
const MAX_PATHS_PER_PLAYER = 100;

/**
 * GameAnalytics-style attempt counting per player and path: a fail increments the attempt, a complete reports the
 * attempt it succeeded on and starts over; both report the seconds since the last start, if any.
 */
export class ProgressionAttempts {
	private players = new Map<number, Map<string, { fails: number; startedAt?: number }>>();

	/** @param now - clock in seconds */
	constructor(private readonly now: () => number) {}

	/** Records a progression call; returns the attempt facts for complete/fail. */
	record(userId: number, status: ProgressionStatus, pathName: string): AttemptFacts | undefined {
		let paths = this.players.get(userId);
		if (!paths) {
			paths = new Map();
			this.players.set(userId, paths);
		}
		let entry = paths.get(pathName);
		if (!entry) {
			if (paths.size() >= MAX_PATHS_PER_PLAYER) paths.clear();
			entry = { fails: 0 };
			paths.set(pathName, entry);
		}
		const t = this.now();
		if (status === "start") {
			entry.startedAt = t;
			return undefined;
		}
		const facts: AttemptFacts = { attempt: entry.fails + 1 };
		if (entry.startedAt !== undefined) facts.seconds = math.floor((t - entry.startedAt) * 1000 + 0.5) / 1000;
		entry.startedAt = undefined;
		if (status === "fail") entry.fails += 1;
		else entry.fails = 0;
		return facts;
	}

	/** Forgets a player (they left). */
	forget(userId: number): void {
		this.players.delete(userId);
	}
}
