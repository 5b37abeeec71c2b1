import BetterSqlite3 from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { T0 } from "../../testing/fixtures.js";
import { ACCESS_MIGRATION } from "./access-migration.js";
import { migrate } from "./migrate.js";
import { MIGRATIONS } from "./migrations.js";
import { openSqliteStore } from "./sqlite-store.js";

let dir: string;
let path: string;
beforeEach(() => {
	dir = mkdtempSync(join(tmpdir(), "vantage-access-"));
	path = join(dir, "vantage.db");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("migration 13 (per-game access)", () => {
	it("makes owners instance admins and gives analysts and viewers their role on every existing game", async () => {
		// A database as the build before version 13 left it: global roles, two games.
		const db = new BetterSqlite3(path);
		migrate(
			db,
			MIGRATIONS.filter((m) => m.version < ACCESS_MIGRATION.version),
		);
		const user = db.prepare<[string, string, string]>(
			`INSERT INTO admin_users (id, email, password_hash, role, created_at) VALUES (?, ?, 'x', ?, ${T0})`,
		);
		user.run("u-own", "own@example.com", "owner");
		user.run("u-ana", "ana@example.com", "analyst");
		user.run("u-view", "view@example.com", "viewer");
		db.exec(`INSERT INTO games (id, name, created_at) VALUES ('g1', 'g1', ${T0}), ('g2', 'g2', ${T0})`);
		db.close();

		const store = openSqliteStore({ path });
		try {
			expect((await store.getAdminUser("u-own"))?.admin).toBe(true);
			expect((await store.getAdminUser("u-ana"))?.admin).toBe(false);
			const grants = async (userId: string) =>
				(await store.access.listUserGrants(userId)).map((g) => `${g.gameId}:${g.role}`);
			expect(await grants("u-own")).toEqual([]);
			expect(await grants("u-ana")).toEqual(["g1:analyst", "g2:analyst"]);
			expect(await grants("u-view")).toEqual(["g1:viewer", "g2:viewer"]);
			// A game made after the upgrade is shared with nobody until someone grants it.
			await store.createGame({ id: "g3", name: "g3", createdAt: T0 });
			expect(await store.access.listGameGrants("g3")).toEqual([]);
		} finally {
			await store.close();
		}
		// The global role is gone, so no code can read it by mistake.
		const after = new BetterSqlite3(path, { readonly: true });
		try {
			const columns = after.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('admin_users')").all();
			expect(columns.map((c) => c.name)).not.toContain("role");
		} finally {
			after.close();
		}
	});
});
