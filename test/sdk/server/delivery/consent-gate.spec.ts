// The consent gate in the data flow (track → consent gate → enrich → queue → batcher): tracking wired to a real
// pipeline and the scripted backend, with a gate that refuses some categories for some players. What reaches the
// transport is read from the requests the backend received (before its de-duplication); what each id is, from the
// events the worker built.
import { afterEach, beforeEach, describe, expect, it } from "@rbxts/jest-globals";
import {
	CONSENT_CATEGORY_OF,
	ConsentCategory,
	ConsentGate,
	GAME_DEFAULT_CONSENT,
} from "../../../../src/server/delivery/consent-gate";
import { DeferredEvents, EventSink } from "../../../../src/server/delivery/contracts";
import { WireEvent } from "../../../../src/shared/protocol";
import { fakePlayer, fakeTracking } from "../tracking/fakes";
import { deliveredIds, deliveryOptions, exactlyOnceProblems, startPipeline, stopAll } from "./helpers";

beforeEach(() => HarnessBackend.reset());
afterEach(() => stopAll());

/** A policy answering from a set of refusals ("<userId>:<category>"), changed as players answer. */
class RefusalsPolicy implements ConsentGate {
	readonly refused = new Set<string>();
	allows(userId: number, category: ConsentCategory): boolean {
		return !this.refused.has(`${userId}:${category}`);
	}
}

/** Hands tracking's records to the pipeline unchanged and keeps every event the worker builds from them, by id. */
class BuildRecorder implements EventSink {
	readonly built = new Map<string, WireEvent>();
	constructor(private readonly sink: EventSink) {}
	enqueue(event: WireEvent): void {
		this.built.set(event.id, event);
		this.sink.enqueue(event);
	}
	attach(source: DeferredEvents): void {
		const built = this.built;
		this.sink.attach({
			waiting() {
				return source.waiting();
			},
			watch(at, onReached) {
				source.watch(at, onReached);
			},
			buildInto(out, max) {
				const from = out.size();
				source.buildInto(out, max);
				for (let i = from; i < out.size(); i++) built.set(out[i].id, out[i]);
			},
		});
	}
	builtIds(): string[] {
		const ids = new Array<string>();
		for (const [id] of this.built) ids.push(id);
		return ids;
	}
	/** "<userId> <type> <name>" of each id, sorted. */
	describe(ids: readonly string[]): string[] {
		const out = ids.map((id) => {
			const e = this.built.get(id);
			return e ? `${e.userId} ${e.type} ${e.name}` : `${id} never built`;
		});
		out.sort();
		return out;
	}
}

describe("the consent gate", () => {
	it("keeps a refused category's events from ever reaching the transport while other categories and players pass", () => {
		const { pipeline } = startPipeline(deliveryOptions({ flushSeconds: 60 }));
		const recorder = new BuildRecorder(pipeline);
		const policy = new RefusalsPolicy();
		// Ada refuses analytics but takes part in experiments; Bob the other way round.
		policy.refused.add("1001:analytics");
		policy.refused.add("1002:experiments");
		const { tracking } = fakeTracking({}, { sink: recorder, consent: policy });
		const ada = fakePlayer(1001);
		const bob = fakePlayer(1002);
		for (const [player, name] of [
			[ada, "a_event"],
			[bob, "b_event"],
		] as const) {
			// The first call takes the full path (it begins the session), the others the hot path.
			for (let i = 0; i < 3; i++) expect(tracking.track(player, name, { i })).toBe(true);
			tracking.track(player, name);
			tracking.progression(player, "start", ["World1"]);
			tracking.economy(player, { flow: "sink", currency: "Gems", amount: 5, itemType: "Weapons", itemId: "Axe" });
			tracking.funnelStep(player, "onboarding", 1, "spawned");
			// What experiments log when a player sees a variation (setup.ts).
			const userId = player.UserId;
			const sessionId = tracking.sessions.sessionIdFor(player, userId);
			tracking.tracker.emit(userId, sessionId, "exposure", "shop-layout", { variation: 1, mode: "random" });
		}
		// Sessions start once their lookups are in; close ends them and the server's (a server-level event).
		task.wait(3);
		tracking.close();
		expect(pipeline.flush()).toBe(true);

		const delivered = deliveredIds();
		expect(recorder.describe(delivered)).toEqual(
			[
				"0 session_end server",
				"1001 exposure shop-layout",
				"1002 custom b_event",
				"1002 custom b_event",
				"1002 custom b_event",
				"1002 custom b_event",
				"1002 economy sink:Gems",
				"1002 funnel onboarding",
				"1002 progression World1",
				"1002 session_end player",
				"1002 session_start player",
			].sort(),
		);
		// Refused events were never even built (no ids, no validation): the worker built exactly what was sent, and
		// each of those went over the wire once.
		expect(exactlyOnceProblems(recorder.builtIds(), delivered)).toEqual([]);
		expect(tracking.stats().invalidCalls).toBe(0);
	});

	it("applies a decision from the moment it is taken: a withdrawal stops at once, a grant sends nothing from before", () => {
		const { pipeline } = startPipeline(deliveryOptions({ flushSeconds: 60 }));
		const recorder = new BuildRecorder(pipeline);
		const policy = new RefusalsPolicy();
		const { tracking } = fakeTracking({}, { sink: recorder, consent: policy });
		const cy = fakePlayer(1003);
		tracking.track(cy, "before_withdrawal");
		policy.refused.add("1003:analytics");
		tracking.track(cy, "while_withdrawn", { n: 1 });
		tracking.track(cy, "while_withdrawn", { n: 2 });
		policy.refused.delete("1003:analytics");
		tracking.track(cy, "after_grant");
		// All four calls are built together only now, after the grant: the gate answered at each call.
		expect(pipeline.flush()).toBe(true);
		const delivered = deliveredIds();
		const custom = delivered.filter((id) => recorder.built.get(id)?.type === "custom");
		expect(custom.map((id) => recorder.built.get(id)!.name)).toEqual(["before_withdrawal", "after_grant"]);
		expect(exactlyOnceProblems(recorder.builtIds(), delivered)).toEqual([]);
	});

	it("by default (no consent handling configured) allows every category for every player", () => {
		for (const category of ["analytics", "experiments", "personalization"] as ConsentCategory[]) {
			expect(GAME_DEFAULT_CONSENT.allows(1001, category)).toBe(true);
		}
		// Every event type has its category; consent events (the player's answer itself) are never held back.
		expect(CONSENT_CATEGORY_OF.exposure).toBe("experiments");
		expect(CONSENT_CATEGORY_OF.custom).toBe("analytics");
		expect(CONSENT_CATEGORY_OF.consent).toBeUndefined();
	});
});
