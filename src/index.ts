/**
 * Vantage: analytics, experiments and player consent for Roblox games.
 *
 * Server: `Vantage.start(options)` once, then the event API. Client: `VantageClient.start()` once per player.
 * No public function throws into game code or yields (except `flush`); an invalid call warns once per distinct
 * problem, is counted in `Vantage.stats().invalidCalls` and fires `Vantage.invalidCall`.
 *
 * @example
 * ```ts
 * import { Vantage } from "@rbxts/vantage";
 * Vantage.start({ endpoint: "https://vantage.example.com" });
 * Vantage.track(player, "level_up", { level: 3 });
 * ```
 */
import { HttpService, RunService } from "@rbxts/services";
import Signal from "@rbxts/signal";
import { version } from "./shared/version";
import { DeliveryError, DeliveryPipeline, DeliveryStats, RejectedEvent } from "./server/delivery/pipeline";
import { resolveOptions, StartOptions } from "./server/options";
import { Tracking, TrackingStats } from "./server/tracking/tracking";
import { ClientStartOptions, ClientTracker } from "./client/client-tracker";
import { WarnOnce } from "./shared/warn-once";
import { EconomyEvent, ProgressionStatus } from "./shared/validate";
import { Props } from "./shared/protocol";
import { Experiments, Variant } from "./server/experiments/experiments";
import { PlayerAttributes } from "./server/experiments/attributes";
import { createExperiments, sessionSourcesFor } from "./server/experiments/setup";

export type { StartOptions } from "./server/options";
export type { ClientStartOptions } from "./client/client-tracker";
export type { EconomyEvent, ProgressionStatus } from "./shared/validate";
export type { Props, PropValue, EventType, DeviceClass, DeviceInfo } from "./shared/protocol";
export type { DeliveryError, RejectedEvent } from "./server/delivery/pipeline";
export type { Variant, VariantReason } from "./server/experiments/experiments";

/** Counters of what the SDK queued, sent, dropped and refused (`Vantage.stats()`). */
export type Stats = Required<DeliveryStats> & TrackingStats;

/** One line per distinct message for the whole SDK, so a bad call in a loop cannot flood the Output window. */
const warnings = new WarnOnce();
let tracking: Tracking | undefined;
let pipeline: DeliveryPipeline | undefined;
let client: ClientTracker | undefined;
let experiments: Experiments | undefined;

/** Runs a public function's body; an error inside the SDK is warned about once and never reaches game code. */
function guard<T>(fn: string, fallback: T, body: () => T): T {
	const [ok, result] = pcall(body);
	if (ok) return result;
	warnings.warn(`${fn} failed inside the SDK; the game is unaffected (${result})`);
	return fallback;
}

function started(): Tracking | undefined {
	if (tracking === undefined) warnings.warn("call Vantage.start() on the server before tracking events");
	return tracking;
}

function experimentsOf(): Experiments | undefined {
	if (experiments === undefined) warnings.warn("call Vantage.start() on the server before using experiments");
	return experiments;
}

export namespace Vantage {
	/** The SDK's version. */
	export const VERSION = version;

	/**
	 * Fires `(fn, reason)` for every refused call (invalid arguments), e.g. to fail a test or log to your own tools.
	 *
	 * @example
	 * ```ts
	 * Vantage.invalidCall.Connect((fn, reason) => print(`Vantage.${fn} refused: ${reason}`));
	 * ```
	 */
	export const invalidCall = new Signal<(fn: string, reason: string) => void>();

	/**
	 * Fires `(player, reason)` when a client message is refused: each malformed message, and the first message of
	 * each flood over the per-player rate limit (every refused message is counted in `stats()`).
	 *
	 * @example
	 * ```ts
	 * Vantage.clientRejected.Connect((player, reason) => warn(`${player.Name}: ${reason}`));
	 * ```
	 */
	export const clientRejected = new Signal<(player: Player, reason: string) => void>();

	/**
	 * Fires `(count, reason)` whenever events are given up for good (queue overflow past a spill attempt, a batch the
	 * backend will never take, events a shutdown could neither send nor save).
	 *
	 * @example
	 * ```ts
	 * Vantage.eventsDropped.Connect((count, reason) => warn(`${count} analytics events lost: ${reason}`));
	 * ```
	 */
	export const eventsDropped = new Signal<(count: number, reason: string) => void>();

	/**
	 * Fires `(events)` when the backend refused some events of a batch as invalid (the rest was stored).
	 *
	 * @example
	 * ```ts
	 * Vantage.eventsRejected.Connect((events) => warn(`${events[0].name}: ${events[0].message}`));
	 * ```
	 */
	export const eventsRejected = new Signal<(events: RejectedEvent[]) => void>();

	/**
	 * Fires `(error)` for every failed request or spill attempt; `error.willRetry` tells whether the events are kept.
	 *
	 * @example
	 * ```ts
	 * Vantage.deliveryError.Connect((e) => print(`Vantage delivery: ${e.kind} ${e.message}`));
	 * ```
	 */
	export const deliveryError = new Signal<(error: DeliveryError) => void>();

	/**
	 * Starts Vantage on the game server. Call once, from a server Script, before tracking. Sessions begin for players
	 * already in the game and for every player who joins; `BindToClose` ends them and sends what is queued.
	 * Returns false (and warns) when the options cannot work. In Studio with HTTP requests disabled it still starts,
	 * with one warning, and events stay queued.
	 *
	 * @example
	 * ```lua
	 * local Vantage = require(game.ReplicatedStorage.Vantage).Vantage
	 * Vantage.start({ endpoint = "https://vantage.example.com" })
	 * -- with other defaults changed:
	 * Vantage.start({ endpoint = "https://vantage.example.com", flushSeconds = 5, maxErrorsPerMinute = 10 })
	 * ```
	 */
	export function start(options: StartOptions): boolean {
		return guard("Vantage.start", false, () => {
			if (!RunService.IsServer()) {
				warnings.warn("Vantage.start runs on the server; use VantageClient.start on the client");
				return false;
			}
			if (tracking !== undefined) {
				warnings.warn("Vantage.start was already called; ignoring the second call");
				return false;
			}
			const resolved = resolveOptions(options);
			if (typeIs(resolved, "string")) {
				warnings.warn(resolved);
				return false;
			}
			const sink = new DeliveryPipeline(resolved.delivery, warnings, {
				signals: { eventsDropped, eventsRejected, deliveryError },
			});
			// What the session lookups learn (country, first visit) also feeds experiments' targeting and strata.
			const attributes = new PlayerAttributes();
			const t = new Tracking({
				sink,
				warnings,
				options: resolved.tracking,
				sources: sessionSourcesFor(resolved, attributes),
				serverGuid: HttpService.GenerateGUID(false),
				debug: resolved.debug,
				hooks: {
					invalidCall: (fn, reason) => invalidCall.Fire(fn, reason),
					clientRejected: (player, reason) => clientRejected.Fire(player, reason),
				},
			});
			pipeline = sink;
			tracking = t;
			// BindToClose (at most 30 s): end the sessions at once, so their events are queued before the pipeline,
			// which binds its own shutdown in start(), seals and sends or spills what is left.
			game.BindToClose(() => guard("BindToClose", undefined, () => t.close()));
			const x = createExperiments(resolved, warnings, attributes, t);
			experiments = x.experiments;
			sink.start();
			t.start();
			x.experiments.start();
			x.config.start();
			return true;
		});
	}

	/**
	 * Tracks a custom event for a player. Props: at most 64 keys of 1-128 characters, values strings (at most 1024
	 * characters), finite numbers or booleans. The props are copied at once (the table may be reused after the call).
	 *
	 * Returns true when the call was accepted for processing: a player in session, a string name and nil or a plain
	 * table of props. The name and props are validated when the event is sealed into a batch, off the game's hot path
	 * (at most `flushSeconds` later): an invalid one is then refused — warned about once per reason, counted in
	 * `Vantage.stats().invalidCalls` and reported through `Vantage.invalidCall` — although track returned true.
	 * Other calls return false and are refused at once. Never throws, never yields.
	 *
	 * @example
	 * ```ts
	 * Vantage.track(player, "shop_opened", { tab: "weapons" });
	 * ```
	 */
	export function track(player: Player, name: string, props?: Props): boolean {
		// The common case costs no pcall (trackFast cannot throw); anything else takes the guarded full path.
		if (tracking?.trackFast(player, name, props)) return true;
		return guard("Vantage.track", false, () => started()?.track(player, name, props) ?? false);
	}

	/**
	 * Tracks a progression event: a level attempt starts, completes or fails. `path` has 1 to 3 names (world, level,
	 * phase; no ":"); complete and fail also carry the attempt number and the seconds since the matching start.
	 *
	 * @example
	 * ```ts
	 * Vantage.progression(player, "start", ["World1", "Level2"]);
	 * Vantage.progression(player, "complete", ["World1", "Level2"], 1200);
	 * ```
	 */
	export function progression(player: Player, status: ProgressionStatus, path: string[], score?: number): boolean {
		return guard("Vantage.progression", false, () => started()?.progression(player, status, path, score) ?? false);
	}

	/**
	 * Tracks virtual currency flowing into (`source`) or out of (`sink`) a player's balance.
	 *
	 * @example
	 * ```ts
	 * Vantage.economy(player, { flow: "sink", currency: "Gems", amount: 50, itemType: "Weapons", itemId: "IronSword" });
	 * ```
	 */
	export function economy(player: Player, data: EconomyEvent): boolean {
		return guard("Vantage.economy", false, () => started()?.economy(player, data) ?? false);
	}

	/**
	 * Records a developer product purchase. Call it from your ProcessReceipt callback with the receipt it got: it
	 * returns at once (nothing yields, nothing is looked up), so granting is never delayed, and a receipt processed
	 * again (same PurchaseId) is recorded once on this server. Works after the player has left.
	 *
	 * @example
	 * ```ts
	 * MarketplaceService.ProcessReceipt = (receipt) => {
	 *     Vantage.purchase(receipt);
	 *     // ... grant the product ...
	 *     return Enum.ProductPurchaseDecision.PurchaseGranted;
	 * };
	 * ```
	 */
	export function purchase(receipt: ReceiptInfo): boolean {
		return guard("Vantage.purchase", false, () => started()?.purchase(receipt) ?? false);
	}

	/**
	 * Tracks that a player reached step `step` (1, 2, 3, ...) of a funnel, e.g. onboarding or a shop flow.
	 *
	 * @example
	 * ```ts
	 * Vantage.funnelStep(player, "onboarding", 1, "spawned");
	 * Vantage.funnelStep(player, "onboarding", 2, "picked_class");
	 * ```
	 */
	export function funnelStep(player: Player, funnel: string, step: number, name: string): boolean {
		return guard("Vantage.funnelStep", false, () => started()?.funnelStep(player, funnel, step, name) ?? false);
	}

	/**
	 * The variant of an experiment a player should see. Never yields, never throws: it reads the config last fetched
	 * (refreshed every `configRefreshSeconds`) and hashes the player (GrowthBook-compatible), so call it as often as
	 * you like. The first call per player, experiment and session that puts the player in the experiment logs an
	 * `exposure` event (props `variation`, `mode`); QA users forced into a variation are not logged.
	 * `key` is the variation to show: control's when the player does not take part (`inExperiment` false; `reason`
	 * says why), undefined when the experiment is unknown — no config yet (`reason` "noConfig") or not served.
	 * Random, stratified and adaptive experiments keep each player's variation in DataStore; until a joining
	 * player's kept variations have loaded (usually well under a second), they answer with the hash's variation and
	 * `reason` "loading", not counted and not logged.
	 *
	 * @example
	 * ```ts
	 * const variant = Vantage.getVariant(player, "shop-layout");
	 * if (variant.key === "grid") showGridShop(player);
	 * else showListShop(player);
	 * ```
	 */
	export function getVariant(player: Player, experimentKey: string): Variant {
		const fallback: Variant = { index: 0, inExperiment: false, reason: "noConfig" };
		return guard("Vantage.getVariant", fallback, () => experimentsOf()?.getVariant(player, experimentKey) ?? fallback);
	}

	/**
	 * Whether a feature flag is on for a player: its value for them is anything but nil, false, 0 or "". Off while
	 * no config has arrived and for unknown flags. Never yields, never throws.
	 *
	 * @example
	 * ```ts
	 * if (Vantage.isOn(player, "winter-event")) spawnSnow(player);
	 * ```
	 */
	export function isOn(player: Player, flagKey: string): boolean {
		return guard("Vantage.isOn", false, () => experimentsOf()?.isOn(player, flagKey) ?? false);
	}

	/**
	 * A feature flag's value for a player, or `fallback` while no config has arrived, for unknown flags and when the
	 * flag serves null. Never yields, never throws.
	 *
	 * @example
	 * ```ts
	 * const maxPets = Vantage.getFeatureValue(player, "max-pets", 3) as number;
	 * ```
	 */
	export function getFeatureValue(player: Player, flagKey: string, fallback?: unknown): unknown {
		return guard("Vantage.getFeatureValue", fallback, () =>
			experimentsOf()?.getFeatureValue(player, flagKey, fallback),
		);
	}

	/**
	 * Sets attributes of a player that experiments and flags target (conditions) and stratify on, merged over what
	 * Vantage knows by itself: `id` (UserId), `accountAge`, `premium`, `locale`, `country` and `firstVisit` (once
	 * looked up). Names of 1-128 characters (not `id`, not starting with `$`); values strings, finite numbers or
	 * booleans; at most 64 per call.
	 *
	 * @example
	 * ```ts
	 * Vantage.setAttributes(player, { device: "phone", vipTier: 2 });
	 * ```
	 */
	export function setAttributes(player: Player, attributes: Props): boolean {
		return guard("Vantage.setAttributes", false, () => experimentsOf()?.setAttributes(player, attributes) ?? false);
	}

	/**
	 * Sends everything queued now, yielding until it is sent or sending has to wait (backoff, request budget, HTTP
	 * disabled); returns whether nothing is left in memory. Rarely needed: events go out every `flushSeconds` and
	 * at shutdown.
	 *
	 * @example
	 * ```ts
	 * const allSent = Vantage.flush();
	 * ```
	 */
	export function flush(): boolean {
		return guard("Vantage.flush", false, () => (started() !== undefined ? (pipeline?.flush() ?? false) : false));
	}

	/**
	 * Counters of what the SDK queued, sent, retried, spilled, dropped and refused, and how many sessions are active.
	 *
	 * @example
	 * ```ts
	 * const s = Vantage.stats();
	 * print(`${s.sent} sent, ${s.queued} queued, ${s.invalidCalls} invalid calls`);
	 * ```
	 */
	export function stats(): Stats {
		const zero: Stats = {
			queued: 0,
			sent: 0,
			rejected: 0,
			dropped: 0,
			failedRequests: 0,
			retried: 0,
			spilled: 0,
			drained: 0,
			requestsLastMinute: 0,
			invalidCalls: 0,
			clientRejected: 0,
			clientRateLimited: 0,
			errorsReported: 0,
			errorsSuppressed: 0,
			activeSessions: 0,
		};
		return guard("Vantage.stats", zero, () => {
			if (!pipeline || !tracking) return zero;
			return { ...zero, ...pipeline.stats(), ...tracking.stats() };
		});
	}
}

export namespace VantageClient {
	/**
	 * Starts the client tracker in a LocalScript: reports the device (input capabilities, screen size) and, unless
	 * turned off, this client's script errors, and lets the client track events. Never yields: it waits for the
	 * server's RemoteEvent in the background and sends what was tracked meanwhile.
	 *
	 * @example
	 * ```lua
	 * local VantageClient = require(game.ReplicatedStorage.Vantage).VantageClient
	 * VantageClient.start()
	 * ```
	 */
	export function start(options: ClientStartOptions = {}): boolean {
		return guard("VantageClient.start", false, () => {
			if (!RunService.IsClient()) {
				warnings.warn("VantageClient.start runs on the client; use Vantage.start on the server");
				return false;
			}
			if (client !== undefined) return false;
			if (!typeIs(options, "table")) {
				warnings.warn("VantageClient.start expects an options table or nothing");
				return false;
			}
			client = new ClientTracker(warnings);
			client.start(options);
			return true;
		});
	}

	/**
	 * Tracks a custom event from the client (UI clicks, screens seen). The server validates it, rate-limits each
	 * player and records it for the sending player with the prop `client = true`. At most 32 props.
	 *
	 * @example
	 * ```ts
	 * button.Activated.Connect(() => VantageClient.track("shop_button_clicked", { tab: "weapons" }));
	 * ```
	 */
	export function track(name: string, props?: Props): boolean {
		return guard("VantageClient.track", false, () => {
			if (!client) {
				warnings.warn("call VantageClient.start() before VantageClient.track");
				return false;
			}
			return client.track(name, props);
		});
	}
}
