// ScriptContext.Error emulation: fires for runtime errors of Scripts, threads and handlers, with the message, a
// traceback and the Script; not for compile errors; a failing Error handler does not loop.
import { afterEach, describe, expect, it } from "vitest";
import { RobloxVm } from "./vm.js";
import { place, script, World } from "./world.js";

let world: World | undefined;
const vms: RobloxVm[] = [];
afterEach(async () => {
	await world?.destroy();
	world = undefined;
	for (const vm of vms.splice(0)) vm.destroy();
});

const LISTENER = `
	_G.errors = {}
	game:GetService("ScriptContext").Error:Connect(function(message, trace, origin)
		table.insert(_G.errors, { message = message, trace = trace, script = origin and origin:GetFullName() or "nil" })
	end)
`;

describe("ScriptContext.Error", () => {
	it("fires for an error in a Script with the message, a traceback and the Script", async () => {
		world = await World.create({
			tree: place({
				ServerScriptService: [
					script("Listener", LISTENER),
					script("Broken", `task.wait(1)\nlocal x = nil\nerror("boom")`),
				],
			}),
		});
		await world.start();
		await world.advance(2);
		const [errors] = await world.run<[{ message: string; trace: string; script: string }[]]>(
			"server",
			"return _G.errors",
		);
		expect(errors).toHaveLength(1);
		expect(errors[0]!.message).toBe("ServerScriptService.Broken:3: boom");
		expect(errors[0]!.trace).toContain("ServerScriptService.Broken");
		expect(errors[0]!.script).toBe("ServerScriptService.Broken");
		// The error is still printed to Output, as Roblox does.
		expect(world.server.lines("error").some((l) => l.includes("boom"))).toBe(true);
	});

	it("fires for errors in spawned threads and event handlers, with no script for host code", async () => {
		const vm = await RobloxVm.create({ role: "server" });
		vms.push(vm);
		await vm.run(LISTENER);
		await vm.run(`
			task.spawn(function() error("in thread") end)
			local e = Instance.new("BindableEvent")
			e.Event:Connect(function() error({ code = 7 }) end)
			e:Fire()
			task.wait(0.1)
		`);
		const [errors] = await vm.run<[{ message: string; script: string }[]]>("return _G.errors");
		expect(errors.map((e) => e.script)).toEqual(["nil", "nil"]);
		expect(errors[0]!.message).toContain("in thread");
		expect(errors[1]!.message).toMatch(/^table: /);
	});

	it("does not fire for compile errors", async () => {
		world = await World.create({
			tree: place({
				ServerScriptService: [script("Listener", LISTENER), script("Syntax", "local = 1")],
			}),
		});
		await world.start();
		await world.advance(0.5);
		const [count] = await world.run<[number]>("server", "return #_G.errors");
		expect(world.server.lines("error").length).toBeGreaterThan(0);
		expect(count).toBe(0);
	});

	it("prints an error inside an Error handler once instead of firing Error again", async () => {
		const vm = await RobloxVm.create({ role: "server" });
		vms.push(vm);
		await vm.run(`
			_G.calls = 0
			game:GetService("ScriptContext").Error:Connect(function()
				_G.calls += 1
				error("handler failed")
			end)
			task.spawn(function() error("first") end)
			task.wait(1)
		`);
		const [calls] = await vm.run<[number]>("return _G.calls");
		expect(calls).toBe(1);
		expect(vm.lines("error").filter((l) => l.includes("handler failed"))).toHaveLength(1);
	});

	it("is per VM: a client's error fires on that client only", async () => {
		world = await World.create({ tree: place({}) });
		await world.addPlayer({ userId: 7, name: "p" });
		await world.run("server", LISTENER);
		await world.run(7, LISTENER);
		await world.run(7, `task.spawn(function() error("client side") end) task.wait(0.1)`);
		const [server] = await world.run<[number]>("server", "return #_G.errors");
		const [client] = await world.run<[number]>(7, "return #_G.errors");
		expect([server, client]).toEqual([0, 1]);
	});
});
