import { randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { InvalidJsonError, PayloadTooLargeError, UnsupportedMediaTypeError } from "../errors.js";
import { SYNC_INFLATE_MAX_BYTES, readJsonBody } from "./read-json-body.js";

const limits = { maxBodyBytes: 100, maxInflatedBytes: 1000 };

function request(body: string | Uint8Array, headers: Record<string, string> = {}): Request {
	return new Request("http://x/", {
		method: "POST",
		headers: { "Content-Type": "application/json", ...headers },
		body,
	});
}

describe("readJsonBody", () => {
	it("parses an identity body", async () => {
		await expect(readJsonBody(request('{"a":1}'), limits)).resolves.toEqual({ a: 1 });
	});

	it.each([["gzip"], ["x-gzip"], ["GZIP"]])("inflates Content-Encoding %s", async (encoding) => {
		const body = request(gzipSync('{"a":[1,2]}'), { "Content-Encoding": encoding });
		await expect(readJsonBody(body, limits)).resolves.toEqual({ a: [1, 2] });
	});

	it("refuses a declared Content-Length over the limit without reading the body", async () => {
		let pulled = 0;
		const stream = new ReadableStream<Uint8Array>({
			pull(controller) {
				pulled++;
				controller.enqueue(new Uint8Array(10));
			},
		});
		const req = new Request("http://x/", {
			method: "POST",
			headers: { "Content-Type": "application/json", "Content-Length": "101" },
			body: stream,
			duplex: "half",
		} as RequestInit);
		await expect(readJsonBody(req, limits)).rejects.toBeInstanceOf(PayloadTooLargeError);
		expect(pulled).toBeLessThanOrEqual(1);
	});

	it("accepts a body of exactly the limit", async () => {
		const json = JSON.stringify({ s: "x".repeat(92) });
		expect(json.length).toBe(100);
		await expect(readJsonBody(request(json), limits)).resolves.toMatchObject({ s: expect.any(String) });
	});

	it("applies the inflated limit to the decompressed size", async () => {
		const json = JSON.stringify({ s: "x".repeat(1000) });
		expect(gzipSync(json).length).toBeLessThan(100);
		await expect(readJsonBody(request(gzipSync(json), { "Content-Encoding": "gzip" }), limits)).rejects.toMatchObject({
			status: 413,
			extensions: { limitBytes: 1000 },
		});
	});

	it("inflates a body above the synchronous threshold on the thread pool, with the same limits", async () => {
		const json = JSON.stringify({ s: randomBytes(96 * 1024).toString("base64") });
		const gz = gzipSync(json);
		expect(gz.length).toBeGreaterThan(SYNC_INFLATE_MAX_BYTES);
		const wide = { maxBodyBytes: 1 << 20, maxInflatedBytes: 1 << 20 };
		await expect(readJsonBody(request(gz, { "Content-Encoding": "gzip" }), wide)).resolves.toEqual(JSON.parse(json));
		const tight = { maxBodyBytes: 1 << 20, maxInflatedBytes: 1000 };
		await expect(readJsonBody(request(gz, { "Content-Encoding": "gzip" }), tight)).rejects.toBeInstanceOf(
			PayloadTooLargeError,
		);
	});

	it("refuses a JSON body sent as another media type", async () => {
		await expect(
			readJsonBody(request("{}", { "Content-Type": "application/x-www-form-urlencoded" }), limits),
		).rejects.toBeInstanceOf(UnsupportedMediaTypeError);
	});

	it("tolerates a UTF-8 byte-order mark", async () => {
		// Some HTTP clients prepend one; TextDecoder strips it, JSON.parse never sees it.
		const bom = new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d]);
		await expect(readJsonBody(request(bom), limits)).resolves.toEqual({});
	});

	it("refuses a body that is not JSON", async () => {
		await expect(readJsonBody(request("\u0000"), limits)).rejects.toBeInstanceOf(InvalidJsonError);
	});
});
