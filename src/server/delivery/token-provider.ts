import { HttpService } from "@rbxts/services";

/** Refresh this many seconds before the token expires, so a batch never leaves with a token about to lapse. */
const REFRESH_MARGIN_SECONDS = 60;

export type TokenResult = { ok: true; token: string } | { ok: false; message: string; retryable: boolean };

/**
 * Exchanges the game key for short-lived access tokens (OAuth2 client credentials, `POST /v1/oauth/token`).
 * The key comes from `HttpService:GetSecret`, which Roblox only lets us place into a header (AddPrefix), never
 * read or hash: so it is sent as `Authorization: Bearer <key>`, and nothing in Luau ever sees it.
 */
export class TokenProvider {
	private token?: string;
	private expiresAt = 0;

	constructor(
		private readonly tokenUrl: string,
		private readonly secretName: string,
		private readonly scope: string,
	) {}

	/** Forgets the current token (after a 401), so the next {@link get} fetches a new one. */
	invalidate(): void {
		this.token = undefined;
		this.expiresAt = 0;
	}

	/** A valid token, fetched or refreshed if needed. Yields while fetching; never throws. */
	get(): TokenResult {
		if (this.token !== undefined && os.clock() < this.expiresAt - REFRESH_MARGIN_SECONDS) {
			return { ok: true, token: this.token };
		}
		const [secretOk, secret] = pcall(() => HttpService.GetSecret(this.secretName));
		if (!secretOk) {
			return {
				ok: false,
				message: `game key secret "${this.secretName}" is not configured (${secret})`,
				retryable: false,
			};
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
		if (!ok) return { ok: false, message: tostring(result), retryable: true };
		const response = result as RequestAsyncResponse;
		if (!response.Success) {
			return {
				ok: false,
				message: `token request failed: HTTP ${response.StatusCode}`,
				// A wrong or revoked key will not fix itself; a busy or failing backend may.
				retryable: response.StatusCode >= 500 || response.StatusCode === 429,
			};
		}
		const [decoded, body] = pcall(() => HttpService.JSONDecode(response.Body));
		const parsed = body as { access_token?: unknown; expires_in?: unknown };
		if (!decoded || !typeIs(parsed, "table") || !typeIs(parsed.access_token, "string")) {
			return { ok: false, message: "token response was not understood", retryable: true };
		}
		this.token = parsed.access_token;
		this.expiresAt = os.clock() + (typeIs(parsed.expires_in, "number") ? parsed.expires_in : 300);
		return { ok: true, token: this.token };
	}
}
