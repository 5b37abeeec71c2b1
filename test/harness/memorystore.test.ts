// MemoryStoreService emulation: expiry on the virtual clock, the experience-wide quota and request units, sorted
// map ranges, queues, failure injection.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MemoryStoreBackend, memoryStoresOf } from "./services/datastore.js";
import { RobloxVm, type ServicePlugin } from "./vm.js";

// Exposes the harness table H to test scripts (to add stand-in players).
const dir = mkdtempSync(join(tmpdir(), "vantage-ms-test-"));
writeFileSync(join(dir, "expose-h.luau"), "local H = ...\nH.sharedEnv.H = H\n");
const exposeH: ServicePlugin = { name: "test-expose-h", chunks: [join(dir, "expose-h.luau")] };
// Adds n stand-in players (the Players emulation's own Player class when it exists).
const ADD_PLAYERS = `
local function addPlayers(n)
	if H.classes.Player == nil then H.defineClass("Player", {}) end
	if H.classes.Players == nil then H.defineClass("Players", {}) H.registerService("Players") end
	for i = 1, n do
		local p = H.newInstance("Player")
		H.instanceState[p].props.Name = "Player" .. i
		p.Parent = game:GetService("Players")
	end
end
`;

const vms: RobloxVm[] = [];
afterEach(() => {
	for (const vm of vms.splice(0)) vm.destroy();
});
async function create(options: Parameters<typeof RobloxVm.create>[0]): Promise<RobloxVm> {
	const vm = await RobloxVm.create(options);
	vms.push(vm);
	return vm;
}
function server(config: Record<string, unknown> = {}, name = "server"): Promise<RobloxVm> {
	return create({ role: "server", name, config });
}

const PRELUDE = `local MSS = game:GetService("MemoryStoreService")\n`;
const lua = (source: string) => PRELUDE + source;

async function errorOf(vm: RobloxVm, source: string): Promise<string> {
	const [ok, err] = await vm.run<[boolean, string]>(lua(`return pcall(function()\n${source}\nend)`));
	expect(ok).toBe(false);
	return err;
}

describe("expiry", () => {
	it("removes items when their expiration passes on the virtual clock", async () => {
		const vm = await server();
		await vm.run(
			lua(`
			MSS:GetSortedMap("S"):SetAsync("short", "s", 10)
			MSS:GetSortedMap("S"):SetAsync("long", "l", 100)
			MSS:GetHashMap("H"):SetAsync("h", {n = 1}, 10)
			MSS:GetQueue("Q"):AddAsync("q", 10)`),
		);
		const read = lua(`return {MSS:GetSortedMap("S"):GetAsync("short"), MSS:GetSortedMap("S"):GetAsync("long"),
			MSS:GetHashMap("H"):GetAsync("h"), MSS:GetQueue("Q"):GetSizeAsync()}`);
		await vm.advance(9.5);
		expect(await vm.run(read)).toEqual([["s", "l", { n: 1 }, 1]]);
		await vm.advance(1);
		const [after] = await vm.run<[Record<string, unknown>]>(read);
		// Arrays with holes come back as objects keyed by index.
		expect(after).toEqual({ "2": "l", "4": 0 });
		expect(memoryStoresOf(vm).memoryUsed()).toBe("long".length + '"l"'.length);
	});

	it("refuses an expiration over 45 days", async () => {
		const vm = await server();
		expect(await errorOf(vm, `MSS:GetSortedMap("S"):SetAsync("k", 1, 3888001)`)).toBe(
			"Code: InvalidExpirationTime, Error: The field 'expiration' time must be between 0 and 3,888,000.",
		);
		expect(await errorOf(vm, `MSS:GetQueue("Q"):AddAsync(1, -1)`)).toMatch(/InvalidExpirationTime/);
	});
});

describe("quota and limits", () => {
	it("fails writes past 64 KB + 1.2 KB × users with TotalMemoryOverLimit, freed by removal, expiry or more users", async () => {
		const memoryStores = new MemoryStoreBackend();
		const vm = await server({ memoryStores });
		const big = `string.rep("x", 30 * 1024)`;
		await vm.run(lua(`local m = MSS:GetHashMap("Blobs") m:SetAsync("a", ${big}, 60) m:SetAsync("b", ${big}, 600)`));
		expect(memoryStores.quota()).toBe(64 * 1024);
		const third = `MSS:GetHashMap("Blobs"):SetAsync("c", ${big}, 600)`;
		expect(await errorOf(vm, third)).toBe("Code: TotalMemoryOverLimit, Error: Exceeds universe-level memory quota.");
		// Writes that do not grow memory still succeed.
		const [shrunk] = await vm.run(lua(`return MSS:GetHashMap("Blobs"):SetAsync("b", "small", 600)`));
		expect(shrunk).toBe(false);
		await vm.run(lua(`MSS:GetHashMap("Blobs"):SetAsync("b", ${big}, 600)`));
		expect(await errorOf(vm, third)).toMatch(/TotalMemoryOverLimit/);
		// "a" expires after 60 s and frees its share.
		await vm.advance(61);
		await vm.run(lua(third));
		expect(await errorOf(vm, `MSS:GetHashMap("Blobs"):SetAsync("d", ${big}, 600)`)).toMatch(/TotalMemoryOverLimit/);
		// More users raise the quota at once; it does not drop when they leave (eight-day traceback).
		memoryStores.setUsers(30);
		expect(memoryStores.quota()).toBe(64 * 1024 + 30 * 1.2 * 1024);
		await vm.run(lua(`MSS:GetHashMap("Blobs"):SetAsync("d", ${big}, 600)`));
		memoryStores.setUsers(0);
		expect(memoryStores.quota()).toBe(64 * 1024 + 30 * 1.2 * 1024);
		await vm.run(lua(`MSS:GetHashMap("Blobs"):RemoveAsync("d") MSS:GetHashMap("Blobs"):SetAsync("e", ${big}, 600)`));
	});

	it("counts the players of every server as users", async () => {
		const memoryStores = new MemoryStoreBackend();
		const a = await create({ role: "server", name: "a", config: { memoryStores }, plugins: [exposeH] });
		const b = await create({ role: "server", name: "b", config: { memoryStores }, plugins: [exposeH] });
		await a.run(lua(`${ADD_PLAYERS} addPlayers(3) MSS:GetSortedMap("S"):SetAsync("k", 1, 10)`));
		await b.run(lua(`${ADD_PLAYERS} addPlayers(2) MSS:GetSortedMap("S"):GetAsync("k")`));
		expect(memoryStores.concurrentUsers()).toBe(5);
		expect(memoryStores.requestLimit()).toBe(1000 + 120 * 5);
		expect(memoryStores.quota()).toBe(64 * 1024 + 5 * 1.2 * 1024);
		// A server whose players left reports fewer users; the memory quota keeps the peak.
		await a.run(lua(`game:GetService("Players"):ClearAllChildren() MSS:GetSortedMap("S"):GetAsync("k")`));
		expect(memoryStores.concurrentUsers()).toBe(2);
		expect(memoryStores.quota()).toBe(64 * 1024 + 5 * 1.2 * 1024);
		memoryStores.setUsers(40);
		expect(memoryStores.requestLimit()).toBe(1000 + 120 * 40);
		memoryStores.setUsers(undefined);
		expect(memoryStores.concurrentUsers()).toBe(2);
	});

	it("refuses values over 32 KB, bad keys and bad sort keys", async () => {
		const vm = await server();
		expect(await errorOf(vm, `MSS:GetSortedMap("S"):SetAsync("k", string.rep("x", 32 * 1024), 10)`)).toBe(
			"Code: ItemValueSizeTooLarge, Error: Value size exceeds limit (32KB).",
		);
		await vm.run(lua(`MSS:GetSortedMap("S"):SetAsync("k", string.rep("x", 32 * 1024 - 2), 10)`));
		expect(await errorOf(vm, `MSS:GetSortedMap("S"):SetAsync(string.rep("k", 129), 1, 10)`)).toMatch(
			/^Code: InvalidRequest/,
		);
		expect(await errorOf(vm, `MSS:GetSortedMap("S"):SetAsync("", 1, 10)`)).toMatch(/^Code: InvalidRequest/);
		expect(await errorOf(vm, `MSS:GetSortedMap("S"):SetAsync("k", 1, 10, {})`)).toBe(
			"Code: InvalidRequest, Error: Unable to convert sortKey to a valid number or string.",
		);
		expect(await errorOf(vm, `MSS:GetSortedMap("S"):SetAsync("k", print, 10)`)).toBe(
			"Code: InvalidRequest, Error: Unable to convert value to json.",
		);
		expect(await errorOf(vm, `MSS:GetSortedMap("S"):SetAsync("k", 0/0, 10)`)).toMatch(
			/Unable to convert value to json/,
		);
	});

	it("throttles past the experience's request units per minute", async () => {
		const memoryStores = new MemoryStoreBackend({ requestsBase: 10, requestsPerUser: 0 });
		const a = await server({ memoryStores }, "a");
		const b = await server({ memoryStores }, "b");
		await a.run(lua(`for i = 1, 6 do MSS:GetHashMap("H"):SetAsync("k" .. i, i, 600) end`));
		await b.run(lua(`for i = 1, 4 do MSS:GetHashMap("H"):GetAsync("k" .. i) end`));
		expect(memoryStores.unitsInWindow()).toBe(10);
		expect(await errorOf(b, `MSS:GetHashMap("H"):GetAsync("k1")`)).toBe(
			"Code: TotalRequestsOverLimit, Error: Exceeds universe-level request unit limit.",
		);
		// The experience clock is the latest time any server made a request at: a, 60 s later, moves it on, and
		// b (still at t = 0 on its own clock) gets the fresh minute too.
		await a.advance(60);
		expect(await a.run(lua(`return MSS:GetHashMap("H"):GetAsync("k2")`))).toEqual([2]);
		expect(await b.run(lua(`return MSS:GetHashMap("H"):GetAsync("k1")`))).toEqual([1]);
		expect(memoryStores.now).toBe(1767225600 + 60);
	});

	it("charges GetRangeAsync one unit per returned item", async () => {
		const vm = await server();
		const backend = memoryStoresOf(vm);
		await vm.run(lua(`for i = 1, 7 do MSS:GetSortedMap("S"):SetAsync("k" .. i, i, 600) end`));
		await vm.run(lua(`MSS:GetSortedMap("S"):GetRangeAsync(Enum.SortDirection.Ascending, 5)`));
		await vm.run(lua(`MSS:GetSortedMap("Empty"):GetRangeAsync(Enum.SortDirection.Ascending, 5)`));
		expect(backend.log.slice(-2).map((e) => e.units)).toEqual([5, 1]);
		expect(backend.unitsInWindow()).toBe(7 + 5 + 1);
	});
});

describe("sorted map", () => {
	it("orders by numeric sort key, then string sort key, then key, with exclusive bounds and both directions", async () => {
		const vm = await server();
		const [asc, desc, page2, bySortKey, keyBounds] = await vm.run<unknown[][]>(
			lua(`
			local m = MSS:GetSortedMap("Leaderboard")
			m:SetAsync("player7", "v8", 600)
			m:SetAsync("player6", "v6", 600, "someString")
			m:SetAsync("player3", "v5", 600, 3.14)
			m:SetAsync("player5", "v4", 600, 1)
			m:SetAsync("player4", "v3", 600, 1)
			m:SetAsync("player2", "v2", 600, 0)
			m:SetAsync("player1", "v1", 600, -1)
			m:SetAsync("player0", "v7", 600)
			local function keys(items)
				local out = {}
				for _, item in items do table.insert(out, item.key) end
				return out
			end
			local asc = m:GetRangeAsync(Enum.SortDirection.Ascending, 200)
			local first = m:GetRangeAsync(Enum.SortDirection.Ascending, 3)
			local last = first[#first]
			local page2 = m:GetRangeAsync(Enum.SortDirection.Ascending, 3, {key = last.key, sortKey = last.sortKey})
			local bySortKey = m:GetRangeAsync(Enum.SortDirection.Ascending, 10, {sortKey = 1}, {sortKey = 3.14})
			local keyBounds = m:GetRangeAsync(Enum.SortDirection.Ascending, 10, "player0")
			return keys(asc), keys(m:GetRangeAsync(Enum.SortDirection.Descending, 3)), keys(page2), keys(bySortKey), keys(keyBounds)`),
		);
		// The documented example order.
		expect(asc).toEqual(["player1", "player2", "player4", "player5", "player3", "player6", "player0", "player7"]);
		expect(desc).toEqual(["player7", "player0", "player6"]);
		expect(page2).toEqual(["player5", "player3", "player6"]);
		expect(bySortKey).toEqual(["player4", "player5", "player3"]);
		expect(keyBounds).toEqual(["player7"]);
	});

	it("returns values with their sort keys and updates them atomically", async () => {
		const memoryStores = new MemoryStoreBackend();
		const vm = await server({ memoryStores });
		const [got, updated, cancelled, isNew, again] = await vm.run(
			lua(`
			local m = MSS:GetSortedMap("Bids")
			local isNew = m:SetAsync("item", {bid = 10}, 600, 10)
			local again = m:SetAsync("item", {bid = 10}, 600, 10)
			local got = {m:GetAsync("item")}
			local updated = {m:UpdateAsync("item", function(v, sortKey)
				v.bid = sortKey + 5
				return v, v.bid
			end, 600)}
			local cancelled = m:UpdateAsync("item", function() return nil end, 600)
			return got, updated, cancelled == nil, isNew, again`),
		);
		expect(got).toEqual([{ bid: 10 }, 10]);
		expect(updated).toEqual([{ bid: 15 }, 15]);
		expect(cancelled).toBe(true);
		expect([isNew, again]).toEqual([true, false]);
		expect(memoryStores.get("SortedMap", "Bids", "item")).toEqual({ bid: 15 });
	});

	it("is shared by every server of the experience", async () => {
		const memoryStores = new MemoryStoreBackend();
		const a = await server({ memoryStores }, "a");
		const b = await server({ memoryStores }, "b");
		await a.run(lua(`MSS:GetSortedMap("Shared"):SetAsync("k", "from a", 60)`));
		expect(await b.run(lua(`return MSS:GetSortedMap("Shared"):GetAsync("k")`))).toEqual(["from a"]);
		expect(await (await server()).run(lua(`return MSS:GetSortedMap("Shared"):GetAsync("k")`))).toEqual([]);
	});
});

describe("queue", () => {
	it("reads by priority then insertion order and hides read items until removed or timed out", async () => {
		const vm = await server();
		const [first, firstId, second, size, sizeVisible] = await vm.run(
			lua(`
			local q = MSS:GetQueue("Jobs", 20)
			q:AddAsync("low-1", 600)
			q:AddAsync("high", 600, 5)
			q:AddAsync("low-2", 600)
			q:AddAsync("low-3", 600)
			local first, id = q:ReadAsync(2)
			local second, id2 = q:ReadAsync(1)
			shared.id2 = id2
			return first, id, second, q:GetSizeAsync(), q:GetSizeAsync(true)`),
		);
		expect(first).toEqual(["high", "low-1"]);
		expect(typeof firstId).toBe("string");
		expect(second).toEqual(["low-2"]);
		expect([size, sizeVisible]).toEqual([4, 1]);
		await vm.run(lua(`MSS:GetQueue("Jobs", 20):RemoveAsync(shared.id2)`));
		// The first read was never removed: after the 20 s invisibility timeout its items come back.
		await vm.advance(20);
		const [again] = await vm.run(lua(`return MSS:GetQueue("Jobs", 20):ReadAsync(10)`));
		expect(again).toEqual(["high", "low-1", "low-3"]);
		expect(memoryStoresOf(vm).queueItems("Jobs")).toEqual(["high", "low-1", "low-3"]);
	});

	it("waits for items every two seconds up to waitTimeout, and honours allOrNothing", async () => {
		const vm = await server();
		const [none, partial, waited, at] = await vm.run(
			lua(`
			local q = MSS:GetQueue("Wait")
			local none = {q:ReadAsync(1, false, 0)}
			q:AddAsync("one", 600)
			local partial = {q:ReadAsync(2, true, 0)}
			task.delay(5, function() q:AddAsync("two", 600) end)
			local start = os.clock()
			local waited = q:ReadAsync(2, true, 30)
			return #none[1], #partial[1], waited, os.clock() - start`),
		);
		expect([none, partial]).toEqual([0, 0]);
		expect(waited).toEqual(["one", "two"]);
		expect(at).toBeCloseTo(6, 5); // read attempts at 0, 2, 4, 6 s
		const [timedOut, elapsed] = await vm.run(
			lua(
				`local start = os.clock() local items = MSS:GetQueue("Empty"):ReadAsync(1, false, 3) return #items, os.clock() - start`,
			),
		);
		expect(timedOut).toBe(0);
		expect(elapsed).toBeCloseTo(2, 5);
	});
});

describe("errors", () => {
	it("injects failures per method and refuses clients", async () => {
		const vm = await server();
		const backend = memoryStoresOf(vm);
		backend.failNext("SortedMap.GetAsync", 1);
		backend.fail({
			method: "Queue.AddAsync",
			message:
				"Code: DataStructureRequestsOverLimit, Error: Exceeds data structure level request unit limit (100,000 request units per minute).",
		});
		expect(await errorOf(vm, `MSS:GetSortedMap("S"):GetAsync("k")`)).toBe(
			"Code: InternalError, Error: Internal error.",
		);
		expect(await vm.run(lua(`return MSS:GetSortedMap("S"):GetAsync("k")`))).toEqual([]);
		expect(await errorOf(vm, `MSS:GetQueue("Q"):AddAsync(1, 10)`)).toMatch(/DataStructureRequestsOverLimit/);
		backend.clearFailures();
		await vm.run(lua(`MSS:GetQueue("Q"):AddAsync(1, 10)`));
		const client = await create({ role: "client" });
		const [ok, err] = await client.run(
			`return pcall(function() return game:GetService("MemoryStoreService"):GetSortedMap("S"):GetAsync("k") end)`,
		);
		expect([ok, err]).toEqual([
			false,
			"Code: InvalidClientAccess, Error: MemoryStoreService must be called from server.",
		]);
	});
});
