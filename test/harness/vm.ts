// One emulated Roblox VM (a game server or one player's client): a real Luau state from luau-web running the
// harness's Luau emulation of the engine (lua/*.luau), driven on a virtual clock by the host.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TreeNode } from "./project.js";
import { builtinPlugins } from "./services/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const LUA_DIR = join(here, "lua");

// The patched copy of luau-web (see patch-luau-web.mjs): one WASM module per process, shared by every VM in it.
type LuauStateLike = {
	env: { set(key: string, value: unknown, bypassReadonly?: boolean): boolean };
	loadstring(source: string, chunkname?: string, throwOnCompilationError?: boolean): unknown;
	destroy(): void;
};
type LuauModule = { LuauState: { createAsync(env?: Record<string, unknown>): Promise<LuauStateLike> } };
let luauModule: Promise<LuauModule> | undefined;
export function loadLuau(): Promise<LuauModule> {
	luauModule ??= import(join(here, ".luau-web", "src", "index.js")) as Promise<LuauModule>;
	return luauModule;
}

export type OutputKind = "print" | "warn" | "error";
export interface OutputLine {
	kind: OutputKind;
	text: string;
	at: number;
}

/** A function exposed by the host to the VM's Luau code as `H.host.<name>`. */
export type HostFunction = (...args: never[]) => unknown;

/** Adds host functions and Luau chunks for one emulated service. */
export interface ServicePlugin {
	name: string;
	/** Host functions, available to Luau as H.host[name]. */
	host?(vm: RobloxVm): Record<string, HostFunction>;
	/** Luau chunk paths (absolute) run after the core, each called with H. */
	chunks?: string[];
	/** Called once the VM is ready. */
	ready?(vm: RobloxVm): Promise<void> | void;
}

export interface VmOptions {
	role: "server" | "client";
	name?: string;
	/** Instances to build under game (DataModel), e.g. from the Rojo project. */
	tree?: TreeNode;
	/** Unix seconds at virtual time 0. */
	epochSeconds?: number;
	jobId?: string;
	placeId?: number;
	placeVersion?: number;
	gameId?: number;
	privateServerId?: string;
	privateServerOwnerId?: number;
	isStudio?: boolean;
	signalBehavior?: "Deferred" | "Immediate";
	plugins?: ServicePlugin[];
	/** Values put into H before the core runs (read by service chunks). */
	config?: Record<string, unknown>;
	/** Also echo output to the process (debugging). */
	echo?: boolean;
}

export interface ThreadResult {
	ok: boolean;
	values?: unknown[];
	error?: string;
	trace?: string;
}

export class LuauRuntimeError extends Error {
	constructor(
		message: string,
		readonly trace?: string,
	) {
		super(message);
		this.name = "LuauRuntimeError";
	}
}

const CORE_CHUNKS = ["base.luau", "json.luau", "scheduler.luau", "instance.luau", "datamodel.luau"];

function coreServiceChunks(): string[] {
	return readdirSync(join(LUA_DIR, "services"))
		.filter((f) => f.endsWith(".luau"))
		.sort()
		.map((f) => join(LUA_DIR, "services", f));
}

type LuauFn = (...args: unknown[]) => unknown;

async function call(fn: LuauFn, ...args: unknown[]): Promise<unknown> {
	const r = await fn(...args);
	return Array.isArray(r) ? r[0] : r;
}

export class RobloxVm {
	readonly output: OutputLine[] = [];
	readonly role: "server" | "client";
	readonly name: string;
	private state!: LuauStateLike;
	private H!: { get(key: string): unknown; set(key: string, value: unknown): boolean };
	private fns = new Map<string, LuauFn>();
	private inflight = new Map<number, Promise<void>>();
	private nextIo = 0;
	private destroyed = false;
	private plugins: ServicePlugin[];
	/** Extra data plugins keep per VM. */
	readonly data = new Map<string, unknown>();

	private constructor(private readonly options: VmOptions) {
		this.role = options.role;
		this.name = options.name ?? options.role;
		this.plugins = [...builtinPlugins, ...(options.plugins ?? [])];
	}

	static async create(options: VmOptions): Promise<RobloxVm> {
		const vm = new RobloxVm(options);
		await vm.init();
		return vm;
	}

	private async init(): Promise<void> {
		const { LuauState } = await loadLuau();
		this.state = await LuauState.createAsync();
		const host: Record<string, unknown> = {
			output: (kind: OutputKind, text: string) => this.pushOutput(kind, text),
			compile: (source: string, chunkname: string) => {
				const r = this.state.loadstring(String(source), String(chunkname), false);
				return typeof r === "string" ? [undefined, r] : r;
			},
			readFile: (path: string) => readFileSync(path, "utf8"),
		};
		for (const plugin of this.plugins) Object.assign(host, plugin.host?.(this) ?? {});
		const boot = this.state.loadstring("return { host = ... }", "=harness.boot", true) as LuauFn;
		this.H = (await call(boot, host)) as RobloxVm["H"];
		const o = this.options;
		const settings: Record<string, unknown> = {
			role: o.role,
			epoch: o.epochSeconds ?? 1767225600,
			jobId: o.jobId ?? "00000000-0000-4000-8000-000000000000",
			isStudio: o.isStudio ?? false,
			signalBehavior: o.signalBehavior ?? "Deferred",
			...o.config,
		};
		for (const [k, v] of Object.entries(settings)) this.H.set(k, v);
		const chunks = [
			...CORE_CHUNKS.map((f) => join(LUA_DIR, f)),
			...coreServiceChunks(),
			...this.plugins.flatMap((p) => p.chunks ?? []),
			join(LUA_DIR, "bridge.luau"),
		];
		for (const path of chunks) {
			const fn = this.state.loadstring(readFileSync(path, "utf8"), "=harness/" + path.slice(LUA_DIR.length + 1), true);
			await call(fn as LuauFn, this.H);
		}
		await this.callH("setGameInfo", JSON.stringify({
			PlaceId: o.placeId ?? 0,
			PlaceVersion: o.placeVersion ?? 0,
			GameId: o.gameId ?? 0,
			PrivateServerId: o.privateServerId ?? "",
			PrivateServerOwnerId: o.privateServerOwnerId ?? 0,
		}));
		if (o.tree) await this.buildTree(o.tree);
		for (const plugin of this.plugins) await plugin.ready?.(this);
	}

	private pushOutput(kind: OutputKind, text: string): void {
		this.output.push({ kind, text: String(text), at: this.nowCache });
		if (this.options.echo) console.log(`[${this.name} ${kind}] ${text}`);
	}

	private nowCache = 0;

	/** Calls H[name](...args) in the VM and returns its first result. */
	async callH(name: string, ...args: unknown[]): Promise<unknown> {
		if (this.destroyed) throw new Error(`VM ${this.name} is destroyed`);
		let fn = this.fns.get(name);
		if (!fn) {
			fn = this.H.get(name) as LuauFn;
			if (typeof fn !== "function") throw new Error(`harness function H.${name} is missing`);
			this.fns.set(name, fn);
		}
		return call(fn, ...args);
	}

	/** Builds instances under game from a description tree (see project.ts). */
	async buildTree(tree: TreeNode): Promise<void> {
		await this.callH("buildTreeJson", JSON.stringify(tree));
	}

	/** Virtual seconds since the VM started. */
	async now(): Promise<number> {
		this.nowCache = (await this.callH("getNow")) as number;
		return this.nowCache;
	}

	/**
	 * Starts an asynchronous host operation for a Luau thread. The Luau side then calls H.awaitIo(id); the result
	 * of `op` is delivered to that thread (as `true, value` or `false, message`) before virtual time moves on.
	 */
	startIo(op: () => Promise<unknown>): number {
		const id = ++this.nextIo;
		const p = op().then(
			(value) => this.deliver(id, true, value),
			(err: unknown) => this.deliver(id, false, err instanceof Error ? err.message : String(err)),
		);
		this.inflight.set(id, p);
		return id;
	}

	private async deliver(id: number, ok: boolean, value: unknown): Promise<void> {
		// Delivery happens from settleIo, on the host's turn, never while Luau code is running.
		this.ready.push({ id, ok, value });
	}
	private ready: { id: number; ok: boolean; value: unknown }[] = [];

	/** Waits for in-flight host operations and resumes their threads. */
	async settleIo(): Promise<void> {
		while (this.inflight.size > 0 || this.ready.length > 0) {
			if (this.ready.length === 0) await Promise.race(this.inflight.values());
			const batch = this.ready.splice(0);
			for (const r of batch) {
				this.inflight.delete(r.id);
				await this.callH("deliverIo", r.id, r.ok, r.value);
			}
		}
	}

	/** Moves the virtual clock forward, running timers, frames and deferred threads; I/O takes zero time. */
	async advance(seconds: number): Promise<void> {
		const target = (await this.now()) + seconds;
		for (;;) {
			await this.settleIo();
			const status = await this.callH("advance", target);
			if (status === "done" && this.inflight.size === 0) break;
		}
		await this.now();
	}

	/** Runs Luau source in a new thread with a script environment; returns a handle to await its results. */
	async start(source: string, chunkName = "harness.run"): Promise<number> {
		const fn = this.state.loadstring(source, "=" + chunkName, false);
		if (typeof fn === "string") throw new LuauRuntimeError(fn);
		return (await this.callH("startThread", fn)) as number;
	}

	async result(id: number): Promise<ThreadResult | undefined> {
		const json = (await this.callH("threadResult", id)) as string | undefined | null;
		return json ? (JSON.parse(json) as ThreadResult) : undefined;
	}

	/**
	 * Runs Luau source to completion: advances virtual time (default up to 60 s) until the thread returns.
	 * Returns its values as JSON snapshots; throws LuauRuntimeError if it errors or does not finish.
	 */
	async run<T = unknown[]>(source: string, opts: { maxSeconds?: number; chunkName?: string } = {}): Promise<T> {
		const id = await this.start(source, opts.chunkName);
		const max = opts.maxSeconds ?? 60;
		let waited = 0;
		for (;;) {
			await this.settleIo();
			const r = await this.result(id);
			if (r) {
				if (!r.ok) throw new LuauRuntimeError(r.error ?? "error", r.trace);
				return r.values as T;
			}
			if (waited >= max) throw new LuauRuntimeError(`thread did not finish within ${max} virtual seconds`);
			await this.advance(1 / 60);
			waited += 1 / 60;
		}
	}

	/** Output lines of one kind (print, warn, error). */
	lines(kind: OutputKind): string[] {
		return this.output.filter((l) => l.kind === kind).map((l) => l.text);
	}

	destroy(): void {
		if (this.destroyed) return;
		this.destroyed = true;
		this.state.destroy();
	}
}
