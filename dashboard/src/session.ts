// What the server put into the page for this session: the CSRF token and who is logged in. The session cookie
// itself is HttpOnly: no script, ours or an injected one, can read it.
import { ADMIN_ROLES, type AdminRole } from "../../server/auth/roles.js";

// The server's own role rules (a pure module with no imports), so both sides rank roles alike.
export { roleAllows } from "../../server/auth/roles.js";
export type Role = AdminRole;

export interface PageSession {
	/** Sent back in X-CSRF-Token with every state change (the server refuses one without it). */
	csrfToken: string;
	email: string;
	role: Role;
}

function meta(name: string): string {
	return document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content ?? "";
}

/** Reads the session from the shell page's meta tags. */
export function readPageSession(): PageSession {
	const role = meta("vantage-role");
	return {
		csrfToken: meta("csrf-token"),
		email: meta("vantage-user"),
		// The server checks every request itself; an unknown role here only hides pages.
		role: (ADMIN_ROLES as readonly string[]).includes(role) ? (role as Role) : "viewer",
	};
}
