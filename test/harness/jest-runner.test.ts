import { mkdtempSync, rmSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { runJest } from "./jest-runner.js";
import { nodeFromPath, type TreeNode } from "./project.js";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..", "..");

function specTree(specDir: string): TreeNode {
	const jestPackages = nodeFromPath(join(repo, "node_modules", "@rbxts-js"), "@rbxts-js")!;
	const specs = nodeFromPath(specDir, "Specs")!;
	return {
		name: "Game",
		className: "DataModel",
		children: [
			{
				name: "ReplicatedStorage",
				className: "ReplicatedStorage",
				children: [
					{
						name: "rbxts_include",
						className: "Folder",
						children: [{ name: "node_modules", className: "Folder", children: [jestPackages] }],
					},
					specs,
				],
			},
		],
	};
}

describe("Jest Lua in the harness", () => {
	it("reports passing, failing and broken spec files", async () => {
		const r = await runJest({ tree: specTree(join(here, "fixtures", "jest")), root: ["ReplicatedStorage", "Specs"] });
		expect(r.success).toBe(false);
		expect(r.numTotalTestSuites).toBe(3);
		expect(r.numFailedTestSuites).toBe(2);
		expect(r.numPassedTests).toBe(3);
		expect(r.numFailedTests).toBe(1);
		const failed = r.tests.filter((t) => t.status === "failed");
		expect(failed.map((t) => t.fullName)).toEqual(["a failing fixture fails on purpose"]);
		expect(failed[0].failureMessages.join("\n")).toMatch(/Expected: 42[\s\S]*Received: 41/);
		expect(failed[0].failureMessages.join("\n")).toContain("failing.spec:9");
		expect(r.suiteErrors.map((s) => s.file)).toEqual(["Specs/broken.spec"]);
		expect(r.suiteErrors[0].message).toContain("fixture failed to load");
	}, 60_000);

	it("selects files with testPathPattern", async () => {
		const r = await runJest({
			tree: specTree(join(here, "fixtures", "jest")),
			root: ["ReplicatedStorage", "Specs"],
			testPathPattern: "passing.spec$",
		});
		expect(r.success).toBe(true);
		expect(r.numTotalTestSuites).toBe(1);
		expect(r.numPassedTests).toBe(2);
	}, 60_000);

	describe("at scale", () => {
		const dir = mkdtempSync(join(tmpdir(), "vantage-jest-stress-"));
		afterAll(() => rmSync(dir, { recursive: true, force: true }));

		it("runs 120 spec files in one VM without running out of WASM memory", async () => {
			const FILES = 120;
			const TESTS = 8;
			copyFileSync(join(here, "fixtures", "jest", "jest.config.luau"), join(dir, "jest.config.luau"));
			for (let f = 0; f < FILES; f++) {
				const tests = Array.from(
					{ length: TESTS },
					(_, t) => `	it("computes ${t}", function()
		local list = {}
		for i = 1, 2000 do
			list[i] = { id = i, name = "event-" .. i, value = i * ${t + 1} }
		end
		expect(#list).toBe(2000)
		expect(list[2000].value).toBe(${2000 * (t + 1)})
	end)`,
				).join("\n");
				writeFileSync(
					join(dir, `generated-${String(f).padStart(3, "0")}.spec.luau`),
					`local J = require(game:GetService("ReplicatedStorage").rbxts_include.node_modules["@rbxts-js"].JestGlobals)
local describe, it, expect = J.describe, J.it, J.expect
describe("generated file ${f}", function()
${tests}
end)
`,
				);
			}
			const r = await runJest({ tree: specTree(dir), root: ["ReplicatedStorage", "Specs"] });
			expect(r.suiteErrors).toEqual([]);
			expect(r.numTotalTestSuites).toBe(FILES);
			expect(r.numPassedTests).toBe(FILES * TESTS);
			expect(r.success).toBe(true);
			console.log(`stress: ${FILES} files / ${FILES * TESTS} tests in ${r.wallMs} ms`);
		}, 300_000);
	});
});
