import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { PROBLEM_CONTENT_TYPE, type ProblemDocument } from "../errors.js";

/** Sends an RFC 9457 problem document with its own media type (not plain application/json). */
export function problemResponse(c: Context, problem: ProblemDocument, headers: Headers = new Headers()): Response {
	const response = c.body(JSON.stringify(problem), problem.status as ContentfulStatusCode);
	headers.forEach((value, name) => response.headers.set(name, value));
	response.headers.set("Content-Type", PROBLEM_CONTENT_TYPE);
	return response;
}
