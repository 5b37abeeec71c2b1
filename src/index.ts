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
import { keepLocal, resolveOptions, StartOptions } from "./server/options";
import { Tracking, TrackingStats } from "./server/tracking/tracking";
import { ClientConsentSignals, ClientConsentState, ClientStartOptions, ClientTracker } from "./client/client-tracker";
import { WarnOnce } from "./shared/warn-once";
import { EconomyEvent, ProgressionStatus } from "./shared/validate";
import { ConsentChoices, Props, ServerMessage } from "./shared/protocol";
import { ConsentInfo, ConsentManager, ConsentStats, uniformChoices } from "./server/consent/consent-manager";
import { DataStoreConsent, MemoryConsent } from "./server/consent/consent-store";
import { parseChoices } from "./server/consent/rules";
import { lookupCountry } from "./server/tracking/player-facts";
import { Experiments, Variant } from "./server/experiments/experiments";
import { isTruthy } from "./server/experiments/flags";
import { PlayerAttributes } from "./server/experiments/attributes";
import { createExperiments, sessionSourcesFor } from "./server/experiments/setup";
import { ClientVariants } from "./server/experiments/client-variants";
import { blockerMessage, findBlockers, readPlaceFacts, SendGate } from "./server/first-run";
import { productItem, Recommender } from "./server/recommendations";

export type { StartOptions } from "./server/options";
export type { ClientStartOptions, ClientConsentState } from "./client/client-tracker";
export type { ConsentPromptOptions, ConsentPromptStyle } from "./client/consent-prompt";
export type { ConsentTexts, ConsentTextOverrides } from "./client/consent-strings";
export type { ConsentChoices } from "./shared/protocol";
export type { EconomyEvent, ProgressionStatus } from "./shared/validate";
export type { Props, PropValue, EventType, DeviceClass, DeviceInfo } from "./shared/protocol";
export type { DeliveryError, RejectedEvent } from "./server/delivery/pipeline";
export type { Variant, VariantReason } from "./server/experiments/experiments";
export type { ConsentInfo } from "./server/consent/consent-manager";
export type { ConsentStatus } from "./server/consent/rules";
export type { ConsentStartOptions, ExperimentConfigDocument } from "./server/options";

/** Counters of what the SDK queued, sent, dropped and refused (`Vantage.stats()`). */
export type Stats = Required<DeliveryStats> & TrackingStats & ConsentStats;

/** One line per distinct message for the whole SDK, so a bad call in a loop cannot flood the Output window. */
const warnings = new WarnOnce();
let tracking: Tracking | undefined;
let pipeline: DeliveryPipeline | undefined;
let client: ClientTracker | undefined;
/** The client's consent signals exist before start, so a game can connect to them first. */
const clientConsentSignals: ClientConsentSignals = {
	consentChanged: new Signal<(state: ClientConsentState) => void>(),
	promptRequested: new Signal<(state: ClientConsentState) => void>(),
};
/** Fires when the server sends the local player's variants; exists before start, like the consent signals. */
const clientVariantsChanged = new Signal<() => void>();
let experiments: Experiments | undefined;
let consentManager: ConsentManager | undefined;
/** The shop's recommendations (the model from /v1/config, players' acquired items). */
const recommender = new Recommender();

/** The message telling a player's client their consent state. */
function consentMessage(info: ConsentInfo, prompt: boolean): ServerMessage {
	return {
		kind: "consent",
		status: info.status,
		choices: info.choices,
		policyVersion: info.policyVersion,
		optIn: info.optIn,
		ask: info.ask,
		prompt,
	};
}

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

/**
 * The server side of the SDK: start it once from a server Script, then track events, read experiment variants and
 * flags, and manage player consent. Every function returns at once and never throws into game code.
 */
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
	 * Returns false (and warns) when the options cannot work. When the place cannot send yet — HTTP requests off, no
	 * game key secret, or an unpublished place — it still starts and says once what to do (docs/studio-and-debugging.md):
	 * events are kept (an unpublished place runs as a dry run), and nothing is thrown into the game.
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
			// First run: an unpublished place can neither send nor save, so it runs as a dry run (said once); HTTP off
			// and a missing game key are said by the gate (once each) and keep the events until they are fixed.
			const delivery = resolved.delivery;
			const facts = readPlaceFacts(delivery.gameKeySecret);
			const context = {
				studio: facts.studio,
				secretName: delivery.gameKeySecret,
				maxQueuedEvents: delivery.maxQueuedEvents,
			};
			const unpublished = findBlockers(facts).includes("unpublished");
			if (!delivery.dryRun && unpublished) {
				warnings.warn(blockerMessage("unpublished", context));
				delivery.dryRun = true;
				keepLocal(resolved.tracking, resolved.experiments);
			}
			const gate = new SendGate(context, warnings);
			// Said at start, before any event: a dry run makes no requests, so nothing blocks it.
			if (!delivery.dryRun) gate.open();
			const sink = new DeliveryPipeline(delivery, warnings, {
				signals: { eventsDropped, eventsRejected, deliveryError },
				gate,
			});
			// Consent (when the game turns it on): the gate every player's events pass, fed by their kept answers.
			let t: Tracking | undefined = undefined;
			// Players' variants replicated to their clients (VantageClient.getVariant); created with experiments below.
			let variants: ClientVariants | undefined = undefined;
			const manager =
				resolved.consent === undefined
					? undefined
					: new ConsentManager({
							// No DataStore in an unpublished place: answers last the play test.
							persistence: unpublished
								? new MemoryConsent()
								: new DataStoreConsent(resolved.consent.dataStore, resolved.debug),
							region: lookupCountry,
							emit: (userId, props) => t?.emitConsent(userId, props as unknown as Props),
							notify: (player, info, prompt) => t?.sendToClient(player, consentMessage(info, prompt)),
							changed: (player, info) => {
								variants?.changed(player.UserId);
								consent.onChanged.Fire(player, info);
							},
							now: () => DateTime.now().UnixTimestamp,
							maxHeld: resolved.consent.maxWaitingEvents,
							warn: (message) => warnings.warn(message),
						});
			// What the session lookups learn (country, first visit) also feeds experiments' targeting and strata.
			const attributes = new PlayerAttributes();
			t = new Tracking({
				sink,
				consent: manager,
				warnings,
				options: resolved.tracking,
				sources: sessionSourcesFor(resolved, attributes),
				serverGuid: HttpService.GenerateGUID(false),
				debug: resolved.debug,
				hooks: {
					invalidCall: (fn, reason) => invalidCall.Fire(fn, reason),
					clientRejected: (player, reason) => clientRejected.Fire(player, reason),
					playerJoined: manager ? (player) => manager.playerJoined(player) : undefined,
					playerLeft: (userId) => {
						manager?.playerLeft(userId);
						variants?.forget(userId);
						recommender.forget(userId);
					},
					consentAnswer: manager
						? (player, choices, uiVersion) => {
								const problem = manager.set(player.UserId, choices, "prompt", uiVersion);
								if (problem !== undefined) warnings.warn(`consent answer not taken: ${problem}`);
							}
						: undefined,
					variantsRequested: (player) => variants?.subscribe(player),
					clientExposure: (player, experiment, variation) =>
						experiments ? experiments.exposeFromClient(player, experiment, variation) : "experiments are not running",
				},
			});
			const started = t;
			consentManager = manager;
			pipeline = sink;
			tracking = t;
			// BindToClose (at most 30 s): end the sessions at once, so their events are queued before the pipeline,
			// which binds its own shutdown in start(), seals and sends or spills what is left.
			game.BindToClose(() => guard("BindToClose", undefined, () => started.close()));
			const x = createExperiments(
				resolved,
				warnings,
				attributes,
				started,
				(config) => {
					if (manager && config.consent) manager.setConfig(config.consent);
					recommender.setModel(config.recommendations);
				},
				manager,
				() => gate.open(),
				manager ? (userId) => manager.get(userId)?.status === "loading" : undefined,
			);
			experiments = x.experiments;
			variants = x.clientVariants;
			sink.start();
			started.start();
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
	 * Other calls return false and are refused at once. With consent on, a valid call for a player who has not agreed
	 * to analytics also returns true: the event waits for their answer, or is not recorded. Never throws, never yields.
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
		return guard("Vantage.economy", false, () => {
			const accepted = started()?.economy(player, data) ?? false;
			if (accepted && data.flow === "sink" && data.itemId !== undefined && data.itemId !== "") {
				recommender.acquired(player.UserId, `${data.itemType ?? "item"}:${data.itemId}`);
			}
			return accepted;
		});
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
		return guard("Vantage.purchase", false, () => {
			const accepted = started()?.purchase(receipt) ?? false;
			if (accepted) recommender.acquired(receipt.PlayerId, productItem(receipt.ProductId));
			return accepted;
		});
	}

	/**
	 * Up to `n` shop items to offer a player, best first, from the item-to-item model the backend trains daily on
	 * the game's purchases ("players who bought this also bought …"). Items are named as the backend names them:
	 * `developer_product:<ProductId>` for developer products, `<itemType>:<itemId>` for economy sinks. The player's
	 * items are those you pass in `owned` (their inventory) plus what Vantage saw them acquire on this server
	 * (Vantage.purchase, Vantage.economy sinks); an owned item is never offered. Players who have not agreed to
	 * personalization (with consent on) get the most bought items instead of their own. Before the first model
	 * arrives (a new game, or an hour after start at most) the list is empty. Never yields, never throws.
	 *
	 * @example
	 * ```ts
	 * const items = Vantage.recommend(player, 3, ["developer_product:1001"]);
	 * // e.g. ["developer_product:1002", "Weapons:IronSword", "developer_product:1007"]
	 * ```
	 */
	export function recommend(player: Player, n: number, owned?: string[]): string[] {
		return guard("Vantage.recommend", [], () => {
			if (!typeIs(player, "Instance") || !player.IsA("Player")) {
				invalidCall.Fire("Vantage.recommend", "player must be a Player");
				return [];
			}
			if (!typeIs(n, "number") || n !== n) return [];
			const list: string[] = [];
			if (typeIs(owned, "table")) {
				for (const [, item] of pairs(owned as unknown as Record<number, unknown>)) {
					if (typeIs(item, "string")) list.push(item);
				}
			}
			const personalize = consentManager?.allows(player.UserId, "personalization") !== false;
			return recommender.recommend(player.UserId, math.min(math.floor(n), 50), list, personalize);
		});
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
	 * `exposure` event (props `variation`, `mode`) — a read on the player's client (`VantageClient.getVariant`) counts
	 * as that first call, so the exposure is logged once either way; QA users forced into a variation are not logged.
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
	 * Counters of what the SDK queued, sent, retried, spilled, dropped and refused, how many sessions are active, and
	 * (with consent on) the events discarded because a player refused or never answered.
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
			dryRunBatches: 0,
			dryRunEvents: 0,
			invalidCalls: 0,
			clientRejected: 0,
			clientRateLimited: 0,
			errorsReported: 0,
			errorsSuppressed: 0,
			activeSessions: 0,
			consentDiscarded: 0,
			consentHeldDropped: 0,
		};
		return guard("Vantage.stats", zero, () => {
			if (!pipeline || !tracking) return zero;
			return { ...zero, ...pipeline.stats(), ...tracking.stats(), ...(consentManager?.stats ?? {}) };
		});
	}

	/**
	 * Player consent, when `Vantage.start({ consent = true })` turned it on: what each player in the game agreed to,
	 * per category (analytics, experiments, personalization). Vantage asks where opt-in applies (the EEA, the UK,
	 * Switzerland, unknown countries, and everywhere if the game's default is opt-in) through `VantageClient`'s
	 * prompt, keeps the answer in DataStore with the policy version, and records nothing of a category a player
	 * refused. A game with its own consent UI reads `get` and calls `set`.
	 *
	 * @example
	 * ```lua
	 * Vantage.consent.onChanged:Connect(function(player, info)
	 *     print(player.Name, info.status, info.choices.analytics)
	 * end)
	 * -- from the game's settings menu: ask again
	 * Vantage.consent.prompt(player)
	 * ```
	 */
	export namespace consent {
		/** Fires `(player, info)` when a player's consent is known or changes. */
		export const onChanged = new Signal<(player: Player, info: ConsentInfo) => void>();

		/** The player's consent; undefined when consent is off or the player is not in the game. */
		export function get(player: Player): ConsentInfo | undefined {
			return guard("Vantage.consent.get", undefined, () =>
				typeIs(player, "Instance") && player.IsA("Player") ? consentManager?.get(player.UserId) : undefined,
			);
		}

		/**
		 * Records the player's answer given in the game's own UI: `{ analytics, experiments, personalization }`
		 * booleans, or true / false for all. Sends a `consent` event (the backend's proof), keeps it in DataStore, and
		 * sends or discards the player's waiting events. False (and a warning) when consent is off, the player is not
		 * in the game, the choices are malformed or the game has published no consent policy.
		 */
		export function set(player: Player, choices: ConsentChoices | boolean, uiVersion?: string): boolean {
			return guard("Vantage.consent.set", false, () => {
				if (!consentManager) {
					warnings.warn("Vantage.consent.set: consent is off (Vantage.start({ consent = true }) turns it on)");
					return false;
				}
				if (!typeIs(player, "Instance") || !player.IsA("Player")) {
					warnings.warn("Vantage.consent.set: the first argument must be a Player");
					return false;
				}
				const parsed = typeIs(choices, "boolean") ? uniformChoices(choices) : parseChoices(choices);
				if (!parsed) {
					warnings.warn(
						"Vantage.consent.set: choices must be true, false or { analytics, experiments, personalization }",
					);
					return false;
				}
				if (
					uiVersion !== undefined &&
					(!typeIs(uiVersion, "string") || uiVersion.size() === 0 || uiVersion.size() > 64)
				) {
					warnings.warn("Vantage.consent.set: uiVersion must be a string of 1 to 64 characters");
					return false;
				}
				const problem = consentManager.set(player.UserId, parsed, "api", uiVersion);
				if (problem !== undefined) warnings.warn(`Vantage.consent.set: ${problem}`);
				return problem === undefined;
			});
		}

		/** Shows the player the consent prompt (their client must run VantageClient); players may change their mind. */
		export function prompt(player: Player): boolean {
			return guard("Vantage.consent.prompt", false, () => {
				if (!consentManager || !typeIs(player, "Instance") || !player.IsA("Player")) return false;
				const problem = consentManager.prompt(player.UserId);
				if (problem !== undefined) warnings.warn(`Vantage.consent.prompt: ${problem}`);
				return problem === undefined;
			});
		}
	}
}

function clientFeatureValue(fn: string, flagKey: string): unknown {
	if (!client) {
		warnings.warn(`call VantageClient.start() before VantageClient.${fn}`);
		return undefined;
	}
	return client.featureValue(flagKey, fn);
}

/**
 * The player side of the SDK: start it once from a LocalScript; it reports the device, forwards client events to the
 * server (which validates and rate-limits them), shows the consent prompt when the server asks, and reads the
 * player's experiment variants and flags as the server replicates them.
 */
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
			client = new ClientTracker(warnings, clientConsentSignals, clientVariantsChanged);
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

	/**
	 * Fires when the server sends the local player's variants: the first time (reads stop answering "notReady"), and
	 * whenever they change — a new experiment config, the player's consent or attributes, their kept assignments
	 * loading. Re-read variants here if the UI should follow changes within the session.
	 *
	 * @example
	 * ```ts
	 * VantageClient.variantsChanged.Connect(() => applyShopLayout(VantageClient.getVariant("shop-layout")));
	 * ```
	 */
	export const variantsChanged = clientVariantsChanged;

	/**
	 * The local player's variant of an experiment, the same as the server's `Vantage.getVariant(player, key)`
	 * answers: the server decides it and replicates it to this player's client (the client makes no request, and
	 * assigns nothing itself). Never yields, never throws. The first read of a variation that counts tells the server,
	 * which logs the exposure once per player, experiment and session — whether the server, the client or both read
	 * it. Until the server's answer arrives (usually within a second of `start`), it answers control-less: `key`
	 * undefined and `reason` "notReady" — show your default, or wait first with {@link waitForVariants}. Draft
	 * experiments are only known to players forced into them (QA); others get "unknownExperiment".
	 *
	 * @example
	 * ```ts
	 * VantageClient.start();
	 * VantageClient.waitForVariants(5);
	 * const variant = VantageClient.getVariant("shop-layout");
	 * if (variant.key === "grid") showGridShop();
	 * else showListShop();
	 * ```
	 */
	export function getVariant(experimentKey: string): Variant {
		const notReady: Variant = { index: 0, inExperiment: false, reason: "notReady" };
		return guard("VantageClient.getVariant", notReady, () => {
			if (!client) {
				warnings.warn("call VantageClient.start() before VantageClient.getVariant");
				return notReady;
			}
			return client.getVariant(experimentKey);
		});
	}

	/**
	 * Whether a feature flag is on for the local player, as the server's `Vantage.isOn(player, key)` answers (its
	 * value is anything but nil, false, 0 or ""). Off until the server's answer arrives, and for unknown flags. Never
	 * yields, never throws.
	 *
	 * @example
	 * ```ts
	 * if (VantageClient.isOn("winter-event")) showSnow();
	 * ```
	 */
	export function isOn(flagKey: string): boolean {
		return guard("VantageClient.isOn", false, () => isTruthy(clientFeatureValue("isOn", flagKey)));
	}

	/**
	 * A feature flag's value for the local player, as the server's `Vantage.getFeatureValue` answers, or `fallback`
	 * until the server's answer arrives, for unknown flags and when the flag serves null. Never yields, never throws.
	 *
	 * @example
	 * ```ts
	 * const maxPets = VantageClient.getFeatureValue("max-pets", 3) as number;
	 * ```
	 */
	export function getFeatureValue(flagKey: string, fallback?: unknown): unknown {
		const read = () => clientFeatureValue("getFeatureValue", flagKey) ?? fallback;
		return guard("VantageClient.getFeatureValue", fallback, read);
	}

	/**
	 * Yields until the server has sent the local player's variants, at most `timeoutSeconds`; returns whether they
	 * arrived (at once when they already have). The only variants call that yields: call it where waiting is fine,
	 * e.g. before building a UI whose layout is an experiment.
	 *
	 * @example
	 * ```lua
	 * VantageClient.start()
	 * if not VantageClient.waitForVariants(5) then warn("showing the default shop") end
	 * local variant = VantageClient.getVariant("shop-layout")
	 * ```
	 */
	export function waitForVariants(timeoutSeconds = 10): boolean {
		return guard("VantageClient.waitForVariants", false, () => {
			if (!client) {
				warnings.warn("call VantageClient.start() before VantageClient.waitForVariants");
				return false;
			}
			if (!typeIs(timeoutSeconds, "number") || timeoutSeconds !== timeoutSeconds || timeoutSeconds < 0) {
				warnings.warn("VantageClient.waitForVariants: the timeout must be a number of seconds, 0 or more");
				return false;
			}
			return client.waitForVariants(timeoutSeconds);
		});
	}

	/**
	 * The local player's consent, as the server decided it (the server is where consent is kept and enforced: see
	 * `Vantage.consent`). A game with its own consent UI listens to `promptRequested` and sends the player's answer
	 * with `answer`.
	 *
	 * @example
	 * ```lua
	 * VantageClient.consent.promptRequested:Connect(function(state)
	 *     MyConsentScreen.show(state.choices, function(choices)
	 *         VantageClient.consent.answer(choices, "my-consent-screen-2")
	 *     end)
	 * end)
	 * ```
	 */
	export namespace consent {
		/** Fires `(state)` whenever the server sends this player's consent state (after start, and on every change). */
		export const onChanged = clientConsentSignals.consentChanged;
		/** Fires `(state)` when the player should be asked: no answer for the current policy version, or the game asked. */
		export const promptRequested = clientConsentSignals.promptRequested;

		/**
		 * Opens the built-in prompt so the player can change their answer (e.g. from the game's settings menu). False
		 * when the built-in prompt is turned off (`consentPrompt = false`) or the state has not arrived yet.
		 */
		export function prompt(): boolean {
			return guard("VantageClient.consent.prompt", false, () => client?.showPrompt() ?? false);
		}

		/** The player's consent state, or undefined before the server sent it. */
		export function get(): ClientConsentState | undefined {
			return guard("VantageClient.consent.get", undefined, () => client?.consent());
		}

		/**
		 * Sends the player's answer: `{ analytics, experiments, personalization }` booleans and the version of the UI
		 * that asked (kept with the answer as proof of what the player saw). Returns false (and warns once) when invalid.
		 */
		export function answer(choices: ConsentChoices, uiVersion: string): boolean {
			return guard("VantageClient.consent.answer", false, () => {
				if (!client) {
					warnings.warn("call VantageClient.start() before VantageClient.consent.answer");
					return false;
				}
				return client.answerConsent(choices, uiVersion);
			});
		}
	}
}
