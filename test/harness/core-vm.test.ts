// RobloxVm itself: lifecycle, results and errors of vm.run, output capture.
import { describe, expect, it } from "vitest";
import { under, type TreeNode } from "./project.js";
import { LuauRuntimeError, RobloxVm } from "./vm.js";

/** A tree of `count` tiny ModuleScripts under ReplicatedStorage.Mods, each returning its own number. */
function manyModules(count: number): TreeNode {
	const children: TreeNode[] = Array.from({ length: count }, (_, i) => ({
		name: `M${i}`,
		className: "ModuleScript",
		source: `return function() return ${i} end`,
		children: [],
	}));
	return under("ReplicatedStorage", { name: "Mods", className: "Folder", children });
}

describe("RobloxVm", () => {
	it("keeps working across many create/destroy cycles and hands destroyed VMs' memory back", async () => {
		// Each VM holds 100 MB; 8 of them would not fit the 512 MiB heap if destroy() leaked, and luau-web's own
		// LuauState.destroy() corrupts states created after it.
		for (let i = 0; i < 8; i++) {
			const vm = await RobloxVm.create({ role: "server", services: false });
			const [len, name] = await vm.run<[number, string]>(`
				_G.big = string.rep("v", 100 * 1024 * 1024)
				local f = Instance.new("Folder") f.Name = "N${i}"
				return #_G.big, f.Name`);
			expect([len, name]).toEqual([100 * 1024 * 1024, `N${i}`]);
			vm.destroy();
			await vm.retiring;
			await expect(vm.run(`return 1`)).rejects.toThrow(/is destroyed/);
		}
	});

	it("returns snapshots of values and throws LuauRuntimeError with a trace", async () => {
		const vm = await RobloxVm.create({ role: "server", services: false });
		try {
			expect(await vm.run(`return 1, "two", nil, { 1, 2 }, { a = true }, workspace, 0/0`)).toEqual([
				1,
				"two",
				null,
				[1, 2],
				{ a: true },
				{ $instance: "Workspace", className: "Workspace" },
				{ $number: "nan" },
			]);
			const err = await vm
				.run(`local function inner() error("deep problem") end inner()`, { chunkName: "MyChunk" })
				.catch((e: unknown) => e);
			expect(err).toBeInstanceOf(LuauRuntimeError);
			expect((err as LuauRuntimeError).message).toBe("MyChunk:1: deep problem");
			expect((err as LuauRuntimeError).trace).toMatch(/MyChunk:1/);
			await expect(vm.run(`return (`)).rejects.toThrow(LuauRuntimeError);
		} finally {
			vm.destroy();
		}
	});

	it("captures print / warn / errors with the virtual time they were written at", async () => {
		const vm = await RobloxVm.create({ role: "server", services: false });
		try {
			await vm.run(`print("a", 1, nil, true) task.wait(2) warn("later") task.spawn(error, "oops")`);
			expect(vm.output.map(({ kind, text, at }) => [kind, text.split("\n")[0], at])).toEqual([
				["print", "a 1 nil true", 0],
				["warn", "later", 2],
				["error", "oops", 2],
			]);
			expect(vm.lines("warn")).toEqual(["later"]);
		} finally {
			vm.destroy();
		}
	});

	it("loads only the core with services: false", async () => {
		const vm = await RobloxVm.create({ role: "server", services: false });
		try {
			const [ok, err] = await vm.run<[boolean, string]>(
				`return pcall(function() return game:GetService("Players") end)`,
			);
			expect(ok).toBe(false);
			expect(err).toMatch(/'Players' is not a valid Service name/);
			expect(
				await vm.run(`return game:GetService("RunService"):IsServer(), game:GetService("ReplicatedStorage").Name`),
			).toEqual([true, "ReplicatedStorage"]);
		} finally {
			vm.destroy();
		}
	});

	it("never mistakes a new Luau function for a collected host-function wrapper, within or across VMs", async () => {
		// luau-web recognises its JS-function wrappers by address in a module-wide table; a wrapper freed by Luau's
		// GC poisons its address for every state (see BOOT_SOURCE in vm.ts). loadstring and require compile through
		// the host, and each compiled function crosses to JS and back, so a collected wrapper surfaces here as a
		// wrong value or a broken VM. With a fresh wrapper per host call this failed in the first or second cycle.
		for (let cycle = 0; cycle < 4; cycle++) {
			const vm = await RobloxVm.create({ role: "server", services: false, tree: manyModules(100) });
			const [loaded, sum] = await vm.run<[number, number]>(`
				for i = 1, 1500 do local _ = loadstring("return " .. i) end
				for i = 1, 3000 do local _ = table.create(1000, i) end -- garbage: collection runs
				local loaded = 0
				for i = 1, 1500 do
					local ok, f = pcall(loadstring, "return " .. i)
					if ok and type(f) == "function" and select(2, pcall(f)) == i then loaded += 1 end
				end
				local mods, sum = game:GetService("ReplicatedStorage").Mods, 0
				for i = 0, 99 do sum += require(mods["M" .. i])() end
				return loaded, sum`);
			expect([loaded, sum]).toEqual([1500, (99 * 100) / 2]);
			expect(await vm.unanchoredJsValues()).toBe(0);
			vm.destroy();
			await vm.retiring;
		}
	});
});
