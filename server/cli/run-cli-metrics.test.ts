import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DATABASE_FILE } from "../server.js";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import type { Store } from "../store/types.js";
import { runCli } from "./run-cli.js";

let dir: string;
beforeEach(async () => {
	dir = mkdtempSync(join(tmpdir(), "vantage-cli-metrics-"));
	await withStore((store) => store.createGame({ id: "4242", name: "Obby Tycoon", createdAt: Date.now() }));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
	let out = "";
	let err = "";
	const code = await runCli(args, {
		env: { VANTAGE_DATA_DIR: dir },
		stdout: { write: (s: string) => (out += s) },
		stderr: { write: (s: string) => (err += s) },
		readStdin: async () => "",
		runDir: join(dir, "run"),
	});
	return { code, out, err };
}

async function withStore<T>(use: (store: Store) => Promise<T>): Promise<T> {
	const store = openSqliteStore({ path: join(dir, DATABASE_FILE), warehouse: "inline" });
	try {
		return await use(store);
	} finally {
		await store.close();
	}
}

const D1 = { key: "d1", type: "retention", day: 1 };

describe("vantage metrics", () => {
	it("creates, updates, shows, lists and archives library metrics, naming the game by name", async () => {
		const created = await run(["metrics", "create", "--game", "obby tycoon", "--json", JSON.stringify(D1)]);
		expect(created).toMatchObject({ code: 0, err: "" });
		expect(created.out).toContain("Created metric d1 (version 1, goal) in the library of game 4242.");

		const file = join(dir, "d1.json");
		writeFileSync(file, JSON.stringify({ ...D1, day: 7, name: "Day-7 retention" }));
		const updated = await run([
			"metrics",
			"update",
			"--game",
			"4242",
			"--key",
			"d1",
			"--file",
			file,
			"--role",
			"guardrail",
		]);
		expect(updated.out).toContain("Metric d1 is now at version 2 (guardrail).");
		const again = await run(["metrics", "update", "--game", "4242", "--key", "d1", "--file", file]);
		expect(again.out).toContain("nothing changed");

		const v1 = await run(["metrics", "show", "--game", "4242", "--key", "d1", "--version", "1"]);
		expect(JSON.parse(v1.out)).toMatchObject({ key: "d1", version: 1, latestVersion: 2, definition: D1 });
		const latest = JSON.parse((await run(["metrics", "show", "--game", "4242", "--key", "d1"])).out) as {
			definition: unknown;
			createdBy: string;
		};
		expect(latest.definition).toEqual({ ...D1, day: 7, name: "Day-7 retention" });
		expect(latest.createdBy).toMatch(/^cli:/);

		const versions = await run(["metrics", "versions", "--game", "4242", "--key", "d1"]);
		expect(versions.out.trim().split("\n")).toHaveLength(3);

		const list = await run(["metrics", "list", "--game", "4242"]);
		expect(list.out).toMatch(/^d1\s+retention\s+guardrail\s+2\s+Day-7 retention/m);

		expect((await run(["metrics", "archive", "--game", "4242", "--key", "d1"])).code).toBe(0);
		expect((await run(["metrics", "list", "--game", "4242"])).out).toBe("(none)\n");
		expect((await run(["metrics", "list", "--game", "4242", "--archived"])).out).toContain("d1");
		const locked = await run(["metrics", "update", "--game", "4242", "--key", "d1", "--role", "goal"]);
		expect(locked.code).toBe(1);
		expect(locked.err).toContain("archived");

		// Changes are audited as CLI admin actions; reads are not.
		const audited = await withStore((store) => store.privacy.listAudit(0, 100));
		expect(audited.map((e) => (JSON.parse(e.details) as { command: string }).command)).toEqual([
			"metrics create",
			"metrics update",
			"metrics update",
			"metrics archive",
		]);
	});

	it("prints every problem of an invalid definition with its path, and refuses bad arguments", async () => {
		const invalid = await run([
			"metrics",
			"create",
			"--game",
			"4242",
			"--json",
			'{"key":"x","type":"retention","day":0}',
			"--role",
			"boss",
		]);
		expect(invalid.code).toBe(1);
		expect(invalid.err).toContain("definition.day:");
		expect(invalid.err).toContain("role:");
		const notJson = await run(["metrics", "create", "--game", "4242", "--json", "{day"]);
		expect(notJson).toMatchObject({ code: 1 });
		expect(notJson.err).toContain("not JSON");
		expect((await run(["metrics", "create", "--game", "4242"])).code).toBe(2);
		expect((await run(["metrics", "show", "--game", "4242", "--key", "nope"])).err).toContain('no metric "nope"');
		const unknownGame = await run(["metrics", "list", "--game", "nowhere"]);
		expect(unknownGame.err).toContain('No game has the id or name "nowhere"');
	});
});
