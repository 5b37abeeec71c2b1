import { ConflictError, NotFoundError } from "../errors.js";
import type { AdminUser, Store } from "../store/types.js";
import type { GameGrant } from "./access.js";
import { parseGameId } from "./provisioning.js";
import type { AdminRole } from "./roles.js";

/**
 * Grant operations shared by the CLI and the admin API (server/auth/access-routes.ts), so both enforce the same
 * rules. Failures are the app's named problem errors; the CLI prints their detail.
 */

/** A game's member as listed: a grant, or an instance admin (owner of every game without a grant). */
export interface GameMember {
	userId: string;
	email: string;
	role: AdminRole;
	/** "grant": a role on this game; "admin": an instance admin, owner of every game. */
	via: "grant" | "admin";
	/** ISO 8601 time of the grant; null for an admin without one. */
	grantedAt: string | null;
	disabled: boolean;
}

/** The game, or 404; 400 for an invalid id. */
export async function existingGame(store: Store, rawGameId: string): Promise<string> {
	const gameId = parseGameId(rawGameId);
	if (!(await store.getGame(gameId))) throw new NotFoundError(`Game "${gameId}" does not exist.`);
	return gameId;
}

/**
 * Gives a user `role` on a game, replacing the role they had there.
 * 1. invalid or unknown game → 400 / 404; 2. unknown user → 404; 3. the grant, as stored.
 */
export async function grantGameRole(
	store: Store,
	input: { userId: string; gameId: string; role: AdminRole; now: number },
): Promise<GameGrant> {
	const gameId = await existingGame(store, input.gameId);
	const user = await store.getAdminUser(input.userId);
	if (!user) throw new NotFoundError(`User "${input.userId.slice(0, 64)}" does not exist.`);
	const grant = { userId: user.id, gameId, role: input.role, grantedAt: input.now };
	await store.access.putGrant(grant);
	return grant;
}

/** Takes a user's role on a game away; 404 when they had none there. */
export async function revokeGameRole(store: Store, input: { userId: string; gameId: string }): Promise<void> {
	const gameId = parseGameId(input.gameId);
	if (!(await store.access.deleteGrant(input.userId, gameId))) {
		throw new NotFoundError(`The user has no role on game "${gameId}".`);
	}
}

/**
 * Who can open a game: its grants, then the instance admins without one (owner of every game), each by email.
 *
 * @example
 * const members = await gameMembers(store, "g1"); // [{ email: "ana@studio.com", role: "analyst", via: "grant", … }]
 */
export async function gameMembers(store: Store, gameId: string): Promise<GameMember[]> {
	const users = new Map((await store.listAdminUsers()).map((u) => [u.id, u]));
	const members: GameMember[] = [];
	const granted = new Set<string>();
	for (const grant of await store.access.listGameGrants(gameId)) {
		const user = users.get(grant.userId);
		if (!user) continue;
		granted.add(user.id);
		members.push(
			user.admin ? member(user, "owner", "admin", grant.grantedAt) : member(user, grant.role, "grant", grant.grantedAt),
		);
	}
	for (const user of users.values()) {
		if (user.admin && !granted.has(user.id)) members.push(member(user, "owner", "admin", null));
	}
	return members.sort((a, b) => a.email.localeCompare(b.email));
}

function member(user: AdminUser, role: AdminRole, via: GameMember["via"], grantedAt: number | null): GameMember {
	return {
		userId: user.id,
		email: user.email,
		role,
		via,
		grantedAt: grantedAt === null ? null : new Date(grantedAt).toISOString(),
		disabled: user.disabledAt !== null,
	};
}

/** The caller changing their own grant: refused, as it could leave a game without its last owner. */
export function refuseOwnGrant(callerId: string, userId: string): void {
	if (callerId === userId) {
		throw new ConflictError("You cannot change your own role on a game: ask another owner or an admin.");
	}
}
