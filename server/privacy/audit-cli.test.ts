// `npm run vantage -- audit verify` on a real data directory.
import BetterSqlite3 from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../cli/run-cli.js";
import { DATABASE_FILE } from "../server.js";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import { recordAudit } from "./audit.js";

let dir: string;
beforeEach(() => {
	dir = mkdtempSync(join(tmpdir(), "vantage-audit-cli-"));
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
	});
	return { code, out, err };
}

async function writeEntries(n: number): Promise<void> {
	const store = openSqliteStore({ path: join(dir, DATABASE_FILE), warehouse: "inline", autoFold: false });
	try {
		for (let i = 1; i <= n; i++) {
			await recordAudit(store, { action: "erasure.completed", actor: "system", gameId: "g", userId: i }, i);
		}
	} finally {
		await store.close();
	}
}

function tamper(sql: string): void {
	const db = new BetterSqlite3(join(dir, DATABASE_FILE));
	try {
		db.prepare(sql).run();
	} finally {
		db.close();
	}
}

describe("vantage audit verify", () => {
	it("reports an empty log as intact", async () => {
		const { code, out } = await run(["audit", "verify"]);
		expect(code).toBe(0);
		expect(out).toContain("Audit log intact: 0 entries.");
	});

	it("reports an intact chain with its head and exits 0", async () => {
		await writeEntries(3);
		const { code, out } = await run(["audit", "verify"]);
		expect(code).toBe(0);
		expect(out).toMatch(/Audit log intact: 3 entries\.\nHead: 3 [0-9a-f]{64}\n/);
	});

	it("names the first broken entry and exits 1 when an entry was edited", async () => {
		await writeEntries(4);
		tamper("UPDATE audit_log SET actor = 'admin:someone-else' WHERE seq = 2");
		const { code, out } = await run(["audit", "verify"]);
		expect(code).toBe(1);
		expect(out).toContain("Audit log BROKEN at entry 2: its content does not match its hash.");
		expect(out).toContain("Entries before it that check out: 1.");
	});

	it("exits 1 when the last entry was deleted", async () => {
		await writeEntries(4);
		tamper("DELETE FROM audit_log WHERE seq = 4");
		const { code, out } = await run(["audit", "verify"]);
		expect(code).toBe(1);
		expect(out).toContain("Audit log BROKEN at entry 4");
	});

	it("refuses arguments it does not know", async () => {
		const { code, err } = await run(["audit", "verify", "--fix"]);
		expect(code).toBe(2);
		expect(err).toContain("--fix");
	});
});
