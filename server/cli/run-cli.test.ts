import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { authenticateApiKey, parseApiKey } from "../auth/api-keys.js";
import { verifyPassword } from "../auth/passwords.js";
import { DATABASE_FILE } from "../server.js";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import type { Store } from "../store/types.js";
import { runCli } from "./run-cli.js";

let dir: string;
beforeEach(() => {
	dir = mkdtempSync(join(tmpdir(), "vantage-cli-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[], stdin = ""): Promise<{ code: number; out: string; err: string }> {
	let out = "";
	let err = "";
	const code = await runCli(args, {
		env: { VANTAGE_DATA_DIR: dir },
		stdout: { write: (s: string) => (out += s) },
		stderr: { write: (s: string) => (err += s) },
		readStdin: async () => stdin,
	});
	return { code, out, err };
}

function lastLine(text: string): string {
	return text.trimEnd().split("\n").at(-1) ?? "";
}

async function withStore<T>(use: (store: Store) => Promise<T>): Promise<T> {
	const store = openSqliteStore({ path: join(dir, DATABASE_FILE) });
	try {
		return await use(store);
	} finally {
		await store.close();
	}
}

describe("vantage keys", () => {
	it("creates the game and a key, printing the key once on its own last line", async () => {
		const { code, out } = await run(["keys", "create", "--game", "4242", "--name", "production"]);
		expect(code).toBe(0);
		expect(out).toContain("Created game 4242.");
		const key = lastLine(out);
		const parsed = parseApiKey(key);
		expect(parsed).toBeDefined();
		expect(out.split(key)).toHaveLength(2);
		await withStore(async (store) => {
			expect(await store.getGame("4242")).toBeDefined();
			expect(await authenticateApiKey(store, parsed?.id ?? "", parsed?.secret ?? "")).toMatchObject({
				gameId: "4242",
				name: "production",
				scopes: ["ingest", "config"],
			});
		});
		const second = await run(["keys", "create", "--game", "4242", "--scopes", "ingest"]);
		expect(second.out).not.toContain("Created game");
	});

	it("lists keys without secrets and revokes one", async () => {
		const key = lastLine((await run(["keys", "create", "--game", "g1"])).out);
		const id = parseApiKey(key)?.id ?? "";
		const listed = await run(["keys", "list", "--game", "g1"]);
		expect(listed.out).toContain(id);
		expect(listed.out).not.toContain(key);
		expect((await run(["keys", "revoke", id])).code).toBe(0);
		expect((await run(["keys", "list"])).out).toMatch(/\d{4}-\d\d-\d\dT.*\d{4}-\d\d-\d\dT/);
		await withStore(async (store) => expect((await store.getApiKey(id))?.revokedAt).not.toBeNull());
	});

	it.each([
		[["keys", "create"], 2],
		[["keys", "create", "--game", "bad id"], 1],
		[["keys", "create", "--game", "g1", "--scopes", "admin"], 2],
		[["keys", "revoke", "vk_unknown"], 1],
		[["keys", "explode"], 2],
		[["keys", "create", "--game", "g1", "--bogus"], 2],
	])("fails cleanly for %j", async (args, code) => {
		const result = await run(args);
		expect(result.code).toBe(code);
		expect(result.err).not.toBe("");
	});
});

describe("vantage users", () => {
	it("creates a user with a generated password shown once, and manages role and access", async () => {
		const { code, out } = await run(["users", "create", "--email", "Ada@Example.com", "--role", "owner"]);
		expect(code).toBe(0);
		const password = lastLine(out);
		await withStore(async (store) => {
			const user = await store.getAdminUserByEmail("ada@example.com");
			expect(user?.role).toBe("owner");
			expect(await verifyPassword(user?.passwordHash ?? "", password)).toBe(true);
		});
		expect((await run(["users", "set-role", "--email", "ada@example.com", "--role", "viewer"])).code).toBe(0);
		expect((await run(["users", "disable", "--email", "ada@example.com"])).code).toBe(0);
		expect((await run(["users", "list"])).out).toMatch(/ada@example\.com\s+viewer/);
		await withStore(async (store) =>
			expect((await store.getAdminUserByEmail("ada@example.com"))?.disabledAt).not.toBeNull(),
		);
	});

	it("reads the password from stdin and refuses a short one", async () => {
		expect(
			(
				await run(
					["users", "create", "--email", "b@example.com", "--role", "analyst", "--password-stdin"],
					"long enough password\n",
				)
			).code,
		).toBe(0);
		const short = await run(
			["users", "create", "--email", "c@example.com", "--role", "analyst", "--password-stdin"],
			"short",
		);
		expect(short.code).toBe(1);
		expect(short.err).toMatch(/password/);
	});
});

describe("vantage signing-keys", () => {
	it("rotates the signing key", async () => {
		await run(["signing-keys", "rotate"]);
		await run(["signing-keys", "rotate"]);
		const listed = await run(["signing-keys", "list"]);
		// The first rotate finds no key, so open() creates one before rotating: three in all.
		expect(listed.out.trim().split("\n")).toHaveLength(4);
	});
});

describe("vantage help", () => {
	it("prints usage", async () => {
		expect((await run(["help"])).out).toContain("keys create --game");
		expect((await run([])).code).toBe(2);
	});
});
