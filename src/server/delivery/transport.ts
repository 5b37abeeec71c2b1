import { HttpService } from "@rbxts/services";
import { BatchResponse, WireBatch } from "../../shared/protocol";
import { TokenProvider } from "./token-provider";

/** What happened to one request. */
export type SendResult =
	{ kind: "ok"; response: BatchResponse } | { kind: "failed"; status?: number; message: string; retryable: boolean };

function post(url: string, token: string, body: string): { ok: boolean; result: unknown } {
	const [ok, result] = pcall(() =>
		HttpService.RequestAsync({
			Url: url,
			Method: "POST",
			Headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
			Body: body,
			Compress: Enum.HttpCompression.Gzip,
		}),
	);
	return { ok, result };
}

/**
 * Posts one batch to the backend: gzip-compressed JSON over HttpService, with a bearer token; on 401 the token is
 * refreshed once and the request repeated (the batch id makes that safe).
 * Never throws: network errors and HttpService errors (disabled in Studio, budget exceeded) come back as results.
 * HttpService: RequestAsync yields, throws on network errors only, and counts against 500 requests/min per server.
 */
export function sendBatch(url: string, tokens: TokenProvider, batch: WireBatch): SendResult {
	const [encoded, body] = pcall(() => HttpService.JSONEncode(batch));
	if (!encoded) return { kind: "failed", message: `could not encode batch: ${body}`, retryable: false };
	for (let attempt = 1; attempt <= 2; attempt++) {
		const token = tokens.get();
		if (!token.ok) return { kind: "failed", message: token.message, retryable: token.retryable };
		const { ok, result } = post(url, token.token, body as string);
		if (!ok) return { kind: "failed", message: tostring(result), retryable: true };
		const response = result as RequestAsyncResponse;
		if (response.StatusCode === 401 && attempt === 1) {
			tokens.invalidate();
			continue;
		}
		if (response.Success) {
			const [decoded, parsed] = pcall(() => HttpService.JSONDecode(response.Body));
			if (decoded && typeIs(parsed, "table")) return { kind: "ok", response: parsed as BatchResponse };
			return { kind: "failed", status: response.StatusCode, message: "unreadable response", retryable: true };
		}
		return {
			kind: "failed",
			status: response.StatusCode,
			message: `HTTP ${response.StatusCode}: ${response.Body.sub(1, 200)}`,
			retryable: response.StatusCode >= 500 || response.StatusCode === 429 || response.StatusCode === 408,
		};
	}
	return { kind: "failed", status: 401, message: "the backend refused a fresh token", retryable: true };
}
