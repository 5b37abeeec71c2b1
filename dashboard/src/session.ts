// What the server put into the page for this session: the CSRF token and who is logged in. The session cookie
// itself is HttpOnly: no script, ours or an injected one, can read it.
import type { AdminRole } from "../../server/auth/roles.js";

// The server's own role rules (a pure module with no imports), so both sides rank roles alike.
export { roleAllows } from "../../server/auth/roles.js";
export type Role = AdminRole;

export interface PageSession {
	/** Sent back in X-CSRF-Token with every state change (the server refuses one without it). */
	csrfToken: string;
	email: string;
	/** Instance admin: creates games and users, owner of every game. */
	admin: boolean;
	/** The role on the game shown now (the games list says it per game); pages hide what it may not do. */
	role: Role;
}

function meta(name: string): string {
	return document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content ?? "";
}

/**
 * Reads the session from the shell page's meta tags. The role starts as viewer: the app sets the role on the game it
 * shows from the games list (the server checks every request itself; a role here only hides pages).
 */
export function readPageSession(): PageSession {
	return {
		csrfToken: meta("csrf-token"),
		email: meta("vantage-user"),
		admin: meta("vantage-admin") === "true",
		role: "viewer",
	};
}
