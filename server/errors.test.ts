import { describe, expect, it } from "vitest";
import { InternalError, PROBLEM_TYPE_BASE, PayloadTooLargeError, ValidationError, codeForStatus } from "./errors.js";

describe("ProblemError.toProblem", () => {
	it("produces an RFC 9457 document with a stable code", () => {
		expect(new PayloadTooLargeError("too big", 10).toProblem("/v1/x")).toEqual({
			type: `${PROBLEM_TYPE_BASE}payload_too_large`,
			title: "Payload too large",
			status: 413,
			detail: "too big",
			code: "payload_too_large",
			instance: "/v1/x",
			limitBytes: 10,
		});
	});

	it("omits instance when not given and carries extension members", () => {
		const problem = new ValidationError("bad", [{ path: "events.0.id", message: "required" }]).toProblem();
		expect(problem).not.toHaveProperty("instance");
		expect(problem.errors).toEqual([{ path: "events.0.id", message: "required" }]);
	});

	it("never lets an extension override a standard member", () => {
		class Sneaky extends ValidationError {
			constructor() {
				super("x");
				(this as unknown as { extensions: object }).extensions = { status: 200, code: "ok" };
			}
		}
		expect(new Sneaky().toProblem()).toMatchObject({ status: 400, code: "validation_failed" });
	});

	it("keeps internal details out of the 500 document", () => {
		expect(new InternalError().toProblem().detail).toBe("An unexpected error occurred.");
	});
});

describe("codeForStatus", () => {
	it.each([
		[400, "bad_request"],
		[401, "unauthorized"],
		[403, "forbidden"],
		[404, "not_found"],
		[405, "method_not_allowed"],
		[413, "payload_too_large"],
		[415, "unsupported_media_type"],
		[429, "rate_limited"],
		[418, "bad_request"],
		[502, "internal"],
		[503, "unavailable"],
	])("maps %i to %s", (status, code) => {
		expect(codeForStatus(status)).toBe(code);
	});
});
