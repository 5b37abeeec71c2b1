// The stores' layering: server/store/** imports only server/domain/**, other store files, root files of server/
// (config.ts, logger.ts) and packages — never a module folder (auth, experiments, ingest, privacy, metrics, warehouse
// …), which import the stores' types themselves. Domain types live in server/domain (plain types and pure code that
// imports nothing outside it); the modules re-export them. The one way into a module folder is a pure module below:
// the metric semantics every engine runs, so an engine only fetches rows and never re-implements what a metric means.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { describe, expect, it } from "vitest";

const SERVER = resolve(import.meta.dirname, "..");
const STORE = join(SERVER, "store");
const DOMAIN = join(SERVER, "domain");

/**
 * The pure modules the engines may call (path below server/ → what it holds). Each imports only server/domain, other
 * modules of this list and packages (checked below): no store, route, app, config or logger, so it is plain
 * semantics over the rows an engine fetched, the same for every engine.
 */
export const PURE_MODULES: ReadonlyMap<string, string> = new Map([
	["experiments/unit-values.ts", "per-unit metric values of an experiment: windows, retention day, variation rule"],
	["experiments/unit-sums.ts", "per-variation daily sums of per-unit values (experimentMetricSums)"],
	["metrics/engine.ts", "the metrics engine: every dashboard metric computed from reader rows"],
	["metrics/segments.ts", "breakdown and filter rules: the segment a player falls in"],
	["metrics/raw-rows.ts", "economy, progression and product rows of a segmented query, from raw events"],
	["warehouse/fold.ts", "the rollup fold: raw events to per-player, per-day facts"],
	["warehouse/time-zone.ts", "local days of a game's time zone"],
	["privacy/sealing.ts", "AES-256-GCM sealing, the same bytes in every engine's player vault"],
]);

/**
 * Imports of a module folder that are neither domain nor pure, each with its reason; the test fails on any import
 * not listed here, and on a listed one that is gone (so the list only shrinks).
 */
const KNOWN_EXCEPTIONS: ReadonlyMap<string, string> = new Map([
	[
		"store/sqlite/sqlite-store.ts → privacy/player-keys.ts",
		"a store in memory makes its own vault (a PlayerKeyring in memory); the keyring is the SQLite engine of the " +
			"player vault and still lives in privacy/, which imports store/sqlite for its connection and migrations",
	],
]);

/** Not product code: tests, and test support (`*-testing.ts`, e.g. a fresh database per test). */
function isTestFile(name: string): boolean {
	return name.endsWith(".test.ts") || name.endsWith("-testing.ts");
}

function sourceFiles(dir: string): string[] {
	return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
		const path = join(dir, entry.name);
		if (entry.isDirectory()) return sourceFiles(path);
		return entry.name.endsWith(".ts") && !isTestFile(entry.name) ? [path] : [];
	});
}

/** Every relative import (static, dynamic, re-export) of a file, resolved to a path (.js → .ts). */
export function relativeImports(file: string, text: string): string[] {
	const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)].map((m) => m[1]!);
	return specifiers.map((specifier) => resolve(dirname(file), specifier).replace(/\.js$/, ".ts"));
}

/** The module folder an import lands in (auth, privacy …), or undefined for store, domain and root files. */
export function moduleFolder(target: string): string | undefined {
	if (target.startsWith(STORE + sep) || target.startsWith(DOMAIN + sep)) return undefined;
	const inServer = relative(SERVER, target);
	if (inServer.startsWith("..")) return "(outside server/)";
	const parts = inServer.split(sep);
	return parts.length > 1 ? parts[0] : undefined;
}

/** `file → target` for every import of a module folder, both below server/. */
function moduleImports(files: string[]): string[] {
	return files.flatMap((file) =>
		relativeImports(file, readFileSync(file, "utf8"))
			.filter((target) => moduleFolder(target) !== undefined)
			.map((target) => `${relative(SERVER, file)} → ${relative(SERVER, target)}`.replaceAll(sep, "/")),
	);
}

/** The imports a store file may not make: a module folder's file that is not a pure module (nor a listed exception). */
export function storeViolations(imports: readonly string[]): string[] {
	return imports.filter((edge) => !PURE_MODULES.has(edge.split(" → ")[1]!) && !KNOWN_EXCEPTIONS.has(edge));
}

/** The imports a pure module may not make: anything but server/domain and the other pure modules. */
export function impureImports(module: string, text: string): string[] {
	const file = join(SERVER, module);
	return relativeImports(file, text)
		.filter((target) => !target.startsWith(DOMAIN + sep))
		.map((target) => relative(SERVER, target).replaceAll(sep, "/"))
		.filter((target) => !PURE_MODULES.has(target))
		.map((target) => `${module} → ${target}`);
}

describe("store layering", () => {
	it("finds the imports of module folders, and only those", () => {
		const file = join(STORE, "sqlite", "x.ts");
		const text = `import type { A } from "../../privacy/consent-store.js";\nimport { b } from "../../domain/b.js";
			import { c } from "./c.js"; import type { L } from "../../logger.js"; const m = await import("../clickhouse/index.js");`;
		const found = relativeImports(file, text).filter((t) => moduleFolder(t) !== undefined);
		expect(found.map((t) => relative(SERVER, t))).toEqual([join("privacy", "consent-store.ts")]);
	});

	it("scans every engine's folder", () => {
		const folders = new Set(sourceFiles(STORE).map((file) => relative(STORE, dirname(file)).replaceAll(sep, "/")));
		expect([...folders].sort()).toEqual(expect.arrayContaining(["", "clickhouse", "contract", "postgres", "sqlite"]));
	});

	it("imports no module folder from server/store but the pure modules", () => {
		expect(storeViolations(moduleImports(sourceFiles(STORE)))).toEqual([]);
	});

	it("lists only exceptions that still occur", () => {
		const imports = new Set(moduleImports(sourceFiles(STORE)));
		expect([...KNOWN_EXCEPTIONS.keys()].filter((edge) => !imports.has(edge))).toEqual([]);
	});

	it("tells a pure module from a module folder's other files", () => {
		const imports = [
			"store/sqlite/x.ts → metrics/engine.ts",
			"store/postgres/y.ts → auth/routes.ts",
			"store/clickhouse/z.ts → experiments/experiment.ts",
		];
		expect(storeViolations(imports)).toEqual(imports.slice(1));
		const text = `import { a } from "../domain/metrics.js";\nimport { b } from "./segments.js";
			import { c } from "../store/types.js"; import { d } from "../logger.js"; import { z } from "zod";`;
		expect(impureImports("metrics/engine.ts", text)).toEqual([
			"metrics/engine.ts → store/types.ts",
			"metrics/engine.ts → logger.ts",
		]);
	});

	it("keeps the pure modules pure: they import only server/domain and each other", () => {
		const missing = [...PURE_MODULES.keys()].filter((module) => !existsSync(join(SERVER, module)));
		expect(missing).toEqual([]);
		const impure = [...PURE_MODULES.keys()].flatMap((module) =>
			impureImports(module, readFileSync(join(SERVER, module), "utf8")),
		);
		expect(impure).toEqual([]);
	});

	it("keeps server/domain free of everything outside it", () => {
		const outside = sourceFiles(DOMAIN).flatMap((file) =>
			relativeImports(file, readFileSync(file, "utf8"))
				.filter((target) => !target.startsWith(DOMAIN + sep))
				.map((target) => `${relative(SERVER, file)} → ${relative(SERVER, target)}`),
		);
		expect(outside).toEqual([]);
	});
});
