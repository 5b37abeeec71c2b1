import BetterSqlite3 from "better-sqlite3";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../cli/run-cli.js";
import { loadConfig } from "../config.js";
import { loadMasterKeys, MasterKeys } from "../privacy/master-keys.js";
import { MasterKeyError, PLAYER_KEYS_FILE, PlayerKeyring } from "../privacy/player-keys.js";
import { DATABASE_FILE, startServer } from "../server.js";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import { memoryLogger } from "../testing/fixtures.js";
import { fetchAdminAuth, provisionAdmin } from "../testing/provision.js";
import { rewrapPlayerKeyVault, sealSecretsAtRest } from "./secrets-at-rest.js";
import { createSigningKey, SigningKeyRing, signingKeyAad } from "./signing-keys.js";
import { TokenService } from "./tokens.js";

let dir: string;
beforeEach(() => {
	dir = mkdtempSync(join(tmpdir(), "vantage-secrets-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const env = (key?: Buffer, extra: Record<string, string> = {}) => ({
	PORT: "0",
	HOST: "127.0.0.1",
	VANTAGE_DATA_DIR: dir,
	...(key ? { VANTAGE_MASTER_KEY: key.toString("base64") } : {}),
	...extra,
});

const RING = { rotateAfterMs: 30 * 86_400_000, retainMs: 7_200_000 };

describe("the signing keys at rest", () => {
	it("a copy of the database taken while the server runs holds no usable private key", async () => {
		const { logger } = memoryLogger();
		const masterKey = randomBytes(32);
		const server = await startServer(loadConfig(env(masterKey)), { logger });
		const copy = join(dir, "copy.db");
		try {
			// The server signs with its key meanwhile.
			expect((await fetchAdminAuth(server.url, await provisionAdmin(dir))).startsWith("Bearer ")).toBe(true);
			const live = new BetterSqlite3(join(dir, DATABASE_FILE), { readonly: true });
			await live.backup(copy);
			live.close();
		} finally {
			await server.close();
		}
		const stolen = new BetterSqlite3(copy, { readonly: true });
		const rows = stolen
			.prepare<[], { kid: string; private_jwk: string }>("SELECT kid, private_jwk FROM signing_keys")
			.all();
		stolen.close();
		expect(rows.length).toBeGreaterThan(0);
		for (const row of rows) {
			// Sealed: no JWK, no Ed25519 private scalar ("d") anywhere in the row.
			expect(row.private_jwk.startsWith("vsec1.")).toBe(true);
			expect(() => JSON.parse(row.private_jwk)).toThrow();
			expect(row.private_jwk).not.toMatch(/"d"/);
			// Without the master key, nothing opens it; any other key is refused by name.
			expect(() => new MasterKeys(randomBytes(32)).open(row.private_jwk, signingKeyAad(row.kid))).toThrow(
				MasterKeyError,
			);
			// With the master key (which is not in the copy) it opens: the seal is what stood in the way.
			const jwk = JSON.parse(new MasterKeys(masterKey).open(row.private_jwk, signingKeyAad(row.kid))) as { d?: string };
			expect(jwk.d).toBeTypeOf("string");
		}
	});

	it("a wrong master key is refused at start, saying which key the data needs", async () => {
		const { logger } = memoryLogger();
		const right = randomBytes(32);
		await (await startServer(loadConfig(env(right)), { logger })).close();
		const wrong = startServer(loadConfig(env(randomBytes(32))), { logger });
		await expect(wrong).rejects.toThrow(MasterKeyError);
		await expect(startServer(loadConfig(env(randomBytes(32))), { logger })).rejects.toThrow(
			new RegExp(`token-signing key .* sealed by master key ${new MasterKeys(right).currentId}`),
		);
		await (await startServer(loadConfig(env(right)), { logger })).close();
	});

	it("NODE_ENV=production refuses to start without VANTAGE_MASTER_KEY (no generated master.key)", async () => {
		const { logger } = memoryLogger();
		await expect(startServer(loadConfig(env(undefined, { NODE_ENV: "production" })), { logger })).rejects.toThrow(
			/VANTAGE_MASTER_KEY is not set, and NODE_ENV is production/,
		);
		// Development still generates one (and warns, see master-key-start.test.ts).
		expect(loadMasterKeys({ ...loadConfig(env()), production: false }, logger).currentId).toMatch(/^[0-9a-f]{16}$/);
	});

	it("seals plain-text keys of an older database once, and the ring signs with them afterwards", async () => {
		const store = openSqliteStore({ path: join(dir, DATABASE_FILE) });
		try {
			// What a database written before schema version 12 holds: the private JWK in plain text.
			const legacy = await createSigningKey(Date.now());
			await store.addSigningKey(legacy);
			const keys = new MasterKeys(randomBytes(32));
			await expect(SigningKeyRing.open({ store, secrets: keys, clock: Date.now, ...RING })).rejects.toThrow(
				/not sealed/,
			);
			expect(await sealSecretsAtRest(store, keys)).toEqual({ sealed: 1, rewrapped: 0 });
			expect(await sealSecretsAtRest(store, keys)).toEqual({ sealed: 0, rewrapped: 0 });
			const [stored] = await store.listSigningKeys();
			expect(stored?.privateJwk.startsWith("vsec1.")).toBe(true);
			const ring = await SigningKeyRing.open({ store, secrets: keys, clock: Date.now, ...RING });
			expect((await ring.signingKey()).kid).toBe(legacy.kid);
			const tokens = new TokenService({
				keys: ring,
				issuer: "vantage",
				clock: Date.now,
				gameTtlSeconds: 900,
				adminTtlSeconds: 3600,
				clockToleranceSeconds: 30,
			});
			const user = {
				id: "u1",
				email: "a@b.c",
				passwordHash: "",
				admin: true,
				createdAt: 0,
				disabledAt: null,
			};
			const { token } = await tokens.issueAdminToken(user, "s1");
			expect(await tokens.verifyAdminToken(token)).toMatchObject({ userId: "u1", sessionId: "s1" });
		} finally {
			await store.close();
		}
	});
});

describe("a game's digest webhook URL at rest", () => {
	it("is sealed in the table (its token is not in the file), read back in clear, and old plain ones are sealed at start", async () => {
		const path = join(dir, DATABASE_FILE);
		const url = "https://discord.com/api/webhooks/123/very-secret-token";
		const keys = new MasterKeys(randomBytes(32));
		const raw = () => {
			const db = new BetterSqlite3(path, { readonly: true });
			try {
				return db.prepare<[], { url: string }>("SELECT digest_webhook_url AS url FROM game_settings").all();
			} finally {
				db.close();
			}
		};
		// Written before sealing (a store without secrets stands in for an older database).
		const legacy = openSqliteStore({
			path,
			players: PlayerKeyring.open({ path: ":memory:", masterKey: randomBytes(32) }),
		});
		await legacy.createGame({ id: "g1", name: "g1", createdAt: 0 });
		await legacy.createGame({ id: "g2", name: "g2", createdAt: 0 });
		await legacy.updateGameSettings("g1", { digestWebhookUrl: url }, 1);
		await legacy.close();
		expect(raw()).toEqual([{ url }]);

		const store = openSqliteStore({
			path,
			players: PlayerKeyring.open({ path: ":memory:", masterKey: randomBytes(32) }),
			secrets: keys,
		});
		try {
			// Plain until the start step: still readable meanwhile.
			expect((await store.getGameSettings("g1")).digestWebhookUrl).toBe(url);
			expect(await sealSecretsAtRest(store, keys)).toEqual({ sealed: 1, rewrapped: 0 });
			await store.updateGameSettings("g2", { digestWebhookUrl: `${url}-2` }, 2);
			for (const row of raw()) {
				expect(row.url.startsWith("vsec1.")).toBe(true);
				expect(row.url).not.toContain("very-secret-token");
			}
			expect((await store.getGameSettings("g1")).digestWebhookUrl).toBe(url);
			expect((await store.listGameSettings()).map((s) => s.digestWebhookUrl)).toEqual([url, `${url}-2`]);
			// Another master key cannot read it.
			await expect(sealSecretsAtRest(store, new MasterKeys(randomBytes(32)))).rejects.toThrow(
				/digest webhook URL of game g1/,
			);
		} finally {
			await store.close();
		}
	});
});

describe("master key rotation", () => {
	it("rewraps signing keys, TOTP secrets and player keys under the new key; the old key is then not needed", async () => {
		const oldKey = randomBytes(32);
		const newKey = randomBytes(32);
		const playerKeysPath = join(dir, PLAYER_KEYS_FILE);
		const keyring = PlayerKeyring.open({ path: playerKeysPath, masterKey: oldKey });
		const sealed = keyring.seal("g1", 42, Buffer.from("personal"), "note", Date.now());
		keyring.close();
		const store = openSqliteStore({ path: join(dir, DATABASE_FILE) });
		try {
			const before = new MasterKeys(oldKey);
			await SigningKeyRing.open({ store, secrets: before, clock: Date.now, ...RING });
			await store.insertAdminUser({
				id: "u1",
				email: "a@b.c",
				passwordHash: "x",
				admin: true,
				createdAt: 0,
				disabledAt: null,
			});
			await store.security.putPendingTotp({
				userId: "u1",
				secret: before.seal("JBSWY3DPEHPK3PXP", "vantage totp secret\0u1"),
				confirmedAt: null,
				lastStep: 0,
				createdAt: 0,
			});

			// The new key alone cannot open what the old one wrapped: named, nothing changed.
			await expect(sealSecretsAtRest(store, new MasterKeys(newKey))).rejects.toThrow(MasterKeyError);
			expect(() => PlayerKeyring.open({ path: playerKeysPath, masterKey: newKey })).toThrow(MasterKeyError);

			// New + previous: everything moves to the new key.
			const rotating = new MasterKeys(newKey, oldKey);
			expect(rewrapPlayerKeyVault(playerKeysPath, rotating, 1)).toBe(1);
			expect(await sealSecretsAtRest(store, rotating)).toEqual({ sealed: 0, rewrapped: 2 });

			const after = new MasterKeys(newKey);
			expect(await sealSecretsAtRest(store, after)).toEqual({ sealed: 0, rewrapped: 0 });
			const ring = await SigningKeyRing.open({ store, secrets: after, clock: Date.now, ...RING });
			expect((await ring.signingKey()).kid).toBeTypeOf("string");
			const reopened = PlayerKeyring.open({ path: playerKeysPath, masterKey: newKey });
			expect(reopened.open("g1", 42, sealed, "note")?.toString()).toBe("personal");
			reopened.close();
			const totp = await store.security.getTotp("u1");
			expect(after.open(totp!.secret, "vantage totp secret\0u1")).toBe("JBSWY3DPEHPK3PXP");
		} finally {
			await store.close();
		}
	});

	it("npm run vantage -- keys rotate-master rewraps, and the server then starts with the new key alone", async () => {
		const { logger } = memoryLogger();
		const oldKey = randomBytes(32);
		const newKey = randomBytes(32);
		await (await startServer(loadConfig(env(oldKey)), { logger })).close();
		let out = "";
		let err = "";
		const cli = (extra: Record<string, string>) =>
			runCli(["keys", "rotate-master"], {
				env: { VANTAGE_DATA_DIR: dir, ...extra },
				stdout: { write: (s: string) => (out += s) },
				stderr: { write: (s: string) => (err += s) },
				readStdin: async () => "",
				runDir: join(dir, "run"),
			});
		expect(await cli({ VANTAGE_MASTER_KEY: newKey.toString("base64") })).toBe(1);
		expect(err).toMatch(/VANTAGE_MASTER_KEY_PREVIOUS/);
		const code = await cli({
			VANTAGE_MASTER_KEY: newKey.toString("base64"),
			VANTAGE_MASTER_KEY_PREVIOUS: oldKey.toString("base64"),
		});
		expect(code).toBe(0);
		expect(out).toMatch(/1 stored secrets/);
		await (await startServer(loadConfig(env(newKey)), { logger })).close();
		await expect(startServer(loadConfig(env(oldKey)), { logger })).rejects.toThrow(MasterKeyError);
	});
});
