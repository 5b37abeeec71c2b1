// The simulator: the example game's real scripts and the real Vantage SDK in the harness (a Luau VM emulating a Roblox
// game server), played by synthetic players, sending to a real backend over the SDK's wire protocol.
//
// How 28 days pass in about two minutes: the harness's scheduler skips idle virtual time (nothing is simulated between
// timers), a game server is one VM without client VMs (a player's client is played by players.server.luau, which
// calls what the game's remote handlers call, and by a stand-in that sends again what the game's real client sent on
// the player's platform, recorded once per platform at the start; a client VM costs about 0.3 s to boot, more than a
// whole session), and
// the VM joins and removes players at their planned times by itself (the harness's player schedule, one host call a
// day); everything a player does happens inside the VM on its virtual clock. The players are spread over several game servers (one per 1,000 daily players, at most one per
// core), each in its own worker thread, as a popular game runs many servers.
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { nodeFromProject, type TreeNode } from "../../test/harness/project.js";
import { RobloxVm } from "../../test/harness/vm.js";
import {
	schedulePlayers,
	scheduledPlayerCounts,
	setClientRecordings,
	World,
	type PlayerSpec,
	type RecordedClientMessage,
	type ScheduledPlayerChange,
} from "../../test/harness/world.js";
import { MarketplaceBackend, type MarketplaceConfig } from "../../test/harness/services/marketplace.js";
import { mulberry32 as stream, sampleNormal } from "../../server/stats/prng.js";

export interface SimulationOptions {
	/** The backend's base URL. */
	url: string;
	/** The game key (the experience secret `vantage_game_key`). */
	gameKey: string;
	/** The game (universe) id. */
	gameId: string;
	/** Daily players at the steady state. @default 2000 */
	players?: number;
	/** Days of history before now. @default 28 */
	days?: number;
	/** Whether to play the history (the first start); false starts live play at once. */
	seedHistory: boolean;
	/** Whether to keep playing in real time after the history. */
	live: boolean;
	onProgress?: (done: number, total: number, label: string) => void;
	signal?: AbortSignal;
	/** Wall-clock now (unix ms). @default Date.now() */
	now?: number;
	/** Random seed of the population. @default 1 */
	seed?: number;
	/**
	 * Game servers to run, each a harness VM in its own worker thread with its share of the players (a popular
	 * game runs many servers). @default one per 1,000 daily players, at most one per CPU core; 1 runs in-process
	 */
	servers?: number;
	/**
	 * What each device's real client (the example's LocalScript with VantageClient) sends the server, by platform
	 * (see recordClients). @default recorded when the simulation starts
	 */
	clientRecordings?: ClientRecordings;
	/**
	 * How much players differ in how long they play, for good: each player's sessions last their own factor times the
	 * usual length, a factor drawn once per player from a log-normal with this sigma. Behaviour before an experiment
	 * then predicts behaviour after it, as with real players (what CUPED uses). @default 0 (no such factor)
	 */
	playtimeSpread?: number;
	/**
	 * Called before each day of history is played, with the day's index and its start (unix ms), e.g. to start an
	 * experiment after some days of play so returning players have a history before their first exposure. Days are
	 * played one after another on every server, so only a single server (`servers: 1`) can pause for it.
	 */
	beforeDay?: (day: number, startMs: number) => Promise<void>;
	/**
	 * The planted co-purchase rule (see CO_PURCHASE_PAIRS): the chance that a player who buys one item of a pair
	 * wants its partner and buys it as soon as they can afford it (in that session or a later one). 0 plants no pairs.
	 * @default 0.7
	 */
	pairPull?: number;
	/**
	 * KPI anomalies planted on known days of the history (see PlantedAnomaly). @default DEFAULT_ANOMALIES, each only
	 * when the history is long enough for the anomaly detector to judge its day (`days - daysAgo >= 21`: with the
	 * default 28 days, all three)
	 */
	anomalies?: PlantedAnomaly[];
}

/**
 * A KPI anomaly planted on one UTC day of the history, `daysAgo` days before the day of `now` (1 = yesterday):
 * - `outage`: nobody can join from `fromHour` (UTC) for `hours`, and players in the game are disconnected when it
 *   starts (a Roblox outage): daily players and event volume drop;
 * - `errors`: a bad build for the whole day: each level attempt hits a script error with chance `rate` (the game's
 *   error tracking, ScriptContext.Error, reports it): the error rate spikes;
 * - `sale`: developer products cost `1 - discount` of their price for the whole day and the sale banner pulls:
 *   shop visits and each payer's chance of buying a product are multiplied by `pull`, and players who never pay buy
 *   with chance 0.5% × `pull` per visit: revenue spikes. Daily revenue is a few large purchases, so the detector's
 *   band is wide: at the defaults a sale brings about 20 times a usual day's Robux.
 */
export type PlantedAnomaly =
	| { kind: "outage"; daysAgo: number; fromHour: number; hours: number }
	| { kind: "errors"; daysAgo: number; rate: number }
	| { kind: "sale"; daysAgo: number; discount: number; pull: number };

/**
 * The anomalies of the seeded history: an outage 6 days ago (12:00–20:00 UTC, the evening peak), an error spike 4
 * days ago and a 30%-off sale 2 days ago, all in the last 7 days, which the Predictions page's anomaly detector judges
 * against the 21 or more days before each (server/predict/anomaly.ts).
 */
export const DEFAULT_ANOMALIES: readonly PlantedAnomaly[] = [
	{ kind: "outage", daysAgo: 6, fromHour: 12, hours: 8 },
	{ kind: "errors", daysAgo: 4, rate: 0.3 },
	{ kind: "sale", daysAgo: 2, discount: 0.3, pull: 6 },
];

/** Days of history the anomaly detector needs before a day it judges (server/predict/anomaly.ts minHistoryDays). */
const DETECTOR_HISTORY_DAYS = 21;

/**
 * The planted co-purchase pairs, by the example game's item ids (Config.ITEMS; the backend names them
 * `<itemType>:<itemId>`, e.g. `Gear:speed_coil`): who buys one item of a pair wants the other with chance `pairPull`
 * (players.server.luau). The other items (hat, wings, wave) and the developer products have no partner. The pet
 * costs 400 coins, more than most sessions earn (coins do not carry over), so its pair is the weakest.
 */
export const CO_PURCHASE_PAIRS: readonly [string, string][] = [
	["trail", "sparkles"],
	["halo", "cape"],
	["dance", "flip"],
	["speed_coil", "gravity_coil"],
	["grapple", "glider"],
	["pet", "pet_collar"],
];

/** Recorded client messages by the name of the platform they were recorded on. */
export type ClientRecordings = Record<string, RecordedClientMessage[]>;

export interface SimulationReport {
	days: number;
	sessions: number;
	players: number;
	/** Virtual seconds simulated. */
	virtualSeconds: number;
	wallSeconds: number;
}

const DAY = 86_400;
/** Players.MaxPlayers of the simulated server (Roblox's largest standard size); a full server turns players away. */
const MAX_PLAYERS = 100;
const EXAMPLE = join(import.meta.dirname, "..");

/** Countries with their share of players and a locale each. */
const COUNTRIES: [string, number, string][] = [
	["US", 0.3, "en-us"],
	["BR", 0.12, "pt-br"],
	["PH", 0.08, "en-us"],
	["GB", 0.07, "en-gb"],
	["DE", 0.07, "de-de"],
	["MX", 0.07, "es-mx"],
	["FR", 0.06, "fr-fr"],
	["ID", 0.06, "id-id"],
	["CA", 0.05, "en-us"],
	["ES", 0.05, "es-es"],
	["PL", 0.04, "pl-pl"],
	["JP", 0.03, "ja-jp"],
];

/**
 * Platforms (Enum.Platform names) with their share of players and how they play: Roblox is mostly played on phones
 * and tablets, then computers, then consoles, a little in VR. A game never learns the platform (VantageClient reports
 * the device class from the input the client has), so platforms with the same input share one client recording
 * (`client`); `session` scales the session length (phone sessions are shorter).
 */
const PLATFORMS: [platform: string, share: number, session: number, client: string][] = [
	["Android", 0.34, 0.8, "IOS"],
	["IOS", 0.22, 0.8, "IOS"],
	["Windows", 0.27, 1.25, "Windows"],
	["OSX", 0.04, 1.2, "Windows"],
	["PS5", 0.06, 1.3, "PS5"],
	["XBoxOne", 0.05, 1.3, "PS5"],
	["MetaOS", 0.02, 0.9, "MetaOS"],
];

interface SimPlayer {
	userId: number;
	platform: string;
	/** The client recording of the platform's input (see PLATFORMS). */
	client: string;
	/** Session length factor of the platform. */
	sessionScale: number;
	country: string;
	locale: string;
	premium: boolean;
	accountAge: number;
	/** 0..1: how well they play (fewer fails). */
	skill: number;
	/** 0..1 chance per shop visit of buying a developer product; most players never pay. */
	spend: number;
	firstDay: number;
	/** 0..1: how likely they come back tomorrow; moved by how their last session went. */
	engagement: number;
	/** Their own session length factor, for good (see SimulationOptions.playtimeSpread). */
	playtime: number;
	churned: boolean;
	/** Coin items they own, and planted partners they want (see CO_PURCHASE_PAIRS). */
	owned: string[];
	wishes: string[];
}

/** The example game's instance tree with the simulated players' script and the backend's address. */
export function simulatorTree(url: string): TreeNode {
	const tree = nodeFromProject(join(EXAMPLE, "default.project.json"));
	const sss = tree.children.find((c) => c.name === "ServerScriptService")!;
	const gameScript = sss.children.find((c) => c.name === "Game")!;
	// Days pass in seconds here: flush and poll on the virtual clock as rarely as a day's data allows, so the history
	// takes a few thousand requests instead of a quarter of a million (a batch still holds at most 10,000 events), and
	// looks for other servers' spilled batches hourly instead of every two minutes (a DataStore listing each).
	gameScript.attributes = {
		...gameScript.attributes,
		VantageEndpoint: url,
		VantageFlushSeconds: 3600,
		VantageConfigRefreshSeconds: 3600,
		VantageSpillDrainSeconds: 3600,
	};
	sss.children.push({
		name: "SimulatedPlayers",
		className: "Script",
		source: readFileSync(join(import.meta.dirname, "players.server.luau"), "utf8"),
		children: [],
	});
	return tree;
}

/** Products and the pass as the Creator Hub would list them (the harness's MarketplaceService sells them). */
const MARKETPLACE = {
	products: {
		1001: { name: "100 Coins", price: 25 },
		1002: { name: "600 Coins", price: 99 },
		1003: { name: "Skip Level", price: 49 },
		1004: { name: "1,500 Coins", price: 199 },
		1005: { name: "Skip 3 Levels", price: 119 },
	},
	passes: { 2001: { name: "VIP", price: 199 } },
	autoRespond: "buy",
} satisfies MarketplaceConfig;

/** The part of the options a server worker gets (functions and signals stay in the calling thread). */
export type ServerOptions = Omit<SimulationOptions, "onProgress" | "signal" | "servers" | "beforeDay">;
/** Which of the game's servers this is. */
export interface Shard {
	index: number;
	count: number;
}

/** Messages from a server worker. */
export type ServerMessage =
	| { kind: "progress"; done: number; total: number }
	| { kind: "done"; report: SimulationReport }
	| { kind: "failed"; message: string };

/** Servers for a population: one per 1,000 daily players, at most one per core, at least one. */
export function defaultServers(players: number): number {
	return Math.max(1, Math.min(availableParallelism(), Math.ceil(players / 1000)));
}

/**
 * Plays the example game: `days` of history ending now (if `seedHistory`), then live in real time (if `live`) until
 * `signal` aborts. With more than one server, each runs in a worker thread with its share of the players and its own
 * population; progress counts the days every server has played.
 *
 * @example
 * await runSimulation({ url, gameKey, gameId: "1818", players: 2000, days: 28, seedHistory: true, live: false });
 */
export async function runSimulation(options: SimulationOptions): Promise<SimulationReport> {
	const { onProgress, signal, servers: requested, beforeDay, ...rest } = options;
	const players = rest.players ?? 2000;
	const count = requested ?? defaultServers(players);
	if (!Number.isInteger(count) || count < 1)
		throw new RangeError(`servers must be a whole number of at least 1, got ${requested}`);
	if (beforeDay && count > 1) throw new RangeError(`beforeDay needs a single server (servers: 1), got ${count}`);
	const spread = rest.playtimeSpread ?? 0;
	if (!(spread >= 0 && spread <= 3))
		throw new RangeError(`playtimeSpread must be in [0, 3], got ${rest.playtimeSpread}`);
	const pull = rest.pairPull ?? 0.7;
	if (!(pull >= 0 && pull <= 1)) throw new RangeError(`pairPull must be in [0, 1], got ${rest.pairPull}`);
	plantedAnomalies(rest.anomalies, rest.seedHistory ? (rest.days ?? 28) : 0);
	if (count === 1) return playServer(options, { index: 0, count: 1 });

	const wallStart = Date.now();
	// Every server replays the same recordings: record them once.
	const clientRecordings = rest.clientRecordings ?? (await recordClients());
	const done = new Array<number>(count).fill(0);
	let total = 0;
	const workers: Worker[] = [];
	const running = Promise.all(
		Array.from({ length: count }, (_, index) => {
			const worker = new Worker(new URL("./worker-boot.mjs", import.meta.url), {
				workerData: {
					entry: new URL("./server-worker.ts", import.meta.url).href,
					options: { ...rest, now: rest.now ?? Date.now(), clientRecordings } satisfies ServerOptions,
					shard: { index, count } satisfies Shard,
				},
			});
			workers.push(worker);
			return new Promise<SimulationReport>((resolve, reject) => {
				worker.on("message", (message: ServerMessage) => {
					if (message.kind === "progress") {
						done[index] = message.done;
						total = message.total * count;
						onProgress?.(
							done.reduce((a, b) => a + b, 0),
							total,
							`day ${Math.min(...done) + 1} of ${message.total} on ${count} servers`,
						);
					} else if (message.kind === "done") resolve(message.report);
					else reject(new Error(`simulated server ${index + 1} of ${count} failed: ${message.message}`));
				});
				worker.on("error", (error) => reject(error));
				worker.on("exit", (code) => reject(new Error(`simulated server ${index + 1} of ${count} exited (${code})`)));
			});
		}),
	);
	const abort = (): void => {
		for (const worker of workers) worker.postMessage("abort");
	};
	signal?.addEventListener("abort", abort, { once: true });
	if (signal?.aborted) abort();
	let reports: SimulationReport[];
	try {
		reports = await running;
	} catch (error) {
		// One server failing stops the others.
		for (const worker of workers) void worker.terminate();
		throw error;
	} finally {
		signal?.removeEventListener("abort", abort);
	}
	return {
		days: reports[0]!.days,
		sessions: reports.reduce((a, r) => a + r.sessions, 0),
		players: reports.reduce((a, r) => a + r.players, 0),
		virtualSeconds: reports[0]!.virtualSeconds,
		wallSeconds: (Date.now() - wallStart) / 1000,
	};
}

/**
 * One game server: its share of the daily players, its own population (seeded by the shard) and job id. Runs in the
 * calling thread; `runSimulation` runs it in worker threads when there are several.
 */
export async function playServer(
	options: ServerOptions & Pick<SimulationOptions, "onProgress" | "signal" | "beforeDay">,
	shard: Shard,
): Promise<SimulationReport> {
	const players = Math.round((options.players ?? 2000) / shard.count);
	const days = options.seedHistory ? (options.days ?? 28) : 0;
	const random = stream((options.seed ?? 1) * 7919 + shard.index);
	const wallStart = Date.now();
	const now = options.now ?? Date.now();
	// Virtual time 0 is `days` days before now, so the history ends now.
	const startSeconds = Math.floor(now / 1000) - days * DAY;

	// The experience's catalogue: a sale changes its prices for a day.
	const market = new MarketplaceBackend(MARKETPLACE);
	const anomalies = plantedAnomalies(options.anomalies, days);
	const todayStart = Math.floor(now / 1000 / DAY) * DAY;
	const windows = anomalies.map((a) => {
		const from = todayStart - a.daysAgo * DAY + (a.kind === "outage" ? a.fromHour * 3600 : 0);
		return { ...a, from, to: from + (a.kind === "outage" ? a.hours * 3600 : DAY) };
	});
	const during = (kind: PlantedAnomaly["kind"], at: number) =>
		windows.find((w) => w.kind === kind && at >= w.from && at < w.to);
	let onSale = false;
	const setSale = (at: number): void => {
		const sale = during("sale", at);
		if (!sale === !onSale) return;
		onSale = !!sale;
		for (const [id, spec] of Object.entries(MARKETPLACE.products)) {
			const discount = sale?.kind === "sale" ? sale.discount : 0;
			market.setProduct(Number(id), { ...spec, price: Math.round(spec.price * (1 - discount)) });
		}
	};

	const vm = await RobloxVm.create({
		role: "server",
		name: "simulated game server",
		tree: simulatorTree(options.url),
		epochSeconds: startSeconds,
		gameId: Number(options.gameId) || 0,
		placeId: 18180,
		jobId: jobId(options.seed ?? 1, shard.index),
		echo: process.env.VANTAGE_SIM_ECHO === "1",
		config: { secrets: { vantage_game_key: options.gameKey }, marketplace: market, maxPlayers: MAX_PLAYERS },
	});
	await vm.callH("worldRunServerScripts");
	// The planted co-purchase pairs, both ways.
	const partners = Object.fromEntries(CO_PURCHASE_PAIRS.flatMap(([a, b]) => [[a, b] as const, [b, a] as const]));
	await vm.run(`_G.VantageSimulator.setPairs(${luauString(JSON.stringify(partners))}, ${options.pairPull ?? 0.7})`);
	await setClientRecordings(vm, options.clientRecordings ?? (await recordClients()));

	const population: SimPlayer[] = [];
	// Each server's players have ids of their own.
	let nextUserId = 100_000_000 + shard.index * 50_000_000 + Math.floor(random() * 100_000) * 100;

	const spread = options.playtimeSpread ?? 0;
	// A player who plays long sessions also comes back as much more often (at most daily).
	const returnChance = (p: SimPlayer) => (spread > 0 ? Math.min(1, p.engagement * p.playtime) : p.engagement);
	const newPlayer = (day: number): SimPlayer => {
		let r = random();
		let country = COUNTRIES[0]!;
		for (const c of COUNTRIES) {
			if (r < c[1]) {
				country = c;
				break;
			}
			r -= c[1];
		}
		const payer = random() < 0.07;
		let q = random();
		let platform = PLATFORMS[0]!;
		for (const p of PLATFORMS) {
			if (q < p[1]) {
				platform = p;
				break;
			}
			q -= p[1];
		}
		return {
			userId: nextUserId++,
			platform: platform[0],
			client: platform[3],
			sessionScale: platform[2],
			country: country[0],
			locale: country[2],
			premium: random() < 0.12,
			accountAge: Math.floor(random() * 2000),
			skill: random(),
			// Payers' spend propensity is heavy-tailed: a few whales, many small spenders.
			spend: payer ? Math.min(0.9, 0.05 / Math.max(0.02, random()) ** 0.7) : 0,
			firstDay: day,
			engagement: 0.3 + random() * 0.25,
			// Drawn last and only when asked, so populations without it stay as they were.
			playtime: spread > 0 ? Math.exp(spread * sampleNormal(random)) : 1,
			churned: false,
			owned: [],
			wishes: [],
		};
	};

	/**
	 * One day (or, live, a shorter slice) of play: who comes, when, for how long. `dayStart` is virtual seconds since
	 * the VM's epoch. With `pace`, virtual time follows the wall clock (live play).
	 */
	const playDay = async (
		day: number,
		dayStart: number,
		length: number,
		pace?: (virtual: number) => number,
	): Promise<void> => {
		const share = length / DAY;
		const weekday = new Date((startSeconds + dayStart) * 1000).getUTCDay();
		const weekend = weekday === 0 || weekday === 6 ? 1.2 : 1;
		// Today's players: returning ones by their engagement, then new ones up to the day's target. The game's reach
		// is what it is: when more would return than 80% of the target, each returns a little less often, so daily
		// players stay near the target and new players are at least a fifth of them.
		const target = players * weekend * share;
		let expected = 0;
		for (const p of population) if (!p.churned) expected += returnChance(p) * share;
		const damp = expected > 0.8 * target ? (0.8 * target) / expected : 1;
		const today: SimPlayer[] = [];
		for (const p of population) {
			if (p.churned) continue;
			if (random() < returnChance(p) * share * damp) today.push(p);
			else if (random() < 0.15 * share) p.churned = true;
		}
		const arrivals = Math.round(Math.max(0, target - today.length));
		for (let i = 0; i < arrivals; i++) {
			const p = newPlayer(day);
			population.push(p);
			today.push(p);
		}
		// Session start: a daily cycle peaking in the evening (UTC), within [0, length).
		const plans = today.map((p) => {
			let at = 0;
			for (;;) {
				const hour = random() * 24;
				if (random() < 0.55 + 0.45 * Math.sin(((hour - 13) / 24) * 2 * Math.PI)) {
					at = Math.floor(hour * 3600 * (length / DAY));
					break;
				}
			}
			// Session length: log-normal around 12 minutes, longer for engaged players.
			const minutes =
				Math.exp(Math.log(12) + 0.8 * sampleNormal(random)) * (0.6 + p.engagement) * p.sessionScale * p.playtime;
			return { p, at, seconds: Math.max(60, Math.min(3 * 3600, Math.round(minutes * 60))) };
		});
		// An outage: nobody joins during it, and who is playing when it starts is disconnected.
		const planned = plans.filter((plan) => {
			const start = startSeconds + dayStart + plan.at;
			if (during("outage", start)) return false;
			const outage = windows.find((w) => w.kind === "outage" && start < w.from && start + plan.seconds > w.from);
			if (outage) plan.seconds = outage.from - start;
			return true;
		});
		plans.length = 0;
		plans.push(...planned);
		plans.sort((a, b) => a.at - b.at);
		await vm.run(
			`_G.VantageSimulator.addPlans(${luauString(
				JSON.stringify(
					plans.map((x) => {
						// The bad build and the sale hold for what a session plays inside their day.
						const start = startSeconds + dayStart + x.at;
						const overlaps = (kind: PlantedAnomaly["kind"]) =>
							windows.find((w) => w.kind === kind && start < w.to && start + x.seconds > w.from);
						const errors = overlaps("errors");
						const sale = overlaps("sale");
						return {
							u: x.p.userId,
							s: x.seconds,
							k: Math.round(x.p.skill * 100) / 100,
							b: Math.round(x.p.spend * 100) / 100,
							seed: Math.floor(random() * 2 ** 31),
							o: x.p.owned,
							w: x.p.wishes,
							...(errors?.kind === "errors" ? { e: [errors.rate, errors.from, errors.to] } : {}),
							...(sale?.kind === "sale" ? { m: [sale.pull, sale.from, sale.to] } : {}),
						};
					}),
				),
			)})`,
		);
		// Who joins and leaves when: the VM runs the day's joins and leaves on its own clock.
		await schedulePlayers(
			vm,
			plans.flatMap((plan): ScheduledPlayerChange[] => {
				const at = dayStart + plan.at;
				const p = plan.p;
				const spec: PlayerSpec = {
					userId: p.userId,
					name: `Player${p.userId}`,
					accountAge: p.accountAge,
					premium: p.premium,
					locale: p.locale,
					country: p.country,
					platform: p.platform,
				};
				return [
					// The player's client: what the real client sent on that platform, sent again (a client VM per
					// session would cost more than the session).
					{ at, join: spec, client: p.client },
					{ at: at + plan.seconds, leave: p.userId },
				];
			}),
		);
		if (pace) {
			// Live: a second of virtual time per second of wall time, so events happen when they say they do.
			for (let clock = dayStart; clock < dayStart + length && !options.signal?.aborted; clock++) {
				const wait = pace(clock + 1) - Date.now();
				if (wait > 0) await sleep(Math.min(wait, 1000), options.signal);
				await vm.advance(1);
			}
		} else {
			// A sale's prices hold from its first second to its last: the day is played in pieces at its edges.
			setSale(startSeconds + dayStart);
			let clock = dayStart;
			const edges = windows
				.filter((w) => w.kind === "sale")
				.flatMap((w) => [w.from - startSeconds, w.to - startSeconds])
				.filter((t) => t > dayStart && t < dayStart + length)
				.sort((a, b) => a - b);
			for (const edge of edges) {
				await vm.advance(edge - clock);
				clock = edge;
				setSale(startSeconds + clock);
			}
			await vm.advance(dayStart + length - clock);
		}
		if (options.signal?.aborted) return;
		// How each session went moves the player's will to return: fails push it down, progress up.
		const outcomes = JSON.parse(((await vm.run(`return _G.VantageSimulator.takeOutcomes()`)) as string[])[0]!) as
			Record<string, { f: number; c: number; d: string; i: string[] | object; w: string[] | object }> | unknown[];
		if (!Array.isArray(outcomes)) {
			const byId = new Map(population.map((p) => [String(p.userId), p]));
			for (const [id, o] of Object.entries(outcomes)) {
				const p = byId.get(id);
				if (!p) continue;
				const progress = o.c / Math.max(1, o.c + o.f);
				const next = p.engagement * 0.85 + progress * 0.12 - (o.d === "hard" ? 0.03 : 0);
				p.engagement = Math.min(0.75, Math.max(0.05, next));
				// What they bought and still want carries over to their next session (an empty Luau table is `{}`).
				if (Array.isArray(o.i)) p.owned.push(...(o.i as string[]));
				p.wishes = Array.isArray(o.w) ? (o.w as string[]) : [];
			}
		}
	};

	let counts = { joined: 0, turnedAway: 0 };
	try {
		for (let day = 0; day < days; day++) {
			if (options.signal?.aborted) break;
			options.onProgress?.(day, days, `day ${day + 1} of ${days}`);
			await options.beforeDay?.(day, (startSeconds + day * DAY) * 1000);
			await playDay(day, day * DAY, DAY);
		}
		if (!options.signal?.aborted) options.onProgress?.(days, days, "history done");
		// Without live play everyone leaves at the end of the history (with it, sessions go on into live play); then
		// what the SDK still holds is flushed.
		if (!options.live) await vm.callH("worldKickAll", "Unknown");
		await vm.run("require(game:GetService('ReplicatedStorage').Vantage).Vantage.flush()");
		await vm.advance(30);

		// Live: the same population model in real time, an hour-long slice at a time, until aborted.
		let live = days * DAY + 30;
		const liveWall = Date.now();
		const liveBase = live;
		const pace = (virtual: number) => liveWall + (virtual - liveBase) * 1000;
		while (options.live && !options.signal?.aborted) {
			await playDay(Math.floor(live / DAY), live, 3600, pace);
			live += 3600;
		}
		counts = await scheduledPlayerCounts(vm);
	} finally {
		vm.destroy();
	}
	return {
		days,
		sessions: counts.joined,
		players: population.length,
		virtualSeconds: days * DAY,
		wallSeconds: (Date.now() - wallStart) / 1000,
	};
}

/**
 * Runs the example game's real client (its LocalScript, VantageClient) once per platform in a harness World and
 * records what it sends the server in its first seconds: the device report and the client's own events. Simulated
 * players' stand-in clients send these again, so history has each player's device and the client's events without a
 * client VM per session (about 0.3 s each). The recording's server has no backend (its address refuses connections),
 * so nothing of it reaches the data.
 */
export async function recordClients(
	platforms: readonly string[] = [...new Set(PLATFORMS.map((p) => p[3]))],
): Promise<ClientRecordings> {
	const tree = nodeFromProject(join(EXAMPLE, "default.project.json"));
	const gameScript = tree.children
		.find((c) => c.name === "ServerScriptService")!
		.children.find((c) => c.name === "Game")!;
	gameScript.attributes = { ...gameScript.attributes, VantageEndpoint: "http://127.0.0.1:9" };
	const world = await World.create({ tree, placeId: 18180, gameId: 1818, config: { marketplace: MARKETPLACE } });
	try {
		await world.start();
		const recordings: ClientRecordings = {};
		let userId = 1;
		for (const platform of platforms) {
			recordings[platform] = await world.recordClientMessages({ userId: userId++, name: "Recorder", platform }, 15);
			if (recordings[platform].length === 0) throw new Error(`the example's client sent nothing on ${platform}`);
		}
		return recordings;
	} finally {
		await world.destroy();
	}
}

/**
 * The anomalies to plant in `days` of history: the ones given, checked, or the defaults the history is long enough
 * for the detector to judge.
 */
function plantedAnomalies(given: readonly PlantedAnomaly[] | undefined, days: number): PlantedAnomaly[] {
	if (given === undefined) return DEFAULT_ANOMALIES.filter((a) => days - a.daysAgo >= DETECTOR_HISTORY_DAYS);
	for (const a of given) {
		const where = `anomaly ${JSON.stringify(a)}`;
		if (!Number.isInteger(a.daysAgo) || a.daysAgo < 1 || a.daysAgo > days)
			throw new RangeError(`${where}: daysAgo must be a whole number in [1, ${days}] (the history's days)`);
		if (a.kind === "outage") {
			if (!Number.isInteger(a.fromHour) || a.fromHour < 0 || a.fromHour > 23)
				throw new RangeError(`${where}: fromHour must be a whole hour in [0, 23]`);
			if (!(a.hours > 0 && a.fromHour + a.hours <= 24))
				throw new RangeError(`${where}: hours must be > 0 and end by midnight`);
		} else if (a.kind === "errors") {
			if (!(a.rate > 0 && a.rate <= 1)) throw new RangeError(`${where}: rate must be in (0, 1]`);
		} else if (a.kind === "sale") {
			if (!(a.discount >= 0 && a.discount < 1)) throw new RangeError(`${where}: discount must be in [0, 1)`);
			if (!(a.pull >= 1 && a.pull <= 10)) throw new RangeError(`${where}: pull must be in [1, 10]`);
		} else throw new RangeError(`${where}: kind must be outage, errors or sale`);
	}
	return [...given];
}

/** A version 4 UUID for the server's JobId, the same for the same seed and server. */
function jobId(seed: number, index: number): string {
	const random = stream(seed * 104_729 + index + 1);
	const hex = (n: number) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join("");
	return `${hex(8)}-${hex(4)}-4${hex(3)}-${"89ab"[Math.floor(random() * 4)]}${hex(3)}-${hex(12)}`;
}

function luauString(s: string): string {
	return `"${s.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n")}"`;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
	return new Promise((resolve) => {
		const done = () => {
			clearTimeout(timer);
			signal?.removeEventListener("abort", done);
			resolve();
		};
		const timer = setTimeout(done, ms);
		signal?.addEventListener("abort", done, { once: true });
	});
}
