// Harness-only globals of the Jest VM (not Roblox): the scripted backend of test/harness/services/scripted-backend.ts.

/** One scripted answer of the scripted backend, used once. */
interface HarnessScriptedResponse {
	/** @default 200 */
	status?: number;
	headers?: Record<string, string>;
	body?: string;
	/** Sent as JSON. */
	json?: unknown;
	/** Destroy the connection instead of answering: RequestAsync throws ("HttpError: NetFail"). */
	networkError?: boolean;
	/** Let the default handler process the request first (store the batch), then answer as scripted. */
	process?: boolean;
}

/** One request the scripted backend received. */
interface HarnessReceivedRequest {
	method: string;
	path: string;
	/** Virtual seconds of the VM (os.clock) when it sent the request. */
	at: number;
	authorization: string;
	contentEncoding: string;
	wireBytes: number;
	bodyBytes: number;
	/** Status answered, or "network" for a destroyed connection. */
	outcome: number | "network";
	batchId?: string;
	sentAt?: number;
	eventCount?: number;
	/** Only when requests() was asked for ids. */
	eventIds?: string[];
}

interface HarnessDataStoreRequest {
	vm: string;
	method: string;
	key: string;
	/** Unix ms of the calling VM's clock. */
	at: number;
	/** "" when the request succeeded. */
	error: string;
}

declare const HarnessBackend: {
	/** Base URL of the scripted backend (http://127.0.0.1:<port>). */
	readonly url: string;
	/** The game key it accepts; the Jest VM's secret `vantage_game_key` holds it. */
	readonly gameKey: string;
	/** Back to the defaults: no scripts, no requests, no stored batches or tokens, HTTP enabled. */
	reset(this: void): void;
	/** Queues answers for a route such as "POST /v1/batches", each used once, in order; then the default behaviour. */
	script(this: void, route: string, responses: HarnessScriptedResponse[]): void;
	/** While down, every request fails at the network level. */
	setDown(this: void, down: boolean): void;
	/** Lifetime of the tokens issued from now on (default 900 s), enforced on the VM's virtual clock. */
	setTokenTtl(this: void, seconds: number): void;
	/** Most events per batch before a 400 about `events` (default 10000). */
	setMaxEvents(this: void, n: number): void;
	/** Requests received (optionally of one route), oldest first. */
	requests(this: void, route?: string, withIds?: boolean): HarnessReceivedRequest[];
	/** Event ids the default handler stored, in arrival order (each at most once). */
	storedEventIds(this: void): string[];
	/** HttpService.HttpEnabled of the Jest VM (as Studio's game setting would). */
	setHttpEnabled(this: void, enabled: boolean): void;
	readonly dataStore: {
		/** Makes the next `count` calls of `method` fail (all calls when count is 0, until clearFailures). */
		fail(this: void, method: string, count?: number, message?: string): void;
		clearFailures(this: void): void;
		keys(this: void, store: string): string[];
		get(this: void, store: string, key: string): unknown;
		set(this: void, store: string, key: string, value: unknown): void;
		/** Requests that reached the store (after budgets), oldest first. */
		requests(this: void, store: string): HarnessDataStoreRequest[];
	};
};
