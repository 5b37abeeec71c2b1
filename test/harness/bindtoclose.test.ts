// World.shutdown(): players are disconnected, BindToClose functions run in parallel with at most 30 s in total.
import { afterEach, describe, expect, it } from "vitest";
import { place, script, World } from "./world.js";

let world: World | undefined;
afterEach(async () => {
	if (world && !world.isClosed) await world.destroy();
	world = undefined;
});

async function newWorld(source: string, players = [1, 2]) {
	world = await World.create({
		tree: place({
			ServerScriptService: [
				script(
					"Main",
					`
					_G.log = {}
					local function log(s) table.insert(_G.log, string.format("%.2f %s", time(), s)) end
					_G.logf = log
					game:GetService("Players").PlayerRemoving:Connect(function(p, reason)
						log("removing " .. p.Name .. " " .. tostring(reason))
					end)
					${source}
					`,
				),
			],
		}),
	});
	await world.start();
	for (const id of players) await world.addPlayer({ userId: id, name: `p${id}` });
	await world.advance(1);
	return world;
}

describe("BindToClose", () => {
	it("kicks every player, then runs the bound functions with the close reason and waits for them", async () => {
		const w = await newWorld(`
			game:BindToClose(function(reason)
				_G.logf("close A " .. tostring(reason) .. " players=" .. #game:GetService("Players"):GetPlayers())
				task.wait(5)
				_G.logf("A done")
			end)
			game:BindToClose(function()
				_G.logf("close B")
				task.wait(2)
				_G.logf("B done")
			end)
		`);
		const report = await w.shutdown({ keepServer: true });
		expect(report).toEqual({
			reason: "DeveloperShutdown",
			finished: true,
			seconds: 5,
			callbacks: [
				{ finished: true, seconds: 5 },
				{ finished: true, seconds: 2 },
			],
			playersRemoved: [1, 2],
		});
		const [log] = await w.server.run<[string[]]>(`return _G.log`);
		expect(log).toEqual([
			"1.00 removing p1 Enum.PlayerExitReason.Unknown",
			"1.00 removing p2 Enum.PlayerExitReason.Unknown",
			"1.00 close A Enum.CloseReason.DeveloperShutdown players=0",
			"1.00 close B",
			"3.00 B done",
			"6.00 A done",
		]);
		expect(w.isClosed).toBe(true);
		expect(() => w.client(1)).toThrow(/not connected/);
		await expect(w.advance(1)).rejects.toThrow(/shut down/);
	});

	it("cuts a function that takes 45 s at 30 s and reports it unfinished", async () => {
		const w = await newWorld(`
			game:BindToClose(function()
				task.wait(45)
				_G.logf("slow done")
			end)
			game:BindToClose(function()
				task.wait(10)
			end)
		`);
		const report = await w.shutdown({ reason: "ServerEmpty", keepServer: true });
		expect(report.reason).toBe("ServerEmpty");
		expect(report.finished).toBe(false);
		expect(report.seconds).toBe(30);
		expect(report.callbacks).toEqual([{ finished: false }, { finished: true, seconds: 10 }]);
		const [log] = await w.server.run<[string[]]>(`return _G.log`);
		expect(log.some((l) => l.includes("slow done"))).toBe(false);
	});

	it("closes the server VM and counts a function that errors as finished", async () => {
		const w = await newWorld(`game:BindToClose(function() error("save failed") end)`, [1]);
		const report = await w.shutdown();
		expect(report.finished).toBe(true);
		expect(report.seconds).toBe(0);
		expect(report.callbacks).toEqual([{ finished: true, seconds: 0, error: expect.stringContaining("save failed") }]);
		expect(w.server.lines("error").join("\n")).toMatch(/save failed/);
		await expect(w.server.run("return 1")).rejects.toThrow(/destroyed/);
	});

	it("shuts down at once when nothing is bound", async () => {
		const w = await newWorld(``, []);
		const report = await w.shutdown();
		expect(report).toEqual({
			reason: "DeveloperShutdown",
			finished: true,
			seconds: 0,
			callbacks: [],
			playersRemoved: [],
		});
	});
});
