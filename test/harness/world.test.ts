// World: one server VM + one client VM per player in lock-step; what replicates; which scripts run where; the clock.
import { afterEach, describe, expect, it } from "vitest";
import { inst, place, script, World } from "./world.js";

let world: World | undefined;
afterEach(async () => {
	await world?.destroy();
	world = undefined;
});

async function newWorld(services: Parameters<typeof place>[0], opts: Partial<Parameters<typeof World.create>[0]> = {}) {
	world = await World.create({ tree: place(services), ...opts });
	return world;
}

const MARK = (where: string) => `_G.ran = _G.ran or {}; table.insert(_G.ran, "${where}")`;

describe("the place's scripts", () => {
	it("runs enabled Scripts in ServerScriptService and Workspace on the server, nothing else", async () => {
		const w = await newWorld({
			ServerScriptService: [script("A", MARK("sss")), script("Off", MARK("disabled"), "Script", { Enabled: false })],
			Workspace: [inst("Model", "Model", [script("B", MARK("workspace"))])],
			ReplicatedStorage: [script("C", MARK("replicatedstorage"))],
			ServerStorage: [script("D", MARK("serverstorage"))],
			ReplicatedFirst: [script("E", MARK("server-sees-localscript"), "LocalScript")],
		});
		await w.start();
		const [ran] = await w.run<[string[]]>("server", `return _G.ran`);
		expect([...ran].sort()).toEqual(["sss", "workspace"]);
	});

	it("runs LocalScripts on the client: ReplicatedFirst first, then PlayerScripts, PlayerGui, Backpack", async () => {
		const w = await newWorld({
			ReplicatedFirst: [script("First", MARK("replicatedfirst"), "LocalScript")],
			StarterPlayer: [
				inst("StarterPlayerScripts", "StarterPlayerScripts", [script("PS", MARK("playerscripts"), "LocalScript")]),
			],
			StarterGui: [inst("Hud", "Folder", [script("Gui", MARK("playergui"), "LocalScript")])],
			StarterPack: [script("Tool", MARK("backpack"), "LocalScript")],
			ReplicatedStorage: [script("NotHere", MARK("replicatedstorage"), "LocalScript")],
			Workspace: [script("ServerOnly", MARK("server-script-on-client"))],
		});
		await w.addPlayer({ userId: 1, name: "a" }); // before start: scripts wait for start()
		const [before] = await w.run<[unknown]>(1, `return _G.ran == nil`);
		expect(before).toBe(true);
		await w.start();
		await w.addPlayer({ userId: 2, name: "b" }); // after start: scripts run at join
		for (const id of [1, 2]) {
			const [ran, where] = await w.run<[string[], string[]]>(
				id,
				`
				local lp = game:GetService("Players").LocalPlayer
				return _G.ran, { lp.PlayerScripts.PS:GetFullName(), lp.PlayerGui.Hud.Gui:GetFullName(), lp.Backpack.Tool:GetFullName() }
				`,
			);
			expect(ran).toEqual(["replicatedfirst", "playerscripts", "playergui", "backpack"]);
			expect(where).toEqual([
				`Players.${id === 1 ? "a" : "b"}.PlayerScripts.PS`,
				`Players.${id === 1 ? "a" : "b"}.PlayerGui.Hud.Gui`,
				`Players.${id === 1 ? "a" : "b"}.Backpack.Tool`,
			]);
		}
		// The server copies StarterGui into PlayerGui too, but cannot see PlayerScripts.
		const [serverSide] = await w.run<[Record<string, boolean>]>(
			"server",
			`
			local p = game:GetService("Players"):GetPlayerByUserId(1)
			return { gui = p.PlayerGui:FindFirstChild("Hud") ~= nil, scripts = p:FindFirstChild("PlayerScripts") ~= nil }
			`,
		);
		expect(serverSide).toEqual({ gui: true, scripts: false });
	});
});

describe("replication", () => {
	const TREE = {
		ReplicatedStorage: [
			inst("Shared", "Folder", [
				script("Config", `return { answer = 42 }`, "ModuleScript"),
				inst("Label", "StringValue", [], { Value: "hello" }),
			]),
		],
		ReplicatedFirst: [inst("Loading", "Folder")],
		Workspace: [inst("Map", "Model")],
		ServerStorage: [inst("Secrets", "Folder", [inst("Key", "StringValue", [], { Value: "hunter2" })])],
		ServerScriptService: [script("Main", `_G.main = true`)],
	};

	it("gives a joining client the replicated containers and nothing from ServerStorage / ServerScriptService", async () => {
		const w = await newWorld(TREE);
		await w.start();
		await w.addPlayer({ userId: 1, name: "a" });
		const [seen] = await w.run<[Record<string, unknown>]>(
			1,
			`
			local RS = game:GetService("ReplicatedStorage")
			return {
				config = require(RS.Shared.Config).answer,
				label = RS.Shared.Label.Value,
				first = game:GetService("ReplicatedFirst"):FindFirstChild("Loading") ~= nil,
				map = workspace:FindFirstChild("Map") ~= nil and workspace.Map.ClassName,
				secrets = #game:GetService("ServerStorage"):GetChildren(),
				sss = #game:GetService("ServerScriptService"):GetChildren(),
			}
			`,
		);
		expect(seen).toEqual({ config: 42, label: "hello", first: true, map: "Model", secrets: 0, sss: 0 });
	});

	it("does not send a Script's source to clients", async () => {
		const w = await newWorld({ ReplicatedStorage: [script("ServerCode", `print("secret logic")`)] });
		await w.addPlayer({ userId: 1, name: "a" });
		const client = await w.run<[string, string]>(
			1,
			`local s = game.ReplicatedStorage.ServerCode return s.ClassName, s.Source`,
		);
		const server = await w.run<[string, string]>(
			"server",
			`local s = game.ReplicatedStorage.ServerCode return s.ClassName, s.Source`,
		);
		expect(client).toEqual(["Script", ""]);
		expect(server).toEqual(["Script", `print("secret logic")`]);
	});

	it("replicates instances the server creates, changes, moves and destroys at runtime", async () => {
		const w = await newWorld(TREE);
		await w.addPlayer({ userId: 1, name: "a" });
		await w.run(
			"server",
			`
			local RS = game:GetService("ReplicatedStorage")
			local remote = Instance.new("RemoteEvent")
			remote.Name = "VantageEvents"
			remote:SetAttribute("Version", 3)
			remote.Parent = RS.Shared
			local ref = Instance.new("ObjectValue")
			ref.Name = "Ref"
			ref.Value = workspace.Map
			ref.Parent = RS
			local hidden = Instance.new("Folder")
			hidden.Name = "Hidden"
			hidden.Parent = game:GetService("ServerStorage")
			`,
		);
		const [created] = await w.run<[Record<string, unknown>]>(
			1,
			`
			local RS = game:GetService("ReplicatedStorage")
			local remote = RS.Shared:WaitForChild("VantageEvents", 1)
			return {
				path = remote and remote:GetFullName(), class = remote and remote.ClassName,
				version = remote and remote:GetAttribute("Version"),
				refIsMap = RS:WaitForChild("Ref", 1).Value == workspace.Map,
				hidden = game:GetService("ServerStorage"):FindFirstChild("Hidden") ~= nil,
			}
			`,
		);
		expect(created).toEqual({
			path: "ReplicatedStorage.Shared.VantageEvents",
			class: "RemoteEvent",
			version: 3,
			refIsMap: true,
			hidden: false,
		});
		await w.run(
			"server",
			`
			local RS = game:GetService("ReplicatedStorage")
			RS.Shared.VantageEvents.Name = "Renamed"
			RS.Shared.Renamed:SetAttribute("Version", 4)
			RS.Shared.Label.Value = "changed"
			RS.Ref.Parent = workspace.Map
			RS.Shared.Renamed:Destroy()
			game:GetService("ReplicatedFirst").Loading.Parent = game:GetService("ServerStorage")
			`,
		);
		await w.advance(0.1);
		const [after] = await w.run<[Record<string, unknown>]>(
			1,
			`
			local RS = game:GetService("ReplicatedStorage")
			return {
				renamed = RS.Shared:FindFirstChild("Renamed") ~= nil,
				old = RS.Shared:FindFirstChild("VantageEvents") ~= nil,
				label = RS.Shared.Label.Value,
				refMoved = workspace.Map:FindFirstChild("Ref") ~= nil and RS:FindFirstChild("Ref") == nil,
				loading = game:GetService("ReplicatedFirst"):FindFirstChild("Loading") ~= nil,
			}
			`,
		);
		expect(after).toEqual({ renamed: false, old: false, label: "changed", refMoved: true, loading: false });
	});

	it("shows a runtime rename and attribute change before a later remote event (one ordered stream)", async () => {
		const w = await newWorld({ ReplicatedStorage: [inst("State", "StringValue", [], { Value: "a" })] });
		await w.start();
		await w.addPlayer({ userId: 1, name: "p" });
		await w.run(
			"server",
			`
			local RS = game:GetService("ReplicatedStorage")
			local ev = Instance.new("RemoteEvent")
			ev.Name = "Ping"
			ev.Parent = RS
			_G.ev = ev
			`,
		);
		await w.run(
			1,
			`game.ReplicatedStorage:WaitForChild("Ping").OnClientEvent:Connect(function() _G.seen = game.ReplicatedStorage.State.Value end)`,
		);
		await w.run("server", `game.ReplicatedStorage.State.Value = "b"; _G.ev:FireAllClients()`);
		await w.advance(0.1);
		const [seen] = await w.run<[string]>(1, `return _G.seen`);
		expect(seen).toBe("b");
	});

	it("gives a player who joins later the current state, including runtime changes", async () => {
		const w = await newWorld(TREE);
		await w.addPlayer({ userId: 1, name: "early" });
		await w.run(
			"server",
			`local f = Instance.new("Folder"); f.Name = "Runtime"; f.Parent = workspace; workspace.Map:Destroy()`,
		);
		await w.advance(1);
		await w.addPlayer({ userId: 2, name: "late" });
		const [late] = await w.run<[boolean[]]>(
			2,
			`return { workspace:FindFirstChild("Runtime") ~= nil, workspace:FindFirstChild("Map") ~= nil }`,
		);
		const [early] = await w.run<[boolean[]]>(
			1,
			`return { workspace:FindFirstChild("Runtime") ~= nil, workspace:FindFirstChild("Map") ~= nil }`,
		);
		expect(late).toEqual([true, false]);
		expect(early).toEqual([true, false]);
	});

	it("keeps a client's own changes on that client", async () => {
		const w = await newWorld(TREE);
		await w.addPlayer({ userId: 1, name: "a" });
		await w.addPlayer({ userId: 2, name: "b" });
		await w.run(
			1,
			`local f = Instance.new("Folder"); f.Name = "ClientMade"; f.Parent = workspace; game.ReplicatedStorage.Shared.Label.Value = "hacked"`,
		);
		await w.advance(0.5);
		const [server] = await w.run<[unknown[]]>(
			"server",
			`return { workspace:FindFirstChild("ClientMade") ~= nil, game.ReplicatedStorage.Shared.Label.Value }`,
		);
		const [other] = await w.run<[unknown[]]>(
			2,
			`return { workspace:FindFirstChild("ClientMade") ~= nil, game.ReplicatedStorage.Shared.Label.Value }`,
		);
		expect(server).toEqual([false, "hello"]);
		expect(other).toEqual([false, "hello"]);
	});
});

describe("time", () => {
	it("moves every VM in lock-step and skips idle stretches", async () => {
		const w = await newWorld({
			ServerScriptService: [
				script(
					"Timer",
					`
					local ev = Instance.new("RemoteEvent")
					ev.Name = "Tick"
					ev.Parent = game:GetService("ReplicatedStorage")
					task.delay(600, function() ev:FireAllClients(time()) end)
					`,
				),
			],
			StarterPlayer: [
				inst("StarterPlayerScripts", "StarterPlayerScripts", [
					script(
						"Listen",
						`game.ReplicatedStorage:WaitForChild("Tick").OnClientEvent:Connect(function(sent) _G.got = { sent = sent, at = time(), unix = os.time() } end)`,
						"LocalScript",
					),
				]),
			],
		});
		await w.start();
		await w.advance(10);
		await w.addPlayer({ userId: 1, name: "a" }); // joins at t = 10: its clock starts at 0
		const steps = w.stats.steps;
		await w.advance(3600);
		expect(w.time).toBe(3610);
		expect(w.stats.steps - steps).toBeLessThan(20); // an idle hour is a handful of steps, not 216000 frames
		const [got] = await w.run<[{ sent: number; at: number; unix: number }]>(1, `return _G.got`);
		expect(got.sent).toBe(600);
		expect(got.at).toBeCloseTo(590 + 1 / 60, 6); // delivered the next frame
		const [serverUnix] = await w.run<[number]>("server", `return os.time()`);
		expect(serverUnix).toBe(1767225600 + 3610);
		expect(got.unix).toBe(1767225600 + 600);
	});

	it("world.run advances the whole world until the thread returns", async () => {
		const w = await newWorld({});
		await w.addPlayer({ userId: 1, name: "a" });
		const [waited] = await w.run<[number]>("server", `return task.wait(2.5)`);
		expect(waited).toBeCloseTo(2.5, 1);
		expect(w.time).toBeCloseTo(2.5, 1);
		const [clientTime] = await w.run<[number]>(1, `return time()`);
		expect(clientTime).toBeCloseTo(2.5, 1);
		await expect(w.run("server", `task.wait(100)`, { maxSeconds: 5 })).rejects.toThrow(/did not finish within 5/);
		await expect(w.run("server", `error("boom")`)).rejects.toThrow(/boom/);
	});
});
