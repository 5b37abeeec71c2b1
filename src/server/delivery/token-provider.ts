import { HttpService } from "@rbxts/services";
import { headerValue, parseRetryAfter } from "./backoff";
import { RequestBudget } from "./request-budget";

/** Longest Retry-After honoured, in seconds. */
export const MAX_RETRY_AFTER_SECONDS = 600;

/**
 * Why no token could be had:
 * - `budget`: the request budget has no room for a token request (nothing was sent);
 * - `disabled`: HttpService requests are disabled (Studio, or the experience's setting);
 * - `rejected`: the backend refused the game key, or the secret is missing (retrying soon will not help);
 * - `failed`: network error, rate limit or server error (retry with backoff, or after `retryAfter`).
 */
export type TokenResult =
	| { ok: true; token: string }
	| { ok: false; reason: "budget" | "disabled" | "rejected" | "failed"; message: string; retryAfter?: number };

/** The message RequestAsync throws when the experience does not allow HTTP requests. */
export function isHttpDisabledError(message: string): boolean {
	return message.find("Http requests are not enabled", 1, true)[0] !== undefined;
}

/**
 * Exchanges the game key for short-lived access tokens (OAuth2 client credentials, `POST /v1/oauth/token`).
 * The key comes from `HttpService:GetSecret`, which Roblox only lets us place into a header (AddPrefix), never
 * read or hash: so it is sent as `Authorization: Bearer <key>`, and nothing in Luau ever sees it.
 * A token is replaced before it expires (after half its life, or a minute before its end if that is later), so a
 * batch never leaves with a token about to lapse; after a 401 the caller {@link invalidate}s it.
 */
export class TokenProvider {
	private token?: string;
	private refreshAt = 0;

	constructor(
		private readonly tokenUrl: string,
		private readonly secretName: string,
		private readonly scope: string,
		private readonly budget?: RequestBudget,
		private readonly clock: () => number = os.clock,
	) {}

	/** Forgets the current token (after a 401), so the next {@link get} fetches a new one. */
	invalidate(): void {
		this.token = undefined;
		this.refreshAt = 0;
	}

	/** A valid token, fetched or refreshed if needed. Yields while fetching; never throws. */
	get(): TokenResult {
		if (this.token !== undefined && this.clock() < this.refreshAt) return { ok: true, token: this.token };
		const [secretOk, secret] = pcall(() => HttpService.GetSecret(this.secretName));
		if (!secretOk) {
			return {
				ok: false,
				reason: "rejected",
				message: `the game key secret "${this.secretName}" is not configured (${secret})`,
			};
		}
		if (this.budget) {
			const wait = this.budget.waitSeconds();
			if (wait > 0) return { ok: false, reason: "budget", message: "request budget exhausted", retryAfter: wait };
			this.budget.spend();
		}
		const [ok, result] = pcall(() =>
			HttpService.RequestAsync({
				Url: this.tokenUrl,
				Method: "POST",
				Headers: {
					Authorization: (secret as Secret).AddPrefix("Bearer "),
					"Content-Type": "application/x-www-form-urlencoded",
				},
				Body: `grant_type=client_credentials&scope=${HttpService.UrlEncode(this.scope)}`,
			}),
		);
		if (!ok) {
			const message = tostring(result);
			return { ok: false, reason: isHttpDisabledError(message) ? "disabled" : "failed", message };
		}
		const response = result as RequestAsyncResponse;
		if (!response.Success) {
			const status = response.StatusCode;
			// A wrong or revoked key will not fix itself; a busy or failing backend may.
			const transient = status >= 500 || status === 429 || status === 408;
			return {
				ok: false,
				reason: transient ? "failed" : "rejected",
				message: `token request failed: HTTP ${status}`,
				retryAfter: parseRetryAfter(headerValue(response.Headers, "Retry-After"), MAX_RETRY_AFTER_SECONDS),
			};
		}
		const [decoded, body] = pcall(() => HttpService.JSONDecode(response.Body));
		const parsed = body as { access_token?: unknown; expires_in?: unknown };
		if (!decoded || !typeIs(parsed, "table") || !typeIs(parsed.access_token, "string")) {
			return { ok: false, reason: "failed", message: "token response was not understood" };
		}
		const lifetime = typeIs(parsed.expires_in, "number") && parsed.expires_in > 0 ? parsed.expires_in : 300;
		this.token = parsed.access_token;
		this.refreshAt = this.clock() + math.max(lifetime - 60, lifetime / 2);
		return { ok: true, token: this.token };
	}
}
