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
export type ProblemCode =
	| "bad_request"
	| "not_found"
	| "method_not_allowed"
	| "validation_failed"
	| "payload_too_large"
	| "invalid_json"
	| "invalid_gzip"
	| "unsupported_media_type"
	| "unauthorized"
	| "forbidden"
	| "rate_limited"
	| "unavailable"
	| "internal";

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
