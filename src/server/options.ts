import { DeliveryOptions, DeliveryStartOptions, resolveDeliveryOptions } from "./delivery/options";
import { parseConfig, ParsedConfig } from "./experiments/config";

/**
 * An experiment config given in the game (`experimentConfig`): the document `GET /v1/config` serves, as a Luau table.
 * Each experiment: `key`, `status` ("running"), `variations` (`{ key, weight? }`, control first) and optionally
 * `coverage`, `hashAttribute`, `seed`, `hashVersion`, `condition`; each flag: `key`, `enabled`, `variations`,
 * `coverage`, `hashAttribute`, `seed`, `hashVersion`.
 */
export interface ExperimentConfigDocument {
	experiments: unknown[];
	flags?: unknown[];
}

/** Options for `Vantage.start`. Every field but `endpoint` has a documented default. */
export interface StartOptions extends DeliveryStartOptions {
	/**
	 * Print what the SDK does to the Output window: each event as it is queued (type, name, player, props) and each
	 * batch's outcome (HTTP status, events accepted and rejected, the wait before a retry). Nothing when false.
	 * @default false
	 */
	debug?: boolean;
	/**
	 * Experiments served before the backend's config arrives, and the only config of a dry run (which never fetches).
	 * Malformed entries are left out with one warning.
	 * @default undefined (experiments answer `noConfig` until the backend's config arrives)
	 */
	experimentConfig?: ExperimentConfigDocument;
	/**
	 * Send script errors (ScriptContext.Error on the server, and on clients running `VantageClient`) as `error`
	 * events. The same error is sent at most once per {@link errorRepeatSeconds}, with a count of its repeats.
	 * @default true
	 */
	captureErrors?: boolean;
	/**
	 * Most `error` events per minute for the whole server; errors over it are counted, not sent.
	 * @default 30
	 */
	maxErrorsPerMinute?: number;
	/**
	 * Seconds during which a repeat of the same error (message and stack) is only counted.
	 * @default 60
	 */
	errorRepeatSeconds?: number;
	/**
	 * Name of the DataStore that remembers each player's first visit (one key per player: one read per join, one
	 * write on a first visit only, skipped when the server's DataStore budget is low). `false` turns the lookup off
	 * and sessions carry no `firstVisit`.
	 * @default "VantagePlayers"
	 */
	firstVisitStore?: string | false;
	/**
	 * Longest wait, in seconds, for a joining player's country, first visit and device before `session_start` is
	 * sent with what is known. Tracking never waits; `session_end` carries every fact learned later.
	 * @default 10
	 */
	sessionStartWaitSeconds?: number;
	/**
	 * Accept events from `VantageClient` (creates one RemoteEvent in ReplicatedStorage).
	 * @default true
	 */
	clientEvents?: boolean;
	/**
	 * Sustained client messages per second each player may send; more are refused and counted.
	 * @default 2
	 */
	clientEventsPerSecond?: number;
	/**
	 * Client messages a player may send at once before {@link clientEventsPerSecond} applies.
	 * @default 20
	 */
	clientEventBurst?: number;
	/**
	 * Seconds between fetches of the experiment config (`GET /v1/config`). An unchanged config costs one small
	 * request answered 304; a failed fetch is retried sooner and the last good config keeps serving meanwhile. These
	 * requests (one per period, plus a token now and then) have a budget of their own, outside
	 * `maxRequestsPerMinute`: at most {@link configRequestsPerMinute} per minute (5 at the default).
	 * @default 60
	 */
	configRefreshSeconds?: number;
	/**
	 * Name of the DataStore that keeps each player's variation in random, stratified and adaptive experiments (one
	 * key per player: one read when they join, one write per new assignment; skipped while the server's DataStore
	 * budget is low). `false` turns it off: those experiments then assign by hash, like deterministic ones.
	 * @default "VantageAssignments"
	 */
	assignmentStore?: string | false;
	/**
	 * Player consent: `true` (or options) makes Vantage ask for and enforce each player's consent before anything
	 * about them leaves memory. Players in the EEA, the UK and Switzerland (and anyone whose country is unknown) are
	 * asked and tracked only after they agree; elsewhere the game's default set on the backend applies. Answers are
	 * kept in DataStore with the policy version; a new version asks again. `VantageClient` shows the prompt.
	 * `false` leaves consent to the game (everything is tracked).
	 * @default false
	 */
	consent?: boolean | ConsentStartOptions;
}

/** Options of `Vantage.start({ consent = { ... } })`. */
export interface ConsentStartOptions {
	/**
	 * Name of the DataStore keeping each player's answer (one key per player: one read per join, one write per answer).
	 * @default "VantageConsent"
	 */
	dataStore?: string;
	/**
	 * Events kept per player while their answer is awaited (sent if they agree, discarded if not); the oldest go first.
	 * @default 256
	 */
	maxWaitingEvents?: number;
}

export interface ConsentOptions {
	dataStore: string;
	maxWaitingEvents: number;
}

export interface ExperimentOptions {
	configRefreshSeconds: number;
	assignmentStore: string | false;
	/** The parsed `experimentConfig`. */
	initialConfig?: ParsedConfig;
}

export const EXPERIMENT_DEFAULTS: ExperimentOptions = {
	configRefreshSeconds: 60,
	assignmentStore: "VantageAssignments",
};

/**
 * Requests per minute the config fetches may make, on top of `maxRequestsPerMinute`: one per period, and room for
 * tokens, a retry after a 401 and retries after failures.
 */
export function configRequestsPerMinute(refreshSeconds: number): number {
	return math.ceil(60 / refreshSeconds) + 4;
}

export interface TrackingOptions {
	captureErrors: boolean;
	maxErrorsPerMinute: number;
	errorRepeatSeconds: number;
	firstVisitStore: string | false;
	sessionStartWaitSeconds: number;
	clientEvents: boolean;
	clientEventsPerSecond: number;
	clientEventBurst: number;
}

export const TRACKING_DEFAULTS: TrackingOptions = {
	captureErrors: true,
	maxErrorsPerMinute: 30,
	errorRepeatSeconds: 60,
	firstVisitStore: "VantagePlayers",
	sessionStartWaitSeconds: 10,
	clientEvents: true,
	clientEventsPerSecond: 2,
	clientEventBurst: 20,
};

export interface ResolvedOptions {
	delivery: DeliveryOptions;
	tracking: TrackingOptions;
	experiments: ExperimentOptions;
	/** Undefined: consent is left to the game. */
	consent?: ConsentOptions;
	debug: boolean;
}

const isPositive = (value: unknown): value is number => typeIs(value, "number") && value > 0 && value < math.huge;

/** Merges the tracking options with defaults once; returns an error message for options that cannot work. */
export function resolveTrackingOptions(options: StartOptions): TrackingOptions | string {
	const o: TrackingOptions = {
		captureErrors: options.captureErrors ?? TRACKING_DEFAULTS.captureErrors,
		maxErrorsPerMinute: options.maxErrorsPerMinute ?? TRACKING_DEFAULTS.maxErrorsPerMinute,
		errorRepeatSeconds: options.errorRepeatSeconds ?? TRACKING_DEFAULTS.errorRepeatSeconds,
		firstVisitStore: options.firstVisitStore ?? TRACKING_DEFAULTS.firstVisitStore,
		sessionStartWaitSeconds: options.sessionStartWaitSeconds ?? TRACKING_DEFAULTS.sessionStartWaitSeconds,
		clientEvents: options.clientEvents ?? TRACKING_DEFAULTS.clientEvents,
		clientEventsPerSecond: options.clientEventsPerSecond ?? TRACKING_DEFAULTS.clientEventsPerSecond,
		clientEventBurst: options.clientEventBurst ?? TRACKING_DEFAULTS.clientEventBurst,
	};
	if (!typeIs(o.captureErrors, "boolean")) return "Vantage.start: `captureErrors` must be a boolean";
	if (!isPositive(o.maxErrorsPerMinute)) return "Vantage.start: `maxErrorsPerMinute` must be a positive number";
	if (!typeIs(o.errorRepeatSeconds, "number") || o.errorRepeatSeconds < 0) {
		return "Vantage.start: `errorRepeatSeconds` must be a number of at least 0";
	}
	const store = o.firstVisitStore;
	if (store !== false && (!typeIs(store, "string") || store.size() === 0 || store.size() > 50)) {
		return "Vantage.start: `firstVisitStore` must be a DataStore name (1-50 characters) or false";
	}
	if (!typeIs(o.sessionStartWaitSeconds, "number") || o.sessionStartWaitSeconds < 0) {
		return "Vantage.start: `sessionStartWaitSeconds` must be a number of at least 0";
	}
	if (!typeIs(o.clientEvents, "boolean")) return "Vantage.start: `clientEvents` must be a boolean";
	if (!isPositive(o.clientEventsPerSecond)) return "Vantage.start: `clientEventsPerSecond` must be a positive number";
	if (!typeIs(o.clientEventBurst, "number") || o.clientEventBurst < 1) {
		return "Vantage.start: `clientEventBurst` must be at least 1";
	}
	return o;
}

/** Merges the experiment options with defaults once; returns an error message for options that cannot work. */
export function resolveExperimentOptions(options: StartOptions): ExperimentOptions | string {
	const o: ExperimentOptions = {
		configRefreshSeconds: options.configRefreshSeconds ?? EXPERIMENT_DEFAULTS.configRefreshSeconds,
		assignmentStore: options.assignmentStore ?? EXPERIMENT_DEFAULTS.assignmentStore,
	};
	if (!typeIs(o.configRefreshSeconds, "number") || o.configRefreshSeconds < 10 || o.configRefreshSeconds > 3600) {
		return "Vantage.start: `configRefreshSeconds` must be between 10 and 3600";
	}
	const store = o.assignmentStore;
	if (store !== false && (!typeIs(store, "string") || store.size() === 0 || store.size() > 50)) {
		return "Vantage.start: `assignmentStore` must be a DataStore name (1-50 characters) or false";
	}
	if (options.experimentConfig !== undefined) {
		const parsed = parseConfig(options.experimentConfig);
		if (!parsed) {
			return "Vantage.start: `experimentConfig` must be a config document: { experiments = { ... }, flags = { ... } }";
		}
		o.initialConfig = parsed;
	}
	return o;
}

/** The consent options (undefined when consent is left to the game), or an error message. */
export function resolveConsentOptions(options: StartOptions): ConsentOptions | undefined | string {
	const c = options.consent;
	if (c === undefined || c === false) return undefined;
	if (c !== true && !typeIs(c, "table")) return "Vantage.start: `consent` must be true, false or an options table";
	const o: ConsentOptions = {
		dataStore: (c !== true ? c.dataStore : undefined) ?? "VantageConsent",
		maxWaitingEvents: (c !== true ? c.maxWaitingEvents : undefined) ?? 256,
	};
	if (!typeIs(o.dataStore, "string") || o.dataStore.size() === 0 || o.dataStore.size() > 50) {
		return "Vantage.start: `consent.dataStore` must be a DataStore name (1-50 characters)";
	}
	if (!typeIs(o.maxWaitingEvents, "number") || o.maxWaitingEvents < 0 || o.maxWaitingEvents % 1 !== 0) {
		return "Vantage.start: `consent.maxWaitingEvents` must be a whole number of at least 0";
	}
	return o;
}

/** Merges options with defaults once; returns an error message for options that cannot work. */
export function resolveOptions(options: StartOptions): ResolvedOptions | string {
	if (!typeIs(options, "table")) return "Vantage.start expects an options table";
	const debug = options.debug === true;
	const delivery = resolveDeliveryOptions(options, debug);
	if (typeIs(delivery, "string")) return delivery;
	const tracking = resolveTrackingOptions(options);
	if (typeIs(tracking, "string")) return tracking;
	const experiments = resolveExperimentOptions(options);
	if (typeIs(experiments, "string")) return experiments;
	const consent = resolveConsentOptions(options);
	if (typeIs(consent, "string")) return consent;
	if (delivery.dryRun) keepLocal(tracking, experiments);
	return { delivery, tracking, experiments, consent, debug };
}

/**
 * A dry run writes nothing that would change later analytics: no first-visit records, no kept assignments
 * (random, stratified and adaptive experiments assign by hash). Consent answers are still kept: they are the player's.
 */
export function keepLocal(tracking: TrackingOptions, experiments: ExperimentOptions): void {
	tracking.firstVisitStore = false;
	experiments.assignmentStore = false;
}
