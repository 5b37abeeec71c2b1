// The demo `npm start` runs: one game with a key and an owner admin, created on the first start and remembered in
// the data directory, so every later start can print the same login and key and never seeds again.
import { randomBytes } from "node:crypto";
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { parseApiKey } from "../auth/api-keys.js";
import type { PasswordHashOptions } from "../auth/passwords.js";
import { createAdminUser, createGame, createGameKey } from "../auth/provisioning.js";
import type { Store } from "../store/types.js";

/** A fixed, universe-like id: the same demo game on every machine. */
export const DEMO_GAME_ID = "1818";
export const DEMO_GAME_NAME = "Obby Tycoon demo";
export const DEMO_ADMIN_EMAIL = "admin@vantage.local";
export const DEMO_KEY_NAME = "npm start demo";
/** In the data directory, readable by its owner only: it holds the admin password and the game key in clear. */
export const DEMO_CREDENTIALS_FILE = "demo-credentials.json";

const demoStateSchema = z.object({
	gameId: z.string(),
	gameName: z.string(),
	gameKey: z.string(),
	adminEmail: z.string(),
	/** Null when the admin user existed before `npm start` made it: its password was never known here. */
	adminPassword: z.string().nullable(),
	/** Whether the simulated history has been seeded to its end; until then each start seeds it. */
	historySeeded: z.boolean(),
	createdAt: z.string(),
});
export type DemoState = z.infer<typeof demoStateSchema>;

export interface EnsureDemoOptions {
	dataDir: string;
	/** Unix ms. */
	now: number;
	/** argon2 cost of the admin's password hash (tests lower it). @default the production parameters */
	hashOptions?: PasswordHashOptions;
}

export interface EnsuredDemo {
	demo: DemoState;
	/** True on the first start: the game, its key and the admin were created just now. */
	seeded: boolean;
	/** Things worth telling the person at the terminal (a repaired credentials file, an unknown password). */
	notes: string[];
}

/**
 * Finds the demo game, or creates it.
 * 1. no demo game → create it ({@link DEMO_GAME_NAME}, trustClientClock on, so simulated history keeps its times),
 *    a game key and the owner {@link DEMO_ADMIN_EMAIL} with a random password; remember them in the data directory;
 * 2. the game and its remembered credentials, with the key still active → those, nothing written;
 * 3. the game without usable credentials (the file deleted, the key revoked) → a new key, the admin made if
 *    missing, the file written again; the game's history counts as seeded when it has events.
 *
 * @example
 * const { demo, seeded } = await ensureDemo(store, { dataDir: "./data", now: Date.now() });
 */
export async function ensureDemo(store: Store, options: EnsureDemoOptions): Promise<EnsuredDemo> {
	const path = join(options.dataDir, DEMO_CREDENTIALS_FILE);
	const notes: string[] = [];
	const remembered = readDemoState(path, notes);

	// 1. the first start.
	if (!(await store.getGame(DEMO_GAME_ID))) {
		await createGame(store, { id: DEMO_GAME_ID, name: DEMO_GAME_NAME, now: options.now });
		await store.updateGameSettings(DEMO_GAME_ID, { trustClientClock: true }, options.now);
		const gameKey = await newDemoKey(store, options.now);
		const adminPassword = await ensureAdmin(store, options, null, notes);
		const demo: DemoState = {
			gameId: DEMO_GAME_ID,
			gameName: DEMO_GAME_NAME,
			gameKey,
			adminEmail: DEMO_ADMIN_EMAIL,
			adminPassword,
			historySeeded: false,
			createdAt: new Date(options.now).toISOString(),
		};
		writeDemoState(path, demo);
		return { demo, seeded: true, notes };
	}

	// 2. a later start.
	if (remembered && remembered.gameId === DEMO_GAME_ID && (await keyIsActive(store, remembered.gameKey))) {
		return { demo: remembered, seeded: false, notes };
	}

	// 3. the game is there but its credentials are not.
	notes.push(
		remembered
			? "The demo game key in demo-credentials.json no longer works: made a new one."
			: "No usable demo-credentials.json: made a new demo game key.",
	);
	await store.updateGameSettings(DEMO_GAME_ID, { trustClientClock: true }, options.now);
	const events = await store.listEvents({ gameId: DEMO_GAME_ID, limit: 1 });
	const demo: DemoState = {
		gameId: DEMO_GAME_ID,
		gameName: (await store.getGame(DEMO_GAME_ID))?.name ?? DEMO_GAME_NAME,
		gameKey: await newDemoKey(store, options.now),
		adminEmail: DEMO_ADMIN_EMAIL,
		adminPassword: await ensureAdmin(store, options, remembered?.adminPassword ?? null, notes),
		historySeeded: remembered?.historySeeded ?? events.length > 0,
		createdAt: remembered?.createdAt ?? new Date(options.now).toISOString(),
	};
	writeDemoState(path, demo);
	return { demo, seeded: false, notes };
}

/** Records that the simulated history was seeded to its end, so later starts only play live. */
export function markHistorySeeded(dataDir: string, demo: DemoState): DemoState {
	const next = { ...demo, historySeeded: true };
	writeDemoState(join(dataDir, DEMO_CREDENTIALS_FILE), next);
	return next;
}

async function newDemoKey(store: Store, now: number): Promise<string> {
	const { key } = await createGameKey(store, { gameId: DEMO_GAME_ID, name: DEMO_KEY_NAME, now });
	return key;
}

/** The admin's password: a new random one when the user is created here, else what was known (maybe nothing). */
async function ensureAdmin(
	store: Store,
	options: EnsureDemoOptions,
	known: string | null,
	notes: string[],
): Promise<string | null> {
	if (await store.getAdminUserByEmail(DEMO_ADMIN_EMAIL)) {
		if (known === null) notes.push(`${DEMO_ADMIN_EMAIL} existed before npm start made it: its password is unknown.`);
		return known;
	}
	const password = randomBytes(18).toString("base64url");
	await createAdminUser(store, {
		email: DEMO_ADMIN_EMAIL,
		password,
		admin: true,
		now: options.now,
		...(options.hashOptions ? { hashOptions: options.hashOptions } : {}),
	});
	return password;
}

async function keyIsActive(store: Store, gameKey: string): Promise<boolean> {
	const parsed = parseApiKey(gameKey);
	if (!parsed) return false;
	const record = await store.getApiKey(parsed.id);
	return record !== undefined && record.gameId === DEMO_GAME_ID && record.revokedAt === null;
}

function readDemoState(path: string, notes: string[]): DemoState | undefined {
	let text: string;
	try {
		text = readFileSync(path, "utf8");
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
		throw error;
	}
	try {
		return demoStateSchema.parse(JSON.parse(text));
	} catch {
		notes.push(`${path} could not be read: it is written again.`);
		return undefined;
	}
}

/** Written to a temporary file (mode 0600) then renamed, so a crash never leaves half a file. */
function writeDemoState(path: string, state: DemoState): void {
	const temporary = `${path}.tmp`;
	rmSync(temporary, { force: true });
	writeFileSync(temporary, `${JSON.stringify(state, null, "\t")}\n`, { mode: 0o600 });
	renameSync(temporary, path);
}
