import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { jsonRequest, makeBatch, makeEvent } from "../testing/fixtures.js";
import { createTestApp, type TestApp } from "../testing/test-app.js";
import { MAX_PROP_STRING_BYTES, fastValidEvent, propStringFits, validateEvents } from "./schema.js";

let t: TestApp | undefined;
afterEach(() => t?.close());

const root = join(import.meta.dirname, "..", "..");

describe("string prop caps", () => {
	it("are the SDK's (src/shared/protocol.ts MAX_PROP_STRING_LENGTH)", () => {
		const sdk = /export const MAX_PROP_STRING_LENGTH = (\d+);/.exec(
			readFileSync(join(root, "src/shared/protocol.ts"), "utf8"),
		);
		expect(Number(sdk?.[1])).toBe(MAX_PROP_STRING_BYTES);
	});

	it.each([
		["ASCII at the cap", "a".repeat(1024), true],
		["ASCII one over", "a".repeat(1025), false],
		["two-byte characters at the cap (512 × é)", "é".repeat(512), true],
		["two-byte characters over in bytes though short in UTF-16 (513 × é)", "é".repeat(513), false],
		["four-byte characters (256 × 😀 = 1024 bytes)", "😀".repeat(256), true],
		["four-byte characters over (257 × 😀)", "😀".repeat(257), false],
	])("%s", (_name, value, ok) => {
		const event = makeEvent({ props: { note: value } });
		// The fast path and zod agree, and the refusal says which prop and why.
		expect(fastValidEvent(event) !== undefined).toBe(ok);
		const { rejected } = validateEvents([event]);
		if (ok) expect(rejected).toEqual([]);
		else {
			expect(rejected).toEqual([
				{
					index: 0,
					code: "invalid_event",
					message: expect.stringMatching(/^props\.note: string props may have at most 1024 bytes \(UTF-8\)/),
				},
			]);
		}
	});

	it("counts UTF-8 bytes as Buffer does, lone surrogates included", () => {
		const units = fc.oneof(fc.constantFrom("a", "é", "€", "😀", "\ud800", "\udc00"), fc.string({ maxLength: 3 }));
		fc.assert(
			fc.property(fc.array(units, { minLength: 100, maxLength: 700 }), (parts) => {
				const value = parts.join("");
				expect(propStringFits(value)).toBe(Buffer.byteLength(value, "utf8") <= MAX_PROP_STRING_BYTES);
			}),
			{ numRuns: 300 },
		);
	});

	it("a batch with one over-long prop stores the others and names the refused event", async () => {
		t = await createTestApp();
		const events = [
			makeEvent({ id: "ok-1" }),
			makeEvent({ id: "long", props: { note: "x".repeat(5000) } }),
			makeEvent({ id: "ok-2" }),
		];
		const res = await t.app.request(
			"/v1/batches",
			jsonRequest(makeBatch(events), { headers: { Authorization: await t.gameAuth("g1") } }),
		);
		const body = (await res.json()) as { accepted: number; rejected: { index: number; message: string }[] };
		expect(body.accepted).toBe(2);
		expect(body.rejected).toEqual([
			{ index: 1, code: "invalid_event", message: expect.stringContaining("props.note: string props may have") },
		]);
	});
});
