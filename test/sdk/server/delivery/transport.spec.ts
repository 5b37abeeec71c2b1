import { describe, expect, it } from "@rbxts/jest-globals";
import { classifyBatchResponse, classifyRequestError } from "../../../../src/server/delivery/transport";

const json = (value: object) => game.GetService("HttpService").JSONEncode(value);

describe("classifyBatchResponse", () => {
	it("maps every status of the contract to what happens to the batch", () => {
		const cases: [status: number, headers: object, body: string, kind: string][] = [
			[200, {}, json({ accepted: 2, duplicates: 0, rejected: [] }), "accepted"],
			[200, {}, "not json", "retry"],
			[413, {}, json({ code: "payload_too_large" }), "split"],
			[400, {}, json({ code: "validation_failed", errors: [{ path: "events", message: "Too big" }] }), "split"],
			[400, {}, json({ code: "validation_failed", errors: [{ path: "batchId", message: "Required" }] }), "drop"],
			[400, {}, json({ code: "invalid_gzip" }), "drop"],
			[403, {}, json({ code: "insufficient_scope" }), "drop"],
			[415, {}, json({ code: "unsupported_media_type" }), "drop"],
			[429, { ["Retry-After"]: "12" }, json({ code: "rate_limited" }), "retry"],
			[503, {}, "", "retry"],
			[500, {}, "", "retry"],
			[404, {}, "", "retry"],
		];
		for (const [status, headers, body, kind] of cases) {
			expect([status, classifyBatchResponse(status, headers, body).kind]).toEqual([status, kind]);
		}
	});

	it("reads Retry-After on 429 and 503 only", () => {
		expect(classifyBatchResponse(429, { ["retry-after"]: "12" }, "")).toMatchObject({ retryAfter: 12 });
		expect(classifyBatchResponse(503, { ["Retry-After"]: "3" }, "")).toMatchObject({ retryAfter: 3 });
		const other = classifyBatchResponse(500, { ["Retry-After"]: "3" }, "");
		expect(other.kind === "retry" && other.retryAfter === undefined).toBe(true);
	});

	it("returns the rejected events by index with an accepted batch", () => {
		const outcome = classifyBatchResponse(
			200,
			{},
			json({ accepted: 1, duplicates: 1, rejected: [{ index: 2, code: "invalid_event", message: "bad" }] }),
		);
		expect(outcome).toEqual({
			kind: "accepted",
			status: 200,
			accepted: 1,
			duplicates: 1,
			rejected: [{ index: 2, code: "invalid_event", message: "bad" }],
		});
	});
});

describe("classifyRequestError", () => {
	it("tells disabled HTTP, Roblox's request limit and network errors apart", () => {
		expect(classifyRequestError("Http requests are not enabled. Enable via game settings").kind).toBe("disabled");
		expect(classifyRequestError("Number of requests exceeded limit")).toMatchObject({ cause: "roblox-budget" });
		expect(classifyRequestError("HttpError: ConnectFail")).toMatchObject({ kind: "retry", cause: "network" });
		expect(classifyRequestError("HttpError: Timedout")).toMatchObject({ kind: "retry", cause: "network" });
	});
});
