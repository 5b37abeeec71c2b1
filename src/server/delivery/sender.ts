// The sender: one batch at a time over the transport, within the request budget, and what each answer means for
// the queue (delivered, split, refused) and for the next attempt (capped exponential backoff with full jitter,
// Retry-After, HTTP disabled). It owns the outage state the spill and drain decide on (`failures`, `failingSince`).
import { HttpService } from "@rbxts/services";
import { WireEvent } from "../../shared/protocol";
import { backoffSeconds } from "./backoff";
import { batchBody, decodeEvents, SealedBatch, splitBatch } from "./batch";
import { DeliveryDeps, nowMs, RejectedEvent } from "./contracts";
import { DeliveryOptions } from "./options";
import { DeliveryQueue } from "./queue";
import { DeliveryReport } from "./report";
import { RequestBudget } from "./request-budget";
import { TokenProvider } from "./token-provider";
import { BatchTransport, RejectedByIndex, SendOutcome } from "./transport";

/** Seconds between checks of HttpService.HttpEnabled while it is off. */
const HTTP_RECHECK_SECONDS = 30;

export class BatchSender {
	/** Failed requests in a row (0: the backend answers). */
	failures = 0;
	/** os.clock of the first failure of the current outage. */
	failingSince?: number;
	/** No request before this os.clock (backoff, Retry-After, the request budget). */
	blockedUntil = 0;
	httpDisabled = false;
	/** Next os.clock at which HttpService.HttpEnabled is read again. */
	httpCheckAt = 0;
	readonly budget: RequestBudget;
	private readonly transport: BatchTransport;
	private readonly random: () => number;
	private readonly backoffBase: number;
	private readonly backoffCap: number;

	constructor(
		private readonly options: DeliveryOptions,
		deps: DeliveryDeps,
		private readonly isStudio: boolean,
		private readonly queue: DeliveryQueue,
		private readonly report: DeliveryReport,
		/** The backend answered after an outage (spilled batches can come back). */
		private readonly onRecovered: (now: number) => void,
	) {
		this.budget = new RequestBudget(options.maxRequestsPerMinute);
		const tokens = new TokenProvider(
			`${options.endpoint}/v1/oauth/token`,
			options.gameKeySecret,
			"ingest",
			this.budget,
		);
		this.transport = new BatchTransport(`${options.endpoint}/v1/batches`, tokens, this.budget);
		this.random = deps.random ?? (() => math.random());
		this.backoffBase = deps.backoffBaseSeconds ?? 2;
		this.backoffCap = deps.backoffCapSeconds ?? 60;
	}

	/** Sends one batch of `list` (the live queue or a drained chunk) and settles the outcome. */
	send(batch: SealedBatch, list: SealedBatch[]): SendOutcome {
		this.queue.inFlight = batch;
		const outcome = this.transport.send(
			() => batchBody(batch, nowMs()),
			() => {
				if (batch.attempts > 0) this.report.counters.retried += 1;
				batch.attempts += 1;
			},
		);
		this.queue.inFlight = undefined;
		this.settle(outcome, batch, list);
		return outcome;
	}

	private settle(outcome: SendOutcome, batch: SealedBatch, list: SealedBatch[]): void {
		const now = os.clock();
		const counters = this.report.counters;
		switch (outcome.kind) {
			case "accepted": {
				this.queue.replace(list, batch, []);
				counters.sent += outcome.accepted + outcome.duplicates;
				if (list !== this.queue.ready) counters.drained += outcome.accepted + outcome.duplicates;
				if (outcome.rejected.size() > 0) this.reportRejected(batch, outcome.rejected);
				this.recovered(now);
				if (this.report.debug) print(`[Vantage] batch ${batch.id}: ${batch.count} events delivered`);
				return;
			}
			case "split": {
				const halves = splitBatch(batch);
				if (halves) {
					this.queue.replace(list, batch, halves);
					if (this.report.debug) print(`[Vantage] batch ${batch.id} too large (${outcome.status}); split`);
				} else if (this.queue.replace(list, batch, [])) {
					this.report.drop(batch.count, `an event too large for the backend (${outcome.message})`);
				}
				this.recovered(now);
				return;
			}
			case "drop": {
				if (this.queue.replace(list, batch, [])) {
					this.report.warnings.warn("the backend refused a batch as invalid; its events were dropped and counted");
					this.report.signals.deliveryError.Fire({
						kind: "refused",
						status: outcome.status,
						message: outcome.message,
						willRetry: false,
					});
					this.report.drop(batch.count, `refused by the backend (${outcome.message})`);
				}
				this.recovered(now);
				return;
			}
			case "wait": {
				this.blockedUntil = now + outcome.retryAfter;
				return;
			}
			case "disabled": {
				this.setHttpDisabled(true, outcome.message);
				this.httpCheckAt = now + HTTP_RECHECK_SECONDS;
				return;
			}
			case "retry": {
				counters.failedRequests += 1;
				this.failures += 1;
				this.failingSince ??= now;
				const delay =
					outcome.retryAfter ??
					(outcome.cause === "auth"
						? this.backoffCap
						: backoffSeconds(this.failures, this.backoffBase, this.backoffCap, this.random));
				this.blockedUntil = now + delay;
				// One line per outage (and WarnOnce keeps identical lines to one per server).
				if (this.failures === 1)
					this.report.warnings.warn(
						outcome.cause === "auth"
							? `the game key (secret "${this.options.gameKeySecret}") is missing or refused by the backend; events are kept and retried`
							: outcome.cause === "roblox-budget"
								? "HttpService's request limit (500/min per server) is used up by the game; events are kept and retried"
								: "cannot deliver events to the backend right now; they are kept and retried",
					);
				if (this.report.debug) print(`[Vantage] ${outcome.message}; retrying in ${"%.1f".format(delay)} s`);
				this.report.signals.deliveryError.Fire({
					kind: outcome.cause,
					status: outcome.status,
					message: outcome.message,
					willRetry: true,
				});
				return;
			}
		}
	}

	/** The backend answered: the outage (if any) is over, and spilled batches can come back. */
	private recovered(now: number): void {
		if (this.failures > 0 || this.failingSince !== undefined) this.onRecovered(now);
		this.failures = 0;
		this.failingSince = undefined;
	}

	private reportRejected(batch: SealedBatch, rejected: RejectedByIndex[]): void {
		this.report.counters.rejected += rejected.size();
		const events = decodeEvents(batch);
		const details = new Array<RejectedEvent>();
		for (const r of rejected) {
			const event = events[r.index] as Partial<WireEvent> | undefined;
			details.push({
				id: typeIs(event?.id, "string") ? event.id : "",
				type: typeIs(event?.type, "string") ? event.type : "",
				name: typeIs(event?.name, "string") ? event.name : "",
				code: r.code,
				message: r.message,
			});
		}
		this.report.warnings.warn("the backend refused some events as invalid; see the eventsRejected signal");
		this.report.signals.eventsRejected.Fire(details);
	}

	/** Whether HTTP requests are off (HttpService.HttpEnabled, read at most every HTTP_RECHECK_SECONDS). */
	checkHttpDisabled(now: number): boolean {
		if (now < this.httpCheckAt) return this.httpDisabled;
		this.httpCheckAt = now + HTTP_RECHECK_SECONDS;
		const [readable, enabled] = pcall(() => HttpService.HttpEnabled);
		// Not readable here: let the next request find out (RequestAsync says so if requests are disabled).
		this.setHttpDisabled(readable && enabled !== true, "HttpService.HttpEnabled is false");
		return this.httpDisabled;
	}

	/** Warns (once per server) and signals when HTTP requests turn out to be disabled. */
	private setHttpDisabled(disabled: boolean, message: string): void {
		if (disabled && !this.httpDisabled) {
			this.report.warnings.warn(
				this.isStudio
					? `HTTP requests are disabled (Game Settings → Security → Allow HTTP Requests): events are kept in memory (up to ${this.options.maxQueuedEvents}) and not sent`
					: "HTTP requests are disabled for this experience (Game Settings → Security): events are kept and saved to DataStore until they can be sent",
			);
			this.report.signals.deliveryError.Fire({ kind: "disabled", message, willRetry: true });
		}
		this.httpDisabled = disabled;
	}
}
