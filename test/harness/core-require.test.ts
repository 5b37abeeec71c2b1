// require(ModuleScript) and script environments against Roblox's documented behaviour
// (reference/engine/globals/LuaGlobals "require", reference/engine/classes/ModuleScript).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TreeNode } from "./project.js";
import { RobloxVm } from "./vm.js";

function mod(name: string, source: string, children: TreeNode[] = []): TreeNode {
	return { name, className: "ModuleScript", source, children };
}

const modules: TreeNode[] = [
	mod("Counter", `_G.counterRuns = (_G.counterRuns or 0) + 1 return { id = math.random() }`),
	mod("Broken", `_G.brokenRuns = (_G.brokenRuns or 0) + 1 error("kaboom in module")`),
	mod("SyntaxError", `return {`),
	mod("A", `local B = require(script.Parent.B) return { b = B }`),
	mod("B", `local A = require(script.Parent.A) return { a = A }`),
	mod("Self", `return require(script)`),
	mod("Nothing", `local x = 1`),
	mod("Two", `return 1, 2`),
	mod("Nil", `return nil`),
	mod(
		"WhoAmI",
		`leaked = "from WhoAmI" _G.fromWhoAmI = "shared via _G" shared.fromShared = 1 return script:GetFullName()`,
	),
	mod(
		"Peek",
		`return { leaked = leaked, g = _G.fromWhoAmI, s = shared.fromShared, hasGame = game ~= nil, hasTask = task ~= nil }`,
	),
	mod("Slow", `_G.slowRuns = (_G.slowRuns or 0) + 1 task.wait(1) return { slow = true }`),
	{ name: "NotAModule", className: "Folder", children: [] },
];

describe("require", () => {
	let vm: RobloxVm;
	beforeAll(async () => {
		vm = await RobloxVm.create({
			role: "server",
			services: false,
			tree: {
				name: "Game",
				className: "DataModel",
				children: [{ name: "ReplicatedStorage", className: "ReplicatedStorage", children: modules }],
			},
		});
	});
	afterAll(() => vm.destroy());

	const M = `local M = game:GetService("ReplicatedStorage")\n`;

	it("runs a module once and returns the same value every time", async () => {
		expect(
			await vm.run(`${M}
				local a = require(M.Counter)
				local b = require(M.Counter)
				return a == b, _G.counterRuns, type(a.id)`),
		).toEqual([true, 1, "number"]);
	});

	it("reports a failing module once and errors on every require", async () => {
		const [first, second, runs] = await vm.run<[string, string, number]>(`${M}
			local ok1, e1 = pcall(require, M.Broken)
			local ok2, e2 = pcall(require, M.Broken)
			assert(not ok1 and not ok2)
			return e1, e2, _G.brokenRuns`);
		expect(first).toMatch(/Requested module experienced an error while loading$/);
		expect(second).toMatch(/Requested module experienced an error while loading$/);
		expect(runs).toBe(1);
		const errors = vm.lines("error").filter((l) => l.includes("kaboom in module"));
		expect(errors).toHaveLength(1);
		expect(errors[0]).toMatch(/^ReplicatedStorage\.Broken:1: kaboom in module/);
	});

	it("reports a syntax error and errors on require", async () => {
		const [message] = await vm.run<[string]>(`${M} local ok, e = pcall(require, M.SyntaxError) return e`);
		expect(message).toMatch(/Requested module experienced an error while loading$/);
		expect(vm.lines("error").some((l) => l.startsWith("ReplicatedStorage.SyntaxError:"))).toBe(true);
	});

	it("detects recursive requires", async () => {
		const [ab, self] = await vm.run<[string, string]>(`${M}
			local _, e1 = pcall(require, M.A)
			local _, e2 = pcall(require, M.Self)
			return e1, e2`);
		expect(ab).toMatch(/Requested module experienced an error while loading$/);
		expect(self).toMatch(/Requested module experienced an error while loading$/);
		const errors = vm.lines("error").join("\n");
		expect(errors).toMatch(/ReplicatedStorage\.B:1: Requested module was required recursively/);
		expect(errors).toMatch(/ReplicatedStorage\.Self:1: Requested module was required recursively/);
	});

	it("requires exactly one returned value (nil counts as one)", async () => {
		const [none, two, nilValue] = await vm.run<[string, string, boolean]>(`${M}
			local _, e1 = pcall(require, M.Nothing)
			local _, e2 = pcall(require, M.Two)
			return e1, e2, require(M.Nil) == nil`);
		expect(none).toMatch(/Module code did not return exactly one value$/);
		expect(two).toMatch(/Module code did not return exactly one value$/);
		expect(nilValue).toBe(true);
	});

	it("rejects what is not a ModuleScript", async () => {
		const [folder, str] = await vm.run<[string, string]>(`${M}
			local _, e1 = pcall(require, M.NotAModule)
			local _, e2 = pcall(require, "ReplicatedStorage.Counter")
			return e1, e2`);
		expect(folder).toMatch(/Attempted to call require with invalid argument\(s\)\.$/);
		expect(str).toMatch(/Attempted to call require with invalid argument\(s\)\.$/);
	});

	it("gives each module its own globals and script, with _G and shared common to all", async () => {
		const [fullName, peek, leakedHere, g] = await vm.run<[string, Record<string, unknown>, unknown, string]>(`${M}
			local name = require(M.WhoAmI)
			return name, require(M.Peek), leaked, _G.fromWhoAmI`);
		expect(fullName).toBe("ReplicatedStorage.WhoAmI");
		expect(peek).toEqual({ g: "shared via _G", s: 1, hasGame: true, hasTask: true });
		expect(leakedHere).toBeNull();
		expect(g).toBe("shared via _G");
	});

	it("keeps _G writable and shared with the host-started chunks", async () => {
		await vm.run(`_G.fromChunk1 = 42`);
		expect(await vm.run(`return _G.fromChunk1, rawget(_G, "print") == nil, type(_G.print)`)).toEqual([
			42,
			true,
			"function",
		]);
	});

	it("makes a second thread wait for a module that is still loading", async () => {
		const [same, runs, waited] = await vm.run<[boolean, number, number]>(`${M}
			local results = {}
			local t0 = os.clock()
			task.spawn(function() results[1] = require(M.Slow) end)
			task.spawn(function() results[2] = require(M.Slow) end)
			while not (results[1] and results[2]) do task.wait() end
			return results[1] == results[2], _G.slowRuns, os.clock() - t0`);
		expect(same).toBe(true);
		expect(runs).toBe(1);
		expect(waited).toBeGreaterThanOrEqual(1);
	});
});
