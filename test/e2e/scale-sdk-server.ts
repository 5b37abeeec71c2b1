// A real game server under steady load for the fault suite: the SDK model (as a Rojo user gets it) in a harness VM,
// Vantage.start and Vantage.track by its players, its virtual clock kept in step with the wall clock so its batches,
// backoff and Retry-After waits happen while the test's faults do. Its HTTP goes to the backend through an
// AckRecordingProxy, which records what the SDK sent and what the backend acknowledged to it.
import { DataStoreBackend } from "../harness/services/datastore.js";
import { joinPlayer, leavePlayer, World } from "../harness/world.js";
import { ensureSdkBuilt, sdkTree } from "./sdk-build.js";

export interface HarnessGameServerOptions {
	/** Where the SDK sends (the recording proxy in front of the load balancer). */
	url: string;
	gameKey: string;
	gameId: number;
	jobId: string;
	/** UserIds of its players. */
	userIds: number[];
	/** Seconds between a player's tracked events (virtual, ≈ wall). @default 1 */
	trackEverySeconds?: number;
}

const STATS = `return require(game:GetService("ReplicatedStorage").Vantage).Vantage.stats()`;

/** What Vantage.stats() reports (the fields the suite prints). */
export interface SdkStats {
	queued: number;
	sent: number;
	rejected: number;
	dropped: number;
	failedRequests: number;
	retried: number;
	spilled: number;
	drained: number;
}

/**
 * @example
 * const sdk = await HarnessGameServer.start({ url: proxy.url, gameKey, gameId: 5150, jobId: "sdk-1", userIds: [1, 2] });
 * ... faults ...
 * const stats = await sdk.stop(); // players leave, the SDK delivers what it holds, the server shuts down
 */
export class HarnessGameServer {
	private running = true;
	private loop: Promise<void>;
	private error: unknown;

	private constructor(
		private readonly world: World,
		private readonly options: HarnessGameServerOptions,
	) {
		this.loop = this.keepPace();
	}

	static async start(options: HarnessGameServerOptions): Promise<HarnessGameServer> {
		ensureSdkBuilt();
		const world = await World.create({
			tree: sdkTree(),
			gameId: options.gameId,
			jobId: options.jobId,
			// Its clock is the wall clock: the backend takes its event times as they are.
			epochSeconds: Math.floor(Date.now() / 1000),
			maxPlayers: 100,
			config: { secrets: { vantage_game_key: options.gameKey }, dataStores: new DataStoreBackend() },
		});
		for (const userId of options.userIds) await joinPlayer(world.server, { userId, name: `Player${userId}` });
		const every = options.trackEverySeconds ?? 1;
		await world.run(
			"server",
			`
			local RS = game:GetService("ReplicatedStorage")
			local Players = game:GetService("Players")
			local Vantage = require(RS.Vantage).Vantage
			assert(Vantage.start({ endpoint = "${options.url}", flushSeconds = 2, sessionStartWaitSeconds = 1 }), "start failed")
			_G.tracking = true
			for _, player in Players:GetPlayers() do
				task.spawn(function()
					local n = 0
					while _G.tracking and player.Parent == Players do
						n += 1
						assert(Vantage.track(player, "step", { n = n }))
						if n % 20 == 0 then
							-- What ProcessReceipt gets for a developer product bought with Robux.
							Vantage.purchase({
								PlayerId = player.UserId,
								PurchaseId = "${options.jobId}-" .. player.UserId .. "-" .. n,
								ProductId = 1099,
								CurrencySpent = 99,
								CurrencyType = Enum.CurrencyType.Robux,
								PlaceIdWherePurchased = game.PlaceId,
							})
						end
						task.wait(${every})
					end
				end)
			end
		`,
		);
		return new HarnessGameServer(world, options);
	}

	/** Advances the VM's clock to the wall clock's, a fifth of a second at a time (longer when a request held it). */
	private async keepPace(): Promise<void> {
		const started = Date.now();
		let virtual = 0;
		try {
			while (this.running) {
				const wall = (Date.now() - started) / 1000;
				if (wall > virtual) {
					const step = Math.min(5, wall - virtual);
					await this.world.advance(step);
					virtual += step;
				}
				await new Promise((r) => setTimeout(r, 200));
			}
		} catch (error) {
			this.error = error;
		}
	}

	/** The SDK's counters now. */
	async stats(): Promise<SdkStats> {
		const [stats] = await this.world.run<[SdkStats]>("server", STATS);
		return stats;
	}

	/**
	 * Stops tracking, lets the players leave (their sessions end), keeps the clock going until the SDK holds nothing
	 * (its retries delivered everything, or `timeoutSeconds` passed), then shuts the server down (BindToClose).
	 */
	async stop(timeoutSeconds = 60): Promise<SdkStats> {
		this.running = false;
		await this.loop;
		if (this.error) throw this.error;
		try {
			await this.world.run("server", `_G.tracking = false`);
			for (const userId of this.options.userIds) await leavePlayer(this.world.server, userId);
			let stats = await this.stats();
			for (let waited = 0; waited < timeoutSeconds && stats.queued > 0; waited++) {
				await this.world.advance(1);
				stats = await this.stats();
			}
			await this.world.shutdown({ keepServer: true });
			const [final] = await this.world.server.run<[SdkStats]>(STATS);
			return final;
		} finally {
			await this.world.destroy();
		}
	}

	/** Error lines the game server printed (the SDK never errors on a backend fault). */
	errors(): string[] {
		return this.world.server.lines("error");
	}
}
