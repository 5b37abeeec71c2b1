// Client-side variants, the server's half: a player's client (VantageClient.getVariant/isOn) reads the variants the
// server decided for that player, replicated over the SDK's RemoteEvent — the client never talks to the backend and
// never assigns anything itself. A client asks once (`{ kind: "variants" }`, sent by VantageClient when it connects);
// the server sends that player's VariantsMessage at once and again whenever it changes: a new config, the player's
// consent, attributes or country, their kept assignments loading. Changes within one frame are sent together, and
// a message equal to the last one sent is not sent again. The first message waits (at most FIRST_WAIT_SECONDS) while
// the player's kept assignments or consent are still being looked up, so a client does not show the stand-in answer
// of those seconds (the hash's variation, or control) and then switch.
import { ServerMessage, VariantsMessage } from "../../shared/protocol";
import { RELOAD_AFTER_SECONDS } from "./experiments";

/** Most seconds a client's first message waits for the player's kept assignments and consent to be looked up. */
export const FIRST_WAIT_SECONDS = 5;

export interface ClientVariantsDeps {
	/** The player's variants now (Experiments.variantsFor). */
	variantsFor: (player: Player) => VariantsMessage;
	/**
	 * Whether something the player's variants depend on is still being looked up besides their kept assignments
	 * (their consent). @default never
	 */
	pending?: (player: Player) => boolean;
	/** Sends to the player's client; false when it could not (client events off). */
	send: (player: Player, message: ServerMessage) => boolean;
	/** Runs `fn` once the current work is done. @default task.defer */
	defer?: (fn: () => void) => void;
	/** Runs `fn` in `seconds`. @default task.delay */
	delay?: (seconds: number, fn: () => void) => void;
	/** Seconds. @default os.clock */
	clock?: () => number;
}

interface Subscriber {
	player: Player;
	/** The last message the client got. */
	sent?: VariantsMessage;
	/** A recomputation is scheduled for a kept-assignment store that failed. */
	retrying: boolean;
	/** Until when the first message waits for lookups. */
	firstBy: number;
	/** A send at `firstBy` is scheduled. */
	firstScheduled: boolean;
}

/** Whether two values decoded from the same kind of source are equal, tables compared key by key. */
export function sameValue(a: unknown, b: unknown): boolean {
	if (a === b) return true;
	if (!typeIs(a, "table") || !typeIs(b, "table")) return false;
	const x = a as Record<string, unknown>;
	const y = b as Record<string, unknown>;
	for (const [key, value] of pairs(x)) if (!sameValue(value, y[key])) return false;
	for (const [key] of pairs(y)) if (x[key] === undefined) return false;
	return true;
}

function hasReason(message: VariantsMessage, reason: string): boolean {
	for (const [, variant] of pairs(message.experiments)) if (variant.reason === reason) return true;
	return false;
}

export class ClientVariants {
	private subscribers = new Map<number, Subscriber>();
	private dirty = new Set<number>();
	private scheduled = false;
	private readonly defer: (fn: () => void) => void;
	private readonly delay: (seconds: number, fn: () => void) => void;
	private readonly clock: () => number;

	constructor(private readonly deps: ClientVariantsDeps) {
		this.defer = deps.defer ?? ((fn) => task.defer(fn));
		this.delay = deps.delay ?? ((seconds, fn) => task.delay(seconds, fn));
		this.clock = deps.clock ?? os.clock;
	}

	/** A player's client asked for its variants: they are sent now, and on every change until the player leaves. */
	subscribe(player: Player): void {
		// Once per session: asking again costs the server nothing (a client cannot make it recompute at will).
		if (this.subscribers.has(player.UserId)) return;
		const subscriber: Subscriber = {
			player,
			retrying: false,
			firstBy: this.clock() + FIRST_WAIT_SECONDS,
			firstScheduled: false,
		};
		this.subscribers.set(player.UserId, subscriber);
		this.push(player.UserId, subscriber);
	}

	/** Something a player's variants depend on changed: they are recomputed (and sent if different) after this frame. */
	changed(userId: number): void {
		if (!this.subscribers.has(userId)) return;
		this.dirty.add(userId);
		this.schedule();
	}

	/** The config changed: every subscribed player's variants are recomputed after this frame. */
	changedAll(): void {
		for (const [userId] of this.subscribers) this.dirty.add(userId);
		if (this.dirty.size() > 0) this.schedule();
	}

	/** The player left. */
	forget(userId: number): void {
		this.subscribers.delete(userId);
		this.dirty.delete(userId);
	}

	/** Players whose client reads variants. */
	count(): number {
		return this.subscribers.size();
	}

	private schedule(): void {
		if (this.scheduled) return;
		this.scheduled = true;
		this.defer(() => {
			this.scheduled = false;
			const due = this.dirty;
			this.dirty = new Set();
			for (const userId of due) {
				const subscriber = this.subscribers.get(userId);
				if (subscriber) this.push(userId, subscriber);
			}
		});
	}

	/**
	 * Whether the first message should wait: the player's kept assignments or consent are still being looked up
	 * (their end pushes again) and FIRST_WAIT_SECONDS have not passed (a push is scheduled for then).
	 */
	private waitsForLookups(subscriber: Subscriber, message: VariantsMessage): boolean {
		const left = subscriber.firstBy - this.clock();
		if (left <= 0) return false;
		if (!hasReason(message, "loading") && !(this.deps.pending?.(subscriber.player) ?? false)) return false;
		if (!subscriber.firstScheduled) {
			subscriber.firstScheduled = true;
			const userId = subscriber.player.UserId;
			this.delay(left, () => this.changed(userId));
		}
		return true;
	}

	private push(userId: number, subscriber: Subscriber): void {
		const message = this.deps.variantsFor(subscriber.player);
		if (subscriber.sent === undefined && this.waitsForLookups(subscriber, message)) return;
		if (subscriber.sent === undefined || !sameValue(subscriber.sent, message)) {
			if (this.deps.send(subscriber.player, message)) subscriber.sent = message;
		}
		// Kept assignments that could not load are tried again by the next read after RELOAD_AFTER_SECONDS: read then.
		if (!subscriber.retrying && hasReason(message, "storeUnavailable")) {
			subscriber.retrying = true;
			this.delay(RELOAD_AFTER_SECONDS, () => {
				subscriber.retrying = false;
				this.changed(userId);
			});
		}
	}
}
