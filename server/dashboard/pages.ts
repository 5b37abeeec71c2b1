// The dashboard's server-rendered HTML: the app shell that loads the bundle, and the login form (no script at all).
// Everything interpolated is escaped; nothing inline runs or styles (the CSP forbids it), so these pages only link
// the hashed assets.
import { ASSETS_PATH } from "../middleware/security/index.js";
import type { DashboardAssets } from "./assets.js";

/** The favicon, inline so it costs no request (the CSP allows `data:` images). */
const ICON =
	"data:image/svg+xml," +
	encodeURIComponent(
		'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#0072B2"/>' +
			'<path d="M8 9l8 15 8-15" fill="none" stroke="#fff" stroke-width="4" stroke-linejoin="round"/></svg>',
	);

/** Escapes text for HTML content and double-quoted attributes. */
export function escapeHtml(text: string): string {
	return text
		.replaceAll("&", "&amp;")
		.replaceAll("<", "&lt;")
		.replaceAll(">", "&gt;")
		.replaceAll('"', "&quot;")
		.replaceAll("'", "&#39;");
}

function head(title: string, assets: DashboardAssets | undefined, extra = ""): string {
	const style = assets ? `<link rel="stylesheet" href="${ASSETS_PATH}/${escapeHtml(assets.style)}">\n` : "";
	return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="${ICON}">
${style}${extra}</head>
`;
}

export interface ShellPageOptions {
	assets: DashboardAssets;
	/** The session's CSRF token: the app sends it back in X-CSRF-Token with every state change. */
	csrfToken: string;
	/** `admin`: instance admin (the page asks the games list for the role on each game). */
	user: { email: string; admin: boolean };
}

/**
 * The single page the browser app runs in. The CSRF token and the user travel in meta tags (the script reads them;
 * the session cookie itself is HttpOnly, so no script ever sees it).
 */
export function shellPage(options: ShellPageOptions): string {
	const { assets, csrfToken, user } = options;
	const meta =
		`<meta name="csrf-token" content="${escapeHtml(csrfToken)}">\n` +
		`<meta name="vantage-user" content="${escapeHtml(user.email)}">\n` +
		`<meta name="vantage-admin" content="${user.admin ? "true" : "false"}">\n` +
		`<script type="module" src="${ASSETS_PATH}/${escapeHtml(assets.script)}"></script>\n`;
	return `${head("Vantage", assets, meta)}<body>
<div id="app"><p class="boot" role="status">Loading the dashboard…</p></div>
<noscript><p class="boot">The dashboard needs JavaScript.</p></noscript>
</body>
</html>
`;
}

export interface LoginPageOptions {
	assets: DashboardAssets | undefined;
	/** Shown above the form (wrong password, too many attempts, logged out). */
	message?: { text: string; kind: "error" | "info" };
	/** Refilled after a failed attempt. */
	email?: string;
	/** Where to go after login (a path of the dashboard, already checked). */
	next?: string;
}

/** The login form: a plain HTML form posting to /login, which works without any script. */
export function loginPage(options: LoginPageOptions): string {
	const message = options.message
		? `<p class="login-message ${options.message.kind}" role="${options.message.kind === "error" ? "alert" : "status"}">${escapeHtml(options.message.text)}</p>\n`
		: "";
	const next = options.next ? `<input type="hidden" name="next" value="${escapeHtml(options.next)}">\n` : "";
	return `${head("Sign in · Vantage", options.assets)}<body class="login-body">
<main class="login">
<form class="login-card" method="post" action="/login">
<h1>Vantage</h1>
<p class="login-lead">Sign in with your Vantage admin account.</p>
${message}<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required maxlength="320" value="${escapeHtml(options.email ?? "")}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024">
<label for="code">Authentication code <span class="login-optional">(if you set one up)</span></label>
<input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{6,8}" maxlength="8">
${next}<button type="submit">Sign in</button>
<p class="login-hint">No account? An admin creates one with <code>npm run vantage -- users create --email you@example.com --game &lt;gameId&gt; --role viewer</code>.</p>
</form>
</main>
</body>
</html>
`;
}

/** Served in place of the app when the bundle was never built (the API keeps working). */
export function notBuiltPage(): string {
	return `${head("Vantage", undefined)}<body>
<main>
<h1>The dashboard is not built</h1>
<p>Run <code>npm run build:dashboard</code> (or <code>npm ci</code>, which runs it) and restart the server.</p>
</main>
</body>
</html>
`;
}
