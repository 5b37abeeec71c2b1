import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MasterKeys } from "../privacy/master-keys.js";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import type { Store } from "../store/types.js";
import { T0 } from "../testing/fixtures.js";
import { SIGNING_ALG, SigningKeyRing, UnknownSigningKeyError } from "./signing-keys.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let store: Store;
let now: number;
const open = (store_: Store = store) =>
	SigningKeyRing.open({ store: store_, secrets, clock: () => now, rotateAfterMs: 30 * DAY, retainMs: 2 * HOUR });
const secrets = new MasterKeys(randomBytes(32));

beforeEach(() => {
	store = openSqliteStore({ path: ":memory:" });
	now = T0;
});
afterEach(() => store.close());

describe("SigningKeyRing", () => {
	it("creates one Ed25519 key on first open and reuses it afterwards", async () => {
		const first = await open();
		const second = await open();
		expect((await store.listSigningKeys()).length).toBe(1);
		expect((await first.signingKey()).kid).toBe((await second.signingKey()).kid);
	});

	it("publishes public keys only, with kid, alg and use", async () => {
		const ring = await open();
		const { keys } = await ring.jwks();
		expect(keys).toHaveLength(1);
		expect(keys[0]).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: SIGNING_ALG, use: "sig" });
		expect(keys[0]).not.toHaveProperty("d");
		expect(keys[0]?.kid).toBe((await ring.signingKey()).kid);
	});

	it("keeps a rotated-out key verifying for the retention period, then drops it", async () => {
		const ring = await open();
		const old = (await ring.signingKey()).kid;
		const fresh = await ring.rotate();
		expect((await ring.signingKey()).kid).toBe(fresh);
		await expect(ring.verificationKey({ kid: old, alg: SIGNING_ALG })).resolves.toBeDefined();
		expect((await ring.jwks()).keys.map((k) => k.kid)).toEqual([fresh, old]);

		now += 2 * HOUR;
		await expect(ring.verificationKey({ kid: old, alg: SIGNING_ALG })).rejects.toBeInstanceOf(UnknownSigningKeyError);
		expect((await ring.jwks()).keys.map((k) => k.kid)).toEqual([fresh]);
	});

	it("rotates automatically once the active key is older than rotateAfterMs", async () => {
		const ring = await open();
		const old = (await ring.signingKey()).kid;
		now += 29 * DAY;
		expect((await ring.signingKey()).kid).toBe(old);
		now += 1 * DAY;
		expect((await ring.signingKey()).kid).not.toBe(old);
		expect(await store.listSigningKeys()).toHaveLength(2);
	});

	it("finds a key rotated by another process when a token names it", async () => {
		const ring = await open();
		const other = await open();
		const kid = await other.rotate();
		await expect(ring.verificationKey({ kid, alg: SIGNING_ALG })).resolves.toBeDefined();
	});

	it.each<[string, (kid: string) => { kid?: string; alg: string }]>([
		["an unknown kid", () => ({ kid: "nope", alg: SIGNING_ALG })],
		["no kid", () => ({ alg: SIGNING_ALG })],
		["another alg with a known kid", (kid) => ({ kid, alg: "HS256" })],
	])("refuses %s", async (_, header) => {
		const ring = await open();
		const { kid } = await ring.signingKey();
		await expect(ring.verificationKey(header(kid))).rejects.toBeInstanceOf(UnknownSigningKeyError);
	});
});
