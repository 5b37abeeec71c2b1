import { DeliveryOptions, DeliveryStartOptions, resolveDeliveryOptions } from "./delivery/options";

/** Options for `Vantage.start`. Every field but `endpoint` has a documented default. */
export interface StartOptions extends DeliveryStartOptions {
	/**
	 * Print what the SDK does to the Output window.
	 * @default false
	 */
	debug?: boolean;
}

export interface ResolvedOptions {
	delivery: DeliveryOptions;
	debug: boolean;
}

/** Merges options with defaults once; returns an error message for options that cannot work. */
export function resolveOptions(options: StartOptions): ResolvedOptions | string {
	if (!typeIs(options, "table")) return "Vantage.start expects an options table";
	const debug = options.debug === true;
	const delivery = resolveDeliveryOptions(options, debug);
	if (typeIs(delivery, "string")) return delivery;
	return { delivery, debug };
}
