// Stand-ins for the specs: a sink that keeps events, warnings that are recorded, stand-in players (specs run in one
// server VM without clients, so there are no real Players) and session sources answering from tables.
import { Props, WireEvent } from "../../../../src/shared/protocol";
import { DeferredEvents } from "../../../../src/server/delivery/contracts";
import { TrackingOptions, TRACKING_DEFAULTS } from "../../../../src/server/options";
import { FirstVisit, SessionSources } from "../../../../src/server/tracking/sessions";
import { Tracking, TrackingDeps } from "../../../../src/server/tracking/tracking";

/** Keeps events; tracking's records are built (as the delivery worker does when it seals) whenever they are read. */
export class RecordingSink {
	private readonly built = new Array<WireEvent>();
	private source?: DeferredEvents;
	enqueue(event: WireEvent): void {
		this.built.push(event);
	}
	attach(source: DeferredEvents): void {
		this.source = source;
	}
	/** Builds what tracking recorded (the worker's seal), then returns every event so far. */
	all(): WireEvent[] {
		this.source?.buildInto(this.built);
		return this.built;
	}
	/** Records not built yet. */
	waiting(): number {
		return this.source?.waiting() ?? 0;
	}
	ofType(eventType: WireEvent["type"]): WireEvent[] {
		return this.all().filter((e) => e.type === eventType);
	}
}

export class RecordingWarnings {
	readonly messages = new Array<string>();
	warn(message: string): void {
		this.messages.push(message);
	}
}

/** A stand-in Player: a table with the properties tracking reads. */
export interface FakePlayer {
	UserId: number;
	Name: string;
	AccountAge: number;
	premium: boolean;
	LocaleId: string;
	country?: string;
	present: boolean;
}

export function fakePlayer(userId: number, extra: Partial<FakePlayer> = {}): Player {
	const p: FakePlayer = {
		UserId: userId,
		Name: `player${userId}`,
		AccountAge: 100,
		premium: false,
		LocaleId: "en-us",
		present: true,
		...extra,
	};
	return p as unknown as Player;
}

export function isFakePlayer(value: unknown): value is Player {
	return typeIs(value, "table") && typeIs((value as FakePlayer).UserId, "number");
}

/** Session sources answering from the stand-in players; lookups wait `latency` seconds, or error when told to. */
export function fakeSources(
	opts: {
		latency?: number;
		countryFails?: boolean;
		firstVisit?: (userId: number) => FirstVisit | undefined;
		firstVisitFails?: boolean;
	} = {},
): SessionSources {
	return {
		facts: (player) => {
			const p = player as unknown as FakePlayer;
			const join: Props = { teleported: false };
			return { userId: p.UserId, accountAge: p.AccountAge, premium: p.premium, locale: p.LocaleId, join };
		},
		present: (player) => (player as unknown as FakePlayer).present,
		country: (player) => {
			if (opts.latency !== undefined) task.wait(opts.latency);
			if (opts.countryFails) error("GetCountryRegionForPlayerAsync failed: HTTP 500");
			return (player as unknown as FakePlayer).country ?? "US";
		},
		firstVisit: (userId) => {
			if (opts.latency !== undefined) task.wait(opts.latency);
			if (opts.firstVisitFails) error("502: API Services rejected request");
			return opts.firstVisit ? opts.firstVisit(userId) : { firstVisit: true, firstSeen: 1767225600 };
		},
	};
}

export const SERVER_PROPS: Props = {
	jobId: "job-1",
	placeId: 42,
	placeVersion: 7,
	serverType: "public",
	studio: false,
};

/** A Tracking wired to fakes (not started: nothing is connected to the game). */
export function fakeTracking(
	overrides: Partial<TrackingOptions> = {},
	deps: Partial<TrackingDeps> = {},
): { tracking: Tracking; sink: RecordingSink; warnings: RecordingWarnings } {
	const sink = new RecordingSink();
	const warnings = new RecordingWarnings();
	const tracking = new Tracking({
		sink,
		warnings,
		options: { ...TRACKING_DEFAULTS, firstVisitStore: false, sessionStartWaitSeconds: 2, ...overrides },
		serverGuid: "{4b1d0c2e-1111-4222-8333-944455556666}",
		playerOf: (value) => (isFakePlayer(value) ? value : undefined),
		sources: fakeSources(),
		serverProps: SERVER_PROPS,
		...deps,
	});
	return { tracking, sink, warnings };
}

/** Keys of a table, sorted (for comparing shapes). */
export function keysOf(t: object): string[] {
	const keys = new Array<string>();
	for (const [k] of pairs(t)) keys.push(k as string);
	keys.sort();
	return keys;
}
