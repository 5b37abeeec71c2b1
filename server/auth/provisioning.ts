import { ConflictError, NotFoundError, ValidationError } from "../errors.js";
import { newId } from "../ids.js";
import { describeIssues, gameIdSchema } from "../ingest/schema.js";
import type { AdminUser, ApiKeyRecord, Game, Store } from "../store/types.js";
import { generateApiKey } from "./api-keys.js";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, hashPassword, type PasswordHashOptions } from "./passwords.js";
import { existingGame, grantGameRole } from "./access-provisioning.js";
import { GAME_SCOPES, type AdminRole, type GameScope } from "./roles.js";

/**
 * Operations on games, keys and admin users shared by the CLI and the admin API, so both enforce the same rules.
 * Failures are the app's named problem errors; the CLI prints their detail.
 */

/** A key as listed: everything but the hash. */
export interface ApiKeySummary {
	id: string;
	gameId: string;
	name: string;
	scopes: GameScope[];
	createdAt: string;
	revokedAt: string | null;
}

export function summarizeKey(record: ApiKeyRecord): ApiKeySummary {
	return {
		id: record.id,
		gameId: record.gameId,
		name: record.name,
		scopes: record.scopes,
		createdAt: new Date(record.createdAt).toISOString(),
		revokedAt: record.revokedAt === null ? null : new Date(record.revokedAt).toISOString(),
	};
}

export function parseGameId(raw: string): string {
	const result = gameIdSchema.safeParse(raw);
	if (!result.success) throw new ValidationError("The game id is invalid.", describeIssues(result.error.issues));
	return result.data;
}

/**
 * A route's game id, checked: 400 when malformed, 404 when no such game exists.
 *
 * @example
 * const gameId = await existingGameId(store, c.req.param("gameId"));
 */
export async function existingGameId(store: Pick<Store, "getGame">, raw: string): Promise<string> {
	const gameId = parseGameId(raw);
	if (!(await store.getGame(gameId))) throw new NotFoundError(`Game "${gameId}" does not exist.`);
	return gameId;
}

/** Registers a game; 409 when the id is taken. */
export async function createGame(store: Store, input: { id: string; name?: string; now: number }): Promise<Game> {
	const game = { id: parseGameId(input.id), name: input.name ?? input.id, createdAt: input.now };
	if (!(await store.createGame(game))) throw new ConflictError(`Game "${game.id}" already exists.`);
	return game;
}

/**
 * Creates an API key for a game.
 * 1. invalid game id → 400;
 * 2. unknown game → created when `createGameIfMissing` (the CLI), else 404 (the admin API);
 * 3. the key is stored hashed; the full key is returned once.
 */
export async function createGameKey(
	store: Store,
	input: {
		gameId: string;
		name?: string;
		scopes?: readonly GameScope[];
		now: number;
		createGameIfMissing?: boolean;
	},
): Promise<{ key: string; summary: ApiKeySummary; gameCreated: boolean }> {
	const gameId = parseGameId(input.gameId);
	let gameCreated = false;
	if (!(await store.getGame(gameId))) {
		if (!input.createGameIfMissing) throw new NotFoundError(`Game "${gameId}" does not exist.`);
		gameCreated = await store.createGame({ id: gameId, name: gameId, createdAt: input.now });
	}
	const { key, record } = generateApiKey(gameId, {
		name: input.name ?? "",
		scopes: input.scopes ?? GAME_SCOPES,
		now: input.now,
	});
	await store.insertApiKey(record);
	return { key, summary: summarizeKey(record), gameCreated };
}

/** Revokes a key; 404 when unknown. Revoking twice is not an error (the first revocation time stays). */
export async function revokeGameKey(store: Store, keyId: string, now: number): Promise<ApiKeySummary> {
	const existing = await store.getApiKey(keyId);
	if (!existing) throw new NotFoundError(`API key "${keyId}" does not exist.`);
	await store.revokeApiKey(keyId, now);
	const record = await store.getApiKey(keyId);
	return summarizeKey(record ?? existing);
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

/**
 * Creates an admin user with an argon2id password hash; 400 for a weak password or bad email, 409 if taken. The user
 * is an instance admin with `admin`, and gets the roles in `grants` (see access-provisioning.ts) — else they sign in
 * to an empty dashboard until someone grants them a game.
 */
export async function createAdminUser(
	store: Store,
	input: {
		email: string;
		password: string;
		/** @default false */
		admin?: boolean;
		/** Roles on games, granted once the user exists; each game must exist (404 otherwise, the user stays). */
		grants?: readonly { gameId: string; role: AdminRole }[];
		now: number;
		hashOptions?: PasswordHashOptions;
	},
): Promise<AdminUser> {
	const email = input.email.trim().toLowerCase();
	if (!EMAIL.test(email))
		throw new ValidationError("The email address is invalid.", [{ path: "email", message: "invalid" }]);
	if (input.password.length < MIN_PASSWORD_LENGTH || input.password.length > MAX_PASSWORD_LENGTH) {
		throw new ValidationError(`The password must have ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters.`, [
			{ path: "password", message: "length" },
		]);
	}
	// Every granted game must exist before the user does, so a typo creates nothing.
	for (const grant of input.grants ?? []) await existingGame(store, grant.gameId);
	const user: AdminUser = {
		id: newId("usr_", input.now),
		email,
		passwordHash: await hashPassword(input.password, input.hashOptions),
		admin: input.admin ?? false,
		createdAt: input.now,
		disabledAt: null,
	};
	if (!(await store.insertAdminUser(user))) throw new ConflictError(`A user with email "${email}" already exists.`);
	for (const grant of input.grants ?? []) {
		await grantGameRole(store, { userId: user.id, gameId: grant.gameId, role: grant.role, now: input.now });
	}
	return user;
}
