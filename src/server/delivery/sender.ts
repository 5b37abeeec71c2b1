// The sender: one batch at a time over the transport, within the request budget, and what each answer means for
// the queue (delivered, split, refused) and for the next attempt (capped exponential backoff with full jitter,
// Retry-After, HTTP off or no game key). It owns the outage state the spill and drain decide on (`failures`,
// `failingSince`). A dry run settles every batch here without sending it.
import { WireEvent } from "../../shared/protocol";
import { Blocker, SendGate } from "../first-run";
import { backoffSeconds } from "./backoff";
import { batchBody, decodeEvents, SealedBatch, splitBatch } from "./batch";
import { DeliveryDeps, nowMs, RejectedEvent } from "./contracts";
import { DeliveryOptions } from "./options";
import { DeliveryQueue } from "./queue";
import { DeliveryReport } from "./report";
import { RequestBudget } from "./request-budget";
import { TokenProvider } from "./token-provider";
import { BatchTransport, RejectedByIndex, SendOutcome } from "./transport";

export class BatchSender {
	/** Failed requests in a row (0: the backend answers). */
	failures = 0;
	/** os.clock of the first failure of the current outage. */
	failingSince?: number;
	/** No request before this os.clock (backoff, Retry-After, the request budget). */
	blockedUntil = 0;
	/** Nothing can be sent: HTTP requests are off or the game key's secret is missing (see first-run.ts). */
	cannotSend = false;
	/** HTTP on and the game key found (read again every RECHECK_SECONDS). */
	readonly gate: SendGate;
	/** Batches are settled locally, never sent (the `dryRun` option, or an unpublished place). */
	readonly dryRun: boolean;
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
		this.dryRun = options.dryRun;
		this.gate =
			deps.gate ??
			new SendGate(
				{ studio: isStudio, secretName: options.gameKeySecret, maxQueuedEvents: options.maxQueuedEvents },
				report.warnings,
			);
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
		if (this.dryRun) return this.keepLocal(batch, list);
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

	/** Dry run: the batch is done without a request, counted (and printed with `debug`). */
	private keepLocal(batch: SealedBatch, list: SealedBatch[]): SendOutcome {
		this.queue.replace(list, batch, []);
		const counters = this.report.counters;
		counters.dryRunBatches += 1;
		counters.dryRunEvents += batch.count;
		if (this.report.debug) {
			const names = new Map<string, number>();
			const order = new Array<string>();
			for (const e of decodeEvents(batch)) {
				const label = `${e.type} "${e.name}"`;
				if (!names.has(label)) order.push(label);
				names.set(label, (names.get(label) ?? 0) + 1);
			}
			const kinds = order.map((label) => `${label} ×${names.get(label)}`).join(", ");
			print(
				`[Vantage] dry run: batch ${batch.id} not sent: ${batch.count} events, ${batch.eventsJson.size()} bytes of JSON (${kinds})`,
			);
		}
		return { kind: "dryRun", events: batch.count };
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
				if (this.report.debug) {
					print(
						`[Vantage] batch ${batch.id}: HTTP ${outcome.status}, ${outcome.accepted} accepted, ${outcome.duplicates} duplicates, ${outcome.rejected.size()} rejected`,
					);
				}
				return;
			}
			case "split": {
				const halves = splitBatch(batch);
				if (halves) {
					this.queue.replace(list, batch, halves);
					if (this.report.debug) {
						print(`[Vantage] batch ${batch.id}: HTTP ${outcome.status}, too large: split in two and sent again`);
					}
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
					if (this.report.debug) {
						print(`[Vantage] batch ${batch.id}: ${outcome.message}: ${batch.count} events dropped, not retried`);
					}
				}
				this.recovered(now);
				return;
			}
			case "wait": {
				this.blockedUntil = now + outcome.retryAfter;
				if (this.report.debug) {
					print(
						`[Vantage] batch ${batch.id}: not sent, request budget used up (maxRequestsPerMinute); sending in ${"%.1f".format(outcome.retryAfter)} s`,
					);
				}
				return;
			}
			case "disabled": {
				this.gate.httpRefused();
				this.setCannotSend("httpOff", outcome.message);
				return;
			}
			case "dryRun":
				return;
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
				if (this.report.debug) {
					print(
						`[Vantage] batch ${batch.id}: ${outcome.message}; ${batch.count} events kept, retrying in ${"%.1f".format(delay)} s`,
					);
				}
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

	/**
	 * Whether nothing can be sent now: HTTP requests off or no game key (the gate reads them at most every
	 * RECHECK_SECONDS and says each problem once).
	 */
	checkCannotSend(): boolean {
		this.gate.open();
		const blocker = this.gate.blockers[0];
		this.setCannotSend(
			blocker,
			blocker === "noSecret" ? "the game key's secret was not found" : "HttpService.HttpEnabled is false",
		);
		return this.cannotSend;
	}

	/**
	 * Signals (`deliveryError`, kind `disabled` or `auth`) when sending stops being possible: the gate has said why;
	 * prints when it is possible again.
	 */
	private setCannotSend(blocker: Blocker | undefined, message: string): void {
		const cannot = blocker !== undefined;
		if (cannot && !this.cannotSend) {
			const kind = blocker === "noSecret" ? "auth" : "disabled";
			this.report.signals.deliveryError.Fire({ kind, message, willRetry: true });
		}
		if (!cannot && this.cannotSend && this.report.debug) print("[Vantage] requests are possible again: sending");
		this.cannotSend = cannot;
	}
}
