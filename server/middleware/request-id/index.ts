import type { MiddlewareHandler } from "hono";
import { requestId as honoRequestId } from "hono/request-id";

export const REQUEST_ID_HEADER = "X-Request-Id";
/** Longer incoming ids are replaced: they end up in every log line of the request. */
export const MAX_REQUEST_ID_LENGTH = 128;

/**
 * Gives each request an id (`c.get("requestId")`) and echoes it in `X-Request-Id`.
 * An incoming id is kept when it is at most 128 characters of `[A-Za-z0-9_=-]` (so a proxy's or the SDK's id
 * correlates logs across hops); anything else, which could inject into logs, is replaced by a random UUID.
 * Hono's own middleware does exactly this; this wrapper pins our limits in one place.
 *
 * @example
 * app.use(requestId());
 */
export function requestId(): MiddlewareHandler {
	return honoRequestId({
		headerName: REQUEST_ID_HEADER,
		limitLength: MAX_REQUEST_ID_LENGTH,
		generator: () => crypto.randomUUID(),
	});
}
