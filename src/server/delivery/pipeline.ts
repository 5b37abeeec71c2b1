import { HttpService } from "@rbxts/services";
import { IdGenerator, prefixFromGuid } from "../../shared/ids";
import { WireBatch, WireEvent } from "../../shared/protocol";
import { sdkName, version } from "../../shared/version";
import { WarnOnce } from "../../shared/warn-once";
import { DeliveryOptions } from "./options";
import { TokenProvider } from "./token-provider";
import { sendBatch } from "./transport";

/** Delivery counters, part of `Vantage.stats()`. */
export interface DeliveryStats {
	/** Events waiting in memory. */
	queued: number;
	/** Events the backend accepted (or already had). */
	sent: number;
	/** Events the backend rejected as invalid. */
	rejected: number;
	/** Events dropped (queue overflow). */
	dropped: number;
	/** Requests that failed and will be retried. */
	failedRequests: number;
}

/** Where tracking hands validated events; never yields, never throws. */
export interface EventSink {
	enqueue(event: WireEvent): void;
}

function nowMs(): number {
	return DateTime.now().UnixTimestampMillis;
}

/** Queues events and delivers them to the backend in batches. */
export class DeliveryPipeline implements EventSink {
	private queue = new Array<WireEvent>();
	private readonly ids: IdGenerator;
	private flushing = false;
	private stopped = false;
	private readonly url: string;
	private readonly tokens: TokenProvider;
	private readonly counters = { sent: 0, rejected: 0, dropped: 0, failedRequests: 0 };

	constructor(
		private readonly options: DeliveryOptions,
		private readonly warnings: WarnOnce,
	) {
		this.ids = new IdGenerator(prefixFromGuid(HttpService.GenerateGUID(false)), nowMs);
		this.url = `${options.endpoint}/v1/batches`;
		this.tokens = new TokenProvider(`${options.endpoint}/v1/oauth/token`, options.gameKeySecret, "ingest");
	}

	/** Starts the periodic flush loop. */
	start(): void {
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

	enqueue(event: WireEvent): void {
		this.queue.push(event);
		if (this.queue.size() > this.options.maxQueuedEvents) {
			this.queue.shift();
			this.counters.dropped += 1;
		}
		if (this.queue.size() >= this.options.maxBatchEvents) task.spawn(() => this.flush());
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
					this.warnings.warn(`could not deliver events (${result.message}); they stay queued`);
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

	stats(): DeliveryStats {
		return { queued: this.queue.size(), ...this.counters };
	}
}
