/**
 * Vantage: analytics, experiments and player consent for Roblox games.
 *
 * @example
 * ```ts
 * import { Vantage } from "@vantage/sdk";
 * Vantage.start({ endpoint: "https://vantage.example.com" });
 * Vantage.track(player, "level_up", { level: 3 });
 * ```
 */
import { HttpService, Players, RunService } from "@rbxts/services";
import { Props } from "./shared/protocol";
import { version } from "./shared/version";
import { DeliveryPipeline, DeliveryStats } from "./server/delivery/pipeline";
import { resolveOptions, StartOptions } from "./server/options";
import { Tracker } from "./server/tracking/tracker";
import { WarnOnce } from "./shared/warn-once";

export type { StartOptions } from "./server/options";

/** Counters of what the SDK queued, sent, dropped and refused. */
export interface Stats extends DeliveryStats {
	/** Calls refused because their arguments were invalid. */
	invalidCalls: number;
}
export type { Props, PropValue, EventType } from "./shared/protocol";

let tracker: Tracker | undefined;
let pipeline: DeliveryPipeline | undefined;
let warnedNotStarted = false;

function started(): Tracker | undefined {
	if (tracker === undefined && !warnedNotStarted) {
		warnedNotStarted = true;
		warn("[Vantage] call Vantage.start() on the server before tracking events");
	}
	return tracker;
}

export namespace Vantage {
	/** The SDK's version. */
	export const VERSION = version;

	/**
	 * Starts Vantage on the game server. Call once, from a server Script, before tracking.
	 * Returns false (and warns) when the options cannot work; never throws into game code.
	 *
	 * @example
	 * ```lua
	 * local Vantage = require(game.ReplicatedStorage.Vantage).Vantage
	 * Vantage.start({ endpoint = "https://vantage.example.com" })
	 * ```
	 */
	export function start(options: StartOptions): boolean {
		if (!RunService.IsServer()) {
			warn("[Vantage] Vantage.start runs on the server; use VantageClient on the client");
			return false;
		}
		if (tracker !== undefined) {
			warn("[Vantage] Vantage.start was already called; ignoring the second call");
			return false;
		}
		const resolved = resolveOptions(options);
		if (typeIs(resolved, "string")) {
			warn(`[Vantage] ${resolved}`);
			return false;
		}
		const warnings = new WarnOnce();
		pipeline = new DeliveryPipeline(resolved.delivery, warnings);
		tracker = new Tracker(pipeline, HttpService.GenerateGUID(false), warnings);
		pipeline.start();
		Players.PlayerRemoving.Connect((player) => tracker?.endSession(player));
		// BindToClose: at most 30 s before the server shuts down; send what is queued.
		game.BindToClose(() => pipeline?.flush());
		return true;
	}

	/**
	 * Tracks a custom event for a player. Never throws or yields; an invalid call warns once and is counted.
	 *
	 * @example
	 * ```ts
	 * Vantage.track(player, "shop_opened", { tab: "weapons" });
	 * ```
	 */
	export function track(player: Player, name: string, props?: Props): boolean {
		return started()?.record(player, "custom", name, props) ?? false;
	}

	/** Sends everything queued now (yields while requests are in flight). */
	export function flush(): void {
		if (started()) pipeline?.flush();
	}

	/** Counters of what the SDK queued, sent, dropped and refused. */
	export function stats(): Stats {
		const delivery = pipeline?.stats() ?? { queued: 0, sent: 0, rejected: 0, dropped: 0, failedRequests: 0 };
		return { ...delivery, invalidCalls: tracker?.invalidCalls ?? 0 };
	}
}
