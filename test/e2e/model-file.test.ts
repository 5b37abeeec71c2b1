// The SDK for Luau users without Node: `npm run build:model` writes dist/vantage.rbxmx (one Roblox XML model: the
// SDK with its roblox-ts runtime and @rbxts packages) and dist/wally (the same model as a Wally package). The test
// parses the .rbxmx with an XML parser, rebuilds its Instance tree in the harness where Studio's "Insert from File"
// would put it (ReplicatedStorage), requires it from a server Script and tracks an event to the real backend.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildModel, rbxmx, WALLY_NAME } from "../../packaging/build.js";
import { nodeFromProject, type TreeNode } from "../harness/project.js";
import { script, World } from "../harness/world.js";
import { startTestBackend, type TestBackend } from "./backend.js";
import { ensureSdkBuilt, repoRoot } from "./sdk-build.js";

const GAME = "4314";

interface XmlItem {
	"@_class": string;
	Properties: [{ string?: XmlValue[]; ProtectedString?: XmlValue[] }];
	Item?: XmlItem[];
}
interface XmlValue {
	"@_name": string;
	"#text"?: string;
}

/** The Instance tree of a .rbxmx file: each <Item> with its Name and, for scripts, its Source. */
function parseRbxmx(xml: string): TreeNode[] {
	const doc = new XMLParser({
		ignoreAttributes: false,
		parseTagValue: false,
		trimValues: false,
		isArray: (name) => ["Item", "Properties", "string", "ProtectedString"].includes(name),
	}).parse(xml) as { roblox: { Item?: XmlItem[] } };
	const node = (item: XmlItem): TreeNode => {
		const props = item.Properties[0];
		const name = props.string?.find((p) => p["@_name"] === "Name")?.["#text"];
		if (name === undefined) throw new Error(`an ${item["@_class"]} without a Name`);
		const source = props.ProtectedString?.find((p) => p["@_name"] === "Source");
		return {
			name,
			className: item["@_class"],
			...(source ? { source: source["#text"] ?? "" } : {}),
			children: (item.Item ?? []).map(node),
		};
	};
	return (doc.roblox.Item ?? []).map(node);
}

/** path → [className, source] of every instance, for comparing trees however they were read. */
function flatten(node: TreeNode, prefix = ""): Map<string, [string, string | undefined]> {
	const path = prefix ? `${prefix}.${node.name}` : node.name;
	const out = new Map<string, [string, string | undefined]>();
	out.set(path, [node.className, node.source ?? (node.path ? readFileSync(node.path, "utf8") : undefined)]);
	for (const child of node.children) for (const [k, v] of flatten(child, path)) out.set(k, v);
	return out;
}

describe("vantage.rbxmx → Studio-style insert → backend", { timeout: 120_000 }, () => {
	let server: TestBackend;
	let xml: string;
	let model: TreeNode;
	let wallyDir: string;
	let tmp: string;

	beforeAll(async () => {
		ensureSdkBuilt();
		// What `npm run build:model` writes to dist/, written to a folder of this test's own.
		tmp = mkdtempSync(join(tmpdir(), "vantage-model-"));
		let rbxmxPath: string;
		({ wallyDir, rbxmxPath } = buildModel({ compile: false, dir: tmp }));
		xml = readFileSync(rbxmxPath, "utf8");
		const roots = parseRbxmx(xml);
		expect(roots).toHaveLength(1);
		model = roots[0]!;
		server = await startTestBackend(GAME);
	});

	afterAll(async () => {
		await server?.close();
		if (tmp) rmSync(tmp, { recursive: true, force: true });
	});

	it("is well-formed XML holding the typed entry over the SDK, its roblox-ts runtime and its @rbxts packages", () => {
		expect(XMLValidator.validate(xml)).toBe(true);
		expect(xml.startsWith("<roblox ")).toBe(true);
		expect(model).toMatchObject({ name: "Vantage", className: "ModuleScript" });
		expect(model.source).toBe(readFileSync(join(repoRoot, "packaging/luau/Vantage.luau"), "utf8"));
		const items = flatten(model);
		for (const path of [
			"Vantage.SDK",
			"Vantage.SDK.include.RuntimeLib",
			"Vantage.SDK.include.Promise",
			"Vantage.SDK.include.node_modules.@rbxts.services",
			"Vantage.SDK.include.node_modules.@rbxts.signal",
			"Vantage.SDK.include.node_modules.@rbxts.t.lib.ts",
			"Vantage.SDK.server.tracking.tracking",
		])
			expect(items.get(path)?.[0], path).toBe("ModuleScript");

		// Every script of the Rojo model (default.project.json, what Rojo users get) is under SDK, byte for byte.
		const rojo = flatten(nodeFromProject(join(repoRoot, "default.project.json")));
		const scripts = [...rojo].filter(([, [className, source]]) => className === "ModuleScript" && source);
		const fromRojo = scripts.filter(([path]) => !path.endsWith(".package")); // packages' package.json
		expect(fromRojo.length).toBeGreaterThan(30);
		for (const [path, [, source]] of fromRojo) {
			const inModel = path.replace(/^Vantage/, "Vantage.SDK");
			expect(items.get(inModel)?.[1], inModel).toBe(source);
		}
		expect([...items.values()].filter(([c]) => c === "ModuleScript")).toHaveLength(fromRojo.length + 1);
	});

	it("keeps sources exact through XML (CDATA split at ]]>, escaped names)", () => {
		const tricky = "local s = a[b[1]]>0 and ']]>' or \"<&>\"\n\tprint(s)\r\n";
		const tree: TreeNode = {
			name: "A<&>",
			className: "Folder",
			children: [{ name: "M", className: "ModuleScript", source: tricky, children: [] }],
		};
		const [back] = parseRbxmx(rbxmx(tree));
		const lf = tricky.replace("\r\n", "\n"); // XML line-end normalisation: the writer writes LF
		expect(back).toEqual({ name: "A<&>", className: "Folder", children: [{ ...tree.children[0], source: lf }] });
	});

	it("lays out the same model as a Wally package", () => {
		const toml = readFileSync(join(wallyDir, "wally.toml"), "utf8");
		const version = (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string }).version;
		expect(toml).toMatch(/^\[package\]$/m);
		expect(toml).toContain(`name = "${WALLY_NAME}"`);
		expect(toml).toContain(`version = "${version}"`);
		expect(toml).toMatch(/^realm = "shared"$/m);
		expect(toml).toMatch(/^registry = "https:\/\/github\.com\/UpliftGames\/wally-index"$/m);
		// Wally builds the package from its default.project.json: the same tree as the .rbxmx.
		expect(flatten(nodeFromProject(join(wallyDir, "default.project.json")))).toEqual(flatten(model));
	});

	it("requires the inserted model from a server Script and tracks an event end to end", async () => {
		const main = script(
			"Main",
			`
			local Players = game:GetService("Players")
			local Vantage = require(game:GetService("ReplicatedStorage").Vantage).Vantage
			assert(Vantage.start({ endpoint = "${server.url}" }), "start failed")
			Players.PlayerAdded:Connect(function(player)
				Vantage.track(player, "joined", { from = "rbxmx" })
			end)`,
		);
		const world = await World.create({
			tree: {
				name: "Game",
				className: "DataModel",
				children: [
					{ name: "ReplicatedStorage", className: "ReplicatedStorage", children: [model] },
					{ name: "ServerScriptService", className: "ServerScriptService", children: [main] },
				],
			},
			gameId: Number(GAME),
			config: { secrets: { vantage_game_key: server.gameKey } },
		});
		try {
			await world.start();
			await world.addPlayer({ userId: 9201, name: "Bo" });
			await world.advance(30);
			const res = await fetch(`${server.url}/v1/games/${GAME}/events?userId=9201&type=custom`, {
				headers: { Authorization: server.adminAuth },
			});
			expect(res.status).toBe(200);
			const { events } = (await res.json()) as { events: { name: string; props: Record<string, unknown> }[] };
			expect(events.map((e) => [e.name, e.props])).toEqual([["joined", { from: "rbxmx" }]]);
		} finally {
			await world.destroy();
		}
	});
});
