import BetterSqlite3 from "better-sqlite3";
import { mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { authenticateApiKey, parseApiKey } from "../auth/api-keys.js";
import { verifyPassword } from "../auth/passwords.js";
import type { IngestEvent } from "../ingest/schema.js";
import { parseMetricQuery } from "../metrics/query.js";
import { loadConfig } from "../config.js";
import { createLogger } from "../logger.js";
import { registerRunningServer } from "../running-servers.js";
import { DATABASE_FILE, startServer } from "../server.js";
import { openSqliteStore, type SqliteStoreOptions } from "../store/sqlite/sqlite-store.js";
import { randomBytes } from "node:crypto";
import { PlayerKeyring } from "../privacy/player-keys.js";
import type { Store } from "../store/types.js";
import { runCli } from "./run-cli.js";

let dir: string;
beforeEach(() => {
	dir = mkdtempSync(join(tmpdir(), "vantage-cli-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[], stdin = "", now?: number): Promise<{ code: number; out: string; err: string }> {
	let out = "";
	let err = "";
	const code = await runCli(args, {
		env: { VANTAGE_DATA_DIR: dir },
		stdout: { write: (s: string) => (out += s) },
		stderr: { write: (s: string) => (err += s) },
		readStdin: async () => stdin,
		// A run directory of this test's own: servers other tests start on this machine must not add warnings.
		runDir: join(dir, "run"),
		...(now === undefined ? {} : { now: () => now }),
	});
	return { code, out, err };
}

function lastLine(text: string): string {
	return text.trimEnd().split("\n").at(-1) ?? "";
}

async function withStore<T>(use: (store: Store) => Promise<T>, options: Partial<SqliteStoreOptions> = {}): Promise<T> {
	const store = openSqliteStore({ path: join(dir, DATABASE_FILE), ...options });
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
		const { code, out } = await run(["users", "create", "--email", "Ada@Example.com", "--admin"]);
		expect(code).toBe(0);
		const password = lastLine(out);
		await withStore(async (store) => {
			const user = await store.getAdminUserByEmail("ada@example.com");
			expect(user?.admin).toBe(true);
			expect(await verifyPassword(user?.passwordHash ?? "", password)).toBe(true);
		});
		expect((await run(["users", "set-admin", "--email", "ada@example.com", "--admin", "false"])).code).toBe(0);
		expect((await run(["users", "disable", "--email", "ada@example.com"])).code).toBe(0);
		expect((await run(["users", "list"])).out).toMatch(/ada@example\.com\s+\S+Z/);
		await withStore(async (store) =>
			expect((await store.getAdminUserByEmail("ada@example.com"))?.disabledAt).not.toBeNull(),
		);
	});

	it("reads the password from stdin and refuses a short one", async () => {
		expect(
			(await run(["users", "create", "--email", "b@example.com", "--password-stdin"], "long enough password\n")).code,
		).toBe(0);
		const short = await run(["users", "create", "--email", "c@example.com", "--password-stdin"], "short");
		expect(short.code).toBe(1);
		expect(short.err).toMatch(/password/);
	});

	it("grants and revokes a role on one game, lists the game's members, and refuses a role without a game", async () => {
		await run(["keys", "create", "--game", "g1"]);
		await run(["keys", "create", "--game", "g2"]);
		const bare = await run(["users", "create", "--email", "d@example.com", "--role", "owner"]);
		expect(bare.code).toBe(2);
		expect(bare.err).toMatch(/--game and --role go together/);
		const created = await run(["users", "create", "--email", "d@example.com", "--game", "g1", "--role", "viewer"]);
		expect(created.out).toContain("viewer of g1");
		expect((await run(["users", "grant", "--email", "d@example.com", "--game", "g2", "--role", "analyst"])).code).toBe(
			0,
		);
		expect((await run(["users", "list"])).out).toMatch(/d@example\.com\s+g1:viewer g2:analyst/);
		expect((await run(["users", "members", "--game", "g2"])).out).toMatch(/d@example\.com\s+analyst\s+grant/);
		expect((await run(["users", "revoke", "--email", "d@example.com", "--game", "g1"])).code).toBe(0);
		await withStore(async (store) => {
			const user = await store.getAdminUserByEmail("d@example.com");
			expect((await store.access.listUserGrants(user?.id ?? "")).map((g) => g.gameId)).toEqual(["g2"]);
		});
		const again = await run(["users", "revoke", "--email", "d@example.com", "--game", "g1"]);
		expect(again.code).toBe(1);
		expect(again.err).toMatch(/no role on game "g1"/);
		const unknown = await run(["users", "grant", "--email", "d@example.com", "--game", "nope", "--role", "owner"]);
		expect(unknown.code).toBe(1);
		expect(unknown.err).toMatch(/No game has the id or name "nope"/);
	});

	it("names the game of users create, grant, revoke and members by its name as well as its id", async () => {
		await withStore(async (store) => {
			await store.createGame({ id: "1818", name: "Obby Tycoon demo", createdAt: 0 });
			await store.createGame({ id: "77", name: "Kart Racer", createdAt: 0 });
		});
		const created = await run([
			"users",
			"create",
			"--email",
			"e@example.com",
			"--game",
			"obby tycoon demo",
			"--role",
			"viewer",
		]);
		expect(created.out).toContain("viewer of 1818");
		expect(
			(await run(["users", "grant", "--email", "e@example.com", "--game", "Kart Racer", "--role", "analyst"])).code,
		).toBe(0);
		expect((await run(["users", "members", "--game", "kart racer"])).out).toMatch(/e@example\.com\s+analyst/);
		const revoked = await run(["users", "revoke", "--email", "e@example.com", "--game", "Obby Tycoon demo"]);
		expect(revoked.out).toContain("no role on game 1818");
		await withStore(async (store) => {
			const user = await store.getAdminUserByEmail("e@example.com");
			expect((await store.access.listUserGrants(user?.id ?? "")).map((g) => g.gameId)).toEqual(["77"]);
		});
	});
});

describe("vantage and the audit log", () => {
	it("records every admin action it makes, and nothing for reads or failures", async () => {
		await run(["keys", "create", "--game", "g1"]);
		await run(["users", "create", "--email", "a@example.com", "--game", "g1", "--role", "viewer"]);
		await run(["users", "list"]);
		await run(["keys", "list"]);
		expect(
			(await run(["users", "grant", "--email", "nobody@example.com", "--game", "g1", "--role", "owner"])).code,
		).not.toBe(0);
		await run(["users", "disable", "--email", "a@example.com"]);
		const entries = await withStore((store) => store.privacy.listAudit(0, 100));
		expect(entries.map((e) => [e.action, e.actor.startsWith("cli:"), JSON.parse(e.details).command])).toEqual([
			["admin.change", true, "keys create"],
			["admin.change", true, "users create"],
			["admin.change", true, "users disable"],
		]);
		expect(JSON.parse(entries[1]!.details).args).toEqual([
			"--email",
			"a@example.com",
			"--game",
			"g1",
			"--role",
			"viewer",
		]);
		expect((await run(["audit", "verify"])).code).toBe(0);
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

describe("vantage warehouse", () => {
	const DAY = 86_400_000;
	const D0 = Date.UTC(2025, 0, 1);
	/** Noon of day 20 of the data. */
	const NOW = D0 + 20 * DAY + 12 * 3_600_000;
	/**
	 * The store as the server keeps it, minus the background job: batches stay in the inbox until folded. Its player
	 * vault maps the test's players to the pseudonyms the database holds (the CLI's commands here need none).
	 */
	const quiet = {
		warehouse: "inline",
		autoFold: false,
		players: PlayerKeyring.open({ path: ":memory:", masterKey: randomBytes(32) }),
	} as const;

	/** One event per day for days 0..19: player 1 on even days, player 2 on odd ones. */
	function events(): IngestEvent[] {
		return Array.from({ length: 20 }, (_, day) => ({
			id: `w${String(day).padStart(4, "0")}`,
			time: D0 + day * DAY + 3_600_000,
			userId: 1 + (day % 2),
			sessionId: `s${day}`,
			type: "session_start",
			name: "player",
			props: {},
		}));
	}

	async function ingest(store: Store, gameId: string): Promise<void> {
		await store.createGame({ id: gameId, name: gameId, createdAt: D0 });
		await store.ingestBatch(gameId, { batchId: "b1", sentAt: NOW, events: events(), rejected: [] }, NOW);
	}

	async function dau(store: Store, gameId: string): Promise<number[]> {
		const query = { from: ["2025-01-01"], to: ["2025-01-20"] };
		const { request } = parseMetricQuery("active-users", query, Math.floor(NOW / DAY));
		const result = await store.warehouse.metric(gameId, request, NOW);
		return (result.segments[0] as { days: { dau: number }[] }).days.map((d) => d.dau);
	}

	it("shows pending batches, and rebuilds a game's rollups from its raw events to the end", async () => {
		await withStore((store) => ingest(store, "g1"), quiet);
		expect((await run(["warehouse", "status"])).out).toBe("Pending batches: 1\nRebuilding games: 0\n");

		// Fold, then lose a rollup table's rows: the metric goes blank until the rebuild refolds the raw events.
		await withStore((store) => store.warehouse.catchUp().then(() => undefined), quiet);
		const db = new BetterSqlite3(join(dir, DATABASE_FILE));
		db.prepare("DELETE FROM wh_user_days WHERE game_id = 'g1'").run();
		db.close();
		expect(await withStore((store) => dau(store, "g1"), quiet)).toEqual(Array.from({ length: 20 }, () => 0));

		const rebuilt = await run(["warehouse", "rebuild", "--game", "g1"]);
		expect(rebuilt).toMatchObject({ code: 0, out: "Rebuilt the rollups of game g1: 20 events folded.\n" });
		expect(await withStore((store) => dau(store, "g1"), quiet)).toEqual(Array.from({ length: 20 }, () => 1));
		expect((await run(["warehouse", "status"])).out).toBe("Pending batches: 0\nRebuilding games: 0\n");
	});

	it("purges raw events past each game's retention, after folding them, and prints per game", async () => {
		await withStore(async (store) => {
			for (const id of ["g1", "g2", "g3"]) await ingest(store, id);
			await store.updateGameSettings("g1", { rawRetentionDays: 7 }, D0);
			await store.updateGameSettings("g2", { rawRetentionDays: 30 }, D0);
		}, quiet);
		// Nothing folded yet: the command folds before it purges, so the rollups keep every day.
		const { code, out } = await run(["warehouse", "purge"], "", NOW);
		expect(code).toBe(0);
		// g1: days 0..13 are older than 7 days (the cutoff is noon of day 13, the events are at 01:00).
		expect(out.split("\n").map((line) => line.split(/\s{2,}/))).toEqual([
			["game", "retention days", "deleted raw events"],
			["g1", "7", "14"],
			["g2", "30", "0"],
			[""],
		]);
		await withStore(async (store) => {
			expect(await store.listEvents({ gameId: "g1", limit: 100 })).toHaveLength(6);
			expect(await store.listEvents({ gameId: "g3", limit: 100 })).toHaveLength(20);
			expect(await dau(store, "g1")).toEqual(Array.from({ length: 20 }, () => 1));
		}, quiet);
		// The rebuild warns that purged days cannot come back.
		expect((await run(["warehouse", "rebuild", "--game", "g1"])).out).toContain("keeps raw events for 7 days");
	});

	it("says when no game has a retention", async () => {
		expect((await run(["warehouse", "purge"])).out).toBe("No game has rawRetentionDays set; nothing to purge.\n");
	});

	it.each([
		[["warehouse", "rebuild"], 2],
		[["warehouse", "rebuild", "--game", "nope"], 1],
		[["warehouse", "rebuild", "--game", "bad id"], 1],
		[["warehouse", "explode"], 2],
	])("fails cleanly for %j", async (args, code) => {
		const result = await run(args);
		expect(result.code).toBe(code);
		expect(result.err).not.toBe("");
	});
});

describe("vantage --game <id or name>", () => {
	async function games(...list: [string, string][]): Promise<void> {
		await withStore(async (store) => {
			for (const [id, name] of list) await store.createGame({ id, name, createdAt: 0 });
		});
	}

	it("lists the games", async () => {
		expect((await run(["games", "list"])).out).toBe("(none)\n");
		await games(["1818", "Obby Tycoon demo"], ["77", "Kart Racer"]);
		const { code, out } = await run(["games", "list"]);
		expect(code).toBe(0);
		expect(out.split("\n").map((line) => line.split(/\s{2,}/).slice(0, 2))).toEqual([
			["id", "name"],
			["1818", "Obby Tycoon demo"],
			["77", "Kart Racer"],
			[""],
		]);
	});

	it("takes a game's name (any case) where it takes its id", async () => {
		await games(["1818", "Obby Tycoon demo"], ["77", "Kart Racer"]);
		const created = await run(["keys", "create", "--game", "obby tycoon DEMO"]);
		expect(created.code).toBe(0);
		expect(created.out).not.toContain("Created game");
		expect(created.out).toContain("for game 1818");
		const listed = await run(["keys", "list", "--game", "Obby Tycoon demo"]);
		expect(listed.out).toContain("1818");
		expect((await run(["keys", "list", "--game", "1818"])).out).toBe(listed.out);
		expect((await run(["keys", "list", "--game", "Kart Racer"])).out).toBe("(none)\n");
		expect((await run(["warehouse", "rebuild", "--game", "kart racer"])).out).toContain("game 77");
	});

	it("prefers a game's id over another game's name", async () => {
		await games(["alpha", "beta"], ["beta", "Beta game"]);
		expect((await run(["keys", "create", "--game", "beta"])).out).toContain("for game beta");
	});

	it("refuses a name several games share, listing them", async () => {
		await games(["1", "Obby"], ["2", "obby"], ["3", "Other"]);
		const { code, out, err } = await run(["keys", "list", "--game", "Obby"]);
		expect(code).toBe(1);
		expect(out).toBe("");
		expect(err).toBe('2 games are named "Obby"; name one by its id:\n  1  Obby\n  2  obby\n');
		expect((await run(["keys", "create", "--game", "obby"])).code).toBe(1);
		await withStore(async (store) => expect(await store.listApiKeys()).toEqual([]));
	});

	it("refuses an unknown game, listing the games, where the game must exist", async () => {
		const none = await run(["warehouse", "rebuild", "--game", "nope"]);
		expect(none.code).toBe(1);
		expect(none.err).toContain('No game has the id or name "nope". There are no games yet');
		await games(["1818", "Obby Tycoon demo"]);
		const { code, err } = await run(["keys", "list", "--game", "Obby"]);
		expect(code).toBe(1);
		expect(err).toBe('No game has the id or name "Obby". Games:\n  1818  Obby Tycoon demo\n');
	});
});

describe("vantage and a running server on another data directory", () => {
	/** A run directory with one server on `serverDir`, recorded the way a server records itself. */
	function serverOn(serverDir: string, pid = process.pid): string {
		const runDir = join(dir, "run");
		registerRunningServer({ dataDir: serverDir, url: "http://127.0.0.1:8080", port: 8080 }, { runDir, pid });
		return runDir;
	}

	it("warns, naming the server's directory, before a command on another directory", async () => {
		const other = mkdtempSync(join(tmpdir(), "vantage-cli-other-"));
		try {
			serverOn(other);
			const { code, err } = await run(["games", "list"]);
			expect(code).toBe(0);
			expect(err).toContain(`opens the data directory ${realpathSync(dir)}`);
			expect(err).toContain(`pid ${process.pid} at http://127.0.0.1:8080 uses ${realpathSync(other)}`);
			expect(err).toContain(`set VANTAGE_DATA_DIR=${realpathSync(other)}`);
		} finally {
			rmSync(other, { recursive: true, force: true });
		}
	});

	it("stays quiet when the server uses the same directory, even through a symlink", async () => {
		const link = join(tmpdir(), `vantage-cli-link-${process.pid}-${Date.now()}`);
		symlinkSync(dir, link);
		try {
			serverOn(link);
			expect((await run(["games", "list"])).err).toBe("");
		} finally {
			rmSync(link, { force: true });
		}
	});

	it("ignores (and removes) the record of a server whose process is gone", async () => {
		const runDir = serverOn("/somewhere/else", 2 ** 22 + 12345);
		expect((await run(["games", "list"])).err).toBe("");
		expect(readdirSync(runDir)).toEqual([]);
	});

	it("is told by a real server while it runs, and not after it closes", async () => {
		const other = mkdtempSync(join(tmpdir(), "vantage-cli-other-"));
		const server = await startServer(loadConfig({ PORT: "0", HOST: "127.0.0.1", VANTAGE_DATA_DIR: other }), {
			logger: createLogger({ sink: { write: () => true } }),
			runDir: join(dir, "run"),
		});
		try {
			expect((await run(["games", "list"])).err).toContain(`${server.url} uses ${realpathSync(other)}`);
		} finally {
			await server.close();
			rmSync(other, { recursive: true, force: true });
		}
		expect((await run(["games", "list"])).err).toBe("");
	});
});
