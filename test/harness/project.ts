// Reads a Rojo project file into the instance tree the harness builds, with Rojo's file rules
// (rojo.space/docs/v7/sync-details):
// * a directory is a Folder, unless it holds init.lua(u) / init.server.lua(u) / init.client.lua(u): then it is that
//   ModuleScript / Script / LocalScript and the other entries are its children;
// * x.lua(u) → ModuleScript "x", x.server.lua(u) → Script "x", x.client.lua(u) → LocalScript "x",
//   x.json → ModuleScript returning the decoded JSON, x.txt → StringValue; other files are not synced;
// * a directory holding default.project.json is that nested project (named by its "name", as roblox-ts's
//   RojoResolver does for packages);
// * project nodes: "$className", "$path", "$properties", "$attributes", and children by name.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

export interface TreeNode {
	name: string;
	className: string;
	/** File to read Source from (lazily, by the VM). */
	path?: string;
	source?: string;
	properties?: Record<string, unknown>;
	attributes?: Record<string, unknown>;
	children: TreeNode[];
}

export class ProjectError extends Error {
	constructor(message: string) {
		super(message);
		this.name = "ProjectError";
	}
}

interface ProjectNode {
	$className?: string;
	$path?: string | { optional: string };
	$properties?: Record<string, unknown>;
	$attributes?: Record<string, unknown>;
	$ignoreUnknownInstances?: boolean;
	[child: string]: unknown;
}

export interface RojoProject {
	name: string;
	tree: ProjectNode;
}

const SCRIPT_SUFFIXES: [RegExp, string][] = [
	[/\.server\.luau?$/, "Script"],
	[/\.client\.luau?$/, "LocalScript"],
	[/\.luau?$/, "ModuleScript"],
];

function scriptClass(file: string): { base: string; className: string } | undefined {
	for (const [re, className] of SCRIPT_SUFFIXES) {
		if (re.test(file)) return { base: file.replace(re, ""), className };
	}
	return undefined;
}

function luaString(s: string): string {
	return "[==[" + s.replaceAll("]==]", "]==] .. ']==]' .. [==[") + "]==]";
}

function jsonModuleSource(json: string): string {
	JSON.parse(json); // a broken JSON file is a project error, not a runtime surprise
	return `return game:GetService("HttpService"):JSONDecode(${luaString(json)})`;
}

/** Builds the node for a file or directory at `path`, named `name`; undefined for files Rojo does not sync. */
export function nodeFromPath(path: string, name: string): TreeNode | undefined {
	const st = statSync(path);
	if (st.isDirectory()) {
		const nested = join(path, "default.project.json");
		if (existsSync(nested)) return nodeFromProject(nested);
		const entries = readdirSync(path).sort();
		let self: TreeNode = { name, className: "Folder", children: [] };
		const init = entries.find((e) => /^init(\.server|\.client)?\.luau?$/.test(e));
		if (init) {
			const sc = scriptClass(init)!;
			self = { name, className: sc.className, path: join(path, init), children: [] };
		}
		for (const entry of entries) {
			if (entry === init || entry === "default.project.json") continue;
			if (entry.endsWith(".meta.json")) continue;
			const childPath = join(path, entry);
			const child = nodeFromPath(childPath, childName(childPath, entry));
			if (child) self.children.push(child);
		}
		return self;
	}
	const sc = scriptClass(name);
	if (sc) return { name: sc.base, className: sc.className, path, children: [] };
	if (name.endsWith(".json") && !name.endsWith(".project.json") && !name.endsWith(".model.json")) {
		return {
			name: name.slice(0, -".json".length),
			className: "ModuleScript",
			source: jsonModuleSource(readFileSync(path, "utf8")),
			children: [],
		};
	}
	if (name.endsWith(".txt")) {
		return { name: name.slice(0, -4), className: "StringValue", properties: { Value: readFileSync(path, "utf8") }, children: [] };
	}
	return undefined;
}

function childName(path: string, entry: string): string {
	return statSync(path).isDirectory() ? entry : entry;
}

function nodeFromProjectNode(node: ProjectNode, name: string, baseDir: string, where: string): TreeNode {
	let self: TreeNode | undefined;
	const rawPath = node.$path;
	if (rawPath !== undefined) {
		const rel = typeof rawPath === "string" ? rawPath : rawPath.optional;
		const abs = resolve(baseDir, rel);
		if (!existsSync(abs)) {
			if (typeof rawPath !== "string") self = undefined;
			else throw new ProjectError(`${where}: $path "${rel}" does not exist (${abs})`);
		} else {
			self = nodeFromPath(abs, name);
			if (!self) throw new ProjectError(`${where}: $path "${rel}" is not a file Rojo syncs`);
			self.name = name;
		}
	}
	if (!self) self = { name, className: node.$className ?? "Folder", children: [] };
	if (node.$className && rawPath !== undefined && self.className === "Folder") self.className = node.$className;
	if (node.$properties) self.properties = { ...self.properties, ...node.$properties };
	if (node.$attributes) self.attributes = { ...node.$attributes };
	for (const [key, value] of Object.entries(node)) {
		if (key.startsWith("$")) continue;
		if (typeof value !== "object" || value === null) throw new ProjectError(`${where}.${key}: expected an object`);
		const child = nodeFromProjectNode(value as ProjectNode, key, baseDir, `${where}.${key}`);
		const existing = self.children.findIndex((c) => c.name === key);
		if (existing >= 0) self.children.splice(existing, 1, child);
		else self.children.push(child);
	}
	return self;
}

export function readProject(projectPath: string): RojoProject {
	let project: unknown;
	try {
		project = JSON.parse(readFileSync(projectPath, "utf8"));
	} catch (e) {
		throw new ProjectError(`${projectPath}: not valid JSON (${(e as Error).message})`);
	}
	const p = project as Partial<RojoProject>;
	if (typeof p !== "object" || p === null || typeof p.name !== "string" || typeof p.tree !== "object" || p.tree === null) {
		throw new ProjectError(`${projectPath}: a Rojo project needs a string "name" and an object "tree"`);
	}
	return p as RojoProject;
}

/** The instance tree a Rojo project describes; the root is named by the project's name. */
export function nodeFromProject(projectPath: string): TreeNode {
	const project = readProject(projectPath);
	return nodeFromProjectNode(project.tree, project.name, dirname(projectPath), project.name);
}

/** Every `$path` in a project (for checks that the built files exist). */
export function projectPaths(projectPath: string): string[] {
	const out: string[] = [];
	const visit = (node: ProjectNode) => {
		if (node.$path !== undefined) out.push(typeof node.$path === "string" ? node.$path : node.$path.optional);
		for (const [k, v] of Object.entries(node)) if (!k.startsWith("$") && typeof v === "object" && v) visit(v as ProjectNode);
	};
	visit(readProject(projectPath).tree);
	return out;
}

/** Wraps nodes as children of a service, e.g. `under("ReplicatedStorage", sdk)`. */
export function under(service: string, ...children: TreeNode[]): TreeNode {
	return { name: "Game", className: "DataModel", children: [{ name: service, className: service, children }] };
}
