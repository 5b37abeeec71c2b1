import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DashboardNotBuiltError, MANIFEST_FILE, dashboardAssets, loadDashboardAssets } from "./assets.js";

let dir: string;
beforeEach(() => {
	dir = mkdtempSync(join(tmpdir(), "vantage-assets-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(files: Record<string, string>): void {
	for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
}

describe("dashboard assets", () => {
	it("loads the files the manifest lists, with their types, gzipped when that is smaller", () => {
		const script = "export const answer = 42;\n".repeat(100);
		write({
			[MANIFEST_FILE]: JSON.stringify({
				script: "main-AAAA1111.js",
				style: "main-BBBB2222.css",
				files: ["main-AAAA1111.js", "main-BBBB2222.css"],
			}),
			"main-AAAA1111.js": script,
			"main-BBBB2222.css": "a{}",
			"stray.js": "never served",
		});
		const assets = loadDashboardAssets(dir);
		expect(assets.script).toBe("main-AAAA1111.js");
		expect([...assets.files.keys()]).toEqual(["main-AAAA1111.js", "main-BBBB2222.css"]);
		const js = assets.files.get("main-AAAA1111.js")!;
		expect(js.contentType).toBe("text/javascript; charset=utf-8");
		expect(gunzipSync(js.gzip!).toString()).toBe(script);
		// Three bytes gzip to more than three: served as they are.
		expect(assets.files.get("main-BBBB2222.css")!.gzip).toBeUndefined();
	});

	it("says how to build the dashboard when the build is missing or broken", () => {
		expect(() => loadDashboardAssets(join(dir, "nope"))).toThrow(DashboardNotBuiltError);
		expect(() => loadDashboardAssets(join(dir, "nope"))).toThrow(/npm run build:dashboard/);
		write({ [MANIFEST_FILE]: JSON.stringify({ script: "main.js", style: "main.css", files: ["main.js"] }) });
		expect(() => loadDashboardAssets(dir)).toThrow(DashboardNotBuiltError);
	});

	it("refuses names that are not plain file names, and a manifest naming a file it does not list", () => {
		expect(() => dashboardAssets({ script: "a.js", style: "a.css" }, { "../a.js": "", "a.css": "" })).toThrow(
			/unexpected asset name/,
		);
		expect(() => dashboardAssets({ script: "a.js", style: "b.css" }, { "a.js": "" })).toThrow(/b.css/);
	});
});
