// The docs' snippets are the example game's code: each block marked `<!-- from example/… -->` in README.md and
// docs/*.md must appear, line for line, in that file (which the simulator's tests run; example/roblox-ts, which
// test/e2e/package-rbxts.test.ts compiles and plays).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");

function snippets(markdown: string): { file: string; code: string }[] {
	const out: { file: string; code: string }[] = [];
	for (const m of markdown.matchAll(/<!-- from (example\/[^ ]+) -->\n+```\w*\n([\s\S]*?)```/g)) {
		out.push({ file: m[1]!, code: m[2]! });
	}
	return out;
}

describe("docs examples", () => {
	const pages = ["README.md", ...readdirSync(join(root, "docs")).map((f) => join("docs", f))];
	const all = pages.flatMap((page) => snippets(readFileSync(join(root, page), "utf8")).map((s) => ({ page, ...s })));

	it("has snippets taken from the example game", () => {
		expect(all.length).toBeGreaterThanOrEqual(6);
		expect(all.some((s) => s.page === "README.md")).toBe(true);
	});

	it("copies every snippet verbatim from its example file", () => {
		for (const s of all) {
			const source = readFileSync(join(root, s.file), "utf8");
			expect(source.includes(s.code), `${s.page}: snippet from ${s.file}`).toBe(true);
		}
	});
});
