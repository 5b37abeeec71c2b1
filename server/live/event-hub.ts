// The live event stream's publisher: ingest tells it about every batch it stored, and it hands each open stream the
// events it asked for. In process only: with several backend instances, a stream sees the batches its own instance
// stored (a load balancer with sticky game routing, or a shared bus, is the scale path's business).
import type { EventType, IngestEvent } from "../ingest/schema.js";
import type { StoredEvent } from "../store/types.js";

/** What one stream wants to see; members left out match every event. */
export interface LiveFilter {
	type?: EventType | undefined;
	/** Exact event name. */
	name?: string | undefined;
}

export interface LiveEventHubOptions {
	/** Streams open at once over every game and user: each holds a connection and a buffer. @default 100 */
	maxStreams?: number;
	/** Streams one user may hold open at once (a few tabs), so one user cannot take every slot. @default 10 */
	maxStreamsPerUser?: number;
	/**
	 * Events one stream holds for a client that reads slower than events arrive; past it the oldest are dropped and
	 * counted (a live view wants the newest). @default 1000
	 */
	bufferSize?: number;
}

const DEFAULTS: Required<LiveEventHubOptions> = { maxStreams: 100, maxStreamsPerUser: 10, bufferSize: 1000 };

/** A batch as ingest stored it: the validated events (times already corrected) and where and when they arrived. */
export interface StoredBatch {
	batchId: string;
	receivedAt: number;
	events: readonly IngestEvent[];
}

/** What a stream has to send: the events in arrival order, and how many matching events were dropped before them. */
export interface LiveDelivery {
	events: StoredEvent[];
	dropped: number;
}

/**
 * One open stream: a bounded queue of matching events the stream's writer drains.
 *
 * @example
 * while (await subscription.next()) send(subscription.take());
 */
export class LiveSubscription {
	#pending: StoredEvent[] = [];
	#dropped = 0;
	#closed = false;
	#wake: (() => void) | undefined;

	constructor(
		readonly gameId: string,
		readonly userId: string,
		readonly filter: Readonly<LiveFilter>,
		readonly bufferSize: number,
		readonly onClose: (subscription: LiveSubscription) => void,
	) {}

	get closed(): boolean {
		return this.#closed;
	}

	/** Queues a batch's matching events, keeping the newest {@link bufferSize}. */
	offer(gameId: string, batch: StoredBatch): void {
		if (this.#closed) return;
		const { type, name } = this.filter;
		let matched = 0;
		for (const event of batch.events) {
			if ((type !== undefined && event.type !== type) || (name !== undefined && event.name !== name)) continue;
			matched++;
			this.#pending.push({ ...event, gameId, batchId: batch.batchId, receivedAt: batch.receivedAt });
		}
		if (matched === 0) return;
		const excess = this.#pending.length - this.bufferSize;
		if (excess > 0) {
			this.#pending.splice(0, excess);
			this.#dropped += excess;
		}
		this.#notify();
	}

	/** Resolves true once something is queued, false once the subscription is closed. */
	next(): Promise<boolean> {
		if (this.#closed) return Promise.resolve(false);
		if (this.#pending.length > 0 || this.#dropped > 0) return Promise.resolve(true);
		return new Promise((resolve) => {
			this.#wake = () => resolve(!this.#closed);
		});
	}

	/** Everything queued since the last take, and the count dropped meanwhile; empties the queue. */
	take(): LiveDelivery {
		const delivery = { events: this.#pending, dropped: this.#dropped };
		this.#pending = [];
		this.#dropped = 0;
		return delivery;
	}

	/** Ends the subscription (client gone, server closing); safe to call twice. */
	close(): void {
		if (this.#closed) return;
		this.#closed = true;
		this.#pending = [];
		this.onClose(this);
		this.#notify();
	}

	#notify(): void {
		const wake = this.#wake;
		this.#wake = undefined;
		wake?.();
	}
}

/**
 * Fans stored batches out to the live streams of their game.
 * - `publish` costs one map lookup when nobody watches the game, so ingest pays nothing for the feature;
 * - `subscribe` answers undefined when {@link LiveEventHubOptions.maxStreams} or the per-user cap is reached.
 *
 * @example
 * const hub = new LiveEventHub();
 * const subscription = hub.subscribe({ gameId: "4242", userId: "usr_1", filter: { type: "purchase" } });
 * hub.publish("4242", { batchId: "b1", receivedAt: Date.now(), events });
 */
export class LiveEventHub {
	readonly #options: Required<LiveEventHubOptions>;
	readonly #byGame = new Map<string, Set<LiveSubscription>>();
	readonly #perUser = new Map<string, number>();
	#count = 0;

	constructor(options: LiveEventHubOptions = {}) {
		this.#options = { ...DEFAULTS, ...options };
	}

	/** Streams open now. */
	get streamCount(): number {
		return this.#count;
	}

	/**
	 * Opens a subscription:
	 * 1. every stream slot taken → undefined;
	 * 2. the user holds their most streams already → undefined;
	 * 3. otherwise a subscription to the game's batches from now on.
	 */
	subscribe(input: { gameId: string; userId: string; filter?: LiveFilter }): LiveSubscription | undefined {
		const { maxStreams, maxStreamsPerUser, bufferSize } = this.#options;
		if (this.#count >= maxStreams) return undefined;
		const held = this.#perUser.get(input.userId) ?? 0;
		if (held >= maxStreamsPerUser) return undefined;
		const subscription = new LiveSubscription(input.gameId, input.userId, { ...input.filter }, bufferSize, (s) =>
			this.#remove(s),
		);
		let game = this.#byGame.get(input.gameId);
		if (!game) {
			game = new Set();
			this.#byGame.set(input.gameId, game);
		}
		game.add(subscription);
		this.#perUser.set(input.userId, held + 1);
		this.#count++;
		return subscription;
	}

	/** Hands a stored batch to the game's streams. Never throws: the batch is stored whatever happens here. */
	publish(gameId: string, batch: StoredBatch): void {
		const game = this.#byGame.get(gameId);
		if (!game) return;
		for (const subscription of game) {
			try {
				subscription.offer(gameId, batch);
			} catch {
				subscription.close();
			}
		}
	}

	/** Ends every stream (server shutdown), so open connections finish instead of holding the shutdown. */
	close(): void {
		for (const game of [...this.#byGame.values()]) for (const subscription of [...game]) subscription.close();
	}

	#remove(subscription: LiveSubscription): void {
		const game = this.#byGame.get(subscription.gameId);
		if (!game?.delete(subscription)) return;
		if (game.size === 0) this.#byGame.delete(subscription.gameId);
		const held = (this.#perUser.get(subscription.userId) ?? 1) - 1;
		if (held > 0) this.#perUser.set(subscription.userId, held);
		else this.#perUser.delete(subscription.userId);
		this.#count--;
	}
}
