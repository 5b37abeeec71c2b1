// The SDK's distributable forms, built into dist/ (generated, never committed):
//
//   npm run build:package  dist/rbxts/         the roblox-ts package @rbxts/vantage: the SDK compiled with
//                                              `--type package`, so every module takes the roblox-ts runtime from the
//                                              consumer's game (`_G[script]`, `TS.getModule`) instead of shipping
//                                              one; `npm pack dist/rbxts` makes the tarball that `npm publish` sends.
//   npm run build:model    dist/wally/         the model as a Wally package: wally.toml + default.project.json; the
//                                              root is Vantage.luau (packaging/luau: the API with --!strict types,
//                                              for Luau autocomplete), its child SDK is out/ (the compiled SDK) with
//                                              include/ (its roblox-ts runtime and @rbxts packages): the tree the
//                                              repository's default.project.json gives Rojo users;
//                          dist/vantage.rbxmx  the same tree as one Roblox XML model file, for Studio (Insert from File).
//
// `--no-compile` packages the model already in out/ and include/ (npm run build has just compiled it).
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { nodeFromProject, type TreeNode } from "../test/harness/project.js";

export const root = join(import.meta.dirname, "..");
export const dist = join(root, "dist");
/** The roblox-ts package folder (`npm pack` it). */
export const packageDir = join(dist, "rbxts");
/** The Wally package folder. */

/** The npm name: the @rbxts scope is the one every roblox-ts project lists in `typeRoots` and maps in Rojo. */
export const PACKAGE_NAME = "@rbxts/vantage";
/** The Wally name (scope/name, lowercase). */
export const WALLY_NAME = "vantage/sdk";

interface RootManifest {
	version: string;
	description: string;
	dependencies: Record<string, string>;
}

function rootManifest(): RootManifest {
	const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as RootManifest;
	// One version everywhere: the SDK sends src/shared/version.ts with every batch.
	const sdkVersion = /version = "([^"]+)"/.exec(readFileSync(join(root, "src/shared/version.ts"), "utf8"))?.[1];
	if (sdkVersion !== manifest.version)
		throw new Error(`package.json version ${manifest.version} ≠ src/shared/version.ts version ${sdkVersion}`);
	return manifest;
}

function rbxtsc(args: string[]): void {
	execFileSync(join(root, "node_modules/.bin/rbxtsc"), args, { cwd: root, stdio: "inherit" });
}

/** Compiles the SDK as a roblox-ts package into dist/rbxts and writes its package.json and README. */
export function buildPackage(): string {
	const manifest = rootManifest();
	rmSync(packageDir, { recursive: true, force: true });
	rbxtsc([
		"-p",
		"tsconfig.package.json",
		"--type",
		"package",
		"--rojo",
		"packaging/rbxts.project.json",
		"--luau=false",
	]);
	const runtimeDeps = Object.fromEntries(
		Object.entries(manifest.dependencies).filter(([name]) => name.startsWith("@rbxts/")),
	);
	const pkg = {
		name: PACKAGE_NAME,
		version: manifest.version,
		description: manifest.description,
		main: "out/init.lua",
		types: "out/index.d.ts",
		files: ["out", "README.md"],
		keywords: ["roblox", "roblox-ts", "analytics", "ab-testing", "consent"],
		// The @rbxts packages the SDK imports at run time; the consumer's roblox-ts (and its compiler-types and
		// types) compile them, as for every roblox-ts package.
		dependencies: runtimeDeps,
		publishConfig: { access: "public" },
	};
	writeFileSync(join(packageDir, "package.json"), JSON.stringify(pkg, null, "\t") + "\n");
	cpSync(join(root, "packaging/README.package.md"), join(packageDir, "README.md"));
	buildFlameworkAdapter(manifest.version);
	return packageDir;
}

/** The Flamework version range the adapter is built against (peer dependency, optional). */
const FLAMEWORK_RANGE = "^1.3.2";

/**
 * Compiles the Flamework adapter (src/flamework) with Flamework's transformer into the package as out/flamework,
 * imported as "@rbxts/vantage/flamework" (typesVersions maps the subpath for TypeScript; roblox-ts then requires
 * out/flamework). The rest of the package is the plain compile above: a game that does not import the adapter never
 * loads it or Flamework.
 *
 * Flamework names each service by its package and path ("@rbxts/vantage:flamework/vantage-service@VantageService"),
 * and a game's transformer computes the same name from the installed package's folder (path minus its first
 * segment, `out`) with the prefix written in the package's flamework.build. So the adapter is compiled in a folder
 * laid out like the installed package (package.json named @rbxts/vantage, src/ copied in, outDir `out`, and
 * node_modules linked so roblox-ts finds the packages inside the project), and its flamework.build ships at the
 * package root, where a game's transformer looks for it.
 */
function buildFlameworkAdapter(version: string): void {
	const stage = join(dist, ".flamework");
	rmSync(stage, { recursive: true, force: true });
	mkdirSync(stage, { recursive: true });
	writeFileSync(join(stage, "package.json"), JSON.stringify({ name: PACKAGE_NAME, version }, null, "\t") + "\n");
	cpSync(join(root, "src"), join(stage, "src"), { recursive: true });
	symlinkSync(join(root, "node_modules"), join(stage, "node_modules"), "dir");
	const tsconfig = {
		extends: "../../tsconfig.flamework.json",
		compilerOptions: {
			rootDir: "src",
			baseUrl: "src",
			outDir: "out",
			noEmit: false,
			typeRoots: ["node_modules/@rbxts", "node_modules/@flamework"],
			plugins: [{ transform: "rbxts-transformer-flamework" }],
		},
		include: ["src/flamework"],
	};
	writeFileSync(join(stage, "tsconfig.json"), JSON.stringify(tsconfig, null, "\t") + "\n");
	writeFileSync(join(stage, "default.project.json"), JSON.stringify({ name: "vantage", tree: { $path: "out" } }));
	rbxtsc([
		"-p",
		join(stage, "tsconfig.json"),
		"--type",
		"package",
		"--rojo",
		join(stage, "default.project.json"),
		"--luau=false",
	]);
	cpSync(join(stage, "out/flamework"), join(packageDir, "out/flamework"), { recursive: true });
	// The transformer names every class it compiled; the package's build info keeps the adapter's.
	const buildInfo = JSON.parse(readFileSync(join(stage, "flamework.build"), "utf8")) as {
		identifiers: Record<string, string>;
	};
	buildInfo.identifiers = Object.fromEntries(
		Object.entries(buildInfo.identifiers).filter(([internalId]) => internalId.includes(":out/flamework/")),
	);
	writeFileSync(join(packageDir, "flamework.build"), JSON.stringify(buildInfo, null, "\t") + "\n");
	rmSync(stage, { recursive: true, force: true });

	const manifestPath = join(packageDir, "package.json");
	const pkg = JSON.parse(readFileSync(manifestPath, "utf8")) as Record<string, unknown>;
	Object.assign(pkg, {
		files: [...(pkg.files as string[]), "flamework.build"],
		// Node-style resolution (roblox-ts's) of "@rbxts/vantage/flamework"; other paths resolve as before.
		typesVersions: { "*": { flamework: ["out/flamework/index.d.ts"] } },
		peerDependencies: { "@flamework/core": FLAMEWORK_RANGE },
		peerDependenciesMeta: { "@flamework/core": { optional: true } },
	});
	writeFileSync(manifestPath, JSON.stringify(pkg, null, "\t") + "\n");
}

/** Scripts only: Rojo also turns each package's package.json into a ModuleScript, which the model does not need. */
function scriptsOnly(node: TreeNode): TreeNode | undefined {
	if (node.path?.endsWith(".json")) return undefined;
	if (node.source !== undefined && node.path === undefined) return undefined; // a JSON module
	const children = node.children.map(scriptsOnly).filter((c): c is TreeNode => c !== undefined);
	if (node.className === "Folder" && children.length === 0) return undefined;
	return { ...node, children };
}

/** Writes a tree as Rojo files: a ModuleScript with children is a folder with init.lua. */
function writeTree(node: TreeNode, dir: string): void {
	if (node.className === "Folder") {
		mkdirSync(join(dir, node.name), { recursive: true });
		for (const child of node.children) writeTree(child, join(dir, node.name));
		return;
	}
	if (node.className !== "ModuleScript" || !node.path)
		throw new Error(`${node.name}: the model holds only Folders and ModuleScripts (got ${node.className})`);
	if (node.children.length === 0) {
		cpSync(node.path, join(dir, `${node.name}.lua`));
		return;
	}
	mkdirSync(join(dir, node.name), { recursive: true });
	cpSync(node.path, join(dir, node.name, "init.lua"));
	for (const child of node.children) writeTree(child, join(dir, node.name));
}

function wallyToml(manifest: RootManifest): string {
	return [
		"# Generated by packaging/build.ts (npm run build:model); publish with `wally publish` from this folder.",
		"[package]",
		`name = "${WALLY_NAME}"`,
		`description = "${manifest.description}"`,
		`version = "${manifest.version}"`,
		'registry = "https://github.com/UpliftGames/wally-index"',
		// Server and client both require it (VantageClient runs in the player's scripts): ReplicatedStorage.
		'realm = "shared"',
		'include = ["default.project.json", "wally.toml", "Vantage.luau", "out", "out/**", "include", "include/**"]',
		"",
		"[dependencies]",
		"",
	].join("\n");
}

/**
 * The model's Rojo project inside the Wally package: the typed entry, with the SDK ModuleScript (and its runtime under
 * `include`) as its child `SDK`.
 */
const WALLY_PROJECT = {
	name: "Vantage",
	tree: { $path: "Vantage.luau", SDK: { $path: "out", include: { $path: "include" } } },
};

/**
 * Lays out the model (the typed entry over out/ + include/ as the repository's default.project.json maps them) as a
 * Wally package in dist/wally, and writes the same tree as dist/vantage.rbxmx. Compiles the model first unless
 * `compile` is false. `dir` (default dist/) receives wally/ and vantage.rbxmx.
 */
export function buildModel(options: { compile?: boolean; dir?: string } = {}): { wallyDir: string; rbxmxPath: string } {
	const wallyDir = join(options.dir ?? dist, "wally");
	const rbxmxPath = join(options.dir ?? dist, "vantage.rbxmx");
	const manifest = rootManifest();
	if (options.compile !== false) rbxtsc(["-p", "tsconfig.json", "--type", "model", "--luau=false"]);
	const model = scriptsOnly(nodeFromProject(join(root, "default.project.json")));
	if (!model) throw new Error("default.project.json maps no scripts");
	const include = model.children.find((c) => c.name === "include");
	if (!include) throw new Error("default.project.json has no include folder (the roblox-ts runtime)");

	rmSync(wallyDir, { recursive: true, force: true });
	mkdirSync(wallyDir, { recursive: true });
	// out/: the SDK's own modules (init.lua and its folders); include/: the runtime and packages.
	writeTree({ ...model, name: "out", children: model.children.filter((c) => c !== include) }, wallyDir);
	writeTree(include, wallyDir);
	cpSync(join(root, "packaging/luau/Vantage.luau"), join(wallyDir, "Vantage.luau"));
	writeFileSync(join(wallyDir, "default.project.json"), JSON.stringify(WALLY_PROJECT, null, "\t") + "\n");
	writeFileSync(join(wallyDir, "wally.toml"), wallyToml(manifest));

	// The .rbxmx is read back from the Wally layout, so both are the same tree.
	writeFileSync(rbxmxPath, rbxmx(nodeFromProject(join(wallyDir, "default.project.json"))));
	return { wallyDir, rbxmxPath };
}

function xmlText(s: string): string {
	return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/**
 * CDATA holds anything but "]]>": split it across two sections. XML readers turn CR LF into LF (XML 1.0 § 2.11), so
 * the source is written with LF line ends to read back as written.
 */
function cdata(s: string): string {
	return `<![CDATA[${s.replace(/\r\n?/g, "\n").replace(/]]>/g, "]]]]><![CDATA[>")}]]>`;
}

/**
 * A tree as a Roblox XML model (.rbxmx, the format Studio's "Insert from File" and "Save to File" use): one
 * `<Item class referent>` per Instance with its `<Properties>`, `Name` as `<string>` and a script's `Source` as
 * `<ProtectedString>`.
 */
export function rbxmx(tree: TreeNode): string {
	let referent = 0;
	const lines: string[] = [
		'<roblox xmlns:xmime="http://www.w3.org/2005/05/xmlmime" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="http://www.roblox.com/roblox.xsd" version="4">',
	];
	const item = (node: TreeNode, depth: number) => {
		const pad = "\t".repeat(depth);
		if (node.attributes && Object.keys(node.attributes).length > 0)
			throw new Error(`${node.name}: attributes are not written to .rbxmx`);
		lines.push(`${pad}<Item class="${xmlText(node.className)}" referent="RBX${referent++}">`);
		lines.push(`${pad}\t<Properties>`);
		lines.push(`${pad}\t\t<string name="Name">${xmlText(node.name)}</string>`);
		const source = node.source ?? (node.path ? readFileSync(node.path, "utf8") : undefined);
		if (source !== undefined) lines.push(`${pad}\t\t<ProtectedString name="Source">${cdata(source)}</ProtectedString>`);
		for (const [name, value] of Object.entries(node.properties ?? {})) {
			if (typeof value === "string") lines.push(`${pad}\t\t<string name="${xmlText(name)}">${xmlText(value)}</string>`);
			else if (typeof value === "boolean") lines.push(`${pad}\t\t<bool name="${xmlText(name)}">${value}</bool>`);
			else if (typeof value === "number") lines.push(`${pad}\t\t<double name="${xmlText(name)}">${value}</double>`);
			else throw new Error(`${node.name}.${name}: only string, bool and number properties are written to .rbxmx`);
		}
		lines.push(`${pad}\t</Properties>`);
		for (const child of node.children) item(child, depth + 1);
		lines.push(`${pad}</Item>`);
	};
	item(tree, 1);
	lines.push("</roblox>", "");
	return lines.join("\n");
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
	const [what, ...flags] = process.argv.slice(2);
	mkdirSync(dist, { recursive: true });
	if (what === "package") console.log(`roblox-ts package in ${buildPackage()}`);
	else if (what === "model") {
		const out = buildModel({ compile: !flags.includes("--no-compile") });
		console.log(`Wally package in ${out.wallyDir}; model file ${out.rbxmxPath}`);
	} else {
		console.error("usage: tsx packaging/build.ts package | model [--no-compile]");
		process.exitCode = 2;
	}
}
