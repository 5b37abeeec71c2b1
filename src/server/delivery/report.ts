// What delivery tells the game: the counters behind `Vantage.stats()`, the public signals and the warnings. Every
// part of the pipeline reports through one DeliveryReport, so a count and its signal never drift apart.
import Signal from "@rbxts/signal";
import { WireEvent } from "../../shared/protocol";
import { DeliveryDeps, DeliverySignals, DeliveryWarnings } from "./contracts";

/** Props shown per event in debug lines; the rest is counted. */
const DEBUG_PROPS = 6;
/** Characters of a string prop shown in debug lines. */
const DEBUG_TEXT = 40;

/** A prop value as a debug line shows it: strings quoted and cut, numbers and booleans as they are. */
function showValue(value: unknown): string {
	if (!typeIs(value, "string")) return tostring(value);
	return value.size() > DEBUG_TEXT ? `"${value.sub(1, DEBUG_TEXT)}…"` : `"${value}"`;
}

/**
 * One event as a debug line shows it: type, name, who, and its first props by name.
 *
 * @example
 * describeEvent({ type: "custom", name: "level_up", userId: 7, props: { level: 3 }, ... }) // → 'custom "level_up" user 7 {level=3}'
 */
export function describeEvent(event: WireEvent): string {
	const keys = new Array<string>();
	for (const [key] of pairs(event.props)) keys.push(key as string);
	keys.sort();
	const shown = new Array<string>();
	for (let i = 0; i < math.min(keys.size(), DEBUG_PROPS); i++)
		shown.push(`${keys[i]}=${showValue(event.props[keys[i]])}`);
	if (keys.size() > DEBUG_PROPS) shown.push(`+${keys.size() - DEBUG_PROPS} more`);
	const who = event.userId === 0 ? "server-wide" : `user ${event.userId}`;
	return `${event.type} "${event.name}" ${who} {${shown.join(", ")}}`;
}

/** The pipeline's counters (see DeliveryStats for each). */
export interface DeliveryCounters {
	sent: number;
	rejected: number;
	dropped: number;
	failedRequests: number;
	retried: number;
	spilled: number;
	drained: number;
	dryRunBatches: number;
	dryRunEvents: number;
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
		dryRunBatches: 0,
		dryRunEvents: 0,
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

	/** Debug: one line per event queued (`events[from..]`). */
	queued(events: readonly WireEvent[], from: number): void {
		for (let i = from; i < events.size(); i++) print(`[Vantage] queued ${describeEvent(events[i])}`);
	}

	/** Events given up for good: counted and signalled. */
	drop(count: number, reason: string): void {
		this.counters.dropped += count;
		this.signals.eventsDropped.Fire(count, reason);
	}
}
