// Shared set-up for the delivery specs: pipelines pointed at the scripted backend (HarnessBackend), each with its
// own spill DataStore, events with unique time-ordered ids, and a warning recorder.
import { expect } from "@rbxts/jest-globals";
import { HttpService } from "@rbxts/services";
import { IdGenerator, prefixFromGuid } from "../../../../src/shared/ids";
import { WireEvent } from "../../../../src/shared/protocol";
import { DeliveryDeps, DeliveryError } from "../../../../src/server/delivery/contracts";
import { DeliveryPipeline } from "../../../../src/server/delivery/pipeline";
import { DeliveryOptions, DeliveryStartOptions, resolveDeliveryOptions } from "../../../../src/server/delivery/options";

/** Collects warnings instead of printing them. */
export class Recorder {
	readonly lines = new Array<string>();
	warn(message: string): void {
		this.lines.push(message);
	}
}

/** Delivery options for the scripted backend; a fresh spill DataStore unless one is given. */
export function deliveryOptions(overrides: Partial<DeliveryStartOptions> = {}): DeliveryOptions {
	const resolved = resolveDeliveryOptions(
		{
			endpoint: HarnessBackend.url,
			spillStore: `Spill-${HttpService.GenerateGUID(false).sub(1, 8)}`,
			...overrides,
		},
		false,
	);
	assert(!typeIs(resolved, "string"), resolved as string);
	return resolved as DeliveryOptions;
}

const running = new Array<DeliveryPipeline>();

/** What a pipeline under test reported. */
export interface Observed {
	warnings: Recorder;
	dropped: { count: number; reason: string }[];
	errors: DeliveryError[];
	rejected: { id: string; name: string; code: string }[];
}

/** A started pipeline (not bound to BindToClose, not Studio unless asked) and what it reports. */
export function startPipeline(
	options: DeliveryOptions,
	deps: DeliveryDeps = {},
): { pipeline: DeliveryPipeline; seen: Observed } {
	const seen: Observed = { warnings: new Recorder(), dropped: [], errors: [], rejected: [] };
	const pipeline = new DeliveryPipeline(options, seen.warnings, { bindToClose: false, isStudio: false, ...deps });
	pipeline.signals.eventsDropped.Connect((count, reason) => seen.dropped.push({ count, reason }));
	pipeline.signals.deliveryError.Connect((e) => seen.errors.push(e));
	pipeline.signals.eventsRejected.Connect((events) => {
		for (const e of events) seen.rejected.push({ id: e.id, name: e.name, code: e.code });
	});
	pipeline.start();
	running.push(pipeline);
	return { pipeline, seen };
}

/** Stops every pipeline the spec started (their workers would otherwise keep talking to the backend). */
export function stopAll(): void {
	for (const p of running) p.stop();
	running.clear();
}

const ids = new IdGenerator(prefixFromGuid(HttpService.GenerateGUID(false)), () => DateTime.now().UnixTimestampMillis);

/** `n` custom events with unique ids; `pad` adds a string prop of that many characters. */
export function makeEvents(n: number, pad = 0): WireEvent[] {
	const out = new Array<WireEvent>();
	for (let i = 0; i < n; i++) {
		const props: Record<string, string | number> = { i };
		if (pad > 0) props.pad = string.rep("x", pad);
		out.push({
			id: ids.next(),
			time: DateTime.now().UnixTimestampMillis,
			userId: 1000 + (i % 7),
			sessionId: "S1",
			type: "custom",
			name: "spec_event",
			props,
		});
	}
	return out;
}

/** Enqueues events and returns their ids. */
export function track(pipeline: DeliveryPipeline, n: number, pad = 0): string[] {
	const out = new Array<string>();
	for (const e of makeEvents(n, pad)) {
		pipeline.enqueue(e);
		out.push(e.id);
	}
	return out;
}

/** Enqueues `n` events every `seconds` (virtual), `rounds` times; returns their ids. */
export function trackSteadily(pipeline: DeliveryPipeline, rounds: number, n: number, seconds: number): string[] {
	const out = new Array<string>();
	for (let i = 0; i < rounds; i++) {
		for (const id of track(pipeline, n)) out.push(id);
		task.wait(seconds);
	}
	return out;
}

/** Requests to POST /v1/batches so far. */
export function batchRequests(withIds = false): HarnessReceivedRequest[] {
	return HarnessBackend.requests("POST /v1/batches", withIds);
}

/** Requests to POST /v1/oauth/token so far. */
export function tokenRequests(): HarnessReceivedRequest[] {
	return HarnessBackend.requests("POST /v1/oauth/token");
}

/** How many times each id occurs in a list. */
export function countIds(list: readonly string[]): Map<string, number> {
	const counts = new Map<string, number>();
	for (const id of list) counts.set(id, (counts.get(id) ?? 0) + 1);
	return counts;
}

/**
 * What keeps `seen` from holding each of `expected` exactly once and nothing else: "<id> ×<n>" for an expected id
 * seen n ≠ 1 times, "<id> unexpected" for an id not expected. Empty when each was seen exactly once.
 */
export function exactlyOnceProblems(expected: readonly string[], seen: readonly string[]): string[] {
	const counts = countIds(seen);
	const problems = new Array<string>();
	const wanted = new Set<string>();
	for (const id of expected) {
		wanted.add(id);
		const n = counts.get(id) ?? 0;
		if (n !== 1) problems.push(`${id} ×${n}`);
	}
	for (const [id] of counts) if (!wanted.has(id)) problems.push(`${id} unexpected`);
	return problems;
}

/**
 * Event ids as the transport delivered them: every id of every POST /v1/batches the backend answered 200, in order,
 * counted as they went over the wire, before the backend's de-duplication. A batch delivered twice lists its ids
 * twice (the backend would answer the second from its first answer and store nothing: invisible in
 * `storedEventIds`). Requests that failed (network, 4xx, 5xx) are not deliveries and are left out.
 */
export function deliveredIds(): string[] {
	const out = new Array<string>();
	for (const r of batchRequests(true)) {
		if (r.outcome !== 200) continue;
		for (const id of r.eventIds ?? []) out.push(id);
	}
	return out;
}

/** Each of `ids` delivered exactly once at the transport (and so stored exactly once), nothing else delivered. */
export function expectDeliveredExactlyOnce(ids: readonly string[]): void {
	expect(exactlyOnceProblems(ids, deliveredIds())).toEqual([]);
	expect(exactlyOnceProblems(ids, HarnessBackend.storedEventIds())).toEqual([]);
}

/** Spill chunk keys ("c/…") and lease keys ("l/…") of a spill DataStore. */
export function spillKeys(store: string): { chunks: string[]; leases: string[] } {
	const chunks = new Array<string>();
	const leases = new Array<string>();
	for (const key of HarnessBackend.dataStore.keys(store)) {
		if (key.sub(1, 2) === "c/") chunks.push(key);
		else if (key.sub(1, 2) === "l/") leases.push(key);
	}
	return { chunks, leases };
}

/** Events stored in a spill DataStore's chunks. */
export function spilledEventCount(store: string): number {
	let n = 0;
	for (const key of spillKeys(store).chunks) {
		const chunk = HarnessBackend.dataStore.get(store, key) as { batches: { n: number }[] };
		for (const b of chunk.batches) n += b.n;
	}
	return n;
}
