// Which SDK versions each game's servers run, from the `sdk` of the batches they send, against the SDK version this
// backend was built with: a game on an older SDK is told once per version in the log, and on its dashboard overview.
import semver from "semver";
import { z } from "zod";
import manifest from "../../package.json" with { type: "json" };
import type { Logger } from "../logger.js";

/** The SDK's name on the wire (src/shared/version.ts `sdkName`); batches from other senders are not compared. */
export const SDK_NAME = "vantage-roblox";

/**
 * The newest SDK version this backend knows: the package's own version, which packaging/build.ts keeps equal to the
 * version the SDK sends (src/shared/version.ts).
 */
export const LATEST_SDK_VERSION: string = manifest.version;

/** A version is shown while batches carrying it arrived within this window (old servers live on after an update). */
export const SDK_VERSION_WINDOW_MS = 24 * 60 * 60 * 1000;

/** Versions remembered per game; past it the least recently seen is forgotten (a game key cannot grow memory). */
const MAX_VERSIONS_PER_GAME = 16;

export const sdkVersionSeenSchema = z.object({
	name: z.string().describe('The SDK\'s name as its batches state it ("vantage-roblox" for this SDK).'),
	version: z.string().describe("The version its batches state."),
	firstSeenAt: z.string().describe("When this backend first stored a batch from it (ISO 8601)."),
	lastSeenAt: z.string().describe("When this backend last stored a batch from it (ISO 8601)."),
	outdated: z.boolean().describe("Older than `latest` (only this SDK's versions are compared)."),
});

export const gameSdkSchema = z
	.object({
		latest: z.string().describe("The newest SDK version: the one this backend was built with."),
		versions: z
			.array(sdkVersionSeenSchema)
			.describe("SDK versions in batches stored within the last 24 hours, the most recently seen first."),
		outdated: z
			.boolean()
			.describe("Some of the game's servers sent batches from an older SDK in the last 24 hours: update the SDK."),
		since: z
			.string()
			.describe(
				"Since when this backend instance has been watching (ISO 8601): its start. Earlier batches are not counted.",
			),
	})
	.describe("The SDK versions the game's servers run, from the `sdk` field of their batches.");

export type GameSdk = z.infer<typeof gameSdkSchema>;

/** Whether `version` of SDK `name` is older than `latest`; a version that is not semver is never called outdated. */
export function isOutdated(name: string, version: string, latest: string = LATEST_SDK_VERSION): boolean {
	if (name !== SDK_NAME) return false;
	const seen = semver.valid(version);
	return seen !== null && semver.lt(seen, latest);
}

interface Seen {
	name: string;
	version: string;
	firstSeenAt: number;
	lastSeenAt: number;
}

export interface SdkVersionMonitorOptions {
	logger: Logger;
	/** Server time in unix ms. */
	clock: () => number;
	/** @default LATEST_SDK_VERSION */
	latest?: string;
}

/**
 * Remembers the SDK versions of each game's stored batches (in memory: a live game sends a batch every few seconds,
 * so after a restart its versions are known again within one flush), warns in the log the first time a game sends
 * batches from an older SDK version (once per game and version, not per batch), and answers what the dashboard shows.
 *
 * @example
 * const sdkVersions = new SdkVersionMonitor({ logger, clock: Date.now });
 * sdkVersions.record("123", { name: "vantage-roblox", version: "0.0.9" }); // logs one warning
 * sdkVersions.forGame("123").outdated; // true
 */
export class SdkVersionMonitor {
	readonly #logger: Logger;
	readonly #clock: () => number;
	readonly #latest: string;
	readonly #since: number;
	readonly #games = new Map<string, Map<string, Seen>>();

	constructor(options: SdkVersionMonitorOptions) {
		this.#logger = options.logger;
		this.#clock = options.clock;
		this.#latest = options.latest ?? LATEST_SDK_VERSION;
		this.#since = options.clock();
	}

	/** Notes a stored batch's `sdk` (batches without one are not counted). Cheap: one map lookup per batch. */
	record(gameId: string, sdk: { name: string; version: string } | undefined): void {
		if (!sdk) return;
		const now = this.#clock();
		let versions = this.#games.get(gameId);
		if (!versions) {
			versions = new Map();
			this.#games.set(gameId, versions);
		}
		const key = `${sdk.name}@${sdk.version}`;
		const known = versions.get(key);
		if (known) {
			known.lastSeenAt = now;
			return;
		}
		if (versions.size >= MAX_VERSIONS_PER_GAME) this.#forgetLeastRecent(versions);
		versions.set(key, { name: sdk.name, version: sdk.version, firstSeenAt: now, lastSeenAt: now });
		if (isOutdated(sdk.name, sdk.version, this.#latest)) {
			this.#logger.warn("game runs an outdated Vantage SDK: update it in the game", {
				gameId,
				sdk: sdk.name,
				sdkVersion: sdk.version,
				latestSdkVersion: this.#latest,
			});
		}
	}

	/** The game's SDK versions seen within the last 24 hours, the most recently seen first. */
	forGame(gameId: string): GameSdk {
		const cutoff = this.#clock() - SDK_VERSION_WINDOW_MS;
		const versions = [...(this.#games.get(gameId)?.values() ?? [])]
			.filter((seen) => seen.lastSeenAt >= cutoff)
			.sort((a, b) => b.lastSeenAt - a.lastSeenAt)
			.map((seen) => ({
				name: seen.name,
				version: seen.version,
				firstSeenAt: new Date(seen.firstSeenAt).toISOString(),
				lastSeenAt: new Date(seen.lastSeenAt).toISOString(),
				outdated: isOutdated(seen.name, seen.version, this.#latest),
			}));
		return {
			latest: this.#latest,
			versions,
			outdated: versions.some((v) => v.outdated),
			since: new Date(this.#since).toISOString(),
		};
	}

	#forgetLeastRecent(versions: Map<string, Seen>): void {
		let oldest: [string, Seen] | undefined;
		for (const entry of versions) if (!oldest || entry[1].lastSeenAt < oldest[1].lastSeenAt) oldest = entry;
		if (oldest) versions.delete(oldest[0]);
	}
}
