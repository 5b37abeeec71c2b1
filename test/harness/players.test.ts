// Players service and Player objects in a World: joins, leaves, kicks, LocalPlayer, what other services can read.
import { afterEach, describe, expect, it } from "vitest";
import { RobloxVm } from "./vm.js";
import {
	inst,
	joinPlayer,
	leavePlayer,
	place,
	schedulePlayers,
	scheduledPlayerCounts,
	script,
	setClientRecordings,
	World,
} from "./world.js";

let world: World | undefined;
afterEach(async () => {
	await world?.destroy();
	world = undefined;
});

// A server script that logs Players events (and Players.ChildRemoved) into _G.log with the player's state.
const LOGGER = script(
	"Logger",
	`
	local Players = game:GetService("Players")
	_G.log = {}
	Players.PlayerAdded:Connect(function(p)
		table.insert(_G.log, "added " .. p.Name .. " parent=" .. tostring(p.Parent))
	end)
	Players.PlayerRemoving:Connect(function(p, reason)
		local listed = table.find(Players:GetPlayers(), p) ~= nil
		table.insert(_G.log, "removing " .. p.Name .. " " .. tostring(reason) .. " parent=" .. tostring(p.Parent) .. " listed=" .. tostring(listed))
	end)
	Players.ChildRemoved:Connect(function(p)
		table.insert(_G.log, "childRemoved " .. p.Name)
	end)
	`,
);

async function newWorld(
	extra: Parameters<typeof place>[0] = {},
	opts: Partial<Parameters<typeof World.create>[0]> = {},
) {
	world = await World.create({ tree: place({ ServerScriptService: [LOGGER], ...extra }), ...opts });
	await world.start();
	return world;
}

describe("Players", () => {
	it("creates a Player with the joining user's properties and fires PlayerAdded while it is parented", async () => {
		const w = await newWorld();
		await w.addPlayer({
			userId: 101,
			name: "alice",
			displayName: "Alice A.",
			accountAge: 420,
			premium: true,
			locale: "de-de",
			country: "DE",
			platform: "Android",
			joinData: { SourcePlaceId: 5, LaunchData: "promo=1", Members: [101, 102], TeleportData: { level: 3 } },
			groups: { 77: { rank: 200, role: "Admin" } },
		});
		await w.advance(0.1);
		const [props, log] = await w.run<[Record<string, unknown>, string[]]>(
			"server",
			`
			local p = game:GetService("Players"):GetPlayerByUserId(101)
			local join = p:GetJoinData()
			return {
				UserId = p.UserId, Name = p.Name, DisplayName = p.DisplayName, AccountAge = p.AccountAge,
				MembershipType = tostring(p.MembershipType), LocaleId = p.LocaleId, FollowUserId = p.FollowUserId,
				IsInGroup77 = p:IsInGroup(77), Rank77 = p:GetRankInGroup(77), Role77 = p:GetRoleInGroup(77),
				IsInGroup5 = p:IsInGroup(5), Rank5 = p:GetRankInGroup(5), Role5 = p:GetRoleInGroup(5),
				SourcePlaceId = join.SourcePlaceId, LaunchData = join.LaunchData, Members = join.Members,
				TeleportLevel = join.TeleportData.level, SourceGameId = join.SourceGameId,
				LocalPlayer = game:GetService("Players").LocalPlayer, ClassName = p.ClassName,
				Children = #p:GetChildren(),
			}, _G.log
			`,
		);
		expect(props).toEqual({
			UserId: 101,
			Name: "alice",
			DisplayName: "Alice A.",
			AccountAge: 420,
			MembershipType: "Enum.MembershipType.Premium",
			LocaleId: "de-de",
			FollowUserId: 0,
			IsInGroup77: true,
			Rank77: 200,
			Role77: "Admin",
			IsInGroup5: false,
			Rank5: 0,
			Role5: "Guest",
			SourcePlaceId: 5,
			LaunchData: "promo=1",
			Members: [101, 102],
			TeleportLevel: 3,
			ClassName: "Player",
			Children: 3, // Backpack, StarterGear, PlayerGui
		});
		expect(log).toEqual(["added alice parent=Players"]);
		// What other services (LocalizationService) read about the player.
		expect(JSON.parse((await w.server.callH("playerInfoJson", 101)) as string)).toEqual({
			userId: 101,
			country: "DE",
			locale: "de-de",
			platform: "Android",
		});
	});

	it("defaults: no premium, en-us, no groups, an empty join data table", async () => {
		const w = await newWorld();
		await w.addPlayer({ userId: 7, name: "bob" });
		const [r] = await w.run<[Record<string, unknown>]>(
			"server",
			`
			local p = game:GetService("Players"):GetPlayerByUserId(7)
			return { m = tostring(p.MembershipType), l = p.LocaleId, d = p.DisplayName, g = p:IsInGroup(1),
				j = next(p:GetJoinData()) == nil, auto = game:GetService("Players").CharacterAutoLoads }
			`,
		);
		expect(r).toEqual({ m: "Enum.MembershipType.None", l: "en-us", d: "bob", g: false, j: true, auto: true });
	});

	it("lists players in join order and finds them by UserId", async () => {
		const w = await newWorld();
		await w.addPlayer({ userId: 3, name: "c" });
		await w.addPlayer({ userId: 1, name: "a" });
		await w.addPlayer({ userId: 2, name: "b" });
		const [names, byId, missing, count] = await w.run<[string[], string, null, number]>(
			"server",
			`
			local Players = game:GetService("Players")
			local names = {}
			for _, p in Players:GetPlayers() do table.insert(names, p.Name) end
			return names, Players:GetPlayerByUserId(1).Name, Players:GetPlayerByUserId(999), Players.NumPlayers
			`,
		);
		expect(names).toEqual(["c", "a", "b"]);
		expect(byId).toBe("a");
		expect(missing).toBeNull();
		expect(count).toBe(3);
		expect(w.userIds).toEqual([3, 1, 2]);
	});

	it("refuses players beyond MaxPlayers", async () => {
		const w = await newWorld({}, { maxPlayers: 2 });
		await w.addPlayer({ userId: 1, name: "a" });
		await w.addPlayer({ userId: 2, name: "b" });
		await w.advance(0.1); // client 1 learns about player 2 one frame after the join
		await expect(w.addPlayer({ userId: 3, name: "c" })).rejects.toThrow(/full/);
		const [max] = await w.run<[number]>("server", `return game:GetService("Players").MaxPlayers`);
		expect(max).toBe(2);
		await expect(w.run("server", `game:GetService("Players").MaxPlayers = 10`)).rejects.toThrow(/read only/);
	});

	it("fires PlayerRemoving while the Player is still parented and listed, then removes and destroys it", async () => {
		const w = await newWorld();
		await w.addPlayer({ userId: 5, name: "eve" });
		await w.run("server", `_G.kept = game:GetService("Players"):GetPlayerByUserId(5)`);
		await w.removePlayer(5);
		const [log, count, parent, reparent] = await w.run<[string[], number, unknown, string]>(
			"server",
			`
			local ok, err = pcall(function() _G.kept.Parent = workspace end)
			return _G.log, #game:GetService("Players"):GetPlayers(), _G.kept.Parent, tostring(err)
			`,
		);
		expect(log).toEqual([
			"added eve parent=Players",
			"removing eve Enum.PlayerExitReason.Unknown parent=Players listed=true",
			"childRemoved eve",
		]);
		expect(count).toBe(0);
		expect(parent).toBeNull();
		expect(reparent).toMatch(/locked/); // destroyed
		expect(() => w.client(5)).toThrow(/not connected/);
	});

	it("Kick from the server removes the player (CreatorKick) and closes the client VM", async () => {
		const w = await newWorld();
		const client = await w.addPlayer({ userId: 9, name: "mallory" });
		await w.addPlayer({ userId: 10, name: "trent" });
		await w.run("server", `game:GetService("Players"):GetPlayerByUserId(9):Kick("cheating")`);
		await w.advance(0.1);
		const [log, names] = await w.run<[string[], string[]]>(
			"server",
			`
			local names = {}
			for _, p in game:GetService("Players"):GetPlayers() do table.insert(names, p.Name) end
			return _G.log, names
			`,
		);
		expect(log).toContain("removing mallory Enum.PlayerExitReason.CreatorKick parent=Players listed=true");
		expect(names).toEqual(["trent"]);
		expect(w.kicks).toEqual([{ userId: 9, message: "cheating", by: "server", at: expect.any(Number) }]);
		expect(() => w.client(9)).toThrow(/not connected/);
		await expect(client.run("return 1")).rejects.toThrow(/destroyed/);
		// The other client saw mallory leave.
		const [others] = await w.run<[string[]]>(
			10,
			`
			local names = {}
			for _, p in game:GetService("Players"):GetPlayers() do table.insert(names, p.Name) end
			return names
			`,
		);
		expect(others).toEqual(["trent"]);
	});

	it("a LocalScript can kick only its own player", async () => {
		const w = await newWorld();
		await w.addPlayer({ userId: 1, name: "a" });
		await w.addPlayer({ userId: 2, name: "b" });
		await w.advance(0.1); // client 1 learns about player 2 one frame after the join
		await expect(w.run(1, `game:GetService("Players"):GetPlayerByUserId(2):Kick()`)).rejects.toThrow(
			"Cannot kick a non-local Player from a LocalScript",
		);
		await w.run(1, `game:GetService("Players").LocalPlayer:Kick("bye")`);
		await w.advance(0.1);
		expect(w.userIds).toEqual([2]);
		expect(w.kicks).toEqual([{ userId: 1, message: "bye", by: "client", at: expect.any(Number) }]);
		const [log] = await w.run<[string[]]>("server", `return _G.log`);
		expect(log).toContain("removing a Enum.PlayerExitReason.Unknown parent=Players listed=true");
	});

	it("LocalPlayer is the client's own player; other players are visible without their private properties", async () => {
		const w = await newWorld();
		await w.addPlayer({ userId: 1, name: "ann", locale: "fr-fr", premium: true });
		await w.addPlayer({ userId: 2, name: "ben", locale: "es-es" });
		await w.advance(0.1);
		const [me, other] = await w.run<[Record<string, unknown>, Record<string, unknown>]>(
			1,
			`
			local Players = game:GetService("Players")
			local me = Players.LocalPlayer
			local other = Players:GetPlayerByUserId(2)
			return { name = me.Name, id = me.UserId, locale = me.LocaleId, premium = tostring(me.MembershipType),
					scripts = me:FindFirstChild("PlayerScripts") ~= nil },
				{ name = other.Name, locale = other.LocaleId, isLocal = other == me, scripts = other:FindFirstChild("PlayerScripts") ~= nil }
			`,
		);
		expect(me).toEqual({ name: "ann", id: 1, locale: "fr-fr", premium: "Enum.MembershipType.Premium", scripts: true });
		expect(other).toEqual({ name: "ben", locale: "", isLocal: false, scripts: false });
		const [noneOnServer] = await w.run<[boolean]>("server", `return game:GetService("Players").LocalPlayer == nil`);
		expect(noneOnServer).toBe(true);
		expect(JSON.parse((await w.client(1).callH("playerInfoJson", 1)) as string)).toMatchObject({ locale: "fr-fr" });
	});

	it("clients see PlayerAdded / PlayerRemoving for other players (exit reason Unknown on clients)", async () => {
		const w = await newWorld({
			StarterPlayer: [
				inst("StarterPlayerScripts", "StarterPlayerScripts", [
					script(
						"Watch",
						`
						local Players = game:GetService("Players")
						_G.seen = {}
						Players.PlayerAdded:Connect(function(p) table.insert(_G.seen, "+" .. p.Name) end)
						Players.PlayerRemoving:Connect(function(p, r) table.insert(_G.seen, "-" .. p.Name .. " " .. tostring(r)) end)
						`,
						"LocalScript",
					),
				]),
			],
		});
		await w.addPlayer({ userId: 1, name: "first" });
		await w.addPlayer({ userId: 2, name: "second" });
		await w.advance(0.1);
		await w.run("server", `game:GetService("Players"):GetPlayerByUserId(2):Kick()`);
		await w.advance(0.1);
		const [seen] = await w.run<[string[]]>(1, `return _G.seen`);
		expect(seen).toEqual(["+second", "-second Enum.PlayerExitReason.Unknown"]);
	});

	it("LocalizationService answers from the country and locale the player joined with", async () => {
		const w = await newWorld();
		await w.addPlayer({ userId: 1, name: "a", country: "fr", locale: "fr-fr" });
		await w.addPlayer({ userId: 2, name: "b" });
		const [fr, us] = await w.run<[string, string]>(
			"server",
			`
			local L = game:GetService("LocalizationService")
			local P = game:GetService("Players")
			return L:GetCountryRegionForPlayerAsync(P:GetPlayerByUserId(1)), L:GetCountryRegionForPlayerAsync(P:GetPlayerByUserId(2))
			`,
		);
		expect([fr, us]).toEqual(["FR", "US"]);
		const [locale] = await w.run<[string]>(1, `return game:GetService("LocalizationService").RobloxLocaleId`);
		expect(locale).toBe("fr-fr");
	});

	it("a plain server VM can have players without a World (and Kick removes them itself)", async () => {
		const vm = await RobloxVm.create({ role: "server" });
		try {
			await vm.run(`
				_G.log = {}
				game:GetService("Players").PlayerAdded:Connect(function(p) table.insert(_G.log, "+" .. p.Name) end)
				game:GetService("Players").PlayerRemoving:Connect(function(p, r) table.insert(_G.log, "-" .. p.Name .. " " .. tostring(r)) end)
			`);
			await joinPlayer(vm, { userId: 1, name: "solo" });
			await joinPlayer(vm, { userId: 2, name: "duo" });
			await leavePlayer(vm, 2);
			await vm.run(`game:GetService("Players"):GetPlayerByUserId(1):Kick()`);
			await vm.advance(0.1);
			const [log, n] = await vm.run<[string[], number]>(`return _G.log, #game:GetService("Players"):GetPlayers()`);
			expect(log).toEqual([
				"+solo",
				"+duo",
				"-duo Enum.PlayerExitReason.Unknown",
				"-solo Enum.PlayerExitReason.CreatorKick",
			]);
			expect(n).toBe(0);
		} finally {
			vm.destroy();
		}
	});

	it("runs a lone server's planned joins and leaves on its own clock, turning away a full server's extra joins", async () => {
		const vm = await RobloxVm.create({ role: "server", config: { maxPlayers: 2 } });
		try {
			await vm.run(`
				_G.log = {}
				game:GetService("Players").PlayerAdded:Connect(function(p) table.insert(_G.log, string.format("+%s@%d", p.Name, os.clock())) end)
				game:GetService("Players").PlayerRemoving:Connect(function(p) table.insert(_G.log, string.format("-%s@%d", p.Name, os.clock())) end)
			`);
			const start = await vm.now();
			await schedulePlayers(vm, [
				{ at: start + 10, join: { userId: 1, name: "ann" } },
				{ at: start + 20, join: { userId: 2, name: "bob" } },
				{ at: start + 25, join: { userId: 1, name: "ann" } }, // already in the game
				{ at: start + 30, join: { userId: 3, name: "cat" } }, // the server is full
				{ at: start + 40, leave: 1 },
				{ at: start + 50, join: { userId: 3, name: "cat" } },
				{ at: start + 60, leave: 9 }, // never joined
			]);
			await vm.advance(5);
			expect(await vm.run(`return #_G.log`)).toEqual([0]);
			await vm.advance(60);
			const [log] = await vm.run<[string[]]>(`return _G.log`);
			const at = (s: number) => Math.floor(start + s);
			expect(log).toEqual([`+ann@${at(10)}`, `+bob@${at(20)}`, `-ann@${at(40)}`, `+cat@${at(50)}`]);
			expect(await scheduledPlayerCounts(vm)).toEqual({ joined: 3, turnedAway: 2 });
		} finally {
			vm.destroy();
		}
	});

	it("records what a real client sends and replays it for a lone server's planned players (stand-in clients)", async () => {
		// The server's RemoteEvent and a handler that logs who sent what; the client reports its device and a number.
		const serverScript = script(
			"Remotes",
			`
			local remote = Instance.new("RemoteEvent")
			remote.Name = "Report"
			remote.Parent = game:GetService("ReplicatedStorage")
			_G.got = {}
			remote.OnServerEvent:Connect(function(player, info, n)
				table.insert(_G.got, string.format("%s %s %s@%d", player.Name, info.touch and "touch" or "mouse", tostring(n), os.clock()))
			end)
			`,
		);
		const clientScript = script(
			"Reporter",
			`
			local UIS = game:GetService("UserInputService")
			local remote = game:GetService("ReplicatedStorage"):WaitForChild("Report")
			task.wait(2)
			remote:FireServer({ touch = UIS.TouchEnabled }, 7)
			`,
			"LocalScript",
		);
		const tree = place({ ServerScriptService: [serverScript], ReplicatedFirst: [clientScript] });
		world = await World.create({ tree });
		await world.start();
		const phone = await world.recordClientMessages({ userId: 50, name: "rec", platform: "IOS" }, 5);
		expect(phone).toEqual([{ after: expect.closeTo(2, 1), remote: "ReplicatedStorage.Report", a: expect.anything() }]);
		// The recording played a real client; the lone server replays it for players with no client VM.
		const vm = await RobloxVm.create({ role: "server", tree });
		try {
			await vm.callH("worldRunServerScripts");
			await setClientRecordings(vm, { phone });
			const start = await vm.now();
			await schedulePlayers(vm, [
				{ at: start + 10, join: { userId: 1, name: "ann" }, client: "phone" },
				{ at: start + 10, join: { userId: 2, name: "bob" } }, // no stand-in client: sends nothing
				{ at: start + 20, join: { userId: 3, name: "cat" }, client: "phone" },
				{ at: start + 21, leave: 3 }, // gone before the message was due: nothing arrives from cat
			]);
			await vm.advance(60);
			const [got] = await vm.run<[string[]]>(`return _G.got`);
			expect(got).toEqual([`ann touch 7@${Math.floor(start + 12)}`]);
		} finally {
			vm.destroy();
		}
	});

	it("Player cannot be created by scripts", async () => {
		const w = await newWorld();
		await expect(w.run("server", `Instance.new("Player")`)).rejects.toThrow(
			'Unable to create an Instance of type "Player"',
		);
	});
});
