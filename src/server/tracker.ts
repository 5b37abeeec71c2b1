import { HttpService, Players } from "@rbxts/services";
import { IdGenerator, prefixFromGuid } from "../shared/ids";
import { EventType, Props, WireBatch, WireEvent } from "../shared/protocol";
import { checkName, checkProps } from "../shared/validate";
import { sdkName, version } from "../shared/version";
import { TokenProvider } from "./auth";
import { ResolvedOptions } from "./options";
import { sendBatch } from "./transport";

/** Counters a game developer can read through `Vantage.stats()`. */
export interface Stats {
	/** Events waiting in memory. */
	queued: number;
	/** Events the backend accepted (or already had). */
	sent: number;
	/** Events the backend rejected as invalid. */
	rejected: number;
	/** Events dropped because the queue was full. */
	dropped: number;
	/** Calls refused because their arguments were invalid. */
	invalidCalls: number;
	/** Requests that failed and will be retried. */
	failedRequests: number;
}

function nowMs(): number {
	return DateTime.now().UnixTimestampMillis;
}

/** The game-server side of Vantage: validates and queues events, sends them in batches. */
export class Tracker {
	private queue = new Array<WireEvent>();
	private ids: IdGenerator;
	private sessions = new Map<number, string>();
	private warned = new Set<string>();
	private flushing = false;
	private stopped = false;
	private readonly url: string;
	private readonly tokens: TokenProvider;
	private readonly counters = { sent: 0, rejected: 0, dropped: 0, invalidCalls: 0, failedRequests: 0 };

	constructor(private readonly options: ResolvedOptions) {
		this.ids = new IdGenerator(prefixFromGuid(HttpService.GenerateGUID(false)), nowMs);
		this.url = `${options.endpoint}/v1/batches`;
		this.tokens = new TokenProvider(`${options.endpoint}/v1/oauth/token`, options.gameKeySecret, "ingest");
	}

	/** Starts the periodic flush loop. */
	run(): void {
		task.spawn(() => {
			while (!this.stopped) {
				task.wait(this.options.flushSeconds);
				if (!this.stopped) this.flush();
			}
		});
	}

	stop(): void {
		this.stopped = true;
	}

	/** Warns once per distinct message, so a bad call in a loop cannot flood the Output window. */
	warnOnce(message: string): void {
		if (this.warned.has(message)) return;
		this.warned.add(message);
		warn(`[Vantage] ${message}`);
	}

	private sessionOf(userId: number): string {
		let session = this.sessions.get(userId);
		if (session === undefined) {
			session = this.ids.next();
			this.sessions.set(userId, session);
		}
		return session;
	}

	/** Queues one event; never throws. Returns false when the call was refused. */
	record(player: Player | undefined, eventType: EventType, name: unknown, props: unknown): boolean {
		const nameError = checkName(name);
		const propsError = nameError ?? checkProps(props);
		if (propsError !== undefined) {
			this.counters.invalidCalls += 1;
			this.warnOnce(`${eventType} call ignored: ${propsError}`);
			return false;
		}
		if (player !== undefined && !(typeIs(player, "Instance") && player.IsA("Player"))) {
			this.counters.invalidCalls += 1;
			this.warnOnce(`${eventType} call ignored: the first argument must be a Player`);
			return false;
		}
		const userId = player ? player.UserId : 0;
		const copy: Props = {};
		if (props !== undefined) for (const [k, v] of pairs(props as Props)) copy[k] = v;
		this.queue.push({
			id: this.ids.next(),
			time: nowMs(),
			userId,
			sessionId: this.sessionOf(userId),
			type: eventType,
			name: name as string,
			props: copy,
		});
		if (this.queue.size() > this.options.maxQueuedEvents) {
			this.queue.shift();
			this.counters.dropped += 1;
		}
		if (this.queue.size() >= this.options.maxBatchEvents) task.spawn(() => this.flush());
		return true;
	}

	/**
	 * Sends queued events in batches until the queue is empty or a request fails (the rest waits for the next
	 * flush). Yields while requests are in flight. Only one flush runs at a time.
	 */
	flush(): void {
		if (this.flushing) return;
		this.flushing = true;
		try {
			while (this.queue.size() > 0) {
				const events = new Array<WireEvent>();
				const n = math.min(this.queue.size(), this.options.maxBatchEvents);
				for (let i = 0; i < n; i++) events.push(this.queue[i]);
				const batch: WireBatch = {
					batchId: this.ids.next(),
					sentAt: nowMs(),
					sdk: { name: sdkName, version },
					events,
				};
				const result = sendBatch(this.url, this.tokens, batch);
				if (result.kind === "failed") {
					this.counters.failedRequests += 1;
					this.warnOnce(`could not deliver events (${result.message}); they stay queued`);
					if (this.options.debug) print(`[Vantage] flush failed: ${result.message}`);
					return;
				}
				for (let i = 0; i < n; i++) this.queue.shift();
				const answer = result.response;
				this.counters.sent += (answer.accepted ?? 0) + (answer.duplicates ?? 0);
				this.counters.rejected += answer.rejected?.size() ?? 0;
				if (this.options.debug) print(`[Vantage] sent ${n} events`);
			}
		} finally {
			this.flushing = false;
		}
	}

	stats(): Stats {
		return { queued: this.queue.size(), ...this.counters };
	}

	/** Forgets a player's session when they leave. */
	endSession(player: Player): void {
		this.sessions.delete(player.UserId);
	}

	playersOnline(): number {
		return Players.GetPlayers().size();
	}
}
