// One emulated Roblox VM (a game server or one player's client): a real Luau state from luau-web running the
// harness's Luau emulation of the engine (lua/*.luau), driven on a virtual clock by the host.
// * Time: nothing happens until the host calls advance() / run(); the VM's clock moves in whole frames of 1/60 s and
//   skips idle stretches (lua/scheduler.luau). Host I/O (startIo) takes zero virtual time.
// * Each JS→Luau call costs ~14 µs, so loops that run every frame stay in Luau (H.advance runs frames until the
//   target, a waiting I/O, or the end of the thread run() waits for).
// * All VMs of a process share one WASM module; every entry into it is serialized (see `exclusive`).
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TreeNode } from "./project.js";
import { builtinPlugins } from "./services/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const LUA_DIR = join(here, "lua");

// The patched copy of luau-web (see patch-luau-web.mjs): one WASM module per process, shared by every VM in it.
type LuauStateLike = {
	stateIdx: number;
	env: { set(key: string, value: unknown, bypassReadonly?: boolean): boolean };
	loadstring(source: string, chunkname?: string, throwOnCompilationError?: boolean): unknown;
	destroy(): void;
};
type LuaValueData = { release(): void; released?: boolean };
type LuauModule = {
	LuauState: { createAsync(env?: Record<string, unknown>): Promise<LuauStateLike> };
	InternalLuauWasmModule: {
		LUA_VALUE: symbol;
		states: ({
			luaValueCache: Map<number, Record<symbol, LuaValueData>>;
			jsValueCache: Map<unknown, unknown>;
		} | null)[];
	};
};
let luauModule: Promise<LuauModule> | undefined;

/**
 * Most UTF-16 code units of one string handed to Luau in one call (at most 768 KB of UTF-8): luau-web copies a string
 * argument onto a small stack and crashes on one of more than ~1.4 MB, so larger ones cross in pieces of this size.
 */
export const IO_PIECE_CHARS = 256 * 1024;

/**
 * Cuts `text` into pieces of at most `size` UTF-16 code units, never between the two halves of a surrogate pair: each
 * piece is turned into UTF-8 on its own, so a split pair would arrive as two replacement characters.
 */
export function stringPieces(text: string, size: number): string[] {
	const pieces: string[] = [];
	for (let start = 0; start < text.length;) {
		let end = Math.min(text.length, start + size);
		const last = text.charCodeAt(end - 1);
		// A pair at the cut moves whole into the next piece (or into this one, when it would leave it empty).
		if (end < text.length && last >= 0xd800 && last <= 0xdbff) end += end - start > 1 ? -1 : 1;
		pieces.push(text.slice(start, end));
		start = end;
	}
	return pieces;
}
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
	/**
	 * Values put into H before the core runs (read by service chunks). The core reads `jsonStrict: true`: JSONEncode
	 * then also errors on mixed tables, NaN and infinities, which Roblox accepts (lua/json.luau).
	 */
	config?: Record<string, unknown>;
	/** Also echo output to the process (debugging). */
	echo?: boolean;
	/**
	 * false: load only the core (lua/*.luau), without lua/services/*.luau and the built-in service plugins. For the
	 * harness's own tests of the core. Default true.
	 */
	services?: boolean;
}

/** Scheduler counters (see H.stats in lua/scheduler.luau). */
export interface VmStats {
	/** Frames actually simulated; idle frames (no timer due, nothing listening to frame events) are skipped. */
	frames: number;
	/** Threads resumed by the scheduler. */
	resumes: number;
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

/**
 * luau-web 1.4.0 wraps a JS function in a new Luau object every time Luau reads it from a JS object (`host.compile`
 * made a fresh wrapper per call), and it recognises wrappers by their address in a table that is global to the WASM
 * module and never cleaned. Once Luau's GC frees a wrapper, a later Luau function or table allocated at that address,
 * in any state, is sent to JS as the stale JS function ("illegal state: cannot transmit jfunction invalid -602", or
 * silently the wrong function). So the boot chunk reads every host function exactly once into a Luau table, and the
 * host keeps that table (and the JS host object's wrapper) referenced for the life of the process: no wrapper is
 * ever collected. The regression test is in core-vm.test.ts.
 */
const BOOT_SOURCE = `
local jsHost, keys = ...
local host = {}
for key in string.gmatch(keys, "[^,]+") do
	host[key] = jsHost[key]
end
local keep = {}
return { host = host, keepAlive = keep }, { jsHost = jsHost, host = host, keep = keep }
`;
const hostAnchors: unknown[] = [];

/**
 * Every entry into the WASM module (calls, loadstring, table access, new states) goes through this one queue, for
 * all VMs of the process. Without JSPI, luau-web suspends the WASM stack (Asyncify) whenever Luau calls a JS
 * function, and it serializes only whole calls, so a loadstring or table access from another task during that
 * suspension would corrupt it. Never call `exclusive` from inside a queued task (it would wait for itself).
 */
let luauQueue: Promise<unknown> = Promise.resolve();
function exclusive<T>(task: () => T | Promise<T>): Promise<T> {
	const run = luauQueue.then(task, task);
	luauQueue = run.catch(() => undefined);
	return run;
}

/** Calls a Luau function (inside the queue) and returns its first result. */
async function callRaw(fn: LuauFn, ...args: unknown[]): Promise<unknown> {
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
	/** The boot chunk's table of host-function wrappers; never released (see BOOT_SOURCE). */
	private anchor: unknown;
	private inflight = new Map<number, Promise<void>>();
	private nextIo = 0;
	private destroyed = false;
	private plugins: ServicePlugin[];
	/** Extra data plugins keep per VM. */
	readonly data = new Map<string, unknown>();

	private constructor(private readonly options: VmOptions) {
		this.role = options.role;
		this.name = options.name ?? options.role;
		this.plugins = [...(options.services === false ? [] : builtinPlugins), ...(options.plugins ?? [])];
	}

	static async create(options: VmOptions): Promise<RobloxVm> {
		const vm = new RobloxVm(options);
		await vm.init();
		return vm;
	}

	private async init(): Promise<void> {
		const { LuauState } = await loadLuau();
		this.state = await exclusive(() => LuauState.createAsync());
		const host: Record<string, unknown> = {
			output: (kind: OutputKind, text: string, at?: number) => this.pushOutput(kind, text, at),
			compile: (source: string, chunkname: string) => {
				const r = this.state.loadstring(String(source), String(chunkname), false);
				return typeof r === "string" ? [undefined, r] : r;
			},
			readFile: (path: string) => readFileSync(path, "utf8"),
		};
		for (const plugin of this.plugins) Object.assign(host, plugin.host?.(this) ?? {});
		const [H, anchor] = (await exclusive(async () =>
			this.load(BOOT_SOURCE, "=harness.boot")(host, Object.keys(host).join(",")),
		)) as [RobloxVm["H"], unknown];
		this.H = H;
		this.hostKeys = Object.keys(host).length;
		this.anchor = anchor;
		hostAnchors.push(anchor);
		const o = this.options;
		const settings: Record<string, unknown> = {
			role: o.role,
			epoch: o.epochSeconds ?? 1767225600,
			jobId: o.jobId ?? "00000000-0000-4000-8000-000000000000",
			isStudio: o.isStudio ?? false,
			signalBehavior: o.signalBehavior ?? "Deferred",
			...o.config,
		};
		await exclusive(() => {
			// Objects in the config (e.g. a shared DataStoreBackend) are JS objects Luau holds a wrapper for; keep each
			// referenced for good so the wrapper outlives the VM (see BOOT_SOURCE).
			const keep = (anchor as RobloxVm["H"]).get("keep") as RobloxVm["H"];
			let kept = 0;
			for (const [k, v] of Object.entries(settings)) {
				this.H.set(k, v);
				if ((v !== null && typeof v === "object") || typeof v === "function") {
					keep.set(String(++kept), v);
					this.anchored++;
				}
			}
		});
		const chunks = [
			...CORE_CHUNKS.map((f) => join(LUA_DIR, f)),
			...(o.services === false ? [] : coreServiceChunks()),
			...this.plugins.flatMap((p) => p.chunks ?? []),
			join(LUA_DIR, "bridge.luau"),
		];
		for (const path of chunks) {
			const source = readFileSync(path, "utf8");
			const name = "=harness/" + (path.startsWith(LUA_DIR) ? path.slice(LUA_DIR.length + 1) : path);
			await exclusive(() => callRaw(this.load(source, name), this.H));
		}
		await this.callH(
			"setGameInfo",
			JSON.stringify({
				PlaceId: o.placeId ?? 0,
				PlaceVersion: o.placeVersion ?? 0,
				GameId: o.gameId ?? 0,
				PrivateServerId: o.privateServerId ?? "",
				PrivateServerOwnerId: o.privateServerOwnerId ?? 0,
			}),
		);
		if (o.tree) await this.buildTree(o.tree);
		for (const plugin of this.plugins) await plugin.ready?.(this);
	}

	/** Compiles a chunk; luau-web reports a compile or allocation failure as a string instead of a function. */
	private load(source: string, chunkname: string): LuauFn {
		const fn = this.state.loadstring(source, chunkname, true) as unknown;
		if (typeof fn !== "function") {
			throw new LuauRuntimeError(`loading ${chunkname} failed: ${typeof fn === "string" ? fn : typeof fn}`);
		}
		return fn as LuauFn;
	}

	private pushOutput(kind: OutputKind, text: string, at?: number): void {
		this.output.push({ kind, text: String(text), at: typeof at === "number" ? at : this.nowCache });
		if (this.options.echo) console.log(`[${this.name} ${kind}] ${text}`);
	}

	private nowCache = 0;

	/** Calls H[name](...args) in the VM and returns its first result. */
	async callH(name: string, ...args: unknown[]): Promise<unknown> {
		if (this.destroyed) throw new Error(`VM ${this.name} is destroyed`);
		return exclusive(() => {
			if (this.destroyed) throw new Error(`VM ${this.name} is destroyed`);
			let fn = this.fns.get(name);
			if (!fn) {
				fn = this.H.get(name) as LuauFn;
				if (typeof fn !== "function") throw new Error(`harness function H.${name} is missing`);
				this.fns.set(name, fn);
			}
			return callRaw(fn, ...args);
		});
	}

	/**
	 * How many JS values this VM's state was handed besides the host object, its functions and the values kept
	 * referenced for good (config objects). It must stay 0: any other JS object or function sent
	 * into Luau leaves a wrapper that Luau's GC may free, which luau-web cannot survive (see BOOT_SOURCE).
	 */
	async unanchoredJsValues(): Promise<number> {
		const { InternalLuauWasmModule: internal } = await loadLuau();
		const handed = internal.states[this.state.stateIdx]?.jsValueCache.size ?? 0;
		return handed - (this.hostKeys + 1 + this.anchored);
	}
	private hostKeys = 0;
	private anchored = 0;

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
		let started: Promise<unknown>;
		try {
			started = Promise.resolve(op());
		} catch (err) {
			started = Promise.reject(err); // a synchronous throw is delivered like a rejection
		}
		const p = started.then(
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

	/** A thread waits on host I/O (H.awaitIo) but nothing is in flight: it would wait forever. */
	private checkIoPending(): void {
		if (this.inflight.size === 0 && this.ready.length === 0) {
			throw new LuauRuntimeError("a Luau thread awaits host I/O that was never started (H.awaitIo with an unknown id)");
		}
	}

	/** Waits for in-flight host operations and resumes their threads. */
	async settleIo(): Promise<void> {
		while (this.inflight.size > 0 || this.ready.length > 0) {
			if (this.ready.length === 0) await Promise.race(this.inflight.values());
			const batch = this.ready.splice(0);
			for (const r of batch) {
				this.inflight.delete(r.id);
				// A JS object handed to Luau leaves a wrapper the GC must never free (see BOOT_SOURCE): objects cross as
				// JSON. luau-web cannot take a string argument of more than ~1.4 MB (it copies it onto a small stack and
				// crashes), so large JSON and large strings cross in pieces that Luau joins (a 4 MB DataStore value, a
				// spill chunk of 3.5 MB).
				const json = r.value !== null && typeof r.value === "object" ? JSON.stringify(r.value) : undefined;
				if (json !== undefined && json.length <= IO_PIECE_CHARS) {
					await this.callH("deliverIoJson", r.id, r.ok, json);
				} else if (json !== undefined) {
					await this.deliverLarge(r.id, r.ok, r.value as object, json);
				} else if (typeof r.value === "string" && r.value.length > IO_PIECE_CHARS) {
					await this.sendPieces(r.id, "", r.value);
					await this.callH("deliverIoPieces", r.id, r.ok, "string");
				} else {
					await this.callH("deliverIo", r.id, r.ok, r.value);
				}
			}
		}
	}

	/**
	 * Hands a large object result to Luau in pieces (lua/bridge.luau joins them). Its large string fields (a DataStore
	 * value's JSON) cross as they are and the rest as JSON: Luau decodes JSON far slower than it joins pieces, and a
	 * value's JSON would otherwise be escaped a second time. Anything else large crosses as one JSON text in pieces.
	 */
	private async deliverLarge(id: number, ok: boolean, value: object, json: string): Promise<void> {
		if (!Array.isArray(value)) {
			const rest: Record<string, unknown> = { ...(value as Record<string, unknown>) };
			for (const [name, field] of Object.entries(rest)) {
				if (name === "" || typeof field !== "string" || field.length <= IO_PIECE_CHARS) continue;
				await this.sendPieces(id, name, field);
				delete rest[name];
			}
			const restJson = JSON.stringify(rest);
			if (restJson.length <= IO_PIECE_CHARS) {
				await this.callH("deliverIoPieces", id, ok, "fields", restJson);
				return;
			}
			await this.callH("dropIoPieces", id);
		}
		await this.sendPieces(id, "", json);
		await this.callH("deliverIoPieces", id, ok, "json");
	}

	/** Sends `text` to Luau as pieces of field `name` ("" for the whole result) of I/O result `id`. */
	private async sendPieces(id: number, name: string, text: string): Promise<void> {
		for (const piece of stringPieces(text, IO_PIECE_CHARS)) await this.callH("ioPiece", id, name, piece);
	}

	/**
	 * The host's clock (seconds): where the last advance() aimed. The VM's clock (now()) moves in whole frames of 1/60 s
	 * and is at most this; keeping the target here means advance(0.01) ten times moves six frames, not none.
	 */
	private clock = 0;

	/**
	 * Moves the virtual clock forward by `seconds`, running timers, frames and deferred threads; I/O takes zero time.
	 * Idle stretches (no timer due, nothing listening to frame events) are skipped in one step.
	 */
	async advance(seconds: number): Promise<void> {
		const target = Math.max(this.clock, await this.now()) + seconds;
		this.clock = target;
		for (;;) {
			await this.settleIo();
			const status = await this.callH("advance", target);
			if (status === "io") this.checkIoPending();
			if (status === "done" && this.inflight.size === 0 && this.ready.length === 0) break;
		}
		await this.now();
	}

	/** Scheduler counters: frames simulated and threads resumed since the VM started. */
	async stats(): Promise<VmStats> {
		return JSON.parse((await this.callH("statsJson")) as string) as VmStats;
	}

	/** Runs Luau source in a new thread with a script environment; returns a handle to await its results. */
	async start(source: string, chunkName = "harness.run"): Promise<number> {
		if (this.destroyed) throw new Error(`VM ${this.name} is destroyed`);
		const fn = await exclusive(() => this.state.loadstring(source, "=" + chunkName, false));
		if (typeof fn === "string") throw new LuauRuntimeError(fn);
		return (await this.callH("startThread", fn)) as number;
	}

	async result(id: number): Promise<ThreadResult | undefined> {
		const json = (await this.callH("threadResult", id)) as string | undefined | null;
		return json ? (JSON.parse(json) as ThreadResult) : undefined;
	}

	/**
	 * Runs Luau source to completion: advances virtual time (default up to 60 s) until the thread returns, stopping at
	 * the frame it finishes in (the Luau side checks after every frame; idle stretches are skipped).
	 * Returns its values as JSON snapshots; throws LuauRuntimeError if it errors or does not finish.
	 */
	async run<T = unknown[]>(source: string, opts: { maxSeconds?: number; chunkName?: string } = {}): Promise<T> {
		const id = await this.start(source, opts.chunkName);
		const max = opts.maxSeconds ?? 60;
		const deadline = Math.max(this.clock, await this.now()) + max;
		for (;;) {
			await this.settleIo();
			const status = await this.callH("advance", deadline, id);
			if (status === "io") {
				this.checkIoPending();
				continue;
			}
			const r = await this.result(id);
			if (r) {
				await this.now();
				if (!r.ok) throw new LuauRuntimeError(r.error ?? "error", r.trace);
				return r.values as T;
			}
			if (status === "done" && this.inflight.size === 0 && this.ready.length === 0) {
				this.clock = Math.max(this.clock, deadline);
				await this.now();
				throw new LuauRuntimeError(`thread did not finish within ${max} virtual seconds`);
			}
		}
	}

	/** Output lines of one kind (print, warn, error). */
	lines(kind: OutputKind): string[] {
		return this.output.filter((l) => l.kind === kind).map((l) => l.text);
	}

	/**
	 * Ends the VM. luau-web 1.4.0 cannot close a state safely: after LuauState.destroy(), states created later can
	 * resolve references to the wrong values ("attempt to call a nil value"), so the state is never closed. Instead
	 * (in the background, serialized with other Luau calls) the VM drops everything it holds, the host releases its
	 * references, and a burst of short-lived allocations lets Luau's incremental GC return the memory to the shared
	 * WASM heap; only the empty state (a few KB) stays.
	 */
	destroy(): void {
		if (this.destroyed) return;
		this.destroyed = true;
		this.retiring = exclusive(() => this.retire()).catch(() => undefined);
	}

	/** Settles when a destroyed VM's memory has been handed back (tests; nothing else needs to wait for it). */
	retiring: Promise<void> | undefined;

	/** Runs inside the queue (see `exclusive`): uses callRaw, never call/callH. */
	private async retire(): Promise<void> {
		const { InternalLuauWasmModule: internal } = await loadLuau();
		const churn = this.state.loadstring(
			"local n = ... local create = table.create for i = 1, n do local _ = create(1024, i) end return gcinfo()",
			"=harness.retire",
			true,
		) as LuauFn;
		const extra = await this.unanchoredJsValues();
		if (extra !== 0) {
			// A JS object or function other than the host's reached Luau; see BOOT_SOURCE for why that must not happen.
			console.error(`VM ${this.name}: Luau was handed ${extra} JS values that nothing keeps referenced`);
		}
		const heapKb = Number(await callRaw(this.H.get("retire") as LuauFn));
		const cache = internal.states[this.state.stateIdx]?.luaValueCache;
		if (cache) {
			for (const value of [...cache.values()]) {
				if (value === (churn as unknown) || value === this.anchor) continue;
				const data = value[internal.LUA_VALUE];
				if (data && !data.released) data.release();
			}
		}
		this.fns.clear();
		// table.create(1024) is ~16 KB: allocate about three times the old heap so at least one full GC cycle runs.
		await callRaw(churn, Math.ceil((Math.max(heapKb, 4096) * 3) / 16));
		(churn as unknown as Record<symbol, LuaValueData>)[internal.LUA_VALUE]?.release();
	}
}
