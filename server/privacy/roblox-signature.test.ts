// The signature format, checked against an HMAC computed here from Roblox's description (not with the module's own
// signing helper, which would agree with any mistake of the verifier).
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseSignatureHeader, robloxSignature, verifyRobloxSignature } from "./roblox-signature.js";

const SECRET = "roblox-webhook-secret-for-tests";
const BODY = Buffer.from(
	'{"NotificationId":"n-1","EventType":"RightToErasureRequest","EventPayload":{"UserId":1,"GameIds":[2]}}',
);
const T = 1_700_000_000;
/** base64(HMAC-SHA256(secret, "<t>." + body)), as Roblox documents it. */
const EXPECTED = createHmac("sha256", SECRET)
	.update(`${T}.${BODY.toString("utf8")}`)
	.digest("base64");

describe("Roblox webhook signatures", () => {
	it("signs <t>.<raw body> with HMAC-SHA256 in base64", () => {
		expect(robloxSignature(SECRET, T, BODY)).toBe(EXPECTED);
	});

	it("verifies a header built from the documented format, whatever the order of its parts", () => {
		for (const header of [`t=${T},v1=${EXPECTED}`, `v1=${EXPECTED},t=${T}`, ` t=${T} , v1=${EXPECTED} `]) {
			expect(verifyRobloxSignature(SECRET, header, BODY, T * 1000), header).toEqual({ ok: true, timestamp: T });
		}
	});

	it("signs the raw bytes: the same JSON with other spacing does not verify", () => {
		const respaced = Buffer.from(JSON.stringify(JSON.parse(BODY.toString("utf8")), null, 1));
		expect(verifyRobloxSignature(SECRET, `t=${T},v1=${EXPECTED}`, respaced, T * 1000)).toMatchObject({
			ok: false,
			reason: "mismatch",
		});
	});

	it("takes the timestamp from the header as signed: another t with the same v1 does not verify", () => {
		expect(verifyRobloxSignature(SECRET, `t=${T + 1},v1=${EXPECTED}`, BODY, T * 1000)).toMatchObject({
			ok: false,
			reason: "mismatch",
		});
	});

	it("tells each refusal apart", () => {
		const at = (seconds: number) => verifyRobloxSignature(SECRET, `t=${T},v1=${EXPECTED}`, BODY, seconds * 1000);
		expect(at(T + 600)).toMatchObject({ ok: true });
		expect(at(T + 601)).toMatchObject({ ok: false, reason: "stale" });
		expect(at(T - 600)).toMatchObject({ ok: true });
		expect(at(T - 601)).toMatchObject({ ok: false, reason: "future" });
		expect(verifyRobloxSignature(SECRET, undefined, BODY, T * 1000)).toMatchObject({ reason: "missing" });
		expect(verifyRobloxSignature(SECRET, "t=1", BODY, T * 1000)).toMatchObject({ reason: "malformed" });
	});

	it("parses every v1 and ignores unknown parts, refuses a repeated t or a v1 that is not 32 bytes", () => {
		const other = Buffer.alloc(32, 1).toString("base64");
		const parsed = parseSignatureHeader(`t=${T},v0=legacy,v1=${other},v1=${EXPECTED}`);
		expect(parsed?.timestamp).toBe(T);
		expect(parsed?.signatures.map((s) => s.toString("base64"))).toEqual([other, EXPECTED]);
		expect(parseSignatureHeader(`t=${T},t=${T},v1=${EXPECTED}`)).toBeUndefined();
		expect(parseSignatureHeader(`t=${T},v1=${Buffer.alloc(31).toString("base64")}`)).toBeUndefined();
		expect(parseSignatureHeader(`t=${T},v1=`)).toBeUndefined();
		expect(parseSignatureHeader("x".repeat(5000))).toBeUndefined();
	});
});
