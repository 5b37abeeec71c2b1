// project.ts: Rojo's sync rules (rojo.space/docs/v7/sync-details, v7/project-format) on a temporary directory, and
// the repository's own default.project.json (the SDK model Rojo users get).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeFromPath, nodeFromProject, ProjectError, projectPaths, type TreeNode, under } from "./project.js";
import { RobloxVm } from "./vm.js";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..", "..");

/** "Name(Class)[children...]" for a compact comparison of trees. */
function shape(node: TreeNode): string {
	const kids = node.children.map(shape);
	return `${node.name}(${node.className})` + (kids.length ? `[${kids.join(",")}]` : "");
}
function child(node: TreeNode, ...path: string[]): TreeNode {
	let cur = node;
	for (const name of path) {
		const next = cur.children.find((c) => c.name === name);
		if (!next) throw new Error(`no child ${name} under ${cur.name}: ${shape(cur)}`);
		cur = next;
	}
	return cur;
}

let dir: string;
function write(rel: string, content: string): void {
	const path = join(dir, rel);
	mkdirSync(dirname(path), { recursive: true });
	writeFileSync(path, content);
}

beforeAll(() => {
	dir = mkdtempSync(join(tmpdir(), "harness-project-"));
	write("src/init.luau", `return { util = require(script.util), data = require(script.data) }`);
	write("src/util.luau", `return "util"`);
	write("src/main.server.luau", `print("server")`);
	write("src/ui.client.lua", `print("client")`);
	write("src/old.lua", `return "lua"`);
	// (written by hand: JSON.stringify would write -0 as 0)
	write(
		"src/data.json",
		`{"name": "quote \\" and \\\\ and ]==] \\u00e9 😀", "list": [1, 2.5, -0, null, true], "nested": {"empty": {}, "arr": []}}`,
	);
	write("src/readme.txt", "hello\nworld");
	write("src/notes.md", "not synced");
	write("src/tests/foo.spec.luau", `return nil`);
	write("src/settings/init.meta.json", JSON.stringify({ className: "Configuration", attributes: { Tier: 2 } }));
	write("src/settings/value.txt", "v");
	write("src/runner/init.server.luau", `print("runner")`);
	write("src/runner/helper.luau", `return 1`);
	write("src/pkg/default.project.json", JSON.stringify({ name: "RealName", tree: { $path: "lib" } }));
	write("src/pkg/lib/init.lua", `return "pkg"`);
	write(
		"default.project.json",
		JSON.stringify({
			name: "Game",
			tree: {
				$className: "DataModel",
				ReplicatedStorage: {
					$className: "ReplicatedStorage",
					Lib: { $path: "src" },
					Single: { $path: "src/util.luau" },
					Config: {
						$className: "Configuration",
						$attributes: { Level: 3, Mode: { String: "fast" }, On: true },
						Greeting: { $className: "StringValue", $properties: { Value: "hi" } },
						Count: { $className: "IntValue", $properties: { Value: { Int64: 7 } } },
					},
					Maybe: { $path: { optional: "does-not-exist" } },
				},
			},
		}),
	);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("Rojo sync rules", () => {
	it("maps files and directories to instances", () => {
		const root = nodeFromProject(join(dir, "default.project.json"));
		expect(root.name).toBe("Game");
		expect(root.className).toBe("DataModel");
		const lib = child(root, "ReplicatedStorage", "Lib");
		expect(shape(lib)).toBe(
			"Lib(ModuleScript)[data(ModuleScript),main(Script),old(ModuleScript),RealName(ModuleScript),readme(StringValue)," +
				"runner(Script)[helper(ModuleScript)],settings(Configuration)[value(StringValue)],tests(Folder)[foo.spec(ModuleScript)]," +
				"ui(LocalScript),util(ModuleScript)]",
		);
		expect(child(lib, "readme").properties).toEqual({ Value: "hello\nworld" });
		expect(child(lib, "settings").attributes).toEqual({ Tier: 2 });
		expect(child(root, "ReplicatedStorage", "Single").className).toBe("ModuleScript");
		expect(child(root, "ReplicatedStorage", "Maybe").className).toBe("Folder");
	});

	it("names a nested default.project.json by its name, unless the parent project names it", () => {
		const viaScan = nodeFromPath(join(dir, "src"), "Src")!;
		expect(viaScan.children.map((c) => c.name)).toContain("RealName");
		expect(child(viaScan, "RealName").className).toBe("ModuleScript");
		const named = nodeFromProject(join(dir, "src", "pkg", "default.project.json"));
		expect(named.name).toBe("RealName");
	});

	it("applies $className, $properties and $attributes (implicit and explicit values)", () => {
		const config = child(nodeFromProject(join(dir, "default.project.json")), "ReplicatedStorage", "Config");
		expect(config.className).toBe("Configuration");
		expect(config.attributes).toEqual({ Level: 3, Mode: "fast", On: true });
		expect(child(config, "Greeting").properties).toEqual({ Value: "hi" });
		expect(child(config, "Count").properties).toEqual({ Value: 7 });
	});

	it("builds the tree in a VM: scripts, JSON modules and values work", async () => {
		const vm = await RobloxVm.create({
			role: "server",
			services: false,
			tree: nodeFromProject(join(dir, "default.project.json")),
		});
		try {
			const r = await vm.run<unknown[]>(`
				local RS = game:GetService("ReplicatedStorage")
				local lib = require(RS.Lib)
				local data = lib.data
				return lib.util, data.name, data.list[1], data.list[2], 1 / data.list[3], data.list[4] == nil, data.list[5],
					next(data.nested.empty) == nil, RS.Lib.readme.Value, RS.Config:GetAttribute("Mode"), RS.Config.Greeting.Value,
					RS.Config.Count.Value, RS.Lib.settings:GetAttribute("Tier"), require(RS.Lib.RealName), require(RS.Single),
					RS.Lib.main:IsA("Script"), RS.Lib.main.Source`);
			expect(r).toEqual([
				"util",
				'quote " and \\ and ]==] é 😀',
				1,
				2.5,
				{ $number: "-inf" },
				true,
				true,
				true,
				"hello\nworld",
				"fast",
				"hi",
				7,
				2,
				"pkg",
				"util",
				true,
				'print("server")',
			]);
		} finally {
			vm.destroy();
		}
	});

	it("throws a ProjectError for a missing $path, naming the node", () => {
		const p = join(dir, "missing.project.json");
		writeFileSync(
			p,
			JSON.stringify({ name: "M", tree: { $className: "Folder", Sub: { Deeper: { $path: "nope/here" } } } }),
		);
		expect(() => nodeFromProject(p)).toThrow(ProjectError);
		expect(() => nodeFromProject(p)).toThrow(/M\.Sub\.Deeper: \$path "nope\/here" does not exist/);
	});

	it("throws a ProjectError for invalid project JSON or a project without name and tree", () => {
		const bad = join(dir, "bad.project.json");
		writeFileSync(bad, `{ "name": "Bad", "tree": { `);
		expect(() => nodeFromProject(bad)).toThrow(ProjectError);
		expect(() => nodeFromProject(bad)).toThrow(/bad\.project\.json: not valid JSON/);
		const noTree = join(dir, "notree.project.json");
		writeFileSync(noTree, JSON.stringify({ name: "X" }));
		expect(() => nodeFromProject(noTree)).toThrow(/needs a string "name" and an object "tree"/);
	});

	it("throws a ProjectError for a broken .json file and for a $path Rojo cannot sync", () => {
		const d = mkdtempSync(join(tmpdir(), "harness-project-bad-"));
		try {
			writeFileSync(join(d, "broken.json"), "{ nope");
			expect(() => nodeFromPath(d, "D")).toThrow(/broken\.json: not valid JSON/);
			writeFileSync(join(d, "p.project.json"), JSON.stringify({ name: "P", tree: { X: { $path: "notes.md" } } }));
			writeFileSync(join(d, "notes.md"), "x");
			expect(() => nodeFromProject(join(d, "p.project.json"))).toThrow(
				/P\.X: \$path "notes\.md" is not a file Rojo syncs/,
			);
		} finally {
			rmSync(d, { recursive: true, force: true });
		}
	});

	it("wraps nodes under a service with under()", () => {
		expect(shape(under("ServerStorage", { name: "A", className: "Folder", children: [] }))).toBe(
			"Game(DataModel)[ServerStorage(ServerStorage)[A(Folder)]]",
		);
	});
});

describe("the repository's default.project.json", () => {
	let sdk: TreeNode;
	beforeAll(() => {
		if (!existsSync(join(repo, "out", "init.luau")) && !existsSync(join(repo, "out", "init.lua"))) {
			execFileSync("npx", ["rbxtsc", "-p", "tsconfig.json", "--type", "model", "--luau=false"], {
				cwd: repo,
				stdio: "pipe",
				timeout: 120_000,
			});
		}
		sdk = nodeFromProject(join(repo, "default.project.json"));
	}, 180_000);

	it("is a Rojo project whose every $path exists after the build", () => {
		const raw = JSON.parse(readFileSync(join(repo, "default.project.json"), "utf8")) as Record<string, unknown>;
		expect(typeof raw.name).toBe("string");
		expect(typeof raw.tree).toBe("object");
		const known = new Set(["$className", "$path", "$properties", "$attributes", "$ignoreUnknownInstances"]);
		const visit = (node: Record<string, unknown>, where: string): void => {
			for (const [key, value] of Object.entries(node)) {
				if (key.startsWith("$")) expect(known.has(key), `${where}.${key} is a Rojo project key`).toBe(true);
				else visit(value as Record<string, unknown>, `${where}.${key}`);
			}
		};
		visit(raw.tree as Record<string, unknown>, "tree");
		const paths = projectPaths(join(repo, "default.project.json"));
		expect(paths.length).toBeGreaterThan(0);
		for (const p of paths) expect(existsSync(join(repo, p)), `$path ${p}`).toBe(true);
	});

	it('is a "Vantage" ModuleScript with the roblox-ts runtime and its packages', () => {
		expect(sdk.name).toBe("Vantage");
		expect(sdk.className).toBe("ModuleScript");
		expect(sdk.path).toMatch(/out[\\/]init\.luau?$/);
		expect(child(sdk, "include", "RuntimeLib").className).toBe("ModuleScript");
		expect(child(sdk, "include", "Promise").className).toBe("ModuleScript");
		for (const pkg of ["services", "t", "signal"])
			expect(child(sdk, "include", "node_modules", "@rbxts", pkg)).toBeDefined();
		expect(child(sdk, "include", "node_modules", "@rbxts", "services").className).toBe("ModuleScript");
		expect(child(sdk, "include", "node_modules", "@rbxts", "t", "lib", "ts").className).toBe("ModuleScript");
	});

	it("loads the roblox-ts runtime and @rbxts/t inside the harness", async () => {
		const vm = await RobloxVm.create({ role: "server", services: false, tree: under("ReplicatedStorage", sdk) });
		try {
			expect(
				await vm.run(`
					local Vantage = game:GetService("ReplicatedStorage").Vantage
					local TS = require(Vantage.include.RuntimeLib)
					local t = require(Vantage.include.node_modules["@rbxts"].t.lib.ts).t
					return type(TS.import), type(TS.Promise), t.string("x"), t.string(1), Vantage:GetFullName()`),
			).toEqual(["function", "table", true, false, "ReplicatedStorage.Vantage"]);
		} finally {
			vm.destroy();
		}
	});
});
