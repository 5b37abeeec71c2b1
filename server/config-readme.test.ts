import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CONFIG_VARIABLES } from "./config.js";

describe("README configuration table", () => {
	const readme = readFileSync(join(import.meta.dirname, "..", "README.md"), "utf8");
	const rows = new Map(
		// Cells may be padded (Prettier aligns Markdown tables).
		[...readme.matchAll(/^\|\s*`([A-Z_]+)`\s*\|\s*`([^`]*)`\s*\|\s*(.+?)\s*\|$/gm)].map((m) => [
			m[1],
			{ def: m[2], meaning: m[3] },
		]),
	);

	it("documents every variable the backend reads, with its real default", () => {
		for (const v of CONFIG_VARIABLES) {
			expect(rows.get(v.name), v.name).toEqual({ def: v.default, meaning: v.meaning });
		}
	});

	it("documents no variable the backend does not read", () => {
		expect([...rows.keys()].sort()).toEqual(CONFIG_VARIABLES.map((v) => v.name).sort());
	});
});
