// Verification of Roblox webhook signatures (Creator Hub webhooks; Right-to-Erasure is one of their events). Roblox
// sends `roblox-signature: t=<unix seconds>,v1=<base64 HMAC-SHA256>` where the HMAC is keyed by the webhook's secret
// over `<t>.<raw body>`. Pure: no clock, no I/O.
import { createHmac, timingSafeEqual } from "node:crypto";

/** How far the signed timestamp may be from the server's clock, either way: Roblox's replay window. */
export const SIGNATURE_TOLERANCE_SECONDS = 600;

export interface ParsedSignature {
	/** Unix seconds. */
	timestamp: number;
	/** Every v1 value, decoded (several are sent while a secret is being rotated). */
	signatures: Buffer[];
}

export type SignatureVerdict =
	| { ok: true; timestamp: number }
	| { ok: false; reason: "missing" | "malformed" | "stale" | "future" | "mismatch"; detail: string };

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Parses the header: comma-separated `key=value` parts; exactly one `t` (digits), at least one `v1` (base64 of 32
 * bytes). Unknown keys (a future `v2`) are ignored. Returns undefined for anything else.
 *
 * @example
 * parseSignatureHeader("t=1700000000,v1=3q2+7w==…"); // { timestamp: 1700000000, signatures: [<Buffer …>] }
 */
export function parseSignatureHeader(header: string): ParsedSignature | undefined {
	if (header.length > 4096) return undefined;
	let timestamp: number | undefined;
	const signatures: Buffer[] = [];
	for (const part of header.split(",")) {
		const eq = part.indexOf("=");
		if (eq <= 0) return undefined;
		const key = part.slice(0, eq).trim();
		const value = part.slice(eq + 1).trim();
		if (key === "t") {
			if (timestamp !== undefined || !/^\d{1,12}$/.test(value)) return undefined;
			timestamp = Number(value);
		} else if (key === "v1") {
			if (!BASE64.test(value) || value.length % 4 !== 0) return undefined;
			const bytes = Buffer.from(value, "base64");
			if (bytes.length !== 32) return undefined;
			signatures.push(bytes);
		}
	}
	if (timestamp === undefined || signatures.length === 0) return undefined;
	return { timestamp, signatures };
}

/** The base64 signature Roblox computes for `body` at `timestamp` (also what tests sign with). */
export function robloxSignature(secret: string, timestamp: number, body: string | Buffer): string {
	return createHmac("sha256", secret).update(`${timestamp}.`).update(body).digest("base64");
}

/**
 * Checks a webhook request's signature:
 * 1. no header → missing; a header that does not parse → malformed;
 * 2. t more than {@link SIGNATURE_TOLERANCE_SECONDS} before or after now → stale / future (replays of an old
 *    delivery, or a forged clock);
 * 3. no v1 equal (constant-time) to HMAC-SHA256(secret, "<t>." + body) → mismatch (forged, or another secret).
 */
export function verifyRobloxSignature(
	secret: string,
	header: string | undefined,
	body: Buffer,
	nowMs: number,
): SignatureVerdict {
	if (header === undefined || header.trim() === "") {
		return { ok: false, reason: "missing", detail: "The roblox-signature header is missing." };
	}
	const parsed = parseSignatureHeader(header);
	if (!parsed) {
		return {
			ok: false,
			reason: "malformed",
			detail: "The roblox-signature header must be t=<unix seconds>,v1=<base64 HMAC-SHA256>.",
		};
	}
	const skew = parsed.timestamp - Math.floor(nowMs / 1000);
	if (skew < -SIGNATURE_TOLERANCE_SECONDS) {
		return { ok: false, reason: "stale", detail: "The signature's timestamp is more than 10 minutes old." };
	}
	if (skew > SIGNATURE_TOLERANCE_SECONDS) {
		return { ok: false, reason: "future", detail: "The signature's timestamp is more than 10 minutes ahead." };
	}
	const expected = Buffer.from(robloxSignature(secret, parsed.timestamp, body), "base64");
	// Every candidate is compared, so the time taken does not tell which one (or whether any) came close.
	let match = false;
	for (const candidate of parsed.signatures) match = timingSafeEqual(candidate, expected) || match;
	if (!match) return { ok: false, reason: "mismatch", detail: "The signature does not match the body." };
	return { ok: true, timestamp: parsed.timestamp };
}
