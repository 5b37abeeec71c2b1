// The SDK as a roblox-ts package, installed the way a roblox-ts game installs it: the package is built
// (`--type package`) and `npm pack`ed, a throwaway copy of example/roblox-ts (a roblox-ts game template whose server
// script is example/roblox-ts/src/server/main.server.ts) installs the tarball with npm, rbxtsc compiles the game, the
// harness loads its Rojo project and plays it, and the event reaches the real backend.
// Offline and deterministic: the game's other @rbxts packages are copied from this repository's node_modules (npm
// then only unpacks the tarball, with --offline), and this repository's rbxtsc compiles the game.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PACKAGE_NAME } from "../../packaging/build.js";
import { nodeFromProject, type TreeNode } from "../harness/project.js";
import { World } from "../harness/world.js";
import { startTestBackend, type TestBackend } from "./backend.js";
import { installGame, packSdk, type PackResult } from "./packed-sdk.js";

const GAME = "4313";
/** What the game installs besides the SDK: its own runtime packages and roblox-ts's types. */
const GAME_PACKAGES = ["services", "signal", "t", "compiler-types", "types"];

function find(node: TreeNode, path: string[]): TreeNode {
	let at = node;
	for (const name of path) {
		const child = at.children.find((c) => c.name === name);
		if (!child) throw new Error(`no ${name} under ${at.name}`);
		at = child;
	}
	return at;
}

describe("roblox-ts package → a roblox-ts game → backend", { timeout: 180_000 }, () => {
	let server: TestBackend;
	let tmp: string;
	let gameDir: string;
	let packed: PackResult;

	beforeAll(async () => {
		server = await startTestBackend(GAME);
		tmp = mkdtempSync(join(tmpdir(), "vantage-rbxts-"));
		// An empty npm cache of the test's own: nothing comes from a cache or the registry.
		const env = { ...process.env, npm_config_cache: join(tmp, "npm-cache") };
		packed = await packSdk(tmp, env);

		// The game: example/roblox-ts as a user would have it after `npm install`, with this repository's compiler.
		gameDir = join(tmp, "game");
		installGame({
			example: "example/roblox-ts",
			gameDir,
			tarball: join(tmp, packed.filename),
			env,
			packages: GAME_PACKAGES.map((name) => `@rbxts/${name}`),
			repositoryTools: ["roblox-ts", "typescript"],
		});
	}, 300_000); // the package build (two rbxtsc runs, maybe after another test's) and the game's

	afterAll(async () => {
		await server?.close();
		if (tmp) rmSync(tmp, { recursive: true, force: true });
	});

	it("packs the compiled package with its types and no runtime of its own", () => {
		const files = packed.files.map((f) => f.path).sort();
		expect(files).toContain("package.json");
		expect(files).toContain("out/init.lua");
		expect(files).toContain("out/index.d.ts");
		// flamework.build: the Flamework adapter's (out/flamework) ids, read by a Flamework game's transformer only.
		expect(files.filter((f) => !/^out\/.*\.(lua|d\.ts)$/.test(f))).toEqual([
			"README.md",
			"flamework.build",
			"package.json",
		]);
		expect(files.some((f) => /RuntimeLib|Promise\.lua|tsbuildinfo/.test(f))).toBe(false);

		const installed = join(gameDir, "node_modules", PACKAGE_NAME);
		const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as Record<string, unknown>;
		expect(manifest).toMatchObject({ name: PACKAGE_NAME, main: "out/init.lua", types: "out/index.d.ts" });
		// --type package: every module takes the runtime the game's roblox-ts put in _G, and finds the packages it
		// imports through the game's node_modules folder.
		const init = readFileSync(join(installed, "out/init.lua"), "utf8");
		expect(init).toMatch(/^local TS = _G\[script\]$/m);
		expect(init).toContain('TS.getModule(script, "@rbxts", "services")');
		expect(init).not.toMatch(/include/);
	});

	it("compiles the game's script against the installed package", () => {
		const main = readFileSync(join(gameDir, "out/server/main.server.luau"), "utf8");
		expect(main).toContain('"rbxts_include", "node_modules", "@rbxts", "vantage", "out"');
		expect(existsSync(join(gameDir, "include/RuntimeLib.lua"))).toBe(true);
	});

	it("plays the game in the harness: the example's PlayerAdded track reaches the backend", async () => {
		const tree = nodeFromProject(join(gameDir, "default.project.json"));
		const main = find(tree, ["ServerScriptService", "TS", "main"]);
		expect(main.className).toBe("Script");
		main.attributes = { ...main.attributes, VantageEndpoint: server.url };
		const world = await World.create({
			tree,
			gameId: Number(GAME),
			config: { secrets: { vantage_game_key: server.gameKey } },
		});
		try {
			await world.start();
			await world.addPlayer({ userId: 9101, name: "Ana" });
			await world.advance(30);
			const res = await fetch(`${server.url}/v1/games/${GAME}/events?userId=9101&type=custom`, {
				headers: { Authorization: server.adminAuth },
			});
			expect(res.status).toBe(200);
			const { events } = (await res.json()) as { events: { name: string; props: Record<string, unknown> }[] };
			expect(events.map((e) => [e.name, e.props])).toEqual([["joined", { source: "lobby" }]]);
		} finally {
			await world.destroy();
		}
	});
});
