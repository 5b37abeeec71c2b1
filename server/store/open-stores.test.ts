import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../config.js";
import { freePort } from "../testing/services.js";
import { DATABASE_FILE, StoreConfigError, StoreUnreachableError, openStores, urlHosts } from "./open-stores.js";

const MASTER_KEY = Buffer.alloc(32, 7).toString("base64");

describe("openStores", () => {
	const dirs: string[] = [];
	afterEach(() => {
		for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
	});
	const dataDir = () => {
		const dir = mkdtempSync(join(tmpdir(), "vantage-open-stores-"));
		dirs.push(dir);
		return dir;
	};

	it("opens SQLite in the data directory when neither engine URL is set (the embedded default)", async () => {
		const dir = dataDir();
		const store = await openStores(loadConfig({ VANTAGE_DATA_DIR: dir }), {
			sqlite: { warehouse: "inline", autoFold: false },
		});
		try {
			await store.ping();
			expect(await store.createGame({ id: "g1", name: "One", createdAt: 1 })).toBe(true);
			expect(existsSync(join(dir, DATABASE_FILE))).toBe(true);
		} finally {
			await store.close();
		}
		// The same file again: what the first store wrote is there.
		const again = await openStores(loadConfig({ VANTAGE_DATA_DIR: dir }), {
			sqlite: { warehouse: "inline", autoFold: false },
		});
		try {
			expect((await again.listGames()).map((g) => g.id)).toEqual(["g1"]);
		} finally {
			await again.close();
		}
	});

	it("refuses one engine URL without the other, naming both variables", async () => {
		const dir = dataDir();
		await expect(
			openStores(loadConfig({ VANTAGE_DATA_DIR: dir, VANTAGE_METADATA_URL: "postgres://db:5432/vantage" })),
		).rejects.toThrow(/VANTAGE_METADATA_URL is set but VANTAGE_EVENTS_URL is not/);
		await expect(
			openStores(loadConfig({ VANTAGE_DATA_DIR: dir, VANTAGE_EVENTS_URL: "clickhouse://ch:8123/vantage" })),
		).rejects.toThrow(StoreConfigError);
		await expect(
			openStores(loadConfig({ VANTAGE_DATA_DIR: dir, VANTAGE_EVENTS_URL: "clickhouse://ch:8123/vantage" })),
		).rejects.toThrow(/VANTAGE_EVENTS_URL is set but VANTAGE_METADATA_URL is not/);
		// Nothing was opened in the data directory.
		expect(existsSync(join(dir, DATABASE_FILE))).toBe(false);
	});

	it("refuses the scale path without VANTAGE_MASTER_KEY (every instance must share it)", async () => {
		const config = loadConfig({
			VANTAGE_DATA_DIR: dataDir(),
			VANTAGE_METADATA_URL: "postgres://db:5432/vantage",
			VANTAGE_EVENTS_URL: "clickhouse://ch:8123/vantage",
		});
		await expect(openStores(config)).rejects.toThrow(/need VANTAGE_MASTER_KEY/);
	});

	it("refuses an engine URL of an unknown scheme even when the config was not parsed by loadConfig", async () => {
		const base = { dataDir: dataDir(), masterKey: Buffer.alloc(32), eventsUrl: "clickhouse://ch:8123/vantage" };
		await expect(openStores({ ...base, metadataUrl: "mysql://db:3306/vantage" })).rejects.toThrow(
			/VANTAGE_METADATA_URL: unknown scheme "mysql"/,
		);
		await expect(
			openStores({ ...base, metadataUrl: "postgres://db/vantage", eventsUrl: "http://ch:8123/vantage" }),
		).rejects.toThrow(/VANTAGE_EVENTS_URL: unknown scheme "http"/);
	});

	it("shows an engine URL's hosts without its user or password", () => {
		expect(urlHosts("clickhouse://u:secret@ch1:8123,ch2:8123/db?cluster=c")).toBe("ch1:8123,ch2:8123");
		expect(urlHosts("postgresql://vantage:secret@db.internal:5432/vantage")).toBe("db.internal:5432");
		expect(urlHosts("postgres://db/vantage")).toBe("db");
	});

	// Runs once the engines' modules exist (helpers B and D write them).
	const enginesWritten =
		existsSync(join(import.meta.dirname, "postgres", "index.ts")) &&
		existsSync(join(import.meta.dirname, "clickhouse", "index.ts"));
	it.skipIf(!enginesWritten)(
		"stops with the variable, the host and the cause when an engine cannot be reached at start",
		async () => {
			const closed = await freePort();
			const config = loadConfig({
				VANTAGE_DATA_DIR: dataDir(),
				VANTAGE_MASTER_KEY: MASTER_KEY,
				VANTAGE_METADATA_URL: `postgres://vantage:secret@127.0.0.1:${closed}/vantage`,
				VANTAGE_EVENTS_URL: `clickhouse://127.0.0.1:${closed}/vantage`,
			});
			const error = await openStores(config).then(
				() => undefined,
				(caught: unknown) => caught,
			);
			expect(error).toBeInstanceOf(StoreUnreachableError);
			const message = (error as Error).message;
			expect(message).toContain(`VANTAGE_METADATA_URL: cannot reach PostgreSQL at 127.0.0.1:${closed}: `);
			expect(message).toMatch(/ECONNREFUSED|connect|refused/i);
			expect(message).not.toContain("secret");
			expect(message.match(/cannot reach/g)).toHaveLength(1);
		},
		60_000,
	);
});
