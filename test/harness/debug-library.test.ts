// Roblox's additions to Luau's debug library (profiler labels, memory categories), which frameworks such as
// Flamework call while they start: they exist, keep Luau's own debug functions, and only keep the current tag.
import { describe, expect, it } from "vitest";
import { RobloxVm } from "./vm.js";

describe("debug library", () => {
	it("has profilebegin/profileend and setmemorycategory/resetmemorycategory beside Luau's functions", async () => {
		const vm = await RobloxVm.create({ role: "server", services: false });
		try {
			const result = await vm.run<[string, string, string, string, string]>(`
				debug.profilebegin("label")
				debug.profileend()
				local first = debug.setmemorycategory("Vantage")
				local second = debug.setmemorycategory("Other")
				debug.resetmemorycategory()
				local afterReset = debug.setmemorycategory("Again")
				return first, second, afterReset, typeof(debug.traceback), typeof(debug.info)`);
			expect(result).toEqual(["Default", "Vantage", "Default", "function", "function"]);
		} finally {
			vm.destroy();
		}
	});
});
