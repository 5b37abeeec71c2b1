/** Delivery options of {@link StartOptions}; every field but `endpoint` has a documented default. */
export interface DeliveryStartOptions {
	/** Base URL of the Vantage backend, e.g. `"https://vantage.example.com"`. */
	endpoint: string;
	/**
	 * Name of the experience secret holding the game key (Creator Hub → experience → Secrets; in Studio, the
	 * local secrets in Game Settings). The key never appears in Luau: it is only placed into a request header.
	 * When the secret cannot be found (or the name is empty) Vantage says once what to do and keeps the events.
	 * @default "vantage_game_key"
	 */
	gameKeySecret?: string;
	/**
	 * Keep events local: the whole pipeline runs (validation, consent gate, enrichment, batching) but nothing is sent
	 * and nothing is saved to DataStore for delivery; each batch is counted in `stats().dryRunBatches` and
	 * `dryRunEvents` (and printed with `debug`). Experiments assign from `experimentConfig` without fetching, by hash
	 * (no kept assignments), and first visits are not looked up. An unpublished place always runs this way.
	 * @default false
	 */
	dryRun?: boolean;
	/**
	 * Seconds between flushes of queued events. A batch also leaves early once it holds `maxBatchEvents` events or
	 * `maxBatchBytes` bytes.
	 * @default 10
	 */
	flushSeconds?: number;
	/**
	 * Most events in one request (at most 10000; the backend must accept as many).
	 * @default 10000
	 */
	maxBatchEvents?: number;
	/**
	 * Most bytes of JSON in one request body before compression (64 KiB to 4 MiB). Requests are gzip-compressed, so
	 * what travels is several times smaller, far under the backend's 1 MiB wire limit; a body the backend still
	 * refuses as too large (413) is split in halves.
	 * @default 2097152 (2 MiB)
	 */
	maxBatchBytes?: number;
	/**
	 * Most HTTP requests Vantage makes per minute on one server (tokens, batches and retries together). Roblox allows
	 * 500 per minute per server for the whole game; at 1000 events per second Vantage needs about 6.
	 * @default 30
	 */
	maxRequestsPerMinute?: number;
	/**
	 * Most events held in memory. Overflow policy: past half of it, the oldest batches move to DataStore (a later
	 * request or another server sends them); past all of it (DataStore unavailable or too slow), the oldest events
	 * are dropped, counted in `stats().dropped` and reported through the `eventsDropped` signal.
	 * @default 100000
	 */
	maxQueuedEvents?: number;
	/**
	 * Seconds the backend may stay unreachable before queued batches move to DataStore, so that a crash or a
	 * shutdown during a long outage loses nothing.
	 * @default 60
	 */
	spillAfterSeconds?: number;
	/**
	 * Name of the DataStore that holds batches during outages and after shutdowns. Every server of the experience
	 * drains it; it only ever holds batches not yet acknowledged by the backend.
	 * @default "VantageSpill"
	 */
	spillStore?: string;
	/**
	 * Seconds between looks for batches that other servers left in `spillStore` (one ListKeysAsync each, from the
	 * server's DataStore budget); batches found are sent with their original times.
	 * @default 120
	 */
	spillDrainSeconds?: number;
}

export interface DeliveryOptions {
	endpoint: string;
	gameKeySecret: string;
	flushSeconds: number;
	maxBatchEvents: number;
	maxBatchBytes: number;
	maxRequestsPerMinute: number;
	maxQueuedEvents: number;
	spillAfterSeconds: number;
	spillStore: string;
	spillDrainSeconds: number;
	dryRun: boolean;
	debug: boolean;
}

/** Most events per batch the SDK will build; the backend's limit (server/ingest/schema.ts) must be at least this. */
export const MAX_BATCH_EVENTS = 10000;
const KIB = 1024;
const MIB = 1024 * KIB;

export const DELIVERY_DEFAULTS = {
	gameKeySecret: "vantage_game_key",
	flushSeconds: 10,
	maxBatchEvents: MAX_BATCH_EVENTS,
	maxBatchBytes: 2 * MIB,
	maxRequestsPerMinute: 30,
	maxQueuedEvents: 100000,
	spillAfterSeconds: 60,
	spillStore: "VantageSpill",
	spillDrainSeconds: 120,
} as const;

function isNumberIn(value: unknown, min: number, max: number): value is number {
	return typeIs(value, "number") && value >= min && value <= max;
}

/** Merges delivery options with defaults once; returns an error message for options that cannot work. */
export function resolveDeliveryOptions(options: DeliveryStartOptions, debug: boolean): DeliveryOptions | string {
	if (!typeIs(options.endpoint, "string") || options.endpoint.size() === 0) {
		return "Vantage.start: `endpoint` must be the backend's base URL";
	}
	const [endpoint] = options.endpoint.gsub("/+$", "");
	const gameKeySecret = options.gameKeySecret ?? DELIVERY_DEFAULTS.gameKeySecret;
	// An empty name is a first-run problem (said once at start, events kept), not an unusable option.
	if (!typeIs(gameKeySecret, "string")) return "Vantage.start: `gameKeySecret` must name an experience secret";
	const dryRun = options.dryRun ?? false;
	if (!typeIs(dryRun, "boolean")) return "Vantage.start: `dryRun` must be a boolean";
	const flushSeconds = options.flushSeconds ?? DELIVERY_DEFAULTS.flushSeconds;
	const maxBatchEvents = options.maxBatchEvents ?? DELIVERY_DEFAULTS.maxBatchEvents;
	const maxBatchBytes = options.maxBatchBytes ?? DELIVERY_DEFAULTS.maxBatchBytes;
	const maxRequestsPerMinute = options.maxRequestsPerMinute ?? DELIVERY_DEFAULTS.maxRequestsPerMinute;
	const maxQueuedEvents = options.maxQueuedEvents ?? DELIVERY_DEFAULTS.maxQueuedEvents;
	const spillAfterSeconds = options.spillAfterSeconds ?? DELIVERY_DEFAULTS.spillAfterSeconds;
	const spillStore = options.spillStore ?? DELIVERY_DEFAULTS.spillStore;
	const spillDrainSeconds = options.spillDrainSeconds ?? DELIVERY_DEFAULTS.spillDrainSeconds;
	if (!isNumberIn(flushSeconds, 1, 3600)) return "Vantage.start: `flushSeconds` must be between 1 and 3600";
	if (!isNumberIn(maxBatchEvents, 1, MAX_BATCH_EVENTS)) {
		return `Vantage.start: \`maxBatchEvents\` must be between 1 and ${MAX_BATCH_EVENTS}`;
	}
	if (!isNumberIn(maxBatchBytes, 64 * KIB, 4 * MIB)) {
		return "Vantage.start: `maxBatchBytes` must be between 65536 and 4194304";
	}
	// Half of Roblox's 500 requests/min per server at most: the game's own requests share that budget.
	if (!isNumberIn(maxRequestsPerMinute, 2, 250)) {
		return "Vantage.start: `maxRequestsPerMinute` must be between 2 and 250";
	}
	if (!isNumberIn(maxQueuedEvents, 2 * maxBatchEvents, math.huge)) {
		return "Vantage.start: `maxQueuedEvents` must be at least twice `maxBatchEvents`";
	}
	if (!isNumberIn(spillAfterSeconds, 0, 86400)) {
		return "Vantage.start: `spillAfterSeconds` must be between 0 and 86400";
	}
	// DataStore names: at most 50 characters.
	if (!typeIs(spillStore, "string") || spillStore.size() === 0 || spillStore.size() > 50) {
		return "Vantage.start: `spillStore` must be a DataStore name of 1 to 50 characters";
	}
	if (!isNumberIn(spillDrainSeconds, 10, 86400)) {
		return "Vantage.start: `spillDrainSeconds` must be between 10 and 86400";
	}
	return {
		endpoint,
		gameKeySecret,
		flushSeconds,
		maxBatchEvents,
		maxBatchBytes,
		maxRequestsPerMinute,
		maxQueuedEvents,
		spillAfterSeconds,
		spillStore,
		spillDrainSeconds,
		dryRun,
		debug,
	};
}
