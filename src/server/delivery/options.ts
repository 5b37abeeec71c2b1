/** Delivery options of {@link StartOptions}; every field but `endpoint` has a documented default. */
export interface DeliveryStartOptions {
	/** Base URL of the Vantage backend, e.g. `"https://vantage.example.com"`. */
	endpoint: string;
	/**
	 * Name of the experience secret holding the game key (Creator Hub → experience → Secrets; in Studio, the
	 * local secrets in Game Settings). The key never appears in Luau: it is only placed into a request header.
	 * @default "vantage_game_key"
	 */
	gameKeySecret?: string;
	/**
	 * Seconds between flushes of queued events.
	 * @default 10
	 */
	flushSeconds?: number;
	/**
	 * Most events in one request. The backend accepts at most 1000.
	 * @default 500
	 */
	maxBatchEvents?: number;
	/**
	 * Most events held in memory; past it the oldest are dropped and counted.
	 * @default 20000
	 */
	maxQueuedEvents?: number;
}

export interface DeliveryOptions {
	endpoint: string;
	gameKeySecret: string;
	flushSeconds: number;
	maxBatchEvents: number;
	maxQueuedEvents: number;
	debug: boolean;
}

export const DELIVERY_DEFAULTS = {
	gameKeySecret: "vantage_game_key",
	flushSeconds: 10,
	maxBatchEvents: 500,
	maxQueuedEvents: 20000,
} as const;

/** Merges delivery options with defaults once; returns an error message for options that cannot work. */
export function resolveDeliveryOptions(options: DeliveryStartOptions, debug: boolean): DeliveryOptions | string {
	if (!typeIs(options.endpoint, "string") || options.endpoint.size() === 0) {
		return "Vantage.start: `endpoint` must be the backend's base URL";
	}
	const [endpoint] = options.endpoint.gsub("/+$", "");
	const gameKeySecret = options.gameKeySecret ?? DELIVERY_DEFAULTS.gameKeySecret;
	if (!typeIs(gameKeySecret, "string") || gameKeySecret.size() === 0) {
		return "Vantage.start: `gameKeySecret` must name an experience secret";
	}
	const flushSeconds = options.flushSeconds ?? DELIVERY_DEFAULTS.flushSeconds;
	const maxBatchEvents = options.maxBatchEvents ?? DELIVERY_DEFAULTS.maxBatchEvents;
	const maxQueuedEvents = options.maxQueuedEvents ?? DELIVERY_DEFAULTS.maxQueuedEvents;
	if (!typeIs(flushSeconds, "number") || flushSeconds < 1) return "Vantage.start: `flushSeconds` must be at least 1";
	if (!typeIs(maxBatchEvents, "number") || maxBatchEvents < 1 || maxBatchEvents > 1000) {
		return "Vantage.start: `maxBatchEvents` must be between 1 and 1000";
	}
	if (!typeIs(maxQueuedEvents, "number") || maxQueuedEvents < maxBatchEvents) {
		return "Vantage.start: `maxQueuedEvents` must be at least `maxBatchEvents`";
	}
	return { endpoint, gameKeySecret, flushSeconds, maxBatchEvents, maxQueuedEvents, debug };
}
