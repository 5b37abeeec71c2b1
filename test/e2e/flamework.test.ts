// The Flamework adapter, installed and played the way a Flamework game uses it: the package is built (the adapter
// compiled into it with Flamework's transformer) and `npm pack`ed, a throwaway copy of example/flamework (a Flamework
// game: a server entry that configures VantageService and ignites, a service that gets VantageService injected, a
// controller that gets VantageController injected) installs the tarball, rbxtsc compiles the game with Flamework's
// transformer, the harness plays its Rojo project (Flamework's runtime from node_modules/@flamework included), and the
// events reach the real backend, one of them carrying the variant the injected service read.
// Offline and deterministic, like package-rbxts.test.ts: the game's other packages are copied from this repository's
// node_modules (npm only unpacks the tarball, with --offline), and this repository's rbxtsc and Flamework transformer
// compile the game.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PACKAGE_NAME } from "../../packaging/build.js";
import { nodeFromProject, type TreeNode } from "../harness/project.js";
import { World } from "../harness/world.js";
import { startTestBackend, type TestBackend } from "./backend.js";
import { installGame, packSdk, type PackResult } from "./packed-sdk.js";

const GAME = "4314";
/** The experiment the example's RewardService reads through the injected VantageService. */
const EXPERIMENT = "daily-reward";
/** A QA account forced into the "double" variation (forced players log no exposure). */
const FORCED_USER = 9302;
const PLAIN_USER = 9301;
/** What the game installs besides the SDK: Flamework's runtime and its packages, and roblox-ts's types. */
const RBXTS_PACKAGES = ["services", "signal", "t", "maid", "object-utils", "compiler-types", "types"];

interface StoredEvent {
	userId: number;
	type: string;
	name: string;
	props: Record<string, unknown>;
}

function find(node: TreeNode, path: string[]): TreeNode {
	let at = node;
	for (const name of path) {
		const child = at.children.find((c) => c.name === name);
		if (!child) throw new Error(`no ${name} under ${at.name}`);
		at = child;
	}
	return at;
}

function filesUnder(dir: string): string[] {
	return readdirSync(dir, { recursive: true, withFileTypes: true })
		.filter((e) => e.isFile())
		.map((e) => join(e.parentPath, e.name));
}

describe("Flamework adapter → a Flamework game → backend", { timeout: 240_000 }, () => {
	let server: TestBackend;
	let tmp: string;
	let gameDir: string;
	let packed: PackResult;

	beforeAll(async () => {
		server = await startTestBackend(GAME);
		tmp = mkdtempSync(join(tmpdir(), "vantage-flamework-"));
		const env = { ...process.env, npm_config_cache: join(tmp, "npm-cache") };
		packed = await packSdk(tmp, env);

		// The game: example/flamework as a user would have it after `npm install`, with this repository's compilers
		// (roblox-ts, typescript, Flamework's transformer).
		gameDir = join(tmp, "game");
		installGame({
			example: "example/flamework",
			gameDir,
			tarball: join(tmp, packed.filename),
			env,
			packages: [...RBXTS_PACKAGES.map((name) => `@rbxts/${name}`), "@flamework/core"],
			repositoryTools: ["roblox-ts", "typescript", "rbxts-transformer-flamework"],
			linkTools: ["rbxts-transformer-flamework"],
		});
	}, 300_000); // three rbxtsc runs: the package, its Flamework adapter (maybe after another test's), the game

	afterAll(async () => {
		await server?.close();
		if (tmp) rmSync(tmp, { recursive: true, force: true });
	});

	it("packs the adapter as its own module: the rest of the package never loads it or Flamework", () => {
		const files = packed.files.map((f) => f.path);
		expect(files).toEqual(
			expect.arrayContaining(["flamework.build", "out/flamework/init.lua", "out/flamework/index.d.ts"]),
		);
		const installed = join(gameDir, "node_modules", PACKAGE_NAME);
		const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as Record<string, unknown>;
		// Flamework is optional for the package's users: nothing installs it for a game that does not use the adapter.
		expect(manifest.dependencies).not.toHaveProperty("@flamework/core");
		expect(manifest).toMatchObject({
			peerDependencies: { "@flamework/core": "^1.3.2" },
			peerDependenciesMeta: { "@flamework/core": { optional: true } },
		});
		const outside = filesUnder(join(installed, "out")).filter(
			(f) => f.endsWith(".lua") && !f.includes(`${join(installed, "out", "flamework")}`),
		);
		expect(outside.length).toBeGreaterThan(10);
		for (const file of outside) expect(readFileSync(file, "utf8"), file).not.toMatch(/flamework/i);
		expect(readFileSync(join(installed, "out/flamework/vantage-service.lua"), "utf8")).toContain(
			'TS.getModule(script, "@flamework", "core")',
		);
	});

	it("compiles the game: the injected VantageService is the one the package registers", () => {
		const service = readFileSync(join(gameDir, "out/server/services/reward-service.luau"), "utf8");
		const injected = /"flamework:parameters", \{ "([^"]+)" \}/.exec(service)?.[1];
		const registered = /"identifier", "([^"]+)"/.exec(
			readFileSync(join(gameDir, "node_modules", PACKAGE_NAME, "out/flamework/vantage-service.lua"), "utf8"),
		)?.[1];
		expect(injected).toBe("@rbxts/vantage:flamework/vantage-service@VantageService");
		expect(registered).toBe(injected);
		const main = readFileSync(join(gameDir, "out/server/main.server.luau"), "utf8");
		expect(main).toContain('"rbxts_include", "node_modules", "@rbxts", "vantage", "out", "flamework"');
	});

	it("plays the game: Vantage starts in the lifecycle, the injected services track and read a variant", async () => {
		const admin = (path: string, body: unknown) =>
			fetch(`${server.url}/v1/admin/games/${GAME}${path}`, {
				method: "POST",
				headers: { Authorization: server.adminAuth, "Content-Type": "application/json" },
				body: JSON.stringify(body),
			});
		const created = await admin("/experiments", {
			key: EXPERIMENT,
			status: "running",
			startAt: new Date(Date.now() - 3_600_000).toISOString(),
			variations: [{ key: "control" }, { key: "double" }],
			primaryMetric: { key: "claimed", type: "conversion", event: "daily_reward" },
			forcedVariations: { [String(FORCED_USER)]: "double" },
		});
		expect(created.status).toBe(201);

		const tree = nodeFromProject(join(gameDir, "default.project.json"));
		const main = find(tree, ["ServerScriptService", "TS", "main"]);
		expect(main.className).toBe("Script");
		main.attributes = { ...main.attributes, VantageEndpoint: server.url };
		expect(
			find(tree, ["ReplicatedStorage", "rbxts_include", "node_modules", "@flamework", "core", "out"]).className,
		).toBe("ModuleScript");
		const world = await World.create({
			tree,
			gameId: Number(GAME),
			config: { secrets: { vantage_game_key: server.gameKey } },
		});
		try {
			await world.start();
			await world.advance(5); // the experiment config arrives
			await world.addPlayer({ userId: PLAIN_USER, name: "Ana" });
			await world.addPlayer({ userId: FORCED_USER, name: "QA" });
			await world.advance(30);

			const events = async (userId: number): Promise<StoredEvent[]> => {
				const res = await fetch(`${server.url}/v1/games/${GAME}/events?userId=${userId}`, {
					headers: { Authorization: server.adminAuth },
				});
				expect(res.status).toBe(200);
				return ((await res.json()) as { events: StoredEvent[] }).events;
			};
			const plain = await events(PLAIN_USER);
			const exposure = plain.find((e) => e.type === "exposure" && e.name === EXPERIMENT);
			expect(exposure).toBeDefined();
			const variation = exposure!.props.variation;
			expect(["control", "double"]).toContain(variation);
			// RewardService got VantageService injected, read the variant and tracked with it.
			expect(plain.filter((e) => e.name === "daily_reward").map((e) => [e.type, e.props])).toEqual([
				["custom", { coins: variation === "double" ? 200 : 100, variation }],
			]);
			const forced = await events(FORCED_USER);
			expect(forced.filter((e) => e.name === "daily_reward").map((e) => e.props)).toEqual([
				{ coins: 200, variation: "double" },
			]);
			// HudController got VantageController injected on each client, read the same variant from it (replicated by
			// the server) and tracked with it; the server recorded its event. The client's read added no exposure.
			const hud = (userEvents: StoredEvent[]) => userEvents.filter((e) => e.name === "hud_opened").map((e) => e.props);
			expect(hud(plain)).toEqual([{ screen: "lobby", reward: variation === "double" ? 200 : 100, client: true }]);
			expect(hud(forced)).toEqual([{ screen: "lobby", reward: 200, client: true }]);
			expect(plain.filter((e) => e.type === "exposure")).toHaveLength(1);
			expect(forced.filter((e) => e.type === "exposure")).toHaveLength(0);
			// Flamework ignited without complaint on both sides.
			const complaints = [world.server, world.client(PLAIN_USER)].flatMap((vm) =>
				vm.output.filter((l) => l.kind !== "print").map((l) => l.text),
			);
			expect(complaints).toEqual([]);
		} finally {
			await world.destroy();
		}
	});
});
