import { join } from "node:path";
import { createAdminUser, createGameKey } from "../auth/provisioning.js";
import type { AdminRole } from "../auth/roles.js";
import { DATABASE_FILE } from "../server.js";
import { openSqliteStore } from "../store/sqlite/sqlite-store.js";
import { TEST_HASH_OPTIONS, TEST_PASSWORD, testUserAccess } from "./test-app.js";

/**
 * Helpers for tests that run the real server (startServer or a child process): they write to the server's
 * database through a second connection, the way `npm run vantage -- keys create` does, then talk HTTP.
 */

/** Creates the game if new and a game key for it, in the database under `dataDir`. */
export async function provisionGameKey(dataDir: string, gameId: string): Promise<string> {
	const store = openSqliteStore({ path: join(dataDir, DATABASE_FILE) });
	try {
		return (await createGameKey(store, { gameId, now: Date.now(), createGameIfMissing: true })).key;
	} finally {
		await store.close();
	}
}

/**
 * Creates an admin user with {@link TEST_PASSWORD}; returns its email. "owner" (the default) is an instance admin;
 * another role is granted on every game of the database now (see {@link testUserAccess}).
 */
export async function provisionAdmin(dataDir: string, role: AdminRole = "owner"): Promise<string> {
	const store = openSqliteStore({ path: join(dataDir, DATABASE_FILE) });
	try {
		const email = `admin-${Math.random().toString(36).slice(2)}@example.com`;
		await createAdminUser(store, {
			email,
			password: TEST_PASSWORD,
			...testUserAccess(
				role,
				(await store.listGames()).map((g) => g.id),
			),
			now: Date.now(),
			hashOptions: TEST_HASH_OPTIONS,
		});
		return email;
	} finally {
		await store.close();
	}
}

/** Exchanges a game key for an access token the way the SDK does; returns the `Authorization` header value. */
export async function fetchGameAuth(baseUrl: string, gameKey: string): Promise<string> {
	const res = await fetch(`${baseUrl}/v1/oauth/token`, {
		method: "POST",
		headers: { Authorization: `Bearer ${gameKey}`, "Content-Type": "application/x-www-form-urlencoded" },
		body: "grant_type=client_credentials&scope=ingest",
	});
	if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${await res.text()}`);
	return `Bearer ${((await res.json()) as { access_token: string }).access_token}`;
}

/** Logs an admin in; returns the `Authorization` header value. */
export async function fetchAdminAuth(baseUrl: string, email: string): Promise<string> {
	const res = await fetch(`${baseUrl}/v1/admin/login`, {
		method: "POST",
		headers: { "Content-Type": "application/json" },
		body: JSON.stringify({ email, password: TEST_PASSWORD }),
	});
	if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
	return `Bearer ${((await res.json()) as { access_token: string }).access_token}`;
}
