// Reads a Rojo project file into the instance tree the harness builds, with Rojo's file rules
// (rojo.space/docs/v7/sync-details):
// * a directory is a Folder, unless it holds init.lua(u) / init.server.lua(u) / init.client.lua(u): then it is that
//   ModuleScript / Script / LocalScript and the other entries are its children;
// * x.lua(u) → ModuleScript "x", x.server.lua(u) → Script "x", x.client.lua(u) → LocalScript "x",
//   x.json → ModuleScript returning the JSON as a Luau table literal, x.txt → StringValue; other files (including
//   *.model.json, *.rbxm(x), *.csv, which the harness does not read) are not synced;
// * x.meta.json / init.meta.json: "className" (directories without an init script), "properties", "attributes";
// * a directory holding default.project.json is that nested project (named by its "name", as roblox-ts's
//   RojoResolver does for packages);
// * project nodes: "$className", "$path" (a string, or {optional} that may be missing), "$properties",
//   "$attributes", and children by name; property and attribute values may be implicit (a JSON string, number or
//   boolean) or explicit ({"String": "x"}, {"Bool": true}, {"Float64": 1}, ...).
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";

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

/** A Luau string literal for any JS string (UTF-8 source; control characters and quotes escaped). */
export function luauString(s: string): string {
	let out = '"';
	for (const ch of s) {
		const code = ch.codePointAt(0)!;
		if (ch === '"') out += '\\"';
		else if (ch === "\\") out += "\\\\";
		else if (ch === "\n") out += "\\n";
		else if (ch === "\r") out += "\\r";
		else if (ch === "\t") out += "\\t";
		else if (code < 0x20 || code === 0x7f) out += "\\" + String(code).padStart(3, "0");
		else if (code >= 0xd800 && code <= 0xdfff)
			out += "\\u{fffd}"; // a lone surrogate has no UTF-8 form
		else out += ch;
	}
	return out + '"';
}

/** A Luau expression for a decoded JSON value (objects → tables with string keys, arrays → sequences, null → nil). */
export function luauLiteral(value: unknown): string {
	if (value === null || value === undefined) return "nil";
	if (typeof value === "boolean") return String(value);
	if (typeof value === "number") {
		if (Object.is(value, -0)) return "-0";
		if (!Number.isFinite(value)) return value > 0 ? "math.huge" : value < 0 ? "-math.huge" : "0/0";
		return String(value);
	}
	if (typeof value === "string") return luauString(value);
	if (Array.isArray(value)) return "{" + value.map(luauLiteral).join(", ") + "}";
	const entries = Object.entries(value as Record<string, unknown>).map(
		([k, v]) => `[${luauString(k)}] = ${luauLiteral(v)}`,
	);
	return "{" + entries.join(", ") + "}";
}

/** Rojo's JSON module: a ModuleScript whose source returns the file's value as a Luau table literal. */
function jsonModuleSource(path: string): string {
	let value: unknown;
	try {
		value = JSON.parse(readFileSync(path, "utf8"));
	} catch (e) {
		throw new ProjectError(`${path}: not valid JSON (${(e as Error).message})`); // a project error, not a runtime one
	}
	return `return ${luauLiteral(value)}\n`;
}

const EXPLICIT_TYPES: Record<string, (v: unknown) => unknown> = {
	String: String,
	Bool: Boolean,
	Float32: Number,
	Float64: Number,
	Int32: Number,
	Int64: Number,
	Number: Number,
};

/** Unwraps Rojo's explicit primitive values ({"String": "x"} → "x"); other values pass through unchanged. */
function rojoValue(value: unknown): unknown {
	if (value && typeof value === "object" && !Array.isArray(value)) {
		const keys = Object.keys(value);
		if (keys.length === 1 && EXPLICIT_TYPES[keys[0]!])
			return EXPLICIT_TYPES[keys[0]!]!((value as Record<string, unknown>)[keys[0]!]);
	}
	return value;
}

function rojoValues(values: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
	if (!values) return undefined;
	return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, rojoValue(v)]));
}

interface MetaFile {
	className?: string;
	properties?: Record<string, unknown>;
	attributes?: Record<string, unknown>;
}

function readMeta(path: string): MetaFile | undefined {
	if (!existsSync(path)) return undefined;
	try {
		return JSON.parse(readFileSync(path, "utf8")) as MetaFile;
	} catch (e) {
		throw new ProjectError(`${path}: not valid JSON (${(e as Error).message})`);
	}
}

function applyMeta(node: TreeNode, meta: MetaFile | undefined, canChangeClass: boolean): void {
	if (!meta) return;
	if (meta.className && canChangeClass) node.className = meta.className;
	if (meta.properties) node.properties = { ...node.properties, ...rojoValues(meta.properties) };
	if (meta.attributes) node.attributes = { ...node.attributes, ...rojoValues(meta.attributes) };
}

/**
 * Builds the node for a file or directory at `path`, named `name` (for a file, the name Rojo would give it is
 * derived from the file name; `name` replaces it); undefined for files Rojo does not sync.
 */
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
		applyMeta(self, readMeta(join(path, "init.meta.json")), !init);
		for (const entry of entries) {
			if (entry === init || entry === "default.project.json") continue;
			if (entry.endsWith(".meta.json")) continue;
			const child = nodeFromFile(join(path, entry), entry);
			if (child) self.children.push(child);
		}
		return self;
	}
	const node = nodeFromFile(path, basename(path));
	if (node) node.name = name;
	return node;
}

/** A directory entry (file or directory) named by Rojo's rules from its file name. */
function nodeFromFile(path: string, entry: string): TreeNode | undefined {
	if (statSync(path).isDirectory()) return nodeFromPath(path, entry);
	const dir = dirname(path);
	const sc = scriptClass(entry);
	let node: TreeNode | undefined;
	if (sc) {
		node = { name: sc.base, className: sc.className, path, children: [] };
		applyMeta(node, readMeta(join(dir, `${sc.base}.meta.json`)), false);
	} else if (entry.endsWith(".json") && !entry.endsWith(".project.json") && !entry.endsWith(".model.json")) {
		node = {
			name: entry.slice(0, -".json".length),
			className: "ModuleScript",
			source: jsonModuleSource(path),
			children: [],
		};
	} else if (entry.endsWith(".txt")) {
		node = {
			name: entry.slice(0, -4),
			className: "StringValue",
			properties: { Value: readFileSync(path, "utf8") },
			children: [],
		};
		applyMeta(node, readMeta(join(dir, `${node.name}.meta.json`)), false);
	}
	return node;
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
	if (node.$properties) self.properties = { ...self.properties, ...rojoValues(node.$properties) };
	if (node.$attributes) self.attributes = { ...self.attributes, ...rojoValues(node.$attributes) };
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
	if (
		typeof p !== "object" ||
		p === null ||
		typeof p.name !== "string" ||
		typeof p.tree !== "object" ||
		p.tree === null
	) {
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
		for (const [k, v] of Object.entries(node))
			if (!k.startsWith("$") && typeof v === "object" && v) visit(v as ProjectNode);
	};
	visit(readProject(projectPath).tree);
	return out;
}

/** Wraps nodes as children of a service, e.g. `under("ReplicatedStorage", sdk)`. */
export function under(service: string, ...children: TreeNode[]): TreeNode {
	return { name: "Game", className: "DataModel", children: [{ name: service, className: service, children }] };
}
