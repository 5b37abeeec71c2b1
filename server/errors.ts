/**
 * Named errors that become RFC 9457 problem documents in the app's one `onError`.
 * The `code` is the stable contract clients branch on; `title` and `detail` are for humans and may change.
 */

/**
 * Prefix of every problem `type`. An absolute URI per RFC 9457 §3.1.1; not dereferenceable yet. Change it here
 * once the documentation site has a home.
 */
export const PROBLEM_TYPE_BASE = "urn:vantage:problem:";

/** Stable machine-readable problem codes. Add new ones; never rename or reuse one. */
export const PROBLEM_CODES = [
	"bad_request",
	"not_found",
	"method_not_allowed",
	"validation_failed",
	"payload_too_large",
	"invalid_json",
	"invalid_gzip",
	"unsupported_media_type",
	"unauthorized",
	"invalid_token",
	"invalid_credentials",
	"forbidden",
	"insufficient_scope",
	"conflict",
	"rate_limited",
	"unavailable",
	"internal",
	// RFC 6749 §5.2, from the token endpoint.
	"invalid_request",
	"invalid_client",
	"unsupported_grant_type",
	"invalid_scope",
	// A state change with the dashboard's session cookie but without its CSRF token.
	"csrf_failed",
	// A login whose password was right for an account with a second factor, sent without (or with a wrong) TOTP code.
	"second_factor_required",
	// Too many failed logins of one account: locked for a while, whoever tries (auth/login-throttle.ts).
	"account_locked",
] as const;
export type ProblemCode = (typeof PROBLEM_CODES)[number];

/** The JSON body of an `application/problem+json` response. */
export interface ProblemDocument {
	type: string;
	title: string;
	status: number;
	detail: string;
	code: ProblemCode;
	instance?: string;
	[extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** Base class: throw a subclass (or this with an explicit code) anywhere below a route. */
export class ProblemError extends Error {
	constructor(
		readonly status: number,
		readonly code: ProblemCode,
		readonly title: string,
		detail: string,
		/** Extra members merged into the problem document (RFC 9457 §3.2), e.g. `errors`. */
		readonly extensions: Readonly<Record<string, unknown>> = {},
		/** Response headers the problem needs (`WWW-Authenticate`, `Retry-After`). */
		readonly headers: Readonly<Record<string, string>> = {},
	) {
		super(detail);
	}

	get detail(): string {
		return this.message;
	}

	toProblem(instance?: string): ProblemDocument {
		return {
			...this.extensions,
			type: PROBLEM_TYPE_BASE + this.code,
			title: this.title,
			status: this.status,
			detail: this.detail,
			code: this.code,
			...(instance === undefined ? {} : { instance }),
		};
	}
}

export class BadRequestError extends ProblemError {
	override readonly name = "BadRequestError";
	constructor(detail: string) {
		super(400, "bad_request", "Bad request", detail);
	}
}

export class NotFoundError extends ProblemError {
	override readonly name = "NotFoundError";
	constructor(detail = "No resource matches this path.") {
		super(404, "not_found", "Not found", detail);
	}
}

/** One failed check: where (a JSON path) and why. */
export interface ValidationIssue {
	path: string;
	message: string;
}

export class ValidationError extends ProblemError {
	override readonly name = "ValidationError";
	constructor(detail: string, issues: readonly ValidationIssue[] = []) {
		super(400, "validation_failed", "Validation failed", detail, { errors: issues });
	}
}

export class PayloadTooLargeError extends ProblemError {
	override readonly name = "PayloadTooLargeError";
	constructor(detail: string, limitBytes: number) {
		super(413, "payload_too_large", "Payload too large", detail, { limitBytes });
	}
}

export class InvalidJsonError extends ProblemError {
	override readonly name = "InvalidJsonError";
	constructor(detail = "The request body is not valid JSON.") {
		super(400, "invalid_json", "Invalid JSON", detail);
	}
}

export class InvalidGzipError extends ProblemError {
	override readonly name = "InvalidGzipError";
	constructor(detail = "The request body is not valid gzip data.") {
		super(400, "invalid_gzip", "Invalid gzip", detail);
	}
}

export class UnsupportedMediaTypeError extends ProblemError {
	override readonly name = "UnsupportedMediaTypeError";
	constructor(detail: string) {
		super(415, "unsupported_media_type", "Unsupported media type", detail);
	}
}

/**
 * 401 for a missing, malformed, expired or revoked access token. `WWW-Authenticate` follows RFC 6750 §3: no
 * error attribute when no credentials were sent, `invalid_token` otherwise. The detail stays generic on purpose:
 * telling an attacker which check failed helps them.
 */
export class UnauthorizedError extends ProblemError {
	override readonly name = "UnauthorizedError";
	constructor(detail: string, options: { realm: string; invalidToken: boolean }) {
		const challenge = options.invalidToken
			? `Bearer realm="${options.realm}", error="invalid_token", error_description="${detail}"`
			: `Bearer realm="${options.realm}"`;
		super(
			401,
			options.invalidToken ? "invalid_token" : "unauthorized",
			"Unauthorized",
			detail,
			{},
			{ "WWW-Authenticate": challenge },
		);
	}
}

/** 401 for a failed admin login; the same answer whether the email or the password was wrong. */
export class InvalidCredentialsError extends ProblemError {
	override readonly name = "InvalidCredentialsError";
	constructor() {
		super(401, "invalid_credentials", "Invalid credentials", "The email or password is wrong.");
	}
}

/** 403: the token is valid but lacks the scope (RFC 6750 §3.1 insufficient_scope) or the role for the route. */
export class ForbiddenError extends ProblemError {
	override readonly name = "ForbiddenError";
	constructor(detail: string, options: { realm?: string; scope?: string } = {}) {
		const headers: Record<string, string> =
			options.scope === undefined
				? {}
				: {
						"WWW-Authenticate": `Bearer realm="${options.realm ?? "vantage"}", error="insufficient_scope", scope="${options.scope}"`,
					};
		super(403, options.scope === undefined ? "forbidden" : "insufficient_scope", "Forbidden", detail, {}, headers);
	}
}

/**
 * 403 for a state-changing request authenticated by the dashboard's session cookie without the session's CSRF token
 * in `X-CSRF-Token` (a page of another site can make the browser send the cookie, never the header).
 */
export class CsrfError extends ProblemError {
	override readonly name = "CsrfError";
	constructor() {
		super(403, "csrf_failed", "CSRF check failed", "The X-CSRF-Token header is missing or wrong: reload the page.");
	}
}

export class ConflictError extends ProblemError {
	override readonly name = "ConflictError";
	constructor(detail: string) {
		super(409, "conflict", "Conflict", detail);
	}
}

/** 429 with `Retry-After` in whole seconds (at least 1), also in the body for clients that cannot read headers. */
export class RateLimitedError extends ProblemError {
	override readonly name = "RateLimitedError";
	constructor(detail: string, retryAfterSeconds: number) {
		const seconds = Math.max(1, Math.ceil(retryAfterSeconds));
		super(
			429,
			"rate_limited",
			"Too many requests",
			detail,
			{ retryAfterSeconds: seconds },
			{ "Retry-After": String(seconds) },
		);
	}
}

/** The error codes of RFC 6749 §5.2 the token endpoint answers with. */
export type OAuthErrorCode = "invalid_request" | "invalid_client" | "unsupported_grant_type" | "invalid_scope";

const OAUTH_TITLES: Record<OAuthErrorCode, string> = {
	invalid_request: "Invalid token request",
	invalid_client: "Client authentication failed",
	unsupported_grant_type: "Unsupported grant type",
	invalid_scope: "Invalid scope",
};

/**
 * A token endpoint failure. The problem document also carries RFC 6749's `error` and `error_description` members,
 * so generic OAuth clients understand it. invalid_client is 401 with a `WWW-Authenticate` challenge for the
 * scheme the client used (§5.2); everything else is 400.
 */
export class OAuthError extends ProblemError {
	override readonly name = "OAuthError";
	constructor(error: OAuthErrorCode, detail: string, options: { scheme?: "Basic" | "Bearer" } = {}) {
		const status = error === "invalid_client" ? 401 : 400;
		const headers: Record<string, string> =
			status === 401 ? { "WWW-Authenticate": `${options.scheme ?? "Basic"} realm="vantage-token"` } : {};
		super(status, error, OAUTH_TITLES[error], detail, { error, error_description: detail }, headers);
	}
}

export class ServiceUnavailableError extends ProblemError {
	override readonly name = "ServiceUnavailableError";
	constructor(detail: string) {
		super(503, "unavailable", "Service unavailable", detail);
	}
}

export class InternalError extends ProblemError {
	override readonly name = "InternalError";
	// Never carries the underlying message: it may contain SQL, paths or personal data.
	constructor() {
		super(500, "internal", "Internal server error", "An unexpected error occurred.");
	}
}

/** Problem code for an HTTP status raised by code we do not own (Hono's HTTPException, future middleware). */
export function codeForStatus(status: number): ProblemCode {
	switch (status) {
		case 400:
			return "bad_request";
		case 401:
			return "unauthorized";
		case 403:
			return "forbidden";
		case 409:
			return "conflict";
		case 404:
			return "not_found";
		case 405:
			return "method_not_allowed";
		case 413:
			return "payload_too_large";
		case 415:
			return "unsupported_media_type";
		case 429:
			return "rate_limited";
		case 503:
			return "unavailable";
		default:
			return status >= 500 ? "internal" : "bad_request";
	}
}
