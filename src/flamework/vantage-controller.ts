import { Controller, OnInit } from "@flamework/core";
import { VantageClient } from "..";
import type { ClientStartOptions, Props, Variant } from "..";

/** The options `VantageController.configure` was given (none: `VantageClient`'s defaults). */
let startOptions: ClientStartOptions = {};
let initialised = false;

/**
 * `VantageClient` as a Flamework controller: it starts the client tracker (device facts, client errors, the consent
 * prompt) in `onInit`, before any other controller's `onStart`, and other controllers get it injected to track UI
 * events and read the player's variants and flags. The server's `VantageService` must be running for the events to be
 * recorded and the variants to arrive.
 *
 * @example
 * ```ts
 * @Controller()
 * export class ShopController implements OnStart {
 * 	constructor(private readonly vantage: VantageController) {}
 * 	onStart() {
 * 		shopButton.Activated.Connect(() => this.vantage.track("shop_button_clicked", { tab: "weapons" }));
 * 	}
 * }
 * ```
 */
@Controller({ loadOrder: 0 })
export class VantageController implements OnInit {
	/**
	 * Sets the options `VantageClient.start` gets when Flamework initialises this controller (none: its defaults).
	 * Call it in the client entry before `Flamework.ignite()`; a later call only warns. The call also loads this
	 * module, which registers the controller with Flamework: a controller that only names `VantageController` as a
	 * constructor parameter's type does not (TypeScript drops an import used as a type only).
	 *
	 * @example
	 * ```ts
	 * VantageController.configure({ captureErrors: false });
	 * Flamework.addPaths("src/client/controllers");
	 * Flamework.ignite();
	 * ```
	 */
	static configure(options: ClientStartOptions = {}): void {
		if (initialised) {
			warn("[Vantage] VantageController.configure was called after Flamework started the controller; ignoring it");
			return;
		}
		startOptions = options;
	}

	/** This player's consent (`VantageClient.consent`): `get`, `answer`, `prompt` and the signals. */
	readonly consent = VantageClient.consent;

	/** @hidden */
	onInit(): void {
		initialised = true;
		VantageClient.start(startOptions);
	}

	/** `VantageClient.track`: a custom event from this client, recorded by the server for this player. */
	track(name: string, props?: Props): boolean {
		return VantageClient.track(name, props);
	}

	/** `VantageClient.variantsChanged`: fires when the server sends this player's variants, and on every change. */
	readonly variantsChanged = VantageClient.variantsChanged;

	/**
	 * `VantageClient.getVariant`: this player's variant of an experiment as the server decided it (never yields;
	 * "notReady" until the server's answer arrives). The first read of a variation that counts logs the exposure.
	 */
	getVariant(experimentKey: string): Variant {
		return VantageClient.getVariant(experimentKey);
	}

	/** `VantageClient.isOn`: whether a feature flag is on for this player, as the server decided it. */
	isOn(flagKey: string): boolean {
		return VantageClient.isOn(flagKey);
	}

	/** `VantageClient.getFeatureValue`: a feature flag's value for this player, or `fallback`. */
	getFeatureValue(flagKey: string, fallback?: unknown): unknown {
		return VantageClient.getFeatureValue(flagKey, fallback);
	}

	/** `VantageClient.waitForVariants`: yields until this player's variants arrive, at most `timeoutSeconds`. */
	waitForVariants(timeoutSeconds?: number): boolean {
		return VantageClient.waitForVariants(timeoutSeconds);
	}
}
