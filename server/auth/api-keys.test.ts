import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import type { Store } from "../store/types.js";
import { T0 } from "../testing/fixtures.js";
import { authenticateApiKey, generateApiKey, hashSecret, isApiKeyId, parseApiKey, secretMatches } from "./api-keys.js";

describe("generateApiKey", () => {
	it("makes a vk_ key whose secret is stored only as a SHA-256", () => {
		const { key, record } = generateApiKey("g1", { name: "prod", scopes: ["ingest"], now: T0 });
		expect(key).toMatch(/^vk_[0-9A-Z]{26}\.[A-Za-z0-9_-]{43}$/);
		const parsed = parseApiKey(key);
		expect(parsed?.id).toBe(record.id);
		expect(record).toMatchObject({ gameId: "g1", name: "prod", scopes: ["ingest"], createdAt: T0, revokedAt: null });
		expect(record.secretHash).toBe(hashSecret(parsed?.secret ?? ""));
		expect(JSON.stringify(record)).not.toContain(parsed?.secret);
	});

	it("never makes the same key twice", () => {
		const keys = new Set(Array.from({ length: 50 }, () => generateApiKey("g1", { name: "", scopes: [], now: T0 }).key));
		expect(keys.size).toBe(50);
	});
});

describe("parseApiKey", () => {
	const { key } = generateApiKey("g1", { name: "", scopes: [], now: T0 });
	it.each([
		["empty", ""],
		["no dot", key.replace(".", "")],
		["extra text", `${key}x`],
		["leading space", ` ${key}`],
		["wrong prefix", key.replace("vk_", "pk_")],
		["two dots", `${key}.x`],
	])("rejects %s", (_, raw) => {
		expect(parseApiKey(raw)).toBeUndefined();
	});

	it("recognises key ids", () => {
		expect(isApiKeyId(parseApiKey(key)?.id ?? "")).toBe(true);
		expect(isApiKeyId("vk_short")).toBe(false);
	});
});

describe("secretMatches", () => {
	it("compares against the stored hash", () => {
		expect(secretMatches("s3cret", hashSecret("s3cret"))).toBe(true);
		expect(secretMatches("s3cret", hashSecret("other"))).toBe(false);
		expect(secretMatches("s3cret", "not-hex")).toBe(false);
	});
});

describe("authenticateApiKey", () => {
	let store: Store;
	beforeEach(async () => {
		store = openSqliteStore({ path: ":memory:" });
		await store.createGame({ id: "g1", name: "g1", createdAt: T0 });
	});
	afterEach(() => store.close());

	it("returns the record for the right secret and nothing otherwise", async () => {
		const { key, record } = generateApiKey("g1", { name: "", scopes: ["ingest"], now: T0 });
		await store.insertApiKey(record);
		const { id, secret } = parseApiKey(key) ?? { id: "", secret: "" };
		expect(await authenticateApiKey(store, id, secret)).toEqual(record);
		expect(await authenticateApiKey(store, id, secret.replace(/.$/, "x"))).toBeUndefined();
		expect(await authenticateApiKey(store, "vk_00000000000000000000000000", secret)).toBeUndefined();
		await store.revokeApiKey(id, T0 + 1);
		expect(await authenticateApiKey(store, id, secret)).toBeUndefined();
	});
});
