import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseApiKey } from "../auth/api-keys.js";
import { verifyPassword } from "../auth/passwords.js";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import type { Store } from "../store/types.js";
import { T0 } from "../testing/fixtures.js";
import { TEST_HASH_OPTIONS } from "../testing/test-app.js";
import {
	DEMO_ADMIN_EMAIL,
	DEMO_CREDENTIALS_FILE,
	DEMO_GAME_ID,
	DEMO_GAME_NAME,
	ensureDemo,
	markHistorySeeded,
} from "./demo-seed.js";

let dir: string;
let store: Store;
beforeEach(() => {
	dir = mkdtempSync(join(tmpdir(), "vantage-demo-"));
	store = openSqliteStore({ path: ":memory:" });
});
afterEach(async () => {
	await store.close();
	rmSync(dir, { recursive: true, force: true });
});

const options = () => ({ dataDir: dir, now: T0, hashOptions: TEST_HASH_OPTIONS });
const credentialsPath = () => join(dir, DEMO_CREDENTIALS_FILE);

describe("ensureDemo", () => {
	it("seeds the demo game, trusting its clock, with a working key and an owner admin on the first start", async () => {
		const { demo, seeded, notes } = await ensureDemo(store, options());
		expect(seeded).toBe(true);
		expect(notes).toEqual([]);
		expect(await store.listGames()).toEqual([{ id: DEMO_GAME_ID, name: DEMO_GAME_NAME, createdAt: T0 }]);
		expect((await store.getGameSettings(DEMO_GAME_ID)).trustClientClock).toBe(true);

		const key = await store.getApiKey(parseApiKey(demo.gameKey)!.id);
		expect(key).toMatchObject({ gameId: DEMO_GAME_ID, revokedAt: null, scopes: ["ingest", "config"] });
		const admin = await store.getAdminUserByEmail(DEMO_ADMIN_EMAIL);
		expect(admin?.admin).toBe(true);
		expect(await verifyPassword(admin!.passwordHash, demo.adminPassword!)).toBe(true);

		expect(demo).toMatchObject({ gameId: DEMO_GAME_ID, adminEmail: DEMO_ADMIN_EMAIL, historySeeded: false });
		expect(JSON.parse(readFileSync(credentialsPath(), "utf8"))).toEqual(demo);
		expect(statSync(credentialsPath()).mode & 0o777).toBe(0o600);
	});

	it("finds the game on a later start and seeds nothing again", async () => {
		const first = await ensureDemo(store, options());
		const again = await ensureDemo(store, { ...options(), now: T0 + 60_000 });
		expect(again).toEqual({ demo: first.demo, seeded: false, notes: [] });
		expect(await store.listGames()).toHaveLength(1);
		expect(await store.listApiKeys(DEMO_GAME_ID)).toHaveLength(1);
		expect(await store.listAdminUsers()).toHaveLength(1);
	});

	it("remembers that the history was seeded", async () => {
		const { demo } = await ensureDemo(store, options());
		markHistorySeeded(dir, demo);
		expect((await ensureDemo(store, options())).demo).toEqual({ ...demo, historySeeded: true });
		expect(statSync(credentialsPath()).mode & 0o777).toBe(0o600);
	});

	it("makes a new key, keeping the password, when the remembered key was revoked", async () => {
		const { demo } = await ensureDemo(store, options());
		await store.revokeApiKey(parseApiKey(demo.gameKey)!.id, T0 + 1);
		const repaired = await ensureDemo(store, options());
		expect(repaired.seeded).toBe(false);
		expect(repaired.notes).toEqual([expect.stringMatching(/no longer works/)]);
		expect(repaired.demo.gameKey).not.toBe(demo.gameKey);
		expect(repaired.demo.adminPassword).toBe(demo.adminPassword);
		expect(await store.listAdminUsers()).toHaveLength(1);
	});

	it("makes a new key and says the password is unknown when the credentials file is gone", async () => {
		await ensureDemo(store, options());
		rmSync(credentialsPath());
		const repaired = await ensureDemo(store, options());
		expect(repaired.seeded).toBe(false);
		expect(repaired.demo.adminPassword).toBeNull();
		expect(repaired.notes).toEqual([
			expect.stringMatching(/No usable demo-credentials.json/),
			expect.stringMatching(/password is unknown/),
		]);
		expect(JSON.parse(readFileSync(credentialsPath(), "utf8"))).toEqual(repaired.demo);
		expect(await store.listGames()).toHaveLength(1);
	});

	it("treats an unreadable credentials file as missing", async () => {
		await ensureDemo(store, options());
		writeFileSync(credentialsPath(), "{ not json");
		const repaired = await ensureDemo(store, options());
		expect(repaired.notes[0]).toMatch(/could not be read/);
		expect(parseApiKey(repaired.demo.gameKey)).toBeDefined();
	});
});
