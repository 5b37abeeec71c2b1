import { HttpService } from "@rbxts/services";
import { BatchResponse, WireBatch } from "../shared/protocol";

/** What happened to one request. */
export type SendResult =
	{ kind: "ok"; response: BatchResponse } | { kind: "failed"; status?: number; message: string; retryable: boolean };

/**
 * Posts one batch to the backend: gzip-compressed JSON over HttpService.
 * Never throws: network errors and HttpService errors (disabled in Studio, budget exceeded) come back as results.
 * HttpService: RequestAsync yields, throws on network errors only, and counts against 500 requests/min per server.
 */
export function sendBatch(url: string, batch: WireBatch): SendResult {
	const [encoded, body] = pcall(() => HttpService.JSONEncode(batch));
	if (!encoded) return { kind: "failed", message: `could not encode batch: ${body}`, retryable: false };
	const [ok, result] = pcall(() =>
		HttpService.RequestAsync({
			Url: url,
			Method: "POST",
			Headers: { "Content-Type": "application/json" },
			Body: body as string,
			Compress: Enum.HttpCompression.Gzip,
		}),
	);
	if (!ok) return { kind: "failed", message: tostring(result), retryable: true };
	const response = result as RequestAsyncResponse;
	if (response.Success) {
		const [decoded, parsed] = pcall(() => HttpService.JSONDecode(response.Body));
		if (decoded && typeIs(parsed, "table")) return { kind: "ok", response: parsed as BatchResponse };
		return { kind: "failed", status: response.StatusCode, message: "unreadable response", retryable: true };
	}
	const retryable = response.StatusCode >= 500 || response.StatusCode === 429 || response.StatusCode === 408;
	return {
		kind: "failed",
		status: response.StatusCode,
		message: `HTTP ${response.StatusCode}: ${response.Body.sub(1, 200)}`,
		retryable,
	};
}
