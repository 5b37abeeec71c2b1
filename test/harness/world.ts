// One Roblox experience in Node: a game server VM plus one client VM per player, run in lock-step on one virtual
// clock, with replication and remote events/functions crossing between them as copied messages.
//
// The Luau half is lua/services/_world.luau (entry points, outbox), players.luau, replication.luau, remotes.luau.
// How time moves: every VM reports the frame of its next scheduled work (a timer, or the next frame when something
// listens to per-frame events). The world advances all VMs to the earliest such frame (or to the next message
// delivery), delivers the messages due, and repeats; idle stretches are skipped in one step. A message sent in
// frame F is delivered at the start of frame F + 1 of the receiving VM (the emulated network latency is one frame
// each way), in the order it was sent.
//
// Roblox behaviour followed (details and citations in the Luau files):
// * A player's client receives the replicated containers (Workspace, ReplicatedStorage, ReplicatedFirst, Lighting,
//   SoundService, Chat, Teams, StarterGui, StarterPack, StarterPlayer) when it joins and every server change after;
//   ServerScriptService and ServerStorage never reach it.
// * start() runs enabled Scripts in ServerScriptService and Workspace on the server, and on each client the enabled
//   LocalScripts in ReplicatedFirst (first), PlayerScripts (copied from StarterPlayerScripts), PlayerGui (from
//   StarterGui) and Backpack (from StarterPack). A player who joins after start() runs them at join.
// * Player:Kick() disconnects the player at the end of the frame: PlayerRemoving fires on the server (exit reason
//   CreatorKick) and the player's client VM is closed.
// * shutdown(): the server disconnects every player (PlayerRemoving), calls every BindToClose function with an
//   Enum.CloseReason and waits for them at most 30 virtual seconds (DataModel:BindToClose: "The experience server
//   waits 30 seconds for all bound functions to stop running before it shuts down. After 30 seconds, the server
//   shuts down even if functions are still running."), then closes the server VM and reports what finished.
//
// Drive a world through its own methods (advance, run): vm.run / vm.advance on world.server or world.client(id)
// move only that VM's clock, and its messages wait until the world catches up.
import { LuauRuntimeError, RobloxVm, type ThreadResult, type VmOptions } from "./vm.js";
import type { TreeNode } from "./project.js";
import { marketplaceOf, type MarketplaceControl } from "./services/marketplace.js";

/** A player joining the experience. */
export interface PlayerSpec {
	userId: number;
	name: string;
	displayName?: string;
	/** Days since the account was created (Player.AccountAge). Default 0. */
	accountAge?: number;
	/** Roblox Premium (Player.MembershipType = Premium). */
	premium?: boolean;
	/** Player.LocaleId, e.g. "en-us" (default), "de-de". */
	locale?: string;
	/** ISO 3166-1 alpha-2 country for LocalizationService (default "US"); kept in H.playerInfo. */
	country?: string;
	/** Enum.Platform name (default "Windows"); kept in H.playerInfo. */
	platform?: string;
	/** Player.FollowUserId. */
	followUserId?: number;
	verified?: boolean;
	/** What Player:GetJoinData() returns (SourceGameId, SourcePlaceId, LaunchData, Members, TeleportData, ...). */
	joinData?: Record<string, unknown>;
	/** Group memberships: groupId → rank (1..255) and role name. */
	groups?: Record<number, { rank: number; role?: string }>;
}

/** The place-wide settings every VM of the world shares are VmOptions' own; the rest is the world's. */
export interface WorldOptions extends Pick<
	VmOptions,
	| "tree"
	| "epochSeconds"
	| "jobId"
	| "placeId"
	| "placeVersion"
	| "gameId"
	| "privateServerId"
	| "privateServerOwnerId"
	| "isStudio"
	| "signalBehavior"
	| "plugins"
	| "echo"
> {
	/** Players.MaxPlayers (default 50). */
	maxPlayers?: number;
	/** Settings for the server VM's services (e.g. secrets, httpEnabled), put into H. */
	config?: Record<string, unknown>;
	/** Settings for every client VM (default none: clients get no secrets). */
	clientConfig?: Record<string, unknown>;
}

export type PlayerExitReason = "Unknown" | "PlatformKick" | "CreatorKick";
export type CloseReason =
	"Unknown" | "RobloxMaintenance" | "DeveloperShutdown" | "DeveloperUpdate" | "ServerEmpty" | "OutOfMemory";

export interface KickRecord {
	userId: number;
	/** The message given to Kick(), if any. */
	message?: string;
	/** Who called Kick: the server, or the player's own client (LocalPlayer:Kick()). */
	by: "server" | "client";
	/** World time (seconds) the kick took effect. */
	at: number;
}

export interface ShutdownReport {
	reason: CloseReason;
	/** Every BindToClose function returned within the time limit. */
	finished: boolean;
	/** Virtual seconds from the start of the shutdown until the server closed. */
	seconds: number;
	/** One entry per BindToClose function, in binding order. */
	callbacks: { finished: boolean; seconds?: number; error?: string }[];
	/** Players disconnected by the shutdown. */
	playersRemoved: number[];
}

export interface WorldStats {
	/** Messages delivered between VMs. */
	delivered: number;
	/** Messages dropped because the receiving client had left. */
	dropped: number;
	/** Lock-step iterations. */
	steps: number;
}

interface Node {
	vm: RobloxVm;
	/** undefined for the server */
	userId?: number;
	/** World frame at which this VM's clock read 0. */
	offset: number;
	/** World frame this VM's clock is at. */
	frame: number;
	/** World frame of this VM's next scheduled work (Infinity: none before the horizon). */
	next: number;
}

interface Message {
	raw: string;
	seq: number;
	deliverFrame: number;
	/** userId of the receiving client; undefined = the server */
	to?: number;
	/** userId of the sending client; undefined = the server */
	from?: number;
}

interface Report {
	status: string;
	data: string;
	close: number;
}

const FPS = 60;
const DEFAULT_EPOCH = 1767225600;

export class World {
	readonly server: RobloxVm;
	readonly kicks: KickRecord[] = [];
	readonly stats: WorldStats = { delivered: 0, dropped: 0, steps: 0 };
	private readonly serverNode: Node;
	private readonly clientNodes = new Map<number, Node>();
	private frame = 0;
	private horizon = 0;
	private inflight: Message[] = [];
	private seq = 0;
	private pendingKicks: { userId: number; message?: string; by: "server" | "client" }[] = [];
	private started = false;
	private closed = false;
	private closePending = -1;
	/** Clients whose messages to the server are being recorded: userId → the messages, with the frame they were sent. */
	private recorders = new Map<number, { frame: number; raw: string }[]>();

	private constructor(
		private readonly options: WorldOptions,
		server: RobloxVm,
	) {
		this.server = server;
		this.serverNode = { vm: server, offset: 0, frame: 0, next: Infinity };
	}

	static async create(options: WorldOptions = {}): Promise<World> {
		const server = await RobloxVm.create({
			role: "server",
			name: "server",
			tree: options.tree,
			epochSeconds: options.epochSeconds ?? DEFAULT_EPOCH,
			jobId: options.jobId,
			placeId: options.placeId,
			placeVersion: options.placeVersion,
			gameId: options.gameId,
			privateServerId: options.privateServerId,
			privateServerOwnerId: options.privateServerOwnerId,
			isStudio: options.isStudio,
			signalBehavior: options.signalBehavior,
			plugins: options.plugins,
			config: { ...options.config, ...(options.maxPlayers !== undefined ? { maxPlayers: options.maxPlayers } : {}) },
			echo: options.echo,
		});
		const fps = (await server.callH("worldAttach", 0)) as number;
		if (fps !== FPS) throw new Error(`world: the scheduler runs at ${fps} frames per second, the world expects ${FPS}`);
		return new World(options, server);
	}

	/** World time in virtual seconds (the server's clock). */
	get time(): number {
		return this.frame / FPS;
	}

	/** The client VM of a connected player. */
	client(userId: number): RobloxVm {
		const node = this.clientNodes.get(userId);
		if (!node) throw new Error(`world: player ${userId} is not connected`);
		return node.vm;
	}

	/** UserIds of the connected players, in join order. */
	get userIds(): number[] {
		return [...this.clientNodes.keys()];
	}

	/** Whether the server has shut down. */
	get isClosed(): boolean {
		return this.closed;
	}

	/**
	 * The server's MarketplaceService from the host: answer purchase prompts, make players buy (services/marketplace.ts).
	 * Products and passes come from config.marketplace.
	 */
	get marketplace(): MarketplaceControl {
		return marketplaceOf(this.server);
	}

	/** Runs the place's Scripts on the server and LocalScripts on every connected client, as the engine does. */
	async start(): Promise<void> {
		this.ensureOpen();
		if (this.started) return;
		this.started = true;
		this.absorb(
			this.serverNode,
			await this.serverNode.vm.callH("worldRunServerScripts", this.localHorizon(this.serverNode)),
		);
		for (const node of this.clientNodes.values()) {
			this.absorb(node, await node.vm.callH("worldRunClientScripts", this.localHorizon(node)));
		}
	}

	/** A player joins: the server creates the Player (PlayerAdded), then the player's client VM starts. */
	async addPlayer(spec: PlayerSpec): Promise<RobloxVm> {
		this.ensureOpen();
		if (!Number.isInteger(spec.userId) || spec.userId <= 0) throw new Error("world: userId must be a positive integer");
		if (typeof spec.name !== "string" || spec.name === "") throw new Error("world: name must be a non-empty string");
		if (this.clientNodes.has(spec.userId)) throw new Error(`world: player ${spec.userId} is already connected`);
		await this.catchUp(this.serverNode);
		const join = this.absorb(
			this.serverNode,
			await this.serverNode.vm.callH("worldPlayerJoin", JSON.stringify(spec), this.localHorizon(this.serverNode)),
		);
		const o = this.options;
		const vm = await RobloxVm.create({
			role: "client",
			name: `client ${spec.userId}`,
			epochSeconds: (o.epochSeconds ?? DEFAULT_EPOCH) + this.time,
			jobId: o.jobId,
			placeId: o.placeId,
			placeVersion: o.placeVersion,
			gameId: o.gameId,
			privateServerId: o.privateServerId,
			privateServerOwnerId: o.privateServerOwnerId,
			isStudio: o.isStudio,
			signalBehavior: o.signalBehavior,
			plugins: o.plugins,
			config: o.clientConfig,
			echo: o.echo,
		});
		const node: Node = { vm, userId: spec.userId, offset: this.frame, frame: this.frame, next: Infinity };
		await vm.callH("worldAttach", spec.userId);
		this.absorb(node, await vm.callH("worldClientInit", join.data, this.localHorizon(node)));
		this.clientNodes.set(spec.userId, node);
		if (this.started) this.absorb(node, await vm.callH("worldRunClientScripts", this.localHorizon(node)));
		return vm;
	}

	/**
	 * Joins a player, runs the world for `seconds` and records the RemoteEvent messages the player's client sent the
	 * server, then the player leaves. Each message keeps its remote (by full name: replication ids differ between VMs),
	 * its encoded arguments and when it was sent after the join, so a lone server VM can replay it for other players
	 * (a stand-in client: see ScheduledPlayerChange's `client`) without running a client VM per player.
	 */
	async recordClientMessages(spec: PlayerSpec, seconds: number): Promise<RecordedClientMessage[]> {
		if (!this.started) throw new Error("world: start the world before recording a client");
		const joinFrame = this.frame;
		const recorded: { frame: number; raw: string }[] = [];
		this.recorders.set(spec.userId, recorded);
		try {
			await this.addPlayer(spec);
			await this.advance(seconds);
		} finally {
			this.recorders.delete(spec.userId);
		}
		const messages: RecordedClientMessage[] = [];
		for (const { frame, raw } of recorded) {
			const m = JSON.parse(raw) as { k: string; r?: string; a?: unknown };
			if (m.k !== "ev") continue; // only RemoteEvent messages: a RemoteFunction waits for an answer
			const remote = (await this.server.callH("worldRemoteName", m.r)) as string;
			if (remote === "") continue;
			messages.push({ after: Math.max(0, (frame - joinFrame) / FPS), remote, a: m.a });
		}
		await this.removePlayer(spec.userId);
		return messages;
	}

	/**
	 * A player leaves: PlayerRemoving fires on the server (and on the other clients), the Player is destroyed and the
	 * player's client VM is closed. Messages from that client still in flight are dropped.
	 */
	async removePlayer(userId: number, reason: PlayerExitReason = "Unknown"): Promise<void> {
		this.ensureOpen();
		const node = this.clientNodes.get(userId);
		if (!node) throw new Error(`world: player ${userId} is not connected`);
		this.clientNodes.delete(userId);
		this.inflight = this.inflight.filter((m) => m.from !== userId && m.to !== userId);
		node.vm.destroy();
		await this.catchUp(this.serverNode);
		this.absorb(
			this.serverNode,
			await this.serverNode.vm.callH("worldPlayerLeave", userId, reason, this.localHorizon(this.serverNode)),
		);
	}

	/** Advances every VM by `seconds` of virtual time in lock-step, delivering messages between them. */
	async advance(seconds: number): Promise<void> {
		this.ensureOpen();
		if (!(seconds >= 0)) throw new Error("world: advance needs a non-negative number of seconds");
		await this.advanceTo(Math.floor((this.frame / FPS + seconds) * FPS + 1e-6));
	}

	/**
	 * Runs Luau source in a new thread on the server ("server") or a player's client (userId) and advances the whole
	 * world until it returns (at most `maxSeconds`, default 60). Returns its values as JSON snapshots; throws
	 * LuauRuntimeError if it errors or does not finish.
	 */
	async run<T = unknown[]>(
		where: "server" | number,
		source: string,
		opts: { maxSeconds?: number; chunkName?: string } = {},
	): Promise<T> {
		this.ensureOpen();
		const node = where === "server" ? this.serverNode : this.clientNodes.get(where);
		if (!node) throw new Error(`world: player ${String(where)} is not connected`);
		await this.catchUp(node);
		const id = await node.vm.start(
			source,
			opts.chunkName ?? (where === "server" ? "server.run" : `client${where}.run`),
		);
		let result: ThreadResult | undefined;
		const check = async () => {
			if (result) return true;
			if (!this.alive(node))
				throw new LuauRuntimeError(`the VM running the thread was closed (player ${String(where)} left)`);
			result ??= await node.vm.result(id);
			return result !== undefined;
		};
		const deadline = this.frame + Math.round((opts.maxSeconds ?? 60) * FPS);
		await this.advanceTo(deadline, check);
		if (!(await check())) {
			throw new LuauRuntimeError(`thread did not finish within ${opts.maxSeconds ?? 60} virtual seconds`);
		}
		if (!result!.ok) throw new LuauRuntimeError(result!.error ?? "error", result!.trace);
		return result!.values as T;
	}

	/**
	 * Shuts the server down: every player is disconnected (PlayerRemoving), every BindToClose function is called with
	 * Enum.CloseReason[reason] and given at most `timeout` (30) virtual seconds in total; then the server VM is
	 * closed (unless keepServer, for inspection). Reports which functions finished.
	 */
	async shutdown(opts: { reason?: CloseReason; timeout?: number; keepServer?: boolean } = {}): Promise<ShutdownReport> {
		this.ensureOpen();
		const reason = opts.reason ?? "DeveloperShutdown";
		const timeoutFrames = Math.round((opts.timeout ?? 30) * FPS);
		await this.catchUp(this.serverNode);
		const playersRemoved = this.userIds;
		for (const node of this.clientNodes.values()) node.vm.destroy();
		this.clientNodes.clear();
		this.inflight = [];
		const startFrame = this.frame;
		this.absorb(
			this.serverNode,
			await this.serverNode.vm.callH("worldShutdown", reason, this.localHorizon(this.serverNode)),
		);
		await this.advanceTo(startFrame + timeoutFrames, () => this.closePending === 0);
		const results = JSON.parse((await this.server.callH("worldCloseResults")) as string) as {
			done: boolean;
			frame: number;
			error?: string;
		}[];
		const report: ShutdownReport = {
			reason,
			finished: results.every((r) => r.done),
			seconds: (this.frame - startFrame) / FPS,
			callbacks: results.map((r) => ({
				finished: r.done,
				...(r.done ? { seconds: (r.frame + this.serverNode.offset - startFrame) / FPS } : {}),
				...(r.error !== undefined ? { error: r.error } : {}),
			})),
			playersRemoved,
		};
		this.closed = true;
		if (!opts.keepServer) await this.closeServer();
		return report;
	}

	/** Closes every VM. */
	async destroy(): Promise<void> {
		for (const node of this.clientNodes.values()) node.vm.destroy();
		this.clientNodes.clear();
		await this.closeServer();
		this.closed = true;
	}

	private serverDestroyed = false;
	private async closeServer(): Promise<void> {
		if (this.serverDestroyed) return;
		this.serverDestroyed = true;
		this.server.destroy();
	}

	// Lock-step ---------------------------------------------------------------------------------------------------

	private ensureOpen(): void {
		if (this.closed) throw new Error("world: the server has shut down");
	}

	private alive(node: Node): boolean {
		return node === this.serverNode ? !this.serverDestroyed : this.clientNodes.get(node.userId!) === node;
	}

	private nodes(): Node[] {
		return [this.serverNode, ...this.clientNodes.values()];
	}

	private localHorizon(node: Node): number {
		return Math.max(this.horizon, this.frame) - node.offset;
	}

	/** Reads a VM's report: clock, next work, outgoing messages. */
	private absorb(node: Node, raw: unknown): Report {
		const lines = String(raw).split("\n");
		const header = JSON.parse(lines[0]!) as { status: string; frame: number; next: number; close: number };
		node.frame = header.frame + node.offset;
		node.next = header.next < 0 ? Infinity : header.next + node.offset;
		if (node === this.serverNode) this.closePending = header.close;
		for (let i = 2; i < lines.length; i++) {
			const line = lines[i]!;
			if (line) this.route(node, line);
		}
		return { status: header.status, data: lines[1] ?? "", close: header.close };
	}

	private route(node: Node, raw: string): void {
		const m = JSON.parse(raw) as { k: string; f: number; to?: number[]; u?: number; m?: string };
		const sentFrame = m.f + node.offset;
		if (m.k === "kick") {
			if (node === this.serverNode) this.pendingKicks.push({ userId: m.u!, message: m.m, by: "server" });
			else this.pendingKicks.push({ userId: node.userId!, message: m.m, by: "client" });
			return;
		}
		if (node === this.serverNode) {
			for (const to of m.to ?? []) {
				this.inflight.push({ raw, seq: ++this.seq, deliverFrame: sentFrame + 1, to });
			}
		} else {
			this.recorders.get(node.userId!)?.push({ frame: sentFrame, raw });
			this.inflight.push({ raw, seq: ++this.seq, deliverFrame: sentFrame + 1, from: node.userId });
		}
	}

	/** Brings a VM's clock to the world frame (it skipped idle frames, or a message is about to reach it). */
	private async catchUp(node: Node, frame = this.frame): Promise<void> {
		let io = 0;
		for (;;) {
			await node.vm.settleIo();
			const rep = this.absorb(node, await node.vm.callH("worldStep", frame - node.offset, this.localHorizon(node)));
			if (rep.status !== "io") break;
			if (++io > 10000) throw new Error(`world: ${node.vm.name} keeps waiting on host I/O that never completes`);
		}
	}

	private async deliverDue(): Promise<void> {
		const due = this.inflight.filter((m) => m.deliverFrame <= this.frame).sort((a, b) => a.seq - b.seq);
		if (due.length === 0) return;
		this.inflight = this.inflight.filter((m) => m.deliverFrame > this.frame);
		let i = 0;
		while (i < due.length) {
			// One call per run of messages with the same receiver and sender, keeping the global order.
			const first = due[i]!;
			let j = i + 1;
			while (j < due.length && due[j]!.to === first.to && due[j]!.from === first.from) j++;
			const batch = due.slice(i, j);
			i = j;
			const node = first.to === undefined ? this.serverNode : this.clientNodes.get(first.to);
			if (!node || (first.from !== undefined && !this.clientNodes.has(first.from))) {
				this.stats.dropped += batch.length;
				continue;
			}
			if (node.frame < this.frame) await this.catchUp(node);
			this.stats.delivered += batch.length;
			this.absorb(
				node,
				await node.vm.callH(
					"worldDeliver",
					batch.map((m) => m.raw).join("\n"),
					first.from ?? 0,
					this.localHorizon(node),
				),
			);
		}
	}

	private async processKicks(): Promise<void> {
		while (this.pendingKicks.length > 0) {
			const kick = this.pendingKicks.shift()!;
			if (!this.clientNodes.has(kick.userId)) continue;
			this.kicks.push({ ...kick, at: this.time });
			await this.removePlayer(kick.userId, kick.by === "server" ? "CreatorKick" : "Unknown");
		}
	}

	/** The lock-step loop: runs until `targetFrame`, or until `stop` says so after a step. */
	private async advanceTo(targetFrame: number, stop?: () => boolean | Promise<boolean>): Promise<void> {
		const previousHorizon = this.horizon;
		this.horizon = targetFrame;
		try {
			for (const node of this.nodes()) {
				this.absorb(node, await node.vm.callH("worldProbe", this.localHorizon(node)));
			}
			for (;;) {
				await this.deliverDue();
				if (stop && (await stop())) break;
				await this.processKicks();
				if (this.frame >= targetFrame) break;
				let next = targetFrame;
				for (const node of this.nodes()) next = Math.min(next, node.next);
				for (const m of this.inflight) next = Math.min(next, m.deliverFrame);
				next = Math.max(next, this.frame + 1);
				this.stats.steps++;
				// VMs with nothing to do before `next` are left behind; they catch up before a message reaches them.
				for (const node of this.nodes()) {
					if (node.next <= next) await this.catchUp(node, next);
				}
				this.frame = next;
			}
			await this.processKicks();
			for (const node of this.nodes()) {
				if (node.frame < this.frame) await this.catchUp(node);
			}
		} finally {
			this.horizon = previousHorizon;
		}
	}
}

// A lone server VM (no World, no clients) ------------------------------------------------------------------------

/**
 * Adds a player to a plain server RobloxVm (no client VM): the Player is created and PlayerAdded fires. For tests of
 * server-side services that only need players to exist (budgets per player, LocalizationService, ...).
 */
export async function joinPlayer(vm: RobloxVm, spec: PlayerSpec): Promise<void> {
	await vm.callH("worldPlayerJoin", JSON.stringify(spec));
}

/** Removes a player from a plain server RobloxVm: PlayerRemoving fires, then the Player is destroyed. */
export async function leavePlayer(vm: RobloxVm, userId: number, reason: PlayerExitReason = "Unknown"): Promise<void> {
	await vm.callH("worldPlayerLeave", userId, reason);
}

/** A RemoteEvent message a client sent the server (World.recordClientMessages), to be replayed by stand-in clients. */
export interface RecordedClientMessage {
	/** Seconds after the player joined. */
	after: number;
	/** The RemoteEvent's full name, e.g. "ReplicatedStorage.Remotes.Fell". */
	remote: string;
	/** The message's arguments as the harness encodes them between VMs. */
	a: unknown;
}

/**
 * A planned join or leave on a lone server VM's clock (seconds since the VM started). A join may name a client
 * recording (see {@link setClientRecordings}): a stand-in client then sends its messages again, at the recorded times
 * after the join, while the player is in the game.
 */
export type ScheduledPlayerChange =
	{ at: number; join: PlayerSpec; client?: string } | { at: number; leave: number; reason?: PlayerExitReason };

/** Gives a lone server VM named client recordings for the joins of {@link schedulePlayers} to replay. */
export async function setClientRecordings(
	vm: RobloxVm,
	recordings: Record<string, RecordedClientMessage[]>,
): Promise<void> {
	await vm.callH("worldClientRecordings", JSON.stringify(recordings));
}

/**
 * Plans joins and leaves on a plain server RobloxVm: each happens when the VM's clock reaches its time, without a host
 * call per player (for long simulations). A join into a full server, or of a player already in the game, is turned
 * away; see {@link scheduledPlayerCounts}.
 */
export async function schedulePlayers(vm: RobloxVm, changes: ScheduledPlayerChange[]): Promise<void> {
	// In slices: luau-web takes string arguments of at most about 1.4 MB.
	for (let i = 0; i < changes.length; i += 1000) {
		await vm.callH("worldSchedule", JSON.stringify(changes.slice(i, i + 1000)));
	}
}

/** Scheduled joins that happened and that were turned away so far. */
export async function scheduledPlayerCounts(vm: RobloxVm): Promise<{ joined: number; turnedAway: number }> {
	return JSON.parse((await vm.callH("worldScheduleCounts")) as string) as { joined: number; turnedAway: number };
}

// Tree helpers for tests ------------------------------------------------------------------------------------------

/** A place tree: services by class name, each with its children. */
export function place(services: Record<string, TreeNode[]>): TreeNode {
	return {
		name: "Game",
		className: "DataModel",
		children: Object.entries(services).map(([className, children]) => ({ name: className, className, children })),
	};
}

/** A script instance (Script, LocalScript or ModuleScript) with inline source. */
export function script(
	name: string,
	source: string,
	className: "Script" | "LocalScript" | "ModuleScript" = "Script",
	properties?: Record<string, unknown>,
): TreeNode {
	return { name, className, source, children: [], ...(properties ? { properties } : {}) };
}

/** An instance of any class with children. */
export function inst(
	name: string,
	className: string,
	children: TreeNode[] = [],
	properties?: Record<string, unknown>,
): TreeNode {
	return { name, className, children, ...(properties ? { properties } : {}) };
}
