import { OnInit, Service } from "@flamework/core";
import { Vantage } from "..";
import type { EconomyEvent, ProgressionStatus, Props, StartOptions, Stats, Variant } from "..";

/** The options `VantageService.configure` was given; read once, when Flamework initialises the service. */
let startOptions: StartOptions | undefined;
let initialised = false;

/**
 * Vantage on the server as a Flamework service: it starts the SDK in `onInit` with the options given to
 * {@link VantageService.configure}, before any other service's `onStart` (and before the `onInit` of every service
 * that depends on it), and other services and components get it injected. Each method is the `Vantage` function of
 * the same name (same arguments, same never-throw, never-yield promise).
 *
 * @example
 * ```ts
 * // server entry, before Flamework.ignite():
 * VantageService.configure({ endpoint: "https://vantage.example.com" });
 *
 * // any service:
 * @Service()
 * export class ShopService implements OnStart {
 * 	constructor(private readonly vantage: VantageService) {}
 * 	onStart() {
 * 		Players.PlayerAdded.Connect((player) => this.vantage.track(player, "shop_opened"));
 * 	}
 * }
 * ```
 */
@Service({ loadOrder: 0 })
export class VantageService implements OnInit {
	/**
	 * Sets the options `Vantage.start` gets when Flamework initialises this service. Call it once, before
	 * `Flamework.ignite()`; a call after the service started only warns.
	 *
	 * @example
	 * ```ts
	 * VantageService.configure({ endpoint: "https://vantage.example.com", flushSeconds: 5 });
	 * Flamework.addPaths("src/server/services");
	 * Flamework.ignite();
	 * ```
	 */
	static configure(options: StartOptions): void {
		if (initialised) {
			warn("[Vantage] VantageService.configure was called after Flamework started the service; ignoring it");
			return;
		}
		startOptions = options;
	}

	/** Player consent (`Vantage.consent`): `get`, `set`, `prompt` and the `onChanged` signal. */
	readonly consent = Vantage.consent;
	/** `Vantage.invalidCall`: fires `(fn, reason)` for every refused call. */
	readonly invalidCall = Vantage.invalidCall;
	/** `Vantage.eventsDropped`: fires `(count, reason)` when events are given up for good. */
	readonly eventsDropped = Vantage.eventsDropped;
	/** `Vantage.deliveryError`: fires `(error)` for every failed request or spill attempt. */
	readonly deliveryError = Vantage.deliveryError;

	/** @hidden */
	onInit(): void {
		initialised = true;
		if (startOptions === undefined) {
			warn(
				"[Vantage] VantageService.configure({ endpoint }) was not called before Flamework.ignite(); " +
					"Vantage is not started and records nothing",
			);
			return;
		}
		Vantage.start(startOptions);
	}

	/** `Vantage.track`: records a custom event for the player. */
	track(player: Player, name: string, props?: Props): boolean {
		return Vantage.track(player, name, props);
	}

	/** `Vantage.progression`: a level or stage started, completed or failed. */
	progression(player: Player, status: ProgressionStatus, path: string[], score?: number): boolean {
		return Vantage.progression(player, status, path, score);
	}

	/** `Vantage.economy`: a currency source or sink. */
	economy(player: Player, data: EconomyEvent): boolean {
		return Vantage.economy(player, data);
	}

	/** `Vantage.purchase`: call from ProcessReceipt; never blocks granting. */
	purchase(receipt: ReceiptInfo): boolean {
		return Vantage.purchase(receipt);
	}

	/** `Vantage.funnelStep`: the player reached a step of a funnel. */
	funnelStep(player: Player, funnel: string, step: number, name: string): boolean {
		return Vantage.funnelStep(player, funnel, step, name);
	}

	/** `Vantage.getVariant`: the player's variation of an experiment (no yield; logs one exposure). */
	getVariant(player: Player, experimentKey: string): Variant {
		return Vantage.getVariant(player, experimentKey);
	}

	/** `Vantage.isOn`: whether a feature flag is on for the player. */
	isOn(player: Player, flagKey: string): boolean {
		return Vantage.isOn(player, flagKey);
	}

	/** `Vantage.getFeatureValue`: a feature flag's value for the player, or `fallback`. */
	getFeatureValue(player: Player, flagKey: string, fallback?: unknown): unknown {
		return Vantage.getFeatureValue(player, flagKey, fallback);
	}

	/** `Vantage.setAttributes`: attributes experiments can target. */
	setAttributes(player: Player, attributes: Props): boolean {
		return Vantage.setAttributes(player, attributes);
	}

	/** `Vantage.flush`: sends what is queued now (yields). */
	flush(): boolean {
		return Vantage.flush();
	}

	/** `Vantage.stats`: counters of what the SDK queued, sent, dropped and refused. */
	stats(): Stats {
		return Vantage.stats();
	}
}
