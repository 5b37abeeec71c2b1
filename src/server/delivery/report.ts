// What delivery tells the game: the counters behind `Vantage.stats()`, the public signals and the warnings. Every
// part of the pipeline reports through one DeliveryReport, so a count and its signal never drift apart.
import Signal from "@rbxts/signal";
import { DeliveryDeps, DeliverySignals, DeliveryWarnings } from "./contracts";

/** The pipeline's counters (see DeliveryStats for each). */
export interface DeliveryCounters {
	sent: number;
	rejected: number;
	dropped: number;
	failedRequests: number;
	retried: number;
	spilled: number;
	drained: number;
}

export class DeliveryReport {
	readonly signals: DeliverySignals;
	readonly counters: DeliveryCounters = {
		sent: 0,
		rejected: 0,
		dropped: 0,
		failedRequests: 0,
		retried: 0,
		spilled: 0,
		drained: 0,
	};

	constructor(
		readonly warnings: DeliveryWarnings,
		/** Print a line per delivery step (`debug` option). */
		readonly debug: boolean,
		signals: DeliveryDeps["signals"],
	) {
		this.signals = {
			eventsDropped: signals?.eventsDropped ?? new Signal(),
			eventsRejected: signals?.eventsRejected ?? new Signal(),
			deliveryError: signals?.deliveryError ?? new Signal(),
		};
	}

	/** Events given up for good: counted and signalled. */
	drop(count: number, reason: string): void {
		this.counters.dropped += count;
		this.signals.eventsDropped.Fire(count, reason);
	}
}
