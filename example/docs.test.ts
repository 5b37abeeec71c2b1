// The docs' snippets are the example game's code: each block marked `<!-- from example/… -->` in README.md and
// docs/**/*.md must appear, line for line, in that file (which the simulator's tests run; example/roblox-ts, which
// test/e2e/package-rbxts.test.ts compiles and plays). Every Luau or TypeScript block on those pages carries such a
// mark, so no game code in the docs goes unchecked. docs/api is generated from the SDK's TSDoc (its examples are
// checked by test/docs/api-reference.test.ts) and is not read here.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");

/** Languages of game code: a block in one of them must come from example/. */
const GAME_CODE = new Set(["lua", "luau", "ts", "tsx", "typescript"]);

/** Markdown pages of the docs: README.md and every .md under docs/ but the generated API reference. */
function pages(): string[] {
	const docs = readdirSync(join(root, "docs"), { recursive: true, withFileTypes: true })
		.filter((entry) => entry.isFile() && entry.name.endsWith(".md"))
		.map((entry) => relative(root, join(entry.parentPath, entry.name)))
		.filter((page) => !page.startsWith(join("docs", "api")));
	return ["README.md", ...docs.sort()];
}

/** Fenced blocks of game code without a `from` mark just above them. */
function unmarked(markdown: string): string[] {
	const out: string[] = [];
	for (const m of markdown.matchAll(/(<!-- from example\/[^ ]+ -->\n+)?```(\w+)\n([\s\S]*?)```/g)) {
		if (!m[1] && GAME_CODE.has(m[2]!)) out.push(m[3]!.split("\n")[0]!);
	}
	return out;
}

/** The anchors of a page's headings as GitHub makes them: lower case, punctuation dropped, spaces to hyphens. */
function headings(markdown: string): Set<string> {
	const out = new Set<string>();
	for (const m of markdown.replace(/```[\s\S]*?```/g, "").matchAll(/^#{1,6} (.+)$/gm)) {
		const text = m[1]!.replace(/[`*\\]/g, "").replace(/\[([^\]]*)\]\([^)]*\)/g, "$1");
		const slug = text
			.trim()
			.toLowerCase()
			.replace(/[^\p{L}\p{N} _-]/gu, "")
			.replace(/ /g, "-");
		// A repeated heading gets -1, -2, … after its first use.
		let anchor = slug;
		for (let n = 1; out.has(anchor); n++) anchor = `${slug}-${n}`;
		out.add(anchor);
	}
	return out;
}

function snippets(markdown: string): { file: string; code: string }[] {
	const out: { file: string; code: string }[] = [];
	for (const m of markdown.matchAll(/<!-- from (example\/[^ ]+) -->\n+```\w*\n([\s\S]*?)```/g)) {
		out.push({ file: m[1]!, code: m[2]! });
	}
	return out;
}

describe("docs examples", () => {
	const all = pages().flatMap((page) => snippets(readFileSync(join(root, page), "utf8")).map((s) => ({ page, ...s })));

	it("has snippets taken from the example game", () => {
		expect(all.length).toBeGreaterThanOrEqual(6);
		expect(all.some((s) => s.page === "README.md")).toBe(true);
	});

	it("reads every guide in docs/, and each has a snippet or links to one that has", () => {
		expect(pages()).toEqual(expect.arrayContaining(["docs/tracking.md", "docs/delivery.md", "docs/experiments.md"]));
		for (const page of ["docs/tracking.md", "docs/delivery.md", "docs/experiments.md", "docs/consent.md"])
			expect(
				all.some((s) => s.page === page),
				page,
			).toBe(true);
	});

	it("takes every Luau and TypeScript block from the example games", () => {
		for (const page of pages()) expect(unmarked(readFileSync(join(root, page), "utf8")), page).toEqual([]);
	});

	it("links only to files and headings that exist (the API reference's files too)", () => {
		const api = readdirSync(join(root, "docs", "api"), { recursive: true, withFileTypes: true })
			.filter((entry) => entry.isFile() && entry.name.endsWith(".md"))
			.map((entry) => relative(root, join(entry.parentPath, entry.name)));
		const broken: string[] = [];
		for (const page of [...pages(), ...api, "CHANGELOG.md"]) {
			const markdown = readFileSync(join(root, page), "utf8").replace(/```[\s\S]*?```/g, "");
			for (const m of markdown.matchAll(/\]\(([^)\s]+)\)/g)) {
				const target = m[1]!;
				if (/^[a-z]+:/.test(target)) continue;
				const [path, anchor] = target.split("#") as [string, string | undefined];
				const file = path === "" ? join(root, page) : join(root, dirname(page), path);
				if (!existsSync(file)) broken.push(`${page}: ${target}`);
				// TypeDoc numbers some anchors of its own pages its own way (#variantreason-1): there only files are checked.
				else if (
					anchor &&
					!api.includes(page) &&
					file.endsWith(".md") &&
					!headings(readFileSync(file, "utf8")).has(anchor)
				)
					broken.push(`${page}: ${target} (no such heading)`);
			}
		}
		expect(broken).toEqual([]);
	});

	it("copies every snippet verbatim from its example file", () => {
		for (const s of all) {
			const source = readFileSync(join(root, s.file), "utf8");
			expect(source.includes(s.code), `${s.page}: snippet from ${s.file}`).toBe(true);
		}
	});
});
