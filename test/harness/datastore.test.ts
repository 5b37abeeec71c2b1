// DataStoreService emulation: data shared per experience, per-server budgets with queues, limits, injected failures.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DataStoreBackend, dataStoresOf } from "./services/datastore.js";
import { RobloxVm, stringPieces, type ServicePlugin } from "./vm.js";
import { World } from "./world.js";

// Exposes the harness table H to test scripts (to add stand-in players).
const dir = mkdtempSync(join(tmpdir(), "vantage-ds-test-"));
writeFileSync(join(dir, "expose-h.luau"), "local H = ...\nH.sharedEnv.H = H\n");
const exposeH: ServicePlugin = { name: "test-expose-h", chunks: [join(dir, "expose-h.luau")] };

const vms: { destroy(): unknown }[] = [];
afterEach(async () => {
	for (const vm of vms.splice(0)) await vm.destroy();
});
function track<T extends { destroy(): unknown }>(vm: T): T {
	vms.push(vm);
	return vm;
}
async function server(config: Record<string, unknown> = {}, name = "server"): Promise<RobloxVm> {
	return track(await RobloxVm.create({ role: "server", name, config, plugins: [exposeH] }));
}

const PRELUDE = `
local DSS = game:GetService("DataStoreService")
local RT = Enum.DataStoreRequestType
local function budget(t) return DSS:GetRequestBudgetForRequestType(RT[t]) end
-- Adds n stand-in players (the Players emulation's own Player class when it exists).
local function addPlayers(n)
	if H.classes.Player == nil then H.defineClass("Player", {}) end
	if H.classes.Players == nil then H.defineClass("Players", {}) H.registerService("Players") end
	local players = game:GetService("Players")
	for i = 1, n do
		local p = H.newInstance("Player")
		H.instanceState[p].props.Name = "Player" .. i
		p.Parent = players
	end
end
`;
const lua = (source: string) => PRELUDE + source;

async function errorOf(vm: RobloxVm, source: string): Promise<string> {
	const [ok, err] = await vm.run<[boolean, string]>(lua(`return pcall(function()\n${source}\nend)`));
	expect(ok).toBe(false);
	return err;
}

describe("GlobalDataStore requests", () => {
	it("round-trips values with key info through Set, Get, Update, Increment and Remove", async () => {
		const vm = await server();
		const [result] = await vm.run<[Record<string, unknown>]>(
			lua(`
			local ds = DSS:GetDataStore("PlayerData")
			local r = {}
			local options = Instance.new("DataStoreSetOptions")
			options:SetMetadata({schema = 2})
			r.version = ds:SetAsync("Player_1", {coins = 10, items = {"sword"}}, {1}, options)
			local value, info = ds:GetAsync("Player_1")
			r.value = table.clone(value)
			r.info = {info.Version, info.CreatedTime, info.UpdatedTime, info:GetUserIds(), info:GetMetadata()}
			value.coins = 999 -- a copy: the store is not affected
			r.refetched = ds:GetAsync("Player_1").coins
			local seen
			r.updated = ds:UpdateAsync("Player_1", function(old, keyInfo)
				seen = {old.coins, keyInfo.Version}
				old.coins += 5
				return old, {1, 2}
			end)
			r.seen = seen
			r.afterUpdate = {ds:GetAsync("Player_1")}
			r.afterUpdate[2] = r.afterUpdate[2]:GetUserIds()
			r.inc = {ds:IncrementAsync("Visits")}
			r.inc[2] = r.inc[2].Version
			r.inc2 = ds:IncrementAsync("Visits", 4)
			r.removed = ds:RemoveAsync("Player_1")
			r.gone = {ds:GetAsync("Player_1")}
			r.removeMissing = ds:RemoveAsync("Nobody")
			return r`),
		);
		expect(typeof result.version).toBe("string");
		expect(result.value).toEqual({ coins: 10, items: ["sword"] });
		expect(result.refetched).toBe(10);
		const info = result.info as unknown[];
		expect(info[0]).toBe(result.version);
		expect(info[1]).toBe(1767225600000);
		expect(info[2]).toBe(1767225600000);
		expect(info[3]).toEqual([1]);
		expect(info[4]).toEqual({ schema: 2 });
		expect(result.seen).toEqual([10, result.version]);
		expect(result.updated).toEqual({ coins: 15, items: ["sword"] });
		expect(result.afterUpdate).toEqual([{ coins: 15, items: ["sword"] }, [1, 2]]);
		expect((result.inc as unknown[])[0]).toBe(1);
		expect(result.inc2).toBe(5);
		expect(result.removed).toEqual({ coins: 15, items: ["sword"] });
		expect(result.gone).toEqual([]);
		expect(result.removeMissing).toBeUndefined();
		const backend = dataStoresOf(vm);
		expect(backend.get("PlayerData", "Player_1")).toBeUndefined();
		expect(backend.get("PlayerData", "Visits")).toBe(5);
	});

	it("keeps scopes apart and creates a stored value's CreatedTime once", async () => {
		const vm = await server();
		await vm.run(
			lua(`
			DSS:GetDataStore("S"):SetAsync("k", "global scope")
			DSS:GetDataStore("S", "beta"):SetAsync("k", "beta scope")
			task.wait(5)
			DSS:GetDataStore("S"):SetAsync("k", "global again")`),
		);
		const b = dataStoresOf(vm);
		expect(b.get("S", "k")).toBe("global again");
		expect(b.get("S", "k", "beta")).toBe("beta scope");
		expect(b.entry("S", "k")!.createdTime).toBe(1767225600000);
		expect(b.entry("S", "k")!.updatedTime).toBe(1767225605000);
	});

	it("yields even with zero latency, and errors outside a yieldable thread or on a client", async () => {
		const vm = await server();
		const [order] = await vm.run<[string[]]>(
			lua(`
			local order = {}
			task.spawn(function() DSS:GetDataStore("Y"):GetAsync("k") table.insert(order, "request done") end)
			table.insert(order, "caller continued")
			task.wait()
			return order`),
		);
		expect(order).toEqual(["caller continued", "request done"]);
		expect(await errorOf(vm, `string.gsub("a", "a", function() DSS:GetDataStore("Y"):GetAsync("k") end)`)).toMatch(
			/attempt to yield across metamethod\/C-call boundary/,
		);
		const client = track(await RobloxVm.create({ role: "client" }));
		const [ok, err] = await client.run<[boolean, string]>(
			`return pcall(function() return game:GetService("DataStoreService"):GetDataStore("Y") end)`,
		);
		expect([ok, err]).toEqual([false, "DataStore can't be accessed from client"]);
	});

	it("has no data stores in a Studio place that was never published (GameId or PlaceId 0)", async () => {
		const unpublished = track(await RobloxVm.create({ role: "server", isStudio: true }));
		expect(await errorOf(unpublished, `DSS:GetDataStore("Y")`)).toBe(
			"You must publish this place to the web to access DataStore.",
		);
		expect(await errorOf(unpublished, `DSS:GetGlobalDataStore()`)).toBe(
			"You must publish this place to the web to access DataStore.",
		);
		// Published (both ids set), Studio reaches the experience's data stores; a live server always has its ids.
		const published = track(await RobloxVm.create({ role: "server", isStudio: true, gameId: 7, placeId: 8 }));
		const [value] = await published.run<[number]>(
			lua(`DSS:GetDataStore("Y"):SetAsync("k", 5) return DSS:GetDataStore("Y"):GetAsync("k")`),
		);
		expect(value).toBe(5);
		const halfPublished = track(await RobloxVm.create({ role: "server", isStudio: true, gameId: 7 }));
		expect(await errorOf(halfPublished, `DSS:GetDataStore("Y")`)).toMatch(/must publish this place/);
	});

	it("cancels UpdateAsync when the transform returns nil, and refuses a yielding transform", async () => {
		const vm = await server();
		const [cancelled, readLeft, writeLeft] = await vm.run(
			lua(`
			local ds = DSS:GetDataStore("U")
			ds:SetAsync("k", 1)
			local r = {ds:UpdateAsync("k", function() return nil end)}
			return #r == 0 or r[1] == nil, budget("StandardRead"), budget("StandardWrite")`),
		);
		expect(cancelled).toBe(true);
		// The update spent a read but no write: the SetAsync spent the only write.
		expect(readLeft).toBe(59);
		expect(writeLeft).toBe(59);
		expect(
			await errorOf(vm, `DSS:GetDataStore("U"):UpdateAsync("k", function(v) task.wait(1) return v + 1 end)`),
		).toMatch(/cannot yield/);
		expect(await errorOf(vm, `DSS:GetDataStore("U"):UpdateAsync("k", function(v) error("bad transform") end)`)).toMatch(
			/bad transform/,
		);
		expect(dataStoresOf(vm).get("U", "k")).toBe(1);
	});

	it("lists keys in pages, spending list budget", async () => {
		const vm = await server();
		const [pages, finished, listLeft, afterEnd] = await vm.run(
			lua(`
			local ds = DSS:GetDataStore("L")
			for _, k in {"b", "a", "e", "c", "d", "other"} do ds:SetAsync(k, true) end
			local seen = {}
			local pages = ds:ListKeysAsync("", 2)
			while true do
				local names = {}
				for _, key in pages:GetCurrentPage() do table.insert(names, key.KeyName) end
				table.insert(seen, names)
				if pages.IsFinished then break end
				pages:AdvanceToNextPageAsync()
			end
			local prefixed = {}
			for _, key in ds:ListKeysAsync("o"):GetCurrentPage() do table.insert(prefixed, key.KeyName) end
			table.insert(seen, prefixed)
			return seen, pages.IsFinished, budget("StandardList"), select(2, pcall(function() pages:AdvanceToNextPageAsync() end))`),
		);
		expect(pages).toEqual([["a", "b"], ["c", "d"], ["e", "other"], ["other"]]);
		expect(finished).toBe(true);
		expect(listLeft).toBe(1); // 5 per minute, 4 spent (3 pages + the prefixed listing)
		expect(afterEnd).toBe("No pages to advance to");
	});
});

describe("data shared by the experience", () => {
	it("lets a second server read what the first wrote, and tests inspect or seed it from Node", async () => {
		const dataStores = new DataStoreBackend();
		const a = await server({ dataStores }, "a");
		const b = await server({ dataStores }, "b");
		dataStores.set("Config", "motd", { text: "seeded" });
		await a.run(lua(`DSS:GetDataStore("Players"):SetAsync("Player_7", {level = 3})`));
		const [fromB, seeded] = await b.run(
			lua(`return DSS:GetDataStore("Players"):GetAsync("Player_7"), DSS:GetDataStore("Config"):GetAsync("motd")`),
		);
		expect(fromB).toEqual({ level: 3 });
		expect(seeded).toEqual({ text: "seeded" });
		expect(dataStores.get("Players", "Player_7")).toEqual({ level: 3 });
		expect(dataStores.dump()).toEqual({
			"Config/global": { motd: { text: "seeded" } },
			"Players/global": { Player_7: { level: 3 } },
		});
		expect(dataStores.log.map((e) => [e.vm, e.method, e.key])).toEqual([
			["a", "SetAsync", "Player_7"],
			["b", "GetAsync", "Player_7"],
			["b", "GetAsync", "motd"],
		]);
		// Separate experiences do not share.
		const other = await server();
		const [none] = await other.run(lua(`return DSS:GetDataStore("Players"):GetAsync("Player_7")`));
		expect(none).toBeUndefined();
	});

	it("retries UpdateAsync when another server wrote the key in between, losing no update", async () => {
		const dataStores = new DataStoreBackend();
		const a = await server({ dataStores }, "a");
		const b = await server({ dataStores }, "b");
		const script = lua(`
			shared.calls = 0
			local ds = DSS:GetDataStore("Counters")
			for i = 1, 25 do
				ds:UpdateAsync("total", function(v) shared.calls += 1 return (v or 0) + 1 end)
			end
			return shared.calls`);
		// Both servers read the key; then a runs all its updates before b's first write arrives.
		const runA = await a.start(script);
		const runB = await b.start(script);
		await a.settleIo();
		await b.settleIo();
		expect(await a.result(runA)).toEqual({ ok: true, values: [25] });
		expect(await b.result(runB)).toEqual({ ok: true, values: [26] }); // one transform call was retried
		expect(dataStores.get("Counters", "total")).toBe(50);
	});
});

describe("limits", () => {
	it("validates keys, names and values before spending budget", async () => {
		const vm = await server();
		const ds = `DSS:GetDataStore("V")`;
		expect(await errorOf(vm, `${ds}:GetAsync("")`)).toBe("101: Key name can't be empty.");
		expect(await errorOf(vm, `${ds}:SetAsync(string.rep("k", 51), 1)`)).toBe(
			"102: Key name exceeds the 50 character limit.",
		);
		expect(await errorOf(vm, `${ds}:SetAsync("k", print)`)).toBe(
			"104: Cannot store function in data store. Data stores can only accept valid UTF-8 characters.",
		);
		expect(await errorOf(vm, `${ds}:SetAsync("k", {part = Instance.new("Folder")})`)).toMatch(
			/^104: Cannot store Instance in data store/,
		);
		expect(await errorOf(vm, `${ds}:SetAsync("k", {1, 2, x = 3})`)).toMatch(/^104: Cannot store mixed table/);
		expect(await errorOf(vm, `${ds}:SetAsync("k", {[1] = 1, [3] = 3})`)).toMatch(/^104: Cannot store mixed table/);
		expect(await errorOf(vm, `${ds}:SetAsync("k", "\\255\\254")`)).toMatch(/^104: Cannot store string/);
		expect(await errorOf(vm, `${ds}:SetAsync("k", 0/0)`)).toMatch(/^104: Cannot store number/);
		expect(await errorOf(vm, `${ds}:SetAsync("k", nil)`)).toBe("Argument 2 missing or nil");
		expect(await errorOf(vm, `${ds}:UpdateAsync("k", function() return print end)`)).toMatch(
			/^104: Cannot store function/,
		);
		expect(await errorOf(vm, `${ds}:SetAsync("k", 1, {1, 2, 3, 4, 5})`)).toBe(
			"512: UserID size exceeds 4 array limit.",
		);
		expect(await errorOf(vm, `DSS:GetDataStore(string.rep("n", 51))`)).toMatch(/exceeds the 50 character limit/);
		expect(await errorOf(vm, `DSS:GetDataStore("n", string.rep("s", 51))`)).toMatch(/exceeds the 50 character limit/);
		const [read, write, key50] = await vm.run(
			lua(`return budget("StandardRead"), budget("StandardWrite"), ${ds}:SetAsync(string.rep("k", 50), 1) ~= nil`),
		);
		// Only the UpdateAsync above reached the service (its read); nothing was written.
		expect([read, write, key50]).toEqual([59, 60, true]);
	});

	it("refuses values whose JSON is over 4 MB and accepts one of exactly 4 MB", async () => {
		const vm = await server();
		const [ok, err] = await vm.run<[boolean, string]>(
			lua(`return pcall(function() DSS:GetDataStore("Big"):SetAsync("k", string.rep("a", 4 * 1024 * 1024 - 1)) end)`),
		);
		expect([ok, err]).toEqual([false, "105: Serialized value exceeds 4MB limit."]);
		const [fits] = await vm.run(
			lua(`return DSS:GetDataStore("Big"):SetAsync("k", string.rep("a", 4 * 1024 * 1024 - 2)) ~= nil`),
		);
		expect(fits).toBe(true);
		expect((dataStoresOf(vm).get("Big", "k") as string).length).toBe(4 * 1024 * 1024 - 2);
	});

	it("reads back a value of the full 4 MB, and one of nearly 4 MB full of escapes and multi-byte characters", async () => {
		// Values this large reach Luau in pieces (luau-web cannot take one string of more than ~1.4 MB).
		const vm = await server();
		const [plain, mixed, mixedLength] = await vm.run<[boolean, boolean, number]>(
			lua(`
			local ds = DSS:GetDataStore("Big")
			local plain = string.rep("a", 4 * 1024 * 1024 - 2)
			ds:SetAsync("plain", plain)
			-- Quotes, backslashes and control characters grow when escaped; é is 2 bytes, the emoji 4 (a surrogate
			-- pair in JavaScript: a piece must never split one).
			local mixed = { text = string.rep('a"b\\\\c\\né😀/', 260000), n = 42, list = { 1, "two", true } }
			ds:SetAsync("mixed", mixed)
			local gotPlain = ds:GetAsync("plain")
			local gotMixed = ds:GetAsync("mixed")
			return gotPlain == plain,
				gotMixed.text == mixed.text and gotMixed.n == 42 and gotMixed.list[2] == "two",
				#gotMixed.text
			`),
		);
		expect([plain, mixed, mixedLength]).toEqual([true, true, 260000 * 13]);
		const stored = dataStoresOf(vm).get("Big", "mixed") as { text: string };
		expect(Buffer.byteLength(JSON.stringify(stored))).toBeGreaterThan(4.1e6);
		expect(Buffer.byteLength(JSON.stringify(stored))).toBeLessThanOrEqual(4 * 1024 * 1024);
	});

	it("cuts what crosses to Luau into pieces that never split a surrogate pair", () => {
		const text = "ab😀😀c😀";
		for (let size = 1; size <= text.length; size++) {
			const pieces = stringPieces(text, size);
			expect(pieces.join("")).toBe(text);
			for (const piece of pieces) {
				expect(piece.length).toBeLessThanOrEqual(Math.max(size, 2));
				// Each piece is valid UTF-16 on its own: no lone high surrogate at its end, no lone low one at its start.
				expect(Buffer.from(piece, "utf8").toString("utf8")).toBe(piece);
			}
		}
	});
});

describe("per-server budgets", () => {
	it("reports 60 + 40 × players and 5 + 2 × players, and follows SetRateLimitForRequestType", async () => {
		const vm = await server();
		const [before, after, list, legacy, update, limited] = await vm.run(
			lua(`
			local before = {budget("StandardRead"), budget("StandardWrite"), budget("StandardRemove"), budget("StandardList")}
			addPlayers(2)
			task.wait(60)
			local after = {budget("StandardRead"), budget("StandardWrite"), budget("StandardRemove")}
			local legacy = {budget("GetAsync"), budget("SetIncrementAsync"), budget("ListAsync")}
			local update = budget("UpdateAsync")
			DSS:SetRateLimitForRequestType(RT.StandardRead, 10, 0)
			return before, after, budget("StandardList"), legacy, update, budget("StandardRead")`),
			{ maxSeconds: 120 },
		);
		expect(before).toEqual([60, 60, 60, 5]);
		expect(after).toEqual([140, 140, 140]);
		expect(list).toBe(9);
		expect(legacy).toEqual([140, 140, 9]);
		expect(update).toBe(140);
		expect(limited).toBe(10);
	});

	it("counts the Players emulation's players, and a World's server shares the experience's data", async () => {
		const dataStores = new DataStoreBackend();
		dataStores.set("Config", "motd", "hello");
		const world = track(await World.create({ config: { dataStores } }));
		await world.start();
		await world.addPlayer({ userId: 1, name: "a" });
		await world.addPlayer({ userId: 2, name: "b" });
		await world.advance(0.1);
		const [read, list, motd] = await world.run<[number, number, string]>(
			"server",
			`local DSS = game:GetService("DataStoreService")
			return DSS:GetRequestBudgetForRequestType(Enum.DataStoreRequestType.StandardRead),
				DSS:GetRequestBudgetForRequestType(Enum.DataStoreRequestType.StandardList),
				DSS:GetDataStore("Config"):GetAsync("motd")`,
		);
		expect(read).toBe(60 + 40 * 2);
		expect(list).toBe(5 + 2 * 2);
		expect(motd).toBe("hello");
	});

	it("queues requests past the budget (30 at most), then drops them with a throttle error", async () => {
		const vm = await server();
		const [spent, left, queued, dropped] = await vm.run(
			lua(`
			local ds = DSS:GetDataStore("Q")
			for i = 1, 60 do ds:GetAsync("k" .. i) end
			local left = budget("StandardRead")
			shared.done = {}
			for i = 1, 30 do
				task.spawn(function() ds:GetAsync("q" .. i) table.insert(shared.done, i) end)
			end
			local ok, err = pcall(function() return ds:GetAsync("overflow") end)
			return 60, left, H.dataStoreQueueLength("StandardRead"), {ok, err}`),
		);
		expect([spent, left, queued]).toEqual([60, 0, 30]);
		expect(dropped).toEqual([
			false,
			"301: GetAsync request dropped. Request was throttled, but throttled request queue was full.",
		]);
		const warnings = vm.lines("warn");
		expect(warnings).toHaveLength(30);
		expect(warnings[0]).toBe(
			"DataStore request was added to queue. If request queue fills, further requests will be dropped. Try sending fewer requests.Key = q1",
		);
		// The budget refills at 60 per minute: one queued request per second, in order.
		await vm.advance(10);
		const [afterTen] = await vm.run<[number[]]>(`return shared.done`);
		expect(afterTen.length).toBeGreaterThanOrEqual(9);
		expect(afterTen.length).toBeLessThanOrEqual(10);
		expect(afterTen).toEqual(afterTen.map((_, i) => i + 1));
		await vm.advance(21);
		const [all, queueLeft] = await vm.run(`return shared.done, H.dataStoreQueueLength("StandardRead")`);
		expect(all).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
		expect(queueLeft).toBe(0);
		expect(dataStoresOf(vm).log).toHaveLength(90);
	});

	it("drops writes with their own codes when the write queue is full", async () => {
		const vm = await server();
		const [errors] = await vm.run<[string[]]>(
			lua(`
			DSS:SetRateLimitForRequestType(RT.StandardWrite, 0, 0)
			DSS:SetRateLimitForRequestType(RT.StandardRemove, 0, 0)
			local ds = DSS:GetDataStore("W")
			for i = 1, 30 do task.spawn(function() ds:SetAsync("s" .. i, i) end) end
			for i = 1, 30 do task.spawn(function() ds:RemoveAsync("r" .. i) end) end
			local errors = {}
			for _, f in {
				function() ds:SetAsync("x", 1) end,
				function() ds:IncrementAsync("x") end,
				function() ds:UpdateAsync("x", function() return 1 end) end,
				function() ds:RemoveAsync("x") end,
			} do
				table.insert(errors, select(2, pcall(f)))
			end
			return errors`),
		);
		expect(errors).toEqual([
			"302: SetAsync request dropped. Request was throttled, but throttled request queue was full.",
			"303: IncrementAsync request dropped. Request was throttled, but throttled request queue was full.",
			"304: UpdateAsync request dropped. Request was throttled, but throttled request queue was full.",
			"306: RemoveAsync request dropped. Request was throttled, but throttled request queue was full.",
		]);
		expect(dataStoresOf(vm).log.map((e) => e.method)).toEqual(["UpdateAsync"]);
	});
});

describe("failure injection", () => {
	it("fails the next N calls of a method with the given error, without storing anything", async () => {
		const vm = await server();
		const backend = dataStoresOf(vm);
		backend.failNext("SetAsync", 2, 500, "Internal Server Error");
		const [results] = await vm.run<[unknown[]]>(
			lua(`
			local ds = DSS:GetDataStore("F")
			local r = {}
			for i = 1, 3 do
				local ok, err = pcall(function() return ds:SetAsync("k", i) end)
				table.insert(r, ok or err)
			end
			table.insert(r, (ds:GetAsync("k")))
			return r`),
		);
		expect(results).toEqual(["500: Internal Server Error", "500: Internal Server Error", true, 3]);
		expect(backend.log.map((e) => e.error ?? "ok")).toEqual([
			"500: Internal Server Error",
			"500: Internal Server Error",
			"ok",
			"ok",
		]);
	});

	it("fails every matching call until the rule is removed or expires, per server and key", async () => {
		const dataStores = new DataStoreBackend();
		const a = await server({ dataStores }, "a");
		const b = await server({ dataStores }, "b");
		const remove = dataStores.fail({ method: ["GetAsync", "UpdateAsync"], vm: a, message: "503: Service unavailable" });
		const attempt = lua(`return pcall(function() return DSS:GetDataStore("F"):GetAsync("k") end)`);
		expect(await a.run(attempt)).toEqual([false, "503: Service unavailable"]);
		expect(await a.run(attempt)).toEqual([false, "503: Service unavailable"]);
		expect(await b.run(attempt)).toEqual([true]);
		const [ok, err] = await a.run(
			lua(`return pcall(function() return DSS:GetDataStore("F"):UpdateAsync("k", function() return 1 end) end)`),
		);
		expect([ok, err]).toEqual([false, "503: Service unavailable"]);
		remove();
		expect(await a.run(attempt)).toEqual([true]);
		// Time-boxed, on the calling server's clock (Unix seconds).
		dataStores.fail({ key: "hot", until: 1767225600 + 30 });
		expect(await a.run(lua(`return pcall(function() return DSS:GetDataStore("F"):SetAsync("hot", 1) end)`))).toEqual([
			false,
			"502: API Services rejected request with error. HTTP 500 (Internal Server Error)",
		]);
		expect(await a.run(lua(`return pcall(function() return DSS:GetDataStore("F"):SetAsync("cold", 1) end)`))).toEqual([
			true,
			expect.any(String),
		]);
		await a.advance(30);
		expect(await a.run(lua(`return pcall(function() return DSS:GetDataStore("F"):SetAsync("hot", 1) end)`))).toEqual([
			true,
			expect.any(String),
		]);
	});
});
