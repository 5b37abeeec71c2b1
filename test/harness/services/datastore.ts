// Host half of the emulated DataStoreService and MemoryStoreService (Luau halves: ../lua/services/datastore.luau and
// memorystore.luau). The data lives here, in Node, so every VM of one experience sees the same stores: pass one
// DataStoreBackend / MemoryStoreBackend to several VMs through VmOptions.config, e.g.
//
//   const dataStores = new DataStoreBackend();
//   const a = await RobloxVm.create({ role: "server", config: { dataStores } });
//   const b = await RobloxVm.create({ role: "server", config: { dataStores } });
//
// A VM created without one gets a private backend (dataStoresOf(vm) / memoryStoresOf(vm) return it).
// Per-server request budgets and queues are enforced in Luau (they are per game server); experience-wide limits
// (MemoryStore memory quota and request units) are enforced here.
//
// Values cross as JSON text produced by the Luau side (H.jsonEncode), so what is stored is what Roblox would
// serialize; the backends keep that text and parse it only when a test inspects the data.
import type { RobloxVm, ServicePlugin } from "../vm.js";

// Failure injection --------------------------------------------------------------------------------------------------

/** Makes matching requests fail with a given error, for a number of calls or until removed. */
export interface FailureRule {
	/** Method names (e.g. "GetAsync", "SortedMap.SetAsync"); omitted or "*" matches every method. */
	method?: string | string[];
	/** Number of matching calls to fail; omitted = every matching call until the rule is removed or expires. */
	count?: number;
	/** Only calls made before this time (experience clock, Unix seconds; see the backends' `now`). */
	until?: number;
	/** Only calls from this VM. */
	vm?: RobloxVm;
	/** Only this data store / memory store structure name. */
	store?: string;
	/** Only this key. */
	key?: string;
	/** The error text the Luau caller gets (defaults per service). */
	message?: string;
}

interface CallInfo {
	method: string;
	vm: RobloxVm;
	store: string;
	key?: string;
	now: number;
}

class FailureInjector {
	private rules: { rule: FailureRule; left: number }[] = [];

	add(rule: FailureRule): () => void {
		const entry = { rule, left: rule.count ?? Infinity };
		this.rules.push(entry);
		return () => {
			this.rules = this.rules.filter((r) => r !== entry);
		};
	}

	clear(): void {
		this.rules = [];
	}

	/** The message of the first rule matching this call (spending one of its count), or undefined. */
	take(call: CallInfo): string | undefined {
		for (const entry of this.rules) {
			const r = entry.rule;
			const methods = r.method === undefined ? ["*"] : Array.isArray(r.method) ? r.method : [r.method];
			if (!methods.includes("*") && !methods.includes(call.method)) continue;
			if (r.vm && r.vm !== call.vm) continue;
			if (r.store !== undefined && r.store !== call.store) continue;
			if (r.key !== undefined && r.key !== call.key) continue;
			if (r.until !== undefined && call.now >= r.until) continue;
			if (entry.left <= 0) continue;
			entry.left -= 1;
			if (entry.left <= 0) this.rules = this.rules.filter((x) => x !== entry);
			return r.message;
		}
		return undefined;
	}
}

/** Removes the matching elements in place (callers may hold the array). */
function removeWhere<T>(list: T[], match: (item: T) => boolean): void {
	let j = 0;
	for (const item of list) if (!match(item)) list[j++] = item;
	list.length = j;
}

function byteLength(s: string): number {
	return Buffer.byteLength(s, "utf8");
}

// DataStore ----------------------------------------------------------------------------------------------------------

export interface DataStoreEntry {
	/** The value as JSON text. */
	json: string;
	version: string;
	/** Unix milliseconds. */
	createdTime: number;
	updatedTime: number;
	userIds: number[];
	metadata: Record<string, unknown>;
}

export interface DataStoreRequestLogEntry {
	vm: string;
	method: string;
	store: string;
	scope: string;
	key?: string;
	/** Unix milliseconds of the calling VM. */
	at: number;
	error?: string;
}

interface DsSpec {
	op: "get" | "set" | "increment" | "remove" | "list";
	method: string;
	store: string;
	scope: string;
	key?: string;
	nowMs: number;
	/** false for the write half of UpdateAsync: injected failures hit the call once, at its read. */
	check?: boolean;
	userIds?: number[];
	metadata?: Record<string, unknown>;
	/** set only if the entry still has this version ("" = only if absent). */
	expectVersion?: string;
	delta?: number;
	prefix?: string;
	pageSize?: number;
	cursor?: string;
}

/** All data stores of one experience. */
export class DataStoreBackend {
	private stores = new Map<string, Map<string, DataStoreEntry>>();
	private failures = new FailureInjector();
	private versionSeq = 0;
	/** Every request that reached the backend (after the server's budget let it through), oldest first. */
	readonly log: DataStoreRequestLogEntry[] = [];

	private storeMap(store: string, scope: string, create: true): Map<string, DataStoreEntry>;
	private storeMap(store: string, scope: string, create?: boolean): Map<string, DataStoreEntry> | undefined;
	private storeMap(store: string, scope: string, create = false): Map<string, DataStoreEntry> | undefined {
		const id = `${store}\u0000${scope}`;
		let m = this.stores.get(id);
		if (!m && create) {
			m = new Map();
			this.stores.set(id, m);
		}
		return m;
	}

	/**
	 * Makes matching requests fail with `message` (default "502: API Services rejected request with error. HTTP 500
	 * (Internal Server Error)"). Methods: GetAsync, SetAsync, UpdateAsync, IncrementAsync, RemoveAsync, ListKeysAsync.
	 * Returns a function that removes the rule.
	 */
	fail(rule: FailureRule): () => void {
		return this.failures.add({
			...rule,
			message: rule.message ?? "502: API Services rejected request with error. HTTP 500 (Internal Server Error)",
		});
	}

	/** Shorthand: the next `count` calls of `method` fail with "<code>: <message>". */
	failNext(
		method: string,
		count = 1,
		code = 502,
		message = "API Services rejected request with error. HTTP 500 (Internal Server Error)",
	): () => void {
		return this.fail({ method, count, message: `${code}: ${message}` });
	}

	clearFailures(): void {
		this.failures.clear();
	}

	/** The stored value (parsed), or undefined. */
	get(store: string, key: string, scope = "global"): unknown {
		const e = this.storeMap(store, scope)?.get(key);
		return e ? JSON.parse(e.json) : undefined;
	}

	entry(store: string, key: string, scope = "global"): DataStoreEntry | undefined {
		return this.storeMap(store, scope)?.get(key);
	}

	/** Seeds a value as if a server had written it (no budgets, no failures). */
	set(store: string, key: string, value: unknown, scope = "global", nowMs = Date.now()): void {
		this.write(store, scope, key, JSON.stringify(value), nowMs, [], {});
	}

	delete(store: string, key: string, scope = "global"): boolean {
		return this.storeMap(store, scope)?.delete(key) ?? false;
	}

	keys(store: string, scope = "global"): string[] {
		return [...(this.storeMap(store, scope)?.keys() ?? [])].sort();
	}

	/** Every store as {"name/scope": {key: value}}. */
	dump(): Record<string, Record<string, unknown>> {
		const out: Record<string, Record<string, unknown>> = {};
		for (const [id, m] of this.stores) {
			const [store, scope] = id.split("\u0000");
			out[`${store}/${scope}`] = Object.fromEntries([...m].map(([k, e]) => [k, JSON.parse(e.json)]));
		}
		return out;
	}

	private write(
		store: string,
		scope: string,
		key: string,
		json: string,
		nowMs: number,
		userIds: number[],
		metadata: Record<string, unknown>,
	): DataStoreEntry {
		const m = this.storeMap(store, scope, true);
		const old = m.get(key);
		const entry: DataStoreEntry = {
			json,
			version: String(++this.versionSeq).padStart(16, "0"),
			createdTime: old?.createdTime ?? nowMs,
			updatedTime: nowMs,
			userIds,
			metadata,
		};
		m.set(key, entry);
		return entry;
	}

	/** Runs one request from a VM (called by the plugin). */
	request(vm: RobloxVm, spec: DsSpec, valueJson: string | undefined): unknown {
		const logEntry: DataStoreRequestLogEntry = {
			vm: vm.name,
			method: spec.method,
			store: spec.store,
			scope: spec.scope,
			key: spec.key,
			at: spec.nowMs,
		};
		if (spec.check !== false) this.log.push(logEntry);
		try {
			if (spec.check !== false) {
				const failure = this.failures.take({
					method: spec.method,
					vm,
					store: spec.store,
					key: spec.key,
					now: spec.nowMs / 1000,
				});
				if (failure !== undefined) throw new Error(failure);
			}
			return this.run(spec, valueJson);
		} catch (err) {
			logEntry.error = err instanceof Error ? err.message : String(err);
			throw err;
		}
	}

	private run(spec: DsSpec, valueJson: string | undefined): unknown {
		const m = this.storeMap(spec.store, spec.scope);
		const key = spec.key ?? "";
		// Every field is always present: luau-web turns a missing or undefined property into a non-nil value.
		const describe = (e: DataStoreEntry) => ({
			found: true,
			conflict: false,
			json: e.json,
			version: e.version,
			createdTime: e.createdTime,
			updatedTime: e.updatedTime,
			userIds: JSON.stringify(e.userIds),
			metadata: JSON.stringify(e.metadata),
		});
		switch (spec.op) {
			case "get": {
				const e = m?.get(key);
				return e ? describe(e) : { found: false };
			}
			case "set": {
				const current = m?.get(key);
				if (spec.expectVersion !== undefined && (current?.version ?? "") !== spec.expectVersion) {
					return { found: false, conflict: true };
				}
				return describe(
					this.write(
						spec.store,
						spec.scope,
						key,
						valueJson ?? "null",
						spec.nowMs,
						spec.userIds ?? [],
						spec.metadata ?? {},
					),
				);
			}
			case "increment": {
				const current = m?.get(key);
				const old = current ? (JSON.parse(current.json) as unknown) : 0;
				if (typeof old !== "number") throw new Error("IncrementAsync can only increment a number");
				const next = old + (spec.delta ?? 1);
				return describe(
					this.write(
						spec.store,
						spec.scope,
						key,
						JSON.stringify(next),
						spec.nowMs,
						spec.userIds ?? current?.userIds ?? [],
						current?.metadata ?? {},
					),
				);
			}
			case "remove": {
				const e = m?.get(key);
				if (!e) return { found: false };
				m!.delete(key);
				return describe(e);
			}
			case "list": {
				const all = [...(m?.keys() ?? [])].filter((k) => k.startsWith(spec.prefix ?? "")).sort();
				const start = spec.cursor ? all.findIndex((k) => k > spec.cursor!) : 0;
				const from = start < 0 ? all.length : start;
				const size = spec.pageSize && spec.pageSize > 0 ? spec.pageSize : 50;
				const page = all.slice(from, from + size);
				const more = from + size < all.length;
				return { keys: JSON.stringify(page), cursor: more ? page[page.length - 1] : "" };
			}
		}
	}
}

// MemoryStore --------------------------------------------------------------------------------------------------------

type SortKey = string | number;

interface MemoryItem {
	json: string;
	sortKey?: SortKey;
	/** Experience clock, Unix seconds. */
	expiresAt: number;
	version: number;
	size: number;
}

interface QueueItem {
	seq: number;
	json: string;
	priority: number;
	expiresAt: number;
	invisibleUntil: number;
	readId?: string;
	size: number;
}

export interface MemoryStoreOptions {
	/** Memory quota: base + perUser × users bytes (docs: 64 KB + 1.2 KB × users). */
	quotaBase?: number;
	quotaPerUser?: number;
	/** Request units per minute: base + perUser × concurrent users (docs: 1000 + 120 × CCU). */
	requestsBase?: number;
	requestsPerUser?: number;
}

export interface MemoryStoreRequestLogEntry {
	vm: string;
	method: string;
	name: string;
	key?: string;
	/** Experience clock, Unix seconds. */
	at: number;
	units: number;
	error?: string;
}

interface MsSpec {
	op: string;
	method: string;
	kind: "SortedMap" | "Queue" | "HashMap";
	name: string;
	key?: string;
	/** Unix seconds of the calling VM. */
	t: number;
	/** Players on the calling server. */
	users: number;
	expiration?: number;
	sortKey?: SortKey | null;
	/** For the write half of UpdateAsync: the item's version read earlier (0 = absent). */
	expectVersion?: number;
	check?: boolean;
	direction?: "Ascending" | "Descending";
	count?: number;
	lower?: { key?: string; sortKey?: SortKey };
	upper?: { key?: string; sortKey?: SortKey };
	priority?: number;
	invisibility?: number;
	allOrNothing?: boolean;
	excludeInvisible?: boolean;
	id?: string;
}

function msError(code: string, message: string): Error {
	return new Error(`Code: ${code}, Error: ${message}`);
}

/** Sort order of a sorted map (docs: numeric sort keys first, then string sort keys, then no sort key; ties by key). */
function sortClass(sortKey: SortKey | undefined): number {
	return typeof sortKey === "number" ? 0 : typeof sortKey === "string" ? 1 : 2;
}
function compareSortKeys(a: SortKey | undefined, b: SortKey | undefined): number {
	const ca = sortClass(a);
	const cb = sortClass(b);
	if (ca !== cb) return ca - cb;
	if (a === undefined || b === undefined || a === b) return 0;
	return a < b ? -1 : 1;
}

/** All memory stores of one experience, with the experience-wide memory quota and request-unit limit. */
export class MemoryStoreBackend {
	readonly sortedMaps = new Map<string, Map<string, MemoryItem>>();
	readonly hashMaps = new Map<string, Map<string, MemoryItem>>();
	readonly queues = new Map<string, QueueItem[]>();
	readonly log: MemoryStoreRequestLogEntry[] = [];
	readonly options: Required<MemoryStoreOptions>;
	/**
	 * The experience clock (Unix seconds): the latest time any server has been seen at. Items expire on it, and the
	 * request-unit window slides on it. VMs created with the same epochSeconds share a timeline.
	 */
	now = 0;
	private failures = new FailureInjector();
	private serverUsers = new Map<RobloxVm, number>();
	private usersOverride: number | undefined;
	private peak = 0;
	private units: { t: number; units: number }[] = [];
	private seq = 0;
	private readSeq = 0;

	constructor(options: MemoryStoreOptions = {}) {
		this.options = {
			quotaBase: options.quotaBase ?? 64 * 1024,
			quotaPerUser: options.quotaPerUser ?? 1.2 * 1024,
			requestsBase: options.requestsBase ?? 1000,
			requestsPerUser: options.requestsPerUser ?? 120,
		};
	}

	/**
	 * Sets the experience's concurrent users (all servers), overriding the count the servers report (the players in
	 * each VM's Players service); undefined goes back to that count.
	 */
	setUsers(users: number | undefined): void {
		this.usersOverride = users;
		this.peak = Math.max(this.peak, this.concurrentUsers());
	}

	/** Concurrent users now (request-unit limit). */
	concurrentUsers(): number {
		if (this.usersOverride !== undefined) return this.usersOverride;
		let n = 0;
		for (const v of this.serverUsers.values()) n += v;
		return n;
	}

	/**
	 * Users for the memory quota: "When users leave the experience, the quota doesn't reduce immediately. There's a
	 * traceback period of eight days" — the peak concurrent users seen (tests don't last eight days).
	 */
	quotaUsers(): number {
		return Math.max(this.peak, this.concurrentUsers());
	}

	/** The memory quota in bytes. */
	quota(): number {
		return this.options.quotaBase + this.options.quotaPerUser * this.quotaUsers();
	}

	/** Request units allowed per minute now. */
	requestLimit(): number {
		return this.options.requestsBase + this.options.requestsPerUser * this.concurrentUsers();
	}

	/** Request units spent in the last 60 s of the experience clock. */
	unitsInWindow(): number {
		this.units = this.units.filter((u) => u.t > this.now - 60);
		return this.units.reduce((s, u) => s + u.units, 0);
	}

	/** Bytes of every live item (key + value + sort key), after dropping expired items. */
	memoryUsed(): number {
		this.expire();
		let total = 0;
		for (const m of [...this.sortedMaps.values(), ...this.hashMaps.values()])
			for (const item of m.values()) total += item.size;
		for (const q of this.queues.values()) for (const item of q) total += item.size;
		return total;
	}

	/** Makes matching requests fail (default "Code: InternalError, Error: Internal error."). Returns a remover. */
	fail(rule: FailureRule): () => void {
		return this.failures.add({ ...rule, message: rule.message ?? "Code: InternalError, Error: Internal error." });
	}

	/** Shorthand: the next `count` calls of `method` (e.g. "SortedMap.SetAsync") fail with that status code. */
	failNext(method: string, count = 1, code = "InternalError", message = "Internal error."): () => void {
		return this.fail({ method, count, message: `Code: ${code}, Error: ${message}` });
	}

	clearFailures(): void {
		this.failures.clear();
	}

	/** A sorted map or hash map item's value (parsed), or undefined when absent or expired. */
	get(kind: "SortedMap" | "HashMap", name: string, key: string): unknown {
		this.expire();
		const item = (kind === "SortedMap" ? this.sortedMaps : this.hashMaps).get(name)?.get(key);
		return item ? JSON.parse(item.json) : undefined;
	}

	/** A queue's live items in read order (parsed). */
	queueItems(name: string): unknown[] {
		this.expire();
		return this.orderedQueue(name).map((i) => JSON.parse(i.json));
	}

	private expire(): void {
		for (const m of [...this.sortedMaps.values(), ...this.hashMaps.values()]) {
			for (const [k, item] of m) if (item.expiresAt <= this.now) m.delete(k);
		}
		for (const q of this.queues.values()) {
			removeWhere(q, (i) => i.expiresAt <= this.now);
			// Read but not removed within the invisibility timeout: visible again.
			for (const i of q) if (i.readId !== undefined && i.invisibleUntil <= this.now) i.readId = undefined;
		}
	}

	private orderedQueue(name: string): QueueItem[] {
		// "MemoryStore retrieves items with higher priority from the queue first, and ... the same priority in order
		// of addition."
		return [...(this.queues.get(name) ?? [])].sort((a, b) => b.priority - a.priority || a.seq - b.seq);
	}

	private itemSize(key: string, json: string, sortKey?: SortKey): number {
		return byteLength(key) + byteLength(json) + (sortKey === undefined ? 0 : byteLength(String(sortKey)));
	}

	/** Fails with TotalMemoryOverLimit when a write would grow memory past the quota ("requests that decrease or don't change the memory size still succeed"). */
	private checkQuota(oldSize: number, newSize: number): void {
		if (newSize <= oldSize) return;
		if (this.memoryUsed() - oldSize + newSize > this.quota()) {
			throw msError("TotalMemoryOverLimit", "Exceeds universe-level memory quota.");
		}
	}

	private spend(units: number): void {
		this.units.push({ t: this.now, units });
	}

	/** Runs one request from a VM (called by the plugin). */
	request(vm: RobloxVm, spec: MsSpec, valueJson: string | undefined): unknown {
		this.now = Math.max(this.now, spec.t);
		this.serverUsers.set(vm, spec.users);
		this.peak = Math.max(this.peak, this.concurrentUsers());
		// The write half of an UpdateAsync is part of the same call: not logged, no failure check, no extra units.
		const first = spec.check !== false;
		const entry: MemoryStoreRequestLogEntry = {
			vm: vm.name,
			method: spec.method,
			name: spec.name,
			key: spec.key,
			at: this.now,
			units: 0,
		};
		if (first) this.log.push(entry);
		try {
			if (first) {
				const failure = this.failures.take({ method: spec.method, vm, store: spec.name, key: spec.key, now: this.now });
				if (failure !== undefined) throw new Error(failure);
				// "If you exceed the quota, you receive an error response when the service throttles your requests."
				// HashMap UpdateAsync "consumes a minimum of two units".
				const minimum = spec.method === "HashMap.UpdateAsync" ? 2 : 1;
				if (this.unitsInWindow() + minimum > this.requestLimit()) {
					throw msError("TotalRequestsOverLimit", "Exceeds universe-level request unit limit.");
				}
				this.expire();
				const { result, units } = this.run(spec, valueJson);
				entry.units = Math.max(units, minimum);
				this.spend(entry.units);
				return result;
			}
			this.expire();
			return this.run(spec, valueJson).result;
		} catch (err) {
			entry.error = err instanceof Error ? err.message : String(err);
			throw err;
		}
	}

	private mapOf(kind: "SortedMap" | "HashMap", name: string): Map<string, MemoryItem> {
		const maps = kind === "SortedMap" ? this.sortedMaps : this.hashMaps;
		let m = maps.get(name);
		if (!m) {
			m = new Map();
			maps.set(name, m);
		}
		return m;
	}

	private run(spec: MsSpec, valueJson: string | undefined): { result: unknown; units: number } {
		const one = (result: unknown) => ({ result, units: 1 });
		if (spec.kind === "Queue") return this.runQueue(spec, valueJson);
		const m = this.mapOf(spec.kind, spec.name);
		const key = spec.key ?? "";
		const item = m.get(key);
		switch (spec.op) {
			case "get":
				// Every field is always present: luau-web turns a missing or undefined property into a non-nil value.
				return one(
					item
						? {
								found: true,
								json: item.json,
								hasSortKey: item.sortKey !== undefined,
								sortKey: item.sortKey ?? "",
								version: item.version,
							}
						: { found: false, json: "", hasSortKey: false, sortKey: "", version: 0 },
				);
			case "set": {
				if (spec.expectVersion !== undefined && (item?.version ?? 0) !== spec.expectVersion) {
					return one({ conflict: true, isNew: false });
				}
				const json = valueJson ?? "null";
				const sortKey = spec.sortKey ?? undefined;
				const size = this.itemSize(key, json, sortKey);
				this.checkQuota(item?.size ?? 0, size);
				m.set(key, { json, sortKey, expiresAt: this.now + (spec.expiration ?? 0), version: ++this.seq, size });
				return one({ conflict: false, isNew: item === undefined });
			}
			case "remove":
				m.delete(key);
				return one({});
			case "range": {
				const dir = spec.direction === "Descending" ? -1 : 1;
				const cmp = (a: { key: string; sortKey?: SortKey }, b: { key: string; sortKey?: SortKey }) =>
					compareSortKeys(a.sortKey, b.sortKey) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
				// A bound without a key covers every key of its sort key; without a sort key it is a plain key bound.
				const above = (it: { key: string; sortKey?: SortKey }, b: MsSpec["lower"]) => {
					if (!b) return true;
					if (b.key === undefined) return compareSortKeys(it.sortKey, b.sortKey) >= 0;
					return cmp(it, { key: b.key, sortKey: b.sortKey }) > 0;
				};
				const below = (it: { key: string; sortKey?: SortKey }, b: MsSpec["upper"]) => {
					if (!b) return true;
					if (b.key === undefined) return compareSortKeys(it.sortKey, b.sortKey) <= 0;
					return cmp(it, { key: b.key, sortKey: b.sortKey }) < 0;
				};
				const items = [...m]
					.map(([k, it]) => ({ key: k, sortKey: it.sortKey, json: it.json }))
					.filter((it) => above(it, spec.lower) && below(it, spec.upper))
					.sort((a, b) => dir * cmp(a, b))
					.slice(0, spec.count ?? 1);
				// "Consumes units based on the number of returned items ... an empty response counts as one."
				return { result: { items: JSON.stringify(items) }, units: Math.max(1, items.length) };
			}
		}
		throw new Error(`unknown memory store operation ${spec.op}`);
	}

	private runQueue(spec: MsSpec, valueJson: string | undefined): { result: unknown; units: number } {
		let q = this.queues.get(spec.name);
		if (!q) {
			q = [];
			this.queues.set(spec.name, q);
		}
		switch (spec.op) {
			case "add": {
				const json = valueJson ?? "null";
				const size = byteLength(json);
				this.checkQuota(0, size);
				q.push({
					seq: ++this.seq,
					json,
					priority: spec.priority ?? 0,
					expiresAt: this.now + (spec.expiration ?? 0),
					invisibleUntil: 0,
					size,
				});
				return { result: {}, units: 1 };
			}
			case "read": {
				const visible = this.orderedQueue(spec.name).filter((i) => i.readId === undefined);
				const count = spec.count ?? 1;
				if (visible.length === 0 || (spec.allOrNothing && visible.length < count)) {
					return { result: { items: "[]", id: "" }, units: 1 };
				}
				const taken = visible.slice(0, count);
				const id = `read-${++this.readSeq}`;
				for (const i of taken) {
					i.readId = id;
					i.invisibleUntil = this.now + (spec.invisibility ?? 30);
				}
				return { result: { items: `[${taken.map((i) => i.json).join(",")}]`, id }, units: taken.length };
			}
			case "remove": {
				// "If called after the invisibility timeout has expired, the call has no effect" (expire() cleared
				// the read id of those items).
				removeWhere(q, (i) => i.readId === spec.id);
				return { result: {}, units: 1 };
			}
			case "size": {
				const n = spec.excludeInvisible ? q.filter((i) => i.readId === undefined).length : q.length;
				return { result: { size: n }, units: 1 };
			}
		}
		throw new Error(`unknown memory store queue operation ${spec.op}`);
	}
}

// Plugin -------------------------------------------------------------------------------------------------------------

/** The DataStoreBackend a VM uses (the one passed in config.dataStores, or its private one). */
export function dataStoresOf(vm: RobloxVm): DataStoreBackend {
	let b = vm.data.get("dataStores") as DataStoreBackend | undefined;
	if (!b) {
		b = new DataStoreBackend();
		vm.data.set("dataStores", b);
	}
	return b;
}

/** The MemoryStoreBackend a VM uses (the one passed in config.memoryStores, or its private one). */
export function memoryStoresOf(vm: RobloxVm): MemoryStoreBackend {
	let b = vm.data.get("memoryStores") as MemoryStoreBackend | undefined;
	if (!b) {
		b = new MemoryStoreBackend();
		vm.data.set("memoryStores", b);
	}
	return b;
}

export const dataStorePlugin: ServicePlugin = {
	name: "datastore",
	host: (vm) => ({
		// Called once by datastore.luau / memorystore.luau with config.dataStores / config.memoryStores (JS objects
		// pass through Luau unchanged).
		dsAttach: (backend: unknown) => {
			if (backend instanceof DataStoreBackend) vm.data.set("dataStores", backend);
			else if (backend != null) throw new Error("config.dataStores must be a DataStoreBackend");
			dataStoresOf(vm);
			return true;
		},
		msAttach: (backend: unknown) => {
			if (backend instanceof MemoryStoreBackend) vm.data.set("memoryStores", backend);
			else if (backend != null) throw new Error("config.memoryStores must be a MemoryStoreBackend");
			memoryStoresOf(vm);
			return true;
		},
		dsRequest: (specJson: string, valueJson: string | null) => {
			const spec = JSON.parse(specJson) as DsSpec;
			return vm.startIo(async () => dataStoresOf(vm).request(vm, spec, valueJson ?? undefined));
		},
		msRequest: (specJson: string, valueJson: string | null) => {
			const spec = JSON.parse(specJson) as MsSpec;
			return vm.startIo(async () => memoryStoresOf(vm).request(vm, spec, valueJson ?? undefined));
		},
	}),
};
