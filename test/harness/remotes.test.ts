// RemoteEvent / UnreliableRemoteEvent / RemoteFunction between the server VM and client VMs of a World.
import { afterEach, describe, expect, it } from "vitest";
import { inst, place, script, World } from "./world.js";

let world: World | undefined;
afterEach(async () => {
	await world?.destroy();
	world = undefined;
});

// The server creates its remotes at runtime (as the SDK does), so they reach clients through replication.
const SERVER = script(
	"Remotes",
	`
	local RS = game:GetService("ReplicatedStorage")
	local function make(class, name)
		local r = Instance.new(class)
		r.Name = name
		r.Parent = RS
		return r
	end
	local events = make("RemoteEvent", "Events")
	make("RemoteFunction", "Fn")
	make("UnreliableRemoteEvent", "Fast")
	make("RemoteEvent", "Late")
	_G.received = {}
	events.OnServerEvent:Connect(function(...)
		table.insert(_G.received, { args = table.pack(...), at = time() })
	end)
	`,
);

async function newWorld(players = [1]) {
	world = await World.create({
		tree: place({
			ServerScriptService: [SERVER],
			ReplicatedStorage: [inst("Shared", "Folder")],
			ServerStorage: [inst("Private", "Folder")],
		}),
	});
	await world.start();
	for (const id of players) await world.addPlayer({ userId: id, name: `p${id}` });
	await world.advance(0.1);
	return world;
}

describe("FireServer", () => {
	it("delivers to OnServerEvent with the real sending Player first and copied values", async () => {
		const w = await newWorld();
		await w.run(
			1,
			`
			local RS = game:GetService("ReplicatedStorage")
			local Car = { NumWheels = 4 }
			Car.__index = Car
			local truck = setmetatable({ Name = "MyTruck" }, Car)
			local localOnly = Instance.new("Folder")
			localOnly.Parent = workspace
			RS.Events:FireServer(
				truck,
				print,
				{ 1, 2, Color1 = "Green", Color2 = "Red" },
				{ [RS.Shared] = "instance key", [10] = "ten", [true] = "bool key" },
				{ 1, 2, nil, 4 },
				0 / 0, math.huge, -math.huge,
				"bytes\\0\\255\\254",
				RS.Shared,
				localOnly,
				Enum.MembershipType.Premium,
				{ nested = { deep = { 1, { x = "y" } } } },
				{ 1, print, 3 },
				nil
			)
			`,
		);
		await w.advance(0.1);
		const [r] = await w.run<[Record<string, unknown>]>(
			"server",
			`
			local g = _G.received[1].args
			local RS = game:GetService("ReplicatedStorage")
			local keys = {}
			for k, v in g[5] do table.insert(keys, typeof(k) .. ":" .. k .. "=" .. v) end
			table.sort(keys)
			return {
				count = g.n,
				sender = g[1] == game:GetService("Players"):GetPlayerByUserId(1),
				metatableLost = getmetatable(g[2]) == nil and g[2].Name == "MyTruck" and g[2].NumWheels == nil,
				functionIsNil = g[3] == nil,
				mixed = { len = #g[4], color = g[4].Color1 == nil, first = g[4][1], second = g[4][2] },
				keys = keys,
				holeTruncates = #g[6] == 2 and g[6][4] == nil,
				nan = g[7] ~= g[7], inf = g[8] == math.huge, ninf = g[9] == -math.huge,
				bytes = g[10] == "bytes\\0\\255\\254",
				sameInstance = g[11] == RS.Shared,
				clientOnlyIsNil = g[12] == nil,
				enum = g[13] == Enum.MembershipType.Premium,
				nested = g[14].nested.deep[2].x,
				arrayFunctionHole = g[15][1] == 1 and g[15][2] == nil and g[15][3] == 3,
				trailingNil = g[16] == nil,
			}
			`,
		);
		expect(r).toEqual({
			count: 16, // the player + 15 arguments, the trailing nil included
			sender: true,
			metatableLost: true,
			functionIsNil: true,
			mixed: { len: 2, color: true, first: 1, second: 2 },
			keys: ["string:10=ten", "string:Shared=instance key", "string:true=bool key"],
			holeTruncates: true,
			nan: true,
			inf: true,
			ninf: true,
			bytes: true,
			sameInstance: true,
			clientOnlyIsNil: true,
			enum: true,
			nested: "y",
			arrayFunctionHole: true,
			trailingNil: true,
		});
	});

	it("the sender cannot be forged: the first argument is always the sending client's Player", async () => {
		const w = await newWorld([1, 2]);
		await w.run(
			1,
			`
			local Players = game:GetService("Players")
			game.ReplicatedStorage.Events:FireServer(Players:GetPlayerByUserId(2), { UserId = 2 })
			`,
		);
		await w.advance(0.1);
		const [r] = await w.run<[unknown[]]>(
			"server",
			`
			local g = _G.received[1].args
			local Players = game:GetService("Players")
			return { g[1].UserId, g[2] == Players:GetPlayerByUserId(2), g[3].UserId, typeof(g[3]) }
			`,
		);
		expect(r).toEqual([1, true, 2, "table"]);
	});

	it("arrives one frame later, in order", async () => {
		const w = await newWorld();
		await w.run(1, `for i = 1, 3 do game.ReplicatedStorage.Events:FireServer(i) end _G.sentAt = time()`);
		await w.advance(0.1);
		const [order, at] = await w.run<[number[], number]>(
			"server",
			`
			local order = {}
			for _, r in _G.received do table.insert(order, r.args[2]) end
			return order, _G.received[1].at
			`,
		);
		expect(order).toEqual([1, 2, 3]);
		expect(at).toBeCloseTo(0.1 + 1 / 60, 6);
	});

	it("drops calls from a client whose player has left", async () => {
		const w = await newWorld();
		await w.run(1, `game.ReplicatedStorage.Events:FireServer("last words")`);
		await w.removePlayer(1);
		await w.advance(1);
		const [n] = await w.run<[number]>("server", `return #_G.received`);
		expect(n).toBe(0);
	});

	it("buffers events until OnServerEvent has a handler; an UnreliableRemoteEvent discards them", async () => {
		const w = await newWorld();
		await w.run(
			1,
			`for i = 1, 3 do game.ReplicatedStorage.Late:FireServer(i) end game.ReplicatedStorage.Fast:FireServer("x")`,
		);
		await w.advance(5);
		const [got] = await w.run<[number[]]>(
			"server",
			`
			local got = {}
			game.ReplicatedStorage.Late.OnServerEvent:Connect(function(_, i) table.insert(got, i) end)
			task.wait()
			return got
			`,
		);
		expect(got).toEqual([1, 2, 3]);
		expect(w.server.lines("warn")).toContain(
			"Remote event invocation discarded for ReplicatedStorage.Fast; did you forget to implement OnServerEvent?",
		);
	});

	it("drops UnreliableRemoteEvent payloads over 1000 bytes", async () => {
		const w = await newWorld();
		await w.run(
			"server",
			`_G.fast = {} game.ReplicatedStorage.Fast.OnServerEvent:Connect(function(_, s) table.insert(_G.fast, #s) end)`,
		);
		await w.run(
			1,
			`local f = game.ReplicatedStorage.Fast f:FireServer(string.rep("a", 900)) f:FireServer(string.rep("a", 1200))`,
		);
		await w.advance(0.1);
		const [sizes] = await w.run<[number[]]>("server", `return _G.fast`);
		expect(sizes).toEqual([900]);
		expect(w.client(1).lines("warn").join("\n")).toMatch(/over the 1000-byte limit/);
	});
});

describe("FireClient / FireAllClients", () => {
	it("FireClient reaches only that player; values are copied; non-replicated instances arrive as nil", async () => {
		const w = await newWorld([1, 2]);
		const listen = `_G.got = {} game.ReplicatedStorage.Events.OnClientEvent:Connect(function(...) table.insert(_G.got, table.pack(...)) end)`;
		await w.run(1, listen);
		await w.run(2, listen);
		await w.run(
			"server",
			`
			local RS = game:GetService("ReplicatedStorage")
			local Players = game:GetService("Players")
			RS.Events:FireClient(Players:GetPlayerByUserId(1), "only you", RS.Shared, game:GetService("ServerStorage").Private,
				Players:GetPlayerByUserId(2), setmetatable({ a = 1 }, { __index = { b = 2 } }))
			RS.Events:FireAllClients("everyone")
			`,
		);
		await w.advance(0.1);
		const [one] = await w.run<[unknown[]]>(
			1,
			`
			local g = _G.got
			local first = g[1]
			return { #g, first[1], first[2] == game.ReplicatedStorage.Shared, first[3] == nil,
				first[4] == game:GetService("Players"):GetPlayerByUserId(2), first[5].a, first[5].b == nil, g[2][1] }
			`,
		);
		expect(one).toEqual([2, "only you", true, true, true, 1, true, "everyone"]);
		const [two] = await w.run<[unknown[]]>(2, `return { #_G.got, _G.got[1][1] }`);
		expect(two).toEqual([1, "everyone"]);
	});

	it("errors when called from the wrong side or with a non-Player", async () => {
		const w = await newWorld();
		await expect(w.run("server", `game.ReplicatedStorage.Events:FireServer(1)`)).rejects.toThrow(
			"FireServer can only be called from the client",
		);
		await expect(w.run(1, `game.ReplicatedStorage.Events:FireAllClients(1)`)).rejects.toThrow(
			"FireAllClients can only be called from the server",
		);
		await expect(w.run("server", `game.ReplicatedStorage.Events:FireClient(nil, 1)`)).rejects.toThrow(
			"FireClient: player argument must be a Player object",
		);
		await expect(w.run(1, `game.ReplicatedStorage.Events.OnServerEvent:Connect(print)`)).rejects.toThrow(
			"OnServerEvent can only be used on the server",
		);
		await expect(w.run("server", `local x = game.ReplicatedStorage.Fn.OnServerInvoke`)).rejects.toThrow(
			"OnServerInvoke is a callback member of RemoteFunction; you can only set the callback value, get is not available",
		);
	});
});

describe("RemoteFunction", () => {
	it("InvokeServer yields until OnServerInvoke returns, and gets copies back", async () => {
		const w = await newWorld();
		await w.run(
			"server",
			`
			game.ReplicatedStorage.Fn.OnServerInvoke = function(player, t)
				task.wait(2)
				return t, player.Name, #t
			end
			`,
		);
		const [r] = await w.run<[Record<string, unknown>]>(
			1,
			`
			local original = { 10, 20, 30 }
			local t0 = time()
			local back, name, n = game.ReplicatedStorage.Fn:InvokeServer(original)
			return { elapsed = time() - t0, copy = back ~= original, first = back[1], name = name, n = n }
			`,
		);
		expect(r).toMatchObject({ copy: true, first: 10, name: "p1", n: 3 });
		expect(r.elapsed).toBeCloseTo(2 + 2 / 60, 6); // the callback's 2 s + one frame each way
	});

	it("raises the callback's error in the invoker, and waits for a callback that is set later", async () => {
		const w = await newWorld();
		await w.run("server", `game.ReplicatedStorage.Fn.OnServerInvoke = function() error("no such item") end`);
		await expect(w.run(1, `return game.ReplicatedStorage.Fn:InvokeServer()`)).rejects.toThrow(/no such item/);

		await w.run("server", `game.ReplicatedStorage.Fn.OnServerInvoke = nil`);
		await w.run(
			"server",
			`task.delay(3, function() game.ReplicatedStorage.Fn.OnServerInvoke = function(_, x) return x * 2 end end)`,
		);
		const [value, elapsed] = await w.run<[number, number]>(
			1,
			`local t0 = time() local v = game.ReplicatedStorage.Fn:InvokeServer(21) return v, time() - t0`,
		);
		expect(value).toBe(42);
		expect(elapsed).toBeGreaterThanOrEqual(2.9);
	});

	it("InvokeClient round-trips, and errors if the player leaves while being invoked", async () => {
		const w = await newWorld([1, 2]);
		await w.run(
			1,
			`game.ReplicatedStorage.Fn.OnClientInvoke = function(q) return q .. "!", game.Players.LocalPlayer.UserId end`,
		);
		await w.run(2, `game.ReplicatedStorage.Fn.OnClientInvoke = function() task.wait(60) return "too late" end`);
		const [answer, id] = await w.run<[string, number]>(
			"server",
			`return game.ReplicatedStorage.Fn:InvokeClient(game.Players:GetPlayerByUserId(1), "hi")`,
		);
		expect([answer, id]).toEqual(["hi!", 1]);
		await w.run(
			"server",
			`
			task.spawn(function()
				local ok, err = pcall(function()
					return game.ReplicatedStorage.Fn:InvokeClient(game.Players:GetPlayerByUserId(2))
				end)
				_G.invokeResult = { ok = ok, err = tostring(err) }
			end)
			`,
		);
		await w.advance(1);
		await w.removePlayer(2);
		const [res] = await w.run<[{ ok: boolean; err: string }]>("server", `return _G.invokeResult`);
		expect(res.ok).toBe(false);
		expect(res.err).toMatch(/disconnected/);
	});
});
